/* The UDP tracker receiver, over real loopback datagrams: samples arrive,
 * malformed and filtered datagrams are counted and never reach the buffer,
 * URLs are validated, close is prompt, packet receive times are kept for
 * the frame clock, the delay changes at run time. */
#include "track/track.h"
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A tracker with the default config for url, taking only `camera` (-1 any). */
static vl_tracker *open_url(const char *url, int camera, vl_sample_buffer *b)
{
    vl_tracker_config cfg;
    vl_tracker_config_default(&cfg, url);
    cfg.camera = camera;
    return vl_tracker_open(&cfg, 0, b);
}

static int tx_fd = -1;

static void send_to(int port, const void *buf, size_t len)
{
    struct sockaddr_in sa = {
        .sin_family = AF_INET,
        .sin_port = htons((uint16_t)port),
        .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
    };
    ssize_t n = sendto(tx_fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa));
    CHECK(n == (ssize_t)len);
}

static void make_packet(uint8_t out[VL_FREED_D1_SIZE], int camera, double pan, double x)
{
    vl_sample s = { .camera = camera, .pose = { .pos = { x, 2.0, 1.5 }, .pan_deg = pan },
                    .zoom = 100, .focus = 200 };
    vl_freed_encode(&s, out);
}

/* Wait (at most 2 s) until the tracker has seen `n` datagrams. */
static bool wait_datagrams(vl_tracker *t, uint64_t n)
{
    int64_t deadline = vl_now_ns() + 2 * VL_NS_PER_SEC;
    while (vl_now_ns() < deadline) {
        if (vl_tracker_get_stats(t).datagrams >= n)
            return true;
        usleep(1000);
    }
    return false;
}

static void test_valid_samples(void)
{
    vl_sample_buffer *b = vl_sample_buffer_create(16);
    vl_tracker *t = open_url("freed://127.0.0.1:0", -1, b);
    CHECK(t != NULL);
    if (!t)
        return;
    int port = vl_tracker_port(t);
    CHECK(port > 0 && port <= 65535);

    uint8_t pkt[VL_FREED_D1_SIZE];
    int64_t before = vl_now_ns();
    make_packet(pkt, 3, 10.0, 0.25);
    send_to(port, pkt, sizeof(pkt));
    CHECK(wait_datagrams(t, 1));
    int64_t after = vl_now_ns();

    vl_sample s;
    CHECK(vl_sample_buffer_latest(b, 3, &s));
    CHECK(s.camera == 3);
    CHECK(s.pose.pan_deg == 10.0);
    CHECK(s.pose.pos[0] == 0.25);
    CHECK(s.pose.pos[1] == 2.0);
    CHECK(s.zoom == 100 && s.focus == 200);
    CHECK(s.t_ns >= before && s.t_ns <= after);

    /* Another camera and a newer sample move the newest sample along. */
    make_packet(pkt, 4, 20.0, 0.5);
    send_to(port, pkt, sizeof(pkt));
    make_packet(pkt, 3, 30.0, 0.75);
    send_to(port, pkt, sizeof(pkt));
    CHECK(wait_datagrams(t, 3));
    CHECK(vl_sample_buffer_latest(b, 4, &s) && s.pose.pan_deg == 20.0);
    CHECK(vl_sample_buffer_latest(b, 3, &s) && s.pose.pan_deg == 30.0);
    CHECK(vl_sample_buffer_latest(b, -1, &s) && s.camera == 3 && s.pose.pos[0] == 0.75);

    vl_tracker_stats st = vl_tracker_get_stats(t);
    CHECK(st.datagrams == 3 && st.samples == 3 && st.filtered == 0);
    CHECK(st.errors[VL_TRACK_BAD_LENGTH] == 0 && st.errors[VL_TRACK_BAD_TYPE] == 0 && st.errors[VL_TRACK_BAD_CHECKSUM] == 0);
    CHECK(vl_sample_buffer_count(b) == 3);
    vl_tracker_close(t);
    vl_sample_buffer_destroy(b);
}

/* Every kind of bad datagram is counted in its own counter and none of them
 * changes the newest sample. */
static void test_bad_datagrams(void)
{
    vl_sample_buffer *b = vl_sample_buffer_create(16);
    vl_tracker *t = open_url("freed://:0", 1, b);
    CHECK(t != NULL);
    if (!t)
        return;
    int port = vl_tracker_port(t);

    uint8_t good[VL_FREED_D1_SIZE];
    make_packet(good, 1, 45.0, 1.0);
    send_to(port, good, sizeof(good));
    CHECK(wait_datagrams(t, 1));
    vl_sample before;
    CHECK(vl_sample_buffer_latest(b, -1, &before) && before.pose.pan_deg == 45.0);

    uint8_t pkt[100] = { 0 };
    make_packet(pkt, 1, -45.0, -1.0);
    pkt[28] ^= 0xff;
    send_to(port, pkt, 29);                     /* bad checksum */
    make_packet(pkt, 1, -45.0, -1.0);
    send_to(port, pkt, 28);                     /* short */
    send_to(port, pkt, 30);                     /* long */
    send_to(port, pkt, 0);                      /* empty */
    send_to(port, pkt, sizeof(pkt));            /* oversize */
    pkt[0] = 0xd0;
    pkt[28] = (uint8_t)(pkt[28] + 1);           /* checksum right for 0xD0 */
    send_to(port, pkt, 29);                     /* wrong type */
    make_packet(pkt, 2, -45.0, -1.0);
    send_to(port, pkt, 29);                     /* valid, other camera */
    send_to(port, pkt, 29);
    CHECK(wait_datagrams(t, 9));

    vl_tracker_stats st = vl_tracker_get_stats(t);
    CHECK(st.datagrams == 9);
    CHECK(st.samples == 1);
    CHECK(st.filtered == 2);
    CHECK(st.errors[VL_TRACK_BAD_LENGTH] == 4);
    CHECK(st.errors[VL_TRACK_BAD_TYPE] == 1);
    CHECK(st.errors[VL_TRACK_BAD_CHECKSUM] == 1);
    CHECK(vl_sample_buffer_count(b) == 1);
    vl_sample s;
    CHECK(vl_sample_buffer_latest(b, -1, &s) && memcmp(&s, &before, sizeof(s)) == 0);
    CHECK(!vl_sample_buffer_latest(b, 2, &s));

    /* The filtered camera still gets through. */
    make_packet(good, 1, 60.0, 1.0);
    send_to(port, good, sizeof(good));
    CHECK(wait_datagrams(t, 10));
    CHECK(vl_sample_buffer_latest(b, 1, &s) && s.pose.pan_deg == 60.0);
    CHECK(vl_tracker_get_stats(t).samples == 2);

    /* Close is prompt: the thread wakes from poll() within ~100 ms. */
    int64_t t0 = vl_now_ns();
    vl_tracker_close(t);
    CHECK(vl_now_ns() - t0 < 500 * 1000 * 1000);
    vl_sample_buffer_destroy(b);
}

static void test_urls(void)
{
    vl_sample_buffer *b = vl_sample_buffer_create(0);
    static const char *const bad[] = {
        "http://127.0.0.1:40000",       /* wrong scheme */
        "FreeD://127.0.0.1:40000",
        "freed:127.0.0.1:40000",
        "freed://127.0.0.1",            /* no port */
        "freed://40000",
        "freed://127.0.0.1:",
        "freed://127.0.0.1:70000",      /* out of range */
        "freed://127.0.0.1:-1",
        "freed://127.0.0.1:4x",
        "freed://127.0.0.1:400000000000",
        "garbage",
        "",
        NULL,
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vl_tracker *t = open_url(bad[i], -1, b);
        CHECK(t == NULL);
        vl_tracker_close(t);
    }

    /* A host name resolves; the bound port is the one asked for; a second
     * tracker on the same port fails to bind. */
    vl_tracker *a = open_url("freed://localhost:0", -1, b);
    CHECK(a != NULL);
    if (a) {
        char url[64];
        snprintf(url, sizeof(url), "freed://127.0.0.1:%d", vl_tracker_port(a));
        vl_tracker *c = open_url(url, -1, b);
        CHECK(c == NULL);
        vl_tracker_close(c);
        vl_tracker_close(a);
        /* The port is free again after close. */
        c = open_url(url, -1, b);
        CHECK(c != NULL);
        vl_tracker_close(c);
    }
    vl_sample_buffer_destroy(b);
}

/* Every datagram that gave a sample of the tracker's camera leaves its
 * receive time, in order, for the frame clock; bad and other-camera ones do
 * not. A reader that falls behind the ring gets the oldest kept. */
static void test_packet_times(void)
{
    vl_sample_buffer *b = vl_sample_buffer_create(16);
    vl_tracker *t = open_url("freed://127.0.0.1:0", 1, b);
    CHECK(t != NULL);
    if (!t)
        return;
    int port = vl_tracker_port(t);
    uint8_t pkt[VL_FREED_D1_SIZE], bad[VL_FREED_D1_SIZE];
    make_packet(bad, 1, 0.0, 0.0);
    bad[28] ^= 0xff;
    int64_t before = vl_now_ns();
    for (int i = 0; i < 5; i++) {
        make_packet(pkt, 1, i, 0.0);
        send_to(port, pkt, sizeof(pkt));
        send_to(port, bad, sizeof(bad));        /* bad checksum */
        make_packet(pkt, 2, i, 0.0);
        send_to(port, pkt, sizeof(pkt));        /* another camera */
        usleep(2000);
    }
    CHECK(wait_datagrams(t, 15));
    int64_t after = vl_now_ns();

    uint64_t cursor = 0;
    int64_t times[600];
    int n = vl_tracker_packet_times(t, &cursor, times, 600);
    CHECK(n == 5 && cursor == 5);
    bool ordered = true;
    for (int i = 0; i < n; i++)
        ordered &= times[i] >= before && times[i] <= after && (i == 0 || times[i] > times[i - 1]);
    CHECK(ordered);
    /* They are the receive times the samples carry. */
    vl_sample s;
    CHECK(vl_sample_buffer_latest(b, 1, &s) && n == 5 && s.rx_ns == times[4]);
    CHECK(vl_tracker_packet_times(t, &cursor, times, 600) == 0 && cursor == 5);

    /* A small max takes them a few at a time. */
    for (int i = 0; i < 3; i++) {
        make_packet(pkt, 1, i, 0.0);
        send_to(port, pkt, sizeof(pkt));
    }
    CHECK(wait_datagrams(t, 18));
    int64_t two[2];
    CHECK(vl_tracker_packet_times(t, &cursor, two, 2) == 2 && cursor == 7);
    CHECK(vl_tracker_packet_times(t, &cursor, two, 2) == 1 && cursor == 8);
    CHECK(two[0] > times[4]);
    int64_t newest = two[0];

    /* 300 more (in bursts the socket buffer holds): the ring keeps the
     * last VL_TRACKER_PACKET_RING; a reader behind it gets those. */
    for (int burst = 0; burst < 6; burst++) {
        for (int i = 0; i < 50; i++)
            send_to(port, pkt, sizeof(pkt));
        CHECK(wait_datagrams(t, 18 + 50 * (burst + 1)));
    }
    n = vl_tracker_packet_times(t, &cursor, times, 600);
    CHECK(n == VL_TRACKER_PACKET_RING);
    CHECK(cursor == 308);
    ordered = times[0] > newest;
    for (int i = 1; i < n; i++)
        ordered &= times[i] >= times[i - 1];
    CHECK(ordered);
    CHECK(vl_sample_buffer_latest(b, 1, &s) && s.rx_ns == times[n - 1]);
    /* A cursor from nowhere is taken as the count. */
    cursor = 1000;
    CHECK(vl_tracker_packet_times(t, &cursor, times, 600) == 0 && cursor == 308);
    vl_tracker_close(t);
    vl_sample_buffer_destroy(b);
}

/* An OpenTrackIO datagram as the spec's header table lays it out, with the
 * spec's reference checksum (two uint8_t sums). */
static size_t otrk_dgram(uint8_t *d, uint16_t seq, const char *json)
{
    size_t len = strlen(json);
    const uint8_t head[14] = { 'O', 'T', 'r', 'k', 0, 1, (uint8_t)(seq >> 8), (uint8_t)seq,
                               0, 0, 0, 0, (uint8_t)(0x80 | len >> 8), (uint8_t)len };
    memcpy(d, head, 14);
    memcpy(d + 16, json, len);
    uint8_t sum1 = 0, sum2 = 0;
    for (size_t i = 0; i < 16 + len; i++) {
        if (i == 14 || i == 15)
            continue;
        sum1 += d[i];
        sum2 += sum1;
    }
    d[14] = sum2;
    d[15] = sum1;
    return 16 + len;
}

/* OpenTrackIO's counters: a bad source and a duplicate are dropped, a gap
 * counts its lost datagrams, static data is counted; the stats line says
 * each. */
static void test_otrk_counters(void)
{
    vl_sample_buffer *b = vl_sample_buffer_create(16);
    vl_tracker *t = open_url("opentrackio://127.0.0.1:0", -1, b);
    CHECK(t != NULL);
    if (!t)
        return;
    int port = vl_tracker_port(t);
    const char *cam = "\"transforms\":[{\"translation\":{\"x\":0,\"y\":0,\"z\":1},"
                      "\"rotation\":{\"pan\":0,\"tilt\":0,\"roll\":0}}]";
    char json[512];
    uint8_t d[600];
    snprintf(json, sizeof(json), "{%s,\"static\":{\"camera\":{\"activeSensorPhysicalDimensions\":"
             "{\"width\":36,\"height\":24}}}}", cam);
    send_to(port, d, otrk_dgram(d, 10, json));
    send_to(port, d, otrk_dgram(d, 10, json));             /* a duplicate */
    snprintf(json, sizeof(json), "{\"sourceNumber\":201,%s}", cam);
    send_to(port, d, otrk_dgram(d, 11, json));             /* a bad source */
    snprintf(json, sizeof(json), "{\"sourceNumber\":1,%s}", cam);
    send_to(port, d, otrk_dgram(d, 15, json));             /* 12, 13, 14 lost */
    CHECK(wait_datagrams(t, 4));
    vl_tracker_stats st = vl_tracker_get_stats(t);
    CHECK(st.samples == 2 && st.errors[VL_TRACK_DUPLICATE] == 1);
    CHECK(st.errors[VL_TRACK_BAD_SOURCE] == 1);
    CHECK(st.events[VL_TRACK_LOST] == 3 && st.events[VL_TRACK_STATIC] == 1);
    vl_sample s;
    CHECK(vl_sample_buffer_latest(b, 1, &s) && s.sensor_w_mm == 36);
    char line[256];
    vl_tracker_stats_format(&st, line, sizeof(line));
    CHECK(!strcmp(line, "4 datagrams, 2 samples, 0 other camera, 3 lost, 1 with static data, "
                        "dropped: 1 bad source, 1 duplicates"));
    if (strcmp(line, "4 datagrams, 2 samples, 0 other camera, 3 lost, 1 with static data, "
                     "dropped: 1 bad source, 1 duplicates"))
        fprintf(stderr, "stats line: %s\n", line);
    vl_tracker_close(t);
    vl_sample_buffer_destroy(b);
}

/* The delay changes at run time, for the samples that follow. */
static void test_set_delay(void)
{
    vl_sample_buffer *b = vl_sample_buffer_create(16);
    vl_tracker_config cfg;
    vl_tracker_config_default(&cfg, "freed://127.0.0.1:0");
    cfg.delay_ms = 40;
    vl_tracker *t = vl_tracker_open(&cfg, 0, b);
    CHECK(t != NULL);
    if (!t)
        return;
    int port = vl_tracker_port(t);
    uint8_t pkt[VL_FREED_D1_SIZE];
    make_packet(pkt, 1, 1.0, 0.0);
    send_to(port, pkt, sizeof(pkt));
    CHECK(wait_datagrams(t, 1));
    vl_sample s;
    CHECK(vl_sample_buffer_latest(b, 1, &s) && s.rx_ns - s.t_ns == 40000000);

    vl_tracker_set_delay_ms(t, 12.5);
    make_packet(pkt, 1, 2.0, 0.0);
    send_to(port, pkt, sizeof(pkt));
    CHECK(wait_datagrams(t, 2));
    CHECK(vl_sample_buffer_latest(b, 1, &s) && s.pose.pan_deg == 2.0 &&
          s.rx_ns - s.t_ns == 12500000);

    vl_tracker_set_delay_ms(t, 0);
    make_packet(pkt, 1, 3.0, 0.0);
    send_to(port, pkt, sizeof(pkt));
    CHECK(wait_datagrams(t, 3));
    CHECK(vl_sample_buffer_latest(b, 1, &s) && s.pose.pan_deg == 3.0 && s.t_ns == s.rx_ns);
    vl_tracker_close(t);
    vl_sample_buffer_destroy(b);
}

/* /volym/pose i d d d d d d by hand (OSC 1.0: big-endian, strings NUL-padded
 * to 4 bytes): "/volym/pose" (11 + 1 NUL = 12 bytes), ",idddddd" (8 + 4
 * NULs = 12), camera 1, then x y z pan tilt roll as 64-bit doubles. */
static size_t osc_pose_d(uint8_t out[76], double x)
{
    memcpy(out, "/volym/pose\0,idddddd\0\0\0\0", 24);
    uint32_t cam = htonl(1);
    memcpy(out + 24, &cam, 4);
    const double v[6] = { x, 2, 1.5, 10, 0, 0 };
    for (int i = 0; i < 6; i++) {
        uint64_t bits;
        memcpy(&bits, &v[i], 8);
        for (int k = 0; k < 8; k++)
            out[28 + i * 8 + k] = (uint8_t)(bits >> (56 - 8 * k));
    }
    return 76;
}

/* One valid but huge pose (x = 1e308) is dropped as out of range before
 * the smoothing filter, which then keeps smoothing real poses (a NaN the
 * OSC parser already refuses as wrong arguments). */
static void test_out_of_range(void)
{
    vl_sample_buffer *b = vl_sample_buffer_create(16);
    vl_tracker_config cfg;
    vl_tracker_config_default(&cfg, "osc://127.0.0.1:0");
    cfg.smoothing = true;
    vl_tracker *t = vl_tracker_open(&cfg, 0, b);
    CHECK(t != NULL);
    if (!t)
        return;
    const double xs[4] = { 0.5, 1e308, NAN, 0.6 };
    uint8_t d[76];
    for (int i = 0; i < 4; i++) {
        send_to(vl_tracker_port(t), d, osc_pose_d(d, xs[i]));
        CHECK(wait_datagrams(t, (uint64_t)i + 1));
        usleep(20000);
    }
    vl_tracker_stats st = vl_tracker_get_stats(t);
    CHECK(st.samples == 2 && st.errors[VL_TRACK_OUT_OF_RANGE] == 1 &&
          st.errors[VL_TRACK_BAD_ARGS] == 1);
    vl_sample r;
    CHECK(vl_sample_buffer_latest(b, 1, &r));
    printf("out of range: the smoothed x after 0.5, 1e308, NaN, 0.6 is %g\n", r.pose.pos[0]);
    CHECK(isfinite(r.pose.pos[0]) && r.pose.pos[0] > 0.5 && r.pose.pos[0] < 0.6);
    char line[256];
    vl_tracker_stats_format(&st, line, sizeof(line));
    CHECK(strstr(line, "1 out of range") != NULL);

    /* The limits, at their edges. */
    vl_sample s = { .pose = { .pos = { VL_POSE_MAX_M, -VL_POSE_MAX_M, 0 }, .pan_deg = 720 } };
    CHECK(vl_sample_in_range(&s));
    s.pose.pos[0] = nextafter(VL_POSE_MAX_M, 1e300);
    CHECK(!vl_sample_in_range(&s));
    s.pose.pos[0] = 0;
    s.pose.tilt_deg = -VL_ANGLE_MAX_DEG * 2;
    CHECK(!vl_sample_in_range(&s));
    s.pose.tilt_deg = 0;
    s.fov_h_deg = 179.5;
    CHECK(!vl_sample_in_range(&s));
    s.fov_h_deg = 0;
    s.focus_m = INFINITY;
    CHECK(!vl_sample_in_range(&s));
    vl_tracker_close(t);
    vl_sample_buffer_destroy(b);
}

int main(void)
{
    tx_fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(tx_fd >= 0);
    test_valid_samples();
    test_bad_datagrams();
    test_urls();
    test_packet_times();
    test_set_delay();
    test_otrk_counters();
    test_out_of_range();
    close(tx_fd);
    return check_result("tracker");
}
