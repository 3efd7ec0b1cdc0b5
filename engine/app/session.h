/*
 * Internal to app/: the session, everything a running volym holds, and the
 * functions over it that main.c, control_apply.c, frame_clock.c and
 * render_out.c share.
 */
#ifndef VL_APP_SESSION_H
#define VL_APP_SESSION_H

#include "app.h"
#include "control.h"
#include "media/encode.h"
#include "media/media.h"
#include "render/render.h"
#include "stage/stage.h"
#include "track/track.h"

#include <pthread.h>
#include <stdatomic.h>

/* The preview and single-screen windows' state (preview.c). */
typedef struct preview {
    vl_stage_observer observer;
    bool help;                  /* the key list is shown */
    double (*path)[3];          /* the camera's recent positions: a ring */
    double (*path_ordered)[3];  /* the same, oldest first, for the renderer */
    int path_cap, path_n, path_head;
    int64_t then_ns, shown_then;    /* the overlay's rates, over about a second */
    uint64_t samples_then;
    double fps, tracker_hz;
    char overlay[1024];
} preview;

/* Everything a running volym holds; freed by session_close. */
typedef struct session {
    vl_stage *stage;
    vl_gl *gl;
    vl_scene *scene;
    vl_renderer *renderer;
    vl_tracker_config *trackers;    /* the stage's, then the --tracking ones */
    int n_trackers;
    vl_tracker **open;              /* one per config */
    vl_sample_buffer *samples;
    vl_feed feed;
    vl_take *take;
    vl_plate *plate;            /* NULL with --plate: it did not open (fallback pattern) */
    char *plate_url;            /* what plays (or failed to open); NULL: no plate */
    vl_plate_timing plate_timing;
    int64_t plate_index;        /* source frame on the GPU; -1 none */
    int64_t plate_late;         /* frames shown with an older picture than due */
    int64_t plate_pos;          /* stage frames of plate time played (pause holds it) */
    bool plate_paused;
    bool plate_failed;
    struct plate_opener {       /* a plate opening in the background (OSC) */
        pthread_t thread;
        bool busy;
        atomic_bool done;
        char *url;
        vl_plate *plate;
    } opener;
    vl_control *control;
    vl_encoder *encoder;        /* render --out FILE.mkv|mp4 */
    uint8_t *pixels;            /* readback buffer, big enough for any picture */
    preview preview;            /* the stage views' observer and the camera's path */
    bool lens_offset_noted;     /* said once: a projection offset without a sensor size */
    bool lens_overscan_noted;   /* said once: the lens raised the inner overscan */
} session;

/* ---- session.c ------------------------------------------------------------ */

/* Open what o asks for into *s (zeroed first): stage, take, GL with the
 * windows asked for, scene, renderer, test pattern, plate, trackers and the readback
 * buffer. false when one of them fails (already reported); close s even
 * then. */
bool session_open(session *s, const vl_opts *o, enum vl_gl_windows windows);

/* Free everything s holds, half-opened too; waits for a plate still opening. */
void session_close(session *s);

/* Start opening url on a thread of its own (plate_opener_poll installs it);
 * ignored, with a warning, while another is still opening. */
void plate_opener_start(session *s, const char *url);

/* At a frame boundary: a plate that finished opening replaces the old
 * one; one that failed leaves the old one playing. */
void plate_opener_poll(session *s, const vl_opts *o);

/* The plate picture due at plate_pos (stage frames of plate time) onto
 * the GPU, waiting at most timeout_ns for the decoder; a late frame keeps
 * the older picture. */
void update_plate(session *s, int64_t timeout_ns);

/* Log what the plate did (decoded, errors, shown late); nothing without one. */
void report_plate(session *s);

/* The camera for frame n: from the take, the trackers (the pose for
 * frame_t_ns, the moment the frame is for), the demo move, or fixed. */
vl_camera frame_camera(session *s, const vl_opts *o, int64_t n, int64_t frame_t_ns);

/* Log each tracker's counters and how often tracking went stale. */
void report_trackers(session *s);

/* The stage-rate label of the moment at_ns, from a tracker sample's
 * timecode (which may count at another rate) and the time between. */
vl_timecode timecode_from_sample(const vl_sample *smp, vl_rational rate, int64_t at_ns);

/* The label of frame 0: --timecode, or with --timecode tracker the
 * tracker's (a take's first sample that has one, a live tracker's newest).
 * false (reported) when --timecode is not a label at the stage rate. */
bool start_timecode(session *s, const vl_opts *o, vl_timecode *tc);

/* ---- preview.c: what the preview and single-screen windows show ---------- */

/* The observer starts at `kind`'s default; the path keeps about 10 s of
 * frames at `rate`. */
void preview_init(preview *p, vl_rational rate, enum vl_stage_view_kind kind);
void preview_free(preview *p);

/* The camera's position this frame, for its path. */
void preview_add_position(preview *p, const double pos[3]);

/* Keys, mouse drags and the wheel from the window (see help_text). */
void preview_input(preview *p, const vl_input *in);

/* What a window (or render --view preview|single) draws this frame. */
vl_window_view preview_view(preview *p, enum vl_window_layout layout, const vl_camera *cam);

/* "top", "front", "orbit" or "from camera". */
const char *preview_view_name(const preview *p);

/* The overlay's text for a frame of run: rates, frame time, timecode,
 * clock, the tracker (newest: the sample the frame began with, NULL none),
 * the error counters, the view. */
void preview_overlay(preview *p, session *s, const vl_opts *o, const vl_frame_record *rec,
                     const vl_sample *newest, double frame_ms, int64_t shown, int64_t dropped,
                     int64_t late);

/* ---- control_apply.c ------------------------------------------------------ */

/* One command, at a frame boundary (stats queries are the caller's). */
void apply_control(session *s, const vl_opts *o, const vl_control_cmd *c);

/* What a stats query is answered with. */
void answer_stats(session *s, vl_stats *stats, vl_control_cmd *cmd,
                  const vl_frame_record *rec, int64_t shown, int64_t t0);

/* ---- render_out.c: what `render` writes ----------------------------------- */

/* Frame n's pictures (the canvases, then the camera, reference and stage
 * views and the windows' pictures asked for) through s->pixels, into the --out folder or video file. false
 * when one cannot be written (already reported). */
bool write_frame(session *s, const vl_opts *o, const vl_camera *cam, double t_sec, int n);

/* --out names a video file (rather than a folder for PNGs). */
bool is_video_path(const char *path);

/* The encoder for render --out FILE: the canvases, then the views asked
 * for, each a stream of its own. false when it does not open (reported). */
bool open_encoder(session *s, const vl_opts *o, vl_timecode start);

/* render --pattern apriltag: where the markers are on stage, beside the
 * pictures: DIR/markers.json, or FILE.markers.json for --out FILE.mkv. */
bool write_markers(const session *s, const vl_opts *o, bool video);

#endif
