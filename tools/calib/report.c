/* The report of a solve: text for people, JSON for scripts, an SVG plan. */
#include "calib.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void calib_report_finish(calib_report *r)
{
    double sum2 = 0;
    r->rms_mm = r->max_mm = 0;
    r->worst = -1;
    r->n_inliers = 0;
    for (int i = 0; i < r->n_points; i++) {
        calib_point *p = &r->points[i];
        calib_transform_apply(&r->T, p->nominal, p->fitted);
        double d2 = 0;
        for (int k = 0; k < 3; k++)
            d2 += (p->measured[k] - p->fitted[k]) * (p->measured[k] - p->fitted[k]);
        p->residual_mm = sqrt(d2) * 1000.0;
        if (p->outlier)
            continue;
        r->n_inliers++;
        sum2 += p->residual_mm * p->residual_mm;
        if (r->worst < 0 || p->residual_mm > r->max_mm) {
            r->max_mm = p->residual_mm;
            r->worst = i;
        }
    }
    if (r->n_inliers)
        r->rms_mm = sqrt(sum2 / r->n_inliers);
}

void calib_report_print(const calib_report *r, FILE *f)
{
    int outliers = r->n_points - r->n_inliers;
    double ptr[3];
    calib_transform_to_ptr(&r->T, ptr);
    fprintf(f, "%s: %d points, %d used in the fit", r->what, r->n_points, r->n_inliers);
    if (outliers)
        fprintf(f, ", %d outlier%s left out", outliers, outliers == 1 ? "" : "s");
    fprintf(f, "\ntransform (%s):\n", r->transform_note ? r->transform_note : "nominal -> measured");
    fprintf(f, "  translation  x %+.1f  y %+.1f  z %+.1f mm\n", r->T.t[0] * 1000, r->T.t[1] * 1000,
            r->T.t[2] * 1000);
    fprintf(f, "  rotation     pan %+.3f  tilt %+.3f  roll %+.3f deg\n", ptr[0], ptr[1], ptr[2]);
    if (r->with_scale)
        fprintf(f, "  scale        %.6f (%+.0f ppm)\n", r->T.scale, (r->T.scale - 1) * 1e6);
    else
        fprintf(f, "  scale        1 (not fitted; --scale fits it)\n");
    if (r->worst >= 0)
        fprintf(f, "residuals: RMS %.2f mm, max %.2f mm at %s\n", r->rms_mm, r->max_mm,
                r->points[r->worst].label);
    size_t w = 5;
    for (int i = 0; i < r->n_points; i++)
        if (strlen(r->points[i].label) > w)
            w = strlen(r->points[i].label);
    fprintf(f, "  %-*s  residual mm\n", (int)w, "point");
    for (int i = 0; i < r->n_points; i++) {
        const calib_point *p = &r->points[i];
        fprintf(f, "  %-*s  %8.2f%s\n", (int)w, p->label, p->residual_mm,
                p->outlier ? "  outlier, not used" : i == r->worst ? "  worst" : "");
    }
    if (r->stage_out)
        fprintf(f, "wrote %s\n", r->stage_out);
}

static json_t *vec3(const double v[3])
{
    return json_pack("[fff]", v[0], v[1], v[2]);
}

bool calib_report_json(const calib_report *r, FILE *f)
{
    double ptr[3];
    calib_transform_to_ptr(&r->T, ptr);
    json_t *points = json_array();
    for (int i = 0; i < r->n_points; i++) {
        const calib_point *p = &r->points[i];
        json_array_append_new(points, json_pack("{s:s, s:o, s:o, s:o, s:f, s:b}", "label", p->label,
                                                "nominal", vec3(p->nominal), "measured",
                                                vec3(p->measured), "fitted", vec3(p->fitted),
                                                "residual_mm", p->residual_mm, "outlier", p->outlier));
    }
    json_t *root = json_pack("{s:s, s:f, s:f, s:o, s:o, s:f, s:o, s:i, s:i, s:o}",
                             "what", r->what, "rms_mm", r->rms_mm, "max_mm", r->max_mm,
                             "translation_m", vec3(r->T.t), "rotation_deg", vec3(ptr),
                             "scale", r->T.scale,
                             "worst", r->worst >= 0 ? json_string(r->points[r->worst].label) : json_null(),
                             "n_points", r->n_points, "n_inliers", r->n_inliers, "points", points);
    if (r->stage_out)
        json_object_set_new(root, "stage", json_string(r->stage_out));
    if (r->json_extra)
        json_object_update(root, r->json_extra);
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(12));
    json_decref(root);
    bool ok = text && fprintf(f, "%s\n", text) > 0 && fflush(f) == 0;
    free(text);
    return ok;
}

/* ---- SVG ------------------------------------------------------------------ */

enum { VIEW_W = 560, VIEW_H = 420, MARGIN = 40, TITLE_H = 30 };

/* One view: stage axes (a, b) -> page, b up the page. */
typedef struct view {
    int a, b;                   /* stage axis indices */
    double lo[2], hi[2];        /* bounds in metres */
    double scale_px, x0, y0;    /* page = x0 + (v - lo) * scale, y0 - (...) */
} view;

static void view_add(view *v, const double p[3])
{
    for (int k = 0; k < 2; k++) {
        double c = p[k ? v->b : v->a];
        v->lo[k] = fmin(v->lo[k], c);
        v->hi[k] = fmax(v->hi[k], c);
    }
}

static void view_fit(view *v, int left)
{
    double w = VIEW_W - 2 * MARGIN, h = VIEW_H - 2 * MARGIN - TITLE_H;
    double dx = fmax(v->hi[0] - v->lo[0], 1e-3), dy = fmax(v->hi[1] - v->lo[1], 1e-3);
    v->scale_px = fmin(w / dx, h / dy);
    /* Centred in its box. */
    v->x0 = left + MARGIN + (w - dx * v->scale_px) / 2;
    v->y0 = TITLE_H + MARGIN + h - (h - dy * v->scale_px) / 2;
}

static double px_x(const view *v, const double p[3])
{
    return v->x0 + (p[v->a] - v->lo[0]) * v->scale_px;
}

static double px_y(const view *v, const double p[3])
{
    return v->y0 - (p[v->b] - v->lo[1]) * v->scale_px;
}

static void xml_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            /* Control characters are not allowed in XML 1.0. */
            fputc((unsigned char)*s < 0x20 ? '?' : *s, f);
        }
    }
}

/* The end of a point's residual arrow, CALIB_ARROW_GAIN times its length. */
static void arrow_end(const calib_point *p, double out[3])
{
    for (int k = 0; k < 3; k++)
        out[k] = p->fitted[k] + CALIB_ARROW_GAIN * (p->measured[k] - p->fitted[k]);
}

/* Styles are attributes, not CSS, so that every SVG viewer draws them. */
#define STYLE_BEFORE "fill=\"none\" stroke=\"#999\" stroke-width=\"1\" stroke-dasharray=\"5 4\""
#define STYLE_AFTER "fill=\"#dfe7f6\" stroke=\"#236\" stroke-width=\"1.5\""

static void outlines(FILE *f, const view *v, const vl_stage *st, const char *cls, const char *style)
{
    for (int i = 0; st && i < st->n_sections; i++) {
        const vl_section *s = &st->sections[i];
        double (*pts)[3] = vl_xcalloc((size_t)(2 * (s->cols + 1)), sizeof(*pts));
        int n = calib_section_outline(s, pts);
        fputs("  <g><title>", f);
        xml_text(f, s->name);
        fprintf(f, "</title><polygon class=\"%s\" %s points=\"", cls, style);
        for (int k = 0; k < n; k++)
            fprintf(f, "%s%.2f,%.2f", k ? " " : "", px_x(v, pts[k]), px_y(v, pts[k]));
        fputs("\"/></g>\n", f);
        free(pts);
    }
}

static void draw_view(FILE *f, const calib_report *r, const view *v, const char *id,
                      const char *title, int left)
{
    fprintf(f, "<g id=\"%s\">\n  <text x=\"%d\" y=\"22\" font-family=\"sans-serif\" "
            "font-size=\"15\">%s</text>\n", id, left + MARGIN, title);
    /* The new outlines filled, the old ones dashed over them: both show. */
    outlines(f, v, r->after, "after", STYLE_AFTER);
    outlines(f, v, r->before, "before", STYLE_BEFORE);
    for (int i = 0; i < r->n_points; i++) {
        const calib_point *p = &r->points[i];
        double end[3];
        arrow_end(p, end);
        /* The title on a group, not on the shapes: some renderers skip a
         * shape that has children. */
        fputs("  <g><title>", f);
        xml_text(f, p->label);
        fprintf(f, ": %.2f mm%s</title>\n", p->residual_mm, p->outlier ? ", outlier" : "");
        fprintf(f, "    <circle class=\"measured\" fill=\"#0a0\" cx=\"%.2f\" cy=\"%.2f\" r=\"2.5\"/>\n",
                px_x(v, p->measured), px_y(v, p->measured));
        fprintf(f, "    <line class=\"residual\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
                "stroke=\"%s\" stroke-width=\"1.5\" marker-end=\"url(#head)\"/>\n",
                px_x(v, p->fitted), px_y(v, p->fitted), px_x(v, end), px_y(v, end),
                p->outlier ? "#d22" : "#c60");
        if (p->outlier || i == r->worst) {
            fprintf(f, "    <text x=\"%.2f\" y=\"%.2f\" font-family=\"sans-serif\" font-size=\"11\" "
                    "fill=\"%s\">", px_x(v, p->measured) + 5, px_y(v, p->measured) - 5,
                    p->outlier ? "#d22" : "#444");
            xml_text(f, p->label);
            fprintf(f, " %.1f mm%s</text>\n", p->residual_mm, p->outlier ? " (outlier)" : " (worst)");
        }
        fputs("  </g>\n", f);
    }
    fputs("</g>\n", f);
}

bool calib_report_svg(const calib_report *r, const char *path)
{
    view views[2] = { { .a = 0, .b = 1 }, { .a = 0, .b = 2 } };
    for (int k = 0; k < 2; k++) {
        view *v = &views[k];
        v->lo[0] = v->lo[1] = INFINITY;
        v->hi[0] = v->hi[1] = -INFINITY;
        const vl_stage *stages[2] = { r->before, r->after };
        for (int j = 0; j < 2; j++) {
            for (int i = 0; stages[j] && i < stages[j]->n_sections; i++) {
                const vl_section *s = &stages[j]->sections[i];
                double (*pts)[3] = vl_xcalloc((size_t)(2 * (s->cols + 1)), sizeof(*pts));
                int n = calib_section_outline(s, pts);
                for (int q = 0; q < n; q++)
                    view_add(v, pts[q]);
                free(pts);
            }
        }
        for (int i = 0; i < r->n_points; i++) {
            double end[3];
            arrow_end(&r->points[i], end);
            view_add(v, r->points[i].measured);
            view_add(v, r->points[i].fitted);
            view_add(v, end);
        }
        if (!(v->lo[0] <= v->hi[0])) {
            v->lo[0] = v->lo[1] = -1;
            v->hi[0] = v->hi[1] = 1;
        }
        view_fit(v, k * VIEW_W);
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        VL_ERR(CALIB_PROG, "cannot write %s: %s", path, strerror(errno));
        return false;
    }
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
            "viewBox=\"0 0 %d %d\">\n", 2 * VIEW_W, VIEW_H + 30, 2 * VIEW_W, VIEW_H + 30);
    fputs("<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"6\" "
          "markerHeight=\"6\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c60\"/>"
          "</marker></defs>\n"
          "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n", f);
    draw_view(f, r, &views[0], "top", "top view: X right, Y forward", 0);
    draw_view(f, r, &views[1], "front", "front view: X right, Z up", VIEW_W);
    fprintf(f, "<text x=\"%d\" y=\"%d\" font-family=\"sans-serif\" font-size=\"12\" fill=\"#444\">",
            MARGIN, VIEW_H + 15);
    xml_text(f, r->what);
    fprintf(f, ": sections before (grey, dashed) and after (solid); green: measured points; "
            "arrows: residual from the fitted to the measured point, x%d; RMS %.2f mm, max %.2f mm"
            "</text>\n</svg>\n", CALIB_ARROW_GAIN, r->rms_mm, r->max_mm);
    bool ok = !ferror(f);
    if (fclose(f) != 0)
        ok = false;
    if (!ok)
        VL_ERR(CALIB_PROG, "cannot write %s", path);
    return ok;
}
