/*
 * OSC control commands (control.c parses them on its own thread) applied
 * to the session at a frame boundary, and the answer to a stats query.
 */
#include "session.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define LOG "volym"

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

void apply_control(session *s, const vl_opts *o, const vl_control_cmd *c)
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
        if (s->plate && s->plate_timing.n_frames <= 0) {
            VL_WARN(LOG, "seek: %s is a live stream, there is nothing to seek in", s->plate_url);
            return;
        }
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

void answer_stats(session *s, vl_stats *stats, vl_control_cmd *cmd,
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
