/*
 * server.h - the listening Unix socket and the set of connections.
 *
 * The server owns the listener, the socket file (removed at free) and
 * every connection; it borrows the event base and the command context.
 */
#ifndef SEARCHD_SERVER_H
#define SEARCHD_SERVER_H

#include <stddef.h>
#include <sys/types.h>

#include <event2/event.h>

/* Most clients at once; more are told `busy` and closed. */
#define SERVER_MAX_CONNS 1024

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

/* Borrowed, for conn.c and commands.c. */
struct commands_ctx *server_ctx(const struct server *s);
struct event_base *server_base(const struct server *s);
/* conn.c tells the server when a conn leaves its list. */
void server_conn_add(struct server *s, struct conn *c);
void server_conn_remove(struct server *s, struct conn *c);

#endif /* SEARCHD_SERVER_H */
