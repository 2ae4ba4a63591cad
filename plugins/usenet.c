/*
 * usenet.c - extractor for Usenet posts and other mail-style files
 * (RFC 822 headers, a blank line, the body), such as 20 Newsgroups.
 *
 *   author    From: "Name <addr>", "addr (Name)" -> Name; a bare address
 *             stays as it is
 *   title     Subject: without leading "Re:" (any number, any case);
 *             "(no subject)" when there is none
 *   keyword   every group of Newsgroups:, else the parent folder when it
 *             is named like a group ("sci.space"); Organization:;
 *             Keywords: (comma-separated)
 *   summary   Summary:
 *   outlet    "Usenet"
 *   body      paragraphs (blank-line separated, lines joined), without
 *             quoted lines (">", "|>", "} ", ": >") and the attribution
 *             line that introduces them ("In article <...> x writes:",
 *             "... wrote:"), and without the signature after a "-- "
 *             line.  A post that is nothing but quotes keeps them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <searchd/plugin.h>

#include "pluginio.h"

#define MAX_FILE    (64u << 20)
/* Header lines the probe counts as evidence. */
static const char *const known_headers[] = {
    "from", "subject", "newsgroups", "path", "xref", "organization",
    "lines", "message-id", "date", "reply-to", "sender", "references",
    "article-i.d.", "summary", "keywords", "distribution",
    "nntp-posting-host", "followup-to", "expires", "approved",
    "x-newsreader", "mime-version", "content-type", NULL,
};

struct span {
    const char *p;
    size_t n;
};

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static struct span
trim(const char *p, size_t n)
{
    while (n > 0 && is_blank(*p))
        p++, n--;
    while (n > 0 && is_blank(p[n - 1]))
        n--;
    return (struct span){ p, n };
}

/* Length of the header name at p ("From" of "From: x"), 0 if the line
 * is not a header line. */
static size_t
header_name(const char *p, const char *end)
{
    const char *q = p;

    while (q < end && *q != ':' && *q != '\n' && !is_blank(*q) &&
           (unsigned char)*q > 32 && (unsigned char)*q < 127)
        q++;
    if (q == p || q >= end || *q != ':')
        return 0;
    return (size_t)(q - p);
}

static bool
is_known(const char *name, size_t n)
{
    for (size_t i = 0; known_headers[i] != NULL; i++)
        if (strlen(known_headers[i]) == n &&
            strncasecmp(known_headers[i], name, n) == 0)
            return true;
    return false;
}

static int
probe(const char *path, const unsigned char *head, size_t len)
{
    const char *p = (const char *)head, *end = p + len;
    unsigned known = 0, lines = 0;
    bool from_or_subject = false;

    (void)path;
    while (p < end && lines < 40) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = header_name(p, end);

        if (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end &&
                                       p[1] == '\n')))
            break;                          /* end of the headers */
        /* A continuation line may come first: some archives cut the
         * start of a long Path: header. */
        if (n == 0 && *p != ' ' && *p != '\t')
            return 0;                       /* not a header block */
        if (n > 0 && is_known(p, n)) {
            known++;
            if ((n == 4 && strncasecmp(p, "from", 4) == 0) ||
                (n == 7 && strncasecmp(p, "subject", 7) == 0))
                from_or_subject = true;
        }
        lines++;
        if (nl == NULL)
            break;
        p = nl + 1;
    }
    return from_or_subject && known >= 2 ? 80 : 0;
}

/* The value of header name (its first occurrence), continuation lines
 * joined, trimmed; {NULL, 0} when absent.  hdr: the header block. */
static struct span
header(struct span hdr, const char *name, char *buf, size_t buflen)
{
    const char *p = hdr.p, *end = hdr.p + hdr.n;
    size_t nl = strlen(name), used = 0;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t n = header_name(p, end);

        if (eol == NULL)
            eol = end;
        if (n == nl && strncasecmp(p, name, n) == 0) {
            const char *v = p + n + 1;

            for (;;) {
                struct span t = trim(v, (size_t)(eol - v));

                if (t.n > 0 && used + t.n + 1 < buflen) {
                    if (used > 0)
                        buf[used++] = ' ';
                    memcpy(buf + used, t.p, t.n);
                    used += t.n;
                }
                if (eol >= end || (eol[1] != ' ' && eol[1] != '\t'))
                    break;
                v = eol + 1;
                eol = memchr(v, '\n', (size_t)(end - v));
                if (eol == NULL)
                    eol = end;
            }
            buf[used] = '\0';
            return (struct span){ buf, used };
        }
        p = eol + 1;
    }
    return (struct span){ NULL, 0 };
}

static int
add(const struct sd_sink *sink, const char *field, const char *p, size_t n)
{
    struct span t = trim(p, n);
    int rc;

    if (t.n == 0)
        return 0;
    rc = sink->add_text(sink->host, field, t.p, t.n);
    return rc == -EINVAL ? 0 : rc;
}

static int
keyword(const struct sd_sink *sink, const char *p, size_t n)
{
    struct span t = trim(p, n);
    char buf[256];
    int rc;

    if (t.n == 0 || t.n >= sizeof buf)
        return 0;
    memcpy(buf, t.p, t.n);
    buf[t.n] = '\0';
    rc = sink->add_keyword(sink->host, SD_FIELD_KEYWORD, buf);
    return rc == -EINVAL ? 0 : rc;
}

/* From: -> the person's name. */
static int
add_author(const struct sd_sink *sink, struct span v)
{
    const char *lt, *gt, *lp, *rp;

    if (v.p == NULL)
        return 0;
    lt = memchr(v.p, '<', v.n);
    gt = lt ? memchr(lt, '>', (size_t)(v.p + v.n - lt)) : NULL;
    if (lt != NULL && gt != NULL) {
        struct span name = trim(v.p, (size_t)(lt - v.p));

        if (name.n >= 2 && name.p[0] == '"' && name.p[name.n - 1] == '"')
            name = trim(name.p + 1, name.n - 2);
        if (name.n > 0)
            return add(sink, SD_FIELD_AUTHOR, name.p, name.n);
        return add(sink, SD_FIELD_AUTHOR, lt + 1, (size_t)(gt - lt - 1));
    }
    lp = memchr(v.p, '(', v.n);
    rp = v.p + v.n;
    while (rp > v.p && rp[-1] != ')')
        rp--;
    if (lp != NULL && rp > lp + 1) {
        struct span name = trim(lp + 1, (size_t)(rp - 1 - (lp + 1)));

        if (name.n > 0)
            return add(sink, SD_FIELD_AUTHOR, name.p, name.n);
    }
    return add(sink, SD_FIELD_AUTHOR, v.p, v.n);
}

/* Subject: without "Re:" prefixes. */
static int
add_title(const struct sd_sink *sink, struct span v)
{
    struct span t;

    if (v.p == NULL)
        v = (struct span){ "(no subject)", 12 };
    t = trim(v.p, v.n);
    for (;;) {
        size_t k = 0;

        if (t.n >= 3 && strncasecmp(t.p, "re", 2) == 0) {
            k = 2;
            if (k < t.n && t.p[k] == '^')       /* "Re^2:" */
                while (k < t.n && (t.p[k] == '^' || isdigit((unsigned char)t.p[k])))
                    k++;
            if (k < t.n && t.p[k] == ':')
                k++;
            else
                k = 0;
        }
        if (k == 0)
            break;
        t = trim(t.p + k, t.n - k);
    }
    if (t.n == 0)
        t = (struct span){ "(no subject)", 12 };
    return add(sink, SD_FIELD_TITLE, t.p, t.n);
}

/* Does the name look like a newsgroup ("comp.os.ms-windows.misc")? */
static bool
is_group_name(const char *s, size_t n)
{
    bool dot = false;

    if (n < 3 || !islower((unsigned char)s[0]))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '.')
            dot = true;
        else if (!islower(c) && !isdigit(c) && c != '-' && c != '+' &&
                 c != '_')
            return false;
    }
    return dot && s[n - 1] != '.';
}

static int
add_groups(const struct sd_sink *sink, const char *path, struct span ng)
{
    const char *slash, *prev;
    int rc = 0;

    if (ng.p != NULL && ng.n > 0) {
        const char *p = ng.p, *end = ng.p + ng.n;

        while (rc == 0 && p < end) {
            const char *c = memchr(p, ',', (size_t)(end - p));
            const char *e = c ? c : end;
            struct span g = trim(p, (size_t)(e - p));

            if (is_group_name(g.p, g.n))
                rc = keyword(sink, g.p, g.n);
            p = e + 1;
        }
        return rc;
    }
    /* 20 Newsgroups keeps the group as the folder name. */
    slash = strrchr(path, '/');
    if (slash == NULL || slash == path)
        return 0;
    prev = slash - 1;
    while (prev > path && prev[-1] != '/')
        prev--;
    if (is_group_name(prev, (size_t)(slash - prev)))
        rc = keyword(sink, prev, (size_t)(slash - prev));
    return rc;
}

static int
add_keywords(const struct sd_sink *sink, struct span v)
{
    const char *p = v.p, *end = v.p + v.n;
    int rc = 0;

    while (rc == 0 && p != NULL && p < end) {
        const char *c = memchr(p, ',', (size_t)(end - p));
        const char *e = c ? c : end;

        rc = keyword(sink, p, (size_t)(e - p));
        p = e + 1;
    }
    return rc;
}

/* Is this line quoted from another post? */
static bool
is_quote(const char *p, size_t n)
{
    while (n > 0 && (*p == ' ' || *p == '\t'))
        p++, n--;
    if (n == 0)
        return false;
    if (*p == '>' || (n >= 2 && p[0] == '|' && p[1] == '>') ||
        (n >= 2 && p[0] == '}' && p[1] == ' ') ||
        (n >= 3 && p[0] == ':' && p[1] == ' ' && p[2] == '>'))
        return true;
    return false;
}

/* "In article <x@y> a@b (A B) writes:", "A B wrote:", "... writes:" */
static bool
is_attribution(const char *p, size_t n)
{
    struct span t = trim(p, n);

    if (t.n >= 11 && strncmp(t.p, "In article ", 11) == 0)
        return true;
    return (t.n >= 7 && strncmp(t.p + t.n - 7, "writes:", 7) == 0) ||
           (t.n >= 6 && strncmp(t.p + t.n - 6, "wrote:", 6) == 0) ||
           (t.n >= 7 && strncmp(t.p + t.n - 7, "writes.", 7) == 0);
}

/* Push the body's paragraphs; with keep_quotes, quoted lines count too.
 * *pushed gets how many were pushed. */
static int
push_body(const struct sd_sink *sink, const char *p, const char *end,
          bool keep_quotes, unsigned *pushed)
{
    struct pio_para pa = { 0 };
    int rc = 0;

    *pushed = 0;
    while (rc == 0 && p <= end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        struct span line = trim(p, (size_t)(le - p));
        bool drop;

        /* Kept quotes lose their markers ("> ", "|> "). */
        if (keep_quotes && is_quote(line.p, line.n)) {
            while (line.n > 0 && strchr(">|}: \t", *line.p) != NULL)
                line.p++, line.n--;
        }
        drop = !keep_quotes &&
                    (is_quote(p, (size_t)(le - p)) ||
                     is_attribution(p, (size_t)(le - p)));

        if (line.n == 0 || drop) {
            if (pa.len > 0) {
                rc = add(sink, SD_FIELD_BODY, pa.p, pa.len);
                (*pushed)++;
                pa.len = 0;
            }
        } else if ((rc = pio_para_add(&pa, line.p, line.n)) < 0) {
            break;
        }
        if (eol == NULL)
            break;
        p = eol + 1;
    }
    if (rc == 0 && pa.len > 0) {
        rc = add(sink, SD_FIELD_BODY, pa.p, pa.len);
        (*pushed)++;
    }
    free(pa.p);
    return rc;
}

/* Where the signature starts: a "-- " (or "--") line, the last one, when
 * what follows is short (at most 15 lines); else end. */
static const char *
signature_start(const char *body, const char *end)
{
    const char *p = body, *sig = end;

    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *le = eol ? eol : end;
        size_t n = (size_t)(le - p);

        if (n > 0 && p[n - 1] == '\r')
            n--;
        if ((n == 3 && memcmp(p, "-- ", 3) == 0) ||
            (n == 2 && memcmp(p, "--", 2) == 0)) {
            unsigned after = 0;

            for (const char *q = le; q < end; q++)
                if (*q == '\n')
                    after++;
            if (after <= 15)
                sig = p;
        }
        if (eol == NULL)
            break;
        p = eol + 1;
    }
    return sig;
}

static int
extract(const char *path, int fd, const struct sd_sink *sink)
{
    char *buf = NULL, hbuf[4096];
    size_t len = 0;
    const char *p, *end, *body, *bend;
    struct span hdr;
    unsigned pushed = 0;
    int rc;

    rc = pio_read_all(fd, MAX_FILE, &buf, &len);
    if (rc < 0)
        return rc;
    end = buf + len;
    /* The headers end at the first empty line. */
    for (p = buf; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));

        if (eol == NULL) {
            p = end;
            break;
        }
        if (eol == p || (eol == p + 1 && *p == '\r'))
            break;
        p = eol + 1;
    }
    hdr = (struct span){ buf, (size_t)(p - buf) };
    body = p < end ? p + 1 : end;
    rc = sink->begin(sink->host, NULL);
    if (rc == 0)
        rc = add_author(sink, header(hdr, "From", hbuf, sizeof hbuf));
    if (rc == 0)
        rc = add_title(sink, header(hdr, "Subject", hbuf, sizeof hbuf));
    if (rc == 0)
        rc = add_groups(sink, path, header(hdr, "Newsgroups", hbuf,
                                           sizeof hbuf));
    if (rc == 0) {
        struct span org = header(hdr, "Organization", hbuf, sizeof hbuf);
        if (org.p != NULL)
            rc = keyword(sink, org.p, org.n);
    }
    if (rc == 0) {
        struct span kw = header(hdr, "Keywords", hbuf, sizeof hbuf);
        if (kw.p != NULL)
            rc = add_keywords(sink, kw);
    }
    if (rc == 0) {
        struct span sum = header(hdr, "Summary", hbuf, sizeof hbuf);
        if (sum.p != NULL)
            rc = add(sink, SD_FIELD_SUMMARY, sum.p, sum.n);
    }
    if (rc == 0)
        rc = add(sink, SD_FIELD_OUTLET, "Usenet", 6);
    bend = signature_start(body, end);
    if (rc == 0)
        rc = push_body(sink, body, bend, false, &pushed);
    if (rc == 0 && pushed == 0)
        rc = push_body(sink, body, bend, true, &pushed);
    free(buf);
    if (rc < 0)
        return rc;
    return sink->end(sink->host);
}

static const struct sd_plugin desc = {
    .abi = SD_PLUGIN_ABI,
    .size = sizeof(struct sd_plugin),
    .name = "usenet",
    .version = "1.0",
    .probe = probe,
    .extract = extract,
};

SD_PLUGIN_DEFINE(desc)
