/*
 * Plates from files made here with ffmpeg, decoded by media/plate.c and
 * shown by the renderer: a phone clip's display matrix (compared with
 * ffmpeg's own autorotated picture), alpha from ProRes 4444, HAP Alpha and
 * an RGBA PNG on a flat screen, and the YCbCr matrix guessed for untagged
 * HD and SD clips of known colour bars.
 *
 * The stage is the default one with its output cut to the wall's 1920x800
 * pixels, so in wall mode canvas pixel (x, y) shows picture uv
 * ((x + 0.5) / 1920, (y + 0.5) / 800).
 */
#include "check.h"
#include "media/media.h"
#include "render/plate_tex.h"
#include "render/render.h"
#include "stage/stage.h"

#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <stb/stb_image.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CW 1920                 /* the canvas: all wall */
#define CH 800
#define CAM_W 960
#define CAM_H 540
#define FOV_DEG 50.0

static char dir[64];

/* Run a shell command made from fmt; false (and a failed check) if it fails. */
static bool sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "failed (%d): %s\n", rc, cmd);
    CHECK(rc == 0);
    return rc == 0;
}

/* Whether ffprobe's output for `path` (with `args`) holds `word`. */
static bool ffprobe_says(const char *path, const char *args, const char *word)
{
    char cmd[1024], out[4096];
    snprintf(cmd, sizeof(cmd), "ffprobe -hide_banner %s '%s' 2>&1", args, path);
    FILE *p = popen(cmd, "r");
    size_t n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
    out[n] = '\0';
    if (p)
        pclose(p);
    bool found = strstr(out, word) != NULL;
    if (!found)
        fprintf(stderr, "ffprobe %s %s: no '%s' in:\n%s", args, path, word, out);
    return found;
}

/* The first frame of the plate at `path` (kept open in *p: close it). */
static const AVFrame *first_frame(const char *path, vl_plate **p)
{
    *p = vl_plate_open(path);
    CHECK(*p != NULL);
    if (!*p)
        return NULL;
    int64_t index;
    const AVFrame *f = vl_plate_frame(*p, 0, 10 * 1000000000LL, &index);
    CHECK(f != NULL);
    return f;
}

/* The frame shown in wall mode; canvas gets CW x CH x 4 bytes. */
static void wall_canvas(vl_renderer *r, const AVFrame *f, uint8_t *canvas)
{
    vl_plate_view v = { .mode = VL_PLATE_WALL };
    vl_renderer_set_plate(r, &v);
    CHECK(vl_renderer_plate_frame(r, f));
    vl_camera cam = { .pose = { { 0, 0, 1.5 }, 0, 0, 0 }, .fov_h_deg = FOV_DEG,
                      .width = CAM_W, .height = CAM_H };
    vl_renderer_frame(r, NULL, &cam, 0);
    vl_renderer_read_canvas(r, 0, canvas);
}

/* Upload f with stderr captured into log. */
static bool upload_logged(vl_renderer *r, const AVFrame *f, char *log, size_t n)
{
    FILE *tmp;
    int saved = capture_stderr(&tmp);
    bool ok = vl_renderer_plate_frame(r, f);
    end_capture(tmp, saved, log, n);
    printf("upload %s: %s", av_get_pix_fmt_name(f->format), *log ? log : "(nothing logged)\n");
    return ok;
}

/* ---- 1. the display matrix ------------------------------------------------ */

static void put_be32(uint8_t *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    p[0] = (uint8_t)(u >> 24);
    p[1] = (uint8_t)(u >> 16);
    p[2] = (uint8_t)(u >> 8);
    p[3] = (uint8_t)u;
}

/* Write into the MP4's track header the matrix of a clockwise turn by
 * cw_deg, as a phone does (ffmpeg 5.1 has no option that writes one). */
static bool set_tkhd_turn(const char *path, int cw_deg)
{
    size_t len;
    char *data = vl_read_file(path, &len);
    CHECK(data != NULL);
    if (!data)
        return false;
    uint8_t *tkhd = NULL;
    for (size_t i = 4; i + 4 <= len && !tkhd; i++)
        if (!memcmp(data + i, "tkhd", 4))
            tkhd = (uint8_t *)data + i;
    /* After the type: version/flags, times, track id, duration, layer ...:
     * the matrix is 40 bytes in (52 for a version 1 box). */
    size_t off = tkhd ? (size_t)(tkhd - (uint8_t *)data) + 4 + (tkhd[4] == 1 ? 52 : 40) : 0;
    CHECK(tkhd && off + 36 <= len);
    if (!tkhd || off + 36 > len) {
        free(data);
        return false;
    }
    int c = (int)lround(cos(cw_deg * M_PI / 180)), s = (int)lround(sin(cw_deg * M_PI / 180));
    const int32_t m[9] = { c * 65536, s * 65536, 0, -s * 65536, c * 65536, 0, 0, 0, 1 << 30 };
    for (int i = 0; i < 9; i++)
        put_be32((uint8_t *)data + off + 4 * i, m[i]);
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(data, 1, len, f) == len;
    ok = f && fclose(f) == 0 && ok;
    free(data);
    CHECK(ok);
    return ok;
}

/* A 64x32 clip, blue with a red block in its top-left corner and a green
 * one in its top-right: told apart under every turn and mirror. Lossless
 * 4:4:4, so ffmpeg's picture and volym's differ only by rounding. Turned
 * 90, 180 and 270 degrees by its track header, each is shown in wall mode
 * as ffmpeg autorotates it (ffmpeg -i clip.mp4 ref.png). */
static void test_rotation(vl_renderer *r, uint8_t *canvas)
{
    for (int turn = 90; turn <= 270; turn += 90) {
        char clip[128], ref[128], want[64], log[2048];
        snprintf(clip, sizeof(clip), "%s/turned%d.mp4", dir, turn);
        snprintf(ref, sizeof(ref), "%s/turned%d.png", dir, turn);
        if (!sh("ffmpeg -loglevel error -y -f lavfi -i 'color=blue:size=64x32:rate=25,"
                "drawbox=x=0:y=0:w=16:h=8:color=red:t=fill,"
                "drawbox=x=56:y=0:w=8:h=8:color=lime:t=fill' -frames:v 2 -c:v libx264 -qp 0 "
                "-pix_fmt yuv444p '%s'", clip) || !set_tkhd_turn(clip, turn))
            continue;
        /* ffprobe gives the counter-clockwise angle. */
        snprintf(want, sizeof(want), "rotation of %s degrees",
                 turn == 90 ? "-90.00" : turn == 180 ? "-180.00" : "90.00");
        CHECK(ffprobe_says(clip, "", want));   /* its "displaymatrix:" side data */
        if (!sh("ffmpeg -loglevel error -y -i '%s' -frames:v 1 '%s'", clip, ref))
            continue;
        int rw, rh;
        uint8_t *png = stbi_load(ref, &rw, &rh, &(int){ 0 }, 3);
        CHECK(png != NULL);
        vl_plate *p;
        const AVFrame *f = first_frame(clip, &p);
        if (png && f) {
            CHECK(rw == (turn == 180 ? 64 : 32) && rh == (turn == 180 ? 32 : 64));
            CHECK(upload_logged(r, f, log, sizeof(log)));
            CHECK(strstr(log, "turned") && strstr(log, turn == 90 ? "90 degrees clockwise" :
                                                    turn == 180 ? "180 degrees" : "270 degrees"));
            wall_canvas(r, f, canvas);
            /* Each of ffmpeg's pixels where the canvas shows it, away from
             * the blocks' edges (filtering). */
            int bad = 0, n = 0;
            for (int y = 1; y < rh - 1; y++)
                for (int x = 1; x < rw - 1; x++) {
                    const uint8_t *q = png + (y * rw + x) * 3;
                    bool edge = false;
                    for (int k = 0; k < 4; k++) {
                        const uint8_t *o = png + ((y + (k == 1) - (k == 3)) * rw + x + (k == 0) -
                                                  (k == 2)) * 3;
                        edge |= abs(o[0] - q[0]) + abs(o[1] - q[1]) + abs(o[2] - q[2]) > 12;
                    }
                    if (edge)
                        continue;
                    int cx = (int)((x + 0.5) * CW / rw), cy = (int)((y + 0.5) * CH / rh);
                    const uint8_t *c = canvas + ((size_t)cy * CW + cx) * 4;
                    n++;
                    bad += abs(c[0] - q[0]) > 4 || abs(c[1] - q[1]) > 4 || abs(c[2] - q[2]) > 4;
                }
            printf("turned %d: ffmpeg's %dx%d picture, %d pixels compared, %d differ\n", turn,
                   rw, rh, n, bad);
            CHECK(n > rw * rh / 2 && bad == 0);
        }
        stbi_image_free(png);
        vl_plate_close(p);
    }
}

/* ---- 2. alpha ------------------------------------------------------------- */

/* The alpha the test pictures have at picture u: 0 over the left quarter,
 * 1 over the right one, a ramp between (source pixels 64 .. 191 of 256). */
static double alpha_at(double u)
{
    double x = u * 256 - 0.5;
    return fmin(fmax((x - 64) / 127, 0), 1);
}

/* A red 256x128 picture with that alpha on a flat screen 12 m ahead, 8 m
 * wide, filmed from (0, 0, 1.5): its pixels go to the GPU as decoded (no
 * libswscale), and along the middle row the wall shows red times alpha
 * (what is behind the screen is black). In equirect and wall mode the
 * alpha is ignored, said once. */
static void test_alpha(vl_renderer *r, const char *name, enum AVPixelFormat want_format,
                       const char *make)
{
    char path[128], log[2048];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!sh("ffmpeg -loglevel error -y -f lavfi -i %s -frames:v 1 '%s'", make, path))
        return;
    vl_plate *p;
    const AVFrame *f = first_frame(path, &p);
    if (!f) {
        vl_plate_close(p);
        return;
    }
    const char *fmt = av_get_pix_fmt_name(f->format);
    printf("%s decodes to %s\n", name, fmt);
    CHECK(f->format == want_format);
    CHECK(vl_plate_tex_is_direct(f->format));
    vl_plate_view flat = { .mode = VL_PLATE_FLAT, .distance_m = 12, .width_m = 8,
                           .centre_z_m = 1.5 };
    vl_renderer_set_plate(r, &flat);
    CHECK(upload_logged(r, f, log, sizeof(log)));
    CHECK(!strstr(log, "CPU") && !strstr(log, "alpha"));
    vl_camera cam = { .pose = { { 0, 0, 1.5 }, 0, 0, 0 }, .fov_h_deg = FOV_DEG,
                      .width = CAM_W, .height = CAM_H };
    vl_renderer_frame(r, NULL, &cam, 0);
    uint8_t *img = malloc((size_t)CAM_W * CAM_H * 4);
    vl_renderer_camera_view(r, &cam, img);
    double focal = CAM_W / 2 / tan(FOV_DEG * M_PI / 360);
    const uint8_t *row = img + (size_t)(CAM_H / 2) * CAM_W * 4;
    const uint8_t *opaque = row + (size_t)(CAM_W / 2 + (int)(0.4 * 8 / 12 * focal)) * 4;
    int bad = 0, n = 0, clear = 0;
    for (int x = 0; x < CAM_W; x++) {
        double u = ((x + 0.5 - CAM_W / 2.0) / focal * 12) / 8 + 0.5;
        if (u < 0.01 || u > 0.99 || fabs(u - 0.25) < 0.01 || fabs(u - 0.75) < 0.01)
            continue;
        const uint8_t *c = row + (size_t)x * 4;
        double want = opaque[0] * alpha_at(u);
        n++;
        clear += u < 0.25 && c[0] + c[1] + c[2] <= 3;
        if (fabs(c[0] - want) > 8 || c[1] > 8 || c[2] > 8) {
            if (bad++ < 3)
                fprintf(stderr, "%s: u %.3f shows %d,%d,%d, expected red %.0f\n", name, u, c[0],
                        c[1], c[2], want);
        }
    }
    printf("%s on a flat screen: opaque red %d, %d pixels along the middle row checked, %d "
           "wrong, %d black through the clear quarter\n", name, opaque[0], n, bad, clear);
    CHECK(opaque[0] > 240 && n > 400 && bad == 0 && clear > 100);
    free(img);

    static const enum vl_plate_mode modes[] = { VL_PLATE_EQUIRECT, VL_PLATE_WALL };
    for (int i = 0; i < 2; i++) {
        vl_plate_view v = { .mode = modes[i] };
        FILE *tmp;
        int saved = capture_stderr(&tmp);
        vl_renderer_set_plate(r, &v);
        vl_renderer_plate_frame(r, f);
        vl_renderer_set_plate(r, &v);
        end_capture(tmp, saved, log, sizeof(log));
        printf("%s in %s mode: %s", name, i ? "wall" : "equirect", log);
        const char *nl = strchr(log, '\n');
        CHECK(nl && !nl[1] && strstr(log, "alpha is ignored") &&
              strstr(log, i ? "wall" : "equirect"));
    }
    vl_plate_close(p);
}

/* ---- 3. the matrix guessed for untagged clips ------------------------------ */

static const uint8_t bars[8][3] = {
    { 191, 191, 191 }, { 191, 191, 0 }, { 0, 191, 191 }, { 0, 191, 0 },
    { 191, 0, 191 }, { 191, 0, 0 }, { 0, 0, 191 }, { 64, 128, 200 },
};

/* Eight colour bars at w x h, made YCbCr with `matrix`'s coefficients and
 * stored without colour tags (FFV1, lossless): decoded and shown in wall
 * mode, each bar is its own RGB again within 3 levels (the wrong matrix is
 * off by up to 32). */
static void test_guess(vl_renderer *r, uint8_t *canvas, int w, int h, const char *matrix)
{
    char ppm[128], clip[128], log[2048];
    snprintf(ppm, sizeof(ppm), "%s/bars%dx%d.ppm", dir, w, h);
    snprintf(clip, sizeof(clip), "%s/bars%dx%d.mkv", dir, w, h);
    FILE *out = fopen(ppm, "wb");
    CHECK(out != NULL);
    if (!out)
        return;
    fprintf(out, "P6\n%d %d\n255\n", w, h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            fwrite(bars[x * 8 / w], 1, 3, out);
    fclose(out);
    if (!sh("ffmpeg -loglevel error -y -i '%s' -vf 'scale=out_color_matrix=%s:out_range=tv,"
            "format=yuv444p' -c:v ffv1 '%s'", ppm, matrix, clip))
        return;
    CHECK(ffprobe_says(clip, "-v error -show_entries stream=color_space", "color_space=unknown"));
    vl_plate *p;
    const AVFrame *f = first_frame(clip, &p);
    if (f) {
        CHECK(f->colorspace == AVCOL_SPC_UNSPECIFIED);
        CHECK(upload_logged(r, f, log, sizeof(log)));
        CHECK(strstr(log, strcmp(matrix, "bt709") ? "BT.601" : "BT.709"));
        wall_canvas(r, f, canvas);
        int err = 0;
        for (int b = 0; b < 8; b++) {
            const uint8_t *c = canvas + ((size_t)(CH / 2) * CW + (size_t)((b + 0.5) * CW / 8)) * 4;
            for (int k = 0; k < 3; k++)
                err = abs(c[k] - bars[b][k]) > err ? abs(c[k] - bars[b][k]) : err;
        }
        printf("untagged %dx%d bars made with %s: largest error %d levels\n", w, h, matrix, err);
        CHECK(err <= 3);
    }
    vl_plate_close(p);
}

int main(void)
{
    snprintf(dir, sizeof(dir), "/tmp/volym-clips-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    vl_stage *stage = vl_stage_default();
    stage->outputs[0].height = CH;
    vl_gl *gl = vl_gl_create(stage, VL_GL_HEADLESS);
    CHECK(gl != NULL);
    vl_renderer *r = gl ? vl_renderer_create(stage, NULL) : NULL;
    CHECK(!gl || r != NULL);
    if (r) {
        uint8_t *canvas = malloc((size_t)CW * CH * 4);
        test_rotation(r, canvas);
        test_alpha(r, "alpha4444.mov", AV_PIX_FMT_YUVA444P12LE,
                   "\"color=red:size=256x128,format=yuva444p10le,geq=lum='lum(X,Y)':"
                   "cb='cb(X,Y)':cr='cr(X,Y)':a='clip((X-64)*1023/127,0,1023)'\" "
                   "-c:v prores_ks -profile:v 4444 -pix_fmt yuva444p10le");
        test_alpha(r, "alpha.png", AV_PIX_FMT_RGBA,
                   "\"color=red:size=256x128,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':"
                   "b='b(X,Y)':a='clip((X-64)*255/127,0,255)'\"");
        test_alpha(r, "alpha-hap.mov", AV_PIX_FMT_RGBA,
                   "\"color=red:size=256x128,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':"
                   "b='b(X,Y)':a='clip((X-64)*255/127,0,255)'\" -c:v hap -format hap_alpha");
        test_guess(r, canvas, 1280, 640, "bt709");
        test_guess(r, canvas, 720, 576, "bt601");
        free(canvas);
    }
    vl_renderer_destroy(r);
    vl_gl_destroy(gl);
    vl_stage_free(stage);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return check_result("plate-clips");
}
