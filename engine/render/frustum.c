/*
 * The frustum features drawn around the canvas pass of render.c: light
 * cards, each output's colour transform (and its C reference), images
 * shown in place of a canvas, and the renderer's frustum and colour
 * settings.
 */
#include "render_internal.h"

#include <math.h>
#include <string.h>

bool has_cards(const vl_frustum_settings *fs, bool over)
{
    for (int i = 0; i < fs->n_cards; i++)
        if (fs->cards[i].on && fs->cards[i].over == over)
            return true;
    return false;
}

void draw_cards(vl_renderer *r, bool over)
{
    const vl_frustum_settings *fs = &r->stage->frustum;
    glUseProgram(r->card_prog);
    glBindVertexArray(r->empty_vao);
    for (int i = 0; i < fs->n_cards; i++) {
        const vl_light_card *c = &fs->cards[i];
        if (!c->on || c->over != over || c->output < 0 || c->output >= r->stage->n_outputs ||
            !(c->w > 0 && c->h > 0))
            continue;
        const vl_target *t = canvas_target(r, c->output);
        vl_target_bind(t);
        float rgb[3];
        for (int k = 0; k < 3; k++)
            rgb[k] = (float)fmin(fmax(c->color[k] * c->intensity, 0.0), 1.0);
        glUniform4f(glGetUniformLocation(r->card_prog, "u_rect"), (float)c->x, (float)c->y, (float)c->w,
                    (float)c->h);
        glUniform2f(glGetUniformLocation(r->card_prog, "u_canvas_size"), (float)t->width, (float)t->height);
        glUniform3fv(glGetUniformLocation(r->card_prog, "u_color"), 1, rgb);
        glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    }
    glBindVertexArray(0);
}

static bool color_identity(const vl_output_color *c)
{
    bool id = c->brightness == 1 && c->transfer == VL_TRANSFER_SRGB;
    for (int i = 0; i < 9; i++)
        id &= c->matrix[i] == (i % 4 == 0 ? 1.0 : 0.0);
    return id;
}

void set_graded(vl_renderer *r, int i)
{
    output_state *o = &r->outputs[i];
    o->graded = !color_identity(&r->stage->outputs[i].color) &&
                ensure_target(&o->pre, o->canvas.width, o->canvas.height, false);
    if (!o->graded && o->pre.fbo)
        vl_target_free(&o->pre);
}

/* Output i, when it has a colour transform: its pre target through the
 * transform into its canvas. */
static void output_color(vl_renderer *r, int i)
{
    output_state *o = &r->outputs[i];
    const vl_output_color *c = &r->stage->outputs[i].color;
    if (!o->graded)
        return;
    GLuint prog = use_variant(r, (variant){ .kind = PROG_COLOR, .transfer = (int)c->transfer });
    if (!prog)
        return;
    float m[9];
    for (int k = 0; k < 9; k++)
        m[k] = (float)(c->brightness * c->matrix[k]);
    glUniformMatrix3fv(glGetUniformLocation(prog, "u_matrix"), 1, GL_TRUE, m);
    glUniform1f(glGetUniformLocation(prog, "u_white"), (float)(c->white_nits / 10000.0));
    glUniform1i(glGetUniformLocation(prog, "u_canvas"), 0);
    vl_target_bind(&o->canvas);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, o->pre.tex);
    glBindVertexArray(r->empty_vao);
    glDrawArrays(GL_TRIANGLES, 0, 3);
    glBindVertexArray(0);
}

void draw_output_color(vl_renderer *r)
{
    for (int i = 0; i < r->stage->n_outputs; i++)
        output_color(r, i);
}

void draw_image(vl_renderer *r, int i)
{
    const vl_target *img = &r->outputs[i].image, *t = canvas_target(r, i);
    if (!img->fbo)
        return;
    glBindFramebuffer(GL_READ_FRAMEBUFFER, img->fbo);
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, t->fbo);
    glBlitFramebuffer(0, 0, t->width, t->height, 0, 0, t->width, t->height, GL_COLOR_BUFFER_BIT, GL_NEAREST);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

void show_images(vl_renderer *r)
{
    for (int i = 0; i < r->stage->n_outputs; i++) {
        if (!r->outputs[i].image.fbo)
            continue;
        set_graded(r, i);
        draw_image(r, i);
        output_color(r, i);
    }
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

void vl_renderer_show_image(vl_renderer *r, int output, const uint8_t *rgba)
{
    if (output < 0 || output >= r->stage->n_outputs)
        return;
    output_state *o = &r->outputs[output];
    if (!rgba) {
        vl_target_free(&o->image);
        return;
    }
    if (!ensure_target(&o->image, o->canvas.width, o->canvas.height, false))
        return;
    /* Rows top first, as the canvas stores them. */
    glBindTexture(GL_TEXTURE_2D, o->image.tex);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, o->canvas.width, o->canvas.height, GL_RGBA,
                    GL_UNSIGNED_BYTE, rgba);
    set_graded(r, output);
    draw_image(r, output);
    output_color(r, output);
}

static double srgb_decode(double v)
{
    return v <= 0.04045 ? v / 12.92 : pow((v + 0.055) / 1.055, 2.4);
}

static double clamp01(double v)
{
    return fmin(fmax(v, 0.0), 1.0);
}

/* Linear light to signal, as encode() in color.frag. */
static double transfer_encode(const vl_output_color *c, double l)
{
    switch (c->transfer) {
    case VL_TRANSFER_BT709:
        l = clamp01(l);
        return l < 0.018 ? 4.5 * l : 1.099 * pow(l, 0.45) - 0.099;
    case VL_TRANSFER_PQ: {
        const double m1 = 2610.0 / 16384, m2 = 2523.0 / 4096 * 128;
        const double c1 = 3424.0 / 4096, c2 = 2413.0 / 4096 * 32, c3 = 2392.0 / 4096 * 32;
        double y = pow(clamp01(l * c->white_nits / 10000.0), m1);
        return pow((c1 + c2 * y) / (1 + c3 * y), m2);
    }
    case VL_TRANSFER_SRGB:
        break;
    }
    l = clamp01(l);
    return l <= 0.0031308 ? 12.92 * l : 1.055 * pow(l, 1 / 2.4) - 0.055;
}

void vl_output_color_apply(const vl_output_color *c, const double in[3], double out[3])
{
    double lin[3];
    for (int i = 0; i < 3; i++)
        lin[i] = srgb_decode(in[i]);
    for (int i = 0; i < 3; i++) {
        double l = 0;
        for (int j = 0; j < 3; j++)
            l += c->matrix[i * 3 + j] * lin[j];
        out[i] = clamp01(transfer_encode(c, c->brightness * l));
    }
}

const vl_frustum_settings *vl_renderer_frustum(const vl_renderer *r)
{
    return &r->stage->frustum;
}

void vl_renderer_set_frustum(vl_renderer *r, const vl_frustum_settings *f)
{
    vl_frustum_settings *s = &r->stage->frustum;
    bool eye_moved = memcmp(s->outer_eye, f->outer_eye, sizeof(s->outer_eye)) != 0;
    *s = *f;
    s->overscan = fmin(fmax(s->overscan, 0.0), 2.0);
    s->soft_edge = fmin(fmax(s->soft_edge, 0.0), 0.5);
    s->n_cards = s->n_cards < 0 ? 0 : s->n_cards > VL_MAX_LIGHT_CARDS ? VL_MAX_LIGHT_CARDS : s->n_cards;
    vl_chroma *k = &s->chroma;
    k->marker_spacing_px = k->marker_spacing_px < 4 ? 4 : k->marker_spacing_px > 4096 ? 4096 : k->marker_spacing_px;
    k->marker_size_px = k->marker_size_px < 2 ? 2 : k->marker_size_px > k->marker_spacing_px ?
                        k->marker_spacing_px : k->marker_size_px;
    if (eye_moved) {
        /* The cube is drawn from the outer eye; a frozen outer keeps the
         * old view until unfrozen. */
        r->outer_scene = NULL;
        r->outer_stale = true;
    }
}

void vl_renderer_set_output_color(vl_renderer *r, int output, const vl_output_color *c)
{
    if (output < 0 || output >= r->stage->n_outputs)
        return;
    vl_output_color *d = &r->stage->outputs[output].color;
    *d = *c;
    d->brightness = fmin(fmax(d->brightness, 0.0), 10.0);
    d->white_nits = fmin(fmax(d->white_nits, 1.0), 10000.0);
    if ((unsigned)d->transfer > VL_TRANSFER_PQ)
        d->transfer = VL_TRANSFER_SRGB;
}
