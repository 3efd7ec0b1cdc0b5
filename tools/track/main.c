/*
 * volym-track: command line. One table of options drives parsing, checks,
 * required options and each command's --help (tools/common/args.h walks it,
 * as engine/app/cli.c does volym's).
 * Exit status: 0 done, 1 runtime error, 2 usage error.
 */
#include "tool.h"

#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "../common/args.h"

#define PROG "volym-track"
#define EXIT_USAGE 2

#define SIM (1u << CMD_SIM)
#define PROBE (1u << CMD_PROBE)
#define RECORD (1u << CMD_RECORD)
#define REPLAY (1u << CMD_REPLAY)
#define EXPORT (1u << CMD_EXPORT)

#define OFF(field) offsetof(track_opts, field)

/* One name may appear more than once when it means something else to
 * another command (--rate: Hz for sim, a frame rate for export). */
static const args_opt opt_table[] = {
    { "to", OPT_STRING, OFF(to), 0, 0, NULL, SIM | REPLAY, SIM | REPLAY, "URL", "where to send" },
    { "from", OPT_STRING, OFF(from), 0, 0, NULL, PROBE | RECORD, PROBE | RECORD, "URL",
      "where to listen (port 0 picks a free one and logs it)" },
    { "out", OPT_STRING, OFF(out), 0, 0, NULL, RECORD, RECORD, "FILE", "the take to write (JSON lines)" },
    { "out", OPT_STRING, OFF(out), 0, 0, NULL, EXPORT, 0, "FILE",
      "where to write, - for stdout (default: FILE with .csv or .chan for its extension)" },
    { "move", OPT_CHOICE, OFF(move), 0, N_MOVES - 1, track_move_names, SIM, 0, "orbit|dolly|pan|handheld",
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
    { "format", OPT_CHOICE, OFF(format), 0, N_FORMATS - 1, track_format_names, EXPORT, EXPORT, "csv|chan",
      "what to write (see below)" },
    { "format", OPT_CHOICE, OFF(payload), 0, N_PAYLOADS - 1, track_payload_names, SIM | REPLAY, 0,
      "json|cbor", "OpenTrackIO: the payload encoding (default json)" },
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

static const char *cmd_name(int cmd)
{
    return commands[cmd].name;
}

static void usage_all(FILE *f)
{
    fputs("usage: " PROG " COMMAND [options]   (" PROG " COMMAND --help for its options)\n\n", f);
    for (int c = 0; c < N_CMDS; c++)
        fprintf(f, "  %-8s %s\n", commands[c].name, commands[c].help);
    fputs("\n", f);
    fputs(url_help, f);
}

static void usage_cmd(FILE *f, int cmd)
{
    const struct command *c = &commands[cmd];
    fprintf(f, "usage: " PROG " %s%s%s [options]\n  %s\n\noptions:\n", c->name, c->file ? " " : "",
            c->file ? c->file : "", c->help);
    args_print_options(f, opt_table, N_OPTS, cmd, 32);
    fputs("\n", f);
    if (c->notes)
        fprintf(f, "%s\n", c->notes);
    if (cmd != CMD_EXPORT)
        fputs(url_help, f);
}

static const char **set_defaults(void *opts, int cmd)
{
    track_opts *o = opts;
    *o = (track_opts){
        .cmd = (enum track_cmd)cmd,
        .move = MOVE_ORBIT,
        .rate_hz = 50,
        .seconds = cmd == CMD_SIM ? 10 : 0,
        .camera = cmd == CMD_SIM ? 1 : -1,
        .fov_deg = 50,
        .zoom = -1,
        .focus = -1,
        .payload = -1,
        .speed = 1,
        .fps = { 25, 1 },
        .aspect = 16.0 / 9.0,
    };
    return commands[cmd].file ? &o->file : NULL;
}

static const args_tool tool = {
    .prog = PROG, .opts = opt_table, .n_opts = N_OPTS, .n_cmds = N_CMDS, .cmd_name = cmd_name,
    .usage_all = usage_all, .usage_cmd = usage_cmd, .start = set_defaults, .unexpected = "",
};

/* What the table cannot say: a positional FILE, pairs. */
static bool check_opts(const track_opts *o)
{
    const char *name = commands[o->cmd].name;
    if (commands[o->cmd].file && !o->file) {
        fprintf(stderr, PROG " %s: which take? expected " PROG " %s FILE\n", name, name);
        return false;
    }
    if (o->payload >= 0 && strncmp(o->to, "opentrackio://", 14)) {
        fprintf(stderr, PROG " %s: --format is OpenTrackIO's payload encoding: expected --to "
                "opentrackio://HOST[:PORT]\n", name);
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
    bool given[N_OPTS] = { 0 };
    int r = args_parse(&tool, opts, given, argc, argv);
    return r ? r : check_opts(opts) ? 0 : -1;
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
