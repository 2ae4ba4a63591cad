/*
 * util.c - allocation that aborts on OOM, UTF-8 checking and repair,
 * base64, strict number parsing and the default paths (util.h).
 *
 * Nothing here logs or keeps state; every function is thread-safe.
 */
#include "config.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* Both come from the build (-DRUNSTATEDIR='"/run"'); these defaults keep
 * the file compilable on its own. */
#ifndef RUNSTATEDIR
#define RUNSTATEDIR "/run"
#endif
#ifndef LOCALSTATEDIR
#define LOCALSTATEDIR "/var"
#endif

/* ---- allocation ------------------------------------------------------- */

static void
oom(size_t n)
{
    /* No allocation past this point: fprintf to stderr is unbuffered. */
    fprintf(stderr, "out of memory (allocating %zu bytes)\n", n);
    abort();
}

void *
xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);

    if (!p)
        oom(n);
    return p;
}

void *
xcalloc(size_t n, size_t size)
{
    void *p;

    if (n == 0 || size == 0)
        n = size = 1;
    p = calloc(n, size);
    if (!p)
        oom(size && n > SIZE_MAX / size ? SIZE_MAX : n * size);
    return p;
}

void *
xrealloc(void *p, size_t n)
{
    /* realloc(p, 0) may free p and return NULL; never ask for 0. */
    void *q = realloc(p, n ? n : 1);

    if (!q)
        oom(n);
    return q;
}

char *
xstrdup(const char *s)
{
    assert(s);
    return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
    char *p;

    assert(s);
    n = strnlen(s, n);
    p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        /* Only an invalid format gets here: a programmer error. */
        assert(!"xasprintf: bad format");
        return xstrdup("");
    }
    p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

/* ---- UTF-8 ------------------------------------------------------------ */

/*
 * Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes at s
 * do not start one.  Strict (RFC 3629): no overlong forms, no surrogates
 * (U+D800..U+DFFF), nothing past U+10FFFF.  NUL is not valid here.
 */
static size_t
utf8_seq_len(const unsigned char *s, size_t len)
{
    unsigned char c = s[0];
    unsigned char lo = 0x80, hi = 0xBF; /* range of the second byte */
    size_t n, i;

    if (c == 0)
        return 0;
    if (c < 0x80)
        return 1;
    if (c < 0xC2)           /* continuation byte, or overlong C0/C1 */
        return 0;
    if (c < 0xE0) {
        n = 2;
    } else if (c < 0xF0) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;      /* overlong below U+0800 */
        else if (c == 0xED)
            hi = 0x9F;      /* surrogates */
    } else if (c < 0xF5) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;      /* overlong below U+10000 */
        else if (c == 0xF4)
            hi = 0x8F;      /* past U+10FFFF */
    } else {
        return 0;
    }
    if (len < n)
        return 0;
    if (s[1] < lo || s[1] > hi)
        return 0;
    for (i = 2; i < n; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

size_t
utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

bool
utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n;

    assert(s || len == 0);
    while (i < len) {
        /* Fast path for ASCII runs. */
        if (p[i] > 0 && p[i] < 0x80) {
            i++;
            continue;
        }
        n = utf8_seq_len(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

/* Append the UTF-8 encoding of cp (< U+0800 is all we need: Latin-1 and
 * U+FFFD are the only code points made up here) to out at *o. */
static void
put_cp(char *out, size_t *o, unsigned cp)
{
    unsigned char *u = (unsigned char *)out + *o;

    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        *o += 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        *o += 2;
    } else {
        assert(cp < 0x10000);
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        *o += 3;
    }
}

char *
utf8_sanitize(const char *s, size_t len, size_t *len_out)
{
    const unsigned char *p = (const unsigned char *)s;
    char *out;
    size_t i = 0, o = 0, n;

    assert(s || len == 0);
    /* Worst case: every byte is Latin-1 0x80..0xFF, two bytes out each. */
    if (len > (SIZE_MAX - 1) / 2)
        len = (SIZE_MAX - 1) / 2;
    out = xmalloc(2 * len + 1);
    while (i < len) {
        unsigned char c = p[i];

        if (c == '\r') {
            /* \r\n and a lone \r both end a line. */
            out[o++] = '\n';
            i += (i + 1 < len && p[i + 1] == '\n') ? 2 : 1;
            continue;
        }
        if (c < 0x80) {
            /* NUL, other C0 controls and DEL become spaces. */
            out[o++] = (c == '\t' || c == '\n' || (c >= 0x20 && c != 0x7F))
                           ? (char)c : ' ';
            i++;
            continue;
        }
        n = utf8_seq_len(p + i, len - i);
        if (n == 2 && c == 0xC2 && p[i + 1] < 0xA0) {
            /* A well-formed C1 control (U+0080..U+009F). */
            out[o++] = ' ';
        } else if (n > 0) {
            memcpy(out + o, p + i, n);
            o += n;
        } else {
            /* Not UTF-8: read the byte as Latin-1, whose 0x80..0x9F are
             * C1 controls. */
            n = 1;
            if (c < 0xA0)
                out[o++] = ' ';
            else
                put_cp(out, &o, c);
        }
        i += n;
    }
    out[o] = '\0';
    if (len_out)
        *len_out = o;
    return out;
}

char *
utf8_replace_invalid(const char *s, size_t len, size_t *len_out)
{
    const unsigned char *p = (const unsigned char *)s;
    char *out;
    size_t i = 0, o = 0, n;

    assert(s || len == 0);
    /* Worst case: every byte becomes U+FFFD, three bytes out each. */
    if (len > (SIZE_MAX - 1) / 3)
        len = (SIZE_MAX - 1) / 3;
    out = xmalloc(3 * len + 1);
    while (i < len) {
        n = utf8_seq_len(p + i, len - i);
        if (n > 0) {
            memcpy(out + o, p + i, n);
            o += n;
            i += n;
        } else {
            put_cp(out, &o, 0xFFFD);
            i++;
        }
    }
    out[o] = '\0';
    if (len_out)
        *len_out = o;
    return out;
}

/* ---- base64 ----------------------------------------------------------- */

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
base64_encode(const void *data, size_t len)
{
    const unsigned char *p = data;
    char *out, *o;
    size_t i;

    assert(data || len == 0);
    assert(len <= (SIZE_MAX - 1) / 4 * 3 - 3);
    out = o = xmalloc((len + 2) / 3 * 4 + 1);
    for (i = 0; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

        *o++ = b64_alphabet[v >> 18];
        *o++ = b64_alphabet[(v >> 12) & 0x3F];
        *o++ = b64_alphabet[(v >> 6) & 0x3F];
        *o++ = b64_alphabet[v & 0x3F];
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16;

        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        *o++ = b64_alphabet[v >> 18];
        *o++ = b64_alphabet[(v >> 12) & 0x3F];
        *o++ = i + 1 < len ? b64_alphabet[(v >> 6) & 0x3F] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return out;
}

/* Value of one base64 character, or -1. */
static int
b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/*
 * Strict: the length is a multiple of 4, "=" only as the last one or two
 * characters, no whitespace, and the bits a padded quantum leaves over are
 * zero, so every byte string has exactly one accepted encoding.
 */
void *
base64_decode(const char *s, size_t len, size_t *len_out)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned char *out;
    size_t i, o = 0, pad = 0;

    assert(s || len == 0);
    if (len % 4 != 0)
        return NULL;
    if (len > 0 && p[len - 1] == '=')
        pad = (len > 1 && p[len - 2] == '=') ? 2 : 1;
    out = xmalloc(len / 4 * 3 + 1);
    for (i = 0; i < len; i += 4) {
        bool is_last = i + 4 == len;
        size_t nchars = is_last ? 4 - pad : 4;
        uint32_t v = 0;
        size_t k;

        for (k = 0; k < 4; k++) {
            int d = 0;

            if (k < nchars) {
                d = b64_value(p[i + k]);
                if (d < 0)
                    goto fail;
            }
            v = v << 6 | (uint32_t)d;
        }
        out[o++] = (unsigned char)(v >> 16);
        if (nchars > 2)
            out[o++] = (unsigned char)(v >> 8);
        if (nchars > 3)
            out[o++] = (unsigned char)v;
        /* Leftover bits of a padded quantum must be zero. */
        if ((nchars == 2 && (v & 0xFFFF)) || (nchars == 3 && (v & 0xFF)))
            goto fail;
    }
    out[o] = '\0';
    if (len_out)
        *len_out = o;
    return out;

fail:
    free(out);
    return NULL;
}

/* ---- numbers ---------------------------------------------------------- */

int
parse_long(const char *s, long min, long max, long *out)
{
    const char *d;
    char *end;
    long v;

    assert(out);
    if (!s)
        return -EINVAL;
    /* strtol would skip leading spaces and accept "+" or "0x"; we take
     * an optional "-" and decimal digits only. */
    d = s[0] == '-' ? s + 1 : s;
    if (*d < '0' || *d > '9')
        return -EINVAL;
    errno = 0;
    v = strtol(s, &end, 10);
    if (*end != '\0')
        return -EINVAL;
    if (errno == ERANGE || v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

/* ---- default paths ---------------------------------------------------- */

/* The value of an environment variable if it is set to an absolute path. */
static const char *
env_abs_path(const char *name)
{
    const char *v = getenv(name);

    return v && v[0] == '/' ? v : NULL;
}

char *
util_default_socket_path(void)
{
    const char *v = getenv("SEARCHD_SOCKET");

    if (v && v[0] != '\0')
        return xstrdup(v);
    v = env_abs_path("XDG_RUNTIME_DIR");
    if (v)
        return xasprintf("%s/searchd/searchd.sock", v);
    if (geteuid() == 0)
        return xstrdup(RUNSTATEDIR "/searchd/searchd.sock");
    return xasprintf("/tmp/searchd-%lu/searchd.sock",
                     (unsigned long)geteuid());
}

char *
util_default_index_path(void)
{
    const char *v;
    const struct passwd *pw;

    if (geteuid() == 0)
        return xstrdup(LOCALSTATEDIR "/lib/searchd/index");
    v = env_abs_path("XDG_DATA_HOME");
    if (v)
        return xasprintf("%s/searchd/index", v);
    v = env_abs_path("HOME");
    if (!v) {
        /* getpwuid is not thread-safe; this runs once, at startup. */
        pw = getpwuid(geteuid());
        v = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
    }
    if (v)
        return xasprintf("%s/.local/share/searchd/index", v);
    return xasprintf("/tmp/searchd-%lu/index", (unsigned long)geteuid());
}

int
util_mkdir_p(const char *path, unsigned mode)
{
    char *p;
    size_t i, len;
    struct stat st;
    int rc = 0;

    if (!path || path[0] == '\0')
        return -EINVAL;
    p = xstrdup(path);
    len = strlen(p);
    while (len > 1 && p[len - 1] == '/')
        p[--len] = '\0';
    /* Create each prefix ending before a "/", then the whole path. */
    for (i = 1; i <= len; i++) {
        if (i < len && p[i] != '/')
            continue;
        if (i < len && p[i - 1] == '/')
            continue;       /* "a//b" */
        p[i] = '\0';
        if (mkdir(p, (mode_t)mode) != 0) {
            if (errno != EEXIST) {
                rc = -errno;
                break;
            }
            /* Something is there: fine if it is (or leads to) a folder. */
            if (stat(p, &st) != 0) {
                rc = -errno;
                break;
            }
            if (!S_ISDIR(st.st_mode)) {
                rc = -ENOTDIR;
                break;
            }
        }
        if (i < len)
            p[i] = '/';
    }
    free(p);
    return rc;
}

bool
spool_name_is_skipped(const char *name)
{
    static const char *const suffixes[] = {
        "~", ".tmp", ".part", ".partial", ".crdownload", ".swp",
    };
    size_t len = strlen(name);

    if (name[0] == '.')
        return true;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        size_t sl = strlen(suffixes[i]);
        if (len >= sl && strcmp(name + len - sl, suffixes[i]) == 0)
            return true;
    }
    return false;
}

unsigned long long
util_monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000u +
           (unsigned long long)ts.tv_nsec / 1000000u;
}

/* openat(dfd, name) refused with ENOTDIR or ELOOP: was name a link? */
static int
nofollow_error(int dfd, const char *name, int err)
{
    struct stat st;

    if (err == ENOTDIR &&
        fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISLNK(st.st_mode))
        return -ELOOP;
    return -err;
}

int
util_open_nofollow(const char *path)
{
    const char *p = path;
    int dfd, fd;

    if (path == NULL || path[0] != '/')
        return -EINVAL;
    dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return -errno;
    for (;;) {
        char name[NAME_MAX + 1];
        const char *e;
        size_t n;

        while (*p == '/')
            p++;
        e = strchr(p, '/');
        n = e ? (size_t)(e - p) : strlen(p);
        while (e != NULL && e[1] == '/')
            e++;
        if (n == 0) {           /* "/" itself, or a trailing "/" */
            close(dfd);
            return -EISDIR;
        }
        if (n > NAME_MAX) {
            close(dfd);
            return -ENAMETOOLONG;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        if (strcmp(name, "..") == 0) {
            close(dfd);
            return -EINVAL;
        }
        p += n;
        if (e != NULL && e[1] != '\0') {
            /* A folder on the way: O_PATH needs no read permission, and
             * with O_NOFOLLOW a link there fails (ENOTDIR or ELOOP). */
            fd = openat(dfd, name,
                        O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd < 0) {
                int rc = nofollow_error(dfd, name, errno);

                close(dfd);
                return rc;
            }
            close(dfd);
            dfd = fd;
            continue;
        }
        fd = openat(dfd, name,
                    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
                    (e != NULL ? O_DIRECTORY : 0));     /* "dir/" */
        if (fd < 0)
            fd = nofollow_error(dfd, name, errno);
        close(dfd);
        return fd;
    }
}
