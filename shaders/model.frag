#version 330 core
// A model surface: base colour times texture, Lambert under the same
// directional light and ambient as builtin:grid's pillars. Faces are
// two-sided (glTF doubleSided, OBJ files with any winding): the normal is
// turned towards the eye before lighting.
in vec3 v_world;
in vec3 v_normal;
in vec2 v_uv;
uniform vec3 u_eye;
uniform vec4 u_color;
uniform sampler2D u_tex;   // white when the material has no texture
out vec4 o_color;
void main()
{
    vec3 to_eye = u_eye - v_world;
    float len = length(v_normal);
    // A degenerate triangle can have no normal: light it as facing the eye.
    vec3 n = len > 1e-6 ? v_normal / len : normalize(to_eye);
    if (dot(n, to_eye) < 0.0)
        n = -n;
    float light = 0.45 + 0.55 * max(dot(n, normalize(vec3(-0.4, -0.6, 0.7))), 0.0);
    vec3 c = u_color.rgb * texture(u_tex, v_uv).rgb;
    o_color = vec4(c * light, 1.0);
}
