#version 330 core
// Full-screen triangle; v_dir is the stage-space view direction of each
// pixel, from the inverse of projection * view rotation.
uniform mat4 u_inv_viewproj;
out vec3 v_dir;
void main()
{
    vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2)) * 2.0 - 1.0;
    vec4 d = u_inv_viewproj * vec4(p, 1.0, 1.0);
    v_dir = d.xyz / d.w;
    gl_Position = vec4(p, 0.0, 1.0);
}
