/*
 * bench/extract-time.c - how long a plugin's extract() takes, in process.
 *
 *     bench/extract-time [-n REPEAT] [--parsers] PLUGIN.so FILE...
 *
 * dlopens PLUGIN.so as searchd does, calls init(), then for every FILE
 * runs extract() once to warm up and REPEAT more times (default 5) into a
 * sink that only counts, and prints one line per file:
 *
 *     PATH <tab> BYTES <tab> DOCS <tab> EXTRACT_MS [<tab> GUMBO_MS <tab> LIBXML2_MS]
 *
 * EXTRACT_MS is the median of the REPEAT calls: the plugin's work alone,
 * without process start-up, plugin loading or the host's copying.  With
 * --parsers it also times the two HTML parsers on the file's bytes, the
 * same way: gumbo_parse_with_options (as the html plugin calls it, parse
 * errors not kept) and libxml2's htmlReadMemory (recover, no network, no
 * error output), each followed by freeing its tree.  bench/extract-eval
 * turns these lines into the distribution it prints.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gumbo.h>
#include <libxml/HTMLparser.h>

#include <searchd/plugin.h>

struct counts {
    unsigned docs;
    size_t bytes;
};

static int
s_begin(void *host, const char *member)
{
    (void)member;
    ((struct counts *)host)->docs++;
    return 0;
}

static int
s_add_text(void *host, const char *field, const char *text, size_t len)
{
    (void)field;
    (void)text;
    ((struct counts *)host)->bytes += len;
    return 0;
}

static int
s_add_keyword(void *host, const char *field, const char *value)
{
    (void)host;
    (void)field;
    (void)value;
    return 0;
}

static int
s_end(void *host)
{
    (void)host;
    return 0;
}

static void
s_log(void *host, int level, const char *msg)
{
    (void)host;
    (void)level;
    (void)msg;
}

static double
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The whole file into a malloc'd buffer (caller frees); NULL on error. */
static char *
slurp(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL &&
        fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        *len_out = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static double
time_gumbo(const char *buf, size_t len)
{
    GumboOptions opt = kGumboDefaultOptions;
    double t0 = now_ms();
    GumboOutput *g;

    opt.max_errors = 0;
    g = gumbo_parse_with_options(&opt, buf, len);
    if (g != NULL)
        gumbo_destroy_output(&kGumboDefaultOptions, g);
    return now_ms() - t0;
}

static double
time_libxml2(const char *buf, size_t len)
{
    double t0 = now_ms();
    htmlDocPtr doc = htmlReadMemory(buf, (int)len, NULL, NULL,
                                    HTML_PARSE_RECOVER | HTML_PARSE_NONET |
                                    HTML_PARSE_NOERROR |
                                    HTML_PARSE_NOWARNING);

    if (doc != NULL)
        xmlFreeDoc(doc);
    return now_ms() - t0;
}

int
main(int argc, char **argv)
{
    int repeat = 5, i = 1;
    bool parsers = false;
    const struct sd_plugin *(*entry)(void);
    const struct sd_plugin *pl;
    void *h;
    double *t;

    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--parsers") == 0)
            parsers = true;
        else
            break;
    }
    if (argc - i < 2 || repeat < 1 || repeat > 1000) {
        fprintf(stderr, "usage: extract-time [-n REPEAT] [--parsers] "
                "PLUGIN.so FILE...\n");
        return 2;
    }
    if ((h = dlopen(argv[i], RTLD_NOW | RTLD_LOCAL)) == NULL) {
        fprintf(stderr, "extract-time: %s\n", dlerror());
        return 2;
    }
    *(void **)&entry = dlsym(h, SD_PLUGIN_ENTRY_SYMBOL);
    if (entry == NULL || (pl = entry()) == NULL ||
        pl->abi != SD_PLUGIN_ABI) {
        fprintf(stderr, "extract-time: %s: not a searchd plugin\n", argv[i]);
        return 2;
    }
    if (pl->init != NULL && pl->init() != 0) {
        fprintf(stderr, "extract-time: %s: init failed\n", pl->name);
        return 2;
    }
    xmlInitParser();
    if ((t = calloc((size_t)repeat, sizeof *t)) == NULL)
        return 2;
    for (i++; i < argc; i++) {
        const char *path = argv[i];
        struct counts c = { 0 };
        struct sd_sink sink = { &c, s_begin, s_add_text, s_add_keyword,
                                s_end, s_log };
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        size_t len = 0;
        char *buf;
        int rc = 0;

        if (fd < 0) {
            fprintf(stderr, "extract-time: %s: %s\n", path, strerror(errno));
            return 2;
        }
        for (int r = -1; r < repeat; r++) {
            double t0;

            if (lseek(fd, 0, SEEK_SET) != 0)
                return 2;
            c.docs = 0;
            t0 = now_ms();
            rc = pl->extract(path, fd, &sink);
            if (r >= 0)
                t[r] = now_ms() - t0;
        }
        printf("%s\t%lld\t%u\t%.4f", path, (long long)lseek(fd, 0, SEEK_END),
               rc == 0 ? c.docs : 0, median(t, repeat));
        close(fd);
        if (parsers && (buf = slurp(path, &len)) != NULL) {
            time_gumbo(buf, len);       /* warm up */
            for (int r = 0; r < repeat; r++)
                t[r] = time_gumbo(buf, len);
            printf("\t%.4f", median(t, repeat));
            time_libxml2(buf, len);
            for (int r = 0; r < repeat; r++)
                t[r] = time_libxml2(buf, len);
            printf("\t%.4f", median(t, repeat));
            free(buf);
        }
        putchar('\n');
        fflush(stdout);
    }
    free(t);
    if (pl->fini != NULL)
        pl->fini();
    return 0;
}
