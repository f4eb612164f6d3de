/*
 * pagecache: ready answers in memory, valid for one generation (see
 * pagecache.h).  Layer: lib/; depends on alloc and pthreads.  A hash table
 * of entries chained per bucket, plus a doubly linked list in use order
 * for eviction; one mutex over both, the generation atomic so that the
 * hot path reads it without the lock.
 */
#include "pagecache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "alloc.h"

struct entry {
    struct entry *chain;         /* next in the bucket */
    struct entry *newer, *older; /* use order */
    uint64_t hash;
    char *key;
    size_t klen;
    void *value;  /* owned, released by free_value */
    size_t bytes; /* what it counts against the budget */
};

struct pagecache {
    pthread_mutex_t mu;
    void (*free_value)(void *);
    size_t max_bytes, bytes;
    struct entry **bucket;
    size_t nbuckets; /* a power of two */
    struct entry *newest, *oldest;
    atomic_uint_fast64_t gen; /* changed under mu only */
    atomic_uint_fast64_t hits, misses;
    struct pagecache_stats st; /* entries, bytes, drops: under mu */
};

/* What one entry costs beyond its value and key. */
#define ENTRY_OVERHEAD (sizeof(struct entry) + 32)

struct pagecache *
pagecache_new(size_t max_bytes, void (*free_value)(void *value))
{
    struct pagecache *c = kw_calloc(1, sizeof(*c));
    size_t n = 64;

    if (c == NULL) {
        return NULL;
    }
    /* About one bucket per 16 KiB of budget, a typical compressed page. */
    while (n < 65536 && n * 16384 < max_bytes) {
        n *= 2;
    }
    c->bucket = kw_calloc(n, sizeof(*c->bucket));
    if (c->bucket == NULL || pthread_mutex_init(&c->mu, NULL) != 0) {
        kw_free(c->bucket);
        kw_free(c);
        return NULL;
    }
    c->nbuckets = n;
    c->max_bytes = max_bytes;
    c->free_value = free_value;
    atomic_init(&c->gen, 1);
    atomic_init(&c->hits, 0);
    atomic_init(&c->misses, 0);
    return c;
}

static uint64_t
hash_key(const char *key, size_t klen)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    size_t i;

    for (i = 0; i < klen; i++) {
        h ^= (unsigned char)key[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* Take e out of the use list (it stays in its bucket). */
static void
unlist(struct pagecache *c, struct entry *e)
{
    if (e->newer != NULL) {
        e->newer->older = e->older;
    } else {
        c->newest = e->older;
    }
    if (e->older != NULL) {
        e->older->newer = e->newer;
    } else {
        c->oldest = e->newer;
    }
    e->newer = e->older = NULL;
}

/* Put e at the newest end of the use list. */
static void
list_front(struct pagecache *c, struct entry *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest != NULL) {
        c->newest->newer = e;
    }
    c->newest = e;
    if (c->oldest == NULL) {
        c->oldest = e;
    }
}

/* Take e out of its bucket and the use list, and free it. */
static void
unlink_entry(struct pagecache *c, struct entry *e)
{
    struct entry **pp = &c->bucket[e->hash & (c->nbuckets - 1)];

    while (*pp != e) {
        pp = &(*pp)->chain;
    }
    *pp = e->chain;
    unlist(c, e);
    c->bytes -= e->bytes;
    c->st.entries--;
    c->free_value(e->value);
    kw_free(e->key);
    kw_free(e);
}

static void
drop_all(struct pagecache *c)
{
    while (c->oldest != NULL) {
        unlink_entry(c, c->oldest);
    }
}

void
pagecache_free(struct pagecache *c)
{
    if (c == NULL) {
        return;
    }
    drop_all(c);
    pthread_mutex_destroy(&c->mu);
    kw_free(c->bucket);
    kw_free(c);
}

int
pagecache_enabled(const struct pagecache *c)
{
    return c != NULL && c->max_bytes > 0;
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
    if (c->oldest != NULL) {
        c->st.drops++;
    }
    drop_all(c);
    pthread_mutex_unlock(&c->mu);
}

static struct entry *
find(struct pagecache *c, uint64_t h, const char *key, size_t klen)
{
    struct entry *e = c->bucket[h & (c->nbuckets - 1)];

    while (e != NULL && !(e->hash == h && e->klen == klen &&
                          memcmp(e->key, key, klen) == 0)) {
        e = e->chain;
    }
    return e;
}

int
pagecache_use(struct pagecache *c, const char *key, size_t klen,
              void (*fn)(void *value, void *ctx), void *ctx)
{
    uint64_t h;
    struct entry *e;

    if (!pagecache_enabled(c)) {
        return 0;
    }
    h = hash_key(key, klen);
    pthread_mutex_lock(&c->mu);
    e = find(c, h, key, klen);
    if (e != NULL) {
        if (c->newest != e) {
            unlist(c, e);
            list_front(c, e);
        }
        fn(e->value, ctx);
    }
    pthread_mutex_unlock(&c->mu);
    atomic_fetch_add_explicit(e != NULL ? &c->hits : &c->misses, 1,
                              memory_order_relaxed);
    return e != NULL;
}

int
pagecache_put(struct pagecache *c, uint64_t gen, const char *key, size_t klen,
              void *value, size_t bytes)
{
    struct entry *e, *old;
    size_t cost = bytes + klen + ENTRY_OVERHEAD;

    if (!pagecache_enabled(c) || cost > c->max_bytes) {
        if (c != NULL) {
            c->free_value(value);
        }
        return 1;
    }
    e = kw_calloc(1, sizeof(*e));
    if (e != NULL) {
        e->key = kw_malloc(klen + 1);
    }
    if (e == NULL || e->key == NULL) {
        kw_free(e);
        c->free_value(value);
        return -1;
    }
    memcpy(e->key, key, klen);
    e->key[klen] = '\0';
    e->klen = klen;
    e->hash = hash_key(key, klen);
    e->value = value;
    e->bytes = cost;
    pthread_mutex_lock(&c->mu);
    if (gen != atomic_load(&c->gen)) {
        /* Built from a snapshot older than a change some thread saw. */
        pthread_mutex_unlock(&c->mu);
        c->free_value(value);
        kw_free(e->key);
        kw_free(e);
        return 1;
    }
    if ((old = find(c, e->hash, key, klen)) != NULL) {
        unlink_entry(c, old);
    }
    while (c->bytes + cost > c->max_bytes && c->oldest != NULL) {
        unlink_entry(c, c->oldest);
    }
    e->chain = c->bucket[e->hash & (c->nbuckets - 1)];
    c->bucket[e->hash & (c->nbuckets - 1)] = e;
    list_front(c, e);
    c->bytes += cost;
    c->st.entries++;
    pthread_mutex_unlock(&c->mu);
    return 0;
}

void
pagecache_stats(struct pagecache *c, struct pagecache_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&c->mu);
    *st = c->st;
    st->bytes = c->bytes;
    pthread_mutex_unlock(&c->mu);
    st->hits = atomic_load(&c->hits);
    st->misses = atomic_load(&c->misses);
}
