/*
 * The stage view: the volume from outside. The picture is not empty (wall,
 * floor grid, section edges), and the inner frustum's border it draws on
 * the wall sits where the camera's inner frustum meets the wall: its four
 * corners are found here by searching the section for the pixels that the
 * camera projects to NDC (+-1, +-1) (no ray casting, no GL), projected
 * with the stage view's matrix, and the outline colour must lie within a
 * few pixels of each. A negative control puts the corners of a frustum 15%
 * wider through the same check and must find no outline there; a moved
 * camera must move the corners.
 *
 * The observer: the default views' matrices are the ones the fixed views
 * had before the observer could move (numbers from that code); zoom 2
 * draws the wall twice as big; the over-the-shoulder view follows the
 * camera. The camera's path shows in its colour at its newest end, dimmer
 * at its oldest, and not at all without one.
 */
#include "check.h"
#include "render/render.h"
#include "stage/stage.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define W 1280
#define H 720
#define NEAR_PX 3.0             /* the outline is ~3 px wide: its corner within this */
#define SEARCH_PX 12

static bool is_rgb(const uint8_t *p, unsigned rgb)
{
    return p[0] == ((rgb >> 16) & 0xff) && p[1] == ((rgb >> 8) & 0xff) && p[2] == (rgb & 0xff);
}

static long count_rgb(const uint8_t *img, unsigned rgb)
{
    long n = 0;
    for (long i = 0; i < (long)W * H; i++)
        n += is_rgb(img + i * 4, rgb);
    return n;
}

/* Within tol levels of rgb in each channel. */
static bool near_rgb(const uint8_t *p, unsigned rgb, int tol)
{
    for (int c = 0; c < 3; c++)
        if (abs(p[c] - (int)((rgb >> (16 - 8 * c)) & 0xff)) > tol)
            return false;
    return true;
}

/* Pixels near rgb within radius px of xy (the whole image: radius < 0). */
static long count_near(const uint8_t *img, unsigned rgb, int tol, const double xy[2], int radius)
{
    long n = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if ((radius < 0 || hypot(x + 0.5 - xy[0], y + 0.5 - xy[1]) <= radius) &&
                near_rgb(img + ((size_t)y * W + x) * 4, rgb, tol))
                n++;
    return n;
}

static vl_stage_view_desc desc_of(const vl_camera *cam, enum vl_stage_view_kind view)
{
    return (vl_stage_view_desc){ .cam = cam, .observer = vl_stage_observer_default(view) };
}

/* Where cam, its frustum scaled by `scale`, projects a stage point (NDC);
 * false behind it. Straight from the pose's basis, not from GL matrices. */
static bool cam_ndc(const vl_camera *cam, double scale, const double p[3], double ndc[2])
{
    vl_basis b = vl_basis_from_ptr(cam->pose.pan_deg, cam->pose.tilt_deg, cam->pose.roll_deg);
    double v[3], x = 0, y = 0, z = 0;
    for (int i = 0; i < 3; i++) {
        v[i] = p[i] - cam->pose.pos[i];
        x += v[i] * b.right[i];
        y += v[i] * b.up[i];
        z += v[i] * b.forward[i];
    }
    if (z <= 0)
        return false;
    double tan_x = tan(cam->fov_h_deg * M_PI / 360.0) * scale;
    double tan_y = tan_x * cam->height / cam->width;
    ndc[0] = x / (z * tan_x);
    ndc[1] = y / (z * tan_y);
    return true;
}

static double corner_error(const vl_section *s, const vl_camera *cam, double scale, double px,
                           double py, const double want[2])
{
    double p[3], ndc[2];
    vl_section_pixel_to_stage(s, px, py, p);
    if (!cam_ndc(cam, scale, p, ndc))
        return INFINITY;
    return (ndc[0] - want[0]) * (ndc[0] - want[0]) + (ndc[1] - want[1]) * (ndc[1] - want[1]);
}

/* The stage point of the section pixel that cam projects to (sx, sy):
 * a coarse search over the section, then a shrinking local one. Returns
 * the remaining squared NDC error. */
static double find_corner(const vl_section *s, const vl_camera *cam, double scale, double sx,
                          double sy, double out[3])
{
    const double want[2] = { sx, sy };
    double sw = vl_section_width_px(s), sh = vl_section_height_px(s);
    double bx = 0, by = 0, best = INFINITY;
    for (double py = 0; py <= sh; py += 8)
        for (double px = 0; px <= sw; px += 8) {
            double e = corner_error(s, cam, scale, px, py, want);
            if (e < best) {
                best = e;
                bx = px;
                by = py;
            }
        }
    for (double step = 4; step > 1.0 / 256; step /= 2) {
        double cx = bx, cy = by;
        for (int j = -1; j <= 1; j++)
            for (int i = -1; i <= 1; i++) {
                double px = fmin(fmax(cx + i * step, 0), sw), py = fmin(fmax(cy + j * step, 0), sh);
                double e = corner_error(s, cam, scale, px, py, want);
                if (e < best) {
                    best = e;
                    bx = px;
                    by = py;
                }
            }
    }
    vl_section_pixel_to_stage(s, bx, by, out);
    return best;
}

/* A stage point in the stage view's image, pixels from the top-left. */
static void to_image(const float vp[16], const double p[3], double xy[2])
{
    double c[4];
    for (int j = 0; j < 4; j++)
        c[j] = vp[j] * p[0] + vp[4 + j] * p[1] + vp[8 + j] * p[2] + vp[12 + j];
    xy[0] = (c[0] / c[3] + 1) / 2 * W;
    xy[1] = (1 - c[1] / c[3]) / 2 * H;
}

/* Distance from xy to the nearest outline pixel's centre (SEARCH_PX + 1 if
 * none is that near). */
static double outline_distance(const uint8_t *img, const double xy[2])
{
    double best = SEARCH_PX + 1;
    int x0 = (int)floor(xy[0]), y0 = (int)floor(xy[1]);
    for (int y = y0 - SEARCH_PX; y <= y0 + SEARCH_PX; y++)
        for (int x = x0 - SEARCH_PX; x <= x0 + SEARCH_PX; x++) {
            if (x < 0 || y < 0 || x >= W || y >= H || !is_rgb(img + ((size_t)y * W + x) * 4,
                                                              VL_STAGE_VIEW_OUTLINE))
                continue;
            best = fmin(best, hypot(x + 0.5 - xy[0], y + 0.5 - xy[1]));
        }
    return best;
}

/* The four corners of cam's frustum (scaled) on the default stage's one
 * section, in the stage view's image; false if one misses the wall. */
static bool corners_in_image(const vl_stage *stage, const vl_camera *cam, double scale,
                             enum vl_stage_view_kind view, double xy[4][2])
{
    float vp[16];
    vl_stage_observer obs = vl_stage_observer_default(view);
    vl_stage_view_matrix(stage, cam, &obs, W, H, vp);
    bool ok = true;
    for (int k = 0; k < 4; k++) {
        double p[3];
        double err = find_corner(&stage->sections[0], cam, scale, k & 1 ? 1 : -1, k & 2 ? 1 : -1, p);
        ok &= err < 1e-8;
        to_image(vp, p, xy[k]);
    }
    return ok;
}

static const char *view_names[] = { "top", "front", "orbit", "camera" };

/* The outline check for one camera and view; returns the worst distance
 * of a true corner, and *neg the nearest of the 15%-wider ones. */
static double check_corners(vl_renderer *r, const vl_stage *stage, const vl_camera *cam,
                            enum vl_stage_view_kind view, uint8_t *img, double *neg)
{
    double scale = 1.0 + stage->frustum.overscan;
    double xy[4][2], wrong[4][2];
    vl_stage_view_desc d = desc_of(cam, view);
    vl_renderer_stage_view(r, &d, W, H, img);
    CHECK(corners_in_image(stage, cam, scale, view, xy));
    CHECK(corners_in_image(stage, cam, scale * 1.15, view, wrong));
    double worst = 0;
    *neg = INFINITY;
    for (int k = 0; k < 4; k++) {
        double d = outline_distance(img, xy[k]), dn = outline_distance(img, wrong[k]);
        printf("  %s corner %d at (%.1f, %.1f): outline %.2f px away; 15%% wider frustum's "
               "corner (%.1f, %.1f): %.2f px (%d: none within %d px)\n", view_names[view], k,
               xy[k][0], xy[k][1], d, wrong[k][0], wrong[k][1], dn, SEARCH_PX + 1, SEARCH_PX);
        worst = fmax(worst, d);
        *neg = fmin(*neg, dn);
    }
    CHECK(worst <= NEAR_PX);
    CHECK(*neg > NEAR_PX);
    return worst;
}

/* The views' matrices for `cam` below at W x H, as the code before the
 * observer (fixed TOP, FRONT and ORBIT views) computed them. */
static const float before_observer[3][16] = {
    { 0.231958777f, 0, 0, 0, 0, 0.412371129f, 0, 0, 0, 0, -0.454545438f, 0, 1.0301039e-16f,
      -0.927835047f, 0.545454502f, 1 },
    { 1.20628512f, 0, 0, 0, 0, 0.21913977f, 0.997689605f, 0.994765282f, 0, 2.13328099f,
      -0.102486953f, -0.102186553f, 5.35698205e-16f, -3.15966558f, 3.28117537f, 3.47126484f },
    { 1.05696619f, 0.567574859f, 0.40384382f, 0.402738631f, -0.581331432f, 1.03195429f,
      0.734261513f, 0.732252061f, 0, 1.79216063f, -0.550696135f, -0.549189031f, 1.3079958f,
      -4.56209898f, 7.50717688f, 7.68635845f },
};

/* The default observers frame the stage as the fixed views did. */
static void check_defaults(const vl_stage *stage, const vl_camera *cam)
{
    for (int k = 0; k < 3; k++) {
        vl_stage_observer obs = vl_stage_observer_default((enum vl_stage_view_kind)k);
        float vp[16];
        vl_stage_view_matrix(stage, cam, &obs, W, H, vp);
        double worst = 0;
        for (int i = 0; i < 16; i++)
            worst = fmax(worst, fabs(vp[i] - before_observer[k][i]) /
                                fmax(1.0, fabs(before_observer[k][i])));
        printf("default %s observer: matrix within %.2g of the fixed view's\n", view_names[k], worst);
        CHECK(worst < 1e-5);
    }
    vl_stage_observer orbit = vl_stage_observer_default(VL_STAGE_VIEW_ORBIT);
    CHECK(orbit.zoom == 1);
    CHECK_NEAR(orbit.yaw_deg, -28.81, 0.01);
    CHECK_NEAR(orbit.pitch_deg, 33.32, 0.01);
}

/* The width and height (pixels) of the box around the section's corners
 * in the image of observer obs. */
static void wall_size(const vl_stage *stage, const vl_camera *cam, const vl_stage_observer *obs,
                      double size[2])
{
    const vl_section *s = &stage->sections[0];
    double lo[2] = { INFINITY, INFINITY }, hi[2] = { -INFINITY, -INFINITY };
    float vp[16];
    vl_stage_view_matrix(stage, cam, obs, W, H, vp);
    for (int k = 0; k < 4; k++) {
        double p[3], xy[2];
        vl_section_pixel_to_stage(s, k & 1 ? vl_section_width_px(s) : 0,
                                  k & 2 ? vl_section_height_px(s) : 0, p);
        to_image(vp, p, xy);
        for (int j = 0; j < 2; j++) {
            lo[j] = fmin(lo[j], xy[j]);
            hi[j] = fmax(hi[j], xy[j]);
        }
    }
    size[0] = hi[0] - lo[0];
    size[1] = hi[1] - lo[1];
}

/* Zoom 2 draws the wall twice as big: exactly where only the field of view
 * narrows (TOP's orthographic box, CAMERA's angle), about where the
 * observer comes closer (the wall is not at the middle it comes to). */
static void check_zoom(const vl_stage *stage, const vl_camera *cam)
{
    for (int k = 0; k < 4; k++) {
        vl_stage_observer obs = vl_stage_observer_default((enum vl_stage_view_kind)k);
        double one[2], two[2];
        wall_size(stage, cam, &obs, one);
        obs.zoom = 2;
        wall_size(stage, cam, &obs, two);
        double ratio = (two[0] + two[1]) / (one[0] + one[1]);
        printf("%s: the wall %.0f x %.0f px, at zoom 2 %.0f x %.0f px (x %.3f)\n", view_names[k],
               one[0], one[1], two[0], two[1], ratio);
        if (k == VL_STAGE_VIEW_TOP || k == VL_STAGE_VIEW_CAMERA)
            CHECK_NEAR(ratio, 2.0, 0.01);
        else
            CHECK(ratio > 1.6 && ratio < 2.5);
    }
}

/* Over the shoulder: the matrix moves with the camera, and the point 5 m
 * ahead of the camera stays in the middle of the image. */
static void check_follow(const vl_stage *stage, const vl_camera *a, const vl_camera *b)
{
    vl_stage_observer obs = vl_stage_observer_default(VL_STAGE_VIEW_CAMERA);
    float vp[2][16];
    double diff = 0;
    for (int c = 0; c < 2; c++) {
        const vl_camera *cam = c ? b : a;
        vl_stage_view_matrix(stage, cam, &obs, W, H, vp[c]);
        vl_basis f = vl_basis_from_ptr(cam->pose.pan_deg, cam->pose.tilt_deg, cam->pose.roll_deg);
        double p[3], xy[2];
        for (int j = 0; j < 3; j++)
            p[j] = cam->pose.pos[j] + 5 * f.forward[j];
        to_image(vp[c], p, xy);
        printf("camera view of camera %d: 5 m ahead of it at (%.1f, %.1f)\n", c + 1, xy[0], xy[1]);
        CHECK(fabs(xy[0] - W / 2.0) < W / 20.0 && fabs(xy[1] - H / 2.0) < H / 10.0);
    }
    for (int i = 0; i < 16; i++)
        diff = fmax(diff, fabs(vp[0][i] - vp[1][i]));
    CHECK(diff > 0.05);
}

/* A path in front of the wall, newest last, ending away from the camera
 * body (which would hide its end): its colour near the newest point, its
 * dimmest near the oldest; none of either without the path. */
static void check_path(vl_renderer *r, const vl_stage *stage, const vl_camera *cam, uint8_t *img)
{
    double path[8][3];
    for (int i = 0; i < 8; i++) {
        double t = i / 7.0;
        path[i][0] = -2.0 + 1.0 * t;
        path[i][1] = 1.0 + 1.0 * t + 0.3 * sin(t * M_PI);
        path[i][2] = 0.6 + 0.4 * t;
    }
    vl_stage_view_desc d = desc_of(cam, VL_STAGE_VIEW_ORBIT);
    float vp[16];
    double newest[2], oldest[2];
    vl_stage_view_matrix(stage, cam, &d.observer, W, H, vp);
    to_image(vp, path[7], newest);
    to_image(vp, path[0], oldest);
    /* The oldest end's colour, PATH at 0.3 of its brightness. */
    const unsigned dim = 0x133a4d;
    long with[2], without[2];
    for (int pass = 0; pass < 2; pass++) {
        d.path = pass ? NULL : (const double(*)[3])path;
        d.n_path = pass ? 0 : 8;
        vl_renderer_stage_view(r, &d, W, H, img);
        long *n = pass ? without : with;
        n[0] = count_near(img, VL_STAGE_VIEW_PATH, 6, newest, pass ? -1 : 4);
        n[1] = count_near(img, dim, 6, oldest, pass ? 20 : 4);
    }
    printf("path: newest end at (%.0f, %.0f): %ld pixels of its colour within 4 px; oldest at "
           "(%.0f, %.0f): %ld of its dimmest; no path: %ld of the colour in the image, %ld of "
           "the dimmest near the oldest\n", newest[0], newest[1], with[0], oldest[0], oldest[1],
           with[1], without[0], without[1]);
    CHECK(with[0] > 0);
    CHECK(with[1] > 0);
    CHECK(without[0] == 0);
    CHECK(without[1] == 0);
}

int main(void)
{
    vl_stage *stage = vl_stage_default();
    vl_gl *gl = vl_gl_create(stage, VL_GL_HEADLESS);
    CHECK(gl != NULL);
    if (!gl)
        return check_result("stage-view");
    vl_renderer *r = vl_renderer_create(stage, NULL);
    vl_scene *scene = vl_scene_create("builtin:grid", NULL);
    CHECK(r && scene);
    uint8_t *img = malloc((size_t)W * H * 4), *moved = malloc((size_t)W * H * 4);
    /* A 40-degree camera 3.5 m from the 6 x 2.5 m wall: the inner frustum
     * (overscan 0.1) lands wholly on it. */
    vl_camera cam = { .pose = { { 0.3, 0.5, 1.25 }, 8, 0, 0 }, .fov_h_deg = 40, .width = 1920,
                      .height = 1080 };
    vl_renderer_frame(r, scene, &cam, 0);

    /* Not empty: from above, the floor grid, the wall's edge and the camera
     * body; from the front, the wall's canvas at the middle of every panel
     * (the camera body and outline may hide a few). */
    vl_stage_view_desc top = desc_of(&cam, VL_STAGE_VIEW_TOP);
    vl_stage_view_desc front = desc_of(&cam, VL_STAGE_VIEW_FRONT);
    vl_renderer_stage_view(r, &top, W, H, img);
    long grid_top = count_rgb(img, VL_STAGE_VIEW_GRID), edge_top = count_rgb(img, VL_STAGE_VIEW_EDGE);
    long body_top = count_rgb(img, VL_STAGE_VIEW_BODY);
    vl_renderer_stage_view(r, &front, W, H, img);
    long grid_front = count_rgb(img, VL_STAGE_VIEW_GRID), bg = count_rgb(img, VL_STAGE_VIEW_BACKGROUND);
    float vp[16];
    vl_stage_view_matrix(stage, &cam, &front.observer, W, H, vp);
    const vl_section *s = &stage->sections[0];
    int panels = 0, on_wall = 0;
    for (int row = 0; row < s->rows; row++)
        for (int col = 0; col < s->cols; col++) {
            double p[3], xy[2];
            vl_section_pixel_to_stage(s, (col + 0.5) * s->panel_px_w, (row + 0.5) * s->panel_px_h, p);
            to_image(vp, p, xy);
            const uint8_t *px = img + ((size_t)(int)xy[1] * W + (int)xy[0]) * 4;
            panels++;
            on_wall += !is_rgb(px, VL_STAGE_VIEW_BACKGROUND) && !is_rgb(px, VL_STAGE_VIEW_GRID);
        }
    printf("top: %ld grid, %ld wall-edge, %ld camera-body pixels; front: %ld grid, %ld background "
           "pixels, wall seen at %d of %d panel centres\n", grid_top, edge_top, body_top, grid_front,
           bg, on_wall, panels);
    CHECK(grid_top > 5000);
    CHECK(edge_top > 500);
    CHECK(body_top > 100);
    CHECK(grid_front > 2000);
    CHECK(bg > W * H / 10 && bg < W * H * 9 / 10);
    CHECK(on_wall >= panels - 4);

    /* The outline at the inner frustum's corners, from the front and from
     * the orbit view (the wall at an angle). */
    double neg;
    printf("camera at (%.1f, %.1f, %.2f) pan %.0f:\n", cam.pose.pos[0], cam.pose.pos[1],
           cam.pose.pos[2], cam.pose.pan_deg);
    check_corners(r, stage, &cam, VL_STAGE_VIEW_ORBIT, img, &neg);
    check_corners(r, stage, &cam, VL_STAGE_VIEW_FRONT, img, &neg);
    check_corners(r, stage, &cam, VL_STAGE_VIEW_CAMERA, img, &neg);

    check_defaults(stage, &cam);
    check_zoom(stage, &cam);
    check_path(r, stage, &cam, img);

    /* A moved camera moves the outline: at its new corners, gone from the
     * old ones. The stage view frames the camera too, so the old corners
     * are taken through the new view's matrix. */
    vl_camera cam2 = cam;
    cam2.pose = (vl_pose){ { -0.5, 0.9, 1.4 }, -12, 4, 0 };
    vl_renderer_frame(r, scene, &cam2, 0);
    printf("camera moved to (%.1f, %.1f, %.2f) pan %.0f tilt %.0f:\n", cam2.pose.pos[0],
           cam2.pose.pos[1], cam2.pose.pos[2], cam2.pose.pan_deg, cam2.pose.tilt_deg);
    check_corners(r, stage, &cam2, VL_STAGE_VIEW_CAMERA, moved, &neg);
    check_follow(stage, &cam, &cam2);
    check_corners(r, stage, &cam2, VL_STAGE_VIEW_FRONT, moved, &neg);
    {
        float vp2[16];
        vl_stage_view_matrix(stage, &cam2, &front.observer, W, H, vp2);
        double scale = 1.0 + stage->frustum.overscan, nearest = INFINITY;
        for (int k = 0; k < 4; k++) {
            double p[3], xy[2];
            find_corner(s, &cam, scale, k & 1 ? 1 : -1, k & 2 ? 1 : -1, p);
            to_image(vp2, p, xy);
            nearest = fmin(nearest, outline_distance(moved, xy));
        }
        long changed = 0;
        for (long i = 0; i < (long)W * H; i++)
            changed += is_rgb(img + i * 4, VL_STAGE_VIEW_OUTLINE) != is_rgb(moved + i * 4, VL_STAGE_VIEW_OUTLINE);
        printf("  the first pose's corners: nearest outline now %.2f px away; %ld outline pixels "
               "changed\n", nearest, changed);
        CHECK(nearest > NEAR_PX);
        CHECK(changed > 1000);
    }

    free(img);
    free(moved);
    vl_scene_destroy(scene);
    vl_renderer_destroy(r);
    vl_gl_destroy(gl);
    vl_stage_free(stage);
    return check_result("stage-view");
}
