/*
 * media: video plates. Which source frame a stage frame shows (a pure
 * function of the frame clock, so plate time never drifts and does not
 * depend on render speed), and the decoder that delivers those frames.
 *
 * (Issue 4, in progress: frame selection is done; the decoder thread, GPU
 * upload and the plate modes come next.)
 */
#ifndef VL_MEDIA_H
#define VL_MEDIA_H

#include "core/core.h"

/* How a plate's frames map onto stage time. Frame numbers count source
 * frames from the start of the file at the source rate. */
typedef struct vl_plate_timing {
    vl_rational rate;           /* source frame rate */
    int64_t in_frame;           /* first frame played (0: the start) */
    int64_t out_frame;          /* one past the last frame played; <= 0: the
                                   end of the source (n_frames) */
    int64_t n_frames;           /* frames in the source; <= 0: unknown (a
                                   live stream: plays on, never loops) */
    vl_rational speed;          /* 1/1 normal; 1/2 half speed; 2/1 double */
    bool loop;                  /* at the out point go back to the in point;
                                   otherwise hold the last frame */
} vl_plate_timing;

/* The source frame shown at stage frame n (n >= 0) of a stage running at
 * stage_rate: the frame whose display interval contains the plate time
 * n / stage_rate * speed from the in point. Exact integer arithmetic, so
 * a 23.976 plate on a 25 fps stage, or a 10-minute loop, never drifts. */
int64_t vl_plate_frame_at(const vl_plate_timing *t, vl_rational stage_rate, int64_t n);

/* The speed as a rational: "1", "2", "1/2", "0.5" (decimals to 1/1000).
 * False for zero, negative or garbage. */
bool vl_speed_parse(const char *s, vl_rational *out);

#endif
