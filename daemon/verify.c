/*
 * verify.c - `searchd --check` (verify.h).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "verify.h"
#include "filestate.h"
#include "util.h"
#include "xap.h"

#define MAX_SHARDS 64

/* What the check of one index has found so far. */
struct check {
    FILE *out;              /* borrowed */
    long problems;
    uint64_t documents, records, old_layout, failed;
};

static void __attribute__((format(printf, 2, 3)))
problem(struct check *c, const char *fmt, ...)
{
    va_list ap;

    if (c->problems++ == CHECK_MAX_SHOWN) {
        fprintf(c->out, "  (more problems: only counted from here)\n");
        return;
    }
    if (c->problems > CHECK_MAX_SHOWN)
        return;
    fputs("  problem: ", c->out);
    va_start(ap, fmt);
    vfprintf(c->out, fmt, ap);
    va_end(ap);
    fputc('\n', c->out);
}

/* One record: its path term, the documents it promises, and whether a
 * document with that path term was met. */
struct rec {
    char *term;             /* owned */
    size_t term_len;
    char *path;             /* owned */
    uint64_t ndocs;
    bool is_seen;
};

struct shard_check {
    struct check *c;
    const char *dir;
    unsigned idx, n_shards;
    struct rec *v;          /* owned */
    size_t n, cap;
};

static int
cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    size_t n = x->term_len < y->term_len ? x->term_len : y->term_len;
    int d = memcmp(x->term, y->term, n);

    return d != 0 ? d : x->term_len < y->term_len ? -1
                      : x->term_len > y->term_len;
}

static int
record_cb(const char *key, size_t klen, const char *val, size_t vlen,
          void *arg)
{
    struct shard_check *sc = arg;
    struct check *c = sc->c;
    struct filestate fs;
    char want[FILESTATE_KEY_MAX];
    size_t wlen;
    struct rec *r;

    if (filestate_decode(val, vlen, &fs) != 0) {
        problem(c, "%s: the file record under key '%.*s' is unreadable",
                sc->dir, (int)(klen > 80 ? 80 : klen), key);
        return 0;
    }
    c->records++;
    wlen = filestate_key(fs.path, fs.path_len, want);
    if (wlen != klen || memcmp(want, key, klen) != 0)
        problem(c, "%s: the record of %s is under another file's key",
                sc->dir, fs.path);
    if (filestate_hash_bytes(fs.path, fs.path_len) % sc->n_shards != sc->idx)
        problem(c, "%s: the record of %s belongs in another shard", sc->dir,
                fs.path);
    if (fs.status == FILESTATE_FAILED)
        c->failed++;
    else if (fs.ndocs > 0 && fs.layout != xap_layout())
        c->old_layout++;
    if (sc->n == sc->cap) {
        sc->cap = sc->cap ? sc->cap * 2 : 256;
        sc->v = xrealloc(sc->v, sc->cap * sizeof *sc->v);
    }
    r = &sc->v[sc->n++];
    r->term = xap_path_term(fs.path, &r->term_len);
    if (r->term == NULL)
        r->term = xstrdup("");    /* out of memory: matches no term */
    r->path = xstrdup(fs.path);
    r->ndocs = fs.status == FILESTATE_OK ? fs.ndocs : 0;
    r->is_seen = false;
    filestate_clear(&fs);
    return 0;
}

/* Each path term of the shard against the records. */
static int
path_term_cb(const char *term, size_t len, uint64_t freq, void *arg)
{
    struct shard_check *sc = arg;
    struct rec key = { .term = (char *)term, .term_len = len };
    struct rec *r = sc->n == 0 ? NULL
                    : bsearch(&key, sc->v, sc->n, sizeof *sc->v, cmp_rec);

    if (r == NULL) {
        problem(sc->c, "%s: %llu documents from %.*s have no file record",
                sc->dir, (unsigned long long)freq, (int)(len - 1), term + 1);
        return 0;
    }
    r->is_seen = true;
    if (r->ndocs != freq)
        problem(sc->c, "%s: %s: its record says %llu documents, the index "
                "has %llu", sc->dir, r->path, (unsigned long long)r->ndocs,
                (unsigned long long)freq);
    return 0;
}

static int
id_term_cb(const char *term, size_t len, uint64_t freq, void *arg)
{
    struct shard_check *sc = arg;

    if (freq > 1)
        problem(sc->c, "%s: document %.*s is in the index %llu times",
                sc->dir, (int)(len - 1), term + 1, (unsigned long long)freq);
    return 0;
}

static void
check_records(struct check *c, const char *dir, unsigned idx,
              unsigned n_shards)
{
    struct shard_check sc = { c, dir, idx, n_shards, NULL, 0, 0 };
    xap_db *db = NULL;
    xap_status st = xap_open(dir, XAP_READONLY, &db);
    uint64_t count = 0;
    char pfx[2] = { FILESTATE_KEY_PATH, FILESTATE_KEY_HASH };

    if (st == XAP_OK)
        st = xap_doc_count(db, &count);
    if (st == XAP_OK)
        st = xap_meta_each(db, &pfx[0], 1, record_cb, &sc);
    if (st == XAP_OK)
        st = xap_meta_each(db, &pfx[1], 1, record_cb, &sc);
    if (st == XAP_OK) {
        if (sc.n > 1)
            qsort(sc.v, sc.n, sizeof *sc.v, cmp_rec);
        for (size_t i = 1; i < sc.n; i++)
            if (cmp_rec(&sc.v[i - 1], &sc.v[i]) == 0 &&
                strcmp(sc.v[i - 1].path, sc.v[i].path) == 0)
                problem(c, "%s: %s has two records", dir, sc.v[i].path);
        st = xap_terms_each(db, "P", 1, path_term_cb, &sc);
    }
    if (st == XAP_OK)
        st = xap_terms_each(db, "Q", 1, id_term_cb, &sc);
    if (st != XAP_OK) {
        problem(c, "%s: cannot read: %s: %s", dir, xap_status_str(st),
                db ? xap_last_error(db) : "out of memory");
    } else {
        for (size_t i = 0; i < sc.n; i++)
            if (!sc.v[i].is_seen && sc.v[i].ndocs > 0)
                problem(c, "%s: %s: its record says %llu documents, the "
                        "index has none", dir, sc.v[i].path,
                        (unsigned long long)sc.v[i].ndocs);
        c->documents += count;
    }
    for (size_t i = 0; i < sc.n; i++) {
        free(sc.v[i].term);
        free(sc.v[i].path);
    }
    free(sc.v);
    xap_close(db);
}

static void
check_tables(struct check *c, const char *dir)
{
    uint64_t errors = 0;
    char *report = NULL;
    xap_status st = xap_check_db(dir, &errors, &report);

    if (st != XAP_OK) {
        problem(c, "%s: cannot be opened: %s: %s", dir, xap_status_str(st),
                report ? report : "");
    } else if (errors > 0) {
        /* Xapian's report, a line per finding, indented under it. */
        char *save = NULL;

        problem(c, "%s: Xapian found %llu errors in its tables:", dir,
                (unsigned long long)errors);
        for (char *l = strtok_r(report, "\n", &save); l != NULL;
             l = strtok_r(NULL, "\n", &save))
            if (strstr(l, "rror") != NULL)
                fprintf(c->out, "    %s\n", l);
    }
    free(report);
}

/* The shard folders of the index in dir: 0, or -1 (a problem said). */
static int
read_layout(struct check *c, const char *dir, char **shards, unsigned *n)
{
    char *p = xasprintf("%s/iamglass", dir);
    char line[512];
    FILE *f;
    int rc = 0;

    *n = 0;
    if (access(p, F_OK) == 0) {
        free(p);
        shards[(*n)++] = xstrdup(dir);
        return 0;
    }
    free(p);
    p = xasprintf("%s/XAPIANDB", dir);
    f = fopen(p, "re");
    if (f == NULL) {
        fprintf(c->out, "%s: no index here (%s: %s)\n", dir, p,
                strerror(errno));
        free(p);
        return -1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0] == '\0' || line[0] == '#')
            continue;
        if (strncmp(line, "auto shard-", 11) != 0 || strchr(line + 5, '/') ||
            *n == MAX_SHARDS) {
            problem(c, "%s: unexpected line '%.80s'", p, line);
            rc = -1;
            break;
        }
        shards[(*n)++] = xasprintf("%s/%s", dir, line + 5);
    }
    fclose(f);
    if (rc == 0 && *n == 0) {
        problem(c, "%s: names no shard", p);
        rc = -1;
    }
    free(p);
    return rc;
}

long
index_check(const char *dir, FILE *out)
{
    struct check c = { .out = out };
    char *shards[MAX_SHARDS];
    unsigned n = 0;

    if (read_layout(&c, dir, shards, &n) < 0 && c.problems == 0)
        return -1;
    for (unsigned i = 0; i < n; i++) {
        long before = c.problems;

        check_tables(&c, shards[i]);
        if (c.problems == before)
            check_records(&c, shards[i], i, n);
    }
    fprintf(out, "%s: %u shard%s, %llu documents, %llu file records "
            "(%llu failed files", dir, n, n == 1 ? "" : "s",
            (unsigned long long)c.documents, (unsigned long long)c.records,
            (unsigned long long)c.failed);
    if (c.old_layout > 0)
        fprintf(out, ", %llu written in an older layout, rewritten at the "
                "next scan", (unsigned long long)c.old_layout);
    if (c.problems == 0)
        fprintf(out, "): ok\n");
    else
        fprintf(out, "): %ld problem%s\n", c.problems,
                c.problems == 1 ? "" : "s");
    for (unsigned i = 0; i < n; i++)
        free(shards[i]);
    return c.problems;
}
