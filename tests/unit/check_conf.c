/*
 * check_conf.c - settings and searchd.conf (conf.h): every key, the
 * [watch DIR] sections, quoting, relative paths, and an error naming the
 * file and line for each kind of mistake.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "conf.h"
#include "log.h"
#include "testutil.h"

static char tmp[512];
static char path[700];
static char spool[700];

static void
setup(void)
{
    tu_mkdtemp(tmp, sizeof tmp, "check_conf");
    snprintf(path, sizeof path, "%s/searchd.conf", tmp);
    snprintf(spool, sizeof spool, "%s/spool", tmp);
    ck_assert_int_eq(mkdir(spool, 0700), 0);
}

static void
teardown(void)
{
    tu_rmtree(tmp);
}

static void
write_conf(const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* Load text; returns config_load's result, err in err. */
static int
load(const char *text, struct settings *s, char *err, size_t errlen)
{
    write_conf(text);
    settings_init(s);
    return config_load(path, s, err, errlen);
}

/* text must fail at line with a message containing what. */
static void
assert_error(const char *text, unsigned line, const char *what)
{
    struct settings s;
    char err[1024], want[800];

    ck_assert_int_eq(load(text, &s, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:%u: ", path, line);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0,
                  "error '%s' does not start with '%s'", err, want);
    ck_assert_msg(strstr(err, what) != NULL, "error '%s' lacks '%s'", err,
                  what);
    settings_clear(&s);
}

START_TEST(every_key_is_read)
{
    struct settings s;
    char err[1024], text[2048];

    snprintf(text, sizeof text,
             "# a comment\n"
             "\n"
             "index = %s/idx\n"
             "socket = \"%s/s.sock\"\n"
             "socket-mode = 0660\n"
             "plugin-dir = plugins\n"
             "workers = 3\n"
             "query-threads = 5\n"
             "shards = 2\n"
             "deadline = 2.5\n"
             "worker-mem = 512\n"
             "settle = 250\n"
             "commit-docs = 50\n"
             "commit-interval = 0.5\n"
             "log-level = debug\n"
             "   ; also a comment\n"
             "[watch %s]\n"
             "outlet = \"BBC News\"\n"
             "lang = en\n"
             "[ watch spool ]\n",
             tmp, tmp, spool);
    ck_assert_int_eq(load(text, &s, err, sizeof err), 0);
    ck_assert_str_eq(s.socket_path + strlen(tmp), "/s.sock");
    ck_assert_uint_eq(s.socket_mode, 0660);
    /* Relative to the file's folder. */
    ck_assert_str_eq(s.plugin_dir + strlen(tmp), "/plugins");
    ck_assert_uint_eq(s.workers, 3);
    ck_assert_uint_eq(s.query_threads, 5);
    ck_assert_uint_eq(s.shards, 2);
    ck_assert_uint_eq(s.deadline_ms, 2500);
    ck_assert_uint_eq(s.worker_mem_mb, 512);
    ck_assert_uint_eq(s.settle_ms, 250);
    ck_assert_uint_eq(s.commit_docs, 50);
    ck_assert_uint_eq(s.commit_ms, 500);
    ck_assert_int_eq(s.log_level, LOG_LEVEL_DEBUG);
    ck_assert_uint_eq(s.n_watch, 2);
    ck_assert_str_eq(s.watch[0].outlet, "BBC News");
    ck_assert_str_eq(s.watch[0].lang, "en");
    /* The same folder twice, the second by a relative path. */
    ck_assert_str_eq(s.watch[0].dir, s.watch[1].dir);
    ck_assert_ptr_null(s.watch[1].outlet);
    settings_clear(&s);
}
END_TEST

START_TEST(defaults_hold_without_a_file_entry)
{
    struct settings s;
    char err[256];

    ck_assert_int_eq(load("", &s, err, sizeof err), 0);
    ck_assert_ptr_null(s.index_dir);
    ck_assert_uint_eq(s.socket_mode, 0600);
    ck_assert_str_eq(s.plugin_dir, PLUGINDIR);
    ck_assert_uint_eq(s.n_watch, 0);
    ck_assert_int_eq(s.log_level, LOG_LEVEL_INFO);
    settings_clear(&s);
}
END_TEST

START_TEST(quoted_values_keep_spaces_and_escapes)
{
    struct settings s;
    char err[1024], text[1024];

    snprintf(text, sizeof text,
             "[watch \"%s\"]\noutlet = \"  The \\\"Daily\\\" \\\\ Post # 1 \"\n",
             spool);
    ck_assert_int_eq(load(text, &s, err, sizeof err), 0);
    ck_assert_str_eq(s.watch[0].outlet, "  The \"Daily\" \\ Post # 1 ");
    settings_clear(&s);
}
END_TEST

START_TEST(errors_name_file_and_line)
{
    char text[1024];

    assert_error("workers = 2\nworkrs = 3\n", 2, "unknown key 'workrs'");
    assert_error("\n\nworkers = 0\n", 3, "want a number from 1 to 64");
    assert_error("workers = two\n", 1, "'two'");
    assert_error("socket-mode = 999\n", 1, "octal");
    assert_error("deadline = 0\n", 1, "seconds");
    assert_error("worker-mem = 10\n", 1, "at least 64");
    assert_error("log-level = loud\n", 1, "err, warn, info or debug");
    assert_error("index =\n", 1, "want a path");
    assert_error("just words\n", 1, "want 'key = value'");
    assert_error("= 3\n", 1, "no key");
    assert_error("outlet = X\n", 1, "belongs in a [watch DIR] section");
    assert_error("watch = /tmp\n", 1, "section of its own");
    assert_error("[watch /no/such/folder/here]\n", 1, "No such file");
    assert_error("[other]\n", 1, "unknown section");
    assert_error("[watch /tmp\n", 1, "must end with ']'");
    assert_error("outlet = \"open\n", 1, "no closing quote");
    assert_error("index = \"a\" b\n", 1, "after the closing quote");
    assert_error("index = \"a\\nb\"\n", 1, "backslash");
    snprintf(text, sizeof text, "[watch %s]\nworkers = 2\n", spool);
    assert_error(text, 2, "only outlet and lang");
    snprintf(text, sizeof text, "[watch %s]\noutlet =\n", spool);
    assert_error(text, 2, "non-empty UTF-8");
    assert_error("# ok\nindex = \xff\xfe\n", 2, "not UTF-8");
    snprintf(text, sizeof text, "[watch %s/searchd.conf]\n", tmp);
    assert_error(text, 1, "not a folder");
}
END_TEST

START_TEST(a_line_too_long_is_refused)
{
    size_t n = 5000;
    char *text = malloc(n + 16);

    ck_assert_ptr_nonnull(text);
    memcpy(text, "index = ", 8);
    memset(text + 8, 'a', n);
    strcpy(text + 8 + n, "\n");
    assert_error(text, 1, "longer than");
    free(text);
}
END_TEST

/* A NUL byte is not text: it used to end the line for fgets, which then
 * called the line too long. */
START_TEST(a_nul_byte_is_not_text)
{
    static const char text[] = "workers = 2\nshards = 2\0 x\n";
    struct settings s;
    char err[1024], want[800];
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, sizeof text - 1, f), sizeof text - 1);
    ck_assert_int_eq(fclose(f), 0);
    settings_init(&s);
    ck_assert_int_eq(config_load(path, &s, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:2: not UTF-8 text", path);
    ck_assert_str_eq(err, want);
    settings_clear(&s);
}
END_TEST

/* config_parse reads text as config_load reads a file. */
START_TEST(text_in_memory_parses_as_a_file)
{
    static const char text[] = "workers = 3\n[watch spool]\nlang = en";
    static const char bad[] = "workers = 3\nworkers = 0\n";
    struct settings s;
    char err[1024];

    settings_init(&s);
    ck_assert_int_eq(config_parse("mem", text, sizeof text - 1, tmp, &s,
                                  err, sizeof err), 0);
    ck_assert_uint_eq(s.workers, 3);
    ck_assert_uint_eq(s.n_watch, 1);
    ck_assert_str_eq(s.watch[0].lang, "en");
    settings_clear(&s);

    settings_init(&s);
    ck_assert_int_eq(config_parse("mem", "", 0, tmp, &s, err, sizeof err),
                     0);
    ck_assert_int_eq(config_parse("mem", bad, sizeof bad - 1, tmp, &s, err,
                                  sizeof err), -1);
    ck_assert_msg(strncmp(err, "mem:2: ", 7) == 0, "error '%s'", err);
    settings_clear(&s);
}
END_TEST

START_TEST(a_tilde_is_the_home_folder)
{
    struct settings s;
    char err[1024];
    const char *old = getenv("HOME");
    char *saved = old ? strdup(old) : NULL;

    setenv("HOME", tmp, 1);
    ck_assert_msg(load("index = ~/idx\n[watch ~/spool]\n", &s, err,
                       sizeof err) == 0, "%s", err);
    ck_assert_str_eq(s.watch[0].dir + strlen(s.watch[0].dir) - 6, "/spool");
    ck_assert_str_eq(s.index_dir + strlen(tmp), "/idx");
    settings_clear(&s);
    unsetenv("HOME");
    assert_error("index = ~/x\n", 1, "HOME is not set");
    if (saved != NULL) {
        setenv("HOME", saved, 1);
        free(saved);
    }
}
END_TEST

START_TEST(a_missing_file_is_enoent)
{
    struct settings s;
    char err[1024];
    char missing[800];

    snprintf(missing, sizeof missing, "%s/nope.conf", tmp);
    settings_init(&s);
    ck_assert_int_eq(config_load(missing, &s, err, sizeof err), -ENOENT);
    ck_assert_msg(strstr(err, "nope.conf") != NULL, "%s", err);
    settings_clear(&s);
}
END_TEST

START_TEST(client_limits_are_read)
{
    struct settings s;
    char err[1024];

    ck_assert_int_eq(load("max-connections = 300\n"
                          "max-pending-out = 512K\n"
                          "max-line = 8192\n"
                          "idle-timeout = 0\n"
                          "read-timeout = 2.5\n"
                          "write-timeout = 10\n", &s, err, sizeof err), 0);
    ck_assert_uint_eq(s.max_conns, 300);
    ck_assert_uint_eq(s.max_pending_out, 512u << 10);
    ck_assert_uint_eq(s.max_line, 8192);
    ck_assert_uint_eq(s.idle_ms, 0);
    ck_assert_uint_eq(s.read_ms, 2500);
    ck_assert_uint_eq(s.write_ms, 10000);
    settings_clear(&s);
    /* Defaults, and every size suffix. */
    settings_init(&s);
    ck_assert_uint_eq(s.max_conns, 1024);
    ck_assert_uint_eq(s.max_pending_out, 4u << 20);
    ck_assert_uint_eq(s.max_line, 65536);
    ck_assert_uint_eq(s.idle_ms, 300000);
    ck_assert_int_eq(settings_set(&s, "max-pending-out", "1G", NULL, err,
                                  sizeof err), 0);
    ck_assert_uint_eq(s.max_pending_out, 1u << 30);
    ck_assert_int_eq(settings_set(&s, "max-pending-out", "8m", NULL, err,
                                  sizeof err), 0);
    ck_assert_uint_eq(s.max_pending_out, 8u << 20);
    ck_assert_int_eq(settings_set(&s, "max-pending-out", "70000", NULL, err,
                                  sizeof err), 0);
    ck_assert_uint_eq(s.max_pending_out, 70000);
    ck_assert_int_eq(settings_set(&s, "max-line", "64K", NULL, err,
                                  sizeof err), 0);
    ck_assert_uint_eq(s.max_line, 65536);
    settings_clear(&s);
    assert_error("max-connections = 0\n", 1, "from 1 to 1000000");
    assert_error("max-pending-out = 1K\n", 1, "want bytes from 65536");
    assert_error("max-pending-out = 2G\n", 1, "want bytes");
    assert_error("max-pending-out = -1\n", 1, "want bytes");
    assert_error("max-pending-out = 5X\n", 1, "want bytes");
    assert_error("max-pending-out = 99999999999999999999G\n", 1,
                 "want bytes");
    assert_error("max-line = 65537\n", 1, "to 65536");
    assert_error("max-line = 100\n", 1, "from 1024");
    assert_error("idle-timeout = -1\n", 1, "seconds from 0");
    assert_error("read-timeout = soon\n", 1, "seconds");
    assert_error("write-timeout = 100000\n", 1, "to 86400");
}
END_TEST

START_TEST(command_line_values_use_the_same_parser)
{
    struct settings s;
    char err[512];

    settings_init(&s);
    ck_assert_int_eq(settings_set(&s, "workers", "65", NULL, err,
                                  sizeof err), -EINVAL);
    ck_assert_msg(strstr(err, "from 1 to 64") != NULL, "%s", err);
    ck_assert_int_eq(settings_set(&s, "nosuch", "1", NULL, err, sizeof err),
                     -ENOENT);
    ck_assert_int_eq(settings_set(&s, "outlet", "X", NULL, err, sizeof err),
                     -EINVAL);
    ck_assert_int_eq(settings_set(&s, "watch", spool, NULL, err, sizeof err),
                     0);
    ck_assert_int_eq(settings_set(&s, "outlet", "X", NULL, err, sizeof err),
                     0);
    ck_assert_str_eq(s.watch[0].outlet, "X");
    ck_assert(settings_is_key("commit-interval"));
    ck_assert(!settings_is_key("foreground"));
    settings_clear(&s);
}
END_TEST

/* socket-group, admin-group and add-root (least privilege). */
START_TEST(access_keys_are_read)
{
    struct settings s;
    char err[1024], text[2048], link[800];

    snprintf(link, sizeof link, "%s/spool-link", tmp);
    ck_assert_int_eq(symlink(spool, link), 0);
    snprintf(text, sizeof text,
             "socket-group = 4242\n"
             "admin-group = root\n"
             "add-root = spool\n"
             "add-root = %s\n",
             link);
    ck_assert_int_eq(load(text, &s, err, sizeof err), 0);
    ck_assert(s.has_socket_group);
    ck_assert_uint_eq(s.socket_gid, 4242);
    ck_assert(s.has_admin_group);
    ck_assert_uint_eq(s.admin_gid, 0);
    ck_assert_uint_eq(s.n_add_roots, 2);
    /* Canonical: relative to the file, and through the link. */
    ck_assert_str_eq(s.add_roots[0] + strlen(s.add_roots[0]) - 6, "/spool");
    ck_assert_str_eq(s.add_roots[0], s.add_roots[1]);
    settings_clear(&s);

    ck_assert_int_eq(load("", &s, err, sizeof err), 0);
    ck_assert(!s.has_socket_group && !s.has_admin_group);
    ck_assert_uint_eq(s.n_add_roots, 0);
    settings_clear(&s);

    assert_error("socket-group = no-such-group-sd\n", 1, "no such group");
    assert_error("admin-group =\n", 1, "want a group");
    assert_error("add-root = /no/such/folder/here\n", 1, "No such file");
    snprintf(text, sizeof text, "add-root = %s/searchd.conf\n", tmp);
    assert_error(text, 1, "not a folder");
    snprintf(text, sizeof text, "[watch %s]\nadd-root = %s\n", spool, spool);
    assert_error(text, 2, "only outlet and lang");
}
END_TEST

START_TEST(default_path_follows_the_environment)
{
    char *p;

    setenv("SEARCHD_CONFIG", "/x/y.conf", 1);
    p = config_default_path();
    ck_assert_str_eq(p, "/x/y.conf");
    free(p);
    unsetenv("SEARCHD_CONFIG");
    if (geteuid() != 0) {
        setenv("XDG_CONFIG_HOME", "/cfg", 1);
        p = config_default_path();
        ck_assert_str_eq(p, "/cfg/searchd/searchd.conf");
        free(p);
    } else {
        p = config_default_path();
        ck_assert_str_eq(p, SYSCONFDIR "/searchd.conf");
        free(p);
    }
}
END_TEST

static Suite *
conf_suite(void)
{
    Suite *s = suite_create("conf");
    TCase *tc = tcase_create("conf");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, every_key_is_read);
    tcase_add_test(tc, defaults_hold_without_a_file_entry);
    tcase_add_test(tc, quoted_values_keep_spaces_and_escapes);
    tcase_add_test(tc, errors_name_file_and_line);
    tcase_add_test(tc, a_line_too_long_is_refused);
    tcase_add_test(tc, a_nul_byte_is_not_text);
    tcase_add_test(tc, text_in_memory_parses_as_a_file);
    tcase_add_test(tc, a_tilde_is_the_home_folder);
    tcase_add_test(tc, a_missing_file_is_enoent);
    tcase_add_test(tc, client_limits_are_read);
    tcase_add_test(tc, command_line_values_use_the_same_parser);
    tcase_add_test(tc, default_path_follows_the_environment);
    tcase_add_test(tc, access_keys_are_read);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(conf_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
