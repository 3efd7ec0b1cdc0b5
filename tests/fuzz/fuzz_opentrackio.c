/* libFuzzer target: vl_otrk_parse on any bytes, with one parser kept across
 * inputs so that sequence numbers, reassembly and the static data of
 * sources are fuzzed too. Random bytes almost never carry a right checksum,
 * so each input is also fed a second time "sealed": magic, encoding (JSON
 * or CBOR by the low bit of byte 5), length and checksum made valid, and,
 * when the reserved byte's low bit is set, a fresh sequence number (else a
 * repeated input is only ever a duplicate); that takes the fuzzer past the
 * header into reassembly, JSON and CBOR. With -DFUZZ_SEEDS it is instead a
 * program that writes a seed corpus into the directory it is given. */
#include "fuzz.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef FUZZ_SEEDS

#define HEADER VL_OTRK_HEADER_SIZE
#define MAX_PAYLOAD 0x7FFF

/* The input with a valid header: offset and last bit as given. */
static void seal(uint8_t *d, size_t size)
{
    static uint16_t next_sequence;
    size_t len = size - HEADER;
    memcpy(d, "OTrk", 4);
    d[5] = d[5] & 1 ? VL_OTRK_CBOR : VL_OTRK_JSON;
    if (d[4] & 1) {
        d[6] = (uint8_t)(next_sequence >> 8);
        d[7] = (uint8_t)next_sequence++;
    }
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

/* fuzz.h's checks, and the lens fields OpenTrackIO fills finite too. */
static void check_sample(void *ctx, const vl_sample *s)
{
    fuzz_check_sample(ctx, s);
    const double v[] = { s->sensor_w_mm, s->sensor_h_mm, s->entrance_pupil_m,
                         s->projection_offset_mm[0], s->projection_offset_mm[1], s->overscan };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        if (!isfinite(v[i]))
            abort();
    }
    if (s->camera < 1 || s->camera > 200 || (s->overscan != 0 && s->overscan < 1))
        abort();
}

static void check_event(void *ctx, enum vl_track_event e, uint32_t n)
{
    (void)ctx;
    if ((unsigned)e >= VL_TRACK_N_EVENTS || n == 0)
        abort();
}

static const vl_track_sink sink = { .sample = check_sample, .error = fuzz_check_error,
                                    .event = check_event };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static vl_otrk_parser *parser;
    if (!parser) {
        vl_log_set_level(VL_LOG_WARN);          /* static data is logged at info */
        parser = vl_otrk_parser_create();
    }
    vl_otrk_parse(parser, data, size, &sink);
    if (size >= HEADER && size - HEADER <= MAX_PAYLOAD) {
        uint8_t *copy = malloc(size);
        memcpy(copy, data, size);
        seal(copy, size);
        vl_otrk_parse(parser, copy, size, &sink);
        free(copy);
    }
    return 0;
}

#else

static uint16_t seed_sequence;

static void seed(const uint8_t *payload, size_t len, enum vl_otrk_encoding encoding,
                 size_t max_datagram)
{
    vl_otrk_segment(payload, len, encoding, &seed_sequence, max_datagram, fuzz_write_seed, NULL);
}

static void seed_json(const char *json, size_t max_datagram)
{
    seed((const uint8_t *)json, strlen(json), VL_OTRK_JSON, max_datagram);
}

/* A JSON text as CBOR too, by way of the encoder's own sample. */
static void seed_sample(const vl_sample *s)
{
    char *json = vl_otrk_encode_json(s, 1);
    size_t len;
    uint8_t *cbor = vl_otrk_encode_cbor(s, 2, &len);
    if (!json || !cbor)
        exit(1);
    seed_json(json, 1400);                      /* whole */
    seed_json(json, 16 + 96);                   /* in segments */
    seed(cbor, len, VL_OTRK_CBOR, 1400);
    seed(cbor, len, VL_OTRK_CBOR, 16 + 64);
    free(json);
    free(cbor);
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    fuzz_seed_dir = argv[1];
    vl_sample s = { .camera = 1, .pose = { .pos = { 1, 2, 1.5 }, .pan_deg = 30, .tilt_deg = -5 },
                    .fov_h_deg = 60, .focus_m = 2.5, .has_encoders = true, .zoom = 100,
                    .focus = 200, .sensor_w_mm = 24.89, .sensor_h_mm = 18.66,
                    .entrance_pupil_m = 0.1, .projection_offset_mm = { 0.1, -0.2 },
                    .overscan = 1.1, .has_timecode = true, .timecode_rate = { 25, 1 },
                    .timecode = { 1, 2, 3, 4, false } };
    seed_sample(&s);
    seed_json("{\"sourceNumber\":2,\"transforms\":[{\"id\":\"Dolly\",\"translation\":"
              "{\"x\":1,\"y\":2,\"z\":0},\"rotation\":{\"pan\":90,\"tilt\":0,\"roll\":0}},"
              "{\"id\":\"Camera\",\"translation\":{\"x\":0,\"y\":1,\"z\":0.5},\"rotation\":"
              "{\"pan\":0,\"tilt\":10,\"roll\":0},\"scale\":{\"x\":1,\"y\":1,\"z\":1}}],"
              "\"lens\":{\"pinholeFocalLength\":35,\"encoders\":{\"zoom\":0.5,\"focus\":0.25},"
              "\"distortion\":[{\"radial\":[1,2],\"overscan\":1.2}]},"
              "\"timing\":{\"sampleRate\":{\"num\":24000,\"denom\":1001},\"sequenceNumber\":3,"
              "\"timecode\":{\"hours\":1,\"minutes\":2,\"seconds\":3,\"frames\":4,"
              "\"frameRate\":{\"num\":24,\"denom\":1}}}}", 1400);
    seed_json("{\"sourceNumber\":3,\"static\":{\"camera\":{\"make\":\"CameraMaker\","
              "\"model\":\"Model20\",\"label\":\"A\",\"activeSensorPhysicalDimensions\":"
              "{\"width\":36,\"height\":24}},\"lens\":{\"make\":\"LensMaker\",\"model\":"
              "\"Model15\",\"distortionOverscanMax\":1.2},\"tracker\":{\"make\":\"T\","
              "\"model\":\"M\"}}}", 1400);
    /* Hand-made CBOR: indefinite map, array and string, a tag, half and
     * single floats, negative integers, false and null. */
    static const uint8_t cbor[] = {
        0xD9, 0xD9, 0xF7, 0xBF, 0x6C, 's', 'o', 'u', 'r', 'c', 'e', 'N', 'u', 'm', 'b', 'e', 'r',
        0x07, 0x67, 't', 'r', 'a', 'c', 'k', 'e', 'r', 0xA2, 0x69, 'r', 'e', 'c', 'o', 'r', 'd',
        'i', 'n', 'g', 0xF4, 0x66, 's', 't', 'a', 't', 'u', 's', 0x7F, 0x62, 'O', 'K', 0x61,
        '!', 0xFF, 0x65, 'n', 'o', 't', 'e', 's', 0xF6,
        0x6A, 't', 'r', 'a', 'n', 's', 'f', 'o', 'r', 'm', 's', 0x9F, 0xA2,
        0x6B, 't', 'r', 'a', 'n', 's', 'l', 'a', 't', 'i', 'o', 'n', 0xA3,
        0x61, 'x', 0x01, 0x61, 'y', 0x21, 0x61, 'z', 0xF9, 0x43, 0x00,
        0x68, 'r', 'o', 't', 'a', 't', 'i', 'o', 'n', 0xA3,
        0x63, 'p', 'a', 'n', 0xFA, 0x41, 0x20, 0x00, 0x00,
        0x64, 't', 'i', 'l', 't', 0xFB, 0xC0, 0x34, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x64, 'r', 'o', 'l', 'l', 0x18, 0x1E, 0xFF, 0xFF,
    };
    seed(cbor, sizeof(cbor), VL_OTRK_CBOR, 1400);
    seed(cbor, sizeof(cbor), VL_OTRK_CBOR, 16 + 40);
    return 0;
}

#endif
