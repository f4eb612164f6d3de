/*
 * snippet: the kwsnip FTS5 auxiliary function, the snippet of a search
 * result.  Layer: lib/, depends on sqlite3 and tokenizer.  Stateless: one
 * registration serves every thread.
 *
 *   kwsnip(section_fts)
 *
 * returns SNIPPET_TOKENS consecutive tokens of the row's body column
 * (column 2) as its original text, widened to whole words (Korean words
 * are indexed as overlapping syllable pairs: the window may take up to
 * SNIPPET_WORD_EXTRA more at each end, so that no word is cut in two),
 * each occurrence of the query's phrases
 * inside them between SNIPPET_OPEN and SNIPPET_CLOSE bytes, with
 * SNIPPET_ELLIPSIS where text was cut before or after them.  The window
 * holds the most distinct phrases (then the most occurrences; then the
 * earliest), centred on them; with no occurrence in the body, the body's
 * start.
 *
 * What it does not do that FTS5's snippet() does, and why: snippet()
 * tokenizes the whole column twice for every row (once to score windows,
 * once to write one), which made snippets 60% of a typical search's time
 * (docs/benchmarks.md, "Index segments and snippets").  kwsnip finds the
 * occurrences from the index's positions (xPhraseFirst) without tokenizing, and
 * tokenizes the text once, only up to the window's end.  Like snippet(), it
 * marks the first token at each position (an identifier whole, not the parts
 * beside it), and a run of marked tokens is marked as one.
 */
#ifndef KW_SNIPPET_H
#define KW_SNIPPET_H

#include <sqlite3.h>

/* 16: a Hangul syllable pair is one token, so fewer would cut a Korean
 * snippet to a few words. */
#define SNIPPET_TOKENS 16
#define SNIPPET_WORD_EXTRA 8
#define SNIPPET_OPEN '\x01'
#define SNIPPET_CLOSE '\x02'
#define SNIPPET_ELLIPSIS "\xe2\x80\xa6"
/* Occurrences of the query's phrases in one row looked at. */
#define SNIPPET_MAX_HITS 4096

/* Register kwsnip on db (after the tokenizer).  SQLITE_OK or an error. */
int snippet_register(sqlite3 *db);

/* One occurrence of a query phrase in the column: it covers the tokens
 * off .. off + len - 1; phrase is its number (below 64 tell apart). */
struct snippet_hit {
    int off, len, phrase;
};

/* The window's first token for hits[0..nhit) (sorted by offset) in a
 * column of ntok tokens, for a window of want tokens.  Exposed for
 * tests. */
int snippet_window(const struct snippet_hit *hits, int nhit, int ntok,
                   int want);

#endif
