/*
 * Internal to render/: the renderer's state and the helpers render.c (the
 * passes of a frame, the camera and reference views), frustum.c (light
 * cards, output colour transforms, shown images, the frustum settings),
 * stage_view.c (the stage view) and preview.c (the windows' pictures)
 * share. One GL thread, as in render.h.
 */
#ifndef VL_RENDER_INTERNAL_H
#define VL_RENDER_INTERNAL_H

#include "render.h"
#include "gl_util.h"
#include "plate_tex.h"

#include <stdbool.h>

/* One vertex of flat-coloured geometry (the stage_line program): the stage
 * view's grid, edges, camera and path; the windows' text and boxes. */
typedef struct line_vertex {
    float pos[3];
    float color[3];
} line_vertex;

/* A growing list of them, kept by the renderer for its memory: n = 0 to
 * start again. */
typedef struct vertex_list {
    line_vertex *v;
    int n, cap;
} vertex_list;

/* One stage output: its targets and the mesh of its section facets. */
typedef struct output_state {
    vl_target canvas;           /* the signal: what is shown and read back */
    vl_target outer;            /* the outer content alone, redrawn only when it changes */
    vl_target pre;              /* with a colour transform: the canvas before it */
    bool graded;                /* this frame's canvas was drawn into pre */
    vl_target image;            /* vl_renderer_show_image's picture; fbo 0: none */
    GLuint vao, vbo;
    int n_vertices;
} output_state;

/* The programs that show the plate come in variants, compiled on first use:
 * one per shader, plate layout, plate mode, whether a scene is drawn, which
 * pixels the pass draws and which frustum features are on, chosen by
 * #defines. llvmpipe runs every side of a branch on a uniform, so a single
 * program for all cases did all their work on every pixel. The output
 * colour pass has one variant per transfer function. */
enum { PROG_CANVAS, PROG_BACKDROP, PROG_COLOR };
enum { PART_ALL, PART_INNER, PART_OUTER };     /* PART in canvas.frag */
#define MAX_VARIANTS 128

/* All ints, so that a variant compares as memory up to prog. */
typedef struct variant {
    int kind, layout, backdrop, scene, part, soft, chroma, transfer;
    GLuint prog;
} variant;

struct vl_renderer {
    vl_stage *stage;
    vl_renderer_desc desc;
    output_state *outputs;
    GLuint wall_prog, blit_prog, card_prog;
    GLuint stage_line_prog, stage_outline_prog;    /* the stage view's, on first use */
    GLuint flat_vao, flat_vbo;  /* flat geometry, streamed (draw_flat), on first use */
    vertex_list lines, tris;    /* the stage view's geometry, the windows' text and boxes */
    variant variants[MAX_VARIANTS]; /* canvas, backdrop and colour programs */
    int n_variants;
    GLuint empty_vao;
    vl_target inner;            /* allocated at the largest size; drawn in its corner */
    vl_target view;             /* camera / reference view, resized on demand */
    vl_target bench[2];
    vl_target win_stage, win_camera;    /* a window's stage and camera views, at their
                                         * rects' sizes (preview.c) */
    vl_target win;              /* vl_renderer_window_view's whole picture */
    char *text;                 /* a window's text made printable, for stb_easy_font */
    void *font_quads;           /* stb_easy_font's quads for it */
    size_t text_cap, font_cap;
    GLuint outer_cube, outer_fbo, outer_depth;
    int outer_size;             /* cube face size in pixels */
    double outer_time;          /* scene time the cube was drawn for */
    const vl_scene *outer_scene;
    bool outer_sky;             /* the cube was drawn with the scene's sky */
    bool outer_stale;           /* the outer canvases need drawing again */
    int outer_kind;             /* what the outer targets hold (see outer_kind); -1 nothing */
    vl_plate_tex *plate_tex;
    bool has_plate;
    int alpha_note;             /* the plate mode "alpha ignored" was said for; -1: none */
    vl_plate_view plate;
};

/* ---- render.c ---------------------------------------------------------- */

/* (Re)size a render target; false on GL failure. */
bool ensure_target(vl_target *t, int w, int h, bool depth);

/* The variant `want` (its kind and defines; the plate layout and mode are
 * filled in here for the programs that show the plate), in use
 * (glUseProgram); 0 (and one message) if it does not compile. */
GLuint use_variant(vl_renderer *r, variant want);

/* The target output i's canvas pass draws into. */
const vl_target *canvas_target(const vl_renderer *r, int i);

/* Every output's wall facets, showing its canvas (before the colour
 * transform) as an ideal emissive display, through view and proj, into the
 * bound target: what a camera films (vl_renderer_camera_view, the stage
 * view). Leaves the wall program and a facet VAO bound. */
void draw_walls(vl_renderer *r, const float view[16], const float proj[16]);

/* What cam films (see vl_renderer_camera_view) into the bound framebuffer
 * and viewport, over what it holds (the caller clears it); depth test left
 * on, no VAO bound. */
void draw_camera_view(vl_renderer *r, const vl_camera *cam);

/* ---- stage_view.c ------------------------------------------------------ */

/* Clear `mask` of the bound framebuffer, colour to opaque rgb (0xRRGGBB),
 * and leave the renderer's clear colour (transparent black) set again. */
void clear_opaque(unsigned rgb, GLbitfield mask);

/* Add a vertex (rgb 0xRRGGBB) to l. */
void push_vertex(vertex_list *l, const double p[3], unsigned rgb);

/* The stage_line program (compiled on first use) in use with
 * view-projection vp; 0 if it does not compile (vl_gl_program logs why). */
GLuint use_line_prog(vl_renderer *r, const float vp[16]);

/* Draw l (mode GL_LINES or GL_TRIANGLES) with the program in use, through
 * the renderer's one streamed vertex buffer. */
void draw_flat(vl_renderer *r, const vertex_list *l, GLenum mode);

/* The stage view (see vl_renderer_stage_view) into the bound framebuffer,
 * which must have depth, over its whole width x height viewport: cleared
 * to VL_STAGE_VIEW_BACKGROUND first. Leaves depth test off. */
void draw_stage_view(vl_renderer *r, const vl_stage_view_desc *d, int width, int height);

/* ---- frustum.c --------------------------------------------------------- */

/* Whether any light card that is on is drawn over (or under) the frustum. */
bool has_cards(const vl_frustum_settings *fs, bool over);

/* The light cards that are on and drawn over (or under) the frustum, each
 * into its output's canvas. */
void draw_cards(vl_renderer *r, bool over);

/* With a colour transform, output i's canvas is drawn into its pre
 * target first (see draw_output_color). */
void set_graded(vl_renderer *r, int i);

/* Every output's colour transform (see output_color in frustum.c). */
void draw_output_color(vl_renderer *r);

/* Output i's shown image, when it has one, over what its canvas pass drew. */
void draw_image(vl_renderer *r, int i);

/* Every output that shows an image: the image into its canvas (again: its
 * colour transform may have changed), nothing else drawn. */
void show_images(vl_renderer *r);

#endif
