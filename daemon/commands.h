/*
 * commands.h - the operations of the protocol: a table from op to handler.
 * ping and status answer at once on the loop; search goes to the query
 * pool; add goes to the indexer and answers when the files are committed.
 */
#ifndef SEARCHD_COMMANDS_H
#define SEARCHD_COMMANDS_H

#include <time.h>

#include "conn.h"
#include "indexer.h"
#include "plugins.h"
#include "proto.h"
#include "qpool.h"

/* What the handlers need; all borrowed, owned by main. */
struct commands_ctx {
    struct plugins *plugins;
    struct indexer *indexer;
    struct qpool *qpool;
    time_t started;
};

/* Handle one parsed request from c (req borrowed for the call).  The
 * reply is sent now or when the work is done. */
void commands_dispatch(struct conn *c, const struct proto_request *req);

#endif /* SEARCHD_COMMANDS_H */
