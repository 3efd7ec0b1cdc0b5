/*
 * media: the offline video encoder. Rendered RGBA frames go into a file
 * editors read: FFV1 (lossless) in Matroska, or H.264 in MP4, MOV or
 * Matroska, one video stream per output, all at one rate, with the start
 * timecode written into the container.
 *
 * For offline rendering: writes block while the encoders work (on all
 * cores). One thread at a time uses an encoder.
 */
#ifndef VL_ENCODE_H
#define VL_ENCODE_H

#include "core/core.h"

typedef struct vl_encoder vl_encoder;

typedef struct vl_encode_stream {
    const char *name;           /* stream title: an output name, "camera",
                                   "reference"; NULL: none */
    int width, height;          /* pixels; even for H.264 */
} vl_encode_stream;

/* Create the file at path with one video stream per entry of streams, all
 * at `rate`, 1 to 255 fps (what MP4's timecode track can count): the
 * stream's time base is exactly 1/rate and ffprobe reports the rate as
 * given: 25/1, 30000/1001. (Matroska stores a frame duration in ns, from
 * which FFmpeg 5.1 recovers a rate with a numerator up to 30000: 60000/1001
 * reads back as 19001/317. MP4 and MOV keep it exact.)
 *
 * codec: "ffv1", "h264", or NULL for the extension's default. Extensions
 * (any case): .mkv (Matroska, default FFV1), .mp4 and .mov (H.264 only).
 *   ffv1: version 3 sliced over all cores (version 1 below 16 pixels a
 *         side), every frame a key frame; RGB (bgr0) so decoding gives
 *         back the exact RGB of what was written.
 *   h264: libx264, crf 18, preset veryfast, yuv420p, BT.709 matrix,
 *         primaries and transfer, limited range, all tagged in the stream.
 *         yuv420p needs even sizes: an odd width or height is refused
 *         (no padding, which would change the picture's size); use FFV1.
 *
 * start is the timecode of frame 0; its drop flag is taken from the rate
 * (drop-frame for 30000/1001 and 60000/1001). It is written as the
 * "timecode" metadata: in Matroska a TIMECODE tag on the file and on each
 * stream; in MP4/MOV a tmcd track per video stream. Stream names go into
 * Matroska's track name ("title") and MP4/MOV's handler name
 * ("handler_name").
 *
 * Returns NULL after one logged message (the file, what went wrong, what
 * is expected) for: no path, an unknown extension or codec, a codec the
 * container cannot hold (ffv1 in .mp4), no streams, a size that is zero,
 * negative or too big (or odd for H.264), a rate out of range, a
 * timecode that is no label at that rate, a missing encoder (libx264), or a
 * file that cannot be created. A file created before the failure is
 * removed. The caller closes a returned encoder with vl_encoder_close. */
vl_encoder *vl_encoder_open(const char *path, const char *codec, vl_rational rate,
                            vl_timecode start, const vl_encode_stream *streams, int n_streams);

/* Encode the next frame of stream `stream`: rgba holds width * height * 4
 * bytes of that stream, top row first, rows packed; alpha is ignored. The
 * frames of all streams for frame n must be written before any frame n + 1
 * (a stream that runs ahead is refused). False with one message on a bad
 * argument or an encode/write error; after an encode/write error the
 * encoder is broken and every later write returns false without another
 * message. The caller keeps rgba. */
bool vl_encoder_write(vl_encoder *e, int stream, const uint8_t *rgba);

/* Flush the encoders, write the trailer, close the file and free e. False
 * when anything failed, now or in an earlier write (the file may then be
 * incomplete), with one message for the first failure. Accepts NULL
 * (returns true). */
bool vl_encoder_close(vl_encoder *e);

/* Frames written to stream 0 so far (0 for NULL). */
int64_t vl_encoder_frames(const vl_encoder *e);

#endif
