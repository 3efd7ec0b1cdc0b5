/* Shared by the fuzz targets: a sink that aborts on anything a parser must
 * never produce, and the seed-corpus writer of the -DFUZZ_SEEDS programs. */
#ifndef VL_FUZZ_H
#define VL_FUZZ_H

#include "track/track.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* A decoded sample must never carry NaN or infinity into the engine. */
static void fuzz_check_sample(void *ctx, const vl_sample *s)
{
    (void)ctx;
    const double v[] = { s->pose.pos[0], s->pose.pos[1], s->pose.pos[2], s->pose.pan_deg,
                         s->pose.tilt_deg, s->pose.roll_deg, s->fov_h_deg, s->focus_m };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (!isfinite(v[i]))
            abort();
    }
}

static void fuzz_check_error(void *ctx, enum vl_track_error e)
{
    (void)ctx;
    if ((unsigned)e >= VL_TRACK_N_ERRORS)
        abort();
}

static const vl_track_sink fuzz_sink = { .sample = fuzz_check_sample, .error = fuzz_check_error };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Seeds go to files seed-NN in this directory (the seed writers set it). */
static const char *fuzz_seed_dir;

/* Write the next seed; exits on any error. ctx is unused (the signature is
 * vl_otrk_segment's emit). */
static inline void fuzz_write_seed(void *ctx, const uint8_t *buf, size_t n)
{
    static int n_seeds;
    (void)ctx;
    char path[4096];
    snprintf(path, sizeof(path), "%s/seed-%02d", fuzz_seed_dir, n_seeds++);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(buf, 1, n, f) != n || fclose(f))
        exit(1);
}

#endif
