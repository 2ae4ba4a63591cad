/*
 * plugins/geo-news.c - Geo News (Pakistan) page dumps.
 *
 * The layout, line by line (blank lines may come between the parts):
 *
 *     Afghan peace: Biden administration assures ...      title
 *     By                                                  byline, split
 *     Web Desk                                            author(s)
 *     The flags of Pakistan and the US.                   image caption(s)
 *       • Acting US Charge d' Affairs to Pakistan ...     summary bullets
 *     RAWALPINDI: The administration of ...               dateline, body
 *     Read more: No US administration can ignore ...      cross-link
 *     US to revive military ties with Pakistan            sub-heading
 *
 * Probe (from the content; the name says nothing): the split byline ("By"
 * alone on one of the first GEO_BYLINE_LINES lines, a name on the next
 * non-blank line) with "•" bullets or an ALL-CAPS dateline in the head
 * gives 85; the split byline alone 50; anything else 0.
 *
 * Extract, one document: outlet "Geo News", lang "en"; title; one author
 * per name of the author line (split on ", ", " and ", " & "); captions =
 * the non-blank lines between the byline and the first bullet (or the
 * dateline when there is no bullet); one summary per bullet, without the
 * bullet; place from the dateline of the first body paragraph, which keeps
 * the text after it; body = every other non-blank line, one paragraph
 * each, sub-headings included, "Read more:"/"Also read:" cross-links
 * dropped.  A file without a non-blank line gives no document.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <searchd/plugin.h>

#include "pluginio.h"

/* The host refuses bigger files; the cap also bounds our buffer. */
#define GEO_MAX_FILE_BYTES ((size_t)64 << 20)
/* First buffer size when fstat cannot tell (pipes). */
/* The "By" line must be among the first this many lines. */
#define GEO_BYLINE_LINES 8
/* An author line is short; longer lines are text. */
#define GEO_AUTHOR_MAX 100
/* Non-blank lines between byline and bullets that may be captions; with
 * more, the layout is not Geo's and they are kept as body. */
#define GEO_CAPTION_LINES 4
/* Longest dateline place ("DERA ISMAIL KHAN") and date ("January 23,
 * 2021"), in bytes. */
#define GEO_PLACE_MAX 40
#define GEO_DATE_MAX 30

#define GEO_BULLET "\xe2\x80\xa2"   /* U+2022 */

/* Cross-links to other stories, dropped from the body. */
static const char *const crosslinks[] = { "read more:", "also read:", NULL };

/* Separators between the names of an author line. */
static const char *const author_seps[] = { ", ", " and ", " & ", NULL };

/* The next non-blank line at or after *pos, trimmed; *pos moves past it
 * and *start_out (may be NULL) gets the offset where its line began. */
static bool
next_text(const char *buf, size_t len, size_t *pos, struct pio_span *t_out,
          size_t *start_out)
{
    struct pio_span line;

    while (pio_next_line(buf, len, pos, &line)) {
        *t_out = pio_trim(line);
        if (t_out->n > 0) {
            if (start_out != NULL)
                *start_out = (size_t)(line.p - buf);
            return true;
        }
    }
    return false;
}

static bool
is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char
lower(char c)
{
    return is_upper(c) ? (char)(c - 'A' + 'a') : c;
}

/* Does s start with prefix, ASCII case ignored? */
static bool
starts_with_ci(struct pio_span s, const char *prefix)
{
    size_t n = strlen(prefix);

    if (s.n < n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (lower(s.p[i]) != lower(prefix[i]))
            return false;
    return true;
}

static bool
eq(struct pio_span s, const char *word)
{
    return s.n == strlen(word) && memcmp(s.p, word, s.n) == 0;
}

/* "By" alone on its line: the first half of Geo's split byline. */
static bool
is_by(struct pio_span t)
{
    return eq(t, "By") || eq(t, "BY") || eq(t, "By:");
}

static bool
is_bullet(struct pio_span t)
{
    return t.n >= 3 && memcmp(t.p, GEO_BULLET, 3) == 0;
}

static bool
is_crosslink(struct pio_span t)
{
    for (int i = 0; crosslinks[i] != NULL; i++)
        if (starts_with_ci(t, crosslinks[i]))
            return true;
    return false;
}

/*
 * Length of the dateline that starts t ("RAWALPINDI: ", "NEW YORK: ",
 * "KARACHI, Jan 23: "), through the colon and the spaces after it; 0 when
 * t has none.  *place_len_out gets the length of the place.  The place is
 * upper-case words (letters, ".", "-", "'"), two letters at least; a date
 * after a comma must hold a digit.
 */
static size_t
dateline_len(struct pio_span t, size_t *place_len_out)
{
    const char *p = t.p;
    size_t n = t.n, i = 0, upper = 0, place;

    while (i < n && i <= GEO_PLACE_MAX) {
        char c = p[i];

        if (is_upper(c)) {
            upper++;
        } else if (c == ' ' || c == '-' || c == '\'') {
            if (i == 0 || i + 1 >= n || !is_upper(p[i + 1]))
                break;
        } else if (c == '.') {
            /* "D.I. KHAN", "WASHINGTON D.C.:" */
            if (i == 0 || i + 1 >= n)
                break;
        } else {
            break;
        }
        i++;
    }
    place = i;
    if (upper < 2 || place > GEO_PLACE_MAX || i >= n)
        return 0;
    if (p[i] == ',') {
        size_t start = ++i;
        bool digit = false;

        while (i < n && i - start <= GEO_DATE_MAX && p[i] != ':') {
            char c = p[i];

            if (is_digit(c))
                digit = true;
            else if (!is_upper(c) && !(c >= 'a' && c <= 'z') && c != ' ' &&
                     c != '.' && c != ',')
                return 0;
            i++;
        }
        if (!digit)
            return 0;
    }
    if (i >= n || p[i] != ':')
        return 0;
    i++;
    if (i < n && p[i] != ' ' && p[i] != '\t')
        return 0;   /* "ISPR:12" is not a dateline */
    while (i < n && (p[i] == ' ' || p[i] == '\t'))
        i++;
    *place_len_out = place;
    return i;
}

/* Is t the name line of a byline, rather than text or a bullet? */
static bool
is_author_line(struct pio_span t)
{
    size_t pl;

    return t.n > 0 && t.n <= GEO_AUTHOR_MAX && !is_bullet(t) &&
           dateline_len(t, &pl) == 0 && t.p[t.n - 1] != '.';
}

static int
probe(const char *path, const unsigned char *uhead, size_t len)
{
    const char *head = (const char *)uhead;
    struct pio_span line, t;
    size_t pos = 0, pl;
    bool byline = false, more = false;

    (void)path;     /* the decision is made from the content alone */
    for (int n = 0; n < GEO_BYLINE_LINES && pio_next_line(head, len, &pos, &line);
         n++) {
        if (is_by(pio_trim(line))) {
            byline = next_text(head, len, &pos, &t, NULL) &&
                     is_author_line(t);
            break;
        }
    }
    if (!byline)
        return 0;
    while (!more && next_text(head, len, &pos, &t, NULL))
        more = is_bullet(t) || dateline_len(t, &pl) > 0;
    return more ? 85 : 50;
}

static int
put_text(const struct sd_sink *sink, const char *field, struct pio_span s)
{
    if (s.n == 0)
        return 0;
    return sink->add_text(sink->host, field, s.p, s.n);
}

/* One author per name of the author line. */
static int
put_authors(const struct sd_sink *sink, struct pio_span s)
{
    int rc;

    while (s.n > 0) {
        size_t cut = s.n, skip = 0;

        for (int k = 0; author_seps[k] != NULL; k++) {
            size_t m = strlen(author_seps[k]);

            for (size_t i = 0; i + m <= cut; i++) {
                if (memcmp(s.p + i, author_seps[k], m) == 0) {
                    cut = i;
                    skip = m;
                    break;
                }
            }
        }
        if ((rc = put_text(sink, SD_FIELD_AUTHOR,
                           pio_trim((struct pio_span){ s.p, cut }))) < 0)
            return rc;
        s.p += cut + skip;
        s.n -= cut + skip;
    }
    return 0;
}

/*
 * Push byline, captions and bullets from buf[*pos..len) and move *pos to
 * the start of the body.
 */
static int
put_header(const struct sd_sink *sink, const char *buf, size_t len,
           size_t *pos)
{
    struct pio_span t;
    size_t p = *pos, start, pl, stop = 0;
    bool found = false;
    int rc;

    /* Byline: "By" then the names, or "By Name" on one line. */
    if (next_text(buf, len, &p, &t, NULL)) {
        struct pio_span names = { NULL, 0 };

        if (is_by(t)) {
            size_t q = p;

            if (next_text(buf, len, &q, &names, NULL) &&
                is_author_line(names))
                p = q;
            else
                names.n = 0;
        } else if (t.n > 3 && memcmp(t.p, "By ", 3) == 0 &&
                   t.n <= GEO_AUTHOR_MAX) {
            names = pio_trim((struct pio_span){ t.p + 3, t.n - 3 });
        } else {
            p = *pos;   /* no byline: that line is the next part's */
        }
        if (names.n > 0 && (rc = put_authors(sink, names)) < 0)
            return rc;
    }
    *pos = p;

    /* Captions: the few lines before the first bullet or dateline. */
    for (int k = 0; k <= GEO_CAPTION_LINES &&
                    next_text(buf, len, &p, &t, &start);
         k++) {
        if (is_bullet(t) || dateline_len(t, &pl) > 0) {
            stop = start;
            found = true;
            break;
        }
    }
    if (found) {
        p = *pos;
        while (next_text(buf, stop, &p, &t, NULL))
            if ((rc = put_text(sink, SD_FIELD_CAPTION, t)) < 0)
                return rc;
        *pos = stop;
    }

    /* Bullets, each a summary line. */
    p = *pos;
    while (next_text(buf, len, &p, &t, &start) && is_bullet(t)) {
        t = pio_trim((struct pio_span){ t.p + 3, t.n - 3 });
        if ((rc = put_text(sink, SD_FIELD_SUMMARY, t)) < 0)
            return rc;
        *pos = p;
    }
    return 0;
}

static int
extract(const char *path, int fd, const struct sd_sink *sink)
{
    char *buf = NULL;
    size_t len = 0, pos = 0, pl, d;
    struct pio_span t, title;
    bool first = true;
    int rc;

    (void)path;
    if ((rc = pio_read_all(fd, GEO_MAX_FILE_BYTES, &buf, &len)) < 0)
        return rc;
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        pos = 3;    /* a UTF-8 byte order mark is not part of the title */
    if (!next_text(buf, len, &pos, &title, NULL))
        goto out;   /* nothing to index: no document */

    if ((rc = sink->begin(sink->host, NULL)) < 0)
        goto out;
    if ((rc = put_text(sink, SD_FIELD_TITLE, title)) < 0 ||
        (rc = put_text(sink, SD_FIELD_OUTLET,
                       (struct pio_span){ "Geo News", 8 })) < 0 ||
        (rc = put_text(sink, SD_FIELD_LANG, (struct pio_span){ "en", 2 })) < 0)
        goto out;
    if ((rc = put_header(sink, buf, len, &pos)) < 0)
        goto out;

    while (next_text(buf, len, &pos, &t, NULL)) {
        if (is_crosslink(t))
            continue;
        if (first && (d = dateline_len(t, &pl)) > 0) {
            if ((rc = put_text(sink, SD_FIELD_PLACE,
                               (struct pio_span){ t.p, pl })) < 0)
                goto out;
            t.p += d;
            t.n -= d;
        }
        first = false;
        if ((rc = put_text(sink, SD_FIELD_BODY, t)) < 0)
            goto out;
    }
    rc = sink->end(sink->host);

out:
    free(buf);
    return rc < 0 ? rc : 0;
}

static const char *const extensions[] = { ".txt", NULL };
static const char *const mime_types[] = { "text/plain", NULL };

static const struct sd_plugin desc = {
    .abi = SD_PLUGIN_ABI,
    .size = sizeof(struct sd_plugin),
    .name = "geo-news",
    .version = "1.0",
    .mime_types = mime_types,
    .extensions = extensions,
    .probe = probe,
    .extract = extract,
};

SD_PLUGIN_DEFINE(desc)
