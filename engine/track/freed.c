/* FreeD D1: the 29-byte camera tracking message most stage trackers speak.
 * Layout and units are in ARCHITECTURE.md; its axes are the stage axes, so
 * values map straight across with no shuffling. */
#include "track/track.h"

#include <math.h>

#define FREED_D1_TYPE 0xD1
#define ANGLE_UNITS_PER_DEG 32768.0     /* 1/32768 degree */
#define POS_UNITS_PER_M 64000.0         /* 1/64 mm */
#define S24_MIN (-8388608)
#define S24_MAX 8388607
#define U24_MAX 0xFFFFFF

static uint8_t checksum(const uint8_t *buf)
{
    unsigned sum = 0;
    for (int i = 0; i < VL_FREED_D1_SIZE - 1; i++)
        sum += buf[i];
    return (uint8_t)(0x40 - sum);
}

static int32_t get_s24(const uint8_t *p)
{
    int32_t v = (int32_t)((uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2]);
    return v & 0x800000 ? v - 0x1000000 : v;
}

static uint32_t get_u24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void put_24(uint8_t *p, int32_t v)
{
    uint32_t u = (uint32_t)v;
    p[0] = (uint8_t)(u >> 16);
    p[1] = (uint8_t)(u >> 8);
    p[2] = (uint8_t)u;
}

/* Clamp in double before rounding: llround of a value outside long's range
 * (or of NaN) is undefined, and a tracker simulator may feed anything. */
static int32_t to_s24(double v)
{
    if (isnan(v))
        return 0;
    if (v <= S24_MIN)
        return S24_MIN;
    if (v >= S24_MAX)
        return S24_MAX;
    return (int32_t)lround(v);
}

enum vl_freed_result vl_freed_parse(const uint8_t *buf, size_t len, vl_sample *out)
{
    if (len != VL_FREED_D1_SIZE)
        return VL_FREED_BAD_LENGTH;
    if (buf[0] != FREED_D1_TYPE)
        return VL_FREED_BAD_TYPE;
    if (buf[28] != checksum(buf))
        return VL_FREED_BAD_CHECKSUM;

    *out = (vl_sample){
        .camera = buf[1],
        .pose = {
            .pan_deg = get_s24(buf + 2) / ANGLE_UNITS_PER_DEG,
            .tilt_deg = get_s24(buf + 5) / ANGLE_UNITS_PER_DEG,
            .roll_deg = get_s24(buf + 8) / ANGLE_UNITS_PER_DEG,
            .pos = {
                get_s24(buf + 11) / POS_UNITS_PER_M,
                get_s24(buf + 14) / POS_UNITS_PER_M,
                get_s24(buf + 17) / POS_UNITS_PER_M,
            },
        },
        .has_encoders = true,   /* FreeD always sends them (0 from sources without a lens) */
        .zoom = get_u24(buf + 20),
        .focus = get_u24(buf + 23),
    };
    return VL_FREED_OK;
}

void vl_freed_encode(const vl_sample *s, uint8_t out[VL_FREED_D1_SIZE])
{
    out[0] = FREED_D1_TYPE;
    out[1] = (uint8_t)(s->camera < 0 ? 0 : s->camera > 255 ? 255 : s->camera);
    put_24(out + 2, to_s24(s->pose.pan_deg * ANGLE_UNITS_PER_DEG));
    put_24(out + 5, to_s24(s->pose.tilt_deg * ANGLE_UNITS_PER_DEG));
    put_24(out + 8, to_s24(s->pose.roll_deg * ANGLE_UNITS_PER_DEG));
    for (int i = 0; i < 3; i++)
        put_24(out + 11 + 3 * i, to_s24(s->pose.pos[i] * POS_UNITS_PER_M));
    put_24(out + 20, (int32_t)(s->zoom > U24_MAX ? U24_MAX : s->zoom));
    put_24(out + 23, (int32_t)(s->focus > U24_MAX ? U24_MAX : s->focus));
    out[26] = 0;
    out[27] = 0;
    out[28] = checksum(out);
}
