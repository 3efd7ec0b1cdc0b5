/* FreeD D1 decode/encode against the worked example in ARCHITECTURE.md,
 * round trips, clamping, malformed input; and the per-camera sample buffer. */
#include "track/track.h"
#include "check.h"

#include <string.h>

/* The worked example from ARCHITECTURE.md. */
static const uint8_t example[VL_FREED_D1_SIZE] = {
    0xd1, 0x01, 0x2d, 0x00, 0x00, 0xfb, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfa, 0x00, 0xff,
    0x83, 0x00, 0x01, 0x77, 0x00, 0x00, 0x12, 0x34, 0x00, 0x0f, 0xff, 0x00, 0x00, 0xfe,
};

static vl_sample make_sample(int camera, double pan, double tilt, double roll,
                             double x, double y, double z)
{
    return (vl_sample){
        .camera = camera,
        .pose = { .pos = { x, y, z }, .pan_deg = pan, .tilt_deg = tilt, .roll_deg = roll },
    };
}

static void test_worked_example(void)
{
    vl_sample s;
    memset(&s, 0x5a, sizeof(s));
    CHECK(vl_freed_parse(example, sizeof(example), &s) == VL_FREED_OK);
    CHECK(s.camera == 1);
    CHECK(s.pose.pan_deg == 90.0);
    CHECK(s.pose.tilt_deg == -10.0);
    CHECK(s.pose.roll_deg == 0.0);
    CHECK(s.pose.pos[0] == 1.0);
    CHECK(s.pose.pos[1] == -0.5);
    CHECK(s.pose.pos[2] == 1.5);
    CHECK(s.zoom == 0x1234);
    CHECK(s.focus == 0xfff);
    CHECK(s.t_ns == 0);
    CHECK(s.fov_h_deg == 0.0);

    uint8_t out[VL_FREED_D1_SIZE];
    vl_freed_encode(&s, out);
    CHECK(memcmp(out, example, sizeof(out)) == 0);

    vl_sample fresh = make_sample(1, 90, -10, 0, 1.0, -0.5, 1.5);
    fresh.zoom = 0x1234;
    fresh.focus = 0xfff;
    memset(out, 0, sizeof(out));
    vl_freed_encode(&fresh, out);
    CHECK(memcmp(out, example, sizeof(out)) == 0);
}

static void round_trip(const vl_sample *in, vl_sample *out)
{
    uint8_t buf[VL_FREED_D1_SIZE];
    vl_freed_encode(in, buf);
    CHECK(vl_freed_parse(buf, sizeof(buf), out) == VL_FREED_OK);
}

static void test_round_trips(void)
{
    const double ang_tol = 0.5 / 32768, pos_tol = 0.5 / 64000;
    vl_sample in = make_sample(7, -123.456, -45.5, -12.25, -3.21, -0.001, -0.75), out;
    in.zoom = 0xabcdef;
    in.focus = 0;
    round_trip(&in, &out);
    CHECK(out.camera == 7);
    CHECK_NEAR(out.pose.pan_deg, in.pose.pan_deg, ang_tol);
    CHECK_NEAR(out.pose.tilt_deg, in.pose.tilt_deg, ang_tol);
    CHECK_NEAR(out.pose.roll_deg, in.pose.roll_deg, ang_tol);
    for (int i = 0; i < 3; i++)
        CHECK_NEAR(out.pose.pos[i], in.pose.pos[i], pos_tol);
    CHECK(out.zoom == 0xabcdef);
    CHECK(out.focus == 0);

    /* Pan at both ends of the usual range, and big but representable
     * positions (the 24-bit range is +-131.07 m). */
    in = make_sample(255, -180, 90, 180, 131.0, -131.0, 100.0);
    round_trip(&in, &out);
    CHECK(out.camera == 255);
    CHECK(out.pose.pan_deg == -180.0);
    CHECK(out.pose.tilt_deg == 90.0);
    CHECK(out.pose.roll_deg == 180.0);
    CHECK(out.pose.pos[0] == 131.0);
    CHECK(out.pose.pos[1] == -131.0);
    CHECK(out.pose.pos[2] == 100.0);

    /* Rounds to nearest, not toward zero: 0.6 and -0.6 units become +-1. */
    in = make_sample(0, 0.6 / 32768, -0.6 / 32768, 0.4 / 32768, 0.6 / 64000, -0.6 / 64000, 0);
    round_trip(&in, &out);
    CHECK(out.pose.pan_deg == 1.0 / 32768);
    CHECK(out.pose.tilt_deg == -1.0 / 32768);
    CHECK(out.pose.roll_deg == 0.0);
    CHECK(out.pose.pos[0] == 1.0 / 64000);
    CHECK(out.pose.pos[1] == -1.0 / 64000);
}

static void test_clamping(void)
{
    vl_sample in = make_sample(300, 1000, -1000, 256, 500, -500, 1e30), out;
    in.zoom = 0xffffffff;
    in.focus = 0x1000000;
    round_trip(&in, &out);
    CHECK(out.camera == 255);
    CHECK(out.pose.pan_deg == 8388607.0 / 32768);
    CHECK(out.pose.tilt_deg == -8388608.0 / 32768);
    CHECK(out.pose.roll_deg == 8388607.0 / 32768);
    CHECK(out.pose.pos[0] == 8388607.0 / 64000);
    CHECK(out.pose.pos[1] == -8388608.0 / 64000);
    CHECK(out.pose.pos[2] == 8388607.0 / 64000);
    CHECK(out.zoom == 0xffffff);
    CHECK(out.focus == 0xffffff);

    in = make_sample(-1, NAN, 0, 0, 0, 0, 0);
    round_trip(&in, &out);
    CHECK(out.camera == 0);
    CHECK(out.pose.pan_deg == 0.0);
}

/* A malformed message must return its error and not touch the output. */
static void check_rejected(const uint8_t *buf, size_t len, enum vl_freed_result want)
{
    vl_sample s, before;
    memset(&s, 0x5a, sizeof(s));
    before = s;
    CHECK(vl_freed_parse(buf, len, &s) == want);
    CHECK(memcmp(&s, &before, sizeof(s)) == 0);
}

static void test_malformed(void)
{
    uint8_t buf[64];
    memcpy(buf, example, sizeof(example));
    memset(buf + sizeof(example), 0, sizeof(buf) - sizeof(example));
    check_rejected(buf, 28, VL_FREED_BAD_LENGTH);
    check_rejected(buf, 30, VL_FREED_BAD_LENGTH);
    check_rejected(buf, 0, VL_FREED_BAD_LENGTH);
    check_rejected(NULL, 0, VL_FREED_BAD_LENGTH);
    check_rejected(buf, sizeof(buf), VL_FREED_BAD_LENGTH);

    buf[28] ^= 0x01;
    check_rejected(buf, 29, VL_FREED_BAD_CHECKSUM);
    buf[28] ^= 0x01;
    buf[12] ^= 0x10;        /* one payload bit flipped */
    check_rejected(buf, 29, VL_FREED_BAD_CHECKSUM);
    buf[12] ^= 0x10;

    /* Type byte 0xD0 with a checksum that is right for it: the type check
     * must catch it, not the checksum. */
    buf[0] = 0xd0;
    buf[28] = (uint8_t)(buf[28] + 1);
    check_rejected(buf, 29, VL_FREED_BAD_TYPE);
    /* Wrong type and wrong length: length is checked first. */
    check_rejected(buf, 28, VL_FREED_BAD_LENGTH);
}

static void push(vl_sample_buffer *b, int camera, int64_t t_ns, double pan)
{
    vl_sample s = make_sample(camera, pan, 0, 0, 0, 0, 0);
    s.t_ns = t_ns;
    vl_sample_buffer_push(b, &s);
}

static void test_sample_buffer(void)
{
    vl_sample_buffer *b = vl_sample_buffer_create(4);
    vl_sample s;
    CHECK(!vl_sample_buffer_latest(b, -1, &s));
    CHECK(!vl_sample_buffer_latest(b, 1, &s));
    CHECK(vl_sample_buffer_count(b) == 0);

    /* Per-camera latest and any-camera latest. */
    push(b, 1, 100, 1.0);
    push(b, 2, 150, 2.0);
    push(b, 1, 200, 3.0);
    CHECK(vl_sample_buffer_latest(b, 1, &s) && s.t_ns == 200 && s.pose.pan_deg == 3.0);
    CHECK(vl_sample_buffer_latest(b, 2, &s) && s.t_ns == 150 && s.pose.pan_deg == 2.0);
    CHECK(vl_sample_buffer_latest(b, -1, &s) && s.camera == 1 && s.t_ns == 200);
    CHECK(!vl_sample_buffer_latest(b, 3, &s));
    push(b, 2, 250, 4.0);
    CHECK(vl_sample_buffer_latest(b, -1, &s) && s.camera == 2 && s.pose.pan_deg == 4.0);
    CHECK(vl_sample_buffer_count(b) == 4);

    /* Ordering: an out-of-order sample slots in by t_ns and does not
     * become camera 1's newest. */
    push(b, 1, 180, 5.0);
    CHECK(vl_sample_buffer_latest(b, 1, &s) && s.t_ns == 200 && s.pose.pan_deg == 3.0);

    /* Capacity wrap: 4 kept per camera; camera 1 now holds 100,180,200.
     * Push 300 (full: 100,180,200,300), then 90 is older than all kept once
     * the ring is full and is dropped; 400 evicts the oldest. */
    push(b, 1, 300, 6.0);
    uint64_t n = vl_sample_buffer_count(b);
    push(b, 1, 90, 7.0);
    CHECK(vl_sample_buffer_count(b) == n);
    for (int i = 0; i < 10; i++)
        push(b, 1, 400 + i, 10.0 + i);
    CHECK(vl_sample_buffer_latest(b, 1, &s) && s.t_ns == 409 && s.pose.pan_deg == 19.0);
    CHECK(vl_sample_buffer_latest(b, 2, &s) && s.t_ns == 250);
    CHECK(vl_sample_buffer_count(b) == n + 10);
    /* After the wrap the ring holds 406..409: 405 is now too old. */
    push(b, 1, 405, 0.0);
    CHECK(vl_sample_buffer_count(b) == n + 10);
    push(b, 1, 407, 0.0);
    CHECK(vl_sample_buffer_count(b) == n + 11);
    CHECK(vl_sample_buffer_latest(b, 1, &s) && s.t_ns == 409);

    /* Camera ids across the FreeD range are kept apart. */
    push(b, 255, 500, 8.0);
    push(b, 0, 501, 9.0);
    CHECK(vl_sample_buffer_latest(b, 255, &s) && s.pose.pan_deg == 8.0);
    CHECK(vl_sample_buffer_latest(b, 0, &s) && s.pose.pan_deg == 9.0);
    vl_sample_buffer_destroy(b);
    vl_sample_buffer_destroy(NULL);

    /* Capacity 0 means the default: 256 kept. */
    b = vl_sample_buffer_create(0);
    for (int i = 0; i < 300; i++)
        push(b, 3, 1000 + i, i);
    push(b, 3, 1000 + 300 - 256, 0);
    CHECK(vl_sample_buffer_count(b) == 301);
    push(b, 3, 1000 + 300 - 257, 0);
    CHECK(vl_sample_buffer_count(b) == 301);
    CHECK(vl_sample_buffer_latest(b, 3, &s) && s.t_ns == 1299);

    /* The camera table is bounded: a 17th camera id is dropped (with one
     * warning), the first 16 keep working, negative ids are refused.
     * Camera 3 holds one slot already. */
    for (int cam = 10; cam < 10 + 15; cam++)
        push(b, cam, 2000 + cam, cam);
    n = vl_sample_buffer_count(b);
    push(b, 100, 3000, 1.0);
    push(b, -1, 3001, 1.0);
    CHECK(vl_sample_buffer_count(b) == n);
    CHECK(!vl_sample_buffer_latest(b, 100, &s));
    CHECK(vl_sample_buffer_latest(b, -1, &s) && s.camera == 24);
    push(b, 12, 3002, 42.0);
    CHECK(vl_sample_buffer_latest(b, 12, &s) && s.pose.pan_deg == 42.0);
    vl_sample_buffer_destroy(b);
}

int main(void)
{
    test_worked_example();
    test_round_trips();
    test_clamping();
    test_malformed();
    test_sample_buffer();
    return check_result("freed");
}
