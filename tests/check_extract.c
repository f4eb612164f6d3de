/*
 * check_extract: format detection, gunzip, charset conversion, Markdown,
 * plain text and PDF extraction (ingest/extract).  Layer: tests/; depends
 * on ingest/ and lib/, Check, jansson (for tests/data/blns.json), and the
 * fixtures in $KW_TEST_DATA/extract (made by regenerate.py there).  The
 * limit tests point pdftotext at small shell scripts written to a temporary
 * directory (sleeping, hogging memory or CPU, flooding, lingering), so they
 * need /bin/sh and /bin/bash but not a hostile PDF.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "checkmain.h"
#include "clock.h"
#include "extract.h"
#include "gz.h"
#include "html.h"

/* Test data root: $KW_TEST_DATA or "tests/data".  Borrowed. */
static const char *
data_dir(void)
{
    const char *d = getenv("KW_TEST_DATA");

    return d != NULL && d[0] != '\0' ? d : "tests/data";
}

/* Reads fixture extract/NAME into a new buffer (kw_free), NUL-terminated. */
static unsigned char *
fixture(const char *name, size_t *len)
{
    char path[4096];
    unsigned char *buf;
    FILE *f;
    long n;

    snprintf(path, sizeof(path), "%s/extract/%s", data_dir(), name);
    f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    buf = kw_malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* Case-insensitive substring test on a NUL-terminated string. */
static int
contains_ci(const char *hay, const char *needle)
{
    return strcasestr(hay, needle) != NULL;
}

/* The test process has no child left: nothing unreaped, nothing running. */
static void
assert_no_children(void)
{
    errno = 0;
    ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
}

/* 1 when pid is gone or a zombie (dead, waiting for init) within 2 s. */
static int
pid_gone(pid_t pid)
{
    long long end = clock_now_ms() + 2000;
    char path[64], buf[256];

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    while (clock_now_ms() < end) {
        FILE *f = fopen(path, "r");
        char *p;

        if (f == NULL) {
            return 1;
        }
        p = fgets(buf, sizeof(buf), f);
        fclose(f);
        p = p != NULL ? strrchr(buf, ')') : NULL;
        if (p == NULL || p[1] == '\0' || p[2] == 'Z' || p[2] == 'X') {
            return 1;
        }
        usleep(10000);
    }
    return 0;
}

/* Removes every file in dir, then dir. */
static void
remove_tmpdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];

    if (d == NULL) {
        return;
    }
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    closedir(d);
    rmdir(dir);
}

/* The scratch directory of the running test, removed at exit too: a
 * failed assertion ends the (forked) test process with exit(). */
static char scratch[64];

/* atexit hook: removes scratch if a test left it. */
static void
remove_scratch(void)
{
    if (scratch[0] != '\0') {
        remove_tmpdir(scratch);
        scratch[0] = '\0';
    }
}

/* A scratch directory for fake pdftotext scripts; path in dir[64]. */
static void
make_tmpdir(char dir[64])
{
    static int hooked;

    snprintf(dir, 64, "/tmp/kw-check-extract-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    memcpy(scratch, dir, 64);
    if (!hooked) {
        atexit(remove_scratch);
        hooked = 1;
    }
}

/* Number of entries in dir besides . and .. */
static int
count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

/* Writes an executable script dir/name with body (a printf format taking
 * dir as its only argument); path into out[256]. */
/* The body is a format by design: only this file's literals reach it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void
write_script(const char *dir, const char *name, const char *body, char out[256])
{
    FILE *f;

    snprintf(out, 256, "%s/%s", dir, name);
    f = fopen(out, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, body, dir);
    fclose(f);
    ck_assert_int_eq(chmod(out, 0700), 0);
}
#pragma GCC diagnostic pop

/* Reads the pid a fake script left in dir/pid (0 if none). */
static pid_t
read_pid(const char *dir)
{
    char path[256];
    FILE *f;
    int pid = 0;

    snprintf(path, sizeof(path), "%s/pid", dir);
    f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%d", &pid) != 1) {
            pid = 0;
        }
        fclose(f);
    }
    return (pid_t)pid;
}

/* Converts bytes to UTF-8 and checks the output contract; new string. */
static char *
to_utf8(const void *in, size_t len, int is_html)
{
    char *out = NULL, err[128] = "";
    size_t olen = 99;

    ck_assert_int_eq(
        extract_to_utf8(in, len, is_html, &out, &olen, err, sizeof(err)), 0);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(strlen(out), olen);
    ck_assert(utf8_valid(out, olen));
    return out;
}

/* Asserts that extract_to_utf8 turns in into exactly want. */
static void
check_utf8(const char *in, size_t len, int is_html, const char *want)
{
    char *out = to_utf8(in, len, is_html);

    ck_assert_str_eq(out, want);
    kw_free(out);
}

START_TEST(test_names)
{
    int gz = -1;

    ck_assert_str_eq(extract_format_name(EXTRACT_HTML), "html");
    ck_assert_str_eq(extract_format_name(EXTRACT_MARKDOWN), "markdown");
    ck_assert_str_eq(extract_format_name(EXTRACT_TEXT), "text");
    ck_assert_str_eq(extract_format_name(EXTRACT_PDF), "pdf");
    ck_assert_str_eq(extract_format_name(EXTRACT_UNKNOWN), "unknown");
    ck_assert_str_eq(extract_format_name((enum extract_format)42), "unknown");
    ck_assert_str_eq(extract_format_mime(EXTRACT_HTML), "text/html");
    ck_assert_str_eq(extract_format_mime(EXTRACT_MARKDOWN), "text/markdown");
    ck_assert_str_eq(extract_format_mime(EXTRACT_TEXT), "text/plain");
    ck_assert_str_eq(extract_format_mime(EXTRACT_PDF), "application/pdf");
    ck_assert_uint_eq(extract_strip_gz("a.txt.gz", &gz), 5);
    ck_assert_int_eq(gz, 1);
    ck_assert_uint_eq(extract_strip_gz("dir/B.HTML.GZ", &gz), 10);
    ck_assert_int_eq(gz, 1);
    ck_assert_uint_eq(extract_strip_gz("a.tgz", &gz), 5);
    ck_assert_int_eq(gz, 0);
    ck_assert_uint_eq(extract_strip_gz(".gz", NULL), 0);
    ck_assert_uint_eq(extract_strip_gz(NULL, &gz), 0);
    ck_assert_int_eq(extract_is_gzip_name("x.gz"), 1);
    ck_assert_int_eq(extract_is_gzip_name("x.gzip"), 0);
    ck_assert_int_eq(extract_is_gzip_name("gz"), 0);
}
END_TEST

START_TEST(test_detect_fixtures)
{
    static const struct {
        const char *file;
        enum extract_format want;
    } cases[] = {
        {"hello.pdf", EXTRACT_PDF},
        {"report", EXTRACT_PDF},
        {"truncated.pdf", EXTRACT_PDF},
        {"fake.pdf", EXTRACT_UNKNOWN},
        {"korean-euckr.html", EXTRACT_HTML},
        {"cp949-undeclared.txt", EXTRACT_TEXT},
        {"utf16le-bom.txt", EXTRACT_TEXT},
        {"win1252.txt", EXTRACT_TEXT},
        {"utf8-bom.md", EXTRACT_MARKDOWN},
        {"xss.md", EXTRACT_MARKDOWN},
        {"plain.txt", EXTRACT_TEXT},
        {"page", EXTRACT_HTML},
        {"notes", EXTRACT_UNKNOWN},
        {"empty.txt", EXTRACT_UNKNOWN},
        {"junk.html", EXTRACT_UNKNOWN},
    };
    size_t i, len;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char *d = fixture(cases[i].file, &len);

        ck_assert_msg(
            extract_detect(cases[i].file, d, len) == cases[i].want,
            "%s: got %s", cases[i].file,
            extract_format_name(extract_detect(cases[i].file, d, len)));
        kw_free(d);
    }
}
END_TEST

START_TEST(test_detect_rules)
{
    static const unsigned char text[] = "plain words\n";
    static const unsigned char html[] = "\xef\xbb\xbf  <?xml version=\"1.0\"?>"
                                        "\n<!-- c --><!DOCTYPE HTML><p>";
    unsigned char buf[2048];
    size_t n = sizeof(text) - 1;

    ck_assert_int_eq(extract_detect("A.TXT", text, n), EXTRACT_TEXT);
    ck_assert_int_eq(extract_detect("a.Text", text, n), EXTRACT_TEXT);
    ck_assert_int_eq(extract_detect("a.MarkDown.gz", text, n),
                     EXTRACT_MARKDOWN);
    ck_assert_int_eq(extract_detect("d/x.HTM", text, n), EXTRACT_HTML);
    ck_assert_int_eq(extract_detect("d/x.xhtml", text, n), EXTRACT_HTML);
    ck_assert_int_eq(extract_detect("dir.md/file", text, n), EXTRACT_UNKNOWN);
    ck_assert_int_eq(extract_detect("x.doc", text, n), EXTRACT_UNKNOWN);
    ck_assert_int_eq(extract_detect(NULL, text, n), EXTRACT_UNKNOWN);
    ck_assert_int_eq(extract_detect("a.txt", NULL, 0), EXTRACT_UNKNOWN);
    ck_assert_int_eq(extract_detect(NULL, html, sizeof(html) - 1),
                     EXTRACT_HTML);
    ck_assert_int_eq(
        extract_detect("x", (const unsigned char *)"<html lang=ko>", 14),
        EXTRACT_HTML);
    ck_assert_int_eq(extract_detect("x", (const unsigned char *)"<htmlx>", 7),
                     EXTRACT_UNKNOWN);
    /* A PDF named .txt is not text; PDF magic later than 1 KiB is no PDF. */
    ck_assert_int_eq(
        extract_detect("a.txt", (const unsigned char *)"%PDF-1.4\n", 9),
        EXTRACT_UNKNOWN);
    memset(buf, ' ', sizeof(buf));
    memcpy(buf + 1000, "%PDF-1.7", 8);
    ck_assert_int_eq(extract_detect("a.pdf", buf, sizeof(buf)), EXTRACT_PDF);
    ck_assert_int_eq(extract_detect("a", buf, sizeof(buf)), EXTRACT_PDF);
    memset(buf, ' ', sizeof(buf));
    memcpy(buf + 1100, "%PDF-1.7", 8);
    ck_assert_int_eq(extract_detect("a.pdf", buf, sizeof(buf)),
                     EXTRACT_UNKNOWN);
    /* Control bytes: 30% passes, 31% is binary. */
    memset(buf, 'a', 100);
    memset(buf, 0x01, 30);
    ck_assert_int_eq(extract_detect("a.md", buf, 100), EXTRACT_MARKDOWN);
    buf[30] = 0x1b;
    ck_assert_int_eq(extract_detect("a.md", buf, 100), EXTRACT_UNKNOWN);
    memcpy(buf, "ab\0cd", 5);
    ck_assert_int_eq(extract_detect("a.txt", buf, 5), EXTRACT_UNKNOWN);
    /* UTF-16 without a BOM has NULs: binary. */
    ck_assert_int_eq(
        extract_detect("a.txt", (const unsigned char *)"a\0b\0", 4),
        EXTRACT_UNKNOWN);
}
END_TEST

START_TEST(test_gunzip)
{
    unsigned char *gz, *out, *a, *b, *cat;
    size_t len, outlen, alen, blen;
    char err[128] = "";

    gz = fixture("notes.txt.gz", &len);
    ck_assert_int_eq(extract_detect("notes.txt.gz", gz, len), EXTRACT_UNKNOWN);
    ck_assert_int_eq(
        extract_gunzip(gz, len, 1 << 20, &out, &outlen, err, sizeof(err)), 0);
    ck_assert_uint_eq(outlen, 17 + 1 + 13 * 200);
    ck_assert_uint_eq(strlen((char *)out), outlen);
    ck_assert(memcmp(out, "Compressed notes\n\nline of text\n", 31) == 0);
    ck_assert_int_eq(extract_detect("notes.txt.gz", out, outlen), EXTRACT_TEXT);
    kw_free(out);
    /* The cap is inclusive: exactly max bytes pass, one more does not. */
    ck_assert_int_eq(
        extract_gunzip(gz, len, outlen, &out, &outlen, err, sizeof(err)), 0);
    kw_free(out);
    ck_assert_int_eq(
        extract_gunzip(gz, len, outlen - 1, &out, &outlen, err, sizeof(err)),
        -1);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err, "too large after decompression");
    kw_free(gz);

    /* Two members, as `cat a.gz b.gz` makes. */
    ck_assert_int_eq(gz_compress("first member ", 13, 6, &a, &alen), 0);
    ck_assert_int_eq(gz_compress("second member", 13, 6, &b, &blen), 0);
    cat = kw_malloc(alen + blen);
    ck_assert_ptr_nonnull(cat);
    memcpy(cat, a, alen);
    memcpy(cat + alen, b, blen);
    ck_assert_int_eq(
        extract_gunzip(cat, alen + blen, 100, &out, &outlen, err, sizeof(err)),
        0);
    ck_assert_str_eq((char *)out, "first member second member");
    kw_free(out);
    /* Garbage after a member is refused, not ignored. */
    memcpy(cat + alen, "junk", 4);
    ck_assert_int_eq(
        extract_gunzip(cat, alen + 4, 100, &out, &outlen, err, sizeof(err)),
        -1);
    ck_assert_str_eq(err, "corrupt gzip (trailing data)");
    kw_free(a);
    kw_free(b);
    kw_free(cat);
}
END_TEST

START_TEST(test_utf8_fixtures)
{
    unsigned char *d;
    char *s;
    size_t len;

    d = fixture("korean-euckr.html", &len);
    s = to_utf8(d, len, 1);
    ck_assert_ptr_nonnull(strstr(s, "<title>광명 문서</title>"));
    ck_assert_ptr_nonnull(strstr(s, "<p>조선어 과학 기술 자료입니다.</p>"));
    kw_free(s);
    /* Without the HTML flag the declaration is not read, and the
     * undeclared guess still finds Korean. */
    s = to_utf8(d, len, 0);
    ck_assert_ptr_nonnull(strstr(s, "조선어 과학 기술 자료입니다."));
    kw_free(s);
    kw_free(d);

    d = fixture("cp949-undeclared.txt", &len);
    s = to_utf8(d, len, 0);
    ck_assert_str_eq(s, "똠방각하\n\n한국어 문서입니다.\n");
    kw_free(s);
    kw_free(d);

    d = fixture("utf16le-bom.txt", &len);
    s = to_utf8(d, len, 0);
    ck_assert_str_eq(s, "UTF-16 텍스트\r\n\r\nsecond paragraph\r\n");
    kw_free(s);
    kw_free(d);

    d = fixture("win1252.txt", &len);
    s = to_utf8(d, len, 0);
    ck_assert_str_eq(s, "Café “quoted” € 5\n");
    kw_free(s);
    kw_free(d);

    d = fixture("utf8-bom.md", &len);
    s = to_utf8(d, len, 0);
    ck_assert_str_eq(s, "# Heading\n\nBody *text*.\n");
    kw_free(s);
    kw_free(d);

    d = fixture("empty.txt", &len);
    s = to_utf8(d, len, 1);
    ck_assert_str_eq(s, "");
    kw_free(s);
    kw_free(d);
}
END_TEST

START_TEST(test_utf8_declared)
{
    static const char euckr[] = "<meta charset=\"EUC-KR\"><p>\xb0\xa1</p>";
    static const char sq[] = "<META\tCharset = 'ks_c_5601-1987' ><p>\xb0\xa1";
    static const char xml[] = "<?xml version=\"1.0\" encoding=\"euc-kr\"?>"
                              "<p>\xb0\xa1";
    static const char comment[] =
        "<!-- <meta charset=koi8-r> --><p>\xf0\xd2\xc9";
    static const char latin[] = "<meta charset=iso-8859-1><p>\x80 \xe9";
    static const char bogus[] = "<meta charset=x-bogus-42><p>\xe9t\xe9";
    static const char utf7[] = "<meta charset=utf-7><p>+ADw-";
    static const char ebcdic[] = "<meta charset=IBM037><p>x";
    static const char koi8[] = "<meta charset=koi8-r><p>\xf0\xd2\xc9";
    static const char stale[] = "<meta charset=windows-1252><p>한국어 문서";
    static const char u16[] = "<meta charset=utf-16><p>caf\xc3\xa9";

    check_utf8(euckr, sizeof(euckr) - 1, 1,
               "<meta charset=\"EUC-KR\"><p>가</p>");
    check_utf8(sq, sizeof(sq) - 1, 1,
               "<META\tCharset = 'ks_c_5601-1987' ><p>가");
    check_utf8(xml, sizeof(xml) - 1, 1,
               "<?xml version=\"1.0\" encoding=\"euc-kr\"?><p>가");
    /* Commented out: ignored, so the undeclared guess (not CP949: the
     * last byte is a cut-off pair) gives windows-1252. */
    check_utf8(comment, sizeof(comment) - 1, 1,
               "<!-- <meta charset=koi8-r> --><p>ðÒÉ");
    check_utf8(latin, sizeof(latin) - 1, 1, "<meta charset=iso-8859-1><p>€ é");
    check_utf8(bogus, sizeof(bogus) - 1, 1, "<meta charset=x-bogus-42><p>été");
    /* UTF-7 is refused: its '+' sequences stay literal text. */
    check_utf8(utf7, sizeof(utf7) - 1, 1, "<meta charset=utf-7><p>+ADw-");
    check_utf8(ebcdic, sizeof(ebcdic) - 1, 1, "<meta charset=IBM037><p>x");
    check_utf8(koi8, sizeof(koi8) - 1, 1, "<meta charset=koi8-r><p>При");
    /* Valid UTF-8 with several multi-byte characters beats a stale tag. */
    check_utf8(stale, sizeof(stale) - 1, 1, stale);
    check_utf8(u16, sizeof(u16) - 1, 1, "<meta charset=utf-16><p>café");
}
END_TEST

START_TEST(test_utf8_junk)
{
    static const char be[] = "\xfe\xff\x00h\xd5\x5c\x00!";
    static const char le_odd[] = "\xff\xfeh\x00i\x00!";
    static const char le_surrogate[] = "\xff\xfe\x00\xd8x\x00";
    static const char mostly[] = "한국어 문서입니다 \xff 끝";

    check_utf8("a\0b", 3, 0, "ab");
    check_utf8("\xef\xbb\xbf\0", 4, 0, "");
    check_utf8(be, sizeof(be) - 1, 0, "h한!");
    check_utf8(le_odd, sizeof(le_odd) - 1, 0, "hi\xef\xbf\xbd");
    check_utf8(le_surrogate, sizeof(le_surrogate) - 1, 0, "\xef\xbf\xbdx");
    /* Damaged UTF-8 stays UTF-8 with one replacement, no mojibake. */
    check_utf8(mostly, sizeof(mostly) - 1, 0,
               "한국어 문서입니다 \xef\xbf\xbd 끝");
    /* Overlong, surrogate, beyond U+10FFFF, lone continuation, cut-off
     * sequence: fewer good sequences than bad bytes, so windows-1252 (or
     * U+FFFD for its five holes); all valid, whatever the guess. */
    {
        static const char *bad[] = {
            "\xc0\xaf",         "\xed\xa0\x80",     "\xf4\x90\x80\x80",
            "\xf8\x88\x80\x80", "\x80\x81\x8d\x8f", "ok \xe2\x82",
            "\xfe\xfe\xff\xff", "\x1b$)C\x0e\x21",
        };
        size_t i;

        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            kw_free(to_utf8(bad[i], strlen(bad[i]), 0));
            kw_free(to_utf8(bad[i], strlen(bad[i]), 1));
        }
    }
    /* An overlong '/' never becomes '/': here it is a CP949 syllable. */
    check_utf8("\xc0\xaf", 2, 0, "유");
    check_utf8("\xc0\xaf", 2, 1, "유");
    check_utf8("\xc0\xaf\xff", 3, 0, "À¯ÿ");
    check_utf8("\x81", 1, 0, "\xef\xbf\xbd");
    check_utf8(NULL, 0, 1, "");
    {
        char *html, *title;
        size_t hlen;

        ck_assert_int_eq(extract_text(NULL, 5, &html, &hlen, &title), 0);
        ck_assert_str_eq(html, "");
        ck_assert_ptr_null(title);
        kw_free(html);
    }
}
END_TEST

START_TEST(test_utf8_random)
{
    unsigned long long seed = 0x4b57455854ULL;
    unsigned char buf[700];
    int round;

    for (round = 0; round < 2000; round++) {
        size_t n = (size_t)(seed >> 33) % sizeof(buf), i;

        for (i = 0; i < n; i++) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            buf[i] = (unsigned char)(seed >> 56);
            if (round % 3 == 0 && buf[i] < 0x80) {
                buf[i] = (unsigned char)("<meta charset=euc-kr>"[i % 21]);
            }
        }
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        kw_free(to_utf8(buf, n, round & 1));
        (void)extract_detect(round & 1 ? "x.html" : "x", buf, n);
        {
            char *html, *title;
            size_t hlen;

            ck_assert_int_eq(extract_text((char *)buf, n, &html, &hlen, &title),
                             0);
            ck_assert(utf8_valid(html, hlen));
            ck_assert(title == NULL || utf8_valid(title, strlen(title)));
            kw_free(html);
            kw_free(title);
        }
    }
}
END_TEST

START_TEST(test_markdown_safe)
{
    unsigned char *md;
    char *html, *html2, err[128] = "";
    size_t len, hlen, hlen2;

    md = fixture("xss.md", &len);
    ck_assert_int_eq(extract_markdown((char *)md, len, &html, &hlen), 0);
    ck_assert_uint_eq(strlen(html), hlen);
    ck_assert(utf8_valid(html, hlen));
    ck_assert(!contains_ci(html, "<script"));
    /* Every dangerous URL is emptied; the autolink's text stays text. */
    ck_assert(!contains_ci(html, "\"javascript:"));
    ck_assert(!contains_ci(html, "vbscript:"));
    ck_assert(!contains_ci(html, "data:text"));
    ck_assert_ptr_nonnull(strstr(html, "<a href=\"\">click</a>"));
    ck_assert_ptr_nonnull(strstr(html, "<a href=\"\">ref</a>"));
    ck_assert_ptr_nonnull(strstr(html, "<img src=\"\" alt=\"img\" />"));
    ck_assert(!contains_ci(html, "onerror"));
    ck_assert_ptr_nonnull(strstr(html, "<h1>Notes</h1>"));
    ck_assert_ptr_nonnull(strstr(html, "href=\"https://example.org/\""));
    /* The child-process variant renders the same bytes. */
    ck_assert_int_eq(extract_markdown_limited((char *)md, len, NULL, &html2,
                                              &hlen2, err, sizeof(err)),
                     0);
    ck_assert_str_eq(html2, html);
    ck_assert_uint_eq(hlen2, hlen);
    assert_no_children();
    kw_free(html);
    kw_free(html2);
    kw_free(md);

    md = fixture("utf8-bom.md", &len);
    ck_assert_int_eq(extract_markdown((char *)md + 3, len - 3, &html, &hlen),
                     0);
    ck_assert_str_eq(html, "<h1>Heading</h1>\n<p>Body <em>text</em>.</p>\n");
    kw_free(html);
    kw_free(md);

    /* Invalid UTF-8 and NUL are replaced by cmark itself. */
    ck_assert_int_eq(extract_markdown("a\xff\0b", 4, &html, &hlen), 0);
    ck_assert(utf8_valid(html, hlen));
    kw_free(html);
    ck_assert_int_eq(extract_markdown(NULL, 0, &html, &hlen), 0);
    ck_assert_str_eq(html, "");
    kw_free(html);
}
END_TEST

START_TEST(test_text)
{
    static const char want[] =
        "<p>The &lt;Title&gt; &amp; &quot;quotes&quot;<br>\n"
        "second line of the first paragraph</p>\n"
        "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more</p>\n"
        "<pre>    preformatted &lt;b&gt;\n"
        "\tindented with a tab</pre>\n"
        "<p>last paragraph</p>\n";
    unsigned char *txt;
    char *html, *title;
    size_t len, hlen;

    txt = fixture("plain.txt", &len);
    ck_assert_int_eq(extract_text((char *)txt, len, &html, &hlen, &title), 0);
    ck_assert_str_eq(html, want);
    ck_assert_uint_eq(hlen, sizeof(want) - 1);
    ck_assert_str_eq(title, "The <Title> & \"quotes\"");
    ck_assert(!contains_ci(html, "<script"));
    kw_free(html);
    kw_free(title);
    kw_free(txt);

    /* CRLF, lone CR, blank lines inside <pre>, controls dropped. */
    {
        static const char crlf[] = "\r\n\x01 \r\n    a\r\n\r\n    b\rc\x07"
                                   "d\r\n\f\n\tz";

        ck_assert_int_eq(
            extract_text(crlf, sizeof(crlf) - 1, &html, &hlen, &title), 0);
    }
    ck_assert_str_eq(html, "<pre>    a\n\n    b</pre>\n<p>cd</p>\n"
                           "<pre>\tz</pre>\n");
    ck_assert_str_eq(title, "a");
    kw_free(html);
    kw_free(title);

    ck_assert_int_eq(extract_text("", 0, &html, &hlen, &title), 0);
    ck_assert_str_eq(html, "");
    ck_assert_uint_eq(hlen, 0);
    ck_assert_ptr_null(title);
    kw_free(html);
    ck_assert_int_eq(extract_text(" \t\n\n\x01\n", 6, &html, &hlen, &title), 0);
    ck_assert_str_eq(html, "");
    ck_assert_ptr_null(title);
    kw_free(html);
}
END_TEST

START_TEST(test_text_title)
{
    char line[1200], *html, *title;
    size_t hlen, i;

    /* Bidi overrides and controls go, spaces collapse, junk becomes
     * U+FFFD. */
    ck_assert_int_eq(extract_text("\xe2\x80\xae"
                                  "evil\t\t  name\x1b\xff  \n",
                                  18, &html, &hlen, &title),
                     0);
    ck_assert_str_eq(title, "evil name\xef\xbf\xbd");
    ck_assert(utf8_valid(html, hlen));
    kw_free(html);
    kw_free(title);

    /* 3-byte characters: the cap cuts at a character boundary. */
    for (i = 0; i + 3 <= sizeof(line); i += 3) {
        memcpy(line + i, "한", 3);
    }
    ck_assert_int_eq(extract_text(line, sizeof(line), &html, &hlen, &title), 0);
    ck_assert_uint_eq(strlen(title), 300);
    ck_assert(utf8_valid(title, strlen(title)));
    kw_free(html);
    kw_free(title);
    memcpy(line, "a", 1);
    ck_assert_int_eq(extract_text(line, 301, &html, &hlen, &title), 0);
    ck_assert_uint_eq(strlen(title), 298);
    ck_assert(utf8_valid(title, strlen(title)));
    kw_free(html);
    kw_free(title);
}
END_TEST

START_TEST(test_pdf)
{
    unsigned char *pdf;
    char *text, err[160] = "", tmp[64];
    size_t len, tlen;

    make_tmpdir(tmp);
    ck_assert_int_eq(setenv("TMPDIR", tmp, 1), 0);
    pdf = fixture("hello.pdf", &len);
    ck_assert_int_eq(
        extract_pdf(pdf, len, NULL, &text, &tlen, err, sizeof(err)), 0);
    ck_assert_uint_eq(strlen(text), tlen);
    ck_assert(utf8_valid(text, tlen));
    ck_assert_ptr_nonnull(strstr(text, "Kwangmyong portal extraction test"));
    ck_assert_ptr_nonnull(strstr(text, "café and résumé"));
    kw_free(text);
    kw_free(pdf);
    assert_no_children();
    /* The temporary copy is gone. */
    ck_assert_int_eq(count_entries(tmp), 0);
    unsetenv("TMPDIR");
    remove_tmpdir(tmp);
}
END_TEST

START_TEST(test_pdf_args)
{
    struct extract_limits lim;
    unsigned char *pdf;
    char *text, err[160] = "", tmp[64], script[256];
    size_t len, tlen;

    make_tmpdir(tmp);
    /* The fake shows what pdftotext gets: arguments, environment, and
     * that the file argument is readable and holds the PDF. */
    write_script(tmp, "args",
                 "#!/bin/sh\n"
                 "echo \"$@\"\n"
                 "echo \"PATH=$PATH\"\n"
                 "head -c 8 \"$5\"; echo\n"
                 "ls /proc/self/fd | wc -l\n",
                 script);
    extract_limits_default(&lim);
    lim.pdftotext = script;
    pdf = fixture("hello.pdf", &len);
    ck_assert_int_eq(
        extract_pdf(pdf, len, &lim, &text, &tlen, err, sizeof(err)), 0);
    ck_assert_msg(strncmp(text, "-enc UTF-8 -q -nopgbrk ", 23) == 0, "%s",
                  text);
    ck_assert_ptr_nonnull(strstr(text, " -\nPATH=/usr/bin:/bin\n%PDF-1.4\n"));
    kw_free(text);
    kw_free(pdf);
    assert_no_children();
    remove_tmpdir(tmp);
}
END_TEST

START_TEST(test_gunzip_bomb)
{
    unsigned char *gz, *out = (unsigned char *)"x";
    char err[128] = "";
    size_t len, outlen = 7;

    gz = fixture("bomb.txt.gz", &len);
    ck_assert_uint_lt(len, 20000);
    ck_assert_int_eq(
        extract_gunzip(gz, len, 1 << 20, &out, &outlen, err, sizeof(err)), -1);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(outlen, 0);
    ck_assert_str_eq(err, "too large after decompression");
    ck_assert_int_eq(
        extract_gunzip(gz, len, 0, &out, &outlen, err, sizeof(err)), -1);
    /* With room it is all there. */
    ck_assert_int_eq(extract_gunzip(gz, len, 10 * 1024 * 1024, &out, &outlen,
                                    err, sizeof(err)),
                     0);
    ck_assert_uint_eq(outlen, 10 * 1024 * 1024);
    ck_assert_int_eq(extract_detect("bomb.txt.gz", out, outlen),
                     EXTRACT_UNKNOWN);
    kw_free(out);
    kw_free(gz);
}
END_TEST

/* Runs extract_pdf on hello.pdf with the fake script body and limits;
 * returns the elapsed milliseconds, error in err. */
static long long
run_fake(const char *tmp, const char *body, struct extract_limits *lim,
         char *err, size_t errlen, int want_rc)
{
    char script[256], *text = NULL;
    unsigned char *pdf;
    size_t len, tlen;
    long long t0;

    write_script(tmp, "fake", body, script);
    lim->pdftotext = script;
    pdf = fixture("hello.pdf", &len);
    t0 = clock_now_ms();
    ck_assert_int_eq(extract_pdf(pdf, len, lim, &text, &tlen, err, errlen),
                     want_rc);
    t0 = clock_now_ms() - t0;
    if (want_rc == 0) {
        ck_assert_str_eq(text, "straggler text\n");
    } else {
        ck_assert_ptr_null(text);
    }
    kw_free(text);
    kw_free(pdf);
    assert_no_children();
    return t0;
}

START_TEST(test_pdf_timeout)
{
    struct extract_limits lim;
    char err[160] = "", tmp[64];
    long long ms;
    pid_t pid;

    make_tmpdir(tmp);
    extract_limits_default(&lim);
    lim.pdf_timeout_ms = 500;
    ms = run_fake(tmp, "#!/bin/sh\nsleep 30 &\necho $! > %s/pid\nwait\n", &lim,
                  err, sizeof(err), -1);
    ck_assert_int_lt(ms, 5000);
    ck_assert_int_ge(ms, 450);
    ck_assert_msg(strstr(err, "timed out") != NULL, "%s", err);
    pid = read_pid(tmp);
    ck_assert_int_gt(pid, 0);
    ck_assert_msg(pid_gone(pid), "sleep %d survived", (int)pid);
    remove_tmpdir(tmp);
}
END_TEST

START_TEST(test_pdf_parent_killed)
{
    char tmp[64], script[256];
    pid_t helper, pid = 0;
    long long end;
    int st;

    /* The ingest dies mid-PDF (kill -9): pdftotext, in a process group of
     * its own, must not run on as an orphan. */
    make_tmpdir(tmp);
    write_script(tmp, "fake", "#!/bin/sh\necho $$ > %s/pid\nexec sleep 30\n",
                 script);
    helper = fork();
    ck_assert_int_ge(helper, 0);
    if (helper == 0) {
        struct extract_limits lim;
        unsigned char pdf[] = "%PDF-1.4\n";
        char *text, err[160];
        size_t tlen;

        extract_limits_default(&lim);
        lim.pdftotext = script;
        extract_pdf(pdf, sizeof(pdf) - 1, &lim, &text, &tlen, err, sizeof(err));
        _exit(0);
    }
    for (end = clock_now_ms() + 3000; clock_now_ms() < end && pid <= 0;) {
        usleep(10000);
        pid = read_pid(tmp);
    }
    ck_assert_int_gt(pid, 0);
    ck_assert_int_eq(kill(helper, SIGKILL), 0);
    ck_assert_int_eq(waitpid(helper, &st, 0), helper);
    ck_assert(WIFSIGNALED(st));
    ck_assert_msg(pid_gone(pid), "pdftotext %d outlived its parent", (int)pid);
    assert_no_children();
    remove_tmpdir(tmp);
}
END_TEST

START_TEST(test_pdf_lingering)
{
    struct extract_limits lim;
    char err[160] = "", tmp[64];
    long long ms;

    /* Closes its stdout at once, then stays: end-of-file is not the end. */
    make_tmpdir(tmp);
    extract_limits_default(&lim);
    lim.pdf_timeout_ms = 500;
    ms = run_fake(tmp, "#!/bin/sh\necho partial\nexec >&-\nexec sleep 30\n",
                  &lim, err, sizeof(err), -1);
    ck_assert_int_lt(ms, 5000);
    ck_assert_msg(strstr(err, "timed out") != NULL, "%s", err);
    remove_tmpdir(tmp);
}
END_TEST

START_TEST(test_pdf_straggler)
{
    struct extract_limits lim;
    char err[160] = "", tmp[64];
    pid_t pid;

    /* Succeeds, but leaves a background process: the group kill takes it. */
    make_tmpdir(tmp);
    extract_limits_default(&lim);
    run_fake(tmp,
             "#!/bin/sh\nsleep 30 >/dev/null 2>&1 &\necho $! > %s/pid\n"
             "echo straggler text\nexit 0\n",
             &lim, err, sizeof(err), 0);
    pid = read_pid(tmp);
    ck_assert_int_gt(pid, 0);
    ck_assert_msg(pid_gone(pid), "sleep %d survived", (int)pid);
    remove_tmpdir(tmp);
}
END_TEST

START_TEST(test_pdf_memhog)
{
    struct extract_limits lim;
    char err[160] = "", tmp[64];
    long long ms;

    make_tmpdir(tmp);
    extract_limits_default(&lim);
    lim.pdf_mem_bytes = 64L * 1024 * 1024;
    lim.pdf_timeout_ms = 10000;
    ms = run_fake(tmp, "#!/bin/bash\na=x\nwhile :; do a=\"$a$a\"; done\n", &lim,
                  err, sizeof(err), -1);
    ck_assert_int_lt(ms, 9000); /* the memory limit, not the timeout */
    ck_assert_msg(strstr(err, "pdftotext failed (exit") != NULL ||
                      strstr(err, "pdftotext killed by signal") != NULL,
                  "%s", err);
    remove_tmpdir(tmp);
}
END_TEST

START_TEST(test_pdf_cpuhog)
{
    struct extract_limits lim;
    char err[160] = "", tmp[64], want[80];
    long long ms;

    make_tmpdir(tmp);
    extract_limits_default(&lim);
    lim.pdf_cpu_seconds = 1;
    lim.pdf_timeout_ms = 20000;
    ms = run_fake(tmp, "#!/bin/sh\nwhile :; do :; done\n", &lim, err,
                  sizeof(err), -1);
    /* One CPU second; the wall clock depends on the machine's load. */
    ck_assert_int_lt(ms, 15000);
    snprintf(want, sizeof(want),
             "pdftotext killed by signal %d (limit reached)", SIGXCPU);
    ck_assert_str_eq(err, want);
    remove_tmpdir(tmp);
}
END_TEST

START_TEST(test_pdf_flood)
{
    struct extract_limits lim;
    char err[160] = "", tmp[64];
    long long ms;

    make_tmpdir(tmp);
    extract_limits_default(&lim);
    lim.max_text = 64 * 1024;
    ms = run_fake(tmp, "#!/bin/sh\nexec yes kwangmyong\n", &lim, err,
                  sizeof(err), -1);
    ck_assert_int_lt(ms, 5000);
    ck_assert_str_eq(err, "PDF text too large (over 65536 bytes)");
    remove_tmpdir(tmp);
}
END_TEST

START_TEST(test_markdown_bomb)
{
    struct extract_limits lim;
    static const char unit[] = "![[]()";
    size_t n = 50000, i;
    char *md, *html = NULL, err[128] = "";
    size_t hlen;
    long long t0;

    /* Super-linear in cmark 0.30.2: about 9 s for these 300 KB. */
    md = kw_malloc(n * 6 + 1);
    ck_assert_ptr_nonnull(md);
    for (i = 0; i < n; i++) {
        memcpy(md + i * 6, unit, 6);
    }
    extract_limits_default(&lim);
    lim.md_timeout_ms = 1000;
    lim.md_cpu_seconds = 2;
    t0 = clock_now_ms();
    ck_assert_int_eq(extract_markdown_limited(md, n * 6, &lim, &html, &hlen,
                                              err, sizeof(err)),
                     -1);
    ck_assert_int_lt(clock_now_ms() - t0, 5000);
    ck_assert_ptr_null(html);
    ck_assert_msg(strstr(err, "markdown too complex") != NULL, "%s", err);
    assert_no_children();
    /* A small output cap is an error too. */
    lim.md_timeout_ms = 10000;
    lim.max_html = 100;
    ck_assert_int_eq(
        extract_markdown_limited(md, 600, &lim, &html, &hlen, err, sizeof(err)),
        -1);
    ck_assert_str_eq(err, "markdown output too large");
    assert_no_children();
    kw_free(md);
}
END_TEST

START_TEST(test_text_large)
{
    size_t n = 4 * 1024 * 1024, hlen;
    char *txt = kw_malloc(n), *html, *title;
    long long t0 = clock_now_ms();

    /* One 4 MiB line of markup: linear time (a quadratic pass would take
     * hours), everything escaped.  The bound is loose for ASan and load. */
    ck_assert_ptr_nonnull(txt);
    memset(txt, '<', n);
    ck_assert_int_eq(extract_text(txt, n, &html, &hlen, &title), 0);
    ck_assert_uint_eq(hlen, 3 + 4 * n + 5);
    ck_assert_uint_eq(strlen(title), 300);
    ck_assert_int_lt(clock_now_ms() - t0, 20000);
    kw_free(html);
    kw_free(title);
    kw_free(txt);
}
END_TEST

START_TEST(test_gunzip_corrupt)
{
    unsigned char *gz, *out, *copy;
    char err[128] = "";
    size_t len, outlen;

    gz = fixture("truncated.txt.gz", &len);
    ck_assert_int_eq(
        extract_gunzip(gz, len, 1 << 20, &out, &outlen, err, sizeof(err)), -1);
    ck_assert_ptr_null(out);
    ck_assert_str_eq(err, "corrupt gzip (truncated)");
    kw_free(gz);
    ck_assert_int_eq(extract_gunzip((const unsigned char *)"", 0, 100, &out,
                                    &outlen, err, sizeof(err)),
                     -1);
    ck_assert_str_eq(err, "corrupt gzip (truncated)");
    ck_assert_int_eq(extract_gunzip((const unsigned char *)"plain text", 10,
                                    100, &out, &outlen, err, sizeof(err)),
                     -1);
    ck_assert_msg(strncmp(err, "corrupt gzip (", 14) == 0, "%s", err);
    /* A flipped byte in the data fails the CRC or the inflate. */
    gz = fixture("notes.txt.gz", &len);
    copy = kw_malloc(len);
    ck_assert_ptr_nonnull(copy);
    memcpy(copy, gz, len);
    copy[len - 9] ^= 0x55;
    ck_assert_int_eq(
        extract_gunzip(copy, len, 1 << 20, &out, &outlen, err, sizeof(err)),
        -1);
    ck_assert_msg(strncmp(err, "corrupt gzip (", 14) == 0, "%s", err);
    /* NULL err and NULL input are allowed. */
    ck_assert_int_eq(extract_gunzip(copy, 3, 100, &out, &outlen, NULL, 0), -1);
    ck_assert_int_eq(extract_gunzip(NULL, 0, 100, &out, &outlen, NULL, 0), -1);
    /* Random damage: an error or a bounded result, nothing else. */
    {
        unsigned long long seed = 0x677a6a756e6bULL;
        int round;

        for (round = 0; round < 3000; round++) {
            size_t at, cut;

            memcpy(copy, gz, len);
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            at = (size_t)(seed >> 33) % len;
            copy[at] ^= (unsigned char)(1 + (seed >> 8) % 255);
            cut = round % 2 ? len : (size_t)(seed >> 40) % (len + 1);
            if (extract_gunzip(copy, cut, 1000, &out, &outlen, err,
                               sizeof(err)) == 0) {
                ck_assert_uint_le(outlen, 1000);
                kw_free(out);
            } else {
                ck_assert_ptr_null(out);
                ck_assert(strncmp(err, "corrupt gzip (", 14) == 0 ||
                          strcmp(err, "too large after decompression") == 0);
            }
        }
    }
    kw_free(copy);
    kw_free(gz);
}
END_TEST

START_TEST(test_pdf_errors)
{
    struct extract_limits lim;
    unsigned char *d;
    char *text = (char *)"x", err[160] = "";
    size_t len, tlen = 3;

    d = fixture("fake.pdf", &len);
    ck_assert_int_eq(extract_pdf(d, len, NULL, &text, &tlen, err, sizeof(err)),
                     -1);
    ck_assert_ptr_null(text);
    ck_assert_uint_eq(tlen, 0);
    ck_assert_str_eq(err, "not a PDF");
    kw_free(d);
    d = fixture("empty.txt", &len);
    ck_assert_int_eq(extract_pdf(d, len, NULL, &text, &tlen, err, sizeof(err)),
                     -1);
    ck_assert_str_eq(err, "not a PDF");
    kw_free(d);
    assert_no_children();

    d = fixture("truncated.pdf", &len);
    ck_assert_int_eq(extract_pdf(d, len, NULL, &text, &tlen, err, sizeof(err)),
                     -1);
    ck_assert_str_eq(err, "pdftotext failed (exit 1)");
    assert_no_children();

    extract_limits_default(&lim);
    lim.pdftotext = "/nonexistent/pdftotext";
    ck_assert_int_eq(extract_pdf(d, len, &lim, &text, &tlen, err, sizeof(err)),
                     -1);
    ck_assert_str_eq(err, "pdftotext not installed (/nonexistent/pdftotext)");
    ck_assert_int_eq(extract_pdf(d, len, &lim, &text, &tlen, NULL, 0), -1);
    lim.pdftotext = "/etc/passwd";
    ck_assert_int_eq(extract_pdf(d, len, &lim, &text, &tlen, err, sizeof(err)),
                     -1);
    ck_assert_msg(strncmp(err, "pdftotext not usable (/etc/passwd: ", 35) == 0,
                  "%s", err);
    assert_no_children();
    kw_free(d);
}
END_TEST

START_TEST(test_junk_everywhere)
{
    unsigned char *d;
    char *s, *html, *title;
    size_t len, hlen;

    /* Binary junk that got past detection anyway: valid output, no
     * crash, from every converter. */
    d = fixture("junk.html", &len);
    s = to_utf8(d, len, 1);
    ck_assert_int_eq(extract_text(s, strlen(s), &html, &hlen, &title), 0);
    ck_assert(utf8_valid(html, hlen));
    ck_assert(title == NULL || utf8_valid(title, strlen(title)));
    kw_free(html);
    kw_free(title);
    ck_assert_int_eq(extract_text((char *)d, len, &html, &hlen, &title), 0);
    ck_assert(utf8_valid(html, hlen));
    ck_assert(title == NULL || utf8_valid(title, strlen(title)));
    kw_free(html);
    kw_free(title);
    ck_assert_int_eq(extract_markdown((char *)d, len, &html, &hlen), 0);
    ck_assert(utf8_valid(html, hlen));
    kw_free(html);
    kw_free(s);
    kw_free(d);
}
END_TEST

START_TEST(test_blns)
{
    char path[4096], *s, *html, *title;
    json_error_t jerr;
    json_t *arr, *v;
    size_t i, hlen;

    snprintf(path, sizeof(path), "%s/blns.json", data_dir());
    arr = json_load_file(path, 0, &jerr);
    ck_assert_msg(arr != NULL, "%s: %s", path, jerr.text);
    json_array_foreach(arr, i, v)
    {
        const char *str = json_string_value(v);
        size_t n = json_string_length(v);

        s = to_utf8(str, n, (int)(i & 1));
        kw_free(s);
        ck_assert_int_eq(extract_text(str, n, &html, &hlen, &title), 0);
        ck_assert(utf8_valid(html, hlen));
        ck_assert(!contains_ci(html, "<script"));
        if (title != NULL) {
            ck_assert(utf8_valid(title, strlen(title)));
            ck_assert(strstr(title, "\xe2\x80\xae") == NULL);
        }
        kw_free(html);
        kw_free(title);
        ck_assert_int_eq(extract_markdown(str, n, &html, &hlen), 0);
        ck_assert(utf8_valid(html, hlen));
        ck_assert(!contains_ci(html, "<script"));
        ck_assert(!contains_ci(html, "href=\"javascript"));
        kw_free(html);
    }
    json_decref(arr);
}
END_TEST

/* 1 when the failure hook armed with n is still unfired: one of the next
 * n + 1 allocations fails.  Leaves the hook disarmed. */
static int
hook_unfired(long n)
{
    long k;

    for (k = 0; k <= n; k++) {
        void *p = kw_malloc(1);

        if (p == NULL) {
            alloc_set_fail_after(-1);
            return 1;
        }
        kw_free(p);
    }
    alloc_set_fail_after(-1);
    return 0;
}

/* Runs call under alloc_set_fail_after(i) for i = 0, 1, ... until a run
 * needs fewer than i allocations: every run must fail with out NULL or
 * produce exactly want; at least one must fail. */
#define FAIL_LOOP(call, out, want)                                             \
    do {                                                                       \
        long i_;                                                               \
        int fails_ = 0, done_ = 0;                                             \
        for (i_ = 0; !done_; i_++) {                                           \
            int rc_;                                                           \
            alloc_set_fail_after(i_);                                          \
            rc_ = (call);                                                      \
            done_ = hook_unfired(i_);                                          \
            if (rc_ < 0) {                                                     \
                ck_assert(!done_);                                             \
                fails_++;                                                      \
                ck_assert_ptr_null(out);                                       \
                continue;                                                      \
            }                                                                  \
            ck_assert_str_eq((const char *)(out), (want));                     \
            kw_free(out);                                                      \
            out = NULL;                                                        \
        }                                                                      \
        ck_assert_int_gt(fails_, 0);                                           \
    } while (0)

START_TEST(test_alloc_fail)
{
    unsigned char *plain, *euckr, *cp949, *u16, *gz, *md;
    size_t lp, le, lc, lu, lg, lm, n;
    char *ref_html, *ref_title, *ref_u8[4], *ref_md, *out = NULL;
    char *html = NULL, *title = NULL, err[128];
    unsigned char *bin = NULL, *ref_gz;
    size_t k;
    int fails, done;

    plain = fixture("plain.txt", &lp);
    euckr = fixture("korean-euckr.html", &le);
    cp949 = fixture("cp949-undeclared.txt", &lc);
    u16 = fixture("utf16le-bom.txt", &lu);
    gz = fixture("notes.txt.gz", &lg);
    md = fixture("xss.md", &lm);
    ck_assert_int_eq(extract_text((char *)plain, lp, &ref_html, &n, &ref_title),
                     0);
    ref_u8[0] = to_utf8(euckr, le, 1);
    ref_u8[1] = to_utf8(cp949, lc, 0);
    ref_u8[2] = to_utf8(u16, lu, 0);
    ref_u8[3] = to_utf8(plain, lp, 0);
    ck_assert_int_eq(extract_markdown((char *)md, lm, &ref_md, &n), 0);
    ck_assert_int_eq(
        extract_gunzip(gz, lg, 1 << 20, &ref_gz, &n, err, sizeof(err)), 0);

    /* extract_text returns two strings: its own loop. */
    for (k = 0, fails = 0, done = 0; !done; k++) {
        int rc;

        alloc_set_fail_after((long)k);
        rc = extract_text((char *)plain, lp, &html, &n, &title);
        done = hook_unfired((long)k);
        if (rc < 0) {
            ck_assert_ptr_null(html);
            ck_assert_ptr_null(title);
            fails++;
            continue;
        }
        ck_assert_str_eq(html, ref_html);
        ck_assert_str_eq(title, ref_title);
        kw_free(html);
        kw_free(title);
    }
    ck_assert_int_gt(fails, 0);
    FAIL_LOOP(extract_to_utf8(euckr, le, 1, &out, &n, err, sizeof(err)), out,
              ref_u8[0]);
    FAIL_LOOP(extract_to_utf8(cp949, lc, 0, &out, &n, err, sizeof(err)), out,
              ref_u8[1]);
    FAIL_LOOP(extract_to_utf8(u16, lu, 0, &out, &n, err, sizeof(err)), out,
              ref_u8[2]);
    FAIL_LOOP(extract_to_utf8(plain, lp, 0, &out, &n, err, sizeof(err)), out,
              ref_u8[3]);
    FAIL_LOOP(extract_markdown((char *)md, lm, &out, &n), out, ref_md);
    FAIL_LOOP(extract_gunzip(gz, lg, 1 << 20, &bin, &n, err, sizeof(err)), bin,
              (char *)ref_gz);

    /* The child-process paths allocate only in the parent; a few rounds
     * spawn real children. */
    for (k = 0; k < 6; k++) {
        struct extract_limits lim;
        unsigned char *pdf;
        size_t plen;
        int rc;

        pdf = fixture("hello.pdf", &plen);
        extract_limits_default(&lim);
        alloc_set_fail_after((long)k);
        rc = extract_pdf(pdf, plen, &lim, &out, &n, err, sizeof(err));
        alloc_set_fail_after(-1);
        if (rc == 0) {
            ck_assert_ptr_nonnull(strstr(out, "Kwangmyong"));
            kw_free(out);
        } else {
            ck_assert_str_eq(err, "out of memory");
            ck_assert_ptr_null(out);
        }
        out = NULL;
        alloc_set_fail_after((long)k);
        rc = extract_markdown_limited((char *)md, lm, &lim, &out, &n, err,
                                      sizeof(err));
        alloc_set_fail_after(-1);
        if (rc == 0) {
            ck_assert_str_eq(out, ref_md);
            kw_free(out);
        } else {
            ck_assert_str_eq(err, "out of memory");
        }
        out = NULL;
        kw_free(pdf);
        assert_no_children();
    }

    kw_free(ref_html);
    kw_free(ref_title);
    for (k = 0; k < 4; k++) {
        kw_free(ref_u8[k]);
    }
    kw_free(ref_md);
    kw_free(ref_gz);
    kw_free(plain);
    kw_free(euckr);
    kw_free(cp949);
    kw_free(u16);
    kw_free(gz);
    kw_free(md);
}
END_TEST

static Suite *
extract_suite(void)
{
    Suite *s = suite_create("extract");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
          *errors = tcase_create("errors");

    tcase_set_timeout(core, 30);
    tcase_set_timeout(limits, 30);
    tcase_set_timeout(errors, 120);
    tcase_add_test(core, test_names);
    tcase_add_test(core, test_detect_fixtures);
    tcase_add_test(core, test_detect_rules);
    tcase_add_test(core, test_gunzip);
    tcase_add_test(core, test_utf8_fixtures);
    tcase_add_test(core, test_utf8_declared);
    tcase_add_test(core, test_utf8_junk);
    tcase_add_test(core, test_utf8_random);
    tcase_add_test(core, test_markdown_safe);
    tcase_add_test(core, test_text);
    tcase_add_test(core, test_text_title);
    tcase_add_test(core, test_pdf);
    tcase_add_test(core, test_pdf_args);
    tcase_add_test(limits, test_gunzip_bomb);
    tcase_add_test(limits, test_pdf_timeout);
    tcase_add_test(limits, test_pdf_lingering);
    tcase_add_test(limits, test_pdf_parent_killed);
    tcase_add_test(limits, test_pdf_straggler);
    tcase_add_test(limits, test_pdf_memhog);
    tcase_add_test(limits, test_pdf_cpuhog);
    tcase_add_test(limits, test_pdf_flood);
    tcase_add_test(limits, test_markdown_bomb);
    tcase_add_test(limits, test_text_large);
    tcase_add_test(errors, test_gunzip_corrupt);
    tcase_add_test(errors, test_pdf_errors);
    tcase_add_test(errors, test_junk_everywhere);
    tcase_add_test(errors, test_blns);
    tcase_add_test(errors, test_alloc_fail);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(extract_suite());
}
