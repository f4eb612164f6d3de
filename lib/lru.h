/*
 * lru: a byte-bounded table that drops its least recently used entries
 * first, the one both in-memory caches of the server stand on (pagecache,
 * searchcache).  Layer: lib/; depends on alloc only.  Like redis' dict it
 * knows nothing of what it holds: a key is bytes (copied), a value an
 * opaque pointer the table owns and releases once, through the free
 * function given to lru_init, when it is replaced, evicted, dropped or
 * refused.
 *
 * Every entry costs its declared bytes, its key and its own bookkeeping
 * (lru_cost) against the budget; lru_insert evicts from the least
 * recently used end until the new entry fits, and refuses one that could
 * never fit (so a budget of 0 holds nothing).
 *
 * No lock: the caller guards every call that takes a struct lru with its
 * own (both caches guard more than the table with it: a generation,
 * counters).  The two steps that cost most happen before the lock is
 * taken: lru_hash and lru_entry_new (the one allocation of a put), so
 * under the lock a lookup is a bucket walk and a put is list surgery.
 */
#ifndef KW_LRU_H
#define KW_LRU_H

#include <stddef.h>
#include <stdint.h>

struct lru_entry;

/* A table, embedded in its owner.  Callers may read max_bytes and
 * free_value (set once) and bytes and entries (under their lock); the
 * rest is the table's own. */
struct lru {
    size_t max_bytes; /* the budget */
    size_t bytes;     /* what the entries held cost now */
    size_t entries;   /* how many are held */
    void (*free_value)(void *value);
    struct lru_entry **bucket;
    size_t nbuckets; /* a power of two */
    struct lru_entry *newest, *oldest;
};

/* Set l up empty with a budget of max_bytes, about one hash bucket per
 * bucket_bytes of it (the size of a typical value; 64 to 65536 buckets);
 * free_value releases a value the table owns.  0, or -1 when out of
 * memory (l is then empty and lru_free may be called on it). */
int lru_init(struct lru *l, size_t max_bytes, size_t bucket_bytes,
             void (*free_value)(void *value));
/* Release every value and the table's memory (not l itself). */
void lru_free(struct lru *l);

/* The hash lru_get, lru_has and lru_entry_new want for key: 64-bit
 * FNV-1a.  Pure; call it before taking the lock. */
static inline uint64_t
lru_hash(const void *key, size_t klen)
{
    const unsigned char *p = key;
    uint64_t h = 14695981039346656037ULL;
    size_t i;

    for (i = 0; i < klen; i++) {
        h = (h ^ p[i]) * 1099511628211ULL;
    }
    return h;
}

/* What an entry of klen key bytes and a value of bytes costs against the
 * budget: both, the entry itself and the allocator's slack. */
size_t lru_cost(size_t klen, size_t bytes);

/* A new entry, not yet in l: a copy of key (hash h), value (stolen:
 * released through l's free function even when this fails; never NULL)
 * and its cost of bytes.  Reads only l's free function, so it needs no
 * lock.  NULL when out of memory. */
struct lru_entry *lru_entry_new(const struct lru *l, uint64_t h,
                                const void *key, size_t klen, void *value,
                                size_t bytes);
/* Release an entry that never went in (its value through l's free
 * function).  No lock needed.  e may be NULL. */
void lru_entry_free(const struct lru *l, struct lru_entry *e);

/* Put e (stolen) in l, newest: an entry with the same key is replaced,
 * and the least recently used go until e fits.  0 stored; 1 refused (it
 * costs more than the whole budget; e is released, nothing evicted). */
int lru_insert(struct lru *l, struct lru_entry *e);

/* The value under key (hash h), made the most recently used: borrowed,
 * valid while the caller holds its lock and calls nothing that could
 * drop it.  NULL on a miss. */
void *lru_get(struct lru *l, uint64_t h, const void *key, size_t klen);
/* 1 when key (hash h) is held, else 0; its place in use order stays. */
int lru_has(const struct lru *l, uint64_t h, const void *key, size_t klen);

/* Drop every entry, releasing its value. */
void lru_drop_all(struct lru *l);

#endif
