/*
 * url: RFC 3986 splitting, resolution (section 5.2), dot-segment removal
 * and the normal form of http(s) URLs used as lookup keys.  Layer: lib/,
 * depends on libc, ascii, strbuf and alloc; never on microhttpd.h, server/ or
 * ingest/.  Splitting never allocates: it records pointers into the input,
 * so a hostile string costs one pass.  Writers build into the caller's
 * strbuf and roll it back on failure, so an error never leaves half a URL.
 */
#include "url.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>

#include "ascii.h"
#include "html.h"

/* Hosts and labels longer than DNS allows are malformed, not just rare:
 * refusing them keeps the key space and the policy match bounded. */
#define URL_HOST_MAX 253
#define URL_LABEL_MAX 63

/* The five components of a URI reference, split as in RFC 3986 appendix
 * B.  All pointers are borrowed from the input; a NULL pointer means the
 * component is absent (which differs from present and empty). */
struct url_parts {
    const char *scheme;
    size_t scheme_len;
    const char *auth;
    size_t auth_len;
    const char *path;
    size_t path_len;
    const char *query;
    size_t query_len;
    const char *frag;
    size_t frag_len;
};

/* The host and port of an authority, validated.  host points into the
 * input (borrowed) unless is_v6, when v6 holds the canonical text. */
struct url_host_info {
    const char *host;
    size_t host_len;
    int is_v6;
    char v6[INET6_ADDRSTRLEN];
    long port; /* -1 when absent or empty */
};

/* See url.h. */
int
url_hexval(int c)
{
    if (ascii_is_digit(c)) {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* RFC 3986 unreserved: the characters whose escapes mean the same as the
 * characters themselves (section 6.2.2.2). */
static int
is_unreserved(int c)
{
    return ascii_is_alpha(c) || ascii_is_digit(c) || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

/* pchar minus pct-encoded: what may stand literally in a path segment. */
static int
is_pchar(int c)
{
    return is_unreserved(c) || strchr("!$&'()*+,;=:@", c) != NULL;
}

/* Split s into the components of RFC 3986 appendix B.  A scheme is taken
 * only when it has the grammar of one (ALPHA *(ALPHA / DIGIT / + - .)),
 * so "a b:c" is a relative path, as browsers read it. */
static void
url_split(const char *s, struct url_parts *u)
{
    const char *p = s;

    memset(u, 0, sizeof(*u));
    if (ascii_is_alpha((unsigned char)*p)) {
        const char *q = p + 1;

        while (ascii_is_alpha((unsigned char)*q) ||
               ascii_is_digit((unsigned char)*q) || *q == '+' || *q == '-' ||
               *q == '.') {
            q++;
        }
        if (*q == ':') {
            u->scheme = p;
            u->scheme_len = (size_t)(q - p);
            p = q + 1;
        }
    }
    if (p[0] == '/' && p[1] == '/') {
        p += 2;
        u->auth = p;
        u->auth_len = strcspn(p, "/?#");
        p += u->auth_len;
    }
    u->path = p;
    u->path_len = strcspn(p, "?#");
    p += u->path_len;
    if (*p == '?') {
        p++;
        u->query = p;
        u->query_len = strcspn(p, "#");
        p += u->query_len;
    }
    if (*p == '#') {
        p++;
        u->frag = p;
        u->frag_len = strlen(p);
    }
}

/* 1 when the scheme of u is http or https, in any case. */
static int
scheme_is_http(const struct url_parts *u, int *https)
{
    if (u->scheme == NULL) {
        return 0;
    }
    if (u->scheme_len == 4 && strncasecmp(u->scheme, "http", 4) == 0) {
        *https = 0;
        return 1;
    }
    if (u->scheme_len == 5 && strncasecmp(u->scheme, "https", 5) == 0) {
        *https = 1;
        return 1;
    }
    return 0;
}

/* Validate a registered name: [A-Za-z0-9.-], non-empty labels of at most
 * 63 bytes, at most 253 bytes after one trailing dot is dropped (the dot
 * names the same host, so it must not make a second key).  Updates *n to
 * drop the dot.  0 or -1. */
static int
host_check_name(const char *h, size_t *n)
{
    size_t i, label = 0;

    if (*n > 0 && h[*n - 1] == '.') {
        (*n)--;
    }
    if (*n == 0 || *n > URL_HOST_MAX) {
        return -1;
    }
    for (i = 0; i < *n; i++) {
        int c = (unsigned char)h[i];

        if (c == '.') {
            if (label == 0) {
                return -1;
            }
            label = 0;
        } else if (ascii_is_alpha(c) || ascii_is_digit(c) || c == '-') {
            if (++label > URL_LABEL_MAX) {
                return -1;
            }
        } else {
            return -1;
        }
    }
    return label == 0 ? -1 : 0;
}

/* Parse the port after ':'.  Empty means the default (RFC 3986 6.2.3);
 * anything but 1-5 digits up to 65535 is malformed.  0 or -1. */
static int
port_parse(const char *s, size_t n, long *port)
{
    size_t i;
    long v = 0;

    *port = -1;
    if (n == 0) {
        return 0;
    }
    if (n > 5) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (!ascii_is_digit((unsigned char)s[i])) {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (v > 65535) {
        return -1;
    }
    *port = v;
    return 0;
}

/* Split and validate an authority into h.  Userinfo is refused outright:
 * "http://trusted.example@evil.example/" exists to fool people and
 * policies, and no document link needs it.  0 or -1. */
static int
host_parse(const char *a, size_t n, struct url_host_info *h)
{
    const char *colon;

    memset(h, 0, sizeof(*h));
    h->port = -1;
    if (memchr(a, '@', n) != NULL) {
        return -1;
    }
    if (n > 0 && a[0] == '[') {
        const char *end = memchr(a, ']', n);
        char tmp[INET6_ADDRSTRLEN];
        unsigned char bin[16];
        size_t len;

        if (end == NULL) {
            return -1;
        }
        len = (size_t)(end - a) - 1;
        if (len == 0 || len >= sizeof(tmp)) {
            return -1;
        }
        memcpy(tmp, a + 1, len);
        tmp[len] = '\0';
        /* inet_pton refuses zone ids and IPvFuture: both would be keys
         * that no two writers spell alike. */
        if (inet_pton(AF_INET6, tmp, bin) != 1 ||
            inet_ntop(AF_INET6, bin, h->v6, sizeof(h->v6)) == NULL) {
            return -1;
        }
        h->is_v6 = 1;
        h->host = h->v6;
        h->host_len = strlen(h->v6);
        a = end + 1;
        n -= len + 2;
        if (n == 0) {
            return 0;
        }
        if (a[0] != ':') {
            return -1;
        }
        return port_parse(a + 1, n - 1, &h->port);
    }
    colon = memchr(a, ':', n);
    h->host = a;
    h->host_len = colon != NULL ? (size_t)(colon - a) : n;
    if (host_check_name(h->host, &h->host_len) < 0) {
        return -1;
    }
    if (colon != NULL) {
        return port_parse(colon + 1, n - (size_t)(colon - a) - 1, &h->port);
    }
    return 0;
}

/* Append the host of h, lowercased, IPv6 in brackets. */
static void
host_put(struct strbuf *out, const struct url_host_info *h)
{
    size_t i;

    if (h->is_v6) {
        strbuf_putc(out, '[');
    }
    for (i = 0; i < h->host_len; i++) {
        strbuf_putc(out, ascii_lower((unsigned char)h->host[i]));
    }
    if (h->is_v6) {
        strbuf_putc(out, ']');
    }
}

/* Drop the last segment and its preceding '/' from out, never below
 * `start` (RFC 3986 5.2.4 step C). */
static void
pop_segment(struct strbuf *out, size_t start)
{
    size_t i = out->len;

    while (i > start && out->buf[i - 1] != '/') {
        i--;
    }
    if (i > start) {
        i--; /* the '/' itself */
    }
    out->len = i;
    if (out->buf != NULL) {
        out->buf[i] = '\0';
    }
}

/* 1 when s[0..n) starts with the string pre. */
static int
has_prefix(const char *s, size_t n, const char *pre)
{
    size_t k = strlen(pre);

    return n >= k && memcmp(s, pre, k) == 0;
}

/* 1 when s[0..n) is exactly the string w. */
static int
is_exactly(const char *s, size_t n, const char *w)
{
    return n == strlen(w) && memcmp(s, w, n) == 0;
}

/* RFC 3986 5.2.4 remove_dot_segments over in[0..n), appending to out.  One
 * pass: each step consumes at least one byte, so hostile input such as
 * "/../../.." costs linear time. */
static void
remove_dots(const char *in, size_t n, struct strbuf *out)
{
    size_t start = out->len, i = 0;

    while (i < n) {
        const char *p = in + i;
        size_t rest = n - i;

        if (has_prefix(p, rest, "../")) {
            i += 3;
        } else if (has_prefix(p, rest, "./")) {
            i += 2;
        } else if (has_prefix(p, rest, "/./")) {
            i += 2;
        } else if (is_exactly(p, rest, "/.")) {
            strbuf_putc(out, '/');
            i = n;
        } else if (has_prefix(p, rest, "/../")) {
            pop_segment(out, start);
            i += 3;
        } else if (is_exactly(p, rest, "/..")) {
            pop_segment(out, start);
            strbuf_putc(out, '/');
            i = n;
        } else if (is_exactly(p, rest, ".") || is_exactly(p, rest, "..")) {
            i = n;
        } else {
            size_t j = i + (in[i] == '/');

            while (j < n && in[j] != '/') {
                j++;
            }
            strbuf_append(out, in + i, j - i);
            i = j;
        }
    }
}

/* RFC 3986 5.2.3 merge: the base path up to its last '/', then ref's
 * path; "/" + ref's path when the base has an authority and no path. */
static void
merge_paths(const struct url_parts *b, const struct url_parts *r,
            struct strbuf *out)
{
    if (b->auth != NULL && b->path_len == 0) {
        strbuf_putc(out, '/');
    } else {
        size_t k = b->path_len;

        while (k > 0 && b->path[k - 1] != '/') {
            k--;
        }
        strbuf_append(out, b->path, k);
    }
    strbuf_append(out, r->path, r->path_len);
}

/* Roll out back to `len` bytes: the callers' promise that an error leaves
 * their buffer as it was. */
static void
rollback(struct strbuf *out, size_t len)
{
    if (out->buf != NULL && len <= out->len) {
        out->len = len;
        out->buf[len] = '\0';
    }
}

/* Transform references (5.2.2), then recompose (5.3) into out. */
int
url_resolve(const char *base, const char *ref, struct strbuf *out)
{
    struct url_parts b, r;
    const struct url_parts *auth_from, *query_from;
    struct strbuf merged = STRBUF_INIT;
    size_t start = out->len;

    url_split(base, &b);
    url_split(ref, &r);
    if (b.scheme == NULL) {
        return -1;
    }
    auth_from = r.scheme != NULL || r.auth != NULL ? &r : &b;
    query_from = &r;
    if (auth_from == &b && r.path_len == 0 && r.query == NULL) {
        query_from = &b;
    }
    if (r.scheme != NULL) {
        strbuf_append(out, r.scheme, r.scheme_len);
    } else {
        strbuf_append(out, b.scheme, b.scheme_len);
    }
    strbuf_putc(out, ':');
    if (auth_from->auth != NULL) {
        strbuf_puts(out, "//");
        strbuf_append(out, auth_from->auth, auth_from->auth_len);
    }
    if (auth_from == &r || (r.path_len > 0 && r.path[0] == '/')) {
        remove_dots(r.path, r.path_len, out);
    } else if (r.path_len == 0) {
        strbuf_append(out, b.path, b.path_len);
    } else {
        merge_paths(&b, &r, &merged);
        remove_dots(strbuf_peek(&merged), merged.len, out);
        if (!strbuf_ok(&merged)) {
            out->oom = 1; /* so callers can tell this from a bad base */
        }
    }
    if (query_from->query != NULL) {
        strbuf_putc(out, '?');
        strbuf_append(out, query_from->query, query_from->query_len);
    }
    if (r.frag != NULL) {
        strbuf_putc(out, '#');
        strbuf_append(out, r.frag, r.frag_len);
    }
    strbuf_free(&merged);
    if (!strbuf_ok(out)) {
        rollback(out, start);
        return -1;
    }
    return 0;
}

/* Append s[0..n) with escapes normalised (RFC 3986 6.2.2): escapes of
 * unreserved characters decoded, other escapes in uppercase hex, and every
 * byte that is neither a pchar nor in `extra` encoded.  A '%' that starts
 * no valid escape is itself encoded (%25): the key stays a valid URL and
 * normalising twice gives the same key. */
static void
norm_escapes(struct strbuf *out, const char *s, size_t n, const char *extra)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    for (i = 0; i < n; i++) {
        int c = (unsigned char)s[i];

        if (c == '%' && n - i >= 3 &&
            url_hexval((unsigned char)s[i + 1]) >= 0 &&
            url_hexval((unsigned char)s[i + 2]) >= 0) {
            c = url_hexval((unsigned char)s[i + 1]) * 16 +
                url_hexval((unsigned char)s[i + 2]);
            i += 2;
            if (is_unreserved(c)) {
                strbuf_putc(out, c);
                continue;
            }
        } else if (c != 0 && c < 0x80 && (is_pchar(c) || strchr(extra, c))) {
            strbuf_putc(out, c);
            continue;
        }
        strbuf_putc(out, '%');
        strbuf_putc(out, hex[c >> 4]);
        strbuf_putc(out, hex[c & 15]);
    }
}

/* Split, validate the authority, then emit scheme, host, port, path
 * (escapes, then dots), query; the key goes to out, the fragment to frag
 * (both the caller's; rolled back on failure). */
int
url_normalize(const char *in, struct strbuf *out, struct strbuf *frag)
{
    struct url_parts u;
    struct url_host_info h;
    struct strbuf path = STRBUF_INIT;
    size_t start = out->len, fstart = frag != NULL ? frag->len : 0;
    int https = 0;

    url_split(in, &u);
    if (!scheme_is_http(&u, &https) || u.auth == NULL ||
        host_parse(u.auth, u.auth_len, &h) < 0) {
        return -1;
    }
    strbuf_puts(out, https ? "https://" : "http://");
    host_put(out, &h);
    if (h.port >= 0 && h.port != (https ? 443 : 80)) {
        strbuf_printf(out, ":%ld", h.port);
    }
    /* Escapes first, dots second (the order of RFC 3986 6.2.2): "%2E%2E"
     * must collapse like "..", or a key could climb out of a directory
     * that the literal form stays in. */
    norm_escapes(&path, u.path, u.path_len, "/");
    if (path.len == 0) {
        strbuf_putc(out, '/');
    } else {
        remove_dots(strbuf_peek(&path), path.len, out);
    }
    if (u.query != NULL) {
        strbuf_putc(out, '?');
        norm_escapes(out, u.query, u.query_len, "/?");
    }
    if (frag != NULL && u.frag != NULL) {
        norm_escapes(frag, u.frag, u.frag_len, "/?");
    }
    if (!strbuf_ok(&path)) {
        out->oom = 1; /* so callers can tell this from a bad URL */
    }
    if (!strbuf_ok(out) || (frag != NULL && !strbuf_ok(frag))) {
        strbuf_free(&path);
        rollback(out, start);
        if (frag != NULL) {
            rollback(frag, fstart);
        }
        return -1;
    }
    strbuf_free(&path);
    return 0;
}

/* Appends the canonical host to host (the caller's). */
int
url_host(const char *url, struct strbuf *host)
{
    struct url_parts u;
    struct url_host_info h;
    size_t start = host->len;

    url_split(url, &u);
    if (u.scheme == NULL || u.auth == NULL ||
        host_parse(u.auth, u.auth_len, &h) < 0) {
        return -1;
    }
    host_put(host, &h);
    if (!strbuf_ok(host)) {
        rollback(host, start);
        return -1;
    }
    return 0;
}

/* No allocation: splits and validates in place. */
int
url_is_http(const char *url)
{
    struct url_parts u;
    struct url_host_info h;
    int https;

    url_split(url, &u);
    return scheme_is_http(&u, &https) && u.auth != NULL &&
           host_parse(u.auth, u.auth_len, &h) == 0;
}

int
url_is_local_path(const char *s)
{
    const unsigned char *p;

    if (s == NULL || s[0] != '/' || s[1] == '/' || s[1] == '\\') {
        return 0;
    }
    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p <= 0x20 || *p == 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* 1 when s[0..n) is a number as inet_aton reads a part: decimal, octal
 * with a leading 0, or hex after "0x" (glibc takes a bare "0x" as 0, so
 * it counts too).  Octal digits are not range-checked: "09" is refused by
 * inet_aton but still no DNS label, and failing closed costs nothing. */
static int
is_number_label(const char *s, size_t n)
{
    size_t i = 0;

    if (n == 0) {
        return 0;
    }
    if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        for (i = 2; i < n; i++) {
            if (url_hexval((unsigned char)s[i]) < 0) {
                return 0;
            }
        }
        return 1;
    }
    for (i = 0; i < n; i++) {
        if (!ascii_is_digit((unsigned char)s[i])) {
            return 0;
        }
    }
    return 1;
}

/* host is borrowed; no allocation. */
int
url_host_is_ip(const char *host)
{
    size_t n = strlen(host), k;

    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        char tmp[INET6_ADDRSTRLEN];
        unsigned char bin[16];

        if (n - 2 >= sizeof(tmp)) {
            return 0;
        }
        memcpy(tmp, host + 1, n - 2);
        tmp[n - 2] = '\0';
        return inet_pton(AF_INET6, tmp, bin) == 1;
    }
    if (strchr(host, ':') != NULL) {
        unsigned char bin[16];

        return inet_pton(AF_INET6, host, bin) == 1;
    }
    if (n > 0 && host[n - 1] == '.') {
        n--;
    }
    k = n;
    while (k > 0 && host[k - 1] != '.') {
        k--;
    }
    return is_number_label(host + k, n - k);
}

const char *
url_doc_name(const char *rel)
{
    const char *slash = strrchr(rel, '/');

    return slash != NULL ? slash + 1 : rel;
}

/* a when set and not empty, else NULL. */
static const char *
nonempty(const char *a)
{
    return a != NULL && a[0] != '\0' ? a : NULL;
}

int
url_doc(const struct url_doc_in *in, struct url_doc *out)
{
    const char *tree, *source;

    strbuf_init(&out->tree_path);
    strbuf_puts(&out->tree_path, in->tree_url);
    url_encode_path(&out->tree_path, in->rel, strlen(in->rel));
    if (!strbuf_ok(&out->tree_path)) {
        return -1;
    }
    tree = strbuf_peek(&out->tree_path);
    if (in->fetched_url != NULL) {
        out->base = out->checked = in->fetched_url;
    } else if (in->manifest_url != NULL) {
        out->base = out->checked = in->manifest_url;
    } else {
        out->base = tree;
        out->checked = in->tree_is_source ? tree : NULL;
    }
    source = in->fetched_url != NULL ? in->fetched_url
             : in->tree_is_source    ? tree
                                     : NULL;
    out->source = nonempty(in->manifest_url) != NULL ? in->manifest_url
                                                     : nonempty(source);
    out->key = out->source != NULL       ? out->source
               : in->fetched_url != NULL ? in->fetched_url
                                         : tree;
    out->name = url_doc_name(in->rel);
    return 0;
}

void
url_doc_free(struct url_doc *d)
{
    strbuf_free(&d->tree_path);
}
