/*
 * replay.c - run a harness's LLVMFuzzerTestOneInput over files, without
 * libFuzzer: `make check` replays the kept crashing inputs and the seed
 * corpora this way (tests/e2e/t800-fuzz-replay.sh), in the normal, the
 * sanitizer and the valgrind builds.
 *
 *     replay-TARGET FILE|DIR...
 *
 * A folder stands for the regular files in it (not recursive), in name
 * order.  Prints how many inputs ran; a crash or a failed property ends
 * the run as it would the fuzzer's, after naming the input on stderr.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Inputs are small; this bounds what one file may make us allocate. */
#define REPLAY_MAX_INPUT (16u << 20)

/* A harness without an initialiser gets this one; __attribute__((weak))
 * is in both gcc and clang. */
__attribute__((weak)) int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static int
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    size_t n;

    if (f == NULL) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* One byte more than the cap tells a file over it. */
    buf = malloc(REPLAY_MAX_INPUT + 1);
    if (buf == NULL) {
        fclose(f);
        fprintf(stderr, "replay: out of memory\n");
        return -1;
    }
    n = fread(buf, 1, REPLAY_MAX_INPUT + 1, f);
    if (ferror(f) || n > REPLAY_MAX_INPUT) {
        fprintf(stderr, "replay: %s: %s\n", path,
                ferror(f) ? "read error" : "over 16 MiB");
        fclose(f);
        free(buf);
        return -1;
    }
    fclose(f);
    /* Said before running, so a crash is attributed to its input. */
    fprintf(stderr, "replay: %s\n", path);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file in dir, in name order; the number run, or -1. */
static long
run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    char **names = NULL;
    size_t n = 0, cap = 0;
    long ran = 0;

    if (d == NULL) {
        fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        if (n == cap) {
            char **bigger;

            cap = cap ? 2 * cap : 64;
            bigger = realloc(names, cap * sizeof *names);
            if (bigger == NULL)
                abort();
            names = bigger;
        }
        names[n] = strdup(de->d_name);
        if (names[n] == NULL)
            abort();
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof *names, cmp_names);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(dir) + strlen(names[i]) + 2;
        char *path = malloc(len);
        struct stat st;

        if (path == NULL)
            abort();
        snprintf(path, len, "%s/%s", dir, names[i]);
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(path) < 0)
                ran = -1;
            else if (ran >= 0)
                ran++;
        }
        free(path);
        free(names[i]);
    }
    free(names);
    return ran;
}

int
main(int argc, char **argv)
{
    long total = 0;
    int bad = 0;

    LLVMFuzzerInitialize(&argc, &argv);
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        struct stat st;
        long ran;

        if (stat(argv[i], &st) != 0) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            bad = 1;
            continue;
        }
        if (S_ISDIR(st.st_mode))
            ran = run_dir(argv[i]);
        else
            ran = run_file(argv[i]) < 0 ? -1 : 1;
        if (ran < 0)
            bad = 1;
        else
            total += ran;
    }
    printf("%ld inputs replayed\n", total);
    return bad;
}
