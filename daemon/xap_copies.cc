/*
 * xap_copies.cc - one page of search results with copies of a story
 * folded into its best-ranked copy (xap_impl.h, fold_page; the design is
 * in doc/design.md, "Copies").
 *
 * Exact copies share the content hash in slot 4: Enquire's collapse key
 * keeps the best of them while matching, over every shard, so the ranked
 * list the rest sees has one document per text.  Near copies cannot be
 * keyed that way (a simhash is only close, not equal), so they are
 * folded over the ranked list itself: the best FOLD_WINDOW_MAX matches
 * are read in rank order and each one within FINGERPRINT_NEAR_BITS of an
 * earlier one is folded into it.  The page is cut from the folded list.
 * Past the window, hits are the collapsed list as it is.
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

uint64_t
simhash_of(const Xapian::Document &doc, bool *ok_out)
{
    std::string v = doc.get_value(SLOT_SIMHASH);
    uint64_t h = 0;

    *ok_out = v.size() == 8;
    if (!*ok_out)
        return 0;
    for (unsigned char c : v)
        h = (h << 8) | c;
    return h;
}

/* Fold the window greedily in rank order.  Returns the near copies
 * folded. */
uint64_t
fold_window(const Xapian::MSet &mset, std::vector<group> &groups)
{
    std::vector<uint64_t> keys;     /* simhash per group; parallel */
    std::vector<bool> has_key;
    uint64_t folded = 0;
    Xapian::doccount pos = 0;

    groups.clear();
    for (Xapian::MSetIterator it = mset.begin(); it != mset.end();
         ++it, ++pos) {
        bool ok;
        uint64_t h = simhash_of(it.get_document(), &ok);
        size_t g = groups.size();

        if (ok) {
            for (g = 0; g < groups.size(); g++)
                if (has_key[g] && fingerprint_is_near(keys[g], h))
                    break;
        }
        if (g < groups.size()) {
            groups[g].near.push_back(pos);
            folded++;
            continue;
        }
        groups.push_back(group{pos, {}});
        keys.push_back(h);
        has_key.push_back(ok);
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
 * Add the exact copies of the document at it (those matching query with
 * its content hash) to ph, but not that document itself.  Returns how
 * many there are.
 */
uint64_t
exact_copies(const Xapian::Database &db, const Xapian::Query &query,
             const Xapian::MSetIterator &self, bool is_rep, bool want_data,
             page_hit &ph)
{
    /* The docid from the MSet: over several shards, Document::get_docid
     * is the shard's own number. */
    Xapian::docid self_id = *self;
    Xapian::Document doc = self.get_document();
    std::string hash = doc.get_value(SLOT_HASH);
    if (hash.empty())
        return 0;
    std::string term = hash_term(hash);
    Xapian::doccount tf = db.get_termfreq(term);
    if (tf <= 1)
        return 0;
    Xapian::Enquire enq(db);
    enq.set_query(Xapian::Query(Xapian::Query::OP_FILTER, query,
                                Xapian::Query(term)));
    enq.set_weighting_scheme(Xapian::BoolWeight());
    /* check_at_least tf: the count is exact. */
    Xapian::MSet m = enq.get_mset(0, XAP_MAX_COPIES + 1, tf);
    for (Xapian::MSetIterator it = m.begin(); it != m.end(); ++it) {
        if (*it == self_id)
            continue;
        add_copy(ph, it.get_document(), is_rep, want_data);
    }
    Xapian::doccount all = m.get_matches_estimated();
    return all > 0 ? all - 1 : 0;
}

/* Count and list the copies of group g into ph. */
void
expand_group(const Xapian::Database &db, const Xapian::Query &query,
             const Xapian::MSet &mset, const group &g, bool want_data,
             page_hit &ph)
{
    ph.copies = exact_copies(db, query, mset[g.pos], true, want_data, ph);
    for (Xapian::doccount pos : g.near) {
        add_copy(ph, mset[pos].get_document(), false, want_data);
        ph.copies +=
            1 + exact_copies(db, query, mset[pos], false, want_data, ph);
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
    Xapian::doccount want = offset + limit;
    Xapian::doccount window =
        std::min(std::max(2 * want, want + 20), FOLD_WINDOW_MAX);
    Xapian::MSet mset;

    enq.set_collapse_key(SLOT_HASH);
    if (limit == 0) {
        fp.mset = enq.get_mset(offset, 0, check_at_least);
        return fp;
    }
    for (;;) {
        mset = enq.get_mset(0, window, std::max(check_at_least, window));
        fp.near_folded = fold_window(mset, groups);
        if (groups.size() >= want || mset.size() < window ||
            window >= FOLD_WINDOW_MAX)
            break;
        window = std::min(2 * window, FOLD_WINDOW_MAX);
    }
    fp.mset = mset;
    fp.exhausted = mset.size() < window;
    fp.groups = groups.size();
    for (Xapian::doccount i = offset; i < groups.size() && i < want; i++) {
        page_hit ph;
        ph.it = mset[groups[i].pos];
        expand_group(db, query, mset, groups[i], want_data, ph);
        fp.hits.push_back(std::move(ph));
    }
    if (fp.exhausted || fp.hits.size() == limit)
        return fp;
    /* Past the window: position p of the folded list is the collapsed
     * list's window + (p - groups). */
    Xapian::doccount from = offset > groups.size() ? offset : groups.size();
    fp.deep = enq.get_mset(window + (from - groups.size()),
                           want - from, check_at_least);
    for (Xapian::MSetIterator it = fp.deep.begin(); it != fp.deep.end();
         ++it) {
        page_hit ph;
        ph.it = it;
        ph.is_deep = true;
        ph.copies = exact_copies(db, query, it, true, want_data, ph);
        fp.hits.push_back(std::move(ph));
    }
    return fp;
}
