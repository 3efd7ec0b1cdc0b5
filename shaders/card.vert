#version 330 core
// A light card: a rectangle in canvas pixels (x, y, width, height; (0,0)
// the canvas's top-left corner) drawn as a 4-vertex triangle strip with no
// vertex data. Canvas row 0 goes to NDC y = -1, as in canvas.vert.
uniform vec4 u_rect;
uniform vec2 u_canvas_size;
void main()
{
    vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
    gl_Position = vec4((u_rect.xy + corner * u_rect.zw) / u_canvas_size * 2.0 - 1.0, 0.0, 1.0);
}
