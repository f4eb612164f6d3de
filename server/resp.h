/*
 * resp: the response a handler gives besides its status and model, and
 * the only way a handler sets it.  Layer: server/; depends on lib/ (tmpl,
 * i18n), never on microhttpd.h.
 *
 * struct resp is the transport value http.c turns into the wire answer;
 * its fields belong to this file, to the router (which finishes the answer:
 * ETag, 304, Range, gzip, see finish.h) and to http.c.  Handlers
 * (server/page_*.c, xmlview.c) call the functions below and never name a
 * field (tests/layering.sh fails when one does), so that what a page may
 * say about its answer is a short list, and a change to how answers are
 * cached or compressed is made in one place.
 *
 * Ownership: a `*_new` function steals its buffer (freed with kw_free
 * after sending, or at once when replaced); every other pointer is
 * borrowed and must live as long as the request (static, app or arena
 * storage).
 */
#ifndef KW_RESP_H
#define KW_RESP_H

#include <jansson.h>
#include <stddef.h>

struct req;
struct strbuf;

/* What a handler answers besides its model; http.c turns it into the
 * wire response.  Strings are borrowed (static, arena or app lifetime). */
struct resp {
    int status;
    const char *ctype;
    const char *body; /* raw body; NULL: render the model */
    size_t len;
    char *owned;    /* body buffer to kw_free after sending, or NULL */
    const char *gz; /* precompressed body, borrowed, or NULL */
    size_t gzlen;
    int gzipped; /* body is gzip (Content-Encoding set) */
    char etag[80];
    const char *cache_control;
    const char *location;
    const char *csp; /* overrides the default policy */
    const char *allow;
    const char *set_cookie;
    const char *retry_after;
    int close; /* close the connection after this response */
    int vary_encoding;
    int ranges; /* byte ranges may be served (Accept-Ranges) */
    char content_range[96];
    const char *disposition; /* Content-Disposition */
    long delay_ms; /* hold the answer this long before sending it; http.c
                      holds it without a thread (a failed login's wait) */
};

/* The headers a handler may set (resp_header). */
enum resp_field {
    RESP_CACHE_CONTROL, /* overrides the default no-cache */
    RESP_CSP,           /* Content-Security-Policy, overrides the default */
    RESP_SET_COOKIE,    /* one cookie (router_set_cookie builds it) */
    RESP_RETRY_AFTER,   /* with a 429 or 503 */
    RESP_DISPOSITION,   /* Content-Disposition */
};

/* Set header f to value (borrowed; NULL takes it away). */
void resp_header(struct req *req, enum resp_field f, const char *value);
/* A strong ETag (already quoted, at most 79 bytes) for the body; without
 * one the router hashes a 200's body itself. */
void resp_etag(struct req *req, const char *etag);
/* The body may be answered in byte ranges (Range, If-Range). */
void resp_ranges(struct req *req);
/* Hold the answer ms milliseconds before sending it (http.c does it
 * without holding a thread). */
void resp_delay(struct req *req, long ms);

/* The body: len bytes of type ctype (static), borrowed. */
void resp_bytes(struct req *req, const char *ctype, const void *body,
                size_t len);
/* The same with gz (gzlen bytes, borrowed) its precompressed form, sent
 * to clients that accept gzip. */
void resp_bytes_gz(struct req *req, const char *ctype, const void *body,
                   size_t len, const void *gz, size_t gzlen);
/* The body: body (len bytes, new: stolen) of type ctype. */
void resp_bytes_new(struct req *req, const char *ctype, char *body, size_t len);
/* The body: sb's bytes (taken: sb is left empty) of type ctype. */
void resp_strbuf(struct req *req, const char *ctype, struct strbuf *sb);
/* An HTML body made by the handler (sb's bytes, taken). */
void resp_html(struct req *req, struct strbuf *sb);
/* v (borrowed) as a compact JSON body.  0, or -1 out of memory (then a
 * 500 body is set). */
int resp_json(struct req *req, const json_t *v);
/* Render `view` with model (borrowed) and the page object (layout data:
 * language, strings, URLs) as the body, of type ctype (NULL: HTML).  0,
 * or -1 when rendering failed (logged). */
int resp_view(struct req *req, const char *view, json_t *model,
              const char *ctype);
/* A redirect to location (borrowed) with an empty body; returns status
 * (301, 302 or 303) for the handler to return. */
int resp_redirect(struct req *req, int status, const char *location);
/* The error page for status (message may be NULL): HTML, or JSON under
 * /api/; never stored by caches.  Replaces whatever body was set. */
void resp_error(struct req *req, int status, const char *message);

/* Render `view` with model (borrowed) and the page object into out, as
 * resp_view does.  0 or -1. */
int resp_render(struct req *req, const char *view, json_t *model,
                struct strbuf *out);
/* Drop whatever body a previous step left (the router's, on errors). */
void resp_reset_body(struct req *req);

#endif
