/*
 * The illusion test: the proof that the core is right. For the default
 * curved stage and several camera poses, what the camera films of the wall
 * (vl_renderer_camera_view) must match the scene filmed straight from the
 * camera (vl_renderer_reference_view) wherever the wall fills the image.
 * A negative control renders the canvas for a camera 10 cm away and must
 * score clearly lower.
 */
#include "check.h"
#include "illusion.h"
#include "render/render.h"
#include "stage/stage.h"

#include <stdlib.h>
#include <string.h>

int main(void)
{
    vl_stage *stage = vl_stage_default();
    vl_gl *gl = vl_gl_create(stage, VL_GL_HEADLESS);
    CHECK(gl != NULL);
    if (!gl)
        return check_result("render");
    vl_renderer *r = vl_renderer_create(stage, NULL);
    CHECK(r != NULL);
    const char *names[] = { "builtin:grid", "builtin:fell" };
    /* Poses around the volume: centred, off to each side, high and low,
     * panned, tilted and rolled, near and far. All keep at least 2.5 m from
     * the 3.1 mm-pitch wall (about the 1 m per mm of pitch that LED makers
     * give as the closest camera distance): nearer, the wall's own pixels
     * are bigger than the camera's and show on camera, as on a real stage. */
    const vl_pose poses[] = {
        { { 0.0, 0.0, 1.5 }, 0, 0, 0 },
        { { -1.2, 0.8, 1.6 }, 18, 4, 0 },
        { { 1.5, 1.5, 1.2 }, -25, 8, 3 },
        { { 0.4, 1.2, 1.8 }, 5, -12, -4 },
        { { -0.6, -1.5, 1.4 }, -6, 2, 0 },
    };
    uint8_t *cam = malloc((size_t)CAM_W * CAM_H * 4), *ref = malloc((size_t)CAM_W * CAM_H * 4);
    for (int s = 0; s < 2; s++) {
        vl_scene *scene = vl_scene_create(names[s], NULL);
        CHECK(scene != NULL);
        if (!scene)
            continue;
        for (size_t i = 0; i < sizeof(poses) / sizeof(poses[0]); i++) {
            double cov, cov_neg;
            double t = 2.0 + i;
            double psnr = illusion(r, scene, poses[i], poses[i], t, cam, ref, &cov);
            vl_pose off = poses[i];
            off.pos[0] += 0.10;
            double neg = illusion(r, scene, off, poses[i], t, cam, ref, &cov_neg);
            printf("%s pose %zu: wall covers %.0f%%, PSNR %.1f dB; canvas for a camera 10 cm "
                   "away: %.1f dB\n", names[s], i, cov * 100, psnr, neg);
            CHECK(cov > 0.3);
            CHECK(psnr >= 30.0);
            CHECK(neg < psnr - 5.0);
        }
        vl_scene_destroy(scene);
    }

    /* Outside the inner frustum the wall shows the outer content, which no
     * camera move changes; inside, a 10 cm move changes the picture. The
     * camera looks at the left of the wall, so the two rightmost panel
     * columns (canvas x >= 1600) are outside its frustum. */
    {
        vl_scene *grid = vl_scene_create("builtin:grid", NULL);
        const vl_output *o = &stage->outputs[0];
        size_t n = (size_t)o->width * o->height * 4;
        uint8_t *a = malloc(n), *b = malloc(n);
        vl_pose left = { { 0, 0, 1.5 }, -20, 0, 0 }, moved = left;
        moved.pos[0] += 0.10;
        vl_camera ca = camera_at(left), cb = camera_at(moved);
        ca.fov_h_deg = cb.fov_h_deg = 30;
        vl_renderer_frame(r, grid, &ca, 0);
        vl_renderer_read_canvas(r, 0, a);
        vl_renderer_frame(r, grid, &cb, 0);
        vl_renderer_read_canvas(r, 0, b);
        long outside_diff = 0, inside_diff = 0;
        for (int y = 0; y < 800; y++) {
            for (int x = 0; x < o->width; x++) {
                size_t i = ((size_t)y * o->width + x) * 4;
                bool differ = memcmp(a + i, b + i, 3) != 0;
                outside_diff += x >= 1600 && differ;
                inside_diff += x >= 300 && x < 700 && differ;
            }
        }
        printf("outer region: %ld pixels changed by a 10 cm move (expect 0); inner: %ld\n",
               outside_diff, inside_diff);
        CHECK(outside_diff == 0);
        CHECK(inside_diff > 10000);
        free(a);
        free(b);
        vl_scene_destroy(grid);
    }

    /* Wall plus ceiling (two outputs, a section pitched to face down): a
     * camera looking up films both. */
    char path[4096];
    const char *root = getenv("VOLYM_SOURCE_ROOT");
    snprintf(path, sizeof(path), "%s/configs/wall-ceiling.json", root ? root : ".");
    vl_stage *wc = vl_stage_load(path);
    CHECK(wc != NULL);
    vl_renderer *rc = wc ? vl_renderer_create(wc, NULL) : NULL;
    vl_scene *grid = vl_scene_create("builtin:grid", NULL);
    if (rc && grid) {
        const vl_pose up[] = { { { 0, 1.0, 1.6 }, 0, 25, 0 }, { { 0.8, 0.5, 1.5 }, -15, 35, 5 } };
        for (int i = 0; i < 2; i++) {
            double cov, cov_neg;
            double psnr = illusion(rc, grid, up[i], up[i], 0, cam, ref, &cov);
            vl_pose off = up[i];
            off.pos[1] += 0.10;
            double neg = illusion(rc, grid, off, up[i], 0, cam, ref, &cov_neg);
            printf("wall-ceiling pose %d: wall and ceiling cover %.0f%%, PSNR %.1f dB; "
                   "10 cm away: %.1f dB\n", i, cov * 100, psnr, neg);
            CHECK(cov > 0.3);
            CHECK(psnr >= 30.0);
            CHECK(neg < psnr - 5.0);
        }
    }
    vl_scene_destroy(grid);
    vl_renderer_destroy(rc);
    vl_stage_free(wc);

    free(cam);
    free(ref);
    vl_renderer_destroy(r);
    vl_gl_destroy(gl);
    vl_stage_free(stage);
    return check_result("render");
}
