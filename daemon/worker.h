/*
 * worker.h - isolated extraction: plugins run in child processes, never
 * in the daemon.
 *
 * A worker is `searchd --worker`, exec'd by the daemon with one end of a
 * socket pair as fd 3.  It loads the plugins itself, then serves one
 * request at a time: the daemon sends a path, the worker says which
 * plugin took the file, runs it (extract.h) and sends back the documents
 * in packed form (doc.h), with the file's content hash.
 *
 * The daemon side is a pool (struct wpool) of such workers.  A call gets
 * a deadline, and each worker an address-space limit; a plugin that
 * crashes, hangs past the deadline or runs out of memory costs that one
 * file: the call returns a failure naming the plugin and what happened,
 * and the worker is replaced on the next call.
 *
 * Before its first request a worker enters its sandbox (sandbox.h): a
 * plugin that tries the network, a new program or a write is killed
 * (SIGSYS), and the file fails with "seccomp violation".
 *
 * Wire format (both ways): frames of u32 length (big-endian, counting the
 * type byte and payload), u8 type, payload.
 *   worker -> daemon  'H' u32 sandbox mode (enum sandbox_mode), why it is
 *                     "none" (packed string): plugins loaded, sandbox
 *                     entered, ready for requests
 *   daemon -> worker  'E' path bytes: extract it
 *                     'Q' path bytes: only say which plugin would take
 *                     it; the answer is an 'R' frame with no documents
 *                     and hash 0 (a probe reads the file's head: plugin
 *                     code on file content, so never in the daemon)
 *   worker -> daemon  'P' plugin name, version (packed strings): the
 *                     plugin chosen, sent before it runs
 *                     'R' i32 rc, u64 hash, reason, plugin, version,
 *                     u32 n, n packed documents
 */
#ifndef SEARCHD_WORKER_H
#define SEARCHD_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doc.h"
#include "extract.h"
#include "sandbox.h"

/* Defaults; searchd(8) documents them and their options. */
#define WPOOL_DEFAULT_DEADLINE_MS 5000u
#define WPOOL_DEFAULT_MEM_MB      1024u
/* Time a new worker may take to load the plugins and say it is ready;
 * not charged to any file's deadline. */
#define WPOOL_START_MS            30000u
/* Largest reply frame accepted: what the host lets one file produce
 * (extract.h), and the reply's own fields. */
#define WPOOL_MAX_FRAME           (EXTRACT_MAX_OUTPUT_BYTES + 65536u)
/* A worker with no address-space limit restarts once it holds more than
 * this after a file (with a limit: half the limit). */
#define WORKER_MAX_RESIDENT_MB    1024u
/* The fd a worker talks on. */
#define WORKER_FD                 3

/* What one extraction gave. */
struct wresult {
    int rc;                 /* 0, or -errno as extract_file, or
                             * -ETIMEDOUT (deadline), -ECHILD (the worker
                             * died), -EIO (no worker could be run) */
    char reason[300];       /* when rc < 0 */
    char plugin[128];       /* the plugin that took the file, "" if none */
    char plugin_version[64];
    uint64_t hash;          /* XXH3 of the content; 0 if not read */
    struct doc **docs;      /* owned (wresult_clear) */
    size_t n;
};

void wresult_clear(struct wresult *r);

/*
 * Decode the payload of an 'R' frame (len bytes at p, what a worker sent:
 * untrusted) into r, which must be zeroed or cleared.  Returns 0, or
 * -EBADMSG when the bytes are malformed (r may then hold part of them:
 * wresult_clear it).  The daemon's decoder, public for fuzzing.
 */
int worker_parse_reply(const char *p, size_t len, struct wresult *r);

/* Append to out the payload of an 'R' frame for extract_file's rc and
 * res, with the content hash: what worker_parse_reply reads.  Public for
 * the fuzzing seeds. */
void worker_pack_reply(struct dbuf *out, int rc, uint64_t hash,
                       const struct extract_result *res);

struct wpool_config {
    const char *exe;        /* the searchd binary to exec */
    const char *plugin_dir; /* absolute */
    unsigned workers;       /* processes, >= 1 */
    unsigned deadline_ms;   /* per file */
    unsigned mem_mb;        /* address-space limit per worker; 0 = none */
    int log_level;
};

struct wpool;

/* A new pool (copies cfg); workers start lazily.  Owned by the caller. */
struct wpool *wpool_new(const struct wpool_config *cfg);

/*
 * Extract path in a free worker, waiting for one if all are busy;
 * thread-safe.  out must be zeroed or cleared; it is reset first.
 * Returns out->rc.
 */
int wpool_extract(struct wpool *p, const char *path, struct wresult *out);

/*
 * Ask a free worker which plugin would take path now, without extracting
 * it (as wpool_extract, deadline and all): out->plugin and
 * out->plugin_version are set when one would ("" when none would, with
 * out->rc < 0 and the reason).  Thread-safe.
 */
int wpool_probe(struct wpool *p, const char *path, struct wresult *out);

/* Reap the idle workers that have exited (one restarts itself after a
 * file that left it large), so none lingers as a zombie until its slot
 * is used again.  Thread-safe; cheap: call it from a timer. */
void wpool_reap_idle(struct wpool *p);

/* The sandbox the last worker to start reported (SANDBOX_UNKNOWN before
 * any has started).  Thread-safe. */
enum sandbox_mode wpool_sandbox(struct wpool *p);

/* Take cfg's plugin_dir, deadline_ms, mem_mb and log_level (copied; the
 * other members cannot change): calls from now on use them, and each
 * worker started before is replaced before its next file, so the new
 * workers load the plugin folder as it is now.  Thread-safe. */
void wpool_reload(struct wpool *p, const struct wpool_config *cfg);

/* Make every call in progress return soon with -ECANCELED (its worker is
 * killed), and every later call at once. */
void wpool_cancel(struct wpool *p);

/* Stop the workers (they see end of file and exit; stragglers are
 * killed) and free.  No call may be in progress.  NULL is fine. */
void wpool_free(struct wpool *p);

/* `searchd --worker`: serve requests on WORKER_FD until end of file.
 * Returns the process exit status. */
int worker_main(const char *plugin_dir, unsigned mem_mb);

#endif /* SEARCHD_WORKER_H */
