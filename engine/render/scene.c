/*
 * Scenes: the built-in procedural ones, and model files (model.c) shown
 * under builtin:grid's sky. Each builtin is a const table entry: how to
 * build its geometry (triangles in stage space) and which shaders draw its
 * ground and sky. Geometry is made once, on the CPU, from fixed numbers, so
 * every run and every machine draws the same scene.
 */
#include "render.h"
#include "gl_util.h"
#include "model.h"
#include "shaders.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG "render/scene"

/* Material ids in the vertex colour's alpha: 0 lit colour, 1 the scene's
 * procedural ground (grid floor, snow). */
enum { MAT_SOLID = 0, MAT_GROUND = 1 };

typedef struct vertex {
    float pos[3];
    float normal[3];
    float color[4];
} vertex;

typedef struct mesh {
    vertex *v;
    int n, cap;
} mesh;

static void mesh_push(mesh *m, const double p[3], const double n[3], const float color[4])
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1024;
        m->v = vl_xrealloc(m->v, m->cap * sizeof(*m->v));
    }
    vertex *v = &m->v[m->n++];
    for (int i = 0; i < 3; i++) {
        v->pos[i] = (float)p[i];
        v->normal[i] = (float)n[i];
    }
    memcpy(v->color, color, sizeof(v->color));
}

/* A triangle with a flat normal. */
static void mesh_tri(mesh *m, const double a[3], const double b[3], const double c[3],
                     const float color[4])
{
    double u[3] = { b[0] - a[0], b[1] - a[1], b[2] - a[2] };
    double w[3] = { c[0] - a[0], c[1] - a[1], c[2] - a[2] };
    double n[3] = { u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2], u[0] * w[1] - u[1] * w[0] };
    double len = sqrt(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    for (int i = 0; i < 3; i++)
        n[i] = len > 0 ? n[i] / len : 0;
    mesh_push(m, a, n, color);
    mesh_push(m, b, n, color);
    mesh_push(m, c, n, color);
}

/* A quad a b c d, counter-clockwise seen from its front. */
static void mesh_quad(mesh *m, const double a[3], const double b[3], const double c[3],
                      const double d[3], const float color[4])
{
    mesh_tri(m, a, b, c, color);
    mesh_tri(m, a, c, d, color);
}

/* An axis-aligned box from (x0,y0,z0) to (x1,y1,z1), without its bottom. */
static void mesh_box(mesh *m, const double lo[3], const double hi[3], const float color[4])
{
    double p[8][3];
    for (int i = 0; i < 8; i++) {
        p[i][0] = i & 1 ? hi[0] : lo[0];
        p[i][1] = i & 2 ? hi[1] : lo[1];
        p[i][2] = i & 4 ? hi[2] : lo[2];
    }
    mesh_quad(m, p[0], p[1], p[5], p[4], color); /* -Y face */
    mesh_quad(m, p[3], p[2], p[6], p[7], color); /* +Y */
    mesh_quad(m, p[2], p[0], p[4], p[6], color); /* -X */
    mesh_quad(m, p[1], p[3], p[7], p[5], color); /* +X */
    mesh_quad(m, p[4], p[5], p[7], p[6], color); /* top */
}

/* ---- builtin:grid -------------------------------------------------------- */

/* Pillars 40 cm square and 3 m tall at known stage positions, so parallax
 * can be judged against numbers: x, y of the centre and a colour. */
static const struct { double x, y; float color[4]; } grid_pillars[] = {
    { -2.0, 6.0, { 0.85, 0.25, 0.20, MAT_SOLID } },
    { 2.0, 6.0, { 0.20, 0.55, 0.85, MAT_SOLID } },
    { 0.0, 9.0, { 0.90, 0.80, 0.20, MAT_SOLID } },
    { -4.0, 12.0, { 0.30, 0.75, 0.35, MAT_SOLID } },
    { 4.0, 12.0, { 0.75, 0.35, 0.80, MAT_SOLID } },
    { -1.5, 18.0, { 0.95, 0.55, 0.15, MAT_SOLID } },
    { 1.5, 25.0, { 0.25, 0.80, 0.80, MAT_SOLID } },
    { -6.0, 30.0, { 0.85, 0.85, 0.85, MAT_SOLID } },
    { 6.0, 40.0, { 0.60, 0.45, 0.30, MAT_SOLID } },
};

static void build_grid(mesh *m)
{
    static const float floor_color[4] = { 0, 0, 0, MAT_GROUND };
    const double r = 1000.0;
    double a[3] = { -r, -r, 0 }, b[3] = { r, -r, 0 }, c[3] = { r, r, 0 }, d[3] = { -r, r, 0 };
    mesh_quad(m, a, b, c, d, floor_color);
    for (size_t i = 0; i < sizeof(grid_pillars) / sizeof(grid_pillars[0]); i++) {
        double lo[3] = { grid_pillars[i].x - 0.2, grid_pillars[i].y - 0.2, 0.0 };
        double hi[3] = { grid_pillars[i].x + 0.2, grid_pillars[i].y + 0.2, 3.0 };
        mesh_box(m, lo, hi, grid_pillars[i].color);
    }
}

/* ---- builtin:fell -------------------------------------------------------- */

static double smoothstep(double e0, double e1, double x)
{
    double t = fmin(fmax((x - e0) / (e1 - e0), 0.0), 1.0);
    return t * t * (3.0 - 2.0 * t);
}

/* Ground height: a frozen lake around the stage (flat, so the studio floor
 * continues into it), rising to rounded fells a few kilometres away. */
static double fell_height(double x, double y)
{
    static const struct { double x, y, r, h; } fells[] = {
        { -1800, 3500, 1400, 210 }, { 900, 4600, 1700, 260 }, { 3300, 2700, 1300, 190 },
        { -4300, 1800, 1600, 220 }, { 300, 7500, 2600, 420 }, { -3200, 6200, 2100, 380 },
        { 4700, 6100, 2300, 330 },  { -5200, -1500, 2100, 250 }, { 5300, -300, 1900, 260 },
        { 0, -5600, 2700, 300 },
    };
    double h = 0;
    for (size_t i = 0; i < sizeof(fells) / sizeof(fells[0]); i++) {
        double dx = x - fells[i].x, dy = y - fells[i].y;
        h += fells[i].h * exp(-(dx * dx + dy * dy) / (fells[i].r * fells[i].r));
    }
    h += 18.0 * sin(x * 0.0031 + 1.3) * sin(y * 0.0027 + 0.4);
    return h * smoothstep(220.0, 1000.0, hypot(x, y));
}

/* Deterministic pseudo-random numbers in [0, 1) for tree placement. */
static double lcg(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (*state >> 8) / 16777216.0;
}

static void build_spruce(mesh *m, double x, double y, double height)
{
    static const float green[4] = { 0.05f, 0.16f, 0.10f, MAT_SOLID };
    const int seg = 10;
    /* Three stacked cones, narrower towards the top. */
    for (int tier = 0; tier < 3; tier++) {
        double z0 = height * (0.12 + 0.26 * tier), z1 = z0 + height * (0.5 - 0.08 * tier);
        double rad = height * (0.26 - 0.06 * tier);
        double apex[3] = { x, y, fmin(z1, height) };
        for (int i = 0; i < seg; i++) {
            double a0 = 2 * M_PI * i / seg, a1 = 2 * M_PI * (i + 1) / seg;
            double p0[3] = { x + rad * cos(a0), y + rad * sin(a0), z0 };
            double p1[3] = { x + rad * cos(a1), y + rad * sin(a1), z0 };
            mesh_tri(m, p0, p1, apex, green);
        }
    }
}

static void build_fell(mesh *m)
{
    static const float snow[4] = { 0, 0, 0, MAT_GROUND };
    /* Rings of quads whose size grows with distance: fine near the shore,
     * coarse on the far fells, few vertices in all. */
    const int n_ang = 160;
    double r0 = 0.0;
    for (double r1 = 60.0; r0 < 12000.0; r0 = r1, r1 *= 1.12) {
        for (int i = 0; i < n_ang; i++) {
            double a0 = 2 * M_PI * i / n_ang, a1 = 2 * M_PI * (i + 1) / n_ang;
            const double ring[4][2] = { { r0, a0 }, { r0, a1 }, { r1, a1 }, { r1, a0 } };
            double p[4][3], nrm[4][3];
            for (int k = 0; k < 4; k++) {
                double x = ring[k][0] * sin(ring[k][1]), y = ring[k][0] * cos(ring[k][1]);
                const double e = 2.0;
                p[k][0] = x;
                p[k][1] = y;
                p[k][2] = fell_height(x, y);
                double dx = fell_height(x + e, y) - fell_height(x - e, y);
                double dy = fell_height(x, y + e) - fell_height(x, y - e);
                double len = sqrt(dx * dx + dy * dy + 4 * e * e);
                nrm[k][0] = -dx / len;
                nrm[k][1] = -dy / len;
                nrm[k][2] = 2 * e / len;
            }
            const int tri[6] = { 0, 2, 1, 0, 3, 2 };
            for (int k = 0; k < 6; k++)
                mesh_push(m, p[tri[k]], nrm[tri[k]], snow);
        }
    }
    /* Spruces on the shore, 22 to 152 m out, mostly in front of the wall. */
    uint32_t seed = 1977;
    for (int t = 0; t < 60; t++) {
        double ang = (lcg(&seed) - 0.5) * 2.8;          /* radians around +Y */
        double dist = 22.0 + 130.0 * lcg(&seed);
        double height = 3.0 + 5.0 * lcg(&seed);
        /* Keep a clear view straight ahead towards the aurora. */
        if (fabs(ang) < 0.35 && dist < 80.0)
            continue;
        build_spruce(m, dist * sin(ang), dist * cos(ang), height);
    }
}

/* ---- the scene table ---------------------------------------------------- */

typedef struct scene_info {
    const char *name;
    const char *description;
    void (*build)(mesh *m);
    const char *ground_frag;
    const char *sky_frag;
    bool animated;
} scene_info;

static const scene_info scenes[] = {
    { "builtin:grid", "a technical room: floor grid, pillars at known depths, horizon",
      build_grid, vl_shader_scene_grid_frag, vl_shader_sky_grid_frag, false },
    { "builtin:fell", "a Norrbotten fell landscape at night under an animated aurora",
      build_fell, vl_shader_scene_fell_frag, vl_shader_sky_fell_frag, true },
};

/* Either a builtin (info, ground_prog and the mesh buffers) or a model;
 * both have a sky program. */
struct vl_scene {
    const scene_info *info;     /* NULL for a model */
    vl_model *model;            /* NULL for a builtin */
    GLuint ground_prog, sky_prog;
    GLuint vao, vbo, sky_vao;
    int n_vertices;
};

static bool builtin_init(vl_scene *s, const char *name)
{
    const scene_info *info = NULL;
    for (size_t i = 0; i < sizeof(scenes) / sizeof(scenes[0]); i++)
        if (!strcmp(scenes[i].name, name))
            info = &scenes[i];
    if (!info) {
        VL_ERR(LOG, "unknown scene '%s' (expected builtin:grid or builtin:fell)", name);
        return false;
    }
    s->info = info;
    s->ground_prog = vl_gl_program(name, vl_shader_scene_vert, info->ground_frag);
    s->sky_prog = vl_gl_program(name, vl_shader_sky_vert, info->sky_frag);
    if (!s->ground_prog || !s->sky_prog)
        return false;

    mesh m = { 0 };
    info->build(&m);
    s->n_vertices = m.n;
    glGenVertexArrays(1, &s->vao);
    glGenBuffers(1, &s->vbo);
    glBindVertexArray(s->vao);
    glBindBuffer(GL_ARRAY_BUFFER, s->vbo);
    glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)(m.n * sizeof(vertex)), m.v, GL_STATIC_DRAW);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, sizeof(vertex), (void *)offsetof(vertex, pos));
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, sizeof(vertex), (void *)offsetof(vertex, normal));
    glEnableVertexAttribArray(2);
    glVertexAttribPointer(2, 4, GL_FLOAT, GL_FALSE, sizeof(vertex), (void *)offsetof(vertex, color));
    glBindVertexArray(0);
    free(m.v);
    return true;
}

/* A model has no sky of its own: builtin:grid's gives it a horizon. */
static bool model_init(vl_scene *s, const char *path, const vl_placement *place)
{
    s->model = vl_model_load(path, place);
    if (!s->model)
        return false;
    s->sky_prog = vl_gl_program("model sky", vl_shader_sky_vert, vl_shader_sky_grid_frag);
    return s->sky_prog != 0;
}

vl_scene *vl_scene_create(const char *name, const vl_placement *place)
{
    vl_scene *s = vl_xcalloc(1, sizeof(*s));
    bool ok = !strncmp(name, "builtin:", 8) ? builtin_init(s, name)
                                             : model_init(s, name, place);
    if (!ok)
        goto fail;
    s->sky_vao = vl_gl_empty_vao();
    return s;

fail:
    vl_scene_destroy(s);
    return NULL;
}

void vl_scene_destroy(vl_scene *s)
{
    if (!s)
        return;
    vl_model_destroy(s->model);
    glDeleteProgram(s->ground_prog);
    glDeleteProgram(s->sky_prog);
    glDeleteVertexArrays(1, &s->vao);
    glDeleteVertexArrays(1, &s->sky_vao);
    glDeleteBuffers(1, &s->vbo);
    free(s);
}

bool vl_scene_animated(const vl_scene *s) { return s->info && s->info->animated; }

void vl_scene_draw(vl_scene *s, const float view[16], const float proj[16],
                   const float eye[3], double t_sec, bool sky)
{
    if (sky) {
        /* The sky needs only the view rotation: directions, not points. */
        float inv[16];
        vl_sky_matrix(view, proj, inv);
        glDisable(GL_DEPTH_TEST);
        glDepthMask(GL_FALSE);
        glUseProgram(s->sky_prog);
        glUniformMatrix4fv(glGetUniformLocation(s->sky_prog, "u_inv_viewproj"), 1, GL_FALSE, inv);
        glUniform1f(glGetUniformLocation(s->sky_prog, "u_time"), (float)t_sec);
        glBindVertexArray(s->sky_vao);
        glDrawArrays(GL_TRIANGLES, 0, 3);
    }

    if (s->model) {
        vl_model_draw(s->model, view, proj, eye);
        return;
    }
    glEnable(GL_DEPTH_TEST);
    glDepthMask(GL_TRUE);
    glUseProgram(s->ground_prog);
    glUniformMatrix4fv(glGetUniformLocation(s->ground_prog, "u_view"), 1, GL_FALSE, view);
    glUniformMatrix4fv(glGetUniformLocation(s->ground_prog, "u_proj"), 1, GL_FALSE, proj);
    glUniform3fv(glGetUniformLocation(s->ground_prog, "u_eye"), 1, eye);
    glUniform1f(glGetUniformLocation(s->ground_prog, "u_time"), (float)t_sec);
    glBindVertexArray(s->vao);
    glDrawArrays(GL_TRIANGLES, 0, s->n_vertices);
    glBindVertexArray(0);
}
