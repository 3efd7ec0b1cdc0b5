#version 330 core
// A full-screen triangle with no vertex data; v_uv.y is flipped so a canvas
// stored top row first shows the right way up.
out vec2 v_uv;
void main()
{
    vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
    v_uv = vec2(p.x, 1.0 - p.y);
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
