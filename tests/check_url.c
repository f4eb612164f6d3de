/*
 * check_url: RFC 3986 resolution (every example of sections 5.4.1 and
 * 5.4.2), the lookup-key normal form, hosts and numeric-host detection.
 * Layer: tests/.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checkmain.h"
#include "strbuf.h"
#include "url.h"

static const char rfc_base[] = "http://a/b/c/d;p?q";

static const struct {
    const char *ref;
    const char *want;
} rfc_examples[] = {
    /* 5.4.1 normal examples */
    {"g:h", "g:h"},
    {"g", "http://a/b/c/g"},
    {"./g", "http://a/b/c/g"},
    {"g/", "http://a/b/c/g/"},
    {"/g", "http://a/g"},
    {"//g", "http://g"},
    {"?y", "http://a/b/c/d;p?y"},
    {"g?y", "http://a/b/c/g?y"},
    {"#s", "http://a/b/c/d;p?q#s"},
    {"g#s", "http://a/b/c/g#s"},
    {"g?y#s", "http://a/b/c/g?y#s"},
    {";x", "http://a/b/c/;x"},
    {"g;x", "http://a/b/c/g;x"},
    {"g;x?y#s", "http://a/b/c/g;x?y#s"},
    {"", "http://a/b/c/d;p?q"},
    {".", "http://a/b/c/"},
    {"./", "http://a/b/c/"},
    {"..", "http://a/b/"},
    {"../", "http://a/b/"},
    {"../g", "http://a/b/g"},
    {"../..", "http://a/"},
    {"../../", "http://a/"},
    {"../../g", "http://a/g"},
    /* 5.4.2 abnormal examples */
    {"../../../g", "http://a/g"},
    {"../../../../g", "http://a/g"},
    {"/./g", "http://a/g"},
    {"/../g", "http://a/g"},
    {"g.", "http://a/b/c/g."},
    {".g", "http://a/b/c/.g"},
    {"g..", "http://a/b/c/g.."},
    {"..g", "http://a/b/c/..g"},
    {"./../g", "http://a/b/g"},
    {"./g/.", "http://a/b/c/g/"},
    {"g/./h", "http://a/b/c/g/h"},
    {"g/../h", "http://a/b/c/h"},
    {"g;x=1/./y", "http://a/b/c/g;x=1/y"},
    {"g;x=1/../y", "http://a/b/c/y"},
    {"g?y/./x", "http://a/b/c/g?y/./x"},
    {"g?y/../x", "http://a/b/c/g?y/../x"},
    {"g#s/./x", "http://a/b/c/g#s/./x"},
    {"g#s/../x", "http://a/b/c/g#s/../x"},
    {"http:g", "http:g"}, /* strict parser */
};

START_TEST(test_resolve_rfc)
{
    struct strbuf sb = STRBUF_INIT;

    ck_assert_int_eq(url_resolve(rfc_base, rfc_examples[_i].ref, &sb), 0);
    ck_assert_msg(strcmp(strbuf_peek(&sb), rfc_examples[_i].want) == 0,
                  "ref '%s': got '%s', want '%s'", rfc_examples[_i].ref,
                  strbuf_peek(&sb), rfc_examples[_i].want);
    strbuf_free(&sb);
}
END_TEST

START_TEST(test_resolve_more)
{
    struct strbuf sb = STRBUF_INIT;

    /* Appends to what the buffer holds. */
    strbuf_puts(&sb, "x=");
    ck_assert_int_eq(url_resolve("http://a", "g", &sb), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "x=http://a/g");
    strbuf_reset(&sb);
    /* The base's fragment never leaks into the target. */
    ck_assert_int_eq(url_resolve("http://a/b#frag", "", &sb), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "http://a/b");
    strbuf_reset(&sb);
    ck_assert_int_eq(url_resolve("http://a/b?q#frag", "#s", &sb), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "http://a/b?q#s");
    strbuf_reset(&sb);
    /* An invalid scheme makes a relative path, as in browsers. */
    ck_assert_int_eq(url_resolve("http://a/b/c", "a b:c", &sb), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "http://a/b/a b:c");
    strbuf_reset(&sb);
    ck_assert_int_eq(url_resolve("https://h/x/y", "HTTP://Other/./p", &sb), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "HTTP://Other/p");
    strbuf_reset(&sb);
    ck_assert_int_eq(url_resolve("https://h/x/y", "//o:81/../z?k", &sb), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "https://o:81/z?k");
    strbuf_reset(&sb);
    ck_assert_int_eq(url_resolve("file:///a/b", "../../../c", &sb), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "file:///c");
    strbuf_reset(&sb);
    ck_assert_int_eq(url_resolve("mailto:x@y", "z", &sb), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "mailto:z");
    strbuf_free(&sb);
}
END_TEST

/* Normalise in; assert the key (and the fragment when want_frag). */
static void
norm_ok(const char *in, const char *want, const char *want_frag)
{
    struct strbuf out = STRBUF_INIT, frag = STRBUF_INIT, again = STRBUF_INIT;

    ck_assert_msg(url_normalize(in, &out, &frag) == 0, "refused: %s", in);
    ck_assert_msg(strcmp(strbuf_peek(&out), want) == 0,
                  "'%s': got '%s', want '%s'", in, strbuf_peek(&out), want);
    if (want_frag != NULL) {
        ck_assert_str_eq(strbuf_peek(&frag), want_frag);
    }
    /* A key is a fixed point. */
    ck_assert_int_eq(url_normalize(strbuf_peek(&out), &again, NULL), 0);
    ck_assert_str_eq(strbuf_peek(&again), strbuf_peek(&out));
    strbuf_free(&out);
    strbuf_free(&frag);
    strbuf_free(&again);
}

/* Assert url_normalize refuses in and leaves both buffers alone. */
static void
norm_refused(const char *in)
{
    struct strbuf out = STRBUF_INIT, frag = STRBUF_INIT;

    strbuf_puts(&out, "keep");
    strbuf_puts(&frag, "f");
    ck_assert_msg(url_normalize(in, &out, &frag) == -1, "accepted: %s", in);
    ck_assert_str_eq(strbuf_peek(&out), "keep");
    ck_assert_str_eq(strbuf_peek(&frag), "f");
    strbuf_free(&out);
    strbuf_free(&frag);
}

START_TEST(test_normalize)
{
    norm_ok("HTTP://Example.COM:80/a/./b/../c%7e?x=%2f#frag",
            "http://example.com/a/c~?x=%2F", "frag");
    norm_ok("https://Example.com:443", "https://example.com/", "");
    norm_ok("http://example.com:443/", "http://example.com:443/", NULL);
    norm_ok("https://example.com:80/", "https://example.com:80/", NULL);
    norm_ok("http://example.com:/", "http://example.com/", NULL);
    norm_ok("http://example.com:0080/", "http://example.com/", NULL);
    norm_ok("http://example.com.:8080", "http://example.com:8080/", NULL);
    norm_ok("http://a/b/%2e%2E/c", "http://a/c", NULL);
    norm_ok("http://a/b%2f..%2fc", "http://a/b%2F..%2Fc", NULL);
    norm_ok("http://a/%41%62%2D%5f%7E", "http://a/Ab-_~", NULL);
    norm_ok("http://a/100%", "http://a/100%25", NULL);
    norm_ok("http://a/%zz%4", "http://a/%25zz%254", NULL);
    norm_ok("http://a/?", "http://a/?", NULL);
    norm_ok("http://a/?q=a b/c?d", "http://a/?q=a%20b/c?d", NULL);
    norm_ok("http://a/p#a b", "http://a/p", "a%20b");
    norm_ok("http://a/b\x01"
            "c d\x7f",
            "http://a/b%01c%20d%7F", NULL);
    norm_ok("http://a/<x>\"{|}^`\\", "http://a/%3Cx%3E%22%7B%7C%7D%5E%60%5C",
            NULL);
    norm_ok("http://a/!$&'()*+,;=:@", "http://a/!$&'()*+,;=:@", NULL);
    /* Non-ASCII (here Korean, UTF-8) path bytes become escapes. */
    norm_ok("http://example.com/ko/\xeb\xac\xb8\xec\x84\x9c 1",
            "http://example.com/ko/%EB%AC%B8%EC%84%9C%201", NULL);
    norm_ok("http://a/\xff\xfe", "http://a/%FF%FE", NULL);
    norm_ok("http://[0:0:0:0:0:0:0:1]:8080/x", "http://[::1]:8080/x", NULL);
    norm_ok("http://[FE80::A]/", "http://[fe80::a]/", NULL);
    norm_ok("http://127.0.0.1/", "http://127.0.0.1/", NULL);
    norm_ok("http://a/../../x", "http://a/x", NULL);
    norm_ok("http://a/b/..", "http://a/", NULL);
}
END_TEST

START_TEST(test_normalize_frag_null)
{
    struct strbuf out = STRBUF_INIT;

    ck_assert_int_eq(url_normalize("http://a/b#c", &out, NULL), 0);
    ck_assert_str_eq(strbuf_peek(&out), "http://a/b");
    strbuf_free(&out);
}
END_TEST

START_TEST(test_normalize_refused)
{
    norm_refused("javascript:alert(1)");
    norm_refused("JavaScript://example.com/%0aalert(1)");
    norm_refused("mailto:a@example.com");
    norm_refused("ftp://example.com/");
    norm_refused("file:///etc/passwd");
    norm_refused("gopher://example.com/");
    norm_refused("data:text/html,<script>");
    norm_refused("//example.com/");
    norm_refused("/relative");
    norm_refused("");
    norm_refused("http:example.com");
    norm_refused("http:/example.com");
    norm_refused("http:///x");
    norm_refused("http://");
    norm_refused("http://user@example.com/");
    norm_refused("http://user:pw@example.com/");
    norm_refused("http://example.org@evil.example/");
    norm_refused("http://@example.com/");
    norm_refused("http://\xed\x95\x9c\xea\xb5\xad.kr/"); /* IDN: punycode */
    norm_refused("http://exa_mple.com/");
    norm_refused("http://exa mple.com/");
    norm_refused("http://%65xample.com/");
    norm_refused("http://a..b/");
    norm_refused("http://.a/");
    norm_refused("http://./");
    norm_refused("http://a../");
    norm_refused("http://example.com:99999/");
    norm_refused("http://example.com:8a/");
    norm_refused("http://example.com:-1/");
    norm_refused("http://example.com:80:80/");
    norm_refused("http://[::1/");
    norm_refused("http://[::1]x/");
    norm_refused("http://[]/");
    norm_refused("http://[v1.x]/");
    norm_refused("http://[fe80::1%25eth0]/");
    norm_refused("http://[127.0.0.1]/");
    norm_refused(" http://example.com/");
}
END_TEST

START_TEST(test_host)
{
    struct strbuf sb = STRBUF_INIT;

    ck_assert_int_eq(url_host("https://Docs.Example.ORG.:8443/x", &sb), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "docs.example.org");
    strbuf_reset(&sb);
    ck_assert_int_eq(url_host("http://[::1]:80/", &sb), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "[::1]");
    strbuf_reset(&sb);
    ck_assert_int_eq(url_host("http://2130706433/", &sb), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "2130706433");
    strbuf_reset(&sb);
    ck_assert_int_eq(url_host("ftp://FTP.example.com/", &sb), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "ftp.example.com");
    strbuf_reset(&sb);
    strbuf_puts(&sb, "keep");
    ck_assert_int_eq(url_host("http://u@h/", &sb), -1);
    ck_assert_int_eq(url_host("relative/path", &sb), -1);
    ck_assert_int_eq(url_host("//h/x", &sb), -1);
    ck_assert_int_eq(url_host("mailto:a@b", &sb), -1);
    ck_assert_str_eq(strbuf_peek(&sb), "keep");
    strbuf_free(&sb);
}
END_TEST

START_TEST(test_is_http)
{
    ck_assert_int_eq(url_is_http("http://example.com"), 1);
    ck_assert_int_eq(url_is_http("HTTPS://example.com/x?y#z"), 1);
    ck_assert_int_eq(url_is_http("https://[::1]:8443/"), 1);
    ck_assert_int_eq(url_is_http("http:example.com"), 0);
    ck_assert_int_eq(url_is_http("https://u@example.com/"), 0);
    ck_assert_int_eq(url_is_http("httpx://example.com/"), 0);
    ck_assert_int_eq(url_is_http("javascript:alert(1)"), 0);
    ck_assert_int_eq(url_is_http("/path"), 0);
    ck_assert_int_eq(url_is_http(""), 0);
}
END_TEST

START_TEST(test_host_is_ip)
{
    static const char *const ips[] = {
        "127.0.0.1",   "2130706433",
        "0x7f000001",  "0X7F000001",
        "0177.0.0.1",  "127.1",
        "0x7f.1",      "127.0.1",
        "0",           "0x",
        "127.0.0.1.",  "[::1]",
        "::1",         "[::ffff:127.0.0.1]",
        "example.123", "1.2.3.4.5",
        "999.1.1.1",
    };
    static const char *const names[] = {
        "example.com",
        "1example.com",
        "123.example",
        "deadbeef",
        "0x7f.com",
        "localhost",
        "",
        "[]",
        "[example]",
        ":",
        "a:b",
    };
    size_t i;

    for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
        ck_assert_msg(url_host_is_ip(ips[i]) == 1, "not ip: %s", ips[i]);
    }
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        ck_assert_msg(url_host_is_ip(names[i]) == 0, "ip: %s", names[i]);
    }
}
END_TEST

START_TEST(test_long_inputs)
{
    struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
    char label[80];
    int i;

    /* A million dot segments: linear time, climbs no higher than "/". */
    strbuf_puts(&in, "http://a");
    for (i = 0; i < 200000; i++) {
        strbuf_puts(&in, "/x/..");
    }
    for (i = 0; i < 200000; i++) {
        strbuf_puts(&in, "/..");
    }
    strbuf_puts(&in, "/end");
    ck_assert(strbuf_ok(&in));
    ck_assert_int_eq(url_normalize(strbuf_peek(&in), &out, NULL), 0);
    ck_assert_str_eq(strbuf_peek(&out), "http://a/end");
    strbuf_reset(&out);
    ck_assert_int_eq(url_resolve(strbuf_peek(&in), "../../../y", &out), 0);
    ck_assert_str_eq(strbuf_peek(&out), "http://a/y");
    strbuf_reset(&out);

    /* Host length limits: 63-byte labels, 253 bytes in all. */
    memset(label, 'a', 63);
    label[63] = '\0';
    strbuf_reset(&in);
    strbuf_printf(&in, "http://%s.com/", label);
    ck_assert_int_eq(url_normalize(strbuf_peek(&in), &out, NULL), 0);
    strbuf_reset(&out);
    strbuf_reset(&in);
    strbuf_printf(&in, "http://%sa.com/", label);
    ck_assert_int_eq(url_normalize(strbuf_peek(&in), &out, NULL), -1);
    strbuf_reset(&in);
    strbuf_printf(&in, "http://%s.%s.%s.%s/", label, label, label, label);
    ck_assert_int_eq(url_normalize(strbuf_peek(&in), &out, NULL), -1);
    strbuf_reset(&in);
    strbuf_printf(&in, "http://%s.%s.%s.%.61s/", label, label, label, label);
    ck_assert_int_eq(url_normalize(strbuf_peek(&in), &out, NULL), 0);
    strbuf_reset(&out);

    /* A long non-ASCII path grows threefold and stays exact. */
    strbuf_reset(&in);
    strbuf_puts(&in, "http://a/");
    for (i = 0; i < 100000; i++) {
        strbuf_putc(&in, 0xe9);
    }
    ck_assert_int_eq(url_normalize(strbuf_peek(&in), &out, NULL), 0);
    ck_assert_uint_eq(out.len, strlen("http://a/") + 300000);
    strbuf_free(&in);
    strbuf_free(&out);
}
END_TEST

START_TEST(test_oom)
{
    struct strbuf out = STRBUF_INIT, frag = STRBUF_INIT;
    long k;
    int rc = -1;

    /* Fail each allocation in turn: every failure is -1 with the buffers
     * as they were, and nothing leaks (ASan checks that). */
    for (k = 0; k < 64 && rc != 0; k++) {
        alloc_set_fail_after(k);
        rc = url_normalize("HTTP://Example.COM:80/a/./b/../c%7e?x=%2f#frag",
                           &out, &frag);
        alloc_set_fail_after(-1);
        if (rc != 0) {
            ck_assert_uint_eq(out.len, 0);
            ck_assert_uint_eq(frag.len, 0);
            strbuf_free(&out);
            strbuf_free(&frag);
        }
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(strbuf_peek(&out), "http://example.com/a/c~?x=%2F");
    ck_assert_str_eq(strbuf_peek(&frag), "frag");
    strbuf_free(&out);
    strbuf_free(&frag);

    for (k = 0, rc = -1; k < 64 && rc != 0; k++) {
        alloc_set_fail_after(k);
        rc = url_resolve(rfc_base, "../g;x=1/../y?z#s", &out);
        alloc_set_fail_after(-1);
        if (rc != 0) {
            ck_assert_uint_eq(out.len, 0);
            strbuf_free(&out);
        }
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(strbuf_peek(&out), "http://a/b/y?z#s");
    strbuf_free(&out);

    for (k = 0, rc = -1; k < 64 && rc != 0; k++) {
        alloc_set_fail_after(k);
        rc = url_host("http://Example.com/", &out);
        alloc_set_fail_after(-1);
        if (rc != 0) {
            strbuf_free(&out);
        }
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_str_eq(strbuf_peek(&out), "example.com");
    strbuf_free(&out);
}
END_TEST

START_TEST(test_resolve_errors)
{
    struct strbuf sb = STRBUF_INIT;

    ck_assert_int_eq(url_resolve("/no/scheme", "g", &sb), -1);
    ck_assert_int_eq(url_resolve("", "http://a/", &sb), -1);
    ck_assert_int_eq(url_resolve("1http://a/", "g", &sb), -1);
    ck_assert_uint_eq(sb.len, 0);
    strbuf_free(&sb);
}
END_TEST

/* Redirect targets: what a browser would turn into another origin. */
START_TEST(test_local_path)
{
    static const char *const good[] = {
        "/",     "/c/sqlite/", "/search?q=a%20b", "/x/%2F%2Fevil",
        "/a//b", "/a\\b"};
    static const char *const bad[] = {"",
                                      "//evil.example",
                                      "/\\evil.example",
                                      "\\/evil.example",
                                      "/\t/evil.example",
                                      "\t//evil.example",
                                      " /x",
                                      "/x ",
                                      "/\r\n/x",
                                      "/\n/evil",
                                      "/x\x01",
                                      "/x\x7f",
                                      "http://evil.example/",
                                      "javascript:alert(1)",
                                      "evil.example",
                                      "/\x0b/evil"};
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        ck_assert_msg(url_is_local_path(good[i]) == 1, "refused %s", good[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(url_is_local_path(bad[i]) == 0, "accepted case %zu", i);
    }
    ck_assert_int_eq(url_is_local_path(NULL), 0);
}
END_TEST

/* The table of an ingested document's URLs (url_doc): each source of a
 * URL alone and together, a tree without a real origin, a path to encode,
 * and empty manifest or fetched URLs. */
START_TEST(test_doc_urls)
{
    static const char T[] = "https://sqlite.org/";
    static const char P[] = "http://kwangmyong.invalid/c/k/";
    static const char M[] = "https://m.example/a";
    static const char F[] = "https://f.example/b";
    static const struct {
        const char *tree;
        const char *rel;
        int is_source;
        const char *man, *fet;
        const char *base, *checked, *source, *key, *name;
    } cases[] = {
        /* the tree's own URL, real origin or private */
        {T, "a.html", 1, NULL, NULL, "https://sqlite.org/a.html",
         "https://sqlite.org/a.html", "https://sqlite.org/a.html",
         "https://sqlite.org/a.html", "a.html"},
        {P, "d/a b.html", 0, NULL, NULL,
         "http://kwangmyong.invalid/c/k/d/a%20b.html", NULL, NULL,
         "http://kwangmyong.invalid/c/k/d/a%20b.html", "a b.html"},
        /* a manifest URL wins over the tree's everywhere */
        {T, "a.html", 1, M, NULL, M, M, M, M, "a.html"},
        {P, "a.html", 0, M, NULL, M, M, M, M, "a.html"},
        /* a fetched URL wins over the tree's everywhere */
        {T, "x/y/a.html", 1, NULL, F, F, F, F, F, "a.html"},
        {P, "a.html", 0, NULL, F, F, F, F, F, "a.html"},
        /* both: links and policy take the fetched one, provenance the
         * manifest's */
        {T, "a.html", 1, M, F, F, F, M, M, "a.html"},
        /* an empty manifest URL: links resolve against it, provenance
         * falls back */
        {T, "a.html", 1, "", NULL, "", "", "https://sqlite.org/a.html",
         "https://sqlite.org/a.html", "a.html"},
        {P, "a.html", 0, "", NULL, "", "", NULL,
         "http://kwangmyong.invalid/c/k/a.html", "a.html"},
        /* an empty fetched URL: no provenance, the key is empty */
        {T, "a.html", 1, NULL, "", "", "", NULL, "", "a.html"},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct url_doc_in in = {cases[i].tree, cases[i].rel, cases[i].is_source,
                                cases[i].man, cases[i].fet};
        struct url_doc d;

        ck_assert_int_eq(url_doc(&in, &d), 0);
        ck_assert_msg(strcmp(d.base, cases[i].base) == 0, "%zu base %s", i,
                      d.base);
        if (cases[i].checked == NULL) {
            ck_assert_msg(d.checked == NULL, "%zu checked %s", i, d.checked);
        } else {
            ck_assert_msg(d.checked != NULL &&
                              strcmp(d.checked, cases[i].checked) == 0,
                          "%zu checked", i);
        }
        if (cases[i].source == NULL) {
            ck_assert_msg(d.source == NULL, "%zu source %s", i, d.source);
        } else {
            ck_assert_msg(d.source != NULL &&
                              strcmp(d.source, cases[i].source) == 0,
                          "%zu source", i);
        }
        ck_assert_msg(strcmp(d.key, cases[i].key) == 0, "%zu key %s", i, d.key);
        ck_assert_str_eq(d.name, cases[i].name);
        url_doc_free(&d);
    }
    ck_assert_str_eq(url_doc_name("a/b/c.pdf"), "c.pdf");
    ck_assert_str_eq(url_doc_name("c.pdf"), "c.pdf");
}
END_TEST

static Suite *
url_suite(void)
{
    Suite *s = suite_create("url");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
          *errors = tcase_create("errors");

    tcase_add_loop_test(core, test_resolve_rfc, 0,
                        sizeof(rfc_examples) / sizeof(rfc_examples[0]));
    tcase_add_test(core, test_resolve_more);
    tcase_add_test(core, test_normalize);
    tcase_add_test(core, test_normalize_frag_null);
    tcase_add_test(core, test_host);
    tcase_add_test(core, test_is_http);
    tcase_add_test(core, test_host_is_ip);
    tcase_add_test(core, test_local_path);
    tcase_add_test(core, test_doc_urls);
    tcase_add_test(limits, test_long_inputs);
    tcase_add_test(errors, test_normalize_refused);
    tcase_add_test(errors, test_resolve_errors);
    tcase_add_test(errors, test_oom);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(url_suite());
}
