// (Compiled after plate.glsl and backdrop.glsl.)
// The inner frustum part of a canvas (the vertex shader clipped the facets
// to it; the rest of the canvas is the outer content, already copied in).
// Every wall pixel knows its stage position W and shows the inner render
// at W's projection, over the plate seen from the camera through W.
// In wall mode the plate is simply stretched over the canvas.
uniform mat4 u_inner_viewproj;
uniform sampler2D u_inner;
uniform vec2 u_inner_scale;     // rendered part of the inner texture
uniform vec2 u_inner_clamp;     // last texel centre of that part
uniform bool u_has_scene;
uniform bool u_wall;
uniform vec3 u_eye;
uniform vec2 u_canvas_size;
in vec3 v_world;
out vec4 o_color;
void main()
{
    if (u_wall) {
        o_color = vec4(plate_sample(gl_FragCoord.xy / u_canvas_size), 1.0);
        return;
    }
    vec4 c = u_inner_viewproj * vec4(v_world, 1.0);
    vec2 uv = clamp((c.xy / c.w * 0.5 + 0.5) * u_inner_scale, vec2(0.0), u_inner_clamp);
    // The scene was drawn over a transparent black clear: premultiplied.
    vec4 s = u_has_scene ? texture(u_inner, uv) : vec4(0.0);
    vec3 rgb = s.rgb;
    if (u_backdrop != 0 && s.a < 1.0)
        rgb += (1.0 - s.a) * backdrop(u_eye, v_world);
    o_color = vec4(rgb, 1.0);
}
