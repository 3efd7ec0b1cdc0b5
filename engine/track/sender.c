/* Tracking senders: what volym-track's simulator and replayer speak, and
 * what the tests use as a tracker. One UDP socket; each protocol is an
 * entry in `protocols` that encodes a sample and sends its datagram(s).
 *
 * sendto() on an unconnected socket rather than connect() + send(): a
 * connected UDP socket reports the ICMP "port unreachable" of an earlier
 * datagram as ECONNREFUSED, and a simulator that starts before its receiver
 * is normal, not an error. */
#include "track/track.h"
#include "track/url.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOG "track"
#define DEFAULT_MAX_DATAGRAM 1400       /* fits an Ethernet MTU with IP/UDP
                                           headers to spare */
#define OSC_MAX_DATAGRAM 256            /* a /volym/pose message is ~56 */

struct sender_protocol {
    const char *scheme;
    int default_port;                   /* -1: the URL must name one */
    bool (*send)(vl_track_sender *snd, const vl_sample *s);
};

struct vl_track_sender {
    const struct sender_protocol *proto;
    char url[512];
    int fd;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    size_t max_datagram;
    enum vl_otrk_encoding encoding;     /* OpenTrackIO payload */
    uint32_t message;                   /* OpenTrackIO timing.sequenceNumber */
    uint16_t sequence;                  /* OpenTrackIO header: one per datagram */
    bool send_failed;                   /* a failure was logged already */
};

/* Sends one datagram; logs the first failure of the sender only, since a
 * simulator sends many per second. */
static bool send_datagram(vl_track_sender *snd, const uint8_t *buf, size_t len)
{
    ssize_t n = sendto(snd->fd, buf, len, 0, (const struct sockaddr *)&snd->addr, snd->addr_len);
    if (n == (ssize_t)len)
        return true;
    if (!snd->send_failed) {
        VL_WARN(LOG, "%s: cannot send a %zu-byte datagram: %s", snd->url, len,
                n < 0 ? strerror(errno) : "short send");
        snd->send_failed = true;
    }
    return false;
}

static bool send_freed(vl_track_sender *snd, const vl_sample *s)
{
    uint8_t buf[VL_FREED_D1_SIZE];
    vl_freed_encode(s, buf);
    return send_datagram(snd, buf, sizeof(buf));
}

static bool send_osc(vl_track_sender *snd, const vl_sample *s)
{
    uint8_t buf[OSC_MAX_DATAGRAM];
    size_t n = vl_osc_encode_pose(s, buf, sizeof(buf));
    return n > 0 && send_datagram(snd, buf, n);
}

struct otrk_emit {
    vl_track_sender *snd;
    bool ok;
};

static void emit_segment(void *ctx, const uint8_t *dgram, size_t n)
{
    struct otrk_emit *e = ctx;
    e->ok = send_datagram(e->snd, dgram, n) && e->ok;
}

static bool send_otrk(vl_track_sender *snd, const vl_sample *s)
{
    size_t len = 0;
    uint8_t *payload;
    if (snd->encoding == VL_OTRK_CBOR) {
        payload = vl_otrk_encode_cbor(s, snd->message, &len);
    } else {
        payload = (uint8_t *)vl_otrk_encode_json(s, snd->message);
        len = payload ? strlen((const char *)payload) : 0;
    }
    if (!payload) {
        if (!snd->send_failed)
            VL_WARN(LOG, "%s: sample not sent: a value is not finite, or camera id %d is not "
                    "a source number (1..200)", snd->url, s->camera);
        snd->send_failed = true;
        return false;
    }
    struct otrk_emit e = { .snd = snd, .ok = true };
    int n = vl_otrk_segment(payload, len, snd->encoding, &snd->sequence, snd->max_datagram,
                            emit_segment, &e);
    free(payload);
    snd->message++;
    if (n == 0 && !snd->send_failed) {
        VL_WARN(LOG, "%s: sample too large to segment", snd->url);
        snd->send_failed = true;
    }
    return n > 0 && e.ok;
}

static const struct sender_protocol protocols[] = {
    { .scheme = "freed", .default_port = -1, .send = send_freed },
    { .scheme = "osc", .default_port = -1, .send = send_osc },
    { .scheme = "opentrackio", .default_port = VL_OTRK_DEFAULT_PORT, .send = send_otrk },
};

/* The URL's protocol, host and port (the protocol's default when absent);
 * a sender needs a host and a real port. */
static bool parse_url(vl_track_sender *snd, const char *url, vl_track_url *u)
{
    if (!vl_track_url_parse(url, "sender", u))
        return false;
    for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
        if (!strcmp(u->scheme, protocols[i].scheme))
            snd->proto = &protocols[i];
    }
    if (!snd->proto) {
        VL_ERR(LOG, "sender URL '%s': unknown scheme '%s', expected %s", url, u->scheme,
               VL_TRACK_SCHEMES);
        return false;
    }
    if (!u->host[0]) {
        VL_ERR(LOG, "sender URL '%s': a sender needs a host to send to", url);
        return false;
    }
    if (u->port < 0)
        u->port = snd->proto->default_port;
    if (u->port <= 0) {
        VL_ERR(LOG, "sender URL '%s': %s, expected %s://host:port (1..65535)", url,
               u->port < 0 ? "no port" : "port 0", snd->proto->scheme);
        return false;
    }
    return true;
}

/* Multicast to a group: loop back (a receiver on this machine is the usual
 * test) and TTL 1 (tracking data has no business beyond the local net). */
static bool set_multicast(int fd, const struct addrinfo *ai)
{
    int on = 1, ttl = 1;
    if (ai->ai_family == AF_INET) {
        const struct sockaddr_in *sa = (const struct sockaddr_in *)ai->ai_addr;
        if (!IN_MULTICAST(ntohl(sa->sin_addr.s_addr)))
            return true;
        return !setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &on, sizeof(on)) &&
               !setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, &ttl, sizeof(ttl));
    }
    const struct sockaddr_in6 *sa6 = (const struct sockaddr_in6 *)ai->ai_addr;
    if (ai->ai_family != AF_INET6 || !IN6_IS_ADDR_MULTICAST(&sa6->sin6_addr))
        return true;
    return !setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &on, sizeof(on)) &&
           !setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &ttl, sizeof(ttl));
}

static bool open_socket(vl_track_sender *snd, const char *host, int port)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM };
    struct addrinfo *res = NULL;
    char port_str[16];
    snprintf(port_str, sizeof(port_str), "%d", port);
    int err = getaddrinfo(host, port_str, &hints, &res);
    if (err) {
        VL_ERR(LOG, "sender URL '%s': cannot resolve '%s': %s", snd->url, host, gai_strerror(err));
        return false;
    }
    snd->fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    bool ok = snd->fd >= 0 && set_multicast(snd->fd, res);
    if (ok) {
        memcpy(&snd->addr, res->ai_addr, res->ai_addrlen);
        snd->addr_len = res->ai_addrlen;
    } else {
        VL_ERR(LOG, "sender URL '%s': cannot set up a UDP socket: %s", snd->url, strerror(errno));
    }
    freeaddrinfo(res);
    return ok;
}

vl_track_sender *vl_track_sender_open(const char *url, size_t max_datagram)
{
    if (!url) {
        VL_ERR(LOG, "sender: no URL");
        return NULL;
    }
    vl_track_sender *snd = vl_xcalloc(1, sizeof(*snd));
    snd->fd = -1;
    snd->max_datagram = max_datagram ? max_datagram : DEFAULT_MAX_DATAGRAM;
    snd->encoding = VL_OTRK_JSON;
    snprintf(snd->url, sizeof(snd->url), "%s", url);

    vl_track_url u;
    if (!parse_url(snd, url, &u) || !open_socket(snd, u.host, u.port))
        goto fail;
    if (snd->max_datagram <= VL_OTRK_HEADER_SIZE && snd->proto->send == send_otrk) {
        VL_ERR(LOG, "sender URL '%s': a datagram limit of %zu bytes leaves no room after the "
               "%d-byte OpenTrackIO header", url, snd->max_datagram, VL_OTRK_HEADER_SIZE);
        goto fail;
    }
    return snd;

fail:
    vl_track_sender_close(snd);
    return NULL;
}

bool vl_track_sender_set_encoding(vl_track_sender *snd, enum vl_otrk_encoding encoding)
{
    if (snd->proto->send != send_otrk) {
        VL_ERR(LOG, "%s: only an OpenTrackIO sender has a payload encoding", snd->url);
        return false;
    }
    snd->encoding = encoding;
    return true;
}

bool vl_track_sender_send(vl_track_sender *snd, const vl_sample *s)
{
    return snd->proto->send(snd, s);
}

void vl_track_sender_close(vl_track_sender *snd)
{
    if (!snd)
        return;
    if (snd->fd >= 0)
        close(snd->fd);
    free(snd);
}
