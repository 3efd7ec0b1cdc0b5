#version 330 core
uniform sampler2D u_tex;
in vec2 v_uv;
out vec4 o_color;
void main()
{
    o_color = vec4(texture(u_tex, v_uv).rgb, 1.0);
}
