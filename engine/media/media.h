/*
 * media: video plates. Which source frame a stage frame shows (a pure
 * function of the frame clock, so plate time never drifts and does not
 * depend on render speed), and the decoder that delivers those frames.
 *
 * The decoded frames go to the GPU as they are (render/plate_tex.c), with
 * the container's display matrix (a phone clip's turn) attached as
 * AV_FRAME_DATA_DISPLAYMATRIX side data where the decoder gave them none.
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
    bool untimed;               /* the source has no timestamps (a raw .h264 /
                                   .hevc stream): frames are numbered in decode
                                   order, n_frames was counted at open, and rate
                                   is only libavformat's guess for the caller to
                                   replace (volym: the stage rate, --plate-rate) */
} vl_plate_timing;

/* The source frame shown at stage frame n (n >= 0) of a stage running at
 * stage_rate: the frame whose display interval contains the plate time
 * n / stage_rate * speed from the in point. Exact integer arithmetic, so
 * a 23.976 plate on a 25 fps stage, or a 10-minute loop, never drifts. */
int64_t vl_plate_frame_at(const vl_plate_timing *t, vl_rational stage_rate, int64_t n);

/* The speed as a rational: "1", "2", "1/2", "0.5" (decimals to 1/1000).
 * False for zero, negative or garbage. */
bool vl_speed_parse(const char *s, vl_rational *out);

/* ---- decoding ------------------------------------------------------------- */

struct AVFrame;

/* A plate being decoded on its own thread, a few frames ahead of the one
 * shown. */
typedef struct vl_plate vl_plate;

/* Open any input libavformat reads (file, image sequence, stream) and start
 * decoding its best video stream. A seekable file with no timestamps at all
 * (a raw elementary stream) has its packets counted first, one a frame
 * (vl_plate_timing.untimed). On failure logs one message (the input, what
 * went wrong: what libavcodec said where it refuses the pictures, as it does
 * one over 16255x16255) and returns NULL. Installs a log callback into
 * FFmpeg (once) that passes everything on to FFmpeg's default one. */
vl_plate *vl_plate_open(const char *url);
void vl_plate_close(vl_plate *p);

/* The source's timing: rate, frame count (0 when unknown), speed 1, no
 * loop, whole length. Callers set in/out, speed and loop on a copy. */
vl_plate_timing vl_plate_source_timing(const vl_plate *p);

/* The decoded frame numbered `frame` (vl_plate_frame_at), or the nearest
 * earlier one decoded so far, waiting at most timeout_ns for the decoder.
 * *index receives the frame number of what is returned. The frame stays
 * valid until the next call. NULL before the first frame has decoded.
 * Asking for a frame before the one shown (a loop), or more than 50
 * frames past the newest decoded one of a file (a jump ahead), makes the
 * decoder seek; until it has, the old frame is returned with *index -1.
 * An untimed source seeks by decoding again from its start (and does not
 * jump ahead: that is no faster than decoding on). */
const struct AVFrame *vl_plate_frame(vl_plate *p, int64_t frame, int64_t timeout_ns,
                                     int64_t *index);

/* Play frames in .. out - 1 in a loop (out <= in: no loop, the default).
 * The decoder goes back to `in` on its own after out - 1 (or at the end of
 * the input), so the first frames of the next lap are decoded before they
 * are due and a loop point shows no late frame; vl_plate_frame then takes
 * a request for an earlier frame as one from the next lap. */
void vl_plate_set_loop(vl_plate *p, int64_t in, int64_t out);

/* Counters: frames decoded, decode errors; ended once the input has ended
 * or broken, broken when it stopped on errors rather than at its end (the
 * last good frame stays available either way); cut once the input has
 * ended at frame cut_at, before the n_frames it promised (a truncated file:
 * said once in the log; frame cut_at - 1 stands in for the rest). */
typedef struct vl_plate_stats {
    uint64_t decoded, errors;
    bool ended, broken, cut;
    int64_t cut_at;
} vl_plate_stats;
vl_plate_stats vl_plate_get_stats(vl_plate *p);

#endif
