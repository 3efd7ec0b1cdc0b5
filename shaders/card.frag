#version 330 core
// A light card's flat colour (colour x intensity, clamped by the caller).
uniform vec3 u_color;
out vec4 o_color;
void main()
{
    o_color = vec4(u_color, 1.0);
}
