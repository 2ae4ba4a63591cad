/*
 * health.h - the faults searchd is living with now, for `status`.
 *
 * Every part of the daemon that meets a lasting fault (a shard that
 * cannot write: disk full; an index opened read-only; a watched folder
 * that went away) sets an entry here, and clears it when the fault is
 * over; the `status` op lists them.  One process-wide table, because
 * the reporters (shard threads, the watcher on the loop, start-up) and
 * the reader (commands.c) have no other object in common; a mutex makes
 * it safe from any thread.  Entries are keyed by (what, subject): setting
 * the same key again replaces the message and keeps the first time.
 */
#ifndef SEARCHD_HEALTH_H
#define SEARCHD_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* The kinds of fault (the entries' "what" on the wire). */
#define HEALTH_DISK_FULL      "disk_full"       /* a shard cannot write */
#define HEALTH_WRITE_FAILED   "write_failed"    /* other write failures */
#define HEALTH_READ_ONLY      "read_only"       /* the index is read-only */
#define HEALTH_FOLDER_MISSING "folder_missing"  /* a watched folder is gone */

/* One fault; every string owned by the array health_list returns. */
struct health_entry {
    char *what;             /* one of the HEALTH_ names */
    char *subject;          /* the shard, index or folder it concerns */
    char *message;          /* what happened and what searchd does */
    time_t since;           /* when it was first set */
};

/* Set (or update) the fault (what, subject); strings are copied. */
void health_set(const char *what, const char *subject, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The fault is over (nothing happens if it was not set). */
void health_clear(const char *what, const char *subject);

/* Is (what, subject) set? */
int health_is_set(const char *what, const char *subject);

/* Every fault now, oldest first: an owned array (health_list_free). */
struct health_entry *health_list(size_t *n_out);
void health_list_free(struct health_entry *v, size_t n);

/* "ok", "read-only" (the index is, and nothing else is wrong) or
 * "degraded"; static storage. */
const char *health_summary(void);

/* Forget every entry (the daemon's end, and tests). */
void health_reset(void);

#endif /* SEARCHD_HEALTH_H */
