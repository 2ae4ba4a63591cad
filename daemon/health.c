/*
 * health.c - the table of faults in effect (health.h): a short list
 * (a handful of entries at most: one per shard, index or watched
 * folder), searched linearly under one mutex.
 */
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "health.h"
#include "util.h"

/* Most entries kept; past it new faults are not listed (the log still
 * has them).  Far more than shards + watched folders + 1. */
#define HEALTH_MAX 256

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct health_entry table[HEALTH_MAX];   /* strings owned */
static size_t n_table;

static struct health_entry *
find_locked(const char *what, const char *subject)
{
    for (size_t i = 0; i < n_table; i++)
        if (strcmp(table[i].what, what) == 0 &&
            strcmp(table[i].subject, subject) == 0)
            return &table[i];
    return NULL;
}

void
health_set(const char *what, const char *subject, const char *fmt, ...)
{
    struct health_entry *e;
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&lock);
    e = find_locked(what, subject);
    if (e == NULL && n_table < HEALTH_MAX) {
        e = &table[n_table++];
        e->what = xstrdup(what);
        e->subject = xstrdup(subject);
        e->message = NULL;
        e->since = time(NULL);
    }
    if (e != NULL) {
        free(e->message);
        e->message = xstrdup(msg);
    }
    pthread_mutex_unlock(&lock);
}

static void
entry_free(struct health_entry *e)
{
    free(e->what);
    free(e->subject);
    free(e->message);
}

void
health_clear(const char *what, const char *subject)
{
    struct health_entry *e;

    pthread_mutex_lock(&lock);
    e = find_locked(what, subject);
    if (e != NULL) {
        size_t i = (size_t)(e - table);

        entry_free(e);
        memmove(&table[i], &table[i + 1],
                (n_table - i - 1) * sizeof table[0]);
        n_table--;
    }
    pthread_mutex_unlock(&lock);
}

int
health_is_set(const char *what, const char *subject)
{
    int yes;

    pthread_mutex_lock(&lock);
    yes = find_locked(what, subject) != NULL;
    pthread_mutex_unlock(&lock);
    return yes;
}

struct health_entry *
health_list(size_t *n_out)
{
    struct health_entry *v;

    pthread_mutex_lock(&lock);
    v = xcalloc(n_table + 1, sizeof *v);
    for (size_t i = 0; i < n_table; i++) {
        v[i].what = xstrdup(table[i].what);
        v[i].subject = xstrdup(table[i].subject);
        v[i].message = xstrdup(table[i].message);
        v[i].since = table[i].since;
    }
    *n_out = n_table;
    pthread_mutex_unlock(&lock);
    return v;
}

void
health_list_free(struct health_entry *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        entry_free(&v[i]);
    free(v);
}

const char *
health_summary(void)
{
    const char *s = "ok";

    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_table; i++) {
        if (strcmp(table[i].what, HEALTH_READ_ONLY) != 0) {
            s = "degraded";
            break;
        }
        s = "read-only";
    }
    pthread_mutex_unlock(&lock);
    return s;
}

void
health_reset(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_table; i++)
        entry_free(&table[i]);
    n_table = 0;
    pthread_mutex_unlock(&lock);
}
