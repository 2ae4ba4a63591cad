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

#endif /* SEARCHD_DOC_H */
