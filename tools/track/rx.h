/*
 * A private UDP receiver for probe and record: every datagram is parsed in
 * the caller's thread and every sample is handed to a callback, so nothing
 * is lost at any rate. (Polling the vl_sample_buffer a vl_tracker fills
 * misses samples that arrive less than a poll apart: about 1 % at 1 kHz.)
 * It reads URLs as vl_tracker_open does and decodes with the same parsers
 * and vl_tracker_apply; it stands in for an engine API that hands a
 * tracker's samples to a sink, and goes when that exists.
 */
#ifndef VL_TRACK_RX_H
#define VL_TRACK_RX_H

#include "track/track.h"

typedef struct track_rx track_rx;

/* Samples as the tracker would push them: cfg applied, rx_ns the receive
 * time, t_ns = rx_ns - delay, source 0. Called from track_rx_wait. */
typedef void (*track_rx_fn)(void *ctx, const vl_sample *s);

/* Listen on cfg->url (only cfg->camera when >= 0). Logs "URL: listening
 * on UDP port N" as a vl_tracker does. NULL after one logged message. */
track_rx *track_rx_open(const vl_tracker_config *cfg, track_rx_fn fn, void *ctx);

/* Wait up to timeout_ns for datagrams and handle all that are queued.
 * Returns early on a signal. */
void track_rx_wait(track_rx *r, int64_t timeout_ns);

/* Counters, as vl_tracker_get_stats gives them. */
vl_tracker_stats track_rx_stats(const track_rx *r);

/* Accepts NULL. */
void track_rx_close(track_rx *r);

#endif
