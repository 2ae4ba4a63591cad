/*
 * spool.c - the --watch folders, live: watcher reports to indexer jobs
 * (spool.h).
 *
 * Full queue: when indexer_submit says -EBUSY the root the path lies
 * under is marked; reports under a marked root are not submitted (its
 * rescan covers them) and a timer submits the rescan once the queue has
 * room.  That is logged once per episode, not once per path.
 *
 * A watched folder that goes away (deleted, moved, its disk unmounted)
 * keeps its documents: the watcher reports the root removed, and that
 * report alone is not passed on (it would forget every file below);
 * status lists it as a folder_missing fault.  When the folder is back the
 * watcher reports a rescan, which forgets what is really gone.  A root
 * missing at start is polled for here until it appears.  To drop the
 * documents of a folder gone for good: `searchc --add` it (an add of a
 * missing path forgets it), or take it out of the settings and run
 * `searchd --rebuild`.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "health.h"
#include "log.h"
#include "spool.h"
#include "util.h"
#include "watch.h"

struct spool_root {
    char *path;             /* owned; as given to watcher_add */
    bool needs_rescan;      /* the queue was full: rescan it when it is
                             * not */
    bool is_missing;        /* missing at spool_add: not in the watcher
                             * yet; polled for */
};

/* How often a watched folder missing since the start is looked for. */
#define SPOOL_MISSING_POLL_MS 2000

struct spool {
    struct event_base *base;    /* borrowed */
    struct indexer *ix;     /* borrowed */
    unsigned settle_ms;
    char *index_dir;        /* owned; absolute, or NULL */
    struct watcher *w;      /* owned; NULL until the first root */
    struct event *retry_ev; /* owned */
    struct event *poll_ev;  /* owned; looks for missing roots */
    struct spool_root *roots;   /* owned array */
    size_t n_roots;
    bool is_busy_logged;    /* the "queue full" warning of this episode */
};

static const char *
event_name(enum watch_event ev)
{
    switch (ev) {
    case WATCH_CHANGED:   return "changed";
    case WATCH_REMOVED:   return "removed";
    case WATCH_DIR_ADDED: return "new folder";
    case WATCH_RESCAN:    return "rescan";
    }
    return "?";
}

static struct spool_root *
find_root(struct spool *sp, const char *root)
{
    for (size_t i = 0; i < sp->n_roots; i++)
        if (strcmp(sp->roots[i].path, root) == 0)
            return &sp->roots[i];
    return NULL;
}

static void
arm_retry(struct spool *sp)
{
    struct timeval tv = { SPOOL_RETRY_MS / 1000,
                          (SPOOL_RETRY_MS % 1000) * 1000 };

    if (!evtimer_pending(sp->retry_ev, NULL))
        evtimer_add(sp->retry_ev, &tv);
}

/* Queue path; on a full queue mark r for a rescan instead. */
static void
submit(struct spool *sp, struct spool_root *r, const char *path)
{
    int rc = indexer_submit(sp->ix, path, strlen(path), false, NULL, NULL);

    if (rc == -EBUSY) {
        r->needs_rescan = true;
        if (!sp->is_busy_logged)
            log_warn("spool: %s: the indexer queue is full; rescanning the "
                     "folder once it has room", r->path);
        sp->is_busy_logged = true;
        arm_retry(sp);
    } else if (rc < 0) {
        log_warn("spool: %s: cannot queue: %s", path, strerror(-rc));
    }
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
    struct spool *sp = arg;
    bool again = false;

    (void)fd;
    (void)what;
    for (size_t i = 0; i < sp->n_roots; i++) {
        struct spool_root *r = &sp->roots[i];

        if (!r->needs_rescan)
            continue;
        r->needs_rescan = false;
        submit(sp, r, r->path);
        if (r->needs_rescan)
            again = true;
        else
            log_info("spool: %s: rescan queued", r->path);
    }
    if (!again)
        sp->is_busy_logged = false;
}

static void
set_missing(const char *root)
{
    health_set(HEALTH_FOLDER_MISSING, root, "the watched folder is "
               "missing; its documents are kept until it is back");
}

static void
watch_cb_fn(enum watch_event ev, const char *path, const char *root,
            void *arg)
{
    struct spool *sp = arg;
    struct spool_root *r = find_root(sp, root);

    if (r == NULL)
        return;
    if (strcmp(path, root) == 0) {
        if (ev == WATCH_REMOVED) {
            /* Maybe an unmounted disk: forget nothing. */
            if (!health_is_set(HEALTH_FOLDER_MISSING, root))
                log_warn("spool: %s: the watched folder is gone; keeping "
                         "its documents until it is back", root);
            set_missing(root);
            return;
        }
        health_clear(HEALTH_FOLDER_MISSING, root);
    }
    if (r->needs_rescan)
        return;
    log_debug("spool: %s: %s", path, event_name(ev));
    submit(sp, r, path);
}

static void poll_cb(evutil_socket_t fd, short what, void *arg);

struct spool *
spool_new(struct event_base *base, struct indexer *ix, const char *index_dir,
          unsigned settle_ms, char *err, size_t errlen)
{
    struct spool *sp = xcalloc(1, sizeof *sp);

    sp->base = base;
    sp->ix = ix;
    sp->settle_ms = settle_ms;
    sp->index_dir = index_dir ? realpath(index_dir, NULL) : NULL;
    sp->retry_ev = evtimer_new(base, retry_cb, sp);
    sp->poll_ev = evtimer_new(base, poll_cb, sp);
    if (sp->retry_ev == NULL || sp->poll_ev == NULL) {
        snprintf(err, errlen, "spool: cannot create loop events");
        spool_free(sp);
        return NULL;
    }
    return sp;
}

/* The watcher, created on first use: no inotify instance without roots. */
static int
ensure_watcher(struct spool *sp)
{
    struct watch_limits lim = { .settle_ms = sp->settle_ms };
    char err[256];

    if (sp->w)
        return 0;
    sp->w = watcher_new(sp->base, &lim, watch_cb_fn, sp, err, sizeof err);
    if (sp->w == NULL) {
        log_err("spool: %s; changes are picked up only at the next start",
                err);
        return -ENOMEM;
    }
    if (sp->index_dir)
        watcher_exclude(sp->w, sp->index_dir);
    return 0;
}

/* Look for the roots missing since they were added. */
static void
poll_cb(evutil_socket_t fd, short what, void *arg)
{
    struct spool *sp = arg;
    bool again = false;

    (void)fd;
    (void)what;
    for (size_t i = 0; i < sp->n_roots; i++) {
        struct spool_root *r = &sp->roots[i];
        struct stat st;

        if (!r->is_missing)
            continue;
        if (stat(r->path, &st) < 0 || !S_ISDIR(st.st_mode) ||
            watcher_add(sp->w, r->path) < 0) {
            again = true;
            continue;
        }
        r->is_missing = false;
        health_clear(HEALTH_FOLDER_MISSING, r->path);
        log_info("spool: %s: the watched folder is there; watching and "
                 "scanning it", r->path);
        submit(sp, r, r->path);
    }
    if (again) {
        struct timeval tv = { SPOOL_MISSING_POLL_MS / 1000,
                              (SPOOL_MISSING_POLL_MS % 1000) * 1000 };

        evtimer_add(sp->poll_ev, &tv);
    }
}

int
spool_add(struct spool *sp, const char *root)
{
    int rc = ensure_watcher(sp);

    if (rc < 0)
        return rc;
    rc = watcher_add(sp->w, root);
    if (rc == -ENOENT) {
        log_warn("spool: %s: the watched folder is missing; keeping its "
                 "documents, looking for it every %u s", root,
                 SPOOL_MISSING_POLL_MS / 1000);
        sp->roots = xrealloc(sp->roots, (sp->n_roots + 1) * sizeof *sp->roots);
        sp->roots[sp->n_roots++] =
            (struct spool_root){ xstrdup(root), false, true };
        set_missing(root);
        poll_cb(-1, 0, sp);
    } else if (rc == -EEXIST) {
        log_info("spool: %s: already watched", root);
    } else if (rc < 0) {
        log_err("spool: %s: cannot watch: %s; changes are picked up only "
                "at the next start", root, strerror(-rc));
    } else {
        sp->roots = xrealloc(sp->roots, (sp->n_roots + 1) * sizeof *sp->roots);
        sp->roots[sp->n_roots++] =
            (struct spool_root){ xstrdup(root), false, false };
        log_info("spool: watching %s", root);
    }
    return rc;
}

void
spool_free(struct spool *sp)
{
    if (sp == NULL)
        return;
    watcher_free(sp->w);
    if (sp->retry_ev)
        event_free(sp->retry_ev);
    if (sp->poll_ev)
        event_free(sp->poll_ev);
    for (size_t i = 0; i < sp->n_roots; i++)
        free(sp->roots[i].path);
    free(sp->roots);
    free(sp->index_dir);
    free(sp);
}
