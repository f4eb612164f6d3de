/*
 * query: turns what a person typed into the search box into an FTS5 MATCH
 * expression that can never be a syntax error, and normalises titles for
 * exact-title ranking and suggest.  Layer: lib/, depends on strbuf and the
 * tokenizer's folding rules; never on microhttpd.h, and it runs no SQL.
 *
 * Promised syntax, and nothing more: words (ANDed), "quoted phrases",
 * -word and -"phrase" (excluded), word* and "phrase"* (prefix).  Every
 * other character (parentheses, colons, ^, +, NEAR, AND/OR/NOT, an
 * unbalanced quote) is plain text: each term is emitted as an FTS5 string
 * with its quotes doubled, so FTS5's own operators are never reached.
 */
#ifndef KW_QUERY_H
#define KW_QUERY_H

#include <stddef.h>

#include "strbuf.h"

/* Only the first QUERY_MAX_BYTES bytes of the input are read (cut back to
 * a character boundary) and only the first QUERY_MAX_TERMS terms that
 * contain something searchable are kept: a search box needs no more, and
 * the bounds keep every query cheap to parse and to run. */
#define QUERY_MAX_BYTES 256
#define QUERY_MAX_TERMS 16
/* What one query may cost (hostile-world: "a* a* a* ..." made FTS5 merge
 * the posting lists of every word starting with "a", ten times over, for
 * two seconds a query): a prefix needs at least QUERY_MIN_PREFIX
 * characters in its last word, only the first QUERY_MAX_PREFIX prefix
 * terms keep their '*' (the rest are searched as whole words), and a term
 * repeated exactly is searched once. */
#define QUERY_MIN_PREFIX 3
#define QUERY_MAX_PREFIX 3

/* One term as the person typed it, cleaned: valid UTF-8, control and
 * Unicode space characters replaced by ' ', no quotes or '-' / '*' syntax
 * around it.  Not folded: show it, or hand it to the tokenizer. */
struct query_term {
    char text[QUERY_MAX_BYTES + 1]; /* NUL-terminated */
    size_t len;
    int phrase;  /* 1: was quoted */
    int prefix;  /* 1: ended with '*' */
    int exclude; /* 1: started with '-' */
    int part;    /* 1: a part of an identifier typed (query_parts()) */
    int code;    /* 1: an identifier joined by '.' or '_' that query_parts()
                    split ("curses.window", "SQLITE_OMIT_ATTACH"): a
                    document holding all of its parts holds it, written
                    another way ("window.getkey" on the page of module
                    curses).  Not for a compound joined by '-' only, whose
                    parts are words of their own ("analyze-stmt") */
};

/* Filled in place by query_build(); owns no heap memory, so it needs no
 * free function and may be copied.  term[0..n_terms) in input order. */
struct query_info {
    int empty;     /* 1: nothing to look for: run no MATCH, show no results
                      (a query of exclusions only looks for them) */
    int truncated; /* 1: input past QUERY_MAX_BYTES or terms past
                      QUERY_MAX_TERMS were ignored */
    int limited;   /* 1: a '*' was dropped (too short, too many) or a
                      repeated term searched once */
    int n_positive;
    int n_negative;
    int n_terms;
    struct query_term term[QUERY_MAX_TERMS];
};

/* Parse user (len bytes, borrowed, any bytes at all; NULL only when len is
 * 0) and append the MATCH expression to match_out (caller-owned; pass an
 * empty buffer).  Nothing is appended when info->empty is set, because
 * FTS5 cannot evaluate a query made only of exclusions.  Terms that hold
 * no searchable character (":", "()") are dropped so that they cannot
 * turn the whole AND into no match.  Returns 0, or -1 when out of memory
 * (match_out's sticky flag is set then). */
int query_build(const char *user, size_t len, struct strbuf *match_out,
                struct query_info *info);

/* How query_expr() joins the terms. */
enum query_how {
    QUERY_ANY = 1,        /* positive terms joined by OR, not AND */
    QUERY_NO_EXCLUDE = 2, /* leave the excluded terms out */
};

/* Append to out (caller-owned) the MATCH expression of info (filled by
 * query_build(), not empty): its positive terms joined by AND (by OR with
 * QUERY_ANY), then NOT each excluded term (none with QUERY_NO_EXCLUDE).
 * query_build() appends query_expr(info, 0).  In every form the FTS5
 * phrases come in the same order: the positive terms as typed, then the
 * excluded ones, so phrase k of any form is the same term.  Returns 0, or
 * -1 when out of memory. */
int query_expr(const struct query_info *info, int how, struct strbuf *out);

/* The terms of the OR fallback for identifiers.  When a positive term of
 * in (filled by query_build(); not a phrase, not a prefix) is an
 * identifier the tokenizer splits into two or more parts
 * ("DSQLITE_OMIT_ATTACH", "PyConfig.PyConfig_SetString", "e-mail"), fill
 * *out with in's terms where that term is followed by its distinct parts,
 * folded as the index holds them (dsqlite, omit, attach; marked .part,
 * and the term .code when it is code),
 * the excluded terms kept, at most QUERY_MAX_TERMS in all, and return the
 * number of terms split.  The index keeps each part of an identifier
 * beside the whole, so a document that holds the identifier holds every
 * part; one that writes it differently ("SQLITE_OMIT_ATTACH" where
 * "-DSQLITE_OMIT_ATTACH" was asked) holds most of them.  Returns 0, with
 * *out untouched, when nothing splits or fewer than two positive terms
 * would result. */
int query_parts(const struct query_info *in, struct query_info *out);

/* Append the one term t (borrowed) to out as an FTS5 string, quotes
 * doubled, with " *" for a prefix where the prefix can change the
 * result: a MATCH expression of its own. */
void query_term_expr(const struct query_term *t, struct strbuf *out);

/* Append to out (caller-owned) the normalised form of the title s (n bytes,
 * borrowed; NULL only when n is 0): Latin letters folded as the tokenizer
 * folds them, other characters kept; whitespace, control characters and
 * invalid bytes collapsed to single spaces and trimmed; invisible ones
 * (zero-width, bidi controls) dropped; a leading section number with at
 * least one dot ("28.2. ", "3. ", "4.1 ") removed when text follows it.
 * Returns 0, or -1 when out of memory. */
int query_normalize_title(const char *s, size_t n, struct strbuf *out);

/*
 * A site's part of its page titles.  Mirrored pages carry the site's name
 * in every title ("Oct-Files (GNU Octave (version 7.3.0))", "Glossary —
 * Python 3.11.2 documentation"), so no title equals what a reader types
 * ("oct-files") and the exact-title rule never fires.  The affix of a
 * collection is the longest run of whole words that at least
 * QUERY_AFFIX_MIN_SHARE percent of a sample of its titles, and at least
 * QUERY_AFFIX_MIN_TITLES, end with after words of their own (the suffix),
 * or begin with before them (the prefix); at most QUERY_AFFIX_MAX_WORDS
 * words, and set off by a separator: the suffix's first word holds no
 * letter or digit ("—", "|", "-") or opens a bracket, the prefix's last
 * holds none or ends with ':'.  A word the titles share that is no
 * separator ("String Functions", "Math Functions") is the pages' own.
 */
#define QUERY_AFFIX_MIN_TITLES 8
#define QUERY_AFFIX_MIN_SHARE 50
#define QUERY_AFFIX_MAX_WORDS 8
/* Titles read (the rest are not), and the longest that takes part. */
#define QUERY_AFFIX_MAX_TITLES 128
#define QUERY_AFFIX_MAX_BYTES 512

/* The affix of the n titles t[] (query_normalize_title()'s output,
 * borrowed; the first QUERY_AFFIX_MAX_TITLES): its prefix appended to prefix
 * and its suffix to suffix (caller-owned, empty; nothing appended where there
 * is none), each without the space between it and the title's own words.
 * Returns 0, or -1 when out of memory. */
int query_title_affix(const char *const *t, size_t n, struct strbuf *prefix,
                      struct strbuf *suffix);

#endif
