/*
 * server.c - the Unix socket: create it safely, accept clients, keep the
 * list of connections, remove the socket file at the end.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/listener.h>

#include "conn.h"
#include "log.h"
#include "proto.h"
#include "server.h"
#include "util.h"

struct conn_node {
    struct conn *c;                 /* borrowed: the conn removes itself */
    LIST_ENTRY(conn_node) link;
};

struct server {
    struct event_base *base;        /* borrowed */
    struct commands_ctx *ctx;       /* borrowed */
    struct evconnlistener *lev;     /* owned */
    struct event *sweep_ev;         /* owned: the timeouts' clock */
    struct server_limits lim;
    struct server_stats st;         /* conns is n_conns */
    char *path;                     /* owned; the socket file we made */
    dev_t dev;                      /* identity of that file, so we never */
    ino_t ino;                      /* unlink someone else's */
    uint64_t next_id;
    size_t n_conns;
    LIST_HEAD(, conn_node) conns;
};

void
server_limits_default(struct server_limits *lim)
{
    lim->max_conns = SERVER_MAX_CONNS;
    lim->max_conns_user = SERVER_MAX_CONNS_USER;
    lim->max_pending_out = SERVER_MAX_PENDING_OUT;
    lim->max_line = SD_PROTO_MAX_LINE;
    lim->idle_ms = SERVER_IDLE_TIMEOUT_MS;
    lim->read_ms = SERVER_READ_TIMEOUT_MS;
    lim->write_ms = SERVER_WRITE_TIMEOUT_MS;
}

/*
 * Every open connection is checked against the timeouts a few times per
 * shortest timeout (conn_sweep): one timer for all, instead of three per
 * connection re-armed on every byte.  A timeout is thus honoured to
 * within a quarter of itself (at most a second late).
 */
static void
sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    struct server *s = arg;
    struct conn_node *n, *next;
    unsigned long long now = util_monotonic_ms();

    (void)fd;
    (void)what;
    for (n = LIST_FIRST(&s->conns); n != NULL; n = next) {
        next = LIST_NEXT(n, link);  /* conn_sweep may free n */
        conn_sweep(n->c, now);
    }
}

static void
sweep_arm(struct server *s)
{
    unsigned t[3] = { s->lim.idle_ms, s->lim.read_ms, s->lim.write_ms };
    unsigned shortest = 0, every;
    struct timeval tv;

    if (s->sweep_ev == NULL)
        return;
    event_del(s->sweep_ev);
    for (int i = 0; i < 3; i++)
        if (t[i] && (shortest == 0 || t[i] < shortest))
            shortest = t[i];
    if (shortest == 0)
        return;     /* no timeouts: nothing to check */
    every = shortest / 4;
    every = every < 50 ? 50 : every > 1000 ? 1000 : every;
    tv.tv_sec = every / 1000;
    tv.tv_usec = (suseconds_t)(every % 1000) * 1000;
    event_add(s->sweep_ev, &tv);
}

void
server_set_limits(struct server *s, const struct server_limits *lim)
{
    struct conn_node *n;

    s->lim = *lim;
    sweep_arm(s);
    /* A changed output cap may let a paused client be read again. */
    LIST_FOREACH(n, &s->conns, link)
        conn_limits_changed(n->c);
}

const struct server_limits *
server_limits(const struct server *s)
{
    return &s->lim;
}

void
server_stats(const struct server *s, struct server_stats *out)
{
    *out = s->st;
    out->conns = s->n_conns;
}

void
server_count_timeout(struct server *s)
{
    s->st.timed_out++;
}

struct commands_ctx *
server_ctx(const struct server *s)
{
    return s->ctx;
}

struct event_base *
server_base(const struct server *s)
{
    return s->base;
}

void
server_conn_add(struct server *s, struct conn *c)
{
    struct conn_node *n = xcalloc(1, sizeof *n);

    n->c = c;
    LIST_INSERT_HEAD(&s->conns, n, link);
    s->n_conns++;
}

void
server_conn_remove(struct server *s, struct conn *c)
{
    struct conn_node *n;

    LIST_FOREACH(n, &s->conns, link) {
        if (n->c == c) {
            LIST_REMOVE(n, link);
            free(n);
            s->n_conns--;
            return;
        }
    }
}

/*
 * Why a new client from uid may not connect, or NULL.  Any local user can
 * reach the socket when its mode lets them: one user alone must not hold
 * every slot, and searchd's own user and root keep a reserve to get in
 * (to look at status, or reload) while others crowd the socket.
 */
static const char *
refusal(const struct server *s, bool have_uid, uid_t uid)
{
    bool is_trusted = have_uid && (uid == 0 || uid == geteuid());
    unsigned reserve = s->lim.max_conns / 16;
    size_t mine = 0;
    struct conn_node *n;

    if (s->n_conns >= s->lim.max_conns)
        return "too many connections";
    if (is_trusted || s->lim.max_conns_user == 0)
        return NULL;
    if (s->n_conns + reserve >= s->lim.max_conns)
        return "too many connections (the rest are kept for searchd's "
               "own user and root)";
    LIST_FOREACH(n, &s->conns, link)
        if (conn_peer(n->c)->is_known && conn_peer(n->c)->uid == uid)
            mine++;
    if (mine >= s->lim.max_conns_user)
        return "too many connections from your user "
               "(max-connections-per-user)";
    return NULL;
}

static void
accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
          struct sockaddr *sa, int salen, void *arg)
{
    struct server *s = arg;
    struct ucred cred;
    socklen_t credlen = sizeof cred;
    bool have_uid;
    const char *why;

    (void)lev;
    (void)sa;
    (void)salen;
    have_uid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &credlen) == 0;
    why = refusal(s, have_uid, have_uid ? cred.uid : (uid_t)-1);
    if (why != NULL) {
        size_t len;
        char *line = proto_reply_error(NULL, SD_ERR_BUSY, why, &len);
        /* Once per burst, not once per refused client. */
        if (s->st.refused++ % 1000 == 0)
            log_warn("server: %zu connections; refusing new ones: %s "
                     "(%llu so far)", s->n_conns, why,
                     (unsigned long long)s->st.refused);
        /* Best effort: the socket buffer of a new socket has room. */
        (void)!send(fd, line, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        free(line);
        evutil_closesocket(fd);
        return;
    }
    s->st.accepted++;
    conn_new(s, fd, ++s->next_id);
}

static void
accept_error_cb(struct evconnlistener *lev, void *arg)
{
    (void)lev;
    (void)arg;
    /* EMFILE and friends: log and keep going; the next accept may work. */
    log_err("server: accept: %s",
            evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

/* Replace a stale socket file; refuse a live one or a non-socket. */
static int
clear_stale(const char *path, char *err, size_t errlen)
{
    struct stat st;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, rc;

    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -errno;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "%s exists and is not a socket; remove it or "
                 "choose another --socket", path);
        return -EEXIST;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    close(fd);
    if (rc == 0) {
        snprintf(err, errlen, "another searchd is listening on %s", path);
        return -EADDRINUSE;
    }
    if (errno != ECONNREFUSED) {
        snprintf(err, errlen, "cannot check socket %s: %s", path,
                 strerror(errno));
        return -errno;
    }
    log_info("server: removing stale socket %s", path);
    if (unlink(path) < 0 && errno != ENOENT)
        return -errno;
    return 0;
}

/* chmod the socket at path without following a link.  glibc before 2.32
 * cannot do AT_SYMLINK_NOFOLLOW in fchmodat: there, check that path is
 * the socket itself, then chmod it (a link swapped in between the two
 * calls would be followed: a window those C libraries leave open). */
static int
set_socket_mode(const char *path, mode_t mode)
{
    struct stat st;

    if (fchmodat(AT_FDCWD, path, mode, AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
    if (errno != EOPNOTSUPP && errno != ENOTSUP)
        return -1;
    if (lstat(path, &st) < 0)
        return -1;
    if (!S_ISSOCK(st.st_mode)) {
        errno = EINVAL;
        return -1;
    }
    return chmod(path, mode);
}

static int listen_on(struct server *s, int fd, const char *what, char *err,
                     size_t errlen);

struct server *
server_new(struct event_base *base, const char *path, unsigned mode,
           gid_t gid, struct commands_ctx *ctx, char *err, size_t errlen)
{
    struct server *s = xcalloc(1, sizeof *s);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct stat st;
    mode_t old_umask;
    int fd = -1, rc;

    s->base = base;
    s->ctx = ctx;
    LIST_INIT(&s->conns);
    server_limits_default(&s->lim);
    err[0] = '\0';
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "socket path %s is longer than %zu bytes",
                 path, sizeof sa.sun_path - 1);
        goto fail;
    }
    memcpy(sa.sun_path, path, strlen(path) + 1);
    rc = clear_stale(path, err, errlen);
    if (rc < 0) {
        if (!err[0])
            snprintf(err, errlen, "%s: %s", path, strerror(-rc));
        goto fail;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        goto fail;
    }
    /* Create the file owner-only, give it its group, then widen to mode:
     * no window in which others could connect.  (fchmod on a socket fd
     * changes the socket's own inode, not the file's: the file is changed
     * by name, never following a symlink put in its place.) */
    old_umask = umask(0177);
    rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    umask(old_umask);
    if (rc < 0) {
        snprintf(err, errlen, "cannot bind %s: %s", path, strerror(errno));
        goto fail;
    }
    s->path = xstrdup(path);
    if (gid != (gid_t)-1 &&
        fchownat(AT_FDCWD, path, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0) {
        snprintf(err, errlen, "cannot give %s group %ld: %s%s", path,
                 (long)gid, strerror(errno),
                 errno == EPERM ? " (searchd must be root or a member of "
                                  "that group)" : "");
        goto fail;
    }
    if (set_socket_mode(path, mode) < 0 ||
        lstat(path, &st) < 0 || !S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "cannot set mode of %s: %s", path,
                 strerror(errno));
        goto fail;
    }
    s->dev = st.st_dev;
    s->ino = st.st_ino;
    rc = listen_on(s, fd, path, err, errlen);
    fd = -1;    /* the listener owns it, or listen_on closed it */
    if (rc < 0)
        goto fail;
    log_info("server: listening on %s (mode %04o, group %ld)", path, mode,
             (long)st.st_gid);
    return s;
fail:
    if (fd >= 0)
        close(fd);
    if (s->path && s->ino == 0)
        unlink(s->path);    /* bound, but failed before we recorded it */
    server_free(s);
    return NULL;
}

/* Start accepting on fd (owned from here on, closed on failure, or by
 * the listener once it has it). */
static int
listen_on(struct server *s, int fd, const char *what, char *err,
          size_t errlen)
{
    s->lev = evconnlistener_new(s->base, accept_cb, s,
                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
                                128, fd);
    if (s->lev == NULL) {
        snprintf(err, errlen, "cannot listen on %s: %s", what,
                 strerror(errno));
        close(fd);
        return -1;
    }
    evconnlistener_set_error_cb(s->lev, accept_error_cb);
    s->sweep_ev = event_new(s->base, -1, EV_PERSIST, sweep_cb, s);
    if (s->sweep_ev == NULL) {
        snprintf(err, errlen, "cannot create the timeout timer");
        return -1;
    }
    sweep_arm(s);
    return 0;
}

struct server *
server_adopt(struct event_base *base, int fd, struct commands_ctx *ctx,
             char *err, size_t errlen)
{
    struct server *s = xcalloc(1, sizeof *s);
    struct sockaddr_un sa = { 0 };
    socklen_t len = sizeof sa;
    int type = 0, listening = 0;
    socklen_t ilen = sizeof type;
    char name[sizeof sa.sun_path + 1];

    s->base = base;
    s->ctx = ctx;
    LIST_INIT(&s->conns);
    server_limits_default(&s->lim);
    if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0 ||
        sa.sun_family != AF_UNIX ||
        getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ilen) < 0 ||
        type != SOCK_STREAM ||
        (ilen = sizeof listening,
         getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &ilen) < 0) ||
        !listening) {
        snprintf(err, errlen, "the socket passed by systemd (fd %d) is not "
                 "a listening Unix stream socket; use ListenStream= with a "
                 "path", fd);
        close(fd);
        free(s);
        return NULL;
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        snprintf(err, errlen, "socket from systemd: %s", strerror(errno));
        close(fd);
        free(s);
        return NULL;
    }
    /* sun_path may lack its NUL when it fills the field. */
    len = len > offsetof(struct sockaddr_un, sun_path)
          ? len - (socklen_t)offsetof(struct sockaddr_un, sun_path) : 0;
    snprintf(name, sizeof name, "%.*s", (int)len, sa.sun_path);
    if (listen_on(s, fd, name[0] ? name : "(unnamed)", err, errlen) < 0) {
        server_free(s);
        return NULL;
    }
    log_info("server: listening on %s (socket from systemd)",
             name[0] ? name : "(unnamed)");
    return s;
}

void
server_free(struct server *s)
{
    struct conn_node *n;
    struct stat st;

    if (s == NULL)
        return;
    if (s->lev)
        evconnlistener_free(s->lev);
    if (s->sweep_ev)
        event_free(s->sweep_ev);
    while ((n = LIST_FIRST(&s->conns)) != NULL)
        conn_close(n->c);   /* removes n from the list */
    if (s->path && stat(s->path, &st) == 0 && st.st_dev == s->dev &&
        st.st_ino == s->ino)
        unlink(s->path);
    free(s->path);
    free(s);
}
