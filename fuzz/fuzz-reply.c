/*
 * fuzz-reply.c - the daemon's decoder of what an extraction worker sends
 * back (daemon/worker.c, worker_parse_reply, and the packed document form
 * of daemon/doc.c): a worker runs third-party plugins, so its bytes are
 * untrusted.
 *
 * Input: byte 0 chooses what the bytes after it are: even, the payload of
 * an 'R' frame (rc, hash, reason, plugin, version, documents); odd, one
 * packed document alone.
 *
 * Properties: a reply that decodes has a status the daemon understands
 * and only complete documents, each with a key and a path; a document
 * that decodes packs back to exactly the bytes it was read from (the form
 * has one encoding), so nothing is lost or invented.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "doc.h"
#include "fuzz.h"
#include "worker.h"

static void
one_doc(const char *p, size_t len)
{
    struct dcur c = { p, len, 0 };
    struct doc *d = doc_unpack(&c);
    struct dbuf b = { 0 };
    size_t used;

    if (d == NULL) {
        FUZZ_ASSERT(c.err == -EBADMSG);
        return;
    }
    FUZZ_ASSERT(c.err == 0 && d->key != NULL && d->path != NULL);
    used = len - c.len;
    doc_pack(&b, d);
    FUZZ_ASSERT(b.len == used && memcmp(b.p, p, used) == 0);
    free(b.p);
    doc_free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wresult r;
    const char *p = (const char *)data + 1;
    int rc;

    if (size < 1)
        return 0;
    if (data[0] & 1) {
        one_doc(p, size - 1);
        return 0;
    }
    memset(&r, 0, sizeof r);
    rc = worker_parse_reply(p, size - 1, &r);
    FUZZ_ASSERT(rc == 0 || rc == -EBADMSG);
    FUZZ_ASSERT(memchr(r.reason, '\0', sizeof r.reason) != NULL);
    FUZZ_ASSERT(memchr(r.plugin, '\0', sizeof r.plugin) != NULL);
    FUZZ_ASSERT(memchr(r.plugin_version, '\0',
                       sizeof r.plugin_version) != NULL);
    if (rc == 0) {
        FUZZ_ASSERT(r.rc <= 0 && r.rc >= -4095);
        for (size_t i = 0; i < r.n; i++)
            FUZZ_ASSERT(r.docs[i] != NULL && r.docs[i]->key != NULL &&
                        r.docs[i]->path != NULL);
    }
    wresult_clear(&r);
    return 0;
}
