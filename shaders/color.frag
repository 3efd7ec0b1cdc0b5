// (Compiled after "#version" and "#define TRANSFER n": 0 sRGB, 1 BT.709,
// 2 PQ; vertex shader blit.vert.)
// An output's colour transform (vl_output_color in stage/stage.h; its C
// twin is vl_output_color_apply): each canvas pixel decoded from sRGB to
// linear light, times brightness x matrix, encoded with the output's
// transfer function. Pixel for pixel, so no filtering and no flip.
uniform sampler2D u_canvas;
uniform mat3 u_matrix;          // brightness x matrix
uniform float u_white;          // PQ: white_nits / 10000
out vec4 o_color;

vec3 srgb_decode(vec3 v)
{
    return mix(v / 12.92, pow((v + 0.055) / 1.055, vec3(2.4)), greaterThan(v, vec3(0.04045)));
}

// Linear light in, signal out; both clamped to [0, 1].
vec3 encode(vec3 l)
{
#if TRANSFER == 0
    l = clamp(l, 0.0, 1.0);
    return mix(12.92 * l, 1.055 * pow(l, vec3(1.0 / 2.4)) - 0.055, greaterThan(l, vec3(0.0031308)));
#elif TRANSFER == 1
    l = clamp(l, 0.0, 1.0);
    return mix(4.5 * l, 1.099 * pow(l, vec3(0.45)) - 0.099, greaterThanEqual(l, vec3(0.018)));
#else
    // SMPTE ST 2084 inverse EOTF of the luminance over 10000 cd/m2.
    const float m1 = 2610.0 / 16384.0, m2 = 2523.0 / 4096.0 * 128.0;
    const float c1 = 3424.0 / 4096.0, c2 = 2413.0 / 4096.0 * 32.0, c3 = 2392.0 / 4096.0 * 32.0;
    vec3 y = pow(clamp(l * u_white, 0.0, 1.0), vec3(m1));
    return pow((c1 + c2 * y) / (1.0 + c3 * y), vec3(m2));
#endif
}

void main()
{
    vec4 c = texelFetch(u_canvas, ivec2(gl_FragCoord.xy), 0);
    o_color = vec4(clamp(encode(u_matrix * srgb_decode(c.rgb)), 0.0, 1.0), c.a);
}
