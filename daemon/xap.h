/*
 * xap.h - the C API of the Xapian shim (implemented in xap.cc, the only
 * C++ in searchd).
 *
 * C code never sees C++ types or exceptions: it gets opaque handles, an
 * xap_status, and the error text kept on the handle.  The shim never logs
 * and keeps no global state; a handle may be used by one thread at a time.
 * The index layout (terms, prefixes, value slots, stored data) is written
 * down once, at the top of xap.cc.
 */
#ifndef SEARCHD_XAP_H
#define SEARCHD_XAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doc.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct xap_db xap_db;     /* one open index */
typedef struct xap_hits xap_hits; /* one result page; owned by the caller */

typedef enum {
    XAP_OK = 0,
    XAP_ENOMEM,     /* allocation failed */
    XAP_EINVAL,     /* bad argument (NULL, empty path, read-only handle) */
    XAP_ENOTFOUND,  /* no such document, or no index at that path */
    XAP_ELOCKED,    /* another writer holds the index */
    XAP_EMODIFIED,  /* the reader fell behind a writer: reopen and retry */
    XAP_EQUERY,     /* the query string did not parse */
    XAP_ECORRUPT,   /* the index on disk is damaged */
    XAP_ENOSPC,     /* a write failed: no space left (ENOSPC), quota
                     * (EDQUOT) or file size limit (EFBIG) */
    XAP_EIO,        /* a write or read failed in the system (the text
                     * says why, e.g. "Input/output error") */
    XAP_EREADONLY,  /* a writable open of a folder we may not write */
    XAP_EINTERNAL   /* anything else Xapian or the C++ runtime raised */
} xap_status;

/* Flags for xap_open. */
#define XAP_READONLY 0u
#define XAP_WRITE    1u   /* writable; creates the index if missing */

/* A short description of a status ("ok", "locked", "bad query", ...);
 * static storage. */
const char *xap_status_str(xap_status st);

/* The version of the index layout this build writes (the terms, values
 * and data of a document).  A document written under another one is
 * written again (the indexer keeps it in each file's record). */
unsigned xap_layout(void);

/*
 * Open the index in dir.  On XAP_OK *db_out is a new handle owned by the
 * caller (xap_close).  On failure *db_out is still set to a handle that
 * carries only the error text (read it with xap_last_error, then
 * xap_close it), or to NULL when even that could not be allocated.
 * Returns XAP_EINVAL, XAP_ENOTFOUND (read-only open of a missing index),
 * XAP_ELOCKED, XAP_ECORRUPT, XAP_ENOMEM, XAP_EINTERNAL.
 */
xap_status xap_open(const char *dir, unsigned flags, xap_db **db_out);

/*
 * Open several indexes (shards) read-only as one: searches and counts
 * cover them all.  n >= 1; dirs borrowed for the call.  Ownership and
 * failures as for xap_open; metadata calls read the first shard only.
 */
xap_status xap_open_shards(const char *const *dirs, size_t n,
                           xap_db **db_out);

/* Close the handle; a writable handle commits first.  NULL is fine. */
void xap_close(xap_db *db);

/*
 * Writer: drop every change since the last xap_commit (documents,
 * deletions, metadata), so that the handle is again as the index is on
 * disk.  After a failed write or commit (XAP_ENOSPC, XAP_EIO) this is
 * the way back to a known state: a failed commit has already dropped
 * them, a failed write may have left some in.  Closes and reopens the
 * database when Xapian cannot cancel; XAP_OK, or the reopen's error
 * (the handle is then unusable for writing until a later xap_discard
 * succeeds).
 */
xap_status xap_discard(xap_db *db);

/*
 * Verify the Xapian database in dir (one shard, not a stub) with
 * Xapian::Database::check: its tables' structure and their agreement.
 * *errors_out gets the number of problems found; *report_out (may be
 * NULL) a malloc'd text of what it found, owned by the caller.  Returns
 * XAP_OK when the check ran (even if it found errors), or the status of
 * the failure to open or read dir (*report_out then holds its text).
 */
xap_status xap_check_db(const char *dir, uint64_t *errors_out,
                        char **report_out);

/* The term every document extracted from path has (xap_delete_path's),
 * as a malloc'd string owned by the caller (*len_out bytes; may hold
 * NUL bytes), or NULL when out of memory. */
char *xap_path_term(const char *path, size_t *len_out);

/* Called for each term; term borrowed for the call.  Return 0 to go on,
 * anything else to stop. */
typedef int (*xap_term_fn)(const char *term, size_t len, uint64_t freq,
                           void *arg);

/* Call fn for each term starting with prefix (plen bytes) in db, in byte
 * order, with the number of documents that have it. */
xap_status xap_terms_each(xap_db *db, const char *prefix, size_t plen,
                          xap_term_fn fn, void *arg);

/* The error text of the last failed call on db, "" if none.  Borrowed:
 * valid until the next call on db. */
const char *xap_last_error(const xap_db *db);

/* Reader: see the latest committed state.  XAP_OK or an error status. */
xap_status xap_reopen(xap_db *db);

/* Number of documents in the index. */
xap_status xap_doc_count(xap_db *db, uint64_t *count_out);

/*
 * Writer: add or replace the document identified by (doc->path,
 * doc->member) (doc is borrowed for the call; doc->key and doc->path must
 * be set).  Identity never depends on how key joins path and member, so a
 * file named "a#b" and member "b" of file "a" stay apart.  Not visible to readers
 * until xap_commit.  XAP_EINVAL on a read-only handle.
 */
xap_status xap_replace(xap_db *db, const struct doc *doc);

/* Writer: add doc as a new document, without looking for an older one
 * with the same identity (faster than xap_replace; only for documents
 * the caller knows are not in the index). */
xap_status xap_add(xap_db *db, const struct doc *doc);

/* Writer: delete every document extracted from path (all members of a
 * container).  *deleted_out (may be NULL) gets how many were removed. */
xap_status xap_delete_path(xap_db *db, const char *path,
                           uint64_t *deleted_out);

/* Writer: make all changes durable and visible to readers. */
xap_status xap_commit(xap_db *db);

/*
 * User metadata: byte-string values under byte-string keys, stored in the
 * index and committed with the documents (searchd keeps its per-file
 * state there, so the state can never disagree with the documents).
 * Keys are 1..XAP_MAX_META_KEY bytes (XAP_EINVAL otherwise).
 */
#define XAP_MAX_META_KEY 200

/* The value under key: on XAP_OK *val_out is a malloc'd copy owned by the
 * caller (free()), NUL-terminated beyond *len_out bytes.  XAP_ENOTFOUND
 * when there is none (*val_out NULL). */
xap_status xap_meta_get(xap_db *db, const char *key, size_t klen,
                        char **val_out, size_t *len_out);

/* Writer: store val (vlen bytes) under key; vlen 0 deletes the key.
 * Visible to readers after xap_commit. */
xap_status xap_meta_set(xap_db *db, const char *key, size_t klen,
                        const char *val, size_t vlen);

/* Called for each key; key and val are borrowed for the call (not
 * NUL-terminated).  Return 0 to go on, anything else to stop. */
typedef int (*xap_meta_fn)(const char *key, size_t klen, const char *val,
                           size_t vlen, void *arg);

/* Call fn for every key starting with prefix (plen bytes, may be 0), in
 * byte order.  Returns XAP_OK (also when fn stopped early) or an error. */
xap_status xap_meta_each(xap_db *db, const char *prefix, size_t plen,
                         xap_meta_fn fn, void *arg);

/* The order of the hits; ties always go by relevance. */
enum xap_sort {
    XAP_SORT_RELEVANCE = 0,
    XAP_SORT_NEWEST,       /* by date, newest first; undated last */
    XAP_SORT_OLDEST        /* by date, oldest first; undated last */
};

/* What a search does with copies of one story (fingerprint.h): the same
 * words (exact copies) or nearly (near copies). */
enum xap_copies {
    XAP_COPIES_ALL = 0,    /* no folding: every copy is a hit */
    XAP_COPIES_FOLD,       /* each story once, best-ranked copy shown, with
                            * the count and outlets of the others */
    XAP_COPIES_LIST        /* as FOLD, and each copy's display fields */
};

/* Most copies listed per hit (xap_hits_copy_*); more are only counted. */
#define XAP_MAX_COPIES 100

/* A search request; every pointer borrowed for the call. */
struct xap_query {
    const char *text;      /* query string: the language of doc/query.md */
    unsigned offset;       /* first hit to return (0-based) */
    unsigned limit;        /* most hits to return */
    size_t snippet_len;    /* bytes of body text to aim for; 0 = 200 */
    bool match_any;        /* words joined by OR (ranked by how many and
                            * how well they match), not AND */
    enum xap_sort sort;
    const char *since;     /* NULL, or YYYY[-MM[-DD]]: only documents
                            * dated in or after that period */
    const char *until;     /* NULL, or a date: dated in or before it */
    const char *outlet;    /* NULL, or an outlet name: only its documents
                            * (whole name, case-insensitive) */
    bool facets;           /* count outlets and years over every match */
    const char *like_path; /* NULL, or find documents like the one(s)
                            * indexed from this path (text may be NULL
                            * or "": then only likeness ranks; else what
                            * text finds, ranked by both) */
    const char *like_member;   /* NULL, or the one member of like_path */
    bool correct;          /* when a word is unknown to the index and a
                            * spelling correction finds documents, search
                            * for the correction instead */
    enum xap_copies copies;
};

/*
 * Run a query.  On XAP_OK *hits_out is a result page owned by the caller
 * (xap_hits_free).  Returns XAP_EQUERY for a malformed query, a bad
 * since/until/outlet or a wildcard that matches too many words (the text
 * says why; xap_last_error_pos gives the character when known),
 * XAP_EMODIFIED (reopen and retry once), XAP_EINVAL, and the other error
 * statuses.
 */
xap_status xap_search(xap_db *db, const struct xap_query *q,
                      xap_hits **hits_out);

/* Where the query of the last failed xap_search went wrong: a 0-based
 * character (code point) offset into its text, or -1 when unknown. */
long xap_last_error_pos(const xap_db *db);

/* Most values a facet lists (the most frequent outlets; the years). */
#define XAP_MAX_FACET_VALUES 100

enum xap_facet {
    XAP_FACET_OUTLET = 0,  /* by count, most first; then by name */
    XAP_FACET_YEAR,        /* by year, oldest first */
    XAP_FACET__COUNT
};

/* Facets of the whole result set (not just the page), when the query
 * asked for them (0 values otherwise).  Documents without the field are
 * not counted.  Value i of facet f: the string is borrowed (valid until
 * xap_hits_free), its document count in *count_out; NULL past the end. */
size_t xap_hits_facet_count(const xap_hits *h, enum xap_facet f);
const char *xap_hits_facet_value(const xap_hits *h, enum xap_facet f,
                                 size_t i, uint64_t *count_out);

/*
 * "Did you mean": text, owned by h, when a word of the query is unknown
 * to the index and the query with the index's nearest spelling finds
 * documents; NULL otherwise.  xap_hits_corrected: true when the hits are
 * for that suggestion (the query asked to correct).
 */
const char *xap_hits_suggestion(const xap_hits *h);
bool xap_hits_corrected(const xap_hits *h);

/* Number of hits on this page. */
size_t xap_hits_count(const xap_hits *h);
/* Estimated number of matching documents, with bounds; exact when
 * lower == upper. */
uint64_t xap_hits_total(const xap_hits *h, uint64_t *lower_out,
                        uint64_t *upper_out);
/* For hit i (< xap_hits_count): its weight, its stored data (a JSON object
 * with the document's display fields, see xap.cc) and an HTML-escaped
 * snippet of the body with query matches in <b>...</b>.  Strings are
 * borrowed: valid until xap_hits_free. */
double xap_hits_score(const xap_hits *h, size_t i);
const char *xap_hits_data(const xap_hits *h, size_t i);
const char *xap_hits_snippet(const xap_hits *h, size_t i);

/*
 * Copies folded into hit i (XAP_COPIES_FOLD and _LIST; 0 otherwise):
 * other matching documents with the same words, anywhere in the result,
 * and near copies among the best-ranked matches (doc/design.md).
 */
uint64_t xap_hits_copies(const xap_hits *h, size_t i);
/* Whether near copies were folded anywhere on this page's result (the
 * total is then an estimate). */
bool xap_hits_folded(const xap_hits *h);

/* Copy j of hit i (j < min(copies, XAP_MAX_COPIES)): fills *out and
 * returns true, false past the end.  Strings borrowed until
 * xap_hits_free. */
struct xap_copy {
    const char *outlet;    /* "" when the copy has none */
    const char *data;      /* JSON display fields (XAP_COPIES_LIST), "{}"
                            * otherwise */
    bool is_exact;         /* same words as the hit, not just nearly */
};
bool xap_hits_copy(const xap_hits *h, size_t i, size_t j,
                   struct xap_copy *out);

void xap_hits_free(xap_hits *h); /* NULL is fine */

#ifdef __cplusplus
}
#endif

#endif /* SEARCHD_XAP_H */
