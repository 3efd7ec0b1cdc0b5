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
#include "stage/stage.h"

/* One tracking sample, already in stage convention. */
typedef struct vl_sample {
    int64_t t_ns;               /* the moment it describes: CLOCK_MONOTONIC
                                   receive time - the tracker's delay (a take:
                                   its own time line) */
    int64_t rx_ns;              /* when it arrived; 0 when not from a socket */
    int camera;                 /* camera id from the protocol */
    int source;                 /* which tracker of the session sent it */
    vl_pose pose;               /* metres, degrees, stage axes */
    double fov_h_deg;           /* horizontal FOV, or 0 when unknown */
    double focus_m;             /* focus distance in metres, or 0 when unknown */
    double sensor_w_mm, sensor_h_mm;   /* active sensor size (static.camera.activeSensorPhysicalDimensions, this sample's or the source's last), 0 = unknown */
    double entrance_pupil_m;           /* lens.entrancePupilOffset: entrance pupil ahead of the nominal imaging plane, metres (positive towards the object) */
    double projection_offset_mm[2];    /* lens.projectionOffset x, y in mm, as sent */
    double overscan;                   /* largest lens.distortion[].overscan factor of this sample, or the source's static lens.distortionOverscanMax, whichever is larger; 0 = none sent (factors are >= 1) */
    bool has_encoders;          /* zoom and focus below were sent */
    uint32_t zoom, focus;       /* raw lens encoder values */
    bool has_timecode;          /* the tracker sent a timecode (OpenTrackIO) */
    vl_timecode timecode;       /* its label for the moment the sample describes */
    vl_rational timecode_rate;  /* the rate that label counts at */
} vl_sample;

/* ---- protocol parsers ---------------------------------------------------- */

/* Why a datagram (or one OSC message of a bundle) was dropped. */
enum vl_track_error {
    VL_TRACK_BAD_LENGTH,        /* wrong size for the protocol */
    VL_TRACK_BAD_TYPE,          /* not this protocol's message type or magic,
                                   or an encoding volym does not decode */
    VL_TRACK_BAD_CHECKSUM,
    VL_TRACK_BAD_ARGS,          /* OSC: wrong argument types or count */
    VL_TRACK_UNKNOWN_ADDRESS,   /* OSC: an address volym does not know */
    VL_TRACK_MALFORMED,         /* undecodable: broken OSC, bad JSON, a field
                                   of the wrong type or out of range */
    VL_TRACK_SEGMENT,           /* OpenTrackIO: a segmented message that could
                                   not be put back together and was dropped */
    VL_TRACK_BAD_SOURCE,        /* OpenTrackIO: a sourceNumber the spec says to
                                   discard (0, or above 200) */
    VL_TRACK_DUPLICATE,         /* OpenTrackIO: a datagram whose sequence number
                                   was seen among the last 32 */
    VL_TRACK_OUT_OF_RANGE,      /* a valid message whose pose, FOV or lens is
                                   not finite or outside vl_sample_in_range */
    VL_TRACK_N_ERRORS
};

/* Short names for the counters ("bad length", ...). */
extern const char *const vl_track_error_names[VL_TRACK_N_ERRORS];

/* What a parser notices that is neither a sample nor a dropped datagram. */
enum vl_track_event {
    VL_TRACK_LOST,              /* OpenTrackIO: datagrams that never arrived, by
                                   the gaps in the sequence numbers */
    VL_TRACK_STATIC,            /* OpenTrackIO: messages carrying static data */
    VL_TRACK_N_EVENTS
};

/* Short names for the event counters ("lost", ...). */
extern const char *const vl_track_event_names[VL_TRACK_N_EVENTS];

/* Where a parser puts what it decodes. Parsers leave t_ns, rx_ns and source
 * 0; the tracker fills them. event may be NULL; it gets n occurrences at
 * once (a gap of n datagrams). */
typedef struct vl_track_sink {
    void (*sample)(void *ctx, const vl_sample *s);
    void (*error)(void *ctx, enum vl_track_error e);
    void *ctx;
    void (*event)(void *ctx, enum vl_track_event e, uint32_t n);
} vl_track_sink;

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

/* ---- OSC ------------------------------------------------------------------ */

/* OSC over UDP, decoded with liblo. Messages and bundles (nested too) are
 * accepted; each message is one unit for the counters. Address spaces:
 *
 *   volym's own (documented in README "OSC address space"):
 *     /volym/pose  i f f f f f f [f]   camera id, x y z (metres, stage axes),
 *                                      pan tilt roll (degrees) [, horizontal
 *                                      FOV in degrees]: one sample
 *     /volym/lens  i i i               camera id, raw zoom, raw focus: used by
 *                                      the next poses of that camera
 *     Numbers may be sent as i, h, f or d.
 *   ZIG SIM (ARKit): /ZIGSIM/<id>/arkitposition f f f and
 *     /ZIGSIM/<id>/arkitrotation f f f f (quaternion x y z w); ARKit axes
 *     (Y up, -Z forward, metres). A sample is emitted once both have arrived
 *     since the last one. <id> is the camera id when it is a number, else 1.
 *   TDLiDAR: /tdlidar/arpose/tx, ty, tz (f each) and /tdlidar/arpose/quat
 *     f f f f (x y z w), ARKit axes; a sample once all four have arrived;
 *     camera 1.
 * Everything else under a known prefix with wrong types or arity counts as
 * VL_TRACK_BAD_ARGS; other addresses as VL_TRACK_UNKNOWN_ADDRESS. */
typedef struct vl_osc_parser vl_osc_parser;
vl_osc_parser *vl_osc_parser_create(void);
void vl_osc_parser_destroy(vl_osc_parser *p);
void vl_osc_parse(vl_osc_parser *p, const uint8_t *buf, size_t len, const vl_track_sink *sink);

/* ARKit camera orientation (quaternion x y z w in ARKit axes, camera looking
 * along its -Z with +Y up) and position -> stage pose. */
vl_pose vl_arkit_to_pose(const double pos[3], const double quat[4]);

/* Encode a sample as one /volym/pose message (with FOV when fov_h_deg > 0)
 * into buf. Returns the size, or 0 when it does not fit. */
size_t vl_osc_encode_pose(const vl_sample *s, uint8_t *buf, size_t cap);

/* ---- OpenTrackIO ----------------------------------------------------------- */

#define VL_OTRK_DEFAULT_PORT 55555
#define VL_OTRK_HEADER_SIZE 16

/* Payload encodings: the header's encoding byte. */
enum vl_otrk_encoding { VL_OTRK_JSON = 0x01, VL_OTRK_CBOR = 0x02 };

/* SMPTE RIS OpenTrackIO 1.0.1 over UDP: a 16-byte big-endian header ("OTrk",
 * reserved, encoding, sequence u16, segment offset u32, last-segment bit +
 * 15-bit payload length, Fletcher-16 mod 256 over the header's first 14
 * bytes and the payload) and a JSON or CBOR payload, possibly in segments.
 *
 * Every datagram has its own sequence number. A number seen among the last
 * 32 is a duplicate (VL_TRACK_DUPLICATE, ignored); one up to 1024 ahead of
 * the newest counts the numbers skipped as VL_TRACK_LOST; one a little
 * behind the newest and not seen is a late datagram, dropped (it was counted
 * lost); any other jump is the sender restarting and counts nothing.
 * Segments are put back together one message at a time, in arrival order,
 * as the spec's reference receiver does: offset 0 starts a message (an
 * unfinished one is dropped), each further segment must start where the
 * message so far ends, the last-segment bit completes it; a message that
 * breaks this is dropped once as VL_TRACK_SEGMENT, with its later segments.
 * At most 64 KiB a message; no allocation per datagram.
 *
 * CBOR (RFC 8949) decodes to the same sample as the equivalent JSON: maps
 * with text keys, arrays, integers, floats of any width, booleans, null and
 * text strings, nested at most 32 deep; byte strings, tags other than 55799
 * (self-described CBOR), undefined and other simple values are malformed.
 *
 * A sample uses the camera transform (translation in metres, rotation
 * pan/tilt/roll in degrees), lens (pinholeFocalLength with the sensor width
 * -> FOV, focusDistance, encoders, entrancePupilOffset, projectionOffset,
 * distortion[].overscan) and sourceNumber as camera id (1 when absent; 0 or
 * above 200 is VL_TRACK_BAD_SOURCE). Static data (sensor size, overscan
 * maximum, makes and models) is kept per source and used by that source's
 * later samples without it; its makes, models and sensor are logged at info
 * level when they first arrive or change (VL_TRACK_STATIC counts messages
 * with static data). A message with static data and no transforms only
 * updates the static data. Missing optional fields are fine. */
typedef struct vl_otrk_parser vl_otrk_parser;
vl_otrk_parser *vl_otrk_parser_create(void);
void vl_otrk_parser_destroy(vl_otrk_parser *p);
void vl_otrk_parse(vl_otrk_parser *p, const uint8_t *buf, size_t len, const vl_track_sink *sink);

/* Fletcher-16 as OpenTrackIO uses it: two sums of bytes mod 256, the second
 * of the first; (sum2 << 8) | sum1. */
uint16_t vl_fletcher16(const uint8_t *data, size_t len);

/* A sample as an OpenTrackIO JSON payload (NUL-terminated, caller frees).
 * The camera id is the sourceNumber; sequence goes into
 * timing.sequenceNumber. The lens fields go in when not 0: a FOV as
 * pinholeFocalLength with the sample's sensor (36 x 24 mm when unknown) as
 * static data, the overscan as static.lens.distortionOverscanMax. NULL when
 * a value is not finite (JSON has no NaN) or the camera id is not 1..200. */
char *vl_otrk_encode_json(const vl_sample *s, uint32_t sequence);

/* The same content as CBOR (integers in their shortest form, reals as
 * doubles): a buffer the caller frees, its size in *len. NULL as for
 * vl_otrk_encode_json. */
uint8_t *vl_otrk_encode_cbor(const vl_sample *s, uint32_t sequence, size_t *len);

/* Split a payload into datagrams of at most max_datagram bytes each (header
 * included, encoding as given), calling emit for each. The datagrams are
 * numbered from *sequence on, one number each, and *sequence is left at the
 * next one. Returns the number of segments, 0 (nothing sent) when
 * max_datagram leaves no room or the payload is more than 64 KiB. */
int vl_otrk_segment(const uint8_t *payload, size_t len, enum vl_otrk_encoding encoding,
                    uint16_t *sequence, size_t max_datagram,
                    void (*emit)(void *ctx, const uint8_t *dgram, size_t n), void *ctx);

/* ---- the range of a sample ----------------------------------------------- */

/* The limits a sample must keep, in one place, so that one stray or hostile
 * datagram (a valid x = 1e308 over OSC, say) never reaches a filter or the
 * renderer: positions within VL_POSE_MAX_M of the origin on each axis
 * (no stage is 10 km across), angles within VL_ANGLE_MAX_DEG (senders may
 * wind up past 360, not forever), a FOV of 0 (unknown) or above 0 and below
 * VL_FOV_MAX_DEG, focus and lens fields finite, the entrance pupil within
 * VL_PUPIL_MAX_M and an overscan factor below VL_OVERSCAN_MAX (0: none). */
#define VL_POSE_MAX_M 10000.0
#define VL_ANGLE_MAX_DEG 36000.0
#define VL_FOV_MAX_DEG 179.0
#define VL_PUPIL_MAX_M 10.0
#define VL_OVERSCAN_MAX 10.0

/* True when s is within the limits above. */
bool vl_sample_in_range(const vl_sample *s);

/* ---- poses over time ----------------------------------------------------- */

/* The sample at t_ns on the line through a and b (a.t_ns < b.t_ns):
 * position, FOV, focus and encoders linear, orientation by slerp. t outside
 * [a, b] extrapolates. Camera, source, encoders' presence, timecode and the
 * lens fields (sensor, entrance pupil, projection offset, overscan) come
 * from b. */
void vl_sample_interpolate(const vl_sample *a, const vl_sample *b, int64_t t_ns, vl_sample *out);

/* The sample at t_ns from `n` samples in ascending t_ns order: interpolated
 * between the two around t; before the first, the first; past the last,
 * extrapolated from the last two for at most max_extrapolate_ns, then held
 * there. False when n == 0. */
bool vl_samples_at(const vl_sample *s, int n, int64_t t_ns, int64_t max_extrapolate_ns,
                   vl_sample *out);

/* One Euro filter (Casiez et al. 2012) over a stream of samples: position
 * and pan/tilt/roll each filtered on their own, cutoff = min_cutoff +
 * beta * |speed| (metres/s or degrees/s). */
typedef struct vl_one_euro {
    double min_cutoff_hz, beta, d_cutoff_hz;
    bool primed;
    int64_t last_t_ns;
    double x[6], dx[6];         /* last filtered values and derivatives */
} vl_one_euro;
void vl_one_euro_init(vl_one_euro *f, double min_cutoff_hz, double beta, double d_cutoff_hz);
/* A sample whose values are not finite passes through and unprimes the
 * filter; a filter whose state would become non-finite starts again from
 * the sample: a bad value never stays in the state. */
void vl_one_euro_apply(vl_one_euro *f, vl_sample *s);

/* A tracker's transform and lens applied to a sample in tracker space (see
 * vl_tracker_config): afterwards it is in stage space, with fov_h_deg and
 * focus_m from the lens table when the tracker has one and the sample has
 * encoders, else the source's FOV, else cfg->fov_deg. */
void vl_tracker_apply(const vl_tracker_config *cfg, vl_sample *s);

/* ---- sample buffer ------------------------------------------------------- */

/* A thread-safe ring of the most recent samples, per camera, in t_ns order.
 * Written by receiver threads, read by the renderer. */
typedef struct vl_sample_buffer vl_sample_buffer;

/* capacity: samples kept per camera (0 = default 256). Never NULL. */
vl_sample_buffer *vl_sample_buffer_create(int capacity);
void vl_sample_buffer_destroy(vl_sample_buffer *b);
void vl_sample_buffer_push(vl_sample_buffer *b, const vl_sample *s);

/* Newest sample of `camera` (or of any camera when camera < 0, the most
 * recently pushed). Returns false when there is none. */
bool vl_sample_buffer_latest(vl_sample_buffer *b, int camera, vl_sample *out);

/* The sample of `camera` at t_ns (see vl_samples_at). False when it has no
 * samples. newest, when not NULL, receives its newest sample. */
bool vl_sample_buffer_at(vl_sample_buffer *b, int camera, int64_t t_ns,
                         int64_t max_extrapolate_ns, vl_sample *out, vl_sample *newest);

/* Number of samples ever pushed (for tests and stats). */
uint64_t vl_sample_buffer_count(vl_sample_buffer *b);

/* ---- trackers (UDP receivers) ------------------------------------------- */

/* Counters of one tracker; all monotonically increasing. */
typedef struct vl_tracker_stats {
    uint64_t datagrams;         /* everything received */
    uint64_t samples;           /* parsed and pushed */
    uint64_t filtered;          /* valid but another camera id */
    uint64_t errors[VL_TRACK_N_ERRORS];
    uint64_t events[VL_TRACK_N_EVENTS];
} vl_tracker_stats;

typedef struct vl_tracker vl_tracker;

/* Open a tracker and start its receiver thread. cfg->url:
 *   freed://[addr]:port        FreeD D1; the port is required (no standard one)
 *   osc://[addr]:port          OSC (volym, ZIG SIM, TDLiDAR); port required
 *   opentrackio://[addr][:port]  OpenTrackIO, port 55555 by default; a
 *                              multicast group as addr (239.135.1.N) joins it
 * addr defaults to 0.0.0.0; port 0 picks a free port (vl_tracker_port).
 * Each sample gets vl_tracker_apply(cfg), t_ns = receive time - delay, the
 * One Euro filter when cfg->smoothing, source = `source`, and goes into
 * `buffer` (not owned). cfg is copied. Returns NULL with one logged message
 * on a bad URL or socket error. */
vl_tracker *vl_tracker_open(const vl_tracker_config *cfg, int source, vl_sample_buffer *buffer);

/* As vl_tracker_open, and every sample it pushes is also handed to
 * tap->sample, in the receiver thread, in arrival order (tap->error is not
 * called: errors are in the counters). buffer may be NULL. For tools that
 * must see every sample, such as volym-track probe and record. */
vl_tracker *vl_tracker_open_tap(const vl_tracker_config *cfg, int source,
                                vl_sample_buffer *buffer, const vl_track_sink *tap);

/* Stops the thread and closes the socket. Accepts NULL. */
void vl_tracker_close(vl_tracker *t);

/* The bound UDP port. */
int vl_tracker_port(const vl_tracker *t);

/* A consistent snapshot of the counters. */
vl_tracker_stats vl_tracker_get_stats(vl_tracker *t);

/* One line: "N datagrams, N samples, N other camera, N lost, N with static
 * data, dropped: N bad length, ..." listing only the event and error
 * counters that are not zero. */
void vl_tracker_stats_format(const vl_tracker_stats *st, char *buf, size_t n);

/* Receive times (CLOCK_MONOTONIC ns) of the datagrams that gave at least one
 * sample of the tracker's camera, for a frame clock locked to the tracker's
 * packet cadence (vl_phase_lock_packet in core/clock.h). The tracker keeps
 * the last VL_TRACKER_PACKET_RING. *cursor counts the times the caller has
 * taken (start it at 0): copies up to max times after *cursor into out,
 * oldest first, advances *cursor past them and returns how many. A caller
 * that fell more than the ring behind gets the oldest kept (its cursor
 * jumps: the times in between are gone); a cursor past the count is taken
 * as the count. Thread-safe. */
#define VL_TRACKER_PACKET_RING 256
int vl_tracker_packet_times(vl_tracker *t, uint64_t *cursor, int64_t *out, int max);

/* Change the tracker's delay (vl_tracker_config.delay_ms) at run time:
 * samples the receiver thread handles after this returns describe receive
 * time - delay_ms. Thread-safe (OSC control calls it from its thread). */
void vl_tracker_set_delay_ms(vl_tracker *t, double delay_ms);

/* ---- the camera that drives the frustum ---------------------------------- */

/* Frame by frame, the pose of one camera (or of whichever camera sent the
 * newest sample) for a frame time: interpolated at frame time + the sending
 * tracker's predict_ms, extrapolated at most its extrapolate_ms. When no
 * sample has arrived for its stale_ms the last pose is held and the feed is
 * stale (logged once, counted) until samples return. */
typedef struct vl_feed {
    vl_sample_buffer *buffer;
    const vl_tracker_config *trackers;  /* indexed by vl_sample.source */
    int n_trackers;
    int camera;                 /* -1: the camera of the newest sample */
    /* state */
    bool stale;
    int64_t stale_since_ns;
    uint64_t stale_events;      /* times it went stale */
} vl_feed;

enum vl_feed_state { VL_FEED_NONE, VL_FEED_LIVE, VL_FEED_STALE };

enum vl_feed_state vl_feed_pose(vl_feed *f, int64_t frame_t_ns, int64_t now_ns, vl_sample *out);

/* ---- senders (what volym-track sim/replay and the tests speak) ----------- */

typedef struct vl_track_sender vl_track_sender;

/* freed://host:port, osc://host:port or opentrackio://host[:port] (a
 * multicast group as host sends to it). max_datagram: OpenTrackIO segment
 * size limit (0 = 1400). NULL with a logged message on error. */
vl_track_sender *vl_track_sender_open(const char *url, size_t max_datagram);
/* The payload encoding of an OpenTrackIO sender (JSON until set). False,
 * with a logged message, for a sender of another protocol. */
bool vl_track_sender_set_encoding(vl_track_sender *snd, enum vl_otrk_encoding encoding);
/* Encode and send one sample. False on a send error (logged once). */
bool vl_track_sender_send(vl_track_sender *snd, const vl_sample *s);
void vl_track_sender_close(vl_track_sender *snd);

/* ---- takes: recorded samples as JSON lines ------------------------------- */

/* One sample per line: {"t": seconds, "camera": id, "x", "y", "z": metres,
 * "pan", "tilt", "roll": degrees, "fov": degrees (only when known), "zoom",
 * "focus": raw (only when sent)}. Also what `volym-track probe --json`
 * prints. t_sec is the sample's time on the take's time line. Returns the
 * length written (snprintf semantics). */
int vl_sample_to_json(const vl_sample *s, double t_sec, char *buf, size_t n);

/* A take in memory, samples in ascending time (t_ns from the take's "t"). */
typedef struct vl_take {
    vl_sample *samples;
    int n;
} vl_take;

/* Read a take file. On error logs one message (file:line: what was
 * expected) and returns NULL. Lines out of time order are sorted. */
vl_take *vl_take_load(const char *path);
void vl_take_free(vl_take *take);

/* The pose of `camera` (-1: the first camera in the take) at t_ns from the
 * take's start (its first sample), interpolated; held outside the take.
 * False when the take has no sample of that camera. */
bool vl_take_at(const vl_take *take, int camera, int64_t t_ns, vl_sample *out);

#endif
