/*
 * check_pagecache: the server's cache of ready answers (lib/pagecache.c):
 * a value is found until the generation moves, a value made under an older
 * generation is refused, the byte budget evicts the least recently used
 * first and refuses what cannot fit, and every value is released exactly
 * once (when dropped, replaced, refused or at free).  Layer: tests/.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "checkmain.h"
#include "pagecache.h"

static int released;

static void
release(void *v)
{
    released++;
    kw_free(v);
}

static int *
val(int n)
{
    int *p = kw_malloc(sizeof(*p));

    ck_assert_ptr_nonnull(p);
    *p = n;
    return p;
}

static void
take(void *v, void *ctx)
{
    *(int *)ctx = *(int *)v;
}

/* The value under key, or -1 on a miss. */
static int
get(struct pagecache *c, const char *key)
{
    int got = -1;

    if (!pagecache_use(c, key, strlen(key), take, &got)) {
        return -1;
    }
    return got;
}

static int
put(struct pagecache *c, uint64_t gen, const char *key, int n, size_t bytes)
{
    return pagecache_put(c, gen, key, strlen(key), val(n), bytes);
}

START_TEST(test_core)
{
    struct pagecache *c = pagecache_new(1 << 20, release);
    struct pagecache_stats st;
    uint64_t g = pagecache_gen(c);

    released = 0;
    ck_assert_int_eq(get(c, "a"), -1);
    ck_assert_int_eq(put(c, g, "a", 1, 100), 0);
    ck_assert_int_eq(put(c, g, "b", 2, 100), 0);
    ck_assert_int_eq(get(c, "a"), 1);
    ck_assert_int_eq(get(c, "b"), 2);
    ck_assert_int_eq(put(c, g, "a", 3, 100), 0); /* replaces */
    ck_assert_int_eq(released, 1);
    ck_assert_int_eq(get(c, "a"), 3);
    pagecache_bump(c);
    ck_assert_int_eq(released, 3);
    ck_assert_int_eq(get(c, "a"), -1);
    ck_assert_int_eq(get(c, "b"), -1);
    /* Made from a snapshot read under the old generation: refused. */
    ck_assert_int_eq(put(c, g, "a", 4, 100), 1);
    ck_assert_int_eq(released, 4);
    ck_assert_int_eq(get(c, "a"), -1);
    ck_assert_int_eq(put(c, pagecache_gen(c), "a", 5, 100), 0);
    ck_assert_int_eq(get(c, "a"), 5);
    pagecache_stats(c, &st);
    ck_assert_uint_eq(st.entries, 1);
    ck_assert_uint_eq(st.drops, 1);
    ck_assert_uint_eq(st.hits, 4);
    ck_assert_uint_eq(st.misses, 4);
    pagecache_free(c);
    ck_assert_int_eq(released, 5);
}
END_TEST

START_TEST(test_limits)
{
    struct pagecache *c = pagecache_new(10000, release);
    struct pagecache_stats st;
    uint64_t g = pagecache_gen(c);
    char key[16];
    int i;

    released = 0;
    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        ck_assert_int_eq(put(c, g, key, i, 2000), 0);
        if (i == 3) {
            ck_assert_int_eq(get(c, "k0"), 0); /* k0 now newest */
        }
        pagecache_stats(c, &st);
        ck_assert_uint_le(st.bytes, 10000);
    }
    pagecache_stats(c, &st);
    ck_assert_uint_ge(st.entries, 3);
    ck_assert_uint_eq(st.entries + (uint64_t)released, 10);
    ck_assert_int_eq(get(c, "k9"), 9);
    ck_assert_int_eq(get(c, "k1"), -1); /* oldest unused: gone first */
    /* Larger than the whole budget: refused, released, nothing evicted. */
    ck_assert_int_eq(put(c, g, "big", 99, 20000), 1);
    ck_assert_int_eq(get(c, "big"), -1);
    ck_assert_int_eq(get(c, "k9"), 9);
    pagecache_free(c);
    ck_assert_int_eq(released, 11);

    /* A budget of 0: nothing is kept. */
    c = pagecache_new(0, release);
    released = 0;
    ck_assert_int_eq(pagecache_enabled(c), 0);
    ck_assert_int_eq(put(c, pagecache_gen(c), "a", 1, 1), 1);
    ck_assert_int_eq(released, 1);
    ck_assert_int_eq(get(c, "a"), -1);
    pagecache_free(c);
    pagecache_free(NULL);
    pagecache_bump(NULL);
}
END_TEST

static Suite *
pagecache_suite(void)
{
    Suite *s = suite_create("pagecache");
    TCase *core = tcase_create("core");
    TCase *limits = tcase_create("limits");

    tcase_add_test(core, test_core);
    tcase_add_test(limits, test_limits);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    return s;
}

int
main(void)
{
    return check_main(pagecache_suite());
}
