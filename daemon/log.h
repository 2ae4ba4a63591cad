/*
 * log.h - the daemon's one logging entry point.
 *
 * Lines go to stderr (journald captures it under systemd) as
 * "searchd[pid]: <level>: <subsystem>: <object>: message", or to syslog
 * once searchd has detached from its terminal.  Messages start
 * with subsystem and object and have no trailing period.  Thread-safe: one
 * write(2) per line.
 */
#ifndef SEARCHD_LOG_H
#define SEARCHD_LOG_H

#include <stdbool.h>

enum log_level {
    LOG_LEVEL_ERR = 3,
    LOG_LEVEL_WARN = 4,
    LOG_LEVEL_INFO = 6,
    LOG_LEVEL_DEBUG = 7
};

extern int log_max_level;

void sd_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Send lines to syslog instead of stderr (a daemon without a terminal).
 * Call before starting threads. */
void log_use_syslog(void);
bool log_is_syslog(void);

/* Parse "err", "warn", "info", "debug"; 0 or -EINVAL. */
int log_parse_level(const char *s, int *level_out);


#define log_err(...)  sd_log(LOG_LEVEL_ERR, __VA_ARGS__)
#define log_warn(...) sd_log(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) sd_log(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)                                                      \
    do {                                                                    \
        if (log_max_level >= LOG_LEVEL_DEBUG)                               \
            sd_log(LOG_LEVEL_DEBUG, __VA_ARGS__);                           \
    } while (0)

#endif /* SEARCHD_LOG_H */
