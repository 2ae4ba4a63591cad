/*
 * check_filestate.c - per-file records (filestate.h): keys, the encoding
 * round trip with hostile bytes, rejection of every malformed record,
 * and content hashing of a real file.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "filestate.h"

START_TEST(key_is_path_when_it_fits_else_a_hash)
{
    char key[FILESTATE_KEY_MAX], key2[FILESTATE_KEY_MAX];
    char longp[400];
    size_t n;

    n = filestate_key("/spool/a.txt", 12, key);
    ck_assert_uint_eq(n, 13);
    ck_assert_str_eq(key, "F/spool/a.txt");
    /* The longest path that fits, and one byte more. */
    memset(longp, 'x', sizeof longp);
    longp[0] = '/';
    n = filestate_key(longp, FILESTATE_KEY_MAX - 2, key);
    ck_assert_uint_eq(n, FILESTATE_KEY_MAX - 1);
    ck_assert_int_eq(key[0], 'F');
    n = filestate_key(longp, FILESTATE_KEY_MAX - 1, key);
    ck_assert_uint_eq(n, 17);
    ck_assert_int_eq(key[0], 'H');
    /* Different long paths, different keys; the same path, the same. */
    filestate_key(longp, sizeof longp, key2);
    ck_assert_str_ne(key, key2);
    filestate_key(longp, FILESTATE_KEY_MAX - 1, key2);
    ck_assert_str_eq(key, key2);
}
END_TEST

START_TEST(encode_decode_round_trip_keeps_every_byte)
{
    static const char path[] = "/sp\tool/new\nline/\xff\x01name";
    struct filestate a = { 0 }, b = { 0 };
    char *enc;
    size_t len;

    filestate_set(&a, path, sizeof path - 1, -5, 1234, 0xdeadbeefcafef00dull,
                  7, FILESTATE_FAILED, "plug\tin", "1.0\n", "bad\tthing");
    a.plugin_set = 0x0123456789abcdefull;
    a.layout = 4000000000u;
    enc = filestate_encode(&a, &len);
    ck_assert_uint_eq(strlen(enc), len);
    ck_assert_int_eq(filestate_decode(enc, len, &b), 0);
    ck_assert_uint_eq(b.path_len, sizeof path - 1);
    ck_assert_mem_eq(b.path, path, b.path_len);
    ck_assert_int_eq(b.mtime_ns, -5);
    ck_assert_uint_eq(b.size, 1234);
    ck_assert_uint_eq(b.hash, 0xdeadbeefcafef00dull);
    ck_assert_uint_eq(b.ndocs, 7);
    ck_assert_int_eq(b.status, FILESTATE_FAILED);
    /* Tabs and newlines in the text fields became spaces. */
    ck_assert_uint_eq(b.plugin_set, 0x0123456789abcdefull);
    ck_assert_uint_eq(b.layout, 4000000000u);
    ck_assert_str_eq(b.plugin, "plug in");
    ck_assert_str_eq(b.plugin_version, "1.0 ");
    ck_assert_str_eq(b.reason, "bad thing");
    free(enc);
    filestate_clear(&b);

    /* Empty fields and the extremes. */
    filestate_set(&a, "/x", 2, INT64_MAX, UINT64_MAX, 0, 0, FILESTATE_OK,
                  NULL, NULL, NULL);
    enc = filestate_encode(&a, &len);
    ck_assert_int_eq(filestate_decode(enc, len, &b), 0);
    ck_assert_int_eq(b.mtime_ns, INT64_MAX);
    ck_assert_uint_eq(b.size, UINT64_MAX);
    ck_assert_str_eq(b.plugin, "");
    ck_assert_str_eq(b.reason, "");
    ck_assert_str_eq(b.path, "/x");
    free(enc);
    filestate_clear(&b);
    filestate_clear(&a);
    filestate_clear(NULL);
}
END_TEST

START_TEST(decode_rejects_malformed_records)
{
    /* H: a good hash; T: good fields from plugin_set to the path. */
#define H "00000000000000ff"
#define T "\t0000000000000001\tp\tv\tr\t/x"
    static const char *const bad[] = {
        "",
        "1",
        "3\t1\t2\t" H "\t1\t0" T,                   /* version */
        "2\t1\t2\t" H "\t1\t0" T,                   /* 2: no layout */
        "2\t1\t2\t" H "\t1\t0\t0000000000000001\tx\tp\tv\tr\t/x",
        "2\t1\t2\t" H "\t1\t0\t0000000000000001\t4294967296\tp\tv\tr\t/x",
        "1\t1\t2\t" H "\t1\t0\t0000000000000001\tp\tv\tr\t", /* path */
        "1\t1\t2\t" H "\t1\t0\t0000000000000001\tp\tv\t/x", /* short */
        "1\t1\t2\t" H "\t1\t0\t01\tp\tv\tr\t/x",    /* plugin_set */
        "1\tx\t2\t" H "\t1\t0" T,                   /* mtime */
        "1\t1\t-2\t" H "\t1\t0" T,                  /* size < 0 */
        "1\t1\t\t" H "\t1\t0" T,                    /* empty size */
        "1\t1\t2\tff\t1\t0" T,                       /* short hash */
        "1\t1\t2\t00000000000000fg\t1\t0" T,         /* hex */
        "1\t1\t2\t" H "\t1\t2" T,                   /* status */
        "1\t1\t99999999999999999999\t" H "\t1\t0" T, /* too big */
        "1\t-9223372036854775809\t2\t" H "\t1\t0" T,
        "1\t 1\t2\t" H "\t1\t0" T,                  /* blank */
    };
#undef H
#undef T
    struct filestate fs;

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = filestate_decode(bad[i], strlen(bad[i]), &fs);
        ck_assert_msg(rc == -EINVAL, "case %zu accepted", i);
        ck_assert_ptr_null(fs.path);
        ck_assert_ptr_null(fs.plugin);
    }
    /* Every truncation of a good record but the whole is refused or, once
     * the path has started, parses to a shorter path. */
    {
        struct filestate a = { 0 };
        size_t len;
        char *enc;

        filestate_set(&a, "/spool/x", 8, 1, 2, 3, 4, FILESTATE_OK, "p", "v",
                      "");
        enc = filestate_encode(&a, &len);
        for (size_t n = 0; n < len; n++) {
            int rc = filestate_decode(enc, n, &fs);
            if (rc == 0) {
                ck_assert_uint_lt(fs.path_len, 8);
                filestate_clear(&fs);
            }
        }
        free(enc);
        filestate_clear(&a);
    }
}
END_TEST

START_TEST(decode_reads_records_from_before_the_layout_was_kept)
{
    /* Format 1, as searchd wrote it before: the layout is taken as 1. */
    static const char rec1[] =
        "1\t5\t6\t00000000000000ff\t2\t0\t0000000000000001\tplaintext\t"
        "1.0\t\t/spool/a.txt";
    static const char rec2[] =
        "2\t5\t6\t00000000000000ff\t2\t0\t0000000000000001\t3\tplaintext\t"
        "1.0\t\t/spool/a.txt";
    struct filestate fs;

    ck_assert_int_eq(filestate_decode(rec1, strlen(rec1), &fs), 0);
    ck_assert_uint_eq(fs.layout, 1);
    ck_assert_str_eq(fs.plugin, "plaintext");
    ck_assert_str_eq(fs.plugin_version, "1.0");
    ck_assert_str_eq(fs.path, "/spool/a.txt");
    ck_assert_uint_eq(fs.ndocs, 2);
    filestate_clear(&fs);
    ck_assert_int_eq(filestate_decode(rec2, strlen(rec2), &fs), 0);
    ck_assert_uint_eq(fs.layout, 3);
    ck_assert_str_eq(fs.plugin, "plaintext");
    ck_assert_str_eq(fs.path, "/spool/a.txt");
    filestate_clear(&fs);
}
END_TEST

START_TEST(hash_fd_hashes_the_whole_content)
{
    char path[] = "/tmp/check_filestate.XXXXXX";
    int fd = mkstemp(path);
    static char big[200000];
    uint64_t h1, h2, h3;

    ck_assert_int_ge(fd, 0);
    unlink(path);
    for (size_t i = 0; i < sizeof big; i++)
        big[i] = (char)(i * 31 + 7);
    ck_assert_int_eq(write(fd, big, sizeof big), (ssize_t)sizeof big);
    ck_assert_int_eq(filestate_hash_fd(fd, UINT64_MAX, &h1), 0);
    ck_assert_uint_eq(h1, filestate_hash_bytes(big, sizeof big));
    /* The file offset does not matter (pread from 0). */
    ck_assert_int_eq(filestate_hash_fd(fd, UINT64_MAX, &h2), 0);
    ck_assert_uint_eq(h1, h2);
    /* One changed byte past the first buffer changes the hash. */
    ck_assert_int_eq(pwrite(fd, "!", 1, 150000), 1);
    ck_assert_int_eq(filestate_hash_fd(fd, UINT64_MAX, &h3), 0);
    ck_assert_uint_ne(h1, h3);
    ck_assert_int_eq(filestate_hash_fd(fd, 1000, &h3), -EFBIG);
    ck_assert_int_eq(filestate_hash_fd(-1, UINT64_MAX, &h3), -EBADF);
    close(fd);
}
END_TEST

static Suite *
filestate_suite(void)
{
    Suite *s = suite_create("filestate");
    TCase *tc = tcase_create("records");

    tcase_add_test(tc, key_is_path_when_it_fits_else_a_hash);
    tcase_add_test(tc, encode_decode_round_trip_keeps_every_byte);
    tcase_add_test(tc, decode_rejects_malformed_records);
    tcase_add_test(tc, decode_reads_records_from_before_the_layout_was_kept);
    tcase_add_test(tc, hash_fd_hashes_the_whole_content);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(filestate_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
