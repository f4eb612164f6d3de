/*
 * page_doc: collections, documents, their assets and attachments, and the
 * JSON API for them.  Layer: server/; depends on lib/ (db, render, gz),
 * never on MHD.  Readers only ever see published documents.
 *
 * A document page is rendered once per UI language and stored (table
 * rendition) with its gzip form and a strong ETag; a request answers from
 * the stored bytes, and a 304 needs only the ETag row.  Publishing a
 * document invalidates the renditions that link to it (lib/render.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "gz.h"
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

static json_t *
date_or_null(sqlite3_stmt *st, int col)
{
    time_t t;
    struct tm tm;
    char buf[16];

    if (sqlite3_column_type(st, col) == SQLITE_NULL) {
        return json_null();
    }
    t = (time_t)sqlite3_column_int64(st, col);
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
    return json_string(buf);
}

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

struct coll {
    int64_t id;
    const char *name;
    const char *title;
    const char *description;
};

/* Look up a collection by name into c (arena strings).  1 found, 0 not,
 * -1 on error. */
static int
coll_find(struct req *req, const char *name, struct coll *c)
{
    static const char sql[] = "SELECT id, name, title, description"
                              " FROM collection WHERE name = :n";
    sqlite3_stmt *st = db_stmt(req->db, sql);
    int rc;

    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":n", name);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        c->id = sqlite3_column_int64(st, 0);
        c->name =
            arena_strdup(req->arena, (const char *)sqlite3_column_text(st, 1));
        c->title =
            arena_strdup(req->arena, (const char *)sqlite3_column_text(st, 2));
        c->description =
            arena_strdup(req->arena, (const char *)sqlite3_column_text(st, 3));
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* [{"name", "title", "documents", "languages", "updated_at", "url"}] of
 * collections with published documents counted. */
static int
collections_list(struct req *req, json_t **out)
{
    static const char sql[] =
        "SELECT c.name, c.title, count(d.id),"
        " group_concat(DISTINCT d.language), max(d.published_at)"
        " FROM collection c LEFT JOIN document d ON d.collection_id = c.id"
        " AND d.status = 'published' GROUP BY c.id ORDER BY c.title"
        " LIMIT 1000";
    sqlite3_stmt *st = db_stmt(req->db, sql);
    json_t *a = json_array();
    int rc;

    *out = a;
    if (st == NULL) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *langs = (const char *)sqlite3_column_text(st, 3);
        json_t *c = json_object(), *l = json_array();

        json_object_set_new(c, "name", json_string(name));
        json_object_set_new(c, "title", db_column_json(st, 1));
        json_object_set_new(c, "documents",
                            json_integer(sqlite3_column_int64(st, 2)));
        while (langs != NULL && *langs != '\0') {
            const char *comma = strchr(langs, ',');
            size_t n = comma ? (size_t)(comma - langs) : strlen(langs);

            json_array_append_new(l, json_stringn(langs, n));
            langs = comma ? comma + 1 : NULL;
        }
        json_object_set_new(c, "languages", l);
        json_object_set_new(c, "updated_at",
                            sqlite3_column_type(st, 4) == SQLITE_NULL
                                ? json_null()
                                : json_integer(sqlite3_column_int64(st, 4)));
        json_object_set_new(c, "url",
                            json_string(doc_path_url(req, name, NULL)));
        json_array_append_new(a, c);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
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
    req->resp.location =
        arena_strdup(req->arena, doc_path_url(req, req->captures[0], NULL));
    req->resp.body = "";
    req->resp.cache_control = "public, max-age=86400";
    return 301;
}

/* The documents of one collection, one page of them, with facets.
 * Filters: lang, year, tag; sort: title (default) or date. */
static int
collection_model(struct req *req, const struct coll *c, int api, json_t **out)
{
    static const char by_title[] =
        "SELECT d.id, d.path, d.title, d.language, d.published_at"
        " FROM document d WHERE d.collection_id = :c"
        " AND d.status = 'published'"
        " AND (:lang IS NULL OR d.language = :lang)"
        " AND (:year IS NULL OR strftime('%Y', d.published_at, 'unixepoch')"
        " = :year) AND (:tag IS NULL OR EXISTS (SELECT 1 FROM document_tag"
        " dt JOIN tag t ON t.id = dt.tag_id WHERE dt.document_id = d.id"
        " AND t.name = :tag)) ORDER BY d.title_norm, d.id"
        " LIMIT :lim OFFSET :off";
    static const char by_date[] =
        "SELECT d.id, d.path, d.title, d.language, d.published_at"
        " FROM document d WHERE d.collection_id = :c"
        " AND d.status = 'published'"
        " AND (:lang IS NULL OR d.language = :lang)"
        " AND (:year IS NULL OR strftime('%Y', d.published_at, 'unixepoch')"
        " = :year) AND (:tag IS NULL OR EXISTS (SELECT 1 FROM document_tag"
        " dt JOIN tag t ON t.id = dt.tag_id WHERE dt.document_id = d.id"
        " AND t.name = :tag)) ORDER BY d.published_at DESC, d.id"
        " LIMIT :lim OFFSET :off";
    static const char count[] =
        "SELECT count(*) FROM document d WHERE d.collection_id = :c"
        " AND d.status = 'published'"
        " AND (:lang IS NULL OR d.language = :lang)"
        " AND (:year IS NULL OR strftime('%Y', d.published_at, 'unixepoch')"
        " = :year) AND (:tag IS NULL OR EXISTS (SELECT 1 FROM document_tag"
        " dt JOIN tag t ON t.id = dt.tag_id WHERE dt.document_id = d.id"
        " AND t.name = :tag))";
    static const char facet_lang[] =
        "SELECT language, count(*) FROM document WHERE collection_id = :c"
        " AND status = 'published' AND language IS NOT NULL"
        " GROUP BY language ORDER BY 2 DESC LIMIT 20";
    static const char facet_year[] =
        "SELECT strftime('%Y', published_at, 'unixepoch'), count(*)"
        " FROM document WHERE collection_id = :c AND status = 'published'"
        " GROUP BY 1 ORDER BY 1 DESC LIMIT 30";
    static const char facet_tag[] =
        "SELECT t.name, count(*) FROM document d JOIN document_tag dt"
        " ON dt.document_id = d.id JOIN tag t ON t.id = dt.tag_id"
        " WHERE d.collection_id = :c AND d.status = 'published'"
        " GROUP BY t.id ORDER BY 2 DESC, 1 LIMIT 30";
    const char *sort = req_arg(req, "sort");
    const char *lang = req_arg(req, "lang_filter");
    const char *year = req_arg(req, "year");
    const char *tag = req_arg(req, "tag");
    int by_date_sort = sort != NULL && strcmp(sort, "date") == 0;
    long page = int_arg(req, "page", 1, 100000);
    json_t *m = json_object(), *docs = json_array(), *coll = json_object();
    json_t *facets = json_object();
    sqlite3_stmt *st;
    int64_t total = 0;
    int rc;
    const char *fsql[3] = {facet_lang, facet_year, facet_tag};
    const char *fname[3] = {"languages", "years", "tags"};
    int f;

    *out = m;
    json_object_set_new(coll, "name", json_string(c->name));
    json_object_set_new(coll, "title", json_string(c->title));
    json_object_set_new(coll, "description", json_string(c->description));
    json_object_set_new(m, "collection", coll);
    json_object_set_new(m, "documents", docs);
    st = db_stmt(req->db, count);
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", c->id);
    db_bind_text(st, ":lang", lang);
    db_bind_text(st, ":year", year);
    db_bind_text(st, ":tag", tag);
    if (sqlite3_step(st) == SQLITE_ROW) {
        total = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    st = db_stmt(req->db, by_date_sort ? by_date : by_title);
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", c->id);
    db_bind_text(st, ":lang", lang);
    db_bind_text(st, ":year", year);
    db_bind_text(st, ":tag", tag);
    db_bind_int64(st, ":lim", COLL_PER_PAGE);
    db_bind_int64(st, ":off", (page - 1) * COLL_PER_PAGE);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *d = json_object();
        const char *path = (const char *)sqlite3_column_text(st, 1);

        json_object_set_new(d, "id", json_integer(sqlite3_column_int64(st, 0)));
        json_object_set_new(d, "path", json_string(path));
        json_object_set_new(d, "url",
                            json_string(doc_path_url(req, c->name, path)));
        json_object_set_new(d, "title", db_column_json(st, 2));
        json_object_set_new(d, "language", db_column_json(st, 3));
        json_object_set_new(d, api ? "published_at" : "published",
                            api ? json_integer(sqlite3_column_int64(st, 4))
                                : date_or_null(st, 4));
        json_array_append_new(docs, d);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        return -1;
    }
    json_object_set_new(m, "total", json_integer(total));
    json_object_set_new(m, "page", json_integer(page));
    json_object_set_new(m, "per_page", json_integer(COLL_PER_PAGE));
    for (f = 0; f < 3; f++) {
        json_t *arr = json_array();

        st = db_stmt(req->db, fsql[f]);
        if (st == NULL) {
            json_decref(arr);
            return -1;
        }
        db_bind_int64(st, ":c", c->id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *v = (const char *)sqlite3_column_text(st, 0);
            json_t *o = json_object();
            struct strbuf u = STRBUF_INIT;

            if (v == NULL) {
                json_decref(o);
                continue;
            }
            json_object_set_new(o, "value", json_string(v));
            json_object_set_new(o, "count",
                                json_integer(sqlite3_column_int64(st, 1)));
            if (!api) {
                static const char *const param[3] = {"lang_filter", "year",
                                                     "tag"};

                strbuf_puts(&u, doc_path_url(req, c->name, NULL));
                strbuf_printf(&u, "?%s=", param[f]);
                url_encode(&u, v, strlen(v));
                json_object_set_new(o, "url", json_string(strbuf_peek(&u)));
                strbuf_free(&u);
            }
            json_array_append_new(arr, o);
        }
        sqlite3_reset(st);
        json_object_set_new(facets, fname[f], arr);
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
    struct coll c;
    int rc = coll_find(req, req->captures[0], &c);

    if (rc <= 0) {
        return rc < 0 ? 500 : 404;
    }
    return collection_model(req, &c, 0, model) < 0 ? 500 : 200;
}

/* GET /api/collections/NAME?page=N: the same as JSON. */
int
page_api_collection_get(struct req *req, json_t **model)
{
    struct coll c;
    int rc = coll_find(req, req->captures[0], &c);

    if (rc <= 0) {
        return rc < 0 ? 500 : 404;
    }
    return collection_model(req, &c, 1, model) < 0 ? 500 : 200;
}

/* Serve an asset or attachment of collection c at path (raw bytes, with
 * Range support).  Returns the status, 0 when there is no such asset. */
static int
serve_asset(struct req *req, const struct coll *c, const char *path)
{
    static const char sql[] =
        "SELECT a.content_type, a.filename, a.document_id, a.blob_sha256,"
        " b.data FROM asset a JOIN blob b ON b.sha256 = a.blob_sha256"
        " WHERE a.collection_id = :c AND a.path = :p";
    sqlite3_stmt *st = db_stmt(req->db, sql);
    struct resp *r = &req->resp;
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
    snprintf(r->etag, sizeof(r->etag), "\"%.20s\"",
             (const char *)sqlite3_column_text(st, 3));
    r->ctype =
        arena_strdup(req->arena, (const char *)sqlite3_column_text(st, 0));
    r->len = (size_t)sqlite3_column_bytes(st, 4);
    r->owned = kw_malloc(r->len + 1);
    if (r->owned == NULL) {
        sqlite3_reset(st);
        return 500;
    }
    if (r->len > 0) {
        memcpy(r->owned, sqlite3_column_blob(st, 4), r->len);
    }
    r->body = r->owned;
    r->ranges = 1;
    r->csp = sandbox_csp;
    r->cache_control = "public, no-cache";
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
        r->disposition = arena_strdup(req->arena, strbuf_peek(&d));
        strbuf_free(&d);
    }
    sqlite3_reset(st);
    return 200;
}

/* Load a stored rendition (matching the current render id) into resp.
 * 1 served (200 or 304), 0 none stored, -1 error. */
static int
rendition_serve(struct req *req, int64_t doc)
{
    static const char head[] = "SELECT build_id, etag FROM rendition"
                               " WHERE document_id = :d AND lang = :l";
    static const char plain[] = "SELECT html FROM rendition"
                                " WHERE document_id = :d AND lang = :l";
    static const char gzsql[] = "SELECT coalesce(html_gz, html),"
                                " html_gz IS NOT NULL FROM rendition"
                                " WHERE document_id = :d AND lang = :l";
    const char *lang = i18n_langs[req->lang];
    struct resp *r = &req->resp;
    sqlite3_stmt *st = db_stmt(req->db, head);
    int rc, ok = 0;

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":d", doc);
    db_bind_text(st, ":l", lang);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0),
                                   req->app->render_id) == 0) {
        snprintf(r->etag, sizeof(r->etag), "%s",
                 (const char *)sqlite3_column_text(st, 1));
        ok = 1;
    }
    sqlite3_reset(st);
    if (!ok) {
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
    }
    /* If-None-Match is answered before any body is read. */
    {
        const char *inm = req_header(req, "If-None-Match");

        if (inm != NULL && strstr(inm, r->etag) != NULL) {
            r->status = 304;
            r->body = "";
            r->len = 0;
            return 1;
        }
    }
    st = db_stmt(req->db, req->accept_gzip ? gzsql : plain);
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":d", doc);
    db_bind_text(st, ":l", lang);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return 0;
    }
    r->len = (size_t)sqlite3_column_bytes(st, 0);
    r->owned = kw_malloc(r->len + 1);
    if (r->owned != NULL && r->len > 0) {
        memcpy(r->owned, sqlite3_column_blob(st, 0), r->len);
    }
    r->gzipped = req->accept_gzip && sqlite3_column_int(st, 1);
    sqlite3_reset(st);
    if (r->owned == NULL) {
        return -1;
    }
    r->body = r->owned;
    r->vary_encoding = 1;
    return 1;
}

/* Store a fresh rendition through the writer; failure only costs speed. */
static void
rendition_store(struct req *req, int64_t doc, const char *html, size_t len,
                const unsigned char *gz, size_t gzlen, const char *etag)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO rendition(document_id, lang, build_id,"
        " etag, html, html_gz, created_at) VALUES (:d, :l, :b, :e, :h, :g,"
        " :now)";
    struct db *w = req->app->wdb;
    sqlite3_stmt *st;

    if (w == NULL || db_write_begin(w) != SQLITE_OK) {
        return;
    }
    st = db_stmt(w, sql);
    if (st == NULL) {
        db_write_rollback(w);
        return;
    }
    db_bind_int64(st, ":d", doc);
    db_bind_text(st, ":l", i18n_langs[req->lang]);
    db_bind_text(st, ":b", req->app->render_id);
    db_bind_text(st, ":e", etag);
    db_bind_blob(st, ":h", html, len);
    if (gz != NULL) {
        db_bind_blob(st, ":g", gz, gzlen);
    } else {
        db_bind_null(st, ":g");
    }
    db_bind_int64(st, ":now", (int64_t)time(NULL));
    if (sqlite3_step(st) != SQLITE_DONE) {
        sqlite3_reset(st);
        db_write_rollback(w);
        LOG_WARN("rendition of %lld not stored: %s", (long long)doc,
                 db_errmsg(w));
        return;
    }
    sqlite3_reset(st);
    db_write_commit(w);
}

/* Neighbour of path in the collection, by path order. */
static json_t *
neighbour(struct req *req, const struct coll *c, const char *path, int next)
{
    static const char prev_sql[] =
        "SELECT path, title FROM document WHERE collection_id = :c"
        " AND status = 'published' AND path < :p ORDER BY path DESC LIMIT 1";
    static const char next_sql[] =
        "SELECT path, title FROM document WHERE collection_id = :c"
        " AND status = 'published' AND path > :p ORDER BY path LIMIT 1";
    sqlite3_stmt *st = db_stmt(req->db, next ? next_sql : prev_sql);
    json_t *o = NULL;

    if (st == NULL) {
        return NULL;
    }
    db_bind_int64(st, ":c", c->id);
    db_bind_text(st, ":p", path);
    if (sqlite3_step(st) == SQLITE_ROW) {
        o = json_object();
        json_object_set_new(
            o, "url",
            json_string(doc_path_url(
                req, c->name, (const char *)sqlite3_column_text(st, 0))));
        json_object_set_new(o, "title", db_column_json(st, 1));
    }
    sqlite3_reset(st);
    return o;
}

/* The model of one published document: metadata, provenance, bound body,
 * attachments.  api adds links and raw fields.  NULL on error. */
static json_t *
document_model(struct req *req, int64_t id, const struct coll *cin, int api)
{
    static const char sql[] =
        "SELECT d.path, d.title, d.language, d.authors, d.doc_date,"
        " d.description, d.body_html, d.source_url, d.retrieved_at,"
        " d.ingested_at, d.decided_at, d.decided_by, d.orig_sha256,"
        " d.body_sha256, d.version, d.batch_id, d.metadata, d.published_at,"
        " d.content_type, c.id, c.name, c.title"
        " FROM document d JOIN collection c ON c.id = d.collection_id"
        " WHERE d.id = :id AND d.status = 'published'";
    static const char att[] =
        "SELECT a.path, a.filename, b.size FROM asset a"
        " JOIN blob b ON b.sha256 = a.blob_sha256 WHERE a.document_id = :id";
    static const char links[] =
        "SELECT target_url, is_image FROM link WHERE document_id = :id"
        " ORDER BY target_url LIMIT 5000";
    sqlite3_stmt *st = db_stmt(req->db, sql);
    json_t *m, *prov, *atts, *meta;
    struct strbuf body = STRBUF_INIT;
    struct coll c;
    const char *path;
    int rc;

    if (st == NULL) {
        return NULL;
    }
    db_bind_int64(st, ":id", id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return NULL;
    }
    m = json_object();
    c.id = sqlite3_column_int64(st, 19);
    c.name =
        arena_strdup(req->arena, (const char *)sqlite3_column_text(st, 20));
    c.title =
        arena_strdup(req->arena, (const char *)sqlite3_column_text(st, 21));
    c.description = "";
    (void)cin;
    path = arena_strdup(req->arena, (const char *)sqlite3_column_text(st, 0));
    rc = render_bind_links(req->db, (const char *)sqlite3_column_text(st, 6),
                           req->app->base, &body);
    json_object_set_new(m, "id", json_integer(id));
    json_object_set_new(m, "title", db_column_json(st, 1));
    json_object_set_new(m, "language", db_column_json(st, 2));
    json_object_set_new(m, "authors", db_column_json(st, 3));
    json_object_set_new(m, "date", db_column_json(st, 4));
    json_object_set_new(m, "description", db_column_json(st, 5));
    json_object_set_new(m, "path", json_string(path));
    json_object_set_new(m, "url", json_string(doc_path_url(req, c.name, path)));
    json_object_set_new(m, "body_html",
                        json_string(rc == 0 ? strbuf_peek(&body) : ""));
    strbuf_free(&body);
    prov = json_object();
    json_object_set_new(prov, "source_url", db_column_json(st, 7));
    json_object_set_new(prov, "orig_sha256", db_column_json(st, 12));
    json_object_set_new(prov, "body_sha256", db_column_json(st, 13));
    json_object_set_new(prov, "version",
                        json_integer(sqlite3_column_int64(st, 14)));
    json_object_set_new(prov, "batch",
                        json_integer(sqlite3_column_int64(st, 15)));
    json_object_set_new(prov, "approved_by", db_column_json(st, 11));
    if (api) {
        json_t *raw =
            json_loads((const char *)sqlite3_column_text(st, 16), 0, NULL);

        json_object_set_new(prov, "retrieved_at",
                            sqlite3_column_type(st, 8) == SQLITE_NULL
                                ? json_null()
                                : json_integer(sqlite3_column_int64(st, 8)));
        json_object_set_new(prov, "ingested_at",
                            json_integer(sqlite3_column_int64(st, 9)));
        json_object_set_new(prov, "approved_at",
                            sqlite3_column_type(st, 10) == SQLITE_NULL
                                ? json_null()
                                : json_integer(sqlite3_column_int64(st, 10)));
        meta = raw != NULL ? raw : json_object();
        json_object_set_new(m, "metadata", meta);
        json_object_set_new(m, "published_at",
                            json_integer(sqlite3_column_int64(st, 17)));
        json_object_set_new(m, "collection", json_string(c.name));
    } else {
        json_object_set_new(prov, "retrieved", date_or_null(st, 8));
        json_object_set_new(prov, "ingested", date_or_null(st, 9));
        json_object_set_new(prov, "approved", date_or_null(st, 10));
    }
    json_object_set_new(m, "provenance", prov);
    json_object_set_new(m, "content_type", db_column_json(st, 18));
    sqlite3_reset(st);

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

/* Render, compress and store the page of document id, then serve it. */
static int
rendition_build(struct req *req, int64_t id, const struct coll *c)
{
    struct resp *r = &req->resp;
    json_t *m = document_model(req, id, c, 0);
    struct strbuf out = STRBUF_INIT;
    unsigned char *gz = NULL;
    size_t gzlen = 0, len;
    char hex[65];

    if (m == NULL) {
        return 500;
    }
    if (router_render(req, "document", m, &out) < 0) {
        json_decref(m);
        strbuf_free(&out);
        return 500;
    }
    json_decref(m);
    if (out.len >= GZ_MIN_SIZE &&
        gz_compress(out.buf, out.len, 9, &gz, &gzlen) < 0) {
        gz = NULL;
    }
    sha256_hex(out.buf, out.len, hex);
    snprintf(r->etag, sizeof(r->etag), "\"%.24s\"", hex);
    rendition_store(req, id, out.buf, out.len, gz, gzlen, r->etag);
    r->owned = strbuf_detach(&out, &len);
    r->body = r->owned;
    r->len = len;
    r->vary_encoding = 1;
    if (gz != NULL && req->accept_gzip) {
        /* Serve the compressed copy; the plain one is no longer needed. */
        kw_free(r->owned);
        r->owned = (char *)gz;
        r->body = r->owned;
        r->len = gzlen;
        r->gzipped = 1;
    } else {
        kw_free(gz);
    }
    return 200;
}

/* A withdrawn or never-published path: 410 with the tombstone, 0 when
 * nothing was ever published there. */
static int
tombstone(struct req *req, const struct coll *c, const char *path,
          json_t **model)
{
    static const char sql[] =
        "SELECT title, decided_at, reason FROM document"
        " WHERE collection_id = :c AND path = :p AND status = 'withdrawn'"
        " ORDER BY version DESC LIMIT 1";
    sqlite3_stmt *st = db_stmt(req->db, sql);
    int found = 0;

    if (st == NULL) {
        return 500;
    }
    db_bind_int64(st, ":c", c->id);
    db_bind_text(st, ":p", path);
    if (sqlite3_step(st) == SQLITE_ROW) {
        struct strbuf msg = STRBUF_INIT;
        time_t t = (time_t)sqlite3_column_int64(st, 1);
        struct tm tm;
        char date[16];
        const char *reason = (const char *)sqlite3_column_text(st, 2);

        gmtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d", &tm);
        strbuf_printf(&msg, "%s (%s)%s%s",
                      (const char *)sqlite3_column_text(st, 0), date,
                      reason ? ": " : "", reason ? reason : "");
        *model = json_pack("{s:s}", "message", strbuf_peek(&msg));
        strbuf_free(&msg);
        found = 1;
    }
    sqlite3_reset(st);
    return found ? 410 : 0;
}

/* GET /c/NAME/PATH[?raw=1]: the published document at PATH (stored
 * rendition), else the tree's asset at PATH (images, stylesheets,
 * attachments with ?raw=1), 410 for a withdrawn document, else 404. */
int
page_document_get(struct req *req, json_t **model)
{
    static const char sql[] =
        "SELECT id FROM document WHERE collection_id = :c AND path = :p"
        " AND status = 'published'";
    const char *path = req->captures[1];
    struct coll c;
    sqlite3_stmt *st;
    int64_t id = 0;
    int rc;

    rc = coll_find(req, req->captures[0], &c);
    if (rc <= 0) {
        return rc < 0 ? 500 : 404;
    }
    if (req_arg(req, "raw") == NULL) {
        st = db_stmt(req->db, sql);
        if (st == NULL) {
            return 500;
        }
        db_bind_int64(st, ":c", c.id);
        db_bind_text(st, ":p", path);
        if (sqlite3_step(st) == SQLITE_ROW) {
            id = sqlite3_column_int64(st, 0);
        }
        sqlite3_reset(st);
    }
    if (id != 0) {
        req->resp.ctype = "text/html; charset=utf-8";
        req->resp.csp = sandbox_csp;
        req->resp.cache_control = "no-cache";
        rc = rendition_serve(req, id);
        if (rc < 0) {
            return 500;
        }
        if (rc > 0) {
            return req->resp.status == 304 ? 304 : 200;
        }
        return rendition_build(req, id, &c);
    }
    rc = serve_asset(req, &c, path);
    if (rc != 0) {
        return rc;
    }
    rc = tombstone(req, &c, path, model);
    return rc != 0 ? rc : 404;
}

/* GET /d/ID: 301 to the document's canonical /c/NAME/PATH (the published
 * version of its path, also for an older version's id). */
int
page_doc_id_get(struct req *req, json_t **model)
{
    static const char sql[] =
        "SELECT c.name, p.path FROM document d"
        " JOIN document p ON p.collection_id = d.collection_id"
        " AND p.path = d.path AND p.status = 'published'"
        " JOIN collection c ON c.id = d.collection_id WHERE d.id = :id";
    char *end;
    long long id = strtoll(req->captures[0], &end, 10);
    sqlite3_stmt *st;
    int rc;

    (void)model;
    if (*end != '\0' || id <= 0) {
        return 404;
    }
    st = db_stmt(req->db, sql);
    if (st == NULL) {
        return 500;
    }
    db_bind_int64(st, ":id", id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        req->resp.location =
            doc_path_url(req, (const char *)sqlite3_column_text(st, 0),
                         (const char *)sqlite3_column_text(st, 1));
        req->resp.body = "";
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 301 : rc == SQLITE_DONE ? 404 : 500;
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
    static const char sql[] =
        "SELECT c.name, d.path FROM document d"
        " JOIN collection c ON c.id = d.collection_id"
        " WHERE d.status = 'published' AND d.id >= (SELECT"
        " abs(random()) % (max(id) - min(id) + 1) + min(id) FROM document)"
        " ORDER BY d.id LIMIT 1";
    static const char first[] =
        "SELECT c.name, d.path FROM document d"
        " JOIN collection c ON c.id = d.collection_id"
        " WHERE d.status = 'published' ORDER BY d.id LIMIT 1";
    const char *q[2] = {sql, first};
    int i;

    (void)model;
    for (i = 0; i < 2; i++) {
        sqlite3_stmt *st = db_stmt(req->db, q[i]);

        if (st == NULL) {
            return 500;
        }
        if (sqlite3_step(st) == SQLITE_ROW) {
            req->resp.location =
                doc_path_url(req, (const char *)sqlite3_column_text(st, 0),
                             (const char *)sqlite3_column_text(st, 1));
            sqlite3_reset(st);
            req->resp.body = "";
            return 302;
        }
        sqlite3_reset(st);
    }
    req->resp.location = req_url(req, "/");
    req->resp.body = "";
    return 302;
}
