/* OpenTrackIO (SMPTE RIS-OSVP) over UDP: the 16-byte datagram header,
 * reassembly of segmented messages, and the JSON sample (jansson).
 *
 * Reassembly is bounded: at most MAX_OPEN messages are being put together
 * at once, each at most MAX_MESSAGE bytes in at most MAX_SEGMENTS pieces,
 * with all buffers allocated when the parser is created. A message is
 * dropped, and counted as VL_TRACK_SEGMENT once, when
 *   - a newer message completes while it is still missing pieces (a late
 *     pose is worse than none: it would be stamped after newer ones),
 *   - a further message needs its slot and it is the oldest one open,
 *   - a piece of it contradicts the others (overlaps one with a different
 *     length, moves the end, passes MAX_MESSAGE), or
 *   - a piece of it arrives after a newer message already completed.
 * A dropped message leaves a tombstone, so its later pieces are ignored
 * instead of being counted again. */
#include "track/track.h"

#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "OTrk"
#define ENCODING_JSON 0x01
#define ENCODING_CBOR 0x02
#define LAST_SEGMENT 0x8000
#define MAX_SEGMENT_PAYLOAD 0x7FFF      /* 15-bit payload length */
#define CHECKSUM_OFFSET 14              /* the checksum covers the header
                                           bytes before it */
#define MAX_MESSAGE 65536
#define MAX_OPEN 4
#define MAX_SEGMENTS 256
/* How far back (in sequence numbers) a piece still counts as a late piece
 * of an old message rather than the start of a new stream, e.g. a
 * restarted sender counting from 0 again. */
#define REORDER_WINDOW 64
#define MAX_CAMERAS 16                  /* sensor widths remembered */
#define MAX_TRANSFORMS 32

/* Sensor width the encoder writes with a FOV: full-frame 36 x 24 mm. */
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

struct segment {
    uint32_t offset, length;
};

enum slot_state { SLOT_FREE, SLOT_OPEN, SLOT_DROPPED };

/* One message being put back together (or the tombstone of a dropped one). */
struct slot {
    enum slot_state state;
    uint16_t sequence;
    uint64_t opened;                    /* parser->clock when it was opened */
    bool have_end;
    uint32_t end;                       /* message size, known from the last
                                           segment */
    uint32_t received;                  /* bytes so far; segments never
                                           overlap, so complete means
                                           received == end */
    int n_segments;
    struct segment segments[MAX_SEGMENTS];
    uint8_t *data;                      /* MAX_MESSAGE bytes */
};

/* Sensor width from a message's static data, kept for later samples of the
 * same source: static data is sent less often than every sample. */
struct sensor_entry {
    int camera;
    double width_mm;
};

struct vl_otrk_parser {
    struct slot slots[MAX_OPEN];
    uint64_t clock;
    bool have_done;
    uint16_t last_done;                 /* newest completed sequence */
    struct sensor_entry sensors[MAX_CAMERAS];
    int n_sensors, next_sensor;         /* reused round robin when full */
};

vl_otrk_parser *vl_otrk_parser_create(void)
{
    vl_otrk_parser *p = vl_xcalloc(1, sizeof(*p));
    for (int i = 0; i < MAX_OPEN; i++)
        p->slots[i].data = vl_xmalloc(MAX_MESSAGE);
    return p;
}

void vl_otrk_parser_destroy(vl_otrk_parser *p)
{
    if (!p)
        return;
    for (int i = 0; i < MAX_OPEN; i++)
        free(p->slots[i].data);
    free(p);
}

static void report(const vl_track_sink *sink, enum vl_track_error e)
{
    if (sink->error)
        sink->error(sink->ctx, e);
}

/* ---- datagram header ------------------------------------------------------ */

/* Fletcher-16: two running sums mod 255, the second summing the first;
 * the value is (sum2 << 8) | sum1. Like every header field it travels
 * big-endian, so sum2 is the first checksum byte on the wire. */
struct fletcher {
    uint32_t sum1, sum2;
};

static void fletcher_add(struct fletcher *f, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        f->sum1 = (f->sum1 + data[i]) % 255;
        f->sum2 = (f->sum2 + f->sum1) % 255;
    }
}

uint16_t vl_fletcher16(const uint8_t *data, size_t len)
{
    struct fletcher f = { 0, 0 };
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
    /* CBOR is valid OpenTrackIO, but volym has no CBOR decoder. */
    if (h->encoding != ENCODING_JSON) {
        *err = VL_TRACK_BAD_TYPE;
        return false;
    }
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

/* ---- lens ----------------------------------------------------------------- */

static double *sensor_width(vl_otrk_parser *p, int camera, bool create)
{
    for (int i = 0; i < p->n_sensors; i++) {
        if (p->sensors[i].camera == camera)
            return &p->sensors[i].width_mm;
    }
    if (!create)
        return NULL;
    struct sensor_entry *e;
    if (p->n_sensors < MAX_CAMERAS) {
        e = &p->sensors[p->n_sensors++];
    } else {
        e = &p->sensors[p->next_sensor];
        p->next_sensor = (p->next_sensor + 1) % MAX_CAMERAS;
    }
    *e = (struct sensor_entry){ .camera = camera };
    return &e->width_mm;
}

/* static.camera.activeSensorPhysicalDimensions, remembered per camera. */
static bool read_sensor(vl_otrk_parser *p, const json_t *root, int camera)
{
    json_t *stat, *cam, *dims;
    double width, height;
    enum field f = object_field(root, "static", &stat);
    if (f == FIELD_OK)
        f = object_field(stat, "camera", &cam);
    if (f == FIELD_OK)
        f = object_field(cam, "activeSensorPhysicalDimensions", &dims);
    if (f != FIELD_OK)
        return f == FIELD_ABSENT;
    if (number_field(dims, "width", 0, HUGE_VAL, &width) != FIELD_OK ||
        number_field(dims, "height", 0, HUGE_VAL, &height) != FIELD_OK)
        return false;
    if (width > 0)
        *sensor_width(p, camera, true) = width;
    return true;
}

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

/* FOV needs the focal length and the sensor width; with no sensor width
 * known (this sample or an earlier one of the camera) the FOV stays 0,
 * unknown, and the tracker's lens table or configured FOV applies. A guessed
 * sensor would give a confidently wrong FOV. */
static bool read_lens(vl_otrk_parser *p, const json_t *root, vl_sample *s)
{
    json_t *lens;
    double focal = 0;
    enum field f = object_field(root, "lens", &lens);
    if (f != FIELD_OK)
        return f == FIELD_ABSENT;
    if (number_field(lens, "pinholeFocalLength", 0, HUGE_VAL, &focal) == FIELD_BAD ||
        number_field(lens, "focusDistance", 0, HUGE_VAL, &s->focus_m) == FIELD_BAD ||
        !read_encoders(lens, s))
        return false;
    const double *width = sensor_width(p, s->camera, false);
    if (focal > 0 && width)
        s->fov_h_deg = 2 * atan(*width / (2 * focal)) * RAD_TO_DEG;
    return true;
}

/* ---- samples -------------------------------------------------------------- */

static bool read_sample(vl_otrk_parser *p, const json_t *root, vl_sample *s)
{
    json_int_t camera = 1;
    if (!json_is_object(root) ||
        integer_field(root, "sourceNumber", 0, INT_MAX, &camera) == FIELD_BAD)
        return false;
    *s = (vl_sample){ .camera = (int)camera };
    return read_transforms(root, &s->pose) && read_timing(root, s) &&
           read_sensor(p, root, s->camera) && read_lens(p, root, s);
}

static void decode(vl_otrk_parser *p, const uint8_t *payload, size_t len,
                   const vl_track_sink *sink)
{
    json_error_t err;
    json_t *root = json_loadb((const char *)payload, len, 0, &err);
    vl_sample s;
    bool ok = root && read_sample(p, root, &s);
    json_decref(root);
    if (!ok)
        report(sink, VL_TRACK_MALFORMED);
    else if (sink->sample)
        sink->sample(sink->ctx, &s);
}

/* ---- reassembly ----------------------------------------------------------- */

/* a - b in sequence-number space (wraps at 16 bits). */
static int seq_diff(uint16_t a, uint16_t b)
{
    int d = (a - b) & 0xFFFF;
    return d >= 0x8000 ? d - 0x10000 : d;
}

static struct slot *find_slot(vl_otrk_parser *p, uint16_t sequence)
{
    for (int i = 0; i < MAX_OPEN; i++) {
        if (p->slots[i].state != SLOT_FREE && p->slots[i].sequence == sequence)
            return &p->slots[i];
    }
    return NULL;
}

static void drop(struct slot *s, const vl_track_sink *sink)
{
    if (s->state == SLOT_OPEN)
        report(sink, VL_TRACK_SEGMENT);
    s->state = SLOT_DROPPED;
}

/* The oldest slot in `state`, or NULL. */
static struct slot *oldest(vl_otrk_parser *p, enum slot_state state)
{
    struct slot *best = NULL;
    for (int i = 0; i < MAX_OPEN; i++) {
        struct slot *s = &p->slots[i];
        if (s->state == state && (!best || s->opened < best->opened))
            best = s;
    }
    return best;
}

/* A slot for a new sequence: a free one, else the oldest tombstone, else
 * (only when evict) the oldest open message, which is dropped. */
static struct slot *claim_slot(vl_otrk_parser *p, uint16_t sequence, bool evict,
                               const vl_track_sink *sink)
{
    struct slot *s = oldest(p, SLOT_FREE);
    if (!s)
        s = oldest(p, SLOT_DROPPED);
    if (!s && evict) {
        s = oldest(p, SLOT_OPEN);
        drop(s, sink);
    }
    if (!s)
        return NULL;
    s->state = SLOT_OPEN;
    s->sequence = sequence;
    s->opened = p->clock++;
    s->have_end = false;
    s->end = 0;
    s->received = 0;
    s->n_segments = 0;
    return s;
}

static bool overlaps(const struct segment *a, uint32_t offset, uint32_t length)
{
    return offset < a->offset + a->length && a->offset < offset + length;
}

/* False when the segment contradicts what the message already holds. */
static bool add_segment(struct slot *s, const struct header *h, const uint8_t *payload)
{
    if (h->offset > (uint32_t)MAX_MESSAGE - h->length)
        return false;
    uint32_t end = h->offset + h->length;
    for (int i = 0; i < s->n_segments; i++) {
        const struct segment *seg = &s->segments[i];
        if (seg->offset == h->offset && seg->length == h->length)
            return !h->last || (s->have_end && s->end == end);   /* repeated datagram */
        if (overlaps(seg, h->offset, h->length) || (h->last && seg->offset + seg->length > end))
            return false;
    }
    if ((s->have_end && (h->last ? end != s->end : end > s->end)) ||
        s->n_segments == MAX_SEGMENTS)
        return false;
    if (h->last) {
        s->have_end = true;
        s->end = end;
    }
    memcpy(s->data + h->offset, payload, h->length);
    s->segments[s->n_segments++] = (struct segment){ h->offset, h->length };
    s->received += h->length;
    return true;
}

/* A message is complete: decode it, and drop every message older than it
 * still waiting for pieces. */
static void complete(vl_otrk_parser *p, uint16_t sequence, const uint8_t *payload, size_t len,
                     const vl_track_sink *sink)
{
    decode(p, payload, len, sink);
    if (!p->have_done || seq_diff(sequence, p->last_done) > 0) {
        p->have_done = true;
        p->last_done = sequence;
    }
    for (int i = 0; i < MAX_OPEN; i++) {
        struct slot *s = &p->slots[i];
        if (s->state == SLOT_OPEN && seq_diff(s->sequence, sequence) < 0)
            drop(s, sink);
        else if (s->state == SLOT_DROPPED && seq_diff(s->sequence, p->last_done) <= -REORDER_WINDOW)
            s->state = SLOT_FREE;
    }
}

static void reassemble(vl_otrk_parser *p, const struct header *h, const uint8_t *payload,
                       const vl_track_sink *sink)
{
    struct slot *s = find_slot(p, h->sequence);
    if (s && s->state == SLOT_DROPPED)
        return;
    if (!s && p->have_done) {
        int age = seq_diff(h->sequence, p->last_done);
        if (age == 0)
            return;                     /* a repeat of the completed message */
        if (age < 0 && age > -REORDER_WINDOW) {
            /* A piece of a message older than one already complete. */
            report(sink, VL_TRACK_SEGMENT);
            s = claim_slot(p, h->sequence, false, sink);
            if (s)
                s->state = SLOT_DROPPED;
            return;
        }
    }
    if (!s)
        s = claim_slot(p, h->sequence, true, sink);
    if (!add_segment(s, h, payload)) {
        drop(s, sink);
        return;
    }
    if (s->have_end && s->received == s->end) {
        s->state = SLOT_FREE;
        complete(p, s->sequence, s->data, s->end, sink);
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
    const uint8_t *payload = buf + VL_OTRK_HEADER_SIZE;
    /* The common case, a whole message in one datagram, needs no copy. */
    if (h.offset == 0 && h.last && !find_slot(p, h.sequence))
        complete(p, h.sequence, payload, h.length, sink);
    else
        reassemble(p, &h, payload, sink);
}

/* ---- encoding ------------------------------------------------------------- */

/* False when v is not finite (jansson refuses those). */
static bool set_real(json_t *obj, const char *key, double v)
{
    return json_object_set_new(obj, key, json_real(v)) == 0;
}

static bool add_lens(json_t *root, const vl_sample *s)
{
    json_t *lens = json_object();
    bool ok = true;
    if (s->fov_h_deg > 0) {
        double focal = ENCODE_SENSOR_W_MM / (2 * tan(s->fov_h_deg * DEG_TO_RAD / 2));
        ok = set_real(lens, "pinholeFocalLength", focal) &&
             json_object_set_new(root, "static",
                                 json_pack("{s:{s:{s:f,s:f}}}", "camera",
                                           "activeSensorPhysicalDimensions",
                                           "width", ENCODE_SENSOR_W_MM,
                                           "height", ENCODE_SENSOR_H_MM)) == 0;
    }
    if (ok && s->focus_m > 0)
        ok = set_real(lens, "focusDistance", s->focus_m);
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

/* NULL when a value of the sample is not finite: JSON has no NaN. */
char *vl_otrk_encode_json(const vl_sample *s, uint32_t sequence)
{
    const vl_pose *p = &s->pose;
    json_t *root = json_pack(
        "{s:{s:s,s:[i,i,i]},s:i,s:{s:I},s:[{s:s,s:{s:f,s:f,s:f},s:{s:f,s:f,s:f}}]}",
        "protocol", "name", "OpenTrackIO", "version", 1, 0, 0,
        "sourceNumber", s->camera < 0 ? 0 : s->camera,
        "timing", "sequenceNumber", (json_int_t)sequence,
        "transforms", "id", "Camera",
        "translation", "x", p->pos[0], "y", p->pos[1], "z", p->pos[2],
        "rotation", "pan", p->pan_deg, "tilt", p->tilt_deg, "roll", p->roll_deg);
    char *text = NULL;
    if (root && add_lens(root, s) && add_timecode(json_object_get(root, "timing"), s))
        text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return text;
}

static void write_header(uint8_t *d, uint16_t sequence, uint32_t offset, bool last,
                         uint16_t length)
{
    memcpy(d, MAGIC, 4);
    d[4] = 0;
    d[5] = ENCODING_JSON;
    put_u16(d + 6, sequence);
    put_u16(d + 8, (uint16_t)(offset >> 16));
    put_u16(d + 10, (uint16_t)offset);
    put_u16(d + 12, (uint16_t)(length | (last ? LAST_SEGMENT : 0)));
    put_u16(d + CHECKSUM_OFFSET, datagram_checksum(d, d + VL_OTRK_HEADER_SIZE, length));
}

int vl_otrk_segment(const uint8_t *payload, size_t len, uint16_t sequence, size_t max_datagram,
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
        write_header(dgram, sequence, (uint32_t)offset, offset + chunk == len, (uint16_t)chunk);
        emit(ctx, dgram, VL_OTRK_HEADER_SIZE + chunk);
        offset += chunk;
        n++;
    } while (offset < len);
    free(dgram);
    return n;
}
