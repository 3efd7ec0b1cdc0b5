/*
 * Plate frames on the GPU (render/plate_tex.c and shaders/plate.glsl).
 * Frames are made in memory at odd sizes with padded lines, uploaded,
 * drawn through plate_sample one output pixel per texel centre, and
 * compared with libswscale's conversion of the same frame: every format
 * the shader reads, a few that libswscale converts, each YCbCr matrix and
 * range, 16-bit precision for deep formats. Also alpha, the display
 * matrix's turns, the matrix guessed for untagged frames, the fallback
 * pattern, bad frames, a sequence of frames through the buffer ring, size
 * changes.
 */
#include "check.h"
#include "render/gl_util.h"
#include "render/plate_tex.h"
#include "render/render.h"
#include "shaders.h"
#include "stage/stage.h"

#include <libavutil/display.h>
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>

#define W 67
#define H 35
#define MAX_W 1280              /* widest frame made */
#define N_LAYOUTS 5
#define BLOCK 8                 /* chroma samples per side of a constant block */

static const char vert[] =
    "#version 330 core\n"
    "out vec2 v_uv;\n"
    "void main()\n"
    "{\n"
    "    vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));\n"
    "    v_uv = vec2(p.x, 1.0 - p.y);\n"
    "    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);\n"
    "}\n";
static const char body[] =
    "in vec2 v_uv;\n"
    "out vec4 o_color;\n"
    "void main() { o_color = vec4(plate_sample(v_uv), 1.0); }\n";
static const char alpha_body[] =
    "in vec2 v_uv;\n"
    "out vec4 o_color;\n"
    "void main() { o_color = vec4(plate_sample_rgba(v_uv).aaa, 1.0); }\n";

typedef struct gl_env {
    GLuint progs[N_LAYOUTS], vao;   /* one per PLATE_LAYOUT */
    vl_plate_tex *t;
} gl_env;

/* The program for the picture's layout, in use, its textures bound. */
static void use_program(const gl_env *e, int first_unit)
{
    GLuint prog = e->progs[vl_plate_tex_layout(e->t)];
    glUseProgram(prog);
    vl_plate_tex_bind(e->t, prog, first_unit);
}

static uint32_t rng = 12345;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* ---- frames --------------------------------------------------------------- */

static bool subsampled_chroma(const AVPixFmtDescriptor *d, int c)
{
    return (c == 1 || c == 2) && !(d->flags & AV_PIX_FMT_FLAG_RGB) &&
           (d->log2_chroma_w || d->log2_chroma_h);
}

/* A frame (w <= MAX_W) with random samples, lines padded to 64 bytes. Subsampled
 * chroma is constant over BLOCK x BLOCK samples, so how chroma is sited
 * and filtered does not matter away from the block edges. Limited-range
 * YCbCr keeps to its legal codes (Y 16-235, C 16-240 at 8 bits): beyond
 * them libswscale 6 overflows (Y = Cb = Cr = 255 gives blue 0). */
static AVFrame *random_frame(enum AVPixelFormat fmt, int w, int h, bool limited)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(fmt);
    AVFrame *f = av_frame_alloc();
    f->format = fmt;
    f->width = w;
    f->height = h;
    CHECK(av_frame_get_buffer(f, 64) == 0);
    for (int i = 0; i < AV_NUM_DATA_POINTERS && f->buf[i]; i++)
        memset(f->buf[i]->data, 0, f->buf[i]->size);   /* av_write_image_line2 ORs */
    uint16_t block[64][64], line[MAX_W];
    for (int i = 0; i < 64; i++)
        for (int j = 0; j < 64; j++)
            block[i][j] = (uint16_t)rnd();
    for (int c = 0; c < d->nb_components; c++) {
        const AVComponentDescriptor *cd = &d->comp[c];
        bool chroma = subsampled_chroma(d, c);
        int cw = chroma ? AV_CEIL_RSHIFT(w, d->log2_chroma_w) : w;
        int ch = chroma ? AV_CEIL_RSHIFT(h, d->log2_chroma_h) : h;
        uint32_t lo = 0, n = 1u << cd->depth;
        if (limited && c < 3 && !(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL))) {
            lo = 16u << (cd->depth - 8);
            n = (c ? 225u : 220u) << (cd->depth - 8);
        }
        for (int y = 0; y < ch; y++) {
            for (int x = 0; x < cw; x++)
                line[x] = (uint16_t)(lo + (chroma ? block[y / BLOCK % 64][x / BLOCK % 64] + 97u * c
                                                  : rnd()) % n);
            av_write_image_line2(line, f->data, f->linesize, d, 0, y, c, cw, 2);
        }
    }
    if (d->flags & AV_PIX_FMT_FLAG_PAL)
        for (int i = 0; i < 1024; i++)
            f->data[1][i] = (uint8_t)rnd();
    return f;
}

/* Pixels whose chroma block is the same on all sides, margin pixels deep:
 * only there is the expected colour independent of chroma siting. */
static bool chroma_interior(const AVPixFmtDescriptor *d, int x, int y)
{
    if (!subsampled_chroma(d, 1))
        return true;
    int bw = BLOCK << d->log2_chroma_w, bh = BLOCK << d->log2_chroma_h;
    int mw = 2 << d->log2_chroma_w, mh = 2 << d->log2_chroma_h;
    return (x % bw >= mw || x < bw) && (x % bw < bw - mw) &&
           (y % bh >= mh || y < bh) && (y % bh < bh - mh);
}

/* The same samples in another layout of the same depth and subsampling
 * (nv16 as yuv422p: libswscale 6 cannot read nv16). */
static AVFrame *repack(const AVFrame *f, enum AVPixelFormat to)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format), *td = av_pix_fmt_desc_get(to);
    AVFrame *r = av_frame_alloc();
    r->format = to;
    r->width = f->width;
    r->height = f->height;
    CHECK(av_frame_get_buffer(r, 0) == 0);
    for (int i = 0; i < AV_NUM_DATA_POINTERS && r->buf[i]; i++)
        memset(r->buf[i]->data, 0, r->buf[i]->size);
    uint16_t line[W];
    for (int c = 0; c < 3; c++) {
        bool chroma = subsampled_chroma(d, c);
        int cw = chroma ? AV_CEIL_RSHIFT(f->width, d->log2_chroma_w) : f->width;
        int ch = chroma ? AV_CEIL_RSHIFT(f->height, d->log2_chroma_h) : f->height;
        for (int y = 0; y < ch; y++) {
            av_read_image_line2(line, (const uint8_t **)f->data, f->linesize, d, 0, y, c, cw, 0, 2);
            av_write_image_line2(line, r->data, r->linesize, td, 0, y, c, cw, 2);
        }
    }
    return r;
}

/* libswscale's RGB24 or RGB48 (16 bits) of the frame, tightly packed. */
static uint16_t *reference(const AVFrame *f, enum AVColorSpace spc, bool full, bool deep)
{
    if (f->format == AV_PIX_FMT_NV16) {
        AVFrame *r = repack(f, AV_PIX_FMT_YUV422P);
        uint16_t *out = reference(r, spc, full, deep);
        av_frame_free(&r);
        return out;
    }
    enum AVPixelFormat to = deep ? AV_PIX_FMT_RGB48LE : AV_PIX_FMT_RGB24;
    struct SwsContext *s = sws_getContext(f->width, f->height, f->format, f->width, f->height,
                                          to, SWS_BITEXACT | SWS_ACCURATE_RND |
                                          SWS_FULL_CHR_H_INT | SWS_POINT, NULL, NULL, NULL);
    CHECK(s != NULL);
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    const int *coefs = sws_getCoefficients(spc);
    if (!(d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)))
        sws_setColorspaceDetails(s, coefs, full, coefs, 1, 0, 1 << 16, 1 << 16);
    int stride = f->width * 3 * (deep ? 2 : 1);
    uint8_t *rgb = malloc((size_t)stride * f->height);
    sws_scale(s, (const uint8_t *const *)f->data, f->linesize, 0, f->height, &rgb, &stride);
    sws_freeContext(s);
    uint16_t *out = malloc((size_t)f->width * f->height * 3 * sizeof(*out));
    for (int i = 0; i < f->width * f->height * 3; i++)
        out[i] = deep ? (uint16_t)(rgb[2 * i] | rgb[2 * i + 1] << 8) : rgb[i];
    free(rgb);
    return out;
}

/* ---- drawing -------------------------------------------------------------- */

/* The plate drawn at w x h, RGB 8 or 16 bits a channel, top row first. */
static uint16_t *draw(const gl_env *e, int w, int h, bool deep)
{
    GLuint tex, fbo;
    glGenTextures(1, &tex);
    glBindTexture(GL_TEXTURE_2D, tex);
    glTexImage2D(GL_TEXTURE_2D, 0, deep ? GL_RGBA16 : GL_RGBA8, w, h, 0, GL_RGBA,
                 GL_UNSIGNED_BYTE, NULL);
    glGenFramebuffers(1, &fbo);
    glBindFramebuffer(GL_FRAMEBUFFER, fbo);
    glFramebufferTexture2D(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0, GL_TEXTURE_2D, tex, 0);
    CHECK(glCheckFramebufferStatus(GL_FRAMEBUFFER) == GL_FRAMEBUFFER_COMPLETE);
    glViewport(0, 0, w, h);
    use_program(e, 1);
    glBindVertexArray(e->vao);
    glDrawArrays(GL_TRIANGLES, 0, 3);
    uint16_t *rgba = malloc((size_t)w * h * 4 * sizeof(*rgba));
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, w, h, GL_RGBA, GL_UNSIGNED_SHORT, rgba);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    glDeleteFramebuffers(1, &fbo);
    glDeleteTextures(1, &tex);
    uint16_t *rgb = malloc((size_t)w * h * 3 * sizeof(*rgb));
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                uint16_t v = rgba[((size_t)(h - 1 - y) * w + x) * 4 + c];
                rgb[((size_t)y * w + x) * 3 + c] = deep ? v : (uint16_t)((v + 128) / 257);
            }
    free(rgba);
    return rgb;
}

/* The same through vl_target and vl_gl_read_rgba, as the renderer reads. */
static unsigned char *draw_rgba8(const gl_env *e, int w, int h)
{
    vl_target tg;
    CHECK(vl_target_init(&tg, w, h, false));
    vl_target_bind(&tg);
    use_program(e, 0);
    glBindVertexArray(e->vao);
    glDrawArrays(GL_TRIANGLES, 0, 3);
    unsigned char *rgba = malloc((size_t)w * h * 4);
    vl_gl_read_rgba(w, h, true, rgba);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
    vl_target_free(&tg);
    return rgba;
}

/* Largest channel difference between drawn and expected, over the pixels
 * chroma_interior keeps. */
static int max_error(const AVFrame *f, const uint16_t *got, const uint16_t *want)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    int err = 0;
    for (int y = 0; y < f->height; y++)
        for (int x = 0; x < f->width; x++) {
            if (!chroma_interior(d, x, y))
                continue;
            for (int c = 0; c < 3; c++) {
                size_t i = ((size_t)y * f->width + x) * 3 + c;
                int diff = abs((int)got[i] - (int)want[i]);
                err = diff > err ? diff : err;
            }
        }
    return err;
}

/* Upload f and compare with libswscale at 8 bits (and at 16 for deep
 * formats); the colour decisions are the test's own. */
static void compare(const gl_env *e, const AVFrame *f, enum AVColorSpace spc, bool full)
{
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(f->format);
    CHECK(vl_plate_tex_upload(e->t, f));
    uint16_t *got = draw(e, f->width, f->height, false);
    uint16_t *want = reference(f, spc, full, false);
    int err = max_error(f, got, want);
    printf("%-14s %-11s %-7s %dx%d: max error %d/255", d->name, av_color_space_name(spc),
           full ? "full" : "limited", f->width, f->height, err);
    CHECK(err <= 2);
    free(got);
    free(want);
    if (d->comp[0].depth > 8) {
        got = draw(e, f->width, f->height, true);
        want = reference(f, spc, full, true);
        int err16 = max_error(f, got, want);
        printf(", %d/65535", err16);
        CHECK(err16 <= 2 * 257);
        free(got);
        free(want);
    }
    printf("\n");
}

static void compare_new(const gl_env *e, enum AVPixelFormat fmt, enum AVColorSpace spc, bool full)
{
    AVFrame *f = random_frame(fmt, W, H, !full);
    f->colorspace = spc;
    f->color_range = full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
    compare(e, f, spc, full);
    av_frame_free(&f);
}

/* ---- the tests ------------------------------------------------------------ */

/* Before any frame: a magenta and dark grey checkerboard with a white
 * diagonal, aspect 16:9. */
static void test_fallback(const gl_env *e)
{
    CHECK(vl_plate_tex_layout(e->t) == 0);  /* the fallback pattern */
    CHECK_NEAR(vl_plate_tex_aspect(e->t), 16.0 / 9.0, 1e-12);
    int w = 160, h = 90, magenta = 0, grey = 0, white = 0;
    unsigned char *p = draw_rgba8(e, w, h);
    for (int i = 0; i < w * h; i++) {
        const unsigned char *c = p + 4 * i;
        magenta += c[0] == 255 && c[1] == 0 && c[2] == 255;
        grey += c[0] == 51 && c[1] == 51 && c[2] == 51;
        white += c[0] == 255 && c[1] == 255 && c[2] == 255;
    }
    CHECK(magenta > w * h / 3 && grey > w * h / 3);
    CHECK(white >= w / 2);
    /* Square (0,0) is grey, (1,0) magenta: 10 pixels a square. */
    CHECK(p[(5 * w + 15) * 4 + 1] == 0 && p[(5 * w + 15) * 4] == 255);
    CHECK(p[(5 * w + 25) * 4] == 51);
    free(p);
}

/* yuv444p with random content for each matrix and range. */
static void test_matrices(const gl_env *e)
{
    const enum AVColorSpace spcs[] = { AVCOL_SPC_BT470BG, AVCOL_SPC_BT709, AVCOL_SPC_BT2020_NCL };
    for (int i = 0; i < 3; i++)
        for (int full = 0; full < 2; full++)
            compare_new(e, AV_PIX_FMT_YUV444P, spcs[i], full);
    /* The other names for those matrices, and the two others. */
    compare_new(e, AV_PIX_FMT_YUV444P, AVCOL_SPC_SMPTE170M, false);
    compare_new(e, AV_PIX_FMT_YUV444P, AVCOL_SPC_FCC, false);
    compare_new(e, AV_PIX_FMT_YUV444P, AVCOL_SPC_SMPTE240M, true);
    compare_new(e, AV_PIX_FMT_YUV444P10LE, AVCOL_SPC_BT2020_NCL, false);
}

static bool upload_logged(const gl_env *e, const AVFrame *f, int *lines, const char *word);

/* Unspecified matrix, as mpv guesses: BT.709 from 1280 wide or more than
 * 576 lines (an untagged 1280x640 is HD), BT.601 below, said once; range:
 * limited, but full for JPEG's yuvj formats. */
static void test_guesses(const gl_env *e)
{
    const struct { int w, h; enum AVColorSpace spc; } sizes[] = {
        { W, H, AVCOL_SPC_BT470BG }, { 9, 720, AVCOL_SPC_BT709 }, { 720, 576, AVCOL_SPC_BT470BG },
        { 1280, 4, AVCOL_SPC_BT709 }, { W, H, AVCOL_SPC_BT470BG }, { 9, 577, AVCOL_SPC_BT709 },
    };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {   /* each a new guess */
        AVFrame *f = random_frame(AV_PIX_FMT_YUV444P, sizes[i].w, sizes[i].h, true);
        int lines;
        const char *name = sizes[i].spc == AVCOL_SPC_BT709 ? "BT.709" : "BT.601";
        CHECK(upload_logged(e, f, &lines, name));
        CHECK(lines == 1);
        CHECK(upload_logged(e, f, &lines, name));
        CHECK(lines == 0);                      /* once, not per frame */
        compare(e, f, sizes[i].spc, false);
        av_frame_free(&f);
    }
    AVFrame *f = random_frame(AV_PIX_FMT_YUVJ420P, W, H, false);
    compare(e, f, AVCOL_SPC_BT470BG, true);
    av_frame_free(&f);
}

/* Alpha comes through as it is stored: every alpha format the shader
 * reads (ProRes 4444's yuva444p12le, PNG's rgba, HAP Alpha's rgba ...) is
 * read without libswscale, and plate_sample_rgba's alpha, drawn at 16 bits,
 * is the frame's alpha sample over its maximum; formats without alpha give
 * 1. */
static void test_alpha(const gl_env *e, const gl_env *ea)
{
    const enum AVPixelFormat formats[] = {
        AV_PIX_FMT_YUVA444P12LE, AV_PIX_FMT_YUVA422P12LE, AV_PIX_FMT_YUVA444P10LE,
        AV_PIX_FMT_YUVA420P, AV_PIX_FMT_YUVA444P16LE, AV_PIX_FMT_RGBA, AV_PIX_FMT_BGRA,
        AV_PIX_FMT_ARGB, AV_PIX_FMT_ABGR, AV_PIX_FMT_RGBA64LE, AV_PIX_FMT_GBRAP,
        AV_PIX_FMT_GBRAP10LE, AV_PIX_FMT_GBRAP12LE, AV_PIX_FMT_YUV444P12LE, AV_PIX_FMT_RGB0,
    };
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(formats[i]);
        bool has = d->flags & AV_PIX_FMT_FLAG_ALPHA;
        CHECK(vl_plate_tex_is_direct(formats[i]));
        AVFrame *f = random_frame(formats[i], W, H, true);
        f->colorspace = AVCOL_SPC_BT709;
        CHECK(vl_plate_tex_upload(e->t, f));
        CHECK(vl_plate_tex_has_alpha(e->t) == has);
        uint16_t *got = draw(ea, W, H, true), line[W];
        int err = 0;
        for (int y = 0; y < H; y++) {
            if (has)
                av_read_image_line2(line, (const uint8_t **)f->data, f->linesize, d, 0, y, 3, W, 0, 2);
            for (int x = 0; x < W; x++) {
                double want = has ? 65535.0 * line[x] / ((1 << d->comp[3].depth) - 1) : 65535;
                err = fmax(err, fabs(got[(y * W + x) * 3] - want));
            }
        }
        printf("alpha of %-13s (layout %d): max error %d/65535\n", d->name,
               vl_plate_tex_layout(e->t), err);
        CHECK(err <= 2 * 257);
        free(got);
        compare(e, f, AVCOL_SPC_BT709, false);  /* the colour is still right */
        av_frame_free(&f);
    }
    CHECK(!vl_plate_tex_is_direct(AV_PIX_FMT_YA8));
}

/* The display matrix turns the picture as it is shown: each frame pixel
 * lands where the matrix sends its centre (the sum done here forwards,
 * the shader inverts it), the aspect turns with it, and angles between
 * quarter turns go to the nearest one with one warning. */
static void test_orientation(const gl_env *e)
{
    const struct { double cw_deg; bool hflip; int turn; const char *word; } cases[] = {
        { 90, false, 90, "90 degrees clockwise," }, { 180, false, 180, "180 degrees" },
        { 270, false, 270, "270 degrees" }, { 0, true, 0, "0 degrees clockwise and mirrored" },
        { 90, true, 90, "90 degrees clockwise and mirrored" },
        { 30, false, 0, "by 30.0 degrees" }, { 80, false, 90, "by 80.0 degrees" },
    };
    AVFrame *f = random_frame(AV_PIX_FMT_RGB24, W, H, false);
    for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        AVFrameSideData *sd = av_frame_new_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX,
                                                     9 * sizeof(int32_t));
        int32_t *m = (int32_t *)sd->data;
        av_display_rotation_set(m, cases[k].cw_deg);
        av_display_matrix_flip(m, cases[k].hflip, false);
        int lines;
        CHECK(upload_logged(e, f, &lines, cases[k].word));
        CHECK(lines == 1 + (cases[k].turn != cases[k].cw_deg));
        CHECK(upload_logged(e, f, &lines, ""));
        CHECK(lines == 0);
        av_frame_remove_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX);

        bool swap = cases[k].turn % 180;
        int dw = swap ? H : W, dh = swap ? W : H;
        CHECK_NEAR(vl_plate_tex_aspect(e->t), (double)dw / dh, 1e-9);
        uint16_t *got = draw(e, dw, dh, false);
        /* The exact quarter turn's matrix, applied to pixel centres about
         * the picture's centre: (x, y) -> (a x + c y, b x + d y). */
        double a = cos(cases[k].turn * M_PI / 180), b = sin(cases[k].turn * M_PI / 180);
        double mm[4] = { a, b, -b, a };         /* a b c d of a clockwise turn (y down) */
        if (cases[k].hflip)
            mm[0] = -mm[0], mm[2] = -mm[2];
        int bad = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                double px = x + 0.5 - W / 2.0, py = y + 0.5 - H / 2.0;
                int dx = (int)floor(mm[0] * px + mm[2] * py + dw / 2.0);
                int dy = (int)floor(mm[1] * px + mm[3] * py + dh / 2.0);
                const uint8_t *src = f->data[0] + y * f->linesize[0] + x * 3;
                const uint16_t *c = got + ((size_t)dy * dw + dx) * 3;
                bad += abs(c[0] - src[0]) > 1 || abs(c[1] - src[1]) > 1 || abs(c[2] - src[2]) > 1;
            }
        printf("display matrix %g degrees%s: shown %dx%d, %d of %d pixels misplaced\n",
               cases[k].cw_deg, cases[k].hflip ? " mirrored" : "", dw, dh, bad, W * H);
        CHECK(bad == 0);
        free(got);
    }
    /* Without its matrix the frame is shown as stored again. */
    int lines;
    CHECK(upload_logged(e, f, &lines, "shown as stored"));
    CHECK(lines == 1);
    CHECK_NEAR(vl_plate_tex_aspect(e->t), (double)W / H, 1e-9);
    av_frame_free(&f);
}

/* Every format the shader reads, and some libswscale converts. */
static void test_formats(const gl_env *e)
{
    const enum AVPixelFormat formats[] = {
        AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV410P, AV_PIX_FMT_YUV411P,
        AV_PIX_FMT_YUV440P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_YUVJ440P,
        AV_PIX_FMT_YUVA420P, AV_PIX_FMT_YUVA422P, AV_PIX_FMT_YUVA444P,
        AV_PIX_FMT_NV12, AV_PIX_FMT_NV21, AV_PIX_FMT_NV16, AV_PIX_FMT_NV24, AV_PIX_FMT_NV42,
        AV_PIX_FMT_YUV420P10LE, AV_PIX_FMT_YUV422P10LE, AV_PIX_FMT_YUV444P10LE,
        AV_PIX_FMT_YUV420P12LE, AV_PIX_FMT_YUV422P12LE, AV_PIX_FMT_YUV444P12LE,
        AV_PIX_FMT_YUV420P16LE, AV_PIX_FMT_YUV422P16LE, AV_PIX_FMT_YUV444P16LE,
        AV_PIX_FMT_YUVA420P10LE, AV_PIX_FMT_YUVA422P10LE, AV_PIX_FMT_YUVA444P10LE,
        AV_PIX_FMT_YUVA422P12LE, AV_PIX_FMT_YUVA444P12LE, AV_PIX_FMT_YUVA420P16LE,
        AV_PIX_FMT_YUVA422P16LE, AV_PIX_FMT_YUVA444P16LE,
        AV_PIX_FMT_P010LE, AV_PIX_FMT_P016LE, AV_PIX_FMT_P210LE, AV_PIX_FMT_P410LE,
        AV_PIX_FMT_RGB24, AV_PIX_FMT_BGR24, AV_PIX_FMT_RGBA, AV_PIX_FMT_BGRA,
        AV_PIX_FMT_ARGB, AV_PIX_FMT_ABGR, AV_PIX_FMT_RGB0, AV_PIX_FMT_BGR0,
        AV_PIX_FMT_0RGB, AV_PIX_FMT_0BGR,
        AV_PIX_FMT_RGB48LE, AV_PIX_FMT_BGR48LE, AV_PIX_FMT_RGBA64LE, AV_PIX_FMT_BGRA64LE,
        AV_PIX_FMT_GBRP, AV_PIX_FMT_GBRAP, AV_PIX_FMT_GBRP10LE, AV_PIX_FMT_GBRP12LE,
        AV_PIX_FMT_GBRP16LE, AV_PIX_FMT_GBRAP10LE, AV_PIX_FMT_GBRAP12LE, AV_PIX_FMT_GBRAP16LE,
        /* converted by libswscale */
        AV_PIX_FMT_GRAY8, AV_PIX_FMT_GRAY16LE, AV_PIX_FMT_PAL8, AV_PIX_FMT_YUYV422,
        AV_PIX_FMT_UYVY422, AV_PIX_FMT_YUV420P10BE, AV_PIX_FMT_RGB565LE, AV_PIX_FMT_X2RGB10LE,
    };
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(formats[i]);
        bool rgb = d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL);
        compare_new(e, formats[i], i % 2 ? AVCOL_SPC_BT709 : AVCOL_SPC_BT470BG,
                    rgb || i % 3 == 0);
    }
}

/* 10 bits stay 10 bits: neighbouring codes of a luma ramp come out
 * different (and increasing) in a 16-bit target. */
static void test_precision(const gl_env *e)
{
    AVFrame *f = random_frame(AV_PIX_FMT_YUV420P10LE, W, H, true);
    f->colorspace = AVCOL_SPC_BT709;
    f->color_range = AVCOL_RANGE_MPEG;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            ((uint16_t *)(f->data[0] + y * f->linesize[0]))[x] = (uint16_t)(64 + (y * W + x) % 877);
    for (int p = 1; p < 3; p++)
        for (int y = 0; y < (H + 1) / 2; y++)
            for (int x = 0; x < (W + 1) / 2; x++)
                ((uint16_t *)(f->data[p] + y * f->linesize[p]))[x] = 512;
    CHECK(vl_plate_tex_upload(e->t, f));
    uint16_t *got = draw(e, W, H, true);
    int steps = 0, increasing = 0;
    for (int i = 1; i < W * H; i++) {
        if (i % 877 == 0)                       /* the ramp starts again */
            continue;
        const uint16_t *a = got + (i - 1) * 3, *b = a + 3;
        steps++;
        increasing += b[0] > a[0] && b[1] > a[1] && b[2] > a[2];
    }
    printf("10-bit ramp: %d of %d one-code steps increase (one code = %.1f/65535)\n",
           increasing, steps, 65535.0 / 876);
    CHECK(increasing == steps);
    free(got);
    compare(e, f, AVCOL_SPC_BT709, false);
    av_frame_free(&f);
}

/* Chroma siting: Cb a ramp over the chroma samples, read back at 16 bits
 * where bilinear filtering reproduces the ramp. Chroma sample j sits on
 * luma pixel 2j (cosited) or between pixels 2j and 2j+1 (centre), so luma
 * pixel x sees chroma index x/2 or (x - 1/2)/2; likewise down. 10 bits:
 * llvmpipe filters 8-bit textures to whole 8-bit codes. */
static void test_siting(const gl_env *e)
{
    const struct { enum AVChromaLocation loc; bool left, top; } cases[] = {
        { AVCHROMA_LOC_UNSPECIFIED, true, false },  /* MPEG-2 / H.264's default */
        { AVCHROMA_LOC_LEFT, true, false },
        { AVCHROMA_LOC_CENTER, false, false },
        { AVCHROMA_LOC_TOPLEFT, true, true },
    };
    AVFrame *f = random_frame(AV_PIX_FMT_YUV420P10LE, W, H, false);
    f->colorspace = AVCOL_SPC_BT470BG;
    f->color_range = AVCOL_RANGE_JPEG;
    for (int p = 0; p < 3; p++)
        for (int y = 0; y < (p ? (H + 1) / 2 : H); y++)
            for (int x = 0; x < (p ? (W + 1) / 2 : W); x++)
                ((uint16_t *)(f->data[p] + y * f->linesize[p]))[x] =
                    (uint16_t)(p == 1 ? 256 + 12 * x + 12 * y : 512);
    for (int k = 0; k < 4; k++) {
        f->chroma_location = cases[k].loc;
        CHECK(vl_plate_tex_upload(e->t, f));
        uint16_t *got = draw(e, W, H, true);
        double err = 0;
        for (int y = 2; y < 28; y++)
            for (int x = 2; x < 56; x++) {
                double hx = cases[k].left ? x / 2.0 : (x - 0.5) / 2;
                double vy = cases[k].top ? y / 2.0 : (y - 0.5) / 2;
                double cb = 256 + 12 * hx + 12 * vy;
                double b = 65535 * (512 / 1023.0 + 2 * (1 - 0.114) * (cb - 512) / 1023);
                err = fmax(err, fabs(got[(y * W + x) * 3 + 2] - b));
            }
        printf("chroma location %-11s: max error %.0f/65535 (a quarter chroma sample off: %.0f)\n",
               av_chroma_location_name(cases[k].loc), err, 65535 * 1.772 * 3 / 1023);
        CHECK(err < 60);
        free(got);
    }
    av_frame_free(&f);
}

/* Frames one after another through the buffer ring, a new size and
 * format in between, and lines stored bottom-up (negative linesize). */
static void test_sequence(const gl_env *e)
{
    for (int i = 0; i < 5; i++) {
        AVFrame *f = random_frame(AV_PIX_FMT_YUV420P, W, H, true);
        f->colorspace = AVCOL_SPC_BT709;
        compare(e, f, AVCOL_SPC_BT709, false);
        av_frame_free(&f);
    }
    AVFrame *f = random_frame(AV_PIX_FMT_NV12, 33, 17, true);
    f->colorspace = AVCOL_SPC_BT709;
    compare(e, f, AVCOL_SPC_BT709, false);
    av_frame_free(&f);
    f = random_frame(AV_PIX_FMT_RGB24, W, H, false);
    f->data[0] += (H - 1) * f->linesize[0];
    f->linesize[0] = -f->linesize[0];
    compare(e, f, AVCOL_SPC_BT709, true);
    f->linesize[0] = -f->linesize[0];
    f->data[0] -= (H - 1) * f->linesize[0];
    av_frame_free(&f);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* Upload with stderr captured; *lines gets the lines logged. */
static bool upload_logged(const gl_env *e, const AVFrame *f, int *lines, const char *word)
{
    char log[4096];
    FILE *tmp;
    int saved = capture_stderr(&tmp);
    bool ok = vl_plate_tex_upload(e->t, f);
    end_capture(tmp, saved, log, sizeof(log));
    printf("upload %dx%d: %s -> %s", f->width, f->height, ok ? "ok" : "refused",
           *log ? log : "(nothing logged)\n");
    *lines = count_lines(log);
    CHECK(!*lines || (strstr(log, "[render/plate]") && strstr(log, word)));
    return ok;
}

/* Bad frames are refused with one message and the picture stays; the
 * conversion is logged once, not per frame; the sample aspect counts. */
static void test_bad_frames(const gl_env *e)
{
    AVFrame *f = random_frame(AV_PIX_FMT_YUV420P, W, H, true);
    f->sample_aspect_ratio = (AVRational){ 4, 3 };
    CHECK(vl_plate_tex_upload(e->t, f));
    CHECK(vl_plate_tex_layout(e->t) != 0);
    CHECK_NEAR(vl_plate_tex_aspect(e->t), (double)W / H * 4 / 3, 1e-12);
    unsigned char *before = draw_rgba8(e, W, H);

    int lines;
    AVFrame *bad = av_frame_alloc();
    bad->format = AV_PIX_FMT_YUV420P;
    bad->height = H;                            /* width 0 */
    CHECK(!upload_logged(e, bad, &lines, "0x35 yuv420p"));
    CHECK(lines == 1);
    bad->width = 20000;
    CHECK(!upload_logged(e, bad, &lines, "20000x35"));
    CHECK(lines == 1);
    bad->width = W;                             /* no planes */
    CHECK(!upload_logged(e, bad, &lines, "plane"));
    CHECK(lines == 1);
    bad->format = AV_PIX_FMT_VAAPI;             /* a GPU surface, not pixels */
    CHECK(!upload_logged(e, bad, &lines, "vaapi"));
    CHECK(lines == 1);
    av_frame_free(&bad);

    unsigned char *after = draw_rgba8(e, W, H);
    CHECK(memcmp(before, after, (size_t)W * H * 4) == 0);
    CHECK_NEAR(vl_plate_tex_aspect(e->t), (double)W / H * 4 / 3, 1e-12);
    free(before);
    free(after);
    av_frame_free(&f);

    f = random_frame(AV_PIX_FMT_GRAY8, W, H, false);
    CHECK(upload_logged(e, f, &lines, "gray"));
    CHECK(lines == 1);
    CHECK(upload_logged(e, f, &lines, "gray"));
    CHECK(lines == 0);
    av_frame_free(&f);
}

int main(void)
{
    av_log_set_level(AV_LOG_ERROR);     /* libswscale on yuvj formats */
    vl_stage *stage = vl_stage_default();
    vl_gl *gl = vl_gl_create(stage, VL_GL_HEADLESS);
    CHECK(gl != NULL);
    if (!gl)
        return check_result("plate-tex");
    gl_env e = { .vao = vl_gl_empty_vao(), .t = vl_plate_tex_create() };
    gl_env ea = e;              /* the same textures, drawn as alpha */
    for (int layout = 0; layout < N_LAYOUTS; layout++) {
        char head[64];
        snprintf(head, sizeof(head), "#version 330 core\n#define PLATE_LAYOUT %d\n", layout);
        const char *frag[] = { head, vl_shader_plate_glsl, body };
        e.progs[layout] = vl_gl_program_parts("plate-test", vert, frag, 3);
        frag[2] = alpha_body;
        ea.progs[layout] = vl_gl_program_parts("plate-alpha-test", vert, frag, 3);
        CHECK(e.progs[layout] != 0 && ea.progs[layout] != 0);
    }
    test_fallback(&e);
    test_matrices(&e);
    test_guesses(&e);
    test_alpha(&e, &ea);
    test_orientation(&e);
    test_formats(&e);
    test_precision(&e);
    test_siting(&e);
    test_sequence(&e);
    test_bad_frames(&e);
    CHECK(glGetError() == GL_NO_ERROR);
    vl_plate_tex_destroy(e.t);
    for (int layout = 0; layout < N_LAYOUTS; layout++) {
        glDeleteProgram(e.progs[layout]);
        glDeleteProgram(ea.progs[layout]);
    }
    glDeleteVertexArrays(1, &e.vao);
    vl_gl_destroy(gl);
    vl_stage_free(stage);
    return check_result("plate-tex");
}
