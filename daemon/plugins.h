/*
 * plugins.h - the plugin registry: scan a folder, dlopen every regular
 * "*.so", check each descriptor against the ABI, keep the good ones, and
 * pick the best plugin for a file by probing its first bytes.
 *
 * The registry owns the dlopen handles and the descriptors they point to;
 * a struct plugin_entry * is borrowed until plugins_free().  After
 * plugins_load_dir the registry is read-only, so several threads may call
 * plugins_pick at once.
 */
#ifndef SEARCHD_PLUGINS_H
#define SEARCHD_PLUGINS_H

#include <stddef.h>

#include <searchd/plugin.h>

/* How many bytes of a file probe() sees at most. */
#define PLUGINS_PROBE_BYTES 4096

struct plugin_entry {
    /* The registry's copy of the plugin's descriptor: members past the
     * size the plugin declared read as NULL.  The strings and functions
     * it points to live in the loaded object (until plugins_free). */
    const struct sd_plugin *desc;
    char *file;                   /* owned: path of the .so */
    void *handle;                 /* owned: dlopen handle */
    /* The function extract_file calls: desc->extract. */
    int (*extract)(const char *, int, const struct sd_sink *);
};

struct plugins;

/* A new, empty registry owned by the caller (plugins_free). */
struct plugins *plugins_new(void);
void plugins_free(struct plugins *p);   /* calls fini, dlcloses; NULL ok */

/*
 * Load every regular "*.so" in dir (symlinks and other files are ignored),
 * in name order, so loading is deterministic.  Like sshd's StrictModes,
 * the folder and each file must be owned by root or the effective user
 * and writable by nobody else (group-writable is allowed only for the
 * owner's private group); an unsafe file is refused with one log line,
 * an unsafe folder loads nothing (one log line, returns 0).  A plugin that is refused
 * (dlopen fails, no sd_plugin_entry, wrong ABI, short struct, missing
 * name/probe/extract, bad or duplicate name, init() failing) costs one
 * log line naming the file and what is wrong; the others still load.
 * Returns the number of plugins now loaded, or -errno when dir cannot be
 * read at all.
 */
int plugins_load_dir(struct plugins *p, const char *dir);

/*
 * Load the one plugin at path (which must contain a '/'), with the checks
 * and log lines plugins_load_dir makes for each file (a regular file, not
 * a symlink, trusted as above; a valid plugin); its folder is not checked.
 * For tools that run a chosen plugin (the fuzzing harness,
 * doc/fuzzing.md).  Returns 0, or -EINVAL when it was refused.
 */
int plugins_load_file(struct plugins *p, const char *path);

size_t plugins_count(const struct plugins *p);
/* i < plugins_count; borrowed until plugins_free; sorted by name. */
const struct plugin_entry *plugins_get(const struct plugins *p, size_t i);
const struct plugin_entry *plugins_find(const struct plugins *p,
                                        const char *name);

/*
 * The plugin with the highest probe score for this file (head: its first
 * len bytes), ties going to the name that sorts first.  Plugins scoring 0
 * are never picked.  Returns NULL if none wants the file; *score_out (may
 * be NULL) gets the winning score.
 */
const struct plugin_entry *plugins_pick(const struct plugins *p,
                                        const char *path,
                                        const unsigned char *head, size_t len,
                                        int *score_out);

#endif /* SEARCHD_PLUGINS_H */
