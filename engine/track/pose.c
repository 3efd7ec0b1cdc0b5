/* Poses over time: interpolation between samples (slerp for orientation),
 * bounded extrapolation, the One Euro filter, and the tracker -> stage
 * transform with lens mapping. All pure functions of their inputs, so the
 * renderer's pose for a frame depends only on the samples and the frame time. */
#include "track/track.h"

#include <math.h>

#define DEG (M_PI / 180.0)
/* Extrapolating from two samples very close in time turns their jitter into
 * a wild velocity; the second point is taken at least this far back. */
#define MIN_EXTRAPOLATION_BASE_NS 4000000

/* ---- quaternions (w, x, y, z) of a camera basis ------------------------- */

/* The rotation whose matrix has columns right, forward, up (local X, Y, Z
 * to stage) as a unit quaternion, by Shepperd's method. */
static void quat_from_basis(const vl_basis *b, double q[4])
{
    double m00 = b->right[0], m01 = b->forward[0], m02 = b->up[0];
    double m10 = b->right[1], m11 = b->forward[1], m12 = b->up[1];
    double m20 = b->right[2], m21 = b->forward[2], m22 = b->up[2];
    double tr = m00 + m11 + m22;
    if (tr > 0) {
        double s = 2 * sqrt(tr + 1);
        q[0] = s / 4; q[1] = (m21 - m12) / s; q[2] = (m02 - m20) / s; q[3] = (m10 - m01) / s;
    } else if (m00 > m11 && m00 > m22) {
        double s = 2 * sqrt(1 + m00 - m11 - m22);
        q[0] = (m21 - m12) / s; q[1] = s / 4; q[2] = (m01 + m10) / s; q[3] = (m02 + m20) / s;
    } else if (m11 > m22) {
        double s = 2 * sqrt(1 + m11 - m00 - m22);
        q[0] = (m02 - m20) / s; q[1] = (m01 + m10) / s; q[2] = s / 4; q[3] = (m12 + m21) / s;
    } else {
        double s = 2 * sqrt(1 + m22 - m00 - m11);
        q[0] = (m10 - m01) / s; q[1] = (m02 + m20) / s; q[2] = (m12 + m21) / s; q[3] = s / 4;
    }
}

static vl_basis basis_from_quat(const double q[4])
{
    double w = q[0], x = q[1], y = q[2], z = q[3];
    return (vl_basis){
        .right = { 1 - 2 * (y * y + z * z), 2 * (x * y + w * z), 2 * (x * z - w * y) },
        .forward = { 2 * (x * y - w * z), 1 - 2 * (x * x + z * z), 2 * (y * z + w * x) },
        .up = { 2 * (x * z + w * y), 2 * (y * z - w * x), 1 - 2 * (x * x + y * y) },
    };
}

static void quat_from_pose(const vl_pose *p, double q[4])
{
    vl_basis b = vl_basis_from_ptr(p->pan_deg, p->tilt_deg, p->roll_deg);
    quat_from_basis(&b, q);
}

/* Spherical interpolation along the shorter arc; u outside [0, 1] goes on
 * along the same great circle (extrapolation). */
static void slerp(const double a[4], const double b_in[4], double u, double out[4])
{
    double b[4] = { b_in[0], b_in[1], b_in[2], b_in[3] };
    double dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
    if (dot < 0) {
        dot = -dot;
        for (int i = 0; i < 4; i++)
            b[i] = -b[i];
    }
    /* Plain lerp only where the arc is too short for sin() to resolve:
     * nlerp would bend an extrapolation. */
    double wa = 1 - u, wb = u;
    if (dot < 1 - 1e-12) {
        double theta = acos(dot), s = sin(theta);
        wa = sin((1 - u) * theta) / s;
        wb = sin(u * theta) / s;
    }
    double n = 0;
    for (int i = 0; i < 4; i++) {
        out[i] = wa * a[i] + wb * b[i];
        n += out[i] * out[i];
    }
    n = sqrt(n);
    for (int i = 0; i < 4; i++)
        out[i] /= n;
}

static double lerp(double a, double b, double u)
{
    return a + (b - a) * u;
}

void vl_sample_interpolate(const vl_sample *a, const vl_sample *b, int64_t t_ns, vl_sample *out)
{
    double u = b->t_ns > a->t_ns ? (double)(t_ns - a->t_ns) / (double)(b->t_ns - a->t_ns) : 1.0;
    vl_sample r = *b;
    r.t_ns = t_ns;
    for (int i = 0; i < 3; i++)
        r.pose.pos[i] = lerp(a->pose.pos[i], b->pose.pos[i], u);

    double qa[4], qb[4], q[4];
    quat_from_pose(&a->pose, qa);
    quat_from_pose(&b->pose, qb);
    slerp(qa, qb, u, q);
    vl_basis basis = basis_from_quat(q);
    vl_basis_to_ptr(&basis, &r.pose.pan_deg, &r.pose.tilt_deg, &r.pose.roll_deg);

    /* Lens values only blend when both ends know them. */
    if (a->fov_h_deg > 0 && b->fov_h_deg > 0)
        r.fov_h_deg = fmax(lerp(a->fov_h_deg, b->fov_h_deg, u), 0.1);
    if (a->focus_m > 0 && b->focus_m > 0)
        r.focus_m = fmax(lerp(a->focus_m, b->focus_m, u), 0.0);
    if (a->has_encoders && b->has_encoders) {
        /* 32 bits: OpenTrackIO's rawEncoders go to 2^32 - 1 (FreeD's to 2^24). */
        r.zoom = (uint32_t)fmin(fmax(round(lerp(a->zoom, b->zoom, u)), 0), UINT32_MAX);
        r.focus = (uint32_t)fmin(fmax(round(lerp(a->focus, b->focus, u)), 0), UINT32_MAX);
    }
    *out = r;
}

bool vl_samples_at(const vl_sample *s, int n, int64_t t_ns, int64_t max_extrapolate_ns,
                   vl_sample *out)
{
    if (n <= 0)
        return false;
    if (t_ns <= s[0].t_ns || n == 1) {
        *out = t_ns <= s[0].t_ns ? s[0] : s[n - 1];
        out->t_ns = t_ns;
        return true;
    }
    if (t_ns >= s[n - 1].t_ns) {
        const vl_sample *last = &s[n - 1];
        int base = n - 2;
        while (base > 0 && last->t_ns - s[base].t_ns < MIN_EXTRAPOLATION_BASE_NS)
            base--;
        int64_t t = t_ns - last->t_ns > max_extrapolate_ns ? last->t_ns + max_extrapolate_ns : t_ns;
        vl_sample_interpolate(&s[base], last, t, out);
        out->t_ns = t_ns;
        return true;
    }
    /* The first sample later than t: s[lo - 1].t_ns <= t < s[lo].t_ns. */
    int lo = 1, hi = n - 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (s[mid].t_ns > t_ns)
            hi = mid;
        else
            lo = mid + 1;
    }
    vl_sample_interpolate(&s[lo - 1], &s[lo], t_ns, out);
    return true;
}

/* ---- One Euro filter ----------------------------------------------------- */

void vl_one_euro_init(vl_one_euro *f, double min_cutoff_hz, double beta, double d_cutoff_hz)
{
    *f = (vl_one_euro){ .min_cutoff_hz = min_cutoff_hz, .beta = beta, .d_cutoff_hz = d_cutoff_hz };
}

static double smoothing_factor(double cutoff_hz, double dt)
{
    double tau = 1.0 / (2 * M_PI * cutoff_hz);
    return 1.0 / (1.0 + tau / dt);
}

/* The angle equal to a modulo 360 that lies nearest to ref, so filtering
 * across +-180 does not swing the long way round. */
static double unwrap(double a, double ref)
{
    return a + 360.0 * round((ref - a) / 360.0);
}

static double wrap180(double a)
{
    a = fmod(a, 360.0);
    return a > 180 ? a - 360 : a <= -180 ? a + 360 : a;
}

static bool all_finite(const double *v, int n)
{
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i]))
            return false;
    return true;
}

bool vl_sample_in_range(const vl_sample *s)
{
    const vl_pose *p = &s->pose;
    const double angles[3] = { p->pan_deg, p->tilt_deg, p->roll_deg };
    const double lens[6] = { s->focus_m, s->sensor_w_mm, s->sensor_h_mm,
                             s->projection_offset_mm[0], s->projection_offset_mm[1], s->overscan };
    for (int i = 0; i < 3; i++)
        if (!(fabs(p->pos[i]) <= VL_POSE_MAX_M) || !(fabs(angles[i]) <= VL_ANGLE_MAX_DEG))
            return false;
    return all_finite(lens, 6) && s->fov_h_deg >= 0 && s->fov_h_deg < VL_FOV_MAX_DEG &&
           fabs(s->entrance_pupil_m) <= VL_PUPIL_MAX_M && s->overscan >= 0 &&
           s->overscan < VL_OVERSCAN_MAX;
}

void vl_one_euro_apply(vl_one_euro *f, vl_sample *s)
{
    double *v[6] = { &s->pose.pos[0], &s->pose.pos[1], &s->pose.pos[2],
                     &s->pose.pan_deg, &s->pose.tilt_deg, &s->pose.roll_deg };
    const double in[6] = { *v[0], *v[1], *v[2], *v[3], *v[4], *v[5] };
    if (!all_finite(in, 6)) {
        f->primed = false;
        return;
    }
    if (!f->primed) {
        for (int i = 0; i < 6; i++) {
            f->x[i] = *v[i];
            f->dx[i] = 0;
        }
        f->primed = true;
        f->last_t_ns = s->t_ns;
        return;
    }
    /* Out-of-order or duplicate stamps still need a positive step. */
    double dt = s->t_ns > f->last_t_ns ? (s->t_ns - f->last_t_ns) / 1e9 : 1e-3;
    f->last_t_ns = s->t_ns > f->last_t_ns ? s->t_ns : f->last_t_ns;
    for (int i = 0; i < 6; i++) {
        double x = i >= 3 ? unwrap(*v[i], f->x[i]) : *v[i];
        double a_d = smoothing_factor(f->d_cutoff_hz, dt);
        f->dx[i] = lerp(f->dx[i], (x - f->x[i]) / dt, a_d);
        double cutoff = f->min_cutoff_hz + f->beta * fabs(f->dx[i]);
        f->x[i] = lerp(f->x[i], x, smoothing_factor(cutoff, dt));
        *v[i] = f->x[i];
    }
    if (!all_finite(f->x, 6) || !all_finite(f->dx, 6)) {
        /* Finite inputs can still overflow the state (a step of 1e308 over
         * 1 ms): start again from this sample. */
        f->primed = false;
        for (int i = 0; i < 6; i++)
            *v[i] = in[i];
        vl_one_euro_apply(f, s);
        return;
    }
    s->pose.pan_deg = wrap180(s->pose.pan_deg);
    s->pose.roll_deg = wrap180(s->pose.roll_deg);
    /* Keep the state near the output so the unwrap reference stays small. */
    f->x[3] = s->pose.pan_deg;
    f->x[5] = s->pose.roll_deg;
}

/* ---- tracker space -> stage space ---------------------------------------- */

void vl_tracker_apply(const vl_tracker_config *cfg, vl_sample *s)
{
    double p[3];
    for (int i = 0; i < 3; i++)
        p[i] = s->pose.pos[i] * cfg->axis_sign[i] * cfg->scale;
    s->pose.pan_deg *= cfg->angle_sign[0];
    s->pose.tilt_deg *= cfg->angle_sign[1];
    s->pose.roll_deg *= cfg->angle_sign[2];
    vl_basis cam = vl_basis_from_ptr(s->pose.pan_deg, s->pose.tilt_deg, s->pose.roll_deg);

    /* The tracker's frame as seen from the stage rotates both the position
     * and every axis of the camera. Without a rotation the angles are kept
     * as sent: a round trip through the basis would cost their last bits. */
    vl_basis frame = vl_basis_from_ptr(cfg->rotation[0], cfg->rotation[1], cfg->rotation[2]);
    vl_basis_apply(&frame, p, s->pose.pos);
    if (cfg->rotation[0] || cfg->rotation[1] || cfg->rotation[2]) {
        vl_basis staged;
        vl_basis_apply(&frame, cam.right, staged.right);
        vl_basis_apply(&frame, cam.forward, staged.forward);
        vl_basis_apply(&frame, cam.up, staged.up);
        cam = staged;
        vl_basis_to_ptr(&cam, &s->pose.pan_deg, &s->pose.tilt_deg, &s->pose.roll_deg);
    }

    double nodal[3];
    vl_basis_apply(&cam, cfg->nodal_offset, nodal);
    for (int i = 0; i < 3; i++)
        s->pose.pos[i] += cfg->offset[i] + nodal[i];

    if (s->has_encoders && cfg->lens.zoom_fov.n > 0)
        s->fov_h_deg = vl_lens_eval(&cfg->lens.zoom_fov, s->zoom);
    if (s->has_encoders && cfg->lens.focus_m.n > 0)
        s->focus_m = vl_lens_eval(&cfg->lens.focus_m, s->focus);
    if (s->fov_h_deg <= 0 && cfg->fov_deg > 0)
        s->fov_h_deg = cfg->fov_deg;
}
