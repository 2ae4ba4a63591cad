/*
 * indexer.h - the background indexing engine.
 *
 * Paths (files or folders) arrive in a job queue from `add` requests,
 * start-up scans and the spool watcher.  A scanner thread expands
 * folders and routes each file to one of the index's shards (by a hash
 * of its path).  Each shard has a writer thread that owns that shard's
 * only writable Xapian handle: it checks the file against its record
 * (filestate.h), sends changed files to the extraction worker pool
 * (worker.h: plugins run in child processes, never here), writes what
 * comes back and commits in batches.  Extraction of one file overlaps
 * with writing of others, and the shards are written in parallel.
 * Readers open the index folder, which Xapian opens as all shards at once.
 * Finished jobs' callbacks run on the event loop (a libevent user event).
 *
 * Ownership: the indexer borrows the registry and the event base (both
 * must outlive it) and owns its threads, queues, pool and index handles.
 */
#ifndef SEARCHD_INDEXER_H
#define SEARCHD_INDEXER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/event.h>

#include "plugins.h"
#include "worker.h"

/* Commit after this many documents, or this long after the first
 * uncommitted change, whichever comes first, and whenever the queue runs
 * dry. */
#define INDEXER_BATCH_DOCS      1000
#define INDEXER_BATCH_SECONDS   2
/* Most queued jobs; past that indexer_submit refuses with -EBUSY. */
#define INDEXER_MAX_JOBS        4096
/* Most shards a new index is made of. */
#define INDEXER_MAX_SHARDS      16
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
    uint64_t probed;        /* files a worker probed (not extracted) to
                             * tell whether plugins that came or went
                             * change their plugin, since start */
    uint64_t files_done;    /* files looked at since start (indexed,
                             * unchanged, failed or gone) */
    uint64_t generation;    /* bumped after every commit */
    bool scan_done;         /* every job submitted with is_scan is done */
    double files_per_s;     /* files looked at, over the last ~10 s */
    double docs_per_s;      /* documents written, over the last ~10 s */
    unsigned shards;
    unsigned workers;
    const char *sandbox;    /* static: the workers' sandbox (sandbox.h) */
};

/* One failed file, for the `failures` op. */
struct indexer_failure {
    char *path;             /* owned */
    size_t path_len;
    char *plugin;           /* owned; "" when no plugin took the file */
    char *reason;           /* owned */
};

struct indexer_config {
    const char *dir;            /* the index folder */
    const struct plugins *reg;  /* the daemon's registry (probing, state);
                                 * borrowed until indexer_set_plugins
                                 * hands it back, or indexer_free */
    unsigned shards;            /* for a new index; 0 = one per CPU */
    unsigned batch_docs;        /* commit after this many changes;
                                 * 0: INDEXER_BATCH_DOCS */
    unsigned batch_ms;          /* or this long after the first;
                                 * 0: INDEXER_BATCH_SECONDS */
    struct wpool_config pool;   /* the extraction workers */
};

/* Defaults for the documents of one folder (indexer_set_defaults). */
struct indexer_defaults {
    const char *dir;
    const char *outlet;         /* NULL: none */
    const char *lang;           /* NULL: none */
};

/*
 * Open (create) the writable index in cfg->dir.  A new index is a folder
 * of cfg->shards Xapian databases ("shard-00", ...) and a Xapian stub file
 * "XAPIANDB" naming them, so that Xapian (and its tools: delve, quest)
 * opens the folder as one database; a folder that is itself a Xapian
 * database (an index made before sharding) is used as one shard.  The
 * shard count of an existing index never changes.  Returns a new indexer
 * owned by the caller (indexer_free), or NULL with err filled (e.g. the
 * index is locked by another process).  Threads start with
 * indexer_start.
 */
struct indexer *indexer_new(const struct indexer_config *cfg,
                            struct event_base *base, char *err,
                            size_t errlen);

/*
 * Defaults for documents from files below each d[i].dir (the longest
 * matching dir wins), used when the plugin did not set the field (it
 * cannot know, say, the outlet of a folder of plain text files).  NULL
 * leaves a field alone.  Replaces the defaults set before (a reload);
 * files indexed from now on get them.  Strings are copied.  Loop thread;
 * safe while the indexer runs.
 */
void indexer_set_defaults(struct indexer *ix, const struct indexer_defaults *d,
                          size_t n);

/*
 * A reload of the plugins, in two steps.  After indexer_plugins_lock no
 * indexer thread uses the registry, so the caller may free it and load
 * the plugin folder again (the old libraries must be closed first: a
 * library still open under the same path would be handed back by dlopen
 * instead of the new file).  indexer_plugins_unlock then takes reg
 * (borrowed from now on) and pool's settings for the workers
 * (wpool_reload); *changed_out says whether the plugins or their
 * versions differ, so files are worth scanning again (their records then
 * say which to extract anew).  Loop thread; safe while the indexer runs.
 */
void indexer_plugins_lock(struct indexer *ix);
void indexer_plugins_unlock(struct indexer *ix, const struct plugins *reg,
                            const struct wpool_config *pool,
                            bool *changed_out);

/* Commit after docs changes or ms after the first (0: the defaults). */
void indexer_set_batch(struct indexer *ix, unsigned docs, unsigned ms);

/* Start the threads (none for a read-only index). */
int indexer_start(struct indexer *ix);

/*
 * Why the index is read-only (its folder cannot be written: permissions,
 * a read-only mount), borrowed for the indexer's life; NULL when it is
 * writable.  A read-only index is searched as usual, but indexes nothing:
 * indexer_submit says -EROFS.  Set by indexer_new, which then opens no
 * writer and starts no thread.
 */
const char *indexer_readonly(const struct indexer *ix);

/*
 * Queue path (len bytes, copied).  -EROFS on a read-only index.  is_scan marks a start-up scan job (for
 * scan_done).  cb (may be NULL) runs on the loop thread when the job is
 * done, or with -ECANCELED at shutdown.  Returns 0, or -EBUSY when the
 * queue is full, -EINVAL for an empty or over-long path.
 */
int indexer_submit(struct indexer *ix, const char *path, size_t len,
                   bool is_scan, indexer_done_cb cb, void *arg);

void indexer_stats(struct indexer *ix, struct indexer_stats *out);

/* Every file whose last extraction failed, sorted by path: an owned array
 * (indexer_failures_free) of *n_out entries. */
struct indexer_failure *indexer_failures(struct indexer *ix, size_t *n_out);
void indexer_failures_free(struct indexer_failure *f, size_t n);

/* The counter readers compare to know they must reopen; thread-safe. */
uint64_t indexer_generation(struct indexer *ix);

/*
 * Stop: extractions in progress are abandoned (their workers killed),
 * each shard commits what it has written and the threads exit; jobs not
 * finished get their callback with -ECANCELED.  Nothing is lost: files
 * not recorded are found again by the next start's scan.  Runs on the
 * loop thread (it delivers those callbacks).  Then free.  NULL is fine.
 */
void indexer_free(struct indexer *ix);

#endif /* SEARCHD_INDEXER_H */
