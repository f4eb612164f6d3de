/*
 * fuzz_sanitize: the HTML sanitizer (lib/sanitize.c) on arbitrary bytes.
 * Layer: tests/.  Each input is sanitized twice, as ingest does: without a
 * base URL, and with a document URL and a rewrite hook that, like
 * ingest/convert.c's, drops images from outside the document's tree.
 *
 * Invariants, from sanitize.h: the body is a fixed point, so sanitizing it
 * again (with no options: the re-parse passes use neither base nor hook)
 * gives it back byte for byte, and must not fail; body, text and metadata
 * are valid UTF-8 with metadata at most SANITIZE_META_MAX bytes; and the
 * body is what the allow-list says: only allowed element and attribute
 * names, and no href/src/cite with a scheme other than http, https or
 * (not for images) mailto, after removing what browsers remove.  The
 * heading keys search keeps of such a page (rank.h) are well formed.
 */
#include <string.h>
#include <strings.h>

#include "fuzz.h"
#include "html.h"
#include "rank.h"
#include "sanitize.h"
#include "strbuf.h"

#define DOC_URL "https://docs.example.org/guide/intro.html"
#define TREE_URL "https://docs.example.org/guide/"

/* The elements sanitize.c keeps (obsolete ones included: writing them
 * under their twin's name is a nicety, not a safety property). */
static const char *const tags[] = {
    "h1",      "h2",      "h3",         "h4",      "h5",         "h6",
    "p",       "div",     "span",       "section", "article",    "header",
    "footer",  "nav",     "main",       "aside",   "blockquote", "pre",
    "code",    "kbd",     "samp",       "var",     "em",         "strong",
    "b",       "i",       "u",          "s",       "small",      "sub",
    "sup",     "mark",    "abbr",       "cite",    "q",          "dfn",
    "time",    "br",      "hr",         "ul",      "ol",         "li",
    "dl",      "dt",      "dd",         "table",   "caption",    "thead",
    "tbody",   "tfoot",   "tr",         "th",      "td",         "colgroup",
    "col",     "figure",  "figcaption", "img",     "a",          "details",
    "summary", "ins",     "del",        "ruby",    "rt",         "rp",
    "wbr",     "address", "center",     "hgroup",  "fieldset",   "listing",
    "dir",     "menu",    "strike",     "tt",      "acronym",    NULL};

static const char *const attrs[] = {
    "id",      "title", "class", "lang",     "dir",    "href",
    "name",    "src",   "alt",   "width",    "height", "colspan",
    "rowspan", "start", "type",  "datetime", "cite",   NULL};

/* 1 when s[0..n) is one of list. */
static int
listed(const char *const *list, const char *s, size_t n)
{
    for (; *list != NULL; list++) {
        if (strlen(*list) == n && memcmp(*list, s, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* 1 when the URL attribute value v[0..n) (as written, escaped) names no
 * scheme but http, https or, unless img, mailto.  Browsers drop tab, CR
 * and LF anywhere and C0/space at the start; what remains is a scheme when
 * it matches ALPHA *(ALPHA / DIGIT / "+" / "-" / ".") ":". */
static int
url_ok(const char *v, size_t n, int img)
{
    char s[16];
    size_t i = 0, m = 0;

    while (i < n && (unsigned char)v[i] <= 0x20) {
        i++;
    }
    for (; i < n && m < sizeof(s) - 1; i++) {
        char c = v[i];

        if (c == '\t' || c == '\n' || c == '\r') {
            continue;
        }
        if (c == ':') {
            s[m] = '\0';
            return strcasecmp(s, "http") == 0 || strcasecmp(s, "https") == 0 ||
                   (!img && strcasecmp(s, "mailto") == 0);
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (m > 0 &&
               ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')))) {
            return 1; /* not a scheme: relative */
        }
        s[m++] = c;
    }
    /* A longer run of scheme characters: no scheme we allow is that
     * long, so it must not end in ':'. */
    for (; i < n; i++) {
        char c = v[i];

        if (c == ':') {
            return 0;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' ||
              c == '\t' || c == '\n' || c == '\r')) {
            return 1;
        }
    }
    return 1;
}

/* Walk the body as written by sanitize.c: text escaped, so '<' and '>'
 * only delimit tags; tags are <name( attr="value")*> or </name>. */
static void
check_body(const char *b, size_t n)
{
    size_t i = 0;

    FUZZ_CHECK(utf8_valid(b, n), "body is valid UTF-8 without NUL");
    while (i < n) {
        size_t s;
        int img;

        if (b[i] == '>') {
            FUZZ_CHECK(0, "raw '>' in text");
        }
        if (b[i] != '<') {
            i++;
            continue;
        }
        i++;
        if (i < n && b[i] == '/') {
            i++;
        }
        s = i;
        while (i < n &&
               ((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' && b[i] <= '9'))) {
            i++;
        }
        FUZZ_CHECK(listed(tags, b + s, i - s), "only allowed elements");
        img = i - s == 3 && memcmp(b + s, "img", 3) == 0;
        while (i < n && b[i] == ' ') {
            size_t a, an, v;

            a = ++i;
            while (i < n && ((b[i] >= 'a' && b[i] <= 'z') || b[i] == '-')) {
                i++;
            }
            an = i - a;
            FUZZ_CHECK(listed(attrs, b + a, an), "only allowed attributes");
            if (i < n && b[i] == '=') {
                FUZZ_CHECK(i + 1 < n && b[i + 1] == '"', "quoted value");
                i += 2;
                v = i;
                while (i < n && b[i] != '"') {
                    FUZZ_CHECK(b[i] != '<' && b[i] != '>' && b[i] != '\'',
                               "attribute value escaped");
                    i++;
                }
                FUZZ_CHECK(i < n, "attribute value closed");
                if ((an == 4 && memcmp(b + a, "href", 4) == 0) ||
                    (an == 3 && memcmp(b + a, "src", 3) == 0) ||
                    (an == 4 && memcmp(b + a, "cite", 4) == 0)) {
                    FUZZ_CHECK(url_ok(b + v, i - v, img),
                               "no URL with a forbidden scheme");
                }
                i++;
            }
        }
        FUZZ_CHECK(i < n && b[i] == '>', "tag closed after its attributes");
        i++;
    }
}

/* 1 when s is NULL or valid UTF-8 of at most SANITIZE_META_MAX bytes. */
static int
meta_ok(const char *s)
{
    return s == NULL ||
           (strlen(s) <= SANITIZE_META_MAX && utf8_valid(s, strlen(s)));
}

static void
check_result(const struct sanitize_result *r)
{
    size_t i;

    FUZZ_CHECK(r->body_html != NULL && r->text != NULL, "body and text set");
    FUZZ_CHECK(strlen(r->body_html) == r->body_len, "body_len is its length");
    check_body(r->body_html, r->body_len);
    FUZZ_CHECK(utf8_valid(r->text, strlen(r->text)), "text is valid UTF-8");
    FUZZ_CHECK(meta_ok(r->title) && meta_ok(r->authors) && meta_ok(r->date) &&
                   meta_ok(r->language) && meta_ok(r->description) &&
                   meta_ok(r->canonical),
               "metadata valid UTF-8 within SANITIZE_META_MAX");
    for (i = 0; i < r->nlinks; i++) {
        FUZZ_CHECK(r->links[i].url != NULL, "link has a URL");
    }
    for (i = 0; i < r->nsections; i++) {
        const struct sanitize_section *s = &r->sections[i];

        FUZZ_CHECK((s->anchor == NULL) == (s->heading == NULL),
                   "a section has both anchor and heading, or neither");
        FUZZ_CHECK(s->anchor != NULL || i == 0,
                   "only the leading section has no heading");
        FUZZ_CHECK(s->text != NULL, "section text set");
    }
}

/* Like ingest's hook: images only from the document's own tree. */
static int
rewrite_cb(void *ctx, const char *attr, const char *url, struct strbuf *out)
{
    (void)ctx;
    (void)out;
    if (strcmp(attr, "src") == 0 &&
        strncmp(url, TREE_URL, strlen(TREE_URL)) != 0) {
        return SANITIZE_URL_DROP;
    }
    return SANITIZE_URL_KEEP;
}

/* The heading keys of a sanitized page (rank.h): each ended by 0x1e, not
 * empty, at most RANK_HEADING_KEY_MAX bytes, valid UTF-8, whatever the
 * page holds. */
static void
check_keys(const struct sanitize_result *r)
{
    static const char path[] = "guide/I_002fO_00ff-intro.html";
    struct strbuf h = STRBUF_INIT, keys = STRBUF_INIT;
    const char *k;
    size_t i, left;

    for (i = 0; i < r->nsections; i++) {
        if (r->sections[i].heading != NULL) {
            if (h.len > 0) {
                strbuf_putc(&h, 0x1e);
            }
            strbuf_puts(&h, r->sections[i].heading);
        }
    }
    FUZZ_CHECK(strbuf_ok(&h) &&
                   rank_heading_keys(h.len > 0 ? strbuf_peek(&h) : "", h.len,
                                     r->body_html, r->body_len, path,
                                     strlen(path), &keys) == 0,
               "heading keys computed");
    k = keys.len > 0 ? strbuf_peek(&keys) : "";
    for (left = keys.len; left > 0;) {
        const char *end = memchr(k, 0x1e, left);
        size_t n;

        FUZZ_CHECK(end != NULL, "every key ends with 0x1e");
        n = (size_t)(end - k);
        FUZZ_CHECK(n > 0 && n <= RANK_HEADING_KEY_MAX,
                   "a key is 1 to RANK_HEADING_KEY_MAX bytes");
        FUZZ_CHECK(utf8_valid(k, n), "a key is valid UTF-8");
        k = end + 1;
        left -= n + 1;
    }
    strbuf_free(&h);
    strbuf_free(&keys);
}

/* Sanitize with opts, check the result, then check it is a fixed point. */
static void
run(const uint8_t *data, size_t size, const struct sanitize_opts *opts)
{
    struct sanitize_result r, again;
    int rc;

    rc = sanitize_html((const char *)data, size, opts, &r);
    if (rc != SANITIZE_OK) {
        FUZZ_CHECK(rc == SANITIZE_TOO_COMPLEX || rc == SANITIZE_PARSE,
                   "only the complexity limits refuse a small input");
        return;
    }
    check_result(&r);
    check_keys(&r);
    rc = sanitize_html(r.body_html, r.body_len, NULL, &again);
    if (rc != SANITIZE_OK) {
        fprintf(stderr, "body: %s\nsecond pass: %s\n", r.body_html,
                sanitize_strerror(rc));
        FUZZ_CHECK(0, "the sanitized body sanitizes again");
    }
    if (again.body_len != r.body_len ||
        memcmp(again.body_html, r.body_html, r.body_len) != 0) {
        fprintf(stderr, "1: %s\n2: %s\n", r.body_html, again.body_html);
        FUZZ_CHECK(0, "sanitize(sanitize(x)) == sanitize(x)");
    }
    sanitize_result_free(&again);
    sanitize_result_free(&r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sanitize_opts o;

    run(data, size, NULL);
    memset(&o, 0, sizeof(o));
    o.base_url = DOC_URL;
    o.rewrite_url = rewrite_cb;
    run(data, size, &o);
    return 0;
}
