/*
 * check_tmpl: tests for lib/tmpl, the Mustache-subset template engine.
 * Layer: tests/, depends on lib/ (tmpl, strbuf, alloc), Check, Jansson and
 * pthreads; never on microhttpd.h.  Runs every case of the official spec
 * files in $KW_TEST_DATA/mustache-spec (cases that need raw output of keys
 * not ending in _html must instead be refused at compile time), then unit
 * tests for escaping, the _html rule, compile errors, depth limits,
 * allocation failures and concurrent rendering.
 */
#include <check.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "checkmain.h"
#include "strbuf.h"
#include "tmpl.h"

/* Test data root: $KW_TEST_DATA or "tests/data".  Borrowed. */
static const char *
data_dir(void)
{
    const char *d = getenv("KW_TEST_DATA");

    return d != NULL && *d != '\0' ? d : "tests/data";
}

/* New set holding src as template "t" (file "t.html"), or NULL with *err
 * filled. */
static struct tmpl_set *
compile_one(const char *src, struct tmpl_error *err)
{
    struct tmpl_set *set = tmpl_set_new();

    ck_assert_ptr_nonnull(set);
    if (tmpl_set_add(set, "t", src, strlen(src), "t.html", err) < 0) {
        tmpl_set_free(set);
        return NULL;
    }
    return set;
}

/* Renders `name` with ctx; returns a new string (kw_free it) or NULL. */
static char *
render_str(const struct tmpl_set *set, const char *name, json_t *ctx)
{
    struct strbuf sb = STRBUF_INIT;

    if (tmpl_render(set, name, ctx, &sb) < 0) {
        strbuf_free(&sb);
        return NULL;
    }
    return strbuf_detach(&sb, NULL);
}

/* Compiles src as one template and checks the output for data (JSON text,
 * parsed here). */
static void
expect_render(const char *src, const char *data, const char *want)
{
    struct tmpl_error err;
    struct tmpl_set *set = compile_one(src, &err);
    json_t *ctx = json_loads(data, 0, NULL);
    char *got;

    ck_assert_msg(set != NULL, "compile failed: %s:%d: %s", err.file, err.line,
                  err.msg);
    ck_assert_ptr_nonnull(ctx);
    got = render_str(set, "t", ctx);
    ck_assert_ptr_nonnull(got);
    ck_assert_str_eq(got, want);
    kw_free(got);
    json_decref(ctx);
    tmpl_set_free(set);
}

/* Checks that src fails to compile at `line` with a message containing
 * `needle`. */
static void
expect_refused(const char *src, int line, const char *needle)
{
    struct tmpl_error err;
    struct tmpl_set *set = compile_one(src, &err);

    ck_assert_msg(set == NULL, "compiled but should be refused: %s", src);
    ck_assert_str_eq(err.file, "t.html");
    ck_assert_int_eq(err.line, line);
    ck_assert_msg(strstr(err.msg, needle) != NULL, "message '%s' lacks '%s'",
                  err.msg, needle);
}

/* ------------------------------------------------------------------ */
/* Spec conformance                                                   */

/* Independent scan for {{{key}}} / {{&key}} where the key's last dotted
 * segment does not end in _html.  Copies the first such key into key and
 * returns 1, else returns 0. */
static int
find_raw_key(const char *src, char *key, size_t size)
{
    const char *p = src;

    while ((p = strstr(p, "{{")) != NULL) {
        const char *ks, *ke, *last;

        if (p[2] != '{' && p[2] != '&') {
            p += 2;
            continue;
        }
        ks = p + 3;
        ke = strstr(ks, "}}");
        if (ke == NULL) {
            return 0;
        }
        while (ks < ke && *ks == ' ') {
            ks++;
        }
        while (ke > ks && ke[-1] == ' ') {
            ke--;
        }
        for (last = ke; last > ks && last[-1] != '.'; last--) {
        }
        if (ke - last < 5 || strncmp(ke - 5, "_html", 5) != 0) {
            snprintf(key, size, "%.*s", (int)(ke - ks), ks);
            return 1;
        }
        p = ke;
    }
    return 0;
}

struct spec_tally {
    int passed;
    int skipped;
    int failed;
};

/* Compiles one source of a spec case; a refusal must happen exactly when
 * the source uses raw output on a non-_html key, and must name the key.
 * Returns 1 when compiled, 0 when (correctly or not) refused; bumps
 * *bad on a wrong outcome. */
static int
spec_compile(struct tmpl_set *set, const char *name, const char *src,
             const char *label, int *bad)
{
    struct tmpl_error err;
    char key[128];
    int want_refusal = find_raw_key(src, key, sizeof(key));
    int rc = tmpl_set_add(set, name, src, strlen(src), label, &err);

    if (rc < 0 && !want_refusal) {
        fprintf(stderr, "FAIL %s: refused: %s:%d: %s\n", label, err.file,
                err.line, err.msg);
        (*bad)++;
    } else if (rc == 0 && want_refusal) {
        fprintf(stderr, "FAIL %s: raw output of '%s' was not refused\n", label,
                key);
        (*bad)++;
    } else if (rc < 0 && strstr(err.msg, key) == NULL) {
        fprintf(stderr, "FAIL %s: refusal does not name '%s': %s\n", label, key,
                err.msg);
        (*bad)++;
    }
    return rc == 0;
}

/* Runs every case of one spec file, adding to *t. */
static void
run_spec_file(const char *file, struct spec_tally *t)
{
    char path[1024], label[512], key[128];
    json_error_t jerr;
    json_t *root, *tests, *tc;
    size_t i;

    snprintf(path, sizeof(path), "%s/mustache-spec/%s", data_dir(), file);
    root = json_load_file(path, 0, &jerr);
    ck_assert_msg(root != NULL, "%s: %s", path, jerr.text);
    tests = json_object_get(root, "tests");
    ck_assert_msg(json_array_size(tests) > 0, "%s: no tests", path);

    json_array_foreach(tests, i, tc)
    {
        const char *name = json_string_value(json_object_get(tc, "name"));
        const char *src = json_string_value(json_object_get(tc, "template"));
        const char *want = json_string_value(json_object_get(tc, "expected"));
        json_t *partials = json_object_get(tc, "partials");
        json_t *data = json_object_get(tc, "data");
        struct tmpl_set *set = tmpl_set_new();
        int bad = 0, refused = 0, raw = 0;
        const char *pname;
        json_t *pval;

        ck_assert_ptr_nonnull(name);
        ck_assert_ptr_nonnull(src);
        ck_assert_ptr_nonnull(want);
        ck_assert_ptr_nonnull(set);
        json_object_foreach(partials, pname, pval)
        {
            const char *psrc = json_string_value(pval);

            snprintf(label, sizeof(label), "%s: %s: partial %s", file, name,
                     pname);
            raw |= find_raw_key(psrc, key, sizeof(key));
            refused |= !spec_compile(set, pname, psrc, label, &bad);
        }
        snprintf(label, sizeof(label), "%s: %s", file, name);
        raw |= find_raw_key(src, key, sizeof(key));
        refused |= !spec_compile(set, "spec-main", src, label, &bad);

        if (bad > 0) {
            t->failed++;
        } else if (refused) {
            fprintf(stderr,
                    "skip %s: %s: raw output of '%s' (not *_html) "
                    "refused at compile time\n",
                    file, name, key);
            t->skipped++;
        } else if (raw) {
            fprintf(stderr, "FAIL %s: raw tag compiled\n", label);
            t->failed++;
        } else {
            char *got = render_str(set, "spec-main", data);

            if (got != NULL && strcmp(got, want) == 0) {
                t->passed++;
            } else {
                fprintf(stderr, "FAIL %s:\n  want [%s]\n  got  [%s]\n", label,
                        want, got != NULL ? got : "(error)");
                t->failed++;
            }
            kw_free(got);
        }
        tmpl_set_free(set);
    }
    json_decref(root);
}

START_TEST(test_spec)
{
    static const char *const files[] = {"interpolation.json", "sections.json",
                                        "inverted.json", "comments.json",
                                        "partials.json"};
    struct spec_tally t = {0, 0, 0};
    size_t i;

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        run_spec_file(files[i], &t);
    }
    fprintf(stderr,
            "mustache spec: %d passed, %d skipped (raw {{{x}}}/{{&x}} "
            "on keys not ending in _html is refused by design)\n",
            t.passed, t.skipped);
    ck_assert_msg(t.failed == 0, "%d spec cases failed", t.failed);
    ck_assert_int_gt(t.passed, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Core unit tests                                                    */

START_TEST(test_escape)
{
    expect_render("<p>{{x}}</p>", "{\"x\": \"<script>\\\"'&\"}",
                  "<p>&lt;script&gt;&quot;&#39;&amp;</p>");
    expect_render("{{#l}}{{.}},{{/l}}", "{\"l\": [\"<a>\", \"b&c\"]}",
                  "&lt;a&gt;,b&amp;c,");
}
END_TEST

START_TEST(test_raw_html)
{
    expect_render("<div>{{{body_html}}}</div>{{& doc.snippet_html }}",
                  "{\"body_html\": \"<b>hi</b>\","
                  " \"doc\": {\"snippet_html\": \"<i>&amp;</i>\"}}",
                  "<div><b>hi</b></div><i>&amp;</i>");
}
END_TEST

START_TEST(test_values)
{
    expect_render("{{i}} {{n}} {{r}} {{s}} {{big}} {{t}} {{f}} [{{z}}]"
                  "[{{a}}][{{o}}][{{missing}}]",
                  "{\"i\": 42, \"n\": -7, \"r\": 1.21, \"s\": 0.1,"
                  " \"big\": 9007199254740993, \"t\": true, \"f\": false,"
                  " \"z\": null, \"a\": [1], \"o\": {\"k\": 1}}",
                  "42 -7 1.21 0.1 9007199254740993 true false [][][][]");
    /* Truthiness: 0 and {} render, "" and [] do not. */
    expect_render("{{#z}}Z{{/z}}{{#o}}O{{/o}}{{#e}}E{{/e}}{{^e}}e{{/e}}"
                  "{{#l}}L{{/l}}{{^l}}l{{/l}}",
                  "{\"z\": 0, \"o\": {}, \"e\": \"\", \"l\": []}", "ZOel");
}
END_TEST

START_TEST(test_partial_indent)
{
    /* The spec's "Standalone Indentation" case with an _html key: lines of
     * the partial are indented, lines inside a value are not. */
    struct tmpl_set *set = tmpl_set_new();
    struct tmpl_error err;
    const char *p = "|\n{{{content_html}}}\n|\n";
    const char *m = "\\\n {{>partial}}\n/\n";
    json_t *ctx = json_pack("{s:s}", "content_html", "<\n->");
    char *got;

    ck_assert_int_eq(tmpl_set_add(set, "partial", p, strlen(p), NULL, &err), 0);
    ck_assert_int_eq(tmpl_set_add(set, "main", m, strlen(m), NULL, &err), 0);
    got = render_str(set, "main", ctx);
    ck_assert_str_eq(got, "\\\n |\n <\n->\n |\n/\n");
    kw_free(got);
    json_decref(ctx);
    tmpl_set_free(set);
}
END_TEST

START_TEST(test_nested_indent)
{
    struct tmpl_set *set = tmpl_set_new();
    struct tmpl_error err;
    const char *in = "a\n{{#l}}\n{{.}}\n{{/l}}\nb\n";
    const char *out = "<ul>\n  {{>in}}\n</ul>\n";
    const char *m = "<div>\n  {{>out}}\n</div>\n";
    json_t *ctx = json_pack("{s:[i,i]}", "l", 1, 2);
    char *got;

    ck_assert_int_eq(tmpl_set_add(set, "in", in, strlen(in), NULL, &err), 0);
    ck_assert_int_eq(tmpl_set_add(set, "out", out, strlen(out), NULL, &err), 0);
    ck_assert_int_eq(tmpl_set_add(set, "m", m, strlen(m), NULL, &err), 0);
    got = render_str(set, "m", ctx);
    ck_assert_str_eq(got, "<div>\n  <ul>\n    a\n    1\n    2\n    b\n"
                          "  </ul>\n</div>\n");
    kw_free(got);
    json_decref(ctx);
    tmpl_set_free(set);
}
END_TEST

START_TEST(test_missing_and_unknown)
{
    struct tmpl_error err;
    struct tmpl_set *set = compile_one("[{{>nope}}]", &err);
    struct strbuf sb = STRBUF_INIT;

    ck_assert_ptr_nonnull(set);
    ck_assert_int_eq(tmpl_set_has(set, "t"), 1);
    ck_assert_int_eq(tmpl_set_has(set, "nope"), 0);
    strbuf_puts(&sb, "keep");
    ck_assert_int_eq(tmpl_render(set, "nope", NULL, &sb), -1);
    ck_assert_str_eq(strbuf_peek(&sb), "keep");
    ck_assert_int_eq(tmpl_render(set, "t", NULL, &sb), 0);
    ck_assert_str_eq(strbuf_peek(&sb), "keep[]");
    strbuf_free(&sb);
    tmpl_set_free(set);
}
END_TEST

START_TEST(test_duplicate)
{
    struct tmpl_set *set = tmpl_set_new();
    struct tmpl_error err;

    ck_assert_int_eq(tmpl_set_add(set, "a", "x", 1, NULL, &err), 0);
    ck_assert_int_eq(tmpl_set_add(set, "a", "y", 1, "a2.html", &err), -1);
    ck_assert_str_eq(err.file, "a2.html");
    ck_assert_ptr_nonnull(strstr(err.msg, "duplicate"));
    tmpl_set_free(set);
}
END_TEST

START_TEST(test_build_id)
{
    struct tmpl_set *a = tmpl_set_new(), *b = tmpl_set_new();
    struct tmpl_set *c = tmpl_set_new();
    struct tmpl_error err;
    const char *id;
    size_t i;

    ck_assert_int_eq(tmpl_set_add(a, "x", "one", 3, NULL, &err), 0);
    ck_assert_int_eq(tmpl_set_add(a, "y", "two", 3, NULL, &err), 0);
    ck_assert_int_eq(tmpl_set_add(b, "y", "two", 3, NULL, &err), 0);
    ck_assert_int_eq(tmpl_set_add(b, "x", "one", 3, NULL, &err), 0);
    ck_assert_int_eq(tmpl_set_add(c, "x", "one", 3, NULL, &err), 0);
    ck_assert_int_eq(tmpl_set_add(c, "y", "twO", 3, NULL, &err), 0);
    id = tmpl_set_build_id(a);
    ck_assert_uint_eq(strlen(id), 16);
    for (i = 0; i < 16; i++) {
        ck_assert_ptr_nonnull(strchr("0123456789abcdef", id[i]));
    }
    ck_assert_str_eq(id, tmpl_set_build_id(b));
    ck_assert_str_ne(id, tmpl_set_build_id(c));
    tmpl_set_free(a);
    tmpl_set_free(b);
    tmpl_set_free(c);
}
END_TEST

/* Writes s to dir/rel; fails the test on error. */
static void
write_file(const char *dir, const char *rel, const char *s)
{
    char path[1024];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(s, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

/* Removes dir/rel. */
static void
remove_file(const char *dir, const char *rel)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    remove(path);
}

START_TEST(test_load_dir)
{
    char dir[] = "/tmp/check_tmpl.XXXXXX";
    char sub[1100];
    struct tmpl_set *set = tmpl_set_new();
    struct tmpl_error err;
    json_t *ctx = json_pack("{s:s}", "title", "T&C");
    char *got;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sub, sizeof(sub), "%s/partials", dir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    write_file(dir, "home.html", "{{>partials/header}}body\n");
    write_file(dir, "partials/header.html", "<h1>{{title}}</h1>\n");
    write_file(dir, ".hidden.html", "{{{nope}}}");
    write_file(dir, "notes.txt", "{{{nope}}}");

    ck_assert_int_eq(tmpl_set_load_dir(set, dir, &err), 0);
    ck_assert_int_eq(tmpl_set_has(set, "home"), 1);
    ck_assert_int_eq(tmpl_set_has(set, "partials/header"), 1);
    ck_assert_int_eq(tmpl_set_has(set, ".hidden"), 0);
    ck_assert_int_eq(tmpl_set_has(set, "notes"), 0);
    got = render_str(set, "home", ctx);
    ck_assert_str_eq(got, "<h1>T&amp;C</h1>\nbody\n");
    kw_free(got);
    tmpl_set_free(set);

    /* A broken file reports its path and line. */
    write_file(dir, "partials/bad.html", "ok\n{{#x}}\n");
    set = tmpl_set_new();
    ck_assert_int_eq(tmpl_set_load_dir(set, dir, &err), -1);
    ck_assert_ptr_nonnull(strstr(err.file, "/partials/bad.html"));
    ck_assert_int_eq(err.line, 2);
    tmpl_set_free(set);

    set = tmpl_set_new();
    ck_assert_int_eq(tmpl_set_load_dir(set, "/nonexistent/tmpl", &err), -1);
    ck_assert_str_eq(err.file, "/nonexistent/tmpl");
    tmpl_set_free(set);

    remove_file(dir, "partials/bad.html");
    remove_file(dir, "partials/header.html");
    remove_file(dir, "home.html");
    remove_file(dir, ".hidden.html");
    remove_file(dir, "notes.txt");
    rmdir(sub);
    rmdir(dir);
    json_decref(ctx);
}
END_TEST

/* Shared input of the concurrency test, read-only for the threads. */
struct render_job {
    const struct tmpl_set *set;
    json_t *ctx;
    const char *want;
    int mismatches;
};

/* Renders the page many times and counts outputs differing from want. */
static void *
render_thread(void *arg)
{
    struct render_job *job = arg;
    int i;

    for (i = 0; i < 300; i++) {
        char *got = render_str(job->set, "page", job->ctx);

        if (got == NULL || strcmp(got, job->want) != 0) {
            job->mismatches++;
        }
        kw_free(got);
    }
    return NULL;
}

static const char page_src[] = "<title>{{site.name}}</title>\n"
                               "{{! list of documents }}\n"
                               "<ul>\n"
                               "  {{#docs}}\n"
                               "  {{>partials/item}}\n"
                               "  {{/docs}}\n"
                               "  {{^docs}}\n"
                               "  <li>none</li>\n"
                               "  {{/docs}}\n"
                               "</ul>\n"
                               "{{{footer_html}}}\n";
static const char item_src[] =
    "<li id=\"d{{id}}\">{{title}} ({{size}} kB)</li>\n";
static const char page_data[] =
    "{\"site\": {\"name\": \"Portal <intra>\"},"
    " \"docs\": [{\"id\": 1, \"title\": \"A & B\", \"size\": 1.5},"
    "            {\"id\": 2, \"title\": \"\\\"C\\\"\", \"size\": 12}],"
    " \"footer_html\": \"<hr>\"}";
static const char page_want[] = "<title>Portal &lt;intra&gt;</title>\n"
                                "<ul>\n"
                                "  <li id=\"d1\">A &amp; B (1.5 kB)</li>\n"
                                "  <li id=\"d2\">&quot;C&quot; (12 kB)</li>\n"
                                "</ul>\n"
                                "<hr>\n";

START_TEST(test_threads)
{
    struct tmpl_set *set = tmpl_set_new();
    struct tmpl_error err;
    struct render_job jobs[4];
    pthread_t th[4];
    json_t *ctx = json_loads(page_data, 0, NULL);
    char *once;
    int i;

    ck_assert_ptr_nonnull(ctx);
    ck_assert_int_eq(tmpl_set_add(set, "partials/item", item_src,
                                  strlen(item_src), NULL, &err),
                     0);
    ck_assert_int_eq(
        tmpl_set_add(set, "page", page_src, strlen(page_src), NULL, &err), 0);
    once = render_str(set, "page", ctx);
    ck_assert_str_eq(once, page_want);
    for (i = 0; i < 4; i++) {
        jobs[i].set = set;
        jobs[i].ctx = ctx;
        jobs[i].want = once;
        jobs[i].mismatches = 0;
        ck_assert_int_eq(pthread_create(&th[i], NULL, render_thread, &jobs[i]),
                         0);
    }
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        ck_assert_int_eq(jobs[i].mismatches, 0);
    }
    kw_free(once);
    json_decref(ctx);
    tmpl_set_free(set);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Limits                                                             */

START_TEST(test_recursive_partial)
{
    struct tmpl_set *set = tmpl_set_new();
    struct tmpl_error err;
    const char *self = "x{{>self}}";
    const char *node = "{{name}}({{#kids}}{{>node}}{{/kids}})";
    struct strbuf sb = STRBUF_INIT;
    json_t *deep, *leaf;
    char *got;
    int i;

    ck_assert_int_eq(tmpl_set_add(set, "self", self, strlen(self), NULL, &err),
                     0);
    ck_assert_int_eq(tmpl_set_add(set, "node", node, strlen(node), NULL, &err),
                     0);
    strbuf_puts(&sb, "before");
    ck_assert_int_eq(tmpl_render(set, "self", NULL, &sb), -1);
    ck_assert_str_eq(strbuf_peek(&sb), "before");
    strbuf_free(&sb);

    /* A shallow tree renders; one deeper than the limit fails cleanly.
     * The leaf needs its own empty "kids": a missing key would be found in
     * the parent's context and recurse forever (until the limit). */
    leaf = json_pack("{s:s,s:[]}", "name", "c", "kids");
    deep = json_pack("{s:s,s:[{s:s,s:[o]}]}", "name", "a", "kids", "name", "b",
                     "kids", leaf);
    got = render_str(set, "node", deep);
    ck_assert_str_eq(got, "a(b(c()))");
    kw_free(got);
    for (i = 0; i < TMPL_MAX_DEPTH; i++) {
        deep = json_pack("{s:s,s:[o]}", "name", "n", "kids", deep);
        ck_assert_ptr_nonnull(deep);
    }
    ck_assert_ptr_null(render_str(set, "node", deep));
    json_decref(deep);
    tmpl_set_free(set);
}
END_TEST

START_TEST(test_nesting_limit)
{
    struct strbuf sb = STRBUF_INIT;
    struct tmpl_error err;
    struct tmpl_set *set;
    int i;

    for (i = 0; i < TMPL_MAX_DEPTH; i++) {
        strbuf_puts(&sb, "{{#a}}");
    }
    for (i = 0; i < TMPL_MAX_DEPTH; i++) {
        strbuf_puts(&sb, "{{/a}}");
    }
    set = compile_one(strbuf_peek(&sb), &err);
    ck_assert_ptr_nonnull(set);
    tmpl_set_free(set);
    strbuf_reset(&sb);
    for (i = 0; i <= TMPL_MAX_DEPTH; i++) {
        strbuf_puts(&sb, "{{#a}}\n");
    }
    set = compile_one(strbuf_peek(&sb), &err);
    ck_assert_ptr_null(set);
    ck_assert_int_eq(err.line, TMPL_MAX_DEPTH + 1);
    strbuf_free(&sb);
}
END_TEST

START_TEST(test_alloc_failure)
{
    json_t *ctx = json_loads(page_data, 0, NULL);
    int i, failures = 0, successes_in_a_row = 0;

    ck_assert_ptr_nonnull(ctx);
    /* Fail the i-th allocation of compile + render for growing i until
     * twenty runs in a row never reach the failing allocation. */
    for (i = 0; successes_in_a_row < 20; i++) {
        struct strbuf sb = STRBUF_INIT;
        struct tmpl_error err;
        struct tmpl_set *set;
        int rc = -1;

        ck_assert_int_lt(i, 10000);
        alloc_set_fail_after(i);
        set = tmpl_set_new();
        if (set != NULL) {
            rc = tmpl_set_add(set, "partials/item", item_src, strlen(item_src),
                              NULL, &err);
        }
        if (rc == 0) {
            rc = tmpl_set_add(set, "page", page_src, strlen(page_src), NULL,
                              &err);
        }
        if (rc == 0) {
            rc = tmpl_render(set, "page", ctx, &sb);
        }
        alloc_set_fail_after(-1);
        if (rc == 0) {
            ck_assert_str_eq(strbuf_peek(&sb), page_want);
            successes_in_a_row++;
        } else {
            ck_assert_int_eq(rc, -1);
            failures++;
            successes_in_a_row = 0;
        }
        strbuf_free(&sb);
        tmpl_set_free(set);
    }
    ck_assert_int_gt(failures, 5);
    json_decref(ctx);
}
END_TEST

START_TEST(test_alloc_failure_load_dir)
{
    char dir[] = "/tmp/check_tmpl.XXXXXX";
    char sub[1100];
    int i, successes_in_a_row = 0;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sub, sizeof(sub), "%s/partials", dir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    write_file(dir, "page.html", page_src);
    write_file(dir, "partials/item.html", item_src);
    for (i = 0; successes_in_a_row < 20; i++) {
        struct tmpl_error err;
        struct tmpl_set *set;
        int rc = -1;

        ck_assert_int_lt(i, 10000);
        alloc_set_fail_after(i);
        set = tmpl_set_new();
        if (set != NULL) {
            rc = tmpl_set_load_dir(set, dir, &err);
        }
        alloc_set_fail_after(-1);
        if (rc == 0) {
            ck_assert_int_eq(tmpl_set_has(set, "page"), 1);
            ck_assert_int_eq(tmpl_set_has(set, "partials/item"), 1);
            successes_in_a_row++;
        } else {
            successes_in_a_row = 0;
        }
        tmpl_set_free(set);
    }
    remove_file(dir, "page.html");
    remove_file(dir, "partials/item.html");
    rmdir(sub);
    rmdir(dir);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Compile errors                                                     */

START_TEST(test_raw_refused)
{
    expect_refused("<html>\n<head>\n<title>{{{title}}}</title>\n", 3, "title");
    expect_refused("a\n{{&title}}", 2, "title");
    expect_refused("{{{.}}}", 1, "'.'");
    expect_refused("{{{body_html.text}}}", 1, "body_html.text");
    expect_refused("{{{html}}}", 1, "html");
    expect_refused("{{{x_htmlx}}}", 1, "x_htmlx");
}
END_TEST

START_TEST(test_unclosed_section)
{
    expect_refused("a\n{{#items}}\nb\n", 2, "unclosed section {{#items}}");
    expect_refused("{{#a}}{{^b}}\n{{/b}}", 1, "{{#a}}");
}
END_TEST

START_TEST(test_mismatched_close)
{
    expect_refused("{{#a}}\n\n{{/b}}\n", 3, "opened at line 1");
    expect_refused("x\n{{/a}}", 2, "{{/a}}");
}
END_TEST

START_TEST(test_unclosed_tag)
{
    expect_refused("x\ny {{name\n\n", 2, "unclosed tag");
    expect_refused("{{{body_html}}", 1, "unclosed tag");
    expect_refused("{{! never ends", 1, "unclosed tag");
    expect_refused("abc {{", 1, "unclosed tag");
}
END_TEST

START_TEST(test_unsupported_tags)
{
    expect_refused("a\n{{=<% %>=}}\n", 2, "set-delimiter");
    expect_refused("{{<parent}}{{/parent}}", 1, "inheritance");
    expect_refused("{{$block}}{{/block}}", 1, "inheritance");
}
END_TEST

START_TEST(test_bad_names)
{
    expect_refused("{{}}", 1, "invalid tag name");
    expect_refused("{{a b}}", 1, "invalid tag name");
    expect_refused("{{a..b}}", 1, "invalid tag name");
    expect_refused("{{.a}}", 1, "invalid tag name");
    expect_refused("{{a.}}", 1, "invalid tag name");
    expect_refused("{{#}}{{/}}", 1, "invalid tag name");
    expect_refused("{{> }}", 1, "invalid partial name");
    expect_refused("{{>a b}}", 1, "invalid partial name");
}
END_TEST

static Suite *
tmpl_suite(void)
{
    Suite *s = suite_create("tmpl");
    TCase *core = tcase_create("core");
    TCase *limits = tcase_create("limits");
    TCase *errors = tcase_create("errors");

    tcase_add_test(core, test_spec);
    tcase_add_test(core, test_escape);
    tcase_add_test(core, test_raw_html);
    tcase_add_test(core, test_values);
    tcase_add_test(core, test_partial_indent);
    tcase_add_test(core, test_nested_indent);
    tcase_add_test(core, test_missing_and_unknown);
    tcase_add_test(core, test_duplicate);
    tcase_add_test(core, test_build_id);
    tcase_add_test(core, test_load_dir);
    tcase_add_test(core, test_threads);
    suite_add_tcase(s, core);

    tcase_add_test(limits, test_recursive_partial);
    tcase_add_test(limits, test_nesting_limit);
    tcase_add_test(limits, test_alloc_failure);
    tcase_add_test(limits, test_alloc_failure_load_dir);
    tcase_set_timeout(limits, 60);
    suite_add_tcase(s, limits);

    tcase_add_test(errors, test_raw_refused);
    tcase_add_test(errors, test_unclosed_section);
    tcase_add_test(errors, test_mismatched_close);
    tcase_add_test(errors, test_unclosed_tag);
    tcase_add_test(errors, test_unsupported_tags);
    tcase_add_test(errors, test_bad_names);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(tmpl_suite());
}
