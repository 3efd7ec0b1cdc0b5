/*
 * Command line: one table of options drives parsing, validation and --help
 * (the way mpv's option tables and FFmpeg's AVOptions do).
 */
#include "app.h"
#include "media/media.h"
#include "render/render.h"
#include "stage/pattern.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum opt_type { OPT_FLAG, OPT_STRING, OPT_URL, OPT_INT, OPT_DOUBLE, OPT_POSE, OPT_SIZE, OPT_VIEW,
                OPT_NUMBERS, OPT_CHOICE };

typedef struct opt_def {
    const char *name;
    enum opt_type type;
    size_t offset;              /* into vl_opts */
    double min, max;            /* for numbers; OPT_NUMBERS: how many */
    const char *arg;            /* argument name in --help */
    const char *help;
} opt_def;

#define OFF(field) offsetof(vl_opts, field)

static const opt_def opt_table[] = {
    { "stage", OPT_STRING, OFF(stage_path), 0, 0, "FILE", "stage JSON (default: the built-in curved wall)" },
    { "scene", OPT_STRING, OFF(scene), 0, 0, "FILE|builtin:NAME", "a glTF (.gltf/.glb) or OBJ model, builtin:fell (default without a plate) or builtin:grid" },
    { "scene-place", OPT_NUMBERS, OFF(scene_place), 3, 7, "X,Y,Z[,PAN,TILT,ROLL[,SCALE]]", "where the model stands: metres, degrees, scale (default 0,0,0,0,0,0,1)" },
    { "plate", OPT_STRING, OFF(plate), 0, 0, "FILE|URL", "a video plate: any file, image sequence or stream libavformat reads" },
    { "plate-mode", OPT_CHOICE, OFF(plate_mode), 0, 0, "equirect|flat|wall", "360 at infinity (default), a screen in the scene, or straight onto the canvas" },
    { "plate-rotate", OPT_NUMBERS, OFF(plate_rotate), 3, 3, "YAW,PITCH,ROLL", "turn the 360 plate or the flat screen, degrees (default 0,0,0)" },
    { "plate-screen", OPT_NUMBERS, OFF(plate_screen), 3, 3, "DIST,WIDTH,HEIGHT", "flat: screen distance, width and centre height in metres (default 12,16,2)" },
    { "plate-in", OPT_INT, OFF(plate_in), 0, 1e9, "FRAME", "first source frame played (default 0)" },
    { "plate-out", OPT_INT, OFF(plate_out), 1, 1e9, "FRAME", "play up to this source frame, exclusive (default: the end)" },
    { "plate-speed", OPT_STRING, OFF(plate_speed), 0, 0, "S", "playback speed: 1, 0.5, 2, 1/2 ... (default 1)" },
    { "plate-rate", OPT_STRING, OFF(plate_rate), 0, 0, "RATE", "the rate of a plate with no timestamps (a raw .h264/.hevc stream): 25, 24000/1001, 29.97 ... (default: the stage rate)" },
    { "plate-once", OPT_FLAG, OFF(plate_once), 0, 0, NULL, "hold the last frame at the out point instead of looping" },
    { "pose", OPT_POSE, OFF(pose), 0, 0, "X,Y,Z,PAN,TILT,ROLL", "fixed camera pose, metres and degrees (default 0,0,1.5,0,0,0)" },
    { "fov", OPT_DOUBLE, OFF(fov_h_deg), 1, 170, "H_DEG", "camera horizontal field of view in degrees (default 50)" },
    { "tracking", OPT_URL, 0, 0, 0, "URL", "camera pose from a tracker (repeatable): freed://[addr]:port, osc://[addr]:port, opentrackio://[addr][:port]" },
    { "delay-ms", OPT_DOUBLE, OFF(delay_ms), 0, 2000, "MS", "--tracking samples describe the moment receive time - MS (default 0)" },
    { "predict-ms", OPT_DOUBLE, OFF(predict_ms), 0, 500, "MS", "render the tracked pose MS after the frame time (default 0)" },
    { "camera", OPT_INT, OFF(camera_id), 0, 255, "ID", "the tracked camera id that drives the frustum (default: the newest sample's)" },
    { "take", OPT_STRING, OFF(take), 0, 0, "FILE", "render: camera poses from a recorded take (volym-track record)" },
    { "frames", OPT_INT, OFF(frames), 1, 1e8, "N", "frames to render (render: default 1; run: until closed)" },
    { "out", OPT_STRING, OFF(out_dir), 0, 0, "DIR|FILE.mkv|FILE.mp4", "render: PNGs into DIR (default volym-out), or a video file: every picture a stream, timecode in the container" },
    { "codec", OPT_CHOICE, OFF(codec), 0, 0, "ffv1|h264", "render --out FILE: FFV1 lossless (default for .mkv) or H.264 (default for .mp4)" },
    { "view", OPT_VIEW, 0, 0, 0, "camera|reference|stage|preview|single", "render (repeatable): also write what the camera films / the scene straight from the camera / the volume seen from outside with the camera, its frustum, its recent path and the inner frustum's border on the wall (stage-NNNNNN.png) / the preview window's picture (preview-) / the single-screen window's (single-)" },
    { "camera-size", OPT_SIZE, OFF(camera_w), 16, 8192, "WxH", "camera image size (default 1920x1080)" },
    { "stage-size", OPT_SIZE, OFF(stage_w), 16, 8192, "WxH", "--view stage|preview|single: image size (default 1280x720)" },
    { "stage-view", OPT_CHOICE, OFF(stage_view), 0, 0, "top|front|orbit|camera", "the stage view's observer (also where the preview window starts): from above (orthographic), from behind the camera area, from above and behind at 3/4 (default), or over the tracked camera's shoulder" },
    { "pattern", OPT_CHOICE, OFF(pattern), 0, 0, "grid|crosshair|bars|apriltag", "run, render: a calibration test pattern on every output instead of the scene (render --pattern apriltag also writes the markers' stage positions, markers.json)" },
    { "inner-size", OPT_SIZE, OFF(inner_w), 16, 8192, "WxH", "inner frustum render size (default: camera size x (1 + overscan))" },
    { "stats", OPT_STRING, OFF(stats_path), 0, 0, "FILE", "run: one JSON line a frame (timing, timecode, pose age) into FILE" },
    { "timecode", OPT_STRING, OFF(timecode), 0, 0, "HH:MM:SS:FF|tracker", "the timecode of the first frame (default 00:00:00:00; ';' for drop-frame rates), or the tracker's (OpenTrackIO)" },
    { "clock", OPT_CHOICE, OFF(clock), 0, 0, "internal|vsync|tracker", "run: what starts frames: the system clock (default), the display's vblank, or the packet cadence of a tracker (genlocked)" },
    { "clock-tracker", OPT_INT, OFF(clock_tracker), 0, 63, "N", "--clock tracker: the session's tracker N, stage trackers first (default 0)" },
    { "clock-offset", OPT_DOUBLE, OFF(clock_offset_ms), -1000, 1000, "MS", "--clock tracker: start frames MS after the tracker's packets (default 0)" },
    { "control", OPT_STRING, OFF(control), 0, 0, "[ADDR:]PORT", "run: OSC control on 127.0.0.1:PORT (ADDR 0.0.0.0 for other machines); see README \"OSC control\"" },
    { "headless", OPT_FLAG, OFF(headless), 0, 0, NULL, "run: no windows, even with a display" },
    { "no-preview", OPT_FLAG, OFF(no_preview), 0, 0, NULL, "run: no preview window beside the LED outputs" },
    { "single-screen", OPT_FLAG, OFF(single_screen), 0, 0, NULL, "run: one window with the wall canvas, the camera view and the stage view side by side, and no LED output windows (a laptop with no LED wall)" },
    { "quiet", OPT_FLAG, OFF(quiet), 0, 0, NULL, "only warnings and errors" },
    { "verbose", OPT_FLAG, OFF(verbose), 0, 0, NULL, "debug messages" },
};

static void usage(FILE *f)
{
    fputs("usage: volym [run|render|bench [latency|plate]] [options]\n"
          "  volym            the demo: default stage, builtin:fell, a simulated camera move;\n"
          "                   windows with a display, PNG files without one\n"
          "  volym run        real-time playback to the stage outputs\n"
          "  volym render     headless, deterministic frames to PNG files\n"
          "  volym bench      frame cost against a plain textured pass\n"
          "  volym bench latency  tracking datagram -> frame latency at 50 fps over loopback\n"
          "  volym bench plate    --plate FILE decoded and reprojected as fast as it goes\n\noptions:\n", f);
    for (size_t i = 0; i < sizeof(opt_table) / sizeof(opt_table[0]); i++) {
        const opt_def *o = &opt_table[i];
        char left[96];
        snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        if (strlen(left) > 32)      /* a long argument: the help on its own line */
            fprintf(f, "  %s\n  %-32s %s\n", left, "", o->help);
        else
            fprintf(f, "  %-32s %s\n", left, o->help);
    }
    fputs("  --help, --version\n", f);
}

/* Up to max comma-separated numbers; the count, or -1 on garbage. */
static int parse_list(const char *s, double *v, int max)
{
    int n = 0;
    for (const char *p = s;; p++) {
        char *end;
        errno = 0;
        if (n == max)
            return -1;
        v[n] = strtod(p, &end);
        if (errno || end == p || !isfinite(v[n]))
            return -1;
        n++;
        p = end;
        if (!*p)
            return n;
        if (*p != ',')
            return -1;
    }
}

static bool set_option(vl_opts *opts, const opt_def *o, const char *arg)
{
    char *base = (char *)opts;
    char *end;
    switch (o->type) {
    case OPT_FLAG:
        *(bool *)(base + o->offset) = true;
        return true;
    case OPT_STRING:
        *(const char **)(base + o->offset) = arg;
        return true;
    case OPT_URL:
        if (opts->n_tracking == VL_MAX_CLI_TRACKERS) {
            fprintf(stderr, "volym: --tracking: at most %d on the command line (more go in "
                    "the stage's \"trackers\")\n", VL_MAX_CLI_TRACKERS);
            return false;
        }
        opts->tracking[opts->n_tracking++] = arg;
        return true;
    case OPT_INT: {
        errno = 0;
        long v = strtol(arg, &end, 10);
        if (errno || end == arg || *end || v < o->min || v > o->max) {
            fprintf(stderr, "volym: --%s: expected an integer from %g to %g, got '%s'\n",
                    o->name, o->min, o->max, arg);
            return false;
        }
        *(int *)(base + o->offset) = (int)v;
        return true;
    }
    case OPT_DOUBLE: {
        double v;
        if (parse_list(arg, &v, 1) != 1 || v < o->min || v > o->max) {
            fprintf(stderr, "volym: --%s: expected a number from %g to %g, got '%s'\n",
                    o->name, o->min, o->max, arg);
            return false;
        }
        *(double *)(base + o->offset) = v;
        return true;
    }
    case OPT_POSE: {
        double v[6];
        if (parse_list(arg, v, 6) != 6) {
            fprintf(stderr, "volym: --%s: expected six numbers x,y,z,pan,tilt,roll "
                    "(metres, degrees), got '%s'\n", o->name, arg);
            return false;
        }
        opts->pose = (vl_pose){ { v[0], v[1], v[2] }, v[3], v[4], v[5] };
        opts->pose_given = true;
        return true;
    }
    case OPT_SIZE: {
        int *wh = (int *)(base + o->offset);
        int w, h, used = 0;
        if (sscanf(arg, "%dx%d%n", &w, &h, &used) != 2 || arg[used] ||
            w < o->min || h < o->min || w > o->max || h > o->max) {
            fprintf(stderr, "volym: --%s: expected WxH from %gx%g to %gx%g, got '%s'\n",
                    o->name, o->min, o->min, o->max, o->max, arg);
            return false;
        }
        wh[0] = w;
        wh[1] = h;
        return true;
    }
    case OPT_NUMBERS: {
        double *v = (double *)(base + o->offset);
        int n = parse_list(arg, v, (int)o->max);
        if (n < o->min) {
            fprintf(stderr, "volym: --%s: expected %s (numbers separated by commas), got '%s'\n",
                    o->name, o->arg, arg);
            return false;
        }
        return true;
    }
    case OPT_CHOICE: {
        /* The choices are the argument name's words: "equirect|flat|wall". */
        size_t len = strlen(arg);
        int m = 0;
        for (const char *c = o->arg; *c; m++) {
            size_t n = strcspn(c, "|");
            if (n == len && !strncmp(c, arg, n)) {
                *(int *)(base + o->offset) = m;
                return true;
            }
            c += n + (c[n] == '|');
        }
        fprintf(stderr, "volym: --%s: expected %s, got '%s'\n", o->name, o->arg, arg);
        return false;
    }
    case OPT_VIEW:
        if (!strcmp(arg, "camera")) {
            opts->view_camera = true;
        } else if (!strcmp(arg, "reference")) {
            opts->view_reference = true;
        } else if (!strcmp(arg, "stage")) {
            opts->view_stage = true;
        } else if (!strcmp(arg, "preview")) {
            opts->view_preview = true;
        } else if (!strcmp(arg, "single")) {
            opts->view_single = true;
        } else {
            fprintf(stderr, "volym: --view: expected camera, reference, stage, preview or single, "
                    "got '%s'\n", arg);
            return false;
        }
        return true;
    }
    return false;
}

int vl_opts_parse(vl_opts *opts, int argc, char **argv)
{
    *opts = (vl_opts){
        .mode = VL_MODE_RUN,
        .scene_place = { 0, 0, 0, 0, 0, 0, 1 },
        .plate_screen = { 12, 16, 2 },
        .pose = { { 0, 0, 1.5 }, 0, 0, 0 },
        .fov_h_deg = 50,
        .camera_id = -1,
        .camera_w = 1920,
        .camera_h = 1080,
        .stage_w = 1280,
        .stage_h = 720,
        .stage_view = VL_STAGE_VIEW_ORBIT,
        .codec = -1,
        .pattern = -1,
    };
    int i = 1;
    if (argc == 1)
        opts->demo = true;
    if (i < argc && argv[i][0] != '-') {
        if (!strcmp(argv[i], "run"))
            opts->mode = VL_MODE_RUN;
        else if (!strcmp(argv[i], "render"))
            opts->mode = VL_MODE_RENDER;
        else if (!strcmp(argv[i], "bench") && i + 1 < argc && !strcmp(argv[i + 1], "latency")) {
            opts->mode = VL_MODE_BENCH_LATENCY;
            i++;
        } else if (!strcmp(argv[i], "bench") && i + 1 < argc && !strcmp(argv[i + 1], "plate")) {
            opts->mode = VL_MODE_BENCH_PLATE;
            i++;
        } else if (!strcmp(argv[i], "bench"))
            opts->mode = VL_MODE_BENCH;
        else if (!strcmp(argv[i], "demo"))
            opts->demo = true;
        else {
            fprintf(stderr, "volym: unknown command '%s' (expected run, render, bench or demo)\n", argv[i]);
            return -1;
        }
        i++;
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        }
        if (!strcmp(a, "--version")) {
            puts("volym " VL_VERSION);
            return 1;
        }
        const opt_def *o = NULL;
        for (size_t k = 0; a[0] == '-' && a[1] == '-' && k < sizeof(opt_table) / sizeof(opt_table[0]); k++)
            if (!strcmp(a + 2, opt_table[k].name))
                o = &opt_table[k];
        if (!o) {
            fprintf(stderr, "volym: unknown option '%s' (see volym --help)\n", a);
            return -1;
        }
        const char *arg = NULL;
        if (o->type != OPT_FLAG) {
            if (i + 1 >= argc) {
                fprintf(stderr, "volym: --%s needs an argument: %s\n", o->name, o->arg);
                return -1;
            }
            arg = argv[++i];
        }
        if (!set_option(opts, o, arg))
            return -1;
    }
    if ((opts->pose_given != 0) + (opts->n_tracking > 0) + (opts->take != NULL) > 1) {
        fprintf(stderr, "volym: --pose, --tracking and --take each set the camera: give one\n");
        return -1;
    }
    vl_rational speed;
    if (opts->plate_speed && !vl_speed_parse(opts->plate_speed, &speed)) {
        fprintf(stderr, "volym: --plate-speed: expected a positive number or fraction "
                "(1, 0.5, 1/2), got '%s'\n", opts->plate_speed);
        return -1;
    }
    vl_rational rate;
    if (opts->plate_rate && !vl_rational_parse(opts->plate_rate, &rate)) {
        fprintf(stderr, "volym: --plate-rate: expected a frame rate (25, 24000/1001, 29.97), "
                "got '%s'\n", opts->plate_rate);
        return -1;
    }
    if (opts->plate_out && opts->plate_out <= opts->plate_in) {
        fprintf(stderr, "volym: --plate-out (%d) must come after --plate-in (%d)\n",
                opts->plate_out, opts->plate_in);
        return -1;
    }
    if (opts->mode == VL_MODE_RENDER && opts->clock != VL_CLOCK_INTERNAL) {
        fprintf(stderr, "volym: --clock is for run: render draws every frame at its own pace\n");
        return -1;
    }
    /* --pattern's choices are the pattern names in enum order. */
    _Static_assert(VL_PATTERN_GRID == 0 && VL_PATTERN_CROSSHAIR == 1 && VL_PATTERN_BARS == 2 &&
                   VL_PATTERN_APRILTAG == 3 && VL_PATTERN_N == 4, "--pattern's choices");
    _Static_assert(VL_STAGE_VIEW_TOP == 0 && VL_STAGE_VIEW_FRONT == 1 && VL_STAGE_VIEW_ORBIT == 2 &&
                   VL_STAGE_VIEW_CAMERA == 3, "--stage-view's choices");
    if (opts->no_preview && opts->single_screen) {
        fprintf(stderr, "volym: --single-screen is a preview window: it cannot go with --no-preview\n");
        return -1;
    }
    if (opts->pattern >= 0 && opts->mode != VL_MODE_RUN && opts->mode != VL_MODE_RENDER) {
        fprintf(stderr, "volym: --pattern works with run and render\n");
        return -1;
    }
    if (opts->take && opts->mode != VL_MODE_RENDER) {
        fprintf(stderr, "volym: --take works with render (volym render --take FILE)\n");
        return -1;
    }
    return 0;
}
