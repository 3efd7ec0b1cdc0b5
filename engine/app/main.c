/*
 * volym: the real-time renderer, its deterministic `render` mode and the
 * demo. A frame is a pure function of (stage, camera pose, scene time):
 * the loop below only decides where the pose comes from and where the
 * canvases go.
 */
#include "app.h"
#include "frame_clock.h"
#include "session.h"
#include "stage/pattern.h"

#include <errno.h>
#include <libavutil/log.h>
#include <math.h>
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

/* render --view preview|single: what the overlay says of frame n. */
static void render_overlay(session *s, const vl_camera *cam, vl_timecode tc0, int n)
{
    char tc[16];
    vl_timecode_format(vl_timecode_at(s->stage->rate, tc0, n), tc);
    const vl_pose *p = &cam->pose;
    snprintf(s->preview.overlay, sizeof(s->preview.overlay),
             "frame %d, timecode %s\n"
             "camera at %.2f, %.2f, %.2f m, pan %.1f, tilt %.1f, fov %.0f\n"
             "overscan %.0f %%\n"
             "view: %s",
             n, tc, p->pos[0], p->pos[1], p->pos[2], p->pan_deg, p->tilt_deg, cam->fov_h_deg,
             vl_renderer_frustum(s->renderer)->overscan * 100, preview_view_name(&s->preview));
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
    if ((!video && !make_dir(o->out_dir)) || !session_open(&s, o, VL_GL_HEADLESS))
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
        preview_add_position(&s.preview, cam.pose.pos);
        if (o->view_preview || o->view_single)
            render_overlay(&s, &cam, tc0, n);
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

/* ---- run ------------------------------------------------------------------ */

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
    enum vl_gl_windows windows = headless ? VL_GL_HEADLESS : o->single_screen ? VL_GL_SINGLE :
                                 o->no_preview ? VL_GL_OUTPUTS : VL_GL_PREVIEW;
    enum vl_window_layout layout = o->single_screen ? VL_LAYOUT_SINGLE : VL_LAYOUT_PREVIEW;
    if (headless && o->single_screen)
        VL_WARN(LOG, "--single-screen: there is no display, so nothing is shown");
    if (!session_open(&s, o, windows))
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
    int64_t t0 = clock.t0, deadline = t0, n = 0, shown = 0, dropped = 0, late = 0;
    double frame_ms = 0;
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
        preview_add_position(&s.preview, cam.pose.pos);
        update_plate(&s, vl_frame_period_ns(rate) / 4);
        vl_renderer_frame(s.renderer, s.scene, &cam, t_sec);
        vl_renderer_finish(s.renderer);
        int64_t end = vl_now_ns();
        vl_gl_present(s.gl, textures, s.stage->n_outputs);    /* the LED outputs first */
        int64_t presented = vl_now_ns();
        int win_w, win_h;
        if (vl_gl_begin_window(s.gl, &win_w, &win_h)) {
            preview_overlay(&s.preview, &s, o, &rec, have ? &newest : NULL, frame_ms, shown,
                            dropped, late);
            vl_window_view view = preview_view(&s.preview, layout, &cam);
            vl_renderer_draw_window(s.renderer, &view, 0, win_w, win_h);
            vl_gl_end_window(s.gl);
            if (o->single_screen)
                presented = vl_now_ns();    /* its swap is the one that waits */
        }
        vl_input input;
        vl_gl_poll(s.gl, &input);
        preview_input(&s.preview, &input);
        clock_presented(&clock, presented, n);
        rec.target_ns = deadline - t0;
        rec.start_ns = start - t0;
        rec.render_end_ns = end - t0;
        rec.present_ns = presented - t0;
        rec.late = end > deadline + (clock.source == VL_CLOCK_TRACKER ?
                                     (int64_t)vl_phase_lock_period_ns(&clock.lock) : clock.period);
        late += rec.late;
        frame_ms = (end - start) / 1e6;
        vl_stats_frame(stats, &rec);
        if (input.quit)
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
