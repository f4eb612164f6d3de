/*
 * render: late binding of the links in a stored body.  Layer: lib/;
 * depends on db, document, rendition, url, html; never on microhttpd.h.
 *
 * Bodies keep every link as the absolute URL it had outside (resolved at
 * ingest).  When a page is rendered, each href and src is bound to what
 * the intranet has now: a published document with that source URL becomes
 * its /c/NAME/PATH (fragment kept), a stored asset its own path, anything
 * else the external-link page /external?url=...; an image that is not
 * stored (or has no source) is replaced by its alt text.  Publishing a document
 * invalidates the renditions of the pages that link to it, so old links
 * start to lead inside without a re-ingest.
 */
#ifndef KW_RENDER_H
#define KW_RENDER_H

#include <stdint.h>

#include "db.h"
#include "strbuf.h"

/* The URL prefix a collection's tree had outside: its source URL, or the
 * private base ingest gives trees without one. */
#define RENDER_PRIVATE_BASE "http://kwangmyong.invalid/c/"

/* Append the URL of a published document, base/c/NAME/PATH[#ANCHOR], to
 * sb: base is the portal's URL prefix without trailing slash ("" or
 * "/p"), NAME is percent-encoded as one path segment (url_encode), PATH
 * keeping its '/' (url_encode_path), so a directory path keeps its
 * trailing slash.  path NULL or "" gives the collection's root,
 * base/c/NAME/.  anchor is raw text, percent-encoded after '#'; NULL or ""
 * for none.  All arguments borrowed; name must not be NULL.  Out of
 * memory sets sb's sticky flag (strbuf_ok). */
void render_doc_url(struct strbuf *sb, const char *base, const char *name,
                    const char *path, const char *anchor);

/* Bind the links of body (sanitizer output, NUL-terminated) and append
 * the result to out.  base is the portal's URL prefix ("" or "/p").
 * 0, or -1 on a database error or out of memory. */
int render_bind_links(struct db *db, const char *body, const char *base,
                      struct strbuf *out);

/* Where render_bind_offline puts what a copy of one collection holds.
 * locate appends to out the URL, relative to the page being bound, of the
 * published document (is_doc 1) or the asset (is_doc 0) at path in the
 * collection (borrowed), and returns 1; 0 when the copy leaves it out,
 * -1 on error.  ctx is the caller's. */
struct render_offline {
    int64_t collection_id;
    int (*locate)(void *ctx, const char *path, int is_doc, struct strbuf *out);
    void *ctx;
};

/* Bind body as render_bind_links does, for a copy of one collection read
 * away from the portal (a ZIM export): a link to a published document or
 * asset of that collection becomes what off->locate gives (fragment
 * kept); a link to anything else, other collections included, loses its
 * href, so it reads as plain text (the copy has no /external page and
 * must load nothing from outside); an image that is not in the copy
 * becomes its alt text.  0, or -1 on a database error or out of memory. */
int render_bind_offline(struct db *db, const char *body,
                        const struct render_offline *off, struct strbuf *out);

/* Drop the stored renditions of document `doc` and of every document
 * that links to `url_norm` (may be NULL), through rendition.h; called in
 * the write transaction that publishes or withdraws it.  0 or -1. */
int render_invalidate(struct db *db, int64_t doc, const char *url_norm);

#endif
