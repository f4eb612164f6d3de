/*
 * rendition: get, put and invalidate stored renditions (rendition.h).
 * Layer: lib/; depends on db and alloc; never on microhttpd.h.
 */
#include "rendition.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"

int
rendition_etag(struct db *db, int64_t doc, const char *lang,
               const char *build_id, char *etag, size_t n)
{
    static const char sql[] = "SELECT build_id, etag FROM rendition"
                              " WHERE document_id = :d AND lang = :l";
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc, ok = 0;

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":d", doc);
    db_bind_text(st, ":l", lang);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW &&
        strcmp((const char *)sqlite3_column_text(st, 0), build_id) == 0) {
        snprintf(etag, n, "%s", (const char *)sqlite3_column_text(st, 1));
        ok = 1;
    }
    sqlite3_reset(st);
    if (ok) {
        return 1;
    }
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int
rendition_body(struct db *db, int64_t doc, const char *lang, int gzip,
               char **body, size_t *len, int *gzipped)
{
    static const char plain[] = "SELECT html FROM rendition"
                                " WHERE document_id = :d AND lang = :l";
    static const char gzsql[] = "SELECT coalesce(html_gz, html),"
                                " html_gz IS NOT NULL FROM rendition"
                                " WHERE document_id = :d AND lang = :l";
    sqlite3_stmt *st = db_stmt(db, gzip ? gzsql : plain);

    *body = NULL;
    *len = 0;
    *gzipped = 0;
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":d", doc);
    db_bind_text(st, ":l", lang);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return 0;
    }
    *len = (size_t)sqlite3_column_bytes(st, 0);
    *body = kw_malloc(*len + 1);
    if (*body != NULL && *len > 0) {
        memcpy(*body, sqlite3_column_blob(st, 0), *len);
    }
    *gzipped = gzip && sqlite3_column_int(st, 1);
    sqlite3_reset(st);
    return *body != NULL ? 1 : -1;
}

int
rendition_put(struct db *w, int64_t doc, const char *lang, const char *build_id,
              const char *etag, const char *html, size_t len,
              const unsigned char *gz, size_t gzlen, int64_t now)
{
    static const char sql[] =
        "INSERT OR REPLACE INTO rendition(document_id, lang, build_id,"
        " etag, html, html_gz, created_at) VALUES (:d, :l, :b, :e, :h, :g,"
        " :now)";
    sqlite3_stmt *st = db_stmt(w, sql);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":d", doc);
    db_bind_text(st, ":l", lang);
    db_bind_text(st, ":b", build_id);
    db_bind_text(st, ":e", etag);
    db_bind_blob(st, ":h", html, len);
    if (gz != NULL) {
        db_bind_blob(st, ":g", gz, gzlen);
    } else {
        db_bind_null(st, ":g");
    }
    db_bind_int64(st, ":now", now);
    return db_step_done(st);
}

int
rendition_invalidate(struct db *w, int64_t doc, const char *url_norm)
{
    static const char sql[] =
        "DELETE FROM rendition WHERE document_id = :d OR document_id IN"
        " (SELECT document_id FROM link WHERE target_url = :u)";
    sqlite3_stmt *st = db_stmt(w, sql);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":d", doc);
    db_bind_text(st, ":u", url_norm);
    return db_step_done(st);
}
