/*
 * xap_impl.h - what the files of the Xapian shim share: the index layout,
 * the handle, and the exception guard.  C++ only, never included by C;
 * the C API is xap.h.
 *
 * Index layout (bump XAP_LAYOUT and reindex when any of this changes):
 *
 *   terms    Q<path>[\0<member>]  unique id of a document (path and member
 *                                 kept apart so a file named "a#b" never
 *                                 collides with member "b" of file "a")
 *            P<path>              every document extracted from path
 *            S...                 title words       (query prefix title:)
 *            A...                 author words      (author:)
 *            XO...                outlet words      (outlet:)
 *            XP...                dateline place    (place:)
 *            K...                 keywords          (keyword:)
 *            XF<outlet>           whole outlet name, lower case (filter)
 *            L<lang>              language, lower case  (lang:)
 *            XH<32 hex digits>    content hash (the first 16 bytes of
 *                                 slot 4), to list a hit's exact copies
 *            unprefixed           title (x5), summary (x2), captions,
 *                                 body, authors, outlet, place
 *            Terms longer than Xapian allows are cut and suffixed with a
 *            hash of the whole value (term_for).
 *   values   0  date as given (ISO 8601 sorts as text)
 *            1  outlet
 *            2  XAP_LAYOUT
 *            3  year: the first 4 digits of the date (facets)
 *            4  copy key: the content hash, XXH3-128 of the normalised
 *               words of title, summary and body, 16 bytes
 *               (fingerprint.h), then, when the text is long enough to
 *               have one, their simhash, 8 bytes big-endian.  The
 *               collapse key for exact copies (equal words give equal
 *               simhashes, so the simhash does not split them), and
 *               there for free in the MSet when near copies are folded.
 *               Absent for a text without words.
 *   data     one JSON object (the display fields: title, outlet, authors,
 *            date, place, path, path_b64 when the path is not UTF-8,
 *            member, plugin, plugin_version, url, lang), then "\n", then
 *            the text snippets are cut from (summary and body).
 */
#ifndef SEARCHD_XAP_IMPL_H
#define SEARCHD_XAP_IMPL_H

#include <cstddef>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include <xapian.h>

#include "xap.h"

namespace xapi {

const unsigned XAP_LAYOUT = 4;
const Xapian::valueno SLOT_DATE = 0;
const Xapian::valueno SLOT_OUTLET = 1;
const Xapian::valueno SLOT_LAYOUT = 2;
const Xapian::valueno SLOT_YEAR = 3;
const Xapian::valueno SLOT_COPIES = 4;
const size_t COPY_HASH_LEN = 16;      /* bytes of slot 4 that are the hash */
const size_t MAX_TERM = 240;          /* glass allows 245 bytes */
const size_t DEFAULT_SNIPPET = 200;
const char *const STEM_LANG = "english";

const struct {
    const char *field;
    const char *prefix;
} PREFIXES[] = {
    {"title", "S"},
    {"author", "A"},
    {"outlet", "XO"},
    {"place", "XP"},
    {"keyword", "K"},
};

/* The boolean term of a content hash (the 16 bytes of slot 4). */
std::string hash_term(const std::string &hash);

/* A term generator set up the way every document is indexed (xap.cc). */
Xapian::TermGenerator make_termgen();

/* The boolean terms of a whole outlet name and of a language, as indexed
 * (xap.cc): lower case, cut like every long term. */
std::string outlet_term(const std::string &outlet);
std::string lang_term(const std::string &lang);
/* The unique term of document path[#member] (member may be NULL), and the
 * term every document extracted from path has. */
std::string doc_term(const char *path, const char *member);
std::string path_term(const char *path);

}  // namespace xapi

struct xap_db {
    Xapian::Database *rdb;            /* owned; == wdb when writable */
    Xapian::WritableDatabase *wdb;    /* owned; NULL when read-only */
    Xapian::TermGenerator tg;         /* writer: reused per document */
    bool has_spelling;                /* writer: tg adds spelling data */
    bool in_txn;                      /* writer: changes since the last
                                       * commit are in a transaction, so
                                       * xap_discard can drop them */
    std::string path;                 /* writer: the folder, to reopen */
    std::string error;
    long error_pos;                   /* query character, -1 = unknown */

    xap_db()
        : rdb(nullptr), wdb(nullptr), tg(xapi::make_termgen()),
          has_spelling(false), in_txn(false), error_pos(-1)
    {
    }
    ~xap_db()
    {
        if (wdb != nullptr)
            delete wdb;
        else
            delete rdb;
    }
};

namespace xapi {

/* Most words a wildcard may expand to before the query is refused. */
const Xapian::termcount MAX_WILDCARD = 10000;

/* Query language (xap_query.cc).  setup_parser adds date:, lang: and the
 * wildcard limit to qp.  check_query runs the qsyntax checks on text and
 * check_parsed catches a query QueryParser reparsed as plain words: both
 * return XAP_OK or XAP_EQUERY with db->error (and db->error_pos) set.
 * add_filters adds q's since/until/outlet to query (throws
 * QueryParserError on a bad date). */
void setup_parser(Xapian::QueryParser &qp);
xap_status check_query(xap_db *db, const char *text);
xap_status check_parsed(xap_db *db, Xapian::QueryParser &qp,
                        const char *text, const Xapian::Query &parsed);
/* qp.parse_query(text, flags), then check_parsed; a syntax error it
 * throws gets the position of its operator when one can be found
 * (db->error_pos).  With FLAG_SPELLING_CORRECTION in flags, *corrected
 * (may be NULL) gets qp's corrected query string ("" when no word needed
 * correcting).  Throws QueryParserError. */
Xapian::Query parse_checked(xap_db *db, Xapian::QueryParser &qp,
                            const char *text, unsigned flags,
                            std::string *corrected = nullptr);
Xapian::Query add_filters(const Xapian::Query &query,
                          const struct xap_query *q);
/* One copy of a hit (xap_copies.cc). */
struct copy_info {
    std::string outlet;     /* slot 1, "" when none */
    std::string data;       /* display JSON, or "{}" when not asked for */
    bool is_exact;
};

/* One hit of a folded page: it points into folded_page::mset, or into
 * ::deep when is_deep. */
struct page_hit {
    Xapian::MSetIterator it;
    bool is_deep = false;
    uint64_t copies = 0;    /* other documents folded into it */
    std::vector<copy_info> copy_list;   /* at most XAP_MAX_COPIES */
};

struct folded_page {
    Xapian::MSet mset;      /* the window: its estimates are the totals */
    Xapian::MSet deep;      /* hits past the window, when the page is */
    std::vector<page_hit> hits;
    uint64_t near_folded = 0;   /* window matches folded as near copies */
    size_t groups = 0;          /* window hits left after folding */
    bool exhausted = false;     /* the window holds every match */
};

/*
 * Run enq (query set; borrowed) for hits offset..offset+limit of the
 * list with exact copies collapsed (this sets enq's collapse key) and
 * near copies folded; query (the same, borrowed) finds each hit's exact
 * copies in db.  want_data: keep each copy's display JSON.  Throws
 * Xapian errors.
 */
folded_page fold_page(Xapian::Enquire &enq, const Xapian::Database &db,
                      const Xapian::Query &query, Xapian::doccount offset,
                      Xapian::doccount limit,
                      Xapian::doccount check_at_least, bool want_data);

/* Whether errstr (Xapian's get_error_string(): strerror of the errno of
 * a failed system call, or NULL) says the disk or a limit is full:
 * ENOSPC, EDQUOT, or EFBIG (RLIMIT_FSIZE, or the file system's largest
 * file). */
bool error_is_no_space(const char *errstr);

/*
 * Run f, turning every exception into a status and db->error.  The error
 * text is cleared first so xap_last_error reports only the last call.
 */
template <typename F>
xap_status
guarded(xap_db *db, F f)
{
    try {
        db->error.clear();
        db->error_pos = -1;
        return f();
    } catch (const Xapian::DatabaseLockError &e) {
        db->error = e.get_description();
        return XAP_ELOCKED;
    } catch (const Xapian::DatabaseModifiedError &e) {
        db->error = e.get_description();
        return XAP_EMODIFIED;
    } catch (const Xapian::DatabaseNotFoundError &e) {
        db->error = e.get_description();
        return XAP_ENOTFOUND;
    } catch (const Xapian::DatabaseCorruptError &e) {
        db->error = e.get_description();
        return XAP_ECORRUPT;
    } catch (const Xapian::DatabaseVersionError &e) {
        db->error = e.get_description();
        return XAP_ECORRUPT;
    } catch (const Xapian::DatabaseError &e) {
        /* A write the system refused: Xapian keeps the errno's text. */
        db->error = e.get_description();
        return error_is_no_space(e.get_error_string()) ? XAP_ENOSPC
               : e.get_error_string() != nullptr       ? XAP_EIO
                                                       : XAP_EINTERNAL;
    } catch (const Xapian::QueryParserError &e) {
        db->error = e.get_msg();
        return XAP_EQUERY;
    } catch (const Xapian::WildcardError &e) {
        db->error = "a wildcard matches too many words (over " +
                    std::to_string(MAX_WILDCARD) + "): make it longer";
        return XAP_EQUERY;
    } catch (const Xapian::Error &e) {
        db->error = e.get_description();
        return XAP_EINTERNAL;
    } catch (const std::bad_alloc &) {
        try {
            db->error = "out of memory";
        } catch (...) {
        }
        return XAP_ENOMEM;
    } catch (const std::exception &e) {
        try {
            db->error = e.what();
        } catch (...) {
        }
        return XAP_EINTERNAL;
    } catch (...) {
        try {
            db->error = "unknown C++ exception";
        } catch (...) {
        }
        return XAP_EINTERNAL;
    }
}

}  // namespace xapi

#endif /* SEARCHD_XAP_IMPL_H */
