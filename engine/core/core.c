
#include "core.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static enum vl_log_level log_level = VL_LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void vl_log_set_level(enum vl_log_level level) { log_level = level; }
enum vl_log_level vl_log_get_level(void) { return log_level; }

void vl_log(enum vl_log_level level, const char *component, const char *fmt, ...)
{
    static const char *const prefix[] = {
        [VL_LOG_ERROR] = "error: ", [VL_LOG_WARN] = "warning: ",
        [VL_LOG_INFO] = "", [VL_LOG_DEBUG] = "debug: ",
    };
    if (level > log_level)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&log_lock);
    fprintf(stderr, "[%s] %s%s\n", component, prefix[level], msg);
    pthread_mutex_unlock(&log_lock);
}

static void *check_alloc(void *p)
{
    if (!p) {
        fputs("volym: out of memory\n", stderr);
        abort();
    }
    return p;
}

void *vl_xmalloc(size_t size) { return check_alloc(malloc(size ? size : 1)); }
void *vl_xcalloc(size_t n, size_t size) { return check_alloc(calloc(n ? n : 1, size ? size : 1)); }
void *vl_xrealloc(void *p, size_t size) { return check_alloc(realloc(p, size ? size : 1)); }
char *vl_xstrdup(const char *s) { return check_alloc(strdup(s)); }

void vl_freep(void *pp)
{
    void **p = pp;
    free(*p);
    *p = NULL;
}

char *vl_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = vl_xmalloc(cap);
    for (;;) {
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
        if (cap - n - 1 == 0) {
            cap *= 2;
            buf = vl_xrealloc(buf, cap);
        }
    }
    int err = ferror(f) ? EIO : 0;
    fclose(f);
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int64_t vl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * VL_NS_PER_SEC + ts.tv_nsec;
}

void vl_sleep_until_ns(int64_t t_ns)
{
    struct timespec ts = { .tv_sec = t_ns / VL_NS_PER_SEC, .tv_nsec = t_ns % VL_NS_PER_SEC };
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

int64_t vl_frame_time_ns(vl_rational rate, int64_t n)
{
    /* n * den * 1e9 / num, split so the product cannot overflow for years
     * of frames: whole seconds first, then the remainder. */
    int64_t per = rate.num;
    int64_t whole = n / per, rem = n % per;
    return whole * rate.den * VL_NS_PER_SEC + (rem * rate.den * VL_NS_PER_SEC) / per;
}

int64_t vl_frame_period_ns(vl_rational rate)
{
    return rate.den * VL_NS_PER_SEC / rate.num;
}

int64_t vl_frame_catch_up(vl_rational rate, int64_t t0, int64_t n, int64_t now)
{
    int64_t behind = now - (t0 + vl_frame_time_ns(rate, n)), period = vl_frame_period_ns(rate);
    return behind > period ? n + behind / period : n;
}

bool vl_rational_parse(const char *s, vl_rational *out)
{
    static const struct { const char *text; vl_rational r; } ntsc[] = {
        { "23.976", { 24000, 1001 } }, { "23.98", { 24000, 1001 } },
        { "29.97", { 30000, 1001 } },  { "47.952", { 48000, 1001 } },
        { "59.94", { 60000, 1001 } },  { "119.88", { 120000, 1001 } },
    };
    if (!s || !*s)
        return false;
    for (size_t i = 0; i < sizeof(ntsc) / sizeof(ntsc[0]); i++) {
        if (!strcmp(s, ntsc[i].text)) {
            *out = ntsc[i].r;
            return true;
        }
    }
    char *end;
    errno = 0;
    long long num = strtoll(s, &end, 10);
    long long den = 1;
    if (errno || end == s)
        return false;
    if (*end == '/') {
        const char *d = end + 1;
        den = strtoll(d, &end, 10);
        if (errno || end == d)
            return false;
    }
    if (*end || num <= 0 || den <= 0 || num > 1000000 || den > 1000000)
        return false;
    *out = (vl_rational){ num, den };
    return true;
}

double vl_rational_to_double(vl_rational r)
{
    return (double)r.num / (double)r.den;
}

static void mat3_mul(const double a[3][3], const double b[3][3], double out[3][3])
{
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++)
            out[r][c] = a[r][0] * b[0][c] + a[r][1] * b[1][c] + a[r][2] * b[2][c];
}

vl_basis vl_basis_from_ptr(double pan_deg, double tilt_deg, double roll_deg)
{
    const double d2r = M_PI / 180.0;
    double p = -pan_deg * d2r, t = tilt_deg * d2r, r = roll_deg * d2r;
    const double rz[3][3] = { { cos(p), -sin(p), 0 }, { sin(p), cos(p), 0 }, { 0, 0, 1 } };
    const double rx[3][3] = { { 1, 0, 0 }, { 0, cos(t), -sin(t) }, { 0, sin(t), cos(t) } };
    const double ry[3][3] = { { cos(r), 0, sin(r) }, { 0, 1, 0 }, { -sin(r), 0, cos(r) } };
    double zx[3][3], m[3][3];
    mat3_mul(rz, rx, zx);
    mat3_mul(zx, ry, m);
    vl_basis b;
    for (int i = 0; i < 3; i++) {
        b.right[i] = m[i][0];
        b.forward[i] = m[i][1];
        b.up[i] = m[i][2];
    }
    return b;
}

void vl_basis_apply(const vl_basis *b, const double v[3], double out[3])
{
    for (int i = 0; i < 3; i++)
        out[i] = v[0] * b->right[i] + v[1] * b->forward[i] + v[2] * b->up[i];
}

void vl_basis_to_ptr(const vl_basis *b, double *pan_deg, double *tilt_deg, double *roll_deg)
{
    const double r2d = 180.0 / M_PI;
    /* forward = (sin pan cos tilt, cos pan cos tilt, sin tilt) */
    double fz = fmax(-1.0, fmin(1.0, b->forward[2]));
    *tilt_deg = asin(fz) * r2d;
    *pan_deg = atan2(b->forward[0], b->forward[1]) * r2d;
    /* right.z = -sin(roll) cos(tilt)... use right.z and up.z: up.z = cos tilt cos roll,
     * right.z = -cos tilt sin roll (see the matrix product above). */
    *roll_deg = atan2(-b->right[2], b->up[2]) * r2d;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double vl_percentile(double *v, int n, double p)
{
    qsort(v, n, sizeof(*v), cmp_double);
    int i = (int)(p / 100.0 * (n - 1) + 0.5);
    return v[i];
}
