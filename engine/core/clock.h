/*
 * core/clock: frame clock arithmetic for the real-time loop.
 *
 *   vl_phase_lock   locks frame starts to the packet cadence of a tracker
 *                   that is genlocked to house sync (no sync card needed);
 *   vl_rate_meter   measures the display's real refresh rate from present
 *                   timestamps (the vsync clock source).
 *
 * Pure arithmetic: no threads, no sockets, no sleeping. Every time is passed
 * in (int64 ns of CLOCK_MONOTONIC), so a test can simulate hours of a stage
 * in milliseconds. Neither object locks: one thread (the frame loop) owns
 * it. Both are plain structs the caller embeds; no allocation, nothing to
 * destroy. Their fields are private except where marked.
 */
#ifndef VL_CLOCK_H
#define VL_CLOCK_H

#include "core/core.h"

/* ---- phase lock to a tracker's packet cadence ------------------------------
 *
 * Model. A genlocked tracker sends one datagram per sync pulse: pulse j
 * leaves at T0 + j * P (P on the local clock, a few hundred ppm off the
 * nominal rate because the tracker's clock is not ours) and arrives with
 * network jitter, sometimes lost, sometimes twice. The lock estimates T0 and
 * P from the arrivals, checks that the tracker rate is k times the stage
 * rate, and steers frame deadlines so frame starts land on every k-th pulse
 * (+ offset) and the frame period is k * P, not the nominal one.
 *
 * Cadence estimate: a least-squares line through (pulse index, arrival time)
 * of the last VL_PHASE_LOCK_WINDOW accepted packets (about 10 s at 50 Hz).
 * Its slope is P, its value at the newest index the phase. With arrival
 * jitter of standard deviation s and N packets, the phase at the newest
 * packet is good to 2 s / sqrt(N) and P to s * sqrt(12 / N^3): uniform
 * +-1 ms jitter (s = 0.58 ms) at 50 Hz gives 0.05 ms and 9 ppm. A window
 * fit rather than a packet-rate PLL because it converges as fast as the
 * data allows from the first packet (no gear-shifting of loop gains) and
 * follows a constant ppm offset with no steady-state error; a tracker's
 * clock drifts far more slowly than the window.
 *   Robustness: pulse indices come from rounding (arrival - line) / P, so a
 *   lost packet just skips an index. A packet whose index is not past the
 *   last accepted one is a duplicate (counted, ignored). A residual beyond
 *   5 x the mean absolute residual (at least 0.5 ms, at most P / 4) is an
 *   outlier, a late burst (counted, left out of the fit); 8 in a row mean
 *   the cadence moved (the tracker re-locked or was replaced) and the
 *   estimate starts again. The first estimate of P is the median interval
 *   of the first VL_PHASE_LOCK_BOOT packets at least 2 ms apart, so
 *   duplicates and losses do not skew it. Tracker rates up to 500 Hz with
 *   jitter under P / 4.
 *
 * Ratio: k = round(stage period / P); the tracker rate must be k >= 1 times
 * the stage rate within VL_PHASE_LOCK_RATIO_TOL (0.5 %): 50 Hz for 25 fps,
 * 59.94 for 29.97, 48 for 24, 50 for 50 (and 60 for 29.97: the stage then
 * follows the house sync at 30). Otherwise NO_RATIO. Which of the k pulses
 * of a frame starts it cannot be known from the cadence alone: frames are
 * pulled to the nearest pulse, never more than half a packet period, and
 * as they advance k pulses at a time they stay on every k-th one.
 *
 * Frame loop (once per frame, vl_phase_lock_next): frequency plus phase
 * correction, a second-order loop whose frequency integrator is the
 * cadence fit's slope:
 *     interval = k * P - clamp(gain * e, +-slew), kept within stage
 *                period +-slew
 * where e is the error the next deadline would have at interval k * P
 * against the nearest pulse + offset of the fitted cadence.
 *   gain VL_PHASE_LOCK_GAIN = 0.1 per frame: the error decays with a time
 *     constant of 10 frames (0.4 s at 25 fps): smooths the fit's
 *     frame-to-frame wobble, yet settles well inside the hold time.
 *   slew VL_PHASE_LOCK_SLEW = 1 % of the stage period (0.4 ms at 25 fps):
 *     no interval differs from the nominal period by more, whatever the
 *     estimate (in the tests none differs by more from the one before), so
 *     picture motion never visibly stutters. The worst start, half a frame
 *     off with k = 1, takes 50 frames of slew, then about 20 to settle.
 *   k * P is the measured period: without it a tracker 150 ppm off would
 *     leave a steady error of 150 ppm * period / gain (0.06 ms at 25 fps,
 *     0.33 ms for a tracker 0.1 % off); with it there is none, and the frame
 *     count over any stretch is the tracker's elapsed time * its rate / k
 *     (no drift, no slipped frames).
 *
 * Lock detection: LOCKED while every frame's remaining error (e after the
 * correction) has been within VL_PHASE_LOCK_THRESHOLD_MS (0.5 ms) for the
 * last VL_PHASE_LOCK_HOLD_MS (1 s, 25 frames at 25 fps) and the fit holds
 * at least 64 packets. 0.5 ms is a few times the fit's own noise (so a
 * settled lock does not flap at +-1 ms jitter) and a small fraction of any
 * frame or shutter interval; the hold time makes sure the loop has
 * settled, not merely swung through the window. LOST after
 * VL_PHASE_LOCK_LOST_MS (0.5 s, 25 packets at 50 Hz) without a packet: well
 * past any loss burst a working network has, soon enough that an operator
 * sees it. The clock then free-runs at the last period without correction
 * (no jump); when packets return the cadence is estimated afresh (its phase
 * may have moved) and the lock re-acquires as from the start.
 *
 * Measured by tests/test_clock.c (50 Hz tracker +150 ppm, +-1 ms jitter,
 * 1 % lost, duplicates, late bursts; 25 fps): LOCKED 1.3-3.1 s after the
 * first packet (4.2 s for the worst start at 24 fps), then the true phase
 * error stays within 0.2 ms (0.3 ms at 25 Hz, k = 1) for 10 minutes. */

#define VL_PHASE_LOCK_WINDOW 512        /* packets in the cadence fit */
#define VL_PHASE_LOCK_GAIN 0.1          /* phase correction per frame */
#define VL_PHASE_LOCK_SLEW 0.01         /* max |interval - stage period| / stage period */
#define VL_PHASE_LOCK_RATIO_TOL 0.005   /* tracker rate vs k * stage rate */
#define VL_PHASE_LOCK_THRESHOLD_MS 0.5  /* locked: phase error within this */
#define VL_PHASE_LOCK_HOLD_MS 1000      /* ... for this long */
#define VL_PHASE_LOCK_LOST_MS 500       /* no packet for this long: lost */
#define VL_PHASE_LOCK_BOOT 16           /* packets for the first period estimate */

enum vl_lock_state {
    VL_LOCK_NONE,       /* no packet yet: free-running at the stage rate */
    VL_LOCK_ACQUIRING,  /* packets arrive; estimating the cadence or
                           pulling frames onto it */
    VL_LOCK_LOCKED,     /* frame starts on the cadence (+ offset) within
                           the threshold for the last hold time */
    VL_LOCK_LOST,       /* packets stopped: free-running at the last period */
    VL_LOCK_NO_RATIO,   /* the tracker rate is not a whole multiple of the
                           stage rate: free-running at the stage rate */
};

typedef struct vl_phase_lock {
    vl_rational stage_rate;
    double stage_ns;            /* nominal stage period */
    double offset_ns;
    /* cadence estimate */
    int64_t boot_rx[VL_PHASE_LOCK_BOOT];
    int boot_n;
    int64_t win_j[VL_PHASE_LOCK_WINDOW], win_rx[VL_PHASE_LOCK_WINDOW];
    int win_n, win_head;        /* ring; head: the next slot to write */
    bool fitted;
    double period_ns;           /* P */
    int64_t ref_j, ref_rx;      /* arrival of pulse j = ref_rx + ref_off_ns + */
    double ref_off_ns;          /*   period_ns * (j - ref_j) */
    double jitter_ns;           /* mean absolute residual */
    int outlier_run;
    int64_t last_rx;
    bool any_packet;
    int k;                      /* packets per frame; 0: no ratio */
    /* frame loop */
    double frame_ns;            /* period the frames run at now */
    double frac_ns;             /* last deadline's fraction of a ns */
    int64_t last_deadline;
    double err_ns, err_filt_ns;
    bool in_window, locked;
    int64_t in_window_since;
    /* public, read-only: counters since init */
    uint64_t packets;           /* fed */
    uint64_t duplicates;        /* same or earlier pulse than one already seen */
    uint64_t outliers;          /* left out of the fit */
    uint64_t restarts;          /* cadence estimated afresh (gap or jump) */
} vl_phase_lock;

/* Start free-running at stage_rate. offset_ms: frame start = tracker phase
 * (the arrival phase of its packets) + offset; positive delays frames;
 * taken modulo the packet period. */
void vl_phase_lock_init(vl_phase_lock *pl, vl_rational stage_rate, double offset_ms);

/* Change the offset at run time; frames slew to it at the slew limit. */
void vl_phase_lock_set_offset_ms(vl_phase_lock *pl, double offset_ms);

/* Feed the receive time of every valid packet of the chosen tracker, in
 * arrival order (vl_tracker_packet_times). A time earlier than the last is
 * ignored. */
void vl_phase_lock_packet(vl_phase_lock *pl, int64_t rx_ns);

/* The deadline of the frame after the one at prev_deadline_ns, called once
 * per frame after that frame (now_ns: the time of the call). Pass back the
 * deadline it returned last time (the first time, any start time: frames
 * then pull onto the cadence). When now_ns is already more than a whole
 * interval past the next deadline, the frames in between are skipped (as
 * vl_frame_catch_up does). *frames (may be NULL) gets how many frames the
 * deadline advanced: 1, or more after skips. */
int64_t vl_phase_lock_next(vl_phase_lock *pl, int64_t prev_deadline_ns, int64_t now_ns,
                           int64_t *frames);

/* The state at now_ns (LOST depends on the time since the last packet). */
enum vl_lock_state vl_phase_lock_state(const vl_phase_lock *pl, int64_t now_ns);

/* Phase error of frame starts against the cadence + offset after the last
 * correction, in ms, low-pass filtered over about 10 frames; positive:
 * frames late. 0 while not steering. */
double vl_phase_lock_error_ms(const vl_phase_lock *pl);

/* The tracker's measured packet rate in Hz (on the local clock); 0 before
 * the first estimate. */
double vl_phase_lock_tracker_hz(const vl_phase_lock *pl);

/* The frame period the clock runs at now, before phase correction, in ns:
 * k * the tracker period once the cadence is known (kept while lost or
 * re-estimating); the stage period with no tracker yet or no ratio. */
double vl_phase_lock_period_ns(const vl_phase_lock *pl);

/* "none", "acquiring", "locked", "lost", "no ratio". */
const char *vl_lock_state_name(enum vl_lock_state s);

/* ---- display rate meter ------------------------------------------------------
 *
 * Feed the time of every present (after the buffer swap returns); read the
 * display's refresh rate. Over the presents of the last VL_RATE_METER_SPAN_MS
 * (2 s): the median interval says what one refresh is, so a missed vblank
 * (an interval of two) or a late present counts as the refreshes it spans;
 * the rate is then the slope of a least-squares line through (refresh
 * count, present time). The median alone would be off by the present
 * jitter divided by sqrt(n); the line over 2 s is good to about 0.01 Hz
 * with 0.5 ms of jitter. For `run` to warn "display at 60.00 Hz, stage at
 * 25 fps" when the two do not divide. */

#define VL_RATE_METER_CAP 512           /* presents kept: 2 s up to 256 Hz */
#define VL_RATE_METER_SPAN_MS 2000

typedef struct vl_rate_meter {
    int64_t t_ns[VL_RATE_METER_CAP];    /* ring of present times */
    int head, n;                        /* head: the next slot to write */
} vl_rate_meter;

void vl_rate_meter_init(vl_rate_meter *m);

/* One present. Times must not go backwards (an earlier one is ignored). */
void vl_rate_meter_add(vl_rate_meter *m, int64_t present_ns);

/* The measured refresh rate in Hz, or 0 with fewer than 8 presents in the
 * span. Sorts a copy of the intervals: call it once a second, not per
 * frame. */
double vl_rate_meter_hz(const vl_rate_meter *m);

#endif
