/*
 * doc.c - one extracted document (doc.h): allocation, setters and the
 * growable string lists.  Every allocation goes through util.h and so
 * aborts on OOM; the sizes here are capped by the extraction host first.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "util.h"

struct doc *
doc_new(void)
{
    return xcalloc(1, sizeof(struct doc));
}

void
doc_free(struct doc *d)
{
    if (d == NULL)
        return;
    free(d->key);
    free(d->path);
    free(d->member);
    free(d->plugin);
    free(d->plugin_version);
    free(d->title);
    free(d->date);
    free(d->outlet);
    free(d->place);
    free(d->lang);
    free(d->url);
    strv_clear(&d->authors);
    strv_clear(&d->summary);
    strv_clear(&d->captions);
    strv_clear(&d->keywords);
    strv_clear(&d->body);
    free(d);
}

void
doc_set(char **slot, const char *s, size_t len)
{
    assert(slot != NULL);
    assert(s != NULL || len == 0);
    free(*slot);
    /* xstrndup stops at an embedded NUL: the string is what C sees. */
    *slot = xstrndup(s != NULL ? s : "", len);
}

void
strv_push(struct strv *sv, const char *s, size_t len)
{
    assert(sv != NULL);
    assert(s != NULL || len == 0);
    if (sv->n == sv->cap) {
        size_t cap = sv->cap ? 2 * sv->cap : 4;

        sv->v = xrealloc(sv->v, cap * sizeof *sv->v);
        sv->cap = cap;
    }
    sv->v[sv->n++] = xstrndup(s != NULL ? s : "", len);
}

void
strv_clear(struct strv *sv)
{
    if (sv == NULL)
        return;
    for (size_t i = 0; i < sv->n; i++)
        free(sv->v[i]);
    free(sv->v);
    sv->v = NULL;
    sv->n = 0;
    sv->cap = 0;
}

char *
doc_body_text(const struct doc *d)
{
    size_t total = 1;
    char *out, *p;

    assert(d != NULL);
    for (size_t i = 0; i < d->body.n; i++)
        total += strlen(d->body.v[i]) + (i > 0 ? 2 : 0);
    out = p = xmalloc(total);
    for (size_t i = 0; i < d->body.n; i++) {
        size_t n = strlen(d->body.v[i]);

        if (i > 0) {
            memcpy(p, "\n\n", 2);
            p += 2;
        }
        memcpy(p, d->body.v[i], n);
        p += n;
    }
    *p = '\0';
    return out;
}

/* ---- packed form -------------------------------------------------------- */

#define DOC_PACK_NULL 0xffffffffu
/* Most strings in one list: extract.h caps lists far lower; this only
 * stops a malformed count from asking for absurd memory. */
#define DOC_PACK_MAX_LIST 1000000u

void
dbuf_add(struct dbuf *b, const void *data, size_t len)
{
    if (b->cap - b->len < len) {
        size_t cap = b->cap ? b->cap : 256;

        while (cap - b->len < len)
            cap *= 2;
        b->p = xrealloc(b->p, cap);
        b->cap = cap;
    }
    if (len > 0)
        memcpy(b->p + b->len, data, len);
    b->len += len;
}

void
dbuf_add_u32(struct dbuf *b, uint32_t v)
{
    unsigned char x[4] = { v >> 24, v >> 16, v >> 8, v };

    dbuf_add(b, x, sizeof x);
}

void
dbuf_add_u64(struct dbuf *b, uint64_t v)
{
    dbuf_add_u32(b, (uint32_t)(v >> 32));
    dbuf_add_u32(b, (uint32_t)v);
}

void
dbuf_add_str(struct dbuf *b, const char *s)
{
    size_t n;

    if (s == NULL) {
        dbuf_add_u32(b, DOC_PACK_NULL);
        return;
    }
    n = strlen(s);
    assert(n < DOC_PACK_NULL);
    dbuf_add_u32(b, (uint32_t)n);
    dbuf_add(b, s, n);
}

uint32_t
dcur_u32(struct dcur *c)
{
    const unsigned char *x = (const unsigned char *)c->p;
    uint32_t v;

    if (c->err != 0 || c->len < 4) {
        c->err = -EBADMSG;
        return 0;
    }
    v = (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 | (uint32_t)x[2] << 8 |
        x[3];
    c->p += 4;
    c->len -= 4;
    return v;
}

uint64_t
dcur_u64(struct dcur *c)
{
    uint64_t hi = dcur_u32(c);

    return hi << 32 | dcur_u32(c);
}

char *
dcur_str(struct dcur *c)
{
    uint32_t n = dcur_u32(c);
    char *s;

    if (c->err != 0 || n == DOC_PACK_NULL)
        return NULL;
    if (n > c->len || memchr(c->p, '\0', n) != NULL) {
        c->err = -EBADMSG;
        return NULL;
    }
    s = xstrndup(c->p, n);
    c->p += n;
    c->len -= n;
    return s;
}

static void
pack_strv(struct dbuf *b, const struct strv *sv)
{
    dbuf_add_u32(b, (uint32_t)sv->n);
    for (size_t i = 0; i < sv->n; i++)
        dbuf_add_str(b, sv->v[i]);
}

static void
unpack_strv(struct dcur *c, struct strv *sv)
{
    uint32_t n = dcur_u32(c);

    /* Each string takes at least 4 bytes: a count past that is a lie. */
    if (c->err == 0 && (n > DOC_PACK_MAX_LIST || n > c->len / 4)) {
        c->err = -EBADMSG;
        return;
    }
    for (uint32_t i = 0; i < n && c->err == 0; i++) {
        char *s = dcur_str(c);

        if (s == NULL) {
            c->err = -EBADMSG;  /* list items are never NULL */
            return;
        }
        if (sv->n == sv->cap) {
            sv->cap = sv->cap ? 2 * sv->cap : 4;
            sv->v = xrealloc(sv->v, sv->cap * sizeof *sv->v);
        }
        sv->v[sv->n++] = s;
    }
}

void
doc_pack(struct dbuf *b, const struct doc *d)
{
    const char *const scalars[] = {
        d->key, d->path, d->member, d->plugin, d->plugin_version, d->title,
        d->date, d->outlet, d->place, d->lang, d->url,
    };

    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        dbuf_add_str(b, scalars[i]);
    pack_strv(b, &d->authors);
    pack_strv(b, &d->summary);
    pack_strv(b, &d->captions);
    pack_strv(b, &d->keywords);
    pack_strv(b, &d->body);
}

struct doc *
doc_unpack(struct dcur *c)
{
    struct doc *d = doc_new();
    char **const scalars[] = {
        &d->key, &d->path, &d->member, &d->plugin, &d->plugin_version,
        &d->title, &d->date, &d->outlet, &d->place, &d->lang, &d->url,
    };

    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        *scalars[i] = dcur_str(c);
    unpack_strv(c, &d->authors);
    unpack_strv(c, &d->summary);
    unpack_strv(c, &d->captions);
    unpack_strv(c, &d->keywords);
    unpack_strv(c, &d->body);
    if (c->err == 0 && (d->key == NULL || d->path == NULL))
        c->err = -EBADMSG;
    if (c->err != 0) {
        doc_free(d);
        return NULL;
    }
    return d;
}
