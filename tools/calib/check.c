/* check: a stage's summary and its canvas problems; pattern: test pattern
 * PNGs of every output. Also the stage geometry the other commands share. */
#include "calib.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "render/render.h"
#include "stage/pattern.h"

int calib_section_outline(const vl_section *s, double (*out)[3])
{
    int n = 0;
    double h = vl_section_height_px(s);
    for (int c = 0; c <= s->cols; c++)
        vl_section_pixel_to_stage(s, (double)c * s->panel_px_w, 0, out[n++]);
    for (int c = s->cols; c >= 0; c--)
        vl_section_pixel_to_stage(s, (double)c * s->panel_px_w, h, out[n++]);
    return n;
}

void calib_section_corners(const vl_section *s, double out[4][3])
{
    double w = vl_section_width_px(s), h = vl_section_height_px(s);
    vl_section_pixel_to_stage(s, 0, 0, out[0]);
    vl_section_pixel_to_stage(s, w, 0, out[1]);
    vl_section_pixel_to_stage(s, w, h, out[2]);
    vl_section_pixel_to_stage(s, 0, h, out[3]);
}

int calib_stage_problems(const vl_stage *st, void (*problem)(void *ctx, const char *msg), void *ctx)
{
    char msg[512];
    int n = 0;
    for (int i = 0; i < st->n_sections; i++) {
        const vl_section *a = &st->sections[i];
        const vl_output *o = &st->outputs[a->output];
        int aw = vl_section_width_px(a), ah = vl_section_height_px(a);
        if (a->canvas_x + aw > o->width || a->canvas_y + ah > o->height) {
            snprintf(msg, sizeof(msg), "section '%s' (%dx%d px at canvas %d,%d) does not fit output "
                     "'%s' (%dx%d): it needs at least %dx%d", a->name, aw, ah, a->canvas_x,
                     a->canvas_y, o->name, o->width, o->height,
                     a->canvas_x + aw > o->width ? a->canvas_x + aw : o->width,
                     a->canvas_y + ah > o->height ? a->canvas_y + ah : o->height);
            problem(ctx, msg);
            n++;
        }
        for (int k = i + 1; k < st->n_sections; k++) {
            const vl_section *b = &st->sections[k];
            if (b->output != a->output)
                continue;
            int x0 = a->canvas_x > b->canvas_x ? a->canvas_x : b->canvas_x;
            int y0 = a->canvas_y > b->canvas_y ? a->canvas_y : b->canvas_y;
            int bw = vl_section_width_px(b), bh = vl_section_height_px(b);
            int x1 = a->canvas_x + aw < b->canvas_x + bw ? a->canvas_x + aw : b->canvas_x + bw;
            int y1 = a->canvas_y + ah < b->canvas_y + bh ? a->canvas_y + ah : b->canvas_y + bh;
            if (x0 < x1 && y0 < y1) {
                snprintf(msg, sizeof(msg), "sections '%s' and '%s' overlap on output '%s': "
                         "canvas pixels x %d..%d, y %d..%d belong to both", a->name, b->name,
                         o->name, x0, x1 - 1, y0, y1 - 1);
                problem(ctx, msg);
                n++;
            }
        }
    }
    return n;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Canvas pixels of output `out` under at least one section (clipped to the
 * canvas): the union of the rectangles, cell by cell of the grid their
 * edges make. */
static double covered_px(const vl_stage *st, int out)
{
    const vl_output *o = &st->outputs[out];
    int n = 0;
    int *xs = vl_xcalloc((size_t)(2 * st->n_sections), sizeof(int));
    int *ys = vl_xcalloc((size_t)(2 * st->n_sections), sizeof(int));
    for (int i = 0; i < st->n_sections; i++) {
        const vl_section *s = &st->sections[i];
        if (s->output != out)
            continue;
        xs[n] = s->canvas_x;
        ys[n++] = s->canvas_y;
        xs[n] = s->canvas_x + vl_section_width_px(s);
        ys[n++] = s->canvas_y + vl_section_height_px(s);
    }
    qsort(xs, (size_t)n, sizeof(int), cmp_int);
    qsort(ys, (size_t)n, sizeof(int), cmp_int);
    double area = 0;
    for (int a = 0; a + 1 < n; a++) {
        for (int b = 0; b + 1 < n; b++) {
            int x0 = xs[a], x1 = xs[a + 1] < o->width ? xs[a + 1] : o->width;
            int y0 = ys[b], y1 = ys[b + 1] < o->height ? ys[b + 1] : o->height;
            if (x0 >= x1 || y0 >= y1)
                continue;
            for (int i = 0; i < st->n_sections; i++) {
                const vl_section *s = &st->sections[i];
                if (s->output == out && s->canvas_x <= x0 && x0 < s->canvas_x + vl_section_width_px(s) &&
                    s->canvas_y <= y0 && y0 < s->canvas_y + vl_section_height_px(s)) {
                    area += (double)(x1 - x0) * (y1 - y0);
                    break;
                }
            }
        }
    }
    free(xs);
    free(ys);
    return area;
}

static void add_problem(void *ctx, const char *msg)
{
    json_array_append_new(ctx, json_string(msg));
}

static json_t *vec(const double *v, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, json_real(v[i]));
    return a;
}

/* The summary as JSON: what --json prints and what the text is made from. */
static json_t *summary(const vl_stage *st)
{
    json_t *sections = json_array(), *outputs = json_array(), *problems = json_array();
    double lo[3] = { INFINITY, INFINITY, INFINITY }, hi[3] = { -INFINITY, -INFINITY, -INFINITY };
    double total = 0;
    for (int i = 0; i < st->n_sections; i++) {
        const vl_section *s = &st->sections[i];
        int w = vl_section_width_px(s), h = vl_section_height_px(s);
        total += (double)w * h;
        double corners[4][3];
        calib_section_corners(s, corners);
        json_t *cj = json_array();
        for (int k = 0; k < 4; k++)
            json_array_append_new(cj, vec(corners[k], 3));
        double (*pts)[3] = vl_xcalloc((size_t)(2 * (s->cols + 1)), sizeof(*pts));
        int n = calib_section_outline(s, pts);
        for (int k = 0; k < n; k++) {
            for (int j = 0; j < 3; j++) {
                lo[j] = fmin(lo[j], pts[k][j]);
                hi[j] = fmax(hi[j], pts[k][j]);
            }
        }
        free(pts);
        const double size_m[2] = { s->cols * s->panel_w_mm / 1000, s->rows * s->panel_h_mm / 1000 };
        const double pitch[2] = { s->panel_w_mm / s->panel_px_w, s->panel_h_mm / s->panel_px_h };
        const double rot[3] = { s->yaw_deg, s->pitch_deg, s->roll_deg };
        json_array_append_new(sections, json_pack(
            "{s:s, s:s, s:[ii], s:[ii], s:[ii], s:[ii], s:o, s:o, s:f, s:o, s:o, s:o}",
            "name", s->name, "output", st->outputs[s->output].name,
            "canvas", s->canvas_x, s->canvas_y, "grid", s->cols, s->rows,
            "panel_px", s->panel_px_w, s->panel_px_h, "pixels", w, h,
            "size_m", vec(size_m, 2), "pitch_mm", vec(pitch, 2), "curve_deg", s->curve_deg,
            "position", vec(s->pos, 3), "rotation", vec(rot, 3), "corners_m", cj));
    }
    for (int i = 0; i < st->n_outputs; i++) {
        const vl_output *o = &st->outputs[i];
        int n = 0;
        for (int k = 0; k < st->n_sections; k++)
            n += st->sections[k].output == i;
        json_array_append_new(outputs, json_pack("{s:s, s:[ii], s:i, s:f}", "name", o->name,
                                                 "size", o->width, o->height, "sections", n,
                                                 "coverage_pct",
                                                 100.0 * covered_px(st, i) / ((double)o->width * o->height)));
    }
    calib_stage_problems(st, add_problem, problems);
    return json_pack("{s:s, s:b, s:o, s:o, s:f, s:{s:o, s:o}, s:o}", "stage", st->name,
                     "ok", json_array_size(problems) == 0, "sections", sections, "outputs", outputs,
                     "total_pixels", total, "extent_m", "min", vec(lo, 3), "max", vec(hi, 3),
                     "problems", problems);
}

static double num(const json_t *a, size_t i)
{
    return json_number_value(json_array_get(a, i));
}

static void print_summary(const json_t *sum)
{
    const json_t *v;
    size_t i;
    printf("stage '%s'\n", json_string_value(json_object_get(sum, "stage")));
    printf("sections:\n");
    json_array_foreach(json_object_get(sum, "sections"), i, v) {
        const json_t *px = json_object_get(v, "pixels"), *g = json_object_get(v, "grid");
        const json_t *sz = json_object_get(v, "size_m"), *p = json_object_get(v, "pitch_mm");
        const json_t *cv = json_object_get(v, "canvas");
        printf("  %s: %gx%g panels, %gx%g px on '%s' at %g,%g; %.3f x %.3f m; pitch %.3f x %.3f mm",
               json_string_value(json_object_get(v, "name")), num(g, 0), num(g, 1), num(px, 0),
               num(px, 1), json_string_value(json_object_get(v, "output")), num(cv, 0), num(cv, 1),
               num(sz, 0), num(sz, 1), num(p, 0), num(p, 1));
        double curve = json_number_value(json_object_get(v, "curve_deg"));
        if (curve != 0)
            printf("; curve %g deg per column", curve);
        printf("\n");
    }
    printf("outputs:\n");
    json_array_foreach(json_object_get(sum, "outputs"), i, v) {
        const json_t *sz = json_object_get(v, "size");
        printf("  %s: %gx%g, %g section%s, %.1f %% of the canvas used\n",
               json_string_value(json_object_get(v, "name")), num(sz, 0), num(sz, 1),
               json_number_value(json_object_get(v, "sections")),
               json_number_value(json_object_get(v, "sections")) == 1 ? "" : "s",
               json_number_value(json_object_get(v, "coverage_pct")));
    }
    const json_t *ext = json_object_get(sum, "extent_m");
    const json_t *lo = json_object_get(ext, "min"), *hi = json_object_get(ext, "max");
    printf("total: %.0f pixels; extent x %.3f .. %.3f, y %.3f .. %.3f, z %.3f .. %.3f m\n",
           json_number_value(json_object_get(sum, "total_pixels")), num(lo, 0), num(hi, 0),
           num(lo, 1), num(hi, 1), num(lo, 2), num(hi, 2));
}

int calib_check(const calib_opts *o)
{
    char err[1024];
    char *text = vl_read_file(o->stage, NULL);
    vl_stage *st = NULL;
    if (!text)
        snprintf(err, sizeof(err), "cannot read %s: %s", o->stage, strerror(errno));
    else
        st = vl_stage_parse(text, o->stage, err, sizeof(err));
    free(text);
    json_t *sum = st ? summary(st) : json_pack("{s:s, s:b, s:[s]}", "file", o->stage, "ok", false,
                                                "problems", err);
    const json_t *problems = json_object_get(sum, "problems");
    if (o->json) {
        char *out = json_dumps(sum, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
        printf("%s\n", out);
        free(out);
    } else if (st) {
        print_summary(sum);
    }
    size_t i;
    const json_t *v;
    json_array_foreach(problems, i, v)
        VL_ERR(CALIB_PROG, "check: %s", json_string_value(v));
    int rc = json_array_size(problems) ? 1 : 0;
    if (!rc && !o->json)
        printf("no problems found\n");
    json_decref(sum);
    vl_stage_free(st);
    return rc;
}

/* ---- pattern ----------------------------------------------------------- */

int calib_pattern(const calib_opts *o)
{
    enum vl_pattern_kind kind = (enum vl_pattern_kind)o->kind;
    const char *name = vl_pattern_names[kind];
    vl_stage *st = vl_stage_load(o->stage);
    if (!st)
        return 1;
    int rc = 1;
    if (mkdir(o->out, 0777) != 0 && errno != EEXIST) {
        VL_ERR(CALIB_PROG, "pattern: cannot create folder %s: %s", o->out, strerror(errno));
        goto done;
    }
    for (int i = 0; i < st->n_outputs; i++) {
        const vl_output *out = &st->outputs[i];
        uint8_t *rgba = vl_xmalloc((size_t)out->width * out->height * 4);
        vl_pattern_draw(st, i, kind, rgba);
        size_t n = strlen(o->out) + strlen(out->name) + strlen(name) + 8;
        char *path = vl_xmalloc(n);
        snprintf(path, n, "%s/%s-%s.png", o->out, out->name, name);
        bool ok = vl_write_png(path, out->width, out->height, rgba);
        if (ok)
            fprintf(stderr, "pattern: wrote %s (%dx%d)\n", path, out->width, out->height);
        free(path);
        free(rgba);
        if (!ok)
            goto done;
    }
    if (kind == VL_PATTERN_APRILTAG) {
        char *json = vl_pattern_markers_json(st);
        size_t n = strlen(o->out) + 16;
        char *path = vl_xmalloc(n);
        snprintf(path, n, "%s/markers.json", o->out);
        bool ok = json && calib_write_text(path, json);
        if (ok)
            fprintf(stderr, "pattern: wrote %s (%d markers)\n", path, vl_pattern_markers(st, NULL, 0));
        free(path);
        free(json);
        if (!ok)
            goto done;
    }
    rc = 0;
done:
    vl_stage_free(st);
    return rc;
}
