/*
 * Frame statistics of `volym run`: one JSON line a frame to the --stats
 * file, and a summary at exit. Times are nanoseconds from the clock's
 * frame 0, so a line reads as "frame n was due at target_ns, began at
 * start_ns, finished rendering at render_end_ns, went out at present_ns".
 */
#include "app.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "stats"

struct vl_stats {
    FILE *file;                 /* NULL: summary only */
    const char *path;
    double *frame_ms, *age_ms;  /* render time of every frame; age of tracked poses */
    double *interval_ms;        /* start to start of consecutive frames shown */
    int64_t n_frames, n_ages, cap;
    int64_t dropped, late;
    int64_t last_start_ns;
};

vl_stats *vl_stats_open(const char *path)
{
    vl_stats *s = vl_xcalloc(1, sizeof(*s));
    s->path = path;
    if (path && !(s->file = fopen(path, "w"))) {
        VL_ERR(LOG, "cannot write %s: %s", path, strerror(errno));
        free(s);
        return NULL;
    }
    return s;
}

void vl_stats_frame(vl_stats *s, const vl_frame_record *r)
{
    if (s->n_frames == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4096;
        s->frame_ms = vl_xrealloc(s->frame_ms, s->cap * sizeof(double));
        s->age_ms = vl_xrealloc(s->age_ms, s->cap * sizeof(double));
        s->interval_ms = vl_xrealloc(s->interval_ms, s->cap * sizeof(double));
    }
    if (s->n_frames)
        s->interval_ms[s->n_frames - 1] = (r->start_ns - s->last_start_ns) / 1e6;
    s->last_start_ns = r->start_ns;
    s->frame_ms[s->n_frames++] = (r->render_end_ns - r->start_ns) / 1e6;
    if (r->pose_age_ms >= 0)
        s->age_ms[s->n_ages++] = r->pose_age_ms;
    s->dropped += r->dropped;
    s->late += r->late;
    if (!s->file)
        return;
    char age[32] = "null";
    if (r->pose_age_ms >= 0)
        snprintf(age, sizeof(age), "%.3f", r->pose_age_ms);
    fprintf(s->file, "{\"frame\": %lld, \"timecode\": \"%s\", \"target_ns\": %lld, "
            "\"start_ns\": %lld, \"render_end_ns\": %lld, \"present_ns\": %lld, "
            "\"pose_age_ms\": %s, \"late\": %s, \"dropped_before\": %lld, \"clock\": \"%s\", "
            "\"phase_error_ms\": %.3f}\n",
            (long long)r->frame, r->timecode, (long long)r->target_ns, (long long)r->start_ns,
            (long long)r->render_end_ns, (long long)r->present_ns, age,
            r->late ? "true" : "false", (long long)r->dropped, r->clock ? r->clock : "internal",
            r->phase_error_ms);
}

/* Percentiles sort, so they work on a copy: frames keep coming. */
static double percentile_of(const double *v, int64_t n, double p)
{
    if (n <= 0)
        return 0;
    double *copy = vl_xmalloc(n * sizeof(double));
    memcpy(copy, v, n * sizeof(double));
    double x = vl_percentile(copy, (int)n, p);
    free(copy);
    return x;
}

vl_stats_summary vl_stats_get_summary(const vl_stats *s)
{
    int64_t n_int = s->n_frames > 0 ? s->n_frames - 1 : 0;
    return (vl_stats_summary){
        .frames = s->n_frames, .dropped = s->dropped, .late = s->late,
        .frame_ms_p50 = percentile_of(s->frame_ms, s->n_frames, 50),
        .frame_ms_p99 = percentile_of(s->frame_ms, s->n_frames, 99),
        .interval_ms_p50 = percentile_of(s->interval_ms, n_int, 50),
        .interval_ms_p99 = percentile_of(s->interval_ms, n_int, 99),
        .pose_age_ms_p99 = s->n_ages ? percentile_of(s->age_ms, s->n_ages, 99) : -1,
    };
}

void vl_stats_close(vl_stats *s)
{
    if (!s)
        return;
    if (s->n_frames) {
        vl_stats_summary m = vl_stats_get_summary(s);
        char ages[64] = "";
        if (m.pose_age_ms_p99 >= 0)
            snprintf(ages, sizeof(ages), ", pose age p99 %.1f ms", m.pose_age_ms_p99);
        VL_INFO(LOG, "%lld frames, %lld dropped, %lld late; frame time p50 %.1f ms, p99 %.1f ms; "
                "frame interval p50 %.2f ms, p99 %.2f ms%s",
                (long long)m.frames, (long long)m.dropped, (long long)m.late, m.frame_ms_p50,
                m.frame_ms_p99, m.interval_ms_p50, m.interval_ms_p99, ages);
    }
    if (s->file && fclose(s->file) != 0)
        VL_ERR(LOG, "cannot finish writing %s: %s", s->path, strerror(errno));
    free(s->frame_ms);
    free(s->age_ms);
    free(s->interval_ms);
    free(s);
}
