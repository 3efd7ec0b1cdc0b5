// (Compiled after plate.glsl and backdrop.glsl, with HAS_SCENE, PART,
// SOFT_EDGE and CHROMA defined; see engine/render/render.c use_variant.)
// A canvas's wall pixels. Every wall pixel knows its stage position W and
// shows the scene and the plate as the camera sees them through W inside
// the inner frustum ("inner"), as the outer viewpoint sees them elsewhere
// ("outer"). In wall mode (BACKDROP 3) the plate is simply stretched over
// the canvas, inside and out. PART says which pixels this pass draws:
//   0  every wall pixel, inner or outer (with a plate, whose every new
//      picture changes them all: one pass);
//   1  the inner frustum only: the facets are clipped to it (canvas.vert)
//      and the outer content is already in the canvas;
//   2  the outer content only, into the outer target.
// SOFT_EDGE (PART 1): alpha is the inner content's weight, blended over the
// outer. CHROMA: 0 off, 1 the inner frustum shows the key colour, 2 with
// markers. #defines, not uniforms: llvmpipe runs every side of a branch on
// a uniform, so what is off must not be in the program at all.
uniform mat4 u_inner_viewproj;
uniform sampler2D u_inner;
uniform vec2 u_inner_scale;     // rendered part of the inner texture
uniform vec2 u_inner_clamp;     // last texel centre of that part
uniform samplerCube u_outer;    // the scene from the outer eye
uniform vec3 u_eye;             // the camera
uniform vec3 u_outer_eye;
uniform vec2 u_canvas_size;
uniform float u_soft_edge;      // SOFT_EDGE: 0 .. 0.5 of the half-size
uniform vec3 u_key;             // CHROMA: key colour
uniform vec3 u_marker_color;    // CHROMA 2
uniform ivec2 u_marker;         // CHROMA 2: spacing, size in canvas pixels
in vec3 v_world;
out vec4 o_color;

// The scene and plate through W: from the camera (inner, c = W in the
// inner frustum's clip space) or from the outer eye.
vec3 seen(bool inner, vec4 c)
{
#if BACKDROP == 3
    return plate_sample(gl_FragCoord.xy / u_canvas_size);
#else
    vec4 s = vec4(0.0);
#if HAS_SCENE
    vec2 uv = clamp((c.xy / c.w * 0.5 + 0.5) * u_inner_scale, vec2(0.0), u_inner_clamp);
    s = texture(u_inner, uv);
    if (!inner)
        s = texture(u_outer, normalize(v_world - u_outer_eye));
#endif
#if BACKDROP == 0
    return s.rgb;
#else
    // The scene was drawn over a transparent black clear: premultiplied.
    return s.rgb + (1.0 - s.a) * backdrop(inner ? u_eye : u_outer_eye, v_world);
#endif
#endif
}

#if CHROMA
// The key colour, with a plus sign centred at (spacing / 2, spacing / 2) of
// every spacing x spacing cell: 2 px thick (the pixels either side of the
// centre) and size px long.
vec3 key()
{
#if CHROMA == 2
    ivec2 p = ivec2(gl_FragCoord.xy) % u_marker.x;
    int h = u_marker.x / 2, lo = h - u_marker.y / 2;
    bvec2 thick = bvec2(p.x >= h - 1 && p.x <= h, p.y >= h - 1 && p.y <= h);
    bvec2 along = bvec2(p.x >= lo && p.x < lo + u_marker.y, p.y >= lo && p.y < lo + u_marker.y);
    if ((thick.x && along.y) || (thick.y && along.x))
        return u_marker_color;
#endif
    return u_key;
}
#define INNER(c) key()
#else
#define INNER(c) seen(true, c)
#endif

void main()
{
    vec4 c = u_inner_viewproj * vec4(v_world, 1.0);
#if PART == 1
    vec3 rgb = INNER(c);
#elif PART == 2
    vec3 rgb = seen(false, c);
#else
    bool inside = c.w > 0.0 && all(lessThanEqual(abs(c.xy), vec2(c.w)));
#if CHROMA
    vec3 rgb = inside ? key() : seen(false, c);
#else
    vec3 rgb = seen(inside, c);
#endif
#endif
    float a = 1.0;
#if SOFT_EDGE
    vec2 d = 1.0 - abs(c.xy / c.w);
    a = smoothstep(0.0, u_soft_edge, d.x) * smoothstep(0.0, u_soft_edge, d.y);
#endif
    o_color = vec4(rgb, a);
}
