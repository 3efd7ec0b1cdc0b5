#version 330 core
// A wall point is on the border when it projects into the camera's inner
// frustum at |x| or |y| = 1 in NDC, within u_half_width observer pixels:
// fwidth gives how much NDC one observer pixel spans there.
uniform mat4 u_cam_vp;
uniform float u_half_width;
uniform vec3 u_color;
in vec3 v_world;
out vec4 o_color;
void main()
{
    vec4 c = u_cam_vp * vec4(v_world, 1.0);
    if (c.w <= 0.0)
        discard;
    vec2 ndc = c.xy / c.w;
    vec2 px = max(fwidth(ndc), vec2(1e-9));
    vec2 dist = abs(abs(ndc) - 1.0) / px;
    vec2 reach = vec2(1.0) + px * u_half_width;
    bool on_x = dist.x <= u_half_width && abs(ndc.y) <= reach.y;
    bool on_y = dist.y <= u_half_width && abs(ndc.x) <= reach.x;
    if (!on_x && !on_y)
        discard;
    o_color = vec4(u_color, 1.0);
}
