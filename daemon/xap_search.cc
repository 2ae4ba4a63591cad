/*
 * xap_search.cc - searching through the Xapian shim (API in xap.h): query
 * parsing, the result page and its snippets.  Every entry point catches
 * everything, as in xap.cc.
 */
#include "config.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <xapian.h>

#include "xap_impl.h"
#include "xap_snippet.h"

using namespace xapi;


namespace {

struct hit {
    double score;
    std::string data;       /* the JSON part of the document data */
    std::string snippet;
    uint64_t copies = 0;
    std::vector<copy_info> copy_list;
};

}  // namespace

struct xap_hits {
    uint64_t total, lower, upper;
    std::string suggestion;     /* "did you mean", or "" */
    bool is_corrected;          /* the hits are the suggestion's */
    bool folded = false;    /* near copies were folded */
    std::vector<hit> hits;
    /* per enum xap_facet: value and document count, in the order shown */
    std::vector<std::pair<std::string, uint64_t>> facets[XAP_FACET__COUNT];
};
namespace {

/*
 * Ranking, as tuned on the CISI and Cranfield judgments (bench/ir-eval,
 * bench/README.md): BM25 with k1 = 1.8 (term frequency saturates later
 * than Xapian's 1.0: a word repeated through an article says more) and
 * b = 0.8 (long documents are normalised a little more than Xapian's
 * 0.5), k2 = 0, k3 = 1, min_normlen = 0.5 as Xapian's defaults.  Both
 * are within the usual range for prose (k1 1.2-2.0, b 0.75), so they
 * suit news articles as well as abstracts.
 */
const double BM25_K1 = 1.8;
const double BM25_B = 0.8;

/*
 * Function words dropped from "match":"any" queries: in a long
 * natural-language question ("what are the problems of ...") they match
 * nearly every document and only dilute the ranking.  Queries that need
 * every word keep them (a stopped word there would widen the match).
 */
const char *const STOP_WORDS[] = {
    "a", "about", "above", "after", "again", "against", "all", "also",
    "am", "an", "and", "any", "are", "as", "at", "be", "because", "been",
    "before", "being", "below", "between", "both", "but", "by", "can",
    "could", "did", "do", "does", "doing", "down", "during", "each", "few",
    "for", "from", "further", "had", "has", "have", "having", "he", "her",
    "here", "hers", "herself", "him", "himself", "his", "how", "i", "if",
    "in", "into", "is", "it", "its", "itself", "just", "may", "me", "might",
    "more", "most", "must", "my", "myself", "no", "nor", "not", "now", "of",
    "off", "on", "once", "only", "or", "other", "our", "ours", "ourselves",
    "out", "over", "own", "same", "she", "should", "so", "some", "such",
    "than", "that", "the", "their", "theirs", "them", "themselves", "then",
    "there", "these", "they", "this", "those", "through", "to", "too",
    "under", "until", "up", "very", "was", "we", "were", "what", "when",
    "where", "which", "while", "who", "whom", "why", "will", "with",
    "would", "you", "your", "yours", "yourself", "yourselves",
};

const Xapian::Stopper &
stop_words()
{
    static const Xapian::SimpleStopper stopper(
        STOP_WORDS, STOP_WORDS + sizeof STOP_WORDS / sizeof STOP_WORDS[0]);
    return stopper;
}

/* Parse text the way every search does.  With corrected (may be NULL),
 * words the index does not know are looked up in its spelling data and
 * *corrected gets the query with them replaced ("" when none was). */
Xapian::Query
parse_query(xap_db *db, const char *text, bool match_any,
            std::string *corrected)
{
    const Xapian::Database &rdb = *db->rdb;
    Xapian::QueryParser qp;
    qp.set_stemmer(Xapian::Stem(STEM_LANG));
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    qp.set_default_op(match_any ? Xapian::Query::OP_OR
                                : Xapian::Query::OP_AND);
    qp.set_database(rdb);
    if (match_any)
        qp.set_stopper(&stop_words());
    for (const auto &p : PREFIXES)
        qp.add_prefix(p.field, p.prefix);
    setup_parser(qp);
    /* FLAG_DEFAULT has FLAG_BOOLEAN without FLAG_BOOLEAN_ANY_CASE: only
     * upper-case AND, OR, NOT, XOR, NEAR, ADJ are operators, so "and" in
     * a sentence stays a word. */
    unsigned flags = Xapian::QueryParser::FLAG_DEFAULT |
                     Xapian::QueryParser::FLAG_WILDCARD |
                     Xapian::QueryParser::FLAG_PURE_NOT |
                     Xapian::QueryParser::FLAG_CJK_NGRAM;
    if (corrected != nullptr)
        flags |= Xapian::QueryParser::FLAG_SPELLING_CORRECTION;
    return parse_checked(db, qp, text, flags, corrected);
}

/* Whether a term of query (parsed) is in no document.  Only then is the
 * query parsed again for a spelling correction: get_spelling_suggestion
 * scans the spelling data for every word, whether it is known or not,
 * which cost more than the rest of a search. */
bool
has_unknown_term(const Xapian::Database &rdb, const Xapian::Query &query)
{
    for (auto t = query.get_unique_terms_begin();
         t != query.get_unique_terms_end(); ++t)
        if (!rdb.term_exists(*t))
            return true;
    return false;
}

/* Terms that can describe a document for "more like this": plain words
 * (no field prefix, not the stemmed Z forms), not function words, not
 * numbers, not single letters. */
class LikeDecider : public Xapian::ExpandDecider {
  public:
    bool operator()(const std::string &t) const override
    {
        if (t.size() < 2 || (t[0] >= 'A' && t[0] <= 'Z'))
            return false;
        if (t.find_first_not_of("0123456789.,") == std::string::npos)
            return false;
        return !stop_words()(t);
    }
};

/* Terms per "more like this" query. */
const Xapian::termcount LIKE_TERMS = 40;

/*
 * The query for documents like path (member: one document of a container
 * file, or NULL: every document of path) into *like, from the terms that
 * best tell it from the rest of the index; *self gets the query matching
 * the document itself.  False when nothing of that name is indexed.
 */
bool
like_query(const Xapian::Database &rdb, const char *path, const char *member,
           Xapian::Query *like, Xapian::Query *self)
{
    std::string id = member != nullptr ? doc_term(path, member)
                                       : path_term(path);
    Xapian::RSet rset;
    for (auto p = rdb.postlist_begin(id); p != rdb.postlist_end(id); ++p)
        rset.add_document(*p);
    if (rset.empty())
        return false;
    Xapian::Enquire enq(rdb);
    enq.set_query(Xapian::Query(id));
    LikeDecider decider;
    /* Exact term frequencies: by default 1.4 guesses them from the shard
     * holding the document, so the terms chosen would depend on which
     * shard its path hashes to. */
    Xapian::ESet eset = enq.get_eset(
        LIKE_TERMS, rset, Xapian::Enquire::USE_EXACT_TERMFREQ, &decider);
    *self = Xapian::Query(id);
    *like = Xapian::Query(Xapian::Query::OP_OR, eset.begin(), eset.end());
    return true;
}

/* The prefixes of the query's wildcards (negotiat*), for the snippets:
 * the parsed query holds them only unexpanded, out of reach in 1.4.
 * A word's field (title:) and its +, - or opening bracket are skipped. */
void
add_wildcards(snippet_terms &st, const char *text)
{
    const char *p = text;

    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == '(' || *p == '+' ||
               *p == '-' || *p == '"')
            p++;
        const char *start = p;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != ')' &&
               *p != '"')
            p++;
        std::string tok(start, (size_t)(p - start));
        size_t colon = tok.find(':');
        if (colon != std::string::npos)
            tok.erase(0, colon + 1);
        if (tok.size() > 1 && tok.back() == '*') {
            tok.pop_back();
            st.add_prefix(Xapian::Unicode::tolower(tok));
        }
        if (*p != '\0')
            p++;
    }
}

/* Order the hits; ties by relevance.  km (the caller's, living as long
 * as enq) gives undated documents a key after every date. */
void
set_sort(Xapian::Enquire &enq, enum xap_sort sort,
         Xapian::MultiValueKeyMaker &km)
{
    switch (sort) {
    case XAP_SORT_RELEVANCE:
        break;
    case XAP_SORT_NEWEST:
        /* Descending: an empty value sorts below every date. */
        enq.set_sort_by_value_then_relevance(SLOT_DATE, true);
        break;
    case XAP_SORT_OLDEST:
        km.add_value(SLOT_DATE, false, "\xff");
        enq.set_sort_by_key_then_relevance(&km, false);
        break;
    }
}

/* Copy what a spy counted: the most frequent values, or all by value. */
void
take_facet(const Xapian::ValueCountMatchSpy &spy, bool by_count,
           std::vector<std::pair<std::string, uint64_t>> &out)
{
    Xapian::TermIterator it = by_count
                                  ? spy.top_values_begin(XAP_MAX_FACET_VALUES)
                                  : spy.values_begin();
    Xapian::TermIterator end =
        by_count ? spy.top_values_end(XAP_MAX_FACET_VALUES) : spy.values_end();
    for (; it != end && out.size() < XAP_MAX_FACET_VALUES; ++it)
        out.emplace_back(*it, it.get_termfreq());
}

/*
 * The totals of a page.  Exact copies are already out of the MSet's
 * estimates (collapsing); near copies folded in the window come off
 * them too.  Beyond the window more may fold, so the lower bound is only
 * the hits left in the window, unless it held every match.
 */
void
set_totals(xap_hits *h, const folded_page &fp)
{
    h->total = fp.mset.get_matches_estimated();
    h->lower = fp.mset.get_matches_lower_bound();
    h->upper = fp.mset.get_matches_upper_bound();
    if (fp.near_folded == 0)
        return;
    h->folded = true;
    if (fp.exhausted) {
        h->total = h->lower = h->upper = fp.groups;
        return;
    }
    h->upper = h->upper > fp.near_folded ? h->upper - fp.near_folded
                                         : fp.groups;
    h->total = h->total > fp.near_folded ? h->total - fp.near_folded
                                         : fp.groups;
    h->lower = fp.groups;
    h->total = std::max(h->lower, std::min(h->total, h->upper));
}

}  // namespace

extern "C" {


xap_status
xap_search(xap_db *db, const struct xap_query *q, xap_hits **hits_out)
{
    if (hits_out != nullptr)
        *hits_out = nullptr;
    if (db == nullptr)
        return XAP_EINVAL;
    if (db->rdb == nullptr || q == nullptr ||
        (q->text == nullptr && q->like_path == nullptr) ||
        hits_out == nullptr) {
        db->error = "xap_search: no query";
        return XAP_EINVAL;
    }
    xap_hits *h = nullptr;
    xap_status st = guarded(db, [&]() {
        const char *text = q->text != nullptr ? q->text : "";
        if (text[0] != '\0' && check_query(db, text) != XAP_OK)
            return XAP_EQUERY;
        std::string corrected, suggestion;
        Xapian::Query query;
        if (text[0] != '\0') {
            query = parse_query(db, text, q->match_any, nullptr);
            if (q->like_path == nullptr &&
                has_unknown_term(*db->rdb, query))
                parse_query(db, text, q->match_any, &corrected);
        }
        if (q->like_path != nullptr) {
            /* Like a document: ranked by its terms; with a query too,
             * only what the query finds, ranked by both. */
            Xapian::Query self, like;
            if (!like_query(*db->rdb, q->like_path, q->like_member, &like,
                            &self)) {
                db->error = std::string("no indexed document is ") +
                            q->like_path +
                            (q->like_member != nullptr
                                 ? std::string("#") + q->like_member
                                 : std::string());
                return XAP_ENOTFOUND;
            }
            query = text[0] != '\0'
                        ? Xapian::Query(Xapian::Query::OP_AND_MAYBE, query,
                                        like)
                        : like;
            query = Xapian::Query(Xapian::Query::OP_AND_NOT, query, self);
        }
        query = add_filters(query, q);
        bool is_corrected = false;
        if (!corrected.empty() && corrected != text) {
            /* Suggest it only if it finds something (the spelling data
             * keeps words of documents since deleted). */
            Xapian::Query cq = add_filters(
                parse_query(db, corrected.c_str(), q->match_any, nullptr), q);
            Xapian::Enquire probe(*db->rdb);
            probe.set_query(cq);
            if (probe.get_mset(0, 0, 1).get_matches_lower_bound() > 0) {
                suggestion = corrected;
                if (q->correct) {
                    query = cq;
                    is_corrected = true;
                }
            }
        }
        Xapian::Enquire enq(*db->rdb);
        enq.set_query(query);
        enq.set_weighting_scheme(
            Xapian::BM25Weight(BM25_K1, 0, 1, BM25_B, 0.5));
        Xapian::MultiValueKeyMaker km;
        set_sort(enq, q->sort, km);
        Xapian::ValueCountMatchSpy outlets(SLOT_OUTLET), years(SLOT_YEAR);
        /* Facets must see every match; otherwise the page (or the
         * window copies are folded in) is all that must be checked, and
         * the total is an estimate with bounds unless that was all. */
        Xapian::doccount check = 0;
        if (q->facets) {
            enq.add_matchspy(&outlets);
            enq.add_matchspy(&years);
            check = db->rdb->get_doccount();
        }
        h = new xap_hits();
        h->suggestion = suggestion;
        h->is_corrected = is_corrected;
        folded_page fp;
        if (q->copies == XAP_COPIES_ALL) {
            /* As many as a folded page reads (xap_copies.cc), so a
             * total is exact as often. */
            Xapian::doccount want = q->offset + q->limit;
            fp.mset = enq.get_mset(
                q->offset, q->limit,
                std::max({check, 2 * want, want + 20}));
            for (auto it = fp.mset.begin(); it != fp.mset.end(); ++it) {
                page_hit ph;
                ph.it = it;
                fp.hits.push_back(std::move(ph));
            }
        } else {
            /* Folding may run the match more than once: count facets
             * (every matching document, copies too) in a pass of their
             * own first. */
            if (q->facets) {
                enq.get_mset(0, 0, check);
                enq.clear_matchspies();
            }
            fp = fold_page(enq, *db->rdb, query, q->offset, q->limit, check,
                           q->copies == XAP_COPIES_LIST);
        }
        if (q->facets) {
            take_facet(outlets, true, h->facets[XAP_FACET_OUTLET]);
            take_facet(years, false, h->facets[XAP_FACET_YEAR]);
        }
        set_totals(h, fp);
        h->hits.reserve(fp.hits.size());
        size_t slen = q->snippet_len != 0 ? q->snippet_len : DEFAULT_SNIPPET;
        snippet_terms sterms(query, Xapian::Stem(STEM_LANG));
        add_wildcards(sterms, is_corrected ? corrected.c_str() : text);
        for (page_hit &ph : fp.hits) {
            std::string data = ph.it.get_document().get_data();
            size_t nl = data.find('\n');
            std::string body =
                nl == std::string::npos ? std::string() : data.substr(nl + 1);
            if (nl != std::string::npos)
                data.resize(nl);
            hit x;
            x.score = ph.it.get_weight();
            x.data = std::move(data);
            x.snippet = make_snippet(body, sterms, slen);
            x.copies = ph.copies;
            x.copy_list = std::move(ph.copy_list);
            h->hits.push_back(std::move(x));
        }
        return XAP_OK;
    });
    if (st != XAP_OK) {
        delete h;
        return st;
    }
    *hits_out = h;
    return XAP_OK;
}

const char *
xap_hits_suggestion(const xap_hits *h)
{
    return h == nullptr || h->suggestion.empty() ? nullptr
                                                 : h->suggestion.c_str();
}

bool
xap_hits_corrected(const xap_hits *h)
{
    return h != nullptr && h->is_corrected;
}

long
xap_last_error_pos(const xap_db *db)
{
    return db == nullptr ? -1 : db->error_pos;
}

size_t
xap_hits_facet_count(const xap_hits *h, enum xap_facet f)
{
    if (h == nullptr || f < 0 || f >= XAP_FACET__COUNT)
        return 0;
    return h->facets[f].size();
}

const char *
xap_hits_facet_value(const xap_hits *h, enum xap_facet f, size_t i,
                     uint64_t *count_out)
{
    if (count_out != nullptr)
        *count_out = 0;
    if (i >= xap_hits_facet_count(h, f))
        return nullptr;
    if (count_out != nullptr)
        *count_out = h->facets[f][i].second;
    return h->facets[f][i].first.c_str();
}

uint64_t
xap_hits_copies(const xap_hits *h, size_t i)
{
    return h != nullptr && i < h->hits.size() ? h->hits[i].copies : 0;
}

bool
xap_hits_folded(const xap_hits *h)
{
    return h != nullptr && h->folded;
}

bool
xap_hits_copy(const xap_hits *h, size_t i, size_t j, struct xap_copy *out)
{
    if (h == nullptr || out == nullptr || i >= h->hits.size() ||
        j >= h->hits[i].copy_list.size())
        return false;
    const copy_info &c = h->hits[i].copy_list[j];
    out->outlet = c.outlet.c_str();
    out->data = c.data.c_str();
    out->is_exact = c.is_exact;
    return true;
}

size_t
xap_hits_count(const xap_hits *h)
{
    return h == nullptr ? 0 : h->hits.size();
}

uint64_t
xap_hits_total(const xap_hits *h, uint64_t *lower_out, uint64_t *upper_out)
{
    if (lower_out != nullptr)
        *lower_out = h == nullptr ? 0 : h->lower;
    if (upper_out != nullptr)
        *upper_out = h == nullptr ? 0 : h->upper;
    return h == nullptr ? 0 : h->total;
}

double
xap_hits_score(const xap_hits *h, size_t i)
{
    return h != nullptr && i < h->hits.size() ? h->hits[i].score : 0.0;
}

const char *
xap_hits_data(const xap_hits *h, size_t i)
{
    return h != nullptr && i < h->hits.size() ? h->hits[i].data.c_str()
                                              : "{}";
}

const char *
xap_hits_snippet(const xap_hits *h, size_t i)
{
    return h != nullptr && i < h->hits.size() ? h->hits[i].snippet.c_str()
                                              : "";
}

void
xap_hits_free(xap_hits *h)
{
    delete h;
}

}  /* extern "C" */
