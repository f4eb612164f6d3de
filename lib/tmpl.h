/*
 * tmpl: a Mustache-subset template engine that renders Jansson values into a
 * strbuf.  Layer: lib/, depends on strbuf, html, alloc, Jansson (>= 2.14)
 * and libc; it must never include microhttpd.h or know about HTTP.
 * Supported: {{x}} (always HTML-escaped), dotted names, {{.}}, sections,
 * inverted sections, comments, partials with standalone indentation, and the
 * spec's standalone-line rules.  Refused at compile time: set-delimiter tags,
 * inheritance tags, and unescaped output ({{{x}}}, {{&x}}) unless the last
 * dotted segment of the key ends in "_html".  A set is filled once (start
 * up), then is immutable: tmpl_render only reads it and may run from any
 * number of threads at once.
 */
#ifndef KW_TMPL_H
#define KW_TMPL_H

#include <stddef.h>

#include <jansson.h>

#include "strbuf.h"

/* Deepest nesting of sections plus partials while rendering; also the
 * deepest section nesting a template may have at compile time.  Bounds the
 * C stack used by recursive partials. */
#define TMPL_MAX_DEPTH 64
/* Largest template file tmpl_set_load_dir accepts, in bytes. */
#define TMPL_MAX_SOURCE (4 * 1024 * 1024)

struct tmpl_set;

/* Where and why compilation or loading failed.  line is 1-based, 0 when the
 * error is not about a line (I/O, out of memory, duplicate name). */
struct tmpl_error {
    char file[256];
    int line;
    char msg[256];
};

/* New, empty set; NULL when out of memory.  Free with tmpl_set_free. */
struct tmpl_set *tmpl_set_new(void);
/* Frees the set and every template in it; NULL is accepted. */
void tmpl_set_free(struct tmpl_set *set);
/* Compiles src (len bytes, borrowed, copied) under `name` (borrowed, copied;
 * e.g. "home" or "partials/header").  `file` (borrowed; NULL means use
 * name) only labels errors.  Returns 0, or -1 with *err filled (err may be
 * NULL) and the set unchanged.  A name already in the set is an error. */
int tmpl_set_add(struct tmpl_set *set, const char *name, const char *src,
                 size_t len, const char *file, struct tmpl_error *err);
/* Adds every *.html file under dir (recursively, skipping dot files) under
 * its relative path without ".html", e.g. "partials/header", and every
 * *.xml file under its relative path with ".xml" ("feed.xml").  Files are
 * loaded in sorted order and loading stops at the first error.  Returns 0,
 * or -1 with *err filled; templates added before the error stay. */
int tmpl_set_load_dir(struct tmpl_set *set, const char *dir,
                      struct tmpl_error *err);
/* 1 when the set holds a template called name, else 0. */
int tmpl_set_has(const struct tmpl_set *set, const char *name);
/* Renders template `name` with ctx (borrowed, never modified or
 * reference-counted; NULL renders with an empty context), appending to out.
 * Returns 0, or -1 when the template is unknown, memory runs out or
 * TMPL_MAX_DEPTH is exceeded; on -1 out is restored to its previous length
 * (unless its sticky OOM flag is set).  A missing partial renders as "". */
int tmpl_render(const struct tmpl_set *set, const char *name, json_t *ctx,
                struct strbuf *out);
/* 64-bit FNV-1a over every template name and source, as 16 hex digits;
 * independent of load order.  Borrowed, valid until the set changes. */
const char *tmpl_set_build_id(const struct tmpl_set *set);

#endif
