/*
 * worker.c - extraction in child processes (worker.h): the worker's
 * request loop, and the daemon's pool that runs workers, gives each file
 * a deadline and turns crashes and hangs into one failed file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "extract.h"
#include "filestate.h"
#include "log.h"
#include "plugins.h"
#include "sandbox.h"
#include "util.h"
#include "worker.h"

#if defined(__SANITIZE_ADDRESS__)
#define WORKER_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WORKER_HAVE_ASAN 1
#endif
#endif

void
wresult_clear(struct wresult *r)
{
    for (size_t i = 0; i < r->n; i++)
        doc_free(r->docs[i]);
    free(r->docs);
    memset(r, 0, sizeof *r);
}

/* ---- frames ------------------------------------------------------------- */

static int
write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Start a frame of type in b; frame_end fills in its length. */
static void
frame_begin(struct dbuf *b, char type)
{
    b->len = 0;
    dbuf_add_u32(b, 0);
    dbuf_add(b, &type, 1);
}

static void
frame_end(struct dbuf *b)
{
    uint32_t n = (uint32_t)(b->len - 4);
    unsigned char x[4] = { n >> 24, n >> 16, n >> 8, n };

    memcpy(b->p, x, 4);
}

static int64_t
now_ms(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Read exactly len bytes by deadline (ms on the monotonic clock; < 0 =
 * none).  0, -ETIMEDOUT, -EPIPE (end of file) or -errno. */
static int
read_full(int fd, char *p, size_t len, int64_t deadline)
{
    while (len > 0) {
        ssize_t n;

        if (deadline >= 0) {
            struct pollfd pfd = { .fd = fd, .events = POLLIN };
            int64_t left = deadline - now_ms();
            int r;

            if (left <= 0)
                return -ETIMEDOUT;
            r = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
            if (r < 0 && errno == EINTR)
                continue;
            if (r < 0)
                return -errno;
            if (r == 0)
                return -ETIMEDOUT;
        }
        n = read(fd, p, len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0 && errno == ECONNRESET)
            return -EPIPE;  /* the peer closed with our data unread */
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EPIPE;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Read one frame into b (payload only, after the type byte). */
static int
read_frame(int fd, int64_t deadline, char *type, struct dbuf *b)
{
    unsigned char x[4];
    uint32_t n;
    int rc = read_full(fd, (char *)x, 4, deadline);

    if (rc < 0)
        return rc;
    n = (uint32_t)x[0] << 24 | (uint32_t)x[1] << 16 | (uint32_t)x[2] << 8 |
        x[3];
    if (n < 1 || n > WPOOL_MAX_FRAME)
        return -EBADMSG;
    rc = read_full(fd, type, 1, deadline);
    if (rc < 0)
        return rc;
    b->len = 0;
    if (b->cap < n) {
        b->p = xrealloc(b->p, n);
        b->cap = n;
    }
    rc = read_full(fd, b->p, n - 1, deadline);
    if (rc < 0)
        return rc;
    b->len = n - 1;
    return 0;
}

/* ---- the worker process ------------------------------------------------- */

void
worker_pack_reply(struct dbuf *out, int rc, uint64_t hash,
                  const struct extract_result *res)
{
    dbuf_add_u32(out, (uint32_t)rc);
    dbuf_add_u64(out, hash);
    dbuf_add_str(out, rc < 0 ? res->reason : "");
    dbuf_add_str(out, res->plugin ? res->plugin->desc->name : "");
    dbuf_add_str(out, res->plugin ? res->plugin->desc->version : "");
    dbuf_add_u32(out, (uint32_t)res->n);
    for (size_t i = 0; i < res->n; i++)
        doc_pack(out, res->docs[i]);
}

/*
 * Open path for a worker.  The daemon checked it (a canonical path inside
 * a watched folder or an add-root, reached by no symbolic link), but the
 * folders may change before a worker gets to it: a folder swapped for a
 * link to elsewhere would have the worker read, and the index show,
 * files outside the roots.  So no link is followed on the way; -errno
 * with res->reason set on failure.
 */
static int
open_for_worker(const char *path, struct extract_result *res)
{
    int fd = util_open_nofollow(path);

    if (fd == -ELOOP)
        snprintf(res->reason, sizeof res->reason,
                 "refused: a symbolic link is now in its path (a folder "
                 "changed after it was checked); searchd follows none");
    else if (fd < 0)
        snprintf(res->reason, sizeof res->reason, "cannot open: %s",
                 strerror(-fd));
    return fd;
}

/* Serve an 'E' request (extract path) or, with probe_only, a 'Q' one
 * (only say which plugin would take it).  < 0 when the daemon is gone. */
static int
serve_one(const struct plugins *reg, const char *path, bool probe_only,
          struct dbuf *out)
{
    struct extract_result res = { 0 };
    uint64_t hash = 0;
    int fd, rc;

    fd = open_for_worker(path, &res);
    rc = fd < 0 ? fd : extract_pick(reg, path, fd, &res);
    if (probe_only) {
        if (fd >= 0)
            close(fd);
        frame_begin(out, 'R');
        worker_pack_reply(out, rc, 0, &res);
        frame_end(out);
        extract_result_clear(&res);
        return write_all(WORKER_FD, out->p, out->len);
    }
    if (rc == 0) {
        frame_begin(out, 'P');
        dbuf_add_str(out, res.plugin->desc->name);
        dbuf_add_str(out, res.plugin->desc->version);
        frame_end(out);
        if (write_all(WORKER_FD, out->p, out->len) < 0) {
            close(fd);
            extract_result_clear(&res);
            return -EPIPE;
        }
    }
    /* Hash before extracting: if the file changes meanwhile, the record
     * then holds the older hash, so the next look re-extracts it; hashed
     * after, the newer hash would pass the stale documents as current.
     * A file no plugin takes is hashed too: touched but unchanged, it is
     * not failed again.  The plugin reads the same open file. */
    if (fd >= 0 && filestate_hash_fd(fd, EXTRACT_MAX_FILE_BYTES, &hash) < 0)
        hash = 0;
    if (rc == 0)
        rc = extract_run(path, fd, &res);
    if (fd >= 0)
        close(fd);
    frame_begin(out, 'R');
    worker_pack_reply(out, rc, hash, &res);
    frame_end(out);
    extract_result_clear(&res);
    return write_all(WORKER_FD, out->p, out->len);
}

/* Resident memory of this process, MB; 0 if unknown. */
static unsigned long
resident_mb(void)
{
    unsigned long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "re");

    if (f == NULL)
        return 0;
    if (fscanf(f, "%lu %lu", &size, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * (unsigned long)sysconf(_SC_PAGESIZE) >> 20;
}

int
worker_main(const char *plugin_dir, unsigned mem_mb)
{
    struct plugins *reg;
    struct dbuf in = { 0 }, out = { 0 };
    int status = 0, saved_level, rc;
    enum sandbox_mode mode;
    char why[256] = "";

#ifndef WORKER_HAVE_ASAN
    if (mem_mb > 0) {
        struct rlimit rl;

        rl.rlim_cur = rl.rlim_max = (rlim_t)mem_mb << 20;
        if (setrlimit(RLIMIT_AS, &rl) < 0)
            log_warn("worker: cannot limit memory to %u MB: %s", mem_mb,
                     strerror(errno));
    }
#else
    /* AddressSanitizer reserves terabytes of address space up front. */
    (void)mem_mb;
#endif
    /* The daemon decides when a worker stops: a Ctrl-C on the terminal
     * or a service manager's SIGTERM to every process must not kill a
     * worker mid-file (its file would be recorded as failed); the daemon
     * cancels and kills its workers itself, and they die with it
     * (PR_SET_PDEATHSIG). */
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    reg = plugins_new();
    /* The daemon loaded the same folder and said what it refused. */
    saved_level = log_max_level;
    log_max_level = 0;
    rc = plugins_load_dir(reg, plugin_dir);
    log_max_level = saved_level;
    if (rc < 0) {
        log_err("worker: cannot read plugin folder %s", plugin_dir);
        plugins_free(reg);
        return 1;
    }
    /* Nothing to read from stdin, nothing for a plugin to print on the
     * daemon's stdout: both become /dev/null (stderr stays, for log
     * lines; the filter lets it be appended to only).  WORKER_FD is
     * open, so open() cannot return it. */
    {
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
            if (null > STDERR_FILENO)
                close(null);
        }
    }
    /* From here on the worker only reads files and answers on its pipe:
     * give up the rest before the first request (sandbox.h). */
    mode = sandbox_enter(WORKER_FD, why, sizeof why);
    log_debug("worker: sandbox %s%s%s", sandbox_mode_name(mode),
              why[0] ? ": " : "", why);
    /* Ready: the daemon starts a file's deadline only now, so the time
     * to load the plugins is never charged to a file. */
    frame_begin(&out, 'H');
    dbuf_add_u32(&out, (uint32_t)mode);
    dbuf_add_str(&out, why);
    frame_end(&out);
    if (write_all(WORKER_FD, out.p, out.len) < 0) {
        free(out.p);
        plugins_free(reg);
        return 1;
    }
    for (;;) {
        char type, *path;

        rc = read_frame(WORKER_FD, -1, &type, &in);
        if (rc == -EPIPE)
            break;          /* the daemon is done with us */
        if (rc < 0 || (type != 'E' && type != 'Q') || in.len == 0 ||
            memchr(in.p, '\0', in.len) != NULL) {
            log_err("worker: bad request from the daemon");
            status = 1;
            break;
        }
        path = xstrndup(in.p, in.len);
        rc = serve_one(reg, path, type == 'Q', &out);
        free(path);
        if (rc < 0)
            break;          /* the daemon went away mid-reply */
        /* A plugin that leaks would starve the next files: start afresh
         * (the daemon starts a new worker when it sees this one gone). */
        if (resident_mb() > (mem_mb ? mem_mb / 2 : WORKER_MAX_RESIDENT_MB)) {
            log_info("worker: %lu MB resident after a file; restarting",
                     resident_mb());
            break;
        }
    }
    free(in.p);
    free(out.p);
    plugins_free(reg);
    return status;
}

/* ---- the daemon's pool -------------------------------------------------- */

struct wslot {
    pid_t pid;      /* 0: not running */
    int fd;         /* our end of the socket pair; -1 when not running */
    bool is_busy;
    unsigned gen;   /* the pool's gen when it was started */
    unsigned deadline_ms;   /* the pool's, taken for the call in progress */
};

struct wpool {
    char *exe;          /* owned */
    char *plugin_dir;   /* owned */
    unsigned deadline_ms, mem_mb;
    int log_level;
    unsigned gen;           /* bumped by wpool_reload */

    pthread_mutex_t lock;   /* guards the slots, is_cancelled, and the
                             * settings wpool_reload changes */
    pthread_cond_t cond;
    struct wslot *slots;    /* owned */
    unsigned n;
    bool is_cancelled;
    enum sandbox_mode sandbox;  /* what the last worker to start said */
    bool is_sandbox_warned;     /* "none" logged once */
};

struct wpool *
wpool_new(const struct wpool_config *cfg)
{
    struct wpool *p = xcalloc(1, sizeof *p);

    p->exe = xstrdup(cfg->exe);
    p->plugin_dir = xstrdup(cfg->plugin_dir);
    p->deadline_ms = cfg->deadline_ms;
    p->mem_mb = cfg->mem_mb;
    p->log_level = cfg->log_level;
    p->n = cfg->workers > 0 ? cfg->workers : 1;
    p->slots = xcalloc(p->n, sizeof *p->slots);
    for (unsigned i = 0; i < p->n; i++)
        p->slots[i].fd = -1;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    return p;
}

static int
spawn(struct wpool *p, struct wslot *s)
{
    int sv[2];
    pid_t pid, parent = getpid();
    bool is_cancelled;
    char mem[16], level[16];
    char *dir;
    char *argv[] = {
        "searchd", "--worker", "--plugin-dir", NULL,
        "--worker-mem", mem, "--log-level", level,
        log_is_syslog() ? "--log-syslog" : NULL, NULL,
    };

    /* What wpool_reload may change, as of now. */
    pthread_mutex_lock(&p->lock);
    dir = xstrdup(p->plugin_dir);
    snprintf(mem, sizeof mem, "%u", p->mem_mb);
    snprintf(level, sizeof level, "%s",
             p->log_level >= LOG_LEVEL_DEBUG  ? "debug"
             : p->log_level >= LOG_LEVEL_INFO ? "info"
             : p->log_level >= LOG_LEVEL_WARN ? "warn" : "err");
    s->gen = p->gen;
    pthread_mutex_unlock(&p->lock);
    argv[3] = dir;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        int e = errno;
        free(dir);
        return -e;
    }
    pid = fork();
    if (pid < 0) {
        int e = errno;
        close(sv[0]);
        close(sv[1]);
        free(dir);
        return -e;
    }
    if (pid == 0) {
        /* Only async-signal-safe calls until exec. */
        sigset_t none;

        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        signal(SIGPIPE, SIG_DFL);
        /* Out of the daemon's process group: terminal signals go to
         * the daemon only. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        if (dup2(sv[1], WORKER_FD) < 0)
            _exit(127);
        close_range(WORKER_FD + 1, ~0u, 0);
        execv(p->exe, argv);
        _exit(127);
    }
    free(dir);
    close(sv[1]);
    s->fd = sv[0];
    /* Under the lock, so wpool_cancel either sees the pid and kills it
     * or has already set is_cancelled, which we see here. */
    pthread_mutex_lock(&p->lock);
    s->pid = pid;
    is_cancelled = p->is_cancelled;
    pthread_mutex_unlock(&p->lock);
    if (is_cancelled)
        kill(pid, SIGKILL);
    log_debug("worker: started pid %ld", (long)pid);
    return 0;
}

/* Record the sandbox a new worker reports in its ready frame (b). */
static int
note_sandbox(struct wpool *p, const struct dbuf *b)
{
    struct dcur c = { b->p, b->len, 0 };
    uint32_t mode = dcur_u32(&c);
    char *why = dcur_str(&c);
    bool is_warn = false;

    if (c.err == 0 && (mode == SANDBOX_NONE || mode == SANDBOX_SECCOMP)) {
        pthread_mutex_lock(&p->lock);
        p->sandbox = (enum sandbox_mode)mode;
        if (mode == SANDBOX_NONE && !p->is_sandbox_warned)
            is_warn = p->is_sandbox_warned = true;
        pthread_mutex_unlock(&p->lock);
        if (is_warn)
            log_warn("worker: extraction workers run without a system call "
                     "filter (%s); plugins can do what searchd's user can",
                     why ? why : "");
    } else if (c.err == 0) {
        c.err = -EBADMSG;
    }
    free(why);
    return c.err;
}

/* Wait for a new worker's ready frame.  0, or < 0 with r->reason set
 * (the caller reaps the worker). */
static int
await_ready(struct wpool *p, struct wslot *s, struct wresult *r)
{
    struct dbuf b = { 0 };
    char type = 0;
    int rc = read_frame(s->fd, now_ms() + WPOOL_START_MS, &type, &b);

    if (rc == 0 && type != 'H')
        rc = -EBADMSG;
    if (rc == 0)
        rc = note_sandbox(p, &b);
    free(b.p);
    if (rc == -ETIMEDOUT)
        snprintf(r->reason, sizeof r->reason, "the extraction worker did "
                 "not start within %u ms", WPOOL_START_MS);
    else if (rc < 0)
        snprintf(r->reason, sizeof r->reason, "the extraction worker did "
                 "not start (%s)", rc == -EPIPE ? "it exited"
                                                : strerror(-rc));
    return rc;
}

/* Kill (if still running) and reap the worker; its exit status. */
static int
reap(struct wpool *p, struct wslot *s, bool is_kill)
{
    int st = 0;
    pid_t pid;

    pthread_mutex_lock(&p->lock);
    pid = s->pid;
    s->pid = 0;
    pthread_mutex_unlock(&p->lock);
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    if (pid <= 0)
        return 0;
    if (is_kill)
        kill(pid, SIGKILL);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return st;
}

static void
describe_death(struct wresult *r, int st, const char *plugin)
{
    const char *who = plugin[0] ? plugin : "(none chosen yet)";

    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
        snprintf(r->reason, sizeof r->reason,
                 "plugin %s made a system call the worker's sandbox forbids "
                 "(seccomp violation: network, exec, a new process or a "
                 "write); worker killed by signal %d (%s)", who,
                 WTERMSIG(st), strsignal(WTERMSIG(st)));
    else if (WIFSIGNALED(st))
        snprintf(r->reason, sizeof r->reason,
                 "plugin %s crashed: worker killed by signal %d (%s)", who,
                 WTERMSIG(st), strsignal(WTERMSIG(st)));
    else if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        snprintf(r->reason, sizeof r->reason,
                 "cannot run the extraction worker");
    else
        snprintf(r->reason, sizeof r->reason,
                 "plugin %s crashed: worker exited with status %d", who,
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int
worker_parse_reply(const char *p, size_t len, struct wresult *r)
{
    struct dcur c = { p, len, 0 };
    char *reason, *plugin, *version;
    uint32_t n;

    r->rc = (int32_t)dcur_u32(&c);
    r->hash = dcur_u64(&c);
    reason = dcur_str(&c);
    plugin = dcur_str(&c);
    version = dcur_str(&c);
    n = dcur_u32(&c);
    /* A packed document takes at least 64 bytes (16 lengths). */
    if (c.err == 0 && (r->rc > 0 || r->rc < -4095 || n > c.len / 64))
        c.err = -EBADMSG;
    snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
    snprintf(r->plugin, sizeof r->plugin, "%s", plugin ? plugin : "");
    snprintf(r->plugin_version, sizeof r->plugin_version, "%s",
             version ? version : "");
    free(reason);
    free(plugin);
    free(version);
    if (c.err == 0 && n > 0)
        r->docs = xcalloc(n, sizeof *r->docs);
    for (uint32_t i = 0; c.err == 0 && i < n; i++) {
        r->docs[i] = doc_unpack(&c);
        if (r->docs[i] != NULL)
            r->n++;
    }
    if (c.err == 0 && c.len != 0)
        c.err = -EBADMSG;
    return c.err;
}

/* One request on slot s (running).  Returns 0 when the worker answered
 * (r filled), or < 0 when the worker must go (r->reason filled). */
static int
call(struct wpool *p, struct wslot *s, char kind, const char *path,
     struct wresult *r)
{
    struct dbuf b = { 0 };
    int64_t deadline = now_ms() + s->deadline_ms;
    int rc;
    char type;

    frame_begin(&b, kind);
    dbuf_add(&b, path, strlen(path));
    frame_end(&b);
    rc = write_all(s->fd, b.p, b.len);
    while (rc == 0) {
        rc = read_frame(s->fd, deadline, &type, &b);
        if (rc < 0)
            break;
        if (type == 'P') {
            struct dcur c = { b.p, b.len, 0 };
            char *name = dcur_str(&c), *version = dcur_str(&c);

            snprintf(r->plugin, sizeof r->plugin, "%s", name ? name : "");
            snprintf(r->plugin_version, sizeof r->plugin_version, "%s",
                     version ? version : "");
            free(name);
            free(version);
            rc = c.err;
        } else if (type == 'R') {
            rc = worker_parse_reply(b.p, b.len, r);
            if (rc == 0) {
                free(b.p);
                return 0;
            }
        } else {
            rc = -EBADMSG;
        }
    }
    free(b.p);
    /* The worker is dead, hung, or talking nonsense: it goes. */
    for (size_t i = 0; i < r->n; i++)
        doc_free(r->docs[i]);
    free(r->docs);
    r->docs = NULL;
    r->n = 0;
    if (rc == -ETIMEDOUT) {
        reap(p, s, true);
        r->rc = -ETIMEDOUT;
        snprintf(r->reason, sizeof r->reason,
                 "plugin %s timed out after %u ms; worker killed",
                 r->plugin[0] ? r->plugin : "(none chosen yet)",
                 s->deadline_ms);
    } else if (rc == -EBADMSG) {
        reap(p, s, true);
        r->rc = -EIO;
        snprintf(r->reason, sizeof r->reason,
                 "malformed reply from the extraction worker");
    } else {
        /* End of file or a socket error: it died.  SIGKILL is harmless
         * on a zombie and ends one that merely closed its socket. */
        int st = reap(p, s, true);

        describe_death(r, st, r->plugin);
        /* A worker that could not even be run says nothing about the
         * file: -EIO, so it is not recorded as failed. */
        r->rc = WIFEXITED(st) && WEXITSTATUS(st) == 127 ? -EIO : -ECHILD;
    }
    return rc;
}

/* Stop an idle worker (pid, talking on fd): end of file tells it to
 * exit; one that has not within a second is killed. */
static void
stop_worker(pid_t pid, int fd)
{
    int64_t until = now_ms() + 1000;

    if (pid == 0)
        return;
    close(fd);
    while (waitpid(pid, NULL, WNOHANG) == 0) {
        if (now_ms() > until) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            break;
        }
        usleep(2000);
    }
}

static bool
wpool_is_cancelled(struct wpool *p)
{
    bool c;

    pthread_mutex_lock(&p->lock);
    c = p->is_cancelled;
    pthread_mutex_unlock(&p->lock);
    return c;
}

/* A request of kind 'E' or 'Q' for path in a free worker. */
static int
wpool_call(struct wpool *p, char kind, const char *path, struct wresult *out)
{
    struct wslot *s = NULL;
    pid_t stale_pid;
    int stale_fd, rc;

    wresult_clear(out);
    pthread_mutex_lock(&p->lock);
    for (;;) {
        if (p->is_cancelled)
            break;
        for (unsigned i = 0; i < p->n && s == NULL; i++)
            if (!p->slots[i].is_busy)
                s = &p->slots[i];
        if (s != NULL)
            break;
        pthread_cond_wait(&p->cond, &p->lock);
    }
    if (s == NULL) {
        pthread_mutex_unlock(&p->lock);
        out->rc = -ECANCELED;
        snprintf(out->reason, sizeof out->reason, "searchd is shutting down");
        return out->rc;
    }
    s->is_busy = true;
    s->deadline_ms = p->deadline_ms;
    /* Started before a reload: its plugins may be old ones. */
    stale_pid = s->pid != 0 && s->gen != p->gen ? s->pid : 0;
    stale_fd = s->fd;
    if (stale_pid != 0) {
        s->pid = 0;
        s->fd = -1;
    }
    pthread_mutex_unlock(&p->lock);

    stop_worker(stale_pid, stale_fd);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (s->pid == 0) {
            rc = spawn(p, s);
            if (rc < 0) {
                out->rc = -EIO;
                snprintf(out->reason, sizeof out->reason,
                         "cannot start an extraction worker: %s",
                         strerror(-rc));
                break;
            }
            if (await_ready(p, s, out) < 0) {
                /* Nothing is known about the file: -EIO, no record. */
                reap(p, s, true);
                out->rc = -EIO;
                break;
            }
        }
        rc = call(p, s, kind, path, out);
        /* A worker that died before reading the request (it was idle,
         * or could not even start) gets one more try in a fresh one. */
        if (rc == -EPIPE && out->plugin[0] == '\0' && attempt == 0 &&
            !wpool_is_cancelled(p)) {
            memset(out, 0, sizeof *out);
            continue;
        }
        break;
    }

    pthread_mutex_lock(&p->lock);
    if (p->is_cancelled && out->rc < 0) {
        out->rc = -ECANCELED;
        snprintf(out->reason, sizeof out->reason, "searchd is shutting down");
    }
    s->is_busy = false;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return out->rc;
}

int
wpool_extract(struct wpool *p, const char *path, struct wresult *out)
{
    return wpool_call(p, 'E', path, out);
}

int
wpool_probe(struct wpool *p, const char *path, struct wresult *out)
{
    return wpool_call(p, 'Q', path, out);
}

void
wpool_cancel(struct wpool *p)
{
    pthread_mutex_lock(&p->lock);
    p->is_cancelled = true;
    for (unsigned i = 0; i < p->n; i++)
        if (p->slots[i].is_busy && p->slots[i].pid > 0)
            kill(p->slots[i].pid, SIGKILL);
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

void
wpool_reap_idle(struct wpool *p)
{
    pthread_mutex_lock(&p->lock);
    for (unsigned i = 0; i < p->n; i++) {
        struct wslot *s = &p->slots[i];

        /* A busy slot is its caller's; an idle one only changes under
         * the lock. */
        if (s->is_busy || s->pid == 0 ||
            waitpid(s->pid, NULL, WNOHANG) != s->pid)
            continue;
        log_debug("worker: pid %ld exited while idle", (long)s->pid);
        close(s->fd);
        s->fd = -1;
        s->pid = 0;
    }
    pthread_mutex_unlock(&p->lock);
}

enum sandbox_mode
wpool_sandbox(struct wpool *p)
{
    enum sandbox_mode m;

    pthread_mutex_lock(&p->lock);
    m = p->sandbox;
    pthread_mutex_unlock(&p->lock);
    return m;
}

void
wpool_reload(struct wpool *p, const struct wpool_config *cfg)
{
    pthread_mutex_lock(&p->lock);
    free(p->plugin_dir);
    p->plugin_dir = xstrdup(cfg->plugin_dir);
    p->deadline_ms = cfg->deadline_ms;
    p->mem_mb = cfg->mem_mb;
    p->log_level = cfg->log_level;
    p->gen++;
    pthread_mutex_unlock(&p->lock);
}

void
wpool_free(struct wpool *p)
{
    if (p == NULL)
        return;
    for (unsigned i = 0; i < p->n; i++)
        stop_worker(p->slots[i].pid, p->slots[i].fd);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p->slots);
    free(p->exe);
    free(p->plugin_dir);
    free(p);
}
