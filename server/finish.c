/*
 * finish: what the router does to every answer after the handler, and
 * the stored pages it answers before one (finish.h).  Layer: server/;
 * depends on lib/ (gz, rendition, i18n), never on microhttpd.h.
 */
#include "finish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "gz.h"
#include "log.h"
#include "rendition.h"
#include "strbuf.h"

int
finish_etag_in(const char *inm, const char *etag)
{
    size_t el = strlen(etag);

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
        if (strncmp(inm, etag, el) == 0 &&
            (inm[el] == '\0' || inm[el] == ',' || inm[el] == ' ')) {
            return 1;
        }
        while (*inm != '\0' && *inm != ',') {
            inm++;
        }
    }
    return 0;
}

/* 1 when If-None-Match names the response's ETag. */
static int
etag_matches(const struct req *req)
{
    return finish_etag_in(req_header(req, "If-None-Match"), req->resp.etag);
}

static int
compressible(const char *ctype)
{
    return ctype != NULL && (strncmp(ctype, "text/", 5) == 0 ||
                             strncmp(ctype, "application/json", 16) == 0 ||
                             strncmp(ctype, "application/xml", 15) == 0 ||
                             strncmp(ctype, "application/atom", 16) == 0);
}

int
finish_parse_range(const char *h, size_t len, size_t *first, size_t *last)
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
    rc = finish_parse_range(req_header(req, "Range"), r->len, &first, &last);
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

/* Bodies rendered per request get a content ETag; a 200 whose ETag the
 * client has becomes 304; large text bodies get gzip. */
void
finish_response(struct req *req)
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

/* Answer from the stored rendition of req->rendition_doc in req's
 * language made under the current render id: 304 when If-None-Match
 * names its ETag (no body is read), else its bytes, gzip when the client
 * takes it.  1 answered, 0 none stored, -1 error. */
int
finish_stored_serve(struct req *req)
{
    const char *lang = i18n_langs[req->lang];
    struct resp *r = &req->resp;
    char *body;
    size_t len;
    int rc, gzipped;

    rc = rendition_etag(req->db, req->rendition_doc, lang, req->app->render_id,
                        r->etag, sizeof(r->etag));
    if (rc <= 0) {
        r->etag[0] = '\0';
        return rc;
    }
    r->ctype = "text/html; charset=utf-8";
    if (etag_matches(req)) {
        r->status = 304;
        r->body = "";
        r->len = 0;
        return 1;
    }
    rc = rendition_body(req->db, req->rendition_doc, lang, req->accept_gzip,
                        &body, &len, &gzipped);
    if (rc <= 0) {
        r->etag[0] = '\0';
        return rc;
    }
    r->status = 200;
    r->owned = body;
    r->body = body;
    r->len = len;
    r->gzipped = gzipped;
    r->vary_encoding = 1;
    return 1;
}

/* Store a fresh rendition through the writer; failure only costs speed. */
static void
stored_put(struct req *req, const char *html, size_t len,
           const unsigned char *gz, size_t gzlen)
{
    struct db *w = req->app->wdb;
    int64_t doc = req->rendition_doc;

    if (w == NULL || db_write_begin(w) != SQLITE_OK) {
        return;
    }
    if (rendition_put(w, doc, i18n_langs[req->lang], req->app->render_id,
                      req->resp.etag, html, len, gz, gzlen,
                      (int64_t)time(NULL)) < 0) {
        LOG_WARN("rendition of %lld not stored: %s", (long long)doc,
                 db_errmsg(w));
        db_write_rollback(w);
        return;
    }
    db_write_commit(w);
}

/* Render view with the handler's model (borrowed), compress it, give it
 * its strong ETag, store it for the next request and answer with it.  0,
 * or -1 when rendering failed. */
int
finish_stored_build(struct req *req, const char *view, json_t *model)
{
    struct resp *r = &req->resp;
    struct strbuf out = STRBUF_INIT;
    unsigned char *gz = NULL;
    size_t gzlen = 0, len;
    char hex[65], *html;

    if (resp_render(req, view, model, &out) < 0) {
        strbuf_free(&out);
        return -1;
    }
    if (out.len >= GZ_MIN_SIZE &&
        gz_compress(out.buf, out.len, 9, &gz, &gzlen) < 0) {
        gz = NULL;
    }
    sha256_hex(out.buf, out.len, hex);
    snprintf(r->etag, sizeof(r->etag), "\"%.24s\"", hex);
    stored_put(req, out.buf, out.len, gz, gzlen);
    html = strbuf_detach(&out, &len);
    r->ctype = "text/html; charset=utf-8";
    r->vary_encoding = 1;
    if (gz != NULL && req->accept_gzip) {
        /* Serve the compressed copy; the plain one is no longer needed. */
        kw_free(html);
        r->owned = (char *)gz;
        r->len = gzlen;
        r->gzipped = 1;
    } else {
        kw_free(gz);
        r->owned = html;
        r->len = len;
    }
    r->body = r->owned;
    return 0;
}
