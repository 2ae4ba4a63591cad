/*
 * check_xap.c - the Xapian shim (xap.h), tested from outside on a real
 * index in a fresh mkdtemp folder per test, all under one folder per run
 * that main removes at the end (SD_TEST_KEEP=1 keeps it).
 *
 * Covers each reachable status (a missing index gives ENOTFOUND, a second
 * writer ELOCKED, "foo AND" EQUERY, a reader left behind by many commits
 * EMODIFIED, garbage on disk ECORRUPT), writes and deletes, queries and
 * ranking, snippets, the stored JSON, reopening after a commit, and that
 * returned strings live until xap_hits_free.  Needs no other environment;
 * under valgrind run it with CK_FORK=no.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "doc.h"
#include "util.h"
#include "xap.h"

static char run_dir[512];       /* per run, holds every tmp_dir; see main */
static char tmp_dir[600];       /* per test, see tmp_setup */
static char *index_dir;         /* tmp_dir/index, owned; not created */
static bool keep_files;         /* $SD_TEST_KEEP: leave the indexes */

/* ---- helpers ------------------------------------------------------------ */

/* expr must give XAP_OK; otherwise fail with the status and db's text. */
#define ASSERT_OK(db, expr)                                                 \
    do {                                                                    \
        xap_status st_ = (expr);                                            \
        ck_assert_msg(st_ == XAP_OK, "%s: %s: %s", #expr,                   \
                      xap_status_str(st_), xap_last_error(db));             \
    } while (0)

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void
rm_tree(const char *dir)
{
    if (dir[0] != '\0' && !keep_files)
        nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void
tmp_setup(void)
{
    snprintf(tmp_dir, sizeof tmp_dir, "%s/test.XXXXXX", run_dir);
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
    index_dir = xasprintf("%s/index", tmp_dir);
}

/* Not reached when a test fails in fork mode; main removes run_dir. */
static void
tmp_teardown(void)
{
    rm_tree(tmp_dir);
    tmp_dir[0] = '\0';
    free(index_dir);
    index_dir = NULL;
}

/* What a test document holds; NULL fields stay unset.  key defaults to
 * path, or path#member. */
struct spec {
    const char *key;
    const char *path;
    const char *member;
    const char *title;
    const char *body;
    const char *author;
    const char *author2;
    const char *outlet;
    const char *place;
    const char *date;
    const char *plugin;
    const char *lang;
    const char *keyword;
};

static void
set(char **slot, const char *s)
{
    if (s != NULL)
        doc_set(slot, s, strlen(s));
}

/* A doc from s, owned by the caller (doc_free). */
static struct doc *
doc_from(const struct spec *s)
{
    struct doc *d = doc_new();

    if (s->key != NULL)
        set(&d->key, s->key);
    else if (s->path != NULL && s->member != NULL)
        d->key = xasprintf("%s#%s", s->path, s->member);
    else
        set(&d->key, s->path);
    set(&d->path, s->path);
    set(&d->member, s->member);
    set(&d->title, s->title);
    set(&d->outlet, s->outlet);
    set(&d->place, s->place);
    set(&d->date, s->date);
    set(&d->plugin, s->plugin);
    set(&d->lang, s->lang);
    if (s->keyword != NULL)
        strv_push(&d->keywords, s->keyword, strlen(s->keyword));
    if (s->plugin != NULL)
        set(&d->plugin_version, "1.0");
    if (s->author != NULL)
        strv_push(&d->authors, s->author, strlen(s->author));
    if (s->author2 != NULL)
        strv_push(&d->authors, s->author2, strlen(s->author2));
    if (s->body != NULL)
        strv_push(&d->body, s->body, strlen(s->body));
    return d;
}

static void
add(xap_db *db, const struct spec *s)
{
    struct doc *d = doc_from(s);

    ASSERT_OK(db, xap_replace(db, d));
    doc_free(d);
}

/* Open dir (index_dir when NULL), failing the test unless it works. */
static xap_db *
open_at(const char *dir, unsigned flags)
{
    xap_db *db = NULL;

    ASSERT_OK(db, xap_open(dir != NULL ? dir : index_dir, flags, &db));
    ck_assert_ptr_nonnull(db);
    return db;
}

static uint64_t
doc_count(xap_db *db)
{
    uint64_t n = UINT64_MAX;

    ASSERT_OK(db, xap_doc_count(db, &n));
    return n;
}

static xap_status
search_st(xap_db *db, const char *text, unsigned offset, unsigned limit,
          size_t snippet_len, xap_hits **hits_out)
{
    struct xap_query q = {
        .text = text,
        .offset = offset,
        .limit = limit,
        .snippet_len = snippet_len,
    };

    *hits_out = NULL;
    return xap_search(db, &q, hits_out);
}

/* A result page for text, failing the test unless the search works. */
static xap_hits *
search(xap_db *db, const char *text, unsigned offset, unsigned limit)
{
    xap_hits *h = NULL;
    xap_status st = search_st(db, text, offset, limit, 0, &h);

    ck_assert_msg(st == XAP_OK, "search \"%s\": %s: %s", text,
                  xap_status_str(st), xap_last_error(db));
    ck_assert_ptr_nonnull(h);
    return h;
}

static size_t
count_hits(xap_db *db, const char *text)
{
    xap_hits *h = search(db, text, 0, 100);
    size_t n = xap_hits_count(h);

    xap_hits_free(h);
    return n;
}

/* The stored data of hit i, parsed; owned by the caller (json_decref). */
static json_t *
hit_json(const xap_hits *h, size_t i)
{
    const char *text = xap_hits_data(h, i);
    json_error_t err;
    json_t *o;

    ck_assert_ptr_nonnull(text);
    o = json_loads(text, 0, &err);
    ck_assert_msg(o != NULL, "hit %zu data is not JSON (%s): %s", i,
                  err.text, text);
    ck_assert_msg(json_is_object(o), "hit %zu data is not an object: %s", i,
                  text);
    return o;
}

/* String field key of hit i (owned), or NULL when absent or not a
 * string. */
static char *
hit_str(const xap_hits *h, size_t i, const char *key)
{
    json_t *o = hit_json(h, i);
    const char *s = json_string_value(json_object_get(o, key));
    char *copy = s != NULL ? xstrdup(s) : NULL;

    json_decref(o);
    return copy;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The "path" of every hit for q (limit 100 when 0), space-separated, in
 * rank order or sorted; owned by the caller. */
static char *
paths_for_q(xap_db *db, const struct xap_query *q, bool sorted)
{
    struct xap_query qq = *q;
    xap_hits *h = NULL;
    xap_status st;

    if (qq.limit == 0)
        qq.limit = 100;
    st = xap_search(db, &qq, &h);
    ck_assert_msg(st == XAP_OK, "search \"%s\": %s: %s", q->text,
                  xap_status_str(st), xap_last_error(db));
    size_t n = xap_hits_count(h), len = 1;
    char **paths = xcalloc(n + 1, sizeof *paths);
    char *out;

    for (size_t i = 0; i < n; i++) {
        paths[i] = hit_str(h, i, "path");
        ck_assert_ptr_nonnull(paths[i]);
        len += strlen(paths[i]) + 1;
    }
    xap_hits_free(h);
    if (sorted)
        qsort(paths, n, sizeof *paths, cmp_str);
    out = xcalloc(len, 1);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            strcat(out, " ");
        strcat(out, paths[i]);
        free(paths[i]);
    }
    free(paths);
    return out;
}

static char *
paths_for(xap_db *db, const char *text, bool sorted)
{
    struct xap_query q = { .text = text };

    return paths_for_q(db, &q, sorted);
}

#define ASSERT_PATHS(db, text, sorted, want)                                \
    do {                                                                    \
        char *got_ = paths_for((db), (text), (sorted));                     \
        ck_assert_msg(strcmp(got_, (want)) == 0,                            \
                      "query \"%s\": want [%s], got [%s]", (text), (want),  \
                      got_);                                                \
        free(got_);                                                         \
    } while (0)

/* Snippet of the only hit for text, with snippet_len; owned. */
static char *
snippet_for(xap_db *db, const char *text, size_t snippet_len)
{
    xap_hits *h = NULL;
    xap_status st = search_st(db, text, 0, 10, snippet_len, &h);
    char *s;

    ck_assert_msg(st == XAP_OK, "search \"%s\": %s: %s", text,
                  xap_status_str(st), xap_last_error(db));
    ck_assert_uint_eq(xap_hits_count(h), 1);
    ck_assert_ptr_nonnull(xap_hits_snippet(h, 0));
    s = xstrdup(xap_hits_snippet(h, 0));
    xap_hits_free(h);
    return s;
}

/* True when s is HTML-escaped text whose only markup is <b> and </b>. */
static bool
is_escaped_html(const char *s)
{
    static const char *const entities[] = {
        "&lt;", "&gt;", "&amp;", "&quot;", "&#", "&apos;",
    };

    while (*s != '\0') {
        if (strncmp(s, "<b>", 3) == 0) {
            s += 3;
        } else if (strncmp(s, "</b>", 4) == 0) {
            s += 4;
        } else if (*s == '<' || *s == '>') {
            return false;
        } else if (*s == '&') {
            bool ok = false;

            for (size_t i = 0; i < sizeof entities / sizeof *entities; i++)
                ok = ok || strncmp(s, entities[i], strlen(entities[i])) == 0;
            if (!ok)
                return false;
            s++;
        } else {
            s++;
        }
    }
    return true;
}

/* Replace dir/name's bytes with garbage: the same size, or 64 bytes. */
static void
scribble(const char *dir, const char *name, bool keep_size)
{
    char *path = xasprintf("%s/%s", dir, name);
    struct stat st;
    size_t n;
    char *junk;
    int fd;

    ck_assert_msg(stat(path, &st) == 0, "%s: %s", path, strerror(errno));
    n = keep_size ? (size_t)st.st_size : 64;
    junk = xmalloc(n);
    memset(junk, 0xa5, n);
    fd = open(path, O_WRONLY | O_TRUNC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, junk, n), (ssize_t)n);
    close(fd);
    free(junk);
    free(path);
}

/* s repeated n times; owned. */
static char *
repeat(const char *s, size_t n)
{
    size_t len = strlen(s);
    char *out = xmalloc(len * n + 1);

    for (size_t i = 0; i < n; i++)
        memcpy(out + i * len, s, len);
    out[len * n] = '\0';
    return out;
}

/* ---- open and close ----------------------------------------------------- */

START_TEST(open_write_creates_a_new_index)
{
    struct stat st;
    xap_db *db;

    ck_assert_int_ne(stat(index_dir, &st), 0);
    db = open_at(NULL, XAP_WRITE);
    ck_assert_str_eq(xap_last_error(db), "");
    ck_assert_uint_eq(doc_count(db), 0);
    xap_close(db);
    ck_assert_int_eq(stat(index_dir, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));

    /* A reader opens what the writer made; a new writer opens it again. */
    db = open_at(NULL, XAP_READONLY);
    ck_assert_uint_eq(doc_count(db), 0);
    xap_close(db);
    db = open_at(NULL, XAP_WRITE);
    ck_assert_uint_eq(doc_count(db), 0);
    xap_close(db);
}
END_TEST

START_TEST(open_readonly_missing_index_is_enotfound)
{
    static char sentinel;
    char *empty = xasprintf("%s/empty", tmp_dir);
    const char *dirs[] = { index_dir, empty };
    struct stat st;

    ck_assert_int_eq(mkdir(empty, 0755), 0);
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        xap_db *db = (xap_db *)&sentinel;
        xap_status st_open = xap_open(dirs[i], XAP_READONLY, &db);

        ck_assert_msg(st_open == XAP_ENOTFOUND, "%s: %s", dirs[i],
                      xap_status_str(st_open));
        /* On failure the handle carries only the error text. */
        ck_assert_ptr_ne(db, (xap_db *)&sentinel);
        ck_assert_ptr_nonnull(db);
        ck_assert_str_ne(xap_last_error(db), "");
        xap_close(db);
    }
    /* A reader never creates anything. */
    ck_assert_int_ne(stat(index_dir, &st), 0);
    free(empty);
}
END_TEST

START_TEST(open_rejects_missing_dir_argument)
{
    const char *dirs[] = { NULL, "" };

    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        for (unsigned flags = XAP_READONLY; flags <= XAP_WRITE; flags++) {
            xap_db *db = NULL;

            ck_assert_int_eq(xap_open(dirs[i], flags, &db), XAP_EINVAL);
            if (db != NULL)
                ck_assert_str_ne(xap_last_error(db), "");
            xap_close(db);
        }
    }
}
END_TEST

START_TEST(close_and_hits_free_accept_null)
{
    xap_close(NULL);
    xap_hits_free(NULL);
}
END_TEST

START_TEST(status_str_is_distinct_for_every_status)
{
    for (int a = XAP_OK; a <= XAP_EINTERNAL; a++) {
        const char *s = xap_status_str((xap_status)a);

        ck_assert_ptr_nonnull(s);
        ck_assert_msg(s[0] != '\0', "status %d has an empty word", a);
        for (int b = XAP_OK; b < a; b++)
            ck_assert_msg(strcmp(s, xap_status_str((xap_status)b)) != 0,
                          "statuses %d and %d are both \"%s\"", b, a, s);
    }
    ck_assert_str_eq(xap_status_str(XAP_OK), "ok");
    ck_assert_str_eq(xap_status_str(XAP_ELOCKED), "locked");
}
END_TEST

/* ---- writing ------------------------------------------------------------ */

START_TEST(replace_commit_and_doc_count)
{
    xap_db *w = open_at(NULL, XAP_WRITE), *r;

    add(w, &(struct spec){ .path = "a.txt", .body = "alpha words" });
    add(w, &(struct spec){ .path = "b.txt", .body = "beta words" });
    ASSERT_OK(w, xap_commit(w));
    ck_assert_uint_eq(doc_count(w), 2);
    r = open_at(NULL, XAP_READONLY);
    ck_assert_uint_eq(doc_count(r), 2);
    ck_assert_uint_eq(count_hits(r, "words"), 2);
    ck_assert_uint_eq(count_hits(r, "alpha"), 1);
    xap_close(r);
    xap_close(w);
}
END_TEST

START_TEST(replace_same_key_keeps_only_the_last_version)
{
    xap_db *w = open_at(NULL, XAP_WRITE), *r;
    xap_hits *h;
    char *title;

    /* Across a commit... */
    add(w, &(struct spec){ .path = "a.txt", .title = "First draft",
                           .body = "common text" });
    ASSERT_OK(w, xap_commit(w));
    add(w, &(struct spec){ .path = "a.txt", .title = "Second draft",
                           .body = "common text" });
    /* ...and twice in one batch. */
    add(w, &(struct spec){ .path = "b.txt", .member = "m",
                           .title = "Early note", .body = "other" });
    add(w, &(struct spec){ .path = "b.txt", .member = "m",
                           .title = "Late note", .body = "other" });
    ASSERT_OK(w, xap_commit(w));
    ck_assert_uint_eq(doc_count(w), 2);

    r = open_at(NULL, XAP_READONLY);
    ck_assert_uint_eq(doc_count(r), 2);
    h = search(r, "draft", 0, 10);
    ck_assert_uint_eq(xap_hits_count(h), 1);
    title = hit_str(h, 0, "title");
    ck_assert_str_eq(title, "Second draft");
    free(title);
    xap_hits_free(h);
    ck_assert_uint_eq(count_hits(r, "first"), 0);
    ck_assert_uint_eq(count_hits(r, "early"), 0);
    ck_assert_uint_eq(count_hits(r, "late"), 1);
    xap_close(r);
    xap_close(w);
}
END_TEST

START_TEST(replace_rejects_doc_without_key_or_path)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    struct doc *no_key = doc_from(&(struct spec){ .path = "x",
                                                  .body = "text" });
    struct doc *no_path = doc_from(&(struct spec){ .key = "x",
                                                   .body = "text" });

    free(no_key->key);
    no_key->key = NULL;
    ck_assert_ptr_null(no_path->path);
    ck_assert_int_eq(xap_replace(w, no_key), XAP_EINVAL);
    ck_assert_str_ne(xap_last_error(w), "");
    ck_assert_int_eq(xap_replace(w, no_path), XAP_EINVAL);
    ck_assert_str_ne(xap_last_error(w), "");
    ck_assert_int_eq(xap_replace(w, NULL), XAP_EINVAL);
    ASSERT_OK(w, xap_commit(w));
    ck_assert_uint_eq(doc_count(w), 0);
    doc_free(no_key);
    doc_free(no_path);
    xap_close(w);
}
END_TEST

START_TEST(writes_on_a_readonly_handle_are_einval)
{
    xap_db *w = open_at(NULL, XAP_WRITE), *r;
    struct doc *d = doc_from(&(struct spec){ .path = "b.txt",
                                             .body = "beta" });
    uint64_t n = 99;

    add(w, &(struct spec){ .path = "a.txt", .body = "alpha" });
    xap_close(w);

    r = open_at(NULL, XAP_READONLY);
    ck_assert_int_eq(xap_replace(r, d), XAP_EINVAL);
    ck_assert_str_ne(xap_last_error(r), "");
    ck_assert_int_eq(xap_delete_path(r, "a.txt", &n), XAP_EINVAL);
    ck_assert_str_ne(xap_last_error(r), "");
    ck_assert_int_eq(xap_commit(r), XAP_EINVAL);
    ck_assert_str_ne(xap_last_error(r), "");
    /* The reader still works and nothing changed. */
    ck_assert_uint_eq(doc_count(r), 1);
    ck_assert_uint_eq(count_hits(r, "alpha"), 1);
    xap_close(r);
    doc_free(d);
}
END_TEST

START_TEST(delete_path_removes_every_member_of_that_path_only)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    uint64_t n = 99;

    add(w, &(struct spec){ .path = "p", .member = "a", .body = "shared" });
    add(w, &(struct spec){ .path = "p", .member = "b", .body = "shared" });
    add(w, &(struct spec){ .path = "p2", .body = "shared" });
    add(w, &(struct spec){ .path = "pa", .body = "shared" });
    add(w, &(struct spec){ .path = "p/q", .body = "shared" });
    /* A file whose name looks like member "x" of "p". */
    add(w, &(struct spec){ .path = "p#x", .body = "shared" });
    ASSERT_OK(w, xap_commit(w));
    ck_assert_uint_eq(doc_count(w), 6);

    ASSERT_OK(w, xap_delete_path(w, "p", &n));
    ck_assert_uint_eq(n, 2);
    ASSERT_OK(w, xap_commit(w));
    ck_assert_uint_eq(doc_count(w), 4);
    ASSERT_PATHS(w, "shared", true, "p#x p/q p2 pa");

    /* Nothing left under "p", and no such path at all: OK with 0. */
    n = 99;
    ASSERT_OK(w, xap_delete_path(w, "p", &n));
    ck_assert_uint_eq(n, 0);
    n = 99;
    ASSERT_OK(w, xap_delete_path(w, "missing", &n));
    ck_assert_uint_eq(n, 0);
    ASSERT_OK(w, xap_delete_path(w, "missing", NULL));
    ASSERT_OK(w, xap_delete_path(w, "pa", NULL));
    ASSERT_OK(w, xap_commit(w));
    ck_assert_uint_eq(doc_count(w), 3);
    xap_close(w);
}
END_TEST

START_TEST(delete_path_sees_uncommitted_documents)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    uint64_t n = 99;

    add(w, &(struct spec){ .path = "q", .member = "a", .body = "text" });
    add(w, &(struct spec){ .path = "q", .member = "b", .body = "text" });
    add(w, &(struct spec){ .path = "r", .body = "text" });
    ASSERT_OK(w, xap_delete_path(w, "q", &n));
    ck_assert_uint_eq(n, 2);
    ASSERT_OK(w, xap_commit(w));
    ck_assert_uint_eq(doc_count(w), 1);
    xap_close(w);
}
END_TEST

START_TEST(long_paths_stay_distinct)
{
    char *base = repeat("long-folder-name/", 20);       /* 340 bytes */
    char *p1 = xasprintf("%sfile-1.txt", base);
    char *p2 = xasprintf("%sfile-2.txt", base);
    char *member = repeat("m", 300);
    xap_db *w = open_at(NULL, XAP_WRITE);
    uint64_t n = 99;

    /* Longer than a Xapian term may be, and equal for the first 340. */
    add(w, &(struct spec){ .path = p1, .body = "lengthy" });
    add(w, &(struct spec){ .path = p2, .body = "lengthy" });
    add(w, &(struct spec){ .path = p2, .member = member,
                           .body = "lengthy" });
    ASSERT_OK(w, xap_commit(w));
    ck_assert_uint_eq(doc_count(w), 3);
    ASSERT_OK(w, xap_delete_path(w, p2, &n));
    ck_assert_uint_eq(n, 2);
    ASSERT_OK(w, xap_commit(w));
    ASSERT_PATHS(w, "lengthy", false, p1);
    xap_close(w);
    free(base);
    free(p1);
    free(p2);
    free(member);
}
END_TEST

/* ---- searching ---------------------------------------------------------- */

START_TEST(search_finds_body_terms_stemmed_and_case_folded)
{
    xap_db *w = open_at(NULL, XAP_WRITE);

    add(w, &(struct spec){ .path = "fox.txt",
                           .body = "The quick brown fox jumps over the "
                                   "lazy dog" });
    add(w, &(struct spec){ .path = "other.txt", .body = "Nothing here" });
    ASSERT_OK(w, xap_commit(w));
    ASSERT_PATHS(w, "fox", false, "fox.txt");
    ASSERT_PATHS(w, "FOX", false, "fox.txt");
    ASSERT_PATHS(w, "jumping", false, "fox.txt");
    ASSERT_PATHS(w, "cat", false, "");
    xap_close(w);
}
END_TEST

START_TEST(search_ranks_a_title_match_above_a_body_match)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    xap_hits *h;

    /* Added first, so a tie would put it first. */
    add(w, &(struct spec){ .path = "body.txt", .title = "Weekly report",
                           .body = "The orchard harvest was large this "
                                   "year and everyone came along" });
    add(w, &(struct spec){ .path = "title.txt", .title = "Harvest festival",
                           .body = "The village gathered in the square "
                                   "this year and everyone came along" });
    ASSERT_OK(w, xap_commit(w));
    ASSERT_PATHS(w, "harvest", false, "title.txt body.txt");
    h = search(w, "harvest", 0, 10);
    ck_assert_uint_eq(xap_hits_count(h), 2);
    ck_assert_double_gt(xap_hits_score(h, 0), xap_hits_score(h, 1));
    ck_assert_double_gt(xap_hits_score(h, 1), 0);
    xap_hits_free(h);
    xap_close(w);
}
END_TEST

START_TEST(search_phrase_needs_the_words_in_order)
{
    xap_db *w = open_at(NULL, XAP_WRITE);

    add(w, &(struct spec){ .path = "in-order.txt",
                           .body = "a red apple pie for lunch" });
    add(w, &(struct spec){ .path = "reversed.txt",
                           .body = "an apple that is red, and a pie" });
    ASSERT_OK(w, xap_commit(w));
    ASSERT_PATHS(w, "red apple", true, "in-order.txt reversed.txt");
    ASSERT_PATHS(w, "\"red apple\"", false, "in-order.txt");
    ASSERT_PATHS(w, "\"apple red\"", false, "");
    xap_close(w);
}
END_TEST

START_TEST(search_boolean_operators)
{
    xap_db *w = open_at(NULL, XAP_WRITE);

    add(w, &(struct spec){ .path = "ab", .body = "apple banana" });
    add(w, &(struct spec){ .path = "ac", .body = "apple cherry" });
    add(w, &(struct spec){ .path = "d", .body = "durian" });
    ASSERT_OK(w, xap_commit(w));
    ASSERT_PATHS(w, "apple NOT banana", false, "ac");
    ASSERT_PATHS(w, "apple -banana", false, "ac");
    ASSERT_PATHS(w, "apple AND banana", false, "ab");
    ASSERT_PATHS(w, "banana OR durian", true, "ab d");
    ASSERT_PATHS(w, "(banana OR cherry) AND apple", true, "ab ac");
    xap_close(w);
}
END_TEST

START_TEST(search_match_any_ranks_by_words_matched)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    struct xap_query q = { .text = "apple banana cherry", .limit = 10,
                           .match_any = true };
    xap_hits *h = NULL;

    add(w, &(struct spec){ .path = "a", .body = "apple" });
    add(w, &(struct spec){ .path = "abc", .body = "apple banana cherry" });
    add(w, &(struct spec){ .path = "d", .body = "durian" });
    ASSERT_OK(w, xap_commit(w));
    /* All words by default: only the document with all three. */
    ASSERT_PATHS(w, "apple banana cherry", false, "abc");
    ASSERT_OK(w, xap_search(w, &q, &h));
    ck_assert_uint_eq(xap_hits_count(h), 2);
    ck_assert_ptr_nonnull(strstr(xap_hits_data(h, 0), "\"path\":\"abc\""));
    ck_assert_ptr_nonnull(strstr(xap_hits_data(h, 1), "\"path\":\"a\""));
    xap_hits_free(h);
    xap_close(w);
}
END_TEST

/* "match":"any" drops function words: "what is the durian" does not
 * bring every document with "the" in it; all-words queries keep them. */
START_TEST(search_match_any_drops_stop_words)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    struct xap_query q = { .text = "what is the durian", .limit = 10,
                           .match_any = true };
    xap_hits *h = NULL;

    add(w, &(struct spec){ .path = "t1", .body = "the apple is ripe" });
    add(w, &(struct spec){ .path = "t2", .body = "what the banana is" });
    add(w, &(struct spec){ .path = "d", .body = "durian" });
    ASSERT_OK(w, xap_commit(w));
    ASSERT_OK(w, xap_search(w, &q, &h));
    ck_assert_uint_eq(xap_hits_count(h), 1);
    ck_assert_ptr_nonnull(strstr(xap_hits_data(h, 0), "\"path\":\"d\""));
    xap_hits_free(h);
    /* Every word required: "the" still has to match. */
    ASSERT_PATHS(w, "the banana", false, "t2");
    xap_close(w);
}
END_TEST

START_TEST(search_field_prefixes)
{
    static const struct {
        const char *query;
        const char *want;   /* sorted paths */
    } cases[] = {
        { "title:harvest", "fields" },
        { "author:smith", "fields" },
        { "author:\"jane smith\"", "fields" },
        { "outlet:reuters", "fields" },
        { "outlet:Reuters", "fields" },
        { "place:karachi", "fields" },
        { "smith", "body fields" },
        { "karachi", "body fields" },
        { "title:harvest OR title:other", "body fields" },
        { "title:plain", "" },
    };
    xap_db *w = open_at(NULL, XAP_WRITE);

    add(w, &(struct spec){ .path = "fields", .title = "Harvest",
                           .author = "Jane Smith", .outlet = "Reuters",
                           .place = "Karachi", .body = "plain words" });
    add(w, &(struct spec){ .path = "body", .title = "Other",
                           .body = "plain harvest smith reuters karachi" });
    ASSERT_OK(w, xap_commit(w));
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        ASSERT_PATHS(w, cases[i].query, true, cases[i].want);
    xap_close(w);
}
END_TEST

/* Three docs of equal length with "apple" 3, 2 and 1 times. */
static xap_db *
three_apples(void)
{
    xap_db *w = open_at(NULL, XAP_WRITE);

    add(w, &(struct spec){ .path = "one", .body = "apple pear plum fig" });
    add(w, &(struct spec){ .path = "two", .body = "apple apple plum fig" });
    add(w, &(struct spec){ .path = "three",
                           .body = "apple apple apple fig" });
    add(w, &(struct spec){ .path = "none", .body = "kiwi lime" });
    ASSERT_OK(w, xap_commit(w));
    return w;
}

START_TEST(search_pages_with_offset_and_limit)
{
    static const struct {
        unsigned offset, limit;
        const char *want;   /* paths on the page, in rank order */
    } pages[] = {
        { 0, 10, "three two one" },
        { 0, 1, "three" },
        { 1, 1, "two" },
        { 1, 5, "two one" },
        { 2, 1, "one" },
        { 3, 1, "" },
        { 100, 10, "" },
    };
    xap_db *w = three_apples();

    for (size_t i = 0; i < sizeof pages / sizeof *pages; i++) {
        xap_hits *h = search(w, "apple", pages[i].offset, pages[i].limit);
        uint64_t lower = 99, upper = 0, total = xap_hits_total(h, &lower,
                                                               &upper);
        char got[64] = "";

        for (size_t j = 0; j < xap_hits_count(h); j++) {
            char *p = hit_str(h, j, "path");

            ck_assert_ptr_nonnull(p);
            if (j > 0)
                strcat(got, " ");
            strcat(got, p);
            free(p);
        }
        ck_assert_msg(strcmp(got, pages[i].want) == 0,
                      "offset %u limit %u: want [%s], got [%s]",
                      pages[i].offset, pages[i].limit, pages[i].want, got);
        ck_assert_uint_eq(total, 3);
        ck_assert_uint_le(lower, total);
        ck_assert_uint_le(total, upper);
        for (size_t j = 1; j < xap_hits_count(h); j++)
            ck_assert_double_ge(xap_hits_score(h, j - 1),
                                xap_hits_score(h, j));
        xap_hits_free(h);
    }
    xap_close(w);
}
END_TEST

START_TEST(search_limit_zero_gives_only_the_total)
{
    xap_db *w = three_apples();
    xap_hits *h = search(w, "apple", 0, 0);
    uint64_t lower = 99, upper = 0;

    ck_assert_uint_eq(xap_hits_count(h), 0);
    ck_assert_uint_eq(xap_hits_total(h, &lower, &upper), 3);
    ck_assert_uint_le(lower, 3);
    ck_assert_uint_ge(upper, 3);
    xap_hits_free(h);
    xap_close(w);
}
END_TEST

START_TEST(search_huge_offset_and_limit_are_fine)
{
    xap_db *w = three_apples();
    xap_hits *h;

    h = search(w, "apple", 0, UINT_MAX);
    ck_assert_uint_eq(xap_hits_count(h), 3);
    xap_hits_free(h);
    h = search(w, "apple", UINT_MAX, UINT_MAX);
    ck_assert_uint_eq(xap_hits_count(h), 0);
    xap_hits_free(h);
    h = search(w, "apple", UINT_MAX, 1);
    ck_assert_uint_eq(xap_hits_count(h), 0);
    xap_hits_free(h);
    xap_close(w);
}
END_TEST

START_TEST(search_total_lies_within_its_bounds)
{
    static const char *const queries[] = {
        "apple", "apple plum", "apple OR kiwi", "\"apple apple\"",
        "apple NOT pear", "nothing", "fig -plum",
    };
    xap_db *w = three_apples();

    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++) {
        for (unsigned limit = 0; limit <= 2; limit++) {
            xap_hits *h = search(w, queries[i], 0, limit);
            uint64_t lower = 99, upper = 0;
            uint64_t total = xap_hits_total(h, &lower, &upper);

            ck_assert_msg(lower <= total && total <= upper,
                          "\"%s\" limit %u: %llu <= %llu <= %llu",
                          queries[i], limit, (unsigned long long)lower,
                          (unsigned long long)total,
                          (unsigned long long)upper);
            ck_assert_uint_le(xap_hits_count(h), limit);
            ck_assert_uint_ge(upper, xap_hits_count(h));
            xap_hits_free(h);
        }
    }
    xap_close(w);
}
END_TEST

START_TEST(search_rejects_missing_query)
{
    xap_db *w = three_apples();
    xap_hits *h = NULL;
    struct xap_query q = { .text = NULL, .limit = 10 };

    ck_assert_int_eq(xap_search(w, NULL, &h), XAP_EINVAL);
    ck_assert_ptr_null(h);
    ck_assert_int_eq(xap_search(w, &q, &h), XAP_EINVAL);
    ck_assert_ptr_null(h);
    ck_assert_str_ne(xap_last_error(w), "");
    ck_assert_uint_eq(count_hits(w, "apple"), 3);
    xap_close(w);
}
END_TEST

START_TEST(search_malformed_query_is_equery_and_handle_lives)
{
    static const char *const bad[] = {
        "foo AND", "foo OR", "foo AND NOT", "AND", "foo XOR", "apple AND (",
    };
    xap_db *w = three_apples();

    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        xap_hits *h = NULL;
        xap_status st = search_st(w, bad[i], 0, 10, 0, &h);

        ck_assert_msg(st == XAP_EQUERY, "\"%s\": %s", bad[i],
                      xap_status_str(st));
        ck_assert_ptr_null(h);
        ck_assert_msg(xap_last_error(w)[0] != '\0', "\"%s\": no text",
                      bad[i]);
        ck_assert_uint_eq(count_hits(w, "apple"), 3);
    }
    xap_close(w);
}
END_TEST

START_TEST(search_odd_queries_never_crash)
{
    char *parens = repeat("(", 200);
    char *deep = xasprintf("%s apple", parens);
    char *many = repeat("apple OR ", 500);
    char *unary = repeat("NOT ", 50);
    const char *const odd[] = {
        "", " ", "title:(", "\"unterminated", "(", ")", "\"", "+", "-", "*",
        "a*", "NOT apple", "NOT", "NEAR", "apple NEAR/x plum", "ADJ",
        "author:", "title:\"", "apple )) ((", "\xff\xfe caf\xe9", "\\",
        "apple\tplum\n", deep, many, unary,
    };
    xap_db *w = three_apples();

    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
        xap_hits *h = NULL;
        xap_status st = search_st(w, odd[i], 0, 10, 0, &h);

        ck_assert_msg(st == XAP_OK || st == XAP_EQUERY, "\"%.40s\": %s: %s",
                      odd[i], xap_status_str(st), xap_last_error(w));
        if (st == XAP_OK) {
            ck_assert_ptr_nonnull(h);
            for (size_t j = 0; j < xap_hits_count(h); j++)
                json_decref(hit_json(h, j));
        } else {
            ck_assert_ptr_null(h);
            ck_assert_str_ne(xap_last_error(w), "");
        }
        xap_hits_free(h);
        ck_assert_uint_eq(count_hits(w, "apple"), 3);
    }
    xap_close(w);
    free(parens);
    free(deep);
    free(many);
    free(unary);
}
END_TEST

/* ---- the query language (doc/query.md) --------------------------------- */

#define ASSERT_QPATHS(db, q, sorted, want)                                  \
    do {                                                                    \
        char *got_ = paths_for_q((db), (q), (sorted));                      \
        ck_assert_msg(strcmp(got_, (want)) == 0,                            \
                      "query \"%s\": want [%s], got [%s]", (q)->text,       \
                      (want), got_);                                        \
        free(got_);                                                         \
    } while (0)

START_TEST(query_operators_only_in_upper_case)
{
    xap_db *w = open_at(NULL, XAP_WRITE);

    add(w, &(struct spec){ .path = "and", .body = "salt and pepper" });
    add(w, &(struct spec){ .path = "no-and", .body = "salt with pepper" });
    add(w, &(struct spec){ .path = "or", .body = "salt or vinegar" });
    ASSERT_OK(w, xap_commit(w));
    /* Lower case: words, and every word must match. */
    ASSERT_PATHS(w, "salt and pepper", false, "and");
    ASSERT_PATHS(w, "salt or pepper", false, "");
    ASSERT_PATHS(w, "salt not pepper", false, "");
    /* Upper case: operators. */
    ASSERT_PATHS(w, "salt AND pepper", true, "and no-and");
    ASSERT_PATHS(w, "pepper OR vinegar", true, "and no-and or");
    ASSERT_PATHS(w, "salt NOT pepper", false, "or");
    ASSERT_PATHS(w, "NOT pepper", false, "or");
    ASSERT_PATHS(w, "salt AND NOT vinegar", true, "and no-and");
    ASSERT_PATHS(w, "salt XOR vinegar", true, "and no-and");
    xap_close(w);
}
END_TEST

START_TEST(query_phrases_groups_love_hate_near_wildcards)
{
    xap_db *w = open_at(NULL, XAP_WRITE);

    add(w, &(struct spec){ .path = "talks",
                           .body = "trade negotiations resumed in Geneva "
                                   "after a long pause" });
    add(w, &(struct spec){ .path = "negotiator",
                           .body = "the chief negotiator left Geneva early "
                                   "for trade meetings in Rome" });
    add(w, &(struct spec){ .path = "rome", .body = "trade fair in Rome" });
    ASSERT_OK(w, xap_commit(w));
    ASSERT_PATHS(w, "negotiat*", true, "negotiator talks");
    ASSERT_PATHS(w, "title:negotiat* OR rome", true, "negotiator rome");
    ASSERT_PATHS(w, "\"trade negotiations\"", false, "talks");
    ASSERT_PATHS(w, "\"negotiations trade\"", false, "");
    ASSERT_PATHS(w, "trade +geneva -rome", false, "talks");
    ASSERT_PATHS(w, "trade -\"chief negotiator\"", true, "rome talks");
    ASSERT_PATHS(w, "trade -(geneva OR fair)", false, "");
    ASSERT_PATHS(w, "(geneva OR fair) AND rome", true, "negotiator rome");
    /* NEAR: within 10 words, either order; NEAR/n within n. */
    ASSERT_PATHS(w, "geneva NEAR trade", true, "negotiator talks");
    ASSERT_PATHS(w, "trade NEAR/3 geneva", false, "negotiator");
    ASSERT_PATHS(w, "trade NEAR/4 geneva", true, "negotiator talks");
    ASSERT_PATHS(w, "rome NEAR/1 fair", false, "");
    ASSERT_PATHS(w, "rome NEAR/2 fair", false, "rome");
    ASSERT_PATHS(w, "trade ADJ negotiations", false, "talks");
    xap_close(w);
}
END_TEST

START_TEST(query_fields_lang_and_keyword)
{
    xap_db *w = open_at(NULL, XAP_WRITE);

    add(w, &(struct spec){ .path = "en", .title = "Cocoa review",
                           .lang = "en", .keyword = "cocoa",
                           .place = "Salvador", .body = "crop" });
    add(w, &(struct spec){ .path = "fr", .title = "Cacao", .lang = "fr",
                           .keyword = "el-salvador", .body = "crop" });
    add(w, &(struct spec){ .path = "none", .title = "Nothing",
                           .body = "crop cocoa en fr" });
    ASSERT_OK(w, xap_commit(w));
    ASSERT_PATHS(w, "lang:en", false, "en");
    ASSERT_PATHS(w, "lang:EN crop", false, "en");
    ASSERT_PATHS(w, "crop lang:fr", false, "fr");
    ASSERT_PATHS(w, "crop NOT lang:en", true, "fr none");
    ASSERT_PATHS(w, "lang:de", false, "");
    ASSERT_PATHS(w, "keyword:cocoa", false, "en");
    ASSERT_PATHS(w, "keyword:el-salvador", false, "fr");
    ASSERT_PATHS(w, "place:salvador", false, "en");
    ASSERT_PATHS(w, "title:cocoa", false, "en");
    ASSERT_PATHS(w, "cocoa", true, "en none");
    xap_close(w);
}
END_TEST

/* Dated documents around July 2019, and one without a date. */
static xap_db *
dated_docs(void)
{
    static const struct { const char *path, *date, *outlet; } docs[] = {
        { "jun30", "2019-06-30", "Reuters" },
        { "jul01", "2019-07-01T08:00Z", "Reuters" },
        { "jul31", "2019-07-31T23:59:59Z", "BBC News" },
        { "aug01", "2019-08-01", "BBC News" },
        { "2020jun", "2020-06-30T12:00+02:00", "Geo News" },
        { "2021", "2021-01-05", "Geo News" },
        { "undated", NULL, "Reuters" },
    };
    xap_db *w = open_at(NULL, XAP_WRITE);

    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++)
        add(w, &(struct spec){ .path = docs[i].path, .date = docs[i].date,
                               .outlet = docs[i].outlet,
                               .body = "news of the day" });
    ASSERT_OK(w, xap_commit(w));
    return w;
}

START_TEST(query_date_ranges_cover_whole_periods)
{
    static const struct { const char *q, *want; } cases[] = {
        { "news date:2019-07-01..2019-07-31", "jul01 jul31" },
        { "news date:2019-07", "jul01 jul31" },
        { "news date:2019-07-31", "jul31" },
        { "news date:2019", "aug01 jul01 jul31 jun30" },
        { "news date:2021..", "2021" },
        { "news date:2020-06-30..", "2020jun 2021" },
        { "news date:..2020-06", "2020jun aug01 jul01 jul31 jun30" },
        { "news date:..2019-06", "jun30" },
        { "news date:2019-07..2019-08", "aug01 jul01 jul31" },
        { "news date:2019..2019-07", "jul01 jul31 jun30" },
        { "date:2022..", "" },
        { "news NOT date:2019", "2020jun 2021 undated" },
        { "(date:2019-06 OR date:2021) news", "2021 jun30" },
    };
    xap_db *w = dated_docs();

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ASSERT_PATHS(w, cases[i].q, true, cases[i].want);
    xap_close(w);
}
END_TEST

START_TEST(query_since_until_outlet_filter)
{
    static const struct {
        const char *since, *until, *outlet, *want;
    } cases[] = {
        { "2019-07", NULL, NULL, "2020jun 2021 aug01 jul01 jul31" },
        { NULL, "2019-07", NULL, "jul01 jul31 jun30" },
        { "2019-07", "2019-07", NULL, "jul01 jul31" },
        { "2019", "2019", NULL, "aug01 jul01 jul31 jun30" },
        { "2020", NULL, "geo news", "2020jun 2021" },
        { NULL, NULL, "Reuters", "jul01 jun30 undated" },
        { NULL, NULL, "REUTERS", "jul01 jun30 undated" },
        { NULL, NULL, "BBC", "" },
        { NULL, NULL, "BBC News", "aug01 jul31" },
        { NULL, "2019-07-31", "BBC News", "jul31" },
    };
    xap_db *w = dated_docs();

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct xap_query q = { .text = "news", .since = cases[i].since,
                               .until = cases[i].until,
                               .outlet = cases[i].outlet };
        ASSERT_QPATHS(w, &q, true, cases[i].want);
    }
    xap_close(w);
}
END_TEST

START_TEST(query_sort_by_date_ties_by_relevance)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    struct xap_query q = { .text = "apple" };

    add(w, &(struct spec){ .path = "old", .date = "2018-01-01",
                           .body = "apple" });
    add(w, &(struct spec){ .path = "new-weak", .date = "2020-05-05",
                           .body = "apple pear plum fig kiwi lime" });
    add(w, &(struct spec){ .path = "new-strong", .date = "2020-05-05",
                           .body = "apple apple apple fig kiwi lime" });
    add(w, &(struct spec){ .path = "undated",
                           .body = "apple apple apple apple apple" });
    add(w, &(struct spec){ .path = "mid", .date = "2019-03-01T10:00Z",
                           .body = "apple pear" });
    ASSERT_OK(w, xap_commit(w));
    q.sort = XAP_SORT_NEWEST;
    ASSERT_QPATHS(w, &q, false, "new-strong new-weak mid old undated");
    q.sort = XAP_SORT_OLDEST;
    ASSERT_QPATHS(w, &q, false, "old mid new-strong new-weak undated");
    q.sort = XAP_SORT_RELEVANCE;
    char *rel = paths_for_q(w, &q, false);
    ck_assert_msg(strncmp(rel, "undated ", 8) == 0, "relevance: %s", rel);
    free(rel);
    /* Pages of a sorted list join up. */
    q.sort = XAP_SORT_OLDEST;
    q.limit = 2;
    ASSERT_QPATHS(w, &q, false, "old mid");
    q.offset = 2;
    ASSERT_QPATHS(w, &q, false, "new-strong new-weak");
    q.offset = 4;
    ASSERT_QPATHS(w, &q, false, "undated");
    xap_close(w);
}
END_TEST

START_TEST(query_facets_count_every_match_not_the_page)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    struct xap_query q = { .text = "report", .limit = 1, .facets = true };
    xap_hits *h = NULL;
    uint64_t n, sum;
    const char *v;

    for (int i = 0; i < 30; i++) {
        char path[32], date[16];

        snprintf(path, sizeof path, "doc%02d", i);
        snprintf(date, sizeof date, "%d-0%d-1%d", 2017 + i % 3, 1 + i % 9,
                 i % 10);
        add(w, &(struct spec){ .path = path, .date = i < 27 ? date : NULL,
                               .outlet = i % 5 == 0 ? "BBC News"
                                                    : "Reuters",
                               .body = i % 2 == 0 ? "daily report"
                                                  : "weekly report" });
    }
    add(w, &(struct spec){ .path = "other", .outlet = "Geo News",
                           .date = "2016-01-01", .body = "other" });
    ASSERT_OK(w, xap_commit(w));

    ASSERT_OK(w, xap_search(w, &q, &h));
    ck_assert_uint_eq(xap_hits_count(h), 1);
    ck_assert_uint_eq(xap_hits_total(h, NULL, NULL), 30);
    /* Outlets: most first. */
    ck_assert_uint_eq(xap_hits_facet_count(h, XAP_FACET_OUTLET), 2);
    v = xap_hits_facet_value(h, XAP_FACET_OUTLET, 0, &n);
    ck_assert_str_eq(v, "Reuters");
    ck_assert_uint_eq(n, 24);
    v = xap_hits_facet_value(h, XAP_FACET_OUTLET, 1, &n);
    ck_assert_str_eq(v, "BBC News");
    ck_assert_uint_eq(n, 6);
    ck_assert_ptr_null(xap_hits_facet_value(h, XAP_FACET_OUTLET, 2, &n));
    ck_assert_uint_eq(n, 0);
    /* Years: in order; the 3 undated documents are not counted. */
    ck_assert_uint_eq(xap_hits_facet_count(h, XAP_FACET_YEAR), 3);
    sum = 0;
    for (size_t i = 0; i < 3; i++) {
        char want[8];

        snprintf(want, sizeof want, "%zu", 2017 + i);
        ck_assert_str_eq(xap_hits_facet_value(h, XAP_FACET_YEAR, i, &n),
                         want);
        ck_assert_uint_eq(n, 9);
        sum += n;
    }
    ck_assert_uint_eq(sum, 27);
    xap_hits_free(h);

    /* Facets follow the query and its filters. */
    q.text = "daily report";
    q.outlet = "bbc news";
    ASSERT_OK(w, xap_search(w, &q, &h));
    ck_assert_uint_eq(xap_hits_total(h, NULL, NULL), 3);
    ck_assert_uint_eq(xap_hits_facet_count(h, XAP_FACET_OUTLET), 1);
    xap_hits_facet_value(h, XAP_FACET_OUTLET, 0, &n);
    ck_assert_uint_eq(n, 3);
    xap_hits_free(h);

    /* Not asked for: none. */
    q.facets = false;
    ASSERT_OK(w, xap_search(w, &q, &h));
    ck_assert_uint_eq(xap_hits_facet_count(h, XAP_FACET_OUTLET), 0);
    ck_assert_uint_eq(xap_hits_facet_count(h, XAP_FACET_YEAR), 0);
    ck_assert_ptr_null(xap_hits_facet_value(h, XAP_FACET_YEAR, 0, NULL));
    xap_hits_free(h);
    ck_assert_uint_eq(xap_hits_facet_count(NULL, XAP_FACET_YEAR), 0);
    xap_close(w);
}
END_TEST

START_TEST(query_refusals_are_equery_with_a_position)
{
    static const struct {
        const char *q;
        long pos;
    } bad[] = {
        { "\"apple pie", 0 },
        { "apple (pear", 6 },
        { "apple pear)", 10 },
        { "apple OR OR plum", 9 },
        { "apple AND", 6 },
        { "-apple", 0 },
        { "\"apple pie\" NEAR plum", 12 },
        { "apple date:2019-13", 11 },
        { "date:2020..2019 apple", 5 },
        { "title:", 0 },
        { "apple AND(pear)", 6 },
        { "apple pear NEAR plum", 11 },
        { "apple OR -pear", 9 },
        /* Past qsyntax; QueryParser's own error, located by searchd. */
        { "apple OR&", 6 },
        { "apple*XOR", 6 },
    };
    xap_db *w = three_apples();

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        xap_hits *h = NULL;
        xap_status st = search_st(w, bad[i].q, 0, 10, 0, &h);

        ck_assert_msg(st == XAP_EQUERY, "\"%s\": %s", bad[i].q,
                      xap_status_str(st));
        ck_assert_ptr_null(h);
        ck_assert_msg(xap_last_error_pos(w) == bad[i].pos,
                      "\"%s\": position %ld, want %ld (%s)", bad[i].q,
                      xap_last_error_pos(w), bad[i].pos, xap_last_error(w));
        ck_assert_ptr_nonnull(strstr(xap_last_error(w), "position"));
    }
    /* A reparse QueryParser would do silently (its operators become
     * words) is caught after parsing, without a position. */
    xap_hits *h = NULL;
    ck_assert_int_eq(search_st(w, "NOT +apple &ADJ", 0, 10, 0, &h),
                     XAP_EQUERY);
    ck_assert_ptr_nonnull(strstr(xap_last_error(w), "as written"));
    ck_assert_int_eq(xap_last_error_pos(w), -1);
    /* An operator in quotes is a word, not a reparse. */
    ck_assert_uint_eq(count_hits(w, "apple \"NOT\""), 0);
    /* A good search forgets the position. */
    ck_assert_uint_eq(count_hits(w, "apple"), 3);
    ck_assert_int_eq(xap_last_error_pos(w), -1);
    ck_assert_int_eq(xap_last_error_pos(NULL), -1);
    xap_close(w);
}
END_TEST

START_TEST(query_bad_filters_and_huge_wildcards_are_equery)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    struct xap_query q = { .text = "w*", .limit = 10 };
    xap_hits *h = NULL;
    size_t n = 10001;
    char *body = xmalloc(n * 8 + 1), *p = body;

    /* More distinct words than a wildcard may expand to. */
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "w%06zu ", i);
    add(w, &(struct spec){ .path = "many", .body = body });
    free(body);
    ASSERT_OK(w, xap_commit(w));
    ck_assert_int_eq(xap_search(w, &q, &h), XAP_EQUERY);
    ck_assert_ptr_null(h);
    ck_assert_ptr_nonnull(strstr(xap_last_error(w), "wildcard"));
    q.text = "w00001*";
    ASSERT_OK(w, xap_search(w, &q, &h));
    ck_assert_uint_eq(xap_hits_count(h), 1);
    xap_hits_free(h);

    q.text = "w000001";
    q.since = "2019-13";
    ck_assert_int_eq(xap_search(w, &q, &h), XAP_EQUERY);
    ck_assert_ptr_nonnull(strstr(xap_last_error(w), "2019-13"));
    q.since = NULL;
    q.until = "soon";
    ck_assert_int_eq(xap_search(w, &q, &h), XAP_EQUERY);
    q.until = NULL;
    q.outlet = "";
    ASSERT_OK(w, xap_search(w, &q, &h));
    ck_assert_uint_eq(xap_hits_count(h), 0);
    xap_hits_free(h);
    xap_close(w);
}
END_TEST

/* ---- snippets ----------------------------------------------------------- */

START_TEST(snippet_marks_the_match_in_bold)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    char *s;

    add(w, &(struct spec){ .path = "fox.txt", .title = "Animals",
                           .body = "Nothing to see here. The fox ran "
                                   "away quickly." });
    add(w, &(struct spec){ .path = "title-only.txt",
                           .title = "Untold lemur story" });
    ASSERT_OK(w, xap_commit(w));
    s = snippet_for(w, "fox", 0);
    ck_assert_msg(strstr(s, "<b>fox</b>") != NULL, "snippet: %s", s);
    ck_assert(is_escaped_html(s));
    free(s);
    /* No body, no snippet; but never NULL. */
    s = snippet_for(w, "lemur", 0);
    ck_assert_msg(strstr(s, "<b>") == NULL, "snippet: %s", s);
    free(s);
    xap_close(w);
}
END_TEST

START_TEST(snippet_marks_stemmed_forms_and_wildcards)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    char *s;

    add(w, &(struct spec){ .path = "n.txt", .title = "Talks",
                           .body = "The Negotiations resumed; negotiators "
                                   "met the negotiating team." });
    ASSERT_OK(w, xap_commit(w));
    s = snippet_for(w, "negotiate", 0);
    ck_assert_msg(strstr(s, "<b>Negotiations</b>") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "<b>negotiating</b>") != NULL, "%s", s);
    free(s);
    s = snippet_for(w, "negotiat*", 0);
    ck_assert_msg(strstr(s, "<b>negotiators</b>") != NULL, "%s", s);
    free(s);
    xap_close(w);
}
END_TEST

/* The window goes where the query's words are together, even deep in the
 * text; a hit on the title alone shows the text's start. */
START_TEST(snippet_window_is_where_the_words_meet)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    char *body = repeat("filler words about nothing much. ", 200);
    char *text = xasprintf("A wombat here. %s The wombat met a quokka at "
                           "dawn. %s", body, body);
    char *s;

    add(w, &(struct spec){ .path = "w.txt", .title = "Marsupial diary",
                           .body = text });
    ASSERT_OK(w, xap_commit(w));
    s = snippet_for(w, "wombat quokka", 100);
    ck_assert_msg(strstr(s, "<b>wombat</b> met a <b>quokka</b>") != NULL,
                  "%s", s);
    /* Cut text on both sides is marked. */
    ck_assert_msg(strncmp(s, "\xe2\x80\xa6", 3) == 0, "%s", s);
    ck_assert_msg(strcmp(s + strlen(s) - 3, "\xe2\x80\xa6") == 0, "%s", s);
    free(s);
    s = snippet_for(w, "marsupial", 60);
    ck_assert_msg(strncmp(s, "A wombat here.", 14) == 0, "%s", s);
    ck_assert_msg(strstr(s, "<b>") == NULL, "%s", s);
    free(s);
    free(text);
    free(body);
    xap_close(w);
}
END_TEST

START_TEST(snippet_is_html_escaped)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    char *s;

    add(w, &(struct spec){ .path = "xss.html",
                           .body = "Beware <script>alert(1)</script> of "
                                   "the fox, said \"a & b\" <b>loudly</b>" });
    ASSERT_OK(w, xap_commit(w));
    s = snippet_for(w, "fox", 0);
    ck_assert_msg(strstr(s, "<script>") == NULL, "snippet: %s", s);
    ck_assert_msg(strstr(s, "a & b") == NULL, "snippet: %s", s);
    ck_assert_msg(strstr(s, "&lt;script&gt;") != NULL, "snippet: %s", s);
    ck_assert_msg(strstr(s, "a &amp; b") != NULL, "snippet: %s", s);
    ck_assert_msg(strstr(s, "&lt;b&gt;loudly") != NULL, "snippet: %s", s);
    ck_assert_msg(is_escaped_html(s), "snippet: %s", s);
    free(s);
    xap_close(w);
}
END_TEST

START_TEST(snippet_length_is_bounded)
{
    static const size_t lens[] = { 0, 20, 50, 100, 300 };
    xap_db *w = open_at(NULL, XAP_WRITE);
    char *body = xcalloc(8000, 1);

    for (unsigned i = 0; i < 600; i++) {
        char word[16];

        snprintf(word, sizeof word, i == 300 ? "fox " : "w%u ", i);
        strcat(body, word);
    }
    add(w, &(struct spec){ .path = "long.txt", .body = body });
    ASSERT_OK(w, xap_commit(w));
    for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
        size_t want = lens[i] != 0 ? lens[i] : 200;
        char *s = snippet_for(w, "fox", lens[i]);

        ck_assert_msg(strlen(s) <= 2 * want + 32,
                      "snippet_len %zu gave %zu bytes: %s", lens[i],
                      strlen(s), s);
        ck_assert_msg(strstr(s, "<b>fox</b>") != NULL, "snippet: %s", s);
        if (want >= 50)
            ck_assert_msg(strlen(s) >= want / 2, "too short: %s", s);
        free(s);
    }
    free(body);
    xap_close(w);
}
END_TEST

START_TEST(snippet_never_splits_a_utf8_character)
{
    char *e1 = repeat("ééééé ", 100);
    char *e2 = repeat(" çàüöß ", 100);
    char *cjk = repeat("東京都の天気は晴れです。", 40);
    char *accents = xasprintf("%srenard%s", e1, e2);
    static const char *const queries[] = { "renard", "天気" };
    xap_db *w = open_at(NULL, XAP_WRITE);

    add(w, &(struct spec){ .path = "accents.txt", .body = accents });
    add(w, &(struct spec){ .path = "cjk.txt", .body = cjk });
    ASSERT_OK(w, xap_commit(w));
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
        for (size_t len = 1; len <= 41; len += (len < 12 ? 1 : 7)) {
            char *s = snippet_for(w, queries[q], len);

            ck_assert_msg(utf8_valid(s, strlen(s)),
                          "\"%s\" snippet_len %zu: invalid UTF-8: %s",
                          queries[q], len, s);
            free(s);
        }
    }
    free(e1);
    free(e2);
    free(cjk);
    free(accents);
    xap_close(w);
}
END_TEST

/* How many times needle occurs in hay. */
static unsigned
occurrences(const char *hay, const char *needle)
{
    unsigned n = 0;

    for (const char *p = strstr(hay, needle); p != NULL;
         p = strstr(p + strlen(needle), needle))
        n++;
    return n;
}

/* Every match in the window is marked, each query word and each form. */
START_TEST(snippet_marks_every_match)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    char *s;

    add(w, &(struct spec){ .path = "f.txt", .title = "Hunt",
                           .body = "A fox, then a hound; the fox ran, the "
                                   "hounds bayed, and a third fox hid." });
    ASSERT_OK(w, xap_commit(w));
    s = snippet_for(w, "fox", 0);
    ck_assert_msg(occurrences(s, "<b>fox</b>") == 3, "%s", s);
    ck_assert_msg(occurrences(s, "<b>") == 3, "%s", s);
    free(s);
    s = snippet_for(w, "fox hound", 0);
    ck_assert_msg(occurrences(s, "<b>fox</b>") == 3, "%s", s);
    ck_assert_msg(strstr(s, "<b>hound</b>") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "<b>hounds</b>") != NULL, "%s", s);
    /* The whole text fits: no ellipsis. */
    ck_assert_msg(strstr(s, "\xe2\x80\xa6") == NULL, "%s", s);
    free(s);
    xap_close(w);
}
END_TEST

/* A match in the text's last words: the window ends with the text, so
 * there is an ellipsis before and none after. */
START_TEST(snippet_match_near_the_end)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    char *body = repeat("filler words about nothing much. ", 100);
    char *text = xasprintf("%sAt last the quokka slept.", body);
    char *s;

    add(w, &(struct spec){ .path = "end.txt", .title = "Diary",
                           .body = text });
    ASSERT_OK(w, xap_commit(w));
    s = snippet_for(w, "quokka", 80);
    ck_assert_msg(strstr(s, "the <b>quokka</b> slept.") != NULL, "%s", s);
    ck_assert_msg(strncmp(s, "\xe2\x80\xa6", 3) == 0, "%s", s);
    ck_assert_msg(strcmp(s + strlen(s) - strlen("slept."), "slept.") == 0,
                  "%s", s);
    ck_assert_msg(strlen(s) <= 2 * 80 + 32, "%zu bytes: %s", strlen(s), s);
    free(s);
    free(text);
    free(body);
    xap_close(w);
}
END_TEST

/* A phrase's words are marked, and the window goes where the phrase is
 * rather than to an earlier lone word of it. */
START_TEST(snippet_marks_phrase_words)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    char *body = repeat("filler words about nothing much. ", 50);
    char *text = xasprintf("The brown one came first. %s Then the quick "
                           "brown fox jumped. %s", body, body);
    char *s;

    add(w, &(struct spec){ .path = "p.txt", .title = "Fable",
                           .body = text });
    ASSERT_OK(w, xap_commit(w));
    s = snippet_for(w, "\"quick brown\"", 80);
    ck_assert_msg(strstr(s, "<b>quick</b> <b>brown</b> fox") != NULL, "%s",
                  s);
    ck_assert_msg(strstr(s, "came first") == NULL, "%s", s);
    free(s);
    free(text);
    free(body);
    xap_close(w);
}
END_TEST

/* Paragraphs with no blank to cut at, words longer than any term, text
 * past what is scanned: the snippet stays bounded and valid, and is
 * made quickly. */
START_TEST(snippet_of_a_very_long_paragraph)
{
    static const size_t len = 100;
    xap_db *w = open_at(NULL, XAP_WRITE);
    char *run = repeat("abcdefgh", 10000);       /* one 80 KB "word" */
    char *foxes = repeat("fox", 30000);          /* "foxfoxfox..." */
    char *cjk = repeat("東京都の天気は晴れです", 3000);   /* no blank */
    char *far = repeat("filler ", 50000);        /* 350 KB */
    char *t1 = xasprintf("%s wombat %s", run, run);
    char *t2 = xasprintf("%s and a fox", foxes);
    char *t3 = xasprintf("%s", cjk);
    char *t4 = xasprintf("%s numbat", far);
    struct {
        const char *path, *body, *query, *bold;
    } cases[] = {
        { "run.txt", t1, "wombat", "<b>wombat</b>" },
        { "foxes.txt", t2, "fox*", "a <b>fox</b>" },
        { "cjk.txt", t3, "天気", "<b>天</b><b>気</b>" },
        { "far.txt", t4, "numbat", NULL },
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        add(w, &(struct spec){ .path = cases[i].path, .title = "Long",
                               .body = cases[i].body });
    ASSERT_OK(w, xap_commit(w));
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *s = snippet_for(w, cases[i].query, len);

        ck_assert_msg(strlen(s) <= 2 * len + 32, "%s: %zu bytes: %.300s",
                      cases[i].path, strlen(s), s);
        ck_assert_msg(utf8_valid(s, strlen(s)), "%s: %s", cases[i].path, s);
        ck_assert_msg(is_escaped_html(s), "%s: %s", cases[i].path, s);
        if (cases[i].bold != NULL)
            ck_assert_msg(strstr(s, cases[i].bold) != NULL, "%s: %.300s",
                          cases[i].path, s);
        else   /* Found, but past the scan: the text's start. */
            ck_assert_msg(strncmp(s, "filler filler", 13) == 0, "%s: %s",
                          cases[i].path, s);
        free(s);
    }
    free(t1);
    free(t2);
    free(t3);
    free(t4);
    free(run);
    free(foxes);
    free(cjk);
    free(far);
    xap_close(w);
}
END_TEST

/* Text that is not valid UTF-8 (an index written by something that did
 * not sanitise it): odd bytes come out as U+FFFD, valid characters as
 * they are, and the match is still marked. */
START_TEST(snippet_of_invalid_utf8)
{
    static const char body[] =
        "\xff\xfe lead caf\xc3 \xe0\x80\x80 overlong "
        "\xed\xa0\x80 surrogate \xf4\x90\x80\x80 big \x80\x80 cont "
        "the fox \xc3\xa9t\xc3\xa9 \xe2\x82";
    xap_db *w = open_at(NULL, XAP_WRITE);

    add(w, &(struct spec){ .path = "bad.txt", .title = "Odd",
                           .body = body });
    ASSERT_OK(w, xap_commit(w));
    for (size_t len = 1; len <= 120; len += (len < 16 ? 1 : 13)) {
        char *s = snippet_for(w, "fox", len);

        ck_assert_msg(utf8_valid(s, strlen(s)), "len %zu: %s", len, s);
        ck_assert_msg(is_escaped_html(s), "len %zu: %s", len, s);
        ck_assert_msg(strstr(s, "<b>fox</b>") != NULL, "len %zu: %s", len,
                      s);
        if (len >= 100) {
            ck_assert_msg(strstr(s, "\xc3\xa9t\xc3\xa9") != NULL, "%s", s);
            ck_assert_msg(occurrences(s, "\xef\xbf\xbd") >= 8, "%s", s);
        }
        free(s);
    }
    xap_close(w);
}
END_TEST

/* ---- stored data -------------------------------------------------------- */

START_TEST(data_is_json_with_the_doc_fields)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    xap_hits *h;
    json_t *o, *authors;

    add(w, &(struct spec){ .path = "box.mbox", .member = "3",
                           .title = "He said \"hi\" \\ ok",
                           .outlet = "Geo News", .author = "Ann Lee",
                           .author2 = "Bo Chen", .date = "2023-05-01",
                           .place = "Karachi", .plugin = "marker",
                           .body = "zebra" });
    add(w, &(struct spec){ .path = "dir/we\"ird\tname\\x.txt",
                           .title = "Plain", .body = "yak" });
    ASSERT_OK(w, xap_commit(w));

    h = search(w, "zebra", 0, 10);
    ck_assert_uint_eq(xap_hits_count(h), 1);
    o = hit_json(h, 0);
    ck_assert_str_eq(json_string_value(json_object_get(o, "title")),
                     "He said \"hi\" \\ ok");
    ck_assert_str_eq(json_string_value(json_object_get(o, "outlet")),
                     "Geo News");
    ck_assert_str_eq(json_string_value(json_object_get(o, "date")),
                     "2023-05-01");
    ck_assert_str_eq(json_string_value(json_object_get(o, "place")),
                     "Karachi");
    ck_assert_str_eq(json_string_value(json_object_get(o, "path")),
                     "box.mbox");
    ck_assert_str_eq(json_string_value(json_object_get(o, "member")), "3");
    ck_assert_str_eq(json_string_value(json_object_get(o, "plugin")),
                     "marker");
    ck_assert_ptr_null(json_object_get(o, "path_b64"));
    authors = json_object_get(o, "authors");
    ck_assert(json_is_array(authors));
    ck_assert_uint_eq(json_array_size(authors), 2);
    ck_assert_str_eq(json_string_value(json_array_get(authors, 0)),
                     "Ann Lee");
    ck_assert_str_eq(json_string_value(json_array_get(authors, 1)),
                     "Bo Chen");
    json_decref(o);
    xap_hits_free(h);

    /* Unknown fields: date is null, member absent, no authors. */
    h = search(w, "yak", 0, 10);
    ck_assert_uint_eq(xap_hits_count(h), 1);
    o = hit_json(h, 0);
    ck_assert_str_eq(json_string_value(json_object_get(o, "title")),
                     "Plain");
    ck_assert_str_eq(json_string_value(json_object_get(o, "path")),
                     "dir/we\"ird\tname\\x.txt");
    ck_assert(json_is_null(json_object_get(o, "date")));
    ck_assert_ptr_null(json_object_get(o, "member"));
    ck_assert_ptr_null(json_object_get(o, "path_b64"));
    ck_assert(json_object_get(o, "plugin") == NULL ||
              json_is_null(json_object_get(o, "plugin")));
    authors = json_object_get(o, "authors");
    ck_assert(json_is_array(authors));
    ck_assert_uint_eq(json_array_size(authors), 0);
    ck_assert_ptr_nonnull(json_object_get(o, "outlet"));
    ck_assert_ptr_nonnull(json_object_get(o, "place"));
    json_decref(o);
    xap_hits_free(h);
    xap_close(w);
}
END_TEST

START_TEST(data_non_utf8_path_has_path_b64)
{
    static const char raw[] = "dir/caf\xe9 \xff.txt";
    xap_db *w = open_at(NULL, XAP_WRITE);
    xap_hits *h;
    json_t *o;
    const char *b64;
    char *bytes;
    size_t len = 0;
    uint64_t n = 0;

    add(w, &(struct spec){ .path = raw, .body = "quokka" });
    ASSERT_OK(w, xap_commit(w));
    h = search(w, "quokka", 0, 10);
    ck_assert_uint_eq(xap_hits_count(h), 1);
    /* hit_json fails unless the data is valid UTF-8 JSON. */
    o = hit_json(h, 0);
    ck_assert_str_eq(json_string_value(json_object_get(o, "path")),
                     "dir/caf\xef\xbf\xbd \xef\xbf\xbd.txt");
    b64 = json_string_value(json_object_get(o, "path_b64"));
    ck_assert_ptr_nonnull(b64);
    bytes = base64_decode(b64, strlen(b64), &len);
    ck_assert_ptr_nonnull(bytes);
    ck_assert_uint_eq(len, sizeof raw - 1);
    ck_assert_mem_eq(bytes, raw, len);
    free(bytes);
    json_decref(o);
    xap_hits_free(h);

    /* The raw bytes still name it. */
    ASSERT_OK(w, xap_delete_path(w, raw, &n));
    ck_assert_uint_eq(n, 1);
    xap_close(w);
}
END_TEST

START_TEST(hit_strings_live_until_hits_free)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    xap_hits *h, *other;
    const char *data, *snip;

    add(w, &(struct spec){ .path = "keep.txt", .title = "Kept title",
                           .body = "the walrus sleeps" });
    ASSERT_OK(w, xap_commit(w));
    h = search(w, "walrus", 0, 10);
    ck_assert_uint_eq(xap_hits_count(h), 1);
    data = xap_hits_data(h, 0);
    snip = xap_hits_snippet(h, 0);

    /* Other calls on the handle, changes, and closing it do not touch
     * the page. */
    other = search(w, "sleeps", 0, 10);
    xap_hits_free(other);
    ck_assert_int_eq(search_st(w, "foo AND", 0, 10, 0, &other), XAP_EQUERY);
    ASSERT_OK(w, xap_delete_path(w, "keep.txt", NULL));
    ASSERT_OK(w, xap_commit(w));
    ASSERT_OK(w, xap_reopen(w));
    xap_close(w);

    ck_assert_ptr_nonnull(strstr(data, "\"Kept title\""));
    ck_assert_ptr_nonnull(strstr(snip, "<b>walrus</b>"));
    ck_assert_ptr_eq(xap_hits_data(h, 0), data);
    xap_hits_free(h);
}
END_TEST

/* ---- writers, readers and reopening ------------------------------------- */

START_TEST(second_writer_is_elocked_until_the_first_closes)
{
    xap_db *w1 = open_at(NULL, XAP_WRITE), *w2 = NULL, *r;
    xap_status st;

    add(w1, &(struct spec){ .path = "a.txt", .body = "alpha" });
    ASSERT_OK(w1, xap_commit(w1));
    st = xap_open(index_dir, XAP_WRITE, &w2);
    ck_assert_msg(st == XAP_ELOCKED, "second writer: %s",
                  xap_status_str(st));
    ck_assert_ptr_nonnull(w2);
    ck_assert_str_ne(xap_last_error(w2), "");
    xap_close(w2);

    /* Readers are not locked out. */
    r = open_at(NULL, XAP_READONLY);
    ck_assert_uint_eq(doc_count(r), 1);
    xap_close(r);

    xap_close(w1);
    w2 = open_at(NULL, XAP_WRITE);
    ck_assert_uint_eq(doc_count(w2), 1);
    xap_close(w2);
}
END_TEST

START_TEST(reader_sees_a_commit_only_after_reopen)
{
    xap_db *w = open_at(NULL, XAP_WRITE), *r;

    add(w, &(struct spec){ .path = "a.txt", .body = "alpha" });
    ASSERT_OK(w, xap_commit(w));
    r = open_at(NULL, XAP_READONLY);
    ck_assert_uint_eq(doc_count(r), 1);

    add(w, &(struct spec){ .path = "b.txt", .body = "beta" });
    ASSERT_OK(w, xap_commit(w));
    ck_assert_uint_eq(doc_count(r), 1);
    ck_assert_uint_eq(count_hits(r, "beta"), 0);
    ASSERT_OK(r, xap_reopen(r));
    ck_assert_uint_eq(doc_count(r), 2);
    ck_assert_uint_eq(count_hits(r, "beta"), 1);

    /* Uncommitted changes stay invisible even after a reopen. */
    add(w, &(struct spec){ .path = "c.txt", .body = "gamma" });
    ASSERT_OK(r, xap_reopen(r));
    ck_assert_uint_eq(doc_count(r), 2);
    ck_assert_uint_eq(count_hits(r, "gamma"), 0);
    ASSERT_OK(w, xap_commit(w));
    ASSERT_OK(r, xap_reopen(r));
    ck_assert_uint_eq(count_hits(r, "gamma"), 1);
    xap_close(r);
    xap_close(w);
}
END_TEST

/* Enough documents that rewriting them all a few times frees the blocks of
 * the reader's revision (with Xapian 1.4 glass, 500 x 3 is enough; fewer
 * usually leaves it readable, which is fine too). */
enum { STALE_DOCS = 500, STALE_ROUNDS = 4 };

static void
stale_round(xap_db *w, unsigned round)
{
    char path[32], body[96];

    for (unsigned i = 0; i < STALE_DOCS; i++) {
        snprintf(path, sizeof path, "doc%u", i);
        snprintf(body, sizeof body, "hello round%u item%u filler%u",
                 round, i, i * round);
        add(w, &(struct spec){ .path = path, .body = body });
    }
    ASSERT_OK(w, xap_commit(w));
}

START_TEST(stale_reader_recovers_after_many_commits)
{
    xap_db *w = open_at(NULL, XAP_WRITE), *r;
    xap_hits *h = NULL;
    xap_status st;
    uint64_t n;

    stale_round(w, 0);
    r = open_at(NULL, XAP_READONLY);
    ck_assert_uint_eq(doc_count(r), STALE_DOCS);
    ck_assert_uint_eq(count_hits(r, "item7"), 1);

    /* Rewrite every document many times: the reader's revision is gone. */
    for (unsigned round = 1; round <= STALE_ROUNDS; round++)
        stale_round(w, round);

    st = search_st(r, "hello", 0, STALE_DOCS, 0, &h);
    ck_assert_msg(st == XAP_OK || st == XAP_EMODIFIED, "%s: %s",
                  xap_status_str(st), xap_last_error(r));
    if (st == XAP_EMODIFIED)
        ck_assert_str_ne(xap_last_error(r), "");
    else
        ck_assert_uint_eq(xap_hits_count(h), STALE_DOCS);
    xap_hits_free(h);
    st = xap_doc_count(r, &n);
    ck_assert_msg(st == XAP_OK || st == XAP_EMODIFIED, "%s",
                  xap_status_str(st));

    /* What qpool does: reopen, retry once. */
    ASSERT_OK(r, xap_reopen(r));
    ck_assert_uint_eq(doc_count(r), STALE_DOCS);
    h = search(r, "hello", 0, STALE_DOCS);
    ck_assert_uint_eq(xap_hits_count(h), STALE_DOCS);
    xap_hits_free(h);
    ck_assert_uint_eq(count_hits(r, "round0"), 0);
    xap_close(r);
    xap_close(w);
}
END_TEST

START_TEST(closing_a_writer_commits)
{
    xap_db *w = open_at(NULL, XAP_WRITE), *r;

    add(w, &(struct spec){ .path = "a.txt", .body = "alpha" });
    add(w, &(struct spec){ .path = "b.txt", .body = "beta" });
    xap_close(w);
    r = open_at(NULL, XAP_READONLY);
    ck_assert_uint_eq(doc_count(r), 2);
    ck_assert_uint_eq(count_hits(r, "beta"), 1);
    xap_close(r);
}
END_TEST

/* ---- damage on disk ----------------------------------------------------- */

START_TEST(corrupt_index_gives_an_error_not_a_crash)
{
    static const struct {
        const char *file;
        bool keep_size;     /* garbage of the same size, else 64 bytes */
    } cases[] = {
        { "iamglass", true },
        { "iamglass", false },
        { "postlist.glass", true },
        { "postlist.glass", false },
        { "termlist.glass", true },
        { "docdata.glass", true },
        { "docdata.glass", false },
        { "position.glass", true },
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *dir = xasprintf("%s/idx%zu", tmp_dir, i);
        xap_db *db = open_at(dir, XAP_WRITE);
        xap_hits *h = NULL;
        xap_status st;
        bool failed = false;

        for (unsigned j = 0; j < 10; j++) {
            char path[32];

            snprintf(path, sizeof path, "doc%u", j);
            add(db, &(struct spec){ .path = path, .title = "Hello",
                                    .body = "hello world words" });
        }
        xap_close(db);
        scribble(dir, cases[i].file, cases[i].keep_size);

        db = NULL;
        st = xap_open(dir, XAP_READONLY, &db);
        if (st == XAP_OK) {
            st = search_st(db, "hello", 0, 10, 0, &h);
            xap_hits_free(h);
        }
        if (st != XAP_OK) {
            failed = true;
            ck_assert_msg(st == XAP_ECORRUPT || st == XAP_EINTERNAL,
                          "%s: %s: %s", cases[i].file, xap_status_str(st),
                          xap_last_error(db));
            if (cases[i].keep_size)
                ck_assert_msg(st == XAP_ECORRUPT, "%s: %s: %s",
                              cases[i].file, xap_status_str(st),
                              xap_last_error(db));
            ck_assert_ptr_nonnull(db);
            ck_assert_str_ne(xap_last_error(db), "");
        }
        ck_assert_msg(failed, "%s: garbage went unnoticed", cases[i].file);
        xap_close(db);

        /* A writer on the damaged index fails or works; it never crashes. */
        db = NULL;
        st = xap_open(dir, XAP_WRITE, &db);
        if (st != XAP_OK)
            ck_assert_str_ne(xap_last_error(db), "");
        xap_close(db);
        free(dir);
    }
}
END_TEST

/* ---- Unicode ------------------------------------------------------------ */

START_TEST(search_finds_words_in_every_script)
{
    static const struct {
        const char *query;
        const char *bold;   /* what the snippet must mark, or NULL */
    } cases[] = {
        { "zürich", "<b>Zürich</b>" },
        { "Zürich", "<b>Zürich</b>" },
        { "ZÜRICH", "<b>Zürich</b>" },
        { "москва", "<b>Москва</b>" },
        { "МОСКВА", "<b>Москва</b>" },
        { "東京", NULL },
        { "東京都", NULL },
        { "title:straße", NULL },
    };
    xap_db *w = open_at(NULL, XAP_WRITE);

    add(w, &(struct spec){ .path = "world.txt", .title = "Große Straße",
                           .body = "Meetings in Zürich, then 東京 and "
                                   "Москва; later 東京都庁 again." });
    ASSERT_OK(w, xap_commit(w));
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ASSERT_PATHS(w, cases[i].query, false, "world.txt");
        if (cases[i].bold != NULL) {
            char *s = snippet_for(w, cases[i].query, 0);

            ck_assert_msg(strstr(s, cases[i].bold) != NULL,
                          "\"%s\": snippet %s", cases[i].query, s);
            ck_assert(utf8_valid(s, strlen(s)));
            free(s);
        }
    }
    xap_close(w);
}
END_TEST

/* ---- metadata and shards ------------------------------------------------ */

struct meta_seen {
    char keys[8][32];
    char vals[8][32];
    size_t n;
    size_t stop_after;      /* 0: never stop */
};

static int
meta_collect(const char *key, size_t klen, const char *val, size_t vlen,
             void *arg)
{
    struct meta_seen *m = arg;

    ck_assert_uint_lt(m->n, 8);
    ck_assert_uint_lt(klen, 32);
    ck_assert_uint_lt(vlen, 32);
    memcpy(m->keys[m->n], key, klen);
    m->keys[m->n][klen] = '\0';
    memcpy(m->vals[m->n], val, vlen);
    m->vals[m->n][vlen] = '\0';
    m->n++;
    return m->stop_after != 0 && m->n >= m->stop_after;
}

/* ---- faults: dropping uncommitted changes; verifying ------------------- */

START_TEST(discard_drops_every_change_since_the_commit)
{
    xap_db *w = open_at(NULL, XAP_WRITE), *r;
    struct spec a = { .path = "/d/a.txt", .title = "kept", .body = "kept" };
    struct spec b = { .path = "/d/b.txt", .title = "dropped",
                      .body = "dropped" };
    char *v = NULL;
    size_t len = 0;

    add(w, &a);
    ASSERT_OK(w, xap_meta_set(w, "Fa", 2, "1", 1));
    ASSERT_OK(w, xap_commit(w));
    /* Changes of every kind, then dropped. */
    add(w, &b);
    ASSERT_OK(w, xap_delete_path(w, "/d/a.txt", NULL));
    ASSERT_OK(w, xap_meta_set(w, "Fb", 2, "2", 1));
    ASSERT_OK(w, xap_meta_set(w, "Fa", 2, NULL, 0));
    ASSERT_OK(w, xap_discard(w));
    ck_assert_uint_eq(doc_count(w), 1);
    ck_assert_int_eq(xap_meta_get(w, "Fb", 2, &v, &len), XAP_ENOTFOUND);
    ASSERT_OK(w, xap_meta_get(w, "Fa", 2, &v, &len));
    free(v);
    /* The handle writes and commits as before. */
    add(w, &b);
    ASSERT_OK(w, xap_commit(w));
    r = open_at(NULL, XAP_READONLY);
    ck_assert_uint_eq(doc_count(r), 2);
    xap_close(r);
    /* Closing commits what is pending, as ever. */
    ASSERT_OK(w, xap_delete_path(w, "/d/b.txt", NULL));
    xap_close(w);
    r = open_at(NULL, XAP_READONLY);
    ck_assert_uint_eq(doc_count(r), 1);
    ck_assert_int_eq(xap_discard(r), XAP_EINVAL);
    xap_close(r);
}
END_TEST

static int
count_term(const char *term, size_t len, uint64_t freq, void *arg)
{
    uint64_t *n = arg;

    (void)term;
    (void)len;
    *n += freq;
    return 0;
}

START_TEST(check_db_and_path_terms)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    struct spec a = { .path = "/d/a.txt", .member = "1", .body = "x" };
    struct spec a2 = { .path = "/d/a.txt", .member = "2", .body = "y" };
    uint64_t errors = 99, n = 0;
    char *report = NULL, *term;
    size_t tlen = 0;

    add(w, &a);
    add(w, &a2);
    ASSERT_OK(w, xap_commit(w));
    ck_assert_int_eq(xap_check_db(index_dir, &errors, &report), XAP_OK);
    ck_assert_uint_eq(errors, 0);
    ck_assert_ptr_nonnull(report);
    free(report);
    /* The path term of a.txt is on both its documents. */
    term = xap_path_term("/d/a.txt", &tlen);
    ck_assert_ptr_nonnull(term);
    ASSERT_OK(w, xap_terms_each(w, term, tlen, count_term, &n));
    ck_assert_uint_eq(n, 2);
    free(term);
    xap_close(w);
    ck_assert_int_ne(xap_check_db("/nonexistent/index", &errors, &report),
                     XAP_OK);
    ck_assert_ptr_nonnull(report);
    ck_assert(report[0] != '\0');
    free(report);
}
END_TEST

START_TEST(meta_set_get_delete_round_trip)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    char *v = (char *)"x";
    size_t len = 99;
    static const char bin[] = "a\0b\xff";

    ck_assert_int_eq(xap_meta_get(w, "fk", 2, &v, &len), XAP_ENOTFOUND);
    ck_assert_ptr_null(v);
    ck_assert_uint_eq(len, 0);
    /* Binary keys and values survive as bytes. */
    ASSERT_OK(w, xap_meta_set(w, "f\0k", 3, bin, sizeof bin - 1));
    ASSERT_OK(w, xap_meta_get(w, "f\0k", 3, &v, &len));
    ck_assert_uint_eq(len, sizeof bin - 1);
    ck_assert_mem_eq(v, bin, len);
    ck_assert_int_eq(v[len], '\0');
    free(v);
    /* A shorter key with the same first bytes is another key. */
    ck_assert_int_eq(xap_meta_get(w, "f", 1, &v, &len), XAP_ENOTFOUND);
    ASSERT_OK(w, xap_meta_set(w, "f\0k", 3, NULL, 0));
    ck_assert_int_eq(xap_meta_get(w, "f\0k", 3, &v, &len), XAP_ENOTFOUND);
    xap_close(w);
}
END_TEST

START_TEST(meta_rejects_bad_keys_and_read_only_writes)
{
    xap_db *w = open_at(NULL, XAP_WRITE), *r;
    char key[XAP_MAX_META_KEY + 2];
    char *v = NULL;

    memset(key, 'k', sizeof key);
    ck_assert_int_eq(xap_meta_set(w, key, 0, "v", 1), XAP_EINVAL);
    ck_assert_int_eq(xap_meta_set(w, key, XAP_MAX_META_KEY + 1, "v", 1),
                     XAP_EINVAL);
    ck_assert(strstr(xap_last_error(w), "key") != NULL);
    ASSERT_OK(w, xap_meta_set(w, key, XAP_MAX_META_KEY, "v", 1));
    ck_assert_int_eq(xap_meta_set(w, "k", 1, NULL, 3), XAP_EINVAL);
    ASSERT_OK(w, xap_commit(w));
    r = open_at(NULL, XAP_READONLY);
    ck_assert_int_eq(xap_meta_set(r, "k", 1, "v", 1), XAP_EINVAL);
    ck_assert(strstr(xap_last_error(r), "read-only") != NULL);
    ASSERT_OK(r, xap_meta_get(r, key, XAP_MAX_META_KEY, &v, NULL));
    ck_assert_str_eq(v, "v");
    free(v);
    xap_close(r);
    xap_close(w);
}
END_TEST

START_TEST(meta_commits_with_documents_and_lists_by_prefix)
{
    xap_db *w = open_at(NULL, XAP_WRITE), *r;
    struct meta_seen m = { .n = 0 };

    add(w, &(struct spec){ .path = "/a", .body = "alpha" });
    ASSERT_OK(w, xap_meta_set(w, "f/b", 3, "2", 1));
    ASSERT_OK(w, xap_meta_set(w, "f/a", 3, "1", 1));
    ASSERT_OK(w, xap_meta_set(w, "g/c", 3, "3", 1));
    ASSERT_OK(w, xap_commit(w));
    ASSERT_OK(w, xap_meta_set(w, "f/z", 3, "uncommitted", 11));
    r = open_at(NULL, XAP_READONLY);
    ASSERT_OK(r, xap_meta_each(r, "f", 1, meta_collect, &m));
    ck_assert_uint_eq(m.n, 2);          /* f/z not committed yet */
    ck_assert_str_eq(m.keys[0], "f/a"); /* byte order */
    ck_assert_str_eq(m.vals[0], "1");
    ck_assert_str_eq(m.keys[1], "f/b");
    ck_assert_uint_eq(doc_count(r), 1);
    ASSERT_OK(w, xap_commit(w));
    ASSERT_OK(r, xap_reopen(r));
    m = (struct meta_seen){ .stop_after = 2 };
    ASSERT_OK(r, xap_meta_each(r, NULL, 0, meta_collect, &m));
    ck_assert_uint_eq(m.n, 2);          /* stopped by the callback */
    m = (struct meta_seen){ .n = 0 };
    ASSERT_OK(r, xap_meta_each(r, "f", 1, meta_collect, &m));
    ck_assert_uint_eq(m.n, 3);
    ck_assert_str_eq(m.vals[2], "uncommitted");
    xap_close(r);
    xap_close(w);
}
END_TEST

START_TEST(shards_are_searched_as_one)
{
    char *d1 = xasprintf("%s/s1", tmp_dir), *d2 = xasprintf("%s/s2", tmp_dir);
    const char *dirs[] = { d1, d2 };
    xap_db *w1 = open_at(d1, XAP_WRITE), *w2 = open_at(d2, XAP_WRITE);
    xap_db *r = NULL;
    xap_hits *h;

    add(w1, &(struct spec){ .path = "/one", .title = "Monsoon one",
                            .body = "monsoon rains" });
    add(w2, &(struct spec){ .path = "/two", .title = "Monsoon two",
                            .body = "monsoon floods" });
    ASSERT_OK(w1, xap_commit(w1));
    ASSERT_OK(w2, xap_commit(w2));
    ASSERT_OK(r, xap_open_shards(dirs, 2, &r));
    ck_assert_uint_eq(doc_count(r), 2);
    h = search(r, "monsoon", 0, 10);
    ck_assert_uint_eq(xap_hits_count(h), 2);
    ck_assert(strstr(xap_hits_snippet(h, 0), "<b>") != NULL);
    xap_hits_free(h);
    ck_assert_uint_eq(count_hits(r, "floods"), 1);
    /* A commit in one shard shows after reopen. */
    add(w2, &(struct spec){ .path = "/three", .body = "monsoon again" });
    ASSERT_OK(w2, xap_commit(w2));
    ASSERT_OK(r, xap_reopen(r));
    ck_assert_uint_eq(count_hits(r, "monsoon"), 3);
    xap_close(r);
    r = NULL;
    ck_assert_int_eq(xap_open_shards(dirs, 0, &r), XAP_EINVAL);
    xap_close(r);
    dirs[1] = "";
    ck_assert_int_eq(xap_open_shards(dirs, 2, &r), XAP_EINVAL);
    xap_close(r);
    xap_close(w1);
    xap_close(w2);
    free(d1);
    free(d2);
}
END_TEST

/* "Did you mean" from the spelling data of every shard, only when the
 * correction finds something; "correct" searches it at once. */
START_TEST(spelling_suggests_across_shards)
{
    char *d1 = xasprintf("%s/s1", tmp_dir), *d2 = xasprintf("%s/s2", tmp_dir);
    const char *dirs[] = { d1, d2 };
    xap_db *w1 = open_at(d1, XAP_WRITE), *w2 = open_at(d2, XAP_WRITE);
    xap_db *r = NULL;
    struct xap_query q = { .text = "afgan pece", .limit = 10 };
    xap_hits *h = NULL;

    add(w1, &(struct spec){ .path = "/a", .title = "Afghan talks",
                            .body = "The afghan government met." });
    add(w2, &(struct spec){ .path = "/p", .title = "Peace at last",
                            .body = "An afghan peace deal was signed." });
    ASSERT_OK(w1, xap_commit(w1));
    ASSERT_OK(w2, xap_commit(w2));
    ASSERT_OK(r, xap_open_shards(dirs, 2, &r));
    /* Each word's spelling lives in another shard. */
    ASSERT_OK(r, xap_search(r, &q, &h));
    ck_assert_uint_eq(xap_hits_count(h), 0);
    ck_assert_ptr_nonnull(xap_hits_suggestion(h));
    ck_assert_str_eq(xap_hits_suggestion(h), "afghan peace");
    ck_assert(!xap_hits_corrected(h));
    xap_hits_free(h);
    q.correct = true;
    ASSERT_OK(r, xap_search(r, &q, &h));
    ck_assert_uint_eq(xap_hits_count(h), 1);
    ck_assert(xap_hits_corrected(h));
    ck_assert_ptr_nonnull(strstr(xap_hits_snippet(h, 0), "<b>peace</b>"));
    xap_hits_free(h);
    /* Known words: nothing to suggest. */
    q.text = "afghan peace";
    ASSERT_OK(r, xap_search(r, &q, &h));
    ck_assert_ptr_null(xap_hits_suggestion(h));
    ck_assert(!xap_hits_corrected(h));
    xap_hits_free(h);
    /* A correction that finds nothing is not offered: both words exist,
     * never together. */
    q.text = "goverment deel";
    q.correct = false;
    ASSERT_OK(r, xap_search(r, &q, &h));
    ck_assert_ptr_null(xap_hits_suggestion(h));
    xap_hits_free(h);
    xap_close(r);
    xap_close(w1);
    xap_close(w2);
    free(d1);
    free(d2);
}
END_TEST

/* More like this: documents sharing the distinctive words of one, not the
 * document itself; by member for a container; an unknown one is
 * XAP_ENOTFOUND. */
START_TEST(like_finds_related_documents)
{
    xap_db *w = open_at(NULL, XAP_WRITE);
    struct xap_query q = { .like_path = "/box.sgm", .like_member = "1",
                           .limit = 10 };
    xap_hits *h = NULL;

    add(w, &(struct spec){ .path = "/box.sgm", .member = "1",
                           .title = "Wheat harvest",
                           .body = "Wheat farmers expect a record wheat "
                                   "harvest on the prairie." });
    add(w, &(struct spec){ .path = "/box.sgm", .member = "2",
                           .title = "Bank rates",
                           .body = "The central bank held its rates." });
    add(w, &(struct spec){ .path = "/w.txt", .title = "Prairie wheat",
                           .body = "A wheat harvest on the prairie is "
                                   "late this year." });
    add(w, &(struct spec){ .path = "/b.txt", .title = "Rates",
                           .body = "Bank rates rose." });
    ASSERT_OK(w, xap_commit(w));
    ASSERT_OK(w, xap_search(w, &q, &h));
    ck_assert_uint_ge(xap_hits_count(h), 1);
    ck_assert_ptr_nonnull(strstr(xap_hits_data(h, 0), "\"path\":\"/w.txt\""));
    for (size_t i = 0; i < xap_hits_count(h); i++)
        ck_assert_msg(strstr(xap_hits_data(h, i), "\"member\":\"1\"") == NULL,
                      "the document itself: %s", xap_hits_data(h, i));
    xap_hits_free(h);
    /* With words too: only what they find, ranked by likeness. */
    q.text = "rates";
    ASSERT_OK(w, xap_search(w, &q, &h));
    for (size_t i = 0; i < xap_hits_count(h); i++)
        ck_assert_ptr_nonnull(strstr(xap_hits_data(h, i), "ates"));
    xap_hits_free(h);
    q.text = NULL;
    q.like_path = "/nowhere.txt";
    q.like_member = NULL;
    ck_assert_int_eq(xap_search(w, &q, &h), XAP_ENOTFOUND);
    ck_assert_ptr_null(h);
    ck_assert_ptr_nonnull(strstr(xap_last_error(w), "/nowhere.txt"));
    xap_close(w);
}
END_TEST

/* ---- copies ------------------------------------------------------------- */

/* A made-up article of nwords words (a vocabulary of 600) with "wire" in
 * it, from seed; edits > 0 changes that many words.  Owned. */
static char *
story(uint32_t seed, size_t nwords, size_t edits)
{
    char *s = xmalloc(nwords * 12 + 16);
    size_t len = (size_t)sprintf(s, "wire");
    uint32_t x = seed * 2654435761u + 1;

    for (size_t i = 1; i < nwords; i++) {
        x = x * 1103515245u + 12345u;
        if (edits > 0 && i % (nwords / (edits + 1)) == 0 &&
            i / (nwords / (edits + 1)) <= edits)
            len += (size_t)sprintf(s + len, " edited");
        else
            len += (size_t)sprintf(s + len, " w%u", (x >> 8) % 600);
    }
    return s;
}

/* The query of search_copies: borrowed strings, copies mode. */
static xap_hits *
search_copies(xap_db *db, const char *text, unsigned offset, unsigned limit,
              enum xap_copies mode)
{
    struct xap_query q = { .text = text, .offset = offset, .limit = limit,
                           .copies = mode };
    xap_hits *h = NULL;

    ASSERT_OK(db, xap_search(db, &q, &h));
    return h;
}

START_TEST(copies_fold_across_shards)
{
    char *dirs_own[3];
    const char *dirs[3];
    xap_db *w[3], *r = NULL;
    char *a = story(1, 300, 0), *near = story(1, 300, 3);
    char *other = story(2, 300, 0);
    xap_hits *h;
    struct xap_copy c;
    size_t exact = 0, nearn = 0;
    bool seen_three = false;
    char *path;

    for (int i = 0; i < 3; i++) {
        dirs_own[i] = xasprintf("%s/shard-%d", tmp_dir, i);
        dirs[i] = dirs_own[i];
        w[i] = open_at(dirs[i], XAP_WRITE);
    }
    /* One story three times word for word (in two shards, two outlets),
     * once with three words changed, and an unrelated story that matches
     * the same query.  No copy is a first document of the first shard,
     * so a shard's own document number never passes for the merged one. */
    add(w[0], &(struct spec){ .path = "/b", .title = "Wire story",
                              .body = other, .outlet = "One" });
    add(w[1], &(struct spec){ .path = "/a1", .title = "Wire story",
                              .body = a, .outlet = "One" });
    add(w[2], &(struct spec){ .path = "/a2", .title = "Wire story",
                              .body = a, .outlet = "Two" });
    add(w[2], &(struct spec){ .path = "/a3", .title = "Wire  STORY!",
                              .body = a, .outlet = "Two" });
    add(w[0], &(struct spec){ .path = "/a4", .title = "Wire story",
                              .body = near, .outlet = "Three" });
    for (int i = 0; i < 3; i++)
        ASSERT_OK(w[i], xap_commit(w[i]));
    ASSERT_OK(r, xap_open_shards(dirs, 3, &r));

    /* Without folding every copy is a hit. */
    h = search_copies(r, "wire", 0, 10, XAP_COPIES_ALL);
    ck_assert_uint_eq(xap_hits_count(h), 5);
    ck_assert_uint_eq(xap_hits_copies(h, 0), 0);
    ck_assert(!xap_hits_folded(h));
    xap_hits_free(h);

    /* Folded: the story once, with its three copies, and the other. */
    h = search_copies(r, "wire", 0, 10, XAP_COPIES_LIST);
    ck_assert_uint_eq(xap_hits_count(h), 2);
    ck_assert(xap_hits_folded(h));
    ck_assert_uint_eq(xap_hits_total(h, NULL, NULL), 2);
    for (size_t i = 0; i < 2; i++) {
        path = hit_str(h, i, "path");
        if (strcmp(path, "/b") == 0) {
            ck_assert_uint_eq(xap_hits_copies(h, i), 0);
            ck_assert(!xap_hits_copy(h, i, 0, &c));
        } else {
            ck_assert_uint_eq(xap_hits_copies(h, i), 3);
            for (size_t j = 0; xap_hits_copy(h, i, j, &c); j++) {
                json_t *o = json_loads(c.data, 0, NULL);
                const char *p = json_string_value(json_object_get(o, "path"));
                ck_assert_ptr_nonnull(p);
                ck_assert_str_ne(p, path);
                if (strcmp(p, "/a4") == 0) {
                    ck_assert(!c.is_exact);
                    ck_assert_str_eq(c.outlet, "Three");
                    seen_three = true;
                    nearn++;
                } else {
                    ck_assert(c.is_exact);
                    exact++;
                }
                json_decref(o);
            }
        }
        free(path);
    }
    ck_assert_uint_eq(exact, 2);
    ck_assert_uint_eq(nearn, 1);
    ck_assert(seen_three);
    xap_hits_free(h);

    /* Fold without the list: counts and outlets, no display fields. */
    h = search_copies(r, "wire", 0, 10, XAP_COPIES_FOLD);
    ck_assert_uint_eq(xap_hits_copies(h, 0) + xap_hits_copies(h, 1), 3);
    ck_assert(xap_hits_copy(h, xap_hits_copies(h, 0) ? 0 : 1, 0, &c));
    ck_assert_str_eq(c.data, "{}");
    xap_hits_free(h);

    /* Pages are cut from the folded list. */
    h = search_copies(r, "wire", 1, 1, XAP_COPIES_FOLD);
    ck_assert_uint_eq(xap_hits_count(h), 1);
    xap_hits_free(h);
    h = search_copies(r, "wire", 2, 5, XAP_COPIES_FOLD);
    ck_assert_uint_eq(xap_hits_count(h), 0);
    xap_hits_free(h);

    /* A filter that leaves out some copies leaves them out of the
     * count too: only matching documents are copies of a hit. */
    h = search_copies(r, "wire -outlet:two", 0, 10, XAP_COPIES_FOLD);
    ck_assert_uint_eq(xap_hits_count(h), 2);
    ck_assert_uint_eq(xap_hits_copies(h, 0) + xap_hits_copies(h, 1), 1);
    xap_hits_free(h);

    xap_close(r);
    for (int i = 0; i < 3; i++) {
        xap_close(w[i]);
        free(dirs_own[i]);
    }
    free(a);
    free(near);
    free(other);
}
END_TEST

START_TEST(copies_fold_pages_without_repeats)
{
    /* More distinct stories than one page's window holds, each twice:
     * every page shows each story once, and paging never repeats one. */
    xap_db *w = open_at(NULL, XAP_WRITE);
    enum { N = 60 };
    bool seen[N] = { false };
    xap_hits *h;

    for (uint32_t i = 0; i < N; i++) {
        char *body = story(100 + i, 120, 0);
        char p1[32], p2[32];

        snprintf(p1, sizeof p1, "/s%u-a", i);
        snprintf(p2, sizeof p2, "/s%u-b", i);
        add(w, &(struct spec){ .path = p1, .body = body });
        add(w, &(struct spec){ .path = p2, .body = body });
        free(body);
    }
    ASSERT_OK(w, xap_commit(w));
    for (unsigned off = 0; off < N + 10; off += 7) {
        h = search_copies(w, "wire", off, 7, XAP_COPIES_FOLD);
        for (size_t i = 0; i < xap_hits_count(h); i++) {
            char *p = hit_str(h, i, "path");
            unsigned k = (unsigned)atoi(p + 2);

            ck_assert_uint_lt(k, N);
            ck_assert_msg(!seen[k], "story %u twice", k);
            seen[k] = true;
            ck_assert_uint_eq(xap_hits_copies(h, i), 1);
            free(p);
        }
        xap_hits_free(h);
    }
    for (unsigned k = 0; k < N; k++)
        ck_assert_msg(seen[k], "story %u never shown", k);
    xap_close(w);
}
END_TEST

START_TEST(copies_fold_pages_past_the_near_window)
{
    /* Near copies fold among the best 2000 matches; pages past them come
     * from the collapsed list as it is, shifted by what folded.  So the
     * folded list is the unfolded one less the near copy, at every
     * offset, across the window's end. */
    xap_db *w = open_at(NULL, XAP_WRITE);
    enum { N = 2100 };
    char *a = story(7, 200, 0), *b = story(7, 200, 2);
    char **all = xcalloc(N + 2, sizeof *all);
    size_t n_all = 0, near_at = SIZE_MAX;
    xap_hits *h;

    /* The two copies rank first: they alone have the rare "copyx". */
    add(w, &(struct spec){ .path = "/near-a", .title = "copyx",
                           .body = a });
    add(w, &(struct spec){ .path = "/near-b", .title = "copyx",
                           .body = b });
    for (unsigned i = 0; i < N; i++) {
        char p[32], body[64];

        snprintf(p, sizeof p, "/d%04u", i);
        snprintf(body, sizeof body, "wire item %u of the long list", i);
        add(w, &(struct spec){ .path = p, .body = body });
    }
    ASSERT_OK(w, xap_commit(w));
    for (unsigned off = 0; off < N + 2; off += 1000) {
        h = search_copies(w, "wire OR copyx", off, 1000, XAP_COPIES_ALL);
        for (size_t i = 0; i < xap_hits_count(h); i++) {
            all[n_all] = hit_str(h, i, "path");
            if (strcmp(all[n_all], "/near-b") == 0)
                near_at = n_all;
            n_all++;
        }
        xap_hits_free(h);
    }
    ck_assert_uint_eq(n_all, N + 2);
    ck_assert_uint_lt(near_at, 2000);
    /* The unfolded list without the near copy. */
    free(all[near_at]);
    memmove(all + near_at, all + near_at + 1,
            (n_all - near_at - 1) * sizeof *all);
    n_all--;
    static const unsigned offsets[] = { 0, 1990, 1998, 1999, 2000, 2050 };
    for (size_t k = 0; k < sizeof offsets / sizeof offsets[0]; k++) {
        h = search_copies(w, "wire OR copyx", offsets[k], 20,
                          XAP_COPIES_FOLD);
        ck_assert_uint_eq(xap_hits_count(h), 20);
        for (size_t i = 0; i < 20; i++) {
            char *p = hit_str(h, i, "path");

            ck_assert_msg(strcmp(p, all[offsets[k] + i]) == 0,
                          "offset %u hit %zu: %s, want %s", offsets[k], i,
                          p, all[offsets[k] + i]);
            free(p);
        }
        xap_hits_free(h);
    }
    for (size_t i = 0; i < n_all; i++)
        free(all[i]);
    free(all);
    free(a);
    free(b);
    xap_close(w);
}
END_TEST

/* ---- the suite ---------------------------------------------------------- */

Suite *
xap_suite(void)
{
    Suite *s = suite_create("xap");
    TCase *tc;

    tc = tcase_create("open");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, open_write_creates_a_new_index);
    tcase_add_test(tc, open_readonly_missing_index_is_enotfound);
    tcase_add_test(tc, open_rejects_missing_dir_argument);
    tcase_add_test(tc, close_and_hits_free_accept_null);
    tcase_add_test(tc, status_str_is_distinct_for_every_status);
    tcase_add_test(tc, discard_drops_every_change_since_the_commit);
    tcase_add_test(tc, check_db_and_path_terms);
    suite_add_tcase(s, tc);

    tc = tcase_create("write");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, replace_commit_and_doc_count);
    tcase_add_test(tc, replace_same_key_keeps_only_the_last_version);
    tcase_add_test(tc, replace_rejects_doc_without_key_or_path);
    tcase_add_test(tc, writes_on_a_readonly_handle_are_einval);
    tcase_add_test(tc, delete_path_removes_every_member_of_that_path_only);
    tcase_add_test(tc, delete_path_sees_uncommitted_documents);
    tcase_add_test(tc, long_paths_stay_distinct);
    suite_add_tcase(s, tc);

    tc = tcase_create("search");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, search_finds_body_terms_stemmed_and_case_folded);
    tcase_add_test(tc, search_ranks_a_title_match_above_a_body_match);
    tcase_add_test(tc, search_phrase_needs_the_words_in_order);
    tcase_add_test(tc, search_boolean_operators);
    tcase_add_test(tc, search_match_any_ranks_by_words_matched);
    tcase_add_test(tc, search_match_any_drops_stop_words);
    tcase_add_test(tc, search_field_prefixes);
    tcase_add_test(tc, search_pages_with_offset_and_limit);
    tcase_add_test(tc, search_limit_zero_gives_only_the_total);
    tcase_add_test(tc, search_huge_offset_and_limit_are_fine);
    tcase_add_test(tc, search_total_lies_within_its_bounds);
    tcase_add_test(tc, search_rejects_missing_query);
    tcase_add_test(tc, search_malformed_query_is_equery_and_handle_lives);
    tcase_add_test(tc, search_odd_queries_never_crash);
    tcase_add_test(tc, search_finds_words_in_every_script);
    suite_add_tcase(s, tc);

    tc = tcase_create("query");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, query_operators_only_in_upper_case);
    tcase_add_test(tc, query_phrases_groups_love_hate_near_wildcards);
    tcase_add_test(tc, query_fields_lang_and_keyword);
    tcase_add_test(tc, query_date_ranges_cover_whole_periods);
    tcase_add_test(tc, query_since_until_outlet_filter);
    tcase_add_test(tc, query_sort_by_date_ties_by_relevance);
    tcase_add_test(tc, query_facets_count_every_match_not_the_page);
    tcase_add_test(tc, query_refusals_are_equery_with_a_position);
    tcase_add_test(tc, query_bad_filters_and_huge_wildcards_are_equery);
    suite_add_tcase(s, tc);

    tc = tcase_create("copies");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, copies_fold_across_shards);
    tcase_add_test(tc, copies_fold_pages_without_repeats);
    tcase_add_test(tc, copies_fold_pages_past_the_near_window);
    suite_add_tcase(s, tc);

    tc = tcase_create("snippet");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, snippet_marks_the_match_in_bold);
    tcase_add_test(tc, snippet_is_html_escaped);
    tcase_add_test(tc, snippet_marks_stemmed_forms_and_wildcards);
    tcase_add_test(tc, snippet_window_is_where_the_words_meet);
    tcase_add_test(tc, snippet_length_is_bounded);
    tcase_add_test(tc, snippet_never_splits_a_utf8_character);
    tcase_add_test(tc, snippet_marks_every_match);
    tcase_add_test(tc, snippet_match_near_the_end);
    tcase_add_test(tc, snippet_marks_phrase_words);
    tcase_add_test(tc, snippet_of_a_very_long_paragraph);
    tcase_add_test(tc, snippet_of_invalid_utf8);
    suite_add_tcase(s, tc);

    tc = tcase_create("data");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, data_is_json_with_the_doc_fields);
    tcase_add_test(tc, data_non_utf8_path_has_path_b64);
    tcase_add_test(tc, hit_strings_live_until_hits_free);
    suite_add_tcase(s, tc);

    tc = tcase_create("revisions");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, second_writer_is_elocked_until_the_first_closes);
    tcase_add_test(tc, reader_sees_a_commit_only_after_reopen);
    tcase_add_test(tc, stale_reader_recovers_after_many_commits);
    tcase_add_test(tc, closing_a_writer_commits);
    tcase_add_test(tc, corrupt_index_gives_an_error_not_a_crash);
    suite_add_tcase(s, tc);

    tc = tcase_create("metadata");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, meta_set_get_delete_round_trip);
    tcase_add_test(tc, meta_rejects_bad_keys_and_read_only_writes);
    tcase_add_test(tc, meta_commits_with_documents_and_lists_by_prefix);
    tcase_add_test(tc, shards_are_searched_as_one);
    tcase_add_test(tc, spelling_suggests_across_shards);
    tcase_add_test(tc, like_finds_related_documents);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    const char *t = getenv("TMPDIR"), *keep = getenv("SD_TEST_KEEP");
    SRunner *sr;
    int failed;

    keep_files = keep != NULL && strcmp(keep, "1") == 0;
    snprintf(run_dir, sizeof run_dir, "%s/check_xap.XXXXXX",
             t != NULL && *t != '\0' ? t : "/tmp");
    if (mkdtemp(run_dir) == NULL) {
        fprintf(stderr, "check_xap: mkdtemp %s: %s\n", run_dir,
                strerror(errno));
        return EXIT_FAILURE;
    }
    sr = srunner_create(xap_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    if (keep_files)
        printf("check_xap: SD_TEST_KEEP=1: indexes kept in %s\n", run_dir);
    rm_tree(run_dir);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
