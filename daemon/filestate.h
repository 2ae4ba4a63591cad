/*
 * filestate.h - what searchd knows about one source file: the record
 * kept per file in the index's metadata (xap_meta_*), committed in the
 * same commit as the file's documents, so that after any crash the
 * records and the documents agree and a restart redoes only what changed.
 *
 * A record says when the file was looked at (mtime, size), what it held
 * (a content hash), and what came of it: the plugin and version that
 * extracted its documents and how many, or why it failed.
 *
 * Pure functions, no I/O except filestate_hash_file; thread-safe.
 */
#ifndef SEARCHD_FILESTATE_H
#define SEARCHD_FILESTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Metadata keys of file records start with one of these: "F" + the path
 * when it fits in a key (so one folder's records list by prefix), else
 * "H" + 16 hex digits of a hash of the path. */
#define FILESTATE_KEY_PATH 'F'
#define FILESTATE_KEY_HASH 'H'
/* Room for any key, with a terminating NUL. */
#define FILESTATE_KEY_MAX 201

enum filestate_status {
    FILESTATE_OK = 0,       /* indexed: ndocs documents by plugin */
    FILESTATE_FAILED = 1,   /* not indexed: reason says why */
};

struct filestate {
    char *path;             /* owned; bytes, NUL-terminated */
    size_t path_len;
    int64_t mtime_ns;       /* st_mtim when it was looked at */
    uint64_t size;
    uint64_t hash;          /* XXH3-64 of the content */
    uint64_t ndocs;
    enum filestate_status status;
    char *plugin;           /* owned; "" when no plugin took it */
    char *plugin_version;   /* owned; for "" plugin: the registry's
                             * signature, so a new plugin set retries */
    char *reason;           /* owned; "" unless FAILED */
    uint64_t plugin_set;    /* filestate_plugin_set of the registry that
                             * chose the plugin: when plugins come or go,
                             * the file is probed again */
    unsigned layout;        /* the index layout (xap_layout) its documents
                             * were written in, 0 for none: a newer
                             * searchd writes them again; records from
                             * before it was kept say 1 */
};

/* A hash of the names of the loaded plugins (not their versions), and of
 * all names and versions; reg borrowed. */
struct plugins;
uint64_t filestate_plugin_set(const struct plugins *reg);
uint64_t filestate_plugin_versions(const struct plugins *reg);

/* The metadata key for path into buf (FILESTATE_KEY_MAX bytes); returns
 * its length. */
size_t filestate_key(const char *path, size_t len, char *buf);

/* The record as bytes, owned by the caller (free()); *len_out its
 * length.  Tabs and newlines in plugin, version and reason become
 * spaces. */
char *filestate_encode(const struct filestate *fs, size_t *len_out);

/* Parse what filestate_encode made.  Returns 0 with *out filled (owned:
 * filestate_clear), or -EINVAL for anything else (*out then empty). */
int filestate_decode(const char *val, size_t len, struct filestate *out);

void filestate_clear(struct filestate *fs);   /* frees members; NULL ok */

/* Fill fs (cleared first) with copies of the arguments. */
void filestate_set(struct filestate *fs, const char *path, size_t path_len,
                   int64_t mtime_ns, uint64_t size, uint64_t hash,
                   uint64_t ndocs, enum filestate_status status,
                   const char *plugin, const char *plugin_version,
                   const char *reason);

/* XXH3-64 of the content of the open file fd, read from its start.
 * Returns 0, or -errno.  At most max_bytes are read (-EFBIG beyond). */
int filestate_hash_fd(int fd, uint64_t max_bytes, uint64_t *hash_out);

/* XXH3-64 of len bytes. */
uint64_t filestate_hash_bytes(const void *p, size_t len);

#endif /* SEARCHD_FILESTATE_H */
