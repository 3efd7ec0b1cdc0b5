/* OSC tracking input: volym's /volym/pose and /volym/lens, ZIG SIM and
 * TDLiDAR ARKit poses, bundles, error counting, and the encoder. Messages
 * are built with liblo (what senders use); bundles and broken datagrams by
 * hand. */
#include "track/track.h"
#include "check.h"
#include "lo_check.h"
#include "collector.h"

#include <float.h>
#include <lo/lo.h>
#include <math.h>
#include <string.h>

#define ANGLE_TOL 1e-9
#define POS_TOL 1e-12

/* One parser and one collector per test. */
struct fixture {
    vl_osc_parser *parser;
    struct collector got;
    vl_track_sink sink;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->parser = vl_osc_parser_create();
    f->sink = collector_sink(&f->got);
}

static void fixture_reset_counts(struct fixture *f)
{
    memset(&f->got, 0, sizeof(f->got));
}

static void feed(struct fixture *f, const uint8_t *buf, size_t n)
{
    vl_osc_parse(f->parser, buf, n, &f->sink);
}

static void send_msg(struct fixture *f, lo_message m, const char *path)
{
    uint8_t buf[512];
    size_t n = serialise(m, path, buf, sizeof(buf));
    feed(f, buf, n);
}

static lo_message floats(int n, const float *v)
{
    lo_message m = lo_message_new();
    for (int i = 0; i < n; i++)
        lo_message_add_float(m, v[i]);
    return m;
}

static void send_floats(struct fixture *f, const char *path, int n, const float *v)
{
    send_msg(f, floats(n, v), path);
}

static lo_message pose_msg(int camera, const float v[6])
{
    lo_message m = lo_message_new();
    lo_message_add_int32(m, camera);
    for (int i = 0; i < 6; i++)
        lo_message_add_float(m, v[i]);
    return m;
}

static lo_message lens_msg(int camera, int zoom, int focus)
{
    lo_message m = lo_message_new();
    lo_message_add_int32(m, camera);
    lo_message_add_int32(m, zoom);
    lo_message_add_int32(m, focus);
    return m;
}

static void check_pose(const vl_sample *s, double x, double y, double z, double pan,
                       double tilt, double roll)
{
    CHECK_NEAR(s->pose.pos[0], x, POS_TOL);
    CHECK_NEAR(s->pose.pos[1], y, POS_TOL);
    CHECK_NEAR(s->pose.pos[2], z, POS_TOL);
    CHECK_NEAR(s->pose.pan_deg, pan, ANGLE_TOL);
    CHECK_NEAR(s->pose.tilt_deg, tilt, ANGLE_TOL);
    CHECK_NEAR(s->pose.roll_deg, roll, ANGLE_TOL);
}

/* ---- /volym/pose and /volym/lens ---------------------------------------- */

static void test_volym_pose(void)
{
    struct fixture f;
    fixture_init(&f);
    const float v[6] = { 1.5f, -0.25f, 2.0f, 90.0f, -10.0f, 5.5f };
    send_msg(&f, pose_msg(3, v), "/volym/pose");
    CHECK(f.got.n == 1);
    CHECK(total_errors(&f.got) == 0);
    const vl_sample *s = &f.got.samples[0];
    CHECK(s->camera == 3);
    CHECK(s->pose.pos[0] == 1.5 && s->pose.pos[1] == -0.25 && s->pose.pos[2] == 2.0);
    CHECK(s->pose.pan_deg == 90.0 && s->pose.tilt_deg == -10.0 && s->pose.roll_deg == 5.5);
    CHECK(s->fov_h_deg == 0.0);             /* no FOV sent: unknown */
    CHECK(!s->has_encoders);
    CHECK(s->t_ns == 0 && s->rx_ns == 0 && s->source == 0);

    /* The optional eighth number is the horizontal FOV. */
    lo_message m = pose_msg(3, v);
    lo_message_add_float(m, 62.5f);
    send_msg(&f, m, "/volym/pose");
    CHECK(f.got.n == 2);
    CHECK(f.got.samples[1].fov_h_deg == 62.5);
    vl_osc_parser_destroy(f.parser);
}

static void test_number_types(void)
{
    struct fixture f;
    fixture_init(&f);
    /* Camera as a float, positions as double and int64, angles as int32. */
    lo_message m = lo_message_new();
    lo_message_add_float(m, 2.0f);
    lo_message_add_double(m, 0.1);
    lo_message_add_int64(m, -3);
    lo_message_add_double(m, 1e-3);
    lo_message_add_int32(m, -45);
    lo_message_add_int32(m, 12);
    lo_message_add_double(m, 0.3);
    lo_message_add_int32(m, 40);
    send_msg(&f, m, "/volym/pose");
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    const vl_sample *s = &f.got.samples[0];
    CHECK(s->camera == 2);
    CHECK(s->pose.pos[0] == 0.1 && s->pose.pos[1] == -3.0 && s->pose.pos[2] == 1e-3);
    CHECK(s->pose.pan_deg == -45.0 && s->pose.tilt_deg == 12.0 && s->pose.roll_deg == 0.3);
    CHECK(s->fov_h_deg == 40.0);

    /* A camera id must be a whole, non-negative number. */
    const float v[6] = { 0 };
    fixture_reset_counts(&f);
    m = lo_message_new();
    lo_message_add_float(m, 2.5f);
    for (int i = 0; i < 6; i++)
        lo_message_add_float(m, v[i]);
    send_msg(&f, m, "/volym/pose");
    send_msg(&f, pose_msg(-1, v), "/volym/pose");
    CHECK(f.got.n == 0);
    CHECK(f.got.errors[VL_TRACK_BAD_ARGS] == 2);
    vl_osc_parser_destroy(f.parser);
}

static void test_lens_sticky(void)
{
    struct fixture f;
    fixture_init(&f);
    const float v[6] = { 0, 0, 1.7f, 0, 0, 0 };
    send_msg(&f, lens_msg(3, 1000, 2000), "/volym/lens");
    CHECK(f.got.n == 0 && total_errors(&f.got) == 0);

    send_msg(&f, pose_msg(3, v), "/volym/pose");
    send_msg(&f, pose_msg(4, v), "/volym/pose");
    send_msg(&f, pose_msg(3, v), "/volym/pose");
    CHECK(f.got.n == 3);
    CHECK(f.got.samples[0].has_encoders && f.got.samples[0].zoom == 1000 &&
          f.got.samples[0].focus == 2000);
    CHECK(!f.got.samples[1].has_encoders);      /* another camera */
    CHECK(f.got.samples[2].has_encoders && f.got.samples[2].zoom == 1000);

    /* A new /volym/lens replaces the old values. Raw encoders may be
     * sent as floats if whole; a fraction is refused. */
    lo_message m = lo_message_new();
    lo_message_add_int32(m, 3);
    lo_message_add_float(m, 4096.0f);
    lo_message_add_double(m, 65535.0);
    send_msg(&f, m, "/volym/lens");
    send_msg(&f, pose_msg(3, v), "/volym/pose");
    CHECK(f.got.n == 4);
    CHECK(f.got.samples[3].zoom == 4096 && f.got.samples[3].focus == 65535);

    m = lo_message_new();
    lo_message_add_int32(m, 3);
    lo_message_add_float(m, 1.5f);
    lo_message_add_int32(m, 1);
    send_msg(&f, m, "/volym/lens");
    send_msg(&f, lens_msg(3, -1, 0), "/volym/lens");
    m = lo_message_new();
    lo_message_add_int32(m, 3);
    lo_message_add_int32(m, 1);
    send_msg(&f, m, "/volym/lens");
    CHECK(f.got.errors[VL_TRACK_BAD_ARGS] == 3);
    send_msg(&f, pose_msg(3, v), "/volym/pose");
    CHECK(f.got.samples[4].zoom == 4096);       /* unchanged by the refused ones */

    /* The table is bounded: 20 more cameras reuse its 16 slots, and the
     * newest ones keep their encoders. */
    for (int cam = 100; cam < 120; cam++)
        send_msg(&f, lens_msg(cam, cam * 10, 1), "/volym/lens");
    send_msg(&f, pose_msg(119, v), "/volym/pose");
    CHECK(f.got.n == 6);
    CHECK(f.got.samples[5].has_encoders && f.got.samples[5].zoom == 1190);
    vl_osc_parser_destroy(f.parser);
}

/* ---- bundles ------------------------------------------------------------ */

/* Appends a big-endian int32 element size and the element to a bundle. */
static size_t bundle_add(uint8_t *b, size_t at, const uint8_t *elem, size_t n)
{
    b[at] = (uint8_t)(n >> 24);
    b[at + 1] = (uint8_t)(n >> 16);
    b[at + 2] = (uint8_t)(n >> 8);
    b[at + 3] = (uint8_t)n;
    memcpy(b + at + 4, elem, n);
    return at + 4 + n;
}

/* "#bundle\0" and the time tag 1 ("immediately"). */
static size_t bundle_start(uint8_t *b)
{
    static const uint8_t head[16] = { '#', 'b', 'u', 'n', 'd', 'l', 'e', 0, 0, 0, 0, 0, 0, 0, 0, 1 };
    memcpy(b, head, sizeof(head));
    return sizeof(head);
}

static void test_bundles(void)
{
    struct fixture f;
    fixture_init(&f);
    uint8_t lens[64], pose1[64], pose2[64], inner[256], outer[512];
    const float v1[6] = { 1, 2, 3, 10, 0, 0 }, v2[6] = { 4, 5, 6, 20, 0, 0 };
    size_t n_lens = serialise(lens_msg(5, 77, 88), "/volym/lens", lens, sizeof(lens));
    size_t n_pose1 = serialise(pose_msg(5, v1), "/volym/pose", pose1, sizeof(pose1));
    size_t n_pose2 = serialise(pose_msg(6, v2), "/volym/pose", pose2, sizeof(pose2));

    /* outer: lens, pose(5), inner bundle { pose(6), pose(5) } */
    size_t n_inner = bundle_start(inner);
    n_inner = bundle_add(inner, n_inner, pose2, n_pose2);
    n_inner = bundle_add(inner, n_inner, pose1, n_pose1);
    size_t n_outer = bundle_start(outer);
    n_outer = bundle_add(outer, n_outer, lens, n_lens);
    n_outer = bundle_add(outer, n_outer, pose1, n_pose1);
    n_outer = bundle_add(outer, n_outer, inner, n_inner);
    feed(&f, outer, n_outer);
    CHECK(f.got.n == 3);
    CHECK(total_errors(&f.got) == 0);
    CHECK(f.got.samples[0].camera == 5 && f.got.samples[0].pose.pan_deg == 10.0);
    CHECK(f.got.samples[0].has_encoders && f.got.samples[0].zoom == 77);
    CHECK(f.got.samples[1].camera == 6 && f.got.samples[1].pose.pos[0] == 4.0);
    CHECK(!f.got.samples[1].has_encoders);
    CHECK(f.got.samples[2].camera == 5 && f.got.samples[2].focus == 88);

    /* An empty bundle is valid and says nothing. */
    fixture_reset_counts(&f);
    feed(&f, outer, 16);
    CHECK(f.got.n == 0 && total_errors(&f.got) == 0);

    /* Truncated: the last element claims more bytes than are left. The
     * elements before it still count; the rest is one malformed unit. */
    fixture_reset_counts(&f);
    feed(&f, outer, n_outer - 4);
    CHECK(f.got.n == 1);
    CHECK(f.got.errors[VL_TRACK_MALFORMED] == 1);
    CHECK(total_errors(&f.got) == 1);

    /* A size field cut short, a size that is not a multiple of 4, a
     * bundle without its time tag. */
    fixture_reset_counts(&f);
    feed(&f, outer, 16 + 4 + n_lens + 2);
    CHECK(f.got.errors[VL_TRACK_MALFORMED] == 1);
    uint8_t odd[64];
    size_t n_odd = bundle_add(odd, bundle_start(odd), lens, n_lens);
    odd[19] = (uint8_t)(n_lens - 1);
    feed(&f, odd, n_odd);
    feed(&f, outer, 12);
    CHECK(f.got.errors[VL_TRACK_MALFORMED] == 3);
    CHECK(f.got.n == 0);

    /* Nesting deeper than the limit is refused, not recursed into. */
    fixture_reset_counts(&f);
    uint8_t deep[2][1024];
    size_t n_deep = serialise(pose_msg(1, v1), "/volym/pose", deep[0], sizeof(deep[0]));
    for (int level = 0; level < 20; level++) {
        const uint8_t *src = deep[level % 2];
        uint8_t *dst = deep[(level + 1) % 2];
        n_deep = bundle_add(dst, bundle_start(dst), src, n_deep);
    }
    feed(&f, deep[0], n_deep);
    CHECK(f.got.n == 0);
    CHECK(f.got.errors[VL_TRACK_MALFORMED] == 1);
    vl_osc_parser_destroy(f.parser);
}

/* ---- ZIG SIM and TDLiDAR (ARKit) ----------------------------------------- */

static void test_zigsim(void)
{
    struct fixture f;
    fixture_init(&f);
    const float pos[3] = { 1, 2, -3 }, identity[4] = { 0, 0, 0, 1 };

    /* Phone looking along ARKit -Z: pan 0, tilt 0; ARKit (1,2,-3) is stage
     * (1,3,2). A numeric device id is the camera id. */
    send_floats(&f, "/ZIGSIM/7/arkitposition", 3, pos);
    CHECK(f.got.n == 0);
    send_floats(&f, "/ZIGSIM/7/arkitrotation", 4, identity);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    CHECK(f.got.samples[0].camera == 7);
    check_pose(&f.got.samples[0], 1, 3, 2, 0, 0, 0);
    CHECK(!f.got.samples[0].has_encoders && f.got.samples[0].fov_h_deg == 0);

    /* A sample needs both halves again: a second rotation alone is not
     * one. Turning +90 about ARKit Y (up) is counter-clockwise seen from
     * above, a turn to the left: pan -90. */
    const double h = sqrt(0.5);
    const float left[4] = { 0, (float)h, 0, (float)h };
    send_floats(&f, "/ZIGSIM/7/arkitrotation", 4, left);
    CHECK(f.got.n == 1);
    send_floats(&f, "/ZIGSIM/7/arkitposition", 3, pos);
    CHECK(f.got.n == 2);
    check_pose(&f.got.samples[1], 1, 3, 2, -90, 0, 0);

    /* +30 about ARKit X (right) lifts -Z towards +Y: looking up, tilt +30. */
    const double s15 = sin(15 * M_PI / 180), c15 = cos(15 * M_PI / 180);
    const float up30[4] = { (float)s15, 0, 0, (float)c15 };
    send_floats(&f, "/ZIGSIM/7/arkitrotation", 4, up30);
    send_floats(&f, "/ZIGSIM/7/arkitposition", 3, pos);
    CHECK(f.got.n == 3);
    CHECK_NEAR(f.got.samples[2].pose.tilt_deg, 30, 1e-4);
    CHECK_NEAR(f.got.samples[2].pose.pan_deg, 0, 1e-4);
    CHECK_NEAR(f.got.samples[2].pose.roll_deg, 0, 1e-4);

    /* +30 about ARKit Z (pointing back at the operator) lifts the image's
     * right edge: counter-clockwise from behind, roll -30. */
    const float ccw30[4] = { 0, 0, (float)s15, (float)c15 };
    send_floats(&f, "/ZIGSIM/7/arkitrotation", 4, ccw30);
    send_floats(&f, "/ZIGSIM/7/arkitposition", 3, pos);
    CHECK(f.got.n == 4);
    CHECK_NEAR(f.got.samples[3].pose.roll_deg, -30, 1e-4);
    CHECK_NEAR(f.got.samples[3].pose.tilt_deg, 0, 1e-4);

    /* Devices pair their own halves; a device named by text is camera 1. */
    fixture_reset_counts(&f);
    send_floats(&f, "/ZIGSIM/phone-a/arkitposition", 3, pos);
    send_floats(&f, "/ZIGSIM/phone-b/arkitrotation", 4, identity);
    CHECK(f.got.n == 0);
    send_floats(&f, "/ZIGSIM/phone-a/arkitrotation", 4, left);
    CHECK(f.got.n == 1 && f.got.samples[0].camera == 1);
    CHECK_NEAR(f.got.samples[0].pose.pan_deg, -90, 1e-4);

    /* The rest of what ZIG SIM streams is not tracking data; wrong arity
     * and a zero quaternion are bad arguments. */
    const float gyro[3] = { 0.1f, 0.2f, 0.3f };
    send_floats(&f, "/ZIGSIM/7/gyro", 3, gyro);
    send_floats(&f, "/ZIGSIM/7/deviceinfo", 0, NULL);
    send_floats(&f, "/ZIGSIM//arkitposition", 3, pos);
    CHECK(f.got.errors[VL_TRACK_UNKNOWN_ADDRESS] == 3);
    const float zero[4] = { 0, 0, 0, 0 };
    send_floats(&f, "/ZIGSIM/7/arkitrotation", 3, identity);
    send_floats(&f, "/ZIGSIM/7/arkitposition", 4, identity);
    send_floats(&f, "/ZIGSIM/7/arkitrotation", 4, zero);
    CHECK(f.got.errors[VL_TRACK_BAD_ARGS] == 3);
    CHECK(f.got.n == 1);
    vl_osc_parser_destroy(f.parser);
}

static void test_tdlidar(void)
{
    struct fixture f;
    fixture_init(&f);
    const float tx = 0.5f, ty = 1.5f, tz = -2.0f, two = 9.0f;
    const float identity[4] = { 0, 0, 0, 1 };
    send_floats(&f, "/tdlidar/arpose/tx", 1, &tx);
    send_floats(&f, "/tdlidar/arpose/ty", 1, &ty);
    send_floats(&f, "/tdlidar/arpose/tz", 1, &tz);
    CHECK(f.got.n == 0);
    send_floats(&f, "/tdlidar/arpose/quat", 4, identity);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    CHECK(f.got.samples[0].camera == 1);
    check_pose(&f.got.samples[0], 0.5, 2.0, 1.5, 0, 0, 0);

    /* A repeated axis does not complete a set; the newest value is used. */
    send_floats(&f, "/tdlidar/arpose/tx", 1, &two);
    send_floats(&f, "/tdlidar/arpose/tx", 1, &tx);
    send_floats(&f, "/tdlidar/arpose/quat", 4, identity);
    send_floats(&f, "/tdlidar/arpose/ty", 1, &ty);
    CHECK(f.got.n == 1);
    send_floats(&f, "/tdlidar/arpose/tz", 1, &two);
    CHECK(f.got.n == 2);
    check_pose(&f.got.samples[1], 0.5, -9.0, 1.5, 0, 0, 0);

    const float pair[2] = { 1, 2 };
    send_floats(&f, "/tdlidar/arpose/tx", 2, pair);
    send_floats(&f, "/tdlidar/arpose/quat", 2, pair);
    send_floats(&f, "/tdlidar/arpose/yaw", 1, &tx);
    CHECK(f.got.errors[VL_TRACK_BAD_ARGS] == 2);
    CHECK(f.got.errors[VL_TRACK_UNKNOWN_ADDRESS] == 1);
    vl_osc_parser_destroy(f.parser);
}

/* ---- errors --------------------------------------------------------------- */

static void test_bad_args(void)
{
    struct fixture f;
    fixture_init(&f);
    const float v[6] = { 0 };
    const float six[6] = { 1, 2, 3, 4, 5, 6 };
    send_floats(&f, "/volym/pose", 6, six);         /* no camera id: 6 numbers */
    lo_message m = pose_msg(1, v);
    lo_message_add_float(m, 50);
    lo_message_add_float(m, 1);
    send_msg(&f, m, "/volym/pose");                 /* 9 numbers */
    m = pose_msg(1, v);
    lo_message_add_string(m, "wide");
    send_msg(&f, m, "/volym/pose");                 /* a string */
    m = pose_msg(1, v);
    lo_message_add_true(m);
    send_msg(&f, m, "/volym/pose");                 /* a T */
    const float nan_pose[6] = { NAN, 0, 0, 0, 0, 0 };
    send_msg(&f, pose_msg(1, nan_pose), "/volym/pose");
    m = lo_message_new();
    lo_message_add_int32(m, 1);
    for (int i = 0; i < 6; i++)
        lo_message_add_double(m, i == 4 ? INFINITY : 0);
    send_msg(&f, m, "/volym/pose");
    const float fovs[3] = { 0, -5, 180 };
    for (int i = 0; i < 3; i++) {
        m = pose_msg(1, v);
        lo_message_add_float(m, fovs[i]);
        send_msg(&f, m, "/volym/pose");
    }
    CHECK(f.got.errors[VL_TRACK_BAD_ARGS] == 9);
    CHECK(total_errors(&f.got) == 9);
    CHECK(f.got.n == 0);

    /* A blob under a known address: bad arguments, without handing liblo a
     * blob whose size field is missing (it would read past the end). */
    uint8_t blob_msg[16] = "/volym/pose";
    memcpy(blob_msg + 12, ",b\0\0", 4);
    feed(&f, blob_msg, sizeof(blob_msg));
    uint8_t blob_data[4] = { 1, 2, 3, 4 };
    lo_blob blob = lo_blob_new(sizeof(blob_data), blob_data);
    m = lo_message_new();
    lo_message_add_blob(m, blob);
    send_msg(&f, m, "/somewhere/else");
    lo_blob_free(blob);
    CHECK(f.got.errors[VL_TRACK_BAD_ARGS] == 10);
    CHECK(f.got.errors[VL_TRACK_UNKNOWN_ADDRESS] == 1);
    vl_osc_parser_destroy(f.parser);
}

static void test_unknown_and_malformed(void)
{
    struct fixture f;
    fixture_init(&f);
    const float v[6] = { 0 };
    send_msg(&f, pose_msg(1, v), "/volym/posed");
    send_msg(&f, pose_msg(1, v), "/volym");
    send_msg(&f, pose_msg(1, v), "/camera/pose");
    send_floats(&f, "/tdlidar/arpose", 1, v);
    CHECK(f.got.errors[VL_TRACK_UNKNOWN_ADDRESS] == 4);
    CHECK(total_errors(&f.got) == 4);

    fixture_reset_counts(&f);
    uint8_t good[128];
    size_t n = serialise(pose_msg(1, v), "/volym/pose", good, sizeof(good));
    static const uint8_t garbage[] = { 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03 };
    feed(&f, garbage, sizeof(garbage));               /* no NUL-terminated path */
    feed(&f, good, n - 4);                            /* truncated arguments */
    feed(&f, good, 12);                               /* path only, no type tags */
    uint8_t no_comma[128];
    memcpy(no_comma, good, n);
    no_comma[12] = 'i';                               /* type tags without ',' */
    feed(&f, no_comma, n);
    uint8_t bad_pad[128];
    memcpy(bad_pad, good, n);
    bad_pad[22] = 'x';                                /* type tag padding not zero */
    feed(&f, bad_pad, n);
    uint8_t bad_type[128];
    memcpy(bad_type, good, n);
    bad_type[14] = '?';                               /* an unknown type tag */
    feed(&f, bad_type, n);
    feed(&f, good, 0);
    feed(&f, NULL, 0);
    CHECK(f.got.errors[VL_TRACK_MALFORMED] == 8);
    CHECK(total_errors(&f.got) == 8);
    CHECK(f.got.n == 0);

    /* The parser is still fine afterwards. */
    feed(&f, good, n);
    CHECK(f.got.n == 1);
    vl_osc_parser_destroy(f.parser);
}

/* ---- encoding -------------------------------------------------------------- */

static void test_encode_round_trip(void)
{
    struct fixture f;
    fixture_init(&f);
    vl_sample in = {
        .camera = 4,
        .pose = { .pos = { 1.25, -2.5, 1.75 }, .pan_deg = 33.3, .tilt_deg = -7.1, .roll_deg = 0.4 },
        .fov_h_deg = 54.2,
    };
    uint8_t buf[256];
    size_t n = vl_osc_encode_pose(&in, buf, sizeof(buf));
    CHECK(n > 0 && n % 4 == 0);
    CHECK(!memcmp(buf, "/volym/pose\0,ifffffff\0\0", 24));
    feed(&f, buf, n);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    const vl_sample *s = &f.got.samples[0];
    CHECK(s->camera == 4);
    CHECK(s->pose.pos[0] == 1.25 && s->pose.pos[1] == -2.5 && s->pose.pos[2] == 1.75);
    CHECK(s->pose.pan_deg == (float)33.3 && s->pose.tilt_deg == (float)-7.1);
    CHECK(s->pose.roll_deg == (float)0.4);
    CHECK(s->fov_h_deg == (float)54.2);

    /* Without a FOV the message has 7 arguments and decodes to FOV 0. */
    in.fov_h_deg = 0;
    size_t n7 = vl_osc_encode_pose(&in, buf, sizeof(buf));
    CHECK(n7 == n - 4);
    feed(&f, buf, n7);
    CHECK(f.got.n == 2 && f.got.samples[1].fov_h_deg == 0.0);

    /* Too small a buffer: nothing written, 0 returned. */
    memset(buf, 0xaa, sizeof(buf));
    CHECK(vl_osc_encode_pose(&in, buf, n7 - 1) == 0);
    CHECK(buf[0] == 0xaa);
    CHECK(vl_osc_encode_pose(&in, buf, n7) == n7);

    /* Beyond a float's range a value is clamped; NaN goes out as NaN and
     * the receiver refuses it. */
    in.pose.pos[0] = 1e300;
    in.pose.pos[1] = -1e300;
    feed(&f, buf, vl_osc_encode_pose(&in, buf, sizeof(buf)));
    CHECK(f.got.n == 3);
    CHECK(f.got.samples[2].pose.pos[0] == FLT_MAX && f.got.samples[2].pose.pos[1] == -FLT_MAX);
    in.pose.tilt_deg = NAN;
    feed(&f, buf, vl_osc_encode_pose(&in, buf, sizeof(buf)));
    CHECK(f.got.n == 3 && f.got.errors[VL_TRACK_BAD_ARGS] == 1);
    vl_osc_parser_destroy(f.parser);
}

int main(void)
{
    test_volym_pose();
    test_number_types();
    test_lens_sticky();
    test_bundles();
    test_zigsim();
    test_tdlidar();
    test_bad_args();
    test_unknown_and_malformed();
    test_encode_round_trip();
    return check_result("osc");
}
