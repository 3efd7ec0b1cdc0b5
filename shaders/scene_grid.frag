#version 330 core
// builtin:grid: material 1 is the floor with 1 m and 25 cm lines (fixed
// width in metres, box-filtered so they read the same at any distance);
// material 0 is a lit pillar with a dark band every 50 cm of height.
in vec3 v_world;
in vec3 v_normal;
in vec4 v_color;
out vec4 o_color;

float lines(vec2 p, float spacing, float width)
{
    vec2 fw = max(fwidth(p), vec2(1e-5));
    vec2 d = abs(fract(p / spacing + 0.5) - 0.5) * spacing;
    vec2 cov = clamp(0.5 + (0.5 * width - d) / fw, 0.0, 1.0) * min(vec2(1.0), width / fw);
    // Fade to the average where lines get finer than pixels (no moire).
    vec2 fade = 1.0 - smoothstep(0.15, 0.5, fw / spacing);
    return max(cov.x * fade.x, cov.y * fade.y);
}

void main()
{
    vec3 c;
    if (v_color.a > 0.5) {
        vec2 p = v_world.xy;
        c = vec3(0.32);
        c = mix(c, vec3(0.55), lines(p, 0.25, 0.01));
        c = mix(c, vec3(0.92), lines(p, 1.0, 0.025));
        // Stage axes: X red, Y green.
        vec2 fw = max(fwidth(p), vec2(1e-5));
        c = mix(c, vec3(0.9, 0.15, 0.1), clamp(0.5 + (0.03 - abs(p.y)) / fw.y, 0.0, 1.0));
        c = mix(c, vec3(0.1, 0.8, 0.2), clamp(0.5 + (0.03 - abs(p.x)) / fw.x, 0.0, 1.0));
        float dist = length(p);
        c = mix(c, vec3(0.62, 0.66, 0.70), smoothstep(40.0, 400.0, dist));
    } else {
        vec3 n = normalize(v_normal);
        float light = 0.45 + 0.55 * max(dot(n, normalize(vec3(-0.4, -0.6, 0.7))), 0.0);
        float fw = max(fwidth(v_world.z), 1e-5);
        float d = abs(fract(v_world.z / 0.5 + 0.5) - 0.5) * 0.5;
        float band = clamp(0.5 + (0.025 - d) / fw, 0.0, 1.0);
        c = v_color.rgb * light * (1.0 - 0.6 * band);
    }
    o_color = vec4(c, 1.0);
}
