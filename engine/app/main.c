/*
 * volym: the real-time renderer, its deterministic `render` mode and the
 * demo. A frame is a pure function of (stage, camera pose, scene time):
 * the loop below only decides where the pose comes from and where the
 * canvases go.
 */
#include "app.h"
#include "media/media.h"
#include "render/render.h"
#include "stage/stage.h"
#include "track/track.h"

#include <errno.h>
#include <libavutil/log.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

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
    vl_plate_timing plate_timing;
    int64_t plate_index;        /* source frame on the GPU; -1 none */
    int64_t plate_late;         /* frames shown with an older picture than due */
    bool plate_failed;
    uint8_t *pixels;            /* readback buffer, big enough for any picture */
} session;

static void session_close(session *s)
{
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

/* A plate that does not open is not fatal: the show goes on with the
 * fallback pattern where the plate would be (the message says why). */
static void open_plate(session *s, const vl_opts *o)
{
    vl_plate_view view = { .mode = o->plate_mode, .yaw_deg = o->plate_rotate[0],
                           .pitch_deg = o->plate_rotate[1], .roll_deg = o->plate_rotate[2],
                           .distance_m = o->plate_screen[0], .width_m = o->plate_screen[1],
                           .centre_z_m = o->plate_screen[2] };
    vl_renderer_set_plate(s->renderer, &view);
    s->plate_index = -1;
    s->plate = vl_plate_open(o->plate);
    if (!s->plate) {
        s->plate_failed = true;
        VL_WARN(LOG, "showing the fallback pattern instead of the plate");
        return;
    }
    vl_plate_timing *t = &s->plate_timing;
    *t = vl_plate_source_timing(s->plate);
    t->in_frame = o->plate_in;
    t->out_frame = o->plate_out;
    t->loop = !o->plate_once;
    if (o->plate_speed)
        vl_speed_parse(o->plate_speed, &t->speed);
    if (t->loop && t->n_frames > 0)
        vl_plate_set_loop(s->plate, t->in_frame, t->out_frame > 0 ? t->out_frame : t->n_frames);
}

/* The plate picture due at stage frame n onto the GPU, waiting at most
 * timeout_ns for the decoder; a late frame keeps the older picture. */
static void update_plate(session *s, int64_t n, int64_t timeout_ns)
{
    if (!s->plate)
        return;
    int64_t due = vl_plate_frame_at(&s->plate_timing, s->stage->rate, n), got;
    const struct AVFrame *f = vl_plate_frame(s->plate, due, timeout_ns, &got);
    if (f && got >= 0 && got != s->plate_index) {
        if (!vl_renderer_plate_frame(s->renderer, f))
            s->plate_failed = true;
        s->plate_index = got;
    }
    if (got != due && !vl_plate_get_stats(s->plate).ended)
        s->plate_late++;
}

static void report_plate(session *s, const vl_opts *o)
{
    if (!o->plate)
        return;
    if (!s->plate) {
        VL_INFO(LOG, "plate %s: did not open; the fallback pattern was shown", o->plate);
        return;
    }
    vl_plate_stats st = vl_plate_get_stats(s->plate);
    VL_INFO(LOG, "plate %s: %llu frames decoded, %llu decode errors, %lld shown late%s", o->plate,
            (unsigned long long)st.decoded, (unsigned long long)st.errors,
            (long long)s->plate_late,
            st.broken ? "; the stream broke, its last good frame was held" : "");
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
    if (o->plate)
        open_plate(s, o);
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

static bool write_frame(session *s, const vl_opts *o, const vl_camera *cam, double t_sec, int n)
{
    char path[4096];
    for (int i = 0; i < s->stage->n_outputs; i++) {
        const vl_output *out = &s->stage->outputs[i];
        vl_renderer_read_canvas(s->renderer, i, s->pixels);
        snprintf(path, sizeof(path), "%s/%s-%06d.png", o->out_dir, out->name, n);
        if (!vl_write_png(path, out->width, out->height, s->pixels))
            return false;
    }
    if (o->view_camera) {
        vl_renderer_camera_view(s->renderer, cam, s->pixels);
        snprintf(path, sizeof(path), "%s/camera-%06d.png", o->out_dir, n);
        if (!vl_write_png(path, cam->width, cam->height, s->pixels))
            return false;
    }
    if (o->view_reference) {
        vl_renderer_reference_view(s->renderer, s->scene, cam, t_sec, s->pixels);
        snprintf(path, sizeof(path), "%s/reference-%06d.png", o->out_dir, n);
        if (!vl_write_png(path, cam->width, cam->height, s->pixels))
            return false;
    }
    return true;
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

/* Offline: frame n shows scene time n / rate, whatever the render speed. */
static int render_main(vl_opts *o, bool announce)
{
    if (!o->out_dir)
        o->out_dir = o->demo ? "volym-demo" : "volym-out";
    if (!o->frames)
        o->frames = o->demo ? DEMO_HEADLESS_FRAMES : 1;
    session s = { 0 };
    int ret = 1;
    if (!make_dir(o->out_dir) || !session_open(&s, o, true))
        goto done;
    if (s.samples)
        wait_first_sample(&s, o);
    int64_t t0 = vl_now_ns();
    for (int n = 0; n < o->frames; n++) {
        double t_sec = vl_frame_time_ns(s.stage->rate, n) / 1e9;
        vl_camera cam = frame_camera(&s, o, n, vl_now_ns());
        update_plate(&s, n, 10 * VL_NS_PER_SEC);      /* offline: every frame exact */
        vl_renderer_frame(s.renderer, s.scene, &cam, t_sec);
        if (!write_frame(&s, o, &cam, t_sec, n))
            goto done;
    }
    double secs = (vl_now_ns() - t0) / 1e9;
    VL_INFO(LOG, "rendered %d frame%s in %.1f s", o->frames, o->frames == 1 ? "" : "s", secs);
    report_trackers(&s);
    report_plate(&s, o);
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

/* Real time: frame n starts at its deadline t0 + n / rate. When rendering
 * falls behind by a whole frame, the frames already past are dropped (and
 * counted) so scene time stays locked to the clock, as on a stage. */
static int run_main(const vl_opts *o, bool headless)
{
    session s = { 0 };
    int ret = 1;
    if (!session_open(&s, o, headless))
        goto done;
    vl_rational rate = s.stage->rate;
    VL_INFO(LOG, "running %s%s%s on %s at %lld/%lld fps%s; Esc or q quits",
            o->plate ? o->plate : "", o->plate && s.scene ? " with " : "",
            s.scene ? (o->scene ? o->scene : "builtin:fell") : "",
            o->stage_path ? o->stage_path : "the built-in stage",
            (long long)rate.num, (long long)rate.den, headless ? " (headless)" : "");
    vl_timecode tc0 = { .drop = vl_timecode_drop(rate) };
    if (o->timecode && !vl_timecode_parse(o->timecode, rate, &tc0)) {
        VL_ERR(LOG, "--timecode %s: expected HH:MM:SS:FF with FF below %d%s", o->timecode,
               vl_timecode_base(rate), tc0.drop ? ", not a label drop-frame skips" : "");
        goto done;
    }
    vl_stats *stats = vl_stats_open(o->stats_path);
    if (!stats)
        goto done;
    unsigned *textures = vl_xcalloc(s.stage->n_outputs, sizeof(*textures));
    for (int i = 0; i < s.stage->n_outputs; i++)
        textures[i] = vl_renderer_canvas_texture(s.renderer, i);
    /* Frame 0 once before the clock starts: opening a plate, its first
     * decode and compiling the shaders for it take longer than a frame. */
    update_plate(&s, 0, 2 * VL_NS_PER_SEC);
    vl_camera cam0 = frame_camera(&s, o, 0, vl_now_ns());
    vl_renderer_frame(s.renderer, s.scene, &cam0, 0);
    vl_renderer_finish(s.renderer);
    int64_t t0 = vl_now_ns();
    int64_t n = 0, shown = 0, dropped = 0;
    for (; !o->frames || shown < o->frames; n++, shown++) {
        int64_t next = vl_frame_catch_up(rate, t0, n, vl_now_ns());
        vl_frame_record rec = { .frame = next, .dropped = next - n, .pose_age_ms = -1 };
        dropped += next - n;
        n = next;
        int64_t deadline = t0 + vl_frame_time_ns(rate, n);
        vl_sleep_until_ns(deadline);
        int64_t start = vl_now_ns();
        double t_sec = vl_frame_time_ns(rate, n) / 1e9;
        vl_camera cam = frame_camera(&s, o, n, deadline);
        update_plate(&s, n, vl_frame_period_ns(rate) / 4);
        vl_renderer_frame(s.renderer, s.scene, &cam, t_sec);
        vl_renderer_finish(s.renderer);
        int64_t end = vl_now_ns();
        bool open = vl_gl_present(s.gl, textures, s.stage->n_outputs);
        vl_sample newest;
        if (s.samples && vl_sample_buffer_latest(s.samples, o->camera_id, &newest))
            rec.pose_age_ms = (start - newest.rx_ns) / 1e6;
        rec.target_ns = deadline - t0;
        rec.start_ns = start - t0;
        rec.render_end_ns = end - t0;
        rec.present_ns = vl_now_ns() - t0;
        rec.late = end > deadline + vl_frame_period_ns(rate);
        vl_timecode_format(vl_timecode_at(rate, tc0, n), rec.timecode);
        vl_stats_frame(stats, &rec);
        if (!open)
            break;
    }
    free(textures);
    vl_stats_close(stats);
    VL_INFO(LOG, "%lld frames shown, %lld dropped to keep time", (long long)shown,
            (long long)dropped);
    report_trackers(&s);
    report_plate(&s, o);
    ret = 0;
done:
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
