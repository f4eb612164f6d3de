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
    resp_bytes_gz(req, f->ctype, f->data, f->len, f->gz, f->gzlen);
    resp_etag(req, f->etag);
    resp_header(req, RESP_CACHE_CONTROL,
                immutable ? "public, max-age=31536000, immutable"
                          : "public, no-cache");
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
    resp_bytes(req, f->ctype, f->data, f->len);
    resp_etag(req, f->etag);
    resp_header(req, RESP_CACHE_CONTROL, "public, max-age=86400");
    return 200;
}
