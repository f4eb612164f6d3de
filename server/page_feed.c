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

#include "document.h"
#include "html.h"
#include "pages.h"
#include "render.h"
#include "strbuf.h"
#include "xmlview.h"

#define FEED_ENTRIES 50
#define SITEMAP_MAX 50000
/* Feeds, sitemap and OpenSearch description: five minutes in caches. */
#define FEED_CACHE "public, max-age=300"

/* When d was published (0 when it has no time, as a NULL read gave). */
static time_t
published(const struct document *d)
{
    return d->published_at != DOCUMENT_NO_TIME ? (time_t)d->published_at : 0;
}

/* feed_entry's context. */
struct feed {
    struct req *req;
    const char *origin;
    const char *coll; /* NULL: every collection */
    json_t *entries;
    struct strbuf u;
    time_t newest;
    const char *ctitle; /* the collection's title (arena) */
};

static void
feed_entry(void *ctx, const struct document *d)
{
    struct feed *f = ctx;
    json_t *e = json_object();
    time_t t = published(d);
    char ts[32];

    if (t > f->newest) {
        f->newest = t;
    }
    if (f->ctitle == NULL && f->coll != NULL) {
        f->ctitle = arena_strdup(f->req->arena, d->collection_title);
    }
    strbuf_reset(&f->u);
    strbuf_puts(&f->u, f->origin);
    render_doc_url(&f->u, f->req->app->base, d->collection, d->path, NULL);
    json_object_set_new(e, "url", json_string(strbuf_peek(&f->u)));
    strbuf_reset(&f->u);
    strbuf_printf(&f->u, "%s%s/d/%lld", f->origin, f->req->app->base,
                  (long long)d->id);
    json_object_set_new(e, "id", json_string(strbuf_peek(&f->u)));
    json_object_set_new(e, "title", json_string(d->title));
    if (d->description != NULL) {
        json_object_set_new(e, "summary", json_string(d->description));
    }
    xmlview_time(t, ts);
    json_object_set_new(e, "updated", json_string(ts));
    json_array_append_new(f->entries, e);
}

/* Atom feed of the newest published documents, of one collection when
 * coll is not NULL. */
static int
feed(struct req *req, const char *coll, json_t **model)
{
    struct feed f = {
        req, xmlview_origin(req), coll, json_array(), STRBUF_INIT, 0, NULL};
    json_t *m = json_object();
    char ts[32];

    *model = m;
    if (document_list_recent(req->db, coll, FEED_ENTRIES, feed_entry, &f) < 0) {
        json_decref(f.entries);
        strbuf_free(&f.u);
        return 500;
    }
    if (coll != NULL && f.ctitle == NULL) {
        /* An unknown or empty collection: empty feed only when it exists. */
        static const char exists[] =
            "SELECT title FROM collection WHERE name = :c";
        sqlite3_stmt *x = db_stmt(req->db, exists);

        if (x == NULL) {
            json_decref(f.entries);
            strbuf_free(&f.u);
            return 500;
        }
        db_bind_text(x, ":c", coll);
        if (sqlite3_step(x) == SQLITE_ROW) {
            f.ctitle = arena_strdup(req->arena,
                                    (const char *)sqlite3_column_text(x, 0));
        }
        sqlite3_reset(x);
        if (f.ctitle == NULL) {
            json_decref(f.entries);
            strbuf_free(&f.u);
            return 404;
        }
    }
    json_object_set_new(m, "entries", f.entries);
    xmlview_time(f.newest, ts);
    json_object_set_new(m, "updated", json_string(ts));
    json_object_set_new(
        m, "feed_title",
        json_string(
            f.ctitle != NULL
                ? f.ctitle
                : json_string_value(json_object_get(
                      i18n_strings(&req->app->i18n, req->lang), "site_name"))));
    strbuf_reset(&f.u);
    strbuf_printf(&f.u, "%s%s%s", f.origin, req->app->base, req->path);
    json_object_set_new(m, "self_url", json_string(strbuf_peek(&f.u)));
    json_object_set_new(m, "feed_id", json_string(strbuf_peek(&f.u)));
    strbuf_reset(&f.u);
    strbuf_printf(&f.u, "%s%s/", f.origin, req->app->base);
    if (coll != NULL) {
        strbuf_puts(&f.u, "c/");
        url_encode(&f.u, coll, strlen(coll));
        strbuf_putc(&f.u, '/');
    }
    json_object_set_new(m, "alt_url", json_string(strbuf_peek(&f.u)));
    strbuf_free(&f.u);
    return xmlview_render(req, "feed.xml", m,
                          "application/atom+xml; charset=utf-8", FEED_CACHE);
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

/* sitemap_url's context. */
struct sitemap {
    struct req *req;
    const char *origin;
    json_t *urls;
    struct strbuf u;
};

static void
sitemap_url(void *ctx, const struct document *d)
{
    struct sitemap *sm = ctx;
    json_t *e = json_object();
    char ts[32];

    strbuf_reset(&sm->u);
    strbuf_puts(&sm->u, sm->origin);
    render_doc_url(&sm->u, sm->req->app->base, d->collection, d->path, NULL);
    json_object_set_new(e, "loc", json_string(strbuf_peek(&sm->u)));
    xmlview_time(published(d), ts);
    ts[10] = '\0';
    json_object_set_new(e, "lastmod", json_string(ts));
    json_array_append_new(sm->urls, e);
}

/* GET /sitemap.xml: every published document (at most 50,000). */
int
page_sitemap_get(struct req *req, json_t **model)
{
    struct sitemap sm = {req, xmlview_origin(req), json_array(), STRBUF_INIT};
    json_t *m = json_object();
    int rc;

    *model = m;
    json_object_set_new(m, "urls", sm.urls);
    rc = document_list_published(req->db, SITEMAP_MAX, sitemap_url, &sm);
    strbuf_free(&sm.u);
    if (rc < 0) {
        return 500;
    }
    return xmlview_render(req, "sitemap.xml", m,
                          "application/xml; charset=utf-8", FEED_CACHE);
}

/* GET /opensearch.xml: lets a browser add the portal's search. */
int
page_opensearch_get(struct req *req, json_t **model)
{
    *model = json_object();
    json_object_set_new(*model, "origin", json_string(xmlview_origin(req)));
    return xmlview_render(
        req, "opensearch.xml", *model,
        "application/opensearchdescription+xml; charset=utf-8", FEED_CACHE);
}
