/*
 * filestate.c - per-file records kept in the index metadata.
 *
 * Encoding (version 1), fields separated by tabs, the path last so it may
 * hold any byte:
 *
 *   1 TAB mtime_ns TAB size TAB hash(16 hex) TAB ndocs TAB status(0|1)
 *     TAB plugin_set(16 hex) TAB plugin TAB plugin_version TAB reason
 *     TAB path
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xxhash.h>

#include "filestate.h"
#include "plugins.h"
#include "util.h"

static uint64_t
plugin_hash(const struct plugins *reg, bool with_versions)
{
    XXH3_state_t *st = XXH3_createState();
    uint64_t h;

    if (st == NULL)
        abort();
    XXH3_64bits_reset(st);
    /* plugins_get is in name order, so the hash is too. */
    for (size_t i = 0; i < plugins_count(reg); i++) {
        const struct sd_plugin *d = plugins_get(reg, i)->desc;

        XXH3_64bits_update(st, d->name, strlen(d->name) + 1);
        if (with_versions)
            XXH3_64bits_update(st, d->version, strlen(d->version) + 1);
    }
    h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return h;
}

uint64_t
filestate_plugin_set(const struct plugins *reg)
{
    return plugin_hash(reg, false);
}

uint64_t
filestate_plugin_versions(const struct plugins *reg)
{
    return plugin_hash(reg, true);
}

size_t
filestate_key(const char *path, size_t len, char *buf)
{
    if (len + 1 < FILESTATE_KEY_MAX) {
        buf[0] = FILESTATE_KEY_PATH;
        memcpy(buf + 1, path, len);
        buf[len + 1] = '\0';
        return len + 1;
    }
    return (size_t)snprintf(buf, FILESTATE_KEY_MAX, "%c%016" PRIx64,
                            FILESTATE_KEY_HASH,
                            (uint64_t)XXH3_64bits(path, len));
}

/* Copy s to out with tabs and newlines turned into spaces, then a tab;
 * returns the end. */
static char *
put_field(char *out, const char *s)
{
    for (; s != NULL && *s != '\0'; s++)
        *out++ = *s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s;
    *out++ = '\t';
    return out;
}

char *
filestate_encode(const struct filestate *fs, size_t *len_out)
{
    char head[160];
    int hn = snprintf(head, sizeof head,
                      "2\t%" PRId64 "\t%" PRIu64 "\t%016" PRIx64
                      "\t%" PRIu64 "\t%d\t%016" PRIx64 "\t%u\t",
                      fs->mtime_ns, fs->size, fs->hash, fs->ndocs,
                      (int)fs->status, fs->plugin_set, fs->layout);
    size_t cap = (size_t)hn + fs->path_len + 4 +
                 (fs->plugin ? strlen(fs->plugin) : 0) +
                 (fs->plugin_version ? strlen(fs->plugin_version) : 0) +
                 (fs->reason ? strlen(fs->reason) : 0);
    char *buf = xmalloc(cap), *p = buf;

    memcpy(p, head, (size_t)hn);
    p += hn;
    p = put_field(p, fs->plugin);
    p = put_field(p, fs->plugin_version);
    p = put_field(p, fs->reason);
    memcpy(p, fs->path, fs->path_len);
    p += fs->path_len;
    *p = '\0';
    *len_out = (size_t)(p - buf);
    return buf;
}

/* The next tab-ended field of [*p, end): sets *f and *n, moves *p past
 * the tab.  False when there is no tab. */
static bool
next_field(const char **p, const char *end, const char **f, size_t *n)
{
    const char *tab = memchr(*p, '\t', (size_t)(end - *p));

    if (tab == NULL)
        return false;
    *f = *p;
    *n = (size_t)(tab - *p);
    *p = tab + 1;
    return true;
}

/* Parse all n bytes of f as a number in base; false unless all are
 * digits and it fits. */
static bool
parse_u64(const char *f, size_t n, int base, uint64_t *out)
{
    char tmp[32];
    char *endp;

    if (n == 0 || n >= sizeof tmp || f[0] == '-' || f[0] == '+' ||
        f[0] == ' ')
        return false;
    memcpy(tmp, f, n);
    tmp[n] = '\0';
    errno = 0;
    *out = strtoull(tmp, &endp, base);
    return errno == 0 && *endp == '\0';
}

int
filestate_decode(const char *val, size_t len, struct filestate *out)
{
    const char *p = val, *end = val + len, *f[11];
    size_t n[11];
    uint64_t mtime, status, layout = 1;
    bool neg;
    int nf, i;

    /* Format 1 (before the layout was kept): ten fields; format 2 has the
     * layout after plugin_set. */
    memset(out, 0, sizeof *out);
    if (!next_field(&p, end, &f[0], &n[0]) || n[0] != 1 ||
        (f[0][0] != '1' && f[0][0] != '2'))
        return -EINVAL;
    nf = f[0][0] == '1' ? 10 : 11;
    for (i = 1; i < nf; i++)
        if (!next_field(&p, end, &f[i], &n[i]))
            return -EINVAL;
    if (p == end)
        return -EINVAL;
    if (nf == 11) {
        if (!parse_u64(f[7], n[7], 10, &layout) || layout > UINT32_MAX)
            return -EINVAL;
        /* Line the text fields up with format 1's. */
        for (i = 7; i < 10; i++) {
            f[i] = f[i + 1];
            n[i] = n[i + 1];
        }
    }
    neg = n[1] > 0 && f[1][0] == '-';
    if (!parse_u64(f[1] + neg, n[1] - neg, 10, &mtime) ||
        mtime > (uint64_t)INT64_MAX ||
        !parse_u64(f[2], n[2], 10, &out->size) ||
        n[3] != 16 || !parse_u64(f[3], n[3], 16, &out->hash) ||
        !parse_u64(f[4], n[4], 10, &out->ndocs) ||
        !parse_u64(f[5], n[5], 10, &status) || status > FILESTATE_FAILED ||
        n[6] != 16 || !parse_u64(f[6], n[6], 16, &out->plugin_set)) {
        memset(out, 0, sizeof *out);
        return -EINVAL;
    }
    out->mtime_ns = neg ? -(int64_t)mtime : (int64_t)mtime;
    out->layout = (unsigned)layout;
    out->status = (enum filestate_status)status;
    out->plugin = xstrndup(f[7], n[7]);
    out->plugin_version = xstrndup(f[8], n[8]);
    out->reason = xstrndup(f[9], n[9]);
    out->path_len = (size_t)(end - p);
    out->path = xstrndup(p, out->path_len);
    return 0;
}

void
filestate_clear(struct filestate *fs)
{
    if (fs == NULL)
        return;
    free(fs->path);
    free(fs->plugin);
    free(fs->plugin_version);
    free(fs->reason);
    memset(fs, 0, sizeof *fs);
}

void
filestate_set(struct filestate *fs, const char *path, size_t path_len,
              int64_t mtime_ns, uint64_t size, uint64_t hash,
              uint64_t ndocs, enum filestate_status status,
              const char *plugin, const char *plugin_version,
              const char *reason)
{
    filestate_clear(fs);
    fs->path = xstrndup(path, path_len);
    fs->path_len = path_len;
    fs->mtime_ns = mtime_ns;
    fs->size = size;
    fs->hash = hash;
    fs->ndocs = ndocs;
    fs->status = status;
    fs->plugin = xstrdup(plugin ? plugin : "");
    fs->plugin_version = xstrdup(plugin_version ? plugin_version : "");
    fs->reason = xstrdup(reason ? reason : "");
}

int
filestate_hash_fd(int fd, uint64_t max_bytes, uint64_t *hash_out)
{
    XXH3_state_t *st = XXH3_createState();
    char buf[65536];
    uint64_t total = 0;
    off_t off = 0;
    int rc = 0;

    if (st == NULL)
        return -ENOMEM;
    XXH3_64bits_reset(st);
    for (;;) {
        ssize_t r = pread(fd, buf, sizeof buf, off);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            rc = -errno;
            break;
        }
        if (r == 0)
            break;
        total += (uint64_t)r;
        off += r;
        if (total > max_bytes) {
            rc = -EFBIG;
            break;
        }
        XXH3_64bits_update(st, buf, (size_t)r);
    }
    if (rc == 0)
        *hash_out = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return rc;
}

uint64_t
filestate_hash_bytes(const void *p, size_t len)
{
    return XXH3_64bits(p, len);
}
