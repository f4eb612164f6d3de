/*
 * resp: the response API of handlers (resp.h): bodies, redirects, the
 * headers a page may set, views rendered with the page object, and error
 * pages.  Layer: server/; depends on lib/ (tmpl, i18n, html), never on
 * microhttpd.h.
 */
#include "resp.h"

#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "html.h"
#include "log.h"
#include "router.h"
#include "strbuf.h"

void
resp_header(struct req *req, enum resp_field f, const char *value)
{
    struct resp *r = &req->resp;

    switch (f) {
    case RESP_CACHE_CONTROL:
        r->cache_control = value;
        break;
    case RESP_CSP:
        r->csp = value;
        break;
    case RESP_SET_COOKIE:
        r->set_cookie = value;
        break;
    case RESP_RETRY_AFTER:
        r->retry_after = value;
        break;
    case RESP_DISPOSITION:
        r->disposition = value;
        break;
    }
}

void
resp_etag(struct req *req, const char *etag)
{
    snprintf(req->resp.etag, sizeof(req->resp.etag), "%s", etag);
}

void
resp_ranges(struct req *req)
{
    req->resp.ranges = 1;
}

void
resp_delay(struct req *req, long ms)
{
    req->resp.delay_ms = ms;
}

void
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

/* Replace the body, keeping the ETag a handler may have set first. */
static void
set_body(struct req *req, const char *ctype, const char *body, size_t len,
         char *owned)
{
    struct resp *r = &req->resp;

    kw_free(r->owned);
    r->owned = owned;
    r->body = body;
    r->len = len;
    r->gz = NULL;
    r->gzlen = 0;
    r->ctype = ctype;
}

void
resp_bytes(struct req *req, const char *ctype, const void *body, size_t len)
{
    set_body(req, ctype, body, len, NULL);
}

void
resp_bytes_gz(struct req *req, const char *ctype, const void *body, size_t len,
              const void *gz, size_t gzlen)
{
    set_body(req, ctype, body, len, NULL);
    req->resp.gz = gz;
    req->resp.gzlen = gzlen;
}

void
resp_bytes_new(struct req *req, const char *ctype, char *body, size_t len)
{
    set_body(req, ctype, body, len, body);
}

void
resp_strbuf(struct req *req, const char *ctype, struct strbuf *sb)
{
    size_t len;
    char *s;

    if (sb->len == 0) {
        strbuf_free(sb);
        set_body(req, ctype, "", 0, NULL);
        return;
    }
    s = strbuf_detach(sb, &len);
    set_body(req, ctype, s, len, s);
}

void
resp_html(struct req *req, struct strbuf *sb)
{
    resp_strbuf(req, "text/html; charset=utf-8", sb);
}

int
resp_json(struct req *req, const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT);

    if (s == NULL) {
        static const char oom[] =
            "{\"error\":{\"code\":500,\"message\":\"out of memory\"}}";

        req->resp.status = 500;
        set_body(req, "application/json", oom, sizeof(oom) - 1, NULL);
        return -1;
    }
    /* malloc'd by jansson; kw_free is free */
    set_body(req, "application/json", s, strlen(s), s);
    return 0;
}

int
resp_redirect(struct req *req, int status, const char *location)
{
    req->resp.location = location;
    req->resp.body = "";
    return status;
}

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

int
resp_render(struct req *req, const char *view, json_t *model,
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

int
resp_view(struct req *req, const char *view, json_t *model, const char *ctype)
{
    struct strbuf sb = STRBUF_INIT;
    size_t len;
    char *s;

    if (resp_render(req, view, model, &sb) < 0) {
        strbuf_free(&sb);
        return -1;
    }
    s = strbuf_detach(&sb, &len);
    set_body(req, ctype != NULL ? ctype : "text/html; charset=utf-8", s, len,
             s);
    return 0;
}

void
resp_error(struct req *req, int status, const char *message)
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
    if (router_is_api(req)) {
        json_t *e = json_object();

        json_object_set_new(e, "code", json_integer(status));
        json_object_set_new(e, "message",
                            json_string(message ? message : title));
        json_object_set_new(m, "error", e);
        resp_json(req, m);
    } else {
        json_object_set_new(m, "status", json_integer(status));
        json_object_set_new(m, "title", json_string(title));
        if (message != NULL) {
            json_object_set_new(m, "message", json_string(message));
        }
        if (resp_view(req, "error", m, NULL) < 0) {
            resp_bytes(req, "text/plain; charset=utf-8", "error\n", 6);
        }
    }
    json_decref(m);
    req->resp.cache_control = "no-store";
}
