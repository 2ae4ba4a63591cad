/*
 * plugins/feed.c - news feeds: RSS 2.0 and 0.9x, RSS 1.0 (RDF) and Atom
 * (1.0, and 0.3's dates).  Every item or entry is one document.
 *
 * Parser: libxml2's XML parser, with XML_PARSE_NONET (nothing is fetched),
 * without XML_PARSE_NOENT and XML_PARSE_DTDLOAD (no external entity or DTD
 * is ever read, and the feed's own entities are not expanded into the
 * tree) and in recover mode, so that a feed broken near its end still
 * gives the items before the break.  HTML inside items (description,
 * content:encoded, Atom content type="html") goes through libxml2's HTML
 * parser; Atom type="xhtml" content is already part of the tree.
 *
 * Probe: 95 when the root element (after a BOM, the XML declaration,
 * processing instructions, comments and a DOCTYPE) is <rss>, an Atom
 * <feed> (its namespace on the tag) or an <rdf:RDF> of RSS 0.9/1.0; 50
 * for any other file named .rss or .atom, so that junk under a feed's
 * name fails here with a reason instead of being read as text; 0 else
 * (an .xml file is claimed only when its root shows a feed).  The html
 * plugin scores 60 at most on a feed (<html> or <body> inside its head),
 * so the two never compete for the same file.
 *
 * Extract: the encoding is the BOM, else the XML declaration, else UTF-8.
 * As in the html plugin, a single-byte declaration on bytes that are
 * valid, non-ASCII UTF-8 is taken for UTF-8, Latin-1 and ASCII labels are
 * read as Windows-1252, and undeclared bytes that are not UTF-8 are read
 * as Windows-1252; an encoding libxml2 does not know is replaced the same
 * way.  Per item:
 *   - member (the document's id in the file): the guid (Atom id, RDF
 *     rdf:about), else the link, else "item-N" (N its position from 1);
 *     a value that repeats, is too long or holds control characters is
 *     replaced by "item-N";
 *   - title: RSS <title> (HTML markup and entities in it are read),
 *     Atom <title> by its type;
 *   - url: RSS <link>, else a permalink <guid>; Atom <link
 *     rel="alternate"> (or no rel), resolved against xml:base; only
 *     http(s) URLs are kept;
 *   - author: RSS <author> ("mail@example.com (Name)" gives Name),
 *     <dc:creator>; Atom <author><name>, else the feed's authors;
 *   - date: RSS <pubDate> (RFC 822), <dc:date>; Atom <published>, else
 *     <updated> (RFC 3339).  Dates are parsed strictly and never guessed:
 *     a malformed date, a day the month does not have, a date before 1990
 *     or more than a day in the future is dropped (logged).  Offsets and
 *     the RFC 822 zone names (UT, GMT, EST...PDT, Z) are kept as an
 *     offset; with an unknown zone name only the day is kept;
 *   - body: content:encoded, else description (RSS); content, else
 *     summary (Atom).  HTML becomes paragraphs at block-level tags and
 *     <br>; scripts, styles and embedded objects are dropped; entities are
 *     decoded.  When both are given, the description (summary) is the
 *     summary;
 *   - outlet: the channel's (feed's) title; lang: the channel's
 *     <language> or dc:language, the entry's xml:lang, cut to two letters;
 *   - keyword: RSS <category> and dc:subject, Atom <category term>.
 * Items with neither a title nor text are skipped.  A feed without items
 * gives no document and returns 0 (logged); a file that is not XML, or
 * whose root is not a feed, fails with -EINVAL and a reason.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE     /* tdestroy */
#endif
#include <ctype.h>
#include <errno.h>
#include <search.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/uri.h>

#include <searchd/plugin.h>

#include "pluginio.h"

/* Feeds bigger than this are refused (the host's own cap is higher). */
#define FD_MAX_FILE_BYTES ((size_t)32 << 20)
/* HTML elements deeper than this are not walked (bounds recursion). */
#define FD_MAX_DEPTH 256
/* The host takes at most 10,000 values per field: past this many
 * paragraphs, the rest of an item's text is joined into the last one. */
#define FD_MAX_PARAS 9000
/* Longest member name the host accepts (bytes). */
#define FD_MAX_MEMBER 256
/* Longest keyword kept (bytes); longer categories are not topics. */
#define FD_MAX_KEYWORD 100

#define NS_ATOM    "http://www.w3.org/2005/Atom"
#define NS_ATOM03  "http://purl.org/atom/ns#"
#define NS_RSS1    "http://purl.org/rss/1.0/"
#define NS_RSS09   "http://my.netscape.com/rdf/simple/0.9/"
#define NS_DC      "http://purl.org/dc/elements/1.1/"
#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"
#define NS_RDF     "http://www.w3.org/1999/02/22-rdf-syntax-ns#"

/* ---- text out of markup ----------------------------------------------------- */

/*
 * Paragraphs being collected from text and markup: words are joined with
 * one space, paragraphs are cut at block-level tags.  cur and every
 * paras[i] are owned.
 */
struct text {
    struct pio_str cur;
    bool space;         /* white space seen since the last word */
    char **paras;
    size_t n, cap;
    int err;            /* first -ENOMEM, sticky */
};

static void
text_free(struct text *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->paras[i]);
    free(t->paras);
    free(t->cur.s);
    memset(t, 0, sizeof *t);
}

/* End the paragraph being built (past FD_MAX_PARAS, keep joining). */
static void
text_break(struct text *t)
{
    if (t->cur.len == 0 || t->err)
        return;
    if (t->n + 1 >= FD_MAX_PARAS) {
        t->space = true;
        return;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        char **p = realloc(t->paras, cap * sizeof *p);

        if (p == NULL) {
            t->err = -ENOMEM;
            return;
        }
        t->paras = p;
        t->cap = cap;
    }
    t->paras[t->n++] = t->cur.s;
    memset(&t->cur, 0, sizeof t->cur);
    t->space = false;
}

/* Add running text: white space (and no-break spaces) collapse. */
static void
text_add(struct text *t, const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && !t->err) {
        size_t j = i;

        if (pio_is_space((unsigned char)s[i])) {
            t->space = true;
            i++;
            continue;
        }
        if ((unsigned char)s[i] == 0xc2 && i + 1 < n &&
            (unsigned char)s[i + 1] == 0xa0) {
            t->space = true;
            i += 2;
            continue;
        }
        while (j < n && !pio_is_space((unsigned char)s[j]) &&
               !((unsigned char)s[j] == 0xc2 && j + 1 < n &&
                 (unsigned char)s[j + 1] == 0xa0))
            j++;
        if (t->space && t->cur.len > 0 && pio_str_add(&t->cur, " ", 1) < 0)
            t->err = -ENOMEM;
        else if (pio_str_add(&t->cur, s + i, j - i) < 0)
            t->err = -ENOMEM;
        t->space = false;
        i = j;
    }
}

/* Plain text: blank lines separate paragraphs. */
static void
text_add_plain(struct text *t, const char *s)
{
    size_t len = strlen(s), pos = 0;
    struct pio_span line;

    while (pio_next_line(s, len, &pos, &line)) {
        if (pio_trim(line).n == 0)
            text_break(t);
        else
            text_add(t, line.p, line.n);
        t->space = true;
    }
}

static bool
name_in(const char *name, const char *const *set)
{
    for (size_t i = 0; set[i] != NULL; i++)
        if (strcasecmp(name, set[i]) == 0)
            return true;
    return false;
}

/* Elements whose content is never text of the article. */
static const char *const skip_tags[] = {
    "script", "style", "noscript", "iframe", "object", "embed", "template",
    "svg", "math", "head", "title", "form", "button", "select", "textarea",
    "audio", "video", "canvas", "map", NULL
};

/* Elements that start and end a paragraph. */
static const char *const block_tags[] = {
    "p", "div", "br", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3",
    "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "td", "th",
    "section", "article", "aside", "header", "footer", "figure",
    "figcaption", "hr", "address", "center", "body", "html", "main", "nav",
    "details", "summary", "caption", NULL
};

/* Walk a tree of (X)HTML nodes into t. */
static void
text_walk(struct text *t, const xmlNode *n, int depth)
{
    for (; n != NULL && !t->err; n = n->next) {
        switch (n->type) {
        case XML_TEXT_NODE:
        case XML_CDATA_SECTION_NODE:
            if (n->content != NULL)
                text_add(t, (const char *)n->content,
                         strlen((const char *)n->content));
            break;
        case XML_ELEMENT_NODE: {
            const char *name = (const char *)n->name;
            bool block;

            if (name_in(name, skip_tags))
                break;
            block = name_in(name, block_tags);
            if (block)
                text_break(t);
            if (depth < FD_MAX_DEPTH)
                text_walk(t, n->children, depth + 1);
            /* Inline elements keep words apart only where the markup had
             * white space. */
            if (block)
                text_break(t);
            break;
        }
        case XML_DOCUMENT_NODE:
        case XML_HTML_DOCUMENT_NODE:
            text_walk(t, n->children, depth + 1);
            break;
        default:
            break;
        }
    }
}

/* HTML in s (UTF-8) into t; text without markup skips the parser. */
static void
text_add_html(struct text *t, const char *s)
{
    size_t len = strlen(s);
    htmlDocPtr doc;

    if (strpbrk(s, "<&") == NULL) {
        text_add(t, s, len);
        text_break(t);
        return;
    }
    if (len > INT32_MAX)
        return;
    doc = htmlReadMemory(s, (int)len, NULL, "UTF-8",
                         HTML_PARSE_RECOVER | HTML_PARSE_NONET |
                         HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING);
    if (doc == NULL) {
        text_add(t, s, len);    /* not parsable: keep the words */
    } else {
        text_walk(t, (xmlNode *)doc, 0);
        xmlFreeDoc(doc);
    }
    text_break(t);
}

/* All paragraphs of t joined with one space, owned by the caller. */
static char *
text_join(struct text *t)
{
    struct pio_str out = { 0 };

    text_break(t);
    for (size_t i = 0; i < t->n; i++)
        if ((out.len > 0 && pio_str_add(&out, " ", 1) < 0) ||
            pio_str_add(&out, t->paras[i], strlen(t->paras[i])) < 0) {
            free(out.s);
            t->err = -ENOMEM;
            return NULL;
        }
    return out.s;
}

/* ---- the XML tree ---------------------------------------------------------- */

enum feed_kind { FEED_RSS, FEED_RDF, FEED_ATOM };

struct feed {
    enum feed_kind kind;
    const char *ns;             /* the core elements' namespace, or NULL */
    xmlDoc *doc;                /* borrowed from extract */
    char *base;                 /* owned: the feed's address, or NULL */
};

/* Is n an element local:name in namespace ns?  NULL ns means the feed's
 * core elements, which may also come without a namespace.  An element
 * whose prefix was never declared (recover mode keeps it as "dc:creator"
 * with no namespace) is matched by that prefix. */
static bool
is_el(const struct feed *f, const xmlNode *n, const char *ns,
      const char *prefix, const char *name)
{
    const char *href;

    if (n == NULL || n->type != XML_ELEMENT_NODE || n->name == NULL)
        return false;
    href = n->ns != NULL ? (const char *)n->ns->href : NULL;
    if (ns == NULL) {
        if (strcmp((const char *)n->name, name) != 0)
            return false;
        return href == NULL || (f->ns != NULL && strcmp(href, f->ns) == 0) ||
               (f->kind == FEED_ATOM && strcmp(href, NS_ATOM03) == 0);
    }
    if (href != NULL)
        return strcmp(href, ns) == 0 &&
               strcmp((const char *)n->name, name) == 0;
    if (prefix != NULL) {
        size_t pl = strlen(prefix);
        const char *nm = (const char *)n->name;

        return strncmp(nm, prefix, pl) == 0 && nm[pl] == ':' &&
               strcmp(nm + pl + 1, name) == 0;
    }
    return false;
}

static const xmlNode *
child(const struct feed *f, const xmlNode *parent, const char *ns,
      const char *prefix, const char *name)
{
    for (const xmlNode *c = parent->children; c != NULL; c = c->next)
        if (is_el(f, c, ns, prefix, name))
            return c;
    return NULL;
}

/* The text of an element (CDATA included), words collapsed; owned by the
 * caller; NULL when empty or out of memory (*err then set). */
static char *
plain_of(const xmlNode *n, int *err)
{
    struct text t = { 0 };
    char *s;

    if (n == NULL)
        return NULL;
    text_walk(&t, n->children, FD_MAX_DEPTH - 2);
    s = text_join(&t);
    if (t.err)
        *err = t.err;
    text_free(&t);
    if (s != NULL && *s == '\0') {
        free(s);
        s = NULL;
    }
    return s;
}

/* Append the text under n to out: text and CDATA as they are.  The
 * entity references left in the tree are the feed's own entities
 * (get_entity turned HTML's into text): they are dropped, never
 * expanded. */
static int
raw_add(struct pio_str *out, const xmlNode *n, int depth)
{
    for (; n != NULL; n = n->next) {
        int rc = 0;

        if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) &&
            n->content != NULL)
            rc = pio_str_add(out, (const char *)n->content,
                         strlen((const char *)n->content));
        else if (n->type == XML_ELEMENT_NODE && depth < FD_MAX_DEPTH)
            rc = raw_add(out, n->children, depth + 1);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The raw text under an element, owned by the caller (free), or NULL. */
static char *
raw_of(const xmlNode *n, int *err)
{
    struct pio_str out = { 0 };

    if (raw_add(&out, n->children, 0) < 0) {
        *err = -ENOMEM;
        free(out.s);
        return NULL;
    }
    return out.s;
}

/* Does n hold elements (markup put in the feed unescaped)? */
static bool
has_elements(const xmlNode *n)
{
    for (const xmlNode *c = n->children; c != NULL; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return true;
    return false;
}

/* The type attribute of an Atom text construct: 't'ext, 'h'tml,
 * 'x'html, or 0 for anything else (media types, out-of-line src). */
static char
atom_type(const xmlNode *n)
{
    xmlChar *ty = xmlGetProp(n, (const xmlChar *)"type");
    xmlChar *src = xmlGetProp(n, (const xmlChar *)"src");
    char k = 0;

    if (src != NULL)
        k = 0;
    else if (ty == NULL || strcmp((char *)ty, "text") == 0 ||
             strcmp((char *)ty, "text/plain") == 0)
        k = 't';
    else if (strcmp((char *)ty, "html") == 0 ||
             strcmp((char *)ty, "text/html") == 0)
        k = 'h';
    else if (strcmp((char *)ty, "xhtml") == 0 ||
             strcmp((char *)ty, "application/xhtml+xml") == 0)
        k = 'x';
    xmlFree(ty);
    xmlFree(src);
    return k;
}

/* The text of n read as `kind` ('t', 'h', 'x') into t.  Markup left
 * unescaped in an HTML field is walked as XHTML is. */
static void
text_of_kind(struct text *t, const xmlNode *n, char kind)
{
    char *raw;

    if (kind == 'x' || (kind == 'h' && has_elements(n))) {
        text_walk(t, n->children, 0);
        text_break(t);
        return;
    }
    if ((raw = raw_of(n, &t->err)) == NULL)
        return;
    if (kind == 'h')
        text_add_html(t, raw);
    else
        text_add_plain(t, raw);
    text_break(t);
    free(raw);
}

/* A title: Atom by its type; RSS titles are text, but feeds put entities
 * and markup in them, so they are read as HTML when they hold any. */
static char *
title_of(const struct feed *f, const xmlNode *n, int *err)
{
    struct text t = { 0 };
    char kind = f->kind == FEED_ATOM ? atom_type(n) : 'h';
    char *s;

    if (n == NULL || kind == 0)
        return NULL;
    text_of_kind(&t, n, kind);
    s = text_join(&t);
    if (t.err)
        *err = t.err;
    text_free(&t);
    if (s != NULL && *s == '\0') {
        free(s);
        s = NULL;
    }
    return s;
}

/* ---- dates --------------------------------------------------------------- */

static bool
is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
month_days(int y, int m)
{
    static const int d[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

    return m == 2 && is_leap(y) ? 29 : d[m - 1];
}

/* A parsed date; off_min is the zone's offset in minutes east of UTC. */
struct when {
    int y, mo, d, h, mi, s;
    bool has_time;
    enum { TZ_NONE, TZ_UTC, TZ_OFFSET, TZ_UNKNOWN } tz;
    int off_min;
};

/*
 * The checks every date passes, then its ISO 8601 form into out (>= 32
 * bytes).  Dates before 1990 or more than a day ahead of now (after the
 * offset) are implausible in a news feed and refused.
 */
static bool
when_format(const struct when *w, char *out, size_t outsz)
{
    struct tm tm;
    time_t t;

    if (w->y < 1990 || w->y > 9999 || w->mo < 1 || w->mo > 12 ||
        w->d < 1 || w->d > month_days(w->y, w->mo))
        return false;
    if (w->has_time &&
        (w->h > 23 || w->mi > 59 || w->s > 60 || w->off_min < -14 * 60 ||
         w->off_min > 14 * 60))
        return false;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = w->y - 1900;
    tm.tm_mon = w->mo - 1;
    tm.tm_mday = w->d;
    tm.tm_hour = w->has_time ? w->h : 0;
    tm.tm_min = w->has_time ? w->mi : 0;
    t = timegm(&tm);
    if (w->has_time && w->tz == TZ_OFFSET)
        t -= (time_t)w->off_min * 60;
    if (t == (time_t)-1 || t > time(NULL) + 86400)
        return false;
    if (!w->has_time || w->tz == TZ_UNKNOWN)
        snprintf(out, outsz, "%04d-%02d-%02d", w->y, w->mo, w->d);
    else if (w->tz == TZ_UTC)
        snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                 w->y, w->mo, w->d, w->h, w->mi, w->s);
    else if (w->tz == TZ_OFFSET)
        snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
                 w->y, w->mo, w->d, w->h, w->mi, w->s,
                 w->off_min < 0 ? '-' : '+', abs(w->off_min) / 60,
                 abs(w->off_min) % 60);
    else
        snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d",
                 w->y, w->mo, w->d, w->h, w->mi, w->s);
    return true;
}

/* Exactly n digits at *p into *v; *p moves past them. */
static bool
digits(const char **p, int n, int *v)
{
    int x = 0;

    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return true;
}

/* 1 to max digits at *p. */
static bool
digits_upto(const char **p, int max, int *v)
{
    int x = 0, i = 0;

    while (i < max && isdigit((unsigned char)(*p)[i]))
        x = x * 10 + ((*p)[i++] - '0');
    if (i == 0 || isdigit((unsigned char)(*p)[i]))
        return false;
    *p += i;
    *v = x;
    return true;
}

static const char *
skip_ws(const char *p)
{
    while (*p && pio_is_space((unsigned char)*p))
        p++;
    return p;
}

/* "+HHMM", "-HH:MM" or "Z" at *p into w. */
static bool
parse_offset(const char **p, struct when *w, bool colon_ok)
{
    const char *q = *p;
    int hh, mm, sign;

    if (*q == 'Z' || *q == 'z') {
        w->tz = TZ_UTC;
        *p = q + 1;
        return true;
    }
    if (*q != '+' && *q != '-')
        return false;
    sign = *q++ == '-' ? -1 : 1;
    if (!digits(&q, 2, &hh))
        return false;
    if (colon_ok && *q == ':')
        q++;
    if (!digits(&q, 2, &mm) || mm > 59)
        return false;
    w->tz = TZ_OFFSET;
    w->off_min = sign * (hh * 60 + mm);
    if (w->off_min == 0)
        w->tz = TZ_UTC;
    *p = q;
    return true;
}

/* RFC 3339 / W3C-DTF with at least a day: YYYY-MM-DD[(T| )hh:mm[:ss
 * [.fff]][zone]].  A year or a month alone is not a day: refused. */
static bool
parse_iso(const char *s, char *out, size_t outsz)
{
    struct when w = { .tz = TZ_NONE };
    const char *p = skip_ws(s);

    if (!digits(&p, 4, &w.y) || *p++ != '-' || !digits(&p, 2, &w.mo) ||
        *p++ != '-' || !digits(&p, 2, &w.d))
        return false;
    if (*p == 'T' || *p == 't' || (*p == ' ' && isdigit((unsigned char)p[1]))) {
        p++;
        if (!digits(&p, 2, &w.h) || *p++ != ':' || !digits(&p, 2, &w.mi))
            return false;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &w.s))
                return false;
            if (*p == '.' || *p == ',') {
                p++;
                if (!isdigit((unsigned char)*p))
                    return false;
                while (isdigit((unsigned char)*p))
                    p++;
            }
        }
        w.has_time = true;
        p = skip_ws(p);     /* "2019-11-19 10:00:00 +0000" is common */
        if (strncmp(p, "UTC", 3) == 0 || strncmp(p, "GMT", 3) == 0) {
            w.tz = TZ_UTC;
            p += 3;
        } else if (*p != '\0' && !parse_offset(&p, &w, true))
            return false;
    }
    if (*skip_ws(p) != '\0')
        return false;
    return when_format(&w, out, outsz);
}

static const char *const month_names[] = {
    "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december"
};

/* A month as its three-letter abbreviation or its full English name. */
static int
month_of(const char *a, size_t n)
{
    for (int i = 0; i < 12; i++)
        if ((n == 3 && strncasecmp(a, month_names[i], 3) == 0) ||
            (n == strlen(month_names[i]) &&
             strncasecmp(a, month_names[i], n) == 0))
            return i + 1;
    return 0;
}

/* The zone names of RFC 822 (military letters other than Z are
 * ambiguous in practice and not read). */
static const struct {
    const char *name;
    int off_min;
} zones[] = {
    { "UT", 0 }, { "UTC", 0 }, { "GMT", 0 }, { "Z", 0 },
    { "EST", -300 }, { "EDT", -240 }, { "CST", -360 }, { "CDT", -300 },
    { "MST", -420 }, { "MDT", -360 }, { "PST", -480 }, { "PDT", -420 },
};

/* RFC 822 / 2822: [Day,] D Mon YYYY [hh:mm[:ss] [zone]].  Two-digit
 * years follow RFC 2822 (50-99 are 19xx, the rest 20xx). */
static bool
parse_rfc822(const char *s, char *out, size_t outsz)
{
    struct when w = { .tz = TZ_NONE };
    const char *p = skip_ws(s), *a;
    int ylen;

    if (isalpha((unsigned char)*p)) {      /* the day name */
        static const char *const days[] = { "mon", "tue", "wed", "thu",
                                            "fri", "sat", "sun" };
        bool ok = false;

        a = p;
        while (isalpha((unsigned char)*p))
            p++;
        for (int i = 0; i < 7; i++)
            if ((size_t)(p - a) >= 3 && strncasecmp(a, days[i], 3) == 0)
                ok = true;
        if (!ok)
            return false;
        if (*p == ',')
            p++;
        p = skip_ws(p);
    }
    if (!digits_upto(&p, 2, &w.d))
        return false;
    p = skip_ws(p);
    if (*p == '-')
        p++;
    a = p;
    while (isalpha((unsigned char)*p))
        p++;
    if ((w.mo = month_of(a, (size_t)(p - a))) == 0)
        return false;
    if (*p == '-')
        p++;
    p = skip_ws(p);
    a = p;
    if (!digits_upto(&p, 4, &w.y))
        return false;
    ylen = (int)(p - a);
    if (ylen == 2)
        w.y += w.y >= 50 ? 1900 : 2000;
    else if (ylen != 4)
        return false;
    p = skip_ws(p);
    if (isdigit((unsigned char)*p)) {
        if (!digits(&p, 2, &w.h) || *p++ != ':' || !digits(&p, 2, &w.mi))
            return false;
        if (*p == ':') {
            p++;
            if (!digits(&p, 2, &w.s))
                return false;
        }
        w.has_time = true;
        p = skip_ws(p);
        if (*p == '+' || *p == '-') {
            if (!parse_offset(&p, &w, false))
                return false;
        } else if (isalpha((unsigned char)*p)) {
            size_t n;

            a = p;
            while (isalpha((unsigned char)*p))
                p++;
            n = (size_t)(p - a);
            w.tz = TZ_UNKNOWN;
            for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++)
                if (strlen(zones[i].name) == n &&
                    strncasecmp(a, zones[i].name, n) == 0) {
                    w.off_min = zones[i].off_min;
                    w.tz = w.off_min == 0 ? TZ_UTC : TZ_OFFSET;
                }
            p = skip_ws(p);
            /* "GMT+0100" and "(EST)" style comments after the zone */
            if (*p == '+' || *p == '-') {
                if (!parse_offset(&p, &w, false))
                    return false;
            } else if (*p == '(') {
                p = strchr(p, ')');
                if (p == NULL)
                    return false;
                p++;
            }
        }
    }
    if (*skip_ws(p) != '\0')
        return false;
    return when_format(&w, out, outsz);
}

/* Either form: feeds put ISO dates in pubDate and RFC 822 in dc:date. */
static bool
parse_date(const char *s, char *out, size_t outsz)
{
    return parse_iso(s, out, outsz) || parse_rfc822(s, out, outsz);
}

/* ---- items ----------------------------------------------------------------- */

/* Member names used so far in this file: a libc search tree (tsearch)
 * of owned strings; root NULL when empty. */
struct names {
    void *root;
};

static int
names_cmp(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Add s; false when it was there already (or out of memory: *err). */
static bool
names_add(struct names *ns, const char *s, int *err)
{
    char *copy = strdup(s);
    char **node;

    if (copy == NULL || (node = tsearch(copy, &ns->root, names_cmp)) == NULL) {
        free(copy);
        *err = -ENOMEM;
        return false;
    }
    if (*node != copy) {
        free(copy);     /* already there */
        return false;
    }
    return true;
}

static void
names_free(struct names *ns)
{
    tdestroy(ns->root, free);
}

/* Can s be a member name (see struct sd_sink.begin)? */
static bool
member_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n == 0 || n > FD_MAX_MEMBER || !pio_is_utf8(s, n, false, NULL))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c == 0x7f ||
            (c == 0xc2 && (unsigned char)s[i + 1] < 0xa0))
            return false;
    }
    return true;
}

/* Everything one item gives; every pointer owned (free), NULL if absent. */
struct item {
    char *id, *title, *url, *date;
    char **authors;
    size_t nauthors;
    char **keywords;
    size_t nkeywords;
    char *lang;
    struct text body;
    char *summary;
};

static void
item_free(struct item *it)
{
    free(it->id);
    free(it->title);
    free(it->url);
    free(it->date);
    for (size_t i = 0; i < it->nauthors; i++)
        free(it->authors[i]);
    free(it->authors);
    for (size_t i = 0; i < it->nkeywords; i++)
        free(it->keywords[i]);
    free(it->keywords);
    free(it->lang);
    text_free(&it->body);
    free(it->summary);
    memset(it, 0, sizeof *it);
}

/* Append s (taken over, may be NULL) to a list unless it is there;
 * out of memory sets *err. */
static void
list_add(char ***list, size_t *n, char *s, int *err)
{
    char **p;

    if (s == NULL)
        return;
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*list)[i], s) == 0) {
            free(s);        /* given twice (author and dc:creator) */
            return;
        }
    if ((p = realloc(*list, (*n + 1) * sizeof *p)) == NULL) {
        free(s);
        *err = -ENOMEM;
        return;
    }
    p[(*n)++] = s;
    *list = p;
}

static char *
dup_or_null(const char *s)
{
    return s != NULL && *s != '\0' ? strdup(s) : NULL;
}

/* An RSS <author>: "jo@example.com (Jo Smith)" gives "Jo Smith". */
static char *
rss_author(char *s)
{
    char *open, *close;

    if (s == NULL)
        return NULL;
    open = strchr(s, '(');
    close = open ? strrchr(open, ')') : NULL;
    if (open != NULL && close != NULL && memchr(s, '@', (size_t)(open - s))) {
        struct pio_span in = pio_trim((struct pio_span){ open + 1,
                                       (size_t)(close - open - 1) });

        if (in.n > 0) {
            memmove(s, in.p, in.n);
            s[in.n] = '\0';
        }
    }
    return s;
}

/* The two-letter language of a tag like "en-us" or "EN", or NULL. */
static char *
lang_of(const char *s)
{
    char l[3];

    if (s == NULL)
        return NULL;
    s = skip_ws(s);
    if (!isalpha((unsigned char)s[0]) || !isalpha((unsigned char)s[1]) ||
        isalpha((unsigned char)s[2]))
        return NULL;
    l[0] = (char)tolower((unsigned char)s[0]);
    l[1] = (char)tolower((unsigned char)s[1]);
    l[2] = '\0';
    return strdup(l);
}

static bool
is_http(const char *s)
{
    return strncasecmp(s, "http://", 7) == 0 ||
           strncasecmp(s, "https://", 8) == 0;
}

/* An http(s) URL: href resolved against the element's xml:base, else
 * against the feed's own address (its site or self link). */
static char *
http_url(const struct feed *f, const xmlNode *n, const char *href)
{
    xmlChar *base, *abs = NULL;
    char *s, *out;

    if (href == NULL)
        return NULL;
    base = xmlNodeGetBase(f->doc, n);
    if (base != NULL)
        abs = xmlBuildURI((const xmlChar *)href, base);
    else if (f->base != NULL)
        abs = xmlBuildURI((const xmlChar *)href, (const xmlChar *)f->base);
    xmlFree(base);
    s = abs != NULL ? (char *)abs : (char *)href;
    {
        struct pio_span t = pio_trim((struct pio_span){ s, strlen(s) });

        out = NULL;
        if ((t.n > 7 && strncasecmp(t.p, "http://", 7) == 0) ||
            (t.n > 8 && strncasecmp(t.p, "https://", 8) == 0))
            out = strndup(t.p, t.n);
    }
    xmlFree(abs);
    return out;
}

/* A date element's text, parsed; a bad one is logged and dropped. */
static char *
date_of(const xmlNode *n, const struct sd_sink *sink, int *err)
{
    char *s = plain_of(n, err), d[40], msg[160];

    if (s == NULL)
        return NULL;
    if (parse_date(s, d, sizeof d)) {
        free(s);
        return strdup(d);
    }
    snprintf(msg, sizeof msg, "feed: date \"%.80s\" dropped (malformed, "
             "before 1990 or in the future)", s);
    sink->log(sink->host, SD_LOG_INFO, msg);
    free(s);
    return NULL;
}

/* Atom: the <name> of every <author> child of n into the list. */
static int
atom_authors(const struct feed *f, const xmlNode *n, struct item *it,
             int *err)
{
    for (const xmlNode *c = n->children; c != NULL; c = c->next)
        if (is_el(f, c, NULL, NULL, "author"))
            list_add(&it->authors, &it->nauthors,
                     plain_of(child(f, c, NULL, NULL, "name"), err), err);
    return *err;
}

static int
read_rss_item(const struct feed *f, const xmlNode *n, struct item *it,
              const struct sd_sink *sink)
{
    const xmlNode *content = NULL, *desc = NULL, *link = NULL;
    int err = 0;

    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is_el(f, c, NULL, NULL, "title") && it->title == NULL)
            it->title = title_of(f, c, &err);
        else if (is_el(f, c, NULL, NULL, "link") && link == NULL)
            link = c;
        else if (is_el(f, c, NULL, NULL, "guid") && it->id == NULL) {
            xmlChar *perma = xmlGetProp(c, (const xmlChar *)"isPermaLink");

            it->id = plain_of(c, &err);
            /* A permalink guid is a whole URL: never resolved against
             * the feed's address, as a bare number would be. */
            if (it->id != NULL && (perma == NULL ||
                                   strcmp((char *)perma, "false") != 0) &&
                it->url == NULL && is_http(it->id))
                it->url = http_url(f, c, it->id);
            xmlFree(perma);
        } else if (is_el(f, c, NULL, NULL, "author"))
            list_add(&it->authors, &it->nauthors,
                     rss_author(plain_of(c, &err)), &err);
        else if (is_el(f, c, NS_DC, "dc", "creator"))
            list_add(&it->authors, &it->nauthors, plain_of(c, &err), &err);
        else if (is_el(f, c, NULL, NULL, "pubDate") && it->date == NULL)
            it->date = date_of(c, sink, &err);
        else if (is_el(f, c, NS_DC, "dc", "date") && it->date == NULL)
            it->date = date_of(c, sink, &err);
        else if (is_el(f, c, NS_CONTENT, "content", "encoded"))
            content = c;
        else if (is_el(f, c, NULL, NULL, "description"))
            desc = c;
        else if (is_el(f, c, NULL, NULL, "category") ||
                 is_el(f, c, NS_DC, "dc", "subject"))
            list_add(&it->keywords, &it->nkeywords, plain_of(c, &err), &err);
        else if (is_el(f, c, NS_DC, "dc", "language") && it->lang == NULL) {
            char *l = plain_of(c, &err);

            it->lang = lang_of(l);
            free(l);
        }
        if (err)
            return err;
    }
    if (link != NULL) {
        char *l = plain_of(link, &err);
        char *u = http_url(f, link, l);

        if (u != NULL) {
            free(it->url);
            it->url = u;
        }
        free(l);
    }
    if (it->id == NULL && f->kind == FEED_RDF) {
        xmlChar *about = xmlGetNsProp(n, (const xmlChar *)"about",
                                      (const xmlChar *)NS_RDF);
        it->id = dup_or_null((char *)about);
        xmlFree(about);
    }
    if (content != NULL)
        text_of_kind(&it->body, content, 'h');
    if (content != NULL && desc != NULL) {
        struct text t = { 0 };

        text_of_kind(&t, desc, 'h');
        it->summary = text_join(&t);
        err = t.err;
        text_free(&t);
    } else if (desc != NULL)
        text_of_kind(&it->body, desc, 'h');
    return err ? err : it->body.err;
}

static int
read_atom_entry(const struct feed *f, const xmlNode *n, struct item *it,
                const struct sd_sink *sink)
{
    const xmlNode *content = NULL, *summary = NULL, *published = NULL,
                  *updated = NULL;
    int err = 0, rc;
    xmlChar *lang;

    for (const xmlNode *c = n->children; c != NULL; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (is_el(f, c, NULL, NULL, "title") && it->title == NULL)
            it->title = title_of(f, c, &err);
        else if (is_el(f, c, NULL, NULL, "id") && it->id == NULL)
            it->id = plain_of(c, &err);
        else if (is_el(f, c, NULL, NULL, "link")) {
            xmlChar *rel = xmlGetProp(c, (const xmlChar *)"rel");
            xmlChar *href = xmlGetProp(c, (const xmlChar *)"href");

            if ((rel == NULL || strcmp((char *)rel, "alternate") == 0) &&
                it->url == NULL)
                it->url = http_url(f, c, (char *)href);
            xmlFree(rel);
            xmlFree(href);
        } else if (is_el(f, c, NULL, NULL, "published") ||
                   is_el(f, c, NULL, NULL, "issued"))
            published = c;
        else if (is_el(f, c, NULL, NULL, "updated") ||
                 is_el(f, c, NULL, NULL, "modified"))
            updated = c;
        else if (is_el(f, c, NULL, NULL, "content"))
            content = c;
        else if (is_el(f, c, NULL, NULL, "summary"))
            summary = c;
        else if (is_el(f, c, NULL, NULL, "category")) {
            xmlChar *term = xmlGetProp(c, (const xmlChar *)"term");

            list_add(&it->keywords, &it->nkeywords,
                     dup_or_null((char *)term), &err);
            xmlFree(term);
        } else if (is_el(f, c, NS_DC, "dc", "creator"))
            list_add(&it->authors, &it->nauthors, plain_of(c, &err), &err);
        if (err)
            return err;
    }
    if ((rc = atom_authors(f, n, it, &err)) < 0)
        return rc;
    if (it->nauthors == 0 && (rc = atom_authors(f, n->parent, it, &err)) < 0)
        return rc;
    if (published != NULL)
        it->date = date_of(published, sink, &err);
    if (it->date == NULL && updated != NULL)
        it->date = date_of(updated, sink, &err);
    if ((lang = xmlNodeGetLang(n)) != NULL) {
        it->lang = lang_of((char *)lang);
        xmlFree(lang);
    }
    if (content != NULL && atom_type(content) != 0)
        text_of_kind(&it->body, content, atom_type(content));
    if (summary != NULL && atom_type(summary) != 0) {
        if (it->body.n == 0 && it->body.cur.len == 0)
            text_of_kind(&it->body, summary, atom_type(summary));
        else {
            struct text t = { 0 };

            text_of_kind(&t, summary, atom_type(summary));
            it->summary = text_join(&t);
            err = err ? err : t.err;
            text_free(&t);
        }
    }
    return err ? err : it->body.err;
}

/* The address relative links resolve against: RSS's channel <link>,
 * Atom's feed <link rel="alternate">, else rel="self"; owned, or NULL. */
static char *
feed_base(const struct feed *f, const xmlNode *chan, int *err)
{
    char *best = NULL;

    if (f->kind != FEED_ATOM) {
        char *l = plain_of(child(f, chan, NULL, NULL, "link"), err);

        if (l != NULL && (strncmp(l, "http://", 7) == 0 ||
                          strncmp(l, "https://", 8) == 0))
            return l;
        free(l);
        return NULL;
    }
    for (const xmlNode *c = chan->children; c != NULL; c = c->next) {
        xmlChar *rel, *href;

        if (!is_el(f, c, NULL, NULL, "link"))
            continue;
        rel = xmlGetProp(c, (const xmlChar *)"rel");
        href = xmlGetProp(c, (const xmlChar *)"href");
        if (href != NULL && (strncmp((char *)href, "http://", 7) == 0 ||
                             strncmp((char *)href, "https://", 8) == 0) &&
            (rel == NULL || strcmp((char *)rel, "alternate") == 0 ||
             (best == NULL && strcmp((char *)rel, "self") == 0))) {
            free(best);
            best = strdup((char *)href);
        }
        xmlFree(rel);
        xmlFree(href);
    }
    return best;
}

/* The ASCII of a UTF-16 head the probe looks at. */
#define PROBE_ASCII 2048

/* ---- probe ------------------------------------------------------------------ */

static const char *
find_in(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);

    for (size_t i = 0; m <= n && i + m <= n; i++)
        if (memcmp(s + i, needle, m) == 0)
            return s + i;
    return NULL;
}

static bool
has_suffix(const char *path, const char *suf)
{
    size_t n = strlen(path), m = strlen(suf);

    return n >= m && strcasecmp(path + n - m, suf) == 0;
}

/*
 * The root start tag in head: skips a BOM, the XML declaration, other
 * processing instructions, comments and a DOCTYPE.  *tag_out and *n_out: the
 * tag from '<' to its '>' (or the end of the head).
 */
static bool
root_tag(const char *s, size_t len, const char **tag_out, size_t *n_out)
{
    size_t i = 0;

    if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    for (;;) {
        const char *e;

        while (i < len && pio_is_space((unsigned char)s[i]))
            i++;
        if (i + 2 <= len && memcmp(s + i, "<?", 2) == 0)
            e = find_in(s + i, len - i, "?>");
        else if (i + 4 <= len && memcmp(s + i, "<!--", 4) == 0)
            e = find_in(s + i + 4, len - i - 4, "-->");
        else if (i + 9 <= len && strncasecmp(s + i, "<!DOCTYPE", 9) == 0) {
            const char *gt = memchr(s + i, '>', len - i);
            const char *br = memchr(s + i, '[', len - i);

            e = br != NULL && (gt == NULL || br < gt)
                    ? find_in(br, len - (size_t)(br - s), "]>") : gt;
            if (e != NULL && *e == '>')
                e -= 1;     /* so that e + 2 is past the '>' below */
        } else
            break;
        if (e == NULL)
            return false;
        i = (size_t)(e - s) + (*e == '-' ? 3 : 2);
    }
    if (i >= len || s[i] != '<')
        return false;
    *tag_out = s + i;
    {
        const char *gt = memchr(s + i, '>', len - i);

        *n_out = gt != NULL ? (size_t)(gt - (s + i)) + 1 : len - i;
    }
    return true;
}

/* Does the tag's name (after any prefix) equal name? */
static bool
tag_named(const char *tag, size_t n, const char *name)
{
    size_t k = 1, start = 1, m = strlen(name);

    while (k < n && (isalnum((unsigned char)tag[k]) || tag[k] == ':' ||
                     tag[k] == '_' || tag[k] == '-' || tag[k] == '.')) {
        if (tag[k] == ':')
            start = k + 1;
        k++;
    }
    return k - start == m && memcmp(tag + start, name, m) == 0;
}

static int
probe(const char *path, const unsigned char *head, size_t len)
{
    const char *tag, *s = (const char *)head;
    char ascii[PROBE_ASCII];
    size_t n, k = 0;
    bool named = path != NULL &&
                 (has_suffix(path, ".rss") || has_suffix(path, ".atom"));

    /* UTF-16 feeds (libxml2 reads them): look at their ASCII. */
    if (len >= 2 && ((head[0] == 0xff && head[1] == 0xfe) ||
                     (head[0] == 0xfe && head[1] == 0xff))) {
        for (size_t j = 2; j < len && k < sizeof ascii; j++)
            if (head[j] != 0)
                ascii[k++] = (char)head[j];
        s = ascii;
        len = k;
    }
    if (root_tag(s, len, &tag, &n)) {
        if (tag_named(tag, n, "rss"))
            return 95;
        if (tag_named(tag, n, "feed") &&
            (find_in(tag, n, NS_ATOM) || find_in(tag, n, NS_ATOM03)))
            return 95;
        if (tag_named(tag, n, "RDF") &&
            (find_in(s, len, NS_RSS1) || find_in(s, len, NS_RSS09)))
            return 95;
    }
    return named ? 50 : 0;
}

/* ---- extract ---------------------------------------------------------------- */

static void logf_(const struct sd_sink *sink, int level, const char *fmt,
                  ...) __attribute__((format(printf, 3, 4)));

static void
logf_(const struct sd_sink *sink, int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    msg[strcspn(msg, "\n")] = '\0';
    sink->log(sink->host, level, msg);
}

/* The encoding in the XML declaration, lower case, into out. */
static bool
declared_encoding(const char *buf, size_t len, char *out, size_t outsz)
{
    size_t n = len < 512 ? len : 512;
    const char *end, *p;
    size_t k = 0;

    if (n < 5 || memcmp(buf, "<?xml", 5) != 0)
        return false;
    if ((end = find_in(buf, n, "?>")) == NULL ||
        (p = find_in(buf, (size_t)(end - buf), "encoding")) == NULL)
        return false;
    p += 8;
    while (p < end && (*p == ' ' || *p == '=' || *p == '"' || *p == '\''))
        p++;
    while (p < end && k + 1 < outsz &&
           (isalnum((unsigned char)*p) || *p == '-' || *p == '_' ||
            *p == '.' || *p == ':'))
        out[k++] = (char)tolower((unsigned char)*p++);
    out[k] = '\0';
    return k > 0;
}

/* The encoding to force on the parser (see the top), or NULL to let
 * libxml2 follow the BOM and the declaration. */
static const char *
pick_encoding(const char *buf, size_t len)
{
    const unsigned char *u = (const unsigned char *)buf;
    char label[48];
    bool non_ascii, valid;

    if ((len >= 3 && memcmp(u, "\xef\xbb\xbf", 3) == 0) ||
        (len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) ||
                      (u[0] == 0xfe && u[1] == 0xff))))
        return NULL;
    valid = pio_is_utf8(buf, len, false, &non_ascii);
    if (!declared_encoding(buf, len, label, sizeof label) ||
        strcmp(label, "utf-8") == 0 || strcmp(label, "utf8") == 0)
        return valid ? NULL : "WINDOWS-1252";
    if (pio_is_single_byte_charset(label) && valid && non_ascii)
        return "UTF-8";
    if (strcmp(label, "iso-8859-1") == 0 || strcmp(label, "latin1") == 0 ||
        strcmp(label, "latin-1") == 0 || strcmp(label, "us-ascii") == 0 ||
        strcmp(label, "ascii") == 0 || strcmp(label, "iso_8859-1") == 0 ||
        strcmp(label, "windows-1252") == 0 || strcmp(label, "cp1252") == 0 ||
        strcmp(label, "x-cp1252") == 0)
        return "WINDOWS-1252";      /* converted by cp1252_to_utf8 */
    return NULL;
}

/*
 * Feeds use HTML's entities (&nbsp; &mdash; &eacute;) without declaring
 * them; XML would drop them, gluing the words around them together.  The
 * parser asks this hook for every entity it does not know: an HTML entity
 * name gets a predefined entity (its character, inserted as text, never
 * expanded further), made once per parse in a scratch document kept in
 * ctxt->_private.  Entities the feed declares itself come first.
 */
static xmlEntityPtr
get_entity(void *ctx, const xmlChar *name)
{
    xmlParserCtxtPtr ctxt = ctx;
    xmlEntityPtr ent = xmlSAX2GetEntity(ctx, name);
    xmlDocPtr scratch = ctxt->_private;
    const htmlEntityDesc *h;
    char u[5];
    unsigned v;
    size_t k = 0;

    if (ent != NULL || ctxt->inSubset != 0 ||
        (h = htmlEntityLookup(name)) == NULL)
        return ent;
    if (scratch == NULL) {
        if ((scratch = xmlNewDoc((const xmlChar *)"1.0")) == NULL)
            return NULL;
        ctxt->_private = scratch;
        if (xmlCreateIntSubset(scratch, (const xmlChar *)"x", NULL,
                               NULL) == NULL)
            return NULL;
    }
    if ((ent = xmlGetDocEntity(scratch, name)) != NULL)
        return ent;
    v = h->value;
    if (v < 0x80)
        u[k++] = (char)v;
    else if (v < 0x800) {
        u[k++] = (char)(0xc0 | (v >> 6));
        u[k++] = (char)(0x80 | (v & 0x3f));
    } else {
        u[k++] = (char)(0xe0 | (v >> 12));
        u[k++] = (char)(0x80 | ((v >> 6) & 0x3f));
        u[k++] = (char)(0x80 | (v & 0x3f));
    }
    u[k] = '\0';
    ent = xmlAddDocEntity(scratch, name, XML_INTERNAL_GENERAL_ENTITY, NULL,
                          NULL, (const xmlChar *)u);
    if (ent != NULL)
        ent->etype = XML_INTERNAL_PREDEFINED_ENTITY;    /* text, no tree */
    return ent;
}

/*
 * Windows-1252 to UTF-8, owned by the caller (free), *n_out bytes.  Done
 * here rather than by libxml2's iconv, which stops the parse at the five
 * bytes Windows-1252 leaves undefined (0x81, 0x8d, 0x8f, 0x90, 0x9d):
 * they become U+FFFD and the rest of the feed is still read.
 */
static char *
cp1252_to_utf8(const char *in, size_t n, size_t *n_out)
{
    static const uint16_t c1[32] = {
        0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
        0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
        0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
        0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178
    };
    char *out = malloc(n * 3 + 1), *o = out;

    if (out == NULL)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned c = (unsigned char)in[i];

        if (c >= 0x80 && c < 0xa0)
            c = c1[c - 0x80];
        if (c < 0x80)
            *o++ = (char)c;
        else if (c < 0x800) {
            *o++ = (char)(0xc0 | (c >> 6));
            *o++ = (char)(0x80 | (c & 0x3f));
        } else {
            *o++ = (char)(0xe0 | (c >> 12));
            *o++ = (char)(0x80 | ((c >> 6) & 0x3f));
            *o++ = (char)(0x80 | (c & 0x3f));
        }
    }
    *o = '\0';
    *n_out = (size_t)(o - out);
    return out;
}

static const int parse_opts = XML_PARSE_RECOVER | XML_PARSE_NONET |
                              XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                              XML_PARSE_NOCDATA | XML_PARSE_COMPACT;

/* Parse buf; the document is owned by the caller (xmlFreeDoc). */
static xmlDoc *
parse_feed(const char *buf, size_t len, const struct sd_sink *sink)
{
    xmlParserCtxtPtr ctxt;
    const char *enc = pick_encoding(buf, len);
    char *conv = NULL;
    xmlDoc *doc = NULL;
    const xmlError *e;

    if (len > INT32_MAX || (ctxt = xmlNewParserCtxt()) == NULL)
        return NULL;
    for (int pass = 0; pass < 2; pass++) {
        const char *in = buf;
        size_t n = len;

        if (enc != NULL && strcmp(enc, "WINDOWS-1252") == 0) {
            if (conv == NULL && (conv = cp1252_to_utf8(buf, len, &n)) == NULL)
                break;
            in = conv;
            enc = "UTF-8";
        }
        if (n > INT32_MAX)
            break;
        ctxt->sax->getEntity = get_entity;
        doc = xmlCtxtReadMemory(ctxt, in, (int)n, NULL, enc,
                                parse_opts | (enc ? XML_PARSE_IGNORE_ENC : 0));
        e = xmlCtxtGetLastError(ctxt);
        if (doc != NULL || enc != NULL || e == NULL ||
            e->code != XML_ERR_UNSUPPORTED_ENCODING)
            break;
        /* A declared encoding iconv does not know: guess as for none. */
        enc = pio_is_utf8(buf, len, false, NULL) ? "UTF-8" : "WINDOWS-1252";
        logf_(sink, SD_LOG_INFO, "feed: unknown declared encoding, read "
              "as %s", enc);
        xmlCtxtReset(ctxt);
    }
    e = xmlCtxtGetLastError(ctxt);
    if (e != NULL && e->code != XML_ERR_OK)
        logf_(sink, doc != NULL ? SD_LOG_INFO : SD_LOG_WARN,
              "feed: %s at line %d: %.160s",
              doc != NULL && xmlDocGetRootElement(doc) != NULL
                  ? "XML error recovered" : "not well-formed XML",
              e->line, e->message ? e->message : "?");
    xmlFreeDoc(ctxt->_private);
    xmlFreeParserCtxt(ctxt);
    free(conv);
    return doc;
}

static int
put(const struct sd_sink *sink, const char *field, const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    return sink->add_text(sink->host, field, s, strlen(s));
}

/* Push one item as a document; pos is its position (from 1). */
static int
put_item(const struct sd_sink *sink, struct item *it, const char *outlet,
         const char *feed_lang, size_t pos, struct names *used)
{
    char alt[64];
    const char *member = NULL;
    int err = 0, rc;

    if (member_ok(it->id) && names_add(used, it->id, &err))
        member = it->id;
    else if (!err && member_ok(it->url) && names_add(used, it->url, &err))
        member = it->url;
    for (unsigned k = 0; member == NULL && !err; k++) {
        if (k == 0)
            snprintf(alt, sizeof alt, "item-%zu", pos);
        else
            snprintf(alt, sizeof alt, "item-%zu-%u", pos, k);
        if (names_add(used, alt, &err))
            member = alt;
    }
    if (err)
        return err;
    if ((rc = sink->begin(sink->host, member)) < 0)
        return rc;
    if ((rc = put(sink, SD_FIELD_TITLE, it->title)) < 0)
        return rc;
    for (size_t i = 0; i < it->nauthors; i++)
        if ((rc = put(sink, SD_FIELD_AUTHOR, it->authors[i])) < 0)
            return rc;
    if ((rc = put(sink, SD_FIELD_DATE, it->date)) < 0 ||
        (rc = put(sink, SD_FIELD_OUTLET, outlet)) < 0 ||
        (rc = put(sink, SD_FIELD_URL, it->url)) < 0 ||
        (rc = put(sink, SD_FIELD_LANG,
                  it->lang != NULL ? it->lang : feed_lang)) < 0 ||
        (rc = put(sink, SD_FIELD_SUMMARY, it->summary)) < 0)
        return rc;
    for (size_t i = 0; i < it->body.n; i++)
        if ((rc = put(sink, SD_FIELD_BODY, it->body.paras[i])) < 0)
            return rc;
    if ((rc = put(sink, SD_FIELD_BODY, it->body.cur.s)) < 0)
        return rc;
    for (size_t i = 0; i < it->nkeywords; i++)
        if (strlen(it->keywords[i]) <= FD_MAX_KEYWORD &&
            (rc = sink->add_keyword(sink->host, SD_FIELD_KEYWORD,
                                    it->keywords[i])) < 0)
            return rc;
    return sink->end(sink->host);
}

/* libxml2 prints some errors (encoding conversion, I/O) through its
 * generic handler whatever the parse options say; they reach the sink
 * through the parser context instead. */
static void
no_generic_error(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

static int
extract(const char *path, int fd, const struct sd_sink *sink)
{
    char *buf = NULL, *outlet = NULL, *feed_lang = NULL;
    size_t len = 0, pos = 0, skipped = 0;
    struct feed f = { 0 };
    struct names used = { 0 };
    const xmlNode *root, *chan, *items;
    const char *item_name;
    int rc, err = 0;

    (void)path;
    /* Per thread in libxml2, so no state is shared between calls. */
    xmlSetGenericErrorFunc(NULL, no_generic_error);
    if ((rc = pio_read_all(fd, FD_MAX_FILE_BYTES, &buf, &len)) < 0)
        return rc;
    if (len == 0) {
        sink->log(sink->host, SD_LOG_WARN, "feed: empty file");
        rc = -EINVAL;
        goto out;
    }
    if ((f.doc = parse_feed(buf, len, sink)) == NULL ||
        (root = xmlDocGetRootElement(f.doc)) == NULL) {
        sink->log(sink->host, SD_LOG_WARN,
                  "feed: not an XML file (no root element could be read)");
        rc = -EINVAL;
        goto out;
    }
    if (strcmp((const char *)root->name, "rss") == 0) {
        f.kind = FEED_RSS;
        f.ns = NULL;
        chan = child(&f, root, NULL, NULL, "channel");
        items = chan;
        item_name = "item";
    } else if (strcmp((const char *)root->name, "RDF") == 0) {
        f.kind = FEED_RDF;
        f.ns = NS_RSS1;
        chan = child(&f, root, NULL, NULL, "channel");
        if (chan == NULL) {
            f.ns = NS_RSS09;
            chan = child(&f, root, NULL, NULL, "channel");
        }
        items = root;
        item_name = "item";
    } else if (strcmp((const char *)root->name, "feed") == 0 &&
               root->ns != NULL &&
               (strcmp((const char *)root->ns->href, NS_ATOM) == 0 ||
                strcmp((const char *)root->ns->href, NS_ATOM03) == 0)) {
        f.kind = FEED_ATOM;
        f.ns = (const char *)root->ns->href;
        chan = root;
        items = root;
        item_name = "entry";
    } else {
        logf_(sink, SD_LOG_WARN, "feed: root element <%.64s> is not rss, "
              "an Atom feed or an RSS rdf:RDF",
              (const char *)root->name);
        rc = -EINVAL;
        goto out;
    }
    if (chan == NULL || items == NULL) {
        sink->log(sink->host, SD_LOG_WARN,
                  "feed: the feed has no <channel> element");
        rc = -EINVAL;
        goto out;
    }
    outlet = title_of(&f, child(&f, chan, NULL, NULL, "title"), &err);
    f.base = feed_base(&f, chan, &err);
    {
        const xmlNode *l = child(&f, chan, NULL, NULL, "language");
        char *s;
        xmlChar *xl;

        if (l == NULL)
            l = child(&f, chan, NS_DC, "dc", "language");
        s = plain_of(l, &err);
        feed_lang = lang_of(s);
        free(s);
        if (feed_lang == NULL && (xl = xmlNodeGetLang(chan)) != NULL) {
            feed_lang = lang_of((const char *)xl);
            xmlFree(xl);
        }
    }
    if (err) {
        rc = err;
        goto out;
    }
    for (const xmlNode *n = items->children; n != NULL; n = n->next) {
        struct item it = { 0 };

        if (!is_el(&f, n, NULL, NULL, item_name))
            continue;
        pos++;
        rc = f.kind == FEED_ATOM ? read_atom_entry(&f, n, &it, sink)
                                 : read_rss_item(&f, n, &it, sink);
        if (rc == 0 && it.title == NULL && it.body.n == 0 &&
            it.body.cur.len == 0 && it.summary == NULL)
            skipped++;
        else if (rc == 0)
            rc = put_item(sink, &it, outlet, feed_lang, pos, &used);
        item_free(&it);
        if (rc < 0)
            goto out;
    }
    if (pos == 0)
        logf_(sink, SD_LOG_INFO, "feed: \"%.200s\" has no items",
              outlet != NULL ? outlet : "(untitled)");
    if (skipped > 0)
        logf_(sink, SD_LOG_INFO, "feed: %zu items without a title or "
              "text skipped", skipped);
    rc = 0;
out:
    xmlFreeDoc(f.doc);
    free(f.base);
    names_free(&used);
    free(outlet);
    free(feed_lang);
    free(buf);
    return rc;
}

/* libxml2 sets up its global tables once per process, before any thread
 * parses. */
static int
init(void)
{
    xmlInitParser();
    return 0;
}

static const char *const extensions[] = { ".rss", ".atom", ".xml", NULL };
static const char *const mime_types[] = {
    "application/rss+xml", "application/atom+xml", "application/rdf+xml",
    NULL
};

static const struct sd_plugin desc = {
    .abi = SD_PLUGIN_ABI,
    .size = sizeof(struct sd_plugin),
    .name = "feed",
    .version = "1.0",
    .mime_types = mime_types,
    .extensions = extensions,
    .init = init,
    .probe = probe,
    .extract = extract,
};

SD_PLUGIN_DEFINE(desc)
