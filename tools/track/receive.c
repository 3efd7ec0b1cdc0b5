/* probe and record: a vl_tracker pushes into a sample buffer, which this
 * thread polls every millisecond, printing each new sample once. A sample
 * is new when it is not the one printed last; two samples arriving within
 * one poll show as one printed and one missed (counted, and said at the
 * end). */
#include "tool.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define LOG "volym-track"
#define POLL_NS INT64_C(1000000)
#define NS_PER_MS 1e6

/* Arrivals during the current one-second status window. */
struct window {
    int64_t start_ns;
    long samples;
    long intervals;
    double sum_ms, sum_sq_ms, max_ms;   /* of the gaps between arrivals */
};

struct session {
    const track_opts *o;
    vl_sample_buffer *buffer;
    vl_tracker *tracker;
    FILE *out;                  /* the samples: stdout or the take */
    FILE *status;               /* the status lines */
    bool json;
    int64_t start_ns;
    vl_sample last;             /* the sample printed last */
    long printed;
    uint64_t missed;
    struct window win;
};

static bool same_sample(const vl_sample *a, const vl_sample *b)
{
    return a->rx_ns == b->rx_ns && a->t_ns == b->t_ns && a->camera == b->camera &&
           !memcmp(&a->pose, &b->pose, sizeof(a->pose));
}

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
    w->samples++;
    if (!prev_rx_ns || !rx_ns)
        return;
    double ms = (double)(rx_ns - prev_rx_ns) / NS_PER_MS;
    w->intervals++;
    w->sum_ms += ms;
    w->sum_sq_ms += ms * ms;
    w->max_ms = fmax(w->max_ms, ms);
}

/* One line: rate, inter-arrival jitter and the tracker's counters. */
static void print_status(struct session *ss, int64_t now)
{
    struct window *w = &ss->win;
    double secs = (double)(now - w->start_ns) / 1e9;
    double mean = w->intervals ? w->sum_ms / (double)w->intervals : 0;
    double var = w->intervals ? w->sum_sq_ms / (double)w->intervals - mean * mean : 0;
    char counters[512];
    vl_tracker_stats st = vl_tracker_get_stats(ss->tracker);
    vl_tracker_stats_format(&st, counters, sizeof(counters));
    fprintf(ss->status, "# %.1f Hz, interval sd %.2f ms, max %.2f ms; %s\n",
            secs > 0 ? (double)w->samples / secs : 0.0, sqrt(fmax(var, 0)), w->max_ms, counters);
    fflush(ss->status);
    *w = (struct window){ .start_ns = now };
}

static bool done(const struct session *ss, int64_t now)
{
    const track_opts *o = ss->o;
    return track_stopping() || (o->count && ss->printed >= o->count) ||
           (o->seconds > 0 && now - ss->start_ns >= llround(o->seconds * 1e9));
}

/* Poll until done; false on a write error. */
static bool run(struct session *ss)
{
    int64_t next = ss->start_ns;
    for (;;) {
        int64_t now = vl_now_ns();
        if (done(ss, now))
            return true;
        if (now - ss->win.start_ns >= VL_NS_PER_SEC)
            print_status(ss, now);
        uint64_t pushed = vl_sample_buffer_count(ss->buffer);
        vl_sample s;
        if (vl_sample_buffer_latest(ss->buffer, -1, &s) && !(ss->printed && same_sample(&s, &ss->last))) {
            count_arrival(&ss->win, ss->printed ? ss->last.rx_ns : 0, s.rx_ns);
            ss->last = s;
            ss->printed++;
            /* pushed was read first, so it is at most this sample's number. */
            if (pushed > (uint64_t)ss->printed && pushed - (uint64_t)ss->printed > ss->missed)
                ss->missed = pushed - (uint64_t)ss->printed;
            if (!emit(ss, &s))
                return false;
        }
        /* After a stall, poll again at once but do not try to catch up. */
        next = next + POLL_NS > now ? next + POLL_NS : now;
        vl_sleep_until_ns(next);
    }
}

int track_probe(const track_opts *o)
{
    bool record = o->cmd == CMD_RECORD;
    struct session ss = {
        .o = o,
        .out = stdout,
        .status = record || o->json ? stderr : stdout,
        .json = record || o->json,
    };
    int status = 1;
    if (record && !(ss.out = fopen(o->out, "w"))) {
        VL_ERR(LOG, "cannot write %s: %s", o->out, strerror(errno));
        return 1;
    }
    vl_tracker_config cfg;
    vl_tracker_config_default(&cfg, o->from);
    cfg.camera = o->camera;
    ss.buffer = vl_sample_buffer_create(0);
    ss.tracker = vl_tracker_open(&cfg, 0, ss.buffer);
    if (!ss.tracker)
        goto fail;
    ss.start_ns = vl_now_ns();
    ss.win.start_ns = ss.start_ns;
    if (!run(&ss)) {
        VL_ERR(LOG, "cannot write %s: %s", record ? o->out : "stdout", strerror(errno));
        goto fail;
    }
    print_status(&ss, vl_now_ns());
    if (ss.missed)
        VL_WARN(LOG, "%llu samples arrived less than a poll (1 ms) apart and were not printed",
                (unsigned long long)ss.missed);
    if (record)
        fprintf(stderr, "record: %ld samples recorded to %s\n", ss.printed, o->out);
    else
        fprintf(stderr, "probe: %ld samples\n", ss.printed);
    status = 0;
fail:
    vl_tracker_close(ss.tracker);
    vl_sample_buffer_destroy(ss.buffer);
    if (record && fclose(ss.out) != 0 && status == 0) {
        VL_ERR(LOG, "cannot write %s: %s", o->out, strerror(errno));
        status = 1;
    }
    return status;
}
