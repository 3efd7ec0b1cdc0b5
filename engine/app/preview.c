/*
 * The preview and single-screen windows' state: where the observer is
 * (presets, mouse orbit and zoom), the camera's recent path, the help
 * and the overlay's figures. The pictures themselves are the renderer's
 * (vl_renderer_draw_window); this file only decides what they show.
 */
#include "session.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "preview"

#define PATH_SECONDS 10         /* how much of the camera's path the stage view shows */
#define PATH_MAX_POINTS 1200
#define PATH_JUMP_M 1.0         /* farther in one frame: a new path (tracking began, a take looped) */
#define DRAG_DEG_PER_PX 0.3
#define ZOOM_STEP 1.15          /* one wheel click or + / - */
#define ZOOM_MIN 0.25
#define ZOOM_MAX 16.0

static const char *const view_names[] = { "top", "front", "orbit", "from camera" };

static const char help_text[] =
    "keys\n"
    "  h            show or hide this help\n"
    "  t  f  o  c   view: top, front, orbit, from the camera\n"
    "  left drag    orbit around the stage\n"
    "  wheel + -    zoom in and out;  0  zoom 1\n"
    "  Esc  q       quit volym";

void preview_init(preview *p, vl_rational rate, enum vl_stage_view_kind kind)
{
    *p = (preview){ .observer = vl_stage_observer_default(kind) };
    int64_t n = PATH_SECONDS * rate.num / (rate.den ? rate.den : 1);
    p->path_cap = (int)(n < 2 ? 2 : n > PATH_MAX_POINTS ? PATH_MAX_POINTS : n);
    p->path = vl_xcalloc(p->path_cap, sizeof(*p->path));
    p->path_ordered = vl_xcalloc(p->path_cap, sizeof(*p->path_ordered));
}

void preview_free(preview *p)
{
    free(p->path);
    free(p->path_ordered);
    *p = (preview){ 0 };
}

void preview_add_position(preview *p, const double pos[3])
{
    if (!p->path_cap)
        return;
    if (p->path_n) {
        const double *last = p->path[(p->path_head + p->path_cap - 1) % p->path_cap];
        if (hypot(hypot(pos[0] - last[0], pos[1] - last[1]), pos[2] - last[2]) > PATH_JUMP_M)
            p->path_n = 0;
    }
    memcpy(p->path[p->path_head], pos, sizeof(p->path[0]));
    p->path_head = (p->path_head + 1) % p->path_cap;
    if (p->path_n < p->path_cap)
        p->path_n++;
}

void preview_input(preview *p, const vl_input *in)
{
    vl_stage_observer *obs = &p->observer;
    for (int i = 0; i < in->n_keys; i++) {
        double zoom = obs->zoom;
        switch (in->keys[i]) {
        case 'h':
            p->help = !p->help;
            VL_INFO(LOG, "keys %s", p->help ? "shown" : "hidden");
            break;
        case 't':
        case 'f':
        case 'o':
        case 'c': {
            static const char keys[] = "tfoc";
            *obs = vl_stage_observer_default((enum vl_stage_view_kind)(strchr(keys, in->keys[i]) - keys));
            obs->zoom = zoom;
            VL_INFO(LOG, "view: %s, zoom %.2g", view_names[obs->kind], obs->zoom);
            break;
        }
        case '+':
        case '=':
            obs->zoom = fmin(obs->zoom * ZOOM_STEP, ZOOM_MAX);
            break;
        case '-':
            obs->zoom = fmax(obs->zoom / ZOOM_STEP, ZOOM_MIN);
            break;
        case '0':
            obs->zoom = 1;
            break;
        }
    }
    if (in->drag_x || in->drag_y) {
        /* Dragging always orbits: from the top view, start straight above;
         * from the front or the camera, from just above the floor. */
        if (obs->kind != VL_STAGE_VIEW_ORBIT) {
            double zoom = obs->zoom;
            double pitch = obs->kind == VL_STAGE_VIEW_TOP ? 89 : 10;
            *obs = vl_stage_observer_default(VL_STAGE_VIEW_ORBIT);
            obs->yaw_deg = 0;
            obs->pitch_deg = pitch;
            obs->zoom = zoom;
            VL_INFO(LOG, "view: orbit, by the mouse");
        }
        /* Drag right: the stage turns right (the observer goes left). */
        obs->yaw_deg = fmod(obs->yaw_deg - in->drag_x * DRAG_DEG_PER_PX, 360.0);
        obs->pitch_deg = fmin(fmax(obs->pitch_deg + in->drag_y * DRAG_DEG_PER_PX, -89), 89);
    }
    if (in->wheel)
        obs->zoom = fmin(fmax(obs->zoom * pow(ZOOM_STEP, in->wheel), ZOOM_MIN), ZOOM_MAX);
}

vl_window_view preview_view(preview *p, enum vl_window_layout layout, const vl_camera *cam)
{
    for (int i = 0; i < p->path_n; i++) {
        int k = (p->path_head - p->path_n + i + p->path_cap) % p->path_cap;
        memcpy(p->path_ordered[i], p->path[k], sizeof(p->path[0]));
    }
    return (vl_window_view){
        .layout = layout,
        .stage = { .cam = cam, .observer = p->observer,
                   .path = (const double (*)[3])p->path_ordered, .n_path = p->path_n },
        .overlay = p->overlay[0] ? p->overlay : NULL,
        .help = p->help ? help_text : NULL,
    };
}

const char *preview_view_name(const preview *p) { return view_names[p->observer.kind]; }

/* The tracker line: which tracker drives the camera (the one that sent
 * newest, NULL when none has), its rate, how old the pose was when the
 * frame began. */
static void tracker_line(preview *p, session *s, const vl_opts *o, const vl_sample *newest,
                         double age_ms, double secs, char *buf, size_t n)
{
    if (!s->n_trackers) {
        snprintf(buf, n, "no tracker: %s", o->demo && !o->pose_given ? "the demo move" : "a fixed pose");
    } else if (!newest) {
        snprintf(buf, n, "tracker %s: no sample yet", s->trackers[0].url);
    } else {
        int src = newest->source >= 0 && newest->source < s->n_trackers ? newest->source : 0;
        vl_tracker_stats st = vl_tracker_get_stats(s->open[src]);
        if (secs > 0) {
            p->tracker_hz = (st.samples - p->samples_then) / secs;
            p->samples_then = st.samples;
        }
        snprintf(buf, n, "tracker %s: %.0f Hz, pose %.0f ms old", s->trackers[src].url,
                 p->tracker_hz, age_ms);
    }
}

void preview_overlay(preview *p, session *s, const vl_opts *o, const vl_frame_record *rec,
                     const vl_sample *newest, double frame_ms, int64_t shown, int64_t dropped,
                     int64_t late)
{
    /* Rates over the last second. */
    int64_t now = vl_now_ns();
    double secs = 0;
    if (!p->then_ns) {
        p->then_ns = now;
    } else if (now - p->then_ns >= VL_NS_PER_SEC) {
        secs = (now - p->then_ns) / 1e9;
        p->fps = (shown - p->shown_then) / secs;
        p->shown_then = shown;
        p->then_ns = now;
    }
    uint64_t bad = 0;
    for (int i = 0; i < s->n_trackers; i++) {
        vl_tracker_stats st = vl_tracker_get_stats(s->open[i]);
        for (int k = 0; k < VL_TRACK_N_ERRORS; k++)
            bad += st.errors[k];
    }
    char tracker[400], plate[128] = "";
    tracker_line(p, s, o, newest, rec->pose_age_ms, secs, tracker, sizeof(tracker));
    if (s->plate_url && !s->plate)
        snprintf(plate, sizeof(plate), ", plate did not open");
    else if (s->plate) {
        vl_plate_stats st = vl_plate_get_stats(s->plate);
        snprintf(plate, sizeof(plate), ", %llu plate errors%s", (unsigned long long)st.errors,
                 st.broken ? " (broken: last frame held)" : "");
    }
    char fps[32] = "--";    /* until a second has been measured */
    if (p->then_ns && p->shown_then)
        snprintf(fps, sizeof(fps), "%.2f", p->fps);
    vl_rational rate = s->stage->rate;
    snprintf(p->overlay, sizeof(p->overlay),
             "%s fps (stage %.3g), frame %.1f ms\n"
             "timecode %s, clock %s\n"
             "%s\n"
             "%lld dropped, %lld late, %llu bad packets, stale %llu times%s\n"
             "view: %s, zoom %.2g    h: keys",
             fps, (double)rate.num / rate.den, frame_ms, rec->timecode, rec->clock, tracker,
             (long long)dropped, (long long)late, (unsigned long long)bad,
             (unsigned long long)s->feed.stale_events, plate,
             view_names[p->observer.kind], p->observer.zoom);
}
