/*
 * fuzz-conf.c - the configuration file parser (daemon/conf.c): what
 * `searchd --check-config`, a start and every reload read.
 *
 * Input: the file's bytes.  They are parsed from memory (config_parse) and
 * from a file (config_load, on a memfd), the way the daemon reads one.
 * Relative paths start from "/" in both, so the two must agree.
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
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "fuzz.h"
#include "indexer.h"
#include "log.h"

static int memfd = -1;
static char memfd_path[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* "~/x" paths: a HOME that exists, whatever the environment. */
    setenv("HOME", "/", 1);
    log_max_level = LOG_LEVEL_ERR;
    memfd = memfd_create("fuzz-conf", MFD_CLOEXEC);
    if (memfd < 0) {
        perror("memfd_create");
        exit(1);
    }
    snprintf(memfd_path, sizeof memfd_path, "/proc/self/fd/%d", memfd);
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
    int rc, frc;

    if (memfd < 0)
        LLVMFuzzerInitialize(NULL, NULL);

    settings_init(&s);
    err[0] = '\0';
    rc = config_parse("fuzz.conf", (const char *)data, size, "/", &s, err,
                      sizeof err);
    FUZZ_ASSERT(rc == 0 || rc == -1);
    if (rc == 0)
        check_settings(&s);
    else
        FUZZ_ASSERT(strncmp(err, "fuzz.conf:", 10) == 0 &&
                    err[10] != '\0');
    settings_clear(&s);

    FUZZ_ASSERT(ftruncate(memfd, 0) == 0);
    FUZZ_ASSERT(pwrite(memfd, data, size, 0) == (ssize_t)size);
    settings_init(&s);
    frc = config_load(memfd_path, &s, err, sizeof err);
    FUZZ_ASSERT(frc == rc);
    settings_clear(&s);
    return 0;
}
