/*
 * doc.c - one extracted document (doc.h): allocation, setters and the
 * growable string lists.  Every allocation goes through util.h and so
 * aborts on OOM; the sizes here are capped by the extraction host first.
 */
#include "config.h"

#include <assert.h>
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
