/* libFuzzer target: vl_osc_parse on any bytes, with one parser kept across
 * inputs so that state (lens table, ZIG SIM and TDLiDAR halves) is fuzzed
 * too. With -DFUZZ_SEEDS it is instead a program that writes a seed corpus
 * (every address space, a nested bundle) into the directory it is given. */
#include "fuzz.h"

#include <lo/lo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_SEEDS

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vl_osc_parser *parser;
    if (!parser)
        parser = vl_osc_parser_create();
    vl_osc_parse(parser, data, size, &fuzz_sink);
    return 0;
}

#else

/* Serialises m for path into buf (freeing m). */
static size_t serialise(lo_message m, const char *path, uint8_t *buf)
{
    size_t n = lo_message_length(m, path);
    lo_message_serialise(m, path, buf, &n);
    lo_message_free(m);
    return n;
}

static void seed_message(lo_message m, const char *path)
{
    uint8_t buf[512];
    fuzz_write_seed(NULL, buf, serialise(m, path, buf));
}

static lo_message numbers(int n, const float *v)
{
    lo_message m = lo_message_new();
    for (int i = 0; i < n; i++)
        lo_message_add_float(m, v[i]);
    return m;
}

static size_t put_element(uint8_t *b, size_t at, const uint8_t *elem, size_t n)
{
    const uint8_t size[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
                              (uint8_t)n };
    memcpy(b + at, size, 4);
    memcpy(b + at + 4, elem, n);
    return at + 4 + n;
}

static size_t bundle_header(uint8_t *b)
{
    memcpy(b, "#bundle\0\0\0\0\0\0\0\0\1", 16);
    return 16;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    fuzz_seed_dir = argv[1];

    vl_sample s = { .camera = 1, .pose = { .pos = { 1, 2, 1.5 }, .pan_deg = 30, .tilt_deg = -5 },
                    .fov_h_deg = 60 };
    uint8_t pose[256], lens[256];
    size_t n_pose = vl_osc_encode_pose(&s, pose, sizeof(pose));
    fuzz_write_seed(NULL, pose, n_pose);
    s.fov_h_deg = 0;
    fuzz_write_seed(NULL, pose, vl_osc_encode_pose(&s, pose, sizeof(pose)));

    lo_message m = lo_message_new();
    lo_message_add_int32(m, 1);
    lo_message_add_int32(m, 4096);
    lo_message_add_int32(m, 1000);
    size_t n_lens = serialise(m, "/volym/lens", lens);
    fuzz_write_seed(NULL, lens, n_lens);

    m = lo_message_new();
    lo_message_add_int64(m, 2);
    for (int i = 0; i < 6; i++)
        lo_message_add_double(m, 0.5 * i);
    seed_message(m, "/volym/pose");

    const float pos[3] = { 0.1f, 1.6f, -2 }, quat[4] = { 0, 0.38268343f, 0, 0.92387953f };
    seed_message(numbers(3, pos), "/ZIGSIM/1/arkitposition");
    seed_message(numbers(4, quat), "/ZIGSIM/1/arkitrotation");
    seed_message(numbers(3, pos), "/ZIGSIM/1/gyro");
    seed_message(numbers(1, &pos[0]), "/tdlidar/arpose/tx");
    seed_message(numbers(1, &pos[1]), "/tdlidar/arpose/ty");
    seed_message(numbers(1, &pos[2]), "/tdlidar/arpose/tz");
    seed_message(numbers(4, quat), "/tdlidar/arpose/quat");

    /* lens, pose, { pose } */
    uint8_t inner[512], outer[1024];
    size_t n_inner = put_element(inner, bundle_header(inner), pose, n_pose);
    size_t n_outer = put_element(outer, bundle_header(outer), lens, n_lens);
    n_outer = put_element(outer, n_outer, pose, n_pose);
    n_outer = put_element(outer, n_outer, inner, n_inner);
    fuzz_write_seed(NULL, outer, n_outer);
    return 0;
}

#endif
