/*
 * sanitize: turns untrusted, mirrored HTML into a strict allow-listed body
 * plus the text, sections, links and metadata the portal stores with a
 * document.  Layer: lib/, depends on gumbo, precheck, strbuf, html, url and
 * alloc; it must never depend on <microhttpd.h> or on the database.  The body
 * is rebuilt from gumbo's tree with every text and attribute escaped, never
 * copied from the source, and is a fixed point: sanitizing it again gives it
 * back.
 */
#ifndef KW_SANITIZE_H
#define KW_SANITIZE_H

#include <stddef.h>

#include "strbuf.h"

/* Results of sanitize_html() and sanitize_resolve_url(); negative on error
 * as everywhere in lib/.  sanitize_strerror() gives a short reason. */
enum sanitize_code {
    SANITIZE_OK = 0,
    SANITIZE_TOO_LARGE = -1,   /* input longer than max_bytes */
    SANITIZE_TOO_COMPLEX = -2, /* depth, element or attribute limit */
    SANITIZE_NOMEM = -3,
    SANITIZE_PARSE = -4,    /* the parser failed or the output never settled */
    SANITIZE_INVALID = -5,  /* bad argument, e.g. a base URL that is not
                               absolute http(s) */
    SANITIZE_CALLBACK = -6, /* rewrite_url returned an error */
};

/* Defaults used when an option is left 0. */
#define SANITIZE_DEFAULT_MAX_BYTES ((size_t)8 << 20)
#define SANITIZE_DEFAULT_MAX_DEPTH 512
#define SANITIZE_DEFAULT_MAX_ATTRS 128
#define SANITIZE_DEFAULT_MAX_ELEMENTS ((size_t)1000000)
/* Every metadata string is cut to at most this many bytes (whole UTF-8
 * characters only). */
#define SANITIZE_META_MAX 1000

/* Return values of the rewrite_url hook. */
#define SANITIZE_URL_KEEP 0 /* use `out` when non-empty, else keep the URL */
#define SANITIZE_URL_DROP 1 /* remove the attribute */

/*
 * Options; a zeroed struct gives the defaults.  All pointers are borrowed
 * for the duration of the call.
 *
 * base_url: the document's original absolute http(s) URL, or NULL.
 * Relative href/src/cite values are resolved against it (RFC 3986).
 *
 * max_bytes, max_depth, max_attrs, max_elements: the pre-parse limits
 * (max_bytes is capped at 512 MiB and max_depth at 10000 whatever the
 * caller asks).  max_depth bounds the estimated nesting of open elements,
 * max_attrs the attributes of one tag, max_elements the elements the parser
 * would create (counting the clones HTML's formatting-element
 * reconstruction makes, which is how a small document can ask for millions
 * of nodes).  max_depth also caps the output: deeper elements are
 * unwrapped.
 *
 * rewrite_url: optional hook called once for every URL that passed the
 * scheme filter (attr is "href", "src" or "cite"; url is the absolute
 * resolved URL with its fragment, or the cleaned relative URL when there is
 * no base).  It may append a replacement to `out` (an empty strbuf it must
 * not free) and return SANITIZE_URL_KEEP, return SANITIZE_URL_DROP to
 * remove the attribute, or return a negative value to abort with
 * SANITIZE_CALLBACK.  A replacement passes the same scheme filter as source
 * URLs.  Not called again when the body is re-parsed.
 */
struct sanitize_opts {
    const char *base_url;
    size_t max_bytes;
    int max_depth;
    int max_attrs;
    size_t max_elements;
    int (*rewrite_url)(void *ctx, const char *attr, const char *url,
                       struct strbuf *out);
    void *ctx;
};

/* One kept a href or img src, in document order, duplicates kept: the
 * resolved URL (absolute when there is a base; mailto: too) as it was
 * before rewrite_url. */
struct sanitize_link {
    char *url;
    int is_image;
};

/* The body split at h1-h4 (h5/h6 stay in their section).  A leading
 * section with the text before the first heading has anchor and heading
 * NULL, and is present only when that text is not empty.  anchor is the
 * heading's id, or "sec-N" when the source had no valid one: N is the
 * heading's position among the section headings, from 1, and the id is
 * written onto the heading in body_html. */
struct sanitize_section {
    char *anchor;
    char *heading;
    char *text;
};

/* Everything is owned by the struct and released by sanitize_result_free().
 * Strings are valid UTF-8 without NUL.  body_html and text are never NULL
 * after success; the metadata strings are NULL when the document has none. */
struct sanitize_result {
    char *body_html;
    size_t body_len;
    char *text;    /* plain text, blocks separated by '\n' */
    char *title;   /* citation_title, DC.title, og:title, <title>, h1 */
    char *authors; /* "; "-separated */
    char *date;    /* as written in the source */
    char *language;
    char *description;
    char *canonical; /* absolute http(s) URL */
    struct sanitize_link *links;
    size_t nlinks;
    struct sanitize_section *sections;
    size_t nsections;
};

/*
 * Sanitize `len` bytes of `html` (UTF-8; invalid bytes become U+FFFD).
 * opts may be NULL.  On SANITIZE_OK, *out holds new owned memory; on any
 * error *out is left zeroed and nothing needs freeing.  Deterministic;
 * never prints, never exits.  gumbo's own allocations use malloc, not the
 * lib/ allocator, and gumbo can be slow on hostile input that passes the
 * pre-check: callers run this in a child process with rlimits.
 */
int sanitize_html(const char *html, size_t len,
                  const struct sanitize_opts *opts,
                  struct sanitize_result *out);

/* Frees everything a successful sanitize_html() stored in r and zeroes it;
 * r itself is the caller's.  Safe on a zeroed struct. */
void sanitize_result_free(struct sanitize_result *r);

/* A short English reason for a sanitize_code; static storage. */
const char *sanitize_strerror(int code);

/*
 * Resolve `ref` against the absolute URI `base` with url_resolve (RFC 3986
 * section 5.2, strict: a ref with its own scheme is taken as is), append
 * the result to `out` (borrowed).  Scheme and host come out lowercased,
 * dot segments removed, the fragment kept.  Returns SANITIZE_OK,
 * SANITIZE_INVALID when base has no scheme, or SANITIZE_NOMEM (out keeps
 * its length).
 */
int sanitize_resolve_url(const char *base, const char *ref, struct strbuf *out);

#endif
