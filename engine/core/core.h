/*
 * core: logging, time, rational frame rates, memory and file helpers.
 *
 * Everything else in volym depends on this module; it depends on nothing in
 * volym. No mutable globals apart from the log level, which is process-wide
 * by nature (like mpv's --msg-level).
 */
#ifndef VL_CORE_H
#define VL_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- logging ------------------------------------------------------------ */

enum vl_log_level {
    VL_LOG_ERROR,
    VL_LOG_WARN,
    VL_LOG_INFO,
    VL_LOG_DEBUG,
};

/* Log one line to stderr as "[component] message". Lines above the current
 * level are dropped. Thread-safe. Nothing per frame above debug level. */
void vl_log(enum vl_log_level level, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void vl_log_set_level(enum vl_log_level level);
enum vl_log_level vl_log_get_level(void);

#define VL_ERR(comp, ...)   vl_log(VL_LOG_ERROR, comp, __VA_ARGS__)
#define VL_WARN(comp, ...)  vl_log(VL_LOG_WARN, comp, __VA_ARGS__)
#define VL_INFO(comp, ...)  vl_log(VL_LOG_INFO, comp, __VA_ARGS__)
#define VL_DEBUG(comp, ...) vl_log(VL_LOG_DEBUG, comp, __VA_ARGS__)

/* ---- memory ------------------------------------------------------------- */

/* Allocate or abort with a message: out of memory is not recoverable here. */
void *vl_xmalloc(size_t size);
void *vl_xcalloc(size_t n, size_t size);
void *vl_xrealloc(void *p, size_t size);
char *vl_xstrdup(const char *s);

/* Free *pp and set it to NULL (FFmpeg's av_freep). */
void vl_freep(void *pp);

/* Read a whole file into a NUL-terminated buffer. Returns NULL and sets errno
 * on failure. The caller frees the result. *len (optional) gets the size. */
char *vl_read_file(const char *path, size_t *len);

/* ---- time ---------------------------------------------------------------- */

#define VL_NS_PER_SEC INT64_C(1000000000)

/* CLOCK_MONOTONIC in nanoseconds: the engine's only clock. */
int64_t vl_now_ns(void);

/* Sleep until the absolute CLOCK_MONOTONIC time t_ns. */
void vl_sleep_until_ns(int64_t t_ns);

/* ---- rational frame rates ---------------------------------------------- */

/* A frame rate as num/den frames per second (24000/1001, 25, ...). */
typedef struct vl_rational {
    int64_t num;
    int64_t den;
} vl_rational;

/* Time of frame n from frame 0, in nanoseconds, exact (rounded down) for any
 * n that fits the result in int64. */
int64_t vl_frame_time_ns(vl_rational rate, int64_t n);

/* Frame period in nanoseconds, rounded down. */
int64_t vl_frame_period_ns(vl_rational rate);

/* The frame a real-time loop should show next: n, or a later one when the
 * clock (now, with frame 0 at t0) is already more than a whole period past
 * frame n's time; the frames skipped are dropped to keep time. */
int64_t vl_frame_catch_up(vl_rational rate, int64_t t0, int64_t n, int64_t now);

/* Parse "25", "24000/1001", "29.97", "59.94", "23.976". The three NTSC
 * decimal spellings map to their exact x000/1001 rationals. Returns false on
 * anything else (zero, negative, garbage). */
bool vl_rational_parse(const char *s, vl_rational *out);

double vl_rational_to_double(vl_rational r);

/* The p-th percentile (0..100, nearest rank) of v[0..n-1], n > 0; sorts v. */
double vl_percentile(double *v, int n, double p);

/* ---- SMPTE timecode ------------------------------------------------------- */

/* A timecode label HH:MM:SS:FF. Drop-frame (29.97 and 59.94) counts at 30 or
 * 60 a second but skips the labels ;00 and ;01 (;00 to ;03 at 59.94) at the
 * start of every minute except minutes 0, 10, 20 ..., so the label keeps
 * to the wall clock: 00:10:00;00 is frame 17982, 599.9994 s in. */
typedef struct vl_timecode {
    int hours, minutes, seconds, frames;
    bool drop;                  /* written with ';' before the frames */
} vl_timecode;

/* Frames a second the label counts: the rate rounded up (24 for 23.976,
 * 30 for 29.97). */
int vl_timecode_base(vl_rational rate);

/* True for the rates that count in drop-frame: 30000/1001 and 60000/1001. */
bool vl_timecode_drop(vl_rational rate);

/* The label of frame n (n >= 0) counted from `start`; it wraps at 24 h. */
vl_timecode vl_timecode_at(vl_rational rate, vl_timecode start, int64_t n);

/* The frame count of a label from 00:00:00:00 (its inverse). */
int64_t vl_timecode_frames(vl_rational rate, vl_timecode tc);

/* "HH:MM:SS:FF", or "HH:MM:SS;FF" for drop-frame. buf holds 12 bytes. */
void vl_timecode_format(vl_timecode tc, char buf[12]);

/* Parse "HH:MM:SS:FF" (or ';' / '.' before FF) for a rate: false for bad
 * numbers, frames >= the base, or a label drop-frame skips. */
bool vl_timecode_parse(const char *s, vl_rational rate, vl_timecode *out);

/* ---- orientation --------------------------------------------------------- */

/* An orientation as the three unit axes of a rotated frame, in stage space
 * (X right, Y forward, Z up). For a camera: where it looks (forward), image
 * right and image up. */
typedef struct vl_basis {
    double right[3];
    double forward[3];
    double up[3];
} vl_basis;

/* The stage convention for pan, tilt, roll in degrees, applied pan, then
 * tilt, then roll (R = Rz(-pan) * Rx(tilt) * Ry(roll)):
 *   0,0,0   looks along +Y, right +X, up +Z;
 *   pan +90 looks along +X (clockwise seen from above);
 *   tilt +  looks up;
 *   roll +  turns the image clockwise as seen from behind the camera. */
vl_basis vl_basis_from_ptr(double pan_deg, double tilt_deg, double roll_deg);

/* A vector given in the frame b (components along right, forward, up),
 * in the axes b is expressed in. out may not alias v. */
void vl_basis_apply(const vl_basis *b, const double v[3], double out[3]);

/* Inverse of vl_basis_from_ptr for an orthonormal basis (tilt in [-90, 90]). */
void vl_basis_to_ptr(const vl_basis *b, double *pan_deg, double *tilt_deg, double *roll_deg);

/* A camera or object pose in stage space: position in metres, orientation
 * in degrees (see vl_basis_from_ptr). */
typedef struct vl_pose {
    double pos[3];
    double pan_deg, tilt_deg, roll_deg;
} vl_pose;

#endif
