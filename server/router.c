/*
 * router: the request side (router.h): accessors, the UI language rule,
 * route matching and the checks the route table declares (method, role
 * and session, CSRF, body, a replica's limits), the read snapshot a
 * request runs in, and the dispatch to the handler.  What follows the
 * handler (ETag, 304, Range, gzip, stored pages) is finish.c's; what a
 * handler may answer is resp.c's; process state and metrics are app.c's.
 * Layer: server/; depends on lib/, never on microhttpd.h.
 */
#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "alloc.h"
#include "finish.h"
#include "html.h"
#include "log.h"
#include "strbuf.h"

/* ---- request accessors ---- */

static const char *
kv_find(const struct kv *kv, size_t n, const char *key, int nocase)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (nocase ? strcasecmp(kv[i].key, key) == 0
                   : strcmp(kv[i].key, key) == 0) {
            return kv[i].value;
        }
    }
    return NULL;
}

const char *
req_header(const struct req *req, const char *name)
{
    return kv_find(req->headers, req->nheaders, name, 1);
}

const char *
req_arg(const struct req *req, const char *name)
{
    return kv_find(req->args, req->nargs, name, 0);
}

const char *
req_form(const struct req *req, const char *name)
{
    return kv_find(req->form, req->nform, name, 0);
}

/* Served over TLS: cookies carry the "__Host-" prefix. */
static int
over_tls(const struct req *req)
{
    return req->app->cfg->tls_cert != NULL && req->app->cfg->tls_cert[0];
}

#define HOST_PREFIX "__Host-"

const char *
router_set_cookie(struct req *req, const char *name, const char *value,
                  const char *attrs)
{
    struct strbuf c = STRBUF_INIT;
    const char *s;

    if (over_tls(req)) {
        strbuf_printf(&c, HOST_PREFIX "%s=%s; Path=/; Secure; %s", name, value,
                      attrs);
    } else {
        strbuf_printf(&c, "%s=%s; Path=%s/; %s%s", name, value, req->app->base,
                      attrs, req->app->cfg->cookie_secure ? "; Secure" : "");
    }
    s = strbuf_ok(&c) ? arena_strdup(req->arena, strbuf_peek(&c)) : NULL;
    strbuf_free(&c);
    return s;
}

const char *
req_cookie(struct req *req, const char *name)
{
    const char *c = req_header(req, "Cookie");
    char prefixed[64];
    size_t nl;

    /* Over TLS only the prefixed cookie counts: a plain one could have
     * been planted by a sibling host or over plain HTTP. */
    if (over_tls(req)) {
        snprintf(prefixed, sizeof(prefixed), HOST_PREFIX "%s", name);
        name = prefixed;
    }
    nl = strlen(name);

    while (c != NULL && *c != '\0') {
        const char *end;

        while (*c == ' ' || *c == ';') {
            c++;
        }
        end = strchr(c, ';');
        if (end == NULL) {
            end = c + strlen(c);
        }
        if ((size_t)(end - c) > nl && strncmp(c, name, nl) == 0 &&
            c[nl] == '=') {
            return arena_strndup(req->arena, c + nl + 1,
                                 (size_t)(end - c) - nl - 1);
        }
        c = end;
    }
    return NULL;
}

const char *
req_url(struct req *req, const char *path)
{
    size_t bl = strlen(req->app->base), pl = strlen(path);
    char *p = arena_alloc(req->arena, bl + pl + 1);

    if (p == NULL) {
        return path;
    }
    memcpy(p, req->app->base, bl);
    memcpy(p + bl, path, pl + 1);
    return p;
}

/* ---- matching ---- */

/* Match path against pattern, filling captures.  1 on a match. */
static int
match(const char *pat, const char *path, struct req *req)
{
    int nc = 0;

    while (*pat != '\0') {
        if (*pat == '*' && pat[1] == '\0') {
            if (nc < 4) {
                req->captures[nc++] = path;
            }
            req->ncaptures = nc;
            return 1;
        }
        if (*pat == ':') {
            const char *end = strchr(path, '/');
            size_t n = end ? (size_t)(end - path) : strlen(path);

            if (n == 0) {
                return 0;
            }
            if (nc < 4) {
                req->captures[nc++] = arena_strndup(req->arena, path, n);
            }
            path += n;
            while (*pat != '\0' && *pat != '/') {
                pat++;
            }
            continue;
        }
        if (*pat != *path) {
            return 0;
        }
        pat++;
        path++;
    }
    req->ncaptures = nc;
    return *path == '\0';
}

int
router_is_api(const struct req *req)
{
    return strncmp(req->path, "/api/", 5) == 0 ||
           strcmp(req->path, "/api") == 0;
}

/* Split an urlencoded body into req->form (arena copies). */
static void
parse_form(struct req *req)
{
    const char *ct = req_header(req, "Content-Type");
    char *body, *p;
    size_t n = 0, cap = 64;

    if (ct == NULL || req->body == NULL ||
        strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        return;
    }
    body = arena_strndup(req->arena, req->body, req->body_len);
    req->form = arena_alloc(req->arena, cap * sizeof(*req->form));
    if (body == NULL || req->form == NULL) {
        return;
    }
    p = body;
    while (p != NULL && *p != '\0' && n < cap) {
        char *amp = strchr(p, '&'), *eq;
        long kl, vl;

        if (amp != NULL) {
            *amp = '\0';
        }
        eq = strchr(p, '=');
        if (eq != NULL) {
            *eq = '\0';
            kl = url_decode(p, strlen(p), 1);
            vl = url_decode(eq + 1, strlen(eq + 1), 1);
            if (kl >= 0 && vl >= 0 && utf8_valid(p, (size_t)kl) &&
                utf8_valid(eq + 1, (size_t)vl)) {
                req->form[n].key = p;
                req->form[n].value = eq + 1;
                n++;
            }
        }
        p = amp != NULL ? amp + 1 : NULL;
    }
    req->nform = n;
}

/* The host part of an Origin header ("http://HOST[:PORT]") equals Host. */
static int
same_origin(const char *origin, const char *host)
{
    const char *o = strstr(origin, "://");

    if (o == NULL || host == NULL) {
        return 0;
    }
    return strcasecmp(o + 3, host) == 0;
}

/* Attach the logged-in user, if the session cookie names a live session
 * (lib/auth.c checks idle and absolute expiry). */
static void
load_session(struct req *req)
{
    const char *sid = req_cookie(req, ROUTER_SESSION_COOKIE);
    struct auth_user u;
    char csrf[AUTH_HEX_LEN + 1];

    /* A read-only replica has no sessions: logins are the primary's. */
    if (sid == NULL || req->user != NULL || req->app->wdb == NULL) {
        return;
    }
    if (auth_session(req->db, req->app->wdb, sid, &u, csrf) == 1) {
        req->user = arena_alloc(req->arena, sizeof(*req->user));
        if (req->user != NULL) {
            *req->user = u;
        }
        req->session_csrf = arena_strdup(req->arena, csrf);
    }
}

int
router_csrf_ok(struct req *req)
{
    const char *site = req_header(req, "Sec-Fetch-Site");
    const char *origin = req_header(req, "Origin");
    const char *field = req_form(req, "csrf_token");
    const char *cookie = req_cookie(req, ROUTER_CSRF_COOKIE);
    size_t n;

    /* A browser that says where the request came from must say "here". */
    if (site != NULL && strcmp(site, "same-origin") != 0 &&
        strcmp(site, "none") != 0) {
        return 0;
    }
    if (origin != NULL && strcmp(origin, "null") != 0 &&
        !same_origin(origin, req_header(req, "Host"))) {
        return 0;
    }
    if (origin != NULL && strcmp(origin, "null") == 0) {
        return 0;
    }
    /* A logged-in request carries its session's token. */
    if (req->session_csrf != NULL) {
        return auth_csrf_equal(field, req->session_csrf);
    }
    /* Double submit: the form field must repeat the cookie, which a
     * cross-site page can neither read nor set. */
    if (field == NULL || cookie == NULL) {
        return 0;
    }
    n = strlen(cookie);
    if (n < 32 || strlen(field) != n) {
        return 0;
    }
    return sodium_memcmp(field, cookie, n) == 0;
}

const char *
router_csrf_token(struct req *req)
{
    const char *have = req_cookie(req, ROUTER_CSRF_COOKIE);
    unsigned char raw[16];
    char *hex;

    if (have != NULL && strlen(have) == 32 &&
        strspn(have, "0123456789abcdef") == 32) {
        return have;
    }
    hex = arena_alloc(req->arena, 33);
    if (hex == NULL) {
        return "";
    }
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2hex(hex, 33, raw, sizeof(raw));
    req->resp.set_cookie = router_set_cookie(req, ROUTER_CSRF_COOKIE, hex,
                                             "HttpOnly; SameSite=Strict");
    return hex;
}

void
router_load_session(struct req *req)
{
    load_session(req);
}

unsigned
router_route_flags(struct req *req)
{
    int m = req->method == REQ_HEAD ? REQ_GET : req->method;
    size_t i;

    for (i = 0; i < nroutes; i++) {
        if ((routes[i].methods & (unsigned)m) &&
            match(routes[i].pattern, req->path, req)) {
            return routes[i].flags;
        }
    }
    return 0;
}

/* A read-only replica's answer to what only the primary can do: 303 to
 * the same path and query at primary_url, or 503 when there is none. */
static void
to_primary(struct req *req)
{
    const char *primary = req->app->cfg->primary_url;
    const char *rest = req->raw_uri;
    size_t bl = strlen(req->app->base), pl, n;
    char *loc;

    if (primary == NULL || primary[0] == '\0') {
        resp_error(req, 503, "read-only copy: no primary_url is set");
        req->resp.cache_control = "no-store";
        return;
    }
    if (rest == NULL || strncmp(rest, req->app->base, bl) != 0) {
        rest = req->path;
    } else {
        rest += bl;
    }
    pl = strlen(primary);
    while (pl > 0 && primary[pl - 1] == '/') {
        pl--;
    }
    n = pl + strlen(rest) + 2;
    loc = arena_alloc(req->arena, n);
    if (loc == NULL) {
        resp_error(req, 500, NULL);
        return;
    }
    snprintf(loc, n, "%.*s%s%s", (int)pl, primary, rest[0] == '/' ? "" : "/",
             rest);
    resp_error(req, 303, NULL);
    resp_reset_body(req);
    req->resp.body = "";
    req->resp.location = loc;
    req->resp.cache_control = "no-store";
}

void
router_dispatch(struct req *req)
{
    size_t i;
    const struct route *rt = NULL;
    unsigned allowed = 0;
    json_t *model = NULL;
    int status, m = req->method == REQ_HEAD ? REQ_GET : req->method;

    memset(&req->resp, 0, sizeof(req->resp));
    req->route = -1;
    req->rendition_doc = 0;
    if (req->lang < 0 || req->lang >= I18N_NLANG) {
        req->lang = 0;
    }
    for (i = 0; i < nroutes; i++) {
        if (match(routes[i].pattern, req->path, req)) {
            allowed |= routes[i].methods;
            if (routes[i].methods & (unsigned)m) {
                rt = &routes[i];
                req->route = (int)i;
                break;
            }
        }
    }
    if (rt == NULL) {
        if (allowed != 0) {
            static const char *const allow[] = {
                "", "GET, HEAD", "", "GET, HEAD", "POST", "GET, HEAD, POST"};

            resp_error(req, 405, NULL);
            req->resp.allow = allow[allowed & 5];
        } else {
            resp_error(req, 404, NULL);
        }
        finish_response(req);
        return;
    }
    /* A read-only replica writes nothing: the admin pages, the login and
     * every form that changes something are the primary's. */
    if (req->app->cfg->read_only &&
        ((req->method == REQ_POST && !(rt->flags & ROUTE_READ_POST)) ||
         strncmp(rt->pattern, "/admin", 6) == 0)) {
        to_primary(req);
        finish_response(req);
        return;
    }
    if ((rt->flags & ROUTE_BODY) && req->method == REQ_POST) {
        parse_form(req);
    }
    if (rt->flags &
        (ROUTE_ROLE_OPERATOR | ROUTE_ROLE_MODERATOR | ROUTE_ROLE_ADMIN)) {
        int need = (rt->flags & ROUTE_ROLE_ADMIN)       ? AUTH_ADMIN
                   : (rt->flags & ROUTE_ROLE_MODERATOR) ? AUTH_MODERATOR
                                                        : AUTH_OPERATOR;

        load_session(req);
        if (req->user == NULL) {
            /* Not logged in: a page asks for the login form. */
            resp_error(req, req->method == REQ_POST ? 403 : 303, NULL);
            if (req->method != REQ_POST) {
                resp_reset_body(req);
                req->resp.body = "";
                req->resp.location = req_url(req, "/admin/login");
            }
            req->resp.cache_control = "no-store";
            finish_response(req);
            return;
        }
        if (req->user->role < need) {
            resp_error(req, 403, NULL);
            req->resp.cache_control = "no-store";
            finish_response(req);
            return;
        }
    }
    if ((rt->flags & ROUTE_CSRF) && !router_csrf_ok(req)) {
        resp_error(req, 403, "cross-site request refused");
        finish_response(req);
        return;
    }
    if (rt->flags & ROUTE_RENDITION) {
        int rc = rt->key(req, &req->rendition_doc);

        if (rc > 0) {
            rc = finish_stored_serve(req);
        }
        if (rc < 0) {
            resp_error(req, 500, NULL);
        }
        if (rc != 0) {
            if (rt->flags & ROUTE_NO_STORE) {
                req->resp.cache_control = "no-store";
            }
            finish_response(req);
            return;
        }
    }
    req->resp.status = 200;
    status = rt->handler(req, &model);
    if (rt->flags & ROUTE_NO_STORE) {
        req->resp.cache_control = "no-store";
    }
    if (status >= 400) {
        const char *msg = NULL;

        if (model != NULL) {
            msg = json_string_value(json_object_get(model, "message"));
        }
        if (msg != NULL) {
            msg = arena_strdup(req->arena, msg);
        }
        resp_error(req, status, msg);
    } else if (req->resp.body == NULL && model != NULL) {
        req->resp.status = status;
        if (req->rendition_doc != 0 && status == 200 && rt->view != NULL) {
            if (finish_stored_build(req, rt->view, model) < 0) {
                resp_error(req, 500, NULL);
            }
        } else if ((rt->flags & ROUTE_JSON) || rt->view == NULL ||
                   router_is_api(req)) {
            resp_json(req, model);
        } else if (resp_view(req, rt->view, model, NULL) < 0) {
            resp_error(req, 500, NULL);
        }
    } else {
        req->resp.status = status;
    }
    json_decref(model);
    finish_response(req);
}

void
router_choose_lang(struct req *req, const char *path)
{
    /* On the search pages ?lang= filters documents by language; the UI
     * language there comes from the cookie or the browser. */
    req->lang = i18n_choose(
        strncmp(path, "/search", 7) == 0 || strncmp(path, "/api/", 5) == 0
            ? NULL
            : req_arg(req, "lang"),
        req_cookie(req, "lang"), req_header(req, "Accept-Language"), req->lang);
}

void
router_run(struct req *req, long budget_ms)
{
    db_deadline_start(req->db, budget_ms);
    if (req->method != REQ_POST && db_read_begin(req->db) != SQLITE_OK) {
        LOG_WARN("read transaction: %s", db_errmsg(req->db));
    }
    router_dispatch(req);
    db_read_end(req->db);
    db_deadline_clear(req->db);
}
