/*
 * testutil.c - helpers shared by the unit tests (testutil.h).
 */
#include "config.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

#include <check.h>

#include "testutil.h"

void
tu_mkdtemp(char *buf, size_t len, const char *name)
{
    const char *t = getenv("TMPDIR");
    int n = snprintf(buf, len, "%s/%s.XXXXXX", t && *t ? t : "/tmp", name);

    ck_assert_msg(n > 0 && (size_t)n < len, "temporary path too long");
    ck_assert_msg(mkdtemp(buf) != NULL, "mkdtemp %s failed", buf);
}

static int
rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void
tu_rmtree(const char *dir)
{
    nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

uint64_t
tu_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
