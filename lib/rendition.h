/*
 * rendition: the stored renditions of document pages (table rendition):
 * each published document rendered once per UI language, kept with its
 * gzip form and a strong ETag under the render id of the templates,
 * strings and assets that made it, so that a request answers from stored
 * bytes and a 304 needs only the ETag.  The one owner of the SQL on that
 * table.  Layer: lib/; depends on db; never on microhttpd.h; never prints.
 *
 * Writes run inside the caller's write transaction (db_write_begin()):
 * rendition_put is a cache fill that the page may give up on, and
 * rendition_invalidate belongs to the transaction that publishes or
 * withdraws.  Every pointer argument is borrowed.
 */
#ifndef KW_RENDITION_H
#define KW_RENDITION_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

/* The ETag of the rendition of document doc in language lang when it was
 * made under render id build_id, into etag (n bytes, caller-owned).  1
 * found, 0 none or one from another render id, -1 error. */
int rendition_etag(struct db *db, int64_t doc, const char *lang,
                   const char *build_id, char *etag, size_t n);
/* The stored bytes of that rendition: its gzip form when gzip is set and
 * one is stored (*gzipped then 1), else the plain HTML.  *body is new
 * (kw_free), *len its length.  1 found, 0 none, -1 out of memory. */
int rendition_body(struct db *db, int64_t doc, const char *lang, int gzip,
                   char **body, size_t *len, int *gzipped);
/* Store (or replace) the rendition of doc in lang: html (len bytes), its
 * gzip form (NULL: none stored), the render id and ETag, now as
 * created_at.  0 or -1. */
int rendition_put(struct db *w, int64_t doc, const char *lang,
                  const char *build_id, const char *etag, const char *html,
                  size_t len, const unsigned char *gz, size_t gzlen,
                  int64_t now);
/* Drop the renditions of document doc and of every document that links
 * to url_norm (may be NULL).  0 or -1. */
int rendition_invalidate(struct db *w, int64_t doc, const char *url_norm);

#endif
