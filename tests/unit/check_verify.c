/*
 * check_verify.c - `searchd --check` (verify.h) on indexes made here
 * with the shim: a clean index passes; each kind of disagreement between
 * the file records and the documents is found and named; a missing or
 * garbled stub is reported, never a crash.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "doc.h"
#include "filestate.h"
#include "testutil.h"
#include "util.h"
#include "verify.h"
#include "xap.h"

static char tmp[512];
static char ix[600];
static char shard[2][700];
static xap_db *w[2];     /* the two shards, writable */

static void
setup(void)
{
    char stub[800];
    FILE *f;

    tu_mkdtemp(tmp, sizeof tmp, "check_verify");
    snprintf(ix, sizeof ix, "%s/index", tmp);
    ck_assert_int_eq(util_mkdir_p(ix, 0700), 0);
    for (int i = 0; i < 2; i++) {
        snprintf(shard[i], sizeof shard[i], "%s/shard-%02d", ix, i);
        ck_assert_int_eq(xap_open(shard[i], XAP_WRITE, &w[i]), XAP_OK);
    }
    snprintf(stub, sizeof stub, "%s/XAPIANDB", ix);
    f = fopen(stub, "w");
    ck_assert_ptr_nonnull(f);
    fputs("auto shard-00\nauto shard-01\n", f);
    fclose(f);
}

static void
teardown(void)
{
    for (int i = 0; i < 2; i++)
        xap_close(w[i]);
    tu_rmtree(tmp);
}

/* Index path (with ndocs members, 0: a plain file) into the shard its
 * path hashes to, with a record saying rec_docs documents. */
static void
put_file(const char *path, unsigned ndocs, unsigned rec_docs, bool record)
{
    unsigned s = filestate_hash_bytes(path, strlen(path)) % 2;
    struct filestate fs = { 0 };
    char key[FILESTATE_KEY_MAX], *val;
    size_t klen, vlen;

    for (unsigned i = 0; i < (ndocs ? ndocs : 1); i++) {
        struct doc *d = doc_new();
        char member[16];

        snprintf(member, sizeof member, "m%u", i);
        doc_set(&d->path, path, strlen(path));
        if (ndocs)
            doc_set(&d->member, member, strlen(member));
        d->key = ndocs ? xasprintf("%s#%s", path, member) : xstrdup(path);
        strv_push(&d->body, "some words", 10);
        ck_assert_int_eq(xap_replace(w[s], d), XAP_OK);
        doc_free(d);
    }
    if (record) {
        filestate_set(&fs, path, strlen(path), 1, 2, 3, rec_docs,
                      FILESTATE_OK, "plaintext", "1.0", NULL);
        fs.layout = xap_layout();
        klen = filestate_key(path, strlen(path), key);
        val = filestate_encode(&fs, &vlen);
        ck_assert_int_eq(xap_meta_set(w[s], key, klen, val, vlen), XAP_OK);
        free(val);
        filestate_clear(&fs);
    }
    ck_assert_int_eq(xap_commit(w[s]), XAP_OK);
}

/* index_check's output into a string (owned by the caller). */
static long
run_check(char **text)
{
    size_t len = 0;
    FILE *f = open_memstream(text, &len);
    long n;

    ck_assert_ptr_nonnull(f);
    n = index_check(ix, f);
    fclose(f);
    return n;
}

START_TEST(clean_index_passes)
{
    char *out = NULL;

    put_file("/n/a.txt", 0, 1, true);
    put_file("/n/box.mk", 3, 3, true);
    put_file("/n/c.txt", 0, 1, true);
    ck_assert_int_eq(run_check(&out), 0);
    ck_assert_msg(strstr(out, "2 shards, 5 documents, 3 file records") &&
                  strstr(out, ": ok"), "%s", out);
    free(out);
}
END_TEST

START_TEST(disagreements_are_found_and_named)
{
    char *out = NULL;
    unsigned s = filestate_hash_bytes("/n/r.txt", 8) % 2;
    char key[FILESTATE_KEY_MAX];
    size_t klen = filestate_key("/n/r.txt", 8, key);

    put_file("/n/ok.txt", 0, 1, true);
    put_file("/n/orphan.txt", 0, 0, false);         /* no record */
    put_file("/n/short.mk", 3, 2, true);            /* record says 2 */
    /* A garbled record. */
    ck_assert_int_eq(xap_meta_set(w[s], key, klen, "garbage", 7), XAP_OK);
    ck_assert_int_eq(xap_commit(w[s]), XAP_OK);
    ck_assert_int_eq(run_check(&out), 3);
    ck_assert_msg(strstr(out, "documents from /n/orphan.txt have no file "
                              "record") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "/n/short.mk: its record says 2 documents, "
                              "the index has 3") != NULL, "%s", out);
    ck_assert_msg(strstr(out, "is unreadable") != NULL, "%s", out);
    ck_assert_msg(strstr(out, ": 3 problems") != NULL, "%s", out);
    free(out);
}
END_TEST

START_TEST(bad_or_missing_stub_is_reported)
{
    char *out = NULL;
    char stub[800];
    FILE *f;

    snprintf(stub, sizeof stub, "%s/XAPIANDB", ix);
    f = fopen(stub, "w");
    ck_assert_ptr_nonnull(f);
    fputs("remote tcp 1.2.3.4\n", f);
    fclose(f);
    ck_assert_int_gt(run_check(&out), 0);
    ck_assert_msg(strstr(out, "XAPIANDB: unexpected line") != NULL, "%s",
                  out);
    free(out);
    out = NULL;
    unlink(stub);
    ck_assert_int_eq(run_check(&out), -1);
    ck_assert_msg(strstr(out, "no index here") != NULL, "%s", out);
    free(out);
}
END_TEST

static Suite *
suite(void)
{
    Suite *s = suite_create("verify");
    TCase *tc = tcase_create("verify");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, clean_index_passes);
    tcase_add_test(tc, disagreements_are_found_and_named);
    tcase_add_test(tc, bad_or_missing_stub_is_reported);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
