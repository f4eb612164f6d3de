/*
 * rank: relevance of one section to a query.  Layer: lib/, depends on
 * sqlite3's FTS5 API and tokenizer (for the API pointer); never on
 * microhttpd.h.
 *
 * The FTS5 auxiliary function kwtf(section_fts) returns, for the current
 * row, how often each phrase of the query occurs in each column (title,
 * heading, body): a blob of nphrase * RANK_NCOL uint16_t in native byte
 * order, counts above 65535 saturated.  rank_score() turns that and the
 * body's length into BM25's term-frequency part with weights title 10,
 * heading 4, body 1, k1 = 1.2, and b = 0.75 on the body only.  Like bm25()
 * the score is negative: lower is better.  What it leaves out, and why:
 *
 * - FTS5's bm25() asks xColumnSize for every row, a lookup in the
 *   %_docsize table that cost 1.7 us of its 1.8 us per row (measured on
 *   17,641 rows: 32 ms with it, 2.8 ms without).  The body's length in
 *   bytes comes from the search catalog instead (searchcat.h); sections
 *   are chunks of at most 4 KiB of text.
 * - IDF: bm25() computes it with a pass over each phrase's whole posting
 *   list per query, linear in the corpus.  Every phrase of a query must
 *   occur in every hit (the builder makes AND queries), so IDF would only
 *   weigh one term's repetitions against another's.
 */
#ifndef KW_RANK_H
#define KW_RANK_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/* Columns of section_fts: title, heading, body. */
#define RANK_NCOL 3
/* Mean body length in bytes that length normalisation compares with. */
#define RANK_AVG_BODY_BYTES 1024.0

/* Register kwtf on db (every connection that searches).  SQLITE_OK, or
 * SQLITE_ERROR when the library has no FTS5. */
int rank_register(sqlite3 *db);

/* The score of a row from kwtf's blob (n bytes, borrowed) and the body's
 * length in bytes.  A malformed blob scores 0 (no match). */
double rank_score(const void *tf, size_t n, unsigned body_bytes);

#endif
