/*
 * doc.h - one extracted document, as the host keeps it.
 *
 * A struct doc is what a plugin's sink calls build (extract.c), what the
 * index stores (xap.cc) and what `searchd --extract` prints.  Every string
 * is owned by the doc, NUL-terminated, valid UTF-8 (the sink sanitises),
 * and freed by doc_free().  A NULL scalar field means "not known".
 */
#ifndef SEARCHD_DOC_H
#define SEARCHD_DOC_H

#include <stddef.h>
#include <stdint.h>

/* A growable list of owned strings. */
struct strv {
    char **v;       /* owned, each element owned */
    size_t n;
    size_t cap;
};

struct doc {
    char *key;            /* unique id in the index: path, or path#member */
    char *path;           /* source file path (bytes as given to the host) */
    char *member;         /* name inside a container, or NULL */
    char *plugin;         /* name of the plugin that made it */
    char *plugin_version;
    char *title;
    char *date;           /* ISO 8601 or NULL */
    char *outlet;
    char *place;          /* dateline place */
    char *lang;
    char *url;
    struct strv authors;
    struct strv summary;  /* bullets */
    struct strv captions;
    struct strv keywords;
    struct strv body;     /* paragraphs */
};

/* Returns a zeroed doc, owned by the caller (doc_free).  Aborts on OOM. */
struct doc *doc_new(void);
void doc_free(struct doc *d);   /* NULL is fine */

/* Replace *slot with a copy of s (len bytes; s need not be terminated). */
void doc_set(char **slot, const char *s, size_t len);

/* Append a copy of s (len bytes) to the list. */
void strv_push(struct strv *sv, const char *s, size_t len);
void strv_clear(struct strv *sv);

/* The body paragraphs joined with "\n\n"; owned by the caller (free). */
char *doc_body_text(const struct doc *d);

/*
 * A byte buffer for the packed form below (extraction workers send their
 * documents to the daemon this way).  Owned; free(buf->p) when done.
 */
struct dbuf {
    char *p;
    size_t len, cap;
};

void dbuf_add(struct dbuf *b, const void *data, size_t len);
void dbuf_add_u32(struct dbuf *b, uint32_t v);
void dbuf_add_u64(struct dbuf *b, uint64_t v);
/* A string as u32 length + bytes; NULL packs as length 0xffffffff. */
void dbuf_add_str(struct dbuf *b, const char *s);

/* A cursor over received bytes; the getters fail (-EBADMSG) past the end
 * or on a malformed value, and stay failed. */
struct dcur {
    const char *p;
    size_t len;
    int err;
};

uint32_t dcur_u32(struct dcur *c);
uint64_t dcur_u64(struct dcur *c);
/* A string packed by dbuf_add_str: an owned copy, or NULL (also on error;
 * check c->err).  Embedded NULs make it malformed. */
char *dcur_str(struct dcur *c);

/*
 * Append d to b in a self-delimiting binary form (every field, in a fixed
 * order).  doc_unpack reads one back: a new doc owned by the caller, or
 * NULL with c->err set when the bytes are malformed (never trusts a
 * length: every one is checked against what is left).
 */
void doc_pack(struct dbuf *b, const struct doc *d);
struct doc *doc_unpack(struct dcur *c);

#endif /* SEARCHD_DOC_H */
