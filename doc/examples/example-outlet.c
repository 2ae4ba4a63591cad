/*
 * example-outlet.c - a complete searchd extractor plugin for a made-up
 * outlet, the "Harbour Herald", whose archive exports articles as text:
 *
 *     Title: Ferry timetable changes for the winter
 *     By: Ana Costa and Tom Reed
 *     Date: 14 March 2024
 *     Section: Local
 *
 *     The first paragraph, which may be
 *     wrapped over several lines.
 *
 *     Another paragraph.
 *
 *     Subscribe to the Harbour Herald for unlimited access.
 *
 * A header block of "Key: value" lines, a blank line, then paragraphs
 * separated by blank lines; the export appends a subscription line that
 * is not part of the article.
 *
 * It uses only <searchd/plugin.h> and libc, so it builds out of tree with
 *
 *     cc $(pkg-config --cflags searchd-plugin) -shared -fPIC \
 *         -o example-outlet.so example-outlet.c
 *
 * doc/plugins.md walks through it; searchd-plugin(7) is the reference.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <searchd/plugin.h>

#define OUTLET "Harbour Herald"
/* An article export is a few KiB; anything bigger is not one of ours.
 * Reading is bounded so a huge or endless file cannot eat memory. */
#define MAX_FILE_BYTES (4u << 20)

/* Paragraphs that start like this are the export's footer, not news. */
static const char *const junk_prefixes[] = {
    "Subscribe to the Harbour Herald",
    "Advertisement",
    NULL,
};

/* ---- probing ------------------------------------------------------------ */

/* Does the header line at p (len bytes, no newline) start with key? */
static int
has_key(const char *p, size_t len, const char *key)
{
    size_t k = strlen(key);

    return len > k && memcmp(p, key, k) == 0;
}

/*
 * Score from content only (archive file names are hashes): the file must
 * open with a header block holding Title:, By: and Date: before the first
 * blank line.  That shape is specific enough to beat the plain-text
 * fallback, but a plugin that knows the outlet by a stronger mark (a
 * masthead, a URL) should be able to win, so stay below 90.
 */
static int
probe(const char *path, const unsigned char *head, size_t len)
{
    const char *p = (const char *)head, *end = p + len;
    int title = 0, by = 0, date = 0;

    (void)path;
    if (!has_key(p, len, "Title: "))
        return 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);

        if (n > 0 && p[n - 1] == '\r')
            n--;
        if (n == 0)
            break;                  /* end of the header block */
        if (memchr(p, ':', n) == NULL)
            return 0;               /* not "Key: value": not ours */
        title |= has_key(p, n, "Title: ");
        by |= has_key(p, n, "By: ");
        date |= has_key(p, n, "Date: ");
        if (!nl)
            break;
        p = nl + 1;
    }
    return title && by && date ? 80 : 0;
}

/* ---- reading ------------------------------------------------------------ */

/* Read the whole file at fd into a NUL-terminated buffer the caller frees.
 * Returns its length, or a negative errno (-EFBIG past MAX_FILE_BYTES). */
static long
read_all(int fd, char **out)
{
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);

    if (!buf)
        return -ENOMEM;
    for (;;) {
        ssize_t n;

        if (cap - len < 2) {
            char *nb;

            if (cap >= MAX_FILE_BYTES) {
                free(buf);
                return -EFBIG;
            }
            cap *= 2;
            nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                return -ENOMEM;
            }
            buf = nb;
        }
        n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;

            free(buf);
            return -e;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    *out = buf;
    return (long)len;
}

/* Cut the next line off *pos (up to end); strips "\r\n" and "\n".
 * Returns its start and sets *len, or NULL at the end of the text. */
static char *
next_line(char **pos, char *end, size_t *len)
{
    char *p = *pos, *nl;

    if (p >= end)
        return NULL;
    nl = memchr(p, '\n', (size_t)(end - p));
    *pos = nl ? nl + 1 : end;
    *len = (size_t)((nl ? nl : end) - p);
    if (*len > 0 && p[*len - 1] == '\r')
        (*len)--;
    return p;
}

/* ---- fields ------------------------------------------------------------- */

/*
 * "14 March 2024" -> "2024-03-14" in out (16 bytes).  Returns 0, or
 * -EINVAL when the value is not such a date.  An ISO date is passed on
 * as it is.
 */
static int
parse_date(const char *v, size_t len, char *out)
{
    static const char *const months[] = {
        "January", "February", "March", "April", "May", "June", "July",
        "August", "September", "October", "November", "December",
    };
    char word[16];
    int day, year, used = 0;

    if (len == 10 && v[4] == '-' && v[7] == '-') {
        memcpy(out, v, 10);
        out[10] = '\0';
        return 0;
    }
    if (len >= 40)
        return -EINVAL;
    {
        char tmp[40];

        memcpy(tmp, v, len);
        tmp[len] = '\0';
        if (sscanf(tmp, "%2d %15s %4d%n", &day, word, &year, &used) != 3
            || (size_t)used != len || day < 1 || day > 31 || year < 1000
            || year > 9999)
            return -EINVAL;
    }
    for (int m = 0; m < 12; m++)
        if (strcmp(word, months[m]) == 0) {
            snprintf(out, 16, "%04d-%02d-%02d", year, m + 1, day);
            return 0;
        }
    return -EINVAL;
}

/* "Ana Costa and Tom Reed", "A, B and C": one author per sink call. */
static int
add_authors(const struct sd_sink *sink, const char *v, size_t len)
{
    const char *end = v + len;

    while (v < end) {
        const char *cut = end, *next = end;

        for (const char *q = v; q < end; q++) {
            if (*q == ',') {
                cut = q;
                next = q + 1;
                break;
            }
            if ((size_t)(end - q) > 5 && memcmp(q, " and ", 5) == 0) {
                cut = q;
                next = q + 5;
                break;
            }
        }
        if (cut > v) {              /* the host trims the spaces */
            int rc = sink->add_text(sink->host, SD_FIELD_AUTHOR, v,
                                    (size_t)(cut - v));
            if (rc < 0)
                return rc;
        }
        v = next;
    }
    return 0;
}

/* One header line; unknown keys are ignored. */
static int
add_header(const struct sd_sink *sink, char *line, size_t len)
{
    char *colon = memchr(line, ':', len);
    char *v;
    size_t vlen;
    char date[16];

    if (!colon)
        return -EINVAL;
    v = colon + 1;
    vlen = len - (size_t)(v - line);
    while (vlen > 0 && *v == ' ') {
        v++;
        vlen--;
    }
    if (has_key(line, len, "Title: "))
        return sink->add_text(sink->host, SD_FIELD_TITLE, v, vlen);
    if (has_key(line, len, "By: "))
        return add_authors(sink, v, vlen);
    if (has_key(line, len, "Date: ")) {
        if (parse_date(v, vlen, date) == 0)
            return sink->add_text(sink->host, SD_FIELD_DATE, date,
                                  strlen(date));
        /* A bad date loses the date, not the article. */
        sink->log(sink->host, SD_LOG_WARN, "unreadable Date: line");
        return 0;
    }
    if (has_key(line, len, "Section: ")) {
        int rc;

        v[vlen] = '\0';     /* add_keyword takes a C string; we own buf */
        rc = sink->add_keyword(sink->host, SD_FIELD_KEYWORD, v);
        return rc;
    }
    return 0;
}

static int
is_junk(const char *p, size_t len)
{
    for (size_t i = 0; junk_prefixes[i]; i++) {
        size_t k = strlen(junk_prefixes[i]);

        if (len >= k && memcmp(p, junk_prefixes[i], k) == 0)
            return 1;
    }
    return 0;
}

/* A paragraph still holds the line ends ("\n" or "\r\n") of its wrapped
 * lines; make it one line, a single space where each line broke. */
static int
add_paragraph(const struct sd_sink *sink, char *p, size_t len)
{
    size_t j = 0;

    if (len == 0 || is_junk(p, len))
        return 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n')
            continue;
        p[j++] = p[i] == '\n' ? ' ' : p[i];
    }
    return sink->add_text(sink->host, SD_FIELD_BODY, p, j);
}

/* ---- extraction --------------------------------------------------------- */

static int
extract_text(char *buf, size_t size, const struct sd_sink *sink)
{
    char *pos = buf, *end = buf + size, *line, *para = NULL, *para_end = NULL;
    size_t len;
    int rc;

    if (strncmp(buf, "Title: ", 7) != 0)
        return -EINVAL;             /* probe was fooled: not our export */
    rc = sink->begin(sink->host, NULL);     /* one article per file */
    if (rc < 0)
        return rc;
    rc = sink->add_text(sink->host, SD_FIELD_OUTLET, OUTLET, strlen(OUTLET));
    /* The header block, up to the first blank line. */
    while (rc == 0 && (line = next_line(&pos, end, &len)) != NULL && len > 0)
        rc = add_header(sink, line, len);
    /* Paragraphs: runs of non-blank lines. */
    while (rc == 0 && (line = next_line(&pos, end, &len)) != NULL) {
        if (len == 0) {
            if (para)
                rc = add_paragraph(sink, para, (size_t)(para_end - para));
            para = NULL;
            continue;
        }
        if (!para)
            para = line;
        para_end = line + len;
    }
    if (rc == 0 && para)
        rc = add_paragraph(sink, para, (size_t)(para_end - para));
    if (rc < 0)
        return rc;                  /* e.g. -E2BIG: a host limit */
    return sink->end(sink->host);
}

static int
extract(const char *path, int fd, const struct sd_sink *sink)
{
    char *buf = NULL;
    long n = read_all(fd, &buf);
    int rc;

    (void)path;
    if (n < 0)
        return (int)n;
    rc = extract_text(buf, (size_t)n, sink);
    free(buf);
    return rc;
}

static const char *const extensions[] = { ".txt", NULL };

static const struct sd_plugin desc = {
    .abi = SD_PLUGIN_ABI,
    .size = sizeof(struct sd_plugin),
    .name = "harbour-herald",
    /* Bump it when the output changes: searchd re-extracts every file
     * this plugin made with another version. */
    .version = "1.0",
    .extensions = extensions,
    .probe = probe,
    .extract = extract,
};

SD_PLUGIN_DEFINE(desc)
