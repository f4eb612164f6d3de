/*
 * router: route matching, method and role checks, rendering of views and
 * JSON, error pages, ETag/304 and compression of the answer.  Layer:
 * server/; depends on lib/ (tmpl, i18n, gz), never on microhttpd.h.
 */
#include "router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "alloc.h"
#include "gz.h"
#include "html.h"
#include "log.h"
#include "strbuf.h"

const int router_status_codes[ROUTER_NSTATUS] = {
    200, 204, 206, 301, 302, 303, 304, 400, 403, 404,
    405, 409, 410, 413, 416, 429, 500, 503, 401, 0};
const long router_buckets_us[ROUTER_NBUCKETS] = {
    500,   1000,   2500,   5000,   10000,   25000,
    50000, 100000, 250000, 500000, 1000000, -1};

int
router_status_slot(int status)
{
    int i;

    for (i = 0; i < ROUTER_NSTATUS - 1; i++) {
        if (router_status_codes[i] == status) {
            return i;
        }
    }
    return ROUTER_NSTATUS - 1; /* "other" */
}

void
router_account(struct app *app, int route, int status, long usec)
{
    int b;
    size_t r = route < 0 ? nroutes : (size_t)route;

    if (app->req_count != NULL) {
        atomic_fetch_add(&app->req_count[r * ROUTER_NSTATUS +
                                         (size_t)router_status_slot(status)],
                         1);
    }
    for (b = 0; b < ROUTER_NBUCKETS - 1; b++) {
        if (usec <= router_buckets_us[b]) {
            break;
        }
    }
    atomic_fetch_add(&app->lat_bucket[b], 1);
    atomic_fetch_add(&app->lat_sum_us, (unsigned long)(usec > 0 ? usec : 0));
    atomic_fetch_add(&app->lat_count, 1);
}

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

/* ---- rendering ---- */

/* Layout-only data for templates; never part of a JSON answer. */
static json_t *
page_model(struct req *req)
{
    struct app *app = req->app;
    json_t *page = json_object(), *langs = json_array();
    int i;

    json_object_set_new(page, "lang", json_string(i18n_langs[req->lang]));
    json_object_set(page, "t", i18n_strings(&app->i18n, req->lang));
    json_object_set_new(page, "base", json_string(app->base));
    json_object_set_new(page, "home", json_string(req_url(req, "/")));
    json_object_set_new(page, "search_url",
                        json_string(req_url(req, "/search")));
    json_object_set(page, "static", app->static_urls);
    for (i = 0; i < I18N_NLANG; i++) {
        json_t *l = json_object();
        struct strbuf u = STRBUF_INIT;

        /* /lang/CODE sets the cookie and returns to this very URL, query
         * and all. */
        strbuf_printf(&u, "%s/lang/%s?back=", app->base, i18n_langs[i]);
        {
            struct strbuf here = STRBUF_INIT;
            const char *q = req->raw_uri ? strchr(req->raw_uri, '?') : NULL;

            strbuf_puts(&here, app->base);
            url_encode_path(&here, req->path, strlen(req->path));
            if (q != NULL) {
                strbuf_puts(&here, q);
            }
            url_encode(&u, here.buf ? here.buf : "/", here.len);
            strbuf_free(&here);
        }
        json_object_set_new(l, "code", json_string(i18n_langs[i]));
        json_object_set_new(
            l, "label",
            json_string(json_string_value(json_object_get(
                i18n_strings(&app->i18n, i), "language_name"))));
        json_object_set_new(l, "url", json_string(strbuf_peek(&u)));
        json_object_set_new(l, "current", json_boolean(i == req->lang));
        json_array_append_new(langs, l);
        strbuf_free(&u);
    }
    json_object_set_new(page, "languages", langs);
    return page;
}

/* JSON answer of a model (borrowed). */
static void
respond_json(struct req *req, json_t *model)
{
    char *s = json_dumps(model, JSON_COMPACT);

    if (s == NULL) {
        req->resp.status = 500;
        req->resp.body = "{\"error\":{\"code\":500,\"message\":\"out of "
                         "memory\"}}";
        req->resp.len = strlen(req->resp.body);
    } else {
        req->resp.owned = s;
        req->resp.body = s;
        req->resp.len = strlen(s);
    }
    req->resp.ctype = "application/json";
}

int
router_render(struct req *req, const char *view, json_t *model,
              struct strbuf *out)
{
    json_t *ctx = json_deep_copy(model);
    int rc;

    if (ctx == NULL) {
        return -1;
    }
    json_object_set_new(ctx, "page", page_model(req));
    rc = tmpl_render(req->app->tmpl, view, ctx, out);
    json_decref(ctx);
    if (rc < 0 || !strbuf_ok(out)) {
        LOG_ERROR("req %lu: rendering %s failed", req->id, view);
        return -1;
    }
    return 0;
}

/* Render `view` with the model (borrowed) plus the page object. */
static int
respond_view(struct req *req, const char *view, json_t *model)
{
    struct strbuf sb = STRBUF_INIT;

    if (router_render(req, view, model, &sb) < 0) {
        strbuf_free(&sb);
        return -1;
    }
    req->resp.owned = strbuf_detach(&sb, &req->resp.len);
    req->resp.body = req->resp.owned;
    req->resp.ctype = "text/html; charset=utf-8";
    return 0;
}

static int
is_api(const struct req *req)
{
    return strncmp(req->path, "/api/", 5) == 0 ||
           strcmp(req->path, "/api") == 0;
}

/* Drop whatever body a previous step left. */
static void
resp_reset_body(struct req *req)
{
    kw_free(req->resp.owned);
    req->resp.owned = NULL;
    req->resp.body = NULL;
    req->resp.len = 0;
    req->resp.gz = NULL;
    req->resp.gzlen = 0;
    req->resp.etag[0] = '\0';
}

void
router_error(struct req *req, int status, const char *message)
{
    char key[32];
    const char *title;
    json_t *strings = i18n_strings(&req->app->i18n, req->lang);
    json_t *m;

    resp_reset_body(req);
    req->resp.status = status;
    snprintf(key, sizeof(key), "error_%d", status);
    title = json_string_value(json_object_get(strings, key));
    if (title == NULL) {
        title = json_string_value(json_object_get(strings, "error_other"));
    }
    if (title == NULL) {
        title = "Error";
    }
    m = json_object();
    if (is_api(req)) {
        json_t *e = json_object();

        json_object_set_new(e, "code", json_integer(status));
        json_object_set_new(e, "message",
                            json_string(message ? message : title));
        json_object_set_new(m, "error", e);
        respond_json(req, m);
    } else {
        json_object_set_new(m, "status", json_integer(status));
        json_object_set_new(m, "title", json_string(title));
        if (message != NULL) {
            json_object_set_new(m, "message", json_string(message));
        }
        if (respond_view(req, "error", m) < 0) {
            req->resp.body = "error\n";
            req->resp.len = 6;
            req->resp.ctype = "text/plain; charset=utf-8";
        }
    }
    json_decref(m);
    req->resp.cache_control = "no-store";
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

/* 1 when If-None-Match names the response's ETag. */
static int
etag_matches(const struct req *req)
{
    const char *inm = req_header(req, "If-None-Match");
    size_t el = strlen(req->resp.etag);

    if (inm == NULL || el == 0) {
        return 0;
    }
    if (strcmp(inm, "*") == 0) {
        return 1;
    }
    while (*inm != '\0') {
        while (*inm == ' ' || *inm == ',') {
            inm++;
        }
        if (strncmp(inm, "W/", 2) == 0) {
            inm += 2;
        }
        if (strncmp(inm, req->resp.etag, el) == 0 &&
            (inm[el] == '\0' || inm[el] == ',' || inm[el] == ' ')) {
            return 1;
        }
        while (*inm != '\0' && *inm != ',') {
            inm++;
        }
    }
    return 0;
}

static int
compressible(const char *ctype)
{
    return ctype != NULL && (strncmp(ctype, "text/", 5) == 0 ||
                             strncmp(ctype, "application/json", 16) == 0 ||
                             strncmp(ctype, "application/xml", 15) == 0 ||
                             strncmp(ctype, "application/atom", 16) == 0);
}

/* Bodies rendered per request get a content ETag; a 200 whose ETag the
 * client has becomes 304; large text bodies get gzip. */
int
router_parse_range(const char *h, size_t len, size_t *first, size_t *last)
{
    char *end;
    unsigned long long a, b;

    if (h == NULL || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',')) {
        return 0; /* absent, another unit, or several ranges: whole body */
    }
    h += 6;
    if (*h == '-') {
        b = strtoull(h + 1, &end, 10);
        if (end == h + 1 || *end != '\0') {
            return 0;
        }
        if (b == 0 || len == 0) {
            return -1;
        }
        *first = b >= len ? 0 : len - (size_t)b;
        *last = len - 1;
        return 1;
    }
    if (*h < '0' || *h > '9') {
        return 0;
    }
    a = strtoull(h, &end, 10);
    if (*end != '-') {
        return 0;
    }
    if (end[1] == '\0') {
        b = len > 0 ? len - 1 : 0;
    } else {
        char *e2;

        b = strtoull(end + 1, &e2, 10);
        if (*e2 != '\0' || b < a) {
            return 0;
        }
        if (b >= len) {
            b = len - 1;
        }
    }
    if (a >= len) {
        return -1;
    }
    *first = (size_t)a;
    *last = (size_t)b;
    return 1;
}

/* Serve one byte range of a 200 body when asked (and If-Range agrees). */
static void
apply_range(struct req *req)
{
    struct resp *r = &req->resp;
    const char *ifr = req_header(req, "If-Range");
    size_t first, last;
    int rc;

    if (!r->ranges || r->status != 200 || r->body == NULL) {
        return;
    }
    if (ifr != NULL && strcmp(ifr, r->etag) != 0) {
        return; /* the client's copy is stale: send it all */
    }
    rc = router_parse_range(req_header(req, "Range"), r->len, &first, &last);
    if (rc == 0) {
        return;
    }
    if (rc < 0) {
        snprintf(r->content_range, sizeof(r->content_range), "bytes */%zu",
                 r->len);
        kw_free(r->owned);
        r->owned = NULL;
        r->body = NULL;
        r->len = 0;
        r->status = 416;
        return;
    }
    snprintf(r->content_range, sizeof(r->content_range), "bytes %zu-%zu/%zu",
             first, last, r->len);
    r->body += first;
    r->len = last - first + 1;
    r->status = 206;
}

static void
finish(struct req *req)
{
    struct resp *r = &req->resp;

    if (r->status == 200 && r->body != NULL && r->etag[0] == '\0') {
        char hex[65];

        sha256_hex(r->body, r->len, hex);
        snprintf(r->etag, sizeof(r->etag), "\"%.20s\"", hex);
    }
    if (r->status == 200 && etag_matches(req)) {
        kw_free(r->owned);
        r->owned = NULL;
        r->status = 304;
        r->body = NULL;
        r->len = 0;
        r->gz = NULL;
        return;
    }
    if (r->ranges) {
        apply_range(req);
        return; /* ranges are of the identity encoding */
    }
    if (r->gzipped) {
        return; /* a stored compressed body */
    }
    if (r->gz != NULL) {
        r->vary_encoding = 1;
        if (req->accept_gzip) {
            r->body = r->gz;
            r->len = r->gzlen;
            r->gzipped = 1;
        }
        return;
    }
    if (r->body != NULL && r->len >= 1400 && compressible(r->ctype)) {
        unsigned char *gz;
        size_t gzlen;

        r->vary_encoding = 1;
        if (req->accept_gzip &&
            gz_compress(r->body, r->len, 6, &gz, &gzlen) == 0) {
            kw_free(r->owned);
            r->owned = (char *)gz;
            r->body = (char *)gz;
            r->len = gzlen;
            r->gzipped = 1;
        }
    }
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
        router_error(req, 503, "read-only copy: no primary_url is set");
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
        router_error(req, 500, NULL);
        return;
    }
    snprintf(loc, n, "%.*s%s%s", (int)pl, primary, rest[0] == '/' ? "" : "/",
             rest);
    router_error(req, 303, NULL);
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

            router_error(req, 405, NULL);
            req->resp.allow = allow[allowed & 5];
        } else {
            router_error(req, 404, NULL);
        }
        finish(req);
        return;
    }
    /* A read-only replica writes nothing: the admin pages, the login and
     * every form are the primary's. */
    if (req->app->cfg->read_only &&
        (req->method == REQ_POST || strncmp(rt->pattern, "/admin", 6) == 0)) {
        to_primary(req);
        finish(req);
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
            router_error(req, req->method == REQ_POST ? 403 : 303, NULL);
            if (req->method != REQ_POST) {
                resp_reset_body(req);
                req->resp.body = "";
                req->resp.location = req_url(req, "/admin/login");
            }
            req->resp.cache_control = "no-store";
            finish(req);
            return;
        }
        if (req->user->role < need) {
            router_error(req, 403, NULL);
            req->resp.cache_control = "no-store";
            finish(req);
            return;
        }
    }
    if ((rt->flags & ROUTE_CSRF) && !router_csrf_ok(req)) {
        router_error(req, 403, "cross-site request refused");
        finish(req);
        return;
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
        router_error(req, status, msg);
    } else if (req->resp.body == NULL && model != NULL) {
        req->resp.status = status;
        if ((rt->flags & ROUTE_JSON) || rt->view == NULL || is_api(req)) {
            respond_json(req, model);
        } else if (respond_view(req, rt->view, model) < 0) {
            router_error(req, 500, NULL);
        }
    } else {
        req->resp.status = status;
    }
    json_decref(model);
    finish(req);
}

/* ---- application state ---- */

int
app_init(struct app *app, struct config *cfg, const char *data_dir, char *err,
         size_t errlen)
{
    char path[4096];
    struct tmpl_error te;
    size_t i;

    memset(app, 0, sizeof(*app));
    app->cfg = cfg;
    app->data_dir = data_dir;
    app->base = cfg->base_path;
    app->started = time(NULL);
    snprintf(path, sizeof(path), "%s/templates/i18n", data_dir);
    if (i18n_load(&app->i18n, path, err, errlen) < 0) {
        return -1;
    }
    app->tmpl = tmpl_set_new();
    snprintf(path, sizeof(path), "%s/templates", data_dir);
    if (app->tmpl == NULL || tmpl_set_load_dir(app->tmpl, path, &te) < 0) {
        if (app->tmpl == NULL) {
            snprintf(err, errlen, "out of memory");
        } else if (te.line > 0) {
            snprintf(err, errlen, "%s:%d: %s", te.file, te.line, te.msg);
        } else {
            snprintf(err, errlen, "%s: %s", te.file, te.msg);
        }
        goto fail;
    }
    app->build_id = tmpl_set_build_id(app->tmpl);
    snprintf(path, sizeof(path), "%s/static", data_dir);
    if (static_load(&app->statics, path, err, errlen) < 0) {
        goto fail;
    }
    /* {"css_site_css": "/base/static/css/site.<hash>.css", ...} */
    app->static_urls = json_object();
    for (i = 0; i < app->statics.n; i++) {
        char key[256], url[2048];
        size_t k;

        snprintf(key, sizeof(key), "%s", app->statics.files[i].name);
        for (k = 0; key[k] != '\0'; k++) {
            if (key[k] == '/' || key[k] == '.' || key[k] == '-') {
                key[k] = '_';
            }
        }
        snprintf(url, sizeof(url), "%s/static/%s", app->base,
                 app->statics.files[i].hashed);
        json_object_set_new(app->static_urls, key, json_string(url));
    }
    /* Stored renditions depend on templates, strings, asset URLs and the
     * base path: any change gives them a new key. */
    {
        struct strbuf k = STRBUF_INIT;
        char hex[65], *t;
        int l;

        strbuf_puts(&k, app->build_id);
        strbuf_puts(&k, app->base);
        for (l = 0; l < I18N_NLANG; l++) {
            t = json_dumps(app->i18n.strings[l], JSON_SORT_KEYS);
            strbuf_puts(&k, t ? t : "");
            free(t);
        }
        t = json_dumps(app->static_urls, JSON_SORT_KEYS);
        strbuf_puts(&k, t ? t : "");
        free(t);
        sha256_hex(strbuf_peek(&k), k.len, hex);
        snprintf(app->render_id, sizeof(app->render_id), "%.16s", hex);
        strbuf_free(&k);
    }
    app->req_count =
        kw_calloc((nroutes + 1) * ROUTER_NSTATUS, sizeof(*app->req_count));
    app->searchlog = searchlog_new(10000);
    app->searchcache = searchcache_new((size_t)cfg->search_cache);
    if (app->req_count == NULL || app->searchlog == NULL ||
        app->searchcache == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return 0;
fail:
    app_free(app);
    return -1;
}

void
app_free(struct app *app)
{
    tmpl_set_free(app->tmpl);
    app->tmpl = NULL;
    i18n_free(&app->i18n);
    static_free(&app->statics);
    json_decref(app->static_urls);
    app->static_urls = NULL;
    kw_free(app->req_count);
    app->req_count = NULL;
    searchlog_free(app->searchlog);
    app->searchlog = NULL;
    searchcache_free(app->searchcache);
    app->searchcache = NULL;
}
