#version 330 core
// A section facet drawn in canvas pixels. Canvas row 0 (the top) goes to
// NDC y = -1 so the texture is stored top row first, as LED processors and
// PNGs count rows. With u_clip_inner the facet is clipped to the inner
// frustum: its clip-space planes are linear in W, so the clipping is exact.
// (The uniform, not only GL_CLIP_DISTANCEi, turns it off: Mesa's llvmpipe
// clips by written distances even when they are disabled.)
layout(location = 0) in vec2 a_canvas;
layout(location = 1) in vec3 a_world;
uniform vec2 u_canvas_size;
uniform mat4 u_inner_viewproj;
uniform bool u_clip_inner;
out vec3 v_world;
void main()
{
    v_world = a_world;
    vec4 c = u_inner_viewproj * vec4(a_world, 1.0);
    gl_ClipDistance[0] = u_clip_inner ? c.w - c.x : 1.0;
    gl_ClipDistance[1] = u_clip_inner ? c.w + c.x : 1.0;
    gl_ClipDistance[2] = u_clip_inner ? c.w - c.y : 1.0;
    gl_ClipDistance[3] = u_clip_inner ? c.w + c.y : 1.0;
    gl_Position = vec4(a_canvas / u_canvas_size * 2.0 - 1.0, 0.0, 1.0);
}
