/*
 * page_doc: collections, documents, their assets and attachments, and the
 * JSON API for them.  Layer: server/; depends on lib/ (document, render),
 * never on MHD.  Readers only ever see published documents.
 *
 * A document page is rendered once per UI language and stored
 * (lib/rendition.h) with its gzip form and a strong ETag.  Its route is
 * ROUTE_RENDITION: page_document_key names the document, and the router
 * (server/finish.c) answers from the stored bytes, or a 304 from the
 * ETag alone, before page_document_get runs; the page only builds the
 * model when nothing is stored.  Publishing a document invalidates the
 * renditions that link to it (lib/render.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "document.h"
#include "html.h"
#include "log.h"
#include "pages.h"
#include "render.h"
#include "strbuf.h"

/* What mirrored bytes are served under: no script, no plugin, no frame,
 * forms only back to us (the portal's search box). */
static const char sandbox_csp[] =
    "sandbox allow-forms allow-popups; default-src 'none'; "
    "img-src 'self' data:; style-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

#define COLL_PER_PAGE 50

/* "/base/c/NAME/PATH" (path NULL: the collection's root) in the arena. */
static const char *
doc_path_url(struct req *req, const char *name, const char *path)
{
    struct strbuf u = STRBUF_INIT;
    const char *s;

    render_doc_url(&u, req->app->base, name, path, NULL);
    s = arena_strdup(req->arena, strbuf_peek(&u));
    strbuf_free(&u);
    return s;
}

/* A Unix time as a JSON integer, JSON null for none. */
static json_t *
time_or_null(int64_t at)
{
    return at == DOCUMENT_NO_TIME ? json_null() : json_integer(at);
}

/* A Unix time, 0 for none (what a NULL column read as an integer gave). */
static int64_t
time_or_zero(int64_t at)
{
    return at == DOCUMENT_NO_TIME ? 0 : at;
}

/* A positive integer argument within [1, max], or def. */
static long
int_arg(struct req *req, const char *name, long def, long max)
{
    const char *v = req_arg(req, name);
    char *end;
    long n;

    if (v == NULL || *v == '\0') {
        return def;
    }
    n = strtol(v, &end, 10);
    if (*end != '\0' || n < 1 || n > max) {
        return def;
    }
    return n;
}

/* collection_add's context. */
struct coll_list {
    struct req *req;
    json_t *list;
};

static void
collection_add(void *ctx, const struct document_collection *dc)
{
    struct coll_list *cl = ctx;
    const char *langs = dc->languages;
    json_t *c = json_object(), *l = json_array();

    json_object_set_new(c, "name", json_string(dc->name));
    json_object_set_new(c, "title", json_pack("s?", dc->title));
    json_object_set_new(c, "documents", json_integer(dc->documents));
    while (langs != NULL && *langs != '\0') {
        const char *comma = strchr(langs, ',');
        size_t n = comma ? (size_t)(comma - langs) : strlen(langs);

        json_array_append_new(l, json_stringn(langs, n));
        langs = comma ? comma + 1 : NULL;
    }
    json_object_set_new(c, "languages", l);
    json_object_set_new(c, "updated_at", time_or_null(dc->updated_at));
    json_object_set_new(c, "url",
                        json_string(doc_path_url(cl->req, dc->name, NULL)));
    json_array_append_new(cl->list, c);
}

/* [{"name", "title", "documents", "languages", "updated_at", "url"}] of
 * collections with published documents counted. */
static int
collections_list(struct req *req, json_t **out)
{
    struct coll_list cl = {req, json_array()};

    *out = cl.list;
    return document_collections(req->db, 1000, collection_add, &cl);
}

/* GET /c/: every collection with its published document count. */
int
page_collections_get(struct req *req, json_t **model)
{
    json_t *list;
    int rc = collections_list(req, &list);

    *model = json_object();
    json_object_set_new(*model, "collections", list);
    json_object_set_new(*model, "has_collections",
                        json_boolean(json_array_size(list) > 0));
    return rc < 0 ? 500 : 200;
}

/* GET /api/collections: the same list as JSON. */
int
page_api_collections_get(struct req *req, json_t **model)
{
    json_t *list;
    size_t i;
    int rc = collections_list(req, &list);

    for (i = 0; i < json_array_size(list); i++) {
        json_object_del(json_array_get(list, i), "url");
    }
    *model = list;
    return rc < 0 ? 500 : 200;
}

/* GET /c/NAME: to /c/NAME/ so the mirrored relative links work. */
int
page_collection_slash_get(struct req *req, json_t **model)
{
    (void)model;
    resp_header(req, RESP_CACHE_CONTROL, "public, max-age=86400");
    return resp_redirect(
        req, 301,
        arena_strdup(req->arena, doc_path_url(req, req->captures[0], NULL)));
}

/* collection_doc_add's and facet_add's context. */
struct coll_page {
    struct req *req;
    const struct document_coll *c;
    int api;
    json_t *arr;
    const char *param; /* facet_add: the filter's argument name */
};

static void
collection_doc_add(void *ctx, const struct document *doc)
{
    struct coll_page *cp = ctx;
    json_t *d = json_object();

    json_object_set_new(d, "id", json_integer(doc->id));
    json_object_set_new(d, "path", json_string(doc->path));
    json_object_set_new(
        d, "url", json_string(doc_path_url(cp->req, cp->c->name, doc->path)));
    json_object_set_new(d, "title", json_pack("s?", doc->title));
    json_object_set_new(d, "language", json_pack("s?", doc->language));
    json_object_set_new(d, cp->api ? "published_at" : "published",
                        cp->api ? json_integer(time_or_zero(doc->published_at))
                                : document_json_day(doc->published_at));
    json_array_append_new(cp->arr, d);
}

static void
facet_add(void *ctx, const char *v, int64_t n)
{
    struct coll_page *cp = ctx;
    json_t *o;

    if (v == NULL) {
        return;
    }
    o = json_object();
    json_object_set_new(o, "value", json_string(v));
    json_object_set_new(o, "count", json_integer(n));
    if (!cp->api) {
        struct strbuf u = STRBUF_INIT;

        strbuf_puts(&u, doc_path_url(cp->req, cp->c->name, NULL));
        strbuf_printf(&u, "?%s=", cp->param);
        url_encode(&u, v, strlen(v));
        json_object_set_new(o, "url", json_string(strbuf_peek(&u)));
        strbuf_free(&u);
    }
    json_array_append_new(cp->arr, o);
}

/* The documents of one collection, one page of them, with facets.
 * Filters: lang, year, tag; sort: title (default) or date. */
static int
collection_model(struct req *req, const struct document_coll *c, int api,
                 json_t **out)
{
    static const enum document_facet facet[3] = {
        DOCUMENT_FACET_LANGUAGE, DOCUMENT_FACET_YEAR, DOCUMENT_FACET_TAG};
    static const char *const fname[3] = {"languages", "years", "tags"};
    static const char *const param[3] = {"lang_filter", "year", "tag"};
    const char *sort = req_arg(req, "sort");
    struct document_filter f = {c->id, req_arg(req, "lang_filter"),
                                req_arg(req, "year"), req_arg(req, "tag")};
    int by_date_sort = sort != NULL && strcmp(sort, "date") == 0;
    long page = int_arg(req, "page", 1, 100000);
    json_t *m = json_object(), *docs = json_array(), *coll = json_object();
    json_t *facets = json_object();
    struct coll_page cp = {req, c, api, docs, NULL};
    int64_t total = 0;
    int i;

    *out = m;
    json_object_set_new(coll, "name", json_string(c->name));
    json_object_set_new(coll, "title", json_string(c->title));
    json_object_set_new(coll, "description", json_string(c->description));
    json_object_set_new(m, "collection", coll);
    json_object_set_new(m, "documents", docs);
    /* A count that fails shows 0, as it always did. */
    (void)document_count_collection(req->db, &f, &total);
    if (document_list_collection(req->db, &f, by_date_sort, COLL_PER_PAGE,
                                 (page - 1) * COLL_PER_PAGE, collection_doc_add,
                                 &cp) < 0) {
        json_decref(facets);
        return -1;
    }
    json_object_set_new(m, "total", json_integer(total));
    json_object_set_new(m, "page", json_integer(page));
    json_object_set_new(m, "per_page", json_integer(COLL_PER_PAGE));
    for (i = 0; i < 3; i++) {
        cp.arr = json_array();
        cp.param = param[i];
        /* A facet that fails shows what it had, as it always did. */
        (void)document_facet(req->db, c->id, facet[i], facet_add, &cp);
        json_object_set_new(facets, fname[i], cp.arr);
    }
    json_object_set_new(m, "facets", facets);
    if (!api) {
        struct strbuf u = STRBUF_INIT;
        const char *self = doc_path_url(req, c->name, NULL);

        json_object_set_new(m, "title", json_string(c->title));
        json_object_set_new(m, "has_documents",
                            json_boolean(json_array_size(docs) > 0));
        json_object_set_new(m, "sorted_by_date", json_boolean(by_date_sort));
        strbuf_printf(&u, "%s?sort=title", self);
        json_object_set_new(m, "sort_title_url", json_string(strbuf_peek(&u)));
        strbuf_reset(&u);
        strbuf_printf(&u, "%s?sort=date", self);
        json_object_set_new(m, "sort_date_url", json_string(strbuf_peek(&u)));
        if (page > 1) {
            strbuf_reset(&u);
            strbuf_printf(&u, "%s?sort=%s&page=%ld", self,
                          by_date_sort ? "date" : "title", page - 1);
            json_object_set_new(m, "prev_url", json_string(strbuf_peek(&u)));
        }
        if (page * COLL_PER_PAGE < total) {
            strbuf_reset(&u);
            strbuf_printf(&u, "%s?sort=%s&page=%ld", self,
                          by_date_sort ? "date" : "title", page + 1);
            json_object_set_new(m, "next_url", json_string(strbuf_peek(&u)));
        }
        strbuf_free(&u);
    }
    return 0;
}

/* GET /c/NAME/?sort=title|date&page=N&lang_filter=&year=&tag=: the
 * collection's published documents, 50 a page, with facets. */
int
page_collection_get(struct req *req, json_t **model)
{
    struct document_coll c;
    int rc = document_coll_find(req->db, req->captures[0], req->arena, &c);

    if (rc <= 0) {
        return rc < 0 ? 500 : 404;
    }
    return collection_model(req, &c, 0, model) < 0 ? 500 : 200;
}

/* GET /api/collections/NAME?page=N: the same as JSON. */
int
page_api_collection_get(struct req *req, json_t **model)
{
    struct document_coll c;
    int rc = document_coll_find(req->db, req->captures[0], req->arena, &c);

    if (rc <= 0) {
        return rc < 0 ? 500 : 404;
    }
    return collection_model(req, &c, 1, model) < 0 ? 500 : 200;
}

/* Serve an asset or attachment of collection c at path (raw bytes, with
 * Range support).  Returns the status, 0 when there is no such asset. */
static int
serve_asset(struct req *req, const struct document_coll *c, const char *path)
{
    static const char sql[] =
        "SELECT a.content_type, a.filename, a.document_id, a.blob_sha256,"
        " b.data FROM asset a JOIN blob b ON b.sha256 = a.blob_sha256"
        " WHERE a.collection_id = :c AND a.path = :p";
    sqlite3_stmt *st = db_stmt(req->db, sql);
    char etag[32];
    char *body;
    size_t len;
    int rc;

    if (st == NULL) {
        return 500;
    }
    db_bind_int64(st, ":c", c->id);
    db_bind_text(st, ":p", path);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : 500;
    }
    snprintf(etag, sizeof(etag), "\"%.20s\"",
             (const char *)sqlite3_column_text(st, 3));
    len = (size_t)sqlite3_column_bytes(st, 4);
    body = kw_malloc(len + 1);
    if (body == NULL) {
        sqlite3_reset(st);
        return 500;
    }
    if (len > 0) {
        memcpy(body, sqlite3_column_blob(st, 4), len);
    }
    resp_bytes_new(
        req, arena_strdup(req->arena, (const char *)sqlite3_column_text(st, 0)),
        body, len);
    resp_etag(req, etag);
    resp_ranges(req);
    resp_header(req, RESP_CSP, sandbox_csp);
    resp_header(req, RESP_CACHE_CONTROL, "public, no-cache");
    if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
        /* An attachment (the original PDF): download, under an ASCII
         * fallback name plus the exact UTF-8 one. */
        const char *fn = (const char *)sqlite3_column_text(st, 1);
        struct strbuf d = STRBUF_INIT;
        size_t i;

        strbuf_puts(&d, "attachment; filename=\"");
        for (i = 0; fn != NULL && fn[i] != '\0'; i++) {
            unsigned char ch = (unsigned char)fn[i];

            strbuf_putc(&d, ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\'
                                ? ch
                                : '_');
        }
        strbuf_puts(&d, "\"; filename*=UTF-8''");
        if (fn != NULL) {
            url_encode(&d, fn, strlen(fn));
        }
        resp_header(req, RESP_DISPOSITION,
                    arena_strdup(req->arena, strbuf_peek(&d)));
        strbuf_free(&d);
    }
    sqlite3_reset(st);
    return 200;
}

/* Neighbour of path in the collection, by path order. */
static json_t *
neighbour(struct req *req, const struct document_coll *c, const char *path,
          int next)
{
    struct document d;
    json_t *o;

    /* None, or a read that failed: no link. */
    if (document_neighbour(req->db, c->id, path, next, &d) != 1) {
        return NULL;
    }
    o = json_object();
    json_object_set_new(o, "url",
                        json_string(doc_path_url(req, c->name, d.path)));
    json_object_set_new(o, "title", json_pack("s?", d.title));
    document_free(&d);
    return o;
}

/* The model of one published document: metadata, provenance, bound body,
 * attachments.  api adds links and raw fields.  NULL on error. */
static json_t *
document_model(struct req *req, int64_t id, const struct document_coll *cin,
               int api)
{
    static const char att[] =
        "SELECT a.path, a.filename, b.size FROM asset a"
        " JOIN blob b ON b.sha256 = a.blob_sha256 WHERE a.document_id = :id";
    static const char links[] =
        "SELECT target_url, is_image FROM link WHERE document_id = :id"
        " ORDER BY target_url LIMIT 5000";
    sqlite3_stmt *st;
    json_t *m, *prov, *atts, *meta;
    struct strbuf body = STRBUF_INIT;
    struct document d;
    struct document_coll c;
    const char *path;
    int rc;

    if (document_get(req->db, id, DOCUMENT_BODY_HTML, &d) != 1) {
        return NULL;
    }
    if (strcmp(d.status, DOC_PUBLISHED) != 0) {
        document_free(&d);
        return NULL;
    }
    m = json_object();
    c.id = d.collection_id;
    c.name = arena_strdup(req->arena, d.collection);
    c.title = arena_strdup(req->arena, d.collection_title);
    c.description = "";
    (void)cin;
    path = arena_strdup(req->arena, d.path);
    rc = render_bind_links(req->db, d.body_html, req->app->base, &body);
    json_object_set_new(m, "id", json_integer(id));
    json_object_set_new(m, "title", json_pack("s?", d.title));
    json_object_set_new(m, "language", json_pack("s?", d.language));
    json_object_set_new(m, "authors", json_pack("s?", d.authors));
    json_object_set_new(m, "date", json_pack("s?", d.doc_date));
    json_object_set_new(m, "description", json_pack("s?", d.description));
    json_object_set_new(m, "path", json_string(path));
    json_object_set_new(m, "url", json_string(doc_path_url(req, c.name, path)));
    json_object_set_new(m, "body_html",
                        json_string(rc == 0 ? strbuf_peek(&body) : ""));
    strbuf_free(&body);
    prov = json_object();
    json_object_set_new(prov, "source_url", json_pack("s?", d.source_url));
    json_object_set_new(prov, "orig_sha256", json_pack("s?", d.orig_sha256));
    json_object_set_new(prov, "body_sha256", json_pack("s?", d.body_sha256));
    json_object_set_new(prov, "version", json_integer(d.version));
    json_object_set_new(prov, "batch", json_integer(d.batch_id));
    json_object_set_new(prov, "approved_by", json_pack("s?", d.decided_by));
    if (api) {
        json_t *raw = json_loads(d.metadata, 0, NULL);

        json_object_set_new(prov, "retrieved_at", time_or_null(d.retrieved_at));
        json_object_set_new(prov, "ingested_at",
                            json_integer(time_or_zero(d.ingested_at)));
        json_object_set_new(prov, "approved_at", time_or_null(d.decided_at));
        meta = raw != NULL ? raw : json_object();
        json_object_set_new(m, "metadata", meta);
        json_object_set_new(m, "published_at",
                            json_integer(time_or_zero(d.published_at)));
        json_object_set_new(m, "collection", json_string(c.name));
    } else {
        json_object_set_new(prov, "retrieved",
                            document_json_day(d.retrieved_at));
        json_object_set_new(prov, "ingested", document_json_day(d.ingested_at));
        json_object_set_new(prov, "approved", document_json_day(d.decided_at));
    }
    json_object_set_new(m, "provenance", prov);
    json_object_set_new(m, "content_type", json_pack("s?", d.content_type));
    document_free(&d);

    atts = json_array();
    st = db_stmt(req->db, att);
    if (st != NULL) {
        db_bind_int64(st, ":id", id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            json_t *a = json_object();
            struct strbuf u = STRBUF_INIT;

            strbuf_puts(&u,
                        doc_path_url(req, c.name,
                                     (const char *)sqlite3_column_text(st, 0)));
            strbuf_puts(&u, "?raw=1");
            json_object_set_new(a, "name", db_column_json(st, 1));
            json_object_set_new(a, "url", json_string(strbuf_peek(&u)));
            json_object_set_new(a, "size",
                                json_integer(sqlite3_column_int64(st, 2)));
            json_array_append_new(atts, a);
            strbuf_free(&u);
        }
        sqlite3_reset(st);
    }
    json_object_set_new(m, "attachments", atts);
    json_object_set_new(m, "has_attachments",
                        json_boolean(json_array_size(atts) > 0));
    if (api) {
        json_t *ls = json_array();

        st = db_stmt(req->db, links);
        if (st != NULL) {
            db_bind_int64(st, ":id", id);
            while (sqlite3_step(st) == SQLITE_ROW) {
                json_array_append_new(
                    ls, json_pack("{s:s,s:b}", "url",
                                  (const char *)sqlite3_column_text(st, 0),
                                  "image", sqlite3_column_int(st, 1)));
            }
            sqlite3_reset(st);
        }
        json_object_set_new(m, "links", ls);
    } else {
        json_t *coll = json_object(), *p, *n;

        json_object_set_new(coll, "name", json_string(c.name));
        json_object_set_new(coll, "title", json_string(c.title));
        json_object_set_new(coll, "url",
                            json_string(doc_path_url(req, c.name, NULL)));
        json_object_set_new(m, "collection", coll);
        p = neighbour(req, &c, path, 0);
        n = neighbour(req, &c, path, 1);
        if (p != NULL) {
            json_object_set_new(m, "prev", p);
        }
        if (n != NULL) {
            json_object_set_new(m, "next", n);
        }
    }
    return m;
}

/* A withdrawn or never-published path: 410 with the tombstone, 0 when
 * nothing was ever published there. */
static int
tombstone(struct req *req, const struct document_coll *c, const char *path,
          json_t **model)
{
    struct document d;
    struct strbuf msg = STRBUF_INIT;
    time_t t;
    struct tm tm;
    char date[16];
    int rc = document_latest(req->db, c->id, path, DOC_WITHDRAWN, &d);

    if (rc <= 0) {
        return rc < 0 ? 500 : 0;
    }
    t = (time_t)time_or_zero(d.decided_at);
    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%Y-%m-%d", &tm);
    strbuf_printf(&msg, "%s (%s)%s%s", d.title, date, d.reason ? ": " : "",
                  d.reason ? d.reason : "");
    *model = json_pack("{s:s}", "message", strbuf_peek(&msg));
    strbuf_free(&msg);
    document_free(&d);
    return 410;
}

/* The stored rendition a GET /c/NAME/PATH answers with (the route's key,
 * ROUTE_RENDITION): the published document at PATH, unless ?raw=1 asks
 * for the tree's asset there.  1 with *doc set (and the answer's
 * sandbox policy and no-cache), 0 when PATH is no published document, -1
 * on error. */
int
page_document_key(struct req *req, int64_t *doc)
{
    struct document_coll c;
    int rc;

    *doc = 0;
    if (req_arg(req, "raw") != NULL) {
        return 0;
    }
    rc = document_coll_find(req->db, req->captures[0], req->arena, &c);
    if (rc <= 0) {
        return rc; /* no such collection: the page answers 404 */
    }
    rc = document_published_id(req->db, c.id, req->captures[1], doc);
    if (rc <= 0) {
        return rc;
    }
    resp_header(req, RESP_CSP, sandbox_csp);
    resp_header(req, RESP_CACHE_CONTROL, "no-cache");
    return 1;
}

/* GET /c/NAME/PATH[?raw=1]: the published document at PATH (the router
 * answers from its stored rendition, or renders this model and stores
 * it), else the tree's asset at PATH (images, stylesheets, attachments
 * with ?raw=1), 410 for a withdrawn document, 301 to the target of an
 * alias at PATH (a ZIM redirect) when it is published, else 404. */
int
page_document_get(struct req *req, json_t **model)
{
    const char *path = req->captures[1];
    struct document_coll c;
    int rc;

    if (req->rendition_doc != 0) {
        *model = document_model(req, req->rendition_doc, NULL, 0);
        return *model != NULL ? 200 : 500;
    }
    rc = document_coll_find(req->db, req->captures[0], req->arena, &c);
    if (rc <= 0) {
        return rc < 0 ? 500 : 404;
    }
    rc = serve_asset(req, &c, path);
    if (rc != 0) {
        return rc;
    }
    rc = tombstone(req, &c, path, model);
    if (rc != 0) {
        return rc;
    }
    /* An old path kept as an alias (a ZIM redirect) moves to its target. */
    {
        char *target = NULL;

        rc = document_alias_published(req->db, c.id, path, &target);
        if (rc == 1) {
            const char *to = doc_path_url(req, c.name, target);

            if (to != NULL) {
                resp_redirect(req, 301, to);
            } else {
                rc = -1;
            }
        }
        kw_free(target);
        if (rc != 0) {
            return rc == 1 ? 301 : 500;
        }
    }
    return 404;
}

/* GET /d/ID: 301 to the document's canonical /c/NAME/PATH (the published
 * version of its path, also for an older version's id). */
int
page_doc_id_get(struct req *req, json_t **model)
{
    char *end;
    long long id = strtoll(req->captures[0], &end, 10);
    struct document d;
    int64_t published;
    int rc;

    (void)model;
    if (*end != '\0' || id <= 0) {
        return 404;
    }
    rc = document_get(req->db, id, 0, &d);
    if (rc <= 0) {
        return rc < 0 ? 500 : 404;
    }
    /* The published version shares the collection and the path. */
    rc = document_published_id(req->db, d.collection_id, d.path, &published);
    if (rc == 1) {
        resp_redirect(req, 301, doc_path_url(req, d.collection, d.path));
    }
    document_free(&d);
    return rc == 1 ? 301 : rc == 0 ? 404 : 500;
}

/* GET /api/documents/ID: id, collection, path, url, title, language,
 * metadata, provenance, body_html (links bound), links. */
int
page_api_document_get(struct req *req, json_t **model)
{
    char *end;
    long long id = strtoll(req->captures[0], &end, 10);

    if (*end != '\0' || id <= 0) {
        return 404;
    }
    *model = document_model(req, id, NULL, 1);
    return *model != NULL ? 200 : 404;
}

/* GET /random: 302 to a published document picked at random (a random
 * id, then the next published one: no table scan). */
int
page_random_get(struct req *req, json_t **model)
{
    struct document d;
    int rc = document_random(req->db, &d);

    (void)model;
    if (rc < 0) {
        return 500;
    }
    resp_redirect(req, 302,
                  rc == 1 ? doc_path_url(req, d.collection, d.path)
                          : req_url(req, "/"));
    if (rc == 1) {
        document_free(&d);
    }
    return 302;
}
