/*
 * The tools' command lines: PROG COMMAND [options] [FILE]. Each tool keeps one
 * table of options (tools/track/main.c, tools/calib/main.c); this walks it for
 * parsing, value checks, required options and the option lines of --help.
 * An option is --NAME or --NAME VALUE; a name may stand more than once in a
 * table when it means something else to another command. Usage errors are
 * printed to stderr as "PROG[ COMMAND]: what is wrong".
 */
#ifndef VL_TOOLS_ARGS_H
#define VL_TOOLS_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum args_type {
    OPT_FLAG,                   /* bool, set to true */
    OPT_STRING,                 /* const char *, pointing into argv */
    OPT_INT,                    /* int from min to max */
    OPT_DOUBLE,                 /* double from min to max, finite */
    OPT_CHOICE,                 /* int: the index of the name in priv (const char *const[]),
                                   0 to max */
    OPT_RATE,                   /* vl_rational: 25, 24000/1001, 29.97 ... */
    OPT_NUMS,                   /* the numbers priv (args_nums) describes, each min to max */
    OPT_OWN,                    /* parsed by the tool: args_tool.set_own */
};

/* OPT_NUMS: n numbers joined by sep, into double[n] (int[n] when integer). */
typedef struct args_nums {
    int n;
    char sep;
    bool integer;
} args_nums;

typedef struct args_opt {
    const char *name;           /* without the leading -- */
    enum args_type type;
    size_t offset;              /* of its field in the tool's options struct */
    double min, max;
    const void *priv;           /* OPT_CHOICE: the names; OPT_NUMS: an args_nums */
    unsigned cmds;              /* bit c set: command c takes it */
    unsigned required;          /* bit c set: command c needs it */
    const char *arg;            /* the value's name in --help and messages; NULL for a flag */
    const char *help;
} args_opt;

/* A tool's command line. The functions get the tool's options struct as
 * `opts`, and commands as their index, 0 to n_cmds - 1. */
typedef struct args_tool {
    const char *prog;           /* the program, first word of every message */
    const args_opt *opts;       /* every command's options, one table */
    size_t n_opts;
    int n_cmds;
    const char *(*cmd_name)(int cmd);
    void (*usage_all)(FILE *f);
    void (*usage_cmd)(FILE *f, int cmd);
    /* Sets cmd's defaults in opts; returns where its one positional
     * argument goes, or NULL when it takes none. */
    const char **(*start)(void *opts, int cmd);
    /* Parses the value of an OPT_OWN option; false after saying why. NULL
     * when the table has none. */
    bool (*set_own)(void *opts, const args_opt *o, const char *arg);
    const char *unexpected;     /* after "unexpected argument 'ARG'" */
} args_tool;

/* Parses argv (argv[1] the command) into opts, marking given[i] for each
 * t->opts[i] on the command line; checks the command's required options.
 * Returns 0 to run, 1 after printing --help, -1 after printing a usage error.
 * String values point into argv. */
int args_parse(const args_tool *t, void *opts, bool given[], int argc, char **argv);

/* The lines of --help for cmd's options, names padded to width, then
 * "  --help\n". */
void args_print_options(FILE *f, const args_opt *opts, size_t n_opts, int cmd, int width);

#endif
