/*
 * searchc.c - the command-line client of searchd: read the arguments,
 * connect to the daemon's Unix socket, send one request, print the reply
 * and map it to an exit status (doc/searchc.1; the wire format is
 * doc/protocol.md).
 *
 * Everything the daemon sends is untrusted text: indexed files decide
 * titles, snippets and paths.  Control characters (C0, DEL and C1) are
 * replaced before anything is printed, so a file cannot smuggle terminal
 * escape sequences through a search result; the only escapes searchc
 * prints are its own colours.  --json is the exception: it passes the
 * reply through unchanged, for programs.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "proto.h"
#include "util.h"

/* From the build (-DRUNSTATEDIR='"/run"'), for the help text and the
 * system socket; util.c has the same fallback. */
#ifndef RUNSTATEDIR
#define RUNSTATEDIR "/run"
#endif
/* Where searchd.socket (systemd/) puts the system daemon's socket. */
#define SC_SYSTEM_SOCKET RUNSTATEDIR "/searchd/searchd.sock"

/* Exit statuses (searchc(1), EXIT STATUS). */
enum {
    SC_EXIT_OK = 0,         /* hits, or ping/status/add succeeded */
    SC_EXIT_NO_HITS = 1,
    SC_EXIT_TROUBLE = 2,    /* usage, connection, timeout, bad reply */
    SC_EXIT_DAEMON = 3      /* searchd answered with an error */
};

/* Longest reply line we take, bytes.  A full page of SD_PROTO_MAX_LIMIT
 * hits is a few megabytes; this only bounds a broken or hostile peer. */
#define SC_MAX_REPLY (64u << 20)
#define SC_DEFAULT_TIMEOUT 30               /* seconds */
#define SC_MAX_TIMEOUT (INT_MAX / 1000)     /* poll() counts ms in an int */
#define SC_REQUEST_ID 1                     /* one request per connection */

/* ANSI SGR sequences, the only escapes searchc itself prints. */
#define SGR_MATCH "\033[1;31m"
#define SGR_TITLE "\033[1m"
#define SGR_RESET "\033[0m"

enum sc_mode {
    MODE_SEARCH = 0, MODE_PING, MODE_STATUS, MODE_ADD, MODE_FAILURES,
    MODE_RELOAD
};
enum sc_color { COLOR_AUTO = 0, COLOR_ALWAYS, COLOR_NEVER };

/* Long-only options get values past any char. */
enum {
    OPT_JSON = 256,
    OPT_OFFSET,
    OPT_PING,
    OPT_STATUS,
    OPT_ADD,
    OPT_COLOR,
    OPT_TIMEOUT,
    OPT_FAILURES,
    OPT_RELOAD,
    OPT_FOLLOW,
    OPT_ANY,
    OPT_SINCE,
    OPT_UNTIL,
    OPT_OUTLET,
    OPT_SORT,
    OPT_FACETS,
    OPT_CORRECT,
    OPT_LIKE,
    OPT_ALL,
    OPT_COPIES
};

/* The command line, parsed. */
struct options {
    enum sc_mode mode;
    bool is_mode_set;       /* --ping, --status or --add was given */
    bool is_json;
    bool is_limit_set;      /* --limit was given */
    bool is_follow;         /* --status --follow */
    bool is_any;            /* --any: rank documents matching any word */
    bool is_all;            /* --all: every copy of a story is a hit */
    bool is_copies;         /* --copies: list each hit's copies */
    bool is_facets;         /* --facets: ask for and print the facets */
    bool is_correct;        /* --correct: search the spelling suggestion */
    bool is_tty;            /* stdout is a terminal */
    bool use_color;         /* --color resolved against the terminal */
    long limit;             /* 1..SD_PROTO_MAX_LIMIT */
    long offset;            /* 0..SD_PROTO_MAX_OFFSET */
    long timeout_s;         /* whole exchange; 0 = wait for ever */
    const char *add_arg;    /* borrowed from argv: --add as given */
    const char *since;      /* borrowed from argv, or NULL */
    const char *until;      /* borrowed from argv, or NULL */
    const char *outlet;     /* borrowed from argv, or NULL */
    const char *sort;       /* borrowed from argv (checked), or NULL */
    char *socket_path;      /* owned */
    bool system_missing;    /* no socket named, the per-user default is
                             * missing and so is the system socket */
    char *query;            /* owned; the QUERY words joined by spaces, or
                             * NULL for --like without words */
    const char *like_arg;   /* borrowed from argv: --like as given */
    char *like_path;        /* owned; --like resolved to an absolute path */
    char *like_member;      /* owned or NULL; the #MEMBER of --like */
};

/* A growable byte buffer; p is owned and always NUL-terminated once
 * anything was put in it. */
struct sbuf {
    char *p;
    size_t len;
    size_t cap;
};

/* ---- small helpers ---------------------------------------------------- */

static void
sbuf_put(struct sbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;

        while (cap < b->len + n + 1)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void
sbuf_puts(struct sbuf *b, const char *s)
{
    sbuf_put(b, s, strlen(s));
}

/* Write the buffer to stdout and empty it (the memory is kept). */
static void
sbuf_flush(struct sbuf *b)
{
    if (b->len > 0)
        fwrite(b->p, 1, b->len, stdout);
    b->len = 0;
}

static void
sbuf_free(struct sbuf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* jansson reports allocation failure as NULL; treat it as xmalloc does
 * (every size here is bounded by the caps checked first). */
static json_t *
json_checked(json_t *j)
{
    if (j == NULL) {
        fputs("searchc: out of memory (jansson)\n", stderr);
        abort();
    }
    return j;
}

static void
try_help(void)
{
    fputs("Try 'searchc --help'.\n", stderr);
}

/* ---- text from the daemon --------------------------------------------- */

/* Append a space for a control character, one per run. */
static void
put_control(struct sbuf *b, bool *was_control)
{
    if (!*was_control)
        sbuf_put(b, " ", 1);
    *was_control = true;
}

/*
 * Append the UTF-8 text s[0..len) with every control character (C0, DEL,
 * and C1 as U+0080..U+009F) replaced: a run of them becomes one space.
 * s comes from a parsed JSON string, so it is valid UTF-8.
 */
static void
put_clean(struct sbuf *b, const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    bool was_control = false;
    size_t i = 0;

    while (i < len) {
        if (u[i] < 0x20 || u[i] == 0x7F) {
            put_control(b, &was_control);
            i++;
        } else if (u[i] == 0xC2 && i + 1 < len && u[i + 1] < 0xA0) {
            put_control(b, &was_control);
            i += 2;
        } else {
            sbuf_put(b, s + i, 1);
            was_control = false;
            i++;
        }
    }
}

/* Append code point cp as UTF-8; controls follow put_clean's rule and
 * what is not a character (NUL, surrogates, past U+10FFFF) is U+FFFD. */
static void
put_code_point(struct sbuf *b, unsigned long cp, bool *was_control)
{
    char u[4];
    size_t n;

    if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        cp = 0xFFFD;
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
        put_control(b, was_control);
        return;
    }
    n = utf8_encode((uint32_t)cp, u);
    sbuf_put(b, u, n);
    *was_control = false;
}

/*
 * Decode the HTML character reference at s (s[0] == '&', len bytes left):
 * &amp; &lt; &gt; &quot; &apos; and numeric &#NN; / &#xHH;.  Returns the
 * bytes it spans and sets *cp_out, or 0 when s starts none of them (the
 * "&" is then taken literally).
 */
static size_t
entity_decode(const char *s, size_t len, unsigned long *cp_out)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {
        { "&amp;", '&' }, { "&lt;", '<' },   { "&gt;", '>' },
        { "&quot;", '"' }, { "&apos;", '\'' },
    };
    unsigned long cp = 0;
    size_t i, digits = 0;
    bool is_hex;

    for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
        size_t n = strlen(named[i].name);

        if (len >= n && memcmp(s, named[i].name, n) == 0) {
            *cp_out = (unsigned char)named[i].c;
            return n;
        }
    }
    if (len < 4 || s[1] != '#')
        return 0;
    is_hex = s[2] == 'x' || s[2] == 'X';
    /* At most 8 digits: enough for U+10FFFF, and no overflow. */
    for (i = is_hex ? 3 : 2; i < len && digits < 8; i++, digits++) {
        char c = s[i];

        if (c >= '0' && c <= '9')
            cp = cp * (is_hex ? 16 : 10) + (unsigned long)(c - '0');
        else if (is_hex && c >= 'a' && c <= 'f')
            cp = cp * 16 + (unsigned long)(c - 'a' + 10);
        else if (is_hex && c >= 'A' && c <= 'F')
            cp = cp * 16 + (unsigned long)(c - 'A' + 10);
        else
            break;
    }
    if (digits == 0 || i >= len || s[i] != ';')
        return 0;
    *cp_out = cp;
    return i + 1;
}

/*
 * Append a snippet: HTML-escaped text with matches in <b>...</b>.  The
 * tags become colour when is_color, else vanish; character references are
 * decoded; controls are replaced as in put_clean, after decoding, so that
 * "&#27;" cannot make an escape either.
 */
static void
put_snippet(struct sbuf *b, const char *s, size_t len, bool is_color)
{
    bool was_control = false, is_open = false;
    size_t i = 0;

    while (i < len) {
        unsigned long cp;
        size_t n;

        if (s[i] == '<' && len - i >= 3 && memcmp(s + i, "<b>", 3) == 0) {
            if (is_color && !is_open)
                sbuf_puts(b, SGR_MATCH);
            is_open = true;
            i += 3;
        } else if (s[i] == '<' && len - i >= 4 &&
                   memcmp(s + i, "</b>", 4) == 0) {
            if (is_color && is_open)
                sbuf_puts(b, SGR_RESET);
            is_open = false;
            i += 4;
        } else if (s[i] == '&' && (n = entity_decode(s + i, len - i, &cp))) {
            put_code_point(b, cp, &was_control);
            i += n;
        } else {
            /* One UTF-8 sequence at most (bytes of a sequence are never
             * '<' or '&'), through the control filter. */
            n = 1;
            while (i + n < len && ((unsigned char)s[i + n] & 0xC0) == 0x80)
                n++;
            if (n == 1 && ((unsigned char)s[i] < 0x20 || s[i] == 0x7F))
                put_control(b, &was_control);
            else if (n == 2 && (unsigned char)s[i] == 0xC2 &&
                     (unsigned char)s[i + 1] < 0xA0)
                put_control(b, &was_control);
            else {
                sbuf_put(b, s + i, n);
                was_control = false;
            }
            i += n;
        }
    }
    if (is_color && is_open)
        sbuf_puts(b, SGR_RESET);
}

/* The string member key of obj, or NULL when absent, null, not a string
 * or empty.  Borrowed from obj. */
static const json_t *
get_text(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);

    return json_is_string(v) && json_string_length(v) > 0 ? v : NULL;
}

/* Append member key of obj, cleaned, or dflt when it has no text. */
static void
put_field(struct sbuf *b, const json_t *obj, const char *key,
          const char *dflt)
{
    const json_t *v = get_text(obj, key);

    if (v)
        put_clean(b, json_string_value(v), json_string_length(v));
    else
        sbuf_puts(b, dflt);
}

/* Integer member key of obj into *out; false when absent or not one. */
static bool
get_count(const json_t *obj, const char *key, long long *out)
{
    const json_t *v = json_object_get(obj, key);

    if (!json_is_integer(v))
        return false;
    *out = (long long)json_integer_value(v);
    return true;
}

/* ---- arguments -------------------------------------------------------- */

static void
usage(FILE *out)
{
    fprintf(out,
"Usage: searchc [OPTIONS] QUERY...\n"
"       searchc [OPTIONS] --like PATH[#MEMBER] [QUERY...]\n"
"       searchc [OPTIONS] --ping | --status [--follow] | --add PATH\n"
"       searchc [OPTIONS] --failures | --reload\n"
"\n"
"Search the articles indexed by a running searchd and print ranked hits\n"
"with the matches highlighted.  The QUERY words are joined with spaces;\n"
"by default every word must match.  The language (searchc(1) and\n"
"doc/query.md): words, \"phrases\", AND, OR, NOT, NEAR, (groups), +must,\n"
"-mustnot, prefix*, title:, author:, outlet:, place:, keyword:, lang:,\n"
"date:2019-07..2019-08.  Operators count only in upper case.  Put --\n"
"before a query that starts with '-'.\n"
"\n"
"Options:\n"
"  -n, --limit N         show at most N hits (1-%d, default %d)\n"
"      --offset N        skip the first N hits (0-%d, default 0)\n"
"      --any             rank documents that match any of the words (for\n"
"                        long natural-language queries); by default every\n"
"                        word must match\n"
"      --all             show every copy of a story as a hit of its own; by\n"
"                        default copies (the same text, or nearly, in other\n"
"                        files or outlets) show once, with \"also in\"\n"
"      --copies          list the copies folded into each hit\n"
"      --since DATE      only articles dated in or after DATE (YYYY,\n"
"                        YYYY-MM or YYYY-MM-DD: a whole year or month)\n"
"      --until DATE      only articles dated in or before DATE\n"
"      --outlet NAME     only articles from that outlet (whole name, any\n"
"                        case)\n"
"      --sort ORDER      relevance (default), newest or oldest; ties go\n"
"                        by relevance\n"
"      --facets          also count the matches by outlet and by year\n"
"      --like PATH[#MEMBER]  find articles like the one indexed from PATH\n"
"                        (MEMBER: one article of a container file, as hits\n"
"                        show it); QUERY words are then optional and, if\n"
"                        given, must match\n"
"      --correct         when a word is unknown to the index and a spelling\n"
"                        correction finds articles, search for that instead\n"
"                        (without it, the correction is only suggested)\n"
"      --json            print searchd's reply line as it came (JSON)\n"
"      --color[=WHEN]    highlight: auto (default), always or never\n"
"  -s, --socket PATH     searchd's socket (default: see below)\n"
"      --timeout SECONDS wait at most this long for searchd (default %d;\n"
"                        0 waits for ever)\n"
"      --ping            check that searchd answers\n"
"      --status          show searchd's index and queue counters, with a\n"
"                        progress bar while it indexes (on a terminal)\n"
"  -f, --follow          with --status: keep showing progress until the\n"
"                        queue is empty and the first scan done\n"
"      --failures        list the files that could not be indexed, with\n"
"                        the plugin and the reason (--limit, --offset page)\n"
"      --add PATH        index the file or folder PATH now and wait\n"
"      --reload          make searchd re-read its configuration file and\n"
"                        plugin folder (as SIGHUP does), and say how it went\n"
"  -h, --help            show this help\n"
"  -V, --version         show the version\n"
"\n"
"Default socket: $SEARCHD_SOCKET, else $XDG_RUNTIME_DIR/searchd/searchd.sock,\n"
"else " RUNSTATEDIR "/searchd/searchd.sock for root, else\n"
"/tmp/searchd-UID/searchd.sock; when that per-user socket does not exist,\n"
"the system searchd's " SC_SYSTEM_SOCKET ".\n"
"--color=auto gives no colour when NO_COLOR is set (not empty) or when\n"
"output is not a terminal.\n"
"\n"
"Exit status: 0 hits found (or the operation succeeded), 1 no hits,\n"
"2 usage, connection or reply trouble, 3 searchd answered with an error.\n",
            SD_PROTO_MAX_LIMIT, SD_PROTO_DEFAULT_LIMIT, SD_PROTO_MAX_OFFSET,
            SC_DEFAULT_TIMEOUT);
}

/*
 * The socket when --socket names none: searchd's own default (see
 * util_default_socket_path), but when that is a per-user socket and
 * nothing is there, the system daemon's (searchd.socket) if it exists.
 * $SEARCHD_SOCKET names one exactly: no second guess.  Returns an owned
 * string; *system_missing says the per-user socket was missing and the
 * system one was not there either (for the error message).
 */
static char *
default_socket(bool *system_missing)
{
    const char *env = getenv("SEARCHD_SOCKET");
    char *path = util_default_socket_path();
    struct stat st;

    *system_missing = false;
    if ((env != NULL && env[0] != '\0') ||
        strcmp(path, SC_SYSTEM_SOCKET) == 0 ||
        lstat(path, &st) == 0 || errno != ENOENT)
        return path;
    if (stat(SC_SYSTEM_SOCKET, &st) == 0 && S_ISSOCK(st.st_mode)) {
        free(path);
        return xstrdup(SC_SYSTEM_SOCKET);
    }
    *system_missing = true;
    return path;
}

/* Parse the argument of option name into *out, within [min, max]. */
static bool
parse_number(const char *name, const char *arg, long min, long max,
             long *out)
{
    if (parse_long(arg, min, max, out) == 0)
        return true;
    fprintf(stderr, "searchc: %s: '%s' is not a whole number from %ld to "
            "%ld\n", name, arg, min, max);
    return false;
}

static bool
parse_color(const char *arg, enum sc_color *out)
{
    if (arg == NULL || strcmp(arg, "always") == 0)
        *out = COLOR_ALWAYS;
    else if (strcmp(arg, "auto") == 0)
        *out = COLOR_AUTO;
    else if (strcmp(arg, "never") == 0)
        *out = COLOR_NEVER;
    else {
        fprintf(stderr, "searchc: --color: '%s' is not auto, always or "
                "never\n", arg);
        return false;
    }
    return true;
}

/* Colour for auto: stdout is a terminal and NO_COLOR is unset or empty
 * (https://no-color.org). */
static bool
resolve_color(enum sc_color when)
{
    const char *no_color = getenv("NO_COLOR");

    switch (when) {
    case COLOR_ALWAYS:
        return true;
    case COLOR_NEVER:
        return false;
    case COLOR_AUTO:
        break;
    }
    return isatty(STDOUT_FILENO) && (no_color == NULL || no_color[0] == '\0');
}

static bool
set_mode(struct options *o, enum sc_mode mode)
{
    if (o->is_mode_set && o->mode != mode) {
        fputs("searchc: use only one of --ping, --status, --add, "
              "--failures and --reload\n", stderr);
        return false;
    }
    if (o->is_mode_set && mode == MODE_ADD) {
        fputs("searchc: --add takes one PATH; give a folder to add "
              "several files\n", stderr);
        return false;
    }
    o->mode = mode;
    o->is_mode_set = true;
    return true;
}

/*
 * Join words[0..n) with spaces into o->query.  The query must be valid
 * UTF-8 (JSON carries nothing else), not blank, and within
 * SD_PROTO_MAX_QUERY bytes, checked before anything is allocated.
 */
static bool
join_query(struct options *o, char **words, int n)
{
    size_t total = 0, len;
    bool is_blank = true;
    char *q;
    int i;

    for (i = 0; i < n; i++) {
        total += strlen(words[i]) + (i > 0);
        if (total > SD_PROTO_MAX_QUERY) {
            fprintf(stderr, "searchc: the query is over the limit of %d "
                    "bytes\n", SD_PROTO_MAX_QUERY);
            return false;
        }
    }
    q = xmalloc(total + 1);
    for (i = 0, len = 0; i < n; i++) {
        size_t w = strlen(words[i]);

        if (i > 0)
            q[len++] = ' ';
        memcpy(q + len, words[i], w);
        len += w;
    }
    q[len] = '\0';
    for (i = 0; q[i]; i++)
        if (!strchr(" \t\n\r\f\v", q[i]))
            is_blank = false;
    o->query = q;   /* owned by o from here, even on the errors below */
    if (is_blank) {
        fputs("searchc: the query is empty\n", stderr);
        return false;
    }
    if (!utf8_valid(q, len)) {
        fputs("searchc: the query is not valid UTF-8\n", stderr);
        return false;
    }
    return true;
}

/* What is left of argv after the options: a query for a search, nothing
 * for the other modes. */
static bool
take_operands(struct options *o, char **words, int n)
{
    static const char *const mode_opt[] = {
        [MODE_SEARCH] = "", [MODE_PING] = "--ping",
        [MODE_STATUS] = "--status", [MODE_ADD] = "--add",
        [MODE_FAILURES] = "--failures", [MODE_RELOAD] = "--reload",
    };

    if (o->mode != MODE_SEARCH) {
        if (n == 0)
            return true;
        fprintf(stderr, "searchc: %s takes no query (got '%s')\n",
                mode_opt[o->mode], words[0]);
        return false;
    }
    if (n == 0 && o->like_arg != NULL)
        return true;    /* --like alone */
    if (n == 0) {
        fputs("searchc: no query given\n", stderr);
        return false;
    }
    return join_query(o, words, n);
}

/* Handle one option; false on a usage error (message printed). */
static bool
take_option(struct options *o, int opt, const char *arg,
            enum sc_color *color, const char **socket_arg)
{
    switch (opt) {
    case OPT_JSON:
        o->is_json = true;
        return true;
    case 'n':
        o->is_limit_set = true;
        return parse_number("--limit", arg, 1, SD_PROTO_MAX_LIMIT,
                            &o->limit);
    case OPT_OFFSET:
        return parse_number("--offset", arg, 0, SD_PROTO_MAX_OFFSET,
                            &o->offset);
    case OPT_TIMEOUT:
        return parse_number("--timeout", arg, 0, SC_MAX_TIMEOUT,
                            &o->timeout_s);
    case 's':
        if (arg[0] == '\0') {
            fputs("searchc: --socket: the path is empty\n", stderr);
            return false;
        }
        *socket_arg = arg;
        return true;
    case OPT_COLOR:
        return parse_color(arg, color);
    case OPT_PING:
        return set_mode(o, MODE_PING);
    case OPT_STATUS:
        return set_mode(o, MODE_STATUS);
    case OPT_ADD:
        o->add_arg = arg;
        return set_mode(o, MODE_ADD);
    case OPT_FAILURES:
        return set_mode(o, MODE_FAILURES);
    case OPT_RELOAD:
        return set_mode(o, MODE_RELOAD);
    case 'f':
        o->is_follow = true;
        return true;
    case OPT_ANY:
        o->is_any = true;
        return true;
    case OPT_ALL:
        o->is_all = true;
        return true;
    case OPT_COPIES:
        o->is_copies = true;
        return true;
    case OPT_SINCE:
        o->since = arg;
        return true;
    case OPT_UNTIL:
        o->until = arg;
        return true;
    case OPT_OUTLET:
        o->outlet = arg;
        return true;
    case OPT_SORT:
        if (strcmp(arg, "relevance") != 0 && strcmp(arg, "newest") != 0 &&
            strcmp(arg, "oldest") != 0) {
            fprintf(stderr, "searchc: --sort: '%s' is not relevance, "
                    "newest or oldest\n", arg);
            return false;
        }
        o->sort = arg;
        return true;
    case OPT_CORRECT:
        o->is_correct = true;
        return true;
    case OPT_LIKE:
        if (arg[0] == '\0') {
            fputs("searchc: --like: the path is empty\n", stderr);
            return false;
        }
        o->like_arg = arg;
        return true;
    case OPT_FACETS:
        o->is_facets = true;
        return true;
    default:
        /* getopt_long has printed what was wrong. */
        return false;
    }
}

/*
 * Fill *o from the command line.  Returns -1 to go on, or the exit status
 * to stop with (0 after --help or --version, SC_EXIT_TROUBLE on a usage
 * error, with the message printed).  *o is always safe to options_clear.
 */
static int
parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        { "json", no_argument, NULL, OPT_JSON },
        { "limit", required_argument, NULL, 'n' },
        { "offset", required_argument, NULL, OPT_OFFSET },
        { "socket", required_argument, NULL, 's' },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "color", optional_argument, NULL, OPT_COLOR },
        { "ping", no_argument, NULL, OPT_PING },
        { "status", no_argument, NULL, OPT_STATUS },
        { "add", required_argument, NULL, OPT_ADD },
        { "failures", no_argument, NULL, OPT_FAILURES },
        { "reload", no_argument, NULL, OPT_RELOAD },
        { "follow", no_argument, NULL, 'f' },
        { "any", no_argument, NULL, OPT_ANY },
        { "all", no_argument, NULL, OPT_ALL },
        { "copies", no_argument, NULL, OPT_COPIES },
        { "since", required_argument, NULL, OPT_SINCE },
        { "until", required_argument, NULL, OPT_UNTIL },
        { "outlet", required_argument, NULL, OPT_OUTLET },
        { "sort", required_argument, NULL, OPT_SORT },
        { "facets", no_argument, NULL, OPT_FACETS },
        { "correct", no_argument, NULL, OPT_CORRECT },
        { "like", required_argument, NULL, OPT_LIKE },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    static char prog[] = "searchc";
    enum sc_color color = COLOR_AUTO;
    const char *socket_arg = NULL;
    int opt;

    memset(o, 0, sizeof(*o));
    o->limit = SD_PROTO_DEFAULT_LIMIT;
    o->timeout_s = SC_DEFAULT_TIMEOUT;
    /* getopt names the program from argv[0]; a libtool wrapper or a path
     * would make that "lt-searchc" or "/usr/bin/searchc". */
    if (argc > 0)
        argv[0] = prog;
    while ((opt = getopt_long(argc, argv, "n:s:fhV", longopts, NULL)) != -1) {
        if (opt == 'h') {
            usage(stdout);
            return SC_EXIT_OK;
        }
        if (opt == 'V') {
            printf("searchc %s (protocol %d)\n", PACKAGE_VERSION,
                   SD_PROTO_VERSION);
            return SC_EXIT_OK;
        }
        if (!take_option(o, opt, optarg, &color, &socket_arg))
            goto usage_error;
    }
    if (!take_operands(o, argv + optind, argc - optind))
        goto usage_error;
    if (o->is_follow && o->mode != MODE_STATUS) {
        fputs("searchc: --follow goes with --status\n", stderr);
        goto usage_error;
    }
    if (o->is_all && o->is_copies) {
        fputs("searchc: --all shows every copy as a hit; --copies lists "
              "them under one: choose one\n", stderr);
        goto usage_error;
    }
    o->is_tty = isatty(STDOUT_FILENO);
    o->use_color = resolve_color(color);
    o->socket_path = socket_arg ? xstrdup(socket_arg)
                                : default_socket(&o->system_missing);
    return -1;

usage_error:
    try_help();
    return SC_EXIT_TROUBLE;
}

static void
options_clear(struct options *o)
{
    free(o->socket_path);
    free(o->query);
    free(o->like_path);
    free(o->like_member);
    memset(o, 0, sizeof(*o));
}

/* ---- the request ------------------------------------------------------ */

/*
 * Clean an absolute path in place, by its text alone: no empty or "."
 * components, ".." takes the one before it away, no trailing "/".
 */
static void
normalize_lexically(char *path)
{
    char *in = path, *out = path;

    assert(path[0] == '/');
    while (*in) {
        char *end;
        size_t n;

        while (*in == '/')
            in++;
        end = strchrnul(in, '/');
        n = (size_t)(end - in);
        if (n == 0 || (n == 1 && in[0] == '.')) {
            /* nothing to keep */
        } else if (n == 2 && in[0] == '.' && in[1] == '.') {
            while (out > path && *--out != '/')
                ;
        } else {
            *out++ = '/';
            memmove(out, in, n);
            out += n;
        }
        in = end;
    }
    if (out == path)
        *out++ = '/';
    *out = '\0';
}

/*
 * Make an absolute path for a file or folder that does not exist, so that
 * searchd can say so (not_found) and drop what it had indexed under that
 * name: the real folder it would be in, plus its name; when the folder is
 * missing too, the working folder plus path as given, cleaned by its text
 * (normalize_lexically).  Owned, or NULL with the message printed.
 */
static char *
absolute_missing(const char *arg)
{
    char *abs, *slash, *dir, *out, *cwd = NULL;

    if (arg[0] != '/' && (cwd = getcwd(NULL, 0)) == NULL) {
        fprintf(stderr, "searchc: cannot find the working folder: %s\n",
                strerror(errno));
        return NULL;
    }
    abs = cwd ? xasprintf("%s/%s", cwd, arg) : xstrdup(arg);
    free(cwd);
    normalize_lexically(abs);
    slash = strrchr(abs, '/');
    if (slash == abs || slash == NULL)
        return abs;     /* "/" or "/name": nothing to resolve */
    *slash = '\0';
    dir = realpath(abs, NULL);      /* malloc'd: free() */
    *slash = '/';
    if (dir == NULL)
        return abs;
    out = xasprintf("%s%s", strcmp(dir, "/") == 0 ? "" : dir, slash);
    free(dir);
    free(abs);
    return out;
}

/* The path --add sends: absolute and resolved, since searchd's working
 * folder is not ours.  Owned, or NULL with the message printed. */
static char *
resolve_add_path(const char *arg)
{
    char *path;

    if (arg[0] == '\0') {
        fputs("searchc: --add: the path is empty\n", stderr);
        return NULL;
    }
    path = realpath(arg, NULL);         /* malloc'd: free() */
    if (path == NULL && (errno == ENOENT || errno == ENOTDIR))
        path = absolute_missing(arg);
    else if (path == NULL)
        fprintf(stderr, "searchc: %s: %s\n", arg, strerror(errno));
    if (path != NULL && strlen(path) > SD_PROTO_MAX_PATH) {
        fprintf(stderr, "searchc: %s: the path is over the limit of %d "
                "bytes\n", arg, SD_PROTO_MAX_PATH);
        free(path);
        path = NULL;
    }
    return path;
}

/*
 * --like PATH or PATH#MEMBER (a document of a container file, as hits
 * show it): the absolute path as indexed into o->like_path, the member
 * into o->like_member.  A PATH that exists wins over a split at '#', so a
 * file with '#' in its name works.  False with a message on trouble.
 */
static bool
resolve_like(struct options *o)
{
    const char *arg = o->like_arg;
    const char *hash = strrchr(arg, '#');
    char *path = realpath(arg, NULL);

    if (path == NULL && hash != NULL && hash[1] != '\0') {
        char *file = xstrndup(arg, (size_t)(hash - arg));

        o->like_path = resolve_add_path(file);
        free(file);
        if (o->like_path == NULL)
            return false;
        o->like_member = xstrdup(hash + 1);
        return true;
    }
    free(path);
    o->like_path = resolve_add_path(arg);
    return o->like_path != NULL;
}

/* args[key] = value, when value is not NULL.  Command-line text need not
 * be UTF-8: searchd then says which member was bad. */
static void
set_string(json_t *args, const char *key, const char *value)
{
    if (value == NULL)
        return;
    json_t *v = json_string(value);
    if (v == NULL) {
        char *fixed = utf8_replace_invalid(value, strlen(value), NULL);
        v = json_string(fixed);
        free(fixed);
    }
    json_object_set_new(args, key, json_checked(v));
}

/* The request line for o (add_path borrowed; NULL unless MODE_ADD).
 * Owned, "\n"-terminated, length in *len_out. */
static char *
build_request(const struct options *o, const char *add_path,
              size_t *len_out)
{
    json_t *args = json_checked(json_object());
    enum proto_op op = PROTO_OP_PING;
    char *line;

    switch (o->mode) {
    case MODE_SEARCH:
        op = PROTO_OP_SEARCH;
        if (o->query != NULL)
            json_object_set_new(args, "q",
                                json_checked(json_string(o->query)));
        set_string(args, "like", o->like_path);
        set_string(args, "like_member", o->like_member);
        json_object_set_new(args, "limit",
                            json_checked(json_integer(o->limit)));
        json_object_set_new(args, "offset",
                            json_checked(json_integer(o->offset)));
        if (o->is_any)
            json_object_set_new(args, "match",
                                json_checked(json_string("any")));
        set_string(args, "since", o->since);
        set_string(args, "until", o->until);
        set_string(args, "outlet", o->outlet);
        set_string(args, "sort", o->sort);
        if (o->is_correct)
            json_object_set_new(args, "correct", json_true());
        if (o->is_facets)
            json_object_set_new(args, "facets", json_true());
        if (o->is_all || o->is_copies)
            json_object_set_new(args, "copies",
                                json_checked(json_string(
                                    o->is_all ? "all" : "list")));
        break;
    case MODE_PING:
        op = PROTO_OP_PING;
        break;
    case MODE_STATUS:
        op = PROTO_OP_STATUS;
        break;
    case MODE_RELOAD:
        op = PROTO_OP_RELOAD;
        break;
    case MODE_FAILURES:
        op = PROTO_OP_FAILURES;
        json_object_set_new(args, "limit", json_checked(json_integer(
                                o->is_limit_set ? o->limit
                                                : SD_PROTO_MAX_LIMIT)));
        json_object_set_new(args, "offset",
                            json_checked(json_integer(o->offset)));
        break;
    case MODE_ADD:
        assert(add_path);
        op = PROTO_OP_ADD;
        /* "path", plus "path_b64" with the exact bytes when the path is
         * not UTF-8. */
        proto_set_bytes(args, "path", add_path, strlen(add_path));
        break;
    }
    line = proto_request_encode(op, SC_REQUEST_ID, args, len_out);
    json_decref(args);
    return line;
}

/* ---- the socket ------------------------------------------------------- */

/* CLOCK_MONOTONIC in milliseconds. */
static int64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left for poll(): -1 without a deadline (deadline < 0). */
static int
ms_left(int64_t deadline)
{
    int64_t d;

    if (deadline < 0)
        return -1;
    d = deadline - now_ms();
    return d <= 0 ? 0 : d > INT_MAX ? INT_MAX : (int)d;
}

/* Wait until fd is ready for events: 0, -ETIMEDOUT or -errno.  Readiness
 * includes hang-up and error, which the next send/recv then reports. */
static int
wait_fd(int fd, short events, int64_t deadline)
{
    struct pollfd p = { .fd = fd, .events = events };

    for (;;) {
        int n = poll(&p, 1, ms_left(deadline));

        if (n > 0)
            return 0;
        if (n == 0)
            return -ETIMEDOUT;
        if (errno != EINTR)
            return -errno;
    }
}

/*
 * Connect to the Unix socket at path.  Returns a connected, non-blocking
 * socket (owned: close it), or -ENAMETOOLONG (path does not fit
 * sun_path), -ETIMEDOUT (searchd's backlog stayed full for timeout_s) or
 * another -errno from socket/connect.
 */
static int
connect_socket(const char *path, long timeout_s)
{
    struct sockaddr_un sa;
    size_t len = strlen(path);
    int fd, flags;

    if (len >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    memcpy(sa.sun_path, path, len + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* A blocking connect waits while the listener's backlog is full; on
     * Linux SO_SNDTIMEO bounds that wait (connect then fails EAGAIN). */
    if (timeout_s > 0) {
        struct timeval tv = { .tv_sec = timeout_s, .tv_usec = 0 };

        (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    while (connect(fd, (const struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int e = errno;

        if (e == EINTR)
            continue;   /* still unconnected: an AF_UNIX connect restarts */
        if (e == EISCONN)
            break;
        close(fd);
        return e == EAGAIN ? -ETIMEDOUT : -e;
    }
    flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
        int e = errno;

        close(fd);
        return -e;
    }
    return fd;
}

/* Send all of buf: 0, -ETIMEDOUT or -errno.  MSG_NOSIGNAL: a daemon that
 * hung up gives EPIPE here, not SIGPIPE. */
static int
send_all(int fd, const char *buf, size_t len, int64_t deadline)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        int rc;

        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n == 0)
            return -EIO;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        rc = wait_fd(fd, POLLOUT, deadline);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/*
 * Read the first line searchd sends.  On 0, *line_out is an owned copy
 * (NUL-terminated, without its "\n" or "\r\n"), *len_out its length.
 * Returns -ETIMEDOUT, -EMSGSIZE (over SC_MAX_REPLY), -ECONNRESET when
 * searchd closed before a whole line (*got_bytes_out says whether a part
 * came), or another -errno.
 */
static int
recv_line(int fd, int64_t deadline, char **line_out, size_t *len_out,
          bool *got_bytes_out)
{
    struct proto_framer fr;
    char buf[65536];
    int rc;

    *got_bytes_out = false;
    proto_framer_init(&fr, SC_MAX_REPLY);
    for (;;) {
        const char *line;
        size_t len;
        enum proto_frame st = proto_framer_next(&fr, &line, &len);
        ssize_t n;

        if (st == PROTO_FRAME_LINE) {
            char *copy = xmalloc(len + 1);

            memcpy(copy, line, len + 1);
            *line_out = copy;
            *len_out = len;
            rc = 0;
            break;
        }
        if (st == PROTO_FRAME_TOO_BIG) {
            rc = -EMSGSIZE;
            break;
        }
        n = recv(fd, buf, sizeof(buf), 0);
        if (n > 0) {
            *got_bytes_out = true;
            /* Going over the cap shows up at the next proto_framer_next. */
            (void)proto_framer_push(&fr, buf, (size_t)n);
            continue;
        }
        if (n == 0) {
            rc = -ECONNRESET;
            break;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            rc = -errno;
            break;
        }
        rc = wait_fd(fd, POLLIN, deadline);
        if (rc < 0)
            break;
    }
    proto_framer_reset(&fr);
    return rc;
}

static void
report_timeout(long timeout_s)
{
    fprintf(stderr, "searchc: no reply from searchd within %ld s\n",
            timeout_s);
}

static void
report_connect_error(const char *path, int rc, long timeout_s)
{
    if (rc == -ENAMETOOLONG) {
        fprintf(stderr, "searchc: socket path is %zu bytes, too long for a "
                "Unix socket (at most %zu): %s\n", strlen(path),
                sizeof(((struct sockaddr_un *)NULL)->sun_path) - 1, path);
        return;
    }
    if (rc == -ETIMEDOUT) {
        report_timeout(timeout_s);
        return;
    }
    fprintf(stderr, "searchc: cannot connect to %s: %s\n", path,
            strerror(-rc));
    if (rc == -ENOENT || rc == -ECONNREFUSED)
        fprintf(stderr, "searchc: is searchd running? start it with: "
                "searchd --socket %s --watch DIR\n", path);
}

/*
 * Connect, send the request and read one reply line.  Returns 0 with
 * *reply_out owned by the caller (free), or SC_EXIT_TROUBLE with the
 * message printed.
 */
static int
exchange(const struct options *o, const char *request, size_t request_len,
         char **reply_out, size_t *reply_len_out)
{
    int64_t deadline = o->timeout_s > 0 ? now_ms() + o->timeout_s * 1000
                                        : -1;
    bool got_bytes;
    int fd, rc, send_rc;

    fd = connect_socket(o->socket_path, o->timeout_s);
    if (fd < 0) {
        report_connect_error(o->socket_path, fd, o->timeout_s);
        if (o->system_missing)
            fprintf(stderr, "searchc: there is no system searchd either "
                    "(%s); as root: systemctl enable --now "
                    "searchd.socket\n", SC_SYSTEM_SOCKET);
        return SC_EXIT_TROUBLE;
    }
    send_rc = send_all(fd, request, request_len, deadline);
    if (send_rc == -ETIMEDOUT) {
        close(fd);
        report_timeout(o->timeout_s);
        return SC_EXIT_TROUBLE;
    }
    /* On any other send failure searchd may still have answered (busy,
     * too many connections) before it hung up: read what is there. */
    rc = recv_line(fd, deadline, reply_out, reply_len_out, &got_bytes);
    close(fd);
    if (rc == 0)
        return 0;
    if (rc == -ETIMEDOUT)
        report_timeout(o->timeout_s);
    else if (rc == -EMSGSIZE)
        fprintf(stderr, "searchc: reply from searchd is over %u bytes\n",
                SC_MAX_REPLY);
    else if (rc == -ECONNRESET && send_rc < 0)
        fprintf(stderr, "searchc: cannot send to searchd: %s\n",
                strerror(-send_rc));
    else if (rc == -ECONNRESET)
        fprintf(stderr, "searchc: searchd closed the connection %s\n",
                got_bytes ? "in the middle of its reply" : "without a reply");
    else
        fprintf(stderr, "searchc: cannot read from searchd: %s\n",
                strerror(-rc));
    return SC_EXIT_TROUBLE;
}

/* ---- the reply -------------------------------------------------------- */

static void
report_malformed(const char *why)
{
    fprintf(stderr, "searchc: malformed reply from searchd: %s\n", why);
}

/*
 * Parse and check the frame of a reply line: a JSON object with "v" equal
 * to ours, "ok" a boolean, "id" ours (it may be absent only on an error
 * searchd could not tie to a request, e.g. too many connections), and an
 * "error" object with "code" and "message" when not ok.  Returns the
 * object (owned: json_decref) or NULL with the message printed.
 */
static json_t *
parse_reply(const char *line, size_t len)
{
    json_t *root = json_loadb(line, len, 0, NULL);
    const json_t *v, *ok, *id, *err;

    if (root == NULL || !json_is_object(root)) {
        report_malformed("not a JSON object");
        goto fail;
    }
    v = json_object_get(root, "v");
    if (!json_is_integer(v)) {
        report_malformed("no protocol version");
        goto fail;
    }
    if (json_integer_value(v) != SD_PROTO_VERSION) {
        fprintf(stderr, "searchc: searchd speaks protocol version %lld; "
                "searchc speaks version %d\n",
                (long long)json_integer_value(v), SD_PROTO_VERSION);
        goto fail;
    }
    ok = json_object_get(root, "ok");
    if (!json_is_boolean(ok)) {
        report_malformed("no \"ok\"");
        goto fail;
    }
    id = json_object_get(root, "id");
    if (id ? !json_is_integer(id) || json_integer_value(id) != SC_REQUEST_ID
           : json_is_true(ok)) {
        report_malformed("the id is not the request's");
        goto fail;
    }
    err = json_object_get(root, "error");
    if (json_is_false(ok) &&
        (!json_is_string(json_object_get(err, "code")) ||
         !json_is_string(json_object_get(err, "message")))) {
        report_malformed("an error without code and message");
        goto fail;
    }
    return root;

fail:
    json_decref(root);
    return NULL;
}

/* The query with a caret under character pos (a bad_query "position"):
 * one column per character, which holds for the text people type. */
static void
put_caret(struct sbuf *b, const char *query, long long pos)
{
    size_t chars = 0;

    sbuf_puts(b, "  ");
    put_clean(b, query, strlen(query));
    sbuf_puts(b, "\n  ");
    for (const char *p = query; *p != '\0'; p++)
        if (((unsigned char)*p & 0xc0) != 0x80)
            chars++;
    for (long long i = 0; i < pos && (size_t)i < chars; i++)
        sbuf_puts(b, " ");
    sbuf_puts(b, "^\n");
}

/* searchc: searchd: CODE: MESSAGE, cleaned, on stderr; a bad query also
 * shows where it went wrong. */
static void
print_daemon_error(const struct options *o, const json_t *root)
{
    const json_t *err = json_object_get(root, "error");
    const json_t *code = json_object_get(err, "code");
    const json_t *msg = json_object_get(err, "message");
    const json_t *pos = json_object_get(err, "position");
    struct sbuf b = { NULL, 0, 0 };

    sbuf_puts(&b, "searchc: searchd: ");
    put_clean(&b, json_string_value(code), json_string_length(code));
    sbuf_puts(&b, ": ");
    put_clean(&b, json_string_value(msg), json_string_length(msg));
    sbuf_puts(&b, "\n");
    if (o->mode == MODE_SEARCH && o->query != NULL && json_is_integer(pos) &&
        json_integer_value(pos) >= 0)
        put_caret(&b, o->query, json_integer_value(pos));
    fputs(b.p, stderr);
    sbuf_free(&b);
}

/* The facets of a search reply, under the hits: "outlet: A 12, B 3". */
static void
print_facets(const json_t *root)
{
    static const char *const names[] = {"outlet", "year"};
    const json_t *facets = json_object_get(root, "facets");
    struct sbuf b = { NULL, 0, 0 };

    if (!json_is_object(facets))
        return;
    for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
        const json_t *arr = json_object_get(facets, names[f]);
        size_t n = json_array_size(arr);

        sbuf_puts(&b, names[f]);
        sbuf_puts(&b, ":");
        if (n == 0)
            sbuf_puts(&b, " (none)");
        for (size_t i = 0; i < n; i++) {
            const json_t *e = json_array_get(arr, i);
            const json_t *v = get_text(e, "value");
            long long count;
            char num[32];

            if (v == NULL || !get_count(e, "count", &count))
                continue;
            sbuf_puts(&b, i > 0 ? ", " : " ");
            put_clean(&b, json_string_value(v), json_string_length(v));
            snprintf(num, sizeof(num), " %lld", count);
            sbuf_puts(&b, num);
        }
        sbuf_puts(&b, "\n");
    }
    sbuf_flush(&b);
    sbuf_free(&b);
}

/*
 * The copies folded into a hit: "also in 2 outlets: A, B (3 copies)" or
 * "also 1 copy", and with --copies one line per listed copy.
 */
static void
print_copies(struct sbuf *b, const json_t *hit, bool is_list)
{
    const json_t *also = json_object_get(hit, "also_in");
    const json_t *list = json_object_get(hit, "copy_list");
    size_t k = json_is_array(also) ? json_array_size(also) : 0;
    long long copies;
    char num[96];

    if (!get_count(hit, "copies", &copies) || copies <= 0)
        return;
    if (k > 0) {
        snprintf(num, sizeof(num), "   also in %zu outlet%s: ", k,
                 k == 1 ? "" : "s");
        sbuf_puts(b, num);
        for (size_t i = 0; i < k; i++) {
            const json_t *v = json_array_get(also, i);

            if (i > 0)
                sbuf_puts(b, ", ");
            if (json_is_string(v))
                put_clean(b, json_string_value(v), json_string_length(v));
        }
        if ((long long)k != copies) {
            snprintf(num, sizeof(num), " (%lld copies)", copies);
            sbuf_puts(b, num);
        }
    } else {
        snprintf(num, sizeof(num), "   also %lld cop%s", copies,
                 copies == 1 ? "y" : "ies");
        sbuf_puts(b, num);
    }
    sbuf_puts(b, "\n");
    if (!is_list || !json_is_array(list))
        return;
    for (size_t i = 0; i < json_array_size(list); i++) {
        const json_t *c = json_array_get(list, i);
        const json_t *member = get_text(c, "member");

        sbuf_puts(b, json_is_false(json_object_get(c, "exact"))
                         ? "     near: " : "     copy: ");
        put_field(b, c, "outlet", "unknown outlet");
        sbuf_puts(b, " | ");
        put_field(b, c, "date", "undated");
        sbuf_puts(b, " | ");
        put_field(b, c, "path", "(no path)");
        if (member) {
            sbuf_puts(b, " [");
            put_clean(b, json_string_value(member),
                      json_string_length(member));
            sbuf_puts(b, "]");
        }
        sbuf_puts(b, "\n");
    }
    if ((long long)json_array_size(list) < copies) {
        snprintf(num, sizeof(num), "     and %lld more\n",
                 copies - (long long)json_array_size(list));
        sbuf_puts(b, num);
    }
}

/* One hit, as searchc(1) OUTPUT shows it. */
static void
print_hit(struct sbuf *b, const json_t *hit, long long rank, bool is_color,
          bool is_list)
{
    const json_t *snippet = get_text(hit, "snippet");
    const json_t *member = get_text(hit, "member");
    const json_t *url = get_text(hit, "url");
    char num[32];

    snprintf(num, sizeof(num), "%lld. ", rank);
    sbuf_puts(b, num);
    if (is_color)
        sbuf_puts(b, SGR_TITLE);
    put_field(b, hit, "title", "(untitled)");
    if (is_color)
        sbuf_puts(b, SGR_RESET);
    sbuf_puts(b, "\n   ");
    put_field(b, hit, "outlet", "unknown outlet");
    sbuf_puts(b, " | ");
    put_field(b, hit, "date", "undated");
    sbuf_puts(b, " | ");
    put_field(b, hit, "path", "(no path)");
    if (member) {
        sbuf_puts(b, " [");
        put_clean(b, json_string_value(member), json_string_length(member));
        sbuf_puts(b, "]");
    }
    sbuf_puts(b, "\n");
    /* A web page or a feed item: its own address, where a reader goes. */
    if (url) {
        sbuf_puts(b, "   ");
        put_clean(b, json_string_value(url), json_string_length(url));
        sbuf_puts(b, "\n");
    }
    print_copies(b, hit, is_list);
    if (snippet) {
        sbuf_puts(b, "   ");
        put_snippet(b, json_string_value(snippet),
                    json_string_length(snippet), is_color);
        sbuf_puts(b, "\n");
    }
    sbuf_puts(b, "\n");
    sbuf_flush(b);
}

/* The reply's spelling suggestion, or NULL. */
static const char *
suggestion_of(const json_t *root)
{
    const json_t *s = json_object_get(root, "suggestion");

    return json_is_string(s) ? json_string_value(s) : NULL;
}

/* `no hits for "QUERY"` on stderr, with a suggestion if there is one;
 * exit status 1. */
static int
report_no_hits(const struct options *o, const json_t *root, long long total)
{
    struct sbuf b = { NULL, 0, 0 };
    const char *sugg = suggestion_of(root);

    sbuf_puts(&b, o->query != NULL ? "no hits for \"" : "nothing like \"");
    if (o->query != NULL)
        put_clean(&b, o->query, strlen(o->query));
    else
        put_clean(&b, o->like_arg, strlen(o->like_arg));
    sbuf_puts(&b, "\"");
    if (sugg != NULL && !json_is_true(json_object_get(root, "corrected"))) {
        sbuf_puts(&b, "; did you mean \"");
        put_clean(&b, sugg, strlen(sugg));
        sbuf_puts(&b, "\"? (--correct searches it)");
    }
    if (o->offset > 0 && total > 0) {
        char more[96];

        snprintf(more, sizeof(more), " past hit %ld (%lld in all)",
                 o->offset, total);
        sbuf_puts(&b, more);
    }
    sbuf_puts(&b, "\n");
    fputs(b.p, stderr);
    sbuf_free(&b);
    return SC_EXIT_NO_HITS;
}

static int
print_search(const struct options *o, const json_t *root)
{
    const json_t *hits = json_object_get(root, "hits");
    const json_t *exact = json_object_get(root, "total_exact");
    const char *about = json_is_false(exact) ? "about " : "";
    struct sbuf b = { NULL, 0, 0 };
    long long total, rank;
    size_t i, n;

    if (!json_is_array(hits) || !get_count(root, "total", &total)) {
        report_malformed("a search result without \"hits\" or \"total\"");
        return SC_EXIT_TROUBLE;
    }
    n = json_array_size(hits);
    if (n == 0)
        return report_no_hits(o, root, total);
    if (suggestion_of(root) != NULL &&
        json_is_true(json_object_get(root, "corrected"))) {
        sbuf_puts(&b, "Showing hits for \"");
        put_clean(&b, suggestion_of(root), strlen(suggestion_of(root)));
        sbuf_puts(&b, "\" (words of \"");
        put_clean(&b, o->query, strlen(o->query));
        sbuf_puts(&b, "\" are not in the index)\n\n");
        sbuf_flush(&b);
    }
    for (i = 0; i < n; i++) {
        const json_t *hit = json_array_get(hits, i);

        if (!json_is_object(hit))
            continue;
        if (!get_count(hit, "rank", &rank))
            rank = o->offset + (long long)i + 1;
        print_hit(&b, hit, rank, o->use_color, o->is_copies);
    }
    sbuf_free(&b);
    print_facets(root);
    if (o->offset > 0)
        printf("hits %ld-%lld of %s%lld", o->offset + 1,
               o->offset + (long long)n, about, total);
    else
        printf("%zu of %s%lld hits", n, about, total);
    if (o->sort != NULL && strcmp(o->sort, "newest") == 0)
        fputs(", newest first", stdout);
    else if (o->sort != NULL && strcmp(o->sort, "oldest") == 0)
        fputs(", oldest first", stdout);
    putchar('\n');
    if (suggestion_of(root) != NULL &&
        !json_is_true(json_object_get(root, "corrected"))) {
        sbuf_puts(&b, "Did you mean \"");
        put_clean(&b, suggestion_of(root), strlen(suggestion_of(root)));
        sbuf_puts(&b, "\"? (--correct searches it)\n");
        sbuf_flush(&b);
        sbuf_free(&b);
    }
    return SC_EXIT_OK;
}

/* "3d 4h 5m 6s", leading zero units left out. */
static void
format_uptime(char *out, size_t outlen, long long s)
{
    long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60;

    if (d > 0)
        snprintf(out, outlen, "%lldd %lldh %lldm %llds", d, h, m, s % 60);
    else if (h > 0)
        snprintf(out, outlen, "%lldh %lldm %llds", h, m, s % 60);
    else if (m > 0)
        snprintf(out, outlen, "%lldm %llds", m, s % 60);
    else
        snprintf(out, outlen, "%llds", s);
}

/* One "label:  value" line of --status; value NULL shows "?". */
static void
print_status_line(const char *label, const char *value)
{
    printf("%-17s%s\n", label, value ? value : "?");
}

static void
print_status_count(const json_t *root, const char *key, const char *label)
{
    char num[32];
    long long v;
    bool is_known = get_count(root, key, &v);

    if (is_known)
        snprintf(num, sizeof(num), "%lld", v);
    print_status_line(label, is_known ? num : NULL);
}

/* "name version, ..." from the "plugins" array, or "none". */
static void
put_plugins(struct sbuf *b, const json_t *plugins)
{
    size_t i, shown = 0;

    for (i = 0; i < json_array_size(plugins); i++) {
        const json_t *p = json_array_get(plugins, i);

        if (!json_is_object(p))
            continue;
        if (shown++ > 0)
            sbuf_puts(b, ", ");
        put_field(b, p, "name", "?");
        sbuf_puts(b, " ");
        put_field(b, p, "version", "?");
    }
    if (shown == 0)
        sbuf_puts(b, "none");
}

/* A rate member ("files_per_s") as text, "?" when absent. */
static void
format_rate(char *out, size_t outlen, const json_t *root, const char *key)
{
    const json_t *v = json_object_get(root, key);

    if (json_is_number(v) && json_number_value(v) >= 0)
        snprintf(out, outlen, "%.1f", json_number_value(v));
    else
        snprintf(out, outlen, "?");
}

/* Is searchd still busy: queue not empty, or the first scan not done? */
static bool
is_indexing(const json_t *root)
{
    long long queued = 0;

    return (get_count(root, "queued", &queued) && queued > 0) ||
           json_is_false(json_object_get(root, "scan_done"));
}

/*
 * The progress line: on a terminal a bar redrawn in place
 * ("[#####.....]  45%  8500/18846 files  1100.0 files/s  ETA 9s"), else
 * a plain line per call.
 */
static void
print_progress(const struct options *o, const json_t *root, bool is_final)
{
    long long done = 0, queued = 0;
    double pct;
    char rate[32], eta[32] = "";
    const json_t *fps = json_object_get(root, "files_per_s");

    get_count(root, "files_done", &done);
    get_count(root, "queued", &queued);
    pct = done + queued > 0 ? 100.0 * (double)done / (double)(done + queued)
                            : 100.0;
    format_rate(rate, sizeof rate, root, "files_per_s");
    if (queued > 0 && json_is_number(fps) && json_number_value(fps) > 0)
        snprintf(eta, sizeof eta, "%sETA %.0fs", o->is_tty ? "  " : ", ",
                 (double)queued / json_number_value(fps));
    if (o->is_tty) {
        char bar[31];
        int fill = (int)(pct * 30 / 100);

        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '.', (size_t)(30 - fill));
        bar[30] = '\0';
        printf("\r[%s] %3.0f%%  %lld/%lld files  %s files/s%s\033[K%s", bar,
               pct, done, done + queued, rate, eta, is_final ? "\n" : "");
    } else {
        printf("progress: %lld/%lld files (%.0f%%), %s files/s%s%s\n", done,
               done + queued, pct, rate, eta,
               json_is_false(json_object_get(root, "scan_done"))
                   ? ", scanning" : "");
    }
    fflush(stdout);
}

/* "3 (refused 0, timed out 2)"; "?" from a searchd that does not say. */
static void
print_connections(const json_t *root)
{
    long long open, refused, timed_out;
    char line[128];

    if (!get_count(root, "connections", &open)) {
        print_status_line("connections:", NULL);
        return;
    }
    if (get_count(root, "connections_refused", &refused) &&
        get_count(root, "connections_timed_out", &timed_out))
        snprintf(line, sizeof line, "%lld (refused busy %lld, timed out "
                 "%lld)", open, refused, timed_out);
    else
        snprintf(line, sizeof line, "%lld", open);
    print_status_line("connections:", line);
}

/* The health line, and one line per fault (what, subject: message);
 * an older searchd sends neither, and nothing is shown. */
static void
print_faults(const json_t *root)
{
    const json_t *health = json_object_get(root, "health");
    const json_t *faults = json_object_get(root, "faults");
    size_t i;
    const json_t *f;

    if (!json_is_string(health))
        return;
    print_status_line("health:", json_string_value(health));
    json_array_foreach(faults, i, f) {
        const char *what = json_string_value(json_object_get(f, "what"));
        const char *subj = json_string_value(json_object_get(f, "subject"));
        const char *msg = json_string_value(json_object_get(f, "message"));

        printf("  %s: %s: %s\n", what ? what : "?", subj ? subj : "?",
               msg ? msg : "?");
    }
}

static int
print_status(const struct options *o, const json_t *root)
{
    const json_t *scan = json_object_get(root, "scan_done");
    struct sbuf b = { NULL, 0, 0 };
    char uptime[64], rate[32];
    long long up;

    print_status_count(root, "documents", "documents:");
    print_status_count(root, "queued", "queued:");
    print_status_count(root, "failed", "failed:");
    print_status_count(root, "indexed_files", "indexed files:");
    print_status_count(root, "unchanged_files", "unchanged files:");
    format_rate(rate, sizeof rate, root, "files_per_s");
    print_status_line("files/s:", rate);
    format_rate(rate, sizeof rate, root, "docs_per_s");
    print_status_line("documents/s:", rate);
    print_status_count(root, "shards", "shards:");
    print_status_count(root, "workers", "workers:");
    put_field(&b, root, "sandbox", "?");
    print_status_line("sandbox:", b.p);
    b.len = 0;
    print_status_line("scan done:", !json_is_boolean(scan) ? NULL
                                    : json_is_true(scan) ? "yes" : "no");
    put_field(&b, root, "version", "?");
    print_status_line("version:", b.p);
    print_status_count(root, "pid", "pid:");
    if (get_count(root, "uptime_s", &up) && up >= 0)
        format_uptime(uptime, sizeof(uptime), up);
    else
        snprintf(uptime, sizeof(uptime), "?");
    print_status_line("uptime:", uptime);
    print_connections(root);
    b.len = 0;
    put_plugins(&b, json_object_get(root, "plugins"));
    print_status_line("plugins:", b.p);
    sbuf_free(&b);
    print_faults(root);
    if (is_indexing(root) && (o->is_tty || o->is_follow))
        print_progress(o, root, !o->is_follow);
    return SC_EXIT_OK;
}

static int
print_failures(const json_t *root)
{
    const json_t *list = json_object_get(root, "failures");
    struct sbuf b = { NULL, 0, 0 };
    long long total;
    size_t n = json_array_size(list);

    if (!get_count(root, "total", &total) || !json_is_array(list)) {
        report_malformed("a failures reply without \"total\" and "
                         "\"failures\"");
        return SC_EXIT_TROUBLE;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(list, i);
        const json_t *plugin = get_text(e, "plugin");

        put_field(&b, e, "path", "?");
        sbuf_puts(&b, ": ");
        if (plugin != NULL && json_string_length(plugin) > 0)
            put_field(&b, e, "plugin", "?");
        else
            sbuf_puts(&b, "(no plugin)");
        sbuf_puts(&b, ": ");
        put_field(&b, e, "reason", "?");
        sbuf_puts(&b, "\n");
        sbuf_flush(&b);
    }
    sbuf_free(&b);
    printf("%lld failed file%s", total, total == 1 ? "" : "s");
    if ((long long)n < total)
        printf(" (%zu shown; --offset and --limit show others)", n);
    putchar('\n');
    return SC_EXIT_OK;
}

static int
print_ping(const json_t *root)
{
    struct sbuf b = { NULL, 0, 0 };

    sbuf_puts(&b, "pong (searchd ");
    put_field(&b, root, "version", "of unknown version");
    sbuf_puts(&b, ")\n");
    sbuf_flush(&b);
    sbuf_free(&b);
    return SC_EXIT_OK;
}

static int
print_reload(const json_t *root)
{
    long long plugins;

    if (!get_count(root, "plugins", &plugins)) {
        report_malformed("a reload reply without \"plugins\"");
        return SC_EXIT_TROUBLE;
    }
    printf("reloaded: %lld plugins\n", plugins);
    return SC_EXIT_OK;
}

static int
print_add(const json_t *root)
{
    const json_t *errors = json_object_get(root, "errors");
    struct sbuf b = { NULL, 0, 0 };
    long long files, docs, failed;
    size_t i, n = json_array_size(errors);

    if (!get_count(root, "files", &files) ||
        !get_count(root, "documents", &docs) ||
        !get_count(root, "failed", &failed)) {
        report_malformed("an add result without its counts");
        return SC_EXIT_TROUBLE;
    }
    printf("indexed %lld files, %lld documents, %lld failed\n", files, docs,
           failed);
    for (i = 0; i < n; i++) {
        const json_t *e = json_array_get(errors, i);

        sbuf_puts(&b, "failed: ");
        put_field(&b, e, "path", "?");
        sbuf_puts(&b, ": ");
        put_field(&b, e, "reason", "?");
        sbuf_puts(&b, "\n");
        sbuf_flush(&b);
    }
    if (failed > (long long)n)
        printf("failed: (%lld more not listed)\n", failed - (long long)n);
    sbuf_free(&b);
    return SC_EXIT_OK;
}

/* Print a checked reply (root borrowed; line is its text) as o asks and
 * return the exit status. */
static int
print_reply(const struct options *o, const json_t *root, const char *line,
            size_t len)
{
    if (json_is_false(json_object_get(root, "ok"))) {
        if (o->is_json) {
            fwrite(line, 1, len, stdout);
            putchar('\n');
        }
        print_daemon_error(o, root);
        return SC_EXIT_DAEMON;
    }
    if (o->is_json) {
        const json_t *hits = json_object_get(root, "hits");

        if (o->mode == MODE_SEARCH && !json_is_array(hits)) {
            report_malformed("a search result without \"hits\"");
            return SC_EXIT_TROUBLE;
        }
        fwrite(line, 1, len, stdout);
        putchar('\n');
        if (o->mode == MODE_SEARCH && json_array_size(hits) == 0)
            return SC_EXIT_NO_HITS;
        return SC_EXIT_OK;
    }
    switch (o->mode) {
    case MODE_SEARCH:
        return print_search(o, root);
    case MODE_PING:
        return print_ping(root);
    case MODE_STATUS:
        return print_status(o, root);
    case MODE_ADD:
        return print_add(root);
    case MODE_FAILURES:
        return print_failures(root);
    case MODE_RELOAD:
        return print_reload(root);
    }
    return SC_EXIT_TROUBLE;
}

/* One exchange of request; *root_out owned by the caller on success. */
static int
ask(const struct options *o, const char *request, size_t request_len,
    json_t **root_out, char **reply_out, size_t *reply_len_out)
{
    int status = exchange(o, request, request_len, reply_out, reply_len_out);

    *root_out = NULL;
    if (status != 0)
        return status;
    *root_out = parse_reply(*reply_out, *reply_len_out);
    return *root_out ? 0 : SC_EXIT_TROUBLE;
}

/* --status --follow after the first reply: a progress line a second
 * until searchd is idle. */
static int
follow(const struct options *o, const char *request, size_t request_len)
{
    for (;;) {
        char *reply = NULL;
        size_t reply_len = 0;
        json_t *root;
        int status;
        bool is_busy;

        sleep(1);
        status = ask(o, request, request_len, &root, &reply, &reply_len);
        if (status == 0 && json_is_false(json_object_get(root, "ok"))) {
            print_daemon_error(o, root);
            status = SC_EXIT_DAEMON;
        }
        if (status != 0) {
            json_decref(root);
            free(reply);
            return status;
        }
        is_busy = is_indexing(root);
        print_progress(o, root, !is_busy);
        json_decref(root);
        free(reply);
        if (!is_busy)
            return SC_EXIT_OK;
    }
}

/* Send o's request and print the answer; returns the exit status. */
static int
run(const struct options *o)
{
    char *add_path = NULL, *request, *reply = NULL;
    size_t request_len, reply_len = 0;
    json_t *root;
    int status;

    if (o->mode == MODE_ADD) {
        add_path = resolve_add_path(o->add_arg);
        if (add_path == NULL)
            return SC_EXIT_TROUBLE;
    }
    request = build_request(o, add_path, &request_len);
    status = ask(o, request, request_len, &root, &reply, &reply_len);
    if (status == 0) {
        status = print_reply(o, root, reply, reply_len);
        if (status == 0 && o->is_follow && !o->is_json && is_indexing(root))
            status = follow(o, request, request_len);
        json_decref(root);
    }
    free(reply);
    free(request);
    free(add_path);
    return status;
}

int
main(int argc, char **argv)
{
    struct options o;
    int status = parse_args(argc, argv, &o);

    if (status < 0 && o.like_arg != NULL && !resolve_like(&o))
        status = SC_EXIT_TROUBLE;
    if (status < 0)
        status = run(&o);
    options_clear(&o);
    /* Output that never got written is an error too (full disk, ...). */
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "searchc: cannot write output: %s\n",
                strerror(errno));
        status = SC_EXIT_TROUBLE;
    }
    return status;
}
