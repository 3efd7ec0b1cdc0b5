/*
 * camera: the wall's real pose from photos of the AprilTag pattern taken
 * by cameras whose pose and FOV are known (given, or a tracker sample from
 * a take). Each tag's corners are nominal stage points (vl_pattern_markers);
 * the photo says where they really show. calib_solve_correction finds the
 * rigid move of the wall (and of each section on its own) that makes them
 * agree, and the adjusted stage is written.
 */
#include "calib.h"
#include "photo.h"
#include "track/track.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG "calib"
#define MIN_TAGS 3              /* fewer do not pin a wall down */
#define OUTLIER_PX 2.0          /* a tag's corner this far off (and 4 x rms) is left out */

/* One section's own fit. */
typedef struct section_fit {
    bool solved;
    int tags;
    calib_transform T;
    double rms_px, max_px;
} section_fit;

/* Where the ray through pixel uv of view v meets the plane through the
 * points q[0..2]; false when it runs along it or behind the camera. */
static bool ray_plane(const calib_view *v, const double uv[2], const double q[3][3], double out[3])
{
    vl_basis b = vl_basis_from_ptr(v->pose.pan_deg, v->pose.tilt_deg, v->pose.roll_deg);
    double tan_h = tan(v->fov_h_deg * M_PI / 360), tan_v = tan_h * v->height / v->width;
    double x = (2 * uv[0] / v->width - 1) * tan_h, y = (1 - 2 * uv[1] / v->height) * tan_v;
    double d[3], e1[3], e2[3], n[3], nd = 0, nq = 0;
    for (int i = 0; i < 3; i++) {
        d[i] = b.forward[i] + x * b.right[i] + y * b.up[i];
        e1[i] = q[1][i] - q[0][i];
        e2[i] = q[2][i] - q[0][i];
    }
    for (int i = 0; i < 3; i++) {
        n[i] = e1[(i + 1) % 3] * e2[(i + 2) % 3] - e1[(i + 2) % 3] * e2[(i + 1) % 3];
        nd += n[i] * d[i];
        nq += n[i] * (q[0][i] - v->pose.pos[i]);
    }
    if (fabs(nd) < 1e-12 || nq / nd <= 0)
        return false;
    for (int i = 0; i < 3; i++)
        out[i] = v->pose.pos[i] + nq / nd * d[i];
    return true;
}

/* Reprojection error of every observation under correction C: rms and max. */
static void reprojection(const calib_view *views, const calib_obs *obs, int n,
                         const calib_transform *C, double *rms, double *max)
{
    double sum = 0;
    *max = 0;
    for (int i = 0; i < n; i++) {
        double p[3], uv[2];
        calib_transform_apply(C, obs[i].p, p);
        if (!calib_project(&views[obs[i].view], p, uv))
            continue;
        double e2 = (uv[0] - obs[i].uv[0]) * (uv[0] - obs[i].uv[0]) +
                    (uv[1] - obs[i].uv[1]) * (uv[1] - obs[i].uv[1]);
        sum += e2;
        *max = fmax(*max, sqrt(e2));
    }
    *rms = n ? sqrt(sum / n) : 0;
}

/* A correction's pivot: the middle of the observed points. */
static void centroid(const calib_obs *obs, int n, double out[3])
{
    out[0] = out[1] = out[2] = 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            out[k] += obs[i].p[k] / n;
}

/* The views: a pose given with the photo, or the take's sample at a time. */
static bool photo_view(const calib_opts *o, int i, const vl_take *take, const calib_grey *g,
                       calib_view *v)
{
    *v = (calib_view){ .pose = o->photo_pose[i], .fov_h_deg = o->photo_fov[i],
                       .width = g->width, .height = g->height };
    if (o->photo_at[i] < 0)
        return true;
    vl_sample s;
    if (!take || !vl_take_at(take, o->camera, (int64_t)llround(o->photo_at[i] * 1e9), &s)) {
        VL_ERR(LOG, "photo %s: no tracking sample at %.3f s (give --take with the camera's "
               "samples)", o->photos[i], o->photo_at[i]);
        return false;
    }
    v->pose = s.pose;
    if (s.fov_h_deg > 0)
        v->fov_h_deg = s.fov_h_deg;
    return true;
}

/* Solve the correction for the observations whose marker is on `section`
 * (-1: all). False when there are too few or it does not converge.
 * dropped (optional, by marker) marks the tags left out as misread. */
static bool solve(const calib_view *views, const calib_obs *obs, const int *marker_of, int n,
                  const vl_marker *markers, int section, calib_transform *C, double *rms,
                  double *max, int *n_used, bool *dropped)
{
    calib_obs *own = vl_xcalloc(n ? n : 1, sizeof(*own));
    int *which = vl_xcalloc(n ? n : 1, sizeof(*which));
    int k = 0;
    for (int i = 0; i < n; i++)
        if (section < 0 || markers[marker_of[i]].section == section) {
            which[k] = marker_of[i];
            own[k++] = obs[i];
        }
    double pivot[3];
    centroid(own, k, pivot);
    bool ok = k >= 4 * MIN_TAGS && calib_solve_correction(views, own, k, pivot, C, rms, max);
    /* A tag read wrongly (a glancing view, a reflection) is left out once:
     * any of its corners more than OUTLIER_PX and 4 x the rms off. */
    double limit = fmax(OUTLIER_PX, 4 * *rms);
    int kept = 0;
    for (int i = 0; ok && i + 3 < k; i += 4) {
        bool good = true;
        for (int c = 0; c < 4; c++) {
            double p[3], uv[2];
            calib_transform_apply(C, own[i + c].p, p);
            good &= calib_project(&views[own[i + c].view], p, uv) &&
                    hypot(uv[0] - own[i + c].uv[0], uv[1] - own[i + c].uv[1]) <= limit;
        }
        if (!good && dropped)
            dropped[which[i]] = true;
        for (int c = 0; good && c < 4; c++) {
            which[kept] = which[i + c];
            own[kept++] = own[i + c];
        }
    }
    if (ok && kept < k)
        ok = kept >= 4 * MIN_TAGS && calib_solve_correction(views, own, kept, pivot, C, rms, max);
    *n_used = ok ? kept / 4 : k / 4;
    free(which);
    free(own);
    return ok;
}

/* One report point per tag: where the corrected model puts its centre,
 * and where the photos saw it: the middle of its four corners' rays met
 * with the corrected tag's plane (the mean over the photos that saw it). Its residual is the reprojection error as
 * millimetres on the wall. Returns the count. */
static int tag_points(const calib_view *views, const calib_obs *obs, const int *marker_of, int n,
                      const vl_marker *markers, int n_markers, const bool *dropped,
                      const calib_transform *C, calib_point *out)
{
    int *slot = vl_xmalloc((n_markers ? n_markers : 1) * sizeof(*slot)), count = 0;
    int *seen_by = vl_xcalloc(n / 4 + 1, sizeof(*seen_by));
    for (int k = 0; k < n_markers; k++)
        slot[k] = -1;
    for (int i = 0; i + 3 < n; i += 4) {
        const vl_marker *m = &markers[marker_of[i]];
        double q[3][3], corner[3], seen[3] = { 0, 0, 0 };
        bool hit = true;
        for (int c = 0; c < 3; c++)
            calib_transform_apply(C, m->corner_stage[c], q[c]);
        /* the middle of the four corners as seen, on the tag's plane */
        for (int c = 0; c < 4 && hit; c++) {
            hit = ray_plane(&views[obs[i + c].view], obs[i + c].uv, q, corner);
            for (int j = 0; j < 3; j++)
                seen[j] += corner[j] / 4;
        }
        if (!hit)
            continue;
        int k = slot[marker_of[i]];
        if (k < 0) {
            k = slot[marker_of[i]] = count++;
            out[k] = (calib_point){ 0 };
            snprintf(out[k].label, sizeof(out[k].label), "tag:%d", m->id);
            out[k].outlier = dropped[marker_of[i]];
            memcpy(out[k].nominal, m->centre_stage, sizeof(out[k].nominal));
        }
        seen_by[k]++;
        for (int j = 0; j < 3; j++)
            out[k].measured[j] += (seen[j] - out[k].measured[j]) / seen_by[k];
    }
    free(seen_by);
    free(slot);
    return count;
}

static void print_section(FILE *f, const vl_section *s, const section_fit *fit)
{
    double ptr[3];
    if (!fit->solved) {
        fprintf(f, "  section %s: %d tag%s seen, too few for a fit of its own\n", s->name,
                fit->tags, fit->tags == 1 ? "" : "s");
        return;
    }
    calib_transform_to_ptr(&fit->T, ptr);
    fprintf(f, "  section %s: %d tags, its own fit moves it %.1f, %.1f, %.1f mm, turns it %.3f, "
            "%.3f, %.3f deg (rms %.2f px)\n", s->name, fit->tags, fit->T.t[0] * 1000,
            fit->T.t[1] * 1000, fit->T.t[2] * 1000, ptr[0], ptr[1], ptr[2], fit->rms_px);
}

/* The camera solve's own keys for --json. */
static json_t *camera_json(const vl_stage *stage, const section_fit *fits, int tags, int photos,
                           double rms0, double rms, double max)
{
    json_t *sections = json_array();
    for (int s = 0; s < stage->n_sections; s++) {
        const section_fit *f = &fits[s];
        double ptr[3];
        calib_transform_to_ptr(&f->T, ptr);
        json_t *j = json_pack("{s:s,s:i,s:b}", "name", stage->sections[s].name, "tags", f->tags,
                              "solved", f->solved);
        if (f->solved)
            json_object_update_new(j, json_pack("{s:[f,f,f],s:[f,f,f],s:f}", "translation_m",
                                                f->T.t[0], f->T.t[1], f->T.t[2], "rotation_deg",
                                                ptr[0], ptr[1], ptr[2], "rms_px", f->rms_px));
        json_array_append_new(sections, j);
    }
    return json_pack("{s:i,s:i,s:{s:f,s:f,s:f},s:o}", "tags", tags, "photos", photos,
                     "reprojection_px", "rms_before", rms0, "rms", rms, "max", max,
                     "sections", sections);
}

int calib_camera(const calib_opts *o)
{
    int ret = 1;
    vl_stage *stage = vl_stage_load(o->stage), *after = NULL;
    vl_take *take = o->take ? vl_take_load(o->take) : NULL;
    calib_view *views = vl_xcalloc(o->n_photos, sizeof(*views));
    calib_obs *obs = NULL;
    calib_point *points = NULL;
    vl_marker *markers = NULL;
    int *marker_of = NULL, n_obs = 0, n_found = 0;
    bool *dropped = NULL;
    if (!stage || (o->take && !take))
        goto done;
    int n_markers = vl_pattern_markers(stage, NULL, 0);
    markers = vl_xcalloc(n_markers ? n_markers : 1, sizeof(*markers));
    vl_pattern_markers(stage, markers, n_markers);
    for (int i = 0; i < o->n_photos; i++) {
        calib_grey g;
        if (!calib_grey_load(o->photos[i], &g))
            goto done;
        bool ok = photo_view(o, i, take, &g, &views[i]);
        int got = ok ? calib_observe(markers, n_markers, &g, i, &obs, &marker_of, &n_obs) : 0;
        calib_grey_free(&g);
        if (!ok)
            goto done;
        n_found += got;
        if (!o->json)
            printf("%s: %d of the stage's %d tags\n", o->photos[i], got, n_markers);
    }
    if (n_found < MIN_TAGS) {
        VL_ERR(LOG, "too few tags: %d found in %d photo%s (expected at least %d of the stage's "
               "%d: photograph the wall showing volym run --pattern apriltag, sharp and well lit, "
               "with this stage file)", n_found, o->n_photos, o->n_photos == 1 ? "" : "s",
               MIN_TAGS, n_markers);
        goto done;
    }

    /* The whole wall, then each section on its own. */
    double rms0, max0, rms, max;
    int used;
    calib_transform C, id = calib_transform_identity();
    reprojection(views, obs, n_obs, &id, &rms0, &max0);
    dropped = vl_xcalloc(n_markers ? n_markers : 1, sizeof(*dropped));
    if (!solve(views, obs, marker_of, n_obs, markers, -1, &C, &rms, &max, &used, dropped)) {
        VL_ERR(LOG, "the camera solve did not converge (%d tags): check each photo's pose and "
               "FOV, and that the stage file is the one shown on the wall", n_found);
        goto done;
    }
    after = vl_stage_copy(stage);
    section_fit *fits = vl_xcalloc(stage->n_sections, sizeof(*fits));
    for (int s = 0; s < stage->n_sections; s++) {
        section_fit *f = &fits[s];
        f->solved = solve(views, obs, marker_of, n_obs, markers, s, &f->T, &f->rms_px,
                          &f->max_px, &f->tags, NULL);
        calib_transform_section(o->per_section && f->solved ? &f->T : &C, &after->sections[s]);
    }
    points = vl_xcalloc(n_obs / 4 + 1, sizeof(*points));
    calib_report r = {
        .what = "camera",
        .transform_note = o->per_section ? "the whole wall's fit; each section was moved by its "
                                           "own (above)"
                                         : "moves the stage model to where the photos show it",
        .stage_out = o->out, .before = stage, .after = after, .points = points,
        .n_points = tag_points(views, obs, marker_of, n_obs, markers, n_markers, dropped, &C,
                               points),
        .T = C,
    };
    calib_report_finish(&r);
    r.json_extra = camera_json(stage, fits, n_found, o->n_photos, rms0, rms, max);
    FILE *text = o->json ? stderr : stdout;
    fprintf(text, "camera: %d tags in %d photo%s; reprojection rms %.2f px before, %.2f px after "
            "(max %.2f px)\n", n_found, o->n_photos, o->n_photos == 1 ? "" : "s", rms0, rms, max);
    for (int s = 0; s < stage->n_sections; s++)
        print_section(text, &stage->sections[s], &fits[s]);
    calib_report_print(&r, text);
    if (o->json)
        calib_report_json(&r, stdout);
    if (calib_write_stage(after, o->out) && (!o->svg || calib_report_svg(&r, o->svg)))
        ret = 0;
    json_decref(r.json_extra);
    free(fits);
done:
    free(points);
    free(dropped);
    free(obs);
    free(marker_of);
    free(markers);
    free(views);
    vl_take_free(take);
    vl_stage_free(after);
    vl_stage_free(stage);
    return ret;
}
