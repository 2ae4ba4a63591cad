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
#include "server.h"
#include "util.h"

struct options {
    bool is_foreground;
    bool is_extract;
    char *socket_path;      /* owned */
    unsigned socket_mode;
    char *index_dir;        /* owned */
    const char *plugin_dir; /* borrowed from argv or static */
    char **watch;           /* owned, each owned (absolute paths) */
    size_t n_watch;
    unsigned query_threads;
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
"  -w, --watch DIR        index every file below DIR at start (repeatable)\n"
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
            QPOOL_DEFAULT_THREADS);
}

static void
options_free(struct options *o)
{
    free(o->socket_path);
    free(o->index_dir);
    for (size_t i = 0; i < o->n_watch; i++)
        free(o->watch[i]);
    free(o->watch);
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
    while ((ch = getopt_long(argc, argv, "fs:m:i:w:p:t:l:xhV", longopts,
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
            o->watch[o->n_watch++] = abs;
            break;
        }
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
    if (!o->is_extract && optind < argc) {
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
    event_base_loopexit(base, NULL);
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

static int
run_daemon(struct options *o)
{
    struct event_base *base = NULL;
    struct event *ev_term = NULL, *ev_int = NULL;
    struct plugins *reg = NULL;
    struct indexer *ix = NULL;
    struct qpool *qp = NULL;
    struct server *srv = NULL;
    struct commands_ctx ctx = { 0 };
    char err[512];
    int ready_fd = -1, status = 1, n;

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
    ix = indexer_new(o->index_dir, reg, base, err, sizeof err);
    if (ix == NULL) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    qp = qpool_new(o->index_dir, o->query_threads, ix, base, err, sizeof err);
    if (qp == NULL) {
        fprintf(stderr, "searchd: %s\n", err);
        goto out;
    }
    ctx.plugins = reg;
    ctx.indexer = ix;
    ctx.qpool = qp;
    ctx.started = time(NULL);
    srv = server_new(base, o->socket_path, o->socket_mode, &ctx, err,
                     sizeof err);
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
    for (size_t i = 0; i < o->n_watch; i++) {
        if (indexer_submit(ix, o->watch[i], strlen(o->watch[i]), true, NULL,
                           NULL) < 0)
            log_err("main: %s: cannot queue the folder", o->watch[i]);
        else
            log_info("main: indexing %s", o->watch[i]);
    }
    log_info("main: searchd %s ready; index %s; %d plugins", PACKAGE_VERSION,
             o->index_dir, n);
    if (ready_fd >= 0) {
        detach_done(ready_fd);
        ready_fd = -1;
    }
    event_base_dispatch(base);
    status = 0;
out:
    /* Reverse order of creation. */
    server_free(srv);
    qpool_free(qp);
    indexer_free(ix);
    if (ev_int)
        event_free(ev_int);
    if (ev_term)
        event_free(ev_term);
    plugins_free(reg);
    if (base)
        event_base_free(base);
    libevent_global_shutdown();
    if (status == 0)
        log_info("main: stopped");
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
    if (o.is_extract)
        rc = run_extract(&o, argc, argv);
    else
        rc = run_daemon(&o);
    options_free(&o);
    return rc;
}
