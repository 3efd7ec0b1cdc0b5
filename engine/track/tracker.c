/* UDP tracker receivers: one socket and one thread per tracker URL. The
 * thread only parses datagrams and pushes samples; everything it learns
 * about bad input goes into counters, never into the log above debug. */
#include "track/track.h"

#include <errno.h>
#include <netdb.h>
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

enum parse_result { PARSE_OK, PARSE_BAD_LENGTH, PARSE_BAD_TYPE, PARSE_BAD_CHECKSUM };

/* A tracker protocol spoken over UDP. OSC and OpenTrackIO become entries in
 * `protocols` below. */
struct vl_track_protocol {
    const char *scheme;
    int default_port;           /* used when the URL has none; -1 = port required */
    /* Decode one datagram into *out (t_ns is set by the caller). */
    enum parse_result (*parse)(const uint8_t *buf, size_t len, vl_sample *out);
};

static enum parse_result parse_freed(const uint8_t *buf, size_t len, vl_sample *out)
{
    switch (vl_freed_parse(buf, len, out)) {
    case VL_FREED_OK: return PARSE_OK;
    case VL_FREED_BAD_LENGTH: return PARSE_BAD_LENGTH;
    case VL_FREED_BAD_TYPE: return PARSE_BAD_TYPE;
    case VL_FREED_BAD_CHECKSUM: break;
    }
    return PARSE_BAD_CHECKSUM;
}

static const struct vl_track_protocol protocols[] = {
    /* FreeD has no standard port (40000, 6301, 8001, 1111, 52380 are all
     * common), so the URL must name one. */
    { .scheme = "freed", .default_port = -1, .parse = parse_freed },
};

struct vl_tracker {
    const struct vl_track_protocol *proto;
    int camera_filter;
    vl_sample_buffer *buffer;
    int fd;
    int port;
    pthread_t thread;
    bool thread_started;
    atomic_bool stop;
    uint8_t *rx;                /* MAX_DATAGRAM bytes, receiver thread only */

    pthread_mutex_t stats_lock;
    vl_tracker_stats stats;     /* guarded by stats_lock */
};

/* A parsed "scheme://[host]:port". */
struct url {
    const struct vl_track_protocol *proto;
    char host[256];             /* empty = any address */
    int port;
};

static bool parse_port(const char *s, int *port)
{
    if (!*s || strlen(s) > 5)
        return false;
    int v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v > 65535)
        return false;
    *port = v;
    return true;
}

static bool parse_url(const char *url, struct url *u)
{
    const char *sep = url ? strstr(url, "://") : NULL;
    if (!sep) {
        VL_ERR(LOG, "tracker URL '%s': expected scheme://[host]:port, e.g. freed://:40000",
               url ? url : "(null)");
        return false;
    }
    size_t scheme_len = (size_t)(sep - url);
    u->proto = NULL;
    for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
        if (strlen(protocols[i].scheme) == scheme_len &&
            !strncmp(url, protocols[i].scheme, scheme_len))
            u->proto = &protocols[i];
    }
    if (!u->proto) {
        VL_ERR(LOG, "tracker URL '%s': unknown scheme '%.*s', expected freed://",
               url, (int)scheme_len, url);
        return false;
    }

    const char *hostport = sep + 3;
    const char *colon = strrchr(hostport, ':');
    size_t host_len = colon ? (size_t)(colon - hostport) : strlen(hostport);
    if (host_len >= sizeof(u->host)) {
        VL_ERR(LOG, "tracker URL '%s': host name too long", url);
        return false;
    }
    memcpy(u->host, hostport, host_len);
    u->host[host_len] = '\0';
    if (colon) {
        if (!parse_port(colon + 1, &u->port)) {
            VL_ERR(LOG, "tracker URL '%s': bad port '%s', expected 0..65535", url, colon + 1);
            return false;
        }
    } else if (u->proto->default_port >= 0) {
        u->port = u->proto->default_port;
    } else {
        VL_ERR(LOG, "tracker URL '%s': no port, expected %s://[host]:port "
               "(0 picks a free port)", url, u->proto->scheme);
        return false;
    }
    return true;
}

static int open_socket(const char *url, const struct url *u, int *bound_port)
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
    int fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) < 0) {
        VL_ERR(LOG, "tracker URL '%s': cannot bind a UDP socket: %s", url, strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    freeaddrinfo(res);

    struct sockaddr_in sa;
    socklen_t sa_len = sizeof(sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &sa_len) < 0) {
        VL_ERR(LOG, "tracker URL '%s': getsockname: %s", url, strerror(errno));
        close(fd);
        return -1;
    }
    *bound_port = ntohs(sa.sin_port);
    return fd;
}

static void handle_datagram(vl_tracker *t, size_t len, int64_t t_ns)
{
    vl_sample s;
    enum parse_result r = t->proto->parse(t->rx, len, &s);
    bool use = r == PARSE_OK && (t->camera_filter < 0 || s.camera == t->camera_filter);
    if (r != PARSE_OK)
        VL_DEBUG(LOG, "port %d: dropped a %zu-byte datagram (error %d)", t->port, len, r);
    if (use) {
        s.t_ns = t_ns;
        vl_sample_buffer_push(t->buffer, &s);
    }

    /* Counted after the push, so a reader that sees the count also finds
     * the sample in the buffer. */
    pthread_mutex_lock(&t->stats_lock);
    t->stats.datagrams++;
    switch (r) {
    case PARSE_OK:
        if (use)
            t->stats.samples++;
        else
            t->stats.filtered++;
        break;
    case PARSE_BAD_LENGTH: t->stats.bad_length++; break;
    case PARSE_BAD_TYPE: t->stats.bad_type++; break;
    case PARSE_BAD_CHECKSUM: t->stats.bad_checksum++; break;
    }
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

vl_tracker *vl_tracker_open(const char *url, int camera_filter, vl_sample_buffer *buffer)
{
    struct url u;
    if (!parse_url(url, &u))
        return NULL;

    vl_tracker *t = vl_xcalloc(1, sizeof(*t));
    t->proto = u.proto;
    t->camera_filter = camera_filter;
    t->buffer = buffer;
    t->fd = -1;
    atomic_init(&t->stop, false);
    pthread_mutex_init(&t->stats_lock, NULL);
    t->rx = vl_xmalloc(MAX_DATAGRAM);

    t->fd = open_socket(url, &u, &t->port);
    if (t->fd < 0)
        goto fail;
    int err = pthread_create(&t->thread, NULL, receiver_thread, t);
    if (err) {
        VL_ERR(LOG, "tracker URL '%s': cannot start the receiver thread: %s", url,
               strerror(err));
        goto fail;
    }
    t->thread_started = true;
    VL_INFO(LOG, "%s: listening on UDP port %d", url, t->port);
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
