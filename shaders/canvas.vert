#version 330 core
// Pass 2: a section facet drawn in canvas pixels. Canvas row 0 (the top)
// goes to NDC y = -1 so the texture is stored top row first, as LED
// processors and PNGs count rows.
layout(location = 0) in vec2 a_canvas;
layout(location = 1) in vec3 a_world;
uniform vec2 u_canvas_size;
out vec3 v_world;
void main()
{
    v_world = a_world;
    gl_Position = vec4(a_canvas / u_canvas_size * 2.0 - 1.0, 0.0, 1.0);
}
