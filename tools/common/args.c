#include "args.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

static bool parse_double(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return !errno && end != s && !*end && isfinite(*v);
}

/* The numbers of an OPT_NUMS value, each in o's range. */
static bool parse_nums(const args_opt *o, const char *arg, void *field)
{
    const args_nums *nums = o->priv;
    const char *p = arg;
    for (int k = 0; k < nums->n; k++) {
        const char *end = k + 1 < nums->n ? strchr(p, nums->sep) : p + strlen(p);
        if (!end || end - p >= 64)
            return false;
        char one[64];
        memcpy(one, p, (size_t)(end - p));
        one[end - p] = '\0';
        double v;
        if (!parse_double(one, &v) || v < o->min || v > o->max || (nums->integer && v != floor(v)))
            return false;
        if (nums->integer)
            ((int *)field)[k] = (int)v;
        else
            ((double *)field)[k] = v;
        p = end + 1;
    }
    return true;
}

static bool set_option(const args_tool *t, void *opts, const args_opt *o, const char *arg)
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
            fprintf(stderr, "%s: --%s: expected an integer from %.0f to %.0f, got '%s'\n",
                    t->prog, o->name, o->min, o->max, arg);
            return false;
        }
        *(int *)field = (int)v;
        return true;
    }
    case OPT_DOUBLE: {
        double v;
        if (!parse_double(arg, &v) || v < o->min || v > o->max) {
            fprintf(stderr, "%s: --%s: expected a number from %g to %g, got '%s'\n", t->prog,
                    o->name, o->min, o->max, arg);
            return false;
        }
        *(double *)field = v;
        return true;
    }
    case OPT_CHOICE: {
        const char *const *names = o->priv;
        for (int k = 0; k <= o->max; k++) {
            if (!strcmp(arg, names[k])) {
                *(int *)field = k;
                return true;
            }
        }
        fprintf(stderr, "%s: --%s: expected %s, got '%s'\n", t->prog, o->name, o->arg, arg);
        return false;
    }
    case OPT_RATE:
        if (!vl_rational_parse(arg, (vl_rational *)field)) {
            fprintf(stderr, "%s: --%s: expected a frame rate such as 25, 24000/1001 or 29.97, "
                    "got '%s'\n", t->prog, o->name, arg);
            return false;
        }
        return true;
    case OPT_NUMS:
        if (!parse_nums(o, arg, field)) {
            const args_nums *nums = o->priv;
            fprintf(stderr, "%s: --%s: expected %s, %d %s from %g to %g, got '%s'\n", t->prog,
                    o->name, o->arg, nums->n, nums->integer ? "integers" : "numbers", o->min,
                    o->max, arg);
            return false;
        }
        return true;
    case OPT_OWN:
        return t->set_own(opts, o, arg);
    }
    return false;
}

/* The option `arg` names for cmd; NULL after saying what is wrong. */
static const args_opt *find_option(const args_tool *t, int cmd, const char *arg)
{
    const char *name = arg + 2, *cmd_name = t->cmd_name(cmd);
    bool elsewhere = false;
    for (size_t i = 0; arg[0] == '-' && arg[1] == '-' && i < t->n_opts; i++) {
        if (strcmp(name, t->opts[i].name))
            continue;
        if (t->opts[i].cmds & (1u << cmd))
            return &t->opts[i];
        elsewhere = true;
    }
    if (elsewhere)
        fprintf(stderr, "%s %s: --%s is not an option of %s (see %s %s --help)\n", t->prog,
                cmd_name, name, cmd_name, t->prog, cmd_name);
    else
        fprintf(stderr, "%s %s: unknown option '%s' (see %s %s --help)\n", t->prog, cmd_name, arg,
                t->prog, cmd_name);
    return NULL;
}

static bool is_help(const char *a)
{
    return !strcmp(a, "--help") || !strcmp(a, "-h");
}

/* argv[1]: the command's index, or -1 after saying it is none. */
static int find_command(const args_tool *t, const char *arg)
{
    for (int c = 0; c < t->n_cmds; c++)
        if (!strcmp(arg, t->cmd_name(c)))
            return c;
    fprintf(stderr, "%s: unknown command '%s' (expected ", t->prog, arg);
    for (int c = 0; c < t->n_cmds; c++)
        fprintf(stderr, "%s%s", t->cmd_name(c),
                c + 2 < t->n_cmds ? ", " : c + 2 == t->n_cmds ? " or " : "");
    fprintf(stderr, "; see %s --help)\n", t->prog);
    return -1;
}

int args_parse(const args_tool *t, void *opts, bool given[], int argc, char **argv)
{
    if (argc < 2) {
        t->usage_all(stderr);
        return -1;
    }
    if (is_help(argv[1])) {
        t->usage_all(stdout);
        return 1;
    }
    int cmd = find_command(t, argv[1]);
    if (cmd < 0)
        return -1;
    const char *cmd_name = t->cmd_name(cmd);
    const char **file = t->start(opts, cmd);
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (is_help(a)) {
            t->usage_cmd(stdout, cmd);
            return 1;
        }
        if (a[0] != '-' || !a[1]) {
            if (!file || *file) {
                fprintf(stderr, "%s %s: unexpected argument '%s'%s\n", t->prog, cmd_name, a,
                        t->unexpected);
                return -1;
            }
            *file = a;
            continue;
        }
        const args_opt *o = find_option(t, cmd, a);
        if (!o)
            return -1;
        const char *arg = NULL;
        if (o->type != OPT_FLAG) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s %s: --%s needs an argument: %s\n", t->prog, cmd_name, o->name,
                        o->arg);
                return -1;
            }
            arg = argv[++i];
        }
        if (!set_option(t, opts, o, arg))
            return -1;
        given[o - t->opts] = true;
    }
    for (size_t i = 0; i < t->n_opts; i++) {
        const args_opt *o = &t->opts[i];
        if ((o->required & (1u << cmd)) && !given[i]) {
            fprintf(stderr, "%s %s: --%s%s%s is required\n", t->prog, cmd_name, o->name,
                    o->arg ? " " : "", o->arg ? o->arg : "");
            return -1;
        }
    }
    return 0;
}

void args_print_options(FILE *f, const args_opt *opts, size_t n_opts, int cmd, int width)
{
    for (size_t i = 0; i < n_opts; i++) {
        const args_opt *o = &opts[i];
        if (!(o->cmds & (1u << cmd)))
            continue;
        char left[64];
        snprintf(left, sizeof(left), "--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(f, "  %-*s %s%s\n", width, left, o->required & (1u << cmd) ? "(required) " : "",
                o->help);
    }
    fputs("  --help\n", f);
}
