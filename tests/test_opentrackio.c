/* OpenTrackIO: Fletcher-16, the datagram header, reassembly of segmented
 * messages (out of order, missing, superseded, contradictory), the JSON
 * sample (fields, chained transforms, lens and FOV, malformed input), the
 * encoder; and the senders of all three protocols over loopback (here, as
 * OpenTrackIO's is the one that segments). Datagrams are built byte by byte,
 * independently of the encoder, so the two are checked against the header
 * layout, not against each other. */
#include "track/track.h"
#include "check.h"
#include "collector.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_DGRAMS 64
#define DGRAM_CAP 2048

struct fixture {
    vl_otrk_parser *parser;
    struct collector got;
    vl_track_sink sink;
};

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->parser = vl_otrk_parser_create();
    f->sink = collector_sink(&f->got);
}

static void feed(struct fixture *f, const uint8_t *buf, size_t n)
{
    vl_otrk_parse(f->parser, buf, n, &f->sink);
}

/* Recomputes a datagram's checksum: Fletcher-16 over the 14 header bytes
 * before it and the payload, stored big-endian. */
static void reseal(uint8_t *d, size_t n)
{
    uint8_t *covered = malloc(n);
    memcpy(covered, d, 14);
    memcpy(covered + 14, d + 16, n - 16);
    uint16_t sum = vl_fletcher16(covered, n - 2);
    free(covered);
    d[14] = (uint8_t)(sum >> 8);
    d[15] = (uint8_t)sum;
}

/* A datagram laid out by hand: "OTrk", reserved, encoding, sequence,
 * offset, last bit | length, checksum, payload; all big-endian. */
static size_t make_dgram(uint8_t *out, uint8_t encoding, uint16_t seq, uint32_t offset,
                         bool last, const void *payload, size_t len)
{
    uint16_t flags_len = (uint16_t)(len | (last ? 0x8000 : 0));
    const uint8_t head[14] = {
        'O', 'T', 'r', 'k', 0, encoding, (uint8_t)(seq >> 8), (uint8_t)seq,
        (uint8_t)(offset >> 24), (uint8_t)(offset >> 16), (uint8_t)(offset >> 8), (uint8_t)offset,
        (uint8_t)(flags_len >> 8), (uint8_t)flags_len,
    };
    memcpy(out, head, sizeof(head));
    memcpy(out + 16, payload, len);
    reseal(out, 16 + len);
    return 16 + len;
}

/* A whole JSON message in one datagram. */
static void feed_json(struct fixture *f, uint16_t seq, const char *json)
{
    uint8_t d[DGRAM_CAP];
    size_t n = make_dgram(d, 1, seq, 0, true, json, strlen(json));
    feed(f, d, n);
}

/* Segments of one message, as vl_otrk_segment emits them. */
struct dgrams {
    uint8_t data[MAX_DGRAMS][DGRAM_CAP];
    size_t len[MAX_DGRAMS];
    int n;
};

static void collect_dgram(void *ctx, const uint8_t *d, size_t n)
{
    struct dgrams *g = ctx;
    CHECK(g->n < MAX_DGRAMS && n <= DGRAM_CAP);
    if (g->n < MAX_DGRAMS && n <= DGRAM_CAP) {
        memcpy(g->data[g->n], d, n);
        g->len[g->n++] = n;
    }
}

static const vl_sample example = {
    .camera = 2,
    .pose = { .pos = { 1.25, -0.5, 1.7 }, .pan_deg = -35.5, .tilt_deg = 8.25, .roll_deg = -1.5 },
    .fov_h_deg = 47.0,
    .focus_m = 3.5,
    .has_encoders = true,
    .zoom = 12345,
    .focus = 678,
};

/* ---- checksum and header ------------------------------------------------- */

static void test_fletcher16(void)
{
    /* sum1 = 'a'+..+'e' mod 255 = 0xF0; sum2 = 0x1C8 mod 255 = 0xC8. */
    CHECK(vl_fletcher16((const uint8_t *)"abcde", 5) == 0xC8F0);
    CHECK(vl_fletcher16((const uint8_t *)"abcdef", 6) == 0x2057);
    CHECK(vl_fletcher16((const uint8_t *)"abcdefgh", 8) == 0x0627);
    CHECK(vl_fletcher16(NULL, 0) == 0);
    /* Both sums wrap at 255, not 256: 255 bytes of 0xFF sum to 0. */
    uint8_t ff[255];
    memset(ff, 0xff, sizeof(ff));
    CHECK(vl_fletcher16(ff, sizeof(ff)) == 0);
}

static void test_header_layout(void)
{
    struct dgrams g = { .n = 0 };
    const char *payload = "{\"x\":1}";
    CHECK(vl_otrk_segment((const uint8_t *)payload, 7, 0xBEEF, 1400, collect_dgram, &g) == 1);
    uint8_t want[DGRAM_CAP];
    size_t n = make_dgram(want, 1, 0xBEEF, 0, true, payload, 7);
    CHECK(g.n == 1 && g.len[0] == n);
    CHECK(memcmp(g.data[0], want, n) == 0);

    /* Segment offsets and lengths, and the last bit on the last only. */
    g.n = 0;
    uint8_t big[1000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)i;
    CHECK(vl_otrk_segment(big, sizeof(big), 7, 16 + 300, collect_dgram, &g) == 4);
    CHECK(g.n == 4);
    for (int i = 0; i < g.n; i++) {
        size_t len = i < 3 ? 300 : 100;
        n = make_dgram(want, 1, 7, (uint32_t)(300 * i), i == 3, big + 300 * i, len);
        CHECK(g.len[i] == n && memcmp(g.data[i], want, n) == 0);
    }

    /* No room after the header; more than a message may hold. */
    CHECK(vl_otrk_segment(big, 10, 1, 16, collect_dgram, &g) == 0);
    uint8_t *huge = calloc(65537, 1);
    CHECK(vl_otrk_segment(huge, 65537, 1, 1400, collect_dgram, &g) == 0);
    free(huge);
    CHECK(g.n == 4);
}

static void test_header_errors(void)
{
    struct fixture f;
    fixture_init(&f);
    const char *json = "{\"transforms\":[{\"translation\":{\"x\":0,\"y\":0,\"z\":0},"
                       "\"rotation\":{\"pan\":0,\"tilt\":0,\"roll\":0}}]}";
    size_t jlen = strlen(json);
    uint8_t d[DGRAM_CAP], bad[DGRAM_CAP];
    size_t n = make_dgram(d, 1, 1, 0, true, json, jlen);

    feed(&f, d, 15);                            /* shorter than the header */
    feed(&f, d, 0);
    feed(&f, d, n - 1);                         /* length field says more */
    memcpy(bad, d, n);
    bad[n] = ' ';
    feed(&f, bad, n + 1);                       /* one byte more than it says */
    CHECK(f.got.errors[VL_TRACK_BAD_LENGTH] == 4);

    memcpy(bad, d, n);
    bad[3] = 'K';
    feed(&f, bad, n);
    CHECK(f.got.errors[VL_TRACK_BAD_TYPE] == 1);

    memcpy(bad, d, n);
    bad[20] ^= 0x01;
    feed(&f, bad, n);                           /* a payload bit */
    memcpy(bad, d, n);
    bad[7] ^= 0x01;
    feed(&f, bad, n);                           /* a header bit (sequence) */
    memcpy(bad, d, n);
    bad[15] ^= 0x01;
    feed(&f, bad, n);                           /* the checksum itself */
    CHECK(f.got.errors[VL_TRACK_BAD_CHECKSUM] == 3);

    /* CBOR with a right checksum: volym cannot decode it. */
    n = make_dgram(bad, 2, 1, 0, true, json, jlen);
    feed(&f, bad, n);
    CHECK(f.got.errors[VL_TRACK_BAD_TYPE] == 2);
    CHECK(total_errors(&f.got) == 9);
    CHECK(f.got.n == 0);

    /* The reserved byte is ignored. */
    n = make_dgram(d, 1, 1, 0, true, json, jlen);
    d[4] = 0x5a;
    reseal(d, n);
    feed(&f, d, n);
    CHECK(f.got.n == 1);
    CHECK(total_errors(&f.got) == 9);
    vl_otrk_parser_destroy(f.parser);
}

/* ---- samples -------------------------------------------------------------- */

static void test_round_trip(void)
{
    struct fixture f;
    fixture_init(&f);
    char *json = vl_otrk_encode_json(&example, 4242);
    CHECK(json != NULL);
    if (!json)
        return;

    /* It is an OpenTrackIO sample in shape. */
    json_error_t err;
    json_t *root = json_loads(json, 0, &err);
    CHECK(root != NULL);
    json_t *version = json_object_get(json_object_get(root, "protocol"), "version");
    CHECK(!strcmp(json_string_value(json_object_get(json_object_get(root, "protocol"), "name")),
                  "OpenTrackIO"));
    CHECK(json_array_size(version) == 3 && json_integer_value(json_array_get(version, 0)) == 1);
    CHECK(json_integer_value(json_object_get(root, "sourceNumber")) == 2);
    CHECK(json_integer_value(json_object_get(json_object_get(root, "timing"),
                                             "sequenceNumber")) == 4242);
    json_t *t0 = json_array_get(json_object_get(root, "transforms"), 0);
    CHECK(!strcmp(json_string_value(json_object_get(t0, "id")), "Camera"));
    json_t *dims = json_object_get(json_object_get(json_object_get(root, "static"), "camera"),
                                   "activeSensorPhysicalDimensions");
    CHECK(json_number_value(json_object_get(dims, "width")) == 36.0);
    CHECK(json_number_value(json_object_get(dims, "height")) == 24.0);
    json_decref(root);

    struct dgrams g = { .n = 0 };
    CHECK(vl_otrk_segment((const uint8_t *)json, strlen(json), 9, 1400, collect_dgram, &g) == 1);
    free(json);
    feed(&f, g.data[0], g.len[0]);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    const vl_sample *s = &f.got.samples[0];
    CHECK(s->camera == 2);
    CHECK(s->pose.pos[0] == 1.25 && s->pose.pos[1] == -0.5 && s->pose.pos[2] == 1.7);
    CHECK(s->pose.pan_deg == -35.5 && s->pose.tilt_deg == 8.25 && s->pose.roll_deg == -1.5);
    CHECK_NEAR(s->fov_h_deg, 47.0, 1e-9);
    CHECK(s->focus_m == 3.5);
    CHECK(s->has_encoders && s->zoom == 12345 && s->focus == 678);
    CHECK(s->t_ns == 0 && s->source == 0);

    /* Without FOV, focus and encoders none of them is made up. */
    vl_sample bare = example;
    bare.fov_h_deg = 0;
    bare.focus_m = 0;
    bare.has_encoders = false;
    json = vl_otrk_encode_json(&bare, 1);
    CHECK(json && !strstr(json, "lens") && !strstr(json, "static"));
    feed_json(&f, 10, json);
    free(json);
    CHECK(f.got.n == 2);
    CHECK(f.got.samples[1].fov_h_deg == 0 && f.got.samples[1].focus_m == 0);
    CHECK(!f.got.samples[1].has_encoders);

    /* JSON has no NaN: such a sample cannot be encoded. */
    bare.pose.tilt_deg = NAN;
    CHECK(vl_otrk_encode_json(&bare, 1) == NULL);
    bare.pose.tilt_deg = 0;
    bare.fov_h_deg = INFINITY;
    CHECK(vl_otrk_encode_json(&bare, 1) == NULL);
    vl_otrk_parser_destroy(f.parser);
}

static void test_minimal_sample(void)
{
    struct fixture f;
    fixture_init(&f);
    feed_json(&f, 1, "{\"transforms\":[{\"translation\":{\"x\":1,\"y\":-2,\"z\":3.5},"
                     "\"rotation\":{\"pan\":10,\"tilt\":-20,\"roll\":30}}]}");
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    const vl_sample *s = &f.got.samples[0];
    CHECK(s->camera == 1);                      /* sourceNumber's default */
    CHECK(s->pose.pos[0] == 1 && s->pose.pos[1] == -2 && s->pose.pos[2] == 3.5);
    CHECK(s->pose.pan_deg == 10 && s->pose.tilt_deg == -20 && s->pose.roll_deg == 30);
    CHECK(s->fov_h_deg == 0 && s->focus_m == 0 && !s->has_encoders);
    vl_otrk_parser_destroy(f.parser);
}

static void feed_chain(struct fixture *f, uint16_t seq, const char *t1, const char *t2)
{
    char json[1024];
    snprintf(json, sizeof(json), "{\"sourceNumber\":3,\"transforms\":[%s,%s]}", t1, t2);
    feed_json(f, seq, json);
}

static void test_chained_transforms(void)
{
    struct fixture f;
    fixture_init(&f);
    /* A dolly at (1,2,0) turned right 90 degrees carries an arm whose tip
     * is 1 m ahead of it and tilted up 10: ahead of the dolly is +X. */
    const char *dolly = "{\"id\":\"Dolly\",\"translation\":{\"x\":1,\"y\":2,\"z\":0},"
                        "\"rotation\":{\"pan\":90,\"tilt\":0,\"roll\":0}}";
    const char *arm = "{\"id\":\"Camera\",\"translation\":{\"x\":0,\"y\":1,\"z\":0.5},"
                      "\"rotation\":{\"pan\":0,\"tilt\":10,\"roll\":0}}";
    feed_chain(&f, 1, dolly, arm);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    const vl_sample *s = &f.got.samples[0];
    CHECK(s->camera == 3);
    CHECK_NEAR(s->pose.pos[0], 2, 1e-12);
    CHECK_NEAR(s->pose.pos[1], 2, 1e-12);
    CHECK_NEAR(s->pose.pos[2], 0.5, 1e-12);
    CHECK_NEAR(s->pose.pan_deg, 90, 1e-9);
    CHECK_NEAR(s->pose.tilt_deg, 10, 1e-9);
    CHECK_NEAR(s->pose.roll_deg, 0, 1e-9);

    /* A parent tilted up 30 lifts its child's forward offset: (0,2,0) in
     * the parent is (0, 2 cos 30, 2 sin 30) on stage; pans add. */
    const char *tilted = "{\"translation\":{\"x\":0,\"y\":0,\"z\":1},"
                         "\"rotation\":{\"pan\":0,\"tilt\":30,\"roll\":0}}";
    const char *ahead = "{\"translation\":{\"x\":0,\"y\":2,\"z\":0},"
                        "\"rotation\":{\"pan\":0,\"tilt\":15,\"roll\":0}}";
    feed_chain(&f, 2, tilted, ahead);
    CHECK(f.got.n == 2);
    s = &f.got.samples[1];
    CHECK_NEAR(s->pose.pos[0], 0, 1e-12);
    CHECK_NEAR(s->pose.pos[1], 2 * cos(M_PI / 6), 1e-12);
    CHECK_NEAR(s->pose.pos[2], 1 + 2 * sin(M_PI / 6), 1e-12);
    CHECK_NEAR(s->pose.tilt_deg, 45, 1e-9);
    CHECK_NEAR(s->pose.pan_deg, 0, 1e-9);

    /* Order matters: the camera is the last transform, so swapping them
     * moves it. */
    feed_chain(&f, 3, arm, dolly);
    CHECK(f.got.n == 3);
    CHECK(fabs(f.got.samples[2].pose.pos[0] - 2) > 0.5);
    vl_otrk_parser_destroy(f.parser);
}

static void test_lens(void)
{
    struct fixture f;
    fixture_init(&f);
    const char *t = "\"transforms\":[{\"translation\":{\"x\":0,\"y\":0,\"z\":0},"
                    "\"rotation\":{\"pan\":0,\"tilt\":0,\"roll\":0}}]";
    char json[1024];

    /* A focal length alone gives no FOV: the sensor width is unknown. */
    snprintf(json, sizeof(json), "{%s,\"lens\":{\"pinholeFocalLength\":24.305,"
             "\"focusDistance\":10.0,\"encoders\":{\"zoom\":0.5,\"focus\":1,\"iris\":0.2}}}", t);
    feed_json(&f, 1, json);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    CHECK(f.got.samples[0].fov_h_deg == 0);
    CHECK(f.got.samples[0].focus_m == 10.0);
    CHECK(f.got.samples[0].has_encoders);
    CHECK(f.got.samples[0].zoom == 32768 && f.got.samples[0].focus == 65535);

    /* With the sensor width in the static data; raw encoders win. */
    snprintf(json, sizeof(json), "{%s,\"static\":{\"camera\":{\"activeSensorPhysicalDimensions\":"
             "{\"width\":24.89,\"height\":18.66}}},\"lens\":{\"pinholeFocalLength\":35,"
             "\"encoders\":{\"zoom\":0.5},\"rawEncoders\":{\"zoom\":3000,\"focus\":1000}}}", t);
    feed_json(&f, 2, json);
    CHECK(f.got.n == 2);
    double want = 2 * atan(24.89 / 70) * 180 / M_PI;
    CHECK_NEAR(f.got.samples[1].fov_h_deg, want, 1e-12);
    CHECK(f.got.samples[1].zoom == 3000 && f.got.samples[1].focus == 1000);

    /* The width is remembered for the camera (static data is sent less
     * often than samples), not for other cameras. */
    snprintf(json, sizeof(json), "{%s,\"lens\":{\"pinholeFocalLength\":50}}", t);
    feed_json(&f, 3, json);
    snprintf(json, sizeof(json), "{%s,\"sourceNumber\":2,\"lens\":{\"pinholeFocalLength\":50}}", t);
    feed_json(&f, 4, json);
    CHECK(f.got.n == 4);
    CHECK_NEAR(f.got.samples[2].fov_h_deg, 2 * atan(24.89 / 100) * 180 / M_PI, 1e-12);
    CHECK(f.got.samples[2].camera == 1 && !f.got.samples[2].has_encoders);
    CHECK(f.got.samples[3].camera == 2 && f.got.samples[3].fov_h_deg == 0);
    CHECK(total_errors(&f.got) == 0);
    vl_otrk_parser_destroy(f.parser);
}

static void test_malformed_json(void)
{
    static const char *const bad[] = {
        "not json",
        "[1,2,3]",
        "{}",                                                   /* no transform */
        "{\"transforms\":[]}",
        "{\"transforms\":{}}",
        "{\"transforms\":[{\"translation\":{\"x\":\"1\",\"y\":0,\"z\":0},"
            "\"rotation\":{\"pan\":0,\"tilt\":0,\"roll\":0}}]}",
        "{\"transforms\":[{\"translation\":{\"x\":0,\"y\":0,\"z\":0}}]}",
        "{\"transforms\":[{\"translation\":{\"x\":0,\"y\":0},"
            "\"rotation\":{\"pan\":0,\"tilt\":0,\"roll\":0}}]}",
        "{\"transforms\":[{\"translation\":{\"x\":1e999,\"y\":0,\"z\":0},"
            "\"rotation\":{\"pan\":0,\"tilt\":0,\"roll\":0}}]}",
        "{\"transforms\":[{\"translation\":{\"x\":1e308,\"y\":0,\"z\":0},"
            "\"rotation\":{\"pan\":0,\"tilt\":0,\"roll\":0}},{\"translation\":"
            "{\"x\":1e308,\"y\":0,\"z\":0},\"rotation\":{\"pan\":0,\"tilt\":0,"
            "\"roll\":0}}]}",                                  /* adds up to inf */
        "{\"transforms\":[5]}",
        "{\"transforms\":[{\"id\":7,\"translation\":{\"x\":0,\"y\":0,\"z\":0},"
            "\"rotation\":{\"pan\":0,\"tilt\":0,\"roll\":0}}]}",
        "{\"sourceNumber\":-1,%s}",
        "{\"sourceNumber\":1.5,%s}",
        "{\"sourceNumber\":\"A\",%s}",
        "{%s,\"lens\":[]}",
        "{%s,\"lens\":{\"pinholeFocalLength\":\"35mm\"}}",
        "{%s,\"lens\":{\"pinholeFocalLength\":-35}}",
        "{%s,\"lens\":{\"focusDistance\":-1}}",
        "{%s,\"lens\":{\"encoders\":{\"zoom\":1.5}}}",
        "{%s,\"lens\":{\"rawEncoders\":{\"zoom\":0.5}}}",
        "{%s,\"lens\":{\"rawEncoders\":{\"focus\":-3}}}",
        "{%s,\"static\":{\"camera\":{\"activeSensorPhysicalDimensions\":{\"width\":36}}}}",
        "{%s,\"static\":{\"camera\":{\"activeSensorPhysicalDimensions\":{\"width\":-36,"
            "\"height\":24}}}}",
        "{%s,\"timing\":{\"sampleRate\":{\"num\":0,\"denom\":1}}}",
        "{%s,\"timing\":{\"sampleRate\":{\"num\":25}}}",
        "{%s,\"timing\":{\"sequenceNumber\":\"12\"}}",
        "{%s,\"timing\":{\"timecode\":{\"hours\":\"1\",\"minutes\":2,\"seconds\":3,"
            "\"frames\":4}}}",
        "{%s,\"timing\":{\"timecode\":{\"hours\":1,\"minutes\":60,\"seconds\":3,"
            "\"frames\":4}}}",
        "{%s,\"timing\":7}",
    };
    const char *t = "\"transforms\":[{\"translation\":{\"x\":0,\"y\":0,\"z\":0},"
                    "\"rotation\":{\"pan\":0,\"tilt\":0,\"roll\":0}}]";
    const int n_bad = (int)(sizeof(bad) / sizeof(bad[0]));
    struct fixture f;
    fixture_init(&f);
    for (int i = 0; i < n_bad; i++) {
        char json[1024];
        snprintf(json, sizeof(json), bad[i], t);
        int before = f.got.errors[VL_TRACK_MALFORMED];
        feed_json(&f, (uint16_t)(i + 1), json);
        if (f.got.errors[VL_TRACK_MALFORMED] != before + 1)
            fprintf(stderr, "not refused as malformed: %s\n", json);
        CHECK(f.got.errors[VL_TRACK_MALFORMED] == before + 1);
    }
    CHECK(f.got.n == 0);
    CHECK(total_errors(&f.got) == n_bad);

    /* Well-formed timing and unknown fields are fine. */
    char json[1024];
    snprintf(json, sizeof(json), "{%s,\"timing\":{\"mode\":\"internal\",\"sampleRate\":"
             "{\"num\":24000,\"denom\":1001},\"sequenceNumber\":0,\"timecode\":{\"hours\":1,"
             "\"minutes\":2,\"seconds\":3,\"frames\":4,\"frameRate\":{\"num\":24,\"denom\":1}}},"
             "\"tracker\":{\"status\":\"Optical Good\"},\"custom\":{\"pot1\":2435}}", t);
    feed_json(&f, 100, json);
    CHECK(f.got.n == 1);
    CHECK(total_errors(&f.got) == n_bad);
    vl_otrk_parser_destroy(f.parser);
}

/* ---- reassembly ----------------------------------------------------------- */

/* `example` as JSON in segments of at most max_datagram bytes. */
static int segment_example(uint16_t seq, size_t max_datagram, struct dgrams *g)
{
    char *json = vl_otrk_encode_json(&example, seq);
    g->n = 0;
    int n = vl_otrk_segment((const uint8_t *)json, strlen(json), seq, max_datagram,
                            collect_dgram, g);
    free(json);
    return n;
}

static void test_out_of_order(void)
{
    struct fixture f;
    fixture_init(&f);
    struct dgrams *g = malloc(sizeof(*g));
    int n = segment_example(5, 16 + 64, g);
    CHECK(n >= 4 && g->n == n);

    /* Last first, then the rest backwards, with one repeated: one sample,
     * when the last missing piece arrives. */
    feed(&f, g->data[n - 1], g->len[n - 1]);
    for (int i = n - 2; i >= 1; i--)
        feed(&f, g->data[i], g->len[i]);
    feed(&f, g->data[2], g->len[2]);
    CHECK(f.got.n == 0);
    feed(&f, g->data[0], g->len[0]);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    CHECK(f.got.samples[0].camera == 2 && f.got.samples[0].zoom == 12345);
    CHECK(f.got.samples[0].pose.pan_deg == -35.5);

    /* Repeats of a completed message do not make a second sample. */
    feed(&f, g->data[1], g->len[1]);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);

    /* Two messages interleaved are kept apart by sequence number (the
     * older one, in fewer pieces, completes first). */
    struct dgrams *h = malloc(sizeof(*h));
    n = segment_example(6, 16 + 100, g);
    int m = segment_example(7, 16 + 64, h);
    CHECK(n < m);
    for (int i = 0; i < n || i < m; i++) {
        if (i < n)
            feed(&f, g->data[i], g->len[i]);
        if (i < m)
            feed(&f, h->data[i], h->len[i]);
    }
    CHECK(f.got.n == 3 && total_errors(&f.got) == 0);
    free(h);
    free(g);
    vl_otrk_parser_destroy(f.parser);
}

static void test_missing_segment(void)
{
    struct fixture f;
    fixture_init(&f);
    struct dgrams *g = malloc(sizeof(*g));
    int n = segment_example(10, 16 + 64, g);
    for (int i = 0; i < n; i++) {
        if (i != 1)
            feed(&f, g->data[i], g->len[i]);
    }
    CHECK(f.got.n == 0 && total_errors(&f.got) == 0);

    /* A newer message completes: the incomplete one is dropped, once. */
    struct dgrams *h = malloc(sizeof(*h));
    CHECK(segment_example(11, 1400, h) == 1);
    feed(&f, h->data[0], h->len[0]);
    CHECK(f.got.n == 1);
    CHECK(f.got.errors[VL_TRACK_SEGMENT] == 1);

    /* Its missing piece arriving late changes nothing. */
    feed(&f, g->data[1], g->len[1]);
    feed(&f, g->data[0], g->len[0]);
    CHECK(f.got.n == 1 && f.got.errors[VL_TRACK_SEGMENT] == 1);

    /* A piece of an older message never seen before: dropped on arrival,
     * counted once however many of its pieces come. */
    segment_example(9, 16 + 64, g);
    feed(&f, g->data[0], g->len[0]);
    feed(&f, g->data[1], g->len[1]);
    CHECK(f.got.errors[VL_TRACK_SEGMENT] == 2);

    /* The next segmented message still comes through. */
    n = segment_example(12, 16 + 64, g);
    for (int i = 0; i < n; i++)
        feed(&f, g->data[i], g->len[i]);
    CHECK(f.got.n == 2 && f.got.errors[VL_TRACK_SEGMENT] == 2);
    CHECK(total_errors(&f.got) == 2);
    free(h);
    free(g);
    vl_otrk_parser_destroy(f.parser);
}

/* One piece of a message: sequence, offset, last bit, payload length. */
struct piece {
    uint16_t seq;
    uint32_t offset;
    bool last;
    uint16_t len;
};

/* Feeds pieces of blank payload to a fresh parser; returns how many
 * messages it dropped. None of them may make a sample or another error. */
static int drops(const struct piece *pieces, int n)
{
    struct fixture f;
    fixture_init(&f);
    uint8_t d[DGRAM_CAP], blank[1024];
    memset(blank, ' ', sizeof(blank));
    for (int i = 0; i < n; i++) {
        const struct piece *p = &pieces[i];
        feed(&f, d, make_dgram(d, 1, p->seq, p->offset, p->last, blank, p->len));
    }
    CHECK(f.got.n == 0);
    CHECK(total_errors(&f.got) == f.got.errors[VL_TRACK_SEGMENT]);
    vl_otrk_parser_destroy(f.parser);
    return f.got.errors[VL_TRACK_SEGMENT];
}

static void test_reassembly_limits(void)
{
    /* Five messages open at once: the oldest is dropped for the fifth. */
    const struct piece five[] = {
        { 20, 0, false, 100 }, { 21, 0, false, 100 }, { 22, 0, false, 100 },
        { 23, 0, false, 100 }, { 24, 0, false, 100 },
    };
    CHECK(drops(five, 4) == 0);
    CHECK(drops(five, 5) == 1);

    /* Overlapping pieces of different lengths contradict each other; the
     * message stays dropped, so its last piece is ignored. */
    const struct piece overlap[] = { { 30, 0, false, 100 }, { 30, 50, false, 100 },
                                     { 30, 100, true, 10 } };
    CHECK(drops(overlap, 3) == 1);
    /* The same piece twice is a repeat, not a contradiction. */
    const struct piece repeat[] = { { 30, 0, false, 100 }, { 30, 0, false, 100 } };
    CHECK(drops(repeat, 2) == 0);

    /* Two different ends; a piece past the end; a piece past 64 KiB; an
     * offset near 2^32. */
    const struct piece ends[] = { { 31, 100, true, 10 }, { 31, 200, true, 10 } };
    const struct piece past_end[] = { { 32, 60, true, 10 }, { 32, 100, false, 10 } };
    const struct piece too_big[] = { { 33, 65530, false, 10 } };
    const struct piece wrap[] = { { 34, 0xFFFFFFF0u, true, 100 } };
    CHECK(drops(ends, 2) == 1);
    CHECK(drops(past_end, 2) == 1);
    CHECK(drops(too_big, 1) == 1);
    CHECK(drops(wrap, 1) == 1);

    /* More pieces than a message may have. */
    struct piece many[300];
    for (int i = 0; i < 300; i++)
        many[i] = (struct piece){ 35, (uint32_t)(10 * i), false, 10 };
    CHECK(drops(many, 256) == 0);
    CHECK(drops(many, 300) == 1);

    /* A message of exactly 64 KiB in 64 pieces still decodes: JSON then
     * spaces, which JSON allows after the value. */
    struct fixture f;
    fixture_init(&f);
    const char *json = "{\"transforms\":[{\"translation\":{\"x\":0,\"y\":0,\"z\":0},"
                       "\"rotation\":{\"pan\":1,\"tilt\":0,\"roll\":0}}]}";
    uint8_t *big = malloc(65536), d[DGRAM_CAP];
    memset(big, ' ', 65536);
    memcpy(big, json, strlen(json));
    for (uint32_t off = 0; off < 65536; off += 1024)
        feed(&f, d, make_dgram(d, 1, 40, off, off + 1024 == 65536, big + off, 1024));
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    CHECK(f.got.samples[0].pose.pan_deg == 1);
    free(big);
    vl_otrk_parser_destroy(f.parser);
}

/* ---- senders over loopback ---------------------------------------------- */

/* A UDP socket on 127.0.0.1 with a free port: the receiving end. */
static int udp_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(sa);
    CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    CHECK(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* The next datagram, or 0 when none comes within a second. */
static size_t receive(int fd, uint8_t *buf, size_t cap)
{
    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    if (poll(&pfd, 1, 1000) <= 0)
        return 0;
    ssize_t n = recv(fd, buf, cap, 0);
    return n > 0 ? (size_t)n : 0;
}

static vl_track_sender *open_sender(const char *scheme, int port, size_t max_datagram)
{
    char url[64];
    snprintf(url, sizeof(url), "%s://127.0.0.1:%d", scheme, port);
    return vl_track_sender_open(url, max_datagram);
}

static void test_senders(void)
{
    int port;
    int fd = udp_listener(&port);
    uint8_t buf[DGRAM_CAP];

    /* OpenTrackIO in 100-byte datagrams, two samples: every piece of each
     * arrives, and the parser puts both back together. */
    struct fixture f;
    fixture_init(&f);
    vl_track_sender *snd = open_sender("opentrackio", port, 100);
    CHECK(snd && vl_track_sender_send(snd, &example) && vl_track_sender_send(snd, &example));
    vl_track_sender_close(snd);
    int pieces = 0;
    uint16_t first_seq = 0, last_seq = 0;
    for (size_t n; (n = receive(fd, buf, sizeof(buf))) > 0; pieces++) {
        CHECK(n <= 100);
        last_seq = (uint16_t)(buf[6] << 8 | buf[7]);
        if (pieces == 0)
            first_seq = last_seq;
        feed(&f, buf, n);
        if (f.got.n == 2)
            break;
    }
    CHECK(pieces > 2 && f.got.n == 2 && total_errors(&f.got) == 0);
    CHECK(first_seq == 0 && last_seq == 1);
    CHECK(f.got.samples[1].camera == 2 && f.got.samples[1].zoom == 12345);
    vl_otrk_parser_destroy(f.parser);

    /* FreeD: one D1 message per sample. */
    snd = open_sender("freed", port, 0);
    CHECK(snd && vl_track_sender_send(snd, &example));
    vl_track_sender_close(snd);
    vl_sample s;
    CHECK(receive(fd, buf, sizeof(buf)) == VL_FREED_D1_SIZE);
    CHECK(vl_freed_parse(buf, VL_FREED_D1_SIZE, &s) == VL_FREED_OK);
    CHECK(s.camera == 2 && s.pose.pan_deg == -35.5 && s.zoom == 12345);

    /* OSC: one /volym/pose message per sample. */
    snd = open_sender("osc", port, 0);
    CHECK(snd && vl_track_sender_send(snd, &example));
    vl_track_sender_close(snd);
    size_t n = receive(fd, buf, sizeof(buf));
    CHECK(n > 12 && !memcmp(buf, "/volym/pose", 12));
    close(fd);

    /* Senders need a host, a port unless the protocol has a default, and a
     * scheme they speak; an OpenTrackIO datagram needs room after its
     * header. A multicast group is a valid host. */
    static const char *const bad_urls[] = {
        "freed://127.0.0.1", "osc://:9000", "opentrackio://", "mqtt://127.0.0.1:1883",
        "freed://127.0.0.1:0", "freed://127.0.0.1:70000", "freed://127.0.0.1:12ab",
        "127.0.0.1:9000", "osc://[::1:9000",
    };
    for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++)
        CHECK(vl_track_sender_open(bad_urls[i], 0) == NULL);
    CHECK(vl_track_sender_open(NULL, 0) == NULL);
    CHECK(vl_track_sender_open("opentrackio://127.0.0.1", 16) == NULL);
    snd = vl_track_sender_open("opentrackio://127.0.0.1", 0);
    CHECK(snd != NULL);
    vl_track_sender_close(snd);
    snd = vl_track_sender_open("opentrackio://239.135.1.1", 0);
    CHECK(snd != NULL);
    vl_track_sender_close(snd);
    vl_track_sender_close(NULL);
}

/* timing.timecode in both shapes: 1.0's "format" and 0.9's "frameRate";
 * without a rate of its own the sample rate counts. Out of range labels
 * and wrong types drop the sample. The encoder writes what it reads. */
static void test_timecode(void)
{
    struct fixture f;
    fixture_init(&f);
    const char *cam = "\"transforms\":[{\"translation\":{\"x\":0,\"y\":0,\"z\":1},"
                      "\"rotation\":{\"pan\":0,\"tilt\":0,\"roll\":0}}]";
    static const struct { const char *timing; int h, m, s, fr; int64_t num, den; bool drop; } cases[] = {
        { "{\"timecode\":{\"hours\":1,\"minutes\":2,\"seconds\":3,\"frames\":4,"
          "\"format\":{\"frameRate\":{\"num\":30000,\"denom\":1001},\"dropFrame\":true}}}",
          1, 2, 3, 4, 30000, 1001, true },
        { "{\"timecode\":{\"hours\":10,\"minutes\":0,\"seconds\":59,\"frames\":24,"
          "\"frameRate\":{\"num\":25,\"denom\":1}}}", 10, 0, 59, 24, 25, 1, false },
        { "{\"sampleRate\":{\"num\":50,\"denom\":1},\"timecode\":{\"hours\":0,"
          "\"minutes\":0,\"seconds\":1,\"frames\":49}}", 0, 0, 1, 49, 50, 1, false },
    };
    static const char *const bad[] = {
        "{\"timecode\":{\"hours\":0,\"minutes\":0,\"seconds\":1,\"frames\":25,"
          "\"frameRate\":{\"num\":25,\"denom\":1}}}",   /* frames past the rate */
        "{\"timecode\":{\"hours\":24,\"minutes\":0,\"seconds\":0,\"frames\":0,"
          "\"frameRate\":{\"num\":25,\"denom\":1}}}",
        "{\"timecode\":{\"hours\":0,\"minutes\":0,\"seconds\":0,\"frames\":0}}",
        "{\"timecode\":{\"hours\":0,\"minutes\":0,\"seconds\":0,\"frames\":0,"
          "\"format\":{\"frameRate\":{\"num\":24,\"denom\":1},\"dropFrame\":1}}}",
        "{\"timecode\":{\"hours\":\"1\",\"minutes\":0,\"seconds\":0,\"frames\":0,"
          "\"frameRate\":{\"num\":25,\"denom\":1}}}",
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[1024];
        snprintf(json, sizeof(json), "{\"timing\":%s,%s}", cases[i].timing, cam);
        int before = f.got.n;
        feed_json(&f, (uint16_t)(100 + i), json);
        CHECK(f.got.n == before + 1);
        if (f.got.n == before)
            continue;
        const vl_sample *s = &f.got.samples[f.got.n - 1];
        CHECK(s->has_timecode);
        CHECK(s->timecode.hours == cases[i].h && s->timecode.minutes == cases[i].m &&
              s->timecode.seconds == cases[i].s && s->timecode.frames == cases[i].fr);
        CHECK(s->timecode_rate.num == cases[i].num && s->timecode_rate.den == cases[i].den);
        CHECK(s->timecode.drop == cases[i].drop);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char json[1024];
        snprintf(json, sizeof(json), "{\"timing\":%s,%s}", bad[i], cam);
        int before = f.got.n;
        feed_json(&f, (uint16_t)(150 + i), json);
        CHECK(f.got.n == before && f.got.errors[VL_TRACK_MALFORMED] == (int)i + 1);
    }
    feed_json(&f, 200, "{\"transforms\":[{\"translation\":{\"x\":0,\"y\":0,\"z\":1},"
                       "\"rotation\":{\"pan\":0,\"tilt\":0,\"roll\":0}}]}");
    CHECK(!f.got.samples[f.got.n - 1].has_timecode);

    vl_sample tc = { .camera = 2, .has_timecode = true, .timecode_rate = { 60000, 1001 },
                     .timecode = { 23, 59, 59, 59, true } };
    char *json = vl_otrk_encode_json(&tc, 7);
    CHECK(json != NULL);
    int before = f.got.n;
    if (json)
        feed_json(&f, 201, json);
    free(json);
    CHECK(f.got.n == before + 1);
    if (f.got.n == before + 1) {
        const vl_sample *s = &f.got.samples[before];
        char text[12];
        vl_timecode_format(s->timecode, text);
        CHECK(s->has_timecode && !strcmp(text, "23:59:59;59"));
        CHECK(s->timecode_rate.num == 60000 && s->timecode_rate.den == 1001);
    }
    vl_otrk_parser_destroy(f.parser);
}

int main(void)
{
    test_fletcher16();
    test_header_layout();
    test_header_errors();
    test_round_trip();
    test_minimal_sample();
    test_chained_transforms();
    test_lens();
    test_timecode();
    test_malformed_json();
    test_out_of_order();
    test_missing_segment();
    test_reassembly_limits();
    test_senders();
    return check_result("opentrackio");
}
