/*
 * policy: parser and checks for the vetting policy (format in policy.h).
 * Layer: lib/, depends on libc, strbuf, alloc, fsutil and url; never on
 * microhttpd.h, server/ or ingest/.  Rules are stored as canonical hosts
 * (url_host's form) in sorted arrays, so a check costs one binary search
 * per label of the host, and a blocklist of many thousand lines stays
 * cheap for every document of a large batch.  Anything doubtful is
 * refused: an unknown directive is an error, not a warning, because a
 * typo in a deny line must not silently let material in.
 */
#include "policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "fsutil.h"
#include "strbuf.h"
#include "url.h"

/* An operator writes the policy by hand; a megabyte is far beyond any
 * real one and keeps a wrong path (a disk image, /dev/zero) harmless. */
#define POLICY_FILE_MAX (1024 * 1024)
#define POLICY_TIMEOUT_MAX 86400L

enum policy_type {
    POLICY_HTML = 1,
    POLICY_MARKDOWN = 2,
    POLICY_TEXT = 4,
    POLICY_PDF = 8,
    POLICY_ALL_TYPES = 15
};

static const struct {
    const char *name;
    unsigned bit;
} policy_types[] = {
    {"html", POLICY_HTML},
    {"markdown", POLICY_MARKDOWN},
    {"text", POLICY_TEXT},
    {"pdf", POLICY_PDF},
};

/* A set of canonical hosts, sorted and unique once parsing ends. */
struct policy_list {
    char **v;
    size_t n;
    size_t cap;
};

struct policy {
    struct policy_list allow;
    struct policy_list deny;
    struct policy_list fetch_allow;
    size_t max_size;
    size_t fetch_max_size;
    size_t archive_max_size;
    long fetch_timeout;
    unsigned types;
};

/* Directives that may appear once; the index into parser.seen. */
enum policy_once {
    ONCE_MAX_SIZE,
    ONCE_TYPES,
    ONCE_FETCH_MAX_SIZE,
    ONCE_FETCH_TIMEOUT,
    ONCE_ARCHIVE_MAX_SIZE,
    ONCE_COUNT
};

struct policy_parser {
    const char *name;
    int line;
    char *err;
    size_t errlen;
    int seen[ONCE_COUNT]; /* line of the first occurrence, 0 when none */
};

/* Write "NAME:LINE: message" into the parser's err buffer; returns -1 so
 * callers can `return perr(...)`. */
static int perr(struct policy_parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
perr(struct policy_parser *ps, const char *fmt, ...)
{
    va_list ap;
    int k;

    if (ps->err == NULL || ps->errlen == 0) {
        return -1;
    }
    k = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->name, ps->line);
    if (k >= 0 && (size_t)k < ps->errlen) {
        va_start(ap, fmt);
        vsnprintf(ps->err + k, ps->errlen - (size_t)k, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Copy a token into buf for an error message: at most 48 bytes, and
 * anything but printable ASCII shown as '?', so a hostile or binary file
 * cannot put terminal escapes into the operator's log. */
static const char *
shown(const char *tok, size_t n, char *buf, size_t size)
{
    size_t i, k = n < size - 1 ? n : size - 1;

    if (k > 48) {
        k = 48;
    }
    for (i = 0; i < k; i++) {
        int c = (unsigned char)tok[i];

        buf[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    buf[k] = '\0';
    return buf;
}

/* Frees the rules l owns and empties it. */
static void
list_free(struct policy_list *l)
{
    size_t i;

    for (i = 0; i < l->n; i++) {
        kw_free(l->v[i]);
    }
    kw_free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* Append a new copy of s to l.  0, or -1 out of memory. */
static int
list_add(struct policy_list *l, const char *s)
{
    char *copy;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **v = kw_realloc(l->v, cap * sizeof(*v));

        if (v == NULL) {
            return -1;
        }
        l->v = v;
        l->cap = cap;
    }
    copy = kw_strdup(s);
    if (copy == NULL) {
        return -1;
    }
    l->v[l->n++] = copy;
    return 0;
}

/* qsort/bsearch order of rules: strcmp on the pointed-to strings. */
static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort l and drop repeated rules, so matching can binary-search. */
static void
list_finish(struct policy_list *l)
{
    size_t i, o = 0;

    if (l->n == 0) {
        return;
    }
    qsort(l->v, l->n, sizeof(*l->v), cmp_str);
    for (i = 0; i < l->n; i++) {
        if (o > 0 && strcmp(l->v[o - 1], l->v[i]) == 0) {
            kw_free(l->v[i]);
        } else {
            l->v[o++] = l->v[i];
        }
    }
    l->n = o;
}

/* The rule equal to key, borrowed from l, or NULL. */
static const char *
list_find(const struct policy_list *l, const char *key)
{
    char *const *hit;

    if (l->n == 0) {
        return NULL;
    }
    hit = bsearch(&key, l->v, l->n, sizeof(*l->v), cmp_str);
    return hit != NULL ? *hit : NULL;
}

/* The rule of l that host (canonical) falls under, borrowed, or NULL.
 * Names match by whole-label suffix; numeric hosts only exactly, or
 * "0.1" would admit "127.0.0.1". */
static const char *
list_match(const struct policy_list *l, const char *host, int ip)
{
    const char *p = host;

    if (ip) {
        return list_find(l, host);
    }
    while (p != NULL) {
        const char *hit = list_find(l, p);

        if (hit != NULL) {
            return hit;
        }
        p = strchr(p, '.');
        if (p != NULL) {
            p++;
        }
    }
    return NULL;
}

/* Parse one host rule and add its canonical form to l.  The token is
 * canonicalised by url_host itself, so a rule and a URL's host can never
 * disagree about case, trailing dots or IPv6 spelling.  0 or -1. */
static int
rule_add(struct policy_parser *ps, struct policy_list *l, const char *tok,
         size_t n)
{
    struct strbuf url = STRBUF_INIT, host = STRBUF_INIT;
    char show[64];
    size_t i;
    int rc = 0, v6;

    for (i = 0; i < n; i++) {
        int c = (unsigned char)tok[i];

        if (c == '*') {
            return perr(ps,
                        "'%s': no wildcards; a rule already matches its "
                        "subdomains",
                        shown(tok, n, show, sizeof(show)));
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || strchr(".-:[]", c) != NULL)) {
            return perr(ps, "'%s' is not a host name or address",
                        shown(tok, n, show, sizeof(show)));
        }
    }
    /* A bare IPv6 address is written without brackets in many configs;
     * a ':' anywhere else would be a port, which a rule cannot carry. */
    v6 = memchr(tok, ':', n) != NULL && tok[0] != '[';
    strbuf_puts(&url, v6 ? "http://[" : "http://");
    strbuf_append(&url, tok, n);
    strbuf_puts(&url, v6 ? "]/" : "/");
    if (!strbuf_ok(&url)) {
        rc = perr(ps, "out of memory");
    } else if (url_host(strbuf_peek(&url), &host) < 0) {
        rc = strbuf_ok(&host) ? perr(ps, "'%s' is not a host name or address",
                                     shown(tok, n, show, sizeof(show)))
                              : perr(ps, "out of memory");
    } else if (list_add(l, strbuf_peek(&host)) < 0) {
        rc = perr(ps, "out of memory");
    }
    strbuf_free(&url);
    strbuf_free(&host);
    return rc;
}

/* Parse a size: digits with an optional k, M or G (powers of 1024). */
static int
size_parse(struct policy_parser *ps, const char *tok, size_t n, size_t *out)
{
    size_t i, v = 0, mul = 1;
    char show[64];

    for (i = 0; i < n && tok[i] >= '0' && tok[i] <= '9'; i++) {
        size_t d = (size_t)(tok[i] - '0');

        if (v > ((size_t)-1 - d) / 10) {
            return perr(ps, "size '%s' is too large",
                        shown(tok, n, show, sizeof(show)));
        }
        v = v * 10 + d;
    }
    if (i == 0) {
        return perr(ps, "'%s' is not a size (e.g. 65536, 64k, 64M, 1G)",
                    shown(tok, n, show, sizeof(show)));
    }
    if (i < n) {
        int c = i + 1 == n ? tok[i] : 0;

        if (c == 'k' || c == 'K') {
            mul = 1024;
        } else if (c == 'm' || c == 'M') {
            mul = (size_t)1024 * 1024;
        } else if (c == 'g' || c == 'G') {
            mul = (size_t)1024 * 1024 * 1024;
        } else {
            return perr(ps, "'%s' is not a size (e.g. 65536, 64k, 64M, 1G)",
                        shown(tok, n, show, sizeof(show)));
        }
    }
    if (v > (size_t)-1 / mul) {
        return perr(ps, "size '%s' is too large",
                    shown(tok, n, show, sizeof(show)));
    }
    if (v == 0) {
        return perr(ps, "a size must be greater than zero");
    }
    *out = v * mul;
    return 0;
}

/* Parse fetch_timeout seconds, 1..POLICY_TIMEOUT_MAX. */
static int
timeout_parse(struct policy_parser *ps, const char *tok, size_t n, long *out)
{
    size_t i;
    long v = 0;
    char show[64];

    for (i = 0; i < n; i++) {
        if (tok[i] < '0' || tok[i] > '9' || v > POLICY_TIMEOUT_MAX) {
            break;
        }
        v = v * 10 + (tok[i] - '0');
    }
    if (n == 0 || i != n || v < 1 || v > POLICY_TIMEOUT_MAX) {
        return perr(ps, "'%s' is not a timeout in seconds (1 to %ld)",
                    shown(tok, n, show, sizeof(show)), POLICY_TIMEOUT_MAX);
    }
    *out = v;
    return 0;
}

/* Parse one type name into the policy's set. */
static int
type_add(struct policy_parser *ps, struct policy *p, const char *tok, size_t n)
{
    size_t i;
    char show[64];

    for (i = 0; i < sizeof(policy_types) / sizeof(policy_types[0]); i++) {
        if (strlen(policy_types[i].name) == n &&
            memcmp(policy_types[i].name, tok, n) == 0) {
            p->types |= policy_types[i].bit;
            return 0;
        }
    }
    return perr(ps, "unknown type '%s' (html, markdown, text, pdf)",
                shown(tok, n, show, sizeof(show)));
}

/* Record a directive that may appear once; -1 when it already did. */
static int
once(struct policy_parser *ps, enum policy_once which, const char *name)
{
    if (ps->seen[which] != 0) {
        return perr(ps, "'%s' given twice (first on line %d)", name,
                    ps->seen[which]);
    }
    ps->seen[which] = ps->line;
    return 0;
}

/* Split s[0..n) on blanks into at most `max` tokens; returns the count,
 * or max + 1 when there are more. */
static size_t
tokenize(const char *s, size_t n, const char **tok, size_t *len, size_t max)
{
    size_t i = 0, k = 0;

    while (i < n) {
        size_t j;

        while (i < n && (s[i] == ' ' || s[i] == '\t')) {
            i++;
        }
        if (i == n) {
            break;
        }
        j = i;
        while (j < n && s[j] != ' ' && s[j] != '\t') {
            j++;
        }
        if (k == max) {
            return max + 1;
        }
        tok[k] = s + i;
        len[k] = j - i;
        k++;
        i = j;
    }
    return k;
}

/* 1 when the token tok[0..n) is exactly w. */
static int
word_is(const char *tok, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(tok, w, n) == 0;
}

/* Apply one line (comment already cut) to p.  0 or -1 with err. */
static int
line_parse(struct policy_parser *ps, struct policy *p, const char *s, size_t n)
{
    const char *tok[6];
    size_t len[6], k, i;
    char show[64];

    k = tokenize(s, n, tok, len, 1);
    if (k == 0) {
        return 0;
    }
    if (word_is(tok[0], len[0], "allow") || word_is(tok[0], len[0], "deny") ||
        word_is(tok[0], len[0], "fetch_allow")) {
        struct policy_list *l = word_is(tok[0], len[0], "allow") ? &p->allow
                                : word_is(tok[0], len[0], "deny")
                                    ? &p->deny
                                    : &p->fetch_allow;
        size_t at = (size_t)(tok[0] - s) + len[0], got = 0;

        /* Each blank-separated word after the keyword is one rule. */
        while (at < n) {
            size_t j;

            while (at < n && (s[at] == ' ' || s[at] == '\t')) {
                at++;
            }
            j = at;
            while (j < n && s[j] != ' ' && s[j] != '\t') {
                j++;
            }
            if (j > at) {
                if (rule_add(ps, l, s + at, j - at) < 0) {
                    return -1;
                }
                got++;
            }
            at = j;
        }
        if (got == 0) {
            return perr(ps, "'%s' needs at least one host",
                        shown(tok[0], len[0], show, sizeof(show)));
        }
        return 0;
    }
    k = tokenize(s, n, tok, len, 5);
    if (word_is(tok[0], len[0], "types")) {
        if (once(ps, ONCE_TYPES, "types") < 0) {
            return -1;
        }
        if (k < 2 || k > 5) {
            return perr(ps, "'types' takes one to four of html, markdown, "
                            "text, pdf");
        }
        p->types = 0;
        for (i = 1; i < k; i++) {
            if (type_add(ps, p, tok[i], len[i]) < 0) {
                return -1;
            }
        }
        return 0;
    }
    if (word_is(tok[0], len[0], "max_size") ||
        word_is(tok[0], len[0], "fetch_max_size") ||
        word_is(tok[0], len[0], "fetch_timeout")) {
        int fetch_size = word_is(tok[0], len[0], "fetch_max_size");
        int timeout = word_is(tok[0], len[0], "fetch_timeout");
        const char *name = timeout      ? "fetch_timeout"
                           : fetch_size ? "fetch_max_size"
                                        : "max_size";

        if (once(ps,
                 timeout      ? ONCE_FETCH_TIMEOUT
                 : fetch_size ? ONCE_FETCH_MAX_SIZE
                              : ONCE_MAX_SIZE,
                 name) < 0) {
            return -1;
        }
        if (k != 2) {
            return perr(ps, "'%s' takes exactly one value", name);
        }
        if (timeout) {
            return timeout_parse(ps, tok[1], len[1], &p->fetch_timeout);
        }
        return size_parse(ps, tok[1], len[1],
                          fetch_size ? &p->fetch_max_size : &p->max_size);
    }
    if (word_is(tok[0], len[0], "archive_max_size")) {
        if (once(ps, ONCE_ARCHIVE_MAX_SIZE, "archive_max_size") < 0) {
            return -1;
        }
        if (k != 2) {
            return perr(ps, "'archive_max_size' takes exactly one value");
        }
        return size_parse(ps, tok[1], len[1], &p->archive_max_size);
    }
    return perr(ps, "unknown directive '%s'",
                shown(tok[0], len[0], show, sizeof(show)));
}

/* Frees p and every rule it owns. */
void
policy_free(struct policy *p)
{
    if (p == NULL) {
        return;
    }
    list_free(&p->allow);
    list_free(&p->deny);
    list_free(&p->fetch_allow);
    kw_free(p);
}

/* Line by line into a new policy; defaults first, so a file that
 * says nothing is the documented default.  *out is new on success. */
int
policy_parse(const char *text, size_t len, const char *name_for_errors,
             struct policy **out, char *err, size_t errlen)
{
    struct policy_parser ps;
    struct policy *p;
    size_t pos = 0;

    memset(&ps, 0, sizeof(ps));
    ps.name = name_for_errors != NULL ? name_for_errors : "policy";
    ps.err = err;
    ps.errlen = errlen;
    *out = NULL;
    if (err != NULL && errlen > 0) {
        err[0] = '\0';
    }
    p = kw_calloc(1, sizeof(*p));
    if (p == NULL) {
        return perr(&ps, "out of memory");
    }
    p->max_size = (size_t)64 * 1024 * 1024;
    p->fetch_max_size = (size_t)32 * 1024 * 1024;
    p->fetch_timeout = 60;
    p->archive_max_size = (size_t)16 * 1024 * 1024 * 1024;
    p->types = POLICY_ALL_TYPES;
    while (pos < len) {
        const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - pos;
        const char *hash;

        pos += n + (nl != NULL);
        ps.line++;
        if (memchr(s, '\0', n) != NULL) {
            perr(&ps, "NUL byte in line");
            goto fail;
        }
        hash = memchr(s, '#', n);
        if (hash != NULL) {
            n = (size_t)(hash - s);
        }
        if (n > 0 && s[n - 1] == '\r') {
            n--;
        }
        if (line_parse(&ps, p, s, n) < 0) {
            goto fail;
        }
    }
    list_finish(&p->allow);
    list_finish(&p->deny);
    list_finish(&p->fetch_allow);
    *out = p;
    return 0;
fail:
    policy_free(p);
    return -1;
}

/* Bounded read (fs_read_file refuses non-regular files before reading),
 * then policy_parse; *out is new on success. */
int
policy_load(const char *path, struct policy **out, char *err, size_t errlen)
{
    char *buf;
    size_t len;
    int rc;

    *out = NULL;
    if (fs_read_file(path, POLICY_FILE_MAX, &buf, &len) < 0) {
        int e = errno;

        if (err != NULL && errlen > 0) {
            snprintf(err, errlen, "%s: %s", path,
                     e == EFBIG    ? "larger than 1 MiB"
                     : e == EINVAL ? "not a regular file"
                     : e == ELOOP  ? "a symbolic link (not followed)"
                                   : strerror(e));
        }
        return -1;
    }
    rc = policy_parse(buf, len, path, out, err, errlen);
    kw_free(buf);
    return rc;
}

/* Format reason[n] and return -1, for the check functions' refusals. */
static int refuse(char *reason, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
refuse(char *reason, size_t n, const char *fmt, ...)
{
    va_list ap;

    if (reason != NULL && n > 0) {
        va_start(ap, fmt);
        vsnprintf(reason, n, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* Put url's canonical host into host.  0; 1 when not an http(s) URL; 2
 * when http(s) but malformed (userinfo, bad host or port); -1 out of
 * memory. */
static int
http_host(const char *url, struct strbuf *host)
{
    if (!url_is_http(url)) {
        return strncasecmp(url, "http:", 5) == 0 ||
                       strncasecmp(url, "https:", 6) == 0
                   ? 2
                   : 1;
    }
    return url_host(url, host) == 0 ? 0 : -1;
}

/* Deny first (it wins), then numeric hosts (exact allow only), then
 * the allow list when there is one.  url is borrowed. */
int
policy_check_source(const struct policy *p, const char *url, char *reason,
                    size_t n)
{
    struct strbuf sb = STRBUF_INIT;
    const char *host, *rule;
    int rc, ip;

    if (reason != NULL && n > 0) {
        reason[0] = '\0';
    }
    rc = http_host(url, &sb);
    if (rc != 0) {
        strbuf_free(&sb);
        return refuse(reason, n, "blocked source: %s",
                      rc == 1   ? "not an http(s) URL"
                      : rc == 2 ? "malformed http(s) URL (userinfo, bad "
                                  "host or port)"
                                : "out of memory");
    }
    host = strbuf_peek(&sb);
    ip = url_host_is_ip(host);
    rc = 0;
    if ((rule = list_match(&p->deny, host, ip)) != NULL) {
        rc = refuse(reason, n, "blocked source: %s (deny %s)", host, rule);
    } else if (ip && list_match(&p->allow, host, ip) == NULL) {
        rc = refuse(reason, n,
                    "blocked source: %s is a numeric address not in allow "
                    "list",
                    host);
    } else if (p->allow.n > 0 && list_match(&p->allow, host, ip) == NULL) {
        rc = refuse(reason, n, "blocked source: %s not in allow list", host);
    }
    strbuf_free(&sb);
    return rc;
}

/* Deny first, then fetch_allow, which must exist: fetching is opt-in.
 * url is borrowed. */
int
policy_check_fetch(const struct policy *p, const char *url, char *reason,
                   size_t n)
{
    struct strbuf sb = STRBUF_INIT;
    const char *host, *rule;
    int rc, ip;

    if (reason != NULL && n > 0) {
        reason[0] = '\0';
    }
    rc = http_host(url, &sb);
    if (rc != 0) {
        strbuf_free(&sb);
        return refuse(reason, n, "fetch refused: %s",
                      rc == 1   ? "not an http(s) URL"
                      : rc == 2 ? "malformed http(s) URL (userinfo, bad "
                                  "host or port)"
                                : "out of memory");
    }
    host = strbuf_peek(&sb);
    ip = url_host_is_ip(host);
    rc = 0;
    if ((rule = list_match(&p->deny, host, ip)) != NULL) {
        rc = refuse(reason, n, "fetch refused: %s (deny %s)", host, rule);
    } else if (p->fetch_allow.n == 0) {
        rc = refuse(reason, n,
                    "fetch refused: fetching is disabled (no fetch_allow "
                    "in the policy)");
    } else if (list_match(&p->fetch_allow, host, ip) == NULL) {
        rc = refuse(reason, n, "fetch refused: %s %s", host,
                    ip ? "is a numeric address not in fetch_allow"
                       : "not in fetch_allow");
    }
    strbuf_free(&sb);
    return rc;
}

/* Accessors: plain values, nothing owned. */
size_t
policy_max_size(const struct policy *p)
{
    return p->max_size;
}

/* type is borrowed; unknown names are simply not allowed. */
int
policy_type_allowed(const struct policy *p, const char *type)
{
    size_t i;

    for (i = 0; i < sizeof(policy_types) / sizeof(policy_types[0]); i++) {
        if (strcmp(policy_types[i].name, type) == 0) {
            return (p->types & policy_types[i].bit) != 0;
        }
    }
    return 0;
}

/* Plain value. */
size_t
policy_fetch_max_size(const struct policy *p)
{
    return p->fetch_max_size;
}

/* Plain value. */
long
policy_fetch_timeout(const struct policy *p)
{
    return p->fetch_timeout;
}

size_t
policy_archive_max_size(const struct policy *p)
{
    return p->archive_max_size;
}
