/*
 * pagecache: ready answers kept in memory by the server, so that a hot
 * published page costs a hash lookup instead of a read snapshot and four
 * statements.  Layer: lib/; depends on alloc and pthreads only; it knows
 * nothing of HTTP or of libmicrohttpd: a value is an opaque pointer with a
 * cost in bytes, released through the free function given at creation
 * (server/http.c stores ready MHD responses, reference counted by
 * libmicrohttpd, so one released here lives until its last send ends).
 *
 * Validity is one process-wide generation.  Every entry belongs to the
 * generation it was put in; pagecache_bump() moves the generation and
 * drops every entry at once, and pagecache_put() refuses a value made
 * under an older generation.  A caller that reads the generation
 * (pagecache_gen) before it opens the snapshot it builds a value from,
 * and bumps whenever it sees the database changed, can therefore never
 * store or find a value older than a change it has seen: that is the
 * whole contract (server/http.c keeps the other half, data_version).
 *
 * Memory is bounded by a byte budget (each value's declared cost plus its
 * key and bookkeeping) and entries leave least recently used first.  One
 * mutex guards the table; pagecache_use() runs the caller's function on a
 * value under it, so no eviction can free a value being used.  A budget of
 * 0 disables the cache: nothing is stored.
 */
#ifndef KW_PAGECACHE_H
#define KW_PAGECACHE_H

#include <stddef.h>
#include <stdint.h>

struct pagecache;

struct pagecache_stats {
    uint64_t hits, misses; /* lookups since start */
    uint64_t entries;      /* entries held now */
    uint64_t bytes;        /* their cost */
    uint64_t drops;        /* whole-cache drops (generation bumps) */
};

/* A new cache holding at most max_bytes (0: disabled); free_value
 * releases a value the cache owns.  NULL when out of memory. */
struct pagecache *pagecache_new(size_t max_bytes,
                                void (*free_value)(void *value));
/* Free c and every value it holds.  c may be NULL. */
void pagecache_free(struct pagecache *c);

/* 1 when c stores anything at all (not NULL, budget above 0). */
int pagecache_enabled(const struct pagecache *c);

/* The current generation: read it before opening the snapshot a value
 * is built from, and pass it to pagecache_put. */
uint64_t pagecache_gen(struct pagecache *c);

/* Move to a new generation and drop every entry (their values are
 * released).  Safe from any thread; c may be NULL. */
void pagecache_bump(struct pagecache *c);

/* Look key up; on a hit run fn(value, ctx) under the cache's lock (the
 * value is borrowed for that call only) and return 1; 0 on a miss. */
int pagecache_use(struct pagecache *c, const char *key, size_t klen,
                  void (*fn)(void *value, void *ctx), void *ctx);

/* Store value (stolen: released at once when refused) under key, costing
 * bytes, for generation gen.  Replaces an entry with the same key.  0
 * stored, 1 refused (gen is not current, the cache is disabled or the
 * value is larger than the budget), -1 out of memory. */
int pagecache_put(struct pagecache *c, uint64_t gen, const char *key,
                  size_t klen, void *value, size_t bytes);

/* Counters for /metrics.  c may be NULL (all zero). */
void pagecache_stats(struct pagecache *c, struct pagecache_stats *st);

#endif
