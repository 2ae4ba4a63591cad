/*
 * refuse-seccomp.c - test helper: run a program on a "kernel" that
 * refuses system call filters, to test searchd's fallback for real.
 *
 *     refuse-seccomp PROGRAM [ARG...]
 *
 * Installs a seccomp filter of its own (raw BPF, no libseccomp) that
 * makes seccomp(2) and prctl(PR_SET_SECCOMP) fail with EINVAL, as on a
 * kernel built without CONFIG_SECCOMP_FILTER or inside a container that
 * forbids them, then execs PROGRAM.  Filters are inherited across fork
 * and exec, so searchd's workers meet the refusal when they try to load
 * theirs.  Everything else is allowed.  (No architecture check: a test
 * helper, not a sandbox.)
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>

int
main(int argc, char **argv)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_seccomp, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_prctl, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                 offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_SECCOMP, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {
        .len = (unsigned short)(sizeof code / sizeof code[0]),
        .filter = code,
    };

    if (argc < 2) {
        fprintf(stderr, "usage: refuse-seccomp PROGRAM [ARG...]\n");
        return 2;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
        prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        fprintf(stderr, "refuse-seccomp: cannot install the filter: %s\n",
                strerror(errno));
        return 77;
    }
    execvp(argv[1], argv + 1);
    fprintf(stderr, "refuse-seccomp: %s: %s\n", argv[1], strerror(errno));
    return 127;
}
