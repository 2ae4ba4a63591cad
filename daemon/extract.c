/*
 * extract.c - the host side of extraction: open a file, pick a plugin,
 * hand it a sink, and turn what it pushes into struct doc values.
 *
 * The sink is where a plugin's output stops being trusted input: every
 * value is copied, made valid UTF-8 (util.h: utf8_sanitize), trimmed and
 * counted against the caps in extract.h before it is kept.  Going over a
 * cap is sticky: every later sink call fails the same way and the file
 * fails with -E2BIG even if the plugin ignores the error.
 *
 * Nothing here keeps global state; each extract_file call owns its own
 * sink, so calls in several threads do not meet.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "doc.h"
#include "extract.h"
#include "log.h"
#include "proto.h"
#include "util.h"

/* Longest member name (the part after '#' in a key), bytes. */
#define EXTRACT_MAX_MEMBER      256
/* Plugin log lines kept per file; the rest are counted and summarised. */
#define EXTRACT_MAX_LOG_LINES   100
/* Longest plugin log message passed on, bytes (sd_log truncates too). */
#define EXTRACT_MAX_LOG_MSG     1024

/* ---- member names seen in one file: a small string set ------------------ */

struct nameset {
    char **slot;    /* owned, each owned; NULL = empty; size is a power of 2 */
    size_t size;
    size_t n;
};

static uint64_t
hash_str(const char *s)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */

    for (; *s != '\0'; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211u;
    }
    return h;
}

/* Add a copy of s; false if it was already there. */
static bool
nameset_add(struct nameset *ns, const char *s)
{
    size_t i;

    if (2 * (ns->n + 1) > ns->size) {
        struct nameset big = { 0 };

        big.size = ns->size ? 2 * ns->size : 64;
        big.slot = xcalloc(big.size, sizeof *big.slot);
        for (size_t j = 0; j < ns->size; j++) {
            if (ns->slot[j] == NULL)
                continue;
            i = hash_str(ns->slot[j]) & (big.size - 1);
            while (big.slot[i] != NULL)
                i = (i + 1) & (big.size - 1);
            big.slot[i] = ns->slot[j];
        }
        big.n = ns->n;
        free(ns->slot);
        *ns = big;
    }
    i = hash_str(s) & (ns->size - 1);
    while (ns->slot[i] != NULL) {
        if (strcmp(ns->slot[i], s) == 0)
            return false;
        i = (i + 1) & (ns->size - 1);
    }
    ns->slot[i] = xstrdup(s);
    ns->n++;
    return true;
}

static void
nameset_clear(struct nameset *ns)
{
    for (size_t i = 0; i < ns->size; i++)
        free(ns->slot[i]);
    free(ns->slot);
    memset(ns, 0, sizeof *ns);
}

/* ---- the host sink ------------------------------------------------------ */

struct host {
    const char *path;                   /* borrowed: the caller's */
    const struct plugin_entry *plugin;  /* borrowed: the registry's */
    struct extract_result *res;         /* borrowed: gets finished docs */
    struct doc *cur;            /* owned: the open document, or NULL */
    size_t cur_bytes;           /* text kept in cur so far */
    size_t begun;               /* begin() calls accepted in this file */
    size_t out_bytes;           /* all documents so far, packed size */
    size_t dropped;             /* docs ended with no title and no body */
    struct nameset members;     /* owned: members seen in this file */
    int sticky;                 /* 0, or the over-a-cap error (-E2BIG) */
    char cap_reason[128];       /* which cap, when sticky != 0 */
    bool misuse_logged;         /* one warning per file for plugin bugs */
    unsigned log_lines;         /* sink->log lines passed on */
    char *log_path;             /* owned: path made safe for a log line */
};

/* The path as it may appear in a log line: valid UTF-8, no control
 * characters (a file name may hold a newline). */
static const char *
host_log_path(struct host *h)
{
    if (h->log_path == NULL) {
        size_t n;
        h->log_path = utf8_replace_invalid(h->path, strlen(h->path), &n);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)h->log_path[i];
            if (c < 0x20 || c == 0x7f)
                h->log_path[i] = '?';
        }
    }
    return h->log_path;
}

static void
host_log(struct host *h, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
host_log(struct host *h, int level, const char *fmt, ...)
{
    char msg[EXTRACT_MAX_LOG_MSG];
    va_list ap;

    if (level > log_max_level)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sd_log(level, "extract: %s: %s: %s", h->plugin->desc->name,
           host_log_path(h), msg);
}

/* A plugin calling the sink wrongly is a plugin bug: say so once per file,
 * so a loop of bad calls cannot flood the log, and return -EINVAL. */
static int
host_misuse(struct host *h, const char *what)
{
    if (!h->misuse_logged) {
        h->misuse_logged = true;
        host_log(h, LOG_LEVEL_WARN, "%s (plugin bug; further misuse in "
                 "this file not logged)", what);
    }
    return -EINVAL;
}

static int
host_over_cap(struct host *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
host_over_cap(struct host *h, const char *fmt, ...)
{
    va_list ap;

    if (h->sticky == 0) {
        h->sticky = -E2BIG;
        va_start(ap, fmt);
        vsnprintf(h->cap_reason, sizeof h->cap_reason, fmt, ap);
        va_end(ap);
    }
    return h->sticky;
}

/* A member name becomes part of the key: 1 to EXTRACT_MAX_MEMBER bytes of
 * valid UTF-8 with no control characters (C0, DEL, C1). */
static bool
is_valid_member(const char *m)
{
    size_t n = strnlen(m, EXTRACT_MAX_MEMBER + 1);

    if (n == 0 || n > EXTRACT_MAX_MEMBER || !utf8_valid(m, n))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)m[i];
        if (c < 0x20 || c == 0x7f ||
            (c == 0xc2 && (unsigned char)m[i + 1] < 0xa0))
            return false;
    }
    return true;
}

static int
sink_begin(void *hp, const char *member)
{
    struct host *h = hp;
    struct doc *d;

    if (h->sticky)
        return h->sticky;
    if (h->cur != NULL)
        return host_misuse(h, "begin() while a document is open");
    if (member != NULL && !is_valid_member(member))
        return host_misuse(h, "begin(): a member name must be 1 to 256 "
                           "bytes of printable UTF-8");
    if (h->begun >= EXTRACT_MAX_DOCS)
        return host_over_cap(h, "more than %d documents in one file",
                             EXTRACT_MAX_DOCS);
    if (member != NULL && !nameset_add(&h->members, member))
        return host_misuse(h, "begin(): member name used twice in one file");

    /* The packed form repeats key, path, member and plugin per document,
     * with 16 lengths. */
    {
        size_t fixed = 2 * strlen(h->path) + 2 * (member ? strlen(member) : 0) +
                       strlen(h->plugin->desc->name) +
                       strlen(h->plugin->desc->version) + 80;

        if (fixed > EXTRACT_MAX_OUTPUT_BYTES - h->out_bytes)
            return host_over_cap(h, "the documents of one file hold over "
                                 "%u MB", EXTRACT_MAX_OUTPUT_BYTES >> 20);
        h->out_bytes += fixed;
    }
    d = doc_new();
    d->path = xstrdup(h->path);
    if (member != NULL) {
        d->member = xstrdup(member);
        d->key = xasprintf("%s#%s", h->path, member);
    } else {
        d->key = xstrdup(h->path);
    }
    d->plugin = xstrdup(h->plugin->desc->name);
    d->plugin_version = xstrdup(h->plugin->desc->version);
    h->cur = d;
    h->cur_bytes = 0;
    h->begun++;
    return 0;
}

enum field_kind { FIELD_SCALAR, FIELD_LIST, FIELD_KEYWORD };

struct field_def {
    const char *name;
    enum field_kind kind;
    size_t off;             /* of the char * or struct strv in struct doc */
};

static const struct field_def fields[] = {
    { SD_FIELD_TITLE,   FIELD_SCALAR,  offsetof(struct doc, title) },
    { SD_FIELD_DATE,    FIELD_SCALAR,  offsetof(struct doc, date) },
    { SD_FIELD_OUTLET,  FIELD_SCALAR,  offsetof(struct doc, outlet) },
    { SD_FIELD_PLACE,   FIELD_SCALAR,  offsetof(struct doc, place) },
    { SD_FIELD_LANG,    FIELD_SCALAR,  offsetof(struct doc, lang) },
    { SD_FIELD_URL,     FIELD_SCALAR,  offsetof(struct doc, url) },
    { SD_FIELD_AUTHOR,  FIELD_LIST,    offsetof(struct doc, authors) },
    { SD_FIELD_SUMMARY, FIELD_LIST,    offsetof(struct doc, summary) },
    { SD_FIELD_CAPTION, FIELD_LIST,    offsetof(struct doc, captions) },
    { SD_FIELD_BODY,    FIELD_LIST,    offsetof(struct doc, body) },
    { SD_FIELD_KEYWORD, FIELD_KEYWORD, offsetof(struct doc, keywords) },
};

static const struct field_def *
find_field(const char *name)
{
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

/* The length of the blank character s[0..len) starts with, or 0.  Blank:
 * ASCII blanks, no-break space (U+00A0), which news pages scatter around
 * headlines, and the zero-width characters some put in empty paragraphs
 * (U+200B-U+200D, U+2060, U+FEFF). */
static size_t
blank_len(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;

    if (len >= 1 && (p[0] == ' ' || p[0] == '\t' || p[0] == '\n'))
        return 1;
    if (len >= 2 && p[0] == 0xc2 && p[1] == 0xa0)
        return 2;
    if (len >= 3 && ((p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0x8b &&
                      p[2] <= 0x8d) ||
                     (p[0] == 0xe2 && p[1] == 0x81 && p[2] == 0xa0) ||
                     (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)))
        return 3;
    return 0;
}

/* Blank characters at either end of a value (blank_len). */
static size_t
lead_space(const char *s, size_t len)
{
    size_t i = 0, k;

    while ((k = blank_len(s + i, len - i)) > 0)
        i += k;
    return i;
}

static size_t
trail_space(const char *s, size_t len)
{
    size_t n = len;

    for (;;) {
        size_t k = 0;

        /* s is valid UTF-8: a blank of k bytes ends at n when one starts
         * at n - k and is k long */
        for (size_t t = 1; t <= 3 && t <= n && k == 0; t++)
            if (blank_len(s + n - t, t) == t)
                k = t;
        if (k == 0)
            return n;
        n -= k;
    }
}

/*
 * Sanitise, trim and store one value (text: len bytes, borrowed).  Empty
 * values after trimming are ignored.
 */
static int
host_store(struct host *h, const struct field_def *f, const char *text,
           size_t len)
{
    char *clean;
    size_t n, start, end;
    int rc = 0;

    /* A value whose raw bytes alone are far over the cap is refused
     * before utf8_sanitize allocates twice its size. */
    if (len > 2 * (size_t)EXTRACT_MAX_DOC_BYTES)
        return host_over_cap(h, "a document holds over %u bytes of text",
                             EXTRACT_MAX_DOC_BYTES);
    clean = utf8_sanitize(text, len, &n);
    start = lead_space(clean, n);
    end = start + trail_space(clean + start, n - start);
    if (end == start)
        goto out;
    n = end - start;
    if (n + 4 > EXTRACT_MAX_OUTPUT_BYTES - h->out_bytes) {
        rc = host_over_cap(h, "the documents of one file hold over %u MB",
                           EXTRACT_MAX_OUTPUT_BYTES >> 20);
        goto out;
    }
    if (f->kind == FIELD_SCALAR) {
        char **slot = (char **)((char *)h->cur + f->off);
        /* Replacing: only the newest value counts against the cap. */
        size_t old = *slot != NULL ? strlen(*slot) : 0;

        if (n > EXTRACT_MAX_DOC_BYTES - (h->cur_bytes - old)) {
            rc = host_over_cap(h, "a document holds over %u bytes of text",
                               EXTRACT_MAX_DOC_BYTES);
            goto out;
        }
        h->cur_bytes -= old;
        doc_set(slot, clean + start, n);
    } else {
        struct strv *sv = (struct strv *)((char *)h->cur + f->off);

        if (n > EXTRACT_MAX_DOC_BYTES - h->cur_bytes) {
            rc = host_over_cap(h, "a document holds over %u bytes of text",
                               EXTRACT_MAX_DOC_BYTES);
            goto out;
        }
        if (sv->n >= EXTRACT_MAX_FIELD_VALUES) {
            rc = host_over_cap(h, "more than %d values in field %s",
                               EXTRACT_MAX_FIELD_VALUES, f->name);
            goto out;
        }
        if (f->kind == FIELD_KEYWORD) {
            /* Keywords are exact terms: fold ASCII case only, which
             * leaves UTF-8 sequences (all bytes >= 0x80) alone. */
            for (size_t i = start; i < end; i++)
                if (clean[i] >= 'A' && clean[i] <= 'Z')
                    clean[i] = (char)(clean[i] - 'A' + 'a');
        }
        strv_push(sv, clean + start, n);
    }
    h->cur_bytes += n;
    h->out_bytes += n + 4;
out:
    free(clean);
    return rc;
}

static int
sink_add_text(void *hp, const char *field, const char *text, size_t len)
{
    struct host *h = hp;
    const struct field_def *f;

    if (h->sticky)
        return h->sticky;
    if (h->cur == NULL)
        return host_misuse(h, "add_text() with no open document");
    if (field == NULL || (text == NULL && len > 0))
        return host_misuse(h, "add_text() with a NULL argument");
    f = find_field(field);
    if (f == NULL) {
        char what[128];
        snprintf(what, sizeof what, "add_text(): unknown field \"%.32s\"",
                 utf8_valid(field, strnlen(field, 32)) ? field : "?");
        return host_misuse(h, what);
    }
    return host_store(h, f, text, len);
}

/* Any field name is accepted for a keyword: the value goes to keywords,
 * lower-cased.  Per-field keyword lists can come later without an ABI
 * change. */
static int
sink_add_keyword(void *hp, const char *field, const char *value)
{
    struct host *h = hp;

    (void)field;
    if (h->sticky)
        return h->sticky;
    if (h->cur == NULL)
        return host_misuse(h, "add_keyword() with no open document");
    if (value == NULL)
        return host_misuse(h, "add_keyword() with a NULL value");
    /* strnlen: a missing terminator must not run us off the end of
     * memory further than the cap. */
    return host_store(h, find_field(SD_FIELD_KEYWORD), value,
                      strnlen(value, 2 * (size_t)EXTRACT_MAX_DOC_BYTES + 1));
}

/* ---- dates -------------------------------------------------------------- */

/* Read exactly n digits at s; -1 if any is not a digit. */
static int
digits(const char *s, int n)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = 10 * v + (s[i] - '0');
    }
    return v;
}

static int
days_in_month(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
                                30, 31 };
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 && leap ? 29 : days[m - 1];
}

/*
 * Normalise an ISO 8601 date as plugins give it: YYYY-MM-DD, or
 * YYYY-MM-DDTHH:MM[:SS] with an optional Z or +HH:MM / -HH:MM.  The result
 * is YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS plus the zone as given: the local
 * date of publication is what readers and facets want, so no conversion
 * to UTC.  Writes into out (at least 26 bytes); false if s is not such a
 * date or names a day or time that does not exist.
 */
static bool
normalise_date(const char *s, char *out, size_t outlen)
{
    size_t len = strlen(s);
    int y, mo, d, hh, mi, ss = 0, zh, zm;
    const char *p;

    if (len < 10 || (y = digits(s, 4)) < 0 || s[4] != '-' ||
        (mo = digits(s + 5, 2)) < 0 || s[7] != '-' ||
        (d = digits(s + 8, 2)) < 0)
        return false;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return false;
    if (len == 10) {
        snprintf(out, outlen, "%04d-%02d-%02d", y, mo, d);
        return true;
    }
    if (len < 16 || s[10] != 'T' || (hh = digits(s + 11, 2)) < 0 ||
        s[13] != ':' || (mi = digits(s + 14, 2)) < 0 || hh > 23 || mi > 59)
        return false;
    p = s + 16;
    if (*p == ':') {
        /* 60 allows a leap second. */
        if ((ss = digits(p + 1, 2)) < 0 || ss > 60)
            return false;
        p += 3;
    }
    if (*p == '\0' || (p[0] == 'Z' && p[1] == '\0')) {
        snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%s", y, mo, d,
                 hh, mi, ss, *p == 'Z' ? "Z" : "");
        return true;
    }
    if ((p[0] != '+' && p[0] != '-') || strlen(p) != 6 ||
        (zh = digits(p + 1, 2)) < 0 || p[3] != ':' ||
        (zm = digits(p + 4, 2)) < 0 || zh > 23 || zm > 59)
        return false;
    snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, mo,
             d, hh, mi, ss, p[0], zh, zm);
    return true;
}

static int
sink_end(void *hp)
{
    struct host *h = hp;
    struct doc *d = h->cur;
    struct extract_result *res = h->res;

    if (h->sticky)
        return h->sticky;
    if (d == NULL)
        return host_misuse(h, "end() with no open document");
    h->cur = NULL;

    if (d->title == NULL && d->body.n == 0) {
        log_debug("extract: %s: %s: document%s%s has no title and no body; "
                  "dropped", h->plugin->desc->name, host_log_path(h),
                  d->member ? " " : "", d->member ? d->member : "");
        h->dropped++;
        doc_free(d);
        return 0;
    }
    if (d->date != NULL) {
        char norm[32];
        if (normalise_date(d->date, norm, sizeof norm)) {
            doc_set(&d->date, norm, strlen(norm));
        } else {
            host_log(h, LOG_LEVEL_WARN, "date \"%.64s\" is not ISO 8601 "
                     "(YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]]); dropped", d->date);
            free(d->date);
            d->date = NULL;
        }
    }
    if (res->n == res->cap) {
        res->cap = res->cap ? 2 * res->cap : 4;
        res->docs = xrealloc(res->docs, res->cap * sizeof *res->docs);
    }
    res->docs[res->n++] = d;
    return 0;
}

static void
sink_log(void *hp, int level, const char *msg)
{
    struct host *h = hp;
    char *clean;
    size_t n;

    if (level <= LOG_LEVEL_ERR)
        level = LOG_LEVEL_ERR;
    else if (level <= LOG_LEVEL_WARN)
        level = LOG_LEVEL_WARN;
    else if (level <= LOG_LEVEL_INFO)
        level = LOG_LEVEL_INFO;
    else
        level = LOG_LEVEL_DEBUG;
    if (level > log_max_level || msg == NULL)
        return;
    if (h->log_lines >= EXTRACT_MAX_LOG_LINES) {
        if (h->log_lines++ == EXTRACT_MAX_LOG_LINES)
            host_log(h, LOG_LEVEL_WARN, "more than %d log lines; the rest "
                     "of this file's are dropped", EXTRACT_MAX_LOG_LINES);
        return;
    }
    h->log_lines++;
    clean = utf8_sanitize(msg, strnlen(msg, EXTRACT_MAX_LOG_MSG), &n);
    for (size_t i = 0; i < n; i++)
        if (clean[i] == '\n' || clean[i] == '\t')
            clean[i] = ' ';
    host_log(h, level, "%s", clean);
    free(clean);
}

/* ---- extract_pick, extract_run, extract_file ------------------------------------------------------- */

static void
set_reason(struct extract_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_reason(struct extract_result *res, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(res->reason, sizeof res->reason, fmt, ap);
    va_end(ap);
}

static const char *
err_text(int err, char *buf, size_t len)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(err, buf, len);
#else
    if (strerror_r(err, buf, len) != 0)
        snprintf(buf, len, "error %d", err);
    return buf;
#endif
}

static const char *
file_kind(mode_t m)
{
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    return "not a regular file";
}

/*
 * What the caller sees of a plugin's error.  The indexer gives some codes
 * a meaning about the file itself (-ENOENT: it vanished); a plugin using
 * one of those (or returning garbage) reports -EINVAL instead.  The reason
 * still quotes what the plugin said.
 */
static int
plugin_status(int rc)
{
    if (rc >= 0 || rc < -4095)
        return -EINVAL;
    switch (-rc) {
    case ENOENT:
    case EISDIR:
    case EFBIG:
    case ENOMSG:
        return -EINVAL;
    default:
        return rc;
    }
}

/* Read up to len bytes at offset 0; bytes read, or -errno. */
static ssize_t
read_head(int fd, unsigned char *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        ssize_t r = pread(fd, buf + got, len - got, (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* Forget the documents of a failed extraction: the caller gets the
 * reason and nothing else. */
static void
drop_docs(struct extract_result *res)
{
    for (size_t i = 0; i < res->n; i++)
        doc_free(res->docs[i]);
    free(res->docs);
    res->docs = NULL;
    res->n = res->cap = 0;
}

int
extract_pick(const struct plugins *reg, const char *path, int fd,
             struct extract_result *res)
{
    unsigned char head[PLUGINS_PROBE_BYTES];
    char ebuf[128];
    struct stat st;
    ssize_t got;
    int rc;

    assert(reg != NULL && path != NULL && fd >= 0 && res != NULL);
    extract_result_clear(res);
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        set_reason(res, "cannot stat: %s", err_text(-rc, ebuf, sizeof ebuf));
        return rc;
    }
    if (S_ISDIR(st.st_mode)) {
        set_reason(res, "is a directory");
        return -EISDIR;
    }
    if (!S_ISREG(st.st_mode)) {
        set_reason(res, "%s, not a regular file", file_kind(st.st_mode));
        return -EINVAL;
    }
    if ((uintmax_t)st.st_size > EXTRACT_MAX_FILE_BYTES) {
        set_reason(res, "file too large (%jd bytes, limit %u)",
                   (intmax_t)st.st_size, EXTRACT_MAX_FILE_BYTES);
        return -EFBIG;
    }
    got = read_head(fd, head, sizeof head);
    if (got < 0) {
        rc = (int)got;
        set_reason(res, "cannot read: %s", err_text(-rc, ebuf, sizeof ebuf));
        return rc;
    }
    res->plugin = plugins_pick(reg, path, head, (size_t)got, NULL);
    if (res->plugin == NULL) {
        set_reason(res, "%s", got == 0 ? "file is empty"
                                       : "no plugin wants this file");
        return -ENOMSG;
    }
    return 0;
}

int
extract_run(const char *path, int fd, struct extract_result *res)
{
    const struct plugin_entry *e = res->plugin;
    struct sd_sink sink;
    struct host h = { 0 };
    char ebuf[128];
    int rc, prc;

    assert(path != NULL && fd >= 0 && e != NULL && res->n == 0);
    if (lseek(fd, 0, SEEK_SET) != 0) {
        rc = -errno;
        set_reason(res, "cannot seek: %s", err_text(-rc, ebuf, sizeof ebuf));
        return rc;
    }

    h.path = path;
    h.plugin = e;
    h.res = res;
    sink = (struct sd_sink){
        .host = &h,
        .begin = sink_begin,
        .add_text = sink_add_text,
        .add_keyword = sink_add_keyword,
        .end = sink_end,
        .log = sink_log,
    };
    prc = e->extract(path, fd, &sink);

    if (h.cur != NULL) {
        /* A plugin that returns success with a document open meant to end
         * it; after a failure the half-built document is worthless. */
        if (prc == 0 && h.sticky == 0)
            sink_end(&h);
        doc_free(h.cur);
        h.cur = NULL;
    }
    if (h.sticky != 0) {
        rc = h.sticky;
        set_reason(res, "plugin %s went over a limit: %s",
                   e->desc->name, h.cap_reason);
    } else if (prc != 0) {
        rc = plugin_status(prc);
        if (prc < 0 && prc >= -4095)
            set_reason(res, "plugin %s failed: %s", e->desc->name,
                       err_text(-prc, ebuf, sizeof ebuf));
        else
            set_reason(res, "plugin %s failed: returned %d", e->desc->name,
                       prc);
    } else if (res->n == 0) {
        rc = -EINVAL;
        if (h.dropped > 0)
            set_reason(res, "no document (plugin %s gave %zu with no title "
                       "and no body)", e->desc->name, h.dropped);
        else
            set_reason(res, "no document (plugin %s gave none)",
                       e->desc->name);
    } else {
        rc = 0;
    }
    if (rc < 0)
        drop_docs(res);
    nameset_clear(&h.members);
    free(h.log_path);
    return rc;
}

int
extract_file(const struct plugins *reg, const char *path,
             struct extract_result *res)
{
    char ebuf[128];
    int fd, rc;

    assert(reg != NULL && path != NULL && res != NULL);
    extract_result_clear(res);
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        rc = -errno;
        set_reason(res, "cannot open: %s", err_text(-rc, ebuf, sizeof ebuf));
        return rc;
    }
    rc = extract_pick(reg, path, fd, res);
    if (rc == 0)
        rc = extract_run(path, fd, res);
    close(fd);
    return rc;
}

void
extract_result_clear(struct extract_result *res)
{
    if (res == NULL)
        return;
    for (size_t i = 0; i < res->n; i++)
        doc_free(res->docs[i]);
    free(res->docs);
    memset(res, 0, sizeof *res);
}

/* ---- JSON output -------------------------------------------------------- */

/* A doc string as JSON: null when absent.  Doc strings are valid UTF-8 by
 * construction; the fallback only keeps a broken invariant from turning
 * into a missing member. */
static json_t *
jstr(const char *s)
{
    json_t *j;
    char *fixed;

    if (s == NULL)
        return json_null();
    j = json_string(s);
    if (j != NULL)
        return j;
    fixed = utf8_replace_invalid(s, strlen(s), NULL);
    j = json_string(fixed);
    free(fixed);
    return j ? j : json_null();
}

static json_t *
jstrv(const struct strv *sv)
{
    json_t *a = json_array();

    for (size_t i = 0; i < sv->n; i++)
        json_array_append_new(a, jstr(sv->v[i]));
    return a;
}

static json_t *
doc_to_json(const struct doc *d)
{
    json_t *o = json_object();

    proto_set_bytes(o, "path", d->path, strlen(d->path));
    if (d->member != NULL)
        json_object_set_new(o, "member", jstr(d->member));
    json_object_set_new(o, "plugin", jstr(d->plugin));
    json_object_set_new(o, "plugin_version", jstr(d->plugin_version));
    json_object_set_new(o, "title", jstr(d->title));
    json_object_set_new(o, "authors", jstrv(&d->authors));
    json_object_set_new(o, "date", jstr(d->date));
    json_object_set_new(o, "outlet", jstr(d->outlet));
    json_object_set_new(o, "place", jstr(d->place));
    json_object_set_new(o, "lang", jstr(d->lang));
    json_object_set_new(o, "url", jstr(d->url));
    json_object_set_new(o, "summary", jstrv(&d->summary));
    json_object_set_new(o, "captions", jstrv(&d->captions));
    json_object_set_new(o, "keywords", jstrv(&d->keywords));
    if (d->body.n > 0) {
        char *body = doc_body_text(d);
        json_object_set_new(o, "body", jstr(body));
        free(body);
    } else {
        json_object_set_new(o, "body", json_null());
    }
    return o;
}

int
extract_print_json(const struct extract_result *res, FILE *out)
{
    int rc = 0;

    for (size_t i = 0; i < res->n && rc == 0; i++) {
        json_t *o = doc_to_json(res->docs[i]);
        char *line = json_dumps(o, JSON_COMPACT);

        if (line == NULL || fputs(line, out) == EOF || fputc('\n', out) == EOF)
            rc = -EIO;
        free(line);
        json_decref(o);
    }
    if (rc == 0 && fflush(out) != 0)
        rc = -EIO;
    return rc;
}
