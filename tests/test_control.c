/* The OSC control server over loopback: every address sent with oscsend
 * (liblo-tools, what a user types), malformed and unknown messages and
 * non-OSC datagrams counted and never queued, stats answered to a liblo
 * client and to oscdump, the bound address, the queue bound. */
#include "app/control.h"
#include "core/core.h"
#include "check.h"
#include "lo_check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <lo/lo.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define WAIT_MS 3000                    /* longest wait for a datagram */
#define LONG_PATH (VL_CONTROL_TEXT_MAX + 1)

extern char **environ;

static int tx_fd;                       /* raw datagrams to the server */

static void sleep_ms(int ms)
{
    usleep((useconds_t)ms * 1000);
}

static vl_control *open_ok(const char *bind)
{
    char err[256] = "";
    vl_control *c = vl_control_open(bind, err, sizeof(err));
    CHECK(c != NULL);
    if (!c)
        fprintf(stderr, "vl_control_open('%s'): %s\n", bind, err);
    return c;
}

static int64_t received(vl_control *c)
{
    int64_t n;
    vl_control_counts(c, &n, NULL, NULL, NULL);
    return n;
}

/* Wait until c has received n messages in all; false on timeout. */
static bool wait_received(vl_control *c, int64_t n)
{
    for (int i = 0; i < WAIT_MS && received(c) < n; i++)
        sleep_ms(1);
    return received(c) >= n;
}

/* Run argv (found in PATH) to its end, stdout to out_path unless NULL;
 * returns its exit status, or -1. */
static int run(char *const argv[], pid_t *background, const char *out_path)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out_path)
        posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err) {
        fprintf(stderr, "cannot run %s: %s (install liblo-tools)\n", argv[0], strerror(err));
        return -1;
    }
    if (background) {
        *background = pid;
        return 0;
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
        return -1;
    return WEXITSTATUS(status);
}

/* oscsend localhost PORT PATH [TYPES ARGS...]; the list ends with NULL. */
static void oscsend(int port, const char *path, ...)
{
    char port_str[16];
    snprintf(port_str, sizeof(port_str), "%d", port);
    char *argv[16] = { "oscsend", "localhost", port_str, (char *)path };
    int n = 4;
    va_list ap;
    va_start(ap, path);
    for (const char *a; n < 15 && (a = va_arg(ap, const char *));)
        argv[n++] = (char *)a;
    va_end(ap);
    argv[n] = NULL;
    int status = run(argv, NULL, NULL);
    CHECK(status == 0);
}

static void send_raw(int port, const void *buf, size_t len)
{
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(sendto(tx_fd, buf, len, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)len);
}

static void send_msg(int port, lo_message m, const char *path)
{
    static uint8_t buf[8192];
    size_t n = serialise(m, path, buf, sizeof(buf));
    send_raw(port, buf, n);
}

/* A message from a liblo type string and values, as lo_message_add does. */
#define msg(...) msg_(__VA_ARGS__, LO_ARGS_END)
static lo_message msg_(const char *types, ...)
{
    lo_message m = lo_message_new();
    va_list ap;
    va_start(ap, types);
    lo_message_add_varargs(m, types, ap);
    va_end(ap);
    return m;
}

static int queued(vl_control *c)
{
    vl_control_cmd cmd;
    int n = 0;
    while (vl_control_next(c, &cmd))
        n++;
    return n;
}

/* ---- every address, as oscsend sends it ---------------------------------- */

struct expect {
    enum vl_control_kind kind;
    int nv;
    double v[5];
    int index;
    const char *text;
};

static void check_cmd(const vl_control_cmd *cmd, const struct expect *e, int i)
{
    CHECK(cmd->kind == e->kind);
    CHECK(cmd->nv == e->nv);
    CHECK(cmd->index == e->index);
    CHECK(!strcmp(cmd->text, e->text ? e->text : ""));
    for (int k = 0; k < e->nv && k < 5; k++)
        CHECK(cmd->v[k] == e->v[k]);
    if (cmd->kind != e->kind || cmd->nv != e->nv || cmd->index != e->index)
        fprintf(stderr, "  command %d: got %s nv %d index %d, expected %s nv %d index %d\n", i,
                vl_control_kind_name(cmd->kind), cmd->nv, cmd->index,
                vl_control_kind_name(e->kind), e->nv, e->index);
}

static void test_addresses(void)
{
    vl_control *c = open_ok("0");
    if (!c)
        return;
    int p = vl_control_port(c);
    oscsend(p, "/volym/plate/play", NULL);
    oscsend(p, "/volym/plate/pause", NULL);
    oscsend(p, "/volym/plate/seek", "d", "12.5", NULL);
    oscsend(p, "/volym/plate/open", "s", "/media/plates/take 1.mov", NULL);
    oscsend(p, "/volym/scene", "s", "builtin:grid", NULL);
    oscsend(p, "/volym/overscan", "f", "0.25", NULL);
    oscsend(p, "/volym/softedge", "d", "0.5", NULL);
    oscsend(p, "/volym/chroma", "i", "1", NULL);
    oscsend(p, "/volym/chroma/color", "fff", "0", "0.5", "1", NULL);
    oscsend(p, "/volym/chroma/markers", "T", NULL);
    oscsend(p, "/volym/tracker/delay", "f", "40", NULL);
    oscsend(p, "/volym/tracker/delay", "hi", "120", "2", NULL);
    oscsend(p, "/volym/outer/freeze", "f", "1", NULL);
    oscsend(p, "/volym/card", "si", "key", "1", NULL);
    oscsend(p, "/volym/card/rect", "sffff", "key", "10", "20.5", "300", "200", NULL);
    oscsend(p, "/volym/card/rect", "siiiii", "key", "-5", "0", "64", "32", "1", NULL);
    oscsend(p, "/volym/card/color", "sfff", "key", "1", "0.5", "0.25", NULL);
    oscsend(p, "/volym/card/color", "sffff", "key", "1", "1", "1", "2.5", NULL);
    oscsend(p, "/volym/card/over", "sF", "key", NULL);
    oscsend(p, "/volym/output/brightness", "if", "1", "0.75", NULL);
    oscsend(p, "/volym/output/transfer", "is", "0", "pq", NULL);
    oscsend(p, "/volym/stats", NULL);
    oscsend(p, "/volym/stats", "i", "9999", NULL);

    static const struct expect want[] = {
        { VL_CONTROL_PLATE_PLAY, 0, { 0 }, -1, NULL },
        { VL_CONTROL_PLATE_PAUSE, 0, { 0 }, -1, NULL },
        { VL_CONTROL_PLATE_SEEK, 1, { 12.5 }, -1, NULL },
        { VL_CONTROL_PLATE_OPEN, 0, { 0 }, -1, "/media/plates/take 1.mov" },
        { VL_CONTROL_SCENE, 0, { 0 }, -1, "builtin:grid" },
        { VL_CONTROL_OVERSCAN, 1, { 0.25 }, -1, NULL },
        { VL_CONTROL_SOFTEDGE, 1, { 0.5 }, -1, NULL },
        { VL_CONTROL_CHROMA, 0, { 0 }, 1, NULL },
        { VL_CONTROL_CHROMA_COLOR, 3, { 0, 0.5, 1 }, -1, NULL },
        { VL_CONTROL_CHROMA_MARKERS, 0, { 0 }, 1, NULL },
        { VL_CONTROL_TRACKER_DELAY, 1, { 40 }, -1, NULL },
        { VL_CONTROL_TRACKER_DELAY, 1, { 120 }, 2, NULL },
        { VL_CONTROL_OUTER_FREEZE, 0, { 0 }, 1, NULL },
        { VL_CONTROL_CARD, 0, { 0 }, 1, "key" },
        { VL_CONTROL_CARD_RECT, 4, { 10, 20.5, 300, 200 }, -1, "key" },
        { VL_CONTROL_CARD_RECT, 4, { -5, 0, 64, 32 }, 1, "key" },
        { VL_CONTROL_CARD_COLOR, 3, { 1, 0.5, 0.25 }, -1, "key" },
        { VL_CONTROL_CARD_COLOR, 4, { 1, 1, 1, 2.5 }, -1, "key" },
        { VL_CONTROL_CARD_OVER, 0, { 0 }, 0, "key" },
        { VL_CONTROL_OUTPUT_BRIGHTNESS, 1, { 0.75 }, 1, NULL },
        { VL_CONTROL_OUTPUT_TRANSFER, 0, { 0 }, 0, "pq" },
        { VL_CONTROL_STATS, 0, { 0 }, -1, NULL },
        { VL_CONTROL_STATS, 0, { 0 }, 9999, NULL },
    };
    const int n = (int)(sizeof(want) / sizeof(want[0]));
    CHECK(wait_received(c, n));

    bool seen[VL_CONTROL_N_KINDS] = { false };
    vl_control_cmd cmd;
    int got = 0;
    while (got < n && vl_control_next(c, &cmd)) {
        check_cmd(&cmd, &want[got], got);
        seen[cmd.kind] = true;
        if (cmd.kind == VL_CONTROL_STATS) {
            /* oscsend's own port, or the port it named, on its host. */
            CHECK(cmd.reply.ipv4 == htonl(INADDR_LOOPBACK));
            CHECK(cmd.index == -1 ? cmd.reply.port != 0 : cmd.reply.port == 9999);
        }
        got++;
    }
    CHECK(got == n);
    CHECK(!vl_control_next(c, &cmd));
    for (int k = VL_CONTROL_NONE + 1; k < VL_CONTROL_N_KINDS; k++)
        CHECK(seen[k]);
    int64_t rx, unknown, malformed, dropped;
    vl_control_counts(c, &rx, &unknown, &malformed, &dropped);
    CHECK(rx == n && unknown == 0 && malformed == 0 && dropped == 0);

    /* Each kind's name is its address. */
    CHECK(!strcmp(vl_control_kind_name(VL_CONTROL_CARD_RECT), "/volym/card/rect"));
    CHECK(!strcmp(vl_control_kind_name(VL_CONTROL_STATS), "/volym/stats"));
    CHECK(!strcmp(vl_control_kind_name(VL_CONTROL_NONE), "none"));
    CHECK(!strcmp(vl_control_kind_name(VL_CONTROL_N_KINDS), "?"));
    CHECK(!strcmp(vl_control_kind_name(-1), "?"));
    vl_control_close(c);
}

/* ---- bad input ----------------------------------------------------------- */

/* inner wrapped in levels bundles, one inside the other; returns the size. */
static size_t nest(uint8_t *out, const uint8_t *inner, size_t inner_len, int levels)
{
    size_t total = (size_t)levels * 20 + inner_len;
    memcpy(out + total - inner_len, inner, inner_len);
    for (int l = 0; l < levels; l++) {
        uint8_t *h = out + l * 20;
        memcpy(h, "#bundle", 8);
        memset(h + 8, 0, 8);
        h[15] = 1;                      /* time tag "immediately" */
        uint32_t size = htonl((uint32_t)(total - (size_t)l * 20 - 20));
        memcpy(h + 16, &size, 4);
    }
    return total;
}

/* The counters so far, with want_queued commands taken from the queue
 * before, and nothing queued now. */
static void check_counts(vl_control *c, int64_t want_unknown, int64_t want_malformed,
                         int64_t want_queued, const char *what)
{
    int64_t rx, unknown, malformed, dropped;
    vl_control_counts(c, &rx, &unknown, &malformed, &dropped);
    CHECK(unknown == want_unknown);
    CHECK(malformed == want_malformed);
    CHECK(dropped == 0);
    CHECK(rx == unknown + malformed + want_queued);
    int n = queued(c);
    CHECK(n == 0);
    if (unknown != want_unknown || malformed != want_malformed || n)
        fprintf(stderr, "  %s: unknown %lld (want %lld), malformed %lld (want %lld), "
                "queued %d\n", what, (long long)unknown, (long long)want_unknown,
                (long long)malformed, (long long)want_malformed, n);
}

static void test_malformed(void)
{
    vl_control *c = open_ok("0");
    if (!c)
        return;
    int p = vl_control_port(c);
    char *long_path = malloc(LONG_PATH + 1);
    memset(long_path, 'a', LONG_PATH);
    long_path[0] = '/';
    long_path[LONG_PATH] = '\0';
    char long_name[VL_CONTROL_NAME_MAX + 2];
    memset(long_name, 'k', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    uint8_t blob_data[4] = { 1, 2, 3, 4 };
    lo_blob blob = lo_blob_new(sizeof(blob_data), blob_data);

    /* Wrong types, arity and ranges: two through oscsend, the rest with
     * liblo. */
    oscsend(p, "/volym/overscan", "s", "big", NULL);
    oscsend(p, "/volym/overscan", "f", "2.5", NULL);
    int n = 2;
    struct { const char *path; lo_message m; } bad[] = {
        { "/volym/overscan", msg("") },
        { "/volym/overscan", msg("f", -0.1f) },
        { "/volym/overscan", msg("ff", 1.0f, 1.0f) },
        { "/volym/overscan", msg("T") },
        { "/volym/overscan", msg("f", NAN) },
        { "/volym/overscan", msg("b", blob) },
        { "/volym/softedge", msg("d", 0.51) },
        { "/volym/chroma", msg("i", 2) },
        { "/volym/chroma", msg("f", 0.5f) },
        { "/volym/chroma/color", msg("ff", 1.0f, 1.0f) },
        { "/volym/chroma/color", msg("fff", 1.0f, 1.0f, 1.5f) },
        { "/volym/chroma/markers", msg("s", "on") },
        { "/volym/tracker/delay", msg("f", 2001.0f) },
        { "/volym/tracker/delay", msg("fi", 10.0f, -1) },
        { "/volym/tracker/delay", msg("ff", 10.0f, 1.5f) },
        { "/volym/tracker/delay", msg("fii", 10.0f, 1, 1) },
        { "/volym/outer/freeze", msg("") },
        { "/volym/plate/seek", msg("f", -1.0f) },
        { "/volym/plate/seek", msg("d", INFINITY) },
        { "/volym/plate/seek", msg("d", 368934881474190980.0) },   /* overflowed (issue 15) */
        { "/volym/plate/seek", msg("d", 1000000.5) },
        { "/volym/plate/open", msg("s", "") },
        { "/volym/plate/open", msg("s", long_path) },
        { "/volym/plate/open", msg("i", 3) },
        { "/volym/scene", msg("") },
        { "/volym/plate/play", msg("i", 1) },
        { "/volym/plate/pause", msg("T") },
        { "/volym/card", msg("s", "key") },
        { "/volym/card", msg("si", long_name, 1) },
        { "/volym/card", msg("ii", 1, 1) },
        { "/volym/card/rect", msg("sffff", "key", 0.0f, 0.0f, -1.0f, 10.0f) },
        { "/volym/card/rect", msg("sffff", "key", -70000.0f, 0.0f, 1.0f, 10.0f) },
        { "/volym/card/rect", msg("sfff", "key", 0.0f, 0.0f, 1.0f) },
        { "/volym/card/rect", msg("sffffi", "key", 0.0f, 0.0f, 1.0f, 1.0f, -2) },
        { "/volym/card/color", msg("sffff", "key", 1.0f, 1.0f, 1.0f, 101.0f) },
        { "/volym/card/color", msg("sff", "key", 1.0f, 1.0f) },
        { "/volym/card/over", msg("s", "key") },
        { "/volym/output/brightness", msg("if", 0, 10.5f) },
        { "/volym/output/brightness", msg("f", 0.5f) },
        { "/volym/output/brightness", msg("ff", 0.5f, 0.5f) },
        { "/volym/output/transfer", msg("is", 0, "hlg") },
        { "/volym/output/transfer", msg("si", "srgb", 0) },
        { "/volym/stats", msg("i", 0) },
        { "/volym/stats", msg("i", 70000) },
        { "/volym/stats", msg("ii", 9000, 1) },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++, n++)
        send_msg(p, bad[i].m, bad[i].path);
    CHECK(wait_received(c, n));
    sleep_ms(20);
    check_counts(c, 0, n, 0, "malformed");

    /* Unknown addresses, whatever their arguments. */
    int u = 0;
    oscsend(p, "/volym/nope", "f", "1", NULL);
    u++;
    const char *unknown[] = { "/volym", "/volym/plate", "/VOLYM/overscan", "/volym/overscan/",
                              "/volym/overscanx", "/other", "volym/overscan" };
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++, u++)
        send_msg(p, msg("f", 0.5f), unknown[i]);
    send_msg(p, msg("b", blob), "/volym/blob");
    u++;
    CHECK(wait_received(c, n + u));
    sleep_ms(20);
    check_counts(c, u, n, 0, "unknown");

    /* Datagrams that are not OSC messages: each counts as one malformed
     * message. */
    uint8_t good[64];
    size_t good_len = serialise(msg("f", 0.25f), "/volym/overscan", good, sizeof(good));
    uint8_t bundle_bad[32] = "#bundle";
    bundle_bad[19] = 200;               /* an element longer than the bundle */
    uint8_t deep[20 * 9 + 64];
    size_t deep_len = nest(deep, good, good_len, 9);
    struct { const void *buf; size_t len; } garbage[] = {
        { "", 0 },
        { "hello", 5 },
        { "\0\0\0\0", 4 },
        { "/volym/overscan\0", 16 },    /* no type tags */
        { "/volym/overscan", 15 },      /* no NUL */
        { good, good_len - 4 },         /* truncated float */
        { good, good_len - 1 },
        { bundle_bad, sizeof(bundle_bad) },
        { "#bundle\0", 8 },             /* no time tag */
        { deep, deep_len },
    };
    int g = 0;
    for (size_t i = 0; i < sizeof(garbage) / sizeof(garbage[0]); i++, g++)
        send_raw(p, garbage[i].buf, garbage[i].len);
    CHECK(wait_received(c, n + u + g));
    sleep_ms(20);
    check_counts(c, u, n + g, 0, "garbage");

    /* The limits themselves are fine: a 4096-byte path, a 63-byte name,
     * the ends of each range; and a bundle's messages queue in order. */
    long_path[LONG_PATH - 1] = '\0';
    long_name[VL_CONTROL_NAME_MAX] = '\0';
    send_msg(p, msg("s", long_path), "/volym/plate/open");
    send_msg(p, msg("si", long_name, 0), "/volym/card");
    send_msg(p, msg("fi", 2000.0f, 255), "/volym/tracker/delay");
    send_msg(p, msg("i", 65535), "/volym/stats");
    lo_bundle b = lo_bundle_new(LO_TT_IMMEDIATE);
    lo_bundle_add_message(b, "/volym/overscan", msg("f", 2.0f));
    lo_bundle_add_message(b, "/volym/softedge", msg("f", 0.0f));
    size_t blen = lo_bundle_length(b);
    void *bbuf = lo_bundle_serialise(b, NULL, &blen);
    send_raw(p, bbuf, blen);
    free(bbuf);
    lo_bundle_free_recursive(b);
    deep_len = nest(deep, good, good_len, 8);
    send_raw(p, deep, deep_len);
    CHECK(wait_received(c, n + u + g + 7));
    vl_control_cmd cmd;
    CHECK(vl_control_next(c, &cmd) && cmd.kind == VL_CONTROL_PLATE_OPEN &&
          strlen(cmd.text) == VL_CONTROL_TEXT_MAX);
    CHECK(vl_control_next(c, &cmd) && cmd.kind == VL_CONTROL_CARD &&
          strlen(cmd.text) == VL_CONTROL_NAME_MAX && cmd.index == 0);
    CHECK(vl_control_next(c, &cmd) && cmd.kind == VL_CONTROL_TRACKER_DELAY &&
          cmd.v[0] == 2000 && cmd.index == 255);
    CHECK(vl_control_next(c, &cmd) && cmd.kind == VL_CONTROL_STATS && cmd.reply.port == 65535);
    CHECK(vl_control_next(c, &cmd) && cmd.kind == VL_CONTROL_OVERSCAN && cmd.v[0] == 2);
    CHECK(vl_control_next(c, &cmd) && cmd.kind == VL_CONTROL_SOFTEDGE && cmd.v[0] == 0);
    CHECK(vl_control_next(c, &cmd) && cmd.kind == VL_CONTROL_OVERSCAN && cmd.v[0] == 0.25);
    check_counts(c, u, n + g, 7, "limits");

    lo_blob_free(blob);
    free(long_path);
    vl_control_close(c);
}

/* Random bytes and mutations of good messages: never a crash, every
 * datagram counted once, and what is queued is well formed. */
static void test_fuzz(void)
{
    vl_control *c = open_ok("0");
    if (!c)
        return;
    int p = vl_control_port(c);
    uint8_t seeds[4][128];
    size_t seed_len[4] = {
        serialise(msg("sffffi", "k", 1.0f, 2.0f, 3.0f, 4.0f, 1), "/volym/card/rect", seeds[0], 128),
        serialise(msg("is", 1, "rec709"), "/volym/output/transfer", seeds[1], 128),
        serialise(msg("fi", 20.0f, 1), "/volym/tracker/delay", seeds[2], 128),
        serialise(msg("s", "/a/plate.mov"), "/volym/plate/open", seeds[3], 128),
    };
    srand(7);
    const int rounds = 100, per_round = 30;
    int64_t good = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < per_round; i++) {
            uint8_t buf[128];
            int s = rand() % 4;
            size_t len = seed_len[s];
            memcpy(buf, seeds[s], len);
            if (i % 5 == 0) {
                len = (size_t)(rand() % 128);
                for (size_t k = 0; k < len; k++)
                    buf[k] = (uint8_t)rand();
            } else {
                for (int k = rand() % 4; k >= 0; k--)
                    buf[rand() % len] = (uint8_t)rand();
                if (rand() % 3 == 0)
                    len = (size_t)(rand() % (int)len);
            }
            send_raw(p, buf, len);
        }
        CHECK(wait_received(c, (int64_t)(r + 1) * per_round));
        vl_control_cmd cmd;
        while (vl_control_next(c, &cmd)) {
            good++;
            CHECK(cmd.kind > VL_CONTROL_NONE && cmd.kind < VL_CONTROL_N_KINDS);
            CHECK(cmd.nv >= 0 && cmd.nv <= VL_CONTROL_MAX_NUMBERS);
            CHECK(memchr(cmd.text, '\0', sizeof(cmd.text)) != NULL);
        }
    }
    int64_t rx, unknown, malformed, dropped;
    vl_control_counts(c, &rx, &unknown, &malformed, &dropped);
    CHECK(rx == (int64_t)rounds * per_round);
    CHECK(rx == good + unknown + malformed + dropped);
    CHECK(malformed > rx / 2);
    printf("fuzz: %lld datagrams: %lld queued, %lld unknown, %lld malformed\n",
           (long long)rx, (long long)good, (long long)unknown, (long long)malformed);
    vl_control_close(c);
}

/* ---- stats --------------------------------------------------------------- */

struct stats_got {
    int n;
    char types[32];
    vl_control_stats st;
    size_t timecode_len;
    int from_port;
};

static int stats_handler(const char *path, const char *types, lo_arg **argv, int argc,
                         lo_message m, void *user)
{
    (void)path;
    struct stats_got *g = user;
    g->n++;
    snprintf(g->types, sizeof(g->types), "%s", types);
    g->from_port = atoi(lo_address_get_port(lo_message_get_source(m)));
    if (argc != 12 || strcmp(types, VL_CONTROL_STATS_TYPES))
        return 0;
    /* memcpy: liblo leaves 8-byte values at 4-byte aligned offsets. */
    memcpy(&g->st.frame, argv[0], 8);
    memcpy(&g->st.dropped, argv[1], 8);
    memcpy(&g->st.late, argv[2], 8);
    memcpy(&g->st.fps, argv[3], 8);
    memcpy(&g->st.frame_ms_p50, argv[4], 8);
    memcpy(&g->st.frame_ms_p99, argv[5], 8);
    memcpy(&g->st.pose_age_ms, argv[6], 8);
    g->timecode_len = strlen((const char *)argv[7]);
    snprintf(g->st.timecode, sizeof(g->st.timecode), "%s", (const char *)argv[7]);
    snprintf(g->st.clock, sizeof(g->st.clock), "%s", (const char *)argv[8]);
    memcpy(&g->st.phase_error_ms, argv[9], 8);
    memcpy(&g->st.plate_frame, argv[10], 8);
    int32_t playing;
    memcpy(&playing, argv[11], 4);
    g->st.plate_playing = playing != 0;
    return 0;
}

static const vl_control_stats sample_stats = {
    .frame = INT64_C(1234567890123), .dropped = 3, .late = 7,
    .fps = 24000.0 / 1001.0, .frame_ms_p50 = 41.2, .frame_ms_p99 = 45.75,
    .pose_age_ms = 12.5, .timecode = "01:02:03:04", .clock = "tracker locked",
    .phase_error_ms = -0.375, .plate_frame = 4321, .plate_playing = true,
};

static void check_stats(const struct stats_got *g)
{
    const vl_control_stats *w = &sample_stats;
    CHECK(!strcmp(g->types, VL_CONTROL_STATS_TYPES));
    CHECK(g->st.frame == w->frame && g->st.dropped == w->dropped && g->st.late == w->late);
    CHECK(g->st.fps == w->fps && g->st.frame_ms_p50 == w->frame_ms_p50);
    CHECK(g->st.frame_ms_p99 == w->frame_ms_p99 && g->st.pose_age_ms == w->pose_age_ms);
    CHECK(!strcmp(g->st.timecode, w->timecode) && !strcmp(g->st.clock, w->clock));
    CHECK(g->st.phase_error_ms == w->phase_error_ms);
    CHECK(g->st.plate_frame == w->plate_frame && g->st.plate_playing == w->plate_playing);
}

static lo_server client_new(struct stats_got *g)
{
    lo_server s = lo_server_new(NULL, NULL);
    CHECK(s != NULL);
    if (s)
        lo_server_add_method(s, "/volym/stats", NULL, stats_handler, g);
    return s;
}

/* Take the next command, which must be a stats query. */
static bool next_stats(vl_control *c, int64_t n, vl_control_cmd *cmd)
{
    CHECK(wait_received(c, n));
    bool ok = vl_control_next(c, cmd) && cmd->kind == VL_CONTROL_STATS;
    CHECK(ok);
    return ok;
}

static void test_stats_liblo(void)
{
    vl_control *c = open_ok("0");
    struct stats_got a = { 0 }, b = { 0 };
    lo_server ca = client_new(&a), cb = client_new(&b);
    if (!c || !ca || !cb)
        goto done;
    char port[16];
    snprintf(port, sizeof(port), "%d", vl_control_port(c));
    lo_address server = lo_address_new("127.0.0.1", port);

    /* Answered to the port the query came from, from the server's port. */
    lo_send_from(server, ca, LO_TT_IMMEDIATE, "/volym/stats", "");
    vl_control_cmd cmd;
    if (next_stats(c, 1, &cmd)) {
        CHECK(cmd.reply.port == lo_server_get_port(ca));
        CHECK(vl_control_reply_stats(c, &cmd, &sample_stats));
        CHECK(lo_server_recv_noblock(ca, WAIT_MS) > 0);
        CHECK(a.n == 1);
        check_stats(&a);
        CHECK(a.from_port == vl_control_port(c));
        /* Answered once: the command is released. */
        CHECK(cmd.kind == VL_CONTROL_NONE);
        CHECK(!vl_control_reply_stats(c, &cmd, &sample_stats));
        CHECK(lo_server_recv_noblock(ca, 100) == 0 && a.n == 1);
    }

    /* With a port: to the sender's host at that port, not to the sender. */
    lo_send_from(server, ca, LO_TT_IMMEDIATE, "/volym/stats", "i", lo_server_get_port(cb));
    if (next_stats(c, 2, &cmd)) {
        CHECK(vl_control_reply_stats(c, &cmd, &sample_stats));
        CHECK(lo_server_recv_noblock(cb, WAIT_MS) > 0);
        CHECK(b.n == 1);
        check_stats(&b);
        CHECK(lo_server_recv_noblock(ca, 100) == 0 && a.n == 1);
    }

    /* A query dropped unanswered sends nothing; nor does a command of
     * another kind. A full timecode field (no NUL) goes out whole. */
    lo_send_from(server, ca, LO_TT_IMMEDIATE, "/volym/stats", "");
    lo_send_from(server, ca, LO_TT_IMMEDIATE, "/volym/plate/play", "");
    if (next_stats(c, 4, &cmd)) {
        vl_control_cmd_free(&cmd);
        vl_control_cmd_free(&cmd);
        CHECK(!vl_control_reply_stats(c, &cmd, &sample_stats));
        CHECK(vl_control_next(c, &cmd) && cmd.kind == VL_CONTROL_PLATE_PLAY);
        CHECK(!vl_control_reply_stats(c, &cmd, &sample_stats));
        CHECK(lo_server_recv_noblock(ca, 100) == 0 && a.n == 1);
    }
    lo_send_from(server, ca, LO_TT_IMMEDIATE, "/volym/stats", "");
    if (next_stats(c, 5, &cmd)) {
        vl_control_stats full = sample_stats;
        memcpy(full.timecode, "0123456789abcdef", 16);
        CHECK(vl_control_reply_stats(c, &cmd, &full));
        CHECK(lo_server_recv_noblock(ca, WAIT_MS) > 0 && a.n == 2);
        CHECK(a.timecode_len == 16 && !strncmp(a.st.timecode, "0123456789abcde", 15));
    }
    lo_address_free(server);
done:
    if (ca)
        lo_server_free(ca);
    if (cb)
        lo_server_free(cb);
    vl_control_close(c);
}

/* A UDP port that was free a moment ago. */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    bind(fd, (struct sockaddr *)&a, sizeof(a));
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

/* oscsend asks, naming the port oscdump listens on (oscsend cannot
 * receive); oscdump prints the answer. */
static void test_stats_oscdump(void)
{
    vl_control *c = open_ok("0");
    if (!c)
        return;
    char out_path[] = "/tmp/volym-control-XXXXXX";
    int fd = mkstemp(out_path);
    CHECK(fd >= 0);
    close(fd);
    char dump_port[16];
    snprintf(dump_port, sizeof(dump_port), "%d", free_port());
    char *argv[] = { "oscdump", "-L", dump_port, NULL };
    pid_t pid = -1;
    CHECK(run(argv, &pid, out_path) == 0);

    /* oscdump may not listen yet: ask again until it has printed. */
    char text[1024] = "";
    int64_t n = 0;
    for (int tries = 0; pid > 0 && tries < 40 && !strstr(text, "/volym/stats"); tries++) {
        oscsend(vl_control_port(c), "/volym/stats", "i", dump_port, NULL);
        vl_control_cmd cmd;
        if (!next_stats(c, ++n, &cmd))
            break;
        CHECK(cmd.reply.port == atoi(dump_port));
        CHECK(vl_control_reply_stats(c, &cmd, &sample_stats));
        sleep_ms(50);
        FILE *f = fopen(out_path, "r");
        if (f) {
            size_t len = fread(text, 1, sizeof(text) - 1, f);
            text[len] = '\0';
            fclose(f);
        }
    }
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
    const char *want = "/volym/stats hhhddddssdhi 1234567890123 3 7 23.976024 41.200000 "
                       "45.750000 12.500000 \"01:02:03:04\" \"tracker locked\" -0.375000 4321 1";
    CHECK(strstr(text, want) != NULL);
    if (!strstr(text, want))
        fprintf(stderr, "  oscdump printed: %s\n", text);
    unlink(out_path);
    vl_control_close(c);
}

/* ---- binding -------------------------------------------------------------- */

/* This machine's first IPv4 address that is not loopback, or 0. */
static uint32_t other_local_address(void)
{
    struct ifaddrs *list, *i;
    uint32_t found = 0;
    if (getifaddrs(&list) < 0)
        return 0;
    for (i = list; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        uint32_t a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
        if ((ntohl(a) >> 24) != 127)
            found = a;
    }
    freeifaddrs(list);
    return found;
}

static void send_to(uint32_t ipv4, int port)
{
    uint8_t buf[64];
    size_t n = serialise(msg(""), "/volym/plate/play", buf, sizeof(buf));
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = ipv4 };
    CHECK(sendto(tx_fd, buf, n, 0, (struct sockaddr *)&to, sizeof(to)) == (ssize_t)n);
}

static void test_bind(void)
{
    vl_control *lo = open_ok("0");
    vl_control *any = open_ok("0.0.0.0:0");
    vl_control *named = open_ok("localhost:0");
    if (!lo || !any || !named)
        goto done;
    char want[64];
    snprintf(want, sizeof(want), "127.0.0.1:%d", vl_control_port(lo));
    CHECK(!strcmp(vl_control_address(lo), want));
    snprintf(want, sizeof(want), "0.0.0.0:%d", vl_control_port(any));
    CHECK(!strcmp(vl_control_address(any), want));
    snprintf(want, sizeof(want), "127.0.0.1:%d", vl_control_port(named));
    CHECK(!strcmp(vl_control_address(named), want));
    CHECK(vl_control_port(lo) > 0 && vl_control_port(lo) != vl_control_port(any));

    /* Sent to this machine's other address: only the 0.0.0.0 server hears. */
    uint32_t other = other_local_address();
    if (other) {
        send_to(other, vl_control_port(lo));
        send_to(other, vl_control_port(any));
        CHECK(wait_received(any, 1));
        sleep_ms(200);
        CHECK(received(lo) == 0);
        send_to(htonl(INADDR_LOOPBACK), vl_control_port(lo));
        CHECK(wait_received(lo, 1));
    } else {
        printf("bind: no non-loopback IPv4 address here; reachability not checked\n");
    }

    /* A busy port: NULL and one message with the address and the reason. */
    char err[256] = "";
    snprintf(want, sizeof(want), "127.0.0.1:%d", vl_control_port(lo));
    vl_control *again = vl_control_open(want, err, sizeof(err));
    CHECK(again == NULL);
    vl_control_close(again);
    CHECK(strstr(err, want) != NULL);
    CHECK(strstr(err, strerror(EADDRINUSE)) != NULL);
    /* Without an err buffer the message is logged instead. */
    FILE *tmp;
    char log[1024];
    int saved = capture_stderr(&tmp);
    again = vl_control_open(want, NULL, 0);
    end_capture(tmp, saved, log, sizeof(log));
    CHECK(again == NULL);
    CHECK(strstr(log, want) != NULL && strstr(log, strerror(EADDRINUSE)) != NULL);
    CHECK(strchr(log, '\n') == strrchr(log, '\n'));

    /* Text that is not PORT or ADDR:PORT. */
    const char *bad[] = { "", "abc", "9000x", "70000", "-1", " 9000", ":9000", "[::1]:9000",
                          "::1", "host.invalid:9000", "127.0.0.1:", NULL };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        vl_control *c = vl_control_open(bad[i], err, sizeof(err));
        CHECK(c == NULL);
        CHECK(err[0] != '\0');
        vl_control_close(c);
    }
done:
    vl_control_close(named);
    vl_control_close(any);
    vl_control_close(lo);
    vl_control_close(NULL);
}

/* ---- the queue bound ------------------------------------------------------ */

static void test_flood(void)
{
    vl_control *c = open_ok("0");
    if (!c)
        return;
    int p = vl_control_port(c);
    const int n = VL_CONTROL_QUEUE_SIZE + 36;
    for (int i = 0; i < n; i++)
        send_msg(p, msg("d", i / 1000.0), "/volym/plate/seek");
    CHECK(wait_received(c, n));
    int64_t rx, unknown, malformed, dropped;
    vl_control_counts(c, &rx, &unknown, &malformed, &dropped);
    CHECK(rx == n && dropped == n - VL_CONTROL_QUEUE_SIZE && unknown == 0 && malformed == 0);
    /* The oldest stay, in order; the newest are dropped. */
    vl_control_cmd cmd;
    int got = 0;
    while (vl_control_next(c, &cmd)) {
        CHECK(cmd.v[0] == got / 1000.0);
        got++;
    }
    CHECK(got == VL_CONTROL_QUEUE_SIZE);
    /* Drained, it takes commands again. */
    send_msg(p, msg("d", 7.0), "/volym/plate/seek");
    CHECK(wait_received(c, n + 1));
    CHECK(vl_control_next(c, &cmd) && cmd.v[0] == 7.0);
    vl_control_counts(c, NULL, NULL, NULL, &dropped);
    CHECK(dropped == n - VL_CONTROL_QUEUE_SIZE);
    vl_control_close(c);
}

int main(void)
{
    vl_log_set_level(VL_LOG_WARN);
    tx_fd = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(tx_fd >= 0);
    test_addresses();
    test_malformed();
    test_fuzz();
    test_stats_liblo();
    test_stats_oscdump();
    test_bind();
    test_flood();
    close(tx_fd);
    return check_result("control");
}
