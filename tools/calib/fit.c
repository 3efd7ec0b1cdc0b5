/* volym-calib's math: transforms, the Umeyama/Horn point fit, its robust
 * loop, the volym camera projection and the Levenberg-Marquardt camera solve.
 * See fit.h for the contracts. */
#include "fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const double deg = M_PI / 180.0;

/* ---- small linear algebra ------------------------------------------------ */

static void mat3_mul(const double a[3][3], const double b[3][3], double out[3][3])
{
    double m[3][3];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            m[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
    memcpy(out, m, sizeof(m));
}

static void mat3_vec(const double m[3][3], const double v[3], double out[3])
{
    double r[3];
    for (int i = 0; i < 3; i++)
        r[i] = m[i][0] * v[0] + m[i][1] * v[1] + m[i][2] * v[2];
    memcpy(out, r, sizeof(r));
}

static double dot3(const double a[3], const double b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* The rotation whose columns are b's right, forward, up, and back. */
static void basis_to_mat(const vl_basis *b, double m[3][3])
{
    for (int i = 0; i < 3; i++) {
        m[i][0] = b->right[i];
        m[i][1] = b->forward[i];
        m[i][2] = b->up[i];
    }
}

/* Eigen-decomposition of a symmetric n x n matrix (n <= 4) by cyclic Jacobi
 * rotations, which stay accurate for the nearly repeated eigenvalues that
 * degenerate point sets give. a is destroyed; ev[j] is an eigenvalue and
 * column j of v its unit eigenvector. */
static void jacobi_eigen(int n, double a[4][4], double v[4][4], double ev[4])
{
    memset(v, 0, 16 * sizeof(double));
    for (int i = 0; i < n; i++)
        v[i][i] = 1.0;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0, total = 0;
        for (int p = 0; p < n; p++)
            for (int q = 0; q < n; q++) {
                total += a[p][q] * a[p][q];
                if (p != q)
                    off += a[p][q] * a[p][q];
            }
        if (off <= 1e-36 * total)
            break;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                if (a[p][q] == 0.0)
                    continue;
                double theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                double t = fabs(theta) > 1e150 ? 0.5 / theta
                                               : copysign(1.0, theta) / (fabs(theta) + sqrt(theta * theta + 1.0));
                double c = 1.0 / sqrt(t * t + 1.0), s = t * c;
                for (int k = 0; k < n; k++) {
                    double akp = a[k][p], akq = a[k][q];
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) {
                    double apk = a[p][k], aqk = a[q][k];
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for (int k = 0; k < n; k++) {
                    double vkp = v[k][p], vkq = v[k][q];
                    v[k][p] = c * vkp - s * vkq;
                    v[k][q] = s * vkp + c * vkq;
                }
            }
    }
    for (int i = 0; i < n; i++)
        ev[i] = a[i][i];
}

/* Solve the symmetric positive definite 6x6 system A x = b by Cholesky.
 * False when A is not positive definite. */
static bool solve6(const double A[6][6], const double b[6], double x[6])
{
    double L[6][6] = { { 0 } };
    for (int i = 0; i < 6; i++)
        for (int j = 0; j <= i; j++) {
            double s = A[i][j];
            for (int k = 0; k < j; k++)
                s -= L[i][k] * L[j][k];
            if (i == j) {
                if (!(s > 0.0))
                    return false;
                L[i][i] = sqrt(s);
            } else {
                L[i][j] = s / L[j][j];
            }
        }
    double y[6];
    for (int i = 0; i < 6; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++)
            s -= L[i][k] * y[k];
        y[i] = s / L[i][i];
    }
    for (int i = 5; i >= 0; i--) {
        double s = y[i];
        for (int k = i + 1; k < 6; k++)
            s -= L[k][i] * x[k];
        x[i] = s / L[i][i];
    }
    return true;
}

/* The rotation of rotation vector w (axis times angle in radians). */
static void rotation_from_vector(const double w[3], double R[3][3])
{
    double th = sqrt(dot3(w, w));
    /* sin(th)/th and (1 - cos th)/th^2, the latter as 2 sin^2(th/2)/th^2
     * so it keeps its digits for the tiny steps of the numerical Jacobian. */
    double a = 1.0, b = 0.5;
    if (th > 1e-8) {
        double h = sin(0.5 * th);
        a = sin(th) / th;
        b = 2.0 * h * h / (th * th);
    }
    const double K[3][3] = { { 0, -w[2], w[1] }, { w[2], 0, -w[0] }, { -w[1], w[0], 0 } };
    double K2[3][3];
    mat3_mul(K, K, K2);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            R[i][j] = (i == j) + a * K[i][j] + b * K2[i][j];
}

/* pan, tilt, roll of the rotation M (columns right, forward, up). tilt from
 * atan2 keeps its precision near +-90, where asin would not; pan comes from
 * forward, or at gimbal lock from right (roll taken as 0 there); roll is
 * then what is left of M after pan and tilt, so that vl_basis_from_ptr of
 * the result rebuilds M to rounding even where pan alone is ill-defined. */
static void ptr_from_mat(const double M[3][3], double ptr[3])
{
    double fx = M[0][1], fy = M[1][1], fz = M[2][1];
    double h = hypot(fx, fy);
    double tilt = atan2(fz, h) / deg;
    double pan = h > 1e-12 ? atan2(fx, fy) / deg : atan2(-M[1][0], M[0][0]) / deg;
    vl_basis a = vl_basis_from_ptr(pan, tilt, 0.0);
    double up[3] = { M[0][2], M[1][2], M[2][2] };
    double right[3] = { M[0][0], M[1][0], M[2][0] };
    ptr[0] = pan;
    ptr[1] = tilt;
    ptr[2] = atan2(dot3(a.right, up), dot3(a.right, right)) / deg;
}

/* ---- transforms ----------------------------------------------------------- */

calib_transform calib_transform_identity(void)
{
    return (calib_transform){ .R = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } }, .scale = 1.0 };
}

void calib_transform_apply(const calib_transform *T, const double p[3], double out[3])
{
    double r[3];
    mat3_vec(T->R, p, r);
    for (int i = 0; i < 3; i++)
        out[i] = T->scale * r[i] + T->t[i];
}

calib_transform calib_transform_from(const double t[3], const double ptr_deg[3], double scale)
{
    calib_transform T = { .scale = scale };
    vl_basis b = vl_basis_from_ptr(ptr_deg[0], ptr_deg[1], ptr_deg[2]);
    basis_to_mat(&b, T.R);
    memcpy(T.t, t, sizeof(T.t));
    return T;
}

void calib_transform_to_ptr(const calib_transform *T, double ptr_deg[3])
{
    ptr_from_mat(T->R, ptr_deg);
}

calib_transform calib_transform_compose(const calib_transform *B, const calib_transform *A)
{
    calib_transform C = { .scale = B->scale * A->scale };
    mat3_mul(B->R, A->R, C.R);
    calib_transform_apply(B, A->t, C.t);
    return C;
}

calib_transform calib_transform_inverse(const calib_transform *T)
{
    calib_transform I = { .scale = 1.0 / T->scale };
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            I.R[i][j] = T->R[j][i];
    double rt[3];
    mat3_vec(I.R, T->t, rt);
    for (int i = 0; i < 3; i++)
        I.t[i] = -rt[i] * I.scale;
    return I;
}

double calib_transform_angle_deg(const calib_transform *T)
{
    /* |axis part| = 2 sin(angle), trace - 1 = 2 cos(angle): atan2 of the two
     * stays accurate near 0 and 180 degrees, where acos of the trace would not. */
    const double (*R)[3] = T->R;
    double v[3] = { R[2][1] - R[1][2], R[0][2] - R[2][0], R[1][0] - R[0][1] };
    return atan2(sqrt(dot3(v, v)), R[0][0] + R[1][1] + R[2][2] - 1.0) / deg;
}

void calib_transform_section(const calib_transform *T, vl_section *s)
{
    vl_basis b = vl_basis_from_ptr(s->yaw_deg, s->pitch_deg, s->roll_deg);
    double M[3][3], ptr[3];
    basis_to_mat(&b, M);
    mat3_mul(T->R, M, M);
    ptr_from_mat(M, ptr);
    s->yaw_deg = ptr[0];
    s->pitch_deg = ptr[1];
    s->roll_deg = ptr[2];
    double p[3];
    mat3_vec(T->R, s->pos, p);
    for (int i = 0; i < 3; i++)
        s->pos[i] = p[i] + T->t[i];
}

/* ---- point fits ------------------------------------------------------------ */

/* Whether weighted points with centroid mu spread in at least two directions:
 * the second eigenvalue of their scatter is not negligible next to the first
 * (perpendicular spread above 1e-5 of the spread along the line). */
static bool spread_2d(const double (*p)[3], const double *w, int n, const double mu[3])
{
    double a[4][4] = { { 0 } }, v[4][4], ev[4];
    for (int i = 0; i < n; i++) {
        double wi = w ? w[i] : 1.0, d[3] = { p[i][0] - mu[0], p[i][1] - mu[1], p[i][2] - mu[2] };
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++)
                a[r][c] += wi * d[r] * d[c];
    }
    jacobi_eigen(3, a, v, ev);
    double hi = fmax(ev[0], fmax(ev[1], ev[2])), lo = fmin(ev[0], fmin(ev[1], ev[2]));
    double mid = ev[0] + ev[1] + ev[2] - hi - lo;
    return hi > 0.0 && mid > 1e-10 * hi;
}

bool calib_fit(const double (*src)[3], const double (*dst)[3], const double *weights, int n,
               bool with_scale, calib_transform *out)
{
    double W = 0, ms[3] = { 0 }, md[3] = { 0 };
    int used = 0;
    for (int i = 0; i < n; i++) {
        double w = weights ? weights[i] : 1.0;
        if (!(w >= 0.0) || !isfinite(w))
            return false;
        for (int k = 0; k < 3; k++)
            if (!isfinite(src[i][k]) || !isfinite(dst[i][k]))
                return false;
        if (w == 0.0)
            continue;
        used++;
        W += w;
        for (int k = 0; k < 3; k++) {
            ms[k] += w * src[i][k];
            md[k] += w * dst[i][k];
        }
    }
    if (used < 3)
        return false;
    for (int k = 0; k < 3; k++) {
        ms[k] /= W;
        md[k] /= W;
    }
    if (!spread_2d(src, weights, n, ms) || !spread_2d(dst, weights, n, md))
        return false;

    /* Cross-covariance S[a][b] = sum w src_a dst_b (centred), then Horn's
     * symmetric 4x4 whose top eigenvector is the best rotation's quaternion. */
    double S[3][3] = { { 0 } }, var_src = 0;
    for (int i = 0; i < n; i++) {
        double w = weights ? weights[i] : 1.0;
        double a[3] = { src[i][0] - ms[0], src[i][1] - ms[1], src[i][2] - ms[2] };
        double b[3] = { dst[i][0] - md[0], dst[i][1] - md[1], dst[i][2] - md[2] };
        for (int r = 0; r < 3; r++)
            for (int c = 0; c < 3; c++)
                S[r][c] += w * a[r] * b[c];
        var_src += w * dot3(a, a);
    }
    double N[4][4] = {
        { S[0][0] + S[1][1] + S[2][2], S[1][2] - S[2][1], S[2][0] - S[0][2], S[0][1] - S[1][0] },
        { S[1][2] - S[2][1], S[0][0] - S[1][1] - S[2][2], S[0][1] + S[1][0], S[2][0] + S[0][2] },
        { S[2][0] - S[0][2], S[0][1] + S[1][0], -S[0][0] + S[1][1] - S[2][2], S[1][2] + S[2][1] },
        { S[0][1] - S[1][0], S[2][0] + S[0][2], S[1][2] + S[2][1], -S[0][0] - S[1][1] + S[2][2] },
    };
    double V[4][4], ev[4];
    jacobi_eigen(4, N, V, ev);
    int best = 0;
    for (int j = 1; j < 4; j++)
        if (ev[j] > ev[best])
            best = j;
    double q0 = V[0][best], qx = V[1][best], qy = V[2][best], qz = V[3][best];
    double qn = sqrt(q0 * q0 + qx * qx + qy * qy + qz * qz);
    q0 /= qn, qx /= qn, qy /= qn, qz /= qn;

    calib_transform T = { .R = {
        { q0 * q0 + qx * qx - qy * qy - qz * qz, 2 * (qx * qy - q0 * qz), 2 * (qx * qz + q0 * qy) },
        { 2 * (qx * qy + q0 * qz), q0 * q0 - qx * qx + qy * qy - qz * qz, 2 * (qy * qz - q0 * qx) },
        { 2 * (qx * qz - q0 * qy), 2 * (qy * qz + q0 * qx), q0 * q0 - qx * qx - qy * qy + qz * qz },
    } };
    /* Umeyama's scale: sum w dst.(R src) / sum w |src|^2 (centred). */
    T.scale = 1.0;
    if (with_scale) {
        double num = 0;
        for (int i = 0; i < n; i++) {
            double w = weights ? weights[i] : 1.0;
            double a[3] = { src[i][0] - ms[0], src[i][1] - ms[1], src[i][2] - ms[2] };
            double b[3] = { dst[i][0] - md[0], dst[i][1] - md[1], dst[i][2] - md[2] };
            double ra[3];
            mat3_vec(T.R, a, ra);
            num += w * dot3(b, ra);
        }
        T.scale = num / var_src;
        if (!(T.scale > 0.0))
            return false;
    }
    double rm[3];
    mat3_vec(T.R, ms, rm);
    for (int k = 0; k < 3; k++)
        T.t[k] = md[k] - T.scale * rm[k];
    *out = T;
    return true;
}

/* r[i] = |T src_i - dst_i| for all n points. */
static void residuals(const calib_transform *T, const double (*src)[3], const double (*dst)[3], int n,
                      double *r)
{
    for (int i = 0; i < n; i++) {
        double p[3];
        calib_transform_apply(T, src[i], p);
        r[i] = sqrt((p[0] - dst[i][0]) * (p[0] - dst[i][0]) + (p[1] - dst[i][1]) * (p[1] - dst[i][1]) +
                    (p[2] - dst[i][2]) * (p[2] - dst[i][2]));
    }
}

bool calib_fit_robust(const double (*src)[3], const double (*dst)[3], int n, bool with_scale,
                      double floor_m, bool *inlier, double *residual_m, calib_fit_result *res)
{
    if (n < 3)
        return false;
    double *w = vl_xmalloc((size_t)n * sizeof(double));
    double *r = vl_xmalloc((size_t)n * sizeof(double));
    double *sorted = vl_xmalloc((size_t)n * sizeof(double));
    bool *in = vl_xmalloc((size_t)n * sizeof(bool));
    bool ok = false;
    calib_transform T;
    int max_out = n / 2 < n - 3 ? n / 2 : n - 3;

    for (int i = 0; i < n; i++)
        in[i] = true;
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < n; i++)
            w[i] = in[i] ? 1.0 : 0.0;
        if (!calib_fit(src, dst, w, n, with_scale, &T))
            goto done;
        residuals(&T, src, dst, n, r);
        memcpy(sorted, r, (size_t)n * sizeof(double));
        double mad = vl_percentile(sorted, n, 50.0);   /* sorts `sorted` ascending */
        double limit = fmax(CALIB_ROBUST_K * 1.4826 * mad, floor_m);
        /* No more than max_out points may lie above the limit. A limit at or
         * above the median keeps to that already (and for n = 3 the residual
         * vectors sum to zero, so none exceeds twice the median); this says
         * it here rather than leaning on that argument. */
        limit = fmax(limit, sorted[n - 1 - max_out]);
        bool changed = false;
        for (int i = 0; i < n; i++) {
            bool keep = r[i] <= limit;
            changed |= keep != in[i];
            in[i] = keep;
        }
        if (!changed)
            break;
    }
    /* The last round left the set as it was fitted, or the rounds ran out
     * with a new set: fit that one so T, residuals and inliers agree. */
    for (int i = 0; i < n; i++)
        w[i] = in[i] ? 1.0 : 0.0;
    if (!calib_fit(src, dst, w, n, with_scale, &T))
        goto done;

    calib_fit_result out = { .T = T, .worst = -1 };
    double sum2 = 0;
    residuals(&T, src, dst, n, r);
    for (int i = 0; i < n; i++) {
        if (!in[i])
            continue;
        out.n_inliers++;
        sum2 += r[i] * r[i];
        if (out.worst < 0 || r[i] > out.max_m) {
            out.worst = i;
            out.max_m = r[i];
        }
    }
    out.rms_m = sqrt(sum2 / out.n_inliers);
    if (inlier)
        memcpy(inlier, in, (size_t)n * sizeof(bool));
    if (residual_m)
        memcpy(residual_m, r, (size_t)n * sizeof(double));
    *res = out;
    ok = true;
done:
    free(w);
    free(r);
    free(sorted);
    free(in);
    return ok;
}

/* ---- camera projection and solve ------------------------------------------ */

bool calib_project(const calib_view *v, const double p[3], double uv[2])
{
    vl_basis b = vl_basis_from_ptr(v->pose.pan_deg, v->pose.tilt_deg, v->pose.roll_deg);
    double d[3] = { p[0] - v->pose.pos[0], p[1] - v->pose.pos[1], p[2] - v->pose.pos[2] };
    double x = dot3(d, b.right), y = dot3(d, b.up), z = dot3(d, b.forward);
    if (!(z > 1e-9))
        return false;
    /* As vl_camera_proj_matrix: tan_y = tan_x h / w; GL's y up becomes the
     * image's y down because rendered images are read top row first. */
    double tan_x = tan(v->fov_h_deg * deg / 2.0);
    double tan_y = tan_x * v->height / v->width;
    uv[0] = 0.5 * v->width * (1.0 + x / (z * tan_x));
    uv[1] = 0.5 * v->height * (1.0 - y / (z * tan_y));
    return true;
}

/* The correction of parameters x: rotation vector x[0..2] about pivot, then
 * translation x[3..5]: C(p) = R (p - pivot) + pivot + x[3..5]. */
static calib_transform correction_of(const double x[6], const double pivot[3])
{
    calib_transform C = calib_transform_identity();
    rotation_from_vector(x, C.R);
    double rp[3];
    mat3_vec(C.R, pivot, rp);
    for (int k = 0; k < 3; k++)
        C.t[k] = pivot[k] + x[3 + k] - rp[k];
    return C;
}

/* Reprojection residuals (2 per observation) under parameters x, and
 * their sum of squares in *cost. False when a point is behind its camera. */
static bool reprojection(const calib_view *views, const calib_obs *obs, int n, const double pivot[3],
                         const double x[6], double *r, double *cost)
{
    calib_transform C = correction_of(x, pivot);
    double sum = 0;
    for (int i = 0; i < n; i++) {
        double q[3], uv[2];
        calib_transform_apply(&C, obs[i].p, q);
        if (!calib_project(&views[obs[i].view], q, uv))
            return false;
        r[2 * i] = uv[0] - obs[i].uv[0];
        r[2 * i + 1] = uv[1] - obs[i].uv[1];
        sum += r[2 * i] * r[2 * i] + r[2 * i + 1] * r[2 * i + 1];
    }
    *cost = sum;
    return true;
}

bool calib_solve_correction(const calib_view *views, const calib_obs *obs, int n, const double pivot[3],
                            calib_transform *out, double *rms_px, double *max_px)
{
    if (n < 4)
        return false;
    const int m = 2 * n;
    const double step = 1e-6;   /* rad and m: central differences, error ~ step^2 */
    double *r = vl_xmalloc((size_t)m * sizeof(double));
    double *rt = vl_xmalloc((size_t)m * sizeof(double));
    double *rp = vl_xmalloc((size_t)m * sizeof(double));
    double *J = vl_xmalloc((size_t)m * 6 * sizeof(double));
    double x[6] = { 0 }, cost;
    double lambda = 1e-3;
    bool converged = false;

    if (!reprojection(views, obs, n, pivot, x, r, &cost))
        goto done;
    for (int iter = 0; iter < 100 && !converged; iter++) {
        for (int k = 0; k < 6; k++) {
            double xp[6], xm[6], c;
            memcpy(xp, x, sizeof(xp));
            memcpy(xm, x, sizeof(xm));
            xp[k] += step;
            xm[k] -= step;
            if (!reprojection(views, obs, n, pivot, xp, rp, &c) ||
                !reprojection(views, obs, n, pivot, xm, rt, &c))
                goto done;
            for (int i = 0; i < m; i++)
                J[i * 6 + k] = (rp[i] - rt[i]) / (2.0 * step);
        }
        double A[6][6] = { { 0 } }, g[6] = { 0 }, dmax = 0;
        for (int i = 0; i < m; i++)
            for (int a = 0; a < 6; a++) {
                g[a] += J[i * 6 + a] * r[i];
                for (int b = 0; b < 6; b++)
                    A[a][b] += J[i * 6 + a] * J[i * 6 + b];
            }
        for (int a = 0; a < 6; a++)
            dmax = fmax(dmax, A[a][a]);
        /* Damp until a step lowers the cost; a damping this large that
         * still finds no lower cost means we sit at the minimum. */
        for (;;) {
            double Ad[6][6], rhs[6], dx[6], xt[6], ct;
            memcpy(Ad, A, sizeof(Ad));
            for (int a = 0; a < 6; a++) {
                Ad[a][a] += lambda * fmax(A[a][a], 1e-12 * dmax);
                rhs[a] = -g[a];
            }
            if (lambda > 1e12) {
                converged = true;
                break;
            }
            if (!solve6(Ad, rhs, dx)) {
                lambda *= 10.0;
                continue;
            }
            double dn = 0;
            for (int a = 0; a < 6; a++) {
                xt[a] = x[a] + dx[a];
                dn = fmax(dn, fabs(dx[a]));
            }
            if (reprojection(views, obs, n, pivot, xt, rt, &ct) && ct < cost) {
                converged = dn < 1e-10 || cost - ct <= 1e-12 * cost;
                memcpy(x, xt, sizeof(x));
                memcpy(r, rt, (size_t)m * sizeof(double));
                cost = ct;
                lambda = fmax(lambda / 10.0, 1e-12);
                break;
            }
            if (dn < 1e-12) {
                converged = true;
                break;
            }
            lambda *= 10.0;
        }
    }
    if (converged) {
        double worst = 0;
        for (int i = 0; i < n; i++)
            worst = fmax(worst, hypot(r[2 * i], r[2 * i + 1]));
        *out = correction_of(x, pivot);
        if (rms_px)
            *rms_px = sqrt(cost / n);
        if (max_px)
            *max_px = worst;
    }
done:
    free(r);
    free(rt);
    free(rp);
    free(J);
    return converged;
}
