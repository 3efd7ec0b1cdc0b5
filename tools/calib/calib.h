/*
 * volym-calib: maps the LED wall. main.c parses the command line into a
 * calib_opts; each command is one function over it that returns the exit
 * status (0, or 1 on a runtime error; usage errors never reach a command).
 *
 *   layout.c   layout: a section from a panel description, a stage file
 *   survey.c   survey: total-station points -> the stage moved onto them;
 *              tracker-align: a take, or samples heard live, at known stage
 *              points -> the tracker's transform; the CSV reader both use
 *   camera.c   camera: photos of the AprilTag pattern -> the wall moved to
 *              where they show it (photo.c: decoding, tag detection)
 *   report.c   the report of a solve: text, JSON and an SVG plan
 *   check.c    check and pattern; stage geometry and canvas checks that
 *              layout shares
 *   fit.c      the maths: rigid (and scaled) fits (fit.h)
 */
#ifndef VL_CALIB_TOOL_H
#define VL_CALIB_TOOL_H

#include <stdio.h>

#include "fit.h"
#include "stage/stage.h"

#define CALIB_PROG "volym-calib"

enum calib_cmd { CMD_LAYOUT, CMD_PATTERN, CMD_SURVEY, CMD_CAMERA, CMD_TRACKER_ALIGN, CMD_CHECK,
                 N_CMDS };

#define CALIB_MAX_PHOTOS 64

typedef struct calib_opts {
    enum calib_cmd cmd;
    const char *stage;          /* --stage: the stage file read */
    const char *out;            /* layout, survey, tracker-align: the stage written;
                                   pattern: the folder */
    bool json;                  /* one JSON object on stdout, nothing else there */
    const char *svg;            /* survey, tracker-align: the plan to write, or NULL */
    /* layout */
    double panel_mm[2];         /* width, height */
    int panel_px[2];
    int grid[2];                /* columns, rows */
    double curve_deg;
    double position[3];         /* top-left corner, stage metres */
    double rotation[3];         /* yaw, pitch, roll */
    const char *name;           /* the section's name */
    const char *output;         /* --output NAME[:WxH] as given, or NULL */
    char output_name[VL_NAME_MAX];  /* its NAME (default: the section's name) */
    int output_size[2];         /* its WxH; 0, 0 when not given */
    int canvas[2];              /* -1, -1: right of the output's last section */
    vl_rational rate;           /* 0/0: 25 for a new stage, unchanged with --add-to */
    const char *add_to;         /* the stage the section joins, or NULL for a new one */
    bool in_place;              /* --add-to: write it back over itself */
    /* pattern */
    int kind;                   /* enum vl_pattern_kind */
    /* survey, tracker-align */
    const char *points;         /* the CSV */
    bool scale;                 /* fit a scale too */
    double outlier_mm;          /* survey: robust fit floor */
    const char *take;           /* tracker-align: the take, or NULL with from */
    const char *from;           /* tracker-align: the tracker URL listened to live, or NULL */
    double hold_s;              /* tracker-align --from: seconds averaged per station */
    int tracker;                /* tracker-align: index into the stage's trackers */
    int camera;                 /* tracker-align, camera: the take's camera (-1: its first;
                                   tracker-align --from: the first heard) */
    /* camera */
    const char *photos[CALIB_MAX_PHOTOS];
    vl_pose photo_pose[CALIB_MAX_PHOTOS];
    double photo_fov[CALIB_MAX_PHOTOS];     /* horizontal, degrees */
    double photo_at[CALIB_MAX_PHOTOS];      /* >= 0: the pose is the take's sample then (s) */
    int n_photos;
    double fov_deg;             /* --fov: for photos that do not give one */
    bool per_section;           /* move each section by its own fit */
} calib_opts;

int calib_layout(const calib_opts *o);
int calib_pattern(const calib_opts *o);
int calib_survey(const calib_opts *o);
int calib_camera(const calib_opts *o);
int calib_tracker_align(const calib_opts *o);
int calib_check(const calib_opts *o);

/* ---- files ------------------------------------------------------------- */

/* Write text to path (replacing it). Logs what failed and returns false. */
bool calib_write_text(const char *path, const char *text);

/* Write a stage as JSON to path after proving it reads back (the same
 * check volym makes). Logs and returns false on failure. */
bool calib_write_stage(const vl_stage *st, const char *path);

/* ---- CSV ----------------------------------------------------------------- */

/* A CSV of points: each row is n_text text fields then n_num numbers,
 * comma-separated, fields optionally in double quotes (a label with a comma:
 * "a,b"), spaces around fields ignored. Blank lines and lines starting
 * with # are skipped; a first row whose number fields are none of them
 * numbers is a header. */
#define CALIB_CSV_MAX 8
typedef struct calib_csv_row {
    int line;                   /* 1-based line in the file */
    char text[2][VL_NAME_MAX * 2];
    double num[CALIB_CSV_MAX];
} calib_csv_row;

/* Read path; names[] names every field for messages ("label", "x (metres)").
 * On error logs one message (file:line:column: what was expected, what was
 * there) and returns NULL. Otherwise *n rows (maybe 0); the caller frees. */
calib_csv_row *calib_csv_load(const char *path, int n_text, int n_num, const char *const *names,
                              int *n);

/* ---- stage geometry and checks (check.c) --------------------------------- */

/* A section's outline in stage metres: the top edge's column corners left
 * to right, then the bottom edge's right to left; 2 x (cols + 1) points
 * into out (the caller gives that many). Returns the count. */
int calib_section_outline(const vl_section *s, double (*out)[3]);

/* The four outer corners: top-left, top-right, bottom-right, bottom-left
 * seen from the front. */
void calib_section_corners(const vl_section *s, double out[4][3]);

/* Canvas problems a stage may have that the stage reader does not refuse:
 * sections that overlap on a canvas (naming both), and sections that do
 * not fit their canvas (for stages built in memory). Calls problem() once
 * per problem with a one-line message; returns how many. */
int calib_stage_problems(const vl_stage *st, void (*problem)(void *ctx, const char *msg), void *ctx);

/* ---- reports of a solve (report.c) ---------------------------------------- */

/* One point of a solve: where the model (or the tracker) put it, where it
 * was measured, and how far the fitted model still is from it. */
typedef struct calib_point {
    char label[VL_NAME_MAX * 2];
    double nominal[3];          /* before the correction (stage metres; for
                                   tracker-align: tracker space) */
    double measured[3];         /* stage metres */
    double fitted[3];           /* the correction applied to nominal */
    double residual_mm;         /* |measured - fitted| */
    bool outlier;               /* left out of the fit */
} calib_point;

/* A solve: the correction maps nominal points onto measured ones. Fill
 * what, transform_note, before, after, points, n_points, T and with_scale
 * (stage_out once it is written, json_extra when there is more to say),
 * then call calib_report_finish. The report owns nothing: the stages, the
 * points and json_extra stay the caller's. */
typedef struct calib_report {
    const char *what;           /* "survey", "tracker-align", "camera": titles */
    const char *transform_note; /* what T is, for the text report ("moves the
                                   stage model onto the measured points") */
    const char *stage_out;      /* the stage file written, for the reports */
    const vl_stage *before;     /* outlines drawn dashed grey */
    const vl_stage *after;      /* outlines drawn solid */
    calib_point *points;
    int n_points;
    calib_transform T;          /* the correction */
    bool with_scale;            /* T.scale was fitted (else it is 1) */
    struct json_t *json_extra;  /* keys added to the JSON object (a camera
                                   solve's "rms_px" ...), not owned; or NULL */
    /* filled by calib_report_finish, over the points that are not outliers */
    double rms_mm, max_mm;
    int worst;                  /* index of the largest residual; -1 with no inliers */
    int n_inliers;
} calib_report;

/* Compute fitted and residual_mm of every point from T, and rms_mm, max_mm,
 * worst and n_inliers over the inliers. */
void calib_report_finish(calib_report *r);

/* A readable report: the correction (translation in mm, pan/tilt/roll,
 * scale), RMS and max residual, the worst point named, and one line per
 * point with its residual in mm (outliers marked). */
void calib_report_print(const calib_report *r, FILE *f);

/* One JSON object and a newline: "what", "rms_mm", "max_mm",
 * "translation_m": [x, y, z], "rotation_deg": [pan, tilt, roll], "scale",
 * "worst" (a label, null when none), "n_points", "n_inliers", "points":
 * [{"label", "nominal", "measured", "fitted", "residual_mm", "outlier"}],
 * "stage" when stage_out is set, and json_extra's keys (which win).
 * Returns false on a write error. */
bool calib_report_json(const calib_report *r, FILE *f);

/* An SVG plan: the top view (X right, Y up the page) and the front view
 * (X right, Z up) of every section outline before (grey, dashed) and after
 * (solid), each measured point, and per point an arrow (class "residual",
 * one per point in each view's group, ids "top" and "front") from the fitted
 * point towards the measured one, CALIB_ARROW_GAIN times its length.
 * Logs and returns false when it cannot write path. */
#define CALIB_ARROW_GAIN 20
bool calib_report_svg(const calib_report *r, const char *path);

#endif
