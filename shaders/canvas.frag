#version 330 core
// Every wall pixel knows its stage position W. Inside the tracked camera's
// inner frustum it shows the inner render at W's projection; elsewhere the
// outer content: the scene seen from the outer viewpoint along W - eye.
uniform mat4 u_inner_viewproj;
uniform sampler2D u_inner;
uniform samplerCube u_outer;
uniform vec3 u_outer_eye;
in vec3 v_world;
out vec4 o_color;
void main()
{
    vec4 c = u_inner_viewproj * vec4(v_world, 1.0);
    if (c.w > 0.0) {
        vec2 ndc = c.xy / c.w;
        if (all(lessThanEqual(abs(ndc), vec2(1.0)))) {
            o_color = vec4(texture(u_inner, ndc * 0.5 + 0.5).rgb, 1.0);
            return;
        }
    }
    o_color = vec4(texture(u_outer, normalize(v_world - u_outer_eye)).rgb, 1.0);
}
