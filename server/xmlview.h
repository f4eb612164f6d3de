/*
 * xmlview: what the machine-readable XML answers share (the OPDS
 * catalogue, page_opds.c, and the OAI-PMH endpoint, page_oai.c): the
 * request's own origin for absolute URLs, UTC timestamps, text made safe
 * for XML 1.0, and rendering an XML view into the response.  Layer:
 * server/; depends on the router and lib/, never on microhttpd.h.
 *
 * Absolute URLs come from the request's Host header (as the Atom feeds
 * build theirs), which a reverse proxy in front must pass through; a Host
 * with characters no host name has is replaced by "localhost" rather than
 * echoed.  Every returned string is borrowed from the request's arena.
 */
#ifndef KW_XMLVIEW_H
#define KW_XMLVIEW_H

#include <jansson.h>
#include <stdint.h>

#include "router.h"

/* The request's host without its port ("portal.example", "[::1]"). */
const char *xmlview_host(struct req *req);
/* "http://HOST[:PORT]" (https when the server speaks TLS). */
const char *xmlview_origin(struct req *req);
/* origin + base path + path (path starts with '/'). */
const char *xmlview_url(struct req *req, const char *path);

/* The absolute URL of the document at collection/path. */
const char *xmlview_doc_url(struct req *req, const char *collection,
                            const char *path);

/* t (Unix seconds) as "YYYY-MM-DDThh:mm:ssZ" into buf. */
void xmlview_time(int64_t t, char buf[32]);

/* A new JSON string holding s with what XML 1.0 cannot carry (control
 * characters but TAB, LF and CR; U+FFFE, U+FFFF; invalid UTF-8) replaced
 * by U+FFFD; the template escapes markup characters itself.  NULL when s
 * is NULL (json_object_set_new then sets nothing). */
json_t *xmlview_text(const char *s);

/* Render `view` with model m (borrowed) into req->resp with content type
 * ctype (static) and Cache-Control cache (static).  200, or 500. */
int xmlview_render(struct req *req, const char *view, json_t *m,
                   const char *ctype, const char *cache);

#endif
