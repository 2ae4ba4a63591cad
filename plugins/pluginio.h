/*
 * pluginio.h - small I/O helpers shared by the bundled plugins, linked
 * into each one statically (a libtool convenience library), so a plugin
 * still exports nothing but sd_plugin_entry and depends only on libc.
 */
#ifndef SEARCHD_PLUGINIO_H
#define SEARCHD_PLUGINIO_H

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

#endif /* SEARCHD_PLUGINIO_H */
