/*
 * docindex: the document-level full-text index, doc_fts (migration
 * 0004_doc_index).  Layer: lib/; depends on db; never on microhttpd.h or
 * server/.  This file owns every write to doc_fts.
 *
 * The index holds exactly the published documents, each as its title,
 * headings and section bodies (the view doc_text), so that search can
 * match at document level and FTS5's counts are the published corpus's
 * statistics (documents, and per term how many contain it: IDF), kept
 * current by every publication and withdrawal without a rebuild.
 *
 * doc_fts is contentless: a row is removed by handing FTS5 the values it
 * was indexed with, which doc_text gives again as long as the document's
 * title and sections are unchanged.  So the rules, kept by moderation.c:
 * put a document when it becomes published, drop it when it stops being
 * published, and around a change of a published document's title drop it
 * before and put it after.  Both look first whether the document is in
 * the index, so a status changed behind the program's back (SQL by hand)
 * leaves the index short or long, never corrupt; `kwangmyong verify`
 * reports that and `kwangmyong reindex` repairs it.  What only a rebuild
 * survives: the title or sections of an indexed document changed by hand.
 *
 * The heading keys (table heading_key, rank.h) follow the same rules: put
 * and dropped with a document's index row, from its sections and body.
 */
#ifndef KW_DOCINDEX_H
#define KW_DOCINDEX_H

#include <stdint.h>

#include "db.h"

/* Index document doc (a writer inside a write transaction); the impact
 * lists learn that it came after them (impact_note_put).  0 or -1. */
int docindex_put(struct db *w, int64_t doc);

/* Remove document doc, indexed by docindex_put() and unchanged since
 * (a writer inside a write transaction).  1 removed, 0 it was not in the
 * index (nothing done), -1 error. */
int docindex_drop(struct db *w, int64_t doc);

/* Empty the index and put every published document again (a writer
 * inside a write transaction): `kwangmyong reindex`, for a database whose
 * statuses were changed behind the program's back.  The impact lists
 * (impact.h) are built anew too.  Number of documents indexed, or -1. */
long docindex_rebuild(struct db *w);

/* Compare the index with the published set (a reader or writer): the
 * number of published documents not in the index plus the number of
 * indexed documents not published plus the number of documents not in
 * the index that have heading keys (rank.h; 0: in step), or -1 on error.
 * What `kwangmyong verify` checks. */
long docindex_check(struct db *db);

/* search_change (db/migrations/0010_search_change.sql) keeps the
 * documents changed in the last DOCINDEX_CHANGES_KEEP generations:
 * docindex_changes_prune deletes older rows and raises
 * search_change_floor to the newest generation deleted, so that a server
 * whose catalog is older builds it anew.  For writers, every few hundred
 * documents; inside a write.  The rows deleted, or -1. */
long docindex_changes_prune(struct db *w);
#define DOCINDEX_CHANGES_KEEP 100000

/* Pages of merge work one round of docindex_tidy() may write to each
 * index: a write transaction of a few milliseconds. */
#define DOCINDEX_TIDY_PAGES 256

/* Merge the segments of the search indexes, doc_fts and section_fts
 * (FTS5's 'merge' command, usermerge 2: migration 0006_index_merge), so
 * that a query looks its terms up in few segments.  A writer outside any
 * transaction: each round is a write transaction merging at most
 * DOCINDEX_TIDY_PAGES pages of each index.  Runs until no level holds two
 * segments, or after max_rounds rounds (0: no limit).  What merging
 * leaves undone stays for the next call.  Returns the rounds that merged,
 * or -1. */
long docindex_tidy(struct db *w, long max_rounds);

/* Segments of doc_fts (sections 0) or section_fts (sections 1): what a
 * query looks each of its terms up in.  -1 on error. */
long docindex_segments(struct db *db, int sections);

#endif
