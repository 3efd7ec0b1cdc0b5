/*
 * Internal to render/: a model file (glTF 2.0 .gltf/.glb, OBJ, anything
 * assimp reads) loaded into GL buffers in stage space, drawn lit.
 */
#ifndef VL_MODEL_H
#define VL_MODEL_H

#include "render.h"

typedef struct vl_model vl_model;

/* Load the model at `path` with assimp. Its axes are glTF's (Y up, metres,
 * front +Z) and are turned to stage axes: model (x, y, z) is stage
 * (x, -z, y), so the front faces -Y, towards the stage origin. Then it is
 * scaled, turned and moved by `place` (NULL: scale 1 at the origin); model
 * right, front-to-back and up follow the placement basis' right, forward
 * and up. Everything is baked into the vertices.
 *
 * Each mesh gets its material's base colour (glTF baseColorFactor, else
 * the diffuse colour, else white) times its base-colour texture: embedded
 * ("*N", .glb and data: URIs) or a file relative to the model's folder. A
 * texture that cannot be read is one warning; the plain colour is used.
 *
 * Returns NULL with one logged message naming the file when it cannot be
 * read or holds no triangles. Needs the current GL context. The caller
 * owns the result: vl_model_destroy. */
vl_model *vl_model_load(const char *path, const vl_placement *place);

/* Accepts NULL and a half-built model. */
void vl_model_destroy(vl_model *m);

/* Draw the geometry into the bound framebuffer with the depth test on:
 * base colour x texture, lit by one directional light plus ambient, alpha 1.
 * Faces are two-sided: a face is lit on the side that `eye` sees. */
void vl_model_draw(const vl_model *m, const float view[16], const float proj[16],
                   const float eye[3]);

#endif
