/*
 * main.c - searchd: options, start-up, the event loop, shutdown.
 *
 * Start-up order: options -> plugins -> writable index (indexer) -> query
 * readers -> socket -> detach (unless --foreground) -> threads -> loop.
 * Every start-up failure prints one line saying what to fix and exits
 * non-zero before detaching.  Shutdown frees in reverse order.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "verify.h"
#include "commands.h"
#include "conf.h"
#include "extract.h"
#include "health.h"
#include "indexer.h"
#include "log.h"
#include "plugins.h"
#include "qpool.h"
#include "sdnotify.h"
#include "server.h"
#include "spool.h"
#include "util.h"
#include "watch.h"
#include "worker.h"
#include "xap.h"

/* A setting given on the command line: replayed over the configuration
 * file's at start and on every reload, so the command line wins. */
struct arg {
    const char *key;        /* static: the setting's name (conf.h) */
    const char *value;      /* borrowed from argv */
};

struct options {
    bool is_foreground;
    bool is_extract;
    bool is_worker;         /* hidden: an extraction worker (worker.h) */
    bool is_log_syslog;     /* hidden: workers of a detached daemon */
    bool no_config;         /* --no-config */
    bool is_check_config;   /* --check-config */
    bool is_check;          /* --check: verify the index */
    bool is_rebuild;        /* --rebuild: index the watched folders anew */
    char *config_path;      /* owned; NULL: none (see config_used) */
    bool config_named;      /* --config: the file must exist */
    char *cwd;              /* owned: relative paths of the command line */
    struct arg *args;       /* owned array */
    size_t n_args;
    struct settings s;      /* in effect: defaults <- file <- args */
};

/* Route libevent's own messages through sd_log. */
static void
libevent_log_cb(int severity, const char *msg)
{
    int level;

    switch (severity) {
    case EVENT_LOG_DEBUG: level = LOG_LEVEL_DEBUG; break;
    case EVENT_LOG_MSG:   level = LOG_LEVEL_INFO; break;
    case EVENT_LOG_WARN:  level = LOG_LEVEL_WARN; break;
    default:              level = LOG_LEVEL_ERR; break;
    }
    sd_log(level, "libevent: %s", msg);
}

static void
log_hook_libevent(void)
{
    event_set_log_callback(libevent_log_cb);
}

static void
usage(FILE *out)
{
    char *config_path = config_default_path();

    fprintf(out,
"Usage: searchd [OPTIONS]\n"
"       searchd --extract [--plugin-dir DIR] FILE...\n"
"       searchd --check | --rebuild [OPTIONS]\n"
"\n"
"Full-text search daemon for news archives: indexes article files with\n"
"extractor plugins into a Xapian index and answers searches on a Unix\n"
"socket (see searchc(1)).\n"
"\n"
"Options (those with a value but -c are also keys of\n"
"searchd.conf(5); the command line overrides the file):\n"
"  -c, --config FILE      read settings from FILE (default: $SEARCHD_CONFIG,\n"
"                         else %s, if it exists)\n"
"      --no-config        read no configuration file\n"
"      --check-config     check the configuration file and the options,\n"
"                         say whether they are right, and exit\n"
"      --check            verify the index (read-only) and exit: 0 clean,\n"
"                         1 with the problems listed\n"
"      --rebuild          index the watched folders into a new index beside\n"
"                         the old one, swap them, keep the old as DIR.old,\n"
"                         and exit (not while searchd runs on the index)\n"
"  -f, --foreground       stay in the foreground, log to stderr\n"
"  -s, --socket PATH      listen on PATH (default: see below)\n"
"  -m, --socket-mode MODE permission bits of the socket, octal (default 0600)\n"
"      --socket-group GROUP\n"
"                         group of the socket file (default: searchd's)\n"
"      --admin-group GROUP\n"
"                         members may add and reload as searchd's own user\n"
"                         and root may (default: no group)\n"
"      --add-root DIR     an add may name files below DIR, besides the\n"
"                         watched folders (repeatable)\n"
"  -i, --index DIR        the index folder (created if missing)\n"
"  -w, --watch DIR        index every file below DIR at start and keep\n"
"                         watching it for changes (repeatable)\n"
"      --outlet NAME      outlet of the documents from the last --watch DIR\n"
"                         when their plugin cannot tell (e.g. \"BBC News\")\n"
"      --lang CODE        language of the last --watch DIR's documents\n"
"      --settle MS        index a changed file once it has been quiet for\n"
"                         MS milliseconds (default %d)\n"
"  -j, --workers N        extraction worker processes (default: one per CPU)\n"
"      --deadline SECONDS time one file may take to extract (default %u)\n"
"      --worker-mem MB    address-space limit of a worker (default %u;\n"
"                         0 = none)\n"
"      --shards N         shards of a new index, written in parallel\n"
"                         (default: one per CPU, at most %d)\n"
"      --commit-docs N    commit a shard after N changes (default %d)\n"
"      --commit-interval SECONDS\n"
"                         or SECONDS after its first change (default %d)\n"
"  -p, --plugin-dir DIR   load extractor plugins from DIR\n"
"                         (default " PLUGINDIR ")\n"
"  -t, --query-threads N  query worker threads (default %d)\n"
"      --max-connections N\n"
"                         clients at once; more are told busy (default %d)\n"
"      --max-connections-per-user N\n"
"                         from one user other than searchd's and root\n"
"                         (default %d; 0 = no cap)\n"
"      --max-pending-out BYTES\n"
"                         unsent replies of one client before searchd\n"
"                         stops reading it (default 4M; K, M, G)\n"
"      --max-line BYTES   longest request line, at most %d (the default)\n"
"      --idle-timeout SECONDS\n"
"                         close a client that has asked nothing and is\n"
"                         owed nothing for SECONDS (default %d; 0 = never)\n"
"      --read-timeout SECONDS\n"
"                         close a client whose request line is not\n"
"                         finished SECONDS after it began (default %d)\n"
"      --write-timeout SECONDS\n"
"                         close a client that takes none of its replies\n"
"                         for SECONDS (default %d)\n"
"  -l, --log-level LEVEL  err, warn, info (default) or debug\n"
"  -x, --extract          run the plugins on FILE... and print one JSON\n"
"                         object per document; no daemon, no index\n"
"  -h, --help             show this help\n"
"  -V, --version          show the version\n"
"\n"
"Default socket: $SEARCHD_SOCKET, else $XDG_RUNTIME_DIR/searchd/searchd.sock,\n"
"else " RUNSTATEDIR "/searchd/searchd.sock for root, else\n"
"/tmp/searchd-UID/searchd.sock.  Default index: $XDG_DATA_HOME/searchd/index\n"
"(root: " LOCALSTATEDIR "/lib/searchd/index).\n"
"\n"
"Signals: SIGHUP reloads the configuration file and the plugin folder\n"
"(as the reload operation does); SIGTERM and SIGINT stop searchd.\n",
            config_path, WATCH_DEFAULT_SETTLE_MS,
            WPOOL_DEFAULT_DEADLINE_MS / 1000, WPOOL_DEFAULT_MEM_MB,
            INDEXER_MAX_SHARDS, INDEXER_BATCH_DOCS, INDEXER_BATCH_SECONDS,
            QPOOL_DEFAULT_THREADS, SERVER_MAX_CONNS, SERVER_MAX_CONNS_USER,
            SD_PROTO_MAX_LINE,
            SERVER_IDLE_TIMEOUT_MS / 1000, SERVER_READ_TIMEOUT_MS / 1000,
            SERVER_WRITE_TIMEOUT_MS / 1000);
    free(config_path);
}

static void
options_free(struct options *o)
{
    free(o->config_path);
    free(o->cwd);
    free(o->args);
    settings_clear(&o->s);
}

enum {
    OPT_OUTLET = 256,
    OPT_LANG,
    OPT_DEADLINE,
    OPT_WORKER_MEM,
    OPT_SHARDS,
    OPT_WORKER,
    OPT_LOG_SYSLOG,
    OPT_SETTLE,
    OPT_COMMIT_DOCS,
    OPT_COMMIT_INTERVAL,
    OPT_NO_CONFIG,
    OPT_CHECK_CONFIG,
    OPT_SOCKET_GROUP,
    OPT_ADMIN_GROUP,
    OPT_ADD_ROOT,
    OPT_MAX_CONNECTIONS,
    OPT_MAX_CONNECTIONS_USER,
    OPT_MAX_PENDING_OUT,
    OPT_MAX_LINE,
    OPT_IDLE_TIMEOUT,
    OPT_READ_TIMEOUT,
    OPT_WRITE_TIMEOUT,
    OPT_CHECK,
    OPT_REBUILD,
};

static const struct option longopts[] = {
    { "foreground", no_argument, NULL, 'f' },
    { "config", required_argument, NULL, 'c' },
    { "no-config", no_argument, NULL, OPT_NO_CONFIG },
    { "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
    { "check", no_argument, NULL, OPT_CHECK },
    { "rebuild", no_argument, NULL, OPT_REBUILD },
    { "socket", required_argument, NULL, 's' },
    { "socket-mode", required_argument, NULL, 'm' },
    { "socket-group", required_argument, NULL, OPT_SOCKET_GROUP },
    { "admin-group", required_argument, NULL, OPT_ADMIN_GROUP },
    { "add-root", required_argument, NULL, OPT_ADD_ROOT },
    { "index", required_argument, NULL, 'i' },
    { "watch", required_argument, NULL, 'w' },
    { "plugin-dir", required_argument, NULL, 'p' },
    { "query-threads", required_argument, NULL, 't' },
    { "log-level", required_argument, NULL, 'l' },
    { "extract", no_argument, NULL, 'x' },
    { "outlet", required_argument, NULL, OPT_OUTLET },
    { "lang", required_argument, NULL, OPT_LANG },
    { "workers", required_argument, NULL, 'j' },
    { "deadline", required_argument, NULL, OPT_DEADLINE },
    { "worker-mem", required_argument, NULL, OPT_WORKER_MEM },
    { "shards", required_argument, NULL, OPT_SHARDS },
    { "settle", required_argument, NULL, OPT_SETTLE },
    { "commit-docs", required_argument, NULL, OPT_COMMIT_DOCS },
    { "commit-interval", required_argument, NULL, OPT_COMMIT_INTERVAL },
    { "max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS },
    { "max-connections-per-user", required_argument, NULL,
      OPT_MAX_CONNECTIONS_USER },
    { "max-pending-out", required_argument, NULL, OPT_MAX_PENDING_OUT },
    { "max-line", required_argument, NULL, OPT_MAX_LINE },
    { "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
    { "read-timeout", required_argument, NULL, OPT_READ_TIMEOUT },
    { "write-timeout", required_argument, NULL, OPT_WRITE_TIMEOUT },
    { "worker", no_argument, NULL, OPT_WORKER },
    { "log-syslog", no_argument, NULL, OPT_LOG_SYSLOG },
    { "help", no_argument, NULL, 'h' },
    { "version", no_argument, NULL, 'V' },
    { NULL, 0, NULL, 0 },
};

/* The long name of option ch when it is a setting, else NULL. */
static const char *
setting_name(int ch)
{
    for (const struct option *lo = longopts; lo->name != NULL; lo++)
        if (lo->val == ch && lo->has_arg == required_argument &&
            settings_is_key(lo->name))
            return lo->name;
    return NULL;
}

/*
 * The settings in effect: the defaults, then the configuration file (if
 * one is used), then the command line.  Returns 0 with *out filled (the
 * caller clears it), or -1 with err saying what is wrong and where.
 */
static int
build_settings(const struct options *o, struct settings *out, char *err,
               size_t errlen)
{
    struct stat st;
    char msg[512];

    settings_init(out);
    /* The default file is read when it is there: a folder on its path
     * we may not look into (HOME of another user) means it is not. */
    if (o->config_path != NULL &&
        (o->config_named || stat(o->config_path, &st) == 0) &&
        config_load(o->config_path, out, err, errlen) < 0) {
        settings_clear(out);
        return -1;
    }
    for (size_t i = 0; i < o->n_args; i++) {
        if (settings_set(out, o->args[i].key, o->args[i].value, o->cwd, msg,
                         sizeof msg) < 0) {
            snprintf(err, errlen, "--%s %s: %s", o->args[i].key,
                     o->args[i].value, msg);
            settings_clear(out);
            return -1;
        }
    }
    return 0;
}

/* Returns 0 to go on, 1 to exit 0 (help/version), -1 to exit 2. */
static int
parse_options(int argc, char **argv, struct options *o)
{
    char err[1024], cwd[PATH_MAX];
    const char *key;
    int ch;

    settings_init(&o->s);
    while ((ch = getopt_long(argc, argv, "fc:s:m:i:w:p:t:l:j:xhV", longopts,
                             NULL)) != -1) {
        key = setting_name(ch);
        if (key != NULL) {
            /* Checked now, so a bad value is refused before anything
             * starts; applied again over the file's in build_settings. */
            if (settings_set(&o->s, key, optarg, NULL, err, sizeof err) < 0) {
                fprintf(stderr, "searchd: --%s %s: %s\n", key, optarg, err);
                return -1;
            }
            o->args = xrealloc(o->args, (o->n_args + 1) * sizeof *o->args);
            o->args[o->n_args++] = (struct arg){ key, optarg };
            continue;
        }
        switch (ch) {
        case 'f':
            o->is_foreground = true;
            break;
        case 'c':
            free(o->config_path);
            o->config_path = xstrdup(optarg);
            o->config_named = true;
            break;
        case OPT_NO_CONFIG:
            o->no_config = true;
            break;
        case OPT_CHECK_CONFIG:
            o->is_check_config = true;
            break;
        case OPT_CHECK:
            o->is_check = true;
            break;
        case OPT_REBUILD:
            o->is_rebuild = true;
            break;
        case OPT_WORKER:
            o->is_worker = true;
            break;
        case OPT_LOG_SYSLOG:
            o->is_log_syslog = true;
            break;
        case 'x':
            o->is_extract = true;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case 'V':
            printf("searchd %s (plugin ABI %d, protocol %d)\n",
                   PACKAGE_VERSION, SD_PLUGIN_ABI, SD_PROTO_VERSION);
            return 1;
        default:
            fprintf(stderr, "Try 'searchd --help'.\n");
            return -1;
        }
    }
    if (o->is_extract && optind >= argc) {
        fprintf(stderr, "searchd: --extract needs at least one FILE\n");
        return -1;
    }
    if (!o->is_extract && optind < argc && !o->is_worker) {
        fprintf(stderr, "searchd: unexpected argument '%s'; folders to index "
                "go after --watch\n", argv[optind]);
        return -1;
    }
    if (o->is_check && o->is_rebuild) {
        fprintf(stderr, "searchd: --check and --rebuild are two runs: "
                "rebuild, then check\n");
        return -1;
    }
    if (o->no_config && o->config_named) {
        fprintf(stderr, "searchd: --config and --no-config contradict each "
                "other\n");
        return -1;
    }
    /* Workers and --extract take their settings from the command line
     * alone. */
    if (o->is_worker || o->is_extract || o->no_config) {
        free(o->config_path);
        o->config_path = NULL;
        log_max_level = o->s.log_level;
        if (o->is_worker || o->is_extract)
            return 0;
    }
    if (getcwd(cwd, sizeof cwd) == NULL) {
        fprintf(stderr, "searchd: cannot tell the working folder: %s\n",
                strerror(errno));
        return -1;
    }
    o->cwd = xstrdup(cwd);
    if (o->config_path == NULL && !o->no_config)
        o->config_path = config_default_path();
    settings_clear(&o->s);
    if (build_settings(o, &o->s, err, sizeof err) < 0) {
        fprintf(stderr, "searchd: %s\n", err);
        return -1;
    }
    log_max_level = o->s.log_level;
    if (o->is_check_config) {
        if (o->config_path != NULL && access(o->config_path, F_OK) == 0)
            printf("%s: ok\n", o->config_path);
        else
            printf("no configuration file (%s); the command line is ok\n",
                   o->config_path ? o->config_path : "--no-config");
        return 1;
    }
    return 0;
}

/* `searchd --extract FILE...`: 0 if every file gave documents, else 1. */
static int
run_extract(const struct options *o, int argc, char **argv)
{
    struct plugins *reg = plugins_new();
    int status = 0;

    if (plugins_load_dir(reg, o->s.plugin_dir) <= 0) {
        fprintf(stderr, "searchd: no plugins loaded from %s\n",
                o->s.plugin_dir);
        plugins_free(reg);
        return 2;
    }
    for (int i = optind; i < argc; i++) {
        struct extract_result res = { 0 };
        if (extract_file(reg, argv[i], &res) < 0) {
            fprintf(stderr, "searchd: %s: %s\n", argv[i], res.reason);
            status = 1;
        } else if (extract_print_json(&res, stdout) < 0) {
            fprintf(stderr, "searchd: writing output: %s\n", strerror(errno));
            status = 1;
        }
        extract_result_clear(&res);
    }
    plugins_free(reg);
    return status;
}

/* ---- detaching --------------------------------------------------------- */

/*
 * Fork; the parent waits until the child says it is ready (exit 0) or
 * the child dies during start-up (exit 1, its error already printed).
 * Returns the fd the child writes its "ready" byte to.
 */
static int
detach(void)
{
    int fds[2];
    pid_t pid;
    char byte;

    if (pipe2(fds, O_CLOEXEC) < 0) {
        fprintf(stderr, "searchd: pipe: %s\n", strerror(errno));
        exit(1);
    }
    pid = fork();
    if (pid < 0) {
        fprintf(stderr, "searchd: fork: %s\n", strerror(errno));
        exit(1);
    }
    if (pid > 0) {
        close(fds[1]);
        _exit(read(fds[0], &byte, 1) == 1 ? 0 : 1);
    }
    close(fds[0]);
    setsid();
    return fds[1];
}

static void
detach_done(int ready_fd)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);

    log_use_syslog();
    if (null >= 0) {
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        close(null);
    }
    (void)!write(ready_fd, "1", 1);
    close(ready_fd);
}

/* ---- the daemon -------------------------------------------------------- */

/* ---- telling systemd (sdnotify.h): status lines and the watchdog ------- */

/* How often the status line is brought up to date. */
#define STATUS_INTERVAL_MS 1000

struct notifier {
    struct indexer *ix;     /* borrowed */
    struct event *status_ev;    /* owned */
    struct event *watchdog_ev;  /* owned */
    char last[256];         /* the last STATUS= sent, to send changes only */
};

/* One line for `systemctl status`: the load in progress, or the index. */
static void
status_cb(evutil_socket_t fd, short what, void *arg)
{
    struct notifier *nt = arg;
    struct indexer_stats st;
    char line[256];

    (void)fd;
    (void)what;
    indexer_stats(nt->ix, &st);
    if (!st.scan_done || st.queued > 0)
        snprintf(line, sizeof line, "STATUS=indexing %" PRIu64 "/%" PRIu64
                 " files, %.0f files/s; %" PRIu64 " documents, %" PRIu64
                 " failed", st.files_done, st.files_done + st.queued,
                 st.files_per_s, st.documents, st.failed);
    else
        snprintf(line, sizeof line, "STATUS=idle; %" PRIu64 " documents, "
                 "%" PRIu64 " failed", st.documents, st.failed);
    if (strcmp(health_summary(), "ok") != 0) {
        size_t len = strlen(line);

        snprintf(line + len, sizeof line - len, "; %s (searchc --status)",
                 health_summary());
    }
    if (strcmp(line, nt->last) != 0 && sdn_notify(line) == 0)
        snprintf(nt->last, sizeof nt->last, "%s", line);
}

/* From the loop itself: a loop that stops turning stops the pings. */
static void
watchdog_cb(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    sdn_notify("WATCHDOG=1");
}

static int
notifier_start(struct notifier *nt, struct event_base *base,
               struct indexer *ix)
{
    struct timeval tv = { STATUS_INTERVAL_MS / 1000,
                          (STATUS_INTERVAL_MS % 1000) * 1000 };
    uint64_t wd = sdn_watchdog_usec();

    nt->ix = ix;
    nt->status_ev = event_new(base, -1, EV_PERSIST, status_cb, nt);
    if (nt->status_ev == NULL || event_add(nt->status_ev, &tv) < 0)
        return -1;
    if (wd > 0) {
        /* Half the interval, as sd_watchdog_enabled(3) advises. */
        struct timeval wtv = { (time_t)(wd / 2 / 1000000),
                               (suseconds_t)(wd / 2 % 1000000) };

        nt->watchdog_ev = event_new(base, -1, EV_PERSIST, watchdog_cb, nt);
        if (nt->watchdog_ev == NULL || event_add(nt->watchdog_ev, &wtv) < 0)
            return -1;
        /* Logged from wtv itself: a wrong conversion shows here. */
        log_info("main: systemd watchdog every %g s",
                 (double)wtv.tv_sec + (double)wtv.tv_usec / 1e6);
    }
    status_cb(-1, 0, nt);
    return 0;
}

static void
notifier_stop(struct notifier *nt)
{
    if (nt->status_ev)
        event_free(nt->status_ev);
    if (nt->watchdog_ev)
        event_free(nt->watchdog_ev);
    memset(nt, 0, sizeof *nt);
}

/* Fill in the default index and socket paths, making their folders; not
 * the socket's when systemd passed the socket (has_listen_fd): it would
 * be a folder nothing uses, made as whoever the service runs as. */
static int
prepare_paths(struct settings *s, bool has_listen_fd)
{
    char *dir, *slash;
    int rc;

    if (s->index_dir == NULL) {
        s->index_dir = util_default_index_path();
        rc = util_mkdir_p(s->index_dir, 0700);
        if (rc < 0) {
            fprintf(stderr, "searchd: cannot create %s: %s\n", s->index_dir,
                    strerror(-rc));
            return -1;
        }
    }
    if (s->socket_path == NULL) {
        s->socket_path = util_default_socket_path();
        if (has_listen_fd)
            return 0;
        /* Only the default location's folder is ours to create. */
        dir = xstrdup(s->socket_path);
        slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = '\0';
            rc = util_mkdir_p(dir, 0700);
            if (rc < 0) {
                fprintf(stderr, "searchd: cannot create %s: %s\n", dir,
                        strerror(-rc));
                free(dir);
                return -1;
            }
        }
        free(dir);
    }
    return 0;
}

/* The workers' settings from s; cfg->plugin_dir is newly allocated (the
 * caller frees it), exe is left alone. */
static int
pool_config(const struct settings *s, struct wpool_config *cfg, char *err,
            size_t errlen)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char *plugins = realpath(s->plugin_dir, NULL);

    if (plugins == NULL) {
        snprintf(err, errlen, "plugin folder %s: %s", s->plugin_dir,
                 strerror(errno));
        return -1;
    }
    cfg->plugin_dir = plugins;
    cfg->workers = s->workers ? s->workers
                   : cpus < 1 ? 1 : cpus > 64 ? 64 : (unsigned)cpus;
    cfg->deadline_ms = s->deadline_ms;
    cfg->mem_mb = s->worker_mem_mb;
    cfg->log_level = s->log_level;
    return 0;
}

/* The folder defaults of s, for indexer_set_defaults (strings borrowed
 * from s).  Newly allocated array. */
static struct indexer_defaults *
folder_defaults(const struct settings *s, size_t *n_out)
{
    struct indexer_defaults *d = xcalloc(s->n_watch + 1, sizeof *d);
    size_t n = 0;

    for (size_t i = 0; i < s->n_watch; i++)
        if (s->watch[i].outlet || s->watch[i].lang)
            d[n++] = (struct indexer_defaults){
                s->watch[i].dir, s->watch[i].outlet, s->watch[i].lang };
    *n_out = n;
    return d;
}

/* The clients' limits of s, for the server. */
static void
client_limits(const struct settings *s, struct server_limits *lim)
{
    lim->max_conns = s->max_conns;
    lim->max_conns_user = s->max_conns_user;
    lim->max_pending_out = s->max_pending_out;
    lim->max_line = s->max_line;
    lim->idle_ms = s->idle_ms;
    lim->read_ms = s->read_ms;
    lim->write_ms = s->write_ms;
}

/*
 * Every client is a file descriptor: make sure max-connections of them
 * fit, with room for the index, the workers' pipes and the listener, by
 * raising the soft limit towards the hard one.  When even that is short,
 * say so: accept would fail with EMFILE before the `busy` limit is met.
 */
#define FD_RESERVE 256
static void
raise_fd_limit(unsigned max_conns)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)max_conns + FD_RESERVE;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want
                  ? want : rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
        log_warn("main: the open-file limit (%llu) is short of "
                 "max-connections %u + %d; clients past it are not even "
                 "told busy", (unsigned long long)rl.rlim_cur, max_conns,
                 FD_RESERVE);
}

/* Everything the running daemon is made of; the loop thread's. */
struct daemon {
    struct options *o;          /* borrowed; o->s: the settings in effect */
    struct event_base *base;
    struct plugins *reg;        /* owned */
    struct indexer *ix;
    struct qpool *qp;
    struct server *srv;
    struct spool *sp;
    struct commands_ctx ctx;
    char *exe;                  /* owned: /proc/self/exe resolved */
};

static void
set_defaults(struct daemon *d)
{
    size_t n;
    struct indexer_defaults *defs = folder_defaults(&d->o->s, &n);

    indexer_set_defaults(d->ix, defs, n);
    free(defs);
}

/* Watch dir and queue its scan. */
static void
start_watching(struct daemon *d, const char *dir)
{
    if (indexer_readonly(d->ix) != NULL) {
        log_warn("main: %s: not indexed: the index is read-only", dir);
        return;
    }
    spool_add(d->sp, dir);
    if (indexer_submit(d->ix, dir, strlen(dir), true, NULL, NULL) < 0)
        log_err("main: %s: cannot queue the folder", dir);
    else
        log_info("main: indexing %s", dir);
}

static bool
is_watched(const struct settings *s, const char *dir)
{
    for (size_t i = 0; i < s->n_watch; i++)
        if (strcmp(s->watch[i].dir, dir) == 0)
            return true;
    return false;
}

/* Say which settings a reload cannot change. */
static void
warn_restart_only(const struct settings *old, const struct settings *s)
{
#define DIFF_STR(a, b) (strcmp((a) ? (a) : "", (b) ? (b) : "") != 0)
    if (s->index_dir != NULL && DIFF_STR(old->index_dir, s->index_dir))
        log_warn("reload: index changed; it takes effect at the next start");
    if (s->socket_path != NULL && DIFF_STR(old->socket_path, s->socket_path))
        log_warn("reload: socket changed; it takes effect at the next "
                 "start");
#undef DIFF_STR
    if (old->socket_mode != s->socket_mode)
        log_warn("reload: socket-mode changed; it takes effect at the next "
                 "start");
    if (old->has_socket_group != s->has_socket_group ||
        old->socket_gid != s->socket_gid)
        log_warn("reload: socket-group changed; it takes effect at the next "
                 "start");
    if (old->workers != s->workers)
        log_warn("reload: workers changed; it takes effect at the next "
                 "start");
    if (old->query_threads != s->query_threads)
        log_warn("reload: query-threads changed; it takes effect at the "
                 "next start");
    if (old->settle_ms != s->settle_ms)
        log_warn("reload: settle changed; it takes effect at the next "
                 "start");
    for (size_t i = 0; i < old->n_watch; i++)
        if (!is_watched(s, old->watch[i].dir))
            log_warn("reload: %s is no longer in the settings; it stays "
                     "watched, and its documents indexed, until searchd "
                     "restarts", old->watch[i].dir);
}

/*
 * Re-read the configuration file and the plugin folder, and apply what
 * can change while running: plugins (and the workers that run them),
 * folder defaults, new folders to watch, commits, deadline, memory limit
 * and log level.  Files whose plugin changed are rescanned in the
 * background.  On an error nothing changes.  0, or -1 with err filled.
 */
static int
reload(void *arg, char *err, size_t errlen)
{
    struct daemon *d = arg;
    struct settings s;
    struct wpool_config pool = { 0 };
    DIR *dir;
    bool changed;
    int n;

    log_info("reload: reading %s",
             d->o->config_path ? d->o->config_path : "the command line only");
    if (build_settings(d->o, &s, err, errlen) < 0) {
        log_err("reload: %s; the settings in use stay", err);
        return -1;
    }
    /* Kept from the start: the defaults were resolved then. */
    if (s.index_dir == NULL)
        s.index_dir = xstrdup(d->o->s.index_dir);
    if (s.socket_path == NULL)
        s.socket_path = xstrdup(d->o->s.socket_path);
    if (pool_config(&s, &pool, err, errlen) < 0) {
        log_err("reload: %s; the settings in use stay", err);
        settings_clear(&s);
        return -1;
    }
    dir = opendir(s.plugin_dir);
    if (dir == NULL) {
        snprintf(err, errlen, "cannot read plugin folder %s: %s",
                 s.plugin_dir, strerror(errno));
        log_err("reload: %s; the settings in use stay", err);
        free((char *)pool.plugin_dir);
        settings_clear(&s);
        return -1;
    }
    closedir(dir);
    sdn_notify("RELOADING=1");
    log_max_level = s.log_level;
    warn_restart_only(&d->o->s, &s);
    /* The old plugins are closed before the folder is loaded again. */
    indexer_plugins_lock(d->ix);
    plugins_free(d->reg);
    d->reg = plugins_new();
    n = plugins_load_dir(d->reg, s.plugin_dir);
    if (n < 0)
        log_err("reload: cannot read plugin folder %s: %s; no plugins",
                s.plugin_dir, strerror(-n));
    pool.exe = d->exe;
    indexer_plugins_unlock(d->ix, d->reg, &pool, &changed);
    free((char *)pool.plugin_dir);
    d->ctx.plugins = d->reg;
    indexer_set_batch(d->ix, s.commit_docs, s.commit_ms);
    {
        struct server_limits lim;

        client_limits(&s, &lim);
        raise_fd_limit(lim.max_conns);
        server_set_limits(d->srv, &lim);
    }
    /* The new settings are in effect from here. */
    {
        struct settings prev = d->o->s;

        d->o->s = s;
        set_defaults(d);
        for (size_t i = 0; i < s.n_watch; i++)
            if (!is_watched(&prev, s.watch[i].dir))
                start_watching(d, s.watch[i].dir);
        if (changed)
            for (size_t i = 0; i < prev.n_watch; i++)
                if (is_watched(&s, prev.watch[i].dir) &&
                    indexer_submit(d->ix, prev.watch[i].dir,
                                   strlen(prev.watch[i].dir), true, NULL,
                                   NULL) < 0)
                    log_err("reload: %s: cannot queue the folder",
                            prev.watch[i].dir);
        settings_clear(&prev);
    }
    log_info("reload: done; %d plugins%s", n,
             changed ? "; plugins changed: rescanning the watched folders"
                     : "");
    sdn_notify("READY=1");
    return 0;
}

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct event_base *base = arg;

    (void)what;
    log_info("main: %s; shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    sdn_notify("STOPPING=1");
    event_base_loopexit(base, NULL);
}

static void
sighup_cb(evutil_socket_t sig, short what, void *arg)
{
    char err[1024];

    (void)sig;
    (void)what;
    log_info("main: SIGHUP; reloading");
    (void)reload(arg, err, sizeof err);
}

static int
run_daemon(struct options *o)
{
    struct daemon d = { .o = o };
    struct settings *s = &o->s;
    struct event *ev_term = NULL, *ev_int = NULL, *ev_hup = NULL;
    struct indexer_config icfg = { 0 };
    struct notifier nt = { 0 };
    char err[1024];
    int ready_fd = -1, status = 1, n, n_fds;

    /* Before anything can start a process: what systemd passed is ours
     * alone. */
    sdn_init();
    n_fds = sdn_listen_fds();
    if (n_fds < 0 || n_fds > 1) {
        fprintf(stderr, "searchd: systemd passed %d sockets; searchd takes "
                "exactly one (one ListenStream= in searchd.socket)\n",
                n_fds);
        for (int fd = SDN_LISTEN_FDS_START;
             fd < SDN_LISTEN_FDS_START + n_fds; fd++)
            close(fd);
        return 1;
    }
    if (prepare_paths(s, n_fds == 1) < 0)
        return 1;
    if (!o->is_foreground)
        ready_fd = detach();

    evthread_use_pthreads();
    log_hook_libevent();
    signal(SIGPIPE, SIG_IGN);
    /* A file size limit (RLIMIT_FSIZE) must fail the write with EFBIG,
     * which the indexer handles like a full disk, not kill searchd. */
    signal(SIGXFSZ, SIG_IGN);
    d.base = event_base_new();
    if (d.base == NULL) {
        fprintf(stderr, "searchd: cannot create event loop\n");
        goto out;
    }
    if (o->config_path != NULL && access(o->config_path, F_OK) == 0)
        log_info("main: settings from %s", o->config_path);
    d.reg = plugins_new();
    n = plugins_load_dir(d.reg, s->plugin_dir);
    if (n < 0) {
        fprintf(stderr, "searchd: cannot read plugin folder %s: %s\n",
                s->plugin_dir, strerror(-n));
        goto out;
    }
    if (n == 0)
        log_warn("main: no plugins in %s; no file can be indexed",
                 s->plugin_dir);
    d.exe = realpath("/proc/self/exe", NULL);
    if (d.exe == NULL) {
        fprintf(stderr, "searchd: cannot resolve /proc/self/exe: %s\n",
                strerror(errno));
        goto out;
    }
    if (pool_config(s, &icfg.pool, err, sizeof err) < 0) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    icfg.pool.exe = d.exe;
    icfg.dir = s->index_dir;
    icfg.reg = d.reg;
    icfg.shards = s->shards;
    icfg.batch_docs = s->commit_docs;
    icfg.batch_ms = s->commit_ms;
    d.ix = indexer_new(&icfg, d.base, err, sizeof err);
    if (d.ix == NULL) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    set_defaults(&d);
    d.qp = qpool_new(s->index_dir, s->query_threads, d.ix, d.base, err,
                     sizeof err);
    if (d.qp == NULL) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    d.ctx.plugins = d.reg;
    d.ctx.indexer = d.ix;
    d.ctx.qpool = d.qp;
    d.ctx.started = time(NULL);
    d.ctx.settings = &o->s;     /* reload replaces o->s in place */
    d.ctx.reload = reload;
    d.ctx.reload_arg = &d;
    d.srv = n_fds == 1 ? server_adopt(d.base, SDN_LISTEN_FDS_START, &d.ctx,
                                      err, sizeof err)
                       : server_new(d.base, s->socket_path, s->socket_mode,
                                    s->has_socket_group ? s->socket_gid
                                                        : (gid_t)-1,
                                    &d.ctx, err, sizeof err);
    if (n_fds == 1 && (s->socket_mode != 0600 || s->has_socket_group))
        log_warn("main: socket-mode and socket-group do not apply to the "
                 "socket systemd passed: set SocketMode= and SocketGroup= "
                 "in searchd.socket");
    n_fds = 0;  /* the server owns it now, even on failure */
    if (d.srv == NULL) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    {
        struct server_limits lim;

        client_limits(s, &lim);
        raise_fd_limit(lim.max_conns);
        server_set_limits(d.srv, &lim);
    }
    ev_term = evsignal_new(d.base, SIGTERM, signal_cb, d.base);
    ev_int = evsignal_new(d.base, SIGINT, signal_cb, d.base);
    ev_hup = evsignal_new(d.base, SIGHUP, sighup_cb, &d);
    if (!ev_term || !ev_int || !ev_hup || evsignal_add(ev_term, NULL) < 0 ||
        evsignal_add(ev_int, NULL) < 0 || evsignal_add(ev_hup, NULL) < 0) {
        fprintf(stderr, "searchd: cannot install signal handlers\n");
        goto out;
    }
    if (indexer_start(d.ix) < 0) {
        fprintf(stderr, "searchd: cannot start the indexer thread\n");
        goto out;
    }
    /* Watches first (start_watching), so a scan cannot miss a file
     * created between a folder's scan and its watch. */
    d.sp = spool_new(d.base, d.ix, s->index_dir, s->settle_ms, err,
                     sizeof err);
    if (d.sp == NULL) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    for (size_t i = 0; i < s->n_watch; i++)
        start_watching(&d, s->watch[i].dir);
    log_info("main: searchd %s ready; index %s; %d plugins", PACKAGE_VERSION,
             s->index_dir, n);
    if (notifier_start(&nt, d.base, d.ix) < 0) {
        fprintf(stderr, "searchd: cannot create loop events\n");
        goto out;
    }
    sdn_notify("READY=1");
    if (ready_fd >= 0) {
        detach_done(ready_fd);
        ready_fd = -1;
    }
    event_base_dispatch(d.base);
    status = 0;
out:
    if (n_fds == 1)
        close(SDN_LISTEN_FDS_START);    /* failed before the server took it */
    /* Reverse order of creation. */
    notifier_stop(&nt);
    spool_free(d.sp);
    server_free(d.srv);
    qpool_free(d.qp);
    indexer_free(d.ix);
    health_reset();
    if (ev_hup)
        event_free(ev_hup);
    if (ev_int)
        event_free(ev_int);
    if (ev_term)
        event_free(ev_term);
    plugins_free(d.reg);
    free(d.exe);
    free((char *)icfg.pool.plugin_dir);
    if (d.base)
        event_base_free(d.base);
    libevent_global_shutdown();
    if (status == 0)
        log_info("main: stopped");
    sdn_close();
    return status;
}

/* ---- --check and --rebuild --------------------------------------------- */

/* `searchd --check`: 0 when the index is clean, 1 otherwise. */
static int
run_check(struct options *o)
{
    long n;

    if (o->s.index_dir == NULL)
        o->s.index_dir = util_default_index_path();
    n = index_check(o->s.index_dir, stdout);
    if (n < 0)
        return 1;
    if (n > 0)
        printf("'searchd --rebuild' rebuilds the index from the watched "
               "folders\n");
    return n == 0 ? 0 : 1;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) < 0 ? -1 : 0;
}

/* rm -rf path; 0 or -errno (a missing path is fine). */
static int
remove_tree(const char *path)
{
    if (access(path, F_OK) < 0 && errno == ENOENT)
        return 0;
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

/* The shard folders of an existing index in dir, writable handles that
 * hold their locks for the rebuild (a daemon cannot start on the old
 * index meanwhile).  Returns the number opened, or -1 when one is locked
 * (a searchd runs on it).  Shards that cannot be opened (damaged) are
 * skipped: they are what the rebuild replaces. */
static int
lock_old_index(const char *dir, xap_db **held, int max)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL && n < max) {
        char *p;
        xap_db *db = NULL;
        xap_status st;

        if (strncmp(de->d_name, "shard-", 6) != 0)
            continue;
        p = xasprintf("%s/%s", dir, de->d_name);
        st = xap_open(p, XAP_WRITE, &db);
        free(p);
        if (st == XAP_ELOCKED) {
            xap_close(db);
            closedir(d);
            for (int i = 0; i < n; i++)
                xap_close(held[i]);
            return -1;
        }
        if (st == XAP_OK)
            held[n++] = db;
        else
            xap_close(db);
    }
    closedir(d);
    return n;
}

struct rebuild {
    struct event_base *base;
    size_t pending;
    uint64_t files, documents, failed;
    int status;
};

static void
rebuild_done_cb(const struct indexer_result *res, void *arg)
{
    struct rebuild *rb = arg;

    rb->files += res->files;
    rb->documents += res->documents;
    rb->failed += res->failed;
    if (res->status < 0) {
        fprintf(stderr, "searchd: %s\n", res->message);
        rb->status = 1;
    }
    if (--rb->pending == 0)
        event_base_loopbreak(rb->base);
}

/* Every second of a rebuild: a shard that cannot write (a full disk, a
 * write error) would be retried for ever, as the daemon does; a batch
 * run gives up instead, so the old index's locks are let go. */
static void
rebuild_watch_cb(evutil_socket_t fd, short what, void *arg)
{
    struct rebuild *rb = arg;
    struct health_entry *v;
    size_t n;

    (void)fd;
    (void)what;
    v = health_list(&n);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(v[i].what, HEALTH_DISK_FULL) == 0 ||
            strcmp(v[i].what, HEALTH_WRITE_FAILED) == 0) {
            fprintf(stderr, "searchd: --rebuild: %s: %s\n", v[i].subject,
                    v[i].message);
            rb->status = 1;
            event_base_loopbreak(rb->base);
            break;
        }
    }
    health_list_free(v, n);
}

/*
 * `searchd --rebuild`: index every watched folder into DIR.rebuild, then
 * swap it with DIR in one rename (RENAME_EXCHANGE) and move the old index
 * to DIR.old (replacing an earlier one).  Until the swap the old index is
 * untouched, so an interrupted rebuild changes nothing (its DIR.rebuild
 * is removed by the next one).  Refused while a searchd runs on DIR.
 */
static int
run_rebuild(struct options *o)
{
    struct settings *s = &o->s;
    struct indexer_config icfg = { 0 };
    struct rebuild rb = { 0 };
    struct indexer *ix = NULL;
    struct plugins *reg = NULL;
    xap_db *held[64];
    int n_held = 0, rc;
    char err[1024], *fresh = NULL, *old = NULL, *exe = NULL;
    size_t n_defs;
    struct indexer_defaults *defs;

    if (s->n_watch == 0) {
        fprintf(stderr, "searchd: --rebuild: no folders to index: give "
                "them with --watch or in the configuration file\n");
        return 1;
    }
    if (prepare_paths(s, true) < 0)
        return 1;
    n_held = lock_old_index(s->index_dir, held, 64);
    if (n_held < 0) {
        fprintf(stderr, "searchd: --rebuild: index %s is in use by a "
                "running searchd; stop it first\n", s->index_dir);
        return 1;
    }
    fresh = xasprintf("%s.rebuild", s->index_dir);
    old = xasprintf("%s.old", s->index_dir);
    rb.status = 1;
    if ((rc = remove_tree(fresh)) < 0) {
        fprintf(stderr, "searchd: cannot remove %s: %s\n", fresh,
                strerror(-rc));
        goto out;
    }
    rb.base = event_base_new();
    reg = plugins_new();
    exe = realpath("/proc/self/exe", NULL);
    if (rb.base == NULL || exe == NULL ||
        plugins_load_dir(reg, s->plugin_dir) < 0 ||
        pool_config(s, &icfg.pool, err, sizeof err) < 0) {
        fprintf(stderr, "searchd: --rebuild: cannot set up the indexer "
                "(event loop, /proc/self/exe, plugins in %s)\n",
                s->plugin_dir);
        goto out;
    }
    icfg.pool.exe = exe;
    icfg.dir = fresh;
    icfg.reg = reg;
    icfg.shards = s->shards ? s->shards
                  : n_held > 0 ? (unsigned)n_held : 0;
    icfg.batch_docs = s->commit_docs;
    icfg.batch_ms = s->commit_ms;
    ix = indexer_new(&icfg, rb.base, err, sizeof err);
    if (ix == NULL) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    defs = folder_defaults(s, &n_defs);
    indexer_set_defaults(ix, defs, n_defs);
    free(defs);
    if (indexer_start(ix) < 0) {
        fprintf(stderr, "searchd: cannot start the indexer threads\n");
        goto out;
    }
    rb.status = 0;
    for (size_t i = 0; i < s->n_watch; i++) {
        if (indexer_submit(ix, s->watch[i].dir, strlen(s->watch[i].dir),
                           true, rebuild_done_cb, &rb) == 0)
            rb.pending++;
        else
            rb.status = 1;
        log_info("rebuild: indexing %s", s->watch[i].dir);
    }
    if (rb.pending > 0) {
        struct timeval sec = { 1, 0 };
        struct event *watch = event_new(rb.base, -1, EV_PERSIST,
                                        rebuild_watch_cb, &rb);

        if (watch == NULL || event_add(watch, &sec) < 0)
            log_warn("rebuild: cannot watch for write faults");
        event_base_dispatch(rb.base);
        if (watch != NULL)
            event_free(watch);
    }
    indexer_free(ix);
    ix = NULL;
    if (rb.status != 0) {
        /* Give the space back (a full disk is the likely cause). */
        (void)remove_tree(fresh);
        fprintf(stderr, "searchd: --rebuild failed; the index in %s is "
                "unchanged\n", s->index_dir);
        goto out;
    }
    /* The swap: one rename when the old index is there. */
    if (access(s->index_dir, F_OK) == 0) {
        if (renameat2(AT_FDCWD, fresh, AT_FDCWD, s->index_dir,
                      RENAME_EXCHANGE) < 0) {
            fprintf(stderr, "searchd: cannot swap %s and %s: %s\n", fresh,
                    s->index_dir, strerror(errno));
            rb.status = 1;
            goto out;
        }
        if ((rc = remove_tree(old)) < 0 || rename(fresh, old) < 0)
            fprintf(stderr, "searchd: the old index stays in %s: %s\n",
                    fresh, strerror(rc < 0 ? -rc : errno));
    } else if (rename(fresh, s->index_dir) < 0) {
        fprintf(stderr, "searchd: cannot rename %s to %s: %s\n", fresh,
                s->index_dir, strerror(errno));
        rb.status = 1;
        goto out;
    }
    printf("rebuilt %s from %zu folder%s: %" PRIu64 " files, %" PRIu64
           " documents, %" PRIu64 " failed; the old index is in %s\n",
           s->index_dir, s->n_watch, s->n_watch == 1 ? "" : "s", rb.files,
           rb.documents, rb.failed, old);
out:
    indexer_free(ix);
    for (int i = 0; i < n_held; i++)
        xap_close(held[i]);
    plugins_free(reg);
    free((char *)icfg.pool.plugin_dir);
    free(exe);
    free(fresh);
    free(old);
    if (rb.base)
        event_base_free(rb.base);
    libevent_global_shutdown();
    return rb.status;
}

int
main(int argc, char **argv)
{
    struct options o = { 0 };
    int rc = parse_options(argc, argv, &o);

    if (rc != 0) {
        options_free(&o);
        return rc > 0 ? 0 : 2;
    }
    if (o.is_worker) {
        if (o.is_log_syslog)
            log_use_syslog();
        rc = worker_main(o.s.plugin_dir, o.s.worker_mem_mb);
    } else if (o.is_extract) {
        rc = run_extract(&o, argc, argv);
    } else if (o.is_check) {
        rc = run_check(&o);
    } else if (o.is_rebuild) {
        evthread_use_pthreads();
        log_hook_libevent();
        signal(SIGPIPE, SIG_IGN);
        signal(SIGXFSZ, SIG_IGN);
        rc = run_rebuild(&o);
    } else {
        rc = run_daemon(&o);
    }
    options_free(&o);
    return rc;
}
