/* layout: one section from a panel description, into a new stage or an
 * existing one; and the stage writer every command uses. */
#include "calib.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

bool calib_write_text(const char *path, const char *text)
{
    /* Through a temporary file and a rename, so a failed write never leaves
     * half a stage where a good one was (layout --in-place). */
    size_t n = strlen(path) + 8;
    char *tmp = vl_xmalloc(n);
    snprintf(tmp, n, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    bool ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    if (ok && rename(tmp, path) != 0)
        ok = false;
    if (!ok) {
        VL_ERR(CALIB_PROG, "cannot write %s: %s", path, strerror(errno));
        remove(tmp);
    }
    free(tmp);
    return ok;
}

bool calib_write_stage(const vl_stage *st, const char *path)
{
    char *text = vl_stage_to_json(st);
    if (!text) {
        VL_ERR(CALIB_PROG, "cannot write %s: the stage has a section or light card on an output "
               "it does not have", path);
        return false;
    }
    char err[1024];
    vl_stage *back = vl_stage_parse(text, path, err, sizeof(err));
    bool ok = back != NULL;
    if (!ok)
        VL_ERR(CALIB_PROG, "not writing %s: volym would not read it: %s", path, err);
    vl_stage_free(back);
    size_t len = strlen(text);
    text = vl_xrealloc(text, len + 2);
    memcpy(text + len, "\n", 2);
    ok = ok && calib_write_text(path, text);
    free(text);
    return ok;
}

/* The index of output `name`, created (with the default colour transform)
 * when the stage has none of that name. */
static int find_or_add_output(vl_stage *st, const char *name, bool *created)
{
    for (int i = 0; i < st->n_outputs; i++) {
        if (!strcmp(st->outputs[i].name, name)) {
            *created = false;
            return i;
        }
    }
    st->outputs = vl_xrealloc(st->outputs, (size_t)(st->n_outputs + 1) * sizeof(vl_output));
    vl_output *o = &st->outputs[st->n_outputs];
    *o = (vl_output){ 0 };
    snprintf(o->name, sizeof(o->name), "%s", name);
    vl_output_color_default(&o->color);
    *created = true;
    return st->n_outputs++;
}

/* A new stage named after the file it goes to ("walls.json" -> "walls"). */
static vl_stage *new_stage(const char *path)
{
    vl_stage *st = vl_xcalloc(1, sizeof(*st));
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    int len = (int)(dot && dot > base ? dot - base : (long)strlen(base));
    if (len > VL_NAME_MAX - 1)
        len = VL_NAME_MAX - 1;
    snprintf(st->name, sizeof(st->name), "%.*s", len, base);
    if (!st->name[0])
        snprintf(st->name, sizeof(st->name), "stage");
    st->rate = (vl_rational){ 25, 1 };
    vl_frustum_default(&st->frustum);
    return st;
}

static void print_problem(void *ctx, const char *msg)
{
    (void)ctx;
    VL_ERR(CALIB_PROG, "layout: %s", msg);
}

int calib_layout(const calib_opts *o)
{
    const char *out = o->in_place ? o->add_to : o->out;
    vl_stage *st = o->add_to ? vl_stage_load(o->add_to) : new_stage(out);
    if (!st)
        return 1;
    int rc = 1;
    if (o->rate.den)
        st->rate = o->rate;
    for (int i = 0; i < st->n_sections; i++) {
        if (!strcmp(st->sections[i].name, o->name)) {
            VL_ERR(CALIB_PROG, "layout: %s already has a section named '%s'; give the new one "
                   "another --name", o->add_to, o->name);
            goto done;
        }
    }
    vl_section s = {
        .panel_w_mm = o->panel_mm[0], .panel_h_mm = o->panel_mm[1],
        .panel_px_w = o->panel_px[0], .panel_px_h = o->panel_px[1],
        .cols = o->grid[0], .rows = o->grid[1],
        .pos = { o->position[0], o->position[1], o->position[2] },
        .yaw_deg = o->rotation[0], .pitch_deg = o->rotation[1], .roll_deg = o->rotation[2],
        .curve_deg = o->curve_deg,
        .canvas_x = o->canvas[0], .canvas_y = o->canvas[1],
    };
    snprintf(s.name, sizeof(s.name), "%s", o->name);
    bool created;
    s.output = find_or_add_output(st, o->output_name, &created);
    if (s.canvas_x < 0) {
        /* Right of the last section on that output, at its height. */
        s.canvas_x = s.canvas_y = 0;
        for (int i = 0; i < st->n_sections; i++) {
            const vl_section *p = &st->sections[i];
            if (p->output == s.output) {
                s.canvas_x = p->canvas_x + vl_section_width_px(p);
                s.canvas_y = p->canvas_y;
            }
        }
    }
    int w = vl_section_width_px(&s), h = vl_section_height_px(&s);
    vl_output *out_o = &st->outputs[s.output];
    if (o->output_size[0]) {
        out_o->width = o->output_size[0];
        out_o->height = o->output_size[1];
    } else if (created) {
        out_o->width = s.canvas_x + w;
        out_o->height = s.canvas_y + h;
    }
    st->sections = vl_xrealloc(st->sections, (size_t)(st->n_sections + 1) * sizeof(vl_section));
    st->sections[st->n_sections++] = s;
    if (calib_stage_problems(st, print_problem, NULL) > 0) {
        VL_ERR(CALIB_PROG, "layout: nothing written (--canvas X,Y moves the section on its canvas, "
               "--output NAME:WxH sizes the canvas)");
        goto done;
    }
    if (!calib_write_stage(st, out))
        goto done;
    printf("layout: section '%s': %dx%d panels, %dx%d px, %.3f x %.3f m, on output '%s' (%dx%d) "
           "at canvas %d,%d; wrote %s (%d section%s)\n", s.name, s.cols, s.rows, w, h,
           s.cols * s.panel_w_mm / 1000, s.rows * s.panel_h_mm / 1000, out_o->name, out_o->width,
           out_o->height, s.canvas_x, s.canvas_y, out, st->n_sections, st->n_sections == 1 ? "" : "s");
    rc = 0;
done:
    vl_stage_free(st);
    return rc;
}
