// (Compiled after plate.glsl and backdrop.glsl.)
// The outer content of one canvas: each wall pixel shows the scene seen
// from the outer viewpoint through that pixel, looked up in the cube map,
// over the plate seen from the same viewpoint.
uniform samplerCube u_outer;
uniform vec3 u_outer_eye;
uniform bool u_has_scene;
in vec3 v_world;
out vec4 o_color;
void main()
{
    vec4 s = u_has_scene ? texture(u_outer, normalize(v_world - u_outer_eye)) : vec4(0.0);
    vec3 rgb = s.rgb;
    if (u_backdrop != 0 && s.a < 1.0)
        rgb += (1.0 - s.a) * backdrop(u_outer_eye, v_world);
    o_color = vec4(rgb, 1.0);
}
