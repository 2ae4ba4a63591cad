/*
 * proto.c - the wire protocol (doc/protocol.md): line framing, request
 * parsing with every cap in <searchd/protocol.h>, reply and request
 * encoding, and lossless byte strings.
 *
 * Pure: no I/O, no logging, no global state.  Parsing is ordered so that
 * cheap byte checks (length, nesting) come before jansson allocates
 * anything, and the id is read before anything else can fail so that
 * error replies can echo it.
 */
#include "config.h"

#include <assert.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "qsyntax.h"
#include "util.h"

/* ---- framing ---------------------------------------------------------- */

/*
 * The buffer holds [start, tail): complete lines not yet taken, each
 * ending in "\n"; then [tail, len): the unfinished line, at most max + 1
 * bytes (max, plus a "\r" that may turn out to precede the "\n").
 */

void
proto_framer_init(struct proto_framer *f, size_t max)
{
    assert(f);
    assert(max > 0 && max < SIZE_MAX / 4);
    memset(f, 0, sizeof(*f));
    f->max = max;
}

void
proto_framer_reset(struct proto_framer *f)
{
    size_t max;

    if (!f)
        return;
    max = f->max;
    free(f->buf);
    memset(f, 0, sizeof(*f));
    f->max = max;
}

/* Move what is still held to the front of the buffer, so memory tracks
 * what is held rather than how many lines went through. */
static void
framer_compact(struct proto_framer *f)
{
    if (f->start == 0)
        return;
    if (f->start < f->len)
        memmove(f->buf, f->buf + f->start, f->len - f->start);
    f->len -= f->start;
    f->tail -= f->start;
    f->start = 0;
    /* Give back a buffer that one large push blew up. */
    if (f->len == 0 && f->cap > 4 * (f->max + 2)) {
        free(f->buf);
        f->buf = NULL;
        f->cap = 0;
    }
}

static void
framer_append(struct proto_framer *f, const char *p, size_t n)
{
    if (f->len + n + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 256;

        while (cap < f->len + n + 1)
            cap *= 2;
        f->buf = xrealloc(f->buf, cap);
        f->cap = cap;
    }
    memcpy(f->buf + f->len, p, n);
    f->len += n;
}

/*
 * True when a line of n bytes (without its "\n"; last is its last byte) is
 * over max.  A final "\r" does not count, so a max-byte line may end in
 * "\r\n"; the same rule lets an unfinished line hold max + 1 bytes only
 * while its last is a "\r", since a "\n" may still follow.
 */
static bool
framer_over(const struct proto_framer *f, size_t n, char last)
{
    return n > f->max + 1 || (n == f->max + 1 && last != '\r');
}

enum proto_frame
proto_framer_push(struct proto_framer *f, const void *data, size_t len)
{
    const char *p = data;

    assert(f && f->max > 0);
    assert(data || len == 0);
    if (f->too_big)
        return PROTO_FRAME_TOO_BIG;
    framer_compact(f);
    while (len > 0) {
        const char *nl = memchr(p, '\n', len);
        size_t seg = nl ? (size_t)(nl - p) + 1 : len;
        size_t held = f->len - f->tail;
        /* The line's bytes so far, without the "\n". */
        size_t n = held + seg - (nl ? 1 : 0);
        char last;

        if (n == 0)
            last = '\0';
        else if (n > held)
            last = p[n - held - 1];
        else
            last = f->buf[f->len - 1];
        if (framer_over(f, n, last)) {
            /* Drop the partial line; lines completed before it stay
             * available to proto_framer_next. */
            f->len = f->tail;
            f->too_big = true;
            return PROTO_FRAME_TOO_BIG;
        }
        framer_append(f, p, seg);
        if (nl)
            f->tail = f->len;
        p += seg;
        len -= seg;
    }
    return PROTO_FRAME_NEED_MORE;
}

bool
proto_framer_has_partial(const struct proto_framer *f)
{
    return !f->too_big && f->len > f->tail;
}

enum proto_frame
proto_framer_next(struct proto_framer *f, const char **line_out,
                  size_t *len_out)
{
    char *line, *nl;
    size_t n;

    assert(f && line_out && len_out);
    if (f->start < f->tail) {
        line = f->buf + f->start;
        nl = memchr(line, '\n', f->tail - f->start);
        assert(nl);
        n = (size_t)(nl - line);
        f->start += n + 1;
        /* The "\n" (or "\r\n") becomes the terminating NUL. */
        *nl = '\0';
        if (n > 0 && line[n - 1] == '\r')
            line[--n] = '\0';
        *line_out = line;
        *len_out = n;
        return PROTO_FRAME_LINE;
    }
    *line_out = NULL;
    *len_out = 0;
    return f->too_big ? PROTO_FRAME_TOO_BIG : PROTO_FRAME_NEED_MORE;
}

/* ---- requests --------------------------------------------------------- */

static const char *const op_names[PROTO_OP__COUNT] = {
    [PROTO_OP_PING] = "ping",
    [PROTO_OP_SEARCH] = "search",
    [PROTO_OP_STATUS] = "status",
    [PROTO_OP_ADD] = "add",
    [PROTO_OP_FAILURES] = "failures",
    [PROTO_OP_RELOAD] = "reload",
};

const char *
proto_op_name(enum proto_op op)
{
    if ((unsigned)op >= PROTO_OP__COUNT)
        return NULL;
    return op_names[op];
}

/* Fill err; returns -1 so callers can `return fail(...)`. */
static int
fail(struct proto_error *err, const char *code, bool must_close,
     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int
fail(struct proto_error *err, const char *code, bool must_close,
     const char *fmt, ...)
{
    va_list ap;

    err->code = code;
    err->must_close = must_close;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return -1;
}

/* Copy text that may hold request bytes into a message safely: printable
 * ASCII only, anything else as "?". */
static void
copy_printable(char *dst, size_t dstlen, const char *src)
{
    size_t i;

    assert(dstlen > 0);
    for (i = 0; src[i] && i + 1 < dstlen; i++)
        dst[i] = (src[i] >= 0x20 && src[i] < 0x7F) ? src[i] : '?';
    dst[i] = '\0';
}

/*
 * Check the nesting depth of the JSON in line by its bytes, before jansson
 * builds anything: every "[" or "{" outside a string opens a level.  The
 * scan only needs to be right for valid JSON; whatever it gets wrong on
 * malformed input jansson rejects next.  Returns the deepest level seen,
 * stopping early once it is past limit.
 */
static size_t
json_depth(const char *line, size_t len, size_t limit)
{
    size_t i, depth = 0, deepest = 0;
    bool in_string = false;

    for (i = 0; i < len; i++) {
        char c = line[i];

        if (in_string) {
            if (c == '\\')
                i++;        /* skip the escaped character */
            else if (c == '"')
                in_string = false;
            continue;
        }
        switch (c) {
        case '"':
            in_string = true;
            break;
        case '[':
        case '{':
            if (++depth > deepest) {
                deepest = depth;
                if (deepest > limit)
                    return deepest;
            }
            break;
        case ']':
        case '}':
            if (depth > 0)
                depth--;
            break;
        default:
            break;
        }
    }
    return deepest;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* Read an optional integer member into *out; bad type or range fails. */
static int
get_uint(const json_t *root, const char *key, long long min, long long max,
         unsigned dflt, unsigned *out, struct proto_error *err)
{
    const json_t *v = json_object_get(root, key);
    long long n;

    if (!v) {
        *out = dflt;
        return 0;
    }
    if (!json_is_integer(v))
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "\"%s\" must be an integer", key);
    n = json_integer_value(v);
    if (n < min || n > max)
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "\"%s\" must be between %lld and %lld", key, min, max);
    *out = (unsigned)n;
    return 0;
}

/* "match": "all" (the default) or "any". */
static int
get_match(const json_t *root, enum proto_match *out, struct proto_error *err)
{
    const json_t *m = json_object_get(root, "match");
    const char *s;

    *out = PROTO_MATCH_ALL;
    if (m == NULL)
        return 0;
    s = json_is_string(m) ? json_string_value(m) : NULL;
    if (s != NULL && strcmp(s, "all") == 0)
        return 0;
    if (s != NULL && strcmp(s, "any") == 0) {
        *out = PROTO_MATCH_ANY;
        return 0;
    }
    return fail(err, SD_ERR_BAD_REQUEST, false,
                "\"match\" must be \"all\" or \"any\"");
}

/* "sort": "relevance" (the default), "newest" or "oldest". */
static int
get_sort(const json_t *root, enum proto_sort *out, struct proto_error *err)
{
    static const char *const names[] = {"relevance", "newest", "oldest"};
    const json_t *m = json_object_get(root, "sort");
    const char *s;

    *out = PROTO_SORT_RELEVANCE;
    if (m == NULL)
        return 0;
    s = json_is_string(m) ? json_string_value(m) : NULL;
    for (size_t i = 0; s != NULL && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum proto_sort)i;
            return 0;
        }
    }
    return fail(err, SD_ERR_BAD_REQUEST, false,
                "\"sort\" must be \"relevance\", \"newest\" or \"oldest\"");
}

/* An optional date member: YYYY, YYYY-MM or YYYY-MM-DD, into *out
 * (owned) or NULL. */
static int
get_date(const json_t *root, const char *key, char **out,
         struct proto_error *err)
{
    const json_t *v = json_object_get(root, key);

    *out = NULL;
    if (v == NULL)
        return 0;
    if (!json_is_string(v) ||
        !qsyntax_is_date(json_string_value(v), json_string_length(v)))
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "\"%s\" must be a date: YYYY, YYYY-MM or YYYY-MM-DD",
                    key);
    *out = xstrndup(json_string_value(v), json_string_length(v));
    return 0;
}

/* The search filters and options besides q, limit, offset and match. */
static int
parse_search_options(const json_t *root, struct proto_request *req,
                     struct proto_error *err)
{
    const json_t *v;

    if (get_sort(root, &req->sort, err) != 0 ||
        get_date(root, "since", &req->since, err) != 0 ||
        get_date(root, "until", &req->until, err) != 0)
        return -1;
    /* A partial "until" covers its whole period ("2019" ends 2019-12-31),
     * so only a difference within the common length makes them cross. */
    if (req->since && req->until &&
        strncmp(req->since, req->until,
                strlen(req->since) < strlen(req->until)
                    ? strlen(req->since) : strlen(req->until)) > 0)
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "\"since\" (%s) is after \"until\" (%s)", req->since,
                    req->until);
    v = json_object_get(root, "outlet");
    if (v != NULL) {
        if (!json_is_string(v) || json_string_length(v) == 0)
            return fail(err, SD_ERR_BAD_REQUEST, false,
                        "\"outlet\" must be a non-empty string");
        if (json_string_length(v) > SD_PROTO_MAX_OUTLET)
            return fail(err, SD_ERR_BAD_REQUEST, false,
                        "\"outlet\" is over the limit of %d bytes",
                        SD_PROTO_MAX_OUTLET);
        req->outlet = xstrndup(json_string_value(v), json_string_length(v));
    }
    v = json_object_get(root, "facets");
    if (v != NULL && !json_is_boolean(v))
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "\"facets\" must be true or false");
    req->want_facets = json_is_true(v);
    v = json_object_get(root, "correct");
    if (v != NULL && !json_is_boolean(v))
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "\"correct\" must be true or false");
    req->want_correct = json_is_true(v);
    return 0;
}

/* "like" (a path as indexed, absolute) and "like_member" (one document
 * of a container file): find documents like that one. */
static int
get_like(const json_t *root, struct proto_request *req,
         struct proto_error *err)
{
    const json_t *v = json_object_get(root, "like");
    const json_t *m = json_object_get(root, "like_member");

    if (v == NULL) {
        if (m != NULL)
            return fail(err, SD_ERR_BAD_REQUEST, false,
                        "\"like_member\" needs \"like\"");
        return 0;
    }
    if (!json_is_string(v) || json_string_value(v)[0] != '/')
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "\"like\" must be an absolute path, as indexed");
    if (json_string_length(v) > SD_PROTO_MAX_PATH ||
        strlen(json_string_value(v)) != json_string_length(v))
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "\"like\" is over %d bytes or holds a NUL",
                    SD_PROTO_MAX_PATH);
    if (m != NULL && (!json_is_string(m) || json_string_length(m) == 0 ||
                      json_string_length(m) > 256 ||
                      strlen(json_string_value(m)) != json_string_length(m)))
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "\"like_member\" must be a member name of 1 to 256 "
                    "bytes");
    req->like = xstrdup(json_string_value(v));
    if (m != NULL)
        req->like_member = xstrdup(json_string_value(m));
    return 0;
}

/* "copies": "fold" (the default), "list" or "all". */
static int
get_copies(const json_t *root, enum proto_copies *out,
           struct proto_error *err)
{
    static const struct {
        const char *name;
        enum proto_copies v;
    } names[] = {
        { "fold", PROTO_COPIES_FOLD },
        { "list", PROTO_COPIES_LIST },
        { "all", PROTO_COPIES_ALL },
    };
    const json_t *m = json_object_get(root, "copies");
    const char *s;

    *out = PROTO_COPIES_FOLD;
    if (m == NULL)
        return 0;
    s = json_is_string(m) ? json_string_value(m) : NULL;
    for (size_t i = 0; s != NULL && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].v;
            return 0;
        }
    }
    return fail(err, SD_ERR_BAD_REQUEST, false,
                "\"copies\" must be \"fold\", \"list\" or \"all\"");
}

static int
parse_search(const json_t *root, struct proto_request *req,
             struct proto_error *err)
{
    const json_t *q = json_object_get(root, "q");
    const char *s = "";
    size_t len = 0;

    if (get_like(root, req, err) != 0)
        return -1;
    /* "q" is optional only beside "like". */
    if (!q && req->like == NULL)
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "search needs \"q\", the query, or \"like\"");
    if (q) {
        if (!json_is_string(q))
            return fail(err, SD_ERR_BAD_REQUEST, false,
                        "\"q\" must be a string");
        s = json_string_value(q);
        len = json_string_length(q);
    }
    if (len > SD_PROTO_MAX_QUERY)
        return fail(err, SD_ERR_TOO_BIG, true,
                    "\"q\" is %zu bytes, over the limit of %d", len,
                    SD_PROTO_MAX_QUERY);
    while (len > 0 && is_space(s[0])) {
        s++;
        len--;
    }
    while (len > 0 && is_space(s[len - 1]))
        len--;
    if (len == 0 && req->like == NULL)
        return fail(err, SD_ERR_BAD_REQUEST, false, "\"q\" is empty");
    if (get_uint(root, "limit", 1, SD_PROTO_MAX_LIMIT,
                 SD_PROTO_DEFAULT_LIMIT, &req->limit, err) != 0)
        return -1;
    if (get_uint(root, "offset", 0, SD_PROTO_MAX_OFFSET, 0, &req->offset,
                 err) != 0)
        return -1;
    if (get_match(root, &req->match, err) != 0)
        return -1;
    if (parse_search_options(root, req, err) != 0)
        return -1;
    if (get_copies(root, &req->copies, err) != 0)
        return -1;
    req->q = xstrndup(s, len);
    return 0;
}

/* Longest base64 text that can decode to SD_PROTO_MAX_PATH bytes. */
#define MAX_PATH_B64 ((SD_PROTO_MAX_PATH + 2) / 3 * 4)

/*
 * "path" (UTF-8) or "path_b64" (the exact bytes).  When both are there the
 * base64 form wins: proto_set_bytes sends both for a non-UTF-8 path, the
 * "path" member then being only a readable approximation.
 */
static int
parse_add(const json_t *root, struct proto_request *req,
          struct proto_error *err)
{
    const json_t *b64 = json_object_get(root, "path_b64");
    const json_t *plain = json_object_get(root, "path");
    char *path;
    size_t len;

    if (b64) {
        if (!json_is_string(b64))
            return fail(err, SD_ERR_BAD_REQUEST, false,
                        "\"path_b64\" must be a string");
        if (json_string_length(b64) > MAX_PATH_B64)
            return fail(err, SD_ERR_TOO_BIG, true,
                        "\"path_b64\" is over the path limit of %d bytes",
                        SD_PROTO_MAX_PATH);
        path = base64_decode(json_string_value(b64),
                             json_string_length(b64), &len);
        if (!path)
            return fail(err, SD_ERR_BAD_REQUEST, false,
                        "\"path_b64\" is not valid base64 (RFC 4648, "
                        "padded)");
    } else if (plain) {
        if (!json_is_string(plain))
            return fail(err, SD_ERR_BAD_REQUEST, false,
                        "\"path\" must be a string");
        len = json_string_length(plain);
        if (len > SD_PROTO_MAX_PATH)
            return fail(err, SD_ERR_TOO_BIG, true,
                        "\"path\" is %zu bytes, over the limit of %d", len,
                        SD_PROTO_MAX_PATH);
        path = xstrndup(json_string_value(plain), len);
    } else {
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "add needs \"path\" or \"path_b64\"");
    }

    /* Checks common to both forms, on the decoded bytes. */
    if (len > SD_PROTO_MAX_PATH) {
        free(path);
        return fail(err, SD_ERR_TOO_BIG, true,
                    "path is %zu bytes, over the limit of %d", len,
                    SD_PROTO_MAX_PATH);
    }
    if (len == 0 || path[0] != '/' || memchr(path, '\0', len)) {
        const char *why = len == 0 ? "path is empty"
                          : path[0] != '/' ? "path must be absolute"
                                           : "path holds a NUL byte";

        free(path);
        return fail(err, SD_ERR_BAD_REQUEST, false, "%s", why);
    }
    req->path = path;
    req->path_len = len;
    return 0;
}

/* Take a valid id from root into *id_out (a new reference), or fail. */
static int
parse_id(json_t *root, json_t **id_out, struct proto_error *err)
{
    json_t *id = json_object_get(root, "id");

    *id_out = NULL;
    if (!id)
        return 0;
    if (json_is_string(id)) {
        if (json_string_length(id) > SD_PROTO_MAX_ID_LEN)
            return fail(err, SD_ERR_BAD_REQUEST, false,
                        "\"id\" is over %d bytes", SD_PROTO_MAX_ID_LEN);
    } else if (!json_is_integer(id)) {
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "\"id\" must be an integer or a string");
    }
    *id_out = json_incref(id);
    return 0;
}

/* Describe a JSON value's type for an error message. */
static const char *
type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:  return "an object";
    case JSON_ARRAY:   return "an array";
    case JSON_STRING:  return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL:    return "a real number";
    case JSON_TRUE:
    case JSON_FALSE:   return "a boolean";
    case JSON_NULL:    return "null";
    }
    return "unknown";
}

static int
parse_version(const json_t *root, struct proto_error *err)
{
    const json_t *v = json_object_get(root, "v");

    if (!v)
        return fail(err, SD_ERR_BAD_VERSION, false,
                    "\"v\" is missing; this server speaks protocol "
                    "version %d", SD_PROTO_VERSION);
    if (json_is_integer(v)) {
        if (json_integer_value(v) == SD_PROTO_VERSION)
            return 0;
        return fail(err, SD_ERR_BAD_VERSION, false,
                    "protocol version %lld requested; this server speaks "
                    "version %d", (long long)json_integer_value(v),
                    SD_PROTO_VERSION);
    }
    return fail(err, SD_ERR_BAD_VERSION, false,
                "\"v\" is %s, not a version number; this server speaks "
                "protocol version %d", type_name(v), SD_PROTO_VERSION);
}

static int
parse_op(const json_t *root, enum proto_op *op_out, struct proto_error *err)
{
    const json_t *op = json_object_get(root, "op");
    char shown[64];
    int i;

    if (!op)
        return fail(err, SD_ERR_BAD_REQUEST, false, "\"op\" is missing");
    if (!json_is_string(op))
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "\"op\" must be a string");
    for (i = 0; i < PROTO_OP__COUNT; i++) {
        if (strcmp(json_string_value(op), op_names[i]) == 0 &&
            json_string_length(op) == strlen(op_names[i])) {
            *op_out = (enum proto_op)i;
            return 0;
        }
    }
    copy_printable(shown, sizeof(shown), json_string_value(op));
    return fail(err, SD_ERR_UNKNOWN_OP, false,
                "unknown op \"%s\" (known: ping, search, status, add, "
                "failures, reload)",
                shown);
}

int
proto_parse_request(const char *line, size_t len, struct proto_request *req,
                    struct proto_error *err)
{
    json_t *root = NULL;
    json_error_t jerr;
    size_t depth;
    int rc = -1;

    assert(line || len == 0);
    assert(req && err);
    memset(req, 0, sizeof(*req));
    memset(err, 0, sizeof(*err));

    /* Caps on the raw bytes first: nothing is allocated before these. */
    if (len > SD_PROTO_MAX_LINE)
        return fail(err, SD_ERR_TOO_BIG, true,
                    "request line is %zu bytes, over the limit of %d", len,
                    SD_PROTO_MAX_LINE);
    if (len == 0)
        return fail(err, SD_ERR_BAD_REQUEST, false, "empty request line");
    depth = json_depth(line, len, SD_PROTO_MAX_DEPTH);
    if (depth > SD_PROTO_MAX_DEPTH)
        return fail(err, SD_ERR_TOO_BIG, true,
                    "JSON nested deeper than %d levels", SD_PROTO_MAX_DEPTH);

    /* Exactly one object and nothing after it but whitespace; no
     * duplicate members; no NUL inside strings (JSON_ALLOW_NUL is off);
     * invalid UTF-8 is refused by jansson. */
    root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        char text[sizeof(jerr.text)];

        copy_printable(text, sizeof(text), jerr.text);
        return fail(err, SD_ERR_BAD_REQUEST, false,
                    "not valid JSON: %s (at byte %d)", text,
                    jerr.position);
    }
    if (!json_is_object(root)) {
        fail(err, SD_ERR_BAD_REQUEST, false,
             "a request is a JSON object, not %s", type_name(root));
        goto out;
    }

    /* The id first, so every later error can echo it. */
    if (parse_id(root, &req->id, err) != 0)
        goto out;
    if (parse_version(root, err) != 0 || parse_op(root, &req->op, err) != 0)
        goto out;
    switch (req->op) {
    case PROTO_OP_SEARCH:
        if (parse_search(root, req, err) != 0)
            goto out;
        break;
    case PROTO_OP_ADD:
        if (parse_add(root, req, err) != 0)
            goto out;
        break;
    case PROTO_OP_FAILURES:
        if (get_uint(root, "limit", 1, SD_PROTO_MAX_LIMIT,
                     SD_PROTO_DEFAULT_FAILURES, &req->limit, err) != 0 ||
            get_uint(root, "offset", 0, SD_PROTO_MAX_OFFSET, 0, &req->offset,
                     err) != 0)
            goto out;
        break;
    case PROTO_OP_PING:
    case PROTO_OP_STATUS:
    case PROTO_OP_RELOAD:
    case PROTO_OP__COUNT:
        break;
    }
    rc = 0;

out:
    if (rc != 0) {
        /* Hand the id over to the error, and leave req empty. */
        err->id = req->id;
        req->id = NULL;
        proto_request_clear(req);
    }
    json_decref(root);
    return rc;
}

void
proto_request_clear(struct proto_request *req)
{
    if (!req)
        return;
    json_decref(req->id);
    free(req->q);
    free(req->since);
    free(req->until);
    free(req->outlet);
    free(req->like);
    free(req->like_member);
    free(req->path);
    memset(req, 0, sizeof(*req));
}

void
proto_error_clear(struct proto_error *err)
{
    if (!err)
        return;
    json_decref(err->id);
    memset(err, 0, sizeof(*err));
}

/* ---- encoding --------------------------------------------------------- */

/* A growable buffer for json_dump_callback, on our allocator. */
struct dumpbuf {
    char *p;        /* owned */
    size_t len;
    size_t cap;
};

static int
dump_cb(const char *chunk, size_t n, void *arg)
{
    struct dumpbuf *b = arg;

    if (b->len + n + 2 > b->cap) {
        size_t cap = b->cap ? b->cap : 512;

        while (cap < b->len + n + 2)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, chunk, n);
    b->len += n;
    return 0;
}

/*
 * Serialise obj as one compact line with "\n" and a NUL after it.  Reals
 * get 9 significant digits, so a score of 12.3 shows as 12.3.  Returns
 * NULL only if jansson refuses obj (it cannot hold NaN or invalid UTF-8,
 * so this means a bug); the buffer is freed then.
 */
static char *
dump_line(const json_t *obj, size_t *len_out)
{
    struct dumpbuf b = { NULL, 0, 0 };

    if (json_dump_callback(obj, dump_cb, &b,
                           JSON_COMPACT | JSON_REAL_PRECISION(9)) != 0) {
        free(b.p);
        return NULL;
    }
    dump_cb("", 0, &b);     /* make room even for an empty dump */
    b.p[b.len++] = '\n';
    b.p[b.len] = '\0';
    if (len_out)
        *len_out = b.len;
    return b.p;
}

/* jansson allocates with malloc and reports failure as NULL; treat that
 * as xmalloc does.  Sizes are capped before anything is encoded. */
static void __attribute__((noreturn))
json_oom(void)
{
    fputs("out of memory (jansson)\n", stderr);
    abort();
}

/* The last resort when even an error reply cannot be encoded. */
static char *
internal_error_line(size_t *len_out)
{
    static const char line[] =
        "{\"v\":1,\"ok\":false,\"error\":{\"code\":\"internal\","
        "\"message\":\"reply could not be encoded\"}}\n";

    if (len_out)
        *len_out = sizeof(line) - 1;
    return xstrdup(line);
}

/* A new json string from bytes that may not be UTF-8 (a reference). */
static json_t *
string_lossy(const char *s, size_t len)
{
    json_t *j;
    char *fixed;

    if (utf8_valid(s, len))
        return json_stringn(s, len);
    fixed = utf8_replace_invalid(s, len, &len);
    j = json_stringn(fixed, len);
    free(fixed);
    return j;
}

/* Start a line's object with "v" and, when given, a copy of "id". */
static json_t *
head_new(const json_t *id)
{
    json_t *obj = json_object();

    if (!obj)
        return NULL;
    json_object_set_new(obj, "v", json_integer(SD_PROTO_VERSION));
    if (id)
        json_object_set_new(obj, "id", json_deep_copy(id));
    return obj;
}

/*
 * Copy the members of extra (borrowed) into obj, skipping names listed in
 * skip (the head members, which the caller's extra must not override).
 * jansson's iterators take a non-const object but do not change it.
 */
static void
copy_members(json_t *obj, const json_t *extra, const char *const *skip)
{
    const char *key;
    json_t *value;
    size_t i;

    if (!extra || !json_is_object(extra))
        return;
    json_object_foreach((json_t *)extra, key, value) {
        bool is_head = false;

        for (i = 0; skip[i]; i++)
            if (strcmp(key, skip[i]) == 0)
                is_head = true;
        if (!is_head)
            json_object_set(obj, key, value);
    }
}

char *
proto_reply_ok(const json_t *id, const json_t *body, size_t *len_out)
{
    static const char *const skip[] = { "v", "id", "ok", NULL };
    json_t *obj = head_new(id);
    char *line;

    if (!obj)
        return internal_error_line(len_out);
    json_object_set_new(obj, "ok", json_true());
    copy_members(obj, body, skip);
    line = dump_line(obj, len_out);
    json_decref(obj);
    return line ? line : internal_error_line(len_out);
}

char *
proto_reply_error(const json_t *id, const char *code, const char *message,
                  size_t *len_out)
{
    return proto_reply_error_at(id, code, message, -1, len_out);
}

char *
proto_reply_error_at(const json_t *id, const char *code,
                     const char *message, long position, size_t *len_out)
{
    json_t *obj = head_new(id);
    json_t *e = json_object();
    char *line = NULL;

    assert(code);
    if (!message)
        message = code;
    if (obj && e) {
        json_object_set_new(obj, "ok", json_false());
        json_object_set_new(e, "code", string_lossy(code, strlen(code)));
        json_object_set_new(e, "message",
                            string_lossy(message, strlen(message)));
        if (position >= 0)
            json_object_set_new(e, "position", json_integer(position));
        json_object_set(obj, "error", e);
        line = dump_line(obj, len_out);
    }
    json_decref(e);
    json_decref(obj);
    return line ? line : internal_error_line(len_out);
}

char *
proto_request_encode(enum proto_op op, long long id, const json_t *args,
                     size_t *len_out)
{
    static const char *const skip[] = { "v", "id", "op", NULL };
    json_t *obj = json_object();
    char *line;

    assert(proto_op_name(op));
    if (!obj)
        json_oom();
    json_object_set_new(obj, "v", json_integer(SD_PROTO_VERSION));
    json_object_set_new(obj, "id", json_integer(id));
    json_object_set_new(obj, "op", json_string(proto_op_name(op)));
    copy_members(obj, args, skip);
    line = dump_line(obj, len_out);
    json_decref(obj);
    if (!line)
        json_oom();
    return line;
}

/* ---- byte strings ----------------------------------------------------- */

void
proto_set_bytes(json_t *obj, const char *key, const char *s, size_t len)
{
    char *b64_key, *b64;

    assert(obj && key && (s || len == 0));
    b64_key = xasprintf("%s_b64", key);
    if (utf8_valid(s, len)) {
        json_object_set_new(obj, key, json_stringn(s, len));
        json_object_del(obj, b64_key);  /* a stale one would win */
    } else {
        b64 = base64_encode(s, len);
        json_object_set_new(obj, key, string_lossy(s, len));
        json_object_set_new(obj, b64_key, json_string(b64));
        free(b64);
    }
    free(b64_key);
}

char *
proto_get_bytes(const json_t *obj, const char *key, size_t *len_out)
{
    char *b64_key = xasprintf("%s_b64", key);
    const json_t *v = json_object_get(obj, b64_key);
    char *out = NULL;
    size_t len = 0;

    free(b64_key);
    if (v) {
        if (json_is_string(v))
            out = base64_decode(json_string_value(v), json_string_length(v),
                                &len);
    } else {
        v = json_object_get(obj, key);
        if (v && json_is_string(v)) {
            len = json_string_length(v);
            out = xmalloc(len + 1);
            memcpy(out, json_string_value(v), len);
            out[len] = '\0';
        }
    }
    if (out && len_out)
        *len_out = len;
    return out;
}
