/* Photos of the AprilTag pattern: decoding with libavformat, grey with
 * libswscale, tags with libapriltag, observations for the pose solve. */
#include "photo.h"

#include <apriltag/apriltag.h>
#include <apriltag/tag36h11.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libswscale/swscale.h>
#include <stdlib.h>
#include <string.h>

#define LOG "calib"


/* The first decoded frame of the best video stream; NULL with *why set. */
static AVFrame *first_frame(AVFormatContext *fmt, const char **why)
{
    const AVCodec *codec = NULL;
    int stream = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (stream < 0 || !codec) {
        *why = "no picture in it";
        return NULL;
    }
    AVCodecContext *dec = avcodec_alloc_context3(codec);
    AVPacket *pkt = av_packet_alloc();
    AVFrame *frame = av_frame_alloc();
    bool got = false;
    *why = "cannot decode it";
    if (avcodec_parameters_to_context(dec, fmt->streams[stream]->codecpar) < 0 ||
        avcodec_open2(dec, codec, NULL) < 0)
        goto done;
    while (!got && av_read_frame(fmt, pkt) >= 0) {
        if (pkt->stream_index == stream && avcodec_send_packet(dec, pkt) >= 0)
            got = avcodec_receive_frame(dec, frame) >= 0;
        av_packet_unref(pkt);
    }
    if (!got && avcodec_send_packet(dec, NULL) >= 0)     /* flush: stills decode late */
        got = avcodec_receive_frame(dec, frame) >= 0;
done:
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    if (!got)
        av_frame_free(&frame);
    return frame;
}

bool calib_grey_load(const char *path, calib_grey *out)
{
    *out = (calib_grey){ 0 };
    AVFormatContext *fmt = NULL;
    const char *why = "not a picture libavformat reads";
    AVFrame *f = NULL;
    if (avformat_open_input(&fmt, path, NULL, NULL) == 0 &&
        avformat_find_stream_info(fmt, NULL) >= 0)
        f = first_frame(fmt, &why);
    avformat_close_input(&fmt);
    if (!f) {
        VL_ERR(LOG, "photo %s: %s (expected an image or video file, e.g. a PNG from volym "
               "render --view camera)", path, why);
        return false;
    }
    struct SwsContext *sws = sws_getContext(f->width, f->height, f->format, f->width, f->height,
                                            AV_PIX_FMT_GRAY8, SWS_POINT, NULL, NULL, NULL);
    out->width = f->width;
    out->height = f->height;
    out->pixels = vl_xmalloc((size_t)f->width * f->height);
    uint8_t *dst[4] = { out->pixels };
    int stride[4] = { f->width };
    bool ok = sws && sws_scale(sws, (const uint8_t *const *)f->data, f->linesize, 0, f->height,
                               dst, stride) == f->height;
    sws_freeContext(sws);
    av_frame_free(&f);
    if (!ok) {
        VL_ERR(LOG, "photo %s: cannot convert its pixels to grey", path);
        calib_grey_free(out);
    }
    return ok;
}

void calib_grey_free(calib_grey *g)
{
    free(g->pixels);
    *g = (calib_grey){ 0 };
}

int calib_observe(const vl_marker *markers, int n_markers, const calib_grey *photo, int view,
                  calib_obs **obs, int **marker_of, int *n)
{
    apriltag_family_t *family = tag36h11_create();
    apriltag_detector_t *td = apriltag_detector_create();
    apriltag_detector_add_family(td, family);
    td->quad_decimate = 1.0f;   /* full resolution: corners to a fraction of a pixel */
    td->nthreads = 2;
    image_u8_t im = { .width = photo->width, .height = photo->height, .stride = photo->width,
                      .buf = photo->pixels };
    zarray_t *dets = apriltag_detector_detect(td, &im);
    int n_found = 0;
    for (int i = 0; i < zarray_size(dets); i++) {
        apriltag_detection_t *d;
        zarray_get(dets, i, &d);
        const vl_marker *m = NULL;
        for (int k = 0; k < n_markers && !m; k++)
            if (markers[k].id == d->id)
                m = &markers[k];
        if (!m || d->hamming > 0)
            continue;
        n_found++;
        *obs = vl_xrealloc(*obs, (*n + 4) * sizeof(**obs));
        *marker_of = vl_xrealloc(*marker_of, (*n + 4) * sizeof(**marker_of));
        for (int c = 0; c < 4; c++) {
            (*marker_of)[*n] = (int)(m - markers);
            calib_obs *o = &(*obs)[(*n)++];
            o->view = view;
            memcpy(o->p, m->corner_stage[c], sizeof(o->p));
            /* libapriltag's pixel coordinates are continuous like volym's
             * ((0,0) the top-left pixel's corner), and its corner order is
             * vl_marker's (tests/test_pattern.c checks both). */
            o->uv[0] = d->p[c][0];
            o->uv[1] = d->p[c][1];
        }
    }
    apriltag_detections_destroy(dets);
    apriltag_detector_destroy(td);
    tag36h11_destroy(family);
    return n_found;
}
