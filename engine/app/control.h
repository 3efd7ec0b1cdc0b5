/* OSC control: a UDP server that turns /volym/... messages into commands
 * for the render thread (the address table is in README, "OSC control").
 *
 * A thread of its own receives and parses datagrams; the commands wait in a
 * bounded queue until the render thread takes them with vl_control_next,
 * once a frame, and applies them at that frame boundary. The queue (and its
 * counters) is the only thing the two threads share: nothing here touches
 * engine state, and the engine never blocks on the network.
 *
 * Bad input is a normal case: a datagram that is not OSC, an unknown
 * address, wrong argument types or count, a value out of its range, a path
 * that is too long are counted and dropped, never queued and never logged
 * above debug. Self-contained (core, stage's transfer names and liblo), so
 * it lives in the engine library and tests link it.
 */
#ifndef VL_APP_CONTROL_H
#define VL_APP_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VL_CONTROL_QUEUE_SIZE 64    /* commands waiting; more are dropped */
#define VL_CONTROL_TEXT_MAX 4096    /* longest path or URL, in bytes */
#define VL_CONTROL_NAME_MAX 63      /* longest card name, in bytes */
#define VL_CONTROL_MAX_NUMBERS 8

/* One kind per address. "Index" below is vl_control_cmd.index, "text" its
 * text, v[] its numbers. */
enum vl_control_kind {
    VL_CONTROL_NONE,                /* a released command */
    VL_CONTROL_PLATE_PLAY,          /* /volym/plate/play */
    VL_CONTROL_PLATE_PAUSE,         /* /volym/plate/pause */
    VL_CONTROL_PLATE_SEEK,          /* v[0] seconds into the plate, >= 0 */
    VL_CONTROL_PLATE_OPEN,          /* text: plate file or URL */
    VL_CONTROL_SCENE,               /* text: scene file or builtin:NAME */
    VL_CONTROL_OVERSCAN,            /* v[0] 0..2 */
    VL_CONTROL_SOFTEDGE,            /* v[0] 0..0.5 */
    VL_CONTROL_CHROMA,              /* index 0/1 */
    VL_CONTROL_CHROMA_COLOR,        /* v[0..2] r g b, 0..1 */
    VL_CONTROL_CHROMA_MARKERS,      /* index 0/1 */
    VL_CONTROL_TRACKER_DELAY,       /* v[0] ms 0..2000; index tracker, -1: all */
    VL_CONTROL_OUTER_FREEZE,        /* index 0/1 */
    VL_CONTROL_CARD,                /* text: card name; index 0/1 (hide/show) */
    VL_CONTROL_CARD_RECT,           /* text: name; v[0..3] x y w h canvas px,
                                       x y -65536..65536, w h 0..65536;
                                       index output, -1: not given */
    VL_CONTROL_CARD_COLOR,          /* text: name; v[0..2] r g b 0..1;
                                       nv 4: v[3] intensity 0..100 */
    VL_CONTROL_CARD_OVER,           /* text: name; index 0/1 */
    VL_CONTROL_OUTPUT_BRIGHTNESS,   /* index output; v[0] linear gain 0..10 */
    VL_CONTROL_OUTPUT_TRANSFER,     /* index output; text "srgb", "rec709" or "pq" */
    VL_CONTROL_STATS,               /* a stats query: answer it with
                                       vl_control_reply_stats */
    VL_CONTROL_N_KINDS
};

/* A command as the render thread receives it. It owns no heap memory: it
 * may be copied, kept or dropped freely. */
typedef struct vl_control_cmd {
    enum vl_control_kind kind;
    double v[VL_CONTROL_MAX_NUMBERS];
    int nv;
    int index;                      /* output, tracker, flag or reply port;
                                       -1 when an optional one was not sent */
    char text[VL_CONTROL_TEXT_MAX + 1];  /* NUL-terminated; "" when none */
    /* For VL_CONTROL_STATS: where the answer goes (the sender, or the
     * sender's host at the port it named). Port 0: no answer owed. */
    struct {
        uint32_t ipv4;              /* network byte order */
        uint16_t port;
    } reply;
} vl_control_cmd;

/* What a stats query is answered with (see vl_control_reply_stats). */
typedef struct vl_control_stats {
    int64_t frame, dropped, late;
    double fps, frame_ms_p50, frame_ms_p99, pose_age_ms;
    char timecode[16];              /* need not be NUL-terminated when full */
    char clock[32];                 /* "internal", "tracker locked" ... */
    double phase_error_ms;
    int64_t plate_frame;
    bool plate_playing;
} vl_control_stats;

/* The type tags of the /volym/stats answer, in vl_control_stats order:
 * frame, dropped, late (h), fps, frame_ms_p50, frame_ms_p99, pose_age_ms (d),
 * timecode, clock (s), phase_error_ms (d), plate_frame (h), plate_playing
 * (i, 0/1). */
#define VL_CONTROL_STATS_TYPES "hhhddddssdhi"

typedef struct vl_control vl_control;

/* Start the server. bind is "PORT", which binds 127.0.0.1:PORT (this
 * machine only), or "ADDR:PORT" with an IPv4 address or host name;
 * "0.0.0.0:PORT" takes commands from other machines too. Port 0 picks a
 * free port. Returns NULL on failure (bad bind text, address busy, ...) with
 * one message naming the address and the reason written into err (logged
 * instead when err is NULL). The caller closes the result. */
vl_control *vl_control_open(const char *bind, char *err, size_t errlen);

/* Stop the thread, close the socket, drop what is queued. NULL is fine. */
void vl_control_close(vl_control *c);

/* The bound UDP port, and the bound address as "ADDR:PORT" (owned by c). */
int vl_control_port(const vl_control *c);
const char *vl_control_address(const vl_control *c);

/* Take the oldest queued command into *cmd. False when none is waiting.
 * For the render thread, once a frame; never blocks on the network. */
bool vl_control_next(vl_control *c, vl_control_cmd *cmd);

/* Counters since open (any pointer may be NULL): messages received (each
 * message of a bundle counts, and so does a datagram that is not OSC), and
 * of those the ones with an unknown address, the malformed ones (not OSC,
 * wrong types, count or range) and the ones dropped because the queue was
 * full. received = queued + unknown + malformed + dropped. */
void vl_control_counts(vl_control *c, int64_t *received, int64_t *unknown,
                       int64_t *malformed, int64_t *dropped);

/* Answer the stats query cmd with st: one OSC message /volym/stats with
 * VL_CONTROL_STATS_TYPES, sent from the server's own socket (so a client
 * gets it on the port it sent from). Releases cmd's reply address. False,
 * sending nothing, when cmd is not a stats query or was already answered;
 * false too when the send fails (logged at debug). */
bool vl_control_reply_stats(vl_control *c, vl_control_cmd *cmd, const vl_control_stats *st);

/* Release cmd without an answer: it becomes VL_CONTROL_NONE, so a later
 * vl_control_reply_stats on it sends nothing. Commands own no memory, so
 * this is bookkeeping only (nothing leaks without it); safe to call twice. */
void vl_control_cmd_free(vl_control_cmd *cmd);

/* The address of a kind ("/volym/plate/seek"), for log lines; "?" when out
 * of range, "none" for VL_CONTROL_NONE. */
const char *vl_control_kind_name(int kind);

#endif
