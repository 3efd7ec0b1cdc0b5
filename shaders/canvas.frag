// (Compiled after plate.glsl and backdrop.glsl, with HAS_SCENE defined.)
// A canvas's wall pixels. Every wall pixel knows its stage position W.
// Without a plate (BACKDROP 0) the facets are clipped to the inner frustum
// (the rest of the canvas is the outer content, already copied in) and
// show the inner render at W's projection. With a plate every wall pixel
// is drawn here in one pass, since a new plate picture changes them all:
// inside the inner frustum it shows the scene and the plate as the camera
// sees them through W, outside as the outer viewpoint sees them. In wall
// mode the plate is simply stretched over the canvas.
uniform mat4 u_inner_viewproj;
uniform sampler2D u_inner;
uniform vec2 u_inner_scale;     // rendered part of the inner texture
uniform vec2 u_inner_clamp;     // last texel centre of that part
uniform samplerCube u_outer;    // the scene from the outer eye (with a plate)
uniform vec3 u_eye;             // the camera
uniform vec3 u_outer_eye;
uniform vec2 u_canvas_size;
in vec3 v_world;
out vec4 o_color;
void main()
{
#if BACKDROP == 3
    o_color = vec4(plate_sample(gl_FragCoord.xy / u_canvas_size), 1.0);
#else
    vec4 c = u_inner_viewproj * vec4(v_world, 1.0);
    vec4 s = vec4(0.0);
#if HAS_SCENE
    vec2 uv = clamp((c.xy / c.w * 0.5 + 0.5) * u_inner_scale, vec2(0.0), u_inner_clamp);
    s = texture(u_inner, uv);
#endif
#if BACKDROP == 0
    o_color = vec4(s.rgb, 1.0);
#else
    bool inside = c.w > 0.0 && all(lessThanEqual(abs(c.xy), vec2(c.w)));
#if HAS_SCENE
    if (!inside)
        s = texture(u_outer, normalize(v_world - u_outer_eye));
#endif
    // The scene was drawn over a transparent black clear: premultiplied.
    vec3 eye = inside ? u_eye : u_outer_eye;
    o_color = vec4(s.rgb + (1.0 - s.a) * backdrop(eye, v_world), 1.0);
#endif
#endif
}
