/* The illusion test's measure, shared by test_render and test_plate: what
 * a camera films of the wall against the scene filmed straight from it. */
#ifndef VL_TEST_ILLUSION_H
#define VL_TEST_ILLUSION_H

#include "render/render.h"

#include <math.h>

#define CAM_W 960
#define CAM_H 540

static vl_camera camera_at(vl_pose pose)
{
    return (vl_camera){ .pose = pose, .fov_h_deg = 50, .width = CAM_W, .height = CAM_H };
}

/* PSNR in dB over the pixels the wall covers (camera-view alpha 255);
 * *coverage gets their share of the image. */
static double masked_psnr(const uint8_t *cam, const uint8_t *ref, double *coverage)
{
    double se = 0;
    long n = 0;
    for (long i = 0; i < (long)CAM_W * CAM_H; i++) {
        if (cam[i * 4 + 3] != 255)
            continue;
        for (int c = 0; c < 3; c++) {
            double d = (double)cam[i * 4 + c] - ref[i * 4 + c];
            se += d * d;
        }
        n++;
    }
    *coverage = (double)n / ((double)CAM_W * CAM_H);
    if (!n)
        return 0;
    double mse = se / (n * 3.0);
    return mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 99;
}

/* The canvas is rendered for `render_for` at scene time t; `film` films it.
 * cam and ref are CAM_W x CAM_H x 4 bytes of scratch. */
static double illusion(vl_renderer *r, vl_scene *scene, vl_pose render_for, vl_pose film,
                       double t, uint8_t *cam, uint8_t *ref, double *coverage)
{
    vl_camera rc = camera_at(render_for), fc = camera_at(film);
    vl_renderer_frame(r, scene, &rc, t);
    vl_renderer_camera_view(r, &fc, cam);
    vl_renderer_reference_view(r, scene, &fc, t, ref);
    return masked_psnr(cam, ref, coverage);
}

#endif
