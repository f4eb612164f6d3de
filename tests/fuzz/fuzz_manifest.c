/*
 * fuzz_manifest: the JSON Lines manifest parser (ingest/manifest.c) on
 * arbitrary bytes, as manifest_load() hands it a file.  Layer: tests/.
 *
 * Invariants, from manifest.h: parsing never fails but for memory; every
 * kept entry has a path or a url; a path is normalised and stays inside the
 * tree (relative, no "." or ".." or empty segment, no backslash or control
 * character); urls are printable ASCII (url_normalize form); both lookups
 * find each entry again by its own key (normalising twice changes nothing,
 * and duplicates were dropped); issues are printable ASCII in line order.
 */
#include <string.h>

#include "fuzz.h"
#include "html.h"
#include "manifest.h"

/* 1 when s is a normalised tree-relative path. */
static int
path_ok(const char *s)
{
    const char *seg = s;
    size_t i, n = strlen(s);

    if (n == 0 || s[0] == '/' || s[n - 1] == '/') {
        return 0;
    }
    for (i = 0; i <= n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\\' || (c != '\0' && (c < 0x20 || c == 0x7f))) {
            return 0;
        }
        if (c == '/' || c == '\0') {
            size_t len = (size_t)(s + i - seg);

            if (len == 0 || (len == 1 && seg[0] == '.') ||
                (len == 2 && seg[0] == '.' && seg[1] == '.')) {
                return 0;
            }
            seg = s + i + 1;
        }
    }
    return 1;
}

/* 1 when s is NULL or valid UTF-8. */
static int
text_ok(const char *s)
{
    return s == NULL || utf8_valid(s, strlen(s));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct manifest m;
    size_t i, k;

    FUZZ_CHECK(manifest_parse((const char *)data, size, &m) == 0,
               "manifest_parse failed (not out of memory here)");
    FUZZ_CHECK(m.nissues <= MANIFEST_MAX_ISSUES + 1, "issue list capped");
    for (i = 0; i < m.n; i++) {
        const struct manifest_entry *e = &m.entries[i];

        FUZZ_CHECK(e->path != NULL || e->url != NULL, "entry without key");
        FUZZ_CHECK(e->line >= 1, "entry line from 1");
        FUZZ_CHECK(i == 0 || e->line > m.entries[i - 1].line,
                   "entries in line order");
        if (e->path != NULL) {
            FUZZ_CHECK(path_ok(e->path), "path normalised, inside the tree");
            FUZZ_CHECK(manifest_find_path(&m, e->path) == e,
                       "manifest_find_path finds the entry by its path");
        }
        if (e->url != NULL) {
            FUZZ_CHECK(fuzz_printable(e->url), "url is printable ASCII");
            FUZZ_CHECK(manifest_find_url(&m, e->url) == e,
                       "manifest_find_url finds the entry by its url");
        }
        FUZZ_CHECK(fuzz_printable(e->source_url), "source_url printable ASCII");
        FUZZ_CHECK(e->retrieved_at >= -1, "retrieved_at -1 or Unix seconds");
        FUZZ_CHECK(text_ok(e->title) && text_ok(e->authors) &&
                       text_ok(e->language) && text_ok(e->license) &&
                       text_ok(e->abstract),
                   "strings are valid UTF-8 without NUL");
        for (k = 0; k < e->ntags; k++) {
            FUZZ_CHECK(e->tags[k] != NULL && e->tags[k][0] != '\0' &&
                           text_ok(e->tags[k]),
                       "tags non-empty valid UTF-8");
        }
    }
    for (i = 0; i < m.nissues; i++) {
        FUZZ_CHECK(fuzz_printable(m.issues[i].msg), "issue message printable");
        FUZZ_CHECK(i == 0 || m.issues[i].line >= m.issues[i - 1].line,
                   "issues in line order");
    }
    manifest_free(&m);
    return 0;
}
