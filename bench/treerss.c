/*
 * treerss.c - peak resident memory and wall time of a whole process tree,
 * for the indexing benchmark (bench/index-bench.sh).
 *
 *   treerss [-i MS] [-o FILE] -- COMMAND [ARG...]   run COMMAND, wait for it
 *   treerss [-i MS] [-o FILE] -p PID                watch a running process
 *
 * Every MS milliseconds (default 20) it lists the root process and all its
 * descendants (from the parent pid in /proc/N/stat) and sums their
 * resident set sizes (/proc/N/statm, the same figure as VmRSS).  It stops
 * when the root exits, or, with -p, also on SIGUSR1, SIGTERM or SIGINT
 * (the benchmark signals it once a daemon that keeps running has finished
 * its load), and prints one line:
 *
 *   treerss: wall_s=12.345 peak_rss_kb=123456 peak_procs=3 samples=617
 *            fresh_forks=0 status=0
 *
 * to FILE (default: standard error).  status is the command's exit status
 * (128+N for a signal; -1 with -p, where it cannot be known).  Run with a
 * command, treerss exits with the command's status.
 *
 * A fork that has not exec'd yet shares all its parent's pages and shows
 * the parent's whole RSS: an indexer that runs a helper per file (recoll)
 * would count twice or three times over.  So a process under a second old
 * that runs the same program with the same command line as its parent is
 * taken for such a fork and left out of the sum; the report's fresh_forks
 * counts how often.  Forked workers that live longer count in full.
 *
 * Limits: a process that lives for less than one interval between two
 * samples may be missed, and the sum is sampled, so a spike shorter than
 * the interval can be missed too.  Other pages shared between processes of
 * the tree count once per process, as in VmRSS.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_PROCS 65536

/* A fork younger than this that still runs its parent's program is not
 * counted (see the top). */
#define FORK_GRACE_MS 1000

struct proc {
    pid_t pid;
    pid_t ppid;
    unsigned long long start;   /* clock ticks after boot */
};

static long fresh_forks;        /* samples that left out a fresh fork */

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Parent pid and start time from /proc/PID/stat into *pr; -1 when the
 * process is gone. */
static int
read_stat(pid_t pid, struct proc *pr)
{
    char path[64], buf[1024];
    FILE *f;
    size_t n;
    char *p;
    int ppid;

    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: skip to the last
     * ')'; then come the state (field 3), the parent pid (4), 17 fields
     * and the start time (22). */
    p = strrchr(buf, ')');
    if (p == NULL || sscanf(p + 1, " %*c %d %*s %*s %*s %*s %*s %*s %*s %*s"
                            " %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
                            &ppid, &pr->start) != 2)
        return -1;
    pr->pid = pid;
    pr->ppid = (pid_t)ppid;
    return 0;
}

/* Up to cap bytes of /proc/PID/NAME into buf; the length, or -1. */
static ssize_t
read_proc_file(pid_t pid, const char *name, char *buf, size_t cap)
{
    char path[64];
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, name);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    n = fread(buf, 1, cap, f);
    fclose(f);
    return (ssize_t)n;
}

/* Whether child (in the tree, not the root) is a fork of its parent that
 * has not exec'd yet: young, same program, same command line. */
static bool
is_fresh_fork(const struct proc *child)
{
    static long ticks_per_s;
    char path[64], exe_c[4096], exe_p[4096], cmd_c[4096], cmd_p[4096];
    struct timespec ts;
    double age_ms;
    ssize_t lc, lp;

    if (ticks_per_s == 0)
        ticks_per_s = sysconf(_SC_CLK_TCK);
    clock_gettime(CLOCK_BOOTTIME, &ts);
    age_ms = ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9) * 1e3 -
             (double)child->start * 1e3 / (double)ticks_per_s;
    if (age_ms > FORK_GRACE_MS)
        return false;
    snprintf(path, sizeof path, "/proc/%d/exe", (int)child->pid);
    lc = readlink(path, exe_c, sizeof exe_c);
    snprintf(path, sizeof path, "/proc/%d/exe", (int)child->ppid);
    lp = readlink(path, exe_p, sizeof exe_p);
    if (lc < 0 || lc != lp || memcmp(exe_c, exe_p, (size_t)lc) != 0)
        return false;
    lc = read_proc_file(child->pid, "cmdline", cmd_c, sizeof cmd_c);
    lp = read_proc_file(child->ppid, "cmdline", cmd_p, sizeof cmd_p);
    return lc >= 0 && lc == lp && memcmp(cmd_c, cmd_p, (size_t)lc) == 0;
}

/* Resident set of PID in kB; 0 when gone (or a zombie). */
static long
read_rss_kb(pid_t pid)
{
    static long page_kb;
    char path[64];
    FILE *f;
    long size, resident;

    if (page_kb == 0)
        page_kb = sysconf(_SC_PAGESIZE) / 1024;
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * page_kb;
}

static int
cmp_pid(const void *a, const void *b)
{
    pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

    return (x > y) - (x < y);
}

/*
 * Pids seen outside the tree at the previous sample, sorted.  A process
 * outside the tree never joins it (it cannot get a new parent inside), so
 * its /proc/N/stat is not read again while it lives; a pid missing from
 * one listing of /proc drops out, so a reused pid is looked at afresh.
 * This keeps a sample down to a listing of /proc plus a few reads.
 */
static pid_t outside[MAX_PROCS], outside_next[MAX_PROCS];
static size_t n_outside;

/*
 * One sample: the RSS sum of root and its descendants, in kB, and how many
 * processes that is (in *nprocs_out).  procs is scratch space for
 * MAX_PROCS entries.
 */
static long
sample_tree(pid_t root, struct proc *procs, int *nprocs_out)
{
    static struct proc tree[MAX_PROCS];
    DIR *d;
    struct dirent *de;
    size_t n = 0, ntree = 0, n_next = 0;
    long sum = 0;
    bool grew;

    d = opendir("/proc");
    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL && n < MAX_PROCS) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        pid_t p = (pid_t)pid;

        if (*end != '\0' || pid <= 0)
            continue;
        if (bsearch(&p, outside, n_outside, sizeof p, cmp_pid) != NULL) {
            if (n_next < MAX_PROCS)
                outside_next[n_next++] = p;
            continue;
        }
        if (read_stat(p, &procs[n]) == 0)
            n++;
    }
    closedir(d);

    /* The tree: root, then repeatedly every process whose parent is in
     * it.  Few processes and a shallow tree, so quadratic is fine. */
    tree[ntree].pid = root;
    tree[ntree++].ppid = 0;
    do {
        grew = false;
        for (size_t i = 0; i < n; i++) {
            bool in_tree = false, parent_in = false;

            if (procs[i].pid == 0)
                continue;
            for (size_t k = 0; k < ntree && !(in_tree && parent_in); k++) {
                in_tree |= tree[k].pid == procs[i].pid;
                parent_in |= tree[k].pid == procs[i].ppid;
            }
            if (in_tree) {
                procs[i].pid = 0;       /* done with it */
            } else if (parent_in && ntree < MAX_PROCS) {
                tree[ntree++] = procs[i];
                procs[i].pid = 0;
                grew = true;
            }
        }
    } while (grew);
    /* What is left is outside the tree. */
    for (size_t i = 0; i < n && n_next < MAX_PROCS; i++) {
        if (procs[i].pid != 0)
            outside_next[n_next++] = procs[i].pid;
    }
    qsort(outside_next, n_next, sizeof *outside_next, cmp_pid);
    memcpy(outside, outside_next, n_next * sizeof *outside);
    n_outside = n_next;

    sum = read_rss_kb(root);
    for (size_t k = 1; k < ntree; k++) {
        if (is_fresh_fork(&tree[k]))
            fresh_forks++;
        else
            sum += read_rss_kb(tree[k].pid);
    }
    *nprocs_out = (int)ntree;
    return sum;
}

static void
usage(FILE *out)
{
    fprintf(out,
            "Usage: treerss [-i MS] [-o FILE] -- COMMAND [ARG...]\n"
            "       treerss [-i MS] [-o FILE] -p PID\n"
            "Peak summed RSS of a process and its descendants, and wall "
            "time.\n"
            "With -p, stops when PID exits or on SIGUSR1/SIGTERM/SIGINT.\n");
}

int
main(int argc, char **argv)
{
    struct proc *procs;
    const char *out_path = NULL;
    long interval_ms = 20, peak_kb = 0, samples = 0;
    int peak_procs = 0, status = -1, opt;
    pid_t root = 0, child = 0;
    double t0, wall;
    struct sigaction sa;
    struct timespec pause_ts;
    FILE *out;

    while ((opt = getopt(argc, argv, "+i:o:p:h")) != -1) {
        switch (opt) {
        case 'i':
            interval_ms = strtol(optarg, NULL, 10);
            if (interval_ms < 1 || interval_ms > 10000) {
                fprintf(stderr, "treerss: -i %s: want 1 to 10000 ms\n",
                        optarg);
                return 2;
            }
            break;
        case 'o':
            out_path = optarg;
            break;
        case 'p':
            root = (pid_t)strtol(optarg, NULL, 10);
            if (root <= 0) {
                fprintf(stderr, "treerss: -p %s: not a pid\n", optarg);
                return 2;
            }
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if ((root == 0) == (optind >= argc)) {
        usage(stderr);
        return 2;
    }

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    if (root != 0) {
        sigaction(SIGUSR1, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
    }
    procs = malloc(MAX_PROCS * sizeof *procs);
    if (procs == NULL) {
        perror("treerss");
        return 1;
    }

    t0 = now_s();
    if (root == 0) {
        child = fork();
        if (child < 0) {
            perror("treerss: fork");
            return 1;
        }
        if (child == 0) {
            execvp(argv[optind], argv + optind);
            fprintf(stderr, "treerss: %s: %s\n", argv[optind],
                    strerror(errno));
            _exit(127);
        }
        root = child;
    }

    pause_ts.tv_sec = interval_ms / 1000;
    pause_ts.tv_nsec = (interval_ms % 1000) * 1000000L;
    for (;;) {
        int nprocs = 0, ws;
        long kb = sample_tree(root, procs, &nprocs);

        samples++;
        if (kb > peak_kb)
            peak_kb = kb;
        if (nprocs > peak_procs)
            peak_procs = nprocs;
        if (child != 0) {
            pid_t r = waitpid(child, &ws, WNOHANG);

            if (r == child) {
                status = WIFEXITED(ws) ? WEXITSTATUS(ws)
                                       : 128 + WTERMSIG(ws);
                break;
            }
        } else if (stop_requested || kill(root, 0) < 0) {
            break;
        }
        nanosleep(&pause_ts, NULL);
    }
    wall = now_s() - t0;
    free(procs);

    out = out_path ? fopen(out_path, "w") : stderr;
    if (out == NULL) {
        fprintf(stderr, "treerss: %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    fprintf(out, "treerss: wall_s=%.3f peak_rss_kb=%ld peak_procs=%d "
            "samples=%ld fresh_forks=%ld status=%d\n", wall, peak_kb,
            peak_procs, samples, fresh_forks, status);
    if (out != stderr && fclose(out) != 0) {
        fprintf(stderr, "treerss: %s: %s\n", out_path, strerror(errno));
        return 1;
    }
    return child != 0 ? status : 0;
}
