/*
 * check_mime: the extension to Content-Type table, for both of its users:
 * static files (every extension, octet-stream for the rest, decided by
 * staticfiles) and ingest's assets (MIME_ASSET: images and stylesheets
 * only).  Layer: tests/.
 */
#include <check.h>
#include <stddef.h>

#include "checkmain.h"
#include "mime.h"

/* Every extension the table knows, with its type and whether ingest
 * stores it as an asset. */
static const struct {
    const char *name, *type;
    int asset;
} known[] = {
    {"css/site.css", "text/css; charset=utf-8", 1},
    {"js/app.js", "text/javascript; charset=utf-8", 0},
    {"img/logo.svg", "image/svg+xml", 0},
    {"a.png", "image/png", 1},
    {"a.jpg", "image/jpeg", 1},
    {"a.jpeg", "image/jpeg", 1},
    {"a.gif", "image/gif", 1},
    {"a.webp", "image/webp", 1},
    {"favicon.ico", "image/x-icon", 1},
    {"f.woff2", "font/woff2", 0},
    {"robots.txt", "text/plain; charset=utf-8", 0},
    {"a.json", "application/json", 0},
    {"a.xml", "application/xml; charset=utf-8", 0},
    {"a.html", "text/html; charset=utf-8", 0},
    {"a.pdf", "application/pdf", 0},
};

START_TEST(test_known)
{
    const char *name = known[_i].name;

    ck_assert_str_eq(mime_type(name, 0), known[_i].type);
    if (known[_i].asset) {
        ck_assert_str_eq(mime_type(name, MIME_ASSET), known[_i].type);
    } else {
        ck_assert_ptr_null(mime_type(name, MIME_ASSET));
    }
}
END_TEST

START_TEST(test_lookup)
{
    /* Case-insensitive, by the last '.', even one in a directory name. */
    ck_assert_str_eq(mime_type("IMG/A.PNG", MIME_ASSET), "image/png");
    ck_assert_str_eq(mime_type("a.tar.css", 0), "text/css; charset=utf-8");
    ck_assert_ptr_null(mime_type("css.d/site", 0));
    ck_assert_ptr_null(mime_type("README", 0));
    ck_assert_ptr_null(mime_type("a.png.gz", 0));
    ck_assert_ptr_null(mime_type("a.", 0));
    ck_assert_ptr_null(mime_type("", MIME_ASSET));
}
END_TEST

START_TEST(test_charset)
{
    char buf[16];

    ck_assert_str_eq(mime_charset("text/html; charset=EUC-KR", buf, 16),
                     "EUC-KR");
    ck_assert_str_eq(
        mime_charset("text/html;q=1;  Charset=\"utf-8\"; x=y", buf, 16),
        "utf-8");
    ck_assert_ptr_null(mime_charset("text/html", buf, 16));
    ck_assert_ptr_null(mime_charset(NULL, buf, 16));
    ck_assert_ptr_null(mime_charset("text/html; charset=", buf, 16));
    ck_assert_ptr_null(
        mime_charset("text/html; charset=a-very-long-label", buf, 16));
}
END_TEST

static Suite *
mime_suite(void)
{
    Suite *s = suite_create("mime");
    TCase *core = tcase_create("core");

    tcase_add_loop_test(core, test_known, 0, sizeof(known) / sizeof(known[0]));
    tcase_add_test(core, test_lookup);
    tcase_add_test(core, test_charset);
    suite_add_tcase(s, core);
    return s;
}

int
main(void)
{
    return check_main(mime_suite());
}
