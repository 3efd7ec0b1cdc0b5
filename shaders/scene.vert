#version 330 core
// Scene geometry in stage space (metres, X right, Y forward, Z up).
layout(location = 0) in vec3 a_pos;
layout(location = 1) in vec3 a_normal;
layout(location = 2) in vec4 a_color;  // rgb, a = material id
uniform mat4 u_view;
uniform mat4 u_proj;
out vec3 v_world;
out vec3 v_normal;
out vec4 v_color;
void main()
{
    v_world = a_pos;
    v_normal = a_normal;
    v_color = a_color;
    gl_Position = u_proj * u_view * vec4(a_pos, 1.0);
}
