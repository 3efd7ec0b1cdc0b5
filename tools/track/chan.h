/*
 * Nuke .chan cameras. Nuke is Y-up: x right, y up, z towards the viewer, and
 * a camera looks along its -z. So a stage point (X, Y, Z) (Z up, Y forward)
 * is (X, Z, -Y) in Nuke, and the camera's rotation is the matrix whose
 * columns are its right, up and back (-forward) axes in Nuke axes.
 *
 * Nuke's default rotation order for cameras is ZXY: about z first, then x,
 * then y, so R = Ry(ry) * Rx(rx) * Rz(rz) for column vectors, each a
 * right-handed rotation in degrees. Stage pan p, tilt t with no roll gives
 * ry = -p, rx = t.
 */
#ifndef VL_TRACK_CHAN_H
#define VL_TRACK_CHAN_H

#include "core/core.h"

/* A stage pose as Nuke translate (metres) and rotate (degrees, ZXY). At
 * tilt +-90 (gimbal lock) rz is 0 and ry carries the whole turn. */
void chan_from_pose(const vl_pose *p, double translate[3], double rotate[3]);

/* Vertical FOV in degrees for a horizontal one and an image aspect
 * (width / height). */
double chan_vertical_fov(double fov_h_deg, double aspect);

#endif
