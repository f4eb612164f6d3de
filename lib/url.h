/*
 * url: RFC 3986 reference resolution and the normal form of http(s) URLs
 * that the portal uses as a lookup key (links bound late, provenance, the
 * vetting policy), and the one decision of an ingested document's URLs.
 * Layer: lib/, depends on libc and strbuf/alloc/html only;
 * never on microhttpd.h, server/ or ingest/.  Every input is a stranger's
 * string: nothing here trusts its length, bytes or syntax, and every
 * function that writes appends to a strbuf only on success.
 */
#ifndef KW_URL_H
#define KW_URL_H

#include "strbuf.h"

/* RFC 3986 section 5.2 resolution of ref against an absolute base (the
 * base's fragment is ignored, the ref's kept).  Strict: a ref with a scheme
 * is taken as is, even when it is the base's scheme.  Appends the target
 * URL to out (owned by the caller); the result is not normalised (see
 * url_normalize).  0, or -1 when base has no scheme (out unchanged) or out
 * of memory (out keeps its length, strbuf_ok(out) turns false). */
int url_resolve(const char *base, const char *ref, struct strbuf *out);

/* Normalise an absolute http(s) URL into a lookup key and append it to out:
 * lowercase scheme and host, no default port (:80 for http, :443 for
 * https), an empty path becomes "/", dot segments removed, percent-escapes
 * with uppercase hex, escapes of unreserved characters decoded, and every
 * byte that may not appear in a URL (space, controls, non-ASCII, stray '%',
 * "<>\^`{|}") percent-encoded so the key is printable ASCII.  The query is
 * kept (same escape normalisation); the fragment is dropped, and appended
 * to frag (without '#') when frag != NULL.  -1 when out of memory (the
 * sticky flag of out or frag is set, so strbuf_ok() tells) or refused (out
 * and frag unchanged): other schemes, no "//host", userinfo ("user@"), an empty
 * host, host characters outside [A-Za-z0-9.-] (no IDN: convert to punycode
 * first), empty or over-long labels, a bad port, and bracketed hosts that
 * are not IPv6 addresses (IPv6 is written in its canonical form).  One
 * trailing dot of the host is dropped.  Leading or trailing spaces are not
 * trimmed: the caller decides what a stray space means. */
int url_normalize(const char *in, struct strbuf *out, struct strbuf *frag);

/* Append the lowercased host of an absolute URL (without port; IPv6 as
 * "[canonical]") to host (owned by the caller).  Validated exactly as in
 * url_normalize, so userinfo or a malformed host gives -1 (host
 * unchanged; strbuf_ok(host) false when out of memory). */
int url_host(const char *url, struct strbuf *host);

/* 1 when url is an absolute http: or https: URL with a valid host and no
 * userinfo (url_normalize would accept it), else 0. */
int url_is_http(const char *url);

/* 1 when host (borrowed, as url_host returns it, with or without brackets)
 * is a numeric address: an IPv6 literal, or a host whose last label is a
 * number (decimal, or hex "0x..."), which covers every IPv4 form inet_aton
 * accepts (2130706433, 0177.0.0.1, 0x7f.1, 127.1) and the WHATWG URL
 * standard's "ends in a number" rule.  No DNS name ends in a numeric label,
 * so the broader rule only refuses more: it fails closed. */
int url_host_is_ip(const char *host);

/* The value of an ASCII hex digit, either case (0-15), or -1: what a
 * percent-escape is made of. */
int url_hexval(int c);

/* 1 when s is safe as a same-site redirect target: a path that starts
 * with exactly one '/' (never "//host" or "/\\host"), with no byte a
 * browser would strip or that ends a header (C0 controls, space, DEL).
 * Browsers drop TAB, CR and LF anywhere in a URL and trim leading and
 * trailing spaces and controls, so "/\t/evil.example" would become
 * "//evil.example": any such byte refuses the whole value. */
int url_is_local_path(const char *s);

/*
 * The URLs of an ingested document, decided in one place.  The inputs,
 * all borrowed, any of the three URLs may be NULL:
 *   tree_url    the tree's base URL, ending in '/' (--source-url's, or a
 *               private http://kwangmyong.invalid/c/NAME/ one)
 *   rel         the file's path inside the tree
 *   tree_is_source  1 when the tree's base is a real origin (--source-url
 *               given, or the site of a WARC)
 *   manifest_url    the manifest's source_url for the file
 *   fetched_url     the final URL it was fetched from (--fetch, WARC)
 * The decisions, borrowed from the inputs or from out->tree_path:
 *   base     relative links resolve against it: the fetched URL, else
 *            the manifest's, else the tree path's URL
 *   checked  the origin the vetting policy checks: as base, but NULL for a
 *            tree without a real origin
 *   source   the provenance stored with the document (the first non-empty
 *            of the manifest's, the fetched one, the tree path's URL when
 *            the tree is a real origin), or NULL
 *   key      what its lookup key (source_url_norm) is normalised from:
 *            source, else the fetched URL, else the tree path's URL
 *   name     the file's name: rel after its last '/' (the title when
 *            nothing better is known, an attachment's file name)
 * The manifest comes before the fetched URL for source but after it for
 * base and checked: that is how the tree was when they were written in
 * three places, kept as it is.  0, or -1 when out of memory (url_doc_free
 * anyway).
 */
struct url_doc_in {
    const char *tree_url;
    const char *rel;
    int tree_is_source;
    const char *manifest_url;
    const char *fetched_url;
};

struct url_doc {
    struct strbuf tree_path; /* tree_url + rel, percent-encoded; owned */
    const char *base;
    const char *checked;
    const char *source;
    const char *key;
    const char *name;
};

int url_doc(const struct url_doc_in *in, struct url_doc *out);
void url_doc_free(struct url_doc *d);
/* rel after its last '/' (borrowed from rel): a document's file name. */
const char *url_doc_name(const char *rel);

#endif
