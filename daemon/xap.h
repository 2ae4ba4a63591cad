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
    XAP_EINTERNAL   /* anything else Xapian or the C++ runtime raised */
} xap_status;

/* Flags for xap_open. */
#define XAP_READONLY 0u
#define XAP_WRITE    1u   /* writable; creates the index if missing */

/* A short description of a status ("ok", "locked", "bad query", ...);
 * static storage. */
const char *xap_status_str(xap_status st);

/*
 * Open the index in dir.  On XAP_OK *db_out is a new handle owned by the
 * caller (xap_close).  On failure *db_out is still set to a handle that
 * carries only the error text (read it with xap_last_error, then
 * xap_close it), or to NULL when even that could not be allocated.
 * Returns XAP_EINVAL, XAP_ENOTFOUND (read-only open of a missing index),
 * XAP_ELOCKED, XAP_ECORRUPT, XAP_ENOMEM, XAP_EINTERNAL.
 */
xap_status xap_open(const char *dir, unsigned flags, xap_db **db_out);

/* Close the handle; a writable handle commits first.  NULL is fine. */
void xap_close(xap_db *db);

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

/* Writer: delete every document extracted from path (all members of a
 * container).  *deleted_out (may be NULL) gets how many were removed. */
xap_status xap_delete_path(xap_db *db, const char *path,
                           uint64_t *deleted_out);

/* Writer: make all changes durable and visible to readers. */
xap_status xap_commit(xap_db *db);

/* A search request; every pointer borrowed for the call. */
struct xap_query {
    const char *text;      /* query string, QueryParser syntax */
    unsigned offset;       /* first hit to return (0-based) */
    unsigned limit;        /* most hits to return */
    size_t snippet_len;    /* bytes of body text to aim for; 0 = 200 */
};

/*
 * Run a query.  On XAP_OK *hits_out is a result page owned by the caller
 * (xap_hits_free).  Returns XAP_EQUERY for a malformed query (the text
 * says why), XAP_EMODIFIED (reopen and retry once), XAP_EINVAL, and the
 * other error statuses.
 */
xap_status xap_search(xap_db *db, const struct xap_query *q,
                      xap_hits **hits_out);

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
void xap_hits_free(xap_hits *h); /* NULL is fine */

#ifdef __cplusplus
}
#endif

#endif /* SEARCHD_XAP_H */
