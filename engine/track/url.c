/* Tracker and sender URLs: "scheme://[host][:port]", an IPv6 host in
 * brackets ("osc://[::1]:9000"). */
#include "track/url.h"
#include "core/core.h"

#include <stdio.h>
#include <string.h>

#define LOG "track"

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
    *port = v;
    return v <= 65535;
}

bool vl_track_url_parse(const char *url, const char *role, vl_track_url *u)
{
    const char *sep = url ? strstr(url, "://") : NULL;
    size_t scheme_len = sep ? (size_t)(sep - url) : 0;
    if (!sep || !scheme_len || scheme_len >= sizeof(u->scheme)) {
        VL_ERR(LOG, "%s URL '%s': expected scheme://host:port with scheme %s, "
               "e.g. freed://127.0.0.1:40000", role, url ? url : "(none)", VL_TRACK_SCHEMES);
        return false;
    }
    memcpy(u->scheme, url, scheme_len);
    u->scheme[scheme_len] = '\0';

    const char *host = sep + 3, *host_end, *rest;
    if (*host == '[') {
        host_end = strchr(host, ']');
        if (!host_end) {
            VL_ERR(LOG, "%s URL '%s': missing ']' after the IPv6 address", role, url);
            return false;
        }
        rest = host_end + 1;
        host++;
    } else {
        host_end = strrchr(host, ':');
        host_end = host_end ? host_end : host + strlen(host);
        rest = host_end;
    }
    size_t host_len = (size_t)(host_end - host);
    if (host_len >= sizeof(u->host)) {
        VL_ERR(LOG, "%s URL '%s': host name too long", role, url);
        return false;
    }
    memcpy(u->host, host, host_len);
    u->host[host_len] = '\0';

    u->port = -1;
    if (*rest && (*rest != ':' || !parse_port(rest + 1, &u->port))) {
        VL_ERR(LOG, "%s URL '%s': bad port '%s', expected :0 .. :65535", role, url, rest);
        return false;
    }
    return true;
}
