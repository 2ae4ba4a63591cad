/*
 * smart.c - extractor for test collections in the SMART format (CISI,
 * Cranfield, and their kin): one file holds many records, each started
 * by a line ".I <number>" and made of dot-fields, each a line ".X"
 * followed by its text:
 *
 *   .T   title            -> title (its lines joined)
 *   .A   author(s)        -> one author per line
 *   .W   abstract         -> body, a paragraph per blank-line or
 *                            indentation break
 *   .B   bibliographic    -> summary (the source, "j. ae. scs. 25, 1958")
 *   .X   cross-references, and any other field: ignored
 *
 * Each record becomes a document whose member is its number (key
 * "path#12"), so a judged query's hits map back to the collection's
 * document numbers.  Lines may end in CRLF; a record with an empty .W
 * (Cranfield 471 and 995) still gives a document, titled by its .T or,
 * failing that, "Record N".  Bytes that are not UTF-8 are passed on for
 * the host to read as Latin-1.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <searchd/plugin.h>

#include "pluginio.h"

#define MAX_FILE   (64u << 20)
#define MAX_NUMBER 20           /* digits of a record number */

enum field { F_NONE, F_TITLE, F_AUTHOR, F_ABSTRACT, F_BIB, F_OTHER };

/* A record being read: the text of each field, one paragraph at a time. */
struct record {
    char number[MAX_NUMBER + 1];
    struct pio_para title;
    struct pio_para bib;
    struct pio_para para;   /* the body paragraph being built */
    bool has_title;
    int rc;
};

/* ".I 12" (with optional blanks): true with the number in out. */
static bool
is_record_start(struct pio_span line, char *out)
{
    size_t i = 2, n = 0;

    if (line.n < 3 || line.p[0] != '.' || line.p[1] != 'I' ||
        (line.p[2] != ' ' && line.p[2] != '\t'))
        return false;
    while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
        i++;
    while (i < line.n && line.p[i] >= '0' && line.p[i] <= '9' &&
           n < MAX_NUMBER)
        out[n++] = line.p[i++];
    while (i < line.n && (line.p[i] == ' ' || line.p[i] == '\t'))
        i++;
    out[n] = '\0';
    /* Leading zeros ("001" in cran.qry) are kept out of the member. */
    if (n > 1) {
        size_t z = 0;

        while (z + 1 < n && out[z] == '0')
            z++;
        memmove(out, out + z, n - z + 1);
    }
    return n > 0 && i == line.n;
}

/* ".T", ".A", ... alone on a line: the field, else F_NONE. */
static enum field
field_of(struct pio_span line)
{
    struct pio_span t = pio_trim(line);

    if (t.n != 2 || t.p[0] != '.' || line.p[0] != '.')
        return F_NONE;
    switch (t.p[1]) {
    case 'T': return F_TITLE;
    case 'A': return F_AUTHOR;
    case 'W': return F_ABSTRACT;
    case 'B': return F_BIB;
    default:  return t.p[1] >= 'A' && t.p[1] <= 'Z' ? F_OTHER : F_NONE;
    }
}

static void
add_text(const struct sd_sink *sink, struct record *r, const char *field,
         const char *s, size_t n)
{
    int rc;

    if (r->rc != 0 || n == 0)
        return;
    rc = sink->add_text(sink->host, field, s, n);
    /* A refused value (-EINVAL: e.g. bad text) costs that value only. */
    if (rc < 0 && rc != -EINVAL)
        r->rc = rc;
}

/* The body paragraph built so far goes out. */
static void
flush_para(const struct sd_sink *sink, struct record *r)
{
    add_text(sink, r, SD_FIELD_BODY, r->para.p, r->para.len);
    r->para.len = 0;
}

static void
append(struct record *r, struct pio_para *pa, struct pio_span t)
{
    if (r->rc == 0 && t.n > 0 && pio_para_add(pa, t.p, t.n) < 0)
        r->rc = -ENOMEM;
}

/* One line of field f of the current record. */
static void
take_line(const struct sd_sink *sink, struct record *r, enum field f,
          struct pio_span line)
{
    struct pio_span t = pio_trim(line);

    switch (f) {
    case F_TITLE:
        append(r, &r->title, t);
        break;
    case F_AUTHOR:
        add_text(sink, r, SD_FIELD_AUTHOR, t.p, t.n);
        break;
    case F_BIB:
        append(r, &r->bib, t);
        break;
    case F_ABSTRACT:
        /* A blank line, or an indented line (Cranfield starts its
         * paragraphs with two blanks), ends a paragraph. */
        if (t.n == 0 || (line.n > 0 && pio_is_space((unsigned char)line.p[0])))
            flush_para(sink, r);
        append(r, &r->para, t);
        break;
    default:
        break;
    }
}

/* The record is complete: its remaining fields, then end(). */
static int
finish(const struct sd_sink *sink, struct record *r)
{
    flush_para(sink, r);
    if (r->title.len > 0) {
        add_text(sink, r, SD_FIELD_TITLE, r->title.p, r->title.len);
    } else {
        char t[32 + MAX_NUMBER];
        int n = snprintf(t, sizeof t, "Record %s", r->number);

        add_text(sink, r, SD_FIELD_TITLE, t, (size_t)n);
    }
    add_text(sink, r, SD_FIELD_SUMMARY, r->bib.p, r->bib.len);
    r->title.len = r->bib.len = r->para.len = 0;
    if (r->rc != 0)
        return r->rc;
    return sink->end(sink->host);
}

static int
probe(const char *path, const unsigned char *head, size_t len)
{
    struct pio_span line;
    size_t pos = 0;
    char number[MAX_NUMBER + 1];

    (void)path;
    /* ".I <n>" first, then a dot-field line: nothing else looks so. */
    if (!pio_next_line((const char *)head, len, &pos, &line) ||
        !is_record_start(line, number))
        return 0;
    if (!pio_next_line((const char *)head, len, &pos, &line) ||
        field_of(line) == F_NONE)
        return 0;
    return 90;
}

static int
extract(const char *path, int fd, const struct sd_sink *sink)
{
    struct record r = { .rc = 0 };
    struct pio_span line;
    enum field f = F_NONE;
    bool open = false;
    char *buf = NULL;
    size_t len = 0, pos = 0;
    unsigned n = 0;
    int rc;

    (void)path;
    rc = pio_read_all(fd, MAX_FILE, &buf, &len);
    if (rc < 0)
        return rc;
    while (rc == 0 && pio_next_line(buf, len, &pos, &line)) {
        char number[MAX_NUMBER + 1];
        enum field nf;

        if (is_record_start(line, number)) {
            if (open)
                rc = finish(sink, &r);
            if (rc != 0)
                break;
            memcpy(r.number, number, sizeof number);
            rc = sink->begin(sink->host, r.number);
            if (rc == -EINVAL) {
                /* The number was used twice: the host refuses a second
                 * document under it; skip the record. */
                char msg[96];
                snprintf(msg, sizeof msg, "record %s appears twice; the "
                         "second is skipped", number);
                sink->log(sink->host, SD_LOG_WARN, msg);
                open = false;
                f = F_NONE;
                rc = 0;
                continue;
            }
            open = rc == 0;
            f = F_NONE;
            n++;
        } else if (!open) {
            continue;   /* before the first record, or a skipped one */
        } else if ((nf = field_of(line)) != F_NONE) {
            if (f == F_ABSTRACT)
                flush_para(sink, &r);
            f = nf;
        } else {
            take_line(sink, &r, f, line);
        }
    }
    if (rc == 0 && open)
        rc = finish(sink, &r);
    free(r.title.p);
    free(r.bib.p);
    free(r.para.p);
    free(buf);
    if (rc == 0 && n == 0)
        return -EINVAL;     /* no record at all */
    return rc;
}

static const struct sd_plugin desc = {
    .abi = SD_PLUGIN_ABI,
    .size = sizeof(struct sd_plugin),
    .name = "smart",
    .version = "1.0",
    .probe = probe,
    .extract = extract,
};

SD_PLUGIN_DEFINE(desc)
