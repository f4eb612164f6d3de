/*
 * check_html: escapers and UTF-8 validation.  Layer: tests/.
 */
#include <check.h>
#include <string.h>

#include "alloc.h"
#include "checkmain.h"
#include "html.h"

static char *
esc(const char *s, size_t n)
{
    struct strbuf sb = STRBUF_INIT;

    html_escape(&sb, s, n);
    return strbuf_detach(&sb, NULL);
}

START_TEST(test_escape_specials)
{
    char *o = esc("<script>\"'&x", 12);

    ck_assert_str_eq(o, "&lt;script&gt;&quot;&#39;&amp;x");
    kw_free(o);
}
END_TEST

/* html_unescape_at undoes each of the five forms html_escape writes, and
 * nothing else. */
START_TEST(test_unescape_at)
{
    static const char src[] = "<script>\"'&x";
    char *o = esc(src, strlen(src)), c;
    size_t i = 0, k = 0, el;

    while (o[i] != '\0') {
        if ((el = html_unescape_at(o + i, strlen(o + i), &c)) > 0) {
            i += el;
        } else {
            c = o[i++];
        }
        ck_assert_int_eq(c, src[k++]);
    }
    ck_assert_uint_eq(k, strlen(src));
    kw_free(o);
    ck_assert_uint_eq(html_unescape_at("&amp", 4, &c), 0);
    ck_assert_uint_eq(html_unescape_at("&nbsp;", 6, &c), 0);
    ck_assert_uint_eq(html_unescape_at("&#60;", 5, &c), 0);
    ck_assert_uint_eq(html_unescape_at("amp;", 4, &c), 0);
    ck_assert_uint_eq(html_unescape_at("", 0, &c), 0);
}
END_TEST

START_TEST(test_escape_utf8)
{
    const char *k = "한국어 café";
    char *o = esc(k, strlen(k));

    ck_assert_str_eq(o, k);
    kw_free(o);
    /* invalid bytes, an overlong slash, a surrogate and NUL */
    o = esc("a\xff"
            "b\xc0\xaf"
            "c\xed\xa0\x80"
            "d\0e",
            13);
    ck_assert(utf8_valid(o, strlen(o)));
    ck_assert_ptr_null(strchr(o, '/'));
    ck_assert_ptr_nonnull(strstr(o, "de"));
    kw_free(o);
}
END_TEST

START_TEST(test_utf8_valid)
{
    ck_assert(utf8_valid("abc", 3));
    ck_assert(utf8_valid("\xea\xb0\x80", 3));
    ck_assert(utf8_valid("\xf0\x9f\x98\x80", 4));
    ck_assert(!utf8_valid("\xc0\x80", 2));         /* overlong NUL */
    ck_assert(!utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    ck_assert(!utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    ck_assert(!utf8_valid("\xe2\x82", 2));         /* truncated */
    ck_assert(!utf8_valid("a\0b", 3));
}
END_TEST

START_TEST(test_url_encode_decode)
{
    struct strbuf sb = STRBUF_INIT;
    char buf[64];
    long n;

    url_encode(&sb, "a b/c?d=é", strlen("a b/c?d=é"));
    ck_assert_str_eq(strbuf_peek(&sb), "a%20b%2Fc%3Fd%3D%C3%A9");
    strbuf_reset(&sb);
    url_encode_path(&sb, "dir/a b.html", 12);
    ck_assert_str_eq(strbuf_peek(&sb), "dir/a%20b.html");
    strbuf_free(&sb);
    strcpy(buf, "a%20b+c%2f");
    n = url_decode(buf, strlen(buf), 1);
    ck_assert_int_eq(n, 6);
    ck_assert_str_eq(buf, "a b c/");
}
END_TEST

START_TEST(test_url_decode_malformed)
{
    char a[] = "%4", b[] = "%zz", c[] = "abc%";

    ck_assert_int_eq(url_decode(a, strlen(a), 0), -1);
    ck_assert_int_eq(url_decode(b, strlen(b), 0), -1);
    ck_assert_int_eq(url_decode(c, strlen(c), 0), -1);
}
END_TEST

START_TEST(test_escape_oom)
{
    struct strbuf sb = STRBUF_INIT;

    alloc_set_fail_after(0);
    ck_assert_int_eq(html_escape(&sb, "<<<<", 4), -1);
    alloc_set_fail_after(-1);
    strbuf_free(&sb);
}
END_TEST

static Suite *
html_suite(void)
{
    Suite *s = suite_create("html");
    TCase *core = tcase_create("core"), *errors = tcase_create("errors");

    tcase_add_test(core, test_escape_specials);
    tcase_add_test(core, test_escape_utf8);
    tcase_add_test(core, test_unescape_at);
    tcase_add_test(core, test_utf8_valid);
    tcase_add_test(core, test_url_encode_decode);
    tcase_add_test(errors, test_url_decode_malformed);
    tcase_add_test(errors, test_escape_oom);
    suite_add_tcase(s, core);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(html_suite());
}
