/*
 * sdnotify.c - socket activation and the notify socket (sdnotify.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sdnotify.h"
#include "util.h"

static struct {
    struct sockaddr_un addr;
    socklen_t addr_len;     /* 0: no notify socket */
    int fd;                 /* -1 until the first notify */
    uint64_t watchdog_usec;
} sdn = { .fd = -1 };

/* $name as a decimal number for this process, or -1 (absent, malformed,
 * or for another process per $pid_name). */
static long long
env_number(const char *name)
{
    const char *v = getenv(name);
    long long n;
    char *end;

    if (v == NULL || *v == '\0')
        return -1;
    errno = 0;
    n = strtoll(v, &end, 10);
    if (errno != 0 || *end != '\0' || n < 0)
        return -1;
    return n;
}

static bool
env_pid_is_us(const char *name, bool absent_ok)
{
    long long pid = env_number(name);

    if (getenv(name) == NULL)
        return absent_ok;
    return pid == (long long)getpid();
}

int
sdn_listen_fds(void)
{
    long long n = env_number("LISTEN_FDS");
    bool ours = env_pid_is_us("LISTEN_PID", false);

    unsetenv("LISTEN_PID");
    unsetenv("LISTEN_FDS");
    unsetenv("LISTEN_FDNAMES");
    if (!ours || n <= 0 || n > 1024)
        return 0;
    for (int fd = SDN_LISTEN_FDS_START; fd < SDN_LISTEN_FDS_START + n;
         fd++) {
        int flags = fcntl(fd, F_GETFD);

        if (flags < 0)
            return -EBADF;
        if (fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
            return -errno;
    }
    return (int)n;
}

void
sdn_init(void)
{
    const char *path = getenv("NOTIFY_SOCKET");
    long long usec = env_number("WATCHDOG_USEC");
    size_t len;

    sdn_close();
    if (path != NULL && (path[0] == '/' || path[0] == '@') &&
        (len = strlen(path)) > 1 && len < sizeof sdn.addr.sun_path) {
        sdn.addr.sun_family = AF_UNIX;
        memcpy(sdn.addr.sun_path, path, len);
        if (path[0] == '@')
            sdn.addr.sun_path[0] = '\0';    /* the abstract namespace */
        sdn.addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
                                   len + (path[0] == '/'));
    }
    if (usec > 0 && env_pid_is_us("WATCHDOG_PID", true))
        sdn.watchdog_usec = (uint64_t)usec;
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
}

int
sdn_notify(const char *state)
{
    ssize_t n;

    if (sdn.addr_len == 0)
        return 0;
    if (sdn.fd < 0) {
        sdn.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (sdn.fd < 0)
            return -errno;
    }
    n = sendto(sdn.fd, state, strlen(state), MSG_NOSIGNAL,
               (const struct sockaddr *)&sdn.addr, sdn.addr_len);
    return n < 0 ? -errno : 0;
}

int
sdn_notifyf(const char *fmt, ...)
{
    char buf[512];
    va_list ap;

    if (sdn.addr_len == 0)
        return 0;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return sdn_notify(buf);
}

uint64_t
sdn_watchdog_usec(void)
{
    return sdn.watchdog_usec;
}

void
sdn_close(void)
{
    if (sdn.fd >= 0)
        close(sdn.fd);
    memset(&sdn, 0, sizeof sdn);
    sdn.fd = -1;
}
