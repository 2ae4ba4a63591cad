/*
 * plugins.c - the plugin registry: scan a folder, dlopen each "*.so",
 * check its descriptor against the ABI, keep the good ones sorted by name,
 * and pick the best plugin for a file.
 *
 * A refused plugin costs exactly one ERR line naming its file and what to
 * do; everything else in the folder still loads.  Loading is the only
 * writer; once plugins_load_dir has returned, the registry is read-only
 * and plugins_pick may run in several threads at once.
 */
#include "config.h"

#include <assert.h>
#include <dlfcn.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "plugins.h"
#include "util.h"

/* Longest plugin name and version string we accept. */
#define PLUGIN_NAME_MAX     64
#define PLUGIN_VERSION_MAX  64

/*
 * One loaded plugin.  pub.desc points at copy, not at the plugin's own
 * descriptor: copy holds the first desc->size bytes the plugin declared
 * and zeros after them, so a member the plugin was built without reads as
 * NULL everywhere in the daemon.  The strings and functions copy points to
 * live in the loaded object, valid until dlclose.
 */
struct loaded {
    struct plugin_entry pub;
    struct sd_plugin copy;
};

struct plugins {
    struct loaded **by_load;    /* owned, each owned; in load order */
    struct loaded **by_name;    /* borrowed from by_load; sorted by name */
    size_t n;
    size_t cap;
};

struct plugins *
plugins_new(void)
{
    return xcalloc(1, sizeof(struct plugins));
}

static void
loaded_free(struct loaded *l)
{
    if (l == NULL)
        return;
    if (l->pub.handle != NULL)
        dlclose(l->pub.handle);
    free(l->pub.file);
    free(l);
}

void
plugins_free(struct plugins *p)
{
    if (p == NULL)
        return;
    /* Reverse order of loading, as everything else is torn down. */
    for (size_t i = p->n; i-- > 0;) {
        struct loaded *l = p->by_load[i];
        if (l->copy.fini != NULL)
            l->copy.fini();
        loaded_free(l);
    }
    free(p->by_load);
    free(p->by_name);
    free(p);
}

/*
 * The accessor for optional members: copy what the plugin declared and
 * zero-fill the rest (see struct loaded).  Reads only the d->size bytes
 * the plugin's object has; members appended to struct sd_plugin later
 * need no code here, they read as NULL for plugins built before them.
 */
static void
desc_copy(struct sd_plugin *dst, const struct sd_plugin *d)
{
    size_t n = d->size < sizeof *dst ? d->size : sizeof *dst;

    memset(dst, 0, sizeof *dst);
    memcpy(dst, d, n);
}

static bool
is_valid_name(const char *s)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        char c = s[n];
        if (n >= PLUGIN_NAME_MAX)
            return false;
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return false;
    }
    return n > 0;
}

/* The version goes into every document and onto the wire: keep it short
 * printable ASCII so it is valid UTF-8 and safe in a log line. */
static bool
is_valid_version(const char *s)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        if (n >= PLUGIN_VERSION_MAX || c < 0x20 || c > 0x7e)
            return false;
    }
    return n > 0;
}

static const struct loaded *
find_loaded(const struct plugins *p, const char *name)
{
    size_t lo = 0, hi = p->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(name, p->by_name[mid]->copy.name);
        if (c == 0)
            return p->by_name[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static void
registry_add(struct plugins *p, struct loaded *l)
{
    size_t at;

    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 8;
        p->by_load = xrealloc(p->by_load, p->cap * sizeof *p->by_load);
        p->by_name = xrealloc(p->by_name, p->cap * sizeof *p->by_name);
    }
    p->by_load[p->n] = l;
    /* Insertion keeps by_name sorted; names are unique (checked). */
    at = p->n;
    while (at > 0 && strcmp(p->by_name[at - 1]->copy.name, l->copy.name) > 0) {
        p->by_name[at] = p->by_name[at - 1];
        at--;
    }
    p->by_name[at] = l;
    p->n++;
}

#define REBUILD_HINT \
    "rebuild it against this searchd's <searchd/plugin.h>"

/*
 * Check a descriptor against the ABI and the registry; on failure write
 * why (the rest of the log line after the file name) and return false.
 */
static bool
check_desc(const struct plugins *p, const char *path,
           const struct sd_plugin *d, char *why, size_t whylen)
{
    const struct loaded *other;

    if (d->abi != SD_PLUGIN_ABI) {
        snprintf(why, whylen, "ABI %u, want %u; skipped (" REBUILD_HINT ")",
                 (unsigned)d->abi, (unsigned)SD_PLUGIN_ABI);
        return false;
    }
    if (d->size < SD_PLUGIN_MIN_SIZE) {
        snprintf(why, whylen,
                 "descriptor is %u bytes, want at least %zu; skipped ("
                 REBUILD_HINT ")",
                 (unsigned)d->size, (size_t)SD_PLUGIN_MIN_SIZE);
        return false;
    }
    if (d->name == NULL || d->version == NULL || d->probe == NULL ||
        d->extract == NULL) {
        snprintf(why, whylen,
                 "descriptor has no %s; skipped (a plugin must set name, "
                 "version, probe and extract)",
                 d->name == NULL ? "name" : d->version == NULL ? "version"
                 : d->probe == NULL ? "probe" : "extract");
        return false;
    }
    if (!is_valid_name(d->name)) {
        /* Not printed: it may be anything, including not text. */
        snprintf(why, whylen,
                 "bad plugin name; skipped (a name is 1 to %d of "
                 "[a-z0-9_-])", PLUGIN_NAME_MAX);
        return false;
    }
    if (!is_valid_version(d->version)) {
        snprintf(why, whylen,
                 "plugin %s has a bad version string; skipped (a version "
                 "is 1 to %d printable ASCII characters)",
                 d->name, PLUGIN_VERSION_MAX);
        return false;
    }
    other = find_loaded(p, d->name);
    if (other != NULL && strcmp(other->pub.file, path) == 0) {
        snprintf(why, whylen, "plugin %s already loaded from this file; "
                 "skipped", d->name);
        return false;
    }
    if (other != NULL) {
        snprintf(why, whylen,
                 "plugin name \"%s\" already taken by %s; skipped (remove "
                 "one of the two files)",
                 d->name, other->pub.file);
        return false;
    }
    return true;
}

/*
 * Load one file (path; name is its last component, for log lines).
 * Returns true when the plugin was added.  Every refusal logs one line.
 */
static bool
load_one(struct plugins *p, const char *path, const char *name)
{
    char why[512];
    void *handle;
    const struct sd_plugin *(*entry)(void);
    const struct sd_plugin *d;
    struct loaded *l;
    int rc;

    dlerror();
    handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) {
        const char *e = dlerror();
        log_err("plugins: %s: cannot load: %s; skipped", name,
                e ? e : "unknown dlopen error");
        return false;
    }
    /* POSIX: a void * from dlsym converts to a function pointer this way
     * without a pedantic warning. */
    *(void **)&entry = dlsym(handle, SD_PLUGIN_ENTRY_SYMBOL);
    if (entry == NULL) {
        log_err("plugins: %s: no " SD_PLUGIN_ENTRY_SYMBOL "() exported; "
                "skipped (not a searchd plugin; define it with "
                "SD_PLUGIN_DEFINE)", name);
        goto fail;
    }
    d = entry();
    if (d == NULL) {
        log_err("plugins: %s: " SD_PLUGIN_ENTRY_SYMBOL "() returned NULL; "
                "skipped", name);
        goto fail;
    }
    if (!check_desc(p, path, d, why, sizeof why)) {
        log_err("plugins: %s: %s", name, why);
        goto fail;
    }

    l = xcalloc(1, sizeof *l);
    desc_copy(&l->copy, d);
    l->pub.desc = &l->copy;
    l->pub.file = xstrdup(path);
    l->pub.handle = handle;
    l->pub.extract = l->copy.extract;

    if (l->copy.init != NULL && (rc = l->copy.init()) != 0) {
        log_err("plugins: %s: plugin %s: init() returned %d; skipped", name,
                l->copy.name, rc);
        loaded_free(l);
        return false;
    }
    registry_add(p, l);
    log_info("plugins: %s: version %s loaded from %s", l->copy.name,
             l->copy.version, path);
    return true;

fail:
    dlclose(handle);
    return false;
}

/*
 * Whether group gid is uid's own private group: its primary group, with
 * no other member.  Such a group being able to write is the owner being
 * able to (Debian's user-private-group umask 002; sshd's rule too).
 */
static bool
is_private_group(uid_t uid, gid_t gid)
{
    struct passwd pw, *pwr = NULL;
    struct group gr, *grr = NULL;
    char pbuf[4096], gbuf[16384];

    if (getpwuid_r(uid, &pw, pbuf, sizeof pbuf, &pwr) != 0 || pwr == NULL ||
        pw.pw_gid != gid ||
        getgrgid_r(gid, &gr, gbuf, sizeof gbuf, &grr) != 0 || grr == NULL)
        return false;
    for (char **m = gr.gr_mem; *m != NULL; m++)
        if (strcmp(*m, pw.pw_name) != 0)
            return false;
    return true;
}

/*
 * Like sshd's StrictModes: a plugin runs as searchd, so only root and
 * searchd's own user may be able to change it or its folder.  st is the
 * file's or the folder's; false with why filled when it is not safe.
 */
static bool
is_trusted(const struct stat *st, char *why, size_t whylen)
{
    uid_t self = geteuid();

    if (st->st_uid != 0 && st->st_uid != self) {
        snprintf(why, whylen, "owned by uid %ld, neither root nor searchd's "
                 "user (uid %ld)", (long)st->st_uid, (long)self);
        return false;
    }
    if (st->st_mode & S_IWOTH) {
        snprintf(why, whylen, "writable by others (mode %04o)",
                 (unsigned)(st->st_mode & 07777));
        return false;
    }
    if ((st->st_mode & S_IWGRP) && !is_private_group(st->st_uid, st->st_gid)) {
        snprintf(why, whylen, "writable by group %ld (mode %04o)",
                 (long)st->st_gid, (unsigned)(st->st_mode & 07777));
        return false;
    }
    return true;
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
has_so_suffix(const char *name)
{
    size_t n = strlen(name);

    return n > 3 && strcmp(name + n - 3, ".so") == 0;
}

int
plugins_load_dir(struct plugins *p, const char *dir)
{
    DIR *dp;
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    int dfd;

    assert(p != NULL && dir != NULL);
    dp = opendir(dir);
    if (dp == NULL)
        return -errno;
    dfd = dirfd(dp);
    {
        struct stat st;
        char why[256];

        if (fstat(dfd, &st) != 0) {
            int err = -errno;
            closedir(dp);
            return err;
        }
        /* Whoever may write the folder may put any code in it. */
        if (!is_trusted(&st, why, sizeof why)) {
            log_err("plugins: folder %s: %s; no plugin loaded from it (it "
                    "must be writable only by root or searchd's user: "
                    "chmod go-w, chown)", dir, why);
            closedir(dp);
            return 0;
        }
    }

    /* Collect first, then sort: readdir order is whatever the file system
     * likes, and load order decides which of two equal names wins. */
    errno = 0;
    while ((de = readdir(dp)) != NULL) {
        struct stat st;

        /* Hidden files are editor and package-manager leftovers. */
        if (de->d_name[0] == '.' || !has_so_suffix(de->d_name))
            continue;
        /* No symlinks: whoever can point one at an arbitrary object
         * should not get it loaded just by naming it "*.so". */
        if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
            continue;
        if (!S_ISREG(st.st_mode)) {
            if (S_ISLNK(st.st_mode))
                log_warn("plugins: %s: a symbolic link; skipped (copy the "
                         "file instead)", de->d_name);
            continue;
        }
        {
            char why[256];

            if (!is_trusted(&st, why, sizeof why)) {
                log_err("plugins: %s: %s; skipped (a plugin must be "
                        "writable only by root or searchd's user: chmod "
                        "go-w, chown)", de->d_name, why);
                errno = 0;
                continue;
            }
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            names = xrealloc(names, cap * sizeof *names);
        }
        names[n++] = xstrdup(de->d_name);
        errno = 0;
    }
    if (errno != 0) {
        int err = -errno;
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        closedir(dp);
        return err;
    }
    closedir(dp);

    if (n > 0)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        /* dlopen needs a slash to take the name as a path. */
        char *path = xasprintf("%s/%s", dir, names[i]);
        load_one(p, path, names[i]);
        free(path);
        free(names[i]);
    }
    free(names);
    return (int)p->n;
}

int
plugins_load_file(struct plugins *p, const char *path)
{
    const char *slash;

    struct stat st;
    char why[256];

    assert(p != NULL && path != NULL);
    slash = strrchr(path, '/');
    if (slash == NULL)
        return -EINVAL;     /* dlopen would search the library path */
    /* The checks plugins_load_dir makes of each file. */
    if (lstat(path, &st) != 0) {
        log_err("plugins: %s: %s; skipped", path, strerror(errno));
        return -EINVAL;
    }
    if (!S_ISREG(st.st_mode)) {
        log_err("plugins: %s: not a regular file; skipped", path);
        return -EINVAL;
    }
    if (!is_trusted(&st, why, sizeof why)) {
        log_err("plugins: %s: %s; skipped (a plugin must be writable only "
                "by root or searchd's user: chmod go-w, chown)", path, why);
        return -EINVAL;
    }
    return load_one(p, path, slash + 1) ? 0 : -EINVAL;
}

size_t
plugins_count(const struct plugins *p)
{
    return p->n;
}

const struct plugin_entry *
plugins_get(const struct plugins *p, size_t i)
{
    assert(i < p->n);
    return &p->by_name[i]->pub;
}

const struct plugin_entry *
plugins_find(const struct plugins *p, const char *name)
{
    const struct loaded *l = find_loaded(p, name);

    return l ? &l->pub : NULL;
}

const struct plugin_entry *
plugins_pick(const struct plugins *p, const char *path,
             const unsigned char *head, size_t len, int *score_out)
{
    static const unsigned char empty[1];
    const struct plugin_entry *best = NULL;
    int best_score = 0;

    assert(p != NULL && path != NULL && (head != NULL || len == 0));
    if (head == NULL)
        head = empty;   /* plugins may read head[0] without checking */
    if (len > PLUGINS_PROBE_BYTES)
        len = PLUGINS_PROBE_BYTES;
    /* Every plugin is probed, in name order; a strictly higher score is
     * needed to take over, so ties go to the name that sorts first.
     * mime_types and extensions are hints for humans and future
     * pre-filters only: the choice is made from the content. */
    for (size_t i = 0; i < p->n; i++) {
        const struct loaded *l = p->by_name[i];
        int s = l->copy.probe(path, head, len);

        if (s < 0)
            s = 0;
        else if (s > 100)
            s = 100;
        if (s > best_score) {
            best_score = s;
            best = &l->pub;
        }
    }
    if (score_out != NULL)
        *score_out = best_score;
    return best;
}
