/*
 * commands.c - the op table and its handlers.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
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

static void
cmd_status(struct conn *c, const struct proto_request *req,
           struct commands_ctx *ctx)
{
    struct indexer_stats st;
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
    for (size_t i = 0; i < plugins_count(ctx->plugins); i++) {
        const struct plugin_entry *pe = plugins_get(ctx->plugins, i);
        json_array_append_new(plugins,
                              json_pack("{s:s, s:s}", "name", pe->desc->name,
                                        "version", pe->desc->version));
    }
    json_object_set_new(body, "plugins", plugins);
    reply_json(c, req->id, body);
}

/* ---- search ------------------------------------------------------------ */

static void
search_done_cb(const char *reply, size_t len, void *arg)
{
    struct conn *c = arg;

    conn_send(c, reply, len);
    conn_unref(c);
}

static void
cmd_search(struct conn *c, const struct proto_request *req,
           struct commands_ctx *ctx)
{
    conn_ref(c);
    if (qpool_submit(ctx->qpool, req, search_done_cb, c) < 0) {
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

static void
cmd_add(struct conn *c, const struct proto_request *req,
        struct commands_ctx *ctx)
{
    struct add_call *call;
    int rc;

    if (req->path_len == 0 || req->path[0] != '/') {
        reply_error(c, req->id, SD_ERR_BAD_REQUEST,
                    "path must be absolute (the daemon's folder is not "
                    "the client's)");
        return;
    }
    call = xcalloc(1, sizeof *call);
    call->c = c;
    call->id = json_incref(req->id);
    conn_ref(c);
    rc = indexer_submit(ctx->indexer, req->path, req->path_len, false,
                        add_done_cb, call);
    if (rc < 0) {
        reply_error(c, req->id, rc == -EBUSY ? SD_ERR_BUSY : SD_ERR_BAD_REQUEST,
                    rc == -EBUSY ? "indexing queue is full; try again"
                                 : "bad path");
        conn_unref(c);
        json_decref(call->id);
        free(call);
        return;
    }
    log_info("add: %s queued by conn %llu", req->path,
             (unsigned long long)conn_id(c));
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

static const struct {
    enum proto_op op;
    command_fn fn;
} commands[] = {
    { PROTO_OP_PING, cmd_ping },
    { PROTO_OP_SEARCH, cmd_search },
    { PROTO_OP_STATUS, cmd_status },
    { PROTO_OP_ADD, cmd_add },
    { PROTO_OP_FAILURES, cmd_failures },
    { PROTO_OP_RELOAD, cmd_reload },
};

void
commands_dispatch(struct conn *c, const struct proto_request *req)
{
    struct commands_ctx *ctx = server_ctx(conn_server(c));

    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (commands[i].op == req->op) {
            commands[i].fn(c, req, ctx);
            return;
        }
    }
    reply_error(c, req->id, SD_ERR_INTERNAL, "operation not implemented");
}
