/*
 * loadgen.c - many clients at once against a running searchd, every reply
 * checked: the load test of the end-to-end suite (tests/e2e/t820, t830).
 *
 *   loadgen -s SOCKET [-c CONNS] [-n REQUESTS] [-d DEPTH] [-m MIX]
 *           [-D SECONDS] [-i INTERVAL_MS] [-t TIMEOUT_S] [-k KNOWN]
 *           [-L LABEL]
 *
 * Opens CONNS connections (default 256) and sends REQUESTS requests in
 * all (default 100000), each connection keeping up to DEPTH (default 4)
 * of them pipelined.  One thread, poll(2): the daemon, not the driver,
 * should be what is measured.  With -D it stops sending after SECONDS;
 * with -i each connection waits INTERVAL_MS between sends (a paced,
 * well-behaved client).
 *
 * MIX is "all" (default): searches of varied queries, status, ping, lines
 * that are not JSON, unknown ops, a search with a mistyped member, a bad
 * protocol version and a query that does not parse; or "ping", or
 * "ping,search".  Each request has a unique id; every reply is parsed
 * (jansson) and must be the one its request calls for:
 *
 *   ping            ok, "pong":true
 *   status          ok, an integer "documents"
 *   search          ok with a "hits" array of at most "limit" entries,
 *                   or busy (the query queue is full: counted apart)
 *   bad query       bad_query (or busy)
 *   unknown op      unknown_op, with the id
 *   mistyped member bad_request, with the id
 *   bad version     bad_version, with the id
 *   not JSON        bad_request, without an id (searchd cannot read
 *                   one): matched to that connection's oldest such line
 *
 * With -k the answers of searches are checked too, against the spools
 * t820 makes: document N is titled "Report N on ..." and is the only one with
 * the word wN, and documents 0 to KNOWN-1 are indexed before the run.  A
 * search for wN must then find at most one document, "Report N", and
 * exactly that one when N < KNOWN; a search for a word every document
 * has ("report", "about", "numbered") must fill its page.  The replies
 * whose answer is fixed so (wN with N < KNOWN, and the full pages) count
 * as "verified".
 *
 * A reply for an id not outstanding on that connection, a second reply,
 * an unexpected code, shape or answer is "wrong"; a request unanswered when the
 * connection closes or TIMEOUT_S (default 60) passes with no reply at all
 * is "lost".  At the end it prints one line:
 *
 *   loadgen: conns=256 requests=100000 replies=100000 lost=0 wrong=0
 *            busy=0 verified=.. ping_p50_ms=.. ping_p99_ms=.. search_p50_ms=..
 *            search_p99_ms=.. all_p99_ms=.. ping_max_ms=.. max_ms=..
 *            wall_s=.. rps=..
 *
 * Latency is from just before a request is written until its reply line
 * is read (CLOCK_MONOTONIC).  Exit status 0 when nothing was lost or
 * wrong and every connection was made; 1 otherwise; 2 for usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#define MAX_CONNS 4096
#define MAX_REQUESTS 10000000L
#define SEARCH_LIMIT 5

enum kind {
    K_PING, K_STATUS, K_SEARCH, K_BAD_QUERY, K_UNKNOWN_OP, K_BAD_TYPE,
    K_BAD_VERSION, K_NOT_JSON, K__COUNT
};

static const char *const KIND_NAMES[K__COUNT] = {
    "ping", "status", "search", "bad-query", "unknown-op", "bad-type",
    "bad-version", "not-json",
};

/* One request: where it went and whether it was answered. */
struct req {
    double t_sent;          /* ms */
    int conn;
    uint8_t kind;
    uint8_t state;          /* 0 not sent, 1 sent, 2 answered */
};

/* A growable byte buffer; p is owned. */
struct buf {
    char *p;
    size_t len, cap;
};

struct conn {
    int fd;                 /* owned; -1 once closed */
    struct buf in, out;
    unsigned outstanding;   /* sent, not answered */
    /* Ids of the not-JSON lines in flight, oldest first (a ring). */
    long *nojs;
    unsigned nojs_head, nojs_n, nojs_cap;
    double next_send;       /* -i: not before this time (ms) */
};

struct run {
    struct conn *conns;     /* owned */
    int n_conns;
    struct req *reqs;       /* owned, one per id */
    long n_reqs;
    long next_id;           /* next to send */
    unsigned depth;
    double interval_ms;
    double stop_ms;         /* -D: no sends after it; 0: none */
    bool mix_all, mix_search;
    long known;             /* -k: documents 0..known-1 indexed; -1: none */
    long replies, lost, wrong, busy, verified;
    double *lat[K__COUNT];  /* owned: latencies by kind */
    size_t n_lat[K__COUNT];
};

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void
die_oom(void)
{
    fprintf(stderr, "loadgen: out of memory\n");
    exit(1);
}

static void
buf_add(struct buf *b, const char *p, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 4096;

        while (cap - b->len < n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        if (b->p == NULL)
            die_oom();
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void
buf_drop(struct buf *b, size_t n)
{
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

/* A small deterministic generator, so a failing run can be repeated. */
static uint64_t
mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb3f97a6a5d3ULL;
    x ^= x >> 33;
    return x;
}

static enum kind
pick_kind(const struct run *r, long id)
{
    unsigned v = (unsigned)(mix64((uint64_t)id) % 100);

    if (!r->mix_all)
        return r->mix_search && v < 50 ? K_SEARCH : K_PING;
    if (v < 30) return K_PING;
    if (v < 60) return K_SEARCH;
    if (v < 70) return K_STATUS;
    if (v < 78) return K_NOT_JSON;
    if (v < 85) return K_UNKNOWN_OP;
    if (v < 91) return K_BAD_TYPE;
    if (v < 95) return K_BAD_VERSION;
    return K_BAD_QUERY;
}

/* Words of the test corpora, made into varied queries; the first
 * N_EVERY_DOC are in every document of t820's spools. */
static const char *const WORDS[] = {
    "report", "about", "numbered", "harvest", "minister", "market",
    "election", "oil", "prices", "court", "peace", "talks", "bank",
};
#define N_WORDS (sizeof WORDS / sizeof WORDS[0])

/* The words every document of t820's spools has. */
#define N_EVERY_DOC 3

static uint64_t
query_hash(long id)
{
    return mix64((uint64_t)id * 7919 + 1);
}

/* N when request id searches for the word wN; -1 otherwise. */
static long
query_number(long id)
{
    uint64_t h = query_hash(id);

    return (h >> 16) % 6 == 5 ? (long)((h >> 24) % 5000) : -1;
}

/* True when request id searches for one word every document has. */
static bool
query_every_doc(long id)
{
    uint64_t h = query_hash(id);

    return (h >> 16) % 6 == 0 && h % N_WORDS < N_EVERY_DOC;
}

static int
format_query(char *q, size_t n, long id)
{
    uint64_t h = query_hash(id);
    const char *a = WORDS[h % N_WORDS], *b = WORDS[(h >> 8) % N_WORDS];

    switch ((h >> 16) % 6) {
    case 0: return snprintf(q, n, "%s", a);
    case 1: return snprintf(q, n, "%s %s", a, b);
    case 2: return snprintf(q, n, "%s OR %s", a, b);
    case 3: return snprintf(q, n, "\\\"%s %s\\\"", a, b);
    case 4: return snprintf(q, n, "%.3s*", a);
    default: return snprintf(q, n, "w%ld", query_number(id));
    }
}

/* The request line for id, into line (cap bytes); its length. */
static int
format_request(const struct run *r, long id, enum kind k, char *line,
               size_t cap)
{
    char q[128];

    switch (k) {
    case K_PING:
        return snprintf(line, cap, "{\"v\":1,\"id\":%ld,\"op\":\"ping\"}\n",
                        id);
    case K_STATUS:
        return snprintf(line, cap, "{\"v\":1,\"id\":%ld,\"op\":\"status\"}\n",
                        id);
    case K_SEARCH:
        format_query(q, sizeof q, id);
        return snprintf(line, cap, "{\"v\":1,\"id\":%ld,\"op\":\"search\","
                        "\"q\":\"%s\",\"limit\":%d}\n", id, q, SEARCH_LIMIT);
    case K_BAD_QUERY:
        return snprintf(line, cap, "{\"v\":1,\"id\":%ld,\"op\":\"search\","
                        "\"q\":\"(report OR\"}\n", id);
    case K_UNKNOWN_OP:
        return snprintf(line, cap, "{\"v\":1,\"id\":%ld,\"op\":\"frob%ld\"}\n",
                        id, id % 7);
    case K_BAD_TYPE:
        return snprintf(line, cap, "{\"v\":1,\"id\":%ld,\"op\":\"search\","
                        "\"q\":%ld}\n", id, id);
    case K_BAD_VERSION:
        return snprintf(line, cap, "{\"v\":9,\"id\":%ld,\"op\":\"ping\"}\n",
                        id);
    case K_NOT_JSON:
    default:
        (void)r;
        return snprintf(line, cap, "not json %ld {\n", id);
    }
}

static void
add_latency(struct run *r, enum kind k, double dt)
{
    size_t n = r->n_lat[k];

    /* Grown at powers of two. */
    if ((n & (n - 1)) == 0) {
        r->lat[k] = realloc(r->lat[k], (n ? n * 2 : 1) * sizeof(double));
        if (r->lat[k] == NULL)
            die_oom();
    }
    r->lat[k][r->n_lat[k]++] = dt;
}

static void
wrong(struct run *r, int ci, const char *why, const char *line)
{
    /* The first few say what; the count says the rest. */
    if (r->wrong++ < 10)
        fprintf(stderr, "loadgen: conn %d: %s: %.200s\n", ci, why, line);
}

/* The error code of reply o, or NULL when it is ok:true. */
static const char *
error_code(json_t *o)
{
    json_t *err = json_object_get(o, "error");

    if (json_is_true(json_object_get(o, "ok")))
        return NULL;
    return json_string_value(json_object_get(err, "code"));
}

/* With -k: whether search id's hits v are its right answer (see the top
 * of the file); a reason when they are not. */
static const char *
check_answer(struct run *r, long id, const json_t *v)
{
    long n = query_number(id);
    char want[32];
    const char *title;

    if (r->known < 0)
        return NULL;
    if (n >= 0) {
        if (json_array_size(v) > 1 || (n < r->known && json_array_size(v) == 0))
            return n < r->known ? "search wN: want its one document"
                                : "search wN: want at most one document";
        if (json_array_size(v) == 1) {
            snprintf(want, sizeof want, "Report %ld on ", n);
            title = json_string_value(
                json_object_get(json_array_get(v, 0), "title"));
            if (title == NULL || strncmp(title, want, strlen(want)) != 0)
                return "search wN: the hit is not Report N";
        }
        if (n < r->known)
            r->verified++;
    } else if (query_every_doc(id) && r->known >= SEARCH_LIMIT) {
        if (json_array_size(v) != SEARCH_LIMIT)
            return "search of a word in every document: want a full page";
        r->verified++;
    }
    return NULL;
}

/* Check that reply o (ok, or error code) is what request id of kind k
 * calls for; a reason when it is not. */
static const char *
check_reply(struct run *r, long id, enum kind k, json_t *o)
{
    const char *code = error_code(o);
    json_t *v;

    if (!json_is_true(json_object_get(o, "ok")) &&
        !json_is_false(json_object_get(o, "ok")))
        return "no ok member";
    if (code && strcmp(code, "busy") == 0 &&
        (k == K_SEARCH || k == K_BAD_QUERY)) {
        r->busy++;
        return NULL;
    }
    switch (k) {
    case K_PING:
        return !code && json_is_true(json_object_get(o, "pong"))
               ? NULL : "ping: want pong";
    case K_STATUS:
        return !code && json_is_integer(json_object_get(o, "documents"))
               ? NULL : "status: want documents";
    case K_SEARCH:
        v = json_object_get(o, "hits");
        if (code || !json_is_array(v) || json_array_size(v) > SEARCH_LIMIT)
            return "search: want hits";
        return check_answer(r, id, v);
    case K_BAD_QUERY:
        return code && strcmp(code, "bad_query") == 0
               ? NULL : "want bad_query";
    case K_UNKNOWN_OP:
        return code && strcmp(code, "unknown_op") == 0
               ? NULL : "want unknown_op";
    case K_BAD_TYPE:
        return code && strcmp(code, "bad_request") == 0
               ? NULL : "want bad_request";
    case K_BAD_VERSION:
        return code && strcmp(code, "bad_version") == 0
               ? NULL : "want bad_version";
    default:
        return "not JSON: the reply has an id";
    }
}

static void
answered(struct run *r, struct conn *c, long id, double t)
{
    struct req *q = &r->reqs[id];

    q->state = 2;
    c->outstanding--;
    r->replies++;
    add_latency(r, (enum kind)q->kind, t - q->t_sent);
}

static void
handle_reply(struct run *r, int ci, const char *line, size_t len, double t)
{
    struct conn *c = &r->conns[ci];
    json_error_t jerr;
    json_t *o = json_loadb(line, len, 0, &jerr), *idv;
    const char *why;
    long id;

    if (!json_is_object(o) ||
        json_integer_value(json_object_get(o, "v")) != 1) {
        wrong(r, ci, "not a reply", line);
        json_decref(o);
        return;
    }
    idv = json_object_get(o, "id");
    if (idv == NULL) {
        /* Only a not-JSON line has a reply without an id. */
        const char *code = error_code(o);

        if (c->nojs_n == 0 || code == NULL ||
            strcmp(code, "bad_request") != 0) {
            wrong(r, ci, "a reply without an id", line);
        } else {
            id = c->nojs[c->nojs_head];
            c->nojs_head = (c->nojs_head + 1) % c->nojs_cap;
            c->nojs_n--;
            answered(r, c, id, t);
        }
        json_decref(o);
        return;
    }
    id = json_is_integer(idv) ? (long)json_integer_value(idv) : -1;
    if (id < 0 || id >= r->n_reqs || r->reqs[id].conn != ci ||
        r->reqs[id].state != 1) {
        wrong(r, ci, "a reply for no request in flight here", line);
        json_decref(o);
        return;
    }
    why = check_reply(r, id, (enum kind)r->reqs[id].kind, o);
    if (why != NULL)
        wrong(r, ci, why, line);
    answered(r, c, id, t);
    json_decref(o);
}

/* Queue the next request on c; false when there is none to send. */
static bool
queue_request(struct run *r, int ci, double t)
{
    struct conn *c = &r->conns[ci];
    char line[512];
    long id;
    enum kind k;
    int n;

    if (r->next_id >= r->n_reqs || (r->stop_ms > 0 && t >= r->stop_ms))
        return false;
    id = r->next_id++;
    k = pick_kind(r, id);
    n = format_request(r, id, k, line, sizeof line);
    buf_add(&c->out, line, (size_t)n);
    r->reqs[id] = (struct req){ .t_sent = t, .conn = ci, .kind = (uint8_t)k,
                                .state = 1 };
    c->outstanding++;
    if (k == K_NOT_JSON) {
        if (c->nojs_n == c->nojs_cap) {
            /* Grow the ring, unrolled from its head. */
            unsigned cap = c->nojs_cap ? c->nojs_cap * 2 : 8;
            long *p = malloc(cap * sizeof *p);

            if (p == NULL)
                die_oom();
            for (unsigned i = 0; i < c->nojs_n; i++)
                p[i] = c->nojs[(c->nojs_head + i) % c->nojs_cap];
            free(c->nojs);
            c->nojs = p;
            c->nojs_cap = cap;
            c->nojs_head = 0;
        }
        c->nojs[(c->nojs_head + c->nojs_n++) % c->nojs_cap] = id;
    }
    c->next_send = t + r->interval_ms;
    return true;
}

static void
close_conn(struct run *r, int ci, const char *why)
{
    struct conn *c = &r->conns[ci];

    if (c->fd < 0)
        return;
    if (why != NULL && c->outstanding > 0)
        fprintf(stderr, "loadgen: conn %d: %s with %u replies owed\n", ci,
                why, c->outstanding);
    close(c->fd);
    c->fd = -1;
}

/* Read what c has; parse every whole line. */
static void
conn_read(struct run *r, int ci)
{
    struct conn *c = &r->conns[ci];
    char tmp[65536];
    ssize_t n;
    double t;
    size_t start = 0;

    for (;;) {
        n = read(c->fd, tmp, sizeof tmp);
        if (n > 0) {
            buf_add(&c->in, tmp, (size_t)n);
            continue;
        }
        if (n == 0) {
            close_conn(r, ci, "end-of-file");
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            close_conn(r, ci, strerror(errno));
        break;
    }
    t = now_ms();
    for (;;) {
        char *nl = memchr(c->in.p + start, '\n', c->in.len - start);

        if (nl == NULL)
            break;
        *nl = '\0';
        handle_reply(r, ci, c->in.p + start, (size_t)(nl - c->in.p) - start,
                     t);
        start = (size_t)(nl - c->in.p) + 1;
    }
    if (start > 0)
        buf_drop(&c->in, start);
}

static void
conn_write(struct run *r, int ci)
{
    struct conn *c = &r->conns[ci];

    while (c->out.len > 0) {
        ssize_t w = send(c->fd, c->out.p, c->out.len, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            if (errno != EAGAIN)
                close_conn(r, ci, strerror(errno));
            return;
        }
        buf_drop(&c->out, (size_t)w);
    }
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Nearest-rank percentile of n sorted values (0 when there are none). */
static double
percentile(const double *v, size_t n, double pct)
{
    size_t rank = (size_t)(pct / 100.0 * (double)n + 0.999999);

    if (n == 0)
        return 0;
    if (rank < 1)
        rank = 1;
    return v[(rank > n ? n : rank) - 1];
}

static int
connect_all(struct run *r, const struct sockaddr_un *sa)
{
    for (int i = 0; i < r->n_conns; i++) {
        struct conn *c = &r->conns[i];

        /* A blocking connect waits for room in the listen backlog. */
        c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (c->fd < 0 ||
            connect(c->fd, (const struct sockaddr *)sa, sizeof *sa) < 0 ||
            fcntl(c->fd, F_SETFL, O_NONBLOCK) < 0) {
            fprintf(stderr, "loadgen: connection %d to %s: %s\n", i,
                    sa->sun_path, strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* Poll, send and read until every request is answered or no reply came
 * for timeout_ms. */
static void
drive(struct run *r, int timeout_ms)
{
    struct pollfd *pfd = calloc((size_t)r->n_conns, sizeof *pfd);
    double last_progress = now_ms();

    if (pfd == NULL)
        die_oom();
    for (;;) {
        double t = now_ms(), wake = -1;
        long before = r->replies;
        bool busy_conns = false;
        int pr;

        for (int i = 0; i < r->n_conns; i++) {
            struct conn *c = &r->conns[i];

            pfd[i].fd = c->fd;
            pfd[i].events = 0;
            pfd[i].revents = 0;
            if (c->fd < 0)
                continue;
            while (c->outstanding < r->depth && t >= c->next_send &&
                   queue_request(r, i, t))
                ;
            if (c->outstanding < r->depth && r->next_id < r->n_reqs &&
                (r->stop_ms == 0 || c->next_send < r->stop_ms) &&
                c->next_send > t &&
                (wake < 0 || c->next_send < wake))
                wake = c->next_send;
            if (c->out.len > 0)
                conn_write(r, i);
            if (c->fd < 0)
                continue;
            pfd[i].events = POLLIN | (c->out.len > 0 ? POLLOUT : 0);
            if (c->outstanding > 0)
                busy_conns = true;
        }
        if (!busy_conns && wake < 0)
            break;      /* all answered, nothing more to send */
        pr = poll(pfd, (nfds_t)r->n_conns,
                  wake >= 0 ? (int)(wake - t) + 1 : 100);
        if (pr < 0 && errno != EINTR) {
            perror("loadgen: poll");
            break;
        }
        for (int i = 0; i < r->n_conns && pr > 0; i++) {
            if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
                conn_read(r, i);
            if (r->conns[i].fd >= 0 && (pfd[i].revents & POLLOUT))
                conn_write(r, i);
        }
        t = now_ms();
        if (r->replies != before)
            last_progress = t;
        else if (t - last_progress > timeout_ms) {
            fprintf(stderr, "loadgen: no reply for %d s; giving up\n",
                    timeout_ms / 1000);
            break;
        }
    }
    free(pfd);
}

static void
usage(FILE *out)
{
    fprintf(out, "Usage: loadgen -s SOCKET [-c CONNS] [-n REQUESTS] "
            "[-d DEPTH] [-m all|ping|ping,search]\n"
            "               [-D SECONDS] [-i INTERVAL_MS] [-t TIMEOUT_S] "
            "[-k KNOWN] [-L LABEL]\n"
            "Mixed requests from many connections at once; every reply "
            "checked.\n");
}

int
main(int argc, char **argv)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct run r = { .n_conns = 256, .n_reqs = 100000, .depth = 4,
                     .mix_all = true, .known = -1 };
    const char *sock = NULL, *label = "loadgen", *mix = "all";
    long timeout_s = 60, per_kind[K__COUNT] = { 0 };
    double seconds = 0, t0, wall, max = 0, *all;
    size_t n_all = 0;
    int opt, rc = 0;

    while ((opt = getopt(argc, argv, "s:c:n:d:m:D:i:t:k:L:h")) != -1) {
        switch (opt) {
        case 's': sock = optarg; break;
        case 'c': r.n_conns = atoi(optarg); break;
        case 'n': r.n_reqs = atol(optarg); break;
        case 'd': r.depth = (unsigned)atoi(optarg); break;
        case 'm': mix = optarg; break;
        case 'D': seconds = atof(optarg); break;
        case 'i': r.interval_ms = atof(optarg); break;
        case 't': timeout_s = atol(optarg); break;
        case 'k': r.known = atol(optarg); break;
        case 'L': label = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (strcmp(mix, "ping") == 0) {
        r.mix_all = false;
    } else if (strcmp(mix, "ping,search") == 0) {
        r.mix_all = false;
        r.mix_search = true;
    } else if (strcmp(mix, "all") != 0) {
        usage(stderr);
        return 2;
    }
    if (sock == NULL || optind != argc || r.n_conns < 1 ||
        r.n_conns > MAX_CONNS || r.n_reqs < 1 || r.n_reqs > MAX_REQUESTS ||
        r.depth < 1 || r.depth > 64 || seconds < 0 || r.interval_ms < 0 ||
        timeout_s < 1 || r.known < -1 || strlen(sock) >= sizeof sa.sun_path) {
        usage(stderr);
        return 2;
    }
    strcpy(sa.sun_path, sock);
    signal(SIGPIPE, SIG_IGN);
    r.conns = calloc((size_t)r.n_conns, sizeof *r.conns);
    r.reqs = calloc((size_t)r.n_reqs, sizeof *r.reqs);
    if (r.conns == NULL || r.reqs == NULL)
        die_oom();
    for (int i = 0; i < r.n_conns; i++)
        r.conns[i].fd = -1;
    if (connect_all(&r, &sa) < 0)
        rc = 1;
    t0 = now_ms();
    if (rc == 0) {
        if (seconds > 0)
            r.stop_ms = t0 + seconds * 1000;
        drive(&r, (int)(timeout_s * 1000));
    }
    wall = (now_ms() - t0) / 1000;
    for (long id = 0; id < r.next_id; id++) {
        per_kind[r.reqs[id].kind]++;
        if (r.reqs[id].state != 2)
            r.lost++;
    }
    for (int i = 0; i < r.n_conns; i++) {
        close_conn(&r, i, NULL);
        free(r.conns[i].in.p);
        free(r.conns[i].out.p);
        free(r.conns[i].nojs);
    }
    for (int k = 0; k < K__COUNT; k++) {
        if (r.n_lat[k] > 0) {
            qsort(r.lat[k], r.n_lat[k], sizeof(double), cmp_double);
            if (r.lat[k][r.n_lat[k] - 1] > max)
                max = r.lat[k][r.n_lat[k] - 1];
        }
        n_all += r.n_lat[k];
    }
    all = malloc((n_all ? n_all : 1) * sizeof *all);
    if (all == NULL)
        die_oom();
    n_all = 0;
    for (int k = 0; k < K__COUNT; k++) {
        if (r.n_lat[k] == 0)
            continue;   /* r.lat[k] is NULL */
        memcpy(all + n_all, r.lat[k], r.n_lat[k] * sizeof *all);
        n_all += r.n_lat[k];
    }
    qsort(all, n_all, sizeof *all, cmp_double);
    fprintf(stderr, "%s: sent by kind:", label);
    for (int k = 0; k < K__COUNT; k++)
        if (per_kind[k])
            fprintf(stderr, " %s=%ld", KIND_NAMES[k], per_kind[k]);
    fprintf(stderr, "\n");
    printf("%s: conns=%d requests=%ld replies=%ld lost=%ld wrong=%ld "
           "busy=%ld verified=%ld ping_p50_ms=%.3f ping_p99_ms=%.3f search_p50_ms=%.3f "
           "search_p99_ms=%.3f all_p99_ms=%.3f ping_max_ms=%.3f max_ms=%.3f "
           "wall_s=%.2f rps=%.0f\n", label, r.n_conns, r.next_id, r.replies, r.lost,
           r.wrong, r.busy, r.verified,
           percentile(r.lat[K_PING], r.n_lat[K_PING], 50),
           percentile(r.lat[K_PING], r.n_lat[K_PING], 99),
           percentile(r.lat[K_SEARCH], r.n_lat[K_SEARCH], 50),
           percentile(r.lat[K_SEARCH], r.n_lat[K_SEARCH], 99),
           percentile(all, n_all, 99),
           percentile(r.lat[K_PING], r.n_lat[K_PING], 100), max, wall,
           wall > 0 ? (double)r.replies / wall : 0.0);
    if (r.lost || r.wrong || r.replies == 0)
        rc = 1;
    for (int k = 0; k < K__COUNT; k++)
        free(r.lat[k]);
    free(all);
    free(r.reqs);
    free(r.conns);
    return rc;
}
