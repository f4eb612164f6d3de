/*
 * lru: a byte-bounded least-recently-used table (see lru.h).  Layer: lib/;
 * depends on alloc.  A hash table of entries chained per bucket, plus a
 * doubly linked list in use order for eviction; an entry and its key are
 * one allocation.
 */
#include "lru.h"

#include <assert.h>
#include <string.h>

#include "alloc.h"

struct lru_entry {
    struct lru_entry *chain;         /* next in the bucket */
    struct lru_entry *newer, *older; /* use order */
    uint64_t hash;
    void *value;  /* owned, released by the table's free_value */
    size_t bytes; /* what it counts against the budget */
    size_t klen;
    unsigned char key[]; /* klen bytes */
};

int
lru_init(struct lru *l, size_t max_bytes, size_t bucket_bytes,
         void (*free_value)(void *value))
{
    size_t n = 64;

    memset(l, 0, sizeof(*l));
    while (n < 65536 && n * bucket_bytes < max_bytes) {
        n *= 2;
    }
    l->bucket = kw_calloc(n, sizeof(*l->bucket));
    if (l->bucket == NULL) {
        return -1;
    }
    l->nbuckets = n;
    l->max_bytes = max_bytes;
    l->free_value = free_value;
    return 0;
}

void
lru_free(struct lru *l)
{
    if (l->bucket != NULL) {
        lru_drop_all(l);
    }
    kw_free(l->bucket);
    l->bucket = NULL;
    l->nbuckets = 0;
}

size_t
lru_cost(size_t klen, size_t bytes)
{
    return bytes + klen + sizeof(struct lru_entry) + 32;
}

struct lru_entry *
lru_entry_new(const struct lru *l, uint64_t h, const void *key, size_t klen,
              void *value, size_t bytes)
{
    struct lru_entry *e = kw_malloc(sizeof(*e) + klen);

    assert(value != NULL);
    if (e == NULL) {
        l->free_value(value);
        return NULL;
    }
    memset(e, 0, sizeof(*e));
    memcpy(e->key, key, klen);
    e->klen = klen;
    e->hash = h;
    e->value = value;
    e->bytes = lru_cost(klen, bytes);
    return e;
}

void
lru_entry_free(const struct lru *l, struct lru_entry *e)
{
    if (e != NULL) {
        l->free_value(e->value);
        kw_free(e);
    }
}

/* Take e out of the use list (it stays in its bucket). */
static void
unlist(struct lru *l, struct lru_entry *e)
{
    if (e->newer != NULL) {
        e->newer->older = e->older;
    } else {
        l->newest = e->older;
    }
    if (e->older != NULL) {
        e->older->newer = e->newer;
    } else {
        l->oldest = e->newer;
    }
    e->newer = e->older = NULL;
}

/* Put e at the newest end of the use list. */
static void
list_front(struct lru *l, struct lru_entry *e)
{
    e->older = l->newest;
    e->newer = NULL;
    if (l->newest != NULL) {
        l->newest->newer = e;
    }
    l->newest = e;
    if (l->oldest == NULL) {
        l->oldest = e;
    }
}

/* Take e out of its bucket and the use list, and release it. */
static void
unlink_entry(struct lru *l, struct lru_entry *e)
{
    struct lru_entry **pp = &l->bucket[e->hash & (l->nbuckets - 1)];

    while (*pp != e) {
        pp = &(*pp)->chain;
    }
    *pp = e->chain;
    unlist(l, e);
    l->bytes -= e->bytes;
    l->entries--;
    lru_entry_free(l, e);
}

static struct lru_entry *
find(const struct lru *l, uint64_t h, const void *key, size_t klen)
{
    struct lru_entry *e = l->bucket[h & (l->nbuckets - 1)];

    while (e != NULL && !(e->hash == h && e->klen == klen &&
                          memcmp(e->key, key, klen) == 0)) {
        e = e->chain;
    }
    return e;
}

int
lru_insert(struct lru *l, struct lru_entry *e)
{
    struct lru_entry *old, **head;

    if (e->bytes > l->max_bytes) {
        lru_entry_free(l, e);
        return 1;
    }
    if ((old = find(l, e->hash, e->key, e->klen)) != NULL) {
        unlink_entry(l, old);
    }
    while (l->bytes + e->bytes > l->max_bytes && l->oldest != NULL) {
        unlink_entry(l, l->oldest);
    }
    head = &l->bucket[e->hash & (l->nbuckets - 1)];
    e->chain = *head;
    *head = e;
    list_front(l, e);
    l->bytes += e->bytes;
    l->entries++;
    return 0;
}

void *
lru_get(struct lru *l, uint64_t h, const void *key, size_t klen)
{
    struct lru_entry *e = find(l, h, key, klen);

    if (e == NULL) {
        return NULL;
    }
    if (l->newest != e) {
        unlist(l, e);
        list_front(l, e);
    }
    return e->value;
}

int
lru_has(const struct lru *l, uint64_t h, const void *key, size_t klen)
{
    return find(l, h, key, klen) != NULL;
}

void
lru_drop_all(struct lru *l)
{
    while (l->oldest != NULL) {
        unlink_entry(l, l->oldest);
    }
}
