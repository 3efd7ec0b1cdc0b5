/* UDP tracker receivers: one socket and one thread per tracker URL. The
 * thread only parses datagrams and pushes samples; everything it learns
 * about bad input goes into counters, never into the log above debug. */
#include "track/track.h"
#include "track/url.h"

#include <errno.h>
#include <netdb.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG "track"
/* How long the thread waits in poll() before it looks at the stop flag:
 * bounds how long vl_tracker_close takes. */
#define POLL_TIMEOUT_MS 100
/* Larger than any UDP payload, so an oversize datagram arrives whole and is
 * counted as a bad length instead of being truncated into a valid one. */
#define MAX_DATAGRAM 65536

const char *const vl_track_error_names[VL_TRACK_N_ERRORS] = {
    [VL_TRACK_BAD_LENGTH] = "bad length",
    [VL_TRACK_BAD_TYPE] = "bad type",
    [VL_TRACK_BAD_CHECKSUM] = "bad checksum",
    [VL_TRACK_BAD_ARGS] = "wrong OSC arguments",
    [VL_TRACK_UNKNOWN_ADDRESS] = "unknown OSC address",
    [VL_TRACK_MALFORMED] = "malformed",
    [VL_TRACK_SEGMENT] = "incomplete segments",
    [VL_TRACK_BAD_SOURCE] = "bad source",
    [VL_TRACK_DUPLICATE] = "duplicates",
    [VL_TRACK_OUT_OF_RANGE] = "out of range",
};

const char *const vl_track_event_names[VL_TRACK_N_EVENTS] = {
    [VL_TRACK_LOST] = "lost",
    [VL_TRACK_STATIC] = "with static data",
};

/* A tracker protocol spoken over UDP. A parser may keep state between
 * datagrams (OSC pose parts, OpenTrackIO segments): create/destroy it. */
struct vl_track_protocol {
    const char *scheme;
    int default_port;           /* used when the URL has none; -1 = port required */
    void *(*create)(void);
    void (*destroy)(void *state);
    /* Decode one datagram: samples and errors go to the sink. */
    void (*parse)(void *state, const uint8_t *buf, size_t len, const vl_track_sink *sink);
};

static void parse_freed(void *state, const uint8_t *buf, size_t len, const vl_track_sink *sink)
{
    (void)state;
    vl_sample s;
    switch (vl_freed_parse(buf, len, &s)) {
    case VL_FREED_OK: sink->sample(sink->ctx, &s); break;
    case VL_FREED_BAD_LENGTH: sink->error(sink->ctx, VL_TRACK_BAD_LENGTH); break;
    case VL_FREED_BAD_TYPE: sink->error(sink->ctx, VL_TRACK_BAD_TYPE); break;
    case VL_FREED_BAD_CHECKSUM: sink->error(sink->ctx, VL_TRACK_BAD_CHECKSUM); break;
    }
}

static void *osc_create(void) { return vl_osc_parser_create(); }
static void osc_destroy(void *p) { vl_osc_parser_destroy(p); }
static void osc_parse(void *p, const uint8_t *buf, size_t len, const vl_track_sink *sink)
{
    vl_osc_parse(p, buf, len, sink);
}

static void *otrk_create(void) { return vl_otrk_parser_create(); }
static void otrk_destroy(void *p) { vl_otrk_parser_destroy(p); }
static void otrk_parse(void *p, const uint8_t *buf, size_t len, const vl_track_sink *sink)
{
    vl_otrk_parse(p, buf, len, sink);
}

static const struct vl_track_protocol protocols[] = {
    /* FreeD has no standard port (40000, 6301, 8001, 1111, 52380 are all
     * common), so the URL must name one; OSC neither (phone apps let you
     * pick one). */
    { "freed", -1, NULL, NULL, parse_freed },
    { "osc", -1, osc_create, osc_destroy, osc_parse },
    { "opentrackio", VL_OTRK_DEFAULT_PORT, otrk_create, otrk_destroy, otrk_parse },
};

/* Per-camera filter state of one tracker; cameras past the table are not
 * smoothed (a stage has a handful). */
#define MAX_FILTERS 16

struct vl_tracker {
    const struct vl_track_protocol *proto;
    vl_tracker_config cfg;
    int source;
    vl_sample_buffer *buffer;   /* may be NULL with a tap */
    vl_track_sink tap;          /* tap.sample NULL: none */
    int fd;
    int port;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;
    _Atomic int64_t delay_ns;   /* set at run time, read per sample */
    /* receiver thread only: */
    uint8_t *rx;                /* MAX_DATAGRAM bytes */
    void *parser;               /* protocol state */
    int64_t rx_ns;              /* receive time of the datagram being parsed */
    bool used;                  /* it gave a sample of our camera */
    int filter_camera[MAX_FILTERS];
    vl_one_euro filters[MAX_FILTERS];
    int n_filters;

    pthread_mutex_t stats_lock;
    vl_tracker_stats stats;     /* guarded by stats_lock */
    /* Receive times of the datagrams that gave a sample, guarded by
     * stats_lock: packet_rx[i % VL_TRACKER_PACKET_RING] for the last
     * VL_TRACKER_PACKET_RING of the n_packets so far. */
    int64_t packet_rx[VL_TRACKER_PACKET_RING];
    uint64_t n_packets;
};

/* The URL's protocol, host and port (the protocol's default when absent). */
static bool parse_url(const char *url, const struct vl_track_protocol **proto, vl_track_url *u)
{
    if (!vl_track_url_parse(url, "tracker", u))
        return false;
    *proto = NULL;
    for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
        if (!strcmp(u->scheme, protocols[i].scheme))
            *proto = &protocols[i];
    }
    if (!*proto) {
        VL_ERR(LOG, "tracker URL '%s': unknown scheme '%s', expected %s", url, u->scheme,
               VL_TRACK_SCHEMES);
        return false;
    }
    if (u->port < 0)
        u->port = (*proto)->default_port;
    if (u->port < 0) {
        VL_ERR(LOG, "tracker URL '%s': no port, expected %s://[host]:port "
               "(0 picks a free port)", url, (*proto)->scheme);
        return false;
    }
    return true;
}

static bool is_multicast(const struct sockaddr *sa)
{
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    return (ntohl(in->sin_addr.s_addr) >> 28) == 0xE;  /* 224.0.0.0/4 */
}

/* A UDP socket bound to host:port. A multicast group as host binds the port
 * on every address and joins the group, so several programs on one machine
 * can listen to the same group. */
static int open_socket(const char *url, const vl_track_url *u, int *bound_port)
{
    char port_str[8];
    snprintf(port_str, sizeof(port_str), "%d", u->port);
    struct addrinfo hints = {
        .ai_family = AF_INET,
        .ai_socktype = SOCK_DGRAM,
        .ai_flags = AI_PASSIVE,
    };
    struct addrinfo *res = NULL;
    int err = getaddrinfo(u->host[0] ? u->host : NULL, port_str, &hints, &res);
    if (err) {
        VL_ERR(LOG, "tracker URL '%s': cannot resolve '%s': %s", url, u->host,
               gai_strerror(err));
        return -1;
    }
    struct sockaddr_in addr;
    memcpy(&addr, res->ai_addr, sizeof(addr));
    freeaddrinfo(res);
    bool group = is_multicast((struct sockaddr *)&addr);
    struct ip_mreq mreq = { .imr_multiaddr = addr.sin_addr,
                            .imr_interface.s_addr = htonl(INADDR_ANY) };
    if (group)
        addr.sin_addr.s_addr = htonl(INADDR_ANY);

    int one = 1;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || (group && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
        bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        VL_ERR(LOG, "tracker URL '%s': cannot bind a UDP socket: %s", url, strerror(errno));
        goto fail;
    }
    if (group && setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0) {
        VL_ERR(LOG, "tracker URL '%s': cannot join multicast group %s: %s (is there a "
               "network route for multicast?)", url, u->host, strerror(errno));
        goto fail;
    }
    socklen_t len = sizeof(addr);
    if (getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        VL_ERR(LOG, "tracker URL '%s': getsockname: %s", url, strerror(errno));
        goto fail;
    }
    *bound_port = ntohs(addr.sin_port);
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    return -1;
}

static vl_one_euro *filter_for(vl_tracker *t, int camera)
{
    for (int i = 0; i < t->n_filters; i++) {
        if (t->filter_camera[i] == camera)
            return &t->filters[i];
    }
    if (t->n_filters == MAX_FILTERS)
        return NULL;
    t->filter_camera[t->n_filters] = camera;
    vl_one_euro *f = &t->filters[t->n_filters++];
    vl_one_euro_init(f, t->cfg.min_cutoff_hz, t->cfg.beta, t->cfg.d_cutoff_hz);
    return f;
}

/* Sink callbacks, called by the parser in the receiver thread. */
static void on_error(void *ctx, enum vl_track_error e);

static void on_sample(void *ctx, const vl_sample *parsed)
{
    vl_tracker *t = ctx;
    bool use = t->cfg.camera < 0 || parsed->camera == t->cfg.camera;
    vl_sample s = *parsed;
    if (use)
        vl_tracker_apply(&t->cfg, &s);
    /* Checked as sent and in stage space (a tracker's scale can take a
     * sane value out of range). */
    if (use && (!vl_sample_in_range(parsed) || !vl_sample_in_range(&s))) {
        on_error(t, VL_TRACK_OUT_OF_RANGE);
        return;
    }
    if (use) {
        s.rx_ns = t->rx_ns;
        s.t_ns = t->rx_ns - atomic_load(&t->delay_ns);
        s.source = t->source;
        vl_one_euro *f = t->cfg.smoothing ? filter_for(t, s.camera) : NULL;
        if (f)
            vl_one_euro_apply(f, &s);
        if (t->buffer)
            vl_sample_buffer_push(t->buffer, &s);
        if (t->tap.sample)
            t->tap.sample(t->tap.ctx, &s);
    }
    /* Counted after the push, so a reader that sees the count also finds
     * the sample in the buffer. */
    t->used |= use;
    pthread_mutex_lock(&t->stats_lock);
    if (use)
        t->stats.samples++;
    else
        t->stats.filtered++;
    pthread_mutex_unlock(&t->stats_lock);
}

static void on_error(void *ctx, enum vl_track_error e)
{
    vl_tracker *t = ctx;
    VL_DEBUG(LOG, "port %d: dropped: %s", t->port, vl_track_error_names[e]);
    pthread_mutex_lock(&t->stats_lock);
    t->stats.errors[e]++;
    pthread_mutex_unlock(&t->stats_lock);
}

static void on_event(void *ctx, enum vl_track_event e, uint32_t n)
{
    vl_tracker *t = ctx;
    pthread_mutex_lock(&t->stats_lock);
    t->stats.events[e] += n;
    pthread_mutex_unlock(&t->stats_lock);
}

static void handle_datagram(vl_tracker *t, size_t len, int64_t rx_ns)
{
    const vl_track_sink sink = { on_sample, on_error, t, on_event };
    t->rx_ns = rx_ns;
    t->used = false;
    t->proto->parse(t->parser, t->rx, len, &sink);
    pthread_mutex_lock(&t->stats_lock);
    t->stats.datagrams++;
    if (t->used)
        t->packet_rx[t->n_packets++ % VL_TRACKER_PACKET_RING] = rx_ns;
    pthread_mutex_unlock(&t->stats_lock);
}

static void *receiver_thread(void *arg)
{
    vl_tracker *t = arg;
    while (!atomic_load(&t->stop)) {
        struct pollfd pfd = { .fd = t->fd, .events = POLLIN };
        if (poll(&pfd, 1, POLL_TIMEOUT_MS) <= 0)
            continue;
        ssize_t n = recv(t->fd, t->rx, MAX_DATAGRAM, MSG_DONTWAIT);
        /* Stamp at receipt: this time is what delay compensation works from. */
        int64_t t_ns = vl_now_ns();
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                VL_DEBUG(LOG, "port %d: recv: %s", t->port, strerror(errno));
            continue;
        }
        handle_datagram(t, (size_t)n, t_ns);
    }
    return NULL;
}

vl_tracker *vl_tracker_open(const vl_tracker_config *cfg, int source, vl_sample_buffer *buffer)
{
    return vl_tracker_open_tap(cfg, source, buffer, NULL);
}

vl_tracker *vl_tracker_open_tap(const vl_tracker_config *cfg, int source,
                                vl_sample_buffer *buffer, const vl_track_sink *tap)
{
    const struct vl_track_protocol *proto;
    vl_track_url u;
    if (!parse_url(cfg->url, &proto, &u))
        return NULL;

    vl_tracker *t = vl_xcalloc(1, sizeof(*t));
    t->proto = proto;
    t->cfg = *cfg;
    t->source = source;
    t->buffer = buffer;
    if (tap)
        t->tap = *tap;
    t->fd = -1;
    atomic_init(&t->stop, false);
    atomic_init(&t->delay_ns, (int64_t)(cfg->delay_ms * 1e6));
    pthread_mutex_init(&t->stats_lock, NULL);
    t->rx = vl_xmalloc(MAX_DATAGRAM);
    t->parser = t->proto->create ? t->proto->create() : NULL;

    t->fd = open_socket(cfg->url, &u, &t->port);
    if (t->fd < 0)
        goto fail;
    int err = pthread_create(&t->thread, NULL, receiver_thread, t);
    if (err) {
        VL_ERR(LOG, "tracker URL '%s': cannot start the receiver thread: %s", cfg->url,
               strerror(err));
        goto fail;
    }
    t->thread_started = true;
    VL_INFO(LOG, "%s: listening on UDP port %d", cfg->url, t->port);
    return t;

fail:
    vl_tracker_close(t);
    return NULL;
}

void vl_tracker_close(vl_tracker *t)
{
    if (!t)
        return;
    if (t->thread_started) {
        atomic_store(&t->stop, true);
        pthread_join(t->thread, NULL);
    }
    if (t->fd >= 0)
        close(t->fd);
    if (t->parser)
        t->proto->destroy(t->parser);
    pthread_mutex_destroy(&t->stats_lock);
    free(t->rx);
    free(t);
}

int vl_tracker_port(const vl_tracker *t)
{
    return t->port;
}

vl_tracker_stats vl_tracker_get_stats(vl_tracker *t)
{
    pthread_mutex_lock(&t->stats_lock);
    vl_tracker_stats s = t->stats;
    pthread_mutex_unlock(&t->stats_lock);
    return s;
}

int vl_tracker_packet_times(vl_tracker *t, uint64_t *cursor, int64_t *out, int max)
{
    pthread_mutex_lock(&t->stats_lock);
    uint64_t oldest = t->n_packets > VL_TRACKER_PACKET_RING ?
                      t->n_packets - VL_TRACKER_PACKET_RING : 0;
    if (*cursor < oldest)
        *cursor = oldest;
    if (*cursor > t->n_packets)
        *cursor = t->n_packets;
    int n = 0;
    for (; n < max && *cursor < t->n_packets; n++, (*cursor)++)
        out[n] = t->packet_rx[*cursor % VL_TRACKER_PACKET_RING];
    pthread_mutex_unlock(&t->stats_lock);
    return n;
}

void vl_tracker_set_delay_ms(vl_tracker *t, double delay_ms)
{
    atomic_store(&t->delay_ns, (int64_t)(delay_ms * 1e6));
}

void vl_tracker_stats_format(const vl_tracker_stats *st, char *buf, size_t n)
{
    int len = snprintf(buf, n, "%llu datagrams, %llu samples, %llu other camera",
                       (unsigned long long)st->datagrams, (unsigned long long)st->samples,
                       (unsigned long long)st->filtered);
    for (int e = 0; e < VL_TRACK_N_EVENTS && len >= 0 && (size_t)len < n; e++) {
        if (st->events[e])
            len += snprintf(buf + len, n - (size_t)len, ", %llu %s",
                            (unsigned long long)st->events[e], vl_track_event_names[e]);
    }
    const char *sep = ", dropped: ";
    for (int e = 0; e < VL_TRACK_N_ERRORS && len >= 0 && (size_t)len < n; e++) {
        if (!st->errors[e])
            continue;
        len += snprintf(buf + len, n - (size_t)len, "%s%llu %s", sep,
                        (unsigned long long)st->errors[e], vl_track_error_names[e]);
        sep = ", ";
    }
}
