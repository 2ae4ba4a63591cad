/*
 * watch.c - recursive inotify watching on the event loop (watch.h).
 *
 * Three tables:
 *   - the watched folders, a tree of nodes (one per inotify watch) found
 *     by watch descriptor through a hash, so that a folder deleted or
 *     moved away drops its whole subtree without a scan of every watch;
 *   - the paths waiting to settle, found by path through a hash;
 *   - the same paths in a min-heap by deadline, so one libevent timer,
 *     armed for the earliest deadline, serves them all.
 *
 * Settling: every event on a path pushes its deadline to now + settle_ms
 * (now + open_quiet_ms while the file has been created or modified but
 * not closed since: a writer that keeps its file open is still writing),
 * but never past first event + max_delay_ms.  When the deadline passes
 * the path is reported, unless a folder above it is waiting to be
 * reported as removed, added or rescanned: that report covers it, which
 * also folds an `rm -r` of a big tree into one WATCH_REMOVED.
 *
 * Folders are added to the tree synchronously, on the loop: a subtree
 * moved in is walked (folders only) before its WATCH_DIR_ADDED, so the
 * caller's scan of it cannot miss a file.  A huge tree moved in at once
 * holds the loop for the time of that walk.
 *
 * A folder moved within the tree is dropped and watched afresh under its
 * new name (a subtree walk), rather than renamed in place by pairing
 * IN_MOVED_FROM and IN_MOVED_TO cookies: simpler, and the indexer has to
 * walk the new path anyway since its records are by path.
 */
#include "config.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "watch.h"

#define WATCH_MASK                                                          \
    (IN_CREATE | IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_MOVED_FROM |   \
     IN_MOVED_TO | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | \
     IN_DONT_FOLLOW | IN_EXCL_UNLINK)
/* Bounded work per wakeup: reads of the inotify fd, paths reported. */
#define WATCH_READS_PER_EVENT   16
#define WATCH_EMITS_PER_EVENT   4096
#define WATCH_READ_BUF          65536

struct root {
    struct root *next;
    char *path;             /* owned; absolute, no trailing "/" but "/" */
    size_t len;
    struct node *node;      /* the root folder's watch; NULL while lost or
                             * when it could not be watched */
    bool is_degraded;       /* not every folder is watched: rescanned
                             * every rescan_ms */
    bool is_lost;           /* the folder went away: looked for every
                             * rescan_ms */
    bool is_merged;         /* inside a root added later, which watches
                             * it now; kept for pending entries */
};

struct node {               /* one watched folder */
    int wd;
    char *path;             /* owned */
    size_t len;
    unsigned depth;         /* 0 for a root */
    struct root *root;      /* borrowed: roots live until watcher_free */
    struct node *parent;    /* NULL for a root */
    struct node *child;     /* first child */
    struct node *prev, *next;   /* siblings */
    struct node *hnext;     /* wd hash chain */
};

struct pending {            /* one path waiting to settle */
    char *path;             /* owned */
    size_t len;
    uint32_t hash;
    enum watch_event kind;
    bool is_open;           /* created or modified, no close seen since */
    struct root *root;      /* borrowed */
    uint64_t first_ms;      /* monotonic time of its first event */
    uint64_t deadline_ms;
    uint64_t seq;           /* orders equal deadlines: first come first */
    size_t heap_idx;
    struct pending *hnext;  /* path hash chain */
};

struct watcher {
    struct event_base *base;    /* borrowed */
    struct watch_limits lim;
    watch_cb cb;
    void *cb_arg;
    int fd;                     /* inotify; -1 if unavailable */
    struct event *read_ev;      /* owned; NULL without inotify */
    struct event *timer_ev;     /* owned; the earliest deadline */
    uint64_t next_rescan_ms;    /* degraded roots' next rescan (mono_ms) */
    struct event *tick_ev;      /* owned; every rescan_ms while a root is
                                 * degraded or lost */
    struct root *roots;         /* owned list */
    char **excluded;            /* owned, each owned */
    size_t n_excluded;

    struct node **wd_tab;       /* owned array; the nodes are owned */
    size_t wd_cap;              /* power of two */
    size_t n_nodes;

    struct pending **p_tab;     /* owned array; entries owned */
    size_t p_cap;               /* power of two */
    struct pending **heap;      /* owned array (p_cap long) of the same
                                 * entries, a min-heap by deadline */
    size_t n_pending;
    uint64_t seq;

    char *buf;                  /* owned; WATCH_READ_BUF, for read(2) */
};

static uint64_t
mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* dir + "/" + name, owned. */
static char *
join(const char *dir, size_t dlen, const char *name)
{
    return xasprintf("%s%s%s", dir, dlen > 0 && dir[dlen - 1] == '/' ? ""
                                                                      : "/",
                     name);
}

/* ---- the folder tree ---------------------------------------------------- */

static struct node *
wd_find(const struct watcher *w, int wd)
{
    struct node *n;

    if (w->wd_cap == 0)
        return NULL;
    for (n = w->wd_tab[(unsigned)wd & (w->wd_cap - 1)]; n; n = n->hnext)
        if (n->wd == wd)
            return n;
    return NULL;
}

static void
wd_insert(struct watcher *w, struct node *n)
{
    size_t i;

    if (w->n_nodes >= w->wd_cap) {
        size_t cap = w->wd_cap ? w->wd_cap * 2 : 64;
        struct node **tab = xcalloc(cap, sizeof *tab);

        for (i = 0; i < w->wd_cap; i++) {
            struct node *m = w->wd_tab[i], *next;
            for (; m; m = next) {
                next = m->hnext;
                m->hnext = tab[(unsigned)m->wd & (cap - 1)];
                tab[(unsigned)m->wd & (cap - 1)] = m;
            }
        }
        free(w->wd_tab);
        w->wd_tab = tab;
        w->wd_cap = cap;
    }
    i = (unsigned)n->wd & (w->wd_cap - 1);
    n->hnext = w->wd_tab[i];
    w->wd_tab[i] = n;
    w->n_nodes++;
}

static void
wd_remove(struct watcher *w, struct node *n)
{
    struct node **pp = &w->wd_tab[(unsigned)n->wd & (w->wd_cap - 1)];

    while (*pp != n)
        pp = &(*pp)->hnext;
    *pp = n->hnext;
    w->n_nodes--;
}

static struct node *
child_find(const struct node *parent, const char *path)
{
    for (struct node *c = parent->child; c; c = c->next)
        if (strcmp(c->path, path) == 0)
            return c;
    return NULL;
}

/* Forget n and everything below it; with rm_watch also tell the kernel
 * (errors ignored: the folder may be gone, its watch with it). */
static void
subtree_remove(struct watcher *w, struct node *n, bool rm_watch)
{
    while (n->child)
        subtree_remove(w, n->child, rm_watch);
    if (rm_watch && w->fd >= 0)
        inotify_rm_watch(w->fd, n->wd);
    wd_remove(w, n);
    if (n->parent) {
        if (n->prev)
            n->prev->next = n->next;
        else
            n->parent->child = n->next;
        if (n->next)
            n->next->prev = n->prev;
    }
    if (n->root->node == n)
        n->root->node = NULL;
    free(n->path);
    free(n);
}

static bool
is_excluded(const struct watcher *w, const char *path)
{
    for (size_t i = 0; i < w->n_excluded; i++)
        if (strcmp(w->excluded[i], path) == 0)
            return true;
    return false;
}

/* Every rescan_ms while a root is degraded, every WATCH_LOST_POLL_MS
 * (at most) while one is lost: a folder that comes back (a disk mounted
 * again) is watched and scanned within seconds. */
static void
ensure_tick(struct watcher *w)
{
    unsigned ms = w->lim.rescan_ms;
    bool any_lost = false;
    struct timeval tv;

    for (struct root *r = w->roots; r; r = r->next)
        any_lost = any_lost || (r->is_lost && !r->is_merged);
    if (any_lost && ms > WATCH_LOST_POLL_MS)
        ms = WATCH_LOST_POLL_MS;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (suseconds_t)(ms % 1000) * 1000;
    if (!evtimer_pending(w->tick_ev, NULL) || any_lost)
        evtimer_add(w->tick_ev, &tv);
}

static void
degrade(struct watcher *w, struct root *r)
{
    if (r->is_degraded)
        return;
    r->is_degraded = true;
    if (w->fd < 0)
        log_warn("watch: %s: not watched (no inotify); rescanned every %u s "
                 "instead", r->path, (w->lim.rescan_ms + 999) / 1000);
    else
        log_warn("watch: %s: inotify watch limit reached; not every "
                 "folder below it is watched, so it is rescanned every %u s "
                 "instead (raise /proc/sys/fs/inotify/max_user_watches and "
                 "restart for live updates)", r->path,
                 (w->lim.rescan_ms + 999) / 1000);
    ensure_tick(w);
}

/* Add a watch on folder path.  Returns 1 with *out set for a new watch, 0
 * when the folder already has one (a race between an event and a
 * listing), or -errno. */
static int
add_watch(struct watcher *w, struct root *r, struct node *parent,
          const char *path, unsigned depth, struct node **out)
{
    struct node *n;
    int wd;

    if (w->fd < 0 || (w->lim.max_watches > 0 &&
                      w->n_nodes >= w->lim.max_watches))
        return -ENOSPC;
    wd = inotify_add_watch(w->fd, path, WATCH_MASK);
    if (wd < 0)
        return -errno;
    if (wd_find(w, wd) != NULL)
        return 0;
    n = xcalloc(1, sizeof *n);
    n->wd = wd;
    n->path = xstrdup(path);
    n->len = strlen(path);
    n->depth = depth;
    n->root = r;
    n->parent = parent;
    if (parent) {
        n->next = parent->child;
        if (n->next)
            n->next->prev = n;
        parent->child = n;
    } else {
        r->node = n;
    }
    wd_insert(w, n);
    *out = n;
    return 1;
}

/*
 * Watch folder path (depth below its root; parent NULL for the root) and
 * every folder below it not yet watched.  Returns 0 (unreadable or
 * vanished folders are logged or ignored and skipped), -ENOSPC when the
 * watch limit stopped the walk (the root is then degraded), or for the
 * root itself -errno of inotify_add_watch.
 */
static int
watch_tree(struct watcher *w, struct root *r, struct node *parent,
           const char *path, unsigned depth)
{
    struct node *n = NULL;
    struct dirent *de;
    DIR *d;
    int rc;

    if (depth > WATCH_MAX_DEPTH) {
        log_warn("watch: %s: folder nesting deeper than %d; not watched",
                 path, WATCH_MAX_DEPTH);
        return 0;
    }
    if (is_excluded(w, path))
        return 0;
    rc = add_watch(w, r, parent, path, depth, &n);
    if (rc == -ENOSPC || rc == -ENOMEM) {
        degrade(w, r);
        return -ENOSPC;
    }
    if (rc < 0 && parent == NULL)
        return rc;
    if (rc < 0) {
        if (rc != -ENOENT && rc != -ENOTDIR)
            log_warn("watch: %s: cannot watch: %s", path, strerror(-rc));
        return 0;
    }
    if (rc == 0)
        return 0;
    d = opendir(path);
    if (d == NULL) {
        if (errno != ENOENT && errno != ENOTDIR)
            log_warn("watch: %s: cannot read folder: %s", path,
                     strerror(errno));
        return 0;
    }
    rc = 0;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        struct stat st;
        char *sub;

        if (spool_name_is_skipped(de->d_name) ||
            (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN))
            continue;
        sub = join(n->path, n->len, de->d_name);
        if (de->d_type == DT_DIR ||
            (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)))
            rc = watch_tree(w, r, n, sub, depth + 1);
        free(sub);
    }
    closedir(d);
    return rc;
}

/* ---- paths waiting to settle --------------------------------------------- */

static uint32_t
hash_path(const char *s, size_t len)
{
    uint32_t h = 2166136261u;   /* FNV-1a */

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

static struct pending *
pend_find(const struct watcher *w, const char *path, size_t len,
          uint32_t hash)
{
    struct pending *p;

    if (w->p_cap == 0)
        return NULL;
    for (p = w->p_tab[hash & (w->p_cap - 1)]; p; p = p->hnext)
        if (p->hash == hash && p->len == len &&
            memcmp(p->path, path, len) == 0)
            return p;
    return NULL;
}

static bool
pend_before(const struct pending *a, const struct pending *b)
{
    if (a->deadline_ms != b->deadline_ms)
        return a->deadline_ms < b->deadline_ms;
    return a->seq < b->seq;
}

static void
heap_set(struct watcher *w, size_t i, struct pending *p)
{
    w->heap[i] = p;
    p->heap_idx = i;
}

static void
heap_up(struct watcher *w, size_t i)
{
    struct pending *p = w->heap[i];

    while (i > 0 && pend_before(p, w->heap[(i - 1) / 2])) {
        heap_set(w, i, w->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(w, i, p);
}

static void
heap_down(struct watcher *w, size_t i)
{
    struct pending *p = w->heap[i];

    for (;;) {
        size_t c = 2 * i + 1;

        if (c >= w->n_pending)
            break;
        if (c + 1 < w->n_pending && pend_before(w->heap[c + 1], w->heap[c]))
            c++;
        if (!pend_before(w->heap[c], p))
            break;
        heap_set(w, i, w->heap[c]);
        i = c;
    }
    heap_set(w, i, p);
}

static void
pend_insert(struct watcher *w, struct pending *p)
{
    size_t i;

    if (w->n_pending >= w->p_cap) {
        size_t cap = w->p_cap ? w->p_cap * 2 : 256;
        struct pending **tab = xcalloc(cap, sizeof *tab);

        for (i = 0; i < w->p_cap; i++) {
            struct pending *q = w->p_tab[i], *next;
            for (; q; q = next) {
                next = q->hnext;
                q->hnext = tab[q->hash & (cap - 1)];
                tab[q->hash & (cap - 1)] = q;
            }
        }
        free(w->p_tab);
        w->p_tab = tab;
        w->p_cap = cap;
        w->heap = xrealloc(w->heap, cap * sizeof *w->heap);
    }
    i = p->hash & (w->p_cap - 1);
    p->hnext = w->p_tab[i];
    w->p_tab[i] = p;
    heap_set(w, w->n_pending++, p);
    heap_up(w, p->heap_idx);
}

/* Unlink p from both tables (the caller frees it). */
static void
pend_unlink(struct watcher *w, struct pending *p)
{
    struct pending **pp = &w->p_tab[p->hash & (w->p_cap - 1)];
    size_t i = p->heap_idx;

    while (*pp != p)
        pp = &(*pp)->hnext;
    *pp = p->hnext;
    w->n_pending--;
    if (i < w->n_pending) {
        struct pending *last = w->heap[w->n_pending];

        heap_set(w, i, last);
        heap_up(w, i);
        heap_down(w, last->heap_idx);
    }
}

static void
pend_free(struct pending *p)
{
    free(p->path);
    free(p);
}

static void
pend_clear(struct watcher *w)
{
    for (size_t i = 0; i < w->n_pending; i++)
        pend_free(w->heap[i]);
    if (w->p_cap)
        memset(w->p_tab, 0, w->p_cap * sizeof *w->p_tab);
    w->n_pending = 0;
}

static void rescan_all(struct watcher *w, uint64_t now);

/*
 * Note an event of kind on path under root r.  open: 1 the file is being
 * written (created or modified), 0 it was closed or moved in, -1 no news.
 * bypass_cap is for rescan_all itself.
 */
static void
queue(struct watcher *w, struct root *r, enum watch_event kind,
      const char *path, size_t len, int open, uint64_t now, bool bypass_cap)
{
    uint32_t hash = hash_path(path, len);
    struct pending *p = pend_find(w, path, len, hash);
    uint64_t deadline, latest;

    if (p == NULL) {
        if (!bypass_cap && w->n_pending >= w->lim.max_pending) {
            log_warn("watch: over %u paths waiting to settle; dropping them "
                     "and rescanning every watched folder instead",
                     w->lim.max_pending);
            rescan_all(w, now);
            return;
        }
        p = xcalloc(1, sizeof *p);
        p->path = xstrndup(path, len);
        p->len = len;
        p->hash = hash;
        p->first_ms = now;
        p->root = r;
        p->deadline_ms = now;
        p->seq = w->seq++;
        pend_insert(w, p);
    }
    p->kind = kind;
    if (open >= 0)
        p->is_open = open > 0;
    if (kind != WATCH_CHANGED)
        p->is_open = false;
    deadline = now + (p->is_open ? w->lim.open_quiet_ms : w->lim.settle_ms);
    latest = p->first_ms + w->lim.max_delay_ms;
    if (deadline > latest)
        deadline = latest > now ? latest : now;
    p->deadline_ms = deadline;
    p->seq = w->seq++;
    heap_up(w, p->heap_idx);
    heap_down(w, p->heap_idx);
}

/* Events may be lost: drop what waits (the rescans cover it) and rescan
 * every root (a lost root stays reported as removed). */
static void
rescan_all(struct watcher *w, uint64_t now)
{
    pend_clear(w);
    for (struct root *r = w->roots; r; r = r->next)
        if (!r->is_merged)
            queue(w, r, r->is_lost ? WATCH_REMOVED : WATCH_RESCAN, r->path,
                  r->len, 0, now, true);
}

/* True when a folder above p waits to be reported removed, added or
 * rescanned: that report covers p. */
static bool
is_covered(const struct watcher *w, const struct pending *p)
{
    for (size_t i = p->len; i-- > p->root->len;) {
        const struct pending *a;

        if (p->path[i] != '/')
            continue;
        a = pend_find(w, p->path, i, hash_path(p->path, i));
        if (a && a->kind != WATCH_CHANGED)
            return true;
    }
    return false;
}

static void
emit(struct watcher *w, const struct pending *p)
{
    enum watch_event kind = p->kind;
    struct stat st;

    if (kind == WATCH_CHANGED) {
        /* Only regular files: not symbolic links (the indexer would
         * follow them), sockets or fifos; a path now a folder has its own
         * event. */
        if (lstat(p->path, &st) < 0)
            kind = WATCH_REMOVED;
        else if (!S_ISREG(st.st_mode))
            return;
    }
    w->cb(kind, p->path, p->root->path, w->cb_arg);
}

static void
arm_timer(struct watcher *w)
{
    uint64_t now, delay;
    struct timeval tv;

    if (w->n_pending == 0) {
        evtimer_del(w->timer_ev);
        return;
    }
    now = mono_ms();
    delay = w->heap[0]->deadline_ms > now ? w->heap[0]->deadline_ms - now : 0;
    tv.tv_sec = (time_t)(delay / 1000);
    tv.tv_usec = (suseconds_t)(delay % 1000) * 1000;
    evtimer_add(w->timer_ev, &tv);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
    struct watcher *w = arg;
    uint64_t now = mono_ms();
    unsigned budget = WATCH_EMITS_PER_EVENT;

    (void)fd;
    (void)what;
    while (w->n_pending > 0 && w->heap[0]->deadline_ms <= now &&
           budget-- > 0) {
        struct pending *p = w->heap[0];
        bool covered = is_covered(w, p);

        pend_unlink(w, p);
        if (!covered)
            emit(w, p);
        pend_free(p);
    }
    arm_timer(w);
}

/* ---- inotify events ------------------------------------------------------ */

/* The root folder itself went away (deleted, moved, unmounted). */
static void
root_lost(struct watcher *w, struct root *r, uint64_t now)
{
    if (r->node)
        subtree_remove(w, r->node, true);
    if (r->is_lost)
        return;
    r->is_lost = true;
    log_warn("watch: %s: the watched folder went away; looking for it "
             "every %u s", r->path,
             ((w->lim.rescan_ms < WATCH_LOST_POLL_MS ? w->lim.rescan_ms
                                                     : WATCH_LOST_POLL_MS) +
              999) / 1000);
    queue(w, r, WATCH_REMOVED, r->path, r->len, 0, now, true);
    ensure_tick(w);
}

/* The kernel dropped the watch of n (IN_IGNORED) while we still had it:
 * the folder was deleted (its parent reports that) or unmounted (then it
 * is still there: watch it again and have it scanned). */
static void
node_ignored(struct watcher *w, struct node *n, uint64_t now)
{
    struct root *r = n->root;
    struct node *parent = n->parent;
    unsigned depth = n->depth;
    struct stat st;
    char *path;

    if (r->node == n) {
        root_lost(w, r, now);
        return;
    }
    path = xstrdup(n->path);
    subtree_remove(w, n, true);
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        watch_tree(w, r, parent, path, depth);
        queue(w, r, WATCH_DIR_ADDED, path, strlen(path), 0, now, false);
    }
    free(path);
}

static void
dir_event(struct watcher *w, struct node *n, uint32_t mask, char *path,
          uint64_t now)
{
    size_t len = strlen(path);

    if (mask & (IN_CREATE | IN_MOVED_TO)) {
        if (n->depth + 1 > WATCH_MAX_DEPTH || is_excluded(w, path)) {
            if (n->depth + 1 > WATCH_MAX_DEPTH)
                log_warn("watch: %s: folder nesting deeper than %d; not "
                         "watched", path, WATCH_MAX_DEPTH);
            return;
        }
        watch_tree(w, n->root, n, path, n->depth + 1);
        queue(w, n->root, WATCH_DIR_ADDED, path, len, 0, now, false);
    } else if (mask & (IN_DELETE | IN_MOVED_FROM)) {
        struct node *c = child_find(n, path);

        if (c)
            subtree_remove(w, c, true);
        queue(w, n->root, WATCH_REMOVED, path, len, 0, now, false);
    }
}

static void
file_event(struct watcher *w, struct node *n, uint32_t mask, char *path,
           uint64_t now)
{
    size_t len = strlen(path);

    if (mask & (IN_DELETE | IN_MOVED_FROM))
        queue(w, n->root, WATCH_REMOVED, path, len, 0, now, false);
    else if (mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
        queue(w, n->root, WATCH_CHANGED, path, len, 0, now, false);
    else if (mask & (IN_CREATE | IN_MODIFY))
        queue(w, n->root, WATCH_CHANGED, path, len, 1, now, false);
    else if (mask & IN_ATTRIB)
        queue(w, n->root, WATCH_CHANGED, path, len, -1, now, false);
}

static void
handle_event(struct watcher *w, const struct inotify_event *ev, uint64_t now)
{
    struct node *n;
    char *path;

    if (ev->mask & IN_Q_OVERFLOW) {
        log_warn("watch: the inotify queue overflowed; rescanning every "
                 "watched folder (raise /proc/sys/fs/inotify/"
                 "max_queued_events if this recurs)");
        rescan_all(w, now);
        return;
    }
    n = wd_find(w, ev->wd);
    if (n == NULL)
        return;         /* a watch already dropped; its last words */
    if (ev->mask & IN_IGNORED) {
        node_ignored(w, n, now);
        return;
    }
    if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT)) {
        /* Below a root the parent's event says it (or IN_IGNORED). */
        if (n->root->node == n)
            root_lost(w, n->root, now);
        return;
    }
    if (ev->len == 0 || ev->name[0] == '\0' ||
        spool_name_is_skipped(ev->name))
        return;
    path = join(n->path, n->len, ev->name);
    if (ev->mask & IN_ISDIR)
        dir_event(w, n, ev->mask, path, now);
    else
        file_event(w, n, ev->mask, path, now);
    free(path);
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct watcher *w = arg;

    (void)what;
    for (int i = 0; i < WATCH_READS_PER_EVENT; i++) {
        ssize_t n = read(fd, w->buf, WATCH_READ_BUF);
        uint64_t now = mono_ms();
        size_t off = 0;

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno != EAGAIN)
            log_err("watch: reading inotify events: %s", strerror(errno));
        if (n <= 0)
            break;
        while (off + sizeof(struct inotify_event) <= (size_t)n) {
            const struct inotify_event *ev =
                (const struct inotify_event *)(w->buf + off);

            handle_event(w, ev, now);
            off += sizeof *ev + ev->len;
        }
    }
    arm_timer(w);
}

/* Every rescan_ms while a root is degraded or lost. */
static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct watcher *w = arg;
    uint64_t now = mono_ms();
    bool again = false;
    /* The tick may come sooner while a root is lost: degraded roots are
     * still rescanned only every rescan_ms (a tenth early is close
     * enough: the timer's own rounding). */
    bool rescan_due = now >= w->next_rescan_ms;

    (void)fd;
    (void)what;
    if (rescan_due)
        w->next_rescan_ms = now + w->lim.rescan_ms / 10 * 9;
    for (struct root *r = w->roots; r; r = r->next) {
        struct stat st;

        if (r->is_merged)
            continue;
        if (r->is_lost && lstat(r->path, &st) == 0 && S_ISDIR(st.st_mode)) {
            r->is_lost = false;
            log_info("watch: %s: the watched folder is back", r->path);
            watch_tree(w, r, NULL, r->path, 0);
            queue(w, r, WATCH_RESCAN, r->path, r->len, 0, now, true);
        } else if (r->is_degraded && !r->is_lost && rescan_due) {
            queue(w, r, WATCH_RESCAN, r->path, r->len, 0, now, true);
        }
        again = again || r->is_lost || r->is_degraded;
    }
    if (again)
        ensure_tick(w);
    arm_timer(w);
}

/* ---- the API ------------------------------------------------------------- */

struct watcher *
watcher_new(struct event_base *base, const struct watch_limits *lim,
            watch_cb cb, void *arg, char *err, size_t errlen)
{
    struct watcher *w = xcalloc(1, sizeof *w);

    assert(base && cb);
    w->base = base;
    if (lim)
        w->lim = *lim;
#define DEFAULT(f, v) if (w->lim.f == 0) w->lim.f = (v)
    DEFAULT(settle_ms, WATCH_DEFAULT_SETTLE_MS);
    DEFAULT(open_quiet_ms, WATCH_DEFAULT_OPEN_QUIET_MS);
    DEFAULT(max_delay_ms, WATCH_DEFAULT_MAX_DELAY_MS);
    DEFAULT(max_pending, WATCH_DEFAULT_MAX_PENDING);
    DEFAULT(rescan_ms, WATCH_DEFAULT_RESCAN_MS);
#undef DEFAULT
    if (w->lim.open_quiet_ms < w->lim.settle_ms)
        w->lim.open_quiet_ms = w->lim.settle_ms;
    if (w->lim.max_delay_ms < w->lim.open_quiet_ms)
        w->lim.max_delay_ms = w->lim.open_quiet_ms;
    w->cb = cb;
    w->cb_arg = arg;
    w->buf = xmalloc(WATCH_READ_BUF);
    w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->fd < 0)
        log_warn("watch: inotify unavailable (%s; see /proc/sys/fs/inotify/"
                 "max_user_instances); watched folders are rescanned every "
                 "%u s instead", strerror(errno),
                 (w->lim.rescan_ms + 999) / 1000);
    w->timer_ev = evtimer_new(base, timer_cb, w);
    w->tick_ev = evtimer_new(base, tick_cb, w);
    if (w->fd >= 0)
        w->read_ev = event_new(base, w->fd, EV_READ | EV_PERSIST, read_cb, w);
    if (w->timer_ev == NULL || w->tick_ev == NULL ||
        (w->fd >= 0 && (w->read_ev == NULL || event_add(w->read_ev, NULL)))) {
        snprintf(err, errlen, "watch: cannot create loop events");
        watcher_free(w);
        return NULL;
    }
    return w;
}

void
watcher_exclude(struct watcher *w, const char *dir)
{
    assert(dir && dir[0] == '/');
    w->excluded = xrealloc(w->excluded,
                           (w->n_excluded + 1) * sizeof *w->excluded);
    w->excluded[w->n_excluded++] = xstrdup(dir);
}

/* Is path at or below dir (dlen bytes)? */
static bool
is_at_or_below(const char *path, size_t len, const char *dir, size_t dlen)
{
    return len >= dlen && memcmp(path, dir, dlen) == 0 &&
           (len == dlen || path[dlen] == '/' || dir[dlen - 1] == '/');
}

int
watcher_add(struct watcher *w, const char *root)
{
    size_t len = strlen(root);
    struct root *r, **tail;
    struct stat st;
    int rc;

    assert(root[0] == '/');
    while (len > 1 && root[len - 1] == '/')
        len--;
    for (tail = &w->roots; *tail; tail = &(*tail)->next)
        if (is_at_or_below(root, len, (*tail)->path, (*tail)->len))
            return -EEXIST;
    if (lstat(root, &st) < 0)
        return -errno;
    if (!S_ISDIR(st.st_mode))
        return -ENOTDIR;
    r = xcalloc(1, sizeof *r);
    r->path = xstrndup(root, len);
    r->len = len;
    /* Roots inside the new one are watched as part of it from now on:
     * their watches are placed again by the walk below. */
    for (struct root *in = w->roots; in; in = in->next) {
        if (in->is_merged || !is_at_or_below(in->path, in->len, root, len))
            continue;
        if (in->node)
            subtree_remove(w, in->node, true);
        in->is_merged = true;
        in->is_lost = in->is_degraded = false;
    }
    rc = watch_tree(w, r, NULL, r->path, 0);
    if (rc < 0 && rc != -ENOSPC) {
        free(r->path);
        free(r);
        return rc;
    }
    *tail = r;
    return 0;
}

void
watcher_free(struct watcher *w)
{
    if (w == NULL)
        return;
    for (struct root *r = w->roots, *next; r; r = next) {
        next = r->next;
        if (r->node)
            subtree_remove(w, r->node, false);
        free(r->path);
        free(r);
    }
    pend_clear(w);
    if (w->read_ev)
        event_free(w->read_ev);
    if (w->tick_ev)
        event_free(w->tick_ev);
    if (w->timer_ev)
        event_free(w->timer_ev);
    if (w->fd >= 0)
        close(w->fd);
    for (size_t i = 0; i < w->n_excluded; i++)
        free(w->excluded[i]);
    free(w->excluded);
    free(w->wd_tab);
    free(w->p_tab);
    free(w->heap);
    free(w->buf);
    free(w);
}
