#version 330 core
// The stage view's flat geometry: floor grid, section edges, the camera
// body and its frustum rays, each vertex with its colour.
layout(location = 0) in vec3 a_pos;
layout(location = 1) in vec3 a_color;
uniform mat4 u_vp;
out vec3 v_color;
void main()
{
    v_color = a_color;
    gl_Position = u_vp * vec4(a_pos, 1.0);
}
