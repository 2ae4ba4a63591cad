/*
 * xap_search.cc - searching through the Xapian shim (API in xap.h): query
 * parsing, the result page and its snippets.  Every entry point catches
 * everything, as in xap.cc.
 */
#include "config.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <xapian.h>

#include "xap_impl.h"

using namespace xapi;


namespace {

struct hit {
    double score;
    std::string data;       /* the JSON part of the document data */
    std::string snippet;
};

}  // namespace

struct xap_hits {
    uint64_t total, lower, upper;
    std::vector<hit> hits;
};
namespace {

Xapian::Query
parse_query(const Xapian::Database &rdb, const char *text, bool match_any)
{
    Xapian::QueryParser qp;
    qp.set_stemmer(Xapian::Stem(STEM_LANG));
    qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
    qp.set_default_op(match_any ? Xapian::Query::OP_OR
                                : Xapian::Query::OP_AND);
    qp.set_database(rdb);
    for (const auto &p : PREFIXES)
        qp.add_prefix(p.field, p.prefix);
    unsigned flags = Xapian::QueryParser::FLAG_DEFAULT |
                     Xapian::QueryParser::FLAG_WILDCARD |
                     Xapian::QueryParser::FLAG_PURE_NOT |
                     Xapian::QueryParser::FLAG_CJK_NGRAM;
    return qp.parse_query(text, flags);
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
    if (db->rdb == nullptr || q == nullptr || q->text == nullptr ||
        hits_out == nullptr) {
        db->error = "xap_search: no query";
        return XAP_EINVAL;
    }
    xap_hits *h = nullptr;
    xap_status st = guarded(db, [&]() {
        Xapian::Query query = parse_query(*db->rdb, q->text, q->match_any);
        Xapian::Enquire enq(*db->rdb);
        enq.set_query(query);
        /* At least 100 documents are checked so the estimate is useful
         * even for a tiny page. */
        Xapian::MSet mset = enq.get_mset(q->offset, q->limit, 100);
        h = new xap_hits();
        h->total = mset.get_matches_estimated();
        h->lower = mset.get_matches_lower_bound();
        h->upper = mset.get_matches_upper_bound();
        h->hits.reserve(mset.size());
        size_t slen = q->snippet_len != 0 ? q->snippet_len : DEFAULT_SNIPPET;
        Xapian::Stem stem(STEM_LANG);
        for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it) {
            std::string data = it.get_document().get_data();
            size_t nl = data.find('\n');
            std::string text =
                nl == std::string::npos ? std::string() : data.substr(nl + 1);
            if (nl != std::string::npos)
                data.resize(nl);
            hit x;
            x.score = it.get_weight();
            x.data = std::move(data);
            x.snippet = mset.snippet(
                text, slen, stem,
                Xapian::MSet::SNIPPET_BACKGROUND_MODEL |
                    Xapian::MSet::SNIPPET_EXHAUSTIVE |
                    Xapian::MSet::SNIPPET_CJK_NGRAM,
                "<b>", "</b>", "\xe2\x80\xa6");
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
