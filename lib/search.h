/*
 * search: full-text search over published documents and title completion.
 * Layer: lib/; depends on db (cached statements on a reader connection),
 * query (the safe MATCH builder and title normalisation), html (escaping,
 * URL encoding), strbuf and Jansson; never on microhttpd.h and never on
 * server/ code.  It only reads: reader connections are query_only.
 *
 * Documents are matched and ranked whole, in the document index
 * (docindex.h): a document matches when every word of the query occurs
 * somewhere in it, a quoted phrase inside one of its sections, and no
 * excluded word anywhere in it.  Every match is ranked (no cap, so the
 * first page is the exhaustive ranking's) by BM25F with the published
 * corpus's IDF and a bonus for words close together (rank.h); a document
 * whose normalised title equals the query goes first.  When fewer than
 * SEARCH_ANY_BELOW documents hold all the words of a query of two or
 * more (or of a word that is an identifier with parts, query_parts(),
 * whose parts then join the words), the search falls back to documents
 * holding any of them, more of the words first (a page whose title is
 * made of the query's words leads them), and says so ("mode":
 * "any").  Facets are counted over
 * the same set.  The best section of each document on the page, found in
 * the section index, gives the anchor of its link and the snippet, which
 * is made for the page's rows only (design-notes, "Snippets are where
 * search time goes").
 */
#ifndef KW_SEARCH_H
#define KW_SEARCH_H

#include <jansson.h>

#include "db.h"
#include "searchcat.h"

/* Results per page when the caller asks for none, and the most allowed. */
#define SEARCH_PER_PAGE 20
#define SEARCH_MAX_PER_PAGE 50
/* Deepest page served; a later page is answered as this one. */
#define SEARCH_MAX_PAGE 500
/* When fewer documents than fill a page of results hold all the words of
 * a query of two or more, the page is filled with documents holding any
 * of them, after those (measured in bench/relevance: on every judged set
 * success@10 rose from a threshold of 1 to 3, 5 and 10). */
#define SEARCH_ANY_BELOW SEARCH_PER_PAGE
/* In that fallback a page whose title is made of the query's words leads
 * (search.c, "Titles made of the query's words") when it holds at least
 * SEARCH_TITLE_SHARE percent of the query's idf; its candidates are read
 * from at most SEARCH_TITLE_LEAD_MAX titles. */
#define SEARCH_TITLE_SHARE 50
#define SEARCH_TITLE_LEAD_MAX 64
/* Most entries in one facet list. */
#define SEARCH_MAX_FACET 50
/* Most titles search_suggest() answers. */
#define SEARCH_SUGGEST_MAX 10

/* Sections longer than this are indexed as several rows ("chunks") of at
 * most this many bytes, each with the section's anchor and heading: a
 * snippet then tokenizes a few KB, never a whole 900 KB page without
 * headings, and bm25 compares passages of like size. */
#define SEARCH_CHUNK_BYTES 4096

/* The length of the first chunk of the n bytes of text at s (UTF-8): n
 * when n <= SEARCH_CHUNK_BYTES, else at most SEARCH_CHUNK_BYTES, cut
 * after the last newline in the second half of that window, else after
 * the last space there, else before a UTF-8 lead byte.  Never 0 for
 * n > 0, and never splits a UTF-8 sequence of valid input, so
 * consecutive calls cover the text exactly. */
size_t search_chunk_len(const char *s, size_t n);

struct search_params {
    const char *q;          /* what was typed (borrowed); NULL: "" */
    const char *collection; /* collection name, or NULL/"" for all */
    const char *lang;       /* document language code, or NULL/"" for all */
    int year;               /* year published (UTC), 0: any */
    int page;               /* 1-based; clamped to 1..SEARCH_MAX_PAGE */
    int per_page;           /* <= 0: SEARCH_PER_PAGE; at most the max */
    int exhaustive;         /* 1: score every match, never the top-k lists (the
                               same results, slower: for tests and bench/);
                               -1: walk a list whenever there is one, even
                               where scoring every match costs less (the
                               same results: for tests) */
};

/* Run a search on db (borrowed, a reader connection).  base (borrowed) is
 * the URL prefix without a trailing slash ("" for none).  Returns 0 with
 * *out set to a new model:
 *   {"query", "total", ["total_approx",] ["topk",] "mode", ["all_total",]
 *    "page", "per_page",
 *    "results": [{"id", "collection", "path", "url", "title",
 *                 "snippet_html", "language", "published_at"}],
 *    "facets": {"collections": [{"name", "title", "count"}],
 *               "languages": [{"code", "count"}],
 *               "years": [{"year", "count"}]}}
 * "query" is the text typed, cut to QUERY_MAX_BYTES and made valid UTF-8;
 * "total" and the facets count the matching documents, near-duplicates
 * included, where the results show one per group (rank.h, "Duplicates");
 * past a few thousand matches of a one-word query ranked by its impact
 * list they are estimates from a sample, and "total_approx" is true;
 * "topk" is true when the page was ranked from an impact list, which
 * gives the page exhaustive scoring would (search.c, "Top k");
 * "mode" is "all" (every result holds every word) or "any" (the
 * fallback: fewer than SEARCH_ANY_BELOW documents hold them all, and
 * "all_total" says how many; they come first, after a page whose title
 * is made of the query's words (search.c, "Titles made of the query's
 * words"); "parts" lists the
 * identifier parts searched too, when there were any);
 * "url" is base/c/NAME/PATH#ANCHOR for the document's best section;
 * snippet_html is escaped text with the hits in <mark>.  A query with no
 * searchable term answers zero results without touching the database.
 * Returns -1 (and *out NULL) on a database error or when out of memory. */
int search_run(struct db *db, const struct search_params *p, const char *base,
               json_t **out);

/* search_run() with a catalog built in this snapshot or a recent one
 * (searchcat.h, borrowed): what the server does, through searchcache.
 * search_run() itself builds a catalog for the one call, which reads
 * every published section's index entry: fine for tests and tools, too
 * slow for a server.  gen is the search generation of db's snapshot:
 * when it is the catalog's, the catalog's memo of document counts is
 * used and filled; -1 never uses it. */
int search_run_cat(struct db *db, const struct searchcat *cat, int64_t gen,
                   const struct search_params *p, const char *base,
                   json_t **out);

/* Title completion: on success 0 and *out a new array of at most
 * SEARCH_SUGGEST_MAX {"title", "url"} for published documents whose
 * normalised title starts with the normalised prefix (borrowed, any bytes;
 * only its first QUERY_MAX_BYTES are read), in title order.  A range scan
 * on the index document_title_norm, so Hangul prefixes work like Latin
 * ones.  An empty prefix answers [].  -1 (and *out NULL) on error. */
int search_suggest(struct db *db, const char *prefix, const char *base,
                   json_t **out);

#endif
