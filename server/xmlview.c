/*
 * xmlview: the helpers of the XML answers (see xmlview.h).  Layer:
 * server/; never touches MHD.
 */
#include "xmlview.h"

#include <string.h>
#include <time.h>

#include "html.h"
#include "render.h"
#include "strbuf.h"

/* Characters of a host name, an IPv4 address or a bracketed IPv6 one. */
static const char host_chars[] = "abcdefghijklmnopqrstuvwxyz"
                                 "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]";

/* The Host header, or "localhost" when it is missing or odd. */
static const char *
host_port(struct req *req)
{
    const char *h = req_header(req, "Host");

    if (h == NULL || *h == '\0' || strspn(h, host_chars) != strlen(h)) {
        return "localhost";
    }
    return h;
}

const char *
xmlview_host(struct req *req)
{
    const char *h = host_port(req);
    const char *colon = h[0] == '[' ? strchr(h, ']') : h;

    /* The port starts at the first ':' after the host, or after "]". */
    colon = colon != NULL ? strchr(colon, ':') : NULL;
    if (colon == NULL) {
        return h;
    }
    return arena_strndup(req->arena, h, (size_t)(colon - h));
}

const char *
xmlview_origin(struct req *req)
{
    const char *tls = req->app->cfg->tls_cert;
    struct strbuf o = STRBUF_INIT;
    const char *s;

    strbuf_puts(&o, tls != NULL && tls[0] != '\0' ? "https://" : "http://");
    strbuf_puts(&o, host_port(req));
    s = arena_strdup(req->arena, strbuf_peek(&o));
    strbuf_free(&o);
    return s;
}

const char *
xmlview_url(struct req *req, const char *path)
{
    struct strbuf u = STRBUF_INIT;
    const char *s;

    strbuf_printf(&u, "%s%s%s", xmlview_origin(req), req->app->base, path);
    s = arena_strdup(req->arena, strbuf_peek(&u));
    strbuf_free(&u);
    return s;
}

const char *
xmlview_doc_url(struct req *req, const char *collection, const char *path)
{
    struct strbuf u = STRBUF_INIT;
    const char *s;

    strbuf_puts(&u, xmlview_origin(req));
    render_doc_url(&u, req->app->base, collection, path, NULL);
    s = arena_strdup(req->arena, strbuf_peek(&u));
    strbuf_free(&u);
    return s;
}

void
xmlview_time(int64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (gmtime_r(&tt, &tm) == NULL ||
        strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        strcpy(buf, "1970-01-01T00:00:00Z");
    }
}

/* Length of the UTF-8 sequence at p (n bytes left) when XML 1.0 allows
 * its character, else 0: invalid UTF-8, a control character but TAB, LF
 * and CR, U+FFFE or U+FFFF. */
static size_t
xml_char_len(const unsigned char *p, size_t n)
{
    size_t k = utf8_seq_len(p, n);

    if (k == 1 && p[0] < 0x20 && p[0] != '\t' && p[0] != '\n' && p[0] != '\r') {
        return 0;
    }
    if (k == 3 && p[0] == 0xef && p[1] == 0xbf && p[2] >= 0xbe) {
        return 0;
    }
    return k;
}

json_t *
xmlview_text(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    struct strbuf sb = STRBUF_INIT;
    size_t n, i, k;
    json_t *j;

    if (s == NULL) {
        return NULL;
    }
    n = strlen(s);
    for (i = 0; i < n; i += k) {
        k = xml_char_len(p + i, n - i);
        /* what XML cannot carry becomes U+FFFD, a byte at a time */
        strbuf_append(&sb, k > 0 ? s + i : "\xef\xbf\xbd", k > 0 ? k : 3);
        k = k > 0 ? k : 1;
    }
    j = strbuf_ok(&sb) ? json_string(strbuf_peek(&sb)) : NULL;
    strbuf_free(&sb);
    return j;
}

int
xmlview_render(struct req *req, const char *view, json_t *m, const char *ctype,
               const char *cache)
{
    if (resp_view(req, view, m, ctype) < 0) {
        return 500;
    }
    resp_header(req, RESP_CACHE_CONTROL, cache);
    return 200;
}
