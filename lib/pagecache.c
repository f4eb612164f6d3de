/*
 * pagecache: ready answers in memory, valid for one generation (see
 * pagecache.h).  Layer: lib/; depends on lru, alloc and pthreads.  The
 * table is an lru (lru.h) under one mutex; the generation is atomic so
 * that the hot path reads it without the lock.
 */
#include "pagecache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "alloc.h"
#include "lru.h"

struct pagecache {
    pthread_mutex_t mu;
    struct lru lru;           /* under mu */
    atomic_uint_fast64_t gen; /* changed under mu only */
    atomic_uint_fast64_t hits, misses;
    uint64_t drops; /* under mu */
};

struct pagecache *
pagecache_new(size_t max_bytes, void (*free_value)(void *value))
{
    struct pagecache *c = kw_calloc(1, sizeof(*c));

    if (c == NULL) {
        return NULL;
    }
    /* About one bucket per 16 KiB of budget, a typical compressed page. */
    if (lru_init(&c->lru, max_bytes, 16384, free_value) < 0 ||
        pthread_mutex_init(&c->mu, NULL) != 0) {
        lru_free(&c->lru);
        kw_free(c);
        return NULL;
    }
    atomic_init(&c->gen, 1);
    atomic_init(&c->hits, 0);
    atomic_init(&c->misses, 0);
    return c;
}

void
pagecache_free(struct pagecache *c)
{
    if (c == NULL) {
        return;
    }
    lru_free(&c->lru);
    pthread_mutex_destroy(&c->mu);
    kw_free(c);
}

int
pagecache_enabled(const struct pagecache *c)
{
    return c != NULL && c->lru.max_bytes > 0;
}

uint64_t
pagecache_gen(struct pagecache *c)
{
    return c == NULL ? 0 : atomic_load(&c->gen);
}

void
pagecache_bump(struct pagecache *c)
{
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&c->mu);
    atomic_fetch_add(&c->gen, 1);
    if (c->lru.entries > 0) {
        c->drops++;
    }
    lru_drop_all(&c->lru);
    pthread_mutex_unlock(&c->mu);
}

int
pagecache_use(struct pagecache *c, const char *key, size_t klen,
              void (*fn)(void *value, void *ctx), void *ctx)
{
    uint64_t h;
    void *v;

    if (!pagecache_enabled(c)) {
        return 0;
    }
    h = lru_hash(key, klen);
    pthread_mutex_lock(&c->mu);
    v = lru_get(&c->lru, h, key, klen);
    if (v != NULL) {
        fn(v, ctx);
    }
    pthread_mutex_unlock(&c->mu);
    atomic_fetch_add_explicit(v != NULL ? &c->hits : &c->misses, 1,
                              memory_order_relaxed);
    return v != NULL;
}

int
pagecache_put(struct pagecache *c, uint64_t gen, const char *key, size_t klen,
              void *value, size_t bytes)
{
    struct lru_entry *e;
    int rc;

    if (!pagecache_enabled(c) || lru_cost(klen, bytes) > c->lru.max_bytes) {
        if (c != NULL) {
            c->lru.free_value(value);
        }
        return 1;
    }
    e = lru_entry_new(&c->lru, lru_hash(key, klen), key, klen, value, bytes);
    if (e == NULL) {
        return -1;
    }
    pthread_mutex_lock(&c->mu);
    if (gen != atomic_load(&c->gen)) {
        /* Built from a snapshot older than a change some thread saw. */
        pthread_mutex_unlock(&c->mu);
        lru_entry_free(&c->lru, e);
        return 1;
    }
    rc = lru_insert(&c->lru, e);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void
pagecache_stats(struct pagecache *c, struct pagecache_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&c->mu);
    st->entries = c->lru.entries;
    st->bytes = c->lru.bytes;
    st->drops = c->drops;
    pthread_mutex_unlock(&c->mu);
    st->hits = atomic_load(&c->hits);
    st->misses = atomic_load(&c->misses);
}
