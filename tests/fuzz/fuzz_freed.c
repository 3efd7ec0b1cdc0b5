/* libFuzzer target: vl_freed_parse on any bytes. Built and run by
 * run_fuzz.sh; with -DFUZZ_SEEDS it is instead a program that writes a seed
 * corpus of valid messages into the directory it is given. */
#include "track/track.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_SEEDS

/* A decoded sample must never carry NaN or infinity into the engine. */
static void check_finite(const vl_sample *s)
{
    const double v[] = { s->pose.pos[0], s->pose.pos[1], s->pose.pos[2], s->pose.pan_deg,
                         s->pose.tilt_deg, s->pose.roll_deg, s->fov_h_deg, s->focus_m };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (!isfinite(v[i]))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vl_sample s;
    if (vl_freed_parse(data, size, &s) == VL_FREED_OK)
        check_finite(&s);
    return 0;
}

#else

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    const vl_sample seeds[] = {
        { .camera = 1, .pose = { .pos = { 1, -0.5, 1.5 }, .pan_deg = 90, .tilt_deg = -10 },
          .zoom = 0x1234, .focus = 0xfff },
        { .camera = 255, .pose = { .pos = { -131, 131, 0 }, .pan_deg = -180, .roll_deg = 45 },
          .zoom = 0xffffff },
    };
    for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
        uint8_t buf[VL_FREED_D1_SIZE];
        vl_freed_encode(&seeds[i], buf);
        char path[4096];
        snprintf(path, sizeof(path), "%s/seed-%zu", argv[1], i);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(buf, 1, sizeof(buf), f) != sizeof(buf) || fclose(f))
            return 1;
    }
    return 0;
}

#endif
