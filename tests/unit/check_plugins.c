/*
 * check_plugins.c - the plugin loader and the extraction host, tested from
 * outside: real .so files from tests/fixtures/plugins ($SD_FIXTURE_DIR),
 * the real plugins ($SD_PLUGIN_DIR) and the files in tests/data
 * ($SD_DATA_DIR).  `make check` sets all three.
 *
 * The "marker" fixture reads directives from the file (see marker.c), so
 * the sink's checks and caps are driven through the real ABI.  Tests that
 * need the real plugins print a SKIP line and pass when those are not
 * built yet.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "extract.h"
#include "log.h"
#include "plugins.h"
#include "proto.h"
#include "testutil.h"
#include "util.h"

static const char *fixture_dir;     /* $SD_FIXTURE_DIR */
static const char *plugin_dir;      /* $SD_PLUGIN_DIR, may be NULL */
static const char *data_dir;        /* $SD_DATA_DIR */
static char tmp_dir[512];           /* per test, see tmp_setup */

/* ---- helpers ------------------------------------------------------------ */

/* stderr into a file while a block runs; cap_end returns what was written
 * (owned by the caller). */
struct capture {
    int saved_fd;
    FILE *file;
};

static void
cap_begin(struct capture *c)
{
    fflush(stderr);
    c->file = tmpfile();
    ck_assert_ptr_nonnull(c->file);
    c->saved_fd = dup(STDERR_FILENO);
    ck_assert_int_ge(c->saved_fd, 0);
    ck_assert_int_eq(dup2(fileno(c->file), STDERR_FILENO), STDERR_FILENO);
}

static char *
cap_end(struct capture *c)
{
    long n;
    char *text;

    fflush(stderr);
    ck_assert_int_eq(dup2(c->saved_fd, STDERR_FILENO), STDERR_FILENO);
    close(c->saved_fd);
    n = ftell(c->file);
    ck_assert_int_ge(n, 0);
    text = xmalloc((size_t)n + 1);
    rewind(c->file);
    ck_assert_uint_eq(fread(text, 1, (size_t)n, c->file), (size_t)n);
    text[n] = '\0';
    fclose(c->file);
    return text;
}

/* Lines of log containing needle. */
static int
count_lines_with(const char *log, const char *needle)
{
    int n = 0;

    for (const char *line = log; *line != '\0';) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char *copy = xstrndup(line, len);

        if (strstr(copy, needle) != NULL)
            n++;
        free(copy);
        line += len + (nl != NULL);
    }
    return n;
}

/* The one line of log containing needle (owned), failing unless exactly
 * one does. */
static char *
line_with(const char *log, const char *needle)
{
    const char *at = strstr(log, needle), *start, *end;

    ck_assert_msg(count_lines_with(log, needle) == 1,
                  "want one log line with \"%s\", log:\n%s", needle, log);
    for (start = at; start > log && start[-1] != '\n'; start--)
        ;
    end = strchr(at, '\n');
    return xstrndup(start, end ? (size_t)(end - start) : strlen(start));
}

/* Load dir into p with stderr captured; returns the log (owned). */
static char *
load_logged(struct plugins *p, const char *dir, int *rc_out)
{
    struct capture c;
    int rc;

    cap_begin(&c);
    rc = plugins_load_dir(p, dir);
    if (rc_out != NULL)
        *rc_out = rc;
    return cap_end(&c);
}

static struct plugins *
load_fixtures(void)
{
    struct plugins *p = plugins_new();

    free(load_logged(p, fixture_dir, NULL));
    return p;
}

/* True when the real plugins are built; else says why the caller skips. */
static bool
have_real_plugins(const char *test)
{
    char *so;
    bool ok;

    if (plugin_dir == NULL) {
        printf("check_plugins: SKIP %s: SD_PLUGIN_DIR not set\n", test);
        return false;
    }
    so = xasprintf("%s/plaintext.so", plugin_dir);
    ok = access(so, R_OK) == 0;
    if (!ok)
        printf("check_plugins: SKIP %s: the real plugins are not built "
               "(no %s)\n", test, so);
    free(so);
    return ok;
}

static struct plugins *
load_real(bool with_fixtures)
{
    struct plugins *p = plugins_new();

    free(load_logged(p, plugin_dir, NULL));
    if (with_fixtures)
        free(load_logged(p, fixture_dir, NULL));
    return p;
}

/* Write len bytes to tmp_dir/name; returns the path (owned). */
static char *
tmp_file(const char *name, const void *data, size_t len)
{
    char *path = xasprintf("%s/%s", tmp_dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

static char *
tmp_text(const char *name, const char *text)
{
    return tmp_file(name, text, strlen(text));
}

static char *
data_path(const char *rel)
{
    return xasprintf("%s/%s", data_dir, rel);
}

static bool
valid_str(const char *s)
{
    return s == NULL || utf8_valid(s, strlen(s));
}

static bool
valid_strv(const struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        if (!valid_str(sv->v[i]))
            return false;
    return true;
}

/* Every text field of d is valid UTF-8 and the bookkeeping is set. */
static void
assert_doc_sane(const struct doc *d, const char *path)
{
    ck_assert_ptr_nonnull(d->key);
    ck_assert_str_eq(d->path, path);
    ck_assert_ptr_nonnull(d->plugin);
    ck_assert_ptr_nonnull(d->plugin_version);
    ck_assert(d->title != NULL || d->body.n > 0);
    ck_assert(valid_str(d->title) && valid_str(d->date) &&
              valid_str(d->outlet) && valid_str(d->place) &&
              valid_str(d->lang) && valid_str(d->url) &&
              valid_str(d->member));
    ck_assert(valid_strv(&d->authors) && valid_strv(&d->summary) &&
              valid_strv(&d->captions) && valid_strv(&d->keywords) &&
              valid_strv(&d->body));
}

static bool
strv_has(const struct strv *sv, const char *s)
{
    for (size_t i = 0; i < sv->n; i++)
        if (strcmp(sv->v[i], s) == 0)
            return true;
    return false;
}

static void
tmp_setup(void)
{
    tu_mkdtemp(tmp_dir, sizeof tmp_dir, "check_plugins");
}

static void
tmp_teardown(void)
{
    if (tmp_dir[0] != '\0')
        tu_rmtree(tmp_dir);
    tmp_dir[0] = '\0';
}

/* Extract text (written to a temp file named name) with the fixtures. */
static int
extract_text(const char *name, const char *text, struct extract_result *res,
             char **path_out)
{
    struct plugins *p = load_fixtures();
    char *path = tmp_text(name, text);
    int rc = extract_file(p, path, res);

    /* The docs do not point into the registry; res->plugin does, so drop
     * it with the registry. */
    res->plugin = NULL;
    plugins_free(p);
    if (path_out != NULL)
        *path_out = path;
    else
        free(path);
    return rc;
}

/* ---- loading ------------------------------------------------------------ */

START_TEST(load_fixtures_keeps_only_valid_plugins)
{
    struct plugins *p = plugins_new();
    const struct plugin_entry *m, *d;
    char *log;
    int rc;

    log = load_logged(p, fixture_dir, &rc);
    ck_assert_int_eq(rc, 3);
    ck_assert_uint_eq(plugins_count(p), 3);
    /* Sorted by plugin name: dup_name.so calls itself "plaintext". */
    m = plugins_get(p, 0);
    d = plugins_get(p, 1);
    ck_assert_str_eq(plugins_get(p, 2)->desc->name, "saboteur");
    ck_assert_str_eq(m->desc->name, "marker");
    ck_assert_str_eq(m->desc->version, "1.0");
    ck_assert_str_eq(d->desc->name, "plaintext");
    ck_assert_ptr_nonnull(strstr(m->file, "/marker.so"));
    ck_assert_ptr_nonnull(strstr(d->file, "/dup_name.so"));
    ck_assert_ptr_nonnull(m->handle);
    ck_assert(m->extract == m->desc->extract);
    ck_assert(plugins_find(p, "marker") == m);
    ck_assert(plugins_find(p, "plaintext") == d);
    ck_assert_ptr_null(plugins_find(p, "bad_abi"));
    ck_assert_ptr_null(plugins_find(p, "nope"));
    ck_assert_int_eq(count_lines_with(log, "info: plugins: marker: version "
                                      "1.0 loaded from "), 1);
    free(log);
    plugins_free(p);
}
END_TEST

START_TEST(load_fixtures_logs_one_line_per_refused_file)
{
    static const struct {
        const char *file;
        const char *says;   /* a piece of what the line must say */
    } refused[] = {
        { "bad_abi.so",    "ABI 99, want 1; skipped (rebuild it" },
        { "short_size.so", "descriptor is 16 bytes, want at least" },
        { "no_entry.so",   "no sd_plugin_entry() exported" },
        { "no_extract.so", "descriptor has no extract" },
        /* The same plugin at another version, for reload tests. */
        { "marker_v2.so",  "plugin name \"marker\" already taken by" },
    };
    struct plugins *p = plugins_new();
    char *log = load_logged(p, fixture_dir, NULL);
    char want[64];

    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char *line = line_with(log, refused[i].file);

        ck_assert_msg(strstr(line, ": error: plugins: ") != NULL, "%s", line);
        ck_assert_msg(strstr(line, refused[i].says) != NULL,
                      "want \"%s\" in: %s", refused[i].says, line);
        free(line);
    }
    snprintf(want, sizeof want, "at least %zu",
             (size_t)SD_PLUGIN_MIN_SIZE);
    ck_assert_ptr_nonnull(strstr(log, want));
    /* Refusals are errors, nothing else is. */
    ck_assert_int_eq(count_lines_with(log, ": error: "), 5);
    free(log);
    plugins_free(p);
}
END_TEST

START_TEST(load_fixtures_after_real_refuses_duplicate_name)
{
    struct plugins *p;
    const struct plugin_entry *e;
    char *log, *line;
    size_t n_real;
    int rc;

    if (!have_real_plugins("load_fixtures_after_real_refuses_duplicate_name"))
        return;
    p = plugins_new();
    free(load_logged(p, plugin_dir, &rc));
    ck_assert_int_ge(rc, 1);
    n_real = plugins_count(p);
    log = load_logged(p, fixture_dir, &rc);
    /* marker and saboteur join; dup_name is refused as a second
     * "plaintext". */
    ck_assert_int_eq(rc, (int)n_real + 2);
    line = line_with(log, "dup_name.so");
    ck_assert_msg(strstr(line, "\"plaintext\" already taken by ") != NULL &&
                  strstr(line, "/plaintext.so") != NULL, "%s", line);
    free(line);
    e = plugins_find(p, "plaintext");
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_nonnull(strstr(e->file, "/plaintext.so"));
    ck_assert_ptr_nonnull(plugins_find(p, "marker"));
    for (size_t i = 1; i < plugins_count(p); i++)
        ck_assert_int_lt(strcmp(plugins_get(p, i - 1)->desc->name,
                                plugins_get(p, i)->desc->name), 0);
    free(log);
    plugins_free(p);
}
END_TEST

START_TEST(load_same_dir_twice_adds_nothing)
{
    struct plugins *p = plugins_new();
    char *log;
    int rc;

    free(load_logged(p, fixture_dir, NULL));
    log = load_logged(p, fixture_dir, &rc);
    ck_assert_int_eq(rc, 3);
    ck_assert_int_eq(count_lines_with(log, "already loaded from this file"),
                     3);
    free(log);
    plugins_free(p);
}
END_TEST

/* Copy the fixture name.so to tmp_dir/as (a real file, not a link). */
static void
copy_fixture(const char *name, const char *as)
{
    char *src = xasprintf("%s/%s", fixture_dir, name);
    char *dst = xasprintf("%s/%s", tmp_dir, as);
    char buf[65536];
    int in = open(src, O_RDONLY), out;
    ssize_t n;

    ck_assert_msg(in >= 0, "%s: %s", src, strerror(errno));
    out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    ck_assert_int_ge(out, 0);
    while ((n = read(in, buf, sizeof buf)) > 0)
        ck_assert_int_eq(write(out, buf, (size_t)n), n);
    ck_assert_int_eq(n, 0);
    close(in);
    close(out);
    free(src);
    free(dst);
}

START_TEST(load_skips_symlinks_hidden_and_other_files)
{
    struct plugins *p = plugins_new();
    char *target = xasprintf("%s/marker.so", fixture_dir);
    char *link = xasprintf("%s/link.so", tmp_dir);
    char *sub = xasprintf("%s/subdir.so", tmp_dir);
    char *log;
    int rc;

    ck_assert_int_eq(symlink(target, link), 0);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    copy_fixture("marker.so", ".hidden.so");
    copy_fixture("marker.so", "marker.so.bak");
    copy_fixture("bad_abi.so", "bad_abi.so.1");
    free(tmp_text("notes.txt", "not a plugin\n"));
    free(tmp_text(".so", "a name that is only a suffix\n"));

    log = load_logged(p, tmp_dir, &rc);
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(plugins_count(p), 0);
    ck_assert_int_eq(count_lines_with(log, "link.so: a symbolic link; "
                                      "skipped"), 1);
    free(log);

    /* The same object as a regular file does load. */
    copy_fixture("marker.so", "copy.so");
    log = load_logged(p, tmp_dir, &rc);
    ck_assert_int_eq(rc, 1);
    ck_assert_ptr_nonnull(strstr(plugins_get(p, 0)->file, "/copy.so"));
    free(log);
    plugins_free(p);
    free(target);
    free(link);
    free(sub);
}
END_TEST

START_TEST(load_missing_dir_is_enoent)
{
    struct plugins *p = plugins_new();
    char *missing = xasprintf("%s/no-such-dir", tmp_dir);
    char *file = tmp_text("file", "x");

    ck_assert_int_eq(plugins_load_dir(p, missing), -ENOENT);
    ck_assert_int_eq(plugins_load_dir(p, file), -ENOTDIR);
    ck_assert_uint_eq(plugins_count(p), 0);
    plugins_free(p);
    plugins_free(NULL);
    free(missing);
    free(file);
}
END_TEST

/* One chosen file, with the same checks and log lines as a folder. */
START_TEST(load_one_file)
{
    struct plugins *p = plugins_new();
    char *marker = xasprintf("%s/marker.so", fixture_dir);
    char *bad = xasprintf("%s/bad_abi.so", fixture_dir);
    struct capture c;
    char *log;

    ck_assert_int_eq(plugins_load_file(p, marker), 0);
    ck_assert_uint_eq(plugins_count(p), 1);
    ck_assert_ptr_nonnull(plugins_find(p, "marker"));
    cap_begin(&c);
    ck_assert_int_eq(plugins_load_file(p, bad), -EINVAL);
    /* The same name again is refused as in a folder. */
    ck_assert_int_eq(plugins_load_file(p, marker), -EINVAL);
    /* Without a '/', dlopen would search the library path. */
    ck_assert_int_eq(plugins_load_file(p, "marker.so"), -EINVAL);
    log = cap_end(&c);
    ck_assert_int_eq(count_lines_with(log, "bad_abi.so"), 1);
    ck_assert_uint_eq(plugins_count(p), 1);
    free(log);
    free(marker);
    free(bad);
    plugins_free(p);
}
END_TEST

START_TEST(load_empty_dir_is_zero)
{
    struct plugins *p = plugins_new();

    ck_assert_int_eq(plugins_load_dir(p, tmp_dir), 0);
    ck_assert_uint_eq(plugins_count(p), 0);
    plugins_free(p);
}
END_TEST

/* ---- picking ------------------------------------------------------------ */

static const unsigned char marker_head[] = "MARKER\nA title\nA body\n";

START_TEST(pick_ties_go_to_the_first_name_every_time)
{
    struct plugins *p = load_fixtures();

    /* marker and dup_name ("plaintext") both score 100 on this. */
    for (int i = 0; i < 100; i++) {
        int score = -1;
        const struct plugin_entry *e =
            plugins_pick(p, "/x/a.txt", marker_head, sizeof marker_head - 1,
                         &score);
        ck_assert_ptr_nonnull(e);
        ck_assert_str_eq(e->desc->name, "marker");
        ck_assert_int_eq(score, 100);
    }
    plugins_free(p);
}
END_TEST

START_TEST(pick_nothing_when_every_score_is_zero)
{
    static const unsigned char text[] = "just some words\n";
    struct plugins *p = load_fixtures();
    int score = -1;

    ck_assert_ptr_null(plugins_pick(p, "/x/a.txt", text, sizeof text - 1,
                                    &score));
    ck_assert_int_eq(score, 0);
    ck_assert_ptr_null(plugins_pick(p, "/x/empty", NULL, 0, NULL));
    plugins_free(p);
}
END_TEST

START_TEST(pick_uses_content_not_the_extension)
{
    static const unsigned char text[] = "not a marker file\n";
    struct plugins *p = load_fixtures();

    /* marker lists ".marker" as an extension: only a hint. */
    ck_assert_ptr_null(plugins_pick(p, "/x/y.marker", text, sizeof text - 1,
                                    NULL));
    ck_assert_str_eq(plugins_pick(p, "/x/y.html", marker_head,
                                  sizeof marker_head - 1, NULL)->desc->name,
                     "marker");
    plugins_free(p);
}
END_TEST

START_TEST(pick_marker_over_real_plaintext)
{
    struct plugins *p;

    if (!have_real_plugins("pick_marker_over_real_plaintext"))
        return;
    p = load_real(true);
    for (int i = 0; i < 100; i++) {
        int score;
        const struct plugin_entry *e =
            plugins_pick(p, "/x/a.txt", marker_head, sizeof marker_head - 1,
                         &score);
        ck_assert_ptr_nonnull(e);
        ck_assert_str_eq(e->desc->name, "marker");
        ck_assert_int_eq(score, 100);
    }
    plugins_free(p);
}
END_TEST

/* ---- extraction: the host side, through the marker fixture -------------- */

START_TEST(extract_marker_file)
{
    struct plugins *p = load_fixtures();
    struct extract_result res = { 0 };
    char *path = data_path("marker/one.txt");
    const struct doc *d;

    ck_assert_int_eq(extract_file(p, path, &res), 0);
    ck_assert_uint_eq(res.n, 1);
    ck_assert_str_eq(res.plugin->desc->name, "marker");
    d = res.docs[0];
    assert_doc_sane(d, path);
    ck_assert_str_eq(d->key, path);
    ck_assert_ptr_null(d->member);
    ck_assert_str_eq(d->plugin, "marker");
    ck_assert_str_eq(d->plugin_version, "1.0");
    ck_assert_str_eq(d->title, "The marker fixture title");
    ck_assert_uint_eq(d->body.n, 1);
    ck_assert_ptr_nonnull(strstr(d->body.v[0], "zanzibarite"));
    /* Trimmed: the file's final newline is gone. */
    ck_assert_int_ne(d->body.v[0][strlen(d->body.v[0]) - 1], '\n');
    ck_assert_uint_eq(d->keywords.n, 1);
    ck_assert_str_eq(d->keywords.v[0], "marker");
    ck_assert_ptr_null(d->date);
    extract_result_clear(&res);
    ck_assert_uint_eq(res.n, 0);
    ck_assert_ptr_null(res.docs);
    extract_result_clear(&res);
    extract_result_clear(NULL);
    plugins_free(p);
    free(path);
}
END_TEST

START_TEST(extract_sanitises_and_trims_text)
{
    static const char text[] =
        "MARKER\n"
        "  \tPrice \xa3" "5 \xe2\x82\xac" "6\x01 caf\xc3\xa9 \n"
        "@outlet \xc2\xa0 The Daily \xff \xc2\xa0\xe2\x81\xa0\n"
        "@author \n"
        "@author    \n"
        "@author \xe2\x80\x8b\xc2\xa0\xe2\x80\x8d\xef\xbb\xbf \n"
        "body\r\nwith\x7f" "controls";
    struct extract_result res = { 0 };
    const struct doc *d;
    char *path;

    ck_assert_int_eq(extract_text("t.txt", text, &res, &path), 0);
    d = res.docs[0];
    assert_doc_sane(d, path);
    /* Latin-1 0xA3 is read as U+00A3, valid UTF-8 is kept, C0 controls
     * become spaces, ends are trimmed (no-break spaces and zero-width
     * characters too). */
    ck_assert_str_eq(d->title, "Price \xc2\xa3" "5 \xe2\x82\xac" "6  "
                     "caf\xc3\xa9");
    ck_assert_str_eq(d->outlet, "The Daily \xc3\xbf");
    /* Values empty after trimming are ignored. */
    ck_assert_uint_eq(d->authors.n, 0);
    ck_assert_str_eq(d->body.v[0], "body\nwith controls");
    extract_result_clear(&res);
    free(path);
}
END_TEST

START_TEST(extract_nul_bytes_become_spaces)
{
    static const char text[] = "MARKER\ntitle\nnul\0here";
    struct plugins *p = load_fixtures();
    struct extract_result res = { 0 };
    char *path = tmp_file("nul.txt", text, sizeof text - 1);

    ck_assert_int_eq(extract_file(p, path, &res), 0);
    ck_assert_str_eq(res.docs[0]->body.v[0], "nul here");
    extract_result_clear(&res);
    plugins_free(p);
    free(path);
}
END_TEST

START_TEST(extract_scalars_replace_lists_append)
{
    static const char text[] =
        "MARKER\nFirst title\n"
        "@title Second title\n"
        "@author Ann\n@author Bo\n"
        "@outlet X\n@outlet Y\n"
        "@place KARACHI\n@lang en\n@url https://example.org/a\n"
        "@summary one\n@summary two\n@caption pic\n"
        "@keyword Foo BAR\n@body para one\n"
        "para two\n";
    struct extract_result res = { 0 };
    const struct doc *d;
    char *body;

    ck_assert_int_eq(extract_text("f.txt", text, &res, NULL), 0);
    d = res.docs[0];
    ck_assert_str_eq(d->title, "Second title");
    ck_assert_uint_eq(d->authors.n, 2);
    ck_assert_str_eq(d->authors.v[0], "Ann");
    ck_assert_str_eq(d->authors.v[1], "Bo");
    ck_assert_str_eq(d->outlet, "Y");
    ck_assert_str_eq(d->place, "KARACHI");
    ck_assert_str_eq(d->lang, "en");
    ck_assert_str_eq(d->url, "https://example.org/a");
    ck_assert_uint_eq(d->summary.n, 2);
    ck_assert_uint_eq(d->captions.n, 1);
    /* Keywords are lower-cased; marker adds its own. */
    ck_assert(strv_has(&d->keywords, "foo bar"));
    ck_assert(strv_has(&d->keywords, "marker"));
    ck_assert_uint_eq(d->body.n, 2);
    body = doc_body_text(d);
    ck_assert_str_eq(body, "para one\n\npara two");
    free(body);
    extract_result_clear(&res);
}
END_TEST

START_TEST(extract_refuses_unknown_field_once_in_the_log)
{
    static const char text[] =
        "MARKER\ntitle\n@bogus x\n@bogus y\n@author Ann\nbody\n";
    struct extract_result res = { 0 };
    struct capture c;
    char *log, *line;
    int rc;

    cap_begin(&c);
    rc = extract_text("u.txt", text, &res, NULL);
    log = cap_end(&c);
    /* The plugin carries on after -EINVAL; the file still extracts. */
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(res.n, 1);
    ck_assert_str_eq(res.docs[0]->authors.v[0], "Ann");
    line = line_with(log, "unknown field");
    ck_assert_ptr_nonnull(strstr(line, "warning: extract: marker: "));
    ck_assert_ptr_nonnull(strstr(line, "/u.txt: "));
    ck_assert_ptr_nonnull(strstr(line, "\"bogus\""));
    free(line);
    free(log);
    extract_result_clear(&res);
}
END_TEST

START_TEST(extract_normalises_dates)
{
    static const struct {
        const char *in;
        const char *out;    /* NULL: dropped */
    } cases[] = {
        { "2021-04-02", "2021-04-02" },
        { "2021-04-02T10:05", "2021-04-02T10:05:00" },
        { "2021-04-02T10:05:30", "2021-04-02T10:05:30" },
        { "2021-04-02T10:05Z", "2021-04-02T10:05:00Z" },
        { "2021-04-02T10:05:30Z", "2021-04-02T10:05:30Z" },
        { "2021-04-02T10:05+05:00", "2021-04-02T10:05:00+05:00" },
        { "2021-04-02T23:59:59-04:30", "2021-04-02T23:59:59-04:30" },
        { "2020-02-29", "2020-02-29" },
        { "2000-02-29", "2000-02-29" },
        { "  2021-04-02  ", "2021-04-02" },
        { "1900-02-29", NULL },
        { "2021-02-29", NULL },
        { "2021-04-31", NULL },
        { "2021-13-01", NULL },
        { "2021-00-10", NULL },
        { "2021-4-2", NULL },
        { "2021-04-02T24:00", NULL },
        { "2021-04-02T10:60", NULL },
        { "2021-04-02T10", NULL },
        { "2021-04-02 10:05", NULL },
        { "2021-04-02T10:05+0500", NULL },
        { "2021-04-02T10:05+05", NULL },
        { "2021-04-02T10:05:30Zjunk", NULL },
        { "2021-04-02x", NULL },
        { "April 2, 2021", NULL },
        { "0000-01-01", NULL },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct extract_result res = { 0 };
        struct capture c;
        char *text = xasprintf("MARKER\ntitle\n@date %s\nbody\n",
                               cases[i].in);
        char *log;
        int rc;

        cap_begin(&c);
        rc = extract_text("d.txt", text, &res, NULL);
        log = cap_end(&c);
        ck_assert_int_eq(rc, 0);
        if (cases[i].out == NULL) {
            ck_assert_msg(res.docs[0]->date == NULL, "\"%s\" kept as \"%s\"",
                          cases[i].in, res.docs[0]->date);
            ck_assert_msg(count_lines_with(log, "is not ISO 8601") == 1,
                          "no warning for \"%s\": %s", cases[i].in, log);
        } else {
            ck_assert_msg(res.docs[0]->date != NULL &&
                          strcmp(res.docs[0]->date, cases[i].out) == 0,
                          "\"%s\" gave \"%s\", want \"%s\"", cases[i].in,
                          res.docs[0]->date ? res.docs[0]->date : "(null)",
                          cases[i].out);
            ck_assert_str_eq(log, "");
        }
        extract_result_clear(&res);
        free(log);
        free(text);
    }
}
END_TEST

START_TEST(extract_container_members)
{
    static const char text[] = "MARKER\ntitle\n@docs 3\nbody\n";
    struct extract_result res = { 0 };
    char *path, *key;

    ck_assert_int_eq(extract_text("c.txt", text, &res, &path), 0);
    ck_assert_uint_eq(res.n, 3);
    for (size_t i = 0; i < 3; i++) {
        char num[8];

        snprintf(num, sizeof num, "%zu", i + 1);
        key = xasprintf("%s#%s", path, num);
        assert_doc_sane(res.docs[i], path);
        ck_assert_str_eq(res.docs[i]->member, num);
        ck_assert_str_eq(res.docs[i]->key, key);
        free(key);
    }
    extract_result_clear(&res);
    free(path);

    ck_assert_int_eq(extract_text("m.txt", "MARKER\nt\n@member NEWID 7\nb\n",
                                  &res, &path), 0);
    key = xasprintf("%s#NEWID 7", path);
    ck_assert_str_eq(res.docs[0]->key, key);
    free(key);
    extract_result_clear(&res);
    free(path);
}
END_TEST

START_TEST(extract_refuses_bad_members)
{
    static const char *const texts[] = {
        "MARKER\nt\n@member same\n@docs 2\nb\n",    /* used twice */
        "MARKER\nt\n@member a\tb\nb\n",             /* a control char */
        "MARKER\nt\n@member \xff\nb\n",             /* not UTF-8 */
    };

    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        struct extract_result res = { 0 };
        struct capture c;
        int rc;

        cap_begin(&c);
        rc = extract_text("bm.txt", texts[i], &res, NULL);
        free(cap_end(&c));
        ck_assert_int_eq(rc, -EINVAL);
        ck_assert_uint_eq(res.n, 0);
        ck_assert_ptr_null(res.docs);
        ck_assert_str_eq(res.reason, "plugin marker failed: Invalid argument");
    }
}
END_TEST

START_TEST(extract_caps_give_e2big)
{
    static const struct {
        const char *text;
        const char *reason;
    } cases[] = {
        { "MARKER\nt\n@bodybytes 16777217\n",
          "a document holds over 16777216 bytes of text" },
        { "MARKER\nt\n@bodybytes 16777000\n@bodybytes 1000\n",
          "a document holds over 16777216 bytes of text" },
        { "MARKER\nt\n@repeat 10001 author somebody\n",
          "more than 10000 values in field author" },
        { "MARKER\nt\n@repeat 10001 keyword k\n",
          "more than 10000 values in field keyword" },
        /* No title, no body: every document is dropped, but begin() still
         * counts against the cap. */
        { "MARKER\n\n@docs 100001\n",
          "more than 100000 documents in one file" },
        /* Each under the per-document cap, together over the per-file
         * one (which bounds a worker's reply). */
        { "MARKER\nt\n@docs 9\n@bodybytes 16000000\n",
          "the documents of one file hold over 128 MB" },
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct extract_result res = { 0 };
        int rc = extract_text("big.txt", cases[i].text, &res, NULL);

        ck_assert_int_eq(rc, -E2BIG);
        ck_assert_uint_eq(res.n, 0);
        ck_assert_ptr_nonnull(strstr(res.reason, cases[i].reason));
        ck_assert_ptr_nonnull(strstr(res.reason, "plugin marker "));
    }
}
END_TEST

START_TEST(extract_just_under_the_caps_works)
{
    struct extract_result res = { 0 };

    ck_assert_int_eq(extract_text("ok.txt",
                                  "MARKER\nt\n@bodybytes 16000000\n"
                                  "@repeat 9999 author a\n", &res, NULL), 0);
    ck_assert_uint_eq(res.docs[0]->authors.n, 9999);
    extract_result_clear(&res);
}
END_TEST

START_TEST(extract_open_document_at_return)
{
    struct extract_result res = { 0 };

    /* Returned 0 with a document open: it is ended for the plugin. */
    ck_assert_int_eq(extract_text("n.txt", "MARKER\nt\n@noend\nb\n", &res,
                                  NULL), 0);
    ck_assert_uint_eq(res.n, 1);
    ck_assert_str_eq(res.docs[0]->title, "t");
    extract_result_clear(&res);

    /* Failed with a document open: everything is dropped. */
    ck_assert_int_eq(extract_text("n.txt",
                                  "MARKER\nt\n@docs 2\n@noend\n@fail 5\nb\n",
                                  &res, NULL), -EIO);
    ck_assert_uint_eq(res.n, 0);
    ck_assert_str_eq(res.reason, "plugin marker failed: Input/output error");
}
END_TEST

START_TEST(extract_plugin_errors)
{
    struct extract_result res = { 0 };

    ck_assert_int_eq(extract_text("e.txt", "MARKER\nt\n@fail 12\nb\n", &res,
                                  NULL), -ENOMEM);
    ck_assert_str_eq(res.reason, "plugin marker failed: Cannot allocate "
                     "memory");
    /* Codes the caller reads as facts about the file are not passed on. */
    ck_assert_int_eq(extract_text("e.txt", "MARKER\nt\n@fail 2\nb\n", &res,
                                  NULL), -EINVAL);
    ck_assert_str_eq(res.reason, "plugin marker failed: No such file or "
                     "directory");
    ck_assert_uint_eq(res.n, 0);
}
END_TEST

START_TEST(extract_no_document)
{
    struct extract_result res = { 0 };
    struct capture c;
    int rc;

    /* Neither title nor body: the one document is dropped. */
    cap_begin(&c);
    rc = extract_text("nd.txt", "MARKER\n\n\n\n", &res, NULL);
    free(cap_end(&c));
    ck_assert_int_eq(rc, -EINVAL);
    ck_assert_uint_eq(res.n, 0);
    ck_assert_ptr_nonnull(strstr(res.reason, "no document"));

    ck_assert_int_eq(extract_text("nd.txt", "MARKER\nt\n@docs 0\nb\n", &res,
                                  NULL), -EINVAL);
    ck_assert_ptr_nonnull(strstr(res.reason, "no document"));
}
END_TEST

START_TEST(extract_plugin_log_is_routed)
{
    struct extract_result res = { 0 };
    struct capture c;
    char *log, *path, *want;
    int rc;

    cap_begin(&c);
    rc = extract_text("l.txt", "MARKER\nt\n@log hello from marker\nb\n",
                      &res, &path);
    log = cap_end(&c);
    ck_assert_int_eq(rc, 0);
    want = xasprintf("info: extract: marker: %s: hello from marker\n", path);
    ck_assert_msg(strstr(log, want) != NULL, "want \"%s\" in:\n%s", want,
                  log);
    /* One per document: the line is not repeated elsewhere. */
    ck_assert_int_eq(count_lines_with(log, "hello from marker"), 1);
    free(want);
    free(log);
    free(path);
    extract_result_clear(&res);
}
END_TEST

START_TEST(extract_plugin_log_is_capped)
{
    struct extract_result res = { 0 };
    struct capture c;
    char *log;

    cap_begin(&c);
    ck_assert_int_eq(extract_text("l.txt",
                                  "MARKER\nt\n@docs 150\n@log again\nb\n",
                                  &res, NULL), 0);
    log = cap_end(&c);
    ck_assert_int_eq(count_lines_with(log, ": again"), 100);
    ck_assert_int_eq(count_lines_with(log, "more than 100 log lines"), 1);
    free(log);
    extract_result_clear(&res);
}
END_TEST

/* ---- extraction: files the host must refuse ---------------------------- */

START_TEST(extract_refuses_directory_missing_fifo)
{
    struct plugins *p = load_fixtures();
    struct extract_result res = { 0 };
    char *missing = xasprintf("%s/missing.txt", tmp_dir);
    char *fifo = xasprintf("%s/fifo", tmp_dir);

    ck_assert_int_eq(extract_file(p, tmp_dir, &res), -EISDIR);
    ck_assert_str_eq(res.reason, "is a directory");
    ck_assert_int_eq(extract_file(p, missing, &res), -ENOENT);
    ck_assert_str_eq(res.reason, "cannot open: No such file or directory");
    /* A FIFO with no writer must neither block nor be read. */
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(extract_file(p, fifo, &res), -EINVAL);
    ck_assert_str_eq(res.reason, "a FIFO, not a regular file");
    ck_assert_ptr_null(res.docs);
    plugins_free(p);
    free(missing);
    free(fifo);
}
END_TEST

START_TEST(extract_empty_and_unclaimed_files)
{
    struct plugins *p = load_fixtures();
    struct extract_result res = { 0 };
    char *empty = data_path("plain/empty.txt");
    char *junk = data_path("binary/junk.bin");

    ck_assert_int_eq(extract_file(p, empty, &res), -ENOMSG);
    ck_assert_str_eq(res.reason, "file is empty");
    ck_assert_int_eq(extract_file(p, junk, &res), -ENOMSG);
    ck_assert_str_eq(res.reason, "no plugin wants this file");
    ck_assert_ptr_null(res.plugin);
    plugins_free(p);
    free(empty);
    free(junk);
}
END_TEST

START_TEST(extract_refuses_files_over_the_size_cap)
{
    struct plugins *p = load_fixtures();
    struct extract_result res = { 0 };
    char *path = tmp_text("huge.txt", "MARKER\nt\nb\n");

    /* Sparse: no disk used. */
    ck_assert_int_eq(truncate(path, (off_t)EXTRACT_MAX_FILE_BYTES + 1), 0);
    ck_assert_int_eq(extract_file(p, path, &res), -EFBIG);
    ck_assert_ptr_nonnull(strstr(res.reason, "file too large (67108865 "
                                 "bytes, limit 67108864)"));
    /* At the cap it is read; marker then pushes one 64 MB body. */
    ck_assert_int_eq(truncate(path, (off_t)EXTRACT_MAX_FILE_BYTES), 0);
    ck_assert_int_eq(extract_file(p, path, &res), -E2BIG);
    ck_assert_ptr_nonnull(strstr(res.reason, "bytes of text"));
    plugins_free(p);
    free(path);
}
END_TEST

START_TEST(extract_keeps_non_utf8_file_names)
{
    static const char name[] = "caf\xe9 \n#1.txt";
    struct plugins *p = load_fixtures();
    struct extract_result res = { 0 };
    char *path = tmp_text(name, "MARKER\nt\nb\n");
    char *line = NULL, *bytes;
    size_t len = 0, blen;
    FILE *f = open_memstream(&line, &len);
    json_t *j;

    ck_assert_int_eq(extract_file(p, path, &res), 0);
    ck_assert_str_eq(res.docs[0]->path, path);
    ck_assert_str_eq(res.docs[0]->key, path);
    ck_assert_int_eq(extract_print_json(&res, f), 0);
    fclose(f);
    j = json_loads(line, 0, NULL);
    ck_assert_ptr_nonnull(j);
    bytes = proto_get_bytes(j, "path", &blen);
    ck_assert_ptr_nonnull(bytes);
    ck_assert_uint_eq(blen, strlen(path));
    ck_assert_mem_eq(bytes, path, blen);
    free(bytes);
    json_decref(j);
    free(line);
    extract_result_clear(&res);
    plugins_free(p);
    free(path);
}
END_TEST

/* ---- JSON output -------------------------------------------------------- */

static void
assert_json_doc(const json_t *o, bool has_member)
{
    static const char *const scalars[] = {
        "path", "plugin", "plugin_version", "title", "date", "outlet",
        "place", "lang", "url", "body",
    };
    static const char *const arrays[] = {
        "authors", "summary", "captions", "keywords",
    };
    size_t want = 14 + (has_member ? 1 : 0);

    ck_assert(json_is_object(o));
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++) {
        json_t *v = json_object_get(o, scalars[i]);
        ck_assert_msg(v != NULL, "no \"%s\"", scalars[i]);
        ck_assert(json_is_string(v) || json_is_null(v));
    }
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        ck_assert_msg(json_is_array(json_object_get(o, arrays[i])),
                      "no array \"%s\"", arrays[i]);
    ck_assert(json_is_string(json_object_get(o, "plugin")));
    if (has_member)
        ck_assert(json_is_string(json_object_get(o, "member")));
    else
        ck_assert_ptr_null(json_object_get(o, "member"));
    /* Exactly those: path_b64 appears only for non-UTF-8 paths. */
    ck_assert_uint_eq(json_object_size(o), want);
}

START_TEST(print_json_one_object_per_line_with_every_field)
{
    static const char text[] =
        "MARKER\nA \"quoted\" title\n@docs 2\n@author Ann\n@author Bo\n"
        "@date 2021-04-02\n@body p1\np2\n";
    struct extract_result res = { 0 };
    char *buf = NULL, *line, *save = NULL;
    size_t len = 0, n = 0;
    FILE *f = open_memstream(&buf, &len);

    ck_assert_int_eq(extract_text("j.txt", text, &res, NULL), 0);
    ck_assert_int_eq(extract_print_json(&res, f), 0);
    fclose(f);
    ck_assert_int_eq(buf[len - 1], '\n');
    for (line = strtok_r(buf, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save), n++) {
        json_error_t err;
        json_t *o = json_loads(line, 0, &err);
        json_t *a;

        ck_assert_msg(o != NULL, "%s: %s", err.text, line);
        assert_json_doc(o, true);
        ck_assert_str_eq(json_string_value(json_object_get(o, "title")),
                         "A \"quoted\" title");
        ck_assert_str_eq(json_string_value(json_object_get(o, "date")),
                         "2021-04-02");
        ck_assert_str_eq(json_string_value(json_object_get(o, "body")),
                         "p1\n\np2");
        ck_assert(json_is_null(json_object_get(o, "outlet")));
        a = json_object_get(o, "authors");
        ck_assert_uint_eq(json_array_size(a), 2);
        ck_assert_str_eq(json_string_value(json_array_get(a, 1)), "Bo");
        json_decref(o);
    }
    ck_assert_uint_eq(n, 2);
    free(buf);
    extract_result_clear(&res);
}
END_TEST

START_TEST(print_json_marker_file_and_write_error)
{
    struct plugins *p = load_fixtures();
    struct extract_result res = { 0 };
    char *path = data_path("marker/one.txt");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    json_t *o;

    ck_assert_int_eq(extract_file(p, path, &res), 0);
    ck_assert_int_eq(extract_print_json(&res, f), 0);
    fclose(f);
    o = json_loads(buf, 0, NULL);
    ck_assert_ptr_nonnull(o);
    assert_json_doc(o, false);
    ck_assert_str_eq(json_string_value(json_object_get(o, "path")), path);
    json_decref(o);
    free(buf);

    f = fopen("/dev/full", "w");
    if (f != NULL) {
        ck_assert_int_eq(extract_print_json(&res, f), -EIO);
        fclose(f);
    }
    extract_result_clear(&res);
    plugins_free(p);
    free(path);
}
END_TEST

/* ---- extraction with the real plugins ----------------------------------- */

START_TEST(real_extract_samples)
{
    static const char *const files[] = {
        "samples/000_ab6247428a11f59d.txt",
        "samples/002_fdfd5999a0eb1361.txt",
        "plain/hello.txt",
        "plain/name with spaces.txt",
        "marker/one.txt",
    };
    struct plugins *p;

    if (!have_real_plugins("real_extract_samples"))
        return;
    p = load_real(true);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        struct extract_result res = { 0 };
        char *path = data_path(files[i]);
        int rc = extract_file(p, path, &res);

        ck_assert_msg(rc == 0, "%s: %d %s", files[i], rc, res.reason);
        ck_assert_uint_ge(res.n, 1);
        for (size_t k = 0; k < res.n; k++)
            assert_doc_sane(res.docs[k], path);
        ck_assert_str_eq(res.docs[0]->key, path);
        if (strncmp(files[i], "plain/", 6) == 0)
            ck_assert_str_eq(res.plugin->desc->name, "plaintext");
        else if (strncmp(files[i], "marker/", 7) == 0)
            ck_assert_str_eq(res.plugin->desc->name, "marker");
        else
            ck_assert_str_ne(res.plugin->desc->name, "marker");
        extract_result_clear(&res);
        free(path);
    }
    plugins_free(p);
}
END_TEST

START_TEST(real_extract_latin1_comes_out_utf8)
{
    struct plugins *p;
    struct extract_result res = { 0 };
    char *path = data_path("plain/latin1.txt"), *all, *body;
    const struct doc *d;

    if (!have_real_plugins("real_extract_latin1_comes_out_utf8")) {
        free(path);
        return;
    }
    p = load_real(false);
    ck_assert_int_eq(extract_file(p, path, &res), 0);
    ck_assert_str_eq(res.plugin->desc->name, "plaintext");
    d = res.docs[0];
    assert_doc_sane(d, path);
    body = doc_body_text(d);
    all = xasprintf("%s\n%s", d->title ? d->title : "", body);
    free(body);
    ck_assert_msg(strstr(all, "\xc2\xa3" "1.50") != NULL, "%s", all);
    ck_assert_msg(strstr(all, "caf\xc3\xa9") != NULL, "%s", all);
    free(all);
    extract_result_clear(&res);
    plugins_free(p);
    free(path);
}
END_TEST

START_TEST(real_extract_refuses_binary_and_empty)
{
    unsigned char junk[512];
    unsigned x = 2024;
    struct plugins *p;
    struct extract_result res = { 0 };
    char *data_junk = data_path("binary/junk.bin");
    char *data_empty = data_path("plain/empty.txt");
    char *tmp_junk;

    if (!have_real_plugins("real_extract_refuses_binary_and_empty")) {
        free(data_junk);
        free(data_empty);
        return;
    }
    for (size_t i = 0; i < sizeof junk; i++) {
        x = x * 1103515245u + 12345u;
        junk[i] = i % 5 == 0 ? 0 : (unsigned char)(x >> 16);
    }
    tmp_junk = tmp_file("junk.txt", junk, sizeof junk);
    p = load_real(true);
    ck_assert_int_eq(extract_file(p, data_junk, &res), -ENOMSG);
    ck_assert_str_eq(res.reason, "no plugin wants this file");
    ck_assert_int_eq(extract_file(p, tmp_junk, &res), -ENOMSG);
    ck_assert_str_eq(res.reason, "no plugin wants this file");
    /* Empty: nobody claims it, or a plugin that does finds no document. */
    ck_assert_int_lt(extract_file(p, data_empty, &res), 0);
    ck_assert_uint_eq(res.n, 0);
    ck_assert_str_ne(res.reason, "");
    plugins_free(p);
    free(data_junk);
    free(data_empty);
    free(tmp_junk);
}
END_TEST

START_TEST(real_extract_non_utf8_file_name)
{
    static const char name[] = "na\xefve r\xe9sum\xe9.txt";
    struct plugins *p;
    struct extract_result res = { 0 };
    char *path;

    if (!have_real_plugins("real_extract_non_utf8_file_name"))
        return;
    path = tmp_text(name, "A title line\n\nSome ordinary words of text.\n");
    p = load_real(false);
    ck_assert_int_eq(extract_file(p, path, &res), 0);
    ck_assert_str_eq(res.plugin->desc->name, "plaintext");
    assert_doc_sane(res.docs[0], path);
    ck_assert_str_eq(res.docs[0]->key, path);
    extract_result_clear(&res);
    plugins_free(p);
    free(path);
}
END_TEST

/* ---- the suite ---------------------------------------------------------- */

Suite *
plugins_suite(void)
{
    Suite *s = suite_create("plugins");
    TCase *tc;

    tc = tcase_create("load");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, load_fixtures_keeps_only_valid_plugins);
    tcase_add_test(tc, load_fixtures_logs_one_line_per_refused_file);
    tcase_add_test(tc, load_fixtures_after_real_refuses_duplicate_name);
    tcase_add_test(tc, load_same_dir_twice_adds_nothing);
    tcase_add_test(tc, load_skips_symlinks_hidden_and_other_files);
    tcase_add_test(tc, load_missing_dir_is_enoent);
    tcase_add_test(tc, load_one_file);
    tcase_add_test(tc, load_empty_dir_is_zero);
    suite_add_tcase(s, tc);

    tc = tcase_create("pick");
    tcase_add_test(tc, pick_ties_go_to_the_first_name_every_time);
    tcase_add_test(tc, pick_nothing_when_every_score_is_zero);
    tcase_add_test(tc, pick_uses_content_not_the_extension);
    tcase_add_test(tc, pick_marker_over_real_plaintext);
    suite_add_tcase(s, tc);

    tc = tcase_create("sink");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    /* The cap tests build 16 MB documents and 100000 begin() calls. */
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, extract_marker_file);
    tcase_add_test(tc, extract_sanitises_and_trims_text);
    tcase_add_test(tc, extract_nul_bytes_become_spaces);
    tcase_add_test(tc, extract_scalars_replace_lists_append);
    tcase_add_test(tc, extract_refuses_unknown_field_once_in_the_log);
    tcase_add_test(tc, extract_normalises_dates);
    tcase_add_test(tc, extract_container_members);
    tcase_add_test(tc, extract_refuses_bad_members);
    tcase_add_test(tc, extract_caps_give_e2big);
    tcase_add_test(tc, extract_just_under_the_caps_works);
    tcase_add_test(tc, extract_open_document_at_return);
    tcase_add_test(tc, extract_plugin_errors);
    tcase_add_test(tc, extract_no_document);
    tcase_add_test(tc, extract_plugin_log_is_routed);
    tcase_add_test(tc, extract_plugin_log_is_capped);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, extract_refuses_directory_missing_fifo);
    tcase_add_test(tc, extract_empty_and_unclaimed_files);
    tcase_add_test(tc, extract_refuses_files_over_the_size_cap);
    tcase_add_test(tc, extract_keeps_non_utf8_file_names);
    tcase_add_test(tc, print_json_one_object_per_line_with_every_field);
    tcase_add_test(tc, print_json_marker_file_and_write_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("real");
    tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
    tcase_add_test(tc, real_extract_samples);
    tcase_add_test(tc, real_extract_latin1_comes_out_utf8);
    tcase_add_test(tc, real_extract_refuses_binary_and_empty);
    tcase_add_test(tc, real_extract_non_utf8_file_name);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    fixture_dir = getenv("SD_FIXTURE_DIR");
    plugin_dir = getenv("SD_PLUGIN_DIR");
    data_dir = getenv("SD_DATA_DIR");
    if (fixture_dir == NULL || data_dir == NULL) {
        fprintf(stderr, "check_plugins: SD_FIXTURE_DIR and SD_DATA_DIR must "
                "be set (make check sets them); skipping\n");
        return 77;
    }
    /* sd_log changes its prefix under journald; the tests read it. */
    unsetenv("JOURNAL_STREAM");
    sr = srunner_create(plugins_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
