/*
 * tokenizer: the "kwtok" FTS5 tokenizer (see tokenizer.h for the rules).
 * Layer: lib/, depends on sqlite3's FTS5 API and html.h's UTF-8 check;
 * never on microhttpd.h.  A tokenizer object holds only its options, read
 * and never written after creation, and every call works on its own stack, so
 * one registration may be used by any number of connections in any number of
 * threads.
 *
 * Token positions are the subtle part.  A query word becomes an FTS5
 * phrase, and a phrase matches only when its tokens sit at consecutive
 * positions in the document, so each script unit must take exactly as many
 * positions in the document stream as in the query stream:
 *
 *   Latin word or identifier: one position.  Document: the whole
 *     (pg_stat_activity), then each part colocated (pg, stat, activity).
 *     Query: the whole only, so a query for the identifier is precise and
 *     a query for one part still finds it.
 *   Hangul/CJK run of m >= 2 syllables: m - 1 positions, one per bigram.
 *     Document: bigram k at position p + k with syllable k colocated; the
 *     whole run (3..21 syllables) colocated at p; the last syllable
 *     colocated with the last bigram.  Query: the bigrams only.
 *   A run of one syllable: one position, the syllable, in both streams.
 *
 * Giving the last syllable a position of its own would break any phrase
 * that continues past a run ("이미지 파일"): the query stream has no token
 * for it.  Colocating it with the last bigram keeps the streams aligned.
 */
#include "tokenizer.h"

#include <limits.h>
#include <string.h>

#include "alloc.h"
#include "html.h"

/* Hangul syllables and the CJK ideographs we handle are all three bytes
 * long in UTF-8, so syllable k of a run starts 3 * k bytes in. */
#define SYL_BYTES 3

/*
 * Latin-1 Supplement and Latin Extended-A letters (U+00C0..U+017F) folded
 * to lowercase ASCII.  "" marks the two non-letters × and ÷.  Ligatures
 * and letters without a plain base (Æ, ß, Þ, Œ, Ĳ) spell out, as German and
 * Nordic users type them on an ASCII keyboard.
 */
static const char fold_latin[0x180 - 0xc0][3] = {
    /* U+00C0 */ "a", "a", "a",  "a",  "a", "a", "ae", "c",
    /* U+00C8 */ "e", "e", "e",  "e",  "i", "i", "i",  "i",
    /* U+00D0 */ "d", "n", "o",  "o",  "o", "o", "o",  "",
    /* U+00D8 */ "o", "u", "u",  "u",  "u", "y", "th", "ss",
    /* U+00E0 */ "a", "a", "a",  "a",  "a", "a", "ae", "c",
    /* U+00E8 */ "e", "e", "e",  "e",  "i", "i", "i",  "i",
    /* U+00F0 */ "d", "n", "o",  "o",  "o", "o", "o",  "",
    /* U+00F8 */ "o", "u", "u",  "u",  "u", "y", "th", "y",
    /* U+0100 */ "a", "a", "a",  "a",  "a", "a", "c",  "c",
    /* U+0108 */ "c", "c", "c",  "c",  "c", "c", "d",  "d",
    /* U+0110 */ "d", "d", "e",  "e",  "e", "e", "e",  "e",
    /* U+0118 */ "e", "e", "e",  "e",  "g", "g", "g",  "g",
    /* U+0120 */ "g", "g", "g",  "g",  "h", "h", "h",  "h",
    /* U+0128 */ "i", "i", "i",  "i",  "i", "i", "i",  "i",
    /* U+0130 */ "i", "i", "ij", "ij", "j", "j", "k",  "k",
    /* U+0138 */ "k", "l", "l",  "l",  "l", "l", "l",  "l",
    /* U+0140 */ "l", "l", "l",  "n",  "n", "n", "n",  "n",
    /* U+0148 */ "n", "n", "n",  "n",  "o", "o", "o",  "o",
    /* U+0150 */ "o", "o", "oe", "oe", "r", "r", "r",  "r",
    /* U+0158 */ "r", "r", "s",  "s",  "s", "s", "s",  "s",
    /* U+0160 */ "s", "s", "t",  "t",  "t", "t", "t",  "t",
    /* U+0168 */ "u", "u", "u",  "u",  "u", "u", "u",  "u",
    /* U+0170 */ "u", "u", "u",  "u",  "w", "w", "y",  "y",
    /* U+0178 */ "y", "z", "z",  "z",  "z", "z", "z",  "s",
};

/* One tokenizing call: the input and where tokens go. */
struct tok_run {
    const char *text;
    size_t n;
    int query;
    int sections; /* document stream: TOKENIZER_SECTION_BREAK is a token */
    void *ctx;
    int (*emit)(void *ctx, int tflags, const char *tok, int ntok, int start,
                int end);
};

size_t
tokenizer_decode(const char *s, size_t n, unsigned long *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t len, i;
    unsigned long c;

    if (n == 0) {
        *cp = TOKENIZER_INVALID;
        return 0;
    }
    len = utf8_seq_len(p, n);
    if (len == 0) {
        *cp = TOKENIZER_INVALID;
        return 1;
    }
    /* utf8_seq_len() validated the lead and continuation bytes. */
    c = len == 1 ? p[0] : p[0] & (0x7fu >> len);
    for (i = 1; i < len; i++) {
        c = (c << 6) | (p[i] & 0x3fu);
    }
    *cp = c;
    return len;
}

enum tokenizer_class
tokenizer_class_of(unsigned long cp)
{
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
            (cp >= '0' && cp <= '9') || cp == '_') {
            return TOKENIZER_WORD;
        }
        return TOKENIZER_SEP;
    }
    if (cp >= 0xc0 && cp < 0x180) {
        return fold_latin[cp - 0xc0][0] != '\0' ? TOKENIZER_WORD
                                                : TOKENIZER_SEP;
    }
    if (cp >= 0xac00 && cp <= 0xd7a3) {
        return TOKENIZER_HANGUL;
    }
    if ((cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf)) {
        return TOKENIZER_CJK;
    }
    return TOKENIZER_SEP;
}

size_t
tokenizer_fold(unsigned long cp, char out[2])
{
    const char *f;

    if (tokenizer_class_of(cp) != TOKENIZER_WORD) {
        return 0;
    }
    if (cp < 0x80) {
        out[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp - 'A' + 'a' : cp);
        return 1;
    }
    f = fold_latin[cp - 0xc0];
    out[0] = f[0];
    if (f[1] == '\0') {
        return 1;
    }
    out[1] = f[1];
    return 2;
}

/* Hand one token to the caller's callback.  Offsets fit in int because
 * tokenizer_tokenize() refused longer input. */
static int
put(struct tok_run *tr, int colocated, size_t tok, size_t ntok, size_t start,
    size_t end)
{
    return tr->emit(tr->ctx, colocated ? FTS5_TOKEN_COLOCATED : 0,
                    tr->text + tok, (int)ntok, (int)start, (int)end);
}

/* Like put(), for a token held in a local buffer rather than in text. */
static int
put_buf(struct tok_run *tr, int colocated, const char *tok, size_t ntok,
        size_t start, size_t end)
{
    return tr->emit(tr->ctx, colocated ? FTS5_TOKEN_COLOCATED : 0, tok,
                    (int)ntok, (int)start, (int)end);
}

/* ASCII letters, digits and '_' (the ASCII TOKENIZER_WORD characters). */
static int
ascii_word(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_';
}

/* The class of the character at byte i, and its length in *len.  ASCII,
 * nearly all of an English page, takes the short way. */
static inline enum tokenizer_class
class_at(const struct tok_run *tr, size_t i, size_t *len, unsigned long *cp)
{
    unsigned char c = (unsigned char)tr->text[i];

    if (c < 0x80) {
        *len = 1;
        *cp = c;
        return ascii_word(c) ? TOKENIZER_WORD : TOKENIZER_SEP;
    }
    *len = tokenizer_decode(tr->text + i, tr->n - i, cp);
    return tokenizer_class_of(*cp);
}

/* Characters that join the parts of an identifier (and split it into
 * parts); '_' is also a word character on its own. */
static int
is_joiner(unsigned long cp)
{
    return cp == '_' || cp == '.' || cp == '-';
}

/*
 * The Latin word or identifier starting at byte i (a TOKENIZER_WORD
 * character).  '.' and '-' join only when a word character follows, so a
 * sentence's final period and a dash before a space stay separators.
 * Returns SQLITE_OK or the callback's error; *next gets the end of the
 * identifier.
 */
static int
scan_word(struct tok_run *tr, size_t i, size_t *next)
{
    char whole[TOKENIZER_MAX_TOKEN], part[TOKENIZER_MAX_TOKEN];
    size_t j = i, len, wlen = 0, plen = 0, pstart = i, nparts = 0, k;
    int joined = 0, wfull = 0, pfull = 0, rc;
    unsigned long cp;
    char f[2];

    /* Pass 1: find the end, fold the whole, count the parts. */
    while (j < tr->n) {
        enum tokenizer_class cls = class_at(tr, j, &len, &cp);

        if (cls != TOKENIZER_WORD) {
            size_t len2;
            unsigned long cp2;

            if ((cp != '.' && cp != '-') || j + 1 >= tr->n ||
                class_at(tr, j + 1, &len2, &cp2) != TOKENIZER_WORD) {
                break;
            }
            f[0] = (char)cp;
            k = 1;
        } else if (cp < 0x80) {
            f[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp - 'A' + 'a' : cp);
            k = 1;
        } else {
            k = tokenizer_fold(cp, f);
        }
        if (is_joiner(cp)) {
            joined = 1;
            plen = 0;
        } else if (plen++ == 0) {
            nparts++;
        }
        /* Truncate, never skip: the kept bytes stay a prefix. */
        wfull = wfull || wlen + k > sizeof(whole);
        if (!wfull) {
            memcpy(whole + wlen, f, k);
            wlen += k;
        }
        j += len;
    }
    *next = j;
    /* Nothing but underscores: no letter or digit to search for. */
    if (nparts == 0) {
        return SQLITE_OK;
    }
    rc = put_buf(tr, 0, whole, wlen, i, j);
    if (rc != SQLITE_OK || !joined || tr->query) {
        return rc;
    }

    /* Pass 2 (document side): each part, colocated with the whole. */
    nparts = 0;
    plen = 0;
    for (k = i; k <= j && nparts < TOKENIZER_MAX_PARTS; k += len) {
        size_t nf = 0;

        len = 1;
        cp = '_';
        if (k < j) {
            cp = (unsigned char)tr->text[k];
            if (cp >= 0x80) {
                len = tokenizer_decode(tr->text + k, j - k, &cp);
            }
        }
        if (!is_joiner(cp)) {
            nf = tokenizer_fold(cp, f);
            if (plen == 0) {
                pstart = k;
                pfull = 0;
            }
            pfull = pfull || plen + nf > sizeof(part);
            if (!pfull) {
                memcpy(part + plen, f, nf);
                plen += nf;
            }
            continue;
        }
        if (plen > 0) {
            rc = put_buf(tr, 1, part, plen, pstart, k);
            if (rc != SQLITE_OK) {
                return rc;
            }
            nparts++;
        }
        plen = 0;
    }
    return SQLITE_OK;
}

/*
 * The Hangul or CJK run starting at byte i, of class cls.  Positions as in
 * the header comment of this file.  *next gets the end of the run.
 */
static int
scan_run(struct tok_run *tr, size_t i, enum tokenizer_class cls, size_t *next)
{
    size_t j = i, len, m, k, a;
    unsigned long cp;
    int rc = SQLITE_OK;

    while (j < tr->n && class_at(tr, j, &len, &cp) == cls) {
        j += len;
    }
    *next = j;
    m = (j - i) / SYL_BYTES;
    if (m == 1) {
        return put(tr, 0, i, SYL_BYTES, i, j);
    }
    for (k = 0; k + 1 < m && rc == SQLITE_OK; k++) {
        a = i + k * SYL_BYTES;
        rc = put(tr, 0, a, 2 * SYL_BYTES, a, a + 2 * SYL_BYTES);
        if (tr->query || rc != SQLITE_OK) {
            continue;
        }
        rc = put(tr, 1, a, SYL_BYTES, a, a + SYL_BYTES);
        if (rc == SQLITE_OK && k == 0 && m > 2 &&
            j - i <= TOKENIZER_MAX_TOKEN) {
            rc = put(tr, 1, i, j - i, i, j);
        }
        if (rc == SQLITE_OK && k + 2 == m) {
            rc = put(tr, 1, a + SYL_BYTES, SYL_BYTES, a + SYL_BYTES,
                     a + 2 * SYL_BYTES);
        }
    }
    return rc;
}

int
tokenizer_tokenize(const char *text, size_t n, int flags, void *ctx,
                   int (*emit)(void *ctx, int tflags, const char *tok, int ntok,
                               int start, int end))
{
    struct tok_run tr;
    size_t i = 0, len, next;
    unsigned long cp;
    int rc = SQLITE_OK;

    if (n > INT_MAX) {
        return SQLITE_TOOBIG;
    }
    tr.text = text;
    tr.n = n;
    /* Prefix queries take the query stream too: a Hangul bigram is already
     * a substring match, and FTS5 marks the last token as the prefix. */
    tr.query = (flags & FTS5_TOKENIZE_QUERY) != 0;
    tr.sections = !tr.query && (flags & TOKENIZER_SECTIONS) != 0;
    tr.ctx = ctx;
    tr.emit = emit;
    while (i < n && rc == SQLITE_OK) {
        enum tokenizer_class cls = class_at(&tr, i, &len, &cp);

        switch (cls) {
        case TOKENIZER_WORD:
            rc = scan_word(&tr, i, &next);
            break;
        case TOKENIZER_HANGUL:
        case TOKENIZER_CJK:
            rc = scan_run(&tr, i, cls, &next);
            break;
        default:
            next = i + len;
            if (tr.sections && cp == (unsigned char)TOKENIZER_SECTION_BREAK) {
                rc = put(&tr, 0, i, 1, i, next);
            }
            break;
        }
        i = next;
    }
    return rc;
}

/* What one tokenizer object (one FTS5 table) was created with. */
struct kwtok {
    int sections; /* the "sections" option */
};

/* FTS5 xCreate: one option, "sections" (TOKENIZER_SECTION_BREAK is a
 * token).  Returns a new tokenizer object, freed by kwtok_delete(). */
static int
kwtok_create(void *unused, const char **argv, int argc, Fts5Tokenizer **out)
{
    struct kwtok *t;

    (void)unused;
    *out = NULL;
    if (argc > 1 || (argc == 1 && strcmp(argv[0], "sections") != 0)) {
        return SQLITE_ERROR;
    }
    t = kw_malloc(sizeof(*t));
    if (t == NULL) {
        return SQLITE_NOMEM;
    }
    t->sections = argc == 1;
    *out = (Fts5Tokenizer *)t;
    return SQLITE_OK;
}

/* FTS5 xDelete: frees what kwtok_create() returned. */
static void
kwtok_delete(Fts5Tokenizer *tok)
{
    kw_free(tok);
}

/* FTS5 xTokenize: text is borrowed from FTS5 for this call only. */
static int
kwtok_tokenize(Fts5Tokenizer *tok, void *ctx, int flags, const char *text,
               int n,
               int (*emit)(void *ctx, int tflags, const char *tok, int ntok,
                           int start, int end))
{
    if (text == NULL || n <= 0) {
        return SQLITE_OK;
    }
    if (((const struct kwtok *)tok)->sections) {
        flags |= TOKENIZER_SECTIONS;
    }
    return tokenizer_tokenize(text, (size_t)n, flags, ctx, emit);
}

fts5_api *
tokenizer_fts5_api(sqlite3 *db)
{
    static const char sql[] = "SELECT fts5(?1)";
    sqlite3_stmt *stmt = NULL;
    fts5_api *api = NULL;
    int rc;

    /* "no such function: fts5" when the library lacks FTS5. */
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        return NULL;
    }
    rc = sqlite3_bind_pointer(stmt, 1, &api, "fts5_api_ptr", NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
    }
    sqlite3_finalize(stmt);
    /* Version 2 is the first with xCreateTokenizer as used here. */
    if (rc != SQLITE_ROW || api == NULL || api->iVersion < 2) {
        return NULL;
    }
    return api;
}

int
tokenizer_register(sqlite3 *db)
{
    fts5_tokenizer tok = {kwtok_create, kwtok_delete, kwtok_tokenize};
    fts5_api *api = tokenizer_fts5_api(db);

    if (api == NULL) {
        return SQLITE_ERROR;
    }
    /* FTS5 copies the struct, so a stack copy is fine. */
    return api->xCreateTokenizer(api, TOKENIZER_NAME, NULL, &tok, NULL);
}
