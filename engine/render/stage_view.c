/*
 * The stage view (see render.h): the LED volume from outside, with the
 * tracked camera, its frustum, its recent path and the inner frustum's
 * border on the wall. The wall is the renderer's own wall mesh and
 * wall_view program; the rest is flat-coloured geometry built on the CPU
 * for each picture into the renderer's lists and streamed through one
 * buffer, which the windows' text and boxes (preview.c) share.
 */
#include "render_internal.h"
#include "shaders.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cglm/cglm.h>

#define RAY_MISS_M 10.0         /* a corner ray that meets no section ends here */
#define OUTLINE_HALF_WIDTH_PX 1.5f

#define PATH_OLDEST 0.3        /* the path's oldest end, in the brightness of its newest */

void push_vertex(vertex_list *l, const double p[3], unsigned rgb)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->v = vl_xrealloc(l->v, (size_t)l->cap * sizeof(*l->v));
    }
    line_vertex *v = &l->v[l->n++];
    for (int i = 0; i < 3; i++) {
        v->pos[i] = (float)p[i];
        v->color[i] = (float)((rgb >> (16 - 8 * i)) & 0xff) / 255.0f;
    }
}

static void push_line(vertex_list *l, const double a[3], const double b[3], unsigned rgb)
{
    push_vertex(l, a, rgb);
    push_vertex(l, b, rgb);
}

/* Section i's facet corners for column col: top-left, top-right,
 * bottom-right, bottom-left, in stage metres. */
static void facet_corners(const vl_section *s, int col, double c[4][3])
{
    double h = vl_section_height_px(s);
    double x0 = col * s->panel_px_w, x1 = x0 + s->panel_px_w;
    vl_section_pixel_to_stage(s, x0, 0, c[0]);
    vl_section_pixel_to_stage(s, x1, 0, c[1]);
    vl_section_pixel_to_stage(s, x1, h, c[2]);
    vl_section_pixel_to_stage(s, x0, h, c[3]);
}

/* The box around every section, the floor under them and the camera. */
static void stage_extents(const vl_stage *stage, const vl_camera *cam, double lo[3], double hi[3])
{
    for (int j = 0; j < 3; j++)
        lo[j] = hi[j] = cam->pose.pos[j];
    lo[2] = fmin(lo[2], 0.0);
    for (int i = 0; i < stage->n_sections; i++) {
        const vl_section *s = &stage->sections[i];
        for (int col = 0; col < s->cols; col++) {
            double c[4][3];
            facet_corners(s, col, c);
            for (int k = 0; k < 4; k++)
                for (int j = 0; j < 3; j++) {
                    lo[j] = fmin(lo[j], c[k][j]);
                    hi[j] = fmax(hi[j], c[k][j]);
                }
        }
    }
}

vl_stage_observer vl_stage_observer_default(enum vl_stage_view_kind kind)
{
    vl_stage_observer o = { .kind = kind, .zoom = 1 };
    if (kind == VL_STAGE_VIEW_ORBIT) {
        /* The direction (-0.55, -1, 0.75) the orbit view had before it
         * could turn, as a bearing and a height. */
        o.yaw_deg = atan2(-0.55, 1.0) * 180 / M_PI;
        o.pitch_deg = atan2(0.75, hypot(0.55, 1.0)) * 180 / M_PI;
    }
    return o;
}

void vl_stage_view_matrix(const vl_stage *stage, const vl_camera *cam,
                          const vl_stage_observer *obs, int width, int height, float vp[16])
{
    double lo[3], hi[3], mid[3];
    stage_extents(stage, cam, lo, hi);
    double radius = 0;
    for (int j = 0; j < 3; j++) {
        mid[j] = (lo[j] + hi[j]) / 2;
        radius += (hi[j] - lo[j]) * (hi[j] - lo[j]) / 4;
    }
    radius = fmax(sqrt(radius), 1.0);
    double aspect = (double)width / height, zoom = obs->zoom > 0 ? obs->zoom : 1.0;
    const double margin = 1.1, fovy = 50.0 * M_PI / 180.0;
    double tan_y = tan(fovy / 2), tan_x = tan_y * aspect;
    mat4 v, p;
    vec3 up = { 0, 0, 1 }, centre = { (float)mid[0], (float)mid[1], (float)mid[2] };
    if (obs->kind == VL_STAGE_VIEW_TOP) {
        /* Half a metre more each side: the camera body is not a point. */
        double hw = (hi[0] - lo[0]) / 2 * margin + 0.5, hh = (hi[1] - lo[1]) / 2 * margin + 0.5;
        if (hw / hh < aspect)
            hw = hh * aspect;
        else
            hh = hw / aspect;
        hw /= zoom;
        hh /= zoom;
        vec3 eye = { centre[0], centre[1], (float)(hi[2] + 1.0) };
        vec3 down = { centre[0], centre[1], (float)lo[2] };
        vec3 north = { 0, 1, 0 };
        glm_lookat(eye, down, north, v);
        glm_ortho((float)-hw, (float)hw, (float)-hh, (float)hh, 0.1f, (float)(hi[2] - lo[2] + 2.0), p);
    } else if (obs->kind == VL_STAGE_VIEW_FRONT) {
        /* Far enough back from the nearest thing (the camera, usually) that
         * the whole width and height fit at that depth; the rest is further
         * and smaller. Slightly above the middle, looking at it; zoomed, at
         * 1 / zoom of that distance from the middle. */
        double d = fmax((hi[0] - lo[0]) / 2 / tan_x, (hi[2] - lo[2]) / 2 / tan_y) * margin;
        d = fmax(d, 1.0);
        vec3 eye = { centre[0], (float)(mid[1] - (mid[1] - lo[1] + d) / zoom),
                     (float)(mid[2] + 0.15 * d / zoom) };
        glm_lookat(eye, centre, up, v);
        glm_perspective((float)fovy, (float)aspect, 0.1f, (float)(d + 4 * radius + 50), p);
    } else if (obs->kind == VL_STAGE_VIEW_CAMERA) {
        /* 0.8 m behind the camera and 0.25 m above it along its own axes,
         * looking where it looks, its frame 1.6 times as wide fitted into
         * the image: the camera's picture and the wall around it. */
        vl_basis b = vl_basis_from_ptr(cam->pose.pan_deg, cam->pose.tilt_deg, cam->pose.roll_deg);
        vl_pose eye = cam->pose;
        double d = 0;
        for (int j = 0; j < 3; j++) {
            eye.pos[j] += -0.8 * b.forward[j] + 0.25 * b.up[j];
            d += (eye.pos[j] - mid[j]) * (eye.pos[j] - mid[j]);
        }
        vl_camera_view_matrix(&eye, (float *)v);
        double cam_tan_x = tan(cam->fov_h_deg * M_PI / 360.0);
        double cam_tan_y = cam_tan_x * cam->height / cam->width;
        double t = 1.6 * fmax(cam_tan_y, cam_tan_x / aspect) / zoom;
        glm_perspective((float)(2 * atan(t)), (float)aspect, 0.1f,
                        (float)(sqrt(d) + 4 * radius + 50), p);
    } else {
        /* From yaw/pitch around the middle, at the distance that fits the
         * box's bounding sphere in the narrower field of view. */
        double yaw = obs->yaw_deg * M_PI / 180;
        double pitch = fmin(fmax(obs->pitch_deg, -89.0), 89.0) * M_PI / 180;
        double dir[3] = { sin(yaw) * cos(pitch), -cos(yaw) * cos(pitch), sin(pitch) };
        double d = radius / sin(atan(fmin(tan_x, tan_y))) * 1.02 / zoom;
        vec3 eye;
        for (int j = 0; j < 3; j++)
            eye[j] = (float)(mid[j] + dir[j] * d);
        glm_lookat(eye, centre, up, v);
        glm_perspective((float)fovy, (float)aspect, 0.1f, (float)(d + 4 * radius + 50), p);
    }
    glm_mat4_mul(p, v, (vec4 *)vp);
}

/* The nearest t > 0 where origin + t dir meets a section facet (two
 * triangles each, Moller-Trumbore); INFINITY if none. */
static double ray_hit(const vl_stage *stage, const double o[3], const double d[3])
{
    static const int tri[2][3] = { { 0, 1, 2 }, { 0, 2, 3 } };
    double best = INFINITY;
    for (int i = 0; i < stage->n_sections; i++) {
        const vl_section *s = &stage->sections[i];
        for (int col = 0; col < s->cols; col++) {
            double c[4][3];
            facet_corners(s, col, c);
            for (int t = 0; t < 2; t++) {
                const double *a = c[tri[t][0]], *b = c[tri[t][1]], *e = c[tri[t][2]];
                double e1[3], e2[3], sv[3], pv[3], q[3];
                for (int j = 0; j < 3; j++) {
                    e1[j] = b[j] - a[j];
                    e2[j] = e[j] - a[j];
                    sv[j] = o[j] - a[j];
                }
                pv[0] = d[1] * e2[2] - d[2] * e2[1];
                pv[1] = d[2] * e2[0] - d[0] * e2[2];
                pv[2] = d[0] * e2[1] - d[1] * e2[0];
                double det = e1[0] * pv[0] + e1[1] * pv[1] + e1[2] * pv[2];
                if (fabs(det) < 1e-12)
                    continue;
                double u = (sv[0] * pv[0] + sv[1] * pv[1] + sv[2] * pv[2]) / det;
                q[0] = sv[1] * e1[2] - sv[2] * e1[1];
                q[1] = sv[2] * e1[0] - sv[0] * e1[2];
                q[2] = sv[0] * e1[1] - sv[1] * e1[0];
                double w = (d[0] * q[0] + d[1] * q[1] + d[2] * q[2]) / det;
                double dist = (e2[0] * q[0] + e2[1] * q[1] + e2[2] * q[2]) / det;
                if (u >= 0 && w >= 0 && u + w <= 1 && dist > 0 && dist < best)
                    best = dist;
            }
        }
    }
    return best;
}

/* An 0xRRGGBB colour at brightness f (0 .. 1); f = 1 gives rgb exactly. */
static unsigned dim(unsigned rgb, double f)
{
    unsigned out = 0;
    for (int shift = 0; shift < 24; shift += 8)
        out |= (unsigned)lround(((rgb >> shift) & 0xff) * f) << shift;
    return out;
}

/* Floor grid, section edges, the camera's corner rays and its path into
 * lines; the camera body into tris. */
static void build_geometry(const vl_stage *stage, const vl_stage_view_desc *desc,
                           vertex_list *lines, vertex_list *tris)
{
    const vl_camera *cam = desc->cam;
    double lo[3], hi[3];
    stage_extents(stage, cam, lo, hi);
    int x0 = (int)floor(lo[0]) - 2, x1 = (int)ceil(hi[0]) + 2;
    int y0 = (int)floor(lo[1]) - 2, y1 = (int)ceil(hi[1]) + 2;
    for (int x = x0; x <= x1; x++)
        push_line(lines, (double[3]){ x, y0, 0 }, (double[3]){ x, y1, 0 }, VL_STAGE_VIEW_GRID);
    for (int y = y0; y <= y1; y++)
        push_line(lines, (double[3]){ x0, y, 0 }, (double[3]){ x1, y, 0 }, VL_STAGE_VIEW_GRID);

    for (int i = 0; i < stage->n_sections; i++) {
        const vl_section *s = &stage->sections[i];
        for (int col = 0; col < s->cols; col++) {
            double c[4][3];
            facet_corners(s, col, c);
            push_line(lines, c[0], c[1], VL_STAGE_VIEW_EDGE);
            push_line(lines, c[3], c[2], VL_STAGE_VIEW_EDGE);
            if (col == 0)
                push_line(lines, c[0], c[3], VL_STAGE_VIEW_EDGE);
            if (col == s->cols - 1)
                push_line(lines, c[1], c[2], VL_STAGE_VIEW_EDGE);
        }
    }

    vl_basis b = vl_basis_from_ptr(cam->pose.pan_deg, cam->pose.tilt_deg, cam->pose.roll_deg);
    const double *pos = cam->pose.pos;
    double tan_x = tan(cam->fov_h_deg * M_PI / 360.0), tan_y = tan_x * cam->height / cam->width;
    for (int k = 0; k < 4; k++) {
        /* The image corner at NDC (+-1, +-1) is (ndc - shift) * tan off the axis. */
        double sx = ((k & 1) ? 1 : -1) - cam->shift[0], sy = ((k & 2) ? 1 : -1) - cam->shift[1];
        double d[3], end[3];
        for (int j = 0; j < 3; j++)
            d[j] = b.forward[j] + sx * tan_x * b.right[j] + sy * tan_y * b.up[j];
        double len = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        for (int j = 0; j < 3; j++)
            d[j] /= len;
        double t = fmin(ray_hit(stage, pos, d), RAY_MISS_M);
        for (int j = 0; j < 3; j++)
            end[j] = pos[j] + t * d[j];
        push_line(lines, pos, end, VL_STAGE_VIEW_RAY);
    }

    /* The path as segments, dimmer towards its oldest end. */
    for (int i = 1; desc->path && i < desc->n_path; i++)
        for (int k = i - 1; k <= i; k++) {
            double age = 1.0 - (double)k / (desc->n_path - 1);     /* 0 newest .. 1 oldest */
            push_vertex(lines, desc->path[k],
                        dim(VL_STAGE_VIEW_PATH, 1.0 - (1.0 - PATH_OLDEST) * age));
        }

    /* The body: a box around the camera's position, its lens face red.
     * Not from over its shoulder, where it would hide the frame's bottom. */
    if (desc->observer.kind == VL_STAGE_VIEW_CAMERA)
        return;
    const double half[3] = { 0.10, 0.15, 0.08 };     /* along right, forward, up */
    double corner[8][3];
    for (int k = 0; k < 8; k++) {
        double a = (k & 1) ? 1 : -1, f = (k & 2) ? 1 : -1, u = (k & 4) ? 1 : -1;
        for (int j = 0; j < 3; j++)
            corner[k][j] = pos[j] + a * half[0] * b.right[j] + f * half[1] * b.forward[j] +
                           u * half[2] * b.up[j];
    }
    /* Faces as corner quads; the one with all forward bits set is the lens. */
    static const int faces[6][4] = { { 2, 3, 7, 6 }, { 0, 1, 5, 4 }, { 0, 2, 6, 4 },
                                     { 1, 3, 7, 5 }, { 0, 1, 3, 2 }, { 4, 5, 7, 6 } };
    for (int f = 0; f < 6; f++) {
        unsigned rgb = f == 0 ? 0xd02020 : VL_STAGE_VIEW_BODY;
        static const int order[6] = { 0, 1, 2, 0, 2, 3 };
        for (int k = 0; k < 6; k++)
            push_vertex(tris, corner[faces[f][order[k]]], rgb);
    }
}

GLuint use_line_prog(vl_renderer *r, const float vp[16])
{
    if (!r->stage_line_prog)
        r->stage_line_prog = vl_gl_program("stage_line", vl_shader_stage_line_vert,
                                           vl_shader_stage_line_frag);
    GLuint prog = r->stage_line_prog;
    glUseProgram(prog);
    if (prog)
        glUniformMatrix4fv(glGetUniformLocation(prog, "u_vp"), 1, GL_FALSE, vp);
    return prog;
}

void draw_flat(vl_renderer *r, const vertex_list *l, GLenum mode)
{
    if (!l->n)
        return;
    if (!r->flat_vao) {
        glGenVertexArrays(1, &r->flat_vao);
        glGenBuffers(1, &r->flat_vbo);
        glBindVertexArray(r->flat_vao);
        glBindBuffer(GL_ARRAY_BUFFER, r->flat_vbo);
        glEnableVertexAttribArray(0);
        glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, sizeof(line_vertex),
                              (void *)offsetof(line_vertex, pos));
        glEnableVertexAttribArray(1);
        glVertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, sizeof(line_vertex),
                              (void *)offsetof(line_vertex, color));
    }
    glBindVertexArray(r->flat_vao);
    glBindBuffer(GL_ARRAY_BUFFER, r->flat_vbo);
    /* A fresh store each time: the driver need not wait for the last draw. */
    glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)((size_t)l->n * sizeof(*l->v)), l->v, GL_STREAM_DRAW);
    glDrawArrays(mode, 0, l->n);
    glBindVertexArray(0);
}

/* The renderer's clear colour is transparent black (see
 * vl_renderer_create); a window's pictures are opaque. */
void clear_opaque(unsigned rgb, GLbitfield mask)
{
    glClearColor((float)((rgb >> 16) & 0xff) / 255.0f, (float)((rgb >> 8) & 0xff) / 255.0f,
                 (float)(rgb & 0xff) / 255.0f, 1.0f);
    glClear(mask);
    glClearColor(0, 0, 0, 0);
}

void draw_stage_view(vl_renderer *r, const vl_stage_view_desc *d, int width, int height)
{
    /* Compiled on first use, kept until the renderer goes. */
    if (!r->stage_outline_prog)
        r->stage_outline_prog = vl_gl_program("stage_outline", vl_shader_stage_outline_vert,
                                              vl_shader_stage_outline_frag);
    GLuint outline_prog = r->stage_outline_prog;
    const vl_camera *cam = d->cam;
    float vp[16], cam_view[16], cam_proj[16], cam_vp[16];
    static const float identity[16] = { 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1 };
    vl_stage_view_matrix(r->stage, cam, &d->observer, width, height, vp);
    vl_camera_view_matrix(&cam->pose, cam_view);
    vl_camera_proj_matrix(cam, 1.0 + vl_camera_overscan(cam, r->stage->frustum.overscan), cam_proj);
    glm_mat4_mul((vec4 *)cam_proj, (vec4 *)cam_view, (vec4 *)cam_vp);

    clear_opaque(VL_STAGE_VIEW_BACKGROUND, GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
    glEnable(GL_DEPTH_TEST);

    /* The wall: what vl_renderer_camera_view films, from the observer. */
    draw_walls(r, vp, identity);

    /* The border over the same facets, pulled towards the observer so it
     * wins the depth test against the wall it lies on. */
    if (outline_prog) {
        glUseProgram(outline_prog);
        glUniformMatrix4fv(glGetUniformLocation(outline_prog, "u_vp"), 1, GL_FALSE, vp);
        glUniformMatrix4fv(glGetUniformLocation(outline_prog, "u_cam_vp"), 1, GL_FALSE, cam_vp);
        glUniform1f(glGetUniformLocation(outline_prog, "u_half_width"), OUTLINE_HALF_WIDTH_PX);
        const unsigned c = VL_STAGE_VIEW_OUTLINE;
        glUniform3f(glGetUniformLocation(outline_prog, "u_color"), (float)(c >> 16) / 255.0f,
                    (float)((c >> 8) & 0xff) / 255.0f, (float)(c & 0xff) / 255.0f);
        glEnable(GL_POLYGON_OFFSET_FILL);
        glPolygonOffset(-1.0f, -4.0f);
        for (int i = 0; i < r->stage->n_outputs; i++) {
            glBindVertexArray(r->outputs[i].vao);
            glDrawArrays(GL_TRIANGLES, 0, r->outputs[i].n_vertices);
        }
        glDisable(GL_POLYGON_OFFSET_FILL);
    }

    if (use_line_prog(r, vp)) {
        r->lines.n = r->tris.n = 0;
        build_geometry(r->stage, d, &r->lines, &r->tris);
        draw_flat(r, &r->tris, GL_TRIANGLES);
        draw_flat(r, &r->lines, GL_LINES);
    }
    glDisable(GL_DEPTH_TEST);
    glBindVertexArray(0);
    glUseProgram(0);
}

void vl_renderer_stage_view(vl_renderer *r, const vl_stage_view_desc *d, int width, int height,
                            uint8_t *rgba)
{
    if (!ensure_target(&r->view, width, height, true))
        return;
    vl_target_bind(&r->view);
    draw_stage_view(r, d, width, height);
    vl_gl_read_rgba(width, height, true, rgba);
    for (size_t i = 0; i < (size_t)width * height; i++)
        rgba[i * 4 + 3] = 255;
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
}
