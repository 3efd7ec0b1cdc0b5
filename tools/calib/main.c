/*
 * volym-calib: command line. One table of options drives parsing, checks,
 * required options and each command's --help (tools/common/args.h walks it,
 * as it does tools/track/main.c's).
 * Exit status: 0 done, 1 runtime error (or problems found), 2 usage error.
 */
#include "calib.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/args.h"
#include "stage/pattern.h"

#define EXIT_USAGE 2
#define OPT_PHOTO OPT_OWN       /* camera: FILE@X,Y,Z,PAN,TILT,ROLL[,FOV] or FILE@SECONDS */

#define LAYOUT (1u << CMD_LAYOUT)
#define PATTERN (1u << CMD_PATTERN)
#define SURVEY (1u << CMD_SURVEY)
#define CAMERA (1u << CMD_CAMERA)
#define ALIGN (1u << CMD_TRACKER_ALIGN)
#define CHECK (1u << CMD_CHECK)

#define OFF(field) offsetof(calib_opts, field)

/* What OPT_NUMS values look like: how many numbers, what joins them, whole or not. */
static const args_nums wxh = { 2, 'x', false }, wxh_int = { 2, 'x', true }, xyz = { 3, ',', false },
                       xy_int = { 2, ',', true };

/* One name may appear more than once when it means something else to
 * another command (--out: a stage file, or pattern's folder). */
static const args_opt opt_table[] = {
    { "stage", OPT_STRING, OFF(stage), .cmds = PATTERN | SURVEY | CAMERA | ALIGN | CHECK,
      .required = PATTERN | SURVEY | CAMERA | ALIGN | CHECK, .arg = "FILE",
      .help = "the stage (JSON) to read" },
    { "panel-mm", OPT_NUMS, OFF(panel_mm), 0.01, 10000, &wxh, LAYOUT, LAYOUT, "WxH",
      "one panel's size in millimetres (500x500)" },
    { "panel-px", OPT_NUMS, OFF(panel_px), 1, 32768, &wxh_int, LAYOUT, LAYOUT, "WxH",
      "one panel's pixels (160x160)" },
    { "grid", OPT_NUMS, OFF(grid), 1, 1024, &wxh_int, LAYOUT, LAYOUT, "COLSxROWS",
      "panels across and down (12x5)" },
    { "curve", OPT_DOUBLE, OFF(curve_deg), -45, 45, .cmds = LAYOUT, .arg = "DEG",
      .help = "degrees each next column turns towards the viewer (default 0: flat)" },
    { "position", OPT_NUMS, OFF(position), -1000, 1000, &xyz, LAYOUT, LAYOUT, "X,Y,Z",
      "stage metres of the top-left corner of the top-left panel, seen from the front" },
    { "rotation", OPT_NUMS, OFF(rotation), -360, 360, &xyz, LAYOUT, 0, "YAW,PITCH,ROLL",
      "degrees (default 0,0,0: facing +Y; 0,90,0: a ceiling; 90,0,0: a wall on the right)" },
    { "name", OPT_STRING, OFF(name), .cmds = LAYOUT, .arg = "NAME",
      .help = "the section's name (default main)" },
    { "output", OPT_STRING, OFF(output), .cmds = LAYOUT, .arg = "NAME[:WxH]",
      .help = "the output (canvas) it is mapped into, created if new, WxH its size (default: "
              "the section's pixels; on an existing output, resizes it; default name: the "
              "section's)" },
    { "canvas", OPT_NUMS, OFF(canvas), 0, 32767, &xy_int, LAYOUT, 0, "X,Y",
      "its rectangle's top-left in the canvas (default: right of the output's last section)" },
    { "rate", OPT_RATE, OFF(rate), .cmds = LAYOUT, .arg = "FPS",
      .help = "the stage frame rate, 25, 24000/1001 ... (default 25, or the stage's with --add-to)" },
    { "add-to", OPT_STRING, OFF(add_to), .cmds = LAYOUT, .arg = "STAGE",
      .help = "add the section to this stage (written to --out, or over it with --in-place)" },
    { "in-place", OPT_FLAG, OFF(in_place), .cmds = LAYOUT, .help = "with --add-to: write over STAGE" },
    { "out", OPT_STRING, OFF(out), .cmds = LAYOUT, .arg = "FILE", .help = "the stage file to write" },
    { "out", OPT_STRING, OFF(out), .cmds = SURVEY, .required = SURVEY, .arg = "FILE",
      .help = "the stage file to write, its sections moved onto the points" },
    { "out", OPT_STRING, OFF(out), .cmds = ALIGN, .required = ALIGN, .arg = "FILE",
      .help = "the stage file to write, with the tracker's new transform" },
    { "kind", OPT_CHOICE, OFF(kind), .max = VL_PATTERN_N - 1, .priv = vl_pattern_names,
      .cmds = PATTERN, .required = PATTERN, .arg = "grid|crosshair|bars|apriltag",
      .help = "the pattern (see below)" },
    { "out", OPT_STRING, OFF(out), .cmds = PATTERN, .required = PATTERN, .arg = "DIR",
      .help = "the folder for DIR/OUTPUT-KIND.png (and markers.json), created if missing" },
    { "points", OPT_STRING, OFF(points), .cmds = SURVEY, .required = SURVEY, .arg = "CSV",
      .help = "measured points: label,x,y,z (see below)" },
    { "points", OPT_STRING, OFF(points), .cmds = ALIGN, .required = ALIGN, .arg = "CSV",
      .help = "where the camera stood: t_start,t_end,x,y,z with --take, x,y,z with --from "
              "(see below)" },
    { "take", OPT_STRING, OFF(take), .cmds = ALIGN, .arg = "FILE",
      .help = "the take (JSON lines) recorded with the tracker's transform at identity "
              "(this or --from)" },
    { "from", OPT_STRING, OFF(from), .cmds = ALIGN, .arg = "URL",
      .help = "listen live instead: freed://[addr]:port, osc://[addr]:port or "
              "opentrackio://[addr][:port], as volym --tracking takes; the samples stay in "
              "raw tracker space (see below)" },
    { "hold", OPT_DOUBLE, OFF(hold_s), 0.1, 60, .cmds = ALIGN, .arg = "S",
      .help = "with --from: seconds of samples averaged at each station after Enter "
              "(default 1)" },
    { "out", OPT_STRING, OFF(out), .cmds = CAMERA, .required = CAMERA, .arg = "FILE",
      .help = "the stage file to write, moved to where the photos show the wall" },
    { "photo", OPT_PHOTO, 0, .cmds = CAMERA, .required = CAMERA, .arg = "FILE@POSE",
      .help = "a photo of the apriltag pattern and where the camera was: FILE@X,Y,Z,PAN,TILT,"
              "ROLL[,FOV] (metres, degrees, horizontal FOV) or FILE@SECONDS (the --take "
              "sample then); repeatable" },
    { "fov", OPT_DOUBLE, OFF(fov_deg), 1, 170, .cmds = CAMERA, .arg = "DEG",
      .help = "horizontal FOV of photos that do not give one (default 50)" },
    { "take", OPT_STRING, OFF(take), .cmds = CAMERA, .arg = "FILE",
      .help = "tracked camera poses for FILE@SECONDS photos (volym-track record)" },
    { "camera", OPT_INT, OFF(camera), 0, 255, .cmds = CAMERA, .arg = "ID",
      .help = "the take's camera (default: its first sample's)" },
    { "per-section", OPT_FLAG, OFF(per_section), .cmds = CAMERA,
      .help = "move each section by its own fit (default: the whole wall by one)" },
    { "tracker", OPT_INT, OFF(tracker), 0, 15, .cmds = ALIGN, .arg = "N",
      .help = "which of the stage's trackers gets the transform (default 0)" },
    { "camera", OPT_INT, OFF(camera), 0, 255, .cmds = ALIGN, .arg = "ID",
      .help = "the tracked camera (default: the take's first sample's; with --from, the "
              "first one heard)" },
    { "scale", OPT_FLAG, OFF(scale), .cmds = SURVEY,
      .help = "fit a scale too (a tape in other units): reported, not applied (panels do not grow)" },
    { "scale", OPT_FLAG, OFF(scale), .cmds = ALIGN,
      .help = "fit a scale too (a tracker in other units, a scaled map); written to the tracker" },
    { "outlier-mm", OPT_DOUBLE, OFF(outlier_mm), 0.1, 10000, .cmds = SURVEY, .arg = "MM",
      .help = "points off by more than this after the fit (and by more than 3.5 robust "
              "sigmas) are left out (default 20)" },
    { "json", OPT_FLAG, OFF(json), .cmds = SURVEY | CAMERA | ALIGN,
      .help = "one JSON object on stdout, nothing else there (the text report goes to stderr)" },
    { "json", OPT_FLAG, OFF(json), .cmds = CHECK,
      .help = "the summary as one JSON object on stdout (problems also on stderr)" },
    { "svg", OPT_STRING, OFF(svg), .cmds = SURVEY | CAMERA | ALIGN, .arg = "FILE",
      .help = "write a plan: sections before and after, points, residual arrows x20" },
};
#define N_OPTS (sizeof(opt_table) / sizeof(opt_table[0]))

static const char layout_notes[] =
    "Writes a stage volym reads, or adds the section to one. Refuses a section that overlaps\n"
    "another on its canvas, or a canvas too small for it. Example, the built-in curved wall:\n"
    "  volym-calib layout --panel-mm 500x500 --panel-px 160x160 --grid 12x5 --curve 5 \\\n"
    "      --position -2.8657,3.2321,2.5 --rotation -27.5,0,0 --output wall:1920x1080 --out s.json\n";

static const char pattern_notes[] =
    "grid: panel outlines numbered col,row; crosshair: a cross at every panel corner (aim a\n"
    "total station there); bars: colour bars per section; apriltag: one tag36h11 marker per\n"
    "panel, ids in stage order, row by row; DIR/markers.json lists each marker's corners and\n"
    "centre in section pixels and stage metres (the tag:ID labels of survey).\n";

static const char survey_notes[] =
    "CSV: one point a line, label,x,y,z: x, y, z measured in stage metres (X right, Y towards\n"
    "the wall, Z up); a header line and lines starting with # are skipped. Labels:\n"
    "  tag:ID            the centre of AprilTag ID (pattern --kind apriltag, markers.json)\n"
    "  SECTION@PX:PY     section pixel coordinates: 0:0 the top-left corner of the section,\n"
    "                    PX:PY the corner point of pixel column PX, row PY (a panel corner is\n"
    "                    a multiple of the panel's pixels); 80.5:80.5 a pixel's centre\n"
    "The stage is fitted onto the points (rotation and translation; --scale adds a scale),\n"
    "points off by more than --outlier-mm are left out, and every section is moved by the\n"
    "fit. At least 3 points, not in one line.\n";

static const char align_notes[] =
    "The samples come from a take (--take) or live from the tracker (--from), one of them;\n"
    "x,y,z in the CSV is the stage point (metres) where the tracked point stood still, the\n"
    "tracker's own point before its nodal offset.\n"
    "--take: one station a line, t_start,t_end,x,y,z: the take's time (its \"t\", seconds)\n"
    "from t_start to t_end; the samples of each window are averaged.\n"
    "--from: one station a line, x,y,z. For each in turn volym-calib asks on stderr for the\n"
    "camera to be put there and held still, waits for Enter on stdin, then averages what\n"
    "arrives during --hold seconds; exit 1 when nothing arrives or stdin ends first. It\n"
    "listens with the URL's defaults, not the stage's tracker: transform at identity, no\n"
    "nodal offset, delay, smoothing or lens, so the samples are raw tracker space whatever\n"
    "transform the stage holds now. Stop volym (or whatever holds the port) first.\n"
    "A station that moved more than 1 cm is reported. The tracker -> stage transform\n"
    "(rotation, offset, --scale) is fitted and written into the tracker's \"transform\"; its\n"
    "axis_sign and angle_sign are kept and applied first. At least 3 stations, not in one\n"
    "line.\n";

static const char camera_notes[] =
    "Show the apriltag pattern on the wall (volym run --pattern apriltag --stage FILE) and\n"
    "photograph it from one or more places whose pose and FOV you know (a tracked camera:\n"
    "record a take and give FILE@SECONDS). Every tag found is matched to its panel; the\n"
    "wall's pose (and each section's) that best explains where the tags show is solved, and\n"
    "the stage is written moved there. The report gives the reprojection error in pixels\n"
    "before and after, and each tag's residual as millimetres on the wall.\n";

static const char report_notes[] =
    "Report: the correction (translation mm, pan/tilt/roll), RMS and max residual with the\n"
    "worst point, and each point's residual in mm. --json: {\"rms_mm\", \"max_mm\",\n"
    "\"translation_m\", \"rotation_deg\", \"scale\", \"worst\", \"points\": [{\"label\",\n"
    "\"residual_mm\", \"outlier\", ...}], ...}.\n";

static const char check_notes[] =
    "Prints each section (grid, pixels, size, pixel pitch, curve), each output (size, % of\n"
    "its canvas that sections use), total pixels and the stage's extent; exits 1 on any\n"
    "problem: a stage volym would refuse, sections overlapping on a canvas. --json adds\n"
    "each section's corners in stage metres (top-left, top-right, bottom-right, bottom-left).\n";

static const struct command {
    const char *name;
    const char *help;
    const char *notes[2];       /* after the options in --help */
    int (*run)(const calib_opts *o);
} commands[N_CMDS] = {
    [CMD_LAYOUT] = { "layout", "build a stage file from a panel description", { layout_notes },
                     calib_layout },
    [CMD_PATTERN] = { "pattern", "write test pattern PNGs of every output", { pattern_notes },
                      calib_pattern },
    [CMD_SURVEY] = { "survey", "fit the stage onto surveyed points", { survey_notes, report_notes },
                     calib_survey },
    [CMD_CAMERA] = { "camera", "fit the stage to photos of the AprilTag pattern",
                     { camera_notes, report_notes }, calib_camera },
    [CMD_TRACKER_ALIGN] = { "tracker-align", "fit a tracker's transform from a take or live "
                            "samples at known stage points", { align_notes, report_notes },
                            calib_tracker_align },
    [CMD_CHECK] = { "check", "validate a stage and summarise it", { check_notes }, calib_check },
};

static const char *cmd_name(int cmd)
{
    return commands[cmd].name;
}

static void usage_all(FILE *f)
{
    fputs("usage: " CALIB_PROG " COMMAND [options]   (" CALIB_PROG " COMMAND --help for its "
          "options)\n\n", f);
    for (int c = 0; c < N_CMDS; c++)
        fprintf(f, "  %-14s %s\n", commands[c].name, commands[c].help);
}

static void usage_cmd(FILE *f, int cmd)
{
    const struct command *c = &commands[cmd];
    fprintf(f, "usage: " CALIB_PROG " %s [options]\n  %s\n\noptions:\n", c->name, c->help);
    args_print_options(f, opt_table, N_OPTS, cmd, 34);
    for (int k = 0; k < 2; k++)
        if (c->notes[k])
            fprintf(f, "\n%s", c->notes[k]);
}

/* FILE@X,Y,Z,PAN,TILT,ROLL[,FOV] or FILE@SECONDS (the last '@' splits). */
static bool parse_photo(void *dst, const args_opt *o, const char *arg)
{
    (void)o;
    calib_opts *opts = dst;
    const char *at = strrchr(arg, '@');
    double v[7];
    int n = 0;
    if (opts->n_photos == CALIB_MAX_PHOTOS) {
        fprintf(stderr, CALIB_PROG " camera: --photo: at most %d photos\n", CALIB_MAX_PHOTOS);
        return false;
    }
    for (const char *p = at ? at + 1 : NULL; p && n < 7; n++) {
        char *end;
        errno = 0;
        v[n] = strtod(p, &end);
        if (errno || end == p || !isfinite(v[n]) || (*end && *end != ','))
            break;
        p = *end ? end + 1 : NULL;
        if (!p) {
            n++;
            break;
        }
    }
    int i = opts->n_photos;
    if (!at || at == arg || !(n == 1 || n == 6 || n == 7) || (n == 1 && v[0] < 0) ||
        (n == 7 && (v[6] < 1 || v[6] > 170))) {
        fprintf(stderr, CALIB_PROG " camera: --photo: expected FILE@X,Y,Z,PAN,TILT,ROLL[,FOV] "
                "or FILE@SECONDS, got '%s'\n", arg);
        return false;
    }
    opts->photos[i] = strndup(arg, (size_t)(at - arg));
    opts->photo_at[i] = n == 1 ? v[0] : -1;
    opts->photo_fov[i] = n == 7 ? v[6] : 0;
    if (n >= 6)
        opts->photo_pose[i] = (vl_pose){ { v[0], v[1], v[2] }, v[3], v[4], v[5] };
    opts->n_photos++;
    return true;
}

static const char **set_defaults(void *opts, int cmd)
{
    calib_opts *o = opts;
    *o = (calib_opts){
        .cmd = (enum calib_cmd)cmd,
        .name = "main",
        .canvas = { -1, -1 },
        .outlier_mm = 20,
        .camera = -1,
        .fov_deg = 50,
        .hold_s = 1.0,
    };
    return NULL;
}

static const args_tool tool = {
    .prog = CALIB_PROG, .opts = opt_table, .n_opts = N_OPTS, .n_cmds = N_CMDS, .cmd_name = cmd_name,
    .usage_all = usage_all, .usage_cmd = usage_cmd, .start = set_defaults, .set_own = parse_photo,
    .unexpected = " (options start with --)",
};

/* A name the stage file can hold: 1 .. VL_NAME_MAX-1 bytes. */
static bool check_name(const char *cmd, const char *what, const char *name, size_t len)
{
    if (len >= 1 && len < VL_NAME_MAX)
        return true;
    fprintf(stderr, CALIB_PROG " %s: %s: expected a name of 1 to %d characters, got '%s'\n", cmd,
            what, VL_NAME_MAX - 1, name);
    return false;
}

static bool given_opt(const bool given[N_OPTS], const char *name)
{
    for (size_t i = 0; i < N_OPTS; i++)
        if (given[i] && !strcmp(opt_table[i].name, name))
            return true;
    return false;
}

/* tracker-align: stations from a take or live, exactly one. */
static bool check_align(const calib_opts *o, const bool given[N_OPTS])
{
    if (o->take && o->from) {
        fprintf(stderr, CALIB_PROG " tracker-align: --take and --from both give the samples; "
                "give one (a recorded take, or the tracker live)\n");
        return false;
    }
    if (!o->take && !o->from) {
        fprintf(stderr, CALIB_PROG " tracker-align: give --take FILE (a recorded take) or --from "
                "URL (the tracker live)\n");
        return false;
    }
    if (o->take && given_opt(given, "hold")) {
        fprintf(stderr, CALIB_PROG " tracker-align: --hold is for --from; with --take the "
                "--points CSV gives each station's time window\n");
        return false;
    }
    return true;
}

/* What the table cannot say: combinations, names. */
static bool check_opts(calib_opts *o, const bool given[N_OPTS])
{
    const char *name = commands[o->cmd].name;
    for (int i = 0; i < o->n_photos; i++) {
        if (o->photo_fov[i] == 0)
            o->photo_fov[i] = o->fov_deg;
        if (o->photo_at[i] >= 0 && !o->take) {
            fprintf(stderr, CALIB_PROG " camera: --photo %s@%g takes its pose from a take: give "
                    "--take FILE\n", o->photos[i], o->photo_at[i]);
            return false;
        }
    }
    if (o->cmd == CMD_TRACKER_ALIGN)
        return check_align(o, given);
    if (o->cmd != CMD_LAYOUT)
        return true;
    if (o->in_place && !o->add_to) {
        fprintf(stderr, CALIB_PROG " layout: --in-place writes over the --add-to stage; "
                "give --add-to STAGE\n");
        return false;
    }
    if (o->in_place && o->out) {
        fprintf(stderr, CALIB_PROG " layout: --in-place and --out both say where to write; "
                "give one\n");
        return false;
    }
    if (!o->out && !o->in_place) {
        fprintf(stderr, CALIB_PROG " layout: --out FILE is required (or --in-place with "
                "--add-to)\n");
        return false;
    }
    if (!check_name(name, "--name", o->name, strlen(o->name)))
        return false;
    if (o->output) {
        const char *colon = strchr(o->output, ':');
        size_t len = colon ? (size_t)(colon - o->output) : strlen(o->output);
        if (!check_name(name, "--output", o->output, len))
            return false;
        memcpy(o->output_name, o->output, len);
        o->output_name[len] = '\0';
        int w, h;
        char tail;
        if (colon && (sscanf(colon + 1, "%dx%d%c", &w, &h, &tail) != 2 || w < 1 || h < 1 ||
                      w > 32768 || h > 32768)) {
            fprintf(stderr, CALIB_PROG " layout: --output: expected NAME or NAME:WxH with W and H "
                    "from 1 to 32768, got '%s'\n", o->output);
            return false;
        }
        if (colon) {
            o->output_size[0] = w;
            o->output_size[1] = h;
        }
    } else {
        snprintf(o->output_name, sizeof(o->output_name), "%s", o->name);
    }
    return true;
}

/* Returns 0 to run, 1 after --help, -1 on a usage error (already reported). */
static int parse_args(calib_opts *opts, int argc, char **argv)
{
    bool given[N_OPTS] = { 0 };
    int r = args_parse(&tool, opts, given, argc, argv);
    return r ? r : check_opts(opts, given) ? 0 : -1;
}

int main(int argc, char **argv)
{
    calib_opts opts = { 0 };  /* n_photos 0 for a usage error before the defaults */
    int r = parse_args(&opts, argc, argv);
    int ret = r > 0 ? 0 : r < 0 ? EXIT_USAGE : commands[opts.cmd].run(&opts);
    for (int i = 0; i < opts.n_photos; i++)
        free((char *)opts.photos[i]);
    return ret;
}
