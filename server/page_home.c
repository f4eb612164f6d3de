/*
 * page_home: the front page.  Layer: server/.  Shows the search box, the
 * collections with their published document counts, and what was
 * published most recently.
 */
#include <time.h>

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

/* GET /: collections, recent documents, and the most requested pages
 * that readers asked for and that were brought in.  Reads only published
 * rows; bounded to 200 collections, 10 and 5 documents. */
int
page_home_get(struct req *req, json_t **model)
{
    static const char sql_coll[] =
        "SELECT c.name, c.title,"
        " (SELECT count(*) FROM document d"
        "   WHERE d.collection_id = c.id AND d.status = 'published')"
        " FROM collection c ORDER BY c.title LIMIT 200";
    static const char sql_recent[] =
        "SELECT c.name, d.path, d.title, d.published_at"
        " FROM document d JOIN collection c ON c.id = d.collection_id"
        " WHERE d.status = 'published'"
        " ORDER BY d.published_at DESC LIMIT 10";
    static const char sql_wanted[] =
        "SELECT c.name, d.path, d.title, r.count FROM acquisition_request r"
        " JOIN document d ON d.id = r.document_id"
        " JOIN collection c ON c.id = d.collection_id"
        " WHERE r.status = 'fulfilled' AND d.status = 'published'"
        " ORDER BY r.count DESC LIMIT 5";
    json_t *m = json_object(), *colls = json_array(), *recent = json_array();
    json_t *wanted = json_array();
    sqlite3_stmt *st;
    int rc;

    *model = m;
    json_object_set_new(m, "collections", colls);
    json_object_set_new(m, "recent", recent);
    json_object_set_new(m, "wanted", wanted);
    st = db_stmt(req->db, sql_coll);
    if (st == NULL) {
        return 500;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        json_t *c = json_object();

        json_object_set_new(c, "name", json_string(name));
        json_object_set_new(
            c, "title", json_string((const char *)sqlite3_column_text(st, 1)));
        json_object_set_new(c, "documents",
                            json_integer(sqlite3_column_int64(st, 2)));
        json_object_set_new(c, "url", doc_url(req, name, NULL));
        json_array_append_new(colls, c);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        return 500;
    }
    json_object_set_new(m, "has_collections",
                        json_boolean(json_array_size(colls) > 0));
    st = db_stmt(req->db, sql_recent);
    if (st == NULL) {
        return 500;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *d = json_object();
        time_t t = (time_t)sqlite3_column_int64(st, 3);
        struct tm tm;
        char date[16];

        gmtime_r(&t, &tm);
        strftime(date, sizeof(date), "%Y-%m-%d", &tm);
        json_object_set_new(d, "url",
                            doc_url(req,
                                    (const char *)sqlite3_column_text(st, 0),
                                    (const char *)sqlite3_column_text(st, 1)));
        json_object_set_new(
            d, "title", json_string((const char *)sqlite3_column_text(st, 2)));
        json_object_set_new(d, "published", json_string(date));
        json_array_append_new(recent, d);
    }
    sqlite3_reset(st);
    json_object_set_new(m, "has_recent",
                        json_boolean(json_array_size(recent) > 0));
    if (rc != SQLITE_DONE) {
        return 500;
    }
    /* Most requested: pages readers asked for that are here now. */
    st = db_stmt(req->db, sql_wanted);
    if (st == NULL) {
        return 500;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *d = json_object();

        json_object_set_new(d, "url",
                            doc_url(req,
                                    (const char *)sqlite3_column_text(st, 0),
                                    (const char *)sqlite3_column_text(st, 1)));
        json_object_set_new(
            d, "title", json_string((const char *)sqlite3_column_text(st, 2)));
        json_object_set_new(d, "count",
                            json_integer(sqlite3_column_int64(st, 3)));
        json_array_append_new(wanted, d);
    }
    sqlite3_reset(st);
    json_object_set_new(m, "has_wanted",
                        json_boolean(json_array_size(wanted) > 0));
    return rc == SQLITE_DONE ? 200 : 500;
}
