/*
 * The math of volym-calib: similarity transforms, the survey fit (measured
 * points against the stage model), tracker alignment (the same fit between
 * two frames) and the camera solve (a rigid correction of the wall model that
 * makes it reproject onto what a camera filmed). Pure double-precision C on
 * core and stage; no GL, no image code, no allocation that outlives a call.
 *
 * Conventions are the stage's (README "Conventions"): X right, Y forward,
 * Z up, metres; orientations as pan, tilt, roll in degrees (vl_basis_from_ptr).
 */
#ifndef VL_CALIB_FIT_H
#define VL_CALIB_FIT_H

#include "core/core.h"
#include "stage/stage.h"

/* ---- similarity transforms ------------------------------------------------ */

/* A similarity transform p' = scale * R p + t (R a rotation, row-major). */
typedef struct calib_transform {
    double R[3][3];
    double t[3];
    double scale;
} calib_transform;

/* R = I, t = 0, scale = 1. */
calib_transform calib_transform_identity(void);

/* out = T p. out may alias p. */
void calib_transform_apply(const calib_transform *T, const double p[3], double out[3]);

/* From/to translation + pan,tilt,roll degrees (R = the vl_basis_from_ptr
 * rotation: its columns are right, forward, up) + scale. to_ptr works for any
 * rotation, gimbal lock included: at tilt +-90 it gives roll 0 and puts the
 * whole turn about Z into pan; calib_transform_from of its result rebuilds R
 * to rounding. */
calib_transform calib_transform_from(const double t[3], const double ptr_deg[3], double scale);
void calib_transform_to_ptr(const calib_transform *T, double ptr_deg[3]);

/* A then B: (B o A) p = B(A(p)). */
calib_transform calib_transform_compose(const calib_transform *B, const calib_transform *A);

/* The inverse similarity: inverse(T)(T p) = p. T->scale must not be 0. */
calib_transform calib_transform_inverse(const calib_transform *T);

/* The angle of T's rotation in degrees, 0 .. 180 (how far it turns, about
 * whatever axis): for reports, and to compare two rotations as
 * angle(compose(inverse(A), B)). */
double calib_transform_angle_deg(const calib_transform *T);

/* T applied to a section: its top-left position moved by T, its orientation
 * (yaw,pitch,roll: the rotation whose columns are the section's right,
 * forward, up) turned by R. Scale is ignored (panels do not grow): the
 * position moves by R pos + t. After it every pixel's stage position is
 * T(old position) exactly (scale 1), curved sections included. */
void calib_transform_section(const calib_transform *T, vl_section *s);

/* ---- point-set fits (survey, tracker alignment) ---------------------------- */

/* Least-squares similarity dst ~ s R src + t (Umeyama 1991; with_scale
 * false: s = 1), minimising sum w_i |s R src_i + t - dst_i|^2. The rotation is
 * Horn's quaternion solution (always a proper rotation, also for coplanar
 * points); the scale is Umeyama's. weights may be NULL (all 1); a weight must
 * be >= 0 and a point of weight 0 takes no part. False (out untouched) when
 * the points do not fix a rotation (fewer than 3 of positive weight, or the
 * src or dst points collinear: spread across the line under 1e-5 of the
 * spread along it), on a negative or non-finite input, or (with_scale) when
 * the best scale is not positive. */
bool calib_fit(const double (*src)[3], const double (*dst)[3], const double *weights, int n,
               bool with_scale, calib_transform *out);

/* Robust fit: fit the inliers (at first all points), then compute every
 * point's residual |T src_i - dst_i| and keep as inliers the points whose
 * residual is at most
 *     max(k * 1.4826 * MAD, floor_m),   k = 3.5,
 * MAD the median of the residuals of all n points (their median absolute
 * deviation from zero: a residual's expected value is zero); refit, until
 * the inlier set stops changing (at most 50 rounds). It never leaves out
 * more than half the points nor keeps fewer than 3: past that, only the
 * worst are left out. A point left out comes back when a later fit brings
 * it under the threshold.
 * inlier[i] and residual_m[i] (|T src_i - dst_i|, for every point, inlier or
 * not, under the final T) are outputs of n entries; either may be NULL.
 * False when n < 3 or calib_fit fails on the inliers. */
typedef struct calib_fit_result {
    calib_transform T;
    double rms_m, max_m;        /* over the inliers */
    int worst;                  /* index of the largest inlier residual */
    int n_inliers;
} calib_fit_result;

#define CALIB_ROBUST_K 3.5

bool calib_fit_robust(const double (*src)[3], const double (*dst)[3], int n, bool with_scale,
                      double floor_m, bool *inlier, double *residual_m, calib_fit_result *res);

/* ---- cameras ------------------------------------------------------------- */

/* A camera as volym renders it (vl_camera: pose, horizontal FOV, image size). */
typedef struct calib_view {
    vl_pose pose;
    double fov_h_deg;
    int width, height;
} calib_view;

/* Pixel coordinates (continuous, (0,0) the top-left corner of the top-left
 * pixel, y down) where stage point p shows in the image volym renders for v
 * (vl_renderer_camera_view): the pinhole of vl_camera_view_matrix and
 * vl_camera_proj_matrix, u = w/2 (1 + x / (z tan(fov_h/2))),
 * v = h/2 (1 - y / (z tan(fov_h/2) h/w)), with x, y, z the point along the
 * camera's right, up, forward. The point need not be inside the image.
 * width and height must be positive. False (uv untouched) when the point is
 * not in front of the camera (z <= 1e-9 m). */
bool calib_project(const calib_view *v, const double p[3], double uv[2]);

/* One observation: nominal stage point p (where the model says a marker
 * corner is) seen at pixel uv in view `view` (an index into the views
 * array, which the caller keeps in range). */
typedef struct calib_obs {
    int view;
    double p[3];
    double uv[2];
} calib_obs;

/* Solve the rigid correction C (scale 1) that best explains the
 * observations: minimise the sum over obs of
 * |project(views[o.view], C(o.p)) - o.uv|^2 by Levenberg-Marquardt over 6
 * parameters (a rotation vector about `pivot`, then a translation; pick the
 * pivot near the observed points, e.g. their centroid, for a well-posed
 * problem), starting from identity, with a central-difference Jacobian.
 * rms_px/max_px (either may be NULL): the root mean square and the largest
 * of the observations' final reprojection errors (pixel distances).
 * False (outputs untouched) when it does not converge in 100 iterations,
 * n < 4, or a point falls behind its camera at the start or while the
 * Jacobian is taken. */
bool calib_solve_correction(const calib_view *views, const calib_obs *obs, int n, const double pivot[3],
                            calib_transform *out, double *rms_px, double *max_px);

#endif
