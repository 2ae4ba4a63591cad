/*
 * conn.h - one client connection: a bufferevent, a line framer, and the
 * requests in flight.
 *
 * Only the loop thread touches a conn.  A conn is reference counted: the
 * socket holds one reference and every request in flight (a search in
 * the query pool, an add in the indexer) holds one, so a reply that comes
 * back after the client hung up finds a live struct and is dropped.  The
 * struct is freed in conn_unref when the last reference goes.
 *
 * What a client may cost is bounded by the server's limits
 * (server_limits): searchd stops reading a client with more than
 * max_pending_out bytes of replies unsent or CONN_MAX_IN_FLIGHT requests
 * running, and closes one that sends half a line for read_ms, takes no
 * reply for write_ms, or does nothing for idle_ms (conn_sweep).
 */
#ifndef SEARCHD_CONN_H
#define SEARCHD_CONN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <event2/util.h>

/* Most requests of one client in flight at once; past it searchd stops
 * reading that client until a reply frees a slot. */
#define CONN_MAX_IN_FLIGHT     64
/* Most requests parsed per read event before yielding to the loop. */
#define CONN_MAX_REQS_PER_EVENT 64

struct conn;
struct server;

/* Who is at the other end, as the kernel saw it at connect() (SO_PEERCRED):
 * not what the client says, so it can be trusted. */
struct conn_peer {
    bool is_known;      /* false: SO_PEERCRED failed; trust nothing */
    pid_t pid;
    uid_t uid;
    gid_t gid;          /* the peer's effective group */
};

/* Take over fd (closed by the conn).  Returns NULL on failure (fd is then
 * closed).  The server keeps the conn in its list. */
struct conn *conn_new(struct server *srv, evutil_socket_t fd, uint64_t id);

/* Queue a reply line (copied).  Dropped if the client is gone. */
void conn_send(struct conn *c, const char *line, size_t len);
/* Queue a reply, then close once it is written (framing lost). */
void conn_send_and_close(struct conn *c, const char *line, size_t len);

/* Requests in flight hold a reference while they run. */
void conn_ref(struct conn *c);
void conn_unref(struct conn *c);

/* Close the socket now (replies in flight are dropped when they come).
 * At end-of-file from the client a conn instead answers every request it
 * has read, then closes. */
void conn_close(struct conn *c);

/* The server's timeout clock: close c if it is over a timeout (now is
 * util_monotonic_ms()).  c may be freed. */
void conn_sweep(struct conn *c, unsigned long long now);
/* The server's limits changed: take up the new output cap. */
void conn_limits_changed(struct conn *c);

/* The client's place in the query pool's fair queue (qpool_submit);
 * owned by c. */
uint64_t *conn_fair_tag(struct conn *c);
/* Reads true once no reply can reach the client: the conn is closed, or
 * the client hung up (closed its socket, not only shut down its write
 * side).  For the query pool, which drops the searches of such a client
 * that have not started (qpool_submit); owned by c, valid while the
 * caller holds a reference. */
const atomic_bool *conn_gone_flag(struct conn *c);

struct server *conn_server(const struct conn *c);
/* Borrowed, until the conn is freed. */
const struct conn_peer *conn_peer(const struct conn *c);
/*
 * The peer's supplementary groups when it connected (SO_PEERGROUPS, Linux
 * 4.13 and later), into groups (max entries).  Returns how many, or
 * -ENOPROTOOPT when the kernel cannot tell, -ERANGE when there are more
 * than max, or another -errno.  A system call; no user database lookup.
 */
int conn_peer_groups(const struct conn *c, gid_t *groups, int max);
uint64_t conn_id(const struct conn *c);
bool conn_is_open(const struct conn *c);

#endif /* SEARCHD_CONN_H */
