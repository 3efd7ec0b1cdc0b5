/*
 * volym-track: tracker simulator, probe, recorder, replayer and exporter.
 * main.c parses the command line into a track_opts; each command is one
 * function over it that returns the exit status (0, or 1 on a runtime
 * error; usage errors never reach a command).
 */
#ifndef VL_TRACK_TOOL_H
#define VL_TRACK_TOOL_H

#include "track/track.h"

enum track_cmd { CMD_SIM, CMD_PROBE, CMD_RECORD, CMD_REPLAY, CMD_EXPORT, N_CMDS };

/* sim --move: scripted camera moves (see send.c). */
enum track_move { MOVE_ORBIT, MOVE_DOLLY, MOVE_PAN, MOVE_HANDHELD, N_MOVES };
extern const char *const track_move_names[N_MOVES + 1];   /* NULL-terminated */

/* export --format */
enum track_format { FORMAT_CSV, FORMAT_CHAN, N_FORMATS };
extern const char *const track_format_names[N_FORMATS + 1];

/* sim and replay --format: OpenTrackIO's payload encoding */
enum track_payload { PAYLOAD_JSON, PAYLOAD_CBOR, N_PAYLOADS };
extern const char *const track_payload_names[N_PAYLOADS + 1];

typedef struct track_opts {
    enum track_cmd cmd;
    const char *file;           /* replay, export: the take (JSON lines) */
    const char *to;             /* sim, replay: sender URL */
    const char *from;           /* probe, record: tracker URL */
    const char *out;            /* record: the take; export: the result ("-": stdout) */
    int move;                   /* enum track_move */
    double rate_hz;             /* sim: samples per second */
    double seconds;             /* sim, probe, record: 0 = until stopped */
    int count;                  /* probe, record: stop after N samples; 0 = no limit */
    int camera;                 /* sim: the id sent; probe, record: only this id (-1: any);
                                   export chan: this camera (-1: the take's first) */
    double fov_deg;             /* sim: horizontal FOV sent */
    int zoom, focus;            /* sim: raw encoders sent; -1: none */
    int segment;                /* sim, replay: OpenTrackIO datagram limit; 0: default */
    int payload;                /* sim, replay: enum track_payload; -1: not given (JSON) */
    const char *timecode;       /* sim: label of the first sample (OpenTrackIO carries it) */
    bool json;                  /* probe: JSON lines */
    bool loop;                  /* replay: again and again */
    double speed;               /* replay: 2 = twice as fast */
    int format;                 /* export: enum track_format */
    vl_rational fps;            /* export chan: frame rate */
    double aspect;              /* export chan: image width / height, for the vertical FOV */
} track_opts;

int track_sim(const track_opts *o);
int track_replay(const track_opts *o);
int track_probe(const track_opts *o);      /* probe and record */
int track_export(const track_opts *o);

/* True once SIGINT or SIGTERM arrived: loops stop and the command finishes
 * cleanly (a take being recorded stays whole). */
bool track_stopping(void);

#endif
