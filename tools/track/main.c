/*
 * volym-track: command line. One table of options drives parsing, checks,
 * required options and each command's --help (as engine/app/cli.c does for
 * volym). Exit status: 0 done, 1 runtime error, 2 usage error.
 */
#include "tool.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROG "volym-track"
#define EXIT_USAGE 2

enum opt_type { OPT_FLAG, OPT_STRING, OPT_INT, OPT_DOUBLE, OPT_CHOICE, OPT_RATE };

#define SIM (1u << CMD_SIM)
#define PROBE (1u << CMD_PROBE)
#define RECORD (1u << CMD_RECORD)
#define REPLAY (1u << CMD_REPLAY)
#define EXPORT (1u << CMD_EXPORT)

typedef struct opt_def {
    const char *name;
    enum opt_type type;
    size_t offset;              /* into track_opts */
    double min, max;            /* OPT_INT, OPT_DOUBLE */
    const char *const *choices; /* OPT_CHOICE: NULL-terminated */
    unsigned cmds;              /* the commands that take it */
    unsigned required;          /* the commands that need it */
    const char *arg;            /* argument name in --help; NULL for a flag */
    const char *help;
} opt_def;

#define OFF(field) offsetof(track_opts, field)

/* One name may appear more than once when it means something else to
 * another command (--rate: Hz for sim, a frame rate for export). */
static const opt_def opt_table[] = {
    { "to", OPT_STRING, OFF(to), 0, 0, NULL, SIM | REPLAY, SIM | REPLAY, "URL", "where to send" },
    { "from", OPT_STRING, OFF(from), 0, 0, NULL, PROBE | RECORD, PROBE | RECORD, "URL",
      "where to listen (port 0 picks a free one and logs it)" },
    { "out", OPT_STRING, OFF(out), 0, 0, NULL, RECORD, RECORD, "FILE", "the take to write (JSON lines)" },
    { "out", OPT_STRING, OFF(out), 0, 0, NULL, EXPORT, 0, "FILE",
      "where to write, - for stdout (default: FILE with .csv or .chan for its extension)" },
    { "move", OPT_CHOICE, OFF(move), 0, 0, track_move_names, SIM, 0, "orbit|dolly|pan|handheld",
      "the scripted move (default orbit)" },
    { "rate", OPT_DOUBLE, OFF(rate_hz), 0.1, 10000, NULL, SIM, 0, "HZ", "samples per second (default 50)" },
    { "rate", OPT_RATE, OFF(fps), 0, 0, NULL, EXPORT, 0, "FPS",
      "chan: frame rate, 25, 24000/1001, 29.97 ... (default 25)" },
    { "seconds", OPT_DOUBLE, OFF(seconds), 0, 1e9, NULL, SIM, 0, "S",
      "how long (default 10; 0 = until Ctrl-C)" },
    { "seconds", OPT_DOUBLE, OFF(seconds), 0, 1e9, NULL, PROBE | RECORD, 0, "S",
      "stop after S seconds (default: at Ctrl-C)" },
    { "count", OPT_INT, OFF(count), 1, 2e9, NULL, PROBE | RECORD, 0, "N", "stop after N samples" },
    { "camera", OPT_INT, OFF(camera), 0, 255, NULL, SIM, 0, "ID", "the camera id sent (default 1)" },
    { "camera", OPT_INT, OFF(camera), 0, 255, NULL, PROBE | RECORD, 0, "ID",
      "only this camera id (default: any)" },
    { "camera", OPT_INT, OFF(camera), 0, 255, NULL, EXPORT, 0, "ID",
      "chan: the camera to export (default: the take's first)" },
    { "fov", OPT_DOUBLE, OFF(fov_deg), 1, 170, NULL, SIM, 0, "DEG", "horizontal FOV sent (default 50)" },
    { "zoom", OPT_INT, OFF(zoom), 0, 0xFFFFFF, NULL, SIM, 0, "RAW", "raw zoom encoder sent (with --focus)" },
    { "focus", OPT_INT, OFF(focus), 0, 0xFFFFFF, NULL, SIM, 0, "RAW", "raw focus encoder sent (with --zoom)" },
    { "timecode", OPT_STRING, OFF(timecode), 0, 0, NULL, SIM, 0, "HH:MM:SS:FF",
      "OpenTrackIO: send a timecode counting at --rate from this label" },
    { "segment", OPT_INT, OFF(segment), 32, 65507, NULL, SIM | REPLAY, 0, "BYTES",
      "OpenTrackIO: largest datagram; longer messages are segmented (default 1400)" },
    { "json", OPT_FLAG, OFF(json), 0, 0, NULL, PROBE, 0, NULL,
      "one JSON object per sample on stdout, nothing else (status on stderr)" },
    { "loop", OPT_FLAG, OFF(loop), 0, 0, NULL, REPLAY, 0, NULL, "start again at the end, until Ctrl-C" },
    { "speed", OPT_DOUBLE, OFF(speed), 0.01, 100, NULL, REPLAY, 0, "X", "time scale: 2 = twice as fast (default 1)" },
    { "format", OPT_CHOICE, OFF(format), 0, 0, track_format_names, EXPORT, EXPORT, "csv|chan",
      "what to write (see below)" },
    { "aspect", OPT_DOUBLE, OFF(aspect), 0.1, 10, NULL, EXPORT, 0, "RATIO",
      "chan: image width / height, for the vertical FOV (default 1.7778, 16:9)" },
};
#define N_OPTS (sizeof(opt_table) / sizeof(opt_table[0]))

static const char take_notes[] =
    "A take is one JSON object per line: {\"t\": seconds, \"camera\": id, \"x\", \"y\", \"z\": metres,\n"
    "\"pan\", \"tilt\", \"roll\": degrees, \"fov\": horizontal degrees when known, \"zoom\",\n"
    "\"focus\": raw encoders when sent}, stage axes (X right, Y towards the wall, Z up).\n";

static const char probe_notes[] =
    "Each second a status line: sample rate, the standard deviation and maximum of the\n"
    "intervals between arrivals, and the tracker's counters (datagrams, samples, other\n"
    "cameras, dropped by reason). With --json, samples are lines as in a take, t counted\n"
    "from the start of the probe.\n";

static const char export_notes[] =
    "csv: every sample; header t,camera,x,y,z,pan,tilt,roll,fov,zoom,focus, empty cells\n"
    "     when unknown.\n"
    "chan: a Nuke camera (Camera > import chan file), one line per frame from frame 1 at\n"
    "     the take's start: frame tx ty tz rx ry rz [vertical FOV]. Nuke axes are Y-up:\n"
    "     (x, y, z) = stage (X, Z, -Y) in metres; rotations in degrees for Nuke's default\n"
    "     rotation order ZXY; the vertical FOV (degrees) only when the take has a FOV,\n"
    "     for --aspect: Nuke turns it into a focal length with the camera's vertical\n"
    "     aperture, so set that to the horizontal aperture / RATIO.\n";

static const struct command {
    const char *name;
    const char *file;           /* name of its positional argument, or NULL */
    const char *help;
    const char *notes;          /* after the options in --help, or NULL */
    int (*run)(const track_opts *o);
} commands[N_CMDS] = {
    [CMD_SIM] = { "sim", NULL, "send a scripted camera move at a steady rate", NULL, track_sim },
    [CMD_PROBE] = { "probe", NULL, "print samples as they arrive, with rate, jitter and errors "
                    "each second", probe_notes, track_probe },
    [CMD_RECORD] = { "record", NULL, "write arriving samples to a take until Ctrl-C, --seconds "
                     "or --count", take_notes, track_probe },
    [CMD_REPLAY] = { "replay", "FILE", "send a take's samples with their original timing",
                     take_notes, track_replay },
    [CMD_EXPORT] = { "export", "FILE", "write a take as CSV or as a Nuke .chan camera",
                     export_notes, track_export },
};

static const char url_help[] =
    "URLs: freed://HOST:PORT  osc://HOST:PORT  opentrackio://HOST[:PORT] (default port 55555);\n"
    "      to listen, HOST may be empty (any address) or a multicast group.\n";

static void usage_all(FILE *f)
{
    fputs("usage: " PROG " COMMAND [options]   (" PROG " COMMAND --help for its options)\n\n", f);
    for (int c = 0; c < N_CMDS; c++)
        fprintf(f, "  %-8s %s\n", commands[c].name, commands[c].help);
    fputs("\n", f);
    fputs(url_help, f);
}

static void usage_cmd(FILE *f, enum track_cmd cmd)
{
    const struct command *c = &commands[cmd];
    fprintf(f, "usage: " PROG " %s%s%s [options]\n  %s\n\noptions:\n", c->name, c->file ? " " : "",
            c->file ? c->file : "", c->help);
    for (size_t i = 0; i < N_OPTS; i++) {
        const opt_def *o = &opt_table[i];
        if (!(o->cmds & (1u << cmd)))
            continue;
        char left[64];
        snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-32s %s%s\n", left, o->required & (1u << cmd) ? "(required) " : "", o->help);
    }
    fputs("  --help\n\n", f);
    if (c->notes)
        fprintf(f, "%s\n", c->notes);
    if (cmd != CMD_EXPORT)
        fputs(url_help, f);
}

static bool parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return !errno && end != s && !*end && isfinite(*v);
}

static bool set_option(track_opts *opts, const opt_def *o, const char *arg)
{
    char *field = (char *)opts + o->offset;
    switch (o->type) {
    case OPT_FLAG:
        *(bool *)field = true;
        return true;
    case OPT_STRING:
        *(const char **)field = arg;
        return true;
    case OPT_INT: {
        char *end;
        errno = 0;
        long v = strtol(arg, &end, 10);
        if (errno || end == arg || *end || v < o->min || v > o->max) {
            fprintf(stderr, PROG ": --%s: expected an integer from %.0f to %.0f, got '%s'\n",
                    o->name, o->min, o->max, arg);
            return false;
        }
        *(int *)field = (int)v;
        return true;
    }
    case OPT_DOUBLE: {
        double v;
        if (!parse_double(arg, &v) || v < o->min || v > o->max) {
            fprintf(stderr, PROG ": --%s: expected a number from %g to %g, got '%s'\n",
                    o->name, o->min, o->max, arg);
            return false;
        }
        *(double *)field = v;
        return true;
    }
    case OPT_CHOICE:
        for (int k = 0; o->choices[k]; k++) {
            if (!strcmp(arg, o->choices[k])) {
                *(int *)field = k;
                return true;
            }
        }
        fprintf(stderr, PROG ": --%s: expected %s, got '%s'\n", o->name, o->arg, arg);
        return false;
    case OPT_RATE:
        if (!vl_rational_parse(arg, (vl_rational *)field)) {
            fprintf(stderr, PROG ": --%s: expected a frame rate such as 25, 24000/1001 or "
                    "29.97, got '%s'\n", o->name, arg);
            return false;
        }
        return true;
    }
    return false;
}

static void set_defaults(track_opts *o, enum track_cmd cmd)
{
    *o = (track_opts){
        .cmd = cmd,
        .move = MOVE_ORBIT,
        .rate_hz = 50,
        .seconds = cmd == CMD_SIM ? 10 : 0,
        .camera = cmd == CMD_SIM ? 1 : -1,
        .fov_deg = 50,
        .zoom = -1,
        .focus = -1,
        .speed = 1,
        .fps = { 25, 1 },
        .aspect = 16.0 / 9.0,
    };
}

/* The option called `name` for `cmd`; NULL after saying what is wrong. */
static const opt_def *find_option(enum track_cmd cmd, const char *arg)
{
    const char *name = arg + 2;
    bool elsewhere = false;
    for (size_t i = 0; arg[0] == '-' && arg[1] == '-' && i < N_OPTS; i++) {
        if (strcmp(name, opt_table[i].name))
            continue;
        if (opt_table[i].cmds & (1u << cmd))
            return &opt_table[i];
        elsewhere = true;
    }
    if (elsewhere)
        fprintf(stderr, PROG " %s: --%s is not an option of %s (see " PROG " %s --help)\n",
                commands[cmd].name, name, commands[cmd].name, commands[cmd].name);
    else
        fprintf(stderr, PROG " %s: unknown option '%s' (see " PROG " %s --help)\n",
                commands[cmd].name, arg, commands[cmd].name);
    return NULL;
}

/* What the table cannot say: required options, a positional FILE, pairs. */
static bool check_opts(const track_opts *o, const bool given[N_OPTS])
{
    const char *name = commands[o->cmd].name;
    for (size_t i = 0; i < N_OPTS; i++) {
        if ((opt_table[i].required & (1u << o->cmd)) && !given[i]) {
            fprintf(stderr, PROG " %s: --%s %s is required\n", name, opt_table[i].name,
                    opt_table[i].arg);
            return false;
        }
    }
    if (commands[o->cmd].file && !o->file) {
        fprintf(stderr, PROG " %s: which take? expected " PROG " %s FILE\n", name, name);
        return false;
    }
    if ((o->zoom < 0) != (o->focus < 0)) {
        fprintf(stderr, PROG " %s: --zoom and --focus go together: give both or neither\n", name);
        return false;
    }
    return true;
}

/* Returns 0 to run, 1 after --help, -1 on a usage error (already reported). */
static int parse_args(track_opts *opts, int argc, char **argv)
{
    if (argc < 2) {
        usage_all(stderr);
        return -1;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage_all(stdout);
        return 1;
    }
    int cmd = 0;
    while (cmd < N_CMDS && strcmp(argv[1], commands[cmd].name))
        cmd++;
    if (cmd == N_CMDS) {
        fprintf(stderr, PROG ": unknown command '%s' (expected sim, probe, record, replay or "
                "export; see " PROG " --help)\n", argv[1]);
        return -1;
    }
    set_defaults(opts, (enum track_cmd)cmd);
    bool given[N_OPTS] = { 0 };
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage_cmd(stdout, opts->cmd);
            return 1;
        }
        if (a[0] != '-' || !a[1]) {
            if (!commands[cmd].file || opts->file) {
                fprintf(stderr, PROG " %s: unexpected argument '%s'\n", commands[cmd].name, a);
                return -1;
            }
            opts->file = a;
            continue;
        }
        const opt_def *o = find_option(opts->cmd, a);
        if (!o)
            return -1;
        const char *arg = NULL;
        if (o->type != OPT_FLAG) {
            if (i + 1 >= argc) {
                fprintf(stderr, PROG " %s: --%s needs an argument: %s\n", commands[cmd].name,
                        o->name, o->arg);
                return -1;
            }
            arg = argv[++i];
        }
        if (!set_option(opts, o, arg))
            return -1;
        given[o - opt_table] = true;
    }
    return check_opts(opts, given) ? 0 : -1;
}

/* Written by the signal handler, read by the command loops: a signal
 * handler has nowhere else to put it. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

bool track_stopping(void)
{
    return stop_signal != 0;
}

int main(int argc, char **argv)
{
    track_opts opts;
    int r = parse_args(&opts, argc, argv);
    if (r)
        return r > 0 ? 0 : EXIT_USAGE;
    struct sigaction sa = { .sa_handler = on_signal };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return commands[opts.cmd].run(&opts);
}
