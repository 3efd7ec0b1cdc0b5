#version 330 core
// The wall filmed by a camera: section facets at their stage positions,
// textured with their canvas pixels.
layout(location = 0) in vec2 a_canvas;
layout(location = 1) in vec3 a_world;
uniform vec2 u_canvas_size;
uniform mat4 u_view;
uniform mat4 u_proj;
out vec2 v_uv;
void main()
{
    v_uv = a_canvas / u_canvas_size;
    gl_Position = u_proj * u_view * vec4(a_world, 1.0);
}
