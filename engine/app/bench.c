/*
 * volym bench: what a frame costs, in units of the cheapest thing a frame
 * could do: one plain full-canvas textured pass. Everything is measured in
 * one run on one canvas so the ratios hold on any machine.
 */
#include "app.h"
#include "render/render.h"
#include "stage/stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG "bench"

/* A 1920x1080 canvas filled by one curved section: 16 x 9 panels of
 * 500 mm at 120 px, 3 degrees per column, 4 m out. */
vl_stage *vl_bench_stage(void)
{
    vl_stage *st = vl_stage_default();
    vl_section *s = &st->sections[0];
    s->cols = 16;
    s->rows = 9;
    s->panel_px_w = s->panel_px_h = 120;
    s->curve_deg = 3;
    s->yaw_deg = -(s->cols - 1) / 2.0 * s->curve_deg;
    /* Centre the top edge at (0, 4, 4.5): the wall stands on the floor. */
    double mid[3];
    s->pos[0] = s->pos[1] = s->pos[2] = 0;
    vl_section_pixel_to_stage(s, vl_section_width_px(s) / 2.0, 0, mid);
    s->pos[0] = -mid[0];
    s->pos[1] = 4.0 - mid[1];
    s->pos[2] = 4.5 - mid[2];
    st->outputs[0].width = 1920;
    st->outputs[0].height = 1080;
    return st;
}

static double time_frames(vl_renderer *r, vl_scene *scene, int frames, int warmup)
{
    int64_t t0 = 0;
    for (int n = -warmup; n < frames; n++) {
        if (n == 0) {
            vl_renderer_finish(r);
            t0 = vl_now_ns();
        }
        double t_sec = (n + warmup) / 25.0;
        vl_camera cam = { .pose = vl_demo_pose(t_sec), .fov_h_deg = 50, .width = 1920, .height = 1080 };
        vl_renderer_frame(r, scene, &cam, t_sec);
        vl_renderer_finish(r);
    }
    vl_renderer_finish(r);
    return (vl_now_ns() - t0) / 1e6 / frames;
}

/* The preview or single-screen window's picture at 1280x720 (read back,
 * as render --view preview writes it), over the last frame rendered: a
 * camera with 10 s of path at 25 fps and a five-line overlay. */
static double time_window(vl_renderer *r, enum vl_window_layout layout, int frames)
{
    enum { W = 1280, H = 720, PATH = 250 };
    double path[PATH][3];
    for (int i = 0; i < PATH; i++)
        memcpy(path[i], vl_demo_pose(i / 25.0).pos, sizeof(path[i]));
    vl_camera cam = { .pose = vl_demo_pose(PATH / 25.0), .fov_h_deg = 50, .width = 1920,
                      .height = 1080 };
    vl_window_view v = {
        .layout = layout,
        .stage = { .cam = &cam, .observer = vl_stage_observer_default(VL_STAGE_VIEW_ORBIT),
                   .path = (const double (*)[3])path, .n_path = PATH },
        .overlay = "25.00 fps (stage 25), frame 12.3 ms\ntimecode 00:00:10:00, clock internal\n"
                   "tracker freed://:40000: 50 Hz, pose 8 ms old\n0 dropped, 0 late, 0 bad packets\n"
                   "view: orbit, zoom 1    h: keys",
    };
    uint8_t *rgba = vl_xmalloc((size_t)W * H * 4);
    vl_renderer_window_view(r, &v, W, H, rgba);     /* first use: targets, programs */
    int64_t t0 = vl_now_ns();
    for (int n = 0; n < frames; n++)
        vl_renderer_window_view(r, &v, W, H, rgba);
    free(rgba);
    return (vl_now_ns() - t0) / 1e6 / frames;
}

int vl_bench_main(const vl_opts *o)
{
    int frames = o->frames ? o->frames : 60;
    vl_stage *stage = vl_bench_stage();
    vl_gl *gl = vl_gl_create(stage, VL_GL_HEADLESS);
    vl_renderer *r = NULL;
    vl_scene *grid = NULL, *fell = NULL;
    int ret = 1;
    if (!gl)
        goto done;
    vl_renderer_desc desc = { .inner_width = o->inner_w, .inner_height = o->inner_h };
    r = vl_renderer_create(stage, &desc);
    grid = vl_scene_create("builtin:grid", NULL);
    fell = vl_scene_create("builtin:fell", NULL);
    if (!r || !grid || !fell)
        goto done;

    double grid_ms = time_frames(r, grid, frames, 5);
    double fell_ms = time_frames(r, fell, frames, 5);
    vl_renderer_textured_pass(r, 5);
    vl_renderer_finish(r);
    int64_t t0 = vl_now_ns();
    vl_renderer_textured_pass(r, frames);
    vl_renderer_finish(r);
    double pass_ms = (vl_now_ns() - t0) / 1e6 / frames;
    double preview_ms = time_window(r, VL_LAYOUT_PREVIEW, frames);
    double single_ms = time_window(r, VL_LAYOUT_SINGLE, frames);

    printf("volym bench: 1920x1080 canvas, camera 1920x1080, %d frames each\n", frames);
    printf("  textured pass   %8.2f ms\n", pass_ms);
    printf("  builtin:grid    %8.2f ms  = %.2f textured passes  (target <= 2.5)\n",
           grid_ms, grid_ms / pass_ms);
    printf("  builtin:fell    %8.2f ms  = %.2f textured passes\n", fell_ms, fell_ms / pass_ms);
    printf("  preview window  %8.2f ms  = %.2f textured passes  (1280x720, read back)\n",
           preview_ms, preview_ms / pass_ms);
    printf("  single screen   %8.2f ms  = %.2f textured passes  (1280x720, read back)\n",
           single_ms, single_ms / pass_ms);
    ret = 0;
done:
    vl_scene_destroy(grid);
    vl_scene_destroy(fell);
    vl_renderer_destroy(r);
    vl_gl_destroy(gl);
    vl_stage_free(stage);
    return ret;
}
