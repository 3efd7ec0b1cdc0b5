/*
 * Model scenes: small glTF, GLB and OBJ files written here, filmed from a
 * known camera, checked where their pixels land and what colour they are.
 * The textured quad's four coloured quadrants prove the texture's
 * orientation and the turn from the model's Y-up axes to stage axes; the
 * placement checks measure positions and sizes against the pinhole sum;
 * bad files must give NULL and one message naming them.
 */
#include "check.h"
#include "render/gl_util.h"
#include "render/render.h"
#include "stage/stage.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <stb/stb_image_write.h>

#define W 320
#define H 240
#define FOV_DEG 40.0
#define EYE_Z 1.5

/* The camera stands at (0, 0, 1.5) looking along +Y: pixels per metre at
 * distance d is FOCAL / d. */
#define FOCAL (W / 2 / tan(FOV_DEG * M_PI / 360.0))

static char dir[256];
static vl_target target;

/* ---- writing the files ---------------------------------------------------- */

static void write_file(const char *name, const void *data, size_t len, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(fwrite(data, 1, len, f) == len);
    fclose(f);
}

/* quad.png: 64x64 in four quadrants, top-left red, top-right green,
 * bottom-left blue, bottom-right yellow. */
static void write_quadrant_png(void)
{
    static uint8_t rgb[64 * 64 * 3];
    static const uint8_t colors[4][3] = { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 },
                                          { 255, 255, 0 } };
    for (int y = 0; y < 64; y++)
        for (int x = 0; x < 64; x++)
            memcpy(rgb + (y * 64 + x) * 3, colors[(y >= 32) * 2 + (x >= 32)], 3);
    char path[512];
    snprintf(path, sizeof(path), "%s/quad.png", dir);
    CHECK(stbi_write_png(path, 64, 64, 3, rgb, 64 * 3));
}

/* The quad's buffer: a 1 m square in the model's XY plane facing +Z (the
 * glTF front), centred on the origin. Positions at 0, normals at 48, uvs
 * at 96 (glTF's: (0,0) is the image's top-left), 16-bit indices at 128. */
enum { QUAD_BIN = 140, QUAD_BIN_PADDED = 144 };

static void quad_bin(uint8_t *out)
{
    const float pos[12] = { -0.5f, -0.5f, 0, 0.5f, -0.5f, 0, 0.5f, 0.5f, 0, -0.5f, 0.5f, 0 };
    const float nrm[12] = { 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1 };
    const float uv[8] = { 0, 1, 1, 1, 1, 0, 0, 0 };
    const uint16_t idx[8] = { 0, 1, 2, 0, 2, 3, 0, 0 };
    memcpy(out, pos, 48);
    memcpy(out + 48, nrm, 48);
    memcpy(out + 96, uv, 32);
    memcpy(out + 128, idx, 16);
}

static void base64(const uint8_t *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        *out++ = tab[v >> 18 & 63];
        *out++ = tab[v >> 12 & 63];
        *out++ = i + 1 < n ? tab[v >> 6 & 63] : '=';
        *out++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *out = '\0';
}

/* What a quad file holds besides the geometry. */
typedef struct quad_desc {
    float color[3];             /* baseColorFactor */
    const char *image_uri;      /* a texture file next to the model, or NULL */
    size_t glb_png_len;         /* > 0: the texture is this many PNG bytes in the GLB */
    const char *extra;          /* more top-level JSON members, each with a comma after */
} quad_desc;

/* The glTF JSON of the quad. A .gltf carries its buffer as a data: URI; a
 * .glb (buffer_uri NULL) has it in the bin chunk: geometry, then the PNG.
 * Accessor 4, the uvs read as 4 floats, serves an animation as key times. */
static void quad_json(const quad_desc *q, const char *buffer_uri, char *out, size_t n)
{
    bool textured = q->image_uri || q->glb_png_len;
    char image[256] = "", png_view[128] = "", uri[1024] = "";
    if (q->image_uri)
        snprintf(image, sizeof(image), "\"images\":[{\"uri\":\"%s\"}],", q->image_uri);
    else if (q->glb_png_len)
        snprintf(image, sizeof(image), "\"images\":[{\"bufferView\":4,"
                 "\"mimeType\":\"image/png\"}],");
    if (q->glb_png_len)
        snprintf(png_view, sizeof(png_view), ",{\"buffer\":0,\"byteOffset\":%d,"
                 "\"byteLength\":%zu}", QUAD_BIN_PADDED, q->glb_png_len);
    if (buffer_uri)
        snprintf(uri, sizeof(uri), ",\"uri\":\"%s\"", buffer_uri);
    size_t buffer_len = q->glb_png_len ? QUAD_BIN_PADDED + q->glb_png_len : QUAD_BIN;
    snprintf(out, n,
        "{\"asset\":{\"version\":\"2.0\"},%s\"scene\":0,\"scenes\":[{\"nodes\":[0]}],"
        "\"nodes\":[{\"mesh\":0}],"
        "\"meshes\":[{\"primitives\":[{\"attributes\":{\"POSITION\":0,\"NORMAL\":1,"
        "\"TEXCOORD_0\":2},\"indices\":3,\"material\":0}]}],"
        "\"materials\":[{\"pbrMetallicRoughness\":{\"baseColorFactor\":[%g,%g,%g,1]%s}}],"
        "%s%s"
        "\"buffers\":[{\"byteLength\":%zu%s}],"
        "\"bufferViews\":[{\"buffer\":0,\"byteOffset\":0,\"byteLength\":48},"
        "{\"buffer\":0,\"byteOffset\":48,\"byteLength\":48},"
        "{\"buffer\":0,\"byteOffset\":96,\"byteLength\":32},"
        "{\"buffer\":0,\"byteOffset\":128,\"byteLength\":12}%s],"
        "\"accessors\":[{\"bufferView\":0,\"componentType\":5126,\"count\":4,\"type\":\"VEC3\","
        "\"min\":[-0.5,-0.5,0],\"max\":[0.5,0.5,0]},"
        "{\"bufferView\":1,\"componentType\":5126,\"count\":4,\"type\":\"VEC3\"},"
        "{\"bufferView\":2,\"componentType\":5126,\"count\":4,\"type\":\"VEC2\"},"
        "{\"bufferView\":3,\"componentType\":5123,\"count\":6,\"type\":\"SCALAR\"},"
        "{\"bufferView\":2,\"componentType\":5126,\"count\":4,\"type\":\"SCALAR\"}]}",
        q->extra ? q->extra : "", q->color[0], q->color[1], q->color[2],
        textured ? ",\"baseColorTexture\":{\"index\":0}" : "",
        textured ? "\"textures\":[{\"source\":0}]," : "", image,
        buffer_len, uri, png_view);
}

static void write_gltf(const char *name, const quad_desc *q, char *path, size_t n)
{
    uint8_t bin[QUAD_BIN_PADDED];
    quad_bin(bin);
    char b64[256], uri[512], json[4096];
    base64(bin, QUAD_BIN, b64);
    snprintf(uri, sizeof(uri), "data:application/octet-stream;base64,%s", b64);
    quad_json(q, uri, json, sizeof(json));
    write_file(name, json, strlen(json), path, n);
}

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* quad.glb with quad.png inside and `extra` JSON members (or NULL); *len
 * gets the file size. The caller frees. */
static uint8_t *make_glb(const char *extra, size_t *len)
{
    char png_path[512];
    snprintf(png_path, sizeof(png_path), "%s/quad.png", dir);
    size_t png_len;
    char *png = vl_read_file(png_path, &png_len);
    CHECK(png != NULL);
    if (!png)
        return NULL;
    quad_desc q = { { 1, 1, 1 }, NULL, png_len, extra };
    char json[4096];
    quad_json(&q, NULL, json, sizeof(json));
    size_t json_len = (strlen(json) + 3) & ~(size_t)3;
    size_t bin_len = (QUAD_BIN_PADDED + png_len + 3) & ~(size_t)3;
    *len = 12 + 8 + json_len + 8 + bin_len;
    uint8_t *glb = calloc(1, *len);
    memcpy(glb, "glTF", 4);
    put_u32(glb + 4, 2);
    put_u32(glb + 8, (uint32_t)*len);
    put_u32(glb + 12, (uint32_t)json_len);
    memcpy(glb + 16, "JSON", 4);
    memset(glb + 20, ' ', json_len);
    memcpy(glb + 20, json, strlen(json));
    uint8_t *bin = glb + 20 + json_len;
    put_u32(bin, (uint32_t)bin_len);
    memcpy(bin + 4, "BIN\0", 4);
    quad_bin(bin + 8);
    memcpy(bin + 8 + QUAD_BIN_PADDED, png, png_len);
    free(png);
    return glb;
}

/* An OBJ in the same Y-up axes: a green quad (Kd) left of the model's
 * origin and a textured one (map_Kd) right of it. OBJ's v counts up from
 * the bottom of the image. windows: as written on Windows, the texture in
 * a folder named with a backslash (map_Kd textures\quad.png). */
static void write_obj(bool windows, char *path, size_t n)
{
    char mtl[256];
    snprintf(mtl, sizeof(mtl), "newmtl green\nKd 0 0.8 0\n\nnewmtl tex\nKd 1 1 1\nmap_Kd %s\n",
             windows ? "textures\\quad.png" : "quad.png");
    char obj[1024];
    snprintf(obj, sizeof(obj),
        "mtllib %s\n"
        "v -1.5 -0.5 0\nv -0.5 -0.5 0\nv -0.5 0.5 0\nv -1.5 0.5 0\n"
        "v 0.5 -0.5 0\nv 1.5 -0.5 0\nv 1.5 0.5 0\nv 0.5 0.5 0\n"
        "vt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n"
        "vn 0 0 1\n"
        "o green\nusemtl green\nf 1/1/1 2/2/1 3/3/1 4/4/1\n"
        "o tex\nusemtl tex\nf 5/1/1 6/2/1 7/3/1 8/4/1\n", windows ? "win.mtl" : "quads.mtl");
    char mtl_path[512];
    write_file(windows ? "win.mtl" : "quads.mtl", mtl, strlen(mtl), mtl_path, sizeof(mtl_path));
    write_file(windows ? "win.obj" : "quads.obj", obj, strlen(obj), path, n);
}

/* ---- filming ------------------------------------------------------------- */

/* The scene from the test camera into rgba (top row first), on a
 * background cleared to alpha 0. */
static void film(vl_scene *s, bool sky, uint8_t *rgba)
{
    vl_camera cam = { .pose = { { 0, 0, EYE_Z }, 0, 0, 0 }, .fov_h_deg = FOV_DEG,
                      .width = W, .height = H };
    float view[16], proj[16], eye[3] = { 0, 0, EYE_Z };
    vl_camera_view_matrix(&cam.pose, view);
    vl_camera_proj_matrix(&cam, 1.0, proj);
    vl_target_bind(&target);
    glClearColor(0, 0, 0, 0);
    glClear(GL_COLOR_BUFFER_BIT | GL_DEPTH_BUFFER_BIT);
    vl_scene_draw(s, view, proj, eye, 0, sky);
    vl_gl_read_rgba(W, H, true, rgba);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glClearColor(0, 0, 0, 1);
}

/* Load `path` placed by `place` and film it without sky; false if it did
 * not load. */
static bool film_file(const char *path, const vl_placement *place, uint8_t *rgba)
{
    vl_scene *s = vl_scene_create(path, place);
    CHECK(s != NULL);
    if (!s)
        return false;
    CHECK(!vl_scene_animated(s));
    film(s, false, rgba);
    vl_scene_destroy(s);
    return true;
}

static const uint8_t *px(const uint8_t *img, int x, int y)
{
    return img + ((size_t)y * W + x) * 4;
}

/* Each channel lit full (> 150) or dark (< 50) as r, g, b (1 or 0) say. */
static bool looks(const uint8_t *p, int r, int g, int b)
{
    const int want[3] = { r, g, b };
    for (int c = 0; c < 3; c++)
        if (want[c] ? p[c] <= 150 : p[c] >= 50)
            return false;
    return p[3] == 255;
}

/* The bounding box of the geometry's pixels (alpha 255), inclusive. */
typedef struct box {
    int x0, y0, x1, y1;
    long n;
} box;

static box covered(const uint8_t *img, int x_from, int x_to)
{
    box b = { W, H, -1, -1, 0 };
    for (int y = 0; y < H; y++)
        for (int x = x_from; x < x_to; x++) {
            if (px(img, x, y)[3] != 255)
                continue;
            b.n++;
            b.x0 = x < b.x0 ? x : b.x0;
            b.x1 = x > b.x1 ? x : b.x1;
            b.y0 = y < b.y0 ? y : b.y0;
            b.y1 = y > b.y1 ? y : b.y1;
        }
    return b;
}

/* A square of side `size` facing the camera at stage (x, d, z): its
 * expected box. */
static void check_square_at(box b, double x, double d, double z, double size)
{
    double cx = W / 2.0 + FOCAL * x / d, cy = H / 2.0 - FOCAL * (z - EYE_Z) / d;
    double half = FOCAL * size / 2 / d;
    CHECK_NEAR((b.x0 + b.x1 + 1) / 2.0, cx, 1.0);
    CHECK_NEAR((b.y0 + b.y1 + 1) / 2.0, cy, 1.0);
    CHECK_NEAR(b.x1 - b.x0 + 1, 2 * half, 2.0);
    CHECK_NEAR(b.y1 - b.y0 + 1, 2 * half, 2.0);
}

/* The four texture quadrants in the four quarters of box b, as in the PNG:
 * seen from the model's front, its top-left is on screen top-left. */
static void check_quadrants(const uint8_t *img, box b)
{
    int qx = (b.x1 - b.x0) / 4, qy = (b.y1 - b.y0) / 4;
    CHECK(looks(px(img, b.x0 + qx, b.y0 + qy), 1, 0, 0));
    CHECK(looks(px(img, b.x1 - qx, b.y0 + qy), 0, 1, 0));
    CHECK(looks(px(img, b.x0 + qx, b.y1 - qy), 0, 0, 1));
    CHECK(looks(px(img, b.x1 - qx, b.y1 - qy), 1, 1, 0));
}

/* ---- the checks ---------------------------------------------------------- */

/* 1, 2: the textured quad as .gltf (external PNG, data: buffer) and as
 * .glb (PNG embedded): 3 m ahead at eye height, same picture. */
static void test_gltf_and_glb(uint8_t *a, uint8_t *b)
{
    char path[512];
    quad_desc q = { { 1, 1, 1 }, "quad.png", 0, NULL };
    write_gltf("quad.gltf", &q, path, sizeof(path));
    vl_placement place = { .pos = { 0, 3, EYE_Z } };
    if (!film_file(path, &place, a))
        return;
    box bx = covered(a, 0, W);
    check_square_at(bx, 0, 3, EYE_Z, 1.0);
    check_quadrants(a, bx);

    size_t len;
    uint8_t *glb = make_glb(NULL, &len);
    if (!glb)
        return;
    write_file("quad.glb", glb, len, path, sizeof(path));
    if (film_file(path, &place, b)) {
        long differ = 0;
        for (size_t i = 0; i < (size_t)W * H * 4; i++)
            differ += abs(a[i] - b[i]) > 2;
        printf("glb vs gltf: %ld bytes differ\n", differ);
        CHECK(differ == 0);
    }
    /* The first half of the file: a truncated download. */
    write_file("truncated.glb", glb, len / 2, path, sizeof(path));
    free(glb);
}

/* 3: OBJ + MTL, 5 m ahead: the Kd quad left of centre, the map_Kd quad
 * right of it with the texture the right way up. */
static void test_obj(uint8_t *img)
{
    char path[512];
    write_obj(false, path, sizeof(path));
    vl_placement place = { .pos = { 0, 5, EYE_Z } };
    if (!film_file(path, &place, img))
        return;
    box left = covered(img, 0, W / 2), right = covered(img, W / 2, W);
    check_square_at(left, -1.0, 5, EYE_Z, 1.0);
    check_square_at(right, 1.0, 5, EYE_Z, 1.0);
    CHECK(looks(px(img, (left.x0 + left.x1) / 2, (left.y0 + left.y1) / 2), 0, 1, 0));
    check_quadrants(img, right);
}

/* 3b: the same OBJ written on Windows, its texture in textures/ named
 * "textures\quad.png": found, and the right way up, with nothing logged. */
static void test_obj_backslash(uint8_t *img)
{
    char sub[300], png[512], copy[512];
    snprintf(sub, sizeof(sub), "%s/textures", dir);
    CHECK(mkdir(sub, 0700) == 0);
    snprintf(png, sizeof(png), "%s/quad.png", dir);
    size_t len;
    char *data = vl_read_file(png, &len);
    CHECK(data != NULL);
    if (!data)
        return;
    write_file("textures/quad.png", data, len, copy, sizeof(copy));
    free(data);
    char path[512];
    write_obj(true, path, sizeof(path));
    FILE *tmp;
    char log[4096];
    int saved = capture_stderr(&tmp);
    bool ok = film_file(path, &(vl_placement){ .pos = { 0, 5, EYE_Z } }, img);
    end_capture(tmp, saved, log, sizeof(log));
    printf("%s -> %s", path, *log ? log : "(nothing logged)\n");
    CHECK(!*log);
    if (ok)
        check_quadrants(img, covered(img, W / 2, W));
}

/* 4, 5: a plain red quad moved, scaled, panned; lit brighter facing the
 * light (it comes from up, left and behind the camera) than turned away. */
static void test_placement(uint8_t *img)
{
    char path[512];
    quad_desc q = { { 1, 0, 0 }, NULL, 0, NULL };
    write_gltf("red.gltf", &q, path, sizeof(path));

    vl_placement moved = { .pos = { 0.6, 3, 1.8 } };
    if (film_file(path, &moved, img))
        check_square_at(covered(img, 0, W), 0.6, 3, 1.8, 1.0);

    vl_placement big = { .pos = { 0, 5, EYE_Z }, .scale = 2 };
    if (film_file(path, &big, img))
        check_square_at(covered(img, 0, W), 0, 5, EYE_Z, 2.0);

    /* Pan +60 turns it clockwise seen from above: its right edge comes
     * nearer, so it is taller on screen than its left edge, and the quad
     * is about half as wide. */
    vl_placement panned = { .pos = { 0, 3, EYE_Z }, .pan_deg = 60 };
    if (film_file(path, &panned, img)) {
        box b = covered(img, 0, W);
        box l = covered(img, b.x0, b.x0 + 1), r = covered(img, b.x1, b.x1 + 1);
        printf("pan 60: %d px wide, left edge %ld px tall, right edge %ld\n",
               b.x1 - b.x0 + 1, l.n, r.n);
        CHECK(r.n > l.n + 10);
        CHECK_NEAR(b.x1 - b.x0 + 1, FOCAL * 0.5 / 3, 8.0);
    }

    /* The light: 0.45 ambient + 0.55 Lambert towards (-0.4, -0.6, 0.7).
     * Pan +45 turns the front towards -X (the light's side), pan -45 away. */
    double lit[2];
    for (int i = 0; i < 2; i++) {
        vl_placement p = { .pos = { 0, 3, EYE_Z }, .pan_deg = i ? -45 : 45 };
        lit[i] = film_file(path, &p, img) ? px(img, W / 2, H / 2)[0] : 0;
        double nx = i ? M_SQRT1_2 : -M_SQRT1_2, ny = -M_SQRT1_2;
        double want = 255 * (0.45 + 0.55 * (nx * -0.4 + ny * -0.6) / sqrt(1.01));
        CHECK_NEAR(lit[i], want, 4.0);
    }
    printf("light: facing it %.0f, turned away %.0f\n", lit[0], lit[1]);
    CHECK(lit[0] > lit[1] + 50);
}

/* 6: without sky the background stays as cleared (alpha 0); with it the
 * grid's sky fills it, also through the renderer's reference view. */
static void test_sky(vl_renderer *r, uint8_t *img)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/red.gltf", dir);
    vl_placement place = { .pos = { 0, 3, EYE_Z } };
    vl_scene *s = vl_scene_create(path, &place);
    CHECK(s != NULL);
    if (!s)
        return;
    film(s, false, img);
    CHECK(px(img, 5, 5)[3] == 0 && px(img, 5, H - 5)[3] == 0);
    CHECK(looks(px(img, W / 2, H / 2), 1, 0, 0));
    film(s, true, img);
    const uint8_t *top = px(img, 5, 5), *bottom = px(img, 5, H - 5);
    CHECK(top[3] == 255 && bottom[3] == 255);
    CHECK(top[2] > 100 && top[2] > top[0]);             /* blue-grey sky above */
    CHECK(bottom[0] > 40 && bottom[0] < 90);            /* dark ground below */
    CHECK(looks(px(img, W / 2, H / 2), 1, 0, 0));

    if (r) {
        vl_camera cam = { .pose = { { 0, 0, EYE_Z }, 0, 0, 0 }, .fov_h_deg = FOV_DEG,
                          .width = W, .height = H };
        uint8_t *ref = malloc((size_t)W * H * 4);
        vl_renderer_reference_view(r, s, &cam, 0, ref);
        long differ = 0;
        for (size_t i = 0; i < (size_t)W * H * 4; i++)
            differ += abs(ref[i] - img[i]) > 2;
        CHECK(differ == 0);
        free(ref);
    }
    vl_scene_destroy(s);
}

/* Create from `path`, 3 m ahead, with stderr captured: the scene (or
 * NULL), and whether exactly one line was logged and it names the file
 * and holds `word`. */
static vl_scene *create_logged(const char *path, const char *word, bool *one_line)
{
    FILE *tmp;
    char log[4096];
    vl_placement place = { .pos = { 0, 3, EYE_Z } };
    int saved = capture_stderr(&tmp);
    vl_scene *s = vl_scene_create(path, &place);
    end_capture(tmp, saved, log, sizeof(log));
    const char *nl = strchr(log, '\n');
    *one_line = nl && !nl[1] && strstr(log, path) && strstr(log, word);
    printf("%s -> %s", path, log);
    return s;
}

/* 7: bad files are NULL and one error naming them; a missing texture is a
 * warning and the base colour. Unknown builtins keep their message. */
static void test_bad_input(uint8_t *img)
{
    static const char broken_json[] = "{\"asset\":{\"version\":\"2.0\"},\"meshes\":[{\"primi";
    static const char empty_gltf[] = "{\"asset\":{\"version\":\"2.0\"}}";
    static const char garbage[] = "\x7f\x45LF\x01\x02 not an obj at all\n\xff\xfe\x00\x13 v v v\n";
    char paths[5][512];
    snprintf(paths[0], sizeof(paths[0]), "%s/missing.gltf", dir);
    write_file("broken.gltf", broken_json, strlen(broken_json), paths[1], sizeof(paths[1]));
    snprintf(paths[2], sizeof(paths[2]), "%s/truncated.glb", dir);
    write_file("garbage.obj", garbage, sizeof(garbage) - 1, paths[3], sizeof(paths[3]));
    write_file("empty.gltf", empty_gltf, strlen(empty_gltf), paths[4], sizeof(paths[4]));
    for (int i = 0; i < 5; i++) {
        bool one_line;
        vl_scene *s = create_logged(paths[i], "error", &one_line);
        CHECK(s == NULL);
        CHECK(one_line);
        vl_scene_destroy(s);
    }

    bool unknown_line;
    CHECK(create_logged("builtin:nope", "unknown scene", &unknown_line) == NULL);
    CHECK(unknown_line);

    char path[512];
    quad_desc q = { { 0, 0, 1 }, "missing.png", 0, NULL };
    write_gltf("no_texture.gltf", &q, path, sizeof(path));
    bool one_line;
    vl_scene *s = create_logged(path, "missing.png", &one_line);
    CHECK(s != NULL);
    CHECK(one_line);
    if (s) {
        film(s, false, img);
        CHECK(looks(px(img, W / 2, H / 2), 0, 0, 1));
    }
    vl_scene_destroy(s);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* 8: what a glTF file asks for that volym does not do is one warning each,
 * naming the file and the extension, also from a .glb's JSON chunk, and
 * the model still loads where assimp can read it. */
static void test_extensions(uint8_t *img)
{
    static const char extra[] =
        "\"extensionsUsed\":[\"KHR_texture_transform\",\"KHR_materials_emissive_strength\","
        "\"KHR_texture_basisu\"],\"extensionsRequired\":[\"KHR_texture_transform\","
        "\"KHR_draco_mesh_compression\"],"
        "\"skins\":[{\"joints\":[0]}],"
        "\"animations\":[{\"samplers\":[{\"input\":4,\"output\":0}],"
        "\"channels\":[{\"sampler\":0,\"target\":{\"node\":0,\"path\":\"scale\"}}]}],";
    static const char *const says[] = {
        "requires glTF extension KHR_texture_transform", "uses glTF extension "
        "KHR_materials_emissive_strength", "uses glTF extension KHR_texture_basisu",
        "requires glTF extension KHR_draco_mesh_compression", "has skins", "has animations",
    };
    char path[512], log[8192];
    quad_desc q = { { 1, 0, 0 }, NULL, 0, extra };
    write_gltf("extensions.gltf", &q, path, sizeof(path));
    FILE *tmp;
    int saved = capture_stderr(&tmp);
    vl_scene *s = vl_scene_create(path, &(vl_placement){ .pos = { 0, 3, EYE_Z } });
    end_capture(tmp, saved, log, sizeof(log));
    printf("%s -> %s", path, log);
    int lines = count_lines(log);
    for (size_t i = 0; i < sizeof(says) / sizeof(says[0]); i++)
        CHECK(strstr(log, says[i]) != NULL);
    for (const char *l = log; *l; l = strchr(l, '\n') + 1)
        CHECK(!strncmp(l, "[render/scene] warning: model '", 31) && strstr(l, path) < strchr(l, '\n'));
    if (s) {
        CHECK(lines == 6);
        film(s, false, img);
        CHECK(looks(px(img, W / 2, H / 2), 1, 0, 0));
    } else {
        CHECK(lines == 7);          /* and assimp's own error */
    }
    vl_scene_destroy(s);

    size_t len;
    uint8_t *glb = make_glb("\"extensionsUsed\":[\"KHR_draco_mesh_compression\"],"
                            "\"extensionsRequired\":[\"KHR_draco_mesh_compression\"],", &len);
    if (!glb)
        return;
    write_file("draco.glb", glb, len, path, sizeof(path));
    free(glb);
    saved = capture_stderr(&tmp);
    s = vl_scene_create(path, &(vl_placement){ .pos = { 0, 3, EYE_Z } });
    end_capture(tmp, saved, log, sizeof(log));
    printf("%s -> %s", path, log);
    CHECK(strstr(log, "requires glTF extension KHR_draco_mesh_compression") && strstr(log, path));
    CHECK(count_lines(log) == (s ? 1 : 2));
    vl_scene_destroy(s);
}

/* Remove the test's files (written by this test only) and its folder. */
static void clean_up(void)
{
    static const char *const names[] = {
        "quad.png", "quad.gltf", "quad.glb", "truncated.glb", "quads.obj", "quads.mtl",
        "red.gltf", "broken.gltf", "garbage.obj", "empty.gltf", "no_texture.gltf",
        "win.obj", "win.mtl", "textures/quad.png", "textures", "extensions.gltf", "draco.glb",
    };
    char path[512];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        remove(path);
    }
    rmdir(dir);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/volym-model-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    vl_stage *stage = vl_stage_default();
    vl_gl *gl = vl_gl_create(stage, VL_GL_HEADLESS);
    CHECK(gl != NULL);
    if (!gl) {
        rmdir(dir);
        return check_result("model");
    }
    vl_renderer *r = vl_renderer_create(stage, NULL);
    CHECK(r != NULL);
    CHECK(vl_target_init(&target, W, H, true));
    write_quadrant_png();

    uint8_t *a = malloc((size_t)W * H * 4), *b = malloc((size_t)W * H * 4);
    test_gltf_and_glb(a, b);
    test_obj(a);
    test_obj_backslash(a);
    test_placement(a);
    test_sky(r, a);
    test_bad_input(a);
    test_extensions(a);

    free(a);
    free(b);
    clean_up();
    vl_target_free(&target);
    vl_renderer_destroy(r);
    vl_gl_destroy(gl);
    vl_stage_free(stage);
    return check_result("model");
}
