/*
 * track: camera tracking. Protocol parsers, a UDP receiver thread per
 * tracker, and a per-camera timestamped sample buffer the renderer reads.
 *
 * Threads: a receiver thread only parses datagrams and pushes samples into a
 * vl_sample_buffer; it never touches GL or engine state. The buffer's lock is
 * private to track/.
 */
#ifndef VL_TRACK_H
#define VL_TRACK_H

#include "core/core.h"

/* One tracking sample, already in stage convention. */
typedef struct vl_sample {
    int64_t t_ns;               /* CLOCK_MONOTONIC receive time */
    int camera;                 /* camera id from the protocol */
    vl_pose pose;               /* metres, degrees, stage axes */
    double fov_h_deg;           /* horizontal FOV, or 0 when the source has none */
    uint32_t zoom, focus;       /* raw lens encoder values */
} vl_sample;

/* ---- FreeD D1 ------------------------------------------------------------ */

#define VL_FREED_D1_SIZE 29

enum vl_freed_result {
    VL_FREED_OK = 0,
    VL_FREED_BAD_LENGTH,        /* datagram is not 29 bytes */
    VL_FREED_BAD_TYPE,          /* first byte is not 0xD1 */
    VL_FREED_BAD_CHECKSUM,
};

/* Decode one FreeD D1 message. On VL_FREED_OK fills out (t_ns left 0,
 * fov_h_deg 0); otherwise leaves it untouched. */
enum vl_freed_result vl_freed_parse(const uint8_t *buf, size_t len, vl_sample *out);

/* Encode a sample as FreeD D1 (values out of the 24-bit range are clamped). */
void vl_freed_encode(const vl_sample *s, uint8_t out[VL_FREED_D1_SIZE]);

/* ---- sample buffer ------------------------------------------------------- */

/* A thread-safe ring of the most recent samples, per camera. Written by
 * receiver threads, read by the renderer. (Interpolation at a time t and
 * delay compensation build on this ring.) */
typedef struct vl_sample_buffer vl_sample_buffer;

/* capacity: samples kept per camera (0 = default 256). Never NULL. */
vl_sample_buffer *vl_sample_buffer_create(int capacity);
void vl_sample_buffer_destroy(vl_sample_buffer *b);
void vl_sample_buffer_push(vl_sample_buffer *b, const vl_sample *s);

/* Newest sample of `camera` (or of any camera when camera < 0, the most
 * recently pushed). Returns false when there is none. */
bool vl_sample_buffer_latest(vl_sample_buffer *b, int camera, vl_sample *out);

/* Number of samples ever pushed (for tests and stats). */
uint64_t vl_sample_buffer_count(vl_sample_buffer *b);

/* ---- trackers (UDP receivers) ------------------------------------------- */

/* Counters of one tracker; all monotonically increasing. */
typedef struct vl_tracker_stats {
    uint64_t datagrams;         /* everything received */
    uint64_t samples;           /* parsed and pushed */
    uint64_t filtered;          /* valid but another camera id */
    uint64_t bad_length, bad_type, bad_checksum;
} vl_tracker_stats;

typedef struct vl_tracker vl_tracker;

/* Open a tracker from a URL and start its receiver thread:
 *   freed://[addr]:port    FreeD D1 over UDP; addr defaults to 0.0.0.0;
 *                          port 0 picks a free port (see vl_tracker_port).
 * camera_filter: only samples with this camera id are used; -1 = any.
 * Samples go into `buffer` (not owned). Returns NULL with one logged message
 * on a bad URL or socket error. */
vl_tracker *vl_tracker_open(const char *url, int camera_filter, vl_sample_buffer *buffer);

/* Stops the thread and closes the socket. Accepts NULL. */
void vl_tracker_close(vl_tracker *t);

/* The bound UDP port. */
int vl_tracker_port(const vl_tracker *t);

/* A consistent snapshot of the counters. */
vl_tracker_stats vl_tracker_get_stats(vl_tracker *t);

#endif
