/* A flood of 100 000 malformed datagrams into a FreeD and an OSC tracker
 * while a headless renderer draws frames from the tracked pose: nothing
 * crashes, every malformed datagram is counted under its kind exactly, and
 * the valid samples mixed into the flood still drive the frames. */
#include "render/render.h"
#include "stage/stage.h"
#include "track/track.h"
#include "check.h"

#include <arpa/inet.h>
#include <lo/lo.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GARBAGE 100000
#define VALID_EVERY 1000        /* one valid sample after this many bad ones */
#define IN_FLIGHT 64            /* unreceived datagrams allowed: no socket overflow */

enum { FREED, OSC, N_TRACKERS };

typedef struct flood {
    vl_tracker *trk[N_TRACKERS];
    int fd;
    uint64_t sent[N_TRACKERS];
    uint64_t expect[N_TRACKERS][VL_TRACK_N_ERRORS];
    int valid_sent;             /* samples sent, each tracker */
    atomic_bool done;
} flood;

static void send_to(flood *f, int k, const void *buf, size_t len)
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)vl_tracker_port(f->trk[k])),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    /* Pace by what the receiver has taken, so the counts can be exact. */
    while (f->sent[k] - vl_tracker_get_stats(f->trk[k]).datagrams > IN_FLIGHT)
        usleep(50);
    CHECK(sendto(f->fd, buf, len, 0, (struct sockaddr *)&sa, sizeof(sa)) == (ssize_t)len);
    f->sent[k]++;
}

static void send_osc(flood *f, lo_message m, const char *path)
{
    uint8_t buf[256];
    size_t n = sizeof(buf);
    CHECK(lo_message_serialise(m, path, buf, &n) != NULL);
    send_to(f, OSC, buf, n);
    lo_message_free(m);
}

/* Garbage number i: each tracker gets every kind in turn. */
static void send_garbage(flood *f, int i)
{
    uint8_t pkt[64];
    vl_sample s = { .camera = 1 };
    vl_freed_encode(&s, pkt);
    int k = i % 2 ? OSC : FREED;
    switch ((i / 2) % 3) {
    case 0:
        if (k == FREED) {
            send_to(f, k, pkt, 17);
            f->expect[k][VL_TRACK_BAD_LENGTH]++;
        } else {
            memset(pkt, 0xAB, sizeof(pkt));
            send_to(f, k, pkt, 40);
            f->expect[k][VL_TRACK_MALFORMED]++;
        }
        break;
    case 1:
        if (k == FREED) {
            pkt[0] = 0xD2;
            send_to(f, k, pkt, VL_FREED_D1_SIZE);
            f->expect[k][VL_TRACK_BAD_TYPE]++;
        } else {
            lo_message m = lo_message_new();
            lo_message_add_int32(m, 1);
            send_osc(f, m, "/not/volym");
            f->expect[k][VL_TRACK_UNKNOWN_ADDRESS]++;
        }
        break;
    default:
        if (k == FREED) {
            pkt[28] ^= 0x5A;
            send_to(f, k, pkt, VL_FREED_D1_SIZE);
            f->expect[k][VL_TRACK_BAD_CHECKSUM]++;
        } else {
            lo_message m = lo_message_new();
            lo_message_add_string(m, "one");
            lo_message_add_float(m, 2);
            send_osc(f, m, "/volym/pose");
            f->expect[k][VL_TRACK_BAD_ARGS]++;
        }
        break;
    }
}

/* Valid sample number v: camera 1 over FreeD and camera 2 over OSC, both
 * at pan v degrees (exact in both encodings). */
static void send_valid(flood *f, int v)
{
    uint8_t pkt[VL_FREED_D1_SIZE];
    vl_sample s = { .camera = 1, .pose = { { 0, 0, 1.5 }, v, 0, 0 } };
    vl_freed_encode(&s, pkt);
    send_to(f, FREED, pkt, sizeof(pkt));
    lo_message m = lo_message_new();
    lo_message_add_int32(m, 2);
    float pose[6] = { 0, 0, 1.5f, (float)v, 0, 0 };
    for (int i = 0; i < 6; i++)
        lo_message_add_float(m, pose[i]);
    send_osc(f, m, "/volym/pose");
}

static void *flood_thread(void *arg)
{
    flood *f = arg;
    for (int i = 0; i < GARBAGE; i++) {
        send_garbage(f, i);
        if (i % VALID_EVERY == VALID_EVERY - 1)
            send_valid(f, ++f->valid_sent);
    }
    atomic_store(&f->done, true);
    return NULL;
}

int main(void)
{
    vl_stage *stage = vl_stage_default();
    vl_gl *gl = vl_gl_create(stage, VL_GL_HEADLESS);
    vl_renderer_desc desc = { 0 };
    vl_renderer *r = gl ? vl_renderer_create(stage, &desc) : NULL;
    vl_scene *scene = vl_scene_create("builtin:grid", NULL);
    CHECK(r && scene);
    if (!r || !scene)
        return check_result("flood");

    vl_sample_buffer *buf = vl_sample_buffer_create(0);
    vl_tracker_config cfg[N_TRACKERS];
    vl_tracker_config_default(&cfg[FREED], "freed://127.0.0.1:0");
    vl_tracker_config_default(&cfg[OSC], "osc://127.0.0.1:0");
    flood f = { .fd = socket(AF_INET, SOCK_DGRAM, 0) };
    for (int k = 0; k < N_TRACKERS; k++) {
        f.trk[k] = vl_tracker_open(&cfg[k], k, buf);
        CHECK(f.trk[k] != NULL);
        if (!f.trk[k])
            return check_result("flood");
    }
    vl_feed feed[N_TRACKERS] = {
        { .buffer = buf, .trackers = cfg, .n_trackers = N_TRACKERS, .camera = 1 },
        { .buffer = buf, .trackers = cfg, .n_trackers = N_TRACKERS, .camera = 2 },
    };

    pthread_t th;
    CHECK(pthread_create(&th, NULL, flood_thread, &f) == 0);
    /* Render while the flood runs: every frame's pose is one that was sent
     * (a whole pan in degrees), and never goes back. */
    int frames = 0, tracked_frames = 0, bad_poses = 0;
    double last_pan = 0;
    while (!atomic_load(&f.done)) {
        vl_sample smp;
        int cam = frames % 2;
        vl_camera c = { .pose = { { 0, 0, 1.5 }, 0, 0, 0 }, .fov_h_deg = 50, .width = 640, .height = 360 };
        if (vl_feed_pose(&feed[cam], vl_now_ns(), vl_now_ns(), &smp) == VL_FEED_LIVE) {
            /* A frame between two samples interpolates; the newest alone
             * must be a sent value. */
            vl_sample newest;
            vl_sample_buffer_latest(buf, cam + 1, &newest);
            bad_poses += newest.pose.pan_deg != (double)(int)newest.pose.pan_deg ||
                         newest.pose.pan_deg < 1 || newest.pose.pan_deg > GARBAGE / VALID_EVERY;
            if (cam == 0) {
                bad_poses += newest.pose.pan_deg < last_pan;
                last_pan = newest.pose.pan_deg;
            }
            c.pose = smp.pose;
            tracked_frames++;
        }
        vl_renderer_frame(r, scene, &c, frames / 25.0);
        vl_renderer_finish(r);
        frames++;
    }
    pthread_join(th, NULL);
    printf("flood: %d frames rendered during the flood, %d of them tracked\n", frames, tracked_frames);
    CHECK(frames >= 2 && tracked_frames >= 1);
    CHECK(bad_poses == 0);

    /* Wait for the receivers to take the last datagrams, then the counts
     * must be exact and the last valid pose the one in use. */
    int64_t until = vl_now_ns() + 5 * VL_NS_PER_SEC;
    for (int k = 0; k < N_TRACKERS; k++) {
        while (vl_tracker_get_stats(f.trk[k]).datagrams < f.sent[k] && vl_now_ns() < until)
            usleep(1000);
        vl_tracker_stats st = vl_tracker_get_stats(f.trk[k]);
        CHECK(st.datagrams == f.sent[k]);
        CHECK(st.samples == (uint64_t)f.valid_sent);
        for (int e = 0; e < VL_TRACK_N_ERRORS; e++) {
            if (st.errors[e] != f.expect[k][e])
                fprintf(stderr, "tracker %d: %s: %llu, expected %llu\n", k, vl_track_error_names[e],
                        (unsigned long long)st.errors[e], (unsigned long long)f.expect[k][e]);
            CHECK(st.errors[e] == f.expect[k][e]);
        }
    }
    uint64_t total = 0;
    for (int k = 0; k < N_TRACKERS; k++)
        for (int e = 0; e < VL_TRACK_N_ERRORS; e++)
            total += f.expect[k][e];
    CHECK(total == GARBAGE);
    for (int k = 0; k < N_TRACKERS; k++) {
        vl_sample smp, newest;
        CHECK(vl_feed_pose(&feed[k], vl_now_ns(), vl_now_ns(), &smp) == VL_FEED_LIVE);
        CHECK(vl_sample_buffer_latest(buf, k + 1, &newest));
        CHECK_NEAR(newest.pose.pan_deg, f.valid_sent, 1e-9);
    }

    for (int k = 0; k < N_TRACKERS; k++)
        vl_tracker_close(f.trk[k]);
    close(f.fd);
    vl_sample_buffer_destroy(buf);
    vl_scene_destroy(scene);
    vl_renderer_destroy(r);
    vl_gl_destroy(gl);
    vl_stage_free(stage);
    return check_result("flood");
}
