/*
 * The preview and single-screen windows. vl_window_layout's rects for a
 * few window sizes and aspects: inside the window, apart (the picture in
 * picture inside the stage view), their aspect kept within a pixel, where
 * each layout puts them. Then the pictures, with output 0 showing a
 * four-colour quadrant image so that what the wall shows is known: the
 * canvas rect's quadrants are those colours; the camera rect is, pixel for
 * pixel, what vl_renderer_camera_view films at the rect's size; the stage
 * rect is what vl_renderer_stage_view draws at its size (its outline and
 * grid in it) and no stage-view colour shows in the canvas or camera
 * rects; the PiP has its border; the overlay's text shows in its box at
 * the stage view's top-left only when there is an overlay, the help text
 * in the middle only when there is help. Tiny windows draw without a GL
 * error.
 */
#include "check.h"
#include "render/render.h"
#include "stage/stage.h"

#include <GL/glew.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool inside(vl_rect a, vl_rect b)
{
    return a.x >= b.x && a.y >= b.y && a.x + a.w <= b.x + b.w && a.y + a.h <= b.y + b.h;
}

static bool apart(vl_rect a, vl_rect b)
{
    return a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y;
}

/* The rect has `aspect` to within a pixel in one of its sides. */
static bool keeps_aspect(vl_rect r, double aspect)
{
    return r.w > 0 && r.h > 0 && (fabs(r.w - r.h * aspect) <= 1 || fabs(r.h - r.w / aspect) <= 1);
}

/* Fitted into box: it fills one of box's sides and is centred within a
 * pixel on the other. */
static bool fitted(vl_rect r, vl_rect box)
{
    bool fills_w = r.w == box.w, fills_h = r.h == box.h;
    int dx = (r.x - box.x) - (box.x + box.w - r.x - r.w);
    int dy = (r.y - box.y) - (box.y + box.h - r.y - r.h);
    return inside(r, box) && (fills_w || fills_h) && abs(dx) <= 1 && abs(dy) <= 1;
}

static void check_layouts(void)
{
    static const int sizes[][2] = { { 1280, 720 }, { 1920, 1080 }, { 800, 1000 }, { 64, 32 } };
    static const double canvas_aspects[] = { 16.0 / 9, 3840.0 / 1080 };
    static const double camera_aspects[] = { 16.0 / 9, 1.5 };
    int n = 0, bad = 0;
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
        for (int a = 0; a < 2; a++)
            for (int c = 0; c < 2; c++) {
                int w = sizes[i][0], h = sizes[i][1];
                double ca = canvas_aspects[a], ka = camera_aspects[c];
                vl_rect win = { 0, 0, w, h }, canvas, camera, stage;
                int before = check_failures;

                vl_window_layout(VL_LAYOUT_SINGLE, w, h, ca, ka, &canvas, &camera, &stage);
                CHECK(stage.x == w / 2 && stage.y == 0 && stage.w == w - w / 2 && stage.h == h);
                CHECK(fitted(canvas, (vl_rect){ 0, 0, w / 2, h / 2 }));
                CHECK(fitted(camera, (vl_rect){ 0, h / 2, w / 2, h - h / 2 }));
                CHECK(keeps_aspect(canvas, ca) && keeps_aspect(camera, ka));
                CHECK(inside(canvas, win) && inside(camera, win) && inside(stage, win));
                CHECK(apart(canvas, camera) && apart(canvas, stage) && apart(camera, stage));

                vl_window_layout(VL_LAYOUT_PREVIEW, w, h, ca, ka, &canvas, &camera, &stage);
                CHECK(stage.x == 0 && stage.y == 0 && stage.w == w && stage.h == h);
                CHECK(canvas.w == 0);
                CHECK(camera.w == w / 4 && keeps_aspect(camera, ka));
                /* Bottom right, as far from both edges, a small margin. */
                int right = w - camera.x - camera.w, bottom = h - camera.y - camera.h;
                CHECK(inside(camera, stage) && right == bottom && right >= 2 && right <= 2 + w / 64);
                n++;
                if (check_failures != before) {
                    bad++;
                    printf("layout %dx%d, canvas %.3f, camera %.3f: canvas (%d %d %d %d) camera "
                           "(%d %d %d %d) stage (%d %d %d %d)\n", w, h, ca, ka, canvas.x, canvas.y,
                           canvas.w, canvas.h, camera.x, camera.y, camera.w, camera.h, stage.x,
                           stage.y, stage.w, stage.h);
                }
            }
    printf("layouts: %d window sizes and aspects, %d wrong\n", n, bad);
}

static const uint8_t *px(const uint8_t *img, int w, int x, int y)
{
    return img + ((size_t)y * w + x) * 4;
}

static bool near_rgb(const uint8_t *p, unsigned rgb, int tol)
{
    for (int c = 0; c < 3; c++)
        if (abs(p[c] - (int)((rgb >> (16 - 8 * c)) & 0xff)) > tol)
            return false;
    return true;
}

/* Pixels of exactly rgb in rect r of a w-wide picture. */
static long count_in(const uint8_t *img, int w, vl_rect r, unsigned rgb)
{
    long n = 0;
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            n += near_rgb(px(img, w, x, y), rgb, 0);
    return n;
}

/* The largest channel difference between rect r of img (w wide) and ref
 * (r.w x r.h), skipping the pixels in `skip` (window coordinates). */
static int max_diff(const uint8_t *img, int w, vl_rect r, const uint8_t *ref, vl_rect skip)
{
    int worst = 0;
    for (int y = 0; y < r.h; y++)
        for (int x = 0; x < r.w; x++) {
            int wx = r.x + x, wy = r.y + y;
            if (wx >= skip.x && wx < skip.x + skip.w && wy >= skip.y && wy < skip.y + skip.h)
                continue;
            for (int c = 0; c < 3; c++) {
                int d = abs(px(img, w, wx, wy)[c] - px(ref, r.w, x, y)[c]);
                worst = d > worst ? d : worst;
            }
        }
    return worst;
}

static bool all_opaque(const uint8_t *img, int w, int h)
{
    for (size_t i = 0; i < (size_t)w * h; i++)
        if (img[i * 4 + 3] != 255)
            return false;
    return true;
}

#define WIN_W 1280
#define WIN_H 720

/* The quadrant colours, top-left, top-right, bottom-left, bottom-right. */
static const unsigned quad_rgb[4] = { 0xd03020, 0x30c040, 0x2040d0, 0xe0d030 };

/* What the stage view draws and the windows add; none may be in the canvas
 * or camera pictures. */
static const unsigned view_rgb[] = { VL_STAGE_VIEW_BACKGROUND, VL_STAGE_VIEW_GRID,
                                     VL_STAGE_VIEW_EDGE, VL_STAGE_VIEW_BODY, VL_STAGE_VIEW_RAY,
                                     VL_STAGE_VIEW_OUTLINE, VL_WINDOW_TEXT, VL_WINDOW_BORDER };

static long view_colours_in(const uint8_t *img, vl_rect r)
{
    long n = 0;
    for (size_t i = 0; i < sizeof(view_rgb) / sizeof(view_rgb[0]); i++)
        n += count_in(img, WIN_W, r, view_rgb[i]);
    return n;
}

/* The camera view and the stage view at a rect's size, for comparing. */
static uint8_t *camera_at(vl_renderer *r, const vl_camera *cam, vl_rect rect)
{
    vl_camera c = *cam;
    c.width = rect.w;
    c.height = rect.h;
    uint8_t *img = malloc((size_t)rect.w * rect.h * 4);
    vl_renderer_camera_view(r, &c, img);
    return img;
}

static uint8_t *stage_at(vl_renderer *r, const vl_stage_view_desc *d, vl_rect rect)
{
    uint8_t *img = malloc((size_t)rect.w * rect.h * 4);
    vl_renderer_stage_view(r, d, rect.w, rect.h, img);
    return img;
}

static void layout_of(const vl_stage *stage, const vl_window_view *v, vl_rect *canvas,
                      vl_rect *camera, vl_rect *sv)
{
    vl_window_layout(v->layout, WIN_W, WIN_H,
                     (double)stage->outputs[0].width / stage->outputs[0].height,
                     (double)v->stage.cam->width / v->stage.cam->height, canvas, camera, sv);
}

/* Text-colour pixels in the overlay's corner and in the middle. */
static void text_pixels(const uint8_t *img, vl_rect sv, long *corner, long *middle, long *box)
{
    vl_rect tl = { sv.x, sv.y, sv.w / 3, sv.h / 4 };
    vl_rect mid = { sv.x + sv.w / 4, sv.y + sv.h / 4, sv.w / 2, sv.h / 2 };
    *corner = count_in(img, WIN_W, tl, VL_WINDOW_TEXT);
    *middle = count_in(img, WIN_W, mid, VL_WINDOW_TEXT);
    *box = count_in(img, WIN_W, tl, VL_WINDOW_TEXT_BOX);
}

static void check_single(vl_renderer *r, const vl_stage *stage, vl_window_view v, uint8_t *img)
{
    vl_rect canvas, camera, sv;
    v.layout = VL_LAYOUT_SINGLE;
    layout_of(stage, &v, &canvas, &camera, &sv);
    vl_renderer_window_view(r, &v, WIN_W, WIN_H, img);
    CHECK(all_opaque(img, WIN_W, WIN_H));

    int quads_ok = 0;
    for (int k = 0; k < 4; k++) {
        int x = canvas.x + canvas.w * ((k & 1) ? 3 : 1) / 4;
        int y = canvas.y + canvas.h * ((k & 2) ? 3 : 1) / 4;
        const uint8_t *p = px(img, WIN_W, x, y);
        quads_ok += near_rgb(p, quad_rgb[k], 2);
        printf("single: canvas quadrant %d at (%d, %d): %02x%02x%02x, want %06x\n", k, x, y, p[0],
               p[1], p[2], quad_rgb[k]);
    }
    CHECK(quads_ok == 4);

    uint8_t *cam_ref = camera_at(r, v.stage.cam, camera), *stage_ref = stage_at(r, &v.stage, sv);
    int cam_diff = max_diff(img, WIN_W, camera, cam_ref, (vl_rect){ 0 });
    int stage_diff = max_diff(img, WIN_W, sv, stage_ref, (vl_rect){ 0 });
    long cam_quads = 0;
    for (int k = 0; k < 4; k++)
        cam_quads += count_in(img, WIN_W, camera, quad_rgb[k]) > 100;
    long outline = count_in(img, WIN_W, sv, VL_STAGE_VIEW_OUTLINE);
    long grid = count_in(img, WIN_W, sv, VL_STAGE_VIEW_GRID);
    long leak = view_colours_in(img, canvas) + view_colours_in(img, camera);
    printf("single: camera rect (%d %d %d %d) differs from the camera view by %d levels, shows "
           "%ld quadrant colours; stage rect (%d %d %d %d) from the stage view by %d, %ld outline "
           "and %ld grid pixels; stage-view colours in the canvas and camera rects: %ld\n",
           camera.x, camera.y, camera.w, camera.h, cam_diff, cam_quads, sv.x, sv.y, sv.w, sv.h,
           stage_diff, outline, grid, leak);
    CHECK(cam_diff <= 2);
    CHECK(cam_quads == 4);
    CHECK(stage_diff == 0);
    CHECK(outline > 100 && grid > 1000);
    CHECK(leak == 0);

    /* Text stays in the stage view: at its top-left, not the window's. */
    v.overlay = "volym  25.00 fps\nview orbit";
    vl_renderer_window_view(r, &v, WIN_W, WIN_H, img);
    long corner, middle, box;
    text_pixels(img, sv, &corner, &middle, &box);
    leak = view_colours_in(img, canvas) + view_colours_in(img, camera);
    printf("single with an overlay: %ld text pixels at the stage view's top-left; stage-view "
           "colours in the canvas and camera rects: %ld\n", corner, leak);
    CHECK(corner > 300 && leak == 0);
    free(cam_ref);
    free(stage_ref);
}

static void check_preview(vl_renderer *r, const vl_stage *stage, vl_window_view v, uint8_t *img)
{
    vl_rect canvas, camera, sv;
    v.layout = VL_LAYOUT_PREVIEW;
    layout_of(stage, &v, &canvas, &camera, &sv);
    uint8_t *cam_ref = camera_at(r, v.stage.cam, camera), *stage_ref = stage_at(r, &v.stage, sv);

    /* No text: the PiP is the camera view, the rest the stage view, but for
     * the PiP's border. */
    vl_renderer_window_view(r, &v, WIN_W, WIN_H, img);
    CHECK(all_opaque(img, WIN_W, WIN_H));
    vl_rect framed = { camera.x - 2, camera.y - 2, camera.w + 4, camera.h + 4 };
    int cam_diff = max_diff(img, WIN_W, camera, cam_ref, (vl_rect){ 0 });
    int stage_diff = max_diff(img, WIN_W, sv, stage_ref, framed);
    long border = count_in(img, WIN_W, framed, VL_WINDOW_BORDER);
    long ring = (long)framed.w * framed.h - (long)camera.w * camera.h;
    long leak = view_colours_in(img, camera);
    long corner, middle, box;
    text_pixels(img, sv, &corner, &middle, &box);
    printf("preview: PiP (%d %d %d %d) differs from the camera view by %d levels, %ld stage-view "
           "colours in it, %ld of %ld border pixels; the rest from the stage view by %d; no text: "
           "%ld text pixels at the top-left, %ld in the middle\n", camera.x, camera.y, camera.w,
           camera.h, cam_diff, leak, border, ring, stage_diff, corner, middle);
    CHECK(cam_diff <= 2);
    CHECK(leak == 0);
    CHECK(border == ring);
    CHECK(stage_diff == 0);
    CHECK(corner == 0 && middle == 0);

    /* The overlay alone, then the help alone. */
    v.overlay = "volym  25.00 fps  0 late\ncamera 1  (0.10, 1.50, 0.90)\nview orbit  zoom 1.0  tilt 4\xc2\xb0\t";
    vl_renderer_window_view(r, &v, WIN_W, WIN_H, img);
    text_pixels(img, sv, &corner, &middle, &box);
    printf("preview with an overlay: %ld text and %ld box pixels at the top-left, %ld text pixels "
           "in the middle\n", corner, box, middle);
    CHECK(corner > 300 && box > 3000 && middle == 0);
    CHECK(all_opaque(img, WIN_W, WIN_H));

    v.overlay = NULL;
    v.help = "h      this help\n1-4    top, front, orbit, camera\ndrag   turn the orbit\n"
             "wheel  zoom\nq      quit";
    vl_renderer_window_view(r, &v, WIN_W, WIN_H, img);
    text_pixels(img, sv, &corner, &middle, &box);
    printf("preview with help: %ld text pixels at the top-left, %ld in the middle\n", corner, middle);
    CHECK(corner == 0 && middle > 300);
    free(cam_ref);
    free(stage_ref);
}

int main(void)
{
    check_layouts();

    vl_stage *stage = vl_stage_default();
    vl_gl *gl = vl_gl_create(stage, VL_GL_HEADLESS);
    CHECK(gl != NULL);
    if (!gl)
        return check_result("preview");
    vl_renderer *r = vl_renderer_create(stage, NULL);
    vl_scene *scene = vl_scene_create("builtin:grid", NULL);
    CHECK(r && scene);

    /* Output 0 shows four quadrants; a 40-degree camera 2.5 m from the
     * wall films their meeting point, its inner frustum wholly on the wall
     * (the stage view draws its border). */
    const vl_output *o = &stage->outputs[0];
    uint8_t *quads = malloc((size_t)o->width * o->height * 4);
    for (int y = 0; y < o->height; y++)
        for (int x = 0; x < o->width; x++) {
            unsigned rgb = quad_rgb[(x >= o->width / 2) + 2 * (y >= o->height / 2)];
            uint8_t *p = quads + ((size_t)y * o->width + x) * 4;
            p[0] = (uint8_t)(rgb >> 16);
            p[1] = (uint8_t)(rgb >> 8);
            p[2] = (uint8_t)rgb;
            p[3] = 255;
        }
    vl_renderer_show_image(r, 0, quads);
    vl_camera cam = { .pose = { { 0.1, 1.5, 0.9 }, 0, 0, 0 }, .fov_h_deg = 40, .width = 1920,
                      .height = 1080 };
    vl_renderer_frame(r, scene, &cam, 0);

    uint8_t *img = malloc((size_t)WIN_W * WIN_H * 4);
    vl_window_view v = { .stage = { .cam = &cam,
                                    .observer = vl_stage_observer_default(VL_STAGE_VIEW_ORBIT) } };
    check_single(r, stage, v, img);
    check_preview(r, stage, v, img);

    /* Tiny windows draw without GL errors, every pixel set. */
    static const int tiny[][2] = { { 64, 32 }, { 64, 1 }, { 3, 2 }, { 1, 1 } };
    for (int i = 0; i < 4; i++)
        for (int layout = 0; layout < 2; layout++) {
            v.layout = (enum vl_window_layout)layout;
            v.overlay = v.help = "x";
            vl_renderer_window_view(r, &v, tiny[i][0], tiny[i][1], img);
            CHECK(glGetError() == GL_NO_ERROR);
            CHECK(all_opaque(img, tiny[i][0], tiny[i][1]));
        }

    free(img);
    free(quads);
    vl_scene_destroy(scene);
    vl_renderer_destroy(r);
    vl_gl_destroy(gl);
    vl_stage_free(stage);
    return check_result("preview");
}
