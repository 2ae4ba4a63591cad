/*
 * qlat.c - search latency against a running searchd, for the indexing
 * benchmark (bench/index-bench.sh).
 *
 *   qlat -s SOCKET [-r ROUNDS] [-l] [-n LIMIT] [-t TIMEOUT_S]
 *
 * Connects once to searchd's Unix socket and sends a fixed list of 50
 * queries of words common in 20 Newsgroups, one after the other, using
 * the JSON-lines protocol (doc/protocol.md): each request waits for its
 * reply before the next is sent.  Each round trip is timed with
 * CLOCK_MONOTONIC, from just before the request is written until its
 * whole reply line is read.  -r runs the list ROUNDS times (default 1);
 * -l loops over it until SIGUSR1, SIGTERM or SIGINT (the benchmark stops
 * it when a bulk load ends), finishing the query in flight first.  At the
 * end it prints one line:
 *
 *   qlat: count=150 errors=0 p50_ms=0.812 p99_ms=3.406 max_ms=5.120
 *
 * count is the number of answered queries; errors counts replies with
 * "ok":false (their times still count).  Exit status 0, or 1 when the
 * connection fails, a reply does not come within TIMEOUT_S (default 30)
 * or is not a JSON object, or no query was answered.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
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

/* Plain words only: several words mean all must match (Xapian's default
 * operator in searchd); no phrases, so every tool's query syntax agrees. */
static const char *const queries[] = {
    "space shuttle", "graphics card", "gun control", "hockey playoffs",
    "israel", "encryption key", "clipper chip", "windows driver",
    "monitor", "baseball season", "orbit", "nasa launch",
    "motorcycle helmet", "car engine", "for sale", "jesus christ",
    "bible", "atheism", "god exists", "second amendment",
    "armenian", "turkish government", "disk drive", "scsi controller",
    "ide hard drive", "mac quadra", "apple", "x window server",
    "motif widget", "image format", "jpeg", "doctor", "cancer",
    "diet", "medical research", "circuit voltage", "battery", "radio",
    "president clinton", "tax", "federal government", "goalie",
    "pitcher", "game score", "team", "league", "insurance",
    "dealer price", "software", "university",
};
#define N_QUERIES (sizeof queries / sizeof queries[0])

static volatile sig_atomic_t stop_requested;

static void
on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

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
 * timeout.
 */
static long
read_line(int fd, struct rbuf *b, int timeout_ms)
{
    double deadline = now_ms() + timeout_ms;

    for (;;) {
        char *nl = b->len ? memchr(b->p, '\n', b->len) : NULL;
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        double left;
        ssize_t r;
        int pr;

        if (nl != NULL)
            return nl - b->p;
        if (b->cap - b->len < 4096) {
            size_t cap = b->cap ? b->cap * 2 : 65536;
            char *p = realloc(b->p, cap);

            if (p == NULL)
                return -1;
            b->p = p;
            b->cap = cap;
        }
        left = deadline - now_ms();
        if (left <= 0)
            return -1;
        pr = poll(&pfd, 1, (int)left + 1);
        if (pr < 0 && errno == EINTR)
            continue;
        if (pr <= 0)
            return -1;
        r = read(fd, b->p + b->len, b->cap - b->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b->len += (size_t)r;
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

static void
usage(FILE *out)
{
    fprintf(out, "Usage: qlat -s SOCKET [-r ROUNDS] [-l] [-n LIMIT] "
            "[-t TIMEOUT_S]\n"
            "Time %zu searches against searchd, one at a time; print "
            "count, p50, p99, max.\n", N_QUERIES);
}

int
main(int argc, char **argv)
{
    const char *sock_path = NULL;
    long rounds = 1, limit = 10, timeout_s = 30;
    bool loop = false;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct sigaction sig;
    struct rbuf buf = { 0 };
    double *times = NULL;
    size_t n_times = 0, cap_times = 0, errors = 0;
    int fd, opt, rc = 0;

    while ((opt = getopt(argc, argv, "s:r:ln:t:h")) != -1) {
        switch (opt) {
        case 's': sock_path = optarg; break;
        case 'r': rounds = strtol(optarg, NULL, 10); break;
        case 'l': loop = true; break;
        case 'n': limit = strtol(optarg, NULL, 10); break;
        case 't': timeout_s = strtol(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (sock_path == NULL || optind != argc || rounds < 1 || limit < 1 ||
        limit > 1000 || timeout_s < 1 || timeout_s > 3600 ||
        strlen(sock_path) >= sizeof sa.sun_path) {
        usage(stderr);
        return 2;
    }
    strcpy(sa.sun_path, sock_path);

    memset(&sig, 0, sizeof sig);
    sig.sa_handler = on_stop;
    sigemptyset(&sig.sa_mask);
    sigaction(SIGUSR1, &sig, NULL);
    sigaction(SIGTERM, &sig, NULL);
    sigaction(SIGINT, &sig, NULL);
    signal(SIGPIPE, SIG_IGN);

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "qlat: %s: %s\n", sock_path, strerror(errno));
        return 1;
    }

    for (long i = 0; loop ? !stop_requested : i < rounds * (long)N_QUERIES;
         i++) {
        json_t *req, *reply, *ok;
        char *line;
        double t0, dt;
        long len;

        req = json_pack("{s:i, s:I, s:s, s:s, s:I}", "v", 1, "id",
                        (json_int_t)i, "op", "search", "q",
                        queries[(size_t)i % N_QUERIES], "limit",
                        (json_int_t)limit);
        line = req ? json_dumps(req, JSON_COMPACT) : NULL;
        json_decref(req);
        if (line == NULL) {
            fprintf(stderr, "qlat: out of memory\n");
            rc = 1;
            break;
        }
        t0 = now_ms();
        if (write_all(fd, line, strlen(line)) < 0 ||
            write_all(fd, "\n", 1) < 0) {
            fprintf(stderr, "qlat: write: %s\n", strerror(errno));
            free(line);
            rc = 1;
            break;
        }
        free(line);
        len = read_line(fd, &buf, (int)(timeout_s * 1000));
        dt = now_ms() - t0;
        if (len < 0) {
            fprintf(stderr, "qlat: no reply to query %ld within %ld s\n", i,
                    timeout_s);
            rc = 1;
            break;
        }
        reply = json_loadb(buf.p, (size_t)len, 0, NULL);
        memmove(buf.p, buf.p + len + 1, buf.len - (size_t)len - 1);
        buf.len -= (size_t)len + 1;
        if (!json_is_object(reply)) {
            fprintf(stderr, "qlat: reply to query %ld is not a JSON "
                    "object\n", i);
            json_decref(reply);
            rc = 1;
            break;
        }
        ok = json_object_get(reply, "ok");
        if (!json_is_true(ok))
            errors++;
        json_decref(reply);

        if (n_times == cap_times) {
            size_t cap = cap_times ? cap_times * 2 : 1024;
            double *t = realloc(times, cap * sizeof *times);

            if (t == NULL) {
                fprintf(stderr, "qlat: out of memory\n");
                rc = 1;
                break;
            }
            times = t;
            cap_times = cap;
        }
        times[n_times++] = dt;
    }
    close(fd);
    free(buf.p);

    if (n_times == 0) {
        fprintf(stderr, "qlat: no query answered\n");
        free(times);
        return 1;
    }
    qsort(times, n_times, sizeof *times, cmp_double);
    printf("qlat: count=%zu errors=%zu p50_ms=%.3f p99_ms=%.3f "
           "max_ms=%.3f\n", n_times, errors,
           percentile(times, n_times, 50), percentile(times, n_times, 99),
           times[n_times - 1]);
    free(times);
    return rc;
}
