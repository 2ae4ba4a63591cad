/*
 * fuzz-qsyntax.c - the query checks made before Xapian sees a query
 * (daemon/qsyntax.c); no Xapian needed.
 *
 * Input: the query bytes as they come out of a request's "q".
 * Properties: the verdict does not depend on whether an error is asked
 * for; an error's position is a character of the query (or its end) and
 * its message is set; a date the checker accepts is accepted as date:DATE
 * in a query too.
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "qsyntax.h"

/* Characters in q: every byte but a UTF-8 continuation byte starts one. */
static size_t
chars(const uint8_t *q, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++)
        if ((q[i] & 0xc0) != 0x80)
            n++;
    return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct qsyntax_error err;
    const char *q = (const char *)data;
    int rc;

    memset(&err, 0x55, sizeof err);
    rc = qsyntax_check(q, size, &err);
    FUZZ_ASSERT(rc == 0 || rc == -1);
    FUZZ_ASSERT(qsyntax_check(q, size, NULL) == rc);
    if (rc < 0) {
        FUZZ_ASSERT(err.pos <= chars(data, size));
        FUZZ_ASSERT(memchr(err.message, '\0', sizeof err.message) != NULL);
        FUZZ_ASSERT(err.message[0] != '\0');
    }

    if (qsyntax_is_date(q, size)) {
        char dq[5 + QSYNTAX_DATE_MAX + 1];

        FUZZ_ASSERT(size == 4 || size == 7 || size == 10);
        memcpy(dq, "date:", 5);
        memcpy(dq + 5, q, size);
        FUZZ_ASSERT(qsyntax_check(dq, 5 + size, NULL) == 0);
    }
    return 0;
}
