/*
 * xap_copies.cc - one page of search results with copies of a story
 * folded into its best-ranked copy (xap_impl.h, fold_page; the design is
 * in doc/design.md, "Copies").
 *
 * Each document's copy key (slot 4) is its content hash and simhash.
 * The best matches (the window: twice the page and 20 more, doubled
 * until the page is full, at most FOLD_WINDOW_MAX) are read in rank
 * order with their keys, and each one whose hash equals, or whose
 * simhash is within FINGERPRINT_NEAR_BITS of, an earlier kept one's is
 * folded into it.  The page is cut from the folded list.
 *
 * Reading the window's keys costs far less than letting the matcher
 * collapse on slot 4 (that reads the key of every candidate), so
 * collapsing is only used for a page the window cannot fill: then exact
 * copies collapse in the matcher, the window is folded as above, and
 * past it hits are the collapsed list as it is.  Both give the same
 * folded list where they overlap: exact copies fold into their
 * best-ranked copy either way, and folding is greedy in rank order.
 */
#include "config.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <xapian.h>

#include "fingerprint.h"
#include "xap_impl.h"

using namespace xapi;

namespace {

/* Most ranked matches read for near copies; past it pages are only
 * exact-folded. */
const Xapian::doccount FOLD_WINDOW_MAX = 2000;

/* A kept hit of the window and the near copies folded into it. */
struct group {
    Xapian::doccount pos;                    /* in the window's MSet */
    std::vector<Xapian::doccount> near;      /* window positions folded */
};

/* The simhash in a copy key (slot 4), or false. */
bool
simhash_of(const std::string &key, uint64_t *h_out)
{
    uint64_t h = 0;

    if (key.size() != COPY_HASH_LEN + 8)
        return false;
    for (size_t i = COPY_HASH_LEN; i < key.size(); i++)
        h = (h << 8) | static_cast<unsigned char>(key[i]);
    *h_out = h;
    return true;
}

/* The hash in a copy key, "" when there is none. */
std::string
hash_of(const std::string &key)
{
    return key.size() < COPY_HASH_LEN ? std::string()
                                      : key.substr(0, COPY_HASH_LEN);
}

/* The copy key of each window match, in rank order: the collapse key
 * when the matcher collapsed on slot 4, else read from the document. */
std::vector<std::string>
window_keys(const Xapian::MSet &mset, bool collapsed)
{
    std::vector<std::string> keys;

    keys.reserve(mset.size());
    for (Xapian::MSetIterator it = mset.begin(); it != mset.end(); ++it)
        keys.push_back(collapsed ? it.get_collapse_key()
                                 : it.get_document().get_value(SLOT_COPIES));
    return keys;
}

/* Fold the window greedily in rank order: a match joins the first kept
 * one with the same hash or a near simhash.  Returns the matches
 * folded. */
uint64_t
fold_window(const std::vector<std::string> &keys, std::vector<group> &groups)
{
    std::vector<uint64_t> sims;     /* per group; parallel */
    std::vector<bool> has_sim;
    uint64_t folded = 0;

    groups.clear();
    for (Xapian::doccount pos = 0; pos < keys.size(); pos++) {
        const std::string &key = keys[pos];
        uint64_t h = 0;
        bool ok = simhash_of(key, &h);
        size_t g = groups.size();

        if (key.size() >= COPY_HASH_LEN) {
            for (g = 0; g < groups.size(); g++) {
                const std::string &gk = keys[groups[g].pos];
                if (gk.size() >= COPY_HASH_LEN &&
                    gk.compare(0, COPY_HASH_LEN, key, 0, COPY_HASH_LEN) == 0)
                    break;
                if (ok && has_sim[g] && fingerprint_is_near(sims[g], h))
                    break;
            }
        }
        if (g < groups.size()) {
            groups[g].near.push_back(pos);
            folded++;
            continue;
        }
        groups.push_back(group{pos, {}});
        sims.push_back(h);
        has_sim.push_back(ok);
    }
    return folded;
}

/* The document's data up to the newline: its display JSON. */
std::string
display_json(const Xapian::Document &doc)
{
    std::string data = doc.get_data();
    size_t nl = data.find('\n');
    if (nl != std::string::npos)
        data.resize(nl);
    return data;
}

void
add_copy(page_hit &ph, const Xapian::Document &doc, bool is_exact,
         bool want_data)
{
    if (ph.copy_list.size() >= XAP_MAX_COPIES)
        return;
    copy_info c;
    c.outlet = doc.get_value(SLOT_OUTLET);
    c.data = want_data ? display_json(doc) : std::string("{}");
    c.is_exact = is_exact;
    ph.copy_list.push_back(std::move(c));
}

/*
 * Count the documents matching query whose content hash is hash, and add
 * those other than self to ph (is_exact: as exact copies of the hit).
 * one: a window match that has it.
 */
uint64_t
count_hash(const Xapian::Database &db, const Xapian::Query &query,
           const std::string &hash, Xapian::docid self,
           const Xapian::MSetIterator &one, bool is_exact, bool want_data,
           page_hit &ph)
{
    std::string term = hash_term(hash);
    Xapian::doccount tf = db.get_termfreq(term);
    if (tf <= 1) {
        /* Only the window's one: no query needed. */
        if (*one != self)
            add_copy(ph, one.get_document(), is_exact, want_data);
        return 1;
    }
    Xapian::Enquire enq(db);
    enq.set_query(Xapian::Query(Xapian::Query::OP_FILTER, query,
                                Xapian::Query(term)));
    enq.set_weighting_scheme(Xapian::BoolWeight());
    /* check_at_least tf: the count is exact.  Docids from the MSet:
     * over several shards, Document::get_docid is the shard's own. */
    Xapian::MSet m = enq.get_mset(0, XAP_MAX_COPIES + 1, tf);
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it)
        if (*it != self)
            add_copy(ph, it.get_document(), is_exact, want_data);
    return m.get_matches_estimated();
}

/*
 * Count and list the copies of the hit at window position rep into ph:
 * the documents matching query with its hash (exact copies) or with the
 * hash of a window match folded into it (positions near; near copies),
 * wherever they rank.  keys: the window's copy keys.
 */
void
expand_group(const Xapian::Database &db, const Xapian::Query &query,
             const Xapian::MSet &mset, Xapian::doccount rep,
             const std::vector<Xapian::doccount> &near,
             const std::vector<std::string> &keys, bool want_data,
             page_hit &ph)
{
    Xapian::docid self = *mset[rep];
    std::vector<std::string> seen;
    uint64_t n = 0;

    std::string h = hash_of(keys[rep]);
    if (!h.empty()) {
        n += count_hash(db, query, h, self, mset[rep], true, want_data, ph);
        seen.push_back(h);
    } else {
        n++;    /* the hit alone */
    }
    for (Xapian::doccount pos : near) {
        h = hash_of(keys[pos]);
        if (std::find(seen.begin(), seen.end(), h) != seen.end())
            continue;
        n += count_hash(db, query, h, self, mset[pos], false, want_data, ph);
        seen.push_back(h);
    }
    ph.copies = n > 0 ? n - 1 : 0;
}

/* Cut hits offset..want of the folded window (fp.mset, its copy keys
 * and groups) into fp. */
void
page_of_groups(folded_page &fp, const Xapian::Database &db,
               const Xapian::Query &query,
               const std::vector<std::string> &keys,
               const std::vector<group> &groups, Xapian::doccount offset,
               Xapian::doccount want, bool want_data)
{
    fp.groups = groups.size();
    for (Xapian::doccount i = offset; i < groups.size() && i < want; i++) {
        page_hit ph;
        ph.it = fp.mset[groups[i].pos];
        expand_group(db, query, fp.mset, groups[i].pos, groups[i].near, keys,
                     want_data, ph);
        fp.hits.push_back(std::move(ph));
    }
}

/* Run enq for windows from first matches, doubling, until the folded
 * window holds want hits, holds every match or is FOLD_WINDOW_MAX; keys
 * and groups get the last window's. */
void
fold_windows(Xapian::Enquire &enq, folded_page &fp, Xapian::doccount first,
             Xapian::doccount want, Xapian::doccount check_at_least,
             bool collapsed, std::vector<std::string> &keys,
             std::vector<group> &groups)
{
    Xapian::doccount window = first;

    for (;;) {
        fp.mset = enq.get_mset(0, window, std::max(check_at_least, window));
        keys = window_keys(fp.mset, collapsed);
        fp.near_folded = fold_window(keys, groups);
        fp.exhausted = fp.mset.size() < window;
        if (groups.size() >= want || fp.exhausted ||
            window >= FOLD_WINDOW_MAX)
            return;
        window = std::min(2 * window, FOLD_WINDOW_MAX);
    }
}

}  // namespace

folded_page
xapi::fold_page(Xapian::Enquire &enq, const Xapian::Database &db,
                const Xapian::Query &query, Xapian::doccount offset,
                Xapian::doccount limit, Xapian::doccount check_at_least,
                bool want_data)
{
    folded_page fp;
    std::vector<group> groups;
    std::vector<std::string> keys;
    Xapian::doccount want = offset + limit;
    Xapian::doccount first =
        std::min(std::max(2 * want, want + 20), FOLD_WINDOW_MAX);

    if (limit == 0) {
        enq.set_collapse_key(SLOT_COPIES);
        fp.mset = enq.get_mset(offset, 0, check_at_least);
        return fp;
    }
    /* Without collapsing while the window can hold the page. */
    enq.set_collapse_key(Xapian::BAD_VALUENO);
    fold_windows(enq, fp, first, want, check_at_least, false, keys, groups);
    if (groups.size() < want && !fp.exhausted) {
        /* A deep page: collapse exact copies in the matcher, fold the
         * collapsed window, and go on past it. */
        enq.set_collapse_key(SLOT_COPIES);
        fold_windows(enq, fp, first, want, check_at_least, true, keys,
                     groups);
    }
    page_of_groups(fp, db, query, keys, groups, offset, want, want_data);
    if (fp.exhausted || fp.hits.size() == limit)
        return fp;
    /* Past the (collapsed) window: position p of the folded list is the
     * collapsed list's window + (p - groups). */
    Xapian::doccount window = fp.mset.size();
    Xapian::doccount from = offset > groups.size() ? offset : groups.size();
    fp.deep = enq.get_mset(window + (from - groups.size()), want - from,
                           check_at_least);
    for (Xapian::MSetIterator it = fp.deep.begin(); it != fp.deep.end();
         ++it) {
        page_hit ph;
        ph.it = it;
        ph.is_deep = true;
        std::string h = hash_of(it.get_collapse_key());
        if (!h.empty())
            ph.copies =
                count_hash(db, query, h, *it, it, true, want_data, ph) - 1;
        fp.hits.push_back(std::move(ph));
    }
    return fp;
}
