/*
 * check_pages: page tests of the reader: documents (stored renditions,
 * late-bound links, 304, sandbox CSP), assets and attachments with byte
 * ranges, 404/410 rules, /d/ID, collections, the JSON API and the
 * external-link page with its request flow.  No socket: requests are
 * built in memory (tests/pagefix.c).  Layer: tests/.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checkmain.h"
#include "finish.h"
#include "pagefix.h"
#include "render.h"

/* Two collections; documents published, pending and withdrawn; a body
 * that links to a published page, a pending page, the outside, a tree
 * image and an outside image. */
static const char fixture[] =
    "INSERT INTO collection(id, name, title, source_url, created_at,"
    " updated_at) VALUES (1, 'man', 'Manual', 'https://docs.example.org/',"
    " 0, 0), (2, 'ko', '한국어', NULL, 0, 0);"
    "INSERT INTO blob(sha256, size, data, created_at) VALUES"
    " (printf('%064d', 1), 10, CAST('0123456789' AS BLOB), 0),"
    " (printf('%064d', 2), 4, CAST('%PDF' AS BLOB), 0);"
    "INSERT INTO asset(collection_id, path, content_type, blob_sha256,"
    " created_at) VALUES (1, 'img/logo.png', 'image/png', printf('%064d', 1),"
    " 0);"
    "INSERT INTO document(id, collection_id, path, status, title,"
    " title_norm, language, content_type, body_html, body_text,"
    " source_url, source_url_norm, ingested_at, operator, orig_sha256,"
    " orig_size, body_sha256, published_at, decided_at, decided_by, reason,"
    " updated_at) VALUES"
    " (1, 1, 'index.html', 'published', 'Home <&>', 'home', 'en',"
    " 'text/html', '<p><a href=\"https://docs.example.org/guide.html#s2\">"
    "guide</a> <a href=\"https://docs.example.org/todo.html\">todo</a>"
    " <a href=\"https://outside.example.com/x?a=1&amp;b=2\">out</a>"
    " <img src=\"https://docs.example.org/img/logo.png\" alt=\"logo\">"
    " <img src=\"https://cdn.example.net/a.png\" alt=\"cdn\"></p>', 'x',"
    " 'https://docs.example.org/index.html',"
    " 'https://docs.example.org/index.html', 100, 'op', printf('%064d', 0),"
    " 1, printf('%064d', 0), 200, 200, 'chief', NULL, 0),"
    " (2, 1, 'guide.html', 'published', 'Guide', 'guide', 'en', 'text/html',"
    " '<h2 id=\"s2\">Two</h2>', 'x', 'https://docs.example.org/guide.html',"
    " 'https://docs.example.org/guide.html', 100, 'op', printf('%064d', 0),"
    " 1, printf('%064d', 0), 300, 300, 'chief', NULL, 0),"
    " (3, 1, 'todo.html', 'pending', 'Todo', 'todo', 'en', 'text/html',"
    " '<p>t</p>', 't', 'https://docs.example.org/todo.html',"
    " 'https://docs.example.org/todo.html', 100, 'op', printf('%064d', 0),"
    " 1, printf('%064d', 0), NULL, NULL, NULL, NULL, 0),"
    " (4, 1, 'old.html', 'withdrawn', 'Old page', 'old page', 'en',"
    " 'text/html', '<p>o</p>', 'o', NULL, NULL, 100, 'op',"
    " printf('%064d', 0), 1, printf('%064d', 0), NULL, 400, 'chief',"
    " 'copyright claim', 0),"
    " (5, 2, 'paper.pdf', 'published', '논문', '논문', 'ko',"
    " 'application/pdf', '<p>본문</p>', 'x', NULL, NULL, 100, 'op',"
    " printf('%064d', 2), 4, printf('%064d', 0), 500, 500, 'chief', NULL,"
    " 0);"
    "INSERT INTO asset(collection_id, path, document_id, content_type,"
    " blob_sha256, filename, created_at) VALUES (2, 'paper.pdf', 5,"
    " 'application/pdf', printf('%064d', 2), '논문 \"v1\".pdf', 0);"
    "INSERT INTO link(document_id, target_url) VALUES"
    " (1, 'https://docs.example.org/guide.html'),"
    " (1, 'https://docs.example.org/todo.html'),"
    " (1, 'https://outside.example.com/x?a=1&b=2');";

static void
setup(void)
{
    pagefix_setup();
    testdb_write(pf_wdb, fixture);
}

static int
count_rows(const char *sql)
{
    sqlite3_stmt *st;
    int n = -1;

    ck_assert_int_eq(sqlite3_prepare_v2(db_handle(pf_wdb), sql, -1, &st, NULL),
                     SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

static struct req *
doc_req(struct fake *f, const char *path)
{
    struct req *r = fake(f, REQ_GET, path, NULL, NULL);

    /* the router hands the handler the decoded captures */
    return r;
}

START_TEST(test_document_links_bound)
{
    struct fake f;
    struct req *r = doc_req(&f, "/c/man/index.html");
    const char *b;

    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    b = body(&f);
    ck_assert_ptr_nonnull(strstr(b, "href=\"/c/man/guide.html#s2\""));
    ck_assert_ptr_nonnull(strstr(
        b,
        "href=\"/external?url=https%3A%2F%2Fdocs.example.org%2Ftodo.html\""));
    ck_assert_ptr_nonnull(strstr(
        b, "href=\"/external?url=https%3A%2F%2Foutside.example.com%2Fx%3Fa%3D1"
           "%26b%3D2\""));
    ck_assert_ptr_nonnull(strstr(b, "src=\"/c/man/img/logo.png\""));
    ck_assert_ptr_null(strstr(b, "cdn.example.net"));
    /* the outside image is gone, its alt text stays as text */
    ck_assert_ptr_null(strstr(b, "alt=\"cdn\""));
    ck_assert_ptr_nonnull(strstr(b, "> cdn</p>"));
    ck_assert_ptr_nonnull(strstr(b, "Home &lt;&amp;&gt;"));
    ck_assert_ptr_nonnull(strstr(r->resp.csp, "sandbox"));
    ck_assert(r->resp.etag[0] == '"');
    /* the provenance card */
    ck_assert_ptr_nonnull(strstr(b, "https://docs.example.org/index.html"));
    ck_assert_ptr_nonnull(strstr(b, "chief"));
    done(&f);
    ck_assert_int_eq(count_rows("SELECT count(*) FROM rendition"), 1);
}
END_TEST

START_TEST(test_rendition_reused_and_304)
{
    struct fake f;
    struct req *r = doc_req(&f, "/c/man/index.html");
    char etag[80];

    router_dispatch(r);
    snprintf(etag, sizeof(etag), "%s", r->resp.etag);
    done(&f);
    /* Change the stored body: a served rendition must not notice. */
    testdb_write(
        pf_wdb,
        "UPDATE document SET body_html = '<p>changed</p>' WHERE id = 1");
    r = doc_req(&f, "/c/man/index.html");
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_str_eq(r->resp.etag, etag);
    ck_assert_ptr_null(strstr(body(&f), "changed"));
    done(&f);
    r = doc_req(&f, "/c/man/index.html");
    fake_header(&f, "If-None-Match", etag);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 304);
    ck_assert_uint_eq(r->resp.len, 0);
    done(&f);
    /* gzip from the stored compressed copy */
    r = doc_req(&f, "/c/man/index.html");
    r->accept_gzip = 1;
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert(r->resp.gzipped);
    ck_assert((unsigned char)r->resp.body[0] == 0x1f);
    done(&f);
}
END_TEST

START_TEST(test_publish_rebinds_links)
{
    struct fake f;
    struct req *r = doc_req(&f, "/c/man/index.html");

    router_dispatch(r);
    ck_assert_ptr_nonnull(strstr(body(&f), "todo.html\">todo"));
    ck_assert_ptr_nonnull(strstr(body(&f), "/external?url="));
    done(&f);
    /* Publish the pending page the way store.c does, with invalidation. */
    ck_assert_int_eq(db_write_begin(pf_wdb), SQLITE_OK);
    ck_assert_int_eq(db_exec(pf_wdb, "UPDATE document SET status ="
                                     " 'published' WHERE id = 3"),
                     SQLITE_OK);
    ck_assert_int_eq(
        render_invalidate(pf_wdb, 3, "https://docs.example.org/todo.html"), 0);
    ck_assert_int_eq(db_write_commit(pf_wdb), SQLITE_OK);
    ck_assert_int_eq(count_rows("SELECT count(*) FROM rendition"), 0);
    r = doc_req(&f, "/c/man/index.html");
    router_dispatch(r);
    ck_assert_ptr_nonnull(strstr(body(&f), "href=\"/c/man/todo.html\""));
    done(&f);
}
END_TEST

START_TEST(test_pending_404_withdrawn_410)
{
    struct fake f;
    struct req *r = doc_req(&f, "/c/man/todo.html");

    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 404);
    done(&f);
    r = doc_req(&f, "/c/man/old.html");
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 410);
    ck_assert_ptr_nonnull(strstr(body(&f), "Old page"));
    ck_assert_ptr_nonnull(strstr(body(&f), "copyright claim"));
    done(&f);
    r = doc_req(&f, "/c/nope/index.html");
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 404);
    done(&f);
    r = fake(&f, REQ_GET, "/api/documents/3", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 404);
    done(&f);
}
END_TEST

START_TEST(test_asset_ranges)
{
    struct fake f;
    struct req *r = doc_req(&f, "/c/man/img/logo.png");
    char etag[80];

    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_str_eq(r->resp.ctype, "image/png");
    ck_assert_uint_eq(r->resp.len, 10);
    ck_assert(r->resp.ranges);
    snprintf(etag, sizeof(etag), "%s", r->resp.etag);
    done(&f);
    r = doc_req(&f, "/c/man/img/logo.png");
    fake_header(&f, "Range", "bytes=2-5");
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 206);
    ck_assert_uint_eq(r->resp.len, 4);
    ck_assert_int_eq(memcmp(r->resp.body, "2345", 4), 0);
    ck_assert_str_eq(r->resp.content_range, "bytes 2-5/10");
    done(&f);
    r = doc_req(&f, "/c/man/img/logo.png");
    fake_header(&f, "Range", "bytes=-3");
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 206);
    ck_assert_int_eq(memcmp(r->resp.body, "789", 3), 0);
    done(&f);
    r = doc_req(&f, "/c/man/img/logo.png");
    fake_header(&f, "Range", "bytes=50-60");
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 416);
    ck_assert_str_eq(r->resp.content_range, "bytes */10");
    done(&f);
    /* If-Range with another validator: the whole body. */
    r = doc_req(&f, "/c/man/img/logo.png");
    fake_header(&f, "Range", "bytes=0-1");
    fake_header(&f, "If-Range", "\"stale\"");
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_uint_eq(r->resp.len, 10);
    done(&f);
    r = doc_req(&f, "/c/man/img/logo.png");
    fake_header(&f, "Range", "bytes=0-1");
    fake_header(&f, "If-Range", etag);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 206);
    done(&f);
}
END_TEST

START_TEST(test_attachment)
{
    struct fake f;
    struct req *r = doc_req(&f, "/c/ko/paper.pdf");

    /* the path is the document page ... */
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_nonnull(strstr(body(&f), "/c/ko/paper.pdf?raw=1"));
    ck_assert_ptr_nonnull(strstr(body(&f), "lang=\"ko\""));
    done(&f);
    /* ... and ?raw=1 the original bytes, as a download */
    r = doc_req(&f, "/c/ko/paper.pdf");
    fake_arg(&f, "raw", "1");
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_str_eq(r->resp.ctype, "application/pdf");
    ck_assert_int_eq(memcmp(r->resp.body, "%PDF", 4), 0);
    ck_assert_ptr_nonnull(strstr(r->resp.disposition, "attachment;"));
    ck_assert_ptr_null(strchr(r->resp.disposition + 22, '\n'));
    ck_assert_ptr_nonnull(
        strstr(r->resp.disposition, "filename*=UTF-8''%EB%85%BC%EB%AC%B8"));
    done(&f);
}
END_TEST

START_TEST(test_doc_id_and_collections)
{
    struct fake f;
    struct req *r = fake(&f, REQ_GET, "/d/2", NULL, NULL);

    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 301);
    ck_assert_str_eq(r->resp.location, "/c/man/guide.html");
    done(&f);
    r = fake(&f, REQ_GET, "/d/3", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 404);
    done(&f);
    r = fake(&f, REQ_GET, "/d/abc", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 404);
    done(&f);
    r = fake(&f, REQ_GET, "/c/man", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 301);
    ck_assert_str_eq(r->resp.location, "/c/man/");
    done(&f);
    r = fake(&f, REQ_GET, "/c/man/", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_nonnull(strstr(body(&f), "/c/man/guide.html"));
    ck_assert_ptr_null(strstr(body(&f), "todo.html"));
    ck_assert_ptr_null(strstr(body(&f), "old.html"));
    done(&f);
    r = fake(&f, REQ_GET, "/c/", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_nonnull(strstr(body(&f), "Manual"));
    done(&f);
}
END_TEST

START_TEST(test_api_shapes)
{
    struct fake f;
    struct req *r = fake(&f, REQ_GET, "/api/collections", NULL, NULL);
    json_t *j, *c;
    const char *keys[] = {"id",        "collection", "path",     "url",
                          "title",     "language",   "metadata", "provenance",
                          "body_html", "links"};
    size_t i;

    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    j = json_loads(body(&f), 0, NULL);
    ck_assert(json_is_array(j));
    c = json_array_get(j, 0);
    ck_assert_str_eq(json_string_value(json_object_get(c, "name")), "man");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "documents")), 2);
    ck_assert(json_is_array(json_object_get(c, "languages")));
    ck_assert_ptr_nonnull(json_object_get(c, "updated_at"));
    ck_assert_ptr_null(json_object_get(c, "page"));
    json_decref(j);
    done(&f);
    r = fake(&f, REQ_GET, "/api/documents/1", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    j = json_loads(body(&f), 0, NULL);
    ck_assert_ptr_nonnull(j);
    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        ck_assert_msg(json_object_get(j, keys[i]) != NULL, "missing %s",
                      keys[i]);
    }
    ck_assert_int_eq(json_array_size(json_object_get(j, "links")), 3);
    json_decref(j);
    done(&f);
    r = fake(&f, REQ_GET, "/api/collections/man", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    j = json_loads(body(&f), 0, NULL);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 2);
    json_decref(j);
    done(&f);
}
END_TEST

/* The kw_csrf value a GET /external handed out. */
static void
get_token(char *tok, size_t n)
{
    struct fake f;
    struct req *r = fake(&f, REQ_GET, "/external", NULL, NULL);
    const char *c;

    fake_arg(&f, "url", "https://outside.example.com/x");
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    c = r->resp.set_cookie;
    ck_assert_ptr_nonnull(c);
    ck_assert_ptr_nonnull(strstr(c, "HttpOnly"));
    ck_assert_ptr_nonnull(strstr(c, "SameSite=Strict"));
    snprintf(tok, n, "%.32s", c + strlen(ROUTER_CSRF_COOKIE) + 1);
    /* the address is shown as text, never as a link */
    ck_assert_ptr_nonnull(strstr(body(&f), "https://outside.example.com/x"));
    ck_assert_ptr_null(strstr(body(&f), "href=\"https://outside"));
    ck_assert_ptr_nonnull(strstr(body(&f), tok));
    done(&f);
}

static int
post_url(const char *url, const char *tok, const char *cookie_tok,
         const char *origin, const char *client)
{
    struct fake f;
    struct req *r = fake(&f, REQ_POST, "/external", NULL, NULL);
    char cookie[80];
    int status;

    snprintf(cookie, sizeof(cookie), "%s=%s", ROUTER_CSRF_COOKIE,
             cookie_tok ? cookie_tok : "");
    if (cookie_tok != NULL) {
        fake_header(&f, "Cookie", cookie);
    }
    fake_header(&f, "Host", "portal.intra");
    if (origin != NULL) {
        fake_header(&f, "Origin", origin);
    }
    r->client = client;
    fake_form(&f, "url", url);
    if (tok != NULL) {
        fake_form(&f, "csrf_token", tok);
    }
    router_dispatch(r);
    status = r->resp.status;
    done(&f);
    return status;
}

static int
post_request(const char *tok, const char *cookie_tok, const char *origin,
             const char *client)
{
    return post_url("https://outside.example.com/x", tok, cookie_tok, origin,
                    client);
}

START_TEST(test_external_flow)
{
    char tok[40];
    struct fake f;
    struct req *r;

    get_token(tok, sizeof(tok));
    /* refused: no token, wrong token, cross-site origin */
    ck_assert_int_eq(post_request(NULL, tok, NULL, "10.0.0.1"), 403);
    ck_assert_int_eq(
        post_request("0123456789abcdef0123456789abcdef", tok, NULL, "10.0.0.1"),
        403);
    ck_assert_int_eq(post_request(tok, tok, "http://evil.example", "10.0.0.1"),
                     403);
    ck_assert_int_eq(count_rows("SELECT count(*) FROM acquisition_request"), 0);
    /* accepted, counted once per client */
    ck_assert_int_eq(post_request(tok, tok, "http://portal.intra", "10.0.0.1"),
                     303);
    ck_assert_int_eq(post_request(tok, tok, NULL, "10.0.0.1"), 303);
    ck_assert_int_eq(count_rows("SELECT count FROM acquisition_request"), 1);
    ck_assert_int_eq(post_request(tok, tok, NULL, "10.0.0.2"), 303);
    ck_assert_int_eq(count_rows("SELECT count FROM acquisition_request"), 2);
    ck_assert_int_eq(count_rows("SELECT count(*) FROM acquisition_request"), 1);
    /* GET of an address that is on the intranet redirects there */
    r = fake(&f, REQ_GET, "/external", NULL, NULL);
    fake_arg(&f, "url", "https://DOCS.example.org:443/guide.html");
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 302);
    ck_assert_str_eq(r->resp.location, "/c/man/guide.html");
    done(&f);
    /* GET for a state change is not a route */
    r = fake(&f, REQ_GET, "/external", NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 400);
    done(&f);
}
END_TEST

START_TEST(test_external_rate_limit)
{
    char tok[40];
    int i, last = 0;

    get_token(tok, sizeof(tok));
    /* One client asking for many different pages is throttled; asking
     * again for the same page is idempotent and not counted. */
    for (i = 0; i < 40; i++) {
        char url[64];

        snprintf(url, sizeof(url), "https://outside.example.com/p%d", i);
        last = post_url(url, tok, tok, NULL, "10.9.9.9");
        if (last == 429) {
            break;
        }
    }
    ck_assert_int_eq(last, 429);
    ck_assert_int_le(i, 31);
}
END_TEST

START_TEST(test_home_most_requested)
{
    struct fake f;
    struct req *r;

    testdb_write(
        pf_wdb,
        "INSERT INTO acquisition_request(url_norm, url, count, first_at,"
        " last_at, status, document_id) VALUES"
        " ('https://docs.example.org/guide.html', 'x', 7, 0, 0,"
        " 'fulfilled', 2), ('https://docs.example.org/todo.html', 'y',"
        " 9, 0, 0, 'open', NULL)");
    r = fake(&f, REQ_GET, "/", NULL, NULL);
    fake_arg(&f, "lang", "en");
    r->lang = 1;
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_nonnull(strstr(body(&f), "Most requested"));
    ck_assert_ptr_nonnull(strstr(body(&f), "/c/man/guide.html\">Guide</a>"
                                           " <span class=\"count\">7"));
    /* an open request is not on the front page */
    ck_assert_ptr_null(strstr(body(&f), "todo.html"));
    done(&f);
}
END_TEST

START_TEST(test_range_parser)
{
    size_t a, b;

    ck_assert_int_eq(finish_parse_range(NULL, 10, &a, &b), 0);
    ck_assert_int_eq(finish_parse_range("bytes=0-0", 10, &a, &b), 1);
    ck_assert(a == 0 && b == 0);
    ck_assert_int_eq(finish_parse_range("bytes=5-", 10, &a, &b), 1);
    ck_assert(a == 5 && b == 9);
    ck_assert_int_eq(finish_parse_range("bytes=5-100", 10, &a, &b), 1);
    ck_assert(a == 5 && b == 9);
    ck_assert_int_eq(finish_parse_range("bytes=-100", 10, &a, &b), 1);
    ck_assert(a == 0 && b == 9);
    ck_assert_int_eq(finish_parse_range("bytes=10-", 10, &a, &b), -1);
    ck_assert_int_eq(finish_parse_range("bytes=-0", 10, &a, &b), -1);
    ck_assert_int_eq(finish_parse_range("bytes=5-2", 10, &a, &b), 0);
    ck_assert_int_eq(finish_parse_range("bytes=0-1,3-4", 10, &a, &b), 0);
    ck_assert_int_eq(finish_parse_range("items=0-1", 10, &a, &b), 0);
    ck_assert_int_eq(finish_parse_range("bytes=x-1", 10, &a, &b), 0);
    ck_assert_int_eq(finish_parse_range("bytes=1-x", 10, &a, &b), 0);
    ck_assert_int_eq(finish_parse_range("bytes=0-", 0, &a, &b), -1);
}
END_TEST

/* The URL of one document: base/c/NAME/PATH[#ANCHOR], NAME encoded as a
 * segment, PATH keeping '/', the anchor encoded after '#'. */
static void
url_is(const char *base, const char *name, const char *path, const char *anchor,
       const char *want)
{
    struct strbuf sb = STRBUF_INIT;

    render_doc_url(&sb, base, name, path, anchor);
    ck_assert(strbuf_ok(&sb));
    ck_assert_str_eq(strbuf_peek(&sb), want);
    strbuf_free(&sb);
}

START_TEST(test_render_doc_url)
{
    url_is("", "man", "guide.html", NULL, "/c/man/guide.html");
    url_is("/portal", "man", "guide.html", NULL, "/portal/c/man/guide.html");
    /* the collection's root, and a directory keeps its trailing slash */
    url_is("", "man", NULL, NULL, "/c/man/");
    url_is("/portal", "man", "", "", "/portal/c/man/");
    url_is("", "man", "docs/", NULL, "/c/man/docs/");
    /* Korean name and path; '/' kept in the path only */
    url_is("/portal", "한국어", "논문/자료.pdf", NULL,
           "/portal/c/%ED%95%9C%EA%B5%AD%EC%96%B4/"
           "%EB%85%BC%EB%AC%B8/%EC%9E%90%EB%A3%8C.pdf");
    url_is("", "a/b", "x/y.html", NULL, "/c/a%2Fb/x/y.html");
    /* space, '#', '?' and '%' in the path never end it early */
    url_is("", "man", "my dir/q?a=1#b%.html", NULL,
           "/c/man/my%20dir/q%3Fa%3D1%23b%25.html");
    /* the anchor: "" is none, others encoded whole */
    url_is("", "man", "guide.html", "", "/c/man/guide.html");
    url_is("", "man", "guide.html", "s2", "/c/man/guide.html#s2");
    url_is("/portal", "한국어", "a b.html", "절 1/2#x",
           "/portal/c/%ED%95%9C%EA%B5%AD%EC%96%B4/a%20b.html"
           "#%EC%A0%88%201%2F2%23x");
}
END_TEST

static Suite *
pages_suite(void)
{
    Suite *s = suite_create("pages");
    TCase *core = tcase_create("core"), *errors = tcase_create("errors"),
          *limits = tcase_create("limits");

    tcase_add_checked_fixture(core, setup, pagefix_teardown);
    tcase_add_checked_fixture(errors, setup, pagefix_teardown);
    tcase_add_checked_fixture(limits, setup, pagefix_teardown);
    tcase_add_test(core, test_document_links_bound);
    tcase_add_test(core, test_rendition_reused_and_304);
    tcase_add_test(core, test_publish_rebinds_links);
    tcase_add_test(core, test_asset_ranges);
    tcase_add_test(core, test_attachment);
    tcase_add_test(core, test_doc_id_and_collections);
    tcase_add_test(core, test_api_shapes);
    tcase_add_test(core, test_external_flow);
    tcase_add_test(core, test_home_most_requested);
    tcase_add_test(core, test_render_doc_url);
    tcase_add_test(errors, test_pending_404_withdrawn_410);
    tcase_add_test(limits, test_external_rate_limit);
    tcase_add_test(limits, test_range_parser);
    suite_add_tcase(s, core);
    suite_add_tcase(s, errors);
    suite_add_tcase(s, limits);
    return s;
}

int
main(void)
{
    return check_main(pages_suite());
}
