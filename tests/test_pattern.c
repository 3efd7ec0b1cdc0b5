/*
 * Calibration test patterns: libapriltag finds every AprilTag of the
 * apriltag pattern with the id and corners vl_pattern_markers says, on the
 * canvas (the default stage and a stage of two outputs and three sections)
 * and in what a camera 4 m from the wall films of it (the renderer's camera
 * view of vl_renderer_show_image). The crosshair, grid and bars patterns
 * light the pixels worked out here by hand. Built-in negative controls:
 * corners taken in the wrong order, markers shifted by one panel and a
 * crosshair one pixel off must all fail the same measures.
 */
#include "check.h"
#include "render/render.h"
#include "stage/pattern.h"
#include "stage/stage.h"

#include <apriltag/apriltag.h>
#include <apriltag/tag36h11.h>
#include <stdlib.h>
#include <string.h>

/* Two outputs; on the first a flat section and a curved one of non-square
 * panels at a canvas offset, on the second a ceiling. */
static const char *const two_outputs_json =
    "{ \"name\": \"two\", \"rate\": \"25\",\n"
    "  \"outputs\": [ { \"name\": \"a\", \"width\": 1280, \"height\": 720 },\n"
    "                 { \"name\": \"b\", \"width\": 800, \"height\": 600 } ],\n"
    "  \"sections\": [\n"
    "    { \"name\": \"left\", \"output\": \"a\", \"canvas\": [0, 0], \"panel_mm\": [400, 400],\n"
    "      \"panel_px\": [128, 128], \"grid\": [4, 2], \"position\": [-2, 4, 2] },\n"
    "    { \"name\": \"right\", \"output\": \"a\", \"canvas\": [600, 300], \"panel_mm\": [300, 400],\n"
    "      \"panel_px\": [96, 128], \"grid\": [3, 3], \"position\": [0, 4, 2], \"curve_deg\": 10 },\n"
    "    { \"name\": \"ceiling\", \"output\": \"b\", \"canvas\": [100, 50], \"panel_mm\": [500, 500],\n"
    "      \"panel_px\": [120, 120], \"grid\": [5, 3], \"position\": [-1.25, 2, 3],\n"
    "      \"rotation\": [0, 90, 0] } ] }";

static int total_panels(const vl_stage *st)
{
    int n = 0;
    for (int i = 0; i < st->n_sections; i++)
        n += st->sections[i].cols * st->sections[i].rows;
    return n;
}

static uint8_t *draw(const vl_stage *st, int output, enum vl_pattern_kind kind)
{
    const vl_output *o = &st->outputs[output];
    uint8_t *rgba = malloc((size_t)o->width * o->height * 4);
    vl_pattern_draw(st, output, kind, rgba);
    return rgba;
}

static const uint8_t *px(const uint8_t *rgba, int w, int x, int y)
{
    return rgba + ((size_t)y * w + x) * 4;
}

static bool is_rgb(const uint8_t *p, int r, int g, int b)
{
    return p[0] == r && p[1] == g && p[2] == b && p[3] == 255;
}

/* ---- AprilTag detection --------------------------------------------------- */

static apriltag_detector_t *make_detector(apriltag_family_t *fam)
{
    apriltag_detector_t *td = apriltag_detector_create();
    apriltag_detector_add_family(td, fam);
    td->quad_decimate = 1;      /* full resolution: corner accuracy, not speed */
    td->nthreads = 2;
    return td;
}

/* How the detections in an RGBA picture compare with where markers should
 * be: want[i][k] the image position of marker i's corner k (NAN: marker i
 * is not (wholly) in the picture, its detections are ignored). err[i] gets
 * the largest corner distance of marker i's detection (NAN: not found);
 * returns the stray detections: unknown ids, duplicates, hamming > 0. */
static int compare_tags(apriltag_detector_t *td, const uint8_t *rgba, int w, int h, int n,
                        double (*want)[4][2], double *err)
{
    uint8_t *grey = malloc((size_t)w * h);
    for (long i = 0; i < (long)w * h; i++)
        grey[i] = (uint8_t)((rgba[i * 4] + 2 * rgba[i * 4 + 1] + rgba[i * 4 + 2]) / 4);
    image_u8_t im = { .width = w, .height = h, .stride = w, .buf = grey };
    zarray_t *dets = apriltag_detector_detect(td, &im);
    int stray = 0;
    for (int i = 0; i < n; i++)
        err[i] = NAN;
    for (int d = 0; d < zarray_size(dets); d++) {
        apriltag_detection_t *det;
        zarray_get(dets, d, &det);
        int id = det->id;
        if (id >= 0 && id < n && isnan(want[id][0][0]))
            continue;           /* partly out of the picture */
        if (id < 0 || id >= n || !isnan(err[id]) || det->hamming) {
            stray++;
            continue;
        }
        double e = 0;
        for (int k = 0; k < 4; k++)
            e = fmax(e, hypot(det->p[k][0] - want[id][k][0], det->p[k][1] - want[id][k][1]));
        err[id] = e;
    }
    apriltag_detections_destroy(dets);
    free(grey);
    return stray;
}

typedef struct tag_figures {
    int wanted, found, within;  /* within: found with every corner within the tolerance */
    double max_err, sum_err;
} tag_figures;

static tag_figures figures(const double *err, double (*want)[4][2], int n, double tol)
{
    tag_figures f = { 0 };
    for (int i = 0; i < n; i++) {
        if (isnan(want[i][0][0]))
            continue;
        f.wanted++;
        if (isnan(err[i]))
            continue;
        f.found++;
        f.within += err[i] <= tol;
        f.max_err = fmax(f.max_err, err[i]);
        f.sum_err += err[i];
    }
    return f;
}

/* Marker corners on output `output`'s canvas; rotate turns the corner
 * order, shift takes each marker's corners from the next marker (both
 * negative controls). */
static void canvas_corners(const vl_stage *st, const vl_marker *m, int n, int output, int rotate,
                           int shift, double (*want)[4][2])
{
    for (int i = 0; i < n; i++) {
        const vl_marker *src = &m[(i + shift) % n];
        const vl_section *s = &st->sections[src->section];
        for (int k = 0; k < 4; k++) {
            bool on = st->sections[m[i].section].output == output && s->output == output;
            want[i][k][0] = on ? s->canvas_x + src->corner_px[(k + rotate) % 4][0] : NAN;
            want[i][k][1] = on ? s->canvas_y + src->corner_px[(k + rotate) % 4][1] : NAN;
        }
    }
}

static void check_markers(const vl_stage *st, const vl_marker *m, int n)
{
    CHECK(n == total_panels(st));
    bool ids_ok = true, stage_ok = true;
    for (int i = 0; i < n; i++) {
        ids_ok &= m[i].id == i;     /* 0, 1, 2 ... : unique */
        const vl_section *s = &st->sections[m[i].section];
        double c[3] = { 0 };
        for (int k = 0; k < 4; k++) {
            double w[3];
            vl_section_pixel_to_stage(s, m[i].corner_px[k][0], m[i].corner_px[k][1], w);
            for (int j = 0; j < 3; j++) {
                stage_ok &= w[j] == m[i].corner_stage[k][j];
                c[j] += m[i].corner_stage[k][j] / 4;
            }
        }
        for (int j = 0; j < 3; j++)     /* a panel is flat: the centre is the corners' mean */
            stage_ok &= fabs(c[j] - m[i].centre_stage[j]) < 1e-9;
        /* Section order, then row-major panels. */
        if (i > 0) {
            const vl_marker *p = &m[i - 1];
            ids_ok &= m[i].section > p->section ||
                      (m[i].section == p->section && (m[i].row > p->row ||
                                                      (m[i].row == p->row && m[i].col == p->col + 1)));
        }
    }
    CHECK(ids_ok);
    CHECK(stage_ok);
}

/* Tags on every canvas of the stage: found, with the right ids and corners. */
static void check_canvas_tags(const char *name, const vl_stage *st, apriltag_detector_t *td)
{
    int n = vl_pattern_markers(st, NULL, 0);
    vl_marker *m = calloc(n, sizeof(*m));
    CHECK(vl_pattern_markers(st, m, n) == n);
    check_markers(st, m, n);
    double (*want)[4][2] = malloc(n * sizeof(*want)), *err = malloc(n * sizeof(double));
    int found = 0, wrong_order = 0, shifted = 0;
    double worst = 0;
    for (int o = 0; o < st->n_outputs; o++) {
        const vl_output *out = &st->outputs[o];
        uint8_t *rgba = draw(st, o, VL_PATTERN_APRILTAG);
        canvas_corners(st, m, n, o, 0, 0, want);
        int stray = compare_tags(td, rgba, out->width, out->height, n, want, err);
        tag_figures f = figures(err, want, n, 0.5);
        CHECK(stray == 0);
        CHECK(f.found == f.wanted);
        CHECK(f.within == f.wanted);
        found += f.found;
        worst = fmax(worst, f.max_err);
        /* Negative controls: the same detections against corners in the
         * wrong order, and against the next marker's place. */
        canvas_corners(st, m, n, o, 1, 0, want);
        compare_tags(td, rgba, out->width, out->height, n, want, err);
        wrong_order += figures(err, want, n, 0.5).within;
        canvas_corners(st, m, n, o, 0, 1, want);
        compare_tags(td, rgba, out->width, out->height, n, want, err);
        shifted += figures(err, want, n, 0.5).within;
        free(rgba);
    }
    printf("%s: %d markers, %d found on the canvas with their ids, corners within %.3f px; "
           "corners in the wrong order match %d, markers shifted by one match %d\n",
           name, n, found, worst, wrong_order, shifted);
    CHECK(found == n);
    CHECK(worst <= 0.5);
    CHECK(wrong_order == 0);
    CHECK(shifted == 0);
    free(want);
    free(err);
    free(m);
}

/* ---- the other patterns --------------------------------------------------- */

/* Where the crosshair pattern lights a pixel, worked out from the corners:
 * within the arm's length of a panel corner along the panel's border. */
static bool crosshair_lit(const vl_stage *st, int output, int x, int y)
{
    for (int i = 0; i < st->n_sections; i++) {
        const vl_section *s = &st->sections[i];
        int sx = x - s->canvas_x, sy = y - s->canvas_y;
        if (s->output != output || sx < 0 || sy < 0 || sx >= vl_section_width_px(s) ||
            sy >= vl_section_height_px(s))
            continue;
        int pw = s->panel_px_w, ph = s->panel_px_h, m = pw < ph ? pw : ph;
        int arm = m / 8 > 2 ? m / 8 : 2;
        int u = sx % pw, v = sy % ph;                   /* in its panel */
        int du = u < pw - 1 - u ? u : pw - 1 - u;       /* to the nearest border pixel */
        int dv = v < ph - 1 - v ? v : ph - 1 - v;
        return (du == 0 && dv < arm) || (dv == 0 && du < arm);
    }
    return false;
}

/* Pixels of output `output` where the crosshair image and crosshair_lit
 * (moved by dx pixels: a negative control) disagree. */
static long crosshair_mismatches(const vl_stage *st, int output, const uint8_t *rgba, int dx)
{
    const vl_output *o = &st->outputs[output];
    long bad = 0;
    for (int y = 0; y < o->height; y++)
        for (int x = 0; x < o->width; x++) {
            const uint8_t *p = px(rgba, o->width, x, y);
            bool lit = is_rgb(p, 255, 255, 255);
            bad += lit != crosshair_lit(st, output, x - dx, y);
        }
    return bad;
}

static void check_crosshair(const vl_stage *def, const vl_stage *two)
{
    uint8_t *c = draw(def, 0, VL_PATTERN_CROSSHAIR);
    const int w = 1920;
    /* Four panels meet at section pixel (160, 160) (the canvas's too): a
     * 2 px cross centred on that point, arms of 160 / 8 = 20 px. */
    CHECK(is_rgb(px(c, w, 159, 159), 255, 255, 255));
    CHECK(is_rgb(px(c, w, 160, 159), 255, 255, 255));
    CHECK(is_rgb(px(c, w, 159, 160), 255, 255, 255));
    CHECK(is_rgb(px(c, w, 160, 160), 255, 255, 255));
    CHECK(is_rgb(px(c, w, 158, 158), 0, 0, 0));
    CHECK(is_rgb(px(c, w, 161, 161), 0, 0, 0));
    CHECK(is_rgb(px(c, w, 159, 140), 255, 255, 255));  /* arm ends 20 px from the corner */
    CHECK(is_rgb(px(c, w, 159, 139), 0, 0, 0));
    CHECK(is_rgb(px(c, w, 179, 160), 255, 255, 255));
    CHECK(is_rgb(px(c, w, 180, 160), 0, 0, 0));
    CHECK(is_rgb(px(c, w, 158, 150), 0, 0, 0));
    CHECK(is_rgb(px(c, w, 161, 150), 0, 0, 0));
    /* The section's outer corners: an L whose outer edges are the panel edges. */
    CHECK(is_rgb(px(c, w, 0, 0), 255, 255, 255));
    CHECK(is_rgb(px(c, w, 19, 0), 255, 255, 255));
    CHECK(is_rgb(px(c, w, 20, 0), 0, 0, 0));
    CHECK(is_rgb(px(c, w, 0, 19), 255, 255, 255));
    CHECK(is_rgb(px(c, w, 1, 1), 0, 0, 0));
    CHECK(is_rgb(px(c, w, 1919, 799), 255, 255, 255));
    CHECK(is_rgb(px(c, w, 1918, 798), 0, 0, 0));
    CHECK(is_rgb(px(c, w, 0, 800), VL_PATTERN_OUTSIDE, VL_PATTERN_OUTSIDE, VL_PATTERN_OUTSIDE));
    long lit = 0;
    for (long i = 0; i < 1920L * 1080; i++)
        lit += c[i * 4] == 255;
    CHECK(lit == 60 * 4 * (2 * 20 - 1));
    long bad = crosshair_mismatches(def, 0, c, 0), off = crosshair_mismatches(def, 0, c, 1);
    free(c);
    /* The non-square panels at a canvas offset: section "right" at (600,
     * 300), panels 96 x 128, arms of 12 px. Its panel (1, 1) begins at
     * canvas (696, 428). */
    c = draw(two, 0, VL_PATTERN_CROSSHAIR);
    CHECK(is_rgb(px(c, 1280, 695, 427), 255, 255, 255));
    CHECK(is_rgb(px(c, 1280, 696, 428), 255, 255, 255));
    CHECK(is_rgb(px(c, 1280, 707, 428), 255, 255, 255));
    CHECK(is_rgb(px(c, 1280, 708, 428), 0, 0, 0));
    CHECK(is_rgb(px(c, 1280, 697, 429), 0, 0, 0));
    bad += crosshair_mismatches(two, 0, c, 0);
    off += crosshair_mismatches(two, 0, c, -1);
    free(c);
    c = draw(two, 1, VL_PATTERN_CROSSHAIR);
    bad += crosshair_mismatches(two, 1, c, 0);
    free(c);
    printf("crosshair: %ld pixels differ from the hand-worked corners (expect 0); "
           "one pixel off: %ld\n", bad, off);
    CHECK(bad == 0);
    CHECK(off > 1000);
}

static void check_grid(const vl_stage *st)
{
    uint8_t *g = draw(st, 0, VL_PATTERN_GRID);
    const int w = 1920;
    /* Every panel's border pixels are white, or yellow where the section's
     * name crosses them; one pixel further in is black. */
    long border = 0, border_bad = 0, inside_bad = 0, labelled = 0;
    for (int row = 0; row < 5; row++)
        for (int col = 0; col < 12; col++) {
            int x0 = col * 160, y0 = row * 160;
            for (int k = 0; k < 160; k++) {
                const int pts[4][2] = { { x0 + k, y0 }, { x0 + k, y0 + 159 }, { x0, y0 + k }, { x0 + 159, y0 + k } };
                for (int j = 0; j < 4; j++) {
                    const uint8_t *p = px(g, w, pts[j][0], pts[j][1]);
                    border++;
                    border_bad += !is_rgb(p, 255, 255, 255) && !is_rgb(p, 255, 220, 0);
                }
            }
            /* Along the bottom and right, away from the label (the name
             * may cross). */
            for (int k = 2; k < 158; k++) {
                const uint8_t *p = px(g, w, x0 + k, y0 + 158), *q = px(g, w, x0 + 158, y0 + 60 + k / 2);
                inside_bad += !is_rgb(p, 0, 0, 0) && !is_rgb(p, 255, 220, 0);
                inside_bad += !is_rgb(q, 0, 0, 0) && !is_rgb(q, 255, 220, 0);
            }
            /* The "col,row" label in light grey at the top-left. */
            bool label = false;
            for (int y = y0 + 2; y < y0 + 50; y++)
                for (int x = x0 + 2; x < x0 + 100; x++)
                    label |= is_rgb(px(g, w, x, y), 200, 200, 200);
            labelled += label;
        }
    long name = 0;
    for (int y = 300; y < 500; y++)
        for (int x = 700; x < 1220; x++)
            name += is_rgb(px(g, w, x, y), 255, 220, 0);
    printf("grid: %ld of %ld border pixels not white, %ld inner pixels not black, %ld of 60 "
           "panels labelled, %ld name pixels\n", border_bad, border, inside_bad, labelled, name);
    CHECK(border_bad == 0);
    CHECK(inside_bad == 0);
    CHECK(labelled == 60);
    CHECK(name > 200);
    CHECK(is_rgb(px(g, w, 1000, 900), VL_PATTERN_OUTSIDE, VL_PATTERN_OUTSIDE, VL_PATTERN_OUTSIDE));
    free(g);
}

static void check_bars(const vl_stage *st)
{
    uint8_t *b = draw(st, 0, VL_PATTERN_BARS);
    const int w = 1920;
    /* The section is 1920 x 800: bars to row 533, the strip to 600. */
    static const int top[7][3] = { { 191, 191, 191 }, { 191, 191, 0 }, { 0, 191, 191 }, { 0, 191, 0 },
                                   { 191, 0, 191 }, { 191, 0, 0 }, { 0, 0, 191 } };
    for (int k = 0; k < 7; k++) {
        int x = k * 1920 / 7 + 137;
        CHECK(is_rgb(px(b, w, x, 10), top[k][0], top[k][1], top[k][2]));
        CHECK(is_rgb(px(b, w, x, 532), top[k][0], top[k][1], top[k][2]));
    }
    CHECK(is_rgb(px(b, w, 273, 10), 191, 191, 191));   /* bar 1 begins at 1920 / 7 = 274 */
    CHECK(is_rgb(px(b, w, 274, 10), 191, 191, 0));
    CHECK(is_rgb(px(b, w, 100, 533), 0, 0, 191));      /* the strip */
    CHECK(is_rgb(px(b, w, 400, 599), 0, 0, 0));
    CHECK(is_rgb(px(b, w, 1800, 566), 191, 191, 191));
    CHECK(is_rgb(px(b, w, 100, 600), 0, 33, 76));      /* -I, white, +Q, black, PLUGE */
    CHECK(is_rgb(px(b, w, 400, 799), 255, 255, 255));
    CHECK(is_rgb(px(b, w, 800, 700), 50, 0, 106));
    CHECK(is_rgb(px(b, w, 1200, 700), 0, 0, 0));
    CHECK(is_rgb(px(b, w, 1400, 700), 10, 10, 10));
    CHECK(is_rgb(px(b, w, 1500, 700), 0, 0, 0));
    CHECK(is_rgb(px(b, w, 1600, 700), 31, 31, 31));
    CHECK(is_rgb(px(b, w, 1700, 700), 0, 0, 0));
    CHECK(is_rgb(px(b, w, 10, 800), VL_PATTERN_OUTSIDE, VL_PATTERN_OUTSIDE, VL_PATTERN_OUTSIDE));
    free(b);
}

static void check_api(const vl_stage *def, const vl_stage *two)
{
    for (int k = 0; k < VL_PATTERN_N; k++) {
        enum vl_pattern_kind got = VL_PATTERN_N;
        CHECK(vl_pattern_parse(vl_pattern_names[k], &got) && got == (enum vl_pattern_kind)k);
        /* Deterministic, for every output. */
        for (int o = 0; o < two->n_outputs; o++) {
            uint8_t *a = draw(two, o, k), *b = draw(two, o, k);
            CHECK(!memcmp(a, b, (size_t)two->outputs[o].width * two->outputs[o].height * 4));
            free(a);
            free(b);
        }
    }
    enum vl_pattern_kind kept = VL_PATTERN_BARS;
    CHECK(!vl_pattern_parse("nope", &kept) && kept == VL_PATTERN_BARS);
    CHECK(!vl_pattern_parse(NULL, &kept));
    /* An output out of range leaves the picture alone. */
    uint8_t sentinel[16];
    memset(sentinel, 7, sizeof(sentinel));
    vl_pattern_draw(def, 1, VL_PATTERN_GRID, sentinel);
    CHECK(sentinel[0] == 7 && sentinel[15] == 7);
    /* max below the count: the count still, and nothing past max written. */
    vl_marker m[4];
    memset(m, 0x5a, sizeof(m));
    CHECK(vl_pattern_markers(def, m, 3) == 60);
    CHECK(m[2].id == 2 && m[3].id == 0x5a5a5a5a);
    CHECK(vl_pattern_markers(two, NULL, 0) == 32);
    /* Default stage, panel (0, 0): 160 px panels, 16 px cells, the 128 px
     * black square 16 px in; libapriltag's corner order. */
    CHECK(m[0].corner_px[0][0] == 16 && m[0].corner_px[0][1] == 144);
    CHECK(m[0].corner_px[1][0] == 144 && m[0].corner_px[1][1] == 144);
    CHECK(m[0].corner_px[2][0] == 144 && m[0].corner_px[2][1] == 16);
    CHECK(m[0].corner_px[3][0] == 16 && m[0].corner_px[3][1] == 16);
    CHECK(m[1].col == 1 && m[1].row == 0 && m[1].corner_px[3][0] == 176);
    /* JSON: the count, the names, the numbers. */
    char *json = vl_pattern_markers_json(two);
    CHECK(json != NULL);
    if (json) {
        CHECK(strstr(json, "\"family\": \"tag36h11\"") != NULL);
        CHECK(strstr(json, "\"section\": \"ceiling\"") != NULL);
        int ids = 0;
        for (const char *p = json; (p = strstr(p, "\"id\":")); p++)
            ids++;
        CHECK(ids == 32);
    }
    free(json);
}

/* ---- on the renderer: the camera films the pattern -------------------------- */

/* Where the camera images a stage point: the renderer's own matrices;
 * continuous pixel coordinates, (0,0) the image's top-left corner. */
static bool project(const vl_camera *cam, const double w[3], double out[2])
{
    float view[16], proj[16];
    vl_camera_view_matrix(&cam->pose, view);
    vl_camera_proj_matrix(cam, 1.0, proj);
    double e[4], c[4];
    for (int j = 0; j < 4; j++)
        e[j] = view[j] * w[0] + view[4 + j] * w[1] + view[8 + j] * w[2] + view[12 + j];
    for (int j = 0; j < 4; j++)
        c[j] = proj[j] * e[0] + proj[4 + j] * e[1] + proj[8 + j] * e[2] + proj[12 + j] * e[3];
    if (c[3] <= 0)
        return false;
    out[0] = (c[0] / c[3] + 1) / 2 * cam->width;
    out[1] = (1 - c[1] / c[3]) / 2 * cam->height;
    return out[0] > 2 && out[1] > 2 && out[0] < cam->width - 2 && out[1] < cam->height - 2;
}

static void check_camera(vl_renderer *r, const vl_stage *st, apriltag_detector_t *td, const char *name,
                         vl_camera cam, uint8_t *img)
{
    int n = vl_pattern_markers(st, NULL, 0);
    vl_marker *m = calloc(n, sizeof(*m));
    vl_pattern_markers(st, m, n);
    double (*want)[4][2] = malloc(n * sizeof(*want)), *err = malloc(n * sizeof(double));
    for (int i = 0; i < n; i++) {
        bool in = true;
        for (int k = 0; k < 4; k++)
            in &= project(&cam, m[i].corner_stage[k], want[i][k]);
        if (!in)
            want[i][0][0] = NAN;
    }
    vl_renderer_camera_view(r, &cam, img);
    int stray = compare_tags(td, img, cam.width, cam.height, n, want, err);
    tag_figures f = figures(err, want, n, 1.5);
    /* Negative control: the corners projected one panel over. */
    double (*next)[4][2] = malloc(n * sizeof(*next));
    for (int i = 0; i < n; i++)
        memcpy(next[i], want[(i + 1) % n], sizeof(next[i]));
    for (int i = 0; i < n; i++)
        if (isnan(want[i][0][0]))
            next[i][0][0] = NAN;
    compare_tags(td, img, cam.width, cam.height, n, next, err);
    tag_figures neg = figures(err, next, n, 1.5);
    printf("camera %s: %d of %d tags in view found (%d stray), %d with every corner within "
           "1.5 px of the projected marker, mean %.2f px, worst %.2f px; projected one panel "
           "over: %d within\n", name, f.found, f.wanted, stray, f.within,
           f.found ? f.sum_err / f.found : 0.0, f.max_err, neg.within);
    CHECK(f.wanted >= 20);
    CHECK(stray == 0);
    CHECK(f.found >= f.wanted * 9 / 10);
    CHECK(f.within >= f.found * 9 / 10);
    CHECK(f.found && f.sum_err / f.found < 0.5);
    CHECK(f.max_err < 3.0);
    CHECK(neg.within == 0);
    free(next);
    free(want);
    free(err);
    free(m);
}

static void check_renderer(const vl_stage *def, const vl_stage *two, apriltag_detector_t *td)
{
    vl_gl *gl = vl_gl_create(two, VL_GL_HEADLESS);
    CHECK(gl != NULL);
    if (!gl)
        return;
    vl_renderer *r = vl_renderer_create(def, NULL);
    vl_scene *grid = vl_scene_create("builtin:grid", NULL);
    CHECK(r && grid);
    const size_t size = 1920 * 1080 * 4;
    uint8_t *tags = draw(def, 0, VL_PATTERN_APRILTAG), *canvas = malloc(size), *img = malloc(size);
    uint8_t *img2 = malloc(size);
    vl_camera cam = { .pose = { { 0, 0, 1.25 }, 0, 0, 0 }, .fov_h_deg = 90, .width = 1920, .height = 1080 };

    /* Shown at once, bit-exact; frames do not draw over it. */
    vl_renderer_show_image(r, 0, tags);
    vl_renderer_read_canvas(r, 0, canvas);
    CHECK(!memcmp(canvas, tags, size));
    vl_renderer_frame(r, grid, &cam, 0);
    vl_renderer_read_canvas(r, 0, canvas);
    CHECK(!memcmp(canvas, tags, size));

    check_camera(r, def, td, "4 m in front, 90 deg", cam, img);
    vl_camera side = { .pose = { { 0.8, 0.6, 1.6 }, -8, -4, 3 }, .fov_h_deg = 60, .width = 1920,
                       .height = 1080 };
    check_camera(r, def, td, "off to the side, panned, tilted, rolled, 60 deg", side, img);

    /* A colour transform changes the signal, not what the camera films. */
    vl_renderer_camera_view(r, &cam, img);
    vl_output_color half;
    vl_output_color_default(&half);
    half.brightness = 0.5;
    vl_renderer_set_output_color(r, 0, &half);
    vl_renderer_frame(r, grid, &cam, 0);
    vl_renderer_read_canvas(r, 0, canvas);
    const uint8_t *white = px(canvas, 1920, 5, 5);      /* a white panel pixel */
    printf("white at brightness 0.5: %d (sRGB of half the light: 188)\n", white[0]);
    CHECK(abs(white[0] - 188) <= 1);
    vl_renderer_camera_view(r, &cam, img2);
    CHECK(!memcmp(img, img2, size));
    vl_output_color_default(&half);
    vl_renderer_set_output_color(r, 0, &half);

    /* NULL: frames render the scene again. */
    vl_renderer_show_image(r, 0, NULL);
    vl_renderer_frame(r, grid, &cam, 0);
    vl_renderer_read_canvas(r, 0, canvas);
    CHECK(memcmp(canvas, tags, size) != 0);
    vl_renderer_destroy(r);

    /* Two outputs: an image on the second only; the first renders. */
    r = vl_renderer_create(two, NULL);
    uint8_t *bars = draw(two, 1, VL_PATTERN_BARS), *first = draw(two, 0, VL_PATTERN_BARS);
    vl_renderer_show_image(r, 1, bars);
    vl_renderer_show_image(r, 5, bars);     /* ignored */
    vl_renderer_frame(r, grid, &cam, 0);
    vl_renderer_read_canvas(r, 1, canvas);
    CHECK(!memcmp(canvas, bars, 800 * 600 * 4));
    vl_renderer_read_canvas(r, 0, canvas);
    CHECK(memcmp(canvas, first, 1280 * 720 * 4) != 0);
    free(bars);
    free(first);

    free(tags);
    free(canvas);
    free(img);
    free(img2);
    vl_scene_destroy(grid);
    vl_renderer_destroy(r);
    vl_gl_destroy(gl);
}

int main(void)
{
    vl_stage *def = vl_stage_default();
    char err[512];
    vl_stage *two = vl_stage_parse(two_outputs_json, "two outputs", err, sizeof(err));
    CHECK(two != NULL);
    if (!two) {
        fprintf(stderr, "%s\n", err);
        return check_result("pattern");
    }
    apriltag_family_t *fam = tag36h11_create();
    apriltag_detector_t *td = make_detector(fam);

    check_api(def, two);
    check_canvas_tags("default stage", def, td);
    check_canvas_tags("two outputs, three sections", two, td);
    check_crosshair(def, two);
    check_grid(def);
    check_bars(def);
    check_renderer(def, two, td);

    apriltag_detector_destroy(td);
    tag36h11_destroy(fam);
    vl_stage_free(two);
    vl_stage_free(def);
    return check_result("pattern");
}
