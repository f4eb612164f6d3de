/*
 * arena: a chain of blocks; small allocations are carved from the newest
 * block, large ones get a block of their own.  Layer: lib/, libc only.
 */
#include "arena.h"

#include <string.h>

#include "alloc.h"

#define ARENA_BLOCK 8192

struct arena_block {
    struct arena_block *next;
    size_t used, size;
    _Alignas(16) unsigned char data[];
};

void
arena_init(struct arena *a)
{
    a->head = NULL;
    a->total = 0;
}

void *
arena_alloc(struct arena *a, size_t n)
{
    struct arena_block *b = a->head;
    size_t need = (n + 15) & ~(size_t)15;

    if (need < n) {
        return NULL;
    }
    if (b == NULL || b->size - b->used < need) {
        size_t size = need > ARENA_BLOCK ? need : ARENA_BLOCK;

        b = kw_malloc(sizeof(*b) + size);
        if (b == NULL) {
            return NULL;
        }
        b->used = 0;
        b->size = size;
        /* A large block goes behind the head so the head keeps its room. */
        if (a->head != NULL && need > ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    b->used += need;
    a->total += need;
    return b->data + b->used - need;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
    char *p = arena_alloc(a, n + 1);

    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
    return arena_strndup(a, s, strlen(s));
}

void
arena_free(struct arena *a)
{
    struct arena_block *b = a->head, *next;

    while (b != NULL) {
        next = b->next;
        kw_free(b);
        b = next;
    }
    arena_init(a);
}

void
arena_reset(struct arena *a)
{
    struct arena_block *keep = a->head, *b, *next;

    if (keep == NULL || keep->size != ARENA_BLOCK) {
        arena_free(a);
        return;
    }
    for (b = keep->next; b != NULL; b = next) {
        next = b->next;
        kw_free(b);
    }
    keep->next = NULL;
    keep->used = 0;
    a->total = 0;
}
