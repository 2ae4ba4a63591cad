/*
 * verify.h - `searchd --check`: verify an index without changing it.
 *
 * Reads the layout (the XAPIANDB stub naming the shards, or a single
 * database from before sharding), then for every shard: Xapian's own
 * check of its tables (Xapian::Database::check), and the agreement of
 * the per-file records (filestate.h) with the documents: each record
 * under its own key and in the shard its path hashes to, each path
 * recorded once, each record's document count equal to the documents
 * carrying its path, no documents without a record, no document key
 * (path and member) in the index twice.  Records written in an older
 * layout are counted, not errors (the next scan rewrites them).
 */
#ifndef SEARCHD_VERIFY_H
#define SEARCHD_VERIFY_H

#include <stdio.h>

/* Most problems printed in full; the rest are only counted. */
#define CHECK_MAX_SHOWN 50

/*
 * Check the index in dir, read-only (a running daemon may keep writing;
 * what it commits meanwhile may show as problems, so check a stopped
 * index).  Problems and a summary go to out.  Returns the number of
 * problems found (0: clean), or -1 when dir holds no index.
 */
long index_check(const char *dir, FILE *out);

#endif /* SEARCHD_VERIFY_H */
