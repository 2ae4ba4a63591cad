/*
 * indexer.h - the index writer: one thread that owns the only writable
 * Xapian handle, takes paths (files or folders) from a queue, extracts
 * them with the plugin registry and writes the documents, committing in
 * batches.  It never runs on the event loop; it reports back to the loop
 * through a libevent user event, on which finished jobs' callbacks run.
 *
 * Ownership: the indexer borrows the registry and the event base (both
 * must outlive it) and owns its thread, queue and index handle.
 */
#ifndef SEARCHD_INDEXER_H
#define SEARCHD_INDEXER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "plugins.h"

/* Commit after this many documents, or this long after the first
 * uncommitted change, whichever comes first, and whenever the queue runs
 * dry. */
#define INDEXER_BATCH_DOCS      1000
#define INDEXER_BATCH_SECONDS   2
/* Most queued jobs; past that indexer_submit refuses with -EBUSY. */
#define INDEXER_MAX_JOBS        4096
/* Most per-file errors kept in one job's result. */
#define INDEXER_MAX_JOB_ERRORS  100

struct indexer;

struct indexer_error {
    char *path;     /* owned */
    size_t path_len;
    char *reason;   /* owned */
};

/* What one job did; handed to its callback, borrowed for the call. */
struct indexer_result {
    int status;                 /* 0; -errno of stat(2) on the path
                                 * (-ENOENT, -EACCES, ...); -EIO (index
                                 * write failed); -ECANCELED (shutdown) */
    char message[512];          /* when status != 0 */
    uint64_t files;             /* files looked at */
    uint64_t documents;         /* documents written */
    uint64_t failed;            /* files that could not be indexed */
    struct indexer_error *errors; /* first INDEXER_MAX_JOB_ERRORS of them */
    size_t n_errors;
};

/* Runs on the loop thread once the job is done and committed. */
typedef void (*indexer_done_cb)(const struct indexer_result *res, void *arg);

/* Counters for `status`; read with indexer_stats. */
struct indexer_stats {
    uint64_t documents;     /* documents in the index at the last commit */
    uint64_t queued;        /* files (and unexpanded folders) waiting */
    uint64_t failed;        /* files whose last extraction failed (kept
                             * across restarts; retried when they change) */
    uint64_t indexed_files; /* files (re)indexed since start */
    uint64_t unchanged;     /* files found unchanged since start */
    uint64_t generation;    /* bumped after every commit */
    bool scan_done;         /* every job submitted with is_scan is done */
};

/*
 * Open (create) the writable index in dir.  Returns a new indexer owned by
 * the caller (indexer_free), or NULL with err filled (e.g. the index is
 * locked by another process).  The thread starts with indexer_start.
 */
struct indexer *indexer_new(const char *dir, const struct plugins *reg,
                            struct event_base *base, char *err,
                            size_t errlen);
int indexer_start(struct indexer *ix);

/*
 * Queue path (len bytes, copied).  is_scan marks a start-up scan job (for
 * scan_done).  cb (may be NULL) runs on the loop thread when the job is
 * done, or with -ECANCELED at shutdown.  Returns 0, or -EBUSY when the
 * queue is full, -EINVAL for an empty or over-long path.
 */
int indexer_submit(struct indexer *ix, const char *path, size_t len,
                   bool is_scan, indexer_done_cb cb, void *arg);

void indexer_stats(struct indexer *ix, struct indexer_stats *out);

/* The counter readers compare to know they must reopen; thread-safe. */
uint64_t indexer_generation(struct indexer *ix);

/*
 * Stop: the thread finishes the file it is on, commits and exits; jobs
 * still queued get their callback with -ECANCELED.  Runs on the loop
 * thread (it delivers those callbacks).  Then free.  NULL is fine.
 */
void indexer_free(struct indexer *ix);

#endif /* SEARCHD_INDEXER_H */
