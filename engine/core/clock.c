/* The phase-locked frame clock and the display rate meter (see clock.h). */
#include "core/clock.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MS 1e6
/* A packet this soon after the last is a duplicate during the first
 * estimate: tracker rates above 500 Hz are not supported. */
#define MIN_PERIOD_NS (2 * MS)
#define OUTLIER_FACTOR 5.0
#define OUTLIER_MIN_NS (0.5 * MS)
#define OUTLIERS_TO_RESTART 8
/* Packets the fit needs before the lock may call itself locked. */
#define MIN_LOCK_PACKETS 64
/* Weights of the running means: jitter over ~64 packets, the reported
 * error over ~10 frames. */
#define JITTER_ALPHA (1.0 / 64)
#define ERR_ALPHA 0.1

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

void vl_phase_lock_init(vl_phase_lock *pl, vl_rational stage_rate, double offset_ms)
{
    memset(pl, 0, sizeof(*pl));
    pl->stage_rate = stage_rate;
    pl->stage_ns = (double)stage_rate.den * VL_NS_PER_SEC / (double)stage_rate.num;
    pl->offset_ns = offset_ms * MS;
    pl->frame_ns = pl->stage_ns;
}

void vl_phase_lock_set_offset_ms(vl_phase_lock *pl, double offset_ms)
{
    pl->offset_ns = offset_ms * MS;
}

/* Forget the cadence (keep frame_ns: the frames run on at it meanwhile). */
static void restart(vl_phase_lock *pl)
{
    pl->boot_n = 0;
    pl->win_n = pl->win_head = 0;
    pl->fitted = false;
    pl->k = 0;
    pl->outlier_run = 0;
    pl->locked = pl->in_window = false;
    pl->restarts++;
}

/* Least squares through the window, relative to its newest packet so the
 * sums stay small; two passes (means, then centred sums) for accuracy. */
static void fit(vl_phase_lock *pl)
{
    int newest = (pl->win_head + VL_PHASE_LOCK_WINDOW - 1) % VL_PHASE_LOCK_WINDOW;
    int64_t jb = pl->win_j[newest], rb = pl->win_rx[newest];
    double mx = 0, my = 0;
    for (int i = 0; i < pl->win_n; i++) {
        mx += (double)(pl->win_j[i] - jb);
        my += (double)(pl->win_rx[i] - rb);
    }
    mx /= pl->win_n;
    my /= pl->win_n;
    double sxx = 0, sxy = 0;
    for (int i = 0; i < pl->win_n; i++) {
        double x = (double)(pl->win_j[i] - jb) - mx;
        sxx += x * x;
        sxy += x * ((double)(pl->win_rx[i] - rb) - my);
    }
    if (sxx > 0)
        pl->period_ns = sxy / sxx;
    pl->ref_j = jb;
    pl->ref_rx = rb;
    pl->ref_off_ns = my - pl->period_ns * mx;
    pl->fitted = true;

    int64_t k = llround(pl->stage_ns / pl->period_ns);
    bool ok = k >= 1 && fabs(pl->stage_ns - k * pl->period_ns) <= VL_PHASE_LOCK_RATIO_TOL * pl->stage_ns;
    pl->k = ok ? (int)k : 0;
}

static void window_add(vl_phase_lock *pl, int64_t j, int64_t rx)
{
    pl->win_j[pl->win_head] = j;
    pl->win_rx[pl->win_head] = rx;
    pl->win_head = (pl->win_head + 1) % VL_PHASE_LOCK_WINDOW;
    if (pl->win_n < VL_PHASE_LOCK_WINDOW)
        pl->win_n++;
}

/* The first estimate from VL_PHASE_LOCK_BOOT packets at least
 * MIN_PERIOD_NS apart: P from the median interval, then indices by rounding
 * each interval to whole periods. */
static void boot(vl_phase_lock *pl)
{
    int64_t d[VL_PHASE_LOCK_BOOT];
    int n = 0;
    for (int i = 1; i < pl->boot_n; i++)
        d[n++] = pl->boot_rx[i] - pl->boot_rx[i - 1];
    qsort(d, n, sizeof(*d), cmp_i64);
    double p = n % 2 ? (double)d[n / 2] : 0.5 * (double)(d[n / 2 - 1] + d[n / 2]);
    pl->period_ns = p;
    int64_t j = 0;
    window_add(pl, j, pl->boot_rx[0]);
    for (int i = 1; i < pl->boot_n; i++) {
        int64_t steps = llround((double)(pl->boot_rx[i] - pl->boot_rx[i - 1]) / p);
        if (steps < 1) {
            pl->duplicates++;
            continue;
        }
        j += steps;
        window_add(pl, j, pl->boot_rx[i]);
    }
    pl->jitter_ns = p / 20;
    fit(pl);
}

void vl_phase_lock_packet(vl_phase_lock *pl, int64_t rx_ns)
{
    if (pl->any_packet && rx_ns < pl->last_rx)
        return;
    pl->packets++;
    if (pl->any_packet && rx_ns - pl->last_rx > (int64_t)(VL_PHASE_LOCK_LOST_MS * MS))
        restart(pl);
    pl->any_packet = true;
    pl->last_rx = rx_ns;

    if (!pl->fitted) {
        if (pl->boot_n && rx_ns - pl->boot_rx[pl->boot_n - 1] < MIN_PERIOD_NS) {
            pl->duplicates++;
            return;
        }
        pl->boot_rx[pl->boot_n++] = rx_ns;
        if (pl->boot_n == VL_PHASE_LOCK_BOOT)
            boot(pl);
        return;
    }
    double since = (double)(rx_ns - pl->ref_rx) - pl->ref_off_ns;
    int64_t j = pl->ref_j + llround(since / pl->period_ns);
    double r = since - pl->period_ns * (double)(j - pl->ref_j);
    if (j <= pl->ref_j) {
        pl->duplicates++;
        return;
    }
    double limit = clampd(OUTLIER_FACTOR * pl->jitter_ns, OUTLIER_MIN_NS, pl->period_ns / 4);
    if (fabs(r) > limit) {
        pl->outliers++;
        if (++pl->outlier_run >= OUTLIERS_TO_RESTART) {
            restart(pl);
            pl->boot_rx[pl->boot_n++] = rx_ns;
        }
        return;
    }
    pl->outlier_run = 0;
    pl->jitter_ns += JITTER_ALPHA * (fabs(r) - pl->jitter_ns);
    window_add(pl, j, rx_ns);
    fit(pl);
}

static bool is_lost(const vl_phase_lock *pl, int64_t now_ns)
{
    return pl->any_packet && now_ns - pl->last_rx > (int64_t)(VL_PHASE_LOCK_LOST_MS * MS);
}

int64_t vl_phase_lock_next(vl_phase_lock *pl, int64_t prev_deadline_ns, int64_t now_ns,
                           int64_t *frames)
{
    /* Times relative to prev_deadline_ns, in double ns: small numbers. */
    double prev = prev_deadline_ns == pl->last_deadline ? pl->frac_ns : 0;
    double interval;
    bool lost = is_lost(pl, now_ns);
    if (pl->fitted && pl->k && !lost) {
        pl->frame_ns = pl->k * pl->period_ns;
        double d = prev + pl->frame_ns;
        /* The error against the nearest pulse (+ offset) of the fitted
         * cadence. Frames advance k pulses at a time, so once on a pulse
         * they stay on every k-th one. */
        double c = (double)(pl->ref_rx - prev_deadline_ns) + pl->ref_off_ns + pl->offset_ns;
        double e = d - c - pl->period_ns * round((d - c) / pl->period_ns);
        double slew = VL_PHASE_LOCK_SLEW * pl->stage_ns;
        double corr = clampd(VL_PHASE_LOCK_GAIN * e, -slew, slew);
        /* The bound holds whatever the fit says, even a fresh noisy one. */
        interval = clampd(pl->frame_ns - corr, pl->stage_ns - slew, pl->stage_ns + slew);
        pl->err_ns = e - (pl->frame_ns - interval);
        pl->err_filt_ns += ERR_ALPHA * (pl->err_ns - pl->err_filt_ns);

        int64_t t = prev_deadline_ns + (int64_t)floor(prev + interval);
        double th = VL_PHASE_LOCK_THRESHOLD_MS * MS;
        if (fabs(pl->err_ns) > th) {
            pl->in_window = pl->locked = false;
        } else if (!pl->in_window) {
            pl->in_window = true;
            pl->in_window_since = t;
        } else if (t - pl->in_window_since >= (int64_t)(VL_PHASE_LOCK_HOLD_MS * MS) &&
                   pl->win_n >= MIN_LOCK_PACKETS) {
            pl->locked = true;
        }
    } else {
        /* Free-running: at the stage rate with no usable cadence, at the
         * last period while the cadence is lost or being estimated again. */
        if (!pl->any_packet || (pl->fitted && !pl->k))
            pl->frame_ns = pl->stage_ns;
        interval = pl->frame_ns;
        pl->err_ns = pl->err_filt_ns = 0;
        pl->in_window = pl->locked = false;
    }

    /* Late by more than a frame: skip whole frames of the uncorrected
     * period, which keeps the phase the correction is working on. */
    double next = prev + interval;
    int64_t n = 1;
    double behind = (double)(now_ns - prev_deadline_ns) - next;
    if (behind > pl->frame_ns) {
        int64_t skip = (int64_t)(behind / pl->frame_ns);
        next += (double)skip * pl->frame_ns;
        n += skip;
    }
    double whole = floor(next);
    int64_t deadline = prev_deadline_ns + (int64_t)whole;
    pl->frac_ns = next - whole;
    pl->last_deadline = deadline;
    if (frames)
        *frames = n;
    return deadline;
}

enum vl_lock_state vl_phase_lock_state(const vl_phase_lock *pl, int64_t now_ns)
{
    if (!pl->any_packet)
        return VL_LOCK_NONE;
    if (is_lost(pl, now_ns))
        return VL_LOCK_LOST;
    if (pl->fitted && !pl->k)
        return VL_LOCK_NO_RATIO;
    return pl->locked ? VL_LOCK_LOCKED : VL_LOCK_ACQUIRING;
}

double vl_phase_lock_error_ms(const vl_phase_lock *pl)
{
    return pl->err_filt_ns / MS;
}

double vl_phase_lock_tracker_hz(const vl_phase_lock *pl)
{
    return pl->fitted ? 1e9 / pl->period_ns : 0;
}

double vl_phase_lock_period_ns(const vl_phase_lock *pl)
{
    return pl->frame_ns;
}

const char *vl_lock_state_name(enum vl_lock_state s)
{
    static const char *const names[] = {
        [VL_LOCK_NONE] = "none", [VL_LOCK_ACQUIRING] = "acquiring", [VL_LOCK_LOCKED] = "locked",
        [VL_LOCK_LOST] = "lost", [VL_LOCK_NO_RATIO] = "no ratio",
    };
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

/* ---- display rate meter -------------------------------------------------- */

void vl_rate_meter_init(vl_rate_meter *m)
{
    memset(m, 0, sizeof(*m));
}

void vl_rate_meter_add(vl_rate_meter *m, int64_t present_ns)
{
    if (m->n) {
        int newest = (m->head + VL_RATE_METER_CAP - 1) % VL_RATE_METER_CAP;
        if (present_ns < m->t_ns[newest])
            return;
    }
    m->t_ns[m->head] = present_ns;
    m->head = (m->head + 1) % VL_RATE_METER_CAP;
    if (m->n < VL_RATE_METER_CAP)
        m->n++;
    /* Keep the span: drop presents older than it. */
    while (m->n > 1) {
        int oldest = (m->head + VL_RATE_METER_CAP - m->n) % VL_RATE_METER_CAP;
        if (present_ns - m->t_ns[oldest] <= (int64_t)(VL_RATE_METER_SPAN_MS * MS))
            break;
        m->n--;
    }
}

double vl_rate_meter_hz(const vl_rate_meter *m)
{
    if (m->n < 8)
        return 0;
    int first = (m->head + VL_RATE_METER_CAP - m->n) % VL_RATE_METER_CAP;
    int64_t t0 = m->t_ns[first];
    double d[VL_RATE_METER_CAP], x[VL_RATE_METER_CAP], y[VL_RATE_METER_CAP];
    for (int i = 1; i < m->n; i++) {
        d[i - 1] = (double)(m->t_ns[(first + i) % VL_RATE_METER_CAP] -
                            m->t_ns[(first + i - 1) % VL_RATE_METER_CAP]);
    }
    double sorted[VL_RATE_METER_CAP];
    memcpy(sorted, d, sizeof(*d) * (m->n - 1));
    qsort(sorted, m->n - 1, sizeof(*sorted), cmp_double);
    double med = sorted[(m->n - 1) / 2];
    if (med <= 0)
        return 0;
    /* Refresh counts: each interval is a whole number of refreshes; a
     * present in the same refresh as the last one adds none. */
    int n = 1;
    double count = 0, mx = 0, my = 0;
    x[0] = y[0] = 0;
    for (int i = 1; i < m->n; i++) {
        double steps = round(d[i - 1] / med);
        count += steps;
        if (steps < 1)
            continue;
        x[n] = count;
        y[n] = (double)(m->t_ns[(first + i) % VL_RATE_METER_CAP] - t0);
        n++;
    }
    for (int i = 0; i < n; i++) {
        mx += x[i];
        my += y[i];
    }
    mx /= n;
    my /= n;
    double sxx = 0, sxy = 0;
    for (int i = 0; i < n; i++) {
        sxx += (x[i] - mx) * (x[i] - mx);
        sxy += (x[i] - mx) * (y[i] - my);
    }
    if (sxx <= 0 || sxy <= 0)
        return 0;
    return 1e9 * sxx / sxy;
}
