/*
 * check_watch.c - the inotify watcher (watch.h) on a real event loop and
 * a temporary folder: what it reports for files written in place or
 * under temporary names, new, deleted, moved and renamed folders, files
 * written in chunks or kept open, hidden names, a lost root, and its
 * fallbacks (queue overflow, too many paths waiting, watch limit).
 * Also the shared skip rule (util.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "testutil.h"
#include "util.h"
#include "watch.h"

#define SETTLE_MS   200
#define OPEN_MS     1500
/* Waits for something that must happen: generous, for valgrind. */
#define TIMEOUT_MS  20000

struct rec {
    enum watch_event ev;
    char rel[256];          /* path relative to the root; "" the root */
    uint64_t at_ms;
};

static struct rec got[8192];
static size_t n_got;
static char tmp[512];           /* holds root/ and out/ */
static char root[600];
static char out[600];           /* outside the watched tree */
static struct event_base *base;
static struct watcher *w;

static void
record_cb(enum watch_event ev, const char *path, const char *r, void *arg)
{
    size_t rl = strlen(root);

    (void)arg;
    ck_assert_str_eq(r, root);
    ck_assert(strncmp(path, root, rl) == 0);
    ck_assert_uint_lt(n_got, sizeof got / sizeof got[0]);
    got[n_got].ev = ev;
    snprintf(got[n_got].rel, sizeof got[n_got].rel, "%s",
             path[rl] == '/' ? path + rl + 1 : path + rl);
    got[n_got].at_ms = tu_now_ms();
    n_got++;
}

static void
setup(void)
{

    tu_mkdtemp(tmp, sizeof tmp, "check_watch");
    snprintf(root, sizeof root, "%s/root", tmp);
    snprintf(out, sizeof out, "%s/out", tmp);
    ck_assert_int_eq(mkdir(root, 0700), 0);
    ck_assert_int_eq(mkdir(out, 0700), 0);
    base = event_base_new();
    ck_assert_ptr_nonnull(base);
    n_got = 0;
    w = NULL;
}

static void
teardown(void)
{
    watcher_free(w);
    w = NULL;
    event_base_free(base);
    base = NULL;
    tu_rmtree(tmp);
}

/* Start watching root with lim (NULL: the test defaults). */
static void
start(const struct watch_limits *lim)
{
    struct watch_limits def = { .settle_ms = SETTLE_MS,
                                .open_quiet_ms = OPEN_MS };
    char err[256];

    w = watcher_new(base, lim ? lim : &def, record_cb, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(watcher_add(w, root), 0);
}

static void
run_for(unsigned ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

static size_t
count(enum watch_event ev, const char *rel)
{
    size_t n = 0;

    for (size_t i = 0; i < n_got; i++)
        if (got[i].ev == ev && strcmp(got[i].rel, rel) == 0)
            n++;
    return n;
}

static size_t
count_kind(enum watch_event ev)
{
    size_t n = 0;

    for (size_t i = 0; i < n_got; i++)
        n += got[i].ev == ev;
    return n;
}

/* Run the loop until ev on rel was reported (true) or TIMEOUT_MS. */
static bool
wait_for(enum watch_event ev, const char *rel)
{
    uint64_t end = tu_now_ms() + TIMEOUT_MS;

    while (count(ev, rel) == 0 && tu_now_ms() < end)
        run_for(20);
    return count(ev, rel) > 0;
}

/* Long enough for anything pending to have been reported. */
static void
run_settled(void)
{
    run_for(3 * SETTLE_MS);
}

static void
dump(void)
{
    static const char *const names[] = { "CHANGED", "REMOVED", "DIR_ADDED",
                                         "RESCAN" };

    for (size_t i = 0; i < n_got; i++)
        fprintf(stderr, "  %s %s\n", names[got[i].ev], got[i].rel);
}

#define ASSERT_GOT(ev, rel)                                                 \
    do {                                                                    \
        if (!wait_for(ev, rel)) {                                           \
            dump();                                                         \
            ck_abort_msg("no " #ev " for '%s'", rel);                       \
        }                                                                   \
    } while (0)

static char *
at(const char *base_dir, const char *rel)
{
    static char buf[4][PATH_MAX];
    static int k;

    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", base_dir, rel);
    return buf[k];
}

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* ---- the skip rule ------------------------------------------------------- */

START_TEST(skip_rule_matches_the_documented_names)
{
    static const struct { const char *name; bool skip; } cases[] = {
        { "a.txt", false }, { "a", false }, { "tmp", false },
        { "a.tmpl", false }, { "part", false }, { "a.txt.bak", false },
        { ".", true }, { "..", true }, { ".hidden", true },
        { ".x.tmp", true }, { "x~", true }, { "x.tmp", true },
        { "x.part", true }, { "x.partial", true },
        { "x.crdownload", true }, { "x.swp", true }, { "~", true },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(spool_name_is_skipped(cases[i].name) == cases[i].skip,
                      "%s", cases[i].name);
}
END_TEST

/* ---- files --------------------------------------------------------------- */

START_TEST(file_written_and_closed_is_changed_once)
{
    start(NULL);
    write_file(at(root, "a.txt"), "hello\n");
    ASSERT_GOT(WATCH_CHANGED, "a.txt");
    run_settled();
    ck_assert_uint_eq(n_got, 1);
}
END_TEST

START_TEST(temp_names_renamed_report_only_the_final_name)
{
    start(NULL);
    write_file(at(root, ".x.txt.tmp"), "x\n");
    ck_assert_int_eq(rename(at(root, ".x.txt.tmp"), at(root, "x.txt")), 0);
    write_file(at(root, "y.txt.part"), "y\n");
    run_for(50);
    ck_assert_int_eq(rename(at(root, "y.txt.part"), at(root, "y.txt")), 0);
    ASSERT_GOT(WATCH_CHANGED, "x.txt");
    ASSERT_GOT(WATCH_CHANGED, "y.txt");
    run_settled();
    if (n_got != 2)
        dump();
    ck_assert_uint_eq(n_got, 2);
}
END_TEST

START_TEST(deleted_file_is_removed)
{
    start(NULL);
    write_file(at(root, "d.txt"), "d\n");
    ASSERT_GOT(WATCH_CHANGED, "d.txt");
    ck_assert_int_eq(unlink(at(root, "d.txt")), 0);
    ASSERT_GOT(WATCH_REMOVED, "d.txt");
    run_settled();
    ck_assert_uint_eq(n_got, 2);
}
END_TEST

START_TEST(created_and_deleted_before_settling_is_removed_only)
{
    start(NULL);
    write_file(at(root, "brief.txt"), "b\n");
    ck_assert_int_eq(unlink(at(root, "brief.txt")), 0);
    ASSERT_GOT(WATCH_REMOVED, "brief.txt");
    run_settled();
    ck_assert_uint_eq(n_got, 1);
}
END_TEST

START_TEST(chunks_with_short_pauses_give_one_change_after_the_last)
{
    uint64_t last;

    start(NULL);
    for (int i = 0; i < 6; i++) {
        int fd = open(at(root, "log.txt"), O_WRONLY | O_CREAT | O_APPEND,
                      0600);

        ck_assert_int_ge(fd, 0);
        ck_assert_int_eq(write(fd, "chunk\n", 6), 6);
        close(fd);
        run_for(SETTLE_MS / 5);
        ck_assert_uint_eq(count(WATCH_CHANGED, "log.txt"), 0);
    }
    last = tu_now_ms();
    ASSERT_GOT(WATCH_CHANGED, "log.txt");
    ck_assert_uint_ge(got[0].at_ms, last);
    run_settled();
    ck_assert_uint_eq(n_got, 1);
}
END_TEST

START_TEST(file_still_open_waits_for_its_close)
{
    int fd;

    start(NULL);
    fd = open(at(root, "open.txt"), O_WRONLY | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "partial", 7), 7);
    run_for(3 * SETTLE_MS);
    ck_assert_uint_eq(n_got, 0);
    close(fd);
    ASSERT_GOT(WATCH_CHANGED, "open.txt");
    run_settled();
    ck_assert_uint_eq(n_got, 1);
}
END_TEST

START_TEST(file_left_open_is_reported_after_the_quiet_period)
{
    uint64_t t0;
    int fd;

    start(NULL);
    fd = open(at(root, "held.txt"), O_WRONLY | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "held", 4), 4);
    t0 = tu_now_ms();
    ASSERT_GOT(WATCH_CHANGED, "held.txt");
    ck_assert_uint_ge(got[0].at_ms - t0, OPEN_MS - 100);
    close(fd);
}
END_TEST

START_TEST(hidden_and_temporary_names_are_ignored)
{
    start(NULL);
    write_file(at(root, ".hidden"), "h\n");
    write_file(at(root, "backup~"), "b\n");
    write_file(at(root, "f.crdownload"), "c\n");
    ck_assert_int_eq(mkdir(at(root, ".staging"), 0700), 0);
    run_for(50);
    write_file(at(root, ".staging/inner.txt"), "i\n");
    run_settled();
    if (n_got != 0)
        dump();
    ck_assert_uint_eq(n_got, 0);
}
END_TEST

START_TEST(symlinks_are_not_reported)
{
    write_file(at(out, "target.txt"), "t\n");
    start(NULL);
    ck_assert_int_eq(symlink(at(out, "target.txt"), at(root, "link.txt")), 0);
    run_settled();
    ck_assert_uint_eq(n_got, 0);
}
END_TEST

/* ---- folders ------------------------------------------------------------- */

START_TEST(new_folder_then_a_file_inside)
{
    start(NULL);
    ck_assert_int_eq(mkdir(at(root, "sub"), 0700), 0);
    run_for(50);                /* the watch on sub is placed */
    write_file(at(root, "sub/f.txt"), "f\n");
    ASSERT_GOT(WATCH_DIR_ADDED, "sub");
    ASSERT_GOT(WATCH_CHANGED, "sub/f.txt");
    run_settled();
    ck_assert_uint_eq(n_got, 2);
}
END_TEST

/* Writes a/b/c and files at every level as fast as it can, while the
 * loop runs in the test's thread. */
static void *
mkdir_p_thread(void *arg)
{
    (void)arg;
    util_mkdir_p(at(root, "a/b/c"), 0700);
    write_file(at(root, "a/1.txt"), "1\n");
    write_file(at(root, "a/b/2.txt"), "2\n");
    write_file(at(root, "a/b/c/3.txt"), "3\n");
    return NULL;
}

/* Reported itself, or inside a folder reported as new after t (when the
 * file existed): either way the caller indexes it. */
static bool
is_covered(const char *rel, uint64_t t)
{
    for (size_t i = 0; i < n_got; i++) {
        size_t l = strlen(got[i].rel);

        if (got[i].ev == WATCH_CHANGED && strcmp(got[i].rel, rel) == 0)
            return true;
        if (got[i].ev == WATCH_DIR_ADDED && got[i].at_ms >= t &&
            strncmp(got[i].rel, rel, l) == 0 && rel[l] == '/')
            return true;
    }
    return false;
}

START_TEST(mkdir_p_and_quick_files_are_all_covered)
{
    static const char *const files[] = { "a/1.txt", "a/b/2.txt",
                                         "a/b/c/3.txt" };
    pthread_t t;
    uint64_t done;

    start(NULL);
    ck_assert_int_eq(pthread_create(&t, NULL, mkdir_p_thread, NULL), 0);
    run_for(5);
    pthread_join(t, NULL);
    done = tu_now_ms();
    ASSERT_GOT(WATCH_DIR_ADDED, "a");
    run_settled();
    for (size_t i = 0; i < 3; i++) {
        if (!is_covered(files[i], done))
            dump();
        ck_assert_msg(is_covered(files[i], done), "%s not covered",
                      files[i]);
    }
    /* The deepest folder is watched now. */
    n_got = 0;
    write_file(at(root, "a/b/c/late.txt"), "late\n");
    ASSERT_GOT(WATCH_CHANGED, "a/b/c/late.txt");
}
END_TEST

START_TEST(folder_moved_out_is_removed_and_then_silent)
{
    size_t n;

    start(NULL);
    ck_assert_int_eq(util_mkdir_p(at(root, "gone/deep"), 0700), 0);
    ASSERT_GOT(WATCH_DIR_ADDED, "gone");
    write_file(at(root, "gone/deep/f.txt"), "f\n");
    ASSERT_GOT(WATCH_CHANGED, "gone/deep/f.txt");
    ck_assert_int_eq(rename(at(root, "gone"), at(out, "gone")), 0);
    ASSERT_GOT(WATCH_REMOVED, "gone");
    run_settled();
    n = n_got;
    write_file(at(out, "gone/g.txt"), "g\n");
    write_file(at(out, "gone/deep/h.txt"), "h\n");
    ck_assert_int_eq(mkdir(at(out, "gone/new"), 0700), 0);
    ck_assert_int_eq(unlink(at(out, "gone/deep/f.txt")), 0);
    run_settled();
    if (n_got != n)
        dump();
    ck_assert_uint_eq(n_got, n);
}
END_TEST

START_TEST(folder_moved_in_is_added_and_watched)
{
    ck_assert_int_eq(util_mkdir_p(at(out, "batch/deep"), 0700), 0);
    write_file(at(out, "batch/deep/f.txt"), "f\n");
    start(NULL);
    ck_assert_int_eq(rename(at(out, "batch"), at(root, "batch")), 0);
    ASSERT_GOT(WATCH_DIR_ADDED, "batch");
    run_settled();
    ck_assert_uint_eq(n_got, 1);
    write_file(at(root, "batch/deep/g.txt"), "g\n");
    ASSERT_GOT(WATCH_CHANGED, "batch/deep/g.txt");
}
END_TEST

START_TEST(folder_renamed_within_the_tree)
{
    size_t n;

    ck_assert_int_eq(util_mkdir_p(at(root, "old/deep"), 0700), 0);
    start(NULL);
    ck_assert_int_eq(rename(at(root, "old"), at(root, "new")), 0);
    ASSERT_GOT(WATCH_REMOVED, "old");
    ASSERT_GOT(WATCH_DIR_ADDED, "new");
    run_settled();
    ck_assert_uint_eq(n_got, 2);
    write_file(at(root, "new/deep/f.txt"), "f\n");
    ASSERT_GOT(WATCH_CHANGED, "new/deep/f.txt");
    run_settled();
    n = n_got;
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(strncmp(got[i].rel, "old/", 4) != 0, "%s",
                      got[i].rel);
}
END_TEST

START_TEST(file_renamed_within_the_tree)
{
    write_file(at(root, "a.txt"), "a\n");
    start(NULL);
    ck_assert_int_eq(rename(at(root, "a.txt"), at(root, "b.txt")), 0);
    ASSERT_GOT(WATCH_REMOVED, "a.txt");
    ASSERT_GOT(WATCH_CHANGED, "b.txt");
    run_settled();
    ck_assert_uint_eq(n_got, 2);
}
END_TEST

START_TEST(removed_tree_is_one_removal)
{
    ck_assert_int_eq(util_mkdir_p(at(root, "t/a/b"), 0700), 0);
    write_file(at(root, "t/a/1.txt"), "1\n");
    write_file(at(root, "t/a/b/2.txt"), "2\n");
    start(NULL);
    tu_rmtree(at(root, "t"));
    ck_assert_int_ne(access(at(root, "t"), F_OK), 0);
    ASSERT_GOT(WATCH_REMOVED, "t");
    run_settled();
    if (n_got != 1)
        dump();
    ck_assert_uint_eq(n_got, 1);
}
END_TEST

START_TEST(excluded_folder_is_not_watched)
{
    char err[64];
    struct watch_limits lim = { .settle_ms = SETTLE_MS };

    w = watcher_new(base, &lim, record_cb, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(w);
    watcher_exclude(w, at(root, "index"));
    ck_assert_int_eq(watcher_add(w, root), 0);
    ck_assert_int_eq(mkdir(at(root, "index"), 0700), 0);
    run_for(50);
    write_file(at(root, "index/db"), "x\n");
    run_settled();
    ck_assert_uint_eq(n_got, 0);
}
END_TEST

START_TEST(nested_or_repeated_root_is_refused)
{
    start(NULL);
    ck_assert_int_eq(mkdir(at(root, "in"), 0700), 0);
    ck_assert_int_eq(watcher_add(w, root), -EEXIST);
    ck_assert_int_eq(watcher_add(w, at(root, "in")), -EEXIST);
    ck_assert_int_eq(watcher_add(w, at(out, "missing")), -ENOENT);
    write_file(at(out, "file"), "f\n");
    ck_assert_int_eq(watcher_add(w, at(out, "file")), -ENOTDIR);
}
END_TEST

START_TEST(inner_root_added_first_is_absorbed_by_the_outer)
{
    struct watch_limits lim = { .settle_ms = SETTLE_MS };
    char err[64];

    ck_assert_int_eq(util_mkdir_p(at(root, "in/deep"), 0700), 0);
    w = watcher_new(base, &lim, record_cb, NULL, err, sizeof err);
    ck_assert_ptr_nonnull(w);
    ck_assert_int_eq(watcher_add(w, at(root, "in")), 0);
    ck_assert_int_eq(watcher_add(w, root), 0);
    /* record_cb checks that every report names the outer root. */
    write_file(at(root, "in/deep/f.txt"), "f\n");
    write_file(at(root, "top.txt"), "t\n");
    ASSERT_GOT(WATCH_CHANGED, "in/deep/f.txt");
    ASSERT_GOT(WATCH_CHANGED, "top.txt");
    ck_assert_int_eq(rename(at(root, "in"), at(root, "moved")), 0);
    ASSERT_GOT(WATCH_REMOVED, "in");
    ASSERT_GOT(WATCH_DIR_ADDED, "moved");
    run_settled();
    ck_assert_uint_eq(n_got, 4);
}
END_TEST

/* ---- the root itself, and the fallbacks ---------------------------------- */

START_TEST(lost_root_is_removed_then_rescanned_when_back)
{
    struct watch_limits lim = { .settle_ms = SETTLE_MS, .rescan_ms = 300 };

    start(&lim);
    ck_assert_int_eq(rename(root, at(out, "moved")), 0);
    ASSERT_GOT(WATCH_REMOVED, "");
    ck_assert_int_eq(mkdir(root, 0700), 0);
    ASSERT_GOT(WATCH_RESCAN, "");
    write_file(at(root, "back.txt"), "b\n");
    ASSERT_GOT(WATCH_CHANGED, "back.txt");
}
END_TEST

START_TEST(too_many_pending_paths_become_a_rescan)
{
    struct watch_limits lim = { .settle_ms = SETTLE_MS, .max_pending = 10 };

    start(&lim);
    for (int i = 0; i < 30; i++) {
        char name[32];

        snprintf(name, sizeof name, "f%02d.txt", i);
        write_file(at(root, name), "x\n");
    }
    ASSERT_GOT(WATCH_RESCAN, "");
    run_settled();
    ck_assert_uint_lt(count_kind(WATCH_CHANGED), 30);
}
END_TEST

START_TEST(queue_overflow_becomes_a_rescan)
{
    FILE *f = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
    unsigned long max = 0;

    if (f == NULL || fscanf(f, "%lu", &max) != 1 || max > 100000) {
        if (f)
            fclose(f);
        return;     /* cannot overflow it cheaply here */
    }
    fclose(f);
    start(NULL);
    /* Two events (create, close) per file, the loop not reading. */
    for (unsigned long i = 0; i < max / 2 + 64; i++) {
        char name[32];
        int fd;

        snprintf(name, sizeof name, "%lu", i);
        fd = open(at(root, name), O_WRONLY | O_CREAT, 0600);
        ck_assert_int_ge(fd, 0);
        close(fd);
    }
    ASSERT_GOT(WATCH_RESCAN, "");
}
END_TEST

START_TEST(watch_limit_falls_back_to_periodic_rescans)
{
    struct watch_limits lim = { .settle_ms = SETTLE_MS, .max_watches = 2,
                                .rescan_ms = 300 };

    ck_assert_int_eq(util_mkdir_p(at(root, "a/b/c"), 0700), 0);
    start(&lim);
    ASSERT_GOT(WATCH_RESCAN, "");
    n_got = 0;
    ASSERT_GOT(WATCH_RESCAN, "");
}
END_TEST

static Suite *
watch_suite(void)
{
    Suite *s = suite_create("watch");
    TCase *tc = tcase_create("watch");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, skip_rule_matches_the_documented_names);
    tcase_add_test(tc, file_written_and_closed_is_changed_once);
    tcase_add_test(tc, temp_names_renamed_report_only_the_final_name);
    tcase_add_test(tc, deleted_file_is_removed);
    tcase_add_test(tc, created_and_deleted_before_settling_is_removed_only);
    tcase_add_test(tc, chunks_with_short_pauses_give_one_change_after_the_last);
    tcase_add_test(tc, file_still_open_waits_for_its_close);
    tcase_add_test(tc, file_left_open_is_reported_after_the_quiet_period);
    tcase_add_test(tc, hidden_and_temporary_names_are_ignored);
    tcase_add_test(tc, symlinks_are_not_reported);
    tcase_add_test(tc, new_folder_then_a_file_inside);
    tcase_add_test(tc, mkdir_p_and_quick_files_are_all_covered);
    tcase_add_test(tc, folder_moved_out_is_removed_and_then_silent);
    tcase_add_test(tc, folder_moved_in_is_added_and_watched);
    tcase_add_test(tc, folder_renamed_within_the_tree);
    tcase_add_test(tc, file_renamed_within_the_tree);
    tcase_add_test(tc, removed_tree_is_one_removal);
    tcase_add_test(tc, excluded_folder_is_not_watched);
    tcase_add_test(tc, nested_or_repeated_root_is_refused);
    tcase_add_test(tc, inner_root_added_first_is_absorbed_by_the_outer);
    tcase_add_test(tc, lost_root_is_removed_then_rescanned_when_back);
    tcase_add_test(tc, too_many_pending_paths_become_a_rescan);
    tcase_add_test(tc, queue_overflow_becomes_a_rescan);
    tcase_add_test(tc, watch_limit_falls_back_to_periodic_rescans);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(watch_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
