#version 330 core
// builtin:fell ground: material 1 is snow (moonlit, with aurora-green sky
// light and distance haze), material 0 a plain lit colour (spruce trees).
uniform vec3 u_eye;
uniform float u_time;
in vec3 v_world;
in vec3 v_normal;
in vec4 v_color;
out vec4 o_color;
void main()
{
    vec3 n = normalize(v_normal);
    vec3 moon = normalize(vec3(-0.5, -0.3, 0.45));
    float sun = max(dot(n, moon), 0.0);
    vec3 skylight = vec3(0.05, 0.16, 0.11) * (0.8 + 0.2 * sin(u_time * 0.1));
    vec3 albedo = v_color.a > 0.5 ? vec3(0.75, 0.82, 1.0) : v_color.rgb;
    vec3 c = albedo * (vec3(0.30, 0.34, 0.46) * sun + skylight + 0.03);
    float dist = length(v_world - u_eye);
    c = mix(c, vec3(0.035, 0.06, 0.12), 1.0 - exp(-dist / 9000.0));
    o_color = vec4(c, 1.0);
}
