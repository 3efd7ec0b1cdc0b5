/*
 * render: OpenGL 3.3 core rendering of the LED volume.
 *
 *   vl_gl        the GL context and the presentation targets: one SDL window
 *                per stage output, or headless (SDL offscreen driver, EGL).
 *   vl_scene     something to look at: builtin:grid, builtin:fell.
 *   vl_renderer  the two passes of a frame. Pass 1 (inner) renders the scene
 *                from the tracked camera with FOV + overscan; the outer cube
 *                renders it from the stage's outer viewpoint. Pass 2 (canvas)
 *                draws every section into its output's pixel rectangle; each
 *                wall pixel knows its stage position W and shows the inner
 *                frustum where W projects into it, the outer content elsewhere.
 *                The stage's frustum settings add a soft edge between the
 *                two, a chroma key in the inner frustum, light cards over or
 *                under it and a frozen outer; each output's colour transform
 *                turns its canvas into its signal. What is off costs nothing.
 *
 * One thread owns the GL context: every function here must be called from
 * the thread that called vl_gl_create, after it.
 */
#ifndef VL_RENDER_H
#define VL_RENDER_H

#include "core/core.h"
#include "stage/stage.h"

/* A physical camera: where it is, what it sees. */
typedef struct vl_camera {
    vl_pose pose;               /* the projection centre: for a real lens its
                                   entrance pupil (the nodal point) */
    double fov_h_deg;           /* horizontal field of view */
    int width, height;          /* its image size; gives the aspect */
    double shift[2];            /* where the optical axis meets the image, in
                                   the image's NDC (x right, y up, -1..1); 0,0
                                   = centred. A lens's projection offset: the
                                   frustum is shifted, not turned */
    double overscan_min;        /* the inner frustum's overscan is at least
                                   this (a lens's distortion overscan factor
                                   - 1): the stage's overscan when larger */
} vl_camera;

/* Column-major 4x4 matrices for the camera, in GL clip convention. `scale`
 * multiplies the tangents of the half-angles about the image centre (1 +
 * overscan for the inner frustum, 1 for the camera itself), so the shifted
 * image stays centred in the wider frustum. */
void vl_camera_view_matrix(const vl_pose *pose, float out[16]);
void vl_camera_proj_matrix(const vl_camera *cam, double scale, float out[16]);

/* The inner frustum's overscan for `cam` on a stage whose frustum settings
 * ask for `stage_overscan`: the larger of the two. */
double vl_camera_overscan(const vl_camera *cam, double stage_overscan);

/* ---- GL context and presentation ---------------------------------------- */

typedef struct vl_gl vl_gl;

/* Which windows vl_gl_create opens: */
enum vl_gl_windows {
    VL_GL_HEADLESS,             /* none: the SDL offscreen driver (no display needed) */
    VL_GL_OUTPUTS,              /* one per stage output, on its display */
    VL_GL_PREVIEW,              /* one per output, and the preview window */
    VL_GL_SINGLE,               /* the single-screen window only (no LED outputs) */
};

/* Create the GL context and the windows asked for (outputs fullscreen
 * when their stage entry says so). Returns NULL with one logged message
 * when no GL 3.3 context can be had. */
vl_gl *vl_gl_create(const vl_stage *stage, enum vl_gl_windows windows);
void vl_gl_destroy(vl_gl *gl);

/* Show each output's canvas texture in its window and swap them (one
 * vblank wait in all, at the last). No-op headless. */
void vl_gl_present(vl_gl *gl, const unsigned *canvas_textures, int n);

/* The preview (or single-screen) window, after vl_gl_present: made current
 * with its own framebuffer (0) bound, for vl_renderer_draw_window, its
 * drawable size in *width, *height; vl_gl_end_window shows it (waiting for
 * the vblank only as the single screen). false when there is no such
 * window. (Its picture must be drawn and swapped in one go: with Mesa's
 * GLX, making another window current in between loses it.) */
bool vl_gl_begin_window(vl_gl *gl, int *width, int *height);
void vl_gl_end_window(vl_gl *gl);

/* What the user did in the windows since the last poll. */
typedef struct vl_input {
    bool quit;                  /* a window closed, Escape or q */
    char keys[32];              /* other keys typed, as characters ('h', 't', '+') */
    int n_keys;
    int drag_x, drag_y;         /* pixels the mouse moved with its left button held */
    int wheel;                  /* wheel clicks, positive away from the user */
} vl_input;

/* Poll window events into *in (zeroed first). */
void vl_gl_poll(vl_gl *gl, vl_input *in);

/* ---- scenes ------------------------------------------------------------- */

typedef struct vl_scene vl_scene;

/* Where a model file stands on stage: scaled, then turned by pan, tilt,
 * roll (degrees, the camera convention), then moved to pos (metres). */
typedef struct vl_placement {
    double pos[3];
    double pan_deg, tilt_deg, roll_deg;
    double scale;               /* 0 is taken as 1 */
} vl_placement;

/* "builtin:grid", "builtin:fell", or a model file assimp reads (glTF 2.0
 * .gltf/.glb, OBJ): Y-up metres as glTF defines them, turned to stage axes
 * (the model's front, +Z, faces the stage origin) and placed by `place`
 * (NULL: at the origin, scale 1). Unknown builtins and files that do not
 * load: NULL and one message. */
vl_scene *vl_scene_create(const char *name, const vl_placement *place);
void vl_scene_destroy(vl_scene *s);

/* True when the scene changes with time (the outer cube must be redrawn). */
bool vl_scene_animated(const vl_scene *s);

/* Draw the scene into the bound framebuffer (depth test on) as seen through
 * view/proj from eye (stage metres), at scene time t_sec. With sky false
 * only the geometry is drawn (alpha 1) and the background is left as the
 * caller cleared it: a plate shows there. */
void vl_scene_draw(vl_scene *s, const float view[16], const float proj[16],
                   const float eye[3], double t_sec, bool sky);

/* ---- plates --------------------------------------------------------------- */

/* How a video plate is shown (see README "Plates and scenes"):
 *   equirect  a 360 picture at infinity: each wall pixel shows the direction
 *             from the eye (camera for the inner frustum, the outer
 *             viewpoint elsewhere) through it, worked out per pixel;
 *   flat      a screen standing in the scene (a driving plate): its centre
 *             `distance_m` out along the turned forward axis, `centre_z_m`
 *             up, `width_m` wide, height from the picture's aspect;
 *   wall      the picture stretched over each output canvas, untracked, as
 *             a media server plays it. */
enum vl_plate_mode { VL_PLATE_EQUIRECT, VL_PLATE_FLAT, VL_PLATE_WALL };

typedef struct vl_plate_view {
    enum vl_plate_mode mode;
    double yaw_deg, pitch_deg, roll_deg;    /* turn the sphere or the screen */
    double distance_m, width_m, centre_z_m; /* flat only */
} vl_plate_view;

/* Where the equirect picture is sampled, uv (0,0) = its top-left, for a
 * stage direction: the centre of the picture is straight ahead (+Y) once
 * turned by yaw/pitch/roll, u grows to the right, v downwards. The same
 * sum as shaders/backdrop.glsl, for tests. */
void vl_plate_equirect_uv(const vl_plate_view *v, const double dir[3], double uv[2]);

/* ---- the renderer ------------------------------------------------------- */

typedef struct vl_renderer vl_renderer;

typedef struct vl_renderer_desc {
    int inner_width, inner_height;  /* force the inner frustum size; 0 = about one texel per
                                     * wall pixel, at most camera size x (1 + overscan) */
    int outer_size;                 /* outer cube face size; 0 = 512, 256 for animated scenes */
} vl_renderer_desc;

/* The stage is copied. NULL with one message on GL failure. */
vl_renderer *vl_renderer_create(const vl_stage *stage, const vl_renderer_desc *desc);
void vl_renderer_destroy(vl_renderer *r);

/* Render every output canvas for a camera at scene time t_sec. scene may
 * be NULL when a plate is set (the plate alone). */
void vl_renderer_frame(vl_renderer *r, vl_scene *scene, const vl_camera *cam, double t_sec);

/* Show a plate behind the scene (NULL: none). Until a frame arrives the
 * plate shows a fallback pattern. */
void vl_renderer_set_plate(vl_renderer *r, const vl_plate_view *view);

struct AVFrame;

/* A new decoded picture for the plate, uploaded without CPU conversion.
 * False (one message) when it cannot be shown: the last picture stays. */
bool vl_renderer_plate_frame(vl_renderer *r, const struct AVFrame *f);

/* The canvas texture of output i (RGBA8, row 0 = top of the canvas): its
 * signal, after the output's colour transform. The same texture for the
 * renderer's life, whatever the settings. */
unsigned vl_renderer_canvas_texture(const vl_renderer *r, int output);

/* Read output i's canvas (its signal, as vl_renderer_canvas_texture) into
 * rgba (width*height*4 bytes, top row first). */
void vl_renderer_read_canvas(vl_renderer *r, int output, uint8_t *rgba);

/* From now on output `output`'s canvas shows the image rgba (the output's
 * width x height x 4 bytes, top row first, sRGB-encoded like any canvas
 * content) instead of what vl_renderer_frame renders there: a test
 * pattern. It is uploaded once (rgba may be freed on return) and shown at
 * once; it goes through the output's colour transform into the signal like
 * rendered content (bit-exact with the identity), and the camera view films
 * it like any canvas. Frames still render the other outputs; when every
 * output shows an image, a frame only copies the images (no scene, no
 * plate drawn). NULL: the output shows
 * what frames render again, from the next vl_renderer_frame. An output
 * index out of range is ignored. */
void vl_renderer_show_image(vl_renderer *r, int output, const uint8_t *rgba);

/* What `cam` films of the wall: every section drawn as an ideal emissive
 * display of its canvas as rendered by the last vl_renderer_frame (before
 * the output's colour transform, which calibrates the display), black
 * (alpha 0) where no wall is seen, alpha 255 where it is. rgba gets
 * cam->width x cam->height x 4 bytes, top row first. */
void vl_renderer_camera_view(vl_renderer *r, const vl_camera *cam, uint8_t *rgba);

/* The scene (and the plate behind it) filmed straight from `cam`, no wall:
 * the reference the camera view must match. Same layout as
 * vl_renderer_camera_view (alpha 255). */
void vl_renderer_reference_view(vl_renderer *r, vl_scene *scene, const vl_camera *cam,
                                double t_sec, uint8_t *rgba);

/* ---- the stage view ------------------------------------------------------ */

/* Where the stage view looks from (--stage-view, the preview's presets): */
enum vl_stage_view_kind {
    VL_STAGE_VIEW_TOP,          /* orthographic from above, looking down -Z, +Y up the image */
    VL_STAGE_VIEW_FRONT,        /* perspective from behind the camera area, looking +Y */
    VL_STAGE_VIEW_ORBIT,        /* perspective from yaw/pitch around the stage's middle */
    VL_STAGE_VIEW_CAMERA,       /* over the tracked camera's shoulder, following it, with a
                                 * wider field of view than its own: the inner frustum's
                                 * border and the wall around it show (the camera's body
                                 * is not drawn: it would hide the frame's bottom) */
};

/* The observer: a kind, and for ORBIT its direction. */
typedef struct vl_stage_observer {
    enum vl_stage_view_kind kind;
    double yaw_deg;             /* orbit: the observer's bearing around the stage's middle,
                                 * 0 behind the camera area (-Y), 90 on the +X side */
    double pitch_deg;           /* orbit: height above the floor's plane, -89 .. 89 */
    double zoom;                /* every kind: 1 frames the whole stage, 2 is twice as
                                 * close (or big); 0 is taken as 1 */
} vl_stage_observer;

/* The default observer of a kind; ORBIT: from above and behind at 3/4, on
 * the -X side (yaw -28.8, pitch 33.3). */
vl_stage_observer vl_stage_observer_default(enum vl_stage_view_kind kind);

/* The stage view's flat colours (0xRRGGBB, sRGB): tests look for them. */
#define VL_STAGE_VIEW_BACKGROUND 0x121218
#define VL_STAGE_VIEW_GRID 0x4a4a58          /* floor grid, 1 m lines on Z = 0 */
#define VL_STAGE_VIEW_EDGE 0xc8c8c8          /* the sections' outer edges */
#define VL_STAGE_VIEW_BODY 0xff9000          /* the camera body (its lens face 0xd02020) */
#define VL_STAGE_VIEW_RAY 0xffff00           /* the camera frustum's four corner rays */
#define VL_STAGE_VIEW_OUTLINE 0xff00ff       /* the inner frustum's border on the wall */
#define VL_STAGE_VIEW_PATH 0x40c0ff          /* the camera's recent path (newest end) */

/* The stage view's view-projection (column-major, GL clip convention) for
 * a width x height image: the observer, framed from the extents of the
 * stage's sections, the floor under them and cam's position (CAMERA: from
 * cam's pose). The same matrix vl_renderer_stage_view draws with, for
 * tests. */
void vl_stage_view_matrix(const vl_stage *stage, const vl_camera *cam,
                          const vl_stage_observer *obs, int width, int height, float vp[16]);

/* What the stage view shows besides the stage: */
typedef struct vl_stage_view_desc {
    const vl_camera *cam;       /* the tracked camera */
    vl_stage_observer observer;
    const double (*path)[3];    /* the camera's recent positions, oldest first (NULL: none) */
    int n_path;
} vl_stage_view_desc;

/* The LED volume seen from outside (see vl_stage_view_matrix): the floor
 * grid; every section as an ideal display of its canvas as the last
 * vl_renderer_frame rendered it (as vl_renderer_camera_view shows it),
 * edged; the tracked camera as a small box (30 x 20 x 16 cm) with its
 * frustum's four corner rays, each to where it first meets a section or
 * 10 m out; the camera's recent path as a line, fading towards its oldest
 * end; and the inner frustum's border (the camera's frustum widened by the
 * stage's overscan: the part of the wall rendered for the camera) drawn on
 * the wall, about 3 observer pixels wide. rgba gets width x height x 4
 * bytes, top row first, alpha 255. */
void vl_renderer_stage_view(vl_renderer *r, const vl_stage_view_desc *d, int width, int height,
                            uint8_t *rgba);

/* ---- the preview and single-screen windows -------------------------------- */

/* A rectangle in a window, pixels from its top-left corner. */
typedef struct vl_rect {
    int x, y, w, h;
} vl_rect;

enum vl_window_layout {
    VL_LAYOUT_PREVIEW,          /* the stage view fills the window; the camera view, as a
                                 * picture in picture, at its bottom right, a quarter of
                                 * the window's width wide (its aspect kept) */
    VL_LAYOUT_SINGLE,           /* for one monitor: output 0's canvas above the camera
                                 * view in the left half (each fitted into a quarter of
                                 * the window, aspect kept, centred), the stage view
                                 * filling the right half */
};

/* The windows' flat colours (0xRRGGBB, sRGB), besides the stage view's:
 * tests look for them. */
#define VL_WINDOW_TEXT 0xe0e0e0             /* overlay and help text ... */
#define VL_WINDOW_TEXT_BOX 0x000000         /* ... on an opaque box of this */
#define VL_WINDOW_BORDER 0x808080           /* around the picture in picture */

/* Where the pictures of a width x height window go; no GL. A fitted rect
 * is the largest of its aspect in its box, in whole pixels, centred (the
 * odd pixel to the right or below). SINGLE: the canvas fitted into (0, 0,
 * width/2, height/2), the camera into (0, height/2, width/2, height -
 * height/2), the stage view exactly (width/2, 0, width - width/2, height).
 * PREVIEW: the stage view is the whole window; the camera is width/4 wide
 * (narrower only where the window is too short for that), its right and
 * bottom edges 2 + width/128 pixels in from the window's (room for its
 * 2-pixel border); the canvas's rect is all 0 (it is not shown). A window
 * with no pixels gets rects of all 0. */
void vl_window_layout(enum vl_window_layout layout, int width, int height, double canvas_aspect,
                      double camera_aspect, vl_rect *canvas, vl_rect *camera, vl_rect *stage);

typedef struct vl_window_view {
    enum vl_window_layout layout;
    vl_stage_view_desc stage;   /* the stage view, and the camera the camera view films from */
    const char *overlay;        /* lines of text ('\n') at the stage view's top-left over a
                                 * dark box; NULL: none */
    const char *help;           /* lines of text in a box in the middle of the stage view;
                                 * NULL: none */
} vl_window_view;

/* Draw a window's picture (see enum vl_window_layout) into framebuffer fbo
 * (0: the window made current by vl_gl_begin_window), width x height, from
 * what the last vl_renderer_frame rendered. */
void vl_renderer_draw_window(vl_renderer *r, const vl_window_view *v, unsigned fbo, int width,
                             int height);

/* The same picture into rgba (width x height x 4, top row first, alpha
 * 255): render --view preview|single, tests. */
void vl_renderer_window_view(vl_renderer *r, const vl_window_view *v, int width, int height,
                             uint8_t *rgba);

/* A plain full-canvas textured pass into output 0's canvas size, for the
 * benchmark's unit of cost: `passes` passes, each finished before the next. */
void vl_renderer_textured_pass(vl_renderer *r, int passes);

/* The renderer's frustum settings (its stage copy's), read-only. The
 * pointer stays valid until vl_renderer_destroy; what it points to changes
 * with vl_renderer_set_frustum. */
const vl_frustum_settings *vl_renderer_frustum(const vl_renderer *r);

/* Replace the frustum settings (overscan, outer eye, soft edge, chroma,
 * light cards, freeze), for control between frames: all take effect from
 * the next vl_renderer_frame, the outer content redrawn where what it shows
 * changed (a moved outer eye; when frozen, once unfrozen). Values out of
 * the stage JSON's ranges are clamped; cards on an output that does not
 * exist or with an empty rectangle are not drawn. f is copied. */
void vl_renderer_set_frustum(vl_renderer *r, const vl_frustum_settings *f);

/* Replace output `output`'s colour transform (see vl_output_color), from
 * the next frame; an output index out of range is ignored. c is copied. */
void vl_renderer_set_output_color(vl_renderer *r, int output, const vl_output_color *c);

/* The colour transform of one pixel, in double: the exact sum the output
 * pass does per pixel (see vl_output_color), for tests and docs. in is the
 * canvas colour (sRGB-encoded, 0 .. 1), out the signal (0 .. 1). */
void vl_output_color_apply(const vl_output_color *c, const double in[3], double out[3]);

/* Wait for the GPU to finish (for timing). */
void vl_renderer_finish(vl_renderer *r);

/* ---- images ------------------------------------------------------------- */

/* Write rgba (top row first) as an RGB PNG. Logs and returns false on error. */
bool vl_write_png(const char *path, int width, int height, const uint8_t *rgba);

#endif
