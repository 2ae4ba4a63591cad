/*
 * check_outlets.c - the real outlet plugins (business-standard, geo-news,
 * plaintext) run through the real registry and extractor on the sample
 * dumps in tests/data/samples and on small files made per test, with the
 * exact fields asserted.
 *
 * Needs $SD_PLUGIN_DIR (the built plugins) and $SD_DATA_DIR (tests/data);
 * `make check` sets both.  The plugins are built in-tree, so a missing
 * directory or .so is a failure, not a skip.  Every extraction that
 * succeeds has each of its values checked with a UTF-8 validator written
 * here (not util.c's, so the host is checked rather than trusted).  Under
 * valgrind run it with CK_FORK=no.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>

#include "extract.h"
#include "log.h"
#include "plugins.h"
#include "util.h"

#define BS_SAMPLE  "samples/000_ab6247428a11f59d.txt"
#define GEO_SAMPLE "samples/002_fdfd5999a0eb1361.txt"
#define BS_MARKER  "Disclaimer: No Business Standard Journalist"
#define RSQUO      "\xe2\x80\x99"      /* U+2019 */
#define ELLIPSIS   "\xe2\x80\xa6"      /* U+2026 */
#define BULLET     "\xe2\x80\xa2"      /* U+2022 */

static const char *plugin_dir;      /* $SD_PLUGIN_DIR */
static const char *data_dir;        /* $SD_DATA_DIR */
static char tmp_dir[512];           /* per test, see setup */
static struct plugins *reg;         /* per test: the real plugins */
/* Per test, cleared by teardown; extract_file resets them before use, so
 * a test may extract into them again and again. */
static struct extract_result got, got2;
/* Per test: memory the helpers hand out borrowed, freed by teardown. */
static void *pool[128];
static size_t pool_n;

static const char *const outlet_plugins[] = {
    "business-standard", "geo-news", "plaintext", "reuters-sgml", "smart",
    "usenet",
};

/* ---- helpers ------------------------------------------------------------ */

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void
setup(void)
{
    const char *t = getenv("TMPDIR");
    int rc;

    snprintf(tmp_dir, sizeof tmp_dir, "%s/check_outlets.XXXXXX",
             t && *t ? t : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmp_dir));
    reg = plugins_new();
    rc = plugins_load_dir(reg, plugin_dir);
    ck_assert_msg(rc >= 0, "cannot read SD_PLUGIN_DIR %s: %s", plugin_dir,
                  strerror(-rc));
    for (size_t i = 0; i < sizeof outlet_plugins / sizeof *outlet_plugins;
         i++)
        ck_assert_msg(plugins_find(reg, outlet_plugins[i]) != NULL,
                      "plugin %s not loaded from %s (is %s.so built?)",
                      outlet_plugins[i], plugin_dir, outlet_plugins[i]);
}

static void
teardown(void)
{
    extract_result_clear(&got);
    extract_result_clear(&got2);
    plugins_free(reg);
    reg = NULL;
    while (pool_n > 0)
        free(pool[--pool_n]);
    if (tmp_dir[0] != '\0')
        nftw(tmp_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    tmp_dir[0] = '\0';
}

/* Takes p (owned) into the pool: borrowed by the caller until teardown. */
static void *
keep(void *p)
{
    ck_assert_uint_lt(pool_n, sizeof pool / sizeof *pool);
    pool[pool_n++] = p;
    return p;
}

/* Write len bytes to tmp_dir/name; returns the path (owned). */
static char *
tmp_write(const char *name, const void *data, size_t len)
{
    char *path = xasprintf("%s/%s", tmp_dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

    ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

/* The same, the path borrowed until teardown. */
static const char *
tmp_file(const char *name, const void *data, size_t len)
{
    return keep(tmp_write(name, data, len));
}

static const char *
tmp_text(const char *name, const char *text)
{
    return tmp_file(name, text, strlen(text));
}

/* The whole of tests/data/rel, NUL-terminated, borrowed until teardown;
 * *len_out its size. */
static char *
slurp(const char *rel, size_t *len_out)
{
    char *path = xasprintf("%s/%s", data_dir, rel);
    FILE *f = fopen(path, "rb");
    char *buf;
    long n;

    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    buf = keep(xmalloc((size_t)n + 1));
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    free(path);
    *len_out = (size_t)n;
    return buf;
}

/* tests/data/rel copied to tmp_dir/as; the path borrowed until teardown. */
static const char *
copy_data(const char *rel, const char *as)
{
    size_t len;
    const char *data = slurp(rel, &len);

    return tmp_file(as, data, len);
}

/* Length of the UTF-8 sequence at s[0..n): strict (no overlongs,
 * surrogates or code points past U+10FFFF); 0 when not valid. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
    size_t need = s[0] < 0x80 ? 1 : s[0] < 0xc2 ? 0 : s[0] < 0xe0 ? 2
                : s[0] < 0xf0 ? 3 : s[0] < 0xf5 ? 4 : 0;
    unsigned char lo = s[0] == 0xe0 ? 0xa0 : s[0] == 0xf0 ? 0x90 : 0x80;
    unsigned char hi = s[0] == 0xed ? 0x9f : s[0] == 0xf4 ? 0x8f : 0xbf;

    if (need == 0 || n < need)
        return 0;
    for (size_t k = 1; k < need; k++, lo = 0x80, hi = 0xbf)
        if (s[k] < lo || s[k] > hi)
            return 0;
    return need;
}

/* What is wrong with one extracted value, or NULL.  Allowed: valid UTF-8,
 * no control character but tab (C0, DEL and C1 are out; these plugins
 * split on line ends, so no value holds a newline), not empty, trimmed. */
static const char *
text_problem(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t n = strlen(s);

    if (n == 0)
        return "empty";
    if (s[0] == ' ' || s[n - 1] == ' ' || s[0] == '\t' || s[n - 1] == '\t')
        return "not trimmed";
    for (size_t i = 0, k; i < n; i += k) {
        k = utf8_seq(u + i, n - i);
        if (k == 0)
            return "invalid UTF-8";
        if ((u[i] < 0x20 && u[i] != '\t') || u[i] == 0x7f ||
            (u[i] == 0xc2 && u[i + 1] < 0xa0))
            return "a control character";
    }
    return NULL;
}

/* Calls cb on every value of d, lists expanded: the fields a plugin sets. */
typedef void (*field_cb)(const char *field, const char *value, void *ctx);

static void
visit_strv(const char *field, const struct strv *sv, field_cb cb, void *ctx)
{
    for (size_t i = 0; i < sv->n; i++)
        cb(field, sv->v[i], ctx);
}

static void
visit_fields(const struct doc *d, field_cb cb, void *ctx)
{
    const char *const scalars[][2] = {
        { "title", d->title }, { "date", d->date }, { "outlet", d->outlet },
        { "place", d->place }, { "lang", d->lang }, { "url", d->url },
    };

    for (size_t i = 0; i < sizeof scalars / sizeof *scalars; i++)
        if (scalars[i][1] != NULL)
            cb(scalars[i][0], scalars[i][1], ctx);
    visit_strv("author", &d->authors, cb, ctx);
    visit_strv("summary", &d->summary, cb, ctx);
    visit_strv("caption", &d->captions, cb, ctx);
    visit_strv("keyword", &d->keywords, cb, ctx);
    visit_strv("body", &d->body, cb, ctx);
}

static void
clean_cb(const char *field, const char *value, void *ctx)
{
    const char *why = text_problem(value);

    ck_assert_msg(why == NULL, "%s: %s value is %s: \"%s\"",
                  (const char *)ctx, field, why, value);
}

/*
 * Extract path with the real plugins into res.  On success there is one
 * document whose every value passes text_problem; on failure no document
 * and a reason.  Returns what extract_file returned.
 */
static int
run_extract(const char *path, struct extract_result *res)
{
    int rc = extract_file(reg, path, res);

    if (rc < 0) {
        ck_assert_msg(res->reason[0] != '\0', "%s: %d with no reason",
                      path, rc);
        ck_assert_uint_eq(res->n, 0);
        return rc;
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(res->n, 1);
    ck_assert_ptr_nonnull(res->plugin);
    ck_assert_str_eq(res->docs[0]->plugin, res->plugin->desc->name);
    visit_fields(res->docs[0], clean_cb, (void *)path);
    return rc;
}

/* The one document of path, which plugin must have made; borrowed from
 * res. */
static const struct doc *
extract_ok(const char *path, const char *plugin, struct extract_result *res)
{
    int rc = run_extract(path, res);

    ck_assert_msg(rc == 0, "%s: %d %s", path, rc, res->reason);
    ck_assert_str_eq(res->plugin->desc->name, plugin);
    return res->docs[0];
}

static int
probe_score(const char *plugin, const char *path, const char *head,
            size_t len)
{
    const struct plugin_entry *e = plugins_find(reg, plugin);

    return e->desc->probe(path, (const unsigned char *)head,
                          len < PLUGINS_PROBE_BYTES ? len
                                                    : PLUGINS_PROBE_BYTES);
}

static void
assert_strv_eq(const struct strv *sv, const char *const *want, size_t n)
{
    ck_assert_uint_eq(sv->n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(sv->v[i], want[i]);
}

static void
assert_same_strv(const struct strv *a, const struct strv *b)
{
    ck_assert_uint_eq(a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        ck_assert_str_eq(a->v[i], b->v[i]);
}

/* ---- probing: the content decides, not the name ------------------------- */

static const char *const neutral_names[] = { "a.txt", "article", "x.html" };

/*
 * Each file, under names that say nothing, goes to the plugin its content
 * calls for, with the score that plugin documents; the outlet plugins
 * give 0 to every file that is not theirs (the other outlet's dump, plain
 * text), and plaintext takes any text at its fallback score of 10.
 */
START_TEST(probe_picks_by_content_under_neutral_names)
{
    static const struct {
        const char *rel;
        const char *plugin;
        int score;
    } cases[] = {
        { BS_SAMPLE, "business-standard", 90 },
        { GEO_SAMPLE, "geo-news", 85 },
        { "plain/hello.txt", "plaintext", 10 },
        { "plain/latin1.txt", "plaintext", 10 },
        { "plain/name with spaces.txt", "plaintext", 10 },
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len;
        const char *data = slurp(cases[i].rel, &len);

        for (size_t k = 0; k < 3; k++) {
            const char *path = tmp_file(neutral_names[k], data, len);
            const struct plugin_entry *e;
            int score = -1;

            e = plugins_pick(reg, path, (const unsigned char *)data,
                             len < PLUGINS_PROBE_BYTES ? len
                                                       : PLUGINS_PROBE_BYTES,
                             &score);
            ck_assert_msg(e != NULL && strcmp(e->desc->name,
                                              cases[i].plugin) == 0,
                          "%s as %s: picked %s", cases[i].rel,
                          neutral_names[k], e ? e->desc->name : "nothing");
            ck_assert_int_eq(score, cases[i].score);
            extract_ok(path, cases[i].plugin, &got);
        }
        for (size_t k = 0; k < 2; k++) {
            int own = probe_score(outlet_plugins[k], "a.txt", data, len);

            if (strcmp(outlet_plugins[k], cases[i].plugin) != 0)
                ck_assert_msg(own == 0, "%s gives %d to %s",
                              outlet_plugins[k], own, cases[i].rel);
        }
        ck_assert_int_eq(probe_score("plaintext", "a.txt", data, len), 10);
    }
}
END_TEST

/* ---- Business Standard -------------------------------------------------- */

START_TEST(bs_sample_fields_exact)
{
    static const char *const keywords[] = { "syndicated" };
    const char *path = copy_data(BS_SAMPLE, "article");
    const struct doc *d = extract_ok(path, "business-standard", &got);

    ck_assert_str_eq(d->outlet, "Business Standard");
    ck_assert_str_eq(d->lang, "en");
    /* The dump has no title line: the first sentence (over 100
     * characters) is cut before its last clause break that fits, here
     * " and discussed ...", leaving a sentence of the article. */
    ck_assert_str_eq(d->title, "Pakistan Army chief Gen Qamar Javed Bajwa "
                     "has met America's top military leadership");
    ck_assert(strncmp(d->body.v[0], d->title, strlen(d->title)) == 0);
    ck_assert(strncmp(d->body.v[0] + strlen(d->title), " and ", 5) == 0);
    /* The thirteen article lines before the disclaimer. */
    ck_assert_uint_eq(d->body.n, 13);
    ck_assert_str_eq(d->body.v[0],
                     "Pakistan Army chief Gen Qamar Javed Bajwa has met "
                     "America's top military leadership and discussed the "
                     "regional security situation as well as bilateral "
                     "defence cooperation, according to the Pakistani "
                     "military.");
    ck_assert_str_eq(d->body.v[5],
                     "\"Regional security situation, including Afghan peace "
                     "process was discussed,\" it said.");
    ck_assert_str_eq(d->body.v[12],
                     "\"Pakistan attaches great importance to restoring a "
                     "robust bilateral relationship based on mutual "
                     "respect, trust & shared values, the military "
                     "spokesman quoted the Pakistan Army chief as saying.");
    /* No author, date, place, summary or caption in this dump. */
    ck_assert_uint_eq(d->authors.n, 0);
    ck_assert_ptr_null(d->date);
    ck_assert_ptr_null(d->place);
    ck_assert_uint_eq(d->summary.n, 0);
    ck_assert_uint_eq(d->captions.n, 0);
    assert_strv_eq(&d->keywords, keywords, 1);
}
END_TEST

struct forbid {
    const char *const *words;   /* case-insensitive, NULL-terminated */
    char **lines;               /* exact, n of them */
    size_t n;
};

static void
forbid_cb(const char *field, const char *value, void *ctx)
{
    const struct forbid *f = ctx;

    for (size_t i = 0; f->words[i] != NULL; i++)
        ck_assert_msg(strcasestr(value, f->words[i]) == NULL,
                      "%s holds \"%s\": %s", field, f->words[i], value);
    for (size_t i = 0; i < f->n; i++)
        ck_assert_msg(strstr(value, f->lines[i]) == NULL,
                      "%s holds boilerplate line \"%s\"", field, f->lines[i]);
}

START_TEST(bs_sample_keeps_no_boilerplate)
{
    static const char *const words[] = {
        "Disclaimer", "subscri", "Business Standard Journalist",
        "free_limit", "reached your limit", "Smart Quarterly",
        "\xe2\x82\xb9", "Renews automatically", "New York Times", "Epaper",
        "across devices", NULL,
    };
    struct forbid f = { .words = words };
    size_t len;
    char *data = slurp(BS_SAMPLE, &len), *save = NULL;
    const char *path = copy_data(BS_SAMPLE, "x.html");
    const struct doc *d = extract_ok(path, "business-standard", &got);

    /* Also every line of the fixture from the disclaimer on. */
    f.lines = keep(xcalloc(len, sizeof *f.lines));
    for (char *line = strtok_r(strstr(data, BS_MARKER), "\n", &save);
         line != NULL; line = strtok_r(NULL, "\n", &save))
        f.lines[f.n++] = line;
    ck_assert_uint_ge(f.n, 30);
    visit_fields(d, forbid_cb, &f);
}
END_TEST

/* The title rule of make_title, on small dumps that end in the marker. */
START_TEST(bs_title_derivation)
{
    static const struct {
        const char *first;  /* the first paragraph */
        const char *title;
    } cases[] = {
        /* A short first sentence, its final period dropped. */
        { "Markets rose on Monday. Traders cheered.",
          "Markets rose on Monday" },
        /* Abbreviations and initials do not end it; "?" stays. */
        { "Did Gen. Smith meet Mr. Jones in the U.S. capital? He did.",
          "Did Gen. Smith meet Mr. Jones in the U.S. capital?" },
        /* Over 100 characters with no clause break: cut at a word. */
        { "abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd "
          "abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd.",
          "abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd abcd "
          "abcd abcd abcd abcd abcd abcd abcd" ELLIPSIS },
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *text = keep(xasprintf("%s\nSecond line.\n%s was involved\n",
                                    cases[i].first, BS_MARKER));
        const struct doc *d = extract_ok(tmp_text("t.txt", text),
                                         "business-standard", &got);

        ck_assert_str_eq(d->title, cases[i].title);
    }
}
END_TEST

/*
 * Bytes that are not UTF-8 are characters too (Latin-1 to the host), so
 * the title stays within 100 of them.  The plugin used to count only
 * bytes outside 0x80..0xBF: 96 "\xa3" gave a 107-character title, and a
 * longer run overflowed its title buffer on the stack.
 */
START_TEST(bs_title_bounded_on_non_utf8_bytes)
{
    static const struct {
        unsigned char fill;
        size_t count;
    } cases[] = { { 0xa3, 96 }, { 0xa3, 1500 }, { 0xbf, 4000 } };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t cap = cases[i].count + 128;
        char *text = keep(xmalloc(cap));
        size_t len = (size_t)snprintf(text, cap, "Rates ");
        const struct doc *d;

        memset(text + len, cases[i].fill, cases[i].count);
        len += cases[i].count;
        len += (size_t)snprintf(text + len, cap - len, " rose.\n%s\n",
                                BS_MARKER);
        d = extract_ok(tmp_file("t.txt", text, len), "business-standard",
                       &got);
        ck_assert_str_eq(d->title, "Rates" ELLIPSIS);
    }
}
END_TEST

/* ---- Geo News ----------------------------------------------------------- */

START_TEST(geo_sample_fields_exact)
{
    static const char *const authors[] = { "Web Desk" };
    static const char *const captions[] = {
        "The flags of Pakistan and the US.",
    };
    static const char *const summary[] = {
        "Acting US Charge d" RSQUO " Affairs to Pakistan called on COAS "
        "General Qamar Javed Bajwa.",
        "ISPR says matters of mutual interest, including regional security "
        "situation, were discussed during the meeting.",
        "The US official appreciated Pakistan" RSQUO "s contributions to "
        "conflict prevention in Afghan Peace Process.",
    };
    size_t len, bullets = 0;
    const char *data = slurp(GEO_SAMPLE, &len);
    const struct doc *d = extract_ok(copy_data(GEO_SAMPLE, "article"),
                                     "geo-news", &got);

    /* The title is line 1 of the dump, as it stands. */
    ck_assert_str_eq(d->title, "Afghan peace: Biden administration assures "
                     "Pakistan of continued assistance");
    ck_assert_uint_eq(strlen(d->title), (size_t)(strchr(data, '\n') - data));
    ck_assert(strncmp(data, d->title, strlen(d->title)) == 0);
    ck_assert_str_eq(d->outlet, "Geo News");
    ck_assert_str_eq(d->lang, "en");
    ck_assert_str_eq(d->place, "RAWALPINDI");
    ck_assert_ptr_null(d->date);
    assert_strv_eq(&d->authors, authors, 1);
    assert_strv_eq(&d->captions, captions, 1);
    /* One summary per "•" of the dump, without it. */
    for (const char *p = data; (p = strstr(p, BULLET)) != NULL; p++)
        bullets++;
    ck_assert_uint_eq(bullets, 3);
    assert_strv_eq(&d->summary, summary, 3);
    ck_assert_uint_eq(d->keywords.n, 0);

    /* Eleven text lines after the bullets, less one "Read more:"; the
     * dateline goes to place. */
    ck_assert_uint_eq(d->body.n, 10);
    ck_assert_str_eq(d->body.v[0],
                     "The administration of President Joe Biden has "
                     "assured Pakistan of continued assistance for the "
                     "common cause of peace in Afghanistan.");
    ck_assert_str_eq(d->body.v[9],
                     "\"Pakistan will play an important role in any "
                     "political settlement in Afghanistan,\" he continued. "
                     "\"We also need to work with Pakistan to defeat al "
                     "Qaeda and the Islamic State Khorasan Province "
                     "(ISIS-K) and to enhance regional stability.\"");
    /* The sub-heading stays, in its place after the fifth paragraph. */
    ck_assert_str_eq(d->body.v[5], "US to revive military ties with Pakistan");
    ck_assert(strncmp(d->body.v[4], "While assuring the country", 26) == 0);
    for (size_t i = 0; i < d->body.n; i++) {
        ck_assert_msg(strncasecmp(d->body.v[i], "Read more", 9) != 0,
                      "cross-link kept: %s", d->body.v[i]);
        ck_assert_ptr_null(strstr(d->body.v[i], "RAWALPINDI"));
        ck_assert_ptr_null(strstr(d->body.v[i], BULLET));
        ck_assert_str_ne(d->body.v[i], "Web Desk");
    }
}
END_TEST

START_TEST(geo_layout_variants)
{
    static const char *const authors[] = { "Ali Khan", "Sara Ahmed" };
    static const char *const captions[] = { "A caption." };
    static const char *const summary[] = { "Point one" };
    static const char *const body[] = { "Body one.", "Body two" };
    const struct doc *d = extract_ok(
        tmp_text("g", "A headline here\n\nBy\nAli Khan and Sara Ahmed\n"
                      "A caption.\n" BULLET " Point one\n\n"
                      "KARACHI, Jan 23: Body one.\nAlso read: Other "
                      "story\nBody two\n"),
        "geo-news", &got);

    ck_assert_str_eq(d->title, "A headline here");
    assert_strv_eq(&d->authors, authors, 2);
    assert_strv_eq(&d->captions, captions, 1);
    assert_strv_eq(&d->summary, summary, 1);
    ck_assert_str_eq(d->place, "KARACHI");
    assert_strv_eq(&d->body, body, 2);
}
END_TEST

/* Both samples with "\r\n" line ends give the very same fields. */
START_TEST(samples_with_crlf_extract_the_same)
{
    static const char *const rels[] = { BS_SAMPLE, GEO_SAMPLE };
    static const char *const plugins[] = { "business-standard", "geo-news" };

    for (size_t i = 0; i < 2; i++) {
        size_t len, n = 0;
        const char *data = slurp(rels[i], &len);
        char *conv = keep(xmalloc(2 * len + 1));
        const struct doc *a, *b;

        for (size_t k = 0; k < len; k++) {
            if (data[k] == '\n')
                conv[n++] = '\r';
            conv[n++] = data[k];
        }
        a = extract_ok(copy_data(rels[i], "lf"), plugins[i], &got);
        b = extract_ok(tmp_file("crlf", conv, n), plugins[i], &got2);
        ck_assert_str_eq(a->title, b->title);
        ck_assert(a->place == NULL ? b->place == NULL
                                   : strcmp(a->place, b->place) == 0);
        assert_same_strv(&a->authors, &b->authors);
        assert_same_strv(&a->summary, &b->summary);
        assert_same_strv(&a->captions, &b->captions);
        assert_same_strv(&a->keywords, &b->keywords);
        assert_same_strv(&a->body, &b->body);
    }
}
END_TEST

/* ---- plaintext ---------------------------------------------------------- */

/* The first non-blank line is the title; the rest is the body, one
 * paragraph per line, or per block of lines when blank lines separate
 * them.  Bytes that are not UTF-8 come out as UTF-8 (read as Latin-1);
 * any line end works. */
START_TEST(plain_fields_exact)
{
    static const struct {
        const char *rel;    /* a file in tests/data, or NULL: text */
        const char *text;
        const char *title;
        const char *body[2];
    } cases[] = {
        /* Wrapped lines in blocks are joined. */
        { "plain/hello.txt", NULL, "Hello from the searchd test corpus",
          { "This small file exists so the tests have plain text to index. "
            "It mentions a lighthouse keeper, a brass telescope and "
            "seventeen gulls.",
            "A second paragraph talks about the harbour at dawn, when the "
            "ferry leaves and the fish market opens." } },
        /* Latin-1: 0xA3 and 0xE9 become "£" and "é". */
        { "plain/latin1.txt", NULL, "Price list for the village fair",
          { "Tea and cake cost \xc2\xa3" "1.50 this year, up from \xc2\xa3"
            "1.20.", "The caf\xc3\xa9 by the green opens at nine." } },
        /* UTF-8 with a stray 0xFF, a lead byte cut short, a lone
         * continuation byte and a C1 control (which becomes a space). */
        { NULL, "Caf\xc3\xa9 \xff news\nstray \xc3 lead, lone \xa9 byte, "
          "\xe2\x82 cut, \x85" "c1\nfine \xe2\x82\xac line\n",
          "Caf\xc3\xa9 \xc3\xbf news",
          { "stray \xc3\x83 lead, lone \xc2\xa9 byte, \xc3\xa2  cut,  c1",
            "fine \xe2\x82\xac line" } },
        /* "\r\n" and a lone "\r" end lines like "\n" and leave no '\r'. */
        { NULL, "Title line\r\n\r\nFirst para\r\nwraps here\r\n\r\nSecond\r\n",
          "Title line", { "First para wraps here", "Second" } },
        { NULL, "Title line\r\nLine one\r\nLine two\r\n", "Title line",
          { "Line one", "Line two" } },
        { NULL, "\r\n Title line \rLine one\rLine two", "Title line",
          { "Line one", "Line two" } },
    };

    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *path = cases[i].rel ? copy_data(cases[i].rel, "article")
                                        : tmp_text("a.txt", cases[i].text);
        const struct doc *d = extract_ok(path, "plaintext", &got);

        ck_assert_str_eq(d->title, cases[i].title);
        assert_strv_eq(&d->body, cases[i].body, 2);
        ck_assert_ptr_null(d->outlet);
        ck_assert_ptr_null(d->lang);
        /* text_problem already refused any '\r'; say it plainly too. */
        ck_assert_ptr_null(strchr(d->title, '\r'));
        for (size_t k = 0; k < d->body.n; k++)
            ck_assert_ptr_null(strchr(d->body.v[k], '\r'));
    }
}
END_TEST

/* The reuters-sgml plugin on an invented file with the corpus's quirks:
 * entities, control-character references, a BRIEF, an UNPROC table, a
 * stray Latin-1 byte; one document per <REUTERS>, named by NEWID. */
START_TEST(reuters_fields_exact)
{
    static const char *const body101[] = {
        "Prairie farmers planted more wheat this season, a co-operative "
        "said.",
        "The harvest should reach 12 mln tonnes, it said, up from last "
        "year's 10 mln.",
    };
    static const char *const kw101[] = { "grain", "wheat", "canada", "ec" };
    static const char *const kw102[] = { "usa", "nyse" };
    static const char *const body103[] = {
        "WEEKLY HARBOUR REPORT - MARCH 3",
        "Ships in port..........12 vs 9",
        "Cargo handled..........40 vs 38",
    };
    static const char *const body104[] = {
        "Exports helped lasting growth.\xc3\xbc" "Officials agreed.",
    };
    const char *path = copy_data("reuters/sample.sgm", "reut2-900.sgm");
    struct doc *const *d;

    ck_assert_int_eq(extract_file(reg, path, &got), 0);
    ck_assert_str_eq(got.plugin->desc->name, "reuters-sgml");
    ck_assert_uint_eq(got.n, 4);
    d = got.docs;
    for (size_t i = 0; i < got.n; i++) {
        visit_fields(d[i], clean_cb, (void *)path);
        ck_assert_str_eq(d[i]->outlet, "Reuters");
        ck_assert_str_eq(d[i]->lang, "en");
        ck_assert_str_eq(d[i]->plugin, "reuters-sgml");
    }
    ck_assert_str_eq(d[0]->member, "101");
    ck_assert_str_eq(d[0]->title, "FARMERS <GROW> MORE & MORE WHEAT");
    ck_assert_str_eq(d[0]->date, "1987-03-03T09:15:30Z");
    ck_assert_str_eq(d[0]->place, "WINNIPEG");
    assert_strv_eq(&d[0]->keywords, kw101, 4);
    /* The "Reuter" sign-off and the &#3; after it are gone. */
    assert_strv_eq(&d[0]->body, body101, 2);

    /* A brief keeps its title and loses "Blah blah blah.". */
    ck_assert_str_eq(d[1]->member, "102");
    ck_assert_str_eq(d[1]->title, "ACME WIDGET SETS DIVIDEND");
    ck_assert_ptr_null(d[1]->place);
    assert_strv_eq(&d[1]->keywords, kw102, 2);
    ck_assert_uint_eq(d[1]->body.n, 0);

    /* Unprocessed text: first line as title, one paragraph per line. */
    ck_assert_str_eq(d[2]->member, "103");
    ck_assert_str_eq(d[2]->title, "WEEKLY HARBOUR REPORT - MARCH 3");
    ck_assert_str_eq(d[2]->date, "1987-03-03T11:00:00Z");
    assert_strv_eq(&d[2]->body, body103, 3);
    ck_assert_uint_eq(d[2]->keywords.n, 0);

    /* The bare 0xFC is read as Latin-1; &#5; leaves nothing behind. */
    ck_assert_str_eq(d[3]->member, "104");
    ck_assert_str_eq(d[3]->place, "BONN");
    assert_strv_eq(&d[3]->body, body104, 1);

    /* Keys are path#NEWID. */
    ck_assert_str_eq(d[3]->key, keep(xasprintf("%s#104", path)));
}
END_TEST

/* The usenet plugin: author from both From: forms, "Re:" prefixes gone,
 * folded Organization:, keywords, quotes, attribution and signature
 * dropped; a post of nothing but quotes keeps them without markers. */
START_TEST(usenet_fields_exact)
{
    static const char *const body[] = {
        "The survey office prints them every spring.  Ask at the front "
        "desk for the booklet.",
        "They moved to a separate leaflet because of the new buoy "
        "numbering.",
    };
    static const char *const kw[] = {
        "harbour survey office, north coast division", "tides",
        "navigation",
    };
    static const char *const quoted[] = {
        "Ada Quill wrote: Is the river open yet? The weir was closed in "
        "March.",
    };
    static const char *const groups[] = { "rec.boats.paddle",
                                          "rec.outdoors" };
    /* The parent folder must not look like a group name (the random
     * temporary folder's name could). */
    char *posts = keep(xasprintf("%s/Posts", tmp_dir));
    char *path = keep(xasprintf("%s/Posts/52001", tmp_dir));
    const struct doc *d;
    char *dir, *grouped;

    ck_assert_int_eq(mkdir(posts, 0755), 0);
    ck_assert_int_eq(rename(copy_data("usenet/post.txt", "52001"), path), 0);
    d = extract_ok(path, "usenet", &got);

    ck_assert_str_eq(d->title, "Tide tables for the north coast");
    ck_assert_uint_eq(d->authors.n, 1);
    ck_assert_str_eq(d->authors.v[0], "Lena Marsh");
    ck_assert_str_eq(d->outlet, "Usenet");
    assert_strv_eq(&d->keywords, kw, 3);
    assert_strv_eq(&d->body, body, 2);

    ck_assert_int_eq(rename(copy_data("usenet/allquote.txt", "52002"),
                            keep(xasprintf("%s/Posts/52002", tmp_dir))), 0);
    d = extract_ok(keep(xasprintf("%s/Posts/52002", tmp_dir)), "usenet",
                   &got);
    ck_assert_str_eq(d->authors.v[0], "Ada Quill");
    assert_strv_eq(&d->keywords, groups, 2);
    assert_strv_eq(&d->body, quoted, 1);

    /* Without Newsgroups:, a folder named like a group is the group. */
    dir = keep(xasprintf("%s/sci.space", tmp_dir));
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    grouped = keep(xasprintf("%s/sci.space/60001", tmp_dir));
    ck_assert_int_eq(rename(copy_data("usenet/post.txt", "x"), grouped), 0);
    d = extract_ok(grouped, "usenet", &got);
    ck_assert_uint_eq(d->keywords.n, 4);
    ck_assert_str_eq(d->keywords.v[0], "sci.space");
}
END_TEST

/* Mail-style probing: headers first (a cut continuation line may lead),
 * From: or Subject: among them; not prose that has a colon. */
START_TEST(usenet_probe)
{
    static const char *const yes[] = {
        "From: a@b.example\nSubject: hi\n\nbody\n",
        " cut.path!x\nSubject: hi\nLines: 2\n\nbody\n",
        "Newsgroups: sci.space\nFrom: a@b.example\n\nbody\n",
    };
    static const char *const no[] = {
        "From: a@b.example\n\nonly one header\n",
        "Note: this is prose\nSubject: and more prose\n",
        "Dear reader,\nFrom: the editor\nSubject: x\n\n",
        "Subject: x\nthis line is not a header\n\n",
    };

    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        ck_assert_msg(probe_score("usenet", "/s/1", yes[i], strlen(yes[i]))
                      > probe_score("plaintext", "/s/1", yes[i],
                                    strlen(yes[i])), "yes[%zu]", i);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        ck_assert_msg(probe_score("usenet", "/s/1", no[i], strlen(no[i]))
                      == 0, "no[%zu]", i);
}
END_TEST

/* The smart plugin on an invented collection file with CRLF lines, a
 * multi-line title, two authors, a .B source, indented and blank-line
 * paragraph breaks, an ignored .X, a Latin-1 byte, an empty .W and a
 * record without .T: one document per .I, named by its number. */
START_TEST(smart_fields_exact)
{
    static const char *const authors1[] = { "Okafor, B.", "Lindqvist, M." };
    static const char *const body1[] = {
        "tidal power in small harbours .",
        "a survey of tidal mills was made . the yield was low .",
        "locks limited the flow .",
    };
    static const char *const summary1[] = { "j. coastal eng. 4, 1961, 12." };
    static const char *const body3[] = { "no title here, only an abstract ." };
    const char *path = copy_data("smart/sample.all", "coll.all");
    struct doc *const *d;

    ck_assert_int_eq(extract_file(reg, path, &got), 0);
    ck_assert_str_eq(got.plugin->desc->name, "smart");
    ck_assert_uint_eq(got.n, 3);
    d = got.docs;
    for (size_t i = 0; i < got.n; i++)
        visit_fields(d[i], clean_cb, (void *)path);
    /* Leading zeros are not part of the number. */
    ck_assert_str_eq(d[0]->member, "1");
    ck_assert_str_eq(d[0]->key, keep(xasprintf("%s#1", path)));
    ck_assert_str_eq(d[0]->title, "Tidal power in small harbours .");
    assert_strv_eq(&d[0]->authors, authors1, 2);
    assert_strv_eq(&d[0]->summary, summary1, 1);
    assert_strv_eq(&d[0]->body, body1, 3);
    ck_assert_ptr_null(d[0]->outlet);

    /* An empty .A and .W: a document with its title only; the bare 0xE9
     * is read as Latin-1. */
    ck_assert_str_eq(d[1]->member, "2");
    ck_assert_str_eq(d[1]->title, "Caf\xc3\xa9 catalogues");
    ck_assert_uint_eq(d[1]->authors.n, 0);
    ck_assert_uint_eq(d[1]->body.n, 0);

    /* No .T: named by its number. */
    ck_assert_str_eq(d[2]->member, "3");
    ck_assert_str_eq(d[2]->title, "Record 3");
    assert_strv_eq(&d[2]->body, body3, 1);
}
END_TEST

/* Only a file that starts with ".I n" and a dot-field is taken. */
START_TEST(smart_probe)
{
    static const char *const yes[] = {
        ".I 1\n.T\ntitle\n",
        ".I 001\r\n.W\r\ntext\r\n",
    };
    static const char *const no[] = {
        ".I 1\nplain text after it\n",
        ".I one\n.T\ntitle\n",
        "Notes\n.I 1\n.T\ntitle\n",
        ".I 1 2\n.T\n",
        ".Ix 1\n.T\n",
    };

    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        ck_assert_msg(probe_score("smart", "/c/x.all", yes[i], strlen(yes[i]))
                      > probe_score("plaintext", "/c/x.all", yes[i],
                                    strlen(yes[i])), "yes[%zu]", i);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        ck_assert_msg(probe_score("smart", "/c/x.all", no[i], strlen(no[i]))
                      == 0, "no[%zu]", i);
}
END_TEST

/* Not Reuters: plain text that mentions the tag, and an .sgm file with no
 * article, are left to others or refused. */
START_TEST(reuters_probe_and_refusal)
{
    const char *text = "Notes\nThe <REUTERS> tag starts an article.\n";
    const char *empty = "<!DOCTYPE lewis SYSTEM \"lewis.dtd\">\n";
    const char *p;

    ck_assert_int_eq(probe_score("reuters-sgml", "/x/notes.txt", text,
                                 strlen(text)), 0);
    ck_assert_int_gt(probe_score("reuters-sgml", "/x/reut2-000.sgm", empty,
                                 strlen(empty)), 50);
    p = tmp_text("reut2-999.sgm", empty);
    ck_assert_int_eq(extract_file(reg, p, &got), -EINVAL);
    ck_assert_ptr_nonnull(strstr(got.reason, "reuters-sgml"));
}
END_TEST

/*
 * Files no plugin takes, refused by the host before any extract() with
 * -ENOMSG and a reason, and so not indexed: empty and blank ones (no ink
 * for plaintext), and binary ones (a NUL byte: junk, text with one NUL,
 * UTF-16).
 */
START_TEST(plain_refuses_empty_blank_and_binary)
{
    static const char blank[] = "  \n\n\t\r\n   ";
    static const char nul_text[] = "A title\nSome text\0with a NUL in it\n";
    static const char utf16[] = "H\0e\0l\0l\0o\0\n\0w\0o\0r\0l\0d\0\n\0";
    size_t junk_len, empty_len;
    const char *junk = slurp("binary/junk.bin", &junk_len);
    const char *empty = slurp("plain/empty.txt", &empty_len);
    const struct {
        const char *bytes;
        size_t len;
        const char *reason;
    } files[] = {
        { empty, empty_len, "file is empty" },
        { blank, sizeof blank - 1, "no plugin wants this file" },
        { junk, junk_len, "no plugin wants this file" },
        { nul_text, sizeof nul_text - 1, "no plugin wants this file" },
        { utf16, sizeof utf16 - 1, "no plugin wants this file" },
    };

    ck_assert_uint_eq(empty_len, 0);
    ck_assert_ptr_nonnull(memchr(junk, 0, junk_len));
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        const char *path = tmp_file(neutral_names[i % 3], files[i].bytes,
                                    files[i].len);

        for (size_t k = 0; k < 3; k++)
            ck_assert_msg(probe_score(outlet_plugins[k], path, files[i].bytes,
                                      files[i].len) == 0,
                          "%s wants file %zu", outlet_plugins[k], i);
        ck_assert_int_eq(run_extract(path, &got), -ENOMSG);
        ck_assert_str_eq(got.reason, files[i].reason);
        ck_assert_ptr_null(got.plugin);
    }
}
END_TEST

/* ---- robustness: every prefix of the samples ---------------------------- */

/* Prefix lengths worth trying: every 7th in the first 4 KiB, every 97th
 * past it, the whole file, and every length within 48 bytes of a mark. */
static bool
want_len(size_t len, size_t total, const size_t *marks, size_t n_marks)
{
    if (len == total || len % (len < 4096 ? 7 : 97) == 0)
        return true;
    for (size_t i = 0; i < n_marks; i++)
        if (len + 48 >= marks[i] && len <= marks[i] + 48)
            return true;
    return false;
}

/* Checks one prefix's document (res, plugin and all) against the whole
 * file's (full); marks as in check_prefixes. */
typedef void (*prefix_cb)(size_t n, const struct extract_result *res,
                          const struct doc *full, const size_t *marks);

/*
 * Extract the wanted prefixes (want_len) of tests/data/rel, which plugin
 * reads whole, and hand each result to cb.  Nothing may crash, and every
 * prefix but the empty one must extract (run_extract checks the values).
 * marks[2i] is where needles[i] starts in the file, marks[2i+1] where it
 * ends.
 */
static void
check_prefixes(const char *rel, const char *plugin, const char *const *needles,
               size_t n_needles, prefix_cb cb)
{
    size_t len, tried = 0, marks[8];
    const char *data = slurp(rel, &len);

    ck_assert_uint_le(n_needles, 4);
    for (size_t i = 0; i < n_needles; i++) {
        const char *at = strstr(data, needles[i]);

        ck_assert_msg(at != NULL, "%s lacks \"%s\"", rel, needles[i]);
        marks[2 * i] = (size_t)(at - data);
        marks[2 * i + 1] = marks[2 * i] + strlen(needles[i]);
    }
    extract_ok(copy_data(rel, "whole"), plugin, &got2);
    for (size_t n = 0; n <= len; n++) {
        char *path;
        int rc;

        if (!want_len(n, len, marks, 2 * n_needles))
            continue;
        tried++;
        path = tmp_write("article", data, n);
        rc = run_extract(path, &got);
        free(path);
        if (n == 0) {
            ck_assert_int_eq(rc, -ENOMSG);
            continue;
        }
        ck_assert_msg(rc == 0, "prefix %zu: %s", n, got.reason);
        cb(n, &got, got2.docs[0], marks);
    }
    ck_assert_uint_ge(tried, len / 7);
}

static void
assert_plugin(size_t n, const struct extract_result *res, const char *want)
{
    ck_assert_msg(strcmp(res->plugin->desc->name, want) == 0,
                  "prefix %zu: %s, want %s", n, res->plugin->desc->name,
                  want);
}

/* marks[1]: the end of the disclaimer's opening words. */
static void
bs_prefix_cb(size_t n, const struct extract_result *res,
             const struct doc *full, const size_t *marks)
{
    const struct doc *d = res->docs[0];

    /* Without the whole marker this is plain text. */
    assert_plugin(n, res, n < marks[1] ? "plaintext" : "business-standard");
    if (n < marks[1])
        return;
    /* With it the article is all there: the same document. */
    ck_assert_str_eq(d->title, full->title);
    assert_same_strv(&d->body, &full->body);
    assert_same_strv(&d->keywords, &full->keywords);
}

START_TEST(robust_bs_prefixes)
{
    static const char *const needles[] = { BS_MARKER, "Subscribe now" };

    check_prefixes(BS_SAMPLE, "business-standard", needles, 2, bs_prefix_cb);
}
END_TEST

/* marks[1]: the start of the author line; marks[3]: the end of the first
 * bullet. */
static void
geo_prefix_cb(size_t n, const struct extract_result *res,
              const struct doc *full, const size_t *marks)
{
    const struct doc *d = res->docs[0];

    /* "By" and a letter of the name make it Geo's split byline. */
    assert_plugin(n, res, n > marks[1] ? "geo-news" : "plaintext");
    if (n <= marks[1])
        return;
    ck_assert_str_eq(d->title, full->title);
    ck_assert_str_eq(d->outlet, "Geo News");
    /* Until a whole bullet is in, the captions cannot be told from the
     * body; after it, only the paragraph the cut went through may differ. */
    if (n < marks[3])
        return;
    ck_assert_uint_le(d->body.n, full->body.n);
    for (size_t i = 0; i + 1 < d->body.n; i++)
        ck_assert_msg(strcmp(d->body.v[i], full->body.v[i]) == 0,
                      "prefix %zu, paragraph %zu: %s", n, i, d->body.v[i]);
}

START_TEST(robust_geo_prefixes)
{
    static const char *const needles[] = {
        "\nBy\n", BULLET, "RAWALPINDI", "Read more:",
    };

    check_prefixes(GEO_SAMPLE, "geo-news", needles, 4, geo_prefix_cb);
}
END_TEST

/* ---- the suite ---------------------------------------------------------- */

Suite *
outlets_suite(void)
{
    Suite *s = suite_create("outlets");
    TCase *tc;

    tc = tcase_create("probe");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, probe_picks_by_content_under_neutral_names);
    suite_add_tcase(s, tc);

    tc = tcase_create("business-standard");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, bs_sample_fields_exact);
    tcase_add_test(tc, bs_sample_keeps_no_boilerplate);
    tcase_add_test(tc, bs_title_derivation);
    tcase_add_test(tc, bs_title_bounded_on_non_utf8_bytes);
    suite_add_tcase(s, tc);

    tc = tcase_create("geo-news");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, geo_sample_fields_exact);
    tcase_add_test(tc, geo_layout_variants);
    suite_add_tcase(s, tc);

    tc = tcase_create("plaintext");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, plain_fields_exact);
    tcase_add_test(tc, plain_refuses_empty_blank_and_binary);
    tcase_add_test(tc, reuters_fields_exact);
    tcase_add_test(tc, reuters_probe_and_refusal);
    tcase_add_test(tc, usenet_fields_exact);
    tcase_add_test(tc, usenet_probe);
    tcase_add_test(tc, smart_fields_exact);
    tcase_add_test(tc, smart_probe);
    suite_add_tcase(s, tc);

    tc = tcase_create("robust");
    tcase_add_checked_fixture(tc, setup, teardown);
    /* About 700 extractions each; slow under valgrind. */
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, samples_with_crlf_extract_the_same);
    tcase_add_test(tc, robust_bs_prefixes);
    tcase_add_test(tc, robust_geo_prefixes);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr;
    int failed;

    plugin_dir = getenv("SD_PLUGIN_DIR");
    data_dir = getenv("SD_DATA_DIR");
    if (plugin_dir == NULL || *plugin_dir == '\0' || data_dir == NULL ||
        *data_dir == '\0') {
        /* The plugins are built in-tree: not having them is an error. */
        fprintf(stderr, "check_outlets: SD_PLUGIN_DIR and SD_DATA_DIR must "
                "be set (make check sets them)\n");
        return EXIT_FAILURE;
    }
    /* The registry's "loaded" lines are noise here; errors still show. */
    log_max_level = LOG_LEVEL_WARN;
    sr = srunner_create(outlets_suite());
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
