/* Stage pose -> Nuke camera transform (see chan.h for the conventions). */
#include "chan.h"

#include <math.h>

#define DEG (180.0 / M_PI)

/* Stage axes -> Nuke axes: (X, Y, Z) -> (X, Z, -Y). */
static void to_nuke(const double v[3], double out[3])
{
    out[0] = v[0];
    out[1] = v[2];
    out[2] = -v[1];
}

void chan_from_pose(const vl_pose *p, double translate[3], double rotate[3])
{
    to_nuke(p->pos, translate);
    vl_basis b = vl_basis_from_ptr(p->pan_deg, p->tilt_deg, p->roll_deg);
    double right[3], up[3], forward[3];
    to_nuke(b.right, right);
    to_nuke(b.up, up);
    to_nuke(b.forward, forward);
    /* m = [right | up | back]. Ry*Rx*Rz has m[1][2] = -sin rx,
     * m[0][2] / m[2][2] = tan ry, m[1][0] / m[1][1] = tan rz. */
    const double m02 = -forward[0], m12 = -forward[1], m22 = -forward[2];
    double rx = asin(fmax(-1.0, fmin(1.0, -m12)));
    double ry, rz;
    if (hypot(m02, m22) > 1e-9) {
        ry = atan2(m02, m22);
        rz = atan2(right[1], up[1]);
    } else {
        /* Looking straight up or down: only ry + rz (or ry - rz) is
         * defined; with rz = 0, m[0][0] = cos ry and m[2][0] = -sin ry. */
        ry = atan2(-right[2], right[0]);
        rz = 0;
    }
    rotate[0] = rx * DEG;
    rotate[1] = ry * DEG;
    rotate[2] = rz * DEG;
}

double chan_vertical_fov(double fov_h_deg, double aspect)
{
    return 2.0 * atan(tan(fov_h_deg / DEG / 2.0) / aspect) * DEG;
}
