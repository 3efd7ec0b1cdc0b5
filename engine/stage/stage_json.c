/* Stage JSON: reading (with one clear message per error) and writing.
 *
 * Every object's keys are described once in a field table (key, type, where
 * it lands in the struct, range, and what a user should write). The same
 * table drives parsing, range checks, the unknown-key message, and writing,
 * so the reader and the writer cannot drift apart. */
#include "stage.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 256           /* sections or outputs per stage */
#define MAX_TRACKERS 16
/* JSON paths for messages: an item ("$.sections[255]",
 * "$.frustum.light_cards[15]"), a field of it
 * ("$.trackers[15].smoothing.min_cutoff_hz", nested objects included), and
 * one step below a field ("$.trackers[15].lens.focus[31]", "...lens.preset"),
 * sized so none can be cut short. */
#define ITEM_PATH_LEN 40
#define FIELD_PATH_LEN (ITEM_PATH_LEN + 32)
#define SUB_PATH_LEN (FIELD_PATH_LEN + 8)

enum kind {
    K_NAME,     /* string of 1 .. VL_NAME_MAX-1 bytes, copied into char[VL_NAME_MAX] */
    K_TEXT,     /* string of 0 .. VL_TEXT_MAX-1 bytes, copied into char[VL_TEXT_MAX] */
    K_INT,      /* int */
    K_BOOL,     /* bool */
    K_NUM,      /* double; JSON integers are accepted too */
    K_SIGN,     /* double that is exactly 1 or -1 */
    K_URL,      /* tracker URL with a known scheme, copied into vl_tracker_config.url */
    K_TRANSFER, /* a vl_transfer by its name (vl_transfer_parse) */
    K_TABLE,    /* vl_lens_table as [[raw, value], ...]; min/max bound the values */
    K_OBJECT,   /* a nested object described by sub; its fields' offsets are
                   relative to off[0] */
    K_CUSTOM,   /* read and written by the caller; the table only names it */
};

typedef struct field {
    const char *key;
    enum kind kind;
    int n;                      /* 1: a scalar; 2 .. 9: an array of that many */
    size_t off[9];              /* where each element lands in the struct */
    bool required;
    double min, max;            /* range of each K_INT / K_NUM element, K_TABLE value */
    bool min_open;              /* min itself is out of range */
    const char *expect;         /* what a user should write, for messages */
    /* Optional scalars whose "not given" state is a value the reader would
     * reject (camera -1 = any, fov_deg 0 = the source's, "" for a K_NAME):
     * the struct is pre-filled with it, and the writer leaves such a key out
     * so that everything it writes reads back. */
    bool has_unset;
    double unset;
    const struct field *sub;    /* K_OBJECT: its fields */
    size_t n_sub;
} field;

#define NAME_EXPECT "a name of 1 to 63 characters"
#define TEXT_EXPECT "a description of at most 1023 characters"
#define COLOR_EXPECT "[r, g, b], each from 0 to 1"
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const field stage_fields[] = {
    { "name", K_NAME, 1, { offsetof(vl_stage, name) }, true, .expect = NAME_EXPECT },
    { "description", K_TEXT, 1, { offsetof(vl_stage, description) }, false, .expect = TEXT_EXPECT },
    { "rate", K_CUSTOM, 1, { 0 }, true,
      .expect = "a frame rate such as \"25\", \"24000/1001\" or \"29.97\" (at most 1000)" },
    { "frustum", K_CUSTOM, 1, { 0 }, false, .expect = "an object" },
    { "outputs", K_CUSTOM, 1, { 0 }, true, .expect = "a non-empty array of outputs" },
    { "sections", K_CUSTOM, 1, { 0 }, true, .expect = "a non-empty array of sections" },
    { "trackers", K_CUSTOM, 1, { 0 }, false, .expect = "an array of at most 16 trackers" },
};

#define CHR(f) offsetof(vl_chroma, f)
#define CHR3(f) { CHR(f[0]), CHR(f[1]), CHR(f[2]) }

static const field chroma_fields[] = {
    { "on", K_BOOL, 1, { CHR(on) }, false, .expect = "true or false" },
    { "color", K_NUM, 3, CHR3(color), false, 0, 1, false, .expect = COLOR_EXPECT },
    { "markers", K_BOOL, 1, { CHR(markers) }, false, .expect = "true or false" },
    { "marker_spacing_px", K_INT, 1, { CHR(marker_spacing_px) }, false, 4, 4096, false,
      .expect = "an integer from 4 to 4096" },
    { "marker_size_px", K_INT, 1, { CHR(marker_size_px) }, false, 2, 4096, false,
      .expect = "an integer from 2 to 4096" },
    { "marker_color", K_NUM, 3, CHR3(marker_color), false, 0, 1, false, .expect = COLOR_EXPECT },
};

#define FRU(f) offsetof(vl_frustum_settings, f)

static const field frustum_fields[] = {
    { "overscan", K_NUM, 1, { FRU(overscan) }, false, 0, 2, false, .expect = "a number from 0 to 2" },
    { "outer_eye", K_NUM, 3, { FRU(outer_eye[0]), FRU(outer_eye[1]), FRU(outer_eye[2]) },
      false, -1000, 1000, false, .expect = "[x, y, z] in metres, each from -1000 to 1000" },
    { "soft_edge", K_NUM, 1, { FRU(soft_edge) }, false, 0, 0.5, false,
      .expect = "a fraction of the frustum's half-size from 0 to 0.5" },
    { "freeze_outer", K_BOOL, 1, { FRU(freeze_outer) }, false, .expect = "true or false" },
    { "chroma", K_OBJECT, 1, { FRU(chroma) }, false,
      .expect = "an object of on, color, markers, marker_spacing_px, marker_size_px, marker_color",
      .sub = chroma_fields, .n_sub = COUNT(chroma_fields) },
    { "light_cards", K_CUSTOM, 1, { 0 }, false, .expect = "an array of at most 16 light cards" },
};

/* A light card as read: the output is named in JSON and becomes an index. */
typedef struct card_in {
    vl_light_card card;
    char output[VL_NAME_MAX];
} card_in;

#define CARD(f) offsetof(card_in, card.f)

static const field card_fields[] = {
    { "name", K_NAME, 1, { CARD(name) }, true, .expect = NAME_EXPECT },
    { "output", K_NAME, 1, { offsetof(card_in, output) }, false, .expect = "the name of an output" },
    { "rect", K_NUM, 4, { CARD(x), CARD(y), CARD(w), CARD(h) }, true, -65536, 65536, false,
      .expect = "[x, y, width, height] in canvas pixels, each from -65536 to 65536, width and height above 0" },
    { "color", K_NUM, 3, { CARD(color[0]), CARD(color[1]), CARD(color[2]) }, false, 0, 1, false,
      .expect = COLOR_EXPECT },
    { "intensity", K_NUM, 1, { CARD(intensity) }, false, 0, 100, false, .expect = "a number from 0 to 100" },
    { "over", K_BOOL, 1, { CARD(over) }, false,
      .expect = "true (over the inner frustum) or false (only outside it)" },
    { "on", K_BOOL, 1, { CARD(on) }, false, .expect = "true or false" },
};

#define OUTM(i) offsetof(vl_output, color.matrix[i])

static const field output_fields[] = {
    { "name", K_NAME, 1, { offsetof(vl_output, name) }, true, .expect = NAME_EXPECT },
    { "width", K_INT, 1, { offsetof(vl_output, width) }, true, 1, 32768, false,
      .expect = "an integer from 1 to 32768" },
    { "height", K_INT, 1, { offsetof(vl_output, height) }, true, 1, 32768, false,
      .expect = "an integer from 1 to 32768" },
    { "display", K_INT, 1, { offsetof(vl_output, display) }, false, 0, 255, false,
      .expect = "a display index from 0 to 255" },
    { "fullscreen", K_BOOL, 1, { offsetof(vl_output, fullscreen) }, false, .expect = "true or false" },
    { "brightness", K_NUM, 1, { offsetof(vl_output, color.brightness) }, false, 0, 10, false,
      .expect = "a linear gain from 0 to 10" },
    { "color_matrix", K_NUM, 9,
      { OUTM(0), OUTM(1), OUTM(2), OUTM(3), OUTM(4), OUTM(5), OUTM(6), OUTM(7), OUTM(8) }, false, -10, 10, false,
      .expect = "9 numbers (a 3x3 matrix on linear RGB, row by row), each from -10 to 10" },
    { "transfer", K_TRANSFER, 1, { offsetof(vl_output, color.transfer) }, false,
      .expect = "\"srgb\", \"rec709\" or \"pq\"" },
    { "white_nits", K_NUM, 1, { offsetof(vl_output, color.white_nits) }, false, 1, 10000, false,
      .expect = "cd/m2 of linear white for pq, from 1 to 10000" },
};

/* A section as read: the output is named in JSON and becomes an index. */
typedef struct section_in {
    vl_section s;
    char output[VL_NAME_MAX];
} section_in;

#define SEC(f) offsetof(section_in, s.f)

static const field section_fields[] = {
    { "name", K_NAME, 1, { SEC(name) }, true, .expect = NAME_EXPECT },
    { "output", K_NAME, 1, { offsetof(section_in, output) }, false, .expect = "the name of an output" },
    { "canvas", K_INT, 2, { SEC(canvas_x), SEC(canvas_y) }, true, 0, 32767, false,
      .expect = "[x, y] in canvas pixels as two integers from 0 to 32767" },
    { "panel_mm", K_NUM, 2, { SEC(panel_w_mm), SEC(panel_h_mm) }, true, 0, 10000, true,
      .expect = "[width, height] in millimetres, each above 0 and at most 10000" },
    { "panel_px", K_INT, 2, { SEC(panel_px_w), SEC(panel_px_h) }, true, 1, 32768, false,
      .expect = "[width, height] in pixels as two integers from 1 to 32768" },
    { "grid", K_INT, 2, { SEC(cols), SEC(rows) }, true, 1, 1024, false,
      .expect = "[columns, rows] as two positive integers (at most 1024)" },
    { "position", K_NUM, 3, { SEC(pos[0]), SEC(pos[1]), SEC(pos[2]) }, true, -1000, 1000, false,
      .expect = "[x, y, z] of the top-left corner in metres, each from -1000 to 1000" },
    { "rotation", K_NUM, 3, { SEC(yaw_deg), SEC(pitch_deg), SEC(roll_deg) }, false, -360, 360, false,
      .expect = "[yaw, pitch, roll] in degrees, each from -360 to 360" },
    { "curve_deg", K_NUM, 1, { SEC(curve_deg) }, false, -45, 45, false,
      .expect = "degrees per column from -45 to 45" },
};

/* Trackers. Their transform and smoothing settings are nested objects in
 * JSON but plain fields of vl_tracker_config, so those tables' offsets are
 * into vl_tracker_config as well. */
#define TRK(f) offsetof(vl_tracker_config, f)
#define TRK3(f) { TRK(f[0]), TRK(f[1]), TRK(f[2]) }
#define FOV_EXPECT "horizontal degrees from 1 to 170"
#define HZ_EXPECT "a frequency in Hz above 0 and at most 100"

static const char *const url_schemes[] = { "freed://", "osc://", "opentrackio://" };

static const field transform_fields[] = {
    { "offset", K_NUM, 3, TRK3(offset), false, -1000, 1000, false,
      .expect = "[x, y, z] in metres, each from -1000 to 1000" },
    { "rotation", K_NUM, 3, TRK3(rotation), false, -360, 360, false,
      .expect = "[pan, tilt, roll] in degrees, each from -360 to 360" },
    { "scale", K_NUM, 1, { TRK(scale) }, false, 0, 1000, true,
      .expect = "a number above 0 and at most 1000" },
    { "axis_sign", K_SIGN, 3, TRK3(axis_sign), false, .expect = "[x, y, z] signs, each exactly 1 or -1" },
    { "angle_sign", K_SIGN, 3, TRK3(angle_sign), false,
      .expect = "[pan, tilt, roll] signs, each exactly 1 or -1" },
};

static const field smoothing_fields[] = {
    { "min_cutoff_hz", K_NUM, 1, { TRK(min_cutoff_hz) }, false, 0, 100, true, .expect = HZ_EXPECT },
    { "beta", K_NUM, 1, { TRK(beta) }, false, 0, 100, false, .expect = "a number from 0 to 100" },
    { "d_cutoff_hz", K_NUM, 1, { TRK(d_cutoff_hz) }, false, 0, 100, true, .expect = HZ_EXPECT },
};

/* A lens as read, before the preset is applied: the preset's ends default
 * only when not given (0), and explicit tables (n > 0) replace the preset's. */
typedef struct lens_in {
    char preset[VL_NAME_MAX];
    double wide_fov_deg, tele_fov_deg, near_m, far_m;
    vl_lens_table zoom, focus;
} lens_in;

#define LENS(f) offsetof(lens_in, f)

static const field lens_fields[] = {
    { "preset", K_NAME, 1, { LENS(preset) }, false, .expect = "a lens preset name", .has_unset = true },
    { "wide_fov_deg", K_NUM, 1, { LENS(wide_fov_deg) }, false, 1, 170, false,
      .expect = "the widest " FOV_EXPECT, .has_unset = true },
    { "tele_fov_deg", K_NUM, 1, { LENS(tele_fov_deg) }, false, 1, 170, false,
      .expect = "the narrowest " FOV_EXPECT, .has_unset = true },
    { "near_m", K_NUM, 1, { LENS(near_m) }, false, 0, 1e5, true,
      .expect = "the nearest focus in metres, above 0 and at most 100000", .has_unset = true },
    { "far_m", K_NUM, 1, { LENS(far_m) }, false, 0, 1e5, true,
      .expect = "the farthest focus in metres, above 0 and at most 100000", .has_unset = true },
    /* K_TABLE: expect describes one point. */
    { "zoom", K_TABLE, 1, { LENS(zoom) }, false, 1, 170, false,
      .expect = "[raw, fov_deg] with fov_deg in " FOV_EXPECT },
    { "focus", K_TABLE, 1, { LENS(focus) }, false, 0, 1e5, true,
      .expect = "[raw, metres] with metres above 0 and at most 100000" },
};

static const field tracker_fields[] = {
    { "url", K_URL, 1, { TRK(url) }, true,
      .expect = "a URL freed://, osc:// or opentrackio://[host]:port of at most 255 characters" },
    { "description", K_TEXT, 1, { TRK(description) }, false, .expect = TEXT_EXPECT },
    { "camera", K_INT, 1, { TRK(camera) }, false, 0, 255, false,
      .expect = "a camera id from 0 to 255 (leave it out for any camera)", .has_unset = true, .unset = -1 },
    { "delay_ms", K_NUM, 1, { TRK(delay_ms) }, false, 0, 2000, false,
      .expect = "milliseconds from 0 to 2000" },
    { "predict_ms", K_NUM, 1, { TRK(predict_ms) }, false, 0, 500, false,
      .expect = "milliseconds from 0 to 500" },
    { "stale_ms", K_NUM, 1, { TRK(stale_ms) }, false, 10, 60000, false,
      .expect = "milliseconds from 10 to 60000" },
    { "extrapolate_ms", K_NUM, 1, { TRK(extrapolate_ms) }, false, 0, 1000, false,
      .expect = "milliseconds from 0 to 1000" },
    { "fov_deg", K_NUM, 1, { TRK(fov_deg) }, false, 1, 170, false,
      .expect = FOV_EXPECT, .has_unset = true, .unset = 0 },
    { "nodal_offset", K_NUM, 3, TRK3(nodal_offset), false, -10, 10, false,
      .expect = "[right, forward, up] in metres, each from -10 to 10" },
    { "transform", K_OBJECT, 1, { 0 }, false,
      .expect = "an object of offset, rotation, scale, axis_sign, angle_sign",
      .sub = transform_fields, .n_sub = COUNT(transform_fields) },
    { "smoothing", K_CUSTOM, 1, { 0 }, false,
      .expect = "true, false or an object of min_cutoff_hz, beta, d_cutoff_hz" },
    { "lens", K_CUSTOM, 1, { 0 }, false,
      .expect = "a lens preset name or an object of preset, wide_fov_deg, tele_fov_deg, near_m, far_m, "
                "zoom, focus" },
};

/* ---- reading ------------------------------------------------------------ */

typedef struct ctx {
    const char *source;
    char *err;
    size_t errlen;
} ctx;

/* Write "SOURCE: PATH: message" into the caller's buffer. Returns false so
 * callers can `return fail(...)`. */
__attribute__((format(printf, 3, 4)))
static bool fail(const ctx *c, const char *path, const char *fmt, ...)
{
    if (!c->err || !c->errlen)
        return false;
    int n = snprintf(c->err, c->errlen, "%s: %s: ", c->source, path);
    if (n >= 0 && (size_t)n < c->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* A short rendering of what was found, for "got ..." in messages. */
static const char *describe(const json_t *v, char *buf, size_t n)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        snprintf(buf, n, "an unprintable value");
    else if (strlen(s) < n)
        memcpy(buf, s, strlen(s) + 1);
    else
        snprintf(buf, n, "%.*s...", (int)(n - 4), s);
    free(s);
    return buf;
}

static bool bad_value(const ctx *c, const char *path, const field *f, const json_t *v)
{
    char got[48];
    return fail(c, path, "expected %s, got %s", f->expect, describe(v, got, sizeof(got)));
}

static bool read_element(const field *f, const json_t *e, void *dst, size_t off)
{
    char *p = (char *)dst + off;
    switch (f->kind) {
    case K_NAME: {
        const char *s = json_string_value(e);
        /* Embedded NULs cannot occur: json_loads rejects \u0000 unless asked. */
        if (!s || !*s || strlen(s) >= VL_NAME_MAX)
            return false;
        memcpy(p, s, strlen(s) + 1);
        return true;
    }
    case K_TEXT: {
        const char *s = json_string_value(e);
        if (!s || strlen(s) >= VL_TEXT_MAX)
            return false;
        memcpy(p, s, strlen(s) + 1);
        return true;
    }
    case K_BOOL:
        if (!json_is_boolean(e))
            return false;
        *(bool *)p = json_is_true(e);
        return true;
    case K_INT: {
        if (!json_is_integer(e))
            return false;
        json_int_t v = json_integer_value(e);
        if (v < f->min || v > f->max)
            return false;
        *(int *)p = (int)v;
        return true;
    }
    case K_NUM: {
        if (!json_is_number(e))
            return false;
        double v = json_number_value(e);
        if (!(v >= f->min && v <= f->max) || (f->min_open && v == f->min))
            return false;
        *(double *)p = v;
        return true;
    }
    case K_SIGN: {
        /* Exactly +-1: a sign of 0.5 would quietly scale an axis. */
        double v = json_number_value(e);
        if (!json_is_number(e) || (v != 1 && v != -1))
            return false;
        *(double *)p = v;
        return true;
    }
    case K_URL: {
        const char *s = json_string_value(e);
        if (!s || strlen(s) >= sizeof(((vl_tracker_config *)0)->url))
            return false;
        for (size_t i = 0; i < COUNT(url_schemes); i++) {
            if (!strncmp(s, url_schemes[i], strlen(url_schemes[i]))) {
                memcpy(p, s, strlen(s) + 1);
                return true;
            }
        }
        return false;
    }
    case K_TRANSFER:
        return vl_transfer_parse(json_string_value(e), (vl_transfer *)p);
    case K_TABLE:
    case K_OBJECT:
    case K_CUSTOM:
        break;
    }
    return true;
}

static bool read_fields(const ctx *c, const char *path, const json_t *obj,
                        const field *fields, size_t n_fields, void *dst);

/* [[raw, value], ...]: 2 .. VL_LENS_MAX_POINTS points. Raw strictly
 * ascending makes the table a function of raw with no zero-width segment;
 * each value in the field's range. */
static bool read_table(const ctx *c, const char *path, const field *f, const json_t *v,
                       vl_lens_table *out)
{
    char got[48];
    if (!json_is_array(v))
        return fail(c, path, "expected an array of points %s, got %s", f->expect, describe(v, got, sizeof(got)));
    size_t n = json_array_size(v);
    if (n < 2 || n > VL_LENS_MAX_POINTS)
        return fail(c, path, "expected 2 to %d points %s, got %zu point%s", VL_LENS_MAX_POINTS, f->expect,
                    n, n == 1 ? "" : "s");
    /* The values are plain numbers with the table's range. */
    field value_field = *f;
    value_field.kind = K_NUM;
    vl_lens_table t = { .n = (int)n };
    for (size_t i = 0; i < n; i++) {
        char pt[SUB_PATH_LEN];
        snprintf(pt, sizeof(pt), "%s[%zu]", path, i);
        const json_t *e = json_array_get(v, i), *raw = json_array_get(e, 0);
        if (json_array_size(e) != 2 || !json_is_number(raw) ||
            !read_element(&value_field, json_array_get(e, 1), t.value, i * sizeof(double)))
            return fail(c, pt, "expected a point %s, got %s", f->expect, describe(e, got, sizeof(got)));
        t.raw[i] = json_number_value(raw);
        if (i > 0 && !(t.raw[i] > t.raw[i - 1]))
            return fail(c, pt, "expected a raw value above the previous point's %.15g "
                        "(raw values must be strictly ascending), got %.15g", t.raw[i - 1], t.raw[i]);
    }
    *out = t;
    return true;
}

static bool read_value(const ctx *c, const char *path, const field *f, const json_t *v, void *dst)
{
    if (f->kind == K_OBJECT)
        return json_is_object(v) ? read_fields(c, path, v, f->sub, f->n_sub, (char *)dst + f->off[0])
                                 : bad_value(c, path, f, v);
    if (f->kind == K_TABLE)
        return read_table(c, path, f, v, (vl_lens_table *)((char *)dst + f->off[0]));
    if (f->n == 1)
        return read_element(f, v, dst, f->off[0]) || bad_value(c, path, f, v);
    if (!json_is_array(v) || json_array_size(v) != (size_t)f->n)
        return bad_value(c, path, f, v);
    for (int i = 0; i < f->n; i++)
        if (!read_element(f, json_array_get(v, (size_t)i), dst, f->off[i]))
            return bad_value(c, path, f, v);
    return true;
}

/* Read the fields of `obj` at `path` into dst (pre-filled with defaults).
 * Unknown keys are errors: a typo must not silently become a default. */
static bool read_fields(const ctx *c, const char *path, const json_t *obj,
                        const field *fields, size_t n_fields, void *dst)
{
    char got[48];
    if (!json_is_object(obj))
        return fail(c, path, "expected an object, got %s", describe(obj, got, sizeof(got)));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        size_t i = 0;
        while (i < n_fields && strcmp(fields[i].key, key))
            i++;
        if (i == n_fields) {
            char keys[256] = "";
            for (size_t k = 0; k < n_fields; k++) {
                size_t len = strlen(keys);
                snprintf(keys + len, sizeof(keys) - len, "%s%s", k ? ", " : "", fields[k].key);
            }
            return fail(c, path, "unknown key '%s' (expected one of: %s)", key, keys);
        }
    }
    for (size_t i = 0; i < n_fields; i++) {
        const field *f = &fields[i];
        v = json_object_get(obj, f->key);
        if (!v) {
            if (f->required)
                return fail(c, path, "missing required key '%s', expected %s", f->key, f->expect);
            continue;
        }
        if (f->kind == K_CUSTOM)
            continue;
        char sub[FIELD_PATH_LEN];
        snprintf(sub, sizeof(sub), "%s.%s", path, f->key);
        if (!read_value(c, sub, f, v, dst))
            return false;
    }
    return true;
}

static const field *find_field(const field *fields, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(fields[i].key, key))
            return &fields[i];
    return NULL;
}

static bool read_rate(const ctx *c, const json_t *v, vl_rational *out)
{
    bool ok = false;
    if (json_is_string(v))
        ok = vl_rational_parse(json_string_value(v), out);
    else if (json_is_integer(v) && json_integer_value(v) > 0) {
        *out = (vl_rational){ json_integer_value(v), 1 };
        ok = true;
    }
    /* Above 1000 fps is a typo (a missing "/1001"), not a stage. */
    if (ok && vl_rational_to_double(*out) > 1000)
        ok = false;
    return ok || bad_value(c, "$.rate", find_field(stage_fields, COUNT(stage_fields), "rate"), v);
}

/* The array at parent_path.key: non-empty unless may_be_empty, at most max
 * long. */
static const json_t *read_array(const ctx *c, const json_t *parent, const char *parent_path,
                                const char *key, bool may_be_empty, size_t max)
{
    const json_t *a = json_object_get(parent, key);
    char path[ITEM_PATH_LEN], got[48];
    snprintf(path, sizeof(path), "%s.%s", parent_path, key);
    if (!json_is_array(a) || (!may_be_empty && json_array_size(a) == 0)) {
        fail(c, path, "expected a%s array of %s, got %s", may_be_empty ? "n" : " non-empty", key,
             describe(a, got, sizeof(got)));
        return NULL;
    }
    if (json_array_size(a) > max) {
        fail(c, path, "expected at most %zu %s, got %zu", max, key, json_array_size(a));
        return NULL;
    }
    return a;
}

/* "a, b, c" of the output names, for messages; truncated if long. */
static const char *output_names(const vl_stage *st, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; i < st->n_outputs; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? ", " : "", st->outputs[i].name);
    }
    return buf;
}

static bool read_outputs(const ctx *c, const json_t *root, vl_stage *st)
{
    const json_t *a = read_array(c, root, "$", "outputs", false, MAX_ITEMS);
    if (!a)
        return false;
    st->outputs = vl_xcalloc(json_array_size(a), sizeof(vl_output));
    int n = (int)json_array_size(a);    /* at most MAX_ITEMS */
    for (int i = 0; i < n; i++) {
        char path[ITEM_PATH_LEN];
        snprintf(path, sizeof(path), "$.outputs[%d]", i);
        vl_output *o = &st->outputs[i];
        vl_output_color_default(&o->color);
        if (!read_fields(c, path, json_array_get(a, (size_t)i), output_fields, COUNT(output_fields), o))
            return false;
        for (int k = 0; k < st->n_outputs; k++)
            if (!strcmp(st->outputs[k].name, o->name))
                return fail(c, path, "duplicate output name '%s' (also $.outputs[%d])", o->name, k);
        st->n_outputs++;
    }
    return true;
}

/* The index of the output an item at `path` names ("" when it names none). */
static bool find_output(const ctx *c, const char *path, const char *name, const vl_stage *st, int *out)
{
    char names[256];
    if (!name[0]) {
        /* With one output there is nothing to choose; with more, guessing
         * would put a section on the wrong processor. */
        if (st->n_outputs != 1)
            return fail(c, path, "missing key 'output' (needed when there are several outputs: %s)",
                        output_names(st, names, sizeof(names)));
        *out = 0;
        return true;
    }
    for (int k = 0; k < st->n_outputs; k++) {
        if (!strcmp(st->outputs[k].name, name)) {
            *out = k;
            return true;
        }
    }
    char sub[FIELD_PATH_LEN];
    snprintf(sub, sizeof(sub), "%s.output", path);
    return fail(c, sub, "no output named '%s' (outputs: %s)", name, output_names(st, names, sizeof(names)));
}

static bool read_section(const ctx *c, const char *path, const json_t *obj, vl_stage *st,
                         vl_section *out)
{
    section_in in = { 0 };
    if (!read_fields(c, path, obj, section_fields, COUNT(section_fields), &in))
        return false;
    vl_section *s = &in.s;
    if (!find_output(c, path, in.output, st, &s->output))
        return false;
    const vl_output *o = &st->outputs[s->output];
    /* Table limits keep these products far from int overflow. */
    int w = vl_section_width_px(s), h = vl_section_height_px(s);
    if (s->canvas_x + w > o->width || s->canvas_y + h > o->height)
        return fail(c, path, "its %dx%d px rectangle at canvas [%d, %d] does not fit output '%s' (%dx%d)",
                    w, h, s->canvas_x, s->canvas_y, o->name, o->width, o->height);
    *out = *s;
    return true;
}

static bool read_sections(const ctx *c, const json_t *root, vl_stage *st)
{
    const json_t *a = read_array(c, root, "$", "sections", false, MAX_ITEMS);
    if (!a)
        return false;
    st->sections = vl_xcalloc(json_array_size(a), sizeof(vl_section));
    int n = (int)json_array_size(a);    /* at most MAX_ITEMS */
    for (int i = 0; i < n; i++) {
        char path[ITEM_PATH_LEN];
        snprintf(path, sizeof(path), "$.sections[%d]", i);
        vl_section *s = &st->sections[i];
        if (!read_section(c, path, json_array_get(a, (size_t)i), st, s))
            return false;
        for (int k = 0; k < st->n_sections; k++)
            if (!strcmp(st->sections[k].name, s->name))
                return fail(c, path, "duplicate section name '%s' (also $.sections[%d])", s->name, k);
        st->n_sections++;
    }
    return true;
}

/* "a, b, c" of the lens preset names, for messages. */
static const char *preset_names(char *buf, size_t n)
{
    buf[0] = '\0';
    for (size_t i = 0; vl_lens_preset_names[i]; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? ", " : "", vl_lens_preset_names[i]);
    }
    return buf;
}

/* A lens: a preset name alone ("sony"), or an object that may name a preset,
 * set its ends, and give zoom/focus tables that replace the preset's. */
static bool read_lens(const ctx *c, const char *path, const json_t *v, vl_lens *out)
{
    const field *lf = find_field(tracker_fields, COUNT(tracker_fields), "lens");
    lens_in in = { 0 };
    char preset_path[SUB_PATH_LEN];
    snprintf(preset_path, sizeof(preset_path), "%s", path);
    if (json_is_string(v)) {
        const field *pf = find_field(lens_fields, COUNT(lens_fields), "preset");
        if (!read_element(pf, v, &in, pf->off[0]))
            return bad_value(c, path, lf, v);
    } else if (json_is_object(v)) {
        if (!read_fields(c, path, v, lens_fields, COUNT(lens_fields), &in))
            return false;
        snprintf(preset_path, sizeof(preset_path), "%s.preset", path);
    } else {
        return bad_value(c, path, lf, v);
    }
    if (in.preset[0]) {
        /* The ends a preset gets when none are given: a mid-range zoom lens
         * and focus from half a metre to "infinity". */
        if (!vl_lens_preset(in.preset, in.wide_fov_deg ? in.wide_fov_deg : 60,
                            in.tele_fov_deg ? in.tele_fov_deg : 6, in.near_m ? in.near_m : 0.5,
                            in.far_m ? in.far_m : 1000, out)) {
            char names[128];
            return fail(c, preset_path, "unknown lens preset '%s' (presets: %s)", in.preset,
                        preset_names(names, sizeof(names)));
        }
    } else if (in.wide_fov_deg || in.tele_fov_deg || in.near_m || in.far_m) {
        return fail(c, path, "wide_fov_deg, tele_fov_deg, near_m and far_m set a preset's ends; "
                    "name a 'preset' or give 'zoom' and 'focus' tables");
    } else if (!in.zoom.n && !in.focus.n) {
        return fail(c, path, "expected a 'preset' or a 'zoom' or 'focus' table, got none");
    } else {
        *out = (vl_lens){ 0 };
    }
    if (in.zoom.n)
        out->zoom_fov = in.zoom;
    if (in.focus.n)
        out->focus_m = in.focus;
    return true;
}

static bool read_tracker(const ctx *c, const char *path, const json_t *obj, vl_tracker_config *cfg)
{
    vl_tracker_config_default(cfg, NULL);
    if (!read_fields(c, path, obj, tracker_fields, COUNT(tracker_fields), cfg))
        return false;
    char sub[FIELD_PATH_LEN];
    /* Smoothing is off unless asked for; true turns it on with the One
     * Euro defaults, an object with its keys overriding them. */
    const json_t *v = json_object_get(obj, "smoothing");
    if (v && !json_is_false(v)) {
        snprintf(sub, sizeof(sub), "%s.smoothing", path);
        if (!json_is_object(v) && !json_is_true(v))
            return bad_value(c, sub, find_field(tracker_fields, COUNT(tracker_fields), "smoothing"), v);
        cfg->smoothing = true;
        if (json_is_object(v) &&
            !read_fields(c, sub, v, smoothing_fields, COUNT(smoothing_fields), cfg))
            return false;
    }
    v = json_object_get(obj, "lens");
    snprintf(sub, sizeof(sub), "%s.lens", path);
    return !v || read_lens(c, sub, v, &cfg->lens);
}

/* Optional: a stage without trackers gets its pose from the command line. */
static bool read_trackers(const ctx *c, const json_t *root, vl_stage *st)
{
    if (!json_object_get(root, "trackers"))
        return true;
    const json_t *a = read_array(c, root, "$", "trackers", true, MAX_TRACKERS);
    if (!a)
        return false;
    int n = (int)json_array_size(a);    /* at most MAX_TRACKERS */
    if (n == 0)
        return true;
    st->trackers = vl_xcalloc((size_t)n, sizeof(vl_tracker_config));
    for (int i = 0; i < n; i++) {
        char path[ITEM_PATH_LEN];
        snprintf(path, sizeof(path), "$.trackers[%d]", i);
        if (!read_tracker(c, path, json_array_get(a, (size_t)i), &st->trackers[i]))
            return false;
        st->n_trackers++;
    }
    return true;
}

static bool read_card(const ctx *c, const char *path, const json_t *obj, const vl_stage *st,
                      vl_light_card *out)
{
    card_in in;
    vl_light_card_default(&in.card, NULL);
    in.output[0] = '\0';
    if (!read_fields(c, path, obj, card_fields, COUNT(card_fields), &in))
        return false;
    if (!(in.card.w > 0 && in.card.h > 0)) {
        char sub[FIELD_PATH_LEN];
        snprintf(sub, sizeof(sub), "%s.rect", path);
        return bad_value(c, sub, find_field(card_fields, COUNT(card_fields), "rect"), json_object_get(obj, "rect"));
    }
    if (!find_output(c, path, in.output, st, &in.card.output))
        return false;
    *out = in.card;
    return true;
}

/* Optional: the frustum's settings, then its light cards (which name
 * outputs, so after those). */
static bool read_frustum(const ctx *c, const json_t *root, vl_stage *st)
{
    const json_t *fr = json_object_get(root, "frustum");
    vl_frustum_settings *f = &st->frustum;
    if (!fr)
        return true;
    if (!read_fields(c, "$.frustum", fr, frustum_fields, COUNT(frustum_fields), f))
        return false;
    if (f->chroma.marker_size_px > f->chroma.marker_spacing_px)
        return fail(c, "$.frustum.chroma.marker_size_px", "expected at most marker_spacing_px (%d), got %d",
                    f->chroma.marker_spacing_px, f->chroma.marker_size_px);
    if (!json_object_get(fr, "light_cards"))
        return true;
    const json_t *a = read_array(c, fr, "$.frustum", "light_cards", true, VL_MAX_LIGHT_CARDS);
    if (!a)
        return false;
    for (int i = 0; i < (int)json_array_size(a); i++) {
        char path[ITEM_PATH_LEN];
        snprintf(path, sizeof(path), "$.frustum.light_cards[%d]", i);
        vl_light_card *card = &f->cards[i];
        if (!read_card(c, path, json_array_get(a, (size_t)i), st, card))
            return false;
        for (int k = 0; k < f->n_cards; k++)
            if (!strcmp(f->cards[k].name, card->name))
                return fail(c, path, "duplicate light card name '%s' (also $.frustum.light_cards[%d])",
                            card->name, k);
        f->n_cards++;
    }
    return true;
}

static bool read_stage(const ctx *c, const json_t *root, vl_stage *st)
{
    if (!read_fields(c, "$", root, stage_fields, COUNT(stage_fields), st))
        return false;
    if (!read_rate(c, json_object_get(root, "rate"), &st->rate))
        return false;
    return read_outputs(c, root, st) && read_frustum(c, root, st) && read_sections(c, root, st) &&
           read_trackers(c, root, st);
}

vl_stage *vl_stage_parse(const char *json, const char *source, char *err, size_t errlen)
{
    ctx c = { source ? source : "<string>", err, errlen };
    if (err && errlen)
        err[0] = '\0';
    json_error_t je;
    /* Duplicate keys are rejected as syntax: the second one would otherwise
     * silently win. */
    json_t *root = json ? json_loads(json, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!root) {
        if (err && errlen) {
            if (json)
                snprintf(err, errlen, "%s:%d:%d: %s", c.source, je.line, je.column, je.text);
            else
                snprintf(err, errlen, "%s: no JSON text", c.source);
        }
        return NULL;
    }
    vl_stage *st = vl_xcalloc(1, sizeof(*st));
    vl_frustum_default(&st->frustum);
    bool ok = read_stage(&c, root, st);
    json_decref(root);
    if (!ok) {
        vl_stage_free(st);
        return NULL;
    }
    return st;
}

vl_stage *vl_stage_load(const char *path)
{
    char *text = vl_read_file(path, NULL);
    if (!text) {
        VL_ERR("stage", "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    char err[1024];
    vl_stage *st = vl_stage_parse(text, path, err, sizeof(err));
    free(text);
    if (!st)
        VL_ERR("stage", "%s", err);
    return st;
}

/* ---- writing ------------------------------------------------------------ */

static json_t *number(double v)
{
    /* Whole numbers as integers, so a config reads "500", not "500.0". */
    if (v == floor(v) && fabs(v) < 1e15)
        return json_integer((json_int_t)v);
    return json_real(v);
}

static json_t *write_table(const vl_lens_table *t)
{
    json_t *a = json_array();
    for (int i = 0; i < t->n && i < VL_LENS_MAX_POINTS; i++)
        json_array_append_new(a, json_pack("[oo]", number(t->raw[i]), number(t->value[i])));
    return a;
}

static json_t *write_fields(const field *fields, size_t n_fields, const void *src);

static json_t *write_element(const field *f, const void *src, size_t off)
{
    const char *p = (const char *)src + off;
    switch (f->kind) {
    case K_NAME:
    case K_TEXT:
    case K_URL: return json_string(p);
    case K_TRANSFER: return json_string(vl_transfer_name(*(const vl_transfer *)p));
    case K_BOOL: return json_boolean(*(const bool *)p);
    case K_INT: return json_integer(*(const int *)p);
    case K_NUM:
    case K_SIGN: return number(*(const double *)p);
    case K_TABLE: return write_table((const vl_lens_table *)p);
    case K_OBJECT: return write_fields(f->sub, f->n_sub, p);
    case K_CUSTOM: break;
    }
    return NULL;
}

/* A key the reader would leave at this value is not written (see
 * field.has_unset); neither is an empty table or description. */
static bool is_unset(const field *f, const void *src)
{
    const char *p = (const char *)src + f->off[0];
    if (f->kind == K_TABLE)
        return ((const vl_lens_table *)p)->n == 0;
    if (f->kind == K_TEXT)
        return !p[0];
    if (!f->has_unset || f->n != 1)
        return false;
    if (f->kind == K_NAME)
        return !p[0];
    if (f->kind == K_INT)
        return *(const int *)p == f->unset;
    return f->kind == K_NUM && *(const double *)p == f->unset;
}

static json_t *write_fields(const field *fields, size_t n_fields, const void *src)
{
    json_t *obj = json_object();
    for (size_t i = 0; i < n_fields; i++) {
        const field *f = &fields[i];
        if (f->kind == K_CUSTOM || is_unset(f, src))
            continue;
        json_t *v;
        if (f->n == 1) {
            v = write_element(f, src, f->off[0]);
        } else {
            v = json_array();
            for (int k = 0; k < f->n; k++)
                json_array_append_new(v, write_element(f, src, f->off[k]));
        }
        json_object_set_new(obj, f->key, v);
    }
    return obj;
}

static json_t *write_tracker(const vl_tracker_config *cfg)
{
    json_t *obj = write_fields(tracker_fields, COUNT(tracker_fields), cfg);
    json_object_set_new(obj, "smoothing", cfg->smoothing
                        ? write_fields(smoothing_fields, COUNT(smoothing_fields), cfg) : json_false());
    /* The lens as its tables plus the preset's name: the tables win over the
     * preset on reading, so this reads back as the same lens whatever ends
     * the preset was built with, and the name still tells a reader where
     * the numbers came from. */
    const vl_lens *l = &cfg->lens;
    if (l->preset[0] || l->zoom_fov.n || l->focus_m.n) {
        lens_in in = { .zoom = l->zoom_fov, .focus = l->focus_m };
        memcpy(in.preset, l->preset, sizeof(in.preset));
        json_object_set_new(obj, "lens", write_fields(lens_fields, COUNT(lens_fields), &in));
    }
    return obj;
}

char *vl_stage_to_json(const vl_stage *stage)
{
    if (!stage)
        return NULL;
    json_t *root = write_fields(stage_fields, COUNT(stage_fields), stage);
    char rate[48];
    if (stage->rate.den == 1)
        snprintf(rate, sizeof(rate), "%lld", (long long)stage->rate.num);
    else
        snprintf(rate, sizeof(rate), "%lld/%lld", (long long)stage->rate.num, (long long)stage->rate.den);
    json_object_set_new(root, "rate", json_string(rate));
    json_t *frustum = write_fields(frustum_fields, COUNT(frustum_fields), &stage->frustum);
    json_object_set_new(root, "frustum", frustum);
    char *text = NULL;
    /* Only when there are any, as for trackers. */
    if (stage->frustum.n_cards > 0) {
        json_t *cards = json_array();
        json_object_set_new(frustum, "light_cards", cards);
        for (int i = 0; i < stage->frustum.n_cards && i < VL_MAX_LIGHT_CARDS; i++) {
            card_in in = { .card = stage->frustum.cards[i] };
            if (in.card.output < 0 || in.card.output >= stage->n_outputs)
                goto fail;
            memcpy(in.output, stage->outputs[in.card.output].name, VL_NAME_MAX);
            json_array_append_new(cards, write_fields(card_fields, COUNT(card_fields), &in));
        }
    }

    json_t *outputs = json_array();
    json_object_set_new(root, "outputs", outputs);
    for (int i = 0; i < stage->n_outputs; i++)
        json_array_append_new(outputs, write_fields(output_fields, COUNT(output_fields), &stage->outputs[i]));

    json_t *sections = json_array();
    json_object_set_new(root, "sections", sections);
    for (int i = 0; i < stage->n_sections; i++) {
        section_in in = { .s = stage->sections[i] };
        if (in.s.output < 0 || in.s.output >= stage->n_outputs)
            goto fail;
        memcpy(in.output, stage->outputs[in.s.output].name, VL_NAME_MAX);
        json_array_append_new(sections, write_fields(section_fields, COUNT(section_fields), &in));
    }
    /* Only when there are any, so a stage without trackers writes as before. */
    if (stage->n_trackers > 0) {
        json_t *trackers = json_array();
        json_object_set_new(root, "trackers", trackers);
        for (int i = 0; i < stage->n_trackers; i++)
            json_array_append_new(trackers, write_tracker(&stage->trackers[i]));
    }
    /* 15 significant digits print 0.1 as 0.1 and still survive a round trip
     * (to well under a nanometre), and re-writing a loaded file gives the
     * same text. */
    text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
fail:
    json_decref(root);
    return text;
}
