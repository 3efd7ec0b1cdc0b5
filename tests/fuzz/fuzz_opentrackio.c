/* libFuzzer target: vl_otrk_parse on any bytes, with one parser kept across
 * inputs so that reassembly state is fuzzed too. Random bytes almost never
 * carry a right checksum, so each input is also fed a second time "sealed":
 * magic, encoding, length and checksum made valid, which takes the fuzzer
 * past the header into reassembly and JSON. With -DFUZZ_SEEDS it is instead
 * a program that writes a seed corpus into the directory it is given. */
#include "fuzz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_SEEDS

#define HEADER VL_OTRK_HEADER_SIZE
#define MAX_PAYLOAD 0x7FFF

/* The input with a valid header: sequence, offset and last bit as given. */
static void seal(uint8_t *d, size_t size)
{
    size_t len = size - HEADER;
    memcpy(d, "OTrk", 4);
    d[5] = 0x01;
    d[12] = (uint8_t)((d[12] & 0x80) | (len >> 8));
    d[13] = (uint8_t)len;
    uint8_t *covered = malloc(size - 2);
    memcpy(covered, d, 14);
    memcpy(covered + 14, d + HEADER, len);
    uint16_t sum = vl_fletcher16(covered, size - 2);
    free(covered);
    d[14] = (uint8_t)(sum >> 8);
    d[15] = (uint8_t)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vl_otrk_parser *parser;
    if (!parser)
        parser = vl_otrk_parser_create();
    vl_otrk_parse(parser, data, size, &fuzz_sink);
    if (size >= HEADER && size - HEADER <= MAX_PAYLOAD) {
        uint8_t *copy = malloc(size);
        memcpy(copy, data, size);
        seal(copy, size);
        vl_otrk_parse(parser, copy, size, &fuzz_sink);
        free(copy);
    }
    return 0;
}

#else

static void seed_json(const char *json, uint16_t sequence, size_t max_datagram)
{
    vl_otrk_segment((const uint8_t *)json, strlen(json), sequence, max_datagram, fuzz_write_seed,
                    NULL);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    fuzz_seed_dir = argv[1];
    vl_sample s = { .camera = 1, .pose = { .pos = { 1, 2, 1.5 }, .pan_deg = 30, .tilt_deg = -5 },
                    .fov_h_deg = 60, .focus_m = 2.5, .has_encoders = true, .zoom = 100,
                    .focus = 200 };
    char *json = vl_otrk_encode_json(&s, 1);
    seed_json(json, 1, 1400);                   /* whole */
    seed_json(json, 2, 16 + 96);                /* in segments */
    free(json);
    seed_json("{\"sourceNumber\":2,\"transforms\":[{\"id\":\"Dolly\",\"translation\":"
              "{\"x\":1,\"y\":2,\"z\":0},\"rotation\":{\"pan\":90,\"tilt\":0,\"roll\":0}},"
              "{\"id\":\"Camera\",\"translation\":{\"x\":0,\"y\":1,\"z\":0.5},\"rotation\":"
              "{\"pan\":0,\"tilt\":10,\"roll\":0},\"scale\":{\"x\":1,\"y\":1,\"z\":1}}],"
              "\"lens\":{\"pinholeFocalLength\":35,\"encoders\":{\"zoom\":0.5,\"focus\":0.25}},"
              "\"timing\":{\"sampleRate\":{\"num\":24000,\"denom\":1001},\"sequenceNumber\":3,"
              "\"timecode\":{\"hours\":1,\"minutes\":2,\"seconds\":3,\"frames\":4,"
              "\"frameRate\":{\"num\":24,\"denom\":1}}}}", 3, 1400);
    return 0;
}

#endif
