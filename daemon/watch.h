/*
 * watch.h - live watching of spool folders: a recursive inotify watcher
 * driven by the event loop.  It watches every folder below each root
 * (symbolic links not followed, names spool_name_is_skipped refuses left
 * out, at most WATCH_MAX_DEPTH folders deep, as the indexer's walk) and
 * reports, after a settle time, which paths changed, went away or
 * appeared as new folders, so the caller can hand them to the indexer.
 *
 * What is reported (each path at most once per settle; the latest kind
 * wins, and nothing is reported below a folder that is itself about to be
 * reported as removed, added or rescanned, since that covers it):
 *   WATCH_CHANGED    a regular file was written and closed, moved in,
 *                    created, or had its attributes changed.  A file seen
 *                    created or modified but not yet closed is reported
 *                    only after its close (then settle_ms), or after
 *                    open_quiet_ms without any event if it stays open.
 *   WATCH_REMOVED    a file or folder was deleted or moved away (a root
 *                    that disappears too); nothing more comes from below
 *                    a folder moved out of the tree.
 *   WATCH_DIR_ADDED  a folder was created or moved in; its whole subtree is
 *                    watched before this is reported, so scanning it then
 *                    finds every file created before the watches were
 *                    in place.
 *   WATCH_RESCAN     events may have been lost (the kernel queue
 *                    overflowed, more than max_pending paths waited to
 *                    settle, or not every folder of the root could be
 *                    watched, then every rescan_ms): scan the whole root.
 * A rename within the tree is REMOVED(old) and CHANGED or DIR_ADDED(new).
 *
 * Everything runs on the loop thread.  The watcher borrows the event
 * base (which must outlive it) and owns its inotify descriptor, its
 * events, the folder table and the table of paths waiting to settle.
 */
#ifndef SEARCHD_WATCH_H
#define SEARCHD_WATCH_H

#include <stddef.h>

#include <event2/event.h>

#define WATCH_DEFAULT_SETTLE_MS     500
#define WATCH_DEFAULT_OPEN_QUIET_MS 10000
#define WATCH_DEFAULT_MAX_DELAY_MS  60000
#define WATCH_DEFAULT_MAX_PENDING   100000
#define WATCH_DEFAULT_RESCAN_MS     60000
/* A lost root is looked for this often (or every rescan_ms if less). */
#define WATCH_LOST_POLL_MS          2000
/* Folders deeper than this below a root are not watched (nor walked by
 * the indexer). */
#define WATCH_MAX_DEPTH             64

enum watch_event {
    WATCH_CHANGED,
    WATCH_REMOVED,
    WATCH_DIR_ADDED,
    WATCH_RESCAN,
};

/*
 * Runs on the loop thread.  path is the absolute path concerned (for
 * WATCH_RESCAN the root itself); root is the watched root it lies under,
 * as given to watcher_add.  Both are borrowed for the call.  The callback
 * must not call watcher_* functions on this watcher.
 */
typedef void (*watch_cb)(enum watch_event ev, const char *path,
                         const char *root, void *arg);

/* The timing and the caps; every field 0 means its default. */
struct watch_limits {
    unsigned settle_ms;     /* quiet time after a path's last event */
    unsigned open_quiet_ms; /* the same for a file not yet closed */
    unsigned max_delay_ms;  /* no path waits longer from its first event,
                             * however busy it stays */
    unsigned max_pending;   /* paths waiting; past it: WATCH_RESCAN */
    unsigned max_watches;   /* our own cap on folders watched, below the
                             * kernel's (0: only the kernel's) */
    unsigned rescan_ms;     /* period of rescans of roots not fully
                             * watched, and of checks for a lost root */
};

/*
 * A new watcher on base (borrowed).  lim (may be NULL: defaults) is
 * copied.  cb and arg are kept until watcher_free.  Returns a watcher
 * owned by the caller (watcher_free), or NULL with err filled when the
 * loop's events cannot be created.  If inotify itself is not available
 * (e.g. /proc/sys/fs/inotify/max_user_instances reached) the watcher
 * logs a warning and works by periodic rescans of every root instead.
 */
struct watcher *watcher_new(struct event_base *base,
                            const struct watch_limits *lim, watch_cb cb,
                            void *arg, char *err, size_t errlen);

/*
 * Never watch folder dir (absolute, copied) or anything below it, e.g.
 * the index when it lies inside a watched folder: its own writes would
 * otherwise feed the indexer forever.  Call before watcher_add.
 */
void watcher_exclude(struct watcher *w, const char *dir);

/*
 * Watch root (an absolute path to a folder, copied) and every folder
 * below it.  Nothing is reported for files already there: the caller
 * scans the root after this returns, so nothing created in between is
 * missed.  Roots already added that lie below root are watched as part
 * of it from then on (their later reports name root), so the order of
 * the calls does not matter.  Hitting the inotify watch limit is not an
 * error: the root is then rescanned every rescan_ms (logged once, naming
 * /proc/sys/fs/inotify/max_user_watches).  Returns 0, -EEXIST when root
 * is, or lies below, a root already watched, -ENOTDIR, or -errno of
 * lstat(2) or inotify_add_watch(2) on root.
 */
int watcher_add(struct watcher *w, const char *root);

/* Stop watching and free everything; paths still waiting to settle are
 * dropped (a restart scans the roots).  NULL is fine. */
void watcher_free(struct watcher *w);

#endif /* SEARCHD_WATCH_H */
