/* OpenTrackIO's CBOR payloads <-> jansson values, with libcbor.
 *
 * Decoding uses libcbor's streaming decoder rather than cbor_load: the
 * streaming callbacks build the jansson value directly, one item at a time,
 * so nesting is refused at VL_OTRK_CBOR_MAX_DEPTH before anything deeper is
 * built. (cbor_load would first build the whole tree, and freeing a tree
 * nested thousands deep recurses as deep, in the receiver thread.) */
#include "track/opentrackio_cbor.h"
#include "core/core.h"

#include <cbor.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The self-described CBOR tag (RFC 8949 3.4.6): says only "this is CBOR". */
#define TAG_SELF_DESCRIBED 55799
/* More items than any 64 KiB message can hold: bounds the counts below. */
#define MAX_ITEMS (1u << 24)

/* A map or array being filled. */
struct level {
    json_t *container;          /* owned by its parent (or the root) */
    bool indefinite;
    uint64_t remaining;         /* definite: items still to come, a map's keys
                                   and values counted apart */
    json_t *key;                /* a map's key waiting for its value */
};

struct builder {
    struct level stack[VL_OTRK_CBOR_MAX_DEPTH];
    int depth;
    json_t *root;
    bool done;                  /* the top-level item is complete */
    bool failed;
    bool tagged;                /* a tag waits for its item */
    bool in_string;             /* between the start and the break of an
                                   indefinite-length text string */
    char *text;                 /* its chunks so far */
    size_t text_len;
};

static void fail(struct builder *b)
{
    b->failed = true;
}

/* A JSON string, or NULL: text that is not UTF-8 (jansson checks), or holds
 * a NUL, which jansson's JSON reader refuses too. */
static json_t *text(const void *data, size_t len)
{
    return memchr(data, 0, len) ? NULL : json_stringn(data, len);
}

/* Closes every definite container whose items are all there; the top level
 * complete, the item is done. */
static void finish(struct builder *b)
{
    while (b->depth > 0) {
        const struct level *l = &b->stack[b->depth - 1];
        if (l->indefinite || l->remaining > 0)
            return;
        b->depth--;
    }
    b->done = true;
}

/* Puts v (a new reference, may be NULL) where the next item goes. False,
 * with v released and the builder failed, when it cannot go there. */
static bool place(struct builder *b, json_t *v)
{
    if (!v || b->failed || b->done || b->in_string)
        goto bad;
    b->tagged = false;
    if (b->depth == 0) {
        b->root = v;
        return true;
    }
    struct level *l = &b->stack[b->depth - 1];
    if (!l->indefinite)
        l->remaining--;
    if (json_is_array(l->container)) {
        if (json_array_append_new(l->container, v))
            goto bad_placed;
        return true;
    }
    if (!l->key) {
        if (!json_is_string(v))
            goto bad;
        l->key = v;
        return true;
    }
    int err = json_object_set_new(l->container, json_string_value(l->key), v);
    json_decref(l->key);
    l->key = NULL;
    if (err)
        goto bad_placed;
    return true;
bad:
    json_decref(v);
bad_placed:
    fail(b);
    return false;
}

static void scalar(struct builder *b, json_t *v)
{
    if (place(b, v))
        finish(b);
}

/* A map (pairs) or array (items) starts: n is its size when definite. */
static void start(struct builder *b, json_t *c, bool indefinite, size_t n, bool map)
{
    if (!indefinite && n > MAX_ITEMS) {
        json_decref(c);
        fail(b);
        return;
    }
    if (!place(b, c))
        return;
    if (b->depth == VL_OTRK_CBOR_MAX_DEPTH) {
        fail(b);
        return;
    }
    b->stack[b->depth++] = (struct level){ .container = c, .indefinite = indefinite,
                                           .remaining = map ? 2 * (uint64_t)n : n };
    finish(b);
}

static void on_uint(void *ctx, uint64_t v)
{
    struct builder *b = ctx;
    if (v > INT64_MAX)
        fail(b);
    else
        scalar(b, json_integer((json_int_t)v));
}

/* CBOR's negative integer n stands for -1 - n. */
static void on_negint(void *ctx, uint64_t n)
{
    struct builder *b = ctx;
    if (n > INT64_MAX)
        fail(b);
    else
        scalar(b, json_integer(-1 - (json_int_t)n));
}

static void on_uint8(void *ctx, uint8_t v) { on_uint(ctx, v); }
static void on_uint16(void *ctx, uint16_t v) { on_uint(ctx, v); }
static void on_uint32(void *ctx, uint32_t v) { on_uint(ctx, v); }
static void on_negint8(void *ctx, uint8_t v) { on_negint(ctx, v); }
static void on_negint16(void *ctx, uint16_t v) { on_negint(ctx, v); }
static void on_negint32(void *ctx, uint32_t v) { on_negint(ctx, v); }

/* jansson has no NaN or infinity either: json_real gives NULL for them. */
static void on_double(void *ctx, double v) { scalar(ctx, json_real(v)); }
static void on_float(void *ctx, float v) { on_double(ctx, v); }
static void on_bool(void *ctx, bool v) { scalar(ctx, json_boolean(v)); }
static void on_null(void *ctx) { scalar(ctx, json_null()); }

/* What OpenTrackIO has no use for: byte strings, undefined. */
static void on_refused(void *ctx) { fail(ctx); }
static void on_refused_bytes(void *ctx, cbor_data data, size_t len)
{
    (void)data;
    (void)len;
    fail(ctx);
}

static void on_string(void *ctx, cbor_data data, size_t len)
{
    struct builder *b = ctx;
    if (!b->in_string) {
        scalar(b, text(data, len));
        return;
    }
    /* A chunk of an indefinite-length string. */
    b->text = vl_xrealloc(b->text, b->text_len + len + 1);
    memcpy(b->text + b->text_len, data, len);
    b->text_len += len;
}

static void on_string_start(void *ctx)
{
    struct builder *b = ctx;
    if (b->in_string || b->failed || b->done) {
        fail(b);
        return;
    }
    b->in_string = true;
    b->text_len = 0;
}

static void on_array_start(void *ctx, size_t n) { start(ctx, json_array(), false, n, false); }
static void on_indef_array_start(void *ctx) { start(ctx, json_array(), true, 0, false); }
static void on_map_start(void *ctx, size_t n) { start(ctx, json_object(), false, n, true); }
static void on_indef_map_start(void *ctx) { start(ctx, json_object(), true, 0, true); }

static void on_tag(void *ctx, uint64_t tag)
{
    struct builder *b = ctx;
    if (tag != TAG_SELF_DESCRIBED || b->in_string || b->done)
        fail(b);
    else
        b->tagged = true;
}

/* The end of an indefinite-length string, map (not between a key and its
 * value) or array. */
static void on_break(void *ctx)
{
    struct builder *b = ctx;
    if (b->tagged) {
        fail(b);
    } else if (b->in_string) {
        b->in_string = false;
        scalar(b, text(b->text ? b->text : "", b->text_len));
    } else if (b->depth > 0 && b->stack[b->depth - 1].indefinite && !b->stack[b->depth - 1].key) {
        b->depth--;
        finish(b);
    } else {
        fail(b);
    }
}

static const struct cbor_callbacks callbacks = {
    .uint8 = on_uint8, .uint16 = on_uint16, .uint32 = on_uint32, .uint64 = on_uint,
    .negint8 = on_negint8, .negint16 = on_negint16, .negint32 = on_negint32, .negint64 = on_negint,
    .byte_string_start = on_refused, .byte_string = on_refused_bytes,
    .string = on_string, .string_start = on_string_start,
    .indef_array_start = on_indef_array_start, .array_start = on_array_start,
    .indef_map_start = on_indef_map_start, .map_start = on_map_start,
    .tag = on_tag,
    .float2 = on_float, .float4 = on_float, .float8 = on_double,
    .undefined = on_refused, .null = on_null, .boolean = on_bool,
    .indef_break = on_break,
};

json_t *vl_otrk_cbor_to_json(const uint8_t *data, size_t len)
{
    struct builder b = { .depth = 0 };
    size_t off = 0;
    while (off < len && !b.failed && !b.done) {
        struct cbor_decoder_result r = cbor_stream_decode(data + off, len - off, &callbacks, &b);
        if (r.status != CBOR_DECODER_FINISHED || r.read == 0)
            fail(&b);
        off += r.read;
    }
    /* Bytes after the item are refused, as jansson refuses text after JSON. */
    bool ok = !b.failed && b.done && off == len;
    for (int i = 0; i < b.depth; i++)
        json_decref(b.stack[i].key);
    free(b.text);
    if (ok)
        return b.root;
    json_decref(b.root);
    return NULL;
}

/* ---- encoding ------------------------------------------------------------- */

static size_t write_text(const char *s, size_t len, uint8_t *out, size_t cap)
{
    size_t n = cbor_encode_string_start(len, out, cap);
    if (!n || cap - n < len)
        return 0;
    memcpy(out + n, s, len);
    return n + len;
}

static size_t write_item(const json_t *v, uint8_t *out, size_t cap, int depth)
{
    size_t n = 0, k;
    const char *key;
    json_t *value;
    size_t i;
    if (depth > VL_OTRK_CBOR_MAX_DEPTH)
        return 0;
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        n = cbor_encode_map_start(json_object_size(v), out, cap);
        json_object_foreach((json_t *)v, key, value) {
            if (!n || !(k = write_text(key, strlen(key), out + n, cap - n)))
                return 0;
            n += k;
            if (!(k = write_item(value, out + n, cap - n, depth + 1)))
                return 0;
            n += k;
        }
        return n;
    case JSON_ARRAY:
        n = cbor_encode_array_start(json_array_size(v), out, cap);
        json_array_foreach(v, i, value) {
            if (!n || !(k = write_item(value, out + n, cap - n, depth + 1)))
                return 0;
            n += k;
        }
        return n;
    case JSON_STRING:
        return write_text(json_string_value(v), json_string_length(v), out, cap);
    case JSON_INTEGER: {
        json_int_t x = json_integer_value(v);
        return x >= 0 ? cbor_encode_uint((uint64_t)x, out, cap)
                      : cbor_encode_negint((uint64_t)(-1 - x), out, cap);
    }
    case JSON_REAL:
        return cbor_encode_double(json_real_value(v), out, cap);
    case JSON_TRUE:
    case JSON_FALSE:
        return cbor_encode_bool(json_is_true(v), out, cap);
    case JSON_NULL:
        return cbor_encode_null(out, cap);
    }
    return 0;
}

size_t vl_otrk_json_to_cbor(const json_t *v, uint8_t *out, size_t cap)
{
    return v ? write_item(v, out, cap, 1) : 0;
}
