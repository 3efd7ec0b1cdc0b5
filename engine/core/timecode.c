/* SMPTE timecode labels for frame counts (see core.h). Drop-frame skips
 * labels, never frames: every frame gets the next label that exists. */
#include "core.h"

#include <stdio.h>

#define DAY_SECONDS 86400

int vl_timecode_base(vl_rational rate)
{
    return (int)((rate.num + rate.den - 1) / rate.den);
}

bool vl_timecode_drop(vl_rational rate)
{
    return rate.den == 1001 && (rate.num == 30000 || rate.num == 60000);
}

/* Labels skipped at the start of a minute: 2 at 29.97, 4 at 59.94. */
static int dropped(vl_rational rate)
{
    return vl_timecode_drop(rate) ? vl_timecode_base(rate) / 15 : 0;
}

int64_t vl_timecode_frames(vl_rational rate, vl_timecode tc)
{
    int64_t base = vl_timecode_base(rate), minutes = 60 * tc.hours + tc.minutes;
    return ((minutes * 60) + tc.seconds) * base + tc.frames -
           dropped(rate) * (minutes - minutes / 10);
}

vl_timecode vl_timecode_at(vl_rational rate, vl_timecode start, int64_t n)
{
    int64_t base = vl_timecode_base(rate), d = dropped(rate);
    int64_t per_day = DAY_SECONDS * base - d * (24 * 60 - 24 * 6);
    int64_t f = (vl_timecode_frames(rate, start) + n) % per_day;
    if (d) {
        /* Put the skipped labels back: 9 minutes of every 10 lost d. */
        int64_t per_10min = 600 * base - 9 * d, per_min = 60 * base - d;
        int64_t tens = f / per_10min, rest = f % per_10min;
        f += 9 * d * tens + (rest > d ? d * ((rest - d) / per_min) : 0);
    }
    return (vl_timecode){ .hours = (int)(f / (3600 * base)), .minutes = (int)(f / (60 * base) % 60),
                          .seconds = (int)(f / base % 60), .frames = (int)(f % base),
                          .drop = d != 0 };
}

void vl_timecode_format(vl_timecode tc, char buf[12])
{
    snprintf(buf, 12, "%02u:%02u:%02u%c%02u", (unsigned)tc.hours % 100u,
             (unsigned)tc.minutes % 100u, (unsigned)tc.seconds % 100u, tc.drop ? ';' : ':',
             (unsigned)tc.frames % 100u);
}

bool vl_timecode_parse(const char *s, vl_rational rate, vl_timecode *out)
{
    vl_timecode tc = { .drop = vl_timecode_drop(rate) };
    char sep;
    int used = 0;
    if (!s || sscanf(s, "%2d:%2d:%2d%c%2d%n", &tc.hours, &tc.minutes, &tc.seconds, &sep,
                     &tc.frames, &used) != 5 || s[used] || (sep != ':' && sep != ';' && sep != '.'))
        return false;
    if (tc.hours < 0 || tc.hours > 23 || tc.minutes < 0 || tc.minutes > 59 || tc.seconds < 0 ||
        tc.seconds > 59 || tc.frames < 0 || tc.frames >= vl_timecode_base(rate))
        return false;
    if (tc.seconds == 0 && tc.minutes % 10 && tc.frames < dropped(rate))
        return false;
    *out = tc;
    return true;
}
