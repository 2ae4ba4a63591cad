/*
 * qload.c - search load against a running searchd, for the query
 * benchmark (bench/query-bench.sh).
 *
 *   qload -s SOCKET -f QUERIES [-c CLIENTS] [-r ROUNDS | -d SECONDS]
 *         [-n LIMIT] [-t TIMEOUT_S] [-L LABEL]
 *
 * Reads one query a line from QUERIES (blank lines skipped), then starts
 * CLIENTS threads (default 1), each with its own connection to searchd's
 * Unix socket.  Client k runs the list from offset k * n / CLIENTS,
 * wrapping around, so the clients do not ask the same thing at the same
 * time; each sends one search (doc/protocol.md: "op":"search", "limit"
 * LIMIT, default 10) and waits for its reply before the next (a closed
 * loop).  A client stops after ROUNDS passes over the list (default 1),
 * or with -d when SECONDS have gone by (the query in flight is finished).
 *
 * Each round trip is timed with CLOCK_MONOTONIC, from just before the
 * request is written until its whole reply line is read.  The clients
 * start together (a barrier, after every connection is made); queries/s
 * is the answered count over the wall time from that start until the last
 * client is done.  At the end it prints one line:
 *
 *   qload: clients=32 count=6400 errors=0 p50_ms=1.210 p99_ms=6.402
 *          max_ms=12.511 qps=1843.2
 *
 * errors counts replies with "ok":false (their times still count).  A
 * reply is checked cheaply, not parsed (parsing 32 clients' replies would
 * take CPU from the daemon on a small machine): it must be one line that
 * starts with {"v":1,"id":ID, with the request's ID, and holds "ok":true
 * or "ok":false before its first 100 bytes (searchd writes v, id, ok
 * first).  Exit status 0; 1 when a connection fails, a reply does not
 * come within TIMEOUT_S (default 30) or is not of that shape; 2 for
 * usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define MAX_CLIENTS 256

/* The run's settings, shared read-only by the client threads. */
struct run {
    struct sockaddr_un sa;
    char **lines;           /* owned: each query as a JSON string, quoted */
    size_t n_lines;
    long rounds;            /* passes over the list; 0 with -d */
    double duration_ms;     /* -d, else 0 */
    long limit;
    int timeout_ms;
    int clients;
    pthread_barrier_t start;
    double t_start;         /* set by main just before the barrier */
};

/* One client thread's state and results; times is owned. */
struct client {
    struct run *run;
    int index;
    int fd;
    double *times;          /* one round trip each, in ms */
    size_t n_times, cap_times;
    size_t errors;
    int failed;             /* 1 when the client stopped on an error */
};

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* A growable buffer for reply bytes; p is owned. */
struct rbuf {
    char *p;
    size_t len;     /* bytes held */
    size_t cap;
};

static int
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/*
 * Read until the buffer holds a whole line; returns its length without
 * the '\n' (the line stays at the start of b->p), or -1 on error, EOF or
 * timeout.  (As in qlat.c.)
 */
static long
read_line(int fd, struct rbuf *b, int timeout_ms)
{
    double deadline = now_ms() + timeout_ms;
    size_t scanned = 0;

    for (;;) {
        char *nl = b->len > scanned ?
            memchr(b->p + scanned, '\n', b->len - scanned) : NULL;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        double left;
        ssize_t r;
        int pr;

        if (nl != NULL)
            return nl - b->p;
        scanned = b->len;
        if (b->cap - b->len < 4096) {
            size_t cap = b->cap ? b->cap * 2 : 65536;
            char *p = realloc(b->p, cap);

            if (p == NULL)
                return -1;
            b->p = p;
            b->cap = cap;
        }
        /* Try the read first: the reply is often there already. */
        r = read(fd, b->p + b->len, b->cap - b->len);
        if (r > 0) {
            b->len += (size_t)r;
            continue;
        }
        if (r == 0 || (errno != EAGAIN && errno != EINTR))
            return -1;
        left = deadline - now_ms();
        if (left <= 0)
            return -1;
        pr = poll(&pfd, 1, (int)left + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return -1;
    }
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Nearest-rank percentile of n sorted values. */
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

/*
 * Check a reply line against request id: 1 for "ok":true, 0 for
 * "ok":false, -1 when it is not a reply of that shape.
 */
static int
reply_ok(const char *line, size_t len, long id)
{
    char head[64];
    int hn = snprintf(head, sizeof head, "{\"v\":1,\"id\":%ld,", id);
    size_t scan = len < 100 ? len : 100;

    if (hn < 0 || (size_t)hn > len || memcmp(line, head, (size_t)hn) != 0)
        return -1;
    if (memmem(line, scan, "\"ok\":true", 9) != NULL)
        return 1;
    if (memmem(line, scan, "\"ok\":false", 10) != NULL)
        return 0;
    return -1;
}

static int
add_time(struct client *c, double dt)
{
    if (c->n_times == c->cap_times) {
        size_t cap = c->cap_times ? c->cap_times * 2 : 1024;
        double *t = realloc(c->times, cap * sizeof *t);

        if (t == NULL)
            return -1;
        c->times = t;
        c->cap_times = cap;
    }
    c->times[c->n_times++] = dt;
    return 0;
}

static void *
client_main(void *arg)
{
    struct client *c = arg;
    struct run *r = c->run;
    struct rbuf buf = { 0 };
    size_t n = r->n_lines;
    size_t first = (size_t)c->index * n / (size_t)r->clients;
    char *req = NULL;
    size_t req_cap = 0;

    pthread_barrier_wait(&r->start);
    if (c->fd < 0)
        return NULL;
    for (long i = 0; r->duration_ms > 0 || i < r->rounds * (long)n; i++) {
        const char *q = r->lines[(first + (size_t)i) % n];
        size_t need = strlen(q) + 128;
        double t0, dt;
        long len;
        int ok, rl;

        if (r->duration_ms > 0 && now_ms() - r->t_start >= r->duration_ms)
            break;
        if (need > req_cap) {
            char *p = realloc(req, need);

            if (p == NULL) {
                c->failed = 1;
                fprintf(stderr, "qload: out of memory\n");
                break;
            }
            req = p;
            req_cap = need;
        }
        rl = snprintf(req, req_cap, "{\"v\":1,\"id\":%ld,\"op\":\"search\","
                      "\"q\":%s,\"limit\":%ld}\n", i, q, r->limit);
        t0 = now_ms();
        if (write_all(c->fd, req, (size_t)rl) < 0) {
            fprintf(stderr, "qload: client %d: write: %s\n", c->index,
                    strerror(errno));
            c->failed = 1;
            break;
        }
        len = read_line(c->fd, &buf, r->timeout_ms);
        dt = now_ms() - t0;
        if (len < 0) {
            fprintf(stderr, "qload: client %d: no reply to %s within %d "
                    "s\n", c->index, q, r->timeout_ms / 1000);
            c->failed = 1;
            break;
        }
        ok = reply_ok(buf.p, (size_t)len, i);
        if (ok < 0) {
            fprintf(stderr, "qload: client %d: the reply to %s is not a "
                    "searchd reply: %.80s\n", c->index, q, buf.p);
            c->failed = 1;
            break;
        }
        if (ok == 0)
            c->errors++;
        memmove(buf.p, buf.p + len + 1, buf.len - (size_t)len - 1);
        buf.len -= (size_t)len + 1;
        if (add_time(c, dt) < 0) {
            fprintf(stderr, "qload: out of memory\n");
            c->failed = 1;
            break;
        }
    }
    free(req);
    free(buf.p);
    return NULL;
}

/*
 * Read the queries of path into r->lines, each made a quoted JSON string
 * once here so the clients only paste it in.  Returns 0, or -1 with a
 * message.
 */
static int
read_queries(struct run *r, const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, n_cap = 0;
    ssize_t len;

    if (f == NULL) {
        fprintf(stderr, "qload: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((len = getline(&line, &cap, f)) >= 0) {
        json_t *s;
        char *quoted;

        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        s = json_stringn(line, (size_t)len);
        if (s == NULL) {
            fprintf(stderr, "qload: %s: line %zu is not UTF-8\n", path,
                    r->n_lines + 1);
            goto fail;
        }
        quoted = json_dumps(s, JSON_ENCODE_ANY);
        json_decref(s);
        if (quoted == NULL)
            goto nomem;
        if (r->n_lines == n_cap) {
            size_t nc = n_cap ? n_cap * 2 : 256;
            char **p = realloc(r->lines, nc * sizeof *p);

            if (p == NULL) {
                free(quoted);
                goto nomem;
            }
            r->lines = p;
            n_cap = nc;
        }
        r->lines[r->n_lines++] = quoted;
    }
    free(line);
    fclose(f);
    if (r->n_lines == 0) {
        fprintf(stderr, "qload: %s: no query in it\n", path);
        return -1;
    }
    return 0;
nomem:
    fprintf(stderr, "qload: out of memory\n");
fail:
    free(line);
    fclose(f);
    return -1;
}

static void
usage(FILE *out)
{
    fprintf(out, "Usage: qload -s SOCKET -f QUERIES [-c CLIENTS] "
            "[-r ROUNDS | -d SECONDS] [-n LIMIT] [-t TIMEOUT_S] "
            "[-L LABEL]\n"
            "Run the searches of QUERIES (one a line) from CLIENTS "
            "connections at once;\nprint count, errors, p50, p99, max "
            "and queries/s.\n");
}

int
main(int argc, char **argv)
{
    const char *sock_path = NULL, *qfile = NULL, *label = "qload";
    struct run r = { .sa = { .sun_family = AF_UNIX }, .rounds = 1,
                     .limit = 10, .clients = 1 };
    long timeout_s = 30;
    double seconds = 0;
    struct client *cl;
    pthread_t *th;
    double *all = NULL, wall;
    size_t n_all = 0, errors = 0;
    int opt, rc = 0;

    while ((opt = getopt(argc, argv, "s:f:c:r:d:n:t:L:h")) != -1) {
        switch (opt) {
        case 's': sock_path = optarg; break;
        case 'f': qfile = optarg; break;
        case 'c': r.clients = (int)strtol(optarg, NULL, 10); break;
        case 'r': r.rounds = strtol(optarg, NULL, 10); break;
        case 'd': seconds = strtod(optarg, NULL); break;
        case 'n': r.limit = strtol(optarg, NULL, 10); break;
        case 't': timeout_s = strtol(optarg, NULL, 10); break;
        case 'L': label = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (sock_path == NULL || qfile == NULL || optind != argc ||
        r.clients < 1 || r.clients > MAX_CLIENTS || r.rounds < 1 ||
        seconds < 0 || seconds > 3600 || r.limit < 1 || r.limit > 1000 ||
        timeout_s < 1 || timeout_s > 3600 ||
        strlen(sock_path) >= sizeof r.sa.sun_path) {
        usage(stderr);
        return 2;
    }
    strcpy(r.sa.sun_path, sock_path);
    r.duration_ms = seconds * 1000;
    r.timeout_ms = (int)(timeout_s * 1000);
    signal(SIGPIPE, SIG_IGN);
    if (read_queries(&r, qfile) < 0)
        return 1;

    cl = calloc((size_t)r.clients, sizeof *cl);
    th = calloc((size_t)r.clients, sizeof *th);
    if (cl == NULL || th == NULL) {
        fprintf(stderr, "qload: out of memory\n");
        return 1;
    }
    pthread_barrier_init(&r.start, NULL, (unsigned)r.clients + 1);
    for (int k = 0; k < r.clients; k++) {
        cl[k].run = &r;
        cl[k].index = k;
        cl[k].fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
                          0);
        if (cl[k].fd < 0 ||
            connect(cl[k].fd, (struct sockaddr *)&r.sa, sizeof r.sa) < 0) {
            fprintf(stderr, "qload: %s: %s\n", sock_path, strerror(errno));
            if (cl[k].fd >= 0)
                close(cl[k].fd);
            cl[k].fd = -1;
            cl[k].failed = 1;
        }
        if (pthread_create(&th[k], NULL, client_main, &cl[k]) != 0) {
            fprintf(stderr, "qload: cannot start client %d\n", k);
            return 1;
        }
    }
    r.t_start = now_ms();
    pthread_barrier_wait(&r.start);
    for (int k = 0; k < r.clients; k++)
        pthread_join(th[k], NULL);
    wall = now_ms() - r.t_start;

    for (int k = 0; k < r.clients; k++) {
        n_all += cl[k].n_times;
        if (cl[k].failed)
            rc = 1;
    }
    all = malloc((n_all ? n_all : 1) * sizeof *all);
    if (all == NULL) {
        fprintf(stderr, "qload: out of memory\n");
        return 1;
    }
    n_all = 0;
    for (int k = 0; k < r.clients; k++) {
        memcpy(all + n_all, cl[k].times, cl[k].n_times * sizeof *all);
        n_all += cl[k].n_times;
        errors += cl[k].errors;
        free(cl[k].times);
        if (cl[k].fd >= 0)
            close(cl[k].fd);
    }
    pthread_barrier_destroy(&r.start);
    free(cl);
    free(th);
    for (size_t i = 0; i < r.n_lines; i++)
        free(r.lines[i]);
    free(r.lines);

    if (n_all == 0) {
        fprintf(stderr, "qload: no query answered\n");
        free(all);
        return 1;
    }
    qsort(all, n_all, sizeof *all, cmp_double);
    printf("%s: clients=%d count=%zu errors=%zu p50_ms=%.3f p99_ms=%.3f "
           "max_ms=%.3f qps=%.1f\n", label, r.clients, n_all, errors,
           percentile(all, n_all, 50), percentile(all, n_all, 99),
           all[n_all - 1], wall > 0 ? (double)n_all * 1000.0 / wall : 0.0);
    free(all);
    return rc;
}
