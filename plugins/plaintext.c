/*
 * plugins/plaintext.c - text/plain: the reference plugin, kept the simplest.
 *
 * Probe: 10 (a fallback any specific plugin beats) when the head looks like
 * text: no NUL byte, at most a tenth of control bytes, and either valid
 * UTF-8 or plausible Latin-1 (mostly ASCII).  Empty, blank-only and binary
 * heads score 0.
 *
 * Extract, one document per file:
 *   - title: the first non-blank line, trimmed (a UTF-8 BOM is skipped);
 *   - body: the text after the title line.  When blank lines separate the
 *     body's text lines, each block of lines is one paragraph, its lines
 *     joined with one space (wrapped paragraphs, the BBC layout); when the
 *     body has no blank line between text lines, every line is a paragraph.
 * Line ends may be "\n", "\r\n" or "\r".  Bytes pass through unchanged:
 * the host turns Latin-1 into UTF-8.  No outlet, no date, no language.
 * A file without a non-blank line gives no document (returns 0).
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
#define PT_MAX_FILE_BYTES ((size_t)64 << 20)

static int
probe(const char *path, const unsigned char *head, size_t len)
{
    size_t ctl = 0, ascii = 0, ink = 0;

    (void)path;     /* the decision is made from the content alone */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = head[i];

        if (c == 0)
            return 0;   /* NUL: binary, or UTF-16 we cannot read */
        if (!pio_is_space(c))
            ink++;
        if ((c < 0x20 && !pio_is_space(c)) || c == 0x7f)
            ctl++;
        else if (c < 0x80)
            ascii++;
    }
    if (ink == 0)
        return 0;       /* empty or blank: nothing to index */
    if (ctl * 10 > len)
        return 0;
    /* The head may end in the middle of a character. */
    if (pio_is_utf8(head, len, true, NULL))
        return 10;
    /* Latin-1 text is mostly ASCII with a few accented letters or
     * symbols; random binary is not (about 40% ASCII). */
    if (ascii * 4 >= len * 3)
        return 10;
    return 0;
}

static bool
is_blank(struct pio_span s)
{
    return pio_trim(s).n == 0;
}

static int
put_text(const struct sd_sink *sink, const char *field, struct pio_span s)
{
    if (s.n == 0)
        return 0;
    return sink->add_text(sink->host, field, s.p, s.n);
}

/* Does a blank line separate two text lines in buf[pos..len)? */
static bool
has_inner_blank(const char *buf, size_t len, size_t pos)
{
    struct pio_span line;
    bool seen_text = false, blank_after_text = false;

    while (pio_next_line(buf, len, &pos, &line)) {
        if (is_blank(line)) {
            blank_after_text = seen_text;
        } else {
            if (blank_after_text)
                return true;
            seen_text = true;
        }
    }
    return false;
}

/*
 * Push the body from buf[pos..len), as described at the top.  Joined
 * paragraphs are written over the buffer in place: the output never runs
 * ahead of the input, as a line end is at least as long as one space.
 */
static int
put_body(const struct sd_sink *sink, char *buf, size_t len, size_t pos)
{
    bool blocks = has_inner_blank(buf, len, pos);
    struct pio_span line;
    char *para = NULL;  /* start of the paragraph being joined */
    size_t plen = 0;
    int rc;

    while (pio_next_line(buf, len, &pos, &line)) {
        struct pio_span t = pio_trim(line);

        if (!blocks) {
            if ((rc = put_text(sink, SD_FIELD_BODY, t)) < 0)
                return rc;
            continue;
        }
        if (t.n == 0) {
            if (para != NULL &&
                (rc = put_text(sink, SD_FIELD_BODY,
                               (struct pio_span){ para, plen })) < 0)
                return rc;
            para = NULL;
            continue;
        }
        if (para == NULL) {
            para = (char *)t.p;
            plen = t.n;
        } else {
            para[plen++] = ' ';
            memmove(para + plen, t.p, t.n);
            plen += t.n;
        }
    }
    if (para != NULL)
        return put_text(sink, SD_FIELD_BODY, (struct pio_span){ para, plen });
    return 0;
}

static int
extract(const char *path, int fd, const struct sd_sink *sink)
{
    char *buf = NULL;
    size_t len = 0, pos = 0;
    struct pio_span line, title = { NULL, 0 };
    int rc;

    (void)path;
    if ((rc = pio_read_all(fd, PT_MAX_FILE_BYTES, &buf, &len)) < 0)
        return rc;
    if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
        pos = 3;    /* a UTF-8 byte order mark is not part of the title */
    while (pio_next_line(buf, len, &pos, &line)) {
        title = pio_trim(line);
        if (title.n > 0)
            break;
    }
    if (title.n == 0)
        goto out;   /* nothing to index: no document */

    if ((rc = sink->begin(sink->host, NULL)) < 0)
        goto out;
    if ((rc = put_text(sink, SD_FIELD_TITLE, title)) < 0)
        goto out;
    if ((rc = put_body(sink, buf, len, pos)) < 0)
        goto out;
    rc = sink->end(sink->host);

out:
    free(buf);
    return rc < 0 ? rc : 0;
}

static const char *const extensions[] = { ".txt", ".text", NULL };
static const char *const mime_types[] = { "text/plain", NULL };

static const struct sd_plugin desc = {
    .abi = SD_PLUGIN_ABI,
    .size = sizeof(struct sd_plugin),
    .name = "plaintext",
    .version = "1.0",
    .mime_types = mime_types,
    .extensions = extensions,
    .probe = probe,
    .extract = extract,
};

SD_PLUGIN_DEFINE(desc)
