/*
 * fingerprint.h - fingerprints of an article's text, computed when it is
 * indexed, that let a search show copies of one story once: the same
 * file saved twice, or one wire story carried by several outlets.
 *
 * Two fingerprints come from the same pass over the words of the title,
 * summary and body (captions, byline, outlet, date and path are left out:
 * they are what differs between copies):
 *
 *   hash      XXH3-128 of the normalised words: equal exactly when the
 *             texts have the same words in the same order (case, accents
 *             of upper-case Latin letters, punctuation and spacing do not
 *             count).  Exact copies.
 *   simhash   a 64-bit Charikar simhash of the word shingles (runs of
 *             FINGERPRINT_SHINGLE words): texts that share most of their
 *             shingles get fingerprints a few bits apart, unrelated texts
 *             about 32 bits apart.  Near copies: within
 *             FINGERPRINT_NEAR_BITS.
 *
 * Each document's fingerprints depend on its own text only, so every
 * shard's writer computes them alone; finding which documents are copies
 * of which happens when searching (xap_search.cc, doc/design.md).
 *
 * Pure functions: no I/O, no global state, thread-safe.
 */
#ifndef SEARCHD_FINGERPRINT_H
#define SEARCHD_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doc.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Words per shingle. */
#define FINGERPRINT_SHINGLE 3
/* Texts with fewer shingles than this get no simhash: a few words say
 * too little to call two texts near copies. */
#define FINGERPRINT_MIN_SHINGLES 8
/* Simhashes at most this many bits apart are near copies. */
#define FINGERPRINT_NEAR_BITS 10
/* Bytes of a word that count; the rest of a longer one is ignored. */
#define FINGERPRINT_MAX_WORD 64

struct fingerprint {
    uint64_t words;         /* words read */
    bool has_hash;          /* at least one word */
    uint8_t hash[16];       /* XXH3-128, big-endian; zero without words */
    bool has_simhash;       /* at least FINGERPRINT_MIN_SHINGLES shingles */
    uint64_t simhash;       /* zero without has_simhash */
};

/*
 * Fingerprint the n texts (texts[i] is lens[i] bytes, need not be
 * NUL-terminated; both arrays borrowed for the call) read as one text,
 * each text ending a word.  Any bytes are accepted: invalid UTF-8 counts
 * as a word break.  Fills *out.
 */
void fingerprint_texts(const char *const *texts, const size_t *lens,
                       size_t n, struct fingerprint *out);

/* One text of len bytes. */
void fingerprint_text(const char *text, size_t len, struct fingerprint *out);

/* The title, summary bullets and body paragraphs of d (borrowed), in
 * that order. */
void fingerprint_doc(const struct doc *d, struct fingerprint *out);

/* Bits in which two simhashes differ, 0..64. */
unsigned fingerprint_distance(uint64_t a, uint64_t b);

/* Whether two simhashes are near copies (FINGERPRINT_NEAR_BITS). */
bool fingerprint_is_near(uint64_t a, uint64_t b);

#ifdef __cplusplus
}
#endif

#endif /* SEARCHD_FINGERPRINT_H */
