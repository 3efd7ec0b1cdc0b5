/*
 * The two passes of a frame (see render.h) and the camera/reference views
 * that prove them. Matrices are computed in double from the stage
 * convention (core's vl_basis_from_ptr) and handed to GL as float.
 */
#include "render_internal.h"
#include "shaders.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cglm/cglm.h>

#define LOG "render"
#define NEAR_M 0.05
#define FAR_M 30000.0

/* One vertex of a section facet: where it is in the canvas and on stage. */
typedef struct wall_vertex {
    float canvas[2];
    float world[3];
} wall_vertex;

/* Where a frame's canvas pass looks from. */
typedef struct frame_view {
    float eye[3];
    float vp[16];               /* the inner frustum's view-projection */
    int iw, ih;                 /* the drawn part of the inner target ... */
    int max_w, max_h;           /* ... of this size */
} frame_view;

/* A view matrix from an eye position and its axes. GL eye space: x = image
 * right, y = image up, z = backwards. */
static void view_matrix(const double right[3], const double up[3], const double forward[3],
                        const double eye[3], float out[16])
{
    const double *rows[3] = { right, up, forward };
    const double sign[3] = { 1, 1, -1 };
    memset(out, 0, 16 * sizeof(float));
    for (int r = 0; r < 3; r++) {
        double t = 0;
        for (int c = 0; c < 3; c++) {
            out[c * 4 + r] = (float)(sign[r] * rows[r][c]);
            t += sign[r] * rows[r][c] * eye[c];
        }
        out[12 + r] = (float)-t;
    }
    out[15] = 1.0f;
}

void vl_camera_view_matrix(const vl_pose *pose, float out[16])
{
    vl_basis b = vl_basis_from_ptr(pose->pan_deg, pose->tilt_deg, pose->roll_deg);
    view_matrix(b.right, b.up, b.forward, pose->pos, out);
}

static void frustum_matrix(double tan_x, double tan_y, float out[16])
{
    const double n = NEAR_M, f = FAR_M;
    memset(out, 0, 16 * sizeof(float));
    out[0] = (float)(1.0 / tan_x);
    out[5] = (float)(1.0 / tan_y);
    out[10] = (float)(-(f + n) / (f - n));
    out[11] = -1.0f;
    out[14] = (float)(-2.0 * f * n / (f - n));
}

/* A point on the optical axis lands on cam->shift in the camera's image;
 * the image (and the scaled frustum) stays centred around it, so in the
 * scaled frustum the axis lands at shift / scale: clip x gets -shift/scale
 * times view z (w = -z). */
void vl_camera_proj_matrix(const vl_camera *cam, double scale, float out[16])
{
    double tan_x = tan(cam->fov_h_deg * M_PI / 360.0) * scale;
    double tan_y = tan_x * cam->height / cam->width;
    frustum_matrix(tan_x, tan_y, out);
    out[8] = (float)(-cam->shift[0] / scale);
    out[9] = (float)(-cam->shift[1] / scale);
}

double vl_camera_overscan(const vl_camera *cam, double stage_overscan)
{
    return fmax(stage_overscan, cam->overscan_min);
}

static void mat4_mul(const float a[16], const float b[16], float out[16])
{
    for (int c = 0; c < 4; c++)
        for (int r = 0; r < 4; r++) {
            float s = 0;
            for (int k = 0; k < 4; k++)
                s += a[k * 4 + r] * b[c * 4 + k];
            out[c * 4 + r] = s;
        }
}

void vl_sky_matrix(const float view[16], const float proj[16], float inv[16])
{
    mat4 rot, vp;
    glm_mat4_copy((vec4 *)view, rot);
    rot[3][0] = rot[3][1] = rot[3][2] = 0.0f;
    glm_mat4_mul((vec4 *)proj, rot, vp);
    glm_mat4_inv(vp, (vec4 *)inv);
}

/* Two triangles per column facet: a facet is flat, so stage positions
 * interpolated linearly across it in the canvas are exact. */
static void build_output_mesh(const vl_stage *stage, int out_index, output_state *o)
{
    int n = 0;
    for (int i = 0; i < stage->n_sections; i++)
        if (stage->sections[i].output == out_index)
            n += stage->sections[i].cols * 6;
    wall_vertex *v = vl_xcalloc(n, sizeof(*v));
    int k = 0;
    for (int i = 0; i < stage->n_sections; i++) {
        const vl_section *s = &stage->sections[i];
        if (s->output != out_index)
            continue;
        double h = vl_section_height_px(s);
        for (int col = 0; col < s->cols; col++) {
            double x0 = col * s->panel_px_w, x1 = x0 + s->panel_px_w;
            const double corner[6][2] = { { x0, 0 }, { x1, 0 }, { x1, h }, { x0, 0 }, { x1, h }, { x0, h } };
            for (int c = 0; c < 6; c++) {
                double w[3];
                vl_section_pixel_to_stage(s, corner[c][0], corner[c][1], w);
                v[k].canvas[0] = (float)(s->canvas_x + corner[c][0]);
                v[k].canvas[1] = (float)(s->canvas_y + corner[c][1]);
                for (int j = 0; j < 3; j++)
                    v[k].world[j] = (float)w[j];
                k++;
            }
        }
    }
    o->n_vertices = n;
    glGenVertexArrays(1, &o->vao);
    glGenBuffers(1, &o->vbo);
    glBindVertexArray(o->vao);
    glBindBuffer(GL_ARRAY_BUFFER, o->vbo);
    glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)(n * sizeof(*v)), v, GL_STATIC_DRAW);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, sizeof(*v), (void *)offsetof(wall_vertex, canvas));
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, sizeof(*v), (void *)offsetof(wall_vertex, world));
    glBindVertexArray(0);
    free(v);
}

static void outer_free(vl_renderer *r)
{
    glDeleteTextures(1, &r->outer_cube);
    glDeleteFramebuffers(1, &r->outer_fbo);
    glDeleteRenderbuffers(1, &r->outer_depth);
    r->outer_cube = r->outer_fbo = r->outer_depth = 0;
    r->outer_size = 0;
}

static bool outer_init(vl_renderer *r, int size)
{
    r->outer_size = size;
    glGenTextures(1, &r->outer_cube);
    glBindTexture(GL_TEXTURE_CUBE_MAP, r->outer_cube);
    for (int f = 0; f < 6; f++)
        glTexImage2D(GL_TEXTURE_CUBE_MAP_POSITIVE_X + f, 0, GL_RGBA8, size, size, 0,
                     GL_RGBA, GL_UNSIGNED_BYTE, NULL);
    glTexParameteri(GL_TEXTURE_CUBE_MAP, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_CUBE_MAP, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    glTexParameteri(GL_TEXTURE_CUBE_MAP, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_CUBE_MAP, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
    glTexParameteri(GL_TEXTURE_CUBE_MAP, GL_TEXTURE_WRAP_R, GL_CLAMP_TO_EDGE);
    glEnable(GL_TEXTURE_CUBE_MAP_SEAMLESS);
    glGenRenderbuffers(1, &r->outer_depth);
    glBindRenderbuffer(GL_RENDERBUFFER, r->outer_depth);
    glRenderbufferStorage(GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, size, size);
    glGenFramebuffers(1, &r->outer_fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, r->outer_fbo);
    glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT, GL_RENDERBUFFER, r->outer_depth);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_CUBE_MAP_POSITIVE_X,
                           r->outer_cube, 0);
    bool ok = glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE;
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    if (!ok)
        VL_ERR(LOG, "cannot make the %dx%d outer cube framebuffer", size, size);
    return ok;
}

/* BACKDROP in backdrop.glsl: 0 none, 1 equirect, 2 flat, 3 wall. */
static int backdrop_mode(const vl_renderer *r)
{
    return !r->has_plate ? 0 : r->plate.mode == VL_PLATE_EQUIRECT ? 1 :
           r->plate.mode == VL_PLATE_FLAT ? 2 : 3;
}

GLuint use_variant(vl_renderer *r, variant want)
{
    static const struct { const char *name, *vert, *frag; } shaders[] = {
        [PROG_CANVAS] = { "canvas", vl_shader_canvas_vert, vl_shader_canvas_frag },
        [PROG_BACKDROP] = { "backdrop", vl_shader_sky_vert, vl_shader_backdrop_view_frag },
        [PROG_COLOR] = { "color", vl_shader_blit_vert, vl_shader_color_frag },
    };
    bool plate = want.kind != PROG_COLOR;
    if (plate) {
        want.layout = vl_plate_tex_layout(r->plate_tex);
        want.backdrop = backdrop_mode(r);
    }
    GLuint prog = 0;
    for (int i = 0; i < r->n_variants && !prog; i++)
        if (!memcmp(&r->variants[i], &want, offsetof(variant, prog)))
            prog = r->variants[i].prog;
    if (!prog && r->n_variants < MAX_VARIANTS) {
        char head[256];
        snprintf(head, sizeof(head), "#version 330 core\n#define PLATE_LAYOUT %d\n#define BACKDROP %d\n"
                 "#define HAS_SCENE %d\n#define PART %d\n#define SOFT_EDGE %d\n#define CHROMA %d\n"
                 "#define TRANSFER %d\n", want.layout, want.backdrop, want.scene, want.part, want.soft,
                 want.chroma, want.transfer);
        const char *parts[] = { head, vl_shader_plate_glsl, vl_shader_backdrop_glsl, shaders[want.kind].frag };
        if (!plate)
            parts[1] = shaders[want.kind].frag;
        want.prog = prog = vl_gl_program_parts(shaders[want.kind].name, shaders[want.kind].vert, parts,
                                               plate ? 4 : 2);
        if (prog)
            r->variants[r->n_variants++] = want;
    }
    glUseProgram(prog);
    return prog;
}

vl_renderer *vl_renderer_create(const vl_stage *stage, const vl_renderer_desc *desc)
{
    vl_renderer *r = vl_xcalloc(1, sizeof(*r));
    r->stage = vl_stage_copy(stage);
    r->desc = desc ? *desc : (vl_renderer_desc){ 0 };
    r->outer_time = NAN;
    r->outer_kind = -1;
    r->alpha_note = -1;
    r->wall_prog = vl_gl_program("wall_view", vl_shader_wall_view_vert, vl_shader_wall_view_frag);
    r->blit_prog = vl_gl_program("blit", vl_shader_blit_vert, vl_shader_blit_frag);
    r->card_prog = vl_gl_program("card", vl_shader_card_vert, vl_shader_card_frag);
    if (!r->wall_prog || !r->blit_prog || !r->card_prog)
        goto fail;
    r->plate_tex = vl_plate_tex_create();
    /* Scenes are drawn over a transparent black clear, so a plate can show
     * through wherever they leave the background (premultiplied alpha). */
    glClearColor(0, 0, 0, 0);
    r->empty_vao = vl_gl_empty_vao();
    r->outputs = vl_xcalloc(stage->n_outputs, sizeof(*r->outputs));
    for (int i = 0; i < stage->n_outputs; i++) {
        const vl_output *o = &stage->outputs[i];
        if (!vl_target_init(&r->outputs[i].canvas, o->width, o->height, false) ||
            !vl_target_init(&r->outputs[i].outer, o->width, o->height, false))
            goto fail;
        build_output_mesh(stage, i, &r->outputs[i]);
    }
    return r;

fail:
    vl_renderer_destroy(r);
    return NULL;
}

void vl_renderer_destroy(vl_renderer *r)
{
    if (!r)
        return;
    for (int i = 0; r->outputs && i < r->stage->n_outputs; i++) {
        vl_target_free(&r->outputs[i].canvas);
        vl_target_free(&r->outputs[i].outer);
        vl_target_free(&r->outputs[i].pre);
        vl_target_free(&r->outputs[i].image);
        glDeleteVertexArrays(1, &r->outputs[i].vao);
        glDeleteBuffers(1, &r->outputs[i].vbo);
    }
    free(r->outputs);
    vl_target_free(&r->inner);
    vl_target_free(&r->view);
    vl_target_free(&r->bench[0]);
    vl_target_free(&r->bench[1]);
    vl_target_free(&r->win_stage);
    vl_target_free(&r->win_camera);
    vl_target_free(&r->win);
    glDeleteVertexArrays(1, &r->flat_vao);
    glDeleteBuffers(1, &r->flat_vbo);
    free(r->lines.v);
    free(r->tris.v);
    free(r->text);
    free(r->font_quads);
    outer_free(r);
    vl_plate_tex_destroy(r->plate_tex);
    for (int i = 0; i < r->n_variants; i++)
        glDeleteProgram(r->variants[i].prog);
    glDeleteProgram(r->card_prog);
    glDeleteProgram(r->wall_prog);
    glDeleteProgram(r->blit_prog);
    glDeleteProgram(r->stage_line_prog);
    glDeleteProgram(r->stage_outline_prog);
    glDeleteVertexArrays(1, &r->empty_vao);
    vl_stage_free(r->stage);
    free(r);
}

bool ensure_target(vl_target *t, int w, int h, bool depth)
{
    if (t->fbo && t->width == w && t->height == h)
        return true;
    if (t->fbo)
        vl_target_free(t);
    return vl_target_init(t, w, h, depth);
}

/* The plate's textures on units 1..4 (unit 0 is the scene's) and
 * backdrop.glsl's uniforms, for the program in use. */
static void bind_backdrop(const vl_renderer *r, GLuint prog)
{
    const vl_plate_view *v = &r->plate;
    vl_basis b = vl_basis_from_ptr(v->yaw_deg, v->pitch_deg, v->roll_deg);
    /* Rows: a stage direction dotted with the plate's own axes. */
    float rot[9], centre[3], right[3], up[3];
    double half_w = v->width_m / 2, half_h = half_w / vl_plate_tex_aspect(r->plate_tex);
    for (int i = 0; i < 3; i++) {
        rot[i] = (float)b.right[i];
        rot[3 + i] = (float)b.forward[i];
        rot[6 + i] = (float)b.up[i];
        centre[i] = (float)(v->distance_m * b.forward[i] + (i == 2 ? v->centre_z_m : 0));
        right[i] = (float)(half_w * b.right[i]);
        up[i] = (float)(half_h * b.up[i]);
    }
    glUniformMatrix3fv(glGetUniformLocation(prog, "u_plate_rot"), 1, GL_TRUE, rot);
    glUniform3fv(glGetUniformLocation(prog, "u_screen_centre"), 1, centre);
    glUniform3fv(glGetUniformLocation(prog, "u_screen_right"), 1, right);
    glUniform3fv(glGetUniformLocation(prog, "u_screen_up"), 1, up);
    vl_plate_tex_bind(r->plate_tex, prog, 1);
}

void vl_plate_equirect_uv(const vl_plate_view *v, const double dir[3], double uv[2])
{
    vl_basis b = vl_basis_from_ptr(v->yaw_deg, v->pitch_deg, v->roll_deg);
    double p[3] = { 0, 0, 0 };
    for (int i = 0; i < 3; i++) {
        p[0] += b.right[i] * dir[i];
        p[1] += b.forward[i] * dir[i];
        p[2] += b.up[i] * dir[i];
    }
    double len = sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
    uv[0] = 0.5 + atan2(p[0], p[1]) / (2 * M_PI);
    uv[1] = 0.5 - asin(fmin(fmax(p[2] / len, -1.0), 1.0)) / M_PI;
}

/* Alpha has a use only on a flat screen, which stands in front of
 * something: elsewhere say once per mode that it is ignored. */
static void note_alpha(vl_renderer *r)
{
    if (!r->has_plate || r->plate.mode == VL_PLATE_FLAT || r->alpha_note == (int)r->plate.mode ||
        !vl_plate_tex_has_alpha(r->plate_tex))
        return;
    VL_INFO(LOG, "the plate's alpha is ignored in %s mode: nothing is behind the plate "
            "(flat mode shows what is behind through it)",
            r->plate.mode == VL_PLATE_WALL ? "wall" : "equirect");
    r->alpha_note = (int)r->plate.mode;
}

void vl_renderer_set_plate(vl_renderer *r, const vl_plate_view *view)
{
    r->has_plate = view != NULL;
    if (view)
        r->plate = *view;
    note_alpha(r);
}

bool vl_renderer_plate_frame(vl_renderer *r, const struct AVFrame *f)
{
    bool ok = vl_plate_tex_upload(r->plate_tex, f);
    note_alpha(r);
    return ok;
}

/* The scene from the outer eye into a cube map, one 90-degree face at a
 * time, with GL's cube-face orientations so a lookup by stage direction
 * finds the right texel. Without its sky (a plate behind) the background
 * stays transparent. */
static bool draw_cube(vl_renderer *r, vl_scene *scene, double t_sec, bool sky)
{
    /* An animated scene redraws the cube every frame: a smaller one keeps
     * that affordable on a CPU, and the camera never films the outer. */
    int size = r->desc.outer_size ? r->desc.outer_size : vl_scene_animated(scene) ? 256 : 512;
    if (size != r->outer_size) {
        outer_free(r);
        if (!outer_init(r, size))
            return false;
    }
    static const double dirs[6][3] = { { 1, 0, 0 }, { -1, 0, 0 }, { 0, 1, 0 },
                                       { 0, -1, 0 }, { 0, 0, 1 }, { 0, 0, -1 } };
    static const double ups[6][3] = { { 0, -1, 0 }, { 0, -1, 0 }, { 0, 0, 1 },
                                      { 0, 0, -1 }, { 0, -1, 0 }, { 0, -1, 0 } };
    const double *eye = r->stage->frustum.outer_eye;
    float eyef[3] = { (float)eye[0], (float)eye[1], (float)eye[2] };
    float proj[16];
    frustum_matrix(1.0, 1.0, proj);
    glBindFramebuffer(GL_FRAMEBUFFER, r->outer_fbo);
    glViewport(0, 0, size, size);
    for (int f = 0; f < 6; f++) {
        glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0,
                               GL_TEXTURE_CUBE_MAP_POSITIVE_X + f, r->outer_cube, 0);
        glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
        /* A look-at basis: right = forward x up. */
        const double *fw = dirs[f], *up = ups[f];
        double right[3] = { fw[1] * up[2] - fw[2] * up[1], fw[2] * up[0] - fw[0] * up[2],
                            fw[0] * up[1] - fw[1] * up[0] };
        float view[16];
        view_matrix(right, up, fw, eye, view);
        vl_scene_draw(scene, view, proj, eyef, t_sec, sky);
    }
    r->outer_time = t_sec;
    r->outer_scene = scene;
    r->outer_sky = sky;
    return true;
}

/* What the outer targets hold, so that a frozen outer is drawn once and
 * then kept: it depends on the plate mode and on whether a scene is shown. */
static int outer_kind(const vl_renderer *r, const vl_scene *scene)
{
    return backdrop_mode(r) * 2 + (scene != NULL);
}

/* The uniforms and textures of a canvas.frag variant in use: the inner
 * frustum, the eyes, the plate and the frustum features. */
static void canvas_uniforms(const vl_renderer *r, GLuint prog, const frame_view *fv, bool clip)
{
    const vl_frustum_settings *fs = &r->stage->frustum;
    const vl_chroma *k = &fs->chroma;
    const double *oe = fs->outer_eye;
    glUniform1i(glGetUniformLocation(prog, "u_clip_inner"), clip);
    glUniform3fv(glGetUniformLocation(prog, "u_eye"), 1, fv->eye);
    glUniform3f(glGetUniformLocation(prog, "u_outer_eye"), (float)oe[0], (float)oe[1], (float)oe[2]);
    glUniformMatrix4fv(glGetUniformLocation(prog, "u_inner_viewproj"), 1, GL_FALSE, fv->vp);
    glUniform2f(glGetUniformLocation(prog, "u_inner_scale"), (float)fv->iw / fv->max_w,
                (float)fv->ih / fv->max_h);
    glUniform2f(glGetUniformLocation(prog, "u_inner_clamp"), (fv->iw - 0.5f) / fv->max_w,
                (fv->ih - 0.5f) / fv->max_h);
    glUniform1f(glGetUniformLocation(prog, "u_soft_edge"), (float)fs->soft_edge);
    glUniform3f(glGetUniformLocation(prog, "u_key"), (float)k->color[0], (float)k->color[1],
                (float)k->color[2]);
    glUniform3f(glGetUniformLocation(prog, "u_marker_color"), (float)k->marker_color[0],
                (float)k->marker_color[1], (float)k->marker_color[2]);
    glUniform2i(glGetUniformLocation(prog, "u_marker"), k->marker_spacing_px, k->marker_size_px);
    glUniform1i(glGetUniformLocation(prog, "u_inner"), 0);
    glUniform1i(glGetUniformLocation(prog, "u_outer"), 5);  /* 1..4: the plate */
    bind_backdrop(r, prog);
    glActiveTexture(GL_TEXTURE5);
    glBindTexture(GL_TEXTURE_CUBE_MAP, r->outer_cube);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, r->inner.tex);
}

/* The outer content of every canvas into its outer target: the cube (and
 * the plate) seen from the outer eye. Without a plate drawn again only when
 * the scene changes, as the camera does not enter into it. */
static void draw_outer_canvases(vl_renderer *r, const vl_scene *scene, const frame_view *fv)
{
    glDisable(GL_DEPTH_TEST);
    GLuint prog = use_variant(r, (variant){ .kind = PROG_CANVAS, .scene = scene != NULL, .part = PART_OUTER });
    if (!prog)
        return;
    canvas_uniforms(r, prog, fv, false);
    for (int i = 0; i < r->stage->n_outputs; i++) {
        output_state *o = &r->outputs[i];
        vl_target_bind(&o->outer);
        glClear(GL_COLOR_BUFFER_BIT);
        glUniform2f(glGetUniformLocation(prog, "u_canvas_size"), (float)o->outer.width, (float)o->outer.height);
        glBindVertexArray(o->vao);
        glDrawArrays(GL_TRIANGLES, 0, o->n_vertices);
    }
    glBindVertexArray(0);
    r->outer_stale = false;
    r->outer_kind = outer_kind(r, scene);
}

const vl_target *canvas_target(const vl_renderer *r, int i)
{
    const output_state *o = &r->outputs[i];
    return o->graded ? &o->pre : &o->canvas;
}

/* Signed area of a quad in NDC (shoelace). */
static double quad_area(const double p[4][2])
{
    double a = 0;
    for (int i = 0; i < 4; i++)
        a += p[i][0] * p[(i + 1) % 4][1] - p[(i + 1) % 4][0] * p[i][1];
    return fabs(a) / 2;
}

/* The wall cannot show more detail than its pixels, so the inner frustum is
 * rendered with about one texel per wall pixel where the wall inside the
 * frustum is densest (the panel nearest the camera), not at camera size. */
static void inner_size(const vl_renderer *r, const float vp[16], int max_w, int max_h,
                       int *w, int *h)
{
    double density = 0;         /* wall pixels per unit of inner NDC area */
    for (int i = 0; i < r->stage->n_sections; i++) {
        const vl_section *s = &r->stage->sections[i];
        for (int row = 0; row < s->rows; row++) {
            for (int col = 0; col < s->cols; col++) {
                double ndc[4][2], lo[2] = { 1e9, 1e9 }, hi[2] = { -1e9, -1e9 };
                bool behind = false;
                for (int k = 0; k < 4; k++) {
                    double px = (col + (k == 1 || k == 2)) * s->panel_px_w;
                    double py = (row + (k >= 2)) * s->panel_px_h;
                    double W[3], c[4];
                    vl_section_pixel_to_stage(s, px, py, W);
                    for (int j = 0; j < 4; j++)
                        c[j] = vp[j] * W[0] + vp[4 + j] * W[1] + vp[8 + j] * W[2] + vp[12 + j];
                    behind |= c[3] <= NEAR_M;
                    for (int j = 0; j < 2 && !behind; j++) {
                        ndc[k][j] = c[j] / c[3];
                        lo[j] = fmin(lo[j], ndc[k][j]);
                        hi[j] = fmax(hi[j], ndc[k][j]);
                    }
                }
                if (behind || lo[0] > 1 || lo[1] > 1 || hi[0] < -1 || hi[1] < -1)
                    continue;
                double area = quad_area(ndc);
                if (area > 0)
                    density = fmax(density, s->panel_px_w * s->panel_px_h / area);
            }
        }
    }
    double aspect = (double)max_w / max_h;
    double tw = sqrt(4 * density * aspect);
    *w = (int)fmin(fmax(ceil(tw), 16), max_w);
    *h = (int)fmin(fmax(ceil(tw / aspect), 16), max_h);
}

/* Pass 1: the scene from the tracked camera into the inner target, with
 * its sky unless a plate is behind it. *iw x *ih gets the part drawn. */
static void draw_inner(vl_renderer *r, vl_scene *scene, const float eye[3], double t_sec,
                       const float view[16], const float proj[16], const float vp[16],
                       int *iw, int *ih)
{
    if (!r->desc.inner_width)
        inner_size(r, vp, *iw, *ih, iw, ih);
    glBindFramebuffer(GL_FRAMEBUFFER, r->inner.fbo);
    glViewport(0, 0, *iw, *ih);
    glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
    vl_scene_draw(scene, view, proj, eye, t_sec, !r->has_plate);
}

void vl_renderer_frame(vl_renderer *r, vl_scene *scene, const vl_camera *cam, double t_sec)
{
    const vl_frustum_settings *fs = &r->stage->frustum;
    if (r->has_plate && r->plate.mode == VL_PLATE_WALL)
        scene = NULL;           /* the plate alone, untracked */
    bool all_images = true;
    for (int i = 0; i < r->stage->n_outputs; i++)
        all_images &= r->outputs[i].image.fbo != 0;
    if (all_images || (!scene && !r->has_plate)) {
        show_images(r);
        return;
    }
    /* Without a plate the outer content has its own target, drawn only when
     * it changes, and the inner frustum is clipped over a copy of it. With a
     * plate, whose every new picture changes the whole wall, every wall
     * pixel is drawn in one pass (see canvas.frag), unless a feature needs
     * the outer apart: kept while frozen, light cards under the frustum, a
     * soft edge blending over it. */
    bool under = has_cards(fs, false);
    bool split = !r->has_plate || fs->freeze_outer || under || fs->soft_edge > 0;
    bool keep_outer = fs->freeze_outer && r->outer_kind == outer_kind(r, scene);
    double scale = 1.0 + vl_camera_overscan(cam, fs->overscan);
    frame_view fv = { .max_w = (int)lround(cam->width * scale), .max_h = (int)lround(cam->height * scale) };
    if (r->desc.inner_width) {
        fv.max_w = r->desc.inner_width;
        fv.max_h = r->desc.inner_height;
    }
    float view[16], proj[16];
    for (int i = 0; i < 3; i++)
        fv.eye[i] = (float)cam->pose.pos[i];
    vl_camera_view_matrix(&cam->pose, view);
    vl_camera_proj_matrix(cam, scale, proj);
    mat4_mul(proj, view, fv.vp);
    fv.iw = fv.max_w;
    fv.ih = fv.max_h;
    if (scene) {
        if (!ensure_target(&r->inner, fv.max_w, fv.max_h, true))
            return;
        /* A static scene's cube never changes: draw it once. */
        bool sky = !r->has_plate;
        if (!keep_outer && (r->outer_scene != scene || r->outer_sky != sky ||
                            (vl_scene_animated(scene) && r->outer_time != t_sec))) {
            if (!draw_cube(r, scene, t_sec, sky))
                return;
            r->outer_stale = true;
        }
        if (!fs->chroma.on)     /* the key colour replaces the inner render */
            draw_inner(r, scene, fv.eye, t_sec, view, proj, fv.vp, &fv.iw, &fv.ih);
    }
    if (split && !keep_outer && (r->outer_stale || r->has_plate || r->outer_kind != outer_kind(r, scene)))
        draw_outer_canvases(r, scene, &fv);
    else if (!split)
        r->outer_kind = -1;     /* the outer targets fall behind the plate */

    for (int i = 0; i < r->stage->n_outputs; i++)
        set_graded(r, i);

    /* Pass 2: copy the outer content and the cards under the frustum, then
     * draw the facets clipped to the inner frustum over them: only pixels
     * inside the frustum are shaded. Or every wall pixel over a cleared
     * canvas. */
    glDisable(GL_DEPTH_TEST);
    for (int i = 0; i < r->stage->n_outputs; i++) {
        const output_state *o = &r->outputs[i];
        const vl_target *t = canvas_target(r, i);
        if (split) {
            glBindFramebuffer(GL_READ_FRAMEBUFFER, o->outer.fbo);
            glBindFramebuffer(GL_DRAW_FRAMEBUFFER, t->fbo);
            glBlitFramebuffer(0, 0, t->width, t->height, 0, 0, t->width, t->height, GL_COLOR_BUFFER_BIT,
                              GL_NEAREST);
        } else {
            vl_target_bind(t);
            glClear(GL_COLOR_BUFFER_BIT);
        }
    }
    if (under)
        draw_cards(r, false);
    bool soft = split && fs->soft_edge > 0;
    int chroma = fs->chroma.on ? 1 + fs->chroma.markers : 0;
    GLuint prog = use_variant(r, (variant){ .kind = PROG_CANVAS, .scene = scene != NULL,
                                            .part = split ? PART_INNER : PART_ALL, .soft = soft,
                                            .chroma = chroma });
    if (!prog)
        return;
    canvas_uniforms(r, prog, &fv, split);
    for (int k = 0; k < 4 && split; k++)
        glEnable(GL_CLIP_DISTANCE0 + k);
    if (soft) {
        /* Blend the inner content over the outer by its weight; the
         * canvas keeps its alpha. */
        glEnable(GL_BLEND);
        glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ZERO, GL_ONE);
    }
    for (int i = 0; i < r->stage->n_outputs; i++) {
        const output_state *o = &r->outputs[i];
        const vl_target *t = canvas_target(r, i);
        vl_target_bind(t);
        glUniform2f(glGetUniformLocation(prog, "u_canvas_size"), (float)t->width, (float)t->height);
        glBindVertexArray(o->vao);
        glDrawArrays(GL_TRIANGLES, 0, o->n_vertices);
    }
    glDisable(GL_BLEND);
    for (int k = 0; k < 4; k++)
        glDisable(GL_CLIP_DISTANCE0 + k);
    if (has_cards(fs, true))
        draw_cards(r, true);
    for (int i = 0; i < r->stage->n_outputs; i++)
        draw_image(r, i);
    draw_output_color(r);
    glActiveTexture(GL_TEXTURE0);
    glBindVertexArray(0);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

unsigned vl_renderer_canvas_texture(const vl_renderer *r, int output)
{
    return r->outputs[output].canvas.tex;
}

void vl_renderer_read_canvas(vl_renderer *r, int output, uint8_t *rgba)
{
    const vl_target *t = &r->outputs[output].canvas;
    vl_target_bind(t);
    /* The canvas is stored top row first already. */
    vl_gl_read_rgba(t->width, t->height, false, rgba);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

void draw_walls(vl_renderer *r, const float view[16], const float proj[16])
{
    glUseProgram(r->wall_prog);
    glUniformMatrix4fv(glGetUniformLocation(r->wall_prog, "u_view"), 1, GL_FALSE, view);
    glUniformMatrix4fv(glGetUniformLocation(r->wall_prog, "u_proj"), 1, GL_FALSE, proj);
    glUniform1i(glGetUniformLocation(r->wall_prog, "u_canvas"), 0);
    glActiveTexture(GL_TEXTURE0);
    for (int i = 0; i < r->stage->n_outputs; i++) {
        output_state *o = &r->outputs[i];
        glUniform2f(glGetUniformLocation(r->wall_prog, "u_canvas_size"),
                    (float)o->canvas.width, (float)o->canvas.height);
        glBindTexture(GL_TEXTURE_2D, canvas_target(r, i)->tex);
        glBindVertexArray(o->vao);
        glDrawArrays(GL_TRIANGLES, 0, o->n_vertices);
    }
}

void draw_camera_view(vl_renderer *r, const vl_camera *cam)
{
    float view[16], proj[16];
    vl_camera_view_matrix(&cam->pose, view);
    vl_camera_proj_matrix(cam, 1.0, proj);
    glEnable(GL_DEPTH_TEST);
    draw_walls(r, view, proj);
    glBindVertexArray(0);
}

void vl_renderer_camera_view(vl_renderer *r, const vl_camera *cam, uint8_t *rgba)
{
    if (!ensure_target(&r->view, cam->width, cam->height, true))
        return;
    vl_target_bind(&r->view);
    glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
    draw_camera_view(r, cam);
    vl_gl_read_rgba(cam->width, cam->height, true, rgba);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

void vl_renderer_reference_view(vl_renderer *r, vl_scene *scene, const vl_camera *cam,
                                double t_sec, uint8_t *rgba)
{
    if (!ensure_target(&r->view, cam->width, cam->height, true))
        return;
    float view[16], proj[16];
    float eye[3] = { (float)cam->pose.pos[0], (float)cam->pose.pos[1], (float)cam->pose.pos[2] };
    vl_camera_view_matrix(&cam->pose, view);
    vl_camera_proj_matrix(cam, 1.0, proj);
    vl_target_bind(&r->view);
    glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
    if (r->has_plate && r->plate.mode != VL_PLATE_WALL) {
        /* The plate first, as a sky: each pixel's direction from the eye. */
        float inv[16];
        vl_sky_matrix(view, proj, inv);
        glDisable(GL_DEPTH_TEST);
        GLuint prog = use_variant(r, (variant){ .kind = PROG_BACKDROP });
        glUniformMatrix4fv(glGetUniformLocation(prog, "u_inv_viewproj"), 1, GL_FALSE, inv);
        glUniform3fv(glGetUniformLocation(prog, "u_eye"), 1, eye);
        bind_backdrop(r, prog);
        glBindVertexArray(r->empty_vao);
        glDrawArrays(GL_TRIANGLES, 0, 3);
        glBindVertexArray(0);
    }
    if (scene)
        vl_scene_draw(scene, view, proj, eye, t_sec, !r->has_plate);
    vl_gl_read_rgba(cam->width, cam->height, true, rgba);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

void vl_renderer_textured_pass(vl_renderer *r, int passes)
{
    /* Ping-pong between two canvas-sized targets, each pass sampling the
     * other's result: a tiled rasteriser (llvmpipe) cannot drop a pass that
     * a later one covers, and every pass waits for the GPU like a frame. */
    const vl_output *o = &r->stage->outputs[0];
    for (int i = 0; i < 2; i++)
        if (!ensure_target(&r->bench[i], o->width, o->height, false))
            return;
    glDisable(GL_DEPTH_TEST);
    glUseProgram(r->blit_prog);
    glActiveTexture(GL_TEXTURE0);
    glBindVertexArray(r->empty_vao);
    for (int i = 0; i < passes; i++) {
        vl_target_bind(&r->bench[i & 1]);
        glBindTexture(GL_TEXTURE_2D, i ? r->bench[!(i & 1)].tex : r->outputs[0].canvas.tex);
        glDrawArrays(GL_TRIANGLES, 0, 3);
        glFinish();
    }
    glBindVertexArray(0);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
}

void vl_renderer_finish(vl_renderer *r)
{
    (void)r;
    glFinish();
}
