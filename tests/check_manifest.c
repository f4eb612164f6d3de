/*
 * check_manifest: the JSON Lines manifest: every field, every hostile
 * case of hostile-world.md row I7 reported on the right line while good
 * lines survive, the size, depth and count limits, and lookups.  Fixtures
 * in $KW_TEST_DATA/manifest/.  Layer: tests/.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "checkmain.h"
#include "manifest.h"

/* Path of a fixture, in a static buffer (tests run one at a time). */
static const char *
fixture(const char *name)
{
    static char path[4096];
    const char *dir = getenv("KW_TEST_DATA");

    snprintf(path, sizeof(path), "%s/manifest/%s",
             dir != NULL ? dir : "tests/data", name);
    return path;
}

/* The message of the issue on line, or NULL. */
static const char *
issue_on(const struct manifest *m, int line)
{
    size_t i;

    for (i = 0; i < m->nissues; i++) {
        if (m->issues[i].line == line) {
            return m->issues[i].msg;
        }
    }
    return NULL;
}

/* Assert an issue on line containing want. */
static void
assert_issue(const struct manifest *m, int line, const char *want)
{
    const char *msg = issue_on(m, line);

    ck_assert_msg(msg != NULL, "no issue on line %d (want '%s')", line, want);
    ck_assert_msg(strstr(msg, want) != NULL, "line %d: got '%s', want '%s'",
                  line, msg, want);
}

/* manifest_parse a C string; must not fail. */
static void
parse_str(const char *text, struct manifest *m)
{
    ck_assert_int_eq(manifest_parse(text, strlen(text), m), 0);
}

START_TEST(test_good)
{
    struct manifest m;
    const struct manifest_entry *e;
    char err[256];

    ck_assert_msg(manifest_load(fixture("good.jsonl"), 1 << 20, &m, err,
                                sizeof(err)) == 0,
                  "%s", err);
    ck_assert_uint_eq(m.nissues, 0);
    ck_assert_uint_eq(m.n, 4);

    e = &m.entries[0];
    ck_assert_int_eq(e->line, 1);
    ck_assert_str_eq(e->path, "docs/sqlite/lang.html");
    ck_assert_ptr_null(e->url);
    ck_assert_str_eq(e->title, "SQL As Understood By SQLite");
    ck_assert_str_eq(e->authors, "D. Richard Hipp; Dan Kennedy");
    ck_assert_str_eq(e->source_url, "https://www.sqlite.org/lang.html");
    ck_assert_int_eq(e->retrieved_at, 1709296200LL);
    ck_assert_str_eq(e->language, "en");
    ck_assert_uint_eq(e->ntags, 2);
    ck_assert_str_eq(e->tags[0], "sqlite");
    ck_assert_str_eq(e->tags[1], "sql");
    ck_assert_str_eq(e->license, "public domain");
    ck_assert_str_eq(e->abstract, "The SQL dialect of SQLite.");

    e = &m.entries[1];
    ck_assert_int_eq(e->line, 3);
    ck_assert_ptr_null(e->path);
    ck_assert_str_eq(e->url, "https://www.sqlite.org/wal.html");
    ck_assert_str_eq(e->authors, "SQLite team");
    ck_assert_int_eq(e->retrieved_at, 1709296200LL);
    ck_assert_ptr_null(e->source_url);
    ck_assert_ptr_null(e->tags);
    ck_assert_uint_eq(e->ntags, 0);

    e = &m.entries[2];
    ck_assert_int_eq(e->line, 5);
    ck_assert_str_eq(e->path, "papers/kr/\xeb\x85\xbc\xeb\xac\xb8.pdf");
    ck_assert_str_eq(e->title, "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4 "
                               "\xec\xa0\x9c\xeb\xaa\xa9");
    ck_assert_int_eq(e->retrieved_at, 1709164800LL);
    ck_assert_uint_eq(e->ntags, 0);
    ck_assert_ptr_null(e->license); /* "" is absent */
    ck_assert_ptr_null(e->abstract);
    ck_assert_ptr_null(e->authors);

    e = &m.entries[3];
    ck_assert_int_eq(e->line, 6);
    ck_assert_str_eq(e->path, "notes.txt");
    ck_assert_str_eq(e->url, "http://example.com/notes.txt");
    ck_assert_int_eq(e->retrieved_at, 1709296200LL);
    ck_assert_ptr_null(e->title);

    manifest_free(&m);
    ck_assert_uint_eq(m.n, 0);
    manifest_free(&m); /* twice is harmless */
}
END_TEST

START_TEST(test_find)
{
    struct manifest m;
    const struct manifest_entry *e;
    char err[256];

    ck_assert_int_eq(
        manifest_load(fixture("good.jsonl"), 1 << 20, &m, err, sizeof(err)), 0);
    e = manifest_find_path(&m, "docs/sqlite/lang.html");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->line, 1);
    ck_assert_ptr_eq(manifest_find_path(&m, "./docs/sqlite/lang.html"), e);
    ck_assert_ptr_eq(manifest_find_path(&m, "././docs//sqlite/./lang.html"), e);
    ck_assert_ptr_nonnull(
        manifest_find_path(&m, "papers/kr/\xeb\x85\xbc\xeb\xac\xb8.pdf"));
    ck_assert_ptr_null(manifest_find_path(&m, "docs/sqlite/LANG.html"));
    ck_assert_ptr_null(manifest_find_path(&m, "../docs/sqlite/lang.html"));
    ck_assert_ptr_null(manifest_find_path(&m, "/docs/sqlite/lang.html"));
    ck_assert_ptr_null(manifest_find_path(&m, ""));
    ck_assert_ptr_null(manifest_find_path(&m, "docs"));

    e = manifest_find_url(&m, "https://www.sqlite.org/wal.html");
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->line, 3);
    ck_assert_ptr_eq(manifest_find_url(&m, "HTTPS://WWW.sqlite.org:443/"
                                           "./wal.html#section"),
                     e);
    ck_assert_ptr_eq(manifest_find_url(&m, "http://example.com:80/notes.txt"),
                     manifest_find_path(&m, "notes.txt"));
    /* source_url is provenance, not an identity. */
    ck_assert_ptr_null(
        manifest_find_url(&m, "https://www.sqlite.org/lang.html"));
    ck_assert_ptr_null(manifest_find_url(&m, "javascript:alert(1)"));
    ck_assert_ptr_null(manifest_find_url(&m, "http://www.sqlite.org/wal.html"));
    manifest_free(&m);

    /* An empty manifest finds nothing. */
    parse_str("", &m);
    ck_assert_ptr_null(manifest_find_path(&m, "a"));
    ck_assert_ptr_null(manifest_find_url(&m, "http://a/"));
    manifest_free(&m);
}
END_TEST

START_TEST(test_hostile)
{
    struct manifest m;
    char err[256];
    size_t i;

    ck_assert_int_eq(
        manifest_load(fixture("hostile.jsonl"), 1 << 20, &m, err, sizeof(err)),
        0);
    /* The good lines survive... */
    ck_assert_uint_eq(m.n, 3);
    ck_assert_str_eq(m.entries[0].path, "a.html");
    ck_assert_str_eq(m.entries[0].title, "A");
    ck_assert_int_eq(m.entries[0].line, 1);
    ck_assert_str_eq(m.entries[1].path, "b.html");
    ck_assert_int_eq(m.entries[1].line, 18);
    ck_assert_str_eq(m.entries[2].path, "c.html");
    ck_assert_str_eq(m.entries[2].url, "https://example.org/c");
    ck_assert_int_eq(m.entries[2].line, 25);
    /* ...and every other line is reported, once, in line order. */
    ck_assert_uint_eq(m.nissues, 26);
    for (i = 1; i < m.nissues; i++) {
        ck_assert_int_lt(m.issues[i - 1].line, m.issues[i].line);
    }
    assert_issue(&m, 2, "path outside the tree ('..' segment)");
    assert_issue(&m, 3, "path outside the tree (absolute)");
    assert_issue(&m, 4, "path outside the tree (backslash)");
    assert_issue(&m, 5, "path outside the tree (control character)");
    assert_issue(&m, 6, "invalid JSON: duplicate object key");
    assert_issue(&m, 7, "invalid JSON: \\u0000 is not allowed");
    assert_issue(&m, 8, "title: expected a string");
    assert_issue(&m, 9, "url: not an absolute http(s) URL");
    assert_issue(&m, 10, "url: not an absolute http(s) URL");
    assert_issue(&m, 11, "source_url: not an absolute http(s) URL");
    assert_issue(&m, 12, "tags: expected an array of strings");
    assert_issue(&m, 13, "authors: expected a string or an array of strings");
    assert_issue(&m, 14, "retrieved_at: expected an ISO 8601 date");
    assert_issue(&m, 15, "not a JSON object");
    assert_issue(&m, 16, "entry has neither path nor url");
    assert_issue(&m, 17, "duplicate path (first on line 1); entry ignored");
    ck_assert_ptr_null(issue_on(&m, 18));
    assert_issue(&m, 19, "invalid JSON: unable to decode byte 0xff");
    assert_issue(&m, 20, "path outside the tree ('..' segment)");
    assert_issue(&m, 21, "path names no file");
    assert_issue(&m, 22, "retrieved_at: expected");
    assert_issue(&m, 23, "retrieved_at: expected");
    assert_issue(&m, 24, "path: expected a string");
    assert_issue(&m, 26, "duplicate url (first on line 25); entry ignored");
    assert_issue(&m, 27, "retrieved_at: expected");
    assert_issue(&m, 28, "url: not an absolute http(s) URL");
    assert_issue(&m, 29, "invalid JSON (last line unterminated: truncated?)");
    /* Messages are printable ASCII whatever the input held. */
    for (i = 0; i < m.nissues; i++) {
        const unsigned char *c = (const unsigned char *)m.issues[i].msg;

        for (; *c != '\0'; c++) {
            ck_assert(*c >= 0x20 && *c < 0x7f);
        }
    }
    ck_assert_ptr_eq(manifest_find_path(&m, "a.html"), &m.entries[0]);
    ck_assert_ptr_null(manifest_find_path(&m, "d.html"));
    manifest_free(&m);
}
END_TEST

START_TEST(test_nul_file)
{
    struct manifest m;
    char err[256];

    ck_assert_int_eq(
        manifest_load(fixture("nul.jsonl"), 1 << 20, &m, err, sizeof(err)), 0);
    ck_assert_uint_eq(m.n, 2);
    ck_assert_str_eq(m.entries[0].path, "one.html");
    ck_assert_str_eq(m.entries[1].path, "three.html");
    ck_assert_int_eq(m.entries[1].line, 3);
    ck_assert_uint_eq(m.nissues, 1);
    assert_issue(&m, 2, "NUL byte in line");
    manifest_free(&m);
}
END_TEST

/* Parse one line; return the entry count, leave issues in m. */
static size_t
one_line(const char *line, struct manifest *m)
{
    parse_str(line, m);
    return m->n;
}

START_TEST(test_dates)
{
    static const struct {
        const char *v;
        long long want; /* -2: refused */
    } cases[] = {
        {"\"1970-01-01\"", 0},
        {"\"1970-01-01T00:00:01Z\"", 1},
        {"0", 0},
        {"1709296200", 1709296200LL},
        {"\"2024-03-01T12:30:00Z\"", 1709296200LL},
        {"\"2024-03-01t12:30Z\"", 1709296200LL},
        {"\"2024-03-01 12:30:00.123456\"", 1709296200LL},
        {"\"2024-03-01T21:30:00+09:00\"", 1709296200LL},
        {"\"2024-03-01T21:30:00,5+0900\"", 1709296200LL},
        {"\"2024-03-01T21:30+09\"", 1709296200LL},
        {"\"2024-03-01T03:00-09:30\"", 1709296200LL},
        {"\"2000-02-29\"", 951782400LL},
        {"\"2016-12-31T23:59:60Z\"", 1483228800LL},
        {"\"9999-12-31T23:59:59Z\"", 253402300799LL},
        {"null", -1},
        {"\"1970-01-01T00:00:00+01:00\"", -2},
        {"\"1969-12-31\"", -2},
        {"\"2023-02-29\"", -2},
        {"\"1900-02-29\"", -2},
        {"\"2024-13-01\"", -2},
        {"\"2024-00-10\"", -2},
        {"\"2024-04-31\"", -2},
        {"\"2024-03-01T24:00\"", -2},
        {"\"2024-03-01T12:60\"", -2},
        {"\"2024-03-01T12\"", -2},
        {"\"2024-03-01T12:30:00.\"", -2},
        {"\"2024-03-01T12:30:00+24:00\"", -2},
        {"\"2024-03-01T12:30:00+09:0\"", -2},
        {"\"2024-03-01Z\"", -2},
        {"\"2024-3-1\"", -2},
        {"\"20240301\"", -2},
        {"\"2024-03-01 \"", -2},
        {"\"\"", -2},
        {"\"yesterday\"", -2},
        {"-1", -2},
        {"1.5", -2},
        {"true", -2},
        {"[2024]", -2},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct manifest m;
        char line[200];

        snprintf(line, sizeof(line), "{\"path\": \"p\", \"retrieved_at\": %s}",
                 cases[i].v);
        if (cases[i].want == -2) {
            ck_assert_msg(one_line(line, &m) == 0, "accepted %s", cases[i].v);
            assert_issue(&m, 1, "retrieved_at: expected");
        } else {
            ck_assert_msg(one_line(line, &m) == 1, "refused %s: %s", cases[i].v,
                          m.nissues ? m.issues[0].msg : "");
            ck_assert_msg(m.entries[0].retrieved_at == cases[i].want,
                          "%s: got %lld", cases[i].v,
                          m.entries[0].retrieved_at);
        }
        manifest_free(&m);
    }
}
END_TEST

START_TEST(test_line_forms)
{
    struct manifest m;

    /* BOM, CRLF, blank and whitespace-only lines, no final newline. */
    parse_str("\xef\xbb\xbf{\"path\":\"a\"}\r\n\r\n \t \n\n{\"path\":\"b\"}",
              &m);
    ck_assert_uint_eq(m.nissues, 0);
    ck_assert_uint_eq(m.n, 2);
    ck_assert_int_eq(m.entries[1].line, 5);
    manifest_free(&m);

    /* Brackets and escaped quotes inside strings are not nesting. */
    parse_str("{\"path\":\"p\",\"title\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
              "[[[[[[[[[[\"}\n"
              "{\"path\":\"q\",\"title\":\"\\\"{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{{"
              "{{{{{{{{{{{\\\\\"}\n",
              &m);
    ck_assert_uint_eq(m.nissues, 0);
    ck_assert_uint_eq(m.n, 2);
    manifest_free(&m);

    /* Unknown keys, however odd, are ignored; null is absent. */
    parse_str("{\"path\":\"p\",\"\":1,\"PATH\":[],\"title\":null,"
              "\"extra\":{\"a\":{\"b\":[1,2,{\"c\":null}]}}}\n",
              &m);
    ck_assert_uint_eq(m.nissues, 0);
    ck_assert_ptr_null(m.entries[0].title);
    manifest_free(&m);

    /* Wrong types name their key. */
    parse_str("{\"path\":\"p\",\"language\":[\"en\"]}\n"
              "{\"path\":\"q\",\"license\":{}}\n"
              "{\"path\":\"r\",\"abstract\":false}\n"
              "{\"path\":\"s\",\"tags\":[\"a\",1]}\n"
              "{\"path\":\"t\",\"authors\":{\"a\":\"b\"}}\n"
              "{\"url\":42}\n"
              "{\"path\":\"u\",\"source_url\":\"https://a/\",\"url\":\"\"}\n"
              "42\n"
              "\"just a string\"\n",
              &m);
    ck_assert_uint_eq(m.n, 1);
    ck_assert_str_eq(m.entries[0].path, "u");
    ck_assert_ptr_null(m.entries[0].url);
    assert_issue(&m, 1, "language: expected a string");
    assert_issue(&m, 2, "license: expected a string");
    assert_issue(&m, 3, "abstract: expected a string");
    assert_issue(&m, 4, "tags: expected an array of strings");
    assert_issue(&m, 5, "authors: expected a string or an array");
    assert_issue(&m, 6, "url: expected a string");
    assert_issue(&m, 8, "invalid JSON");
    assert_issue(&m, 9, "invalid JSON");
    ck_assert_uint_eq(m.nissues, 8); /* "url": "" is absent, path stays */
    manifest_free(&m);

    /* Paths in every disguise. */
    parse_str("{\"path\":\"a/./b//c/\"}\n"
              "{\"path\":\"..\"}\n"
              "{\"path\":\"a/..\"}\n"
              "{\"path\":\"...\"}\n"
              "{\"path\":\"C:\\\\x\"}\n"
              "{\"path\":\"a\\u007fb\"}\n"
              "{\"path\":\"a\\nb\"}\n"
              "{\"path\":\".\"}\n"
              "{\"path\":\"//etc/passwd\"}\n"
              "{\"path\":\"..a/b..\"}\n",
              &m);
    ck_assert_uint_eq(m.n, 3);
    ck_assert_str_eq(m.entries[0].path, "a/b/c");
    ck_assert_str_eq(m.entries[1].path, "...");
    ck_assert_str_eq(m.entries[2].path, "..a/b..");
    assert_issue(&m, 2, "path outside the tree");
    assert_issue(&m, 3, "path outside the tree");
    assert_issue(&m, 5, "path outside the tree (backslash)");
    assert_issue(&m, 6, "path outside the tree (control character)");
    assert_issue(&m, 7, "path outside the tree (control character)");
    assert_issue(&m, 8, "path names no file");
    assert_issue(&m, 9, "path outside the tree (absolute)");
    manifest_free(&m);
}
END_TEST

START_TEST(test_huge_line)
{
    struct manifest m;
    size_t big = 2 * 1024 * 1024, len;
    char *text, *w;

    text = malloc(big + 256);
    ck_assert_ptr_nonnull(text);
    w = text +
        sprintf(text, "{\"path\":\"a\"}\n{\"path\":\"big\",\"title\":\"");
    memset(w, 'x', big);
    w += big;
    w += sprintf(w, "\"}\n{\"path\":\"b\"}\n");
    len = (size_t)(w - text);
    ck_assert_int_eq(manifest_parse(text, len, &m), 0);
    ck_assert_uint_eq(m.n, 2);
    ck_assert_uint_eq(m.nissues, 1);
    assert_issue(&m, 2, "line longer than 1048576 bytes");
    manifest_free(&m);

    /* Just under the cap is parsed. */
    w = text + sprintf(text, "{\"path\":\"big\",\"title\":\"");
    memset(w, 'y', 1024 * 1024 - 64);
    w += 1024 * 1024 - 64;
    w += sprintf(w, "\"}");
    ck_assert_int_eq(manifest_parse(text, (size_t)(w - text), &m), 0);
    ck_assert_uint_eq(m.n, 1);
    ck_assert_uint_eq(strlen(m.entries[0].title), 1024 * 1024 - 64);
    manifest_free(&m);
    free(text);
}
END_TEST

START_TEST(test_deep_nesting)
{
    struct manifest m;
    size_t depth = 10000, i;
    char *text = malloc(depth * 2 * 6 + 256), *w;

    ck_assert_ptr_nonnull(text);
    /* Line 2: 10k unclosed '['; line 3: 10k balanced; line 4: 10k deep
     * objects; line 5: deep inside a good entry. */
    w = text + sprintf(text, "{\"path\":\"a\"}\n");
    memset(w, '[', depth);
    w += depth;
    *w++ = '\n';
    memset(w, '[', depth);
    w += depth;
    memset(w, ']', depth);
    w += depth;
    *w++ = '\n';
    for (i = 0; i < depth; i++) {
        w += sprintf(w, "{\"a\":");
    }
    *w++ = '1';
    memset(w, '}', depth);
    w += depth;
    w += sprintf(w, "\n{\"path\":\"d\",\"tags\":");
    memset(w, '[', 40);
    w += 40;
    memset(w, ']', 40);
    w += 40;
    w += sprintf(w, "}\n{\"path\":\"b\"}\n");
    ck_assert_int_eq(manifest_parse(text, (size_t)(w - text), &m), 0);
    ck_assert_uint_eq(m.n, 2);
    ck_assert_str_eq(m.entries[1].path, "b");
    ck_assert_int_eq(m.entries[1].line, 6);
    assert_issue(&m, 2, "JSON nested deeper than 32 levels");
    assert_issue(&m, 3, "JSON nested deeper than 32 levels");
    assert_issue(&m, 4, "JSON nested deeper than 32 levels");
    assert_issue(&m, 5, "JSON nested deeper than 32 levels");
    manifest_free(&m);

    /* Nesting within the limit reaches jansson and the type checks. */
    w = text + sprintf(text, "{\"path\":\"d\",\"authors\":");
    memset(w, '[', 30);
    w += 30;
    memset(w, ']', 30);
    w += 30;
    *w++ = '}';
    ck_assert_int_eq(manifest_parse(text, (size_t)(w - text), &m), 0);
    ck_assert_uint_eq(m.n, 0);
    assert_issue(&m, 1, "authors: expected a string or an array of strings");
    manifest_free(&m);
    free(text);
}
END_TEST

START_TEST(test_many_issues)
{
    struct manifest m;
    char *text = malloc(3000 * 4 + 64), *w = text;
    int i;

    ck_assert_ptr_nonnull(text);
    for (i = 0; i < 3000; i++) {
        w += sprintf(w, "[x\n");
    }
    w += sprintf(w, "{\"path\":\"survivor\"}\n");
    ck_assert_int_eq(manifest_parse(text, (size_t)(w - text), &m), 0);
    ck_assert_uint_eq(m.n, 1);
    ck_assert_int_eq(m.entries[0].line, 3001);
    ck_assert_uint_eq(m.nissues, MANIFEST_MAX_ISSUES + 1);
    ck_assert_int_eq(m.issues[MANIFEST_MAX_ISSUES - 1].line,
                     MANIFEST_MAX_ISSUES);
    ck_assert_str_eq(m.issues[MANIFEST_MAX_ISSUES].msg,
                     "more than 1000 issues; later ones are not reported");
    manifest_free(&m);
    free(text);
}
END_TEST

/* A duplicate before a thousand bad lines is still reported: the cap
 * keeps the earliest issues, whichever pass found them (regression). */
START_TEST(test_duplicate_before_cap)
{
    struct manifest m;
    char *text = malloc(3000 * 4 + 128), *w = text;
    size_t i;

    ck_assert_ptr_nonnull(text);
    w += sprintf(w, "{\"path\":\"a\"}\n{\"path\":\"./a\"}\n");
    for (i = 0; i < 3000; i++) {
        w += sprintf(w, "[x\n");
    }
    ck_assert_int_eq(manifest_parse(text, (size_t)(w - text), &m), 0);
    free(text);
    ck_assert_uint_eq(m.n, 1);
    ck_assert_uint_eq(m.nissues, MANIFEST_MAX_ISSUES + 1);
    assert_issue(&m, 2, "duplicate path (first on line 1); entry ignored");
    ck_assert_int_eq(m.issues[0].line, 2);
    ck_assert_int_eq(m.issues[MANIFEST_MAX_ISSUES - 1].line,
                     MANIFEST_MAX_ISSUES + 1);
    ck_assert_str_eq(m.issues[MANIFEST_MAX_ISSUES].msg,
                     "more than 1000 issues; later ones are not reported");
    for (i = 1; i < m.nissues; i++) {
        ck_assert_int_le(m.issues[i - 1].line, m.issues[i].line);
    }
    manifest_free(&m);
}
END_TEST

START_TEST(test_too_many_entries)
{
    struct manifest m;
    size_t n = MANIFEST_MAX_ENTRIES + 2, i;
    char *text = malloc(n * 24 + 64), *w = text;

    ck_assert_ptr_nonnull(text);
    for (i = 0; i < n; i++) {
        w += sprintf(w, "{\"path\":\"%zx\"}\n", i);
    }
    ck_assert_int_eq(manifest_parse(text, (size_t)(w - text), &m), 0);
    free(text);
    ck_assert_uint_eq(m.n, MANIFEST_MAX_ENTRIES);
    ck_assert_uint_eq(m.nissues, 1);
    assert_issue(&m, MANIFEST_MAX_ENTRIES + 1,
                 "more than 1000000 entries; the rest is ignored");
    ck_assert_ptr_nonnull(manifest_find_path(&m, "f423f"));
    ck_assert_ptr_null(manifest_find_path(&m, "f4240"));
    manifest_free(&m);
}
END_TEST

START_TEST(test_many_duplicates)
{
    struct manifest m;
    size_t n = 20000, i;
    char *text = malloc(n * 40 + 64), *w = text;

    ck_assert_ptr_nonnull(text);
    for (i = 0; i < n; i++) {
        w += sprintf(w, "{\"path\":\"%zu\",\"url\":\"http://a/%zu\"}\n",
                     i % 500, i % 300);
    }
    ck_assert_int_eq(manifest_parse(text, (size_t)(w - text), &m), 0);
    free(text);
    /* Lines 1..300 are the first of each url; paths repeat after 500. */
    ck_assert_uint_eq(m.n, 300);
    for (i = 0; i < m.n; i++) {
        ck_assert_int_eq(m.entries[i].line, (int)i + 1);
        ck_assert_ptr_eq(manifest_find_path(&m, m.entries[i].path),
                         &m.entries[i]);
        ck_assert_ptr_eq(manifest_find_url(&m, m.entries[i].url),
                         &m.entries[i]);
    }
    ck_assert_uint_eq(m.nissues, MANIFEST_MAX_ISSUES + 1);
    assert_issue(&m, 301, "duplicate url (first on line 1)");
    assert_issue(&m, 501, "duplicate path (first on line 1)");
    for (i = 1; i < m.nissues; i++) {
        ck_assert_int_le(m.issues[i - 1].line, m.issues[i].line);
    }
    manifest_free(&m);
}
END_TEST

START_TEST(test_load_errors)
{
    struct manifest m;
    char err[512], dir[] = "/tmp/check_manifest_XXXXXX", path[600], link[600];
    FILE *f;

    ck_assert_int_eq(
        manifest_load("/nonexistent/m.jsonl", 1 << 20, &m, err, sizeof(err)),
        -1);
    ck_assert_str_eq(err, "/nonexistent/m.jsonl: No such file or directory");
    ck_assert_uint_eq(m.n, 0);
    ck_assert_int_eq(manifest_load("/tmp", 1 << 20, &m, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "/tmp: not a regular file");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    /* A FIFO must be refused without blocking on open. */
    snprintf(path, sizeof(path), "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(path, 0600), 0);
    ck_assert_int_eq(manifest_load(path, 1 << 20, &m, err, sizeof(err)), -1);
    ck_assert(strstr(err, ": not a regular file") != NULL);
    unlink(path);
    snprintf(path, sizeof(path), "%s/m.jsonl", dir);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"path\":\"a\"}\n{\"path\":\"b\"}\n", f);
    fclose(f);
    ck_assert_int_eq(manifest_load(path, 10, &m, err, sizeof(err)), -1);
    ck_assert(strstr(err, ": larger than 10 bytes") != NULL);
    ck_assert_int_eq(manifest_load(path, 26, &m, err, sizeof(err)), 0);
    ck_assert_uint_eq(m.n, 2);
    manifest_free(&m);
    /* fs_read_file does not follow a symlink (it could leave the tree). */
    snprintf(link, sizeof(link), "%s/link.jsonl", dir);
    ck_assert_int_eq(symlink(path, link), 0);
    ck_assert_int_eq(manifest_load(link, 1 << 20, &m, err, sizeof(err)), -1);
    ck_assert(strstr(err, ": a symbolic link (not followed)") != NULL);
    unlink(link);
    /* Empty file: no entries, no issues. */
    f = fopen(path, "w");
    fclose(f);
    ck_assert_int_eq(manifest_load(path, 10, &m, err, sizeof(err)), 0);
    ck_assert_uint_eq(m.n, 0);
    ck_assert_uint_eq(m.nissues, 0);
    manifest_free(&m);
    unlink(path);
    rmdir(dir);
}
END_TEST

START_TEST(test_oom)
{
    static const char text[] =
        "{\"path\":\"./a/b\",\"url\":\"http://A/x\",\"title\":\"t\","
        "\"authors\":[\"x\",\"y\"],\"source_url\":\"http://s/\","
        "\"language\":\"ko\",\"tags\":[\"p\",\"q\"],\"license\":\"l\","
        "\"abstract\":\"a\",\"retrieved_at\":5}\n"
        "{\"path\":\"a/b\"}\n"
        "[bad\n"
        "{\"path\":\"c\",\"url\":\"http://a/x\"}\n";
    struct manifest m;
    long k;
    int rc = -1;

    /* Fail each allocation in turn: -1 and an empty manifest, never a
     * crash or a leak. */
    for (k = 0; k < 400 && rc != 0; k++) {
        alloc_set_fail_after(k);
        rc = manifest_parse(text, sizeof(text) - 1, &m);
        alloc_set_fail_after(-1);
        if (rc != 0) {
            ck_assert_uint_eq(m.n, 0);
            ck_assert_ptr_null(m.entries);
            ck_assert_ptr_null(m.issues);
        }
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_uint_eq(m.n, 1);
    ck_assert_uint_eq(m.nissues, 3);
    ck_assert_str_eq(m.entries[0].authors, "x; y");
    ck_assert_uint_eq(m.entries[0].ntags, 2);
    assert_issue(&m, 2, "duplicate path (first on line 1)");
    assert_issue(&m, 3, "invalid JSON");
    assert_issue(&m, 4, "duplicate url (first on line 1)");
    manifest_free(&m);
}
END_TEST

static Suite *
manifest_suite(void)
{
    Suite *s = suite_create("manifest");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
          *errors = tcase_create("errors");

    tcase_add_test(core, test_good);
    tcase_add_test(core, test_find);
    tcase_add_test(core, test_dates);
    tcase_add_test(core, test_line_forms);
    tcase_add_test(limits, test_huge_line);
    tcase_add_test(limits, test_deep_nesting);
    tcase_add_test(limits, test_many_issues);
    tcase_add_test(limits, test_duplicate_before_cap);
    tcase_add_test(limits, test_too_many_entries);
    tcase_add_test(limits, test_many_duplicates);
    tcase_set_timeout(limits, 120);
    tcase_add_test(errors, test_hostile);
    tcase_add_test(errors, test_nul_file);
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
    return check_main(manifest_suite());
}
