/*
 * page_admin: login, logout and the moderation pages.  Layer: server/;
 * depends on lib/ (auth, document, moderation, render, db), never on MHD.
 *
 * Every state change is a POST with the session's CSRF token and a
 * same-origin check (router.c), answered with 303 (post/redirect/get);
 * every admin response is no-store.  Roles are checked by the router from
 * the route table before a handler runs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "auth.h"
#include "document.h"
#include "html.h"
#include "moderation.h"
#include "pages.h"
#include "render.h"
#include "strbuf.h"

#define ADMIN_PAGE 50
#define BULK_MAX 500

/* A time as "YYYY-MM-DD HH:MM UTC", JSON null for none. */
static json_t *
when_at(int64_t at)
{
    time_t t = (time_t)at;
    struct tm tm;
    char buf[32];

    if (at == DOCUMENT_NO_TIME) {
        return json_null();
    }
    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M UTC", &tm);
    return json_string(buf);
}

/* A time column as when_at() shows it. */
static json_t *
when(sqlite3_stmt *st, int col)
{
    return when_at(sqlite3_column_type(st, col) == SQLITE_NULL
                       ? DOCUMENT_NO_TIME
                       : sqlite3_column_int64(st, col));
}

/* A number as the text a column gave (the views show it as text), JSON
 * null for 0 (none). */
static json_t *
number_or_null(int64_t n)
{
    return n != 0 ? json_sprintf("%lld", (long long)n) : json_null();
}

/* The "admin" object every admin view shows (layout data). */
static json_t *
admin_model(struct req *req)
{
    json_t *m = json_object(), *a = json_object();

    json_object_set_new(a, "user", json_string(req->user->name));
    json_object_set_new(a, "role",
                        json_string(auth_role_name(req->user->role)));
    json_object_set_new(a, "is_admin",
                        json_boolean(req->user->role >= AUTH_ADMIN));
    json_object_set_new(a, "is_moderator",
                        json_boolean(req->user->role >= AUTH_MODERATOR));
    json_object_set_new(a, "csrf_token", json_string(req->session_csrf));
    json_object_set_new(m, "admin", a);
    return m;
}

static int
redirect(struct req *req, const char *path)
{
    return resp_redirect(req, 303, req_url(req, path));
}

static int64_t
id_arg(const char *s)
{
    char *end;
    long long v;

    if (s == NULL || *s == '\0') {
        return 0;
    }
    v = strtoll(s, &end, 10);
    return *end == '\0' && v > 0 ? (int64_t)v : 0;
}

/* The session cookie (router_set_cookie): HttpOnly, SameSite=Strict. */
static const char *
session_cookie(struct req *req, const char *value, int clear)
{
    return router_set_cookie(req, ROUTER_SESSION_COOKIE, value,
                             clear ? "HttpOnly; SameSite=Strict; Max-Age=0"
                                   : "HttpOnly; SameSite=Strict");
}

/* GET /admin/login[?failed=1|throttled=1]: the login form. */
int
page_admin_login_get(struct req *req, json_t **model)
{
    json_t *m = json_object();

    *model = m;
    json_object_set_new(m, "csrf_token", json_string(router_csrf_token(req)));
    json_object_set_new(m, "action", json_string(req_url(req, "/admin/login")));
    json_object_set_new(m, "failed",
                        json_boolean(req_arg(req, "failed") != NULL));
    json_object_set_new(m, "throttled",
                        json_boolean(req_arg(req, "throttled") != NULL));
    return 200;
}

/* POST /admin/login (username, password, csrf_token): a new session and
 * 303 to /admin/; a failure costs about a second and goes back to the
 * form; throttled logins get 429 with Retry-After. */
int
page_admin_login_post(struct req *req, json_t **model)
{
    const char *name = req_form(req, "username");
    const char *pw = req_form(req, "password");
    char sid[AUTH_HEX_LEN + 1], csrf[AUTH_HEX_LEN + 1];
    long retry = 0;
    int rc;

    (void)model;
    if (name == NULL || pw == NULL) {
        return 400;
    }
    rc = auth_login(req->app->wdb, name, pw, req->client, sid, csrf, &retry);
    if (rc == AUTH_OK) {
        resp_header(req, RESP_SET_COOKIE, session_cookie(req, sid, 0));
        return redirect(req, "/admin/");
    }
    if (rc == AUTH_ERROR) {
        return 503;
    }
    /* A failed or throttled attempt waits, so guessing stays slow; the
     * HTTP layer holds the answer without holding a thread. */
    resp_delay(req, auth_failure_delay_ms());
    if (rc == AUTH_THROTTLED) {
        char *ra = arena_alloc(req->arena, 24);

        if (ra != NULL) {
            snprintf(ra, 24, "%ld", retry > 0 ? retry : 60);
            resp_header(req, RESP_RETRY_AFTER, ra);
        }
        return 429;
    }
    return redirect(req, "/admin/login?failed=1");
}

/* POST /admin/logout (csrf_token): delete the session server-side. */
int
page_admin_logout_post(struct req *req, json_t **model)
{
    (void)model;
    auth_logout(req->app->wdb, req_cookie(req, ROUTER_SESSION_COOKIE),
                req->client);
    resp_header(req, RESP_SET_COOKIE, session_cookie(req, "", 1));
    return redirect(req, "/admin/login");
}

/* Rows of a query as objects with the given keys; times for keys that
 * end in "_at" are formatted.  Returns the array (new). */
static json_t *
rows(struct req *req, const char *sql, const char *const *keys, int nkeys,
     int64_t bind)
{
    sqlite3_stmt *st = db_stmt(req->db, sql);
    json_t *a = json_array();
    int k;

    if (st == NULL) {
        return a;
    }
    if (bind != 0) {
        db_bind_int64(st, ":n", bind);
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *o = json_object();

        for (k = 0; k < nkeys; k++) {
            size_t kl = strlen(keys[k]);

            if (kl > 3 && strcmp(keys[k] + kl - 3, "_at") == 0) {
                json_object_set_new(
                    o, arena_strndup(req->arena, keys[k], kl - 3), when(st, k));
            } else {
                json_object_set_new(o, keys[k], db_column_json(st, k));
            }
        }
        json_array_append_new(a, o);
    }
    sqlite3_reset(st);
    return a;
}

/* A row of the dashboard's "statuses", strings as rows() makes them. */
static void
status_row(void *ctx, const char *status, int64_t n)
{
    json_t *o = json_object();

    json_object_set_new(o, "status", json_pack("s?", status));
    json_object_set_new(o, "count", json_sprintf("%lld", (long long)n));
    json_array_append_new(ctx, o);
}

/* GET /admin/: documents by status, recent moderation activity, the
 * zero-result searches, the most wanted outside pages. */
int
page_admin_dashboard_get(struct req *req, json_t **model)
{
    static const char activity[] =
        "SELECT at, actor, action, object_id, reason FROM audit"
        " ORDER BY id DESC LIMIT 15";
    static const char zero[] =
        "SELECT query, zero_count, count FROM search_log"
        " WHERE zero_count > 0 ORDER BY zero_count DESC LIMIT 20";
    static const char wanted[] =
        "SELECT url, count, first_at, last_at FROM acquisition_request"
        " WHERE status = 'open' ORDER BY count DESC, last_at DESC LIMIT 50";
    static const char *const k2[] = {"at_at", "actor", "action", "object_id",
                                     "reason"};
    static const char *const k3[] = {"query", "zero_count", "count"};
    static const char *const k4[] = {"url", "count", "first_at", "last_at"};
    json_t *m = admin_model(req), *statuses = json_array();

    *model = m;
    json_object_set_new(m, "title", json_string("admin"));
    /* A read that fails shows what it had, as rows() does. */
    (void)document_count_by_status(req->db, status_row, statuses);
    json_object_set_new(m, "statuses", statuses);
    json_object_set_new(m, "activity", rows(req, activity, k2, 5, 0));
    json_object_set_new(m, "zero", rows(req, zero, k3, 3, 0));
    json_object_set_new(m, "requests", rows(req, wanted, k4, 4, 0));
    return 200;
}

/* GET /admin/requests.txt: open acquisition requests, most wanted first,
 * one URL a line, for the retrieval team (also `kwangmyong requests`). */
int
page_admin_requests_get(struct req *req, json_t **model)
{
    static const char sql[] =
        "SELECT url FROM acquisition_request WHERE status = 'open'"
        " ORDER BY count DESC, first_at LIMIT 100000";
    sqlite3_stmt *st = db_stmt(req->db, sql);
    struct strbuf out = STRBUF_INIT;

    (void)model;
    if (st == NULL) {
        return 500;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        strbuf_puts(&out, (const char *)sqlite3_column_text(st, 0));
        strbuf_putc(&out, '\n');
    }
    sqlite3_reset(st);
    if (!strbuf_ok(&out)) {
        strbuf_free(&out);
        return 500;
    }
    resp_strbuf(req, "text/plain; charset=utf-8", &out);
    return 200;
}

/* queue_row's context. */
struct queue {
    struct req *req;
    json_t *docs;
};

static void
queue_row(void *ctx, const struct document *doc)
{
    struct queue *q = ctx;
    json_t *d = json_object();
    char url[64];

    snprintf(url, sizeof(url), "%s/admin/documents/%lld", q->req->app->base,
             (long long)doc->id);
    json_object_set_new(d, "id", json_integer(doc->id));
    json_object_set_new(d, "url", json_string(url));
    json_object_set_new(d, "title", json_pack("s?", doc->title));
    json_object_set_new(d, "collection", json_pack("s?", doc->collection));
    json_object_set_new(d, "batch", number_or_null(doc->batch_id));
    json_object_set_new(d, "source_url", json_pack("s?", doc->source_url));
    json_object_set_new(d, "ingested", when_at(doc->ingested_at));
    json_object_set_new(d, "changed", json_boolean(doc->version > 1));
    json_array_append_new(q->docs, d);
}

/* GET /admin/queue?collection=&batch=&domain=: pending documents, oldest
 * first, at most 50 a page. */
int
page_admin_queue_get(struct req *req, json_t **model)
{
    const char *coll = req_arg(req, "collection");
    const char *dom = req_arg(req, "domain");
    int64_t batch = id_arg(req_arg(req, "batch"));
    int64_t page = id_arg(req_arg(req, "page"));
    struct document_queue dq = {coll && *coll ? coll : NULL, batch,
                                dom && *dom ? dom : NULL};
    json_t *m = admin_model(req), *f = json_object();
    struct queue q = {req, json_array()};

    *model = m;
    json_object_set_new(m, "documents", q.docs);
    json_object_set_new(f, "collection", json_string(coll ? coll : ""));
    json_object_set_new(f, "domain", json_string(dom ? dom : ""));
    if (batch > 0) {
        json_object_set_new(f, "batch", json_integer(batch));
    }
    json_object_set_new(m, "filter", f);
    /* A read that fails after its first rows shows them, as it did. */
    (void)document_list_pending(req->db, &dq, ADMIN_PAGE,
                                (page > 1 ? page - 1 : 0) * ADMIN_PAGE,
                                queue_row, &q);
    return 200;
}

/* The ids of a form (repeated "id" fields), at most BULK_MAX. */
static size_t
form_ids(struct req *req, int64_t *ids, size_t max)
{
    size_t i, n = 0;

    for (i = 0; i < req->nform && n < max; i++) {
        if (strcmp(req->form[i].key, "id") == 0) {
            int64_t v = id_arg(req->form[i].value);

            if (v > 0) {
                ids[n++] = v;
            }
        }
    }
    return n;
}

/* POST /admin/queue/bulk (id..., action approve|reject, reason,
 * confirm): first a confirmation page, then the acts, each document its
 * own transaction; 303 back to the queue, or 400/503 when a document was
 * left undecided (not for one someone else decided first). */
int
page_admin_bulk_post(struct req *req, json_t **model)
{
    const char *action = req_form(req, "action");
    const char *reason = req_form(req, "reason");
    int64_t *ids = arena_alloc(req->arena, BULK_MAX * sizeof(*ids));
    int *res;
    size_t n, i;

    if (ids == NULL || action == NULL ||
        (strcmp(action, "approve") != 0 && strcmp(action, "reject") != 0)) {
        return 400;
    }
    n = form_ids(req, ids, BULK_MAX);
    if (n == 0) {
        return redirect(req, "/admin/queue");
    }
    if (strcmp(action, "reject") == 0 && (reason == NULL || *reason == '\0')) {
        *model = json_pack("{s:s}", "message", "a reason is required");
        return 400;
    }
    if (req_form(req, "confirm") == NULL) {
        json_t *m = admin_model(req), *a = json_array();

        for (i = 0; i < n; i++) {
            json_array_append_new(a, json_integer(ids[i]));
        }
        json_object_set_new(m, "ids", a);
        json_object_set_new(m, "count", json_integer((json_int_t)n));
        json_object_set_new(m, "action", json_string(action));
        json_object_set_new(m, "reason", json_string(reason ? reason : ""));
        *model = m;
        return resp_view(req, "admin/confirm", m, NULL) < 0 ? 500 : 200;
    }
    res = arena_alloc(req->arena, n * sizeof(*res));
    if (res == NULL) {
        return 500;
    }
    if (strcmp(action, "approve") == 0) {
        moderation_approve_many(req->app->wdb, ids, n, req->user->name,
                                req->client, res, NULL);
    } else {
        moderation_reject_many(req->app->wdb, ids, n, req->user->name, reason,
                               req->client, res, NULL);
    }
    /* A conflict or a vanished document is someone else's decision and is
     * skipped; any other failure left a document undecided, so the answer
     * must not be the redirect that means "done" (as a single action's
     * would not be). */
    for (i = 0; i < n; i++) {
        if (res[i] == MOD_BAD_REQUEST) {
            *model = json_pack("{s:s}", "message", "invalid reason");
            return 400;
        }
        if (res[i] != MOD_OK && res[i] != MOD_CONFLICT &&
            res[i] != MOD_NOT_FOUND) {
            resp_header(req, RESP_RETRY_AFTER, "5");
            return 503;
        }
    }
    return redirect(req, "/admin/queue");
}

/* A line diff of old against new text: "- " and "+ " lines, escaped,
 * bounded (longest common subsequence over at most 400 lines each). */
static char *
diff_html(const char *a, const char *b)
{
    enum { MAXL = 400 };
    const char *la[MAXL], *lb[MAXL];
    size_t na = 0, nb = 0, i, j, lena[MAXL], lenb[MAXL];
    unsigned short *t;
    struct strbuf out = STRBUF_INIT;
    const char *p;

    for (p = a; *p != '\0' && na < MAXL;) {
        const char *e = strchr(p, '\n');

        la[na] = p;
        lena[na++] = e ? (size_t)(e - p) : strlen(p);
        p = e ? e + 1 : p + strlen(p);
    }
    for (p = b; *p != '\0' && nb < MAXL;) {
        const char *e = strchr(p, '\n');

        lb[nb] = p;
        lenb[nb++] = e ? (size_t)(e - p) : strlen(p);
        p = e ? e + 1 : p + strlen(p);
    }
    t = calloc((na + 1) * (nb + 1), sizeof(*t));
    if (t == NULL) {
        return NULL;
    }
#define T(x, y) t[(x) * (nb + 1) + (y)]
    for (i = na; i-- > 0;) {
        for (j = nb; j-- > 0;) {
            if (lena[i] == lenb[j] && memcmp(la[i], lb[j], lena[i]) == 0) {
                T(i, j) = (unsigned short)(T(i + 1, j + 1) + 1);
            } else {
                T(i, j) = T(i + 1, j) > T(i, j + 1) ? T(i + 1, j) : T(i, j + 1);
            }
        }
    }
    i = j = 0;
    while (i < na || j < nb) {
        if (i < na && j < nb && lena[i] == lenb[j] &&
            memcmp(la[i], lb[j], lena[i]) == 0) {
            i++;
            j++;
        } else if (j < nb && (i == na || T(i, j + 1) >= T(i + 1, j))) {
            strbuf_puts(&out, "<ins>+ ");
            html_escape(&out, lb[j], lenb[j]);
            strbuf_puts(&out, "</ins>\n");
            j++;
        } else {
            strbuf_puts(&out, "<del>- ");
            html_escape(&out, la[i], lena[i]);
            strbuf_puts(&out, "</del>\n");
            i++;
        }
    }
#undef T
    free(t);
    return strbuf_detach(&out, NULL);
}

/* The body text of the published version at d's path when that is
 * another document (new, kw_free), else NULL. */
static char *
published_text(struct req *req, const struct document *d)
{
    struct document p;
    int64_t id;
    char *text = NULL;

    if (document_published_id(req->db, d->collection_id, d->path, &id) == 1 &&
        id != d->id && document_get(req->db, id, DOCUMENT_BODY_TEXT, &p) == 1) {
        text = kw_strdup(p.body_text);
        document_free(&p);
    }
    return text;
}

/* GET /admin/documents/ID: metadata, provenance, actions, the links it
 * holds, a diff against the published version of its path, and the body
 * in a sandboxed iframe. */
int
page_admin_document_get(struct req *req, json_t **model)
{
    static const char links[] = "SELECT target_url FROM link"
                                " WHERE document_id = :n ORDER BY 1 LIMIT 2000";
    static const char *const lk[] = {"url"};
    static const enum document_act acts[] = {
        DOCUMENT_APPROVE, DOCUMENT_REJECT, DOCUMENT_WITHDRAW, DOCUMENT_RESTORE};
    static const char *const act_keys[] = {"approve", "reject", "withdraw",
                                           "restore"};
    int64_t id = id_arg(req->captures[0]);
    struct document doc;
    json_t *m, *d, *can, *ls, *flat;
    char url[128], *old;
    size_t i;
    int rc;

    if (id == 0) {
        return 404;
    }
    rc = document_get(req->db, id, DOCUMENT_BODY_TEXT | DOCUMENT_TAGS, &doc);
    if (rc <= 0) {
        return rc < 0 ? 500 : 404;
    }
    m = admin_model(req);
    *model = m;
    d = json_object();
    json_object_set_new(d, "id", json_integer(id));
    json_object_set_new(d, "title", json_pack("s?", doc.title));
    json_object_set_new(d, "status", json_pack("s?", doc.status));
    json_object_set_new(d, "version", json_integer(doc.version));
    json_object_set_new(d, "decided_by", json_pack("s?", doc.decided_by));
    json_object_set_new(d, "decided_at", when_at(doc.decided_at));
    json_object_set_new(d, "reason", json_pack("s?", doc.reason));
    json_object_set_new(d, "collection", json_pack("s?", doc.collection));
    json_object_set_new(d, "path", json_pack("s?", doc.path));
    json_object_set_new(d, "source_url", json_pack("s?", doc.source_url));
    json_object_set_new(d, "ingested", when_at(doc.ingested_at));
    json_object_set_new(d, "operator", json_pack("s?", doc.operator_name));
    json_object_set_new(d, "batch", number_or_null(doc.batch_id));
    json_object_set_new(d, "orig_sha256", json_pack("s?", doc.orig_sha256));
    json_object_set_new(d, "language", json_pack("s?", doc.language));
    json_object_set_new(d, "tags", json_pack("s?", doc.tags));
    snprintf(url, sizeof(url), "%s/admin/documents/%lld", req->app->base,
             (long long)id);
    json_object_set_new(d, "action_base", json_string(url));
    strncat(url, "/preview", sizeof(url) - strlen(url) - 1);
    json_object_set_new(d, "preview_url", json_string(url));
    old = published_text(req, &doc);
    if (old != NULL) {
        char *diff = diff_html(old, doc.body_text);

        if (diff != NULL && diff[0] != '\0') {
            json_object_set_new(m, "diff_html", json_string(diff));
        }
        free(diff);
        kw_free(old);
    }
    json_object_set_new(m, "doc", d);
    json_object_set_new(
        m, "title",
        json_string(json_string_value(json_object_get(d, "title"))));
    can = json_object();
    if (req->user->role >= AUTH_MODERATOR) {
        for (i = 0; i < sizeof(acts) / sizeof(acts[0]); i++) {
            json_object_set_new(
                can, act_keys[i],
                json_boolean(document_act_applies(acts[i], doc.status)));
        }
        json_object_set_new(can, "edit", json_true());
    }
    document_free(&doc);
    json_object_set_new(m, "can", can);
    ls = rows(req, links, lk, 1, id);
    flat = json_array();
    for (i = 0; i < json_array_size(ls); i++) {
        json_array_append(flat, json_object_get(json_array_get(ls, i), "url"));
    }
    json_decref(ls);
    json_object_set_new(m, "links", flat);
    return 200;
}

/* GET /admin/documents/ID/preview: the body alone, links bound, under
 * the sandbox policy (it is shown in an <iframe sandbox>). */
int
page_admin_preview_get(struct req *req, json_t **model)
{
    int64_t id = id_arg(req->captures[0]);
    struct strbuf out = STRBUF_INIT;
    struct document doc;
    int rc;

    (void)model;
    if (id == 0) {
        return 404;
    }
    rc = document_get(req->db, id, DOCUMENT_BODY_HTML, &doc);
    if (rc <= 0) {
        return rc < 0 ? 500 : 404;
    }
    strbuf_puts(&out, "<!doctype html><html><head><meta charset=\"utf-8\">"
                      "<title>preview</title></head><body>");
    rc = render_bind_links(req->db, doc.body_html, req->app->base, &out);
    document_free(&doc);
    strbuf_puts(&out, "</body></html>");
    if (rc < 0 || !strbuf_ok(&out)) {
        strbuf_free(&out);
        return 500;
    }
    resp_html(req, &out);
    resp_header(req, RESP_CSP,
                "sandbox; default-src 'none'; img-src 'self' data:; "
                "style-src 'self'; frame-ancestors 'self'");
    return 200;
}

/* Map a moderation result to an HTTP status (409 carries who/when). */
static int
mod_status(struct req *req, int rc, const struct mod_conflict *c,
           json_t **model, int64_t id)
{
    char msg[256], path[64];

    switch (rc) {
    case MOD_OK:
        snprintf(path, sizeof(path), "/admin/documents/%lld", (long long)id);
        return redirect(req, path);
    case MOD_NOT_FOUND:
        return 404;
    case MOD_CONFLICT:
        moderation_conflict_text(c, msg, sizeof(msg));
        *model = json_pack("{s:s}", "message", msg);
        return 409;
    case MOD_BAD_REQUEST:
        *model = json_pack("{s:s}", "message", "a reason is required");
        return 400;
    default:
        return 503;
    }
}

/* POST /admin/documents/ID/ACTION (csrf_token, reason, title, language,
 * tags): approve, reject, withdraw, restore or edit; 303 to the document,
 * 409 "already decided by NAME at TIME" when someone was first. */
int
page_admin_action_post(struct req *req, json_t **model)
{
    int64_t id = id_arg(req->captures[0]);
    const char *act = req->captures[1];
    const char *reason = req_form(req, "reason");
    struct mod_conflict c;
    struct db *w = req->app->wdb;
    const char *who = req->user->name;
    int rc;

    memset(&c, 0, sizeof(c));
    if (id == 0) {
        return 404;
    }
    if (reason != NULL && *reason == '\0') {
        reason = NULL;
    }
    if (strcmp(act, "approve") == 0) {
        rc = moderation_approve(w, id, who, req->client, &c);
    } else if (strcmp(act, "reject") == 0) {
        rc = moderation_reject(w, id, who, reason, req->client, &c);
    } else if (strcmp(act, "withdraw") == 0) {
        rc = moderation_withdraw(w, id, who, reason, req->client, &c);
    } else if (strcmp(act, "restore") == 0) {
        rc = moderation_restore(w, id, who, reason, req->client, &c);
    } else if (strcmp(act, "edit") == 0) {
        const char *tags = req_form(req, "tags");
        const char *tv[MODERATION_TAGS_MAX];
        size_t nt = 0;
        char *copy = tags ? arena_strdup(req->arena, tags) : NULL, *tok, *sp;

        for (tok = copy ? strtok_r(copy, ",", &sp) : NULL;
             tok != NULL && nt < MODERATION_TAGS_MAX;
             tok = strtok_r(NULL, ",", &sp)) {
            while (*tok == ' ') {
                tok++;
            }
            if (*tok != '\0') {
                char *e = tok + strlen(tok);

                while (e > tok && e[-1] == ' ') {
                    *--e = '\0';
                }
                tv[nt++] = tok;
            }
        }
        const char *title = req_form(req, "title");

        /* An absent or empty field leaves that value as it is. */
        if (title != NULL && *title == '\0') {
            title = NULL;
        }
        rc = moderation_edit(w, id, who, title, req_form(req, "language"),
                             tags != NULL ? tv : NULL, nt, req->client);
    } else {
        return 404;
    }
    return mod_status(req, rc, &c, model, id);
}

/* GET /admin/audit?actor=&action=&page=: the audit log, newest first. */
int
page_admin_audit_get(struct req *req, json_t **model)
{
    static const char sql[] =
        "SELECT id, at, actor, action, object_type, object_id, reason"
        " FROM audit WHERE (:a IS NULL OR actor = :a)"
        " AND (:c IS NULL OR action = :c) ORDER BY id DESC"
        " LIMIT :lim OFFSET :off";
    const char *actor = req_arg(req, "actor");
    const char *action = req_arg(req, "action");
    int64_t page = id_arg(req_arg(req, "page"));
    json_t *m = admin_model(req), *a = json_array(), *f = json_object();
    sqlite3_stmt *st = db_stmt(req->db, sql);
    size_t n = 0;

    *model = m;
    if (page < 1) {
        page = 1;
    }
    json_object_set_new(m, "rows", a);
    json_object_set_new(f, "actor", json_string(actor ? actor : ""));
    json_object_set_new(f, "action", json_string(action ? action : ""));
    json_object_set_new(m, "filter", f);
    if (st == NULL) {
        return 500;
    }
    db_bind_text(st, ":a", actor && *actor ? actor : NULL);
    db_bind_text(st, ":c", action && *action ? action : NULL);
    db_bind_int64(st, ":lim", ADMIN_PAGE);
    db_bind_int64(st, ":off", (page - 1) * ADMIN_PAGE);
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *o = json_object();

        json_object_set_new(o, "id", json_integer(sqlite3_column_int64(st, 0)));
        json_object_set_new(o, "at", when(st, 1));
        json_object_set_new(o, "actor", db_column_json(st, 2));
        json_object_set_new(o, "action", db_column_json(st, 3));
        json_object_set_new(o, "object_type", db_column_json(st, 4));
        json_object_set_new(o, "object_id", db_column_json(st, 5));
        json_object_set_new(o, "reason", db_column_json(st, 6));
        json_array_append_new(a, o);
        n++;
    }
    sqlite3_reset(st);
    {
        struct strbuf u = STRBUF_INIT;

        if (page > 1) {
            strbuf_printf(&u, "%s/admin/audit?page=%lld", req->app->base,
                          (long long)(page - 1));
            json_object_set_new(m, "prev_url", json_string(strbuf_peek(&u)));
        }
        if (n == ADMIN_PAGE) {
            strbuf_reset(&u);
            strbuf_printf(&u, "%s/admin/audit?page=%lld", req->app->base,
                          (long long)(page + 1));
            json_object_set_new(m, "next_url", json_string(strbuf_peek(&u)));
        }
        strbuf_free(&u);
    }
    return 200;
}

/* GET /admin/users: every account (admins only). */
int
page_admin_users_get(struct req *req, json_t **model)
{
    json_t *m = admin_model(req), *users;
    size_t i;

    *model = m;
    if (auth_user_list(req->db, &users) < 0) {
        return 500;
    }
    for (i = 0; i < json_array_size(users); i++) {
        json_t *u = json_array_get(users, i);
        struct strbuf b = STRBUF_INIT;
        const char *name = json_string_value(json_object_get(u, "name"));

        strbuf_printf(&b, "%s/admin/users/", req->app->base);
        url_encode(&b, name, strlen(name));
        json_object_set_new(u, "action_base", json_string(strbuf_peek(&b)));
        strbuf_free(&b);
    }
    json_object_set_new(m, "users", users);
    return 200;
}

static int
user_result(struct req *req, int rc, const char *err, json_t **model)
{
    if (rc == 0) {
        return redirect(req, "/admin/users");
    }
    *model = json_pack("{s:s}", "message", err[0] ? err : "refused");
    return rc == AUTH_ENOENT   ? 404
           : rc == AUTH_EEXIST ? 409
           : rc == AUTH_EDB    ? 503
                               : 400;
}

/* POST /admin/users (username, role, password): add an account. */
int
page_admin_users_post(struct req *req, json_t **model)
{
    char err[256] = "";
    int role = auth_role_parse(req_form(req, "role"));
    const char *name = req_form(req, "username");
    const char *pw = req_form(req, "password");
    int rc;

    if (name == NULL || pw == NULL || role == 0) {
        return 400;
    }
    rc = auth_user_add(req->app->wdb, name, role, pw, req->user->name,
                       req->client, err, sizeof(err));
    return user_result(req, rc, err, model);
}

/* POST /admin/users/NAME/ACTION: disable, enable, role (role), passwd
 * (password). */
int
page_admin_user_action_post(struct req *req, json_t **model)
{
    const char *name = req->captures[0];
    const char *act = req->captures[1];
    struct db *w = req->app->wdb;
    char err[256] = "";
    int rc;

    if (strcmp(act, "disable") == 0 || strcmp(act, "enable") == 0) {
        rc = auth_user_set_disabled(w, name, act[0] == 'd', req->user->name,
                                    req->client, err, sizeof(err));
    } else if (strcmp(act, "role") == 0) {
        int role = auth_role_parse(req_form(req, "role"));

        if (role == 0) {
            return 400;
        }
        rc = auth_user_set_role(w, name, role, req->user->name, req->client,
                                err, sizeof(err));
    } else if (strcmp(act, "passwd") == 0) {
        const char *pw = req_form(req, "password");

        if (pw == NULL) {
            return 400;
        }
        rc = auth_user_passwd(w, name, pw, req->user->name, req->client, err,
                              sizeof(err));
    } else {
        return 404;
    }
    return user_result(req, rc, err, model);
}
