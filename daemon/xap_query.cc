/*
 * xap_query.cc - the parts of the query language (doc/query.md) that
 * QueryParser does not have by itself: date: ranges and periods on value
 * slot 0, lang: on the L terms, the since/until/outlet filters of a
 * request, and the check that the query means what it says (qsyntax.c
 * first; then a guard against QueryParser's silent reparse).
 */
#include "config.h"

#include <cstring>
#include <string>

#include <xapian.h>

extern "C" {
#include "qsyntax.h"
}
#include "xap_impl.h"

using namespace xapi;

namespace {

/* Words that are operators in upper case. */
const char *const OPERATORS[] = {"AND", "OR", "NOT", "XOR", "NEAR", "ADJ"};

/*
 * The documents dated in [b, e], either end open when empty.  Dates are
 * ISO 8601 text in the slot, which sorts as text; a partial end stands
 * for its whole period, so the upper end is padded with a byte above any
 * that can follow it ("2019-07" takes in "2019-07-31T23:59Z").
 */
Xapian::Query
date_range(const std::string &b, const std::string &e)
{
    if (!b.empty() && !qsyntax_is_date(b.data(), b.size()))
        throw Xapian::QueryParserError("date " + b + " is not YYYY, "
                                       "YYYY-MM or YYYY-MM-DD");
    if (!e.empty() && !qsyntax_is_date(e.data(), e.size()))
        throw Xapian::QueryParserError("date " + e + " is not YYYY, "
                                       "YYYY-MM or YYYY-MM-DD");
    if (b.empty() && e.empty())
        throw Xapian::QueryParserError("a date range needs an end");
    std::string upper = e + "\xff";
    if (b.empty())
        return Xapian::Query(Xapian::Query::OP_VALUE_LE, SLOT_DATE, upper);
    if (e.empty())
        return Xapian::Query(Xapian::Query::OP_VALUE_GE, SLOT_DATE, b);
    if (b > upper)
        throw Xapian::QueryParserError("the date range " + b + ".." + e +
                                       " starts after it ends");
    return Xapian::Query(Xapian::Query::OP_VALUE_RANGE, SLOT_DATE, b,
                         upper);
}

/* date:A..B, date:A.., date:..B */
class DateRanges : public Xapian::RangeProcessor {
  public:
    DateRanges() : Xapian::RangeProcessor(SLOT_DATE, "date:") {}
    Xapian::Query
    operator()(const std::string &b, const std::string &e) override
    {
        return date_range(b, e);
    }
};

/* date:2019, date:2019-07, date:2019-07-01: the whole period. */
class DatePeriod : public Xapian::FieldProcessor {
  public:
    Xapian::Query
    operator()(const std::string &s) override
    {
        return date_range(s, s);
    }
};

/* lang:EN finds what the plugins called "en". */
class Lang : public Xapian::FieldProcessor {
  public:
    Xapian::Query
    operator()(const std::string &s) override
    {
        return Xapian::Query(lang_term(s));
    }
};

/* Whether text holds an operator word (whole, upper case) outside
 * quotes. */
bool
has_operator(const char *text)
{
    const char *p = text;

    while (*p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == '(' || *p == ')' ||
               *p == '"') {
            if (*p == '"') {
                const char *close = strchr(p + 1, '"');
                if (close == nullptr)
                    return false;
                p = close;
            }
            p++;
        }
        const char *w = p;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '(' &&
               *p != ')' && *p != '/')
            p++;
        for (const char *op : OPERATORS)
            if ((size_t)(p - w) == strlen(op) &&
                memcmp(w, op, p - w) == 0)
                return true;
        while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '(' &&
               *p != ')')
            p++;
    }
    return false;
}

bool
is_word_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

/*
 * Where QueryParser's "Syntax: <expression> OR <expression>" went wrong,
 * when qsyntax passed the query (an operator glued to punctuation, as in
 * "oil OR&"): the first place OR stands as a word of its own.  A
 * character offset, or -1.
 */
long
syntax_error_pos(const char *text, const std::string &msg)
{
    const std::string head = "Syntax: <expression> ";
    if (msg.compare(0, head.size(), head) != 0)
        return -1;
    size_t end = msg.find_first_of(" <", head.size());
    std::string op = msg.substr(head.size(), end - head.size());
    if (op.empty())
        return -1;
    size_t len = strlen(text);
    for (size_t i = 0; i + op.size() <= len; i++) {
        if (memcmp(text + i, op.data(), op.size()) != 0)
            continue;
        if (i > 0 && is_word_byte((unsigned char)text[i - 1]))
            continue;
        if (i + op.size() < len &&
            is_word_byte((unsigned char)text[i + op.size()]))
            continue;
        long pos = 0;
        for (size_t k = 0; k < i; k++)
            if (((unsigned char)text[k] & 0xc0) != 0x80)
                pos++;
        return pos;
    }
    return -1;
}

}  // namespace

Xapian::Query
xapi::parse_checked(xap_db *db, Xapian::QueryParser &qp, const char *text,
                    unsigned flags, std::string *corrected)
{
    Xapian::Query query;
    try {
        query = qp.parse_query(text, flags);
        /* Before check_parsed parses again and resets it. */
        if (corrected != nullptr)
            *corrected = qp.get_corrected_query_string();
    } catch (const Xapian::QueryParserError &e) {
        long pos = syntax_error_pos(text, e.get_msg());
        if (pos < 0)
            throw;
        db->error_pos = pos;
        throw Xapian::QueryParserError(e.get_msg() + " (at position " +
                                       std::to_string(pos) + ")");
    }
    if (check_parsed(db, qp, text, query) != XAP_OK)
        throw Xapian::QueryParserError(db->error);
    return query;
}

void
xapi::setup_parser(Xapian::QueryParser &qp)
{
    qp.add_rangeprocessor((new DateRanges())->release());
    qp.add_boolean_prefix("date", (new DatePeriod())->release());
    qp.add_boolean_prefix("lang", (new Lang())->release());
    qp.set_max_expansion(MAX_WILDCARD, Xapian::Query::WILDCARD_LIMIT_ERROR);
}

xap_status
xapi::check_query(xap_db *db, const char *text)
{
    struct qsyntax_error e;

    if (qsyntax_check(text, strlen(text), &e) != 0) {
        db->error = e.message;
        db->error_pos = (long)e.pos;
        return XAP_EQUERY;
    }
    return XAP_OK;
}

xap_status
xapi::check_parsed(xap_db *db, Xapian::QueryParser &qp, const char *text,
                   const Xapian::Query &parsed)
{
    /* QueryParser reparses a query that fails to parse with the operators
     * taken as words; an operator it honoured never leaves the query as
     * the plain parse has it, so equal queries mean it was reparsed. */
    if (!has_operator(text))
        return XAP_OK;
    Xapian::Query plain =
        qp.parse_query(text, Xapian::QueryParser::FLAG_CJK_NGRAM);
    if (plain.serialise() != parsed.serialise())
        return XAP_OK;
    db->error = "the query does not parse as written (are its operators "
                "between two words or phrases?)";
    return XAP_EQUERY;
}

Xapian::Query
xapi::add_filters(const Xapian::Query &query, const struct xap_query *q)
{
    Xapian::Query out = query;
    const char *since = q->since != nullptr ? q->since : "";
    const char *until = q->until != nullptr ? q->until : "";

    if (since[0] != '\0' || until[0] != '\0')
        out = Xapian::Query(Xapian::Query::OP_FILTER, out,
                            date_range(since, until));
    if (q->outlet != nullptr)
        out = Xapian::Query(Xapian::Query::OP_FILTER, out,
                            Xapian::Query(outlet_term(q->outlet)));
    return out;
}
