// The plate picture, for any fragment shader compiled after this prefix
// (vl_gl_program_parts, after a "#version" and "#define PLATE_LAYOUT n"
// part). The decoded planes arrive untouched (see engine/render/plate_tex.c);
// plate_sample turns them into RGB here. Everything is named plate_* /
// u_plate_* so the shaders that include this keep the rest of the namespace.
//
// PLATE_LAYOUT (vl_plate_tex_layout): 0 no picture: fallback pattern; 1 one
// packed texture (its alpha channel 1 where the format has none); 2 luma +
// interleaved chroma (NV12); 3 one texture per component; 4 the same plus
// an alpha plane. A #define, not a uniform: llvmpipe runs both sides of a branch
// on a uniform, so one program for every layout did all their work.
uniform sampler2D u_plate_tex0;     // Y (or R, or packed RGB)
uniform sampler2D u_plate_tex1;     // Cb (NV12: CbCr) (or G)
uniform sampler2D u_plate_tex2;     // Cr (or B)
uniform sampler2D u_plate_tex3;     // alpha (PLATE_LAYOUT 4)
uniform mat2 u_plate_orient;        // picture uv -> frame uv about the centre: the
                                    // display matrix's quarter turn or mirror
uniform float u_plate_alpha_scale;  // alpha texture value -> 0 .. 1 (bit depth)
uniform vec2 u_plate_chroma_scale;  // picture uv -> chroma plane uv (odd sizes)
uniform vec2 u_plate_chroma_offset; // ... plus the chroma siting, in chroma uv
uniform mat3 u_plate_matrix;        // texture values -> RGB: bit depth, range and
uniform vec3 u_plate_offset;        // YCbCr matrix folded into one affine map

// A picture nobody mistakes for a plate: a 16 x 9 magenta / dark grey
// checkerboard crossed by a white diagonal. No derivatives, so it may be
// called from non-uniform control flow like any texture lookup here.
vec3 plate_fallback(vec2 uv)
{
    vec2 cell = floor(uv * vec2(16.0, 9.0));
    bool odd = mod(cell.x + cell.y, 2.0) >= 1.0;
    if (abs(uv.x - uv.y) < 0.004)
        return vec3(1.0);
    return odd ? vec3(1.0, 0.0, 1.0) : vec3(0.2);
}

// The texture values at frame uv: (Y, Cb, Cr) or (R, G, B) and alpha, each
// normalised by its texture's format (8 or 16 bits), not yet by the
// stream's bit depth; alpha 1 where the format has none.
vec4 plate_raw(vec2 uv)
{
#if PLATE_LAYOUT == 1
    return texture(u_plate_tex0, uv);
#else
    vec2 cuv = uv * u_plate_chroma_scale + u_plate_chroma_offset;
    float y = texture(u_plate_tex0, uv).r;
#if PLATE_LAYOUT == 2
    return vec4(y, texture(u_plate_tex1, cuv).rg, 1.0);
#elif PLATE_LAYOUT == 3
    return vec4(y, texture(u_plate_tex1, cuv).r, texture(u_plate_tex2, cuv).r, 1.0);
#else
    return vec4(y, texture(u_plate_tex1, cuv).r, texture(u_plate_tex2, cuv).r,
                texture(u_plate_tex3, uv).r);
#endif
#endif
}

// The picture at uv ((0,0) top-left, (1,1) bottom-right, as it is shown:
// turned by its display matrix), bilinear, as gamma-encoded RGB in [0, 1]
// and straight (not premultiplied) alpha.
vec4 plate_sample_rgba(vec2 uv)
{
#if PLATE_LAYOUT == 0
    return vec4(plate_fallback(uv), 1.0);
#else
    vec4 raw = plate_raw(vec2(0.5) + u_plate_orient * (uv - vec2(0.5)));
    vec3 rgb = u_plate_matrix * raw.rgb + u_plate_offset;
    return clamp(vec4(rgb, raw.a * u_plate_alpha_scale), 0.0, 1.0);
#endif
}

// The same without alpha, where nothing is behind the plate.
vec3 plate_sample(vec2 uv)
{
    return plate_sample_rgba(uv).rgb;
}
