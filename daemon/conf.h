/*
 * conf.h - searchd's settings: their defaults, the configuration file
 * (searchd.conf(5)) and the command-line options that override it.
 *
 * Every setting has one name, used both as the long option (--workers 4)
 * and as the file's key (workers = 4), and one parser (settings_set), so
 * the two can never accept different things.  The daemon builds its
 * settings as defaults <- file <- command line, at start and again on
 * every reload.
 *
 * The file:
 *
 *     # a comment (only at the start of a line)
 *     index = /var/lib/searchd/index
 *     workers = 2
 *
 *     [watch /srv/news/bbc]
 *     outlet = BBC News
 *     lang = en
 *
 * Keys before the first section are the daemon's (add-root may be given
 * more than once, and adds a folder each time); a [watch DIR] section
 * adds a folder to watch, and its keys are that folder's defaults.
 * Values run to the end of the line (spaces trimmed), or are "quoted"
 * with \" and \\ escapes.  Relative paths are relative to the file's
 * folder.  Any error names the file and line and is fatal.
 */
#ifndef SEARCHD_CONF_H
#define SEARCHD_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* A folder to watch, with the defaults for its documents. */
struct watch_conf {
    char *dir;              /* owned, absolute */
    char *outlet;           /* owned, or NULL */
    char *lang;             /* owned, or NULL */
};

struct settings {
    char *index_dir;        /* owned; NULL: the default (util.h) */
    char *socket_path;      /* owned; NULL: the default */
    unsigned socket_mode;
    /* socket-group: the socket file's group (at start only). */
    bool has_socket_group;
    gid_t socket_gid;
    /* admin-group: its members may change state (add, reload) as the
     * daemon's own user may; resolved when set, again at each reload. */
    bool has_admin_group;
    gid_t admin_gid;
    char *plugin_dir;       /* owned */
    struct watch_conf *watch;   /* owned */
    size_t n_watch;
    /* add-root: folders an add may name besides the watched ones; each
     * owned, absolute and canonical (realpath). */
    char **add_roots;       /* owned */
    size_t n_add_roots;
    unsigned workers;       /* 0: one per CPU */
    unsigned query_threads;
    unsigned shards;        /* 0: one per CPU */
    unsigned deadline_ms;
    unsigned worker_mem_mb; /* 0: no limit */
    unsigned settle_ms;     /* 0: the watcher's default */
    unsigned commit_docs;
    unsigned commit_ms;
    int log_level;
    /* The clients' limits (struct server_limits); timeouts 0: off. */
    unsigned max_conns;
    unsigned max_conns_user;
    size_t max_pending_out; /* bytes */
    size_t max_line;        /* bytes */
    unsigned idle_ms;
    unsigned read_ms;
    unsigned write_ms;
};

/* Fill s with the built-in defaults.  Free with settings_clear. */
void settings_init(struct settings *s);
void settings_clear(struct settings *s);

/*
 * Set the setting named key (a long option's name without "--", e.g.
 * "workers") from value.  Paths are made absolute against base (NULL: the
 * working folder); "watch" needs an existing folder, "outlet" and "lang"
 * apply to the last watched folder.  Returns 0, -ENOENT for an unknown
 * key, or -EINVAL with err saying what is wrong with the value (without
 * the key's name or place: the caller knows them).
 */
int settings_set(struct settings *s, const char *key, const char *value,
                 const char *base, char *err, size_t errlen);

/* Whether key is a setting that takes a value. */
bool settings_is_key(const char *key);

/*
 * Read the configuration file at path into s (on top of what s holds).
 * Returns 0; -ENOENT when the file does not exist (err says so); or -1
 * with err as "PATH:LINE: what is wrong".
 */
int config_load(const char *path, struct settings *s, char *err,
                size_t errlen);

/*
 * config_load on text (len bytes, need not be NUL-terminated) instead of a
 * file: name stands for the path in messages, base (absolute) is the
 * folder relative paths start from.  For tests and fuzzing.
 */
int config_parse(const char *name, const char *text, size_t len,
                 const char *base, struct settings *s, char *err,
                 size_t errlen);

/*
 * The configuration file read when none is named: $SEARCHD_CONFIG; else for root
 * SYSCONFDIR/searchd.conf, for others $XDG_CONFIG_HOME/searchd/searchd.conf
 * (~/.config when unset).  Newly allocated.
 */
char *config_default_path(void);

#endif /* SEARCHD_CONF_H */
