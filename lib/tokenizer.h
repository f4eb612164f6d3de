/*
 * tokenizer: the "kwtok" FTS5 tokenizer, Korean first.  Latin words are
 * lowercased and folded to ASCII, identifiers (pg_stat_activity, 3.40.1)
 * are indexed whole and by part, and Hangul or CJK runs become overlapping
 * syllable bigrams so that any substring of two or more syllables matches
 * with no dictionary (particles included).  Layer: lib/, depends on sqlite3
 * (the FTS5 API) and html.h's UTF-8 helper; never on microhttpd.h.  The
 * folding and classification helpers are exported so that query.c
 * normalises text exactly as the index does.
 */
#ifndef KW_TOKENIZER_H
#define KW_TOKENIZER_H

#include <stddef.h>

#include <sqlite3.h>

/* The name to use in `tokenize = 'porter kwtok'`. */
#define TOKENIZER_NAME "kwtok"

/* With `tokenize = 'porter kwtok sections'` (the document-level index,
 * docindex.h) the byte TOKENIZER_SECTION_BREAK in a document is a token of
 * its own, at a position of its own: the boundary between two sections.
 * No query stream ever holds it, so a phrase cannot match across it.  In
 * tokenizer_tokenize() the same is asked for with TOKENIZER_SECTIONS in
 * flags (a bit FTS5 does not use). */
#define TOKENIZER_SECTION_BREAK '\x1e'
#define TOKENIZER_SECTIONS 0x10000

/* Longest token emitted, in bytes.  A longer Latin word or identifier is
 * cut to its first 64 bytes (after folding) and the rest of it is not
 * indexed: such words are hashes and base64, not something people type.
 * 64 is also the longest token FTS5's porter stemmer will stem. */
#define TOKENIZER_MAX_TOKEN 64
/* Most parts of one identifier indexed beside the whole (document side). */
#define TOKENIZER_MAX_PARTS 16

/* What tokenizer_decode() stores for a byte that is not valid UTF-8. */
#define TOKENIZER_INVALID 0xffffffffUL

enum tokenizer_class {
    TOKENIZER_SEP = 0, /* separates tokens: punctuation, space, invalid */
    TOKENIZER_WORD,    /* Latin letter (Latin-1, Extended-A), digit, '_' */
    TOKENIZER_HANGUL,  /* Hangul syllable U+AC00..U+D7A3 */
    TOKENIZER_CJK      /* CJK ideograph U+3400..U+4DBF, U+4E00..U+9FFF */
};

/* Register "kwtok" on db (needed on every connection, before any table
 * using it is opened).  db is borrowed.  Returns SQLITE_OK, SQLITE_ERROR
 * when the library has no FTS5, or another SQLite error code. */
int tokenizer_register(sqlite3 *db);

/* db's FTS5 API (borrowed, lives as long as db), or NULL when the library
 * has no FTS5 (or one older than API version 2). */
fts5_api *tokenizer_fts5_api(sqlite3 *db);

/* The tokenizer itself, usable without SQLite (query.c, tests).  flags are
 * FTS5_TOKENIZE_* values: with FTS5_TOKENIZE_QUERY the query stream is
 * produced, otherwise the document stream.  emit is called like FTS5's
 * xToken with ctx, tflags (0 or FTS5_TOKEN_COLOCATED), a token (borrowed,
 * valid during the call only, not NUL-terminated), its length and the
 * byte offsets of its source in text.  text is borrowed and read only
 * within [0, n).  Returns SQLITE_OK, the first non-OK value emit returned,
 * or SQLITE_TOOBIG when n does not fit FTS5's int offsets. */
int tokenizer_tokenize(const char *text, size_t n, int flags, void *ctx,
                       int (*emit)(void *ctx, int tflags, const char *tok,
                                   int ntok, int start, int end));

/* Decode the character at s (n > 0 bytes available, borrowed): stores the
 * code point in *cp, or TOKENIZER_INVALID for a byte that does not start a
 * valid sequence, and returns the bytes consumed (1..4; 0 when n == 0). */
size_t tokenizer_decode(const char *s, size_t n, unsigned long *cp);

/* The class of a code point (TOKENIZER_INVALID is a separator). */
enum tokenizer_class tokenizer_class_of(unsigned long cp);

/* Fold a TOKENIZER_WORD code point the way the index does: lowercase ASCII
 * with diacritics removed (é -> e, ß -> ss, Æ -> ae).  Writes 1 or 2 bytes
 * to out (caller's buffer, not NUL-terminated) and returns their count;
 * returns 0 and writes nothing for any other code point. */
size_t tokenizer_fold(unsigned long cp, char out[2]);

#endif
