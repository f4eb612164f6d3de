/*
 * alloc: thin wrappers over malloc with a test hook that makes the n-th
 * allocation fail.  Layer: lib/, libc only.  The hook is a single atomic
 * counter so the wrappers stay safe to call from server threads.
 */
#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long fail_after = -1;

void
alloc_set_fail_after(long n)
{
    atomic_store(&fail_after, n);
}

/* True when the failure hook says this allocation must fail: exactly one
 * allocation fails, then the hook disarms itself. */
static int
should_fail(void)
{
    long n = atomic_load(&fail_after);

    while (n >= 0) {
        long next = n == 0 ? -1 : n - 1;

        if (atomic_compare_exchange_weak(&fail_after, &n, next)) {
            return n == 0;
        }
    }
    return 0;
}

void *
kw_malloc(size_t n)
{
    return should_fail() ? NULL : malloc(n ? n : 1);
}

void *
kw_calloc(size_t nmemb, size_t n)
{
    return should_fail() ? NULL : calloc(nmemb ? nmemb : 1, n ? n : 1);
}

void *
kw_realloc(void *p, size_t n)
{
    return should_fail() ? NULL : realloc(p, n ? n : 1);
}

char *
kw_strndup(const char *s, size_t n)
{
    char *p = kw_malloc(n + 1);

    if (p != NULL) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *
kw_strdup(const char *s)
{
    return kw_strndup(s, strlen(s));
}

void
kw_free(void *p)
{
    free(p);
}
