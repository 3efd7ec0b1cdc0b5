#version 330 core
// builtin:grid sky: an even grey-blue gradient with a marked horizon, so a
// tilt or a wrong horizon height shows at once.
in vec3 v_dir;
out vec4 o_color;
void main()
{
    vec3 d = normalize(v_dir);
    float e = d.z;
    vec3 zenith = vec3(0.20, 0.32, 0.55), horizon = vec3(0.70, 0.76, 0.82);
    vec3 c = e >= 0.0 ? mix(horizon, zenith, sqrt(e)) : vec3(0.25, 0.25, 0.27);
    // A thin orange horizon band with an anti-aliased edge.
    float w = fwidth(e);
    c = mix(c, vec3(1.0, 0.55, 0.1), clamp(1.0 - abs(e) / max(w * 1.5, 0.002), 0.0, 1.0));
    o_color = vec4(c, 1.0);
}
