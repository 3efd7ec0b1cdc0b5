#version 330 core
uniform sampler2D u_canvas;
in vec2 v_uv;
out vec4 o_color;
void main()
{
    o_color = vec4(texture(u_canvas, v_uv).rgb, 1.0);
}
