/*
 * extract.h - run the right plugin on one file and collect its documents.
 *
 * extract_file opens the file, reads its head, lets the registry pick a
 * plugin, gives the plugin a host sink that sanitises and caps what it
 * pushes, and returns the documents as owned struct doc values.
 * Thread-safe with respect to other extract_file calls.
 */
#ifndef SEARCHD_EXTRACT_H
#define SEARCHD_EXTRACT_H

#include <stdio.h>
#include <stddef.h>

#include "doc.h"
#include "plugins.h"

/* Caps on what one file may produce; over them extraction fails -E2BIG. */
#define EXTRACT_MAX_FILE_BYTES  (64u << 20) /* files larger are refused */
#define EXTRACT_MAX_DOCS        100000      /* documents per file */
#define EXTRACT_MAX_DOC_BYTES   (16u << 20) /* text per document */
#define EXTRACT_MAX_FIELD_VALUES 10000      /* values per list field */
/* Everything one file produces, as packed for the daemon (doc.h): text,
 * keys and names, and 4 bytes per value; bounds a worker's reply. */
#define EXTRACT_MAX_OUTPUT_BYTES (128u << 20)

struct extract_result {
    struct doc **docs;   /* owned, each owned (extract_result_clear) */
    size_t n;
    size_t cap;
    const struct plugin_entry *plugin; /* borrowed from the registry */
    char reason[256];    /* why it failed, when extract_file returns < 0 */
};

/*
 * Extract path.  res must be zeroed or cleared (extract_result_clear); it
 * is reset first.  On success returns 0 with res->docs holding one or more
 * documents whose key, path, plugin and plugin_version are set (key is the
 * path, or "path#member" for container members).  On failure returns a
 * negative errno value (-ENOENT, -EACCES, -EISDIR, -EFBIG: file too large,
 * -ENOMSG: no plugin wants the file, -E2BIG: over a cap, -EINVAL: the
 * plugin failed or produced no document, ...) with res->reason saying
 * why in one line; res->docs is then empty.  A plugin's own error is
 * passed on, except codes that say something about the file itself
 * (-ENOENT, -EISDIR, -EFBIG, -ENOMSG), which become -EINVAL.  Does not log
 * failures (the caller has the context); plugin messages and sink misuse
 * are logged as "extract: <plugin>: <path>: ...".
 */
int extract_file(const struct plugins *reg, const char *path,
                 struct extract_result *res);

/*
 * extract_file in two steps, for a caller that opens the file itself (a
 * worker opens it without following symbolic links, and tells the daemon
 * which plugin took it before running that plugin).  fd is open on path
 * and stays the caller's.  extract_pick resets res, checks the file
 * (regular, not too large), reads its head and sets res->plugin: 0, or a
 * negative errno value with res->reason as for extract_file.  extract_run
 * then runs res->plugin on the file and returns as extract_file does.
 */
int extract_pick(const struct plugins *reg, const char *path, int fd,
                 struct extract_result *res);
int extract_run(const char *path, int fd, struct extract_result *res);
void extract_result_clear(struct extract_result *res);

/*
 * Print one JSON object per document on out (`searchd --extract`):
 * {"path", "member"?, "plugin", "plugin_version", "title", "authors":[],
 *  "date", "outlet", "place", "lang", "url", "summary":[], "captions":[],
 *  "keywords":[], "body"} with body paragraphs separated by blank lines.
 * Returns 0 or -EIO.
 */
int extract_print_json(const struct extract_result *res, FILE *out);

#endif /* SEARCHD_EXTRACT_H */
