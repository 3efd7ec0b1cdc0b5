/* Internal to app/: the volym program's options and its modes. */
#ifndef VL_APP_H
#define VL_APP_H

#include "core/core.h"

#define VL_MAX_CLI_TRACKERS 8

enum vl_mode { VL_MODE_RUN, VL_MODE_RENDER, VL_MODE_BENCH, VL_MODE_BENCH_LATENCY,
               VL_MODE_BENCH_PLATE };

/* What starts frames in `run` (README "Frame clock"). */
enum vl_clock_source { VL_CLOCK_INTERNAL, VL_CLOCK_VSYNC, VL_CLOCK_TRACKER };

typedef struct vl_opts {
    enum vl_mode mode;
    bool demo;                  /* no arguments at all: the demo */
    const char *stage_path;     /* NULL: the built-in stage */
    const char *scene;          /* NULL: builtin:fell, or none behind a plate */
    double scene_place[7];      /* --scene-place x,y,z[,pan,tilt,roll[,scale]] */
    const char *plate;          /* --plate FILE|URL */
    int plate_mode;             /* enum vl_plate_mode */
    double plate_rotate[3];     /* yaw, pitch, roll */
    double plate_screen[3];     /* flat: distance, width, centre height */
    int plate_in, plate_out;    /* source frames; out 0: the end */
    const char *plate_speed;
    const char *plate_rate;     /* --plate-rate: for a plate with no timestamps */
    bool plate_once;            /* hold the last frame instead of looping */
    const char *stats_path;     /* run: --stats FILE, JSON lines */
    const char *timecode;       /* --timecode: the label of frame 0, or "tracker" */
    int clock;                  /* enum vl_clock_source */
    int clock_tracker;          /* --clock tracker: which of the session's trackers */
    double clock_offset_ms;
    const char *control;        /* --control [ADDR:]PORT: OSC control */
    int codec;                  /* render --out FILE: 0 ffv1, 1 h264, -1 by extension */
    vl_pose pose;
    bool pose_given;
    double fov_h_deg;
    const char *tracking[VL_MAX_CLI_TRACKERS];  /* --tracking URLs */
    int n_tracking;
    double delay_ms, predict_ms;    /* for the --tracking trackers */
    int camera_id;              /* camera that drives the frustum; -1: newest */
    const char *take;           /* render: poses from this take file */
    int frames;                 /* 0: run until closed (run) */
    const char *out_dir;        /* a folder for PNGs, or a .mkv/.mp4/.mov file */
    bool view_camera, view_reference, view_stage, view_preview, view_single;
    int camera_w, camera_h;
    int stage_w, stage_h;       /* --view stage|preview|single: the picture's size */
    int stage_view;             /* --stage-view: enum vl_stage_view_kind */
    int inner_w, inner_h;       /* 0: from the camera size and overscan */
    int pattern;                /* --pattern: enum vl_pattern_kind; -1: none */
    bool headless;
    bool no_preview;            /* run: LED output windows only */
    bool single_screen;         /* run: one window, canvas + camera + stage views */
    bool quiet, verbose;
} vl_opts;

/* One frame of `run`, for --stats (times in ns from the clock's frame 0). */
typedef struct vl_frame_record {
    int64_t frame;
    int64_t dropped;            /* frames skipped just before this one */
    int64_t target_ns, start_ns, render_end_ns, present_ns;
    double pose_age_ms;         /* newest tracking sample's age at start; < 0: none */
    bool late;                  /* rendering ended after the frame's period */
    char timecode[12];
    const char *clock;          /* "internal", "vsync", "tracker locked" ... */
    double phase_error_ms;      /* tracker clock: frame start vs the cadence */
} vl_frame_record;

/* The figures so far: frame time is render start to end, the interval is
 * start to start of consecutive frames shown; pose age p99 < 0: none. */
typedef struct vl_stats_summary {
    int64_t frames, dropped, late;
    double frame_ms_p50, frame_ms_p99, interval_ms_p50, interval_ms_p99, pose_age_ms_p99;
} vl_stats_summary;

/* Frame statistics: JSON lines to `path` (NULL: none) and a summary logged
 * by vl_stats_close. NULL, with one message, when path cannot be written. */
typedef struct vl_stats vl_stats;
vl_stats *vl_stats_open(const char *path);
void vl_stats_frame(vl_stats *s, const vl_frame_record *r);
vl_stats_summary vl_stats_get_summary(const vl_stats *s);
void vl_stats_close(vl_stats *s);

/* Parse argv into opts (defaults first). Returns 0 to go on, 1 when the
 * program should exit successfully (--help, --version), -1 on a usage error
 * (already reported). */
int vl_opts_parse(vl_opts *opts, int argc, char **argv);

/* The simulated camera move of the demo: a slow dolly and orbit aimed at a
 * point behind the wall, a pure function of t_sec. */
vl_pose vl_demo_pose(double t_sec);

/* The benchmarks' stage: one curved section filling a 1920x1080 canvas. */
struct vl_stage *vl_bench_stage(void);

int vl_bench_main(const vl_opts *opts);
int vl_bench_latency(const vl_opts *opts);
int vl_bench_plate(const vl_opts *opts);

#endif
