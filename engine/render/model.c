/*
 * Model files through assimp. The whole model is flattened at load: node
 * transforms, the turn to stage axes and the placement are baked into one
 * vertex buffer, so drawing is one glDrawElements per mesh.
 */
#include "model.h"
#include "gl_util.h"
#include "shaders.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <assimp/cimport.h>
#include <assimp/material.h>
#include <assimp/postprocess.h>
#include <assimp/scene.h>
#include <jansson.h>
#include <stb/stb_image.h>

#define LOG "render/scene"

typedef struct model_vertex {
    float pos[3];
    float normal[3];
    float uv[2];
} model_vertex;

/* One assimp mesh: a run of the index buffer drawn with one material. */
typedef struct part {
    size_t first, count;
    unsigned material;
} part;

typedef struct material {
    float color[4];
    GLuint tex;                 /* 0: none, the white texture is bound */
    bool loaded;
} material;

struct vl_model {
    GLuint prog, vao, vbo, ebo, white;
    GLint u_view, u_proj, u_eye, u_color, u_tex;
    part *parts;
    int n_parts;
    material *materials;
    unsigned n_materials;
};

/* Geometry gathered on the CPU before the upload. */
typedef struct geometry {
    model_vertex *v;
    size_t nv;
    uint32_t *idx;
    size_t ni;
} geometry;

/* Model space to stage space: placement basis, scale and position. */
typedef struct transform {
    vl_basis basis;
    double scale;
    double pos[3];
} transform;

static transform transform_from(const vl_placement *place)
{
    transform t = { .basis = vl_basis_from_ptr(0, 0, 0), .scale = 1 };
    if (!place)
        return t;
    t.basis = vl_basis_from_ptr(place->pan_deg, place->tilt_deg, place->roll_deg);
    t.scale = place->scale != 0 ? place->scale : 1;
    memcpy(t.pos, place->pos, sizeof(t.pos));
    return t;
}

/* Model (x, y, z), Y up and front +Z, as components along the placement's
 * right, forward and up: (x, -z, y). A quarter turn about X, not a mirror,
 * so windings and normals stay right. */
static void to_stage_dir(const transform *t, const struct aiVector3D *v, double out[3])
{
    const double c[3] = { v->x, -v->z, v->y };
    vl_basis_apply(&t->basis, c, out);
}

static void to_stage_point(const transform *t, const struct aiVector3D *v, double out[3])
{
    double d[3];
    to_stage_dir(t, v, d);
    for (int i = 0; i < 3; i++)
        out[i] = t->pos[i] + t->scale * d[i];
}

/* Append a mesh's triangles (points and lines are skipped); returns how
 * many indices were added. */
static size_t append_mesh(geometry *g, const struct aiMesh *mesh, const transform *t)
{
    size_t base = g->nv;
    g->v = vl_xrealloc(g->v, (g->nv + mesh->mNumVertices) * sizeof(*g->v));
    for (unsigned i = 0; i < mesh->mNumVertices; i++) {
        model_vertex *v = &g->v[g->nv++];
        double p[3], n[3] = { 0, 0, 0 };
        to_stage_point(t, &mesh->mVertices[i], p);
        if (mesh->mNormals)
            to_stage_dir(t, &mesh->mNormals[i], n);
        for (int k = 0; k < 3; k++) {
            v->pos[k] = (float)p[k];
            v->normal[k] = (float)n[k];
        }
        /* assimp gives v up from the bottom of the image (its glTF reader
         * flips glTF's top-down v); images are uploaded top row first. */
        const struct aiVector3D *uv = mesh->mTextureCoords[0];
        v->uv[0] = uv ? uv[i].x : 0.0f;
        v->uv[1] = uv ? 1.0f - uv[i].y : 0.0f;
    }
    size_t added = 0;
    g->idx = vl_xrealloc(g->idx, (g->ni + (size_t)mesh->mNumFaces * 3) * sizeof(*g->idx));
    for (unsigned f = 0; f < mesh->mNumFaces; f++) {
        const struct aiFace *face = &mesh->mFaces[f];
        if (face->mNumIndices != 3)
            continue;
        bool valid = true;
        for (int k = 0; k < 3; k++)
            valid = valid && face->mIndices[k] < mesh->mNumVertices;
        if (!valid)
            continue;
        for (int k = 0; k < 3; k++)
            g->idx[g->ni++] = (uint32_t)(base + face->mIndices[k]);
        added += 3;
    }
    return added;
}

/* ---- textures ------------------------------------------------------------ */

/* An RGBA8 image, top row first, from stb (free with stbi_image_free). */
typedef struct image {
    unsigned char *rgba;
    int w, h;
} image;

static GLuint upload_texture(const image *img)
{
    GLint max = 0;
    glGetIntegerv(GL_MAX_TEXTURE_SIZE, &max);
    if (img->w > max || img->h > max)
        return 0;
    GLuint tex;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGBA8, img->w, img->h, 0, GL_RGBA, GL_UNSIGNED_BYTE,
                 img->rgba);
    glGenerateMipmap(GL_TEXTURE_2D);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR_MIPMAP_LINEAR);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
    /* glTF's default sampler repeats; OBJ textures expect it too. */
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_REPEAT);
    glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_REPEAT);
    glBindTexture(GL_TEXTURE_2D, 0);
    return tex;
}

/* The embedded texture a material refers to: "*N", or a file name that
 * matches an embedded texture's (as aiScene::GetEmbeddedTexture does). */
static const struct aiTexture *find_embedded(const struct aiScene *sc, const char *ref)
{
    if (ref[0] == '*') {
        char *end;
        errno = 0;
        unsigned long i = strtoul(ref + 1, &end, 10);
        bool ok = !errno && end != ref + 1 && !*end && i < sc->mNumTextures;
        return ok ? sc->mTextures[i] : NULL;
    }
    const char *base = strrchr(ref, '/') ? strrchr(ref, '/') + 1 : ref;
    for (unsigned i = 0; i < sc->mNumTextures; i++) {
        const char *name = sc->mTextures[i]->mFilename.data;
        const char *nb = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
        if (*nb && !strcmp(nb, base))
            return sc->mTextures[i];
    }
    return NULL;
}

/* Decode an embedded texture: compressed (mHeight 0: PNG, JPEG bytes) or
 * raw BGRA texels. */
static bool decode_embedded(const struct aiTexture *t, image *img)
{
    int n;
    if (t->mHeight == 0) {
        if (t->mWidth > INT_MAX)
            return false;
        img->rgba = stbi_load_from_memory((const stbi_uc *)t->pcData, (int)t->mWidth,
                                          &img->w, &img->h, &n, 4);
        return img->rgba != NULL;
    }
    if (t->mWidth > 65536 || t->mHeight > 65536)
        return false;
    size_t count = (size_t)t->mWidth * t->mHeight;
    img->w = (int)t->mWidth;
    img->h = (int)t->mHeight;
    /* malloc, not vl_xmalloc: it is freed with stbi_image_free (free). */
    img->rgba = malloc(count * 4);
    if (!img->rgba)
        return false;
    for (size_t i = 0; i < count; i++) {
        const struct aiTexel *p = &t->pcData[i];
        const unsigned char px[4] = { p->r, p->g, p->b, p->a };
        memcpy(img->rgba + i * 4, px, 4);
    }
    return true;
}

/* The GL texture for reference `ref` of the model at `path`; 0 with one
 * warning when it cannot be had. A file reference written on Windows
 * (an OBJ's "map_Kd textures\wood.png") has its backslashes made slashes. */
static GLuint load_texture(const struct aiScene *sc, const char *path, const char *ref_in)
{
    image img = { 0 };
    char file[4096], ref[1024];
    snprintf(ref, sizeof(ref), "%s", ref_in);
    for (char *c = ref; *c; c++)
        *c = *c == '\\' ? '/' : *c;
    const struct aiTexture *emb = find_embedded(sc, ref);
    const char *what = ref;
    if (emb) {
        if (!decode_embedded(emb, &img)) {
            VL_WARN(LOG, "model '%s': cannot decode embedded texture '%s' (%s); using the "
                    "plain base colour", path, ref, stbi_failure_reason());
            return 0;
        }
    } else {
        const char *slash = strrchr(path, '/');
        int dir_len = slash ? (int)(slash - path + 1) : 0;
        snprintf(file, sizeof(file), "%.*s%s", ref[0] == '/' ? 0 : dir_len, path, ref);
        what = file;
        img.rgba = stbi_load(file, &img.w, &img.h, &(int){ 0 }, 4);
        if (!img.rgba) {
            const char *why = access(file, R_OK) != 0 ? strerror(errno) : stbi_failure_reason();
            VL_WARN(LOG, "model '%s': cannot read texture '%s' (%s); using the plain base "
                    "colour", path, file, why);
            return 0;
        }
    }
    GLuint tex = upload_texture(&img);
    if (!tex)
        VL_WARN(LOG, "model '%s': texture '%s' is %dx%d, more than this GL can hold; using "
                "the plain base colour", path, what, img.w, img.h);
    stbi_image_free(img.rgba);
    return tex;
}

/* Base colour and texture of material i, read once, when a mesh uses it. */
static void load_material(vl_model *m, const struct aiScene *sc, const char *path, unsigned i)
{
    material *mat = &m->materials[i];
    if (mat->loaded)
        return;
    mat->loaded = true;
    const struct aiMaterial *am = sc->mMaterials[i];
    struct aiColor4D c;
    if (aiGetMaterialColor(am, AI_MATKEY_BASE_COLOR, &c) != aiReturn_SUCCESS &&
        aiGetMaterialColor(am, AI_MATKEY_COLOR_DIFFUSE, &c) != aiReturn_SUCCESS)
        c = (struct aiColor4D){ 1, 1, 1, 1 };
    const float color[4] = { c.r, c.g, c.b, c.a };
    memcpy(mat->color, color, sizeof(color));

    struct aiString ref;
    if (aiGetMaterialTexture(am, aiTextureType_BASE_COLOR, 0, &ref, NULL, NULL, NULL, NULL,
                             NULL, NULL) == aiReturn_SUCCESS ||
        aiGetMaterialTexture(am, aiTextureType_DIFFUSE, 0, &ref, NULL, NULL, NULL, NULL,
                             NULL, NULL) == aiReturn_SUCCESS)
        mat->tex = load_texture(sc, path, ref.data);
}

/* ---- what a glTF file asks for that volym does not do -------------------- */

/* What volym does instead, for the glTF extensions it is most often given;
 * any other is ignored too. */
static const struct { const char *name, *instead; } extension_notes[] = {
    { "KHR_draco_mesh_compression", "its compressed meshes cannot be read" },
    { "KHR_texture_basisu", "its KTX2 textures cannot be read: plain base colours" },
    { "KHR_texture_transform", "texture offsets, scales and turns are ignored" },
    { "KHR_materials_variants", "only the default materials are shown" },
    { "KHR_lights_punctual", "its lights are ignored: a fixed light" },
};

/* The JSON of a .gltf, or of a .glb's first chunk; NULL when it is neither
 * (assimp then says what is wrong). */
static json_t *gltf_json(const char *path)
{
    size_t len, n = strlen(path);
    bool glb = n > 4 && !strcasecmp(path + n - 4, ".glb");
    if (!glb && !(n > 5 && !strcasecmp(path + n - 5, ".gltf")))
        return NULL;
    char *data = vl_read_file(path, &len);
    json_t *root = NULL;
    uint32_t chunk = 0;
    if (glb && data && len >= 20 && !memcmp(data, "glTF", 4) && !memcmp(data + 16, "JSON", 4))
        memcpy(&chunk, data + 12, 4);     /* little-endian, as the file */
    if (!glb && data)
        root = json_loadb(data, len, 0, NULL);
    else if (chunk && chunk <= len - 20)
        root = json_loadb(data + 20, chunk, 0, NULL);
    free(data);
    return root;
}

static bool holds(const json_t *names, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(names, i, e)
        if (json_is_string(e) && !strcmp(json_string_value(e), name))
            return true;
    return false;
}

/* One warning for each glTF extension the file uses or requires (all are
 * beyond volym's base colour, texture and fixed light) and for skins and
 * animations, which the flattened model cannot play. */
static void warn_unsupported(const char *path)
{
    json_t *root = gltf_json(path);
    if (!json_is_object(root)) {
        json_decref(root);
        return;
    }
    json_t *lists[2] = { json_object_get(root, "extensionsUsed"),
                         json_object_get(root, "extensionsRequired") };
    for (int l = 0; l < 2; l++) {
        size_t i;
        json_t *e;
        json_array_foreach(lists[l], i, e) {
            const char *name = json_string_value(e), *instead = "ignored";
            if (!name || (l == 1 && holds(lists[0], name)))    /* said already */
                continue;
            for (size_t j = 0; j < sizeof(extension_notes) / sizeof(extension_notes[0]); j++)
                if (!strcmp(extension_notes[j].name, name))
                    instead = extension_notes[j].instead;
            VL_WARN(LOG, "model '%s' %s glTF extension %s, which volym does not support: %s",
                    path, l == 1 || holds(lists[1], name) ? "requires" : "uses", name, instead);
        }
    }
    if (json_array_size(json_object_get(root, "skins")))
        VL_WARN(LOG, "model '%s' has skins: volym does not skin, the meshes stand as modelled",
                path);
    if (json_array_size(json_object_get(root, "animations")))
        VL_WARN(LOG, "model '%s' has animations: volym does not play them, the model stands still",
                path);
    json_decref(root);
}

/* ---- loading ------------------------------------------------------------- */

static void upload_geometry(vl_model *m, const geometry *g)
{
    glGenVertexArrays(1, &m->vao);
    glGenBuffers(1, &m->vbo);
    glGenBuffers(1, &m->ebo);
    glBindVertexArray(m->vao);
    glBindBuffer(GL_ARRAY_BUFFER, m->vbo);
    glBufferData(GL_ARRAY_BUFFER, (GLsizeiptr)(g->nv * sizeof(*g->v)), g->v, GL_STATIC_DRAW);
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, m->ebo);
    glBufferData(GL_ELEMENT_ARRAY_BUFFER, (GLsizeiptr)(g->ni * sizeof(*g->idx)), g->idx,
                 GL_STATIC_DRAW);
    const GLsizei stride = sizeof(model_vertex);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 3, GL_FLOAT, GL_FALSE, stride, (void *)offsetof(model_vertex, pos));
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 3, GL_FLOAT, GL_FALSE, stride,
                          (void *)offsetof(model_vertex, normal));
    glEnableVertexAttribArray(2);
    glVertexAttribPointer(2, 2, GL_FLOAT, GL_FALSE, stride, (void *)offsetof(model_vertex, uv));
    glBindVertexArray(0);
}

static bool make_program(vl_model *m)
{
    m->prog = vl_gl_program("model", vl_shader_model_vert, vl_shader_model_frag);
    if (!m->prog)
        return false;
    m->u_view = glGetUniformLocation(m->prog, "u_view");
    m->u_proj = glGetUniformLocation(m->prog, "u_proj");
    m->u_eye = glGetUniformLocation(m->prog, "u_eye");
    m->u_color = glGetUniformLocation(m->prog, "u_color");
    m->u_tex = glGetUniformLocation(m->prog, "u_tex");
    /* Bound for untextured materials, so one shader serves both. */
    const image white = { (unsigned char[]){ 255, 255, 255, 255 }, 1, 1 };
    m->white = upload_texture(&white);
    return m->white != 0;
}

/* Every mesh's triangles into g and m->parts, their materials loaded. */
static void gather(vl_model *m, const struct aiScene *sc, const char *path,
                   const vl_placement *place, geometry *g)
{
    transform t = transform_from(place);
    m->n_materials = sc->mNumMaterials;
    m->materials = vl_xcalloc(m->n_materials ? m->n_materials : 1, sizeof(*m->materials));
    m->parts = vl_xcalloc(sc->mNumMeshes ? sc->mNumMeshes : 1, sizeof(*m->parts));
    for (unsigned i = 0; i < sc->mNumMeshes; i++) {
        const struct aiMesh *mesh = sc->mMeshes[i];
        size_t first = g->ni, count = append_mesh(g, mesh, &t);
        if (!count || mesh->mMaterialIndex >= m->n_materials)
            continue;
        load_material(m, sc, path, mesh->mMaterialIndex);
        m->parts[m->n_parts++] = (part){ first, count, mesh->mMaterialIndex };
    }
}

vl_model *vl_model_load(const char *path, const vl_placement *place)
{
    if (access(path, R_OK) != 0) {
        VL_ERR(LOG, "cannot read model '%s': %s", path, strerror(errno));
        return NULL;
    }
    warn_unsupported(path);
    /* ValidateDataStructure rejects out-of-range indices in corrupt files;
     * PreTransformVertices bakes the node hierarchy into the meshes. */
    const struct aiScene *sc = aiImportFile(path, aiProcess_Triangulate |
                                            aiProcess_GenSmoothNormals |
                                            aiProcess_PreTransformVertices |
                                            aiProcess_JoinIdenticalVertices |
                                            aiProcess_ValidateDataStructure);
    if (!sc) {
        VL_ERR(LOG, "cannot load model '%s': %s", path, aiGetErrorString());
        return NULL;
    }
    vl_model *m = vl_xcalloc(1, sizeof(*m));
    geometry g = { 0 };
    if (!make_program(m))
        goto fail;
    gather(m, sc, path, place, &g);
    if (!m->n_parts) {
        VL_ERR(LOG, "model '%s' has no triangles to draw", path);
        goto fail;
    }
    if (g.ni > INT_MAX || g.nv > UINT32_MAX) {
        VL_ERR(LOG, "model '%s' is too big: %zu vertices, %zu indices", path, g.nv, g.ni);
        goto fail;
    }
    upload_geometry(m, &g);
    free(g.v);
    free(g.idx);
    aiReleaseImport(sc);
    return m;

fail:
    free(g.v);
    free(g.idx);
    aiReleaseImport(sc);
    vl_model_destroy(m);
    return NULL;
}

void vl_model_destroy(vl_model *m)
{
    if (!m)
        return;
    for (unsigned i = 0; m->materials && i < m->n_materials; i++)
        glDeleteTextures(1, &m->materials[i].tex);
    glDeleteTextures(1, &m->white);
    glDeleteBuffers(1, &m->vbo);
    glDeleteBuffers(1, &m->ebo);
    glDeleteVertexArrays(1, &m->vao);
    glDeleteProgram(m->prog);
    free(m->materials);
    free(m->parts);
    free(m);
}

void vl_model_draw(const vl_model *m, const float view[16], const float proj[16],
                   const float eye[3])
{
    glEnable(GL_DEPTH_TEST);
    glDepthMask(GL_TRUE);
    glUseProgram(m->prog);
    glUniformMatrix4fv(m->u_view, 1, GL_FALSE, view);
    glUniformMatrix4fv(m->u_proj, 1, GL_FALSE, proj);
    glUniform3fv(m->u_eye, 1, eye);
    glUniform1i(m->u_tex, 0);
    glActiveTexture(GL_TEXTURE0);
    glBindVertexArray(m->vao);
    for (int i = 0; i < m->n_parts; i++) {
        const part *p = &m->parts[i];
        const material *mat = &m->materials[p->material];
        glUniform4fv(m->u_color, 1, mat->color);
        glBindTexture(GL_TEXTURE_2D, mat->tex ? mat->tex : m->white);
        glDrawElements(GL_TRIANGLES, (GLsizei)p->count, GL_UNSIGNED_INT,
                       (void *)(p->first * sizeof(uint32_t)));
    }
    glBindVertexArray(0);
    glBindTexture(GL_TEXTURE_2D, 0);
}
