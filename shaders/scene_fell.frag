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
    // The frozen lake: darker, smoother ice that mirrors a little aurora
    // green, with wind-blown snow streaks.
    float r = length(v_world.xy);
    float lake = v_color.a > 0.5 ? 1.0 - smoothstep(180.0, 230.0, r) : 0.0;
    float streak = 0.5 + 0.5 * sin(v_world.x * 0.9 + 3.0 * sin(v_world.y * 0.15));
    c *= mix(1.0, 0.75 + 0.1 * streak, lake);
    c += lake * vec3(0.01, 0.07, 0.04) * smoothstep(10.0, 150.0, v_world.y)
         * (0.7 + 0.3 * sin(v_world.x * 0.02 + u_time * 0.05));
    float dist = length(v_world - u_eye);
    c = mix(c, vec3(0.035, 0.06, 0.12), 1.0 - exp(-dist / 9000.0));
    o_color = vec4(c, 1.0);
}
