/*
 * Internal to render/: a decoded plate frame on the GPU. The frame's planes
 * are uploaded as they are (YUV planes as one texture each, an alpha plane
 * too, RGB(A) as one texture, 10-bit and up at 16 bits) through a ring of
 * pixel buffer objects, and converted to RGB in the fragment shader with
 * the stream's matrix (BT.601/709/2020; untagged: guessed from the size, as
 * mpv does) and range. The frame's display matrix (AV_FRAME_DATA_DISPLAYMATRIX,
 * a phone clip's turn) is applied when sampling, to the nearest quarter
 * turn or mirror. shaders/plate.glsl declares
 *
 *     vec4 plate_sample_rgba(vec2 uv);  // uv (0,0) = top-left of the picture
 *     vec3 plate_sample(vec2 uv);       // as shown (turned); straight alpha
 *
 * and the uniforms vl_plate_tex_bind sets. Until a frame has been uploaded
 * (no media, a file that did not open) plate_sample draws a fallback
 * pattern that nobody mistakes for a picture.
 */
#ifndef VL_PLATE_TEX_H
#define VL_PLATE_TEX_H

#include <GL/glew.h>
#include <stdbool.h>

struct AVFrame;

typedef struct vl_plate_tex vl_plate_tex;

vl_plate_tex *vl_plate_tex_create(void);
void vl_plate_tex_destroy(vl_plate_tex *t);

/* Upload a decoded frame. Formats the shader converts are uploaded plane
 * by plane without touching a pixel on the CPU; anything else is converted
 * once per frame with libswscale to RGB, dropping any alpha (logged once).
 * A guessed matrix and a new turn are logged once too. False, with one
 * message, when the frame cannot be shown; the previous picture stays. */
bool vl_plate_tex_upload(vl_plate_tex *t, const struct AVFrame *f);

/* Whether frames of this AVPixelFormat go to the GPU as they are (no
 * libswscale). */
bool vl_plate_tex_is_direct(int format);

/* The plate.glsl variant the current picture needs: programs that sample
 * it are built with "#define PLATE_LAYOUT n" before plate.glsl (0: the
 * fallback pattern; 1 packed RGB(A); 2 NV12-like; 3 one plane per component;
 * 4 the same and an alpha plane).
 * It changes only with the stream's pixel format. */
int vl_plate_tex_layout(const vl_plate_tex *t);

/* The picture's display aspect (width / height, sample aspect applied,
 * turned by its display matrix); 16/9 before the first frame. */
double vl_plate_tex_aspect(const vl_plate_tex *t);

/* Whether the current picture has alpha (plate_sample_rgba's is 1 if not). */
bool vl_plate_tex_has_alpha(const vl_plate_tex *t);

/* Bind the plate's textures to texture units first_unit, first_unit + 1,
 * ... (at most 4) and set plate.glsl's uniforms in `prog`, which must be
 * in use (glUseProgram). */
void vl_plate_tex_bind(const vl_plate_tex *t, GLuint prog, int first_unit);

/* Shaders that sample a plate are built with vl_gl_program_parts from
 * "#version 330 core\n#define PLATE_LAYOUT n\n", then vl_shader_plate_glsl
 * (shaders.h), then their own body. */

#endif
