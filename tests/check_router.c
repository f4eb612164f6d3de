/*
 * check_router: page tests.  Requests are built in memory and passed to
 * router_dispatch(), no socket (house style).  Covers routing, 404/405,
 * error pages, JSON errors, static files with ETag/304/gzip/immutable,
 * language choice, escaping of hostile text, /healthz and /metrics.
 * Layer: tests/.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "checkmain.h"
#include "pages.h"
#include "router.h"
#include "pagefix.h"

START_TEST(test_home)
{
    struct fake f;
    struct req *r = fake(&f, REQ_GET, "/", NULL, NULL);

    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_str_eq(r->resp.ctype, "text/html; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(body(&f), "<html lang=\"ko\">"));
    ck_assert_ptr_nonnull(strstr(body(&f), "/static/css/site."));
    ck_assert(r->resp.etag[0] == '"');
    done(&f);
    r = fake(&f, REQ_GET, "/", NULL, NULL);
    f.args[0].key = "lang";
    f.args[0].value = "en";
    r->nargs = 1;
    r->lang = 1;
    router_dispatch(r);
    ck_assert_ptr_nonnull(strstr(body(&f), "<html lang=\"en\">"));
    ck_assert_ptr_nonnull(strstr(body(&f), "Kwangmyong Portal"));
    done(&f);
}
END_TEST

START_TEST(test_hostile_text_escaped)
{
    struct fake f;
    struct req *r;
    const char *b;

    testdb_write(pf_wdb, "INSERT INTO collection(name, title, created_at,"
                         " updated_at) VALUES ('x', '<script>\"''&{{x}}', 0,"
                         " 0)");
    r = fake(&f, REQ_GET, "/", NULL, NULL);
    router_dispatch(r);
    b = body(&f);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_null(strstr(b, "<script"));
    ck_assert_ptr_nonnull(strstr(b, "&lt;script&gt;&quot;&#39;&amp;{{x}}"));
    done(&f);
}
END_TEST

START_TEST(test_404_405)
{
    struct fake f;
    struct req *r = fake(&f, REQ_GET, "/no/such/page", NULL, NULL);

    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 404);
    ck_assert_str_eq(r->resp.cache_control, "no-store");
    ck_assert_ptr_nonnull(strstr(body(&f), "<h1>404"));
    done(&f);
    r = fake(&f, REQ_POST, "/", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 405);
    ck_assert_str_eq(r->resp.allow, "GET, HEAD");
    done(&f);
    r = fake(&f, REQ_OTHER, "/healthz", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 405);
    done(&f);
    r = fake(&f, REQ_HEAD, "/healthz", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    done(&f);
}
END_TEST

START_TEST(test_api_error_json)
{
    struct fake f;
    struct req *r = fake(&f, REQ_GET, "/api/nothing", NULL, NULL);
    json_t *j;
    json_error_t je;

    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 404);
    ck_assert_str_eq(r->resp.ctype, "application/json");
    j = json_loads(body(&f), 0, &je);
    ck_assert_ptr_nonnull(j);
    ck_assert_int_eq(json_integer_value(
                         json_object_get(json_object_get(j, "error"), "code")),
                     404);
    ck_assert(json_is_string(
        json_object_get(json_object_get(j, "error"), "message")));
    json_decref(j);
    done(&f);
}
END_TEST

START_TEST(test_static)
{
    struct fake f;
    struct req *r = fake(&f, REQ_GET, "/static/css/site.css", NULL, NULL);
    char etag[80], hashed[512];
    const char *u;

    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_str_eq(r->resp.ctype, "text/css; charset=utf-8");
    ck_assert_str_eq(r->resp.cache_control, "public, no-cache");
    ck_assert(!r->resp.gzipped);
    strcpy(etag, r->resp.etag);
    done(&f);

    /* the hashed name, as templates link it, is immutable */
    u = json_string_value(json_object_get(pf_app.static_urls, "css_site_css"));
    ck_assert_ptr_nonnull(u);
    snprintf(hashed, sizeof(hashed), "%s", u);
    r = fake(&f, REQ_GET, hashed, "Accept-Encoding", "gzip");
    r->accept_gzip = 1;
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_str_eq(r->resp.cache_control,
                     "public, max-age=31536000, immutable");
    ck_assert(r->resp.gzipped);
    ck_assert(r->resp.vary_encoding);
    ck_assert((unsigned char)r->resp.body[0] == 0x1f);
    done(&f);

    r = fake(&f, REQ_GET, "/static/css/site.css", "If-None-Match", etag);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 304);
    ck_assert_uint_eq(r->resp.len, 0);
    done(&f);

    r = fake(&f, REQ_GET, "/static/../Makefile.am", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 404);
    done(&f);
    r = fake(&f, REQ_GET, "/static/", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 404);
    done(&f);
}
END_TEST

START_TEST(test_healthz_metrics)
{
    struct fake f;
    struct req *r = fake(&f, REQ_GET, "/healthz", NULL, NULL);
    json_t *j;

    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    j = json_loads(body(&f), 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
    ck_assert_str_eq(json_string_value(json_object_get(j, "database")), "ok");
    ck_assert(json_is_integer(
        json_object_get(json_object_get(j, "documents"), "published")));
    ck_assert(json_is_string(json_object_get(j, "version")));
    ck_assert_ptr_null(json_object_get(j, "page"));
    json_decref(j);
    app_account(&pf_app, r->route, 200, 1234);
    done(&f);
    r = fake(&f, REQ_GET, "/metrics", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_nonnull(strstr(
        body(&f),
        "kwangmyong_http_requests_total{route=\"healthz\",status=\"200\"} 1"));
    ck_assert_ptr_nonnull(
        strstr(body(&f), "kwangmyong_http_request_duration_seconds_count 1"));
    ck_assert_ptr_nonnull(strstr(body(&f), "kwangmyong_database_bytes"));
    ck_assert_ptr_nonnull(strstr(body(&f), "kwangmyong_search_refused_total"));
    done(&f);
    /* Not for a client from elsewhere without an operator session ... */
    r = fake(&f, REQ_GET, "/metrics", NULL, NULL);
    r->client = "10.1.2.3";
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 403);
    ck_assert_ptr_null(strstr(body(&f), "kwangmyong_"));
    done(&f);
    /* ... unless metrics_public says so. */
    pf_app.cfg->metrics_public = 1;
    r = fake(&f, REQ_GET, "/metrics", NULL, NULL);
    r->client = "10.1.2.3";
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    done(&f);
    pf_app.cfg->metrics_public = 0;
}
END_TEST

START_TEST(test_gzip_dynamic)
{
    struct fake f;
    struct req *r = fake(&f, REQ_GET, "/", "Accept-Encoding", "gzip");
    size_t plain;

    router_dispatch(r);
    plain = r->resp.len;
    done(&f);
    r = fake(&f, REQ_GET, "/", "Accept-Encoding", "gzip");
    r->accept_gzip = 1;
    router_dispatch(r);
    if (plain >= 1400) {
        ck_assert(r->resp.gzipped);
        ck_assert_uint_lt(r->resp.len, plain);
    } else {
        ck_assert(!r->resp.gzipped); /* tiny bodies stay plain */
    }
    done(&f);
}
END_TEST

START_TEST(test_broken_template_refused)
{
    char tdir[64], cmd[16384], err[512];
    struct app a2;
    FILE *fh;
    char p[256];

    strcpy(tdir, "/tmp/kwtplXXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tdir));
    snprintf(cmd, sizeof(cmd),
             "cp -r '%s/templates' '%s/static' '%s/' && mkdir -p '%s/db'",
             pf_db.srcdir, pf_db.srcdir, tdir, tdir);
    ck_assert_int_eq(system(cmd), 0);
    snprintf(p, sizeof(p), "%s/templates/broken.html", tdir);
    fh = fopen(p, "w");
    fputs("<p>\n\n{{{title}}}</p>\n", fh);
    fclose(fh);
    ck_assert_int_eq(app_init(&a2, &pf_cfg, tdir, err, sizeof(err)), -1);
    ck_assert_msg(strstr(err, "broken.html:3") != NULL, "%s", err);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

static Suite *
router_suite(void)
{
    Suite *s = suite_create("router");
    TCase *core = tcase_create("core"), *errors = tcase_create("errors");

    tcase_add_checked_fixture(core, pagefix_setup, pagefix_teardown);
    tcase_add_checked_fixture(errors, pagefix_setup, pagefix_teardown);
    tcase_add_test(core, test_home);
    tcase_add_test(core, test_static);
    tcase_add_test(core, test_healthz_metrics);
    tcase_add_test(core, test_gzip_dynamic);
    tcase_add_test(errors, test_hostile_text_escaped);
    tcase_add_test(errors, test_404_405);
    tcase_add_test(errors, test_api_error_json);
    tcase_add_test(errors, test_broken_template_refused);
    suite_add_tcase(s, core);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(router_suite());
}
