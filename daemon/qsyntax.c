/*
 * qsyntax.c - query checks before QueryParser (API and the list of what
 * is detected in qsyntax.h; the language in doc/query.md).
 *
 * The scanner splits the query the way QueryParser's lexer does for the
 * parts that matter here (quotes, parentheses, whitespace, operators in
 * upper case, +/- before a word, field prefixes) and runs a small state
 * machine over the tokens.  It does not build a query: Xapian does that.
 * Whatever passes here and still fails to parse is caught by the shim.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "qsyntax.h"

/* Deeper nesting is refused: nobody writes it, and it bounds the stack. */
#define MAX_DEPTH 64

static bool
is_digits(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int
num(const char *s, size_t len)
{
    int n = 0;

    for (size_t i = 0; i < len; i++)
        n = n * 10 + (s[i] - '0');
    return n;
}

bool
qsyntax_is_date(const char *s, size_t len)
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    int year, month, day;

    if (len != 4 && len != 7 && len != 10)
        return false;
    if (!is_digits(s, 4))
        return false;
    if (len == 4)
        return true;
    if (s[4] != '-' || !is_digits(s + 5, 2))
        return false;
    month = num(s + 5, 2);
    if (month < 1 || month > 12)
        return false;
    if (len == 7)
        return true;
    if (s[7] != '-' || !is_digits(s + 8, 2))
        return false;
    year = num(s, 4);
    day = num(s + 8, 2);
    if (day < 1 || day > mdays[month - 1])
        return false;
    if (month == 2 && day == 29 &&
        !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
        return false;
    return true;
}

/* Characters (code points) in q[0..off): every byte but UTF-8
 * continuation bytes starts one. */
static size_t
char_offset(const char *q, size_t off)
{
    size_t n = 0;

    for (size_t i = 0; i < off; i++)
        if (((unsigned char)q[i] & 0xc0) != 0x80)
            n++;
    return n;
}

struct scan {
    const char *q;
    size_t len;
    struct qsyntax_error *err;
};

__attribute__((format(printf, 3, 4))) static int
fail(struct scan *s, size_t byte_off, const char *fmt, ...)
{
    va_list ap;
    size_t pos = char_offset(s->q, byte_off);
    int n = 0;

    if (s->err == NULL)
        return -1;
    s->err->pos = pos;
    va_start(ap, fmt);
    n = vsnprintf(s->err->message, sizeof s->err->message, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof s->err->message)
        snprintf(s->err->message + n, sizeof s->err->message - (size_t)n,
                 " (at position %zu)", pos);
    return -1;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

/* Where a word ends: QueryParser ends one at these too. */
static bool
ends_word(char c)
{
    return is_space(c) || c == '(' || c == ')' || c == '"';
}

/* Whether w is one term to QueryParser: word characters and
 * apostrophes only ("don't"; "u.s" and "a-b" are phrases). */
static bool
is_one_term(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '\'' || c >= 0x80))
            return false;
    }
    return n > 0;
}

/* Whether QueryParser makes a term from anything in w: letters and
 * digits (any non-ASCII byte counts, as most of Unicode is letters),
 * '_'.  A token of punctuation alone ("&", "'") is skipped by it. */
static bool
has_word_char(const char *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '_' || c >= 0x80)
            return true;
    }
    return false;
}

static bool
word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(w, lit, n) == 0;
}

enum op_kind { OP_NONE = 0, OP_BINARY, OP_NEAR, OP_NOT };

/* What operator the word w (n bytes) is, if any; -1 after an error. */
static int
op_kind(struct scan *s, const char *w, size_t n, enum op_kind *out)
{
    size_t plen = 0;

    *out = OP_NONE;
    if (word_is(w, n, "AND") || word_is(w, n, "OR") || word_is(w, n, "XOR"))
        *out = OP_BINARY;
    else if (word_is(w, n, "NOT"))
        *out = OP_NOT;
    else if (word_is(w, n, "NEAR") || word_is(w, n, "ADJ"))
        *out = OP_NEAR;
    else if (n >= 5 && memcmp(w, "NEAR/", 5) == 0)
        plen = 5;
    else if (n >= 4 && memcmp(w, "ADJ/", 4) == 0)
        plen = 4;
    if (plen == 0)
        return 0;
    if (n - plen < 1 || n - plen > 3 || !is_digits(w + plen, n - plen) ||
        num(w + plen, n - plen) < 1)
        return fail(s, (size_t)(w - s->q),
                    "%.*s needs a distance from 1 to 999 after the /",
                    (int)plen - 1, w);
    *out = OP_NEAR;
    return 0;
}

/* Fields of the query language (xap_impl.h PREFIXES, lang: and date:). */
static const char *const FIELDS[] = {
    "title", "author", "outlet", "place", "keyword", "lang", "date",
};

/* The field w[0..n) starts with ("name:"), or NULL. */
static const char *
field_of(const char *w, size_t n, size_t *flen_out)
{
    for (size_t i = 0; i < sizeof FIELDS / sizeof FIELDS[0]; i++) {
        size_t fl = strlen(FIELDS[i]);

        if (n > fl && memcmp(w, FIELDS[i], fl) == 0 && w[fl] == ':') {
            *flen_out = fl + 1;
            return FIELDS[i];
        }
    }
    return NULL;
}

/* A date: value (v, n bytes): DATE, DATE..DATE, DATE.. or ..DATE. */
static int
check_date(struct scan *s, const char *v, size_t n)
{
    const char *dots = NULL;
    size_t off = (size_t)(v - s->q);

    for (size_t i = 0; i + 1 < n; i++)
        if (v[i] == '.' && v[i + 1] == '.') {
            dots = v + i;
            break;
        }
    if (dots == NULL) {
        if (!qsyntax_is_date(v, n))
            return fail(s, off,
                        "date:%.*s is not a date (YYYY, YYYY-MM or "
                        "YYYY-MM-DD) or a range DATE..DATE", (int)n, v);
        return 0;
    }
    size_t blen = (size_t)(dots - v);
    const char *e = dots + 2;
    size_t elen = n - blen - 2;

    if (blen == 0 && elen == 0)
        return fail(s, off, "date:.. needs a date on at least one side");
    if (blen > 0 && !qsyntax_is_date(v, blen))
        return fail(s, off, "%.*s is not a date (YYYY, YYYY-MM or "
                    "YYYY-MM-DD)", (int)blen, v);
    if (elen > 0 && !qsyntax_is_date(e, elen))
        return fail(s, (size_t)(e - s->q), "%.*s is not a date (YYYY, "
                    "YYYY-MM or YYYY-MM-DD)", (int)elen, e);
    if (blen > 0 && elen > 0) {
        /* A partial end covers its whole period, so only a difference
         * within the common length reverses the range. */
        size_t m = blen < elen ? blen : elen;
        if (memcmp(v, e, m) > 0)
            return fail(s, off, "the range date:%.*s starts after it ends",
                        (int)n, v);
    }
    return 0;
}

enum prev { P_START, P_OPERAND, P_BINARY, P_NEAR, P_NOT, P_LPAREN };

/*
 * A run: operands side by side, between operators and parentheses.
 * QueryParser cannot read a run of only -words ("-oil", "x OR -gas",
 * "(-gas)"): nothing to leave them out of.  Right after AND it can
 * ("x AND -gas" is "x AND NOT gas").
 */
struct run {
    size_t n_plus, n_minus;
    size_t first_minus;       /* byte offset of its first -word */
    bool is_after_and;
    bool is_near_chain;       /* a NEAR b [NEAR c ...]: nothing beside it */
};

struct state {
    enum prev prev;
    size_t prev_off;          /* byte offset of the previous token */
    size_t prev_len;
    bool is_prev_word;        /* the previous operand is one plain word */
    size_t opens[MAX_DEPTH];  /* byte offsets of the open '(' */
    size_t depth;
    size_t n_operands;        /* at any depth */
    struct run runs[MAX_DEPTH + 1];  /* the current run at each depth */
};

static int
end_run(struct scan *s, struct state *st)
{
    struct run *r = &st->runs[st->depth];

    if (r->n_minus > 0 && r->n_plus == 0 && !r->is_after_and)
        return fail(s, r->first_minus, "only -words here: nothing to "
                    "leave them out of (write NOT word to match every "
                    "document without it)");
    memset(r, 0, sizeof *r);
    return 0;
}

/* An operand starts at off: a word, a phrase or a '('. */
static int
operand(struct scan *s, struct state *st, size_t off, char sign,
        bool is_word)
{
    if (st->prev == P_NEAR && (!is_word || sign != 0))
        return fail(s, off, "%.*s needs a single word after it",
                    (int)st->prev_len, s->q + st->prev_off);
    if (sign == '-' &&
        (st->prev == P_NOT ||
         (st->prev == P_BINARY &&
          !word_is(s->q + st->prev_off, st->prev_len, "AND"))))
        return fail(s, off, "a -word cannot follow %.*s (write NOT word, "
                    "or AND -word)", (int)st->prev_len,
                    s->q + st->prev_off);
    st->n_operands++;
    struct run *r = &st->runs[st->depth];
    if (r->is_near_chain && st->prev == P_OPERAND)
        return fail(s, off, "NEAR and ADJ join single words only: put them "
                    "in parentheses to add more");
    if (sign == '-') {
        if (r->n_minus++ == 0)
            r->first_minus = off;
    } else {
        r->n_plus++;
    }
    return 0;
}

static int
open_paren(struct scan *s, struct state *st, size_t off, char sign)
{
    if (operand(s, st, off, sign, false) != 0)
        return -1;
    if (st->depth == MAX_DEPTH)
        return fail(s, off, "parentheses nested deeper than %d",
                    MAX_DEPTH);
    st->opens[st->depth++] = off;
    memset(&st->runs[st->depth], 0, sizeof st->runs[st->depth]);
    st->prev = P_LPAREN;
    st->prev_off = off;
    st->prev_len = 1;
    return 0;
}

/* An operator that needs something after it is still waiting. */
static int
dangling(struct scan *s, const struct state *st)
{
    return fail(s, st->prev_off, "%.*s has nothing after it",
                (int)st->prev_len, s->q + st->prev_off);
}

static int
close_paren(struct scan *s, struct state *st, size_t off)
{
    if (st->depth == 0)
        return fail(s, off, "')' has no '(' before it");
    if (st->prev == P_LPAREN)
        return fail(s, st->prev_off, "empty parentheses");
    if (st->prev == P_BINARY || st->prev == P_NEAR || st->prev == P_NOT)
        return dangling(s, st);
    if (end_run(s, st) != 0)
        return -1;
    st->depth--;
    st->prev = P_OPERAND;
    st->is_prev_word = false;
    return 0;
}

static int
operator(struct scan *s, struct state *st, enum op_kind k, size_t off,
         size_t n)
{
    const char *w = s->q + off;

    struct run *r = &st->runs[st->depth];

    if (off + n < s->len && s->q[off + n] == '(')
        return fail(s, off, "%.*s needs a space before the '(' (else it "
                    "is a word)", (int)n, w);
    if (k == OP_NEAR && st->prev == P_OPERAND && !r->is_near_chain &&
        r->n_plus + r->n_minus != 1)
        return fail(s, off, "%.*s joins single words only: put it in "
                    "parentheses to add more", (int)n, w);
    if (k == OP_NEAR) {
        r->is_near_chain = true;
    } else {
        if (end_run(s, st) != 0)
            return -1;
        r->is_after_and = word_is(w, n, "AND");
    }
    if (k == OP_NOT) {
        /* NOT is binary after an operand; it may also start a query or
         * a group, or follow AND or OR ("a AND NOT b"). */
        if (st->prev == P_NOT || st->prev == P_NEAR)
            return fail(s, off, "NOT right after %.*s",
                        (int)st->prev_len, s->q + st->prev_off);
        if (st->prev == P_BINARY && !word_is(s->q + st->prev_off,
                                             st->prev_len, "AND") &&
            !word_is(s->q + st->prev_off, st->prev_len, "OR"))
            return fail(s, off, "NOT right after %.*s",
                        (int)st->prev_len, s->q + st->prev_off);
        st->prev = P_NOT;
    } else {
        if (st->prev != P_OPERAND) {
            if (st->prev == P_START || st->prev == P_LPAREN)
                return fail(s, off, "%.*s has nothing before it", (int)n,
                            w);
            return fail(s, off, "%.*s right after %.*s", (int)n, w,
                        (int)st->prev_len, s->q + st->prev_off);
        }
        if (k == OP_NEAR && !st->is_prev_word)
            return fail(s, off, "%.*s needs a single word before it",
                        (int)n, w);
        st->prev = k == OP_NEAR ? P_NEAR : P_BINARY;
    }
    st->prev_off = off;
    st->prev_len = n;
    return 0;
}

/* A phrase from the '"' at *i; *i ends past the closing quote. */
static int
phrase(struct scan *s, size_t *i)
{
    size_t open = *i, j = open + 1;

    while (j < s->len && s->q[j] != '"')
        j++;
    if (j == s->len)
        return fail(s, open, "the '\"' is never closed");
    bool is_empty = true;
    for (size_t k = open + 1; k < j; k++)
        if (!is_space(s->q[k]))
            is_empty = false;
    if (is_empty)
        return fail(s, open, "empty phrase");
    *i = j + 1;
    return 0;
}

/* A word (or field:value, or operator) from *i; *i ends past it. */
static int
word(struct scan *s, struct state *st, size_t *i)
{
    size_t start = *i, j = *i;
    char sign = 0;

    if (s->q[j] == '+' || s->q[j] == '-') {
        sign = s->q[j];
        j++;
        if (j == s->len || is_space(s->q[j]) || s->q[j] == ')')
            return fail(s, start, "'%c' must stand right before a word, "
                        "a phrase or a '('", sign);
        if (s->q[j] == '(') {
            *i = j + 1;
            return open_paren(s, st, start, sign);
        }
        if (s->q[j] == '"') {
            if (operand(s, st, start, sign, false) != 0)
                return -1;
            *i = j;
            if (phrase(s, i) != 0)
                return -1;
            st->prev = P_OPERAND;
            st->is_prev_word = false;
            return 0;
        }
    }
    size_t ws = j;
    while (j < s->len && !ends_word(s->q[j]))
        j++;
    const char *w = s->q + ws;
    size_t n = j - ws;
    *i = j;

    enum op_kind k;
    if (op_kind(s, w, n, &k) != 0)
        return -1;
    if (k != OP_NONE && sign != 0)
        return fail(s, start, "'%c' must stand right before a word, "
                    "a phrase or a '(', not an operator", sign);
    if (k != OP_NONE)
        return operator(s, st, k, start, n);

    size_t flen = 0;
    const char *field = field_of(w, n, &flen);
    if (field == NULL && n > 0 && w[n - 1] == ':') {
        /* "title:" followed by a quote or '(' is the field on a phrase
         * or group; field_of wants a value after the colon. */
        for (size_t f = 0; f < sizeof FIELDS / sizeof FIELDS[0]; f++)
            if (word_is(w, n - 1, FIELDS[f]))
                field = FIELDS[f];
        flen = n;
    }
    bool is_boolean = field != NULL &&
                      (strcmp(field, "date") == 0 ||
                       strcmp(field, "lang") == 0);
    if (field != NULL && flen == n) {
        char next = j < s->len ? s->q[j] : '\0';
        if (next == '"' && !is_boolean) {
            if (operand(s, st, start, sign, false) != 0)
                return -1;
            if (phrase(s, i) != 0)
                return -1;
            st->prev = P_OPERAND;
            st->is_prev_word = false;
            return 0;
        }
        if (next == '(' && !is_boolean) {
            *i = j + 1;
            return open_paren(s, st, start, sign);
        }
        return fail(s, start, "%s: needs %s right after it", field,
                    is_boolean ? "a value" : "a word or a phrase");
    }
    if (field != NULL && strcmp(field, "date") == 0 &&
        check_date(s, w + flen, n - flen) != 0)
        return -1;
    bool has_star = n > 0 && w[n - 1] == '*';
    if (has_star && n - flen == 1)
        return fail(s, ws + n - 1, "'*' needs the start of a word before it");
    if (field == NULL && !has_word_char(w, n))
        return 0;   /* punctuation alone: QueryParser skips it too */
    bool is_word = !has_star && sign == 0 && !is_boolean &&
                   is_one_term(w + flen, n - flen);
    if (operand(s, st, start, sign, is_word) != 0)
        return -1;
    st->prev = P_OPERAND;
    st->is_prev_word = is_word;
    st->prev_off = start;
    st->prev_len = j - start;
    return 0;
}

int
qsyntax_check(const char *q, size_t len, struct qsyntax_error *err)
{
    struct scan s = {.q = q, .len = len, .err = err};
    struct state st = {.prev = P_START};
    size_t i = 0;

    while (i < len) {
        char c = q[i];

        if (is_space(c)) {
            i++;
        } else if (c == '(') {
            if (open_paren(&s, &st, i, 0) != 0)
                return -1;
            i++;
        } else if (c == ')') {
            if (close_paren(&s, &st, i) != 0)
                return -1;
            i++;
        } else if (c == '"') {
            if (operand(&s, &st, i, 0, false) != 0 || phrase(&s, &i) != 0)
                return -1;
            st.prev = P_OPERAND;
            st.is_prev_word = false;
        } else if (word(&s, &st, &i) != 0) {
            return -1;
        }
    }
    if (st.depth > 0)
        return fail(&s, st.opens[st.depth - 1], "the '(' is never closed");
    if (st.prev == P_BINARY || st.prev == P_NEAR || st.prev == P_NOT)
        return dangling(&s, &st);
    if (st.n_operands == 0)
        return fail(&s, 0, "no words to search for");
    return end_run(&s, &st);
}
