/* Plate frame selection: stage frame -> source frame, in integers. */
#include "media/media.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

/* floor(a / b) for b > 0, also for negative a. */
static __int128 floor_div(__int128 a, __int128 b)
{
    __int128 q = a / b;
    return q * b > a ? q - 1 : q;
}

int64_t vl_plate_frame_at(const vl_plate_timing *t, vl_rational stage_rate, int64_t n)
{
    /* Plate time = n * stage.den / stage.num * speed seconds; its frame is
     * floor(plate time * rate.num / rate.den). One division, no rounding
     * carried from frame to frame. */
    __int128 num = (__int128)n * stage_rate.den * t->speed.num * t->rate.num;
    __int128 den = (__int128)stage_rate.num * t->speed.den * t->rate.den;
    int64_t f = (int64_t)floor_div(num, den);

    int64_t in = t->in_frame > 0 ? t->in_frame : 0;
    int64_t out = t->out_frame > 0 ? t->out_frame : t->n_frames;
    if (t->n_frames > 0 && out > t->n_frames)
        out = t->n_frames;
    if (out <= 0)
        return in + f;                  /* a live stream: it plays on */
    if (in >= out)
        in = out - 1;
    int64_t len = out - in;
    return t->loop ? in + f % len : (f < len ? in + f : out - 1);
}

bool vl_speed_parse(const char *s, vl_rational *out)
{
    if (vl_rational_parse(s, out))
        return true;
    char *end;
    errno = 0;
    double v = s ? strtod(s, &end) : 0;
    if (!s || errno || end == s || *end || !(v > 0) || v > 1000)
        return false;
    *out = (vl_rational){ llround(v * 1000), 1000 };
    return out->num > 0;
}
