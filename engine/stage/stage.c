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

void vl_output_color_default(vl_output_color *c)
{
    *c = (vl_output_color){ .brightness = 1, .matrix = { 1, 0, 0, 0, 1, 0, 0, 0, 1 },
                            .transfer = VL_TRANSFER_SRGB, .white_nits = 203 };
}

static const char *const transfer_names[] = {
    [VL_TRANSFER_SRGB] = "srgb", [VL_TRANSFER_BT709] = "rec709", [VL_TRANSFER_PQ] = "pq",
};

bool vl_transfer_parse(const char *s, vl_transfer *out)
{
    for (int i = 0; s && i < (int)(sizeof(transfer_names) / sizeof(transfer_names[0])); i++) {
        if (!strcmp(s, transfer_names[i])) {
            *out = (vl_transfer)i;
            return true;
        }
    }
    return false;
}

const char *vl_transfer_name(vl_transfer t)
{
    return (unsigned)t < sizeof(transfer_names) / sizeof(transfer_names[0]) ? transfer_names[t] : "?";
}

void vl_light_card_default(vl_light_card *c, const char *name)
{
    *c = (vl_light_card){ .color = { 1, 1, 1 }, .intensity = 1, .over = true, .on = true };
    snprintf(c->name, sizeof(c->name), "%s", name ? name : "");
}

void vl_frustum_default(vl_frustum_settings *f)
{
    memset(f, 0, sizeof(*f));
    f->overscan = 0.1;
    f->outer_eye[2] = 1.7;
    f->chroma = (vl_chroma){ .color = { 0, 177 / 255.0, 64 / 255.0 }, .marker_spacing_px = 120,
                             .marker_size_px = 12, .marker_color = { 0, 100 / 255.0, 30 / 255.0 } };
}

int vl_section_width_px(const vl_section *s) { return s->cols * s->panel_px_w; }
int vl_section_height_px(const vl_section *s) { return s->rows * s->panel_px_h; }

vl_stage *vl_stage_default(void)
{
    vl_stage *st = vl_xcalloc(1, sizeof(*st));
    snprintf(st->name, sizeof(st->name), "default-curved");
    st->rate = (vl_rational){ 25, 1 };
    vl_frustum_default(&st->frustum);

    st->n_outputs = 1;
    st->outputs = vl_xcalloc(1, sizeof(vl_output));
    st->outputs[0] = (vl_output){ .name = "wall", .width = 1920, .height = 1080 };
    vl_output_color_default(&st->outputs[0].color);

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
