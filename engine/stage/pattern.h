/*
 * pattern: calibration test patterns for the LED wall, drawn on the CPU
 * into an output's canvas image, and the AprilTag markers of the apriltag
 * pattern with their stage positions (what volym-calib's camera fit solves
 * against). Everything here is a pure function of the stage: the same
 * stage gives the same bytes.
 *
 * Colours are sRGB-encoded canvas values (what a renderer's canvas holds
 * before its output's colour transform). Outside every section the canvas
 * is dark grey (VL_PATTERN_OUTSIDE) in all patterns.
 */
#ifndef VL_PATTERN_H
#define VL_PATTERN_H

#include "stage/stage.h"

enum vl_pattern_kind { VL_PATTERN_GRID, VL_PATTERN_CROSSHAIR, VL_PATTERN_BARS, VL_PATTERN_APRILTAG,
                       VL_PATTERN_N };

/* "grid", "crosshair", "bars", "apriltag", in enum order. */
extern const char *const vl_pattern_names[VL_PATTERN_N];

/* The grey of the canvas outside every section, each of R, G, B. */
#define VL_PATTERN_OUTSIDE 40

/* A pattern's name -> kind. False for any other name (*out untouched). */
bool vl_pattern_parse(const char *name, enum vl_pattern_kind *out);

/* Draw pattern `kind` for output `output`'s canvas into rgba (the output's
 * width x height x 4 bytes, top row first, alpha 255 everywhere). Every
 * section of that output is drawn into its canvas rectangle (clipped to the
 * canvas); the rest of the canvas is VL_PATTERN_OUTSIDE grey.
 *   grid       black panels, each outlined by its own 1 px border in white
 *              (so two panels meet in a 2 px line), numbered "col,row" near
 *              its top-left corner in light grey, the section's name in
 *              yellow in the section's middle (stb_easy_font);
 *   crosshair  black panels; at each of a panel's 4 corners an L of white
 *              1 px lines along the panel's own border pixels, each arm
 *              max(2, min(panel_px_w, panel_px_h) / 8) pixels long. Where
 *              four panels meet their Ls make a 2 px cross whose centre is
 *              exactly the corner point (the pixel edges meet there); at a
 *              section's outer corners the L's outer edges are the panel
 *              edges. A surveyor aims at where the lit pixels meet;
 *   bars       SMPTE-like 75 % colour bars per section: seven bars (grey,
 *              yellow, cyan, green, magenta, red, blue; bar k covers section
 *              columns [k w / 7, (k+1) w / 7)) over the top 2/3 of its rows,
 *              the reversed strip (blue, black, magenta, black, cyan, black,
 *              grey) to 3/4, then -I, 100 % white, +Q, black, and a PLUGE
 *              (4 %, 0 %, 12 % grey) at the bottom (see pattern.c);
 *   apriltag   white panels, each with one tag36h11 marker (libapriltag's
 *              image of the code) centred in it: an integer number of
 *              pixels per tag cell, the largest that keeps the 8-cell black
 *              square within 80 % of the panel's smaller side (at least 1).
 *              Ids are given as vl_pattern_markers lists them; a panel
 *              past the family's 587 codes stays white.
 * An output index out of range leaves rgba alone. */
void vl_pattern_draw(const vl_stage *stage, int output, enum vl_pattern_kind kind, uint8_t *rgba);

/* One AprilTag of the apriltag pattern.
 *   id            tag36h11 code: 0, 1, 2 ... over the sections in stage
 *                 order, within a section row-major (row 0 the top row,
 *                 col 0 the left column seen from the front);
 *   section       index into stage->sections; col, row: its panel;
 *   corner_px     the 4 corners of the tag's outer black square in section
 *                 pixel coordinates (continuous: (0,0) the section's
 *                 top-left corner, whole numbers on pixel edges), in the
 *                 order libapriltag's apriltag_detection_t.p reports them
 *                 for a tag filmed upright: bottom-left, bottom-right,
 *                 top-right, top-left (counter-clockwise on the image);
 *                 add the section's canvas_x, canvas_y for canvas pixels;
 *   corner_stage  the same corners on stage (vl_section_pixel_to_stage),
 *                 metres;
 *   centre_stage  the centre of the black square on stage (a panel is flat,
 *                 so it is also where the corners' diagonals cross). */
typedef struct vl_marker {
    int id, section, col, row;
    double corner_px[4][2], corner_stage[4][3], centre_stage[3];
} vl_marker;

/* The markers of the apriltag pattern, one per panel up to the family's
 * 587 codes, in id order: up to max of them into out (out may be NULL when
 * max is 0). Returns how many there are in all, which may exceed max. */
int vl_pattern_markers(const vl_stage *stage, vl_marker *out, int max);

/* The markers as a JSON document (2-space indented):
 *   {"family": "tag36h11", "markers": [{"id": 0, "section": "main",
 *     "panel": [col, row], "corners_px": [[x, y] x4], "corners": [[x, y, z] x4],
 *     "centre": [x, y, z]}, ...]}
 * corners_px as corner_px (section pixels), corners and centre in stage
 * metres, the corners in corner_px's order. The caller frees the string. */
char *vl_pattern_markers_json(const vl_stage *stage);

#endif
