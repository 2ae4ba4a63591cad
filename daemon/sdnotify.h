/*
 * sdnotify.h - the two systemd interfaces searchd speaks, written from
 * their documented protocols (sd_notify(3), sd_listen_fds(3)) rather than
 * linking libsystemd: both are a few environment variables and one
 * datagram, stable for years, and a daemon started any other way must
 * behave exactly as without them.
 *
 *   - socket activation: $LISTEN_PID names us and $LISTEN_FDS counts
 *     the sockets systemd passed from fd 3 on;
 *   - the notify socket: $NOTIFY_SOCKET is a datagram socket (a path, or
 *     an abstract name starting with '@') that takes "READY=1",
 *     "STATUS=...", "WATCHDOG=1", "RELOADING=1", "STOPPING=1" lines;
 *     $WATCHDOG_USEC (for $WATCHDOG_PID, if set) asks for WATCHDOG=1 at
 *     least that often.
 *
 * Not thread-safe: call from the loop thread (or before threads start).
 */
#ifndef SEARCHD_SDNOTIFY_H
#define SEARCHD_SDNOTIFY_H

#include <stdint.h>

/* The first socket systemd passes. */
#define SDN_LISTEN_FDS_START 3

/*
 * The number of sockets passed to this process by socket activation (0
 * when none were, or they were meant for another process), which are
 * fds SDN_LISTEN_FDS_START on.  Marks them close-on-exec and removes the
 * variables from the environment, so children never take them for
 * theirs.  Call once, early.
 */
int sdn_listen_fds(void);

/*
 * Read $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID, and remove them
 * from the environment (the worker processes must not talk to systemd
 * as if they were the service).  Call once, early; the other calls
 * work from what it read.
 */
void sdn_init(void);

/*
 * Send state (one or more "KEY=value" lines) to the notify socket.  0
 * when sent or when there is no notify socket (nothing to do), or
 * -errno.  The socket is opened on first use and kept (close-on-exec)
 * until sdn_close.
 */
int sdn_notify(const char *state);

/* sdn_notify with printf formatting (truncated at 512 bytes). */
int sdn_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The watchdog interval systemd asked for, in microseconds, or 0 when
 * none was (or it was for another process).
 */
uint64_t sdn_watchdog_usec(void);

/* Close the notify socket and forget what sdn_init read. */
void sdn_close(void);

#endif /* SEARCHD_SDNOTIFY_H */
