/*
 * The preview and single-screen windows (see render.h): the stage view,
 * the camera view and output 0's canvas where vl_window_layout puts them,
 * and text over the stage view. The two views are rendered into targets
 * of their rects' sizes, which have depth (a window's own framebuffer may
 * have none), and blitted; the canvas is drawn scaled with the blit
 * program; boxes and text (stb_easy_font's quads) are flat geometry in
 * window pixels, one draw for all of them.
 */
#include "render_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Header-only and all static: the functions not used here would warn. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

#define BORDER_PX 2             /* around the picture in picture */
#define TEXT_PAD_PX 8           /* between a text box's edge and its text */
#define TEXT_MARGIN_PX 8        /* between the overlay's box and the stage view's corner */
#define FONT_QUADS_PER_CHAR 12  /* stb_easy_font draws at most 11 for one character */

/* stb_easy_font's pixels are this many window pixels: 1 in a window under
 * 540 pixels high, 2 up to 1440, then 3. */
static int text_scale(int height) { return height < 540 ? 1 : height < 1440 ? 2 : 3; }

/* The largest rect of `aspect` that fits box, centred in it. */
static vl_rect fit(vl_rect box, double aspect)
{
    if (!(aspect > 0) || box.w <= 0 || box.h <= 0)
        return box;
    vl_rect r = box;
    if (box.w > box.h * aspect)
        r.w = (int)fmax(lround(box.h * aspect), 1);
    else
        r.h = (int)fmax(lround(box.w / aspect), 1);
    r.x = box.x + (box.w - r.w) / 2;
    r.y = box.y + (box.h - r.h) / 2;
    return r;
}

void vl_window_layout(enum vl_window_layout layout, int width, int height, double canvas_aspect,
                      double camera_aspect, vl_rect *canvas, vl_rect *camera, vl_rect *stage)
{
    *canvas = *camera = *stage = (vl_rect){ 0 };
    if (width <= 0 || height <= 0)
        return;
    if (layout == VL_LAYOUT_SINGLE) {
        int half = width / 2;
        *canvas = fit((vl_rect){ 0, 0, half, height / 2 }, canvas_aspect);
        *camera = fit((vl_rect){ 0, height / 2, half, height - height / 2 }, camera_aspect);
        *stage = (vl_rect){ half, 0, width - half, height };
        return;
    }
    *stage = (vl_rect){ 0, 0, width, height };
    /* Held off the corner so that its border shows; narrower than a
     * quarter only in a window too short for that. */
    int margin = BORDER_PX + width / 128;
    vl_rect box = { 0, 0, width / 4, height - 2 * margin };
    if (box.h < 1)
        box.h = 1;
    *camera = fit(box, camera_aspect);
    camera->x = width - margin - camera->w;
    camera->y = height - margin - camera->h;
    if (camera->y < 0)
        camera->y = 0;
}

/* Two triangles over a rect (window pixels). */
static void push_rect(vertex_list *l, double x, double y, double w, double h, unsigned rgb)
{
    const double c[4][3] = { { x, y, 0 }, { x + w, y, 0 }, { x + w, y + h, 0 }, { x, y + h, 0 } };
    static const int order[6] = { 0, 1, 2, 0, 2, 3 };
    for (int k = 0; k < 6; k++)
        push_vertex(l, c[order[k]], rgb);
}

/* Text in its box, the box's top-left at (x, y), or centred on area when
 * centred is true. Characters stb_easy_font has no glyph for show as '?'. */
static void push_text(vl_renderer *r, const char *text, vl_rect area, bool centred)
{
    size_t n = strlen(text);
    if (n + 1 > r->text_cap) {
        r->text_cap = n + 1;
        r->text = vl_xrealloc(r->text, r->text_cap);
        r->font_cap = r->text_cap * FONT_QUADS_PER_CHAR * 64;    /* 4 vertices of 16 bytes */
        r->font_quads = vl_xrealloc(r->font_quads, r->font_cap);
    }
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)text[i];
        r->text[i] = c == '\n' || c == '\0' || (c >= 32 && c < 127) ? (char)c : '?';
    }
    const int scale = text_scale(area.h);
    int w = stb_easy_font_width(r->text) * scale + 2 * TEXT_PAD_PX;
    int h = stb_easy_font_height(r->text) * scale + 2 * TEXT_PAD_PX;
    int x = area.x + TEXT_MARGIN_PX, y = area.y + TEXT_MARGIN_PX;
    if (centred) {
        x = area.x + (area.w - w) / 2;
        y = area.y + (area.h - h) / 2;
    }
    push_rect(&r->tris, x, y, w, h, VL_WINDOW_TEXT_BOX);
    int quads = stb_easy_font_print(0, 0, r->text, NULL, r->font_quads, (int)r->font_cap);
    const float *q = r->font_quads;
    for (int i = 0; i < quads; i++, q += 16) {      /* x, y, z, colour: 4 floats a vertex */
        double x0 = x + TEXT_PAD_PX + q[0] * scale, y0 = y + TEXT_PAD_PX + q[1] * scale;
        double x1 = x + TEXT_PAD_PX + q[8] * scale, y1 = y + TEXT_PAD_PX + q[9] * scale;
        push_rect(&r->tris, x0, y0, x1 - x0, y1 - y0, VL_WINDOW_TEXT);
    }
}

/* A target's picture into rect d of the bound draw framebuffer, height
 * pixels high (GL counts rows from the bottom). Same size: no filtering. */
static void blit_to(const vl_target *t, vl_rect d, int height)
{
    glBindFramebuffer(GL_READ_FRAMEBUFFER, t->fbo);
    glBlitFramebuffer(0, 0, t->width, t->height, d.x, height - d.y - d.h, d.x + d.w, height - d.y,
                      GL_COLOR_BUFFER_BIT, GL_NEAREST);
}

void vl_renderer_draw_window(vl_renderer *r, const vl_window_view *v, unsigned fbo, int width,
                             int height)
{
    const vl_output *o = &r->stage->outputs[0];
    const vl_camera *cam = v->stage.cam;
    vl_rect canvas, camera, stage;
    vl_window_layout(v->layout, width, height, (double)o->width / o->height,
                     (double)cam->width / cam->height, &canvas, &camera, &stage);
    if (stage.w <= 0 || stage.h <= 0)
        return;

    /* The two views into their own targets. */
    bool has_stage = ensure_target(&r->win_stage, stage.w, stage.h, true);
    if (has_stage) {
        vl_target_bind(&r->win_stage);
        draw_stage_view(r, &v->stage, stage.w, stage.h);
    }
    bool has_camera = camera.w > 0 && camera.h > 0 && ensure_target(&r->win_camera, camera.w, camera.h, true);
    if (has_camera) {
        vl_target_bind(&r->win_camera);
        clear_opaque(0x000000, GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
        draw_camera_view(r, cam);
        glDisable(GL_DEPTH_TEST);
    }

    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glViewport(0, 0, width, height);
    clear_opaque(VL_STAGE_VIEW_BACKGROUND, GL_COLOR_BUFFER_BIT);
    if (has_stage)
        blit_to(&r->win_stage, stage, height);
    if (has_camera)
        blit_to(&r->win_camera, camera, height);
    if (canvas.w > 0 && canvas.h > 0) {
        /* Output 0's signal, as its LED window shows it. */
        glViewport(canvas.x, height - canvas.y - canvas.h, canvas.w, canvas.h);
        glUseProgram(r->blit_prog);
        glActiveTexture(GL_TEXTURE0);
        glBindTexture(GL_TEXTURE_2D, r->outputs[0].canvas.tex);
        glBindVertexArray(r->empty_vao);
        glDrawArrays(GL_TRIANGLES, 0, 3);
        glBindVertexArray(0);
        glViewport(0, 0, width, height);
    }

    /* The picture in picture's border (four bars), the text boxes and
     * their text, in window pixels; the text kept to the stage view. */
    r->tris.n = 0;
    if (v->layout == VL_LAYOUT_PREVIEW && has_camera) {
        const int b = BORDER_PX;
        push_rect(&r->tris, camera.x - b, camera.y - b, camera.w + 2 * b, b, VL_WINDOW_BORDER);
        push_rect(&r->tris, camera.x - b, camera.y + camera.h, camera.w + 2 * b, b, VL_WINDOW_BORDER);
        push_rect(&r->tris, camera.x - b, camera.y, b, camera.h, VL_WINDOW_BORDER);
        push_rect(&r->tris, camera.x + camera.w, camera.y, b, camera.h, VL_WINDOW_BORDER);
    }
    if (v->overlay)
        push_text(r, v->overlay, stage, false);
    if (v->help)
        push_text(r, v->help, stage, true);
    const float px[16] = { 2.0f / width, 0, 0, 0, 0, -2.0f / height, 0, 0,
                           0, 0, 1, 0, -1, 1, 0, 1 };
    if (r->tris.n && use_line_prog(r, px)) {
        glEnable(GL_SCISSOR_TEST);
        glScissor(stage.x, height - stage.y - stage.h, stage.w, stage.h);
        draw_flat(r, &r->tris, GL_TRIANGLES);
        glDisable(GL_SCISSOR_TEST);
    }
    glUseProgram(0);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
}

void vl_renderer_window_view(vl_renderer *r, const vl_window_view *v, int width, int height,
                             uint8_t *rgba)
{
    if (!ensure_target(&r->win, width, height, false))
        return;
    vl_renderer_draw_window(r, v, r->win.fbo, width, height);
    glBindFramebuffer(GL_FRAMEBUFFER, r->win.fbo);
    vl_gl_read_rgba(width, height, true, rgba);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
}
