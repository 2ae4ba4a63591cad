/*
 * reuters-sgml.c - extractor for the Reuters-21578 SGML files
 * (reut2-NNN.sgm): one file holds about 1000 <REUTERS> articles, each of
 * which becomes a document named by its NEWID (key "path#NEWID").
 *
 *   title     <TITLE>
 *   date      <DATE> "26-FEB-1987 15:01:01.79" -> 1987-02-26T15:01:01Z
 *   place     <DATELINE> "    SALVADOR, Feb 26 - " -> SALVADOR
 *   body      <BODY>, one paragraph per indented line group, without the
 *             closing "Reuter" sign-off; a TYPE="UNPROC" article's raw
 *             <TEXT>; nothing for a TYPE="BRIEF" one ("Blah blah blah.")
 *   keyword   every <D> of TOPICS, PLACES, PEOPLE, ORGS, EXCHANGES,
 *             COMPANIES
 *   outlet    "Reuters"; lang "en"
 *
 * The files are SGML, not XML: &lt; &gt; &amp; &quot; and numeric
 * references are decoded, references to control characters (&#2; &#3;
 * &#5; &#22; &#31; ...) are dropped, and bytes that are not ASCII (one
 * 0xFC in reut2-017.sgm) are passed on for the host to read as Latin-1.
 * An article without a <TITLE> takes the first line of its text as the
 * title (UNPROC tables and reports); one with neither title nor text
 * still gives a document, titled "Reuters article NEWID", so every
 * article is counted.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <searchd/plugin.h>

#include "pluginio.h"

/* The biggest file accepted (the host refuses larger ones anyway). */
#define MAX_FILE        (64u << 20)
#define MAX_NEWID       32

/* A span of the file: [p, p + n). */
struct span {
    const char *p;
    size_t n;
};

/* A growable output buffer for decoded text. */
struct text {
    char *p;
    size_t n, cap;
    int err;
};

static void
text_put(struct text *t, const char *s, size_t n)
{
    if (t->err != 0)
        return;
    if (t->cap - t->n < n + 1) {
        size_t cap = t->cap ? t->cap : 256;
        char *np;

        while (cap - t->n < n + 1)
            cap *= 2;
        np = realloc(t->p, cap);
        if (np == NULL) {
            t->err = -ENOMEM;
            return;
        }
        t->p = np;
        t->cap = cap;
    }
    memcpy(t->p + t->n, s, n);
    t->n += n;
    t->p[t->n] = '\0';
}

/* The first occurrence of needle in [p, end), or NULL. */
static const char *
find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);

    while (p != NULL && (size_t)(end - p) >= n) {
        p = memchr(p, needle[0], (size_t)(end - p) - n + 1);
        if (p == NULL)
            return NULL;
        if (memcmp(p, needle, n) == 0)
            return p;
        p++;
    }
    return NULL;
}

/* The content of <tag ...>...</tag> inside [p, end); false if absent. */
static bool
element(const char *p, const char *end, const char *tag, struct span *out,
        struct span *attrs)
{
    char open[32], close[32];
    const char *s, *gt, *e;
    size_t tl = strlen(tag);

    snprintf(open, sizeof open, "<%s", tag);
    snprintf(close, sizeof close, "</%s>", tag);
    for (s = find(p, end, open); s != NULL; s = find(s + 1, end, open)) {
        /* "<TEXT" must not match "<TEXTS": the name ends here. */
        if (s[tl + 1] == '>' || s[tl + 1] == ' ')
            break;
    }
    if (s == NULL)
        return false;
    gt = memchr(s, '>', (size_t)(end - s));
    if (gt == NULL)
        return false;
    e = find(gt + 1, end, close);
    if (e == NULL)
        e = end;            /* unclosed: take the rest */
    if (attrs != NULL)
        *attrs = (struct span){ s + tl + 1, (size_t)(gt - (s + tl + 1)) };
    *out = (struct span){ gt + 1, (size_t)(e - (gt + 1)) };
    return true;
}

/* The value of attribute name="..." in attrs (which starts with the
 * blank after the tag name), into buf; false if none. */
static bool
attribute(struct span attrs, const char *name, char *buf, size_t len)
{
    char pat[32];
    const char *end = attrs.p + attrs.n, *v, *q;

    snprintf(pat, sizeof pat, " %s=\"", name);
    v = find(attrs.p, end, pat);
    if (v == NULL)
        return false;
    v += strlen(pat);
    q = memchr(v, '"', (size_t)(end - v));
    if (q == NULL || (size_t)(q - v) >= len)
        return false;
    memcpy(buf, v, (size_t)(q - v));
    buf[q - v] = '\0';
    return true;
}

/* Append code point cp as UTF-8. */
static void
put_utf8(struct text *t, unsigned long cp)
{
    char u[4];

    if (cp < 0x80) {
        u[0] = (char)cp;
        text_put(t, u, 1);
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | cp >> 6);
        u[1] = (char)(0x80 | (cp & 0x3f));
        text_put(t, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | cp >> 12);
        u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        text_put(t, u, 3);
    } else if (cp < 0x110000) {
        u[0] = (char)(0xf0 | cp >> 18);
        u[1] = (char)(0x80 | (cp >> 12 & 0x3f));
        u[2] = (char)(0x80 | (cp >> 6 & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        text_put(t, u, 4);
    }
}

/*
 * Decode s into t: entities decoded, references to control characters
 * other than tab and newline dropped, tags (<...>) removed, other bytes
 * as they are.
 */
static void
decode(struct span s, struct text *t)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {
        { "lt;", '<' }, { "gt;", '>' }, { "amp;", '&' }, { "quot;", '"' },
        { "apos;", '\'' },
    };
    const char *p = s.p, *end = s.p + s.n;

    t->n = 0;
    if (t->p != NULL)
        t->p[0] = '\0';
    while (p < end) {
        const char *run = p;

        while (p < end && *p != '&' && *p != '<')
            p++;
        text_put(t, run, (size_t)(p - run));
        if (p >= end)
            break;
        if (*p == '<') {
            const char *gt = memchr(p, '>', (size_t)(end - p));
            p = gt ? gt + 1 : end;
            continue;
        }
        /* '&' */
        if (p + 2 < end && p[1] == '#') {
            const char *q = p + 2;
            unsigned long cp = 0;

            while (q < end && *q >= '0' && *q <= '9' && q - p < 10)
                cp = cp * 10 + (unsigned long)(*q++ - '0');
            if (q < end && *q == ';' && q > p + 2) {
                if (cp >= 32 || cp == '\t' || cp == '\n')
                    put_utf8(t, cp == 127 ? ' ' : cp);
                p = q + 1;
                continue;
            }
        } else {
            size_t i;

            for (i = 0; i < sizeof named / sizeof named[0]; i++) {
                size_t n = strlen(named[i].name);
                if ((size_t)(end - p - 1) >= n &&
                    memcmp(p + 1, named[i].name, n) == 0) {
                    text_put(t, &named[i].c, 1);
                    p += 1 + n;
                    break;
                }
            }
            if (i < sizeof named / sizeof named[0])
                continue;
        }
        text_put(t, "&", 1);
        p++;
    }
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* "26-FEB-1987 15:01:01.79" -> "1987-02-26T15:01:01Z"; false if not
 * in that shape or s is NULL. */
static bool
parse_date(const char *s, char *out, size_t len)
{
    static const char months[] = "JANFEBMARAPRMAYJUNJULAUGSEPOCTNOVDEC";
    int d, y, hh, mm, ss;
    char mon[4];
    const char *m;

    if (s == NULL)          /* a <DATE> never closed */
        return false;
    while (is_blank(*s))
        s++;
    if (sscanf(s, "%2d-%3[A-Za-z]-%4d %2d:%2d:%2d", &d, mon, &y, &hh, &mm,
               &ss) != 6)
        return false;
    for (int i = 0; i < 3; i++)
        if (mon[i] >= 'a' && mon[i] <= 'z')
            mon[i] = (char)(mon[i] - 'a' + 'A');
    m = strstr(months, mon);
    if (m == NULL || (m - months) % 3 != 0 || d < 1 || d > 31 ||
        y < 1000 || y > 9999 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
        ss < 0 || ss > 60)
        return false;
    snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", y,
             (int)(m - months) / 3 + 1, d, hh, mm, ss);
    return true;
}

static int
add(const struct sd_sink *sink, const char *field, const char *s, size_t n)
{
    int rc;

    while (n > 0 && is_blank(*s))
        s++, n--;
    while (n > 0 && is_blank(s[n - 1]))
        n--;
    if (n == 0)
        return 0;
    rc = sink->add_text(sink->host, field, s, n);
    return rc == -EINVAL ? 0 : rc;
}

/* Every <D>value</D> of the <tag> list, as keywords. */
static int
add_list(const struct sd_sink *sink, struct span art, const char *tag,
         struct text *t)
{
    struct span list, d;
    const char *p, *end;

    if (!element(art.p, art.p + art.n, tag, &list, NULL))
        return 0;
    p = list.p;
    end = list.p + list.n;
    while (element(p, end, "D", &d, NULL)) {
        decode(d, t);
        if (t->err != 0)
            return t->err;
        while (t->n > 0 && is_blank(t->p[t->n - 1]))
            t->p[--t->n] = '\0';
        if (t->n > 0) {
            int rc = sink->add_keyword(sink->host, SD_FIELD_KEYWORD, t->p);
            if (rc < 0 && rc != -EINVAL)
                return rc;
        }
        p = d.p + d.n;
    }
    return 0;
}

/* Is the decoded body only the sign-off line of a paragraph? */
static bool
is_signoff(const char *s, size_t n)
{
    while (n > 0 && is_blank(s[n - 1]))
        n--;
    while (n > 0 && is_blank(*s))
        s++, n--;
    return (n == 6 && (memcmp(s, "Reuter", 6) == 0 ||
                       memcmp(s, "REUTER", 6) == 0)) ||
           (n == 7 && memcmp(s, "Reuters", 7) == 0);
}

/*
 * Push the decoded body text as paragraphs: a line that starts with
 * white space starts a new paragraph; the other lines continue it (with
 * is_table, unprocessed text, every line is its own paragraph).  The
 * trailing "Reuter" sign-off (on its own or ending the last line) goes.
 */
static int
add_body(const struct sd_sink *sink, struct text *t, bool is_table)
{
    char *s = t->p, *end = t->p + t->n;
    struct pio_para pa = { 0 };
    int rc = 0;

    /* Drop the sign-off at the end: "... said.\n Reuter\n". */
    while (end > s && is_blank(end[-1]))
        end--;
    if (end - s >= 6 && (memcmp(end - 6, "Reuter", 6) == 0 ||
                         memcmp(end - 6, "REUTER", 6) == 0) &&
        (end - s == 6 || is_blank(end[-7]))) {
        end -= 6;
    }
    while (s < end && rc == 0) {
        char *nl = memchr(s, '\n', (size_t)(end - s));
        char *line_end = nl ? nl : end;
        bool starts = is_table ||
                      (s < line_end && (*s == ' ' || *s == '\t'));
        char *ls = s;
        size_t n;

        while (ls < line_end && is_blank(*ls))
            ls++;
        n = (size_t)(line_end - ls);
        if ((starts || n == 0) && pa.len > 0) {
            if (!is_signoff(pa.p, pa.len))
                rc = add(sink, SD_FIELD_BODY, pa.p, pa.len);
            pa.len = 0;
        }
        if (n > 0 && (rc = pio_para_add(&pa, ls, n)) < 0)
            break;
        s = nl ? nl + 1 : end;
    }
    if (rc == 0 && pa.len > 0 && !is_signoff(pa.p, pa.len))
        rc = add(sink, SD_FIELD_BODY, pa.p, pa.len);
    free(pa.p);
    return rc;
}

/* The place of a dateline "    SALVADOR, Feb 26 - ": before the comma. */
static int
add_place(const struct sd_sink *sink, struct text *t)
{
    char *comma = memchr(t->p, ',', t->n);
    size_t n = comma ? (size_t)(comma - t->p) : t->n;

    if (comma == NULL)
        return 0;       /* no "PLACE, date" shape: not a place */
    return add(sink, SD_FIELD_PLACE, t->p, n);
}

static int
article(const struct sd_sink *sink, struct span art, struct span attrs,
        struct text *t)
{
    static const char *const lists[] = {
        "TOPICS", "PLACES", "PEOPLE", "ORGS", "EXCHANGES", "COMPANIES",
    };
    char newid[MAX_NEWID], type[32] = "", iso[64];
    struct span s, text, tattrs;
    bool has_title = false, has_body = false;
    int rc;

    if (!attribute(attrs, "NEWID", newid, sizeof newid) || newid[0] == '\0')
        return -EINVAL;
    rc = sink->begin(sink->host, newid);
    if (rc < 0)
        return rc;
    rc = add(sink, SD_FIELD_OUTLET, "Reuters", 7);
    if (rc == 0)
        rc = add(sink, SD_FIELD_LANG, "en", 2);
    if (rc == 0 && element(art.p, art.p + art.n, "DATE", &s, NULL)) {
        decode(s, t);
        if (t->err == 0 && parse_date(t->p, iso, sizeof iso))
            rc = add(sink, SD_FIELD_DATE, iso, strlen(iso));
    }
    for (size_t i = 0; rc == 0 && i < sizeof lists / sizeof lists[0]; i++)
        rc = add_list(sink, art, lists[i], t);
    if (rc == 0 &&
        element(art.p, art.p + art.n, "TEXT", &text, &tattrs)) {
        attribute(tattrs, "TYPE", type, sizeof type);
        if (element(text.p, text.p + text.n, "TITLE", &s, NULL)) {
            decode(s, t);
            has_title = t->n > 0;
            rc = add(sink, SD_FIELD_TITLE, t->p ? t->p : "", t->n);
        }
        if (rc == 0 &&
            element(text.p, text.p + text.n, "DATELINE", &s, NULL)) {
            decode(s, t);
            if (t->err == 0 && t->n > 0)
                rc = add_place(sink, t);
        }
        if (rc == 0 && strcmp(type, "BRIEF") != 0) {
            if (element(text.p, text.p + text.n, "BODY", &s, NULL)) {
                decode(s, t);
                has_body = t->n > 0;
            } else if (strcmp(type, "UNPROC") == 0 || !has_title) {
                decode(text, t);
                has_body = t->n > 0;
                if (has_body && !has_title && t->err == 0) {
                    /* Unprocessed text: its first line is the headline. */
                    const char *l = t->p;
                    size_t n;

                    while (is_blank(*l))
                        l++;
                    n = strcspn(l, "\n");
                    if (n > 0 && n <= 200) {
                        rc = add(sink, SD_FIELD_TITLE, l, n);
                        has_title = true;
                    }
                }
            }
            if (rc == 0 && has_body)
                rc = add_body(sink, t, strcmp(type, "UNPROC") == 0);
        }
    }
    if (t->err != 0)
        rc = t->err;
    if (rc == 0 && !has_title) {
        char title[64];
        int n = snprintf(title, sizeof title, "Reuters article %s", newid);
        rc = add(sink, SD_FIELD_TITLE, title, (size_t)n);
    }
    if (rc < 0)
        return rc;
    return sink->end(sink->host);
}

static int
probe(const char *path, const unsigned char *head, size_t len)
{
    const char *h = (const char *)head, *end = h + len;
    size_t pl = strlen(path);
    bool is_sgm = pl > 4 && strcmp(path + pl - 4, ".sgm") == 0;

    if (find(h, end, "<!DOCTYPE lewis") != NULL)
        return 95;
    if (find(h, end, "<REUTERS ") != NULL &&
        find(h, end, "NEWID=\"") != NULL)
        return is_sgm ? 95 : 90;
    return 0;
}

static int
extract(const char *path, int fd, const struct sd_sink *sink)
{
    struct text t = { 0 };
    char *buf = NULL;
    size_t len = 0;
    const char *p, *end;
    unsigned n = 0;
    int rc;

    (void)path;
    rc = pio_read_all(fd, MAX_FILE, &buf, &len);
    if (rc < 0)
        return rc;
    p = buf;
    end = buf + len;
    while (rc == 0 && (p = find(p, end, "<REUTERS")) != NULL) {
        const char *gt = memchr(p, '>', (size_t)(end - p));
        const char *close;
        struct span attrs, art;

        if (gt == NULL)
            break;
        attrs = (struct span){ p + 8, (size_t)(gt - (p + 8)) };
        close = find(gt + 1, end, "</REUTERS>");
        if (close == NULL)
            close = end;
        /* An article runs to its close tag, or to the next article. */
        {
            const char *next = find(gt + 1, close, "<REUTERS");
            if (next != NULL)
                close = next;
        }
        art = (struct span){ gt + 1, (size_t)(close - (gt + 1)) };
        rc = article(sink, art, attrs, &t);
        if (rc == -EINVAL) {
            char msg[96];
            snprintf(msg, sizeof msg, "article %u has no NEWID; skipped",
                     n + 1);
            sink->log(sink->host, SD_LOG_WARN, msg);
            rc = 0;
        }
        n++;
        p = close;
    }
    free(t.p);
    free(buf);
    if (rc == 0 && n == 0)
        return -EINVAL;     /* no article at all: not a Reuters file */
    return rc;
}

static const char *const extensions[] = { ".sgm", NULL };

static const struct sd_plugin desc = {
    .abi = SD_PLUGIN_ABI,
    .size = sizeof(struct sd_plugin),
    .name = "reuters-sgml",
    .version = "1.0",
    .extensions = extensions,
    .probe = probe,
    .extract = extract,
};

SD_PLUGIN_DEFINE(desc)
