/*
 * page_home: the front page.  Layer: server/; depends on lib/ (document,
 * render).  Shows the search box, the collections with their published
 * document counts, and what was published most recently.
 */
#include <time.h>

#include "document.h"
#include "pages.h"
#include "render.h"
#include "strbuf.h"

/* "/base/c/NAME/PATH" (path NULL: the collection's root) as a new JSON
 * string. */
static json_t *
doc_url(struct req *req, const char *name, const char *path)
{
    struct strbuf u = STRBUF_INIT;
    json_t *s;

    render_doc_url(&u, req->app->base, name, path, NULL);
    s = json_string(strbuf_peek(&u));
    strbuf_free(&u);
    return s;
}

/* home_collection's, home_recent's and home_wanted's context. */
struct home {
    struct req *req;
    json_t *arr;
};

static void
home_collection(void *ctx, const struct document_collection *dc)
{
    struct home *h = ctx;
    json_t *c = json_object();

    json_object_set_new(c, "name", json_string(dc->name));
    json_object_set_new(c, "title", json_string(dc->title));
    json_object_set_new(c, "documents", json_integer(dc->documents));
    json_object_set_new(c, "url", doc_url(h->req, dc->name, NULL));
    json_array_append_new(h->arr, c);
}

static void
home_recent(void *ctx, const struct document *doc)
{
    struct home *h = ctx;
    json_t *d = json_object();
    time_t t =
        doc->published_at != DOCUMENT_NO_TIME ? (time_t)doc->published_at : 0;
    struct tm tm;
    char date[16];

    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%Y-%m-%d", &tm);
    json_object_set_new(d, "url", doc_url(h->req, doc->collection, doc->path));
    json_object_set_new(d, "title", json_string(doc->title));
    json_object_set_new(d, "published", json_string(date));
    json_array_append_new(h->arr, d);
}

static void
home_wanted(void *ctx, const struct document *doc)
{
    struct home *h = ctx;
    json_t *d = json_object();

    json_object_set_new(d, "url", doc_url(h->req, doc->collection, doc->path));
    json_object_set_new(d, "title", json_string(doc->title));
    json_object_set_new(d, "count", json_integer(doc->requests));
    json_array_append_new(h->arr, d);
}

/* GET /: collections, recent documents, and the most requested pages
 * that readers asked for and that were brought in.  Reads only published
 * rows; bounded to 200 collections, 10 and 5 documents. */
int
page_home_get(struct req *req, json_t **model)
{
    json_t *m = json_object();
    struct home colls = {req, json_array()}, recent = {req, json_array()};
    struct home wanted = {req, json_array()};
    int rc;

    *model = m;
    json_object_set_new(m, "collections", colls.arr);
    json_object_set_new(m, "recent", recent.arr);
    json_object_set_new(m, "wanted", wanted.arr);
    if (document_collection_counts(req->db, 200, home_collection, &colls) < 0) {
        return 500;
    }
    json_object_set_new(m, "has_collections",
                        json_boolean(json_array_size(colls.arr) > 0));
    rc = document_list_newest(req->db, 10, home_recent, &recent);
    json_object_set_new(m, "has_recent",
                        json_boolean(json_array_size(recent.arr) > 0));
    if (rc < 0) {
        return 500;
    }
    /* Most requested: pages readers asked for that are here now. */
    rc = document_list_wanted(req->db, 5, home_wanted, &wanted);
    json_object_set_new(m, "has_wanted",
                        json_boolean(json_array_size(wanted.arr) > 0));
    return rc < 0 ? 500 : 200;
}
