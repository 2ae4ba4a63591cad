/*
 * qspawn.c - one process per query, timed, for the query benchmark
 * (bench/query-bench.sh): how long a command-line search tool takes from
 * fork to exit.
 *
 *   qspawn -f QUERIES [-r ROUNDS] [-o MAXOK] [-L LABEL] -- COMMAND [ARG...]
 *
 * For each query of QUERIES (one a line, blank lines skipped), ROUNDS
 * times over the list (default 1), runs COMMAND ARG... QUERY (the query
 * as one last argument, no shell), with standard input, output and error
 * on /dev/null, and waits for it.  Each run is
 * timed with CLOCK_MONOTONIC from just before fork() until waitpid()
 * returns.  One run at a time.  At the end it prints one line:
 *
 *   qspawn: count=200 errors=0 p50_ms=2.210 p99_ms=4.120 max_ms=6.004
 *           qps=431.0
 *
 * errors counts runs that did not exit with a status from 0 to MAXOK
 * (default 0; searchc exits 1 when nothing matched); their times count;
 * qps is runs over the wall time of all of them.  Exit status 0, 1 when
 * a process cannot be started or every run failed, 2 for usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Nearest-rank percentile of n sorted values (as in qlat.c). */
static double
percentile(const double *v, size_t n, double pct)
{
    size_t rank = (size_t)(pct / 100.0 * (double)n + 0.999999);

    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* Read the lines of path into *out (owned by the caller, each line too). */
static long
read_lines(const char *path, char ***out)
{
    FILE *f = fopen(path, "r");
    char *line = NULL, **v = NULL;
    size_t cap = 0, n = 0, vcap = 0;
    ssize_t len;

    if (f == NULL) {
        fprintf(stderr, "qspawn: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((len = getline(&line, &cap, f)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (n == vcap) {
            size_t nc = vcap ? vcap * 2 : 256;
            char **p = realloc(v, nc * sizeof *p);

            if (p == NULL)
                goto nomem;
            v = p;
            vcap = nc;
        }
        if ((v[n] = strdup(line)) == NULL)
            goto nomem;
        n++;
    }
    free(line);
    fclose(f);
    *out = v;
    return (long)n;
nomem:
    fprintf(stderr, "qspawn: out of memory\n");
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    free(line);
    fclose(f);
    return -1;
}

static void
usage(FILE *out)
{
    fprintf(out, "Usage: qspawn -f QUERIES [-r ROUNDS] [-o MAXOK] "
            "[-L LABEL] -- COMMAND [ARG...]\n"
            "Run COMMAND ARG... QUERY once per query, one at a time; print "
            "count, errors,\np50, p99, max (fork to exit) and runs/s.\n");
}

int
main(int argc, char **argv)
{
    const char *qfile = NULL, *label = "qspawn";
    long rounds = 1, maxok = 0, nq;
    char **queries = NULL, **args;
    double *times, t_start, wall;
    size_t n_times = 0, errors = 0;
    int opt, argn, devnull, errfd, rc = 0;

    while ((opt = getopt(argc, argv, "+f:r:o:L:h")) != -1) {
        switch (opt) {
        case 'f': qfile = optarg; break;
        case 'r': rounds = strtol(optarg, NULL, 10); break;
        case 'o': maxok = strtol(optarg, NULL, 10); break;
        case 'L': label = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (qfile == NULL || optind >= argc || rounds < 1 || rounds > 1000 ||
        maxok < 0 || maxok > 125) {
        usage(stderr);
        return 2;
    }
    nq = read_lines(qfile, &queries);
    if (nq < 0)
        return 1;
    if (nq == 0) {
        fprintf(stderr, "qspawn: %s: no query in it\n", qfile);
        return 1;
    }
    argn = argc - optind;
    args = calloc((size_t)argn + 2, sizeof *args);
    times = malloc((size_t)(nq * rounds) * sizeof *times);
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    errfd = fcntl(2, F_DUPFD_CLOEXEC, 3);   /* for an exec failure */
    if (args == NULL || times == NULL || devnull < 0 || errfd < 0) {
        fprintf(stderr, "qspawn: out of memory or no /dev/null\n");
        return 1;
    }
    memcpy(args, argv + optind, (size_t)argn * sizeof *args);

    t_start = now_ms();
    for (long i = 0; i < nq * rounds; i++) {
        double t0 = now_ms();
        int status;
        pid_t pid;

        args[argn] = queries[i % nq];
        pid = fork();
        if (pid < 0) {
            fprintf(stderr, "qspawn: fork: %s\n", strerror(errno));
            rc = 1;
            break;
        }
        if (pid == 0) {
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
            execvp(args[0], args);
            dprintf(errfd, "qspawn: %s: %s\n", args[0], strerror(errno));
            _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
            ;
        times[n_times++] = now_ms() - t0;
        if (!WIFEXITED(status) || WEXITSTATUS(status) > maxok) {
            errors++;
            if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
                rc = 1;
                break;
            }
        }
    }
    wall = now_ms() - t_start;
    close(devnull);
    close(errfd);
    for (long i = 0; i < nq; i++)
        free(queries[i]);
    free(queries);
    free(args);

    if (n_times == 0 || errors == n_times) {
        fprintf(stderr, "qspawn: %s: no run succeeded\n", argv[optind]);
        rc = 1;
    }
    if (n_times > 0) {
        qsort(times, n_times, sizeof *times, cmp_double);
        printf("%s: clients=1 count=%zu errors=%zu p50_ms=%.3f p99_ms=%.3f "
               "max_ms=%.3f qps=%.1f\n", label, n_times, errors,
               percentile(times, n_times, 50), percentile(times, n_times, 99),
               times[n_times - 1],
               wall > 0 ? (double)n_times * 1000.0 / wall : 0.0);
    }
    free(times);
    return rc;
}
