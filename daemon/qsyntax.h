/*
 * qsyntax.h - the checks searchd makes on a query string before Xapian's
 * QueryParser sees it (doc/query.md).  Pure C, no Xapian: shared by the
 * shim (xap_search.cc), the request parser ("since", "until") and tests.
 *
 * Why: QueryParser quietly reparses a query it cannot parse as plain words
 * ("(oil AND" becomes the words "oil" and "and"), and its errors carry no
 * position.  qsyntax finds what would be misread, with the character it
 * is at, so the user gets an error instead of a different query.
 */
#ifndef SEARCHD_QSYNTAX_H
#define SEARCHD_QSYNTAX_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest date text: "YYYY-MM-DD". */
#define QSYNTAX_DATE_MAX 10

/*
 * True when s[0..len) is a date of the query language: YYYY, YYYY-MM or
 * YYYY-MM-DD (month 01-12, day valid for the month, leap years
 * included).  A partial date stands for the whole year or month.
 */
bool qsyntax_is_date(const char *s, size_t len);

/* A problem found in a query. */
struct qsyntax_error {
    size_t pos;          /* 0-based character (code point) offset */
    char message[200];   /* says what is wrong, with the position */
};

/*
 * Check q (len bytes of UTF-8; need not be NUL-terminated).  Returns 0
 * when none of the problems below is there, else -1 with *err filled
 * (err may be NULL).  Detected (each at the character named):
 *   an unclosed '"' (the quote); an empty phrase "" (its first quote);
 *   a ')' with no '(' (it); an unclosed '(' (the innermost one); "()";
 *   an operator (AND OR NOT XOR NEAR ADJ, NEAR/n, ADJ/n) with no operand
 *   before or after it, two in a row (NOT may follow AND or OR), or
 *   glued to a '(' ("AND(" is a word to QueryParser); NEAR/ADJ next to
 *   anything but a single plain word, or with other words beside the
 *   chain; NEAR/ or ADJ/ without a number 1-999; a lone '+' or '-', or
 *   one before an operator; a run of only -words (at the top, in a
 *   group, or after OR/XOR/NOT: only AND -word is allowed); a '*' with
 *   nothing before it; a field prefix (title: author: outlet: place:
 *   keyword: lang: date:) with nothing after it; a date: value that is
 *   not a date or range (DATE, DATE..DATE, DATE.., ..DATE) or a range
 *   whose start is after its end; no words at all (punctuation alone is
 *   skipped, as QueryParser does).
 */
int qsyntax_check(const char *q, size_t len, struct qsyntax_error *err);

#ifdef __cplusplus
}
#endif

#endif /* SEARCHD_QSYNTAX_H */
