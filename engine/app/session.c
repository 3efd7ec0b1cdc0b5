/*
 * The session: what a running volym holds (stage, GL, scene, renderer,
 * trackers, take, plate) opened from the options and closed again; the
 * plate's playing and switching; the camera and timecode of a frame.
 */
#include "session.h"
#include "stage/pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "volym"

static void plate_opener_join(session *s);

void session_close(session *s)
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
    preview_free(&s->preview);
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

/* A raw stream has no timestamps, so its rate has no source: --plate-rate,
 * or the stage's (frame n at stage frame n). A file with timestamps keeps
 * its own rate. Either way the log says which. */
static void plate_rate(session *s, const vl_opts *o, vl_plate_timing *t)
{
    vl_rational r = s->stage->rate;
    if (o->plate_rate && !t->untimed) {
        VL_WARN(LOG, "--plate-rate %s ignored: %s has timestamps (%lld/%lld fps); "
                "--plate-speed changes its pace", o->plate_rate, s->plate_url,
                (long long)t->rate.num, (long long)t->rate.den);
        return;
    }
    if (!t->untimed)
        return;
    if (o->plate_rate)
        vl_rational_parse(o->plate_rate, &r);
    VL_INFO(LOG, "plate %s has no timestamps: playing it at %lld/%lld fps, %s "
            "(libavformat guesses %lld/%lld)", s->plate_url, (long long)r.num, (long long)r.den,
            o->plate_rate ? "--plate-rate" : "the stage rate; --plate-rate sets another",
            (long long)t->rate.num, (long long)t->rate.den);
    t->rate = r;
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
    plate_rate(s, o, t);
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

void plate_opener_start(session *s, const char *url)
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

void plate_opener_poll(session *s, const vl_opts *o)
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

void update_plate(session *s, int64_t timeout_ns)
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
    if (got != due) {
        vl_plate_stats st = vl_plate_get_stats(s->plate);
        /* Past where a cut-short file ended, frames are missing, not late
         * (the plate stats count them). */
        if (!st.ended && !(st.cut && due >= st.cut_at))
            s->plate_late++;
    }
}

void report_plate(session *s)
{
    if (!s->plate_url)
        return;
    if (!s->plate) {
        VL_INFO(LOG, "plate %s: did not open; the fallback pattern was shown", s->plate_url);
        return;
    }
    vl_plate_stats st = vl_plate_get_stats(s->plate);
    char cut[96] = "";
    if (st.cut)
        snprintf(cut, sizeof(cut), "; the file ended at frame %lld of %lld, its last frame was held",
                 (long long)st.cut_at, (long long)s->plate_timing.n_frames);
    VL_INFO(LOG, "plate %s: %llu frames decoded, %llu decode errors, %lld shown late%s%s", s->plate_url,
            (unsigned long long)st.decoded, (unsigned long long)st.errors,
            (long long)s->plate_late,
            st.broken ? "; the stream broke, its last good frame was held" : "", cut);
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

bool session_open(session *s, const vl_opts *o, enum vl_gl_windows windows)
{
    *s = (session){ 0 };
    s->stage = o->stage_path ? vl_stage_load(o->stage_path) : vl_stage_default();
    if (!s->stage)
        return false;
    if (o->take && !(s->take = vl_take_load(o->take)))
        return false;
    preview_init(&s->preview, s->stage->rate, (enum vl_stage_view_kind)o->stage_view);
    s->gl = vl_gl_create(s->stage, windows);
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
    if ((o->view_stage || o->view_preview || o->view_single) &&
        (size_t)o->stage_w * o->stage_h > most)
        most = (size_t)o->stage_w * o->stage_h;
    for (int i = 0; i < s->stage->n_outputs; i++) {
        size_t n = (size_t)s->stage->outputs[i].width * s->stage->outputs[i].height;
        most = n > most ? n : most;
    }
    s->pixels = vl_xmalloc(most * 4);
    return true;
}

/* What a tracked lens says beyond its FOV (OpenTrackIO):
 *   - the projection centre is the entrance pupil, entrance_pupil_m ahead
 *     of the sensor (where the transforms end) along the optical axis;
 *   - the projection offset, mm on the sensor with x right and y down like
 *     OpenCV's principal point (camdkit's OpenCV_to_OpenTrackIO: dP = w /
 *     w_px * (c - w_px / 2)), shifts the frustum: NDC x = 2 dx / w,
 *     y = -2 dy / h;
 *   - the distortion overscan factor k is a floor of k - 1 under the
 *     stage's overscan, so the undistorted picture has the pixels it needs. */
static void apply_lens(session *s, const vl_sample *smp, vl_camera *cam)
{
    if (smp->entrance_pupil_m != 0) {
        vl_basis b = vl_basis_from_ptr(cam->pose.pan_deg, cam->pose.tilt_deg, cam->pose.roll_deg);
        for (int k = 0; k < 3; k++)
            cam->pose.pos[k] += b.forward[k] * smp->entrance_pupil_m;
    }
    const double *off = smp->projection_offset_mm;
    if ((off[0] != 0 || off[1] != 0) && smp->sensor_w_mm > 0 && smp->sensor_h_mm > 0) {
        cam->shift[0] = 2 * off[0] / smp->sensor_w_mm;
        cam->shift[1] = -2 * off[1] / smp->sensor_h_mm;
    } else if ((off[0] != 0 || off[1] != 0) && !s->lens_offset_noted) {
        VL_WARN(LOG, "the tracker sends a projection offset but no sensor size: the offset is ignored "
                     "until static.camera.activeSensorPhysicalDimensions arrives");
        s->lens_offset_noted = true;
    }
    if (smp->overscan > 1) {
        cam->overscan_min = smp->overscan - 1;
        double stage = vl_renderer_frustum(s->renderer)->overscan;
        if (cam->overscan_min > stage && !s->lens_overscan_noted) {
            VL_INFO(LOG, "the lens's distortion overscan (factor %.3f) raises the inner frustum's "
                         "overscan from %.0f %% to %.1f %%", smp->overscan, stage * 100,
                    cam->overscan_min * 100);
            s->lens_overscan_noted = true;
        }
    }
}

vl_camera frame_camera(session *s, const vl_opts *o, int64_t n, int64_t frame_t_ns)
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
        apply_lens(s, &smp, &cam);
    } else if (o->demo && !o->pose_given) {
        cam.pose = vl_demo_pose(scene_t_ns / 1e9);
    }
    return cam;
}

void report_trackers(session *s)
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

vl_timecode timecode_from_sample(const vl_sample *smp, vl_rational rate, int64_t at_ns)
{
    int64_t k = vl_timecode_frames(smp->timecode_rate, smp->timecode);
    int64_t t = vl_frame_time_ns(smp->timecode_rate, k) + (at_ns - smp->t_ns);
    int64_t per = rate.den * VL_NS_PER_SEC;
    int64_t n = t > 0 ? (t * rate.num + per / 2) / per : 0;
    return vl_timecode_at(rate, (vl_timecode){ .drop = vl_timecode_drop(rate) }, n);
}

bool start_timecode(session *s, const vl_opts *o, vl_timecode *tc)
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
