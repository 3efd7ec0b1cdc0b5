#version 330 core
// The outer content of one canvas: each wall pixel shows the scene seen
// from the outer viewpoint through that pixel, looked up in the cube map.
uniform samplerCube u_outer;
uniform vec3 u_outer_eye;
in vec3 v_world;
out vec4 o_color;
void main()
{
    o_color = vec4(texture(u_outer, normalize(v_world - u_outer_eye)).rgb, 1.0);
}
