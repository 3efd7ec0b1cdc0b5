/*
 * volym: the real-time renderer, its deterministic `render` mode and the
 * demo. A frame is a pure function of (stage, camera pose, scene time):
 * the loop below only decides where the pose comes from and where the
 * canvases go.
 */
#include "app.h"
#include "control.h"
#include "core/clock.h"
#include "media/encode.h"
#include "media/media.h"
#include "render/render.h"
#include "stage/pattern.h"
#include "stage/stage.h"
#include "track/track.h"

#include <errno.h>
#include <libavutil/log.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG "volym"

/* How many frames the demo writes when there is no display. */
#define DEMO_HEADLESS_FRAMES 50

vl_pose vl_demo_pose(double t_sec)
{
    /* A slow orbit (20 s) with a dolly in and out (13 s) and a gentle rise,
     * always aimed at a point 6 m out, 1.9 m up: parallax shows plainly. */
    const double target[3] = { 0.0, 6.0, 1.9 };
    vl_pose p = { { 1.4 * sin(2 * M_PI * t_sec / 20.0),
                    0.6 + 0.7 * sin(2 * M_PI * t_sec / 13.0),
                    1.5 + 0.25 * sin(2 * M_PI * t_sec / 17.0) }, 0, 0, 0 };
    double dx = target[0] - p.pos[0], dy = target[1] - p.pos[1], dz = target[2] - p.pos[2];
    p.pan_deg = atan2(dx, dy) * 180.0 / M_PI;
    p.tilt_deg = atan2(dz, hypot(dx, dy)) * 180.0 / M_PI;
    return p;
}

static bool has_display(void)
{
    const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
    const char *drv = getenv("SDL_VIDEODRIVER");
    if (drv && (!strcmp(drv, "offscreen") || !strcmp(drv, "dummy")))
        return false;
    return (x && *x) || (w && *w);
}

static bool make_dir(const char *dir)
{
    if (mkdir(dir, 0755) == 0 || errno == EEXIST)
        return true;
    VL_ERR(LOG, "cannot create output folder %s: %s", dir, strerror(errno));
    return false;
}

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
} session;

static void plate_opener_join(session *s);

static void session_close(session *s)
{
    plate_opener_join(s);
    vl_plate_close(s->opener.plate);
    free(s->opener.url);
    free(s->plate_url);
    vl_control_close(s->control);
    vl_encoder_close(s->encoder);
    for (int i = 0; i < s->n_trackers && s->open; i++)
        vl_tracker_close(s->open[i]);
    free(s->open);
    free(s->trackers);
    vl_sample_buffer_destroy(s->samples);
    vl_take_free(s->take);
    vl_plate_close(s->plate);
    vl_renderer_destroy(s->renderer);
    vl_scene_destroy(s->scene);
    vl_gl_destroy(s->gl);
    vl_stage_free(s->stage);
    free(s->pixels);
}

/* The stage's trackers and the command line's, each listening on its own
 * socket into one sample buffer. A fixed --pose or a --take replaces them. */
static bool open_trackers(session *s, const vl_opts *o)
{
    if (o->pose_given || o->take)
        return true;
    int n = s->stage->n_trackers + o->n_tracking;
    if (!n)
        return true;
    s->trackers = vl_xcalloc(n, sizeof(*s->trackers));
    s->open = vl_xcalloc(n, sizeof(*s->open));
    for (int i = 0; i < s->stage->n_trackers; i++)
        s->trackers[i] = s->stage->trackers[i];
    for (int i = 0; i < o->n_tracking; i++) {
        vl_tracker_config *c = &s->trackers[s->stage->n_trackers + i];
        vl_tracker_config_default(c, o->tracking[i]);
        c->delay_ms = o->delay_ms;
        c->predict_ms = o->predict_ms;
    }
    s->n_trackers = n;
    s->samples = vl_sample_buffer_create(0);
    s->feed = (vl_feed){ .buffer = s->samples, .trackers = s->trackers, .n_trackers = n,
                         .camera = o->camera_id };
    for (int i = 0; i < n; i++) {
        s->open[i] = vl_tracker_open(&s->trackers[i], i, s->samples);
        if (!s->open[i])
            return false;
    }
    return true;
}

/* --scene, or builtin:fell when there is neither a scene nor a plate. A
 * model that does not load stops `render`; a running show goes on with
 * builtin:grid. */
static bool open_scene(session *s, const vl_opts *o)
{
    const char *name = o->scene ? o->scene : o->plate ? NULL : "builtin:fell";
    if (!name)
        return true;
    const double *p = o->scene_place;
    vl_placement place = { { p[0], p[1], p[2] }, p[3], p[4], p[5], p[6] };
    s->scene = vl_scene_create(name, &place);
    if (!s->scene && o->mode == VL_MODE_RUN && !o->demo) {
        VL_WARN(LOG, "showing builtin:grid instead of %s", name);
        s->scene = vl_scene_create("builtin:grid", NULL);
    }
    return s->scene != NULL;
}

/* Play plate p (NULL: it did not open, the fallback pattern shows) from
 * its in point; in/out, speed and looping from the command line. */
static void install_plate(session *s, const vl_opts *o, vl_plate *p)
{
    vl_plate_close(s->plate);
    s->plate = p;
    s->plate_index = -1;
    s->plate_pos = 0;
    s->plate_failed = !p;
    if (!p) {
        VL_WARN(LOG, "showing the fallback pattern instead of the plate");
        return;
    }
    vl_plate_timing *t = &s->plate_timing;
    *t = vl_plate_source_timing(p);
    t->in_frame = o->plate_in;
    t->out_frame = o->plate_out;
    t->loop = !o->plate_once;
    if (o->plate_speed)
        vl_speed_parse(o->plate_speed, &t->speed);
    if (t->loop && t->n_frames > 0)
        vl_plate_set_loop(p, t->in_frame, t->out_frame > 0 ? t->out_frame : t->n_frames);
}

/* A plate that does not open is not fatal: the show goes on with the
 * fallback pattern where the plate would be (the message says why). */
static void set_plate_view(session *s, const vl_opts *o)
{
    vl_plate_view view = { .mode = o->plate_mode, .yaw_deg = o->plate_rotate[0],
                           .pitch_deg = o->plate_rotate[1], .roll_deg = o->plate_rotate[2],
                           .distance_m = o->plate_screen[0], .width_m = o->plate_screen[1],
                           .centre_z_m = o->plate_screen[2] };
    vl_renderer_set_plate(s->renderer, &view);
}

static void open_plate(session *s, const vl_opts *o, const char *url)
{
    set_plate_view(s, o);
    s->plate_url = vl_xstrdup(url);
    install_plate(s, o, vl_plate_open(url));
}

/* Switching plates over OSC: opening can take seconds (a stream, a slow
 * disk), so it happens on a thread of its own and the show goes on. */
static void *plate_opener_main(void *arg)
{
    struct plate_opener *op = arg;
    op->plate = vl_plate_open(op->url);
    atomic_store(&op->done, true);
    return NULL;
}

static void plate_opener_start(session *s, const char *url)
{
    struct plate_opener *op = &s->opener;
    if (op->busy) {
        VL_WARN(LOG, "still opening %s: ignoring the switch to %s", op->url, url);
        return;
    }
    free(op->url);
    op->url = vl_xstrdup(url);
    op->plate = NULL;
    atomic_store(&op->done, false);
    op->busy = pthread_create(&op->thread, NULL, plate_opener_main, op) == 0;
    if (!op->busy)
        VL_ERR(LOG, "cannot start opening %s", url);
}

static void plate_opener_join(session *s)
{
    if (s->opener.busy)
        pthread_join(s->opener.thread, NULL);
    s->opener.busy = false;
}

/* At a frame boundary: a plate that finished opening replaces the old
 * one; one that failed leaves the old one playing. */
static void plate_opener_poll(session *s, const vl_opts *o)
{
    struct plate_opener *op = &s->opener;
    if (!op->busy || !atomic_load(&op->done))
        return;
    plate_opener_join(s);
    if (!op->plate) {
        VL_WARN(LOG, "plate %s did not open: %s plays on", op->url,
                s->plate_url ? s->plate_url : "what was there");
        return;
    }
    if (!s->plate_url)
        set_plate_view(s, o);       /* there was no plate before */
    VL_INFO(LOG, "now playing %s", op->url);
    free(s->plate_url);
    s->plate_url = vl_xstrdup(op->url);
    install_plate(s, o, op->plate);
    op->plate = NULL;
}

/* The plate picture due at plate_pos (stage frames of plate time) onto
 * the GPU, waiting at most timeout_ns for the decoder; a late frame keeps
 * the older picture. */
static void update_plate(session *s, int64_t timeout_ns)
{
    if (!s->plate)
        return;
    int64_t due = vl_plate_frame_at(&s->plate_timing, s->stage->rate, s->plate_pos), got;
    const struct AVFrame *f = vl_plate_frame(s->plate, due, timeout_ns, &got);
    if (f && got >= 0 && got != s->plate_index) {
        if (!vl_renderer_plate_frame(s->renderer, f))
            s->plate_failed = true;
        s->plate_index = got;
    }
    if (got != due && !vl_plate_get_stats(s->plate).ended)
        s->plate_late++;
}

static void report_plate(session *s)
{
    if (!s->plate_url)
        return;
    if (!s->plate) {
        VL_INFO(LOG, "plate %s: did not open; the fallback pattern was shown", s->plate_url);
        return;
    }
    vl_plate_stats st = vl_plate_get_stats(s->plate);
    VL_INFO(LOG, "plate %s: %llu frames decoded, %llu decode errors, %lld shown late%s", s->plate_url,
            (unsigned long long)st.decoded, (unsigned long long)st.errors,
            (long long)s->plate_late,
            st.broken ? "; the stream broke, its last good frame was held" : "");
}

/* ---- OSC control ---------------------------------------------------------- */

/* The light card called `name`, created (white, over the frustum) when
 * `create` and there is room; NULL with a warning otherwise. */
static vl_light_card *find_card(vl_frustum_settings *f, const char *name, bool create)
{
    for (int i = 0; i < f->n_cards; i++)
        if (!strcmp(f->cards[i].name, name))
            return &f->cards[i];
    if (!create) {
        VL_WARN(LOG, "no light card %s (give it a place first: /volym/card/rect)", name);
        return NULL;
    }
    if (f->n_cards == VL_MAX_LIGHT_CARDS) {
        VL_WARN(LOG, "light card %s: there are %d already, the most a stage holds", name,
                VL_MAX_LIGHT_CARDS);
        return NULL;
    }
    vl_light_card *c = &f->cards[f->n_cards++];
    *c = (vl_light_card){ .color = { 1, 1, 1 }, .intensity = 1, .over = true, .on = true };
    snprintf(c->name, sizeof(c->name), "%.*s", (int)sizeof(c->name) - 1, name);
    return c;
}

/* An output index from a command; false (and a warning) when there is none. */
static bool valid_output(const session *s, int i, const vl_control_cmd *c)
{
    if (i >= 0 && i < s->stage->n_outputs)
        return true;
    VL_WARN(LOG, "%s: no output %d (the stage has %d)", vl_control_kind_name(c->kind), i,
            s->stage->n_outputs);
    return false;
}

static void switch_scene(session *s, const vl_opts *o, const char *name)
{
    const double *p = o->scene_place;
    vl_placement place = { { p[0], p[1], p[2] }, p[3], p[4], p[5], p[6] };
    vl_scene *scene = vl_scene_create(name, &place);
    if (!scene) {
        VL_WARN(LOG, "scene %s did not load: the old scene stays", name);
        return;
    }
    vl_scene_destroy(s->scene);
    s->scene = scene;
    VL_INFO(LOG, "now showing %s", name);
}

/* One command, at a frame boundary (stats queries are the caller's). */
static void apply_control(session *s, const vl_opts *o, const vl_control_cmd *c)
{
    vl_frustum_settings f = *vl_renderer_frustum(s->renderer);
    vl_light_card *card = NULL;
    vl_output_color *color = NULL;
    switch (c->kind) {
    case VL_CONTROL_PLATE_PLAY:
    case VL_CONTROL_PLATE_PAUSE:
        s->plate_paused = c->kind == VL_CONTROL_PLATE_PAUSE;
        return;
    case VL_CONTROL_PLATE_SEEK:
        s->plate_pos = llround(c->v[0] * s->stage->rate.num / s->stage->rate.den);
        return;
    case VL_CONTROL_PLATE_OPEN:
        plate_opener_start(s, c->text);
        return;
    case VL_CONTROL_SCENE:
        switch_scene(s, o, c->text);
        return;
    case VL_CONTROL_TRACKER_DELAY:
        for (int i = 0; i < s->n_trackers; i++)
            if (c->index < 0 || c->index == i)
                vl_tracker_set_delay_ms(s->open[i], c->v[0]);
        if (c->index >= s->n_trackers)
            VL_WARN(LOG, "%s: no tracker %d (there are %d)", vl_control_kind_name(c->kind),
                    c->index, s->n_trackers);
        return;
    case VL_CONTROL_OUTPUT_BRIGHTNESS:
    case VL_CONTROL_OUTPUT_TRANSFER:
        if (!valid_output(s, c->index, c))
            return;
        color = &s->stage->outputs[c->index].color;
        if (c->kind == VL_CONTROL_OUTPUT_BRIGHTNESS)
            color->brightness = c->v[0];
        else
            vl_transfer_parse(c->text, &color->transfer);
        vl_renderer_set_output_color(s->renderer, c->index, color);
        return;
    case VL_CONTROL_OVERSCAN: f.overscan = c->v[0]; break;
    case VL_CONTROL_SOFTEDGE: f.soft_edge = c->v[0]; break;
    case VL_CONTROL_CHROMA: f.chroma.on = c->index; break;
    case VL_CONTROL_CHROMA_MARKERS: f.chroma.markers = c->index; break;
    case VL_CONTROL_CHROMA_COLOR: memcpy(f.chroma.color, c->v, sizeof(f.chroma.color)); break;
    case VL_CONTROL_OUTER_FREEZE: f.freeze_outer = c->index; break;
    case VL_CONTROL_CARD:
    case VL_CONTROL_CARD_RECT:
    case VL_CONTROL_CARD_COLOR:
    case VL_CONTROL_CARD_OVER:
        if (!(card = find_card(&f, c->text, c->kind == VL_CONTROL_CARD_RECT)))
            return;
        if (c->kind == VL_CONTROL_CARD)
            card->on = c->index;
        else if (c->kind == VL_CONTROL_CARD_OVER)
            card->over = c->index;
        else if (c->kind == VL_CONTROL_CARD_COLOR) {
            memcpy(card->color, c->v, sizeof(card->color));
            if (c->nv > 3)
                card->intensity = c->v[3];
        } else {
            if (c->index >= 0 && !valid_output(s, c->index, c))
                return;
            card->output = c->index >= 0 ? c->index : card->output;
            card->x = c->v[0], card->y = c->v[1], card->w = c->v[2], card->h = c->v[3];
        }
        break;
    default:
        return;
    }
    vl_renderer_set_frustum(s->renderer, &f);
}

/* --pattern: every output's canvas shows the test pattern, not the scene. */
static void show_pattern(session *s, const vl_opts *o)
{
    for (int i = 0; i < s->stage->n_outputs; i++) {
        const vl_output *out = &s->stage->outputs[i];
        uint8_t *rgba = vl_xmalloc((size_t)out->width * out->height * 4);
        vl_pattern_draw(s->stage, i, (enum vl_pattern_kind)o->pattern, rgba);
        vl_renderer_show_image(s->renderer, i, rgba);
        free(rgba);
    }
    VL_INFO(LOG, "showing the %s test pattern", vl_pattern_names[o->pattern]);
}

static bool session_open(session *s, const vl_opts *o, bool headless)
{
    *s = (session){ 0 };
    s->stage = o->stage_path ? vl_stage_load(o->stage_path) : vl_stage_default();
    if (!s->stage)
        return false;
    if (o->take && !(s->take = vl_take_load(o->take)))
        return false;
    s->gl = vl_gl_create(s->stage, headless);
    if (!s->gl)
        return false;
    if (!open_scene(s, o))
        return false;
    vl_renderer_desc desc = { .inner_width = o->inner_w, .inner_height = o->inner_h };
    s->renderer = vl_renderer_create(s->stage, &desc);
    if (!s->renderer)
        return false;
    if (o->pattern >= 0)
        show_pattern(s, o);
    if (o->plate)
        open_plate(s, o, o->plate);
    if (!open_trackers(s, o))
        return false;
    size_t most = (size_t)o->camera_w * o->camera_h;
    for (int i = 0; i < s->stage->n_outputs; i++) {
        size_t n = (size_t)s->stage->outputs[i].width * s->stage->outputs[i].height;
        most = n > most ? n : most;
    }
    s->pixels = vl_xmalloc(most * 4);
    return true;
}

/* The camera for frame n: from the take, the trackers (the pose for
 * frame_t_ns, the moment the frame is for), the demo move, or fixed. */
static vl_camera frame_camera(session *s, const vl_opts *o, int64_t n, int64_t frame_t_ns)
{
    vl_camera cam = { .pose = o->pose, .fov_h_deg = o->fov_h_deg,
                      .width = o->camera_w, .height = o->camera_h };
    int64_t scene_t_ns = vl_frame_time_ns(s->stage->rate, n);
    vl_sample smp;
    bool tracked = s->take ? vl_take_at(s->take, o->camera_id, scene_t_ns, &smp) :
                   s->samples && vl_feed_pose(&s->feed, frame_t_ns, vl_now_ns(), &smp) != VL_FEED_NONE;
    if (tracked) {
        cam.pose = smp.pose;
        if (smp.fov_h_deg > 0)
            cam.fov_h_deg = smp.fov_h_deg;
    } else if (o->demo && !o->pose_given) {
        cam.pose = vl_demo_pose(scene_t_ns / 1e9);
    }
    return cam;
}

/* A picture of frame n: a PNG in the --out folder, or the next frame of
 * its stream in the --out video file. */
static bool put_picture(session *s, const vl_opts *o, int stream, const char *name, int w, int h,
                        int n)
{
    if (s->encoder)
        return vl_encoder_write(s->encoder, stream, s->pixels);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s-%06d.png", o->out_dir, name, n);
    return vl_write_png(path, w, h, s->pixels);
}

static bool write_frame(session *s, const vl_opts *o, const vl_camera *cam, double t_sec, int n)
{
    int k = 0;
    for (; k < s->stage->n_outputs; k++) {
        const vl_output *out = &s->stage->outputs[k];
        vl_renderer_read_canvas(s->renderer, k, s->pixels);
        if (!put_picture(s, o, k, out->name, out->width, out->height, n))
            return false;
    }
    if (o->view_camera) {
        vl_renderer_camera_view(s->renderer, cam, s->pixels);
        if (!put_picture(s, o, k++, "camera", cam->width, cam->height, n))
            return false;
    }
    if (o->view_reference) {
        vl_renderer_reference_view(s->renderer, s->scene, cam, t_sec, s->pixels);
        if (!put_picture(s, o, k++, "reference", cam->width, cam->height, n))
            return false;
    }
    return true;
}

/* --out names a video file (rather than a folder for PNGs). */
static bool is_video_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && !strchr(dot, '/') &&
           (!strcasecmp(dot, ".mkv") || !strcasecmp(dot, ".mp4") || !strcasecmp(dot, ".mov"));
}

/* The encoder for render --out FILE: the canvases, then the views asked
 * for, each a stream of its own. */
static bool open_encoder(session *s, const vl_opts *o, vl_timecode start)
{
    static const char *const codec_names[] = { "ffv1", "h264" };
    vl_encode_stream *streams = vl_xcalloc(s->stage->n_outputs + 2, sizeof(*streams));
    int n = 0;
    for (int i = 0; i < s->stage->n_outputs; i++)
        streams[n++] = (vl_encode_stream){ s->stage->outputs[i].name, s->stage->outputs[i].width,
                                           s->stage->outputs[i].height };
    if (o->view_camera)
        streams[n++] = (vl_encode_stream){ "camera", o->camera_w, o->camera_h };
    if (o->view_reference)
        streams[n++] = (vl_encode_stream){ "reference", o->camera_w, o->camera_h };
    s->encoder = vl_encoder_open(o->out_dir, o->codec >= 0 ? codec_names[o->codec] : NULL,
                                 s->stage->rate, start, streams, n);
    free(streams);
    return s->encoder != NULL;
}

/* The stage-rate label of the moment at_ns, from a tracker sample's
 * timecode (which may count at another rate) and the time between. */
static vl_timecode timecode_from_sample(const vl_sample *smp, vl_rational rate, int64_t at_ns)
{
    int64_t k = vl_timecode_frames(smp->timecode_rate, smp->timecode);
    int64_t t = vl_frame_time_ns(smp->timecode_rate, k) + (at_ns - smp->t_ns);
    int64_t per = rate.den * VL_NS_PER_SEC;
    int64_t n = t > 0 ? (t * rate.num + per / 2) / per : 0;
    return vl_timecode_at(rate, (vl_timecode){ .drop = vl_timecode_drop(rate) }, n);
}

/* The label of frame 0: --timecode, or with --timecode tracker the
 * tracker's (a take's first sample that has one, a live tracker's newest). */
static bool start_timecode(session *s, const vl_opts *o, vl_timecode *tc)
{
    vl_rational rate = s->stage->rate;
    *tc = (vl_timecode){ .drop = vl_timecode_drop(rate) };
    if (!o->timecode)
        return true;
    if (!strcmp(o->timecode, "tracker")) {
        vl_sample smp = { 0 };
        int64_t at = vl_now_ns();
        for (int i = 0; s->take && i < s->take->n && !smp.has_timecode; i++) {
            smp = s->take->samples[i];
            at = s->take->samples[0].t_ns;
        }
        if (s->samples)
            vl_sample_buffer_latest(s->samples, o->camera_id, &smp);
        if (smp.has_timecode)
            *tc = timecode_from_sample(&smp, rate, at);
        else
            VL_WARN(LOG, "--timecode tracker: no timecode from the tracker yet, counting from "
                    "00:00:00:00 until one comes (OpenTrackIO sends one)");
        return true;
    }
    if (vl_timecode_parse(o->timecode, rate, tc))
        return true;
    VL_ERR(LOG, "--timecode %s: expected HH:MM:SS:FF with FF below %d%s, or tracker", o->timecode,
           vl_timecode_base(rate), tc->drop ? ", not a label drop-frame skips" : "");
    return false;
}

/* "frame 120/500 [=====     ] 24.1 fps, 0:16 left" on one terminal line. */
static void show_progress(int done, int total, int64_t t0, bool last)
{
    static int64_t shown_at;
    int64_t now = vl_now_ns();
    if (!last && now - shown_at < VL_NS_PER_SEC / 10)
        return;
    shown_at = now;
    double fps = done / fmax((now - t0) / 1e9, 1e-6);
    int left = (int)lround((total - done) / fmax(fps, 1e-6));
    char bar[21];
    int full = (int)((int64_t)done * 20 / total);
    for (int i = 0; i < 20; i++)
        bar[i] = i < full ? '=' : ' ';
    bar[20] = 0;
    fprintf(stderr, "\rframe %d/%d [%s] %.1f fps, %d:%02d left %s", done, total, bar, fps,
            left / 60, left % 60, last ? "\n" : "");
    fflush(stderr);
}

/* With trackers, render waits (bounded) for the first sample so frame 0
 * already shows the tracked camera. */
static void wait_first_sample(session *s, const vl_opts *o)
{
    vl_sample smp;
    int64_t until = vl_now_ns() + 5 * VL_NS_PER_SEC;
    while (!vl_sample_buffer_latest(s->samples, o->camera_id, &smp) && vl_now_ns() < until)
        vl_sleep_until_ns(vl_now_ns() + 5000000);
    if (!vl_sample_buffer_latest(s->samples, o->camera_id, &smp))
        VL_WARN(LOG, "no tracking sample within 5 s: using the fixed pose");
}

static void report_trackers(session *s)
{
    char line[512];
    for (int i = 0; i < s->n_trackers; i++) {
        vl_tracker_stats st = vl_tracker_get_stats(s->open[i]);
        vl_tracker_stats_format(&st, line, sizeof(line));
        VL_INFO(LOG, "tracker %s: %s", s->trackers[i].url, line);
    }
    if (s->feed.stale_events)
        VL_INFO(LOG, "tracking went stale %llu time%s", (unsigned long long)s->feed.stale_events,
                s->feed.stale_events == 1 ? "" : "s");
}

/* render --pattern apriltag: where the markers are on stage, beside the
 * pictures: DIR/markers.json, or FILE.markers.json for --out FILE.mkv. */
static bool write_markers(const session *s, const vl_opts *o, bool video)
{
    char path[4096];
    const char *dot = strrchr(o->out_dir, '.');
    if (video)
        snprintf(path, sizeof(path), "%.*s.markers.json", (int)(dot - o->out_dir), o->out_dir);
    else
        snprintf(path, sizeof(path), "%s/markers.json", o->out_dir);
    char *json = vl_pattern_markers_json(s->stage);
    FILE *f = NULL;
    bool ok = false;
    if (json && (f = fopen(path, "w"))) {
        ok = fputs(json, f) >= 0 && fputc('\n', f) != EOF;
        ok = fclose(f) == 0 && ok;
    }
    if (json && !ok)
        VL_ERR(LOG, "cannot write the markers to %s: %s", path, strerror(errno));
    free(json);
    return ok;
}

/* Offline: frame n shows scene time n / rate, whatever the render speed. */
static int render_main(vl_opts *o, bool announce)
{
    if (!o->out_dir)
        o->out_dir = o->demo ? "volym-demo" : "volym-out";
    if (!o->frames)
        o->frames = o->demo ? DEMO_HEADLESS_FRAMES : 1;
    session s = { 0 };
    int ret = 1;
    bool video = is_video_path(o->out_dir);
    bool progress = isatty(STDERR_FILENO) && !o->quiet;
    vl_timecode tc0;
    if ((!video && !make_dir(o->out_dir)) || !session_open(&s, o, true))
        goto done;
    if (s.samples)
        wait_first_sample(&s, o);
    if (!start_timecode(&s, o, &tc0) || (video && !open_encoder(&s, o, tc0)))
        goto done;
    if (o->pattern == VL_PATTERN_APRILTAG && !write_markers(&s, o, video))
        goto done;
    int64_t t0 = vl_now_ns();
    for (int n = 0; n < o->frames; n++) {
        double t_sec = vl_frame_time_ns(s.stage->rate, n) / 1e9;
        vl_camera cam = frame_camera(&s, o, n, vl_now_ns());
        s.plate_pos = n;
        update_plate(&s, 10 * VL_NS_PER_SEC);      /* offline: every frame exact */
        vl_renderer_frame(s.renderer, s.scene, &cam, t_sec);
        if (!write_frame(&s, o, &cam, t_sec, n))
            goto done;
        if (progress)
            show_progress(n + 1, o->frames, t0, n + 1 == o->frames);
    }
    if (video && !vl_encoder_close(s.encoder))
        goto done;
    s.encoder = NULL;
    double secs = (vl_now_ns() - t0) / 1e9;
    VL_INFO(LOG, "rendered %d frame%s in %.1f s", o->frames, o->frames == 1 ? "" : "s", secs);
    report_trackers(&s);
    report_plate(&s);
    if (announce) {
        char *abs = realpath(o->out_dir, NULL);
        printf("volym: no display, so the demo rendered %d frames headless into %s/ "
               "(%s-NNNNNN.png: the LED wall canvas; camera-: what the tracked camera films; "
               "reference-: the scene straight from the camera)\n",
               o->frames, abs ? abs : o->out_dir, s.stage->outputs[0].name);
        free(abs);
    }
    /* The frames were written (with the fallback pattern): say so. */
    ret = s.plate_failed;
done:
    session_close(&s);
    return ret;
}

/* ---- the frame clock (README "Frame clock") ------------------------------ */

static const char *const clock_names[] = { "internal", "vsync", "tracker" };

typedef struct frame_clock {
    enum vl_clock_source source;
    vl_rational rate;
    int64_t period;
    int64_t t0;                 /* internal: frame 0's start */
    vl_phase_lock lock;         /* tracker: frame starts on its packet cadence */
    vl_tracker *tracker;
    uint64_t cursor;            /* packet times read so far */
    vl_rate_meter meter;        /* vsync: the display's measured rate */
    int64_t last_present, measured_at;
    enum vl_lock_state state;   /* tracker: the last one logged */
    bool warned;
} frame_clock;

static bool clock_open(frame_clock *c, session *s, const vl_opts *o, bool headless)
{
    *c = (frame_clock){ .source = o->clock, .rate = s->stage->rate,
                        .period = vl_frame_period_ns(s->stage->rate) };
    if (c->source == VL_CLOCK_VSYNC && headless) {
        VL_WARN(LOG, "--clock vsync: no display to sync to (headless): using the internal clock");
        c->source = VL_CLOCK_INTERNAL;
    }
    if (c->source == VL_CLOCK_TRACKER) {
        if (o->clock_tracker >= s->n_trackers) {
            VL_ERR(LOG, "--clock tracker: no tracker %d to lock to (the session has %d; give "
                   "--tracking URL or stage trackers)", o->clock_tracker, s->n_trackers);
            return false;
        }
        c->tracker = s->open[o->clock_tracker];
        vl_phase_lock_init(&c->lock, c->rate, o->clock_offset_ms);
        VL_INFO(LOG, "frames lock to the packets of %s", s->trackers[o->clock_tracker].url);
    }
    vl_rate_meter_init(&c->meter);
    c->t0 = vl_now_ns();
    return true;
}

/* The frame to show after frame n (later when frames are dropped to keep
 * time) and when it starts. */
static int64_t clock_next(frame_clock *c, int64_t n, int64_t prev_deadline, int64_t *deadline)
{
    int64_t now = vl_now_ns();
    if (c->source == VL_CLOCK_INTERNAL) {
        int64_t next = vl_frame_catch_up(c->rate, c->t0, n + 1, now);
        *deadline = c->t0 + vl_frame_time_ns(c->rate, next);
        return next;
    }
    if (c->source == VL_CLOCK_VSYNC) {
        /* The swap waits for the vblank: start at once. A present that
         * came whole periods late showed the last frame again. */
        int64_t missed = c->last_present ? (now - c->last_present - c->period / 2) / c->period : 0;
        *deadline = now;
        return n + 1 + (missed > 0 ? missed : 0);
    }
    int64_t times[256];
    int got;
    while ((got = vl_tracker_packet_times(c->tracker, &c->cursor, times, 256)) > 0)
        for (int i = 0; i < got; i++)
            vl_phase_lock_packet(&c->lock, times[i]);
    int64_t frames = 1;
    *deadline = vl_phase_lock_next(&c->lock, prev_deadline, now, &frames);
    return n + frames;
}

/* After the present of frame n: vsync measures the display and warns once
 * when it does not run at the stage rate. A swap that does not wait for the
 * vblank at all (vsync off in the driver, a virtual display) would run
 * scene time fast: the internal clock takes over from frame n. */
static void clock_presented(frame_clock *c, int64_t t, int64_t n)
{
    c->last_present = t;
    if (c->source != VL_CLOCK_VSYNC)
        return;
    vl_rate_meter_add(&c->meter, t);
    if (t - c->measured_at < VL_NS_PER_SEC / 4)
        return;                 /* the meter sorts: four times a second is enough */
    c->measured_at = t;
    double hz = vl_rate_meter_hz(&c->meter), want = vl_rational_to_double(c->rate);
    if (hz > want * 1.5) {
        VL_WARN(LOG, "--clock vsync: the display does not wait for its vblank (%.0f swaps a "
                "second): using the internal clock", hz);
        c->source = VL_CLOCK_INTERNAL;
        c->t0 = t - vl_frame_time_ns(c->rate, n);
        return;
    }
    if (!c->warned && hz > 0 && fabs(hz - want) > want * 0.002) {
        VL_WARN(LOG, "the display runs at %.3f Hz, the stage at %.3f fps: set the display to "
                "the stage rate, or use --clock internal or tracker", hz, want);
        c->warned = true;
    }
}

/* The clock's name and state for the stats; a tracker lock's changes of
 * state are logged as they happen. */
static void clock_state(frame_clock *c, char *name, size_t n, double *phase_ms)
{
    *phase_ms = 0;
    if (c->source != VL_CLOCK_TRACKER) {
        snprintf(name, n, "%s", clock_names[c->source]);
        return;
    }
    enum vl_lock_state st = vl_phase_lock_state(&c->lock, vl_now_ns());
    snprintf(name, n, "tracker %s", vl_lock_state_name(st));
    *phase_ms = vl_phase_lock_error_ms(&c->lock);
    if (st == c->state)
        return;
    c->state = st;
    double hz = vl_phase_lock_tracker_hz(&c->lock), fps = 1e9 / vl_phase_lock_period_ns(&c->lock);
    double want = vl_rational_to_double(c->rate);
    if (st == VL_LOCK_NO_RATIO)
        VL_WARN(LOG, "clock: the tracker sends at %.3f Hz, not a whole multiple of the stage's "
                "%.3f fps: running on the internal clock", hz, want);
    else if (hz > 0)
        VL_INFO(LOG, "clock: %s (tracker at %.3f Hz)", vl_lock_state_name(st), hz);
    else
        VL_INFO(LOG, "clock: %s", vl_lock_state_name(st));
    if (st == VL_LOCK_LOCKED && fabs(fps - want) > want * 0.0005)
        VL_WARN(LOG, "clock: locked frames run at %.3f fps, the stage says %.3f: the tracker's "
                "sync is not the stage rate's", fps, want);
}

/* ---- run ------------------------------------------------------------------ */

/* What a stats query is answered with. */
static void answer_stats(session *s, vl_stats *stats, vl_control_cmd *cmd,
                         const vl_frame_record *rec, int64_t shown, int64_t t0)
{
    vl_stats_summary m = vl_stats_get_summary(stats);
    vl_control_stats st = {
        .frame = rec->frame, .dropped = m.dropped, .late = m.late,
        .fps = shown / fmax((vl_now_ns() - t0) / 1e9, 1e-9),
        .frame_ms_p50 = m.frame_ms_p50, .frame_ms_p99 = m.frame_ms_p99,
        .pose_age_ms = rec->pose_age_ms, .phase_error_ms = rec->phase_error_ms,
        .plate_frame = s->plate_index, .plate_playing = s->plate && !s->plate_paused,
    };
    snprintf(st.timecode, sizeof(st.timecode), "%s", rec->timecode);
    snprintf(st.clock, sizeof(st.clock), "%s", rec->clock);
    vl_control_reply_stats(s->control, cmd, &st);
}

/* Real time: frames start when the frame clock says (internal: at t0 +
 * n / rate). When rendering falls behind by a whole frame, the frames
 * already past are dropped (and counted) so scene time stays locked to the
 * clock, as on a stage. */
static int run_main(const vl_opts *o, bool headless)
{
    session s = { 0 };
    int ret = 1;
    vl_stats *stats = NULL;
    unsigned *textures = NULL;
    if (!session_open(&s, o, headless))
        goto done;
    vl_rational rate = s.stage->rate;
    VL_INFO(LOG, "running %s%s%s on %s at %lld/%lld fps%s; Esc or q quits",
            o->plate ? o->plate : "", o->plate && s.scene ? " with " : "",
            s.scene ? (o->scene ? o->scene : "builtin:fell") : "",
            o->stage_path ? o->stage_path : "the built-in stage",
            (long long)rate.num, (long long)rate.den, headless ? " (headless)" : "");
    vl_timecode tc0;
    bool tc_tracker = o->timecode && !strcmp(o->timecode, "tracker");
    if (!start_timecode(&s, o, &tc0))
        goto done;
    if (o->control && !(s.control = vl_control_open(o->control, NULL, 0)))
        goto done;
    if (!(stats = vl_stats_open(o->stats_path)))
        goto done;
    textures = vl_xcalloc(s.stage->n_outputs, sizeof(*textures));
    for (int i = 0; i < s.stage->n_outputs; i++)
        textures[i] = vl_renderer_canvas_texture(s.renderer, i);
    /* Frame 0 once before the clock starts: opening a plate, its first
     * decode and compiling the shaders for it take longer than a frame. */
    update_plate(&s, 2 * VL_NS_PER_SEC);
    vl_camera cam0 = frame_camera(&s, o, 0, vl_now_ns());
    vl_renderer_frame(s.renderer, s.scene, &cam0, 0);
    vl_renderer_finish(s.renderer);
    frame_clock clock;
    if (!clock_open(&clock, &s, o, headless))
        goto done;
    int64_t t0 = clock.t0, deadline = t0, n = 0, shown = 0, dropped = 0;
    for (; !o->frames || shown < o->frames; shown++) {
        int64_t next = shown ? clock_next(&clock, n, deadline, &deadline) : 0;
        vl_frame_record rec = { .frame = next, .dropped = shown ? next - n - 1 : 0,
                                .pose_age_ms = -1 };
        if (!s.plate_paused)
            s.plate_pos += next - n;
        dropped += rec.dropped;
        n = next;
        vl_sleep_until_ns(deadline);
        int64_t start = vl_now_ns();
        vl_sample newest;
        bool have = s.samples && vl_sample_buffer_latest(s.samples, o->camera_id, &newest);
        if (have)
            rec.pose_age_ms = (start - newest.rx_ns) / 1e6;
        vl_timecode tc = tc_tracker && have && newest.has_timecode ?
                         timecode_from_sample(&newest, rate, deadline) : vl_timecode_at(rate, tc0, n);
        vl_timecode_format(tc, rec.timecode);
        char clock_name[32];
        clock_state(&clock, clock_name, sizeof(clock_name), &rec.phase_error_ms);
        rec.clock = clock_name;
        vl_control_cmd cmd;
        while (s.control && vl_control_next(s.control, &cmd)) {
            if (cmd.kind == VL_CONTROL_STATS)
                answer_stats(&s, stats, &cmd, &rec, shown, t0);
            else
                apply_control(&s, o, &cmd);
        }
        plate_opener_poll(&s, o);
        double t_sec = vl_frame_time_ns(rate, n) / 1e9;
        vl_camera cam = frame_camera(&s, o, n, deadline);
        update_plate(&s, vl_frame_period_ns(rate) / 4);
        vl_renderer_frame(s.renderer, s.scene, &cam, t_sec);
        vl_renderer_finish(s.renderer);
        int64_t end = vl_now_ns();
        bool open = vl_gl_present(s.gl, textures, s.stage->n_outputs);
        int64_t presented = vl_now_ns();
        clock_presented(&clock, presented, n);
        rec.target_ns = deadline - t0;
        rec.start_ns = start - t0;
        rec.render_end_ns = end - t0;
        rec.present_ns = presented - t0;
        rec.late = end > deadline + (clock.source == VL_CLOCK_TRACKER ?
                                     (int64_t)vl_phase_lock_period_ns(&clock.lock) : clock.period);
        vl_stats_frame(stats, &rec);
        if (!open)
            break;
    }
    VL_INFO(LOG, "%lld frames shown, %lld dropped to keep time", (long long)shown,
            (long long)dropped);
    report_trackers(&s);
    report_plate(&s);
    if (s.control) {
        int64_t got, unknown, bad, full;
        vl_control_counts(s.control, &got, &unknown, &bad, &full);
        VL_INFO(LOG, "OSC control: %lld messages, %lld unknown, %lld malformed, %lld dropped",
                (long long)got, (long long)unknown, (long long)bad, (long long)full);
    }
    ret = 0;
done:
    free(textures);
    vl_stats_close(stats);
    session_close(&s);
    return ret;
}

int main(int argc, char **argv)
{
    /* Frame deadlines are absolute sleeps; Linux's default 50 us timer
     * slack would add that much jitter to every frame start. */
    prctl(PR_SET_TIMERSLACK, 1UL);
    vl_opts o;
    int r = vl_opts_parse(&o, argc, argv);
    if (r)
        return r > 0 ? 0 : 2;
    if (o.quiet)
        vl_log_set_level(VL_LOG_WARN);
    if (o.verbose)
        vl_log_set_level(VL_LOG_DEBUG);
    /* FFmpeg's own lines (a corrupt packet, a misdetected format) repeat
     * what volym's one message per problem and its counters already say. */
    av_log_set_level(o.verbose ? AV_LOG_INFO : AV_LOG_FATAL);
    if (o.mode == VL_MODE_BENCH)
        return vl_bench_main(&o);
    if (o.mode == VL_MODE_BENCH_LATENCY)
        return vl_bench_latency(&o);
    if (o.mode == VL_MODE_BENCH_PLATE)
        return vl_bench_plate(&o);
    if (o.mode == VL_MODE_RENDER)
        return render_main(&o, false);
    bool headless = o.headless || !has_display();
    if (o.demo && headless) {
        o.view_camera = o.view_reference = true;
        return render_main(&o, true);
    }
    return run_main(&o, headless);
}
