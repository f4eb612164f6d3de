/*
 * impact: impact-ordered lists of the frequent terms of the document index
 * (migration 0005_term_impact), the data of search's top-k algorithm
 * (search.c, "Top k").  Layer: lib/; depends on db, rank, searchcat and
 * the FTS5 tokenizer API; never on microhttpd.h or server/.  This file
 * owns every statement on term_impact, impact_meta and impact_late.
 *
 * Why: FTS5's doclists are in document order and carry no score, so a
 * search for a word in 70% of a million documents would have to score
 * 700,000 of them to know its best 20.  For each term that many documents
 * hold, the list keeps the documents where the term weighs most, best
 * first, with that weight (the impact: rank_saturation, a hub's links
 * weighed down) and an upper bound for every document left out.  A search reads
 * the lists' heads, scores those documents exactly, and stops as soon as
 * no document it has not seen can reach its page (Fagin's threshold
 * algorithm).  Rare terms need no list: their documents are few, and
 * search scores them all.
 *
 * The lists are built in one pass (impact_build: `kwangmyong reindex`, and
 * an ingest that published many documents, through impact_refresh) and
 * never updated in place.  A build fills the pair of tables not in use
 * (migration 0011) and swaps it in with impact_meta's row; outside a
 * transaction it does so in short ones, so that other writers wait for
 * the lock no longer than a batch (impact_online).  What was published since is
 * scored by every search that matches it (impact_meta.upto and impact_late);
 * what was withdrawn stays in a list and is skipped, because search checks
 * every document it reads there against the index; statistics that moved since
 * (the mean lengths) scale the bounds (impact_drift).  So the lists make
 * search faster and never change what it finds.
 */
#ifndef KW_IMPACT_H
#define KW_IMPACT_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

struct searchcat;

/* At most this many entries in a list (IMPACT_ENTRY_BYTES each): past them, the
 * bound. */
#define IMPACT_LIST_MAX 2048
/* Terms held by at least this many documents get a list (fewer: search
 * scores them all in a few milliseconds). */
#define IMPACT_MIN_DF 2000
/* impact_refresh rebuilds when the documents indexed since the last build
 * are more than this many and more than 1/IMPACT_STALE_PART of the
 * covered ones. */
#define IMPACT_STALE_MIN 2000
#define IMPACT_STALE_PART 10
/* The longest term with a list, in bytes. */
#define IMPACT_MAX_TERM 64

/* The last build (impact_meta). */
struct impact_meta {
    int64_t upto;  /* the largest document id it covers */
    double avg[3]; /* mean title, heading and body lengths it used */
    long min_df;
    int slot; /* its pair of tables: 0 term_impact and term_docs, 1 the
                 same names with _1 (migration 0011) */
};

/* Bytes of a list entry: the document id (uint32), the impact (float32,
 * rounded up) and the term's counts in title, heading and body (uint16
 * each, as kwtf gives them), all little-endian. */
#define IMPACT_ENTRY_BYTES 14

/* One term's list, read by impact_list_read (owns entries). */
struct impact_list {
    double bound; /* no document left out has an impact above it */
    long df;      /* documents that held the term at the build */
    size_t n;
    unsigned char *entries; /* n * IMPACT_ENTRY_BYTES */
};

/* Entry i of l: its document id, its impact, its counts. */
uint32_t impact_entry_doc(const struct impact_list *l, size_t i);
double impact_entry_impact(const struct impact_list *l, size_t i);
void impact_entry_tf(const struct impact_list *l, size_t i, uint16_t tf[3]);

/* Bytes of lists an online build stores per write transaction, and how
 * long one of its transactions that empties a pair may take. */
#define IMPACT_BATCH_BYTES (1u << 20)
#define IMPACT_WRITE_MS 100
/* WAL pages past which an online build checkpoints (4 MB of 4 KiB pages):
 * a checkpoint is under the write lock, so it copies little at a time. */
#define IMPACT_CHECKPOINT_PAGES 1024

/* How a build outside any transaction writes (impact_build's o). */
struct impact_online {
    size_t batch_bytes; /* per transaction (0: IMPACT_BATCH_BYTES) */
    long write_ms;      /* per emptying transaction (0: IMPACT_WRITE_MS) */
    /* Called after each commit, and between tries while another writer
     * holds the lock, outside any transaction: nonzero stops the build
     * (IMPACT_STOPPED; a server shutting down). */
    int (*between)(void *ctx);
    void *ctx;
};

/* impact_build's answer when o->between stopped it before the swap: the
 * lists in use stay, and the next build clears what it left. */
#define IMPACT_STOPPED (-3)

/* impact_build's answer when another build began after it (it stops at
 * its next transaction and leaves the lists to the newer one), or when
 * search_change no longer reaches back to the generation it read (pruned,
 * or cut by a reindex): the lists in use stay as they were. */
#define IMPACT_GAVE_WAY (-2)

/*
 * Build every list anew from doc_fts, for the terms held by at least
 * min_df documents (<= 0: IMPACT_MIN_DF), into the pair of tables not in
 * use, and swap it in.  The number of lists, IMPACT_GAVE_WAY,
 * IMPACT_STOPPED, or -1.
 *
 * o NULL: w is inside a write transaction, and the build is all of it.
 *
 * Otherwise w is in no transaction, and the build takes the write lock
 * only to store o->batch_bytes of lists at a time (and to checkpoint
 * every IMPACT_CHECKPOINT_PAGES): it reads the catalog
 * and generation G in one snapshot, builds each list from the index as
 * it is then, and at the swap puts in impact_late every document of
 * search_change past G with an id the lists cover (a document that
 * changed meanwhile may be in them as it was or as it is; searches score
 * it and skip its entries).  Any writer may write between its
 * transactions.  At a million documents a build takes about ten minutes;
 * in one transaction, every other writer waited that long.
 */
long impact_build(struct db *w, long min_df, const struct impact_online *o);

/* impact_build when the lists are missing (and the index holds at least
 * IMPACT_MIN_DF documents) or stale (IMPACT_STALE_*), with the last
 * build's min_df.  The number of lists built, 0 when nothing was due,
 * IMPACT_GAVE_WAY, IMPACT_STOPPED, or -1.  o as for impact_build. */
long impact_refresh(struct db *w, const struct impact_online *o);

/* The last build: 1 with *m set, 0 when there is none, -1. */
int impact_meta_read(struct db *db, struct impact_meta *m);

/* Record that document doc was just indexed (docindex_put): an id the
 * lists cover goes to impact_late, so searches score it.  0 or -1. */
int impact_note_put(struct db *w, int64_t doc);

/* The documents of impact_late (indexed since the build, with ids it
 * covers): 0 with *ids (new array, kw_free) and *n, or -1. */
int impact_late_read(struct db *db, int64_t **ids, size_t *n);

/* The list of term (n bytes, the token as doc_fts holds it) in the build
 * m (read by impact_meta_read in the same snapshot): 1 with *out filled
 * (free with impact_list_free), 0 when the term has none, -1. */
int impact_list_read(struct db *db, const struct impact_meta *m,
                     const char *term, size_t n, struct impact_list *out);
void impact_list_free(struct impact_list *l);

/*
 * Every document of a term with a list, in id order, each with its impact
 * rounded up to a multiple of 1/IMPACT_DOCS_SCALE (term_docs, migration
 * 0008; written by impact_build beside the list).  What a search of
 * several common words needs: from these alone it bounds each document's
 * score without reading the index, and reads the index only for the
 * documents whose bound could reach its page (search.c, "Top k").  About
 * 3 bytes a document and term.
 */
#define IMPACT_DOCS_SCALE 65535.0

/* A term's row of term_docs, read by impact_docs_read (owns data), and
 * where impact_docs_next is in it. */
struct impact_docs {
    unsigned char *data;
    size_t len, pos;
    uint32_t doc; /* the last entry's id (0 before the first) */
};

/* The row of term (n bytes, as doc_fts holds it) in the build m (as for
 * impact_list_read): 1 with *out filled (free with impact_docs_free), 0
 * when the term has none (no list, or lists built before migration 0008),
 * -1. */
int impact_docs_read(struct db *db, const struct impact_meta *m,
                     const char *term, size_t n, struct impact_docs *out);

/* The next entry of d: 1 with *doc (ascending) and *impact, 0 at the
 * end, -1 when the row is malformed (the caller scores every match). */
int impact_docs_next(struct impact_docs *d, uint32_t *doc, double *impact);
void impact_docs_free(struct impact_docs *d);

/* Documents indexed again since the build (impact_late) up to which
 * impact_docs_df counts from a row: each costs a lookup in the index. */
#define IMPACT_DF_LATE_MAX 256

/* How many documents of the index hold term (n bytes, a token with a row
 * in term_docs; m: its MATCH expression), without reading its postings in
 * the index, which at a million documents costs some 30 ms for a common
 * word: the row's documents that cat says are published and that were not
 * indexed again since the build, plus those indexed since that hold it
 * (a count past the build's ids, a lookup for each of impact_late).  cat
 * must be at the generation of db's snapshot.  -2 when the term has no
 * row, the row is malformed or more than IMPACT_DF_LATE_MAX documents were
 * indexed again (count the index instead); -1 on error. */
long impact_docs_df(struct db *db, const struct searchcat *cat,
                    const char *term, size_t n, const char *m);

/* The tokens doc_fts holds for the query word w (wn bytes), through the
 * index's own tokenizer (porter over kwtok) in its query mode, into
 * out[0..max) (each NUL-terminated): their number, 0 when there are none,
 * more than max, or one longer than IMPACT_MAX_TERM bytes; -1 on error. */
int impact_tokens(struct db *db, const char *w, size_t wn,
                  char (*out)[IMPACT_MAX_TERM + 1], int max);

/* The factor (>= 1) by which a stored impact may fall short of the same
 * document's weight with the live means avg[] (mean lengths only grow a
 * weight when they grow past those of the build). */
double impact_drift(const struct impact_meta *m, const double avg[3]);

#endif
