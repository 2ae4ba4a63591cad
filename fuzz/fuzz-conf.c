/*
 * fuzz-conf.c - the configuration file parser (daemon/conf.c): what
 * `searchd --check-config`, a start and every reload read.
 *
 * Input: the file's bytes.  They are parsed from memory (config_parse) and
 * from a file (config_load, in a temporary folder), the way the daemon
 * reads one.  Relative paths start from that folder in both, so the two
 * must agree.
 *
 * Properties: both give the same verdict; an error names the file and a
 * line ("NAME:LINE: ...") or the file; accepted settings are in the
 * ranges searchd.conf(5) gives, with absolute paths.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"
#include "indexer.h"
#include "log.h"

static char dir[4096];
static char file[4200];

static void
cleanup(void)
{
    unlink(file);
    rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* "~/x" paths: a HOME that exists, whatever the environment. */
    setenv("HOME", "/", 1);
    log_max_level = LOG_LEVEL_ERR;
    snprintf(dir, sizeof dir, "%s/sd-fuzz-conf.XXXXXX",
             getenv("TMPDIR") != NULL && getenv("TMPDIR")[0] == '/'
                 ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("fuzz-conf: mkdtemp");
        exit(2);
    }
    snprintf(file, sizeof file, "%s/searchd.conf", dir);
    atexit(cleanup);
    return 0;
}

static void
check_settings(const struct settings *s)
{
    FUZZ_ASSERT(s->index_dir == NULL || s->index_dir[0] == '/');
    FUZZ_ASSERT(s->socket_path == NULL || s->socket_path[0] == '/');
    FUZZ_ASSERT(s->plugin_dir != NULL);
    FUZZ_ASSERT(s->socket_mode <= 0777);
    FUZZ_ASSERT(s->workers <= 64 && s->query_threads >= 1 &&
                s->query_threads <= 64);
    FUZZ_ASSERT(s->shards <= INDEXER_MAX_SHARDS);
    FUZZ_ASSERT(s->deadline_ms >= 10 && s->deadline_ms <= 3600000);
    FUZZ_ASSERT(s->commit_ms >= 50 && s->commit_ms <= 3600000);
    FUZZ_ASSERT(s->log_level >= LOG_LEVEL_ERR &&
                s->log_level <= LOG_LEVEL_DEBUG);
    for (size_t i = 0; i < s->n_watch; i++) {
        FUZZ_ASSERT(s->watch[i].dir != NULL && s->watch[i].dir[0] == '/');
        FUZZ_ASSERT(s->watch[i].outlet == NULL ||
                    s->watch[i].outlet[0] != '\0');
        FUZZ_ASSERT(s->watch[i].lang == NULL || s->watch[i].lang[0] != '\0');
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct settings s;
    char err[1024];
    FILE *f;
    int rc, frc;

    if (dir[0] == '\0')
        LLVMFuzzerInitialize(NULL, NULL);

    settings_init(&s);
    err[0] = '\0';
    rc = config_parse("fuzz.conf", (const char *)data, size, dir, &s, err,
                      sizeof err);
    FUZZ_ASSERT(rc == 0 || rc == -1);
    if (rc == 0)
        check_settings(&s);
    else
        FUZZ_ASSERT(strncmp(err, "fuzz.conf:", 10) == 0 &&
                    err[10] != '\0');
    settings_clear(&s);

    f = fopen(file, "wb");
    FUZZ_ASSERT(f != NULL);
    FUZZ_ASSERT(fwrite(data, 1, size, f) == size);
    FUZZ_ASSERT(fclose(f) == 0);
    settings_init(&s);
    frc = config_load(file, &s, err, sizeof err);
    FUZZ_ASSERT(frc == rc);
    settings_clear(&s);
    return 0;
}
