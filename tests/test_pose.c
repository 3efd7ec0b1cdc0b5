/* Poses over time: interpolation and slerp, bounded extrapolation, delay and
 * prediction, stale and recovery, the One Euro filter, and the tracker ->
 * stage transform with lens tables. */
#include "track/track.h"
#include "check.h"

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MS 1000000LL

static vl_sample sample_at(int64_t t_ns, double x, double pan, double tilt, double roll)
{
    return (vl_sample){ .t_ns = t_ns, .camera = 1,
                        .pose = { { x, 2 * x, 3 * x }, pan, tilt, roll } };
}

/* Angles are equal modulo 360. */
static double angle_diff(double a, double b)
{
    return fabs(remainder(a - b, 360.0));
}

static void test_interpolate(void)
{
    vl_sample a = sample_at(0, 0, 10, 0, 0), b = sample_at(100 * MS, 1, 30, 0, 0), r;
    a.fov_h_deg = 40;
    b.fov_h_deg = 60;
    vl_sample_interpolate(&a, &b, 25 * MS, &r);
    CHECK_NEAR(r.pose.pos[0], 0.25, 1e-12);
    CHECK_NEAR(r.pose.pos[2], 0.75, 1e-12);
    CHECK_NEAR(r.pose.pan_deg, 15, 1e-9);
    CHECK_NEAR(r.fov_h_deg, 45, 1e-12);
    CHECK(r.t_ns == 25 * MS);

    /* Across +-180 the short way: 170 -> -170 passes 180, not 0. */
    a = sample_at(0, 0, 170, 0, 0);
    b = sample_at(100 * MS, 0, -170, 0, 0);
    vl_sample_interpolate(&a, &b, 50 * MS, &r);
    CHECK(angle_diff(r.pose.pan_deg, 180) < 1e-9);
    vl_sample_interpolate(&a, &b, 75 * MS, &r);
    CHECK(angle_diff(r.pose.pan_deg, -175) < 1e-9);

    /* Tilt alone, and a combined move whose midpoint lies on the great
     * circle: the slerp keeps the forward axis at equal angles to both. */
    a = sample_at(0, 0, 0, 0, 0);
    b = sample_at(100 * MS, 0, 0, 40, 0);
    vl_sample_interpolate(&a, &b, 50 * MS, &r);
    CHECK_NEAR(r.pose.tilt_deg, 20, 1e-9);
    CHECK_NEAR(r.pose.pan_deg, 0, 1e-9);
    a = sample_at(0, 0, -30, 10, 5);
    b = sample_at(100 * MS, 0, 50, -20, -5);
    vl_sample_interpolate(&a, &b, 50 * MS, &r);
    vl_basis fa = vl_basis_from_ptr(-30, 10, 5), fb = vl_basis_from_ptr(50, -20, -5);
    vl_basis fm = vl_basis_from_ptr(r.pose.pan_deg, r.pose.tilt_deg, r.pose.roll_deg);
    double da = 0, db = 0;
    for (int i = 0; i < 3; i++) {
        da += fa.forward[i] * fm.forward[i];
        db += fb.forward[i] * fm.forward[i];
    }
    CHECK_NEAR(da, db, 1e-9);
}

static void test_samples_at(void)
{
    /* 1 m/s along x, a sample every 10 ms. */
    vl_sample s[11];
    for (int i = 0; i <= 10; i++)
        s[i] = sample_at(i * 10 * MS, i * 0.01, i, 0, 0);
    vl_sample r;
    CHECK(!vl_samples_at(s, 0, 0, 0, &r));
    CHECK(vl_samples_at(s, 11, 55 * MS, 0, &r));
    CHECK_NEAR(r.pose.pos[0], 0.055, 1e-12);
    CHECK_NEAR(r.pose.pan_deg, 5.5, 1e-9);
    CHECK(vl_samples_at(s, 11, 100 * MS, 0, &r));       /* exactly the newest */
    CHECK_NEAR(r.pose.pos[0], 0.1, 1e-12);
    /* Before the oldest: held. */
    CHECK(vl_samples_at(s, 11, -50 * MS, 30 * MS, &r));
    CHECK_NEAR(r.pose.pos[0], 0, 1e-12);
    /* Past the newest: extrapolated up to the bound, then held there. */
    CHECK(vl_samples_at(s, 11, 120 * MS, 30 * MS, &r));
    CHECK_NEAR(r.pose.pos[0], 0.12, 1e-9);
    CHECK_NEAR(r.pose.pan_deg, 12, 1e-6);
    CHECK(vl_samples_at(s, 11, 500 * MS, 30 * MS, &r));
    CHECK_NEAR(r.pose.pos[0], 0.13, 1e-9);
    CHECK(r.t_ns == 500 * MS);
    CHECK(vl_samples_at(s, 11, 500 * MS, 0, &r));
    CHECK_NEAR(r.pose.pos[0], 0.1, 1e-12);

    /* Two stamps 0.5 ms apart with 1 mm of jitter between them would give
     * 2 m/s; the extrapolation base is taken >= 4 ms back instead. */
    s[10] = sample_at(90 * MS + MS / 2, 0.091, 9, 0, 0);
    CHECK(vl_samples_at(s, 11, 110 * MS, 30 * MS, &r));
    CHECK(fabs(r.pose.pos[0] - 0.11) < 0.003);
}

static void test_buffer_at(void)
{
    vl_sample_buffer *b = vl_sample_buffer_create(8);
    vl_sample r, newest;
    CHECK(!vl_sample_buffer_at(b, 1, 0, 0, &r, NULL));
    /* More samples than the ring holds: the oldest go. */
    for (int i = 0; i < 12; i++) {
        vl_sample s = sample_at(i * 10 * MS, i * 0.01, 0, 0, 0);
        vl_sample_buffer_push(b, &s);
    }
    CHECK(vl_sample_buffer_at(b, 1, 95 * MS, 0, &r, &newest));
    CHECK_NEAR(r.pose.pos[0], 0.095, 1e-12);
    CHECK(newest.t_ns == 110 * MS);
    CHECK(vl_sample_buffer_at(b, 1, 0, 0, &r, NULL));     /* before the oldest kept */
    CHECK_NEAR(r.pose.pos[0], 0.04, 1e-12);
    CHECK(vl_sample_buffer_at(b, 1, 130 * MS, 10 * MS, &r, NULL));
    CHECK_NEAR(r.pose.pos[0], 0.12, 1e-9);
    CHECK(!vl_sample_buffer_at(b, 2, 0, 0, &r, NULL));
    vl_sample_buffer_destroy(b);
}

/* A buffer as a tracker with this config would fill it: samples every
 * 10 ms moving at 1 m/s, arriving delay_ms after the moment they describe. */
static void fill(vl_sample_buffer *b, int64_t t0, int n, double delay_ms)
{
    for (int i = 0; i < n; i++) {
        vl_sample s = sample_at(t0 + i * 10 * MS, i * 0.01, 0, 0, 0);
        s.rx_ns = s.t_ns + (int64_t)(delay_ms * MS);
        vl_sample_buffer_push(b, &s);
    }
}

static void test_feed_predict_and_stale(void)
{
    vl_tracker_config cfg;
    vl_tracker_config_default(&cfg, "freed://:0");
    cfg.predict_ms = 20;
    cfg.stale_ms = 500;
    cfg.extrapolate_ms = 100;
    vl_sample_buffer *b = vl_sample_buffer_create(0);
    vl_feed feed = { .buffer = b, .trackers = &cfg, .n_trackers = 1, .camera = -1 };
    vl_sample r;
    CHECK(vl_feed_pose(&feed, 0, 0, &r) == VL_FEED_NONE);

    int64_t t0 = 1000 * MS;
    fill(b, t0, 11, 40);            /* the last describes t0 + 100 ms, arrived at +140 */
    /* Frame for t0 + 50 ms: the pose of t0 + 70 ms. */
    CHECK(vl_feed_pose(&feed, t0 + 50 * MS, t0 + 150 * MS, &r) == VL_FEED_LIVE);
    CHECK_NEAR(r.pose.pos[0], 0.07, 1e-9);
    /* Frame for t0 + 100 ms: t0 + 120 ms, 20 ms past the newest: extrapolated. */
    CHECK(vl_feed_pose(&feed, t0 + 100 * MS, t0 + 150 * MS, &r) == VL_FEED_LIVE);
    CHECK_NEAR(r.pose.pos[0], 0.12, 1e-9);
    CHECK(!feed.stale && feed.stale_events == 0);

    /* 501 ms after the newest arrived: stale, holding the newest pose. */
    int64_t arrived = t0 + 140 * MS;
    CHECK(vl_feed_pose(&feed, arrived + 501 * MS, arrived + 501 * MS, &r) == VL_FEED_STALE);
    CHECK(r.pose.pos[0] == 0.1 && r.t_ns == t0 + 100 * MS);
    CHECK(feed.stale && feed.stale_events == 1);
    CHECK(vl_feed_pose(&feed, arrived + 900 * MS, arrived + 900 * MS, &r) == VL_FEED_STALE);
    CHECK(feed.stale_events == 1);  /* one episode, flagged once */
    /* Samples return: live again, and a second silence is a second episode. */
    fill(b, arrived + 1000 * MS, 3, 0);
    CHECK(vl_feed_pose(&feed, arrived + 1020 * MS, arrived + 1021 * MS, &r) == VL_FEED_LIVE);
    CHECK(!feed.stale);
    CHECK_NEAR(r.pose.pos[0], 0.04, 1e-9);     /* predicted 20 ms past the newest */
    CHECK(vl_feed_pose(&feed, arrived + 2000 * MS, arrived + 2000 * MS, &r) == VL_FEED_STALE);
    CHECK(feed.stale_events == 2);
    vl_sample_buffer_destroy(b);
}

/* Wait (at most 2 s) until b holds n samples of camera 1; then the newest. */
static bool wait_samples(vl_sample_buffer *b, uint64_t n, vl_sample *newest)
{
    int64_t until = vl_now_ns() + 2000 * MS;
    while (vl_sample_buffer_count(b) < n && vl_now_ns() < until)
        vl_sleep_until_ns(vl_now_ns() + MS);
    return vl_sample_buffer_count(b) >= n && vl_sample_buffer_latest(b, 1, newest);
}

static void send_freed(int fd, int port, double x)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    uint8_t pkt[VL_FREED_D1_SIZE];
    vl_sample s = sample_at(0, x, 0, 0, 0);
    vl_freed_encode(&s, pkt);
    CHECK(sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&sa, sizeof(sa)) == sizeof(pkt));
}

/* Through a real tracker over loopback: the delay moves t_ns back from the
 * receive time; with smoothing on, a jump of 1 m is followed only part way. */
static void test_tracker_delay_and_smoothing(void)
{
    vl_tracker_config cfg;
    vl_tracker_config_default(&cfg, "freed://127.0.0.1:0");
    cfg.delay_ms = 40;
    cfg.smoothing = true;
    vl_sample_buffer *b = vl_sample_buffer_create(0);
    vl_tracker *t = vl_tracker_open(&cfg, 3, b);
    CHECK(t != NULL);
    if (!t)
        return;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    int64_t sent = vl_now_ns();
    send_freed(fd, vl_tracker_port(t), 0);
    vl_sample r;
    CHECK(wait_samples(b, 1, &r));
    CHECK(r.t_ns == r.rx_ns - 40 * MS);
    CHECK(r.rx_ns >= sent && r.rx_ns - sent < 1000 * MS);
    CHECK(r.source == 3);
    CHECK(r.pose.pos[0] == 0);
    vl_sleep_until_ns(vl_now_ns() + 20 * MS);
    send_freed(fd, vl_tracker_port(t), 1);
    CHECK(wait_samples(b, 2, &r));
    CHECK(r.pose.pos[0] > 0.01 && r.pose.pos[0] < 0.9);
    close(fd);
    vl_tracker_close(t);
    vl_sample_buffer_destroy(b);
}

static void test_one_euro(void)
{
    /* One step at 100 Hz with beta 0 moves by alpha = 1 / (1 + tau / dt),
     * tau = 1 / (2 pi min_cutoff). */
    vl_one_euro f;
    vl_one_euro_init(&f, 1.0, 0.0, 1.0);
    vl_sample s = sample_at(0, 0, 0, 0, 0);
    vl_one_euro_apply(&f, &s);
    CHECK(s.pose.pos[0] == 0);
    s = sample_at(10 * MS, 1, 0, 0, 0);
    vl_one_euro_apply(&f, &s);
    double alpha = 1.0 / (1.0 + (1.0 / (2 * M_PI)) / 0.01);
    CHECK_NEAR(s.pose.pos[0], alpha, 1e-12);

    /* Jitter of +-5 mm around a still camera: the output's spread is far
     * smaller; pan jitter around 180 stays near 180 (not near 0). */
    vl_one_euro_init(&f, 1.0, 0.0, 1.0);
    double spread = 0, pan_err = 0;
    for (int i = 0; i < 200; i++) {
        double j = (i % 2 ? 1 : -1) * 0.005;
        s = sample_at(i * 10 * MS, 0, 180 + 1000 * j, 0, 0);
        s.pose.pos[0] = 1 + j;
        vl_one_euro_apply(&f, &s);
        if (i >= 100) {
            spread = fmax(spread, fabs(s.pose.pos[0] - 1));
            pan_err = fmax(pan_err, angle_diff(s.pose.pan_deg, 180));
        }
    }
    CHECK(spread < 0.0005);
    CHECK(pan_err < 0.5);

    /* beta lets a fast move through with little lag: after 0.5 s of 2 m/s
     * the lag is far below what beta 0 gives. */
    double lag[2];
    for (int k = 0; k < 2; k++) {
        vl_one_euro_init(&f, 1.0, k ? 5.0 : 0.0, 1.0);
        for (int i = 0; i <= 50; i++) {
            s = sample_at(i * 10 * MS, i * 0.02, 0, 0, 0);
            vl_one_euro_apply(&f, &s);
        }
        lag[k] = 1.0 - s.pose.pos[0];
    }
    CHECK(lag[1] < lag[0] / 5);
}

/* A non-finite input passes through and unprimes the filter; a finite one
 * that overflows the state (a 1e308 step) restarts it: the next real pose
 * comes out finite and exact, never NaN. */
static void test_one_euro_reset(void)
{
    vl_one_euro f;
    vl_one_euro_init(&f, 1.0, 0.5, 1.0);
    const double xs[5] = { 0.5, NAN, 0.7, 1e308, -1e308 };
    for (int i = 0; i < 5; i++) {
        vl_sample s = { .t_ns = (i + 1) * 20 * MS, .pose = { .pos = { xs[i], 2, 1.5 } } };
        vl_one_euro_apply(&f, &s);
        CHECK(i == 1 || isfinite(s.pose.pos[0]));
    }
    vl_sample s = { .t_ns = 120 * MS, .pose = { .pos = { 0.25, 2, 1.5 } } };
    vl_one_euro_apply(&f, &s);
    CHECK(s.pose.pos[0] == 0.25 && s.pose.pos[1] == 2);
    vl_one_euro_apply(&f, &(vl_sample){ .t_ns = 140 * MS, .pose = { .pos = { 0.35, 2, 1.5 } } });
    CHECK(isfinite(f.x[0]) && f.x[0] > 0.25 && f.x[0] < 0.35);
}

static void test_transform(void)
{
    vl_tracker_config c;
    vl_tracker_config_default(&c, "freed://:0");
    vl_sample s = sample_at(0, 0, 0, 0, 0);
    s.pose.pos[0] = 1;
    s.pose.pos[1] = 2;
    s.pose.pos[2] = 3;
    vl_sample r = s;
    vl_tracker_apply(&c, &r);                   /* identity */
    CHECK(r.pose.pos[0] == 1 && r.pose.pos[1] == 2 && r.pose.pos[2] == 3);
    CHECK_NEAR(r.pose.pan_deg, 0, 1e-12);

    /* The tracker's frame turned pan +90 in the stage and moved: its +X
     * is the stage's -Y; a camera looking along its +Y looks along stage +X. */
    c.rotation[0] = 90;
    c.offset[0] = 10;
    r = sample_at(0, 0, 0, 0, 0);
    r.pose.pos[0] = 1;
    vl_tracker_apply(&c, &r);
    CHECK_NEAR(r.pose.pos[0], 10, 1e-12);
    CHECK_NEAR(r.pose.pos[1], -1, 1e-12);
    CHECK_NEAR(r.pose.pan_deg, 90, 1e-9);

    /* Signs, scale (a tracker in millimetres), nodal offset along the lens. */
    vl_tracker_config_default(&c, "freed://:0");
    c.axis_sign[0] = -1;
    c.angle_sign[0] = -1;
    c.scale = 0.001;
    c.nodal_offset[1] = 0.1;
    r = sample_at(0, 0, 90, 0, 0);
    r.pose.pos[0] = 1000;
    r.pose.pos[1] = 2000;
    vl_tracker_apply(&c, &r);
    CHECK_NEAR(r.pose.pan_deg, -90, 1e-9);      /* looks along -X now */
    CHECK_NEAR(r.pose.pos[0], -1 - 0.1, 1e-9);  /* nodal point 10 cm along -X */
    CHECK_NEAR(r.pose.pos[1], 2, 1e-9);

    /* Lens: a table wins when the sample has encoders; otherwise the
     * source's FOV, then the fixed one. */
    vl_tracker_config_default(&c, "freed://:0");
    c.fov_deg = 45;
    CHECK(vl_lens_preset("sony", 60, 6, 0.5, 100, &c.lens));
    r = sample_at(0, 0, 0, 0, 0);
    r.has_encoders = true;
    r.zoom = 0x7AC0 / 2;
    r.focus = 0x1000;
    vl_tracker_apply(&c, &r);
    CHECK_NEAR(r.fov_h_deg, 33, 1e-9);
    CHECK_NEAR(r.focus_m, 0.5, 1e-9);
    r = sample_at(0, 0, 0, 0, 0);
    vl_tracker_apply(&c, &r);
    CHECK(r.fov_h_deg == 45);
    r = sample_at(0, 0, 0, 0, 0);
    r.fov_h_deg = 70;
    vl_tracker_apply(&c, &r);
    CHECK(r.fov_h_deg == 70);
}

int main(void)
{
    test_interpolate();
    test_samples_at();
    test_buffer_at();
    test_feed_predict_and_stale();
    test_tracker_delay_and_smoothing();
    test_one_euro();
    test_one_euro_reset();
    test_transform();
    return check_result("pose");
}
