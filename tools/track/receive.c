/* probe and record: samples printed as they arrive, each exactly once, in
 * arrival order, with a status line every second. The tracker's receiver
 * thread hands every sample to on_sample (a tap); the main thread only
 * prints the status lines and decides when to stop. */
#include "tool.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define LOG "volym-track"
#define NS_PER_MS 1e6
/* How often the main thread looks at the clock, Ctrl-C and --count. */
#define TICK_NS (10 * 1000000LL)

/* Arrivals during the current one-second status window. */
struct window {
    int64_t start_ns;
    uint64_t samples_before;    /* samples received before start_ns */
    long intervals;
    double sum_ms, sum_sq_ms, max_ms;   /* of the gaps between arrivals */
};

struct session {
    const track_opts *o;
    vl_tracker *trk;
    pthread_mutex_t lock;       /* guards everything below */
    FILE *out;                  /* the samples: stdout or the take */
    FILE *status;               /* the status lines */
    bool json;
    bool write_failed;
    bool stopped;               /* the main thread is finishing: print no more */
    int64_t start_ns;
    int64_t last_rx_ns;         /* arrival of the sample printed last; 0: none yet */
    long printed;
    struct window win;
};

static void print_human(FILE *f, const vl_sample *s, double t)
{
    fprintf(f, "t %.3f  camera %d  x %.3f y %.3f z %.3f m  pan %.2f tilt %.2f roll %.2f deg",
            t, s->camera, s->pose.pos[0], s->pose.pos[1], s->pose.pos[2], s->pose.pan_deg,
            s->pose.tilt_deg, s->pose.roll_deg);
    if (s->fov_h_deg > 0)
        fprintf(f, "  fov %.2f deg", s->fov_h_deg);
    if (s->has_encoders)
        fprintf(f, "  zoom %u focus %u", (unsigned)s->zoom, (unsigned)s->focus);
    fputc('\n', f);
}

/* Print one sample; false on a write error (a full disk while recording). */
static bool emit(struct session *ss, const vl_sample *s)
{
    double t = (double)((s->rx_ns ? s->rx_ns : s->t_ns) - ss->start_ns) / 1e9;
    if (ss->json) {
        char line[512];
        vl_sample_to_json(s, t, line, sizeof(line));
        fputs(line, ss->out);
        fputc('\n', ss->out);
    } else {
        print_human(ss->out, s, t);
    }
    /* Per line, so a take survives Ctrl-C or a crash whole. */
    return fflush(ss->out) == 0 && !ferror(ss->out);
}

static void count_arrival(struct window *w, int64_t prev_rx_ns, int64_t rx_ns)
{
    if (!prev_rx_ns || !rx_ns)
        return;
    double ms = (double)(rx_ns - prev_rx_ns) / NS_PER_MS;
    w->intervals++;
    w->sum_ms += ms;
    w->sum_sq_ms += ms * ms;
    w->max_ms = fmax(w->max_ms, ms);
}

/* One line: the sample rate, inter-arrival jitter and the counters. */
static void print_status(struct session *ss, int64_t now)
{
    struct window *w = &ss->win;
    double secs = (double)(now - w->start_ns) / 1e9;
    double mean = w->intervals ? w->sum_ms / (double)w->intervals : 0;
    double var = w->intervals ? w->sum_sq_ms / (double)w->intervals - mean * mean : 0;
    char counters[512];
    vl_tracker_stats st = vl_tracker_get_stats(ss->trk);
    vl_tracker_stats_format(&st, counters, sizeof(counters));
    fprintf(ss->status, "# %.1f Hz, interval sd %.2f ms, max %.2f ms; %s\n",
            secs > 0 ? (double)(st.samples - w->samples_before) / secs : 0.0,
            sqrt(fmax(var, 0)), w->max_ms, counters);
    fflush(ss->status);
    *w = (struct window){ .start_ns = now, .samples_before = st.samples };
}

static bool enough(const struct session *ss)
{
    return ss->o->count && ss->printed >= ss->o->count;
}

static void on_sample(void *ctx, const vl_sample *s)
{
    struct session *ss = ctx;
    pthread_mutex_lock(&ss->lock);
    if (!ss->stopped && !ss->write_failed && !enough(ss)) {
        count_arrival(&ss->win, ss->last_rx_ns, s->rx_ns);
        ss->last_rx_ns = s->rx_ns;
        ss->printed++;
        ss->write_failed = !emit(ss, s);
    }
    pthread_mutex_unlock(&ss->lock);
}

/* Receive until Ctrl-C, --count or --seconds; false on a write error. */
static bool run(struct session *ss)
{
    int64_t end = ss->o->seconds > 0 ? ss->start_ns + llround(ss->o->seconds * 1e9) : INT64_MAX;
    bool done = false;
    while (!done) {
        int64_t now = vl_now_ns();
        pthread_mutex_lock(&ss->lock);
        if (now - ss->win.start_ns >= VL_NS_PER_SEC)
            print_status(ss, now);
        done = track_stopping() || ss->write_failed || enough(ss) || now >= end;
        ss->stopped = done;
        pthread_mutex_unlock(&ss->lock);
        int64_t wake = now + TICK_NS;
        if (!done)
            vl_sleep_until_ns(wake < end ? wake : end);
    }
    return !ss->write_failed;
}

int track_probe(const track_opts *o)
{
    bool record = o->cmd == CMD_RECORD;
    struct session ss = {
        .o = o,
        .out = record ? NULL : stdout,
        .status = record || o->json ? stderr : stdout,
        .json = record || o->json,
    };
    int status = 1;
    vl_tracker_config cfg;
    vl_tracker_config_default(&cfg, o->from);
    cfg.camera = o->camera;
    pthread_mutex_init(&ss.lock, NULL);
    if (record && !(ss.out = fopen(o->out, "w"))) {
        VL_ERR(LOG, "cannot write %s: %s", o->out, strerror(errno));
        goto fail;
    }
    ss.start_ns = vl_now_ns();
    ss.win.start_ns = ss.start_ns;
    const vl_track_sink tap = { .sample = on_sample, .ctx = &ss };
    ss.trk = vl_tracker_open_tap(&cfg, 0, NULL, &tap);
    if (!ss.trk)
        goto fail;
    if (!run(&ss)) {
        VL_ERR(LOG, "cannot write %s: %s", record ? o->out : "stdout", strerror(errno));
        goto fail;
    }
    print_status(&ss, vl_now_ns());
    if (record)
        fprintf(stderr, "record: %ld samples recorded to %s\n", ss.printed, o->out);
    else
        fprintf(stderr, "probe: %ld samples\n", ss.printed);
    status = 0;
fail:
    vl_tracker_close(ss.trk);       /* no more on_sample after this */
    pthread_mutex_destroy(&ss.lock);
    if (record && ss.out && fclose(ss.out) != 0 && status == 0) {
        VL_ERR(LOG, "cannot write %s: %s", o->out, strerror(errno));
        status = 1;
    }
    return status;
}
