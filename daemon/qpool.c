/*
 * qpool.c - query worker threads.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proto.h"
#include "qpool.h"
#include "util.h"
#include "xap.h"

struct qjob {
    struct qjob *next;
    json_t *id;         /* owned reference */
    char *q;            /* owned */
    unsigned offset, limit;
    enum proto_match match;
    enum proto_sort sort;
    char *since, *until;  /* owned or NULL */
    char *like, *like_member;   /* owned or NULL */
    char *outlet;         /* owned or NULL */
    bool want_facets;
    bool want_correct;
    enum proto_copies copies;
    qpool_done_cb cb;
    void *arg;
    const atomic_bool *gone;    /* borrowed from the submitter, or NULL */
    bool is_dropped;    /* not run: its client was gone */
    uint64_t tag;       /* fair-queueing order: the queue is sorted by it */
    char *reply;        /* owned; set by the worker */
    size_t reply_len;
};

struct worker {
    struct qpool *qp;
    pthread_t thread;
    xap_db *db;         /* owned; only this worker touches it */
    uint64_t generation;
};

struct qpool {
    struct indexer *ix;         /* borrowed */
    struct event *done_ev;      /* owned */
    struct worker *workers;     /* owned */
    unsigned n_workers;         /* allocated, each may hold a handle */
    unsigned n_started;         /* threads running */

    pthread_mutex_t lock;       /* guards the lists and is_stopping */
    pthread_cond_t cond;
    struct qjob *head, *tail;   /* sorted by tag, then by arrival */
    size_t n_queued;
    uint64_t vtime;             /* tag of the search started last */
    struct qjob *done_head, *done_tail;
    bool is_stopping;
    atomic_uint_fast64_t abandoned;     /* qpool_abandoned */
};

static void
qjob_free(struct qjob *j)
{
    if (j == NULL)
        return;
    json_decref(j->id);
    free(j->q);
    free(j->since);
    free(j->until);
    free(j->outlet);
    free(j->like);
    free(j->like_member);
    free(j->reply);
    free(j);
}

static const char *
code_for(xap_status st)
{
    switch (st) {
    case XAP_EQUERY:   return SD_ERR_BAD_QUERY;
    case XAP_ENOTFOUND: return SD_ERR_NOT_FOUND;
    case XAP_ENOMEM:   return SD_ERR_INTERNAL;
    case XAP_EINVAL:   return SD_ERR_INTERNAL;
    default:           return SD_ERR_INDEX;
    }
}

/* Copy a member of the stored data into a hit, or null. */
static void
copy_field(json_t *hit, json_t *data, const char *key)
{
    json_t *v = json_object_get(data, key);

    json_object_set_new(hit, key, v ? json_incref(v) : json_null());
}

static int
cmp_json_str(const void *a, const void *b)
{
    return strcmp(json_string_value(*(json_t *const *)a),
                  json_string_value(*(json_t *const *)b));
}

/*
 * The copies folded into hit i: "copies" (how many), "also_in" (the
 * outlets they are in other than the hit's own, sorted, each once) and,
 * when listing, "copy_list".  outlet is the hit's (borrowed, may be NULL).
 */
static void
add_copies(json_t *hit, const xap_hits *h, size_t i, const char *outlet,
           bool is_list)
{
    json_t *outlets = json_array(), *list = json_array();
    struct xap_copy c;
    size_t n;

    for (size_t j = 0; xap_hits_copy(h, i, j, &c); j++) {
        size_t len = strlen(c.outlet);
        bool seen = len == 0 ||
                    (outlet != NULL && strcmp(outlet, c.outlet) == 0);

        for (size_t k = 0; !seen && k < json_array_size(outlets); k++)
            seen = strcmp(json_string_value(json_array_get(outlets, k)),
                          c.outlet) == 0;
        if (!seen) {
            /* Values are the plugins' UTF-8 as indexed; repair the rest. */
            char *fixed = utf8_valid(c.outlet, len)
                              ? NULL
                              : utf8_replace_invalid(c.outlet, len, &len);
            json_array_append_new(outlets,
                                  json_stringn(fixed ? fixed : c.outlet, len));
            free(fixed);
        }
        if (is_list) {
            json_t *data = json_loads(c.data, 0, NULL), *e = json_object();
            static const char *const keys[] = {
                "title", "outlet", "date", "path",
            };

            if (data == NULL)
                data = json_object();
            for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
                copy_field(e, data, keys[k]);
            if (json_object_get(data, "path_b64"))
                copy_field(e, data, "path_b64");
            if (json_object_get(data, "member"))
                copy_field(e, data, "member");
            json_object_set_new(e, "exact", json_boolean(c.is_exact));
            json_array_append_new(list, e);
            json_decref(data);
        }
    }
    n = json_array_size(outlets);
    if (n > 1) {
        json_t **v = xcalloc(n, sizeof *v);

        for (size_t k = 0; k < n; k++)
            v[k] = json_incref(json_array_get(outlets, k));
        qsort(v, n, sizeof *v, cmp_json_str);
        json_array_clear(outlets);
        for (size_t k = 0; k < n; k++)
            json_array_append_new(outlets, v[k]);
        free(v);
    }
    json_object_set_new(hit, "copies",
                        json_integer((json_int_t)xap_hits_copies(h, i)));
    json_object_set_new(hit, "also_in", outlets);
    if (is_list)
        json_object_set_new(hit, "copy_list", list);
    else
        json_decref(list);
}

static json_t *
hit_json(const xap_hits *h, size_t i, unsigned rank,
         enum proto_copies copies)
{
    json_t *hit = json_object();
    json_t *data = json_loads(xap_hits_data(h, i), 0, NULL);
    json_t *authors;

    if (data == NULL)
        data = json_object();
    json_object_set_new(hit, "rank", json_integer(rank));
    json_object_set_new(hit, "score", json_real(xap_hits_score(h, i)));
    copy_field(hit, data, "title");
    copy_field(hit, data, "outlet");
    authors = json_object_get(data, "authors");
    json_object_set_new(hit, "authors",
                        json_is_array(authors) ? json_incref(authors)
                                               : json_array());
    copy_field(hit, data, "date");
    copy_field(hit, data, "place");
    copy_field(hit, data, "path");
    if (json_object_get(data, "path_b64"))
        copy_field(hit, data, "path_b64");
    if (json_object_get(data, "member"))
        copy_field(hit, data, "member");
    if (json_object_get(data, "url"))
        copy_field(hit, data, "url");
    json_object_set_new(hit, "snippet",
                        json_string(xap_hits_snippet(h, i)));
    copy_field(hit, data, "plugin");
    if (copies != PROTO_COPIES_ALL)
        add_copies(hit, h, i,
                   json_string_value(json_object_get(data, "outlet")),
                   copies == PROTO_COPIES_LIST);
    json_decref(data);
    return hit;
}

static const char *
sort_name(enum proto_sort sort)
{
    switch (sort) {
    case PROTO_SORT_NEWEST: return "newest";
    case PROTO_SORT_OLDEST: return "oldest";
    default:                return "relevance";
    }
}

/* {"outlet":[{"value":..,"count":..},...],"year":[...]} */
static json_t *
facets_json(const xap_hits *h)
{
    static const char *const names[XAP_FACET__COUNT] = {"outlet", "year"};
    json_t *facets = json_object();

    for (int f = 0; f < XAP_FACET__COUNT; f++) {
        json_t *arr = json_array();
        const char *v;
        uint64_t n;

        for (size_t i = 0;
             (v = xap_hits_facet_value(h, (enum xap_facet)f, i, &n)) != NULL;
             i++) {
            json_t *e = json_object();
            size_t len = strlen(v);
            /* Stored values are the plugins' UTF-8 as indexed; repair
             * anything else rather than drop the reply. */
            char *fixed = utf8_valid(v, len) ? NULL
                          : utf8_replace_invalid(v, len, &len);

            json_object_set_new(e, "value",
                                json_stringn(fixed ? fixed : v, len));
            json_object_set_new(e, "count", json_integer((json_int_t)n));
            json_array_append_new(arr, e);
            free(fixed);
        }
        json_object_set_new(facets, names[f], arr);
    }
    return facets;
}

static xap_status
search_once(struct worker *w, const struct qjob *j, xap_hits **hits_out)
{
    struct xap_query q = {
        .text = j->q, .offset = j->offset, .limit = j->limit,
        .snippet_len = 200, .match_any = j->match == PROTO_MATCH_ANY,
        .sort = j->sort == PROTO_SORT_NEWEST   ? XAP_SORT_NEWEST
                : j->sort == PROTO_SORT_OLDEST ? XAP_SORT_OLDEST
                                               : XAP_SORT_RELEVANCE,
        .since = j->since, .until = j->until, .outlet = j->outlet,
        .facets = j->want_facets, .correct = j->want_correct,
        .like_path = j->like, .like_member = j->like_member,
        .copies = j->copies == PROTO_COPIES_ALL    ? XAP_COPIES_ALL
                  : j->copies == PROTO_COPIES_LIST ? XAP_COPIES_LIST
                                                   : XAP_COPIES_FOLD,
    };
    uint64_t gen = indexer_generation(w->qp->ix);
    xap_status st;

    if (gen != w->generation) {
        st = xap_reopen(w->db);
        if (st != XAP_OK)
            return st;
        w->generation = gen;
    }
    st = xap_search(w->db, &q, hits_out);
    /* Fell behind a writer: reopen and retry.  Shards commit on their
     * own, so during a bulk load one shard may move on while the search
     * retried after another did: a few tries, not one. */
    for (int tries = 0; st == XAP_EMODIFIED && tries < QPOOL_MAX_RETRIES;
         tries++) {
        st = xap_reopen(w->db);
        if (st == XAP_OK)
            st = xap_search(w->db, &q, hits_out);
    }
    return st;
}

static void
run_search(struct worker *w, struct qjob *j)
{
    xap_hits *hits = NULL;
    xap_status st = search_once(w, j, &hits);
    json_t *body, *arr;
    uint64_t lower, upper, total;

    if (st != XAP_OK) {
        const char *msg = xap_last_error(w->db);
        if (st != XAP_EQUERY && st != XAP_ENOTFOUND)
            log_err("query: \"%.80s\": %s: %s", j->q, xap_status_str(st),
                    msg);
        j->reply = proto_reply_error_at(
            j->id, code_for(st), msg[0] ? msg : xap_status_str(st),
            st == XAP_EQUERY ? xap_last_error_pos(w->db) : -1,
            &j->reply_len);
        return;
    }
    total = xap_hits_total(hits, &lower, &upper);
    body = json_object();
    json_object_set_new(body, "total", json_integer((json_int_t)total));
    json_object_set_new(body, "total_exact", json_boolean(lower == upper));
    if (lower != upper) {
        json_object_set_new(body, "total_lower",
                            json_integer((json_int_t)lower));
        json_object_set_new(body, "total_upper",
                            json_integer((json_int_t)upper));
    }
    json_object_set_new(body, "sort", json_string(sort_name(j->sort)));
    if (xap_hits_suggestion(hits) != NULL) {
        json_object_set_new(body, "suggestion",
                            json_string(xap_hits_suggestion(hits)));
        json_object_set_new(body, "corrected",
                            json_boolean(xap_hits_corrected(hits)));
    }
    if (j->want_facets)
        json_object_set_new(body, "facets", facets_json(hits));
    arr = json_array();
    for (size_t i = 0; i < xap_hits_count(hits); i++)
        json_array_append_new(arr, hit_json(hits, i,
                                             j->offset + (unsigned)i + 1,
                                             j->copies));
    json_object_set_new(body, "hits", arr);
    j->reply = proto_reply_ok(j->id, body, &j->reply_len);
    json_decref(body);
    xap_hits_free(hits);
}

static void
post_done(struct qpool *qp, struct qjob *j)
{
    pthread_mutex_lock(&qp->lock);
    j->next = NULL;
    if (qp->done_tail)
        qp->done_tail->next = j;
    else
        qp->done_head = j;
    qp->done_tail = j;
    pthread_mutex_unlock(&qp->lock);
    event_active(qp->done_ev, EV_READ, 0);
}

static void *
qworker_main(void *arg)
{
    struct worker *w = arg;
    struct qpool *qp = w->qp;

    for (;;) {
        struct qjob *j;

        pthread_mutex_lock(&qp->lock);
        while (!qp->is_stopping && qp->head == NULL)
            pthread_cond_wait(&qp->cond, &qp->lock);
        if (qp->is_stopping) {
            pthread_mutex_unlock(&qp->lock);
            return NULL;
        }
        j = qp->head;
        qp->head = j->next;
        if (qp->head == NULL)
            qp->tail = NULL;
        qp->n_queued--;
        if (j->tag > qp->vtime)
            qp->vtime = j->tag;
        pthread_mutex_unlock(&qp->lock);

        if (j->gone != NULL && atomic_load(j->gone)) {
            j->is_dropped = true;
            atomic_fetch_add(&qp->abandoned, 1);
        } else {
            run_search(w, j);
        }
        post_done(qp, j);
    }
}

static void
deliver(struct qjob *j)
{
    if (j->is_dropped) {
        j->cb(NULL, 0, j->arg);
        qjob_free(j);
        return;
    }
    if (j->reply == NULL)
        j->reply = proto_reply_error(j->id, SD_ERR_BUSY,
                                     "searchd is shutting down",
                                     &j->reply_len);
    j->cb(j->reply, j->reply_len, j->arg);
    qjob_free(j);
}

static void
done_cb(evutil_socket_t fd, short what, void *arg)
{
    struct qpool *qp = arg;
    struct qjob *list;

    (void)fd;
    (void)what;
    pthread_mutex_lock(&qp->lock);
    list = qp->done_head;
    qp->done_head = qp->done_tail = NULL;
    pthread_mutex_unlock(&qp->lock);
    while (list) {
        struct qjob *next = list->next;
        deliver(list);
        list = next;
    }
}

struct qpool *
qpool_new(const char *dir, unsigned nthreads, struct indexer *ix,
          struct event_base *base, char *err, size_t errlen)
{
    struct qpool *qp = xcalloc(1, sizeof *qp);
    unsigned started = 0;

    atomic_init(&qp->abandoned, 0);
    qp->ix = ix;
    pthread_mutex_init(&qp->lock, NULL);
    pthread_cond_init(&qp->cond, NULL);
    qp->done_ev = event_new(base, -1, 0, done_cb, qp);
    qp->workers = xcalloc(nthreads, sizeof *qp->workers);
    qp->n_workers = nthreads;
    for (unsigned i = 0; i < nthreads; i++) {
        struct worker *w = &qp->workers[i];
        xap_status st = xap_open(dir, XAP_READONLY, &w->db);

        w->qp = qp;
        w->generation = indexer_generation(ix);
        if (st != XAP_OK) {
            snprintf(err, errlen, "cannot open index %s for reading: %s",
                     dir, w->db ? xap_last_error(w->db) : "out of memory");
            goto fail;
        }
    }
    for (; started < nthreads; started++) {
        int rc = pthread_create(&qp->workers[started].thread, NULL,
                                qworker_main, &qp->workers[started]);
        if (rc != 0) {
            snprintf(err, errlen, "cannot start query thread: %s",
                     strerror(rc));
            goto fail;
        }
    }
    qp->n_started = started;
    return qp;
fail:
    qp->n_started = started;
    qpool_free(qp);
    return NULL;
}

/*
 * Start-time fair queueing with unit costs: a search's tag is one past
 * the later of the tag of the search started last (vtime) and its
 * client's previous tag; the queue runs in tag order.  A client that
 * pipelines n searches gets tags vtime+1..vtime+n, and another client's
 * next search, tagged vtime+1, goes before all but its first.  Tags only
 * grow, so nothing waits forever.  Under the lock.
 */
static void
enqueue_fair(struct qpool *qp, struct qjob *j, uint64_t *fair_tag)
{
    struct qjob **pp;

    if (fair_tag == NULL) {
        /* No client to be fair between: after everything queued. */
        j->tag = qp->tail ? qp->tail->tag : qp->vtime;
    } else {
        j->tag = (*fair_tag > qp->vtime ? *fair_tag : qp->vtime) + 1;
        *fair_tag = j->tag;
    }
    if (qp->tail == NULL || qp->tail->tag <= j->tag) {
        /* The common case: in order. */
        if (qp->tail)
            qp->tail->next = j;
        else
            qp->head = j;
        qp->tail = j;
        return;
    }
    for (pp = &qp->head; (*pp)->tag <= j->tag; pp = &(*pp)->next)
        ;   /* ends before the tail: its tag is greater */
    j->next = *pp;
    *pp = j;
}

int
qpool_submit(struct qpool *qp, const struct proto_request *req,
             uint64_t *fair_tag, const atomic_bool *gone,
             qpool_done_cb cb, void *arg)
{
    struct qjob *j;

    pthread_mutex_lock(&qp->lock);
    if (qp->is_stopping || qp->n_queued >= QPOOL_MAX_QUEUE) {
        pthread_mutex_unlock(&qp->lock);
        return -EBUSY;
    }
    j = xcalloc(1, sizeof *j);
    j->id = json_incref(req->id);
    j->q = xstrdup(req->q);
    j->offset = req->offset;
    j->limit = req->limit;
    j->match = req->match;
    j->copies = req->copies;
    j->sort = req->sort;
    j->since = req->since ? xstrdup(req->since) : NULL;
    j->until = req->until ? xstrdup(req->until) : NULL;
    j->outlet = req->outlet ? xstrdup(req->outlet) : NULL;
    j->like = req->like ? xstrdup(req->like) : NULL;
    j->like_member = req->like_member ? xstrdup(req->like_member) : NULL;
    j->want_facets = req->want_facets;
    j->want_correct = req->want_correct;
    j->cb = cb;
    j->arg = arg;
    j->gone = gone;
    enqueue_fair(qp, j, fair_tag);
    qp->n_queued++;
    pthread_cond_signal(&qp->cond);
    pthread_mutex_unlock(&qp->lock);
    return 0;
}

void
qpool_free(struct qpool *qp)
{
    struct qjob *j;

    if (qp == NULL)
        return;
    pthread_mutex_lock(&qp->lock);
    qp->is_stopping = true;
    pthread_cond_broadcast(&qp->cond);
    pthread_mutex_unlock(&qp->lock);
    for (unsigned i = 0; i < qp->n_started; i++)
        pthread_join(qp->workers[i].thread, NULL);
    done_cb(-1, 0, qp);
    while ((j = qp->head) != NULL) {
        qp->head = j->next;
        deliver(j);
    }
    /* Handles of workers that never started are closed here too. */
    for (unsigned i = 0; i < qp->n_workers; i++)
        xap_close(qp->workers[i].db);
    free(qp->workers);
    if (qp->done_ev)
        event_free(qp->done_ev);
    pthread_cond_destroy(&qp->cond);
    pthread_mutex_destroy(&qp->lock);
    free(qp);
}

uint64_t
qpool_abandoned(struct qpool *qp)
{
    return (uint64_t)atomic_load(&qp->abandoned);
}
