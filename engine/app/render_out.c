/*
 * What `render` writes: each frame's pictures (the canvases, then the
 * camera, reference and stage views and the windows' pictures) as PNGs in the --out folder or as
 * streams of the --out video file, and the AprilTag markers beside them.
 */
#include "session.h"
#include "stage/pattern.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LOG "volym"

/* The picture in s->pixels as frame n: a PNG in the --out folder, or the
 * next frame of its stream in the --out video file. */
static bool put_picture(session *s, const vl_opts *o, int stream, const char *name, int w, int h,
                        int n)
{
    if (s->encoder)
        return vl_encoder_write(s->encoder, stream, s->pixels);
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s-%06d.png", o->out_dir, name, n);
    return vl_write_png(path, w, h, s->pixels);
}

bool write_frame(session *s, const vl_opts *o, const vl_camera *cam, double t_sec, int n)
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
    vl_window_view win = preview_view(&s->preview, VL_LAYOUT_PREVIEW, cam);
    if (o->view_stage) {
        vl_renderer_stage_view(s->renderer, &win.stage, o->stage_w, o->stage_h, s->pixels);
        if (!put_picture(s, o, k++, "stage", o->stage_w, o->stage_h, n))
            return false;
    }
    static const char *const names[] = { "preview", "single" };
    for (int layout = VL_LAYOUT_PREVIEW; layout <= VL_LAYOUT_SINGLE; layout++) {
        if (!(layout == VL_LAYOUT_PREVIEW ? o->view_preview : o->view_single))
            continue;
        win.layout = (enum vl_window_layout)layout;
        vl_renderer_window_view(s->renderer, &win, o->stage_w, o->stage_h, s->pixels);
        if (!put_picture(s, o, k++, names[layout], o->stage_w, o->stage_h, n))
            return false;
    }
    return true;
}

bool is_video_path(const char *path)
{
    const char *dot = strrchr(path, '.');
    return dot && !strchr(dot, '/') &&
           (!strcasecmp(dot, ".mkv") || !strcasecmp(dot, ".mp4") || !strcasecmp(dot, ".mov"));
}

bool open_encoder(session *s, const vl_opts *o, vl_timecode start)
{
    static const char *const codec_names[] = { "ffv1", "h264" };
    vl_encode_stream *streams = vl_xcalloc(s->stage->n_outputs + 5, sizeof(*streams));
    int n = 0;
    for (int i = 0; i < s->stage->n_outputs; i++)
        streams[n++] = (vl_encode_stream){ s->stage->outputs[i].name, s->stage->outputs[i].width,
                                           s->stage->outputs[i].height };
    if (o->view_camera)
        streams[n++] = (vl_encode_stream){ "camera", o->camera_w, o->camera_h };
    if (o->view_reference)
        streams[n++] = (vl_encode_stream){ "reference", o->camera_w, o->camera_h };
    if (o->view_stage)
        streams[n++] = (vl_encode_stream){ "stage", o->stage_w, o->stage_h };
    if (o->view_preview)
        streams[n++] = (vl_encode_stream){ "preview", o->stage_w, o->stage_h };
    if (o->view_single)
        streams[n++] = (vl_encode_stream){ "single", o->stage_w, o->stage_h };
    s->encoder = vl_encoder_open(o->out_dir, o->codec >= 0 ? codec_names[o->codec] : NULL,
                                 s->stage->rate, start, streams, n);
    free(streams);
    return s->encoder != NULL;
}

bool write_markers(const session *s, const vl_opts *o, bool video)
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
