/*
 * Calibration test patterns (see pattern.h), drawn with plain loops into
 * an RGBA image: they are drawn once, not per frame, so clarity beats
 * speed. Text comes from stb_easy_font (segments as axis-aligned quads),
 * AprilTags from libapriltag's own picture of each code.
 */
#include "pattern.h"

#include <apriltag/apriltag.h>
#include <apriltag/tag36h11.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* stb_easy_font is all static functions; volym uses two of them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb/stb_easy_font.h>
#pragma GCC diagnostic pop

#define LOG "pattern"
#define TAG36H11_CODES 587      /* the family's code count (tag36h11.c) */

const char *const vl_pattern_names[VL_PATTERN_N] = {
    [VL_PATTERN_GRID] = "grid", [VL_PATTERN_CROSSHAIR] = "crosshair",
    [VL_PATTERN_BARS] = "bars", [VL_PATTERN_APRILTAG] = "apriltag",
};

bool vl_pattern_parse(const char *name, enum vl_pattern_kind *out)
{
    for (int i = 0; name && i < VL_PATTERN_N; i++)
        if (!strcmp(name, vl_pattern_names[i])) {
            *out = (enum vl_pattern_kind)i;
            return true;
        }
    return false;
}

/* ---- drawing into the canvas image ---------------------------------------- */

typedef struct canvas {
    uint8_t *rgba;
    int w, h;
    int clip[4];                /* x0, y0, x1, y1 (exclusive): what drawing may touch */
} canvas;

static const uint8_t WHITE[3] = { 255, 255, 255 }, BLACK[3] = { 0, 0, 0 };

/* The rectangle [x0, x1) x [y0, y1), clipped. */
static void fill(canvas *c, int x0, int y0, int x1, int y1, const uint8_t rgb[3])
{
    x0 = x0 > c->clip[0] ? x0 : c->clip[0];
    y0 = y0 > c->clip[1] ? y0 : c->clip[1];
    x1 = x1 < c->clip[2] ? x1 : c->clip[2];
    y1 = y1 < c->clip[3] ? y1 : c->clip[3];
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            uint8_t *p = c->rgba + ((size_t)y * c->w + x) * 4;
            p[0] = rgb[0], p[1] = rgb[1], p[2] = rgb[2], p[3] = 255;
        }
}

/* Text at an integer scale with the top-left of its glyphs' bounding box at
 * (x, y); draw false only measures. size gets the box's width and height. */
static void text(canvas *c, int x, int y, int scale, const char *str, const uint8_t rgb[3], bool draw,
                 int size[2])
{
    char s[VL_NAME_MAX + 16];
    snprintf(s, sizeof(s), "%s", str);
    for (char *p = s; *p; p++)      /* the font knows printable ASCII only */
        if (*p < 32 || *p > 126)
            *p = '?';
    int bytes = (int)sizeof(s) * 320;      /* stb: ~270 bytes a character */
    char *q = vl_xmalloc((size_t)bytes);
    int n = stb_easy_font_print(0, 0, s, NULL, q, bytes);
    float lo[2] = { 1e9f, 1e9f }, hi[2] = { -1e9f, -1e9f };
    for (int i = 0; i < n * 4; i++) {
        const float *v = (const float *)(q + i * 16);
        for (int k = 0; k < 2; k++) {
            lo[k] = v[k] < lo[k] ? v[k] : lo[k];
            hi[k] = v[k] > hi[k] ? v[k] : hi[k];
        }
    }
    size[0] = n ? (int)(hi[0] - lo[0]) * scale : 0;
    size[1] = n ? (int)(hi[1] - lo[1]) * scale : 0;
    for (int i = 0; draw && i < n; i++) {
        /* A quad's corners 0 and 2 are opposite. */
        const float *a = (const float *)(q + i * 64), *b = (const float *)(q + i * 64 + 32);
        fill(c, x + (int)(a[0] - lo[0]) * scale, y + (int)(a[1] - lo[1]) * scale,
             x + (int)(b[0] - lo[0]) * scale, y + (int)(b[1] - lo[1]) * scale, rgb);
    }
    free(q);
}

/* The largest scale (1 .. most) at which str fits in w x h; 0 if none does. */
static int text_scale(const char *str, int w, int h, int most)
{
    int size[2];
    text(NULL, 0, 0, 1, str, NULL, false, size);
    int k = most;
    while (k > 0 && (size[0] * k > w || size[1] * k > h))
        k--;
    return k;
}

/* ---- the patterns --------------------------------------------------------- */

static void draw_grid(canvas *c, const vl_section *s, int x0, int y0)
{
    static const uint8_t label[3] = { 200, 200, 200 }, yellow[3] = { 255, 220, 0 };
    int pw = s->panel_px_w, ph = s->panel_px_h, size[2];
    fill(c, x0, y0, x0 + vl_section_width_px(s), y0 + vl_section_height_px(s), BLACK);
    for (int row = 0; row < s->rows; row++)
        for (int col = 0; col < s->cols; col++) {
            int px = x0 + col * pw, py = y0 + row * ph;
            fill(c, px, py, px + pw, py + 1, WHITE);
            fill(c, px, py + ph - 1, px + pw, py + ph, WHITE);
            fill(c, px, py, px + 1, py + ph, WHITE);
            fill(c, px + pw - 1, py, px + pw, py + ph, WHITE);
            char num[32];
            snprintf(num, sizeof(num), "%d,%d", col, row);
            int margin = pw / 16 > 2 ? pw / 16 : 2;
            int k = text_scale(num, pw - 2 * margin, ph / 4, 4);
            if (k)
                text(c, px + margin, py + margin, k, num, label, true, size);
        }
    int w = vl_section_width_px(s), h = vl_section_height_px(s);
    int k = text_scale(s->name, w * 3 / 5, h / 4, 8);
    if (k) {
        text(c, 0, 0, k, s->name, NULL, false, size);
        text(c, x0 + (w - size[0]) / 2, y0 + (h - size[1]) / 2, k, s->name, yellow, true, size);
    }
}

/* Arm length of the crosshair pattern's Ls. */
static int crosshair_arm(const vl_section *s)
{
    int m = s->panel_px_w < s->panel_px_h ? s->panel_px_w : s->panel_px_h;
    return m / 8 > 2 ? m / 8 : 2;
}

static void draw_crosshair(canvas *c, const vl_section *s, int x0, int y0)
{
    int pw = s->panel_px_w, ph = s->panel_px_h, a = crosshair_arm(s);
    fill(c, x0, y0, x0 + vl_section_width_px(s), y0 + vl_section_height_px(s), BLACK);
    for (int row = 0; row < s->rows; row++)
        for (int col = 0; col < s->cols; col++) {
            int l = x0 + col * pw, t = y0 + row * ph, r = l + pw, b = t + ph;
            fill(c, l, t, l + a, t + 1, WHITE);     /* top-left */
            fill(c, l, t, l + 1, t + a, WHITE);
            fill(c, r - a, t, r, t + 1, WHITE);     /* top-right */
            fill(c, r - 1, t, r, t + a, WHITE);
            fill(c, l, b - 1, l + a, b, WHITE);     /* bottom-left */
            fill(c, l, b - a, l + 1, b, WHITE);
            fill(c, r - a, b - 1, r, b, WHITE);     /* bottom-right */
            fill(c, r - 1, b - a, r, b, WHITE);
        }
}

static void draw_bars(canvas *c, const vl_section *s, int x0, int y0)
{
    static const uint8_t top[7][3] = { { 191, 191, 191 }, { 191, 191, 0 }, { 0, 191, 191 }, { 0, 191, 0 },
                                       { 191, 0, 191 }, { 191, 0, 0 }, { 0, 0, 191 } };
    static const uint8_t strip[7][3] = { { 0, 0, 191 }, { 0 }, { 191, 0, 191 }, { 0 }, { 0, 191, 191 }, { 0 },
                                         { 191, 191, 191 } };
    /* -I, white, +Q, black in quarters of the first 5 bars' width. */
    static const uint8_t bottom[4][3] = { { 0, 33, 76 }, { 255, 255, 255 }, { 50, 0, 106 }, { 0 } };
    static const uint8_t pluge[3][3] = { { 10, 10, 10 }, { 0, 0, 0 }, { 31, 31, 31 } };
    int w = vl_section_width_px(s), h = vl_section_height_px(s);
    int y1 = 2 * h / 3, y2 = 3 * h / 4;
    for (int k = 0; k < 7; k++) {
        fill(c, x0 + k * w / 7, y0, x0 + (k + 1) * w / 7, y0 + y1, top[k]);
        fill(c, x0 + k * w / 7, y0 + y1, x0 + (k + 1) * w / 7, y0 + y2, strip[k]);
    }
    for (int k = 0; k < 4; k++)
        fill(c, x0 + k * 5 * w / 28, y0 + y2, x0 + (k + 1) * 5 * w / 28, y0 + h, bottom[k]);
    for (int k = 0; k < 3; k++)
        fill(c, x0 + (15 + k) * w / 21, y0 + y2, x0 + (16 + k) * w / 21, y0 + h, pluge[k]);
    fill(c, x0 + 6 * w / 7, y0 + y2, x0 + w, y0 + h, BLACK);
}

/* Pixels per tag cell and where the black square's top-left lies in its
 * panel (section pixels from the panel's top-left). */
static int tag_cell(const vl_section *s, int *ox, int *oy)
{
    int m = s->panel_px_w < s->panel_px_h ? s->panel_px_w : s->panel_px_h;
    int cell = m / 10 > 1 ? m / 10 : 1;     /* 8 cells within 80 %: floor(0.8 m / 8) */
    *ox = (s->panel_px_w - 8 * cell) / 2;
    *oy = (s->panel_px_h - 8 * cell) / 2;
    return cell;
}

static void draw_apriltags(canvas *c, const vl_stage *stage, int output)
{
    int n = vl_pattern_markers(stage, NULL, 0);
    vl_marker *m = vl_xcalloc(n ? n : 1, sizeof(*m));
    vl_pattern_markers(stage, m, n);
    apriltag_family_t *fam = tag36h11_create();
    int border = (fam->total_width - fam->width_at_border) / 2;     /* the white ring, in cells */
    for (int i = 0; i < n; i++) {
        const vl_section *s = &stage->sections[m[i].section];
        if (s->output != output || m[i].id >= (int)fam->ncodes)
            continue;
        int ox, oy, cell = tag_cell(s, &ox, &oy);
        int x0 = s->canvas_x + (int)m[i].corner_px[3][0] - border * cell;
        int y0 = s->canvas_y + (int)m[i].corner_px[3][1] - border * cell;
        image_u8_t *img = apriltag_to_image(fam, m[i].id);
        for (int ty = 0; ty < img->height; ty++)
            for (int tx = 0; tx < img->width; tx++) {
                uint8_t v = img->buf[ty * img->stride + tx];
                const uint8_t rgb[3] = { v, v, v };
                fill(c, x0 + tx * cell, y0 + ty * cell, x0 + (tx + 1) * cell, y0 + (ty + 1) * cell, rgb);
            }
        /* image_u8_destroy is not exported by the library; its image is
         * two calloc blocks. */
        free(img->buf);
        free(img);
    }
    tag36h11_destroy(fam);
    free(m);
}

void vl_pattern_draw(const vl_stage *stage, int output, enum vl_pattern_kind kind, uint8_t *rgba)
{
    if (output < 0 || output >= stage->n_outputs)
        return;
    const vl_output *o = &stage->outputs[output];
    canvas c = { rgba, o->width, o->height, { 0, 0, o->width, o->height } };
    const uint8_t grey[3] = { VL_PATTERN_OUTSIDE, VL_PATTERN_OUTSIDE, VL_PATTERN_OUTSIDE };
    fill(&c, 0, 0, o->width, o->height, grey);
    for (int i = 0; i < stage->n_sections; i++) {
        const vl_section *s = &stage->sections[i];
        if (s->output != output)
            continue;
        int x0 = s->canvas_x, y0 = s->canvas_y;
        /* Nothing a section draws spills into its neighbour's rectangle. */
        int x1 = x0 + vl_section_width_px(s), y1 = y0 + vl_section_height_px(s);
        c.clip[0] = x0 > 0 ? x0 : 0;
        c.clip[1] = y0 > 0 ? y0 : 0;
        c.clip[2] = x1 < o->width ? x1 : o->width;
        c.clip[3] = y1 < o->height ? y1 : o->height;
        switch (kind) {
        case VL_PATTERN_GRID: draw_grid(&c, s, x0, y0); break;
        case VL_PATTERN_CROSSHAIR: draw_crosshair(&c, s, x0, y0); break;
        case VL_PATTERN_BARS: draw_bars(&c, s, x0, y0); break;
        case VL_PATTERN_APRILTAG: fill(&c, x0, y0, x1, y1, WHITE); break;
        case VL_PATTERN_N: break;
        }
    }
    if (kind == VL_PATTERN_APRILTAG) {
        c.clip[0] = c.clip[1] = 0;
        c.clip[2] = o->width;
        c.clip[3] = o->height;
        draw_apriltags(&c, stage, output);
    }
}

/* ---- markers -------------------------------------------------------------- */

int vl_pattern_markers(const vl_stage *stage, vl_marker *out, int max)
{
    int n = 0;
    for (int i = 0; i < stage->n_sections; i++) {
        const vl_section *s = &stage->sections[i];
        int ox, oy, cell = tag_cell(s, &ox, &oy);
        double q = 8.0 * cell;
        for (int row = 0; row < s->rows; row++)
            for (int col = 0; col < s->cols && n < TAG36H11_CODES; col++, n++) {
                if (n >= max)
                    continue;
                vl_marker *m = &out[n];
                *m = (vl_marker){ .id = n, .section = i, .col = col, .row = row };
                double l = (double)col * s->panel_px_w + ox, t = (double)row * s->panel_px_h + oy;
                /* libapriltag's order for an upright tag: bottom-left,
                 * bottom-right, top-right, top-left. */
                const double px[4][2] = { { l, t + q }, { l + q, t + q }, { l + q, t }, { l, t } };
                memcpy(m->corner_px, px, sizeof(px));
                for (int k = 0; k < 4; k++)
                    vl_section_pixel_to_stage(s, px[k][0], px[k][1], m->corner_stage[k]);
                vl_section_pixel_to_stage(s, l + q / 2, t + q / 2, m->centre_stage);
            }
    }
    return n;
}

static json_t *point(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

char *vl_pattern_markers_json(const vl_stage *stage)
{
    int n = vl_pattern_markers(stage, NULL, 0);
    vl_marker *m = vl_xcalloc(n ? n : 1, sizeof(*m));
    vl_pattern_markers(stage, m, n);
    json_t *list = json_array();
    for (int i = 0; i < n; i++) {
        json_t *px = json_array(), *st = json_array();
        for (int k = 0; k < 4; k++) {
            json_array_append_new(px, point(m[i].corner_px[k], 2));
            json_array_append_new(st, point(m[i].corner_stage[k], 3));
        }
        json_array_append_new(list, json_pack("{s:i, s:s, s:[i,i], s:o, s:o, s:o}", "id", m[i].id,
                                              "section", stage->sections[m[i].section].name,
                                              "panel", m[i].col, m[i].row, "corners_px", px,
                                              "corners", st, "centre", point(m[i].centre_stage, 3)));
    }
    json_t *root = json_pack("{s:s, s:o}", "family", "tag36h11", "markers", list);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
    json_decref(root);
    free(m);
    if (!text)
        VL_ERR(LOG, "cannot write the markers of stage %s as JSON", stage->name);
    return text;
}
