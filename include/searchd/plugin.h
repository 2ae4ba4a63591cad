/*
 * searchd/plugin.h - the extractor plugin ABI of searchd.
 *
 * An extractor plugin is a shared object that turns one file (an article
 * dump, a web page, a multi-article container) into one or more documents.
 * searchd scans its plugin directory, dlopen()s every regular "*.so" file
 * and calls the one exported symbol, sd_plugin_entry(), which returns a
 * pointer to a constant descriptor (struct sd_plugin).
 *
 * For every file the host calls probe() of each plugin with the first bytes
 * of the file; the highest score (0..100) wins, ties going to the plugin
 * whose name sorts first.  The winner's extract() then reads the file from
 * the descriptor it is given and pushes documents, field by field, into a
 * host-owned sink:
 *
 *     sink->begin(sink->host, NULL);          one document per begin/end
 *     sink->add_text(sink->host, SD_FIELD_TITLE, title, strlen(title));
 *     sink->add_text(sink->host, SD_FIELD_BODY, para, len);   repeatable
 *     sink->end(sink->host);
 *
 * Ownership: everything a plugin passes to the sink is borrowed for the
 * duration of that call; the host copies what it keeps.  Neither side frees
 * the other's memory.  The sink is valid only during extract().
 *
 * Text: plugins may pass the bytes they read as they are.  The host keeps
 * valid UTF-8 sequences, reads every other byte as Latin-1, drops control
 * characters other than tab and newline, and trims white space at both ends
 * of every value.
 *
 * Rules for plugins: include only this header and libc; keep no mutable
 * state shared between calls (extract may run in several threads or
 * processes at once); never call exit() or abort() or install signal
 * handlers; read only from the fd you are given (do not close it).
 *
 * A complete plugin:
 *
 *     #include <errno.h>
 *     #include <string.h>
 *     #include <unistd.h>
 *
 *     #include <searchd/plugin.h>
 *
 *     static int
 *     probe(const char *path, const unsigned char *head, size_t len)
 *     {
 *         (void)path;
 *         return len >= 5 && memcmp(head, "NEWS:", 5) == 0 ? 90 : 0;
 *     }
 *
 *     static int
 *     extract(const char *path, int fd, const struct sd_sink *sink)
 *     {
 *         char buf[4096];
 *         ssize_t n = read(fd, buf, sizeof buf);
 *         int rc;
 *
 *         (void)path;
 *         if (n < 0)
 *             return -errno;
 *         if ((rc = sink->begin(sink->host, NULL)) < 0)
 *             return rc;
 *         rc = sink->add_text(sink->host, SD_FIELD_TITLE, "A title", 7);
 *         if (rc == 0)
 *             rc = sink->add_text(sink->host, SD_FIELD_BODY, buf,
 *                                 (size_t)n);
 *         return rc < 0 ? rc : sink->end(sink->host);
 *     }
 *
 *     static const struct sd_plugin desc = {
 *         .abi = SD_PLUGIN_ABI, .size = sizeof(struct sd_plugin),
 *         .name = "news_example", .version = "1.0",
 *         .probe = probe, .extract = extract,
 *     };
 *     SD_PLUGIN_DEFINE(desc)
 *
 * Build it with: cc $(pkg-config --cflags searchd-plugin) -shared -fPIC
 *                   -o news_example.so news_example.c
 *
 * searchd-plugin(7) is the reference for this header; doc/plugins.md walks
 * through writing a plugin for a new outlet on a fuller example,
 * doc/examples/example-outlet.c.
 */
#ifndef SEARCHD_PLUGIN_H
#define SEARCHD_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The only definition of the ABI number; bumped on any incompatible change. */
#define SD_PLUGIN_ABI 1

/* Field names understood by the host.  Text fields given twice: TITLE,
 * DATE, OUTLET, PLACE, LANG, URL keep the last value; AUTHOR, SUMMARY,
 * CAPTION and KEYWORD collect every value; BODY collects every value as
 * one paragraph each (joined with a blank line). */
#define SD_FIELD_TITLE   "title"    /* headline */
#define SD_FIELD_AUTHOR  "author"   /* one person or desk per call */
#define SD_FIELD_DATE    "date"     /* YYYY-MM-DD[THH:MM[:SS][Z|+HH:MM]] */
#define SD_FIELD_OUTLET  "outlet"   /* publication, e.g. "Geo News" */
#define SD_FIELD_PLACE   "place"    /* dateline place, e.g. "RAWALPINDI" */
#define SD_FIELD_LANG    "lang"     /* ISO 639-1, e.g. "en" */
#define SD_FIELD_URL     "url"      /* canonical URL of the article */
#define SD_FIELD_SUMMARY "summary"  /* one summary bullet per call */
#define SD_FIELD_CAPTION "caption"  /* one image caption per call */
#define SD_FIELD_BODY    "body"     /* one paragraph per call */
#define SD_FIELD_KEYWORD "keyword"  /* one topic/tag per call (add_keyword) */

/* Levels for sink->log, the syslog numbers. */
enum sd_log_level {
    SD_LOG_ERR = 3,
    SD_LOG_WARN = 4,
    SD_LOG_INFO = 6,
    SD_LOG_DEBUG = 7
};

/*
 * The host-owned sink a plugin pushes documents into; valid only during
 * extract().  Every function returns 0, or a negative errno value:
 * -EINVAL for an unknown field or a call out of order (add before begin),
 * -E2BIG when a document or the file went over a host limit (the plugin
 * should stop and return that value), -ENOMEM.
 */
struct sd_sink {
    void *host;
    /* Start a document.  member: NULL for a file that is one document, else
     * a short stable name of the document inside a container (e.g. the
     * NEWID of a Reuters article), unique within the file. */
    int (*begin)(void *host, const char *member);
    /* Add text to a field of the open document; text need not be
     * NUL-terminated. */
    int (*add_text)(void *host, const char *field, const char *text,
                    size_t len);
    /* Add a keyword (exact term, not stemmed) to the open document. */
    int (*add_keyword)(void *host, const char *field, const char *value);
    /* Finish the open document. */
    int (*end)(void *host);
    /* Log one line (no trailing newline) through the host's logger. */
    void (*log)(void *host, int level, const char *msg);
};

struct sd_plugin {
    uint32_t abi;                     /* SD_PLUGIN_ABI */
    uint32_t size;                    /* sizeof(struct sd_plugin) when built */
    const char *name;                 /* unique, 1 to 64 of [a-z0-9_-] */
    const char *version;              /* 1 to 64 printable ASCII characters,
                                       * free form; a change re-extracts */
    const char *const *mime_types;    /* NULL-terminated, may be NULL */
    const char *const *extensions;    /* ".html" style, NULL-terminated, may be NULL */
    int (*init)(void);                /* optional; 0 = ready, else refused */
    void (*fini)(void);               /* optional */
    /* 0..100: how sure the plugin is that it knows this file.  head holds
     * the first len bytes of the file (len may be 0 for an empty file). */
    int (*probe)(const char *path, const unsigned char *head, size_t len);
    /* Extract the file open at fd (positioned at offset 0).  Returns 0, or
     * a negative errno value (-EINVAL: not a file this plugin can read). */
    int (*extract)(const char *path, int fd, const struct sd_sink *sink);
    /* new optional members are appended here and nowhere else */
};

/* The smallest size the host accepts: everything up to extract. */
#define SD_PLUGIN_MIN_SIZE \
    (offsetof(struct sd_plugin, extract) + sizeof(void (*)(void)))

#define SD_PLUGIN_ENTRY_SYMBOL "sd_plugin_entry"

#define SD_PLUGIN_DEFINE(desc)                                               \
    __attribute__((visibility("default"))) const struct sd_plugin *          \
    sd_plugin_entry(void);                                                   \
    const struct sd_plugin *sd_plugin_entry(void) { return &(desc); }

#ifdef __cplusplus
}
#endif

#endif /* SEARCHD_PLUGIN_H */
