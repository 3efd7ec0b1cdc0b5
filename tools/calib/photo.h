/*
 * volym-calib camera: photos of the AprilTag pattern become observations
 * (a marker corner's nominal stage position and where the photo shows it)
 * for calib_solve_correction.
 */
#ifndef VL_CALIB_PHOTO_H
#define VL_CALIB_PHOTO_H

#include "fit.h"
#include "stage/pattern.h"

/* A photo as 8-bit grey, top row first, rows packed. */
typedef struct calib_grey {
    int width, height;
    uint8_t *pixels;
} calib_grey;

/* The first picture of anything libavformat reads (PNG, JPEG, a video
 * file) as grey. False with one message (the file, what went wrong). */
bool calib_grey_load(const char *path, calib_grey *out);
void calib_grey_free(calib_grey *g);

/* The stage's tag36h11 markers found in a photo taken as view `view`:
 * four observations per marker found (its corners), appended to *obs and
 * the marker's index to *marker_of (both grown as needed; *n counts them).
 * Tags whose id is not one of the stage's markers, or that needed bit
 * corrections, are ignored. Returns the number of markers found. */
int calib_observe(const vl_marker *markers, int n_markers, const calib_grey *photo, int view,
                  calib_obs **obs, int **marker_of, int *n);

#endif
