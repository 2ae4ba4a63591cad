/*
 * util.h - small helpers shared by searchd, searchc and tests: allocation
 * that aborts on OOM (safe because every input-driven size is capped
 * first), UTF-8 checks and repair, base64, strict number parsing and the
 * default paths both programs agree on.  Keep it small.
 */
#ifndef SEARCHD_UTIL_H
#define SEARCHD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string, owned by the caller. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* True when s[0..len) is valid UTF-8 (no overlongs, surrogates or code
 * points past U+10FFFF).  NUL bytes count as invalid. */
bool utf8_valid(const char *s, size_t len);

/* Write code point cp (at most U+10FFFF, not checked further) as UTF-8
 * into out; returns the bytes written, 1 to 4. */
size_t utf8_encode(uint32_t cp, char out[4]);

/*
 * Make text from arbitrary bytes: valid UTF-8 sequences are kept, any other
 * byte is read as Latin-1; control characters other than \t and \n become
 * spaces, \r\n and lone \r become \n.  Returns an owned NUL-terminated
 * string, its length in *len_out (may be NULL).
 */
char *utf8_sanitize(const char *s, size_t len, size_t *len_out);

/* Like utf8_sanitize but every invalid byte (and NUL) becomes U+FFFD and
 * nothing else changes, controls included (for showing bytes that are not
 * text, e.g. a path). */
char *utf8_replace_invalid(const char *s, size_t len, size_t *len_out);

/* Base64 (RFC 4648, padded).  encode returns an owned string; decode
 * returns an owned NUL-terminated buffer (length in *len_out) or NULL on
 * malformed input. */
char *base64_encode(const void *data, size_t len);
void *base64_decode(const char *s, size_t len, size_t *len_out);

/* Parse a whole decimal number in [min, max]; 0 or -EINVAL/-ERANGE. */
int parse_long(const char *s, long min, long max, long *out);

/*
 * Default socket path, the same for searchd and searchc: $SEARCHD_SOCKET if
 * set, else $XDG_RUNTIME_DIR/searchd/searchd.sock, else for root
 * RUNSTATEDIR/searchd/searchd.sock, else /tmp/searchd-UID/searchd.sock.
 * Owned by the caller.
 */
char *util_default_socket_path(void);

/* Default index folder: for root LOCALSTATEDIR/lib/searchd/index, else
 * $XDG_DATA_HOME/searchd/index (~/.local/share/searchd/index).  Owned. */
char *util_default_index_path(void);

/*
 * The spool skip rule (searchd(8)): names starting with "." (hidden files,
 * editor and crawler temporaries such as ".foo.swp") or ending in "~",
 * ".tmp", ".part", ".partial", ".crdownload" or ".swp" are never indexed.
 * name is one path component.
 */
bool spool_name_is_skipped(const char *name);

/* Milliseconds on CLOCK_MONOTONIC (for timeouts: never jumps). */
unsigned long long util_monotonic_ms(void);

/* mkdir -p with mode for the folders created; 0 or -errno. */
int util_mkdir_p(const char *path, unsigned mode);

/*
 * Open absolute path read-only without following a symbolic link in any
 * of its components: each folder is opened from the one before with
 * O_NOFOLLOW, so a link put in the path after it was checked (a folder
 * swapped for a link to elsewhere) is refused, not followed.  Returns an
 * fd (O_CLOEXEC, O_NONBLOCK, O_NOCTTY) or -errno: -ELOOP when a component
 * is a symbolic link, -EINVAL for a relative path or a ".." component.
 * Folders need only search permission, as with open(2).
 */
int util_open_nofollow(const char *path);

#endif /* SEARCHD_UTIL_H */
