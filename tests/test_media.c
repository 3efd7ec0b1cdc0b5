/* Plate frame selection: the source frame each stage frame shows, for
 * mixed rates, speed, in/out points and loops, with no drift. */
#include "media/media.h"
#include "check.h"

#include <libavutil/frame.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const vl_rational R25 = { 25, 1 }, R50 = { 50, 1 }, R23976 = { 24000, 1001 };

static vl_plate_timing timing(vl_rational rate, int64_t n_frames)
{
    return (vl_plate_timing){ .rate = rate, .n_frames = n_frames, .speed = { 1, 1 } };
}

static void test_same_and_double_rate(void)
{
    vl_plate_timing t = timing(R25, 1000);
    for (int n = 0; n < 1000; n++)
        CHECK(vl_plate_frame_at(&t, R25, n) == n);
    CHECK(vl_plate_frame_at(&t, R25, 5000) == 999);      /* held at the end */
    /* A 50 fps plate on a 25 fps stage shows every other frame. */
    t = timing(R50, 0);
    CHECK(vl_plate_frame_at(&t, R25, 0) == 0);
    CHECK(vl_plate_frame_at(&t, R25, 1) == 2);
    CHECK(vl_plate_frame_at(&t, R25, 12345) == 24690);
}

static void test_ntsc_on_pal(void)
{
    /* 23.976 on 25: exactly 24000 source frames in 25025 stage frames (1001
     * s), each stage frame shows the frame whose interval holds its time,
     * steps of 0 or 1, and after 10 minutes the count is exact. */
    vl_plate_timing t = timing(R23976, 0);
    int64_t prev = vl_plate_frame_at(&t, R25, 0), repeats = 0;
    CHECK(prev == 0);
    for (int64_t n = 1; n <= 25025; n++) {
        int64_t f = vl_plate_frame_at(&t, R25, n);
        CHECK(f - prev == 0 || f - prev == 1);
        repeats += f == prev;
        prev = f;
    }
    CHECK(prev == 24000);
    CHECK(repeats == 1025);
    CHECK(vl_plate_frame_at(&t, R25, 25) == 23);         /* 1 s = 23.976 frames */
    CHECK(vl_plate_frame_at(&t, R25, 15000) == 14385);   /* 10 min = 14385.6 */
    /* The reverse: 25 fps on a 23.976 stage skips one frame in 25. */
    t = timing(R25, 0);
    CHECK(vl_plate_frame_at(&t, R23976, 24000) == 25025);
}

static void test_loop_without_drift(void)
{
    /* A 10-minute loop of a 23.976 plate (14386 frames) on a 25 fps stage,
     * after a week of stage frames: the frame is the exact time modulo the
     * loop, computed here independently. */
    vl_plate_timing t = timing(R23976, 14386);
    t.loop = true;
    int64_t week = 7LL * 24 * 3600 * 25;
    for (int64_t n = week - 100; n <= week; n++) {
        int64_t exact = n * 24000 / (25 * 1001);         /* fits int64 here */
        CHECK(vl_plate_frame_at(&t, R25, n) == exact % 14386);
    }
    /* In and out points: frames 100 .. 199, looping and held. */
    t = timing(R25, 1000);
    t.in_frame = 100;
    t.out_frame = 200;
    t.loop = true;
    CHECK(vl_plate_frame_at(&t, R25, 0) == 100);
    CHECK(vl_plate_frame_at(&t, R25, 99) == 199);
    CHECK(vl_plate_frame_at(&t, R25, 100) == 100);
    CHECK(vl_plate_frame_at(&t, R25, 250) == 150);
    t.loop = false;
    CHECK(vl_plate_frame_at(&t, R25, 250) == 199);
    /* An out point past the end is the end. */
    t.out_frame = 5000;
    CHECK(vl_plate_frame_at(&t, R25, 5000) == 999);
}

static void test_speed(void)
{
    vl_plate_timing t = timing(R25, 0);
    t.speed = (vl_rational){ 1, 2 };
    CHECK(vl_plate_frame_at(&t, R25, 0) == 0);
    CHECK(vl_plate_frame_at(&t, R25, 1) == 0);
    CHECK(vl_plate_frame_at(&t, R25, 3) == 1);
    t.speed = (vl_rational){ 2, 1 };
    CHECK(vl_plate_frame_at(&t, R25, 7) == 14);

    vl_rational r;
    CHECK(vl_speed_parse("0.5", &r) && r.num * 2 == r.den);
    CHECK(vl_speed_parse("2", &r) && r.num == 2 && r.den == 1);
    CHECK(vl_speed_parse("1/4", &r) && r.num == 1 && r.den == 4);
    CHECK(!vl_speed_parse("0", &r));
    CHECK(!vl_speed_parse("-1", &r));
    CHECK(!vl_speed_parse("fast", &r));
    CHECK(!vl_speed_parse(NULL, &r));
}

#define SEC 1000000000LL

/* The frame decoded for `want`, asking again while a seek back is under way. */
static int64_t decoded_index(vl_plate *p, int64_t want, int *width)
{
    int64_t idx = -1;
    for (int tries = 0; tries < 100 && idx < 0; tries++) {
        const AVFrame *f = vl_plate_frame(p, want, SEC / 10, &idx);
        *width = f ? f->width : 0;
    }
    return idx;
}

static void test_decode(const char *dir)
{
    char clip[512], cmd[1024];
    snprintf(clip, sizeof(clip), "%s/clip.mp4", dir);
    snprintf(cmd, sizeof(cmd), "ffmpeg -loglevel error -f lavfi -i testsrc=size=64x36:rate=25 "
             "-frames:v 50 -c:v mpeg4 -g 10 -y %s", clip);
    CHECK(system(cmd) == 0);
    vl_plate *p = vl_plate_open(clip);
    CHECK(p != NULL);
    if (!p)
        return;
    vl_plate_timing t = vl_plate_source_timing(p);
    CHECK(t.rate.num == 25 && t.rate.den == 1 && t.n_frames == 50);
    /* Every frame in order, each exactly the one asked for. */
    int width, wrong = 0;
    for (int i = 0; i < 50; i++)
        wrong += decoded_index(p, i, &width) != i || width != 64;
    CHECK(wrong == 0);
    /* Past the end: the last frame, and the input says it ended. */
    CHECK(decoded_index(p, 60, &width) == 49);
    CHECK(vl_plate_get_stats(p).ended && !vl_plate_get_stats(p).cut);
    /* A loop back seeks: frame 5 again, then on from there. */
    CHECK(decoded_index(p, 5, &width) == 5);
    CHECK(decoded_index(p, 6, &width) == 6);
    /* Skipping ahead drops the frames in between. */
    CHECK(decoded_index(p, 17, &width) == 17);
    CHECK(vl_plate_get_stats(p).errors == 0);
    vl_plate_close(p);

    /* A loop over frames 20..39: the decoder goes round by itself, so once
     * it has had time, the frames after the loop point are there at once
     * (no wait at all) and exact, lap after lap. */
    p = vl_plate_open(clip);
    CHECK(p != NULL);
    if (p) {
        vl_plate_set_loop(p, 20, 40);
        int waited = 0, exact = 0;
        for (int lap = 0; lap < 3; lap++) {
            for (int i = 20; i < 40; i++) {
                if (i == 36)
                    usleep(300000);     /* the queue fills across the loop point */
                int64_t idx;
                bool at_once = i >= 36 || (lap > 0 && i < 24);
                const AVFrame *f = vl_plate_frame(p, i, at_once ? 0 : SEC, &idx);
                exact += f && idx == i;
                waited += at_once && idx != i;
            }
        }
        printf("loop 20..39, 3 laps: %d of 60 frames exact, %d not ready after the loop point\n",
               exact, waited);
        CHECK(exact == 60);
        CHECK(vl_plate_get_stats(p).errors == 0 && !vl_plate_get_stats(p).ended);
        vl_plate_close(p);
    }

    /* A loop set after the decoder has run ahead (it starts at open): past
     * the out point (clip.mp4) or to the end (a 3-frame clip): frames 0, 1,
     * 0, 1 ..., never one past the loop. */
    snprintf(cmd, sizeof(cmd), "ffmpeg -loglevel error -f lavfi -i testsrc=size=64x36:rate=25 "
             "-frames:v 3 -c:v mpeg4 -y %s/three.mp4", dir);
    CHECK(system(cmd) == 0);
    for (int c = 0; c < 2; c++) {
        if (c == 1)
            snprintf(clip, sizeof(clip), "%s/three.mp4", dir);
        p = vl_plate_open(clip);
        CHECK(p != NULL);
        if (!p)
            continue;
        usleep(300000);
        vl_plate_set_loop(p, 0, 2);
        char got[64] = "";
        for (int n = 0; n < 6; n++) {
            int64_t idx;
            vl_plate_frame(p, n % 2, SEC, &idx);
            snprintf(got + strlen(got), sizeof(got) - strlen(got), " %lld", (long long)idx);
        }
        printf("%s, loop 0..1 set late:%s\n", clip, got);
        CHECK(!strcmp(got, " 0 1 0 1 0 1"));
        vl_plate_close(p);
    }
    snprintf(clip, sizeof(clip), "%s/clip.mp4", dir);

    /* A jump far ahead (an OSC seek) seeks instead of decoding every frame
     * up to it. */
    snprintf(cmd, sizeof(cmd), "ffmpeg -loglevel error -f lavfi -i testsrc=size=64x36:rate=25 "
             "-frames:v 400 -c:v mpeg4 -g 10 -y %s/long.mp4", dir);
    CHECK(system(cmd) == 0);
    snprintf(clip, sizeof(clip), "%s/long.mp4", dir);
    p = vl_plate_open(clip);
    CHECK(p != NULL);
    if (p) {
        CHECK(decoded_index(p, 0, &width) == 0);
        CHECK(decoded_index(p, 350, &width) == 350);
        CHECK(decoded_index(p, 351, &width) == 351);
        uint64_t decoded = vl_plate_get_stats(p).decoded;
        printf("jump from frame 0 to 350: %llu frames decoded\n", (unsigned long long)decoded);
        CHECK(decoded < 100);
        vl_plate_close(p);
    }

    /* A transport stream cut in half: the first frames play, then the last
     * good frame is held and the plate says it ended. */
    snprintf(cmd, sizeof(cmd), "ffmpeg -loglevel error -f lavfi -i testsrc=size=64x36:rate=25 "
             "-frames:v 50 -c:v mpeg4 -g 10 -y %s/clip.ts && head -c 20000 %s/clip.ts > %s/half.ts",
             dir, dir, dir);
    CHECK(system(cmd) == 0);
    snprintf(clip, sizeof(clip), "%s/half.ts", dir);
    p = vl_plate_open(clip);
    CHECK(p != NULL);
    if (p) {
        int64_t last = -1;
        for (int i = 0; i < 50; i++)
            last = decoded_index(p, i, &width);
        CHECK(vl_plate_get_stats(p).ended);
        CHECK(last > 0 && last < 49);
        CHECK(width == 64);
        vl_plate_close(p);
    }
}

/* The raw-stream clips are flat greys: frame k has luma 16 + 4 k. */
static int grey_of(const AVFrame *f)
{
    return f ? f->data[0][(f->height / 2) * f->linesize[0] + f->width / 2] : -1;
}

/* A raw elementary stream has no container and no timestamps: its frames
 * are counted at open and numbered as they decode (B-frames included, in
 * display order), so frame k of the stream is stage frame k at the stage
 * rate, lap after lap; a seek back decodes again from the start. */
static void test_raw_stream(const char *dir, const char *ext, const char *codec)
{
    char clip[512], cmd[1024];
    snprintf(clip, sizeof(clip), "%s/grey.%s", dir, ext);
    snprintf(cmd, sizeof(cmd), "ffmpeg -loglevel error -f lavfi -i \"color=black:size=64x32:rate=25,"
             "format=yuv420p,geq=lum='16+4*N':cb=128:cr=128\" -frames:v 50 -c:v %s -y %s",
             codec, clip);
    CHECK(system(cmd) == 0);
    vl_plate *p = vl_plate_open(clip);
    CHECK(p != NULL);
    if (!p)
        return;
    vl_plate_timing t = vl_plate_source_timing(p);
    CHECK(t.untimed && t.n_frames == 50);
    t.rate = R25;
    t.loop = true;
    vl_plate_set_loop(p, 0, t.n_frames);
    int wrong = 0;
    for (int n = 0; n < 130; n++) {
        int64_t due = vl_plate_frame_at(&t, R25, n), idx;
        const AVFrame *f = vl_plate_frame(p, due, SEC, &idx);
        wrong += due != n % 50 || idx != due || grey_of(f) != 16 + 4 * due;
    }
    printf("raw %s: 130 stage frames (2.6 laps), %d not the source frame due\n", ext, wrong);
    CHECK(wrong == 0);
    CHECK(vl_plate_get_stats(p).errors == 0 && !vl_plate_get_stats(p).cut);
    vl_plate_close(p);

    p = vl_plate_open(clip);
    CHECK(p != NULL);
    if (p) {
        int width;
        CHECK(decoded_index(p, 30, &width) == 30);
        int64_t idx = decoded_index(p, 5, &width);
        CHECK(idx == 5 && grey_of(vl_plate_frame(p, 5, SEC, &idx)) == 36);
        CHECK(decoded_index(p, 60, &width) == 49);     /* past the end: held */
        CHECK(vl_plate_get_stats(p).ended && !vl_plate_get_stats(p).cut);
        vl_plate_close(p);
    }
}

/* A file cut short (its header promises 50 frames, half of it is there):
 * the last frame that is there is held, and the stats say where it ended. */
static void test_cut_short(const char *dir)
{
    char clip[512], cmd[1024];
    snprintf(cmd, sizeof(cmd), "ffmpeg -loglevel error -f lavfi -i testsrc=size=64x36:rate=25 "
             "-frames:v 50 -c:v mpeg4 -g 10 -y %s/whole.mkv && head -c $(( $(stat -c %%s "
             "%s/whole.mkv) / 2 )) %s/whole.mkv > %s/cut.mkv", dir, dir, dir, dir);
    CHECK(system(cmd) == 0);
    snprintf(clip, sizeof(clip), "%s/cut.mkv", dir);
    vl_plate *p = vl_plate_open(clip);
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK(vl_plate_source_timing(p).n_frames == 50);
    int width;
    int64_t last = -1;
    for (int i = 0; i < 50; i++)
        last = decoded_index(p, i, &width);
    vl_plate_stats st = vl_plate_get_stats(p);
    printf("cut.mkv: 50 frames promised, the last one there is %lld, cut at %lld\n",
           (long long)last, (long long)st.cut_at);
    CHECK(last > 0 && last < 49);
    CHECK(st.ended && st.cut && st.cut_at == last + 1);
    vl_plate_close(p);
}

static void test_bad_inputs(const char *dir)
{
    char path[512];
    CHECK(vl_plate_open("/nonexistent/plate.mp4") == NULL);
    CHECK(vl_plate_open(NULL) == NULL);
    snprintf(path, sizeof(path), "%s/text.mp4", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("this is not a video\n", f);
        fclose(f);
        CHECK(vl_plate_open(path) == NULL);
    }
}

int main(void)
{
    char dir[] = "/tmp/volym-media-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    test_decode(dir);
    test_raw_stream(dir, "h264", "libx264 -crf 12 -bf 3 -g 10");
    test_raw_stream(dir, "hevc", "libx265 -crf 12 -x265-params log-level=error:keyint=10:bframes=3");
    test_cut_short(dir);
    test_bad_inputs(dir);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    test_same_and_double_rate();
    test_ntsc_on_pal();
    test_loop_without_drift();
    test_speed();
    return check_result("media");
}
