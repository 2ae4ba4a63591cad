/*
 * fuzz-plugin.c - one extractor plugin, through the host exactly as a
 * worker runs it (daemon/extract.c: extract_file): the file's head to the
 * plugin's probe, and when it wants the file, its extract with the host's
 * sink, then the documents packed as a worker sends them.
 *
 * The plugin is the shared object named by $SD_FUZZ_PLUGIN (`make fuzz`
 * runs this harness once per plugin the build makes, so a new plugin is
 * fuzzed without a change here).  The input is written to a file named
 * with the plugin's first declared extension, since a probe may look at
 * the name.
 *
 * Properties: a file that extracts gives documents keyed by its path and
 * named after the plugin, and every value the host kept is valid UTF-8
 * without control characters other than tab and newline, trimmed and not
 * empty (the sink's promise to the index); a date is in the normalised
 * form; the documents survive the worker's packing unchanged.  A file
 * that fails gives a reason and no documents.  The plugin keeps no state
 * between files (plugin.h): a quarter of the inputs (by their first
 * byte) are extracted twice, with the same result.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doc.h"
#include "extract.h"
#include "fuzz.h"
#include "log.h"
#include "plugins.h"
#include "util.h"
#include "worker.h"

static struct plugins *reg;
static const struct sd_plugin *desc;
static char tmpdir[4096];
static char input[4200];
static FILE *devnull;

static void
cleanup(void)
{
    if (input[0] != '\0')
        unlink(input);
    if (tmpdir[0] != '\0')
        rmdir(tmpdir);
    /* The registry stays: a crash report after exit may still need the
     * plugin's symbols, and the process is ending. */
    if (devnull != NULL)
        fclose(devnull);
    devnull = NULL;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *so = getenv("SD_FUZZ_PLUGIN");
    const char *tmp = getenv("TMPDIR");
    const char *ext = "";

    (void)argc;
    (void)argv;
    if (so == NULL || so[0] == '\0') {
        fprintf(stderr, "fuzz-plugin: set SD_FUZZ_PLUGIN to the plugin's "
                ".so (a path with a '/')\n");
        exit(2);
    }
    log_max_level = LOG_LEVEL_ERR;
    reg = plugins_new();
    if (plugins_load_file(reg, so) < 0) {
        fprintf(stderr, "fuzz-plugin: %s: not loaded (see above)\n", so);
        exit(2);
    }
    desc = plugins_get(reg, 0)->desc;
    if (desc->extensions != NULL && desc->extensions[0] != NULL &&
        strlen(desc->extensions[0]) < 16 &&
        strchr(desc->extensions[0], '/') == NULL)
        ext = desc->extensions[0];
    snprintf(tmpdir, sizeof tmpdir, "%s/sd-fuzz-%s.XXXXXX",
             tmp != NULL && tmp[0] == '/' ? tmp : "/tmp", desc->name);
    if (mkdtemp(tmpdir) == NULL) {
        perror("fuzz-plugin: mkdtemp");
        exit(2);
    }
    snprintf(input, sizeof input, "%s/input%s", tmpdir, ext);
    devnull = fopen("/dev/null", "w");
    if (devnull == NULL) {
        perror("fuzz-plugin: /dev/null");
        exit(2);
    }
    atexit(cleanup);
    return 0;
}

/* What the sink promises of every value it keeps. */
static void
check_text(const char *s)
{
    size_t n;

    FUZZ_ASSERT(s != NULL);
    n = strlen(s);
    FUZZ_ASSERT(n > 0);
    FUZZ_ASSERT(utf8_valid(s, n));
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        FUZZ_ASSERT(c >= 0x20 || c == '\t' || c == '\n');
    }
    FUZZ_ASSERT(s[0] != ' ' && s[0] != '\t' && s[0] != '\n');
    FUZZ_ASSERT(s[n - 1] != ' ' && s[n - 1] != '\t' && s[n - 1] != '\n');
    FUZZ_ASSERT(!(n >= 2 && (unsigned char)s[0] == 0xc2 &&
                  (unsigned char)s[1] == 0xa0));
    FUZZ_ASSERT(!(n >= 2 && (unsigned char)s[n - 2] == 0xc2 &&
                  (unsigned char)s[n - 1] == 0xa0));
}

static void
check_opt(const char *s)
{
    if (s != NULL)
        check_text(s);
}

static void
check_list(const struct strv *sv)
{
    for (size_t i = 0; i < sv->n; i++)
        check_text(sv->v[i]);
}

/* YYYY-MM-DD, or with THH:MM:SS and Z or +HH:MM/-HH:MM. */
static bool
is_norm_date(const char *d)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t n = strlen(d);

    if (n != 10 && n != 19 && n != 20 && n != 25)
        return false;
    for (size_t i = 0; i < n && i < 19; i++) {
        if (shape[i] == 'd' ? (d[i] < '0' || d[i] > '9') : d[i] != shape[i])
            return false;
    }
    if (n == 20)
        return d[19] == 'Z';
    if (n == 25)
        return (d[19] == '+' || d[19] == '-') && d[22] == ':';
    return true;
}

static void
check_doc(const struct doc *d)
{
    struct dbuf b = { 0 };
    struct dcur c;
    struct doc *back;
    struct dbuf b2 = { 0 };

    FUZZ_ASSERT(d->path != NULL && strcmp(d->path, input) == 0);
    FUZZ_ASSERT(d->key != NULL && strncmp(d->key, input, strlen(input)) == 0);
    FUZZ_ASSERT(d->member == NULL ? strcmp(d->key, input) == 0
                                  : d->key[strlen(input)] == '#');
    FUZZ_ASSERT(d->plugin != NULL && strcmp(d->plugin, desc->name) == 0);
    FUZZ_ASSERT(d->title != NULL || d->body.n > 0);
    check_opt(d->title);
    check_opt(d->outlet);
    check_opt(d->place);
    check_opt(d->lang);
    check_opt(d->url);
    if (d->date != NULL)
        FUZZ_ASSERT(is_norm_date(d->date));
    check_list(&d->authors);
    check_list(&d->summary);
    check_list(&d->captions);
    check_list(&d->keywords);
    check_list(&d->body);
    for (size_t i = 0; i < d->keywords.n; i++)
        for (const char *k = d->keywords.v[i]; *k != '\0'; k++)
            FUZZ_ASSERT(!(*k >= 'A' && *k <= 'Z'));

    /* A worker packs it; the daemon unpacks it. */
    doc_pack(&b, d);
    c = (struct dcur){ b.p, b.len, 0 };
    back = doc_unpack(&c);
    FUZZ_ASSERT(back != NULL && c.err == 0 && c.len == 0);
    doc_pack(&b2, back);
    FUZZ_ASSERT(b2.len == b.len && memcmp(b2.p, b.p, b.len) == 0);
    doc_free(back);
    free(b.p);
    free(b2.p);
}

/* The result as the worker sends it: the reply's payload (owned). */
static struct dbuf
packed(int rc, const struct extract_result *res)
{
    struct dbuf b = { 0 };

    worker_pack_reply(&b, rc, 0, res);
    return b;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct extract_result res = { 0 };
    struct dbuf first, again;
    int fd, rc;

    if (reg == NULL)
        LLVMFuzzerInitialize(NULL, NULL);
    fd = open(input, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FUZZ_ASSERT(fd >= 0);
    FUZZ_ASSERT(size == 0 || write(fd, data, size) == (ssize_t)size);
    close(fd);

    rc = extract_file(reg, input, &res);
    FUZZ_ASSERT(memchr(res.reason, '\0', sizeof res.reason) != NULL);
    if (rc == 0) {
        FUZZ_ASSERT(res.n > 0 && res.plugin != NULL);
        for (size_t i = 0; i < res.n; i++)
            check_doc(res.docs[i]);
        FUZZ_ASSERT(extract_print_json(&res, devnull) == 0);
    } else {
        FUZZ_ASSERT(rc < 0 && res.n == 0 && res.reason[0] != '\0');
        /* Codes that speak of the file itself come from the host alone. */
        FUZZ_ASSERT(rc != -ENOENT && rc != -EISDIR && rc != -EFBIG);
    }
    if (size > 0 && (data[0] & 3) == 0) {
        first = packed(rc, &res);
        extract_result_clear(&res);
        rc = extract_file(reg, input, &res);
        again = packed(rc, &res);
        FUZZ_ASSERT(again.len == first.len &&
                    memcmp(again.p, first.p, first.len) == 0);
        free(first.p);
        free(again.p);
    }
    extract_result_clear(&res);
    return 0;
}
