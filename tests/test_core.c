/* core: rational frame times, rate parsing, the pan/tilt/roll convention. */
#include "check.h"
#include "core/core.h"

#include <string.h>

static void check_basis(double pan, double tilt, double roll, const double fw[3],
                        const double right[3], const double up[3])
{
    vl_basis b = vl_basis_from_ptr(pan, tilt, roll);
    for (int i = 0; i < 3; i++) {
        CHECK_NEAR(b.forward[i], fw[i], 1e-12);
        CHECK_NEAR(b.right[i], right[i], 1e-12);
        CHECK_NEAR(b.up[i], up[i], 1e-12);
    }
}

/* The label of frame n from 00:00:00:00, formatted. */
static const char *label(vl_rational rate, int64_t n)
{
    static char buf[12];
    vl_timecode_format(vl_timecode_at(rate, (vl_timecode){ 0 }, n), buf);
    return buf;
}

#define LABEL_IS(rate, n, text) do { \
    const char *got_ = label(rate, n); \
    CHECK(!strcmp(got_, text)); \
    if (strcmp(got_, text)) \
        fprintf(stderr, "  frame %lld: %s, expected %s\n", (long long)(n), got_, text); \
} while (0)

/* Every rate the stage runs at: 10 simulated minutes hold exactly the
 * frames the rate says (no drift), and timecode labels at the minute
 * boundaries where drop-frame skips, and round trips for a whole day. */
static void test_rates_and_timecode(void)
{
    static const char *const rates[] = { "23.976", "24", "25", "29.97", "30", "48", "50",
                                         "59.94", "60" };
    for (size_t i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
        vl_rational r;
        CHECK(vl_rational_parse(rates[i], &r));
        /* Frames that start before 10 minutes: ceil(600 num / den). */
        int64_t expect = (600 * r.num + r.den - 1) / r.den, n = 0;
        while (vl_frame_time_ns(r, n) < 600 * VL_NS_PER_SEC)
            n++;
        CHECK(n == expect);
        /* Every interval is the period rounded down or up: no drift. */
        int64_t p = vl_frame_period_ns(r), bad = 0;
        for (int64_t k = 0; k < n; k++) {
            int64_t d = vl_frame_time_ns(r, k + 1) - vl_frame_time_ns(r, k);
            bad += d != p && d != p + 1;
        }
        CHECK(bad == 0);
        /* A day of labels: each frame's label maps back to it, and the
         * labels advance one frame at a time (never a skipped label). */
        int64_t wrong = 0, per_day = vl_timecode_frames(r, (vl_timecode){ 24, 0, 0, 0, false });
        vl_timecode prev = vl_timecode_at(r, (vl_timecode){ 0 }, 0);
        bool reported = false;
        int skip = vl_timecode_drop(r) ? vl_timecode_base(r) / 15 : 0;     /* labels dropped */
        for (int64_t k = 1; k < per_day; k++) {
            vl_timecode tc = vl_timecode_at(r, (vl_timecode){ 0 }, k), parsed;
            wrong += vl_timecode_frames(r, tc) != k;
            if (k % 101 == 0) {         /* the text form, on a sample */
                char text[12];
                vl_timecode_format(tc, text);
                wrong += !vl_timecode_parse(text, r, &parsed) || vl_timecode_frames(r, parsed) != k;
            }
            int64_t step = (tc.hours - prev.hours) * 3600 + (tc.minutes - prev.minutes) * 60 +
                           (tc.seconds - prev.seconds);
            wrong += step == 0 ? tc.frames != prev.frames + 1 :
                     step == 1 ? tc.frames != (tc.seconds == 0 && tc.minutes % 10 ? skip : 0) ||
                                 prev.frames != vl_timecode_base(r) - 1 : 1;
            if (wrong && !reported) {
                reported = true;
                fprintf(stderr, "  %s fps: frame %lld goes wrong\n", rates[i], (long long)k);
            }
            prev = tc;
        }
        CHECK(wrong == 0);
        CHECK(!strcmp(label(r, per_day), "00:00:00:00") || !strcmp(label(r, per_day), "00:00:00;00"));
        printf("%s fps: %lld frames in 10 minutes, a day of %lld timecode labels round trip\n",
               rates[i], (long long)n, (long long)per_day);
    }
    vl_rational df30 = { 30000, 1001 }, df60 = { 60000, 1001 }, pal = { 25, 1 }, film = { 24000, 1001 };
    LABEL_IS(df30, 1799, "00:00:59;29");
    LABEL_IS(df30, 1800, "00:01:00;02");    /* ;00 and ;01 skipped */
    LABEL_IS(df30, 17981, "00:09:59;29");
    LABEL_IS(df30, 17982, "00:10:00;00");   /* minute 10 skips nothing */
    LABEL_IS(df30, 107892, "01:00:00;00");  /* an hour of labels is 3600 s of clock */
    LABEL_IS(df60, 3599, "00:00:59;59");
    LABEL_IS(df60, 3600, "00:01:00;04");
    LABEL_IS(pal, 90000, "01:00:00:00");
    LABEL_IS(film, 86400, "01:00:00:00");   /* 23.976 counts 24 a second, no drop */
    /* Starting from a given timecode, and wrapping at midnight. */
    vl_timecode start;
    CHECK(vl_timecode_parse("23:59:59:24", pal, &start));
    char buf[12];
    vl_timecode_format(vl_timecode_at(pal, start, 1), buf);
    CHECK(!strcmp(buf, "00:00:00:00"));
    CHECK(vl_timecode_parse("10:00:00;00", df30, &start));
    vl_timecode_format(vl_timecode_at(df30, start, 1800), buf);
    CHECK(!strcmp(buf, "10:01:00;02"));
    /* Labels that do not exist. */
    CHECK(!vl_timecode_parse("00:01:00;00", df30, &start));
    CHECK(!vl_timecode_parse("00:01:00;03", df60, &start));
    CHECK(vl_timecode_parse("00:10:00;00", df30, &start));
    CHECK(!vl_timecode_parse("00:00:00:25", pal, &start));
    CHECK(!vl_timecode_parse("24:00:00:00", pal, &start));
    CHECK(!vl_timecode_parse("1:2:3", pal, &start));
    CHECK(!vl_timecode_parse("00:00:00:00x", pal, &start));
}

int main(void)
{
    /* The conventions of ARCHITECTURE.md, one by one. */
    check_basis(0, 0, 0, (double[]){ 0, 1, 0 }, (double[]){ 1, 0, 0 }, (double[]){ 0, 0, 1 });
    /* pan +90 looks along +X (clockwise seen from above). */
    check_basis(90, 0, 0, (double[]){ 1, 0, 0 }, (double[]){ 0, -1, 0 }, (double[]){ 0, 0, 1 });
    /* tilt + looks up. */
    check_basis(0, 90, 0, (double[]){ 0, 0, 1 }, (double[]){ 1, 0, 0 }, (double[]){ 0, -1, 0 });
    /* roll + turns the image clockwise seen from behind: image up tips to +X. */
    check_basis(0, 0, 90, (double[]){ 0, 1, 0 }, (double[]){ 0, 0, -1 }, (double[]){ 1, 0, 0 });
    /* Order: pan, then tilt about the panned right axis. pan 90 tilt 45. */
    double s = sqrt(0.5);
    check_basis(90, 45, 0, (double[]){ s, 0, s }, (double[]){ 0, -1, 0 }, (double[]){ -s, 0, s });

    /* Round trip through vl_basis_to_ptr. */
    const double cases[][3] = { { 12, -30, 7 }, { -170, 80, -45 }, { 90, -10, 0 }, { 0, 0, 179 } };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vl_basis b = vl_basis_from_ptr(cases[i][0], cases[i][1], cases[i][2]);
        double p, t, r;
        vl_basis_to_ptr(&b, &p, &t, &r);
        CHECK_NEAR(p, cases[i][0], 1e-9);
        CHECK_NEAR(t, cases[i][1], 1e-9);
        CHECK_NEAR(r, cases[i][2], 1e-9);
    }

    /* Rational frame times: exact, no drift over 10 minutes. */
    vl_rational r;
    CHECK(vl_rational_parse("29.97", &r) && r.num == 30000 && r.den == 1001);
    CHECK(vl_rational_parse("24000/1001", &r) && r.num == 24000 && r.den == 1001);
    CHECK(vl_rational_parse("25", &r) && r.num == 25 && r.den == 1);
    CHECK(!vl_rational_parse("0", &r));
    CHECK(!vl_rational_parse("25/0", &r));
    CHECK(!vl_rational_parse("-25", &r));
    CHECK(!vl_rational_parse("25fps", &r));
    CHECK(!vl_rational_parse("", &r));
    vl_rational ntsc = { 30000, 1001 };
    /* 17982 frames of 29.97 are exactly 599.9994 s. */
    CHECK(vl_frame_time_ns(ntsc, 17982) == INT64_C(599999400000));
    CHECK(vl_frame_time_ns(ntsc, 30000) == INT64_C(1001) * VL_NS_PER_SEC);
    vl_rational pal = { 25, 1 };
    CHECK(vl_frame_time_ns(pal, 15000) == 600 * VL_NS_PER_SEC);
    /* A real-time loop keeps frame 10 until the clock is a whole period
     * past it, then jumps to the frame the clock is in. */
    int64_t t0 = 1000, p40 = 40000000;
    CHECK(vl_frame_catch_up(pal, t0, 10, t0 + 10 * p40) == 10);
    CHECK(vl_frame_catch_up(pal, t0, 10, t0 + 11 * p40) == 10);
    CHECK(vl_frame_catch_up(pal, t0, 10, t0 + 11 * p40 + 1) == 11);
    CHECK(vl_frame_catch_up(pal, t0, 10, t0 + 13 * p40 + 5) == 13);
    CHECK(vl_frame_period_ns(pal) == 40000000);
    /* Monotonic in n. */
    int mono = 1;
    for (int64_t n = 0; n < 100000; n++)
        mono &= vl_frame_time_ns(ntsc, n + 1) > vl_frame_time_ns(ntsc, n);
    CHECK(mono);
    test_rates_and_timecode();
    return check_result("core");
}
