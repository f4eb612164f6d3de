/*
 * fetch: retrieve a list of http(s) URLs with libcurl into a directory
 * tree for ingest, under the vetting policy (hostile-world.md, row I8).
 * Layer: ingest/; uses lib/ (policy, url, html, strbuf, alloc, fsutil),
 * libcurl and libsodium; never microhttpd.h or server/.  Never prints or
 * exits.  Every decision that keeps us inside the policy is made here, not
 * left to curl: the allow-list before connecting, redirects one hop at a
 * time, the resolved address before the socket exists, and the body cap
 * as bytes arrive.  curl's own protocol limits are set as a second wall.
 */
#include "fetch.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "fsutil.h"
#include "html.h"
#include "policy.h"
#include "strbuf.h"
#include "url.h"

#define FETCH_USER_AGENT "kwangmyong-fetch/0.1"
/* Saved paths: bounded so every name fits NAME_MAX and the walk's depth. */
#define FETCH_SEG_MAX 120
#define FETCH_SEG_CUT 100
#define FETCH_PATH_MAX 1024
#define FETCH_DEPTH_MAX 32
#define FETCH_EXT_MAX 10
#define FETCH_CTYPE_MAX 255
#define FETCH_RMTREE_DEPTH 256

/* State of one URL across its redirect hops, shared with the curl
 * callbacks.  Borrowed pointers only, except the temporary file. */
struct fetch_xfer {
    CURL *h;
    const struct policy *pol;
    const struct fetch_opts *o;
    int rootfd; /* dest_dir */
    int fd;     /* the temporary file, -1 when none */
    char tmpname[64];
    crypto_hash_sha256_state sha;
    size_t received;     /* body bytes of this hop */
    size_t header_bytes; /* header bytes of this hop */
    int too_big;         /* the body passed max_bytes */
    int headers_too_big;
    int discarded;      /* a non-2xx body was cut short on purpose */
    int write_errno;    /* writing the temporary file failed */
    const char *host;   /* host of this hop, for messages */
    int literal_family; /* AF_INET/AF_INET6 when the URL host is an
                           exactly listed numeric literal, else 0 */
    unsigned char literal[16];
    char refused[320]; /* why the address check refused, or "" */
};

/* See fetch.h. */
int
fetch_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Defaults as documented in fetch.h; nothing is allocated. */
void
fetch_opts_default(struct fetch_opts *o, const struct policy *pol)
{
    memset(o, 0, sizeof(*o));
    o->timeout_s = policy_fetch_timeout(pol);
    o->low_speed_bytes = 1024;
    o->low_speed_time_s = 15;
    o->max_bytes = policy_fetch_max_size(pol);
    o->max_redirects = 5;
}

/* ---- Addresses ---------------------------------------------------- */

/* The class of a special IPv4 address (host byte order), or NULL for a
 * public one.  Special ranges are where an attacker's DNS answer would
 * point us at something inside: ourselves, the LAN, cloud metadata. */
static const char *
v4_special(uint32_t a)
{
    if ((a >> 24) == 0) {
        return "unspecified";
    }
    if ((a >> 24) == 127) {
        return "loopback";
    }
    if ((a >> 24) == 10 || (a & 0xfff00000u) == 0xac100000u ||
        (a >> 16) == 0xc0a8u) {
        return "private";
    }
    if ((a >> 16) == 0xa9feu) {
        return "link-local";
    }
    if ((a & 0xffc00000u) == 0x64400000u) {
        return "shared (carrier-grade NAT)";
    }
    if ((a >> 8) == 0xc00002u || (a >> 8) == 0xc63364u ||
        (a >> 8) == 0xcb0071u) {
        return "documentation";
    }
    if ((a >> 28) == 0xeu) {
        return "multicast";
    }
    if ((a >> 8) == 0xc00000u || (a >> 8) == 0xc05863u ||
        (a & 0xfffe0000u) == 0xc6120000u || (a >> 28) == 0xfu) {
        return "reserved";
    }
    return NULL;
}

/* IPv4 bytes b[0..4) as a host-order number. */
static uint32_t
v4_of(const unsigned char *b)
{
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 |
           (uint32_t)b[3];
}

/* The class of a special IPv6 address, or NULL for a public one.  Forms
 * that carry an IPv4 address (mapped, NAT64, 6to4) are judged by it, as
 * the packet would end up there. */
static const char *
v6_special(const unsigned char *b)
{
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0,    0,
                                             0, 0, 0, 0, 0xff, 0xff};
    static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
    static const unsigned char zero[15] = {0};

    if (memcmp(b, zero, 15) == 0) {
        return b[15] == 0   ? "unspecified"
               : b[15] == 1 ? "loopback"
                            : "reserved";
    }
    if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0) {
        return v4_special(v4_of(b + 12));
    }
    if (b[0] == 0x20 && b[1] == 0x02) {
        return v4_special(v4_of(b + 2));
    }
    if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b) {
        return "private"; /* 64:ff9b:1::/48, local NAT64 */
    }
    if (b[0] == 0 || (b[0] == 0x01 && b[1] == 0 && b[2] == 0 && b[3] == 0)) {
        return "reserved"; /* the rest of ::/8, 100::/64 discard */
    }
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) {
        return "documentation";
    }
    if (b[0] == 0x20 && b[1] == 0x01 && b[2] < 0x02) {
        return "reserved"; /* 2001::/23, Teredo among them */
    }
    if ((b[0] & 0xfe) == 0xfc || (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)) {
        return "private"; /* unique local, old site-local */
    }
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) {
        return "link-local";
    }
    if (b[0] == 0xff) {
        return "multicast";
    }
    return NULL;
}

/* 1 when the address curl is about to connect to may be used.  A special
 * address passes only when the operator said so: allow_private, the URL's
 * own exactly listed numeric host, or that exact literal in fetch_allow.
 * On refusal t->refused says why. */
static int
address_allowed(struct fetch_xfer *t, const struct sockaddr *sa)
{
    char text[INET6_ADDRSTRLEN], url[INET6_ADDRSTRLEN + 16];
    const unsigned char *bytes;
    const char *kind;
    int family = sa->sa_family;

    if (family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

        bytes = (const unsigned char *)&in->sin_addr;
        kind = v4_special(v4_of(bytes));
    } else if (family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

        bytes = (const unsigned char *)&in6->sin6_addr;
        kind = v6_special(bytes);
    } else {
        snprintf(t->refused, sizeof(t->refused),
                 "fetch refused: %s resolved to a non-IP address", t->host);
        return 0;
    }
    if (kind == NULL || t->o->allow_private) {
        return 1;
    }
    if (family == t->literal_family &&
        memcmp(bytes, t->literal, family == AF_INET ? 4 : 16) == 0) {
        return 1;
    }
    if (inet_ntop(family, bytes, text, sizeof(text)) == NULL) {
        snprintf(text, sizeof(text), "?");
    } else {
        snprintf(url, sizeof(url),
                 family == AF_INET ? "http://%s/" : "http://[%s]/", text);
        if (policy_check_fetch(t->pol, url, NULL, 0) == 0) {
            return 1;
        }
    }
    snprintf(t->refused, sizeof(t->refused),
             "fetch refused: %s resolved to %s, a %s address not in "
             "fetch_allow",
             t->host, text, kind);
    return 0;
}

/* CURLOPT_OPENSOCKETFUNCTION: the last moment before connect(), after
 * every DNS answer.  Returns a new socket (curl owns it) or
 * CURL_SOCKET_BAD, which makes curl try the next address or fail. */
static curl_socket_t
fetch_opensocket(void *arg, curlsocktype purpose, struct curl_sockaddr *addr)
{
    struct fetch_xfer *t = arg;

    if (purpose != CURLSOCKTYPE_IPCXN || !address_allowed(t, &addr->addr)) {
        if (t->refused[0] == '\0') {
            snprintf(t->refused, sizeof(t->refused),
                     "fetch refused: unexpected socket purpose");
        }
        return CURL_SOCKET_BAD;
    }
    /* CLOEXEC: ingest forks converter workers, which must not inherit
     * our connections. */
    return socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

/* ---- Transfer callbacks ------------------------------------------- */

/* CURLOPT_HEADERFUNCTION: only counts, so a server cannot grow curl's
 * header store without bound inside the time limit. */
static size_t
fetch_on_header(char *data, size_t size, size_t nmemb, void *arg)
{
    struct fetch_xfer *t = arg;
    size_t n = size * nmemb;

    (void)data;
    t->header_bytes += n;
    if (t->header_bytes > FETCH_MAX_HEADER_BYTES) {
        t->headers_too_big = 1;
        return 0;
    }
    return n;
}

/* CURLOPT_WRITEFUNCTION: body bytes of a 2xx response go to the temporary
 * file and the hash; any other status needs no body, so the transfer is
 * stopped (the status and headers are already known).  Returning less
 * than n aborts the transfer: that is how the cap holds mid-body. */
static size_t
fetch_on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    struct fetch_xfer *t = arg;
    size_t n = size * nmemb, done = 0;
    long code = 0;

    curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &code);
    if (code < 200 || code > 299) {
        t->discarded = 1;
        return 0;
    }
    if (n > t->o->max_bytes - t->received) {
        t->too_big = 1;
        return 0;
    }
    while (done < n) {
        ssize_t w = write(t->fd, data + done, n - done);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            t->write_errno = w < 0 ? errno : EIO;
            return 0;
        }
        done += (size_t)w;
    }
    crypto_hash_sha256_update(&t->sha, (const unsigned char *)data, n);
    t->received += n;
    return n;
}

/* ---- Paths -------------------------------------------------------- */

/* Append the first `digits` hex digits of sha256(s[0..n)) to out. */
static void
put_hash(struct strbuf *out, const char *s, size_t n, size_t digits)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];

    crypto_hash_sha256(h, (const unsigned char *)s, n);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    strbuf_append(out, hex,
                  digits < sizeof(hex) - 1 ? digits : sizeof(hex) - 1);
}

/* Length of the longest prefix of s[0..n) of at most max bytes that ends
 * on a UTF-8 sequence boundary (invalid bytes count as one). */
static size_t
utf8_cut(const char *s, size_t n, size_t max)
{
    size_t i = 0;

    while (i < n) {
        size_t k = utf8_seq_len((const unsigned char *)s + i, n - i);

        if (k == 0) {
            k = 1;
        }
        if (i + k > max) {
            break;
        }
        i += k;
    }
    return i;
}

/* Offset of the extension (".ext", 1..FETCH_EXT_MAX ASCII alphanumerics)
 * in name[0..n), or n when it has none.  A leading dot is no extension. */
static size_t
ext_at(const char *name, size_t n)
{
    size_t i = n;

    while (i > 1 && name[i - 1] != '.' && n - i < FETCH_EXT_MAX) {
        int c = (unsigned char)name[i - 1];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9'))) {
            return n;
        }
        i--;
    }
    if (i > 1 && name[i - 1] == '.' && i < n) {
        return i - 1;
    }
    return n;
}

/* Append one path segment raw[0..n) (as in a normalised URL: printable
 * ASCII with %XX escapes) as a file name.  Decoded when the bytes are
 * valid UTF-8 without controls, '/' or '\' (so names read as the author
 * wrote them), else kept encoded; a leading '.' is encoded so no name is
 * ".", ".." or hidden from the walk; "" becomes "_"; names longer than
 * FETCH_SEG_MAX are cut and marked with a hash of the whole segment. */
static void
put_segment(struct strbuf *out, const char *raw, size_t n)
{
    struct strbuf name = STRBUF_INIT;
    size_t i;
    int clean = 1;

    for (i = 0; i < n; i++) {
        int c = (unsigned char)raw[i];

        if (c == '%' && i + 2 < n &&
            url_hexval((unsigned char)raw[i + 1]) >= 0 &&
            url_hexval((unsigned char)raw[i + 2]) >= 0) {
            c = url_hexval((unsigned char)raw[i + 1]) * 16 +
                url_hexval((unsigned char)raw[i + 2]);
            i += 2;
        }
        if (c < 0x20 || c == 0x7f || c == '/' || c == '\\') {
            clean = 0;
        }
        strbuf_putc(&name, c);
    }
    if (!clean || !utf8_valid(name.buf != NULL ? name.buf : "", name.len)) {
        strbuf_reset(&name);
        strbuf_append(&name, raw, n);
    }
    if (name.len == 0) {
        strbuf_putc(out, '_');
    } else {
        const char *s = strbuf_peek(&name);
        size_t len = name.len;

        if (s[0] == '.') {
            strbuf_puts(out, "%2E");
            s++;
            len--;
        }
        if (len > FETCH_SEG_MAX) {
            /* Cut the stem, keep the extension: ingest classifies by
             * it. */
            size_t e = ext_at(s, len);

            strbuf_append(out, s, utf8_cut(s, e, FETCH_SEG_CUT));
            strbuf_putc(out, '~');
            put_hash(out, raw, n, 8);
            strbuf_append(out, s + e, len - e);
        } else {
            strbuf_append(out, s, len);
        }
    }
    if (!strbuf_ok(&name)) {
        out->oom = 1;
    }
    strbuf_free(&name);
}

/* The extension a body of this Content-Type must carry for ingest to
 * classify it, and the spellings that already do; NULL when the type says
 * nothing ingest cares about. */
static const char *
type_ext(const char *ctype, const char *const **ok)
{
    static const char *const html[] = {".html", ".htm", NULL};
    static const char *const xhtml[] = {".xhtml", ".html", ".htm", NULL};
    static const char *const md[] = {".md", ".markdown", NULL};
    static const char *const txt[] = {".txt", ".text", ".md", ".markdown",
                                      NULL};
    static const char *const pdf[] = {".pdf", NULL};
    static const struct {
        const char *type, *ext;
        const char *const *ok;
    } map[] = {
        {"text/html", ".html", html},
        {"application/xhtml+xml", ".xhtml", xhtml},
        {"text/markdown", ".md", md},
        {"text/x-markdown", ".md", md},
        {"text/plain", ".txt", txt},
        {"application/pdf", ".pdf", pdf},
    };
    size_t i, n;

    if (ctype == NULL) {
        return NULL;
    }
    while (*ctype == ' ' || *ctype == '\t') {
        ctype++;
    }
    n = strcspn(ctype, "; \t");
    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (strlen(map[i].type) == n &&
            strncasecmp(ctype, map[i].type, n) == 0) {
            *ok = map[i].ok;
            return map[i].ext;
        }
    }
    return NULL;
}

/* 1 when ext[0..n) is one of the NULL-terminated list, in any case. */
static int
ext_in(const char *ext, size_t n, const char *const *list)
{
    for (; *list != NULL; list++) {
        if (strlen(*list) == n && strncasecmp(ext, *list, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Append the host directory of a normalised URL's authority a[0..n):
 * "host", "host_port", IPv6 as "ipv6_a-b--c".  Host names never hold '_'
 * (url_normalize allows [a-z0-9.-]), so the forms cannot collide. */
static void
put_host_dir(struct strbuf *out, const char *a, size_t n)
{
    size_t i = 0;

    if (n > 0 && a[0] == '[') {
        strbuf_puts(out, "ipv6_");
        for (i = 1; i < n && a[i] != ']'; i++) {
            strbuf_putc(out, a[i] == ':' ? '-' : a[i]);
        }
        i = i < n ? i + 1 : n;
    } else {
        for (; i < n && a[i] != ':'; i++) {
            strbuf_putc(out, a[i]);
        }
    }
    if (i < n && a[i] == ':') {
        strbuf_putc(out, '_');
        strbuf_append(out, a + i + 1, n - i - 1);
    }
}

/* Append the saved path of a normalised URL: the tree form, or with flat
 * set (or when the tree form would be too deep or long) the flat form
 * "HOSTDIR/~HASH16.EXT".  With under (a normalised URL ending in '/' that
 * norm starts with; NULL for none) the path is the part of norm after
 * under, without a host directory ("~HASH16.EXT" when flat).  The
 * extension is fixed from ctype (borrowed, may be NULL) in both forms. */
static void
put_path(struct strbuf *out, const char *norm, const char *under,
         const char *ctype, int flat)
{
    const char *auth = strstr(norm, "://") + 3, *path, *query, *name;
    const char *fix;
    const char *const *ok = NULL;
    struct strbuf leaf = STRBUF_INIT;
    size_t start = out->len, alen, plen, depth = 0, ext;

    alen = strcspn(auth, "/?");
    /* the '/' that ends under, or the path's first byte */
    path = under != NULL ? norm + strlen(under) - 1 : auth + alen;
    plen = strcspn(path, "?");
    query = path[plen] == '?' ? path + plen + 1 : NULL;
    if (under == NULL) {
        put_host_dir(out, auth, alen);
    }
    /* the leaf: last segment, query mark, extension fix */
    name = path + plen;
    while (name > path && name[-1] != '/') {
        name--;
    }
    if (name == path + plen) {
        strbuf_puts(&leaf, "index.html");
    } else {
        put_segment(&leaf, name, (size_t)(path + plen - name));
    }
    ext = ext_at(strbuf_peek(&leaf), leaf.len);
    if (query != NULL) {
        struct strbuf q = STRBUF_INIT;

        strbuf_append(&q, strbuf_peek(&leaf) + ext, leaf.len - ext);
        if (leaf.buf != NULL) {
            leaf.len = ext;
            leaf.buf[ext] = '\0';
        }
        strbuf_puts(&leaf, "~q");
        put_hash(&leaf, query, strlen(query), 8);
        strbuf_append(&leaf, strbuf_peek(&q), q.len);
        if (!strbuf_ok(&q)) {
            leaf.oom = 1;
        }
        strbuf_free(&q);
        ext = ext_at(strbuf_peek(&leaf), leaf.len);
    }
    fix = type_ext(ctype, &ok);
    if (fix != NULL && !ext_in(strbuf_peek(&leaf) + ext, leaf.len - ext, ok)) {
        strbuf_puts(&leaf, fix);
        ext = leaf.len - strlen(fix);
    }
    if (!flat) {
        const char *p = path + 1, *end = name;

        while (p < end) {
            const char *slash = memchr(p, '/', (size_t)(end - p));
            size_t k = slash != NULL ? (size_t)(slash - p) : (size_t)(end - p);

            if (out->len > start) {
                strbuf_putc(out, '/');
            }
            put_segment(out, p, k);
            depth++;
            p += k + 1;
        }
        if (out->len > start) {
            strbuf_putc(out, '/');
        }
        strbuf_append(out, strbuf_peek(&leaf), leaf.len);
        if (depth > FETCH_DEPTH_MAX || out->len - start > FETCH_PATH_MAX) {
            flat = 1;
            out->len = start;
            if (out->buf != NULL) {
                out->buf[start] = '\0';
            }
            if (under == NULL) {
                put_host_dir(out, auth, alen);
            }
        }
    }
    if (flat) {
        if (out->len > start) {
            strbuf_putc(out, '/');
        }
        strbuf_putc(out, '~');
        put_hash(out, norm, strlen(norm), 16);
        strbuf_append(out, strbuf_peek(&leaf) + ext, leaf.len - ext);
    }
    if (!strbuf_ok(&leaf)) {
        out->oom = 1;
    }
    strbuf_free(&leaf);
}

/* Normalises url first; see fetch.h.  out is the caller's. */
int
fetch_path_for_url(const char *url, const char *content_type,
                   struct strbuf *out)
{
    struct strbuf n = STRBUF_INIT;
    int rc = -1;

    if (url_normalize(url, &n, NULL) == 0) {
        put_path(out, strbuf_peek(&n), NULL, content_type, 0);
        rc = strbuf_ok(out) ? 0 : -1;
    } else if (!strbuf_ok(&n)) {
        out->oom = 1;
    }
    strbuf_free(&n);
    return rc;
}

/* Append base with "~k" inserted before the extension of its last
 * component (k >= 2), for a name that is already taken. */
static void
put_variant(struct strbuf *out, const char *base, int k)
{
    const char *leaf = strrchr(base, '/');
    size_t off, ext;

    leaf = leaf != NULL ? leaf + 1 : base;
    off = (size_t)(leaf - base);
    ext = off + ext_at(leaf, strlen(leaf));
    strbuf_append(out, base, ext);
    if (k > 1) {
        strbuf_printf(out, "~%d", k);
    }
    strbuf_puts(out, base + ext);
}

/* Move the temporary file (rootfd-relative tmpname) to rel, making the
 * directories on the way, never following a symlink, never replacing a
 * file.  0, or -1 with errno; EEXIST, ENOTDIR and EISDIR mean the name or
 * a directory on the way is taken. */
static int
place_file(int rootfd, const char *tmpname, const char *rel)
{
    char buf[FETCH_PATH_MAX + 512];
    char *p = buf, *slash;
    int dfd, rc, e;

    if (strlen(rel) >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, rel, strlen(rel) + 1);
    dfd = openat(rootfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        return -1;
    }
    while ((slash = strchr(p, '/')) != NULL) {
        int next;

        *slash = '\0';
        if (mkdirat(dfd, p, 0755) < 0 && errno != EEXIST) {
            e = errno;
            close(dfd);
            errno = e;
            return -1;
        }
        next = openat(dfd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        e = errno;
        close(dfd);
        if (next < 0) {
            errno = e == ELOOP ? ENOTDIR : e;
            return -1;
        }
        dfd = next;
        p = slash + 1;
    }
    rc = renameat2(rootfd, tmpname, dfd, p, RENAME_NOREPLACE);
    if (rc < 0 && (errno == EINVAL || errno == ENOSYS)) {
        /* A file system without RENAME_NOREPLACE: a hard link never
         * replaces either. */
        rc = linkat(rootfd, tmpname, dfd, p, 0);
        if (rc == 0) {
            unlinkat(rootfd, tmpname, 0);
        }
    }
    e = errno;
    close(dfd);
    errno = e;
    return rc;
}

/* Tries the tree path, its "~2".."~9" variants, the flat path and its
 * variants, in that order; see fetch.h. */
int
fetch_save(int rootfd, const char *tmpname, const char *norm, const char *under,
           const char *ctype, char **path)
{
    int flat, k;

    if (under != NULL && strncmp(norm, under, strlen(under)) != 0) {
        under = NULL;
    }
    for (flat = 0; flat < 2; flat++) {
        struct strbuf base = STRBUF_INIT;

        put_path(&base, norm, under, ctype, flat);
        if (!strbuf_ok(&base)) {
            strbuf_free(&base);
            errno = ENOMEM;
            return -1;
        }
        for (k = 1; k <= 9; k++) {
            struct strbuf cand = STRBUF_INIT;

            put_variant(&cand, strbuf_peek(&base), k);
            if (!strbuf_ok(&cand)) {
                strbuf_free(&cand);
                strbuf_free(&base);
                errno = ENOMEM;
                return -1;
            }
            if (place_file(rootfd, tmpname, strbuf_peek(&cand)) == 0) {
                *path = strbuf_detach(&cand, NULL);
                strbuf_free(&base);
                if (*path == NULL) {
                    errno = ENOMEM;
                    return -1;
                }
                return 0;
            }
            strbuf_free(&cand);
            if (errno != EEXIST && errno != ENOTDIR && errno != EISDIR &&
                errno != ENOTEMPTY) {
                int e = errno;

                strbuf_free(&base);
                errno = e;
                return -1;
            }
        }
        strbuf_free(&base);
    }
    errno = EEXIST;
    return -1;
}

/* ---- Strings for records ------------------------------------------ */

/* Reports are read by people and JSON encoders; see fetch.h. */
char *
fetch_printable(const char *s, size_t n, size_t max)
{
    static const char hex[] = "0123456789ABCDEF";
    struct strbuf sb = STRBUF_INIT;
    size_t i = 0;

    if (n > max) {
        n = max;
    }
    while (i < n) {
        const unsigned char *p = (const unsigned char *)s + i;
        size_t k = utf8_seq_len(p, n - i);

        if (k == 0 || p[0] < 0x20 || p[0] == 0x7f) {
            strbuf_putc(&sb, '%');
            strbuf_putc(&sb, hex[p[0] >> 4]);
            strbuf_putc(&sb, hex[p[0] & 15]);
            i++;
        } else {
            strbuf_append(&sb, s + i, k);
            i += k;
        }
    }
    return strbuf_detach(&sb, NULL); /* "" when empty, NULL on OOM */
}

/* Set rec->error to a new formatted string; -1 only when out of memory. */
static int rec_error(struct fetch_record *rec, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
rec_error(struct fetch_record *rec, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    strbuf_vprintf(&sb, fmt, ap);
    va_end(ap);
    if (!strbuf_ok(&sb) || sb.buf == NULL) {
        strbuf_free(&sb);
        return -1;
    }
    kw_free(rec->error);
    rec->error = strbuf_detach(&sb, NULL);
    return rec->error != NULL ? 0 : -1;
}

/* ---- The list file ------------------------------------------------ */

/* One parsed line: the record, and its normal form (owned) when valid. */
struct fetch_line {
    char *norm;
    size_t rec;
};

/* qsort order: normal form, then list order. */
static int
line_cmp(const void *a, const void *b)
{
    const struct fetch_line *x = a, *y = b;
    int c = strcmp(x->norm, y->norm);

    if (c != 0) {
        return c;
    }
    return x->rec < y->rec ? -1 : x->rec > y->rec;
}

/* Append a record for one URL line to out, its normal form to *norms
 * (NULL when the line is bad, with the reason in the record).  -1 only
 * when out of memory. */
static int
parse_line(const struct policy *pol, const char *s, size_t n, int lineno,
           struct fetch_result *out, char ***norms, size_t *cap)
{
    struct fetch_record *rec;
    struct strbuf nb = STRBUF_INIT;
    char *line;
    size_t i;
    int bad_byte = 0;

    if (out->n == *cap) {
        size_t c = *cap ? *cap * 2 : 64;
        struct fetch_record *r = kw_realloc(out->r, c * sizeof(*r));
        char **nn;

        if (r == NULL) {
            return -1;
        }
        out->r = r;
        nn = kw_realloc(*norms, c * sizeof(*nn));
        if (nn == NULL) {
            return -1;
        }
        *norms = nn;
        *cap = c;
    }
    rec = &out->r[out->n];
    memset(rec, 0, sizeof(*rec));
    (*norms)[out->n] = NULL;
    out->n++;
    rec->line = lineno;
    rec->last_modified = -1;
    rec->fetched_at = -1;
    rec->url = fetch_printable(s, n, FETCH_MAX_URL_LEN);
    if (rec->url == NULL) {
        return -1;
    }
    if (n > FETCH_MAX_URL_LEN) {
        return rec_error(rec, "line too long (over %d bytes)",
                         FETCH_MAX_URL_LEN);
    }
    for (i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            bad_byte = 1;
        }
    }
    if (bad_byte) {
        return rec_error(rec, "control characters in URL");
    }
    line = kw_strndup(s, n);
    if (line == NULL) {
        return -1;
    }
    if (url_normalize(line, &nb, NULL) < 0) {
        char why[256];
        int rc;

        if (!strbuf_ok(&nb)) {
            kw_free(line);
            strbuf_free(&nb);
            return -1;
        }
        /* The policy words the reason the same way for every refusal. */
        if (policy_check_fetch(pol, line, why, sizeof(why)) < 0) {
            rc = rec_error(rec, "%s", why);
        } else {
            rc = rec_error(rec, "not a valid http(s) URL");
        }
        kw_free(line);
        strbuf_free(&nb);
        return rc;
    }
    kw_free(line);
    (*norms)[out->n - 1] = strbuf_detach(&nb, NULL);
    return (*norms)[out->n - 1] != NULL ? 0 : -1;
}

/* Split the list text[0..len) into records (and their normal forms in
 * *norms, parallel to out->r), then mark later duplicates of a URL.  0, or
 * -1 with err when the list is unusable (too many URLs, out of memory). */
static int
parse_list(const struct policy *pol, const char *text, size_t len,
           struct fetch_result *out, char ***norms, char *err, size_t errlen)
{
    struct fetch_line *idx;
    size_t pos = 0, cap = 0, i, k, m = 0;
    int lineno = 0;

    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        pos = 3;
    }
    while (pos < len) {
        const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;

        pos += n + (nl != NULL);
        lineno++;
        while (n > 0 &&
               (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t')) {
            n--;
        }
        while (n > 0 && (s[0] == ' ' || s[0] == '\t')) {
            s++;
            n--;
        }
        if (n == 0 || s[0] == '#') {
            continue;
        }
        if (out->n >= FETCH_MAX_URLS) {
            return fetch_fail(err, errlen, "more than %d URLs in the list",
                              FETCH_MAX_URLS);
        }
        if (parse_line(pol, s, n, lineno, out, norms, &cap) < 0) {
            return fetch_fail(err, errlen, "out of memory");
        }
    }
    /* Duplicates by normal form: fetching a document twice only makes
     * a second copy for ingest to recognise as unchanged. */
    idx = kw_calloc(out->n, sizeof(*idx));
    if (idx == NULL) {
        return fetch_fail(err, errlen, "out of memory");
    }
    for (i = 0; i < out->n; i++) {
        if ((*norms)[i] != NULL) {
            idx[m].norm = (*norms)[i];
            idx[m].rec = i;
            m++;
        }
    }
    qsort(idx, m, sizeof(*idx), line_cmp);
    for (i = 0; i < m; i = k) {
        for (k = i + 1; k < m && strcmp(idx[k].norm, idx[i].norm) == 0; k++) {
            size_t r = idx[k].rec;

            kw_free((*norms)[r]);
            (*norms)[r] = NULL;
            if (rec_error(&out->r[r], "duplicate of line %d",
                          out->r[idx[i].rec].line) < 0) {
                kw_free(idx);
                return fetch_fail(err, errlen, "out of memory");
            }
        }
    }
    kw_free(idx);
    return 0;
}

/* ---- One URL ------------------------------------------------------ */

/* Parse a numeric host as url_host gives it ("1.2.3.4" in any inet_aton
 * form, or "[v6]") into bytes; AF_INET, AF_INET6 or 0 when neither. */
static int
host_addr(const char *host, unsigned char *bytes)
{
    size_t n = strlen(host);

    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        char tmp[INET6_ADDRSTRLEN];

        if (n - 2 >= sizeof(tmp)) {
            return 0;
        }
        memcpy(tmp, host + 1, n - 2);
        tmp[n - 2] = '\0';
        return inet_pton(AF_INET6, tmp, bytes) == 1 ? AF_INET6 : 0;
    } else {
        struct in_addr a;

        if (inet_aton(host, &a) == 0) {
            return 0;
        }
        memcpy(bytes, &a, 4);
        return AF_INET;
    }
}

/* 1 when our host and libcurl's name the same machine.  The policy judged
 * our parse and curl connects by its own: they must agree, or a URL
 * crafted for a parser differential could pass one and reach another. */
static int
hosts_agree(const char *ours, const char *theirs)
{
    unsigned char a[16], b[16];
    int fa, fb;

    if (!url_host_is_ip(ours)) {
        return strcasecmp(ours, theirs) == 0;
    }
    fa = host_addr(ours, a);
    fb = host_addr(theirs, b);
    return fa != 0 && fa == fb && memcmp(a, b, fa == AF_INET ? 4 : 16) == 0;
}

/* A name nothing else takes: the process, the caller's index, a try. */
int
fetch_tmpfile(int rootfd, const char *tag, size_t index, char *name, size_t n)
{
    int attempt, fd = -1;

    for (attempt = 0; attempt < 100; attempt++) {
        snprintf(name, n, ".%s-%ld-%zu-%d", tag, (long)getpid(), index,
                 attempt);
        fd = openat(rootfd, name,
                    O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST) {
            break;
        }
    }
    return fd;
}

/* Open (or empty) the temporary file of this URL.  0, or -1 with errno. */
static int
tmp_ready(struct fetch_xfer *t, size_t index)
{
    crypto_hash_sha256_init(&t->sha);
    if (t->fd >= 0) {
        if (ftruncate(t->fd, 0) < 0 || lseek(t->fd, 0, SEEK_SET) < 0) {
            return -1;
        }
        return 0;
    }
    t->fd = fetch_tmpfile(t->rootfd, "fetch", index, t->tmpname,
                          sizeof(t->tmpname));
    return t->fd >= 0 ? 0 : -1;
}

/* Drop the temporary file, if any. */
static void
tmp_discard(struct fetch_xfer *t)
{
    if (t->fd >= 0) {
        close(t->fd);
        t->fd = -1;
        unlinkat(t->rootfd, t->tmpname, 0);
    }
}

/* Replace *dst (owned) with a copy of src; -1 when out of memory. */
static int
set_str(char **dst, const char *src)
{
    char *c = NULL;

    if (src != NULL && (c = kw_strdup(src)) == NULL) {
        return -1;
    }
    kw_free(*dst);
    *dst = c;
    return 0;
}

/* 1 for the statuses whose Location we follow (all as GET: we only
 * ever send GET). */
static int
is_redirect(long status)
{
    return status == 301 || status == 302 || status == 303 || status == 307 ||
           status == 308;
}

/* Outcome of one hop. */
enum hop_result { HOP_RESPONSE, HOP_FAILED, HOP_NOMEM };

/* Request url (normalised, borrowed) once: policy, parser agreement,
 * then the transfer with what is left of the URL's deadline.  On
 * HOP_RESPONSE rec has the status, type and date of the response and
 * (for a redirect) *loc the Location; on HOP_FAILED rec->error says why. */
static enum hop_result
do_hop(struct fetch_xfer *t, struct fetch_record *rec, const char *url,
       size_t index, long long deadline, struct strbuf *loc)
{
    char why[512], errbuf[CURL_ERROR_SIZE];
    struct strbuf host = STRBUF_INIT;
    CURLU *u = NULL;
    char *chost = NULL, *ctype = NULL;
    struct curl_header *hdr;
    long long left, started;
    curl_off_t lm = -1;
    CURLcode cc;
    enum hop_result res = HOP_FAILED;
    int rc = 0;

    if (policy_check_fetch(t->pol, url, why, sizeof(why)) < 0) {
        return rec_error(rec, "%s", why) < 0 ? HOP_NOMEM : HOP_FAILED;
    }
    if (url_host(url, &host) < 0) {
        return rec_error(rec, "not a valid http(s) URL") < 0 ? HOP_NOMEM
                                                             : HOP_FAILED;
    }
    t->host = strbuf_peek(&host);
    t->literal_family =
        url_host_is_ip(t->host) ? host_addr(t->host, t->literal) : 0;
    u = curl_url();
    if (u == NULL) {
        res = HOP_NOMEM;
        goto out;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &chost, 0) != CURLUE_OK ||
        !hosts_agree(t->host, chost)) {
        rc = rec_error(rec, "fetch refused: libcurl reads the URL "
                            "differently");
        goto out;
    }
    if (tmp_ready(t, index) < 0) {
        rc = rec_error(rec, "cannot create a temporary file: %s",
                       strerror(errno));
        goto out;
    }
    left = deadline - clock_now_ms();
    if (left <= 0) {
        rc = rec_error(rec, "timed out (over %ld s)", t->o->timeout_s);
        goto out;
    }
    if (set_str(&rec->final_url, url) < 0) {
        res = HOP_NOMEM;
        goto out;
    }
    t->received = 0;
    t->header_bytes = 0;
    t->too_big = t->headers_too_big = t->discarded = 0;
    t->write_errno = 0;
    t->refused[0] = '\0';
    errbuf[0] = '\0';
    curl_easy_setopt(t->h, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(t->h, CURLOPT_CURLU, u);
    curl_easy_setopt(t->h, CURLOPT_TIMEOUT_MS, (long)left);
    started = clock_now_ms();
    cc = curl_easy_perform(t->h);
    curl_easy_setopt(t->h, CURLOPT_CURLU, NULL);
    curl_easy_setopt(t->h, CURLOPT_ERRORBUFFER, NULL);
    rec->status = 0;
    curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &rec->status);
    if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && t->discarded)) {
        if (t->refused[0] != '\0') {
            rc = rec_error(rec, "%s", t->refused);
        } else if (cc == CURLE_FILESIZE_EXCEEDED) {
            rc = rec_error(rec, "too large: Content-Length over %zu bytes",
                           t->o->max_bytes);
        } else if (t->too_big) {
            rc = rec_error(rec, "too large: body over %zu bytes",
                           t->o->max_bytes);
        } else if (t->headers_too_big) {
            rc = rec_error(rec, "response headers over %d bytes",
                           FETCH_MAX_HEADER_BYTES);
        } else if (t->write_errno != 0) {
            rc = rec_error(rec, "cannot write the body: %s",
                           strerror(t->write_errno));
        } else if (cc == CURLE_OPERATION_TIMEDOUT &&
                   clock_now_ms() - started + 250 < left) {
            /* Ended before the deadline: the low-speed limit fired. */
            rc = rec_error(rec, "too slow: under %ld bytes/s for %ld s",
                           t->o->low_speed_bytes, t->o->low_speed_time_s);
        } else if (cc == CURLE_OPERATION_TIMEDOUT) {
            rc = rec_error(rec, "timed out (over %ld s)", t->o->timeout_s);
        } else {
            char *detail = fetch_printable(errbuf, strlen(errbuf), 200);

            rc = rec_error(rec, "transfer failed: %s",
                           detail != NULL && detail[0] != '\0'
                               ? detail
                               : curl_easy_strerror(cc));
            kw_free(detail);
        }
        goto out;
    }
    if (curl_easy_getinfo(t->h, CURLINFO_CONTENT_TYPE, &ctype) != CURLE_OK) {
        ctype = NULL;
    }
    kw_free(rec->content_type);
    rec->content_type = NULL;
    if (ctype != NULL && (rec->content_type = fetch_printable(
                              ctype, strlen(ctype), FETCH_CTYPE_MAX)) == NULL) {
        res = HOP_NOMEM;
        goto out;
    }
    if (curl_easy_getinfo(t->h, CURLINFO_FILETIME_T, &lm) != CURLE_OK ||
        lm < 0) {
        lm = -1;
    }
    rec->last_modified = (long long)lm;
    strbuf_reset(loc);
    if (is_redirect(rec->status) &&
        curl_easy_header(t->h, "Location", 0, CURLH_HEADER, -1, &hdr) ==
            CURLHE_OK) {
        if (hdr->amount > 1) {
            rc = rec_error(rec, "HTTP %ld with %zu Location headers",
                           rec->status, hdr->amount);
            goto out;
        }
        strbuf_puts(loc, hdr->value);
        if (!strbuf_ok(loc)) {
            res = HOP_NOMEM;
            goto out;
        }
    }
    res = HOP_RESPONSE;
out:
    if (rc < 0) {
        res = HOP_NOMEM;
    }
    curl_free(chost);
    curl_url_cleanup(u);
    t->host = NULL;
    strbuf_free(&host);
    return res;
}

/* Keep the finished body: mtime from Last-Modified, a free name, the
 * hash.  -1 only when out of memory. */
static int
keep_body(struct fetch_xfer *t, struct fetch_record *rec, const char *url)
{
    unsigned char h[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];

    if (rec->last_modified >= 0) {
        struct timespec ts[2];

        ts[0].tv_sec = 0;
        ts[0].tv_nsec = UTIME_OMIT;
        ts[1].tv_sec = (time_t)rec->last_modified;
        ts[1].tv_nsec = 0;
        futimens(t->fd, ts);
    }
    if (fetch_save(t->rootfd, t->tmpname, url, NULL, rec->content_type,
                   &rec->path) < 0) {
        if (errno == ENOMEM) {
            return -1;
        }
        return rec_error(rec, "cannot save the body: %s", strerror(errno));
    }
    close(t->fd);
    t->fd = -1;
    crypto_hash_sha256_final(&t->sha, h);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    rec->sha256 = kw_strdup(hex);
    rec->size = (long long)t->received;
    rec->fetched_at = (long long)time(NULL);
    return rec->sha256 != NULL ? 0 : -1;
}

/* Fetch the record's URL (norm, borrowed), following redirects one hop
 * at a time, each re-checked against the policy.  rec gets the outcome;
 * -1 only when out of memory. */
static int
fetch_one(struct fetch_xfer *t, struct fetch_record *rec, const char *norm,
          size_t index)
{
    struct strbuf cur = STRBUF_INIT, loc = STRBUF_INIT;
    long long deadline = clock_now_ms() + (long long)t->o->timeout_s * 1000;
    int hops = 0, rc = 0;

    strbuf_puts(&cur, norm);
    for (;;) {
        struct strbuf next = STRBUF_INIT, abs = STRBUF_INIT;
        enum hop_result hr;
        char why[512];

        if (!strbuf_ok(&cur)) {
            rc = -1;
            break;
        }
        hr = do_hop(t, rec, strbuf_peek(&cur), index, deadline, &loc);
        if (hr != HOP_RESPONSE) {
            rc = hr == HOP_NOMEM ? -1 : 0;
            break;
        }
        if (rec->status >= 200 && rec->status <= 299) {
            rc = keep_body(t, rec, strbuf_peek(&cur));
            break;
        }
        if (!is_redirect(rec->status)) {
            rc = rec_error(rec, "HTTP %ld", rec->status);
            break;
        }
        if (loc.len == 0) {
            rc = rec_error(rec, "HTTP %ld without Location", rec->status);
            break;
        }
        if (hops >= t->o->max_redirects) {
            rc = rec_error(rec, "too many redirects (more than %d)",
                           t->o->max_redirects);
            break;
        }
        if (loc.len > FETCH_MAX_URL_LEN) {
            rc = rec_error(rec, "redirect Location over %d bytes",
                           FETCH_MAX_URL_LEN);
            break;
        }
        hops++;
        if (url_resolve(strbuf_peek(&cur), strbuf_peek(&loc), &abs) < 0 ||
            url_normalize(strbuf_peek(&abs), &next, NULL) < 0) {
            char *shown = fetch_printable(abs.len > 0 ? strbuf_peek(&abs)
                                                      : strbuf_peek(&loc),
                                          abs.len > 0 ? abs.len : loc.len, 200);

            if (!strbuf_ok(&abs) || !strbuf_ok(&next) || shown == NULL) {
                rc = -1;
            } else {
                /* The policy words why (not http(s), malformed). */
                policy_check_fetch(t->pol, strbuf_peek(&abs), why, sizeof(why));
                rc =
                    rec_error(rec, "redirect to %s refused: %s", shown,
                              why[0] != '\0' ? why : "not a valid http(s) URL");
            }
            kw_free(shown);
            strbuf_free(&abs);
            strbuf_free(&next);
            break;
        }
        strbuf_free(&abs);
        if (policy_check_fetch(t->pol, strbuf_peek(&next), why, sizeof(why)) <
            0) {
            char *shown = fetch_printable(next.buf, next.len, 200);

            rc = shown == NULL
                     ? -1
                     : rec_error(rec, "redirect to %s refused: %s", shown, why);
            kw_free(shown);
            strbuf_free(&next);
            break;
        }
        strbuf_free(&cur);
        cur = next;
    }
    if (rec->error != NULL || rc < 0) {
        tmp_discard(t);
        kw_free(rec->path);
        rec->path = NULL;
    }
    strbuf_free(&cur);
    strbuf_free(&loc);
    return rc;
}

/* ---- The list ----------------------------------------------------- */

/* Set up the one easy handle every URL reuses (connections to a host are
 * kept between URLs).  0, or -1 when libcurl lacks an option we rely on:
 * better to refuse than to fetch with a wall missing. */
static int
easy_setup(struct fetch_xfer *t)
{
    CURL *h = t->h;
    int bad = 0;

    bad |= curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") != 0;
    bad |= curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https") != 0;
    bad |= curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != 0;
    bad |= curl_easy_setopt(h, CURLOPT_USERAGENT, FETCH_USER_AGENT) != 0;
    /* "" overrides http_proxy and friends from the environment. */
    bad |= curl_easy_setopt(h, CURLOPT_PROXY, "") != 0;
    bad |= curl_easy_setopt(h, CURLOPT_NOPROXY, "*") != 0;
    bad |= curl_easy_setopt(h, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED) != 0;
    bad |= curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != 0;
    bad |= curl_easy_setopt(h, CURLOPT_HTTPGET, 1L) != 0;
    bad |= curl_easy_setopt(h, CURLOPT_FILETIME, 1L) != 0;
    bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != 0;
    bad |= curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != 0;
    bad |= curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
                            (curl_off_t)t->o->max_bytes) != 0;
    if (t->o->low_speed_time_s > 0) {
        bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT,
                                t->o->low_speed_bytes) != 0;
        bad |= curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                                t->o->low_speed_time_s) != 0;
    }
    bad |=
        curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, fetch_opensocket) != 0;
    bad |= curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, t) != 0;
    bad |= curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, fetch_on_header) != 0;
    bad |= curl_easy_setopt(h, CURLOPT_HEADERDATA, t) != 0;
    bad |= curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_on_body) != 0;
    bad |= curl_easy_setopt(h, CURLOPT_WRITEDATA, t) != 0;
    return bad ? -1 : 0;
}

/* qsort/bsearch order of the path index. */
static int
key_cmp(const void *a, const void *b)
{
    const struct fetch_path_key *x = a, *y = b;

    return strcmp(x->path, y->path);
}

/* Builds out->by_path anew; see fetch.h. */
int
fetch_result_index(struct fetch_result *out)
{
    size_t i;

    out->nfailed = 0;
    out->npath = 0;
    kw_free(out->by_path);
    out->by_path = kw_calloc(out->n > 0 ? out->n : 1, sizeof(*out->by_path));
    if (out->by_path == NULL) {
        return -1;
    }
    for (i = 0; i < out->n; i++) {
        if (out->r[i].error != NULL) {
            out->nfailed++;
        } else if (out->r[i].path != NULL) {
            out->by_path[out->npath].path = out->r[i].path;
            out->by_path[out->npath].rec = i;
            out->npath++;
        }
    }
    qsort(out->by_path, out->npath, sizeof(*out->by_path), key_cmp);
    return 0;
}

/* 0 when o is within the documented ranges. */
static int
opts_valid(const struct fetch_opts *o)
{
    return o->timeout_s > 0 && o->timeout_s <= 86400 && o->max_bytes > 0 &&
           o->max_redirects >= 0 && o->max_redirects <= 20 &&
           o->low_speed_bytes >= 0 && o->low_speed_time_s >= 0;
}

/* See fetch.h.  The list is read and checked whole before the first
 * connection, so a list that is unusable fetches nothing. */
int
fetch_list(const char *urls_file, const struct policy *pol,
           const struct fetch_opts *o, const char *dest_dir,
           struct fetch_result *out, char *err, size_t errlen)
{
    struct fetch_opts def;
    struct fetch_xfer t;
    char **norms = NULL, *text = NULL;
    size_t len, i;
    int rc = -1, global = 0;

    memset(out, 0, sizeof(*out));
    memset(&t, 0, sizeof(t));
    t.fd = -1;
    t.rootfd = -1;
    if (o == NULL) {
        fetch_opts_default(&def, pol);
        o = &def;
    }
    t.o = o;
    t.pol = pol;
    if (!opts_valid(o)) {
        return fetch_fail(err, errlen, "bad fetch options");
    }
    t.rootfd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (t.rootfd < 0) {
        return fetch_fail(err, errlen, "%s: %s", dest_dir, strerror(errno));
    }
    if (fs_read_file(urls_file, FETCH_LIST_MAX_BYTES, &text, &len) < 0) {
        int e = errno;

        fetch_fail(err, errlen, "%s: %s", urls_file,
                   e == EFBIG    ? "larger than 64 MiB"
                   : e == EINVAL ? "not a regular file"
                   : e == ELOOP  ? "a symbolic link (not followed)"
                                 : strerror(e));
        goto out;
    }
    if (sodium_init() < 0) {
        fetch_fail(err, errlen, "libsodium cannot start");
        goto out;
    }
    if (parse_list(pol, text, len, out, &norms, err, errlen) < 0) {
        goto out;
    }
    kw_free(text);
    text = NULL;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fetch_fail(err, errlen, "libcurl cannot start");
        goto out;
    }
    global = 1;
    t.h = curl_easy_init();
    if (t.h == NULL || easy_setup(&t) < 0) {
        fetch_fail(err, errlen,
                   "libcurl lacks a required option (7.85 or "
                   "later needed)");
        goto out;
    }
    for (i = 0; i < out->n; i++) {
        if (norms[i] != NULL && fetch_one(&t, &out->r[i], norms[i], i) < 0) {
            fetch_fail(err, errlen, "out of memory");
            goto out;
        }
        if (o->progress != NULL) {
            o->progress(o->progress_arg, i + 1, out->n, &out->r[i]);
        }
    }
    if (fetch_result_index(out) < 0) {
        fetch_fail(err, errlen, "out of memory");
        goto out;
    }
    rc = 0;
out:
    tmp_discard(&t);
    if (t.h != NULL) {
        curl_easy_cleanup(t.h);
    }
    if (global) {
        curl_global_cleanup();
    }
    for (i = 0; norms != NULL && i < out->n; i++) {
        kw_free(norms[i]);
    }
    kw_free(norms);
    kw_free(text);
    close(t.rootfd);
    if (rc < 0) {
        fetch_result_free(out);
    }
    return rc;
}

/* bsearch in the path index; the record is borrowed from r. */
const struct fetch_record *
fetch_find_path(const struct fetch_result *r, const char *path)
{
    struct fetch_path_key key, *hit;

    if (r->npath == 0) {
        return NULL;
    }
    key.path = path;
    key.rec = 0;
    hit = bsearch(&key, r->by_path, r->npath, sizeof(*r->by_path), key_cmp);
    return hit != NULL ? &r->r[hit->rec] : NULL;
}

/* Frees every owned string of every record, then the arrays. */
void
fetch_result_free(struct fetch_result *r)
{
    size_t i;

    if (r == NULL) {
        return;
    }
    for (i = 0; i < r->n; i++) {
        kw_free(r->r[i].url);
        kw_free(r->r[i].final_url);
        kw_free(r->r[i].path);
        kw_free(r->r[i].content_type);
        kw_free(r->r[i].sha256);
        kw_free(r->r[i].error);
        kw_free(r->r[i].skipped);
    }
    kw_free(r->r);
    kw_free(r->by_path);
    memset(r, 0, sizeof(*r));
}

/* Remove name in dfd and, for a directory (never through a symlink),
 * everything below it.  Returns the first errno met, 0 when none. */
static int
rm_at(int dfd, const char *name, int depth)
{
    struct stat st;
    int first = 0;

    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        return errno;
    }
    if (S_ISDIR(st.st_mode)) {
        int fd = depth < FETCH_RMTREE_DEPTH
                     ? openat(dfd, name,
                              O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                     : -1;
        DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
        struct dirent *de;

        if (d == NULL) {
            first = depth < FETCH_RMTREE_DEPTH ? errno : ELOOP;
            if (fd >= 0) {
                close(fd);
            }
            return first;
        }
        while ((de = readdir(d)) != NULL) {
            int e;

            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
                continue;
            }
            e = rm_at(fd, de->d_name, depth + 1);
            if (first == 0) {
                first = e;
            }
        }
        closedir(d);
        if (unlinkat(dfd, name, AT_REMOVEDIR) < 0 && first == 0) {
            first = errno;
        }
        return first;
    }
    return unlinkat(dfd, name, 0) < 0 ? errno : 0;
}

/* dir is borrowed. */
int
fetch_rmtree(const char *dir)
{
    int e = rm_at(AT_FDCWD, dir, 0);

    if (e != 0) {
        errno = e;
        return -1;
    }
    return 0;
}
