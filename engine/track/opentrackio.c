/* OpenTrackIO (SMPTE RIS-OSVP) over UDP: the 16-byte datagram header,
 * sequence numbers, reassembly of segmented messages, and the sample read
 * from a JSON (jansson) or CBOR (opentrackio_cbor.c, into the same jansson
 * value) payload. The contract is in track.h; here, why it is so.
 *
 * Reassembly follows the spec's reference receiver (opentrackio_receiver.py
 * in SMPTE's camdkit) and Unreal's LiveLinkOpenTrackIO: the reference
 * sender gives every datagram its own sequence number, so segments cannot
 * be matched by number; they are appended in arrival order while each
 * starts where the message so far ends. One message is in progress per
 * parser, in one buffer allocated with it. */
#include "track/track.h"
#include "track/opentrackio_cbor.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "track"
#define MAGIC "OTrk"
#define LAST_SEGMENT 0x8000
#define MAX_SEGMENT_PAYLOAD 0x7FFF      /* 15-bit payload length */
#define CHECKSUM_OFFSET 14              /* the checksum covers the header
                                           bytes before it */
#define MAX_MESSAGE 65536
/* Sequence numbers remembered behind the newest: a repeat among them is a
 * duplicate (multicast over two paths repeats within a few datagrams). */
#define SEQUENCE_WINDOW 32
/* The largest forward jump counted as lost datagrams; a larger one, either
 * way round the 16-bit circle, is a sender that restarted. */
#define MAX_GAP 1024
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

struct header {
    uint8_t encoding;
    uint16_t sequence;
    uint32_t offset;
    bool last;
    uint16_t length;
};

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

enum rx_state {
    RX_IDLE,                            /* between messages */
    RX_OPEN,                            /* a segmented message in progress */
    RX_DISCARDING,                      /* a broken message's segments keep
                                           coming: ignored, counted once */
};

struct vl_otrk_parser {
    bool have_sequence;
    uint16_t newest;                    /* highest sequence number so far */
    uint32_t seen;                      /* bit i: newest - i arrived */

    enum rx_state state;
    uint8_t encoding;                   /* of the message in progress */
    uint32_t received;                  /* its bytes so far */
    uint8_t *data;                      /* MAX_MESSAGE bytes */

    struct source_statics sources[MAX_SOURCES];
    int n_sources, next_source;         /* reused round robin when full */
};

vl_otrk_parser *vl_otrk_parser_create(void)
{
    vl_otrk_parser *p = vl_xcalloc(1, sizeof(*p));
    p->data = vl_xmalloc(MAX_MESSAGE);
    return p;
}

void vl_otrk_parser_destroy(vl_otrk_parser *p)
{
    if (!p)
        return;
    free(p->data);
    free(p);
}

static void report(const vl_track_sink *sink, enum vl_track_error e)
{
    if (sink->error)
        sink->error(sink->ctx, e);
}

static void note(const vl_track_sink *sink, enum vl_track_event e, uint32_t n)
{
    if (sink->event)
        sink->event(sink->ctx, e, n);
}

/* ---- datagram header ------------------------------------------------------ */

/* Fletcher-16 "with a modulus of 256" (the spec's header table and its
 * reference code, uint8_t sums); like every header field it travels
 * big-endian, so sum2 is the first checksum byte on the wire. */
struct fletcher {
    uint8_t sum1, sum2;
};

static void fletcher_add(struct fletcher *f, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        f->sum1 = (uint8_t)(f->sum1 + data[i]);
        f->sum2 = (uint8_t)(f->sum2 + f->sum1);
    }
}

uint16_t vl_fletcher16(const uint8_t *data, size_t len)
{
    struct fletcher f = { 0, 0 };
    if (data)
        fletcher_add(&f, data, len);
    return (uint16_t)(f.sum2 << 8 | f.sum1);
}

/* Over the header up to the checksum, then the payload. */
static uint16_t datagram_checksum(const uint8_t *header, const uint8_t *payload, size_t len)
{
    struct fletcher f = { 0, 0 };
    fletcher_add(&f, header, CHECKSUM_OFFSET);
    fletcher_add(&f, payload, len);
    return (uint16_t)(f.sum2 << 8 | f.sum1);
}

static uint16_t get_u16(const uint8_t *b)
{
    return (uint16_t)(b[0] << 8 | b[1]);
}

static void put_u16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

/* The checks run in the order that names the real problem: a datagram that
 * is not OpenTrackIO at all is a bad type, not a bad checksum. */
static bool read_header(const uint8_t *buf, size_t len, struct header *h,
                        enum vl_track_error *err)
{
    if (!buf || len < VL_OTRK_HEADER_SIZE) {
        *err = VL_TRACK_BAD_LENGTH;
        return false;
    }
    if (memcmp(buf, MAGIC, 4)) {
        *err = VL_TRACK_BAD_TYPE;
        return false;
    }
    uint16_t flags_len = get_u16(buf + 12);
    *h = (struct header){
        .encoding = buf[5],
        .sequence = get_u16(buf + 6),
        .offset = (uint32_t)get_u16(buf + 8) << 16 | get_u16(buf + 10),
        .last = flags_len & LAST_SEGMENT,
        .length = flags_len & MAX_SEGMENT_PAYLOAD,
    };
    if (h->length != len - VL_OTRK_HEADER_SIZE) {
        *err = VL_TRACK_BAD_LENGTH;
        return false;
    }
    if (get_u16(buf + CHECKSUM_OFFSET) != datagram_checksum(buf, buf + VL_OTRK_HEADER_SIZE,
                                                            h->length)) {
        *err = VL_TRACK_BAD_CHECKSUM;
        return false;
    }
    return true;
}

/* a - b in sequence-number space (wraps at 16 bits). */
static int seq_diff(uint16_t a, uint16_t b)
{
    int d = (a - b) & 0xFFFF;
    return d >= 0x8000 ? d - 0x10000 : d;
}

/* False when the datagram is to be ignored: a duplicate (counted), or a late
 * one behind the newest, whose place was counted as lost when the newer one
 * came and whose pose would be stamped after newer poses. */
static bool fresh_sequence(vl_otrk_parser *p, uint16_t sequence, const vl_track_sink *sink)
{
    int d = seq_diff(sequence, p->newest);
    if (p->have_sequence && d <= 0 && d > -SEQUENCE_WINDOW) {
        if (p->seen >> -d & 1)
            report(sink, VL_TRACK_DUPLICATE);
        return false;
    }
    if (p->have_sequence && d > 0 && d <= MAX_GAP) {
        if (d > 1)
            note(sink, VL_TRACK_LOST, (uint32_t)(d - 1));
        p->seen = d < SEQUENCE_WINDOW ? p->seen << d | 1 : 1;
    } else {
        p->seen = 1;                    /* the first datagram, or a restart */
    }
    p->have_sequence = true;
    p->newest = sequence;
    return true;
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
    return json_is_object(t) && (!id || json_is_string(id)) &&
           object_field(t, "translation", &translation) == FIELD_OK &&
           object_field(t, "rotation", &rotation) == FIELD_OK &&
           required_numbers(translation, xyz, 3, pos) &&
           required_numbers(rotation, angles, 3, ptr);
}

/* OpenTrackIO composes the transforms in order, each a child of the one
 * before it, the last being the camera sensor: world = T0 * T1 * ... Tn.
 * Angles follow the stage convention (ARCHITECTURE.md: it is OpenTrackIO's
 * too); "scale" is ignored, camera rigs do not scale. */
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

static struct source_statics *find_source(vl_otrk_parser *p, int source)
{
    for (int i = 0; i < p->n_sources; i++) {
        if (p->sources[i].source == source)
            return &p->sources[i];
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
static void keep_static(vl_otrk_parser *p, int source, const struct statics *st)
{
    static const struct statics none;
    struct source_statics *e = find_source(p, source);
    if (!memcmp(e ? &e->st : &none, st, sizeof(*st)))
        return;
    if (!e) {
        if (p->n_sources < MAX_SOURCES) {
            e = &p->sources[p->n_sources++];
        } else {
            e = &p->sources[p->next_source];
            p->next_source = (p->next_source + 1) % MAX_SOURCES;
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
static bool read_lens(const json_t *root, const struct statics *st, vl_sample *s)
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
    if (focal > 0 && st->sensor_w_mm > 0)
        s->fov_h_deg = 2 * atan(st->sensor_w_mm / (2 * focal)) * RAD_TO_DEG;
    return true;
}

/* ---- messages ------------------------------------------------------------- */

/* A whole message: a sample and/or static data, or why it was dropped. */
static void use_message(vl_otrk_parser *p, const json_t *root, const vl_track_sink *sink)
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
    const struct source_statics *e = find_source(p, (int)source);
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
        ok = read_transforms(root, &s.pose) && read_timing(root, &s) && read_lens(root, &st, &s);
    if (!ok) {
        report(sink, VL_TRACK_MALFORMED);
        return;
    }
    if (has_static) {
        keep_static(p, (int)source, &st);
        note(sink, VL_TRACK_STATIC, 1);
    }
    if (sample && sink->sample)
        sink->sample(sink->ctx, &s);
}

static void decode(vl_otrk_parser *p, uint8_t encoding, const uint8_t *payload, size_t len,
                   const vl_track_sink *sink)
{
    json_error_t err;
    json_t *root = encoding == VL_OTRK_CBOR ? vl_otrk_cbor_to_json(payload, len)
                                            : json_loadb((const char *)payload, len, 0, &err);
    if (root)
        use_message(p, root, sink);
    else
        report(sink, VL_TRACK_MALFORMED);
    json_decref(root);
}

/* ---- reassembly ----------------------------------------------------------- */

static void reassemble(vl_otrk_parser *p, const struct header *h, const uint8_t *payload,
                       const vl_track_sink *sink)
{
    if (h->offset == 0) {
        if (p->state == RX_OPEN)
            report(sink, VL_TRACK_SEGMENT);     /* its last segment never came */
        p->state = RX_IDLE;
        /* The common case, a whole message in one datagram, needs no copy. */
        if (h->last) {
            decode(p, h->encoding, payload, h->length, sink);
            return;
        }
        memcpy(p->data, payload, h->length);
        p->received = h->length;
        p->encoding = h->encoding;
        p->state = RX_OPEN;
        return;
    }
    if (p->state == RX_DISCARDING)
        return;
    /* A segment of a message whose start was lost, one after a lost
     * segment, or one that would pass MAX_MESSAGE. */
    if (p->state != RX_OPEN || h->offset != p->received || h->encoding != p->encoding ||
        h->length > MAX_MESSAGE - p->received) {
        report(sink, VL_TRACK_SEGMENT);
        p->state = RX_DISCARDING;
        return;
    }
    memcpy(p->data + p->received, payload, h->length);
    p->received += h->length;
    if (h->last) {
        p->state = RX_IDLE;
        decode(p, p->encoding, p->data, p->received, sink);
    }
}

void vl_otrk_parse(vl_otrk_parser *p, const uint8_t *buf, size_t len, const vl_track_sink *sink)
{
    struct header h;
    enum vl_track_error err;
    if (!read_header(buf, len, &h, &err)) {
        report(sink, err);
        return;
    }
    /* Sequence numbers first: they count every datagram of the sender,
     * whatever its encoding. */
    if (!fresh_sequence(p, h.sequence, sink))
        return;
    if (h.encoding != VL_OTRK_JSON && h.encoding != VL_OTRK_CBOR) {
        report(sink, VL_TRACK_BAD_TYPE);        /* OTP, vendor encodings */
        return;
    }
    reassemble(p, &h, buf + VL_OTRK_HEADER_SIZE, sink);
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
        "rotation", "pan", p->pan_deg, "tilt", p->tilt_deg, "roll", p->roll_deg);
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
    uint8_t *buf = root ? vl_xmalloc(MAX_MESSAGE) : NULL;
    *len = root ? vl_otrk_json_to_cbor(root, buf, MAX_MESSAGE) : 0;
    json_decref(root);
    if (*len == 0)
        vl_freep(&buf);
    return buf;
}

static void write_header(uint8_t *d, enum vl_otrk_encoding encoding, uint16_t sequence,
                         uint32_t offset, bool last, uint16_t length)
{
    memcpy(d, MAGIC, 4);
    d[4] = 0;
    d[5] = (uint8_t)encoding;
    put_u16(d + 6, sequence);
    put_u16(d + 8, (uint16_t)(offset >> 16));
    put_u16(d + 10, (uint16_t)offset);
    put_u16(d + 12, (uint16_t)(length | (last ? LAST_SEGMENT : 0)));
    put_u16(d + CHECKSUM_OFFSET, datagram_checksum(d, d + VL_OTRK_HEADER_SIZE, length));
}

int vl_otrk_segment(const uint8_t *payload, size_t len, enum vl_otrk_encoding encoding,
                    uint16_t *sequence, size_t max_datagram,
                    void (*emit)(void *ctx, const uint8_t *dgram, size_t n), void *ctx)
{
    if (max_datagram <= VL_OTRK_HEADER_SIZE || len > MAX_MESSAGE)
        return 0;
    size_t room = max_datagram - VL_OTRK_HEADER_SIZE;
    if (room > MAX_SEGMENT_PAYLOAD)
        room = MAX_SEGMENT_PAYLOAD;
    uint8_t *dgram = vl_xmalloc(VL_OTRK_HEADER_SIZE + room);
    int n = 0;
    size_t offset = 0;
    do {
        size_t chunk = len - offset < room ? len - offset : room;
        memcpy(dgram + VL_OTRK_HEADER_SIZE, payload + offset, chunk);
        write_header(dgram, encoding, (*sequence)++, (uint32_t)offset, offset + chunk == len,
                     (uint16_t)chunk);
        emit(ctx, dgram, VL_OTRK_HEADER_SIZE + chunk);
        offset += chunk;
        n++;
    } while (offset < len);
    free(dgram);
    return n;
}
