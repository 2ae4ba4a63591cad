/*
 * xap.cc - the Xapian shim (API in xap.h): opening indexes, writing
 * documents, metadata and commits.  Searching is in xap_search.cc; the
 * index layout and what both share are in xap_impl.h.
 *
 * Every entry point catches everything: C callers get an xap_status and
 * the text on the handle, never an exception.  Nothing here logs.
 */
#include "config.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <jansson.h>
#include <xapian.h>

#include "xap.h"

#include "fingerprint.h"
extern "C" {
#include "util.h"
}
#include "xap_impl.h"

using namespace xapi;

Xapian::TermGenerator
xapi::make_termgen()
{
    Xapian::TermGenerator tg;
    tg.set_stemmer(Xapian::Stem(STEM_LANG));
    tg.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    tg.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
    return tg;
}

std::string
xapi::hash_term(const std::string &hash)
{
    static const char hex[] = "0123456789abcdef";
    std::string t("XH");
    for (unsigned char c : hash) {
        t.push_back(hex[c >> 4]);
        t.push_back(hex[c & 15]);
    }
    return t;
}

namespace {

std::string term_for(const char *prefix, const std::string &value);
std::string id_term(const char *path, const char *member);

}  // namespace

std::string
xapi::doc_term(const char *path, const char *member)
{
    return id_term(path, member);
}

std::string
xapi::path_term(const char *path)
{
    return term_for("P", path);
}

std::string
xapi::outlet_term(const std::string &outlet)
{
    return term_for("XF", Xapian::Unicode::tolower(outlet));
}

std::string
xapi::lang_term(const std::string &lang)
{
    return term_for("L", Xapian::Unicode::tolower(lang));
}

namespace {

/* FNV-1a, 64 bits: only to keep over-long terms unique. */
uint64_t
fnv1a(const std::string &s)
{
    uint64_t h = 14695981039346656037ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

/* prefix + value, cut to fit a term with a hash of the whole value. */
std::string
term_for(const char *prefix, const std::string &value)
{
    std::string t(prefix);
    if (t.size() + value.size() <= MAX_TERM)
        return t + value;
    char tail[40];
    snprintf(tail, sizeof tail, "\x01%016llx%08zx",
             (unsigned long long)fnv1a(value), value.size() & 0xffffffffu);
    t.append(value, 0, MAX_TERM - t.size() - strlen(tail));
    return t + tail;
}

std::string
id_term(const char *path, const char *member)
{
    std::string v(path);
    if (member != nullptr) {
        v.push_back('\0');
        v.append(member);
    }
    return term_for("Q", v);
}

/* A jansson string from possibly invalid UTF-8 (never fails to encode). */
json_t *
jstr(const char *s)
{
    if (s == nullptr)
        return json_null();
    size_t len = strlen(s);
    if (utf8_valid(s, len))
        return json_stringn(s, len);
    char *fixed = utf8_replace_invalid(s, len, &len);
    json_t *j = json_stringn(fixed, len);
    free(fixed);
    return j;
}

/* The display fields as JSON text; throws std::bad_alloc on failure. */
std::string
data_json(const struct doc *d)
{
    json_t *o = json_object();
    json_t *authors = json_array();
    if (o == nullptr || authors == nullptr) {
        json_decref(o);
        json_decref(authors);
        throw std::bad_alloc();
    }
    for (size_t i = 0; i < d->authors.n; i++)
        json_array_append_new(authors, jstr(d->authors.v[i]));
    json_object_set_new(o, "title", jstr(d->title));
    json_object_set_new(o, "outlet", jstr(d->outlet));
    json_object_set_new(o, "authors", authors);
    json_object_set_new(o, "date", jstr(d->date));
    json_object_set_new(o, "place", jstr(d->place));
    json_object_set_new(o, "path", jstr(d->path));
    size_t plen = strlen(d->path);
    if (!utf8_valid(d->path, plen)) {
        char *b64 = base64_encode(d->path, plen);
        json_object_set_new(o, "path_b64", json_string(b64));
        free(b64);
    }
    if (d->member != nullptr)
        json_object_set_new(o, "member", jstr(d->member));
    json_object_set_new(o, "plugin", jstr(d->plugin));
    json_object_set_new(o, "plugin_version", jstr(d->plugin_version));
    if (d->url != nullptr)
        json_object_set_new(o, "url", jstr(d->url));
    if (d->lang != nullptr)
        json_object_set_new(o, "lang", jstr(d->lang));
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (text == nullptr)
        throw std::bad_alloc();
    std::string s(text);
    free(text);
    return s;
}

/* Summary bullets and body paragraphs: the text snippets come from. */
std::string
snippet_source(const struct doc *d)
{
    std::string s;
    for (size_t i = 0; i < d->summary.n; i++) {
        s += d->summary.v[i];
        s += "\n\n";
    }
    for (size_t i = 0; i < d->body.n; i++) {
        if (i > 0)
            s += "\n\n";
        s += d->body.v[i];
    }
    return s;
}

/* Whether a date starts with a 4-digit year. */
bool
is_year(const char *date)
{
    for (int i = 0; i < 4; i++)
        if (date[i] < '0' || date[i] > '9')
            return false;
    return true;
}

void
index_field(Xapian::TermGenerator &tg, const char *text, unsigned weight,
            const char *prefix)
{
    if (text == nullptr || text[0] == '\0')
        return;
    if (prefix != nullptr)
        tg.index_text(text, 1, prefix);
    tg.index_text(text, weight);
    tg.increase_termpos();
}

/* Spelling data on or off for what tg indexes next (only a writer's tg,
 * which has a database, may turn it on). */
void
set_spelling(Xapian::TermGenerator &tg, bool on)
{
    tg.set_flags(on ? Xapian::TermGenerator::FLAG_SPELLING
                    : Xapian::TermGenerator::flags(0),
                 ~Xapian::TermGenerator::FLAG_SPELLING);
}

/* The copy fingerprints (fingerprint.h): slot 4 (the hash, then the
 * simhash when there is one), and the hash as a term so a hit's exact
 * copies can be listed. */
void
add_fingerprints(Xapian::Document &xd, const struct doc *d)
{
    struct fingerprint fp;

    fingerprint_doc(d, &fp);
    if (!fp.has_hash)
        return;
    std::string h(reinterpret_cast<const char *>(fp.hash), sizeof fp.hash);
    xd.add_boolean_term(hash_term(h));
    if (fp.has_simhash)
        for (int i = 0; i < 8; i++)
            h.push_back(static_cast<char>(fp.simhash >> (56 - 8 * i)));
    xd.add_value(SLOT_COPIES, h);
}

/* tg: from make_termgen, reused across documents (building the stemmer
 * each time costs more than indexing a short article).  spelling: add
 * the words of the title, authors, place and summary to the spelling
 * data.  Not the body: doing so halved the indexing rate (978 -> 536
 * docs/s on 20 Newsgroups), and headlines and summaries carry the names
 * and topics people search for. */
Xapian::Document
build_document(Xapian::TermGenerator &tg, const struct doc *d,
               bool spelling)
{
    Xapian::Document xd;
    tg.set_document(xd);
    tg.set_termpos(0);

    set_spelling(tg, spelling);
    index_field(tg, d->title, 5, "S");
    for (size_t i = 0; i < d->authors.n; i++)
        index_field(tg, d->authors.v[i], 1, "A");
    index_field(tg, d->outlet, 1, "XO");
    index_field(tg, d->place, 1, "XP");
    for (size_t i = 0; i < d->keywords.n; i++)
        index_field(tg, d->keywords.v[i], 1, "K");
    for (size_t i = 0; i < d->summary.n; i++)
        index_field(tg, d->summary.v[i], 2, nullptr);
    set_spelling(tg, false);
    for (size_t i = 0; i < d->captions.n; i++)
        index_field(tg, d->captions.v[i], 1, nullptr);
    for (size_t i = 0; i < d->body.n; i++)
        index_field(tg, d->body.v[i], 1, nullptr);

    xd.add_boolean_term(id_term(d->path, d->member));
    xd.add_boolean_term(term_for("P", d->path));
    if (d->date != nullptr) {
        xd.add_value(SLOT_DATE, d->date);
        if (is_year(d->date))
            xd.add_value(SLOT_YEAR, std::string(d->date, 4));
    }
    if (d->outlet != nullptr && d->outlet[0] != '\0') {
        xd.add_value(SLOT_OUTLET, d->outlet);
        xd.add_boolean_term(outlet_term(d->outlet));
    }
    if (d->lang != nullptr && d->lang[0] != '\0')
        xd.add_boolean_term(lang_term(d->lang));
    xd.add_value(SLOT_LAYOUT, Xapian::sortable_serialise(XAP_LAYOUT));
    add_fingerprints(xd, d);
    xd.set_data(data_json(d) + "\n" + snippet_source(d));
    return xd;
}

/* Open (create) the writable database in dir on db, in a transaction:
 * every change until the next commit can then be dropped (xap_discard).
 * Throws Xapian errors. */
void
open_writer(xap_db *db, const std::string &dir)
{
    db->wdb = new Xapian::WritableDatabase(
        dir, Xapian::DB_CREATE_OR_OPEN | Xapian::DB_BACKEND_GLASS);
    db->rdb = db->wdb;
    db->path = dir;
    /* Spelling data for "did you mean" (xap_search); readers see every
     * shard's as one.  build_document turns it on for the short fields
     * only. */
    db->tg.set_database(*db->wdb);
    db->has_spelling = true;
    db->wdb->begin_transaction(true);
    db->in_txn = true;
}

/* Before a change: a failed commit ends the transaction, so start one
 * again. */
void
ensure_txn(xap_db *db)
{
    if (!db->in_txn) {
        db->wdb->begin_transaction(true);
        db->in_txn = true;
    }
}

/* Drop every change since the last commit, with no transaction open.
 * begin_transaction(true) would commit what is pending first (a failed
 * commit can leave changes buffered); an unflushed transaction commits
 * nothing, and cancelling it discards what was pending before it too. */
void
drop_pending(xap_db *db)
{
    db->wdb->begin_transaction(false);
    db->wdb->cancel_transaction();
}

}  // namespace

bool
xapi::error_is_no_space(const char *errstr)
{
    return errstr != nullptr && (strcmp(errstr, strerror(ENOSPC)) == 0 ||
                                 strcmp(errstr, strerror(EFBIG)) == 0 ||
                                 strcmp(errstr, strerror(EDQUOT)) == 0);
}

extern "C" {

const char *
xap_status_str(xap_status st)
{
    switch (st) {
    case XAP_OK:        return "ok";
    case XAP_ENOMEM:    return "out of memory";
    case XAP_EINVAL:    return "invalid argument";
    case XAP_ENOTFOUND: return "not found";
    case XAP_ELOCKED:   return "locked";
    case XAP_EMODIFIED: return "modified";
    case XAP_EQUERY:    return "bad query";
    case XAP_ECORRUPT:  return "corrupt";
    case XAP_ENOSPC:    return "disk full";
    case XAP_EIO:       return "I/O error";
    case XAP_EREADONLY: return "read-only";
    case XAP_EINTERNAL: return "internal error";
    }
    return "unknown status";
}

unsigned
xap_layout(void)
{
    return XAP_LAYOUT;
}

xap_status
xap_open(const char *dir, unsigned flags, xap_db **db_out)
{
    xap_db *db = new (std::nothrow) xap_db();
    if (db_out == nullptr) {
        delete db;
        return XAP_EINVAL;
    }
    *db_out = db;
    if (db == nullptr)
        return XAP_ENOMEM;
    if (dir == nullptr || dir[0] == '\0' || (flags & ~XAP_WRITE) != 0) {
        db->error = "xap_open: no index folder given, or unknown flags";
        return XAP_EINVAL;
    }
    if ((flags & XAP_WRITE) && access(dir, W_OK) < 0 &&
        (errno == EACCES || errno == EROFS || errno == EPERM)) {
        /* Xapian would say "cannot get the write lock", which reads as
         * "another process has it". */
        db->error = std::string(dir) + ": " + strerror(errno);
        return XAP_EREADONLY;
    }
    return guarded(db, [&]() {
        if (flags & XAP_WRITE) {
            try {
                open_writer(db, dir);
            } catch (const Xapian::DatabaseLockError &e) {
                /* The lock file could not even be made: not "in use". */
                if (e.get_msg().find("Couldn't open lockfile") ==
                    std::string::npos)
                    throw;
                db->error = e.get_description();
                return XAP_EREADONLY;
            }
        } else {
            db->rdb = new Xapian::Database(dir);
        }
        return XAP_OK;
    });
}

xap_status
xap_open_shards(const char *const *dirs, size_t n, xap_db **db_out)
{
    xap_db *db = new (std::nothrow) xap_db();
    if (db_out == nullptr) {
        delete db;
        return XAP_EINVAL;
    }
    *db_out = db;
    if (db == nullptr)
        return XAP_ENOMEM;
    if (dirs == nullptr || n == 0) {
        db->error = "xap_open_shards: no index folder given";
        return XAP_EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        if (dirs[i] == nullptr || dirs[i][0] == '\0') {
            db->error = "xap_open_shards: an index folder is empty";
            return XAP_EINVAL;
        }
    }
    return guarded(db, [&]() {
        db->rdb = new Xapian::Database(dirs[0]);
        for (size_t i = 1; i < n; i++)
            db->rdb->add_database(Xapian::Database(dirs[i]));
        return XAP_OK;
    });
}

void
xap_close(xap_db *db)
{
    if (db == nullptr)
        return;
    /* Closing a WritableDatabase commits; a failure here has nobody left
     * to report to, and the last commit stays intact on disk. */
    try {
        if (db->wdb != nullptr) {
            /* Close would cancel the open transaction: commit it. */
            if (db->in_txn) {
                db->in_txn = false;
                db->wdb->commit_transaction();
            }
            db->wdb->close();
        }
    } catch (...) {
    }
    try {
        delete db;
    } catch (...) {
    }
}

const char *
xap_last_error(const xap_db *db)
{
    return db == nullptr ? "out of memory" : db->error.c_str();
}

xap_status
xap_reopen(xap_db *db)
{
    if (db == nullptr || db->rdb == nullptr)
        return XAP_EINVAL;
    return guarded(db, [&]() {
        db->rdb->reopen();
        return XAP_OK;
    });
}

xap_status
xap_doc_count(xap_db *db, uint64_t *count_out)
{
    if (db == nullptr || db->rdb == nullptr || count_out == nullptr)
        return XAP_EINVAL;
    return guarded(db, [&]() {
        *count_out = db->rdb->get_doccount();
        return XAP_OK;
    });
}

/* Can db take doc?  XAP_OK, or XAP_EINVAL with the error set. */
static xap_status
check_doc(xap_db *db, const struct doc *doc, const char *fn)
{
    if (db == nullptr)
        return XAP_EINVAL;
    if (db->wdb == nullptr || doc == nullptr || doc->key == nullptr ||
        doc->path == nullptr || doc->path[0] == '\0') {
        db->error = std::string(fn) +
                    (db->wdb == nullptr ? ": the index is open read-only"
                                        : ": document has no key or path");
        return XAP_EINVAL;
    }
    return XAP_OK;
}

xap_status
xap_replace(xap_db *db, const struct doc *doc)
{
    xap_status st = check_doc(db, doc, "xap_replace");

    if (st != XAP_OK)
        return st;
    return guarded(db, [&]() {
        Xapian::Document xd = build_document(db->tg, doc, db->has_spelling);
        ensure_txn(db);
        db->wdb->replace_document(id_term(doc->path, doc->member), xd);
        return XAP_OK;
    });
}

xap_status
xap_add(xap_db *db, const struct doc *doc)
{
    xap_status st = check_doc(db, doc, "xap_add");

    if (st != XAP_OK)
        return st;
    return guarded(db, [&]() {
        Xapian::Document xd = build_document(db->tg, doc, db->has_spelling);
        ensure_txn(db);
        db->wdb->add_document(xd);
        return XAP_OK;
    });
}

xap_status
xap_delete_path(xap_db *db, const char *path, uint64_t *deleted_out)
{
    if (deleted_out != nullptr)
        *deleted_out = 0;
    if (db == nullptr)
        return XAP_EINVAL;
    if (db->wdb == nullptr || path == nullptr || path[0] == '\0') {
        db->error = db->wdb == nullptr
                        ? "xap_delete_path: the index is open read-only"
                        : "xap_delete_path: no path given";
        return XAP_EINVAL;
    }
    return guarded(db, [&]() {
        std::string t = term_for("P", path);
        Xapian::doccount n = db->wdb->get_termfreq(t);
        ensure_txn(db);
        if (n > 0)
            db->wdb->delete_document(t);
        if (deleted_out != nullptr)
            *deleted_out = n;
        return XAP_OK;
    });
}

namespace {

bool
meta_key_ok(xap_db *db, const char *key, size_t klen, const char *fn)
{
    if (key != nullptr && klen > 0 && klen <= XAP_MAX_META_KEY)
        return true;
    db->error = std::string(fn) + ": metadata key empty or over " +
                std::to_string(XAP_MAX_META_KEY) + " bytes";
    return false;
}

}  // namespace

xap_status
xap_meta_get(xap_db *db, const char *key, size_t klen, char **val_out,
             size_t *len_out)
{
    if (val_out != nullptr)
        *val_out = nullptr;
    if (len_out != nullptr)
        *len_out = 0;
    if (db == nullptr || db->rdb == nullptr || val_out == nullptr)
        return XAP_EINVAL;
    if (!meta_key_ok(db, key, klen, "xap_meta_get"))
        return XAP_EINVAL;
    return guarded(db, [&]() {
        std::string v = db->rdb->get_metadata(std::string(key, klen));
        if (v.empty())
            return XAP_ENOTFOUND;
        char *copy = static_cast<char *>(malloc(v.size() + 1));
        if (copy == nullptr)
            return XAP_ENOMEM;
        memcpy(copy, v.data(), v.size());
        copy[v.size()] = '\0';
        *val_out = copy;
        if (len_out != nullptr)
            *len_out = v.size();
        return XAP_OK;
    });
}

xap_status
xap_meta_set(xap_db *db, const char *key, size_t klen, const char *val,
             size_t vlen)
{
    if (db == nullptr)
        return XAP_EINVAL;
    if (db->wdb == nullptr) {
        db->error = "xap_meta_set: the index is open read-only";
        return XAP_EINVAL;
    }
    if (!meta_key_ok(db, key, klen, "xap_meta_set"))
        return XAP_EINVAL;
    if (val == nullptr && vlen > 0) {
        db->error = "xap_meta_set: no value given";
        return XAP_EINVAL;
    }
    return guarded(db, [&]() {
        ensure_txn(db);
        db->wdb->set_metadata(std::string(key, klen),
                              vlen > 0 ? std::string(val, vlen)
                                       : std::string());
        return XAP_OK;
    });
}

xap_status
xap_meta_each(xap_db *db, const char *prefix, size_t plen, xap_meta_fn fn,
              void *arg)
{
    if (db == nullptr || db->rdb == nullptr || fn == nullptr ||
        (prefix == nullptr && plen > 0))
        return XAP_EINVAL;
    return guarded(db, [&]() {
        std::string p = plen > 0 ? std::string(prefix, plen) : std::string();
        for (Xapian::TermIterator it = db->rdb->metadata_keys_begin(p);
             it != db->rdb->metadata_keys_end(p); ++it) {
            const std::string k = *it;
            const std::string v = db->rdb->get_metadata(k);
            if (fn(k.data(), k.size(), v.data(), v.size(), arg) != 0)
                break;
        }
        return XAP_OK;
    });
}

xap_status
xap_commit(xap_db *db)
{
    if (db == nullptr)
        return XAP_EINVAL;
    if (db->wdb == nullptr) {
        db->error = "xap_commit: the index is open read-only";
        return XAP_EINVAL;
    }
    return guarded(db, [&]() {
        ensure_txn(db);
        /* Ends the transaction even when it throws (the changes are
         * then dropped); the next change starts one again. */
        db->in_txn = false;
        try {
            db->wdb->commit_transaction();
        } catch (...) {
            /* Nothing of the batch may reach the disk later. */
            try {
                drop_pending(db);
            } catch (...) {
            }
            throw;
        }
        ensure_txn(db);
        return XAP_OK;
    });
}

xap_status
xap_discard(xap_db *db)
{
    if (db == nullptr)
        return XAP_EINVAL;
    if (db->wdb == nullptr && db->path.empty()) {
        db->error = "xap_discard: the index is open read-only";
        return XAP_EINVAL;
    }
    xap_status st = guarded(db, [&]() {
        if (db->wdb != nullptr && db->in_txn) {
            db->in_txn = false;
            db->wdb->cancel_transaction();
        } else if (db->wdb != nullptr) {
            drop_pending(db);
        }
        if (db->wdb != nullptr)
            ensure_txn(db);
        return XAP_OK;
    });
    if (st == XAP_OK && db->wdb != nullptr)
        return XAP_OK;
    /* Cannot cancel: close without committing (deleting the handle with
     * a transaction open cancels it), then open again. */
    return guarded(db, [&]() {
        Xapian::WritableDatabase *old = db->wdb;
        db->wdb = nullptr;
        db->rdb = nullptr;
        db->in_txn = false;
        db->has_spelling = false;
        db->tg = make_termgen();
        if (old != nullptr) {
            /* Make sure a transaction is open (this throws when one
             * already is), so the destructor cancels, never commits;
             * unflushed, so opening it commits nothing either. */
            try {
                old->begin_transaction(false);
            } catch (...) {
            }
            delete old;
        }
        open_writer(db, db->path);
        return XAP_OK;
    });
}

#if defined(__SANITIZE_ADDRESS__)
/* libxapian 1.4's Database::check deletes a table object through a
 * pointer to a type of another size (a bug of Xapian's, not ours), which
 * AddressSanitizer's sized-delete check stops on in every sanitizer build
 * that runs `searchd --check`.  That one kind of check is turned off;
 * every other one stays.  The environment's ASAN_OPTIONS still win. */
extern "C" __attribute__((visibility("default"), used)) const char *
__asan_default_options(void);
extern "C" __attribute__((visibility("default"), used)) const char *
__asan_default_options(void)
{
    return "new_delete_type_mismatch=0";
}
#endif

xap_status
xap_check_db(const char *dir, uint64_t *errors_out, char **report_out)
{
    xap_db tmp;
    std::ostringstream out;
    xap_status st;

    *errors_out = 0;
    if (report_out != nullptr)
        *report_out = nullptr;
    st = guarded(&tmp, [&]() {
        *errors_out = Xapian::Database::check(dir, 0, &out);
        return XAP_OK;
    });
    if (report_out != nullptr) {
        std::string text = st == XAP_OK ? out.str() : tmp.error;
        *report_out = strdup(text.c_str());
    }
    return st;
}

char *
xap_path_term(const char *path, size_t *len_out)
{
    try {
        std::string t = term_for("P", path);
        char *s = static_cast<char *>(malloc(t.size() + 1));
        if (s == nullptr)
            return nullptr;
        memcpy(s, t.data(), t.size());
        s[t.size()] = '\0';
        *len_out = t.size();
        return s;
    } catch (...) {
        return nullptr;
    }
}

xap_status
xap_terms_each(xap_db *db, const char *prefix, size_t plen, xap_term_fn fn,
               void *arg)
{
    if (db == nullptr || db->rdb == nullptr || fn == nullptr)
        return XAP_EINVAL;
    return guarded(db, [&]() {
        std::string p(prefix, plen);
        for (Xapian::TermIterator t = db->rdb->allterms_begin(p);
             t != db->rdb->allterms_end(p); ++t) {
            std::string term = *t;
            if (fn(term.data(), term.size(), t.get_termfreq(), arg) != 0)
                break;
        }
        return XAP_OK;
    });
}

}  /* extern "C" */
