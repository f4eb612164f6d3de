/*
 * check_lru: the bounded least-recently-used table under both server
 * caches (lib/lru.c): entries leave least recently used first when the
 * byte budget would be passed, a put replaces the value under the same
 * key, an entry that can never fit is refused, lru_has leaves use order
 * alone, and every value is released exactly once (replaced, evicted,
 * refused, dropped or at free).  Layer: tests/.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "checkmain.h"
#include "lru.h"

#define NVAL 256

/* Every value is an index into freed[]: how often it was released. */
static int vals[NVAL];
static int freed[NVAL];

static void
release(void *v)
{
    freed[(int *)v - vals]++;
}

static void
reset(void)
{
    int i;

    for (i = 0; i < NVAL; i++) {
        vals[i] = i;
        freed[i] = 0;
    }
}

/* Put value n under key, costing bytes: lru_insert's answer. */
static int
put(struct lru *l, const char *key, int n, size_t bytes)
{
    size_t klen = strlen(key);
    struct lru_entry *e =
        lru_entry_new(l, lru_hash(key, klen), key, klen, &vals[n], bytes);

    ck_assert_ptr_nonnull(e);
    return lru_insert(l, e);
}

/* The value under key, or -1 on a miss. */
static int
get(struct lru *l, const char *key)
{
    size_t klen = strlen(key);
    int *v = lru_get(l, lru_hash(key, klen), key, klen);

    return v != NULL ? *v : -1;
}

static int
has(struct lru *l, const char *key)
{
    size_t klen = strlen(key);

    return lru_has(l, lru_hash(key, klen), key, klen);
}

START_TEST(test_core)
{
    struct lru l;
    int i;

    reset();
    ck_assert_int_eq(lru_init(&l, 1 << 20, 4096, release), 0);
    ck_assert_int_eq(get(&l, "a"), -1);
    ck_assert_int_eq(put(&l, "a", 1, 100), 0);
    ck_assert_int_eq(put(&l, "b", 2, 200), 0);
    ck_assert_uint_eq(l.entries, 2);
    ck_assert_uint_eq(l.bytes, lru_cost(1, 100) + lru_cost(1, 200));
    ck_assert_int_eq(get(&l, "a"), 1);
    ck_assert_int_eq(get(&l, "b"), 2);
    ck_assert_int_eq(has(&l, "b"), 1);
    ck_assert_int_eq(has(&l, "c"), 0);
    /* Keys are bytes: a prefix or a longer key is another key. */
    ck_assert_int_eq(get(&l, ""), -1);
    ck_assert_int_eq(get(&l, "ab"), -1);

    /* Replacing: the old value is released once, the cost follows. */
    ck_assert_int_eq(put(&l, "a", 3, 50), 0);
    ck_assert_int_eq(freed[1], 1);
    ck_assert_int_eq(get(&l, "a"), 3);
    ck_assert_uint_eq(l.entries, 2);
    ck_assert_uint_eq(l.bytes, lru_cost(1, 50) + lru_cost(1, 200));

    /* An entry that never went in: its value released once. */
    lru_entry_free(&l,
                   lru_entry_new(&l, lru_hash("z", 1), "z", 1, &vals[4], 10));
    ck_assert_int_eq(freed[4], 1);
    lru_entry_free(&l, NULL);

    lru_drop_all(&l);
    ck_assert_uint_eq(l.entries, 0);
    ck_assert_uint_eq(l.bytes, 0);
    ck_assert_int_eq(get(&l, "a"), -1);
    ck_assert_int_eq(get(&l, "b"), -1);
    ck_assert_int_eq(freed[2], 1);
    ck_assert_int_eq(freed[3], 1);
    /* Usable again after a drop. */
    ck_assert_int_eq(put(&l, "a", 5, 10), 0);
    ck_assert_int_eq(get(&l, "a"), 5);
    lru_free(&l);
    ck_assert_int_eq(freed[5], 1);
    for (i = 0; i < NVAL; i++) {
        ck_assert_int_le(freed[i], 1);
    }
}
END_TEST

START_TEST(test_limits)
{
    size_t one = lru_cost(2, 1000);
    struct lru l;
    char key[8];
    int i;

    reset();
    /* Room for three entries of one cost, not four. */
    ck_assert_int_eq(lru_init(&l, 3 * one + one / 2, 64, release), 0);
    ck_assert_int_eq(put(&l, "k0", 0, 1000), 0);
    ck_assert_int_eq(put(&l, "k1", 1, 1000), 0);
    ck_assert_int_eq(put(&l, "k2", 2, 1000), 0);
    ck_assert_uint_eq(l.entries, 3);
    /* k0 used: k1 is now the least recently used; lru_has is no use. */
    ck_assert_int_eq(get(&l, "k0"), 0);
    ck_assert_int_eq(has(&l, "k1"), 1);
    ck_assert_int_eq(put(&l, "k3", 3, 1000), 0);
    ck_assert_int_eq(freed[1], 1);
    ck_assert_int_eq(get(&l, "k1"), -1);
    ck_assert_int_eq(get(&l, "k2"), 2);
    ck_assert_int_eq(get(&l, "k0"), 0);
    ck_assert_int_eq(get(&l, "k3"), 3);
    ck_assert_uint_eq(l.bytes, 3 * one);

    /* By bytes: an entry of twice the cost pushes out the two oldest
     * (k2, then k0; k3 was used last). */
    ck_assert_int_eq(put(&l, "kb", 4, 2000 + lru_cost(2, 0)), 0);
    ck_assert_int_eq(freed[2], 1);
    ck_assert_int_eq(freed[0], 1);
    ck_assert_int_eq(freed[3], 0);
    ck_assert_uint_eq(l.entries, 2);
    ck_assert_uint_le(l.bytes, l.max_bytes);

    /* More than the whole budget: refused, released, nothing evicted. */
    ck_assert_int_eq(put(&l, "xx", 5, 4 * 1000 + 4 * one), 1);
    ck_assert_int_eq(freed[5], 1);
    ck_assert_int_eq(get(&l, "xx"), -1);
    ck_assert_int_eq(get(&l, "k3"), 3);
    ck_assert_int_eq(get(&l, "kb"), 4);

    /* Many more keys than buckets: all found while the budget holds. */
    lru_free(&l);
    reset();
    ck_assert_int_eq(lru_init(&l, 1 << 20, 1 << 20, release), 0);
    ck_assert_uint_eq(l.nbuckets, 64);
    for (i = 0; i < NVAL; i++) {
        snprintf(key, sizeof(key), "n%d", i);
        ck_assert_int_eq(put(&l, key, i, 1), 0);
    }
    for (i = 0; i < NVAL; i++) {
        snprintf(key, sizeof(key), "n%d", i);
        ck_assert_int_eq(get(&l, key), i);
    }
    lru_free(&l);
    for (i = 0; i < NVAL; i++) {
        ck_assert_int_eq(freed[i], 1);
    }

    /* A budget of 0 holds nothing. */
    reset();
    ck_assert_int_eq(lru_init(&l, 0, 4096, release), 0);
    ck_assert_int_eq(put(&l, "a", 1, 0), 1);
    ck_assert_int_eq(freed[1], 1);
    ck_assert_int_eq(get(&l, "a"), -1);
    lru_free(&l);
}
END_TEST

START_TEST(test_errors)
{
    struct lru l;
    struct lru_entry *e;

    reset();
    /* Out of memory at init: an empty table, safe to free. */
    alloc_set_fail_after(0);
    ck_assert_int_eq(lru_init(&l, 1 << 20, 4096, release), -1);
    alloc_set_fail_after(-1);
    lru_free(&l);

    /* Out of memory for an entry: the value is released all the same. */
    ck_assert_int_eq(lru_init(&l, 1 << 20, 4096, release), 0);
    alloc_set_fail_after(0);
    e = lru_entry_new(&l, lru_hash("a", 1), "a", 1, &vals[7], 10);
    alloc_set_fail_after(-1);
    ck_assert_ptr_null(e);
    ck_assert_int_eq(freed[7], 1);
    ck_assert_uint_eq(l.entries, 0);
    lru_free(&l);
    ck_assert_int_eq(freed[7], 1);
}
END_TEST

static Suite *
lru_suite(void)
{
    Suite *s = suite_create("lru");
    TCase *core = tcase_create("core");
    TCase *limits = tcase_create("limits");
    TCase *errors = tcase_create("errors");

    tcase_add_test(core, test_core);
    tcase_add_test(limits, test_limits);
    tcase_add_test(errors, test_errors);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(lru_suite());
}
