/*
 * proto.h - the wire protocol, pure: line framing, request parsing and
 * reply encoding (doc/protocol.md).  No sockets, no libevent, no logging:
 * bytes in, structs or lines out.  Shared by searchd, searchc and tests
 * (libproto.la).
 */
#ifndef SEARCHD_PROTO_H
#define SEARCHD_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include <searchd/protocol.h>

/* ---- framing ---------------------------------------------------------- */

/*
 * A line framer: feed it bytes as they arrive, take complete lines out.
 * It never holds more than max + 1 bytes of an unfinished line (max, plus
 * a "\r" that a "\n" may still follow): a longer line is reported as
 * PROTO_FRAME_TOO_BIG and the framer stays in that state (the connection
 * must be closed).  Lines completed before the over-long one can still be
 * taken with proto_framer_next; after them it returns TOO_BIG.  Memory
 * tracks the bytes held, not the number of lines passed through.
 */
struct proto_framer {
    char *buf;      /* owned */
    size_t len;     /* bytes held */
    size_t cap;
    size_t max;     /* longest line accepted, without "\n" or "\r\n" */
    size_t start;   /* offset of the first byte not yet returned */
    size_t tail;    /* offset of the unfinished line: [start, tail) are
                     * complete lines, each ending in "\n" */
    bool too_big;
};

enum proto_frame {
    PROTO_FRAME_LINE = 0,  /* a complete line was returned */
    PROTO_FRAME_NEED_MORE, /* no complete line yet */
    PROTO_FRAME_TOO_BIG    /* a line went over max */
};

void proto_framer_init(struct proto_framer *f, size_t max);
/* Frees the buffer and forgets all state but max; NULL is fine. */
void proto_framer_reset(struct proto_framer *f);
/* Append len bytes (copied).  Returns PROTO_FRAME_TOO_BIG when the
 * unfinished line is now over max, else PROTO_FRAME_NEED_MORE. */
enum proto_frame proto_framer_push(struct proto_framer *f, const void *data,
                                   size_t len);
/* Whether bytes of an unfinished line (no "\n" yet) are held. */
bool proto_framer_has_partial(const struct proto_framer *f);
/* Take the next complete line: *line_out points into the framer (borrowed:
 * valid until the next push/next/reset), without the "\n" (a trailing
 * "\r" is removed too), NUL-terminated; *len_out its length. */
enum proto_frame proto_framer_next(struct proto_framer *f,
                                   const char **line_out, size_t *len_out);

/* ---- requests --------------------------------------------------------- */

enum proto_op {
    PROTO_OP_PING = 0,
    PROTO_OP_SEARCH,
    PROTO_OP_STATUS,
    PROTO_OP_ADD,
    PROTO_OP_FAILURES,
    PROTO_OP_RELOAD,
    PROTO_OP__COUNT
};

/* How the words of a search combine. */
enum proto_match {
    PROTO_MATCH_ALL = 0,    /* every word must match (the default) */
    PROTO_MATCH_ANY,        /* any word may; more matches rank higher */
};

/* The order of search hits; ties go by relevance. */
enum proto_sort {
    PROTO_SORT_RELEVANCE = 0, /* the default */
    PROTO_SORT_NEWEST,
    PROTO_SORT_OLDEST,
};

/* What a search does with copies of one story (doc/protocol.md). */
enum proto_copies {
    PROTO_COPIES_FOLD = 0,  /* each story once, with its copies counted
                             * (the default) */
    PROTO_COPIES_LIST,      /* as fold, and every copy listed */
    PROTO_COPIES_ALL,       /* no folding: every copy is a hit */
};

struct proto_request {
    enum proto_op op;
    json_t *id;        /* owned (json_decref via proto_request_clear);
                        * the request's "id" (integer or string), or
                        * NULL when absent */
    /* search */
    char *q;           /* owned; UTF-8 */
    unsigned limit;    /* search, failures */
    unsigned offset;   /* search, failures */
    enum proto_match match; /* search: "match", "all" by default */
    enum proto_sort sort;   /* search: "sort" */
    char *since;       /* owned or NULL; search: a date YYYY[-MM[-DD]] */
    char *until;       /* owned or NULL; likewise */
    char *outlet;      /* owned or NULL; search: an outlet name, UTF-8 */
    bool want_facets;  /* search: "facets" */
    char *like;        /* owned or NULL; search: "like", an absolute
                        * path whose documents the hits should be like */
    char *like_member; /* owned or NULL; "like_member" */
    bool want_correct; /* search: "correct": search the spelling
                        * suggestion instead, when there is one */
    enum proto_copies copies; /* search: "copies", "fold" by default */
    /* add */
    char *path;        /* owned; raw bytes (from "path" or "path_b64") */
    size_t path_len;
};

/* Error details from the parser. */
struct proto_error {
    const char *code;  /* one of SD_ERR_*; static storage */
    char message[256];
    json_t *id;        /* owned: the id if it could be read, for the reply */
    bool must_close;   /* over a cap: reply, then close the connection */
};

/*
 * Parse one request line (len bytes, need not be NUL-terminated).  Both
 * *req and *err are zeroed first.  Returns 0 and fills *req (owned:
 * proto_request_clear), or -1 and fills *err (clear with
 * proto_error_clear); err->code is one of SD_ERR_BAD_REQUEST,
 * SD_ERR_BAD_VERSION, SD_ERR_UNKNOWN_OP or SD_ERR_TOO_BIG, and
 * err->must_close is set exactly for SD_ERR_TOO_BIG (any cap).  Never
 * allocates more than a small multiple of len; checks every cap in
 * protocol.h.  "add" paths must be absolute.
 */
int proto_parse_request(const char *line, size_t len,
                        struct proto_request *req, struct proto_error *err);
void proto_request_clear(struct proto_request *req);
void proto_error_clear(struct proto_error *err);

/* Name of an op on the wire ("ping", ...); static storage. */
const char *proto_op_name(enum proto_op op);

/* ---- replies ---------------------------------------------------------- */

/*
 * Encode a success reply: body (borrowed; may be NULL) is a JSON object
 * whose members are copied after "v", "id" (borrowed; NULL = absent) and
 * "ok":true (body members named "v", "id" or "ok" are skipped).  Returns a
 * malloc'd "\n"-terminated (and NUL-terminated) line owned by the caller,
 * *len_out its length (len_out may be NULL).
 */
char *proto_reply_ok(const json_t *id, const json_t *body, size_t *len_out);
/* Encode an error reply {"v","id","ok":false,"error":{"code","message"}}.
 * code and message are borrowed; message may be NULL (the code is used)
 * and may hold any bytes (invalid UTF-8 shows as U+FFFD).  Owned line. */
char *proto_reply_error(const json_t *id, const char *code,
                        const char *message, size_t *len_out);

/* Like proto_reply_error, with "position" (a character offset into the
 * query) in the error object when position >= 0. */
char *proto_reply_error_at(const json_t *id, const char *code,
                           const char *message, long position,
                           size_t *len_out);

/* ---- requests, client side -------------------------------------------- */

/* Build a request line for op with id and the given extra members
 * (borrowed, may be NULL; members named "v", "id" or "op" are skipped).
 * Returns an owned "\n"-terminated line. */
char *proto_request_encode(enum proto_op op, long long id,
                           const json_t *args, size_t *len_out);

/* ---- byte strings ----------------------------------------------------- */

/*
 * Put a byte string (a file path) into obj under key, losslessly: valid
 * UTF-8 goes in as is; otherwise key holds a readable copy (each invalid
 * byte as U+FFFD) and key "_b64" holds the exact bytes in base64.
 */
void proto_set_bytes(json_t *obj, const char *key, const char *s, size_t len);

/* Read back what proto_set_bytes wrote: returns an owned, NUL-terminated
 * copy of the exact bytes (len in *len_out), or NULL if absent or bad. */
char *proto_get_bytes(const json_t *obj, const char *key, size_t *len_out);

#endif /* SEARCHD_PROTO_H */
