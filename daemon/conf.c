/*
 * conf.c - settings, their one parser, and searchd.conf (conf.h).
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "indexer.h"
#include "log.h"
#include "qpool.h"
#include "server.h"
#include "util.h"
#include "worker.h"

/* Longest line of the file. */
#define CONFIG_MAX_LINE 4096

void
settings_init(struct settings *s)
{
    memset(s, 0, sizeof *s);
    s->socket_mode = 0600;
    s->plugin_dir = xstrdup(PLUGINDIR);
    s->query_threads = QPOOL_DEFAULT_THREADS;
    s->deadline_ms = WPOOL_DEFAULT_DEADLINE_MS;
    s->worker_mem_mb = WPOOL_DEFAULT_MEM_MB;
    s->commit_docs = INDEXER_BATCH_DOCS;
    s->commit_ms = INDEXER_BATCH_SECONDS * 1000;
    s->log_level = LOG_LEVEL_INFO;
    s->max_conns = SERVER_MAX_CONNS;
    s->max_conns_user = SERVER_MAX_CONNS_USER;
    s->max_pending_out = SERVER_MAX_PENDING_OUT;
    s->max_line = SD_PROTO_MAX_LINE;
    s->idle_ms = SERVER_IDLE_TIMEOUT_MS;
    s->read_ms = SERVER_READ_TIMEOUT_MS;
    s->write_ms = SERVER_WRITE_TIMEOUT_MS;
}

void
settings_clear(struct settings *s)
{
    free(s->index_dir);
    free(s->socket_path);
    free(s->plugin_dir);
    for (size_t i = 0; i < s->n_watch; i++) {
        free(s->watch[i].dir);
        free(s->watch[i].outlet);
        free(s->watch[i].lang);
    }
    free(s->watch);
    for (size_t i = 0; i < s->n_add_roots; i++)
        free(s->add_roots[i]);
    free(s->add_roots);
    memset(s, 0, sizeof *s);
}

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

/* value as an absolute path: "~/..." is in $HOME, other relative ones are
 * taken from base (or the working folder).  NULL with err filled when it
 * cannot be. */
static char *
absolute(const char *value, const char *base, char *err, size_t errlen)
{
    char cwd[PATH_MAX];

    if (value[0] == '\0') {
        fail(err, errlen, "want a path, not an empty value");
        return NULL;
    }
    if (value[0] == '/')
        return xstrdup(value);
    if (value[0] == '~' && (value[1] == '/' || value[1] == '\0')) {
        const char *home = getenv("HOME");

        if (home == NULL || home[0] != '/') {
            fail(err, errlen, "'%s': HOME is not set to a folder", value);
            return NULL;
        }
        return xasprintf("%s%s", home, value + 1);
    }
    if (base == NULL) {
        if (getcwd(cwd, sizeof cwd) == NULL) {
            fail(err, errlen, "cannot tell the working folder: %s",
                 strerror(errno));
            return NULL;
        }
        base = cwd;
    }
    return xasprintf("%s/%s", base, value);
}

static int
set_path(char **slot, const char *value, const char *base, char *err,
         size_t errlen)
{
    char *p = absolute(value, base, err, errlen);

    if (p == NULL)
        return -EINVAL;
    free(*slot);
    *slot = p;
    return 0;
}

static int
set_uint(unsigned *slot, const char *value, long min, long max,
         const char *what, char *err, size_t errlen)
{
    long n;

    if (parse_long(value, min, max, &n) < 0)
        return fail(err, errlen, "'%s': want %s from %ld to %ld", value,
                    what, min, max);
    *slot = (unsigned)n;
    return 0;
}

/* Seconds with fractions, min..max, into milliseconds. */
static int
set_seconds(unsigned *ms, const char *value, double min, double max,
            char *err, size_t errlen)
{
    char *end;
    double d;

    errno = 0;
    d = strtod(value, &end);
    if (errno || end == value || *end || !(d >= min && d <= max))
        return fail(err, errlen, "'%s': want seconds from %g to %g", value,
                    min, max);
    *ms = (unsigned)(d * 1000 + 0.5);
    return 0;
}

/* A byte count with an optional K, M or G (powers of 1024), min..max. */
static int
set_size(size_t *slot, const char *value, unsigned long long min,
         unsigned long long max, char *err, size_t errlen)
{
    unsigned long long n, mult = 1;
    char *end;

    errno = 0;
    n = strtoull(value, &end, 10);
    if (end != value && *end != '\0' && end[1] == '\0') {
        switch (*end) {
        case 'k': case 'K': mult = 1ull << 10; end++; break;
        case 'm': case 'M': mult = 1ull << 20; end++; break;
        case 'g': case 'G': mult = 1ull << 30; end++; break;
        }
    }
    if (errno || end == value || *end || value[0] == '-' ||
        n > max / mult || n * mult < min || n * mult > max)
        return fail(err, errlen, "'%s': want bytes from %llu to %llu (K, M "
                    "and G may follow the number)", value, min, max);
    *slot = (size_t)(n * mult);
    return 0;
}

static char *canonical_folder(const char *value, const char *base,
                              char *err, size_t errlen);

static int
add_watch(struct settings *s, const char *value, const char *base,
          char *err, size_t errlen)
{
    char *abs = canonical_folder(value, base, err, errlen);

    if (abs == NULL)
        return -EINVAL;
    s->watch = xrealloc(s->watch, (s->n_watch + 1) * sizeof *s->watch);
    s->watch[s->n_watch++] = (struct watch_conf){ .dir = abs };
    return 0;
}

/* An existing folder, canonical (realpath: no symlink, no ".."), owned;
 * NULL with err filled. */
static char *
canonical_folder(const char *value, const char *base, char *err,
                 size_t errlen)
{
    char *path = absolute(value, base, err, errlen);
    char *abs;
    struct stat st;

    if (path == NULL)
        return NULL;
    abs = realpath(path, NULL);
    if (abs == NULL || stat(abs, &st) < 0 || !S_ISDIR(st.st_mode)) {
        fail(err, errlen, "%s: %s", path,
             abs ? "not a folder" : strerror(errno));
        free(path);
        free(abs);
        return NULL;
    }
    free(path);
    return abs;
}

static int
add_add_root(struct settings *s, const char *value, const char *base,
             char *err, size_t errlen)
{
    char *abs = canonical_folder(value, base, err, errlen);

    if (abs == NULL)
        return -EINVAL;
    s->add_roots = xrealloc(s->add_roots,
                            (s->n_add_roots + 1) * sizeof *s->add_roots);
    s->add_roots[s->n_add_roots++] = abs;
    return 0;
}

/* A group by name or number.  The name is looked up now (NSS), so an
 * unknown group is an error at start or reload, never later. */
static int
set_group(bool *has, gid_t *gid, const char *value, char *err,
          size_t errlen)
{
    struct group gr, *res = NULL;
    char buf[16384];
    long n;
    int rc;

    if (value[0] == '\0')
        return fail(err, errlen, "want a group name or number");
    if (parse_long(value, 0, INT32_MAX, &n) == 0) {
        *has = true;
        *gid = (gid_t)n;
        return 0;
    }
    rc = getgrnam_r(value, &gr, buf, sizeof buf, &res);
    if (res == NULL)
        return fail(err, errlen, "'%s': %s", value,
                    rc ? strerror(rc) : "no such group");
    *has = true;
    *gid = gr.gr_gid;
    return 0;
}

static int
set_folder_default(struct settings *s, char **field_of_last,
                   const char *value, char *err, size_t errlen)
{
    (void)s;
    if (value[0] == '\0' || !utf8_valid(value, strlen(value)))
        return fail(err, errlen, "want a non-empty UTF-8 name");
    free(*field_of_last);
    *field_of_last = xstrdup(value);
    return 0;
}

static const char *const KEYS[] = {
    "index", "socket", "socket-mode", "socket-group", "admin-group",
    "add-root", "plugin-dir", "watch", "outlet",
    "lang", "workers", "query-threads", "shards", "deadline", "worker-mem",
    "settle", "commit-docs", "commit-interval", "log-level",
    "max-connections", "max-connections-per-user", "max-pending-out", "max-line", "idle-timeout",
    "read-timeout", "write-timeout",
};

bool
settings_is_key(const char *key)
{
    for (size_t i = 0; i < sizeof KEYS / sizeof KEYS[0]; i++)
        if (strcmp(key, KEYS[i]) == 0)
            return true;
    return false;
}

int
settings_set(struct settings *s, const char *key, const char *value,
             const char *base, char *err, size_t errlen)
{
    long n;
    char *end;

    err[0] = '\0';
    if (strcmp(key, "index") == 0)
        return set_path(&s->index_dir, value, base, err, errlen);
    if (strcmp(key, "socket") == 0)
        return set_path(&s->socket_path, value, base, err, errlen);
    if (strcmp(key, "plugin-dir") == 0)
        return set_path(&s->plugin_dir, value, base, err, errlen);
    if (strcmp(key, "socket-mode") == 0) {
        errno = 0;
        n = strtol(value, &end, 8);
        if (errno || *end || end == value || n < 0 || n > 0777)
            return fail(err, errlen, "'%s': want octal permission bits "
                        "such as 0600 or 0660", value);
        s->socket_mode = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "socket-group") == 0)
        return set_group(&s->has_socket_group, &s->socket_gid, value, err,
                         errlen);
    if (strcmp(key, "admin-group") == 0)
        return set_group(&s->has_admin_group, &s->admin_gid, value, err,
                         errlen);
    if (strcmp(key, "add-root") == 0)
        return add_add_root(s, value, base, err, errlen);
    if (strcmp(key, "watch") == 0)
        return add_watch(s, value, base, err, errlen);
    if (strcmp(key, "outlet") == 0 || strcmp(key, "lang") == 0) {
        struct watch_conf *w;

        if (s->n_watch == 0)
            return fail(err, errlen, "applies to a watched folder: give it "
                        "after --watch DIR, or in a [watch DIR] section");
        w = &s->watch[s->n_watch - 1];
        return set_folder_default(s, key[0] == 'o' ? &w->outlet : &w->lang,
                                  value, err, errlen);
    }
    if (strcmp(key, "workers") == 0)
        return set_uint(&s->workers, value, 1, 64, "a number", err, errlen);
    if (strcmp(key, "query-threads") == 0)
        return set_uint(&s->query_threads, value, 1, 64, "a number", err,
                        errlen);
    if (strcmp(key, "shards") == 0)
        return set_uint(&s->shards, value, 1, INDEXER_MAX_SHARDS,
                        "a number", err, errlen);
    if (strcmp(key, "deadline") == 0)
        return set_seconds(&s->deadline_ms, value, 0.01, 3600, err, errlen);
    if (strcmp(key, "worker-mem") == 0) {
        if (parse_long(value, 0, 1 << 20, &n) < 0 || (n > 0 && n < 64))
            return fail(err, errlen, "'%s': want megabytes, at least 64 "
                        "(0: no limit)", value);
        s->worker_mem_mb = (unsigned)n;
        return 0;
    }
    if (strcmp(key, "settle") == 0)
        return set_uint(&s->settle_ms, value, 1, 600000, "milliseconds",
                        err, errlen);
    if (strcmp(key, "commit-docs") == 0)
        return set_uint(&s->commit_docs, value, 1, 1000000, "documents",
                        err, errlen);
    if (strcmp(key, "commit-interval") == 0)
        return set_seconds(&s->commit_ms, value, 0.05, 3600, err, errlen);
    if (strcmp(key, "max-connections") == 0)
        return set_uint(&s->max_conns, value, 1, 1000000, "a number", err,
                        errlen);
    if (strcmp(key, "max-connections-per-user") == 0)
        return set_uint(&s->max_conns_user, value, 0, 1000000,
                        "a number (0: no cap)", err, errlen);
    if (strcmp(key, "max-pending-out") == 0)
        return set_size(&s->max_pending_out, value, 64u << 10, 1u << 30,
                        err, errlen);
    if (strcmp(key, "max-line") == 0)
        return set_size(&s->max_line, value, 1024, SD_PROTO_MAX_LINE, err,
                        errlen);
    if (strcmp(key, "idle-timeout") == 0)
        return set_seconds(&s->idle_ms, value, 0, 86400, err, errlen);
    if (strcmp(key, "read-timeout") == 0)
        return set_seconds(&s->read_ms, value, 0, 86400, err, errlen);
    if (strcmp(key, "write-timeout") == 0)
        return set_seconds(&s->write_ms, value, 0, 86400, err, errlen);
    if (strcmp(key, "log-level") == 0) {
        if (log_parse_level(value, &s->log_level) < 0)
            return fail(err, errlen, "'%s': want err, warn, info or debug",
                        value);
        return 0;
    }
    return -ENOENT;
}

/* ---- the file ---------------------------------------------------------- */

static char *
trim(char *s)
{
    char *e;

    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
        e--;
    *e = '\0';
    return s;
}

/* Unquote a "value" in place (\" and \\); anything after the closing quote
 * is an error.  A value without quotes is left as it is.  NULL with err
 * filled on a bad quote. */
static char *
unquote(char *v, char *err, size_t errlen)
{
    char *in, *out;

    if (v[0] != '"')
        return v;
    for (in = v + 1, out = v; *in != '"'; in++) {
        if (*in == '\0') {
            fail(err, errlen, "the quoted value has no closing quote");
            return NULL;
        }
        if (*in == '\\') {
            in++;
            if (*in != '"' && *in != '\\') {
                fail(err, errlen, "only \\\" and \\\\ may follow a "
                     "backslash in a quoted value");
                return NULL;
            }
        }
        *out++ = *in;
    }
    if (in[1] != '\0') {
        fail(err, errlen, "text after the closing quote");
        return NULL;
    }
    *out = '\0';
    return v;
}

/* The folder part of path, for relative paths in it (owned). */
static char *
folder_of(const char *path)
{
    char *abs = realpath(path, NULL);
    char *slash;

    if (abs == NULL)
        abs = xstrdup(path);
    slash = strrchr(abs, '/');
    if (slash == abs)
        slash[1] = '\0';
    else if (slash != NULL)
        *slash = '\0';
    else {
        free(abs);
        abs = xstrdup(".");
    }
    return abs;
}

/* One line (NUL-terminated, no newline) in the given section state. */
static int
config_line(struct settings *s, char *line, bool *in_watch,
            const char *base, char *err, size_t errlen)
{
    char *p = trim(line), *eq, *key, *value;
    char msg[512];
    int rc;

    if (*p == '\0' || *p == '#' || *p == ';')
        return 0;
    if (*p == '[') {
        size_t len = strlen(p);

        if (p[len - 1] != ']')
            return fail(err, errlen, "a section header must end with ']'");
        p[len - 1] = '\0';
        p = trim(p + 1);
        if (strncmp(p, "watch", 5) != 0 || (p[5] != ' ' && p[5] != '\t'))
            return fail(err, errlen, "unknown section [%s]: the only "
                        "section is [watch DIR]", p);
        value = unquote(trim(p + 5), err, errlen);
        if (value == NULL)
            return -EINVAL;
        *in_watch = true;
        return settings_set(s, "watch", value, base, err, errlen);
    }
    eq = strchr(p, '=');
    if (eq == NULL)
        return fail(err, errlen, "want 'key = value', a [watch DIR] "
                    "section or a # comment");
    *eq = '\0';
    key = trim(p);
    value = unquote(trim(eq + 1), err, errlen);
    if (value == NULL)
        return -EINVAL;
    if (key[0] == '\0')
        return fail(err, errlen, "no key before '='");
    if (strcmp(key, "watch") == 0)
        return fail(err, errlen, "a folder to watch is a [watch DIR] "
                    "section of its own");
    if (*in_watch && strcmp(key, "outlet") != 0 && strcmp(key, "lang") != 0)
        return fail(err, errlen, "'%s' in a [watch] section: only outlet "
                    "and lang belong there (daemon settings go before the "
                    "first section)", key);
    if (!*in_watch && (strcmp(key, "outlet") == 0 ||
                       strcmp(key, "lang") == 0))
        return fail(err, errlen, "'%s' belongs in a [watch DIR] section",
                    key);
    rc = settings_set(s, key, value, base, msg, sizeof msg);
    if (rc == -ENOENT)
        return fail(err, errlen, "unknown key '%s' (see searchd.conf(5))",
                    key);
    if (rc < 0)
        return fail(err, errlen, "%s: %s", key, msg);
    return 0;
}

/* Read one line of f into line (room for CONFIG_MAX_LINE + 1 bytes), without
 * its '\n' and NUL-terminated: its length, which counts any NUL bytes in
 * it; -1 at the end of the file; -2 when it is longer than
 * CONFIG_MAX_LINE. */
static long
read_line(FILE *f, char *line)
{
    size_t n = 0;
    int c;

    while ((c = getc(f)) != EOF && c != '\n') {
        if (n == CONFIG_MAX_LINE)
            return -2;
        line[n++] = (char)c;
    }
    if (c == EOF && n == 0)
        return -1;
    line[n] = '\0';
    return (long)n;
}

/* The file's lines from f; name (the path) for messages, base for
 * relative paths.  As config_load, after the file is open. */
static int
config_stream(FILE *f, const char *name, const char *base,
              struct settings *s, char *err, size_t errlen)
{
    char line[CONFIG_MAX_LINE + 1], msg[768];
    unsigned lineno = 0;
    bool in_watch = false;
    long len;

    while ((len = read_line(f, line)) != -1) {
        lineno++;
        if (len == -2) {
            snprintf(err, errlen, "%s:%u: line longer than %d bytes", name,
                     lineno, CONFIG_MAX_LINE);
            return -1;
        }
        if (memchr(line, '\0', (size_t)len) != NULL ||
            !utf8_valid(line, (size_t)len)) {
            snprintf(err, errlen, "%s:%u: not UTF-8 text", name, lineno);
            return -1;
        }
        if (config_line(s, line, &in_watch, base, msg, sizeof msg) < 0) {
            snprintf(err, errlen, "%s:%u: %s", name, lineno, msg);
            return -1;
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "%s: %s", name, strerror(errno));
        return -1;
    }
    return 0;
}

int
config_load(const char *path, struct settings *s, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    char *base;
    int rc;

    if (f == NULL) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", path, strerror(e));
        return e == ENOENT ? -ENOENT : -1;
    }
    base = folder_of(path);
    rc = config_stream(f, path, base, s, err, errlen);
    fclose(f);
    free(base);
    return rc;
}

int
config_parse(const char *name, const char *text, size_t len,
             const char *base, struct settings *s, char *err, size_t errlen)
{
    FILE *f;
    int rc;

    if (len == 0)
        return 0;   /* fmemopen refuses an empty buffer */
    f = fmemopen((void *)text, len, "r");
    if (f == NULL) {
        snprintf(err, errlen, "%s: %s", name, strerror(errno));
        return -1;
    }
    rc = config_stream(f, name, base, s, err, errlen);
    fclose(f);
    return rc;
}

char *
config_default_path(void)
{
    const char *env = getenv("SEARCHD_CONFIG");
    const char *xdg = getenv("XDG_CONFIG_HOME");
    const char *home = getenv("HOME");

    if (env != NULL && env[0] != '\0')
        return xstrdup(env);
    if (geteuid() == 0)
        return xstrdup(SYSCONFDIR "/searchd.conf");
    if (xdg != NULL && xdg[0] == '/')
        return xasprintf("%s/searchd/searchd.conf", xdg);
    if (home != NULL && home[0] == '/')
        return xasprintf("%s/.config/searchd/searchd.conf", home);
    return xstrdup(SYSCONFDIR "/searchd.conf");
}
