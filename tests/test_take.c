/* Takes (JSON lines): the line format, loading with sorting and clear
 * errors, sampling a camera at any time; and the Nuke .chan rotation of
 * volym-track export, checked by recomposing it. */
#include "track/track.h"
#include "../tools/track/chan.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/test_take_XXXXXX";

/* Write `text` to a file in the test folder; returns its path (static). */
static const char *write_take(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    return path;
}

/* vl_take_load with stderr captured into log (for the error message). */
static vl_take *load_capturing(const char *path, char *log, size_t n)
{
    FILE *tmp;
    int saved = capture_stderr(&tmp);
    vl_take *take = vl_take_load(path);
    end_capture(tmp, saved, log, n);
    return take;
}

static vl_sample sample(int camera, double x, double pan)
{
    return (vl_sample){ .camera = camera, .pose = { { x, 2.0, 1.5 }, pan, -3.0, 0.5 } };
}

static void test_json_line(void)
{
    vl_sample s = sample(7, 0.25, 12.5);
    char buf[512];
    int len = vl_sample_to_json(&s, 1.5, buf, sizeof(buf));
    CHECK(len == (int)strlen(buf));
    CHECK(!strchr(buf, '\n'));
    CHECK(!strstr(buf, "fov") && !strstr(buf, "zoom") && !strstr(buf, "focus"));
    /* Keys in the documented order. */
    const char *keys[] = { "\"t\"", "\"camera\"", "\"x\"", "\"y\"", "\"z\"", "\"pan\"",
                           "\"tilt\"", "\"roll\"", "\"fov\"", "\"zoom\"", "\"focus\"" };
    s.fov_h_deg = 50;
    s.has_encoders = true;
    s.zoom = 0x1234;
    s.focus = 0xFFF;
    len = vl_sample_to_json(&s, 1.5, buf, sizeof(buf));
    const char *prev = buf;
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *k = strstr(buf, keys[i]);
        CHECK(k && k >= prev);
        prev = k ? k : prev;
    }
    CHECK(strstr(buf, "\"zoom\": 4660, \"focus\": 4095}"));
    /* snprintf semantics: the full length, a truncated but terminated text. */
    char small[16];
    CHECK(vl_sample_to_json(&s, 1.5, small, sizeof(small)) == len);
    CHECK(strlen(small) == sizeof(small) - 1 && !strncmp(small, buf, sizeof(small) - 1));
    CHECK(vl_sample_to_json(&s, 1.5, NULL, 0) == len);
}

static void test_round_trip(void)
{
    vl_sample in[3] = { sample(1, 1.0 / 3.0, 123.456789123), sample(2, -12.3456789012, -0.000001234),
                        sample(1, 101.123456789, -179.987654321) };
    in[1].fov_h_deg = 47.123456789;
    in[2].has_encoders = true;
    in[2].zoom = 0xFFFFFF;
    in[2].focus = 0;
    in[2].has_timecode = true;
    in[2].timecode_rate = (vl_rational){ 30000, 1001 };
    in[2].timecode = (vl_timecode){ 1, 2, 0, 2, true };
    double t[3] = { 0.0, 0.020000001, 3600.123456789 };
    char text[2048] = "", line[512];
    for (int i = 0; i < 3; i++) {
        vl_sample_to_json(&in[i], t[i], line, sizeof(line));
        strcat(text, line);
        strcat(text, i == 1 ? "\n\n  \n" : "\n");     /* blank lines are fine */
    }
    vl_take *take = vl_take_load(write_take("round.jsonl", text));
    CHECK(take && take->n == 3);
    for (int i = 0; take && i < take->n; i++) {
        const vl_sample *s = &take->samples[i];
        CHECK(llabs(s->t_ns - (int64_t)llround(t[i] * 1e9)) <= 1);
        CHECK(s->camera == in[i].camera);
        for (int k = 0; k < 3; k++)
            CHECK_NEAR(s->pose.pos[k], in[i].pose.pos[k], 1e-6);
        CHECK_NEAR(s->pose.pan_deg, in[i].pose.pan_deg, 1e-6);
        CHECK_NEAR(s->pose.tilt_deg, in[i].pose.tilt_deg, 1e-6);
        CHECK_NEAR(s->pose.roll_deg, in[i].pose.roll_deg, 1e-6);
        CHECK_NEAR(s->fov_h_deg, in[i].fov_h_deg, 1e-6);
        CHECK(s->has_encoders == in[i].has_encoders);
        CHECK(s->zoom == in[i].zoom && s->focus == in[i].focus);
        CHECK(s->has_timecode == in[i].has_timecode);
        if (s->has_timecode && in[i].has_timecode)
            CHECK(vl_timecode_frames(s->timecode_rate, s->timecode) ==
                  vl_timecode_frames(in[i].timecode_rate, in[i].timecode) &&
                  s->timecode_rate.num == in[i].timecode_rate.num &&
                  s->timecode.drop == in[i].timecode.drop);
    }
    vl_sample_to_json(&in[2], 0, line, sizeof(line));
    CHECK(strstr(line, "\"timecode\": \"01:02:00;02\", \"timecode_rate\": \"30000/1001\"}"));
    vl_take_free(take);
    vl_take_free(NULL);
}

static void test_sorting(void)
{
    /* Out of order, and two samples at t = 1 that must keep file order. */
    vl_take *take = vl_take_load(write_take("unsorted.jsonl",
        "{\"t\": 2, \"camera\": 1, \"x\": 2, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0}\n"
        "{\"t\": 1, \"camera\": 5, \"x\": 1, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0}\n"
        "{\"t\": 0.5, \"camera\": 1, \"x\": 0.5, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0}\n"
        "{\"t\": 1, \"camera\": 3, \"x\": 1, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0}\n"
        "{\"t\": 1, \"camera\": 4, \"x\": 1, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0}"));
    CHECK(take && take->n == 5);
    if (!take)
        return;
    const int cameras[5] = { 1, 5, 3, 4, 1 };
    const double x[5] = { 0.5, 1, 1, 1, 2 };
    for (int i = 0; i < take->n; i++) {
        CHECK(take->samples[i].camera == cameras[i]);
        CHECK_NEAR(take->samples[i].pose.pos[0], x[i], 0);
        CHECK(i == 0 || take->samples[i - 1].t_ns <= take->samples[i].t_ns);
    }
    vl_take_free(take);
}

/* Two cameras: camera 1 from t = 10 s, x = 0 -> 1 m, pan 0 -> 20 deg over a
 * second; camera 2 starts half a second later. */
static vl_take *two_cameras(void)
{
    return vl_take_load(write_take("two.jsonl",
        "{\"t\": 10, \"camera\": 1, \"x\": 0, \"y\": 0, \"z\": 1.5, \"pan\": 0, \"tilt\": 0, \"roll\": 0, \"fov\": 40}\n"
        "{\"t\": 10.5, \"camera\": 2, \"x\": 5, \"y\": 5, \"z\": 5, \"pan\": 90, \"tilt\": 0, \"roll\": 0}\n"
        "{\"t\": 11, \"camera\": 1, \"x\": 1, \"y\": 0, \"z\": 1.5, \"pan\": 20, \"tilt\": 0, \"roll\": 0, \"fov\": 60}\n"
        "{\"t\": 11.5, \"camera\": 2, \"x\": 7, \"y\": 5, \"z\": 5, \"pan\": 90, \"tilt\": 0, \"roll\": 0}\n"));
}

static void test_take_at(void)
{
    vl_take *take = two_cameras();
    CHECK(take && take->n == 4);
    if (!take)
        return;
    vl_sample s;
    const int64_t ms = 1000000;
    /* Mid-way between camera 1's samples (camera -1 = the first camera). */
    CHECK(vl_take_at(take, -1, 500 * ms, &s));
    CHECK(s.camera == 1);
    CHECK_NEAR(s.pose.pos[0], 0.5, 1e-9);
    CHECK_NEAR(s.pose.pan_deg, 10.0, 1e-6);
    CHECK_NEAR(s.fov_h_deg, 50.0, 1e-9);
    CHECK(vl_take_at(take, 1, 250 * ms, &s));
    CHECK_NEAR(s.pose.pos[0], 0.25, 1e-9);
    /* Exactly on a sample. */
    CHECK(vl_take_at(take, 1, 1000 * ms, &s));
    CHECK_NEAR(s.pose.pos[0], 1.0, 1e-9);
    /* Held outside: before the start and long after the end. */
    CHECK(vl_take_at(take, 1, -5000 * ms, &s));
    CHECK_NEAR(s.pose.pos[0], 0.0, 1e-9);
    CHECK(vl_take_at(take, 1, 9000 * ms, &s));
    CHECK_NEAR(s.pose.pos[0], 1.0, 1e-9);
    CHECK_NEAR(s.pose.pan_deg, 20.0, 1e-9);
    /* Camera 2: times still count from the take's first sample. */
    CHECK(vl_take_at(take, 2, 1000 * ms, &s));
    CHECK(s.camera == 2);
    CHECK_NEAR(s.pose.pos[0], 6.0, 1e-9);
    CHECK(vl_take_at(take, 2, 0, &s));
    CHECK_NEAR(s.pose.pos[0], 5.0, 1e-9);
    CHECK(vl_take_at(take, 2, 3000 * ms, &s));
    CHECK_NEAR(s.pose.pos[0], 7.0, 1e-9);
    /* A camera the take does not have. */
    CHECK(!vl_take_at(take, 3, 0, &s));
    vl_take_free(take);

    vl_take *empty = vl_take_load(write_take("empty.jsonl", "\n\n"));
    CHECK(empty && empty->n == 0);
    CHECK(!vl_take_at(empty, -1, 0, &s));
    vl_take_free(empty);
}

static const char expected_msg[] =
    "expected a JSON object with numbers t, camera, x, y, z, pan, tilt, roll";

/* A take whose third line is `bad` fails to load, naming FILE:3. */
static void check_bad_line(const char *bad)
{
    char text[1024], log[2048], where[300];
    snprintf(text, sizeof(text),
             "{\"t\": 0, \"camera\": 1, \"x\": 0, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0}\n"
             "\n%s\n"
             "{\"t\": 1, \"camera\": 1, \"x\": 0, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0}\n",
             bad);
    const char *path = write_take("bad.jsonl", text);
    vl_take *take = load_capturing(path, log, sizeof(log));
    CHECK(take == NULL);
    snprintf(where, sizeof(where), "%s:3: %s", path, expected_msg);
    if (!strstr(log, where))
        fprintf(stderr, "line '%s': message was: %s", bad, log);
    CHECK(strstr(log, where) != NULL);
    CHECK(strchr(log, '\n') == strrchr(log, '\n'));     /* one line */
    vl_take_free(take);
}

static void test_errors(void)
{
    check_bad_line("{\"t\": 0.5, \"camera\": 1, \"x\": 0");                    /* truncated */
    check_bad_line("not json");
    check_bad_line("[0.5, 1, 0, 0, 0, 0, 0, 0]");
    check_bad_line("{\"t\": 0.5, \"camera\": 1, \"x\": 0, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0}");
    check_bad_line("{\"t\": 0.5, \"camera\": 1, \"x\": \"0\", \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0}");
    check_bad_line("{\"t\": -1, \"camera\": 1, \"x\": 0, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0}");
    check_bad_line("{\"t\": 0.5, \"camera\": 1.5, \"x\": 0, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0}");
    check_bad_line("{\"t\": 0.5, \"camera\": 1, \"x\": 0, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0, \"zoom\": 5}");
    check_bad_line("{\"t\": 0.5, \"camera\": 1, \"x\": 0, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0, \"fov\": 0}");
    /* Valid JSON numbers, but no pose or time (issue 15): one line each. */
    check_bad_line("{\"t\": 9223372036, \"camera\": 1, \"x\": 0, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0}");
    check_bad_line("{\"t\": 0.5, \"camera\": 1, \"x\": 1e308, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0}");
    check_bad_line("{\"t\": 0.5, \"camera\": 1, \"x\": 0, \"y\": 0, \"z\": 0, \"pan\": 1e9, \"tilt\": 0, \"roll\": 0}");
    check_bad_line("{\"t\": 0.5, \"camera\": 1, \"x\": 0, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0, \"timecode\": \"00:00:01:00\"}");
    check_bad_line("{\"t\": 0.5, \"camera\": 1, \"x\": 0, \"y\": 0, \"z\": 0, \"pan\": 0, \"tilt\": 0, \"roll\": 0, \"timecode\": \"00:01:00;00\", \"timecode_rate\": \"30000/1001\"}");

    char log[1024];
    char missing[300];
    snprintf(missing, sizeof(missing), "%s/nope.jsonl", dir);
    CHECK(load_capturing(missing, log, sizeof(log)) == NULL);
    CHECK(strstr(log, missing) != NULL);
}

/* ---- .chan rotation ------------------------------------------------------ */

static void mat_mul(const double a[3][3], const double b[3][3], double out[3][3])
{
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            out[r][c] = a[r][0] * b[0][c] + a[r][1] * b[1][c] + a[r][2] * b[2][c];
}

/* Nuke's ZXY: R = Ry * Rx * Rz, written out independently of chan.c. */
static void nuke_zxy(const double rot_deg[3], double m[3][3])
{
    double x = rot_deg[0] * M_PI / 180, y = rot_deg[1] * M_PI / 180, z = rot_deg[2] * M_PI / 180;
    const double rx[3][3] = { { 1, 0, 0 }, { 0, cos(x), -sin(x) }, { 0, sin(x), cos(x) } };
    const double ry[3][3] = { { cos(y), 0, sin(y) }, { 0, 1, 0 }, { -sin(y), 0, cos(y) } };
    const double rz[3][3] = { { cos(z), -sin(z), 0 }, { sin(z), cos(z), 0 }, { 0, 0, 1 } };
    double yx[3][3];
    mat_mul(ry, rx, yx);
    mat_mul(yx, rz, m);
}

/* The recomposed rotation's columns are the camera's right, up and back in
 * Nuke axes (x, y, z) = (X, Z, -Y). */
static void check_chan_pose(vl_pose p)
{
    double tr[3], rot[3], m[3][3];
    chan_from_pose(&p, tr, rot);
    CHECK_NEAR(tr[0], p.pos[0], 1e-12);
    CHECK_NEAR(tr[1], p.pos[2], 1e-12);
    CHECK_NEAR(tr[2], -p.pos[1], 1e-12);
    nuke_zxy(rot, m);
    vl_basis b = vl_basis_from_ptr(p.pan_deg, p.tilt_deg, p.roll_deg);
    const double *cols[3] = { b.right, b.up, b.forward };
    const double sign[3] = { 1, 1, -1 };
    for (int c = 0; c < 3; c++) {
        CHECK_NEAR(m[0][c], sign[c] * cols[c][0], 1e-9);
        CHECK_NEAR(m[1][c], sign[c] * cols[c][2], 1e-9);
        CHECK_NEAR(m[2][c], -sign[c] * cols[c][1], 1e-9);
    }
}

static void test_chan(void)
{
    /* Known values: looking along +Y is Nuke's rest (-z); pan right is a
     * negative turn about y; tilt up a positive one about x. */
    double tr[3], rot[3];
    chan_from_pose(&(vl_pose){ { 1, 2, 3 }, 0, 0, 0 }, tr, rot);
    CHECK_NEAR(rot[0], 0, 1e-12);
    CHECK_NEAR(rot[1], 0, 1e-12);
    CHECK_NEAR(rot[2], 0, 1e-12);
    chan_from_pose(&(vl_pose){ { 0 }, 90, 0, 0 }, tr, rot);
    CHECK_NEAR(rot[1], -90, 1e-9);
    chan_from_pose(&(vl_pose){ { 0 }, 30, 10, 0 }, tr, rot);
    CHECK_NEAR(rot[0], 10, 1e-9);
    CHECK_NEAR(rot[1], -30, 1e-9);
    CHECK_NEAR(rot[2], 0, 1e-9);

    const vl_pose poses[] = {
        { { 0.5, -1, 1.7 }, 0, 0, 0 },     { { 0, 0, 0 }, 45, 0, 0 },
        { { 0, 0, 0 }, -120, 20, 5 },      { { 1, 2, 3 }, 170, -35, -12 },
        { { 0, 0, 0 }, 10, 89.9, 30 },     { { 0, 0, 0 }, 33, 90, 15 },
        { { 0, 0, 0 }, -60, -90, -40 },    { { 0, 0, 0 }, 179, 60, 179 },
        { { 0, 0, 0 }, 0, 0, 90 },         { { 0, 0, 0 }, 12.5, -4, 180 },
    };
    for (size_t i = 0; i < sizeof(poses) / sizeof(poses[0]); i++)
        check_chan_pose(poses[i]);

    CHECK_NEAR(chan_vertical_fov(90, 16.0 / 9.0), 2 * atan(9.0 / 16.0) * 180 / M_PI, 1e-9);
    CHECK_NEAR(chan_vertical_fov(50, 1.0), 50, 1e-9);
}

int main(void)
{
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_json_line();
    test_round_trip();
    test_sorting();
    test_take_at();
    test_errors();
    test_chan();
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return check_result("test_take");
}
