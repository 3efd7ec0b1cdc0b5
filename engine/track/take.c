/* Takes: tracking samples as JSON lines, one sample per line, the format
 * `volym-track record` writes and `probe --json` prints. */
#include "track/track.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "take"
#define EXPECTED "expected a JSON object with numbers t, camera, x, y, z, pan, tilt, roll"

/* ---- writing ------------------------------------------------------------- */

/* vsnprintf at buf + *len, keeping *len the length the whole text would
 * have (snprintf semantics across several calls). */
__attribute__((format(printf, 4, 5)))
static void append(char *buf, size_t n, int *len, const char *fmt, ...)
{
    size_t at = (size_t)*len < n ? (size_t)*len : n;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(n ? buf + at : NULL, n - at, fmt, ap);
    va_end(ap);
    *len += k > 0 ? k : 0;
}

int vl_sample_to_json(const vl_sample *s, double t_sec, char *buf, size_t n)
{
    /* %.9f keeps t to the nanosecond; %.9g keeps a pose to well under a
     * micrometre / microdegree for anything a stage can hold. */
    int len = 0;
    append(buf, n, &len, "{\"t\": %.9f, \"camera\": %d, \"x\": %.9g, \"y\": %.9g, \"z\": %.9g, "
           "\"pan\": %.9g, \"tilt\": %.9g, \"roll\": %.9g", t_sec, s->camera, s->pose.pos[0],
           s->pose.pos[1], s->pose.pos[2], s->pose.pan_deg, s->pose.tilt_deg, s->pose.roll_deg);
    if (s->fov_h_deg > 0)
        append(buf, n, &len, ", \"fov\": %.9g", s->fov_h_deg);
    if (s->has_encoders)
        append(buf, n, &len, ", \"zoom\": %u, \"focus\": %u", (unsigned)s->zoom, (unsigned)s->focus);
    if (s->has_timecode) {
        char tc[12];
        vl_timecode_format(s->timecode, tc);
        append(buf, n, &len, ", \"timecode\": \"%s\", \"timecode_rate\": \"%lld/%lld\"", tc,
               (long long)s->timecode_rate.num, (long long)s->timecode_rate.den);
    }
    append(buf, n, &len, "}");
    return len;
}

/* ---- reading ------------------------------------------------------------- */

/* A finite number under `key`; false (with *what naming the key) otherwise. */
static bool get_number(const json_t *obj, const char *key, double *v, const char **what)
{
    const json_t *j = json_object_get(obj, key);
    if (!json_is_number(j) || !isfinite(json_number_value(j))) {
        *what = key;
        return false;
    }
    *v = json_number_value(j);
    return true;
}

/* An integer in [0, max] under `key`. */
static bool get_uint(const json_t *obj, const char *key, json_int_t max, json_int_t *v,
                     const char **what)
{
    const json_t *j = json_object_get(obj, key);
    if (!json_is_integer(j) || json_integer_value(j) < 0 || json_integer_value(j) > max) {
        *what = key;
        return false;
    }
    *v = json_integer_value(j);
    return true;
}

/* "timecode": "HH:MM:SS:FF" with "timecode_rate": "N/D", both or neither. */
static bool read_timecode(const json_t *obj, vl_sample *s, const char **what)
{
    const json_t *tc = json_object_get(obj, "timecode"), *rate = json_object_get(obj, "timecode_rate");
    if (!tc && !rate)
        return true;
    *what = "timecode";
    if (!json_is_string(rate) || !vl_rational_parse(json_string_value(rate), &s->timecode_rate) ||
        !json_is_string(tc) || !vl_timecode_parse(json_string_value(tc), s->timecode_rate, &s->timecode))
        return false;
    s->has_timecode = true;
    return true;
}

/* One line's object into *s. On failure *what says which key is wrong. */
static bool read_sample(const json_t *obj, vl_sample *s, const char **what)
{
    double t, v[6];
    static const char *const keys[6] = { "x", "y", "z", "pan", "tilt", "roll" };
    json_int_t camera, zoom, focus;
    *s = (vl_sample){ 0 };
    if (!get_number(obj, "t", &t, what) || !get_uint(obj, "camera", INT32_MAX, &camera, what))
        return false;
    /* 1e9 s (31 years) leaves int64 nanoseconds room for sums of two
     * times, and of a time and a loop's period, without overflow. */
    if (t < 0 || t > 1e9) {
        *what = "t";
        return false;
    }
    for (int i = 0; i < 6; i++) {
        if (!get_number(obj, keys[i], &v[i], what))
            return false;
    }
    s->t_ns = llround(t * 1e9);
    s->camera = (int)camera;
    s->pose = (vl_pose){ { v[0], v[1], v[2] }, v[3], v[4], v[5] };
    if (json_object_get(obj, "fov") &&
        (!get_number(obj, "fov", &s->fov_h_deg, what) || s->fov_h_deg <= 0)) {
        *what = "fov";
        return false;
    }
    bool has_zoom = json_object_get(obj, "zoom"), has_focus = json_object_get(obj, "focus");
    if (has_zoom || has_focus) {
        if (!get_uint(obj, "zoom", UINT32_MAX, &zoom, what) ||
            !get_uint(obj, "focus", UINT32_MAX, &focus, what))
            return false;
        s->has_encoders = true;
        s->zoom = (uint32_t)zoom;
        s->focus = (uint32_t)focus;
    }
    if (!vl_sample_in_range(s)) {
        *what = "range";
        return false;
    }
    return read_timecode(obj, s, what);
}

static bool is_blank(const char *line, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (!strchr(" \t\r", line[i]))
            return false;
    }
    return true;
}

/* Parse one line into *s; false after logging what is wrong with it. */
static bool parse_line(const char *path, int lineno, const char *line, size_t len, vl_sample *s)
{
    json_error_t err;
    json_t *obj = json_loadb(line, len, 0, &err);
    const char *what = NULL;
    bool ok = json_is_object(obj) && read_sample(obj, s, &what);
    json_decref(obj);
    if (ok)
        return true;
    if (!obj)
        VL_ERR(LOG, "%s:%d: " EXPECTED " (column %d: %s)", path, lineno, err.column, err.text);
    else if (!what)
        VL_ERR(LOG, "%s:%d: " EXPECTED " (not an object)", path, lineno);
    else if (!strcmp(what, "zoom") || !strcmp(what, "focus"))
        VL_ERR(LOG, "%s:%d: " EXPECTED "; zoom and focus, when given, both as raw integers "
               "from 0 to %u (\"%s\" is not)", path, lineno, (unsigned)UINT32_MAX, what);
    else if (!strcmp(what, "range"))
        VL_ERR(LOG, "%s:%d: " EXPECTED "; this pose is out of range (x, y and z within %g m, "
               "angles within %g degrees, fov below %g)", path, lineno, VL_POSE_MAX_M,
               VL_ANGLE_MAX_DEG, VL_FOV_MAX_DEG);
    else if (!strcmp(what, "timecode"))
        VL_ERR(LOG, "%s:%d: " EXPECTED "; a timecode as \"timecode\": \"HH:MM:SS:FF\" with "
               "\"timecode_rate\": \"N/D\" beside it, a label that rate counts", path, lineno);
    else
        VL_ERR(LOG, "%s:%d: " EXPECTED " (\"%s\" is missing or out of range; 0 <= t <= 1e9, "
               "camera >= 0, fov > 0 when given)", path, lineno, what);
    return false;
}

struct sort_key {
    int64_t t_ns;
    int index;
};

static int compare_keys(const void *a, const void *b)
{
    const struct sort_key *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

/* Sort by time; samples of equal time keep their file order. */
static void sort_take(vl_take *take)
{
    bool sorted = true;
    for (int i = 1; i < take->n && sorted; i++)
        sorted = take->samples[i - 1].t_ns <= take->samples[i].t_ns;
    if (sorted)
        return;
    struct sort_key *keys = vl_xmalloc((size_t)take->n * sizeof(*keys));
    for (int i = 0; i < take->n; i++)
        keys[i] = (struct sort_key){ take->samples[i].t_ns, i };
    qsort(keys, (size_t)take->n, sizeof(*keys), compare_keys);
    vl_sample *out = vl_xmalloc((size_t)take->n * sizeof(*out));
    for (int i = 0; i < take->n; i++)
        out[i] = take->samples[keys[i].index];
    free(keys);
    free(take->samples);
    take->samples = out;
}

vl_take *vl_take_load(const char *path)
{
    size_t size;
    char *text = vl_read_file(path, &size);
    if (!text) {
        VL_ERR(LOG, "cannot read take %s: %s", path, strerror(errno));
        return NULL;
    }
    vl_take *take = vl_xcalloc(1, sizeof(*take));
    int cap = 0, lineno = 0;
    for (const char *line = text; line < text + size;) {
        const char *nl = memchr(line, '\n', (size_t)(text + size - line));
        size_t len = nl ? (size_t)(nl - line) : (size_t)(text + size - line);
        lineno++;
        if (!is_blank(line, len)) {
            if (take->n == cap) {
                cap = cap ? 2 * cap : 256;
                take->samples = vl_xrealloc(take->samples, (size_t)cap * sizeof(vl_sample));
            }
            if (!parse_line(path, lineno, line, len, &take->samples[take->n]))
                goto fail;
            take->n++;
        }
        line += len + 1;
    }
    free(text);
    sort_take(take);
    return take;
fail:
    free(text);
    vl_take_free(take);
    return NULL;
}

void vl_take_free(vl_take *take)
{
    if (!take)
        return;
    free(take->samples);
    free(take);
}

/* ---- sampling ------------------------------------------------------------ */

/* Index of the first sample later than t_ns (n when there is none). */
static int first_after(const vl_take *take, int64_t t_ns)
{
    int lo = 0, hi = take->n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (take->samples[mid].t_ns <= t_ns)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

bool vl_take_at(const vl_take *take, int camera, int64_t t_ns, vl_sample *out)
{
    if (!take || take->n == 0)
        return false;
    if (camera < 0)
        camera = take->samples[0].camera;
    int64_t t = take->samples[0].t_ns + t_ns;
    /* The camera's samples on either side of t: a binary search, then a
     * walk past other cameras' samples, which is short because the cameras
     * of a take are interleaved at similar rates. */
    int after = first_after(take, t), before = after - 1;
    while (before >= 0 && take->samples[before].camera != camera)
        before--;
    while (after < take->n && take->samples[after].camera != camera)
        after++;
    vl_sample pair[2];
    int n = 0;
    if (before >= 0)
        pair[n++] = take->samples[before];
    if (after < take->n)
        pair[n++] = take->samples[after];
    if (!vl_samples_at(pair, n, t, 0, out))
        return false;
    out->t_ns = t;
    return true;
}
