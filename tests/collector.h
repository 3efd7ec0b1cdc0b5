/* A vl_track_sink for parser tests: keeps the first COLLECTOR_MAX samples,
 * counts all of them and every error by kind. */
#ifndef VL_TEST_COLLECTOR_H
#define VL_TEST_COLLECTOR_H

#include "track/track.h"

#define COLLECTOR_MAX 32

struct collector {
    vl_sample samples[COLLECTOR_MAX];
    int n;
    int errors[VL_TRACK_N_ERRORS];
};

static void collector_sample(void *ctx, const vl_sample *s)
{
    struct collector *c = ctx;
    if (c->n < COLLECTOR_MAX)
        c->samples[c->n] = *s;
    c->n++;
}

static void collector_error(void *ctx, enum vl_track_error e)
{
    struct collector *c = ctx;
    c->errors[e]++;
}

static inline vl_track_sink collector_sink(struct collector *c)
{
    return (vl_track_sink){ .sample = collector_sample, .error = collector_error, .ctx = c };
}

static inline int total_errors(const struct collector *c)
{
    int n = 0;
    for (int i = 0; i < VL_TRACK_N_ERRORS; i++)
        n += c->errors[i];
    return n;
}

#endif
