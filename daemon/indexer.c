/*
 * indexer.c - the writer thread: queue of paths, folder walks, extraction,
 * batched commits, completions posted back to the event loop.
 *
 * Which files are indexed (documented in searchd(8)): regular files only;
 * symbolic links met inside a folder are not followed (no loops, no
 * escaping the spool); names starting with "." (hidden files, editor
 * and crawler temporaries such as ".foo.swp") or ending in "~", ".tmp",
 * ".part", ".partial", ".crdownload" or ".swp" are skipped.
 *
 * Incremental: every file looked at gets a record (filestate.h) in the
 * index metadata, written in the same commit as its documents.  A file
 * whose mtime and size match its record, still handled by the same
 * plugin version, is skipped without being read; one whose content hash
 * still matches only has its record's mtime updated.  Failed files have
 * records too and are retried only when they change (or the plugins do).
 * A folder scan forgets the files under it that are gone.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "extract.h"
#include "filestate.h"
#include "indexer.h"
#include "log.h"
#include "util.h"
#include "xap.h"

struct job {
    struct job *next;
    char *path;             /* owned */
    size_t path_len;
    bool is_scan;
    indexer_done_cb cb;
    void *arg;
    struct indexer_result res;
};

struct indexer {
    const struct plugins *reg;  /* borrowed */
    struct event_base *base;    /* borrowed */
    struct event *done_ev;      /* owned; drains `done` on the loop */
    xap_db *db;                 /* owned; only the thread touches it once
                                 * started */
    pthread_t thread;
    bool is_started;

    pthread_mutex_t lock;       /* guards everything below */
    pthread_cond_t cond;
    struct job *head, *tail;    /* queued jobs */
    size_t n_jobs;
    struct job *done_head, *done_tail; /* finished, for the loop */
    bool is_stopping;
    unsigned scans_pending;

    /* Counters, read without the lock by indexer_stats. */
    _Atomic uint64_t documents;
    _Atomic uint64_t queued;
    _Atomic uint64_t failed;
    _Atomic uint64_t indexed_files;
    _Atomic uint64_t unchanged;
    _Atomic uint64_t generation;

    uint64_t plugin_set;        /* filestate_plugin_set(reg) */
    uint64_t plugin_versions;   /* filestate_plugin_versions(reg) */

    /* Thread-only state. */
    uint64_t uncommitted;       /* documents changed since the last commit */
    struct timespec first_change;
};

static void
job_free(struct job *j)
{
    if (j == NULL)
        return;
    for (size_t i = 0; i < j->res.n_errors; i++) {
        free(j->res.errors[i].path);
        free(j->res.errors[i].reason);
    }
    free(j->res.errors);
    free(j->path);
    free(j);
}

static double
seconds_since(const struct timespec *t)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) +
           (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* ---- on the writer thread ---------------------------------------------- */

static int
commit(struct indexer *ix)
{
    uint64_t count = 0;
    xap_status st;

    if (ix->uncommitted == 0)
        return 0;
    st = xap_commit(ix->db);
    if (st != XAP_OK) {
        log_err("indexer: commit failed: %s: %s", xap_status_str(st),
                xap_last_error(ix->db));
        return -EIO;
    }
    if (xap_doc_count(ix->db, &count) == XAP_OK)
        atomic_store(&ix->documents, count);
    log_info("indexer: committed %llu changes; %llu documents",
             (unsigned long long)ix->uncommitted, (unsigned long long)count);
    ix->uncommitted = 0;
    atomic_fetch_add(&ix->generation, 1);
    return 0;
}

static void
note_change(struct indexer *ix, uint64_t n)
{
    if (ix->uncommitted == 0)
        clock_gettime(CLOCK_MONOTONIC, &ix->first_change);
    ix->uncommitted += n;
}

static bool
batch_is_due(const struct indexer *ix)
{
    return ix->uncommitted >= INDEXER_BATCH_DOCS ||
           (ix->uncommitted > 0 &&
            seconds_since(&ix->first_change) >= INDEXER_BATCH_SECONDS);
}

static void
job_error(struct job *j, const char *path, const char *reason)
{
    struct indexer_error *e;

    j->res.failed++;
    if (j->res.n_errors >= INDEXER_MAX_JOB_ERRORS)
        return;
    if (j->res.errors == NULL)
        j->res.errors = xcalloc(INDEXER_MAX_JOB_ERRORS, sizeof *e);
    e = &j->res.errors[j->res.n_errors++];
    e->path = xstrdup(path);
    e->path_len = strlen(path);
    e->reason = xstrdup(reason);
}

static bool
is_skipped_name(const char *name)
{
    static const char *const suffixes[] = {
        "~", ".tmp", ".part", ".partial", ".crdownload", ".swp",
    };
    size_t len = strlen(name);

    if (name[0] == '.')
        return true;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t sl = strlen(suffixes[i]);
        if (len >= sl && strcmp(name + len - sl, suffixes[i]) == 0)
            return true;
    }
    return false;
}

struct pathv {
    char **v;
    size_t n, cap;
};

static void
pathv_push(struct pathv *pv, char *path)
{
    if (pv->n == pv->cap) {
        pv->cap = pv->cap ? pv->cap * 2 : 64;
        pv->v = xrealloc(pv->v, pv->cap * sizeof *pv->v);
    }
    pv->v[pv->n++] = path;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collect the files below dir (sorted, so runs are reproducible). */
static void
walk(struct indexer *ix, struct job *j, const char *dir, struct pathv *out,
     unsigned depth)
{
    DIR *d;
    struct dirent *de;
    struct pathv here = { 0 };

    if (depth > 64) {
        job_error(j, dir, "folder nesting deeper than 64; not walked");
        return;
    }
    d = opendir(dir);
    if (d == NULL) {
        char reason[128];
        snprintf(reason, sizeof reason, "cannot read folder: %s",
                 strerror(errno));
        log_warn("indexer: %s: %s", dir, reason);
        job_error(j, dir, reason);
        return;
    }
    while ((de = readdir(d)) != NULL) {
        if (is_skipped_name(de->d_name))
            continue;
        pathv_push(&here, xasprintf("%s/%s", dir, de->d_name));
    }
    closedir(d);
    qsort(here.v, here.n, sizeof *here.v, cmp_str);
    for (size_t i = 0; i < here.n; i++) {
        struct stat st;
        char *p = here.v[i];

        if (lstat(p, &st) < 0 || S_ISLNK(st.st_mode)) {
            free(p);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            walk(ix, j, p, out, depth + 1);
            free(p);
        } else if (S_ISREG(st.st_mode)) {
            pathv_push(out, p);
        } else {
            free(p);
        }
    }
    free(here.v);
}

/* ---- file records ------------------------------------------------------ */

/* The record under key, decoded into *out (owned: filestate_clear); false
 * when there is none, or it is unreadable or for another path (a hash
 * key collision): the file is then treated as new. */
static bool
load_state(struct indexer *ix, const char *key, size_t klen,
           const char *path, size_t plen, struct filestate *out)
{
    char *val = NULL;
    size_t len = 0;
    bool ok;

    memset(out, 0, sizeof *out);
    if (xap_meta_get(ix->db, key, klen, &val, &len) != XAP_OK)
        return false;
    ok = filestate_decode(val, len, out) == 0 && out->path_len == plen &&
         memcmp(out->path, path, plen) == 0;
    if (!ok) {
        log_warn("indexer: %s: unreadable file record; indexing it anew",
                 path);
        filestate_clear(out);
    }
    free(val);
    return ok;
}

static xap_status
save_state(struct indexer *ix, const struct filestate *fs)
{
    char key[FILESTATE_KEY_MAX];
    size_t klen = filestate_key(fs->path, fs->path_len, key), len;
    char *val = filestate_encode(fs, &len);
    xap_status st = xap_meta_set(ix->db, key, klen, val, len);

    free(val);
    return st;
}

/* The plugin that would take path now, probing its head; NULL if none. */
static const struct plugin_entry *
probe_again(struct indexer *ix, const char *path)
{
    unsigned char head[PLUGINS_PROBE_BYTES];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    ssize_t n;

    if (fd < 0)
        return NULL;
    do
        n = pread(fd, head, sizeof head, 0);
    while (n < 0 && errno == EINTR);
    close(fd);
    return n < 0 ? NULL
                 : plugins_pick(ix->reg, path, head, (size_t)n, NULL);
}

/* Would extracting path now give what its record says?  Yes when the
 * same plugin at the same version would take it. */
static bool
state_is_current(struct indexer *ix, const struct filestate *fs)
{
    const struct plugin_entry *pe;

    if (fs->plugin[0] == '\0')      /* no plugin took it */
        return fs->plugin_set == ix->plugin_versions;
    pe = plugins_find(ix->reg, fs->plugin);
    if (pe == NULL || strcmp(pe->desc->version, fs->plugin_version) != 0)
        return false;
    /* Plugins came or went since: would another one win now? */
    return fs->plugin_set == ix->plugin_set ||
           probe_again(ix, fs->path) == pe;
}

/* Drop path's documents and record (old: its record, or NULL). */
static void
forget_file(struct indexer *ix, const char *path, const struct filestate *old)
{
    char key[FILESTATE_KEY_MAX];
    size_t klen = filestate_key(path, strlen(path), key);
    uint64_t n = 0;

    if (xap_delete_path(ix->db, path, &n) == XAP_OK && n > 0)
        note_change(ix, n);
    if (old != NULL) {
        if (xap_meta_set(ix->db, key, klen, NULL, 0) == XAP_OK)
            note_change(ix, 1);
        if (old->status == FILESTATE_FAILED)
            atomic_fetch_sub(&ix->failed, 1);
    }
}

struct under {
    const char *dir;
    size_t dlen;
    struct pathv *out;
};

static int
under_cb(const char *key, size_t klen, const char *val, size_t vlen,
         void *arg)
{
    struct under *u = arg;
    struct filestate fs;

    (void)key;
    (void)klen;
    if (filestate_decode(val, vlen, &fs) != 0)
        return 0;
    if (fs.path_len > u->dlen && memcmp(fs.path, u->dir, u->dlen) == 0 &&
        (fs.path[u->dlen] == '/' || u->dir[u->dlen - 1] == '/'))
        pathv_push(u->out, xstrdup(fs.path));
    filestate_clear(&fs);
    return 0;
}

/* The paths of every record below folder dir, into out. */
static void
records_under(struct indexer *ix, const char *dir, struct pathv *out)
{
    struct under u = { dir, strlen(dir), out };
    char *prefix = xasprintf("%c%s/", FILESTATE_KEY_PATH, dir);
    size_t plen = strlen(prefix);
    char h = FILESTATE_KEY_HASH;

    /* Longer prefixes: every file below has a hash key. */
    if (plen <= XAP_MAX_META_KEY)
        xap_meta_each(ix->db, prefix, plen, under_cb, &u);
    xap_meta_each(ix->db, &h, 1, under_cb, &u);
    free(prefix);
}

/* Forget every file below dir whose path is not in keep (sorted; may be
 * empty): they were deleted or moved away. */
static void
forget_under(struct indexer *ix, const char *dir, const struct pathv *keep)
{
    struct pathv gone = { 0 };

    records_under(ix, dir, &gone);
    for (size_t i = 0; i < gone.n; i++) {
        char *p = gone.v[i];
        if (keep->n == 0 ||
            bsearch(&p, keep->v, keep->n, sizeof *keep->v, cmp_str) == NULL) {
            char key[FILESTATE_KEY_MAX];
            struct filestate old;
            size_t klen = filestate_key(p, strlen(p), key);

            if (load_state(ix, key, klen, p, strlen(p), &old)) {
                log_info("indexer: %s: gone; forgetting it", p);
                forget_file(ix, p, &old);
                filestate_clear(&old);
            }
        }
        free(p);
    }
    free(gone.v);
}

static int64_t
mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static void
index_file(struct indexer *ix, struct job *j, const char *path)
{
    struct extract_result er = { 0 };
    struct filestate old, rec = { 0 };
    char key[FILESTATE_KEY_MAX];
    size_t plen = strlen(path), klen = filestate_key(path, plen, key);
    bool have_old = load_state(ix, key, klen, path, plen, &old);
    bool was_failed = have_old && old.status == FILESTATE_FAILED;
    struct stat st;
    uint64_t hash = 0;
    int rc, fd;
    xap_status xs;

    j->res.files++;
    if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
        /* Gone since it was listed: drop what the index had of it. */
        forget_file(ix, path, have_old ? &old : NULL);
        job_error(j, path, "file vanished");
        goto out;
    }
    if (have_old && old.mtime_ns == mtime_ns(&st) &&
        old.size == (uint64_t)st.st_size && state_is_current(ix, &old)) {
        atomic_fetch_add(&ix->unchanged, 1);
        goto out;
    }
    /* A hash error leaves hash 0; extract_file then says what is wrong. */
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) {
        if (filestate_hash_fd(fd, EXTRACT_MAX_FILE_BYTES, &hash) < 0)
            hash = 0;
        close(fd);
    }
    if (have_old && hash != 0 && old.hash == hash &&
        old.size == (uint64_t)st.st_size && state_is_current(ix, &old)) {
        /* Touched, not changed. */
        old.mtime_ns = mtime_ns(&st);
        if (save_state(ix, &old) == XAP_OK)
            note_change(ix, 1);
        atomic_fetch_add(&ix->unchanged, 1);
        goto out;
    }
    rc = extract_file(ix->reg, path, &er);
    if (rc == -ENOENT) {
        forget_file(ix, path, have_old ? &old : NULL);
        job_error(j, path, "file vanished");
        goto out;
    }
    /* Replace everything this file made before: a container may now hold
     * fewer members, and a file that now fails has no documents. */
    xs = xap_delete_path(ix->db, path, NULL);
    if (rc < 0) {
        log_warn("indexer: %s: %s", path, er.reason);
        job_error(j, path, er.reason);
        filestate_set(&rec, path, plen, mtime_ns(&st), (uint64_t)st.st_size,
                      hash, 0, FILESTATE_FAILED,
                      er.plugin ? er.plugin->desc->name : "",
                      er.plugin ? er.plugin->desc->version : "", er.reason);
        rec.plugin_set = er.plugin ? ix->plugin_set : ix->plugin_versions;
        if (!was_failed)
            atomic_fetch_add(&ix->failed, 1);
    } else {
        for (size_t i = 0; xs == XAP_OK && i < er.n; i++)
            xs = xap_replace(ix->db, er.docs[i]);
        filestate_set(&rec, path, plen, mtime_ns(&st), (uint64_t)st.st_size,
                      hash, er.n, FILESTATE_OK, er.plugin->desc->name,
                      er.plugin->desc->version, NULL);
        rec.plugin_set = ix->plugin_set;
        if (was_failed)
            atomic_fetch_sub(&ix->failed, 1);
    }
    if (xs == XAP_OK)
        xs = save_state(ix, &rec);
    if (xs != XAP_OK) {
        char reason[300];
        snprintf(reason, sizeof reason, "index write failed: %s: %s",
                 xap_status_str(xs), xap_last_error(ix->db));
        log_err("indexer: %s: %s", path, reason);
        job_error(j, path, reason);
        j->res.status = -EIO;
        snprintf(j->res.message, sizeof j->res.message, "%s", reason);
        goto out;
    }
    note_change(ix, er.n + 1);
    if (rc == 0) {
        log_debug("indexer: %s: %zu documents by %s", path, er.n,
                  er.plugin->desc->name);
        j->res.documents += er.n;
        atomic_fetch_add(&ix->indexed_files, 1);
    }
out:
    if (have_old)
        filestate_clear(&old);
    filestate_clear(&rec);
    extract_result_clear(&er);
}

static bool
is_stopping(struct indexer *ix)
{
    bool stop;

    pthread_mutex_lock(&ix->lock);
    stop = ix->is_stopping;
    pthread_mutex_unlock(&ix->lock);
    return stop;
}

static void
run_job(struct indexer *ix, struct job *j)
{
    struct stat st;
    struct pathv files = { 0 };

    if (stat(j->path, &st) < 0) {
        int e = errno;
        j->res.status = -e;
        snprintf(j->res.message, sizeof j->res.message, "%s: %s", j->path,
                 strerror(e));
        if (e == ENOENT || e == ENOTDIR) {
            /* A file or folder that was indexed and is gone: forget it
             * and everything below it. */
            char key[FILESTATE_KEY_MAX];
            struct filestate old;
            size_t klen = filestate_key(j->path, j->path_len, key);
            bool have = load_state(ix, key, klen, j->path, j->path_len,
                                   &old);
            struct pathv none = { 0 };

            forget_file(ix, j->path, have ? &old : NULL);
            if (have)
                filestate_clear(&old);
            forget_under(ix, j->path, &none);
        }
        atomic_fetch_sub(&ix->queued, 1);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        struct pathv sorted = { 0 };
        uint64_t errors = j->res.failed;

        walk(ix, j, j->path, &files, 0);
        /* Records of files no longer there go (on a sorted copy), unless
         * part of the folder could not be read: its files are not gone. */
        sorted.v = xmalloc((files.n + 1) * sizeof *sorted.v);
        memcpy(sorted.v, files.v, files.n * sizeof *sorted.v);
        sorted.n = files.n;
        qsort(sorted.v, sorted.n, sizeof *sorted.v, cmp_str);
        if (j->res.failed == errors)
            forget_under(ix, j->path, &sorted);
        else
            log_warn("indexer: %s: not all of it could be read; keeping "
                     "the records of files not seen", j->path);
        free(sorted.v);
    } else {
        pathv_push(&files, xstrdup(j->path));
    }
    /* The job counted as one queued item until expanded. */
    atomic_fetch_add(&ix->queued, files.n);
    atomic_fetch_sub(&ix->queued, 1);

    for (size_t i = 0; i < files.n; i++) {
        if (j->res.status == 0 && !is_stopping(ix))
            index_file(ix, j, files.v[i]);
        else if (j->res.status == 0)
            j->res.status = -ECANCELED;
        if (batch_is_due(ix) && commit(ix) < 0 && j->res.status == 0) {
            j->res.status = -EIO;
            snprintf(j->res.message, sizeof j->res.message,
                     "index commit failed");
        }
        atomic_fetch_sub(&ix->queued, 1);
        free(files.v[i]);
    }
    free(files.v);
    if (j->res.status == -ECANCELED)
        snprintf(j->res.message, sizeof j->res.message,
                 "searchd is shutting down");
}

static void
post_done(struct indexer *ix, struct job *j)
{
    pthread_mutex_lock(&ix->lock);
    if (j->is_scan && ix->scans_pending > 0)
        ix->scans_pending--;
    if (ix->done_tail)
        ix->done_tail->next = j;
    else
        ix->done_head = j;
    ix->done_tail = j;
    j->next = NULL;
    pthread_mutex_unlock(&ix->lock);
    event_active(ix->done_ev, EV_READ, 0);
}

static void *
writer_main(void *arg)
{
    struct indexer *ix = arg;

    for (;;) {
        struct job *j;

        pthread_mutex_lock(&ix->lock);
        /* Every job ends with a commit, so nothing waits uncommitted
         * here. */
        while (!ix->is_stopping && ix->head == NULL)
            pthread_cond_wait(&ix->cond, &ix->lock);
        if (ix->is_stopping) {
            pthread_mutex_unlock(&ix->lock);
            break;
        }
        j = ix->head;
        ix->head = j->next;
        if (ix->head == NULL)
            ix->tail = NULL;
        ix->n_jobs--;
        pthread_mutex_unlock(&ix->lock);

        run_job(ix, j);
        /* A job's reply promises its documents are searchable. */
        if (commit(ix) < 0 && j->res.status == 0) {
            j->res.status = -EIO;
            snprintf(j->res.message, sizeof j->res.message,
                     "index commit failed");
        }
        post_done(ix, j);
    }
    commit(ix);
    return NULL;
}

/* ---- on the loop thread ------------------------------------------------ */

static void
deliver(struct job *j)
{
    if (j->cb)
        j->cb(&j->res, j->arg);
    job_free(j);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
    struct indexer *ix = arg;
    struct job *list;

    (void)fd;
    (void)what;
    pthread_mutex_lock(&ix->lock);
    list = ix->done_head;
    ix->done_head = ix->done_tail = NULL;
    pthread_mutex_unlock(&ix->lock);
    while (list) {
        struct job *next = list->next;
        deliver(list);
        list = next;
    }
}

/* At start: failed counts the files whose record says they failed. */
static int
count_failed_cb(const char *key, size_t klen, const char *val, size_t vlen,
                void *arg)
{
    struct indexer *ix = arg;
    struct filestate fs;

    (void)key;
    (void)klen;
    if (filestate_decode(val, vlen, &fs) == 0) {
        if (fs.status == FILESTATE_FAILED)
            atomic_fetch_add(&ix->failed, 1);
        filestate_clear(&fs);
    }
    return 0;
}

struct indexer *
indexer_new(const char *dir, const struct plugins *reg,
            struct event_base *base, char *err, size_t errlen)
{
    struct indexer *ix = xcalloc(1, sizeof *ix);
    xap_status st;
    uint64_t count = 0;

    ix->reg = reg;
    ix->base = base;
    pthread_mutex_init(&ix->lock, NULL);
    pthread_cond_init(&ix->cond, NULL);
    st = xap_open(dir, XAP_WRITE, &ix->db);
    if (st != XAP_OK) {
        if (st == XAP_ELOCKED)
            snprintf(err, errlen, "index %s is in use by another process "
                     "(is another searchd running?)", dir);
        else
            snprintf(err, errlen, "cannot open index %s: %s: %s", dir,
                     xap_status_str(st),
                     ix->db ? xap_last_error(ix->db) : "out of memory");
        goto fail;
    }
    /* Commit once so that readers can open a brand-new index. */
    st = xap_commit(ix->db);
    if (st == XAP_OK)
        st = xap_doc_count(ix->db, &count);
    if (st != XAP_OK) {
        snprintf(err, errlen, "cannot write index %s: %s", dir,
                 xap_last_error(ix->db));
        goto fail;
    }
    atomic_store(&ix->documents, count);
    ix->plugin_set = filestate_plugin_set(reg);
    ix->plugin_versions = filestate_plugin_versions(reg);
    xap_meta_each(ix->db, (char[]){ FILESTATE_KEY_PATH }, 1, count_failed_cb,
                  ix);
    xap_meta_each(ix->db, (char[]){ FILESTATE_KEY_HASH }, 1, count_failed_cb,
                  ix);
    ix->done_ev = event_new(base, -1, 0, done_cb, ix);
    if (ix->done_ev == NULL) {
        snprintf(err, errlen, "cannot create event");
        goto fail;
    }
    return ix;
fail:
    xap_close(ix->db);
    pthread_cond_destroy(&ix->cond);
    pthread_mutex_destroy(&ix->lock);
    free(ix);
    return NULL;
}

int
indexer_start(struct indexer *ix)
{
    int rc = pthread_create(&ix->thread, NULL, writer_main, ix);

    if (rc != 0)
        return -rc;
    ix->is_started = true;
    return 0;
}

int
indexer_submit(struct indexer *ix, const char *path, size_t len,
               bool is_scan, indexer_done_cb cb, void *arg)
{
    struct job *j;

    if (len == 0 || len >= PATH_MAX || memchr(path, '\0', len) != NULL)
        return -EINVAL;
    pthread_mutex_lock(&ix->lock);
    if (ix->is_stopping || ix->n_jobs >= INDEXER_MAX_JOBS) {
        pthread_mutex_unlock(&ix->lock);
        return -EBUSY;
    }
    j = xcalloc(1, sizeof *j);
    j->path = xstrndup(path, len);
    j->path_len = len;
    j->is_scan = is_scan;
    j->cb = cb;
    j->arg = arg;
    if (ix->tail)
        ix->tail->next = j;
    else
        ix->head = j;
    ix->tail = j;
    ix->n_jobs++;
    if (is_scan)
        ix->scans_pending++;
    atomic_fetch_add(&ix->queued, 1);
    pthread_cond_signal(&ix->cond);
    pthread_mutex_unlock(&ix->lock);
    return 0;
}

void
indexer_stats(struct indexer *ix, struct indexer_stats *out)
{
    out->documents = atomic_load(&ix->documents);
    out->queued = atomic_load(&ix->queued);
    out->failed = atomic_load(&ix->failed);
    out->indexed_files = atomic_load(&ix->indexed_files);
    out->unchanged = atomic_load(&ix->unchanged);
    out->generation = atomic_load(&ix->generation);
    pthread_mutex_lock(&ix->lock);
    out->scan_done = ix->scans_pending == 0;
    pthread_mutex_unlock(&ix->lock);
}

uint64_t
indexer_generation(struct indexer *ix)
{
    return atomic_load(&ix->generation);
}

void
indexer_free(struct indexer *ix)
{
    struct job *j;

    if (ix == NULL)
        return;
    pthread_mutex_lock(&ix->lock);
    ix->is_stopping = true;
    pthread_cond_signal(&ix->cond);
    pthread_mutex_unlock(&ix->lock);
    if (ix->is_started)
        pthread_join(ix->thread, NULL);
    /* Finished jobs first, then the ones that never ran. */
    done_cb(-1, 0, ix);
    while ((j = ix->head) != NULL) {
        ix->head = j->next;
        j->res.status = -ECANCELED;
        snprintf(j->res.message, sizeof j->res.message,
                 "searchd is shutting down");
        deliver(j);
    }
    event_free(ix->done_ev);
    xap_close(ix->db);
    pthread_cond_destroy(&ix->cond);
    pthread_mutex_destroy(&ix->lock);
    free(ix);
}
