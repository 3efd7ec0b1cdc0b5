/*
 * stage: the physical LED volume. Sections of LED panels placed in stage
 * space, the outputs (canvases) they are mapped into, the stage frame rate
 * and the frustum settings. Read from JSON (written by volym-calib, edited by
 * people) or built in.
 *
 * Section geometry. A section is a grid of cols x rows panels. Its local
 * frame is the orientation a viewer takes to look straight at its front:
 * forward points into the panels, right along a row, up along a column
 * (see vl_basis_from_ptr; yaw/pitch/roll use the camera's pan/tilt/roll
 * convention). So a wall in front of the stage origin has rotation 0,0,0, a
 * ceiling above the stage has pitch +90, a wall on the right has yaw +90.
 * `position` is the stage position of the top-left corner of the top-left
 * panel seen from the front; pixels run right and down from there.
 *
 * Curved sections are built as real curved walls are: every column of panels
 * is a flat facet, turned by curve_deg about the section's up axis from the
 * previous column. Positive curve_deg turns each next column towards the
 * viewer (a concave wall around the stage); column 0 lies along the
 * section's own right axis.
 *
 * Pixel coordinates are continuous: (0,0) is the top-left corner of the
 * top-left pixel, pixel (i,j) has its centre at (i+0.5, j+0.5).
 */
#ifndef VL_STAGE_H
#define VL_STAGE_H

#include "core/core.h"

#define VL_NAME_MAX 64
#define VL_TEXT_MAX 1024        /* a description, NUL included */

/* How a canvas becomes an output's signal. Canvas content is sRGB-encoded;
 * each output pixel is decoded to linear light, multiplied by
 * brightness x matrix (row-major, applied to the column vector RGB),
 * clamped and encoded with the output's transfer function:
 *   srgb    IEC 61966-2-1, the canvas's own encoding;
 *   rec709  the ITU-R BT.709 OETF: 4.5 L below 0.018, 1.099 L^0.45 - 0.099 above;
 *   pq      SMPTE ST 2084: linear 1.0 is white_nits cd/m2 (BT.2408 reference
 *           white: 203), encoded as the inverse EOTF of L x white_nits / 10000.
 * Linear values are clamped to [0, 1] before encoding (PQ: L x white_nits /
 * 10000), so the signal is in [0, 1]. The identity (brightness 1, identity
 * matrix, srgb) leaves the canvas bit-exact and costs nothing. */
typedef enum vl_transfer { VL_TRANSFER_SRGB, VL_TRANSFER_BT709, VL_TRANSFER_PQ } vl_transfer;

typedef struct vl_output_color {
    double brightness;          /* linear-light gain, 0 .. 10 */
    double matrix[9];           /* row-major, on linear RGB */
    vl_transfer transfer;
    double white_nits;          /* PQ only: cd/m2 of linear 1.0 */
} vl_output_color;

/* Brightness 1, identity matrix, sRGB, white 203 nits. Not a zero struct:
 * start from this, never from {0} (a zero matrix is black). */
void vl_output_color_default(vl_output_color *c);

/* "srgb", "rec709", "pq" (as in the stage JSON) <-> vl_transfer. parse
 * returns false for any other name and leaves *out alone; name returns
 * "?" for a value out of range. */
bool vl_transfer_parse(const char *s, vl_transfer *out);
const char *vl_transfer_name(vl_transfer t);

typedef struct vl_output {
    char name[VL_NAME_MAX];
    int width, height;          /* canvas size in pixels */
    int display;                /* SDL display index for its window */
    bool fullscreen;
    vl_output_color color;      /* canvas -> signal; see vl_output_color */
} vl_output;

typedef struct vl_section {
    char name[VL_NAME_MAX];
    double panel_w_mm, panel_h_mm;
    int panel_px_w, panel_px_h;
    int cols, rows;
    double pos[3];              /* top-left corner, stage metres */
    double yaw_deg, pitch_deg, roll_deg;
    double curve_deg;           /* per column; 0 for a flat section */
    int output;                 /* index into vl_stage.outputs */
    int canvas_x, canvas_y;     /* top-left of its rectangle in that canvas */
} vl_section;

/* Chroma key: the inner frustum (as projected on the wall, overscan
 * included) shows a flat key colour instead of the scene and plate, for a
 * compositor to replace. With markers, a grid of plus signs in
 * marker_color, 2 px thick and marker_size_px long, is drawn in the key
 * region only, centred every marker_spacing_px canvas pixels at
 * (spacing / 2 + k x spacing, spacing / 2 + m x spacing) (integer halves;
 * the 2 px bars cover the pixels either side of that point): fixed wall
 * points a tracker or compositor can solve against. Colours are 0 .. 1 in
 * the canvas's encoding. */
typedef struct vl_chroma {
    bool on;                    /* default false */
    double color[3];            /* default (0, 177, 64) / 255 */
    bool markers;               /* default false */
    int marker_spacing_px;      /* default 120; 4 .. 4096 */
    int marker_size_px;         /* default 12; 2 .. marker_spacing_px */
    double marker_color[3];     /* default (0, 100, 30) / 255 */
} vl_chroma;

/* A light card: a flat rectangle of light on one output's canvas, to light
 * the talent or put a reflection in a shiny prop. It shows color x
 * intensity (each channel clamped to 1, in the canvas's encoding) over
 * everything (over = true), or only where the inner frustum is not (over =
 * false: under the inner frustum, so the camera never films it). Cards
 * are drawn in array order, later ones over earlier ones. */
#define VL_MAX_LIGHT_CARDS 16
typedef struct vl_light_card {
    char name[VL_NAME_MAX];
    int output;                 /* index into vl_stage.outputs */
    double x, y, w, h;          /* canvas pixels, (0,0) the top-left corner */
    double color[3];            /* 0 .. 1; default white */
    double intensity;           /* default 1 */
    bool over;                  /* default true */
    bool on;                    /* default true */
} vl_light_card;

/* Defaults for a card of that name on output 0 with an empty rectangle. */
void vl_light_card_default(vl_light_card *c, const char *name);

typedef struct vl_frustum_settings {
    /* Inner frustum overscan: the inner frustum's tangent half-angles are the
     * camera's times (1 + overscan). 0.1 = 10 % larger each way. */
    double overscan;
    /* Where the outer content is seen from (stage metres). */
    double outer_eye[3];
    /* 0 .. 0.5: the fraction of the inner frustum's half-width and
     * half-height over which the inner content blends into the outer at
     * the frustum edge. With x, y the inner frustum's NDC of a wall point,
     * the inner content's weight is
     *   smoothstep(0, soft_edge, 1 - |x|) * smoothstep(0, soft_edge, 1 - |y|)
     * inside the frustum and 0 outside it: 1 well inside, 0 at the edge.
     * 0 (the default) is a hard edge. */
    double soft_edge;
    /* The outer content stops changing (an animated scene's, a new plate
     * picture's): from the first frame rendered frozen it is not redrawn
     * but kept as it was (with a plate, as that first frame drew it) until
     * unfrozen; a moved outer eye shows then too. The inner frustum, chroma
     * and light cards still follow every frame. Default false. */
    bool freeze_outer;
    vl_chroma chroma;
    vl_light_card cards[VL_MAX_LIGHT_CARDS];
    int n_cards;
} vl_frustum_settings;

/* Overscan 0.1, outer eye (0, 0, 1.7), hard edge, not frozen, chroma off
 * with its default colours and markers, no light cards. */
void vl_frustum_default(vl_frustum_settings *f);

/* ---- trackers and lenses ------------------------------------------------ */

/* A piecewise-linear map from a raw lens encoder value to a physical value
 * (horizontal FOV in degrees, or focus distance in metres). Points are in
 * ascending raw order; outside the first and last point the value is held. */
#define VL_LENS_MAX_POINTS 32
typedef struct vl_lens_table {
    int n;                      /* 0: no table */
    double raw[VL_LENS_MAX_POINTS];
    double value[VL_LENS_MAX_POINTS];
} vl_lens_table;

typedef struct vl_lens {
    char preset[VL_NAME_MAX];   /* the preset it was built from, "" for none */
    vl_lens_table zoom_fov;     /* raw zoom -> horizontal FOV, degrees */
    vl_lens_table focus_m;      /* raw focus -> focus distance, metres */
} vl_lens;

/* How one tracker's samples become stage-space camera poses. The transform
 * is applied in this order to a sample as the tracker sends it:
 *   1. position axes times axis_sign, angles times angle_sign (vendors that
 *      count an axis or an angle the other way);
 *   2. position times scale (a tracker in other units, or a scaled map);
 *   3. rotated by rotation (pan, tilt, roll of the tracker's frame in stage
 *      space) and moved by offset (metres): tracker space -> stage space;
 *   4. the camera's nodal offset (from the tracked point to the lens's
 *      entrance pupil, in the camera's right, forward, up axes, metres) is
 *      added along the camera's own axes. */
typedef struct vl_tracker_config {
    char url[256];              /* freed://, osc://, opentrackio://[host]:port */
    char description[VL_TEXT_MAX];  /* free text for people; "" none */
    int camera;                 /* only this camera id; -1: any */
    double delay_ms;            /* a sample describes receive time - delay */
    double predict_ms;          /* render the pose of frame time + predict */
    double stale_ms;            /* no sample for this long: hold, flag stale */
    double extrapolate_ms;      /* extrapolate at most this far past the newest */
    bool smoothing;             /* One Euro filter on; off by default */
    double min_cutoff_hz, beta, d_cutoff_hz;
    double offset[3];
    double rotation[3];         /* pan, tilt, roll, degrees */
    double scale;
    double axis_sign[3];        /* +1 or -1 each */
    double angle_sign[3];       /* +1 or -1 each: pan, tilt, roll */
    double nodal_offset[3];     /* right, forward, up, metres */
    double fov_deg;             /* used when the source sends no lens data; 0: the default */
    vl_lens lens;               /* zoom_fov.n == 0: FOV from the source or fov_deg */
} vl_tracker_config;

/* Defaults: camera -1, delay 0, predict 0, stale 500 ms, extrapolate 100 ms,
 * smoothing off (min_cutoff 1 Hz, beta 0.5, d_cutoff 1 Hz when turned on),
 * identity transform (scale 1, signs +1), no nodal offset, fov 0, no lens. */
void vl_tracker_config_default(vl_tracker_config *c, const char *url);

/* Lens presets for common FreeD sources' raw ranges:
 *   generic    zoom and focus 0 .. 0x10000
 *   panasonic  0x555 .. 0xFFF
 *   sony       zoom 0 .. 0x7AC0, focus 0x1000 .. 0xF000
 *   mosys      0 .. 0xFFFF
 *   stype, ncam  0 .. 0xFFFFFF (full 24 bits)
 * Builds two-point tables: zoom min -> wide_fov_deg, max -> tele_fov_deg;
 * focus min -> near_m, max -> far_m. Returns false for an unknown name. */
bool vl_lens_preset(const char *name, double wide_fov_deg, double tele_fov_deg,
                    double near_m, double far_m, vl_lens *out);

/* Names of the presets, NULL-terminated, for messages and --help. */
extern const char *const vl_lens_preset_names[];

/* Value of a table at raw (held outside its range). 0 when t->n == 0. */
double vl_lens_eval(const vl_lens_table *t, double raw);

typedef struct vl_stage {
    char name[VL_NAME_MAX];
    char description[VL_TEXT_MAX];  /* free text for people; "" none */
    vl_rational rate;
    vl_frustum_settings frustum;
    vl_output *outputs;
    int n_outputs;
    vl_section *sections;
    int n_sections;
    vl_tracker_config *trackers;  /* "trackers" in JSON; may be empty */
    int n_trackers;
} vl_stage;

/* The built-in stage: a small try-out volume, one gently curved wall of
 * 12 x 5 panels of 500 mm (6 m x 2.5 m, 160 px per panel, 5 degrees per
 * column), symmetric about X = 0, its middle 4 m in front of the origin,
 * standing on the floor; one 1920x1080 output; 25 fps; overscan 0.1.
 * Never NULL; free with vl_stage_free. */
vl_stage *vl_stage_default(void);

/* Load a stage from a JSON file. On any error logs one message naming the
 * file with line:column (syntax) or the JSON path (content), and what was
 * expected, and returns NULL. */
vl_stage *vl_stage_load(const char *path);

/* Parse a stage from JSON text. `source` names it in messages. On error
 * returns NULL and writes the one-line message into err (errlen bytes)
 * without logging. */
vl_stage *vl_stage_parse(const char *json, const char *source, char *err, size_t errlen);

/* Write a stage as JSON (the format vl_stage_load reads). Returns a string
 * the caller frees, or NULL on failure. */
char *vl_stage_to_json(const vl_stage *stage);

/* Deep copy. */
vl_stage *vl_stage_copy(const vl_stage *stage);

/* Accepts NULL and half-built stages. */
void vl_stage_free(vl_stage *stage);

/* Section size in pixels. */
int vl_section_width_px(const vl_section *s);
int vl_section_height_px(const vl_section *s);

/* Stage position (metres) of the point at section pixel coordinates (px, py).
 * Exact on every facet of a curved section. */
void vl_section_pixel_to_stage(const vl_section *s, double px, double py, double out[3]);

/* Orientation of column `col` (0 .. cols-1) of a section: its right, forward
 * (into the panels) and up axes in stage space. */
vl_basis vl_section_column_basis(const vl_section *s, int col);

#endif
