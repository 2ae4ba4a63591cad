/*
 * indexer.c - the background indexing engine (indexer.h): jobs, folder
 * walks, per-shard writer threads, extraction through the worker pool,
 * batched commits, completions posted back to the event loop.
 *
 * Threads and what they own:
 *   scanner   takes jobs, walks folders, routes files to shards
 *   shard i   the only user of shard i's writable handle: checks records,
 *             queues extractions, writes results, commits
 *   feeder j  runs one extraction at a time through the worker pool
 * One mutex (ix->lock) guards every queue, job and counter that more than
 * one thread touches; nobody holds it across I/O.
 *
 * Which files are indexed (documented in searchd(8)): regular files only;
 * symbolic links met inside a folder are not followed (no loops, no
 * escaping the spool); hidden and temporary names are skipped
 * (util.h: spool_name_is_skipped).
 *
 * Incremental: every file looked at gets a record (filestate.h) in its
 * shard's metadata, written in the same commit as its documents.  A file
 * whose mtime and size match its record, still handled by the same
 * plugin version, is skipped without being read; one whose content hash
 * still matches only has its record's mtime updated.  Failed files have
 * records too and are retried only when they change (or the plugins do).
 * A folder scan forgets the files under it that are gone.  A job's
 * callback runs only once everything it wrote is committed.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "filestate.h"
#include "health.h"
#include "indexer.h"
#include "log.h"
#include "util.h"
#include "xap.h"

/* Extractions one shard may have in flight: enough to keep every worker
 * busy while the shard writes. */
#define SHARD_MAX_IN_FLIGHT(ix) (2 * (ix)->n_feeders + 2)
/* Files routed to shards but not finished; the scanner waits past it. */
#define INDEXER_MAX_ITEMS      20000
/* Progress: one sample a second, rates over the last RATE_WINDOW. */
#define RATE_WINDOW            10
/* Buckets of the failed-file table. */
#define FAIL_BUCKETS           4096
/* A shard that cannot write (disk full) tries again after this long,
 * doubled after each failure up to the maximum. */
#define RETRY_MIN_MS           500
#define RETRY_MAX_MS           30000

struct job {
    struct job *next;
    char *path;             /* owned */
    size_t path_len;
    bool is_scan;
    indexer_done_cb cb;
    void *arg;
    struct indexer_result res;  /* under ix->lock once items exist */
    unsigned pending;       /* under ix->lock: items not released, + 1
                             * while the scanner expands the job */
};

enum item_kind {
    ITEM_FILE,              /* (re)index path */
    ITEM_FORGET,            /* path is gone: drop its documents, record */
    ITEM_FORGET_UNDER,      /* drop records below folder path not in keep */
};

struct pathv {
    char **v;
    size_t n, cap;
};

/* The metadata key saying every document of the shard has a record. */
#define RECORDED_KEY "searchd:recorded"

/* One unit of work for a shard, from the scanner to release. */
struct item {
    struct item *next;
    enum item_kind kind;
    struct job *job;        /* borrowed; counted in job->pending */
    struct shard *shard;
    char *path;             /* owned */
    struct pathv keep;      /* ITEM_FORGET_UNDER: owned, sorted */
    /* ITEM_FILE */
    struct filestate old;   /* its record, when have_old */
    bool have_old;
    bool has_key;           /* a record is stored under its key, usable or
                             * not: never take the fresh-add path then */
    int64_t mtime_ns;
    uint64_t size;
    struct wresult wr;      /* what extraction gave */
    /* Outcome, for the job. */
    uint64_t documents;
    char *error;            /* owned; the file failed */
    int status;             /* < 0: the job fails with this */
    bool is_indexed;
};

struct itemq {
    struct item *head, *tail;
    size_t n;
};

struct shard {
    struct indexer *ix;
    unsigned idx;
    char *dir;              /* owned */
    xap_db *db;             /* owned; only this shard's thread uses it */
    pthread_t thread;
    bool is_started;
    pthread_cond_t cond;    /* with ix->lock: work for this shard */
    struct itemq todo;      /* from the scanner */
    struct itemq done;      /* extracted, from the feeders */
    struct itemq waiting;   /* handled, released at the next commit */
    struct itemq retry;     /* written but lost with a failed commit:
                             * done again once the shard retries */
    unsigned in_flight;     /* at the feeders */
    bool is_recorded;       /* every document has a file record (true for
                             * shards made since records exist), so a file
                             * without one has no documents to replace */
    /* Thread-only. */
    bool is_degraded;       /* a write failed: the changes since the last
                             * commit were dropped; retrying from
                             * retry_at, RETRY_MIN_MS..RETRY_MAX_MS apart */
    bool must_requeue;      /* the items waiting for a commit must be
                             * done again (their changes were dropped) */
    unsigned backoff_ms;
    struct timespec retry_at;
    const char *fault_what; /* the health.h kind set, while degraded */
    uint64_t uncommitted;
    struct timespec first_change;
    _Atomic uint64_t documents;
};

struct fail {
    struct fail *next;
    char *path;             /* owned */
    char *plugin;           /* owned */
    char *reason;           /* owned */
};

struct defaults {
    char *dir;              /* owned */
    size_t dir_len;
    char *outlet;           /* owned or NULL */
    char *lang;             /* owned or NULL */
};

struct indexer {
    /* What a reload may change (indexer_set_plugins,
     * indexer_set_defaults): read by the shard threads under a read
     * lock, swapped under a write lock. */
    pthread_rwlock_t reload_lock;
    const struct plugins *reg;  /* borrowed */
    uint64_t plugin_set;        /* filestate_plugin_set(reg) */
    uint64_t plugin_versions;   /* filestate_plugin_versions(reg) */
    struct defaults *defs;      /* owned */
    size_t n_defs;

    struct event_base *base;    /* borrowed */
    struct event *done_ev;      /* owned; drains `done` on the loop */
    struct event *tick_ev;      /* owned; progress samples */
    struct shard *shards;       /* owned */
    unsigned n_shards;
    struct wpool *pool;         /* owned */
    pthread_t *feeders;         /* owned */
    unsigned n_feeders;
    unsigned n_started_feeders; /* joined by indexer_free */
    pthread_t scanner;
    bool is_started;

    pthread_mutex_t lock;       /* guards everything below */
    pthread_cond_t cond;        /* scanner: a job, or room for items */
    pthread_cond_t xq_cond;     /* feeders: an extraction */
    struct job *head, *tail;    /* queued jobs */
    size_t n_jobs;
    struct job *done_head, *done_tail; /* finished, for the loop */
    struct itemq xq;            /* waiting for a feeder */
    size_t n_items;             /* items alive */
    bool is_stopping;
    unsigned scans_pending;
    struct fail *fails[FAIL_BUCKETS];
    size_t n_fails;

    /* Set when the index could not be opened for writing: then nothing
     * is indexed (indexer_submit says -EROFS) and no thread runs. */
    char *readonly;             /* owned: why; NULL when writable */

    /* Counters, read without the lock by indexer_stats. */
    _Atomic uint64_t queued;
    _Atomic uint64_t indexed_files;
    _Atomic uint64_t unchanged;
    _Atomic uint64_t probed;
    _Atomic uint64_t files_done;
    _Atomic uint64_t docs_written;
    _Atomic uint64_t generation;

    /* Progress samples; loop thread only. */
    struct { double t; uint64_t files, docs; } samples[RATE_WINDOW + 1];
    unsigned n_samples;

    /* Commits (indexer_set_batch); under lock. */
    unsigned batch_docs;
    unsigned batch_ms;
};

static double
now_s(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ---- small containers --------------------------------------------------- */

static void
pathv_push(struct pathv *pv, char *path)
{
    if (pv->n == pv->cap) {
        pv->cap = pv->cap ? pv->cap * 2 : 64;
        pv->v = xrealloc(pv->v, pv->cap * sizeof *pv->v);
    }
    pv->v[pv->n++] = path;
}

static void
pathv_clear(struct pathv *pv)
{
    for (size_t i = 0; i < pv->n; i++)
        free(pv->v[i]);
    free(pv->v);
    memset(pv, 0, sizeof *pv);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
q_push(struct itemq *q, struct item *it)
{
    it->next = NULL;
    if (q->tail)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->n++;
}

static struct item *
q_pop(struct itemq *q)
{
    struct item *it = q->head;

    if (it != NULL) {
        q->head = it->next;
        if (q->head == NULL)
            q->tail = NULL;
        q->n--;
        it->next = NULL;
    }
    return it;
}

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

static void
item_free(struct item *it)
{
    if (it == NULL)
        return;
    free(it->path);
    pathv_clear(&it->keep);
    if (it->have_old)
        filestate_clear(&it->old);
    wresult_clear(&it->wr);
    free(it->error);
    free(it);
}

/* ---- failed files: a path -> (plugin, reason) table, under ix->lock ---- */

static struct fail **
fail_slot(struct indexer *ix, const char *path)
{
    struct fail **pp =
        &ix->fails[filestate_hash_bytes(path, strlen(path)) % FAIL_BUCKETS];

    while (*pp != NULL && strcmp((*pp)->path, path) != 0)
        pp = &(*pp)->next;
    return pp;
}

static void
fail_set(struct indexer *ix, const char *path, const char *plugin,
         const char *reason)
{
    struct fail **pp = fail_slot(ix, path), *f = *pp;

    if (f == NULL) {
        f = *pp = xcalloc(1, sizeof *f);
        f->path = xstrdup(path);
        ix->n_fails++;
    } else {
        free(f->plugin);
        free(f->reason);
    }
    f->plugin = xstrdup(plugin);
    f->reason = xstrdup(reason);
}

static void
fail_del(struct indexer *ix, const char *path)
{
    struct fail **pp = fail_slot(ix, path), *f = *pp;

    if (f == NULL)
        return;
    *pp = f->next;
    free(f->path);
    free(f->plugin);
    free(f->reason);
    free(f);
    ix->n_fails--;
}

/* ---- jobs (under ix->lock) ---------------------------------------------- */

static void
job_error_locked(struct job *j, const char *path, const char *reason)
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

static void
job_fail_locked(struct job *j, int status, const char *message)
{
    if (j->res.status == 0 || (j->res.status == -ECANCELED &&
                               status != -ECANCELED)) {
        j->res.status = status;
        snprintf(j->res.message, sizeof j->res.message, "%s", message);
    }
}

/* Drop one reference; the last one hands the job to the loop. */
static void
job_unref_locked(struct indexer *ix, struct job *j)
{
    if (--j->pending > 0)
        return;
    if (j->is_scan && ix->scans_pending > 0)
        ix->scans_pending--;
    j->next = NULL;
    if (ix->done_tail)
        ix->done_tail->next = j;
    else
        ix->done_head = j;
    ix->done_tail = j;
    event_active(ix->done_ev, EV_READ, 0);
}

/* An item is finished (its changes committed, or it was cancelled):
 * report it to its job and free it. */
static void
release_locked(struct indexer *ix, struct item *it)
{
    struct job *j = it->job;

    if (it->kind == ITEM_FILE) {
        j->res.files++;
        j->res.documents += it->documents;
        atomic_fetch_sub(&ix->queued, 1);
        if (it->status != -ECANCELED)
            atomic_fetch_add(&ix->files_done, 1);
        if (it->is_indexed)
            atomic_fetch_add(&ix->indexed_files, 1);
    }
    if (it->error != NULL)
        job_error_locked(j, it->path, it->error);
    if (it->status < 0)
        job_fail_locked(j, it->status,
                        it->status == -ECANCELED ? "searchd is shutting down"
                                                 : "index write failed");
    if (ix->n_items-- == INDEXER_MAX_ITEMS)
        pthread_cond_signal(&ix->cond);
    job_unref_locked(ix, j);
    item_free(it);
}

/* ---- index layout -------------------------------------------------------- */

static bool
file_exists(const char *dir, const char *name)
{
    char *p = xasprintf("%s/%s", dir, name);
    bool yes = access(p, F_OK) == 0;

    free(p);
    return yes;
}

/* The shard folders of the index in dir (created when new), into out. */
static int
layout_open(const char *dir, unsigned want, struct pathv *out, char *err,
            size_t errlen)
{
    char *stub = xasprintf("%s/XAPIANDB", dir);
    FILE *f;
    char line[512];
    int rc = 0;

    if (file_exists(dir, "iamglass") || file_exists(dir, "iamchert")) {
        /* An index from before sharding: one shard, the folder itself. */
        pathv_push(out, xstrdup(dir));
        goto out;
    }
    f = fopen(stub, "re");
    if (f != NULL) {
        while (fgets(line, sizeof line, f) != NULL) {
            char *name = line + 5;

            line[strcspn(line, "\n")] = '\0';
            if (line[0] == '\0' || line[0] == '#')
                continue;
            if (strncmp(line, "auto ", 5) != 0 || strchr(name, '/') ||
                strncmp(name, "shard-", 6) != 0) {
                snprintf(err, errlen, "%s: unexpected line '%s' (damaged, "
                         "or not made by searchd?): 'searchd --rebuild' "
                         "rebuilds the index from the watched folders",
                         stub, line);
                rc = -EINVAL;
                break;
            }
            pathv_push(out, xasprintf("%s/%s", dir, name));
        }
        fclose(f);
        if (rc == 0 && (out->n == 0 || out->n > INDEXER_MAX_SHARDS)) {
            snprintf(err, errlen, "%s: names %zu shards", stub, out->n);
            rc = -EINVAL;
        }
        goto out;
    }
    if (errno != ENOENT) {
        snprintf(err, errlen, "cannot read %s: %s", stub, strerror(errno));
        rc = -errno;
        goto out;
    }
    /* A new index: the stub is written once the shards exist. */
    rc = util_mkdir_p(dir, 0700);
    if (rc < 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(-rc));
        goto out;
    }
    for (unsigned i = 0; i < want; i++)
        pathv_push(out, xasprintf("%s/shard-%02u", dir, i));
out:
    free(stub);
    return rc;
}

/* Write the stub naming the shards, atomically (after they exist). */
static int
layout_write_stub(const char *dir, const struct pathv *shards, char *err,
                  size_t errlen)
{
    char *stub = xasprintf("%s/XAPIANDB", dir);
    char *tmp = xasprintf("%s/.XAPIANDB.tmp", dir);
    FILE *f;
    int rc = 0;

    if (access(stub, F_OK) == 0 || file_exists(dir, "iamglass") ||
        file_exists(dir, "iamchert"))
        goto out;
    f = fopen(tmp, "we");
    if (f == NULL) {
        rc = -errno;
        goto fail;
    }
    for (size_t i = 0; i < shards->n; i++)
        fprintf(f, "auto %s\n", strrchr(shards->v[i], '/') + 1);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
        rc = -errno;
        fclose(f);
        goto fail;
    }
    if (fclose(f) != 0 || rename(tmp, stub) != 0) {
        rc = -errno;
        goto fail;
    }
    goto out;
fail:
    snprintf(err, errlen, "cannot write %s: %s", stub, strerror(-rc));
    unlink(tmp);
out:
    free(stub);
    free(tmp);
    return rc;
}

static struct shard *
shard_of(struct indexer *ix, const char *path)
{
    return &ix->shards[filestate_hash_bytes(path, strlen(path)) %
                       ix->n_shards];
}

/* ---- on a shard's thread: records --------------------------------------- */

static void
add_ms(struct timespec *t, unsigned ms)
{
    t->tv_sec += ms / 1000;
    t->tv_nsec += (long)(ms % 1000) * 1000000;
    if (t->tv_nsec >= 1000000000) {
        t->tv_sec++;
        t->tv_nsec -= 1000000000;
    }
}

/*
 * A write or commit of the shard failed with st (doing is what, for the
 * log): drop every change since the last commit, so the shard is again
 * exactly as committed (every record agrees with its documents), have
 * the items waiting for the commit done again, and retry after a
 * backoff.  Searches go on seeing the last commit.
 */
static void
shard_fault(struct shard *sh, xap_status st, const char *doing)
{
    const char *what = st == XAP_ENOSPC ? HEALTH_DISK_FULL
                                        : HEALTH_WRITE_FAILED;
    char text[600];
    xap_status ds;

    snprintf(text, sizeof text, "%s", xap_last_error(sh->db));
    ds = xap_discard(sh->db);
    sh->uncommitted = 0;
    sh->must_requeue = true;
    sh->backoff_ms = !sh->is_degraded ? RETRY_MIN_MS
                     : sh->backoff_ms * 2 > RETRY_MAX_MS
                         ? RETRY_MAX_MS
                         : sh->backoff_ms * 2;
    clock_gettime(CLOCK_MONOTONIC, &sh->retry_at);
    add_ms(&sh->retry_at, sh->backoff_ms);
    if (!sh->is_degraded || sh->fault_what != what)
        log_err("indexer: %s: %s failed: %s: %s; changes since the last "
                "commit kept aside, searches see the last commit; "
                "retrying every %u s at most",
                sh->dir, doing, xap_status_str(st), text, RETRY_MAX_MS / 1000);
    else
        log_debug("indexer: %s: %s failed again: %s; next try in %u ms",
                  sh->dir, doing, text, sh->backoff_ms);
    if (ds != XAP_OK)
        log_err("indexer: %s: cannot drop the failed changes: %s",
                sh->dir, xap_last_error(sh->db));
    if (sh->fault_what != NULL && sh->fault_what != what)
        health_clear(sh->fault_what, sh->dir);
    health_set(what, sh->dir, "%s failed: %s; searches see the last "
               "commit; retrying", doing, text);
    sh->fault_what = what;
    sh->is_degraded = true;
}

/* A commit went through after faults: the shard is whole again. */
static void
shard_recovered(struct shard *sh)
{
    if (!sh->is_degraded)
        return;
    log_info("indexer: %s: writing again; the changes kept aside are "
             "being redone", sh->dir);
    health_clear(sh->fault_what, sh->dir);
    sh->fault_what = NULL;
    sh->is_degraded = false;
    sh->backoff_ms = 0;
}

static int
commit(struct shard *sh)
{
    struct indexer *ix = sh->ix;
    uint64_t count = 0;
    xap_status st;

    if (sh->uncommitted == 0)
        return 0;
    st = xap_commit(sh->db);
    if (st != XAP_OK) {
        shard_fault(sh, st, "commit");
        return -EIO;
    }
    shard_recovered(sh);
    if (xap_doc_count(sh->db, &count) == XAP_OK)
        atomic_store(&sh->documents, count);
    log_debug("indexer: shard %u: committed %llu changes; %llu documents",
              sh->idx, (unsigned long long)sh->uncommitted,
              (unsigned long long)count);
    sh->uncommitted = 0;
    atomic_fetch_add(&ix->generation, 1);
    return 0;
}

static void
note_change(struct shard *sh, uint64_t n)
{
    if (sh->uncommitted == 0)
        clock_gettime(CLOCK_MONOTONIC, &sh->first_change);
    sh->uncommitted += n;
}

static double
seconds_since(const struct timespec *t)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) +
           (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* Called with the lock held. */
static bool
batch_is_due(const struct shard *sh)
{
    return sh->uncommitted >= sh->ix->batch_docs ||
           (sh->uncommitted > 0 &&
            seconds_since(&sh->first_change) * 1000 >= sh->ix->batch_ms);
}

/* The record under path's key, decoded into *out (owned:
 * filestate_clear).  1 when there is one for path; 0 when there is none;
 * -1 when the key holds a record that is unreadable or for another path (a
 * hash key collision): the file is then extracted anew, but its documents
 * are replaced, never added blind. */
static int
load_state(struct shard *sh, const char *path, struct filestate *out)
{
    char key[FILESTATE_KEY_MAX];
    size_t plen = strlen(path), klen = filestate_key(path, plen, key);
    char *val = NULL;
    size_t len = 0;
    bool ok;

    memset(out, 0, sizeof *out);
    switch (xap_meta_get(sh->db, key, klen, &val, &len)) {
    case XAP_OK:
        break;
    case XAP_ENOTFOUND:
        return 0;
    default:
        log_warn("indexer: %s: cannot read its file record: %s", path,
                 xap_last_error(sh->db));
        return -1;
    }
    ok = filestate_decode(val, len, out) == 0 && out->path_len == plen &&
         memcmp(out->path, path, plen) == 0;
    if (!ok) {
        log_warn("indexer: %s: unreadable file record; indexing it anew",
                 path);
        filestate_clear(out);
    }
    free(val);
    return ok ? 1 : -1;
}

static xap_status
save_state(struct shard *sh, const struct filestate *fs)
{
    char key[FILESTATE_KEY_MAX];
    size_t klen = filestate_key(fs->path, fs->path_len, key), len;
    char *val = filestate_encode(fs, &len);
    xap_status st = xap_meta_set(sh->db, key, klen, val, len);

    free(val);
    return st;
}

enum verdict { STATE_CURRENT, STATE_STALE, STATE_ASK };

/* What the record says against the plugins loaded now; STATE_ASK when
 * plugins came or went since, and only a probe of the file can tell
 * whether another one would win now. */
static enum verdict
state_verdict_locked(struct indexer *ix, const struct filestate *fs)
{
    const struct plugin_entry *pe;

    if (fs->plugin[0] == '\0')      /* no plugin took it */
        return fs->plugin_set == ix->plugin_versions ? STATE_CURRENT
                                                     : STATE_STALE;
    /* Documents written in an older index layout are written again. */
    if (fs->status == FILESTATE_OK && fs->ndocs > 0 &&
        fs->layout != xap_layout())
        return STATE_STALE;
    pe = plugins_find(ix->reg, fs->plugin);
    if (pe == NULL || strcmp(pe->desc->version, fs->plugin_version) != 0)
        return STATE_STALE;
    return fs->plugin_set == ix->plugin_set ? STATE_CURRENT : STATE_ASK;
}

/*
 * Would extracting path now give what its record says?  Yes when the
 * same plugin at the same version would take it.  picked is the plugin a
 * worker chose for the file just now ("" for none), or NULL: then a
 * worker is asked when it matters.  The daemon never probes a file
 * itself: a probe is plugin code reading the file's content.  When a
 * worker's probe found the record current, *probed_set (if not NULL) is
 * set to the plugin set it holds for: the caller may store it in the
 * record, so the next scan need not ask again; else it is left alone.
 */
static bool
state_is_current(struct indexer *ix, const struct filestate *fs,
                 const char *picked, const char *picked_version,
                 uint64_t *probed_set)
{
    struct wresult r = { 0 };
    enum verdict v;
    uint64_t set;
    bool ok, asked = false;

    pthread_rwlock_rdlock(&ix->reload_lock);
    v = state_verdict_locked(ix, fs);
    set = ix->plugin_set;
    pthread_rwlock_unlock(&ix->reload_lock);
    if (v != STATE_ASK)
        return v == STATE_CURRENT;
    if (picked == NULL) {
        if (ix->pool == NULL)
            return false;
        wpool_probe(ix->pool, fs->path, &r);
        atomic_fetch_add(&ix->probed, 1);
        picked = r.plugin;
        picked_version = r.plugin_version;
        asked = true;
    }
    ok = strcmp(picked, fs->plugin) == 0 &&
         strcmp(picked_version, fs->plugin_version) == 0;
    if (ok && asked && probed_set != NULL)
        *probed_set = set;
    wresult_clear(&r);
    return ok;
}

/* Is st a failure of the disk (or the system) rather than of one call? */
static bool
is_disk_fault(xap_status st)
{
    return st == XAP_ENOSPC || st == XAP_EIO || st == XAP_ECORRUPT;
}

/* Drop path's documents and record (old: its record, or NULL). */
static void
forget_file(struct shard *sh, const char *path, const struct filestate *old)
{
    char key[FILESTATE_KEY_MAX];
    size_t klen = filestate_key(path, strlen(path), key);
    uint64_t n = 0;
    xap_status st = xap_delete_path(sh->db, path, &n);

    if (st == XAP_OK && n > 0)
        note_change(sh, n);
    if (is_disk_fault(st)) {
        shard_fault(sh, st, "delete");
        return;
    }
    if (old != NULL) {
        st = xap_meta_set(sh->db, key, klen, NULL, 0);
        if (st == XAP_OK) {
            note_change(sh, 1);
        } else if (is_disk_fault(st)) {
            shard_fault(sh, st, "delete");
            return;
        }
        if (old->status == FILESTATE_FAILED) {
            pthread_mutex_lock(&sh->ix->lock);
            fail_del(sh->ix, path);
            pthread_mutex_unlock(&sh->ix->lock);
        }
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
records_under(struct shard *sh, const char *dir, struct pathv *out)
{
    struct under u = { dir, strlen(dir), out };
    char *prefix = xasprintf("%c%s/", FILESTATE_KEY_PATH, dir);
    size_t plen = strlen(prefix);
    char h = FILESTATE_KEY_HASH;

    /* Longer prefixes: every file below has a hash key. */
    if (plen <= XAP_MAX_META_KEY)
        xap_meta_each(sh->db, prefix, plen, under_cb, &u);
    xap_meta_each(sh->db, &h, 1, under_cb, &u);
    free(prefix);
}

/* Forget every file below dir whose path is not in keep (sorted; may be
 * empty): they were deleted or moved away. */
static void
forget_under(struct shard *sh, const char *dir, const struct pathv *keep)
{
    struct pathv gone = { 0 };

    records_under(sh, dir, &gone);
    for (size_t i = 0; i < gone.n; i++) {
        char *p = gone.v[i];
        struct filestate old;

        if (keep->n > 0 &&
            bsearch(&p, keep->v, keep->n, sizeof *keep->v, cmp_str) != NULL)
            continue;
        if (load_state(sh, p, &old) > 0) {
            log_debug("indexer: %s: gone; forgetting it", p);
            forget_file(sh, p, &old);
            filestate_clear(&old);
        }
    }
    pathv_clear(&gone);
}

static int64_t
mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* ---- on a shard's thread: the steps of one item ------------------------ */

static void
item_error(struct item *it, const char *reason)
{
    free(it->error);
    it->error = xstrdup(reason);
}

/* A file that failed because searchd could not read it, and now can: a
 * chmod changes neither mtime nor size, so the record alone would keep
 * it failed (the watcher reports the chmod as IN_ATTRIB). */
static bool
is_readable_again(const struct filestate *fs)
{
    return fs->status == FILESTATE_FAILED && fs->reason != NULL &&
           strcasestr(fs->reason, "permission denied") != NULL &&
           access(fs->path, R_OK) == 0;
}

/* First look at an item.  Returns true when it needs extraction. */
static bool
item_start(struct shard *sh, struct item *it)
{
    struct indexer *ix = sh->ix;
    struct stat st;
    uint64_t probed_set;

    if (it->kind == ITEM_FORGET_UNDER) {
        forget_under(sh, it->path, &it->keep);
        return false;
    }
    it->have_old = load_state(sh, it->path, &it->old) > 0;
    if (it->kind == ITEM_FORGET) {
        forget_file(sh, it->path, it->have_old ? &it->old : NULL);
        return false;
    }
    if (stat(it->path, &st) < 0 || !S_ISREG(st.st_mode)) {
        /* Gone since it was listed, or not a file: drop what the index
         * had of it. */
        bool gone = stat(it->path, &st) < 0;

        forget_file(sh, it->path, it->have_old ? &it->old : NULL);
        item_error(it, gone ? "file vanished"
                            : S_ISDIR(st.st_mode) ? "is a directory"
                                                  : "not a regular file");
        return false;
    }
    it->mtime_ns = mtime_ns(&st);
    it->size = (uint64_t)st.st_size;
    probed_set = it->have_old ? it->old.plugin_set : 0;
    if (it->have_old && it->old.mtime_ns == it->mtime_ns &&
        it->old.size == it->size &&
        state_is_current(ix, &it->old, NULL, NULL, &probed_set) &&
        !is_readable_again(&it->old)) {
        /* A record a worker's probe just confirmed holds the new plugin
         * set from now on: one probe per file after plugins come or go,
         * not one per scan. */
        if (probed_set != it->old.plugin_set) {
            xap_status xs;

            it->old.plugin_set = probed_set;
            xs = save_state(sh, &it->old);
            if (xs == XAP_OK)
                note_change(sh, 1);
            else if (is_disk_fault(xs))
                shard_fault(sh, xs, "write");
        }
        atomic_fetch_add(&ix->unchanged, 1);
        return false;
    }
    return true;
}

/* Fill in what the plugin could not know, from the folder's defaults. */
/* Called with reload_lock held for reading. */
static void
apply_defaults(struct indexer *ix, struct doc *d)
{
    const struct defaults *best = NULL;

    for (size_t i = 0; i < ix->n_defs; i++) {
        const struct defaults *df = &ix->defs[i];

        if (strncmp(d->path, df->dir, df->dir_len) == 0 &&
            d->path[df->dir_len] == '/' &&
            (best == NULL || df->dir_len > best->dir_len))
            best = df;
    }
    if (best == NULL)
        return;
    if (best->outlet != NULL && (d->outlet == NULL || d->outlet[0] == '\0'))
        doc_set(&d->outlet, best->outlet, strlen(best->outlet));
    if (best->lang != NULL && (d->lang == NULL || d->lang[0] == '\0'))
        doc_set(&d->lang, best->lang, strlen(best->lang));
}

/* Write what extraction gave for a file. */
static void
item_finish(struct shard *sh, struct item *it)
{
    struct indexer *ix = sh->ix;
    struct wresult *wr = &it->wr;
    struct filestate rec = { 0 };
    size_t plen = strlen(it->path);
    uint64_t rec_set;
    xap_status xs;
    bool fresh, was_failed;
    int rc;

    if (wr->rc == -ECANCELED) {
        it->status = -ECANCELED;
        return;
    }
    /* Decide on the record as it is now, not as item_start saw it: jobs
     * overlap (a folder scan and a job for a file in it, two adds of one
     * file, the spool watcher's reports), and another item for this path
     * may have been written since.  With the old snapshot both would take
     * the "fresh" path below and add the file's documents twice. */
    if (it->have_old)
        filestate_clear(&it->old);
    rc = load_state(sh, it->path, &it->old);
    it->have_old = rc > 0;
    it->has_key = rc != 0;
    was_failed = it->have_old && it->old.status == FILESTATE_FAILED;
    if (wr->rc == -EIO && wr->plugin[0] == '\0') {
        /* No worker could run: nothing is known about the file, so no
         * record; the next scan tries again. */
        log_err("indexer: %s: %s", it->path, wr->reason);
        item_error(it, wr->reason);
        return;
    }
    if (wr->rc == -ENOENT) {
        forget_file(sh, it->path, it->have_old ? &it->old : NULL);
        item_error(it, "file vanished");
        return;
    }
    if (it->have_old && wr->hash != 0 && it->old.hash == wr->hash &&
        it->old.size == it->size &&
        state_is_current(ix, &it->old, wr->plugin, wr->plugin_version,
                         NULL)) {
        /* Touched, not changed. */
        it->old.mtime_ns = it->mtime_ns;
        xs = save_state(sh, &it->old);
        if (xs == XAP_OK)
            note_change(sh, 1);
        else if (is_disk_fault(xs))
            shard_fault(sh, xs, "write");
        atomic_fetch_add(&ix->unchanged, 1);
        return;
    }
    /* Replace everything this file made before: a container may now hold
     * fewer members, and a file that now fails has no documents.  A file
     * new to a recorded shard has none: add without looking. */
    fresh = !it->has_key && sh->is_recorded;
    xs = fresh ? XAP_OK : xap_delete_path(sh->db, it->path, NULL);
    if (wr->rc < 0) {
        log_warn("indexer: %s: %s", it->path, wr->reason);
        item_error(it, wr->reason);
        filestate_set(&rec, it->path, plen, it->mtime_ns, it->size,
                      wr->hash, 0, FILESTATE_FAILED, wr->plugin,
                      wr->plugin_version, wr->reason);
        pthread_rwlock_rdlock(&ix->reload_lock);
        rec.plugin_set = wr->plugin[0] ? ix->plugin_set
                                       : ix->plugin_versions;
        pthread_rwlock_unlock(&ix->reload_lock);
        pthread_mutex_lock(&ix->lock);
        fail_set(ix, it->path, wr->plugin, wr->reason);
        pthread_mutex_unlock(&ix->lock);
    } else {
        pthread_rwlock_rdlock(&ix->reload_lock);
        for (size_t i = 0; i < wr->n; i++)
            apply_defaults(ix, wr->docs[i]);
        rec_set = ix->plugin_set;
        pthread_rwlock_unlock(&ix->reload_lock);
        for (size_t i = 0; xs == XAP_OK && i < wr->n; i++)
            xs = fresh ? xap_add(sh->db, wr->docs[i])
                       : xap_replace(sh->db, wr->docs[i]);
        filestate_set(&rec, it->path, plen, it->mtime_ns, it->size,
                      wr->hash, wr->n, FILESTATE_OK, wr->plugin,
                      wr->plugin_version, NULL);
        rec.plugin_set = rec_set;
        rec.layout = xap_layout();
        if (was_failed) {
            pthread_mutex_lock(&ix->lock);
            fail_del(ix, it->path);
            pthread_mutex_unlock(&ix->lock);
        }
    }
    if (xs == XAP_OK)
        xs = save_state(sh, &rec);
    if (xs != XAP_OK && is_disk_fault(xs)) {
        /* The disk, not the file: the whole batch is dropped and done
         * again (shard_fault), this file with it. */
        shard_fault(sh, xs, "write");
    } else if (xs != XAP_OK) {
        char reason[300];
        snprintf(reason, sizeof reason, "index write failed: %s: %s",
                 xap_status_str(xs), xap_last_error(sh->db));
        log_err("indexer: %s: %s", it->path, reason);
        /* Some of its documents may be in, without a record: take them
         * out, or a later fresh add of the file would add them twice.
         * If even that fails, stop adding blind in this shard. */
        if (xap_delete_path(sh->db, it->path, NULL) != XAP_OK &&
            sh->is_recorded) {
            log_err("indexer: %s: cannot undo a partial write; looking up "
                    "every file before adding it from now on", sh->dir);
            sh->is_recorded = false;
            xap_meta_set(sh->db, RECORDED_KEY, strlen(RECORDED_KEY), NULL,
                         0);
        }
        item_error(it, reason);
        it->status = -EIO;
    } else {
        note_change(sh, wr->n + 1);
        if (wr->rc == 0) {
            log_debug("indexer: %s: %zu documents by %s", it->path, wr->n,
                      wr->plugin);
            it->documents = wr->n;
            it->is_indexed = true;
            atomic_fetch_add(&ix->docs_written, wr->n);
        }
    }
    filestate_clear(&rec);
    wresult_clear(wr);
}

/* Make item it new again, to be done from the start (its changes were
 * dropped with a failed commit). */
static void
item_reset(struct item *it)
{
    if (it->have_old)
        filestate_clear(&it->old);
    it->have_old = false;
    it->has_key = false;
    wresult_clear(&it->wr);
    free(it->error);
    it->error = NULL;
    it->documents = 0;
    it->status = 0;
    it->is_indexed = false;
}

/* After shard_fault: every item waiting for a commit goes to the retry
 * queue (under ix->lock). */
static void
requeue_locked(struct shard *sh)
{
    struct item *it;

    while ((it = q_pop(&sh->waiting)) != NULL) {
        item_reset(it);
        q_push(&sh->retry, it);
    }
    sh->must_requeue = false;
}

/* Degraded and not yet time to retry? */
static bool
is_backing_off(const struct shard *sh)
{
    struct timespec now;

    if (!sh->is_degraded)
        return false;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec < sh->retry_at.tv_sec ||
           (now.tv_sec == sh->retry_at.tv_sec &&
            now.tv_nsec < sh->retry_at.tv_nsec);
}

/* Commit, then release the items waiting for it (under ix->lock, which
 * is dropped around the commit).  A failed commit keeps them for the
 * retry instead. */
static void
commit_and_release_locked(struct shard *sh)
{
    struct indexer *ix = sh->ix;
    struct item *it;

    if (sh->uncommitted > 0) {
        pthread_mutex_unlock(&ix->lock);
        (void)commit(sh);
        pthread_mutex_lock(&ix->lock);
    }
    if (sh->must_requeue) {
        requeue_locked(sh);
        return;
    }
    while ((it = q_pop(&sh->waiting)) != NULL)
        release_locked(ix, it);
    /* Everything kept aside is done and nothing needed writing (a batch
     * of deletions of files already gone, say): nothing is lost any
     * more, so the fault is over too. */
    if (sh->is_degraded && sh->uncommitted == 0 && sh->retry.n == 0 &&
        sh->todo.n == 0 && sh->done.n == 0 && sh->in_flight == 0 &&
        !is_backing_off(sh))
        shard_recovered(sh);
}

/* Time to retry: the items kept aside go first (under ix->lock). */
static void
retry_locked(struct shard *sh)
{
    if (sh->retry.n == 0)
        return;
    log_debug("indexer: %s: retrying %zu items", sh->dir, sh->retry.n);
    sh->retry.tail->next = sh->todo.head;
    if (sh->todo.tail == NULL)
        sh->todo.tail = sh->retry.tail;
    sh->todo.head = sh->retry.head;
    sh->todo.n += sh->retry.n;
    memset(&sh->retry, 0, sizeof sh->retry);
}

static void *
shard_main(void *arg)
{
    struct shard *sh = arg;
    struct indexer *ix = sh->ix;
    struct item *it;

    pthread_mutex_lock(&ix->lock);
    while (!ix->is_stopping) {
        if (sh->must_requeue) {
            requeue_locked(sh);
        } else if (is_backing_off(sh)) {
            /* The disk refused a write: wait before trying again. */
            pthread_cond_timedwait(&sh->cond, &ix->lock, &sh->retry_at);
            if (!is_backing_off(sh))
                retry_locked(sh);
            continue;
        } else if ((it = q_pop(&sh->done)) != NULL) {
            pthread_mutex_unlock(&ix->lock);
            item_finish(sh, it);
            pthread_mutex_lock(&ix->lock);
            q_push(&sh->waiting, it);
        } else if (sh->in_flight < SHARD_MAX_IN_FLIGHT(ix) &&
                   (it = q_pop(&sh->todo)) != NULL) {
            bool extract;

            pthread_mutex_unlock(&ix->lock);
            extract = item_start(sh, it);
            pthread_mutex_lock(&ix->lock);
            if (extract) {
                q_push(&ix->xq, it);
                sh->in_flight++;
                pthread_cond_signal(&ix->xq_cond);
            } else {
                q_push(&sh->waiting, it);
            }
        } else if (sh->waiting.n > 0 &&
                   (sh->uncommitted == 0 ||
                    (sh->todo.n == 0 && sh->in_flight == 0))) {
            /* Nothing left uncommitted, or idle: make what was done
             * visible and answer for it. */
            commit_and_release_locked(sh);
        } else if (sh->uncommitted > 0) {
            struct timespec until = sh->first_change;

            add_ms(&until, ix->batch_ms);
            pthread_cond_timedwait(&sh->cond, &ix->lock, &until);
        } else {
            pthread_cond_wait(&sh->cond, &ix->lock);
        }
        if (sh->must_requeue)
            requeue_locked(sh);
        else if (batch_is_due(sh))
            commit_and_release_locked(sh);
    }
    /* Stopping: keep what was written; the rest is cancelled (and found
     * again by the next start's scan: its records are not committed). */
    commit_and_release_locked(sh);
    pthread_mutex_unlock(&ix->lock);
    return NULL;
}

/* ---- feeders ------------------------------------------------------------ */

static void *
feeder_main(void *arg)
{
    struct indexer *ix = arg;
    struct item *it;

    pthread_mutex_lock(&ix->lock);
    for (;;) {
        while (!ix->is_stopping && ix->xq.n == 0)
            pthread_cond_wait(&ix->xq_cond, &ix->lock);
        if (ix->is_stopping)
            break;
        it = q_pop(&ix->xq);
        pthread_mutex_unlock(&ix->lock);
        wpool_extract(ix->pool, it->path, &it->wr);
        pthread_mutex_lock(&ix->lock);
        q_push(&it->shard->done, it);
        it->shard->in_flight--;
        pthread_cond_signal(&it->shard->cond);
    }
    pthread_mutex_unlock(&ix->lock);
    return NULL;
}

/* ---- the scanner -------------------------------------------------------- */

static void
walk_error(struct indexer *ix, struct job *j, const char *path,
           const char *reason)
{
    pthread_mutex_lock(&ix->lock);
    job_error_locked(j, path, reason);
    pthread_mutex_unlock(&ix->lock);
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

/* Collect the files below dir (sorted, so runs are reproducible).
 * Returns the number of entries that could not be read (folders that
 * cannot be listed, entries that cannot be looked at, or a walk cut
 * short by shutdown): the caller then keeps records of files not seen. */
static unsigned
walk(struct indexer *ix, struct job *j, const char *dir, struct pathv *out,
     unsigned depth)
{
    DIR *d;
    struct dirent *de;
    struct pathv here = { 0 };
    unsigned errors = 0;
    char reason[160];

    if (is_stopping(ix))
        return 1;
    if (depth > 64) {
        walk_error(ix, j, dir, "folder nesting deeper than 64; not walked");
        return 1;
    }
    d = opendir(dir);
    if (d == NULL) {
        snprintf(reason, sizeof reason, "cannot read folder: %s",
                 strerror(errno));
        log_warn("indexer: %s: %s", dir, reason);
        walk_error(ix, j, dir, reason);
        return 1;
    }
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (de == NULL)
            break;
        if (spool_name_is_skipped(de->d_name))
            continue;
        pathv_push(&here, xasprintf("%s/%s", dir, de->d_name));
    }
    if (errno != 0) {
        /* A listing cut short: the entries not seen are not gone. */
        snprintf(reason, sizeof reason, "cannot read all of the folder: %s",
                 strerror(errno));
        log_warn("indexer: %s: %s", dir, reason);
        walk_error(ix, j, dir, reason);
        errors++;
    }
    closedir(d);
    /* An empty folder has no array: qsort(NULL, 0) is undefined. */
    if (here.n > 1)
        qsort(here.v, here.n, sizeof *here.v, cmp_str);
    for (size_t i = 0; i < here.n; i++) {
        struct stat st;
        char *p = here.v[i];

        if (lstat(p, &st) < 0) {
            if (errno != ENOENT) {
                snprintf(reason, sizeof reason, "cannot look at it: %s",
                         strerror(errno));
                log_warn("indexer: %s: %s", p, reason);
                walk_error(ix, j, p, reason);
                errors++;
            }
            free(p);
            continue;
        }
        if (S_ISLNK(st.st_mode)) {
            free(p);
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            errors += walk(ix, j, p, out, depth + 1);
            free(p);
        } else if (S_ISREG(st.st_mode)) {
            pathv_push(out, p);
        } else {
            free(p);
        }
    }
    free(here.v);
    return errors;
}

/* Hand an item to its shard, waiting while too many are alive. */
static void
route(struct indexer *ix, struct job *j, enum item_kind kind,
      struct shard *sh, char *path, struct pathv *keep)
{
    struct item *it = xcalloc(1, sizeof *it);

    it->kind = kind;
    it->job = j;
    it->shard = sh;
    it->path = path;
    if (keep != NULL)
        it->keep = *keep;
    pthread_mutex_lock(&ix->lock);
    while (!ix->is_stopping && ix->n_items >= INDEXER_MAX_ITEMS)
        pthread_cond_wait(&ix->cond, &ix->lock);
    ix->n_items++;
    j->pending++;
    q_push(&sh->todo, it);
    pthread_cond_signal(&sh->cond);
    pthread_mutex_unlock(&ix->lock);
}

/* path is gone: forget it, and everything below it if it was a folder. */
static void
route_gone(struct indexer *ix, struct job *j)
{
    route(ix, j, ITEM_FORGET, shard_of(ix, j->path), xstrdup(j->path), NULL);
    for (unsigned s = 0; s < ix->n_shards; s++)
        route(ix, j, ITEM_FORGET_UNDER, &ix->shards[s], xstrdup(j->path),
              NULL);
}

static void
run_job(struct indexer *ix, struct job *j)
{
    struct stat st;
    struct pathv files = { 0 };

    if (stat(j->path, &st) < 0) {
        int e = errno;

        pthread_mutex_lock(&ix->lock);
        j->res.status = -e;
        snprintf(j->res.message, sizeof j->res.message, "%s: %s", j->path,
                 strerror(e));
        pthread_mutex_unlock(&ix->lock);
        /* A file or folder that was indexed and is gone; but a watched
         * folder (a scan) that is missing keeps its documents: it may
         * be a disk not mounted yet (spool.h). */
        if (j->is_scan && (e == ENOENT || e == ENOTDIR))
            log_warn("indexer: %s: the watched folder is missing; keeping "
                     "its documents", j->path);
        else if (e == ENOENT || e == ENOTDIR)
            route_gone(ix, j);
        atomic_fetch_sub(&ix->queued, 1);
        return;
    }
    if (S_ISDIR(st.st_mode)) {
        unsigned errors = walk(ix, j, j->path, &files, 0);

        /* Records of files no longer there go, unless part of the folder
         * could not be read: its files are not gone. */
        if (errors == 0) {
            struct pathv *keep = xcalloc(ix->n_shards, sizeof *keep);

            for (size_t i = 0; i < files.n; i++)
                pathv_push(&keep[shard_of(ix, files.v[i]) - ix->shards],
                           xstrdup(files.v[i]));
            /* The walk's order is not strcmp order ("a/b/x" comes before
             * "a/b.txt"); forget_under searches keep with bsearch. */
            for (unsigned s = 0; s < ix->n_shards; s++) {
                if (keep[s].n > 1)
                    qsort(keep[s].v, keep[s].n, sizeof *keep[s].v, cmp_str);
                route(ix, j, ITEM_FORGET_UNDER, &ix->shards[s],
                      xstrdup(j->path), &keep[s]);
            }
            free(keep);
        } else {
            log_warn("indexer: %s: not all of it could be read; keeping "
                     "the records of files not seen", j->path);
        }
    } else {
        pathv_push(&files, xstrdup(j->path));
    }
    /* The job counted as one queued item until expanded. */
    atomic_fetch_add(&ix->queued, files.n);
    atomic_fetch_sub(&ix->queued, 1);
    for (size_t i = 0; i < files.n; i++) {
        /* Shutting down: what is not routed yet stays for the next
         * start's scan. */
        if (i % 256 == 0 && is_stopping(ix)) {
            for (size_t k = i; k < files.n; k++)
                free(files.v[k]);
            atomic_fetch_sub(&ix->queued, files.n - i);
            pthread_mutex_lock(&ix->lock);
            job_fail_locked(j, -ECANCELED, "searchd is shutting down");
            pthread_mutex_unlock(&ix->lock);
            break;
        }
        route(ix, j, ITEM_FILE, shard_of(ix, files.v[i]), files.v[i], NULL);
    }
    free(files.v);
}

static void *
scanner_main(void *arg)
{
    struct indexer *ix = arg;

    pthread_mutex_lock(&ix->lock);
    for (;;) {
        struct job *j;

        while (!ix->is_stopping && ix->head == NULL)
            pthread_cond_wait(&ix->cond, &ix->lock);
        if (ix->is_stopping)
            break;
        j = ix->head;
        ix->head = j->next;
        if (ix->head == NULL)
            ix->tail = NULL;
        ix->n_jobs--;
        j->pending = 1;
        pthread_mutex_unlock(&ix->lock);

        run_job(ix, j);

        pthread_mutex_lock(&ix->lock);
        job_unref_locked(ix, j);
    }
    pthread_mutex_unlock(&ix->lock);
    return NULL;
}

/* ---- on the loop thread ------------------------------------------------ */

static void
deliver(struct job *j)
{
    /* A folder's scan is a notable event; a file's is not. */
    if (j->is_scan && j->res.status == 0)
        log_info("indexer: %s: scanned: %llu files looked at, %llu "
                 "documents written, %llu failed", j->path,
                 (unsigned long long)j->res.files,
                 (unsigned long long)j->res.documents,
                 (unsigned long long)j->res.failed);
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

static void
tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct indexer *ix = arg;
    unsigned n = ix->n_samples;

    (void)fd;
    (void)what;
    if (n == RATE_WINDOW + 1) {
        memmove(&ix->samples[0], &ix->samples[1],
                RATE_WINDOW * sizeof ix->samples[0]);
        n--;
    }
    ix->samples[n].t = now_s();
    ix->samples[n].files = atomic_load(&ix->files_done);
    ix->samples[n].docs = atomic_load(&ix->docs_written);
    ix->n_samples = n + 1;
    if (ix->pool != NULL)
        wpool_reap_idle(ix->pool);
}

/* At start: the failed files, from their records. */
static int
load_failed_cb(const char *key, size_t klen, const char *val, size_t vlen,
               void *arg)
{
    struct indexer *ix = arg;
    struct filestate fs;

    (void)key;
    (void)klen;
    if (filestate_decode(val, vlen, &fs) == 0) {
        if (fs.status == FILESTATE_FAILED)
            fail_set(ix, fs.path, fs.plugin, fs.reason);
        filestate_clear(&fs);
    }
    return 0;
}

/* Find out, or for an empty shard declare, that the shard is recorded. */
static int
mark_recorded(struct shard *sh, uint64_t count)
{
    char *val = NULL;
    size_t len = 0;

    if (xap_meta_get(sh->db, RECORDED_KEY, strlen(RECORDED_KEY), &val,
                     &len) == XAP_OK) {
        sh->is_recorded = true;
        free(val);
        return 0;
    }
    if (count > 0)
        return 0;       /* made before records: replace, never just add */
    if (xap_meta_set(sh->db, RECORDED_KEY, strlen(RECORDED_KEY), "1", 1) !=
            XAP_OK ||
        xap_commit(sh->db) != XAP_OK)
        return -EIO;
    sh->is_recorded = true;
    return 0;
}

/* The start-up error for a shard Xapian cannot open: most likely damaged
 * (a file truncated or garbled while searchd was stopped).  searchd does
 * not run on it: it says where the damage is and what to do. */
static void
damaged(char *err, size_t errlen, const char *what, xap_status st,
        const char *text)
{
    snprintf(err, errlen, "index %s cannot be opened (%s: %s); it may be "
             "damaged: 'searchd --check' lists the problems, 'searchd "
             "--rebuild' rebuilds the index from the watched folders",
             what, xap_status_str(st), text);
}

/*
 * The index may not be written (its folder is read-only to us, or on a
 * read-only mount): count each shard's documents through a reader, so
 * status can say what is there, and leave the writer handles closed.
 * Searches work as ever (qpool opens its own readers).
 */
static int
open_readonly(struct indexer *ix, char *err, size_t errlen)
{
    for (unsigned i = 0; i < ix->n_shards; i++) {
        struct shard *sh = &ix->shards[i];
        uint64_t count = 0;
        xap_status st;

        xap_close(sh->db);
        sh->db = NULL;
        st = xap_open(sh->dir, XAP_READONLY, &sh->db);
        if (st == XAP_OK)
            st = xap_doc_count(sh->db, &count);
        if (st != XAP_OK) {
            damaged(err, errlen, sh->dir, st,
                    sh->db ? xap_last_error(sh->db) : "out of memory");
            return -EIO;
        }
        atomic_store(&sh->documents, count);
        xap_close(sh->db);
        sh->db = NULL;
    }
    log_warn("indexer: the index is read-only (%s); searching it, "
             "indexing nothing", ix->readonly);
    return 0;
}

static int
open_shards(struct indexer *ix, const char *dir, unsigned want, char *err,
            size_t errlen)
{
    struct pathv dirs = { 0 };
    int rc = layout_open(dir, want, &dirs, err, errlen);

    if (rc < 0)
        goto out;
    ix->n_shards = (unsigned)dirs.n;
    ix->shards = xcalloc(dirs.n, sizeof *ix->shards);
    for (unsigned i = 0; i < ix->n_shards; i++) {
        ix->shards[i].ix = ix;
        ix->shards[i].idx = i;
        ix->shards[i].dir = xstrdup(dirs.v[i]);
        /* Timed waits are against first_change, a CLOCK_MONOTONIC time. */
        pthread_condattr_t ca;

        pthread_condattr_init(&ca);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&ix->shards[i].cond, &ca);
        pthread_condattr_destroy(&ca);
    }
    for (unsigned i = 0; i < ix->n_shards; i++) {
        struct shard *sh = &ix->shards[i];
        uint64_t count = 0;
        xap_status st;

        st = xap_open(sh->dir, XAP_WRITE, &sh->db);
        if (st == XAP_EREADONLY) {
            ix->readonly = xstrdup(xap_last_error(sh->db));
            rc = open_readonly(ix, err, errlen);
            goto out;
        }
        if (st == XAP_ELOCKED) {
            snprintf(err, errlen, "index %s is in use by another process "
                     "(is another searchd running?)", dir);
        } else if (st != XAP_OK && st != XAP_ENOMEM) {
            damaged(err, errlen, sh->dir, st,
                    sh->db ? xap_last_error(sh->db) : "out of memory");
        } else if (st != XAP_OK) {
            snprintf(err, errlen, "cannot open index %s: %s", sh->dir,
                     xap_status_str(st));
        } else {
            /* Commit once so that readers can open a brand-new index. */
            st = xap_commit(sh->db);
            if (st == XAP_OK)
                st = xap_doc_count(sh->db, &count);
            if (st != XAP_OK)
                snprintf(err, errlen, "cannot write index %s: %s", sh->dir,
                         xap_last_error(sh->db));
        }
        if (st != XAP_OK) {
            rc = -EIO;
            goto out;
        }
        atomic_store(&sh->documents, count);
        if (mark_recorded(sh, count) < 0) {
            snprintf(err, errlen, "cannot write index %s: %s", sh->dir,
                     xap_last_error(sh->db));
            rc = -EIO;
            goto out;
        }
        xap_meta_each(sh->db, (char[]){ FILESTATE_KEY_PATH }, 1,
                      load_failed_cb, ix);
        xap_meta_each(sh->db, (char[]){ FILESTATE_KEY_HASH }, 1,
                      load_failed_cb, ix);
    }
    rc = layout_write_stub(dir, &dirs, err, errlen);
out:
    pathv_clear(&dirs);
    return rc;
}

static void
free_shards(struct indexer *ix)
{
    for (unsigned i = 0; i < ix->n_shards; i++) {
        struct shard *sh = &ix->shards[i];

        xap_close(sh->db);
        pthread_cond_destroy(&sh->cond);
        free(sh->dir);
    }
    free(ix->shards);
}

static unsigned
cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);

    return n < 1 ? 1 : n > INDEXER_MAX_SHARDS ? INDEXER_MAX_SHARDS
                                              : (unsigned)n;
}

struct indexer *
indexer_new(const struct indexer_config *cfg, struct event_base *base,
            char *err, size_t errlen)
{
    struct indexer *ix = xcalloc(1, sizeof *ix);
    unsigned want = cfg->shards ? cfg->shards : cpus();
    struct timeval second = { 1, 0 };

    ix->reg = cfg->reg;
    ix->base = base;
    ix->batch_docs = cfg->batch_docs ? cfg->batch_docs : INDEXER_BATCH_DOCS;
    ix->batch_ms = cfg->batch_ms ? cfg->batch_ms
                                 : INDEXER_BATCH_SECONDS * 1000;
    {
        /* Writers first: a reload on the loop thread must not wait out
         * a stream of shard threads' short reads. */
        pthread_rwlockattr_t ra;

        pthread_rwlockattr_init(&ra);
        pthread_rwlockattr_setkind_np(
            &ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&ix->reload_lock, &ra);
        pthread_rwlockattr_destroy(&ra);
    }
    pthread_mutex_init(&ix->lock, NULL);
    pthread_cond_init(&ix->cond, NULL);
    pthread_cond_init(&ix->xq_cond, NULL);
    if (want > INDEXER_MAX_SHARDS)
        want = INDEXER_MAX_SHARDS;
    if (open_shards(ix, cfg->dir, want, err, errlen) < 0)
        goto fail;
    ix->plugin_set = filestate_plugin_set(cfg->reg);
    ix->plugin_versions = filestate_plugin_versions(cfg->reg);
    if (ix->readonly != NULL)
        health_set(HEALTH_READ_ONLY, cfg->dir, "the index cannot be "
                   "written (%s): searches work, nothing is indexed",
                   ix->readonly);
    ix->pool = ix->readonly ? NULL : wpool_new(&cfg->pool);
    ix->n_feeders = cfg->pool.workers ? cfg->pool.workers : 1;
    ix->feeders = xcalloc(ix->n_feeders, sizeof *ix->feeders);
    ix->done_ev = event_new(base, -1, 0, done_cb, ix);
    ix->tick_ev = event_new(base, -1, EV_PERSIST, tick_cb, ix);
    if (ix->done_ev == NULL || ix->tick_ev == NULL ||
        event_add(ix->tick_ev, &second) < 0) {
        snprintf(err, errlen, "cannot create event");
        goto fail;
    }
    tick_cb(-1, 0, ix);
    return ix;
fail:
    if (ix->done_ev)
        event_free(ix->done_ev);
    if (ix->tick_ev)
        event_free(ix->tick_ev);
    wpool_free(ix->pool);
    free(ix->feeders);
    free_shards(ix);
    for (size_t b = 0; b < FAIL_BUCKETS; b++)
        while (ix->fails[b] != NULL)
            fail_del(ix, ix->fails[b]->path);
    pthread_cond_destroy(&ix->xq_cond);
    pthread_cond_destroy(&ix->cond);
    pthread_mutex_destroy(&ix->lock);
    pthread_rwlock_destroy(&ix->reload_lock);
    free(ix->readonly);
    free(ix);
    return NULL;
}

static void
free_defaults(struct defaults *defs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(defs[i].dir);
        free(defs[i].outlet);
        free(defs[i].lang);
    }
    free(defs);
}

void
indexer_set_defaults(struct indexer *ix, const struct indexer_defaults *d,
                     size_t n)
{
    struct defaults *defs = xcalloc(n ? n : 1, sizeof *defs), *old;
    size_t n_old;

    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(d[i].dir);

        while (len > 1 && d[i].dir[len - 1] == '/')
            len--;
        defs[i].dir = xstrndup(d[i].dir, len);
        defs[i].dir_len = len;
        defs[i].outlet = d[i].outlet ? xstrdup(d[i].outlet) : NULL;
        defs[i].lang = d[i].lang ? xstrdup(d[i].lang) : NULL;
    }
    pthread_rwlock_wrlock(&ix->reload_lock);
    old = ix->defs;
    n_old = ix->n_defs;
    ix->defs = defs;
    ix->n_defs = n;
    pthread_rwlock_unlock(&ix->reload_lock);
    free_defaults(old, n_old);
}

void
indexer_plugins_lock(struct indexer *ix)
{
    pthread_rwlock_wrlock(&ix->reload_lock);
}

void
indexer_plugins_unlock(struct indexer *ix, const struct plugins *reg,
                       const struct wpool_config *pool, bool *changed_out)
{
    uint64_t set = filestate_plugin_set(reg);
    uint64_t versions = filestate_plugin_versions(reg);

    *changed_out = set != ix->plugin_set || versions != ix->plugin_versions;
    ix->reg = reg;
    ix->plugin_set = set;
    ix->plugin_versions = versions;
    pthread_rwlock_unlock(&ix->reload_lock);
    if (ix->pool != NULL)
        wpool_reload(ix->pool, pool);
}

void
indexer_set_batch(struct indexer *ix, unsigned docs, unsigned ms)
{
    pthread_mutex_lock(&ix->lock);
    ix->batch_docs = docs ? docs : INDEXER_BATCH_DOCS;
    ix->batch_ms = ms ? ms : INDEXER_BATCH_SECONDS * 1000;
    for (unsigned i = 0; i < ix->n_shards; i++)
        pthread_cond_signal(&ix->shards[i].cond);
    pthread_mutex_unlock(&ix->lock);
}

const char *
indexer_readonly(const struct indexer *ix)
{
    return ix->readonly;
}

int
indexer_start(struct indexer *ix)
{
    int rc;

    if (ix->readonly != NULL)
        return 0;
    rc = pthread_create(&ix->scanner, NULL, scanner_main, ix);
    if (rc != 0)
        return -rc;
    ix->is_started = true;
    for (unsigned i = 0; i < ix->n_shards; i++) {
        rc = pthread_create(&ix->shards[i].thread, NULL, shard_main,
                            &ix->shards[i]);
        if (rc != 0)
            return -rc;
        ix->shards[i].is_started = true;
    }
    for (unsigned i = 0; i < ix->n_feeders; i++) {
        rc = pthread_create(&ix->feeders[i], NULL, feeder_main, ix);
        if (rc != 0)
            return -rc;
        ix->n_started_feeders = i + 1;
    }
    return 0;
}

int
indexer_submit(struct indexer *ix, const char *path, size_t len,
               bool is_scan, indexer_done_cb cb, void *arg)
{
    struct job *j;

    if (len == 0 || len >= PATH_MAX || memchr(path, '\0', len) != NULL)
        return -EINVAL;
    if (ix->readonly != NULL)
        return -EROFS;
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
    unsigned n = ix->n_samples;

    memset(out, 0, sizeof *out);
    for (unsigned i = 0; i < ix->n_shards; i++)
        out->documents += atomic_load(&ix->shards[i].documents);
    out->queued = atomic_load(&ix->queued);
    out->indexed_files = atomic_load(&ix->indexed_files);
    out->unchanged = atomic_load(&ix->unchanged);
    out->probed = atomic_load(&ix->probed);
    out->files_done = atomic_load(&ix->files_done);
    out->generation = atomic_load(&ix->generation);
    out->shards = ix->n_shards;
    out->workers = ix->n_feeders;
    /* A read-only index has no workers. */
    out->sandbox = sandbox_mode_name(ix->pool ? wpool_sandbox(ix->pool)
                                              : SANDBOX_UNKNOWN);
    if (n >= 2) {
        double dt = ix->samples[n - 1].t - ix->samples[0].t;

        if (dt > 0) {
            out->files_per_s =
                (double)(ix->samples[n - 1].files - ix->samples[0].files) /
                dt;
            out->docs_per_s =
                (double)(ix->samples[n - 1].docs - ix->samples[0].docs) / dt;
        }
    }
    pthread_mutex_lock(&ix->lock);
    out->failed = ix->n_fails;
    out->scan_done = ix->scans_pending == 0;
    pthread_mutex_unlock(&ix->lock);
}

static int
cmp_failure(const void *a, const void *b)
{
    const struct indexer_failure *x = a, *y = b;

    return strcmp(x->path, y->path);
}

struct indexer_failure *
indexer_failures(struct indexer *ix, size_t *n_out)
{
    struct indexer_failure *v;
    size_t n = 0;

    pthread_mutex_lock(&ix->lock);
    v = xcalloc(ix->n_fails + 1, sizeof *v);
    for (size_t b = 0; b < FAIL_BUCKETS; b++) {
        for (struct fail *f = ix->fails[b]; f != NULL; f = f->next) {
            v[n].path = xstrdup(f->path);
            v[n].path_len = strlen(f->path);
            v[n].plugin = xstrdup(f->plugin);
            v[n].reason = xstrdup(f->reason);
            n++;
        }
    }
    pthread_mutex_unlock(&ix->lock);
    qsort(v, n, sizeof *v, cmp_failure);
    *n_out = n;
    return v;
}

void
indexer_failures_free(struct indexer_failure *f, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(f[i].path);
        free(f[i].plugin);
        free(f[i].reason);
    }
    free(f);
}

uint64_t
indexer_generation(struct indexer *ix)
{
    return atomic_load(&ix->generation);
}

/* Cancel every item still in q (under ix->lock). */
static void
cancel_queue_locked(struct indexer *ix, struct itemq *q)
{
    struct item *it;

    while ((it = q_pop(q)) != NULL) {
        it->status = -ECANCELED;
        release_locked(ix, it);
    }
}

void
indexer_free(struct indexer *ix)
{
    struct job *j;

    if (ix == NULL)
        return;
    pthread_mutex_lock(&ix->lock);
    ix->is_stopping = true;
    pthread_cond_broadcast(&ix->cond);
    pthread_cond_broadcast(&ix->xq_cond);
    for (unsigned i = 0; i < ix->n_shards; i++)
        pthread_cond_signal(&ix->shards[i].cond);
    pthread_mutex_unlock(&ix->lock);
    /* Extractions in progress end now. */
    if (ix->pool != NULL)
        wpool_cancel(ix->pool);
    for (unsigned i = 0; i < ix->n_started_feeders; i++)
        pthread_join(ix->feeders[i], NULL);
    for (unsigned i = 0; i < ix->n_shards; i++)
        if (ix->shards[i].is_started)
            pthread_join(ix->shards[i].thread, NULL);
    if (ix->is_started)
        pthread_join(ix->scanner, NULL);
    /* Whatever was still on its way is cancelled. */
    pthread_mutex_lock(&ix->lock);
    cancel_queue_locked(ix, &ix->xq);
    for (unsigned i = 0; i < ix->n_shards; i++) {
        cancel_queue_locked(ix, &ix->shards[i].todo);
        cancel_queue_locked(ix, &ix->shards[i].done);
        cancel_queue_locked(ix, &ix->shards[i].waiting);
        cancel_queue_locked(ix, &ix->shards[i].retry);
    }
    while ((j = ix->head) != NULL) {
        ix->head = j->next;
        j->res.status = -ECANCELED;
        snprintf(j->res.message, sizeof j->res.message,
                 "searchd is shutting down");
        j->pending = 1;
        job_unref_locked(ix, j);
    }
    pthread_mutex_unlock(&ix->lock);
    done_cb(-1, 0, ix);
    event_free(ix->done_ev);
    event_free(ix->tick_ev);
    wpool_free(ix->pool);
    free(ix->feeders);
    free_shards(ix);
    for (size_t b = 0; b < FAIL_BUCKETS; b++)
        while (ix->fails[b] != NULL)
            fail_del(ix, ix->fails[b]->path);
    free_defaults(ix->defs, ix->n_defs);
    pthread_cond_destroy(&ix->xq_cond);
    pthread_cond_destroy(&ix->cond);
    pthread_mutex_destroy(&ix->lock);
    pthread_rwlock_destroy(&ix->reload_lock);
    free(ix->readonly);
    free(ix);
}
