/*
 * plugins/business-standard.c - Business Standard (India) page dumps.
 *
 * A dump holds the article's paragraphs, one per line and with no title
 * line, then boilerplate to the end of the file: a "Disclaimer: No Business
 * Standard Journalist was involved ..." line (syndicated copy) and a
 * paywall and subscription-plan block ("You've reached your limit of
 * {{free_limit}} free articles", prices, plan names).
 *
 * Probe (from the content; the name says nothing):
 *   90  a marker only Business Standard prints (the disclaimer, "Business
 *       Standard Epaper", "Access Business Standard across devices"), or
 *       the paywall with the outlet's name somewhere in the head;
 *   60  the paywall without the name: in a long article the rest of the
 *       boilerplate lies past the head;
 *    0  otherwise.  A long article whose boilerplate all lies past the
 *       head cannot be recognised here and falls to plaintext.
 *
 * Extract, one document: outlet "Business Standard", lang "en"; body = the
 * non-blank lines before the first boilerplate line, one paragraph each;
 * title derived from the first paragraph (see make_title); keyword
 * "syndicated" when the disclaimer is there.  No author, no date: the dump
 * has neither.  A file without article text gives no document.
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
#define BS_MAX_FILE_BYTES ((size_t)64 << 20)
/* First buffer size when fstat cannot tell (pipes). */
/* A derived title longer than this many characters is shortened. */
#define BS_TITLE_MAX 100
/* A clause shorter than this many characters says too little to be a
 * title; cut at a word boundary instead. */
#define BS_TITLE_MIN_CLAUSE 40
/* Room for BS_TITLE_MAX characters of up to 4 bytes and a "…". */
#define BS_TITLE_BUF (4 * BS_TITLE_MAX + 4)

#define BS_ELLIPSIS "\xe2\x80\xa6"

/* Lines that start the boilerplate: the disclaimer (both variants) and
 * the paywall.  Matched at the start of a trimmed line. */
static const char *const boilerplate_starts[] = {
    "Disclaimer: No Business Standard Journalist",
    "(Only the headline and picture of this report may have been reworked",
    "You've reached your limit of",
    "You\xe2\x80\x99ve reached your limit of",
    "Subscribe now for unlimited access",
    "Already subscribed? Log in",
    "Subscribe to read the full story",
    NULL,
};

/* Of those, the ones saying the story came from a syndicated feed. */
static const char *const syndicated_starts[] = {
    "Disclaimer: No Business Standard Journalist",
    "(Only the headline and picture of this report may have been reworked",
    NULL,
};

/* Lines only Business Standard prints. */
static const char *const outlet_markers[] = {
    "Disclaimer: No Business Standard Journalist",
    "(Only the headline and picture of this report may have been reworked "
    "by the Business Standard staff",
    "Business Standard Epaper",
    "Access Business Standard across devices",
    NULL,
};

/* Paywall lines; generic enough that two are wanted when alone. */
static const char *const paywall_lines[] = {
    "Subscribe now for unlimited access",
    "Already subscribed? Log in",
    "Subscribe to read the full story",
    NULL,
};

/* Where a long first sentence may be cut, best last: the text before the
 * separator stays. */
static const char *const clause_breaks[] = {
    ", ", "; ", ": ", " \xe2\x80\x94 ", " \xe2\x80\x93 ", " - ", " and ",
    " but ", " while ", " as well as ", " according to ", NULL,
};

/* Words that end with a period without ending the sentence. */
static const char *const abbreviations[] = {
    "Mr", "Mrs", "Ms", "Dr", "Prof", "Gen", "Lt", "Col", "Maj", "Capt",
    "Brig", "Sgt", "Adm", "Cdr", "Gov", "Sen", "Rep", "Hon", "Rev", "St",
    "Jr", "Sr", "No", "Nos", "vs", "etc", "Inc", "Ltd", "Co", "Corp", "Bros",
    "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct",
    "Nov", "Dec", "Rs", "approx", "est", NULL,
};

/* Index of the first entry of list that the trimmed line starts with, or
 * -1. */
static int
line_starts_with_any(struct pio_span line, const char *const *list)
{
    struct pio_span t = pio_trim(line);

    for (int i = 0; list[i] != NULL; i++)
        if (pio_starts_with(t, list[i]))
            return i;
    return -1;
}

/* First occurrence of needle in s[0..n), or NULL (memmem is not ISO C). */
static const char *
find(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);

    if (m > n)
        return NULL;
    for (size_t i = 0; i + m <= n; i++)
        if (memcmp(s + i, needle, m) == 0)
            return s + i;
    return NULL;
}

/* How many lines of the head start with an entry of list. */
static int
count_lines(const char *head, size_t len, const char *const *list)
{
    struct pio_span line;
    size_t pos = 0;
    int count = 0;

    while (pio_next_line(head, len, &pos, &line))
        if (line_starts_with_any(line, list) >= 0)
            count++;
    return count;
}

static int
probe(const char *path, const unsigned char *uhead, size_t len)
{
    const char *head = (const char *)uhead;
    bool paywall;

    (void)path;     /* the decision is made from the content alone */
    if (count_lines(head, len, outlet_markers) > 0)
        return 90;
    paywall = find(head, len,
                   "reached your limit of {{free_limit}} free articles") ||
              count_lines(head, len, paywall_lines) >= 2;
    if (!paywall)
        return 0;
    return find(head, len, "Business Standard") ? 90 : 60;
}

/*
 * Byte length of the character at s[i..n), as the host will read it: a
 * valid UTF-8 sequence, else one byte (the host takes it as Latin-1).
 * Never more than 4, which is what bounds the title buffer: counting
 * every byte that does not look like a continuation byte instead would
 * let a run of stray 0x80..0xBF bytes pass for a few characters.
 */
static size_t
char_len(const char *s, size_t n, size_t i)
{
    const unsigned char *u = (const unsigned char *)s + i;
    unsigned char lo = 0x80, hi = 0xbf;
    size_t need;

    if (u[0] < 0xc2 || u[0] > 0xf4)
        return 1;
    need = u[0] < 0xe0 ? 2 : u[0] < 0xf0 ? 3 : 4;
    if (u[0] == 0xe0)
        lo = 0xa0;      /* no overlong forms */
    else if (u[0] == 0xed)
        hi = 0x9f;      /* no surrogates */
    else if (u[0] == 0xf0)
        lo = 0x90;
    else if (u[0] == 0xf4)
        hi = 0x8f;      /* nothing past U+10FFFF */
    if (n - i < need)
        return 1;
    for (size_t k = 1; k < need; k++) {
        if (u[k] < lo || u[k] > hi)
            return 1;
        lo = 0x80;
        hi = 0xbf;
    }
    return need;
}

/* Characters in s[0..n) (see char_len). */
static size_t
count_chars(const char *s, size_t n)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i += char_len(s, n, i))
        c++;
    return c;
}

/* Byte length of the first max characters of s[0..n) (see char_len), at
 * most 4 * max; never ends inside a UTF-8 sequence. */
static size_t
chars_prefix(const char *s, size_t n, size_t max)
{
    size_t c = 0;

    for (size_t i = 0; i < n; i += char_len(s, n, i)) {
        if (c == max)
            return i;
        c++;
    }
    return n;
}

static bool
is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static bool
is_alpha(char c)
{
    return is_upper(c) || (c >= 'a' && c <= 'z');
}

/* Does the period at s[i] close an abbreviation or an initial ("Gen.",
 * "Mark A. Milley", "U.S.") rather than a sentence? */
static bool
is_abbreviation(const char *s, size_t i)
{
    size_t start = i;

    while (start > 0 && is_alpha(s[start - 1]))
        start--;
    if (i - start == 1 && is_upper(s[start]))
        return true;
    for (int k = 0; abbreviations[k] != NULL; k++) {
        size_t m = strlen(abbreviations[k]);

        if (m == i - start && memcmp(s + start, abbreviations[k], m) == 0)
            return true;
    }
    return false;
}

/* Is s[i..n) a closing quote, returning its length in *len_out? */
static bool
is_close_quote(const char *s, size_t n, size_t i, size_t *len_out)
{
    if (i < n && (s[i] == '"' || s[i] == '\'')) {
        *len_out = 1;
        return true;
    }
    if (i + 3 <= n && (memcmp(s + i, "\xe2\x80\x9d", 3) == 0 ||
                       memcmp(s + i, "\xe2\x80\x99", 3) == 0)) {
        *len_out = 3;
        return true;
    }
    return false;
}

/*
 * Byte length of the first sentence of s[0..n), its final period left
 * out ("?" and "!" stay).  A sentence ends at ".", "?" or "!" (and any
 * closing quotes) followed by a space and an upper-case letter, a digit or
 * a quote, or by the end of the text.
 */
static size_t
first_sentence(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t j = i + 1, q;
        char c = s[i];

        if (c != '.' && c != '?' && c != '!')
            continue;
        if (c == '.' && is_abbreviation(s, i))
            continue;
        while (is_close_quote(s, n, j, &q))
            j += q;
        if (j < n) {
            if (s[j] != ' ' || j + 1 >= n)
                continue;
            if (!is_upper(s[j + 1]) && !(s[j + 1] >= '0' && s[j + 1] <= '9') &&
                s[j + 1] != '"' && (unsigned char)s[j + 1] != 0xe2)
                continue;
        }
        /* Drop a final period unless quotes follow it. */
        return c == '.' && j == i + 1 ? i : j;
    }
    return n;
}

/*
 * Derive a title from the first paragraph p[0..n) into out (at least
 * BS_TITLE_BUF bytes, NUL-terminated); returns its length.  Rule: the
 * first sentence; when longer than BS_TITLE_MAX characters, cut it before
 * the last clause break (", ", " and ", " according to ", ...) that keeps
 * at most BS_TITLE_MAX characters and at least BS_TITLE_MIN_CLAUSE; when
 * there is none, cut at the last space that fits and append "…".
 */
static size_t
make_title(const char *p, size_t n, char *out)
{
    size_t lim, cut = 0, len;

    n = first_sentence(p, n);
    while (n > 0 && pio_is_space((unsigned char)p[n - 1]))
        n--;
    if (count_chars(p, n) <= BS_TITLE_MAX) {
        memcpy(out, p, n);
        out[n] = '\0';
        return n;
    }

    lim = chars_prefix(p, n, BS_TITLE_MAX);
    for (int k = 0; clause_breaks[k] != NULL; k++) {
        const char *at = p, *hit;

        /* The last occurrence starting within the first lim bytes. */
        while ((hit = find(at, n - (size_t)(at - p), clause_breaks[k])) &&
               (size_t)(hit - p) <= lim) {
            if ((size_t)(hit - p) > cut)
                cut = (size_t)(hit - p);
            at = hit + 1;
        }
    }
    if (cut > 0 && count_chars(p, cut) >= BS_TITLE_MIN_CLAUSE) {
        memcpy(out, p, cut);
        out[cut] = '\0';
        return cut;
    }

    /* One character goes to the ellipsis. */
    lim = chars_prefix(p, n, BS_TITLE_MAX - 1);
    len = lim;
    while (len > 0 && p[len] != ' ')
        len--;
    if (len == 0)
        len = lim;      /* one long word: cut between characters */
    while (len > 0 && (pio_is_space((unsigned char)p[len - 1]) ||
                       p[len - 1] == ',' || p[len - 1] == ';' ||
                       p[len - 1] == ':'))
        len--;
    memcpy(out, p, len);
    memcpy(out + len, BS_ELLIPSIS, sizeof BS_ELLIPSIS);
    return len + sizeof BS_ELLIPSIS - 1;
}

static int
put_text(const struct sd_sink *sink, const char *field, const char *p,
         size_t n)
{
    if (n == 0)
        return 0;
    return sink->add_text(sink->host, field, p, n);
}

static int
extract(const char *path, int fd, const struct sd_sink *sink)
{
    char *buf = NULL;
    char title[BS_TITLE_BUF];
    size_t len = 0, pos, body_end, tlen = 0;
    struct pio_span line, first = { NULL, 0 };
    bool syndicated = false;
    int rc;

    (void)path;
    if ((rc = pio_read_all(fd, BS_MAX_FILE_BYTES, &buf, &len)) < 0)
        return rc;

    /* Find where the article ends and its first paragraph. */
    pos = 0;
    body_end = len;
    while (pio_next_line(buf, len, &pos, &line)) {
        if (line_starts_with_any(line, boilerplate_starts) >= 0) {
            body_end = (size_t)(line.p - buf);
            break;
        }
        if (first.n == 0)
            first = pio_trim(line);
    }
    /* The disclaimer may come after the paywall lines; look on. */
    pos = body_end;
    while (pio_next_line(buf, len, &pos, &line)) {
        if (line_starts_with_any(line, syndicated_starts) >= 0) {
            syndicated = true;
            break;
        }
    }
    if (first.n == 0)
        goto out;   /* no article text: no document */

    tlen = make_title(first.p, first.n, title);
    if ((rc = sink->begin(sink->host, NULL)) < 0)
        goto out;
    if ((rc = put_text(sink, SD_FIELD_TITLE, title, tlen)) < 0 ||
        (rc = put_text(sink, SD_FIELD_OUTLET, "Business Standard", 17)) < 0 ||
        (rc = put_text(sink, SD_FIELD_LANG, "en", 2)) < 0)
        goto out;
    pos = 0;
    while (pio_next_line(buf, body_end, &pos, &line)) {
        struct pio_span t = pio_trim(line);

        if ((rc = put_text(sink, SD_FIELD_BODY, t.p, t.n)) < 0)
            goto out;
    }
    if (syndicated &&
        (rc = sink->add_keyword(sink->host, SD_FIELD_KEYWORD, "syndicated")) <
            0)
        goto out;
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
    .name = "business-standard",
    .version = "1.0",
    .mime_types = mime_types,
    .extensions = extensions,
    .probe = probe,
    .extract = extract,
};

SD_PLUGIN_DEFINE(desc)
