/*
 * fuzz-proto.c - the request path of a connection (daemon/conn.c): bytes
 * from a client through the line framer, each line through the request
 * parser, and the reply to it encoded (daemon/proto.c).
 *
 * Input: byte 0 is the size of the pieces the bytes arrive in (0: all at
 * once), as a socket may split them anywhere; byte 1 the longest line the
 * framer accepts (< 0x80: that many bytes, to reach the over-long path
 * cheaply; else the real SD_PROTO_MAX_LINE); the rest is the stream.  At
 * its end an unfinished line is completed with "\n", as conn.c does at
 * end of file.
 *
 * Properties beyond "no crash, no leak": the lines out of the framer are
 * the stream's lines (a final "\r" dropped) up to the first one over the
 * limit, whatever the pieces; a parsed request respects every cap of
 * <searchd/protocol.h>; an error has a known code and closes the
 * connection exactly for "too_big"; every reply is one line of JSON.
 */
#include "config.h"

#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "proto.h"

/* The stream's next line as the framer should give it: [*pos, nl), or
 * the rest when there is no "\n".  Returns false at the end. */
static bool
model_line(const uint8_t *s, size_t len, size_t *pos, size_t *start,
           size_t *raw)
{
    const uint8_t *nl;

    if (*pos >= len)
        return false;
    *start = *pos;
    nl = memchr(s + *pos, '\n', len - *pos);
    *raw = nl ? (size_t)(nl - (s + *pos)) : len - *pos;
    *pos += *raw + 1;
    return true;
}

/* The framer's rule: a final "\r" does not count towards max. */
static bool
model_over(const uint8_t *line, size_t raw, size_t max)
{
    return raw > max + 1 || (raw == max + 1 && line[raw - 1] != '\r');
}

static void
check_reply(char *reply, size_t len, bool ok)
{
    json_t *j;
    json_error_t jerr;

    FUZZ_ASSERT(reply != NULL && len > 0 && reply[len - 1] == '\n');
    FUZZ_ASSERT(strlen(reply) == len);
    FUZZ_ASSERT(memchr(reply, '\n', len - 1) == NULL);
    j = json_loadb(reply, len, 0, &jerr);
    FUZZ_ASSERT(j != NULL && json_is_object(j));
    FUZZ_ASSERT(json_is_boolean(json_object_get(j, "ok")));
    FUZZ_ASSERT(json_is_true(json_object_get(j, "ok")) == ok);
    json_decref(j);
    free(reply);
}

static void
check_request(const char *line, size_t len)
{
    struct proto_request req;
    struct proto_error err;
    size_t rlen;
    char *reply;

    if (proto_parse_request(line, len, &req, &err) == 0) {
        FUZZ_ASSERT((unsigned)req.op < PROTO_OP__COUNT);
        FUZZ_ASSERT(proto_op_name(req.op) != NULL);
        if (req.op == PROTO_OP_SEARCH) {
            FUZZ_ASSERT(req.q != NULL);
            FUZZ_ASSERT(strlen(req.q) <= SD_PROTO_MAX_QUERY);
            FUZZ_ASSERT(req.limit >= 1 && req.limit <= SD_PROTO_MAX_LIMIT);
            FUZZ_ASSERT(req.offset <= SD_PROTO_MAX_OFFSET);
            FUZZ_ASSERT(req.outlet == NULL ||
                        strlen(req.outlet) <= SD_PROTO_MAX_OUTLET);
            FUZZ_ASSERT(req.like == NULL || req.like[0] == '/');
        }
        if (req.op == PROTO_OP_ADD) {
            FUZZ_ASSERT(req.path != NULL && req.path_len > 0);
            FUZZ_ASSERT(req.path_len <= SD_PROTO_MAX_PATH);
            FUZZ_ASSERT(req.path[0] == '/');
            FUZZ_ASSERT(memchr(req.path, '\0', req.path_len) == NULL);
        }
        reply = proto_reply_ok(req.id, NULL, &rlen);
        check_reply(reply, rlen, true);
        proto_request_clear(&req);
        return;
    }
    FUZZ_ASSERT(err.code != NULL);
    FUZZ_ASSERT(strcmp(err.code, SD_ERR_BAD_REQUEST) == 0 ||
                strcmp(err.code, SD_ERR_BAD_VERSION) == 0 ||
                strcmp(err.code, SD_ERR_UNKNOWN_OP) == 0 ||
                strcmp(err.code, SD_ERR_BAD_QUERY) == 0 ||
                strcmp(err.code, SD_ERR_TOO_BIG) == 0);
    FUZZ_ASSERT(err.must_close == (strcmp(err.code, SD_ERR_TOO_BIG) == 0));
    FUZZ_ASSERT(memchr(err.message, '\0', sizeof err.message) != NULL);
    FUZZ_ASSERT(err.message[0] != '\0');
    reply = proto_reply_error(err.id, err.code, err.message, &rlen);
    check_reply(reply, rlen, false);
    reply = proto_reply_error_at(err.id, err.code, err.message, 3, &rlen);
    check_reply(reply, rlen, false);
    proto_error_clear(&err);
}

/* Take every line the framer holds, checking each against the model;
 * true once it said TOO_BIG. */
static bool
drain(struct proto_framer *fr, const uint8_t *s, size_t len, size_t *mpos)
{
    const char *line;
    size_t n, start, raw;

    for (;;) {
        enum proto_frame r = proto_framer_next(fr, &line, &n);

        if (r == PROTO_FRAME_NEED_MORE)
            return false;
        if (r == PROTO_FRAME_TOO_BIG) {
            /* The model's next line must be the over-long one. */
            FUZZ_ASSERT(model_line(s, len, mpos, &start, &raw));
            FUZZ_ASSERT(model_over(s + start, raw, fr->max));
            return true;
        }
        FUZZ_ASSERT(model_line(s, len, mpos, &start, &raw));
        FUZZ_ASSERT(!model_over(s + start, raw, fr->max));
        if (raw > 0 && s[start + raw - 1] == '\r')
            raw--;
        FUZZ_ASSERT(n == raw && memcmp(line, s + start, n) == 0);
        FUZZ_ASSERT(line[n] == '\0');
        check_request(line, n);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct proto_framer fr;
    size_t piece, max, mpos = 0, pos = 0;
    bool too_big = false;
    const uint8_t *s;

    if (size < 2)
        return 0;
    piece = data[0];
    max = data[1] < 0x80 ? (data[1] ? data[1] : 1) : SD_PROTO_MAX_LINE;
    s = data + 2;
    size -= 2;

    proto_framer_init(&fr, max);
    while (pos < size && !too_big) {
        size_t n = piece == 0 || piece > size - pos ? size - pos : piece;

        if (proto_framer_push(&fr, s + pos, n) == PROTO_FRAME_TOO_BIG)
            FUZZ_ASSERT(fr.too_big);
        pos += n;
        too_big = drain(&fr, s, size, &mpos);
    }
    if (!too_big && proto_framer_has_partial(&fr)) {
        proto_framer_push(&fr, "\n", 1);
        too_big = drain(&fr, s, size, &mpos);
    }
    /* Every line was taken, or the connection would close on TOO_BIG. */
    if (!too_big)
        FUZZ_ASSERT(mpos >= size && !proto_framer_has_partial(&fr));
    proto_framer_reset(&fr);
    return 0;
}
