/* volym-calib's math (tools/calib/fit.c): the Horn/Umeyama fit exact on
 * clean points and refusing degenerate ones; the robust survey fit on a
 * noisy curved wall with a planted outlier; transforms and sections moved
 * by them; the camera projection against the renderer's own GL matrices;
 * the Levenberg-Marquardt camera solve on synthetic views. */
#include "core/core.h"
#include "render/render.h"
#include "stage/stage.h"
#include "../tools/calib/fit.h"
#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

/* splitmix64 and Box-Muller: the same noise on every machine. */
static uint64_t rng_state;

static double uniform(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return ((double)(z >> 11) + 0.5) / 9007199254740992.0;
}

static double gauss(double sigma)
{
    return sigma * sqrt(-2.0 * log(uniform())) * cos(2.0 * M_PI * uniform());
}

static double dist3(const double a[3], const double b[3])
{
    return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

/* A rigid motion: turn by angle_deg about axis (any length) through pivot,
 * then move by d. */
static calib_transform motion(const double axis[3], double angle_deg, const double pivot[3], const double d[3])
{
    double n = sqrt(axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]);
    double k[3] = { axis[0] / n, axis[1] / n, axis[2] / n }, a = angle_deg * M_PI / 180.0;
    double c = cos(a), s = sin(a);
    calib_transform T = calib_transform_identity();
    const double K[3][3] = { { 0, -k[2], k[1] }, { k[2], 0, -k[0] }, { -k[1], k[0], 0 } };
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            T.R[i][j] = (i == j) * c + s * K[i][j] + (1 - c) * k[i] * k[j];
    double rp[3];
    T.t[0] = T.t[1] = T.t[2] = 0;
    calib_transform_apply(&T, pivot, rp);
    for (int i = 0; i < 3; i++)
        T.t[i] = pivot[i] + d[i] - rp[i];
    return T;
}

/* Rotation angle between two transforms, degrees. */
static double angle_between(const calib_transform *A, const calib_transform *B)
{
    calib_transform Ai = calib_transform_inverse(A);
    calib_transform D = calib_transform_compose(&Ai, B);
    return calib_transform_angle_deg(&D);
}

static double max_r_diff(const calib_transform *A, const calib_transform *B)
{
    double m = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            m = fmax(m, fabs(A->R[i][j] - B->R[i][j]));
    return m;
}

/* Largest distance between A(p) and B(p) over points p. */
static double max_point_diff(const calib_transform *A, const calib_transform *B, const double (*p)[3], int n)
{
    double m = 0;
    for (int i = 0; i < n; i++) {
        double a[3], b[3];
        calib_transform_apply(A, p[i], a);
        calib_transform_apply(B, p[i], b);
        m = fmax(m, dist3(a, b));
    }
    return m;
}

/* ---- calib_fit -------------------------------------------------------------- */

static void test_fit_exact(void)
{
    enum { N = 12 };
    double src[N][3], dst[N][3];
    rng_state = 1;
    for (int i = 0; i < N; i++) {
        src[i][0] = -3 + 6 * uniform();
        src[i][1] = 1 + 4 * uniform();
        src[i][2] = 3 * uniform();
    }
    const double t[3] = { 0.3, -1.2, 0.5 }, ptr[3] = { 30, -20, 10 };
    for (int scaled = 0; scaled < 2; scaled++) {
        calib_transform truth = calib_transform_from(t, ptr, scaled ? 1.3 : 1.0), fit;
        for (int i = 0; i < N; i++)
            calib_transform_apply(&truth, src[i], dst[i]);
        CHECK(calib_fit(src, dst, NULL, N, scaled, &fit));
        CHECK_NEAR(max_r_diff(&fit, &truth), 0, 1e-9);
        for (int k = 0; k < 3; k++)
            CHECK_NEAR(fit.t[k], truth.t[k], 1e-9);
        CHECK_NEAR(fit.scale, truth.scale, 1e-9);
    }

    /* Tracker alignment: a tracker in millimetres, turned half round. */
    calib_transform truth = calib_transform_from((double[3]){ 2, 7, 0.1 }, (double[3]){ 178, 3, -2 }, 0.001), fit;
    double mm[N][3];
    for (int i = 0; i < N; i++) {
        for (int k = 0; k < 3; k++)
            mm[i][k] = src[i][k] * 1000.0;
        calib_transform_apply(&truth, mm[i], dst[i]);
    }
    CHECK(calib_fit(mm, dst, NULL, N, true, &fit));
    CHECK_NEAR(max_r_diff(&fit, &truth), 0, 1e-9);
    CHECK_NEAR(fit.scale, 0.001, 1e-12);
    CHECK_NEAR(max_point_diff(&fit, &truth, mm, N), 0, 1e-9);

    /* A weight of 0 takes a wild point out entirely. */
    truth = calib_transform_from(t, ptr, 1.0);
    double w[N];
    for (int i = 0; i < N; i++) {
        calib_transform_apply(&truth, src[i], dst[i]);
        w[i] = 0.5 + i;
    }
    dst[4][0] += 3.0;
    w[4] = 0.0;
    CHECK(calib_fit(src, dst, w, N, false, &fit));
    CHECK_NEAR(max_point_diff(&fit, &truth, src, N), 0, 1e-9);

    /* Coplanar points (a flat wall; where an SVD fit needs its reflection
     * fix) and a rotation of exactly 180 degrees. */
    double plane[N][3];
    for (int i = 0; i < N; i++) {
        plane[i][0] = src[i][0];
        plane[i][1] = 4.0;
        plane[i][2] = src[i][2];
    }
    const calib_transform rigid[2] = {
        motion((double[3]){ 0.2, -0.1, 1 }, 7.0, (double[3]){ 0, 4, 1 }, (double[3]){ 0.05, 0.02, -0.01 }),
        motion((double[3]){ 0, 0, 1 }, 180.0, (double[3]){ 0, 0, 0 }, (double[3]){ 1, 2, 3 }),
    };
    for (int c = 0; c < 2; c++) {
        for (int i = 0; i < N; i++)
            calib_transform_apply(&rigid[c], plane[i], dst[i]);
        CHECK(calib_fit(plane, dst, NULL, N, false, &fit));
        CHECK_NEAR(max_r_diff(&fit, &rigid[c]), 0, 1e-9);
        CHECK_NEAR(max_point_diff(&fit, &rigid[c], src, N), 0, 1e-9);
    }

    /* Refusals leave *out alone. */
    calib_transform sentinel = { .scale = 42 };
    double line[5][3];
    for (int i = 0; i < 5; i++) {
        line[i][0] = 0.5 * i;
        line[i][1] = 4.0 - 0.25 * i;
        line[i][2] = 1.0 + 0.1 * i;
        calib_transform_apply(&truth, line[i], dst[i]);
    }
    fit = sentinel;
    CHECK(!calib_fit(line, dst, NULL, 5, false, &fit));
    CHECK(!calib_fit(line, dst, NULL, 5, true, &fit));
    CHECK(!calib_fit(src, dst, NULL, 2, false, &fit));
    w[0] = -1;
    CHECK(!calib_fit(src, dst, w, N, false, &fit));
    for (int i = 0; i < N; i++)
        w[i] = i < 2 ? 1.0 : 0.0;
    CHECK(!calib_fit(src, dst, w, N, false, &fit));
    CHECK(fit.scale == 42);
    bool in[2];
    double res[2];
    calib_fit_result fr;
    CHECK(!calib_fit_robust(src, dst, 2, false, 0.0, in, res, &fr));
}

/* ---- the survey fit ------------------------------------------------------- */

/* 20 survey points on the default curved wall, displaced 10 cm and 2 degrees
 * about the wall's middle, measured with 1 mm noise; point `outlier` moved
 * `outlier_m` more. Returns the true displacement. */
enum { SURVEY_N = 20 };
static calib_transform survey(double nominal[SURVEY_N][3], double measured[SURVEY_N][3], int outlier,
                              double outlier_m)
{
    vl_stage *st = vl_stage_default();
    const vl_section *s = &st->sections[0];
    int w = vl_section_width_px(s), h = vl_section_height_px(s);
    for (int i = 0; i < SURVEY_N; i++)
        vl_section_pixel_to_stage(s, (i % 5 + 0.5) * w / 5.0, (i / 5 + 0.5) * h / 4.0, nominal[i]);
    vl_stage_free(st);
    calib_transform truth = motion((double[3]){ 0.3, 0.2, 1 }, 2.0, (double[3]){ 0, 4, 1.25 },
                                   (double[3]){ 0.06, -0.08, 0.0 });
    rng_state = 2024;
    for (int i = 0; i < SURVEY_N; i++) {
        calib_transform_apply(&truth, nominal[i], measured[i]);
        for (int k = 0; k < 3; k++)
            measured[i][k] += gauss(0.001);
    }
    measured[outlier][0] += 0.6 * outlier_m;
    measured[outlier][2] += 0.8 * outlier_m;
    return truth;
}

static void test_survey(void)
{
    double nominal[SURVEY_N][3], measured[SURVEY_N][3], res[SURVEY_N];
    bool in[SURVEY_N];
    calib_fit_result r;

    calib_transform truth = survey(nominal, measured, 7, 0.05);
    CHECK(calib_fit_robust(nominal, measured, SURVEY_N, false, 0.005, in, res, &r));
    /* Translation is judged at the wall's middle: T.t is the move of the
     * stage origin, 4 m away, where the rotation error weighs in too. */
    const double middle[1][3] = { { 0, 4, 1.25 } };
    double t_err = max_point_diff(&r.T, &truth, middle, 1);
    double wall_err = max_point_diff(&r.T, &truth, nominal, SURVEY_N);
    double a_err = angle_between(&r.T, &truth);
    printf("survey: translation error at the wall's middle %.3f mm (worst on the wall %.3f mm), "
           "rotation error %.4f deg, "
           "rms %.3f mm, max %.3f mm, outlier residual %.1f mm, %d inliers\n",
           t_err * 1e3, wall_err * 1e3, a_err, r.rms_m * 1e3, r.max_m * 1e3, res[7] * 1e3, r.n_inliers);
    CHECK(!in[7]);
    CHECK(r.n_inliers == SURVEY_N - 1);
    CHECK(res[7] > 0.04);
    CHECK_NEAR(t_err, 0, 0.002);
    CHECK_NEAR(wall_err, 0, 0.002);
    CHECK_NEAR(a_err, 0, 0.05);
    CHECK_NEAR(r.T.scale, 1.0, 0.0);
    /* 3D noise of sigma 1 mm a coordinate, 6 of 57 degrees of freedom fitted:
     * rms ~ sqrt(3) * sqrt(51 / 57) mm = 1.6 mm. */
    CHECK(r.rms_m > 0.0011 && r.rms_m < 0.0022);
    /* worst names the largest inlier residual. */
    CHECK(in[r.worst]);
    for (int i = 0; i < SURVEY_N; i++)
        if (in[i] && i != r.worst)
            CHECK(res[i] < res[r.worst]);
    CHECK_NEAR(r.max_m, res[r.worst], 0.0);

    /* Without rejection the outlier drags the fit past the tolerances. */
    calib_transform plain;
    CHECK(calib_fit(nominal, measured, NULL, SURVEY_N, false, &plain));
    printf("survey without rejection: worst on the wall %.3f mm, rotation error %.4f deg\n",
           max_point_diff(&plain, &truth, nominal, SURVEY_N) * 1e3, angle_between(&plain, &truth));

    /* A 5 mm slip stays in (under the 3.5 MAD threshold) and is the worst. */
    survey(nominal, measured, 12, 0.005);
    CHECK(calib_fit_robust(nominal, measured, SURVEY_N, false, 0.005, in, res, &r));
    printf("survey with a 5 mm slip: worst point %d (%.2f mm), %d inliers\n", r.worst, r.max_m * 1e3,
           r.n_inliers);
    CHECK(r.n_inliers == SURVEY_N);
    CHECK(r.worst == 12);

    /* Noise-free: nothing is left out, however tiny the MAD, thanks to the floor. */
    for (int i = 0; i < SURVEY_N; i++)
        calib_transform_apply(&truth, nominal[i], measured[i]);
    CHECK(calib_fit_robust(nominal, measured, SURVEY_N, true, 0.001, NULL, NULL, &r));
    CHECK(r.n_inliers == SURVEY_N);
    CHECK_NEAR(r.rms_m, 0, 1e-9);
    CHECK_NEAR(r.T.scale, 1.0, 1e-9);

    /* Exact points (no noise, no floor: the MAD is rounding error) and 3
     * wild ones: the wild are left out, and never more than half of all. */
    for (int i = 0; i < SURVEY_N; i++) {
        calib_transform_apply(&truth, nominal[i], measured[i]);
        if (i % 5 == 1 && i < 15)
            measured[i][1] += 0.1 + 0.01 * i;
    }
    CHECK(calib_fit_robust(nominal, measured, SURVEY_N, false, 0.0, in, res, &r));
    int wild_in = 0;
    for (int i = 0; i < SURVEY_N; i++)
        wild_in += in[i] && i % 5 == 1 && i < 15;
    printf("survey, 17 exact and 3 wild points, no floor: %d inliers, %d wild among them, rms %.2g m\n",
           r.n_inliers, wild_in, r.rms_m);
    CHECK(r.n_inliers >= SURVEY_N / 2);
    CHECK(wild_in == 0);
}

/* ---- transforms and sections ---------------------------------------------- */

static void test_transforms(void)
{
    const double angles[][3] = {
        { 0, 0, 0 }, { 30, -20, 10 }, { -170, 45, 179 }, { 90, 89.9999, -30 },
        { 12, 90, 0 }, { -40, -90, 0 }, { 5, 90, 25 }, { 180, 0, -90 },
    };
    const double t[3] = { 1, -2, 3 };
    for (size_t c = 0; c < sizeof(angles) / sizeof(angles[0]); c++) {
        calib_transform T = calib_transform_from(t, angles[c], 2.0), U;
        double back[3];
        calib_transform_to_ptr(&T, back);
        U = calib_transform_from(t, back, 2.0);
        CHECK_NEAR(max_r_diff(&T, &U), 0, 1e-12);
        if (fabs(angles[c][1]) < 89) {
            for (int k = 0; k < 3; k++)
                CHECK_NEAR(back[k], angles[c][k], 1e-9);
        } else if (fabs(angles[c][1]) == 90) {
            CHECK_NEAR(back[1], angles[c][1], 1e-9);
            CHECK_NEAR(back[2], 0.0, 1e-9);   /* gimbal lock: the turn goes to pan */
        }
        /* The rotation is vl_basis_from_ptr's: columns right, forward, up. */
        vl_basis b = vl_basis_from_ptr(angles[c][0], angles[c][1], angles[c][2]);
        for (int i = 0; i < 3; i++) {
            CHECK_NEAR(T.R[i][0], b.right[i], 1e-15);
            CHECK_NEAR(T.R[i][1], b.forward[i], 1e-15);
            CHECK_NEAR(T.R[i][2], b.up[i], 1e-15);
        }
    }

    /* apply is s R p + t with R row-major: pan 90 sends +Y (forward) to +X. */
    calib_transform P = calib_transform_from((double[3]){ 0, 0, 1 }, (double[3]){ 90, 0, 0 }, 2.0);
    double q[3];
    calib_transform_apply(&P, (double[3]){ 0, 1, 0 }, q);
    CHECK_NEAR(q[0], 2, 1e-12);
    CHECK_NEAR(q[1], 0, 1e-12);
    CHECK_NEAR(q[2], 1, 1e-12);

    /* compose, inverse, angle. */
    calib_transform A = calib_transform_from((double[3]){ 0.1, 0.2, 0.3 }, (double[3]){ 10, 20, 30 }, 1.5);
    calib_transform B = motion((double[3]){ 1, 1, 0 }, 179.5, (double[3]){ 1, 2, 3 }, (double[3]){ 0, 0, 1 });
    calib_transform BA = calib_transform_compose(&B, &A), Ai = calib_transform_inverse(&A);
    double p[3] = { -1, 4, 2 }, a[3], ba[3], back[3];
    calib_transform_apply(&A, p, a);
    calib_transform_apply(&B, a, a);
    calib_transform_apply(&BA, p, ba);
    CHECK_NEAR(dist3(a, ba), 0, 1e-12);
    calib_transform_apply(&A, p, a);
    calib_transform_apply(&Ai, a, back);
    CHECK_NEAR(dist3(back, p), 0, 1e-12);
    CHECK_NEAR(calib_transform_angle_deg(&B), 179.5, 1e-9);
    const double origin[3] = { 0, 0, 0 };
    calib_transform small = motion((double[3]){ 0.3, -1, 2 }, 2e-6, origin, origin);
    CHECK_NEAR(calib_transform_angle_deg(&small), 2e-6, 1e-12);

    /* Sections: every panel corner and corner pixel centre lands on T(old). */
    vl_stage *st = vl_stage_default();
    vl_section sections[3] = { st->sections[0], st->sections[0], st->sections[0] };
    vl_stage_free(st);
    sections[1].yaw_deg = 0, sections[1].pitch_deg = 90, sections[1].roll_deg = 0;   /* a ceiling */
    sections[1].curve_deg = 0;
    sections[1].pos[0] = -3, sections[1].pos[1] = 1, sections[1].pos[2] = 3;
    sections[2] = sections[1];
    sections[2].curve_deg = -3;                                                           /* a curved ceiling */
    const calib_transform moves[3] = {
        motion((double[3]){ 0.3, 0.2, 1 }, 2.0, (double[3]){ 0, 4, 1.25 }, (double[3]){ 0.06, -0.08, 0 }),
        motion((double[3]){ 0, 0, 1 }, 25.0, (double[3]){ 1, 1, 1 }, (double[3]){ 0.5, 0, 0 }),  /* stays level */
        motion((double[3]){ 1, -2, 0.5 }, 150.0, (double[3]){ 0, 0, 0 }, (double[3]){ 0.1, 0.2, 0.3 }),
    };
    for (int si = 0; si < 3; si++)
        for (int mi = 0; mi < 3; mi++) {
            vl_section s = sections[si];
            calib_transform_section(&moves[mi], &s);
            double worst = 0;
            int w = vl_section_width_px(&s), h = vl_section_height_px(&s);
            for (int cx = 0; cx <= s.cols; cx++)
                for (int ry = 0; ry <= s.rows; ry++) {
                    double px = cx * s.panel_px_w, py = ry * s.panel_px_h, before[3], want[3], after[3];
                    vl_section_pixel_to_stage(&sections[si], px, py, before);
                    calib_transform_apply(&moves[mi], before, want);
                    vl_section_pixel_to_stage(&s, px, py, after);
                    worst = fmax(worst, dist3(want, after));
                }
            const double centres[4][2] = {
                { 0.5, 0.5 }, { w - 0.5, 0.5 }, { 0.5, h - 0.5 }, { w - 0.5, h - 0.5 },
            };
            for (int k = 0; k < 4; k++) {
                double before[3], want[3], after[3];
                vl_section_pixel_to_stage(&sections[si], centres[k][0], centres[k][1], before);
                calib_transform_apply(&moves[mi], before, want);
                vl_section_pixel_to_stage(&s, centres[k][0], centres[k][1], after);
                worst = fmax(worst, dist3(want, after));
            }
            CHECK_NEAR(worst, 0, 1e-9);
        }
    /* The level turn of the ceiling keeps it a ceiling with its turn in yaw. */
    vl_section c = sections[1];
    calib_transform_section(&moves[1], &c);
    CHECK_NEAR(c.pitch_deg, 90, 1e-9);
    CHECK_NEAR(c.roll_deg, 0, 1e-9);
    CHECK_NEAR(c.yaw_deg, -25, 1e-9);
}

/* ---- projection ------------------------------------------------------------ */

/* Where p lands through the renderer's float GL matrices, in image pixels
 * (top row first). */
static bool gl_project(const calib_view *v, const double p[3], double uv[2])
{
    float view[16], proj[16];
    vl_camera cam = { .pose = v->pose, .fov_h_deg = v->fov_h_deg, .width = v->width, .height = v->height };
    vl_camera_view_matrix(&cam.pose, view);
    vl_camera_proj_matrix(&cam, 1.0, proj);
    double e[4], c[4];
    for (int r = 0; r < 4; r++)
        e[r] = view[r] * p[0] + view[4 + r] * p[1] + view[8 + r] * p[2] + view[12 + r];
    for (int r = 0; r < 4; r++)
        c[r] = proj[r] * e[0] + proj[4 + r] * e[1] + proj[8 + r] * e[2] + proj[12 + r] * e[3];
    if (c[3] <= 0)
        return false;
    uv[0] = (c[0] / c[3] + 1.0) * 0.5 * v->width;
    uv[1] = (1.0 - c[1] / c[3]) * 0.5 * v->height;
    return true;
}

static void test_project(void)
{
    /* General poses match to the precision of float matrices; poses whose
     * matrices are exact in float (right angles, dyadic positions, tangent
     * 1 and aspect 2) match to 1e-6 px. */
    const calib_view general[] = {
        { { { 0.3, -0.4, 1.6 }, 12.5, -4.0, 2.0 }, 58.0, 1920, 1080 },
        { { { -2.0, 1.0, 1.2 }, -35.0, 10.0, -7.5 }, 40.0, 1280, 720 },
        { { { 1.0, 0.5, 2.5 }, 170.0, -60.0, 30.0 }, 90.0, 800, 800 },
    };
    const calib_view exact[] = {
        { { { 0.5, -1.25, 1.5 }, 0, 0, 0 }, 90.0, 1024, 512 },
        { { { -0.75, 0.5, 2 }, 90, 0, 0 }, 90.0, 1024, 512 },
        { { { 0.25, 0.5, 1 }, -90, 0, 90 }, 90.0, 1024, 512 },
    };
    rng_state = 7;
    double worst_general = 0, worst_exact = 0;
    int n_general = 0, n_exact = 0;
    for (int set = 0; set < 2; set++) {
        const calib_view *vs = set ? exact : general;
        for (int vi = 0; vi < 3; vi++) {
            const calib_view *v = &vs[vi];
            vl_basis b = vl_basis_from_ptr(v->pose.pan_deg, v->pose.tilt_deg, v->pose.roll_deg);
            for (int i = 0; i < 200; i++) {
                /* Points in the camera's view cone, 0.5 .. 20 m away. */
                double z = 0.5 + 19.5 * uniform(), x = (2 * uniform() - 1) * z, y = (2 * uniform() - 1) * z;
                double p[3], a[2] = { 0, 0 }, g[2] = { 1e9, 1e9 };
                for (int k = 0; k < 3; k++)
                    p[k] = v->pose.pos[k] + x * b.right[k] + y * b.up[k] + z * b.forward[k];
                CHECK(calib_project(v, p, a));
                CHECK(gl_project(v, p, g));
                double e = fmax(fabs(a[0] - g[0]), fabs(a[1] - g[1]));
                if (set) {
                    worst_exact = fmax(worst_exact, e);
                    n_exact++;
                } else {
                    worst_general = fmax(worst_general, e);
                    n_general++;
                }
            }
        }
    }
    printf("project vs GL matrices: %d points on general poses within %.2e px (float matrices), "
           "%d on exact poses within %.2e px\n", n_general, worst_general, n_exact, worst_exact);
    CHECK_NEAR(worst_general, 0, 2e-3);
    CHECK_NEAR(worst_exact, 0, 1e-6);

    /* The conventions themselves: straight ahead is the image centre, +X is
     * right, +Z is up (smaller v), and behind the camera is refused. */
    const calib_view *v = &exact[0];
    double uv[2] = { -1, -1 };
    CHECK(calib_project(v, (double[3]){ 0.5, 3.0, 1.5 }, uv));
    CHECK_NEAR(uv[0], 512, 1e-9);
    CHECK_NEAR(uv[1], 256, 1e-9);
    CHECK(calib_project(v, (double[3]){ 1.5, 3.0, 2.5 }, uv));
    CHECK(uv[0] > 512 && uv[1] < 256);
    /* 45 degrees right is the right edge (FOV 90). */
    CHECK(calib_project(v, (double[3]){ 0.5 + 4.25, 3.0, 1.5 }, uv));
    CHECK_NEAR(uv[0], 1024, 1e-9);
    uv[0] = -1;
    CHECK(!calib_project(v, (double[3]){ 0.5, -2.0, 1.5 }, uv));
    CHECK(!calib_project(v, v->pose.pos, uv));
    CHECK(uv[0] == -1);
}

/* ---- camera solve --------------------------------------------------------- */

/* A camera at pos looking at target. */
static calib_view aim(double x, double y, double z, const double target[3], double roll)
{
    double d[3] = { target[0] - x, target[1] - y, target[2] - z };
    calib_view v = { { { x, y, z }, atan2(d[0], d[1]) * 180 / M_PI,
                       atan2(d[2], hypot(d[0], d[1])) * 180 / M_PI, roll }, 60.0, 1920, 1080 };
    return v;
}

enum { TAGS = 18, CORNERS = TAGS * 4, MAX_OBS = 3 * CORNERS };

/* Marker corners on the default wall (a 6 x 3 grid of 200 px tags) and the
 * observations of them in views: where the truly placed wall (truth applied
 * to the nominal corners) shows, plus noise; corners outside an image are
 * not seen. Returns the number of observations. */
static int observe(const calib_view *views, int n_views, const calib_transform *truth, double noise_px,
                   double nominal[CORNERS][3], calib_obs *obs)
{
    vl_stage *st = vl_stage_default();
    const vl_section *s = &st->sections[0];
    int w = vl_section_width_px(s), h = vl_section_height_px(s);
    for (int t = 0; t < TAGS; t++) {
        double cx = (t % 6 + 0.5) * w / 6.0, cy = (t / 6 + 0.5) * h / 3.0;
        const double off[4][2] = { { -100, -100 }, { 100, -100 }, { 100, 100 }, { -100, 100 } };
        for (int k = 0; k < 4; k++)
            vl_section_pixel_to_stage(s, cx + off[k][0], cy + off[k][1], nominal[t * 4 + k]);
    }
    vl_stage_free(st);
    rng_state = 99;
    int n = 0;
    for (int vi = 0; vi < n_views; vi++)
        for (int i = 0; i < CORNERS; i++) {
            double q[3], uv[2];
            calib_transform_apply(truth, nominal[i], q);
            if (!calib_project(&views[vi], q, uv) || uv[0] < 0 || uv[0] > views[vi].width || uv[1] < 0 ||
                uv[1] > views[vi].height)
                continue;
            obs[n] = (calib_obs){ .view = vi, .p = { nominal[i][0], nominal[i][1], nominal[i][2] },
                                  .uv = { uv[0] + gauss(noise_px), uv[1] + gauss(noise_px) } };
            n++;
        }
    return n;
}

static void test_solve(void)
{
    const double middle[3] = { 0, 4, 1.25 };
    const calib_view views[3] = {
        aim(-1.5, 0.0, 1.5, middle, 1.0),
        aim(0.2, 0.8, 1.7, (double[3]){ 0.3, 4, 1.4 }, -2.0),
        aim(1.8, 0.3, 1.2, middle, 0.0),
    };
    /* The true wall: 2 degrees and 10 cm off its model, about a point that
     * is not the pivot the solve uses. */
    const calib_transform truth = motion((double[3]){ -0.2, 1, 0.4 }, 2.0, (double[3]){ 1, 3, 0 },
                                         (double[3]){ 0.05, 0.07, -0.05 });
    double nominal[CORNERS][3], rms, max;
    calib_obs obs[MAX_OBS];
    calib_transform C;

    for (int nv = 3; nv >= 1; nv -= 2)
        for (int noisy = 0; noisy < 2; noisy++) {
            int n = observe(views, nv, &truth, noisy ? 0.3 : 0.0, nominal, obs);
            double pivot[3] = { 0 };
            for (int i = 0; i < n; i++)
                for (int k = 0; k < 3; k++)
                    pivot[k] += obs[i].p[k] / n;
            rms = max = -1;
            C = calib_transform_identity();
            bool ok = calib_solve_correction(views, obs, n, pivot, &C, &rms, &max);
            double wall_err = max_point_diff(&C, &truth, nominal, CORNERS), a_err = angle_between(&C, &truth);
            printf("solve: %d view(s), %d observations, noise %.1f px: %s, wall error %.3g mm, "
                   "rotation error %.3g deg, rms %.3g px, max %.3g px\n", nv, n, noisy ? 0.3 : 0.0,
                   ok ? "converged" : "FAILED", wall_err * 1e3, a_err, rms, max);
            CHECK(ok);
            CHECK(n >= (nv == 3 ? 120 : 40));
            CHECK_NEAR(C.scale, 1.0, 0.0);
            if (!noisy) {
                CHECK_NEAR(wall_err, 0, 1e-9);
                CHECK_NEAR(rms, 0, 1e-9);
            } else if (nv == 3) {
                CHECK_NEAR(wall_err, 0, 0.001);
                CHECK_NEAR(a_err, 0, 0.02);
                /* 0.3 px a coordinate: rms of the 2D error ~ 0.42 px. */
                CHECK(rms > 0.33 && rms < 0.5);
                CHECK(max >= rms && max < 2.0);
            } else {
                /* One view fixes depth less well, but it still converges on
                 * the noise floor. */
                CHECK_NEAR(wall_err, 0, 0.005);
                CHECK_NEAR(a_err, 0, 0.1);
                CHECK(rms > 0.3 && rms < 0.5);
            }
        }

    /* Fewer than 4 observations, or a point behind its camera: false, *out untouched. */
    int n = observe(views, 1, &truth, 0.0, nominal, obs);
    calib_transform sentinel = { .scale = 42 };
    C = sentinel;
    CHECK(!calib_solve_correction(views, obs, 3, middle, &C, NULL, NULL));
    obs[2].p[1] = -5.0;
    CHECK(!calib_solve_correction(views, obs, n, middle, &C, NULL, NULL));
    CHECK(C.scale == 42);
}

int main(void)
{
    test_fit_exact();
    test_survey();
    test_transforms();
    test_project();
    test_solve();
    return check_result("calib-fit");
}
