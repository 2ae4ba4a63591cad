/*
 * searchd/protocol.h - wire constants shared by searchd, searchc and tests.
 *
 * The socket speaks one JSON object per line (UTF-8, "\n"-terminated) each
 * way; doc/protocol.md is the full description.  This header holds only
 * the numbers and words both sides must agree on.
 */
#ifndef SEARCHD_PROTOCOL_H
#define SEARCHD_PROTOCOL_H

/* Protocol version carried as "v" in every request and reply. */
#define SD_PROTO_VERSION 1

/* Caps, all checked before anything is allocated for a request. */
#define SD_PROTO_MAX_LINE   65536  /* longest request line, bytes, without \n */
#define SD_PROTO_MAX_DEPTH  4      /* deepest JSON nesting in a request */
#define SD_PROTO_MAX_QUERY  4096   /* longest "q", bytes */
#define SD_PROTO_MAX_PATH   4096   /* longest "path", bytes (PATH_MAX) */
#define SD_PROTO_MAX_LIMIT  1000   /* largest "limit" */
#define SD_PROTO_MAX_OFFSET 100000 /* largest "offset" */
#define SD_PROTO_MAX_OUTLET 256    /* longest "outlet" filter, bytes */
#define SD_PROTO_DEFAULT_LIMIT 10
#define SD_PROTO_DEFAULT_FAILURES 100 /* "failures" entries by default */
#define SD_PROTO_MAX_ID_LEN 256    /* longest string id, bytes */

/* The closed list of error codes, stable words (doc/protocol.md). */
#define SD_ERR_BAD_REQUEST "bad_request" /* not JSON, wrong types, missing fields */
#define SD_ERR_BAD_VERSION "bad_version" /* "v" missing or not one we speak */
#define SD_ERR_UNKNOWN_OP  "unknown_op"  /* "op" names no operation */
#define SD_ERR_BAD_QUERY   "bad_query"   /* query syntax error */
#define SD_ERR_TOO_BIG     "too_big"     /* over a cap; the connection is
                                          * closed after this reply */
#define SD_ERR_BUSY        "busy"        /* server over a limit; try again */
#define SD_ERR_NOT_FOUND   "not_found"   /* a named file or folder is missing */
#define SD_ERR_DENIED      "denied"      /* searchd may not read that path */
#define SD_ERR_FORBIDDEN   "forbidden"   /* the client may not do that: an
                                          * op that changes state from a
                                          * user not allowed to, or an add
                                          * outside the add roots */
#define SD_ERR_INDEX       "index_error" /* the index could not be read/written */
#define SD_ERR_INTERNAL    "internal"    /* a bug or resource failure in searchd */
#define SD_ERR_BAD_CONFIG  "bad_config"  /* reload: the configuration has an
                                          * error; the settings in use stay */

#endif /* SEARCHD_PROTOCOL_H */
