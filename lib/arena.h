/*
 * arena: bump allocator for request-lifetime memory.  Layer: lib/, libc
 * only.  Everything allocated from an arena is released at once by
 * arena_free(); nothing is freed individually.
 */
#ifndef KW_ARENA_H
#define KW_ARENA_H

#include <stddef.h>

struct arena_block;

struct arena {
    struct arena_block *head; /* owned chain, newest first */
    size_t total;             /* bytes handed out, for limits */
};

void arena_init(struct arena *a);
/* Borrowed from the arena, 16-byte aligned; NULL when out of memory. */
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_strdup(struct arena *a, const char *s);
void arena_free(struct arena *a);
/* Empty the arena for reuse: every allocation is gone, but one block of
 * the usual size stays (no malloc for the next small allocations). */
void arena_reset(struct arena *a);

#endif
