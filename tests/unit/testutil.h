/*
 * testutil.h - what the unit tests share: temporary folders and a
 * monotonic clock.  Linked into every check program.
 */
#ifndef SEARCHD_TESTUTIL_H
#define SEARCHD_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Make a fresh folder $TMPDIR/NAME.XXXXXX (TMPDIR unset or empty: /tmp)
 * and put its path in buf (len bytes); fails the running test if it
 * cannot. */
void tu_mkdtemp(char *buf, size_t len, const char *name);

/* Remove dir and everything below it, not following symbolic links;
 * errors are ignored (a test's leftovers must not fail the next). */
void tu_rmtree(const char *dir);

/* Milliseconds on the monotonic clock. */
uint64_t tu_now_ms(void);

#endif /* SEARCHD_TESTUTIL_H */
