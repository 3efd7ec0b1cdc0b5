/* sim and replay: samples sent at absolute deadlines, so timing errors do
 * not add up over a long run. */
#include "tool.h"

#include <math.h>
#include <stdio.h>

#define LOG "volym-track"
#define DEG (180.0 / M_PI)
/* Longest single sleep: bounds how long Ctrl-C waits during a pause in a take. */
#define MAX_SLEEP_NS (100 * INT64_C(1000000))

const char *const track_move_names[N_MOVES + 1] = {
    [MOVE_ORBIT] = "orbit", [MOVE_DOLLY] = "dolly", [MOVE_PAN] = "pan", [MOVE_HANDHELD] = "handheld",
};

const char *const track_payload_names[N_PAYLOADS + 1] = {
    [PAYLOAD_JSON] = "json", [PAYLOAD_CBOR] = "cbor",
};

/* The sender of --to, speaking --format; NULL after saying why not. */
static vl_track_sender *open_sender(const track_opts *o)
{
    vl_track_sender *snd = vl_track_sender_open(o->to, (size_t)o->segment);
    if (snd && o->payload == PAYLOAD_CBOR && !vl_track_sender_set_encoding(snd, VL_OTRK_CBOR)) {
        vl_track_sender_close(snd);
        return NULL;
    }
    return snd;
}

/* The point the orbit and handheld moves look at: the middle of the
 * built-in stage's wall, at eye height. */
static const double wall_centre[3] = { 0.0, 4.0, 1.7 };

static void aim(vl_pose *p, const double target[3])
{
    double dx = target[0] - p->pos[0], dy = target[1] - p->pos[1], dz = target[2] - p->pos[2];
    p->pan_deg = atan2(dx, dy) * DEG;
    p->tilt_deg = atan2(dz, hypot(dx, dy)) * DEG;
}

/* A circle of 1.5 m radius around a point 3 m from the wall, at 1.5 m
 * height, once every 20 s, looking at the wall's centre. */
static vl_pose orbit(double t)
{
    double a = 2 * M_PI * t / 20.0;
    vl_pose p = { { 1.5 * sin(a), wall_centre[1] - 3.0 - 1.5 * cos(a), 1.5 }, 0, 0, 0 };
    aim(&p, wall_centre);
    return p;
}

/* Along Y from 0 to 2 m and back every 8 s, facing +Y. */
static vl_pose dolly(double t)
{
    return (vl_pose){ { 0.0, 1.0 - cos(2 * M_PI * t / 8.0), 1.5 }, 0, 0, 0 };
}

/* From a fixed point, pan +-30 degrees every 6 s. */
static vl_pose pan(double t)
{
    return (vl_pose){ { 0.0, 0.5, 1.5 }, 30.0 * sin(2 * M_PI * t / 6.0), 0, 0 };
}

/* Sum of sines at incommensurate frequencies: never repeats, always the
 * same for the same t. */
static double wobble(double t, double f0, double phase)
{
    return (sin(2 * M_PI * f0 * t + phase) + 0.6 * sin(2 * M_PI * f0 * M_SQRT2 * t + 2 * phase) +
            0.3 * sin(2 * M_PI * f0 * M_PI * t + 3 * phase)) / 1.9;
}

/* Handheld near (0, 1, 1.5): a few cm of sway, a degree or two of shake. */
static vl_pose handheld(double t)
{
    vl_pose p = { { 0.03 * wobble(t, 0.31, 0.0), 1.0 + 0.03 * wobble(t, 0.23, 1.0),
                    1.5 + 0.02 * wobble(t, 0.43, 2.0) }, 0, 0, 0 };
    aim(&p, wall_centre);
    p.pan_deg += 1.5 * wobble(t, 0.53, 3.0);
    p.tilt_deg += 1.0 * wobble(t, 0.61, 4.0);
    p.roll_deg = 1.0 * wobble(t, 0.37, 5.0);
    return p;
}

/* The pose of a scripted move t_sec seconds after its start. */
static vl_pose move_pose(enum track_move move, double t_sec)
{
    static vl_pose (*const pose[N_MOVES])(double) = {
        [MOVE_ORBIT] = orbit, [MOVE_DOLLY] = dolly, [MOVE_PAN] = pan, [MOVE_HANDHELD] = handheld,
    };
    return pose[move](t_sec);
}

/* Sleep until t_ns or a stop signal, whichever comes first. */
static void sleep_until(int64_t t_ns)
{
    for (int64_t now = vl_now_ns(); now < t_ns && !track_stopping(); now = vl_now_ns())
        vl_sleep_until_ns(t_ns - now > MAX_SLEEP_NS ? now + MAX_SLEEP_NS : t_ns);
}

/* What a run sent, for its last line. */
struct sent {
    long samples, errors;
};

static void send_at(vl_track_sender *snd, int64_t deadline_ns, const vl_sample *s, struct sent *n)
{
    sleep_until(deadline_ns);
    if (track_stopping())
        return;
    if (vl_track_sender_send(snd, s))
        n->samples++;
    else
        n->errors++;
}

static int finish(const char *cmd, const char *url, const struct sent *n)
{
    printf("%s: sent %ld samples to %s", cmd, n->samples, url);
    if (n->errors)
        printf(" (%ld could not be sent)", n->errors);
    printf("\n");
    return n->samples > 0 || n->errors == 0 ? 0 : 1;
}

int track_sim(const track_opts *o)
{
    vl_track_sender *snd = open_sender(o);
    if (!snd)
        return 1;
    /* A timecode counts at the sample rate: 50, 29.97 ... as a rational. */
    char rate_text[32];
    vl_rational tc_rate;
    vl_timecode tc0 = { 0 };
    snprintf(rate_text, sizeof(rate_text), "%g", o->rate_hz);
    if (o->timecode && !(vl_rational_parse(rate_text, &tc_rate) &&
                         vl_timecode_base(tc_rate) <= 120 &&
                         vl_timecode_parse(o->timecode, tc_rate, &tc0))) {
        fprintf(stderr, "volym-track: --timecode %s: expected HH:MM:SS:FF counting at --rate %s "
                "(a frame rate of at most 120, FF below it)\n", o->timecode, rate_text);
        vl_track_sender_close(snd);
        return 2;
    }
    int64_t n_total = o->seconds > 0 ? llround(o->seconds * o->rate_hz) : INT64_MAX;
    int64_t start = vl_now_ns();
    struct sent n = { 0 };
    for (int64_t i = 0; i < n_total && !track_stopping(); i++) {
        double t = (double)i / o->rate_hz;
        vl_sample s = {
            .t_ns = start + llround(t * 1e9),
            .camera = o->camera,
            .pose = move_pose((enum track_move)o->move, t),
            .fov_h_deg = o->fov_deg,
            .has_encoders = o->zoom >= 0,
            .zoom = o->zoom >= 0 ? (uint32_t)o->zoom : 0,
            .focus = o->focus >= 0 ? (uint32_t)o->focus : 0,
            .has_timecode = o->timecode != NULL,
        };
        if (o->timecode) {
            s.timecode_rate = tc_rate;
            s.timecode = vl_timecode_at(tc_rate, tc0, i);
        }
        send_at(snd, s.t_ns, &s, &n);
    }
    vl_track_sender_close(snd);
    return finish("sim", o->to, &n);
}

int track_replay(const track_opts *o)
{
    vl_take *take = vl_take_load(o->file);
    if (!take)
        return 1;
    if (take->n == 0) {
        VL_ERR(LOG, "%s holds no samples", o->file);
        vl_take_free(take);
        return 1;
    }
    vl_track_sender *snd = open_sender(o);
    if (!snd) {
        vl_take_free(take);
        return 1;
    }
    /* A loop lasts the take plus one average sample interval, so the first
     * sample of the next pass does not land on the last of this one. */
    int64_t t0 = take->samples[0].t_ns, span = take->samples[take->n - 1].t_ns - t0;
    int64_t period = span > 0 ? span + span / (take->n - 1) : VL_NS_PER_SEC;
    int64_t start = vl_now_ns();
    struct sent n = { 0 };
    for (int64_t pass = 0; (pass == 0 || o->loop) && !track_stopping(); pass++) {
        for (int i = 0; i < take->n && !track_stopping(); i++) {
            double rel = (double)(pass * period + take->samples[i].t_ns - t0) / o->speed;
            send_at(snd, start + llround(rel), &take->samples[i], &n);
        }
    }
    vl_track_sender_close(snd);
    vl_take_free(take);
    return finish("replay", o->to, &n);
}
