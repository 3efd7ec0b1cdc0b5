/* freed_send: a FreeD D1 sender for the CLI tests.
 *
 *   freed_send [--garbage N] HOST PORT CAMERA X Y Z PAN TILT ROLL RATE_HZ SECONDS
 *
 * Sends the pose (metres, degrees) as FreeD D1 to HOST:PORT over UDP at
 * RATE_HZ for SECONDS, then exits 0. --garbage N first sends N malformed
 * datagrams in turn: wrong length, wrong type, bad checksum (so N = 3k gives
 * k of each; the first kinds get the remainder). They are paced so a
 * loopback receive buffer never overflows and the receiver's counts are exact. */
#include "track/track.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define GARBAGE_GAP_NS 200000   /* 0.2 ms between malformed datagrams */

static void usage(void)
{
    fprintf(stderr, "usage: freed_send [--garbage N] HOST PORT CAMERA X Y Z PAN TILT ROLL "
            "RATE_HZ SECONDS\n");
    exit(2);
}

static double number(const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end) {
        fprintf(stderr, "freed_send: not a number: '%s'\n", s);
        usage();
    }
    return v;
}

/* Send errors are reported but not fatal: the receiver may already be gone. */
static void send_one(int fd, const struct addrinfo *to, const uint8_t *buf, size_t len)
{
    if (sendto(fd, buf, len, 0, to->ai_addr, to->ai_addrlen) < 0)
        perror("freed_send: sendto");
}

static void send_garbage(int fd, const struct addrinfo *to, const uint8_t good[VL_FREED_D1_SIZE],
                         int n)
{
    uint8_t buf[VL_FREED_D1_SIZE + 1];
    for (int i = 0; i < n; i++) {
        memcpy(buf, good, VL_FREED_D1_SIZE);
        size_t len = VL_FREED_D1_SIZE;
        switch (i % 3) {
        case 0:                 /* wrong length: one byte short or one too many */
            len = i % 2 ? VL_FREED_D1_SIZE - 1 : VL_FREED_D1_SIZE + 1;
            buf[VL_FREED_D1_SIZE] = 0;
            break;
        case 1:                 /* wrong type, checksum kept valid for that type */
            buf[0] = 0xD2;
            buf[VL_FREED_D1_SIZE - 1] -= 1;
            break;
        case 2:                 /* bad checksum */
            buf[VL_FREED_D1_SIZE - 1] ^= 0x5a;
            break;
        }
        send_one(fd, to, buf, len);
        vl_sleep_until_ns(vl_now_ns() + GARBAGE_GAP_NS);
    }
}

int main(int argc, char **argv)
{
    int garbage = 0, a = 1;
    if (argc > 2 && !strcmp(argv[1], "--garbage")) {
        garbage = (int)number(argv[2]);
        a = 3;
    }
    if (argc - a != 11)
        usage();
    const char *host = argv[a], *port = argv[a + 1];
    vl_sample s = {
        .camera = (int)number(argv[a + 2]),
        .pose = { .pos = { number(argv[a + 3]), number(argv[a + 4]), number(argv[a + 5]) },
                  .pan_deg = number(argv[a + 6]), .tilt_deg = number(argv[a + 7]),
                  .roll_deg = number(argv[a + 8]) },
    };
    double rate_hz = number(argv[a + 9]), seconds = number(argv[a + 10]);
    if (rate_hz <= 0 || seconds < 0 || garbage < 0)
        usage();

    struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_DGRAM }, *to;
    int err = getaddrinfo(host, port, &hints, &to);
    if (err) {
        fprintf(stderr, "freed_send: %s:%s: %s\n", host, port, gai_strerror(err));
        return 1;
    }
    int fd = socket(to->ai_family, to->ai_socktype, to->ai_protocol);
    if (fd < 0) {
        perror("freed_send: socket");
        return 1;
    }

    uint8_t msg[VL_FREED_D1_SIZE];
    vl_freed_encode(&s, msg);
    send_garbage(fd, to, msg, garbage);

    int64_t t0 = vl_now_ns(), period_ns = (int64_t)(1e9 / rate_hz);
    int64_t count = (int64_t)(seconds * rate_hz);
    for (int64_t n = 0; n < count; n++) {
        vl_sleep_until_ns(t0 + n * period_ns);
        send_one(fd, to, msg, sizeof(msg));
    }
    close(fd);
    freeaddrinfo(to);
    return 0;
}
