/*
 * mime: the one table from a file name's extension to its Content-Type,
 * for the static files the server loads at start and for the assets
 * (images, stylesheets) ingest stores from a mirrored tree.  Layer: lib/,
 * libc only; never microhttpd.h, server/ or ingest/.  One table, so a file
 * cannot be one type when it ships in static/ and another when it comes
 * with a document.
 */
#ifndef KW_MIME_H
#define KW_MIME_H

#include <stddef.h>

/* Flag of an entry: ingest stores files of this type as a tree's assets.
 * Only what a document page loads by itself (images, stylesheets): no
 * script, SVG, font or document type. */
#define MIME_ASSET 1u

/* The Content-Type for name (borrowed) by what follows its last '.', in
 * any case ("css/site.CSS" -> "text/css; charset=utf-8"), when the table
 * knows it and its entry has every flag of `flags`; else NULL.  A static
 * string. */
const char *mime_type(const char *name, unsigned flags);

/* The charset parameter of a Content-Type value (borrowed, may be NULL),
 * copied into buf[n] without quotes: "text/html; charset=\"EUC-KR\"" ->
 * "EUC-KR".  buf, or NULL when there is none or it does not fit. */
const char *mime_charset(const char *ctype, char *buf, size_t n);

#endif
