/*
 * searchcache: search results kept in memory by the server, so that a
 * query asked again (real queries repeat: the same few words, the next
 * page, a facet click and back) costs a hash lookup and a copy instead of
 * ranking the whole match set again.  Layer: lib/; depends on search (it
 * wraps search_run), db and Jansson; never on microhttpd.h or server/.
 *
 * An entry is keyed by everything search_run() reads: the query text as
 * typed (cut like search_run cuts it), the filters, the page and page size
 * and the URL base.  Its validity is the database's search generation (a
 * counter bumped by triggers whenever something search shows changes: see
 * db/migrations/0002_search_generation.sql), read in the caller's snapshot
 * on every lookup.  When it moves, the whole cache is dropped; so a
 * publication by another process (kwangmyong ingest --approve) is seen by
 * the next search, never a stale page.
 *
 * Memory is bounded by a byte budget (the serialised size of each model)
 * and entries leave least recently used first.  One mutex guards the
 * table; models are copied outside it.  A budget of 0 disables the result
 * cache: every call ranks.
 *
 * The cache also holds the search catalog (searchcat.h) every search
 * needs, rebuilt by the first search that sees a new generation while the
 * others wait for it.
 */
#ifndef KW_SEARCHCACHE_H
#define KW_SEARCHCACHE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "db.h"
#include "search.h"

struct searchcache;

struct searchcache_stats {
    uint64_t hits, misses;    /* lookups since start */
    uint64_t entries;         /* entries held now */
    uint64_t bytes;           /* their serialised size */
    uint64_t drops;           /* whole-cache drops on a new generation */
    uint64_t catalogs;        /* search catalogs made (searchcat.h) */
    uint64_t catalog_updates; /* of them, from the one before */
};

/* A new cache holding at most max_bytes of results (0: disabled).  NULL
 * when out of memory. */
struct searchcache *searchcache_new(size_t max_bytes);
void searchcache_free(struct searchcache *c);

/* search_run() through the cache c (NULL: no cache): same arguments, same
 * result and ownership (*out is the caller's, to change at will).  *hit
 * (may be NULL) is set to 1 when the answer came from the cache.  db must
 * be a reader; the generation is read on it, ideally inside the snapshot
 * the caller reads everything else in (db_read_begin). */
int searchcache_run(struct searchcache *c, struct db *db,
                    const struct search_params *p, const char *base,
                    json_t **out, int *hit);

/* Build the catalog for db's current generation now (the server does at
 * start, on its writer connection, which only reads here).  0, or -1 when
 * it could not be built (the next search tries again). */
int searchcache_prepare(struct searchcache *c, struct db *db);

/* Forget every result and the catalog: the database file was replaced
 * (a replica's new snapshot), whose generation and change log need not
 * follow the old file's.  The next search builds a catalog anew.  c may
 * be NULL. */
void searchcache_forget(struct searchcache *c);

/* Counters for /metrics.  c may be NULL (all zero). */
void searchcache_stats(struct searchcache *c, struct searchcache_stats *st);

/* The search generation of db: 0 and *gen set, or -1 when it cannot be
 * read (an older schema, an error), in which case nothing may be cached. */
int search_generation(struct db *db, int64_t *gen);

#endif
