/* OSC tracking input: volym's own /volym/pose and /volym/lens, ZIG SIM's
 * ARKit pose and TDLiDAR's ARKit pose (address spaces in track.h).
 *
 * liblo decodes single messages; bundles are walked here, because liblo
 * only takes bundles apart inside its server and volym owns the socket.
 * Every datagram is untrusted: every length is checked against the bytes
 * that are really there, nesting is bounded, and per-sender state lives in
 * fixed tables, so no input makes the parser allocate more than one copy of
 * one message (inside liblo). */
#include "track/track.h"

#include <float.h>
#include <lo/lo.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define BUNDLE_TAG "#bundle"            /* with its NUL: 8 bytes */
#define BUNDLE_TAG_SIZE 8
#define BUNDLE_HEADER_SIZE 16           /* tag + 64-bit time tag */
#define MAX_BUNDLE_DEPTH 8
#define MAX_CAMERAS 16                  /* /volym/lens table */
#define MAX_ZIGSIM_DEVICES 16
#define ZIGSIM_ID_MAX 64                /* longer device ids are compared by
                                           their first 63 bytes */
#define MAX_NUMBERS 8                   /* the most numeric arguments of any
                                           address volym knows */

#define ZIGSIM_PREFIX "/ZIGSIM/"
#define TDLIDAR_PREFIX "/tdlidar/arpose/"

/* Raw lens encoders last sent for one camera with /volym/lens. */
struct lens_entry {
    int camera;
    uint32_t zoom, focus;
};

/* What one ZIG SIM device has sent since its last sample. */
enum { HAVE_POS = 1, HAVE_ROT = 2 };
struct zigsim_entry {
    char id[ZIGSIM_ID_MAX];
    unsigned have;
    double pos[3], quat[4];
};

/* TDLiDAR sends each coordinate in its own message. */
enum { HAVE_TX = 1, HAVE_TY = 2, HAVE_TZ = 4, HAVE_QUAT = 8, HAVE_ALL = 15 };

struct vl_osc_parser {
    struct lens_entry lens[MAX_CAMERAS];
    int n_lens, next_lens;              /* when full, entries are reused
                                           round robin */
    struct zigsim_entry zigsim[MAX_ZIGSIM_DEVICES];
    int n_zigsim, next_zigsim;
    struct {
        unsigned have;
        double pos[3], quat[4];
    } tdlidar;
};

vl_osc_parser *vl_osc_parser_create(void)
{
    return vl_xcalloc(1, sizeof(vl_osc_parser));
}

void vl_osc_parser_destroy(vl_osc_parser *p)
{
    free(p);
}

/* ---- ARKit -> stage ------------------------------------------------------- */

/* ARKit world is X right, Y up, -Z forward; stage is X right, Y forward,
 * Z up. */
static void arkit_to_stage(const double a[3], double s[3])
{
    s[0] = a[0];
    s[1] = -a[2];
    s[2] = a[1];
}

vl_pose vl_arkit_to_pose(const double pos[3], const double quat[4])
{
    double x = quat[0], y = quat[1], z = quat[2], w = quat[3];
    double n = sqrt(x * x + y * y + z * z + w * w);
    if (!(n > 0) || !isfinite(n)) {
        x = y = z = 0;
        w = n = 1;
    }
    x /= n, y /= n, z /= n, w /= n;

    /* Columns of the rotation matrix: the camera's local X, Y, Z in ARKit
     * world. The camera looks along its -Z with +Y up. */
    const double col_x[3] = { 1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y) };
    const double col_y[3] = { 2 * (x * y - w * z), 1 - 2 * (x * x + z * z), 2 * (y * z + w * x) };
    const double col_z[3] = { 2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y) };
    const double back[3] = { -col_z[0], -col_z[1], -col_z[2] };

    vl_basis b;
    arkit_to_stage(col_x, b.right);
    arkit_to_stage(back, b.forward);
    arkit_to_stage(col_y, b.up);

    vl_pose pose;
    arkit_to_stage(pos, pose.pos);
    vl_basis_to_ptr(&b, &pose.pan_deg, &pose.tilt_deg, &pose.roll_deg);
    return pose;
}

/* ---- emitting samples ----------------------------------------------------- */

static struct lens_entry *find_lens(vl_osc_parser *p, int camera)
{
    for (int i = 0; i < p->n_lens; i++) {
        if (p->lens[i].camera == camera)
            return &p->lens[i];
    }
    return NULL;
}

static void set_lens(vl_osc_parser *p, int camera, uint32_t zoom, uint32_t focus)
{
    struct lens_entry *e = find_lens(p, camera);
    if (!e) {
        if (p->n_lens < MAX_CAMERAS) {
            e = &p->lens[p->n_lens++];
        } else {
            e = &p->lens[p->next_lens];
            p->next_lens = (p->next_lens + 1) % MAX_CAMERAS;
        }
    }
    *e = (struct lens_entry){ .camera = camera, .zoom = zoom, .focus = focus };
}

/* Every sample of a camera carries the encoders its last /volym/lens sent,
 * whichever address space the pose came from. */
static void emit(vl_osc_parser *p, const vl_track_sink *sink, int camera, const vl_pose *pose,
                 double fov_h_deg)
{
    vl_sample s = { .camera = camera, .pose = *pose, .fov_h_deg = fov_h_deg };
    const struct lens_entry *lens = find_lens(p, camera);
    if (lens) {
        s.has_encoders = true;
        s.zoom = lens->zoom;
        s.focus = lens->focus;
    }
    if (sink->sample)
        sink->sample(sink->ctx, &s);
}

static void report(const vl_track_sink *sink, enum vl_track_error e)
{
    if (sink->error)
        sink->error(sink->ctx, e);
}

/* ---- arguments ------------------------------------------------------------ */

/* The arguments of m as finite numbers, each sent as i, h, f or d. False
 * when there are more than MAX_NUMBERS or one is not such a number. */
static bool get_numbers(lo_message m, double *out, int *n)
{
    const char *types = lo_message_get_types(m);
    int argc = lo_message_get_argc(m);
    if (argc > MAX_NUMBERS)
        return false;
    lo_arg **argv = lo_message_get_argv(m);
    for (int i = 0; i < argc; i++) {
        /* memcpy: liblo leaves 8-byte values at 4-byte aligned offsets. */
        int32_t i32;
        int64_t i64;
        float f;
        switch (types[i]) {
        case LO_INT32: memcpy(&i32, argv[i], sizeof(i32)); out[i] = i32; break;
        case LO_INT64: memcpy(&i64, argv[i], sizeof(i64)); out[i] = (double)i64; break;
        case LO_FLOAT: memcpy(&f, argv[i], sizeof(f)); out[i] = f; break;
        case LO_DOUBLE: memcpy(&out[i], argv[i], sizeof(double)); break;
        default: return false;
        }
        if (!isfinite(out[i]))
            return false;
    }
    *n = argc;
    return true;
}

/* A number that must be a whole value in [0, max] (ids and raw encoders may
 * arrive as floats from tools that only send floats). */
static bool whole(double v, double max)
{
    return v >= 0 && v <= max && v == floor(v);
}

/* A quaternion needs a length that can be normalised away. */
static bool usable_quat(const double q[4])
{
    double n2 = q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3];
    return n2 > 1e-12 && isfinite(n2);
}

/* ---- address spaces ------------------------------------------------------- */

enum addr_kind {
    ADDR_UNKNOWN,
    ADDR_VOLYM_POSE,
    ADDR_VOLYM_LENS,
    ADDR_ZIGSIM_POSITION,
    ADDR_ZIGSIM_ROTATION,
    ADDR_TDLIDAR_AXIS,
    ADDR_TDLIDAR_QUAT,
};

/* What an address names: the handler, ZIG SIM's device id (not
 * NUL-terminated) or TDLiDAR's axis. */
struct address {
    enum addr_kind kind;
    const char *id;
    size_t id_len;
    int axis;
};

static bool has_prefix(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* ZIG SIM streams much more than ARKit under /ZIGSIM/<id>/ (gyro, touch,
 * ...): those addresses are simply not tracking data, so they stay
 * ADDR_UNKNOWN. */
static struct address zigsim_address(const char *path)
{
    struct address a = { .kind = ADDR_UNKNOWN };
    const char *id = path + strlen(ZIGSIM_PREFIX);
    const char *slash = strchr(id, '/');
    if (!slash || slash == id)
        return a;
    if (!strcmp(slash + 1, "arkitposition"))
        a.kind = ADDR_ZIGSIM_POSITION;
    else if (!strcmp(slash + 1, "arkitrotation"))
        a.kind = ADDR_ZIGSIM_ROTATION;
    a.id = id;
    a.id_len = (size_t)(slash - id);
    return a;
}

static struct address tdlidar_address(const char *path)
{
    static const char *const axes[3] = { "tx", "ty", "tz" };
    const char *what = path + strlen(TDLIDAR_PREFIX);
    for (int i = 0; i < 3; i++) {
        if (!strcmp(what, axes[i]))
            return (struct address){ .kind = ADDR_TDLIDAR_AXIS, .axis = i };
    }
    if (!strcmp(what, "quat"))
        return (struct address){ .kind = ADDR_TDLIDAR_QUAT };
    return (struct address){ .kind = ADDR_UNKNOWN };
}

static struct address parse_address(const char *path)
{
    if (!strcmp(path, "/volym/pose"))
        return (struct address){ .kind = ADDR_VOLYM_POSE };
    if (!strcmp(path, "/volym/lens"))
        return (struct address){ .kind = ADDR_VOLYM_LENS };
    if (has_prefix(path, ZIGSIM_PREFIX))
        return zigsim_address(path);
    if (has_prefix(path, TDLIDAR_PREFIX))
        return tdlidar_address(path);
    return (struct address){ .kind = ADDR_UNKNOWN };
}

/* The camera id in a ZIG SIM device id: the id itself when it is a plain
 * number (users name devices "1", "2" for this), else camera 1. */
static int zigsim_camera(const char *id, size_t len)
{
    if (len > 9)
        return 1;
    int camera = 0;
    for (size_t i = 0; i < len; i++) {
        if (id[i] < '0' || id[i] > '9')
            return 1;
        camera = camera * 10 + (id[i] - '0');
    }
    return camera;
}

static struct zigsim_entry *zigsim_device(vl_osc_parser *p, const char *id, size_t len)
{
    char key[ZIGSIM_ID_MAX];
    size_t n = len < sizeof(key) - 1 ? len : sizeof(key) - 1;
    memcpy(key, id, n);
    key[n] = '\0';
    for (int i = 0; i < p->n_zigsim; i++) {
        if (!strcmp(p->zigsim[i].id, key))
            return &p->zigsim[i];
    }
    struct zigsim_entry *e;
    if (p->n_zigsim < MAX_ZIGSIM_DEVICES) {
        e = &p->zigsim[p->n_zigsim++];
    } else {
        e = &p->zigsim[p->next_zigsim];
        p->next_zigsim = (p->next_zigsim + 1) % MAX_ZIGSIM_DEVICES;
    }
    *e = (struct zigsim_entry){ 0 };
    memcpy(e->id, key, n + 1);
    return e;
}

static bool volym_pose(vl_osc_parser *p, const double *v, int n, const vl_track_sink *sink)
{
    if ((n != 7 && n != 8) || !whole(v[0], INT32_MAX))
        return false;
    double fov = n == 8 ? v[7] : 0;
    if (n == 8 && !(fov > 0 && fov < 180))
        return false;
    vl_pose pose = { .pos = { v[1], v[2], v[3] }, .pan_deg = v[4], .tilt_deg = v[5],
                     .roll_deg = v[6] };
    emit(p, sink, (int)v[0], &pose, fov);
    return true;
}

static bool volym_lens(vl_osc_parser *p, const double *v, int n)
{
    if (n != 3 || !whole(v[0], INT32_MAX) || !whole(v[1], UINT32_MAX) ||
        !whole(v[2], UINT32_MAX))
        return false;
    set_lens(p, (int)v[0], (uint32_t)v[1], (uint32_t)v[2]);
    return true;
}

/* Position and rotation arrive as two messages; a sample is made once both
 * have come since the last one. */
static bool zigsim(vl_osc_parser *p, const struct address *a, const double *v, int n,
                   const vl_track_sink *sink)
{
    bool is_pos = a->kind == ADDR_ZIGSIM_POSITION;
    if (n != (is_pos ? 3 : 4) || (!is_pos && !usable_quat(v)))
        return false;
    struct zigsim_entry *dev = zigsim_device(p, a->id, a->id_len);
    if (is_pos) {
        memcpy(dev->pos, v, sizeof(dev->pos));
        dev->have |= HAVE_POS;
    } else {
        memcpy(dev->quat, v, sizeof(dev->quat));
        dev->have |= HAVE_ROT;
    }
    if (dev->have == (HAVE_POS | HAVE_ROT)) {
        dev->have = 0;
        vl_pose pose = vl_arkit_to_pose(dev->pos, dev->quat);
        emit(p, sink, zigsim_camera(a->id, a->id_len), &pose, 0);
    }
    return true;
}

static bool tdlidar(vl_osc_parser *p, const struct address *a, const double *v, int n,
                    const vl_track_sink *sink)
{
    if (a->kind == ADDR_TDLIDAR_AXIS) {
        if (n != 1)
            return false;
        p->tdlidar.pos[a->axis] = v[0];
        p->tdlidar.have |= HAVE_TX << a->axis;
    } else {
        if (n != 4 || !usable_quat(v))
            return false;
        memcpy(p->tdlidar.quat, v, sizeof(p->tdlidar.quat));
        p->tdlidar.have |= HAVE_QUAT;
    }
    if (p->tdlidar.have == HAVE_ALL) {
        p->tdlidar.have = 0;
        vl_pose pose = vl_arkit_to_pose(p->tdlidar.pos, p->tdlidar.quat);
        emit(p, sink, 1, &pose, 0);
    }
    return true;
}

/* Hands a decoded message of a known address to its handler; false when
 * its arguments do not fit the address. */
static bool handle(vl_osc_parser *p, const struct address *a, lo_message m,
                   const vl_track_sink *sink)
{
    double v[MAX_NUMBERS];
    int n;
    if (!get_numbers(m, v, &n))
        return false;
    switch (a->kind) {
    case ADDR_VOLYM_POSE: return volym_pose(p, v, n, sink);
    case ADDR_VOLYM_LENS: return volym_lens(p, v, n);
    case ADDR_ZIGSIM_POSITION:
    case ADDR_ZIGSIM_ROTATION: return zigsim(p, a, v, n, sink);
    case ADDR_TDLIDAR_AXIS:
    case ADDR_TDLIDAR_QUAT: return tdlidar(p, a, v, n, sink);
    case ADDR_UNKNOWN: break;
    }
    return false;
}

/* ---- messages and bundles ------------------------------------------------- */

/* liblo 0.31 reads a blob's 4-byte size before checking that 4 bytes are
 * left, so a message whose type tags name a blob is never handed to it: no
 * volym address takes a blob, so its address alone decides how it counts.
 * tags_size is what is left after the path. */
static bool names_blob(const uint8_t *tags, size_t tags_size)
{
    const uint8_t *nul = memchr(tags, '\0', tags_size);
    return tags_size > 0 && tags[0] == ',' && nul && memchr(tags, LO_BLOB, (size_t)(nul - tags));
}

static void parse_message(vl_osc_parser *p, const uint8_t *buf, size_t len,
                          const vl_track_sink *sink)
{
    /* liblo takes buffers as non-const; it only reads them. */
    const char *path = lo_get_path((void *)buf, (ssize_t)len);
    if (!path) {
        report(sink, VL_TRACK_MALFORMED);
        return;
    }
    struct address a = parse_address(path);
    size_t path_size = (strlen(path) / 4 + 1) * 4;
    if (names_blob(buf + path_size, len - path_size)) {
        report(sink, a.kind == ADDR_UNKNOWN ? VL_TRACK_UNKNOWN_ADDRESS : VL_TRACK_BAD_ARGS);
        return;
    }

    int result = 0;
    lo_message m = lo_message_deserialise((void *)buf, len, &result);
    if (!m) {
        report(sink, VL_TRACK_MALFORMED);
        return;
    }
    if (a.kind == ADDR_UNKNOWN)
        report(sink, VL_TRACK_UNKNOWN_ADDRESS);
    else if (!handle(p, &a, m, sink))
        report(sink, VL_TRACK_BAD_ARGS);
    lo_message_free(m);
}

static uint32_t get_u32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void parse_element(vl_osc_parser *p, const uint8_t *buf, size_t len,
                          const vl_track_sink *sink, int depth);

/* "#bundle", a time tag (ignored: samples are stamped on receipt), then
 * elements, each a big-endian int32 size and that many bytes. A bad size
 * ends the walk: nothing after it can be found again. */
static void parse_bundle(vl_osc_parser *p, const uint8_t *buf, size_t len,
                         const vl_track_sink *sink, int depth)
{
    if (depth >= MAX_BUNDLE_DEPTH || len < BUNDLE_HEADER_SIZE) {
        report(sink, VL_TRACK_MALFORMED);
        return;
    }
    size_t off = BUNDLE_HEADER_SIZE;
    while (off < len) {
        if (len - off < 4) {
            report(sink, VL_TRACK_MALFORMED);
            return;
        }
        uint32_t size = get_u32(buf + off);
        off += 4;
        if (size == 0 || size % 4 != 0 || size > len - off) {
            report(sink, VL_TRACK_MALFORMED);
            return;
        }
        parse_element(p, buf + off, size, sink, depth + 1);
        off += size;
    }
}

static void parse_element(vl_osc_parser *p, const uint8_t *buf, size_t len,
                          const vl_track_sink *sink, int depth)
{
    if (len >= BUNDLE_TAG_SIZE && !memcmp(buf, BUNDLE_TAG, BUNDLE_TAG_SIZE))
        parse_bundle(p, buf, len, sink, depth);
    else
        parse_message(p, buf, len, sink);
}

void vl_osc_parse(vl_osc_parser *p, const uint8_t *buf, size_t len, const vl_track_sink *sink)
{
    /* liblo counts sizes in int; no UDP datagram comes near that. */
    if (!buf || len == 0 || len > INT32_MAX) {
        report(sink, VL_TRACK_MALFORMED);
        return;
    }
    parse_element(p, buf, len, sink, 0);
}

/* ---- encoding ------------------------------------------------------------- */

/* OSC floats are 32-bit. A double beyond their range does not convert
 * (undefined behaviour in C), so it is clamped, as FreeD clamps to its
 * 24 bits; NaN stays NaN and the receiver refuses it. */
static float to_float(double v)
{
    return v > FLT_MAX ? FLT_MAX : v < -FLT_MAX ? -FLT_MAX : (float)v;
}

size_t vl_osc_encode_pose(const vl_sample *s, uint8_t *buf, size_t cap)
{
    static const char path[] = "/volym/pose";
    lo_message m = lo_message_new();
    if (!m)
        return 0;
    int camera = s->camera < 0 ? 0 : s->camera;
    lo_message_add_int32(m, camera);
    for (int i = 0; i < 3; i++)
        lo_message_add_float(m, to_float(s->pose.pos[i]));
    lo_message_add_float(m, to_float(s->pose.pan_deg));
    lo_message_add_float(m, to_float(s->pose.tilt_deg));
    lo_message_add_float(m, to_float(s->pose.roll_deg));
    if (s->fov_h_deg > 0)
        lo_message_add_float(m, to_float(s->fov_h_deg));

    size_t size = lo_message_length(m, path);
    if (size > cap) {
        size = 0;
    } else {
        lo_message_serialise(m, path, buf, &size);
    }
    lo_message_free(m);
    return size;
}
