/* The private receiver of probe and record (see rx.h for why it exists). */
#include "rx.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG "track"
/* Larger than any UDP payload: an oversize datagram arrives whole and is
 * counted as a bad length. */
#define MAX_DATAGRAM 65536
/* Datagrams handled per track_rx_wait at most, so a flood cannot keep the
 * caller from its status lines and stop checks. */
#define MAX_BATCH 256

enum proto { PROTO_FREED, PROTO_OSC, PROTO_OTRK };
#define N_PROTOS 3

static const struct {
    const char *scheme;
    int default_port;           /* -1: the URL must name one */
} protos[N_PROTOS] = {
    [PROTO_FREED] = { "freed", -1 },
    [PROTO_OSC] = { "osc", -1 },
    [PROTO_OTRK] = { "opentrackio", VL_OTRK_DEFAULT_PORT },
};

struct track_rx {
    vl_tracker_config cfg;
    enum proto proto;
    vl_osc_parser *osc;
    vl_otrk_parser *otrk;
    int fd;
    track_rx_fn fn;
    void *ctx;
    int64_t rx_ns;              /* receive time of the datagram being parsed */
    vl_tracker_stats stats;
    uint8_t buf[MAX_DATAGRAM];
};

/* "scheme://[host][:port]" into proto, host (host_n bytes) and port. */
static bool parse_url(const char *url, enum proto *proto, char *host, size_t host_n, int *port)
{
    const char *sep = strstr(url, "://");
    int p = 0;
    while (sep && p < N_PROTOS && (strlen(protos[p].scheme) != (size_t)(sep - url) ||
                                   strncmp(url, protos[p].scheme, (size_t)(sep - url))))
        p++;
    if (!sep || p == N_PROTOS) {
        VL_ERR(LOG, "tracker URL '%s': expected freed://[host]:port, osc://[host]:port or "
               "opentrackio://[host][:port]", url);
        return false;
    }
    *proto = (enum proto)p;
    const char *colon = strrchr(sep + 3, ':');
    size_t len = colon ? (size_t)(colon - sep - 3) : strlen(sep + 3);
    char *end = NULL;
    long v = colon ? strtol(colon + 1, &end, 10) : protos[p].default_port;
    if (len >= host_n || v < 0 || v > 65535 || (colon && (end == colon + 1 || *end))) {
        VL_ERR(LOG, "tracker URL '%s': expected %s://[host]:port with a port from 0 to 65535",
               url, protos[p].scheme);
        return false;
    }
    memcpy(host, sep + 3, len);
    host[len] = '\0';
    *port = (int)v;
    return true;
}

/* A UDP socket bound to host:port; a multicast group as host binds any
 * address and joins the group. Returns the fd and the port, or -1. */
static int open_socket(const char *url, const char *host, int port, int *bound_port)
{
    char port_str[8];
    snprintf(port_str, sizeof(port_str), "%d", port);
    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM, .ai_flags = AI_PASSIVE };
    struct addrinfo *res = NULL;
    int err = getaddrinfo(host[0] ? host : NULL, port_str, &hints, &res);
    if (err) {
        VL_ERR(LOG, "tracker URL '%s': cannot resolve '%s': %s", url, host, gai_strerror(err));
        return -1;
    }
    struct sockaddr_in addr;
    memcpy(&addr, res->ai_addr, sizeof(addr));
    freeaddrinfo(res);
    struct ip_mreq mreq = { .imr_multiaddr = addr.sin_addr, .imr_interface.s_addr = htonl(INADDR_ANY) };
    bool group = (ntohl(addr.sin_addr.s_addr) >> 28) == 0xE;    /* 224.0.0.0/4 */
    if (group)
        addr.sin_addr.s_addr = htonl(INADDR_ANY);
    int one = 1;
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || (group && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) ||
        bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
        (group && setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mreq, sizeof(mreq)) < 0) ||
        getsockname(fd, (struct sockaddr *)&addr, &len) < 0) {
        VL_ERR(LOG, "tracker URL '%s': cannot listen: %s", url, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *bound_port = ntohs(addr.sin_port);
    return fd;
}

track_rx *track_rx_open(const vl_tracker_config *cfg, track_rx_fn fn, void *ctx)
{
    enum proto proto;
    char host[256];
    int port;
    if (!parse_url(cfg->url, &proto, host, sizeof(host), &port))
        return NULL;
    track_rx *r = vl_xcalloc(1, sizeof(*r));
    *r = (track_rx){ .cfg = *cfg, .proto = proto, .fd = -1, .fn = fn, .ctx = ctx };
    r->osc = proto == PROTO_OSC ? vl_osc_parser_create() : NULL;
    r->otrk = proto == PROTO_OTRK ? vl_otrk_parser_create() : NULL;
    r->fd = open_socket(cfg->url, host, port, &port);
    if (r->fd < 0) {
        track_rx_close(r);
        return NULL;
    }
    VL_INFO(LOG, "%s: listening on UDP port %d", cfg->url, port);
    return r;
}

static void on_sample(void *ctx, const vl_sample *parsed)
{
    track_rx *r = ctx;
    if (r->cfg.camera >= 0 && parsed->camera != r->cfg.camera) {
        r->stats.filtered++;
        return;
    }
    vl_sample s = *parsed;
    vl_tracker_apply(&r->cfg, &s);
    s.rx_ns = r->rx_ns;
    s.t_ns = r->rx_ns - (int64_t)(r->cfg.delay_ms * 1e6);
    r->stats.samples++;
    r->fn(r->ctx, &s);
}

static void on_error(void *ctx, enum vl_track_error e)
{
    track_rx *r = ctx;
    r->stats.errors[e]++;
}

static void parse(track_rx *r, size_t len)
{
    static const enum vl_track_error freed_errors[] = {
        [VL_FREED_BAD_LENGTH] = VL_TRACK_BAD_LENGTH,
        [VL_FREED_BAD_TYPE] = VL_TRACK_BAD_TYPE,
        [VL_FREED_BAD_CHECKSUM] = VL_TRACK_BAD_CHECKSUM,
    };
    const vl_track_sink sink = { on_sample, on_error, r };
    r->stats.datagrams++;
    if (r->proto == PROTO_OSC) {
        vl_osc_parse(r->osc, r->buf, len, &sink);
    } else if (r->proto == PROTO_OTRK) {
        vl_otrk_parse(r->otrk, r->buf, len, &sink);
    } else {
        vl_sample s;
        enum vl_freed_result fr = vl_freed_parse(r->buf, len, &s);
        if (fr == VL_FREED_OK)
            on_sample(r, &s);
        else
            on_error(r, freed_errors[fr]);
    }
}

void track_rx_wait(track_rx *r, int64_t timeout_ns)
{
    struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
    if (poll(&pfd, 1, timeout_ns > 0 ? (int)((timeout_ns + 999999) / 1000000) : 0) <= 0)
        return;
    for (int i = 0; i < MAX_BATCH; i++) {
        ssize_t n = recv(r->fd, r->buf, sizeof(r->buf), MSG_DONTWAIT);
        if (n < 0)
            return;             /* EAGAIN: all queued datagrams are handled */
        r->rx_ns = vl_now_ns();
        parse(r, (size_t)n);
    }
}

vl_tracker_stats track_rx_stats(const track_rx *r)
{
    return r->stats;
}

void track_rx_close(track_rx *r)
{
    if (!r)
        return;
    if (r->fd >= 0)
        close(r->fd);
    vl_osc_parser_destroy(r->osc);
    vl_otrk_parser_destroy(r->otrk);
    free(r);
}
