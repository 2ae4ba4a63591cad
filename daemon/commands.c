/*
 * commands.c - the op table and its handlers.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "health.h"
#include "log.h"
#include "server.h"
#include "util.h"

typedef void (*command_fn)(struct conn *c, const struct proto_request *req,
                           struct commands_ctx *ctx);

static void
reply_json(struct conn *c, const json_t *id, json_t *body)
{
    size_t len;
    char *line = proto_reply_ok(id, body, &len);

    conn_send(c, line, len);
    free(line);
    json_decref(body);
}

static void
reply_error(struct conn *c, const json_t *id, const char *code,
            const char *msg)
{
    size_t len;
    char *line = proto_reply_error(id, code, msg, &len);

    conn_send(c, line, len);
    free(line);
}

/* ---- who may change state ---------------------------------------------- */

/* Supplementary groups read on the first try; more take a second. */
#define PEER_GROUPS_FIRST 64
/* The kernel's limit on supplementary groups (NGROUPS_MAX since 2.6.4). */
#define PEER_GROUPS_MAX   65536

/*
 * The groups of user uid (primary gid) from the user database, for
 * kernels without SO_PEERGROUPS: what the user would get at login, which
 * may differ from the groups the peer process holds.  Returns how many
 * (*out owned, free), 0 when the user is not in the database.
 */
static int
db_groups(uid_t uid, gid_t gid, gid_t **out)
{
    struct passwd pw, *res = NULL;
    char buf[16384];
    int n = PEER_GROUPS_FIRST;
    gid_t *g;

    *out = NULL;
    if (getpwuid_r(uid, &pw, buf, sizeof buf, &res) != 0 || res == NULL)
        return 0;
    g = xmalloc((size_t)n * sizeof *g);
    /* getgrouplist says how many it needs when they do not fit. */
    for (int tries = 0; getgrouplist(pw.pw_name, gid, g, &n) < 0; tries++) {
        if (tries > 2 || n <= 0 || n > PEER_GROUPS_MAX) {
            free(g);
            return 0;
        }
        g = xrealloc(g, (size_t)n * sizeof *g);
    }
    *out = g;
    return n;
}

/*
 * Whether the peer of c belongs to group g: its effective group, or one
 * of the supplementary groups its process held when it connected
 * (SO_PEERGROUPS: one system call, no user database lookup).  On kernels
 * without it, the user database's groups of the peer's uid (getpwuid_r and
 * getgrouplist: NSS, which may be slow with a network directory; it runs
 * only for a state-changing op from a user that is neither searchd's
 * nor root, when an admin group is set).
 */
static bool
peer_in_group(struct conn *c, const struct conn_peer *p, gid_t g)
{
    gid_t first[PEER_GROUPS_FIRST], *groups = first, *more = NULL;
    bool found = false;
    int n;

    if (p->gid == g)
        return true;
    n = conn_peer_groups(c, first, PEER_GROUPS_FIRST);
    if (n == -ERANGE) {
        more = xmalloc(PEER_GROUPS_MAX * sizeof *more);
        groups = more;
        n = conn_peer_groups(c, more, PEER_GROUPS_MAX);
    }
    if (n == -ENOPROTOOPT) {
        free(more);
        n = db_groups(p->uid, p->gid, &more);
        groups = more;
    }
    for (int i = 0; i < n && !found; i++)
        found = groups[i] == g;
    free(more);
    return found;
}

/* May the peer of c run an op that changes state?  If not, why (for the
 * reply) in why. */
static bool
peer_may_change(struct conn *c, const struct commands_ctx *ctx,
                const char *op, char *why, size_t whylen)
{
    const struct conn_peer *p = conn_peer(c);
    const struct settings *s = ctx->settings;
    uid_t self = geteuid();

    if (!p->is_known) {
        snprintf(why, whylen, "%s changes searchd's state, and searchd "
                 "cannot tell who you are", op);
        return false;
    }
    if (p->uid == 0 || p->uid == self)
        return true;
    if (s != NULL && s->has_admin_group && peer_in_group(c, p, s->admin_gid))
        return true;
    if (s != NULL && s->has_admin_group)
        snprintf(why, whylen, "%s changes searchd's state: only its own "
                 "user (uid %ld), root and members of its admin-group "
                 "(gid %ld) may; you are uid %ld", op, (long)self,
                 (long)s->admin_gid, (long)p->uid);
    else
        snprintf(why, whylen, "%s changes searchd's state: only its own "
                 "user (uid %ld) and root may (an admin-group in "
                 "searchd.conf lets others); you are uid %ld", op,
                 (long)self, (long)p->uid);
    return false;
}

static void
cmd_ping(struct conn *c, const struct proto_request *req,
         struct commands_ctx *ctx)
{
    json_t *body = json_object();

    (void)ctx;
    json_object_set_new(body, "pong", json_true());
    json_object_set_new(body, "version", json_string(PACKAGE_VERSION));
    reply_json(c, req->id, body);
}

static double
round1(double x)
{
    return (double)(long long)(x * 10 + 0.5) / 10;
}

/* "health" and "faults" (health.h) into a status body. */
static void
add_health(json_t *body)
{
    size_t n;
    struct health_entry *v = health_list(&n);
    json_t *list = json_array();

    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            list, json_pack("{s:s, s:s, s:s, s:I}", "what", v[i].what,
                            "subject", v[i].subject, "message",
                            v[i].message, "since", (json_int_t)v[i].since));
    health_list_free(v, n);
    json_object_set_new(body, "health", json_string(health_summary()));
    json_object_set_new(body, "faults", list);
}

static void
cmd_status(struct conn *c, const struct proto_request *req,
           struct commands_ctx *ctx)
{
    struct indexer_stats st;
    struct server_stats ss;
    json_t *body = json_object();
    json_t *plugins = json_array();

    indexer_stats(ctx->indexer, &st);
    json_object_set_new(body, "documents", json_integer((json_int_t)st.documents));
    json_object_set_new(body, "queued", json_integer((json_int_t)st.queued));
    json_object_set_new(body, "failed", json_integer((json_int_t)st.failed));
    json_object_set_new(body, "indexed_files",
                        json_integer((json_int_t)st.indexed_files));
    json_object_set_new(body, "unchanged_files",
                        json_integer((json_int_t)st.unchanged));
    json_object_set_new(body, "probed_files",
                        json_integer((json_int_t)st.probed));
    json_object_set_new(body, "files_done",
                        json_integer((json_int_t)st.files_done));
    json_object_set_new(body, "scan_done", json_boolean(st.scan_done));
    json_object_set_new(body, "files_per_s", json_real(round1(st.files_per_s)));
    json_object_set_new(body, "docs_per_s", json_real(round1(st.docs_per_s)));
    json_object_set_new(body, "shards", json_integer((json_int_t)st.shards));
    json_object_set_new(body, "workers", json_integer((json_int_t)st.workers));
    json_object_set_new(body, "version", json_string(PACKAGE_VERSION));
    json_object_set_new(body, "pid", json_integer((json_int_t)getpid()));
    json_object_set_new(body, "uptime_s",
                        json_integer((json_int_t)(time(NULL) - ctx->started)));
    json_object_set_new(body, "sandbox", json_string(st.sandbox));
    if (conn_peer(c)->is_known)
        json_object_set_new(body, "peer_uid",
                            json_integer((json_int_t)conn_peer(c)->uid));
    for (size_t i = 0; i < plugins_count(ctx->plugins); i++) {
        const struct plugin_entry *pe = plugins_get(ctx->plugins, i);
        json_array_append_new(plugins,
                              json_pack("{s:s, s:s}", "name", pe->desc->name,
                                        "version", pe->desc->version));
    }
    json_object_set_new(body, "plugins", plugins);
    server_stats(conn_server(c), &ss);
    json_object_set_new(body, "connections", json_integer((json_int_t)ss.conns));
    json_object_set_new(body, "connections_refused",
                        json_integer((json_int_t)ss.refused));
    json_object_set_new(body, "connections_timed_out",
                        json_integer((json_int_t)ss.timed_out));
    json_object_set_new(body, "searches_abandoned",
                        json_integer(ctx->qpool ? (json_int_t)qpool_abandoned(
                                                      ctx->qpool)
                                                : 0));
    add_health(body);
    reply_json(c, req->id, body);
}

/* ---- search ------------------------------------------------------------ */

static void
search_done_cb(const char *reply, size_t len, void *arg)
{
    struct conn *c = arg;

    if (reply != NULL)
        conn_send(c, reply, len);
    conn_unref(c);
}

static void
cmd_search(struct conn *c, const struct proto_request *req,
           struct commands_ctx *ctx)
{
    conn_ref(c);
    if (qpool_submit(ctx->qpool, req, conn_fair_tag(c), conn_gone_flag(c),
                     search_done_cb, c) < 0) {
        conn_unref(c);
        reply_error(c, req->id, SD_ERR_BUSY,
                    "too many searches waiting; try again");
    }
}

/* ---- add --------------------------------------------------------------- */

struct add_call {
    struct conn *c;     /* a reference is held */
    json_t *id;         /* owned reference */
};

/* The protocol error code for an add that failed with -errno e. */
static const char *
add_error_code(int e)
{
    switch (-e) {
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
        return SD_ERR_NOT_FOUND;
    case EACCES:
    case EPERM:
        return SD_ERR_DENIED;
    case ECANCELED:
        return SD_ERR_BUSY;     /* shutting down */
    case EIO:
        return SD_ERR_INDEX;
    default:
        return SD_ERR_INTERNAL;
    }
}

static void
add_done_cb(const struct indexer_result *res, void *arg)
{
    struct add_call *call = arg;
    json_t *body, *errors;

    if (res->status < 0) {
        reply_error(call->c, call->id, add_error_code(res->status),
                    res->message);
    } else {
        body = json_object();
        json_object_set_new(body, "files", json_integer((json_int_t)res->files));
        json_object_set_new(body, "documents",
                            json_integer((json_int_t)res->documents));
        json_object_set_new(body, "failed",
                            json_integer((json_int_t)res->failed));
        errors = json_array();
        for (size_t i = 0; i < res->n_errors; i++) {
            json_t *e = json_object();
            proto_set_bytes(e, "path", res->errors[i].path,
                            res->errors[i].path_len);
            json_object_set_new(e, "reason",
                                json_string(res->errors[i].reason));
            json_array_append_new(errors, e);
        }
        json_object_set_new(body, "errors", errors);
        reply_json(call->c, call->id, body);
    }
    conn_unref(call->c);
    json_decref(call->id);
    free(call);
}

/* Whether canonical path p is root or below it. */
static bool
is_below(const char *p, const char *root)
{
    size_t n = strlen(root);

    if (strcmp(root, "/") == 0)
        return true;
    return strncmp(p, root, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

static bool
has_dotdot(const char *path)
{
    for (const char *p = path; (p = strstr(p, "..")) != NULL; p += 2)
        if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
            return true;
    return false;
}

/*
 * path (absolute, no NUL) with every symlink and "." resolved: the longest
 * part that exists through realpath, the rest appended as written (it
 * does not exist, so it holds no symlink; an add of a file that is gone
 * forgets it).  Owned; NULL with -errno in *rc_out when even "/" fails.
 * A blocking look at the file system on the loop, as short as a stat.
 */
static char *
canonical_path(const char *path, int *rc_out)
{
    char *head = xstrdup(path), *res, *slash;

    for (;;) {
        res = realpath(head, NULL);
        if (res != NULL)
            break;
        if (errno != ENOENT && errno != ENOTDIR && errno != EACCES) {
            *rc_out = -errno;
            free(head);
            return NULL;
        }
        /* A dangling link resolves to nothing now but would be followed
         * once its target appears, maybe outside every root. */
        if (errno == ENOENT) {
            struct stat st;

            if (lstat(head, &st) == 0 && S_ISLNK(st.st_mode)) {
                *rc_out = -ELOOP;
                free(head);
                return NULL;
            }
            errno = ENOENT;
        }
        slash = strrchr(head, '/');
        if (slash == NULL || strcmp(head, "/") == 0) {
            *rc_out = -errno;
            free(head);
            return NULL;
        }
        slash[slash == head] = '\0';  /* "/x" goes on with "/" */
    }
    /* Append what did not resolve, skipping "" and "." components. */
    for (const char *p = path + strlen(head); *p != '\0';) {
        const char *e;
        size_t n;

        while (*p == '/')
            p++;
        e = strchr(p, '/');
        n = e ? (size_t)(e - p) : strlen(p);
        if (n > 0 && !(n == 1 && p[0] == '.')) {
            char *next = xasprintf("%s%s%.*s",
                                   strcmp(res, "/") == 0 ? "" : res, "/",
                                   (int)n, p);
            free(res);
            res = next;
        }
        p += n;
    }
    free(head);
    return res;
}

/*
 * Check that an add may name path: inside a watched folder or an
 * add-root once symlinks are resolved, and without "..".  Returns the
 * canonical path to index (owned), or NULL with *code and msg set.
 */
static char *
add_path_allowed(const struct commands_ctx *ctx, const char *path,
                 const char **code, char *msg, size_t msglen)
{
    const struct settings *s = ctx->settings;
    char *canon;
    int rc = 0;

    if (has_dotdot(path)) {
        *code = SD_ERR_FORBIDDEN;
        snprintf(msg, msglen, "%s: a path with a \"..\" component is "
                 "refused; name the file directly", path);
        return NULL;
    }
    if (s == NULL || (s->n_watch == 0 && s->n_add_roots == 0)) {
        *code = SD_ERR_FORBIDDEN;
        snprintf(msg, msglen, "%s: searchd watches no folder and has no "
                 "add-root, so add may name no path (see searchd.conf(5))",
                 path);
        return NULL;
    }
    canon = canonical_path(path, &rc);
    if (canon == NULL && rc == -ELOOP) {
        *code = SD_ERR_FORBIDDEN;
        snprintf(msg, msglen, "%s: leads through a symbolic link that "
                 "points nowhere (or loops); refused, since its target "
                 "could appear outside the roots", path);
        return NULL;
    }
    if (canon == NULL) {
        *code = add_error_code(rc);
        snprintf(msg, msglen, "%s: %s", path, strerror(-rc));
        return NULL;
    }
    for (size_t i = 0; i < s->n_watch; i++)
        if (is_below(canon, s->watch[i].dir))
            return canon;
    for (size_t i = 0; i < s->n_add_roots; i++)
        if (is_below(canon, s->add_roots[i]))
            return canon;
    *code = SD_ERR_FORBIDDEN;
    if (strcmp(canon, path) != 0)
        snprintf(msg, msglen, "%s (%s once symlinks are resolved) is outside "
                 "the watched folders and add-roots", path, canon);
    else
        snprintf(msg, msglen, "%s is outside the watched folders and "
                 "add-roots", path);
    free(canon);
    return NULL;
}

static void
cmd_add(struct conn *c, const struct proto_request *req,
        struct commands_ctx *ctx)
{
    struct add_call *call;
    const char *code = NULL;
    char msg[2 * SD_PROTO_MAX_PATH + 256];
    char *path;
    int rc;

    if (req->path_len == 0 || req->path[0] != '/') {
        reply_error(c, req->id, SD_ERR_BAD_REQUEST,
                    "path must be absolute (the daemon's folder is not "
                    "the client's)");
        return;
    }
    path = add_path_allowed(ctx, req->path, &code, msg, sizeof msg);
    if (path == NULL) {
        if (strcmp(code, SD_ERR_FORBIDDEN) == 0)
            log_warn("conn %llu: add refused: %s",
                     (unsigned long long)conn_id(c), msg);
        reply_error(c, req->id, code, msg);
        return;
    }
    call = xcalloc(1, sizeof *call);
    call->c = c;
    call->id = json_incref(req->id);
    conn_ref(c);
    rc = indexer_submit(ctx->indexer, path, strlen(path), false,
                        add_done_cb, call);
    if (rc == -EROFS) {
        char why[600];

        snprintf(why, sizeof why, "the index is read-only (%s): searchd "
                 "searches it but cannot add to it",
                 indexer_readonly(ctx->indexer));
        reply_error(c, req->id, SD_ERR_INDEX, why);
    } else if (rc < 0) {
        reply_error(c, req->id, rc == -EBUSY ? SD_ERR_BUSY : SD_ERR_BAD_REQUEST,
                    rc == -EBUSY ? "indexing queue is full; try again"
                                 : "bad path");
    }
    if (rc < 0) {
        conn_unref(c);
        json_decref(call->id);
        free(call);
        free(path);
        return;
    }
    log_info("add: %s queued by conn %llu (uid %ld)", path,
             (unsigned long long)conn_id(c), (long)conn_peer(c)->uid);
    free(path);
}

/* ---- failures ---------------------------------------------------------- */

static void
cmd_failures(struct conn *c, const struct proto_request *req,
             struct commands_ctx *ctx)
{
    size_t n = 0;
    struct indexer_failure *f = indexer_failures(ctx->indexer, &n);
    json_t *body = json_object(), *list = json_array();

    for (size_t i = req->offset; i < n && i < (size_t)req->offset + req->limit;
         i++) {
        json_t *e = json_object();

        proto_set_bytes(e, "path", f[i].path, f[i].path_len);
        json_object_set_new(e, "plugin", json_string(f[i].plugin));
        json_object_set_new(e, "reason", json_string(f[i].reason));
        json_array_append_new(list, e);
    }
    json_object_set_new(body, "total", json_integer((json_int_t)n));
    json_object_set_new(body, "failures", list);
    indexer_failures_free(f, n);
    reply_json(c, req->id, body);
}

static void
cmd_reload(struct conn *c, const struct proto_request *req,
           struct commands_ctx *ctx)
{
    char err[1024];
    json_t *body;

    if (ctx->reload == NULL) {
        reply_error(c, req->id, SD_ERR_INTERNAL, "reload is not offered");
        return;
    }
    if (ctx->reload(ctx->reload_arg, err, sizeof err) < 0) {
        reply_error(c, req->id, SD_ERR_BAD_CONFIG, err);
        return;
    }
    body = json_object();
    json_object_set_new(body, "plugins",
                        json_integer((json_int_t)plugins_count(ctx->plugins)));
    reply_json(c, req->id, body);
}

/* Every op, and whether it changes state: such ops are allowed only as
 * peer_may_change says.  A new op must say which it is. */
static const struct {
    enum proto_op op;
    command_fn fn;
    bool changes_state;
} commands[] = {
    { PROTO_OP_PING, cmd_ping, false },
    { PROTO_OP_SEARCH, cmd_search, false },
    { PROTO_OP_STATUS, cmd_status, false },
    { PROTO_OP_ADD, cmd_add, true },
    { PROTO_OP_FAILURES, cmd_failures, false },
    { PROTO_OP_RELOAD, cmd_reload, true },
};

void
commands_dispatch(struct conn *c, const struct proto_request *req)
{
    struct commands_ctx *ctx = server_ctx(conn_server(c));
    char why[512];

    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (commands[i].op != req->op)
            continue;
        if (commands[i].changes_state &&
            !peer_may_change(c, ctx, proto_op_name(req->op), why,
                             sizeof why)) {
            log_warn("conn %llu: %s refused: uid %ld may not change state",
                     (unsigned long long)conn_id(c), proto_op_name(req->op),
                     (long)conn_peer(c)->uid);
            reply_error(c, req->id, SD_ERR_FORBIDDEN, why);
            return;
        }
        commands[i].fn(c, req, ctx);
        return;
    }
    reply_error(c, req->id, SD_ERR_INTERNAL, "operation not implemented");
}
