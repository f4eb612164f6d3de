/*
 * page_static: /static/NAME from the in-memory table built at start.
 * Layer: server/.  Content-hashed names are immutable for a year; plain
 * names revalidate with their ETag.  Names not in the table are 404, so
 * no request reaches the file system.
 */
#include <string.h>

#include "pages.h"

/* GET /static/NAME: one file of static/, gzip when stored so. */
int
page_static_get(struct req *req, json_t **model)
{
    int immutable;
    const struct static_file *f =
        static_find(&req->app->statics, req->captures[0], &immutable);

    (void)model;
    if (f == NULL) {
        return 404;
    }
    req->resp.ctype = f->ctype;
    req->resp.body = (const char *)f->data;
    req->resp.len = f->len;
    req->resp.gz = (const char *)f->gz;
    req->resp.gzlen = f->gzlen;
    memcpy(req->resp.etag, f->etag, sizeof(f->etag));
    req->resp.cache_control =
        immutable ? "public, max-age=31536000, immutable" : "public, no-cache";
    return 200;
}

/* GET /favicon.ico: browsers ask for it whatever the page says. */
int
page_favicon_get(struct req *req, json_t **model)
{
    int immutable;
    const struct static_file *f =
        static_find(&req->app->statics, "img/favicon.svg", &immutable);

    (void)model;
    if (f == NULL) {
        return 404;
    }
    req->resp.ctype = f->ctype;
    req->resp.body = (const char *)f->data;
    req->resp.len = f->len;
    memcpy(req->resp.etag, f->etag, sizeof(f->etag));
    req->resp.cache_control = "public, max-age=86400";
    return 200;
}
