/* The offline encoder: files written by vl_encoder decoded back with
 * libavformat and libavcodec. Frame count, rate, timestamps, timecode and
 * stream titles as given; FFV1 bit-exact RGB; H.264 within 35 dB PSNR, in
 * order, BT.709 limited range; bad arguments refused with one message. */
#include "media/encode.h"
#include "check.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N_FRAMES 30
#define MAX_STREAMS 2
#define CELLS 8                 /* bits of the frame number drawn on top */

static const vl_rational R25 = { 25, 1 }, R2997 = { 30000, 1001 }, R23976 = { 24000, 1001 };
static const vl_rational R5994 = { 60000, 1001 };

static int tri(int v)           /* a triangle wave 0..255..0, period 512 */
{
    v &= 511;
    return v < 256 ? v : 511 - v;
}

/* Frame n of test stream `seed`: smooth gradients moving with n (soft
 * colours: 4:2:0 alone costs saturated edges 35 dB, and the PSNR check is
 * of the encoder), the frame
 * number in binary as CELLS black or white cells along the top (readable
 * after lossy coding, so order and duplicates show), with `noisy` a block
 * of pseudo-random pixels (every value of every channel, for FFV1), and
 * alpha that changes everywhere (it must be ignored). */
static void pattern(uint8_t *rgba, int w, int h, int n, int seed, bool noisy)
{
    int cell = w / CELLS, cell_h = h / 4;
    uint32_t r = 2463534242u + (uint32_t)(n * 7919 + seed * 104729);
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            uint8_t *p = rgba + ((size_t)y * w + x) * 4;
            p[0] = (uint8_t)(64 + tri(x + n * 4 + seed * 40) / 2);
            p[1] = (uint8_t)(64 + tri(y * 2 + n * 2) / 2);
            p[2] = (uint8_t)(64 + tri((x + y) / 2 + n * 6 + seed * 80) / 2);
            p[3] = (uint8_t)(x * 7 + y + n);
            if (cell > 0 && y < cell_h && x / cell < CELLS) {
                uint8_t v = (n >> (x / cell)) & 1 ? 235 : 20;
                p[0] = p[1] = p[2] = v;
            }
            if (noisy && y >= h / 2 && x >= w / 2) {
                r ^= r << 13, r ^= r >> 17, r ^= r << 5;
                memcpy(p, &r, 4);
            }
        }
    }
}

/* What came back from one video stream of a file. */
typedef struct back {
    int width, height;
    AVRational avg_rate, r_rate;
    char title[64], timecode[16];
    enum AVColorSpace space;
    enum AVColorRange range;
    enum AVColorPrimaries primaries;
    enum AVColorTransferCharacteristic trc;
    int frames;                 /* decoded */
    int wrong_pts;              /* frames whose timestamp is not their number */
    int wrong_order;            /* frames whose drawn number is not their place */
    int inexact;                /* frames not bit-exact RGB */
    int extradata;              /* bytes: FFV1 version 3 keeps its setup there */
    double min_psnr_db;
} back;

typedef struct file_back {
    int n_video, n_tmcd;
    double max_back_s;          /* in file order: the most a packet's time
                                   goes back from one read before it */
    char format_timecode[16];
    back s[MAX_STREAMS];
} file_back;

static void copy_tag(char *dst, size_t n, AVDictionary *d, const char *key)
{
    AVDictionaryEntry *t = av_dict_get(d, key, NULL, 0);
    snprintf(dst, n, "%s", t ? t->value : "");
}

/* Compare decoded frame k with the pattern that was written. */
static void compare(back *b, const AVFrame *f, AVRational tb, AVRational rate, int seed,
                    bool noisy, uint8_t *want, uint8_t *got)
{
    int w = f->width, h = f->height, k = b->frames++;
    int64_t pts = f->best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE ||
        av_rescale_q_rnd(pts, tb, av_inv_q(rate), AV_ROUND_NEAR_INF) != k)
        b->wrong_pts++;
    /* To RGB the way a player would: by the matrix and range tagged. */
    struct SwsContext *sws = sws_getContext(w, h, f->format, w, h, AV_PIX_FMT_RGB24,
                                            SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT,
                                            NULL, NULL, NULL);
    const int *yuv = sws_getCoefficients(f->colorspace == AVCOL_SPC_UNSPECIFIED ?
                                         SWS_CS_DEFAULT : (int)f->colorspace);
    sws_setColorspaceDetails(sws, yuv, f->color_range == AVCOL_RANGE_JPEG, yuv, 1, 0,
                             1 << 16, 1 << 16);
    uint8_t *dst[1] = { got };
    int stride[1] = { w * 3 };
    sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, h, dst, stride);
    sws_freeContext(sws);
    pattern(want, w, h, k, seed, noisy);
    double se = 0;
    bool exact = true;
    for (int i = 0; i < w * h; i++) {
        for (int c = 0; c < 3; c++) {
            int d = want[i * 4 + c] - got[i * 3 + c];
            se += d * d;
            exact &= d == 0;
        }
    }
    b->inexact += !exact;
    double psnr = se == 0 ? 99 : 10 * log10(255.0 * 255.0 * 3 * w * h / se);
    if (k == 0 || psnr < b->min_psnr_db)
        b->min_psnr_db = psnr;
    int cell = w / CELLS, drawn = 0;
    for (int i = 0; cell > 0 && i < CELLS; i++)
        drawn |= (got[((size_t)(h / 8) * w + i * cell + cell / 2) * 3 + 1] > 128) << i;
    b->wrong_order += cell > 0 && drawn != (k & 255);
}

/* Decode every video stream of path; stream i was written with seed i. */
static bool decode_file(const char *path, vl_rational rate, bool noisy, file_back *fb)
{
    memset(fb, 0, sizeof(*fb));
    AVFormatContext *fmt = NULL;
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0)
        return false;
    if (avformat_find_stream_info(fmt, NULL) < 0) {
        avformat_close_input(&fmt);
        return false;
    }
    copy_tag(fb->format_timecode, sizeof(fb->format_timecode), fmt->metadata, "timecode");
    AVCodecContext *dec[16] = { 0 };
    int which[16];
    AVRational q = { (int)rate.num, (int)rate.den };
    bool ok = fmt->nb_streams <= 16;
    for (unsigned i = 0; ok && i < fmt->nb_streams; i++) {
        AVStream *st = fmt->streams[i];
        fb->n_tmcd += st->codecpar->codec_tag == MKTAG('t', 'm', 'c', 'd');
        if (st->codecpar->codec_type != AVMEDIA_TYPE_VIDEO || fb->n_video == MAX_STREAMS)
            continue;
        back *b = &fb->s[which[i] = fb->n_video++];
        b->width = st->codecpar->width;
        b->height = st->codecpar->height;
        b->avg_rate = st->avg_frame_rate;
        b->r_rate = st->r_frame_rate;
        b->space = st->codecpar->color_space;
        b->range = st->codecpar->color_range;
        b->primaries = st->codecpar->color_primaries;
        b->trc = st->codecpar->color_trc;
        b->extradata = st->codecpar->extradata_size;
        copy_tag(b->title, sizeof(b->title), st->metadata, "title");
        if (!b->title[0])
            copy_tag(b->title, sizeof(b->title), st->metadata, "handler_name");
        copy_tag(b->timecode, sizeof(b->timecode), st->metadata, "timecode");
        const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
        dec[i] = avcodec_alloc_context3(codec);
        ok = codec && avcodec_parameters_to_context(dec[i], st->codecpar) >= 0 &&
             avcodec_open2(dec[i], codec, NULL) >= 0;
    }
    size_t big = 4 * 1920 * 1080;
    uint8_t *want = malloc(big), *got = malloc(big);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    bool eof = false;
    double latest_s = 0;
    while (ok && !eof) {
        eof = av_read_frame(fmt, pkt) < 0;
        if (!eof && dec[pkt->stream_index] && pkt->dts != AV_NOPTS_VALUE) {
            double t = pkt->dts * av_q2d(fmt->streams[pkt->stream_index]->time_base);
            fb->max_back_s = fmax(fb->max_back_s, latest_s - t);
            latest_s = fmax(latest_s, t);
        }
        for (unsigned i = 0; i < fmt->nb_streams; i++) {
            if (!dec[i] || (!eof && (int)i != pkt->stream_index))
                continue;
            avcodec_send_packet(dec[i], eof ? NULL : pkt);
            while (avcodec_receive_frame(dec[i], f) >= 0) {
                compare(&fb->s[which[i]], f, fmt->streams[i]->time_base, q, which[i], noisy,
                        want, got);
                av_frame_unref(f);
            }
        }
        av_packet_unref(pkt);
    }
    for (unsigned i = 0; i < fmt->nb_streams && i < 16; i++)
        avcodec_free_context(&dec[i]);
    av_frame_free(&f);
    av_packet_free(&pkt);
    free(want);
    free(got);
    avformat_close_input(&fmt);
    return ok;
}

/* Write n_frames of each stream, as the renderer would. */
static bool encode_file(const char *path, const char *codec, vl_rational rate,
                        vl_timecode start, const vl_encode_stream *streams, int n_streams,
                        bool noisy)
{
    vl_encoder *e = vl_encoder_open(path, codec, rate, start, streams, n_streams);
    if (!e)
        return false;
    bool ok = true;
    for (int n = 0; n < N_FRAMES; n++) {
        for (int i = 0; i < n_streams; i++) {
            uint8_t *rgba = malloc((size_t)streams[i].width * streams[i].height * 4);
            pattern(rgba, streams[i].width, streams[i].height, n, i, noisy);
            ok &= vl_encoder_write(e, i, rgba);
            free(rgba);
        }
    }
    ok &= vl_encoder_frames(e) == N_FRAMES;
    return vl_encoder_close(e) && ok;
}

static bool same_rate(AVRational a, vl_rational r)
{
    return a.num == r.num && a.den == r.den;
}

/* One file each way: everything that comes back is what went in. */
static void test_round_trip(const char *dir, const char *ext, const char *codec,
                            vl_rational rate, vl_timecode start, const char *tc)
{
    bool lossless = !strcmp(ext, "mkv") && !codec;
    char path[512];
    snprintf(path, sizeof(path), "%s/rt-%lld-%lld%s.%s", dir, (long long)rate.num,
             (long long)rate.den, codec ? codec : "", ext);
    vl_encode_stream s = { .name = "camera", .width = 128, .height = 72 };
    CHECK(encode_file(path, codec, rate, start, &s, 1, lossless));
    file_back fb;
    CHECK(decode_file(path, rate, lossless, &fb));
    back *b = &fb.s[0];
    printf("%s: %d frames, rate %d/%d (r %d/%d), timecode %s, title %s, min PSNR %.1f dB, "
           "%d inexact\n", path, b->frames, b->avg_rate.num, b->avg_rate.den, b->r_rate.num,
           b->r_rate.den, b->timecode, b->title, b->min_psnr_db, b->inexact);
    CHECK(fb.n_video == 1);
    CHECK(b->width == 128 && b->height == 72);
    CHECK(b->frames == N_FRAMES);
    CHECK(same_rate(b->avg_rate, rate));
    CHECK(same_rate(b->r_rate, rate));
    CHECK(b->wrong_pts == 0);
    CHECK(b->wrong_order == 0);
    CHECK(!strcmp(b->timecode, tc));
    CHECK(!strcmp(b->title, "camera"));
    if (!strcmp(ext, "mkv"))
        CHECK(!strcmp(fb.format_timecode, tc));
    else
        CHECK(fb.n_tmcd == 1);      /* the tmcd track editors read */
    if (lossless) {
        CHECK(b->inexact == 0);
        CHECK(b->extradata > 0);    /* version 3 */
    } else {
        CHECK(b->min_psnr_db >= 35);
        CHECK(b->space == AVCOL_SPC_BT709 && b->primaries == AVCOL_PRI_BT709 &&
              b->trc == AVCOL_TRC_BT709 && b->range == AVCOL_RANGE_MPEG);
    }
}

/* Two outputs of different sizes in one file, both back with their names. */
static void test_two_streams(const char *dir, const char *ext)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/two.%s", dir, ext);
    bool lossless = !strcmp(ext, "mkv");
    vl_encode_stream s[2] = {
        { .name = "camera", .width = 128, .height = 72 },
        { .name = "reference", .width = 64, .height = 48 },
    };
    vl_timecode start = { 1, 0, 0, 0, false };
    CHECK(encode_file(path, NULL, R25, start, s, 2, lossless));
    file_back fb;
    CHECK(decode_file(path, R25, lossless, &fb));
    CHECK(fb.n_video == 2);
    for (int i = 0; i < 2; i++) {
        back *b = &fb.s[i];
        printf("%s stream %d: %s %dx%d, %d frames, min PSNR %.1f dB, %d inexact\n", path, i,
               b->title, b->width, b->height, b->frames, b->min_psnr_db, b->inexact);
        CHECK(!strcmp(b->title, s[i].name));
        CHECK(b->width == s[i].width && b->height == s[i].height);
        CHECK(b->frames == N_FRAMES);
        CHECK(b->wrong_pts == 0 && b->wrong_order == 0);
        CHECK(!strcmp(b->timecode, "01:00:00:00"));
        CHECK(lossless ? b->inexact == 0 : b->min_psnr_db >= 35);
    }
    if (!lossless)
        CHECK(fb.n_tmcd == 2);
    /* Interleaved by time, though each encoder holds frames back: x264's
     * lookahead (10 frames) would show as 0.4 s here; MP4 muxes in chunks
     * of a few frames (0.08 s). */
    printf("%s: packets go back at most %.3f s in file order\n", path, fb.max_back_s);
    CHECK(fb.max_back_s <= 4.0 / 25);
}

/* FFV1 takes any size, odd, sliced or too small for slices, bit-exact. */
static void test_odd_size(const char *dir)
{
    static const int sizes[][2] = { { 33, 17 }, { 16, 16 }, { 15, 200 }, { 1, 1 }, { 2, 100 },
                                    { 100, 2 } };
    for (int i = 0; i < 6; i++) {
        char path[512];
        snprintf(path, sizeof(path), "%s/odd%d.mkv", dir, i);
        vl_encode_stream s = { .name = "odd", .width = sizes[i][0], .height = sizes[i][1] };
        CHECK(encode_file(path, NULL, R25, (vl_timecode){ 0 }, &s, 1, true));
        file_back fb;
        CHECK(decode_file(path, R25, true, &fb));
        CHECK(fb.s[0].frames == N_FRAMES && fb.s[0].inexact == 0);
        CHECK(fb.s[0].width == s.width && fb.s[0].height == s.height);
    }
}

/* The H.264 numbers themselves: red, green, blue and white as BT.709
 * limited range puts them (BT.601 or full range would differ by 20+). */
static void test_h264_colours(const char *dir)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/colours.mp4", dir);
    enum { W = 64 };
    static uint8_t rgba[W * W * 4];
    static const uint8_t quad[4][3] = { { 255, 0, 0 }, { 0, 255, 0 }, { 0, 0, 255 },
                                        { 255, 255, 255 } };
    for (int y = 0; y < W; y++)
        for (int x = 0; x < W; x++)
            memcpy(rgba + (y * W + x) * 4, quad[(y >= W / 2) * 2 + (x >= W / 2)], 3);
    vl_encode_stream s = { .width = W, .height = W };
    vl_encoder *e = vl_encoder_open(path, NULL, R25, (vl_timecode){ 0 }, &s, 1);
    CHECK(e != NULL);
    for (int n = 0; e && n < 3; n++)
        CHECK(vl_encoder_write(e, 0, rgba));
    CHECK(vl_encoder_close(e));

    AVFormatContext *fmt = NULL;
    CHECK(avformat_open_input(&fmt, path, NULL, NULL) >= 0);
    if (!fmt)
        return;
    avformat_find_stream_info(fmt, NULL);
    AVStream *st = fmt->streams[0];
    const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
    AVCodecContext *dec = avcodec_alloc_context3(codec);
    avcodec_parameters_to_context(dec, st->codecpar);
    CHECK(avcodec_open2(dec, codec, NULL) >= 0);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *f = av_frame_alloc();
    bool got = false;
    while (!got) {
        bool eof = av_read_frame(fmt, pkt) < 0;
        if (eof || pkt->stream_index == 0)
            avcodec_send_packet(dec, eof ? NULL : pkt);
        av_packet_unref(pkt);
        got = avcodec_receive_frame(dec, f) >= 0;
        if (eof)
            break;
    }
    CHECK(got && f->format == AV_PIX_FMT_YUV420P);
    /* Y, Cb, Cr of each quadrant: round(16 + 219 Y'), 128 + 224 (B' - Y') / 1.8556, ... */
    static const int want[4][3] = { { 63, 102, 240 }, { 173, 42, 26 }, { 32, 240, 118 },
                                    { 235, 128, 128 } };
    for (int q = 0; got && q < 4; q++) {
        int x = (q % 2) * W / 2 + W / 4, y = (q / 2) * W / 2 + W / 4;
        CHECK_NEAR(f->data[0][y * f->linesize[0] + x], want[q][0], 2);
        CHECK_NEAR(f->data[1][y / 2 * f->linesize[1] + x / 2], want[q][1], 2);
        CHECK_NEAR(f->data[2][y / 2 * f->linesize[2] + x / 2], want[q][2], 2);
    }
    av_frame_free(&f);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    avformat_close_input(&fmt);
}

/* Lines in a captured log. */
static int lines(const char *log)
{
    int n = 0;
    for (; *log; log++)
        n += *log == '\n';
    return n;
}

/* A refused open: NULL, one message naming the file, no file left. */
static void refused(const char *path, const char *codec, vl_rational rate, vl_timecode tc,
                    const vl_encode_stream *s, int n, const char *says)
{
    char log[2048];
    FILE *tmp;
    int saved = capture_stderr(&tmp);
    vl_encoder *e = vl_encoder_open(path, codec, rate, tc, s, n);
    end_capture(tmp, saved, log, sizeof(log));
    CHECK(e == NULL);
    vl_encoder_close(e);
    CHECK(lines(log) == 1);
    CHECK(strstr(log, says) != NULL);
    if (path)
        CHECK(strstr(log, path) != NULL && access(path, F_OK) != 0);
    if (lines(log) != 1 || !strstr(log, says))
        fprintf(stderr, "  for %s: got \"%s\", expected one line saying \"%s\"\n",
                path ? path : "NULL", log, says);
}

static void test_errors(const char *dir)
{
    char mkv[512], mp4[512], path[512];
    snprintf(mkv, sizeof(mkv), "%s/bad.mkv", dir);
    snprintf(mp4, sizeof(mp4), "%s/bad.mp4", dir);
    vl_encode_stream s = { .width = 64, .height = 36 };
    vl_timecode tc = { 0 };
    snprintf(path, sizeof(path), "%s/out.avi", dir);
    refused(path, NULL, R25, tc, &s, 1, "unknown extension");
    snprintf(path, sizeof(path), "%s/noextension", dir);
    refused(path, NULL, R25, tc, &s, 1, "unknown extension");
    refused(mp4, "ffv1", R25, tc, &s, 1, "ffv1 cannot go in .mp4");
    snprintf(path, sizeof(path), "%s/bad.mov", dir);
    refused(path, "ffv1", R25, tc, &s, 1, "ffv1 cannot go in .mov");
    refused(mkv, "prores", R25, tc, &s, 1, "unknown codec");
    refused("/nonexistent-volym-dir/out.mkv", NULL, R25, tc, &s, 1, "cannot create");
    refused(NULL, NULL, R25, tc, &s, 1, "no output file");
    refused("", NULL, R25, tc, &s, 1, "no output file");
    refused(mkv, NULL, R25, tc, NULL, 1, "no streams");
    refused(mkv, NULL, R25, tc, &s, 0, "no streams");
    refused(mkv, NULL, (vl_rational){ 0, 1 }, tc, &s, 1, "expected 1 to 255 fps");
    refused(mkv, NULL, (vl_rational){ 25, -1 }, tc, &s, 1, "expected 1 to 255 fps");
    refused(mp4, NULL, (vl_rational){ 300, 1 }, tc, &s, 1, "expected 1 to 255 fps");
    refused(mp4, NULL, (vl_rational){ 1, 2 }, tc, &s, 1, "expected 1 to 255 fps");
    vl_encode_stream bad[] = { { .width = 0, .height = 36 }, { .width = 64, .height = -2 },
                               { .width = 100000, .height = 4 } };
    for (int i = 0; i < 3; i++)
        refused(mkv, NULL, R25, tc, &bad[i], 1, "expected 1 to 16384");
    vl_encode_stream odd = { .width = 65, .height = 36 };
    refused(mp4, NULL, R25, tc, &odd, 1, "even width and height");
    refused(mkv, NULL, R25, (vl_timecode){ 0, 0, 0, 25, false }, &s, 1, "no label");
    refused(mkv, NULL, R25, (vl_timecode){ 24, 0, 0, 0, false }, &s, 1, "no label");
    refused(mkv, NULL, R25, (vl_timecode){ 124, 0, 0, 0, false }, &s, 1, "no label");
    refused(mkv, NULL, R2997, (vl_timecode){ 0, 1, 0, 0, true }, &s, 1, "drop-frame");

    /* Bad writes are refused and leave the encoder working. */
    vl_encode_stream two[2] = { { .width = 64, .height = 36 }, { .width = 32, .height = 18 } };
    vl_encoder *e = vl_encoder_open(mkv, NULL, R25, tc, two, 2);
    CHECK(e != NULL);
    static uint8_t rgba[64 * 36 * 4];
    char log[2048];
    FILE *tmp;
    int saved = capture_stderr(&tmp);
    bool wrote[6] = {
        vl_encoder_write(NULL, 0, rgba),
        vl_encoder_write(e, 2, rgba),
        vl_encoder_write(e, -1, rgba),
        vl_encoder_write(e, 0, NULL),
        vl_encoder_write(e, 1, rgba),
        vl_encoder_write(e, 1, rgba),           /* stream 1 ahead of stream 0 */
    };
    end_capture(tmp, saved, log, sizeof(log));
    CHECK(!wrote[0] && !wrote[1] && !wrote[2] && !wrote[3]);
    CHECK(wrote[4] && !wrote[5]);
    CHECK(lines(log) == 5);
    CHECK(strstr(log, "before frame 0 of stream 0") != NULL);
    CHECK(vl_encoder_write(e, 0, rgba));
    CHECK(vl_encoder_write(e, 1, rgba));
    CHECK(vl_encoder_frames(e) == 1);
    CHECK(vl_encoder_close(e));
    CHECK(vl_encoder_close(NULL));
    CHECK(vl_encoder_frames(NULL) == 0);

    /* A full disk: the write or the close says so, once, and nothing crashes. */
    snprintf(path, sizeof(path), "%s/full.mkv", dir);
    CHECK(symlink("/dev/full", path) == 0);
    saved = capture_stderr(&tmp);
    e = vl_encoder_open(path, NULL, R25, tc, &s, 1);
    bool ok = e != NULL;
    for (int n = 0; e && n < 20; n++) {
        pattern(rgba, 64, 36, n, 0, true);
        ok &= vl_encoder_write(e, 0, rgba);
    }
    ok &= vl_encoder_close(e);
    end_capture(tmp, saved, log, sizeof(log));
    CHECK(!ok);
    CHECK(lines(log) == 1 && strstr(log, "No space left") != NULL);
    if (lines(log) != 1)
        fprintf(stderr, "  full disk log: %s", log);
}

int main(void)
{
    char dir[] = "/tmp/volym-encode-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    vl_log_set_level(VL_LOG_WARN);
    av_log_set_level(AV_LOG_FATAL);     /* as volym does: our messages only */
    vl_timecode hour = { 1, 0, 0, 0, false }, drop = { 0, 59, 59, 28, true };
    vl_timecode late = { 10, 0, 0, 23, false };
    test_round_trip(dir, "mkv", NULL, R25, hour, "01:00:00:00");
    test_round_trip(dir, "mkv", NULL, R2997, drop, "00:59:59;28");
    test_round_trip(dir, "mkv", NULL, R23976, late, "10:00:00:23");
    test_round_trip(dir, "mp4", NULL, R25, hour, "01:00:00:00");
    test_round_trip(dir, "mp4", NULL, R2997, drop, "00:59:59;28");
    test_round_trip(dir, "mp4", NULL, R23976, late, "10:00:00:23");
    /* Drop-frame follows the rate, whatever the label says. */
    test_round_trip(dir, "mov", NULL, R2997, (vl_timecode){ 0, 59, 59, 28, false },
                    "00:59:59;28");
    test_round_trip(dir, "mp4", NULL, R5994, (vl_timecode){ 0, 10, 0, 0, true }, "00:10:00;00");
    test_round_trip(dir, "mkv", "h264", R25, hour, "01:00:00:00");
    test_two_streams(dir, "mkv");
    test_two_streams(dir, "mp4");
    test_odd_size(dir);
    test_h264_colours(dir);
    test_errors(dir);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return check_result("encode");
}
