/*
 * seedtool.c - seeds for fuzz-reply that only a build can make: what a
 * worker sends back for real files (doc/fuzzing.md; fuzz/seeds.sh).
 *
 *     seedtool PLUGINDIR OUTDIR FILE...
 *
 * Extracts each FILE with the plugins in PLUGINDIR as a worker does and
 * writes OUTDIR/reply-N (0x00, then the 'R' payload: success or failure)
 * and, for a file that gave documents, OUTDIR/doc-N (0x01, then its first
 * document packed): fuzz-reply's two input forms.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "extract.h"
#include "log.h"
#include "plugins.h"
#include "worker.h"

static int
write_seed(const char *dir, const char *kind, int n, char form,
           const struct dbuf *b)
{
    char path[4096];
    FILE *f;
    int ok;

    snprintf(path, sizeof path, "%s/%s-%d", dir, kind, n);
    f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    ok = fputc(form, f) != EOF && fwrite(b->p, 1, b->len, f) == b->len;
    if (fclose(f) != 0 || !ok) {
        perror(path);
        return -1;
    }
    return 0;
}

int
main(int argc, char **argv)
{
    struct plugins *reg;
    int bad = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: seedtool PLUGINDIR OUTDIR FILE...\n");
        return 2;
    }
    log_max_level = LOG_LEVEL_ERR;
    reg = plugins_new();
    if (plugins_load_dir(reg, argv[1]) <= 0) {
        fprintf(stderr, "seedtool: %s: no plugins\n", argv[1]);
        plugins_free(reg);
        return 1;
    }
    for (int i = 3; i < argc; i++) {
        struct extract_result res = { 0 };
        struct dbuf b = { 0 };
        int rc = extract_file(reg, argv[i], &res);

        /* Any hash will do: the daemon only stores it. */
        worker_pack_reply(&b, rc, 0x0123456789abcdefu, &res);
        if (write_seed(argv[2], "reply", i - 2, 0, &b) < 0)
            bad = 1;
        if (rc == 0 && res.n > 0) {
            b.len = 0;
            doc_pack(&b, res.docs[0]);
            if (write_seed(argv[2], "doc", i - 2, 1, &b) < 0)
                bad = 1;
        }
        free(b.p);
        extract_result_clear(&res);
    }
    plugins_free(reg);
    return bad;
}
