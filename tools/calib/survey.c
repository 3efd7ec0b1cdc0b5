/* survey: the stage fitted onto surveyed points; tracker-align: a tracker's
 * transform fitted from samples at known stage points, out of a take or
 * heard live; the CSV they read. */
#include "calib.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "stage/pattern.h"
#include "track/track.h"

/* ---- CSV ---------------------------------------------------------------- */

static bool parse_number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return !errno && end != s && !*end && isfinite(*v);
}

/* One field of line `p` (up to the line's end `eol`) into out: spaces
 * trimmed, a quoted field unquoted ("" is a quote). *col gets its 1-based
 * column. Returns where the next field starts, or NULL at the end of the
 * line; *bad is set for an unterminated quote or text after one. */
static const char *next_field(const char *p, const char *eol, const char *line_start, char *out,
                              size_t cap, int *col, bool *bad)
{
    while (p < eol && (*p == ' ' || *p == '\t'))
        p++;
    *col = (int)(p - line_start) + 1;
    size_t n = 0;
    if (p < eol && *p == '"') {
        for (p++;; p++) {
            if (p >= eol) {
                *bad = true;
                return NULL;
            }
            if (*p == '"' && !(p + 1 < eol && p[1] == '"'))
                break;
            if (*p == '"')
                p++;
            if (n + 1 < cap)
                out[n++] = *p;
        }
        p++;
        while (p < eol && (*p == ' ' || *p == '\t'))
            p++;
        if (p < eol && *p != ',')
            *bad = true;
    } else {
        while (p < eol && *p != ',') {
            if (n + 1 < cap)
                out[n++] = *p;
            p++;
        }
        while (n > 0 && (out[n - 1] == ' ' || out[n - 1] == '\t'))
            n--;
    }
    out[n] = '\0';
    return p < eol ? p + 1 : NULL;
}

calib_csv_row *calib_csv_load(const char *path, int n_text, int n_num, const char *const *names,
                              int *n_rows)
{
    char *text = vl_read_file(path, NULL);
    if (!text) {
        VL_ERR(CALIB_PROG, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    int want = n_text + n_num, cap = 16, n = 0, line = 0;
    char expect[256] = "";
    for (int k = 0; k < want; k++) {
        size_t len = strlen(expect);
        snprintf(expect + len, sizeof(expect) - len, "%s%.*s", k ? "," : "",
                 (int)strcspn(names[k], " "), names[k]);
    }
    calib_csv_row *rows = vl_xcalloc((size_t)cap, sizeof(*rows));
    bool header_done = false, ok = true;
    /* A spreadsheet's UTF-8 byte order mark is not part of the first field. */
    const char *start = strncmp(text, "\xEF\xBB\xBF", 3) ? text : text + 3;
    for (const char *p = start; ok && *p;) {
        const char *eol = p + strcspn(p, "\n");
        const char *next = *eol ? eol + 1 : eol;
        line++;
        if (eol > p && eol[-1] == '\r')
            eol--;
        const char *first = p;
        while (first < eol && (*first == ' ' || *first == '\t'))
            first++;
        if (first == eol || *first == '#') {
            p = next;
            continue;
        }
        char field[CALIB_CSV_MAX][VL_NAME_MAX * 2];
        int col[CALIB_CSV_MAX], got = 0;
        bool bad = false;
        for (const char *f = p; f && !bad;) {
            char one[VL_NAME_MAX * 2];
            int c;
            f = next_field(f, eol, p, one, sizeof(one), &c, &bad);
            if (got < CALIB_CSV_MAX) {
                memcpy(field[got], one, sizeof(one));
                col[got] = c;
            }
            got++;
        }
        if (bad) {
            VL_ERR(CALIB_PROG, "%s:%d: a quoted field is not closed, or text follows its closing "
                   "quote; expected %s", path, line, expect);
            ok = false;
            break;
        }
        if (got != want) {
            VL_ERR(CALIB_PROG, "%s:%d: expected %d fields (%s), got %d", path, line, want, expect, got);
            ok = false;
            break;
        }
        /* A header names the columns: none of the number fields is a number. */
        double v[CALIB_CSV_MAX];
        int numbers = 0;
        for (int k = 0; k < n_num; k++)
            numbers += parse_number(field[n_text + k], &v[k]);
        bool header = !header_done && numbers == 0;
        header_done = true;
        if (header) {
            p = next;
            continue;
        }
        for (int k = 0; k < n_num && ok; k++) {
            if (!parse_number(field[n_text + k], &v[k])) {
                VL_ERR(CALIB_PROG, "%s:%d:%d: expected a number for %s, got '%s'", path, line,
                       col[n_text + k], names[n_text + k], field[n_text + k]);
                ok = false;
            }
        }
        for (int k = 0; k < n_text && ok; k++) {
            if (!field[k][0] || strlen(field[k]) >= sizeof(rows->text[0]) - 1) {
                VL_ERR(CALIB_PROG, "%s:%d:%d: expected a %s of 1 to %zu characters, got '%s'", path,
                       line, col[k], names[k], sizeof(rows->text[0]) - 2, field[k]);
                ok = false;
            }
        }
        if (!ok)
            break;
        if (n == cap) {
            cap *= 2;
            rows = vl_xrealloc(rows, (size_t)cap * sizeof(*rows));
        }
        calib_csv_row *r = &rows[n++];
        *r = (calib_csv_row){ .line = line };
        for (int k = 0; k < n_text; k++)
            memcpy(r->text[k], field[k], sizeof(r->text[k]));
        memcpy(r->num, v, (size_t)n_num * sizeof(double));
        p = next;
    }
    free(text);
    if (!ok) {
        free(rows);
        return NULL;
    }
    *n_rows = n;
    return rows;
}

/* ---- survey ------------------------------------------------------------ */

/* The stage point a survey label names; false after saying why not. */
static bool resolve_label(const vl_stage *st, const vl_marker *markers, int n_markers,
                          const char *path, int line, const char *label, double out[3])
{
    const char *at = strrchr(label, '@');
    if (at) {
        int len = (int)(at - label), s = 0;
        while (s < st->n_sections && !(strlen(st->sections[s].name) == (size_t)len &&
                                       !strncmp(st->sections[s].name, label, (size_t)len)))
            s++;
        if (s == st->n_sections) {
            char names[256] = "";
            for (int i = 0; i < st->n_sections; i++) {
                size_t l = strlen(names);
                snprintf(names + l, sizeof(names) - l, "%s%s", i ? ", " : "", st->sections[i].name);
            }
            VL_ERR(CALIB_PROG, "%s:%d: unknown section '%.*s' in label '%s' (sections: %s)", path,
                   line, len, label, label, names);
            return false;
        }
        const vl_section *sec = &st->sections[s];
        char px_s[64], py_s[64];
        const char *colon = strchr(at + 1, ':');
        double px, py;
        if (!colon || colon - at - 1 >= 64 || strlen(colon + 1) >= 64) {
            VL_ERR(CALIB_PROG, "%s:%d: label '%s': expected SECTION@PX:PY (pixel coordinates)",
                   path, line, label);
            return false;
        }
        snprintf(px_s, sizeof(px_s), "%.*s", (int)(colon - at - 1), at + 1);
        snprintf(py_s, sizeof(py_s), "%s", colon + 1);
        if (!parse_number(px_s, &px) || !parse_number(py_s, &py)) {
            VL_ERR(CALIB_PROG, "%s:%d: label '%s': expected SECTION@PX:PY with numbers for PX and "
                   "PY", path, line, label);
            return false;
        }
        int w = vl_section_width_px(sec), h = vl_section_height_px(sec);
        if (px < 0 || px > w || py < 0 || py > h) {
            VL_ERR(CALIB_PROG, "%s:%d: label '%s': pixel %g:%g is outside section '%s' (PX 0 .. %d, "
                   "PY 0 .. %d)", path, line, label, px, py, sec->name, w, h);
            return false;
        }
        vl_section_pixel_to_stage(sec, px, py, out);
        return true;
    }
    if (!strncmp(label, "tag:", 4)) {
        char *end;
        errno = 0;
        long id = strtol(label + 4, &end, 10);
        if (!errno && end != label + 4 && !*end) {
            for (int i = 0; i < n_markers; i++) {
                if (markers[i].id == id) {
                    memcpy(out, markers[i].centre_stage, sizeof(markers[i].centre_stage));
                    return true;
                }
            }
        }
        if (n_markers)
            VL_ERR(CALIB_PROG, "%s:%d: no marker '%s' (the stage's apriltag pattern has tag:%d .. "
                   "tag:%d)", path, line, label, markers[0].id, markers[n_markers - 1].id);
        else
            VL_ERR(CALIB_PROG, "%s:%d: no marker '%s' (the stage has no markers)", path, line, label);
        return false;
    }
    VL_ERR(CALIB_PROG, "%s:%d: unknown label '%s' (expected tag:ID or SECTION@PX:PY)", path, line, label);
    return false;
}

/* Writes the stage, then the report: text (stderr with --json), JSON, SVG. */
static int finish(const calib_opts *o, calib_report *r, const vl_stage *after)
{
    calib_report_finish(r);
    /* Centimetres off everywhere is not a wall out of place but points in
     * the wrong units or axes. */
    if (r->rms_mm > 50)
        VL_WARN(CALIB_PROG, "%s: the fit leaves an RMS of %.0f mm: are the points in metres and in "
                "stage axes (X right, Y towards the wall, Z up)?", r->what, r->rms_mm);
    if (!calib_write_stage(after, o->out))
        return 1;
    r->stage_out = o->out;
    calib_report_print(r, o->json ? stderr : stdout);
    if (o->json && !calib_report_json(r, stdout))
        return 1;
    if (o->svg) {
        if (!calib_report_svg(r, o->svg))
            return 1;
        fprintf(o->json ? stderr : stdout, "wrote %s\n", o->svg);
    }
    return 0;
}

int calib_survey(const calib_opts *o)
{
    static const char *const names[] = { "label", "x (metres)", "y (metres)", "z (metres)" };
    vl_stage *st = vl_stage_load(o->stage), *after = NULL;
    int n = 0, rc = 1;
    calib_csv_row *rows = st ? calib_csv_load(o->points, 1, 3, names, &n) : NULL;
    if (!rows) {
        vl_stage_free(st);
        return 1;
    }
    int n_markers = vl_pattern_markers(st, NULL, 0);
    vl_marker *markers = vl_xcalloc((size_t)n_markers + 1, sizeof(*markers));
    vl_pattern_markers(st, markers, n_markers);
    calib_point *pts = vl_xcalloc((size_t)n + 1, sizeof(*pts));
    double (*nom)[3] = vl_xcalloc((size_t)n + 1, sizeof(*nom));
    double (*meas)[3] = vl_xcalloc((size_t)n + 1, sizeof(*meas));
    bool *inlier = vl_xcalloc((size_t)n + 1, sizeof(bool));
    for (int i = 0; i < n; i++) {
        for (int k = 0; k < i; k++) {
            if (!strcmp(rows[k].text[0], rows[i].text[0])) {
                VL_ERR(CALIB_PROG, "%s:%d: label '%s' again (first on line %d): one measurement a "
                       "point", o->points, rows[i].line, rows[i].text[0], rows[k].line);
                goto done;
            }
        }
        if (!resolve_label(st, markers, n_markers, o->points, rows[i].line, rows[i].text[0], nom[i]))
            goto done;
        memcpy(meas[i], rows[i].num, sizeof(meas[i]));
        snprintf(pts[i].label, sizeof(pts[i].label), "%s", rows[i].text[0]);
        memcpy(pts[i].nominal, nom[i], sizeof(nom[i]));
        memcpy(pts[i].measured, meas[i], sizeof(meas[i]));
    }
    if (n < 3) {
        VL_ERR(CALIB_PROG, "%s: %d point%s; a fit needs at least 3, not in one line", o->points, n,
               n == 1 ? "" : "s");
        goto done;
    }
    calib_fit_result res;
    if (!calib_fit_robust((const double (*)[3])nom, (const double (*)[3])meas, n, o->scale,
                          o->outlier_mm / 1000, inlier, NULL, &res)) {
        VL_ERR(CALIB_PROG, "%s: the points do not fix a rotation: they lie on one line (or the "
               "inliers do); measure points spread over the wall", o->points);
        goto done;
    }
    for (int i = 0; i < n; i++)
        pts[i].outlier = !inlier[i];
    after = vl_stage_copy(st);
    for (int i = 0; i < after->n_sections; i++)
        calib_transform_section(&res.T, &after->sections[i]);
    calib_report r = {
        .what = "survey",
        .transform_note = "moves the stage model onto the measured points",
        .before = st, .after = after, .points = pts, .n_points = n, .T = res.T,
        .with_scale = o->scale,
    };
    rc = finish(o, &r, after);
    if (!rc && o->scale)
        fprintf(o->json ? stderr : stdout, "note: the scale is reported, not applied: sections are "
                "moved and turned only\n");
done:
    free(rows);
    free(markers);
    free(pts);
    free(nom);
    free(meas);
    free(inlier);
    vl_stage_free(st);
    vl_stage_free(after);
    return rc;
}

/* ---- tracker-align --------------------------------------------------------- */

/* A station whose samples spread more than this moved during its window. */
#define STILL_SPREAD_M 0.01

/* The mean position of `camera`'s samples with t in [t0, t1] (seconds on
 * the samples' time line) into mean. A spread (RMS around the mean) over
 * STILL_SPREAD_M is warned about as "WHERE: the tracked point moved during
 * DURING (...): ADVICE". Returns how many samples were averaged. */
static int station_mean(const vl_sample *samples, int n_samples, int camera, double t0, double t1,
                        const char *where, const char *during, const char *advice, double mean[3])
{
    int n = 0;
    double sum[3] = { 0 }, sum2 = 0;
    for (int i = 0; i < n_samples; i++) {
        const vl_sample *s = &samples[i];
        double t = (double)s->t_ns / 1e9;
        if (s->camera != camera || t < t0 || t > t1)
            continue;
        for (int k = 0; k < 3; k++) {
            sum[k] += s->pose.pos[k];
            sum2 += s->pose.pos[k] * s->pose.pos[k];
        }
        n++;
    }
    if (!n)
        return 0;
    for (int k = 0; k < 3; k++) {
        mean[k] = sum[k] / n;
        sum2 -= n * mean[k] * mean[k];      /* the sum of squares about the mean */
    }
    double spread = sqrt(fmax(sum2, 0) / n);
    if (spread > STILL_SPREAD_M)
        VL_WARN(CALIB_PROG, "%s: the tracked point moved during %s (spread %.1f mm over %d "
                "samples): %s", where, during, spread * 1000, n, advice);
    return n;
}

/* The take's mean tracker point at each station's window into raw[]. */
static bool take_stations(const calib_opts *o, const calib_csv_row *rows, int n, double (*raw)[3],
                          calib_point *pts)
{
    vl_take *take = vl_take_load(o->take);
    bool ok = false;
    if (!take)
        return false;
    if (!take->n) {
        VL_ERR(CALIB_PROG, "%s holds no samples", o->take);
        goto done;
    }
    int camera = o->camera >= 0 ? o->camera : take->samples[0].camera;
    double take_t0 = (double)take->samples[0].t_ns / 1e9;
    double take_t1 = (double)take->samples[take->n - 1].t_ns / 1e9;
    for (int i = 0; i < n; i++) {
        const calib_csv_row *row = &rows[i];
        if (!(row->num[1] > row->num[0])) {
            VL_ERR(CALIB_PROG, "%s:%d: expected t_end after t_start, got %g .. %g", o->points,
                   row->line, row->num[0], row->num[1]);
            goto done;
        }
        char where[PATH_MAX + 16], during[64];
        snprintf(where, sizeof(where), "%s:%d", o->points, row->line);
        snprintf(during, sizeof(during), "%g .. %g s", row->num[0], row->num[1]);
        if (!station_mean(take->samples, take->n, camera, row->num[0], row->num[1], where, during,
                          "is the window right?", raw[i])) {
            VL_ERR(CALIB_PROG, "%s:%d: no samples of camera %d from %g to %g s in %s (it runs "
                   "%.3f .. %.3f s)", o->points, row->line, camera, row->num[0], row->num[1],
                   o->take, take_t0, take_t1);
            goto done;
        }
        snprintf(pts[i].label, sizeof(pts[i].label), "t %g..%g", row->num[0], row->num[1]);
    }
    ok = true;
done:
    vl_take_free(take);
    return ok;
}

/* Samples heard live. The receiver thread (live_sample) appends while
 * collecting; the main thread reads them only after it has stopped that. */
struct live {
    pthread_mutex_t lock;       /* guards everything below */
    bool collecting;
    int camera;                 /* the camera averaged: --camera, or the first heard; -1 */
    int other_camera;           /* another camera heard this station; -1: none */
    vl_sample *samples;
    int n, cap;
};

static void live_sample(void *ctx, const vl_sample *s)
{
    struct live *lv = ctx;
    pthread_mutex_lock(&lv->lock);
    if (lv->collecting) {
        if (lv->camera < 0)
            lv->camera = s->camera;
        if (s->camera != lv->camera) {
            lv->other_camera = s->camera;
        } else {
            if (lv->n == lv->cap) {
                lv->cap = lv->cap ? 2 * lv->cap : 256;
                lv->samples = vl_xrealloc(lv->samples, (size_t)lv->cap * sizeof(*lv->samples));
            }
            lv->samples[lv->n++] = *s;
        }
    }
    pthread_mutex_unlock(&lv->lock);
}

/* Lets the receiver thread hand over a sample that arrived just before the
 * hold ended (its time is checked, so a later one is not counted). */
#define HOLD_GRACE_NS (20 * 1000000LL)

/* Station by station: ask for the camera at the stage point, wait for
 * Enter, average what the tracker sends during the hold into raw[]. The
 * tracker is opened with the URL's defaults so the samples stay in raw
 * tracker space (the stage's transform, nodal offset and delay unapplied). */
static bool live_stations(const calib_opts *o, const calib_csv_row *rows, int n, double (*raw)[3],
                          calib_point *pts)
{
    struct live lv = { .camera = o->camera, .other_camera = -1 };
    vl_tracker_config cfg;
    vl_tracker_config_default(&cfg, o->from);
    cfg.camera = o->camera;
    pthread_mutex_init(&lv.lock, NULL);
    const vl_track_sink tap = { .sample = live_sample, .ctx = &lv };
    vl_tracker *trk = vl_tracker_open_tap(&cfg, 0, NULL, &tap);
    char *line = NULL;
    size_t line_cap = 0;
    bool ok = false, told_other = false;
    if (!trk)
        goto done;
    fprintf(stderr, "tracker-align: listening on UDP port %d for %s, its samples in raw tracker "
            "space (a transform at identity, not the stage's)\n", vl_tracker_port(trk), o->from);
    for (int i = 0; i < n; i++) {
        const double *p = rows[i].num;
        fprintf(stderr, "station %d of %d: put the camera at %g, %g, %g and hold it still, then "
                "press Enter\n", i + 1, n, p[0], p[1], p[2]);
        if (getline(&line, &line_cap, stdin) < 0) {
            VL_ERR(CALIB_PROG, "stopped at station %d of %d: stdin ended before its Enter; "
                   "nothing written", i + 1, n);
            goto done;
        }
        int64_t open_ns = vl_now_ns(), close_ns = open_ns + llround(o->hold_s * 1e9);
        pthread_mutex_lock(&lv.lock);
        lv.n = 0;
        lv.other_camera = -1;
        lv.collecting = true;
        pthread_mutex_unlock(&lv.lock);
        vl_sleep_until_ns(close_ns + HOLD_GRACE_NS);
        pthread_mutex_lock(&lv.lock);
        lv.collecting = false;
        int camera = lv.camera, other = lv.other_camera;
        pthread_mutex_unlock(&lv.lock);
        char where[48], during[48];
        snprintf(where, sizeof(where), "station %d of %d", i + 1, n);
        snprintf(during, sizeof(during), "the %g s hold", o->hold_s);
        int got = station_mean(lv.samples, lv.n, camera, (double)open_ns / 1e9,
                               (double)close_ns / 1e9, where, during,
                               "hold the camera still until the next prompt", raw[i]);
        if (!got) {
            char counters[512];
            vl_tracker_stats st = vl_tracker_get_stats(trk);
            vl_tracker_stats_format(&st, counters, sizeof(counters));
            char cam[32] = "";
            if (camera >= 0)
                snprintf(cam, sizeof(cam), " of camera %d", camera);
            VL_ERR(CALIB_PROG, "station %d of %d: no samples%s from %s in the %g s hold (so far: "
                   "%s): check that the tracker is on, sends to this machine's UDP port %d in "
                   "that protocol, and that no firewall drops it (volym-track probe --from %s "
                   "shows what arrives)", i + 1, n, cam, o->from, o->hold_s, counters,
                   vl_tracker_port(trk), o->from);
            goto done;
        }
        if (other >= 0 && !told_other) {
            told_other = true;
            VL_WARN(CALIB_PROG, "%s: camera %d sends too; averaging camera %d only (--camera "
                    "picks one)", where, other, camera);
        }
        fprintf(stderr, "station %d of %d: %d samples of camera %d, at %.4f, %.4f, %.4f in the "
                "tracker's space\n", i + 1, n, got, camera, raw[i][0], raw[i][1], raw[i][2]);
        snprintf(pts[i].label, sizeof(pts[i].label), "station %d", i + 1);
    }
    ok = true;
done:
    vl_tracker_close(trk);          /* no more live_sample after this */
    pthread_mutex_destroy(&lv.lock);
    free(lv.samples);
    free(line);
    return ok;
}

/* Enough stations, not in one line; false after saying what is wrong. */
static bool stations_fit(const calib_opts *o, const double (*dst)[3], int n)
{
    calib_transform T;
    if (n < 3) {
        VL_ERR(CALIB_PROG, "%s: %d station%s; a fit needs at least 3, not in one line", o->points,
               n, n == 1 ? "" : "s");
        return false;
    }
    if (!calib_fit(dst, dst, NULL, n, false, &T)) {
        VL_ERR(CALIB_PROG, "%s: the stations do not fix a rotation: they lie on one line; stand "
               "the camera at points spread over the stage, at different heights too", o->points);
        return false;
    }
    return true;
}

int calib_tracker_align(const calib_opts *o)
{
    static const char *const take_names[] = { "t_start (seconds)", "t_end (seconds)",
                                              "x (metres)", "y (metres)", "z (metres)" };
    const char *const *names = o->take ? take_names : take_names + 2;
    int n_num = o->take ? 5 : 3, xyz = n_num - 3;
    vl_stage *st = vl_stage_load(o->stage), *after = NULL;
    if (!st)
        return 1;
    if (o->tracker >= st->n_trackers) {
        if (st->n_trackers)
            VL_ERR(CALIB_PROG, "%s has no tracker %d (it has %d: 0 .. %d); --tracker picks one",
                   o->stage, o->tracker, st->n_trackers, st->n_trackers - 1);
        else
            VL_ERR(CALIB_PROG, "%s has no trackers: add one to its \"trackers\" (its url at "
                   "least) first", o->stage);
        vl_stage_free(st);
        return 1;
    }
    int n = 0, rc = 1;
    calib_csv_row *rows = calib_csv_load(o->points, 0, n_num, names, &n);
    calib_point *pts = vl_xcalloc((size_t)n + 1, sizeof(*pts));
    double (*src)[3] = vl_xcalloc((size_t)n + 1, sizeof(*src));
    double (*dst)[3] = vl_xcalloc((size_t)n + 1, sizeof(*dst));
    if (!rows)
        goto done;
    for (int i = 0; i < n; i++)
        memcpy(dst[i], &rows[i].num[xyz], sizeof(dst[i]));
    /* Live, said before anyone walks a camera to the stations; a take's
     * own errors (its windows) come first. */
    if (o->from && !stations_fit(o, (const double (*)[3])dst, n))
        goto done;
    if (!(o->take ? take_stations : live_stations)(o, rows, n, src, pts))
        goto done;
    if (o->take && !stations_fit(o, (const double (*)[3])dst, n))
        goto done;
    vl_tracker_config *cfg = &st->trackers[o->tracker];
    for (int i = 0; i < n; i++) {
        /* The sign flips come before the transform (vl_tracker_apply). */
        for (int k = 0; k < 3; k++)
            src[i][k] *= cfg->axis_sign[k];
        memcpy(pts[i].nominal, src[i], sizeof(src[i]));
        memcpy(pts[i].measured, dst[i], sizeof(dst[i]));
    }
    calib_transform T;
    if (!calib_fit((const double (*)[3])src, (const double (*)[3])dst, NULL, n, o->scale, &T)) {
        VL_ERR(CALIB_PROG, "%s: the tracked points lie on one line and do not fix a rotation: "
               "was the camera at the stations?", o->take ? o->take : o->from);
        goto done;
    }
    after = vl_stage_copy(st);
    vl_tracker_config *out = &after->trackers[o->tracker];
    memcpy(out->offset, T.t, sizeof(out->offset));
    calib_transform_to_ptr(&T, out->rotation);
    out->scale = T.scale;
    char note[128];
    snprintf(note, sizeof(note), "tracker space -> stage space, written to trackers[%d]'s transform",
             o->tracker);
    calib_report r = {
        .what = "tracker-align", .transform_note = note,
        .before = st, .after = after, .points = pts, .n_points = n, .T = T, .with_scale = o->scale,
    };
    rc = finish(o, &r, after);
done:
    free(rows);
    free(pts);
    free(src);
    free(dst);
    vl_stage_free(st);
    vl_stage_free(after);
    return rc;
}
