/*
 * Internal to app/: the frame clock of `run` (README "Frame clock"): what
 * starts each frame, internal, the display's vsync or a tracker's packets.
 */
#ifndef VL_APP_FRAME_CLOCK_H
#define VL_APP_FRAME_CLOCK_H

#include "core/clock.h"
#include "session.h"

/* One clock's state, owned by the frame loop (one thread). */
typedef struct frame_clock {
    enum vl_clock_source source;
    vl_rational rate;
    int64_t period;
    int64_t t0;                 /* internal: frame 0's start */
    vl_phase_lock lock;         /* tracker: frame starts on its packet cadence */
    vl_tracker *tracker;
    uint64_t cursor;            /* packet times read so far */
    vl_rate_meter meter;        /* vsync: the display's measured rate */
    int64_t last_present, measured_at;
    int64_t missed;             /* vsync: vblanks the last present came late by */
    int64_t locked_at;          /* tracker: when the state last changed */
    enum vl_lock_state state;   /* tracker: the last one logged */
    bool warned;                /* the rate warning was given (vsync or tracker) */
} frame_clock;

/* Start the clock o asks for at frame 0 (now); vsync falls back to internal
 * when headless. false (reported) when --clock tracker names no tracker of s. */
bool clock_open(frame_clock *c, session *s, const vl_opts *o, bool headless);

/* The frame to show after frame n (later when frames are dropped to keep
 * time) and when it starts. */
int64_t clock_next(frame_clock *c, int64_t n, int64_t prev_deadline, int64_t *deadline);

/* After the present of frame n: vsync measures the display and warns once
 * when it does not run at the stage rate. A swap that does not wait for the
 * vblank at all (vsync off in the driver, a virtual display) would run
 * scene time fast: the internal clock takes over from frame n. */
void clock_presented(frame_clock *c, int64_t t, int64_t n);

/* The clock's name and state for the stats; a tracker lock's changes of
 * state are logged as they happen. */
void clock_state(frame_clock *c, char *name, size_t n, double *phase_ms);

#endif
