/*
 * The frame clock's sources (README "Frame clock"): internal, vsync and
 * phase-locked to a tracker's packet cadence.
 */
#include "frame_clock.h"

#include <math.h>
#include <stdio.h>

#define LOG "volym"

static const char *const clock_names[] = { "internal", "vsync", "tracker" };

bool clock_open(frame_clock *c, session *s, const vl_opts *o, bool headless)
{
    *c = (frame_clock){ .source = o->clock, .rate = s->stage->rate,
                        .period = vl_frame_period_ns(s->stage->rate) };
    if (c->source == VL_CLOCK_VSYNC && headless) {
        VL_WARN(LOG, "--clock vsync: no display to sync to (headless): using the internal clock");
        c->source = VL_CLOCK_INTERNAL;
    }
    if (c->source == VL_CLOCK_TRACKER) {
        if (o->clock_tracker >= s->n_trackers) {
            VL_ERR(LOG, "--clock tracker: no tracker %d to lock to (the session has %d; give "
                   "--tracking URL or stage trackers)", o->clock_tracker, s->n_trackers);
            return false;
        }
        c->tracker = s->open[o->clock_tracker];
        vl_phase_lock_init(&c->lock, c->rate, o->clock_offset_ms);
        VL_INFO(LOG, "frames lock to the packets of %s", s->trackers[o->clock_tracker].url);
    }
    vl_rate_meter_init(&c->meter);
    c->t0 = vl_now_ns();
    return true;
}

int64_t clock_next(frame_clock *c, int64_t n, int64_t prev_deadline, int64_t *deadline)
{
    int64_t now = vl_now_ns();
    if (c->source == VL_CLOCK_INTERNAL) {
        int64_t next = vl_frame_catch_up(c->rate, c->t0, n + 1, now);
        *deadline = c->t0 + vl_frame_time_ns(c->rate, next);
        return next;
    }
    if (c->source == VL_CLOCK_VSYNC) {
        /* The swap waits for the vblank: start at once. The frames the
         * last present came late by (whole periods) were dropped. */
        *deadline = now;
        return n + 1 + c->missed;
    }
    int64_t times[256];
    int got;
    while ((got = vl_tracker_packet_times(c->tracker, &c->cursor, times, 256)) > 0)
        for (int i = 0; i < got; i++)
            vl_phase_lock_packet(&c->lock, times[i]);
    int64_t frames = 1;
    *deadline = vl_phase_lock_next(&c->lock, prev_deadline, now, &frames);
    return n + frames;
}

void clock_presented(frame_clock *c, int64_t t, int64_t n)
{
    /* Presents a whole period or more apart missed vblanks: the wall
     * showed the frame before again. */
    int64_t missed = c->last_present ? (t - c->last_present - c->period / 2) / c->period : 0;
    c->missed = missed > 0 ? missed : 0;
    c->last_present = t;
    if (c->source != VL_CLOCK_VSYNC)
        return;
    vl_rate_meter_add(&c->meter, t);
    if (t - c->measured_at < VL_NS_PER_SEC / 4)
        return;                 /* the meter sorts: four times a second is enough */
    c->measured_at = t;
    double hz = vl_rate_meter_hz(&c->meter), want = vl_rational_to_double(c->rate);
    if (hz > want * 1.5) {
        VL_WARN(LOG, "--clock vsync: the display does not wait for its vblank (%.0f swaps a "
                "second): using the internal clock", hz);
        c->source = VL_CLOCK_INTERNAL;
        c->t0 = t - vl_frame_time_ns(c->rate, n);
        return;
    }
    if (!c->warned && hz > 0 && fabs(hz - want) > want * 0.002) {
        VL_WARN(LOG, "the display runs at %.3f Hz, the stage at %.3f fps: set the display to "
                "the stage rate, or use --clock internal or tracker", hz, want);
        c->warned = true;
    }
}

void clock_state(frame_clock *c, char *name, size_t n, double *phase_ms)
{
    *phase_ms = 0;
    if (c->source != VL_CLOCK_TRACKER) {
        snprintf(name, n, "%s", clock_names[c->source]);
        return;
    }
    int64_t now = vl_now_ns();
    enum vl_lock_state st = vl_phase_lock_state(&c->lock, now);
    snprintf(name, n, "tracker %s", vl_lock_state_name(st));
    *phase_ms = vl_phase_lock_error_ms(&c->lock);
    double hz = vl_phase_lock_tracker_hz(&c->lock), fps = 1e9 / vl_phase_lock_period_ns(&c->lock);
    double want = vl_rational_to_double(c->rate);
    /* The rate is judged once the cadence fit holds its whole window
     * (VL_PHASE_LOCK_WINDOW packets, about 10 s): an early fit is a few
     * hundred ppm off by itself. */
    if (st == VL_LOCK_LOCKED && !c->warned && now - c->locked_at > 15 * VL_NS_PER_SEC &&
        fabs(fps - want) > want * 0.0005) {
        VL_WARN(LOG, "clock: locked frames run at %.3f fps, the stage says %.3f: the tracker's "
                "sync is not the stage rate's", fps, want);
        c->warned = true;
    }
    if (st == c->state)
        return;
    c->state = st;
    c->locked_at = now;
    if (st == VL_LOCK_NO_RATIO)
        VL_WARN(LOG, "clock: the tracker sends at %.3f Hz, not a whole multiple of the stage's "
                "%.3f fps: running on the internal clock", hz, want);
    else if (hz > 0)
        VL_INFO(LOG, "clock: %s (tracker at %.3f Hz)", vl_lock_state_name(st), hz);
    else
        VL_INFO(LOG, "clock: %s", vl_lock_state_name(st));
}
