/*
 * spool.h - keeps the index current with the --watch folders while
 * searchd runs: places the watches (watch.h) and turns what the watcher
 * reports into indexer jobs.  Every report becomes indexer_submit of its
 * path (a changed file is re-extracted, a path that is gone is forgotten
 * with everything below it, a new folder or a root to rescan is walked).
 * When the indexer's queue is full the root concerned is remembered and
 * rescanned from a timer once there is room: no change is dropped.
 *
 * Ownership: borrows the event base and the indexer (both must outlive
 * it); owns its watcher, its retry timer and its copy of the roots.
 */
#ifndef SEARCHD_SPOOL_H
#define SEARCHD_SPOOL_H

#include <stddef.h>

#include <event2/event.h>

#include "indexer.h"

/* How long to wait before retrying rescans the full queue refused. */
#define SPOOL_RETRY_MS 1000

struct spool;

/*
 * A spool feeding ix (borrowed, must outlive it) from the event loop base
 * (borrowed).  index_dir (may be NULL or relative; resolved now) will
 * never be watched, so the index's own writes cannot feed the indexer.
 * settle_ms: the watcher's settle time (0: its default).  No inotify
 * instance exists until the first spool_add.  Returns a spool owned by
 * the caller (spool_free), or NULL with err filled when its loop event
 * cannot be created.
 */
struct spool *spool_new(struct event_base *base, struct indexer *ix,
                        const char *index_dir, unsigned settle_ms,
                        char *err, size_t errlen);

/*
 * Watch root (an absolute folder path, copied) from now on; a root inside
 * another is watched as part of it, whichever was added first.  Call it
 * before submitting the root's start-up scan: the watches are then in
 * place before the scan walks a folder, so nothing created in between is
 * missed.  Failures are logged here (the root is then left to the
 * start-up scan) and returned: 0, -EEXIST (already watched as part of
 * another root), -ENOMEM (no loop events for the watcher), or what
 * watcher_add returns.
 */
int spool_add(struct spool *sp, const char *root);

/* Stop watching and free.  Call before indexer_free.  NULL is fine. */
void spool_free(struct spool *sp);

#endif /* SEARCHD_SPOOL_H */
