/* OpenTrackIO (SMPTE RIS-OSVP) over UDP: the 16-byte datagram header,
 * sequence numbers, reassembly of segmented messages, and their payloads
 * decoded, JSON by jansson, CBOR by opentrackio_cbor.c into the same
 * jansson value, for opentrackio_message.c to read. The contract is in
 * track.h; here, why it is so.
 *
 * Reassembly follows the spec's reference receiver (opentrackio_receiver.py
 * in SMPTE's camdkit) and Unreal's LiveLinkOpenTrackIO: the reference
 * sender gives every datagram its own sequence number, so segments cannot
 * be matched by number; they are appended in arrival order while each
 * starts where the message so far ends. One message is in progress per
 * parser, in one buffer allocated with it. */
#include "track/track.h"
#include "track/opentrackio_cbor.h"
#include "track/opentrackio_message.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC "OTrk"
#define LAST_SEGMENT 0x8000
#define MAX_SEGMENT_PAYLOAD 0x7FFF      /* 15-bit payload length */
#define CHECKSUM_OFFSET 14              /* the checksum covers the header
                                           bytes before it */
#define MAX_MESSAGE VL_OTRK_MAX_MESSAGE
/* Sequence numbers remembered behind the newest: a repeat among them is a
 * duplicate (multicast over two paths repeats within a few datagrams). */
#define SEQUENCE_WINDOW 32
/* The largest forward jump counted as lost datagrams; a larger one, either
 * way round the 16-bit circle, is a sender that restarted. */
#define MAX_GAP 1024

struct header {
    uint8_t encoding;
    uint16_t sequence;
    uint32_t offset;
    bool last;
    uint16_t length;
};

enum rx_state {
    RX_IDLE,                            /* between messages */
    RX_OPEN,                            /* a segmented message in progress */
    RX_DISCARDING,                      /* a broken message's segments keep
                                           coming: ignored, counted once */
};

struct vl_otrk_parser {
    bool have_sequence;
    uint16_t newest;                    /* highest sequence number so far */
    uint32_t seen;                      /* bit i: newest - i arrived */

    enum rx_state state;
    uint8_t encoding;                   /* of the message in progress */
    uint32_t received;                  /* its bytes so far */
    uint8_t *data;                      /* MAX_MESSAGE bytes */

    vl_otrk_sources *sources;           /* their static data */
};

vl_otrk_parser *vl_otrk_parser_create(void)
{
    vl_otrk_parser *p = vl_xcalloc(1, sizeof(*p));
    p->data = vl_xmalloc(MAX_MESSAGE);
    p->sources = vl_otrk_sources_create();
    return p;
}

void vl_otrk_parser_destroy(vl_otrk_parser *p)
{
    if (!p)
        return;
    vl_otrk_sources_destroy(p->sources);
    free(p->data);
    free(p);
}

/* ---- datagram header ------------------------------------------------------ */

/* Fletcher-16 "with a modulus of 256" (the spec's header table and its
 * reference code, uint8_t sums); like every header field it travels
 * big-endian, so sum2 is the first checksum byte on the wire. */
struct fletcher {
    uint8_t sum1, sum2;
};

static void fletcher_add(struct fletcher *f, const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        f->sum1 = (uint8_t)(f->sum1 + data[i]);
        f->sum2 = (uint8_t)(f->sum2 + f->sum1);
    }
}

uint16_t vl_fletcher16(const uint8_t *data, size_t len)
{
    struct fletcher f = { 0, 0 };
    if (data)
        fletcher_add(&f, data, len);
    return (uint16_t)(f.sum2 << 8 | f.sum1);
}

/* Over the header up to the checksum, then the payload. */
static uint16_t datagram_checksum(const uint8_t *header, const uint8_t *payload, size_t len)
{
    struct fletcher f = { 0, 0 };
    fletcher_add(&f, header, CHECKSUM_OFFSET);
    fletcher_add(&f, payload, len);
    return (uint16_t)(f.sum2 << 8 | f.sum1);
}

static uint16_t get_u16(const uint8_t *b)
{
    return (uint16_t)(b[0] << 8 | b[1]);
}

static void put_u16(uint8_t *b, uint16_t v)
{
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
}

/* The checks run in the order that names the real problem: a datagram that
 * is not OpenTrackIO at all is a bad type, not a bad checksum. */
static bool read_header(const uint8_t *buf, size_t len, struct header *h,
                        enum vl_track_error *err)
{
    if (!buf || len < VL_OTRK_HEADER_SIZE) {
        *err = VL_TRACK_BAD_LENGTH;
        return false;
    }
    if (memcmp(buf, MAGIC, 4)) {
        *err = VL_TRACK_BAD_TYPE;
        return false;
    }
    uint16_t flags_len = get_u16(buf + 12);
    *h = (struct header){
        .encoding = buf[5],
        .sequence = get_u16(buf + 6),
        .offset = (uint32_t)get_u16(buf + 8) << 16 | get_u16(buf + 10),
        .last = flags_len & LAST_SEGMENT,
        .length = flags_len & MAX_SEGMENT_PAYLOAD,
    };
    if (h->length != len - VL_OTRK_HEADER_SIZE) {
        *err = VL_TRACK_BAD_LENGTH;
        return false;
    }
    if (get_u16(buf + CHECKSUM_OFFSET) != datagram_checksum(buf, buf + VL_OTRK_HEADER_SIZE,
                                                            h->length)) {
        *err = VL_TRACK_BAD_CHECKSUM;
        return false;
    }
    return true;
}

/* a - b in sequence-number space (wraps at 16 bits). */
static int seq_diff(uint16_t a, uint16_t b)
{
    int d = (a - b) & 0xFFFF;
    return d >= 0x8000 ? d - 0x10000 : d;
}

/* False when the datagram is to be ignored: a duplicate (counted), or a late
 * one behind the newest, whose place was counted as lost when the newer one
 * came and whose pose would be stamped after newer poses. */
static bool fresh_sequence(vl_otrk_parser *p, uint16_t sequence, const vl_track_sink *sink)
{
    int d = seq_diff(sequence, p->newest);
    if (p->have_sequence && d <= 0 && d > -SEQUENCE_WINDOW) {
        if (p->seen >> -d & 1)
            report(sink, VL_TRACK_DUPLICATE);
        return false;
    }
    if (p->have_sequence && d > 0 && d <= MAX_GAP) {
        if (d > 1)
            note(sink, VL_TRACK_LOST, (uint32_t)(d - 1));
        p->seen = d < SEQUENCE_WINDOW ? p->seen << d | 1 : 1;
    } else {
        p->seen = 1;                    /* the first datagram, or a restart */
    }
    p->have_sequence = true;
    p->newest = sequence;
    return true;
}

/* ---- payloads ------------------------------------------------------------- */

static void decode(vl_otrk_parser *p, uint8_t encoding, const uint8_t *payload, size_t len,
                   const vl_track_sink *sink)
{
    json_error_t err;
    json_t *root = encoding == VL_OTRK_CBOR ? vl_otrk_cbor_to_json(payload, len)
                                            : json_loadb((const char *)payload, len, 0, &err);
    if (root)
        vl_otrk_use_message(p->sources, root, sink);
    else
        report(sink, VL_TRACK_MALFORMED);
    json_decref(root);
}

/* ---- reassembly ----------------------------------------------------------- */

static void reassemble(vl_otrk_parser *p, const struct header *h, const uint8_t *payload,
                       const vl_track_sink *sink)
{
    if (h->offset == 0) {
        if (p->state == RX_OPEN)
            report(sink, VL_TRACK_SEGMENT);     /* its last segment never came */
        p->state = RX_IDLE;
        /* The common case, a whole message in one datagram, needs no copy. */
        if (h->last) {
            decode(p, h->encoding, payload, h->length, sink);
            return;
        }
        memcpy(p->data, payload, h->length);
        p->received = h->length;
        p->encoding = h->encoding;
        p->state = RX_OPEN;
        return;
    }
    if (p->state == RX_DISCARDING)
        return;
    /* A segment of a message whose start was lost, one after a lost
     * segment, or one that would pass MAX_MESSAGE. */
    if (p->state != RX_OPEN || h->offset != p->received || h->encoding != p->encoding ||
        h->length > MAX_MESSAGE - p->received) {
        report(sink, VL_TRACK_SEGMENT);
        p->state = RX_DISCARDING;
        return;
    }
    memcpy(p->data + p->received, payload, h->length);
    p->received += h->length;
    if (h->last) {
        p->state = RX_IDLE;
        decode(p, p->encoding, p->data, p->received, sink);
    }
}

void vl_otrk_parse(vl_otrk_parser *p, const uint8_t *buf, size_t len, const vl_track_sink *sink)
{
    struct header h;
    enum vl_track_error err;
    if (!read_header(buf, len, &h, &err)) {
        report(sink, err);
        return;
    }
    /* Sequence numbers first: they count every datagram of the sender,
     * whatever its encoding. */
    if (!fresh_sequence(p, h.sequence, sink))
        return;
    if (h.encoding != VL_OTRK_JSON && h.encoding != VL_OTRK_CBOR) {
        report(sink, VL_TRACK_BAD_TYPE);        /* OTP, vendor encodings */
        return;
    }
    reassemble(p, &h, buf + VL_OTRK_HEADER_SIZE, sink);
}

/* ---- sending -------------------------------------------------------------- */

static void write_header(uint8_t *d, enum vl_otrk_encoding encoding, uint16_t sequence,
                         uint32_t offset, bool last, uint16_t length)
{
    memcpy(d, MAGIC, 4);
    d[4] = 0;
    d[5] = (uint8_t)encoding;
    put_u16(d + 6, sequence);
    put_u16(d + 8, (uint16_t)(offset >> 16));
    put_u16(d + 10, (uint16_t)offset);
    put_u16(d + 12, (uint16_t)(length | (last ? LAST_SEGMENT : 0)));
    put_u16(d + CHECKSUM_OFFSET, datagram_checksum(d, d + VL_OTRK_HEADER_SIZE, length));
}

int vl_otrk_segment(const uint8_t *payload, size_t len, enum vl_otrk_encoding encoding,
                    uint16_t *sequence, size_t max_datagram,
                    void (*emit)(void *ctx, const uint8_t *dgram, size_t n), void *ctx)
{
    if (max_datagram <= VL_OTRK_HEADER_SIZE || len > MAX_MESSAGE)
        return 0;
    size_t room = max_datagram - VL_OTRK_HEADER_SIZE;
    if (room > MAX_SEGMENT_PAYLOAD)
        room = MAX_SEGMENT_PAYLOAD;
    uint8_t *dgram = vl_xmalloc(VL_OTRK_HEADER_SIZE + room);
    int n = 0;
    size_t offset = 0;
    do {
        size_t chunk = len - offset < room ? len - offset : room;
        memcpy(dgram + VL_OTRK_HEADER_SIZE, payload + offset, chunk);
        write_header(dgram, encoding, (*sequence)++, (uint32_t)offset, offset + chunk == len,
                     (uint16_t)chunk);
        emit(ctx, dgram, VL_OTRK_HEADER_SIZE + chunk);
        offset += chunk;
        n++;
    } while (offset < len);
    free(dgram);
    return n;
}
