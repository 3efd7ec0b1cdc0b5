/* core: rational frame times, rate parsing, the pan/tilt/roll convention. */
#include "check.h"
#include "core/core.h"

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
    return check_result("core");
}
