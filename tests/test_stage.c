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

static bool stage_equal(const vl_stage *a, const vl_stage *b, double tol)
{
#define SAME(cond) do { if (!(cond)) { fprintf(stderr, "stages differ: %s\n", #cond); return false; } } while (0)
#define SAME_D(x, y) SAME(fabs((x) - (y)) <= tol)
    SAME(!strcmp(a->name, b->name));
    SAME(a->rate.num == b->rate.num && a->rate.den == b->rate.den);
    SAME_D(a->frustum.overscan, b->frustum.overscan);
    for (int i = 0; i < 3; i++)
        SAME_D(a->frustum.outer_eye[i], b->frustum.outer_eye[i]);
    SAME(a->n_outputs == b->n_outputs && a->n_sections == b->n_sections);
    for (int i = 0; i < a->n_outputs; i++) {
        const vl_output *x = &a->outputs[i], *y = &b->outputs[i];
        SAME(!strcmp(x->name, y->name) && x->width == y->width && x->height == y->height);
        SAME(x->display == y->display && x->fullscreen == y->fullscreen);
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
    return true;
#undef SAME
#undef SAME_D
}

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
          "t.json: $.frustum: unknown key 'overscn' (expected one of: overscan, outer_eye)" },
        { "{\"name\":\"t\"," RATE "," OUT ",\"sectons\":[{" SEC "}]}",
          "$: unknown key 'sectons' (expected one of: name, description, rate, frustum, outputs, sections)" },
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
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    dup2(fileno(tmp), 2);
    vl_stage *st = vl_stage_load(path);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(log, 1, loglen - 1, tmp);
    log[n] = '\0';
    fclose(tmp);
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
    CHECK(loaded >= 3);

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
}

int main(void)
{
    test_default_stage();
    test_flat_sections();
    test_parse_ok();
    test_parse_errors();
    test_limits();
    test_load();
    test_configs();
    return check_result("stage");
}
