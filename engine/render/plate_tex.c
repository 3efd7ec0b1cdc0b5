/*
 * Plate frames on the GPU. A decoded frame's planes go to textures as they
 * are and shaders/plate.glsl turns them into RGB; only formats the shader
 * cannot read are converted on the CPU, with libswscale.
 *
 * Why pixel buffer objects, and why a ring of them. A plain
 * glTexSubImage2D(..., pixels) must be done reading `pixels` when it
 * returns, since the caller may free them right after; if the GPU is still
 * drawing with the texture (last frame's picture), the driver has to wait
 * for it or copy the pixels aside first. With a pixel buffer object (PBO)
 * bound to GL_PIXEL_UNPACK_BUFFER the pixels live in memory the driver
 * owns: we map the buffer, memcpy the plane's rows into it, unmap it, and
 * glTexSubImage2D only queues a copy from buffer to texture that the GPU
 * makes in order, after the draws that still read the old picture. Mapping
 * with GL_MAP_INVALIDATE_BUFFER_BIT says the old contents are not needed,
 * so the map never waits for an earlier copy out of that buffer (the
 * driver may hand out fresh memory instead). Cycling through RING buffers
 * per plane is for drivers that do not: the buffer written now is not the
 * one whose copy may still be running from the frame before.
 *
 * Rows are copied tightly packed, so any linesize (padded, negative) needs
 * no GL_UNPACK_ROW_LENGTH, and rows whose byte length is not a multiple of
 * the pixel size (rgb24) are no special case.
 */
#include "plate_tex.h"
#include "core/core.h"

#include <libavutil/display.h>
#include <libavutil/frame.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LOG "render/plate"
#define RING 3                  /* pixel buffers per plane */
#define MAX_SIZE 16384          /* larger is a broken frame, not a plate */
#define MAX_TEX 4               /* Y Cb Cr A (or G B R A) */

/* Formats the shader reads as they are. Which planes, channels, bit depth
 * and chroma subsampling each has comes from its AVPixFmtDescriptor; all
 * are little-endian with 8 or 16-bit samples. Alpha comes along: a channel
 * of a packed format's texture, or a plane of its own (the 4th texture). */
static const enum AVPixelFormat direct_formats[] = {
    AV_PIX_FMT_YUV420P, AV_PIX_FMT_YUV422P, AV_PIX_FMT_YUV444P,
    AV_PIX_FMT_YUV410P, AV_PIX_FMT_YUV411P, AV_PIX_FMT_YUV440P,
    AV_PIX_FMT_YUVJ420P, AV_PIX_FMT_YUVJ422P, AV_PIX_FMT_YUVJ444P, AV_PIX_FMT_YUVJ440P,
    AV_PIX_FMT_YUVA420P, AV_PIX_FMT_YUVA422P, AV_PIX_FMT_YUVA444P,
    AV_PIX_FMT_NV12, AV_PIX_FMT_NV21, AV_PIX_FMT_NV16, AV_PIX_FMT_NV24, AV_PIX_FMT_NV42,
    AV_PIX_FMT_YUV420P10LE, AV_PIX_FMT_YUV422P10LE, AV_PIX_FMT_YUV444P10LE,
    AV_PIX_FMT_YUV420P12LE, AV_PIX_FMT_YUV422P12LE, AV_PIX_FMT_YUV444P12LE,
    AV_PIX_FMT_YUV420P16LE, AV_PIX_FMT_YUV422P16LE, AV_PIX_FMT_YUV444P16LE,
    AV_PIX_FMT_YUVA420P10LE, AV_PIX_FMT_YUVA422P10LE, AV_PIX_FMT_YUVA444P10LE,
    AV_PIX_FMT_YUVA422P12LE, AV_PIX_FMT_YUVA444P12LE,  /* ProRes 4444 with alpha */
    AV_PIX_FMT_YUVA420P16LE, AV_PIX_FMT_YUVA422P16LE, AV_PIX_FMT_YUVA444P16LE,
    AV_PIX_FMT_P010LE, AV_PIX_FMT_P016LE, AV_PIX_FMT_P210LE, AV_PIX_FMT_P410LE,
    AV_PIX_FMT_RGB24, AV_PIX_FMT_BGR24, AV_PIX_FMT_RGBA, AV_PIX_FMT_BGRA,
    AV_PIX_FMT_ARGB, AV_PIX_FMT_ABGR, AV_PIX_FMT_RGB0, AV_PIX_FMT_BGR0,
    AV_PIX_FMT_0RGB, AV_PIX_FMT_0BGR,
    AV_PIX_FMT_RGB48LE, AV_PIX_FMT_BGR48LE, AV_PIX_FMT_RGBA64LE, AV_PIX_FMT_BGRA64LE,
    AV_PIX_FMT_GBRP, AV_PIX_FMT_GBRAP, AV_PIX_FMT_GBRP10LE, AV_PIX_FMT_GBRP12LE,
    AV_PIX_FMT_GBRP16LE, AV_PIX_FMT_GBRAP10LE, AV_PIX_FMT_GBRAP12LE, AV_PIX_FMT_GBRAP16LE,
};

/* YCbCr matrices by their luma weights. SWS_CS_* equal AVCOL_SPC_*, so
 * spc also picks libswscale's coefficients. */
typedef struct yuv_matrix {
    enum AVColorSpace spc;
    double kr, kb;
} yuv_matrix;

static const yuv_matrix yuv_matrices[] = {
    { AVCOL_SPC_BT709, 0.2126, 0.0722 },
    { AVCOL_SPC_BT470BG, 0.299, 0.114 },
    { AVCOL_SPC_SMPTE170M, 0.299, 0.114 },
    { AVCOL_SPC_FCC, 0.30, 0.11 },
    { AVCOL_SPC_SMPTE240M, 0.212, 0.087 },
    { AVCOL_SPC_BT2020_NCL, 0.2627, 0.0593 },
    { AVCOL_SPC_BT2020_CL, 0.2627, 0.0593 },  /* shown as NCL */
};

/* How a frame of one format and size lands in textures: texture i holds
 * frame plane plane[i], w[i] x h[i] pixels of channels[i] samples. */
typedef struct shape {
    enum AVPixelFormat format;
    int width, height;
    int layout;                 /* plate.glsl's PLATE_LAYOUT: 1 packed,
                                   2 luma + interleaved chroma, 3 planar,
                                   4 planar with an alpha plane */
    int n_tex;
    int bytes;                  /* per sample: 1 or 2 */
    int plane[MAX_TEX], w[MAX_TEX], h[MAX_TEX], channels[MAX_TEX];
    GLint swizzle[MAX_TEX][4];  /* texture channel -> frame sample order */
} shape;

struct vl_plate_tex {
    GLuint tex[MAX_TEX];
    GLuint pbo[MAX_TEX][RING];
    size_t pbo_size[MAX_TEX][RING];
    int ring;                   /* the ring slot the next frame is written to */
    shape shape;                /* what the textures hold; layout 0: nothing yet */
    float matrix[9], offset[3]; /* row-major; see plate.glsl */
    float chroma_scale[2], chroma_offset[2];
    float alpha_scale;          /* alpha texture value -> 0 .. 1 */
    float orient[4];            /* picture uv -> frame uv about the centre, row-major */
    double aspect;
    bool alpha;                 /* the picture has alpha */
    float logged_orient[4];     /* the turn last logged */
    int32_t last_matrix[9];     /* the display matrix last seen; all 0: none */
    enum AVColorSpace guessed;  /* the matrix last guessed (logged); -1: none */

    /* The libswscale path for formats the shader cannot read. */
    struct SwsContext *sws;
    AVFrame *converted;
    enum AVPixelFormat sws_from;
    int sws_spc, sws_full;      /* colour details set on sws; -1: none */
    enum AVPixelFormat logged;  /* last format the conversion was logged for */
};

vl_plate_tex *vl_plate_tex_create(void)
{
    vl_plate_tex *t = vl_xcalloc(1, sizeof(*t));
    t->aspect = 16.0 / 9.0;
    t->sws_from = t->logged = AV_PIX_FMT_NONE;
    t->alpha_scale = 1;
    t->orient[0] = t->orient[3] = t->logged_orient[0] = t->logged_orient[3] = 1;
    t->guessed = -1;
    return t;
}

void vl_plate_tex_destroy(vl_plate_tex *t)
{
    if (!t)
        return;
    glDeleteTextures(MAX_TEX, t->tex);
    glDeleteBuffers(MAX_TEX * RING, &t->pbo[0][0]);
    sws_freeContext(t->sws);
    av_frame_free(&t->converted);
    free(t);
}

int vl_plate_tex_layout(const vl_plate_tex *t) { return t->shape.layout; }

double vl_plate_tex_aspect(const vl_plate_tex *t) { return t->aspect; }

bool vl_plate_tex_has_alpha(const vl_plate_tex *t) { return t->alpha; }

/* Bytes a sample takes in memory (and in the texture): 1 or 2. */
static int sample_bytes(const AVPixFmtDescriptor *d)
{
    return d->comp[0].depth + d->comp[0].shift > 8 ? 2 : 1;
}

bool vl_plate_tex_is_direct(int format)
{
    for (size_t i = 0; i < sizeof(direct_formats) / sizeof(direct_formats[0]); i++)
        if (direct_formats[i] == format)
            return true;
    return false;
}

/* The textures for a direct format. Components 0..2 (Y Cb Cr, or R G B)
 * spread over one, two or three planes, which gives the layout; the shader
 * reads component c from texture tex_of[c], channel chan_of[c], and the
 * texture's swizzle fetches that channel from where the format keeps it.
 * Alpha (component 3) is texture 0's fourth channel in a packed format
 * (1 where there is none), else a plane of its own: texture 3, layout 4. */
static shape shape_of(enum AVPixelFormat format, int width, int height)
{
    static const int tex_of[4][3] = { { 0 }, { 0, 0, 0 }, { 0, 1, 1 }, { 0, 1, 2 } };
    static const int chan_of[4][3] = { { 0 }, { 0, 1, 2 }, { 0, 0, 1 }, { 0, 0, 0 } };
    const AVPixFmtDescriptor *d = av_pix_fmt_desc_get(format);
    shape s = { .format = format, .width = width, .height = height };
    s.bytes = sample_bytes(d);
    s.layout = 1 + (d->comp[1].plane != d->comp[0].plane) + (d->comp[2].plane != d->comp[1].plane);
    for (int c = 0; c < 3; c++) {
        int i = tex_of[s.layout][c], p = d->comp[c].plane;
        bool chroma = p == 1 || p == 2;   /* planes 1 and 2 are subsampled */
        s.n_tex = i + 1;
        s.plane[i] = p;
        s.w[i] = chroma ? AV_CEIL_RSHIFT(width, d->log2_chroma_w) : width;
        s.h[i] = chroma ? AV_CEIL_RSHIFT(height, d->log2_chroma_h) : height;
        s.channels[i] = d->comp[c].step / s.bytes;
        s.swizzle[i][chan_of[s.layout][c]] = GL_RED + d->comp[c].offset / s.bytes;
    }
    const AVComponentDescriptor *a = &d->comp[3];
    if ((d->flags & AV_PIX_FMT_FLAG_ALPHA) && s.layout == 1) {
        s.swizzle[0][3] = GL_RED + a->offset / s.bytes;
    } else if (d->flags & AV_PIX_FMT_FLAG_ALPHA) {
        s.layout = 4;
        s.n_tex = 4;
        s.plane[3] = a->plane;
        s.w[3] = width;
        s.h[3] = height;
        s.channels[3] = 1;
    }
    for (int i = 0; i < s.n_tex; i++)
        for (int k = 0; k < 4; k++)
            if (!s.swizzle[i][k])
                s.swizzle[i][k] = k == 3 ? GL_ONE : GL_RED + k;
    return s;
}

static const yuv_matrix *matrix_of(vl_plate_tex *t, const AVFrame *f)
{
    for (size_t i = 0; i < sizeof(yuv_matrices) / sizeof(yuv_matrices[0]); i++)
        if (yuv_matrices[i].spc == f->colorspace)
            return &yuv_matrices[i];
    /* Unspecified or unknown: guessed from the size as mpv does
     * (mp_csp_guess_colorspace): HD is BT.709, SD BT.601. An untagged
     * 1280x640 is HD although it has fewer than 720 lines. */
    bool hd = f->width >= 1280 || f->height > 576;
    const yuv_matrix *m = &yuv_matrices[hd ? 0 : 1];
    if (t->guessed != m->spc) {
        VL_INFO(LOG, "%dx%d frames say no YCbCr matrix (%s): taking %s, as for %s", f->width,
                f->height, av_color_space_name(f->colorspace), hd ? "BT.709" : "BT.601",
                hd ? "HD (1280 wide or more than 576 lines)" : "SD");
        t->guessed = m->spc;
    }
    return m;
}

/* Full range (0 .. 2^n - 1) rather than limited (16 .. 235 at 8 bits)? As
 * libswscale does: JPEG's yuvj formats and grey are full unless the frame
 * says otherwise, other YCbCr limited; RGB is always full. */
static bool full_range(const AVFrame *f, const AVPixFmtDescriptor *d)
{
    if (d->flags & AV_PIX_FMT_FLAG_RGB)
        return true;
    if (f->color_range != AVCOL_RANGE_UNSPECIFIED)
        return f->color_range == AVCOL_RANGE_JPEG;
    return !strncmp(d->name, "yuvj", 4) || d->nb_components < 3;
}

/* Texture values -> gamma-encoded RGB as one affine map, rgb = M c + o:
 * undo the texture's normalisation (and P010's shift) to get n-bit codes,
 * expand the range, then apply the YCbCr matrix. */
static void colour_transform(vl_plate_tex *t, const AVFrame *f, const AVPixFmtDescriptor *d)
{
    const AVComponentDescriptor *a = &d->comp[3];
    t->alpha = d->flags & AV_PIX_FMT_FLAG_ALPHA;
    t->alpha_scale = !t->alpha ? 1.0f :
        (float)(((1 << (8 * sample_bytes(d))) - 1) / ((1 << a->shift) * ((1 << a->depth) - 1.0)));
    int n = d->comp[0].depth, bytes = sample_bytes(d);
    double max = (1 << n) - 1, unit = (double)(1 << n) / 256;   /* one 8-bit step */
    double k = ((1 << (8 * bytes)) - 1) / ((1 << d->comp[0].shift) * max);
    double scale[3] = { k, k, k }, shift[3] = { 0, 0, 0 };      /* yuv = scale c + shift */
    double m[3][3] = { { 1, 0, 0 }, { 0, 1, 0 }, { 0, 0, 1 } };
    if (!(d->flags & AV_PIX_FMT_FLAG_RGB)) {
        const yuv_matrix *ym = matrix_of(t, f);
        double kr = ym->kr, kb = ym->kb, kg = 1 - kr - kb;
        double rows[3][3] = {
            { 1, 0, 2 * (1 - kr) },
            { 1, -2 * kb * (1 - kb) / kg, -2 * kr * (1 - kr) / kg },
            { 1, 2 * (1 - kb), 0 },
        };
        memcpy(m, rows, sizeof(m));
        bool full = full_range(f, d);
        scale[0] = full ? k : k * max / (219 * unit);
        scale[1] = scale[2] = full ? k : k * max / (224 * unit);
        shift[0] = full ? 0 : -16.0 / 219;
        shift[1] = shift[2] = full ? -128 * unit / max : -128.0 / 224;
    }
    for (int r = 0; r < 3; r++) {
        double o = 0;
        for (int c = 0; c < 3; c++) {
            t->matrix[r * 3 + c] = (float)(m[r][c] * scale[c]);
            o += m[r][c] * shift[c];
        }
        t->offset[r] = (float)o;
    }
}

/* Where the chroma planes sit: picture uv -> chroma plane uv. A plane of
 * ceil(w / s) samples covers s * ceil(w / s) >= w pixels, and each chroma
 * sample sits at the left (top) of its s pixels (cosited, MPEG-2 and
 * H.264's default) or in their middle (JPEG, MPEG-1). */
static void chroma_siting(vl_plate_tex *t, const AVFrame *f, const AVPixFmtDescriptor *d)
{
    enum AVChromaLocation loc = f->chroma_location;
    if (loc == AVCHROMA_LOC_UNSPECIFIED)
        loc = !strncmp(d->name, "yuvj", 4) ? AVCHROMA_LOC_CENTER : AVCHROMA_LOC_LEFT;
    bool left = loc == AVCHROMA_LOC_LEFT || loc == AVCHROMA_LOC_TOPLEFT ||
                loc == AVCHROMA_LOC_BOTTOMLEFT;
    /* Position of chroma sample 0 after luma sample 0, in luma samples. */
    int s[2] = { 1 << d->log2_chroma_w, 1 << d->log2_chroma_h };
    double pos[2] = {
        left ? 0 : (s[0] - 1) / 2.0,
        loc == AVCHROMA_LOC_TOPLEFT || loc == AVCHROMA_LOC_TOP ? 0 :
        loc == AVCHROMA_LOC_BOTTOMLEFT || loc == AVCHROMA_LOC_BOTTOM ? s[1] - 1 : (s[1] - 1) / 2.0,
    };
    int size[2] = { f->width, f->height };
    for (int i = 0; i < 2; i++) {
        int n = AV_CEIL_RSHIFT(size[i], i ? d->log2_chroma_h : d->log2_chroma_w);
        t->chroma_scale[i] = (float)((double)size[i] / ((double)s[i] * n));
        /* Luma position x (pixel j's centre at j + 0.5) falls on chroma
         * texel coordinate (x - 0.5 - pos) / s + 0.5: x / s plus this. */
        t->chroma_offset[i] = (float)((0.5 - (0.5 + pos[i]) / s[i]) / n);
    }
}

/* Copy texture i's plane into the next buffer of its ring; false (and
 * nothing left mapped) when the driver cannot. */
static bool fill_pbo(vl_plate_tex *t, const shape *s, int i, const AVFrame *f)
{
    size_t row = (size_t)s->w[i] * s->channels[i] * s->bytes, size = row * s->h[i];
    GLuint *pbo = &t->pbo[i][t->ring];
    if (!*pbo)
        glGenBuffers(1, pbo);
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, *pbo);
    if (t->pbo_size[i][t->ring] < size) {
        glBufferData(GL_PIXEL_UNPACK_BUFFER, (GLsizeiptr)size, NULL, GL_STREAM_DRAW);
        t->pbo_size[i][t->ring] = size;
    }
    uint8_t *dst = glMapBufferRange(GL_PIXEL_UNPACK_BUFFER, 0, (GLsizeiptr)size,
                                    GL_MAP_WRITE_BIT | GL_MAP_INVALIDATE_BUFFER_BIT);
    if (!dst) {
        t->pbo_size[i][t->ring] = 0;    /* storage again next time */
        return false;
    }
    const uint8_t *src = f->data[s->plane[i]];
    ptrdiff_t stride = f->linesize[s->plane[i]];
    if (stride == (ptrdiff_t)row)
        memcpy(dst, src, size);
    else
        for (int y = 0; y < s->h[i]; y++)
            memcpy(dst + row * y, src + stride * y, row);
    return glUnmapBuffer(GL_PIXEL_UNPACK_BUFFER) == GL_TRUE;
}

static const GLenum gl_format[5] = { 0, GL_RED, GL_RG, GL_RGB, GL_RGBA };

/* (Re)create the textures for a new format or size, with no pixel buffer
 * bound (NULL would be an offset into it). Errors earlier GL calls left
 * are drained first: they are not this allocation's. */
static bool alloc_textures(vl_plate_tex *t, const shape *s)
{
    static const GLint internal[3][5] = {
        { 0 },
        { 0, GL_R8, GL_RG8, GL_RGB8, GL_RGBA8 },
        { 0, GL_R16, GL_RG16, GL_RGB16, GL_RGBA16 },
    };
    while (glGetError() != GL_NO_ERROR)
        ;
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
    if (!t->tex[0])
        glGenTextures(MAX_TEX, t->tex);
    for (int i = 0; i < s->n_tex; i++) {
        glBindTexture(GL_TEXTURE_2D, t->tex[i]);
        glTexImage2D(GL_TEXTURE_2D, 0, internal[s->bytes][s->channels[i]], s->w[i], s->h[i], 0,
                     gl_format[s->channels[i]],
                     s->bytes == 2 ? GL_UNSIGNED_SHORT : GL_UNSIGNED_BYTE, NULL);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_S, GL_CLAMP_TO_EDGE);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_WRAP_T, GL_CLAMP_TO_EDGE);
        glTexParameteriv(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_RGBA, s->swizzle[i]);
    }
    return glGetError() == GL_NO_ERROR;
}

/* Upload a frame of a direct format: every plane into its pixel buffer
 * first, so a failed map leaves the textures (the previous picture) as
 * they were; then the textures, reallocated only for a new shape. */
static bool upload_direct(vl_plate_tex *t, const AVFrame *f, const AVPixFmtDescriptor *d)
{
    shape s = shape_of(f->format, f->width, f->height);
    for (int i = 0; i < s.n_tex; i++) {
        ptrdiff_t row = (ptrdiff_t)s.w[i] * s.channels[i] * s.bytes;
        int stride = f->linesize[s.plane[i]];
        if (!f->data[s.plane[i]] || labs(stride) < row) {
            VL_ERR(LOG, "%dx%d %s frame: plane %d is missing or its lines are too short (%d bytes)",
                   f->width, f->height, d->name, s.plane[i], stride);
            return false;
        }
    }
    bool ok = true;
    for (int i = 0; i < s.n_tex && ok; i++)
        ok = fill_pbo(t, &s, i, f);
    if (!ok) {
        glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
        VL_ERR(LOG, "cannot copy a %dx%d %s frame into a pixel buffer", f->width, f->height, d->name);
        return false;
    }
    bool new_shape = s.format != t->shape.format || s.width != t->shape.width ||
                     s.height != t->shape.height || !t->shape.layout;
    if (new_shape && !alloc_textures(t, &s)) {
        glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
        t->shape.layout = 0;    /* the old picture is gone: the fallback pattern */
        VL_ERR(LOG, "cannot allocate textures for a %dx%d %s frame", f->width, f->height, d->name);
        return false;
    }
    GLint align, row_length;
    glGetIntegerv(GL_UNPACK_ALIGNMENT, &align);
    glGetIntegerv(GL_UNPACK_ROW_LENGTH, &row_length);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    for (int i = 0; i < s.n_tex; i++) {
        glBindBuffer(GL_PIXEL_UNPACK_BUFFER, t->pbo[i][t->ring]);
        glBindTexture(GL_TEXTURE_2D, t->tex[i]);
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, s.w[i], s.h[i], gl_format[s.channels[i]],
                        s.bytes == 2 ? GL_UNSIGNED_SHORT : GL_UNSIGNED_BYTE, NULL);
    }
    glBindBuffer(GL_PIXEL_UNPACK_BUFFER, 0);
    glPixelStorei(GL_UNPACK_ALIGNMENT, align);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, row_length);
    t->ring = (t->ring + 1) % RING;
    t->shape = s;
    return true;
}

/* A frame of any other format converted to RGB (16 bits a sample when the
 * source has more than 8), with the colour decisions the shader would make.
 * RGB, not RGBA: libswscale 6 widens rgb565's white to 248 into RGBA but
 * to 255 into RGB. NULL, with one message, when libswscale cannot. */
static const AVFrame *convert(vl_plate_tex *t, const AVFrame *f, const AVPixFmtDescriptor *d)
{
    enum AVPixelFormat to = d->comp[0].depth > 8 ? AV_PIX_FMT_RGB48LE : AV_PIX_FMT_RGB24;
    AVFrame *c = t->converted;
    if (!c || c->width != f->width || c->height != f->height || t->sws_from != f->format) {
        sws_freeContext(t->sws);
        av_frame_free(&t->converted);
        t->sws_from = AV_PIX_FMT_NONE;
        t->sws = sws_isSupportedInput(f->format) ?
            sws_getContext(f->width, f->height, f->format, f->width, f->height, to,
                           SWS_BITEXACT | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_POINT,
                           NULL, NULL, NULL) : NULL;
        c = t->converted = av_frame_alloc();
        if (!t->sws || !c) {
            VL_ERR(LOG, "cannot convert %dx%d %s frames to RGB", f->width, f->height, d->name);
            return NULL;
        }
        c->format = to;
        c->width = f->width;
        c->height = f->height;
        if (av_frame_get_buffer(c, 0) < 0) {
            VL_ERR(LOG, "out of memory for a %dx%d RGB frame", f->width, f->height);
            return NULL;
        }
        t->sws_from = f->format;
        t->sws_spc = t->sws_full = -1;
    }
    if (t->logged != f->format) {
        VL_INFO(LOG, "%s frames are converted to %s on the CPU%s", d->name, av_get_pix_fmt_name(to),
                d->flags & AV_PIX_FMT_FLAG_ALPHA ? "; their alpha is dropped" : "");
        t->logged = f->format;
    }
    /* RGB and palette sources take no YCbCr details (libswscale 6 garbles
     * gbrp10 into RGB when given them). */
    bool rgb = d->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL);
    int spc = rgb ? -1 : (int)matrix_of(t, f)->spc, full = full_range(f, d);
    if (!rgb && (spc != t->sws_spc || full != t->sws_full)) {
        const int *coefs = sws_getCoefficients(spc);
        sws_setColorspaceDetails(t->sws, coefs, full, coefs, 1, 0, 1 << 16, 1 << 16);
        t->sws_spc = spc;
        t->sws_full = full;
    }
    if (sws_scale(t->sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
                  c->data, c->linesize) != f->height) {
        VL_ERR(LOG, "libswscale failed on a %dx%d %s frame", f->width, f->height, d->name);
        return NULL;
    }
    return c;
}

/* The frame's display matrix (a phone clip's turn, see libavutil/display.h:
 * it maps a frame pixel (x, y), y down, to (a x + c y, b x + d y) on show)
 * as the inverse map of picture uv to frame uv about the centre, which for
 * a quarter turn or a mirror is its transpose. Other angles are taken to
 * the nearest quarter turn (said once): the shader only swaps axes. */
static void orientation(vl_plate_tex *t, const AVFrame *f, double *aspect)
{
    const AVFrameSideData *sd = av_frame_get_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX);
    const int32_t *m = sd && sd->size >= 9 * sizeof(int32_t) ? (const int32_t *)sd->data : NULL;
    double e[4] = { 1, 0, 0, 1 };   /* a b c d, each column of unit length */
    if (m) {
        double s0 = hypot(m[0], m[3]), s1 = hypot(m[1], m[4]);
        if (s0 > 0 && s1 > 0) {
            e[0] = m[0] / s0;
            e[1] = m[1] / s1;
            e[2] = m[3] / s0;
            e[3] = m[4] / s1;
        }
    }
    bool straight = fabs(e[0]) + fabs(e[3]) >= fabs(e[1]) + fabs(e[2]);
    float o[4];
    double off = 0;
    for (int i = 0; i < 4; i++) {
        o[i] = (i == 0 || i == 3) == straight ? (e[i] < 0 ? -1.0f : 1.0f) : 0.0f;
        off = fmax(off, fabs(e[i] - o[i]));
    }
    if (!straight)
        *aspect = 1 / *aspect;
    memcpy(t->orient, o, sizeof(o));
    int32_t raw[9] = { 0 };     /* all 0: none */
    if (m)
        memcpy(raw, m, sizeof(raw));
    if (!memcmp(raw, t->last_matrix, sizeof(raw)))
        return;
    memcpy(t->last_matrix, raw, sizeof(raw));
    /* In words: det < 0 is a mirror (x negated after the turn); the turn
     * is then the matrix with x negated back. */
    bool mirror = o[0] * o[3] - o[1] * o[2] < 0;
    float a = mirror ? -o[0] : o[0], b = o[1];
    int turn = a > 0 ? 0 : b > 0 ? 90 : a < 0 ? 180 : 270;
    if (off >= 1e-3)
        VL_WARN(LOG, "the plate's display matrix turns it by %.1f degrees: only quarter turns are "
                "shown, so by %d", -av_display_rotation_get(m), turn);
    if (memcmp(o, t->logged_orient, sizeof(o)) && (turn || mirror))
        VL_INFO(LOG, "plate picture turned %d degrees clockwise%s, as its display matrix says",
                turn, mirror ? " and mirrored left to right" : "");
    else if (memcmp(o, t->logged_orient, sizeof(o)))
        VL_INFO(LOG, "plate picture shown as stored, not turned");
    memcpy(t->logged_orient, o, sizeof(o));
}

bool vl_plate_tex_upload(vl_plate_tex *t, const AVFrame *f)
{
    const AVPixFmtDescriptor *d = f ? av_pix_fmt_desc_get(f->format) : NULL;
    if (!d || f->width <= 0 || f->height <= 0 || f->width > MAX_SIZE || f->height > MAX_SIZE) {
        VL_ERR(LOG, "cannot show a %dx%d %s frame (up to %dx%d)", f ? f->width : 0,
               f ? f->height : 0, d ? d->name : "unknown-format", MAX_SIZE, MAX_SIZE);
        return false;
    }
    const AVFrame *src = vl_plate_tex_is_direct(f->format) ? f : convert(t, f, d);
    if (!src)
        return false;
    const AVPixFmtDescriptor *sd = av_pix_fmt_desc_get(src->format);
    if (!upload_direct(t, src, sd))
        return false;
    /* After a conversion the shader sees RGB: libswscale did the colour. */
    colour_transform(t, src, sd);
    chroma_siting(t, src, sd);
    t->aspect = (double)f->width / f->height;
    if (f->sample_aspect_ratio.num > 0 && f->sample_aspect_ratio.den > 0)
        t->aspect *= av_q2d(f->sample_aspect_ratio);
    orientation(t, f, &t->aspect);
    return true;
}

void vl_plate_tex_bind(const vl_plate_tex *t, GLuint prog, int first_unit)
{
    GLint active;
    glGetIntegerv(GL_ACTIVE_TEXTURE, &active);
    for (int i = 0; i < MAX_TEX; i++) {
        char name[] = "u_plate_tex0";
        name[sizeof(name) - 2] = (char)('0' + i);
        glActiveTexture(GL_TEXTURE0 + first_unit + i);
        glBindTexture(GL_TEXTURE_2D, i < t->shape.n_tex ? t->tex[i] : 0);
        glUniform1i(glGetUniformLocation(prog, name), first_unit + i);
    }
    glActiveTexture(active);
    glUniformMatrix3fv(glGetUniformLocation(prog, "u_plate_matrix"), 1, GL_TRUE, t->matrix);
    glUniform3fv(glGetUniformLocation(prog, "u_plate_offset"), 1, t->offset);
    glUniform2fv(glGetUniformLocation(prog, "u_plate_chroma_scale"), 1, t->chroma_scale);
    glUniform2fv(glGetUniformLocation(prog, "u_plate_chroma_offset"), 1, t->chroma_offset);
    glUniform1f(glGetUniformLocation(prog, "u_plate_alpha_scale"), t->alpha_scale);
    glUniformMatrix2fv(glGetUniformLocation(prog, "u_plate_orient"), 1, GL_TRUE, t->orient);
}
