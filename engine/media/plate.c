/* Plate decoding: libavformat + libavcodec on a thread of its own, a few
 * frames ahead of the one shown. The reader asks for a frame number (from
 * vl_plate_frame_at); frames before it are dropped, and asking for one
 * before everything queued (a loop back to the in point) makes the thread
 * seek. Frames stay in the decoder's format: conversion happens on the GPU. */
#include "media/media.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LOG "media"
#define QUEUE 8                 /* frames decoded ahead */
#define SEEK_AHEAD 50           /* a frame further ahead than this is sought, not decoded to */
/* This many decode errors in a row and the input counts as broken. */
#define MAX_ERRORS_IN_A_ROW 100
/* Blocking input (a network stream) gives up after this long without data:
 * opening, then each read. A read that gives up breaks the stream. */
#define OPEN_TIMEOUT_NS (10 * VL_NS_PER_SEC)    /* said in open_input's message */
#define STALL_TIMEOUT_NS (5 * VL_NS_PER_SEC)    /* said in the decoder's message */

struct vl_plate {
    char url[1024];
    AVFormatContext *fmt;
    AVCodecContext *dec;
    AVPacket *pkt;
    int stream;
    AVRational time_base;
    int64_t start_pts;
    vl_rational rate;
    int64_t n_frames;
    /* The container's display matrix (a phone clip's turn), given to every
     * frame the decoder brings none for. */
    int32_t display_matrix[9];
    bool has_display_matrix;
    /* No timestamps in the input (a raw .h264 / .hevc stream): frames are
     * numbered in the order they decode, and a seek goes to the start. */
    bool untimed;
    /* The decoder thread's own: */
    int64_t next_index;         /* untimed: the number of the next frame decoded */
    int64_t last_index;         /* the last frame decoded since the last seek; -1 none */
    pthread_t thread;
    bool thread_started;
    atomic_bool quit;           /* vl_plate_close: blocking I/O returns */
    _Atomic int64_t io_deadline;    /* blocking I/O gives up after; 0: never */

    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* lock guards everything below */
    /* A loop's frames are decoded in laps: after loop_out - 1 (or the end)
     * the decoder goes back to loop_in by itself and counts the next lap,
     * so the frames after a loop point are ready before they are due.
     * Frames are ordered by (lap, frame number). */
    int64_t loop_in, loop_out;  /* loop_out <= loop_in: no loop */
    int64_t lap;                /* the lap being decoded */
    bool wrap;                  /* the decoder is due to go back to loop_in */
    int64_t preroll_to;         /* after a seek: frames before this one are dropped; -1 none */
    AVFrame *queue[QUEUE];      /* decoded, in (lap, frame number) order */
    int64_t queue_index[QUEUE], queue_lap[QUEUE];
    int head, n;
    AVFrame *shown;             /* the reader's frame */
    int64_t shown_index;        /* -1: none yet */
    int64_t shown_lap, read_lap;
    int64_t seek_to;            /* frame number to seek to; -1: none */
    bool stop, ended;
    vl_plate_stats stats;
};

static const char *av_error(int err, char *buf, size_t n)
{
    av_strerror(err, buf, n);
    return buf;
}

/* The first error FFmpeg logged on this thread since it was cleared, so
 * that a file libavcodec refuses gets a message saying why (FFmpeg's own
 * log is off unless --verbose). Everything still goes on to FFmpeg's
 * default log. */
static _Thread_local char av_said[200];

static void av_log_hook(void *avcl, int level, const char *fmt, va_list vl)
{
    if (level <= AV_LOG_ERROR && !av_said[0]) {
        va_list copy;
        va_copy(copy, vl);
        vsnprintf(av_said, sizeof(av_said), fmt, copy);
        va_end(copy);
        av_said[strcspn(av_said, "\n")] = 0;
    }
    av_log_default_callback(avcl, level, fmt, vl);
}

static void hook_av_log(void)
{
    av_log_set_callback(av_log_hook);
}

/* libavformat asks this during blocking I/O: nonzero makes it give up. */
static int interrupted(void *arg)
{
    vl_plate *p = arg;
    int64_t deadline = atomic_load(&p->io_deadline);
    return atomic_load(&p->quit) || (deadline && vl_now_ns() > deadline);
}

/* A file with no timestamps at all (a raw elementary stream) has no length
 * libavformat knows: count its packets, one a frame, and go back to the
 * start. A file whose packets do carry timestamps stays as it was. */
static void count_frames(vl_plate *p)
{
    int64_t n = 0;
    bool timed = false;
    while (!timed) {
        atomic_store(&p->io_deadline, vl_now_ns() + STALL_TIMEOUT_NS);
        if (av_read_frame(p->fmt, p->pkt) < 0)
            break;
        if (p->pkt->stream_index == p->stream) {
            n++;
            timed = p->pkt->pts != AV_NOPTS_VALUE || p->pkt->dts != AV_NOPTS_VALUE;
        }
        av_packet_unref(p->pkt);
    }
    av_seek_frame(p->fmt, -1, 0, AVSEEK_FLAG_BACKWARD | AVSEEK_FLAG_BYTE);
    if (!timed && n > 0) {
        p->untimed = true;
        p->n_frames = n;
    }
}

static bool open_input(vl_plate *p, const char *url)
{
    char e[128];
    av_said[0] = 0;
    p->fmt = avformat_alloc_context();
    p->fmt->interrupt_callback = (AVIOInterruptCB){ interrupted, p };
    atomic_store(&p->io_deadline, vl_now_ns() + OPEN_TIMEOUT_NS);
    int err = avformat_open_input(&p->fmt, url, NULL, NULL);
    if (err >= 0)
        err = avformat_find_stream_info(p->fmt, NULL);
    if (err < 0) {
        VL_ERR(LOG, "plate %s: cannot open: %s", url, err == AVERROR_EXIT ?
               "nothing arrived in 10 s" : av_error(err, e, sizeof(e)));
        return false;
    }
    const AVCodec *codec = NULL;
    p->stream = av_find_best_stream(p->fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
    if (p->stream < 0 || !codec) {
        VL_ERR(LOG, "plate %s: %s", url, p->stream == AVERROR_DECODER_NOT_FOUND ?
               "no decoder for its video codec" : "no video stream");
        return false;
    }
    AVStream *st = p->fmt->streams[p->stream];
    /* libavformat found the stream but libavcodec could not decode a
     * picture of it (a 16384x16384 PNG: libavcodec's size limit). */
    if (st->codecpar->width <= 0 || st->codecpar->height <= 0) {
        VL_ERR(LOG, "plate %s: libavcodec's %s decoder cannot decode it: %s (it takes pictures "
               "up to (width + 128) x (height + 128) < 2^28 pixels, e.g. 16255x16255)", url,
               codec->name, av_said[0] ? av_said : "it found no picture size");
        return false;
    }
    p->dec = avcodec_alloc_context3(codec);
    /* All cores, frame and slice threads: a 4K H.264 plate needs both
     * cores of a small laptop (the frames decoded ahead hide the delay). */
    if (p->dec) {
        p->dec->thread_count = 0;
        p->dec->thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE;
    }
    if (!p->dec || avcodec_parameters_to_context(p->dec, st->codecpar) < 0 ||
        (err = avcodec_open2(p->dec, codec, NULL)) < 0) {
        VL_ERR(LOG, "plate %s: cannot open the %s decoder", url, codec->name);
        return false;
    }
    p->time_base = st->time_base;
    size_t dm_size = 0;
    const uint8_t *dm = av_stream_get_side_data(st, AV_PKT_DATA_DISPLAYMATRIX, &dm_size);
    p->has_display_matrix = dm && dm_size >= sizeof(p->display_matrix);
    if (p->has_display_matrix)
        memcpy(p->display_matrix, dm, sizeof(p->display_matrix));
    p->start_pts = st->start_time != AV_NOPTS_VALUE ? st->start_time : 0;
    AVRational r = av_guess_frame_rate(p->fmt, st, NULL);
    if (r.num <= 0 || r.den <= 0) {
        VL_WARN(LOG, "plate %s: no frame rate in the file, taking 25", url);
        r = (AVRational){ 25, 1 };
    }
    p->rate = (vl_rational){ r.num, r.den };
    if (st->nb_frames > 0)
        p->n_frames = st->nb_frames;
    else if (st->duration > 0)
        p->n_frames = av_rescale_q(st->duration, st->time_base, av_inv_q(r));
    else if (p->fmt->duration > 0)
        p->n_frames = av_rescale_q(p->fmt->duration, AV_TIME_BASE_Q, av_inv_q(r));
    bool seekable = p->fmt->pb && (p->fmt->pb->seekable & AVIO_SEEKABLE_NORMAL);
    if (p->n_frames <= 0 && st->start_time == AV_NOPTS_VALUE && seekable)
        count_frames(p);
    /* A live stream is joined somewhere in the middle: its frames count
     * from the first one decoded here. */
    if (p->n_frames <= 0)
        p->start_pts = AV_NOPTS_VALUE;
    return true;
}

static int64_t frame_number(vl_plate *p, const AVFrame *f)
{
    if (p->untimed)
        return p->next_index++;
    int64_t pts = f->best_effort_timestamp != AV_NOPTS_VALUE ? f->best_effort_timestamp : f->pts;
    if (pts == AV_NOPTS_VALUE)
        return 0;
    if (p->start_pts == AV_NOPTS_VALUE)
        p->start_pts = pts;
    AVRational frame = { (int)p->rate.den, (int)p->rate.num };
    return av_rescale_q_rnd(pts - p->start_pts, p->time_base, frame, AV_ROUND_NEAR_INF);
}

/* The next decoded frame into f: 0, AVERROR_EOF at the end, or another
 * error (counted by the caller). Runs without the lock. */
static int decode_next(vl_plate *p, AVFrame *f)
{
    for (;;) {
        int err = avcodec_receive_frame(p->dec, f);
        if (err != AVERROR(EAGAIN))
            return err;
        atomic_store(&p->io_deadline, vl_now_ns() + STALL_TIMEOUT_NS);
        err = av_read_frame(p->fmt, p->pkt);
        if (err == AVERROR_EOF) {
            avcodec_send_packet(p->dec, NULL);      /* drain */
            continue;
        }
        if (err < 0)
            return err;
        if (p->pkt->stream_index == p->stream)
            err = avcodec_send_packet(p->dec, p->pkt);
        av_packet_unref(p->pkt);
        if (err < 0 && err != AVERROR(EAGAIN))
            return err;
    }
}

/* The renderer turns the picture by the frame's display matrix: the
 * container's one reaches it this way (FFmpeg 5 keeps it on the stream). */
static void tag_display_matrix(const vl_plate *p, AVFrame *f)
{
    if (!p->has_display_matrix || av_frame_get_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX))
        return;
    AVFrameSideData *sd = av_frame_new_side_data(f, AV_FRAME_DATA_DISPLAYMATRIX,
                                                 sizeof(p->display_matrix));
    if (sd)
        memcpy(sd->data, p->display_matrix, sizeof(p->display_matrix));
}

static void clear_queue(vl_plate *p)
{
    for (; p->n; p->n--, p->head = (p->head + 1) % QUEUE)
        av_frame_unref(p->queue[p->head]);
}

static void seek(vl_plate *p, int64_t frame)
{
    atomic_store(&p->io_deadline, vl_now_ns() + STALL_TIMEOUT_NS);
    p->last_index = -1;
    if (p->untimed) {           /* no timestamps to seek by: from the start */
        av_seek_frame(p->fmt, -1, 0, AVSEEK_FLAG_BACKWARD | AVSEEK_FLAG_BYTE);
        avcodec_flush_buffers(p->dec);
        p->next_index = 0;
        return;
    }
    AVRational fr = { (int)p->rate.den, (int)p->rate.num };
    int64_t ts = p->start_pts + av_rescale_q(frame, fr, p->time_base);
    if (av_seek_frame(p->fmt, p->stream, ts, AVSEEK_FLAG_BACKWARD) < 0)
        av_seek_frame(p->fmt, -1, 0, AVSEEK_FLAG_BACKWARD | AVSEEK_FLAG_BYTE);
    avcodec_flush_buffers(p->dec);
}

/* At the end of the input: a file that ends before the frames it promised
 * (cut short) is said once and counted; its last frame stands in for the
 * rest. Lock held. */
static void check_end(vl_plate *p)
{
    int64_t end = p->last_index + 1;
    if (p->stats.cut || p->last_index < 0 || p->n_frames <= 0 || end >= p->n_frames)
        return;
    VL_WARN(LOG, "plate %s: the file ended at frame %lld of the %lld it promised (cut short?); "
            "frame %lld stands in for the rest", p->url, (long long)end, (long long)p->n_frames,
            (long long)end - 1);
    p->stats.cut = true;
    p->stats.cut_at = end;
}

static void *decode_thread(void *arg)
{
    vl_plate *p = arg;
    AVFrame *f = av_frame_alloc();
    int errors_in_a_row = 0;
    pthread_mutex_lock(&p->lock);
    while (!p->stop) {
        if (p->seek_to >= 0 || p->wrap) {
            int64_t to = p->wrap ? p->loop_in : p->seek_to;
            if (p->seek_to >= 0)
                clear_queue(p);     /* the reader jumped: what is queued is stale */
            p->preroll_to = to;
            p->seek_to = -1;
            p->wrap = p->ended = false;
            pthread_mutex_unlock(&p->lock);
            seek(p, to);
            pthread_mutex_lock(&p->lock);
            continue;
        }
        if (p->n == QUEUE || p->ended) {
            pthread_cond_wait(&p->cond, &p->lock);
            continue;
        }
        pthread_mutex_unlock(&p->lock);
        int err = decode_next(p, f);
        pthread_mutex_lock(&p->lock);
        if (p->seek_to >= 0) {          /* decoded before a seek: stale */
            av_frame_unref(f);
            continue;
        }
        bool looping = p->loop_out > p->loop_in;
        if (err == AVERROR_EOF)
            check_end(p);
        if (err == 0) {
            errors_in_a_row = 0;
            p->stats.decoded++;
            tag_display_matrix(p, f);
            int64_t index = frame_number(p, f);
            p->last_index = index;
            if (index < p->preroll_to) {
                av_frame_unref(f);      /* decoded on the way from a key frame */
                continue;
            }
            if (looping && index >= p->loop_out) {
                av_frame_unref(f);      /* past a loop set while it was decoding */
                p->wrap = true;
                p->lap++;
                continue;
            }
            p->preroll_to = -1;
            int slot = (p->head + p->n) % QUEUE;
            av_frame_move_ref(p->queue[slot], f);
            p->queue_index[slot] = index;
            p->queue_lap[slot] = p->lap;
            p->n++;
            if (looping && index >= p->loop_out - 1) {
                p->wrap = true;
                p->lap++;
            }
        } else if (err == AVERROR_EOF && looping) {
            p->wrap = true;
            p->lap++;
        } else if (err == AVERROR_EOF || err == AVERROR_EXIT ||
                   ++errors_in_a_row >= MAX_ERRORS_IN_A_ROW) {
            if (err != AVERROR_EOF && !atomic_load(&p->quit)) {
                VL_WARN(LOG, "plate %s: the stream is broken (%s), keeping its last good frame",
                        p->url, err == AVERROR_EXIT ? "no data for 5 s" : "decode errors");
                p->stats.broken = true;
            }
            p->ended = true;
        } else {
            p->stats.errors++;
        }
        pthread_cond_broadcast(&p->cond);
    }
    pthread_mutex_unlock(&p->lock);
    av_frame_free(&f);
    return NULL;
}

vl_plate *vl_plate_open(const char *url)
{
    static pthread_once_t hooked = PTHREAD_ONCE_INIT;
    pthread_once(&hooked, hook_av_log);
    vl_plate *p = vl_xcalloc(1, sizeof(*p));
    snprintf(p->url, sizeof(p->url), "%s", url ? url : "");
    p->shown_index = -1;
    p->seek_to = -1;
    p->last_index = p->preroll_to = -1;
    pthread_mutex_init(&p->lock, NULL);
    /* Timed waits use absolute CLOCK_MONOTONIC times, as vl_now_ns does. */
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &attr);
    pthread_condattr_destroy(&attr);
    p->pkt = av_packet_alloc();
    p->shown = av_frame_alloc();
    for (int i = 0; i < QUEUE; i++)
        p->queue[i] = av_frame_alloc();
    if (!url || !open_input(p, url))
        goto fail;
    if (pthread_create(&p->thread, NULL, decode_thread, p)) {
        VL_ERR(LOG, "plate %s: cannot start the decoder thread", url);
        goto fail;
    }
    p->thread_started = true;
    if (p->untimed)
        VL_INFO(LOG, "plate %s: %dx%d %s, no timestamps (a raw stream): %lld frames counted, "
                "numbered as they decode", url, p->dec->width, p->dec->height,
                p->dec->codec->name, (long long)p->n_frames);
    else
        VL_INFO(LOG, "plate %s: %dx%d %s at %lld/%lld fps, %lld frames", url, p->dec->width,
                p->dec->height, p->dec->codec->name, (long long)p->rate.num,
                (long long)p->rate.den, (long long)p->n_frames);
    return p;
fail:
    vl_plate_close(p);
    return NULL;
}

void vl_plate_close(vl_plate *p)
{
    if (!p)
        return;
    if (p->thread_started) {
        atomic_store(&p->quit, true);
        pthread_mutex_lock(&p->lock);
        p->stop = true;
        pthread_cond_broadcast(&p->cond);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->thread, NULL);
    }
    for (int i = 0; i < QUEUE; i++)
        av_frame_free(&p->queue[i]);
    av_frame_free(&p->shown);
    av_packet_free(&p->pkt);
    avcodec_free_context(&p->dec);
    avformat_close_input(&p->fmt);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

vl_plate_timing vl_plate_source_timing(const vl_plate *p)
{
    return (vl_plate_timing){ .rate = p->rate, .n_frames = p->n_frames, .speed = { 1, 1 },
                              .untimed = p->untimed };
}

/* The newest frame decoded in the lap being read (a later lap's frames
 * count as far ahead: the decoder went round a loop). */
static int64_t newest_queued(const vl_plate *p)
{
    if (!p->n)
        return p->shown_index;
    int last = (p->head + p->n - 1) % QUEUE;
    return p->queue_lap[last] > p->read_lap ? INT64_MAX / 2 : p->queue_index[last];
}

const AVFrame *vl_plate_frame(vl_plate *p, int64_t frame, int64_t timeout_ns, int64_t *index)
{
    int64_t deadline = vl_now_ns() + timeout_ns;
    struct timespec ts = { (time_t)(deadline / VL_NS_PER_SEC), (long)(deadline % VL_NS_PER_SEC) };
    pthread_mutex_lock(&p->lock);
    /* Behind what is shown: a loop back. Inside the loop the decoder has
     * already gone round: the frame is in the next lap. Otherwise seek,
     * and until the decoder catches up keep showing what there is. */
    bool back = p->shown_index > frame && p->seek_to < 0;
    if (back && p->loop_out > p->loop_in && frame >= p->loop_in) {
        p->read_lap = p->shown_lap + 1;
    } else if (back || (p->seek_to < 0 && p->shown_index >= 0 && p->n_frames > 0 &&
                        !p->untimed && frame > newest_queued(p) + SEEK_AHEAD)) {
        p->seek_to = frame;
        p->read_lap = ++p->lap;
        p->shown_index = -1;
        pthread_cond_broadcast(&p->cond);
    }
    for (;;) {
        /* Take every queued frame up to the one asked for; the last one
         * taken is shown. */
        while (p->n && p->seek_to < 0 && (p->queue_lap[p->head] < p->read_lap ||
               (p->queue_lap[p->head] == p->read_lap && p->queue_index[p->head] <= frame))) {
            av_frame_unref(p->shown);
            av_frame_move_ref(p->shown, p->queue[p->head]);
            p->shown_index = p->queue_index[p->head];
            p->shown_lap = p->queue_lap[p->head];
            p->head = (p->head + 1) % QUEUE;
            p->n--;
            pthread_cond_broadcast(&p->cond);
        }
        bool past = p->n && p->seek_to < 0;     /* the next one is later */
        bool exact = p->shown_index == frame && p->shown_lap == p->read_lap;
        if (exact || past || (p->ended && p->seek_to < 0) ||
            pthread_cond_timedwait(&p->cond, &p->lock, &ts))
            break;
    }
    const AVFrame *f = p->shown->buf[0] ? p->shown : NULL;
    *index = p->shown_index;
    pthread_mutex_unlock(&p->lock);
    return f;
}

void vl_plate_set_loop(vl_plate *p, int64_t in, int64_t out)
{
    pthread_mutex_lock(&p->lock);
    p->loop_in = in;
    p->loop_out = out;
    /* The decoder starts at open, before a loop is set: frames it has
     * queued past the out point go, and where it is past it (or at the
     * end) it goes round now. */
    bool past = out > in && p->ended;
    while (out > in && p->n && !p->wrap && p->seek_to < 0) {
        int last = (p->head + p->n - 1) % QUEUE;
        if (p->queue_lap[last] != p->lap || p->queue_index[last] < out - 1)
            break;
        past = true;
        if (p->queue_index[last] < out)
            break;
        av_frame_unref(p->queue[last]);
        p->n--;
    }
    if (past && !p->wrap && p->seek_to < 0) {
        p->wrap = true;
        p->ended = false;       /* the reader waits for the next lap */
        p->lap++;
        pthread_cond_broadcast(&p->cond);
    }
    pthread_mutex_unlock(&p->lock);
}

vl_plate_stats vl_plate_get_stats(vl_plate *p)
{
    pthread_mutex_lock(&p->lock);
    vl_plate_stats s = p->stats;
    s.ended = p->ended;
    pthread_mutex_unlock(&p->lock);
    return s;
}
