/*
 * sandbox.c - the extraction workers' system call filter (sandbox.h).
 *
 * A deny list over an allow-by-default filter, not an allow list: a
 * plugin's libraries (iconv's modules, a parser's allocator) may use any
 * harmless call, and a worker killed for one it was not expected to make
 * would lose every file.  What is denied is what a plugin never needs:
 * talking to anything, starting anything, changing any file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#ifdef HAVE_SECCOMP
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#endif

#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_HAVE_ASAN 1
#endif
#endif

const char *
sandbox_mode_name(enum sandbox_mode m)
{
    switch (m) {
    case SANDBOX_NONE:
        return "none";
    case SANDBOX_SECCOMP:
        return "seccomp";
    default:
        return "unknown";
    }
}

#ifdef HAVE_SECCOMP

/* Denied outright: the process is killed. */
static const char *const KILL_ALWAYS[] = {
    /* new programs and processes */
    "execve", "execveat", "fork", "vfork",
    /* the network */
    "connect", "bind", "listen", "accept", "accept4",
    /* changing the file system */
    "creat", "unlink", "unlinkat", "rename", "renameat", "renameat2",
    "mkdir", "mkdirat", "rmdir", "link", "linkat", "symlink", "symlinkat",
    "mknod", "mknodat", "truncate", "ftruncate", "fallocate", "chmod",
    "fchmod", "fchmodat", "chown", "fchown", "lchown", "fchownat", "utime",
    "utimes", "utimensat", "futimesat", "setxattr", "lsetxattr",
    "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
    "name_to_handle_at", "open_by_handle_at",
    /* ways around the rules above */
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "process_vm_readv", "process_vm_writev", "tkill", "userfaultfd",
    /* the system's business, never a plugin's (workers may run as root) */
    "mount", "umount2", "pivot_root", "chroot", "swapon", "swapoff",
    "reboot", "init_module", "finit_module", "delete_module", "kexec_load",
    "kexec_file_load", "bpf", "perf_event_open", "unshare", "setns",
    "keyctl", "add_key", "request_key", "acct", "settimeofday",
    "clock_settime", "sethostname", "setdomainname", "quotactl", "syslog",
    "quotactl_fd", "iopl", "ioperm",
    /* the new mount API and the newer *at calls, around the list above */
    "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
    "mount_setattr", "fchmodat2", "setxattrat", "removexattrat",
    /* reaching the daemon: signals and stolen descriptors by pidfd */
    "pidfd_open", "pidfd_send_signal", "pidfd_getfd", "kcmp",
    /* other processes' scheduling (a plugin has no use for its own) */
    "setpriority", "sched_setaffinity", "sched_setscheduler",
    "sched_setparam", "sched_setattr", "ioprio_set",
    /* moving data between descriptors without write() */
    "sendfile", "splice", "tee", "vmsplice", "copy_file_range",
    /* writing at an offset: the pipe has none, and stderr (which may be
     * the daemon's log file) must only be appended to */
    "pwrite64", "pwritev", "pwritev2",
    /* talking to other processes of the user behind the daemon's back */
    "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop",
    "semtimedop", "semctl", "shmget", "shmat", "shmdt", "shmctl",
    "mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive",
    "mq_notify", "mq_getsetattr",
#ifndef SANDBOX_HAVE_ASAN
    /* LeakSanitizer's exit check ptraces the worker's own threads. */
    "ptrace",
#endif
};

/* Writes to a descriptor above the daemon's pipe kill. */
static const char *const WRITES[] = {
    "write", "writev", "sendto", "sendmsg", "sendmmsg",
};

/* Add rule (action, the call named name, conditions); a call this
 * architecture does not have is skipped.  0 or -errno. */
static int
rule(scmp_filter_ctx ctx, uint32_t action, const char *name,
     unsigned n, const struct scmp_arg_cmp *cmp)
{
    int nr = seccomp_syscall_resolve_name(name);

    if (nr == __NR_SCMP_ERROR || nr < 0)
        return 0;
    return seccomp_rule_add_array(ctx, action, nr, n, cmp);
}

/* The filter; 0, or -errno with *what naming the step that failed. */
static int
build(scmp_filter_ctx ctx, int fd, const char **what)
{
    /* KILL_PROCESS (Linux 4.14) takes every thread; before it, the
     * calling thread's death is the worker's (it has only one). */
    uint32_t kill = seccomp_api_get() >= 3 ? SCMP_ACT_KILL_PROCESS
                                           : SCMP_ACT_KILL;
    static const unsigned long write_flags[] = {
        O_WRONLY, O_RDWR, O_CREAT, O_TRUNC,
    };
    pid_t self = getpid();
    int rc = 0;

    *what = "adding a rule";
    for (size_t i = 0; rc == 0 && i < sizeof KILL_ALWAYS / sizeof *KILL_ALWAYS;
         i++)
        rc = rule(ctx, kill, KILL_ALWAYS[i], 0, NULL);
    for (size_t i = 0; rc == 0 && i < sizeof WRITES / sizeof *WRITES; i++) {
        struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_GT, (scmp_datum_t)fd, 0);

        rc = rule(ctx, kill, WRITES[i], 1, &c);
    }
    /* Opening for writing, by the flags (open: arg 1; openat: arg 2). */
    for (size_t i = 0;
         rc == 0 && i < sizeof write_flags / sizeof *write_flags; i++) {
        struct scmp_arg_cmp o = SCMP_A1(SCMP_CMP_MASKED_EQ, write_flags[i],
                                        write_flags[i]);
        struct scmp_arg_cmp oat = SCMP_A2(SCMP_CMP_MASKED_EQ,
                                          write_flags[i], write_flags[i]);

        rc = rule(ctx, kill, "open", 1, &o);
        if (rc == 0)
            rc = rule(ctx, kill, "openat", 1, &oat);
    }
    /* openat2 and clone3 pass their flags in memory the filter cannot
     * read: ENOSYS makes the C library use openat and clone. */
    if (rc == 0)
        rc = rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "openat2", 0, NULL);
    if (rc == 0)
        rc = rule(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
    /* Threads only.  (LeakSanitizer's exit check clones a tracer that
     * shares the memory but is not a thread.) */
    if (rc == 0) {
#ifdef SANDBOX_HAVE_ASAN
        unsigned long mask = CLONE_THREAD | CLONE_VM;
#else
        unsigned long mask = CLONE_THREAD;
#endif
        struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, mask, 0);

        rc = rule(ctx, kill, "clone", 1, &c);
    }
    /* Sockets: only AF_UNIX fails softly (see sandbox.h). */
    if (rc == 0) {
        struct scmp_arg_cmp un = SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0);
        struct scmp_arg_cmp other = SCMP_A0(SCMP_CMP_NE, AF_UNIX, 0);

        rc = rule(ctx, SCMP_ACT_ERRNO(EACCES), "socket", 1, &un);
        if (rc == 0)
            rc = rule(ctx, kill, "socket", 1, &other);
        if (rc == 0)
            rc = rule(ctx, SCMP_ACT_ERRNO(EACCES), "socketpair", 0, NULL);
    }
    /* No new descriptor at or below the pipe: dup2 onto stdout would
     * make another descriptor writable under the WRITES rule. */
    if (rc == 0) {
        struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_LE, (scmp_datum_t)fd, 0);

        rc = rule(ctx, kill, "dup2", 1, &c);
        if (rc == 0)
            rc = rule(ctx, kill, "dup3", 1, &c);
    }
    /* Limits of itself only: glibc's getrlimit and setrlimit pass pid
     * 0; another pid (the daemon's) could be starved of file size. */
    if (rc == 0) {
        struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_NE, 0, 0);

        rc = rule(ctx, kill, "prlimit64", 1, &c);
    }
    /* No keystrokes pushed into a terminal the worker inherited. */
    if (rc == 0) {
        struct scmp_arg_cmp sti = SCMP_A1(SCMP_CMP_EQ, TIOCSTI, 0);
        struct scmp_arg_cmp lnx = SCMP_A1(SCMP_CMP_EQ, TIOCLINUX, 0);

        rc = rule(ctx, kill, "ioctl", 1, &sti);
        if (rc == 0)
            rc = rule(ctx, kill, "ioctl", 1, &lnx);
    }
    /* Signals to itself only (abort() and raise() use tgkill). */
    if (rc == 0) {
        struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)self, 0);

        rc = rule(ctx, kill, "kill", 1, &c);
        if (rc == 0)
            rc = rule(ctx, kill, "tgkill", 1, &c);
        if (rc == 0)
            rc = rule(ctx, kill, "rt_sigqueueinfo", 1, &c);
        if (rc == 0)
            rc = rule(ctx, kill, "rt_tgsigqueueinfo", 1, &c);
    }
    /* Every thread, including any a plugin started while loading. */
    if (rc == 0) {
        *what = "synchronising the threads";
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
    }
    if (rc < 0)
        return rc;
    *what = "loading the filter";
    return seccomp_load(ctx);
}

enum sandbox_mode
sandbox_enter(int fd, char *why, size_t whylen)
{
    scmp_filter_ctx ctx;
    const char *what = "";
    int rc;

    /* glibc's fatal messages (a corrupt heap) would otherwise open
     * /dev/tty for writing, and die of the filter instead of the bug. */
    setenv("LIBC_FATAL_STDERR_", "1", 1);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
        snprintf(why, whylen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
        return SANDBOX_NONE;
    }
    ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (ctx == NULL) {
        snprintf(why, whylen, "seccomp_init failed");
        return SANDBOX_NONE;
    }
    rc = build(ctx, fd, &what);
    seccomp_release(ctx);
    if (rc < 0) {
        snprintf(why, whylen, "seccomp: %s: %s", what, strerror(-rc));
        return SANDBOX_NONE;
    }
    return SANDBOX_SECCOMP;
}

#else /* !HAVE_SECCOMP */

enum sandbox_mode
sandbox_enter(int fd, char *why, size_t whylen)
{
    (void)fd;
    setenv("LIBC_FATAL_STDERR_", "1", 1);
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        snprintf(why, whylen, "built without libseccomp; "
                 "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
    else
        snprintf(why, whylen, "built without libseccomp");
    return SANDBOX_NONE;
}

#endif
