/*
 * sandbox.h - what an extraction worker gives up before it reads its first
 * request, so that a hostile or broken plugin can read the file it is
 * given and little more.
 *
 * The worker (worker.h) calls sandbox_enter once its plugins are loaded.
 * It sets PR_SET_NO_NEW_PRIVS and, when searchd was built with libseccomp,
 * installs a system call filter (allow by default, deny a list):
 *   - no network: socket() of any family but AF_UNIX kills the process,
 *     AF_UNIX and socketpair() fail with EACCES (the C library's syslog
 *     reconnect must fail quietly), connect/bind/listen/accept kill;
 *   - no new programs or processes: execve, execveat, fork, vfork and a
 *     clone() that is not a thread kill (clone3 fails with ENOSYS, so the
 *     C library falls back on clone, whose flags the filter can read);
 *   - no writes outside the pipe to the daemon: open/openat with
 *     O_WRONLY, O_RDWR, O_CREAT or O_TRUNC, creat, every call that changes
 *     the file system (unlink, rename, mkdir, chmod, truncate, xattrs...)
 *     and write() and its kin on a descriptor above the daemon's (fd 3)
 *     kill; openat2 fails with ENOSYS;
 *   - no signals to other processes, no ptrace, io_uring, bpf, mounts,
 *     modules, namespaces or keyrings.
 * The action is SCMP_ACT_KILL_PROCESS: the worker dies of SIGSYS, and the
 * daemon records the file as failed with "seccomp violation".
 *
 * Where the kernel refuses the filter (no seccomp, or a container that
 * forbids it) the worker goes on without one and says so; the daemon
 * warns once and `status` reports "sandbox": "none".
 */
#ifndef SEARCHD_SANDBOX_H
#define SEARCHD_SANDBOX_H

#include <stddef.h>

enum sandbox_mode {
    SANDBOX_UNKNOWN = 0,    /* no worker has started yet */
    SANDBOX_NONE,           /* workers run unfiltered */
    SANDBOX_SECCOMP,        /* workers run under the filter */
};

/* "unknown", "none" or "seccomp"; static. */
const char *sandbox_mode_name(enum sandbox_mode m);

/*
 * Enter the sandbox, for good, in the calling process (single-threaded:
 * the filter binds only the calling thread).  fd is the descriptor the
 * worker writes its replies to; writes to higher descriptors are denied.
 * Returns SANDBOX_SECCOMP, or SANDBOX_NONE with why filled (copied into
 * why, whylen bytes) saying what the kernel or the build refused.
 */
enum sandbox_mode sandbox_enter(int fd, char *why, size_t whylen);

#endif /* SEARCHD_SANDBOX_H */
