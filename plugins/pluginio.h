/*
 * pluginio.h - small I/O helpers shared by the bundled plugins, linked
 * into each one statically (a libtool convenience library), so a plugin
 * still exports nothing but sd_plugin_entry and depends only on libc.
 */
#ifndef SEARCHD_PLUGINIO_H
#define SEARCHD_PLUGINIO_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Read fd (possibly non-blocking, as the host opens files) to its end
 * into a malloc'd buffer, owned by the caller (free()), NUL-terminated
 * after *len_out bytes.  Returns 0, -ENOMEM, -EFBIG past max_bytes, or
 * the -errno of a failed read.
 */
int pio_read_all(int fd, size_t max_bytes, char **buf_out, size_t *len_out);

/*
 * A paragraph being built from lines: pio_para_add appends s (n bytes),
 * after a space unless the paragraph is empty.  p is owned (free(p)
 * when done); len = 0 starts the next paragraph.  0 or -ENOMEM.
 */
struct pio_para {
    char *p;
    size_t len, cap;
};

int pio_para_add(struct pio_para *pa, const char *s, size_t n);

/*
 * A growable byte string: s is owned (free(s)), NUL-terminated once
 * anything was added; zero-initialise to start.  Both functions return 0
 * or -ENOMEM (the string is then unchanged).
 */
struct pio_str {
    char *s;
    size_t len, cap;
};

/* Room for more bytes after len (and the NUL). */
int pio_str_reserve(struct pio_str *b, size_t more);
/* Append s[0..n). */
int pio_str_add(struct pio_str *b, const char *s, size_t n);

/* A run of bytes borrowed from a file buffer. */
struct pio_span {
    const char *p;
    size_t n;
};

/* ASCII white space: blank, tab, CR, LF, FF, VT. */
bool pio_is_space(unsigned char c);

/* s without white space at either end. */
struct pio_span pio_trim(struct pio_span s);

/*
 * The line of buf (len bytes) at *pos, without its end ("\n", "\r\n" or
 * a lone "\r"); *pos moves past it.  False at the end of the buffer.
 */
bool pio_next_line(const char *buf, size_t len, size_t *pos,
                   struct pio_span *line_out);

/*
 * Is s[0..n) valid UTF-8 (no overlong forms, no surrogates, nothing past
 * U+10FFFF)?  With cut_ok, a sequence cut short by the end of the buffer
 * is accepted: a file's head may end in the middle of a character.
 * *non_ascii_out (may be NULL) says whether any byte was >= 0x80.
 */
bool pio_is_utf8(const void *s, size_t n, bool cut_ok, bool *non_ascii_out);

/*
 * Does a lower-case charset label name a single-byte charset (Latin-1,
 * Windows-125x, ASCII)?  A page or feed declaring one while its bytes are
 * valid, non-ASCII UTF-8 was copied from a template: it is UTF-8.
 */
bool pio_is_single_byte_charset(const char *label);

/* Does s start with prefix (bytes, case sensitive)? */
bool pio_starts_with(struct pio_span s, const char *prefix);

#endif /* SEARCHD_PLUGINIO_H */
