/*
 * check_strbuf: strbuf, arena and alloc.  Layer: tests/.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "arena.h"
#include "checkmain.h"
#include "strbuf.h"

START_TEST(test_append_printf)
{
    struct strbuf sb = STRBUF_INIT;
    char *p;
    size_t len;

    ck_assert_str_eq(strbuf_peek(&sb), "");
    ck_assert_int_eq(strbuf_puts(&sb, "abc"), 0);
    ck_assert_int_eq(strbuf_putc(&sb, '-'), 0);
    ck_assert_int_eq(strbuf_printf(&sb, "%d/%s", 42, "x"), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "abc-42/x");
    ck_assert_uint_eq(sb.len, 8);
    p = strbuf_detach(&sb, &len);
    ck_assert_str_eq(p, "abc-42/x");
    ck_assert_uint_eq(len, 8);
    ck_assert_ptr_null(sb.buf);
    kw_free(p);
}
END_TEST

START_TEST(test_grow_large)
{
    struct strbuf sb = STRBUF_INIT;
    int i;

    for (i = 0; i < 100000; i++) {
        strbuf_append(&sb, "0123456789", 10);
    }
    ck_assert(strbuf_ok(&sb));
    ck_assert_uint_eq(sb.len, 1000000);
    ck_assert_int_eq(sb.buf[sb.len], '\0');
    strbuf_free(&sb);
}
END_TEST

START_TEST(test_oom_sticky)
{
    struct strbuf sb = STRBUF_INIT;

    strbuf_puts(&sb, "x");
    alloc_set_fail_after(0);
    /* Forces a reallocation, which fails. */
    ck_assert_int_eq(strbuf_append(&sb,
                                   "0123456789012345678901234567890123"
                                   "4567890123456789012345678901234567"
                                   "89",
                                   102),
                     -1);
    alloc_set_fail_after(-1);
    ck_assert(!strbuf_ok(&sb));
    /* Sticky: later appends are refused even though memory is back. */
    ck_assert_int_eq(strbuf_puts(&sb, "y"), -1);
    ck_assert_ptr_null(strbuf_detach(&sb, NULL));
}
END_TEST

START_TEST(test_fail_after_counts)
{
    void *a, *b, *c;

    alloc_set_fail_after(2);
    a = kw_malloc(8);
    b = kw_malloc(8);
    c = kw_malloc(8);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_ptr_null(c);
    c = kw_malloc(8); /* the hook disarms after one failure */
    ck_assert_ptr_nonnull(c);
    kw_free(a);
    kw_free(b);
    kw_free(c);
}
END_TEST

START_TEST(test_arena)
{
    struct arena a;
    char *s, *big;
    int i;

    arena_init(&a);
    s = arena_strdup(&a, "hello");
    ck_assert_str_eq(s, "hello");
    ck_assert_uint_eq(((unsigned long)arena_alloc(&a, 3)) % 16, 0);
    big = arena_alloc(&a, 100000);
    ck_assert_ptr_nonnull(big);
    memset(big, 'x', 100000);
    for (i = 0; i < 10000; i++) {
        ck_assert_ptr_nonnull(arena_alloc(&a, 17));
    }
    ck_assert_str_eq(s, "hello");
    arena_free(&a);
    ck_assert_ptr_null(a.head);
}
END_TEST

START_TEST(test_arena_reset)
{
    struct arena a;
    char *s, *t;

    arena_init(&a);
    s = arena_strdup(&a, "first");
    ck_assert_ptr_nonnull(arena_alloc(&a, 100000)); /* a block of its own */
    arena_reset(&a);
    /* One block stays, empty: the next allocation starts at its start. */
    ck_assert_ptr_nonnull(a.head);
    ck_assert_uint_eq(a.total, 0);
    t = arena_strdup(&a, "again");
    ck_assert_ptr_eq(t, s);
    ck_assert_str_eq(t, "again");
    arena_free(&a);

    /* An arena whose only block is a large one keeps nothing. */
    arena_init(&a);
    ck_assert_ptr_nonnull(arena_alloc(&a, 100000));
    arena_reset(&a);
    ck_assert_ptr_null(a.head);
    ck_assert_ptr_nonnull(arena_strdup(&a, "x"));
    arena_free(&a);
}
END_TEST

START_TEST(test_arena_oom)
{
    struct arena a;

    arena_init(&a);
    alloc_set_fail_after(0);
    ck_assert_ptr_null(arena_alloc(&a, 10));
    alloc_set_fail_after(-1);
    ck_assert_ptr_nonnull(arena_alloc(&a, 10));
    arena_free(&a);
}
END_TEST

static Suite *
strbuf_suite(void)
{
    Suite *s = suite_create("strbuf");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
          *errors = tcase_create("errors");

    tcase_add_test(core, test_append_printf);
    tcase_add_test(core, test_arena);
    tcase_add_test(core, test_arena_reset);
    tcase_add_test(limits, test_grow_large);
    tcase_add_test(errors, test_oom_sticky);
    tcase_add_test(errors, test_fail_after_counts);
    tcase_add_test(errors, test_arena_oom);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(strbuf_suite());
}
