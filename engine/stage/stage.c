/* Stage model: the built-in stage, copies, and section geometry.
 * JSON reading and writing live in stage_json.c. */
#include "stage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not M_PI: that needs a feature macro, and the header must not care. */
static const double deg_to_rad = 3.14159265358979323846 / 180.0;

vl_basis vl_section_column_basis(const vl_section *s, int col)
{
    /* Turning column `col` by a = col * curve about the section's up axis is
     * a rotation of the local frame, R_col = R_section * Rz(-a): for a level
     * section this is the same as adding `a` to its yaw, and the sign makes a
     * positive curve bend each next column towards the viewer. */
    vl_basis b = vl_basis_from_ptr(s->yaw_deg, s->pitch_deg, s->roll_deg);
    double a = col * s->curve_deg * deg_to_rad;
    double c = cos(a), sn = sin(a);
    vl_basis out = b;
    for (int i = 0; i < 3; i++) {
        out.right[i] = c * b.right[i] - sn * b.forward[i];
        out.forward[i] = sn * b.right[i] + c * b.forward[i];
    }
    return out;
}

/* Top-left corner of column `col`: each facet starts where the previous one
 * ends, so walk along the columns' right axes. */
static void column_corner(const vl_section *s, int col, double out[3])
{
    double w_m = s->panel_w_mm / 1000.0;
    memcpy(out, s->pos, sizeof(s->pos));
    for (int c = 0; c < col; c++) {
        vl_basis b = vl_section_column_basis(s, c);
        for (int i = 0; i < 3; i++)
            out[i] += b.right[i] * w_m;
    }
}

void vl_section_pixel_to_stage(const vl_section *s, double px, double py, double out[3])
{
    /* Points left of column 0 or right of the last column extrapolate along
     * that outer facet, so a pixel just outside the wall lands on its plane. */
    int col = (int)floor(px / s->panel_px_w);
    if (col < 0)
        col = 0;
    if (col > s->cols - 1)
        col = s->cols - 1;
    double corner[3];
    column_corner(s, col, corner);
    vl_basis b = vl_section_column_basis(s, col);
    double along_m = (px - (double)col * s->panel_px_w) * (s->panel_w_mm / 1000.0 / s->panel_px_w);
    double down_m = py * (s->panel_h_mm / 1000.0 / s->panel_px_h);
    for (int i = 0; i < 3; i++)
        out[i] = corner[i] + b.right[i] * along_m - b.up[i] * down_m;
}

int vl_section_width_px(const vl_section *s) { return s->cols * s->panel_px_w; }
int vl_section_height_px(const vl_section *s) { return s->rows * s->panel_px_h; }

vl_stage *vl_stage_default(void)
{
    vl_stage *st = vl_xcalloc(1, sizeof(*st));
    snprintf(st->name, sizeof(st->name), "default-curved");
    st->rate = (vl_rational){ 25, 1 };
    st->frustum = (vl_frustum_settings){ .overscan = 0.1, .outer_eye = { 0, 0, 1.7 } };

    st->n_outputs = 1;
    st->outputs = vl_xcalloc(1, sizeof(vl_output));
    st->outputs[0] = (vl_output){ .name = "wall", .width = 1920, .height = 1080 };

    st->n_sections = 1;
    st->sections = vl_xcalloc(1, sizeof(vl_section));
    vl_section *s = &st->sections[0];
    *s = (vl_section){
        .name = "main",
        .panel_w_mm = 500, .panel_h_mm = 500,
        .panel_px_w = 160, .panel_px_h = 160,
        .cols = 12, .rows = 5,
        .curve_deg = 5,
    };
    /* Symmetric about X = 0: the middle edge (column 6's left edge) faces
     * straight ahead, so column 0 is turned back by half the total curve. */
    s->yaw_deg = -(s->cols - 1) / 2.0 * s->curve_deg;
    /* Place that middle edge at (0, 4, top) with the bottom on the floor, and
     * derive the top-left corner from it by walking back along the facets. */
    double top_z = s->rows * s->panel_h_mm / 1000.0;
    double mid[3];
    column_corner(s, s->cols / 2, mid);
    const double want[3] = { 0.0, 4.0, top_z };
    for (int i = 0; i < 3; i++)
        s->pos[i] = want[i] - mid[i];
    return st;
}

vl_stage *vl_stage_copy(const vl_stage *stage)
{
    if (!stage)
        return NULL;
    vl_stage *st = vl_xmalloc(sizeof(*st));
    *st = *stage;
    st->outputs = vl_xcalloc((size_t)stage->n_outputs, sizeof(vl_output));
    if (stage->n_outputs > 0)
        memcpy(st->outputs, stage->outputs, (size_t)stage->n_outputs * sizeof(vl_output));
    st->sections = vl_xcalloc((size_t)stage->n_sections, sizeof(vl_section));
    if (stage->n_sections > 0)
        memcpy(st->sections, stage->sections, (size_t)stage->n_sections * sizeof(vl_section));
    /* Trackers are optional: none stays NULL, as a parsed stage has it.
     * A tracker config owns no pointers, so a flat copy is a deep one. */
    st->trackers = NULL;
    if (stage->n_trackers > 0) {
        st->trackers = vl_xcalloc((size_t)stage->n_trackers, sizeof(vl_tracker_config));
        memcpy(st->trackers, stage->trackers, (size_t)stage->n_trackers * sizeof(vl_tracker_config));
    }
    return st;
}

void vl_stage_free(vl_stage *stage)
{
    if (!stage)
        return;
    free(stage->outputs);
    free(stage->sections);
    free(stage->trackers);
    free(stage);
}
