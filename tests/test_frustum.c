/*
 * The frustum features, pixel by pixel on the default curved stage: the
 * chroma key region and its markers, the soft edge against its analytic
 * weight, light cards over and under the frustum, each output colour
 * transform against vl_output_color_apply, a frozen outer (scene and
 * plate), and settings changed at runtime. Where a wall pixel is inside
 * the inner frustum comes from the stage geometry and the camera matrices
 * in double, not from the renderer.
 */
#include "check.h"
#include "render/render.h"
#include "stage/stage.h"

#include <libavutil/frame.h>
#include <stdlib.h>
#include <string.h>

#define CW 1920                 /* the default stage's canvas */
#define CH 1080
#define WALL_H 800              /* its wall's rows; below is no wall */
#define EDGE 0.003              /* NDC margin about the frustum edge (about 1 px) */

static const uint8_t KEY[3] = { 0, 177, 64 };
static const uint8_t MARKER[3] = { 0, 100, 30 };

/* A camera 1.5 m up at the origin looking at the middle of the wall: the
 * inner frustum falls well inside the wall, every edge in view. */
static vl_camera camera(double tilt_deg)
{
    return (vl_camera){ .pose = { { 0, 0, 1.5 }, 0, tilt_deg, 0 }, .fov_h_deg = 30, .width = CW, .height = CH };
}

/* Stage positions of canvas pixel centres: each column's top and the step
 * one row down (a facet is flat, so this is exact). */
static double col_top[CW][3], col_down[CW][3];

static void wall_init(const vl_stage *st)
{
    const vl_section *s = &st->sections[0];
    for (int x = 0; x < CW; x++) {
        double a[3];
        vl_section_pixel_to_stage(s, x + 0.5, 0, col_top[x]);
        vl_section_pixel_to_stage(s, x + 0.5, 1, a);
        for (int i = 0; i < 3; i++)
            col_down[x][i] = a[i] - col_top[x][i];
    }
}

/* The inner frustum of a camera and overscan. */
typedef struct probe {
    float view[16], proj[16];
} probe;

static probe probe_for(const vl_camera *cam, double overscan)
{
    probe p;
    vl_camera_view_matrix(&cam->pose, p.view);
    vl_camera_proj_matrix(cam, 1.0 + overscan, p.proj);
    return p;
}

/* NDC of wall pixel (x, y) in the inner frustum; false behind the camera. */
static bool pixel_ndc(const probe *p, int x, int y, double ndc[2])
{
    double W[3], e[4], c[4];
    for (int i = 0; i < 3; i++)
        W[i] = col_top[x][i] + (y + 0.5) * col_down[x][i];
    for (int i = 0; i < 4; i++)
        e[i] = p->view[i] * W[0] + p->view[4 + i] * W[1] + p->view[8 + i] * W[2] + p->view[12 + i];
    for (int i = 0; i < 4; i++)
        c[i] = p->proj[i] * e[0] + p->proj[4 + i] * e[1] + p->proj[8 + i] * e[2] + p->proj[12 + i] * e[3];
    if (c[3] <= 0)
        return false;
    ndc[0] = c[0] / c[3];
    ndc[1] = c[1] / c[3];
    return true;
}

/* 1 inside the inner frustum, -1 outside (no wall is outside too), 0 within
 * EDGE of its edge. */
static int where(const probe *p, int x, int y)
{
    double ndc[2];
    if (y >= WALL_H || !pixel_ndc(p, x, y, ndc))
        return -1;
    double m = fmax(fabs(ndc[0]), fabs(ndc[1]));
    return m < 1 - EDGE ? 1 : m > 1 + EDGE ? -1 : 0;
}

static const uint8_t *px(const uint8_t *rgba, int x, int y)
{
    return rgba + ((size_t)y * CW + x) * 4;
}

static bool near(const uint8_t *p, const uint8_t want[3], int tol)
{
    for (int c = 0; c < 3; c++)
        if (abs(p[c] - want[c]) > tol)
            return false;
    return true;
}

static void set_frustum(vl_renderer *r, const vl_frustum_settings *f)
{
    vl_renderer_set_frustum(r, f);
}

static vl_frustum_settings defaults(void)
{
    vl_frustum_settings f;
    vl_frustum_default(&f);
    return f;
}

static void reset(vl_renderer *r)
{
    vl_frustum_settings f = defaults();
    set_frustum(r, &f);
}

/* The marker geometry as the header states it: plus signs centred at
 * (spacing / 2 + k spacing, ...), bars 2 px thick and size px long; a
 * pixel belongs to a bar when its centre is inside it. */
static bool on_marker(int x, int y, int spacing, int size)
{
    double dx = x + 0.5 - (x / spacing * spacing + spacing / 2);
    double dy = y + 0.5 - (y / spacing * spacing + spacing / 2);
    return (fabs(dx) < 1 && fabs(dy) < size / 2.0) || (fabs(dy) < 1 && fabs(dx) < size / 2.0);
}

/* Chroma on (with or without markers): inside the frustum every pixel is
 * the key (or a marker where one belongs), outside none is either. Returns
 * the number of key-region pixels. */
static long check_key_region(vl_renderer *r, vl_scene *scene, const vl_camera *cam, bool markers,
                             uint8_t *rgba, const char *what)
{
    const vl_frustum_settings *f = vl_renderer_frustum(r);
    vl_renderer_frame(r, scene, cam, 0);
    vl_renderer_read_canvas(r, 0, rgba);
    probe p = probe_for(cam, fmax(f->overscan, cam->overscan_min));
    long in = 0, out = 0, in_bad = 0, out_bad = 0, marks = 0;
    for (int y = 0; y < CH; y++) {
        for (int x = 0; x < CW; x++) {
            int w = where(&p, x, y);
            const uint8_t *q = px(rgba, x, y);
            if (w > 0) {
                bool m = markers && on_marker(x, y, f->chroma.marker_spacing_px, f->chroma.marker_size_px);
                in++;
                marks += m;
                in_bad += !near(q, m ? MARKER : KEY, 1);
            } else if (w < 0) {
                out++;
                out_bad += near(q, KEY, 1) || (markers && near(q, MARKER, 1));
            }
        }
    }
    printf("%s: %ld key-region pixels (%ld markers), %ld wrong; %ld outside, %ld of them keyed\n", what, in,
           marks, in_bad, out, out_bad);
    CHECK(in > 100000 && in_bad == 0);
    CHECK(out > 500000 && out_bad == 0);
    CHECK(!markers || marks > 500);
    return in;
}

/* Where stage point W lands in cam's frustum scaled by `scale` (NDC). */
static void project(const vl_camera *cam, double scale, const double W[3], double ndc[2])
{
    probe p = probe_for(cam, scale - 1);
    double e[4], c[4];
    for (int i = 0; i < 4; i++)
        e[i] = p.view[i] * W[0] + p.view[4 + i] * W[1] + p.view[8 + i] * W[2] + p.view[12 + i];
    for (int i = 0; i < 4; i++)
        c[i] = p.proj[i] * e[0] + p.proj[4 + i] * e[1] + p.proj[8 + i] * e[2] + p.proj[12 + i] * e[3];
    ndc[0] = c[0] / c[3];
    ndc[1] = c[1] / c[3];
}

/* Key-region pixels' mean column. */
static double key_centre_x(const uint8_t *rgba)
{
    double sum = 0;
    long n = 0;
    for (int y = 0; y < WALL_H; y++)
        for (int x = 0; x < CW; x++)
            if (near(px(rgba, x, y), KEY, 1)) {
                sum += x;
                n++;
            }
    return n ? sum / n : -1;
}

/* A lens's projection offset shifts the frustum; its distortion overscan
 * is a floor under the stage's. */
static void test_lens(vl_renderer *r, vl_scene *grid, uint8_t *rgba)
{
    /* By hand: 90 deg wide (tan 1), 2:1 (tan_y 0.5), the axis at NDC
     * (0.2, -0.1). The point 4 m ahead lands there; (2, 4, 0.5) is at
     * tangents (0.5, 0.125), so at (0.5 / 1 + 0.2, 0.125 / 0.5 - 0.1) =
     * (0.7, 0.15); in the frustum twice as wide, (0.5 / 2 + 0.1, 0.125 / 1
     * - 0.05) = (0.35, 0.075). */
    vl_camera c = { .pose = { { 0, 0, 0 }, 0, 0, 0 }, .fov_h_deg = 90, .width = 1000, .height = 500,
                    .shift = { 0.2, -0.1 } };
    double ndc[2];
    project(&c, 1, (double[3]){ 0, 4, 0 }, ndc);
    CHECK(fabs(ndc[0] - 0.2) < 1e-6 && fabs(ndc[1] + 0.1) < 1e-6);
    project(&c, 1, (double[3]){ 2, 4, 0.5 }, ndc);
    CHECK(fabs(ndc[0] - 0.7) < 1e-6 && fabs(ndc[1] - 0.15) < 1e-6);
    project(&c, 2, (double[3]){ 2, 4, 0.5 }, ndc);
    CHECK(fabs(ndc[0] - 0.35) < 1e-6 && fabs(ndc[1] - 0.075) < 1e-6);

    /* On the wall: the key region is exactly the shifted frustum, and an
     * axis right of the image centre puts the picture left of the axis. */
    vl_frustum_settings f = defaults();
    f.chroma.on = true;
    set_frustum(r, &f);
    vl_camera cam = camera(0);
    check_key_region(r, grid, &cam, false, rgba, "lens: centred");
    double centred = key_centre_x(rgba);
    cam.shift[0] = 0.3;
    check_key_region(r, grid, &cam, false, rgba, "lens: projection offset +0.3");
    double shifted = key_centre_x(rgba);
    printf("lens: key region centre x %.1f centred, %.1f shifted\n", centred, shifted);
    CHECK(shifted < centred - 50);
    cam.shift[0] = 0;

    /* The floor: a lens asking 0.3 on a stage asking 0.1 gives the stage's
     * 0.3 region exactly; a lens asking less changes nothing. */
    f.overscan = 0.3;
    set_frustum(r, &f);
    long want = check_key_region(r, grid, &cam, false, rgba, "lens: stage overscan 0.3");
    f.overscan = 0.1;
    set_frustum(r, &f);
    long small = check_key_region(r, grid, &cam, false, rgba, "lens: stage overscan 0.1");
    cam.overscan_min = 0.3;
    long lens = check_key_region(r, grid, &cam, false, rgba, "lens: overscan floor 0.3 over 0.1");
    CHECK(lens == want && small < want);
    f.overscan = 0.3;
    set_frustum(r, &f);
    cam.overscan_min = 0.05;
    CHECK(check_key_region(r, grid, &cam, false, rgba, "lens: overscan floor 0.05 under 0.3") == want);
    reset(r);
}

static void test_chroma(vl_renderer *r, vl_scene *grid, uint8_t *rgba)
{
    vl_camera cam = camera(0);
    vl_frustum_settings f = defaults();
    f.chroma.on = true;
    set_frustum(r, &f);
    long n = check_key_region(r, grid, &cam, false, rgba, "chroma");
    f.chroma.markers = true;
    set_frustum(r, &f);
    check_key_region(r, grid, &cam, true, rgba, "chroma markers");
    /* One cross by hand: centred at (660, 300), so its bars cover columns
     * 659..660 and rows 294..305, and rows 299..300 and columns 654..665. */
    CHECK(near(px(rgba, 659, 294), MARKER, 1) && near(px(rgba, 660, 305), MARKER, 1));
    CHECK(near(px(rgba, 654, 299), MARKER, 1) && near(px(rgba, 665, 300), MARKER, 1));
    CHECK(near(px(rgba, 658, 296), KEY, 1) && near(px(rgba, 661, 296), KEY, 1));
    CHECK(near(px(rgba, 660, 293), KEY, 1) && near(px(rgba, 660, 306), KEY, 1));
    CHECK(near(px(rgba, 653, 299), KEY, 1) && near(px(rgba, 666, 300), KEY, 1));
    /* The one at (60, 60) is outside the frustum: not drawn. */
    CHECK(!near(px(rgba, 60, 60), MARKER, 1) && !near(px(rgba, 60, 60), KEY, 1));

    /* Overscan changed at runtime: the key region grows with it. */
    f.chroma.markers = false;
    f.overscan = 0.3;
    set_frustum(r, &f);
    CHECK(vl_renderer_frustum(r)->overscan == 0.3);
    long n3 = check_key_region(r, grid, &cam, false, rgba, "chroma, overscan 0.3 at runtime");
    /* Tangents 1.3 / 1.1 larger each way: about 1.4 times the area. */
    CHECK(n3 > n * 1.3);
    /* Out of range at runtime: clamped. */
    f.overscan = 5;
    f.soft_edge = 0.9;
    f.n_cards = 99;
    f.chroma.marker_spacing_px = 2;
    set_frustum(r, &f);
    const vl_frustum_settings *g = vl_renderer_frustum(r);
    CHECK(g->overscan == 2 && g->soft_edge == 0.5 && g->n_cards == VL_MAX_LIGHT_CARDS);
    CHECK(g->chroma.marker_spacing_px == 4 && g->chroma.marker_size_px == 4);
    reset(r);
}

/* What the soft edge should give at wall pixel (x, y): the inner content's
 * weight, 0 outside. */
static double soft_weight(const probe *p, int x, int y, double soft)
{
    double ndc[2];
    if (y >= WALL_H || !pixel_ndc(p, x, y, ndc) || fabs(ndc[0]) > 1 || fabs(ndc[1]) > 1)
        return 0;
    double w = 1;
    for (int i = 0; i < 2; i++) {
        double t = fmin(fmax((1 - fabs(ndc[i])) / soft, 0.0), 1.0);
        w *= t * t * (3 - 2 * t);
    }
    return w;
}

/* Soft edge between two flat colours: the key inside and an under card
 * (red) outside, so every pixel has an analytic colour. */
static void check_soft_flat(vl_renderer *r, vl_scene *scene, uint8_t *rgba, const char *what)
{
    vl_camera cam = camera(0);
    vl_frustum_settings f = defaults();
    f.chroma.on = true;
    f.n_cards = 1;
    vl_light_card *red = &f.cards[0];
    vl_light_card_default(red, "red");
    red->w = CW;
    red->h = CH;
    red->color[1] = red->color[2] = 0;
    red->over = false;
    const double soft = 0.2;
    for (int pass = 0; pass < 2; pass++) {
        f.soft_edge = pass ? soft : 0;
        set_frustum(r, &f);
        vl_renderer_frame(r, scene, &cam, 0);
        vl_renderer_read_canvas(r, 0, rgba);
        probe p = probe_for(&cam, f.overscan);
        /* Every wall pixel against the analytic blend. */
        int worst = 0;
        long n = 0, band = 0;
        for (int y = 0; y < WALL_H; y++) {
            for (int x = 0; x < CW; x++) {
                if (where(&p, x, y) == 0)
                    continue;
                double w = pass ? soft_weight(&p, x, y, soft) : where(&p, x, y) > 0;
                for (int c = 0; c < 3; c++) {
                    double want = w * KEY[c] + (1 - w) * (c == 0 ? 255 : 0);
                    worst = (int)fmax(worst, fabs(px(rgba, x, y)[c] - want));
                }
                n++;
                band += w > 0.01 && w < 0.99;
            }
        }
        /* Along the row through the frustum's centre, from outside in on
         * both sides: red falls and green rises monotonically, over the
         * band the weight predicts. */
        int yc = 0;
        double best = 2, ndc[2];
        for (int y = 0; y < WALL_H; y++)
            if (pixel_ndc(&p, CW / 2, y, ndc) && fabs(ndc[1]) < best) {
                best = fabs(ndc[1]);
                yc = y;
            }
        bool monotonic = true;
        int mid_px = 0, mid_want = 0;
        for (int side = 0; side < 2; side++) {
            for (int k = 0; k < 700; k++) {
                int x = side ? CW - 1 - 250 - k : 250 + k, xn = side ? x - 1 : x + 1;
                const uint8_t *a = px(rgba, x, yc), *b = px(rgba, xn, yc);
                monotonic &= b[0] <= a[0] && b[1] >= a[1];
                mid_px += a[0] > 3 && a[0] < 252;
                double w = soft_weight(&p, x, yc, soft);
                mid_want += pass && w * 255 > 3.5 && (1 - w) * 255 > 3.5;
            }
        }
        printf("%s, soft edge %.1f: worst error %d/255 over %ld pixels (%ld in the band); centre row %d: "
               "%d blended pixels (expected %d), %smonotonic\n", what, f.soft_edge, worst, n, band, yc, mid_px,
               mid_want, monotonic ? "" : "NOT ");
        CHECK(worst <= 3);
        CHECK(monotonic);
        CHECK(abs(mid_px - mid_want) <= 4);
        CHECK(pass ? band > 20000 && mid_px > 100 : band == 0 && mid_px == 0);
    }
    reset(r);
}

/* The soft edge only touches the band: inside and outside it, the frame
 * is the hard-edged one. */
static void check_soft_scene(vl_renderer *r, vl_scene *scene, uint8_t *a, uint8_t *b)
{
    vl_camera cam = camera(0);
    vl_frustum_settings f = defaults();
    set_frustum(r, &f);
    vl_renderer_frame(r, scene, &cam, 0);
    vl_renderer_read_canvas(r, 0, a);
    f.soft_edge = 0.2;
    set_frustum(r, &f);
    vl_renderer_frame(r, scene, &cam, 0);
    vl_renderer_read_canvas(r, 0, b);
    probe p = probe_for(&cam, f.overscan);
    long core_diff = 0, out_diff = 0, band_diff = 0;
    for (int y = 0; y < CH; y++) {
        for (int x = 0; x < CW; x++) {
            int w = where(&p, x, y);
            double sw = soft_weight(&p, x, y, f.soft_edge);
            bool differ = memcmp(px(a, x, y), px(b, x, y), 3) != 0;
            double ndc[2];
            bool core = w > 0 && pixel_ndc(&p, x, y, ndc) && fmax(fabs(ndc[0]), fabs(ndc[1])) < 1 - 0.2 - EDGE;
            core_diff += core && differ;
            out_diff += w < 0 && differ;
            band_diff += w > 0 && sw < 0.9 && differ;
        }
    }
    printf("soft edge over the scene: %ld core and %ld outer pixels changed (expect 0), %ld in the band\n",
           core_diff, out_diff, band_diff);
    CHECK(core_diff == 0 && out_diff == 0 && band_diff > 20000);
    reset(r);
}

/* Light cards: under (hidden inside the frustum), over, off, intensity. */
static void check_cards(vl_renderer *r, vl_scene *scene, uint8_t *a, uint8_t *b, int tol, const char *what)
{
    vl_camera cam = camera(0);
    vl_frustum_settings f = defaults();
    set_frustum(r, &f);
    vl_renderer_frame(r, scene, &cam, 0);
    vl_renderer_read_canvas(r, 0, a);
    probe p = probe_for(&cam, f.overscan);
    /* Straddles the frustum's left edge (near x = 580), its bottom edge
     * (near y = 530) and the wall's foot (y = 800). */
    const int x0 = 400, y0 = 300, x1 = 800, y1 = 900;
    static const uint8_t orange[3] = { 255, 153, 0 };
    f.n_cards = 1;
    vl_light_card_default(&f.cards[0], "orange");
    vl_light_card *c = &f.cards[0];
    c->x = x0;
    c->y = y0;
    c->w = x1 - x0;
    c->h = y1 - y0;
    c->color[0] = 1;
    c->color[1] = 0.6;
    c->color[2] = 0;
    for (int over = 0; over < 2; over++) {
        c->over = over;
        set_frustum(r, &f);
        vl_renderer_frame(r, scene, &cam, 0);
        vl_renderer_read_canvas(r, 0, b);
        long shown_out = 0, n_out = 0, shown_in = 0, n_in = 0, scene_in = 0, elsewhere = 0;
        for (int y = 0; y < CH; y++) {
            for (int x = 0; x < CW; x++) {
                const uint8_t *q = px(b, x, y);
                bool in_rect = x >= x0 && x < x1 && y >= y0 && y < y1;
                int w = where(&p, x, y);
                if (!in_rect) {
                    elsewhere += !near(q, px(a, x, y), tol);
                } else if (w < 0) {
                    n_out++;
                    shown_out += near(q, orange, 1);
                } else if (w > 0) {
                    n_in++;
                    shown_in += near(q, orange, 1);
                    scene_in += near(q, px(a, x, y), tol);
                }
            }
        }
        printf("%s, card %s: shown on %ld of %ld pixels outside the frustum, %ld of %ld inside "
               "(%ld show the scene); %ld changed outside the card\n", what, over ? "over" : "under",
               shown_out, n_out, shown_in, n_in, scene_in, elsewhere);
        CHECK(n_out > 50000 && n_in > 10000);
        CHECK(shown_out == n_out && elsewhere == 0);
        CHECK(over ? shown_in == n_in : shown_in == 0 && scene_in == n_in);
    }
    /* Off: the frame without it, bit for bit. */
    c->on = false;
    set_frustum(r, &f);
    vl_renderer_frame(r, scene, &cam, 0);
    vl_renderer_read_canvas(r, 0, b);
    CHECK(memcmp(a, b, (size_t)CW * CH * 4) == 0);
    /* Intensity scales the colour, each channel clamped to 1. */
    c->on = true;
    c->color[0] = 0.4;
    c->color[1] = 0.2;
    c->color[2] = 0.1;
    static const struct { double intensity; uint8_t want[3]; } levels[] = {
        { 1, { 102, 51, 26 } }, { 2, { 204, 102, 51 } }, { 4, { 255, 204, 102 } }, { 0, { 0, 0, 0 } },
    };
    for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
        c->intensity = levels[i].intensity;
        set_frustum(r, &f);
        vl_renderer_frame(r, scene, &cam, 0);
        vl_renderer_read_canvas(r, 0, b);
        const uint8_t *q = px(b, 500, 850);
        printf("%s, intensity %g: (%d, %d, %d)\n", what, c->intensity, q[0], q[1], q[2]);
        CHECK(near(q, levels[i].want, 1));
    }
    reset(r);
}

/* vl_output_color_apply against published values. */
static void test_color_math(void)
{
    vl_output_color c;
    vl_output_color_default(&c);
    double out[3];
    for (double v = 0; v <= 1.0; v += 0.125) {
        vl_output_color_apply(&c, (double[3]){ v, v / 2, 1 - v }, out);
        CHECK_NEAR(out[0], v, 1e-12);
        CHECK_NEAR(out[1], v / 2, 1e-12);
        CHECK_NEAR(out[2], 1 - v, 1e-12);
    }
    /* BT.709 of linear 0.5 and of a value on its linear segment. */
    c.transfer = VL_TRANSFER_BT709;
    double half = 1.055 * pow(0.5, 1 / 2.4) - 0.055;        /* sRGB code of linear 0.5 */
    vl_output_color_apply(&c, (double[3]){ half, 0.04045 * 0.1, 0 }, out);
    CHECK_NEAR(out[0], 1.099 * pow(0.5, 0.45) - 0.099, 1e-12);
    CHECK_NEAR(out[1], 4.5 * 0.04045 * 0.1 / 12.92, 1e-12);
    /* PQ code values of white at 100, 203 (BT.2408: 58 %), 1000 and 10000 cd/m2. */
    c.transfer = VL_TRANSFER_PQ;
    static const double pq[][2] = { { 100, 0.5081 }, { 203, 0.5806 }, { 1000, 0.7518 }, { 10000, 1.0 } };
    for (int i = 0; i < 4; i++) {
        c.white_nits = pq[i][0];
        vl_output_color_apply(&c, (double[3]){ 1, 1, 1 }, out);
        CHECK_NEAR(out[0], pq[i][1], 0.0002);
    }
    /* Brightness and matrix in linear light; out of range clamps. */
    c = (vl_output_color){ .brightness = 0.5, .matrix = { 0, 0, 1, 0, 1, 0, 2, 0, 0 }, .white_nits = 203 };
    vl_output_color_apply(&c, (double[3]){ 1, half, 0 }, out);
    CHECK_NEAR(out[0], 0, 1e-12);
    CHECK_NEAR(out[1], 1.055 * pow(0.25, 1 / 2.4) - 0.055, 1e-12);
    CHECK_NEAR(out[2], 1, 1e-12);
    c.matrix[2] = -1;
    vl_output_color_apply(&c, (double[3]){ 0, 0, 1 }, out);
    CHECK_NEAR(out[0], 0, 0);
}

/* Each output transfer on the GPU against vl_output_color_apply, on four
 * flat colours (over cards); the identity leaves the canvas bit-exact. */
static void test_color(vl_renderer *r, vl_scene *grid, uint8_t *a, uint8_t *b)
{
    vl_camera cam = camera(0);
    unsigned tex = vl_renderer_canvas_texture(r, 0);
    vl_renderer_frame(r, grid, &cam, 0);
    vl_renderer_read_canvas(r, 0, a);

    vl_frustum_settings f = defaults();
    static const uint8_t colors[4][3] = { { 204, 102, 51 }, { 26, 230, 128 }, { 255, 255, 255 }, { 40, 60, 10 } };
    f.n_cards = 4;
    for (int i = 0; i < 4; i++) {
        vl_light_card *c = &f.cards[i];
        vl_light_card_default(c, NULL);
        snprintf(c->name, sizeof(c->name), "q%d", i);
        c->x = (i % 2) * CW / 2;
        c->y = (i / 2) * CH / 2;
        c->w = CW / 2;
        c->h = CH / 2;
        for (int k = 0; k < 3; k++)
            c->color[k] = colors[i][k] / 255.0;
    }
    set_frustum(r, &f);
    static const double m[9] = { 0.9, 0.1, 0, 0.05, 0.85, 0.1, -0.1, 0.2, 0.9 };
    static const struct { double brightness; vl_transfer t; double white; } cases[] = {
        { 0.7, VL_TRANSFER_SRGB, 203 }, { 0.7, VL_TRANSFER_BT709, 203 }, { 0.7, VL_TRANSFER_PQ, 203 },
        { 1.6, VL_TRANSFER_SRGB, 203 }, { 1.0, VL_TRANSFER_BT709, 203 }, { 1.6, VL_TRANSFER_PQ, 1000 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vl_output_color oc = { .brightness = cases[i].brightness, .transfer = cases[i].t,
                               .white_nits = cases[i].white };
        memcpy(oc.matrix, m, sizeof(m));
        vl_renderer_set_output_color(r, 0, &oc);
        vl_renderer_frame(r, grid, &cam, 0);
        vl_renderer_read_canvas(r, 0, b);
        double worst = 0;
        for (int q = 0; q < 4; q++) {
            double in[3], want[3];
            for (int k = 0; k < 3; k++)
                in[k] = colors[q][k] / 255.0;
            vl_output_color_apply(&oc, in, want);
            /* Every pixel of a quarter, away from its edges. */
            for (int y = (q / 2) * CH / 2 + 4; y < (q / 2 + 1) * CH / 2 - 4; y += 3)
                for (int x = (q % 2) * CW / 2 + 4; x < (q % 2 + 1) * CW / 2 - 4; x += 3)
                    for (int k = 0; k < 3; k++)
                        worst = fmax(worst, fabs(px(b, x, y)[k] - want[k] * 255));
        }
        printf("output colour: brightness %.1f, %s, white %g: worst %.2f/255 from vl_output_color_apply\n",
               oc.brightness, vl_transfer_name(oc.transfer), oc.white_nits, worst);
        CHECK(worst <= 2);
    }
    CHECK(vl_renderer_canvas_texture(r, 0) == tex);

    /* Back to the identity without the cards: the first frame, bit-exact. */
    reset(r);
    vl_output_color id;
    vl_output_color_default(&id);
    vl_output_color dim = id;
    dim.brightness = 0.5;
    vl_renderer_set_output_color(r, 0, &dim);
    vl_renderer_frame(r, grid, &cam, 0);
    vl_renderer_read_canvas(r, 0, b);
    CHECK(memcmp(a, b, (size_t)CW * CH * 4) != 0);
    vl_renderer_set_output_color(r, 0, &id);
    vl_renderer_set_output_color(r, 7, &dim);    /* no such output: ignored */
    vl_renderer_frame(r, grid, &cam, 0);
    vl_renderer_read_canvas(r, 0, b);
    CHECK(memcmp(a, b, (size_t)CW * CH * 4) == 0);
}

/* Pixels of a and b that differ, counted inside (w > 0) and outside
 * (w < 0) the frustum. */
static void count_diff(const probe *p, const uint8_t *a, const uint8_t *b, long *in, long *out)
{
    *in = *out = 0;
    for (int y = 0; y < CH; y++) {
        for (int x = 0; x < CW; x++) {
            int w = where(p, x, y);
            bool differ = memcmp(px(a, x, y), px(b, x, y), 3) != 0;
            *in += w > 0 && differ;
            *out += w < 0 && differ;
        }
    }
}

/* An animated scene, frozen and thawed. */
static void test_freeze_scene(vl_renderer *r, vl_scene *fell, uint8_t *a, uint8_t *b, uint8_t *c)
{
    vl_camera cam = camera(12);     /* the aurora is up in the sky */
    probe p = probe_for(&cam, 0.1);
    vl_frustum_settings f = defaults();
    set_frustum(r, &f);
    long in, out;
    vl_renderer_frame(r, fell, &cam, 1.0);
    vl_renderer_read_canvas(r, 0, a);
    vl_renderer_frame(r, fell, &cam, 2.0);
    vl_renderer_read_canvas(r, 0, b);
    count_diff(&p, a, b, &in, &out);
    printf("freeze: 1 s of aurora changes %ld inner and %ld outer pixels\n", in, out);
    CHECK(in > 1000 && out > 1000);

    f.freeze_outer = true;
    set_frustum(r, &f);
    vl_renderer_frame(r, fell, &cam, 3.0);
    vl_renderer_read_canvas(r, 0, a);
    count_diff(&p, a, b, &in, &out);
    printf("freeze: frozen at 2 s, frame at 3 s: %ld outer pixels changed (expect 0), %ld inner\n", out, in);
    CHECK(out == 0 && in > 1000);
    vl_renderer_frame(r, fell, &cam, 4.0);
    vl_renderer_read_canvas(r, 0, c);
    count_diff(&p, c, b, &in, &out);
    CHECK(out == 0);
    count_diff(&p, c, a, &in, &out);
    printf("freeze: frame at 4 s: %ld inner pixels changed from 3 s\n", in);
    CHECK(in > 1000);
    /* Moving the outer eye while frozen changes nothing outside yet. */
    f.outer_eye[0] = 0.5;
    set_frustum(r, &f);
    vl_renderer_frame(r, fell, &cam, 4.0);
    vl_renderer_read_canvas(r, 0, a);
    count_diff(&p, a, c, &in, &out);
    CHECK(out == 0 && in == 0);

    f.freeze_outer = false;
    f.outer_eye[0] = 0;
    set_frustum(r, &f);
    vl_renderer_frame(r, fell, &cam, 5.0);
    vl_renderer_read_canvas(r, 0, a);
    count_diff(&p, a, b, &in, &out);
    printf("freeze: thawed, frame at 5 s: %ld outer pixels changed from 2 s\n", out);
    CHECK(out > 1000);
}

/* A new outer eye redraws the outer content of a static scene: the same
 * canvas as a renderer made with that eye. */
static void test_outer_eye(vl_renderer *r, const vl_stage *stage, vl_scene *grid, uint8_t *a, uint8_t *b)
{
    vl_camera cam = camera(0);
    probe p = probe_for(&cam, 0.1);
    vl_frustum_settings f = defaults();
    set_frustum(r, &f);
    vl_renderer_frame(r, grid, &cam, 0);
    vl_renderer_read_canvas(r, 0, a);
    f.outer_eye[0] = 1.0;
    set_frustum(r, &f);
    vl_renderer_frame(r, grid, &cam, 0);
    vl_renderer_read_canvas(r, 0, b);
    long in, out;
    count_diff(&p, a, b, &in, &out);
    vl_stage *moved = vl_stage_copy(stage);
    moved->frustum.outer_eye[0] = 1.0;
    vl_renderer *fresh = vl_renderer_create(moved, NULL);
    CHECK(fresh != NULL);
    long fresh_diff = -1;
    if (fresh) {
        vl_renderer_frame(fresh, grid, &cam, 0);
        vl_renderer_read_canvas(fresh, 0, a);
        fresh_diff = 0;
        for (size_t i = 0; i < (size_t)CW * CH * 4; i++)
            fresh_diff += a[i] != b[i];
    }
    printf("outer eye moved 1 m at runtime: %ld outer pixels changed, %ld inner (expect 0); "
           "%ld bytes differ from a renderer made with that eye (expect 0)\n", out, in, fresh_diff);
    CHECK(out > 10000 && in == 0 && fresh_diff == 0);
    vl_renderer_destroy(fresh);
    vl_stage_free(moved);
    reset(r);
}

/* A flat 64x32 RGB picture. */
static void show_flat_plate(vl_renderer *r, const uint8_t rgb[3])
{
    AVFrame *fr = av_frame_alloc();
    fr->format = AV_PIX_FMT_RGB24;
    fr->width = 64;
    fr->height = 32;
    CHECK(av_frame_get_buffer(fr, 0) == 0);
    for (int y = 0; y < fr->height; y++)
        for (int x = 0; x < fr->width; x++)
            memcpy(fr->data[0] + y * fr->linesize[0] + x * 3, rgb, 3);
    CHECK(vl_renderer_plate_frame(r, fr));
    av_frame_free(&fr);
}

/* A plate frozen: the outer keeps the old picture, the inner shows the new. */
static void test_freeze_plate(vl_renderer *r, uint8_t *rgba)
{
    static const uint8_t red[3] = { 200, 40, 40 }, green[3] = { 40, 200, 40 };
    vl_camera cam = camera(0);
    probe p = probe_for(&cam, 0.1);
    vl_plate_view view = { .mode = VL_PLATE_EQUIRECT };
    vl_renderer_set_plate(r, &view);
    vl_frustum_settings f = defaults();
    /* Red; frozen on red; green arrives while frozen; thawed. */
    static const char *const steps[] = { "red", "frozen on red", "green, outer frozen on red", "green, thawed" };
    for (int step = 0; step < 4; step++) {
        f.freeze_outer = step == 1 || step == 2;
        set_frustum(r, &f);
        if (step != 1)
            show_flat_plate(r, step == 0 ? red : green);
        vl_renderer_frame(r, NULL, &cam, 0);
        vl_renderer_read_canvas(r, 0, rgba);
        long n_in = 0, n_out = 0, bad = 0;
        for (int y = 0; y < WALL_H; y++) {
            for (int x = 0; x < CW; x++) {
                int w = where(&p, x, y);
                if (!w)
                    continue;
                const uint8_t *want = step < 2 || (step == 2 && w < 0) ? red : green;
                n_in += w > 0;
                n_out += w < 0;
                bad += !near(px(rgba, x, y), want, 2);
            }
        }
        printf("plate %s: %ld inner and %ld outer pixels, %ld not as expected\n", steps[step], n_in, n_out, bad);
        CHECK(n_in > 100000 && n_out > 500000 && bad == 0);
    }
    vl_renderer_set_plate(r, NULL);
    reset(r);
}

int main(void)
{
    test_color_math();
    vl_stage *stage = vl_stage_default();
    wall_init(stage);
    vl_gl *gl = vl_gl_create(stage, VL_GL_HEADLESS);
    CHECK(gl != NULL);
    if (!gl)
        return check_result("frustum");
    vl_renderer *r = vl_renderer_create(stage, NULL);
    vl_scene *grid = vl_scene_create("builtin:grid", NULL);
    vl_scene *fell = vl_scene_create("builtin:fell", NULL);
    CHECK(r && grid && fell);
    size_t n = (size_t)CW * CH * 4;
    uint8_t *a = malloc(n), *b = malloc(n), *c = malloc(n);
    if (r && grid && fell) {
        test_chroma(r, grid, a);
        test_lens(r, grid, a);
        check_soft_flat(r, grid, a, "scene");
        check_soft_scene(r, grid, a, b);
        check_cards(r, grid, a, b, 0, "scene");
        test_color(r, grid, a, b);
        test_outer_eye(r, stage, grid, a, b);
        test_freeze_scene(r, fell, a, b, c);
        /* The same with a plate (its fallback picture until a frame comes),
         * which draws every wall pixel in one pass unless a feature needs
         * the outer apart. */
        vl_plate_view view = { .mode = VL_PLATE_EQUIRECT };
        vl_renderer_set_plate(r, &view);
        test_chroma(r, NULL, a);
        check_soft_flat(r, NULL, a, "plate");
        check_cards(r, NULL, a, b, 1, "plate");
        test_freeze_plate(r, a);
    }
    free(a);
    free(b);
    free(c);
    vl_scene_destroy(grid);
    vl_scene_destroy(fell);
    vl_renderer_destroy(r);
    vl_gl_destroy(gl);
    vl_stage_free(stage);
    return check_result("frustum");
}
