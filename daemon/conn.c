/*
 * conn.c - one client: bytes in through the framer, requests out to the
 * command table, replies back.  It only moves bytes; parsing is proto.c's.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include "commands.h"
#include "conn.h"
#include "log.h"
#include "proto.h"
#include "server.h"
#include "util.h"

struct conn {
    struct server *srv;         /* borrowed */
    struct bufferevent *bev;    /* owned; NULL once closed */
    struct evbuffer_cb_entry *out_cbe;  /* on bev's output; removed at
                                         * close */
    struct proto_framer fr;
    struct conn_peer peer;
    uint64_t id;
    unsigned refs;              /* 1 for the socket + 1 per request */
    unsigned in_flight;         /* requests handed out, not yet answered */
    bool is_closing;            /* close once the output has drained */
    bool is_eof;                /* the client sent end-of-file */
    bool is_out_full;           /* output over the server's
                                 * max_pending_out */
    bool is_reading;            /* EV_READ enabled on bev */
    /* Monotonic milliseconds (util_monotonic_ms), for conn_sweep: */
    unsigned long long active_ms;   /* last byte in or out, last request */
    unsigned long long partial_ms;  /* since when an unfinished request
                                     * line waits for its end; 0: none */
    unsigned long long out_ms;      /* output pending: its last progress
                                     * (or when it began) */
    uint64_t fair_tag;          /* for qpool_submit */
    atomic_bool is_gone;        /* conn_gone_flag; the query threads read it */
};

static void update_reading(struct conn *c);


static void
conn_free(struct conn *c)
{
    proto_framer_reset(&c->fr);
    free(c);
}

/* Drop one reference; the last frees the struct. */
static void
conn_put(struct conn *c)
{
    assert(c->refs > 0);
    if (--c->refs == 0)
        conn_free(c);
}

/* Run read_cb again from the loop, not from here: lines may be waiting in
 * the framer with no new bytes to come. */
static void
conn_resume(struct conn *c)
{
    if (c->bev && !c->is_closing)
        bufferevent_trigger(c->bev, EV_READ,
                            BEV_TRIG_IGNORE_WATERMARKS |
                                BEV_TRIG_DEFER_CALLBACKS);
}

void
conn_ref(struct conn *c)
{
    c->refs++;
    c->in_flight++;
}

void
conn_unref(struct conn *c)
{
    assert(c->in_flight > 0);
    c->in_flight--;
    /* A slot freed after the cap, or the last reply owed after
     * end-of-file: read_cb has work to do again. */
    if (c->bev && (c->in_flight == CONN_MAX_IN_FLIGHT - 1 ||
                   (c->is_eof && c->in_flight == 0))) {
        update_reading(c);
        conn_resume(c);
    }
    conn_put(c);
}

void
conn_close(struct conn *c)
{
    if (c->bev == NULL)
        return;
    log_debug("conn %llu: closed", (unsigned long long)c->id);
    atomic_store(&c->is_gone, true);
    /* The buffer may outlive the bufferevent a little; c may not. */
    evbuffer_remove_cb_entry(bufferevent_get_output(c->bev), c->out_cbe);
    bufferevent_free(c->bev);
    c->bev = NULL;
    server_conn_remove(c->srv, c);
    conn_put(c);    /* the socket's reference */
}

bool
conn_is_open(const struct conn *c)
{
    return c->bev != NULL && !c->is_closing;
}

uint64_t *
conn_fair_tag(struct conn *c)
{
    return &c->fair_tag;
}

const atomic_bool *
conn_gone_flag(struct conn *c)
{
    return &c->is_gone;
}

/* After end-of-file: did the client close its socket, or only shut down
 * its write side (and still reads)?  A Unix socket reports POLLHUP once
 * the peer can neither send nor receive. */
static bool
peer_hung_up(struct bufferevent *bev)
{
    struct pollfd pfd = { .fd = bufferevent_getfd(bev), .events = 0 };

    return pfd.fd >= 0 && poll(&pfd, 1, 0) == 1 &&
           (pfd.revents & (POLLHUP | POLLERR)) != 0;
}

struct server *
conn_server(const struct conn *c)
{
    return c->srv;
}

uint64_t
conn_id(const struct conn *c)
{
    return c->id;
}

const struct conn_peer *
conn_peer(const struct conn *c)
{
    return &c->peer;
}

int
conn_peer_groups(const struct conn *c, gid_t *groups, int max)
{
#ifdef SO_PEERGROUPS
    socklen_t len = (socklen_t)(max * (int)sizeof *groups);

    if (c->bev == NULL)
        return -EBADF;
    if (getsockopt(bufferevent_getfd(c->bev), SOL_SOCKET, SO_PEERGROUPS,
                   groups, &len) < 0)
        return -errno;
    return (int)(len / sizeof *groups);
#else
    (void)c;
    (void)groups;
    (void)max;
    return -ENOPROTOOPT;
#endif
}

/*
 * Read from the socket only while it can lead somewhere: not closing, no
 * end-of-file yet, the client reading its replies (output under
 * max_pending_out, with hysteresis) and a request slot free.  While
 * reading is off the kernel's socket buffer fills and the client blocks,
 * so a client cannot make searchd hold more than a bounded amount: the
 * cap, plus the replies of the requests already running (at most
 * CONN_MAX_IN_FLIGHT).  One that stays blocked is closed by the write
 * timeout (conn_sweep).
 */
static void
update_reading(struct conn *c)
{
    size_t out = evbuffer_get_length(bufferevent_get_output(c->bev));
    size_t cap = server_limits(c->srv)->max_pending_out;
    bool want;

    if (!c->is_out_full && out > cap)
        c->is_out_full = true;
    else if (c->is_out_full && out <= cap / 2)
        c->is_out_full = false;
    want = !c->is_closing && !c->is_eof && !c->is_out_full &&
           c->in_flight < CONN_MAX_IN_FLIGHT;
    if (want == c->is_reading)
        return;
    c->is_reading = want;
    if (want) {
        /* The client could not send while we did not read: its
         * unfinished line's clock starts again. */
        if (c->partial_ms)
            c->partial_ms = util_monotonic_ms();
        bufferevent_enable(c->bev, EV_READ);
    } else {
        bufferevent_disable(c->bev, EV_READ);
    }
}

void
conn_limits_changed(struct conn *c)
{
    if (c->bev == NULL)
        return;
    if (!c->is_closing)
        bufferevent_setwatermark(c->bev, EV_WRITE,
                                 server_limits(c->srv)->max_pending_out / 2,
                                 0);
    update_reading(c);
}

/* The output buffer changed: a client that takes its replies is making
 * progress, whatever it has not taken yet. */
static void
out_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info,
       void *arg)
{
    struct conn *c = arg;

    (void)buf;
    if (info->n_deleted > 0 || (info->orig_size == 0 && info->n_added > 0)) {
        c->out_ms = util_monotonic_ms();
        c->active_ms = c->out_ms;
    }
}

/* Count the timeout, say why, and close: with a last error line when
 * the client may still read it, else at once. */
static void
close_timeout(struct conn *c, int level, const char *what,
              const char *reply)
{
    server_count_timeout(c->srv);
    sd_log(level, "conn %llu: %s; closing", (unsigned long long)c->id,
           what);
    if (reply == NULL) {
        conn_close(c);
    } else {
        size_t len;
        char *line = proto_reply_error(NULL, SD_ERR_BAD_REQUEST, reply,
                                       &len);

        conn_send_and_close(c, line, len);
        free(line);
    }
}

void
conn_sweep(struct conn *c, unsigned long long now)
{
    const struct server_limits *lim = server_limits(c->srv);
    size_t out;
    char what[160];

    if (c->bev == NULL)
        return;
    out = evbuffer_get_length(bufferevent_get_output(c->bev));
    /* Also after a last error line: a client that does not read it
     * cannot keep the connection. */
    if (lim->write_ms && out > 0 && now - c->out_ms >= lim->write_ms) {
        snprintf(what, sizeof what, "write timeout: %zu bytes of replies "
                 "not taken in %.1f s", out, lim->write_ms / 1000.0);
        close_timeout(c, LOG_LEVEL_WARN, what, NULL);
        return;
    }
    if (c->is_closing)
        return;
    if (lim->read_ms && c->partial_ms && c->is_reading &&
        now - c->partial_ms >= lim->read_ms) {
        snprintf(what, sizeof what, "read timeout: request line not "
                 "finished in %.1f s", lim->read_ms / 1000.0);
        close_timeout(c, LOG_LEVEL_WARN, what, what);
        return;
    }
    if (lim->idle_ms && c->in_flight == 0 && out == 0 && !c->partial_ms &&
        !c->is_eof && now - c->active_ms >= lim->idle_ms) {
        snprintf(what, sizeof what, "idle for %.1f s",
                 lim->idle_ms / 1000.0);
        close_timeout(c, LOG_LEVEL_INFO, what, NULL);
    }
}

/* Close once everything queued is written (write_cb does it). */
static void
conn_finish(struct conn *c)
{
    c->is_closing = true;
    update_reading(c);
    if (evbuffer_get_length(bufferevent_get_output(c->bev)) == 0) {
        conn_close(c);
        return;
    }
    bufferevent_setwatermark(c->bev, EV_WRITE, 0, 0);
}

void
conn_send(struct conn *c, const char *line, size_t len)
{
    if (c->bev == NULL || c->is_closing)
        return;
    bufferevent_write(c->bev, line, len);
    update_reading(c);
}

void
conn_send_and_close(struct conn *c, const char *line, size_t len)
{
    if (c->bev == NULL || c->is_closing)
        return;
    bufferevent_write(c->bev, line, len);
    conn_finish(c);
}

static void
send_error(struct conn *c, const json_t *id, const char *code,
           const char *msg, bool must_close)
{
    size_t len;
    char *line = proto_reply_error(id, code, msg, &len);

    if (must_close)
        conn_send_and_close(c, line, len);
    else
        conn_send(c, line, len);
    free(line);
}

static void
handle_line(struct conn *c, const char *line, size_t len)
{
    struct proto_request req;
    struct proto_error perr;

    if (proto_parse_request(line, len, &req, &perr) < 0) {
        log_warn("conn %llu: %s: %s; request \"%.60s\"",
                 (unsigned long long)c->id, perr.code, perr.message, line);
        send_error(c, perr.id, perr.code, perr.message, perr.must_close);
        proto_error_clear(&perr);
        return;
    }
    log_debug("conn %llu: %s", (unsigned long long)c->id,
              proto_op_name(req.op));
    c->active_ms = util_monotonic_ms();
    commands_dispatch(c, &req);
    proto_request_clear(&req);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);
    unsigned handled = 0;

    for (;;) {
        const char *line;
        size_t len;
        enum proto_frame fr;

        if (c->is_closing || c->bev == NULL)
            return;
        if (c->in_flight >= CONN_MAX_IN_FLIGHT) {
            /* Hold the rest (reading is off) until a reply frees a
             * slot; conn_unref calls us again. */
            update_reading(c);
            return;
        }
        fr = proto_framer_next(&c->fr, &line, &len);
        if (fr == PROTO_FRAME_LINE) {
            handle_line(c, line, len);
            if (++handled >= CONN_MAX_REQS_PER_EVENT) {
                /* Be fair to other clients; go on in a later round. */
                conn_resume(c);
                return;
            }
            continue;
        }
        if (fr == PROTO_FRAME_TOO_BIG) {
            char msg[96];
            log_warn("conn %llu: request line over %zu bytes; closing",
                     (unsigned long long)c->id, c->fr.max);
            snprintf(msg, sizeof msg, "request line over %zu bytes",
                     c->fr.max);
            send_error(c, NULL, SD_ERR_TOO_BIG, msg, true);
            return;
        }
        /* Need more: move what the socket has into the framer. */
        if (evbuffer_get_length(in) == 0) {
            /* The read timeout runs while half a line waits. */
            if (!proto_framer_has_partial(&c->fr))
                c->partial_ms = 0;
            else if (c->partial_ms == 0)
                c->partial_ms = util_monotonic_ms();
            if (!c->is_eof)
                return;
            /* End-of-file ends an unterminated last line too. */
            if (proto_framer_has_partial(&c->fr)) {
                proto_framer_push(&c->fr, "\n", 1);
                continue;
            }
            /* Answer everything asked before closing. */
            if (c->in_flight == 0)
                conn_finish(c);
            return;
        }
        {
            char buf[16384];
            int n = evbuffer_remove(in, buf, sizeof buf);
            if (n <= 0)
                return;
            c->active_ms = util_monotonic_ms();
            if (proto_framer_push(&c->fr, buf, (size_t)n) ==
                PROTO_FRAME_TOO_BIG)
                continue; /* reported by proto_framer_next above */
        }
    }
}

static void
write_cb(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;

    if (c->is_closing &&
        evbuffer_get_length(bufferevent_get_output(bev)) == 0) {
        conn_close(c);
        return;
    }
    update_reading(c);
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;

    if (what & BEV_EVENT_ERROR) {
        log_debug("conn %llu: %s", (unsigned long long)c->id,
                  evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        conn_close(c);
        return;
    }
    if (what & BEV_EVENT_EOF) {
        /* The client is done sending (it may only have shut down its
         * write side): answer what it asked, then close. */
        c->is_eof = true;
        if (peer_hung_up(bev)) {
            /* Its requests still run (an add is done all the same), but
             * its searches that have not started are dropped: nobody is
             * there to read them, and a client that queues searches and
             * hangs up must not keep the query threads busy. */
            log_debug("conn %llu: end-of-file; the client hung up",
                      (unsigned long long)c->id);
            atomic_store(&c->is_gone, true);
        } else {
            log_debug("conn %llu: end-of-file", (unsigned long long)c->id);
        }
        update_reading(c);
        read_cb(bev, c);
    }
}

/* Who connected: the kernel's record, taken once, before any request. */
static void
read_peer(struct conn *c, evutil_socket_t fd)
{
    struct ucred cr;
    socklen_t len = sizeof cr;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 ||
        len != sizeof cr) {
        log_warn("conn %llu: cannot tell who connected (SO_PEERCRED: %s); "
                 "it may only do what anyone may",
                 (unsigned long long)c->id, strerror(errno));
        return;
    }
    c->peer = (struct conn_peer){ true, cr.pid, cr.uid, cr.gid };
}

struct conn *
conn_new(struct server *srv, evutil_socket_t fd, uint64_t id)
{
    struct conn *c = xcalloc(1, sizeof *c);

    c->srv = srv;
    c->id = id;
    atomic_init(&c->is_gone, false);
    read_peer(c, fd);
    c->refs = 1;
    c->active_ms = util_monotonic_ms();
    proto_framer_init(&c->fr, server_limits(srv)->max_line);
    c->bev = bufferevent_socket_new(server_base(srv), fd,
                                    BEV_OPT_CLOSE_ON_FREE);
    if (c->bev == NULL) {
        evutil_closesocket(fd);
        proto_framer_reset(&c->fr);
        free(c);
        return NULL;
    }
    c->out_cbe = evbuffer_add_cb(bufferevent_get_output(c->bev), out_cb, c);
    if (c->out_cbe == NULL) {
        bufferevent_free(c->bev);
        proto_framer_reset(&c->fr);
        free(c);
        return NULL;
    }
    bufferevent_setcb(c->bev, read_cb, write_cb, event_cb, c);
    /* Keep write_cb quiet until output drains below the pause mark. */
    bufferevent_setwatermark(c->bev, EV_WRITE,
                             server_limits(srv)->max_pending_out / 2, 0);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->is_reading = true;
    server_conn_add(srv, c);
    log_debug("conn %llu: open; peer pid %ld uid %ld gid %ld",
              (unsigned long long)id, (long)c->peer.pid, (long)c->peer.uid,
              (long)c->peer.gid);
    return c;
}
