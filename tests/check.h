/* A tiny test harness: CHECK(cond) and CHECK_NEAR(a, b, tol) report the
 * file:line of a failure and count it; main returns check_result(). */
#ifndef VL_CHECK_H
#define VL_CHECK_H

#include <math.h>
#include <stdio.h>
#include <unistd.h>

static int check_failures;
static int check_count;

#define CHECK(cond) do { \
    check_count++; \
    if (!(cond)) { \
        check_failures++; \
        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
    } \
} while (0)

#define CHECK_NEAR(a, b, tol) do { \
    double check_a_ = (a), check_b_ = (b); \
    check_count++; \
    if (!(fabs(check_a_ - check_b_) <= (tol))) { \
        check_failures++; \
        fprintf(stderr, "%s:%d: check failed: %s = %.9g, expected %s = %.9g (tol %g)\n", \
                __FILE__, __LINE__, #a, check_a_, #b, check_b_, (double)(tol)); \
    } \
} while (0)

/* stderr redirected into a temporary file, to check a logged message:
 * int saved = capture_stderr(&tmp); ...; end_capture(tmp, saved, log, n). */
static inline int capture_stderr(FILE **tmp)
{
    fflush(stderr);
    int saved = dup(2);
    *tmp = tmpfile();
    dup2(fileno(*tmp), 2);
    return saved;
}

/* Restore stderr and copy what was written into log (NUL-terminated). */
static inline void end_capture(FILE *tmp, int saved, char *log, size_t n)
{
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t len = fread(log, 1, n - 1, tmp);
    log[len] = '\0';
    fclose(tmp);
}

static inline int check_result(const char *name)
{
    printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
    return check_failures ? 1 : 0;
}

#endif
