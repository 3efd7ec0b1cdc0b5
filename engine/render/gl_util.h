/* Internal to render/: small GL helpers shared by the scene and pass code. */
#ifndef VL_GL_UTIL_H
#define VL_GL_UTIL_H

#include <GL/glew.h>
#include <stdbool.h>

/* Compile and link a program. Returns 0 and logs the GLSL log on failure. */
GLuint vl_gl_program(const char *name, const char *vert, const char *frag);

/* The same with the fragment shader made of n parts compiled as one (the
 * first holds the #version line): shared GLSL such as plate.glsl first. */
GLuint vl_gl_program_parts(const char *name, const char *vert, const char *const *frag, int n);

/* A colour texture (RGBA8, linear filtering, clamped) with a framebuffer
 * and, when depth is true, a depth renderbuffer. */
typedef struct vl_target {
    int width, height;
    GLuint tex, fbo, depth;
} vl_target;

bool vl_target_init(vl_target *t, int width, int height, bool depth);
void vl_target_free(vl_target *t);
void vl_target_bind(const vl_target *t);

/* Read the bound framebuffer's w x h RGBA pixels into rgba; flip makes
 * row 0 the top of the picture (GL reads bottom-up). */
void vl_gl_read_rgba(int w, int h, bool flip, unsigned char *rgba);

/* For sky.vert: the inverse of proj x (view without its translation), which
 * turns a pixel into its stage direction. */
void vl_sky_matrix(const float view[16], const float proj[16], float inv[16]);

/* An empty VAO for attribute-less full-screen triangles. */
GLuint vl_gl_empty_vao(void);

#endif
