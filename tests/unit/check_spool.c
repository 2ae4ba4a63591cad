/*
 * check_spool.c - the watcher-to-indexer glue (spool.h) with a real
 * indexer on a temporary index: a change that finds the indexer's queue
 * full is not lost (its root is rescanned once there is room), and an
 * index inside the watched folder does not feed itself.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "indexer.h"
#include "log.h"
#include "plugins.h"
#include "spool.h"
#include "testutil.h"
#include "util.h"

#define SETTLE_MS   100
#define TIMEOUT_MS  60000   /* generous, for valgrind */

static char tmp[512];
static char spool_dir[600];
static struct event_base *base;
static struct plugins *reg;
static char exe[700];           /* the searchd binary the workers run */

static void
setup(void)
{
    const char *pd = getenv("SD_PLUGIN_DIR");

    tu_mkdtemp(tmp, sizeof tmp, "check_spool");
    snprintf(spool_dir, sizeof spool_dir, "%s/spool", tmp);
    ck_assert_int_eq(mkdir(spool_dir, 0700), 0);
    base = event_base_new();
    ck_assert_ptr_nonnull(base);
    reg = plugins_new();
    ck_assert_msg(pd != NULL, "SD_PLUGIN_DIR not set (run via make check)");
    ck_assert_int_gt(plugins_load_dir(reg, pd), 0);
    snprintf(exe, sizeof exe, "%s/daemon/searchd",
             getenv("top_builddir") ? getenv("top_builddir") : ".");
}

/* An indexer on dir with one shard and one extraction worker. */
static struct indexer *
new_indexer(const char *dir)
{
    struct indexer_config cfg = { 0 };
    struct indexer *ix;
    char err[512];

    cfg.dir = dir;
    cfg.reg = reg;
    cfg.shards = 1;
    cfg.pool.exe = exe;
    cfg.pool.plugin_dir = getenv("SD_PLUGIN_DIR");
    cfg.pool.workers = 1;
    cfg.pool.deadline_ms = WPOOL_DEFAULT_DEADLINE_MS;
    cfg.pool.mem_mb = 0;        /* sanitizers reserve much address space */
    cfg.pool.log_level = log_max_level;
    ix = indexer_new(&cfg, base, err, sizeof err);
    ck_assert_msg(ix != NULL, "%s", err);
    return ix;
}

/* A spool watching spool_dir for ix, never watching index_dir. */
static struct spool *
new_spool(struct indexer *ix, const char *index_dir)
{
    char err[512];
    struct spool *sp = spool_new(base, ix, index_dir, SETTLE_MS, err,
                                 sizeof err);

    ck_assert_msg(sp != NULL, "%s", err);
    ck_assert_int_eq(spool_add(sp, spool_dir), 0);
    return sp;
}

static void
teardown(void)
{
    plugins_free(reg);
    event_base_free(base);
    tu_rmtree(tmp);
}

static void
run_for(unsigned ms)
{
    struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

    event_base_loopexit(base, &tv);
    event_base_dispatch(base);
}

static uint64_t
documents(struct indexer *ix)
{
    struct indexer_stats st;

    indexer_stats(ix, &st);
    return st.documents;
}

/* Run the loop until the index holds n documents (true) or timeout. */
static bool
wait_documents(struct indexer *ix, uint64_t n)
{
    uint64_t end = tu_now_ms() + TIMEOUT_MS;

    while (documents(ix) != n && tu_now_ms() < end)
        run_for(50);
    return documents(ix) == n;
}

static void
write_article(const char *path)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs("Quokka sighting\n\nA quokka near the harbour.\n", f);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(change_meeting_a_full_queue_is_rescanned_later)
{
    char index_dir[700], path[700];
    struct indexer *ix;
    struct spool *sp;

    snprintf(index_dir, sizeof index_dir, "%s/index", tmp);
    ix = new_indexer(index_dir);
    sp = new_spool(ix, index_dir);
    /* The thread is not started yet: fill its queue with paths that do
     * not exist (each a cheap no-op once it runs). */
    for (int i = 0; i < INDEXER_MAX_JOBS; i++) {
        snprintf(path, sizeof path, "%s/nothing/%d", tmp, i);
        ck_assert_int_eq(indexer_submit(ix, path, strlen(path), false, NULL,
                                        NULL), 0);
    }
    ck_assert_int_eq(indexer_submit(ix, path, strlen(path), false, NULL,
                                    NULL), -EBUSY);
    snprintf(path, sizeof path, "%s/a.txt", spool_dir);
    write_article(path);
    run_for(5 * SETTLE_MS);     /* reported; refused; remembered */
    ck_assert_int_eq(indexer_start(ix), 0);
    ck_assert_msg(wait_documents(ix, 1), "the file was not indexed");
    spool_free(sp);
    indexer_free(ix);
}
END_TEST

START_TEST(index_inside_the_watched_folder_does_not_feed_itself)
{
    char index_dir[700], path[700];
    struct indexer *ix;
    struct spool *sp;
    struct indexer_stats st;
    uint64_t gen;

    snprintf(index_dir, sizeof index_dir, "%s/index", spool_dir);
    ix = new_indexer(index_dir);
    sp = new_spool(ix, index_dir);
    ck_assert_int_eq(indexer_start(ix), 0);
    snprintf(path, sizeof path, "%s/a.txt", spool_dir);
    write_article(path);
    ck_assert(wait_documents(ix, 1));
    run_for(10 * SETTLE_MS);
    gen = indexer_generation(ix);
    run_for(10 * SETTLE_MS);
    indexer_stats(ix, &st);
    /* No commits after the file's: nothing was reported from the index. */
    ck_assert_uint_eq(indexer_generation(ix), gen);
    ck_assert_uint_eq(st.failed, 0);
    ck_assert_uint_eq(st.documents, 1);
    spool_free(sp);
    indexer_free(ix);
}
END_TEST

static Suite *
spool_suite(void)
{
    Suite *s = suite_create("spool");
    TCase *tc = tcase_create("spool");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, change_meeting_a_full_queue_is_rescanned_later);
    tcase_add_test(tc, index_inside_the_watched_folder_does_not_feed_itself);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    evthread_use_pthreads();
    sr = srunner_create(spool_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    libevent_global_shutdown();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
