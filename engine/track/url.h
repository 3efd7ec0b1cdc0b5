/* Private to track/: the "scheme://[host][:port]" URLs that trackers and
 * senders take, parsed one way for both. */
#ifndef VL_TRACK_URL_H
#define VL_TRACK_URL_H

#include <stdbool.h>

typedef struct vl_track_url {
    char scheme[32];
    char host[256];             /* "" when absent; an IPv6 host without brackets */
    int port;                   /* 0 .. 65535, or -1 when absent */
} vl_track_url;

#define VL_TRACK_SCHEMES "freed://, osc:// or opentrackio://"

/* Parse url; role names it in messages ("tracker", "sender"). The scheme is
 * not checked here. On error logs one message (the URL, what is wrong, an
 * example) and returns false. */
bool vl_track_url_parse(const char *url, const char *role, vl_track_url *u);

#endif
