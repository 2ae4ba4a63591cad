/*
 * xap_snippet.h - highlighted snippets for search hits, made much faster
 * than Xapian's generic MSet::snippet (C++ only; part of the shim).
 *
 * MSet::snippet tokenises and stems every word of the text and scores
 * windows with a language model: about 0.4 ms a hit, 90% of a search with
 * ten hits.  Here the query's words are gathered once per search
 * (snippet_terms), and each hit's text is scanned with a table of the
 * bytes a matching word can start with, so most words cost a byte test;
 * only words that could be a stem's form are stemmed, and each at most
 * once.  The window of the requested length that holds the most distinct
 * query words (then the most matches, then the earliest) is cut at word
 * boundaries, HTML-escaped, its matches put in <b></b>, and an ellipsis
 * marks text left out at either end.  White space runs become one blank.
 */
#ifndef SEARCHD_XAP_SNIPPET_H
#define SEARCHD_XAP_SNIPPET_H

#include <cstddef>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <xapian.h>

namespace xapi {

/* What of a query a snippet highlights, gathered once per search. */
class snippet_terms {
  public:
    /* The words of q (field prefixes dropped: a title: word is marked in
     * the body too), its stems (for words that match by stem) and its
     * wildcard prefixes.  stem must be the one the index uses. */
    snippet_terms(const Xapian::Query &q, const Xapian::Stem &stem);

    /* Also mark words that start with prefix (a wildcard's, lower
     * case): Xapian expands wildcards only when it matches. */
    void add_prefix(const std::string &prefix);

    /* Which query word text (a lower-case word) is, or -1.  Caches what
     * it stems, so it is not thread-safe: one per search. */
    int match(const std::string &word);

    /* Could a word starting with byte b (lower case) match at all? */
    bool could_start(unsigned char b) const { return first_[b]; }

    bool empty() const { return n_ids_ == 0; }

  private:
    void add_word(const std::string &w);
    void add_stem(const std::string &s);

    Xapian::Stem stem_;
    std::unordered_map<std::string, int> words_;  /* exact word -> id */
    std::unordered_map<std::string, int> stems_;  /* stem -> id */
    std::vector<std::pair<std::string, int>> prefixes_;   /* wildcards */
    std::unordered_map<std::string, int> seen_;   /* stemmed words: id */
    bool first_[256];
    int n_ids_;
};

/* A snippet of about len bytes of text (before markup) from text, as
 * described above.  Never throws for odd bytes, and the result is always
 * valid UTF-8: a valid character is never split, and a byte that is not
 * part of one comes out as U+FFFD, a NUL as a blank.  Words longer
 * than 64 bytes, which Xapian never indexes, are never marked. */
std::string make_snippet(const std::string &text, snippet_terms &terms,
                         size_t len);

}  // namespace xapi

#endif /* SEARCHD_XAP_SNIPPET_H */
