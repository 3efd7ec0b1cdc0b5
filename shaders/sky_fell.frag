#version 330 core
// builtin:fell sky: a Norrbotten winter night. Deep blue gradient, stars,
// and an aurora: curtains sampled at stacked heights above a flat earth,
// green at the foot, violet at the top, drifting slowly with time.
uniform float u_time;
in vec3 v_dir;
out vec4 o_color;

float hash(vec2 p)
{
    p = fract(p * vec2(123.34, 456.21));
    p += dot(p, p + 45.32);
    return fract(p.x * p.y);
}

float noise(vec2 p)
{
    vec2 i = floor(p), f = fract(p);
    vec2 u = f * f * (3.0 - 2.0 * f);
    return mix(mix(hash(i), hash(i + vec2(1, 0)), u.x),
               mix(hash(i + vec2(0, 1)), hash(i + vec2(1, 1)), u.x), u.y);
}

float curtain(vec2 p, float t)
{
    float y = p.y - 7.0 + 1.3 * sin(p.x * 0.23 + t * 0.05) + 0.6 * sin(p.x * 0.61 - t * 0.09)
            + 0.8 * (noise(vec2(p.x * 0.3, t * 0.02)) - 0.5);
    float band = exp(-y * y * 1.6);
    float rays = 0.55 + 0.45 * noise(vec2(p.x * 2.2 + t * 0.15, t * 0.05));
    return band * rays;
}

vec3 sky(vec3 d, float t)
{
    float e = max(d.z, 0.0);
    vec3 c = mix(vec3(0.035, 0.06, 0.12), vec3(0.004, 0.008, 0.025), pow(e, 0.45));
    // Stars: one candidate per cell of a direction grid, soft-edged.
    vec2 sp = vec2(atan(d.x, d.y) * 180.0, d.z * 360.0);
    vec2 cell = floor(sp), f = fract(sp) - 0.5;
    float h = hash(cell);
    if (h > 0.985 && d.z > 0.02)
        c += vec3(0.8, 0.85, 1.0) * (h - 0.985) * 50.0 * smoothstep(0.5, 0.0, length(f));
    // Aurora.
    if (d.z > 0.0) {
        vec3 acc = vec3(0.0);
        for (int i = 0; i < 12; i++) {
            float k = float(i) / 12.0;
            vec2 p = d.xy / d.z * (1.0 + k * 1.5);
            vec3 col = mix(vec3(0.1, 1.0, 0.45), vec3(0.6, 0.15, 0.85), k * k);
            acc += col * curtain(p, t) * (1.0 - k) * 0.32;
        }
        c += acc * smoothstep(0.0, 0.05, d.z);
    }
    return c;
}

void main()
{
    vec3 d = normalize(v_dir);
    vec3 c = sky(d, u_time);
    if (d.z < 0.0)
        c = vec3(0.035, 0.06, 0.12);
    o_color = vec4(c, 1.0);
}
