/* Tracker defaults, lens presets and lens-table evaluation.
 *
 * The raw zoom/focus encoder ranges differ per vendor and nothing in a FreeD
 * packet says which one is sending, so a preset only knows a source's raw
 * range; the physical ends (wide/tele FOV, near/far focus) belong to the
 * lens on the camera and are the caller's. */
#include "stage.h"

#include <stdio.h>
#include <string.h>

void vl_tracker_config_default(vl_tracker_config *c, const char *url)
{
    *c = (vl_tracker_config){
        .camera = -1,
        .stale_ms = 500,
        .extrapolate_ms = 100,
        .min_cutoff_hz = 1, .beta = 0.5, .d_cutoff_hz = 1,
        .scale = 1,
        .axis_sign = { 1, 1, 1 },
        .angle_sign = { 1, 1, 1 },
    };
    /* snprintf, not strcpy: a too-long URL is cut (and then fails to open
     * with a message naming it) instead of overrunning the struct. */
    snprintf(c->url, sizeof(c->url), "%s", url ? url : "");
}

/* One list drives both the lookup table and the public name list, so a
 * preset cannot be added to one and forgotten in the other.
 * X(name, zoom min, zoom max, focus min, focus max), raw encoder units. */
#define LENS_PRESETS(X) \
    X(generic, 0, 0x10000, 0, 0x10000) \
    X(panasonic, 0x555, 0xFFF, 0x555, 0xFFF) \
    X(sony, 0, 0x7AC0, 0x1000, 0xF000) \
    X(mosys, 0, 0xFFFF, 0, 0xFFFF) \
    X(stype, 0, 0xFFFFFF, 0, 0xFFFFFF) \
    X(ncam, 0, 0xFFFFFF, 0, 0xFFFFFF)

typedef struct lens_preset {
    const char *name;
    double zoom_min, zoom_max, focus_min, focus_max;
} lens_preset;

#define PRESET_ROW(name, zmin, zmax, fmin, fmax) { #name, zmin, zmax, fmin, fmax },
static const lens_preset presets[] = { LENS_PRESETS(PRESET_ROW) };

#define PRESET_NAME(name, zmin, zmax, fmin, fmax) #name,
const char *const vl_lens_preset_names[] = { LENS_PRESETS(PRESET_NAME) NULL };

static vl_lens_table two_points(double raw0, double v0, double raw1, double v1)
{
    return (vl_lens_table){ .n = 2, .raw = { raw0, raw1 }, .value = { v0, v1 } };
}

bool vl_lens_preset(const char *name, double wide_fov_deg, double tele_fov_deg,
                    double near_m, double far_m, vl_lens *out)
{
    if (!name)
        return false;
    for (size_t i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
        const lens_preset *p = &presets[i];
        if (strcmp(p->name, name))
            continue;
        *out = (vl_lens){
            .zoom_fov = two_points(p->zoom_min, wide_fov_deg, p->zoom_max, tele_fov_deg),
            .focus_m = two_points(p->focus_min, near_m, p->focus_max, far_m),
        };
        snprintf(out->preset, sizeof(out->preset), "%s", p->name);
        return true;
    }
    return false;
}

double vl_lens_eval(const vl_lens_table *t, double raw)
{
    /* A table filled by hand may claim more points than it can hold. */
    int n = t->n < VL_LENS_MAX_POINTS ? t->n : VL_LENS_MAX_POINTS;
    if (n <= 0)
        return 0;
    /* Written as !(raw > first) so that a NaN from a broken packet gives the
     * first value rather than propagating into the camera's FOV. */
    if (n == 1 || !(raw > t->raw[0]))
        return t->value[0];
    /* Here raw > raw[i-1] on every step, so raw[i] - raw[i-1] > 0 whenever
     * raw <= raw[i]: no division by zero even if two points share a raw. */
    for (int i = 1; i < n; i++) {
        if (raw <= t->raw[i]) {
            double f = (raw - t->raw[i - 1]) / (t->raw[i] - t->raw[i - 1]);
            return t->value[i - 1] + f * (t->value[i] - t->value[i - 1]);
        }
    }
    return t->value[n - 1];
}
