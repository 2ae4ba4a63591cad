/*
 * qpool.h - the query workers: a few threads, each with its own read-only
 * index handle, that run searches off the event loop and encode the
 * reply line.  Finished jobs come back to the loop through a libevent
 * user event, where their callback runs.
 *
 * Readers reopen their handle when the indexer's commit generation moved
 * on, and once more when Xapian reports the handle fell behind.
 */
#ifndef SEARCHD_QPOOL_H
#define SEARCHD_QPOOL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>
#include <jansson.h>

#include "indexer.h"
#include "proto.h"

/* Most searches waiting for a worker; past that qpool_submit says -EBUSY. */
#define QPOOL_MAX_QUEUE 1024
#define QPOOL_DEFAULT_THREADS 2
/* Times a search is retried on a fresh handle when a writer moved the
 * index under it (XAP_EMODIFIED). */
#define QPOOL_MAX_RETRIES 5

struct qpool;

/* Called on the loop thread with the reply line (borrowed for the call);
 * NULL and 0 for a search dropped because its client was gone. */
typedef void (*qpool_done_cb)(const char *reply, size_t len, void *arg);

/*
 * Start nthreads workers, each opening dir read-only.  ix (borrowed) gives
 * the commit generation.  Returns NULL with err filled on failure.
 */
struct qpool *qpool_new(const char *dir, unsigned nthreads,
                        struct indexer *ix, struct event_base *base,
                        char *err, size_t errlen);

/*
 * Queue the search req (PROTO_OP_SEARCH; borrowed: what the search needs
 * is copied, and a reference to its id taken, to echo in the reply).  cb
 * runs on the loop thread with the encoded reply (a result or an error).
 * gone (borrowed, may be NULL; valid until cb has run) says whether the
 * client can still read the reply: a search whose gone reads true when a
 * thread takes it is not run, and cb gets NULL (qpool_abandoned).
 *
 * The queue is fair between clients: *fair_tag (the submitting client's,
 * owned by the caller, 0 at first; NULL: no client) orders its searches
 * after those of clients with fewer waiting (start-time fair queueing),
 * so one client pipelining many searches delays the others' by about one
 * search each, not by all of its own.  Returns 0 or -EBUSY.
 */
int qpool_submit(struct qpool *qp, const struct proto_request *req,
                 uint64_t *fair_tag, const atomic_bool *gone,
                 qpool_done_cb cb, void *arg);

/* Searches not run because their client was gone, since qpool_new.
 * Thread-safe. */
uint64_t qpool_abandoned(struct qpool *qp);

/* Stop the workers (queued searches get a shutdown error reply) and free.
 * Runs on the loop thread.  NULL is fine. */
void qpool_free(struct qpool *qp);

#endif /* SEARCHD_QPOOL_H */
