/*
 * commands.h - the operations of the protocol: a table from op to handler.
 * ping and status answer at once on the loop; search goes to the query
 * pool; add goes to the indexer and answers when the files are committed;
 * reload re-reads the settings and plugins at once, on the loop.
 *
 * Operations that change state (add, reload) are allowed only to the
 * daemon's own user, root, and members of the admin-group; the peer is the
 * kernel's record (SO_PEERCRED, conn.h).  An add must also name a path
 * inside a watched folder or an add-root, after resolving symlinks.
 */
#ifndef SEARCHD_COMMANDS_H
#define SEARCHD_COMMANDS_H

#include <time.h>

#include "conf.h"
#include "conn.h"
#include "indexer.h"
#include "plugins.h"
#include "proto.h"
#include "qpool.h"

/* What the handlers need; all borrowed, owned by main. */
struct commands_ctx {
    struct plugins *plugins;    /* main swaps it on a reload */
    struct indexer *indexer;
    struct qpool *qpool;
    /* The settings in effect: watched folders, add-roots, admin-group.
     * main replaces them in place on a reload; NULL: no roots, no group. */
    const struct settings *settings;
    time_t started;
    /* The reload op: re-read the settings and plugins (main.c); 0, or -1
     * with err filled.  NULL: not offered. */
    int (*reload)(void *arg, char *err, size_t errlen);
    void *reload_arg;
};

/* Handle one parsed request from c (req borrowed for the call).  The
 * reply is sent now or when the work is done. */
void commands_dispatch(struct conn *c, const struct proto_request *req);

#endif /* SEARCHD_COMMANDS_H */
