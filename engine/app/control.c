/* OSC control server: one UDP socket, one receiver thread, one bounded
 * queue. volym owns the socket (as track/ does) rather than a lo_server:
 * it binds 127.0.0.1 by default, counts every bad datagram per instance,
 * and answers stats queries from the same socket. liblo decodes and
 * encodes the messages. */
#include "app/control.h"
#include "core/core.h"
#include "stage/stage.h"

#include <arpa/inet.h>
#include <errno.h>
#include <lo/lo.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG "control"
/* How long the thread waits in poll() before it looks at the stop flag:
 * bounds how long vl_control_close takes. */
#define POLL_TIMEOUT_MS 100
#define MAX_DATAGRAM 65536              /* more than any UDP payload */
#define BUNDLE_TAG "#bundle"            /* with its NUL: 8 bytes */
#define BUNDLE_TAG_SIZE 8
#define BUNDLE_HEADER_SIZE 16           /* tag + 64-bit time tag */
#define MAX_BUNDLE_DEPTH 8
#define MAX_ARGS 6
#define CANVAS_MAX 65536.0              /* as the stage JSON's card rect */
#define INDEX_MAX 255.0                 /* outputs and trackers */

/* ---- the address table ---------------------------------------------------- */

enum arg_type {
    ARG_NUMBER,     /* i h f d -> v[nv++] */
    ARG_WHOLE,      /* i h f d with a whole value -> index */
    ARG_FLAG,       /* 0 or 1 as a number, or T / F -> index */
    ARG_PATH,       /* s S, 1 .. VL_CONTROL_TEXT_MAX bytes -> text */
    ARG_NAME,       /* s S, 1 .. VL_CONTROL_NAME_MAX bytes -> text */
    ARG_TRANSFER,   /* s S: a vl_transfer_parse name -> text */
};

struct arg_spec {
    enum arg_type type;
    double min, max;
};

struct address {
    const char *path;
    int n_required, n_args;         /* the rest are optional */
    struct arg_spec args[MAX_ARGS];
};

#define NUM(lo, hi) { ARG_NUMBER, lo, hi }
#define WHOLE(lo, hi) { ARG_WHOLE, lo, hi }
#define FLAG { ARG_FLAG, 0, 1 }
#define PATH { ARG_PATH, 0, 0 }
#define NAME { ARG_NAME, 0, 0 }
#define UNIT NUM(0, 1)

/* Each command carries at most one whole number and one string, so an
 * argument's type alone says where it goes. Ranges are the stage JSON's
 * where it has the same setting. Keep README "OSC control" in step with
 * this table. */
static const struct address addresses[VL_CONTROL_N_KINDS] = {
    [VL_CONTROL_PLATE_PLAY] = { "/volym/plate/play", 0, 0, { { 0 } } },
    [VL_CONTROL_PLATE_PAUSE] = { "/volym/plate/pause", 0, 0, { { 0 } } },
    /* At most 1e6 s (11.6 days): longer than any plate, and small enough
     * that frame arithmetic on it cannot overflow 64 bits. */
    [VL_CONTROL_PLATE_SEEK] = { "/volym/plate/seek", 1, 1, { NUM(0, 1e6) } },
    [VL_CONTROL_PLATE_OPEN] = { "/volym/plate/open", 1, 1, { PATH } },
    [VL_CONTROL_SCENE] = { "/volym/scene", 1, 1, { PATH } },
    [VL_CONTROL_OVERSCAN] = { "/volym/overscan", 1, 1, { NUM(0, 2) } },
    [VL_CONTROL_SOFTEDGE] = { "/volym/softedge", 1, 1, { NUM(0, 0.5) } },
    [VL_CONTROL_CHROMA] = { "/volym/chroma", 1, 1, { FLAG } },
    [VL_CONTROL_CHROMA_COLOR] = { "/volym/chroma/color", 3, 3, { UNIT, UNIT, UNIT } },
    [VL_CONTROL_CHROMA_MARKERS] = { "/volym/chroma/markers", 1, 1, { FLAG } },
    [VL_CONTROL_TRACKER_DELAY] = { "/volym/tracker/delay", 1, 2,
                                   { NUM(0, 2000), WHOLE(0, INDEX_MAX) } },
    [VL_CONTROL_OUTER_FREEZE] = { "/volym/outer/freeze", 1, 1, { FLAG } },
    [VL_CONTROL_CARD] = { "/volym/card", 2, 2, { NAME, FLAG } },
    [VL_CONTROL_CARD_RECT] = { "/volym/card/rect", 5, 6,
                               { NAME, NUM(-CANVAS_MAX, CANVAS_MAX),
                                 NUM(-CANVAS_MAX, CANVAS_MAX), NUM(0, CANVAS_MAX),
                                 NUM(0, CANVAS_MAX), WHOLE(0, INDEX_MAX) } },
    [VL_CONTROL_CARD_COLOR] = { "/volym/card/color", 4, 5,
                                { NAME, UNIT, UNIT, UNIT, NUM(0, 100) } },
    [VL_CONTROL_CARD_OVER] = { "/volym/card/over", 2, 2, { NAME, FLAG } },
    [VL_CONTROL_OUTPUT_BRIGHTNESS] = { "/volym/output/brightness", 2, 2,
                                       { WHOLE(0, INDEX_MAX), NUM(0, 10) } },
    [VL_CONTROL_OUTPUT_TRANSFER] = { "/volym/output/transfer", 2, 2,
                                     { WHOLE(0, INDEX_MAX), { ARG_TRANSFER, 0, 0 } } },
    [VL_CONTROL_STATS] = { "/volym/stats", 0, 1, { WHOLE(1, 65535) } },
};

const char *vl_control_kind_name(int kind)
{
    if (kind == VL_CONTROL_NONE)
        return "none";
    if (kind < 0 || kind >= VL_CONTROL_N_KINDS)
        return "?";
    return addresses[kind].path;
}

static enum vl_control_kind find_kind(const char *path)
{
    for (int k = VL_CONTROL_NONE + 1; k < VL_CONTROL_N_KINDS; k++) {
        if (!strcmp(path, addresses[k].path))
            return (enum vl_control_kind)k;
    }
    return VL_CONTROL_NONE;
}

/* ---- the server ----------------------------------------------------------- */

struct vl_control {
    int fd;
    int port;
    char address[INET_ADDRSTRLEN + 8];
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;

    /* Receiver thread only. */
    uint8_t *rx;                        /* MAX_DATAGRAM bytes */
    vl_control_cmd scratch;             /* the command being parsed */

    /* Guarded by lock. */
    pthread_mutex_t lock;
    vl_control_cmd *queue;              /* VL_CONTROL_QUEUE_SIZE, a ring */
    int head, count;
    int64_t received, unknown, malformed, dropped;
};

enum outcome { QUEUED, UNKNOWN, MALFORMED };

static void count_message(vl_control *c, enum outcome o, const vl_control_cmd *cmd)
{
    pthread_mutex_lock(&c->lock);
    c->received++;
    if (o == UNKNOWN) {
        c->unknown++;
    } else if (o == MALFORMED) {
        c->malformed++;
    } else if (c->count == VL_CONTROL_QUEUE_SIZE) {
        c->dropped++;
    } else {
        c->queue[(c->head + c->count) % VL_CONTROL_QUEUE_SIZE] = *cmd;
        c->count++;
    }
    pthread_mutex_unlock(&c->lock);
}

/* ---- arguments ------------------------------------------------------------ */

/* Argument i of m as a finite number (sent as i, h, f or d; T and F too
 * when flag). */
static bool get_number(lo_message m, int i, bool flag, double *out)
{
    const char type = lo_message_get_types(m)[i];
    const lo_arg *arg = lo_message_get_argv(m)[i];
    /* memcpy: liblo leaves 8-byte values at 4-byte aligned offsets. */
    int32_t i32;
    int64_t i64;
    float f;
    switch (type) {
    case LO_INT32: memcpy(&i32, arg, sizeof(i32)); *out = i32; break;
    case LO_INT64: memcpy(&i64, arg, sizeof(i64)); *out = (double)i64; break;
    case LO_FLOAT: memcpy(&f, arg, sizeof(f)); *out = f; break;
    case LO_DOUBLE: memcpy(out, arg, sizeof(*out)); break;
    case LO_TRUE: *out = 1; return flag;
    case LO_FALSE: *out = 0; return flag;
    default: return false;
    }
    return isfinite(*out);
}

static bool get_text(lo_message m, int i, enum arg_type type, char *text)
{
    const char t = lo_message_get_types(m)[i];
    if (t != LO_STRING && t != LO_SYMBOL)
        return false;
    const char *s = (const char *)lo_message_get_argv(m)[i];
    size_t len = strlen(s);
    size_t max = type == ARG_NAME ? VL_CONTROL_NAME_MAX : VL_CONTROL_TEXT_MAX;
    if (len == 0 || len > max)
        return false;
    vl_transfer transfer;
    if (type == ARG_TRANSFER && !vl_transfer_parse(s, &transfer))
        return false;
    memcpy(text, s, len + 1);
    return true;
}

/* Fill cmd from m as address kind says; false when m does not fit. */
static bool build(enum vl_control_kind kind, lo_message m, vl_control_cmd *cmd)
{
    const struct address *a = &addresses[kind];
    int argc = lo_message_get_argc(m);
    if (argc < a->n_required || argc > a->n_args)
        return false;
    cmd->kind = kind;
    cmd->nv = 0;
    memset(cmd->v, 0, sizeof(cmd->v));
    cmd->index = -1;
    cmd->text[0] = '\0';
    cmd->reply.ipv4 = 0;
    cmd->reply.port = 0;
    for (int i = 0; i < argc; i++) {
        const struct arg_spec *spec = &a->args[i];
        double v;
        switch (spec->type) {
        case ARG_NUMBER:
        case ARG_WHOLE:
        case ARG_FLAG:
            if (!get_number(m, i, spec->type == ARG_FLAG, &v) || v < spec->min ||
                v > spec->max || (spec->type != ARG_NUMBER && v != floor(v)))
                return false;
            if (spec->type == ARG_NUMBER)
                cmd->v[cmd->nv++] = v;
            else
                cmd->index = (int)v;
            break;
        case ARG_PATH:
        case ARG_NAME:
        case ARG_TRANSFER:
            if (!get_text(m, i, spec->type, cmd->text))
                return false;
            break;
        }
    }
    return true;
}

/* ---- datagrams ------------------------------------------------------------ */

/* liblo 0.31 reads a blob's 4-byte size before checking that 4 bytes are
 * left, so a message whose type tags name a blob is never handed to it (as
 * in track/osc.c): no control address takes a blob. tags_size is what is
 * left after the path. */
static bool names_blob(const uint8_t *tags, size_t tags_size)
{
    const uint8_t *nul = memchr(tags, '\0', tags_size);
    return tags_size > 0 && tags[0] == ',' && nul &&
           memchr(tags, LO_BLOB, (size_t)(nul - tags));
}

static void parse_message(vl_control *c, const uint8_t *buf, size_t len,
                          const struct sockaddr_in *from)
{
    /* liblo takes buffers as non-const; it only reads them. */
    const char *path = lo_get_path((void *)buf, (ssize_t)len);
    if (!path) {
        count_message(c, MALFORMED, NULL);
        return;
    }
    enum vl_control_kind kind = find_kind(path);
    size_t path_size = (strlen(path) / 4 + 1) * 4;
    if (names_blob(buf + path_size, len - path_size)) {
        count_message(c, kind == VL_CONTROL_NONE ? UNKNOWN : MALFORMED, NULL);
        return;
    }
    int result = 0;
    lo_message m = lo_message_deserialise((void *)buf, len, &result);
    vl_control_cmd *cmd = &c->scratch;
    enum outcome o = !m ? MALFORMED
                   : kind == VL_CONTROL_NONE ? UNKNOWN
                   : build(kind, m, cmd) ? QUEUED : MALFORMED;
    if (m)
        lo_message_free(m);
    if (o == QUEUED && kind == VL_CONTROL_STATS) {
        cmd->reply.ipv4 = from->sin_addr.s_addr;
        cmd->reply.port = cmd->index > 0 ? (uint16_t)cmd->index : ntohs(from->sin_port);
    }
    count_message(c, o, cmd);
}

static uint32_t get_u32(const uint8_t *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static void parse_element(vl_control *c, const uint8_t *buf, size_t len,
                          const struct sockaddr_in *from, int depth);

/* "#bundle", a time tag (ignored: commands apply at the next frame), then
 * elements, each a big-endian int32 size and that many bytes. A bad size
 * ends the walk: nothing after it can be found again. */
static void parse_bundle(vl_control *c, const uint8_t *buf, size_t len,
                         const struct sockaddr_in *from, int depth)
{
    if (depth >= MAX_BUNDLE_DEPTH || len < BUNDLE_HEADER_SIZE) {
        count_message(c, MALFORMED, NULL);
        return;
    }
    size_t off = BUNDLE_HEADER_SIZE;
    while (off < len) {
        if (len - off < 4) {
            count_message(c, MALFORMED, NULL);
            return;
        }
        uint32_t size = get_u32(buf + off);
        off += 4;
        if (size == 0 || size % 4 != 0 || size > len - off) {
            count_message(c, MALFORMED, NULL);
            return;
        }
        parse_element(c, buf + off, size, from, depth + 1);
        off += size;
    }
}

static void parse_element(vl_control *c, const uint8_t *buf, size_t len,
                          const struct sockaddr_in *from, int depth)
{
    if (len >= BUNDLE_TAG_SIZE && !memcmp(buf, BUNDLE_TAG, BUNDLE_TAG_SIZE))
        parse_bundle(c, buf, len, from, depth);
    else if (len == 0)
        count_message(c, MALFORMED, NULL);
    else
        parse_message(c, buf, len, from);
}

static void *receiver_thread(void *arg)
{
    vl_control *c = arg;
    struct pollfd p = { .fd = c->fd, .events = POLLIN };
    while (!atomic_load(&c->stop)) {
        if (poll(&p, 1, POLL_TIMEOUT_MS) <= 0)
            continue;
        struct sockaddr_in from;
        socklen_t from_len = sizeof(from);
        ssize_t n = recvfrom(c->fd, c->rx, MAX_DATAGRAM, 0, (struct sockaddr *)&from,
                             &from_len);
        if (n < 0) {
            VL_DEBUG(LOG, "port %d: recv: %s", c->port, strerror(errno));
            continue;
        }
        parse_element(c, c->rx, (size_t)n, &from, 0);
    }
    return NULL;
}

/* ---- open and close ------------------------------------------------------- */

static void fail_msg(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail_msg(char *err, size_t errlen, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (err && errlen)
        snprintf(err, errlen, "%s", msg);
    else
        VL_ERR(LOG, "%s", msg);
}

/* "PORT" or "ADDR:PORT" into an IPv4 socket address. */
static bool parse_bind(const char *bind, struct sockaddr_in *addr, char *err, size_t errlen)
{
    static const char usage[] = "expected PORT or ADDR:PORT (e.g. 9000 or 0.0.0.0:9000)";
    const char *colon = bind ? strrchr(bind, ':') : NULL;
    const char *port_str = colon ? colon + 1 : bind;
    char host[256] = "127.0.0.1";
    if (colon) {
        size_t n = (size_t)(colon - bind);
        if (n == 0 || n >= sizeof(host) || memchr(bind, ':', n)) {
            fail_msg(err, errlen, "OSC control '%s': %s (IPv4 only)", bind, usage);
            return false;
        }
        memcpy(host, bind, n);
        host[n] = '\0';
    }
    char *end = NULL;
    errno = 0;
    long port = port_str ? strtol(port_str, &end, 10) : -1;
    if (!port_str || port_str[0] < '0' || port_str[0] > '9' || *end || errno ||
        port > 65535) {
        fail_msg(err, errlen, "OSC control '%s': %s; the port is 0..65535 (0: any free)",
                 bind ? bind : "(null)", usage);
        return false;
    }
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM };
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, NULL, &hints, &res);
    if (gai) {
        fail_msg(err, errlen, "OSC control '%s': cannot resolve '%s': %s", bind, host,
                 gai_strerror(gai));
        return false;
    }
    memcpy(addr, res->ai_addr, sizeof(*addr));
    freeaddrinfo(res);
    addr->sin_port = htons((uint16_t)port);
    return true;
}

vl_control *vl_control_open(const char *bind_text, char *err, size_t errlen)
{
    struct sockaddr_in addr;
    if (!parse_bind(bind_text, &addr, err, errlen))
        return NULL;
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr.sin_addr, host, sizeof(host));

    vl_control *c = vl_xcalloc(1, sizeof(*c));
    c->fd = -1;
    atomic_init(&c->stop, false);
    pthread_mutex_init(&c->lock, NULL);
    c->rx = vl_xmalloc(MAX_DATAGRAM);
    c->queue = vl_xcalloc(VL_CONTROL_QUEUE_SIZE, sizeof(*c->queue));

    c->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fail_msg(err, errlen, "OSC control: cannot bind UDP %s:%d: %s", host,
                 ntohs(addr.sin_port), strerror(errno));
        goto fail;
    }
    socklen_t len = sizeof(addr);
    if (getsockname(c->fd, (struct sockaddr *)&addr, &len) < 0) {
        fail_msg(err, errlen, "OSC control: getsockname on %s: %s", host, strerror(errno));
        goto fail;
    }
    c->port = ntohs(addr.sin_port);
    snprintf(c->address, sizeof(c->address), "%s:%d", host, c->port);

    int e = pthread_create(&c->thread, NULL, receiver_thread, c);
    if (e) {
        fail_msg(err, errlen, "OSC control on %s: cannot start its thread: %s", c->address,
                 strerror(e));
        goto fail;
    }
    c->thread_started = true;
    VL_INFO(LOG, "OSC control on UDP %s", c->address);
    return c;

fail:
    vl_control_close(c);
    return NULL;
}

void vl_control_close(vl_control *c)
{
    if (!c)
        return;
    if (c->thread_started) {
        atomic_store(&c->stop, true);
        pthread_join(c->thread, NULL);
    }
    if (c->fd >= 0)
        close(c->fd);
    pthread_mutex_destroy(&c->lock);
    free(c->queue);
    free(c->rx);
    free(c);
}

int vl_control_port(const vl_control *c)
{
    return c->port;
}

const char *vl_control_address(const vl_control *c)
{
    return c->address;
}

/* ---- the render thread's side --------------------------------------------- */

bool vl_control_next(vl_control *c, vl_control_cmd *cmd)
{
    pthread_mutex_lock(&c->lock);
    bool any = c->count > 0;
    if (any) {
        *cmd = c->queue[c->head];
        c->head = (c->head + 1) % VL_CONTROL_QUEUE_SIZE;
        c->count--;
    }
    pthread_mutex_unlock(&c->lock);
    return any;
}

void vl_control_counts(vl_control *c, int64_t *received, int64_t *unknown,
                       int64_t *malformed, int64_t *dropped)
{
    pthread_mutex_lock(&c->lock);
    if (received)
        *received = c->received;
    if (unknown)
        *unknown = c->unknown;
    if (malformed)
        *malformed = c->malformed;
    if (dropped)
        *dropped = c->dropped;
    pthread_mutex_unlock(&c->lock);
}

void vl_control_cmd_free(vl_control_cmd *cmd)
{
    cmd->kind = VL_CONTROL_NONE;
    cmd->reply.port = 0;
}

/* A fixed-size char field as an OSC string (it need not end in NUL). */
static void add_field(lo_message m, const char *field, size_t size)
{
    char s[64];
    size_t n = strnlen(field, size < sizeof(s) ? size : sizeof(s) - 1);
    memcpy(s, field, n);
    s[n] = '\0';
    lo_message_add_string(m, s);
}

bool vl_control_reply_stats(vl_control *c, vl_control_cmd *cmd, const vl_control_stats *st)
{
    if (cmd->kind != VL_CONTROL_STATS || cmd->reply.port == 0)
        return false;
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(cmd->reply.port),
                              .sin_addr.s_addr = cmd->reply.ipv4 };
    vl_control_cmd_free(cmd);

    static const char path[] = "/volym/stats";
    lo_message m = lo_message_new();
    if (!m)
        return false;
    lo_message_add_int64(m, st->frame);
    lo_message_add_int64(m, st->dropped);
    lo_message_add_int64(m, st->late);
    lo_message_add_double(m, st->fps);
    lo_message_add_double(m, st->frame_ms_p50);
    lo_message_add_double(m, st->frame_ms_p99);
    lo_message_add_double(m, st->pose_age_ms);
    add_field(m, st->timecode, sizeof(st->timecode));
    add_field(m, st->clock, sizeof(st->clock));
    lo_message_add_double(m, st->phase_error_ms);
    lo_message_add_int64(m, st->plate_frame);
    lo_message_add_int32(m, st->plate_playing ? 1 : 0);

    uint8_t buf[256];
    size_t size = lo_message_length(m, path);
    bool ok = size <= sizeof(buf);
    if (ok) {
        lo_message_serialise(m, path, buf, &size);
        ok = sendto(c->fd, buf, size, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to)) ==
             (ssize_t)size;
        if (!ok)
            VL_DEBUG(LOG, "stats answer to port %d: %s", ntohs(to.sin_port), strerror(errno));
    }
    lo_message_free(m);
    return ok;
}
