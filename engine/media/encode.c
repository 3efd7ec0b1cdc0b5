/* The offline encoder: libavcodec (ffv1, libx264) into libavformat
 * (matroska, mp4, mov). Each output stream has its own encoder; packets
 * go through av_interleaved_write_frame, which orders the streams by time
 * however late each encoder hands its packets out. */
#include "media/encode.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define LOG "encode"
#define MAX_SIZE 16384          /* pixels a side; said in open's message */
#define MAX_FPS 255             /* said in open's message */
/* FFV1 slices are coded in parallel: enough of them to keep every core
 * busy when some slices are harder than others. */
#define FFV1_SLICES 12          /* 4 x 3 */
#define V3_MIN_SIZE 16          /* pixels a side for FFV1 version 3 */

static const struct container {
    const char *ext, *format, *codec;   /* codec: the default */
} containers[] = {
    { "mkv", "matroska", "ffv1" },
    { "mp4", "mp4", "h264" },
    { "mov", "mov", "h264" },
};

typedef struct enc_stream {
    AVCodecContext *enc;
    AVStream *st;
    AVFrame *frame;             /* the next input, in the encoder's format */
    struct SwsContext *sws;     /* RGBA -> yuv420p (H.264 only) */
    int width, height;
    int64_t frames;             /* written so far: the next frame's pts */
} enc_stream;

struct vl_encoder {
    char path[1024];
    AVFormatContext *fmt;
    AVPacket *pkt;
    enc_stream *streams;
    int n_streams;
    bool h264;
    bool created;               /* the file exists (removed if open fails) */
    bool header_written;
    bool failed;                /* an encode/write error was reported */
};

static const char *av_error(int err, char *buf, size_t n)
{
    av_strerror(err, buf, n);
    return buf;
}

/* The first encode/write error is reported and breaks the encoder; later
 * ones only follow from it. */
static bool fail(vl_encoder *e, const char *what, int err)
{
    char b[128];
    if (!e->failed)
        VL_ERR(LOG, "%s: %s failed: %s", e->path, what, av_error(err, b, sizeof(b)));
    e->failed = true;
    return false;
}

static const struct container *container_of(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return NULL;
    for (size_t i = 0; i < sizeof(containers) / sizeof(containers[0]); i++)
        if (!strcasecmp(dot + 1, containers[i].ext))
            return &containers[i];
    return NULL;
}

static bool check_args(const char *path, const char *codec, vl_rational rate,
                       const vl_encode_stream *streams, int n_streams)
{
    bool h264 = !strcmp(codec, "h264");
    /* MP4's tmcd counts 1 to 255 frames a second; one range for all files. */
    if (rate.num <= 0 || rate.den <= 0 || rate.num > INT_MAX || rate.den > INT_MAX ||
        rate.num < rate.den || rate.num > MAX_FPS * rate.den) {
        VL_ERR(LOG, "%s: frame rate %lld/%lld, expected 1 to 255 fps", path,
               (long long)rate.num, (long long)rate.den);
        return false;
    }
    if (!streams || n_streams <= 0) {
        VL_ERR(LOG, "%s: no streams, expected at least one", path);
        return false;
    }
    for (int i = 0; i < n_streams; i++) {
        int w = streams[i].width, h = streams[i].height;
        if (w <= 0 || h <= 0 || w > MAX_SIZE || h > MAX_SIZE) {
            VL_ERR(LOG, "%s: stream %d is %dx%d, expected 1 to 16384 pixels a side",
                   path, i, w, h);
            return false;
        }
        if (h264 && (w % 2 || h % 2)) {
            VL_ERR(LOG, "%s: stream %d is %dx%d, H.264 (yuv420p) needs an even width and "
                   "height (or use ffv1 in .mkv)", path, i, w, h);
            return false;
        }
    }
    return true;
}

static void set_ffv1(AVCodecContext *c)
{
    c->pix_fmt = AV_PIX_FMT_BGR0;
    c->gop_size = 1;            /* every frame seekable on its own */
    /* Version 3 has slices (coded on all cores) and CRCs. FFmpeg 5.1
     * decodes version 3 frames with slices of 1 pixel, or frames under 3
     * pixels a side, as black; small frames gain nothing from slices
     * anyway: they get version 1. */
    if (c->width >= V3_MIN_SIZE && c->height >= V3_MIN_SIZE) {
        c->level = 3;
        c->slices = FFV1_SLICES;
        c->thread_type = FF_THREAD_SLICE;
    } else {
        c->level = 1;
    }
    c->color_range = AVCOL_RANGE_JPEG;
    c->colorspace = AVCOL_SPC_RGB;
    c->color_primaries = AVCOL_PRI_BT709;
    c->color_trc = AVCOL_TRC_BT709;
}

static void set_h264(AVCodecContext *c, vl_rational rate)
{
    c->pix_fmt = AV_PIX_FMT_YUV420P;
    c->gop_size = (int)((2 * rate.num + rate.den - 1) / rate.den);    /* 2 s */
    c->color_range = AVCOL_RANGE_MPEG;
    c->colorspace = AVCOL_SPC_BT709;
    c->color_primaries = AVCOL_PRI_BT709;
    c->color_trc = AVCOL_TRC_BT709;
    av_opt_set(c->priv_data, "preset", "veryfast", 0);
    av_opt_set(c->priv_data, "crf", "18", 0);
}

/* RGBA in, full range, to BT.709 limited-range yuv420p. Chroma is filtered
 * from the full-width input rather than point-sampled. */
static struct SwsContext *rgba_to_yuv(int w, int h)
{
    struct SwsContext *s = sws_getContext(w, h, AV_PIX_FMT_RGBA, w, h, AV_PIX_FMT_YUV420P,
                                          SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP,
                                          NULL, NULL, NULL);
    if (s)
        sws_setColorspaceDetails(s, sws_getCoefficients(SWS_CS_ITU709), 1,
                                 sws_getCoefficients(SWS_CS_ITU709), 0, 0, 1 << 16, 1 << 16);
    return s;
}

static bool add_stream(vl_encoder *e, enc_stream *s, const AVCodec *codec, vl_rational rate,
                       const vl_encode_stream *desc, const char *tc, bool mkv)
{
    char b[128];
    s->width = desc->width;
    s->height = desc->height;
    AVCodecContext *c = s->enc = avcodec_alloc_context3(codec);
    if (!c)
        abort();
    c->width = s->width;
    c->height = s->height;
    c->time_base = (AVRational){ (int)rate.den, (int)rate.num };
    c->framerate = (AVRational){ (int)rate.num, (int)rate.den };
    c->sample_aspect_ratio = (AVRational){ 1, 1 };
    c->thread_count = 0;        /* all cores */
    if (e->fmt->oformat->flags & AVFMT_GLOBALHEADER)
        c->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    if (e->h264)
        set_h264(c, rate);
    else
        set_ffv1(c);
    int err = avcodec_open2(c, codec, NULL);
    if (err < 0) {
        VL_ERR(LOG, "%s: cannot open the %s encoder for %dx%d: %s", e->path, codec->name,
               s->width, s->height, av_error(err, b, sizeof(b)));
        return false;
    }
    s->st = avformat_new_stream(e->fmt, NULL);
    if (!s->st || avcodec_parameters_from_context(s->st->codecpar, c) < 0)
        abort();
    s->st->time_base = c->time_base;
    s->st->avg_frame_rate = s->st->r_frame_rate = c->framerate;
    if (desc->name && *desc->name) {
        av_dict_set(&s->st->metadata, "title", desc->name, 0);
        if (!mkv)
            av_dict_set(&s->st->metadata, "handler_name", desc->name, 0);
    }
    if (mkv)
        av_dict_set(&s->st->metadata, "timecode", tc, 0);
    if (!(s->frame = av_frame_alloc()))
        abort();
    s->frame->format = c->pix_fmt;
    s->frame->width = s->width;
    s->frame->height = s->height;
    if (av_frame_get_buffer(s->frame, 0) < 0)
        abort();
    if (e->h264 && !(s->sws = rgba_to_yuv(s->width, s->height))) {
        VL_ERR(LOG, "%s: no RGBA to yuv420p conversion for %dx%d", e->path, s->width,
               s->height);
        return false;
    }
    return true;
}

static void destroy(vl_encoder *e)
{
    for (int i = 0; i < e->n_streams; i++) {
        avcodec_free_context(&e->streams[i].enc);
        av_frame_free(&e->streams[i].frame);
        sws_freeContext(e->streams[i].sws);
    }
    free(e->streams);
    if (e->fmt)
        avio_closep(&e->fmt->pb);
    avformat_free_context(e->fmt);
    av_packet_free(&e->pkt);
    free(e);
}

vl_encoder *vl_encoder_open(const char *path, const char *codec, vl_rational rate,
                            vl_timecode start, const vl_encode_stream *streams, int n_streams)
{
    if (!path || !*path) {
        VL_ERR(LOG, "no output file given, expected a path ending .mkv, .mp4 or .mov");
        return NULL;
    }
    const struct container *ct = container_of(path);
    if (!ct) {
        VL_ERR(LOG, "%s: unknown extension, expected .mkv (FFV1 or H.264), .mp4 or .mov "
               "(H.264)", path);
        return NULL;
    }
    if (!codec)
        codec = ct->codec;
    if (strcmp(codec, "ffv1") && strcmp(codec, "h264")) {
        VL_ERR(LOG, "%s: unknown codec \"%s\", expected ffv1 or h264", path, codec);
        return NULL;
    }
    if (!check_args(path, codec, rate, streams, n_streams))
        return NULL;
    char tc[12];
    vl_timecode label;
    start.drop = vl_timecode_drop(rate);
    vl_timecode_format(start, tc);
    if (!vl_timecode_parse(tc, rate, &label) || label.hours != start.hours ||
        label.minutes != start.minutes || label.seconds != start.seconds) {
        VL_ERR(LOG, "%s: start timecode %s is no label at %lld/%lld fps, expected "
               "HH:MM:SS:FF with FF below %d%s", path, tc, (long long)rate.num,
               (long long)rate.den, vl_timecode_base(rate),
               start.drop ? ", not a label drop-frame skips" : "");
        return NULL;
    }
    bool h264 = !strcmp(codec, "h264");
    const AVCodec *enc = avcodec_find_encoder_by_name(h264 ? "libx264" : "ffv1");
    if (!enc) {
        VL_ERR(LOG, "%s: the %s encoder is not in this libavcodec, expected a build with it",
               path, h264 ? "libx264" : "ffv1");
        return NULL;
    }

    vl_encoder *e = vl_xcalloc(1, sizeof(*e));
    char b[128];
    snprintf(e->path, sizeof(e->path), "%s", path);
    e->h264 = h264;
    e->pkt = av_packet_alloc();
    if (!e->pkt || avformat_alloc_output_context2(&e->fmt, NULL, ct->format, path) < 0)
        abort();
    if (avformat_query_codec(e->fmt->oformat, enc->id, FF_COMPLIANCE_NORMAL) != 1) {
        VL_ERR(LOG, "%s: %s cannot go in .%s, expected %s", path, codec, ct->ext,
               h264 ? "ffv1 in .mkv" : "h264, or ffv1 in .mkv");
        goto fail;
    }
    bool mkv = !strcmp(ct->format, "matroska");
    e->streams = vl_xcalloc((size_t)n_streams, sizeof(*e->streams));
    for (; e->n_streams < n_streams; e->n_streams++)
        if (!add_stream(e, &e->streams[e->n_streams], enc, rate, &streams[e->n_streams], tc,
                        mkv)) {
            e->n_streams++;     /* destroy frees the half-built one too */
            goto fail;
        }
    av_dict_set(&e->fmt->metadata, "timecode", tc, 0);
    int err = avio_open(&e->fmt->pb, path, AVIO_FLAG_WRITE);
    if (err < 0) {
        VL_ERR(LOG, "%s: cannot create the file: %s", path, av_error(err, b, sizeof(b)));
        goto fail;
    }
    e->created = true;
    AVDictionary *opts = NULL;
    if (!mkv)
        av_dict_set(&opts, "write_tmcd", "1", 0);
    err = avformat_write_header(e->fmt, &opts);
    av_dict_free(&opts);
    if (err < 0) {
        VL_ERR(LOG, "%s: cannot write the header: %s", path, av_error(err, b, sizeof(b)));
        goto fail;
    }
    e->header_written = true;
    VL_INFO(LOG, "%s: %d stream%s of %s at %lld/%lld fps from %s", path, n_streams,
            n_streams == 1 ? "" : "s", codec, (long long)rate.num, (long long)rate.den, tc);
    return e;
fail:
    if (e->created)
        unlink(path);
    destroy(e);
    return NULL;
}

/* Hand every packet the encoder has ready to the muxer. */
static bool drain(vl_encoder *e, enc_stream *s)
{
    for (;;) {
        int err = avcodec_receive_packet(s->enc, e->pkt);
        if (err == AVERROR(EAGAIN) || err == AVERROR_EOF)
            return true;
        if (err < 0)
            return fail(e, "encoding", err);
        if (!e->pkt->duration)
            e->pkt->duration = 1;   /* one frame: the last one's length in MP4 */
        av_packet_rescale_ts(e->pkt, s->enc->time_base, s->st->time_base);
        e->pkt->stream_index = s->st->index;
        err = av_interleaved_write_frame(e->fmt, e->pkt);
        if (err < 0)
            return fail(e, "writing", err);
    }
}

static void fill_frame(enc_stream *s, const uint8_t *rgba)
{
    AVFrame *f = s->frame;
    if (s->sws) {
        const uint8_t *src[1] = { rgba };
        const int stride[1] = { s->width * 4 };
        sws_scale(s->sws, src, stride, 0, s->height, f->data, f->linesize);
        return;
    }
    for (int y = 0; y < s->height; y++) {
        const uint8_t *in = rgba + (size_t)y * s->width * 4;
        uint8_t *out = f->data[0] + (size_t)y * f->linesize[0];
        for (int x = 0; x < s->width; x++, in += 4, out += 4) {
            out[0] = in[2];
            out[1] = in[1];
            out[2] = in[0];
            out[3] = 0;
        }
    }
}

bool vl_encoder_write(vl_encoder *e, int stream, const uint8_t *rgba)
{
    if (!e) {
        VL_ERR(LOG, "a frame written without an encoder");
        return false;
    }
    if (stream < 0 || stream >= e->n_streams) {
        VL_ERR(LOG, "%s: no stream %d, expected 0 to %d", e->path, stream, e->n_streams - 1);
        return false;
    }
    if (!rgba) {
        VL_ERR(LOG, "%s: frame %lld of stream %d without pixels", e->path,
               (long long)e->streams[stream].frames, stream);
        return false;
    }
    if (e->failed)
        return false;
    enc_stream *s = &e->streams[stream];
    for (int i = 0; i < e->n_streams; i++) {
        if (e->streams[i].frames < s->frames) {
            VL_ERR(LOG, "%s: frame %lld of stream %d written before frame %lld of stream %d, "
                   "expected all streams' frame n before frame n + 1", e->path,
                   (long long)s->frames, stream, (long long)e->streams[i].frames, i);
            return false;
        }
    }
    int err = av_frame_make_writable(s->frame);
    if (err < 0)
        return fail(e, "allocating a frame", err);
    fill_frame(s, rgba);
    s->frame->pts = s->frames;
    err = avcodec_send_frame(s->enc, s->frame);
    if (err < 0)
        return fail(e, "encoding", err);
    s->frames++;
    return drain(e, s);
}

bool vl_encoder_close(vl_encoder *e)
{
    if (!e)
        return true;
    if (e->header_written) {
        for (int i = 0; i < e->n_streams; i++) {
            int err = avcodec_send_frame(e->streams[i].enc, NULL);
            if (err < 0)
                fail(e, "flushing the encoder", err);
            else
                drain(e, &e->streams[i]);
        }
        int err = av_write_trailer(e->fmt);
        if (err < 0)
            fail(e, "writing the trailer", err);
        err = avio_closep(&e->fmt->pb);
        if (err < 0)
            fail(e, "closing the file", err);
    }
    bool ok = !e->failed;
    if (ok)
        VL_INFO(LOG, "%s: %lld frames written", e->path, (long long)vl_encoder_frames(e));
    destroy(e);
    return ok;
}

int64_t vl_encoder_frames(const vl_encoder *e)
{
    return e && e->n_streams ? e->streams[0].frames : 0;
}
