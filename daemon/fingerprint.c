/*
 * fingerprint.c - exact and near-copy fingerprints of article text
 * (fingerprint.h).
 *
 * The text is read as a stream of words: runs of letters and digits
 * (UTF-8 decoded; ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic
 * capitals folded to lower case), broken by spaces, punctuation and
 * symbols; each CJK ideograph, kana or Hangul syllable is a word of its
 * own, since those scripts put no spaces between words.  So the same
 * story with other line breaks, quote marks or capitals reads as the
 * same words.  Both fingerprints are functions of that word stream only.
 */
#include "config.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "fingerprint.h"
#include "util.h"

/* The state of one pass over a text. */
struct fp_state {
    XXH3_state_t *xs;           /* owned: the running XXH3-128 */
    int32_t votes[64];          /* per bit: shingles with it set, minus
                                 * shingles with it clear */
    uint64_t ring[FINGERPRINT_SHINGLE]; /* hashes of the last words */
    uint64_t words;
    uint64_t shingles;
    char word[FINGERPRINT_MAX_WORD];    /* the word being read, folded */
    size_t wlen;
};

/* Seeds keep the three uses of XXH3 apart. */
#define SEED_WORD 0x5eedf1a9e0000001ull
#define SEED_SHINGLE 0x5eedf1a9e0000002ull

enum cp_class {
    CP_BREAK = 0,   /* ends a word */
    CP_WORD,        /* part of a word */
    CP_SOLO         /* a word by itself (CJK) */
};

static enum cp_class
classify(uint32_t cp)
{
    if (cp < 0x80) {
        if ((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
            (cp >= 'A' && cp <= 'Z'))
            return CP_WORD;
        return CP_BREAK;
    }
    /* C1 controls, Latin-1 punctuation and symbols (NBSP, pound, ...),
     * and the multiplication and division signs. */
    if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7)
        return CP_BREAK;
    /* General punctuation (dashes, curly quotes, zero-width spaces),
     * super/subscripts, currency, letterlike and number forms, arrows,
     * mathematical, technical and box symbols, dingbats. */
    if (cp >= 0x2000 && cp <= 0x2BFF)
        return CP_BREAK;
    /* CJK symbols and punctuation; variation selectors, half/full-width
     * punctuation, BOM, specials. */
    if ((cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xFE00 && cp <= 0xFE6F) ||
        (cp >= 0xFF00 && cp <= 0xFF0F) || (cp >= 0xFF1A && cp <= 0xFF20) ||
        cp == 0xFEFF || (cp >= 0xFFF0 && cp <= 0xFFFF))
        return CP_BREAK;
    /* Kana, CJK ideographs (and extension A), Hangul syllables,
     * compatibility ideographs, the supplementary ideographic planes. */
    if ((cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x9FFF) ||
        (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0x20000 && cp <= 0x3FFFF))
        return CP_SOLO;
    return CP_WORD;
}

/* Lower case for the scripts news in European languages mostly uses;
 * other code points stay as they are (still deterministic). */
static uint32_t
fold(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z')
        return cp + 0x20;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
        return cp + 0x20;
    /* Latin Extended-A pairs capital, small: even/odd, then odd/even
     * from U+0139 to U+0148 and from U+0179 to U+017E. */
    if (cp >= 0x100 && cp <= 0x137)
        return cp | 1;
    if ((cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E))
        return (cp & 1) ? cp + 1 : cp;
    if (cp >= 0x14A && cp <= 0x177)
        return cp | 1;
    if (cp >= 0x391 && cp <= 0x3AB && cp != 0x3A2)
        return cp + 0x20;               /* Greek */
    if (cp >= 0x410 && cp <= 0x42F)
        return cp + 0x20;               /* Cyrillic */
    if (cp >= 0x400 && cp <= 0x40F)
        return cp + 0x50;
    return cp;
}

/*
 * Decode the UTF-8 sequence at s (n > 0 bytes left) into *cp_out and
 * return its length, or 0 when it is not valid UTF-8 (truncated, an
 * overlong form, a surrogate, past U+10FFFF, a stray continuation byte).
 */
static size_t
utf8_next(const unsigned char *s, size_t n, uint32_t *cp_out)
{
    uint32_t cp, min;
    size_t len;

    if (s[0] < 0x80) {
        *cp_out = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2, cp = s[0] & 0x1F, min = 0x80;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3, cp = s[0] & 0x0F, min = 0x800;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4, cp = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    *cp_out = cp;
    return len;
}

/* Append cp to the word, as UTF-8, unless the word is full. */
static void
word_put(struct fp_state *st, uint32_t cp)
{
    char u[4];
    size_t n;

    n = utf8_encode((uint32_t)cp, u);
    /* A long word keeps its first FINGERPRINT_MAX_WORD bytes, whole
     * characters only. */
    if (st->wlen + n > sizeof st->word)
        return;
    memcpy(st->word + st->wlen, u, n);
    st->wlen += n;
}

/* One more shingle: every bit of its hash votes. */
static void
add_shingle(struct fp_state *st)
{
    unsigned char b[8 * FINGERPRINT_SHINGLE];
    uint64_t h;

    /* Oldest word first, little-endian on every host. */
    for (size_t i = 0; i < FINGERPRINT_SHINGLE; i++) {
        uint64_t w = st->ring[(st->words + i) % FINGERPRINT_SHINGLE];

        for (size_t k = 0; k < 8; k++)
            b[8 * i + k] = (unsigned char)(w >> (8 * k));
    }
    h = XXH3_64bits_withSeed(b, sizeof b, SEED_SHINGLE);
    for (unsigned bit = 0; bit < 64; bit++)
        st->votes[bit] += (int32_t)((h >> bit) & 1) * 2 - 1;
    st->shingles++;
}

/* The word being read is complete. */
static void
word_end(struct fp_state *st)
{
    if (st->wlen == 0)
        return;
    /* Words are joined by a space, which no word holds. */
    XXH3_128bits_update(st->xs, st->word, st->wlen);
    XXH3_128bits_update(st->xs, " ", 1);
    st->ring[st->words % FINGERPRINT_SHINGLE] =
        XXH3_64bits_withSeed(st->word, st->wlen, SEED_WORD);
    st->words++;
    st->wlen = 0;
    if (st->words >= FINGERPRINT_SHINGLE)
        add_shingle(st);
}

static void
feed(struct fp_state *st, const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;

    while (i < len) {
        uint32_t cp;
        size_t n = utf8_next(s + i, len - i, &cp);

        if (n == 0) {
            word_end(st);       /* an invalid byte breaks words */
            i++;
            continue;
        }
        i += n;
        switch (classify(cp)) {
        case CP_WORD:
            word_put(st, fold(cp));
            break;
        case CP_SOLO:
            word_end(st);
            word_put(st, cp);
            word_end(st);
            break;
        case CP_BREAK:
            word_end(st);
            break;
        }
    }
    word_end(st);
}

void
fingerprint_texts(const char *const *texts, const size_t *lens, size_t n,
                  struct fingerprint *out)
{
    struct fp_state st;
    XXH128_canonical_t canon;

    assert(out != NULL && (n == 0 || (texts != NULL && lens != NULL)));
    memset(&st, 0, sizeof st);
    memset(out, 0, sizeof *out);
    st.xs = XXH3_createState();
    if (st.xs == NULL)
        abort();                /* as xmalloc: a few hundred bytes */
    XXH3_128bits_reset(st.xs);
    for (size_t i = 0; i < n; i++)
        if (texts[i] != NULL)
            feed(&st, texts[i], lens[i]);
    out->words = st.words;
    if (st.words > 0) {
        out->has_hash = true;
        XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(st.xs));
        memcpy(out->hash, canon.digest, sizeof out->hash);
    }
    if (st.shingles >= FINGERPRINT_MIN_SHINGLES) {
        out->has_simhash = true;
        for (unsigned bit = 0; bit < 64; bit++)
            if (st.votes[bit] > 0)
                out->simhash |= (uint64_t)1 << bit;
    }
    XXH3_freeState(st.xs);
}

void
fingerprint_text(const char *text, size_t len, struct fingerprint *out)
{
    fingerprint_texts(&text, &len, 1, out);
}

void
fingerprint_doc(const struct doc *d, struct fingerprint *out)
{
    size_t n = 1 + d->summary.n + d->body.n, k = 0;
    const char **texts = xmalloc(n * sizeof *texts);
    size_t *lens = xmalloc(n * sizeof *lens);

    texts[k] = d->title;
    lens[k++] = d->title != NULL ? strlen(d->title) : 0;
    for (size_t i = 0; i < d->summary.n; i++) {
        texts[k] = d->summary.v[i];
        lens[k++] = strlen(d->summary.v[i]);
    }
    for (size_t i = 0; i < d->body.n; i++) {
        texts[k] = d->body.v[i];
        lens[k++] = strlen(d->body.v[i]);
    }
    fingerprint_texts(texts, lens, k, out);
    free(texts);
    free(lens);
}

unsigned
fingerprint_distance(uint64_t a, uint64_t b)
{
    return (unsigned)__builtin_popcountll(a ^ b);
}

bool
fingerprint_is_near(uint64_t a, uint64_t b)
{
    return fingerprint_distance(a, b) <= FINGERPRINT_NEAR_BITS;
}
