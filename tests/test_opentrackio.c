/* OpenTrackIO 1.0.1: Fletcher-16 against sums worked by hand, the datagram
 * header, sequence numbers (duplicates, gaps, wraparound, restarts),
 * reassembly as the reference receiver does it, source numbers, the JSON
 * and CBOR samples (CBOR assembled by hand from RFC 8949), static data per
 * source, the lens fields, camdkit's example samples, the encoders; and the
 * senders of all three protocols over loopback.
 *
 * Datagrams are built here from the spec's header table, with the spec's
 * reference checksum code (spec_fletcher16), never with volym's encoder or
 * checksum, so the two are checked against the spec, not against each
 * other. */
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
    struct collector got;               /* first: the sink's ctx is both */
    uint32_t events[VL_TRACK_N_EVENTS];
    vl_otrk_parser *parser;
    vl_track_sink sink;
    uint16_t seq;                       /* the next datagram's number */
};

static void fixture_event(void *ctx, enum vl_track_event e, uint32_t n)
{
    ((struct fixture *)ctx)->events[e] += n;
}

static void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof(*f));
    f->parser = vl_otrk_parser_create();
    f->sink = collector_sink(&f->got);
    f->sink.event = fixture_event;
}

static void feed(struct fixture *f, const uint8_t *buf, size_t n)
{
    vl_otrk_parse(f->parser, buf, n, &f->sink);
}

/* The spec's "Fletcher-16 reference code", as printed in OpenTrackIO.html. */
static uint16_t spec_fletcher16(const uint8_t *data, size_t len)
{
    uint8_t sum1 = 0, sum2 = 0;
    while (len-- > 0) {
        sum1 += *data++;
        sum2 += sum1;
    }
    return (uint16_t)((uint16_t)sum2 << 8 | sum1);
}

/* Sets a datagram's checksum: over its 14 header bytes before the checksum
 * and the payload, big-endian. */
static void reseal(uint8_t *d, size_t n)
{
    uint8_t *covered = malloc(n);
    memcpy(covered, d, 14);
    memcpy(covered + 14, d + 16, n - 16);
    uint16_t sum = spec_fletcher16(covered, n - 2);
    free(covered);
    d[14] = (uint8_t)(sum >> 8);
    d[15] = (uint8_t)sum;
}

/* A datagram laid out as the spec's header table (and the reference
 * sender's _construct_udp_header) says: "OTrk", reserved 0, encoding,
 * sequence, offset, last bit | length, checksum, payload; big-endian. */
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

/* A whole message in one datagram with the fixture's next number. */
static void feed_payload(struct fixture *f, uint8_t encoding, const void *payload, size_t len)
{
    uint8_t *d = malloc(16 + len);
    feed(f, d, make_dgram(d, encoding, f->seq++, 0, true, payload, len));
    free(d);
}

static void feed_json(struct fixture *f, const char *json)
{
    feed_payload(f, 1, json, strlen(json));
}

/* A message in segments of at most `piece` payload bytes, numbered one
 * after another as the reference sender does; skip: a segment not sent
 * (-1: none). */
static void feed_segments(struct fixture *f, uint8_t encoding, const uint8_t *payload,
                          size_t len, size_t piece, int skip)
{
    uint8_t *d = malloc(16 + piece);
    for (size_t off = 0, i = 0; off < len; off += piece, i++) {
        size_t n = len - off < piece ? len - off : piece;
        size_t dn = make_dgram(d, encoding, f->seq++, (uint32_t)off, off + n == len,
                               payload + off, n);
        if ((int)i != skip)
            feed(f, d, dn);
    }
    free(d);
}

/* Datagrams as vl_otrk_segment emits them. */
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

static const char *const camera_at_origin =
    "\"transforms\":[{\"translation\":{\"x\":0,\"y\":0,\"z\":0},"
    "\"rotation\":{\"pan\":0,\"tilt\":0,\"roll\":0}}]";

static const vl_sample example = {
    .camera = 2,
    .pose = { .pos = { 1.25, -0.5, 1.7 }, .pan_deg = -35.5, .tilt_deg = 8.25, .roll_deg = -1.5 },
    .fov_h_deg = 47.0,
    .focus_m = 3.5,
    .has_encoders = true,
    .zoom = 12345,
    .focus = 678,
};

/* Every field the parser fills. */
static bool same_sample(const vl_sample *a, const vl_sample *b)
{
    return a->camera == b->camera && a->pose.pos[0] == b->pose.pos[0] &&
           a->pose.pos[1] == b->pose.pos[1] && a->pose.pos[2] == b->pose.pos[2] &&
           a->pose.pan_deg == b->pose.pan_deg && a->pose.tilt_deg == b->pose.tilt_deg &&
           a->pose.roll_deg == b->pose.roll_deg && a->fov_h_deg == b->fov_h_deg &&
           a->focus_m == b->focus_m && a->sensor_w_mm == b->sensor_w_mm &&
           a->sensor_h_mm == b->sensor_h_mm && a->entrance_pupil_m == b->entrance_pupil_m &&
           a->projection_offset_mm[0] == b->projection_offset_mm[0] &&
           a->projection_offset_mm[1] == b->projection_offset_mm[1] &&
           a->overscan == b->overscan && a->has_encoders == b->has_encoders &&
           a->zoom == b->zoom && a->focus == b->focus && a->has_timecode == b->has_timecode &&
           !memcmp(&a->timecode, &b->timecode, sizeof(a->timecode)) &&
           a->timecode_rate.num == b->timecode_rate.num &&
           a->timecode_rate.den == b->timecode_rate.den;
}

/* ---- checksum and header ------------------------------------------------- */

/* The header of the datagram below, then its 2-byte payload "{}", as the
 * checksum sums them (the spec: "covering the header (excluding checksum
 * bytes) and payload"; both sums uint8_t, i.e. mod 256):
 *
 *   byte        'O'  'T'  'r'  'k'  rsv  enc  seq  seq  off  off  off  off  L|len    '{'  '}'
 *   value        79   84  114  107    0    1    0    1    0    0    0    0  128   2  123  125
 *   sum1         79  163   21  128  128  129  129  130  130  130  130  130    2   4  127  252
 *   sum2         79  242    7  135    7  136    9  139   13  143   17  147  149 153   24   20
 *
 * e.g. the third byte: sum1 = 163 + 114 = 277 -> 21, sum2 = 242 + 21 = 263
 * -> 7. The checksum is (sum2 << 8) | sum1 = (20 << 8) | 252 = 0x14FC, on
 * the wire 0x14 0xFC. Summed mod 255 instead it would be 0x2DFE. */
static const uint8_t hand_dgram[18] = {
    0x4F, 0x54, 0x72, 0x6B, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x80, 0x02,
    0x14, 0xFC, 0x7B, 0x7D,
};

static void test_fletcher16(void)
{
    /* The 16 bytes summed above (the checksum bytes left out). */
    uint8_t covered[16];
    memcpy(covered, hand_dgram, 14);
    memcpy(covered + 14, hand_dgram + 16, 2);
    CHECK(vl_fletcher16(covered, 16) == 0x14FC);

    /* "abcde" = 97 98 99 100 101: sum1 97, 195, 294 -> 38, 138, 239; sum2
     * 97, 292 -> 36, 74, 212, 451 -> 195: 0xC3EF (mod 255: 0xC8F0). */
    CHECK(vl_fletcher16((const uint8_t *)"abcde", 5) == 0xC3EF);
    /* 255 bytes of 0xFF: after k bytes sum1 = -k mod 256, so 1 at the end;
     * sum2 = sum of (256 - k) for k = 1..255 = 1 + 2 + ... + 255 = 32640
     * = 127 * 256 + 128 -> 128: 0x8001 (mod 255 both sums would be 0). */
    uint8_t ff[255];
    memset(ff, 0xff, sizeof(ff));
    CHECK(vl_fletcher16(ff, sizeof(ff)) == 0x8001);
    CHECK(vl_fletcher16(NULL, 0) == 0);

    /* The hand-made datagram is accepted: its checksum is right, so the
     * payload is read ("{}" has no transforms: malformed, not a bad
     * checksum). With the mod-255 checksum it is refused. */
    struct fixture f;
    fixture_init(&f);
    feed(&f, hand_dgram, sizeof(hand_dgram));
    CHECK(f.got.errors[VL_TRACK_MALFORMED] == 1 && total_errors(&f.got) == 1);
    vl_otrk_parser_destroy(f.parser);
    fixture_init(&f);
    uint8_t bad[18];
    memcpy(bad, hand_dgram, sizeof(bad));
    bad[14] = 0x2D;
    bad[15] = 0xFE;
    feed(&f, bad, sizeof(bad));
    CHECK(f.got.errors[VL_TRACK_BAD_CHECKSUM] == 1 && total_errors(&f.got) == 1);
    vl_otrk_parser_destroy(f.parser);
}

static void test_header_layout(void)
{
    /* What the reference sender sends for payload "{}", sequence 1: the
     * hand-made datagram, byte for byte. */
    struct dgrams g = { .n = 0 };
    uint16_t seq = 1;
    CHECK(vl_otrk_segment((const uint8_t *)"{}", 2, VL_OTRK_JSON, &seq, 1400, collect_dgram,
                          &g) == 1);
    CHECK(g.n == 1 && g.len[0] == sizeof(hand_dgram));
    CHECK(memcmp(g.data[0], hand_dgram, sizeof(hand_dgram)) == 0);
    CHECK(seq == 2);

    /* A CBOR payload: encoding byte 0x02, the rest as the spec's table. */
    g.n = 0;
    const uint8_t cbor[3] = { 0xA1, 0x61, 0x78 };
    uint8_t want[DGRAM_CAP];
    seq = 0xBEEF;
    CHECK(vl_otrk_segment(cbor, 3, VL_OTRK_CBOR, &seq, 1400, collect_dgram, &g) == 1);
    size_t n = make_dgram(want, 2, 0xBEEF, 0, true, cbor, 3);
    CHECK(g.n == 1 && g.len[0] == n && memcmp(g.data[0], want, n) == 0);

    /* Segments: one sequence number each, as the reference sender's
     * _construct_udp_segments; offsets, lengths, the last bit on the last
     * only; the numbers wrap at 65535. */
    g.n = 0;
    uint8_t big[1000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)i;
    seq = 65534;
    CHECK(vl_otrk_segment(big, sizeof(big), VL_OTRK_JSON, &seq, 16 + 300, collect_dgram, &g) == 4);
    CHECK(g.n == 4 && seq == 2);
    for (int i = 0; i < g.n; i++) {
        size_t len = i < 3 ? 300 : 100;
        n = make_dgram(want, 1, (uint16_t)(65534 + i), (uint32_t)(300 * i), i == 3,
                       big + 300 * i, len);
        CHECK(g.len[i] == n && memcmp(g.data[i], want, n) == 0);
    }

    /* No room after the header; more than a message may hold: nothing sent,
     * no number used. */
    seq = 9;
    CHECK(vl_otrk_segment(big, 10, VL_OTRK_JSON, &seq, 16, collect_dgram, &g) == 0);
    uint8_t *huge = calloc(65537, 1);
    CHECK(vl_otrk_segment(huge, 65537, VL_OTRK_JSON, &seq, 1400, collect_dgram, &g) == 0);
    free(huge);
    CHECK(g.n == 4 && seq == 9);
}

static void test_header_errors(void)
{
    struct fixture f;
    fixture_init(&f);
    char json[256];
    snprintf(json, sizeof(json), "{%s}", camera_at_origin);
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

    /* Encodings volym does not decode (0x03; 0x80 and up are vendors'). */
    feed(&f, bad, make_dgram(bad, 3, 2, 0, true, json, jlen));
    feed(&f, bad, make_dgram(bad, 0x80, 3, 0, true, json, jlen));
    CHECK(f.got.errors[VL_TRACK_BAD_TYPE] == 3);
    CHECK(total_errors(&f.got) == 10);
    CHECK(f.got.n == 0);

    /* The reserved byte is ignored. */
    n = make_dgram(d, 1, 4, 0, true, json, jlen);
    d[4] = 0x5a;
    reseal(d, n);
    feed(&f, d, n);
    CHECK(f.got.n == 1);
    CHECK(total_errors(&f.got) == 10);
    vl_otrk_parser_destroy(f.parser);
}

/* ---- sequence numbers and reassembly -------------------------------------- */

/* `example` as JSON. */
static char *example_json(void)
{
    char *json = vl_otrk_encode_json(&example, 7);
    CHECK(json != NULL);
    return json;
}

static void test_sequence_numbers(void)
{
    struct fixture f;
    fixture_init(&f);
    char *json = example_json();
    size_t len = strlen(json);
    uint8_t d[DGRAM_CAP], again[DGRAM_CAP];

    /* "If a Consumer receives the same message multiple times, it should
     * process only one instance": the same datagram twice, and again after
     * two others. */
    size_t n = make_dgram(d, 1, 100, 0, true, json, len);
    memcpy(again, d, n);
    feed(&f, d, n);
    feed(&f, again, n);
    f.seq = 101;
    feed_json(&f, json);
    feed_json(&f, json);
    feed(&f, again, n);
    CHECK(f.got.n == 3 && f.got.errors[VL_TRACK_DUPLICATE] == 2);
    CHECK(total_errors(&f.got) == 2 && f.events[VL_TRACK_LOST] == 0);

    /* A gap: 103, 104, 105 never came. */
    f.seq = 106;
    feed_json(&f, json);
    CHECK(f.got.n == 4 && f.events[VL_TRACK_LOST] == 3);
    /* One of them late: dropped, not counted again. */
    feed(&f, d, make_dgram(d, 1, 104, 0, true, json, len));
    CHECK(f.got.n == 4 && f.events[VL_TRACK_LOST] == 3 && total_errors(&f.got) == 2);

    /* Wraparound: 65535 then 0 loses nothing; 65534 then 1 loses two. */
    f.seq = 65535;
    feed_json(&f, json);                        /* a restart: far from 106 */
    feed_json(&f, json);                        /* 0 */
    CHECK(f.got.n == 6 && f.events[VL_TRACK_LOST] == 3 && total_errors(&f.got) == 2);
    vl_otrk_parser_destroy(f.parser);

    fixture_init(&f);
    f.seq = 65534;
    feed_json(&f, json);
    f.seq = 1;
    feed_json(&f, json);
    CHECK(f.got.n == 2 && f.events[VL_TRACK_LOST] == 2);

    /* A sender restarting, from 5000 or from 40000 back to 0, is not
     * thousands of datagrams lost. */
    f.seq = 5000;
    feed_json(&f, json);
    f.seq = 0;
    feed_json(&f, json);
    f.seq = 40000;
    feed_json(&f, json);
    f.seq = 0;
    feed_json(&f, json);
    feed_json(&f, json);
    CHECK(f.got.n == 7 && f.events[VL_TRACK_LOST] == 2 && total_errors(&f.got) == 0);
    free(json);
    vl_otrk_parser_destroy(f.parser);
}

static void test_segments(void)
{
    struct fixture f;
    fixture_init(&f);
    char *json = example_json();
    const uint8_t *p = (const uint8_t *)json;
    size_t len = strlen(json);
    CHECK(len > 200);

    /* In 64-byte segments, each its own number: one sample. */
    feed_segments(&f, 1, p, len, 64, -1);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0 && f.events[VL_TRACK_LOST] == 0);
    CHECK(f.got.samples[0].camera == 2 && f.got.samples[0].zoom == 12345);

    /* A middle segment lost: the message is dropped once, at the segment
     * after the hole; the next message comes through. */
    feed_segments(&f, 1, p, len, 64, 2);
    CHECK(f.got.n == 1 && f.got.errors[VL_TRACK_SEGMENT] == 1 && f.events[VL_TRACK_LOST] == 1);
    feed_segments(&f, 1, p, len, 64, -1);
    CHECK(f.got.n == 2 && f.got.errors[VL_TRACK_SEGMENT] == 1);

    /* The first segment lost: its followers are counted once. */
    feed_segments(&f, 1, p, len, 64, 0);
    CHECK(f.got.n == 2 && f.got.errors[VL_TRACK_SEGMENT] == 2);
    /* The last lost: dropped when the next message starts, which decodes. */
    feed_segments(&f, 1, p, len, 64, (int)((len - 1) / 64));
    CHECK(f.got.errors[VL_TRACK_SEGMENT] == 2);
    feed_json(&f, json);
    CHECK(f.got.n == 3 && f.got.errors[VL_TRACK_SEGMENT] == 3);
    CHECK(total_errors(&f.got) == 3 && f.events[VL_TRACK_LOST] == 3);

    /* Two segments swapped: the one ahead does not continue the message
     * (dropped), the late one is ignored. */
    uint8_t d[3][DGRAM_CAP];
    size_t dn[3];
    for (int i = 0; i < 3; i++) {
        size_t n = i < 2 ? 64 : len - 128;
        dn[i] = make_dgram(d[i], 1, (uint16_t)(f.seq + i), (uint32_t)(64 * i), i == 2,
                           p + 64 * i, n);
    }
    f.seq += 3;
    feed(&f, d[0], dn[0]);
    feed(&f, d[2], dn[2]);
    feed(&f, d[1], dn[1]);
    CHECK(f.got.n == 3 && f.got.errors[VL_TRACK_SEGMENT] == 4);
    /* A repeated segment is a duplicate; the message still completes. */
    for (int i = 0; i < 3; i++)
        dn[i] = make_dgram(d[i], 1, (uint16_t)(f.seq + i), (uint32_t)(64 * i), i == 2,
                           p + 64 * i, i < 2 ? 64 : len - 128);
    f.seq += 3;
    feed(&f, d[0], dn[0]);
    feed(&f, d[1], dn[1]);
    feed(&f, d[1], dn[1]);
    feed(&f, d[2], dn[2]);
    CHECK(f.got.n == 4 && f.got.errors[VL_TRACK_DUPLICATE] == 1);
    CHECK(f.got.errors[VL_TRACK_SEGMENT] == 4);

    /* The encoding changing inside a message breaks it. */
    feed(&f, d[0], make_dgram(d[0], 1, f.seq++, 0, false, p, 64));
    feed(&f, d[1], make_dgram(d[1], 2, f.seq++, 64, true, p + 64, len - 64));
    CHECK(f.got.n == 4 && f.got.errors[VL_TRACK_SEGMENT] == 5);
    CHECK(total_errors(&f.got) == 6);
    free(json);
    vl_otrk_parser_destroy(f.parser);
}

/* A message of exactly 64 KiB decodes; one more byte is dropped. */
static void test_message_limit(void)
{
    struct fixture f;
    fixture_init(&f);
    char json[256];
    snprintf(json, sizeof(json), "{%s}", camera_at_origin);
    uint8_t *big = malloc(65536 + 1024);
    memset(big, ' ', 65536 + 1024);             /* JSON allows spaces after */
    memcpy(big, json, strlen(json));
    feed_segments(&f, 1, big, 65536, 1024, -1);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    feed_segments(&f, 1, big, 65537, 1024, -1);
    CHECK(f.got.n == 1 && f.got.errors[VL_TRACK_SEGMENT] == 1 && total_errors(&f.got) == 1);
    /* An offset near 2^32 neither wraps nor writes anywhere. */
    uint8_t d[DGRAM_CAP];
    feed(&f, d, make_dgram(d, 1, f.seq++, 0, false, big, 100));
    feed(&f, d, make_dgram(d, 1, f.seq++, 0xFFFFFFF0u, true, big, 100));
    CHECK(f.got.n == 1 && f.got.errors[VL_TRACK_SEGMENT] == 2);
    free(big);
    vl_otrk_parser_destroy(f.parser);
}

/* ---- samples -------------------------------------------------------------- */

static void test_source_numbers(void)
{
    struct fixture f;
    fixture_init(&f);
    char json[512];
    static const char *const discarded[] = { "0", "201", "255", "256", "-1", "4294967295" };
    for (size_t i = 0; i < sizeof(discarded) / sizeof(discarded[0]); i++) {
        snprintf(json, sizeof(json), "{\"sourceNumber\":%s,%s}", discarded[i], camera_at_origin);
        feed_json(&f, json);
    }
    CHECK(f.got.n == 0 && f.got.errors[VL_TRACK_BAD_SOURCE] == 6 && total_errors(&f.got) == 6);
    snprintf(json, sizeof(json), "{\"sourceNumber\":1,%s}", camera_at_origin);
    feed_json(&f, json);
    snprintf(json, sizeof(json), "{\"sourceNumber\":200,%s}", camera_at_origin);
    feed_json(&f, json);
    snprintf(json, sizeof(json), "{%s}", camera_at_origin);    /* absent: 1 */
    feed_json(&f, json);
    CHECK(f.got.n == 3 && f.got.samples[0].camera == 1 && f.got.samples[1].camera == 200);
    CHECK(f.got.samples[2].camera == 1);
    /* Not a number at all is malformed, not a bad source. */
    snprintf(json, sizeof(json), "{\"sourceNumber\":\"A\",%s}", camera_at_origin);
    feed_json(&f, json);
    snprintf(json, sizeof(json), "{\"sourceNumber\":1.5,%s}", camera_at_origin);
    feed_json(&f, json);
    CHECK(f.got.errors[VL_TRACK_MALFORMED] == 2 && total_errors(&f.got) == 8);
    vl_otrk_parser_destroy(f.parser);
}

static void test_round_trip(void)
{
    struct fixture f;
    fixture_init(&f);
    char *json = vl_otrk_encode_json(&example, 4242);
    CHECK(json != NULL);
    if (!json)
        return;

    /* It is an OpenTrackIO 1.0.1 sample in shape. */
    json_error_t err;
    json_t *root = json_loads(json, 0, &err);
    CHECK(root != NULL);
    json_t *version = json_object_get(json_object_get(root, "protocol"), "version");
    CHECK(!strcmp(json_string_value(json_object_get(json_object_get(root, "protocol"), "name")),
                  "OpenTrackIO"));
    CHECK(json_array_size(version) == 3 && json_integer_value(json_array_get(version, 0)) == 1 &&
          json_integer_value(json_array_get(version, 1)) == 0 &&
          json_integer_value(json_array_get(version, 2)) == 1);
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

    feed_json(&f, json);
    free(json);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    const vl_sample *s = &f.got.samples[0];
    CHECK(s->camera == 2);
    CHECK(s->pose.pos[0] == 1.25 && s->pose.pos[1] == -0.5 && s->pose.pos[2] == 1.7);
    CHECK(s->pose.pan_deg == -35.5 && s->pose.tilt_deg == 8.25 && s->pose.roll_deg == -1.5);
    CHECK_NEAR(s->fov_h_deg, 47.0, 1e-9);
    CHECK(s->focus_m == 3.5 && s->sensor_w_mm == 36 && s->sensor_h_mm == 24);
    CHECK(s->has_encoders && s->zoom == 12345 && s->focus == 678);
    CHECK(s->t_ns == 0 && s->source == 0);
    CHECK(f.events[VL_TRACK_STATIC] == 1);

    /* The lens fields travel; CBOR gives the very same sample. */
    vl_sample lens = example;
    lens.sensor_w_mm = 24.89;
    lens.sensor_h_mm = 18.66;
    lens.entrance_pupil_m = 0.123;
    lens.projection_offset_mm[0] = 0.1;
    lens.projection_offset_mm[1] = -0.2;
    lens.overscan = 1.15;
    json = vl_otrk_encode_json(&lens, 1);
    size_t cbor_len = 0;
    uint8_t *cbor = vl_otrk_encode_cbor(&lens, 1, &cbor_len);
    CHECK(json && cbor && cbor_len > 0 && cbor_len < strlen(json));
    if (json && cbor) {
        feed_json(&f, json);
        feed_payload(&f, 2, cbor, cbor_len);
    }
    free(json);
    free(cbor);
    CHECK(f.got.n == 3 && total_errors(&f.got) == 0);
    s = &f.got.samples[1];
    CHECK_NEAR(s->fov_h_deg, 47.0, 1e-9);
    CHECK(s->sensor_w_mm == 24.89 && s->sensor_h_mm == 18.66 && s->entrance_pupil_m == 0.123);
    CHECK(s->projection_offset_mm[0] == 0.1 && s->projection_offset_mm[1] == -0.2);
    CHECK(s->overscan == 1.15);
    CHECK(same_sample(&f.got.samples[1], &f.got.samples[2]));

    /* Without FOV, focus and encoders none of them is made up. */
    vl_sample bare = example;
    bare.camera = 3;
    bare.fov_h_deg = 0;
    bare.focus_m = 0;
    bare.has_encoders = false;
    json = vl_otrk_encode_json(&bare, 1);
    CHECK(json && !strstr(json, "lens") && !strstr(json, "static"));
    feed_json(&f, json);
    free(json);
    CHECK(f.got.n == 4);
    s = &f.got.samples[3];
    CHECK(s->fov_h_deg == 0 && s->focus_m == 0 && !s->has_encoders && s->sensor_w_mm == 0);

    /* JSON has no NaN: such a sample cannot be encoded, nor can a camera id
     * that is no source number. */
    bare.pose.tilt_deg = NAN;
    CHECK(vl_otrk_encode_json(&bare, 1) == NULL);
    CHECK(vl_otrk_encode_cbor(&bare, 1, &cbor_len) == NULL);
    bare.pose.tilt_deg = 0;
    bare.fov_h_deg = INFINITY;
    CHECK(vl_otrk_encode_json(&bare, 1) == NULL);
    bare.fov_h_deg = 0;
    bare.camera = 0;
    CHECK(vl_otrk_encode_json(&bare, 1) == NULL);
    bare.camera = 201;
    CHECK(vl_otrk_encode_json(&bare, 1) == NULL);
    vl_otrk_parser_destroy(f.parser);
}

static void test_minimal_sample(void)
{
    struct fixture f;
    fixture_init(&f);
    feed_json(&f, "{\"transforms\":[{\"translation\":{\"x\":1,\"y\":-2,\"z\":3.5},"
                  "\"rotation\":{\"pan\":10,\"tilt\":-20,\"roll\":30}}]}");
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    const vl_sample *s = &f.got.samples[0];
    CHECK(s->camera == 1);                      /* sourceNumber's default */
    CHECK(s->pose.pos[0] == 1 && s->pose.pos[1] == -2 && s->pose.pos[2] == 3.5);
    /* OpenTrackIO pan + turns left, volym's right (README Conventions). */
    CHECK(s->pose.pan_deg == -10 && s->pose.tilt_deg == -20 && s->pose.roll_deg == 30);
    CHECK(s->fov_h_deg == 0 && s->focus_m == 0 && !s->has_encoders);
    CHECK(s->sensor_w_mm == 0 && s->entrance_pupil_m == 0 && s->overscan == 0);
    CHECK(s->projection_offset_mm[0] == 0 && s->projection_offset_mm[1] == 0);
    vl_otrk_parser_destroy(f.parser);
}

/* The rotation convention, by hand from the spec's words: right-handed, Z
 * up, Y forward, "positive rotations are clockwise around the axis" (the
 * right-hand rule, looking along the axis), intrinsic Z, X, Y. Pan +30
 * about +Z turns forward +Y towards -X: (-sin 30, cos 30, 0) = (-0.5,
 * 0.8660254, 0). Tilt +30 about +X turns +Y towards +Z: (0, 0.8660254,
 * 0.5). Roll +30 about +Y turns up +Z towards +X: (0.5, 0, 0.8660254).
 * Unreal's LiveLinkOpenTrackIO agrees (README Conventions). */
static void test_rotation_convention(void)
{
    static const struct {
        const char *rotation;
        double forward[3], up[3];
    } cases[] = {
        { "\"pan\":30,\"tilt\":0,\"roll\":0", { -0.5, 0.8660254037844386, 0 }, { 0, 0, 1 } },
        { "\"pan\":0,\"tilt\":30,\"roll\":0", { 0, 0.8660254037844386, 0.5 }, { 0, -0.5, 0.8660254037844386 } },
        { "\"pan\":0,\"tilt\":0,\"roll\":30", { 0, 1, 0 }, { 0.5, 0, 0.8660254037844386 } },
    };
    struct fixture f;
    fixture_init(&f);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char json[256];
        snprintf(json, sizeof(json),
                 "{\"transforms\":[{\"translation\":{\"x\":0,\"y\":0,\"z\":0},\"rotation\":{%s}}]}",
                 cases[i].rotation);
        feed_json(&f, json);
        CHECK(f.got.n == (int)i + 1);
        if (f.got.n != (int)i + 1)
            break;
        const vl_pose *p = &f.got.samples[i].pose;
        vl_basis b = vl_basis_from_ptr(p->pan_deg, p->tilt_deg, p->roll_deg);
        for (int k = 0; k < 3; k++) {
            CHECK_NEAR(b.forward[k], cases[i].forward[k], 1e-12);
            CHECK_NEAR(b.up[k], cases[i].up[k], 1e-12);
        }
    }
    vl_otrk_parser_destroy(f.parser);
}

static void feed_chain(struct fixture *f, const char *t1, const char *t2)
{
    char json[1024];
    snprintf(json, sizeof(json), "{\"sourceNumber\":3,\"transforms\":[%s,%s]}", t1, t2);
    feed_json(f, json);
}

static void test_chained_transforms(void)
{
    struct fixture f;
    fixture_init(&f);
    /* A dolly at (1,2,0) with OpenTrackIO pan 90 is turned left 90 (volym
     * pan -90) and carries an arm whose tip is 1 m ahead of it and tilted
     * up 10: ahead of the dolly is -X. */
    const char *dolly = "{\"id\":\"Dolly\",\"translation\":{\"x\":1,\"y\":2,\"z\":0},"
                        "\"rotation\":{\"pan\":90,\"tilt\":0,\"roll\":0}}";
    const char *arm = "{\"id\":\"Camera\",\"translation\":{\"x\":0,\"y\":1,\"z\":0.5},"
                      "\"rotation\":{\"pan\":0,\"tilt\":10,\"roll\":0}}";
    feed_chain(&f, dolly, arm);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    const vl_sample *s = &f.got.samples[0];
    CHECK(s->camera == 3);
    CHECK_NEAR(s->pose.pos[0], 0, 1e-12);
    CHECK_NEAR(s->pose.pos[1], 2, 1e-12);
    CHECK_NEAR(s->pose.pos[2], 0.5, 1e-12);
    CHECK_NEAR(s->pose.pan_deg, -90, 1e-9);
    CHECK_NEAR(s->pose.tilt_deg, 10, 1e-9);
    CHECK_NEAR(s->pose.roll_deg, 0, 1e-9);

    /* A parent tilted up 30 lifts its child's forward offset: (0,2,0) in
     * the parent is (0, 2 cos 30, 2 sin 30) on stage; pans add. */
    const char *tilted = "{\"translation\":{\"x\":0,\"y\":0,\"z\":1},"
                         "\"rotation\":{\"pan\":0,\"tilt\":30,\"roll\":0}}";
    const char *ahead = "{\"translation\":{\"x\":0,\"y\":2,\"z\":0},"
                        "\"rotation\":{\"pan\":0,\"tilt\":15,\"roll\":0}}";
    feed_chain(&f, tilted, ahead);
    CHECK(f.got.n == 2);
    s = &f.got.samples[1];
    CHECK_NEAR(s->pose.pos[0], 0, 1e-12);
    CHECK_NEAR(s->pose.pos[1], 2 * cos(M_PI / 6), 1e-12);
    CHECK_NEAR(s->pose.pos[2], 1 + 2 * sin(M_PI / 6), 1e-12);
    CHECK_NEAR(s->pose.tilt_deg, 45, 1e-9);
    CHECK_NEAR(s->pose.pan_deg, 0, 1e-9);

    /* Order matters: the camera is the last transform, so swapping them
     * moves it. */
    feed_chain(&f, arm, dolly);
    CHECK(f.got.n == 3);
    CHECK(fabs(f.got.samples[2].pose.pos[0] - 2) > 0.5);
    vl_otrk_parser_destroy(f.parser);
}

static void test_lens(void)
{
    struct fixture f;
    fixture_init(&f);
    const char *t = camera_at_origin;
    char json[1024];

    /* A focal length alone gives no FOV: the sensor width is unknown. */
    snprintf(json, sizeof(json), "{%s,\"lens\":{\"pinholeFocalLength\":24.305,"
             "\"focusDistance\":10.0,\"encoders\":{\"zoom\":0.5,\"focus\":1,\"iris\":0.2}}}", t);
    feed_json(&f, json);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    CHECK(f.got.samples[0].fov_h_deg == 0);
    CHECK(f.got.samples[0].focus_m == 10.0);
    CHECK(f.got.samples[0].has_encoders);
    CHECK(f.got.samples[0].zoom == 32768 && f.got.samples[0].focus == 65535);

    /* With the sensor width in the static data; raw encoders win; the
     * entrance pupil, projection offset and largest distortion overscan. */
    snprintf(json, sizeof(json), "{%s,\"static\":{\"camera\":{\"activeSensorPhysicalDimensions\":"
             "{\"width\":24.89,\"height\":18.66}}},\"lens\":{\"pinholeFocalLength\":35,"
             "\"encoders\":{\"zoom\":0.5},\"rawEncoders\":{\"zoom\":3000,\"focus\":1000},"
             "\"entrancePupilOffset\":-0.05,\"projectionOffset\":{\"x\":0.25,\"y\":-1},"
             "\"distortion\":[{\"radial\":[1],\"overscan\":1.05},{\"radial\":[1],"
             "\"overscan\":1.25},{\"radial\":[1]}]}}", t);
    feed_json(&f, json);
    CHECK(f.got.n == 2);
    const vl_sample *s = &f.got.samples[1];
    CHECK_NEAR(s->fov_h_deg, 2 * atan(24.89 / 70) * 180 / M_PI, 1e-12);
    CHECK(s->zoom == 3000 && s->focus == 1000);
    CHECK(s->sensor_w_mm == 24.89 && s->sensor_h_mm == 18.66);
    CHECK(s->entrance_pupil_m == -0.05);
    CHECK(s->projection_offset_mm[0] == 0.25 && s->projection_offset_mm[1] == -1);
    CHECK(s->overscan == 1.25);

    /* The static data is remembered for the source (it is sent less often
     * than samples), not for other sources; the lens fields of one sample
     * are not carried to the next. */
    snprintf(json, sizeof(json), "{%s,\"lens\":{\"pinholeFocalLength\":50}}", t);
    feed_json(&f, json);
    snprintf(json, sizeof(json), "{%s,\"sourceNumber\":2,\"lens\":{\"pinholeFocalLength\":50}}", t);
    feed_json(&f, json);
    CHECK(f.got.n == 4);
    s = &f.got.samples[2];
    CHECK_NEAR(s->fov_h_deg, 2 * atan(24.89 / 100) * 180 / M_PI, 1e-12);
    CHECK(s->camera == 1 && !s->has_encoders && s->sensor_w_mm == 24.89);
    CHECK(s->sensor_h_mm == 18.66 && s->entrance_pupil_m == 0 && s->overscan == 0);
    CHECK(s->projection_offset_mm[0] == 0);
    s = &f.got.samples[3];
    CHECK(s->camera == 2 && s->fov_h_deg == 0 && s->sensor_w_mm == 0);
    CHECK(total_errors(&f.got) == 0);

    /* The static overscan maximum is a floor under the sample's. */
    snprintf(json, sizeof(json), "{%s,\"static\":{\"lens\":{\"distortionOverscanMax\":1.2}},"
             "\"lens\":{\"distortion\":[{\"radial\":[1],\"overscan\":1.1}]}}", t);
    feed_json(&f, json);
    snprintf(json, sizeof(json), "{%s,\"lens\":{\"distortion\":[{\"radial\":[1],"
             "\"overscan\":1.3}]}}", t);
    feed_json(&f, json);
    snprintf(json, sizeof(json), "{%s}", t);
    feed_json(&f, json);
    CHECK(f.got.n == 7);
    CHECK(f.got.samples[4].overscan == 1.2 && f.got.samples[5].overscan == 1.3);
    CHECK(f.got.samples[6].overscan == 1.2 && f.got.samples[6].sensor_w_mm == 24.89);
    CHECK(total_errors(&f.got) == 0);

    /* The lens fields come from the later sample when interpolating. */
    vl_sample a = f.got.samples[2], b = f.got.samples[1], mid;
    a.t_ns = 0;
    b.t_ns = 1000;
    vl_sample_interpolate(&a, &b, 500, &mid);
    CHECK(mid.entrance_pupil_m == -0.05 && mid.overscan == 1.25 && mid.sensor_w_mm == 24.89);
    CHECK(mid.projection_offset_mm[0] == 0.25 && mid.projection_offset_mm[1] == -1);

    /* rawEncoders are 32-bit (the schema: 0 to 4294967295), also between
     * two samples. */
    snprintf(json, sizeof(json), "{%s,\"lens\":{\"rawEncoders\":{\"zoom\":4294967295,"
             "\"focus\":4000000000}}}", t);
    feed_json(&f, json);
    snprintf(json, sizeof(json), "{%s,\"lens\":{\"rawEncoders\":{\"zoom\":4294967293,"
             "\"focus\":4000000010}}}", t);
    feed_json(&f, json);
    CHECK(f.got.n == 9 && total_errors(&f.got) == 0);
    a = f.got.samples[7];
    b = f.got.samples[8];
    CHECK(a.zoom == 4294967295u && a.focus == 4000000000u);
    a.t_ns = 0;
    b.t_ns = 1000;
    vl_sample_interpolate(&a, &b, 500, &mid);
    CHECK(mid.has_encoders && mid.zoom == 4294967294u && mid.focus == 4000000005u);
    vl_otrk_parser_destroy(f.parser);
}

/* Static data: per source, kept for the samples without it, merged when it
 * comes in parts, said once at info level when new or changed. */
static void test_static(void)
{
    struct fixture f;
    fixture_init(&f);
    char json[2048], log[4096];
    const char *t = camera_at_origin;
    const char *full = "\"static\":{\"camera\":{\"make\":\"CameraMaker\",\"model\":\"Model20\","
                       "\"label\":\"A\",\"activeSensorPhysicalDimensions\":{\"width\":36,"
                       "\"height\":24}},\"lens\":{\"make\":\"LensMaker\",\"model\":\"Model15\"},"
                       "\"tracker\":{\"make\":\"TrackerMaker\",\"model\":\"Tracker\"}}";
    FILE *tmp;
    int saved = capture_stderr(&tmp);
    snprintf(json, sizeof(json), "{\"sourceNumber\":1,%s,%s}", t, full);
    feed_json(&f, json);
    feed_json(&f, json);                        /* the same again: not logged */
    snprintf(json, sizeof(json), "{\"sourceNumber\":1,%s,\"lens\":{\"pinholeFocalLength\":18}}", t);
    feed_json(&f, json);
    /* Source 2: only a sensor, then its lens in a message with no sample. */
    snprintf(json, sizeof(json), "{\"sourceNumber\":2,%s,\"static\":{\"camera\":"
             "{\"activeSensorPhysicalDimensions\":{\"width\":23.76,\"height\":13.37}}},"
             "\"lens\":{\"pinholeFocalLength\":18}}", t);
    feed_json(&f, json);
    feed_json(&f, "{\"sourceNumber\":2,\"static\":{\"lens\":{\"make\":\"Cooke\","
                  "\"model\":\"S7/i\\u001b[2J\"}}}");
    snprintf(json, sizeof(json), "{\"sourceNumber\":2,%s,\"lens\":{\"pinholeFocalLength\":18}}", t);
    feed_json(&f, json);
    end_capture(tmp, saved, log, sizeof(log));

    CHECK(f.got.n == 5 && total_errors(&f.got) == 0);
    CHECK(f.events[VL_TRACK_STATIC] == 4);
    const vl_sample *s = f.got.samples;
    CHECK(s[0].sensor_w_mm == 36 && s[2].sensor_w_mm == 36 && s[2].sensor_h_mm == 24);
    CHECK_NEAR(s[2].fov_h_deg, 2 * atan(36.0 / 36.0) * 180 / M_PI, 1e-12);
    CHECK(s[3].camera == 2 && s[3].sensor_w_mm == 23.76 && s[4].sensor_w_mm == 23.76);
    CHECK_NEAR(s[4].fov_h_deg, 2 * atan(23.76 / 36.0) * 180 / M_PI, 1e-12);
    CHECK(strstr(log, "OpenTrackIO source 1 static data: camera CameraMaker Model20, camera label "
                      "A, lens LensMaker Model15, sensor 36.00 x 24.00 mm, tracker TrackerMaker "
                      "Tracker\n") != NULL);
    CHECK(strstr(log, "source 2 static data: sensor 23.76 x 13.37 mm\n") != NULL);
    /* The parts merge; a terminal escape in a name is defused. */
    CHECK(strstr(log, "source 2 static data: lens Cooke S7/i?[2J, sensor 23.76 x 13.37 mm\n"));
    int lines = 0;
    for (const char *p = log; (p = strstr(p, "static data:")); p++)
        lines++;
    CHECK(lines == 3);
    if (lines != 3)
        fprintf(stderr, "log:\n%s", log);

    /* A source whose static data changes all the time stops being logged. */
    saved = capture_stderr(&tmp);
    for (int i = 0; i < 20; i++) {
        snprintf(json, sizeof(json), "{\"sourceNumber\":3,%s,\"static\":{\"camera\":"
                 "{\"label\":\"take %d\"}}}", t, i);
        feed_json(&f, json);
    }
    end_capture(tmp, saved, log, sizeof(log));
    lines = 0;
    for (const char *p = log; (p = strstr(p, "source 3 static data:")); p++)
        lines++;
    CHECK(lines == 8 && strstr(log, "later changes are not logged"));

    /* Static data of the wrong shape makes the message malformed and is not
     * kept. */
    static const char *const bad[] = {
        "{\"static\":{\"camera\":{\"activeSensorPhysicalDimensions\":{\"width\":36}}}}",
        "{\"static\":{\"camera\":{\"activeSensorPhysicalDimensions\":{\"width\":-36,"
            "\"height\":24}}}}",
        "{\"static\":{\"camera\":{\"make\":7}}}",
        "{\"static\":{\"lens\":{\"distortionOverscanMax\":0.9}}}",
        "{\"static\":{\"lens\":[]}}",
        "{\"static\":{\"tracker\":\"Mo-Sys\"}}",
        "{\"static\":[]}",
    };
    int before = f.got.errors[VL_TRACK_MALFORMED];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        feed_json(&f, bad[i]);
    CHECK(f.got.errors[VL_TRACK_MALFORMED] == before + 7);
    snprintf(json, sizeof(json), "{%s}", t);
    feed_json(&f, json);
    CHECK(f.got.samples[f.got.n - 1].sensor_w_mm == 36);
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
        "{\"sourceNumber\":1.5,%s}",
        "{\"sourceNumber\":\"A\",%s}",
        "{%s,\"lens\":[]}",
        "{%s,\"lens\":{\"pinholeFocalLength\":\"35mm\"}}",
        "{%s,\"lens\":{\"pinholeFocalLength\":-35}}",
        "{%s,\"lens\":{\"focusDistance\":-1}}",
        "{%s,\"lens\":{\"encoders\":{\"zoom\":1.5}}}",
        "{%s,\"lens\":{\"rawEncoders\":{\"zoom\":0.5}}}",
        "{%s,\"lens\":{\"rawEncoders\":{\"focus\":-3}}}",
        "{%s,\"lens\":{\"entrancePupilOffset\":\"0.1\"}}",
        "{%s,\"lens\":{\"projectionOffset\":{\"x\":0.1}}}",
        "{%s,\"lens\":{\"projectionOffset\":[0.1,0.2]}}",
        "{%s,\"lens\":{\"distortion\":{\"overscan\":1.1}}}",
        "{%s,\"lens\":{\"distortion\":[{\"radial\":[1],\"overscan\":0.5}]}}",
        "{%s,\"lens\":{\"distortion\":[3]}}",
        "{%s,\"static\":{\"camera\":{\"activeSensorPhysicalDimensions\":{\"width\":36}}}}",
        "{%s,\"timing\":{\"sampleRate\":{\"num\":0,\"denom\":1}}}",
        "{%s,\"timing\":{\"sampleRate\":{\"num\":25}}}",
        "{%s,\"timing\":{\"sequenceNumber\":\"12\"}}",
        "{%s,\"timing\":{\"timecode\":{\"hours\":\"1\",\"minutes\":2,\"seconds\":3,"
            "\"frames\":4}}}",
        "{%s,\"timing\":{\"timecode\":{\"hours\":1,\"minutes\":60,\"seconds\":3,"
            "\"frames\":4}}}",
        "{%s,\"timing\":7}",
    };
    const int n_bad = (int)(sizeof(bad) / sizeof(bad[0]));
    struct fixture f;
    fixture_init(&f);
    for (int i = 0; i < n_bad; i++) {
        char json[1024];
        snprintf(json, sizeof(json), bad[i], camera_at_origin);
        int before = f.got.errors[VL_TRACK_MALFORMED];
        feed_json(&f, json);
        if (f.got.errors[VL_TRACK_MALFORMED] != before + 1)
            fprintf(stderr, "not refused as malformed: %s\n", json);
        CHECK(f.got.errors[VL_TRACK_MALFORMED] == before + 1);
    }
    CHECK(f.got.n == 0);
    CHECK(total_errors(&f.got) == n_bad);
    CHECK(f.events[VL_TRACK_STATIC] == 0);

    /* Well-formed timing and unknown fields are fine. */
    char json[1024];
    snprintf(json, sizeof(json), "{%s,\"timing\":{\"mode\":\"internal\",\"sampleRate\":"
             "{\"num\":24000,\"denom\":1001},\"sequenceNumber\":0,\"timecode\":{\"hours\":1,"
             "\"minutes\":2,\"seconds\":3,\"frames\":4,\"frameRate\":{\"num\":24,\"denom\":1}}},"
             "\"tracker\":{\"status\":\"Optical Good\"},\"custom\":{\"pot1\":2435}}",
             camera_at_origin);
    feed_json(&f, json);
    CHECK(f.got.n == 1);
    CHECK(total_errors(&f.got) == n_bad);
    vl_otrk_parser_destroy(f.parser);
}

/* ---- CBOR ----------------------------------------------------------------- */

/* The minimal sample of test_minimal_sample, encoded by hand from RFC 8949
 * (major type in the top 3 bits, argument in the low 5: 0-23 itself, 24 =
 * one byte follows; 0xF9/0xFA/0xFB = half/single/double float follows):
 *
 *   A1                      map, 1 pair
 *   6A "transforms"         text, 10 bytes
 *   81                      array, 1 item
 *   A2                      map, 2 pairs
 *   6B "translation"        text, 11
 *   A3                      map, 3 pairs
 *   61 "x" 01               1: unsigned (major 0) 1
 *   61 "y" 21               -2: negative (major 1) with argument 1, -1 - 1
 *   61 "z" F9 43 00         3.5 as a half: 1.75 * 2^1, sign 0, exponent
 *                           1 + 15 = 10000b, fraction .75 = 1100000000b:
 *                           0 10000 1100000000 = 0x4300
 *   68 "rotation"           text, 8
 *   A3                      map, 3 pairs
 *   63 "pan" FA 41 20 00 00 10 as a single: 1.25 * 2^3, exponent 130 =
 *                           10000010b, fraction .25: 0x41200000
 *   64 "tilt" FB C0 34 00 00 00 00 00 00
 *                           -20 as a double: 1.25 * 2^4, sign 1, exponent
 *                           1027 = 0x403, fraction .25: 0xC034000000000000
 *   64 "roll" 18 1E         30: unsigned, 24 < 30 so one byte follows */
static const uint8_t hand_cbor[] = {
    0xA1, 0x6A, 't', 'r', 'a', 'n', 's', 'f', 'o', 'r', 'm', 's', 0x81, 0xA2,
    0x6B, 't', 'r', 'a', 'n', 's', 'l', 'a', 't', 'i', 'o', 'n', 0xA3,
    0x61, 'x', 0x01, 0x61, 'y', 0x21, 0x61, 'z', 0xF9, 0x43, 0x00,
    0x68, 'r', 'o', 't', 'a', 't', 'i', 'o', 'n', 0xA3,
    0x63, 'p', 'a', 'n', 0xFA, 0x41, 0x20, 0x00, 0x00,
    0x64, 't', 'i', 'l', 't', 0xFB, 0xC0, 0x34, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x64, 'r', 'o', 'l', 'l', 0x18, 0x1E,
};

/* hand_cbor's content with, before it, "sourceNumber": 7 and "tracker":
 * {"recording": false, "notes": null, "status": "Optical Good"} in an
 * indefinite-length map, the status an indefinite-length string in two
 * chunks, the transforms an indefinite-length array, all under the
 * self-described CBOR tag:
 *
 *   D9 D9 F7                tag 55799 (major 6, two-byte argument)
 *   BF                      map, indefinite length (major 5, argument 31)
 *   6C "sourceNumber" 07
 *   67 "tracker" A3
 *     69 "recording" F4     false (major 7, simple value 20)
 *     65 "notes" F6         null (simple value 22)
 *     66 "status" 7F 67 "Optical" 65 " Good" FF
 *                           text of indefinite length (major 3, 31), two
 *                           chunks, break (0xFF)
 *   6A "transforms" 9F ... FF
 *                           array of indefinite length holding the camera
 *                           map of hand_cbor (bytes 13 to the end)
 *   FF                      break: the map ends */
static size_t hand_cbor_extended(uint8_t *out)
{
    static const uint8_t head[] = {
        0xD9, 0xD9, 0xF7, 0xBF,
        0x6C, 's', 'o', 'u', 'r', 'c', 'e', 'N', 'u', 'm', 'b', 'e', 'r', 0x07,
        0x67, 't', 'r', 'a', 'c', 'k', 'e', 'r', 0xA3,
        0x69, 'r', 'e', 'c', 'o', 'r', 'd', 'i', 'n', 'g', 0xF4,
        0x65, 'n', 'o', 't', 'e', 's', 0xF6,
        0x66, 's', 't', 'a', 't', 'u', 's', 0x7F, 0x67, 'O', 'p', 't', 'i', 'c', 'a', 'l',
        0x65, ' ', 'G', 'o', 'o', 'd', 0xFF,
        0x6A, 't', 'r', 'a', 'n', 's', 'f', 'o', 'r', 'm', 's', 0x9F,
    };
    size_t n = 0;
    memcpy(out, head, sizeof(head));
    n += sizeof(head);
    memcpy(out + n, hand_cbor + 13, sizeof(hand_cbor) - 13);
    n += sizeof(hand_cbor) - 13;
    out[n++] = 0xFF;
    out[n++] = 0xFF;
    return n;
}

static void test_cbor(void)
{
    struct fixture f;
    fixture_init(&f);
    feed_payload(&f, 2, hand_cbor, sizeof(hand_cbor));
    feed_json(&f, "{\"transforms\":[{\"translation\":{\"x\":1,\"y\":-2,\"z\":3.5},"
                  "\"rotation\":{\"pan\":10.0,\"tilt\":-20.0,\"roll\":30}}]}");
    CHECK(f.got.n == 2 && total_errors(&f.got) == 0);
    const vl_sample *s = &f.got.samples[0];
    CHECK(s->camera == 1 && s->pose.pos[0] == 1 && s->pose.pos[1] == -2 && s->pose.pos[2] == 3.5);
    CHECK(s->pose.pan_deg == -10 && s->pose.tilt_deg == -20 && s->pose.roll_deg == 30);
    CHECK(same_sample(&f.got.samples[0], &f.got.samples[1]));

    uint8_t ext[256];
    size_t n = hand_cbor_extended(ext);
    feed_payload(&f, 2, ext, n);
    CHECK(f.got.n == 3 && total_errors(&f.got) == 0);
    CHECK(f.got.samples[2].camera == 7 && f.got.samples[2].pose.tilt_deg == -20);

    /* In segments, too. */
    feed_segments(&f, 2, ext, n, 10, -1);
    CHECK(f.got.n == 4 && total_errors(&f.got) == 0 && f.got.samples[3].camera == 7);

    /* Each of these, put as the value of an extra key "k" (6B... no: the
     * map gets a second pair), makes the message malformed. The map head
     * becomes A2 and the pair "k": <item> follows hand_cbor's pair. */
    static const struct { const char *what; uint8_t bytes[12]; size_t n; } bad_items[] = {
        { "byte string", { 0x42, 0x01, 0x02 }, 3 },
        { "tag 1 (epoch time)", { 0xC1, 0x01 }, 2 },
        { "undefined", { 0xF7 }, 1 },
        { "simple value 16", { 0xF0 }, 1 },
        { "half NaN", { 0xF9, 0x7E, 0x00 }, 3 },
        { "single infinity", { 0xFA, 0x7F, 0x80, 0x00, 0x00 }, 5 },
        { "2^64 - 1", { 0x1B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 9 },
        { "-2^64", { 0x3B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }, 9 },
        { "text not UTF-8", { 0x61, 0xFF }, 2 },
        { "text with a NUL", { 0x62, 'a', 0x00 }, 3 },
        { "map with an integer key", { 0xA1, 0x01, 0x02 }, 3 },
        { "break with nothing open", { 0xFF }, 1 },
        { "text chunk not text", { 0x7F, 0x01, 0xFF }, 3 },
        { "tag with no item", { 0xD9, 0xD9, 0xF7 }, 3 },
    };
    uint8_t msg[512];
    int before = f.got.errors[VL_TRACK_MALFORMED];
    for (size_t i = 0; i < sizeof(bad_items) / sizeof(bad_items[0]); i++) {
        memcpy(msg, hand_cbor, sizeof(hand_cbor));
        msg[0] = 0xA2;
        n = sizeof(hand_cbor);
        msg[n++] = 0x61;
        msg[n++] = 'k';
        memcpy(msg + n, bad_items[i].bytes, bad_items[i].n);
        n += bad_items[i].n;
        int had = f.got.errors[VL_TRACK_MALFORMED];
        feed_payload(&f, 2, msg, n);
        if (f.got.errors[VL_TRACK_MALFORMED] != had + 1)
            fprintf(stderr, "CBOR not refused: %s\n", bad_items[i].what);
    }
    CHECK(f.got.errors[VL_TRACK_MALFORMED] == before + 14);
    /* Truncated, a byte after the item, JSON text labelled CBOR, empty. */
    feed_payload(&f, 2, hand_cbor, sizeof(hand_cbor) - 1);
    memcpy(msg, hand_cbor, sizeof(hand_cbor));
    msg[sizeof(hand_cbor)] = 0x00;
    feed_payload(&f, 2, msg, sizeof(hand_cbor) + 1);
    feed_payload(&f, 2, "{\"transforms\":[]}", 17);
    feed_payload(&f, 2, "", 0);
    CHECK(f.got.errors[VL_TRACK_MALFORMED] == before + 18);
    CHECK(f.got.n == 4);

    /* Nesting: hand_cbor plus "k": 31 arrays one in another (depth 32 with
     * the top map) is fine; 32 of them are one too deep. */
    for (int depth = 31; depth <= 32; depth++) {
        memcpy(msg, hand_cbor, sizeof(hand_cbor));
        msg[0] = 0xA2;
        n = sizeof(hand_cbor);
        msg[n++] = 0x61;
        msg[n++] = 'k';
        for (int i = 0; i < depth; i++)
            msg[n++] = i == depth - 1 ? 0x80 : 0x81;   /* the innermost empty */
        feed_payload(&f, 2, msg, n);
    }
    CHECK(f.got.n == 5 && f.got.errors[VL_TRACK_MALFORMED] == before + 19);
    /* Far deeper (a 64 KiB message of 0x81 bytes) is refused just as well. */
    uint8_t *deep = malloc(60000);
    memset(deep, 0x81, 60000);
    deep[59999] = 0x80;
    feed_segments(&f, 2, deep, 60000, 30000, -1);
    free(deep);
    CHECK(f.got.n == 5 && f.got.errors[VL_TRACK_MALFORMED] == before + 20);
    vl_otrk_parser_destroy(f.parser);
}

/* ---- camdkit's example samples -------------------------------------------- */

static char *fixture_text(const char *name, size_t *len)
{
    const char *root = getenv("VOLYM_SOURCE_ROOT");
    char path[4096];
    snprintf(path, sizeof(path), "%s/tests/data/opentrackio/%s", root ? root : ".", name);
    char *text = vl_read_file(path, len);
    if (!text)
        fprintf(stderr, "cannot read %s\n", path);
    CHECK(text != NULL);
    return text;
}

/* Numbers read by hand from the files (tests/data/opentrackio). */
static void test_camdkit_examples(void)
{
    struct fixture f;
    fixture_init(&f);
    size_t len;
    char *text = fixture_text("recommended_dynamic_example.json", &len);
    if (text)
        feed_payload(&f, 1, text, len);
    free(text);
    CHECK(f.got.n == 1 && total_errors(&f.got) == 0);
    if (f.got.n == 1) {
        const vl_sample *s = &f.got.samples[0];
        CHECK(s->camera == 1);                              /* sourceNumber 1 */
        CHECK(s->pose.pos[0] == 1 && s->pose.pos[1] == 2 && s->pose.pos[2] == 3);
        CHECK(s->pose.pan_deg == -180 && s->pose.tilt_deg == 90 && s->pose.roll_deg == 45);
        CHECK(s->focus_m == 10.0);                          /* focusDistance */
        CHECK(s->fov_h_deg == 0 && s->sensor_w_mm == 0);    /* no static: no sensor */
        CHECK(s->entrance_pupil_m == 0.123);
        CHECK(s->projection_offset_mm[0] == 0.1 && s->projection_offset_mm[1] == 0.2);
        CHECK(s->overscan == 3.1);
        /* encoders focus 0.1, zoom 0.3 of 65535 */
        CHECK(s->has_encoders && s->focus == 6554 && s->zoom == 19661);
        CHECK(s->has_timecode && s->timecode.hours == 1 && s->timecode.minutes == 2 &&
              s->timecode.seconds == 3 && s->timecode.frames == 4);
        CHECK(s->timecode_rate.num == 24000 && s->timecode_rate.den == 1001);
    }

    text = fixture_text("complete_static_example.json", &len);
    if (text)
        feed_payload(&f, 1, text, len);
    free(text);
    CHECK(f.got.n == 2 && total_errors(&f.got) == 0 && f.events[VL_TRACK_STATIC] == 1);
    if (f.got.n == 2) {
        const vl_sample *s = &f.got.samples[1];
        CHECK(s->camera == 1);
        /* Dolly, Crane Arm, Camera: each (1, 2, 3) turned pan 180, tilt 90,
         * roll 45 from its parent. Worked in track/ with the stage's
         * rotation order; here only what does not depend on it. */
        CHECK(isfinite(s->pose.pos[0]) && isfinite(s->pose.pan_deg));
        CHECK(s->sensor_w_mm == 36 && s->sensor_h_mm == 24);
        CHECK_NEAR(s->fov_h_deg, 2 * atan(36 / (2 * 24.305)) * 180 / M_PI, 1e-12);
        CHECK(s->focus_m == 10.0 && s->entrance_pupil_m == 0.123);
        CHECK(s->projection_offset_mm[0] == 0.1 && s->projection_offset_mm[1] == 0.2);
        /* distortion overscans 3.0 and 2.0, static maximum 1.2 */
        CHECK(s->overscan == 3.0);
        /* rawEncoders focus 1000, zoom 3000 win over the normalised ones */
        CHECK(s->has_encoders && s->focus == 1000 && s->zoom == 3000);
        CHECK(s->has_timecode && s->timecode.frames == 4);
    }
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

/* Two samples from an OpenTrackIO sender in 100-byte datagrams: each
 * datagram numbered one after the other from 0, every one arriving, and
 * both samples put back together. */
static void check_otrk_sender(int fd, int port, enum vl_otrk_encoding encoding)
{
    uint8_t buf[DGRAM_CAP];
    struct fixture f;
    fixture_init(&f);
    vl_track_sender *snd = open_sender("opentrackio", port, 100);
    CHECK(snd && vl_track_sender_set_encoding(snd, encoding));
    CHECK(snd && vl_track_sender_send(snd, &example) && vl_track_sender_send(snd, &example));
    vl_track_sender_close(snd);
    int pieces = 0;
    bool numbered = true, encoded = true;
    for (size_t n; (n = receive(fd, buf, sizeof(buf))) > 0; pieces++) {
        CHECK(n <= 100);
        numbered &= (uint16_t)(buf[6] << 8 | buf[7]) == pieces;
        encoded &= buf[5] == encoding;
        feed(&f, buf, n);
        if (f.got.n == 2)
            break;
    }
    CHECK(pieces > 2 && f.got.n == 2 && total_errors(&f.got) == 0);
    CHECK(numbered && encoded && f.events[VL_TRACK_LOST] == 0);
    CHECK(f.got.samples[1].camera == 2 && f.got.samples[1].zoom == 12345);
    vl_otrk_parser_destroy(f.parser);
}

static void test_senders(void)
{
    int port;
    int fd = udp_listener(&port);
    uint8_t buf[DGRAM_CAP];

    check_otrk_sender(fd, port, VL_OTRK_JSON);
    check_otrk_sender(fd, port, VL_OTRK_CBOR);

    /* FreeD: one D1 message per sample; it has no payload encoding. */
    vl_track_sender *snd = open_sender("freed", port, 0);
    CHECK(snd && !vl_track_sender_set_encoding(snd, VL_OTRK_CBOR));
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
        feed_json(&f, json);
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
        feed_json(&f, json);
        CHECK(f.got.n == before && f.got.errors[VL_TRACK_MALFORMED] == (int)i + 1);
    }
    feed_json(&f, "{\"transforms\":[{\"translation\":{\"x\":0,\"y\":0,\"z\":1},"
                  "\"rotation\":{\"pan\":0,\"tilt\":0,\"roll\":0}}]}");
    CHECK(!f.got.samples[f.got.n - 1].has_timecode);

    vl_sample tc = { .camera = 2, .has_timecode = true, .timecode_rate = { 60000, 1001 },
                     .timecode = { 23, 59, 59, 59, true } };
    char *json = vl_otrk_encode_json(&tc, 7);
    CHECK(json != NULL);
    int before = f.got.n;
    if (json)
        feed_json(&f, json);
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
    test_sequence_numbers();
    test_segments();
    test_message_limit();
    test_source_numbers();
    test_round_trip();
    test_minimal_sample();
    test_rotation_convention();
    test_chained_transforms();
    test_lens();
    test_static();
    test_timecode();
    test_malformed_json();
    test_cbor();
    test_camdkit_examples();
    test_senders();
    return check_result("opentrackio");
}
