/*
 * xap_snippet.cc - fast highlighted snippets (xap_snippet.h).
 */
#include "config.h"

#include <algorithm>
#include <cstring>

#include "xap_snippet.h"

namespace xapi {

namespace {

/* A longer word is no match: Xapian indexes no term longer than 64
 * bytes, and a wildcard's match as long as a base64 line would blow the
 * snippet's length. */
const size_t WORD_MAX = 64;
/* Scan at most this much of a text for matches: a snippet from deep in
 * a 16 MB document is not worth reading all of it. */
const size_t SCAN_MAX = 256 * 1024;
/* Matches kept; past it the window is chosen among these. */
const size_t MATCHES_MAX = 2000;
const char ELLIPSIS[] = "\xe2\x80\xa6";

/* The field prefixes of the index (xap_impl.h), longest first. */
const char *const FIELD_PREFIXES[] = {"XO", "XP", "XF", "S", "A", "K", "L"};

/* Decode the UTF-8 character at s[i] (n bytes in all) into *cp and
 * return its length; an invalid or cut sequence is one byte, cp 0xfffd. */
size_t
utf8_next(const char *s, size_t n, size_t i, unsigned *cp)
{
    unsigned char c = (unsigned char)s[i];
    size_t need;
    unsigned v;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3;
        v = c & 0x07;
    } else {
        *cp = 0xfffd;
        return 1;
    }
    if (i + need >= n) {
        *cp = 0xfffd;
        return 1;
    }
    for (size_t k = 1; k <= need; k++) {
        unsigned char d = (unsigned char)s[i + k];
        if ((d & 0xc0) != 0x80) {
            *cp = 0xfffd;
            return 1;
        }
        v = (v << 6) | (d & 0x3f);
    }
    /* Overlong forms, surrogates and code points past U+10FFFF are not
     * UTF-8 either (jansson would refuse the snippet). */
    if ((need == 2 && v < 0x800) || (need == 3 && v < 0x10000) ||
        (v >= 0xd800 && v <= 0xdfff) || v > 0x10ffff) {
        *cp = 0xfffd;
        return 1;
    }
    *cp = v;
    return need + 1;
}

/* Han, kana, hangul and their kin: each character is a word of its own,
 * as Xapian's CJK n-gram mode indexes them. */
bool
is_cjk(unsigned cp)
{
    return (cp >= 0x2e80 && cp <= 0x2fdf) || (cp >= 0x3040 && cp <= 0x30ff) ||
           (cp >= 0x3100 && cp <= 0x31ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
           (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xac00 && cp <= 0xd7af) ||
           (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x20000 && cp <= 0x2fa1f);
}

bool
is_word(unsigned cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
               (cp >= '0' && cp <= '9') || cp == '_';
    return cp != 0xfffd && Xapian::Unicode::is_wordchar(cp);
}

struct match {
    size_t start, end;  /* bytes of the text */
    int id;             /* which query word */
};

bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* Append s[0..n) HTML-escaped, blank runs (and NULs, which would end the
 * C string) as one blank, and each byte that is not part of a valid UTF-8
 * sequence as U+FFFD, so the snippet is always valid UTF-8 even from an
 * index written by something that did not sanitise its text. */
void
escape_into(std::string &out, const char *s, size_t n)
{
    bool space = false;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (is_blank(c) || c == '\0') {
            space = true;
            continue;
        }
        if (space) {
            out += ' ';
            space = false;
        }
        if ((unsigned char)c >= 0x80) {
            unsigned cp;
            size_t cl = utf8_next(s, n, i, &cp);
            if (cp == 0xfffd && cl == 1)
                out += "\xef\xbf\xbd";
            else
                out.append(s + i, cl);
            i += cl - 1;
            continue;
        }
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        default:  out += c; break;
        }
    }
    if (space)
        out += ' ';
}

}  // namespace

snippet_terms::snippet_terms(const Xapian::Query &q, const Xapian::Stem &stem)
    : stem_(stem), n_ids_(0)
{
    memset(first_, 0, sizeof first_);
    for (auto it = q.get_unique_terms_begin(); it != q.get_unique_terms_end();
         ++it) {
        std::string t = *it;
        bool stemmed = !t.empty() && t[0] == 'Z';

        if (stemmed)
            t.erase(0, 1);
        /* Field prefixes are upper case; words are lower case. */
        if (!t.empty() && t[0] >= 'A' && t[0] <= 'Z') {
            bool known = false;
            for (const char *p : FIELD_PREFIXES) {
                size_t pl = strlen(p);
                if (t.compare(0, pl, p) == 0 && t.size() > pl &&
                    !(t[pl] >= 'A' && t[pl] <= 'Z')) {
                    t.erase(0, pl);
                    known = true;
                    break;
                }
            }
            if (!known)
                continue;   /* an id, path or other boolean term */
        }
        if (t.empty())
            continue;
        if (stemmed)
            add_stem(t);
        else
            add_word(t);
    }
}

void
snippet_terms::add_word(const std::string &w)
{
    if (words_.count(w))
        return;
    int id = stems_.count(stem_(w)) ? stems_[stem_(w)] : n_ids_++;
    words_.emplace(w, id);
    first_[(unsigned char)w[0]] = true;
}

void
snippet_terms::add_stem(const std::string &s)
{
    if (stems_.count(s))
        return;
    stems_.emplace(s, n_ids_++);
    first_[(unsigned char)s[0]] = true;
}

void
snippet_terms::add_prefix(const std::string &p)
{
    if (p.empty())
        return;
    prefixes_.emplace_back(p, n_ids_++);
    first_[(unsigned char)p[0]] = true;
}

int
snippet_terms::match(const std::string &w)
{
    auto e = words_.find(w);
    if (e != words_.end())
        return e->second;
    for (const auto &p : prefixes_)
        if (w.compare(0, p.first.size(), p.first) == 0)
            return p.second;
    if (stems_.empty())
        return -1;
    auto c = seen_.find(w);
    if (c != seen_.end())
        return c->second;
    int id = -1;
    /* A stem is, all but its last letter or so, a prefix of the words it
     * comes from ("negoti" from "negotiations", "happi" from "happy"):
     * stem only words that share a stem's first letters. */
    for (const auto &st : stems_) {
        size_t k = st.first.size() > 2 ? st.first.size() - 2 : 1;
        if (w.compare(0, k, st.first, 0, k) == 0) {
            auto hit = stems_.find(stem_(w));
            if (hit != stems_.end())
                id = hit->second;
            break;
        }
    }
    if (seen_.size() < 10000)
        seen_.emplace(w, id);
    return id;
}

std::string
make_snippet(const std::string &text, snippet_terms &terms, size_t len)
{
    const char *s = text.data();
    size_t n = std::min(text.size(), SCAN_MAX);
    std::vector<match> found;
    std::string word;

    if (len == 0)
        len = 1;
    /* 1. The matches, in order. */
    for (size_t i = 0; i < n && found.size() < MATCHES_MAX;) {
        unsigned cp;
        size_t cl = utf8_next(s, n, i, &cp);

        if (!is_word(cp)) {
            i += cl;
            continue;
        }
        if (is_cjk(cp)) {
            word.assign(s + i, cl);
            int id = terms.could_start((unsigned char)s[i])
                         ? terms.match(word) : -1;
            if (id >= 0)
                found.push_back({i, i + cl, id});
            i += cl;
            continue;
        }
        size_t start = i, end = i;
        bool ascii = true;
        while (end < n) {
            unsigned c2;
            size_t l2 = utf8_next(s, n, end, &c2);
            if (!is_word(c2) || is_cjk(c2))
                break;
            if (c2 >= 0x80)
                ascii = false;
            end += l2;
        }
        unsigned char b = (unsigned char)s[start];
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b - 'A' + 'a');
        if (end - start <= WORD_MAX && (!ascii || terms.could_start(b))) {
            if (ascii) {
                word.assign(s + start, end - start);
                for (char &ch : word)
                    if (ch >= 'A' && ch <= 'Z')
                        ch = (char)(ch - 'A' + 'a');
            } else {
                word = Xapian::Unicode::tolower(
                    std::string(s + start, end - start));
            }
            int id = terms.match(word);
            if (id >= 0)
                found.push_back({start, end, id});
        }
        i = end;
    }

    /* 2. The window: most distinct words, then most matches, earliest. */
    size_t wstart = 0, wend = std::min(text.size(), len), best = 0;
    if (!found.empty()) {
        size_t best_distinct = 0, best_count = 0;
        std::vector<int> ids;
        for (size_t a = 0; a < found.size(); a++) {
            /* Start a little before the first match, for context. */
            size_t from = found[a].start > len / 4 ? found[a].start - len / 4
                                                   : 0;
            size_t to = from + len;
            ids.clear();
            size_t count = 0;
            for (size_t b = a; b < found.size() && found[b].end <= to; b++) {
                count++;
                if (std::find(ids.begin(), ids.end(), found[b].id) ==
                    ids.end())
                    ids.push_back(found[b].id);
            }
            if (ids.size() > best_distinct ||
                (ids.size() == best_distinct && count > best_count)) {
                best_distinct = ids.size();
                best_count = count;
                best = a;
            }
        }
        wstart = found[best].start > len / 4 ? found[best].start - len / 4
                                             : 0;
        wend = std::min(text.size(), wstart + len);
        /* A match cut by the end moves the window back to hold it. */
        if (found[best].end > wend)
            wend = std::min(text.size(), found[best].end);
    }
    /* Cut at blanks, never inside a word or a UTF-8 sequence, and never
     * cutting the best match out. */
    size_t keep_from = found.empty() ? wend : found[best].start;
    size_t keep_to = found.empty() ? wstart : found[best].end;
    if (wstart > 0 && !is_blank(s[wstart - 1])) {
        size_t k = wstart;
        while (k < keep_from && !is_blank(s[k]))
            k++;
        if (k < keep_from)
            wstart = k + 1;
        else
            while (wstart < wend && ((unsigned char)s[wstart] & 0xc0) == 0x80)
                wstart++;
    }
    if (wend < text.size() && !is_blank(s[wend])) {
        size_t k = wend;
        while (k > keep_to && !is_blank(s[k - 1]))
            k--;
        if (k > keep_to)
            wend = k - 1;
        else
            while (wend > wstart && ((unsigned char)s[wend] & 0xc0) == 0x80)
                wend--;
    }

    /* 3. The text, escaped, matches in bold. */
    std::string out;
    out.reserve(len + 64);
    if (wstart > 0)
        out += ELLIPSIS;
    size_t at = wstart;
    for (const match &m : found) {
        if (m.start < wstart || m.end > wend)
            continue;
        escape_into(out, s + at, m.start - at);
        out += "<b>";
        escape_into(out, s + m.start, m.end - m.start);
        out += "</b>";
        at = m.end;
    }
    escape_into(out, s + at, wend - at);
    /* No blank at either end, before the ellipsis. */
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    size_t lead = wstart > 0 ? strlen(ELLIPSIS) : 0;
    while (out.size() > lead && out[lead] == ' ')
        out.erase(lead, 1);
    if (wend < text.size() && wend > wstart)
        out += ELLIPSIS;
    return out;
}

}  // namespace xapi
