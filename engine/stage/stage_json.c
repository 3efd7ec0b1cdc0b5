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
/* JSON paths for messages: an item ("$.sections[255]") and a field of it
 * ("$.sections[255].description"), sized so neither can be cut short. */
#define ITEM_PATH_LEN 32
#define FIELD_PATH_LEN (ITEM_PATH_LEN + 32)

enum kind {
    K_NAME,     /* string of 1 .. VL_NAME_MAX-1 bytes, copied into char[VL_NAME_MAX] */
    K_TEXT,     /* any string, checked and not stored (a description) */
    K_INT,      /* int */
    K_BOOL,     /* bool */
    K_NUM,      /* double; JSON integers are accepted too */
    K_CUSTOM,   /* read and written by the caller; the table only names it */
};

typedef struct field {
    const char *key;
    enum kind kind;
    int n;                      /* 1: a scalar; 2 or 3: an array of that many */
    size_t off[3];              /* where each element lands in the struct */
    bool required;
    double min, max;            /* range of each K_INT / K_NUM element */
    bool min_open;              /* min itself is out of range */
    const char *expect;         /* what a user should write, for messages */
} field;

#define NAME_EXPECT "a name of 1 to 63 characters"

static const field stage_fields[] = {
    { "name", K_NAME, 1, { offsetof(vl_stage, name) }, true, .expect = NAME_EXPECT },
    { "description", K_TEXT, 1, { 0 }, false, .expect = "a one-line description" },
    { "rate", K_CUSTOM, 1, { 0 }, true,
      .expect = "a frame rate such as \"25\", \"24000/1001\" or \"29.97\" (at most 1000)" },
    { "frustum", K_CUSTOM, 1, { 0 }, false, .expect = "an object" },
    { "outputs", K_CUSTOM, 1, { 0 }, true, .expect = "a non-empty array of outputs" },
    { "sections", K_CUSTOM, 1, { 0 }, true, .expect = "a non-empty array of sections" },
};

static const field frustum_fields[] = {
    { "overscan", K_NUM, 1, { offsetof(vl_frustum_settings, overscan) }, false, 0, 2, false,
      "a number from 0 to 2" },
    { "outer_eye", K_NUM, 3,
      { offsetof(vl_frustum_settings, outer_eye[0]), offsetof(vl_frustum_settings, outer_eye[1]),
        offsetof(vl_frustum_settings, outer_eye[2]) },
      false, -1000, 1000, false, "[x, y, z] in metres, each from -1000 to 1000" },
};

static const field output_fields[] = {
    { "name", K_NAME, 1, { offsetof(vl_output, name) }, true, .expect = NAME_EXPECT },
    { "width", K_INT, 1, { offsetof(vl_output, width) }, true, 1, 32768, false,
      "an integer from 1 to 32768" },
    { "height", K_INT, 1, { offsetof(vl_output, height) }, true, 1, 32768, false,
      "an integer from 1 to 32768" },
    { "display", K_INT, 1, { offsetof(vl_output, display) }, false, 0, 255, false,
      "a display index from 0 to 255" },
    { "fullscreen", K_BOOL, 1, { offsetof(vl_output, fullscreen) }, false, .expect = "true or false" },
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
      "[x, y] in canvas pixels as two integers from 0 to 32767" },
    { "panel_mm", K_NUM, 2, { SEC(panel_w_mm), SEC(panel_h_mm) }, true, 0, 10000, true,
      "[width, height] in millimetres, each above 0 and at most 10000" },
    { "panel_px", K_INT, 2, { SEC(panel_px_w), SEC(panel_px_h) }, true, 1, 32768, false,
      "[width, height] in pixels as two integers from 1 to 32768" },
    { "grid", K_INT, 2, { SEC(cols), SEC(rows) }, true, 1, 1024, false,
      "[columns, rows] as two positive integers (at most 1024)" },
    { "position", K_NUM, 3, { SEC(pos[0]), SEC(pos[1]), SEC(pos[2]) }, true, -1000, 1000, false,
      "[x, y, z] of the top-left corner in metres, each from -1000 to 1000" },
    { "rotation", K_NUM, 3, { SEC(yaw_deg), SEC(pitch_deg), SEC(roll_deg) }, false, -360, 360, false,
      "[yaw, pitch, roll] in degrees, each from -360 to 360" },
    { "curve_deg", K_NUM, 1, { SEC(curve_deg) }, false, -45, 45, false,
      "degrees per column from -45 to 45" },
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

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
    case K_TEXT:
        return json_is_string(e);
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
    case K_CUSTOM:
        break;
    }
    return true;
}

static bool read_value(const ctx *c, const char *path, const field *f, const json_t *v, void *dst)
{
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

/* The array at $.key: non-empty and at most MAX_ITEMS long. */
static const json_t *read_array(const ctx *c, const json_t *root, const char *key)
{
    const json_t *a = json_object_get(root, key);
    char path[ITEM_PATH_LEN], got[48];
    snprintf(path, sizeof(path), "$.%s", key);
    if (!json_is_array(a) || json_array_size(a) == 0) {
        fail(c, path, "expected a non-empty array of %s, got %s", key, describe(a, got, sizeof(got)));
        return NULL;
    }
    if (json_array_size(a) > MAX_ITEMS) {
        fail(c, path, "expected at most %d %s, got %zu", MAX_ITEMS, key, json_array_size(a));
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
    const json_t *a = read_array(c, root, "outputs");
    if (!a)
        return false;
    st->outputs = vl_xcalloc(json_array_size(a), sizeof(vl_output));
    int n = (int)json_array_size(a);    /* at most MAX_ITEMS */
    for (int i = 0; i < n; i++) {
        char path[ITEM_PATH_LEN];
        snprintf(path, sizeof(path), "$.outputs[%d]", i);
        vl_output *o = &st->outputs[i];
        if (!read_fields(c, path, json_array_get(a, (size_t)i), output_fields, COUNT(output_fields), o))
            return false;
        for (int k = 0; k < st->n_outputs; k++)
            if (!strcmp(st->outputs[k].name, o->name))
                return fail(c, path, "duplicate output name '%s' (also $.outputs[%d])", o->name, k);
        st->n_outputs++;
    }
    return true;
}

static bool read_section(const ctx *c, const char *path, const json_t *obj, vl_stage *st,
                         vl_section *out)
{
    section_in in = { 0 };
    if (!read_fields(c, path, obj, section_fields, COUNT(section_fields), &in))
        return false;
    vl_section *s = &in.s;
    char names[256];
    if (!in.output[0]) {
        /* With one output there is nothing to choose; with more, guessing
         * would put a section on the wrong processor. */
        if (st->n_outputs != 1)
            return fail(c, path, "missing key 'output' (needed when there are several outputs: %s)",
                        output_names(st, names, sizeof(names)));
        s->output = 0;
    } else {
        s->output = -1;
        for (int k = 0; k < st->n_outputs; k++)
            if (!strcmp(st->outputs[k].name, in.output))
                s->output = k;
        if (s->output < 0) {
            char sub[FIELD_PATH_LEN];
            snprintf(sub, sizeof(sub), "%s.output", path);
            return fail(c, sub, "no output named '%s' (outputs: %s)", in.output,
                        output_names(st, names, sizeof(names)));
        }
    }
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
    const json_t *a = read_array(c, root, "sections");
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

static bool read_stage(const ctx *c, const json_t *root, vl_stage *st)
{
    if (!read_fields(c, "$", root, stage_fields, COUNT(stage_fields), st))
        return false;
    if (!read_rate(c, json_object_get(root, "rate"), &st->rate))
        return false;
    const json_t *fr = json_object_get(root, "frustum");
    if (fr && !read_fields(c, "$.frustum", fr, frustum_fields, COUNT(frustum_fields), &st->frustum))
        return false;
    return read_outputs(c, root, st) && read_sections(c, root, st);
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
    st->frustum = (vl_frustum_settings){ .overscan = 0.1, .outer_eye = { 0, 0, 1.7 } };
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

static json_t *write_element(const field *f, const void *src, size_t off)
{
    const char *p = (const char *)src + off;
    switch (f->kind) {
    case K_NAME: return json_string(p);
    case K_BOOL: return json_boolean(*(const bool *)p);
    case K_INT: return json_integer(*(const int *)p);
    case K_NUM: return number(*(const double *)p);
    case K_TEXT:
    case K_CUSTOM: break;
    }
    return NULL;
}

static json_t *write_fields(const field *fields, size_t n_fields, const void *src)
{
    json_t *obj = json_object();
    for (size_t i = 0; i < n_fields; i++) {
        const field *f = &fields[i];
        if (f->kind == K_TEXT || f->kind == K_CUSTOM)
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
    json_object_set_new(root, "frustum", write_fields(frustum_fields, COUNT(frustum_fields), &stage->frustum));

    json_t *outputs = json_array();
    json_object_set_new(root, "outputs", outputs);
    for (int i = 0; i < stage->n_outputs; i++)
        json_array_append_new(outputs, write_fields(output_fields, COUNT(output_fields), &stage->outputs[i]));

    json_t *sections = json_array();
    json_object_set_new(root, "sections", sections);
    char *text = NULL;
    for (int i = 0; i < stage->n_sections; i++) {
        section_in in = { .s = stage->sections[i] };
        if (in.s.output < 0 || in.s.output >= stage->n_outputs)
            goto fail;
        memcpy(in.output, stage->outputs[in.s.output].name, VL_NAME_MAX);
        json_array_append_new(sections, write_fields(section_fields, COUNT(section_fields), &in));
    }
    /* 15 significant digits print 0.1 as 0.1 and still survive a round trip
     * (to well under a nanometre), and re-writing a loaded file gives the
     * same text. */
    text = json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
fail:
    json_decref(root);
    return text;
}
