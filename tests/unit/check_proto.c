/*
 * check_proto.c - unit tests of the wire protocol (daemon/proto.c) and
 * the helpers it stands on (daemon/util.c).
 *
 * The request table below is the heart of it: every op valid and
 * invalid, each row named for the behaviour.  Every row is parsed
 * directly, fed through the framer whole, split at every byte and cut at
 * every length, and (valid rows) byte-flipped.  Run under valgrind with
 *   CK_FORK=no libtool --mode=execute valgrind --error-exitcode=1 \
 *       --leak-check=full ./tests/unit/check_proto
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "proto.h"
#include "qsyntax.h"
#include "testutil.h"
#include "util.h"

#ifndef RUNSTATEDIR
#define RUNSTATEDIR "/run"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

/* ---- the request table ------------------------------------------------ */

struct req_case {
    const char *name;       /* the behaviour under test */
    const char *line;       /* the request, without "\n" */
    size_t len;             /* bytes of line */
    const char *code;       /* NULL: it parses; else the SD_ERR_* code */
    enum proto_op op;       /* when it parses */
    const char *q;          /* search: the query as kept (trimmed) */
    unsigned limit;
    unsigned offset;
    const char *path;       /* add: the exact path bytes, path_len long */
    size_t path_len;
    const char *id_json;    /* the id echoed (compact JSON), NULL: none */
    const char *msg_has;    /* the error message mentions this */
};

/* A literal line (it may hold NUL bytes). */
#define L(s) .line = (s), .len = sizeof(s) - 1
#define PING(...) .op = PROTO_OP_PING
#define SEARCH(q_, lim, off) \
    .op = PROTO_OP_SEARCH, .q = (q_), .limit = (lim), .offset = (off)
#define ADD(p) .op = PROTO_OP_ADD, .path = (p), .path_len = sizeof(p) - 1

/* Lines too long to write out, filled in by build_long_lines(). */
static char id_at_max[SD_PROTO_MAX_ID_LEN + 64];
static char id_at_max_json[SD_PROTO_MAX_ID_LEN + 3];
static char id_too_long[SD_PROTO_MAX_ID_LEN + 64];
static char q_at_max[SD_PROTO_MAX_QUERY + 64];
static char q_at_max_q[SD_PROTO_MAX_QUERY + 1];
static char q_too_long[SD_PROTO_MAX_QUERY + 64];
static char path_at_max[SD_PROTO_MAX_PATH + 64];
static char path_at_max_p[SD_PROTO_MAX_PATH + 1];
static char path_too_long[SD_PROTO_MAX_PATH + 64];
static char b64_path_at_max[2 * SD_PROTO_MAX_PATH + 64];
static char b64_path_too_long[2 * SD_PROTO_MAX_PATH + 64];
static char b64_text_too_long[2 * SD_PROTO_MAX_PATH + 64];
static char very_deep[20000 + 64];
static char line_at_max[SD_PROTO_MAX_LINE + 1];
static char line_too_long[SD_PROTO_MAX_LINE + 2];

static struct req_case cases[] = {
    /* ---- ping and status ---- */
    { "ping_minimal", L("{\"v\":1,\"op\":\"ping\"}"), PING() },
    { "ping_members_in_any_order", L("{\"op\":\"ping\",\"v\":1}"), PING() },
    { "ping_echoes_integer_id", L("{\"v\":1,\"id\":7,\"op\":\"ping\"}"),
      PING(), .id_json = "7" },
    { "ping_echoes_negative_id", L("{\"v\":1,\"id\":-3,\"op\":\"ping\"}"),
      PING(), .id_json = "-3" },
    { "ping_echoes_string_id",
      L("{\"v\":1,\"id\":\"req-\\u00e9\",\"op\":\"ping\"}"), PING(),
      .id_json = "\"req-\xc3\xa9\"" },
    { "ping_echoes_empty_string_id", L("{\"v\":1,\"id\":\"\",\"op\":\"ping\"}"),
      PING(), .id_json = "\"\"" },
    { "ping_accepts_whitespace",
      L(" \t{ \"v\" : 1 ,\r\"op\" : \"ping\" } \t "), PING() },
    { "ping_ignores_unknown_members",
      L("{\"v\":1,\"op\":\"ping\",\"future\":{\"x\":[1,2]},\"q\":5}"), PING() },
    { "status_minimal", L("{\"v\":1,\"op\":\"status\"}"),
      .op = PROTO_OP_STATUS },
    { "status_echoes_id", L("{\"v\":1,\"op\":\"status\",\"id\":\"s\"}"),
      .op = PROTO_OP_STATUS, .id_json = "\"s\"" },
    { "parse_accepts_id_at_max_length", .line = id_at_max, PING(),
      .id_json = id_at_max_json },

    /* ---- search ---- */
    { "search_uses_default_limit_and_offset",
      L("{\"v\":1,\"id\":1,\"op\":\"search\",\"q\":\"Afghan peace process\"}"),
      SEARCH("Afghan peace process", SD_PROTO_DEFAULT_LIMIT, 0),
      .id_json = "1" },
    { "search_takes_limit_and_offset",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"limit\":5,\"offset\":20}"),
      SEARCH("x", 5, 20) },
    { "search_accepts_limit_one",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"limit\":1}"),
      SEARCH("x", 1, 0) },
    { "search_accepts_max_limit_and_offset",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"limit\":1000,"
        "\"offset\":100000}"),
      SEARCH("x", SD_PROTO_MAX_LIMIT, SD_PROTO_MAX_OFFSET) },
    { "search_trims_query",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"  peace\\t \\n\"}"),
      SEARCH("peace", 10, 0) },
    { "search_keeps_unicode_query",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"Pakist\\u00e1n \xe2\x9c\x93\"}"),
      SEARCH("Pakist\xc3\xa1n \xe2\x9c\x93", 10, 0) },
    { "search_brackets_in_strings_are_not_nesting",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"[[[[{{{{\\\"[[[[\"}"),
      SEARCH("[[[[{{{{\"[[[[", 10, 0) },
    { "search_accepts_nesting_at_max_depth",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"x\":[[[1]]]}"),
      SEARCH("x", 10, 0) },
    { "search_accepts_query_at_max_length", .line = q_at_max,
      SEARCH(q_at_max_q, 10, 0) },

    /* ---- add ---- */
    { "add_takes_utf8_path",
      L("{\"v\":1,\"op\":\"add\",\"path\":\"/srv/news/today\"}"),
      ADD("/srv/news/today") },
    { "add_takes_path_with_spaces_and_unicode",
      L("{\"v\":1,\"op\":\"add\",\"path\":\"/srv/my news/caf\\u00e9\"}"),
      ADD("/srv/my news/caf\xc3\xa9") },
    { "add_takes_path_b64_bytes",
      L("{\"v\":1,\"op\":\"add\",\"path_b64\":\"L3RtcC9jYWbp\"}"),
      ADD("/tmp/caf\xe9") },
    { "add_prefers_path_b64_over_path",
      L("{\"v\":1,\"op\":\"add\",\"path\":\"/tmp/caf\\ufffd\","
        "\"path_b64\":\"L3RtcC9jYWbp\"}"),
      ADD("/tmp/caf\xe9") },
    { "add_accepts_path_at_max_length", .line = path_at_max,
      .op = PROTO_OP_ADD, .path = path_at_max_p,
      .path_len = SD_PROTO_MAX_PATH },
    { "add_accepts_path_b64_at_max_length", .line = b64_path_at_max,
      .op = PROTO_OP_ADD, .path = path_at_max_p,
      .path_len = SD_PROTO_MAX_PATH },
    { "parse_accepts_line_at_max_length", .line = line_at_max, PING() },

    /* ---- not a request at all ---- */
    { "parse_rejects_empty_line", L(""), .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_blank_line", L("   "), .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_plain_text", L("ping"), .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_array", L("[{\"v\":1,\"op\":\"ping\"}]"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_bare_string", L("\"ping\""), .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_bare_number", L("1"), .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_null", L("null"), .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_trailing_garbage", L("{\"v\":1,\"op\":\"ping\"}x"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_two_objects_on_one_line",
      L("{\"v\":1,\"op\":\"ping\"}{\"v\":1,\"op\":\"ping\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_truncated_object", L("{\"v\":1,\"op\":\"ping\""),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_duplicate_members",
      L("{\"v\":1,\"op\":\"ping\",\"op\":\"status\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_single_quotes", L("{'v':1,'op':'ping'}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_invalid_utf8_bytes",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"caf\xe9\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_overlong_utf8",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"\xc0\xaf\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_utf8_surrogate",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"\xed\xa0\x80\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_escaped_nul",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"a\\u0000b\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_raw_nul_byte",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"a\0b\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_nul_byte_after_object",
      L("{\"v\":1,\"op\":\"ping\"}\0"), .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_raw_control_in_string",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"a\tb\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_nesting_past_max_depth",
      L("{\"v\":1,\"op\":\"ping\",\"x\":[[[[1]]]]}"), .code = SD_ERR_TOO_BIG },
    { "parse_rejects_very_deep_nesting", .line = very_deep,
      .code = SD_ERR_TOO_BIG },
    { "parse_rejects_line_over_max_and_closes", .line = line_too_long,
      .code = SD_ERR_TOO_BIG },

    /* ---- version ---- */
    { "parse_rejects_missing_version", L("{\"op\":\"ping\",\"id\":3}"),
      .code = SD_ERR_BAD_VERSION, .id_json = "3", .msg_has = "1" },
    { "parse_rejects_version_2_naming_both",
      L("{\"v\":2,\"id\":\"a\",\"op\":\"ping\"}"), .code = SD_ERR_BAD_VERSION,
      .id_json = "\"a\"", .msg_has = "version 2 requested; this server "
      "speaks version 1" },
    { "parse_rejects_version_0", L("{\"v\":0,\"op\":\"ping\"}"),
      .code = SD_ERR_BAD_VERSION },
    { "parse_rejects_version_as_string", L("{\"v\":\"1\",\"op\":\"ping\"}"),
      .code = SD_ERR_BAD_VERSION, .msg_has = "a string" },
    { "parse_rejects_version_as_real", L("{\"v\":1.0,\"op\":\"ping\"}"),
      .code = SD_ERR_BAD_VERSION },
    { "parse_rejects_version_null", L("{\"v\":null,\"op\":\"ping\"}"),
      .code = SD_ERR_BAD_VERSION },
    { "parse_checks_version_before_op", L("{\"v\":9,\"op\":\"frob\"}"),
      .code = SD_ERR_BAD_VERSION },

    /* ---- op ---- */
    { "parse_rejects_missing_op", L("{\"v\":1,\"id\":4}"),
      .code = SD_ERR_BAD_REQUEST, .id_json = "4" },
    { "parse_rejects_op_number", L("{\"v\":1,\"op\":1}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_op_null", L("{\"v\":1,\"op\":null}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_op_array", L("{\"v\":1,\"op\":[\"ping\"]}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_unknown_op",
      L("{\"v\":1,\"id\":5,\"op\":\"frobnicate\"}"), .code = SD_ERR_UNKNOWN_OP,
      .id_json = "5", .msg_has = "frobnicate" },
    { "parse_rejects_op_in_wrong_case", L("{\"v\":1,\"op\":\"PING\"}"),
      .code = SD_ERR_UNKNOWN_OP },
    { "parse_rejects_empty_op", L("{\"v\":1,\"op\":\"\"}"),
      .code = SD_ERR_UNKNOWN_OP },

    /* ---- id: these errors cannot echo it ---- */
    { "parse_rejects_real_id", L("{\"v\":1,\"id\":1.5,\"op\":\"ping\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_boolean_id", L("{\"v\":1,\"id\":true,\"op\":\"ping\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_null_id", L("{\"v\":1,\"id\":null,\"op\":\"ping\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_object_id", L("{\"v\":1,\"id\":{},\"op\":\"ping\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_array_id", L("{\"v\":1,\"id\":[1],\"op\":\"ping\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "parse_rejects_id_too_long", .line = id_too_long,
      .code = SD_ERR_BAD_REQUEST },

    /* ---- search arguments ---- */
    { "search_rejects_missing_q", L("{\"v\":1,\"id\":6,\"op\":\"search\"}"),
      .code = SD_ERR_BAD_REQUEST, .id_json = "6" },
    { "search_rejects_empty_q", L("{\"v\":1,\"op\":\"search\",\"q\":\"\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_blank_q",
      L("{\"v\":1,\"op\":\"search\",\"q\":\" \\t\\n \"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_q_number", L("{\"v\":1,\"op\":\"search\",\"q\":5}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_q_null", L("{\"v\":1,\"op\":\"search\",\"q\":null}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_q_array", L("{\"v\":1,\"op\":\"search\",\"q\":[\"a\"]}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_q_too_long_without_closing", .line = q_too_long,
      .code = SD_ERR_TOO_BIG, .id_json = "8" },
    { "search_rejects_limit_zero",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"limit\":0}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_negative_limit",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"limit\":-1}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_limit_over_max",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"limit\":1001}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_huge_limit",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\","
        "\"limit\":99999999999999999999999}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_real_limit",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"limit\":2.5}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_integral_real_limit",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"limit\":10.0}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_string_limit",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"limit\":\"10\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_boolean_limit",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"limit\":true}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_negative_offset",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"offset\":-1}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_offset_over_max",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"offset\":100001}"),
      .code = SD_ERR_BAD_REQUEST },
    { "search_rejects_string_offset",
      L("{\"v\":1,\"op\":\"search\",\"q\":\"x\",\"offset\":\"0\"}"),
      .code = SD_ERR_BAD_REQUEST },

    /* ---- add arguments ---- */
    { "add_rejects_missing_path", L("{\"v\":1,\"id\":2,\"op\":\"add\"}"),
      .code = SD_ERR_BAD_REQUEST, .id_json = "2" },
    { "add_rejects_path_number", L("{\"v\":1,\"op\":\"add\",\"path\":1}"),
      .code = SD_ERR_BAD_REQUEST },
    { "add_rejects_empty_path", L("{\"v\":1,\"op\":\"add\",\"path\":\"\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "add_rejects_relative_path",
      L("{\"v\":1,\"op\":\"add\",\"path\":\"news/today\"}"),
      .code = SD_ERR_BAD_REQUEST, .msg_has = "absolute" },
    { "add_rejects_path_too_long", .line = path_too_long,
      .code = SD_ERR_TOO_BIG },
    { "add_rejects_path_b64_number",
      L("{\"v\":1,\"op\":\"add\",\"path_b64\":7}"),
      .code = SD_ERR_BAD_REQUEST },
    { "add_rejects_bad_base64_characters",
      L("{\"v\":1,\"op\":\"add\",\"path_b64\":\"L3Rt!!==\"}"),
      .code = SD_ERR_BAD_REQUEST, .msg_has = "base64" },
    { "add_rejects_base64_bad_length",
      L("{\"v\":1,\"op\":\"add\",\"path_b64\":\"L3RtcC\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "add_rejects_base64_with_spaces",
      L("{\"v\":1,\"op\":\"add\",\"path_b64\":\"L3Rt cC9j\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "add_rejects_empty_path_b64",
      L("{\"v\":1,\"op\":\"add\",\"path_b64\":\"\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "add_rejects_relative_path_b64",
      L("{\"v\":1,\"op\":\"add\",\"path_b64\":\"eA==\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "add_rejects_nul_in_path_b64",
      L("{\"v\":1,\"op\":\"add\",\"path_b64\":\"L2EAYg==\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "add_rejects_bad_path_b64_even_with_good_path",
      L("{\"v\":1,\"op\":\"add\",\"path\":\"/ok\",\"path_b64\":\"%%\"}"),
      .code = SD_ERR_BAD_REQUEST },
    { "add_rejects_path_b64_decoding_too_long", .line = b64_path_too_long,
      .code = SD_ERR_TOO_BIG },
    { "add_rejects_path_b64_text_too_long", .line = b64_text_too_long,
      .code = SD_ERR_TOO_BIG },
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* Fill the long lines the table points to. */
static void
build_long_lines(void)
{
    char *b64;
    size_t i, n;
    int k;

    memset(q_at_max_q, 'a', SD_PROTO_MAX_QUERY);
    snprintf(q_at_max, sizeof(q_at_max),
             "{\"v\":1,\"op\":\"search\",\"q\":\"%s\"}", q_at_max_q);
    snprintf(q_too_long, sizeof(q_too_long),
             "{\"v\":1,\"id\":8,\"op\":\"search\",\"q\":\"%sb\"}", q_at_max_q);

    n = SD_PROTO_MAX_ID_LEN;
    k = snprintf(id_at_max, sizeof(id_at_max), "{\"v\":1,\"op\":\"ping\","
                 "\"id\":\"%.*s\"}", (int)n, q_at_max_q);
    assert(k < (int)sizeof(id_at_max));
    snprintf(id_at_max_json, sizeof(id_at_max_json), "\"%.*s\"", (int)n,
             q_at_max_q);
    snprintf(id_too_long, sizeof(id_too_long), "{\"v\":1,\"op\":\"ping\","
             "\"id\":\"%.*s\"}", (int)n + 1, q_at_max_q);

    path_at_max_p[0] = '/';
    memset(path_at_max_p + 1, 'p', SD_PROTO_MAX_PATH - 1);
    snprintf(path_at_max, sizeof(path_at_max),
             "{\"v\":1,\"op\":\"add\",\"path\":\"%s\"}", path_at_max_p);
    snprintf(path_too_long, sizeof(path_too_long),
             "{\"v\":1,\"op\":\"add\",\"path\":\"%sp\"}", path_at_max_p);
    b64 = base64_encode(path_at_max_p, SD_PROTO_MAX_PATH);
    snprintf(b64_path_at_max, sizeof(b64_path_at_max),
             "{\"v\":1,\"op\":\"add\",\"path_b64\":\"%s\"}", b64);
    free(b64);
    {
        char longer[SD_PROTO_MAX_PATH + 2];

        memcpy(longer, path_at_max_p, SD_PROTO_MAX_PATH);
        longer[SD_PROTO_MAX_PATH] = 'p';
        b64 = base64_encode(longer, SD_PROTO_MAX_PATH + 1);
        snprintf(b64_path_too_long, sizeof(b64_path_too_long),
                 "{\"v\":1,\"op\":\"add\",\"path_b64\":\"%s\"}", b64);
        free(b64);
    }
    n = (SD_PROTO_MAX_PATH + 2) / 3 * 4 + 4;
    k = snprintf(b64_text_too_long, sizeof(b64_text_too_long),
                 "{\"v\":1,\"op\":\"add\",\"path_b64\":\"");
    memset(b64_text_too_long + k, 'A', n);
    strcpy(b64_text_too_long + k + n, "\"}");

    k = snprintf(very_deep, sizeof(very_deep), "{\"v\":1,\"op\":\"ping\","
                 "\"x\":");
    memset(very_deep + k, '[', 10000);
    memset(very_deep + k + 10000, ']', 10000);
    strcpy(very_deep + k + 20000, "}");

    /* Exactly SD_PROTO_MAX_LINE bytes, then one more. */
    k = snprintf(line_at_max, sizeof(line_at_max),
                 "{\"v\":1,\"op\":\"ping\",\"pad\":\"");
    n = SD_PROTO_MAX_LINE - (size_t)k - 2;
    memset(line_at_max + k, 'x', n);
    memcpy(line_at_max + k + n, "\"}", 2);
    memcpy(line_too_long, line_at_max, k);
    memset(line_too_long + k, 'x', n + 1);
    memcpy(line_too_long + k + n + 1, "\"}", 2);

    for (i = 0; i < N_CASES; i++)
        if (cases[i].len == 0 && cases[i].line[0] != '\0')
            cases[i].len = cases[i].line == line_at_max ? SD_PROTO_MAX_LINE
                           : cases[i].line == line_too_long
                               ? SD_PROTO_MAX_LINE + 1
                               : strlen(cases[i].line);
}

/* ---- helpers ---------------------------------------------------------- */

/* The id kept (req->id or err->id) is want, as compact JSON text. */
static void
check_id(const json_t *id, const char *want, const char *name)
{
    char *got;

    if (!want) {
        ck_assert_msg(id == NULL, "%s: unexpected id", name);
        return;
    }
    ck_assert_msg(id != NULL, "%s: id %s not kept", name, want);
    got = json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT);
    ck_assert_msg(strcmp(got, want) == 0, "%s: id %s, want %s", name, got,
                  want);
    free(got);
}

static bool
is_known_code(const char *code)
{
    static const char *const codes[] = {
        SD_ERR_BAD_REQUEST, SD_ERR_BAD_VERSION, SD_ERR_UNKNOWN_OP,
        SD_ERR_TOO_BIG, NULL
    };
    size_t i;

    for (i = 0; codes[i]; i++)
        if (code && strcmp(code, codes[i]) == 0)
            return true;
    return false;
}

/* Parse line and check the outcome the row c wants. */
static void
check_outcome(const struct req_case *c, const char *line, size_t len)
{
    struct proto_request req;
    struct proto_error err;
    int rc = proto_parse_request(line, len, &req, &err);

    if (!c->code) {
        ck_assert_msg(rc == 0, "%s: refused: %s: %s", c->name,
                      err.code ? err.code : "?", err.message);
        ck_assert_ptr_null(err.code);
        ck_assert_ptr_null(err.id);
        ck_assert_int_eq(req.op, c->op);
        if (c->op == PROTO_OP_SEARCH) {
            ck_assert_ptr_nonnull(req.q);
            ck_assert_msg(strcmp(req.q, c->q) == 0, "%s: q \"%s\"",
                          c->name, req.q);
            ck_assert_uint_eq(req.limit, c->limit);
            ck_assert_uint_eq(req.offset, c->offset);
        } else {
            ck_assert_ptr_null(req.q);
        }
        if (c->op == PROTO_OP_ADD) {
            ck_assert_ptr_nonnull(req.path);
            ck_assert_uint_eq(req.path_len, c->path_len);
            ck_assert_mem_eq(req.path, c->path, c->path_len);
            ck_assert_int_eq(req.path[req.path_len], '\0');
        } else {
            ck_assert_ptr_null(req.path);
        }
        check_id(req.id, c->id_json, c->name);
    } else {
        ck_assert_msg(rc == -1, "%s: accepted, want %s", c->name, c->code);
        ck_assert_ptr_nonnull(err.code);
        ck_assert_msg(strcmp(err.code, c->code) == 0, "%s: %s (%s), want %s",
                      c->name, err.code, err.message, c->code);
        /* Over any cap the connection is closed (STYLE 9); no other
         * error closes it. */
        ck_assert_msg(err.must_close == (strcmp(c->code, SD_ERR_TOO_BIG) == 0),
                      "%s: must_close %d", c->name, err.must_close);
        ck_assert_msg(err.message[0] != '\0', "%s: no message", c->name);
        if (c->msg_has)
            ck_assert_msg(strstr(err.message, c->msg_has), "%s: message "
                          "\"%s\" lacks \"%s\"", c->name, err.message,
                          c->msg_has);
        check_id(err.id, c->id_json, c->name);
        ck_assert_ptr_null(req.id);
        ck_assert_ptr_null(req.q);
        ck_assert_ptr_null(req.path);
    }
    proto_request_clear(&req);
    proto_error_clear(&err);
}

/* Parse a line that may be anything: it must come back cleanly. */
static void
check_parses_cleanly(const char *line, size_t len)
{
    struct proto_request req;
    struct proto_error err;
    int rc = proto_parse_request(line, len, &req, &err);

    if (rc == 0) {
        ck_assert_int_lt(req.op, PROTO_OP__COUNT);
        ck_assert(req.op != PROTO_OP_SEARCH || (req.q && req.q[0]));
        ck_assert(req.op != PROTO_OP_ADD ||
                  (req.path && req.path_len > 0 &&
                   req.path_len <= SD_PROTO_MAX_PATH));
    } else {
        ck_assert_int_eq(rc, -1);
        ck_assert_msg(is_known_code(err.code), "unknown code %s",
                      err.code ? err.code : "(null)");
        ck_assert(err.message[0] != '\0');
        ck_assert(memchr(err.message, '\0', sizeof(err.message)));
    }
    proto_request_clear(&req);
    proto_error_clear(&err);
}

/* Lines the framer can carry: no "\n" inside and within its limit. */
static bool
is_frameable(const struct req_case *c)
{
    return c->len <= SD_PROTO_MAX_LINE && !memchr(c->line, '\n', c->len);
}

/* Split points to try for a line of n bytes: every one when short, a
 * spread (ends, middle, a stride) when long, to keep it quadratic-free. */
static bool
want_split(size_t k, size_t n)
{
    return n <= 600 || k < 40 || k + 40 > n || k % 499 == 0 || k == n / 2;
}

/* Take the next line and check it is want (wlen bytes). */
static void
expect_line(struct proto_framer *f, const char *want, size_t wlen,
            const char *name, size_t split)
{
    const char *line = NULL;
    size_t len = 0;
    enum proto_frame r = proto_framer_next(f, &line, &len);

    ck_assert_msg(r == PROTO_FRAME_LINE, "%s: split %zu: got %d, want a line",
                  name, split, r);
    ck_assert_msg(len == wlen, "%s: split %zu: %zu bytes, want %zu", name,
                  split, len, wlen);
    ck_assert_msg(memcmp(line, want, wlen) == 0, "%s: split %zu: bytes differ",
                  name, split);
    ck_assert_int_eq(line[len], '\0');
}

static void
expect_need_more(struct proto_framer *f, const char *name, size_t split)
{
    const char *line;
    size_t len;
    enum proto_frame r = proto_framer_next(f, &line, &len);

    ck_assert_msg(r == PROTO_FRAME_NEED_MORE, "%s: split %zu: got %d, want "
                  "NEED_MORE", name, split, r);
}

/* ---- parser: the table ------------------------------------------------ */

START_TEST(parse_table_row)
{
    check_outcome(&cases[_i], cases[_i].line, cases[_i].len);
}
END_TEST

/* Every row through the framer in one push, then parsed: same outcome. */
START_TEST(framer_passes_row_whole)
{
    const struct req_case *c = &cases[_i];
    struct proto_framer f;
    char *buf;
    const char *line;
    size_t len;

    if (!is_frameable(c))
        return;
    proto_framer_init(&f, SD_PROTO_MAX_LINE);
    buf = xmalloc(c->len + 1);
    memcpy(buf, c->line, c->len);
    buf[c->len] = '\n';
    ck_assert_int_eq(proto_framer_push(&f, buf, c->len + 1),
                     PROTO_FRAME_NEED_MORE);
    ck_assert_int_eq(proto_framer_next(&f, &line, &len), PROTO_FRAME_LINE);
    ck_assert_uint_eq(len, c->len);
    check_outcome(c, line, len);
    expect_need_more(&f, c->name, 0);
    free(buf);
    proto_framer_reset(&f);
}
END_TEST

/* Split at every byte into two pushes; before the "\n" has arrived the
 * framer must say NEED_MORE (a truncated line is never a request). */
static void
split_every_byte(const struct req_case *c, const char *eol)
{
    size_t elen = strlen(eol), n = c->len + elen, k;
    char *buf = xmalloc(n);

    memcpy(buf, c->line, c->len);
    memcpy(buf + c->len, eol, elen);
    for (k = 0; k <= n; k++) {
        struct proto_framer f;

        if (!want_split(k, n))
            continue;
        proto_framer_init(&f, SD_PROTO_MAX_LINE);
        ck_assert_int_eq(proto_framer_push(&f, buf, k), PROTO_FRAME_NEED_MORE);
        if (k < n)
            expect_need_more(&f, c->name, k);
        else
            expect_line(&f, c->line, c->len, c->name, k);
        ck_assert_int_eq(proto_framer_push(&f, buf + k, n - k),
                         PROTO_FRAME_NEED_MORE);
        if (k < n)
            expect_line(&f, c->line, c->len, c->name, k);
        expect_need_more(&f, c->name, k);
        proto_framer_reset(&f);
    }
    free(buf);
}

START_TEST(framer_splits_row_at_every_byte)
{
    if (is_frameable(&cases[_i]))
        split_every_byte(&cases[_i], "\n");
}
END_TEST

START_TEST(framer_splits_crlf_row_at_every_byte)
{
    if (is_frameable(&cases[_i]))
        split_every_byte(&cases[_i], "\r\n");
}
END_TEST

/* Each truncation on its own, as a client that sent part and stopped. */
START_TEST(framer_never_returns_truncated_row)
{
    const struct req_case *c = &cases[_i];
    size_t k;

    if (!is_frameable(c))
        return;
    for (k = 0; k <= c->len; k++) {
        struct proto_framer f;

        if (!want_split(k, c->len))
            continue;
        proto_framer_init(&f, SD_PROTO_MAX_LINE);
        ck_assert_int_eq(proto_framer_push(&f, c->line, k),
                         PROTO_FRAME_NEED_MORE);
        expect_need_more(&f, c->name, k);
        /* And a truncation is still refused by the parser, never a
         * different request (except a prefix that is whole JSON). */
        if (k < c->len && k > 0)
            check_parses_cleanly(c->line, k);
        proto_framer_reset(&f);
    }
}
END_TEST

/* Flip every byte of a valid row: the parser comes back cleanly. */
START_TEST(parse_survives_byte_flips)
{
    static const int xors[] = { 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40,
                                0x80, 0xFF };
    static const char sets[] = { '\0', '"', '\\', '{', '}', '[', ']', ',',
                                 ':', '\n', '\xff' };
    const struct req_case *c = &cases[_i];
    char *buf;
    size_t i, j;

    if (c->code || c->len > 600)
        return;
    buf = xmalloc(c->len);
    for (i = 0; i < c->len; i++) {
        for (j = 0; j < sizeof(xors) / sizeof(xors[0]); j++) {
            memcpy(buf, c->line, c->len);
            buf[i] ^= (char)xors[j];
            check_parses_cleanly(buf, c->len);
        }
        for (j = 0; j < sizeof(sets); j++) {
            memcpy(buf, c->line, c->len);
            buf[i] = sets[j];
            check_parses_cleanly(buf, c->len);
        }
        /* Dropping a byte. */
        memcpy(buf, c->line, i);
        memcpy(buf + i, c->line + i + 1, c->len - i - 1);
        check_parses_cleanly(buf, c->len - 1);
    }
    free(buf);
}
END_TEST

/* Random bytes and random JSON-ish token soup (fixed seed). */
START_TEST(parse_survives_random_input)
{
    static const char *const tokens[] = {
        "{", "}", "[", "]", ",", ":", "\"v\"", "1", "2", "\"op\"",
        "\"search\"", "\"add\"", "\"ping\"", "\"q\"", "\"path\"",
        "\"path_b64\"", "\"id\"", "\"limit\"", "-1", "1e9", "null", "true",
        "\"\\u0000\"", "\"\\ud800\"", "\"x", "\\", "\xc3", "\xff", " ",
    };
    uint64_t s = 0x9E3779B97F4A7C15ull;
    char buf[512];
    int round;

    for (round = 0; round < 4000; round++) {
        size_t n = 0, want;

        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        want = s % sizeof(buf);
        while (n < want) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            if (round % 2) {
                buf[n++] = (char)(s >> 24);
            } else {
                const char *t = tokens[(s >> 20) %
                                       (sizeof(tokens) / sizeof(tokens[0]))];
                size_t tl = strlen(t);

                if (n + tl > want)
                    break;
                memcpy(buf + n, t, tl);
                n += tl;
            }
        }
        check_parses_cleanly(buf, n);
    }
}
END_TEST

/* ---- framer ----------------------------------------------------------- */

START_TEST(framer_returns_many_lines_from_one_push)
{
    static const char stream[] =
        "{\"v\":1,\"id\":1,\"op\":\"ping\"}\n"
        "{\"v\":1,\"id\":2,\"op\":\"status\"}\r\n"
        "\n"
        "{\"v\":1,\"id\":3,\"op\":\"search\",\"q\":\"x\"}\n"
        "partial";
    static const char *const want[] = {
        "{\"v\":1,\"id\":1,\"op\":\"ping\"}",
        "{\"v\":1,\"id\":2,\"op\":\"status\"}",
        "",
        "{\"v\":1,\"id\":3,\"op\":\"search\",\"q\":\"x\"}",
    };
    size_t n = sizeof(stream) - 1, k, i;

    /* Whole, then split at every byte of the stream. */
    for (k = 0; k <= n; k++) {
        struct proto_framer f;
        const char *line;
        size_t len;
        size_t got = 0;

        proto_framer_init(&f, 64);
        ck_assert_int_eq(proto_framer_push(&f, stream, k),
                         PROTO_FRAME_NEED_MORE);
        while (proto_framer_next(&f, &line, &len) == PROTO_FRAME_LINE) {
            ck_assert_uint_lt(got, 4);
            ck_assert_str_eq(line, want[got]);
            got++;
        }
        ck_assert_int_eq(proto_framer_push(&f, stream + k, n - k),
                         PROTO_FRAME_NEED_MORE);
        while (proto_framer_next(&f, &line, &len) == PROTO_FRAME_LINE) {
            ck_assert_uint_lt(got, 4);
            ck_assert_str_eq(line, want[got]);
            got++;
        }
        ck_assert_uint_eq(got, 4);
        /* "partial" is held, not returned. */
        ck_assert_uint_eq(f.len - f.start, strlen("partial"));
        proto_framer_reset(&f);
    }

    /* And one byte at a time. */
    {
        struct proto_framer f;
        const char *line;
        size_t len, got = 0;

        proto_framer_init(&f, 64);
        for (i = 0; i < n; i++) {
            ck_assert_int_eq(proto_framer_push(&f, stream + i, 1),
                             PROTO_FRAME_NEED_MORE);
            while (proto_framer_next(&f, &line, &len) == PROTO_FRAME_LINE)
                ck_assert_str_eq(line, want[got++]);
        }
        ck_assert_uint_eq(got, 4);
        proto_framer_reset(&f);
    }
}
END_TEST

struct limit_case {
    const char *name;
    const char *data;       /* pushed one byte at a time, then whole */
    bool is_too_big;
    size_t lines;           /* lines returned before TOO_BIG or the end */
};

/* With max = 8. */
static const struct limit_case limit_cases[] = {
    { "framer_accepts_line_at_max", "12345678\n", false, 1 },
    { "framer_accepts_line_at_max_with_crlf", "12345678\r\n", false, 1 },
    { "framer_rejects_line_one_over_max", "123456789\n", true, 0 },
    { "framer_rejects_max_plus_cr_then_byte", "12345678\rx\n", true, 0 },
    { "framer_rejects_unfinished_line_over_max", "123456789", true, 0 },
    { "framer_holds_max_plus_cr_unfinished", "12345678\r", false, 0 },
    { "framer_rejects_cr_inside_long_line", "1234567\r89\n", true, 0 },
    { "framer_keeps_lines_before_long_one", "a\nbb\n123456789012\nc\n",
      true, 2 },
    { "framer_accepts_many_short_lines", "a\nb\r\nc\n\n", false, 4 },
};

START_TEST(framer_enforces_line_limit)
{
    const struct limit_case *c = &limit_cases[_i];
    size_t n = strlen(c->data), i;
    int pass;

    for (pass = 0; pass < 2; pass++) {
        struct proto_framer f;
        enum proto_frame r = PROTO_FRAME_NEED_MORE;
        const char *line;
        size_t len, lines = 0;

        proto_framer_init(&f, 8);
        if (pass == 0) {
            for (i = 0; i < n && r != PROTO_FRAME_TOO_BIG; i++) {
                r = proto_framer_push(&f, c->data + i, 1);
                /* Never more than max + 1 bytes of the open line. */
                ck_assert_uint_le(f.len - f.tail, 9);
            }
        } else {
            r = proto_framer_push(&f, c->data, n);
            ck_assert_uint_le(f.len - f.tail, 9);
        }
        ck_assert_msg((r == PROTO_FRAME_TOO_BIG) == c->is_too_big,
                      "%s: pass %d: push gave %d", c->name, pass, r);
        while ((r = proto_framer_next(&f, &line, &len)) == PROTO_FRAME_LINE) {
            ck_assert_uint_le(len, 8);
            lines++;
        }
        ck_assert_msg(lines == c->lines, "%s: pass %d: %zu lines", c->name,
                      pass, lines);
        ck_assert_int_eq(r, c->is_too_big ? PROTO_FRAME_TOO_BIG
                                          : PROTO_FRAME_NEED_MORE);
        if (c->is_too_big) {
            /* The state sticks. */
            ck_assert_int_eq(proto_framer_push(&f, "\n", 1),
                             PROTO_FRAME_TOO_BIG);
            ck_assert_int_eq(proto_framer_next(&f, &line, &len),
                             PROTO_FRAME_TOO_BIG);
        }
        proto_framer_reset(&f);
    }
}
END_TEST

START_TEST(framer_oversize_line_holds_at_most_max_plus_one)
{
    struct proto_framer f;
    char chunk[1000];
    enum proto_frame r = PROTO_FRAME_NEED_MORE;
    size_t pushed = 0;

    memset(chunk, 'x', sizeof(chunk));
    proto_framer_init(&f, SD_PROTO_MAX_LINE);
    while (r == PROTO_FRAME_NEED_MORE) {
        r = proto_framer_push(&f, chunk, sizeof(chunk));
        pushed += sizeof(chunk);
        ck_assert_uint_le(f.len, SD_PROTO_MAX_LINE + 1);
        ck_assert_uint_le(f.cap, 2 * (SD_PROTO_MAX_LINE + 2));
        ck_assert_uint_le(pushed, SD_PROTO_MAX_LINE + 2 * sizeof(chunk));
    }
    ck_assert_int_eq(r, PROTO_FRAME_TOO_BIG);
    ck_assert_uint_gt(pushed, SD_PROTO_MAX_LINE);
    ck_assert_uint_le(f.len, SD_PROTO_MAX_LINE + 1);
    ck_assert_int_eq(proto_framer_push(&f, chunk, sizeof(chunk)),
                     PROTO_FRAME_TOO_BIG);
    ck_assert_uint_le(f.len, SD_PROTO_MAX_LINE + 1);
    proto_framer_reset(&f);
    ck_assert_ptr_null(f.buf);
    ck_assert_uint_eq(f.max, SD_PROTO_MAX_LINE);
    ck_assert(!f.too_big);
}
END_TEST

START_TEST(framer_memory_does_not_grow_with_lines)
{
    static const char req[] = "{\"v\":1,\"op\":\"ping\"}\n";
    struct proto_framer f;
    const char *line;
    size_t len, i, cap_after_warmup = 0, got = 0, off = 0;

    proto_framer_init(&f, SD_PROTO_MAX_LINE);
    for (i = 0; i < 100000; i++) {
        /* Pushes straddle line boundaries: up to 7 bytes at a time. */
        size_t n = off + 7 <= sizeof(req) - 1 ? 7 : sizeof(req) - 1 - off;

        ck_assert_int_eq(proto_framer_push(&f, req + off, n),
                         PROTO_FRAME_NEED_MORE);
        off = (off + n) % (sizeof(req) - 1);
        while (proto_framer_next(&f, &line, &len) == PROTO_FRAME_LINE) {
            ck_assert_str_eq(line, "{\"v\":1,\"op\":\"ping\"}");
            got++;
        }
        if (i == 1000)
            cap_after_warmup = f.cap;
    }
    ck_assert_uint_gt(got, 1000);
    ck_assert_uint_eq(f.cap, cap_after_warmup);
    ck_assert_uint_le(f.cap, 256);
    ck_assert_uint_lt(f.len, sizeof(req));
    proto_framer_reset(&f);
}
END_TEST

START_TEST(framer_gives_back_memory_after_big_push)
{
    struct proto_framer f;
    const char *line;
    size_t len, i, n = 0;
    char *big = xmalloc(200 * 10);

    /* 200 lines of 9 bytes + "\n" with max 16: far over 4 * (max + 2). */
    for (i = 0; i < 200; i++) {
        memcpy(big + n, "123456789\n", 10);
        n += 10;
    }
    proto_framer_init(&f, 16);
    ck_assert_int_eq(proto_framer_push(&f, big, n), PROTO_FRAME_NEED_MORE);
    ck_assert_uint_ge(f.cap, n);
    while (proto_framer_next(&f, &line, &len) == PROTO_FRAME_LINE)
        ck_assert_str_eq(line, "123456789");
    ck_assert_int_eq(proto_framer_push(&f, "x", 1), PROTO_FRAME_NEED_MORE);
    ck_assert_uint_le(f.cap, 256);
    proto_framer_reset(&f);
    free(big);
}
END_TEST

START_TEST(framer_reset_allows_reuse)
{
    struct proto_framer f;
    const char *line;
    size_t len;

    proto_framer_init(&f, 4);
    ck_assert_int_eq(proto_framer_push(&f, "toolong\n", 8),
                     PROTO_FRAME_TOO_BIG);
    proto_framer_reset(&f);
    ck_assert_int_eq(proto_framer_push(&f, "ok\n", 3), PROTO_FRAME_NEED_MORE);
    ck_assert_int_eq(proto_framer_next(&f, &line, &len), PROTO_FRAME_LINE);
    ck_assert_str_eq(line, "ok");
    proto_framer_reset(&f);
    proto_framer_reset(&f);     /* twice is fine */
    proto_framer_reset(NULL);
}
END_TEST

START_TEST(framer_reports_unfinished_line)
{
    struct proto_framer f;
    const char *line;
    size_t len;

    proto_framer_init(&f, 8);
    ck_assert(!proto_framer_has_partial(&f));
    proto_framer_push(&f, "a\nbc", 4);
    ck_assert(proto_framer_has_partial(&f));
    ck_assert_int_eq(proto_framer_next(&f, &line, &len), PROTO_FRAME_LINE);
    ck_assert_str_eq(line, "a");
    ck_assert(proto_framer_has_partial(&f));
    proto_framer_push(&f, "\n", 1);    /* what conn.c does at end-of-file */
    ck_assert(!proto_framer_has_partial(&f));
    ck_assert_int_eq(proto_framer_next(&f, &line, &len), PROTO_FRAME_LINE);
    ck_assert_str_eq(line, "bc");
    /* An over-long line is gone, not unfinished. */
    proto_framer_push(&f, "0123456789", 10);
    ck_assert(!proto_framer_has_partial(&f));
    proto_framer_reset(&f);
}
END_TEST

/* ---- replies and requests out ----------------------------------------- */

/* Load an encoded line: one "\n" at the very end and nowhere else, one
 * JSON object before it with "v":1. */
static json_t *
load_line(const char *line, size_t len)
{
    json_error_t jerr;
    json_t *obj;

    ck_assert_ptr_nonnull(line);
    ck_assert_uint_gt(len, 1);
    ck_assert_uint_eq(strlen(line), len);
    ck_assert_int_eq(line[len - 1], '\n');
    ck_assert_ptr_eq(memchr(line, '\n', len), line + len - 1);
    obj = json_loadb(line, len - 1, JSON_REJECT_DUPLICATES, &jerr);
    ck_assert_msg(obj != NULL, "not JSON: %s: %s", jerr.text, line);
    ck_assert(json_is_object(obj));
    ck_assert_int_eq(json_integer_value(json_object_get(obj, "v")), 1);
    return obj;
}

START_TEST(reply_ok_starts_with_v_id_ok)
{
    json_t *id = json_integer(7);
    json_t *body = json_pack("{s:b, s:s}", "pong", 1, "version", "0.1.0");
    size_t len;
    char *line = proto_reply_ok(id, body, &len);
    json_t *obj = load_line(line, len);
    void *it = json_object_iter(obj);

    ck_assert_str_eq(json_object_iter_key(it), "v");
    it = json_object_iter_next(obj, it);
    ck_assert_str_eq(json_object_iter_key(it), "id");
    ck_assert_int_eq(json_integer_value(json_object_iter_value(it)), 7);
    it = json_object_iter_next(obj, it);
    ck_assert_str_eq(json_object_iter_key(it), "ok");
    ck_assert(json_is_true(json_object_iter_value(it)));
    ck_assert(json_is_true(json_object_get(obj, "pong")));
    ck_assert_str_eq(json_string_value(json_object_get(obj, "version")),
                     "0.1.0");
    /* The body is unchanged. */
    ck_assert_uint_eq(json_object_size(body), 2);
    json_decref(obj);
    json_decref(body);
    json_decref(id);
    free(line);
}
END_TEST

START_TEST(reply_ok_without_id_or_body)
{
    size_t len;
    char *line = proto_reply_ok(NULL, NULL, &len);
    json_t *obj = load_line(line, len);

    ck_assert_str_eq(line, "{\"v\":1,\"ok\":true}\n");
    ck_assert_ptr_null(json_object_get(obj, "id"));
    json_decref(obj);
    free(line);
    line = proto_reply_ok(NULL, NULL, NULL);    /* len_out may be NULL */
    free(line);
}
END_TEST

START_TEST(reply_ok_body_cannot_override_head)
{
    json_t *id = json_string("abc");
    json_t *body = json_pack("{s:i, s:b, s:i, s:i}", "v", 9, "ok", 0, "id",
                             3, "total", 2);
    size_t len;
    char *line = proto_reply_ok(id, body, &len);
    json_t *obj = load_line(line, len);

    ck_assert(json_is_true(json_object_get(obj, "ok")));
    ck_assert_str_eq(json_string_value(json_object_get(obj, "id")), "abc");
    ck_assert_int_eq(json_integer_value(json_object_get(obj, "total")), 2);
    json_decref(obj);
    json_decref(body);
    json_decref(id);
    free(line);
}
END_TEST

START_TEST(reply_ok_writes_short_reals_and_raw_utf8)
{
    json_t *body = json_pack("{s:f, s:s}", "score", 12.3, "title",
                             "Caf\xc3\xa9 \xe2\x9c\x93");
    size_t len;
    char *line = proto_reply_ok(NULL, body, &len);

    ck_assert_ptr_nonnull(strstr(line, "\"score\":12.3,"));
    ck_assert_ptr_nonnull(strstr(line, "Caf\xc3\xa9 \xe2\x9c\x93"));
    json_decref(body);
    free(line);
}
END_TEST

START_TEST(reply_error_has_code_and_message)
{
    json_t *id = json_integer(42);
    size_t len;
    char *line = proto_reply_error(id, SD_ERR_BAD_QUERY,
                                   "syntax error near AND", &len);
    json_t *obj = load_line(line, len);
    json_t *e = json_object_get(obj, "error");

    ck_assert(json_is_false(json_object_get(obj, "ok")));
    ck_assert_int_eq(json_integer_value(json_object_get(obj, "id")), 42);
    ck_assert_str_eq(json_string_value(json_object_get(e, "code")),
                     "bad_query");
    ck_assert_str_eq(json_string_value(json_object_get(e, "message")),
                     "syntax error near AND");
    ck_assert_str_eq(line, "{\"v\":1,\"id\":42,\"ok\":false,\"error\":"
                     "{\"code\":\"bad_query\",\"message\":\"syntax error "
                     "near AND\"}}\n");
    json_decref(obj);
    json_decref(id);
    free(line);
}
END_TEST

START_TEST(reply_error_survives_any_message_bytes)
{
    size_t len;
    char *line = proto_reply_error(NULL, SD_ERR_NOT_FOUND,
                                   "/srv/caf\xe9\n\x01: gone", &len);
    json_t *obj = load_line(line, len);
    const char *msg = json_string_value(
        json_object_get(json_object_get(obj, "error"), "message"));

    ck_assert_str_eq(msg, "/srv/caf\xef\xbf\xbd\n\x01: gone");
    ck_assert_ptr_null(json_object_get(obj, "id"));
    json_decref(obj);
    free(line);

    /* A NULL message falls back to the code. */
    line = proto_reply_error(NULL, SD_ERR_BUSY, NULL, &len);
    obj = load_line(line, len);
    ck_assert_str_eq(json_string_value(json_object_get(
        json_object_get(obj, "error"), "message")), "busy");
    json_decref(obj);
    free(line);
}
END_TEST

/* Every parser error turned into a reply: parseable, code kept, id
 * echoed when the parser could read it. */
START_TEST(reply_error_from_every_parse_error)
{
    const struct req_case *c = &cases[_i];
    struct proto_request req;
    struct proto_error err;
    size_t len;
    char *line;
    json_t *obj;

    if (!c->code)
        return;
    ck_assert_int_eq(proto_parse_request(c->line, c->len, &req, &err), -1);
    line = proto_reply_error(err.id, err.code, err.message, &len);
    obj = load_line(line, len);
    ck_assert_str_eq(json_string_value(json_object_get(
        json_object_get(obj, "error"), "code")), c->code);
    ck_assert(json_is_false(json_object_get(obj, "ok")));
    ck_assert((json_object_get(obj, "id") != NULL) == (c->id_json != NULL));
    json_decref(obj);
    free(line);
    proto_error_clear(&err);
    proto_request_clear(&req);
}
END_TEST

START_TEST(request_encode_round_trips_every_op)
{
    enum proto_op op;

    for (op = 0; op < PROTO_OP__COUNT; op++) {
        json_t *args = json_object();
        struct proto_request req;
        struct proto_error err;
        size_t len;
        char *line;
        json_t *obj;

        if (op == PROTO_OP_SEARCH)
            json_object_set_new(args, "q", json_string("peace talks"));
        if (op == PROTO_OP_SEARCH)
            json_object_set_new(args, "limit", json_integer(5));
        if (op == PROTO_OP_ADD)
            proto_set_bytes(args, "path", "/srv/caf\xe9", 9);
        if (op == PROTO_OP_FAILURES) {
            json_object_set_new(args, "limit", json_integer(7));
            json_object_set_new(args, "offset", json_integer(3));
        }
        /* Head members in args are ignored. */
        json_object_set_new(args, "v", json_integer(2));
        json_object_set_new(args, "op", json_string("nope"));
        line = proto_request_encode(op, 99, args, &len);
        obj = load_line(line, len);
        ck_assert_str_eq(json_string_value(json_object_get(obj, "op")),
                         proto_op_name(op));
        ck_assert_int_eq(proto_parse_request(line, len - 1, &req, &err), 0);
        ck_assert_int_eq(req.op, op);
        ck_assert_int_eq(json_integer_value(req.id), 99);
        if (op == PROTO_OP_SEARCH) {
            ck_assert_str_eq(req.q, "peace talks");
            ck_assert_uint_eq(req.limit, 5);
        }
        if (op == PROTO_OP_FAILURES) {
            ck_assert_uint_eq(req.limit, 7);
            ck_assert_uint_eq(req.offset, 3);
        }
        if (op == PROTO_OP_ADD) {
            ck_assert_uint_eq(req.path_len, 9);
            ck_assert_mem_eq(req.path, "/srv/caf\xe9", 9);
        }
        proto_request_clear(&req);
        json_decref(obj);
        json_decref(args);
        free(line);
    }
    {
        size_t len;
        char *line = proto_request_encode(PROTO_OP_PING, 1, NULL, &len);

        ck_assert_str_eq(line, "{\"v\":1,\"id\":1,\"op\":\"ping\"}\n");
        free(line);
    }
}
END_TEST

START_TEST(search_match_is_all_or_any)
{
    static const struct {
        const char *line;
        int rc;
        enum proto_match match;
    } mcases[] = {
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a b\"}", 0, PROTO_MATCH_ALL },
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a b\",\"match\":\"all\"}", 0,
          PROTO_MATCH_ALL },
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a b\",\"match\":\"any\"}", 0,
          PROTO_MATCH_ANY },
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a\",\"match\":\"ANY\"}", -1, 0 },
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a\",\"match\":\"\"}", -1, 0 },
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a\",\"match\":1}", -1, 0 },
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a\",\"match\":null}", -1, 0 },
    };

    for (size_t i = 0; i < sizeof mcases / sizeof mcases[0]; i++) {
        struct proto_request req;
        struct proto_error err;
        int rc = proto_parse_request(mcases[i].line, strlen(mcases[i].line),
                                     &req, &err);

        ck_assert_int_eq(rc, mcases[i].rc);
        if (rc == 0) {
            ck_assert_int_eq(req.match, mcases[i].match);
            proto_request_clear(&req);
        } else {
            ck_assert_str_eq(err.code, SD_ERR_BAD_REQUEST);
            ck_assert_ptr_nonnull(strstr(err.message, "\"match\""));
            proto_error_clear(&err);
        }
    }
}
END_TEST

START_TEST(search_like_and_correct_members)
{
    static const char *const bad[] = {
        "{\"v\":1,\"op\":\"search\"}",
        "{\"v\":1,\"op\":\"search\",\"like\":\"rel/x.txt\"}",
        "{\"v\":1,\"op\":\"search\",\"like\":5}",
        "{\"v\":1,\"op\":\"search\",\"q\":\"a\",\"like_member\":\"1\"}",
        "{\"v\":1,\"op\":\"search\",\"like\":\"/x\",\"like_member\":\"\"}",
        "{\"v\":1,\"op\":\"search\",\"q\":\"a\",\"correct\":1}",
        "{\"v\":1,\"op\":\"search\",\"q\":\"\"}",
    };
    const char *like = "{\"v\":1,\"op\":\"search\",\"like\":\"/s/r.sgm\","
                       "\"like_member\":\"12\",\"correct\":true}";
    const char *both = "{\"v\":1,\"op\":\"search\",\"like\":\"/s/a.txt\","
                       "\"q\":\"wheat\"}";
    struct proto_request req;
    struct proto_error err;

    ck_assert_int_eq(proto_parse_request(like, strlen(like), &req, &err), 0);
    ck_assert_str_eq(req.like, "/s/r.sgm");
    ck_assert_str_eq(req.like_member, "12");
    ck_assert_str_eq(req.q, "");
    ck_assert(req.want_correct);
    proto_request_clear(&req);
    ck_assert_int_eq(proto_parse_request(both, strlen(both), &req, &err), 0);
    ck_assert_str_eq(req.like, "/s/a.txt");
    ck_assert_ptr_null(req.like_member);
    ck_assert_str_eq(req.q, "wheat");
    ck_assert(!req.want_correct);
    proto_request_clear(&req);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(proto_parse_request(bad[i], strlen(bad[i]), &req,
                                          &err) == -1, "accepted %s", bad[i]);
        ck_assert_str_eq(err.code, SD_ERR_BAD_REQUEST);
        proto_error_clear(&err);
    }
}
END_TEST

START_TEST(search_copies_is_fold_list_or_all)
{
    static const struct {
        const char *line;
        int rc;
        enum proto_copies copies;
    } ccases[] = {
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a\"}", 0, PROTO_COPIES_FOLD },
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a\",\"copies\":\"fold\"}", 0,
          PROTO_COPIES_FOLD },
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a\",\"copies\":\"list\"}", 0,
          PROTO_COPIES_LIST },
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a\",\"copies\":\"all\"}", 0,
          PROTO_COPIES_ALL },
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a\",\"copies\":\"ALL\"}", -1, 0 },
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a\",\"copies\":\"\"}", -1, 0 },
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a\",\"copies\":true}", -1, 0 },
        { "{\"v\":1,\"op\":\"search\",\"q\":\"a\",\"copies\":null}", -1, 0 },
    };

    for (size_t i = 0; i < sizeof ccases / sizeof ccases[0]; i++) {
        struct proto_request req;
        struct proto_error err;
        int rc = proto_parse_request(ccases[i].line, strlen(ccases[i].line),
                                     &req, &err);

        ck_assert_int_eq(rc, ccases[i].rc);
        if (rc == 0) {
            ck_assert_int_eq(req.copies, ccases[i].copies);
            proto_request_clear(&req);
        } else {
            ck_assert_str_eq(err.code, SD_ERR_BAD_REQUEST);
            ck_assert_ptr_nonnull(strstr(err.message, "\"copies\""));
            proto_error_clear(&err);
        }
    }
}
END_TEST

START_TEST(failures_pages_with_checked_limit_and_offset)
{
    static const char *const bad[] = {
        "{\"v\":1,\"op\":\"failures\",\"limit\":0}",
        "{\"v\":1,\"op\":\"failures\",\"limit\":1001}",
        "{\"v\":1,\"op\":\"failures\",\"offset\":-1}",
        "{\"v\":1,\"op\":\"failures\",\"limit\":\"5\"}",
    };
    const char *ok = "{\"v\":1,\"op\":\"failures\"}";
    struct proto_request req;
    struct proto_error err;

    ck_assert_int_eq(proto_parse_request(ok, strlen(ok), &req, &err), 0);
    ck_assert_int_eq(req.op, PROTO_OP_FAILURES);
    ck_assert_uint_eq(req.limit, SD_PROTO_DEFAULT_FAILURES);
    ck_assert_uint_eq(req.offset, 0);
    proto_request_clear(&req);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(proto_parse_request(bad[i], strlen(bad[i]), &req,
                                             &err), -1);
        ck_assert_str_eq(err.code, SD_ERR_BAD_REQUEST);
        proto_error_clear(&err);
    }
}
END_TEST

START_TEST(op_names_are_the_wire_words)
{
    ck_assert_str_eq(proto_op_name(PROTO_OP_PING), "ping");
    ck_assert_str_eq(proto_op_name(PROTO_OP_SEARCH), "search");
    ck_assert_str_eq(proto_op_name(PROTO_OP_STATUS), "status");
    ck_assert_str_eq(proto_op_name(PROTO_OP_ADD), "add");
    ck_assert_str_eq(proto_op_name(PROTO_OP_FAILURES), "failures");
    ck_assert_ptr_null(proto_op_name(PROTO_OP__COUNT));
    ck_assert_ptr_null(proto_op_name((enum proto_op)-1));
}
END_TEST

/* ---- byte strings ----------------------------------------------------- */

START_TEST(bytes_round_trip_non_utf8_path)
{
    static const char path[] = "/srv/news/caf\xe9 \xff\x01.txt";
    json_t *obj = json_object();
    char *back, *line;
    size_t len;
    json_t *again;
    json_error_t jerr;

    proto_set_bytes(obj, "path", path, sizeof(path) - 1);
    ck_assert_str_eq(json_string_value(json_object_get(obj, "path")),
                     "/srv/news/caf\xef\xbf\xbd \xef\xbf\xbd\x01.txt");
    ck_assert_ptr_nonnull(json_object_get(obj, "path_b64"));

    /* Through the wire text and back. */
    line = json_dumps(obj, JSON_COMPACT);
    again = json_loads(line, 0, &jerr);
    ck_assert_ptr_nonnull(again);
    back = proto_get_bytes(again, "path", &len);
    ck_assert_ptr_nonnull(back);
    ck_assert_uint_eq(len, sizeof(path) - 1);
    ck_assert_mem_eq(back, path, len);
    ck_assert_int_eq(back[len], '\0');
    free(back);
    free(line);
    json_decref(again);

    /* A UTF-8 value replaces it, and the stale _b64 goes. */
    proto_set_bytes(obj, "path", "/srv/caf\xc3\xa9", 10);
    ck_assert_ptr_null(json_object_get(obj, "path_b64"));
    back = proto_get_bytes(obj, "path", &len);
    ck_assert_uint_eq(len, 10);
    ck_assert_str_eq(back, "/srv/caf\xc3\xa9");
    free(back);
    json_decref(obj);
}
END_TEST

START_TEST(bytes_round_trip_nul_and_empty)
{
    json_t *obj = json_object();
    char *back;
    size_t len = 99;

    proto_set_bytes(obj, "p", "a\0b", 3);
    back = proto_get_bytes(obj, "p", &len);
    ck_assert_uint_eq(len, 3);
    ck_assert_mem_eq(back, "a\0b", 3);
    free(back);
    proto_set_bytes(obj, "p", "", 0);
    back = proto_get_bytes(obj, "p", &len);
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(back, "");
    free(back);
    json_decref(obj);
}
END_TEST

START_TEST(bytes_get_refuses_absent_or_bad)
{
    json_t *obj = json_pack("{s:i, s:s, s:s, s:i}", "n", 1, "bad", "x",
                            "bad_b64", "!!", "num_b64", 5);
    size_t len = 7;

    ck_assert_ptr_null(proto_get_bytes(obj, "absent", &len));
    ck_assert_ptr_null(proto_get_bytes(obj, "n", &len));
    ck_assert_ptr_null(proto_get_bytes(obj, "bad", &len));
    ck_assert_ptr_null(proto_get_bytes(obj, "num", &len));
    ck_assert_uint_eq(len, 7);
    json_decref(obj);
}
END_TEST

/* ---- UTF-8 ------------------------------------------------------------ */

struct utf8_case {
    const char *name;
    const char *in;
    size_t len;
    bool is_valid;
    const char *sanitized;
};

#define U(s) .in = (s), .len = sizeof(s) - 1

static const struct utf8_case utf8_cases[] = {
    { "utf8_empty_is_valid", U(""), true, "" },
    { "utf8_ascii_is_valid", U("plain text"), true, "plain text" },
    { "utf8_two_byte_is_valid", U("\xc2\xa3"), true, "\xc2\xa3" },
    { "utf8_three_byte_is_valid", U("\xe2\x82\xac"), true, "\xe2\x82\xac" },
    { "utf8_four_byte_is_valid", U("\xf0\x9f\x98\x80"), true,
      "\xf0\x9f\x98\x80" },
    { "utf8_last_code_point_is_valid", U("\xf4\x8f\xbf\xbf"), true,
      "\xf4\x8f\xbf\xbf" },
    { "utf8_last_before_surrogates_is_valid", U("\xed\x9f\xbf"), true,
      "\xed\x9f\xbf" },
    { "utf8_latin1_byte_becomes_its_character", U("\xa3"), false,
      "\xc2\xa3" },
    { "utf8_latin1_word_is_repaired", U("caf\xe9 cr\xe8me"), false,
      "caf\xc3\xa9 cr\xc3\xa8me" },
    { "utf8_latin1_y_diaeresis", U("\xff"), false, "\xc3\xbf" },
    { "utf8_overlong_slash_is_invalid", U("\xc0\xaf"), false,
      "\xc3\x80\xc2\xaf" },
    { "utf8_overlong_c1_is_invalid", U("\xc1\xbf"), false,
      "\xc3\x81\xc2\xbf" },
    { "utf8_overlong_three_byte_is_invalid", U("\xe0\x80\xaf"), false,
      "\xc3\xa0 \xc2\xaf" },
    { "utf8_overlong_four_byte_is_invalid", U("\xf0\x80\x80\xaf"), false,
      "\xc3\xb0  \xc2\xaf" },
    { "utf8_high_surrogate_is_invalid", U("\xed\xa0\x80"), false,
      "\xc3\xad\xc2\xa0 " },
    { "utf8_low_surrogate_is_invalid", U("\xed\xbf\xbf"), false,
      "\xc3\xad\xc2\xbf\xc2\xbf" },
    { "utf8_past_max_code_point_is_invalid", U("\xf4\x90\x80\x80"), false,
      "\xc3\xb4   " },
    { "utf8_f5_lead_is_invalid", U("\xf5\x80"), false, "\xc3\xb5 " },
    { "utf8_lone_continuation_is_invalid", U("a\xbf"), false, "a\xc2\xbf" },
    { "utf8_truncated_two_byte_is_invalid", U("\xc3"), false, "\xc3\x83" },
    { "utf8_truncated_three_byte_is_invalid", U("\xe2\x82"), false,
      "\xc3\xa2 " },
    { "utf8_truncated_four_byte_is_invalid", U("x\xf0\x9f\x98"), false,
      "x\xc3\xb0  " },
    { "utf8_nul_is_invalid", U("a\0b"), false, "a b" },
    { "utf8_crlf_becomes_lf", U("a\r\nb"), true, "a\nb" },
    { "utf8_lone_cr_becomes_lf", U("a\rb\r"), true, "a\nb\n" },
    { "utf8_cr_cr_lf_is_two_lines", U("a\r\r\nb"), true, "a\n\nb" },
    { "utf8_tab_and_lf_are_kept", U("a\tb\n"), true, "a\tb\n" },
    { "utf8_controls_become_spaces", U("a\x01\x1b[0m\x7f"), true,
      "a  [0m " },
    { "utf8_c1_control_becomes_space", U("a\xc2\x85z"), true, "a z" },
    { "utf8_latin1_c1_byte_becomes_space", U("a\x85z"), false, "a z" },
};

START_TEST(utf8_table_row)
{
    const struct utf8_case *c = &utf8_cases[_i];
    size_t len = 12345;
    char *out;

    ck_assert_msg(utf8_valid(c->in, c->len) == c->is_valid, "%s: valid %d",
                  c->name, !c->is_valid);
    out = utf8_sanitize(c->in, c->len, &len);
    ck_assert_msg(strcmp(out, c->sanitized) == 0, "%s: sanitized wrong",
                  c->name);
    ck_assert_uint_eq(len, strlen(c->sanitized));
    ck_assert(utf8_valid(out, len));
    free(out);
    out = utf8_sanitize(c->in, c->len, NULL);
    free(out);

    /* replace_invalid keeps every valid byte and the output is valid. */
    out = utf8_replace_invalid(c->in, c->len, &len);
    ck_assert_uint_eq(len, strlen(out));
    ck_assert(utf8_valid(out, len));
    if (c->is_valid && !memchr(c->in, '\r', c->len))
        ck_assert_str_eq(out, c->in);
    free(out);
}
END_TEST

START_TEST(utf8_replace_invalid_uses_replacement_character)
{
    static const struct {
        const char *in;
        size_t len;
        const char *want;
    } rows[] = {
        { "a\xff" "b", 3, "a\xef\xbf\xbd" "b" },
        { "a\0b", 3, "a\xef\xbf\xbd" "b" },
        { "\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd" },
        { "ok\r\n\x01", 5, "ok\r\n\x01" },
        { "\xe2\x82\xac\xe2\x82", 5, "\xe2\x82\xac\xef\xbf\xbd\xef\xbf\xbd" },
    };
    size_t i, len;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *out = utf8_replace_invalid(rows[i].in, rows[i].len, &len);

        ck_assert_str_eq(out, rows[i].want);
        ck_assert_uint_eq(len, strlen(rows[i].want));
        free(out);
    }
}
END_TEST

START_TEST(utf8_sanitize_makes_any_bytes_valid)
{
    uint64_t s = 12345;
    char buf[64];
    int round;
    size_t i, len;

    for (round = 0; round < 20000; round++) {
        char *out;

        for (i = 0; i < sizeof(buf); i++) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            buf[i] = (char)s;
        }
        out = utf8_sanitize(buf, (size_t)round % sizeof(buf), &len);
        ck_assert(utf8_valid(out, len));
        for (i = 0; i < len; i++)
            ck_assert((unsigned char)out[i] >= 0x20 || out[i] == '\t' ||
                      out[i] == '\n');
        free(out);
        out = utf8_replace_invalid(buf, (size_t)round % sizeof(buf), &len);
        ck_assert(utf8_valid(out, len));
        free(out);
    }
}
END_TEST

/* ---- base64 ----------------------------------------------------------- */

START_TEST(base64_matches_rfc4648_vectors)
{
    static const char *const rows[][2] = {
        { "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
        { "foobar", "Zm9vYmFy" }, { "/tmp/caf\xe9", "L3RtcC9jYWbp" },
        { "\xff\xfe\xfd", "//79" }, { "\xfb\xef", "++8=" },
    };
    size_t i, len;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        char *enc = base64_encode(rows[i][0], strlen(rows[i][0]));
        char *dec;

        ck_assert_str_eq(enc, rows[i][1]);
        dec = base64_decode(enc, strlen(enc), &len);
        ck_assert_ptr_nonnull(dec);
        ck_assert_uint_eq(len, strlen(rows[i][0]));
        ck_assert_str_eq(dec, rows[i][0]);
        free(dec);
        free(enc);
    }
}
END_TEST

START_TEST(base64_round_trips_all_lengths_and_bytes)
{
    unsigned char data[300];
    size_t n, i, len;

    for (i = 0; i < sizeof(data); i++)
        data[i] = (unsigned char)(i * 7 + 3);
    for (n = 0; n <= sizeof(data); n++) {
        char *enc = base64_encode(data, n);
        unsigned char *dec;

        ck_assert_uint_eq(strlen(enc), (n + 2) / 3 * 4);
        dec = base64_decode(enc, strlen(enc), &len);
        ck_assert_ptr_nonnull(dec);
        ck_assert_uint_eq(len, n);
        if (n)
            ck_assert_mem_eq(dec, data, n);
        ck_assert_int_eq(dec[n], 0);
        free(dec);
        free(enc);
    }
}
END_TEST

START_TEST(base64_rejects_malformed)
{
    static const char *const rows[] = {
        "Zg", "Zg=", "Zm9vY", "Z===", "====", "=Zg=", "Zg==Zg==", "Zm=v",
        "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "Zm-v", "Zm_v", "Zm9v=",
        "Zm9\xc3\xa9", "Zg\0=",
    };
    size_t i, len = 77;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        size_t n = strlen(rows[i]);

        if (i == sizeof(rows) / sizeof(rows[0]) - 1)
            n = 4;      /* the row with a NUL */
        ck_assert_msg(base64_decode(rows[i], n, &len) == NULL,
                      "accepted \"%s\"", rows[i]);
    }
    ck_assert_uint_eq(len, 77);
}
END_TEST

/* ---- numbers, strings, paths ------------------------------------------ */

START_TEST(parse_long_is_strict)
{
    static const struct {
        const char *s;
        long min, max;
        int rc;
        long want;
    } rows[] = {
        { "0", 0, 10, 0, 0 },
        { "42", 0, 100, 0, 42 },
        { "-5", -10, 10, 0, -5 },
        { "10", 0, 10, 0, 10 },
        { "007", 0, 10, 0, 7 },
        { "11", 0, 10, -ERANGE, 0 },
        { "-1", 0, 10, -ERANGE, 0 },
        { "99999999999999999999999", 0, 10, -ERANGE, 0 },
        { "", 0, 10, -EINVAL, 0 },
        { " 1", 0, 10, -EINVAL, 0 },
        { "1 ", 0, 10, -EINVAL, 0 },
        { "+1", 0, 10, -EINVAL, 0 },
        { "0x10", 0, 100, -EINVAL, 0 },
        { "1a", 0, 10, -EINVAL, 0 },
        { "-", -10, 10, -EINVAL, 0 },
        { "--1", -10, 10, -EINVAL, 0 },
        { "1.5", 0, 10, -EINVAL, 0 },
    };
    size_t i;
    long out;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        out = -999;
        ck_assert_msg(parse_long(rows[i].s, rows[i].min, rows[i].max, &out)
                      == rows[i].rc, "\"%s\"", rows[i].s);
        ck_assert_int_eq(out, rows[i].rc == 0 ? rows[i].want : -999);
    }
    ck_assert_int_eq(parse_long(NULL, 0, 1, &out), -EINVAL);
}
END_TEST

START_TEST(xalloc_helpers_copy_and_format)
{
    char *s = xstrndup("abcdef", 3);
    char *t = xasprintf("%s-%d-%zu", s, 7, (size_t)9);
    char *u = xstrndup("ab", 10);
    char *v = xcalloc(0, 0);
    char *w = xrealloc(NULL, 0);

    ck_assert_str_eq(s, "abc");
    ck_assert_str_eq(t, "abc-7-9");
    ck_assert_str_eq(u, "ab");
    free(s);
    free(t);
    free(u);
    free(v);
    free(w);
}
END_TEST

START_TEST(default_socket_path_follows_environment)
{
    char *p;
    char want[128];

    setenv("SEARCHD_SOCKET", "/x/y.sock", 1);
    p = util_default_socket_path();
    ck_assert_str_eq(p, "/x/y.sock");
    free(p);

    unsetenv("SEARCHD_SOCKET");
    setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
    p = util_default_socket_path();
    ck_assert_str_eq(p, "/run/user/1000/searchd/searchd.sock");
    free(p);

    unsetenv("XDG_RUNTIME_DIR");
    p = util_default_socket_path();
    if (geteuid() == 0)
        snprintf(want, sizeof(want), "%s", RUNSTATEDIR "/searchd/searchd.sock");
    else
        snprintf(want, sizeof(want), "/tmp/searchd-%lu/searchd.sock",
                 (unsigned long)geteuid());
    ck_assert_str_eq(p, want);
    free(p);
}
END_TEST

START_TEST(default_index_path_follows_environment)
{
    char *p;

    setenv("XDG_DATA_HOME", "/data", 1);
    setenv("HOME", "/home/u", 1);
    p = util_default_index_path();
    ck_assert_str_eq(p, geteuid() == 0 ? LOCALSTATEDIR "/lib/searchd/index"
                                       : "/data/searchd/index");
    free(p);
    unsetenv("XDG_DATA_HOME");
    p = util_default_index_path();
    ck_assert_str_eq(p, geteuid() == 0 ? LOCALSTATEDIR "/lib/searchd/index"
                     : "/home/u/.local/share/searchd/index");
    free(p);
}
END_TEST

START_TEST(mkdir_p_creates_parents)
{
    char tmpl[] = "/tmp/check_proto.XXXXXX";
    char *dir = mkdtemp(tmpl);
    char *deep, *file, *under_file;
    struct stat st;
    FILE *fp;

    ck_assert_ptr_nonnull(dir);
    deep = xasprintf("%s/a/b//c/", dir);
    ck_assert_int_eq(util_mkdir_p(deep, 0700), 0);
    ck_assert_int_eq(stat(deep, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    ck_assert_int_eq(util_mkdir_p(deep, 0700), 0);     /* again: fine */

    file = xasprintf("%s/f", dir);
    fp = fopen(file, "w");
    ck_assert_ptr_nonnull(fp);
    fclose(fp);
    ck_assert_int_eq(util_mkdir_p(file, 0700), -ENOTDIR);
    under_file = xasprintf("%s/f/g", dir);
    ck_assert_int_eq(util_mkdir_p(under_file, 0700), -ENOTDIR);
    ck_assert_int_eq(util_mkdir_p("", 0700), -EINVAL);
    ck_assert_int_eq(util_mkdir_p("/", 0700), 0);

    unlink(file);
    rmdir(deep);
    free(deep);
    deep = xasprintf("%s/a/b", dir);
    rmdir(deep);
    free(deep);
    deep = xasprintf("%s/a", dir);
    rmdir(deep);
    rmdir(dir);
    free(deep);
    free(file);
    free(under_file);
}
END_TEST

/* Read what util_open_nofollow opened; the fd is closed. */
static void
assert_opens_to(const char *path, const char *want)
{
    char buf[64];
    int fd = util_open_nofollow(path);
    ssize_t n;

    ck_assert_msg(fd >= 0, "%s: %s", path, strerror(-fd));
    n = read(fd, buf, sizeof buf - 1);
    ck_assert_int_ge(n, 0);
    buf[n] = '\0';
    ck_assert_str_eq(buf, want);
    close(fd);
}

/* util_open_nofollow(dir + rel), or -errno. */
static int
open_nofollow_in(const char *dir, const char *rel)
{
    char path[700];

    snprintf(path, sizeof path, "%s%s", dir, rel);
    return util_open_nofollow(path);
}

START_TEST(open_nofollow_refuses_links_anywhere_in_the_path)
{
    char dir[512], a[700], b[700];
    FILE *fp;
    int fd;

    tu_mkdtemp(dir, sizeof dir, "check_proto");
    snprintf(a, sizeof a, "%s/in", dir);
    ck_assert_int_eq(mkdir(a, 0700), 0);
    snprintf(a, sizeof a, "%s/out", dir);
    ck_assert_int_eq(mkdir(a, 0700), 0);
    for (int i = 0; i < 2; i++) {
        snprintf(a, sizeof a, "%s/%s/f", dir, i ? "out" : "in");
        fp = fopen(a, "w");
        ck_assert_ptr_nonnull(fp);
        fputs(i ? "outside" : "inside", fp);
        fclose(fp);
    }

    /* A plain path opens, with repeated slashes and "." too. */
    snprintf(a, sizeof a, "%s/in/f", dir);
    assert_opens_to(a, "inside");
    snprintf(a, sizeof a, "%s//in/./f", dir);
    assert_opens_to(a, "inside");

    /* A link as the last component. */
    snprintf(a, sizeof a, "%s/out/f", dir);
    snprintf(b, sizeof b, "%s/in/link", dir);
    ck_assert_int_eq(symlink(a, b), 0);
    ck_assert_int_eq(util_open_nofollow(b), -ELOOP);

    /* A folder swapped for a link to elsewhere, after the check. */
    snprintf(a, sizeof a, "%s/in", dir);
    snprintf(b, sizeof b, "%s/in.real", dir);
    ck_assert_int_eq(rename(a, b), 0);
    snprintf(b, sizeof b, "%s/out", dir);
    ck_assert_int_eq(symlink(b, a), 0);
    snprintf(a, sizeof a, "%s/in/f", dir);
    fd = open(a, O_RDONLY);            /* open(2) follows it outside */
    ck_assert_int_ge(fd, 0);
    close(fd);
    ck_assert_int_eq(util_open_nofollow(a), -ELOOP);

    /* The other refusals name what was wrong. */
    ck_assert_int_eq(open_nofollow_in(dir, "/nothing/f"), -ENOENT);
    ck_assert_int_eq(open_nofollow_in(dir, "/out/f/g"), -ENOTDIR);
    ck_assert_int_eq(open_nofollow_in(dir, "/out/../out/f"), -EINVAL);
    ck_assert_int_eq(util_open_nofollow("relative/f"), -EINVAL);
    ck_assert_int_eq(util_open_nofollow("/"), -EISDIR);
    /* A folder opens (the caller's fstat tells it from a file). */
    fd = open_nofollow_in(dir, "/out/");
    ck_assert_int_ge(fd, 0);
    close(fd);

    tu_rmtree(dir);
}
END_TEST

/* ---- suite ------------------------------------------------------------ */

Suite *proto_suite(void);

/* ---- search options: sort, since, until, outlet, facets --------------- */

#define SREQ(extra) "{\"v\":1,\"op\":\"search\",\"q\":\"a\"" extra "}"

START_TEST(search_options_default_and_parse)
{
    struct proto_request req;
    struct proto_error err;
    const char *plain = SREQ("");
    const char *full = SREQ(",\"sort\":\"newest\",\"since\":\"2019-07\","
                              "\"until\":\"2019-07-31\",\"outlet\":\"BBC News\","
                              "\"facets\":true,\"limit\":1000");

    ck_assert_int_eq(proto_parse_request(plain, strlen(plain), &req, &err), 0);
    ck_assert_int_eq(req.sort, PROTO_SORT_RELEVANCE);
    ck_assert_ptr_null(req.since);
    ck_assert_ptr_null(req.until);
    ck_assert_ptr_null(req.outlet);
    ck_assert(!req.want_facets);
    proto_request_clear(&req);

    ck_assert_int_eq(proto_parse_request(full, strlen(full), &req, &err), 0);
    ck_assert_int_eq(req.sort, PROTO_SORT_NEWEST);
    ck_assert_str_eq(req.since, "2019-07");
    ck_assert_str_eq(req.until, "2019-07-31");
    ck_assert_str_eq(req.outlet, "BBC News");
    ck_assert(req.want_facets);
    ck_assert_uint_eq(req.limit, SD_PROTO_MAX_LIMIT);
    proto_request_clear(&req);
}
END_TEST

START_TEST(search_options_refused_name_the_member)
{
    static const struct {
        const char *line;
        const char *member;     /* the error message must name it */
    } rcases[] = {
        { SREQ(",\"sort\":\"date\""), "\"sort\"" },
        { SREQ(",\"sort\":\"NEWEST\""), "\"sort\"" },
        { SREQ(",\"sort\":1"), "\"sort\"" },
        { SREQ(",\"since\":\"2019-13\""), "\"since\"" },
        { SREQ(",\"since\":\"2019-02-30\""), "\"since\"" },
        { SREQ(",\"since\":\"19\""), "\"since\"" },
        { SREQ(",\"since\":\"2019-07-01T10:00\""), "\"since\"" },
        { SREQ(",\"since\":2019"), "\"since\"" },
        { SREQ(",\"until\":\"yesterday\""), "\"until\"" },
        { SREQ(",\"until\":\"2019-7\""), "\"until\"" },
        { SREQ(",\"until\":\"\""), "\"until\"" },
        { SREQ(",\"since\":\"2020\",\"until\":\"2019-12\""), "\"since\"" },
        { SREQ(",\"since\":\"2019-08-01\",\"until\":\"2019-07\""),
          "\"until\"" },
        { SREQ(",\"outlet\":\"\""), "\"outlet\"" },
        { SREQ(",\"outlet\":7"), "\"outlet\"" },
        { SREQ(",\"facets\":1"), "\"facets\"" },
        { SREQ(",\"facets\":\"yes\""), "\"facets\"" },
        { SREQ(",\"limit\":1001"), "\"limit\"" },
    };

    for (size_t i = 0; i < sizeof rcases / sizeof rcases[0]; i++) {
        struct proto_request req;
        struct proto_error err;
        int rc = proto_parse_request(rcases[i].line, strlen(rcases[i].line),
                                     &req, &err);

        ck_assert_msg(rc == -1, "accepted: %s", rcases[i].line);
        ck_assert_str_eq(err.code, SD_ERR_BAD_REQUEST);
        ck_assert_msg(strstr(err.message, rcases[i].member) != NULL,
                      "%s: message \"%s\" does not name %s", rcases[i].line,
                      err.message, rcases[i].member);
        proto_error_clear(&err);
    }
}
END_TEST

START_TEST(search_options_periods_may_nest)
{
    /* A partial "until" is its whole period: these do not cross. */
    static const char *const ok[] = {
        SREQ(",\"since\":\"2019-07\",\"until\":\"2019\""),
        SREQ(",\"since\":\"2019\",\"until\":\"2019\""),
        SREQ(",\"since\":\"2019-07-31\",\"until\":\"2019-07\""),
        SREQ(",\"since\":\"2020-02-29\""),
        SREQ(",\"outlet\":\"Caf\\u00e9 News\",\"sort\":\"oldest\""),
        SREQ(",\"sort\":\"relevance\",\"facets\":false"),
    };

    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct proto_request req;
        struct proto_error err;
        int rc = proto_parse_request(ok[i], strlen(ok[i]), &req, &err);

        ck_assert_msg(rc == 0, "%s: %s", ok[i], err.message);
        proto_request_clear(&req);
    }
}
END_TEST

START_TEST(reply_error_at_carries_the_position)
{
    size_t len;
    char *line = proto_reply_error_at(NULL, SD_ERR_BAD_QUERY, "x", 7, &len);
    json_t *obj = load_line(line, len);
    json_t *e = json_object_get(obj, "error");

    ck_assert_str_eq(json_string_value(json_object_get(e, "code")),
                     "bad_query");
    ck_assert_int_eq(json_integer_value(json_object_get(e, "position")), 7);
    json_decref(obj);
    free(line);
    line = proto_reply_error_at(NULL, SD_ERR_BAD_QUERY, "x", -1, &len);
    obj = load_line(line, len);
    ck_assert_ptr_null(json_object_get(json_object_get(obj, "error"),
                                       "position"));
    json_decref(obj);
    free(line);
}
END_TEST

/* ---- query checks (qsyntax) -------------------------------------------- */

START_TEST(qsyntax_dates)
{
    static const char *const good[] = {
        "2019", "0001", "2019-01", "2019-12", "2019-07-31", "2020-02-29",
        "2000-02-29", "2019-02-28",
    };
    static const char *const bad[] = {
        "", "19", "20199", "2019-", "2019-1", "2019-00", "2019-13",
        "2019-07-", "2019-07-1", "2019-07-00", "2019-07-32", "2019-04-31",
        "2019-02-29", "1900-02-29", "2019/07", "2019-07-01T10", "abcd",
        "2019-ab", "+019",
    };

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(qsyntax_is_date(good[i], strlen(good[i])), "%s",
                      good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!qsyntax_is_date(bad[i], strlen(bad[i])), "%s",
                      bad[i]);
}
END_TEST

START_TEST(qsyntax_accepts_the_language)
{
    static const char *const good[] = {
        "oil", "oil and gas", "oil AND gas", "oil OR gas", "oil NOT gas",
        "oil XOR gas", "NOT gas", "oil AND NOT gas", "oil OR NOT gas",
        "(oil OR gas) AND price", "((oil))", "\"palm oil\"",
        "\"palm oil\" prices", "+oil -gas", "oil -\"natural gas\"",
        "oil -(gas OR coal)", "oil NEAR price", "oil NEAR/3 price",
        "oil ADJ price", "oil ADJ/2 price", "a NEAR b NEAR c",
        "title:oil NEAR price", "negotiat*", "title:negotiat*",
        "title:oil", "title:\"palm oil\"", "title:(palm oil)",
        "author:smith", "outlet:bbc", "place:london", "keyword:cocoa",
        "lang:en", "date:2019", "date:2019-07", "date:2019-07-01",
        "date:2019-07-01..2019-07-31", "date:2021..", "date:..2020-06",
        "date:2019..2019-03", "date:2019-07..2019", "oil date:1987-03",
        "near and or not", "U.S. oil", "well-known", "C++", "don't",
        "oil+gas", "caf\xc3\xa9", "foo:bar", "1..2", "e-mail",
        "oil\tgas\n", "-oil gas", "x AND -gas", "x AND -gas y",
        "(a NEAR b) c", "c AND a NEAR b", "a NEAR b OR c d", "don't NEAR x",
        "oil & gas", "x OR y -gas", "(x) -gas", "NOT +gas", "x OR +gas",
        "\"NEAR\"", "caf\xc3\xa9 NEAR x",
    };

    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct qsyntax_error e = { 0 };
        int rc = qsyntax_check(good[i], strlen(good[i]), &e);

        ck_assert_msg(rc == 0, "\"%s\" refused: %s", good[i], e.message);
    }
}
END_TEST

START_TEST(qsyntax_refuses_with_the_position)
{
    static const struct {
        const char *q;
        size_t pos;        /* character offset */
        const char *says;  /* part of the message */
    } bad[] = {
        { "\"palm oil", 0, "never closed" },
        { "oil \"palm", 4, "never closed" },
        { "a \"\" b", 2, "empty phrase" },
        { "oil)", 3, "no '('" },
        { "(oil", 0, "never closed" },
        { "(a (b) c", 0, "never closed" },
        { "a (b (c)", 2, "never closed" },
        { "a ()", 2, "empty parentheses" },
        { "oil AND", 4, "nothing after" },
        { "AND oil", 0, "nothing before" },
        { "oil OR OR gas", 7, "right after OR" },
        { "oil AND OR gas", 8, "right after AND" },
        { "(AND oil)", 1, "nothing before" },
        { "(oil AND) gas", 5, "nothing after" },
        { "oil NOT", 4, "nothing after" },
        { "oil NOT NOT gas", 8, "NOT right after NOT" },
        { "NOT", 0, "nothing after" },
        { "oil NEAR", 4, "nothing after" },
        { "\"palm oil\" NEAR x", 11, "single word before" },
        { "x NEAR \"palm oil\"", 7, "single word after" },
        { "x NEAR (y)", 7, "single word after" },
        { "(x) NEAR y", 4, "single word before" },
        { "x* NEAR y", 3, "single word before" },
        { "x NEAR y*", 7, "single word after" },
        { "x NEAR -y", 7, "single word after" },
        { "x NEAR NOT y", 7, "NOT right after NEAR" },
        { "x NEAR/ y", 2, "distance" },
        { "x NEAR/0 y", 2, "distance" },
        { "x NEAR/abc y", 2, "distance" },
        { "x ADJ/1000 y", 2, "distance" },
        { "oil -", 4, "'-'" },
        { "+ oil", 0, "'+'" },
        { "oil -)", 4, "'-'" },
        { "-oil", 0, "only -words" },
        { "-oil -gas", 0, "only -words" },
        { "*", 0, "'*'" },
        { "oil title:*", 10, "'*'" },
        { "title:", 0, "title:" },
        { "oil author: smith", 4, "author:" },
        { "lang:", 0, "lang:" },
        { "date:", 0, "date:" },
        { "lang:\"en\"", 0, "lang:" },
        { "date:(2019)", 0, "date:" },
        { "date:2019-13", 5, "not a date" },
        { "date:yesterday", 5, "not a date" },
        { "date:2019-02-30", 5, "not a date" },
        { "date:..", 5, "at least one side" },
        { "date:2019-07-32..2019-08", 5, "not a date" },
        { "date:2019-07..2019-0x", 14, "not a date" },
        { "date:2020..2019", 5, "starts after it ends" },
        { "date:2019-08..2019-07-31", 5, "starts after it ends" },
        { "x AND(y)", 2, "space before" },
        { "NOT(x)", 0, "space before" },
        { "a b NEAR c", 4, "single words only" },
        { "a NEAR b c", 9, "single words only" },
        { "a-b NEAR c", 4, "single word before" },
        { "c NEAR u.s", 7, "single word after" },
        { "(-gas)", 1, "only -words" },
        { "x (y OR -gas)", 8, "cannot follow OR" },
        { "x OR -gas", 5, "cannot follow OR" },
        { "x XOR -gas", 6, "cannot follow XOR" },
        { "x NOT -gas y", 6, "cannot follow NOT" },
        { "NOT -gas", 4, "cannot follow NOT" },
        { "+AND", 0, "not an operator" },
        { "-OR x", 0, "not an operator" },
        { "&", 0, "no words" },
        { "' & -", 4, "'-'" },
        { "' &", 0, "no words" },
        /* Positions count characters, not bytes: "é" is two bytes. */
        { "caf\xc3\xa9 AND", 5, "nothing after" },
        { "\xc3\xa9\xc3\xa9 \"x", 3, "never closed" },
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct qsyntax_error e = { 0 };
        char at[40];
        int rc = qsyntax_check(bad[i].q, strlen(bad[i].q), &e);

        ck_assert_msg(rc == -1, "\"%s\" accepted", bad[i].q);
        ck_assert_msg(e.pos == bad[i].pos, "\"%s\": position %zu, want %zu "
                      "(%s)", bad[i].q, e.pos, bad[i].pos, e.message);
        ck_assert_msg(strstr(e.message, bad[i].says) != NULL,
                      "\"%s\": \"%s\" does not say \"%s\"", bad[i].q,
                      e.message, bad[i].says);
        snprintf(at, sizeof at, "(at position %zu)", bad[i].pos);
        ck_assert_msg(strstr(e.message, at) != NULL, "\"%s\": \"%s\"",
                      bad[i].q, e.message);
        /* err may be NULL: only the verdict. */
        ck_assert_int_eq(qsyntax_check(bad[i].q, strlen(bad[i].q), NULL),
                         -1);
    }
}
END_TEST

START_TEST(qsyntax_bounds_nesting_and_needs_no_nul)
{
    char deep[200];
    struct qsyntax_error e;

    memset(deep, '(', sizeof deep);
    ck_assert_int_eq(qsyntax_check(deep, sizeof deep, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.message, "nested deeper"));
    /* len, not a NUL, ends the query: the ')' after it is not seen. */
    ck_assert_int_eq(qsyntax_check("oil)", 3, &e), 0);
    ck_assert_int_eq(qsyntax_check("oil AND gas", 7, &e), -1);
}
END_TEST

Suite *
proto_suite(void)
{
    Suite *s = suite_create("proto");
    TCase *tc;
    int n_cases = (int)N_CASES;

    build_long_lines();

    tc = tcase_create("parse");
    tcase_add_loop_test(tc, parse_table_row, 0, n_cases);
    tcase_add_loop_test(tc, reply_error_from_every_parse_error, 0, n_cases);
    tcase_add_test(tc, op_names_are_the_wire_words);
    tcase_add_test(tc, failures_pages_with_checked_limit_and_offset);
    tcase_add_test(tc, search_match_is_all_or_any);
    tcase_add_test(tc, search_like_and_correct_members);
    tcase_add_test(tc, search_copies_is_fold_list_or_all);
    tcase_add_test(tc, search_options_default_and_parse);
    tcase_add_test(tc, search_options_refused_name_the_member);
    tcase_add_test(tc, search_options_periods_may_nest);
    tcase_add_test(tc, reply_error_at_carries_the_position);
    suite_add_tcase(s, tc);

    tc = tcase_create("qsyntax");
    tcase_add_test(tc, qsyntax_dates);
    tcase_add_test(tc, qsyntax_accepts_the_language);
    tcase_add_test(tc, qsyntax_refuses_with_the_position);
    tcase_add_test(tc, qsyntax_bounds_nesting_and_needs_no_nul);
    suite_add_tcase(s, tc);

    tc = tcase_create("framing");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, framer_passes_row_whole, 0, n_cases);
    tcase_add_loop_test(tc, framer_splits_row_at_every_byte, 0, n_cases);
    tcase_add_loop_test(tc, framer_splits_crlf_row_at_every_byte, 0, n_cases);
    tcase_add_loop_test(tc, framer_never_returns_truncated_row, 0, n_cases);
    tcase_add_test(tc, framer_returns_many_lines_from_one_push);
    tcase_add_loop_test(tc, framer_enforces_line_limit, 0,
                        (int)(sizeof(limit_cases) / sizeof(limit_cases[0])));
    tcase_add_test(tc, framer_oversize_line_holds_at_most_max_plus_one);
    tcase_add_test(tc, framer_memory_does_not_grow_with_lines);
    tcase_add_test(tc, framer_gives_back_memory_after_big_push);
    tcase_add_test(tc, framer_reset_allows_reuse);
    tcase_add_test(tc, framer_reports_unfinished_line);
    suite_add_tcase(s, tc);

    tc = tcase_create("robustness");
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, parse_survives_byte_flips, 0, n_cases);
    tcase_add_test(tc, parse_survives_random_input);
    suite_add_tcase(s, tc);

    tc = tcase_create("encode");
    tcase_add_test(tc, reply_ok_starts_with_v_id_ok);
    tcase_add_test(tc, reply_ok_without_id_or_body);
    tcase_add_test(tc, reply_ok_body_cannot_override_head);
    tcase_add_test(tc, reply_ok_writes_short_reals_and_raw_utf8);
    tcase_add_test(tc, reply_error_has_code_and_message);
    tcase_add_test(tc, reply_error_survives_any_message_bytes);
    tcase_add_test(tc, request_encode_round_trips_every_op);
    tcase_add_test(tc, bytes_round_trip_non_utf8_path);
    tcase_add_test(tc, bytes_round_trip_nul_and_empty);
    tcase_add_test(tc, bytes_get_refuses_absent_or_bad);
    suite_add_tcase(s, tc);

    tc = tcase_create("util");
    /* Generous: these loop over many inputs, and valgrind or a busy
     * machine slows them many times. */
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, utf8_table_row, 0,
                        (int)(sizeof(utf8_cases) / sizeof(utf8_cases[0])));
    tcase_add_test(tc, utf8_replace_invalid_uses_replacement_character);
    tcase_add_test(tc, utf8_sanitize_makes_any_bytes_valid);
    tcase_add_test(tc, base64_matches_rfc4648_vectors);
    tcase_add_test(tc, base64_round_trips_all_lengths_and_bytes);
    tcase_add_test(tc, base64_rejects_malformed);
    tcase_add_test(tc, parse_long_is_strict);
    tcase_add_test(tc, xalloc_helpers_copy_and_format);
    tcase_add_test(tc, default_socket_path_follows_environment);
    tcase_add_test(tc, default_index_path_follows_environment);
    tcase_add_test(tc, mkdir_p_creates_parents);
    tcase_add_test(tc, open_nofollow_refuses_links_anywhere_in_the_path);
    suite_add_tcase(s, tc);

    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(proto_suite());
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
