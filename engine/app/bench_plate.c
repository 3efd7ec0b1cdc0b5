/*
 * volym bench plate: a video plate decoded and reprojected onto the wall as
 * fast as it goes, end to end. Output frame n shows source frame n (waiting
 * for the decoder when it is behind) and is finished on the GPU before the
 * next one starts. Two runs over the same file: a static camera, then one
 * that moves every frame. scripts/bench-plate.sh runs ffmpeg's v360 filter
 * on the same file for comparison.
 */
#include "app.h"
#include "media/media.h"
#include "render/render.h"
#include "stage/stage.h"

#include <stdio.h>

#define LOG "bench"

enum run { RUN_STATIC, RUN_MOVING, RUN_DECODE, RUN_NO_DECODE };

/* Frames per second over `frames` frames (after 5 to warm up), or 0 when
 * the plate does not open. RUN_DECODE only decodes; RUN_NO_DECODE uploads
 * and shows the first picture again and again (where the time goes). */
static double plate_fps(vl_renderer *r, const char *url, enum vl_plate_mode mode, enum run run,
                        int *frames)
{
    vl_plate *p = vl_plate_open(url);
    if (!p)
        return 0;
    vl_plate_timing t = vl_plate_source_timing(p);
    if (t.n_frames > 0 && *frames + 5 > t.n_frames)
        *frames = (int)t.n_frames - 5;
    vl_plate_view view = { .mode = mode, .distance_m = 12, .width_m = 16, .centre_z_m = 2 };
    vl_renderer_set_plate(r, &view);
    int64_t t0 = 0, index;
    const struct AVFrame *f = NULL;
    for (int n = -5; n < *frames; n++) {
        if (n == 0)
            t0 = vl_now_ns();
        if (run != RUN_NO_DECODE || !f)
            f = vl_plate_frame(p, n + 5, 10 * VL_NS_PER_SEC, &index);
        if (run == RUN_DECODE)
            continue;
        if (f)
            vl_renderer_plate_frame(r, f);
        vl_pose pose = run == RUN_MOVING ? vl_demo_pose((n + 5) / 25.0) :
                       (vl_pose){ { 0, 0, 1.5 }, 0, 0, 0 };
        vl_camera cam = { .pose = pose, .fov_h_deg = 50, .width = 1920, .height = 1080 };
        vl_renderer_frame(r, NULL, &cam, 0);
        vl_renderer_finish(r);
    }
    double secs = (vl_now_ns() - t0) / 1e9;
    vl_plate_close(p);
    return *frames / secs;
}

int vl_bench_plate(const vl_opts *o)
{
    if (!o->plate) {
        fprintf(stderr, "volym: bench plate needs --plate FILE\n");
        return 2;
    }
    int frames = o->frames ? o->frames : 100;
    vl_stage *stage = vl_bench_stage();
    vl_gl *gl = vl_gl_create(stage, VL_GL_HEADLESS);
    vl_renderer *r = gl ? vl_renderer_create(stage, NULL) : NULL;
    int ret = 1;
    if (r) {
        static const char *const names[] = { "static camera", "moving camera",
                                             "decoding alone", "without decoding" };
        double fps[4] = { 0 };
        int n[4];
        for (int i = 0; i < 4 && (i == 0 || fps[i - 1] > 0); i++) {
            n[i] = frames;
            fps[i] = plate_fps(r, o->plate, o->plate_mode, (enum run)i, &n[i]);
        }
        if (fps[3] > 0) {
            printf("volym bench plate: %s onto a 1920x1080 canvas, decode included\n", o->plate);
            for (int i = 0; i < 4; i++)
                printf("  %-18s %4d frames  %7.1f fps  %6.1f ms a frame\n", names[i], n[i],
                       fps[i], 1000 / fps[i]);
            printf("  (without decoding: the first picture uploaded and shown again each frame)\n");
            ret = 0;
        }
    }
    vl_renderer_destroy(r);
    vl_gl_destroy(gl);
    vl_stage_free(stage);
    return ret;
}
