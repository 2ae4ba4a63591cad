/*
 * server.h - the listening Unix socket and the set of connections.
 *
 * The server owns the listener, the socket file (removed at free) and
 * every connection; it borrows the event base and the command context.
 */
#ifndef SEARCHD_SERVER_H
#define SEARCHD_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/event.h>

/* Defaults of the limits on clients (struct server_limits). */
#define SERVER_MAX_CONNS 1024                   /* clients at once */
#define SERVER_MAX_PENDING_OUT (4u << 20)       /* unsent reply bytes */
#define SERVER_IDLE_TIMEOUT_MS 300000           /* 5 minutes */
#define SERVER_MAX_CONNS_USER 64
#define SERVER_READ_TIMEOUT_MS 30000
#define SERVER_WRITE_TIMEOUT_MS 60000

/*
 * What one client may cost, set from searchd.conf(5) and the command line
 * (server_set_limits applies a reload at once).  A timeout of 0 is off.
 */
struct server_limits {
    unsigned max_conns;         /* more are told `busy` and closed */
    unsigned max_conns_user;    /* from one uid but searchd's own and
                                 * root's; 0: no cap.  Those users also
                                 * leave the last max_conns / 16 free. */
    size_t max_pending_out;     /* bytes of replies not yet written to a
                                 * client before searchd stops reading it */
    size_t max_line;            /* longest request line, bytes (at most
                                 * SD_PROTO_MAX_LINE); new connections */
    unsigned idle_ms;           /* nothing asked, nothing owed: close */
    unsigned read_ms;           /* a request line begun, not finished */
    unsigned write_ms;          /* replies waiting, none of them taken */
};

/* Counters for `status`. */
struct server_stats {
    size_t conns;               /* open now */
    uint64_t accepted;          /* since start */
    uint64_t refused;           /* told `busy`: over max_conns, or over
                                 * max_conns_user */
    uint64_t timed_out;         /* closed by one of the timeouts */
};

struct server;
struct conn;
struct commands_ctx;

/*
 * Create the socket at path with permission bits mode (e.g. 0600) and
 * group gid ((gid_t)-1: the daemon's), bind, listen and start accepting on
 * base.  The file is made owner-only and given its group before its mode
 * is widened, so nobody else can connect in between.  A stale socket file
 * left by a dead daemon is replaced; a live one (something accepts on it)
 * or a file that is not a socket is an error.  Returns NULL with err
 * filled.
 */
struct server *server_new(struct event_base *base, const char *path,
                          unsigned mode, gid_t gid, struct commands_ctx *ctx,
                          char *err, size_t errlen);

/*
 * Serve on fd, a listening Unix stream socket made by someone else
 * (systemd's socket activation); the server owns fd from now on, even on
 * failure, and never removes the socket file, which is not ours.
 * Returns NULL with err filled when fd is not such a socket.
 */
struct server *server_adopt(struct event_base *base, int fd,
                            struct commands_ctx *ctx, char *err,
                            size_t errlen);

/* Stop listening, close every connection, remove the socket file (if
 * server_new made it).  NULL is fine. */
void server_free(struct server *s);

/* Fill lim with the built-in defaults. */
void server_limits_default(struct server_limits *lim);
/* Use lim (copied) from now on: new connections, and the timeouts and
 * output cap of the open ones. */
void server_set_limits(struct server *s, const struct server_limits *lim);
/* The limits in use (borrowed, valid until the next server_set_limits). */
const struct server_limits *server_limits(const struct server *s);
void server_stats(const struct server *s, struct server_stats *out);

/* Borrowed, for conn.c and commands.c. */
struct commands_ctx *server_ctx(const struct server *s);
struct event_base *server_base(const struct server *s);
/* conn.c tells the server when a conn leaves its list. */
void server_conn_add(struct server *s, struct conn *c);
void server_conn_remove(struct server *s, struct conn *c);
/* conn.c counts a connection it closed on a timeout. */
void server_count_timeout(struct server *s);

#endif /* SEARCHD_SERVER_H */
