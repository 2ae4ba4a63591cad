/*
 * pluginio.c - I/O helpers of the bundled plugins (pluginio.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pluginio.h"

/* First buffer when the size is not known (a pipe). */
#define PIO_FIRST_CHUNK ((size_t)64 << 10)

int
pio_read_all(int fd, size_t max_bytes, char **buf_out, size_t *len_out)
{
    struct stat st;
    size_t cap = PIO_FIRST_CHUNK, len = 0;
    char *buf;

    /* +1 so that a regular file is read to EOF without a realloc. */
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
        (uintmax_t)st.st_size < max_bytes)
        cap = (size_t)st.st_size + 1;
    /* And one more byte, always, for the terminating NUL. */
    buf = malloc(cap + 1);
    if (buf == NULL)
        return -ENOMEM;
    for (;;) {
        ssize_t r;

        if (len == cap) {
            size_t ncap = cap * 2;
            char *nbuf;

            if (cap > max_bytes) {
                free(buf);
                return -EFBIG;
            }
            if (ncap > max_bytes + 1)
                ncap = max_bytes + 1;
            nbuf = realloc(buf, ncap + 1);
            if (nbuf == NULL) {
                free(buf);
                return -ENOMEM;
            }
            buf = nbuf;
            cap = ncap;
        }
        r = read(fd, buf + len, cap - len);
        if (r < 0) {
            int err = errno;

            if (err == EINTR)
                continue;
            if (err == EAGAIN || err == EWOULDBLOCK) {
                /* The host may hand us a non-blocking descriptor. */
                struct pollfd pfd = { .fd = fd, .events = POLLIN };

                if (poll(&pfd, 1, -1) >= 0 || errno == EINTR)
                    continue;
                err = errno;
            }
            free(buf);
            return -err;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (len > max_bytes) {
        free(buf);
        return -EFBIG;
    }
    buf[len] = '\0';
    *buf_out = buf;
    *len_out = len;
    return 0;
}

int
pio_para_add(struct pio_para *pa, const char *s, size_t n)
{
    if (pa->cap < pa->len + n + 2) {
        size_t cap = (pa->len + n + 2) * 2;
        char *np = realloc(pa->p, cap);

        if (np == NULL)
            return -ENOMEM;
        pa->p = np;
        pa->cap = cap;
    }
    if (pa->len > 0)
        pa->p[pa->len++] = ' ';
    memcpy(pa->p + pa->len, s, n);
    pa->len += n;
    return 0;
}

int
pio_str_reserve(struct pio_str *b, size_t more)
{
    size_t cap = b->cap ? b->cap : 256;
    char *p;

    if (b->len + more + 1 <= b->cap)
        return 0;
    while (cap < b->len + more + 1)
        cap *= 2;
    if ((p = realloc(b->s, cap)) == NULL)
        return -ENOMEM;
    b->s = p;
    b->cap = cap;
    return 0;
}

int
pio_str_add(struct pio_str *b, const char *s, size_t n)
{
    if (pio_str_reserve(b, n) < 0)
        return -ENOMEM;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return 0;
}

bool
pio_is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r' ||
           c == '\n';
}

struct pio_span
pio_trim(struct pio_span s)
{
    while (s.n > 0 && pio_is_space((unsigned char)s.p[0])) {
        s.p++;
        s.n--;
    }
    while (s.n > 0 && pio_is_space((unsigned char)s.p[s.n - 1]))
        s.n--;
    return s;
}

bool
pio_next_line(const char *buf, size_t len, size_t *pos,
              struct pio_span *line_out)
{
    size_t i = *pos;

    if (i >= len)
        return false;
    line_out->p = buf + i;
    while (i < len && buf[i] != '\n' && buf[i] != '\r')
        i++;
    line_out->n = (size_t)(buf + i - line_out->p);
    if (i < len && buf[i] == '\r') {
        i++;
        if (i < len && buf[i] == '\n')
            i++;
    } else if (i < len) {
        i++;    /* '\n' */
    }
    *pos = i;
    return true;
}

bool
pio_starts_with(struct pio_span s, const char *prefix)
{
    size_t n = strlen(prefix);

    return s.n >= n && memcmp(s.p, prefix, n) == 0;
}

bool
pio_is_utf8(const void *buf, size_t n, bool cut_ok, bool *non_ascii_out)
{
    const unsigned char *s = buf;
    bool non_ascii = false;
    size_t i = 0;

    while (i < n) {
        unsigned char c = s[i];
        size_t need;
        unsigned char lo = 0x80, hi = 0xbf;

        if (c < 0x80) {
            i++;
            continue;
        }
        non_ascii = true;
        if (c >= 0xc2 && c <= 0xdf)
            need = 1;
        else if (c >= 0xe0 && c <= 0xef) {
            need = 2;
            if (c == 0xe0)
                lo = 0xa0;      /* no overlong forms */
            else if (c == 0xed)
                hi = 0x9f;      /* no surrogates */
        } else if (c >= 0xf0 && c <= 0xf4) {
            need = 3;
            if (c == 0xf0)
                lo = 0x90;
            else if (c == 0xf4)
                hi = 0x8f;      /* nothing past U+10FFFF */
        } else
            goto bad;
        for (size_t k = 1; k <= need; k++) {
            if (i + k >= n) {
                if (cut_ok)
                    goto good;  /* cut at the end of the buffer */
                goto bad;
            }
            if (s[i + k] < lo || s[i + k] > hi)
                goto bad;
            lo = 0x80;
            hi = 0xbf;
        }
        i += need + 1;
    }
good:
    if (non_ascii_out != NULL)
        *non_ascii_out = non_ascii;
    return true;
bad:
    if (non_ascii_out != NULL)
        *non_ascii_out = non_ascii;
    return false;
}

bool
pio_is_single_byte_charset(const char *l)
{
    return strstr(l, "8859") != NULL || strstr(l, "1252") != NULL ||
           strstr(l, "latin") != NULL || strstr(l, "ascii") != NULL ||
           strstr(l, "windows-125") != NULL || strstr(l, "cp125") != NULL;
}
