/*
 * plugins/html.c - generic news article pages (HTML).
 *
 * Parser: gumbo (libgumbo, Debian 0.10.1), a conforming HTML5 parser, was
 * picked over libxml2's HTMLparser (2.9.14) for quality: real pages are
 * full of tag soup (unclosed <p>, <div> inside <p>, stray </div>) that
 * browsers repair by the HTML5 tree-building rules, and the scoring below
 * relies on paragraphs staying inside their article container; gumbo
 * builds the tree a browser does, libxml2's pre-HTML5 parser does not.
 * Speed, measured side by side on the 61 dev pages of the extraction
 * benchmark (bench/extract-eval, figures in bench/README.md): libxml2
 * parses 3 to 4 times as fast as gumbo (50-78 against 13-18 MB/s).  With
 * scripts, styles and comments cut before the parse (prune_page), the
 * whole extraction of a 50-150 KB page takes p50 3.5-6 ms in process,
 * less than gumbo takes on the raw page.  Quality (bench/parser-eval):
 * the extractor scores the same F1 on libxml2's tree as on gumbo's, so
 * conformance decides: only gumbo builds the HTML5 tree (libxml2's HTML 4
 * rules keep a <p> open across <figure>, <section> and the like).
 *
 * Probe: 85 when the head starts (after a BOM, white space and comments)
 * with <!doctype html> or <html>, 60 when <html, <head or <body appear
 * later in the head; the file name is not looked at.
 *
 * Extract, one document per page:
 *   1. charset: a BOM, else <meta charset> or <meta http-equiv=
 *      content-type> in the first 4 KiB, else a sniff (valid UTF-8, or
 *      Windows-1252).  A declared single-byte charset on bytes that are
 *      valid, non-ASCII UTF-8 is taken for UTF-8 (a wrong declaration), and
 *      a declared UTF-8 on invalid bytes falls back to Windows-1252.
 *      Everything is converted to UTF-8 with iconv.
 *   2. the body, readability-style: scripts, styles, navigation, forms
 *      controls, hidden elements and blocks whose class/id says menu,
 *      share, comment, related, cookie, newsletter... are dropped; text is
 *      cut into blocks at block-level tags; every paragraph-like block
 *      scores its parent and grandparent (commas, length), containers get
 *      tag and class/id weights and lose their link density; the best
 *      container and its good siblings are the article; inside it, lists,
 *      tables and divs that are mostly links are dropped, and so are
 *      link-heavy blocks; headings below h1 and list items are kept.
 *   3. metadata: JSON-LD (NewsArticle/Article...: headline, author(s),
 *      datePublished, dateModified, publisher), OpenGraph and Twitter
 *      cards, <meta name=author|date|...>, <time datetime>, <link
 *      rel=canonical>, <title> last.  Authors lose "By" (and "Analysis
 *      by"...), the dates and times glued on, e-mail addresses and job
 *      titles, and are split on "and", "&", ",", ";"; dates become ISO
 *      8601 and are refused before 1990 or more than two days ahead;
 *      the outlet is og:site_name, else the JSON-LD publisher, else the
 *      host of the canonical URL.
 * A page with neither body text nor a title fails with -EINVAL.
 */
#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <gumbo.h>
#include <jansson.h>

#include <searchd/plugin.h>

#include "pluginio.h"

/* Pages bigger than this are refused (the host's own cap is higher). */
#define HT_MAX_FILE_BYTES ((size_t)32 << 20)
/* Elements deeper than this are not walked: bounds recursion and time on
 * pathological nesting (real pages stay under 60; prune_page keeps
 * parsed pages under about 3 x HT_MAX_NEST). */
#define HT_MAX_DEPTH 1024
/* How much of the page the charset declaration is looked for in. */
#define HT_PRESCAN_BYTES 4096
/* Blocks shorter than this do not score their ancestors. */
#define HT_MIN_SCORE_LEN 25
/* A first result shorter than this is retried without the class/id
 * removal (some sites name the article wrapper "...-sidebar-..."). */
#define HT_RETRY_LEN 250

/* ---- charset -------------------------------------------------------------- */

/* Case-insensitive search for needle in s[0..n).  Positions whose first
 * byte cannot start the needle are passed over without a call. */
static const char *
memcasemem(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    unsigned char lo, up;

    if (m == 0 || n < m)
        return NULL;
    lo = (unsigned char)tolower((unsigned char)needle[0]);
    up = (unsigned char)toupper((unsigned char)needle[0]);
    for (size_t i = 0; i + m <= n; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c == lo || c == up) && strncasecmp(s + i, needle, m) == 0)
            return s + i;
    }
    return NULL;
}

/* Copy a charset label starting at p (bounded by end) into out. */
static bool
read_label(const char *p, const char *end, char *out, size_t outsz)
{
    size_t k = 0;

    while (p < end && (*p == ' ' || *p == '=' || *p == '"' || *p == '\''))
        p++;
    while (p < end && k + 1 < outsz &&
           (isalnum((unsigned char)*p) || *p == '-' || *p == '_' ||
            *p == ':' || *p == '.'))
        out[k++] = (char)tolower((unsigned char)*p++);
    out[k] = '\0';
    return k > 0;
}

/*
 * The charset a <meta> in the first bytes declares, lower case, or false.
 * Both <meta charset=X> and <meta http-equiv=content-type
 * content="text/html; charset=X"> contain "charset" followed by the label.
 */
static bool
declared_charset(const char *buf, size_t len, char *out, size_t outsz)
{
    size_t n = len < HT_PRESCAN_BYTES ? len : HT_PRESCAN_BYTES;
    const char *p = buf, *end = buf + n;

    while ((p = memcasemem(p, (size_t)(end - p), "<meta")) != NULL) {
        const char *gt = memchr(p, '>', (size_t)(end - p));
        const char *cs;

        if (gt == NULL)
            break;
        cs = memcasemem(p, (size_t)(gt - p), "charset");
        if (cs != NULL && read_label(cs + 7, gt, out, outsz))
            return true;
        p = gt;
    }
    return false;
}

/*
 * Convert in[0..n) from charset `from` to UTF-8 into out.  Bytes iconv
 * cannot read become U+FFFD.  -EINVAL when iconv does not know `from`.
 */
static int
to_utf8(const char *from, const char *in, size_t n, struct pio_str *out)
{
    iconv_t cd = iconv_open("UTF-8", from);
    char *ip = (char *)in;
    size_t il = n;

    if (cd == (iconv_t)-1)
        return -EINVAL;
    if (pio_str_reserve(out, n + n / 2 + 16) < 0)
        goto nomem;
    while (il > 0) {
        char *op = out->s + out->len;
        size_t ol = out->cap - out->len - 1;
        size_t r = iconv(cd, &ip, &il, &op, &ol);

        out->len = (size_t)(op - out->s);
        if (r != (size_t)-1)
            break;
        if (errno == E2BIG) {
            if (pio_str_reserve(out, il * 2 + 16) < 0)
                goto nomem;
        } else if (errno == EILSEQ || errno == EINVAL) {
            if (pio_str_add(out, "\xef\xbf\xbd", 3) < 0)
                goto nomem;
            ip++;
            il--;
        } else
            break;
    }
    out->s[out->len] = '\0';
    iconv_close(cd);
    return 0;
nomem:
    iconv_close(cd);
    return -ENOMEM;
}

/* The page as UTF-8 in out (see the top comment for the rules). */
static int
decode_page(const char *buf, size_t len, struct pio_str *out)
{
    const unsigned char *u = (const unsigned char *)buf;
    char label[48];
    bool non_ascii, valid;
    int rc;

    if (len >= 3 && memcmp(u, "\xef\xbb\xbf", 3) == 0)
        return pio_str_add(out, buf + 3, len - 3);
    if (len >= 2 && u[0] == 0xff && u[1] == 0xfe)
        return to_utf8("UTF-16LE", buf + 2, len - 2, out);
    if (len >= 2 && u[0] == 0xfe && u[1] == 0xff)
        return to_utf8("UTF-16BE", buf + 2, len - 2, out);

    valid = pio_is_utf8(u, len, false, &non_ascii);
    if (declared_charset(buf, len, label, sizeof label)) {
        bool utf8 = strcmp(label, "utf-8") == 0 || strcmp(label, "utf8") == 0;
        bool latin1 = strcmp(label, "iso-8859-1") == 0 ||
                      strcmp(label, "latin1") == 0 ||
                      strcmp(label, "latin-1") == 0 ||
                      strcmp(label, "us-ascii") == 0 ||
                      strcmp(label, "ascii") == 0 ||
                      strcmp(label, "windows-1252") == 0 ||
                      strcmp(label, "cp1252") == 0;

        if (utf8 && !valid)     /* a false declaration: sniff below */
            goto sniff;
        if (utf8)
            return pio_str_add(out, buf, len);
        /* Non-ASCII bytes that are all valid UTF-8 are UTF-8, whatever
         * a single-byte declaration says (copied templates). */
        if (pio_is_single_byte_charset(label) && valid && non_ascii)
            return pio_str_add(out, buf, len);
        /* WHATWG: the Latin-1 and ASCII labels mean Windows-1252. */
        rc = to_utf8(latin1 ? "WINDOWS-1252" : label, buf, len, out);
        if (rc != -EINVAL)
            return rc;
    }
sniff:
    if (valid)
        return pio_str_add(out, buf, len);
    return to_utf8("WINDOWS-1252", buf, len, out);
}

/* ---- pruning before the parse ------------------------------------------------- */

/*
 * One pass over the bytes before gumbo sees them, for two reasons.
 *
 * Time: two thirds of the bytes of the benchmark's pages are scripts,
 * styles and comments, which the extractor never reads, and gumbo's
 * tokenizer spends most of the parse on them.  Comments are removed and
 * the content of <script> and <style> elements is emptied (the tags
 * stay), except JSON-LD scripts, which the metadata comes from.  This
 * halves the parse time on pages of 50 to 150 KB (bench/README.md).
 *
 * Nesting: gumbo checks scopes by scanning the stack of open elements, so
 * its time grows with the square of the nesting depth (50,000 nested
 * <b><i> take minutes).  Start tags that would open elements deeper than
 * HT_MAX_NEST are cut out (with as many of the following end tags),
 * keeping their text.  Depth is estimated from the bytes: void elements,
 * self-closed tags and elements whose end tag is optional (p, li, td...)
 * do not count; comments and raw text (script, style...) are skipped.
 */
#define HT_MAX_NEST 400
/* A tag longer than this loses its attributes before the parse: gumbo
 * checks each attribute against the earlier ones (quadratic), and no
 * real tag that matters for text is this long (inline images can be). */
#define HT_MAX_TAG_BYTES 16384

static bool
tag_is(const char *name, size_t n, const char *const *set)
{
    for (size_t i = 0; set[i]; i++)
        if (strlen(set[i]) == n && strncasecmp(name, set[i], n) == 0)
            return true;
    return false;
}

static const char *const uncounted_tags[] = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link",
    "meta", "param", "source", "track", "wbr", "p", "li", "dt", "dd",
    "option", "optgroup", "tr", "td", "th", "tbody", "thead", "tfoot",
    "colgroup", "caption", "html", "head", "body", "rb", "rt", "rp", NULL
};
static const char *const rawtext_tags[] = {
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed",
    "noframes", NULL
};

static const char *const script_tag[] = { "script", NULL };
static const char *const style_tag[] = { "style", NULL };

/* End of the tag starting at s[i] == '<' (index past '>'), or n. */
static size_t
tag_end(const char *s, size_t n, size_t i)
{
    char q = 0;

    for (i++; i < n; i++) {
        if (q) {
            if (s[i] == q)
                q = 0;
        } else if (s[i] == '"' || s[i] == '\'')
            q = s[i];
        else if (s[i] == '>')
            return i + 1;
    }
    return n;
}

/* Rewrite page in place as described above; returns how many tags were
 * cut for nesting too deep. */
static size_t
prune_page(struct pio_str *page)
{
    char *s = page->s;
    size_t n = page->len, r = 0, w = 0, cut = 0;
    long depth = 0, excess = 0;

    while (r < n) {
        if (s[r] != '<') {
            s[w++] = s[r++];
            continue;
        }
        if (r + 4 <= n && memcmp(s + r, "<!--", 4) == 0) {
            const char *e = memcasemem(s + r + 4, n - r - 4, "-->");

            r = e ? (size_t)(e - s) + 3 : n;    /* dropped */
            continue;
        }
        bool close = r + 1 < n && s[r + 1] == '/';
        size_t nb = r + 1 + close, ne = nb;
        while (ne < n && (isalnum((unsigned char)s[ne]) || s[ne] == '-' ||
                          s[ne] == ':'))
            ne++;
        if (ne == nb || !isalpha((unsigned char)s[nb])) {
            s[w++] = s[r++];
            continue;
        }
        size_t end = tag_end(s, n, r), tag_stop = end;
        bool selfclose = end >= 2 && s[end - 2] == '/';
        bool keep = true;

        if (!tag_is(s + nb, ne - nb, uncounted_tags) && !selfclose) {
            if (close) {
                if (excess > 0) {
                    excess--;
                    keep = false;
                } else if (depth > 0)
                    depth--;
                else
                    keep = false;   /* closes nothing: a stray end tag */
            } else if (depth >= HT_MAX_NEST) {
                excess++;
                keep = false;
            } else
                depth++;
        }
        if (!close && tag_is(s + nb, ne - nb, rawtext_tags)) {
            /* copy through the matching end tag */
            char endtag[16];
            snprintf(endtag, sizeof endtag, "</%.*s", (int)(ne - nb), s + nb);
            const char *e = memcasemem(s + end, n - end, endtag);
            size_t tag = end;   /* the start tag is s[r..tag) */

            end = e ? (size_t)(e - s) : n;
            if (!keep)
                keep = true, excess--, depth++;   /* never cut raw text */
            if ((tag_is(s + nb, ne - nb, script_tag) &&
                 !memcasemem(s + r, tag - r, "ld+json")) ||
                tag_is(s + nb, ne - nb, style_tag)) {
                memmove(s + w, s + r, tag - r);   /* the tag, no content */
                w += tag - r;
                r = end;
                continue;
            }
        }
        if (keep && !close && tag_stop - r > HT_MAX_TAG_BYTES) {
            /* "<name>" (or "<name/>"), then any raw text after it: the
             * attributes go (the tag is at least 16 KB, so the shorter
             * text never overtakes what is still to be read) */
            memmove(s + w, s + r, ne - r);
            w += ne - r;
            if (selfclose)
                s[w++] = '/';
            s[w++] = '>';
            memmove(s + w, s + tag_stop, end - tag_stop);
            w += end - tag_stop;
        } else if (keep) {
            memmove(s + w, s + r, end - r);
            w += end - r;
        } else
            cut++;
        r = end;
    }
    page->len = w;
    s[w] = '\0';
    return cut;
}

/* ---- class/id signals ----------------------------------------------------- */

static bool
has_any(const char *s, const char *const *words)
{
    for (size_t i = 0; words[i] != NULL; i++)
        if (strstr(s, words[i]) != NULL)
            return true;
    return false;
}

/* Class/id fragments of page furniture (removed outright in the first
 * pass unless a positive word is there too). */
static const char *const unlikely_words[] = {
    "-ad-", "ad-slot", "ad-container", "advert", "ai2html", "banner",
    "breadcrumb", "combx", "comment", "community", "cookie", "consent",
    "cover-wrap", "disqus", "extra", "footer", "gdpr", "header", "legends",
    "menu", "related", "remark", "replies", "rss", "shoutbox", "sidebar",
    "skyscraper", "social", "sponsor", "supplemental", "ad-break",
    "agegate", "pagination", "pager", "popup", "modal", "newsletter",
    "subscribe", "signup", "share", "sharing", "promo", "outbrain",
    "taboola", "recommend", "most-popular", "mostpopular", "trending",
    "navbar", "nav-", "-nav", "toolbar", "byline", "caption", "credit",
    "paywall", "read-more", "readmore", "more-stories", "tags", NULL
};
static const char *const maybe_words[] = {
    "and", "article", "body", "column", "content", "main", "shadow",
    "story", NULL
};
static const char *const negative_words[] = {
    "-ad-", "hidden", "banner", "combx", "comment", "com-", "contact",
    "foot", "footnote", "gdpr", "masthead", "media", "meta", "outbrain",
    "promo", "related", "scroll", "share", "shoutbox", "sidebar",
    "skyscraper", "sponsor", "shopping", "tags", "tool", "widget",
    "newsletter", "subscribe", "cookie", "social", "nav", "menu", NULL
};
static const char *const positive_words[] = {
    "article", "body", "content", "entry", "hentry", "h-entry", "main",
    "page", "post", "text", "blog", "story", "prose", NULL
};

/* class and id of el, lower case, joined by a space, cut to fit outsz
 * (NUL included). */
static void
class_id(const GumboElement *el, char *out, size_t outsz)
{
    const GumboAttribute *c = gumbo_get_attribute(&el->attributes, "class");
    const GumboAttribute *i = gumbo_get_attribute(&el->attributes, "id");
    size_t k = 0;

    out[0] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        const GumboAttribute *a = pass == 0 ? c : i;
        if (a == NULL)
            continue;
        for (const char *p = a->value; *p && k + 2 < outsz; p++)
            out[k++] = (char)tolower((unsigned char)*p);
        /* A class that filled out leaves no room for the space and the
         * NUL both (the fuzzer's first find: one byte past out). */
        if (k + 1 < outsz)
            out[k++] = ' ';
    }
    out[k] = '\0';
}

static int
class_weight(const GumboElement *el)
{
    char ci[512];
    int w = 0;

    class_id(el, ci, sizeof ci);
    if (ci[0] == '\0')
        return 0;
    if (has_any(ci, negative_words))
        w -= 25;
    if (has_any(ci, positive_words))
        w += 25;
    return w;
}

/* ---- the walk: elements and text blocks ----------------------------------- */

enum kind { K_OTHER, K_P, K_H1, K_H, K_LI, K_TD };

/* One element met in the walk (preorder); subtree = [index, end). */
struct elem {
    const GumboNode *g;     /* borrowed from the gumbo tree */
    int parent;             /* index, -1 for the root */
    int end;
    double score;
    bool scored;            /* score initialised */
    bool dropped;           /* removed by the conditional clean */
    size_t text, link, commas;
    unsigned p, li, img, input;
};

/* A run of text between two block boundaries. */
struct block {
    size_t off, len;        /* in walk.text */
    size_t link;            /* bytes of it inside <a> */
    int container;          /* innermost block element */
    enum kind kind;
};

struct walk {
    struct elem *el;
    size_t nel, capel;
    struct block *bl;
    size_t nbl, capbl;
    struct pio_str text;        /* all block texts, owned */
    size_t cur_off;         /* start of the open block in text */
    size_t cur_link;
    int cur_container;
    int in_link, in_pre;
    bool strict;            /* remove unlikely class/id subtrees */
    int *stack;             /* open block elements */
    size_t nstack;
};

static bool
is_block_tag(GumboTag t)
{
    switch (t) {
    case GUMBO_TAG_ADDRESS: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_ASIDE:
    case GUMBO_TAG_BLOCKQUOTE: case GUMBO_TAG_BODY: case GUMBO_TAG_CENTER:
    case GUMBO_TAG_DD: case GUMBO_TAG_DETAILS:
    case GUMBO_TAG_DIR: case GUMBO_TAG_DIV: case GUMBO_TAG_DL:
    case GUMBO_TAG_DT: case GUMBO_TAG_FIELDSET: case GUMBO_TAG_FIGCAPTION:
    case GUMBO_TAG_FIGURE: case GUMBO_TAG_FOOTER: case GUMBO_TAG_FORM:
    case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3:
    case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6:
    case GUMBO_TAG_HEADER: case GUMBO_TAG_HGROUP: case GUMBO_TAG_HR:
    case GUMBO_TAG_LI: case GUMBO_TAG_MAIN: case GUMBO_TAG_MENU:
    case GUMBO_TAG_NAV: case GUMBO_TAG_OL: case GUMBO_TAG_P:
    case GUMBO_TAG_PRE: case GUMBO_TAG_SECTION: case GUMBO_TAG_TABLE:
    case GUMBO_TAG_TBODY: case GUMBO_TAG_THEAD: case GUMBO_TAG_TFOOT:
    case GUMBO_TAG_TR: case GUMBO_TAG_TD: case GUMBO_TAG_TH:
    case GUMBO_TAG_UL: case GUMBO_TAG_BR: case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_SUMMARY: case GUMBO_TAG_HTML:
        return true;
    default:
        return false;
    }
}

/* Elements never part of an article's text. */
static bool
is_junk_tag(GumboTag t)
{
    switch (t) {
    case GUMBO_TAG_SCRIPT: case GUMBO_TAG_STYLE: case GUMBO_TAG_NOSCRIPT:
    case GUMBO_TAG_TEMPLATE: case GUMBO_TAG_SVG: case GUMBO_TAG_MATH:
    case GUMBO_TAG_IFRAME: case GUMBO_TAG_OBJECT: case GUMBO_TAG_EMBED:
    case GUMBO_TAG_CANVAS: case GUMBO_TAG_BUTTON: case GUMBO_TAG_SELECT:
    case GUMBO_TAG_TEXTAREA: case GUMBO_TAG_INPUT: case GUMBO_TAG_NAV:
    case GUMBO_TAG_ASIDE: case GUMBO_TAG_FOOTER: case GUMBO_TAG_HEADER:
    case GUMBO_TAG_FIGCAPTION: case GUMBO_TAG_HEAD: case GUMBO_TAG_TITLE:
    case GUMBO_TAG_MENU: case GUMBO_TAG_AUDIO:
    case GUMBO_TAG_VIDEO: case GUMBO_TAG_MAP: case GUMBO_TAG_LABEL:
    case GUMBO_TAG_OPTION: case GUMBO_TAG_DATALIST:
        return true;
    default:
        return false;
    }
}

static bool
is_hidden(const GumboElement *el)
{
    const GumboAttribute *a;

    if (gumbo_get_attribute(&el->attributes, "hidden") != NULL)
        return true;
    a = gumbo_get_attribute(&el->attributes, "aria-hidden");
    if (a != NULL && strcasecmp(a->value, "true") == 0)
        return true;
    a = gumbo_get_attribute(&el->attributes, "style");
    if (a != NULL) {
        char st[256];
        size_t k = 0;
        for (const char *p = a->value; *p && k + 1 < sizeof st; p++)
            if (*p != ' ')
                st[k++] = (char)tolower((unsigned char)*p);
        st[k] = '\0';
        if (strstr(st, "display:none") || strstr(st, "visibility:hidden"))
            return true;
    }
    a = gumbo_get_attribute(&el->attributes, "role");
    if (a != NULL) {
        static const char *const roles[] = {
            "navigation", "menu", "menubar", "complementary", "dialog",
            "alertdialog", "banner", "contentinfo", "search", NULL
        };
        for (size_t i = 0; roles[i]; i++)
            if (strcasecmp(a->value, roles[i]) == 0)
                return true;
    }
    return false;
}

static bool
is_unlikely(const GumboElement *el)
{
    char ci[512];

    if (el->tag == GUMBO_TAG_BODY || el->tag == GUMBO_TAG_HTML ||
        el->tag == GUMBO_TAG_ARTICLE || el->tag == GUMBO_TAG_MAIN ||
        el->tag == GUMBO_TAG_A || el->tag == GUMBO_TAG_P ||
        el->tag == GUMBO_TAG_TABLE || el->tag == GUMBO_TAG_TD ||
        el->tag == GUMBO_TAG_TR || el->tag == GUMBO_TAG_TBODY)
        return false;
    class_id(el, ci, sizeof ci);
    return ci[0] != '\0' && has_any(ci, unlikely_words) &&
           !has_any(ci, maybe_words);
}

static enum kind
kind_of(GumboTag t)
{
    switch (t) {
    case GUMBO_TAG_P: case GUMBO_TAG_PRE: case GUMBO_TAG_BLOCKQUOTE:
        return K_P;
    case GUMBO_TAG_H1:
        return K_H1;
    case GUMBO_TAG_H2: case GUMBO_TAG_H3: case GUMBO_TAG_H4:
    case GUMBO_TAG_H5: case GUMBO_TAG_H6:
        return K_H;
    case GUMBO_TAG_LI: case GUMBO_TAG_DT: case GUMBO_TAG_DD:
        return K_LI;
    case GUMBO_TAG_TD: case GUMBO_TAG_TH:
        return K_TD;
    default:
        return K_OTHER;
    }
}

/* Close the open block (if it holds text) into w->bl. */
static int
flush_block(struct walk *w)
{
    size_t off = w->cur_off, len = w->text.len - off;

    while (len > 0 && w->text.s[off + len - 1] == ' ')
        len--;
    if (len > 0) {
        if (w->nbl == w->capbl) {
            size_t cap = w->capbl ? w->capbl * 2 : 64;
            struct block *b = realloc(w->bl, cap * sizeof *b);
            if (b == NULL)
                return -ENOMEM;
            w->bl = b;
            w->capbl = cap;
        }
        int c = w->cur_container;
        w->bl[w->nbl++] = (struct block){
            .off = off, .len = len, .link = w->cur_link, .container = c,
            .kind = c >= 0 ? kind_of(w->el[c].g->v.element.tag) : K_OTHER,
        };
        if (c >= 0) {
            size_t commas = 0;
            for (size_t i = 0; i < len; i++)
                commas += w->text.s[off + i] == ',';
            w->el[c].text += len;
            w->el[c].link += w->cur_link;
            w->el[c].commas += commas;
        }
        w->text.len = off + len;
    } else
        w->text.len = off;
    w->cur_off = w->text.len;
    w->cur_link = 0;
    w->cur_container = w->nstack ? w->stack[w->nstack - 1] : -1;
    return 0;
}

/* Append text, white space collapsed (NBSP counts as white space). */
static int
add_text(struct walk *w, const char *s)
{
    size_t n = strlen(s), before = w->text.len;

    if (pio_str_reserve(&w->text, n + 1) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        bool sp = pio_is_space(c);

        if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] == 0xa0) {
            sp = true;
            i++;
        }
        if (sp) {
            if (w->text.len > w->cur_off &&
                w->text.s[w->text.len - 1] != ' ')
                w->text.s[w->text.len++] = ' ';
        } else
            w->text.s[w->text.len++] = (char)c;
    }
    w->text.s[w->text.len] = '\0';
    if (w->in_link)
        w->cur_link += w->text.len - before;
    return 0;
}

static int
walk_node(struct walk *w, const GumboNode *n, int parent, int depth)
{
    int rc = 0;

    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA ||
        n->type == GUMBO_NODE_WHITESPACE)
        return add_text(w, n->v.text.text);
    if (n->type != GUMBO_NODE_ELEMENT && n->type != GUMBO_NODE_TEMPLATE &&
        n->type != GUMBO_NODE_DOCUMENT)
        return 0;
    if (n->type == GUMBO_NODE_DOCUMENT) {
        for (unsigned i = 0; i < n->v.document.children.length && rc == 0; i++)
            rc = walk_node(w, n->v.document.children.data[i], parent, depth + 1);
        return rc;
    }

    const GumboElement *el = &n->v.element;
    if (depth > HT_MAX_DEPTH || is_junk_tag(el->tag) || is_hidden(el) ||
        (w->strict && is_unlikely(el)))
        return 0;
    if (el->tag == GUMBO_TAG_IMG) {
        if (parent >= 0)
            w->el[parent].img++;
        return 0;
    }

    bool block = is_block_tag(el->tag);
    int idx = -1;

    if (block) {
        if (w->nel == w->capel) {
            size_t cap = w->capel ? w->capel * 2 : 256;
            struct elem *e = realloc(w->el, cap * sizeof *e);
            int *st = realloc(w->stack, cap * sizeof *st);
            if (st != NULL)
                w->stack = st;
            if (e == NULL || st == NULL) {
                if (e != NULL)
                    w->el = e;
                return -ENOMEM;
            }
            w->el = e;
            w->capel = cap;
        }
        if ((rc = flush_block(w)) < 0)
            return rc;
        idx = (int)w->nel++;
        w->el[idx] = (struct elem){ .g = n, .parent = parent };
        if (parent >= 0) {
            if (el->tag == GUMBO_TAG_P)
                w->el[parent].p++;
            else if (el->tag == GUMBO_TAG_LI)
                w->el[parent].li++;
        }
        w->stack[w->nstack++] = idx;
        w->cur_container = idx;
    }
    if (el->tag == GUMBO_TAG_A)
        w->in_link++;
    for (unsigned i = 0; i < el->children.length && rc == 0; i++)
        rc = walk_node(w, el->children.data[i], block ? idx : parent,
                       depth + 1);
    if (el->tag == GUMBO_TAG_A)
        w->in_link--;
    if (block && rc == 0) {
        rc = flush_block(w);
        w->nstack--;
        w->cur_container = w->nstack ? w->stack[w->nstack - 1] : -1;
        w->el[idx].end = (int)w->nel;
        if (parent >= 0) {
            struct elem *p = &w->el[parent], *e = &w->el[idx];
            p->text += e->text;
            p->link += e->link;
            p->commas += e->commas;
            p->p += e->p;
            p->li += e->li;
            p->img += e->img;
            p->input += e->input;
        }
    }
    return rc;
}

/* ---- scoring ---------------------------------------------------------------- */

static double
link_density(const struct elem *e)
{
    return e->text ? (double)e->link / (double)e->text : 0.0;
}

static void
init_score(struct elem *e)
{
    const GumboElement *el = &e->g->v.element;
    double s = 0;

    switch (el->tag) {
    case GUMBO_TAG_DIV: case GUMBO_TAG_ARTICLE: case GUMBO_TAG_SECTION:
    case GUMBO_TAG_MAIN:
        s = 5;
        break;
    case GUMBO_TAG_PRE: case GUMBO_TAG_TD: case GUMBO_TAG_BLOCKQUOTE:
        s = 3;
        break;
    case GUMBO_TAG_ADDRESS: case GUMBO_TAG_OL: case GUMBO_TAG_UL:
    case GUMBO_TAG_DL: case GUMBO_TAG_DD: case GUMBO_TAG_DT:
    case GUMBO_TAG_LI: case GUMBO_TAG_FORM:
        s = -3;
        break;
    case GUMBO_TAG_H1: case GUMBO_TAG_H2: case GUMBO_TAG_H3:
    case GUMBO_TAG_H4: case GUMBO_TAG_H5: case GUMBO_TAG_H6:
    case GUMBO_TAG_TH:
        s = -5;
        break;
    default:
        break;
    }
    e->score = s + class_weight(el);
    e->scored = true;
}

/* Word characters in a block: UTF-8 continuation bytes are not counted,
 * so scores do not favour scripts written with more bytes per letter. */
static size_t
char_len(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xc0) != 0x80;
    return c;
}

static void
score_blocks(struct walk *w)
{
    for (size_t b = 0; b < w->nbl; b++) {
        const struct block *bl = &w->bl[b];
        const char *s = w->text.s + bl->off;
        size_t len = char_len(s, bl->len), commas = 0;
        double add;
        int a;

        if (bl->container < 0 || len < HT_MIN_SCORE_LEN ||
            bl->kind == K_H1 || bl->kind == K_H || bl->kind == K_LI)
            continue;
        for (size_t i = 0; i < bl->len; i++)
            commas += s[i] == ',';
        add = 1.0 + (double)commas + (double)(len / 100 < 3 ? len / 100 : 3);
        a = w->el[bl->container].parent;
        for (int level = 0; a >= 0 && level < 5; level++) {
            struct elem *e = &w->el[a];
            if (!e->scored)
                init_score(e);
            e->score += add / (level == 0 ? 1.0 : level == 1 ? 2.0 : level * 3.0);
            a = e->parent;
        }
    }
}

/* Remove, inside the article, containers that are mostly links or
 * lists of short items (readability's conditional clean). */
static void
clean_conditionally(struct walk *w, int root)
{
    for (int i = root + 1; i < w->el[root].end; i++) {
        struct elem *e = &w->el[i];
        GumboTag t = e->g->v.element.tag;
        int weight;
        double ld;

        if (t != GUMBO_TAG_DIV && t != GUMBO_TAG_SECTION &&
            t != GUMBO_TAG_UL && t != GUMBO_TAG_OL &&
            t != GUMBO_TAG_TABLE && t != GUMBO_TAG_FORM &&
            t != GUMBO_TAG_DL)
            continue;
        if (e->commas >= 10)
            continue;
        weight = class_weight(&e->g->v.element);
        ld = link_density(e);
        if (weight + (e->scored ? e->score : 0) < 0 ||
            (weight < 25 && ld > 0.2) || (weight >= 25 && ld > 0.5) ||
            (e->text < 25 && e->img != 1 && e->p == 0))
            e->dropped = true;
    }
}

/* Is block b part of the article rooted at the selected elements? */
static bool
block_kept(const struct walk *w, const struct block *b, const bool *sel)
{
    int c = b->container;

    if (c < 0 || !sel[c])
        return false;
    for (int a = c; a >= 0; a = w->el[a].parent)
        if (w->el[a].dropped)
            return false;
    if (b->kind == K_H1)
        return false;
    if (b->len > 0 && (double)b->link / (double)b->len > 0.5)
        return false;
    return true;
}

/* Short lines that are furniture whatever the page. */
static bool
is_boilerplate_line(const char *s, size_t n)
{
    static const char *const lines[] = {
        "advertisement", "advertising", "continue reading", "read more",
        "share this article", "share", "related", "sponsored", NULL
    };
    if (n > 40)
        return false;
    for (size_t i = 0; lines[i]; i++)
        if (strlen(lines[i]) == n && strncasecmp(s, lines[i], n) == 0)
            return true;
    return false;
}

/*
 * Readability's two moves up from the best candidate: when at least three
 * of the five best candidates scoring 3/4 of it or more share an ancestor,
 * that ancestor holds the article split into sections; and a parent that
 * scores more than the candidate (without falling under a third on the
 * way up) holds the candidate and more of the text.
 */
static int
climb_candidate(const struct walk *w, int top)
{
    int alt[5], nalt = 0;
    double best = w->el[top].score, last;

    for (size_t i = 0; i < w->nel; i++) {
        const struct elem *e = &w->el[i];
        if (!e->scored || (int)i == top || e->score < best * 0.75)
            continue;
        if (nalt < 5)
            alt[nalt++] = (int)i;
        else {
            int lo = 0;
            for (int k = 1; k < 5; k++)
                if (w->el[alt[k]].score < w->el[alt[lo]].score)
                    lo = k;
            if (e->score > w->el[alt[lo]].score)
                alt[lo] = (int)i;
        }
    }
    if (nalt >= 3) {
        for (int a = w->el[top].parent; a >= 0; a = w->el[a].parent) {
            GumboTag t = w->el[a].g->v.element.tag;
            int inside = 0;
            if (t == GUMBO_TAG_BODY || t == GUMBO_TAG_HTML)
                break;
            for (int k = 0; k < nalt; k++)
                inside += alt[k] >= a && alt[k] < w->el[a].end;
            if (inside >= 3) {
                top = a;
                break;
            }
        }
    }
    last = w->el[top].scored ? w->el[top].score : best;
    for (int a = w->el[top].parent; a >= 0; a = w->el[a].parent) {
        const struct elem *e = &w->el[a];
        GumboTag t = e->g->v.element.tag;
        if (t == GUMBO_TAG_BODY || t == GUMBO_TAG_HTML)
            break;
        if (!e->scored)
            continue;
        if (e->score < last / 3)
            break;
        if (e->score > last) {
            top = a;
            break;
        }
        last = e->score;
    }
    return top;
}

/*
 * Pick the article in w and return its blocks joined by "\n\n" into out
 * (owned by the caller), or an empty string.
 */
static int
pick_article(struct walk *w, struct pio_str *out)
{
    int top = -1;
    double best = 0;
    bool *sel;

    score_blocks(w);
    for (size_t i = 0; i < w->nel; i++) {
        struct elem *e = &w->el[i];
        if (!e->scored)
            continue;
        e->score *= 1.0 - link_density(e);
        if (top < 0 || e->score > best) {
            top = (int)i;
            best = e->score;
        }
    }
    if (top < 0) {
        for (size_t i = 0; i < w->nel; i++)
            if (w->el[i].g->v.element.tag == GUMBO_TAG_BODY) {
                top = (int)i;
                break;
            }
    }
    if (top < 0)
        return 0;

    top = climb_candidate(w, top);
    best = w->el[top].scored ? w->el[top].score : best;

    sel = calloc(w->nel ? w->nel : 1, sizeof *sel);
    if (sel == NULL)
        return -ENOMEM;
    /* the top candidate and its good siblings */
    int parent = w->el[top].parent;
    double threshold = best * 0.2 > 10 ? best * 0.2 : 10;
    const GumboAttribute *tcls =
        gumbo_get_attribute(&w->el[top].g->v.element.attributes, "class");
    for (size_t i = 0; i < w->nel; i++) {
        struct elem *e = &w->el[i];
        bool take = false;

        if ((int)i == top)
            take = true;
        else if (parent >= 0 && e->parent == parent) {
            double bonus = 0;
            const GumboAttribute *c =
                gumbo_get_attribute(&e->g->v.element.attributes, "class");
            if (tcls && c && tcls->value[0] && strcmp(tcls->value, c->value) == 0)
                bonus = best * 0.2;
            if (e->scored && e->score + bonus >= threshold)
                take = true;
            else if (e->g->v.element.tag == GUMBO_TAG_P) {
                double ld = link_density(e);
                if (e->text > 80 && ld < 0.25)
                    take = true;
                else if (e->text > 0 && ld == 0) {
                    /* a short sentence */
                    for (size_t b = 0; b < w->nbl; b++)
                        if (w->bl[b].container == (int)i) {
                            const char *s = w->text.s + w->bl[b].off;
                            size_t n = w->bl[b].len;
                            take = n > 0 && s[n - 1] == '.';
                            break;
                        }
                }
            }
        }
        if (take) {
            clean_conditionally(w, (int)i);
            for (int k = (int)i; k < e->end; k++)
                sel[k] = true;
        }
    }
    for (size_t b = 0; b < w->nbl; b++) {
        const struct block *bl = &w->bl[b];
        const char *s = w->text.s + bl->off;

        if (!block_kept(w, bl, sel) || is_boilerplate_line(s, bl->len))
            continue;
        if (out->len && pio_str_add(out, "\n\n", 2) < 0)
            goto nomem;
        if (pio_str_add(out, s, bl->len) < 0)
            goto nomem;
    }
    free(sel);
    return 0;
nomem:
    free(sel);
    return -ENOMEM;
}

static void
walk_free(struct walk *w)
{
    free(w->el);
    free(w->bl);
    free(w->text.s);
    free(w->stack);
    memset(w, 0, sizeof *w);
}

static int
extract_body(const GumboOutput *g, struct pio_str *out)
{
    int rc = 0;

    for (int strict = 1; strict >= 0; strict--) {
        struct walk w = { .strict = strict, .cur_container = -1 };

        out->len = 0;
        if (out->s)
            out->s[0] = '\0';
        rc = walk_node(&w, g->document, -1, 0);
        if (rc == 0)
            rc = flush_block(&w);
        if (rc == 0)
            rc = pick_article(&w, out);
        walk_free(&w);
        if (rc < 0 || char_len(out->s ? out->s : "", out->len) >= HT_RETRY_LEN)
            break;
    }
    return rc;
}

/* ---- metadata ------------------------------------------------------------- */

#define HT_MAX_AUTHORS 8

/* The metadata found, each value owned (free). */
struct meta {
    char *title, *og_title, *h1, *ld_headline;
    /* dates by source, best first: JSON-LD, <meta>, <time> */
    char *ld_date, *meta_date, *time_date, *ld_modified, *meta_modified;
    char *meta_author;      /* the first author <meta>, split at the end */
    char *url, *site, *publisher, *lang;
    char *ld_body;
    char *authors[HT_MAX_AUTHORS];
    size_t nauthors;
};

static void
meta_free(struct meta *m)
{
    free(m->title); free(m->og_title); free(m->h1); free(m->ld_headline);
    free(m->ld_date); free(m->meta_date); free(m->time_date);
    free(m->ld_modified); free(m->meta_modified); free(m->meta_author);
    free(m->url); free(m->site);
    free(m->publisher); free(m->lang); free(m->ld_body);
    for (size_t i = 0; i < m->nauthors; i++)
        free(m->authors[i]);
}

/* Set *slot to a trimmed, white-space-collapsed copy of s, unless set. */
static void
set_once(char **slot, const char *s)
{
    size_t n, k = 0;
    char *p;

    if (*slot != NULL || s == NULL)
        return;
    n = strlen(s);
    p = malloc(n + 1);
    if (p == NULL)
        return;
    for (size_t i = 0; i < n; i++) {
        bool sp = pio_is_space((unsigned char)s[i]);
        if (sp) {
            if (k > 0 && p[k - 1] != ' ')
                p[k++] = ' ';
        } else
            p[k++] = s[i];
    }
    while (k > 0 && p[k - 1] == ' ')
        k--;
    p[k] = '\0';
    if (k == 0) {
        free(p);
        return;
    }
    *slot = p;
}

static const char *const months[] = {
    "jan", "feb", "mar", "apr", "may", "jun",
    "jul", "aug", "sep", "oct", "nov", "dec"
};

/*
 * Normalise a date to YYYY-MM-DD[THH:MM:SS(Z|+HH:MM)] in out (>= 32
 * bytes).  Accepts ISO 8601 (with '/' or '-', with or without time and
 * zone), "Month D, YYYY" and RFC 822 ("Tue, 19 Nov 2019 10:00:00 GMT").
 * False when the date is malformed, before 1990 or over a day ahead.
 */
static bool
norm_date(const char *s, char *out, size_t outsz)
{
    int y = 0, mo = 0, d = 0, h = -1, mi = 0, sec = 0, tzh = 0, tzm = 0;
    char tz = 0;    /* 0 none, 'Z', '+', '-' */
    const char *p = s;
    int used = 0;

    while (*p && pio_is_space((unsigned char)*p))
        p++;
    if (sscanf(p, "%4d%*[-/]%2d%*[-/]%2d%n", &y, &mo, &d, &used) == 3 &&
        used >= 8) {
        p += used;
        if ((*p == 'T' || *p == ' ') &&
            sscanf(p + 1, "%2d:%2d%n", &h, &mi, &used) == 2) {
            p += 1 + used;
            if (*p == ':' && sscanf(p + 1, "%2d%n", &sec, &used) == 1)
                p += 1 + used;
            if (*p == '.')
                for (p++; isdigit((unsigned char)*p); p++)
                    ;
            while (*p == ' ')
                p++;
            if (*p == 'Z' || strncmp(p, "GMT", 3) == 0 ||
                strncmp(p, "UTC", 3) == 0)
                tz = 'Z';
            else if ((*p == '+' || *p == '-') &&
                     sscanf(p + 1, "%2d%n", &tzh, &used) == 1) {
                tz = *p;
                p += 1 + used;
                if (*p == ':')
                    p++;
                if (sscanf(p, "%2d", &tzm) != 1)
                    tzm = 0;
            }
        }
    } else {
        /* "Tue, 19 Nov 2019 ..." or "November 19, 2019" */
        char a[16] = "", b[16] = "";
        int n1 = 0, n2 = 0;
        const char *q = p;
        const char *comma = strchr(q, ',');

        if (comma && comma - q <= 9 && isalpha((unsigned char)*q))
            for (q = comma + 1; *q == ' '; q++)
                ;               /* a day name, short or long */
        if (sscanf(q, "%d %15[A-Za-z] %d", &n1, a, &n2) == 3) {
            d = n1;
            y = n2;
        } else if (sscanf(q, "%15[A-Za-z] %d, %d", a, &n1, &n2) == 3 ||
                   sscanf(q, "%15[A-Za-z] %d %d", a, &n1, &n2) == 3) {
            d = n1;
            y = n2;
        } else
            return false;
        for (int i = 0; i < 12; i++)
            if (strncasecmp(a, months[i], 3) == 0)
                mo = i + 1;
        (void)b;
        const char *t = strchr(q, ':');
        if (t && t - q > 2 && sscanf(t - 2, "%2d:%2d:%2d", &h, &mi, &sec) >= 2) {
            if (strstr(t, "GMT") || strstr(t, "UTC") || strstr(t, " Z"))
                tz = 'Z';
            else {
                const char *z = strpbrk(t, "+-");
                if (z && sscanf(z + 1, "%2d%2d", &tzh, &tzm) == 2)
                    tz = *z;
            }
        } else
            h = -1;
    }
    if (y < 1990 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
        (h >= 0 && (h > 23 || mi > 59 || sec > 60)) || tzh > 14 || tzm > 59)
        return false;

    struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
                     .tm_hour = h < 0 ? 0 : h, .tm_min = mi };
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || t > time(NULL) + 86400 * 2)
        return false;

    if (h < 0)
        snprintf(out, outsz, "%04d-%02d-%02d", y, mo, d);
    else if (tz == 'Z')
        snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02dZ",
                 y, mo, d, h, mi, sec);
    else if (tz)
        snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
                 y, mo, d, h, mi, sec, tz, tzh, tzm);
    else
        snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d",
                 y, mo, d, h, mi, sec);
    return true;
}

static void
set_date(char **slot, const char *s)
{
    char d[40];

    if (*slot == NULL && s != NULL && norm_date(s, d, sizeof d))
        set_once(slot, d);
}

/* Does a name piece look like a person or desk, not a date or a link? */
static bool
plausible_author(const char *s, size_t n)
{
    size_t digits = 0, words = 1;

    if (n < 2 || n > 60)
        return false;
    for (size_t i = 0; i < n; i++) {
        digits += isdigit((unsigned char)s[i]) != 0;
        words += s[i] == ' ';
        if (s[i] == '@' || s[i] == '/' || s[i] == ':')
            return false;
    }
    return digits == 0 && words <= 6;
}

/* Is the word w (n bytes) one of words (NULL-terminated), ignoring case
 * and a trailing "." or ","? */
static bool
word_in(const char *w, size_t n, const char *const *words)
{
    while (n > 0 && (w[n - 1] == '.' || w[n - 1] == ','))
        n--;
    for (size_t i = 0; words[i]; i++)
        if (strlen(words[i]) == n && strncasecmp(w, words[i], n) == 0)
            return true;
    return false;
}

/* Month and weekday names: a date when a number follows ("March 5"), but
 * "April", "June" or "August" alone may be a first name. */
static const char *const calendar_words[] = {
    "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december", "jan", "feb",
    "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
    "sunday", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri",
    "sat", "sun", NULL
};
/* Words that start a date line whatever follows. */
static const char *const dateline_words[] = {
    "updated", "published", "posted", "modified", NULL
};

static bool
has_digit(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isdigit((unsigned char)w[i]))
            return true;
    return false;
}

/* A job title, a desk or a CMS account, not a person ("Senior
 * Correspondent", "CNN Editor-at-large", "Staff Writer", "admin"). */
static bool
is_role(const char *s)
{
    static const char *const roles[] = {
        "editor", "correspondent", "reporter", "writer", "columnist",
        "contributor", "producer", "analyst", "bureau", "anchor",
        "photographer", "newsroom", "admin", "administrator", "webmaster",
        NULL
    };
    const char *p = s;

    while (*p) {
        size_t n;

        while (*p && !isalpha((unsigned char)*p))
            p++;
        for (n = 0; isalpha((unsigned char)p[n]); n++)
            ;
        for (size_t i = 0; roles[i] && n > 0; i++) {
            size_t rl = strlen(roles[i]);
            /* the word, or its plural */
            if ((n == rl || (n == rl + 1 && (p[rl] == 's' || p[rl] == 'S'))) &&
                strncasecmp(p, roles[i], rl) == 0)
                return true;
        }
        p += n;
    }
    return false;
}

/*
 * One piece of a byline made a name: a leading "By" (or "Analysis by",
 * "Story by": up to three words before "by") goes, and so does anything
 * from the first date or time word on ("Jane Roe Updated March 5, 2019",
 * "Jane Roe 10:42 AM").  Works in place; returns the name's length.
 */
static size_t
clean_author(char **tokp)
{
    char *tok = *tokp, *cut = NULL;
    size_t words = 0, n;

    for (char *q = tok; *q; q++) {
        if (q != tok && q[-1] != ' ')
            continue;
        if (*q == ' ')
            continue;
        if (strncasecmp(q, "by", 2) == 0 && (q[2] == ' ' || q[2] == ':')) {
            if (words <= 3)
                cut = q + 3;
            break;
        }
        if (++words > 4)
            break;
    }
    if (cut != NULL)
        tok = cut;
    while (*tok == ' ')
        tok++;
    /* cut at the first word that holds a digit, starts a date line, or
     * is a month or weekday with a number in the two words after it */
    for (char *q = tok; *q;) {
        size_t wl = strcspn(q, " ");
        bool cut_here = has_digit(q, wl) || word_in(q, wl, dateline_words);

        if (!cut_here && word_in(q, wl, calendar_words)) {
            const char *r = q + wl;

            for (int k = 0; k < 2 && !cut_here; k++) {
                size_t rl;

                while (*r == ' ')
                    r++;
                rl = strcspn(r, " ");
                cut_here = has_digit(r, rl);
                r += rl;
            }
        }
        if (cut_here) {
            *q = '\0';
            break;
        }
        q += wl;
        while (*q == ' ')
            q++;
    }
    n = strlen(tok);
    while (n > 0 && (tok[n - 1] == ' ' || tok[n - 1] == '.' ||
                     tok[n - 1] == '-' || tok[n - 1] == ','))
        n--;
    tok[n] = '\0';
    *tokp = tok;
    return n;
}

/*
 * Add the authors named in s: "By" dropped, split on " and ", "&", ",",
 * ";", "|" and " with "; dates and times glued on are cut; pieces that
 * are job titles, links or too long go.
 */
static void
add_authors(struct meta *m, const char *s)
{
    char *c = NULL;
    char *p, *tok, *save = NULL;

    set_once(&c, s);
    if (c == NULL)
        return;
    p = c;
    if (strncasecmp(p, "by ", 3) == 0 || strncasecmp(p, "by:", 3) == 0)
        p += 3;
    /* turn the word separators into ';' */
    for (char *q = p; *q; q++) {
        if (*q == ',' || *q == '&' || *q == '|' || *q == '\n')
            *q = ';';
        else if (strncasecmp(q, " and ", 5) == 0) {
            memcpy(q, " ;   ", 5);
        } else if (strncasecmp(q, " with ", 6) == 0)
            memcpy(q, " ;    ", 6);
    }
    for (tok = strtok_r(p, ";", &save); tok; tok = strtok_r(NULL, ";", &save)) {
        while (*tok == ' ')
            tok++;
        size_t n = clean_author(&tok);
        if (!plausible_author(tok, n) || strcasecmp(tok, "and") == 0 ||
            is_role(tok))
            continue;
        bool dup = false;
        for (size_t i = 0; i < m->nauthors; i++)
            dup |= strcasecmp(m->authors[i], tok) == 0;
        if (!dup && m->nauthors < HT_MAX_AUTHORS) {
            char *a = strdup(tok);
            if (a != NULL)
                m->authors[m->nauthors++] = a;
        }
    }
    free(c);
}

/* "Jill Disis, CNN Business": beside a person, a name that is the outlet
 * (og:site_name) or starts with it is the desk, not an author. */
static void
drop_desk_authors(struct meta *m)
{
    size_t sl, kept = 0;

    if (m->site == NULL || (sl = strlen(m->site)) == 0 || m->nauthors < 2)
        return;
    for (size_t i = 0; i < m->nauthors; i++) {
        const char *a = m->authors[i];

        if (kept + (m->nauthors - i) > 1 && strncasecmp(a, m->site, sl) == 0 &&
            (a[sl] == '\0' || a[sl] == ' ')) {
            free(m->authors[i]);
            continue;
        }
        m->authors[kept++] = m->authors[i];
    }
    m->nauthors = kept;
}

static bool
ld_is_article(json_t *o)
{
    json_t *t = json_object_get(o, "@type");
    const char *s;

    if (json_is_array(t)) {
        size_t i;
        json_t *v;
        json_array_foreach(t, i, v)
            if (json_is_string(v) && strstr(json_string_value(v), "Article"))
                return true;
        return false;
    }
    s = json_string_value(t);
    return s != NULL && (strstr(s, "Article") != NULL ||
                         strcmp(s, "BlogPosting") == 0 ||
                         strcmp(s, "Report") == 0);
}

static void
ld_authors(struct meta *m, json_t *a)
{
    if (json_is_string(a))
        add_authors(m, json_string_value(a));
    else if (json_is_object(a))
        ld_authors(m, json_object_get(a, "name"));
    else if (json_is_array(a)) {
        size_t i;
        json_t *v;
        json_array_foreach(a, i, v)
            ld_authors(m, v);
    }
}

static void
ld_article(struct meta *m, json_t *o)
{
    json_t *pub = json_object_get(o, "publisher");

    set_once(&m->ld_headline, json_string_value(json_object_get(o, "headline")));
    if (m->nauthors == 0)
        ld_authors(m, json_object_get(o, "author"));
    set_date(&m->ld_date, json_string_value(json_object_get(o, "datePublished")));
    set_date(&m->ld_modified, json_string_value(json_object_get(o, "dateModified")));
    if (json_is_array(pub))
        pub = json_array_get(pub, 0);
    set_once(&m->publisher, json_string_value(json_object_get(pub, "name")));
    set_once(&m->url, json_string_value(json_object_get(o, "url")));
    set_once(&m->ld_body, json_string_value(json_object_get(o, "articleBody")));
}

/* Look for article objects in a JSON-LD value (objects, arrays, @graph). */
static void
ld_scan(struct meta *m, json_t *v, int depth)
{
    if (depth > 8)
        return;
    if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
            ld_scan(m, x, depth + 1);
    } else if (json_is_object(v)) {
        if (ld_is_article(v))
            ld_article(m, v);
        ld_scan(m, json_object_get(v, "@graph"), depth + 1);
    }
}

/* The text of an element's children (text nodes only, one level deep
 * plus inline descendants), into a malloc'd string. */
static void
node_text(const GumboNode *n, struct pio_str *out, int depth)
{
    if (depth > 32)
        return;
    if (n->type == GUMBO_NODE_TEXT || n->type == GUMBO_NODE_CDATA ||
        n->type == GUMBO_NODE_WHITESPACE) {
        pio_str_add(out, n->v.text.text, strlen(n->v.text.text));
        return;
    }
    if (n->type != GUMBO_NODE_ELEMENT)
        return;
    for (unsigned i = 0; i < n->v.element.children.length; i++)
        node_text(n->v.element.children.data[i], out, depth + 1);
}

static void
meta_tag(struct meta *m, const GumboElement *el)
{
    const GumboAttribute *pa = gumbo_get_attribute(&el->attributes, "property");
    const GumboAttribute *na = gumbo_get_attribute(&el->attributes, "name");
    const GumboAttribute *ia = gumbo_get_attribute(&el->attributes, "itemprop");
    const GumboAttribute *ca = gumbo_get_attribute(&el->attributes, "content");
    char key[64];
    const char *k = pa ? pa->value : na ? na->value : ia ? ia->value : NULL;
    const char *v;

    if (k == NULL || ca == NULL)
        return;
    v = ca->value;
    snprintf(key, sizeof key, "%s", k);
    for (char *q = key; *q; q++)
        *q = (char)tolower((unsigned char)*q);

    if (strcmp(key, "og:title") == 0 || strcmp(key, "twitter:title") == 0)
        set_once(&m->og_title, v);
    else if (strcmp(key, "og:site_name") == 0)
        set_once(&m->site, v);
    else if (strcmp(key, "og:url") == 0)
        set_once(&m->url, v);
    else if (strcmp(key, "article:published_time") == 0 ||
             strcmp(key, "date") == 0 || strcmp(key, "pubdate") == 0 ||
             strcmp(key, "publishdate") == 0 ||
             strcmp(key, "publish-date") == 0 ||
             strcmp(key, "dc.date") == 0 ||
             strcmp(key, "dc.date.issued") == 0 ||
             strcmp(key, "dcterms.created") == 0 ||
             strcmp(key, "sailthru.date") == 0 ||
             strcmp(key, "parsely-pub-date") == 0 ||
             strcmp(key, "datepublished") == 0 ||
             strcmp(key, "og:published_time") == 0)
        set_date(&m->meta_date, v);
    else if (strcmp(key, "article:modified_time") == 0 ||
             strcmp(key, "og:updated_time") == 0 ||
             strcmp(key, "datemodified") == 0)
        set_date(&m->meta_modified, v);
    else if (strcmp(key, "author") == 0 || strcmp(key, "byl") == 0 ||
             strcmp(key, "dc.creator") == 0 ||
             strcmp(key, "parsely-author") == 0 ||
             strcmp(key, "sailthru.author") == 0 ||
             strcmp(key, "article:author") == 0) {
        if (strstr(v, "://") == NULL)   /* article:author is often a link */
            set_once(&m->meta_author, v);
    }
}

/* Walk the whole tree for metadata (iteratively bounded by depth). */
static void
meta_walk(struct meta *m, const GumboNode *n, int depth)
{
    const GumboElement *el;

    if (depth > HT_MAX_DEPTH || n->type != GUMBO_NODE_ELEMENT)
        return;
    el = &n->v.element;
    switch (el->tag) {
    case GUMBO_TAG_HTML: {
        const GumboAttribute *l = gumbo_get_attribute(&el->attributes, "lang");
        if (l && isalpha((unsigned char)l->value[0]) &&
            isalpha((unsigned char)l->value[1]) &&
            (l->value[2] == '\0' || l->value[2] == '-' || l->value[2] == '_')) {
            char lang[3] = { (char)tolower((unsigned char)l->value[0]),
                             (char)tolower((unsigned char)l->value[1]), 0 };
            set_once(&m->lang, lang);
        }
        break;
    }
    case GUMBO_TAG_META:
        meta_tag(m, el);
        return;
    case GUMBO_TAG_LINK: {
        const GumboAttribute *r = gumbo_get_attribute(&el->attributes, "rel");
        const GumboAttribute *h = gumbo_get_attribute(&el->attributes, "href");
        if (r && h && strcasecmp(r->value, "canonical") == 0 &&
            strncmp(h->value, "http", 4) == 0) {
            free(m->url);       /* canonical beats og:url */
            m->url = NULL;
            set_once(&m->url, h->value);
        }
        return;
    }
    case GUMBO_TAG_TIME: {
        const GumboAttribute *d = gumbo_get_attribute(&el->attributes, "datetime");
        if (d)
            set_date(&m->time_date, d->value);
        break;
    }
    case GUMBO_TAG_TITLE:
    case GUMBO_TAG_H1: {
        struct pio_str t = { 0 };
        node_text(n, &t, 0);
        if (t.s)
            set_once(el->tag == GUMBO_TAG_TITLE ? &m->title : &m->h1, t.s);
        free(t.s);
        return;
    }
    case GUMBO_TAG_SCRIPT: {
        const GumboAttribute *t = gumbo_get_attribute(&el->attributes, "type");
        if (t && strcasecmp(t->value, "application/ld+json") == 0 &&
            el->children.length > 0) {
            const GumboNode *c = el->children.data[0];
            if (c->type == GUMBO_NODE_TEXT || c->type == GUMBO_NODE_CDATA ||
                c->type == GUMBO_NODE_WHITESPACE) {
                json_t *j = json_loads(c->v.text.text,
                                       JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
                if (j) {
                    ld_scan(m, j, 0);
                    json_decref(j);
                }
            }
        }
        return;
    }
    default:
        break;
    }
    for (unsigned i = 0; i < el->children.length; i++)
        meta_walk(m, el->children.data[i], depth + 1);
}

/* The host of an http(s) URL without "www.", into out. */
static bool
url_host(const char *url, char *out, size_t outsz)
{
    const char *p = strstr(url, "://");
    size_t k = 0;

    if (p == NULL)
        return false;
    p += 3;
    if (strncmp(p, "www.", 4) == 0)
        p += 4;
    while (*p && *p != '/' && *p != ':' && *p != '?' && k + 1 < outsz)
        out[k++] = (char)tolower((unsigned char)*p++);
    out[k] = '\0';
    return k > 0;
}

/* ---- probe and extract ------------------------------------------------------ */

static int
probe(const char *path, const unsigned char *head, size_t len)
{
    const char *s = (const char *)head;
    size_t i = 0;
    char ascii[1024];
    size_t k = 0;

    (void)path;
    /* UTF-16 pages: look at their ASCII characters. */
    if (len >= 2 && ((head[0] == 0xff && head[1] == 0xfe) ||
                     (head[0] == 0xfe && head[1] == 0xff))) {
        for (size_t j = 2; j < len && k + 1 < sizeof ascii; j++)
            if (head[j] != 0)
                ascii[k++] = (char)head[j];
        s = ascii;
        len = k;
    } else if (len >= 3 && memcmp(head, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    for (;;) {
        while (i < len && pio_is_space((unsigned char)s[i]))
            i++;
        if (i + 4 <= len && memcmp(s + i, "<!--", 4) == 0) {
            const char *e = memcasemem(s + i + 4, len - i - 4, "-->");
            if (e == NULL)
                break;
            i = (size_t)(e - s) + 3;
            continue;
        }
        break;
    }
    if ((i + 14 <= len && strncasecmp(s + i, "<!doctype html", 14) == 0) ||
        (i + 5 <= len && strncasecmp(s + i, "<html", 5) == 0))
        return 85;
    if (memcasemem(s, len, "<html") || memcasemem(s, len, "<head") ||
        memcasemem(s, len, "<body"))
        return 60;
    return 0;
}

static int
put(const struct sd_sink *sink, const char *field, const char *s)
{
    if (s == NULL || *s == '\0')
        return 0;
    return sink->add_text(sink->host, field, s, strlen(s));
}

/* The host takes at most 10,000 values per field: past this many
 * paragraphs, the rest of the body goes as one value. */
#define HT_MAX_PARAS 9000

/* Push the body paragraphs (separated by blank lines) of s; the host
 * drops those that are blank (spaces, zero-width characters). */
static int
put_body(const struct sd_sink *sink, const char *s)
{
    size_t pos = 0, len = strlen(s), count = 0;
    int rc;

    while (pos < len) {
        const char *e = ++count < HT_MAX_PARAS ? strstr(s + pos, "\n\n") : NULL;
        size_t n = e ? (size_t)(e - (s + pos)) : len - pos;

        if (n > 0 &&
            (rc = sink->add_text(sink->host, SD_FIELD_BODY, s + pos, n)) < 0)
            return rc;
        pos += n + 2;
    }
    return 0;
}

/* The article title: JSON-LD headline, og/twitter title, h1, <title>. */
static const char *
pick_title(const struct meta *m)
{
    if (m->ld_headline)
        return m->ld_headline;
    if (m->og_title)
        return m->og_title;
    if (m->h1)
        return m->h1;
    return m->title;
}

/* The publication date, by source; the last change when that is all. */
static const char *
pick_date(const struct meta *m)
{
    const char *const order[] = { m->ld_date, m->meta_date, m->time_date,
                                  m->ld_modified, m->meta_modified };

    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (order[i] != NULL)
            return order[i];
    return NULL;
}

static int
extract(const char *path, int fd, const struct sd_sink *sink)
{
    char *raw = NULL;
    size_t rawlen = 0;
    struct pio_str page = { 0 }, body = { 0 };
    struct meta m = { 0 };
    GumboOutput *g = NULL;
    GumboOptions opt = kGumboDefaultOptions;
    char host[256];
    int rc;

    (void)path;
    if ((rc = pio_read_all(fd, HT_MAX_FILE_BYTES, &raw, &rawlen)) < 0)
        return rc;
    rc = decode_page(raw, rawlen, &page);
    free(raw);
    if (rc < 0)
        goto out;
    if (page.s == NULL || page.len == 0) {
        rc = -EINVAL;
        sink->log(sink->host, SD_LOG_WARN, "html: empty page");
        goto out;
    }
    if (prune_page(&page) > 0)
        sink->log(sink->host, SD_LOG_INFO,
                  "html: tags nested too deep were cut before parsing");
    opt.max_errors = 0;     /* do not keep parse errors: memory and time */
    g = gumbo_parse_with_options(&opt, page.s, page.len);
    if (g == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    if ((rc = extract_body(g, &body)) < 0)
        goto out;
    meta_walk(&m, g->root, 0);
    if (m.nauthors == 0 && m.meta_author != NULL)
        add_authors(&m, m.meta_author);     /* JSON-LD names come first */
    /* A publisher's own articleBody much longer than what the page shows
     * means the page's text is hidden or scattered: trust the JSON-LD. */
    if (m.ld_body && strlen(m.ld_body) > 2 * (body.len + 100)) {
        body.len = 0;
        for (const char *p = m.ld_body; *p; p++) {
            if (*p == '\n' && (body.len == 0 || body.s[body.len - 1] == '\n'))
                continue;
            if (pio_str_add(&body, *p == '\n' ? "\n\n" : p, *p == '\n' ? 2 : 1) < 0) {
                rc = -ENOMEM;
                goto out;
            }
        }
    }
    if (body.len == 0 && pick_title(&m) == NULL) {
        sink->log(sink->host, SD_LOG_WARN,
                  "html: no article text and no title in the page");
        rc = -EINVAL;
        goto out;
    }

    if ((rc = sink->begin(sink->host, NULL)) < 0)
        goto out;
    if ((rc = put(sink, SD_FIELD_TITLE, pick_title(&m))) < 0)
        goto out;
    drop_desk_authors(&m);
    for (size_t i = 0; i < m.nauthors; i++)
        if ((rc = put(sink, SD_FIELD_AUTHOR, m.authors[i])) < 0)
            goto out;
    if ((rc = put(sink, SD_FIELD_DATE, pick_date(&m))) < 0)
        goto out;
    if (m.site == NULL && m.publisher != NULL)
        set_once(&m.site, m.publisher);
    if (m.site == NULL && m.url != NULL && url_host(m.url, host, sizeof host))
        set_once(&m.site, host);
    if ((rc = put(sink, SD_FIELD_OUTLET, m.site)) < 0)
        goto out;
    if (m.url && strncmp(m.url, "http", 4) == 0 &&
        (rc = put(sink, SD_FIELD_URL, m.url)) < 0)
        goto out;
    if ((rc = put(sink, SD_FIELD_LANG, m.lang)) < 0)
        goto out;
    if (body.s && (rc = put_body(sink, body.s)) < 0)
        goto out;
    rc = sink->end(sink->host);
out:
    if (g)
        gumbo_destroy_output(&kGumboDefaultOptions, g);
    meta_free(&m);
    free(page.s);
    free(body.s);
    return rc < 0 ? rc : 0;
}

static const char *const extensions[] = { ".html", ".htm", ".xhtml", NULL };
static const char *const mime_types[] = { "text/html", NULL };

static const struct sd_plugin desc = {
    .abi = SD_PLUGIN_ABI,
    .size = sizeof(struct sd_plugin),
    .name = "html",
    .version = "1.0",
    .mime_types = mime_types,
    .extensions = extensions,
    .probe = probe,
    .extract = extract,
};

SD_PLUGIN_DEFINE(desc)
