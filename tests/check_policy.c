/*
 * check_policy: the vetting policy: suffix rules, deny over allow, the
 * allow-list mode, numeric hosts, fetch rules, sizes and types, errors
 * that name file:line, and the shipped policy/default.policy.  Layer:
 * tests/.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "checkmain.h"
#include "policy.h"

/* Parse text or fail the test; the policy is new (policy_free). */
static struct policy *
parse_ok(const char *text)
{
    struct policy *p = NULL;
    char err[256];

    ck_assert_msg(
        policy_parse(text, strlen(text), "t.policy", &p, err, sizeof(err)) == 0,
        "parse failed: %s", err);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* Parse text, expect failure with exactly the message want. */
static void
parse_err(const char *text, const char *want)
{
    struct policy *p = (struct policy *)1;
    char err[256];

    ck_assert_int_eq(
        policy_parse(text, strlen(text), "t.policy", &p, err, sizeof(err)), -1);
    ck_assert_ptr_null(p);
    ck_assert_msg(strcmp(err, want) == 0, "got '%s', want '%s'", err, want);
}

/* Assert the source check of url: ok, or refused with reason want. */
static void
source_is(const struct policy *p, const char *url, const char *want)
{
    char reason[256];
    int rc = policy_check_source(p, url, reason, sizeof(reason));

    if (want == NULL) {
        ck_assert_msg(rc == 0, "%s refused: %s", url, reason);
    } else {
        ck_assert_msg(rc == -1, "%s allowed", url);
        ck_assert_msg(strcmp(reason, want) == 0, "%s: got '%s', want '%s'", url,
                      reason, want);
    }
}

/* As source_is, for policy_check_fetch. */
static void
fetch_is(const struct policy *p, const char *url, const char *want)
{
    char reason[256];
    int rc = policy_check_fetch(p, url, reason, sizeof(reason));

    if (want == NULL) {
        ck_assert_msg(rc == 0, "%s refused: %s", url, reason);
    } else {
        ck_assert_msg(rc == -1, "%s allowed", url);
        ck_assert_msg(strcmp(reason, want) == 0, "%s: got '%s', want '%s'", url,
                      reason, want);
    }
}

START_TEST(test_suffix)
{
    struct policy *p = parse_ok("allow example.org\n");

    source_is(p, "http://example.org/", NULL);
    source_is(p, "https://docs.example.org/a/b?c", NULL);
    source_is(p, "https://DOCS.Example.ORG.:8443/", NULL);
    source_is(p, "http://a.b.example.org/", NULL);
    source_is(p, "http://badexample.org/",
              "blocked source: badexample.org not in allow list");
    source_is(p, "http://example.org.evil.com/",
              "blocked source: example.org.evil.com not in allow list");
    source_is(p, "http://org/", "blocked source: org not in allow list");
    source_is(p, "http://xexample.org/",
              "blocked source: xexample.org not in allow list");
    policy_free(p);
}
END_TEST

START_TEST(test_deny_wins)
{
    struct policy *p = parse_ok("allow example.org\n"
                                "deny ads.example.org\n"
                                "allow ads.example.org\n");

    source_is(p, "http://example.org/", NULL);
    source_is(p, "http://notads.example.org/", NULL);
    source_is(p, "http://ads.example.org/x",
              "blocked source: ads.example.org (deny ads.example.org)");
    source_is(p, "http://x.ads.example.org/",
              "blocked source: x.ads.example.org (deny ads.example.org)");
    policy_free(p);
}
END_TEST

START_TEST(test_open_mode)
{
    struct policy *p = parse_ok("# no allow lines\n"
                                "deny doubleclick.net tracking.invalid\n"
                                "deny FaceBook.COM.\n");

    source_is(p, "https://sqlite.org/", NULL);
    source_is(p, "https://anything.example/", NULL);
    source_is(p, "https://ad.doubleclick.net/x",
              "blocked source: ad.doubleclick.net (deny doubleclick.net)");
    source_is(p, "http://www.facebook.com/",
              "blocked source: www.facebook.com (deny facebook.com)");
    source_is(p, "http://tracking.invalid/",
              "blocked source: tracking.invalid (deny tracking.invalid)");
    source_is(p, "http://notfacebook.com/", NULL);
    policy_free(p);
}
END_TEST

START_TEST(test_numeric_hosts)
{
    struct policy *open = parse_ok("deny example.com\n");
    struct policy *p = parse_ok("allow example.org 127.0.0.1 ::1 0.1\n"
                                "deny 10.0.0.1\n");
    static const char *const blocked[] = {
        "http://2130706433/",  "http://0x7f000001/", "http://0177.0.0.1/",
        "http://127.1/",       "http://0x7f.1/",     "http://[::2]/",
        "http://192.168.1.1/", "http://127.0.0.2/",  "http://8.8.8.8:53/",
    };
    char want[128];
    size_t i;

    source_is(open, "http://127.0.0.1/",
              "blocked source: 127.0.0.1 is a numeric address not in allow "
              "list");
    source_is(open, "http://[::1]/",
              "blocked source: [::1] is a numeric address not in allow list");
    source_is(p, "http://127.0.0.1:8080/x", NULL);
    source_is(p, "http://127.0.0.1./x", NULL);
    source_is(p, "http://[::1]/", NULL);
    source_is(p, "http://[0:0::1]/", NULL);
    source_is(p, "http://10.0.0.1/",
              "blocked source: 10.0.0.1 (deny 10.0.0.1)");
    /* "0.1" is an exact rule: no suffix match for numbers. */
    source_is(p, "http://0.1/", NULL);
    for (i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
        char host[64];
        const char *h = blocked[i] + strlen("http://");
        size_t n = strcspn(h, ":/");

        if (h[0] == '[') {
            n = strcspn(h, "]") + 1;
        }
        snprintf(host, sizeof(host), "%.*s", (int)n, h);
        snprintf(want, sizeof(want),
                 "blocked source: %s is a numeric address not in allow list",
                 host);
        source_is(open, blocked[i], want);
        source_is(p, blocked[i], want);
    }
    policy_free(open);
    policy_free(p);
}
END_TEST

START_TEST(test_not_http)
{
    struct policy *p = parse_ok("");
    static const char *const urls[] = {
        "ftp://example.org/", "javascript:alert(1)",
        "file:///etc/passwd", "gopher://example.org:70/",
        "data:text/html,x",   "/relative",
        "//example.org/",     "",
    };
    size_t i;

    for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        source_is(p, urls[i], "blocked source: not an http(s) URL");
        fetch_is(p, urls[i], "fetch refused: not an http(s) URL");
    }
    source_is(p, "http://user@example.org/",
              "blocked source: malformed http(s) URL (userinfo, bad host or "
              "port)");
    source_is(p, "http://example.org:99999/",
              "blocked source: malformed http(s) URL (userinfo, bad host or "
              "port)");
    source_is(p, "https://example.org@127.0.0.1/",
              "blocked source: malformed http(s) URL (userinfo, bad host or "
              "port)");
    /* No reason buffer: still refused. */
    ck_assert_int_eq(policy_check_source(p, "ftp://x/", NULL, 0), -1);
    policy_free(p);
}
END_TEST

START_TEST(test_sizes_types)
{
    struct policy *p = parse_ok("");

    ck_assert_uint_eq(policy_max_size(p), 64u * 1024 * 1024);
    ck_assert_uint_eq(policy_fetch_max_size(p), 32u * 1024 * 1024);
    ck_assert_int_eq(policy_fetch_timeout(p), 60);
    ck_assert_uint_eq(policy_archive_max_size(p),
                      (size_t)16 * 1024 * 1024 * 1024);
    ck_assert_int_eq(policy_type_allowed(p, "html"), 1);
    ck_assert_int_eq(policy_type_allowed(p, "markdown"), 1);
    ck_assert_int_eq(policy_type_allowed(p, "text"), 1);
    ck_assert_int_eq(policy_type_allowed(p, "pdf"), 1);
    ck_assert_int_eq(policy_type_allowed(p, "exe"), 0);
    ck_assert_int_eq(policy_type_allowed(p, ""), 0);
    ck_assert_int_eq(policy_type_allowed(p, "HTML"), 0);
    policy_free(p);

    p = parse_ok("max_size 512\ntypes pdf html\n"
                 "fetch_max_size 3k\nfetch_timeout 5\n");
    ck_assert_uint_eq(policy_max_size(p), 512);
    ck_assert_uint_eq(policy_fetch_max_size(p), 3072);
    ck_assert_int_eq(policy_fetch_timeout(p), 5);
    ck_assert_int_eq(policy_type_allowed(p, "html"), 1);
    ck_assert_int_eq(policy_type_allowed(p, "pdf"), 1);
    ck_assert_int_eq(policy_type_allowed(p, "text"), 0);
    ck_assert_int_eq(policy_type_allowed(p, "markdown"), 0);
    policy_free(p);

    p = parse_ok("max_size 64K\nfetch_max_size 3M");
    ck_assert_uint_eq(policy_max_size(p), 65536);
    ck_assert_uint_eq(policy_fetch_max_size(p), 3u * 1024 * 1024);
    policy_free(p);
    p = parse_ok("max_size 2G\nfetch_max_size 1g\n");
    ck_assert_uint_eq(policy_max_size(p), (size_t)2 * 1024 * 1024 * 1024);
    ck_assert_uint_eq(policy_fetch_max_size(p), (size_t)1024 * 1024 * 1024);
    policy_free(p);
    p = parse_ok("max_size 7m\n");
    ck_assert_uint_eq(policy_max_size(p), 7u * 1024 * 1024);
    policy_free(p);
    /* archive_max_size: its own value, the others left alone. */
    p = parse_ok("archive_max_size 100G # a Wikipedia\n");
    ck_assert_uint_eq(policy_archive_max_size(p),
                      (size_t)100 * 1024 * 1024 * 1024);
    ck_assert_uint_eq(policy_max_size(p), 64u * 1024 * 1024);
    ck_assert_uint_eq(policy_fetch_max_size(p), 32u * 1024 * 1024);
    policy_free(p);
    p = parse_ok("max_size 1k\narchive_max_size 4096\n");
    ck_assert_uint_eq(policy_archive_max_size(p), 4096);
    ck_assert_uint_eq(policy_max_size(p), 1024);
    policy_free(p);
    p = parse_ok("archive_max_size 3m\n");
    ck_assert_uint_eq(policy_archive_max_size(p), 3u * 1024 * 1024);
    policy_free(p);
}
END_TEST

START_TEST(test_syntax)
{
    /* Comments anywhere, blank lines, CRLF, tabs, several hosts a line. */
    struct policy *p = parse_ok("# header\r\n"
                                "\r\n"
                                "   \t \n"
                                "allow\texample.org   # trailing comment\r\n"
                                "allow a.example b.example#no space\n"
                                "deny ads.example.org  \n"
                                "max_size 1M # one mebibyte");

    source_is(p, "http://x.example.org/", NULL);
    source_is(p, "http://a.example/", NULL);
    source_is(p, "http://b.example/", NULL);
    source_is(p, "http://c.example/",
              "blocked source: c.example not in allow list");
    source_is(p, "http://ads.example.org/",
              "blocked source: ads.example.org (deny ads.example.org)");
    ck_assert_uint_eq(policy_max_size(p), 1024 * 1024);
    policy_free(p);
}
END_TEST

START_TEST(test_fetch)
{
    struct policy *off = parse_ok("allow sqlite.org\n");
    struct policy *p = parse_ok("fetch_allow sqlite.org 127.0.0.1 [::1]\n"
                                "deny bad.sqlite.org\n");

    fetch_is(off, "https://sqlite.org/",
             "fetch refused: fetching is disabled (no fetch_allow in the "
             "policy)");
    fetch_is(p, "https://www.sqlite.org/src/tarball", NULL);
    fetch_is(p, "http://sqlite.org:8080/", NULL);
    fetch_is(p, "https://notsqlite.org/",
             "fetch refused: notsqlite.org not in fetch_allow");
    fetch_is(p, "https://bad.sqlite.org/",
             "fetch refused: bad.sqlite.org (deny bad.sqlite.org)");
    fetch_is(p, "gopher://sqlite.org/", "fetch refused: not an http(s) URL");
    fetch_is(p, "file:///etc/passwd", "fetch refused: not an http(s) URL");
    fetch_is(p, "http://127.0.0.1:8080/x", NULL);
    fetch_is(p, "http://[::1]:8080/x", NULL);
    fetch_is(p, "http://127.1/",
             "fetch refused: 127.1 is a numeric address not in fetch_allow");
    fetch_is(p, "http://2130706433/",
             "fetch refused: 2130706433 is a numeric address not in "
             "fetch_allow");
    fetch_is(p, "http://0x7f.1/",
             "fetch refused: 0x7f.1 is a numeric address not in fetch_allow");
    fetch_is(p, "http://sqlite.org@127.0.0.1/",
             "fetch refused: malformed http(s) URL (userinfo, bad host or "
             "port)");
    /* fetch_allow does not admit sources by itself. */
    source_is(off, "https://www.sqlite.org/", NULL);
    policy_free(off);
    policy_free(p);
}
END_TEST

START_TEST(test_default_policy)
{
    const char *src = getenv("KW_SRCDIR");
    struct policy *p = NULL;
    char path[4096], err[256];

    snprintf(path, sizeof(path), "%s/policy/default.policy",
             src != NULL ? src : ".");
    ck_assert_msg(policy_load(path, &p, err, sizeof(err)) == 0, "%s", err);
    source_is(p, "https://www.sqlite.org/lang.html", NULL);
    source_is(p, "https://example.org/", NULL);
    source_is(p, "https://ad.doubleclick.net/",
              "blocked source: ad.doubleclick.net (deny doubleclick.net)");
    source_is(p, "https://pagead2.googlesyndication.com/",
              "blocked source: pagead2.googlesyndication.com (deny "
              "googlesyndication.com)");
    source_is(p, "https://www.facebook.com/",
              "blocked source: www.facebook.com (deny facebook.com)");
    source_is(p, "http://tracking.invalid/",
              "blocked source: tracking.invalid (deny tracking.invalid)");
    source_is(p, "http://127.0.0.1/",
              "blocked source: 127.0.0.1 is a numeric address not in allow "
              "list");
    fetch_is(p, "https://www.sqlite.org/",
             "fetch refused: fetching is disabled (no fetch_allow in the "
             "policy)");
    ck_assert_uint_eq(policy_max_size(p), 64u * 1024 * 1024);
    ck_assert_uint_eq(policy_fetch_max_size(p), 32u * 1024 * 1024);
    ck_assert_int_eq(policy_fetch_timeout(p), 60);
    ck_assert_uint_eq(policy_archive_max_size(p),
                      (size_t)16 * 1024 * 1024 * 1024);
    ck_assert_int_eq(policy_type_allowed(p, "html"), 1);
    ck_assert_int_eq(policy_type_allowed(p, "markdown"), 1);
    ck_assert_int_eq(policy_type_allowed(p, "text"), 1);
    ck_assert_int_eq(policy_type_allowed(p, "pdf"), 1);
    policy_free(p);
}
END_TEST

START_TEST(test_many_rules)
{
    struct policy *p;
    char *text, *w;
    size_t i, n = 100000;

    /* A large blocklist stays a binary search per label. */
    text = malloc(n * 32 + 64);
    ck_assert_ptr_nonnull(text);
    w = text;
    for (i = 0; i < n; i++) {
        w += sprintf(w, "deny host%zu.example\n", i);
    }
    w += sprintf(w, "deny host5.example\n"); /* repeated rule */
    p = parse_ok(text);
    free(text);
    source_is(p, "http://a.b.host99999.example/",
              "blocked source: a.b.host99999.example (deny "
              "host99999.example)");
    source_is(p, "http://host100000.example/", NULL);
    for (i = 0; i < 100000; i++) {
        ck_assert_int_eq(
            policy_check_source(p, "http://a.b.c.d.e.f.example/", NULL, 0), 0);
    }
    policy_free(p);
}
END_TEST

START_TEST(test_parse_errors)
{
    parse_err("allow example.org\nfrobnicate x\n",
              "t.policy:2: unknown directive 'frobnicate'");
    parse_err("Allow example.org\n", "t.policy:1: unknown directive 'Allow'");
    parse_err("\n\nallow\n", "t.policy:3: 'allow' needs at least one host");
    parse_err("deny # nothing\n", "t.policy:1: 'deny' needs at least one host");
    parse_err("allow *.example.org\n",
              "t.policy:1: '*.example.org': no wildcards; a rule already "
              "matches its subdomains");
    parse_err("allow example.org/path\n",
              "t.policy:1: 'example.org/path' is not a host name or address");
    parse_err("allow user@example.org\n",
              "t.policy:1: 'user@example.org' is not a host name or address");
    parse_err("allow example.org:80\n",
              "t.policy:1: 'example.org:80' is not a host name or address");
    parse_err("allow http://example.org\n",
              "t.policy:1: 'http://example.org' is not a host name or "
              "address");
    parse_err("allow exa_mple.org\n",
              "t.policy:1: 'exa_mple.org' is not a host name or address");
    parse_err("allow a..b\n",
              "t.policy:1: 'a..b' is not a host name or address");
    parse_err("fetch_allow [::1\n",
              "t.policy:1: '[::1' is not a host name or address");
    parse_err("deny \xed\x95\x9c.kr\n",
              "t.policy:1: '???.kr' is not a host name or address");
    parse_err("max_size 12Q\n",
              "t.policy:1: '12Q' is not a size (e.g. 65536, 64k, 64M, 1G)");
    parse_err("max_size M\n",
              "t.policy:1: 'M' is not a size (e.g. 65536, 64k, 64M, 1G)");
    parse_err("max_size 1MB\n",
              "t.policy:1: '1MB' is not a size (e.g. 65536, 64k, 64M, 1G)");
    parse_err("max_size -1\n",
              "t.policy:1: '-1' is not a size (e.g. 65536, 64k, 64M, 1G)");
    parse_err("max_size 0\n", "t.policy:1: a size must be greater than zero");
    parse_err("max_size 99999999999999999999\n",
              "t.policy:1: size '99999999999999999999' is too large");
    parse_err("max_size 99999999999G\n",
              "t.policy:1: size '99999999999G' is too large");
    parse_err("max_size\n", "t.policy:1: 'max_size' takes exactly one value");
    parse_err("max_size 1 2\n",
              "t.policy:1: 'max_size' takes exactly one value");
    parse_err("max_size 1\nfetch_timeout 9\nmax_size 2\n",
              "t.policy:3: 'max_size' given twice (first on line 1)");
    parse_err("fetch_timeout 0\n",
              "t.policy:1: '0' is not a timeout in seconds (1 to 86400)");
    parse_err("fetch_timeout 86401\n",
              "t.policy:1: '86401' is not a timeout in seconds (1 to 86400)");
    parse_err("fetch_timeout 99999999999999999999999\n",
              "t.policy:1: '99999999999999999999999' is not a timeout in "
              "seconds (1 to 86400)");
    parse_err("fetch_timeout 1s\n",
              "t.policy:1: '1s' is not a timeout in seconds (1 to 86400)");
    parse_err("fetch_max_size 1\nfetch_max_size 1\n",
              "t.policy:2: 'fetch_max_size' given twice (first on line 1)");
    parse_err("archive_max_size\n",
              "t.policy:1: 'archive_max_size' takes exactly one value");
    parse_err("archive_max_size 1G 2G\n",
              "t.policy:1: 'archive_max_size' takes exactly one value");
    parse_err("archive_max_size 16GB\n",
              "t.policy:1: '16GB' is not a size (e.g. 65536, 64k, 64M, 1G)");
    parse_err("archive_max_size -1\n",
              "t.policy:1: '-1' is not a size (e.g. 65536, 64k, 64M, 1G)");
    parse_err("archive_max_size 0\n",
              "t.policy:1: a size must be greater than zero");
    parse_err("archive_max_size 99999999999999999999\n",
              "t.policy:1: size '99999999999999999999' is too large");
    parse_err("archive_max_size 1G\nmax_size 1M\narchive_max_size 2G\n",
              "t.policy:3: 'archive_max_size' given twice (first on line 1)");
    parse_err("Archive_max_size 1G\n",
              "t.policy:1: unknown directive 'Archive_max_size'");
    parse_err("types html exe\n",
              "t.policy:1: unknown type 'exe' (html, markdown, text, pdf)");
    parse_err("types\n", "t.policy:1: 'types' takes one to four of html, "
                         "markdown, text, pdf");
    parse_err("types html\ntypes pdf\n",
              "t.policy:2: 'types' given twice (first on line 1)");
    parse_err("allow \x1b[31mred\n",
              "t.policy:1: '?[31mred' is not a host name or address");
}
END_TEST

START_TEST(test_parse_nul_and_names)
{
    static const char text[] = "allow a.org\n# ok\nallow b\0.org\n";
    struct policy *p = (struct policy *)1;
    char err[256];

    ck_assert_int_eq(policy_parse(text, sizeof(text) - 1, "x/y.policy", &p, err,
                                  sizeof(err)),
                     -1);
    ck_assert_str_eq(err, "x/y.policy:3: NUL byte in line");
    ck_assert_ptr_null(p);
    /* Tiny and missing error buffers are fine. */
    ck_assert_int_eq(policy_parse("bogus", 5, "f", &p, err, 4), -1);
    ck_assert_str_eq(err, "f:1");
    ck_assert_int_eq(policy_parse("bogus", 5, "f", &p, NULL, 0), -1);
    /* Not NUL-terminated: len is the end. */
    ck_assert_int_eq(policy_parse("max_size 1Mxxx", 11, "f", &p, err, 256), 0);
    ck_assert_uint_eq(policy_max_size(p), 1024 * 1024);
    policy_free(p);
    policy_free(NULL);
}
END_TEST

START_TEST(test_load_errors)
{
    struct policy *p = NULL;
    char err[512], path[] = "/tmp/check_policy_XXXXXX";
    FILE *f;
    int fd, i;

    ck_assert_int_eq(policy_load("/nonexistent/x.policy", &p, err, sizeof(err)),
                     -1);
    ck_assert_str_eq(err, "/nonexistent/x.policy: No such file or directory");
    ck_assert_int_eq(policy_load("/tmp", &p, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "/tmp: not a regular file");
    fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    f = fdopen(fd, "w");
    for (i = 0; i < 70000; i++) {
        fputs("# comment\n", f);
    }
    fputs("max_size 1\n", f);
    fclose(f);
    ck_assert_int_eq(policy_load(path, &p, err, sizeof(err)), 0);
    policy_free(p);
    f = fopen(path, "a");
    for (i = 0; i < 40000; i++) {
        fputs("# comment\n", f);
    }
    fclose(f);
    ck_assert_int_eq(policy_load(path, &p, err, sizeof(err)), -1);
    ck_assert_ptr_null(p);
    ck_assert(strstr(err, ": larger than 1 MiB") != NULL);
    f = fopen(path, "w");
    fputs("allow ok.org\n\ndeny\n", f);
    fclose(f);
    ck_assert_int_eq(policy_load(path, &p, err, sizeof(err)), -1);
    ck_assert(strstr(err, ":3: 'deny' needs at least one host") != NULL);
    ck_assert(strncmp(err, path, strlen(path)) == 0);
    unlink(path);
}
END_TEST

START_TEST(test_oom)
{
    static const char text[] = "allow example.org a.b ::1\n"
                               "deny ads.example.org\n"
                               "fetch_allow sqlite.org\n"
                               "types html\n";
    struct policy *p = NULL;
    char err[256];
    long k;
    int rc = -1;

    for (k = 0; k < 200 && rc != 0; k++) {
        alloc_set_fail_after(k);
        rc = policy_parse(text, sizeof(text) - 1, "t", &p, err, sizeof(err));
        alloc_set_fail_after(-1);
        if (rc != 0) {
            ck_assert_ptr_null(p);
            ck_assert_str_eq(err + strlen(err) - strlen("out of memory"),
                             "out of memory");
        }
    }
    ck_assert_int_eq(rc, 0);
    source_is(p, "http://x.a.b/", NULL);
    source_is(p, "http://ads.example.org/",
              "blocked source: ads.example.org (deny ads.example.org)");
    for (k = 0; k < 20; k++) {
        char reason[128];

        alloc_set_fail_after(k);
        rc = policy_check_source(p, "http://ads.example.org/", reason,
                                 sizeof(reason));
        alloc_set_fail_after(-1);
        ck_assert_int_eq(rc, -1);
    }
    policy_free(p);
}
END_TEST

static Suite *
policy_suite(void)
{
    Suite *s = suite_create("policy");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
          *errors = tcase_create("errors");

    tcase_add_test(core, test_suffix);
    tcase_add_test(core, test_deny_wins);
    tcase_add_test(core, test_open_mode);
    tcase_add_test(core, test_numeric_hosts);
    tcase_add_test(core, test_sizes_types);
    tcase_add_test(core, test_syntax);
    tcase_add_test(core, test_fetch);
    tcase_add_test(core, test_default_policy);
    tcase_add_test(limits, test_many_rules);
    tcase_add_test(errors, test_not_http);
    tcase_add_test(errors, test_parse_errors);
    tcase_add_test(errors, test_parse_nul_and_names);
    tcase_add_test(errors, test_load_errors);
    tcase_add_test(errors, test_oom);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(policy_suite());
}
