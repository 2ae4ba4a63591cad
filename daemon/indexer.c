/*
 * indexer.c - the writer thread: queue of paths, folder walks, extraction,
 * batched commits, completions posted back to the event loop.
 *
 * Which files are indexed (documented in searchd(8)): regular files only;
 * symbolic links met inside a folder are not followed (no loops, no
 * escaping the spool); names starting with "." (hidden files, editor
 * and crawler temporaries such as ".foo.swp") or ending in "~", ".tmp",
 * ".part", ".partial", ".crdownload" or ".swp" are skipped.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "extract.h"
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
    _Atomic uint64_t generation;

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

static void
index_file(struct indexer *ix, struct job *j, const char *path)
{
    struct extract_result er = { 0 };
    int rc;
    xap_status st;

    j->res.files++;
    rc = extract_file(ix->reg, path, &er);
    if (rc == -ENOENT) {
        /* Gone since it was listed: drop what the index had of it. */
        uint64_t n = 0;
        if (xap_delete_path(ix->db, path, &n) == XAP_OK && n > 0)
            note_change(ix, n);
        job_error(j, path, "file vanished");
        atomic_fetch_add(&ix->failed, 1);
        goto out;
    }
    if (rc < 0) {
        log_warn("indexer: %s: %s", path, er.reason);
        job_error(j, path, er.reason);
        atomic_fetch_add(&ix->failed, 1);
        goto out;
    }
    /* Replace everything this file made before: a container may now hold
     * fewer members. */
    st = xap_delete_path(ix->db, path, NULL);
    for (size_t i = 0; st == XAP_OK && i < er.n; i++)
        st = xap_replace(ix->db, er.docs[i]);
    if (st != XAP_OK) {
        char reason[300];
        snprintf(reason, sizeof reason, "index write failed: %s: %s",
                 xap_status_str(st), xap_last_error(ix->db));
        log_err("indexer: %s: %s", path, reason);
        job_error(j, path, reason);
        atomic_fetch_add(&ix->failed, 1);
        j->res.status = -EIO;
        snprintf(j->res.message, sizeof j->res.message, "%s", reason);
        goto out;
    }
    log_debug("indexer: %s: %zu documents by %s", path, er.n,
              er.plugin ? er.plugin->desc->name : "?");
    j->res.documents += er.n;
    note_change(ix, er.n ? er.n : 1);
    atomic_fetch_add(&ix->indexed_files, 1);
out:
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
            /* A file that was indexed and is gone: forget it. */
            uint64_t n = 0;
            if (xap_delete_path(ix->db, j->path, &n) == XAP_OK && n > 0)
                note_change(ix, n);
        }
        atomic_fetch_sub(&ix->queued, 1);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        walk(ix, j, j->path, &files, 0);
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
