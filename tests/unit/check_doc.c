/*
 * check_doc.c - the packed form of documents (doc.h) that extraction
 * workers send to the daemon: a full round trip, and refusal of every
 * truncated or corrupted message (the daemon must survive any bytes a
 * crashing worker leaves behind).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "doc.h"
#include "worker.h"

static struct doc *
sample_doc(void)
{
    struct doc *d = doc_new();

    doc_set(&d->key, "/spool/a.sgm#17", 15);
    doc_set(&d->path, "/spool/a.sgm", 12);
    doc_set(&d->member, "17", 2);
    doc_set(&d->plugin, "reuters-sgml", 12);
    doc_set(&d->plugin_version, "1.0", 3);
    doc_set(&d->title, "COCOA EXPORTS \xc3\xa9", 16);
    doc_set(&d->date, "1987-02-26T15:01:01Z", 20);
    /* outlet, place, lang, url stay NULL: "not known" must survive. */
    doc_set(&d->place, "", 0);
    strv_push(&d->authors, "A. Writer", 9);
    strv_push(&d->keywords, "cocoa", 5);
    strv_push(&d->keywords, "el-salvador", 11);
    strv_push(&d->body, "First paragraph.", 16);
    strv_push(&d->body, "", 0);
    return d;
}

static void
assert_same_str(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        ck_assert_ptr_eq(a, b);
    else
        ck_assert_str_eq(a, b);
}

static void
assert_same_strv(const struct strv *a, const struct strv *b)
{
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        ck_assert_str_eq(a->v[i], b->v[i]);
}

START_TEST(pack_round_trips_every_field)
{
    struct doc *d = sample_doc(), *e;
    struct dbuf b = { 0 };
    struct dcur c;

    doc_pack(&b, d);
    doc_pack(&b, d);
    c = (struct dcur){ b.p, b.len, 0 };
    for (int k = 0; k < 2; k++) {
        e = doc_unpack(&c);
        ck_assert_ptr_nonnull(e);
        assert_same_str(e->key, d->key);
        assert_same_str(e->path, d->path);
        assert_same_str(e->member, d->member);
        assert_same_str(e->plugin, d->plugin);
        assert_same_str(e->plugin_version, d->plugin_version);
        assert_same_str(e->title, d->title);
        assert_same_str(e->date, d->date);
        assert_same_str(e->outlet, NULL);
        assert_same_str(e->place, "");
        assert_same_str(e->lang, NULL);
        assert_same_str(e->url, NULL);
        assert_same_strv(&e->authors, &d->authors);
        assert_same_strv(&e->summary, &d->summary);
        assert_same_strv(&e->captions, &d->captions);
        assert_same_strv(&e->keywords, &d->keywords);
        assert_same_strv(&e->body, &d->body);
        doc_free(e);
    }
    ck_assert_int_eq(c.err, 0);
    ck_assert_uint_eq(c.len, 0);
    /* Past the end: an error, not a crash, and it sticks. */
    ck_assert_ptr_null(doc_unpack(&c));
    ck_assert_int_eq(c.err, -EBADMSG);
    ck_assert_uint_eq(dcur_u32(&c), 0);
    free(b.p);
    doc_free(d);
}
END_TEST

START_TEST(every_truncation_is_refused)
{
    struct doc *d = sample_doc();
    struct dbuf b = { 0 };

    doc_pack(&b, d);
    for (size_t len = 0; len < b.len; len++) {
        struct dcur c = { b.p, len, 0 };

        ck_assert_ptr_null(doc_unpack(&c));
        ck_assert_int_eq(c.err, -EBADMSG);
    }
    free(b.p);
    doc_free(d);
}
END_TEST

START_TEST(corrupted_bytes_never_crash)
{
    struct doc *d = sample_doc();
    struct dbuf b = { 0 };
    size_t refused = 0;

    doc_pack(&b, d);
    /* Every byte set to values that make lengths huge, zero or odd;
     * the result is either a document or a clean refusal. */
    for (size_t i = 0; i < b.len; i++) {
        static const unsigned char vals[] = { 0x00, 0x01, 0x7f, 0xff };

        for (size_t v = 0; v < sizeof vals; v++) {
            char *copy = malloc(b.len);
            struct dcur c = { copy, b.len, 0 };
            struct doc *e;

            memcpy(copy, b.p, b.len);
            copy[i] = (char)vals[v];
            e = doc_unpack(&c);
            if (e == NULL) {
                ck_assert_int_eq(c.err, -EBADMSG);
                refused++;
            } else {
                ck_assert_ptr_nonnull(e->key);
                ck_assert_ptr_nonnull(e->path);
            }
            doc_free(e);
            free(copy);
        }
    }
    ck_assert_uint_gt(refused, 0);
    free(b.p);
    doc_free(d);
}
END_TEST

START_TEST(missing_key_or_path_or_embedded_nul_is_refused)
{
    struct doc *d = doc_new();
    struct dbuf b = { 0 };
    struct dcur c;

    doc_set(&d->key, "k", 1);       /* no path */
    doc_pack(&b, d);
    c = (struct dcur){ b.p, b.len, 0 };
    ck_assert_ptr_null(doc_unpack(&c));
    ck_assert_int_eq(c.err, -EBADMSG);
    free(b.p);

    /* A string whose bytes hold a NUL. */
    b = (struct dbuf){ 0 };
    dbuf_add_u32(&b, 3);
    dbuf_add(&b, "a\0b", 3);
    c = (struct dcur){ b.p, b.len, 0 };
    ck_assert_ptr_null(dcur_str(&c));
    ck_assert_int_eq(c.err, -EBADMSG);
    free(b.p);
    doc_free(d);
}
END_TEST

START_TEST(integers_are_big_endian_and_bounded)
{
    struct dbuf b = { 0 };
    struct dcur c;

    dbuf_add_u32(&b, 0x01020304u);
    dbuf_add_u64(&b, 0x1122334455667788ull);
    dbuf_add_str(&b, NULL);
    ck_assert_uint_eq(b.len, 16);
    ck_assert_int_eq(b.p[0], 1);
    ck_assert_int_eq(b.p[3], 4);
    c = (struct dcur){ b.p, b.len, 0 };
    ck_assert_uint_eq(dcur_u32(&c), 0x01020304u);
    ck_assert_uint_eq(dcur_u64(&c), 0x1122334455667788ull);
    ck_assert_ptr_null(dcur_str(&c));
    ck_assert_int_eq(c.err, 0);     /* NULL packed is not an error */
    ck_assert_uint_eq(c.len, 0);
    free(b.p);
}
END_TEST

/* A worker's reply, as packed by the worker and read by the daemon: every
 * shortened copy is refused, a trailing byte too. */
START_TEST(worker_reply_round_trips)
{
    struct doc *docs[2] = { sample_doc(), sample_doc() };
    struct extract_result res = { .docs = docs, .n = 2, .cap = 2 };
    struct wresult r = { 0 };
    struct dbuf b = { 0 };

    worker_pack_reply(&b, 0, 0x0102030405060708u, &res);
    ck_assert_int_eq(worker_parse_reply(b.p, b.len, &r), 0);
    ck_assert_int_eq(r.rc, 0);
    ck_assert(r.hash == 0x0102030405060708u);
    ck_assert_uint_eq(r.n, 2);
    ck_assert_str_eq(r.docs[1]->key, "/spool/a.sgm#17");
    assert_same_strv(&r.docs[0]->body, &docs[0]->body);
    wresult_clear(&r);
    for (size_t n = 0; n < b.len; n++) {
        ck_assert_int_eq(worker_parse_reply(b.p, n, &r), -EBADMSG);
        wresult_clear(&r);
    }
    dbuf_add(&b, "x", 1);
    ck_assert_int_eq(worker_parse_reply(b.p, b.len, &r), -EBADMSG);
    wresult_clear(&r);

    /* A failure carries its reason and no documents. */
    b.len = 0;
    res.n = 0;
    snprintf(res.reason, sizeof res.reason, "no plugin wants this file");
    worker_pack_reply(&b, -ENOMSG, 0, &res);
    ck_assert_int_eq(worker_parse_reply(b.p, b.len, &r), 0);
    ck_assert_int_eq(r.rc, -ENOMSG);
    ck_assert_str_eq(r.reason, "no plugin wants this file");
    ck_assert_uint_eq(r.n, 0);
    wresult_clear(&r);
    free(b.p);
    doc_free(docs[0]);
    doc_free(docs[1]);
}
END_TEST

static Suite *
doc_suite(void)
{
    Suite *s = suite_create("doc");
    TCase *tc = tcase_create("pack");

    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, pack_round_trips_every_field);
    tcase_add_test(tc, every_truncation_is_refused);
    tcase_add_test(tc, corrupted_bytes_never_crash);
    tcase_add_test(tc, missing_key_or_path_or_embedded_nul_is_refused);
    tcase_add_test(tc, integers_are_big_endian_and_bounded);
    tcase_add_test(tc, worker_reply_round_trips);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(doc_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
