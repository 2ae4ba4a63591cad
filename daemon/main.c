/*
 * main.c - searchd: options, start-up, the event loop, shutdown.
 *
 * Start-up order: options -> plugins -> writable index (indexer) -> query
 * readers -> socket -> detach (unless --foreground) -> threads -> loop.
 * Every start-up failure prints one line saying what to fix and exits
 * non-zero before detaching.  Shutdown frees in reverse order.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "commands.h"
#include "extract.h"
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

/* Defaults for the documents of one watched folder (--outlet, --lang
 * after its --watch). */
struct watch_opts {
    char *dir;              /* owned, absolute */
    const char *outlet;     /* borrowed from argv, or NULL */
    const char *lang;       /* borrowed from argv, or NULL */
};

struct options {
    bool is_foreground;
    bool is_extract;
    bool is_worker;         /* hidden: an extraction worker (worker.h) */
    bool is_log_syslog;     /* hidden: workers of a detached daemon */
    char *socket_path;      /* owned */
    unsigned socket_mode;
    char *index_dir;        /* owned */
    const char *plugin_dir; /* borrowed from argv or static */
    struct watch_opts *watch; /* owned */
    size_t n_watch;
    unsigned query_threads;
    unsigned workers;       /* extraction processes; 0 = one per CPU */
    unsigned shards;        /* of a new index; 0 = one per CPU */
    unsigned deadline_ms;
    unsigned worker_mem_mb;
    unsigned settle_ms;     /* --settle; 0: the watcher's default */
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
    fprintf(out,
"Usage: searchd [OPTIONS]\n"
"       searchd --extract [--plugin-dir DIR] FILE...\n"
"\n"
"Full-text search daemon for news archives: indexes article files with\n"
"extractor plugins into a Xapian index and answers searches on a Unix\n"
"socket (see searchc(1)).\n"
"\n"
"Options:\n"
"  -f, --foreground       stay in the foreground, log to stderr\n"
"  -s, --socket PATH      listen on PATH (default: see below)\n"
"  -m, --socket-mode MODE permission bits of the socket, octal (default 0600)\n"
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
"  -p, --plugin-dir DIR   load extractor plugins from DIR\n"
"                         (default " PLUGINDIR ")\n"
"  -t, --query-threads N  query worker threads (default %d)\n"
"  -l, --log-level LEVEL  err, warn, info (default) or debug\n"
"  -x, --extract          run the plugins on FILE... and print one JSON\n"
"                         object per document; no daemon, no index\n"
"  -h, --help             show this help\n"
"  -V, --version          show the version\n"
"\n"
"Default socket: $SEARCHD_SOCKET, else $XDG_RUNTIME_DIR/searchd/searchd.sock,\n"
"else " RUNSTATEDIR "/searchd/searchd.sock for root, else\n"
"/tmp/searchd-UID/searchd.sock.  Default index: $XDG_DATA_HOME/searchd/index\n"
"(root: " LOCALSTATEDIR "/lib/searchd/index).\n",
            WATCH_DEFAULT_SETTLE_MS, WPOOL_DEFAULT_DEADLINE_MS / 1000,
            WPOOL_DEFAULT_MEM_MB,
            INDEXER_MAX_SHARDS, QPOOL_DEFAULT_THREADS);
}

static void
options_free(struct options *o)
{
    free(o->socket_path);
    free(o->index_dir);
    for (size_t i = 0; i < o->n_watch; i++)
        free(o->watch[i].dir);
    free(o->watch);
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
};

/* --deadline: seconds, fractions allowed, 0.01 to 3600. */
static int
parse_deadline(const char *s, unsigned *ms_out)
{
    char *end;
    double d;

    errno = 0;
    d = strtod(s, &end);
    if (errno || end == s || *end || !(d >= 0.01 && d <= 3600))
        return -EINVAL;
    *ms_out = (unsigned)(d * 1000 + 0.5);
    return 0;
}

/* --settle MS: 1 to 600000 (ten minutes); 0 or -1 (message printed). */
static int
parse_settle(const char *arg, unsigned *out)
{
    long n;

    if (parse_long(arg, 1, 600000, &n) < 0) {
        fprintf(stderr, "searchd: --settle %s: want milliseconds from 1 "
                "to 600000\n", arg);
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

/* Returns 0 to go on, 1 to exit 0 (help/version), -1 to exit 2. */
static int
parse_options(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        { "foreground", no_argument, NULL, 'f' },
        { "socket", required_argument, NULL, 's' },
        { "socket-mode", required_argument, NULL, 'm' },
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
        { "worker", no_argument, NULL, OPT_WORKER },
        { "log-syslog", no_argument, NULL, OPT_LOG_SYSLOG },
        { "settle", required_argument, NULL, OPT_SETTLE },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int ch;
    long n;
    char *end;

    o->socket_mode = 0600;
    o->plugin_dir = PLUGINDIR;
    o->query_threads = QPOOL_DEFAULT_THREADS;
    o->deadline_ms = WPOOL_DEFAULT_DEADLINE_MS;
    o->worker_mem_mb = WPOOL_DEFAULT_MEM_MB;
    while ((ch = getopt_long(argc, argv, "fs:m:i:w:p:t:l:j:xhV", longopts,
                             NULL)) != -1) {
        switch (ch) {
        case 'f':
            o->is_foreground = true;
            break;
        case 's':
            free(o->socket_path);
            o->socket_path = xstrdup(optarg);
            break;
        case 'm':
            errno = 0;
            n = strtol(optarg, &end, 8);
            if (errno || *end || end == optarg || n < 0 || n > 0777) {
                fprintf(stderr, "searchd: --socket-mode %s: want octal "
                        "permission bits such as 0600 or 0660\n", optarg);
                return -1;
            }
            o->socket_mode = (unsigned)n;
            break;
        case 'i':
            free(o->index_dir);
            o->index_dir = xstrdup(optarg);
            break;
        case 'w': {
            char *abs = realpath(optarg, NULL);
            struct stat st;
            if (abs == NULL || stat(abs, &st) < 0 || !S_ISDIR(st.st_mode)) {
                fprintf(stderr, "searchd: --watch %s: %s\n", optarg,
                        abs ? "not a folder" : strerror(errno));
                free(abs);
                return -1;
            }
            o->watch = xrealloc(o->watch, (o->n_watch + 1) * sizeof *o->watch);
            o->watch[o->n_watch++] = (struct watch_opts){ .dir = abs };
            break;
        }
        case OPT_OUTLET:
        case OPT_LANG:
            if (o->n_watch == 0) {
                fprintf(stderr, "searchd: --%s applies to the folder of a "
                        "--watch before it\n",
                        ch == OPT_OUTLET ? "outlet" : "lang");
                return -1;
            }
            if (optarg[0] == '\0' || !utf8_valid(optarg, strlen(optarg))) {
                fprintf(stderr, "searchd: --%s: want a non-empty UTF-8 "
                        "name\n", ch == OPT_OUTLET ? "outlet" : "lang");
                return -1;
            }
            if (ch == OPT_OUTLET)
                o->watch[o->n_watch - 1].outlet = optarg;
            else
                o->watch[o->n_watch - 1].lang = optarg;
            break;
        case 'j':
            if (parse_long(optarg, 1, 64, &n) < 0) {
                fprintf(stderr, "searchd: --workers %s: want a number "
                        "from 1 to 64\n", optarg);
                return -1;
            }
            o->workers = (unsigned)n;
            break;
        case OPT_SHARDS:
            if (parse_long(optarg, 1, INDEXER_MAX_SHARDS, &n) < 0) {
                fprintf(stderr, "searchd: --shards %s: want a number from 1 "
                        "to %d\n", optarg, INDEXER_MAX_SHARDS);
                return -1;
            }
            o->shards = (unsigned)n;
            break;
        case OPT_DEADLINE:
            if (parse_deadline(optarg, &o->deadline_ms) < 0) {
                fprintf(stderr, "searchd: --deadline %s: want seconds from "
                        "0.01 to 3600\n", optarg);
                return -1;
            }
            break;
        case OPT_WORKER_MEM:
            if (parse_long(optarg, 0, 1 << 20, &n) < 0 ||
                (n > 0 && n < 64)) {
                fprintf(stderr, "searchd: --worker-mem %s: want megabytes, "
                        "at least 64 (0: no limit)\n", optarg);
                return -1;
            }
            o->worker_mem_mb = (unsigned)n;
            break;
        case OPT_WORKER:
            o->is_worker = true;
            break;
        case OPT_LOG_SYSLOG:
            o->is_log_syslog = true;
            break;
        case OPT_SETTLE:
            if (parse_settle(optarg, &o->settle_ms) < 0)
                return -1;
            break;
        case 'p':
            o->plugin_dir = optarg;
            break;
        case 't':
            if (parse_long(optarg, 1, 64, &n) < 0) {
                fprintf(stderr, "searchd: --query-threads %s: want a number "
                        "from 1 to 64\n", optarg);
                return -1;
            }
            o->query_threads = (unsigned)n;
            break;
        case 'l':
            if (log_parse_level(optarg, &log_max_level) < 0) {
                fprintf(stderr, "searchd: --log-level %s: want err, warn, "
                        "info or debug\n", optarg);
                return -1;
            }
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
    return 0;
}

/* `searchd --extract FILE...`: 0 if every file gave documents, else 1. */
static int
run_extract(const struct options *o, int argc, char **argv)
{
    struct plugins *reg = plugins_new();
    int status = 0;

    if (plugins_load_dir(reg, o->plugin_dir) <= 0) {
        fprintf(stderr, "searchd: no plugins loaded from %s\n",
                o->plugin_dir);
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

static void
signal_cb(evutil_socket_t sig, short what, void *arg)
{
    struct event_base *base = arg;

    (void)what;
    log_info("main: %s; shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    sdn_notify("STOPPING=1");
    event_base_loopexit(base, NULL);
}

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
        log_info("main: systemd watchdog every %.1f s",
                 (double)wd / 2 / 1e6);
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

static int
prepare_paths(struct options *o)
{
    char *dir, *slash;
    int rc;

    if (o->index_dir == NULL) {
        o->index_dir = util_default_index_path();
        rc = util_mkdir_p(o->index_dir, 0700);
        if (rc < 0) {
            fprintf(stderr, "searchd: cannot create %s: %s\n", o->index_dir,
                    strerror(-rc));
            return -1;
        }
    }
    if (o->socket_path == NULL) {
        o->socket_path = util_default_socket_path();
        /* Only the default location's folder is ours to create. */
        dir = xstrdup(o->socket_path);
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

/* What the indexer needs from the options; the strings in cfg->pool are
 * owned by the caller. */
static int
index_config(const struct options *o, const struct plugins *reg,
             struct indexer_config *cfg, char *err, size_t errlen)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char *exe = realpath("/proc/self/exe", NULL);
    char *plugins = realpath(o->plugin_dir, NULL);

    if (exe == NULL || plugins == NULL) {
        snprintf(err, errlen, "cannot resolve %s: %s",
                 exe ? o->plugin_dir : "/proc/self/exe", strerror(errno));
        free(exe);
        free(plugins);
        return -1;
    }
    cfg->dir = o->index_dir;
    cfg->reg = reg;
    cfg->shards = o->shards;
    cfg->pool.exe = exe;
    cfg->pool.plugin_dir = plugins;
    cfg->pool.workers = o->workers ? o->workers
                        : cpus < 1 ? 1 : cpus > 64 ? 64 : (unsigned)cpus;
    cfg->pool.deadline_ms = o->deadline_ms;
    cfg->pool.mem_mb = o->worker_mem_mb;
    cfg->pool.log_level = log_max_level;
    return 0;
}

static int
run_daemon(struct options *o)
{
    struct event_base *base = NULL;
    struct event *ev_term = NULL, *ev_int = NULL;
    struct plugins *reg = NULL;
    struct indexer *ix = NULL;
    struct qpool *qp = NULL;
    struct server *srv = NULL;
    struct spool *sp = NULL;
    struct commands_ctx ctx = { 0 };
    struct indexer_config icfg = { 0 };
    struct notifier nt = { 0 };
    char err[512];
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
    if (prepare_paths(o) < 0)
        return 1;
    if (!o->is_foreground)
        ready_fd = detach();

    evthread_use_pthreads();
    log_hook_libevent();
    signal(SIGPIPE, SIG_IGN);
    base = event_base_new();
    if (base == NULL) {
        fprintf(stderr, "searchd: cannot create event loop\n");
        goto out;
    }
    reg = plugins_new();
    n = plugins_load_dir(reg, o->plugin_dir);
    if (n < 0) {
        fprintf(stderr, "searchd: cannot read plugin folder %s: %s\n",
                o->plugin_dir, strerror(-n));
        goto out;
    }
    if (n == 0)
        log_warn("main: no plugins in %s; no file can be indexed",
                 o->plugin_dir);
    if (index_config(o, reg, &icfg, err, sizeof err) < 0) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    ix = indexer_new(&icfg, base, err, sizeof err);
    if (ix == NULL) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    for (size_t i = 0; i < o->n_watch; i++)
        if (o->watch[i].outlet || o->watch[i].lang)
            indexer_add_defaults(ix, o->watch[i].dir, o->watch[i].outlet,
                                 o->watch[i].lang);
    qp = qpool_new(o->index_dir, o->query_threads, ix, base, err, sizeof err);
    if (qp == NULL) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    ctx.plugins = reg;
    ctx.indexer = ix;
    ctx.qpool = qp;
    ctx.started = time(NULL);
    srv = n_fds == 1 ? server_adopt(base, SDN_LISTEN_FDS_START, &ctx, err,
                                    sizeof err)
                     : server_new(base, o->socket_path, o->socket_mode, &ctx,
                                  err, sizeof err);
    n_fds = 0;  /* the server owns it now, even on failure */
    if (srv == NULL) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    ev_term = evsignal_new(base, SIGTERM, signal_cb, base);
    ev_int = evsignal_new(base, SIGINT, signal_cb, base);
    if (!ev_term || !ev_int || evsignal_add(ev_term, NULL) < 0 ||
        evsignal_add(ev_int, NULL) < 0) {
        fprintf(stderr, "searchd: cannot install signal handlers\n");
        goto out;
    }
    if (indexer_start(ix) < 0) {
        fprintf(stderr, "searchd: cannot start the indexer thread\n");
        goto out;
    }
    /* Watches first, so the scans below cannot miss a file created
     * between a folder's scan and its watch. */
    sp = spool_new(base, ix, o->index_dir, o->settle_ms, err, sizeof err);
    if (sp == NULL) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    for (size_t i = 0; i < o->n_watch; i++)
        spool_add(sp, o->watch[i].dir);
    for (size_t i = 0; i < o->n_watch; i++) {
        const char *dir = o->watch[i].dir;

        if (indexer_submit(ix, dir, strlen(dir), true, NULL, NULL) < 0)
            log_err("main: %s: cannot queue the folder", dir);
        else
            log_info("main: indexing %s", dir);
    }
    log_info("main: searchd %s ready; index %s; %d plugins", PACKAGE_VERSION,
             o->index_dir, n);
    if (notifier_start(&nt, base, ix) < 0) {
        fprintf(stderr, "searchd: cannot create loop events\n");
        goto out;
    }
    sdn_notify("READY=1");
    if (ready_fd >= 0) {
        detach_done(ready_fd);
        ready_fd = -1;
    }
    event_base_dispatch(base);
    status = 0;
out:
    if (n_fds == 1)
        close(SDN_LISTEN_FDS_START);    /* failed before the server took it */
    /* Reverse order of creation. */
    notifier_stop(&nt);
    spool_free(sp);
    server_free(srv);
    qpool_free(qp);
    indexer_free(ix);
    if (ev_int)
        event_free(ev_int);
    if (ev_term)
        event_free(ev_term);
    plugins_free(reg);
    free((char *)icfg.pool.exe);
    free((char *)icfg.pool.plugin_dir);
    if (base)
        event_base_free(base);
    libevent_global_shutdown();
    if (status == 0)
        log_info("main: stopped");
    sdn_close();
    return status;
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
        rc = worker_main(o.plugin_dir, o.worker_mem_mb);
    } else if (o.is_extract) {
        rc = run_extract(&o, argc, argv);
    } else {
        rc = run_daemon(&o);
    }
    options_free(&o);
    return rc;
}
