/*
 * volym bench latency: how long a tracking datagram waits until a frame
 * that uses it is rendered. A sender thread plays a FreeD tracker at 60 Hz
 * over loopback (not a multiple of the frame rate, so arrivals fall at every
 * phase of the frame); the render loop runs the default stage (or --stage)
 * at 50 fps with builtin:grid as `volym run --headless` does. Each datagram carries its
 * number in the zoom field, so the frame that first uses it knows which
 * datagrams it is the first to use.
 *
 * A datagram that arrives just after a frame read the pose waits for the
 * next frame's start (up to one period) and then for its render, so the
 * target is: latency <= one frame period + that frame's render time.
 */
#include "app.h"
#include "render/render.h"
#include "stage/stage.h"
#include "track/track.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#define LOG "bench"
#define SEND_HZ 60
#define MAX_SENT (1 << 20)

typedef struct sender {
    vl_track_sender *snd;
    int64_t *sent_ns;           /* send time of datagram i */
    atomic_int n_sent;
    atomic_bool stop;
} sender;

static void *send_thread(void *arg)
{
    sender *s = arg;
    int64_t t0 = vl_now_ns(), period = VL_NS_PER_SEC / SEND_HZ;
    for (int i = 0; i < MAX_SENT && !atomic_load(&s->stop); i++) {
        vl_sleep_until_ns(t0 + i * period);
        vl_sample smp = { .camera = 1, .pose = vl_demo_pose(i / (double)SEND_HZ),
                          .has_encoders = true, .zoom = (uint32_t)i };
        s->sent_ns[i] = vl_now_ns();
        atomic_store(&s->n_sent, i + 1);
        vl_track_sender_send(s->snd, &smp);
    }
    return NULL;
}

int vl_bench_latency(const vl_opts *o)
{
    /* The first second (50 frames) is warm-up, not measured. */
    int frames = o->frames ? o->frames : 500;
    if (frames <= 100) {
        VL_ERR(LOG, "bench latency: --frames must be over 100 (the first 50 are warm-up)");
        return 1;
    }
    vl_stage *stage = o->stage_path ? vl_stage_load(o->stage_path) : vl_stage_default();
    if (!stage)
        return 1;
    stage->rate = (vl_rational){ 50, 1 };
    vl_gl *gl = vl_gl_create(stage, VL_GL_HEADLESS);
    vl_renderer_desc desc = { .inner_width = o->inner_w, .inner_height = o->inner_h };
    vl_renderer *r = gl ? vl_renderer_create(stage, &desc) : NULL;
    vl_scene *scene = vl_scene_create("builtin:grid", NULL);
    vl_sample_buffer *buf = vl_sample_buffer_create(0);
    vl_tracker_config cfg;
    vl_tracker_config_default(&cfg, "freed://127.0.0.1:0");
    vl_tracker *trk = vl_tracker_open(&cfg, 0, buf);
    sender snd = { .sent_ns = vl_xcalloc(MAX_SENT, sizeof(int64_t)) };
    double *latency = vl_xcalloc(MAX_SENT, sizeof(double));
    double *wait = vl_xcalloc(MAX_SENT, sizeof(double));   /* latency - render time */
    double *render_ms = vl_xcalloc(frames, sizeof(double));
    int n_lat = 0, ret = 1;
    bool started = false;
    pthread_t thread;
    if (!r || !scene || !trk)
        goto done;
    char url[64];
    snprintf(url, sizeof(url), "freed://127.0.0.1:%d", vl_tracker_port(trk));
    snd.snd = vl_track_sender_open(url, 0);
    if (!snd.snd || pthread_create(&thread, NULL, send_thread, &snd))
        goto done;
    started = true;

    vl_feed feed = { .buffer = buf, .trackers = &cfg, .n_trackers = 1, .camera = -1 };
    vl_rational rate = stage->rate;
    int64_t period = vl_frame_period_ns(rate), t0 = vl_now_ns() + VL_NS_PER_SEC / 2;
    int64_t n = 0;
    int used = 0, late_frames = 0;      /* datagrams 0 .. used-1 are accounted for */
    for (int shown = 0; shown < frames; shown++, n++) {
        int64_t next = vl_frame_catch_up(rate, t0, n, vl_now_ns());
        late_frames += next != n;
        n = next;
        int64_t deadline = t0 + vl_frame_time_ns(rate, n);
        vl_sleep_until_ns(deadline);
        int64_t start = vl_now_ns();
        vl_sample smp;
        vl_camera cam = { .pose = vl_demo_pose(0), .fov_h_deg = 50, .width = 1920, .height = 1080 };
        if (vl_feed_pose(&feed, deadline, start, &smp) != VL_FEED_NONE)
            cam.pose = smp.pose;
        vl_sample newest;
        bool have = vl_sample_buffer_latest(buf, -1, &newest);
        vl_renderer_frame(r, scene, &cam, vl_frame_time_ns(rate, n) / 1e9);
        vl_renderer_finish(r);
        int64_t done = vl_now_ns();
        render_ms[shown] = (done - start) / 1e6;
        /* Warm-up: the first second only primes caches and the JIT. */
        bool measure = shown >= 50;
        /* Datagram i was received, so n_sent > i was stored before it went
         * out: loading n_sent makes sent_ns[i] safe to read. */
        int avail = atomic_load(&snd.n_sent);
        for (; have && used <= (int)newest.zoom && used < avail; used++) {
            if (!measure)
                continue;
            latency[n_lat] = (done - snd.sent_ns[used]) / 1e6;
            wait[n_lat++] = (start - snd.sent_ns[used]) / 1e6;
        }
    }
    if (n_lat < 10) {
        VL_ERR(LOG, "only %d datagrams were used: is loopback UDP working?", n_lat);
        goto done;
    }
    vl_tracker_stats st = vl_tracker_get_stats(trk);
    double lat50 = vl_percentile(latency, n_lat, 50), lat99 = vl_percentile(latency, n_lat, 99);
    double ren50 = vl_percentile(render_ms + 50, frames - 50, 50);
    double ren99 = vl_percentile(render_ms + 50, frames - 50, 99);
    double wait99 = vl_percentile(wait, n_lat, 99);
    printf("volym bench latency: %s at 50 fps, builtin:grid, FreeD at %d Hz over loopback, "
           "%d frames (the first 50 not measured), %d datagrams measured\n",
           o->stage_path ? o->stage_path : "default stage", SEND_HZ, frames, n_lat);
    printf("  datagram -> frame rendered   p50 %6.2f ms  p99 %6.2f ms\n", lat50, lat99);
    printf("  frame render time            p50 %6.2f ms  p99 %6.2f ms\n", ren50, ren99);
    printf("  target: p99 latency %.2f ms <= period %.2f ms + render time p99 %.2f ms = %.2f ms: %s\n",
           lat99, period / 1e6, ren99, period / 1e6 + ren99,
           lat99 <= period / 1e6 + ren99 ? "met" : "NOT met");
    printf("  per datagram, latency - its frame's render time: p99 %.2f ms (a period is %.2f ms; "
           "more means the frame started late)\n", wait99, period / 1e6);
    printf("  frames that fell a whole period behind: %d; tracker %llu datagrams, %llu samples\n",
           late_frames, (unsigned long long)st.datagrams, (unsigned long long)st.samples);
    ret = 0;
done:
    if (started) {
        atomic_store(&snd.stop, true);
        pthread_join(thread, NULL);
    }
    vl_track_sender_close(snd.snd);
    vl_tracker_close(trk);
    vl_sample_buffer_destroy(buf);
    free(snd.sent_ns);
    free(latency);
    free(wait);
    free(render_ms);
    vl_scene_destroy(scene);
    vl_renderer_destroy(r);
    vl_gl_destroy(gl);
    vl_stage_free(stage);
    return ret;
}
