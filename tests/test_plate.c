/*
 * Plates on the wall: every mode checked pixel by pixel against sums done
 * here in C, and the illusion test (camera view vs reference view) with a
 * 360 plate alone and with a glTF model standing in front of it.
 *
 * The "coordinate plate" stores its own texture coordinates as colours
 * (red = u, green = v), so a canvas pixel says which plate point it shows.
 */
#include "check.h"
#include "illusion.h"
#include "render/render.h"
#include "stage/stage.h"

#include <libavutil/frame.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef void (*fill_fn)(int x, int y, int w, int h, uint8_t rgb[3]);

static AVFrame *make_plate(int w, int h, fill_fn fill)
{
    AVFrame *f = av_frame_alloc();
    f->width = w;
    f->height = h;
    f->format = AV_PIX_FMT_RGB24;
    if (av_frame_get_buffer(f, 0) < 0) {
        av_frame_free(&f);
        return NULL;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            fill(x, y, w, h, f->data[0] + (size_t)y * f->linesize[0] + x * 3);
    return f;
}

/* Texel centres hold their own uv, so bilinear sampling returns uv. */
static void fill_coords(int x, int y, int w, int h, uint8_t rgb[3])
{
    rgb[0] = (uint8_t)lround(255.0 * (x + 0.5) / w);
    rgb[1] = (uint8_t)lround(255.0 * (y + 0.5) / h);
    rgb[2] = 40;
}

/* Something with detail at every scale for the illusion test: 10-degree
 * cells in colours that change with longitude and latitude, and thin lines. */
static void fill_world(int x, int y, int w, int h, uint8_t rgb[3])
{
    double u = (x + 0.5) / w, v = (y + 0.5) / h;
    int cell = ((int)(u * 36) + (int)(v * 18)) & 1;
    rgb[0] = (uint8_t)(60 + 150 * u + 40 * cell);
    rgb[1] = (uint8_t)(200 - 150 * v + 30 * cell);
    rgb[2] = (uint8_t)(90 + 80 * sin(u * 40) * cos(v * 25));
    if (x % 37 == 0 || y % 29 == 0)
        rgb[0] = rgb[1] = rgb[2] = 250;
}

/* Where stage point W falls in the inner frustum: the largest |NDC|
 * coordinate (< 1 inside), or a big number behind the camera. */
static double frustum_ndc(const vl_camera *cam, double overscan, const double W[3])
{
    float view[16], proj[16];
    vl_camera_view_matrix(&cam->pose, view);
    vl_camera_proj_matrix(cam, 1.0 + overscan, proj);
    double e[4], c[4];
    for (int i = 0; i < 4; i++)
        e[i] = view[i] * W[0] + view[4 + i] * W[1] + view[8 + i] * W[2] + view[12 + i];
    for (int i = 0; i < 4; i++)
        c[i] = proj[i] * e[0] + proj[4 + i] * e[1] + proj[8 + i] * e[2] + proj[12 + i] * e[3];
    if (c[3] <= 0)
        return 1e9;
    return fmax(fabs(c[0] / c[3]), fabs(c[1] / c[3]));
}

/* What a mode's wall pixel must show: the plate uv seen from eye through W,
 * false where it shows no plate (outside a flat screen). */
typedef bool (*expect_fn)(const vl_plate_view *v, const double eye[3], const double W[3],
                          double uv[2]);

static bool expect_equirect(const vl_plate_view *v, const double eye[3], const double W[3],
                            double uv[2])
{
    double d[3] = { W[0] - eye[0], W[1] - eye[1], W[2] - eye[2] };
    vl_plate_equirect_uv(v, d, uv);
    return true;
}

/* The flat screen at yaw 0: the plane y = distance, x in [-w/2, w/2],
 * z in centre_z -/+ w/2 / aspect (the coordinate plate is 2:1). */
static bool expect_flat(const vl_plate_view *v, const double eye[3], const double W[3],
                        double uv[2])
{
    double t = (v->distance_m - eye[1]) / (W[1] - eye[1]);
    double x = eye[0] + t * (W[0] - eye[0]), z = eye[2] + t * (W[2] - eye[2]);
    double half_w = v->width_m / 2, half_h = half_w / 2;
    uv[0] = 0.5 + x / (2 * half_w);
    uv[1] = 0.5 - (z - v->centre_z_m) / (2 * half_h);
    return t > 0 && fabs(x) < half_w && fabs(z - v->centre_z_m) < half_h;
}

/* Every 7th wall pixel of the default stage checked against `expect`, seen
 * from the camera inside the inner frustum and from the outer eye outside
 * it (pixels near the frustum edge and the plate's seams are skipped).
 * Returns how many were off by more than 2/255 in u or v. */
static int check_wall(vl_renderer *r, const vl_stage *stage, const vl_camera *cam,
                      const vl_plate_view *v, expect_fn expect, int *inside, int *outside)
{
    const vl_output *o = &stage->outputs[0];
    uint8_t *px = malloc((size_t)o->width * o->height * 4);
    vl_renderer_read_canvas(r, 0, px);
    const vl_section *s = &stage->sections[0];
    int bad = 0;
    *inside = *outside = 0;
    for (int y = 3; y < vl_section_height_px(s); y += 7) {
        for (int x = 3; x < s->cols * s->panel_px_w; x += 7) {
            double W[3], uv[2];
            vl_section_pixel_to_stage(s, x + 0.5, y + 0.5, W);
            double ndc = frustum_ndc(cam, stage->frustum.overscan, W);
            if (ndc > 0.97 && ndc < 1.03)
                continue;
            const double *eye = ndc < 1 ? cam->pose.pos : stage->frustum.outer_eye;
            const uint8_t *c = px + ((size_t)(s->canvas_y + y) * o->width + s->canvas_x + x) * 4;
            if (!expect(v, eye, W, uv)) {
                bad += c[0] + c[1] + c[2] > 6;          /* black off the screen */
                continue;
            }
            if (uv[0] < 0.01 || uv[0] > 0.99 || uv[1] < 0.01 || uv[1] > 0.99)
                continue;
            *(ndc < 1 ? inside : outside) += 1;
            if (fabs(c[0] - 255 * uv[0]) > 2 || fabs(c[1] - 255 * uv[1]) > 2) {
                if (bad++ < 3)
                    fprintf(stderr, "wall pixel %d,%d: shows u,v %.3f,%.3f, expected %.3f,%.3f\n",
                            x, y, c[0] / 255.0, c[1] / 255.0, uv[0], uv[1]);
            }
        }
    }
    free(px);
    return bad;
}

static void test_equirect_and_flat(vl_renderer *r, const vl_stage *stage)
{
    AVFrame *coords = make_plate(1440, 720, fill_coords);
    vl_camera cam = camera_at((vl_pose){ { 0.6, 0.5, 1.6 }, -12, 5, 2 });
    const vl_plate_view views[] = {
        { .mode = VL_PLATE_EQUIRECT },
        { .mode = VL_PLATE_EQUIRECT, .yaw_deg = 30, .pitch_deg = -10, .roll_deg = 8 },
        { .mode = VL_PLATE_FLAT, .distance_m = 12, .width_m = 16, .centre_z_m = 2 },
    };
    for (int i = 0; i < 3; i++) {
        vl_renderer_set_plate(r, &views[i]);
        CHECK(vl_renderer_plate_frame(r, coords));
        vl_renderer_frame(r, NULL, &cam, 0);
        int inside, outside;
        int bad = check_wall(r, stage, &cam, &views[i],
                             views[i].mode == VL_PLATE_FLAT ? expect_flat : expect_equirect,
                             &inside, &outside);
        printf("plate view %d: %d wall pixels inside the frustum and %d outside checked, "
               "%d wrong\n", i, inside, outside, bad);
        CHECK(bad == 0);
        CHECK(inside > 500 && outside > 500);
    }
    av_frame_free(&coords);
}

/* Wall mode: the plate stretched over the canvas, whatever the camera. */
static void test_wall_mode(vl_renderer *r, const vl_stage *stage)
{
    AVFrame *coords = make_plate(640, 360, fill_coords);
    const vl_output *o = &stage->outputs[0];
    uint8_t *a = malloc((size_t)o->width * o->height * 4), *b = malloc((size_t)o->width * o->height * 4);
    vl_plate_view v = { .mode = VL_PLATE_WALL };
    vl_renderer_set_plate(r, &v);
    CHECK(vl_renderer_plate_frame(r, coords));
    vl_camera c1 = camera_at((vl_pose){ { 0, 0, 1.5 }, 0, 0, 0 });
    vl_camera c2 = camera_at((vl_pose){ { 1, 1, 1.2 }, 20, 5, 0 });
    vl_renderer_frame(r, NULL, &c1, 0);
    vl_renderer_read_canvas(r, 0, a);
    vl_renderer_frame(r, NULL, &c2, 0);
    vl_renderer_read_canvas(r, 0, b);
    CHECK(memcmp(a, b, (size_t)o->width * o->height * 4) == 0);
    const vl_section *s = &stage->sections[0];
    int bad = 0, n = 0;
    for (int y = 2; y < vl_section_height_px(s) - 2; y += 5)
        for (int x = 2; x < s->cols * s->panel_px_w - 2; x += 5) {
            int cx = s->canvas_x + x, cy = s->canvas_y + y;
            const uint8_t *c = a + ((size_t)cy * o->width + cx) * 4;
            bad += fabs(c[0] - 255.0 * (cx + 0.5) / o->width) > 2 ||
                   fabs(c[1] - 255.0 * (cy + 0.5) / o->height) > 2;
            n++;
        }
    printf("wall mode: %d canvas pixels checked, %d wrong\n", n, bad);
    CHECK(n > 1000 && bad == 0);
    free(a);
    free(b);
    av_frame_free(&coords);
}

/* Before any picture arrives the plate shows the fallback pattern: a
 * magenta and grey checkerboard, not a flat colour, not black. */
static void test_fallback(const vl_stage *stage)
{
    vl_renderer *r = vl_renderer_create(stage, NULL);
    const vl_output *o = &stage->outputs[0];
    uint8_t *a = malloc((size_t)o->width * o->height * 4);
    vl_plate_view v = { .mode = VL_PLATE_EQUIRECT };
    vl_renderer_set_plate(r, &v);
    vl_camera cam = camera_at((vl_pose){ { 0, 0, 1.5 }, 0, 0, 0 });
    vl_renderer_frame(r, NULL, &cam, 0);
    vl_renderer_read_canvas(r, 0, a);
    long magenta = 0, other = 0;
    for (long i = 0; i < (long)o->width * 800; i++) {
        const uint8_t *c = a + i * 4;
        bool m = c[0] > 200 && c[1] < 80 && c[2] > 200;
        magenta += m;
        other += !m && c[0] + c[1] + c[2] > 60;
    }
    printf("fallback pattern: %ld magenta pixels, %ld others\n", magenta, other);
    CHECK(magenta > 100000 && other > 100000);
    free(a);
    vl_renderer_destroy(r);
}

/* A glTF 2.0 file with three coloured boxes on the floor 6 to 9 m out:
 * one mesh, three materials; written with its buffer inline (base64). */
static bool write_boxes_gltf(const char *path)
{
    /* A unit cube (-0.5..0.5), 24 vertices (flat normals), 36 indices. */
    float pos[24][3], nrm[24][3];
    uint16_t idx[36];
    for (int f = 0; f < 6; f++) {
        int axis = f / 2;
        float sign = f % 2 ? -1.0f : 1.0f;
        int u = (axis + 1) % 3, w = (axis + 2) % 3;
        const float corner[4][2] = { { -1, -1 }, { 1, -1 }, { 1, 1 }, { -1, 1 } };
        for (int k = 0; k < 4; k++) {
            float *p = pos[f * 4 + k], *n = nrm[f * 4 + k];
            p[axis] = 0.5f * sign;
            p[u] = 0.5f * corner[k][0] * sign;
            p[w] = 0.5f * corner[k][1];
            n[0] = n[1] = n[2] = 0;
            n[axis] = sign;
        }
        const int tri[6] = { 0, 1, 2, 0, 2, 3 };
        for (int k = 0; k < 6; k++)
            idx[f * 6 + k] = (uint16_t)(f * 4 + tri[k]);
    }
    unsigned char buf[sizeof(pos) + sizeof(nrm) + sizeof(idx)];
    memcpy(buf, pos, sizeof(pos));
    memcpy(buf + sizeof(pos), nrm, sizeof(nrm));
    memcpy(buf + sizeof(pos) + sizeof(nrm), idx, sizeof(idx));
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    FILE *f = fopen(path, "w");
    if (!f)
        return false;
    fprintf(f, "{\"asset\":{\"version\":\"2.0\"},\"scene\":0,\"scenes\":[{\"nodes\":[0,1,2]}],"
            "\"nodes\":[");
    /* glTF is Y-up with the front at +Z: stage (x, y, z) is glTF (x, z, -y). */
    const double at[3][3] = { { -1.5, 6, 0.6 }, { 1.2, 7.5, 0.9 }, { 0, 9, 1.4 } };
    for (int i = 0; i < 3; i++)
        fprintf(f, "%s{\"mesh\":%d,\"translation\":[%g,%g,%g],\"scale\":[0.8,%g,0.8]}",
                i ? "," : "", i, at[i][0], at[i][2], -at[i][1], at[i][2] * 2);
    fprintf(f, "],\"meshes\":[");
    for (int i = 0; i < 3; i++)
        fprintf(f, "%s{\"primitives\":[{\"attributes\":{\"POSITION\":0,\"NORMAL\":1},"
                "\"indices\":2,\"material\":%d}]}", i ? "," : "", i);
    fprintf(f, "],\"materials\":[{\"pbrMetallicRoughness\":{\"baseColorFactor\":[0.9,0.2,0.15,1]}},"
            "{\"pbrMetallicRoughness\":{\"baseColorFactor\":[0.15,0.5,0.9,1]}},"
            "{\"pbrMetallicRoughness\":{\"baseColorFactor\":[0.95,0.85,0.2,1]}}],"
            "\"accessors\":["
            "{\"bufferView\":0,\"componentType\":5126,\"count\":24,\"type\":\"VEC3\","
            "\"min\":[-0.5,-0.5,-0.5],\"max\":[0.5,0.5,0.5]},"
            "{\"bufferView\":1,\"componentType\":5126,\"count\":24,\"type\":\"VEC3\"},"
            "{\"bufferView\":2,\"componentType\":5123,\"count\":36,\"type\":\"SCALAR\"}],"
            "\"bufferViews\":[{\"buffer\":0,\"byteOffset\":0,\"byteLength\":%zu},"
            "{\"buffer\":0,\"byteOffset\":%zu,\"byteLength\":%zu},"
            "{\"buffer\":0,\"byteOffset\":%zu,\"byteLength\":%zu}],"
            "\"buffers\":[{\"byteLength\":%zu,\"uri\":\"data:application/octet-stream;base64,",
            sizeof(pos), sizeof(pos), sizeof(nrm), sizeof(pos) + sizeof(nrm), sizeof(idx),
            sizeof(buf));
    for (size_t i = 0; i < sizeof(buf); i += 3) {
        uint32_t v = (uint32_t)buf[i] << 16 | (i + 1 < sizeof(buf) ? buf[i + 1] << 8 : 0) |
                     (i + 2 < sizeof(buf) ? buf[i + 2] : 0);
        fputc(b64[v >> 18 & 63], f);
        fputc(b64[v >> 12 & 63], f);
        fputc(i + 1 < sizeof(buf) ? b64[v >> 6 & 63] : '=', f);
        fputc(i + 2 < sizeof(buf) ? b64[v & 63] : '=', f);
    }
    fprintf(f, "\"}]}\n");
    return fclose(f) == 0;
}

/* The camera films the wall as if it saw the world itself: a 360 plate
 * alone, then a glTF model standing in front of it. A canvas rendered for a
 * camera 10 cm away must score clearly lower (the plate is at infinity,
 * but each wall pixel's direction still depends on where the camera is). */
static void test_illusion(vl_renderer *r)
{
    AVFrame *world = make_plate(2048, 1024, fill_world);
    vl_plate_view v = { .mode = VL_PLATE_EQUIRECT, .yaw_deg = 15 };
    vl_renderer_set_plate(r, &v);
    CHECK(vl_renderer_plate_frame(r, world));
    char dir[] = "/tmp/volym-plate-XXXXXX", path[600];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof(path), "%s/boxes.gltf", dir);
    CHECK(write_boxes_gltf(path));
    vl_scene *boxes = vl_scene_create(path, NULL);
    CHECK(boxes != NULL);
    const vl_pose poses[] = {
        { { 0.0, 0.0, 1.5 }, 0, 0, 0 },
        { { -1.2, 0.8, 1.6 }, 18, 4, 0 },
        { { 1.5, 1.5, 1.2 }, -25, 8, 3 },
    };
    uint8_t *cam = malloc((size_t)CAM_W * CAM_H * 4), *ref = malloc((size_t)CAM_W * CAM_H * 4);
    for (int with_model = 0; with_model < 2; with_model++) {
        vl_scene *scene = with_model ? boxes : NULL;
        for (size_t i = 0; i < sizeof(poses) / sizeof(poses[0]) && (scene || !with_model); i++) {
            double cov, cov_neg;
            double psnr = illusion(r, scene, poses[i], poses[i], 0, cam, ref, &cov);
            vl_pose off = poses[i];
            off.pos[0] += 0.10;
            double neg = illusion(r, scene, off, poses[i], 0, cam, ref, &cov_neg);
            printf("equirect plate%s, pose %zu: wall covers %.0f%%, PSNR %.1f dB; canvas for "
                   "a camera 10 cm away: %.1f dB\n", with_model ? " + glTF boxes" : "", i,
                   cov * 100, psnr, neg);
            CHECK(cov > 0.3);
            CHECK(psnr >= 30.0);
            CHECK(neg < psnr - 5.0);
        }
    }
    /* The boxes really are there: the reference differs from the plate
     * alone where they stand (straight ahead, below the horizon). */
    if (boxes) {
        vl_camera c = camera_at(poses[0]);
        vl_renderer_reference_view(r, boxes, &c, 0, ref);
        vl_renderer_reference_view(r, NULL, &c, 0, cam);
        long changed = 0;
        for (long i = 0; i < (long)CAM_W * CAM_H; i++)
            changed += memcmp(cam + i * 4, ref + i * 4, 3) != 0;
        printf("the boxes cover %.1f%% of the reference view\n", 100.0 * changed / (CAM_W * CAM_H));
        CHECK(changed > CAM_W * CAM_H / 50);
    }
    vl_scene_destroy(boxes);
    snprintf(path, sizeof(path), "rm -rf %s", dir);
    CHECK(system(path) == 0);
    free(cam);
    free(ref);
    av_frame_free(&world);
}

int main(void)
{
    vl_stage *stage = vl_stage_default();
    vl_gl *gl = vl_gl_create(stage, VL_GL_HEADLESS);
    CHECK(gl != NULL);
    if (!gl)
        return check_result("plate");
    vl_renderer *r = vl_renderer_create(stage, NULL);
    CHECK(r != NULL);
    if (r) {
        test_equirect_and_flat(r, stage);
        test_wall_mode(r, stage);
        test_fallback(stage);
        test_illusion(r);
    }
    vl_renderer_destroy(r);
    vl_gl_destroy(gl);
    vl_stage_free(stage);
    return check_result("plate");
}
