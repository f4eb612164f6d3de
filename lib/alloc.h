/*
 * alloc: the allocation entry points of lib/.  Layer: lib/, libc only.
 * Tests swap in a failing allocator (alloc_set_fail_after) to prove every
 * module returns an error instead of crashing when memory runs out.
 */
#ifndef KW_ALLOC_H
#define KW_ALLOC_H

#include <stddef.h>

void *kw_malloc(size_t n);
void *kw_calloc(size_t nmemb, size_t n);
void *kw_realloc(void *p, size_t n);
char *kw_strdup(const char *s);
char *kw_strndup(const char *s, size_t n);
void kw_free(void *p);

/* Test hook: the n-th allocation from now on fails (n < 0: never). */
void alloc_set_fail_after(long n);

#endif
