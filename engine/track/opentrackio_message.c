/* OpenTrackIO messages as samples: the fields of a decoded payload (a
 * jansson value, from JSON or from CBOR by opentrackio_cbor.c) read into a
 * vl_sample, with the static data of each source kept between messages; and
 * a sample written as a message. opentrackio.c carries messages in
 * datagrams. The contract is in track.h; here, why it is so. */
#include "track/track.h"
#include "track/opentrackio_cbor.h"
#include "track/opentrackio_message.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "track"
/* "Consumers shall discard any messages containing a Source Number of 0 or
 * 201-255" (OpenTrackIO 1.0.1, Source Number). */
#define MIN_SOURCE 1
#define MAX_SOURCE 200
#define MAX_SOURCES 16                  /* static data remembered */
#define MAX_TRANSFORMS 32
#define NAME_SIZE 64                    /* make, model, label as kept */
/* Changes of one source's static data logged; a source whose static data
 * keeps changing would otherwise log at its sample rate. */
#define MAX_STATIC_LOGS 8

/* Sensor written with a FOV when the sample has none: full frame. */
#define ENCODE_SENSOR_W_MM 36.0
#define ENCODE_SENSOR_H_MM 24.0
#define RAD_TO_DEG (180.0 / M_PI)
#define DEG_TO_RAD (M_PI / 180.0)

/* Names in the static data, where they are found. */
enum name { CAMERA_MAKE, CAMERA_MODEL, CAMERA_LABEL, LENS_MAKE, LENS_MODEL, TRACKER_MAKE,
            TRACKER_MODEL, N_NAMES };
static const struct {
    const char *section, *key;
} name_keys[N_NAMES] = {
    [CAMERA_MAKE] = { "camera", "make" },   [CAMERA_MODEL] = { "camera", "model" },
    [CAMERA_LABEL] = { "camera", "label" }, [LENS_MAKE] = { "lens", "make" },
    [LENS_MODEL] = { "lens", "model" },     [TRACKER_MAKE] = { "tracker", "make" },
    [TRACKER_MODEL] = { "tracker", "model" },
};

/* What a source's static data said so far; 0 and "" = not sent. Compared
 * with memcmp, so always zeroed before it is filled. */
struct statics {
    double sensor_w_mm, sensor_h_mm;
    double overscan_max;                /* static.lens.distortionOverscanMax */
    char names[N_NAMES][NAME_SIZE];
};

struct source_statics {
    int source;
    int logs;                           /* changes logged so far */
    struct statics st;
};

struct vl_otrk_sources {
    struct source_statics sources[MAX_SOURCES];
    int n, next;                        /* reused round robin when full */
    bool distortion_noted;              /* said once: coefficients not applied */
};

vl_otrk_sources *vl_otrk_sources_create(void)
{
    return vl_xcalloc(1, sizeof(vl_otrk_sources));
}

void vl_otrk_sources_destroy(vl_otrk_sources *t)
{
    free(t);
}

/* ---- JSON fields ---------------------------------------------------------- */

enum field { FIELD_ABSENT, FIELD_OK, FIELD_BAD };

static enum field object_field(const json_t *obj, const char *key, json_t **out)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return FIELD_ABSENT;
    *out = v;
    return json_is_object(v) ? FIELD_OK : FIELD_BAD;
}

/* A finite number (JSON integers count) in [min, max]. */
static enum field number_field(const json_t *obj, const char *key, double min, double max,
                               double *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return FIELD_ABSENT;
    if (!json_is_number(v))
        return FIELD_BAD;
    double d = json_number_value(v);
    if (!isfinite(d) || d < min || d > max)
        return FIELD_BAD;
    *out = d;
    return FIELD_OK;
}

static enum field integer_field(const json_t *obj, const char *key, json_int_t min,
                                json_int_t max, json_int_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!v)
        return FIELD_ABSENT;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return FIELD_BAD;
    *out = json_integer_value(v);
    return FIELD_OK;
}

/* Fields that must all be there: each a finite number. */
static bool required_numbers(const json_t *obj, const char *const *keys, int n, double *out)
{
    for (int i = 0; i < n; i++) {
        if (number_field(obj, keys[i], -HUGE_VAL, HUGE_VAL, &out[i]) != FIELD_OK)
            return false;
    }
    return true;
}

/* {"num": n, "denom": d}, both positive integers, into *out (left as it
 * was when the key is absent). */
static bool read_rational(const json_t *obj, const char *key, vl_rational *out)
{
    json_t *r;
    json_int_t num, den;
    enum field f = object_field(obj, key, &r);
    if (f == FIELD_ABSENT)
        return true;
    if (f != FIELD_OK || integer_field(r, "num", 1, UINT32_MAX, &num) != FIELD_OK ||
        integer_field(r, "denom", 1, UINT32_MAX, &den) != FIELD_OK)
        return false;
    *out = (vl_rational){ num, den };
    return true;
}

/* timing.timecode: hours, minutes, seconds, frames and its rate, as
 * "frameRate" (OpenTrackIO 0.9) or "format": {"frameRate", "dropFrame"}
 * (1.0); without a rate of its own the sample rate is the timecode's.
 * Samples are stamped on receipt, so the rest of timing is only checked:
 * a sample whose timing is of the wrong shape is not trusted at all. */
static bool read_timing(const json_t *root, vl_sample *s)
{
    static const char *const keys[4] = { "hours", "minutes", "seconds", "frames" };
    static const json_int_t max[4] = { 23, 59, 59, 119 };
    json_t *timing, *tc, *format = NULL, *drop = NULL;
    json_int_t v[4];
    vl_rational rate = { 0, 1 };
    enum field f = object_field(root, "timing", &timing);
    if (f != FIELD_OK)
        return f == FIELD_ABSENT;
    if (!read_rational(timing, "sampleRate", &rate) ||
        integer_field(timing, "sequenceNumber", 0, UINT32_MAX, &v[0]) == FIELD_BAD)
        return false;
    f = object_field(timing, "timecode", &tc);
    if (f != FIELD_OK)
        return f == FIELD_ABSENT;
    for (int i = 0; i < 4; i++)
        if (integer_field(tc, keys[i], 0, max[i], &v[i]) != FIELD_OK)
            return false;
    if (!read_rational(tc, "frameRate", &rate) ||
        object_field(tc, "format", &format) == FIELD_BAD ||
        (format && !read_rational(format, "frameRate", &rate)))
        return false;
    if (format && (drop = json_object_get(format, "dropFrame")) && !json_is_boolean(drop))
        return false;
    if (rate.num == 0 || v[3] >= vl_timecode_base(rate))
        return false;
    s->has_timecode = true;
    s->timecode_rate = rate;
    s->timecode = (vl_timecode){ (int)v[0], (int)v[1], (int)v[2], (int)v[3],
                                 drop ? json_is_true(drop) : vl_timecode_drop(rate) };
    return true;
}

/* ---- transforms ----------------------------------------------------------- */

static bool read_transform(const json_t *t, double pos[3], double ptr[3])
{
    static const char *const xyz[3] = { "x", "y", "z" };
    static const char *const angles[3] = { "pan", "tilt", "roll" };
    json_t *translation, *rotation;
    json_t *id = json_object_get(t, "id");
    if (!json_is_object(t) || (id && !json_is_string(id)) ||
        object_field(t, "translation", &translation) != FIELD_OK ||
        object_field(t, "rotation", &rotation) != FIELD_OK ||
        !required_numbers(translation, xyz, 3, pos) || !required_numbers(rotation, angles, 3, ptr))
        return false;
    ptr[0] = -ptr[0];           /* OpenTrackIO's pan: see read_transforms */
    return true;
}

/* OpenTrackIO composes the transforms in order, each a child of the one
 * before it, the last being the camera sensor: world = T0 * T1 * ... Tn.
 * Its rotations follow the right-hand rule ("clockwise around the axis",
 * looking along it), intrinsic Z, X, Y like volym's, so tilt and roll are
 * volym's but pan has the other sign: OpenTrackIO pan + turns left, volym's
 * (FreeD's) right. read_transform negates it; README "Conventions" gives
 * the evidence. "scale" is ignored, camera rigs do not scale. */
static bool read_transforms(const json_t *root, vl_pose *pose)
{
    json_t *list = json_object_get(root, "transforms");
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    if (n == 0 || n > MAX_TRANSFORMS)
        return false;

    double pos[3], ptr[3];
    if (!read_transform(json_array_get(list, 0), pos, ptr))
        return false;
    /* One transform is the pose as sent: its angles pass through untouched
     * instead of round-tripping a matrix (gimbal lock at tilt +-90). */
    *pose = (vl_pose){ .pos = { pos[0], pos[1], pos[2] }, .pan_deg = ptr[0], .tilt_deg = ptr[1],
                       .roll_deg = ptr[2] };
    vl_basis world = vl_basis_from_ptr(ptr[0], ptr[1], ptr[2]);
    for (size_t i = 1; i < n; i++) {
        if (!read_transform(json_array_get(list, i), pos, ptr))
            return false;
        double offset[3];
        vl_basis_apply(&world, pos, offset);
        for (int k = 0; k < 3; k++)
            pose->pos[k] += offset[k];
        vl_basis local = vl_basis_from_ptr(ptr[0], ptr[1], ptr[2]), child;
        vl_basis_apply(&world, local.right, child.right);
        vl_basis_apply(&world, local.forward, child.forward);
        vl_basis_apply(&world, local.up, child.up);
        world = child;
    }
    if (n > 1)
        vl_basis_to_ptr(&world, &pose->pan_deg, &pose->tilt_deg, &pose->roll_deg);
    /* Finite parts can still add up to infinity. */
    return isfinite(pose->pos[0]) && isfinite(pose->pos[1]) && isfinite(pose->pos[2]);
}

/* ---- static data ---------------------------------------------------------- */

/* A name as kept and logged: cut to NAME_SIZE at a UTF-8 character
 * boundary, control characters (a terminal's escapes) as '?'. */
static void keep_name(char *dst, const char *src)
{
    size_t n = strlen(src);
    if (n >= NAME_SIZE) {
        n = NAME_SIZE - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    for (size_t i = 0; i < n; i++)
        dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7F ? '?' : src[i];
    memset(dst + n, 0, NAME_SIZE - n);
}

/* The fields of root's "static" over *st (fields it does not carry keep
 * their value: a producer may send its parts apart). *present: it had one. */
static bool read_static(const json_t *root, struct statics *st, bool *present)
{
    json_t *stat, *cam = NULL, *lens = NULL, *dims, *v;
    enum field f = object_field(root, "static", &stat);
    *present = f == FIELD_OK;
    if (f != FIELD_OK)
        return f == FIELD_ABSENT;
    for (int i = 0; i < N_NAMES; i++) {
        json_t *section = json_object_get(stat, name_keys[i].section);
        if (!json_is_object(section) || !(v = json_object_get(section, name_keys[i].key)))
            continue;
        if (!json_is_string(v))
            return false;
        keep_name(st->names[i], json_string_value(v));
    }
    if ((f = object_field(stat, "camera", &cam)) == FIELD_BAD ||
        (f = object_field(stat, "lens", &lens)) == FIELD_BAD ||
        object_field(stat, "tracker", &v) == FIELD_BAD)
        return false;
    if (json_is_object(cam)) {
        f = object_field(cam, "activeSensorPhysicalDimensions", &dims);
        if (f == FIELD_BAD ||
            (f == FIELD_OK &&
             (number_field(dims, "width", 0, HUGE_VAL, &st->sensor_w_mm) != FIELD_OK ||
              number_field(dims, "height", 0, HUGE_VAL, &st->sensor_h_mm) != FIELD_OK)))
            return false;
    }
    if (json_is_object(lens) &&
        number_field(lens, "distortionOverscanMax", 1, HUGE_VAL, &st->overscan_max) == FIELD_BAD)
        return false;
    return true;
}

static struct source_statics *find_source(vl_otrk_sources *t, int source)
{
    for (int i = 0; i < t->n; i++) {
        if (t->sources[i].source == source)
            return &t->sources[i];
    }
    return NULL;
}

static void append(char *buf, size_t n, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
    if (*len >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    *len = k < 0 ? n : *len + (size_t)k;
}

static void log_static(int source, const struct statics *st, bool last)
{
    const char (*nm)[NAME_SIZE] = st->names;
    char line[768];
    size_t len = 0;
    if (nm[CAMERA_MAKE][0] || nm[CAMERA_MODEL][0])
        append(line, sizeof(line), &len, ", camera %s%s%s", nm[CAMERA_MAKE],
               nm[CAMERA_MAKE][0] && nm[CAMERA_MODEL][0] ? " " : "", nm[CAMERA_MODEL]);
    if (nm[CAMERA_LABEL][0])
        append(line, sizeof(line), &len, ", camera label %s", nm[CAMERA_LABEL]);
    if (nm[LENS_MAKE][0] || nm[LENS_MODEL][0])
        append(line, sizeof(line), &len, ", lens %s%s%s", nm[LENS_MAKE],
               nm[LENS_MAKE][0] && nm[LENS_MODEL][0] ? " " : "", nm[LENS_MODEL]);
    if (st->sensor_w_mm > 0 || st->sensor_h_mm > 0)
        append(line, sizeof(line), &len, ", sensor %.2f x %.2f mm", st->sensor_w_mm,
               st->sensor_h_mm);
    if (st->overscan_max > 0)
        append(line, sizeof(line), &len, ", distortion overscan up to %.3f", st->overscan_max);
    if (nm[TRACKER_MAKE][0] || nm[TRACKER_MODEL][0])
        append(line, sizeof(line), &len, ", tracker %s%s%s", nm[TRACKER_MAKE],
               nm[TRACKER_MAKE][0] && nm[TRACKER_MODEL][0] ? " " : "", nm[TRACKER_MODEL]);
    VL_INFO(LOG, "OpenTrackIO source %d static data: %s%s", source, len ? line + 2 : "none",
            last ? " (it keeps changing: later changes are not logged)" : "");
}

/* Keeps a valid message's static data for its source; says what it is when
 * it is new or changed. */
static void keep_static(vl_otrk_sources *t, int source, const struct statics *st)
{
    static const struct statics none;
    struct source_statics *e = find_source(t, source);
    if (!memcmp(e ? &e->st : &none, st, sizeof(*st)))
        return;
    if (!e) {
        if (t->n < MAX_SOURCES) {
            e = &t->sources[t->n++];
        } else {
            e = &t->sources[t->next];
            t->next = (t->next + 1) % MAX_SOURCES;
        }
        e->source = source;
        e->logs = 0;
    }
    e->st = *st;
    if (e->logs < MAX_STATIC_LOGS)
        log_static(source, st, ++e->logs == MAX_STATIC_LOGS);
}

/* ---- lens ----------------------------------------------------------------- */

/* Zoom and focus encoders: raw integers as they are, normalised 0..1 values
 * scaled to 16 bits. Raw ones win when both are sent. */
static bool read_encoders(const json_t *lens, vl_sample *s)
{
    static const char *const keys[2] = { "zoom", "focus" };
    uint32_t *dst[2] = { &s->zoom, &s->focus };
    json_t *enc;
    enum field f = object_field(lens, "rawEncoders", &enc);
    bool raw = f == FIELD_OK;
    if (f == FIELD_ABSENT)
        f = object_field(lens, "encoders", &enc);
    if (f != FIELD_OK)
        return f == FIELD_ABSENT;
    for (int i = 0; i < 2; i++) {
        json_int_t iv;
        double dv;
        if (raw)
            f = integer_field(enc, keys[i], 0, UINT32_MAX, &iv);
        else
            f = number_field(enc, keys[i], 0, 1, &dv);
        if (f == FIELD_BAD)
            return false;
        if (f == FIELD_OK) {
            *dst[i] = raw ? (uint32_t)iv : (uint32_t)lround(dv * 65535);
            s->has_encoders = true;
        }
    }
    return true;
}

/* lens.distortion[]: the largest overscan factor of its entries (0: none). */
static bool read_distortion(const json_t *lens, double *overscan)
{
    json_t *list = json_object_get(lens, "distortion"), *d;
    size_t i;
    if (!list)
        return true;
    if (!json_is_array(list))
        return false;
    json_array_foreach(list, i, d) {
        double k = 0;
        if (!json_is_object(d) || number_field(d, "overscan", 1, HUGE_VAL, &k) == FIELD_BAD)
            return false;
        *overscan = fmax(*overscan, k);
    }
    return true;
}

/* The lens fields, with the source's static data (st) for the sensor and
 * the overscan maximum. FOV needs the focal length and the sensor width;
 * with no sensor width known the FOV stays 0, unknown, and the tracker's
 * lens table or configured FOV applies: a guessed sensor would give a
 * confidently wrong FOV. */
static bool read_lens(const json_t *root, const struct statics *st, vl_sample *s,
                      bool *distortion_noted)
{
    json_t *lens, *off;
    double focal = 0, overscan = 0;
    s->sensor_w_mm = st->sensor_w_mm;
    s->sensor_h_mm = st->sensor_h_mm;
    s->overscan = st->overscan_max;
    enum field f = object_field(root, "lens", &lens);
    if (f != FIELD_OK)
        return f == FIELD_ABSENT;
    if (number_field(lens, "pinholeFocalLength", 0, HUGE_VAL, &focal) == FIELD_BAD ||
        number_field(lens, "focusDistance", 0, HUGE_VAL, &s->focus_m) == FIELD_BAD ||
        number_field(lens, "entrancePupilOffset", -HUGE_VAL, HUGE_VAL,
                     &s->entrance_pupil_m) == FIELD_BAD ||
        !read_encoders(lens, s) || !read_distortion(lens, &overscan))
        return false;
    static const char *const xy[2] = { "x", "y" };
    f = object_field(lens, "projectionOffset", &off);
    if (f == FIELD_BAD || (f == FIELD_OK && !required_numbers(off, xy, 2, s->projection_offset_mm)))
        return false;
    s->overscan = fmax(s->overscan, overscan);
    /* volym renders a pinhole frustum: what it cannot do with a lens model
     * it says, once. */
    if ((json_object_get(lens, "distortion") || json_object_get(lens, "distortionOffset")) &&
        !*distortion_noted) {
        VL_INFO(LOG, "OpenTrackIO: the lens distortion coefficients (lens.distortion, "
                     "distortionOffset) are not applied: volym renders an undistorted pinhole "
                     "frustum, widened by the distortion overscan when one is sent");
        *distortion_noted = true;
    }
    if (focal > 0 && st->sensor_w_mm > 0)
        s->fov_h_deg = 2 * atan(st->sensor_w_mm / (2 * focal)) * RAD_TO_DEG;
    return true;
}

/* ---- messages ------------------------------------------------------------- */

/* A whole message: a sample and/or static data, or why it was dropped. */
void vl_otrk_use_message(vl_otrk_sources *t, const json_t *root, const vl_track_sink *sink)
{
    json_int_t source = 1;              /* when absent: the reference
                                           implementations' default */
    if (!json_is_object(root) ||
        integer_field(root, "sourceNumber", LLONG_MIN, LLONG_MAX, &source) == FIELD_BAD) {
        report(sink, VL_TRACK_MALFORMED);
        return;
    }
    if (source < MIN_SOURCE || source > MAX_SOURCE) {
        report(sink, VL_TRACK_BAD_SOURCE);
        return;
    }
    const struct source_statics *e = find_source(t, (int)source);
    struct statics st;
    bool has_static;
    if (e)
        st = e->st;
    else
        memset(&st, 0, sizeof(st));
    vl_sample s = { .camera = (int)source };
    bool ok = read_static(root, &st, &has_static);
    bool sample = ok && (json_object_get(root, "transforms") || !has_static);
    if (sample)
        ok = read_transforms(root, &s.pose) && read_timing(root, &s) && read_lens(root, &st, &s, &t->distortion_noted);
    if (!ok) {
        report(sink, VL_TRACK_MALFORMED);
        return;
    }
    if (has_static) {
        keep_static(t, (int)source, &st);
        note(sink, VL_TRACK_STATIC, 1);
    }
    if (sample && sink->sample)
        sink->sample(sink->ctx, &s);
}

/* ---- encoding ------------------------------------------------------------- */

/* False when v is not finite (jansson refuses those). */
static bool set_real(json_t *obj, const char *key, double v)
{
    return json_object_set_new(obj, key, json_real(v)) == 0;
}

static bool add_lens(json_t *root, const vl_sample *s)
{
    json_t *lens = json_object(), *stat = json_object();
    bool ok = true;
    double w = s->sensor_w_mm > 0 ? s->sensor_w_mm : ENCODE_SENSOR_W_MM;
    double h = s->sensor_w_mm > 0 ? s->sensor_h_mm : ENCODE_SENSOR_H_MM;
    if (s->fov_h_deg > 0 || s->sensor_w_mm > 0)
        ok = json_object_set_new(stat, "camera",
                                 json_pack("{s:{s:f,s:f}}", "activeSensorPhysicalDimensions",
                                           "width", w, "height", h)) == 0;
    /* The static maximum rather than a lens.distortion entry, which would
     * need coefficients volym does not have. */
    if (ok && s->overscan >= 1)
        ok = json_object_set_new(stat, "lens",
                                 json_pack("{s:f}", "distortionOverscanMax", s->overscan)) == 0;
    if (ok && json_object_size(stat) > 0)
        ok = json_object_set(root, "static", stat) == 0;
    json_decref(stat);
    if (ok && s->fov_h_deg > 0)
        ok = set_real(lens, "pinholeFocalLength", w / (2 * tan(s->fov_h_deg * DEG_TO_RAD / 2)));
    if (ok && s->focus_m > 0)
        ok = set_real(lens, "focusDistance", s->focus_m);
    if (ok && s->entrance_pupil_m != 0)
        ok = set_real(lens, "entrancePupilOffset", s->entrance_pupil_m);
    if (ok && (s->projection_offset_mm[0] != 0 || s->projection_offset_mm[1] != 0))
        ok = json_object_set_new(lens, "projectionOffset",
                                 json_pack("{s:f,s:f}", "x", s->projection_offset_mm[0], "y",
                                           s->projection_offset_mm[1])) == 0;
    if (ok && s->has_encoders)
        ok = json_object_set_new(lens, "rawEncoders",
                                 json_pack("{s:I,s:I}", "zoom", (json_int_t)s->zoom,
                                           "focus", (json_int_t)s->focus)) == 0;
    if (ok && json_object_size(lens) > 0)
        return json_object_set_new(root, "lens", lens) == 0;
    json_decref(lens);
    return ok;
}

/* OpenTrackIO 1.0's shape: the rate and drop-frame flag under "format". */
static bool add_timecode(json_t *timing, const vl_sample *s)
{
    const vl_timecode *tc = &s->timecode;
    if (!s->has_timecode)
        return true;
    return json_object_set_new(
               timing, "timecode",
               json_pack("{s:i,s:i,s:i,s:i,s:{s:{s:I,s:I},s:b}}", "hours", tc->hours,
                         "minutes", tc->minutes, "seconds", tc->seconds, "frames", tc->frames,
                         "format", "frameRate", "num", (json_int_t)s->timecode_rate.num,
                         "denom", (json_int_t)s->timecode_rate.den, "dropFrame", tc->drop)) == 0;
}

/* The message as a jansson value, or NULL when a value is not finite or the
 * camera id cannot be a source number. */
static json_t *build_message(const vl_sample *s, uint32_t sequence)
{
    const vl_pose *p = &s->pose;
    if (s->camera < MIN_SOURCE || s->camera > MAX_SOURCE)
        return NULL;
    json_t *root = json_pack(
        "{s:{s:s,s:[i,i,i]},s:i,s:{s:I},s:[{s:s,s:{s:f,s:f,s:f},s:{s:f,s:f,s:f}}]}",
        "protocol", "name", "OpenTrackIO", "version", 1, 0, 1,
        "sourceNumber", s->camera,
        "timing", "sequenceNumber", (json_int_t)sequence,
        "transforms", "id", "Camera",
        "translation", "x", p->pos[0], "y", p->pos[1], "z", p->pos[2],
        "rotation", "pan", -p->pan_deg, "tilt", p->tilt_deg, "roll", p->roll_deg);
    if (root && add_lens(root, s) && add_timecode(json_object_get(root, "timing"), s))
        return root;
    json_decref(root);
    return NULL;
}

char *vl_otrk_encode_json(const vl_sample *s, uint32_t sequence)
{
    json_t *root = build_message(s, sequence);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return text;
}

uint8_t *vl_otrk_encode_cbor(const vl_sample *s, uint32_t sequence, size_t *len)
{
    json_t *root = build_message(s, sequence);
    uint8_t *buf = root ? vl_xmalloc(VL_OTRK_MAX_MESSAGE) : NULL;
    *len = root ? vl_otrk_json_to_cbor(root, buf, VL_OTRK_MAX_MESSAGE) : 0;
    json_decref(root);
    if (*len == 0)
        vl_freep(&buf);
    return buf;
}
