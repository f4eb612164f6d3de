/*
 * page_external: where a link that leaves the intranet lands.  Layer:
 * server/; depends on lib/ (db, document, url, gz), never on MHD.
 *
 * GET shows the address as text (never as a link) and offers "request
 * this document"; when the address is on the intranet already it
 * redirects there instead.  POST records the request: de-duplicated by
 * normalised URL, counted once per client, rate-limited per client, with
 * a double-submit CSRF token and a same-origin check (router.c).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "document.h"
#include "gz.h"
#include "html.h"
#include "pages.h"
#include "render.h"
#include "strbuf.h"
#include "url.h"

/* Requests one client may file per hour. */
#define EXTERNAL_RATE 30

/* Where a normalised URL lives on the intranet, or NULL (arena); a
 * failed read counts as nowhere. */
static const char *
local_location(struct req *req, const char *norm)
{
    struct strbuf u = STRBUF_INIT;
    struct document d;
    const char *loc;

    if (document_find_url(req->db, norm, &d) != 1) {
        return NULL;
    }
    render_doc_url(&u, req->app->base, d.collection, d.path, NULL);
    loc = arena_strdup(req->arena, strbuf_peek(&u));
    strbuf_free(&u);
    document_free(&d);
    return loc;
}

/* GET /external?url=URL[&requested=1]: the interstitial page. */
int
page_external_get(struct req *req, json_t **model)
{
    static const char sql[] = "SELECT count, status FROM acquisition_request"
                              " WHERE url_norm = :u";
    const char *url = req_arg(req, "url");
    struct strbuf norm = STRBUF_INIT;
    json_t *m;
    sqlite3_stmt *st;
    int http;

    if (url == NULL || url[0] == '\0' || strlen(url) > 4096) {
        return 400;
    }
    http = url_normalize(url, &norm, NULL) == 0;
    if (http) {
        const char *loc = local_location(req, strbuf_peek(&norm));

        if (loc != NULL) {
            strbuf_free(&norm);
            return resp_redirect(req, 302, loc);
        }
    }
    m = json_object();
    *model = m;
    json_object_set_new(m, "url", json_string(url));
    json_object_set_new(m, "requestable", json_boolean(http));
    json_object_set_new(m, "requested",
                        json_boolean(req_arg(req, "requested") != NULL));
    json_object_set_new(m, "csrf_token", json_string(router_csrf_token(req)));
    json_object_set_new(m, "action", json_string(req_url(req, "/external")));
    if (http) {
        st = db_stmt(req->db, sql);
        if (st == NULL) {
            strbuf_free(&norm);
            return 500;
        }
        db_bind_text(st, ":u", strbuf_peek(&norm));
        if (sqlite3_step(st) == SQLITE_ROW) {
            json_object_set_new(m, "count",
                                json_integer(sqlite3_column_int64(st, 0)));
        }
        sqlite3_reset(st);
    }
    strbuf_free(&norm);
    return 200;
}

/* POST /external (url, csrf_token): record a request for URL, then 303
 * back to the interstitial.  429 past EXTERNAL_RATE an hour per client. */
int
page_external_post(struct req *req, json_t **model)
{
    static const char rate[] =
        "SELECT count(*) FROM acquisition_vote WHERE client_hash = :c"
        " AND at > :since";
    static const char upsert[] =
        "INSERT INTO acquisition_request(url_norm, url, count, first_at,"
        " last_at) VALUES (:n, :u, 0, :now, :now) ON CONFLICT(url_norm)"
        " DO UPDATE SET last_at = :now RETURNING id";
    static const char vote[] =
        "INSERT OR IGNORE INTO acquisition_vote(request_id, client_hash, at)"
        " VALUES (:r, :c, :now)";
    static const char bump[] =
        "UPDATE acquisition_request SET count = count + 1 WHERE id = :r";
    const char *url = req_form(req, "url");
    struct strbuf norm = STRBUF_INIT, back = STRBUF_INIT;
    struct db *w = req->app->wdb;
    char client[65];
    int64_t now = (int64_t)time(NULL), rid;
    sqlite3_stmt *st;
    int rc, status = 500;

    (void)model;
    if (url == NULL || strlen(url) > 4096 ||
        url_normalize(url, &norm, NULL) < 0) {
        strbuf_free(&norm);
        return 400;
    }
    /* Only a hash of the address is kept: enough to count a reader once. */
    sha256_hex(req->client ? req->client : "-",
               strlen(req->client ? req->client : "-"), client);
    st = db_stmt(req->db, rate);
    if (st == NULL) {
        goto out;
    }
    db_bind_text(st, ":c", client);
    db_bind_int64(st, ":since", now - 3600);
    rc = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_reset(st);
    if (rc >= EXTERNAL_RATE) {
        resp_header(req, RESP_RETRY_AFTER, "3600");
        status = 429;
        goto out;
    }
    if (w == NULL || db_write_begin(w) != SQLITE_OK) {
        resp_header(req, RESP_RETRY_AFTER, "5");
        status = 503;
        goto out;
    }
    st = db_stmt(w, upsert);
    if (st == NULL) {
        db_write_rollback(w);
        goto out;
    }
    db_bind_text(st, ":n", strbuf_peek(&norm));
    db_bind_text(st, ":u", url);
    db_bind_int64(st, ":now", now);
    if (db_one_int64(st, &rid) != 1 || (st = db_stmt(w, vote)) == NULL) {
        db_write_rollback(w);
        goto out;
    }
    db_bind_int64(st, ":r", rid);
    db_bind_text(st, ":c", client);
    db_bind_int64(st, ":now", now);
    rc = db_step_done(st);
    /* A repeated request from the same client is not counted again. */
    if (rc == 0 && sqlite3_changes(db_handle(w)) > 0) {
        st = db_stmt(w, bump);
        if (st == NULL) {
            db_write_rollback(w);
            goto out;
        }
        db_bind_int64(st, ":r", rid);
        rc = db_step_done(st);
    }
    if (rc != 0 || db_write_commit(w) != SQLITE_OK) {
        if (rc != 0) {
            db_write_rollback(w);
        }
        goto out;
    }
    strbuf_puts(&back, req->app->base);
    strbuf_puts(&back, "/external?requested=1&url=");
    url_encode(&back, url, strlen(url));
    status =
        resp_redirect(req, 303, arena_strdup(req->arena, strbuf_peek(&back)));
out:
    strbuf_free(&norm);
    strbuf_free(&back);
    return status;
}
