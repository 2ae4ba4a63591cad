/*
 * check_sandbox.c - the workers' system call filter (sandbox.h), rule by
 * rule: each case forks a child that enters the sandbox and tries one
 * thing; the parent checks whether the child finished, failed softly or
 * was killed by SIGSYS.
 *
 * Under valgrind (make check-valgrind) the cases are skipped: valgrind
 * runs in the sandboxed child and makes system calls of its own (writes
 * on its own descriptors) that the filter kills.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "sandbox.h"
#include "testutil.h"

/* The descriptor the sandbox leaves writable, as a worker's WORKER_FD. */
#define PIPE_FD 3

static char tmp[512];
static char file[700];

enum expect { RUNS, KILLED, ABORTS };

static void
setup(void)
{
    FILE *f;

    tu_mkdtemp(tmp, sizeof tmp, "check_sandbox");
    snprintf(file, sizeof file, "%s/file.txt", tmp);
    f = fopen(file, "w");
    ck_assert_ptr_nonnull(f);
    fputs("some text\n", f);
    ck_assert_int_eq(fclose(f), 0);
}

static void
teardown(void)
{
    tu_rmtree(tmp);
}

static bool
under_valgrind(void)
{
    const char *v = getenv("SD_VALGRIND");

    return v != NULL && strcmp(v, "1") == 0;
}

/* ---- what the children try; each returns 0 when it got what it wanted */

static int
read_a_file(void)
{
    char buf[64];
    int fd = open(file, O_RDONLY | O_CLOEXEC);

    return fd >= 0 && read(fd, buf, sizeof buf) > 0 && close(fd) == 0 ? 0 : 1;
}

static int
write_the_pipe(void)
{
    return write(PIPE_FD, "x", 1) == 1 ? 0 : 1;
}

static int thread_token;

static void *
thread_fn(void *arg)
{
    return arg;
}

static int
start_a_thread(void)
{
    pthread_t t;
    void *ret = NULL;

    if (pthread_create(&t, NULL, thread_fn, &thread_token) != 0)
        return 1;
    return pthread_join(t, &ret) == 0 && ret == &thread_token ? 0 : 1;
}

static int
unix_socket_fails(void)
{
    return socket(AF_UNIX, SOCK_STREAM, 0) < 0 && errno == EACCES ? 0 : 1;
}

static int
socketpair_fails(void)
{
    int sv[2];

    return socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 && errno == EACCES
           ? 0 : 1;
}

static int
clone3_is_enosys(void)
{
#ifdef SYS_clone3
    return syscall(SYS_clone3, NULL, 0) < 0 && errno == ENOSYS ? 0 : 1;
#else
    return 0;
#endif
}

static int
openat2_is_enosys(void)
{
#ifdef SYS_openat2
    return syscall(SYS_openat2, AT_FDCWD, file, NULL, 0) < 0 &&
           errno == ENOSYS ? 0 : 1;
#else
    return 0;
#endif
}

static int
raise_abort(void)
{
    abort();
}

static int
inet_socket(void)
{
    return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 1;
}

static int
run_a_program(void)
{
    char *argv[] = { "true", NULL };

    execv("/bin/true", argv);
    return 1;
}

static int
fork_a_process(void)
{
    pid_t pid = fork();

    if (pid == 0)
        _exit(0);
    return pid > 0 ? 0 : 1;
}

static int
open_for_writing(void)
{
    return open(file, O_WRONLY | O_CLOEXEC) >= 0 ? 0 : 1;
}

static int
open_read_write(void)
{
    return openat(AT_FDCWD, file, O_RDWR | O_CLOEXEC) >= 0 ? 0 : 1;
}

static int
open_to_create(void)
{
    char p[800];

    snprintf(p, sizeof p, "%s/new.txt", tmp);
    return open(p, O_RDONLY | O_CREAT | O_CLOEXEC, 0600) >= 0 ? 0 : 1;
}

static int
open_to_truncate(void)
{
    return open(file, O_RDONLY | O_TRUNC | O_CLOEXEC) >= 0 ? 0 : 1;
}

static int
unlink_a_file(void)
{
    return unlink(file);
}

static int
make_a_folder(void)
{
    char p[800];

    snprintf(p, sizeof p, "%s/sub", tmp);
    return mkdir(p, 0700);
}

static int
write_another_fd(void)
{
    int fd = dup(PIPE_FD);

    return fd >= 0 && write(fd, "x", 1) == 1 ? 0 : 1;
}

static int
signal_the_parent(void)
{
    return kill(getppid(), 0);
}

static int
own_limits(void)
{
    struct rlimit rl;

    return getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
                   setrlimit(RLIMIT_NOFILE, &rl) == 0
               ? 0
               : 1;
}

static int
limit_the_parent(void)
{
    struct rlimit rl = { 0, 0 };

    return prlimit(getppid(), RLIMIT_FSIZE, NULL, &rl) == 0 ? 0 : 1;
}

static int
dup_onto_stdout(void)
{
    return dup2(PIPE_FD, 1) == 1 ? 0 : 1;
}

static int
pidfd_of_the_parent(void)
{
    return syscall(SYS_pidfd_open, getppid(), 0) >= 0 ? 0 : 1;
}

static int
sendfile_to_the_pipe(void)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);

    return fd >= 0 && sendfile(PIPE_FD, fd, NULL, 4) > 0 ? 0 : 1;
}

static int
pwrite_stderr(void)
{
    return pwrite(2, "", 0, 0) >= 0 ? 0 : 1;
}

static int
sysv_message_queue(void)
{
    return msgget(IPC_PRIVATE, 0600) >= 0 ? 0 : 1;
}

static int
posix_message_queue(void)
{
    return syscall(SYS_mq_open, "searchd-test", O_RDONLY, 0, NULL) >= 0
               ? 0 : 1;
}

static int
push_keystrokes(void)
{
    char c = 'x';

    return ioctl(0, TIOCSTI, &c) == 0 ? 0 : 1;
}

static const struct {
    const char *what;
    int (*fn)(void);
    enum expect expect;
} CASES[] = {
    { "read a file", read_a_file, RUNS },
    { "write the pipe", write_the_pipe, RUNS },
    { "start a thread", start_a_thread, RUNS },
    { "AF_UNIX socket fails with EACCES", unix_socket_fails, RUNS },
    { "socketpair fails with EACCES", socketpair_fails, RUNS },
    { "clone3 fails with ENOSYS", clone3_is_enosys, RUNS },
    { "openat2 fails with ENOSYS", openat2_is_enosys, RUNS },
    { "abort() still aborts", raise_abort, ABORTS },
    { "AF_INET socket", inet_socket, KILLED },
    { "execve", run_a_program, KILLED },
    { "fork", fork_a_process, KILLED },
    { "open O_WRONLY", open_for_writing, KILLED },
    { "openat O_RDWR", open_read_write, KILLED },
    { "open O_CREAT", open_to_create, KILLED },
    { "open O_TRUNC", open_to_truncate, KILLED },
    { "unlink", unlink_a_file, KILLED },
    { "mkdir", make_a_folder, KILLED },
    { "write to a descriptor above the pipe", write_another_fd, KILLED },
    { "signal another process", signal_the_parent, KILLED },
    { "get and set its own limits", own_limits, RUNS },
    { "set another process's limits", limit_the_parent, KILLED },
    { "dup2 onto stdout", dup_onto_stdout, KILLED },
    { "pidfd_open", pidfd_of_the_parent, KILLED },
    { "sendfile", sendfile_to_the_pipe, KILLED },
    { "pwrite on stderr", pwrite_stderr, KILLED },
    { "SysV message queue", sysv_message_queue, KILLED },
    { "POSIX message queue", posix_message_queue, KILLED },
    { "TIOCSTI", push_keystrokes, KILLED },
};

/* Run case i in a sandboxed child; its wait status, or -1 when the
 * sandbox is not available (why in why). */
static int
run_case(size_t i, char *why, size_t whylen)
{
    int pfd[2], res[2], st = 0;
    char buf[256] = "";
    pid_t pid;
    ssize_t n;

    ck_assert_int_eq(pipe(pfd), 0);     /* becomes PIPE_FD */
    ck_assert_int_eq(pipe(res), 0);     /* the child's "no sandbox" note */
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        enum sandbox_mode m;

        close(res[0]);
        if (dup2(pfd[1], PIPE_FD) < 0)
            _exit(90);
        /* Nothing above PIPE_FD but the note pipe, as in a worker. */
        if (res[1] <= PIPE_FD || dup2(res[1], PIPE_FD + 1) < 0)
            _exit(91);
        close_range(PIPE_FD + 2, ~0u, 0);
        m = sandbox_enter(PIPE_FD, buf, sizeof buf);
        if (m != SANDBOX_SECCOMP) {
            (void)!write(PIPE_FD + 1, buf, strlen(buf));
            _exit(77);
        }
        _exit(CASES[i].fn());
    }
    close(pfd[1]);
    close(res[1]);
    n = read(res[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    close(pfd[0]);
    close(res[0]);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
        snprintf(why, whylen, "%s", buf);
        return -1;
    }
    return st;
}

START_TEST(each_rule_does_what_it_says)
{
    char why[256];
    int st;

    if (under_valgrind())
        return;
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
        st = run_case(i, why, sizeof why);
        if (st == -1) {
            /* CI has the sandbox: there this may not pass unchecked. */
            const char *req = getenv("SD_REQUIRE_ALL");

            ck_assert_msg(req == NULL || strcmp(req, "1") != 0,
                          "no sandbox here (%s), and SD_REQUIRE_ALL=1", why);
            fprintf(stderr, "check_sandbox: no sandbox here (%s); "
                    "skipped\n", why);
            return;
        }
        if (CASES[i].expect == RUNS)
            ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0,
                          "%s: want it to run, got status 0x%x",
                          CASES[i].what, st);
        else if (CASES[i].expect == ABORTS)
            ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT,
                          "%s: want SIGABRT, got status 0x%x",
                          CASES[i].what, st);
        else
            ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS,
                          "%s: want SIGSYS, got status 0x%x",
                          CASES[i].what, st);
    }
}
END_TEST

START_TEST(without_libseccomp_the_reason_is_given)
{
#ifndef HAVE_SECCOMP
    char why[256];

    if (under_valgrind())
        return;
    ck_assert_int_eq(run_case(0, why, sizeof why), -1);
    ck_assert_str_eq(why, "built without libseccomp");
#endif
    ck_assert_str_eq(sandbox_mode_name(SANDBOX_SECCOMP), "seccomp");
    ck_assert_str_eq(sandbox_mode_name(SANDBOX_NONE), "none");
    ck_assert_str_eq(sandbox_mode_name(SANDBOX_UNKNOWN), "unknown");
}
END_TEST

static Suite *
sandbox_suite(void)
{
    Suite *s = suite_create("sandbox");
    TCase *tc = tcase_create("sandbox");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, each_rule_does_what_it_says);
    tcase_add_test(tc, without_libseccomp_the_reason_is_given);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(sandbox_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
