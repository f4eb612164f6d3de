/*
 * finish: the router's side of every answer, after the handler and
 * before http.c sends it: a content ETag for bodies made per request, 304
 * when If-None-Match names it (the one parser of that header), one byte
 * range (Range, If-Range), and gzip for large text bodies (the
 * precompressed form when the handler gave one).  And the stored pages of
 * ROUTE_RENDITION routes (lib/rendition.h): answered from the stored
 * bytes, or a 304 from the stored ETag alone, before the handler runs;
 * rendered from the handler's model, compressed once and stored when none
 * was.  Layer: server/; depends on lib/, never on microhttpd.h.
 *
 * Handlers never call these: the router does (router.c).
 */
#ifndef KW_FINISH_H
#define KW_FINISH_H

#include <jansson.h>
#include <stddef.h>

#include "router.h"

/* 1 when an If-None-Match value (NULL: none) names etag (or is "*"). */
int finish_etag_in(const char *inm, const char *etag);

/* Finish req->resp as described above. */
void finish_response(struct req *req);
/* Parse a Range header against a body of `len` bytes: 1 with [*first,
 * *last] for one satisfiable range, 0 to send the whole body (no or
 * unsupported Range), -1 when unsatisfiable (416). */
int finish_parse_range(const char *h, size_t len, size_t *first, size_t *last);
/* Answer req from the stored rendition of req->rendition_doc in req's
 * language made under the current render id: 304 when If-None-Match
 * names its ETag (no body is read), else its bytes, gzip when the client
 * takes it.  1 answered, 0 none stored, -1 error. */
int finish_stored_serve(struct req *req);
/* Render view with the handler's model (borrowed), compress it, give it
 * its strong ETag, store it through the writer (a replica has none: not
 * stored) and answer with it.  0, or -1 when rendering failed. */
int finish_stored_build(struct req *req, const char *view, json_t *model);

#endif
