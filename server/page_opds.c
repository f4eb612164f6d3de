/*
 * page_opds: the OPDS 1.2 catalogue, for e-reader and library software:
 * a navigation feed of the collections (/opds/), an acquisition feed of
 * each collection's published documents, newest first (/opds/c/NAME), a
 * search answered as an acquisition feed (/opds/search, described by
 * /opds/search.xml for OpenSearch).  Layer: server/; never touches MHD.
 * Documents come from lib/document.h, searches from lib/search.h through
 * the search cache, as the HTML pages get them; the views are
 * files in templates/opds/.  An entry's acquisition link is the document's
 * HTML page (text/html): that is the form the portal serves.
 *
 * Feeds are paged OPDS_PAGE entries at a time (?page=N, like the
 * collection page) with first/previous/next/last links, and cached as the
 * Atom feeds are (public for five minutes, ETag from the bytes).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "document.h"
#include "html.h"
#include "pages.h"
#include "render.h"
#include "search.h"
#include "strbuf.h"
#include "xmlview.h"

#define OPDS_PAGE 50
#define OPDS_MAX_COLLECTIONS 10000
#define OPDS_NAV "application/atom+xml;profile=opds-catalog;kind=navigation"
#define OPDS_ACQ "application/atom+xml;profile=opds-catalog;kind=acquisition"
#define OPDS_CACHE "public, max-age=300"
#define OPDS_ACQUIRE "http://opds-spec.org/acquisition"

/* A feed being built. */
struct opds {
    struct req *req;
    json_t *m; /* the model: feed_id, feed_title, updated, links, entries */
    json_t *links, *entries;
    int64_t newest;
};

/* Append {rel, href, type} to links; href is a path under the portal. */
static void
link_add(struct opds *f, json_t *links, const char *rel, const char *path,
         const char *type)
{
    json_array_append_new(links,
                          json_pack("{s:s, s:o, s:s}", "rel", rel, "href",
                                    xmlview_text(xmlview_url(f->req, path)),
                                    "type", type));
}

/* Start feed f for the request: its id and self link are the request's
 * URL (path plus query `query`, "" for none), with the start and search
 * links every OPDS feed carries; its title is `title`, or the site's
 * name (in the reader's language) when NULL.  The model goes to *model. */
static void
feed_start(struct opds *f, struct req *req, const char *title,
           const char *query, const char *kind, json_t **model)
{
    struct strbuf p = STRBUF_INIT;

    memset(f, 0, sizeof(*f));
    f->req = req;
    f->m = json_object();
    *model = f->m;
    f->links = json_array();
    f->entries = json_array();
    json_object_set_new(f->m, "links", f->links);
    json_object_set_new(f->m, "entries", f->entries);
    strbuf_printf(&p, "%s%s", req->path, query);
    json_object_set_new(f->m, "feed_id",
                        xmlview_text(xmlview_url(req, strbuf_peek(&p))));
    json_object_set_new(f->m, "feed_title", xmlview_text(title));
    link_add(f, f->links, "self", strbuf_peek(&p), kind);
    link_add(f, f->links, "start", "/opds/", OPDS_NAV);
    link_add(f, f->links, "search", "/opds/search.xml",
             "application/opensearchdescription+xml");
    strbuf_free(&p);
}

/* Render f with content type ctype. */
static int
feed_finish(struct opds *f, const char *ctype)
{
    char ts[32];

    xmlview_time(f->newest > 0 ? f->newest : (int64_t)f->req->app->started, ts);
    json_object_set_new(f->m, "updated", json_string(ts));
    return xmlview_render(f->req, "opds/feed.xml", f->m, ctype, OPDS_CACHE);
}

/* ---- /opds/: the collections ---- */

static void
nav_entry(void *ctx, const struct document_collection *c)
{
    struct opds *f = ctx;
    json_t *e = json_object(), *links = json_array();
    struct strbuf p = STRBUF_INIT;
    int64_t t = c->updated_at != DOCUMENT_NO_TIME
                    ? c->updated_at
                    : (int64_t)f->req->app->started;
    char ts[32];

    strbuf_puts(&p, "/opds/c/");
    url_encode(&p, c->name, strlen(c->name));
    json_object_set_new(e, "id",
                        xmlview_text(xmlview_url(f->req, strbuf_peek(&p))));
    json_object_set_new(e, "title", xmlview_text(c->title));
    xmlview_time(t, ts);
    json_object_set_new(e, "updated", json_string(ts));
    json_object_set_new(e, "count", json_integer(c->documents));
    link_add(f, links, "subsection", strbuf_peek(&p), OPDS_ACQ);
    json_object_set_new(e, "links", links);
    json_array_append_new(f->entries, e);
    if (t > f->newest) {
        f->newest = t;
    }
    strbuf_free(&p);
}

/* GET /opds/: the navigation feed, one entry a collection (at most
 * 10,000) linking to its acquisition feed. */
int
page_opds_get(struct req *req, json_t **model)
{
    struct opds f;

    feed_start(&f, req, NULL, "", OPDS_NAV, model);
    if (document_collections(req->db, OPDS_MAX_COLLECTIONS, nav_entry, &f) <
        0) {
        return 500;
    }
    return feed_finish(&f, OPDS_NAV);
}

/* GET /opds: 301 to /opds/. */
int
page_opds_slash_get(struct req *req, json_t **model)
{
    (void)model;
    resp_header(req, RESP_CACHE_CONTROL, "public, max-age=86400");
    return resp_redirect(req, 301, req_url(req, "/opds/"));
}

/* ---- acquisition entries ---- */

/* Add published document `id` as an acquisition entry (a document that
 * left the published set since it was listed is left out).  0 or -1. */
static int
acq_entry(struct opds *f, int64_t id)
{
    struct document d;
    json_t *e, *links;
    struct strbuf p = STRBUF_INIT;
    int64_t t;
    char ts[32];
    int rc = document_get(f->req->db, id, 0, &d);

    if (rc <= 0 || strcmp(d.status, DOC_PUBLISHED) != 0) {
        document_free(&d);
        return rc < 0 ? -1 : 0;
    }
    e = json_object();
    links = json_array();
    t = d.published_at != DOCUMENT_NO_TIME ? d.published_at : 0;
    if (t > f->newest) {
        f->newest = t;
    }
    strbuf_printf(&p, "/d/%lld", (long long)d.id);
    json_object_set_new(e, "id",
                        xmlview_text(xmlview_url(f->req, strbuf_peek(&p))));
    json_object_set_new(e, "title", xmlview_text(d.title));
    xmlview_time(t, ts);
    json_object_set_new(e, "updated", json_string(ts));
    json_object_set_new(e, "language", xmlview_text(d.language));
    json_object_set_new(e, "summary", xmlview_text(d.description));
    json_object_set_new(e, "publisher", xmlview_text(d.collection_title));
    strbuf_reset(&p);
    render_doc_url(&p, "", d.collection, d.path, NULL);
    link_add(f, links, OPDS_ACQUIRE, strbuf_peek(&p), "text/html");
    link_add(f, links, "alternate", strbuf_peek(&p), "text/html");
    json_object_set_new(e, "links", links);
    json_array_append_new(f->entries, e);
    strbuf_free(&p);
    document_free(&d);
    return 0;
}

/* The ?page= argument: a whole number from 1, else 1. */
static long
page_arg(struct req *req)
{
    const char *s = req_arg(req, "page");
    char *end;
    long n;

    if (s == NULL || *s == '\0') {
        return 1;
    }
    errno = 0;
    n = strtol(s, &end, 10);
    return errno == 0 && *end == '\0' && n >= 1 && n <= INT_MAX / OPDS_PAGE ? n
                                                                            : 1;
}

/* The paging of a feed of `total` entries at page `page`: the
 * OpenSearch counts and the first/previous/next/last links, whose URLs
 * are `path` followed by `query` ("?q=..&" or "?") and page=N. */
static void
paging(struct opds *f, const char *path, const char *query, long page,
       long long total, const char *kind)
{
    long last = total > 0 ? (long)((total + OPDS_PAGE - 1) / OPDS_PAGE) : 1;
    struct strbuf u = STRBUF_INIT;
    struct {
        const char *rel;
        long page;
        int show;
    } rels[] = {{"first", 1, 1},
                {"previous", page - 1, page > 1},
                {"next", page + 1, page < last},
                {"last", last, 1}};
    size_t i;

    for (i = 0; i < sizeof(rels) / sizeof(rels[0]); i++) {
        if (!rels[i].show) {
            continue;
        }
        strbuf_reset(&u);
        strbuf_printf(&u, "%s%spage=%ld", path, query, rels[i].page);
        link_add(f, f->links, rels[i].rel, strbuf_peek(&u), kind);
    }
    strbuf_free(&u);
    json_object_set_new(f->m, "paged",
                        json_pack("{s:I, s:i, s:I}", "total", (json_int_t)total,
                                  "per_page", OPDS_PAGE, "start",
                                  (json_int_t)(page - 1) * OPDS_PAGE + 1));
}

/* ---- /opds/c/NAME: a collection's documents ---- */

/* collect_id's context: the ids of a listing. */
struct ids {
    int64_t id[OPDS_PAGE];
    size_t n;
};

static void
collect_id(void *ctx, const struct document *d)
{
    struct ids *ids = ctx;

    if (ids->n < OPDS_PAGE) {
        ids->id[ids->n++] = d->id;
    }
}

/* Add the entries of ids; 0 or -1. */
static int
acq_entries(struct opds *f, const struct ids *ids)
{
    size_t i;

    for (i = 0; i < ids->n; i++) {
        if (acq_entry(f, ids->id[i]) < 0) {
            return -1;
        }
    }
    return 0;
}

/* GET /opds/c/NAME?page=N: the acquisition feed of a collection's
 * published documents, newest first, 50 a page; 404 for an unknown
 * collection or a page past the last. */
int
page_opds_collection_get(struct req *req, json_t **model)
{
    struct document_filter flt = {0, NULL, NULL, NULL};
    struct document_coll coll = {0, NULL, NULL, NULL, NULL, NULL};
    struct opds f;
    struct ids ids = {{0}, 0};
    struct strbuf q = STRBUF_INIT;
    const char *name = req->captures[0], *title = NULL;
    long page = page_arg(req);
    int64_t total = 0;
    int rc;

    rc = document_coll_find(req->db, name, req->arena, &coll);
    flt.collection_id = coll.id;
    title = coll.title;
    if (rc <= 0) {
        *model = NULL;
        return rc < 0 ? 500 : 404;
    }
    if (page > 1) {
        strbuf_printf(&q, "?page=%ld", page);
    }
    feed_start(&f, req, title, strbuf_peek(&q), OPDS_ACQ, model);
    strbuf_free(&q);
    link_add(&f, f.links, "up", "/opds/", OPDS_NAV);
    if (document_count_collection(req->db, &flt, &total) < 0 ||
        document_list_collection(req->db, &flt, 1, OPDS_PAGE,
                                 (int64_t)(page - 1) * OPDS_PAGE, collect_id,
                                 &ids) < 0) {
        return 500;
    }
    if (page > 1 && ids.n == 0) {
        return 404;
    }
    if (acq_entries(&f, &ids) < 0) {
        return 500;
    }
    paging(&f, req->path, "?", page, total, OPDS_ACQ);
    return feed_finish(&f, OPDS_ACQ);
}

/* ---- search ---- */

/* GET /opds/search.xml: the OpenSearch description of the OPDS search. */
int
page_opds_opensearch_get(struct req *req, json_t **model)
{
    *model = json_object();
    json_object_set_new(*model, "template",
                        xmlview_text(xmlview_url(req, "/opds/search")));
    return xmlview_render(
        req, "opds/opensearch.xml", *model,
        "application/opensearchdescription+xml; charset=utf-8", OPDS_CACHE);
}

/* GET /opds/search?q=&page=: the search's results (as /search ranks
 * them, 50 a page) as an acquisition feed.  No q: an empty feed.  A
 * search over its budget is 503 with Retry-After, as on /search. */
int
page_opds_search_get(struct req *req, json_t **model)
{
    struct search_params p;
    struct opds f;
    struct ids ids = {{0}, 0};
    struct strbuf q = STRBUF_INIT, self = STRBUF_INIT;
    json_t *res = NULL, *r;
    const char *query = req_arg(req, "q");
    long page = page_arg(req);
    size_t i;
    int rc;

    memset(&p, 0, sizeof(p));
    p.q = query != NULL ? query : "";
    p.page = (int)page;
    p.per_page = OPDS_PAGE;
    if (searchcache_run(req->app->searchcache, req->db, &p, req->app->base,
                        &res, NULL) < 0) {
        *model = NULL;
        if (db_deadline_passed(req->db)) {
            resp_header(req, RESP_RETRY_AFTER, "2");
            return 503;
        }
        return 500;
    }
    /* The query and page as search read them (cut to their limits). */
    query = json_string_value(json_object_get(res, "query"));
    if (query == NULL) {
        query = "";
    }
    if (json_is_integer(json_object_get(res, "page"))) {
        page = (long)json_integer_value(json_object_get(res, "page"));
    }
    strbuf_puts(&q, "?q=");
    url_encode(&q, query, strlen(query));
    strbuf_putc(&q, '&');
    /* self: the query, and the page when it is not the first */
    strbuf_printf(&self, "%.*s", (int)(strlen(strbuf_peek(&q)) - 1),
                  strbuf_peek(&q));
    if (page > 1) {
        strbuf_printf(&self, "&page=%ld", page);
    }
    feed_start(&f, req, NULL, strbuf_peek(&self), OPDS_ACQ, model);
    /* the view titles it "Search: QUERY" in the reader's language */
    json_object_set_new(f.m, "search",
                        json_pack("{s:o}", "query", xmlview_text(query)));
    json_array_foreach(json_object_get(res, "results"), i, r)
    {
        json_t *id = json_object_get(r, "id");

        if (json_is_integer(id) && ids.n < OPDS_PAGE) {
            ids.id[ids.n++] = json_integer_value(id);
        }
    }
    rc = acq_entries(&f, &ids);
    if (rc == 0) {
        paging(&f, req->path, strbuf_peek(&q), page,
               json_integer_value(json_object_get(res, "total")), OPDS_ACQ);
    }
    json_decref(res);
    strbuf_free(&q);
    strbuf_free(&self);
    return rc < 0 ? 500 : feed_finish(&f, OPDS_ACQ);
}
