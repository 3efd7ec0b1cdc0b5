#version 330 core
// The inner frustum part of a canvas (the vertex shader clipped the facets
// to it; the rest of the canvas is the outer content, already copied in).
// Every wall pixel knows its stage position W and shows the inner render
// at W's projection.
uniform mat4 u_inner_viewproj;
uniform sampler2D u_inner;
uniform vec2 u_inner_scale;     // rendered part of the inner texture
uniform vec2 u_inner_clamp;     // last texel centre of that part
in vec3 v_world;
out vec4 o_color;
void main()
{
    vec4 c = u_inner_viewproj * vec4(v_world, 1.0);
    vec2 uv = clamp((c.xy / c.w * 0.5 + 0.5) * u_inner_scale, vec2(0.0), u_inner_clamp);
    o_color = vec4(texture(u_inner, uv).rgb, 1.0);
}
