/*
 * log.c - sd_log and the libevent log hook.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>


#include "log.h"

int log_max_level = LOG_LEVEL_INFO;

/* Set once at start-up, before any thread exists. */
static bool use_syslog;

void
log_use_syslog(void)
{
    openlog("searchd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
    use_syslog = true;
}

bool
log_is_syslog(void)
{
    return use_syslog;
}


static const char *
level_name(int level)
{
    switch (level) {
    case LOG_LEVEL_ERR:   return "error";
    case LOG_LEVEL_WARN:  return "warning";
    case LOG_LEVEL_INFO:  return "info";
    default:              return "debug";
    }
}

void
sd_log(int level, const char *fmt, ...)
{
    char line[2048];
    int n, m;
    va_list ap;
    int saved = errno;

    if (level > log_max_level)
        return;
    if (use_syslog) {
        va_start(ap, fmt);
        vsyslog(level, fmt, ap);
        va_end(ap);
        errno = saved;
        return;
    }
    /* Under systemd (JOURNAL_STREAM set) a "<N>" prefix gives journald the
     * level; on a terminal it would only be noise. */
    if (getenv("JOURNAL_STREAM") != NULL)
        n = snprintf(line, sizeof line, "<%d>%s: ", level, level_name(level));
    else
        n = snprintf(line, sizeof line, "searchd[%ld]: %s: ", (long)getpid(),
                     level_name(level));
    if (n < 0)
        n = 0;
    va_start(ap, fmt);
    m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (m < 0)
        m = 0;
    n += m;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    /* One write per line keeps lines whole across threads. */
    (void)!write(STDERR_FILENO, line, (size_t)n);
    errno = saved;
}

int
log_parse_level(const char *s, int *level_out)
{
    static const struct { const char *name; int level; } names[] = {
        { "err", LOG_LEVEL_ERR },   { "error", LOG_LEVEL_ERR },
        { "warn", LOG_LEVEL_WARN }, { "warning", LOG_LEVEL_WARN },
        { "info", LOG_LEVEL_INFO }, { "debug", LOG_LEVEL_DEBUG },
    };

    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i].name) == 0) {
            *level_out = names[i].level;
            return 0;
        }
    }
    return -EINVAL;
}
