/*
 * check_sanitize: unit tests for lib/sanitize (suite "sanitize": core,
 * limits, errors, vectors).  Layer: tests/, links lib/ with gumbo, jansson
 * and Check; never <microhttpd.h>.  The vector case pushes every public XSS
 * payload we ship (html5sec, DOMPurify fixtures) through the sanitizer and
 * checks the output by parsing it again with gumbo, not only by substring,
 * and that it is a fixed point.  Data dir: $KW_TEST_DATA or "tests/data".
 */
#include <check.h>
#include <ctype.h>
#include <gumbo.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "checkmain.h"
#include "html.h"
#include "sanitize.h"
#include "strbuf.h"

/* Sanitize html with options o (NULL for defaults) into r; must be OK. */
static void
sanitize_ok(const char *html, const struct sanitize_opts *o,
            struct sanitize_result *r)
{
    int rc = sanitize_html(html, strlen(html), o, r);

    ck_assert_msg(rc == SANITIZE_OK, "rc %d (%s) for %s", rc,
                  sanitize_strerror(rc), html);
}

/* The body of html sanitized without options, as a new string. */
static char *
body_of(const char *html)
{
    struct sanitize_result r;
    char *b;

    sanitize_ok(html, NULL, &r);
    b = strdup(r.body_html);
    sanitize_result_free(&r);
    return b;
}

#define ck_body(in, want)                                                      \
    do {                                                                       \
        char *got_ = body_of(in);                                              \
        ck_assert_msg(strcmp(got_, (want)) == 0,                               \
                      "in:   %s\nwant: %s\ngot:  %s", (in), (want), got_);     \
        free(got_);                                                            \
    } while (0)

/* Monotonic seconds, for the bomb timings. */
static double
now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---------------------------------------------------------------- */
/* Independent checks on an output, used by the vectors and core.     */
/* ---------------------------------------------------------------- */

static const char *const allowed_elements[] = {
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
    "wbr",     "address", NULL,
};

static const char *const allowed_attrs[] = {
    "id",      "title", "lang", "dir",      "class",  "href",
    "name",    "src",   "alt",  "width",    "height", "colspan",
    "rowspan", "start", "type", "datetime", "cite",   NULL,
};

/* 1 when s is in the NULL-terminated list. */
static int
in_list(const char *const *list, const char *s)
{
    for (; *list != NULL; list++) {
        if (strcmp(*list, s) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The URL's scheme with every control and space removed, lowercased, or
 * "" when there is none. */
static void
url_scheme(const char *v, char *out, size_t outsz)
{
    size_t k = 0;

    for (; *v != '\0' && *v != ':' && *v != '/' && *v != '?' && *v != '#';
         v++) {
        unsigned char c = (unsigned char)*v;

        if (c <= 0x20 || c == 0x7f) {
            continue;
        }
        if (k + 1 < outsz) {
            out[k++] = (char)tolower(c);
        }
    }
    if (*v != ':') {
        k = 0;
    }
    out[k] = '\0';
}

/* Why the output html is unsafe, or NULL.  Parses it with gumbo and walks
 * every node (iteratively), plus substring checks for good measure. */
static const char *
unsafe_reason(const char *html, size_t len, char *why, size_t whysz)
{
    static const char *const bad[] = {"<script", "<svg",   "<math",
                                      "<iframe", "<style", "<form"};
    GumboOutput *doc;
    GumboNode **stack;
    size_t n = 0, cap = 1024, i;
    const char *reason = NULL;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (strcasestr(html, bad[i]) != NULL) {
            snprintf(why, whysz, "substring %s", bad[i]);
            return why;
        }
    }
    doc = gumbo_parse_with_options(&kGumboDefaultOptions, html, len);
    stack = malloc(cap * sizeof *stack);
    for (i = 0; i < doc->document->v.document.children.length; i++) {
        stack[n++] = doc->document->v.document.children.data[i];
    }
    while (n > 0 && reason == NULL) {
        GumboNode *node = stack[--n];
        GumboElement *e;
        const char *tag;

        if (node->type == GUMBO_NODE_COMMENT ||
            node->type == GUMBO_NODE_CDATA) {
            reason = "comment or CDATA node";
            break;
        }
        if (node->type != GUMBO_NODE_ELEMENT &&
            node->type != GUMBO_NODE_TEMPLATE) {
            continue;
        }
        e = &node->v.element;
        tag = gumbo_normalized_tagname(e->tag);
        if (e->tag_namespace != GUMBO_NAMESPACE_HTML) {
            snprintf(why, whysz, "foreign element %s", tag);
            reason = why;
            break;
        }
        if (e->tag != GUMBO_TAG_HTML && e->tag != GUMBO_TAG_HEAD &&
            e->tag != GUMBO_TAG_BODY && !in_list(allowed_elements, tag)) {
            snprintf(why, whysz, "element <%s>", tag[0] ? tag : "unknown");
            reason = why;
            break;
        }
        for (i = 0; i < e->attributes.length; i++) {
            GumboAttribute *a = e->attributes.data[i];
            char scheme[32];

            if (strncasecmp(a->name, "on", 2) == 0 ||
                !in_list(allowed_attrs, a->name)) {
                snprintf(why, whysz, "attribute %s on <%s>", a->name, tag);
                reason = why;
                break;
            }
            if (strcmp(a->name, "href") == 0 || strcmp(a->name, "src") == 0 ||
                strcmp(a->name, "cite") == 0) {
                url_scheme(a->value, scheme, sizeof scheme);
                if (strcmp(scheme, "javascript") == 0 ||
                    strcmp(scheme, "vbscript") == 0 ||
                    strcmp(scheme, "data") == 0 ||
                    (scheme[0] != '\0' && strcmp(scheme, "http") != 0 &&
                     strcmp(scheme, "https") != 0 &&
                     strcmp(scheme, "mailto") != 0)) {
                    snprintf(why, whysz, "%s scheme %s", a->name, scheme);
                    reason = why;
                    break;
                }
            }
        }
        for (i = 0; i < e->children.length; i++) {
            if (n == cap) {
                cap *= 2;
                stack = realloc(stack, cap * sizeof *stack);
            }
            stack[n++] = e->children.data[i];
        }
    }
    free(stack);
    gumbo_destroy_output(&kGumboDefaultOptions, doc);
    return reason;
}

/* Sanitize payload with options o (NULL: defaults); 1 when the output is
 * safe and a fixed point under the same options, else 0 with the reason
 * in why. */
static int
vector_passes_with(const char *payload, size_t len,
                   const struct sanitize_opts *o, char *why, size_t whysz)
{
    struct sanitize_result r, r2;
    int rc, ok = 1;

    rc = sanitize_html(payload, len, o, &r);
    if (rc != SANITIZE_OK) {
        snprintf(why, whysz, "rc %d (%s)", rc, sanitize_strerror(rc));
        return 0;
    }
    if (!utf8_valid(r.body_html, r.body_len) ||
        !utf8_valid(r.text, strlen(r.text))) {
        snprintf(why, whysz, "invalid UTF-8 in output");
        ok = 0;
    } else if (unsafe_reason(r.body_html, r.body_len, why, whysz) != NULL) {
        ok = 0;
    } else {
        rc = sanitize_html(r.body_html, r.body_len, o, &r2);
        if (rc != SANITIZE_OK) {
            snprintf(why, whysz, "second pass rc %d", rc);
            ok = 0;
        } else {
            if (r2.body_len != r.body_len ||
                memcmp(r2.body_html, r.body_html, r.body_len) != 0) {
                snprintf(why, whysz, "not idempotent:\n1: %s\n2: %s",
                         r.body_html, r2.body_html);
                ok = 0;
            }
            sanitize_result_free(&r2);
        }
    }
    sanitize_result_free(&r);
    return ok;
}

/* The same without options. */
static int
vector_passes(const char *payload, size_t len, char *why, size_t whysz)
{
    return vector_passes_with(payload, len, NULL, why, whysz);
}

/* ---------------------------------------------------------------- */
/* vectors                                                           */
/* ---------------------------------------------------------------- */

/* The test data directory (borrowed string). */
static const char *
data_dir(void)
{
    const char *d = getenv("KW_TEST_DATA");

    return d != NULL && d[0] != '\0' ? d : "tests/data";
}

/* Load xss-vectors/<name> (new reference; the test owns it). */
static json_t *
load_json(const char *name)
{
    char path[1024];
    json_error_t err;
    json_t *j;

    snprintf(path, sizeof path, "%s/xss-vectors/%s", data_dir(), name);
    j = json_load_file(path, JSON_ALLOW_NUL, &err);
    ck_assert_msg(j != NULL, "%s: %s (line %d)", path, err.text, err.line);
    return j;
}

/* html5sec.org's substitution: every %key% with a key of the placeholder
 * map becomes its value; other %xx% (URL escapes) stay. */
static char *
substitute(const char *s, size_t n, json_t *map, size_t *outlen)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i = 0;

    while (i < n) {
        const char *end;

        if (s[i] == '%' && (end = memchr(s + i + 1, '%', n - i - 1)) != NULL) {
            size_t klen = (size_t)(end - (s + i + 1));
            char key[128];
            json_t *v;

            if (klen > 0 && klen < sizeof key) {
                memcpy(key, s + i + 1, klen);
                key[klen] = '\0';
                v = json_object_get(map, key);
                if (json_is_string(v)) {
                    strbuf_append(&sb, json_string_value(v),
                                  json_string_length(v));
                    i += klen + 2;
                    continue;
                }
            }
        }
        strbuf_putc(&sb, s[i]);
        i++;
    }
    return strbuf_detach(&sb, outlen);
}

/* Every html5sec vector, placeholders substituted: safe and stable. */
START_TEST(test_vectors_html5sec)
{
    json_t *items = load_json("html5sec.json");
    json_t *map = load_json("html5sec-placeholders.json");
    size_t i, passed = 0;
    char why[4096];

    ck_assert(json_array_size(items) >= 100);
    for (i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        json_t *data = json_object_get(it, "data");
        size_t len;
        char *payload;
        int ok;

        ck_assert(json_is_string(data));
        payload = substitute(json_string_value(data), json_string_length(data),
                             map, &len);
        ok = vector_passes(payload, len, why, sizeof why);
        ck_assert_msg(ok, "html5sec id %lld: %s\npayload: %s",
                      (long long)json_integer_value(json_object_get(it, "id")),
                      why, payload);
        passed += ok;
        free(payload);
    }
    fprintf(stderr, "html5sec: %zu/%zu vectors pass\n", passed,
            json_array_size(items));
    json_decref(items);
    json_decref(map);
}
END_TEST

/* Every DOMPurify fixture payload: safe and stable (their expected
 * output is not ours to match). */
START_TEST(test_vectors_dompurify)
{
    json_t *items = load_json("dompurify-fixtures.json");
    size_t i, passed = 0;
    char why[4096];

    ck_assert(json_array_size(items) >= 200);
    for (i = 0; i < json_array_size(items); i++) {
        json_t *p = json_object_get(json_array_get(items, i), "payload");
        int ok;

        ck_assert(json_is_string(p));
        ok = vector_passes(json_string_value(p), json_string_length(p), why,
                           sizeof why);
        ck_assert_msg(ok, "dompurify #%zu: %s\npayload: %s", i, why,
                      json_string_value(p));
        passed += ok;
    }
    fprintf(stderr, "dompurify: %zu/%zu vectors pass\n", passed,
            json_array_size(items));
    json_decref(items);
}
END_TEST

/* ingest's image hook (ingest/convert.c): images outside the tree go. */
static int
tree_images_only(void *ctx, const char *attr, const char *url,
                 struct strbuf *out)
{
    const char *tree = ctx;

    (void)out;
    if (strcmp(attr, "src") == 0 && strncmp(url, tree, strlen(tree)) != 0) {
        return SANITIZE_URL_DROP;
    }
    return SANITIZE_URL_KEEP;
}

/* Both vector sets again with the options ingest sanitizes with: a base
 * URL every relative link resolves against, and its rewrite hook
 * (hostile-world I5: what is stored is what counts). */
START_TEST(test_vectors_ingest_options)
{
    static const char tree[] = "https://docs.example.org/manual/";
    struct sanitize_opts o = {.base_url =
                                  "https://docs.example.org/manual/a/b.html",
                              .rewrite_url = tree_images_only,
                              .ctx = (void *)tree};
    json_t *h5 = load_json("html5sec.json");
    json_t *map = load_json("html5sec-placeholders.json");
    json_t *dp = load_json("dompurify-fixtures.json");
    size_t i, n = 0, passed = 0, len;
    char why[4096], *payload;
    int ok;

    for (i = 0; i < json_array_size(h5); i++) {
        json_t *data = json_object_get(json_array_get(h5, i), "data");

        payload = substitute(json_string_value(data), json_string_length(data),
                             map, &len);
        ok = vector_passes_with(payload, len, &o, why, sizeof why);
        ck_assert_msg(ok, "html5sec #%zu with ingest options: %s\npayload: %s",
                      i, why, payload);
        free(payload);
        passed += ok;
        n++;
    }
    for (i = 0; i < json_array_size(dp); i++) {
        json_t *p = json_object_get(json_array_get(dp, i), "payload");

        ok = vector_passes_with(json_string_value(p), json_string_length(p), &o,
                                why, sizeof why);
        ck_assert_msg(ok, "dompurify #%zu with ingest options: %s\npayload: %s",
                      i, why, json_string_value(p));
        passed += ok;
        n++;
    }
    fprintf(stderr, "with ingest options: %zu/%zu vectors pass\n", passed, n);
    json_decref(h5);
    json_decref(map);
    json_decref(dp);
}
END_TEST

/* The checker itself must catch what it is meant to catch. */
START_TEST(test_checker_positive_control)
{
    static const char *const bad[] = {
        "<a href=\"javascript:alert(1)\">x</a>",
        "<a href=\"  JaVa\tScRiPt:alert(1)\">x</a>",
        "<img src=\"data:image/svg+xml,x\">",
        "<p onclick=\"x\">x</p>",
        "<p style=\"x\">x</p>",
        "<svg></svg>",
        "<x-foo>x</x-foo>",
        "<a href=\"vbscript:x\">x</a>",
        "<!-- c -->",
    };
    char why[512];
    size_t i;

    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(unsafe_reason(bad[i], strlen(bad[i]), why, sizeof why) !=
                          NULL,
                      "checker missed %s", bad[i]);
    }
    ck_assert(unsafe_reason("<p>x</p>", 8, why, sizeof why) == NULL);
}
END_TEST

/* ---------------------------------------------------------------- */
/* core                                                              */
/* ---------------------------------------------------------------- */

/* Ordinary document structure survives, written canonically. */
START_TEST(test_structure_kept)
{
    ck_body("<h1>A</h1><h2>B</h2><h5>C</h5>",
            "<h1 id=\"sec-1\">A</h1><h2 id=\"sec-2\">B</h2><h5>C</h5>");
    ck_body("<ul><li>a<li>b</ul><ol start=3 type=i><li>c</ol>",
            "<ul><li>a</li><li>b</li></ul>"
            "<ol start=\"3\" type=\"i\"><li>c</li></ol>");
    ck_body("<table><caption>t</caption><tr><th colspan=2>h<tr><td "
            "rowspan=\"3\">d</table>",
            "<table><caption>t</caption><tbody><tr><th colspan=\"2\">h</th>"
            "</tr><tr><td rowspan=\"3\">d</td></tr></tbody></table>");
    ck_body("<pre><code>int x;\n  y</code></pre>",
            "<pre>\n<code>int x;\n  y</code></pre>");
    ck_body("<figure><img src=\"a.png\" alt=\"A\" width=10 height=\"20\">"
            "<figcaption>cap</figcaption></figure>",
            "<figure><img src=\"a.png\" alt=\"A\" width=\"10\" height=\"20\">"
            "<figcaption>cap</figcaption></figure>");
    ck_body("<dl><dt>t<dd>d</dl>", "<dl><dt>t</dt><dd>d</dd></dl>");
    ck_body("<p>a<br>b<wbr>c<hr>", "<p>a<br>b<wbr>c</p><hr>");
    ck_body("<details><summary>s</summary>x</details>",
            "<details><summary>s</summary>x</details>");
    ck_body("<p><em>e</em><strong>s</strong><code>c</code><kbd>k</kbd>"
            "<sub>1</sub><sup>2</sup><abbr title=\"t\">a</abbr>"
            "<time datetime=\"2020-01-01\">d</time><q cite=\"x.html\">q</q>"
            "</p>",
            "<p><em>e</em><strong>s</strong><code>c</code><kbd>k</kbd>"
            "<sub>1</sub><sup>2</sup><abbr title=\"t\">a</abbr>"
            "<time datetime=\"2020-01-01\">d</time><q cite=\"x.html\">q</q>"
            "</p>");
    ck_body("<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>",
            "<ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>");
    /* Obsolete elements become their twins. */
    ck_body("<center>c</center><tt>t</tt><strike>s</strike>",
            "<div>c</div><code>t</code><s>s</s>");
}
END_TEST

/* Dangerous elements go with their content; unknown ones are unwrapped. */
START_TEST(test_dropped_and_unwrapped)
{
    ck_body("<p>a<script>alert(1)</script>b</p>", "<p>ab</p>");
    ck_body("<p>a<style>p{}</style>b<textarea>t</textarea>c</p>", "<p>abc</p>");
    ck_body("<p>a<svg><a href=x>s</a></svg><math><mi>m</mi></math>b</p>",
            "<p>ab</p>");
    ck_body("<p>a<iframe src=x>i</iframe><object>o</object>"
            "<embed src=x>b</p>",
            "<p>ab</p>");
    ck_body("<form><p>f</p><input value=x><button>b</button></form>t", "t");
    ck_body("<p>a<x-widget class=k>w</x-widget><font color=red>f</font>"
            "<blink>b</blink></p>",
            "<p>awfb</p>");
    ck_body("<p>a<portal src=x>p</portal>b<noscript>n</noscript></p>",
            "<p>ab</p>");
    ck_body("<p>a<!-- comment -->b</p>", "<p>ab</p>");
    ck_body("<template><p>t</p></template>x", "x");
    ck_body("<video><source src=x></video><audio>a</audio>"
            "<canvas>c</canvas>x",
            "x");
    ck_body("<select><option>o</select>x", "x");
}
END_TEST

/* Only allow-listed attributes, with checked values. */
START_TEST(test_attributes)
{
    ck_body("<p onclick=\"x()\" style=\"color:red\" class=\"c d\" id=i "
            "title=t lang=ko dir=RTL data-x=1>x</p>",
            "<p class=\"c d\" id=\"i\" title=\"t\" lang=\"ko\" dir=\"rtl\">x"
            "</p>");
    ck_body("<img src=a.png srcset=\"b.png 2x\" width=10px height=-1 "
            "onerror=x>",
            "<img src=\"a.png\">");
    ck_body("<p dir=sideways lang=\"x y\" id=\"a b\">x</p>", "<p>x</p>");
    ck_body("<ol start=-2 type=X><li>a</ol>",
            "<ol start=\"-2\"><li>a</li></ol>");
    ck_body("<a href=x target=_blank rel=opener name=n formaction=y>x</a>",
            "<a href=\"x\" name=\"n\">x</a>");
    ck_body("<p title='\"><script>'>x</p>",
            "<p title=\"&quot;&gt;&lt;script&gt;\">x</p>");
    ck_body("<td colspan=2>x", "x");
}
END_TEST

/* Text is escaped, never copied. */
START_TEST(test_text_escaped)
{
    ck_body("<p>&lt;script&gt;\"'&amp;</p>",
            "<p>&lt;script&gt;&quot;&#39;&amp;</p>");
    ck_body("<p><script>\"'&</script>&lt;/p&gt;</p>", "<p>&lt;/p&gt;</p>");
    ck_body("a < b && c > d", "a &lt; b &amp;&amp; c &gt; d");
}
END_TEST

/* Script-capable and unknown schemes never survive, however spelled. */
START_TEST(test_url_filter)
{
    static const char *const dropped[] = {
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "java&#x09;script:alert(1)",
        "jav&#x0A;ascript:alert(1)",
        "&#106;avascript:alert(1)",
        "javascript&colon;alert(1)",
        "\x01javascript:alert(1)",
        "java\x01script:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://x/",
        "unknown:x",
        "%6Aavascript:alert(1)",
        ":x",
        "",
        "   ",
    };
    char in[512];
    size_t i;

    for (i = 0; i < sizeof dropped / sizeof dropped[0]; i++) {
        snprintf(in, sizeof in, "<a href=\"%s\">t</a>", dropped[i]);
        ck_body(in, "<a>t</a>");
        snprintf(in, sizeof in, "<blockquote cite=\"%s\">t</blockquote>",
                 dropped[i]);
        ck_body(in, "<blockquote>t</blockquote>");
    }
    ck_body("<a href=\"mailto:a@b.c\">m</a>", "<a href=\"mailto:a@b.c\">m</a>");
    ck_body("<img src=\"mailto:a@b.c\"><img src=\"data:image/png;base64,AA\">",
            "<img><img>");
    ck_body("<a href=\"HTTPS://Example.COM/a/./b/../c?q#f\">x</a>",
            "<a href=\"https://example.com/a/c?q#f\">x</a>");
    ck_body("<a href=\" http://x/a b\">x</a>",
            "<a href=\"http://x/a%20b\">x</a>");
    ck_body("<a href=\"http:\\\\x\\y?a\\b\">x</a>",
            "<a href=\"http://x/y?a\\b\">x</a>");
    ck_body("<a href=\"/p/q:r\">x</a><a href=\"?javascript:1\">y</a>",
            "<a href=\"/p/q:r\">x</a><a href=\"?javascript:1\">y</a>");
}
END_TEST

/* The resolver is url_resolve (its RFC 3986 examples are in check_url);
 * sanitize adds only the lowercase scheme and host, userinfo kept. */
START_TEST(test_resolve_lowercase)
{
    struct strbuf sb = STRBUF_INIT;

    ck_assert_int_eq(sanitize_resolve_url("HTTP://A.Example/B/c", "D/e", &sb),
                     SANITIZE_OK);
    ck_assert_str_eq(strbuf_peek(&sb), "http://a.example/B/D/e");
    strbuf_reset(&sb);
    ck_assert_int_eq(
        sanitize_resolve_url("http://a/", "HTTPS://Us:Er@Host:81/P?Q#F", &sb),
        SANITIZE_OK);
    ck_assert_str_eq(strbuf_peek(&sb), "https://Us:Er@host:81/P?Q#F");
    strbuf_free(&sb);
}
END_TEST

/* URLs resolved against the base, fragments kept, links collected. */
START_TEST(test_resolve_in_document)
{
    struct sanitize_opts o = {.base_url = "http://a/b/c/d;p?q"};
    struct sanitize_result r;

    sanitize_ok("<a href=\"../g\">1</a><a href=\"#s\">2</a>"
                "<a href=\"//g\">3</a><img src=\"../../../i.png#x\">"
                "<a href=\"mailto:x@y\">4</a><q cite=\"g\">q</q>",
                &o, &r);
    ck_assert_str_eq(r.body_html, "<a href=\"http://a/b/g\">1</a>"
                                  "<a href=\"http://a/b/c/d;p?q#s\">2</a>"
                                  "<a href=\"http://g\">3</a>"
                                  "<img src=\"http://a/i.png#x\">"
                                  "<a href=\"mailto:x@y\">4</a>"
                                  "<q cite=\"http://a/b/c/g\">q</q>");
    ck_assert_uint_eq(r.nlinks, 5);
    ck_assert_str_eq(r.links[0].url, "http://a/b/g");
    ck_assert_int_eq(r.links[0].is_image, 0);
    ck_assert_str_eq(r.links[1].url, "http://a/b/c/d;p?q#s");
    ck_assert_str_eq(r.links[3].url, "http://a/i.png#x");
    ck_assert_int_eq(r.links[3].is_image, 1);
    ck_assert_str_eq(r.links[4].url, "mailto:x@y");
    sanitize_result_free(&r);

    /* Without a base, relative URLs stay relative. */
    ck_body("<a href=\"../g#f\">x</a>", "<a href=\"../g#f\">x</a>");
}
END_TEST

struct hook_log {
    int calls;
    char seen[8][128];
    char attrs[8][8];
    int mode; /* 0 rewrite, 1 drop, 2 fail, 3 evil, 4 decline */
};

/* A rewrite hook recording its calls in ctx; behaviour set by log->mode. */
static int
hook(void *ctx, const char *attr, const char *url, struct strbuf *out)
{
    struct hook_log *log = ctx;

    if (log->calls < 8) {
        snprintf(log->seen[log->calls], sizeof log->seen[0], "%s", url);
        snprintf(log->attrs[log->calls], sizeof log->attrs[0], "%s", attr);
    }
    log->calls++;
    switch (log->mode) {
    case 0:
        strbuf_puts(out, "/external?url=");
        url_encode(out, url, strlen(url));
        return SANITIZE_URL_KEEP;
    case 1:
        return SANITIZE_URL_DROP;
    case 2:
        return -1;
    case 3:
        strbuf_puts(out, "javascript:alert(1)");
        return SANITIZE_URL_KEEP;
    default:
        return SANITIZE_URL_KEEP;
    }
}

/* The rewrite hook sees absolute URLs and can replace, drop or fail. */
START_TEST(test_rewrite_hook)
{
    struct hook_log log;
    struct sanitize_opts o = {.base_url = "https://ex.org/docs/a.html",
                              .rewrite_url = hook,
                              .ctx = &log};
    struct sanitize_result r;
    const char *doc = "<a href=\"b.html#part\">b</a><img src=\"/i.png\">"
                      "<a href=\"javascript:x\">j</a>";

    memset(&log, 0, sizeof log);
    sanitize_ok(doc, &o, &r);
    ck_assert_int_eq(log.calls, 2); /* never for the dropped URL */
    ck_assert_str_eq(log.seen[0], "https://ex.org/docs/b.html#part");
    ck_assert_str_eq(log.attrs[0], "href");
    ck_assert_str_eq(log.seen[1], "https://ex.org/i.png");
    ck_assert_str_eq(log.attrs[1], "src");
    ck_assert_str_eq(
        r.body_html,
        "<a href=\"/external?url=https%3A%2F%2Fex.org%2Fdocs%2Fb.html%23part\">"
        "b</a><img src=\"/external?url=https%3A%2F%2Fex.org%2Fi.png\">"
        "<a>j</a>");
    /* The link list holds the resolved URL, not the rewritten one. */
    ck_assert_uint_eq(r.nlinks, 2);
    ck_assert_str_eq(r.links[0].url, "https://ex.org/docs/b.html#part");
    sanitize_result_free(&r);

    memset(&log, 0, sizeof log);
    log.mode = 1;
    sanitize_ok(doc, &o, &r);
    ck_assert_str_eq(r.body_html, "<a>b</a><img><a>j</a>");
    ck_assert_uint_eq(r.nlinks, 0);
    sanitize_result_free(&r);

    memset(&log, 0, sizeof log);
    log.mode = 3; /* a hook cannot smuggle a script URL in */
    sanitize_ok(doc, &o, &r);
    ck_assert_str_eq(r.body_html, "<a>b</a><img><a>j</a>");
    sanitize_result_free(&r);

    memset(&log, 0, sizeof log);
    log.mode = 4; /* declining keeps the resolved URL */
    sanitize_ok(doc, &o, &r);
    ck_assert_str_eq(r.body_html,
                     "<a href=\"https://ex.org/docs/b.html#part\">b</a>"
                     "<img src=\"https://ex.org/i.png\"><a>j</a>");
    sanitize_result_free(&r);

    memset(&log, 0, sizeof log);
    log.mode = 2;
    ck_assert_int_eq(sanitize_html(doc, strlen(doc), &o, &r),
                     SANITIZE_CALLBACK);
    ck_assert_ptr_null(r.body_html);
}
END_TEST

/* Title from a doc with the given head and body. */
static char *
title_of(const char *html)
{
    struct sanitize_result r;
    char *t;

    sanitize_ok(html, NULL, &r);
    t = r.title != NULL ? strdup(r.title) : NULL;
    sanitize_result_free(&r);
    return t;
}

#define ck_title(in, want)                                                     \
    do {                                                                       \
        char *t_ = title_of(in);                                               \
        ck_assert_msg(t_ != NULL && strcmp(t_, (want)) == 0, "want %s got %s", \
                      (want), t_ ? t_ : "(null)");                             \
        free(t_);                                                              \
    } while (0)

/* Metadata sources in priority order, cleaned and capped. */
START_TEST(test_metadata_priority)
{
    const char *all = "<head><title>T</title>"
                      "<meta property=\"og:title\" content=\"OG\">"
                      "<meta name=\"DC.title\" content=\"DC\">"
                      "<meta name=\"citation_title\" content=\"CIT\">"
                      "</head><h1>H</h1>";
    struct sanitize_result r;
    struct sanitize_opts o = {.base_url = "http://ex.org/a/b.html"};

    ck_title(all, "CIT");
    ck_title("<title>T</title><meta property=og:title content=OG>"
             "<meta name=dc.title content=DC><h1>H</h1>",
             "DC");
    ck_title("<title>T</title><meta property=og:title content=OG><h1>H</h1>",
             "OG");
    ck_title("<title>  T \n t </title><h1>H</h1>", "T t");
    ck_title("<p>x</p><h2>h2</h2><h1>  The <em>first</em>\nh1 </h1><h1>2</h1>",
             "The first h1");
    ck_title("<meta name=citation_title content=\"  \"><title>T</title>", "T");
    ck_assert_ptr_null(title_of("<p>no title</p>"));

    sanitize_ok("<html lang=\"ko-KR\"><head>"
                "<meta name=\"author\" content=\"Meta Author\">"
                "<meta name=\"DC.creator\" content=\"DC One\">"
                "<meta name=\"citation_author\" content=\"Kim, A.\">"
                "<meta name=\"citation_author\" content=\" \u202e \">"
                "<meta name=\"citation_author\" content=\" Lee,\n B. \">"
                "<meta name=\"article:published_time\" content=\"2021\">"
                "<meta name=\"DC.date\" content=\"2020\">"
                "<meta name=\"citation_publication_date\" content=\"2019/05\">"
                "<meta name=\"description\" content=\"Desc\">"
                "<meta property=\"og:description\" content=\"OGD\">"
                "<meta http-equiv=\"Content-Language\" content=\"en\">"
                "<link rel=\"alternate canonical\" href=\"../c.html#x\">"
                "</head><body><p>b</p>",
                &o, &r);
    ck_assert_str_eq(r.authors, "Kim, A.; Lee, B.");
    ck_assert_str_eq(r.date, "2019/05");
    ck_assert_str_eq(r.language, "ko-KR");
    ck_assert_str_eq(r.description, "Desc");
    ck_assert_str_eq(r.canonical, "http://ex.org/c.html#x");
    sanitize_result_free(&r);

    sanitize_ok("<meta name=author content=\"Solo\">"
                "<meta name=\"DC.language\" content=\"de\">"
                "<meta name=\"citation_date\" content=\"1999\">"
                "<meta name=\"citation_publication_date\" content=\"2000\">"
                "<meta property=\"og:description\" content=\"OGD\">"
                "<link rel=canonical href=\"javascript:x\">",
                NULL, &r);
    ck_assert_str_eq(r.authors, "Solo");
    ck_assert_str_eq(r.language, "de");
    ck_assert_str_eq(r.date, "1999");
    ck_assert_str_eq(r.description, "OGD");
    ck_assert_ptr_null(r.canonical);
    sanitize_result_free(&r);

    /* Bidi overrides and controls never reach metadata; long values are
     * cut at a character boundary. */
    {
        struct strbuf sb = STRBUF_INIT;
        int i;

        strbuf_puts(&sb, "<title>a\xe2\x80\xae"
                         "b\x01\tc</title>"
                         "<meta name=description content=\"");
        for (i = 0; i < 600; i++) {
            strbuf_puts(&sb, "가");
        }
        strbuf_puts(&sb, "\">");
        sanitize_ok(strbuf_peek(&sb), NULL, &r);
        ck_assert_ptr_null(strstr(r.title, "\xe2\x80\xae"));
        for (i = 0; r.title[i] != '\0'; i++) {
            ck_assert_uint_ge((unsigned char)r.title[i], 0x20);
        }
        ck_assert_uint_eq(strncmp(r.title, "ab", 2), 0);
        ck_assert_uint_le(strlen(r.description), SANITIZE_META_MAX);
        ck_assert_uint_eq(strlen(r.description) % 3, 0);
        ck_assert(utf8_valid(r.description, strlen(r.description)));
        sanitize_result_free(&r);
        strbuf_free(&sb);
    }
}
END_TEST

/* Sections split at h1-h4 with anchors written onto the headings. */
START_TEST(test_sections)
{
    struct sanitize_result r;

    sanitize_ok("<p>intro <b>text</b></p>"
                "<h1>First</h1><p>one</p><h5>minor</h5><p>more</p>"
                "<h2 id=\"own\">Second <i>part</i></h2><div>two</div>"
                "<h3></h3>"
                "<h4>Fourth</h4>",
                NULL, &r);
    ck_assert_uint_eq(r.nsections, 5);
    ck_assert_ptr_null(r.sections[0].anchor);
    ck_assert_ptr_null(r.sections[0].heading);
    ck_assert_str_eq(r.sections[0].text, "intro text");
    ck_assert_str_eq(r.sections[1].anchor, "sec-1");
    ck_assert_str_eq(r.sections[1].heading, "First");
    ck_assert_str_eq(r.sections[1].text, "one\nminor\nmore");
    ck_assert_str_eq(r.sections[2].anchor, "own");
    ck_assert_str_eq(r.sections[2].heading, "Second part");
    ck_assert_str_eq(r.sections[2].text, "two");
    ck_assert_str_eq(r.sections[3].anchor, "sec-3");
    ck_assert_str_eq(r.sections[3].heading, "");
    ck_assert_str_eq(r.sections[4].anchor, "sec-4");
    ck_assert_str_eq(r.sections[4].text, "");
    ck_assert_str_eq(r.body_html,
                     "<p>intro <b>text</b></p><h1 id=\"sec-1\">First</h1>"
                     "<p>one</p><h5>minor</h5><p>more</p>"
                     "<h2 id=\"own\">Second <i>part</i></h2><div>two</div>"
                     "<h3 id=\"sec-3\"></h3><h4 id=\"sec-4\">Fourth</h4>");
    ck_assert_str_eq(r.text, "intro text\nFirst\none\nminor\nmore\n"
                             "Second part\ntwo\nFourth");
    ck_assert_str_eq(r.title, "First");
    sanitize_result_free(&r);

    /* No heading, no text: no sections. */
    sanitize_ok("<script>x</script>", NULL, &r);
    ck_assert_uint_eq(r.nsections, 0);
    ck_assert_str_eq(r.body_html, "");
    ck_assert_str_eq(r.text, "");
    sanitize_result_free(&r);
}
END_TEST

/* Hangul passes through body, text, title and sections untouched. */
START_TEST(test_korean)
{
    struct sanitize_result r;

    sanitize_ok("<html lang=ko><title>한국어 문서</title>"
                "<h1>제목</h1><p>이미지를 보세요. 가나다&amp;라</p>",
                NULL, &r);
    ck_assert_str_eq(r.title, "한국어 문서");
    ck_assert_str_eq(r.language, "ko");
    ck_assert_str_eq(r.body_html, "<h1 id=\"sec-1\">제목</h1>"
                                  "<p>이미지를 보세요. 가나다&amp;라</p>");
    ck_assert_str_eq(r.text, "제목\n이미지를 보세요. 가나다&라");
    ck_assert_str_eq(r.sections[0].heading, "제목");
    sanitize_result_free(&r);
}
END_TEST

/* Invalid UTF-8 in, valid UTF-8 out. */
START_TEST(test_invalid_utf8)
{
    static const char in[] = "<title>t\xff\xfe</title><p>a\x80"
                             "b\xc0\xaf"
                             "c\xed\xa0\x80"
                             "d\xf4\x90\x80\x80"
                             "e\0f"
                             "<a href=\"x\xff\" title=\"\xc3\">l</a></p>";
    struct sanitize_result r;
    int rc = sanitize_html(in, sizeof in - 1, NULL, &r);

    ck_assert_int_eq(rc, SANITIZE_OK);
    ck_assert(utf8_valid(r.body_html, r.body_len));
    ck_assert(utf8_valid(r.text, strlen(r.text)));
    ck_assert(utf8_valid(r.title, strlen(r.title)));
    ck_assert_ptr_nonnull(strstr(r.text, "a\xef\xbf\xbd"));
    sanitize_result_free(&r);
}
END_TEST

/* Misnested and parser-rewritten markup still gives a fixed point. */
START_TEST(test_idempotent_messy)
{
    static const char *const docs[] = {
        "\n\n  <p>lead",
        "<pre>\n\nx</pre><listing>\ny</listing>",
        "<p><marquee><div>x</div></marquee></p>",
        "<a href=a><marquee><a href=b>x</a></marquee></a>",
        "<li><marquee><li>x</marquee>",
        "<h1><marquee><h2>x</h2></marquee></h1>",
        "<table><tr><td>a<table><tr><td>b</table></table>",
        "<table>x<tr><td>y</table>",
        "<p><b>a<p>b<p>c</b>d",
        "<b><div>x</b>y</div>",
        "<ruby><rb>a<rtc><rt>b</rtc></ruby>",
        "<dl><dt>a<marquee><dd>b</marquee></dl>",
        "<p>a<object><p>b</object>c",
        "<body><p>x</body>\n\n</html>\n trailing",
        "<p>x</p><frameset><frame></frameset>",
        "<table><caption><p>c</caption><col><tr><td>x</table>",
        "<svg><p>break out</p></svg><math><p>m</math>",
        "<p>a</p>\f<p>b</p>",
    };
    char why[4096];
    size_t i;

    for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        ck_assert_msg(vector_passes(docs[i], strlen(docs[i]), why, sizeof why),
                      "%s: %s", docs[i], why);
    }
}
END_TEST

/* Same input, same output. */
START_TEST(test_deterministic)
{
    const char *doc = "<h1>a</h1><p><a href=x>y</a><h2>b</h2><img src=c>";
    struct sanitize_opts o = {.base_url = "http://h/p/"};
    struct sanitize_result a, b;
    size_t i;

    sanitize_ok(doc, &o, &a);
    sanitize_ok(doc, &o, &b);
    ck_assert_str_eq(a.body_html, b.body_html);
    ck_assert_str_eq(a.text, b.text);
    ck_assert_uint_eq(a.nlinks, b.nlinks);
    for (i = 0; i < a.nlinks; i++) {
        ck_assert_str_eq(a.links[i].url, b.links[i].url);
    }
    ck_assert_uint_eq(a.nsections, b.nsections);
    sanitize_result_free(&a);
    sanitize_result_free(&b);
}
END_TEST

/* Empty input is a valid, empty document. */
START_TEST(test_empty_input)
{
    struct sanitize_result r;

    ck_assert_int_eq(sanitize_html(NULL, 0, NULL, &r), SANITIZE_OK);
    ck_assert_str_eq(r.body_html, "");
    ck_assert_uint_eq(r.body_len, 0);
    ck_assert_str_eq(r.text, "");
    ck_assert_ptr_null(r.title);
    sanitize_result_free(&r);
    sanitize_result_free(&r); /* zeroed: harmless */
}
END_TEST

/* ---------------------------------------------------------------- */
/* limits                                                            */
/* ---------------------------------------------------------------- */

/* New malloc'd string: pre, unit `times` times, post. */
static char *
repeat(const char *pre, const char *unit, size_t times, const char *post)
{
    size_t ul = strlen(unit), pl = strlen(pre), i;
    char *s = malloc(pl + ul * times + strlen(post) + 1), *p = s;

    memcpy(p, pre, pl);
    p += pl;
    for (i = 0; i < times; i++) {
        memcpy(p, unit, ul);
        p += ul;
    }
    strcpy(p, post);
    return s;
}

/* sanitize_html on a generated document; returns rc and its time. */
static int
timed(const char *doc, const struct sanitize_opts *o, double *secs)
{
    struct sanitize_result r;
    double t0 = now();
    int rc = sanitize_html(doc, strlen(doc), o, &r);

    *secs = now() - t0;
    if (rc == SANITIZE_OK) {
        sanitize_result_free(&r);
    }
    return rc;
}

/* Trap 6: 100k nested spans are refused by the pre-check, fast. */
START_TEST(test_nested_span_bomb)
{
    char *doc = repeat("", "<span>", 100000, "x");
    double t;

    ck_assert_int_eq(timed(doc, NULL, &t), SANITIZE_TOO_COMPLEX);
    ck_assert_msg(t < 1.0, "took %.3f s", t);
    ck_assert_str_eq(sanitize_strerror(SANITIZE_TOO_COMPLEX), "too complex");
    fprintf(stderr, "100k nested span: rejected in %.4f s\n", t);
    free(doc);
}
END_TEST

/* Trap 6: 20k unclosed <b><i> are refused by the pre-check, fast. */
START_TEST(test_unclosed_formatting_bomb)
{
    char *doc = repeat("", "<b><i>", 20000, "x");
    double t;

    ck_assert_int_eq(timed(doc, NULL, &t), SANITIZE_TOO_COMPLEX);
    ck_assert_msg(t < 1.0, "took %.3f s", t);
    fprintf(stderr, "20k unclosed <b><i>: rejected in %.4f s\n", t);
    free(doc);
}
END_TEST

/* 500 distinct open <b>s closed by a </div>, then every text run makes
 * gumbo reopen all 500: 250 KB asked gumbo for 10M nodes and 3.7 GB. */
START_TEST(test_reconstruction_bomb)
{
    struct strbuf sb = STRBUF_INIT;
    double t;
    int i;

    strbuf_puts(&sb, "<div>");
    for (i = 0; i < 500; i++) {
        strbuf_printf(&sb, "<b id=%d>", i);
    }
    strbuf_puts(&sb, "</div>");
    for (i = 0; i < 20000; i++) {
        strbuf_puts(&sb, "<div>x</div>");
    }
    ck_assert_int_eq(timed(strbuf_peek(&sb), NULL, &t), SANITIZE_TOO_COMPLEX);
    /* The model replays a million reopenings (30 ms optimised, slower
     * under ASan on a busy machine); gumbo alone takes 13 s and 3.7 GB. */
    ck_assert_msg(t < 3.0, "took %.3f s", t);
    fprintf(stderr, "formatting reconstruction bomb: rejected in %.4f s\n", t);
    strbuf_free(&sb);
}
END_TEST

/* gumbo nests a leading run of framesets without limit, and frees its
 * tree recursively: the model must count them. */
START_TEST(test_nested_frameset_bomb)
{
    char *doc = repeat("", "<frameset>", 800000, "");
    double t;

    ck_assert_int_eq(timed(doc, NULL, &t), SANITIZE_TOO_COMPLEX);
    ck_assert_msg(t < 1.0, "took %.3f s", t);
    free(doc);
    doc = repeat("<frameset>", "<frame src=x>", 10, "</frameset>");
    ck_assert_int_eq(timed(doc, NULL, &t), SANITIZE_OK);
    free(doc);
}
END_TEST

/* The size limit, from the options and by default. */
START_TEST(test_size_limit)
{
    struct sanitize_opts o = {.max_bytes = 1000};
    struct sanitize_result r;
    char *doc = repeat("<p>", "a", 1000, "</p>");
    size_t big = SANITIZE_DEFAULT_MAX_BYTES + 1;
    char *huge = malloc(big);
    double t;

    ck_assert_int_eq(timed(doc, &o, &t), SANITIZE_TOO_LARGE);
    ck_assert_str_eq(sanitize_strerror(SANITIZE_TOO_LARGE), "too large");
    o.max_bytes = 2000;
    ck_assert_int_eq(timed(doc, &o, &t), SANITIZE_OK);
    memset(huge, 'a', big);
    ck_assert_int_eq(sanitize_html(huge, big, NULL, &r), SANITIZE_TOO_LARGE);
    ck_assert_ptr_null(r.body_html);
    free(huge);
    free(doc);
}
END_TEST

/* A million attributes on one tag are refused before parsing. */
START_TEST(test_million_attributes)
{
    char *doc = repeat("<p", " a", 1000000, ">x</p>");
    struct sanitize_opts o = {.max_attrs = 2000000};
    double t;

    ck_assert_int_eq(timed(doc, NULL, &t), SANITIZE_TOO_COMPLEX);
    ck_assert_msg(t < 1.0, "took %.3f s", t);
    fprintf(stderr, "1M attributes: rejected in %.4f s\n", t);
    free(doc);
    /* Many distinct attributes within the limit are fine. */
    doc = malloc(64 * 16 + 16);
    {
        char *p = doc;
        int i;

        p += sprintf(p, "<p");
        for (i = 0; i < 64; i++) {
            p += sprintf(p, " a%d=1", i);
        }
        sprintf(p, " id=z>x");
    }
    ck_assert_int_eq(timed(doc, &o, &t), SANITIZE_OK);
    free(doc);
}
END_TEST

/* Deep but legal nesting is kept, walked without recursion. */
START_TEST(test_deep_but_allowed)
{
    char *open = repeat("", "<div><span>", 200, "deep");
    char *doc = repeat(open, "</span></div>", 200, "");
    struct sanitize_result r;
    double t;
    size_t i, n = 0;

    ck_assert_int_eq(sanitize_html(doc, strlen(doc), NULL, &r), SANITIZE_OK);
    for (i = 0; r.body_html[i] != '\0'; i++) {
        n += strncmp(r.body_html + i, "<span>", 6) == 0;
    }
    ck_assert_uint_eq(n, 200);
    ck_assert_str_eq(r.text, "deep");
    sanitize_result_free(&r);
    free(doc);
    free(open);

    /* The same depth unclosed, in lists and blockquotes. */
    doc = repeat("", "<blockquote><ul><li>", 130, "x");
    ck_assert_int_eq(timed(doc, NULL, &t), SANITIZE_OK);
    free(doc);

    /* One past the limit is rejected. */
    {
        struct sanitize_opts o = {.max_depth = 100};

        doc = repeat("", "<div>", 101, "x");
        ck_assert_int_eq(timed(doc, &o, &t), SANITIZE_TOO_COMPLEX);
        free(doc);
        doc = repeat("", "<div>", 100, "x");
        ck_assert_int_eq(timed(doc, &o, &t), SANITIZE_OK);
        free(doc);
    }
}
END_TEST

/* Depth and element count of gumbo's tree for html (iterative). */
static void
gumbo_size(const char *html, size_t len, size_t *depth, size_t *elements)
{
    struct item {
        GumboNode *n;
        size_t d;
    } * st;
    size_t n = 0, cap = 1024, i;
    GumboOutput *doc =
        gumbo_parse_with_options(&kGumboDefaultOptions, html, len);

    *depth = *elements = 0;
    st = malloc(cap * sizeof *st);
    st[n].n = doc->document;
    st[n++].d = 0;
    while (n > 0) {
        struct item it = st[--n];
        GumboVector *kids;

        if (it.n->type == GUMBO_NODE_DOCUMENT) {
            kids = &it.n->v.document.children;
        } else if (it.n->type == GUMBO_NODE_ELEMENT ||
                   it.n->type == GUMBO_NODE_TEMPLATE) {
            kids = &it.n->v.element.children;
            ++*elements;
        } else {
            continue;
        }
        *depth = it.d > *depth ? it.d : *depth;
        for (i = 0; i < kids->length; i++) {
            if (n == cap) {
                cap *= 2;
                st = realloc(st, cap * sizeof *st);
            }
            st[n].n = kids->data[i];
            st[n++].d = it.d + 1;
        }
    }
    free(st);
    gumbo_destroy_output(&kGumboDefaultOptions, doc);
}

/* The pre-check models gumbo's tree builder; tag soups that once fooled
 * it (found by comparing it with gumbo on random soups) must not again:
 * whatever it accepts under a limit, gumbo must build within that limit
 * (plus html and body). */
START_TEST(test_model_matches_gumbo)
{
    static const char *const soups[][6] = {
        {"<p>", "<isindex>", "<tt>", "<foreignObject>", NULL},
        {"<i>", "</i>", "<s>", NULL},
        {"</td>", "<foreignObject>", "<svg>", "<td>", NULL},
        {"<noscript>", "<select>", "</select>", NULL},
        {"<optgroup>", "</form>", NULL},
        {"<math>", "<title>", "<param>", "</html>", NULL},
        {"<rt>", "<hr>", "</button>", "<rp>", NULL},
        {"<noscript>", "<div>", "</noscript>", "</div>", NULL},
        {"<frameset>", "<noscript>", "</noscript>", "<title>", NULL},
        {"<svg>", "<font>", "<font color=red>", "</svg>", NULL},
        {"<form>", "<div>", "</form>", "<form>", NULL},
        {"<a href=x>", "<marquee>", "<b id=1>", "</marquee>", "x", NULL},
        {"<h2>", "</h1>", "<h1>", "<span>", NULL},
        {"<th>", "<select>", "<table>", "<s>", NULL},
        {"<form>", "</form>", "<div>", "<p>", "<rb>", NULL},
        {"<math>", "<mglyph>", "<svg>", "<mtext>", "<p>", NULL},
    };
    struct sanitize_opts o = {.max_depth = 150, .max_elements = 3000};
    unsigned long seed = 12345;
    size_t k, i, accepted = 0;

    for (k = 0; k < sizeof soups / sizeof soups[0]; k++) {
        struct strbuf sb = STRBUF_INIT;
        struct sanitize_result r;
        size_t nw = 0, depth, elements;

        while (soups[k][nw] != NULL) {
            nw++;
        }
        for (i = 0; i < 3000; i++) {
            seed = seed * 6364136223846793005ul + 1442695040888963407ul;
            strbuf_puts(&sb, soups[k][(seed >> 33) % nw]);
        }
        /* Prefixes of growing length: the short ones get accepted. */
        for (i = 64; i <= sb.len; i += i / 4) {
            if (sanitize_html(sb.buf, i, &o, &r) != SANITIZE_OK) {
                continue;
            }
            sanitize_result_free(&r);
            accepted++;
            gumbo_size(sb.buf, i, &depth, &elements);
            ck_assert_msg(depth <= 150 + 2 && elements <= 3000 + 3,
                          "soup %zu, %zu bytes: gumbo depth %zu, %zu "
                          "elements",
                          k, i, depth, elements);
        }
        strbuf_free(&sb);
    }
    ck_assert_uint_gt(accepted, 10);
}
END_TEST

/* Sloppy but ordinary documents must not look like bombs. */
START_TEST(test_sloppy_documents_pass)
{
    static const char *const units[] = {
        "<p>paragraph ",   "<li>item ",           "<tr><td>a<td>b",
        "<dt>t<dd>d",      "<p><b>bold<p>after ", "<p><font size=2>f ",
        "<a href=x>link ", "<br><img src=a><hr>", "<div>x</div>\n",
        "<option>o",
    };
    size_t i;
    double t;

    for (i = 0; i < sizeof units / sizeof units[0]; i++) {
        char *doc = repeat("<body>", units[i], 5000, "");
        int rc = timed(doc, NULL, &t);

        ck_assert_msg(rc == SANITIZE_OK, "%s x5000: %s", units[i],
                      sanitize_strerror(rc));
        free(doc);
    }
}
END_TEST

/* ---------------------------------------------------------------- */
/* errors                                                            */
/* ---------------------------------------------------------------- */

static const char oom_doc[] =
    "<html lang=ko><head><title>제목</title>"
    "<meta name=citation_author content=\"A\">"
    "<meta name=citation_author content=\"B\">"
    "<meta name=description content=\"d\">"
    "<link rel=canonical href=\"/c\"></head><body>\n"
    "<p>intro <a href=\"x.html#f\" onclick=y>x</a></p>"
    "<h1>One</h1><p>t<img src=\"i.png\" alt=a></p>"
    "<h2 id=two>Two</h2><pre>\ncode</pre><script>s</script>"
    "<table><tr><td>c</table><p><marquee><div>m</div></marquee></p>";

/* A rewrite hook that sends every URL through a local redirector. */
static int
hook_plain(void *ctx, const char *attr, const char *url, struct strbuf *out)
{
    (void)ctx;
    (void)attr;
    strbuf_puts(out, "/go?");
    url_encode(out, url, strlen(url));
    return SANITIZE_URL_KEEP;
}

/* 1 when two results carry the same body, text, metadata and lists. */
static int
same_result(const struct sanitize_result *a, const struct sanitize_result *b)
{
    size_t i;

    if (strcmp(a->body_html, b->body_html) != 0 ||
        strcmp(a->text, b->text) != 0 || strcmp(a->title, b->title) != 0 ||
        strcmp(a->authors, b->authors) != 0 ||
        strcmp(a->canonical, b->canonical) != 0 || a->nlinks != b->nlinks ||
        a->nsections != b->nsections) {
        return 0;
    }
    for (i = 0; i < a->nlinks; i++) {
        if (strcmp(a->links[i].url, b->links[i].url) != 0) {
            return 0;
        }
    }
    for (i = 0; i < a->nsections; i++) {
        if (strcmp(a->sections[i].text, b->sections[i].text) != 0) {
            return 0;
        }
    }
    return 1;
}

/* Every allocation failing in turn: NOMEM or the right answer. */
START_TEST(test_failing_allocator)
{
    struct sanitize_opts o = {.base_url = "http://ex.org/d/p.html",
                              .rewrite_url = hook_plain};
    struct sanitize_result ref, r;
    long i, nomem = 0, ok_in_row = 0;

    sanitize_ok(oom_doc, &o, &ref);
    for (i = 0; i < 100000 && ok_in_row < 20; i++) {
        int rc;

        alloc_set_fail_after(i);
        rc = sanitize_html(oom_doc, sizeof oom_doc - 1, &o, &r);
        alloc_set_fail_after(-1);
        if (rc == SANITIZE_OK) {
            ck_assert_msg(same_result(&ref, &r), "wrong output at %ld", i);
            sanitize_result_free(&r);
            ok_in_row++;
        } else {
            ck_assert_msg(rc == SANITIZE_NOMEM, "rc %d at %ld", rc, i);
            ck_assert_ptr_null(r.body_html);
            ck_assert_ptr_null(r.links);
            nomem++;
            ok_in_row = 0;
        }
    }
    ck_assert_msg(nomem >= 30, "only %ld allocation failures seen", nomem);
    sanitize_result_free(&ref);
}
END_TEST

/* The resolver under the failing allocator. */
START_TEST(test_failing_allocator_resolve)
{
    long i;

    for (i = 0; i < 50; i++) {
        struct strbuf sb = STRBUF_INIT;
        int rc;

        alloc_set_fail_after(i);
        rc = sanitize_resolve_url("http://a/b/c/d;p?q", "../../g/./h", &sb);
        alloc_set_fail_after(-1);
        ck_assert(rc == SANITIZE_OK || rc == SANITIZE_NOMEM);
        if (rc == SANITIZE_OK) {
            ck_assert_str_eq(sb.buf, "http://a/g/h");
        }
        strbuf_free(&sb);
    }
}
END_TEST

/* Bad arguments are refused with SANITIZE_INVALID. */
START_TEST(test_invalid_arguments)
{
    struct sanitize_opts o = {.base_url = "not a url"};
    struct sanitize_result r;
    struct strbuf sb = STRBUF_INIT;

    ck_assert_int_eq(sanitize_html("x", 1, NULL, NULL), SANITIZE_INVALID);
    ck_assert_int_eq(sanitize_html(NULL, 3, NULL, &r), SANITIZE_INVALID);
    ck_assert_int_eq(sanitize_html("x", 1, &o, &r), SANITIZE_INVALID);
    o.base_url = "javascript:alert(1)";
    ck_assert_int_eq(sanitize_html("x", 1, &o, &r), SANITIZE_INVALID);
    o.base_url = "//host/only";
    ck_assert_int_eq(sanitize_html("x", 1, &o, &r), SANITIZE_INVALID);
    ck_assert_int_eq(sanitize_resolve_url("relative/base", "g", &sb),
                     SANITIZE_INVALID);
    ck_assert_int_eq(sanitize_resolve_url(NULL, "g", &sb), SANITIZE_INVALID);
    ck_assert_uint_eq(sb.len, 0);
    ck_assert_str_eq(sanitize_strerror(SANITIZE_INVALID), "invalid argument");
    ck_assert_str_eq(sanitize_strerror(SANITIZE_NOMEM), "out of memory");
    ck_assert_str_eq(sanitize_strerror(12345), "unknown error");
}
END_TEST

/* The suite and its four cases; the limit, error and vector cases
 * get longer timeouts because they run under ASan. */
static Suite *
sanitize_suite(void)
{
    Suite *s = suite_create("sanitize");
    TCase *core = tcase_create("core");
    TCase *limits = tcase_create("limits");
    TCase *errors = tcase_create("errors");
    TCase *vectors = tcase_create("vectors");

    tcase_add_test(core, test_structure_kept);
    tcase_add_test(core, test_dropped_and_unwrapped);
    tcase_add_test(core, test_attributes);
    tcase_add_test(core, test_text_escaped);
    tcase_add_test(core, test_url_filter);
    tcase_add_test(core, test_resolve_lowercase);
    tcase_add_test(core, test_resolve_in_document);
    tcase_add_test(core, test_rewrite_hook);
    tcase_add_test(core, test_metadata_priority);
    tcase_add_test(core, test_sections);
    tcase_add_test(core, test_korean);
    tcase_add_test(core, test_invalid_utf8);
    tcase_add_test(core, test_idempotent_messy);
    tcase_add_test(core, test_deterministic);
    tcase_add_test(core, test_empty_input);
    suite_add_tcase(s, core);

    tcase_set_timeout(limits, 60);
    tcase_add_test(limits, test_nested_span_bomb);
    tcase_add_test(limits, test_unclosed_formatting_bomb);
    tcase_add_test(limits, test_reconstruction_bomb);
    tcase_add_test(limits, test_nested_frameset_bomb);
    tcase_add_test(limits, test_size_limit);
    tcase_add_test(limits, test_million_attributes);
    tcase_add_test(limits, test_deep_but_allowed);
    tcase_add_test(limits, test_sloppy_documents_pass);
    tcase_add_test(limits, test_model_matches_gumbo);
    suite_add_tcase(s, limits);

    tcase_set_timeout(errors, 120);
    tcase_add_test(errors, test_failing_allocator);
    tcase_add_test(errors, test_failing_allocator_resolve);
    tcase_add_test(errors, test_invalid_arguments);
    suite_add_tcase(s, errors);

    tcase_set_timeout(vectors, 120);
    tcase_add_test(vectors, test_checker_positive_control);
    tcase_add_test(vectors, test_vectors_html5sec);
    tcase_add_test(vectors, test_vectors_dompurify);
    tcase_add_test(vectors, test_vectors_ingest_options);
    suite_add_tcase(s, vectors);
    return s;
}

/* Runs the suite; exit status 0 only when every test passed. */
int
main(void)
{
    return check_main(sanitize_suite());
}
