/*
 * page_feed: the machine-readable views: Atom feeds of what was
 * published (site and per collection), the sitemap, and the OpenSearch
 * description.  Layer: server/; never touches MHD.  Feeds and sitemap
 * need absolute URLs: they are built from the request's Host header,
 * which a reverse proxy in front must pass through.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "html.h"
#include "pages.h"
#include "render.h"
#include "strbuf.h"

#define FEED_ENTRIES 50
#define SITEMAP_MAX 50000

/* "http://HOST" for absolute URLs (arena), from the Host header. */
static const char *
origin(struct req *req)
{
    const char *host = req_header(req, "Host");
    struct strbuf o = STRBUF_INIT;
    const char *s;

    /* A Host with characters no host has is not echoed back. */
    if (host == NULL || host[0] == '\0' ||
        strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                     "0123456789.-:[]") != strlen(host)) {
        host = "localhost";
    }
    strbuf_printf(&o, "http://%s", host);
    s = arena_strdup(req->arena, strbuf_peek(&o));
    strbuf_free(&o);
    return s;
}

static void
rfc3339(time_t t, char buf[32])
{
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Render an XML view into the response. */
static int
render_xml(struct req *req, const char *view, json_t *m, const char *ctype)
{
    struct strbuf out = STRBUF_INIT;

    if (router_render(req, view, m, &out) < 0) {
        strbuf_free(&out);
        return 500;
    }
    req->resp.owned = strbuf_detach(&out, &req->resp.len);
    req->resp.body = req->resp.owned;
    req->resp.ctype = ctype;
    req->resp.cache_control = "public, max-age=300";
    return 200;
}

/* Atom feed of the newest published documents, of one collection when
 * coll is not NULL. */
static int
feed(struct req *req, const char *coll, json_t **model)
{
    static const char sql[] =
        "SELECT d.id, c.name, d.path, d.title, d.description,"
        " d.published_at, c.title FROM document d"
        " JOIN collection c ON c.id = d.collection_id"
        " WHERE d.status = 'published' AND (:c IS NULL OR c.name = :c)"
        " ORDER BY d.published_at DESC, d.id DESC LIMIT :n";
    const char *o = origin(req);
    json_t *m = json_object(), *entries = json_array();
    sqlite3_stmt *st = db_stmt(req->db, sql);
    struct strbuf u = STRBUF_INIT;
    time_t newest = 0;
    char ts[32];
    const char *ctitle = NULL;
    int rc;

    *model = m;
    if (st == NULL) {
        json_decref(entries);
        return 500;
    }
    db_bind_text(st, ":c", coll);
    db_bind_int64(st, ":n", FEED_ENTRIES);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *e = json_object();
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *path = (const char *)sqlite3_column_text(st, 2);
        time_t t = (time_t)sqlite3_column_int64(st, 5);

        if (t > newest) {
            newest = t;
        }
        if (ctitle == NULL && coll != NULL) {
            ctitle = arena_strdup(req->arena,
                                  (const char *)sqlite3_column_text(st, 6));
        }
        strbuf_reset(&u);
        strbuf_puts(&u, o);
        render_doc_url(&u, req->app->base, name, path, NULL);
        json_object_set_new(e, "url", json_string(strbuf_peek(&u)));
        strbuf_reset(&u);
        strbuf_printf(&u, "%s%s/d/%lld", o, req->app->base,
                      (long long)sqlite3_column_int64(st, 0));
        json_object_set_new(e, "id", json_string(strbuf_peek(&u)));
        json_object_set_new(
            e, "title", json_string((const char *)sqlite3_column_text(st, 3)));
        if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
            json_object_set_new(
                e, "summary",
                json_string((const char *)sqlite3_column_text(st, 4)));
        }
        rfc3339(t, ts);
        json_object_set_new(e, "updated", json_string(ts));
        json_array_append_new(entries, e);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(entries);
        strbuf_free(&u);
        return 500;
    }
    if (coll != NULL && ctitle == NULL) {
        /* An unknown or empty collection: empty feed only when it exists. */
        static const char exists[] =
            "SELECT title FROM collection WHERE name = :c";
        sqlite3_stmt *x = db_stmt(req->db, exists);

        if (x == NULL) {
            json_decref(entries);
            strbuf_free(&u);
            return 500;
        }
        db_bind_text(x, ":c", coll);
        if (sqlite3_step(x) == SQLITE_ROW) {
            ctitle = arena_strdup(req->arena,
                                  (const char *)sqlite3_column_text(x, 0));
        }
        sqlite3_reset(x);
        if (ctitle == NULL) {
            json_decref(entries);
            strbuf_free(&u);
            return 404;
        }
    }
    json_object_set_new(m, "entries", entries);
    rfc3339(newest, ts);
    json_object_set_new(m, "updated", json_string(ts));
    json_object_set_new(
        m, "feed_title",
        json_string(
            ctitle != NULL
                ? ctitle
                : json_string_value(json_object_get(
                      i18n_strings(&req->app->i18n, req->lang), "site_name"))));
    strbuf_reset(&u);
    strbuf_printf(&u, "%s%s%s", o, req->app->base, req->path);
    json_object_set_new(m, "self_url", json_string(strbuf_peek(&u)));
    json_object_set_new(m, "feed_id", json_string(strbuf_peek(&u)));
    strbuf_reset(&u);
    strbuf_printf(&u, "%s%s/", o, req->app->base);
    if (coll != NULL) {
        strbuf_puts(&u, "c/");
        url_encode(&u, coll, strlen(coll));
        strbuf_putc(&u, '/');
    }
    json_object_set_new(m, "alt_url", json_string(strbuf_peek(&u)));
    strbuf_free(&u);
    return render_xml(req, "feed.xml", m,
                      "application/atom+xml; charset=utf-8");
}

/* GET /feed.atom: the 50 newest published documents. */
int
page_feed_get(struct req *req, json_t **model)
{
    return feed(req, NULL, model);
}

/* GET /c/NAME/feed.atom: the same for one collection; 404 when unknown. */
int
page_collection_feed_get(struct req *req, json_t **model)
{
    return feed(req, req->captures[0], model);
}

/* GET /sitemap.xml: every published document (at most 50,000). */
int
page_sitemap_get(struct req *req, json_t **model)
{
    static const char sql[] =
        "SELECT c.name, d.path, d.published_at FROM document d"
        " JOIN collection c ON c.id = d.collection_id"
        " WHERE d.status = 'published' ORDER BY d.id LIMIT :n";
    const char *o = origin(req);
    json_t *m = json_object(), *urls = json_array();
    sqlite3_stmt *st = db_stmt(req->db, sql);
    struct strbuf u = STRBUF_INIT;
    int rc;

    *model = m;
    json_object_set_new(m, "urls", urls);
    if (st == NULL) {
        return 500;
    }
    db_bind_int64(st, ":n", SITEMAP_MAX);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *path = (const char *)sqlite3_column_text(st, 1);
        json_t *e = json_object();
        char ts[32];

        strbuf_reset(&u);
        strbuf_puts(&u, o);
        render_doc_url(&u, req->app->base, name, path, NULL);
        json_object_set_new(e, "loc", json_string(strbuf_peek(&u)));
        rfc3339((time_t)sqlite3_column_int64(st, 2), ts);
        ts[10] = '\0';
        json_object_set_new(e, "lastmod", json_string(ts));
        json_array_append_new(urls, e);
    }
    sqlite3_reset(st);
    strbuf_free(&u);
    if (rc != SQLITE_DONE) {
        return 500;
    }
    return render_xml(req, "sitemap.xml", m, "application/xml; charset=utf-8");
}

/* GET /opensearch.xml: lets a browser add the portal's search. */
int
page_opensearch_get(struct req *req, json_t **model)
{
    *model = json_object();
    json_object_set_new(*model, "origin", json_string(origin(req)));
    return render_xml(req, "opensearch.xml", *model,
                      "application/opensearchdescription+xml; charset=utf-8");
}
