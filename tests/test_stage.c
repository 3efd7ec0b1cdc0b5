/* Stage model tests: section geometry against hand-computed corners, the
 * built-in stage, every config error kind, the shipped configs, and JSON
 * round trips. Needs VOLYM_SOURCE_ROOT for the configs/ checks. */
#define _POSIX_C_SOURCE 200809L

#include "check.h"
#include "stage/stage.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOL 1e-9

static double rad(double deg) { return deg * acos(-1.0) / 180.0; }

#define CHECK_P(p, x, y, z) do { \
    CHECK_NEAR((p)[0], (x), TOL); CHECK_NEAR((p)[1], (y), TOL); CHECK_NEAR((p)[2], (z), TOL); \
} while (0)

static double dot(const double a[3], const double b[3]) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

/* A section of one output-independent shape, for geometry tests. */
static vl_section section(double w_mm, double h_mm, int px_w, int px_h, int cols, int rows,
                          double x, double y, double z, double yaw, double pitch, double roll, double curve)
{
    return (vl_section){ .name = "s", .panel_w_mm = w_mm, .panel_h_mm = h_mm,
                         .panel_px_w = px_w, .panel_px_h = px_h, .cols = cols, .rows = rows,
                         .pos = { x, y, z }, .yaw_deg = yaw, .pitch_deg = pitch, .roll_deg = roll,
                         .curve_deg = curve };
}

static void test_default_stage(void)
{
    vl_stage *st = vl_stage_default();
    CHECK(!strcmp(st->name, "default-curved"));
    CHECK(st->rate.num == 25 && st->rate.den == 1);
    CHECK_NEAR(st->frustum.overscan, 0.1, 0);
    CHECK_P(st->frustum.outer_eye, 0, 0, 1.7);
    CHECK(st->n_outputs == 1 && !strcmp(st->outputs[0].name, "wall"));
    CHECK(st->outputs[0].width == 1920 && st->outputs[0].height == 1080);
    CHECK(st->outputs[0].display == 0 && !st->outputs[0].fullscreen);
    CHECK(st->n_sections == 1);
    const vl_section *s = &st->sections[0];
    CHECK(!strcmp(s->name, "main") && s->output == 0 && s->canvas_x == 0 && s->canvas_y == 0);
    CHECK(vl_section_width_px(s) == 1920 && vl_section_height_px(s) == 800);
    CHECK_NEAR(s->yaw_deg, -27.5, 0);

    /* Top-left by hand: walk back from the middle edge (0, 4) over columns
     * 5..0, whose yaws are -2.5 .. -27.5; each is 0.5 m along
     * (cos yaw, -sin yaw, 0). */
    double x0 = 0, y0 = 4;
    for (int i = 0; i < 6; i++) {
        double yaw = rad(-27.5 + 5 * i);
        x0 -= 0.5 * cos(yaw);
        y0 += 0.5 * sin(yaw);
    }
    CHECK_NEAR(x0, -2.8656982032566685, 1e-12);
    CHECK_NEAR(y0, 3.2321384806860562, 1e-12);
    double p[3];
    vl_section_pixel_to_stage(s, 960, 0, p);
    CHECK_P(p, 0, 4, 2.5);
    vl_section_pixel_to_stage(s, 960, 800, p);
    CHECK_P(p, 0, 4, 0);
    vl_section_pixel_to_stage(s, 0, 0, p);
    CHECK_P(p, x0, y0, 2.5);
    vl_section_pixel_to_stage(s, 1920, 0, p);
    CHECK_P(p, -x0, y0, 2.5);
    vl_section_pixel_to_stage(s, 0, 800, p);
    CHECK_P(p, x0, y0, 0);
    vl_section_pixel_to_stage(s, 1920, 800, p);
    CHECK_P(p, -x0, y0, 0);

    /* Every column edge mirrors its partner about X = 0, and every facet is
     * 0.5 m wide, flat, vertical, and ends where the next one starts. */
    for (int k = 0; k <= 12; k++) {
        double a[3], b[3];
        vl_section_pixel_to_stage(s, 160 * k, 800, a);
        vl_section_pixel_to_stage(s, 160 * (12 - k), 800, b);
        CHECK_NEAR(a[0], -b[0], TOL);
        CHECK_NEAR(a[1], b[1], TOL);
        CHECK_NEAR(a[2], 0, TOL);
    }
    for (int c = 0; c < 12; c++) {
        vl_basis bc = vl_section_column_basis(s, c);
        CHECK_NEAR(bc.forward[0], sin(rad(-27.5 + 5 * c)), TOL);
        CHECK_NEAR(bc.forward[1], cos(rad(-27.5 + 5 * c)), TOL);
        CHECK_P(bc.up, 0, 0, 1);
        double start[3], end[3], mid[3];
        vl_section_pixel_to_stage(s, 160 * c, 0, start);
        vl_section_pixel_to_stage(s, 160 * c + 160, 0, end);
        vl_section_pixel_to_stage(s, 160 * c + 80, 400, mid);
        double d[3] = { end[0] - start[0], end[1] - start[1], end[2] - start[2] };
        CHECK_NEAR(sqrt(dot(d, d)), 0.5, TOL);
        double along[3] = { start[0] + 0.5 * bc.right[0], start[1] + 0.5 * bc.right[1], start[2] };
        CHECK_P(end, along[0], along[1], along[2]);
        double m[3] = { mid[0] - start[0], mid[1] - start[1], mid[2] - start[2] };
        CHECK_NEAR(dot(m, bc.forward), 0, TOL);
        CHECK_NEAR(mid[2], 1.25, TOL);
    }
    vl_basis first = vl_section_column_basis(s, 0), last = vl_section_column_basis(s, 11);
    CHECK_NEAR(acos(dot(first.forward, last.forward)), rad(55), TOL);
    /* Concave: the outer columns face inwards, towards X = 0. */
    CHECK(first.forward[0] < 0 && last.forward[0] > 0);

    /* Pixel centres: (0,0) and the one left of the middle edge, row 399. */
    double step = 0.5 / 160;
    vl_section_pixel_to_stage(s, 0.5, 0.5, p);
    CHECK_P(p, x0 + cos(rad(27.5)) * step / 2, y0 + sin(rad(27.5)) * step / 2, 2.5 - step / 2);
    vl_section_pixel_to_stage(s, 959.5, 399.5, p);
    CHECK_P(p, -cos(rad(2.5)) * step / 2, 4 - sin(rad(2.5)) * step / 2, 2.5 - 399.5 * step);

    /* Outside the wall: extrapolate along the outer facets. */
    vl_section_pixel_to_stage(s, -160, 0, p);
    CHECK_P(p, x0 - 0.5 * cos(rad(27.5)), y0 - 0.5 * sin(rad(27.5)), 2.5);
    vl_section_pixel_to_stage(s, 2080, 960, p);
    CHECK_P(p, -x0 + 0.5 * cos(rad(27.5)), y0 - 0.5 * sin(rad(27.5)), -0.5);
    vl_stage_free(st);
}

static void test_flat_sections(void)
{
    double p[3];
    /* Straight ahead: 2x1 panels of 500x250 mm, 100x50 px. */
    vl_section s = section(500, 250, 100, 50, 2, 1, -1, 3, 2, 0, 0, 0, 0);
    CHECK(vl_section_width_px(&s) == 200 && vl_section_height_px(&s) == 50);
    vl_section_pixel_to_stage(&s, 200, 50, p);
    CHECK_P(p, 0, 3, 1.75);
    vl_section_pixel_to_stage(&s, 100, 0, p);
    CHECK_P(p, -0.5, 3, 2);
    vl_section_pixel_to_stage(&s, 0.5, 0.5, p);
    CHECK_P(p, -0.9975, 3, 1.9975);

    /* A wall on the right (yaw +90): faces -X, rows run towards -Y. */
    s = section(500, 500, 100, 100, 2, 1, 3, 1, 2, 90, 0, 0, 0);
    vl_section_pixel_to_stage(&s, 200, 100, p);
    CHECK_P(p, 3, 0, 1.5);
    vl_basis b = vl_section_column_basis(&s, 1);
    CHECK_P(b.forward, 1, 0, 0);
    /* And one on the left (yaw -90). */
    s = section(500, 500, 100, 100, 2, 1, -3, 0, 2, -90, 0, 0, 0);
    vl_section_pixel_to_stage(&s, 200, 100, p);
    CHECK_P(p, -3, 1, 1.5);

    /* Ceiling (pitch +90): up is -Y, so rows run towards +Y. */
    s = section(500, 500, 160, 160, 6, 4, -1.5, 2, 3, 0, 90, 0, 0);
    vl_section_pixel_to_stage(&s, 960, 640, p);
    CHECK_P(p, 1.5, 4, 3);
    vl_section_pixel_to_stage(&s, 0, 640, p);
    CHECK_P(p, -1.5, 4, 3);
    vl_section_pixel_to_stage(&s, 960, 0, p);
    CHECK_P(p, 1.5, 2, 3);
    b = vl_section_column_basis(&s, 0);
    CHECK_P(b.forward, 0, 0, 1);
    CHECK_P(b.up, 0, -1, 0);

    /* Tilted 30 degrees (its top leans towards the viewer). */
    s = section(1000, 1000, 100, 100, 1, 1, 0, 3, 2, 0, 30, 0, 0);
    vl_section_pixel_to_stage(&s, 0, 100, p);
    CHECK_P(p, 0, 3.5, 2 - sqrt(3) / 2);
    /* Yawed and rolled 90: right is down (-Z), up is -Y, faces -X. */
    s = section(1000, 1000, 100, 100, 1, 1, 1, 2, 3, 90, 0, 90, 0);
    vl_section_pixel_to_stage(&s, 100, 0, p);
    CHECK_P(p, 1, 2, 2);
    vl_section_pixel_to_stage(&s, 0, 100, p);
    CHECK_P(p, 1, 3, 3);

    /* A curved ceiling: columns turn about the section's up (-Y) axis, each
     * next one bending down towards the viewer below. */
    s = section(1000, 1000, 100, 100, 2, 1, 0, 0, 3, 0, 90, 0, 10);
    vl_section_pixel_to_stage(&s, 200, 0, p);
    CHECK_P(p, 1 + cos(rad(10)), 0, 3 - sin(rad(10)));
    b = vl_section_column_basis(&s, 1);
    CHECK_P(b.forward, sin(rad(10)), 0, cos(rad(10)));
}

#define SAME(cond) do { if (!(cond)) { fprintf(stderr, "stages differ: %s\n", #cond); return false; } } while (0)
#define SAME_D(x, y) SAME(fabs((x) - (y)) <= tol)
#define SAME_3(x, y) do { for (int k_ = 0; k_ < 3; k_++) SAME_D((x)[k_], (y)[k_]); } while (0)

static bool table_equal(const vl_lens_table *a, const vl_lens_table *b, double tol)
{
    SAME(a->n == b->n);
    for (int i = 0; i < a->n; i++) {
        SAME_D(a->raw[i], b->raw[i]);
        SAME_D(a->value[i], b->value[i]);
    }
    return true;
}

static bool tracker_equal(const vl_tracker_config *x, const vl_tracker_config *y, double tol)
{
    SAME(!strcmp(x->url, y->url) && x->camera == y->camera && x->smoothing == y->smoothing);
    SAME(!strcmp(x->description, y->description));
    SAME_D(x->delay_ms, y->delay_ms);
    SAME_D(x->predict_ms, y->predict_ms);
    SAME_D(x->stale_ms, y->stale_ms);
    SAME_D(x->extrapolate_ms, y->extrapolate_ms);
    SAME_D(x->min_cutoff_hz, y->min_cutoff_hz);
    SAME_D(x->beta, y->beta);
    SAME_D(x->d_cutoff_hz, y->d_cutoff_hz);
    SAME_3(x->offset, y->offset);
    SAME_3(x->rotation, y->rotation);
    SAME_D(x->scale, y->scale);
    SAME_3(x->axis_sign, y->axis_sign);
    SAME_3(x->angle_sign, y->angle_sign);
    SAME_3(x->nodal_offset, y->nodal_offset);
    SAME_D(x->fov_deg, y->fov_deg);
    SAME(!strcmp(x->lens.preset, y->lens.preset));
    SAME(table_equal(&x->lens.zoom_fov, &y->lens.zoom_fov, tol));
    SAME(table_equal(&x->lens.focus_m, &y->lens.focus_m, tol));
    return true;
}

static bool frustum_equal(const vl_frustum_settings *a, const vl_frustum_settings *b, double tol)
{
    SAME_D(a->overscan, b->overscan);
    SAME_3(a->outer_eye, b->outer_eye);
    SAME_D(a->soft_edge, b->soft_edge);
    SAME(a->freeze_outer == b->freeze_outer);
    const vl_chroma *x = &a->chroma, *y = &b->chroma;
    SAME(x->on == y->on && x->markers == y->markers);
    SAME(x->marker_spacing_px == y->marker_spacing_px && x->marker_size_px == y->marker_size_px);
    SAME_3(x->color, y->color);
    SAME_3(x->marker_color, y->marker_color);
    SAME(a->n_cards == b->n_cards);
    for (int i = 0; i < a->n_cards; i++) {
        const vl_light_card *p = &a->cards[i], *q = &b->cards[i];
        SAME(!strcmp(p->name, q->name) && p->output == q->output && p->over == q->over && p->on == q->on);
        SAME_D(p->x, q->x);
        SAME_D(p->y, q->y);
        SAME_D(p->w, q->w);
        SAME_D(p->h, q->h);
        SAME_3(p->color, q->color);
        SAME_D(p->intensity, q->intensity);
    }
    return true;
}

static bool stage_equal(const vl_stage *a, const vl_stage *b, double tol)
{
    SAME(!strcmp(a->name, b->name) && !strcmp(a->description, b->description));
    SAME(a->rate.num == b->rate.num && a->rate.den == b->rate.den);
    SAME(frustum_equal(&a->frustum, &b->frustum, tol));
    SAME(a->n_outputs == b->n_outputs && a->n_sections == b->n_sections);
    for (int i = 0; i < a->n_outputs; i++) {
        const vl_output *x = &a->outputs[i], *y = &b->outputs[i];
        SAME(!strcmp(x->name, y->name) && x->width == y->width && x->height == y->height);
        SAME(x->display == y->display && x->fullscreen == y->fullscreen);
        SAME_D(x->color.brightness, y->color.brightness);
        for (int k = 0; k < 9; k++)
            SAME_D(x->color.matrix[k], y->color.matrix[k]);
        SAME(x->color.transfer == y->color.transfer);
        SAME_D(x->color.white_nits, y->color.white_nits);
    }
    for (int i = 0; i < a->n_sections; i++) {
        const vl_section *x = &a->sections[i], *y = &b->sections[i];
        SAME(!strcmp(x->name, y->name) && x->output == y->output);
        SAME(x->canvas_x == y->canvas_x && x->canvas_y == y->canvas_y);
        SAME(x->panel_px_w == y->panel_px_w && x->panel_px_h == y->panel_px_h);
        SAME(x->cols == y->cols && x->rows == y->rows);
        SAME_D(x->panel_w_mm, y->panel_w_mm);
        SAME_D(x->panel_h_mm, y->panel_h_mm);
        for (int k = 0; k < 3; k++)
            SAME_D(x->pos[k], y->pos[k]);
        SAME_D(x->yaw_deg, y->yaw_deg);
        SAME_D(x->pitch_deg, y->pitch_deg);
        SAME_D(x->roll_deg, y->roll_deg);
        SAME_D(x->curve_deg, y->curve_deg);
    }
    SAME(a->n_trackers == b->n_trackers);
    for (int i = 0; i < a->n_trackers; i++)
        SAME(tracker_equal(&a->trackers[i], &b->trackers[i], tol));
    return true;
}
#undef SAME
#undef SAME_D
#undef SAME_3

/* JSON pieces for the error tests: a valid stage is
 * STAGE(RATE, OUT, "{" SEC "}"). */
#define RATE "\"rate\":\"25\""
#define OUT "\"outputs\":[{\"name\":\"wall\",\"width\":1920,\"height\":1080}]"
#define OUT2 "\"outputs\":[{\"name\":\"wall\",\"width\":1920,\"height\":1080}," \
             "{\"name\":\"ceil\",\"width\":1920,\"height\":1080}]"
#define SEC_NOGRID "\"name\":\"main\",\"canvas\":[0,0],\"panel_mm\":[500,500],\"panel_px\":[160,160]," \
                   "\"position\":[0,4,2.5]"
#define SEC SEC_NOGRID ",\"grid\":[12,5]"
#define STAGE(rate, outputs, sections) "{\"name\":\"t\"," rate "," outputs ",\"sections\":[" sections "]}"
/* A valid stage with the given trackers. */
#define TRACKERS(t) "{\"name\":\"t\"," RATE "," OUT ",\"sections\":[{" SEC "}],\"trackers\":[" t "]}"
#define TRK_MIN "{\"url\":\"osc://:9000\"}"
#define TRK_4 TRK_MIN "," TRK_MIN "," TRK_MIN "," TRK_MIN
#define TRK_16 TRK_4 "," TRK_4 "," TRK_4 "," TRK_4
/* One tracker with every key, a preset lens with its own ends, and an
 * explicit zoom table that replaces the preset's. */
#define TRK_FULL "{\"url\":\"freed://0.0.0.0:52380\",\"description\":\"jib\",\"camera\":2," \
    "\"delay_ms\":40,\"predict_ms\":20,\"stale_ms\":250,\"extrapolate_ms\":50," \
    "\"smoothing\":{\"min_cutoff_hz\":2,\"beta\":0.1,\"d_cutoff_hz\":1.5}," \
    "\"transform\":{\"offset\":[1,-2,0.5],\"rotation\":[90,0,-5],\"scale\":0.001," \
    "\"axis_sign\":[1,-1,1],\"angle_sign\":[-1,1,-1]}," \
    "\"nodal_offset\":[0,0.12,0.08],\"fov_deg\":40," \
    "\"lens\":{\"preset\":\"sony\",\"wide_fov_deg\":64,\"tele_fov_deg\":3.5,\"near_m\":0.8,\"far_m\":500," \
    "\"zoom\":[[0,64],[16000,20],[31424,3.5]]}}"
/* A valid stage with these frustum keys, or this key on its output. */
#define FRUSTUM(keys) "{\"name\":\"t\"," RATE ",\"frustum\":{" keys "}," OUT ",\"sections\":[{" SEC "}]}"
#define OUTPUT_KEY(key) STAGE(RATE, "\"outputs\":[{\"name\":\"wall\",\"width\":1920,\"height\":1080," key "}]", \
                              "{" SEC "}")
#define CARD_MIN "{\"name\":\"k\",\"rect\":[0,0,1,1]}"
#define CARD_4 CARD_MIN "," CARD_MIN "," CARD_MIN "," CARD_MIN
#define CARD_16 "{\"name\":\"a\",\"rect\":[0,0,1,1]},{\"name\":\"b\",\"rect\":[0,0,1,1]}," \
    "{\"name\":\"c\",\"rect\":[0,0,1,1]},{\"name\":\"d\",\"rect\":[0,0,1,1]}," \
    "{\"name\":\"e\",\"rect\":[0,0,1,1]},{\"name\":\"f\",\"rect\":[0,0,1,1]}," \
    "{\"name\":\"g\",\"rect\":[0,0,1,1]},{\"name\":\"h\",\"rect\":[0,0,1,1]}," \
    "{\"name\":\"i\",\"rect\":[0,0,1,1]},{\"name\":\"j\",\"rect\":[0,0,1,1]}," \
    "{\"name\":\"k\",\"rect\":[0,0,1,1]},{\"name\":\"l\",\"rect\":[0,0,1,1]}," \
    "{\"name\":\"m\",\"rect\":[0,0,1,1]},{\"name\":\"n\",\"rect\":[0,0,1,1]}," \
    "{\"name\":\"o\",\"rect\":[0,0,1,1]},{\"name\":\"p\",\"rect\":[0,0,1,1]}"
#define PRESETS_LIST "(presets: generic, panasonic, sony, mosys, stype, ncam)"

static void test_parse_ok(void)
{
    char err[512];
    vl_stage *st = vl_stage_parse(STAGE(RATE, OUT, "{" SEC "}"), "t.json", err, sizeof(err));
    CHECK(st && !err[0]);
    if (st) {
        /* Optional keys take their defaults; one output needs no "output". */
        CHECK(st->rate.num == 25 && st->rate.den == 1);
        CHECK_NEAR(st->frustum.overscan, 0.1, 0);
        CHECK_P(st->frustum.outer_eye, 0, 0, 1.7);
        CHECK(st->outputs[0].display == 0 && !st->outputs[0].fullscreen);
        CHECK(st->sections[0].output == 0 && st->sections[0].curve_deg == 0);
        CHECK(st->sections[0].yaw_deg == 0 && st->sections[0].pitch_deg == 0);
    }
    vl_stage_free(st);

    static const struct { const char *rate; int64_t num, den; } rates[] = {
        { "\"rate\":\"24000/1001\"", 24000, 1001 }, { "\"rate\":\"23.976\"", 24000, 1001 },
        { "\"rate\":\"29.97\"", 30000, 1001 }, { "\"rate\":\"59.94\"", 60000, 1001 },
        { "\"rate\":50", 50, 1 },
    };
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        char json[1024];
        snprintf(json, sizeof(json), "{\"name\":\"t\",%s," OUT ",\"sections\":[{" SEC "}]}", rates[i].rate);
        st = vl_stage_parse(json, "t.json", err, sizeof(err));
        CHECK(st && st->rate.num == rates[i].num && st->rate.den == rates[i].den);
        vl_stage_free(st);
    }

    /* The rectangle may touch the canvas edge; a 63-byte name fits. */
    st = vl_stage_parse(STAGE(RATE, OUT, "{\"name\":\"m\",\"canvas\":[0,280],\"panel_mm\":[500,500],"
                              "\"panel_px\":[160,160],\"position\":[0,4,2.5],\"grid\":[12,5]}"),
                        "t.json", err, sizeof(err));
    CHECK(st != NULL);  /* 280 + 800 = 1080 */
    vl_stage_free(st);
    st = vl_stage_parse("{\"name\":\"" "123456789012345678901234567890123456789012345678901234567890123" "\","
                        RATE "," OUT ",\"sections\":[{" SEC "}]}", "t.json", err, sizeof(err));
    CHECK(st && strlen(st->name) == 63);
    vl_stage_free(st);
}

static void test_parse_errors(void)
{
    static const struct { const char *json, *want; } cases[] = {
        /* syntax: file:line:column from jansson */
        { "{\n  \"name\": \"t\",\n  \"rate\": 25,,\n}", "t.json:3:14: " },
        { "{\"name\":\"t\",\"name\":\"u\"}", "t.json:1:" },
        { "", "t.json:1:0: " },
        /* missing required keys */
        { STAGE(RATE, OUT, "{" SEC_NOGRID "}"),
          "t.json: $.sections[0]: missing required key 'grid', expected [columns, rows]" },
        { "{\"name\":\"t\"," OUT ",\"sections\":[{" SEC "}]}", "t.json: $: missing required key 'rate'" },
        { "{" RATE "," OUT ",\"sections\":[{" SEC "}]}", "t.json: $: missing required key 'name'" },
        { "{\"name\":\"t\"," RATE ",\"sections\":[{" SEC "}]}", "t.json: $: missing required key 'outputs'" },
        /* wrong types */
        { "[1,2]", "t.json: $: expected an object, got [1,2]" },
        { STAGE(RATE, OUT, "{" SEC_NOGRID ",\"grid\":[12,\"5\"]}"),
          "t.json: $.sections[0].grid: expected [columns, rows] as two positive integers (at most 1024), "
          "got [12,\"5\"]" },
        { STAGE(RATE, OUT, "{" SEC_NOGRID ",\"grid\":[12,5,1]}"), "$.sections[0].grid: expected [columns, rows]" },
        { STAGE(RATE, OUT, "{" SEC_NOGRID ",\"grid\":12}"), "$.sections[0].grid: expected [columns, rows]" },
        { STAGE(RATE, "\"outputs\":[{\"name\":\"wall\",\"width\":1920,\"height\":1080,\"fullscreen\":\"yes\"}]",
                "{" SEC "}"), "$.outputs[0].fullscreen: expected true or false, got \"yes\"" },
        { STAGE(RATE, OUT, "{" SEC ",\"rotation\":\"0\"}"), "$.sections[0].rotation: expected [yaw, pitch, roll]" },
        { STAGE(RATE, OUT, "7"), "$.sections[0]: expected an object, got 7" },
        { STAGE(RATE, OUT, "{" SEC ",\"output\":1}"), "$.sections[0].output: expected the name of an output" },
        { "{\"name\":\"t\"," RATE ",\"frustum\":[]," OUT ",\"sections\":[{" SEC "}]}",
          "$.frustum: expected an object, got []" },
        /* out of range */
        { STAGE(RATE, OUT, "{" SEC_NOGRID ",\"grid\":[12,0]}"),
          "$.sections[0].grid: expected [columns, rows] as two positive integers (at most 1024), got [12,0]" },
        { STAGE(RATE, OUT, "{\"name\":\"m\",\"canvas\":[0,0],\"panel_mm\":[0,500],\"panel_px\":[160,160],"
                "\"position\":[0,4,2.5],\"grid\":[12,5]}"),
          "$.sections[0].panel_mm: expected [width, height] in millimetres, each above 0" },
        { STAGE(RATE, OUT, "{\"name\":\"m\",\"canvas\":[0,0],\"panel_mm\":[500,500],\"panel_px\":[160,-1],"
                "\"position\":[0,4,2.5],\"grid\":[12,5]}"), "$.sections[0].panel_px: expected [width, height]" },
        { STAGE(RATE, "\"outputs\":[{\"name\":\"wall\",\"width\":-1920,\"height\":1080}]", "{" SEC "}"),
          "$.outputs[0].width: expected an integer from 1 to 32768, got -1920" },
        { STAGE(RATE, OUT, "{" SEC ",\"curve_deg\":90}"), "$.sections[0].curve_deg: expected degrees per column" },
        { "{\"name\":\"t\"," RATE ",\"frustum\":{\"overscan\":-0.1}," OUT ",\"sections\":[{" SEC "}]}",
          "$.frustum.overscan: expected a number from 0 to 2, got -0.1" },
        { "{\"name\":\"t\"," RATE ",\"frustum\":{\"overscan\":2.5}," OUT ",\"sections\":[{" SEC "}]}",
          "$.frustum.overscan: expected a number from 0 to 2, got 2.5" },
        { STAGE("\"rate\":\"abc\"", OUT, "{" SEC "}"), "t.json: $.rate: expected a frame rate such as" },
        { STAGE("\"rate\":\"25.5\"", OUT, "{" SEC "}"), "$.rate: expected a frame rate" },
        { STAGE("\"rate\":0", OUT, "{" SEC "}"), "$.rate: expected a frame rate" },
        { STAGE("\"rate\":\"5000\"", OUT, "{" SEC "}"), "$.rate: expected a frame rate" },
        { STAGE("\"rate\":25.0", OUT, "{" SEC "}"), "$.rate: expected a frame rate" },
        { "{\"name\":\"\"," RATE "," OUT ",\"sections\":[{" SEC "}]}", "$.name: expected a name of 1 to 63" },
        { "{\"name\":\"1234567890123456789012345678901234567890123456789012345678901234\"," RATE "," OUT
          ",\"sections\":[{" SEC "}]}", "$.name: expected a name of 1 to 63 characters, got \"123" },
        { "{\"name\":\"a\\u0000b\"," RATE "," OUT ",\"sections\":[{" SEC "}]}", "t.json:1:18: \\u0000 is not allowed" },
        /* unknown keys (typos) */
        { "{\"name\":\"t\"," RATE ",\"frustum\":{\"overscn\":0.1}," OUT ",\"sections\":[{" SEC "}]}",
          "t.json: $.frustum: unknown key 'overscn' (expected one of: overscan, outer_eye, soft_edge, freeze_outer, "
          "chroma, light_cards)" },
        /* frustum features */
        { FRUSTUM("\"soft_edge\":0.75"), "t.json: $.frustum.soft_edge: expected a fraction of the frustum's "
          "half-size from 0 to 0.5, got 0.75" },
        { FRUSTUM("\"freeze_outer\":1"), "t.json: $.frustum.freeze_outer: expected true or false, got 1" },
        { FRUSTUM("\"chroma\":true"), "t.json: $.frustum.chroma: expected an object of on, color, markers, "
          "marker_spacing_px, marker_size_px, marker_color, got true" },
        { FRUSTUM("\"chroma\":{\"colour\":[0,1,0]}"), "t.json: $.frustum.chroma: unknown key 'colour' (expected "
          "one of: on, color, markers, marker_spacing_px, marker_size_px, marker_color)" },
        { FRUSTUM("\"chroma\":{\"color\":[0,1.5,0]}"),
          "t.json: $.frustum.chroma.color: expected [r, g, b], each from 0 to 1, got [0,1.5,0]" },
        { FRUSTUM("\"chroma\":{\"marker_spacing_px\":2}"),
          "t.json: $.frustum.chroma.marker_spacing_px: expected an integer from 4 to 4096, got 2" },
        { FRUSTUM("\"chroma\":{\"marker_spacing_px\":40,\"marker_size_px\":41}"),
          "t.json: $.frustum.chroma.marker_size_px: expected at most marker_spacing_px (40), got 41" },
        { FRUSTUM("\"light_cards\":{}"), "t.json: $.frustum.light_cards: expected an array of light_cards, got {}" },
        { FRUSTUM("\"light_cards\":[" CARD_4 "]"),
          "t.json: $.frustum.light_cards[1]: duplicate light card name 'k' (also $.frustum.light_cards[0])" },
        { FRUSTUM("\"light_cards\":[{\"name\":\"k\"}]"),
          "t.json: $.frustum.light_cards[0]: missing required key 'rect', expected [x, y, width, height]" },
        { FRUSTUM("\"light_cards\":[{\"name\":\"k\",\"rect\":[0,0,10]}]"),
          "t.json: $.frustum.light_cards[0].rect: expected [x, y, width, height] in canvas pixels, each from "
          "-65536 to 65536, width and height above 0, got [0,0,10]" },
        { FRUSTUM("\"light_cards\":[{\"name\":\"k\",\"rect\":[0,0,10,0]}]"),
          "t.json: $.frustum.light_cards[0].rect: expected [x, y, width, height] in canvas pixels, each from "
          "-65536 to 65536, width and height above 0, got [0,0,10,0]" },
        { FRUSTUM("\"light_cards\":[{\"name\":\"k\",\"rect\":[0,0,10,10],\"output\":\"wal\"}]"),
          "t.json: $.frustum.light_cards[0].output: no output named 'wal' (outputs: wall)" },
        { FRUSTUM("\"light_cards\":[{\"name\":\"k\",\"rect\":[0,0,10,10],\"intensity\":-1}]"),
          "t.json: $.frustum.light_cards[0].intensity: expected a number from 0 to 100, got -1" },
        { FRUSTUM("\"light_cards\":[{\"name\":\"k\",\"rect\":[0,0,10,10],\"over\":\"yes\"}]"),
          "t.json: $.frustum.light_cards[0].over: expected true (over the inner frustum) or false (only outside "
          "it), got \"yes\"" },
        { FRUSTUM("\"light_cards\":[{\"name\":\"k\",\"rect\":[0,0,10,10],\"colour\":[1,1,1]}]"),
          "t.json: $.frustum.light_cards[0]: unknown key 'colour' (expected one of: name, output, rect, color, "
          "intensity, over, on)" },
        { FRUSTUM("\"light_cards\":[" CARD_16 ",{\"name\":\"x\",\"rect\":[0,0,1,1]}]"),
          "t.json: $.frustum.light_cards: expected at most 16 light_cards, got 17" },
        { "{\"name\":\"t\"," RATE ",\"frustum\":{\"light_cards\":[{\"name\":\"k\",\"rect\":[0,0,9,9]}]}," OUT2
          ",\"sections\":[{" SEC ",\"output\":\"wall\"}]}",
          "t.json: $.frustum.light_cards[0]: missing key 'output' (needed when there are several outputs: wall, ceil)" },
        { OUTPUT_KEY("\"brightness\":11"), "t.json: $.outputs[0].brightness: expected a linear gain from 0 to 10, got 11" },
        { OUTPUT_KEY("\"color_matrix\":[1,0,0,0,1,0,0,0]"),
          "t.json: $.outputs[0].color_matrix: expected 9 numbers (a 3x3 matrix on linear RGB, row by row), each "
          "from -10 to 10, got [1,0,0,0,1,0,0,0]" },
        { OUTPUT_KEY("\"color_matrix\":[1,0,0,0,1,0,0,0,\"1\"]"), "t.json: $.outputs[0].color_matrix: expected 9" },
        { OUTPUT_KEY("\"transfer\":\"hlg\""),
          "t.json: $.outputs[0].transfer: expected \"srgb\", \"rec709\" or \"pq\", got \"hlg\"" },
        { OUTPUT_KEY("\"transfer\":1"), "t.json: $.outputs[0].transfer: expected \"srgb\"" },
        { OUTPUT_KEY("\"white_nits\":0"),
          "t.json: $.outputs[0].white_nits: expected cd/m2 of linear white for pq, from 1 to 10000, got 0" },
        { "{\"name\":\"t\"," RATE "," OUT ",\"sectons\":[{" SEC "}]}",
          "$: unknown key 'sectons' (expected one of: name, description, rate, frustum, outputs, sections, "
          "trackers)" },
        { STAGE(RATE, OUT, "{" SEC ",\"curve\":5}"), "$.sections[0]: unknown key 'curve'" },
        /* references between outputs and sections */
        { STAGE(RATE, OUT, "{" SEC ",\"output\":\"wal\"}"),
          "t.json: $.sections[0].output: no output named 'wal' (outputs: wall)" },
        { STAGE(RATE, OUT2, "{" SEC "}"), "$.sections[0]: missing key 'output' (needed when there are several "
          "outputs: wall, ceil)" },
        { STAGE(RATE, OUT, "{\"name\":\"m\",\"canvas\":[1,0],\"panel_mm\":[500,500],\"panel_px\":[160,160],"
                "\"position\":[0,4,2.5],\"grid\":[12,5]}"),
          "t.json: $.sections[0]: its 1920x800 px rectangle at canvas [1, 0] does not fit output 'wall' (1920x1080)" },
        { STAGE(RATE, OUT, "{\"name\":\"m\",\"canvas\":[0,281],\"panel_mm\":[500,500],\"panel_px\":[160,160],"
                "\"position\":[0,4,2.5],\"grid\":[12,5]}"), "$.sections[0]: its 1920x800 px rectangle at canvas" },
        /* duplicates and emptiness */
        { STAGE(RATE, "\"outputs\":[{\"name\":\"wall\",\"width\":1920,\"height\":1080},"
                "{\"name\":\"wall\",\"width\":1920,\"height\":1080}]", "{" SEC "}"),
          "$.outputs[1]: duplicate output name 'wall' (also $.outputs[0])" },
        { STAGE(RATE, OUT2, "{" SEC ",\"output\":\"wall\"},{" SEC ",\"output\":\"ceil\"}"),
          "$.sections[1]: duplicate section name 'main' (also $.sections[0])" },
        { STAGE(RATE, OUT, ""), "t.json: $.sections: expected a non-empty array of sections, got []" },
        { "{\"name\":\"t\"," RATE ",\"outputs\":{}, \"sections\":[{" SEC "}]}",
          "$.outputs: expected a non-empty array of outputs, got {}" },
        /* trackers */
        { TRACKERS("{\"url\":\"osc://:9000\",\"delay\":40}"),
          "t.json: $.trackers[0]: unknown key 'delay' (expected one of: url, description, camera, delay_ms, "
          "predict_ms, stale_ms, extrapolate_ms, fov_deg, nodal_offset, transform, smoothing, lens)" },
        { TRACKERS("{\"url\":\"udp://:9000\"}"),
          "t.json: $.trackers[0].url: expected a URL freed://, osc:// or opentrackio://[host]:port of at most "
          "255 characters, got \"udp://:9000\"" },
        { TRACKERS("{\"url\":\"OSC://:9000\"}"), "$.trackers[0].url: expected a URL" },
        { TRACKERS("{\"url\":9000}"), "$.trackers[0].url: expected a URL" },
        { TRACKERS("{\"camera\":1}"), "t.json: $.trackers[0]: missing required key 'url', expected a URL" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"transform\":{\"axis_sign\":[1,0.5,1]}}"),
          "t.json: $.trackers[0].transform.axis_sign: expected [x, y, z] signs, each exactly 1 or -1, "
          "got [1,0.5,1]" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"transform\":{\"angle_sign\":[1,1,0]}}"),
          "$.trackers[0].transform.angle_sign: expected [pan, tilt, roll] signs, each exactly 1 or -1, got [1,1,0]" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"transform\":{\"ofset\":[0,0,0]}}"),
          "$.trackers[0].transform: unknown key 'ofset' (expected one of: offset, rotation, scale, axis_sign, "
          "angle_sign)" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"transform\":[]}"),
          "$.trackers[0].transform: expected an object of offset, rotation, scale, axis_sign, angle_sign, got []" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"transform\":{\"scale\":0}}"),
          "$.trackers[0].transform.scale: expected a number above 0 and at most 1000, got 0" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"transform\":{\"rotation\":[0,400,0]}}"),
          "$.trackers[0].transform.rotation: expected [pan, tilt, roll] in degrees" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":\"sny\"}"),
          "t.json: $.trackers[0].lens: unknown lens preset 'sny' " PRESETS_LIST },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":{\"preset\":\"Sony\"}}"),
          "t.json: $.trackers[0].lens.preset: unknown lens preset 'Sony' " PRESETS_LIST },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":{\"zoom\":[[0,60],[100,30],[100,20]]}}"),
          "t.json: $.trackers[0].lens.zoom[2]: expected a raw value above the previous point's 100 (raw values "
          "must be strictly ascending), got 100" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":{\"focus\":[[10,1],[5,2]]}}"),
          "$.trackers[0].lens.focus[1]: expected a raw value above the previous point's 10" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":{\"zoom\":[[0,60]]}}"),
          "$.trackers[0].lens.zoom: expected 2 to 32 points [raw, fov_deg] with fov_deg in horizontal degrees "
          "from 1 to 170, got 1 point" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":{\"zoom\":{}}}"),
          "$.trackers[0].lens.zoom: expected an array of points [raw, fov_deg]" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":{\"zoom\":[[0,60],[1,200]]}}"),
          "$.trackers[0].lens.zoom[1]: expected a point [raw, fov_deg] with fov_deg in horizontal degrees from 1 "
          "to 170, got [1,200]" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":{\"zoom\":[[0,60],[1,20,3]]}}"),
          "$.trackers[0].lens.zoom[1]: expected a point [raw, fov_deg]" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":{\"focus\":[[0,0],[1,20]]}}"),
          "$.trackers[0].lens.focus[0]: expected a point [raw, metres] with metres above 0 and at most 100000, "
          "got [0,0]" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":{\"wide_fov_deg\":50}}"),
          "$.trackers[0].lens: wide_fov_deg, tele_fov_deg, near_m and far_m set a preset's ends" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":{}}"),
          "$.trackers[0].lens: expected a 'preset' or a 'zoom' or 'focus' table, got none" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":5}"),
          "$.trackers[0].lens: expected a lens preset name or an object of preset, wide_fov_deg" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":{\"preset\":\"sony\",\"tele_fov_deg\":0.5}}"),
          "$.trackers[0].lens.tele_fov_deg: expected the narrowest horizontal degrees from 1 to 170, got 0.5" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"lens\":{\"preset\":\"sony\",\"zom\":[]}}"),
          "$.trackers[0].lens: unknown key 'zom' (expected one of: preset, wide_fov_deg, tele_fov_deg, near_m, "
          "far_m, zoom, focus)" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"delay_ms\":2500}"),
          "t.json: $.trackers[0].delay_ms: expected milliseconds from 0 to 2000, got 2500" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"predict_ms\":-1}"), "$.trackers[0].predict_ms: expected" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"stale_ms\":5}"),
          "$.trackers[0].stale_ms: expected milliseconds from 10 to 60000, got 5" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"extrapolate_ms\":1001}"), "$.trackers[0].extrapolate_ms: expected" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"camera\":-1}"),
          "$.trackers[0].camera: expected a camera id from 0 to 255 (leave it out for any camera), got -1" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"camera\":1.5}"), "$.trackers[0].camera: expected a camera id" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"fov_deg\":0}"),
          "$.trackers[0].fov_deg: expected horizontal degrees from 1 to 170, got 0" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"nodal_offset\":[0,11,0]}"),
          "$.trackers[0].nodal_offset: expected [right, forward, up] in metres, each from -10 to 10" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"smoothing\":\"on\"}"),
          "$.trackers[0].smoothing: expected true, false or an object of min_cutoff_hz, beta, d_cutoff_hz, got \"on\"" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"smoothing\":{\"min_cutoff_hz\":0}}"),
          "$.trackers[0].smoothing.min_cutoff_hz: expected a frequency in Hz above 0 and at most 100, got 0" },
        { TRACKERS("{\"url\":\"osc://:9000\",\"smoothing\":{\"bta\":1}}"),
          "$.trackers[0].smoothing: unknown key 'bta' (expected one of: min_cutoff_hz, beta, d_cutoff_hz)" },
        /* the second tracker fails after the first was read: a half-built stage */
        { TRACKERS(TRK_MIN ",{\"url\":\"osc://:9001\",\"beta\":1}"), "t.json: $.trackers[1]: unknown key 'beta'" },
        { TRACKERS("7"), "t.json: $.trackers[0]: expected an object, got 7" },
        { TRACKERS(TRK_16 "," TRK_MIN), "t.json: $.trackers: expected at most 16 trackers, got 17" },
        { "{\"name\":\"t\"," RATE "," OUT ",\"sections\":[{" SEC "}],\"trackers\":{}}",
          "t.json: $.trackers: expected an array of trackers, got {}" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char err[512] = "untouched";
        vl_stage *st = vl_stage_parse(cases[i].json, "t.json", err, sizeof(err));
        CHECK(st == NULL);
        CHECK(strstr(err, cases[i].want) != NULL);
        CHECK(!strncmp(err, "t.json", 6) && !strchr(err, '\n'));
        if (!strstr(err, cases[i].want))
            fprintf(stderr, "  case %zu: got '%s'\n  wanted '%s'\n", i, err, cases[i].want);
        vl_stage_free(st);
        /* No buffer: still NULL, and nothing written anywhere. */
        CHECK(vl_stage_parse(cases[i].json, "t.json", NULL, 0) == NULL);
    }
    char err[64];
    CHECK(vl_stage_parse(NULL, "t.json", err, sizeof(err)) == NULL && strstr(err, "t.json"));
}

/* n sections of one pixel each, in a row on one output. */
static char *many_sections(int n)
{
    size_t cap = 256 + (size_t)n * 160;
    char *json = vl_xmalloc(cap);
    size_t len = (size_t)snprintf(json, cap, "{\"name\":\"t\"," RATE "," OUT ",\"sections\":[");
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(json + len, cap - len, "%s{\"name\":\"s%d\",\"canvas\":[%d,0],\"panel_mm\":[5,5],"
                                "\"panel_px\":[1,1],\"grid\":[1,1],\"position\":[0,4,2]}", i ? "," : "", i, i);
    snprintf(json + len, cap - len, "]}");
    return json;
}

static void test_limits(void)
{
    char err[512];
    char *json = many_sections(256);
    vl_stage *st = vl_stage_parse(json, "t.json", err, sizeof(err));
    CHECK(st && st->n_sections == 256);
    vl_stage_free(st);
    free(json);
    json = many_sections(257);
    CHECK(vl_stage_parse(json, "t.json", err, sizeof(err)) == NULL);
    CHECK(strstr(err, "t.json: $.sections: expected at most 256 sections, got 257") != NULL);
    free(json);
}

/* Run vl_stage_load with stderr captured, to check its one log line. */
static vl_stage *load_captured(const char *path, char *log, size_t loglen)
{
    FILE *tmp;
    int saved = capture_stderr(&tmp);
    vl_stage *st = vl_stage_load(path);
    end_capture(tmp, saved, log, loglen);
    return st;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_load(void)
{
    char log[2048];
    CHECK(load_captured("/nonexistent/stage.json", log, sizeof(log)) == NULL);
    CHECK(strstr(log, "[stage] error: cannot read /nonexistent/stage.json: No such file or directory"));
    CHECK(count_lines(log) == 1);

    char path[] = "/tmp/volym_test_stage_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    static const char bad[] = "{\n  \"name\": \"t\"\n  \"rate\": \"25\"\n}\n";
    CHECK(write(fd, bad, sizeof(bad) - 1) == (ssize_t)(sizeof(bad) - 1));
    close(fd);
    CHECK(load_captured(path, log, sizeof(log)) == NULL);
    char want[128];
    snprintf(want, sizeof(want), "[stage] error: %s:3:", path);
    CHECK(strstr(log, want) != NULL);
    CHECK(count_lines(log) == 1);
    unlink(path);
}

/* to_json -> parse gives the same stage, and writing that again gives the
 * same text. */
static void check_round_trip(const vl_stage *st)
{
    char err[512];
    char *json = vl_stage_to_json(st);
    CHECK(json != NULL);
    vl_stage *back = vl_stage_parse(json, "round-trip", err, sizeof(err));
    CHECK(back && stage_equal(st, back, 1e-12));
    if (!back)
        fprintf(stderr, "  round trip of '%s': %s\n", st->name, err);
    char *again = back ? vl_stage_to_json(back) : NULL;
    CHECK(again && !strcmp(json, again));
    free(again);
    free(json);
    vl_stage_free(back);
}

static void test_tracker_defaults(void)
{
    vl_tracker_config c;
    memset(&c, 0x5a, sizeof(c));        /* every field must be set, not left over */
    vl_tracker_config_default(&c, "freed://:40000");
    CHECK(!strcmp(c.url, "freed://:40000"));
    CHECK(c.camera == -1);
    CHECK(c.delay_ms == 0 && c.predict_ms == 0 && c.stale_ms == 500 && c.extrapolate_ms == 100);
    CHECK(!c.smoothing && c.min_cutoff_hz == 1 && c.beta == 0.5 && c.d_cutoff_hz == 1);
    CHECK_P(c.offset, 0, 0, 0);
    CHECK_P(c.rotation, 0, 0, 0);
    CHECK(c.scale == 1);
    CHECK_P(c.axis_sign, 1, 1, 1);
    CHECK_P(c.angle_sign, 1, 1, 1);
    CHECK_P(c.nodal_offset, 0, 0, 0);
    CHECK(c.fov_deg == 0);
    CHECK(!c.lens.preset[0] && c.lens.zoom_fov.n == 0 && c.lens.focus_m.n == 0);
    CHECK(!c.description[0]);

    vl_tracker_config_default(&c, NULL);
    CHECK(c.url[0] == '\0' && c.camera == -1);

    /* A URL longer than the field is cut, NUL-terminated, not overrun. */
    char longurl[400];
    memset(longurl, 'a', sizeof(longurl) - 1);
    longurl[sizeof(longurl) - 1] = '\0';
    memcpy(longurl, "osc://", 6);
    vl_tracker_config_default(&c, longurl);
    CHECK(strlen(c.url) == sizeof(c.url) - 1 && !strncmp(c.url, longurl, sizeof(c.url) - 1));
}

static void test_lens_presets(void)
{
    /* The raw ranges promised in stage.h, written out again on purpose: a
     * typo in the preset table must not also be the expected value. */
    static const struct { const char *name; double z0, z1, f0, f1; } want[] = {
        { "generic", 0, 65536, 0, 65536 },
        { "panasonic", 1365, 4095, 1365, 4095 },
        { "sony", 0, 31424, 4096, 61440 },
        { "mosys", 0, 65535, 0, 65535 },
        { "stype", 0, 16777215, 0, 16777215 },
        { "ncam", 0, 16777215, 0, 16777215 },
    };
    size_t n_names = 0;
    while (vl_lens_preset_names[n_names])
        n_names++;
    CHECK(n_names == sizeof(want) / sizeof(want[0]));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]) && i < n_names; i++) {
        CHECK(!strcmp(vl_lens_preset_names[i], want[i].name));
        vl_lens l;
        memset(&l, 0x5a, sizeof(l));
        CHECK(vl_lens_preset(want[i].name, 62, 4, 0.6, 800, &l));
        CHECK(!strcmp(l.preset, want[i].name));
        CHECK(l.zoom_fov.n == 2 && l.focus_m.n == 2);
        CHECK(l.zoom_fov.raw[0] == want[i].z0 && l.zoom_fov.raw[1] == want[i].z1);
        CHECK(l.focus_m.raw[0] == want[i].f0 && l.focus_m.raw[1] == want[i].f1);
        /* Endpoints, beyond them (held), and the middle of each range. */
        CHECK_NEAR(vl_lens_eval(&l.zoom_fov, want[i].z0), 62, TOL);
        CHECK_NEAR(vl_lens_eval(&l.zoom_fov, want[i].z1), 4, TOL);
        CHECK_NEAR(vl_lens_eval(&l.zoom_fov, want[i].z0 - 100), 62, TOL);
        CHECK_NEAR(vl_lens_eval(&l.zoom_fov, want[i].z1 + 100), 4, TOL);
        CHECK_NEAR(vl_lens_eval(&l.zoom_fov, (want[i].z0 + want[i].z1) / 2), 33, TOL);
        CHECK_NEAR(vl_lens_eval(&l.focus_m, want[i].f0), 0.6, TOL);
        CHECK_NEAR(vl_lens_eval(&l.focus_m, want[i].f1), 800, TOL);
        CHECK_NEAR(vl_lens_eval(&l.focus_m, (want[i].f0 + want[i].f1) / 2), 400.3, 1e-9);
    }
    /* Sony a quarter of the way: 60 -> 6 degrees over 0 .. 0x7AC0. */
    vl_lens sony;
    CHECK(vl_lens_preset("sony", 60, 6, 0.5, 1000, &sony));
    CHECK_NEAR(vl_lens_eval(&sony.zoom_fov, 0x7AC0 / 4.0), 46.5, TOL);

    /* Unknown names fail and leave the output alone. */
    vl_lens l = { .preset = "keep" };
    CHECK(!vl_lens_preset("Sony", 60, 6, 0.5, 1000, &l));
    CHECK(!vl_lens_preset("", 60, 6, 0.5, 1000, &l));
    CHECK(!vl_lens_preset(NULL, 60, 6, 0.5, 1000, &l));
    CHECK(!strcmp(l.preset, "keep") && l.zoom_fov.n == 0);
}

static void test_lens_eval(void)
{
    vl_lens_table t = { 0 };
    CHECK(vl_lens_eval(&t, 5) == 0);
    t = (vl_lens_table){ .n = 1, .raw = { 10 }, .value = { 42 } };
    CHECK(vl_lens_eval(&t, -1e9) == 42 && vl_lens_eval(&t, 10) == 42 && vl_lens_eval(&t, 1e9) == 42);

    /* Three points, two slopes. */
    t = (vl_lens_table){ .n = 3, .raw = { 100, 200, 400 }, .value = { 60, 20, 10 } };
    CHECK(vl_lens_eval(&t, 0) == 60);
    CHECK(vl_lens_eval(&t, 99.999) == 60);
    CHECK(vl_lens_eval(&t, 100) == 60);
    CHECK_NEAR(vl_lens_eval(&t, 150), 40, TOL);
    CHECK(vl_lens_eval(&t, 200) == 20);
    CHECK_NEAR(vl_lens_eval(&t, 250), 17.5, TOL);
    CHECK_NEAR(vl_lens_eval(&t, 399), 10.05, TOL);
    CHECK(vl_lens_eval(&t, 400) == 10);
    CHECK(vl_lens_eval(&t, 1e12) == 10);
    /* A NaN from a broken source gives a usable value, not NaN. */
    CHECK(vl_lens_eval(&t, NAN) == 60);
    /* A hand-built table with a repeated raw does not divide by zero: it
     * steps there. */
    t = (vl_lens_table){ .n = 3, .raw = { 0, 10, 10 }, .value = { 0, 10, 50 } };
    CHECK_NEAR(vl_lens_eval(&t, 5), 5, TOL);
    CHECK(vl_lens_eval(&t, 10) == 10);
    CHECK(vl_lens_eval(&t, 10.5) == 50);
}

static void test_tracker_json(void)
{
    char err[512];
    vl_stage *st = vl_stage_parse(TRACKERS(TRK_FULL "," TRK_MIN ",{\"url\":\"opentrackio://\",\"lens\":\"panasonic\",\"smoothing\":true},"
                                           "{\"url\":\"osc://:9002\",\"smoothing\":{},"
                                           "\"lens\":{\"focus\":[[0,0.3],[5,1],[9,20]]}}"),
                                  "t.json", err, sizeof(err));
    CHECK(st && !err[0]);
    if (!st) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    CHECK(st->n_trackers == 4);
    const vl_tracker_config *c = &st->trackers[0];
    CHECK(!strcmp(c->url, "freed://0.0.0.0:52380") && c->camera == 2);
    CHECK(!strcmp(c->description, "jib"));
    CHECK(c->delay_ms == 40 && c->predict_ms == 20 && c->stale_ms == 250 && c->extrapolate_ms == 50);
    CHECK(c->smoothing && c->min_cutoff_hz == 2 && c->beta == 0.1 && c->d_cutoff_hz == 1.5);
    CHECK_P(c->offset, 1, -2, 0.5);
    CHECK_P(c->rotation, 90, 0, -5);
    CHECK(c->scale == 0.001);
    CHECK_P(c->axis_sign, 1, -1, 1);
    CHECK_P(c->angle_sign, -1, 1, -1);
    CHECK_P(c->nodal_offset, 0, 0.12, 0.08);
    CHECK(c->fov_deg == 40);
    /* The explicit zoom table won; focus is the preset's with its own ends. */
    CHECK(!strcmp(c->lens.preset, "sony"));
    CHECK(c->lens.zoom_fov.n == 3 && c->lens.zoom_fov.raw[1] == 16000 && c->lens.zoom_fov.value[1] == 20);
    CHECK_NEAR(vl_lens_eval(&c->lens.zoom_fov, 8000), 42, TOL);
    CHECK(c->lens.focus_m.n == 2 && c->lens.focus_m.raw[0] == 0x1000 && c->lens.focus_m.raw[1] == 0xF000);
    CHECK(c->lens.focus_m.value[0] == 0.8 && c->lens.focus_m.value[1] == 500);

    /* Everything left out is the default. */
    vl_tracker_config def;
    vl_tracker_config_default(&def, "osc://:9000");
    c = &st->trackers[1];
    CHECK(!strcmp(c->url, "osc://:9000") && c->camera == -1 && !c->smoothing && c->fov_deg == 0);
    CHECK(c->stale_ms == def.stale_ms && c->extrapolate_ms == def.extrapolate_ms && c->scale == 1);
    CHECK_P(c->axis_sign, 1, 1, 1);
    CHECK(!c->lens.preset[0] && c->lens.zoom_fov.n == 0 && c->lens.focus_m.n == 0);
    /* A preset name alone takes the default ends: 60 .. 6 degrees, 0.5 .. 1000 m. */
    c = &st->trackers[2];
    CHECK(!strcmp(c->lens.preset, "panasonic") && c->lens.zoom_fov.n == 2);
    CHECK(c->lens.zoom_fov.raw[0] == 0x555 && c->lens.zoom_fov.value[0] == 60 && c->lens.zoom_fov.value[1] == 6);
    CHECK(c->lens.focus_m.value[0] == 0.5 && c->lens.focus_m.value[1] == 1000);
    /* smoothing: true is on with the defaults. */
    CHECK(c->smoothing && c->min_cutoff_hz == 1 && c->beta == 0.5 && c->d_cutoff_hz == 1);
    /* An empty smoothing object turns it on with the defaults; a table
     * without a preset stands alone. */
    c = &st->trackers[3];
    CHECK(c->smoothing && c->min_cutoff_hz == 1 && c->beta == 0.5 && c->d_cutoff_hz == 1);
    CHECK(!c->lens.preset[0] && c->lens.zoom_fov.n == 0 && c->lens.focus_m.n == 3);
    CHECK_NEAR(vl_lens_eval(&c->lens.focus_m, 7), 10.5, TOL);

    check_round_trip(st);
    /* What is not set is not written (it would not read back), the rest is. */
    char *json = vl_stage_to_json(st);
    CHECK(json && strstr(json, "\"trackers\"") && strstr(json, "\"camera\": 2"));
    CHECK(json && strstr(json, "\"fov_deg\": 40") && !strstr(json, "\"camera\": -1"));
    CHECK(json && !strstr(json, "\"fov_deg\": 0") && !strstr(json, "wide_fov_deg"));
    CHECK(json && strstr(json, "\"preset\": \"sony\"") && strstr(json, "\"smoothing\": false"));
    CHECK(json && strstr(json, "\"description\": \"jib\""));  /* kept, and only where given */
    const char *first = json ? strstr(json, "\"description\"") : NULL;
    CHECK(first && !strstr(first + 1, "\"description\""));
    free(json);

    vl_stage *copy = vl_stage_copy(st);
    CHECK(copy && copy->trackers != st->trackers && stage_equal(copy, st, 0));
    if (copy) {
        copy->trackers[0].lens.zoom_fov.value[0] = 1;
        CHECK(st->trackers[0].lens.zoom_fov.value[0] == 64);
    }
    vl_stage_free(copy);
    vl_stage_free(st);

    /* "trackers": [] is no trackers, and is not written back. */
    st = vl_stage_parse(TRACKERS(""), "t.json", err, sizeof(err));
    CHECK(st && st->n_trackers == 0 && st->trackers == NULL);
    json = st ? vl_stage_to_json(st) : NULL;
    CHECK(json && !strstr(json, "trackers"));
    free(json);
    vl_stage_free(st);
    vl_stage *def_stage = vl_stage_default();
    CHECK(def_stage->n_trackers == 0 && def_stage->trackers == NULL);
    copy = vl_stage_copy(def_stage);
    CHECK(copy && copy->n_trackers == 0 && copy->trackers == NULL);
    vl_stage_free(copy);
    vl_stage_free(def_stage);

    /* 16 trackers is the limit (17 is in test_parse_errors). */
    st = vl_stage_parse(TRACKERS(TRK_16), "t.json", err, sizeof(err));
    CHECK(st && st->n_trackers == 16);
    vl_stage_free(st);

    /* The URL fits its 256-byte field with its NUL, and not a byte more;
     * 32 zoom points fit, 33 do not. */
    char url[300], json_buf[4096];
    for (int len = 255; len <= 256; len++) {
        memset(url, '9', sizeof(url));
        memcpy(url, "osc://:", 7);
        url[len] = '\0';
        snprintf(json_buf, sizeof(json_buf), TRACKERS("{\"url\":\"%s\"}"), url);
        st = vl_stage_parse(json_buf, "t.json", err, sizeof(err));
        CHECK((st != NULL) == (len == 255));
        CHECK(len == 255 ? st && !strcmp(st->trackers[0].url, url) : strstr(err, "$.trackers[0].url: expected") != NULL);
        vl_stage_free(st);
    }
    for (int n = 32; n <= 33; n++) {
        char points[1024] = "";
        for (int i = 0; i < n; i++) {
            size_t len = strlen(points);
            snprintf(points + len, sizeof(points) - len, "%s[%d,%d]", i ? "," : "", i * 10, 100 - i);
        }
        snprintf(json_buf, sizeof(json_buf), TRACKERS("{\"url\":\"osc://:9000\",\"lens\":{\"zoom\":[%s]}}"), points);
        st = vl_stage_parse(json_buf, "t.json", err, sizeof(err));
        CHECK((st != NULL) == (n == 32));
        if (st) {
            CHECK(st->trackers[0].lens.zoom_fov.n == 32);
            CHECK_NEAR(vl_lens_eval(&st->trackers[0].lens.zoom_fov, 305), 69.5, TOL);
            check_round_trip(st);
        } else {
            CHECK(strstr(err, "$.trackers[0].lens.zoom: expected 2 to 32 points [raw, fov_deg] with fov_deg in "
                         "horizontal degrees from 1 to 170, got 33 points") != NULL);
        }
        vl_stage_free(st);
    }
}

static void test_configs(void)
{
    const char *root = getenv("VOLYM_SOURCE_ROOT");
    CHECK(root != NULL);
    if (!root)
        return;
    char path[4096];
    snprintf(path, sizeof(path), "%s/configs/default-curved.json", root);
    vl_stage *file = vl_stage_load(path);
    vl_stage *builtin = vl_stage_default();
    if (file) {
        /* The file says what it is; the built-in stage has no description. */
        CHECK(file->description[0] != '\0');
        file->description[0] = '\0';
    }
    CHECK(file && stage_equal(file, builtin, 1e-9));
    vl_stage_free(file);

    check_round_trip(builtin);
    vl_stage *copy = vl_stage_copy(builtin);
    CHECK(copy && copy->sections != builtin->sections && copy->outputs != builtin->outputs);
    CHECK(stage_equal(copy, builtin, 0));
    copy->sections[0].pos[0] = 99;
    CHECK(builtin->sections[0].pos[0] != 99);
    vl_stage_free(copy);
    vl_stage_free(builtin);
    vl_stage_free(NULL);

    snprintf(path, sizeof(path), "%s/configs", root);
    DIR *dir = opendir(path);
    CHECK(dir != NULL);
    int loaded = 0;
    for (struct dirent *e; dir && (e = readdir(dir));) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 5, ".json"))
            continue;
        snprintf(path, sizeof(path), "%s/configs/%s", root, e->d_name);
        vl_stage *st = vl_stage_load(path);
        CHECK(st != NULL);
        if (st) {
            loaded++;
            check_round_trip(st);
        }
        vl_stage_free(st);
    }
    if (dir)
        closedir(dir);
    CHECK(loaded >= 5);

    /* Spot-check the geometry the other configs promise. */
    snprintf(path, sizeof(path), "%s/configs/tv-65in-4k.json", root);
    vl_stage *tv = vl_stage_load(path);
    CHECK(tv != NULL);
    if (tv) {
        double p[3];
        vl_section_pixel_to_stage(&tv->sections[0], 1920, 1080, p);
        CHECK_NEAR(p[0], 0, 1e-6);
        CHECK_NEAR(p[1], 2.5, 1e-6);
        CHECK_NEAR(p[2], 1.3, 1e-6);
        vl_section_pixel_to_stage(&tv->sections[0], 3840, 2160, p);
        double q[3];
        vl_section_pixel_to_stage(&tv->sections[0], 0, 0, q);
        CHECK_NEAR(hypot(p[0] - q[0], p[2] - q[2]), 65 * 0.0254, 1e-4);
        CHECK(tv->outputs[0].fullscreen && tv->outputs[0].width == 3840);
        CHECK(!strncmp(tv->description, "A 65-inch 16:9 4K TV", 20));
        check_round_trip(tv);   /* the description too */
    }
    vl_stage_free(tv);
    snprintf(path, sizeof(path), "%s/configs/wall-ceiling.json", root);
    vl_stage *wc = vl_stage_load(path);
    CHECK(wc && wc->n_sections == 2 && wc->n_outputs == 2);
    if (wc && wc->n_sections == 2) {
        double p[3];
        vl_section_pixel_to_stage(&wc->sections[0], 1280, 800, p);
        CHECK_P(p, 2, 4, 0);
        vl_section_pixel_to_stage(&wc->sections[1], 960, 640, p);
        CHECK_P(p, 1.5, 4, 3);
        CHECK(wc->sections[1].output == 1);
        CHECK(wc->rate.num == 24000 && wc->rate.den == 1001);
    }
    vl_stage_free(wc);

    /* The two tracked examples: the built-in wall plus one tracker each. */
    vl_stage *wall = vl_stage_default();
    snprintf(path, sizeof(path), "%s/configs/tracked-phone.json", root);
    vl_stage *phone = vl_stage_load(path);
    CHECK(phone && phone->n_trackers == 1);
    if (phone && phone->n_trackers == 1) {
        const vl_tracker_config *c = &phone->trackers[0];
        CHECK(!strcmp(c->url, "osc://:9000") && c->camera == -1);
        CHECK(c->fov_deg >= 55 && c->fov_deg <= 70);
        CHECK(c->smoothing && c->min_cutoff_hz > 0 && c->beta > 0);
        CHECK(c->lens.zoom_fov.n == 0);
    }
    snprintf(path, sizeof(path), "%s/configs/tracked-freed-sony.json", root);
    vl_stage *sony = vl_stage_load(path);
    CHECK(sony && sony->n_trackers == 1);
    if (sony && sony->n_trackers == 1) {
        const vl_tracker_config *c = &sony->trackers[0];
        CHECK(!strcmp(c->url, "freed://:52380"));
        CHECK(c->delay_ms == 40 && c->predict_ms == 20);
        CHECK_P(c->nodal_offset, 0, 0.12, 0.08);
        CHECK(!strcmp(c->lens.preset, "sony") && c->lens.zoom_fov.n == 2);
        CHECK(c->lens.zoom_fov.raw[0] == 0 && c->lens.zoom_fov.raw[1] == 0x7AC0);
        /* Explicit ends, not the preset defaults; wide is the wider. */
        CHECK(c->lens.zoom_fov.value[0] != 60 && c->lens.zoom_fov.value[1] != 6);
        CHECK(c->lens.zoom_fov.value[0] > c->lens.zoom_fov.value[1]);
    }
    /* Their wall is the built-in one: compare with name, description and
     * trackers set aside. */
    vl_stage *tracked[] = { phone, sony };
    for (int i = 0; i < 2; i++) {
        vl_stage *t = tracked[i];
        if (!t)
            continue;
        snprintf(t->name, sizeof(t->name), "%s", wall->name);
        snprintf(t->description, sizeof(t->description), "%s", wall->description);
        int n = t->n_trackers;
        t->n_trackers = 0;
        CHECK(stage_equal(t, wall, 1e-9));
        t->n_trackers = n;
    }
    vl_stage_free(phone);
    vl_stage_free(sony);
    vl_stage_free(wall);
}

/* The frustum features and output colour: defaults, every key read,
 * round trips, and the transfer names. */
static void test_frustum_json(void)
{
    vl_stage *st = vl_stage_default();
    const vl_frustum_settings *f = &st->frustum;
    CHECK(f->soft_edge == 0 && !f->freeze_outer && f->n_cards == 0);
    CHECK(!f->chroma.on && !f->chroma.markers);
    CHECK_P(f->chroma.color, 0, 177 / 255.0, 64 / 255.0);
    CHECK(f->chroma.marker_spacing_px == 120 && f->chroma.marker_size_px == 12);
    CHECK_P(f->chroma.marker_color, 0, 100 / 255.0, 30 / 255.0);
    const vl_output_color *oc = &st->outputs[0].color;
    CHECK(oc->brightness == 1 && oc->transfer == VL_TRANSFER_SRGB && oc->white_nits == 203);
    for (int k = 0; k < 9; k++)
        CHECK(oc->matrix[k] == (k % 4 == 0 ? 1 : 0));
    vl_stage_free(st);

    /* Left out: the same defaults as the built-in stage. */
    char err[512];
    st = vl_stage_parse(STAGE(RATE, OUT, "{" SEC "}"), "t.json", err, sizeof(err));
    vl_stage *def = vl_stage_default();
    CHECK(st && frustum_equal(&st->frustum, &def->frustum, 0));
    CHECK(st && st->outputs[0].color.brightness == 1 && st->outputs[0].color.matrix[8] == 1 &&
          st->outputs[0].color.matrix[1] == 0 && st->outputs[0].color.white_nits == 203);
    /* Written out in full, so a config shows what can be set. */
    char *json = st ? vl_stage_to_json(st) : NULL;
    CHECK(json && strstr(json, "\"soft_edge\": 0") && strstr(json, "\"freeze_outer\": false"));
    CHECK(json && strstr(json, "\"marker_spacing_px\": 120") && strstr(json, "\"transfer\": \"srgb\""));
    CHECK(json && strstr(json, "\"white_nits\": 203") && !strstr(json, "light_cards"));
    free(json);
    vl_stage_free(def);
    vl_stage_free(st);

    /* Every key, on two outputs. */
    static const char full[] =
        "{\"name\":\"t\"," RATE ",\"frustum\":{\"overscan\":0.2,\"outer_eye\":[0,1,1.5],\"soft_edge\":0.25,"
        "\"freeze_outer\":true,\"chroma\":{\"on\":true,\"color\":[0,0,1],\"markers\":true,"
        "\"marker_spacing_px\":64,\"marker_size_px\":10,\"marker_color\":[1,1,0]},"
        "\"light_cards\":[{\"name\":\"key\",\"output\":\"ceil\",\"rect\":[10.5,-20,300,200],"
        "\"color\":[1,0.9,0.8],\"intensity\":1.5,\"over\":false,\"on\":false},"
        "{\"name\":\"fill\",\"output\":\"wall\",\"rect\":[0,0,64,32]}]},"
        "\"outputs\":[{\"name\":\"wall\",\"width\":1920,\"height\":1080,\"brightness\":0.5,"
        "\"color_matrix\":[0.9,0.1,0,0,1,0,0.05,0,0.95],\"transfer\":\"pq\",\"white_nits\":300},"
        "{\"name\":\"ceil\",\"width\":1920,\"height\":1080,\"transfer\":\"rec709\"}],"
        "\"sections\":[{" SEC ",\"output\":\"wall\"}]}";
    st = vl_stage_parse(full, "t.json", err, sizeof(err));
    CHECK(st != NULL);
    if (!st) {
        fprintf(stderr, "  %s\n", err);
        return;
    }
    f = &st->frustum;
    CHECK(f->overscan == 0.2 && f->soft_edge == 0.25 && f->freeze_outer);
    CHECK(f->chroma.on && f->chroma.markers && f->chroma.marker_spacing_px == 64 && f->chroma.marker_size_px == 10);
    CHECK_P(f->chroma.color, 0, 0, 1);
    CHECK_P(f->chroma.marker_color, 1, 1, 0);
    CHECK(f->n_cards == 2);
    const vl_light_card *c = &f->cards[0];
    CHECK(!strcmp(c->name, "key") && c->output == 1 && !c->over && !c->on);
    CHECK(c->x == 10.5 && c->y == -20 && c->w == 300 && c->h == 200 && c->intensity == 1.5);
    CHECK_P(c->color, 1, 0.9, 0.8);
    c = &f->cards[1];
    CHECK(!strcmp(c->name, "fill") && c->output == 0 && c->over && c->on && c->intensity == 1);
    CHECK_P(c->color, 1, 1, 1);
    oc = &st->outputs[0].color;
    CHECK(oc->brightness == 0.5 && oc->transfer == VL_TRANSFER_PQ && oc->white_nits == 300);
    CHECK(oc->matrix[0] == 0.9 && oc->matrix[1] == 0.1 && oc->matrix[6] == 0.05 && oc->matrix[8] == 0.95);
    CHECK(st->outputs[1].color.transfer == VL_TRANSFER_BT709 && st->outputs[1].color.brightness == 1);
    check_round_trip(st);
    json = vl_stage_to_json(st);
    CHECK(json && strstr(json, "\"transfer\": \"pq\"") && strstr(json, "\"transfer\": \"rec709\""));
    CHECK(json && strstr(json, "\"output\": \"ceil\"") && strstr(json, "\"light_cards\""));
    free(json);
    /* Cards are held in the stage itself: a copy owns its own. */
    vl_stage *copy = vl_stage_copy(st);
    CHECK(copy && stage_equal(copy, st, 0));
    if (copy) {
        copy->frustum.cards[0].x = 1;
        copy->outputs[0].color.matrix[0] = 2;
        CHECK(st->frustum.cards[0].x == 10.5 && st->outputs[0].color.matrix[0] == 0.9);
    }
    vl_stage_free(copy);
    /* A card on a missing output cannot be written. */
    st->frustum.cards[1].output = 2;
    CHECK(vl_stage_to_json(st) == NULL);
    vl_stage_free(st);

    /* 16 cards fit (17 is in test_parse_errors); spacing == size is allowed. */
    st = vl_stage_parse(FRUSTUM("\"light_cards\":[" CARD_16 "],\"chroma\":{\"marker_spacing_px\":8,"
                                "\"marker_size_px\":8}"), "t.json", err, sizeof(err));
    CHECK(st && st->frustum.n_cards == 16 && !strcmp(st->frustum.cards[15].name, "p"));
    if (st)
        check_round_trip(st);
    vl_stage_free(st);

    static const struct { const char *name; vl_transfer t; } names[] = {
        { "srgb", VL_TRANSFER_SRGB }, { "rec709", VL_TRANSFER_BT709 }, { "pq", VL_TRANSFER_PQ },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        vl_transfer t = VL_TRANSFER_SRGB;
        CHECK(vl_transfer_parse(names[i].name, &t) && t == names[i].t);
        CHECK(!strcmp(vl_transfer_name(names[i].t), names[i].name));
    }
    vl_transfer t = VL_TRANSFER_PQ;
    CHECK(!vl_transfer_parse("SRGB", &t) && !vl_transfer_parse("bt709", &t) && !vl_transfer_parse("", &t));
    CHECK(!vl_transfer_parse(NULL, &t) && t == VL_TRANSFER_PQ);
    CHECK(!strcmp(vl_transfer_name((vl_transfer)7), "?"));
    vl_light_card card;
    memset(&card, 0x5a, sizeof(card));
    vl_light_card_default(&card, "rim");
    CHECK(!strcmp(card.name, "rim") && card.output == 0 && card.on && card.over && card.intensity == 1);
    CHECK(card.x == 0 && card.y == 0 && card.w == 0 && card.h == 0);
    CHECK_P(card.color, 1, 1, 1);
}

int main(void)
{
    test_default_stage();
    test_flat_sections();
    test_parse_ok();
    test_parse_errors();
    test_limits();
    test_load();
    test_tracker_defaults();
    test_lens_presets();
    test_lens_eval();
    test_tracker_json();
    test_frustum_json();
    test_configs();
    return check_result("stage");
}
