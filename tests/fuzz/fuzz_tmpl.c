/*
 * fuzz_tmpl: the template engine (lib/tmpl.c): compile the input as a
 * template, then render it against a small fixed model.  Layer: tests/.
 *
 * The input is added under a name no partial tag can spell ("in put"), so
 * it cannot include itself; two fixed partials ("p", and "r", recursive
 * over a two-level tree) give {{>...}} something to find.  Every object of
 * the model defines every array key ("items", "kids") as [] unless it
 * holds the real array, so nested sections cannot multiply: output stays
 * proportional to the input, and a slow input is a real finding.
 *
 * Invariants, from tmpl.h: compilation either succeeds or fills the error
 * (a NUL-terminated message, a line not past the input's); rendering
 * either succeeds or restores the buffer to its previous length; and
 * {{x}} always escapes: every model string that needs escaping starts
 * with DEL (0x7f) followed by one of < > " ', so when the template has no
 * DEL byte, a DEL in the output must be followed by '&' (an entity).
 */
#include <string.h>

#include "fuzz.h"
#include "tmpl.h"

static const char model_json[] =
    "{\"name\": \"\\u007f<b>x</b>\", \"n\": 42, \"neg\": -7, \"r\": 1.25,"
    " \"t\": true, \"f\": false, \"z\": null, \"s\": \"\", \"zero\": 0,"
    " \"title\": \"\\u007f\\\"q\\\" \\u007f'a'\","
    " \"safe_html\": \"<em>fine</em> &amp; ok\","
    " \"obj\": {\"x\": \"\\u007f>\", \"deep\": {\"y\": \"\\u007f'\","
    "  \"list_html\": \"<ul><li>a</li></ul>\", \"items\": [], \"kids\": []},"
    "  \"items\": [], \"kids\": []},"
    " \"items\": [{\"name\": \"\\u007f<i>\", \"n\": 1, \"items\": [],"
    "   \"kids\": []},"
    "  {\"name\": \"b\", \"t\": false, \"items\": [], \"kids\": []},"
    "  {\"items\": [], \"kids\": [], \"obj\": {\"x\": \"y\", \"items\": [],"
    "   \"kids\": []}}],"
    " \"kids\": [{\"name\": \"\\u007f\\\"k1\", \"items\": [], \"kids\":"
    "   [{\"name\": \"k11\", \"items\": [], \"kids\": []}]},"
    "  {\"name\": \"k2\", \"items\": [], \"kids\": []}],"
    " \"empty\": [], \"emptyobj\": {\"items\": [], \"kids\": []}}";

static const char partial_p[] = "<p title=\"{{title}}\">{{name}}</p>\n";
static const char partial_r[] =
    "{{#kids}}\n  <li>{{name}}\n  {{>r}}\n  </li>\n{{/kids}}\n";

static json_t *model;

/* 1 when every DEL in s[0..n) is followed by '&'. */
static int
escaped(const char *s, size_t n)
{
    const char *d = s;

    while ((d = memchr(d, 0x7f, n - (size_t)(d - s))) != NULL) {
        if ((size_t)(d + 1 - s) >= n || d[1] != '&') {
            return 0;
        }
        d++;
    }
    return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char prefix[] = "before;";
    const char *src = (const char *)data;
    struct tmpl_set *set;
    struct tmpl_error err;
    struct strbuf out = STRBUF_INIT;
    int has_del = memchr(data, 0x7f, size) != NULL, rc;

    if (model == NULL) {
        json_error_t je;

        model = json_loads(model_json, 0, &je);
        FUZZ_CHECK(model != NULL, je.text);
    }
    set = tmpl_set_new();
    FUZZ_CHECK(set != NULL, "tmpl_set_new");
    FUZZ_CHECK(
        tmpl_set_add(set, "p", partial_p, strlen(partial_p), NULL, &err) == 0,
        "fixed partial p compiles");
    FUZZ_CHECK(
        tmpl_set_add(set, "r", partial_r, strlen(partial_r), NULL, &err) == 0,
        "fixed partial r compiles");
    memset(&err, 0xa5, sizeof(err));
    if (tmpl_set_add(set, "in put", src, size, "input.html", &err) < 0) {
        FUZZ_CHECK(memchr(err.msg, '\0', sizeof(err.msg)) != NULL &&
                       memchr(err.file, '\0', sizeof(err.file)) != NULL,
                   "error strings are NUL-terminated");
        FUZZ_CHECK(err.line >= 0 && (size_t)err.line <= size + 1,
                   "error line within the input");
        FUZZ_CHECK(!tmpl_set_has(set, "in put"),
                   "a failed add leaves no trace");
        tmpl_set_free(set);
        return 0;
    }
    FUZZ_CHECK(tmpl_set_has(set, "in put"), "the template is in the set");
    strbuf_puts(&out, prefix);
    rc = tmpl_render(set, "in put", model, &out);
    FUZZ_CHECK(strbuf_ok(&out), "out of memory");
    if (rc < 0) {
        FUZZ_CHECK(out.len == strlen(prefix) &&
                       memcmp(out.buf, prefix, out.len) == 0,
                   "a failed render restores the buffer");
    } else if (!has_del) {
        FUZZ_CHECK(escaped(out.buf, out.len), "{{x}} always escapes");
    }
    /* Rendering reads the set only: the same output again, and with an
     * empty context it must not fail in any other way. */
    {
        struct strbuf again = STRBUF_INIT;

        strbuf_puts(&again, prefix);
        FUZZ_CHECK(tmpl_render(set, "in put", model, &again) == rc &&
                       again.len == out.len &&
                       memcmp(again.buf, out.buf, out.len) == 0,
                   "rendering is deterministic");
        strbuf_free(&again);
    }
    strbuf_reset(&out);
    rc = tmpl_render(set, "in put", NULL, &out);
    FUZZ_CHECK(rc == 0 || out.len == 0, "render with no context");
    strbuf_free(&out);
    tmpl_set_free(set);
    return 0;
}
