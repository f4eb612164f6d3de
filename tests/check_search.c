/*
 * check_search: tests for lib/search.c and server/page_search.c.  A temp
 * database gets the real migrations and a fixture of English and Korean
 * documents (published, pending, withdrawn) written straight into
 * document, section and section_fts (tests/testdb.c); searches run on a
 * DB_READONLY reader as in the server, and the pages through
 * router_dispatch() on requests built in memory (tests/pagefix.c, no
 * socket).  Layer: tests/; depends on lib/, server/
 * (router, routes and every page for linking), Check and jansson, and on
 * $KW_SRCDIR (migrations, templates) and $KW_TEST_DATA (blns.json).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "checkmain.h"
#include "docindex.h"
#include "html.h"
#include "impact.h"
#include "pagefix.h"
#include "pages.h"
#include "query.h"
#include "rank.h"
#include "router.h"
#include "search.h"
#include "searchcache.h"
#include "searchcat.h"
#include "searchlog.h"
#include "snippet.h"
#include "tokenizer.h"
#include "strbuf.h"

static struct db *wdb, *rdb;

/* ---- fixture ---- */

/* Unix seconds of the publication dates used below. */
#define T2021 1625097600LL  /* 2021-07-01 */
#define T2022 1646092800LL  /* 2022-03-01 */
#define T2023 1682899200LL  /* 2023-05-01 */
#define T2023E 1704067199LL /* 2023-12-31 23:59:59 */
#define T2024A 1704067200LL /* 2024-01-01 00:00:00 */
#define T2024 1707523200LL  /* 2024-02-10 */

/* Document ids of the fixture, in insertion order. */
enum {
    D_WAL = 1,
    D_FTS,
    D_DATABASE,
    D_SYSTEMS,
    D_KODB,
    D_KOIMG,
    D_SECRET,
    D_OLD,
    D_BTREE,
    D_HASH,
    D_NOTE1 /* 25 notes follow */
};
#define N_NOTES 25

static void
fixture(void)
{
    sqlite3_int64 sq, ko, misc, d;
    char path[64], title[64];
    int i;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    sq = testdb_add_collection(wdb, "sqlite", "SQLite Manual", "en");
    ko = testdb_add_collection(wdb, "kor", "한국어 자료", "ko");
    misc = testdb_add_collection(wdb, "misc", "Misc & <Notes>", NULL);

    d = testdb_add_document(wdb, sq, "wal.html", "Write-Ahead Logging", "en",
                            "published", T2023);
    testdb_add_section(
        wdb, d, 0, NULL, "Write-Ahead Logging", "",
        "The WAL journal mode keeps storage safe; a checkpoint runs "
        "later.");
    testdb_add_section(
        wdb, d, 1, "ckpt", "", "Checkpointing",
        "A checkpoint moves pages from the WAL file back into the "
        "database file.");
    d = testdb_add_document(wdb, sq, "fts5 ext.html", "SQLite FTS5 Extension",
                            "en", "published", T2024);
    testdb_add_section(
        wdb, d, 0, NULL, "SQLite FTS5 Extension", "",
        "Full-text search with the fts5 module keeps storage for an "
        "inverted index.");
    testdb_add_section(
        wdb, d, 1, "hostile", "", "Tokenizer <notes>",
        "<script>alert(\"x\")</script> 'quote' & ampersand tokenizer");
    testdb_add_section(
        wdb, d, 2, "stray", "", "Markers",
        "stray \x01 marker byte then zzmarker and \x02 and \x01 end");
    testdb_add_simple(wdb, sq, "database.html", "Database", "en", "published",
                      T2023E, "A short page about one database.");
    testdb_add_simple(
        wdb, sq, "systems.html", "Database Systems and Database Engines", "en",
        "published", T2024A,
        "database database database engines, database everywhere");
    testdb_add_simple(
        wdb, ko, "db.html", "데이터베이스 개론", "ko", "published", T2022,
        "데이터베이스는 자료를 체계적으로 저장합니다. 이미지를 저장할 "
        "수도 있습니다. storage");
    testdb_add_simple(wdb, ko, "img.html", "이미지 처리", "ko", "published",
                      T2023, "이미지에서 특징을 추출합니다.");
    testdb_add_simple(wdb, ko, "secret.html", "비밀 데이터베이스", "ko",
                      "pending", -1,
                      "secret database storage 이미지 zebra 데이터베이스");
    testdb_add_simple(wdb, ko, "old.html", "Withdrawn storage", "ko",
                      "withdrawn", T2021, "storage zebra withdrawnword");
    testdb_add_simple(wdb, misc, "btree.html", "Indexes", NULL, "published",
                      T2021, "btree index structure");
    testdb_add_simple(wdb, misc, "hash.html", "Hash Tables", NULL, "published",
                      T2021, "hash index structure");
    for (i = 1; i <= N_NOTES; i++) {
        snprintf(path, sizeof(path), "note-%d.html", i);
        snprintf(title, sizeof(title), "Note %d", i);
        testdb_add_simple(wdb, misc, path, title, "en", "published", T2021,
                          "zebra crossing note");
    }
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_reindex(wdb);
}

static void
setup(void)
{
    pagefix_setup();
    wdb = pf_wdb;
    rdb = pf_rdb;
    fixture();
}

/* ---- helpers ---- */

/* Search with the given parameters; asserts success.  New model. */
static json_t *
run(const char *q, const char *c, const char *lang, int year, int page,
    int per_page)
{
    struct search_params p = {q, c, lang, year, page, per_page, 0};
    json_t *m = NULL;

    testdb_reindex(wdb);
    ck_assert_int_eq(search_run(rdb, &p, "", &m), 0);
    ck_assert_ptr_nonnull(m);
    return m;
}

static json_t *
run_q(const char *q)
{
    return run(q, NULL, NULL, 0, 1, 0);
}

/* The first page of q in collection c; asserts that it answered in mode
 * ("all", or "any" for the fallback). */
static json_t *
run_mode(const char *q, const char *c, const char *mode)
{
    json_t *m = run(q, c, NULL, 0, 1, 0);
    const char *got = json_string_value(json_object_get(m, "mode"));

    ck_assert_msg(got != NULL && strcmp(got, mode) == 0,
                  "\"%s\": mode %s, not %s", q, got != NULL ? got : "(none)",
                  mode);
    return m;
}

static long long
total(const json_t *m)
{
    return json_integer_value(json_object_get(m, "total"));
}

static json_t *
results(const json_t *m)
{
    return json_object_get(m, "results");
}

/* The i-th result's field as a string (borrowed). */
static const char *
rfield(const json_t *m, size_t i, const char *key)
{
    return json_string_value(
        json_object_get(json_array_get(results(m), i), key));
}

static long long
rid(const json_t *m, size_t i)
{
    return json_integer_value(
        json_object_get(json_array_get(results(m), i), "id"));
}

/* Position of document id among the results of m, or -1. */
static int
pos_of(const json_t *m, long long id)
{
    size_t i;

    for (i = 0; i < json_array_size(results(m)); i++) {
        if (rid(m, i) == id) {
            return (int)i;
        }
    }
    return -1;
}

/* 1 when document id is among the results. */
static int
has_doc(const json_t *m, long long id)
{
    return pos_of(m, id) >= 0;
}

/* The count of the facet entry whose `key` is the string or integer
 * `want`, or -1. */
static long long
facet_count(const json_t *m, const char *facet, const char *key,
            const char *want, long long iwant)
{
    json_t *e;
    size_t i;

    json_array_foreach(json_object_get(json_object_get(m, "facets"), facet), i,
                       e)
    {
        json_t *v = json_object_get(e, key);

        if ((want != NULL && json_is_string(v) &&
             strcmp(json_string_value(v), want) == 0) ||
            (want == NULL && json_is_integer(v) &&
             json_integer_value(v) == iwant)) {
            return json_integer_value(json_object_get(e, "count"));
        }
    }
    return -1;
}

static size_t
count_str(const char *s, const char *needle)
{
    size_t n = 0;

    while ((s = strstr(s, needle)) != NULL) {
        n++;
        s += strlen(needle);
    }
    return n;
}

/* ---- core ---- */

START_TEST(test_common_term)
{
    json_t *m = run_q("checkpoint");

    ck_assert_int_eq(total(m), 1);
    ck_assert_int_eq(rid(m, 0), D_WAL);
    ck_assert_str_eq(rfield(m, 0, "collection"), "sqlite");
    ck_assert_str_eq(rfield(m, 0, "path"), "wal.html");
    ck_assert_str_eq(rfield(m, 0, "title"), "Write-Ahead Logging");
    ck_assert_str_eq(rfield(m, 0, "language"), "en");
    /* the best section is the one with the heading and the anchor */
    ck_assert_str_eq(rfield(m, 0, "url"), "/c/sqlite/wal.html#ckpt");
    ck_assert_int_eq(json_integer_value(json_object_get(
                         json_array_get(results(m), 0), "published_at")),
                     T2023);
    ck_assert_str_eq(json_string_value(json_object_get(m, "query")),
                     "checkpoint");
    ck_assert_int_eq(json_integer_value(json_object_get(m, "page")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "per_page")),
                     SEARCH_PER_PAGE);
    json_decref(m);

    /* several sections of one document give one result */
    m = run_q("storage");
    ck_assert_int_eq(total(m), 3);
    ck_assert(has_doc(m, D_WAL) && has_doc(m, D_FTS) && has_doc(m, D_KODB));
    ck_assert_uint_eq(json_array_size(results(m)), 3);
    json_decref(m);

    /* the path is percent-encoded, the base prefixed */
    {
        struct search_params p = {"inverted", NULL, NULL, 0, 1, 0, 0};

        ck_assert_int_eq(search_run(rdb, &p, "/kw", &m), 0);
        ck_assert_str_eq(rfield(m, 0, "url"), "/kw/c/sqlite/fts5%20ext.html");
        json_decref(m);
    }
}
END_TEST

START_TEST(test_unpublished_hidden)
{
    json_t *m = run_q("secret");

    ck_assert_int_eq(total(m), 0);
    ck_assert_uint_eq(json_array_size(results(m)), 0);
    json_decref(m);
    m = run_q("withdrawnword");
    ck_assert_int_eq(total(m), 0);
    json_decref(m);
    m = run_q("database");
    ck_assert(!has_doc(m, D_SECRET));
    ck_assert_int_eq(facet_count(m, "languages", "code", "ko", 0), -1);
    json_decref(m);
    m = run_q("zebra");
    ck_assert_int_eq(total(m), N_NOTES);
    ck_assert_int_eq(facet_count(m, "collections", "name", "kor", 0), -1);
    json_decref(m);
}
END_TEST

START_TEST(test_korean)
{
    json_t *m;
    const char *snip;

    /* a word inside another: 베이스 in 데이터베이스 */
    m = run_q("베이스");
    ck_assert_int_eq(total(m), 1);
    ck_assert_int_eq(rid(m, 0), D_KODB);
    json_decref(m);

    /* a noun with a particle attached: 이미지 finds 이미지를, 이미지에서 */
    m = run_q("이미지");
    ck_assert_int_eq(total(m), 2);
    ck_assert(has_doc(m, D_KODB) && has_doc(m, D_KOIMG));
    /* the particle stays outside the highlight */
    snip = rfield(m, rid(m, 0) == D_KODB ? 0 : 1, "snippet_html");
    ck_assert_msg(strstr(snip, "<mark>이미지</mark>를") != NULL, "%s", snip);
    json_decref(m);

    /* one syllable matches the unigram */
    m = run_q("론");
    ck_assert(has_doc(m, D_KODB));
    json_decref(m);

    /* the exact Korean title first */
    m = run_q("데이터베이스 개론");
    ck_assert_int_ge(total(m), 1);
    ck_assert_int_eq(rid(m, 0), D_KODB);
    ck_assert_str_eq(rfield(m, 0, "url"), "/c/kor/db.html");
    json_decref(m);
}
END_TEST

START_TEST(test_exact_title_first)
{
    sqlite3_stmt *st;
    double s_database = 0, s_systems = 0;
    json_t *m;

    /* By bm25 alone "Database Systems and Database Engines" beats
     * "Database"; the exact normalised title must still come first. */
    ck_assert_int_eq(
        sqlite3_prepare_v2(db_handle(rdb),
                           "SELECT s.document_id,"
                           " bm25(section_fts, 10.0, 4.0, 1.0)"
                           " FROM section_fts JOIN section s"
                           " ON s.id = section_fts.rowid"
                           " WHERE section_fts MATCH '\"database\"'",
                           -1, &st, NULL),
        SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_int64(st, 0) == D_DATABASE) {
            s_database = sqlite3_column_double(st, 1);
        } else if (sqlite3_column_int64(st, 0) == D_SYSTEMS) {
            s_systems = sqlite3_column_double(st, 1);
        }
    }
    sqlite3_finalize(st);
    ck_assert(s_systems < s_database); /* lower is better */

    m = run_q("database");
    ck_assert_int_eq(total(m), 3); /* wal, database, systems */
    ck_assert_int_eq(rid(m, 0), D_DATABASE);
    ck_assert_int_eq(rid(m, 1), D_SYSTEMS);
    json_decref(m);
    /* case and surrounding space do not matter, syntax is ignored */
    m = run_q("  DATABASE ");
    ck_assert_int_eq(rid(m, 0), D_DATABASE);
    json_decref(m);
    m = run_q("\"database\" -nothinghere");
    ck_assert_int_eq(rid(m, 0), D_DATABASE);
    json_decref(m);
    /* punctuation inside the title is kept by both sides */
    m = run_q("write-ahead logging");
    ck_assert_int_eq(rid(m, 0), D_WAL);
    json_decref(m);
}
END_TEST

START_TEST(test_syntax)
{
    json_t *m = run_q("\"moves pages\"");

    ck_assert_int_eq(total(m), 1);
    ck_assert_str_eq(rfield(m, 0, "url"), "/c/sqlite/wal.html#ckpt");
    json_decref(m);
    m = run_q("\"pages moves\"");
    ck_assert_int_eq(total(m), 0);
    json_decref(m);

    m = run_q("index");
    ck_assert_int_eq(total(m), 3);
    ck_assert(has_doc(m, D_HASH));
    json_decref(m);
    m = run_q("index -hash");
    ck_assert_int_eq(total(m), 2);
    ck_assert(has_doc(m, D_BTREE) && has_doc(m, D_FTS) && !has_doc(m, D_HASH));
    json_decref(m);
    /* only exclusions: an option pasted from a command line, looked for
     * as the word */
    m = run_q("-index");
    ck_assert_int_eq(total(m), 3);
    ck_assert(has_doc(m, D_HASH));
    json_decref(m);

    m = run_q("checkpo*");
    ck_assert_int_eq(total(m), 1);
    ck_assert_int_eq(rid(m, 0), D_WAL);
    json_decref(m);
    m = run_q("checkpo");
    ck_assert_int_eq(total(m), 0);
    json_decref(m);

    /* FTS5 operators are text: no document holds all six words, so the
     * answer is the fallback's, led by documents with "index" */
    m = run_q("index AND NOT (hash) OR NEAR:x");
    ck_assert_str_eq(json_string_value(json_object_get(m, "mode")), "any");
    ck_assert_int_eq(json_integer_value(json_object_get(m, "all_total")), 0);
    ck_assert(has_doc(m, D_HASH));
    json_decref(m);
}
END_TEST

START_TEST(test_filters_facets)
{
    json_t *m = run_q("storage");

    ck_assert_int_eq(facet_count(m, "collections", "name", "sqlite", 0), 2);
    ck_assert_int_eq(facet_count(m, "collections", "name", "kor", 0), 1);
    ck_assert_int_eq(facet_count(m, "languages", "code", "en", 0), 2);
    ck_assert_int_eq(facet_count(m, "languages", "code", "ko", 0), 1);
    ck_assert_int_eq(facet_count(m, "years", "year", NULL, 2024), 1);
    ck_assert_int_eq(facet_count(m, "years", "year", NULL, 2023), 1);
    ck_assert_int_eq(facet_count(m, "years", "year", NULL, 2022), 1);
    /* collections carry their titles; years come newest first */
    {
        json_t *f = json_object_get(m, "facets");
        json_t *c0 = json_array_get(json_object_get(f, "collections"), 0);
        json_t *y = json_object_get(f, "years");

        ck_assert_str_eq(json_string_value(json_object_get(c0, "title")),
                         "SQLite Manual");
        ck_assert_int_eq(
            json_integer_value(json_object_get(json_array_get(y, 0), "year")),
            2024);
    }
    json_decref(m);

    m = run("storage", "kor", NULL, 0, 1, 0);
    ck_assert_int_eq(total(m), 1);
    ck_assert_int_eq(rid(m, 0), D_KODB);
    json_decref(m);
    m = run("storage", NULL, "en", 0, 1, 0);
    ck_assert_int_eq(total(m), 2);
    ck_assert(!has_doc(m, D_KODB));
    json_decref(m);
    m = run("storage", NULL, NULL, 2023, 1, 0);
    ck_assert_int_eq(total(m), 1);
    ck_assert_int_eq(rid(m, 0), D_WAL);
    json_decref(m);
    m = run("storage", "sqlite", "en", 2024, 1, 0);
    ck_assert_int_eq(total(m), 1);
    ck_assert_int_eq(rid(m, 0), D_FTS);
    json_decref(m);
    m = run("storage", "nosuch", NULL, 0, 1, 0);
    ck_assert_int_eq(total(m), 0);
    json_decref(m);
    /* empty strings mean no filter */
    m = run("storage", "", "", 0, 1, 0);
    ck_assert_int_eq(total(m), 3);
    json_decref(m);

    /* years are UTC calendar years: 23:59:59 on Dec 31st is 2023 */
    m = run("database", NULL, NULL, 2023, 1, 0);
    ck_assert(has_doc(m, D_DATABASE) && !has_doc(m, D_SYSTEMS));
    json_decref(m);
    m = run("database", NULL, NULL, 2024, 1, 0);
    ck_assert(!has_doc(m, D_DATABASE) && has_doc(m, D_SYSTEMS));
    json_decref(m);

    /* documents without a language are counted but not faceted */
    m = run_q("index");
    ck_assert_int_eq(facet_count(m, "languages", "code", "en", 0), 1);
    ck_assert_int_eq(facet_count(m, "collections", "name", "misc", 0), 2);
    ck_assert_int_eq(facet_count(m, "years", "year", NULL, 2021), 2);
    json_decref(m);
}
END_TEST

START_TEST(test_pagination)
{
    json_t *p1 = run("zebra", NULL, NULL, 0, 1, 0);
    json_t *p2 = run("zebra", NULL, NULL, 0, 2, 0);
    json_t *m;
    size_t i, k;

    ck_assert_int_eq(total(p1), N_NOTES);
    ck_assert_int_eq(total(p2), N_NOTES);
    ck_assert_uint_eq(json_array_size(results(p1)), SEARCH_PER_PAGE);
    ck_assert_uint_eq(json_array_size(results(p2)), N_NOTES - SEARCH_PER_PAGE);
    for (i = 0; i < json_array_size(results(p1)); i++) {
        for (k = 0; k < json_array_size(results(p2)); k++) {
            ck_assert_int_ne(rid(p1, i), rid(p2, k));
        }
    }
    /* page 2 continues page 1 in one stable order */
    m = run("zebra", NULL, NULL, 0, 1, 50);
    ck_assert_uint_eq(json_array_size(results(m)), N_NOTES);
    for (i = 0; i < (size_t)N_NOTES; i++) {
        ck_assert_int_eq(rid(m, i), i < SEARCH_PER_PAGE
                                        ? rid(p1, i)
                                        : rid(p2, i - SEARCH_PER_PAGE));
    }
    /* small pages (the best k picked from many, not a full sort) agree
     * with that order too */
    for (k = 1; k <= 4; k++) {
        int page;

        for (page = 1; (size_t)(page - 1) * k < (size_t)N_NOTES; page++) {
            json_t *pk = run("zebra", NULL, NULL, 0, page, (int)k);

            for (i = 0; i < json_array_size(results(pk)); i++) {
                ck_assert_int_eq(rid(pk, i),
                                 rid(m, (size_t)(page - 1) * k + i));
            }
            json_decref(pk);
        }
    }
    json_decref(m);
    json_decref(p1);
    json_decref(p2);

    m = run("zebra", NULL, NULL, 0, 3, 10);
    ck_assert_uint_eq(json_array_size(results(m)), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "per_page")), 10);
    json_decref(m);
    /* past the last page: no rows, the same total */
    m = run("zebra", NULL, NULL, 0, 4, 10);
    ck_assert_uint_eq(json_array_size(results(m)), 0);
    ck_assert_int_eq(total(m), N_NOTES);
    json_decref(m);
}
END_TEST

START_TEST(test_snippets)
{
    json_t *m = run_q("tokenizer");
    const char *s;

    ck_assert_int_eq(total(m), 1);
    ck_assert_str_eq(rfield(m, 0, "url"), "/c/sqlite/fts5%20ext.html#hostile");
    s = rfield(m, 0, "snippet_html");
    ck_assert_msg(strstr(s, "<mark>tokenizer</mark>") != NULL, "%s", s);
    ck_assert_msg(strstr(s, "&lt;script&gt;") != NULL, "%s", s);
    ck_assert_ptr_null(strstr(s, "<script"));
    ck_assert_ptr_null(strstr(s, "\"x\""));
    ck_assert_ptr_null(strstr(s, "'quote'"));
    ck_assert_ptr_null(strstr(s, "& "));
    ck_assert_ptr_nonnull(strstr(s, "&amp; ampersand"));
    json_decref(m);

    /* marker bytes in the text itself cannot unbalance the tags */
    m = run_q("zzmarker");
    s = rfield(m, 0, "snippet_html");
    ck_assert_msg(strstr(s, "zzmarker</mark>") != NULL, "%s", s);
    ck_assert_uint_eq(count_str(s, "<mark>"), count_str(s, "</mark>"));
    ck_assert_ptr_null(strchr(s, '\x01'));
    ck_assert_ptr_null(strchr(s, '\x02'));
    json_decref(m);

    /* a hit in the title only: the body's start, nothing marked */
    m = run_q("logging");
    s = rfield(m, 0, "snippet_html");
    ck_assert_ptr_nonnull(s);
    ck_assert_ptr_nonnull(strstr(s, "The WAL journal"));
    json_decref(m);
}
END_TEST

/* The plan of the statements rdb has prepared whose SQL holds `sql_has`
 * (testdb_plans): there is one, it holds `want`, and no temporary B-tree
 * (a sort). */
static void
assert_plan(const char *sql_has, const char *want)
{
    char plan[4096];

    ck_assert_msg(testdb_plans(rdb, sql_has, plan, sizeof(plan)) > 0,
                  "no statement with %s", sql_has);
    ck_assert_msg(strstr(plan, want) != NULL, "plan of '%s' without '%s': %s",
                  sql_has, want, plan);
    ck_assert_msg(strstr(plan, "TEMP B-TREE") == NULL, "%s", plan);
}

START_TEST(test_suggest)
{
    json_t *a;

    ck_assert_int_eq(search_suggest(rdb, "write", "", &a), 0);
    ck_assert_uint_eq(json_array_size(a), 1);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(a, 0), "title")),
        "Write-Ahead Logging");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(a, 0), "url")),
        "/c/sqlite/wal.html");
    ck_assert_uint_eq(json_object_size(json_array_get(a, 0)), 2);
    json_decref(a);
    ck_assert_int_eq(search_suggest(rdb, "  WRITE-AH", "/kw", &a), 0);
    ck_assert_uint_eq(json_array_size(a), 1);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(a, 0), "url")),
        "/kw/c/sqlite/wal.html");
    json_decref(a);

    /* Hangul prefixes: 데이터 and a lone syllable */
    ck_assert_int_eq(search_suggest(rdb, "데이터", "", &a), 0);
    ck_assert_uint_eq(json_array_size(a), 1);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(a, 0), "title")),
        "데이터베이스 개론");
    json_decref(a);
    ck_assert_int_eq(search_suggest(rdb, "이", "", &a), 0);
    ck_assert_uint_eq(json_array_size(a), 1);
    json_decref(a);

    /* only published titles */
    ck_assert_int_eq(search_suggest(rdb, "비밀", "", &a), 0);
    ck_assert_uint_eq(json_array_size(a), 0);
    json_decref(a);
    ck_assert_int_eq(search_suggest(rdb, "withdrawn", "", &a), 0);
    ck_assert_uint_eq(json_array_size(a), 0);
    json_decref(a);

    /* at most ten, in title order */
    ck_assert_int_eq(search_suggest(rdb, "note", "", &a), 0);
    ck_assert_uint_eq(json_array_size(a), SEARCH_SUGGEST_MAX);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(a, 0), "title")),
        "Note 1");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(a, 1), "title")),
        "Note 10");
    json_decref(a);

    ck_assert_int_eq(search_suggest(rdb, "", "", &a), 0);
    ck_assert_uint_eq(json_array_size(a), 0);
    json_decref(a);
    ck_assert_int_eq(search_suggest(rdb, NULL, "", &a), 0);
    ck_assert_uint_eq(json_array_size(a), 0);
    json_decref(a);

    /* the statement search_suggest prepared is a range scan on the
     * partial index of published titles */
    assert_plan("title_norm >= :p", "USING INDEX document_title_norm "
                                    "(title_norm>? AND title_norm<?)");
}
END_TEST

/* The search catalog reads each published document from a covering index,
 * not from the table, whose rows hold the bodies (a cold start at a million
 * documents read the whole table: 52 s); its sections likewise. */
START_TEST(test_catalog_plan)
{
    struct searchcat *cat = NULL;
    int64_t gen;

    ck_assert_int_eq(db_read_begin(rdb), SQLITE_OK);
    ck_assert_int_eq(search_generation(rdb, &gen), 0);
    ck_assert_int_eq(searchcat_build(rdb, gen, &cat), 0);
    ck_assert_ptr_nonnull(cat);
    searchcat_unref(cat);
    db_read_end(rdb);
    assert_plan("INDEXED BY document_catalog",
                "USING COVERING INDEX document_catalog (status=?)");
    assert_plan("INDEXED BY section_catalog",
                "USING COVERING INDEX section_catalog");
}
END_TEST

/* ---- limits ---- */

/* Chunks cover the text exactly, stay within SEARCH_CHUNK_BYTES, prefer
 * newlines, then spaces, and never split a UTF-8 sequence. */
START_TEST(test_chunks)
{
    static const char *const fill[] = {"line of words\n", "word ",
                                       "\xed\x95\x9c\xea\xb8\x80", "x"};
    size_t f;

    ck_assert_uint_eq(search_chunk_len("", 0), 0);
    ck_assert_uint_eq(search_chunk_len("short", 5), 5);
    for (f = 0; f < sizeof(fill) / sizeof(fill[0]); f++) {
        struct strbuf sb = STRBUF_INIT;
        size_t off = 0, k, pieces = 0;
        const char *s;

        while (sb.len < 3 * SEARCH_CHUNK_BYTES + 100) {
            strbuf_puts(&sb, fill[f]);
        }
        s = strbuf_peek(&sb);
        while (off < sb.len) {
            k = search_chunk_len(s + off, sb.len - off);
            ck_assert_uint_gt(k, 0);
            ck_assert_uint_le(k, SEARCH_CHUNK_BYTES);
            ck_assert(utf8_valid(s + off, k));
            if (off + k < sb.len && f == 0) {
                ck_assert_int_eq(s[off + k - 1], '\n');
            } else if (off + k < sb.len && f == 1) {
                ck_assert_int_eq(s[off + k - 1], ' ');
            }
            off += k;
            pieces++;
        }
        ck_assert_uint_eq(off, sb.len);
        ck_assert_uint_ge(pieces, 4);
        strbuf_free(&sb);
    }
}
END_TEST

/* ---- result cache ---- */

/* Run SQL on the writer in a write transaction. */
static void
write_sql(const char *sql)
{
    testdb_write(wdb, sql);
    testdb_reindex(wdb);
}

/* Search q through cache c; *hit tells where the answer came from. */
static json_t *
cached_q(struct searchcache *c, const char *q, int page, int *hit)
{
    struct search_params p = {q, NULL, NULL, 0, page, 0, 0};
    json_t *m = NULL;

    ck_assert_int_eq(searchcache_run(c, rdb, &p, "", &m, hit), 0);
    ck_assert_ptr_nonnull(m);
    return m;
}

/* A repeat is a hit with the same model; the caller's copy is its own; a
 * publication, a withdrawal or a retitle is seen at once, a new pending
 * document changes nothing. */
START_TEST(test_cache_generation)
{
    struct searchcache *c = searchcache_new(1 << 20);
    struct searchcache_stats st;
    json_t *a, *b, *plain;
    int hit;

    ck_assert_ptr_nonnull(c);
    /* the catalog built up front serves the first search */
    ck_assert_int_eq(searchcache_prepare(c, rdb), 0);
    searchcache_stats(c, &st);
    ck_assert_uint_eq(st.catalogs, 1);
    a = cached_q(c, "secret", 1, &hit);
    ck_assert_int_eq(hit, 0);
    searchcache_stats(c, &st);
    ck_assert_uint_eq(st.catalogs, 1);
    ck_assert_int_eq(total(a), 0);
    b = cached_q(c, "secret", 1, &hit);
    ck_assert_int_eq(hit, 1);
    ck_assert(json_equal(a, b));
    /* the caller may change its copy */
    json_object_set_new(b, "scribble", json_true());
    json_decref(b);
    b = cached_q(c, "secret", 1, &hit);
    ck_assert_int_eq(hit, 1);
    ck_assert_ptr_null(json_object_get(b, "scribble"));
    json_decref(a);
    json_decref(b);

    /* a new pending version changes nothing search shows (nor the index:
     * no rebuild, which would move the generation) */
    testdb_write(wdb, "UPDATE document SET title = 'Secret draft' WHERE path ="
                      " 'secret.html'");
    b = cached_q(c, "secret", 1, &hit);
    ck_assert_int_eq(hit, 1);
    json_decref(b);

    /* publishing it does, and the cache follows */
    write_sql("UPDATE document SET status = 'published' WHERE path ="
              " 'secret.html'");
    b = cached_q(c, "secret", 1, &hit);
    ck_assert_int_eq(hit, 0);
    ck_assert_int_eq(total(b), 1);
    ck_assert_int_eq(rid(b, 0), D_SECRET);
    json_decref(b);
    b = cached_q(c, "secret", 1, &hit);
    ck_assert_int_eq(hit, 1);
    json_decref(b);

    /* a published title change too; the answer equals a plain search */
    write_sql("UPDATE document SET title = 'Renamed' WHERE path ="
              " 'secret.html'");
    b = cached_q(c, "secret", 1, &hit);
    ck_assert_int_eq(hit, 0);
    ck_assert_str_eq(rfield(b, 0, "title"), "Renamed");
    plain = run_q("secret");
    ck_assert(json_equal(b, plain));
    json_decref(plain);
    json_decref(b);

    /* and a withdrawal */
    write_sql("UPDATE document SET status = 'withdrawn' WHERE path ="
              " 'secret.html'");
    b = cached_q(c, "secret", 1, &hit);
    ck_assert_int_eq(hit, 0);
    ck_assert_int_eq(total(b), 0);
    json_decref(b);

    /* a collection retitled changes the facets */
    b = cached_q(c, "zebra", 1, &hit);
    json_decref(b);
    write_sql("UPDATE collection SET title = 'Other notes' WHERE name ="
              " 'misc'");
    b = cached_q(c, "zebra", 1, &hit);
    ck_assert_int_eq(hit, 0);
    json_decref(b);

    searchcache_stats(c, &st);
    ck_assert_uint_eq(st.hits, 4);
    ck_assert_uint_eq(st.misses, 6);
    ck_assert_uint_ge(st.drops, 4);
    ck_assert_uint_eq(st.entries, 1);
    /* one catalog per generation a search saw: start, publish, retitle,
     * withdraw, collection retitle */
    ck_assert_uint_eq(st.catalogs, 5);
    searchcache_free(c);
}
END_TEST

/* Entries are keyed by every parameter, the budget holds, the least
 * recently used go first; a budget of 0 and a database without the
 * counter mean no caching at all. */
START_TEST(test_cache_budget)
{
    struct searchcache *c = searchcache_new(60000), *off;
    struct searchcache_stats st;
    struct search_params p = {"zebra", "misc", NULL, 0, 1, 0, 0};
    json_t *m;
    int hit, page;

    ck_assert_ptr_nonnull(c);
    m = cached_q(c, "zebra", 1, &hit);
    json_decref(m);
    ck_assert_int_eq(searchcache_run(c, rdb, &p, "", &m, &hit), 0);
    ck_assert_int_eq(hit, 0); /* another filter, another entry */
    json_decref(m);
    p.per_page = 5;
    ck_assert_int_eq(searchcache_run(c, rdb, &p, "", &m, &hit), 0);
    ck_assert_int_eq(hit, 0);
    ck_assert_uint_eq(json_array_size(results(m)), 5);
    json_decref(m);
    ck_assert_int_eq(searchcache_run(c, rdb, &p, "/kw", &m, &hit), 0);
    ck_assert_int_eq(hit, 0); /* another base, other URLs */
    json_decref(m);

    /* one result per page: 25 entries of about 2.5 KB against 20 KB */
    searchcache_free(c);
    c = searchcache_new(20000);
    ck_assert_ptr_nonnull(c);
    p.collection = NULL;
    p.per_page = 1;
    for (page = 1; page <= N_NOTES; page++) {
        p.page = page;
        ck_assert_int_eq(searchcache_run(c, rdb, &p, "", &m, &hit), 0);
        ck_assert_int_eq(hit, 0);
        ck_assert_uint_eq(json_array_size(results(m)), 1);
        json_decref(m);
        searchcache_stats(c, &st);
        ck_assert_uint_le(st.bytes, 20000);
    }
    ck_assert_uint_gt(st.entries, 1);
    ck_assert_uint_lt(st.entries, N_NOTES);
    ck_assert_int_eq(searchcache_run(c, rdb, &p, "", &m, &hit), 0);
    ck_assert_int_eq(hit, 1); /* the newest stayed */
    json_decref(m);
    p.page = 1;
    ck_assert_int_eq(searchcache_run(c, rdb, &p, "", &m, &hit), 0);
    ck_assert_int_eq(hit, 0); /* the oldest went */
    json_decref(m);
    searchcache_free(c);

    off = searchcache_new(0);
    ck_assert_ptr_nonnull(off);
    m = cached_q(off, "zebra", 1, &hit);
    json_decref(m);
    m = cached_q(off, "zebra", 1, &hit);
    ck_assert_int_eq(hit, 0);
    json_decref(m);
    searchcache_free(off);
    /* no cache object at all is a plain search */
    m = cached_q(NULL, "zebra", 1, &hit);
    ck_assert_int_eq(hit, 0);
    ck_assert_int_eq(total(m), N_NOTES);
    json_decref(m);

    c = searchcache_new(1 << 20);
    write_sql("DELETE FROM setting WHERE key = 'search_generation'");
    m = cached_q(c, "zebra", 1, &hit);
    json_decref(m);
    m = cached_q(c, "zebra", 1, &hit);
    ck_assert_int_eq(hit, 0);
    ck_assert_int_eq(total(m), N_NOTES);
    json_decref(m);
    searchcache_free(c);
}
END_TEST

START_TEST(test_blns)
{
    const char *d = getenv("KW_TEST_DATA");
    char path[4096];
    json_error_t jerr;
    json_t *arr, *v, *m, *a;
    size_t i;

    snprintf(path, sizeof(path), "%s/blns.json", d ? d : "tests/data");
    arr = json_load_file(path, 0, &jerr);
    ck_assert_msg(arr != NULL, "%s: %s", path, jerr.text);
    json_array_foreach(arr, i, v)
    {
        struct search_params p = {json_string_value(v), NULL, NULL, 0, 1, 0, 0};
        const char *q;

        ck_assert_msg(search_run(rdb, &p, "", &m) == 0, "blns %zu: %s", i,
                      db_errmsg(rdb));
        q = json_string_value(json_object_get(m, "query"));
        ck_assert_ptr_nonnull(q);
        ck_assert(utf8_valid(q, strlen(q)));
        json_decref(m);
        ck_assert_msg(search_suggest(rdb, p.q, "", &a) == 0, "blns %zu", i);
        json_decref(a);
    }
    json_decref(arr);
}
END_TEST

START_TEST(test_bounds)
{
    char big[8192];
    const char *q;
    json_t *m;
    size_t i;

    /* a long query is cut at 256 bytes, on a character boundary */
    for (i = 0; i + 3 < sizeof(big); i += 3) {
        memcpy(big + i, "가", 3);
    }
    big[i] = '\0';
    big[100] = ' ';
    m = run_q(big + 1); /* starts mid-character */
    q = json_string_value(json_object_get(m, "query"));
    ck_assert_uint_le(strlen(q), QUERY_MAX_BYTES + 6);
    ck_assert(utf8_valid(q, strlen(q)));
    json_decref(m);

    /* invalid UTF-8 is echoed repaired */
    m = run_q("zebra \xff\xfe\xc3");
    ck_assert_int_eq(total(m), N_NOTES);
    ck_assert_str_eq(json_string_value(json_object_get(m, "query")),
                     "zebra \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    json_decref(m);

    /* page and per_page are clamped */
    m = run("zebra", NULL, NULL, 0, 100000, 1000);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "page")),
                     SEARCH_MAX_PAGE);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "per_page")),
                     SEARCH_MAX_PER_PAGE);
    ck_assert_uint_eq(json_array_size(results(m)), 0);
    json_decref(m);
    m = run("zebra", NULL, NULL, 0, -5, -5);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "page")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(m, "per_page")),
                     SEARCH_PER_PAGE);
    json_decref(m);
    /* an impossible year is no filter */
    m = run("zebra", NULL, NULL, 123456, 1, 0);
    ck_assert_int_eq(total(m), N_NOTES);
    json_decref(m);

    /* nothing searchable: zero results, no query run */
    m = run_q(NULL);
    ck_assert_int_eq(total(m), 0);
    ck_assert_str_eq(json_string_value(json_object_get(m, "query")), "");
    json_decref(m);
    m = run_q(":: () \"\" *");
    ck_assert_int_eq(total(m), 0);
    json_decref(m);
}
END_TEST

/* No cap on the match set: past the 20,000 matching sections the old
 * scan stopped at, total and facets count every document, and the first
 * page is the exhaustive ranking's (equal scores: lowest id first). */
START_TEST(test_match_unbounded)
{
    sqlite3_int64 c, d, first = 0;
    char path[64];
    int i, n = 20500;
    json_t *m;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    c = testdb_add_collection(wdb, "bulk", "Bulk", "en");
    for (i = 0; i < n; i++) {
        snprintf(path, sizeof(path), "b%d.html", i);
        d = testdb_add_document(wdb, c, path, path, "en", "published", T2024);
        testdb_add_section(
            wdb, d, 0, NULL, path, "",
            "quokka appears in every bulk section with some filler "
            "text to make the snippet work a little");
        if (i == 0) {
            first = d;
        }
    }
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    m = run_q("quokka");
    /* Every match ties (the same text): no bound can tell the impact
     * list's head from the rest, so every match was scored, and counted
     * (search.c, "Top k"). */
    ck_assert(json_object_get(m, "topk") == NULL);
    ck_assert_int_eq(total(m), n);
    ck_assert_int_eq(facet_count(m, "collections", "name", "bulk", 0), n);
    ck_assert_uint_eq(json_array_size(results(m)), SEARCH_PER_PAGE);
    ck_assert_int_eq(rid(m, 0), first);
    json_decref(m);
    /* a query that only the oldest document matches finds it first */
    m = run_q("quokka b0");
    ck_assert_int_eq(json_integer_value(json_object_get(m, "all_total")), 1);
    ck_assert_int_eq(rid(m, 0), first);
    json_decref(m);
}
END_TEST

/* The hub measure: the share of a page's text inside links, and the
 * factor it scales a score by. */
START_TEST(test_link_share)
{
    static const char prose[] =
        "<p>Plain text with <a href=\"x.html\">one link</a> in it.</p>";
    static const char hub[] =
        "<ul><li><a href=\"a.html\">alpha</a></li>"
        "<li><a class=\"k\" href='b.html'>beta &amp; gamma</a></li>"
        "<li><a href=\"c.html\"><code>delta</code></a>, x</li></ul>";

    ck_assert(rank_link_share("", 0) == 0.0);
    ck_assert(rank_link_share("<p></p>", 7) == 0.0);
    /* 7 of 25 characters */
    ck_assert_double_eq_tol(rank_link_share(prose, strlen(prose)), 7.0 / 25.0,
                            1e-9);
    /* alpha, beta & gamma, delta: 20 of 22 (", x" outside) */
    ck_assert_double_eq_tol(rank_link_share(hub, strlen(hub)), 20.0 / 22.0,
                            1e-9);
    /* an anchor without href is not a link; a '>' in a quoted value does
     * not end the tag */
    ck_assert(rank_link_share("<a name=\"n\">text</a>", 20) == 0.0);
    ck_assert_double_eq_tol(
        rank_link_share("<a title=\"a>b\" href=\"u\">ab</a>cd", 32), 0.5, 1e-9);
    ck_assert(rank_hub_factor(0.0) == 1.0);
    ck_assert(rank_hub_factor(RANK_HUB_FROM) == 1.0);
    ck_assert_double_eq_tol(rank_hub_factor(1.0), 1.0 - RANK_HUB_CUT, 1e-9);
    ck_assert(rank_hub_factor(0.9) < rank_hub_factor(0.7));
}
END_TEST

/* Definition terms: the text of each <dt>, as the heading column holds
 * it (rank_definition_terms). */
START_TEST(test_definition_terms)
{
    static const struct {
        const char *html, *want;
    } c[] = {
        {"", ""},
        {"<p>no terms</p><dl><dd>only a description</dd></dl>", ""},
        {"<dl><dt>alpha</dt><dd>x</dd><dt id=\"os.walk\"><code>os.</code>"
         "<code>walk</code>(<em>top</em>)</dt><dd>y</dd></dl>",
         "alpha\x1eos.walk(top)"},
        {"<dt>a &amp; b &lt;c&gt; &#39;d&#39; &quot;e&quot; &nbsp;</dt>",
         "a & b <c> 'd' \"e\" &nbsp;"},
        {"<dt>\n  multi \t line\n</dt>", "multi line"},
        {"<dtx>no</dtx><dd>no</dd><p>dt</p>", ""},
        {"<dl><dt>one<dd>its text<dt>two</dl><p>after</p>", "one\x1etwo"},
        {"<dt title=\"a>b\" class='c>d'>t</dt>", "t"},
        {"<DT>Up</DT>", "Up"},
        {"<dt> </dt><dt></dt><dt>x</dt>", "x"},
        {"<dt>a\x1e"
         "b</dt>",
         "a b"},
        {"<dl><dt>open at the end", "open at the end"},
    };
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        strbuf_reset(&sb);
        ck_assert_int_eq(
            rank_definition_terms(c[i].html, strlen(c[i].html), &sb), 0);
        ck_assert_msg(strcmp(strbuf_peek(&sb), c[i].want) == 0,
                      "case %zu: got \"%s\"", i, strbuf_peek(&sb));
    }
    /* A term longer than RANK_TERMS_MAX is left out, and so is the rest. */
    {
        struct strbuf in = STRBUF_INIT;

        strbuf_puts(&in, "<dt>");
        for (i = 0; i < RANK_TERMS_MAX + 10; i++) {
            strbuf_putc(&in, 'x');
        }
        strbuf_puts(&in, "</dt><dt>after</dt>");
        strbuf_reset(&sb);
        ck_assert_int_eq(rank_definition_terms(strbuf_peek(&in), in.len, &sb),
                         0);
        ck_assert_uint_eq(sb.len, 0);
        strbuf_free(&in);
    }
    /* 1,000 terms of 99 bytes: whole terms up to RANK_TERMS_MAX. */
    {
        struct strbuf in = STRBUF_INIT;
        const char *p;
        size_t n = 0;

        for (i = 0; i < 1000; i++) {
            strbuf_printf(&in, "<dt>%099zu</dt>", i);
        }
        strbuf_reset(&sb);
        ck_assert_int_eq(rank_definition_terms(strbuf_peek(&in), in.len, &sb),
                         0);
        ck_assert_uint_le(sb.len, RANK_TERMS_MAX);
        ck_assert_uint_gt(sb.len, RANK_TERMS_MAX - 100);
        for (p = strbuf_peek(&sb); (p = strchr(p, 0x1e)) != NULL; p++) {
            n++;
        }
        ck_assert_uint_eq(sb.len, (n + 1) * 99 + n);
        strbuf_free(&in);
    }
    strbuf_free(&sb);
}
END_TEST

/* A glossary's entry outranks pages that use the word in passing: its
 * <dt>s are in the heading column of the document index. */
START_TEST(test_definition_terms_rank)
{
    sqlite3_int64 c, g, d;
    char path[32], body[256];
    json_t *m;
    int i;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    c = testdb_add_collection(wdb, "gl", "Glossary test", "en");
    for (i = 0; i < 6; i++) {
        snprintf(path, sizeof(path), "use%d.html", i);
        snprintf(body, sizeof(body),
                 "A wombat decorator in example %d of how the programs "
                 "here are written.",
                 i);
        d = testdb_add_document(wdb, c, path, path, "en", "published", T2024);
        testdb_add_section(wdb, d, 0, NULL, path, "Usage notes", body);
    }
    g = testdb_add_document(wdb, c, "glossary.html", "Terms", "en", "published",
                            T2024);
    testdb_add_section(wdb, g, 0, NULL, "Terms", "Glossary",
                       "decorator A function returning another, applied "
                       "with the at sign syntax. iterator An object that "
                       "yields items one at a time.");
    ck_assert_int_eq(
        db_exec(wdb, "UPDATE document SET body_html = '<dl><dt>decorator</dt>"
                     "<dd>A function returning another, applied with the at "
                     "sign syntax.</dd><dt>iterator</dt><dd>An object that "
                     "yields items one at a time.</dd></dl>' WHERE path ="
                     " 'glossary.html'"),
        SQLITE_OK);
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_reindex(wdb);
    m = run_q("decorator");
    ck_assert_int_eq(total(m), 7);
    ck_assert_int_eq(rid(m, 0), g);
    json_decref(m);
    /* The terms are in the heading column only: a heading-less query of
     * the body's words finds the pages that use them more first. */
    m = run_q("wombat");
    ck_assert_int_eq(total(m), 6);
    json_decref(m);
}
END_TEST

/* kwdoc on rows of random words from a small vocabulary, three columns:
 * its counts and its window against a brute force over the same words,
 * for queries of two to four words (a repeated word included).  The
 * window is the smallest span, in one column, holding every query word
 * the row holds (0 when fewer than two do). */
START_TEST(test_kwdoc_window)
{
    static const char *const vocab[] = {"ka", "na", "da", "ra", "ma", "ba"};
    enum { NV = 6, NROW = 150, MAXW = 40 };
    int words[NROW][RANK_NCOL][MAXW], nw[NROW][RANK_NCOL];
    sqlite3 *m;
    sqlite3_stmt *ins, *q;
    unsigned seed = 12345;
    int r, c, i, trial;

    ck_assert_int_eq(sqlite3_open(":memory:", &m), SQLITE_OK);
    ck_assert_int_eq(rank_register(m), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(m,
                                  "CREATE VIRTUAL TABLE t USING fts5(title,"
                                  " heading, body)",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(
        sqlite3_prepare_v2(m, "INSERT INTO t VALUES (?, ?, ?)", -1, &ins, NULL),
        SQLITE_OK);
    for (r = 0; r < NROW; r++) {
        for (c = 0; c < RANK_NCOL; c++) {
            char text[MAXW * 4];
            size_t len = 0;

            seed = seed * 1103515245u + 12345u;
            nw[r][c] = (int)((seed >> 16) % (c == 2 ? MAXW : 6));
            for (i = 0; i < nw[r][c]; i++) {
                seed = seed * 1103515245u + 12345u;
                words[r][c][i] = (int)((seed >> 16) % NV);
                len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s",
                                        i ? " " : "", vocab[words[r][c][i]]);
            }
            text[len] = '\0';
            sqlite3_bind_text(ins, c + 1, text, -1, SQLITE_TRANSIENT);
        }
        ck_assert_int_eq(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    ck_assert_int_eq(sqlite3_prepare_v2(m,
                                        "SELECT rowid, kwdoc(t) FROM t"
                                        " WHERE t MATCH ?",
                                        -1, &q, NULL),
                     SQLITE_OK);
    for (trial = 0; trial < 40; trial++) {
        int qw[4], nq, rows = 0;
        char expr[64];
        size_t len = 0;

        seed = seed * 1103515245u + 12345u;
        nq = 2 + (int)((seed >> 16) % 3);
        for (i = 0; i < nq; i++) {
            seed = seed * 1103515245u + 12345u;
            qw[i] = (int)((seed >> 16) % NV);
            len += (size_t)snprintf(expr + len, sizeof(expr) - len, "%s%s",
                                    i ? " OR " : "", vocab[qw[i]]);
        }
        sqlite3_bind_text(q, 1, expr, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(q) == SQLITE_ROW) {
            const uint16_t *tf;
            size_t n = (size_t)sqlite3_column_bytes(q, 1);
            unsigned char blob[RANK_MAX_PHRASES * RANK_NCOL * 2 + 4];
            uint32_t span, want = 0, best = 0;
            int present[4] = {0};

            r = (int)sqlite3_column_int64(q, 0) - 1;
            ck_assert(r >= 0 && r < NROW && n <= sizeof(blob));
            memcpy(blob, sqlite3_column_blob(q, 1), n);
            span = rank_kwdoc_span(blob, &n);
            ck_assert_uint_eq(n, (size_t)nq * RANK_NCOL * 2);
            tf = (const uint16_t *)blob;
            for (i = 0; i < nq; i++) {
                for (c = 0; c < RANK_NCOL; c++) {
                    int k, cnt = 0;

                    for (k = 0; k < nw[r][c]; k++) {
                        cnt += words[r][c][k] == qw[i];
                    }
                    ck_assert_int_eq(tf[i * RANK_NCOL + c], cnt);
                    present[i] |= cnt > 0;
                }
                want += (uint32_t)present[i];
            }
            /* Brute force: every start and end in each column. */
            for (c = 0; want >= 2 && c < RANK_NCOL; c++) {
                int a, b;

                for (a = 0; a < nw[r][c]; a++) {
                    for (b = a; b < nw[r][c]; b++) {
                        int j, all = 1;

                        for (i = 0; i < nq && all; i++) {
                            int has = !present[i];

                            for (j = a; j <= b && !has; j++) {
                                has = words[r][c][j] == qw[i];
                            }
                            all = has;
                        }
                        if (all &&
                            (best == 0 || (uint32_t)(b - a + 1) < best)) {
                            best = (uint32_t)(b - a + 1);
                        }
                    }
                }
            }
            ck_assert_msg(span == best, "%s row %d: window %u, expected %u",
                          expr, r + 1, span, best);
            rows++;
        }
        sqlite3_reset(q);
        ck_assert_int_gt(rows, 0);
    }
    sqlite3_finalize(q);
    sqlite3_close(m);
}
END_TEST

/* snippet_window: the window with the most distinct phrases, centred on
 * them, inside the column. */
START_TEST(test_snippet_window)
{
    const struct snippet_hit h1[] = {{5, 1, 0}, {100, 1, 1}, {102, 1, 0}};
    const struct snippet_hit h2[] = {{198, 1, 0}};
    const struct snippet_hit h3[] = {
        {2, 1, 0}, {40, 2, 0}, {41, 1, 0}, {42, 1, 0}};

    ck_assert_int_eq(snippet_window(NULL, 0, 50, 16), 0);
    /* both phrases at 100-102: 3 tokens centred in 16 */
    ck_assert_int_eq(snippet_window(h1, 3, 200, 16), 94);
    /* near the end: the window ends with the column */
    ck_assert_int_eq(snippet_window(h2, 1, 200, 16), 184);
    /* near the start: from 0 */
    ck_assert_int_eq(snippet_window(h3, 1, 200, 16), 0);
    /* one phrase: where it occurs most (40-42, 4 tokens) */
    ck_assert_int_eq(snippet_window(h3, 4, 200, 16), 34);
    /* a column shorter than the window */
    ck_assert_int_eq(snippet_window(h1, 1, 9, 16), 0);
}
END_TEST

/* Marks of a snippet or highlight() text: the text without its marker
 * bytes into out, each byte's mark into mk; returns the length. */
static size_t
unmark(const char *s, char *out, unsigned char *mk)
{
    size_t n = 0;
    int open = 0;

    for (; *s != '\0'; s++) {
        if (*s == SNIPPET_OPEN) {
            open = 1;
        } else if (*s == SNIPPET_CLOSE) {
            open = 0;
        } else {
            mk[n] = (unsigned char)open;
            out[n++] = *s;
        }
    }
    out[n] = '\0';
    return n;
}

/* An in-memory FTS5 table t(title, heading, body) with kwtok and kwsnip,
 * and the statement that inserts a body (title 't', heading 'h'). */
static void
snip_table(sqlite3 **m, sqlite3_stmt **ins)
{
    ck_assert_int_eq(sqlite3_open(":memory:", m), SQLITE_OK);
    ck_assert_int_eq(tokenizer_register(*m), SQLITE_OK);
    ck_assert_int_eq(snippet_register(*m), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(*m,
                                  "CREATE VIRTUAL TABLE t USING fts5(title,"
                                  " heading, body, tokenize = 'porter kwtok')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(*m,
                                        "INSERT INTO t VALUES ('t', 'h', ?)",
                                        -1, ins, NULL),
                     SQLITE_OK);
}

/* kwsnip against FTS5's highlight() on random rows (English words, an
 * identifier with parts, Korean words, punctuation) and random queries:
 * the snippet is a stretch of the body (from its start unless it begins
 * with an ellipsis, to its end unless it ends with one), every word byte
 * in it is marked exactly when highlight() marks it, and a row with a hit
 * in its body shows one. */
START_TEST(test_kwsnip)
{
    static const char *const vocab[] = {
        "lock",  "locks",     "write", "ahead",  "log", "sqlite_omit_attach",
        "omit",  "운영체제",  "체제",  "도서관", "(x)", "a&b,",
        "page.", "checkpoint"};
    static const char *const queries[] = {"lock",
                                          "write OR log",
                                          "\"write ahead\"",
                                          "omit",
                                          "체제",
                                          "운영체제",
                                          "\"도서관\" OR lock",
                                          "check*",
                                          "page OR ahead",
                                          "sqlite_omit_attach",
                                          "title:t"};
    enum { NV = 14, NQ = 11, NROW = 120, MAXW = 60 };
    sqlite3 *m;
    sqlite3_stmt *ins, *q;
    unsigned seed = 777;
    int r, i, k, rows = 0, marked_rows = 0;

    snip_table(&m, &ins);
    for (r = 0; r < NROW; r++) {
        char text[MAXW * 16];
        size_t len = 0;
        int nw;

        seed = seed * 1103515245u + 12345u;
        nw = (int)((seed >> 16) % MAXW);
        for (i = 0; i < nw; i++) {
            seed = seed * 1103515245u + 12345u;
            len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s",
                                    i ? " " : "", vocab[(seed >> 16) % NV]);
        }
        text[len] = '\0';
        sqlite3_bind_text(ins, 1, text, -1, SQLITE_TRANSIENT);
        ck_assert_int_eq(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
    }
    /* Odd rows: no word in the body; more hits than kwsnip reads. */
    {
        static char many[5000 * 5 + 1];

        for (i = 0; i < 5000; i++) {
            memcpy(many + i * 5, "lock ", 5);
        }
        many[sizeof(many) - 2] = '\0';
        sqlite3_bind_text(ins, 1, "... ,,, !!! ()", -1, SQLITE_STATIC);
        ck_assert_int_eq(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
        sqlite3_bind_text(ins, 1, many, -1, SQLITE_STATIC);
        ck_assert_int_eq(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    ck_assert_int_eq(
        sqlite3_prepare_v2(m,
                           "SELECT kwsnip(t), highlight(t, 2, X'01', X'02'),"
                           " body FROM t WHERE t MATCH ?",
                           -1, &q, NULL),
        SQLITE_OK);
    for (k = 0; k < NQ; k++) {
        sqlite3_bind_text(q, 1, queries[k], -1, SQLITE_STATIC);
        while (sqlite3_step(q) == SQLITE_ROW) {
            const char *snip = (const char *)sqlite3_column_text(q, 0);
            const char *hl = (const char *)sqlite3_column_text(q, 1);
            const char *body = (const char *)sqlite3_column_text(q, 2);
            static char sp[65536], hp[65536], buf[65536];
            static unsigned char sm[sizeof(sp)], hm[sizeof(hp)];
            size_t ell = strlen(SNIPPET_ELLIPSIS), ns, nh, o, j;
            int lead, trail, found = 0, any_s = 0, any_h = 0;

            ck_assert(snip != NULL && hl != NULL && body != NULL);
            ck_assert_uint_lt(strlen(snip), sizeof(buf));
            ck_assert_uint_lt(strlen(hl), sizeof(hp));
            strcpy(buf, snip);
            lead = strncmp(buf, SNIPPET_ELLIPSIS, ell) == 0;
            ns = strlen(buf);
            trail = ns >= ell && strcmp(buf + ns - ell, SNIPPET_ELLIPSIS) == 0;
            if (trail) {
                buf[ns - ell] = '\0';
            }
            ns = unmark(buf + (lead ? ell : 0), sp, sm);
            nh = unmark(hl, hp, hm);
            ck_assert_str_eq(hp, body);
            for (j = 0; j < ns; j++) {
                any_s |= sm[j];
            }
            for (j = 0; j < nh; j++) {
                any_h |= hm[j];
            }
            if (ns == 0) {
                /* Nothing shown: only for a body without a word. */
                for (j = 0; j < nh; j++) {
                    unsigned char c = (unsigned char)hp[j];

                    ck_assert_msg(c < 0x80 && !(c >= '0' && c <= '9') &&
                                      !((c | 0x20) >= 'a' && (c | 0x20) <= 'z'),
                                  "%s: empty snippet of [%s]", queries[k], hl);
                }
                found = 1;
            }
            for (o = 0; o + ns <= nh && !found; o++) {
                int same = memcmp(hp + o, sp, ns) == 0 && (lead || o == 0) &&
                           (trail || o + ns == nh);

                for (j = 0; same && j < ns; j++) {
                    unsigned char c = (unsigned char)sp[j];

                    if (c >= 0x80 || (c >= '0' && c <= '9') ||
                        ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_') {
                        same = sm[j] == hm[o + j];
                    }
                }
                found = same;
            }
            ck_assert_msg(found, "%s: snippet [%s] against [%s]", queries[k],
                          snip, hl);
            ck_assert_msg(any_s == any_h, "%s: [%s] against [%s]", queries[k],
                          snip, hl);
            rows++;
            marked_rows += any_s;
        }
        sqlite3_reset(q);
    }
    ck_assert_int_gt(rows, 100);
    ck_assert_int_gt(marked_rows, 100);
    sqlite3_finalize(q);
    sqlite3_close(m);
}
END_TEST

/* kwsnip cuts no Korean word in two: on rows of random Hangul words of
 * one to nine syllables (up to eight overlapping syllable pairs), a
 * snippet that begins or ends with an ellipsis begins or ends at a space
 * of the body. */
START_TEST(test_kwsnip_words)
{
    static const char *const syl[] = {"가", "나", "다", "라", "마",
                                      "바", "사", "아", "자", "차"};
    sqlite3 *m;
    sqlite3_stmt *ins, *q;
    unsigned seed = 4242;
    int r, i, k, cut_start = 0, cut_end = 0;

    snip_table(&m, &ins);
    for (r = 0; r < 60; r++) {
        char text[4096];
        size_t len = 0;

        for (i = 0; i < 40; i++) {
            int n;

            seed = seed * 1103515245u + 12345u;
            n = 1 + (int)((seed >> 16) % 9);
            if (i > 0) {
                text[len++] = ' ';
            }
            for (k = 0; k < n; k++) {
                seed = seed * 1103515245u + 12345u;
                memcpy(text + len, syl[(seed >> 16) % 10], 3);
                len += 3;
            }
        }
        text[len] = '\0';
        sqlite3_bind_text(ins, 1, text, -1, SQLITE_TRANSIENT);
        ck_assert_int_eq(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    ck_assert_int_eq(sqlite3_prepare_v2(m,
                                        "SELECT kwsnip(t), body FROM t"
                                        " WHERE t MATCH ?",
                                        -1, &q, NULL),
                     SQLITE_OK);
    for (i = 0; i < 10; i++) {
        char qs[8];

        memcpy(qs, syl[i], 3);
        memcpy(qs + 3, syl[(i + 3) % 10], 3);
        qs[6] = '\0';
        sqlite3_bind_text(q, 1, qs, -1, SQLITE_TRANSIENT);
        while (sqlite3_step(q) == SQLITE_ROW) {
            const char *snip = (const char *)sqlite3_column_text(q, 0);
            const char *body = (const char *)sqlite3_column_text(q, 1);
            char core[8192];
            unsigned char mk[8192];
            size_t n = unmark(snip, core, mk), el = strlen(SNIPPET_ELLIPSIS);
            int head = strncmp(core, SNIPPET_ELLIPSIS, el) == 0;
            int tail = n >= el && strcmp(core + n - el, SNIPPET_ELLIPSIS) == 0;
            const char *at;

            if (tail) {
                core[n - el] = '\0';
            }
            at = strstr(body, core + (head ? el : 0));
            ck_assert_msg(at != NULL, "not a stretch of the body: %s", snip);
            if (head) {
                ck_assert_msg(at > body && at[-1] == ' ', "cut start: %s",
                              snip);
                cut_start++;
            }
            if (tail) {
                ck_assert_msg(at[strlen(core + (head ? el : 0))] == ' ',
                              "cut end: %s", snip);
                cut_end++;
            }
        }
        sqlite3_reset(q);
    }
    sqlite3_finalize(q);
    sqlite3_close(m);
    /* Both ends were tested. */
    ck_assert_int_gt(cut_start, 10);
    ck_assert_int_gt(cut_end, 10);
}
END_TEST

/* Sketches: equal texts agree, unrelated ones do not, a text with a
 * sentence changed stays close. */
START_TEST(test_sketch)
{
    static const char a[] =
        "The write-ahead log keeps every change in a separate file until a "
        "checkpoint moves the pages back into the database, so readers "
        "never wait for writers and writers never wait for readers; the "
        "log grows until the checkpoint runs and is then reset.";
    static const char b[] =
        "Markdown sources are converted with cmark and sanitized like any "
        "other page; headings split the body into sections and a long "
        "section is indexed as chunks of at most four kilobytes each.";
    char c[sizeof(a) + 64];
    unsigned char sa[RANK_SKETCH], sb[RANK_SKETCH], sc[RANK_SKETCH],
        s1[RANK_SKETCH], s2[RANK_SKETCH];

    ck_assert_int_eq(rank_sketch(a, strlen(a), sa), 1);
    ck_assert_int_eq(rank_sketch(b, strlen(b), sb), 1);
    snprintf(c, sizeof(c), "%s Writers never wait.", a);
    ck_assert_int_eq(rank_sketch(c, strlen(c), sc), 1);
    ck_assert_double_eq_tol(rank_sketch_similarity(sa, sa), 1.0, 1e-9);
    ck_assert(rank_sketch_similarity(sa, sb) < 0.2);
    ck_assert(rank_sketch_similarity(sa, sc) > 0.7);
    /* case and punctuation do not matter */
    ck_assert_int_eq(
        rank_sketch("Hello, world: said the cat to the dog", 37, s1), 1);
    ck_assert_int_eq(
        rank_sketch("hello world said THE cat to the dog!!", 37, s2), 1);
    ck_assert_double_eq_tol(rank_sketch_similarity(s1, s2), 1.0, 1e-9);
    /* too short (an emptied body, a line): no sketch, never a copy */
    ck_assert_int_eq(rank_sketch("", 0, s1), 0);
    ck_assert_int_eq(rank_sketch("kwxg03 kwxv0122 seven words of text", 35, s1),
                     0);
    ck_assert_int_eq(rank_form("text/html; charset=utf-8"), 0);
    ck_assert(rank_form("text/plain") > rank_form("text/markdown"));
}
END_TEST

/* Near-duplicates of one collection show once: as HTML rather than their
 * plain-text source, and as the copy other pages link to when both are
 * HTML; at the rank of the best of the group, and the page still fills
 * from the documents after them. */
START_TEST(test_duplicates_collapse)
{
    static const char text[] =
        "Zebrafish husbandry notes: water temperature, feeding schedules "
        "and the light cycle for a breeding colony of zebrafish, with the "
        "tank sizes that keep the fish healthy across generations.";
    sqlite3_int64 c, html, src, copy, other, other2, linker;
    char sql[512];
    json_t *m;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    c = testdb_add_collection(wdb, "fish", "Fish", "en");
    html = testdb_add_document(wdb, c, "care.html", "Care", "en", "published",
                               T2024);
    testdb_add_section(wdb, html, 0, NULL, "Care", "", text);
    /* the source says zebrafish more often: it would rank first */
    src = testdb_add_document(wdb, c, "_sources/care.txt", ".. _care:", "en",
                              "published", T2024);
    testdb_add_section(
        wdb, src, 0, NULL, ".. _care:", "",
        "Zebrafish husbandry notes: water temperature, feeding "
        "schedules and the light cycle for a breeding colony of "
        "zebrafish, with the tank sizes that keep the fish healthy "
        "across generations. zebrafish zebrafish");
    /* an old copy, under the same title, whose heading makes it rank
     * above the page */
    copy = testdb_add_document(wdb, c, "old/care.html", "Care", "en",
                               "published", T2024);
    testdb_add_section(wdb, copy, 0, NULL, "Care", "Zebrafish", text);
    /* the same text under another title: another page, shown */
    other2 = testdb_add_document(wdb, c, "care2.html", "Breeding", "en",
                                 "published", T2024);
    testdb_add_section(wdb, other2, 0, NULL, "Breeding", "", text);
    other = testdb_add_document(wdb, c, "tanks.html", "Tanks", "en",
                                "published", T2024);
    testdb_add_section(
        wdb, other, 0, NULL, "Tanks", "",
        "Glass tanks for zebrafish: sizes, filters and heaters.");
    linker = testdb_add_document(wdb, c, "index.html", "Index", "en",
                                 "published", T2024);
    testdb_add_section(wdb, linker, 0, NULL, "Index", "", "The fish pages.");
    snprintf(sql, sizeof(sql),
             "UPDATE document SET body_text = (SELECT group_concat(body, ' ')"
             " FROM section WHERE document_id = document.id),"
             " source_url_norm = 'http://x/' || path WHERE collection_id ="
             " %lld; INSERT INTO doc_signal(document_id, sketch) SELECT id,"
             " text_sketch(body_text) FROM document WHERE collection_id ="
             " %lld; UPDATE document SET content_type = 'text/plain' WHERE"
             " id = %lld; INSERT INTO link(document_id, target_url) VALUES"
             " (%lld, 'http://x/care.html')",
             (long long)c, (long long)c, (long long)src, (long long)linker);
    ck_assert_int_eq(db_exec(wdb, sql), SQLITE_OK);
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);

    m = run("zebrafish", "fish", NULL, 0, 1, 0);
    ck_assert_uint_eq(json_array_size(results(m)), 3);
    ck_assert_int_eq(rid(m, 0), html);
    ck_assert(has_doc(m, other) && has_doc(m, other2));
    ck_assert(!has_doc(m, src) && !has_doc(m, copy));
    json_decref(m);
    /* the same on pages of one: page 2 is the next group's */
    m = run("zebrafish", "fish", NULL, 0, 2, 1);
    ck_assert_uint_eq(json_array_size(results(m)), 1);
    ck_assert(rid(m, 0) == other || rid(m, 0) == other2);
    json_decref(m);
}
END_TEST

/* A source shows as its page, whatever their texts: a plain-text
 * document linked from an HTML page of its file name (Sphinx's "Show
 * Source" link to a one-line stub).  The same file name unlinked, a linked
 * file of another name, or a PDF are documents of their own. */
START_TEST(test_source_pairing)
{
    static const char text[] =
        "FindKwzq locates the kwzq library: it sets the include "
        "directories and the libraries to link, and reports the version "
        "it found, so that a project can require a minimum release.";
    sqlite3_int64 c, page, stub, notes, other, pdf;
    char sql[768];
    json_t *m;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    c = testdb_add_collection(wdb, "cmk", "Modules", "en");
    page = testdb_add_simple(wdb, c, "module/FindKwzq.html", "FindKwzq", "en",
                             "published", T2024, text);
    /* the stub: short, so it would rank first; too short to sketch; its
     * markup holds a word the page renders away */
    stub = testdb_add_simple(wdb, c, "_sources/module/FindKwzq.rst.txt",
                             ".. kwzrole:: FindKwzq.cmake", "en", "published",
                             T2024, ".. kwzrole:: FindKwzq.cmake kwzq");
    /* one name, not linked: notes of their own */
    notes = testdb_add_simple(wdb, c, "notes/FindKwzq.txt", "Notes", "en",
                              "published", T2024,
                              "Notes on kwzq: the module was rewritten twice.");
    /* linked, another name: an example, not the page's source */
    other = testdb_add_simple(wdb, c, "_downloads/example.txt", "Example", "en",
                              "published", T2024, "find_package(kwzq) example");
    /* linked, of its name, but a PDF: a paper, not a source */
    pdf = testdb_add_simple(wdb, c, "module/FindKwzq.pdf", "Paper", "en",
                            "published", T2024,
                            "A paper on kwzq and its kwzrole.");
    snprintf(sql, sizeof(sql),
             "UPDATE document SET body_text = (SELECT group_concat(body, ' ')"
             " FROM section WHERE document_id = document.id),"
             " source_url_norm = 'http://y/' || path WHERE collection_id ="
             " %lld; UPDATE document SET content_type = 'text/plain' WHERE"
             " id IN (%lld, %lld, %lld); UPDATE document SET content_type ="
             " 'application/pdf' WHERE id = %lld; INSERT INTO link(document_id,"
             " target_url) SELECT %lld, 'http://y/' || path FROM document"
             " WHERE id IN (%lld, %lld, %lld)",
             (long long)c, (long long)stub, (long long)notes, (long long)other,
             (long long)pdf, (long long)page, (long long)stub, (long long)other,
             (long long)pdf);
    ck_assert_int_eq(db_exec(wdb, sql), SQLITE_OK);
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);

    m = run("kwzq", "cmk", NULL, 0, 1, 0);
    ck_assert_uint_eq(json_array_size(results(m)), 4);
    ck_assert(has_doc(m, page) && !has_doc(m, stub));
    ck_assert(has_doc(m, notes) && has_doc(m, other) && has_doc(m, pdf));
    json_decref(m);
    /* only the source and the PDF hold the word: the page shows for it */
    m = run("kwzrole", "cmk", NULL, 0, 1, 0);
    ck_assert_uint_eq(json_array_size(results(m)), 2);
    ck_assert(has_doc(m, page) && has_doc(m, pdf) && !has_doc(m, stub));
    json_decref(m);
}
END_TEST

/* In the OR fallback, a page whose title is made of the query's words
 * (its collection's affix left out; an identifier by its parts) and holds
 * most of their idf, with the rarest, leads the pages holding more of the
 * words: the index's annotation ("method", "global property") is on
 * neither.  A title of a common word of the query does not lead. */
START_TEST(test_title_lead)
{
    sqlite3_int64 c, meth, cls, other, common, prop, list;
    json_t *m;
    int i;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    c = testdb_add_collection(wdb, "sp", "Splines", "en");
    meth = testdb_add_document(wdb, c, "kwq.interp.Spline.__call__.html",
                               "kwq.interp.Spline.__call__ - Kwq Manual", "en",
                               "published", T2024);
    testdb_add_section(wdb, meth, 0, NULL, "kwq.interp.Spline.__call__", "",
                       "Evaluate the spline at the positions given.");
    cls = testdb_add_document(wdb, c, "kwq.interp.Spline.html",
                              "kwq.interp.Spline - Kwq Manual", "en",
                              "published", T2024);
    testdb_add_section(wdb, cls, 0, NULL, "kwq.interp.Spline", "",
                       "kwq.interp.Spline: a spline. Its __call__ method "
                       "evaluates it; see each method below.");
    common = testdb_add_document(wdb, c, "method.html", "Method - Kwq Manual",
                                 "en", "published", T2024);
    testdb_add_section(wdb, common, 0, NULL, "Method", "",
                       "A method is a function of a class: every method.");
    prop = testdb_add_document(wdb, c, "kwzfoo.html", "KWZFOO - Kwq Manual",
                               "en", "published", T2024);
    testdb_add_section(wdb, prop, 0, NULL, "KWZFOO", "",
                       "Set kwzfoo to on to trace the splines.");
    list = testdb_add_document(wdb, c, "properties.html",
                               "Properties - Kwq Manual", "en", "published",
                               T2024);
    testdb_add_section(wdb, list, 0, NULL, "Properties", "",
                       "Each global property: kwzfoo, and more; a global "
                       "property is set once.");
    /* enough titles for the collection's affix (" - kwq manual"), and
     * pages that make "method", "global" and "property" common words */
    for (i = 0; i < 30; i++) {
        char path[32], title[64];

        snprintf(path, sizeof(path), "page%d.html", i);
        snprintf(title, sizeof(title), "Page %d - Kwq Manual", i);
        other = testdb_add_simple(
            wdb, c, path, title, "en", "published", T2024,
            "A page of its own, with a method and a global property.");
    }
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_reindex(wdb);

    m = run_mode("__call__ kwq.interp.Spline method", "sp", "any");
    ck_assert_int_eq(rid(m, 0), meth);
    ck_assert(pos_of(m, cls) > 0);
    ck_assert(pos_of(m, common) < 0 || pos_of(m, common) > pos_of(m, cls));
    json_decref(m);

    m = run_mode("KWZFOO global property", "sp", "any");
    ck_assert_int_eq(rid(m, 0), prop);
    ck_assert(pos_of(m, list) > 0);
    json_decref(m);

    /* the rarest word in more titles than are read (a class whose every
     * method has a page): the titles with another word of the query too */
    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    for (i = 0; i < SEARCH_TITLE_LEAD_MAX + 6; i++) {
        char path[48], title[64], body[64];

        snprintf(path, sizeof(path), "kwq.big.Thing.kwm%d.html", i);
        snprintf(title, sizeof(title), "kwq.big.Thing.kwm%d - Kwq Manual", i);
        snprintf(body, sizeof(body), "The kwm%d of a thing, a method.", i);
        other = testdb_add_simple(wdb, c, path, title, "en", "published", T2024,
                                  body);
        if (i == 5) {
            meth = other;
        }
    }
    cls = testdb_add_document(wdb, c, "kwq.big.Thing.html",
                              "kwq.big.Thing - Kwq Manual", "en", "published",
                              T2024);
    testdb_add_section(wdb, cls, 0, NULL, "kwq.big.Thing", "",
                       "kwq.big.Thing: its kwm5 method, and others.");
    for (i = 0; i < 4; i++) {
        char path[32];

        snprintf(path, sizeof(path), "note%d.html", i);
        other = testdb_add_document(wdb, c, path, "Note - Kwq Manual", "en",
                                    "published", T2024);
        testdb_add_section(wdb, other, 0, NULL, "Note", "",
                           "See kwm5 and kwm6 for the big thing.");
    }
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_reindex(wdb);
    m = run_mode("kwq.big.Thing kwm5 method", "sp", "any");
    ck_assert_int_eq(rid(m, 0), meth);
    ck_assert(pos_of(m, cls) > 0);
    json_decref(m);
}
END_TEST

/* Make document id a hub: a page whose text is mostly links (rank.h,
 * "Hubs"), as the index computes it from a body of links. */
static void
set_hub(sqlite3_int64 id)
{
    char sql[128];

    snprintf(sql, sizeof(sql),
             "INSERT OR REPLACE INTO doc_signal(document_id, link_share)"
             " VALUES (%lld, 0.95)",
             (long long)id);
    ck_assert_int_eq(db_exec(wdb, sql), SQLITE_OK);
}

/* A published English document of collection c: a first section titled
 * with the document (intro), then one that defines key (def), anchored
 * and headed with it.  Its id. */
static sqlite3_int64
add_defining(sqlite3_int64 c, const char *path, const char *title,
             const char *intro, const char *key, const char *def)
{
    sqlite3_int64 id =
        testdb_add_document(wdb, c, path, title, "en", "published", T2024);

    testdb_add_section(wdb, id, 0, NULL, title, "", intro);
    testdb_add_section(wdb, id, 1, key, "", key, def);
    return id;
}

/* A heading key that is a qualified name made of the query's words
 * ("kwapp.ctx.kwcontext" for "KwContext class in kwapp.ctx") is the
 * definition: it comes before the pages that only mention the words, in
 * either mode, a name of more components first; a name without the
 * query's rarest word is not one. */
START_TEST(test_qualified_name)
{
    sqlite3_int64 c, api, guide, tail, thr, mp, other;
    json_t *m;
    int i;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    c = testdb_add_collection(wdb, "qn", "Names", "en");
    api = testdb_add_document(wdb, c, "api.html", "API", "en", "published",
                              T2024);
    testdb_add_section(wdb, api, 0, NULL, "API", "",
                       "Every class in the kwapp package, and the module "
                       "kwapp.ctx for contexts; "
                       "the reference of the rest of the package. Each "
                       "class below is in its module, with all of its "
                       "methods and attributes, and their arguments, "
                       "defaults, return values and errors, at length.");
    testdb_add_section(wdb, api, 1, "kwapp.ctx.KwContext", "",
                       "kwapp.ctx.KwContext",
                       "The context of a request: push it, then pop it.");
    testdb_add_section(wdb, api, 2, "ctx.KwContext", "", "ctx.KwContext",
                       "See kwapp.ctx.KwContext above.");
    tail = add_defining(c, "ctx.html", "Context objects",
                        "A class in kwapp.ctx: KwContext, shown in brief.",
                        "ctx.KwContext", "The context, in brief.");
    guide = testdb_add_simple(wdb, c, "guide.html", "Guide", "en", "published",
                              T2024,
                              "KwContext is a class in kwapp.ctx; the "
                              "KwContext class in kwapp.ctx holds a "
                              "KwContext.");
    /* the rarest word is "kwmp": a key of "kwlock" and "acquire" lacks
     * it, and the page that holds it answers */
    thr = add_defining(c, "thr.html", "Threads",
                       "Threads and their locks: a method to acquire each.",
                       "kwlock.acquire",
                       "Acquire the KwLock; a method of every KwLock.");
    mp = testdb_add_simple(wdb, c, "mp.html", "Processes", "en", "published",
                           T2024,
                           "kwmp.KwLock is a lock of processes: its acquire "
                           "method waits, and its release method frees it.");
    /* pages that make "class", "in", "method" and "kwlock" common, and
     * hold the first query's words too (so that it matches them all) */
    for (i = 0; i < SEARCH_ANY_BELOW; i++) {
        char path[32];

        snprintf(path, sizeof(path), "page%d.html", i);
        other =
            testdb_add_simple(wdb, c, path, "A page", "en", "published", T2024,
                              "A class in a module, a method in a class, "
                              "a KwLock in each, and a ctx.KwContext of "
                              "kwapp.ctx in every one.");
    }
    (void)other;
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_reindex(wdb);

    /* every word on each page: the definition first, then the name of
     * fewer components, then the page that only says it */
    m = run_mode("KwContext class in kwapp.ctx", "qn", "all");
    ck_assert_int_eq(rid(m, 0), api);
    ck_assert_int_eq(rid(m, 1), tail);
    ck_assert(has_doc(m, guide));
    json_decref(m);
    /* a word no page holds: the fallback, and the definition leads it */
    m = run_mode("KwContext class in kwapp.ctx kwzzyx", "qn", "any");
    ck_assert_int_eq(rid(m, 0), api);
    json_decref(m);
    /* the shorter name first in the query: the longer still leads */
    m = run("ctx.KwContext in kwapp.ctx", "qn", NULL, 0, 1, 0);
    ck_assert_int_eq(rid(m, 0), api);
    ck_assert_int_eq(rid(m, 1), tail);
    json_decref(m);
    m = run("acquire kwmp.KwLock method", "qn", NULL, 0, 1, 0);
    ck_assert_int_eq(rid(m, 0), mp);
    ck_assert(pos_of(m, thr) != 0);
    json_decref(m);
}
END_TEST

/* In the fallback, a page with a heading key that is the query's rarest
 * word, an identifier joined by '_', defines it: it leads the pages that
 * hold more of the words, and among such pages more of the words still
 * come first; a special name ("__str__") is not such a word. */
START_TEST(test_identifier_key)
{
    sqlite3_int64 c, settings, api, dunder, msg, hub, mention[3];
    json_t *m;
    char path[32], sb[2048];
    int i;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    c = testdb_add_collection(wdb, "ik", "Keys", "en");
    settings = add_defining(c, "settings.html", "Settings",
                            "Each setting of the application.", "KW_SECRET_KEY",
                            "Signs the session cookies.");
    testdb_add_section(wdb, settings, 2, "b", "", "KW_USE_SENDFILE",
                       "KW_USE_SENDFILE: serve files by the web server; "
                       "KW_USE_SENDFILE is off by default.");
    api = testdb_add_document(wdb, c, "api.html", "API", "en", "published",
                              T2024);
    /* long: its score is below the settings page's, though it holds
     * more of the words */
    for (i = 0, sb[0] = '\0'; i < 12; i++) {
        strcat(sb, "The application object, its configuration, its "
                   "request and response classes, its blueprints, its "
                   "signals, its command line and its test client. ");
    }
    testdb_add_section(wdb, api, 0, NULL, "API", "", sb);
    testdb_add_section(wdb, api, 1, "a", "", "KW_USE_SENDFILE",
                       "The sendfile variable of the application.");
    dunder = add_defining(c, "dunder.html", "Special names",
                          "Names with two underscores.", "__kwstr__",
                          "Returns the string.");
    msg = testdb_add_simple(wdb, c, "msg.html", "Messages", "en", "published",
                            T2024, "kwmsg.Message has a __kwstr__ method.");
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "mention%d.html", i);
        mention[i] = testdb_add_simple(
            wdb, c, path, "Changes", "en", "published", T2024,
            "The KW_SECRET_KEY built-in variable and the KW_USE_SENDFILE "
            "built-in variable: built-in variables, each variable.");
    }
    /* the index: a hub, whose entry holds every word of the query */
    hub =
        testdb_add_simple(wdb, c, "genindex.html", "Index", "en", "published",
                          T2024, "KW_SECRET_KEY (built-in variable) settings");
    /* pages that make "built-in", "variable", "method" and "kwmsg"
     * common */
    for (i = 0; i < 12; i++) {
        snprintf(path, sizeof(path), "page%d.html", i);
        testdb_add_simple(wdb, c, path, "A page", "en", "published", T2024,
                          "A variable, built-in or not, and a kwmsg method.");
    }
    set_hub(hub);
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_exec(wdb, "UPDATE document SET body_html = '<dl><dt><a href="
                     "\"settings.html#a\">KW_SECRET_KEY (built-in variable)"
                     "</a></dt><dd><a href=\"settings.html\">settings</a>"
                     "</dd></dl>' WHERE path = 'genindex.html'");
    testdb_reindex(wdb);

    m = run_mode("KW_SECRET_KEY built-in variable", "ik", "any");
    ck_assert_int_eq(rid(m, 0), settings);
    ck_assert(pos_of(m, mention[0]) > 0 && pos_of(m, hub) > 0);
    json_decref(m);
    /* two pages define it: the one with more of the words first */
    m = run_mode("KW_USE_SENDFILE built-in variable", "ik", "any");
    ck_assert_int_eq(rid(m, 0), api);
    ck_assert_int_eq(rid(m, 1), settings);
    json_decref(m);
    m = run_mode("__kwstr__ kwmsg method", "ik", "any");
    ck_assert_int_eq(rid(m, 0), msg);
    ck_assert(pos_of(m, dunder) > 0);
    json_decref(m);
}
END_TEST

/* ---- errors ---- */

/* A GET for path with up to four query arguments (name, value pairs,
 * NULL-terminated). */
static struct req *
get(struct fake *f, const char *path, const char *k1, const char *v1,
    const char *k2, const char *v2, const char *k3, const char *v3,
    const char *k4, const char *v4)
{
    const char *kv[8] = {k1, v1, k2, v2, k3, v3, k4, v4};
    struct req *r = fake(f, REQ_GET, path, NULL, NULL);
    size_t i;

    for (i = 0; i < 4 && kv[2 * i] != NULL; i++) {
        fake_arg(f, kv[2 * i], kv[2 * i + 1]);
    }
    return r;
}

/* A one-word identifier that (almost) no document holds as written is
 * searched by its parts too (query_parts()): the documents with the
 * identifier whole come first, in their order, then those with more of
 * its parts; "parts" in the model says which parts were asked. */
START_TEST(test_identifier_parts)
{
    sqlite3_int64 c, whole, split;
    json_t *m, *parts;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    c = testdb_add_collection(wdb, "pragmas", "Pragmas", "en");
    whole = testdb_add_document(wdb, c, "pragma.html", "Pragmas", "en",
                                "published", T2024);
    testdb_add_section(wdb, whole, 0, NULL, "Pragmas", "",
                       "PRAGMA journal_mode=WAL switches the mode once.");
    split = testdb_add_document(wdb, c, "modes.html", "Modes", "en",
                                "published", T2024);
    testdb_add_section(
        wdb, split, 0, NULL, "Modes", "",
        "The journal mode: every journal has a mode, and the mode of "
        "the journal is the journal mode.");
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_reindex(wdb);

    /* one document holds it whole: it leads, the parts follow */
    m = run_q("journal_mode");
    ck_assert_str_eq(json_string_value(json_object_get(m, "mode")), "any");
    ck_assert_int_eq(json_integer_value(json_object_get(m, "all_total")), 1);
    ck_assert_int_eq(rid(m, 0), whole);
    ck_assert(has_doc(m, split) && has_doc(m, D_WAL));
    parts = json_object_get(m, "parts");
    ck_assert_uint_eq(json_array_size(parts), 2);
    ck_assert_str_eq(json_string_value(json_array_get(parts, 0)), "journal");
    ck_assert_str_eq(json_string_value(json_array_get(parts, 1)), "mode");
    json_decref(m);

    /* written differently on every page: the parts find it; the page with
     * more of them (both) before the pages with one */
    m = run_q("xjournal_mode");
    ck_assert_int_eq(json_integer_value(json_object_get(m, "all_total")), 0);
    ck_assert(has_doc(m, whole) && has_doc(m, split) && has_doc(m, D_WAL));
    ck_assert(rid(m, 0) == whole || rid(m, 0) == split || rid(m, 0) == D_WAL);
    json_decref(m);
    /* and the page says so, with the parts marked in the snippets */
    {
        struct fake f;
        struct req *r = get(&f, "/search", "q", "xjournal_mode", NULL, NULL,
                            NULL, NULL, NULL, NULL);
        const char *b;

        r->lang = 1;
        router_dispatch(r);
        b = body(&f);
        ck_assert_ptr_nonnull(strstr(b, "also searched by their parts: "
                                        "<q>xjournal</q> <q>mode</q>"));
        ck_assert_ptr_nonnull(strstr(b, "<mark>mode</mark>"));
        done(&f);
    }

    /* a phrase, a prefix and a plain word have no parts: no fallback */
    m = run_q("\"xjournal_mode\"");
    ck_assert_int_eq(total(m), 0);
    ck_assert_ptr_null(json_object_get(m, "parts"));
    json_decref(m);
    m = run_q("journal");
    ck_assert_str_eq(json_string_value(json_object_get(m, "mode")), "all");
    ck_assert_ptr_null(json_object_get(m, "parts"));
    json_decref(m);
}
END_TEST

/* An identifier joined by '.' or '_' is held by a page that holds all of
 * its parts (query_parts(): .code): the page of module curses writes
 * "window.getkey", the index writes "getkey (curses.window method)".  In
 * the OR fallback both hold every word, so the score orders them and the
 * index, a hub, follows; the index holds the words as written, which
 * leads only for a page that is no hub. */
START_TEST(test_identifier_hub)
{
    sqlite3_int64 c, hub, page, other;
    json_t *m;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    c = testdb_add_collection(wdb, "mods", "Modules", "en");
    hub = testdb_add_document(wdb, c, "genindex.html", "Index", "en",
                              "published", T2024);
    testdb_add_section(wdb, hub, 0, NULL, "Index", "",
                       "getkey (curses.window method), getch (curses.window "
                       "method), addstr (curses.window method), flash "
                       "(curses module function), ungetch (curses module "
                       "function), close (socket.socket method)");
    page = testdb_add_document(wdb, c, "curses.html", "Terminal handling", "en",
                               "published", T2024);
    testdb_add_section(wdb, page, 0, NULL, "Terminal handling", "Windows",
                       "The curses module draws on the terminal.  Window "
                       "objects have the following methods.  The method "
                       "window.getkey() reads one key; window.getch() reads "
                       "one character.");
    other = testdb_add_document(wdb, c, "keys.html", "Keys", "en", "published",
                                T2024);
    testdb_add_section(wdb, other, 0, NULL, "Keys", "",
                       "Each method that reads a key, getkey among them, "
                       "waits for the terminal.");
    set_hub(hub);
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_reindex(wdb);

    m = run_q("getkey curses.window method");
    ck_assert_str_eq(json_string_value(json_object_get(m, "mode")), "any");
    ck_assert_int_eq(json_integer_value(json_object_get(m, "all_total")), 1);
    ck_assert_int_eq(rid(m, 0), page);
    ck_assert(has_doc(m, hub) && has_doc(m, other));
    /* holding every part is holding the identifier; two of three words
     * (keys.html) come after both */
    ck_assert_int_eq(rid(m, 1), hub);
    json_decref(m);

    /* no hub: the page with the words as written leads */
    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    ck_assert_int_eq(db_exec(wdb, "UPDATE doc_signal SET link_share = 0"),
                     SQLITE_OK);
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    m = run_q("getkey curses.window method");
    ck_assert_int_eq(rid(m, 0), hub);
    ck_assert_int_eq(rid(m, 1), page);
    json_decref(m);
}
END_TEST

/* Add a published English document of one section with no heading to
 * collection c, its title as the section's; returns its id. */
static sqlite3_int64
add_page(sqlite3_int64 c, const char *path, const char *title, const char *body)
{
    sqlite3_int64 d =
        testdb_add_document(wdb, c, path, title, "en", "published", T2024);

    testdb_add_section(wdb, d, 0, NULL, title, "", body);
    return d;
}

/* A hub's title is its own: a chapter's table of contents, titled with
 * the subject, is mostly links, but its title names what it is about.
 * The hub factor weighs down the text of its links, not its title: the
 * chapter page leads a page that only mentions the words, and an index
 * holding them in its links still follows that page. */
START_TEST(test_hub_title)
{
    sqlite3_int64 c, toc, faq, index;
    json_t *m;
    char sql[160];
    int i;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    c = testdb_add_collection(wdb, "gui", "GUI", "en");
    toc = add_page(c, "tk.html", "Graphical User Interfaces with Tk",
                   "tkinter, the Tcl/Tk binding; tkinter.ttk, themed "
                   "widgets; tkinter.tix, extension widgets; IDLE");
    faq = add_page(c, "faq.html", "Toolkits FAQ",
                   "Which toolkits exist?  A graphical user interface can be "
                   "written with several of them; each user picks one, and "
                   "the interface looks native.");
    index = add_page(c, "genindex.html", "Index",
                     "graphical user interface (tk), graphical user "
                     "interface (faq), user interface, graphical, "
                     "interface (user), user (graphical interface)");
    /* enough pages with all the words that they answer (no fallback),
     * each saying them once in a longer text of its own (no duplicates:
     * rank.h) */
    for (i = 0; i < SEARCH_ANY_BELOW + 2; i++) {
        static const char *const topic[] = {
            "files",   "sockets", "threads", "pipes",  "signals",  "timers",
            "locks",   "queues",  "buffers", "codecs", "streams",  "archives",
            "numbers", "dates",   "paths",   "shells", "mailboxes"};
        enum { NTOPIC = sizeof(topic) / sizeof(topic[0]) };
        char name[32], body[400];

        snprintf(name, sizeof(name), "other%d.html", i);
        snprintf(body, sizeof(body),
                 "Chapter %d covers %s, %s, %s and %s, with examples of each; "
                 "the graphical side is not covered, and neither is the user "
                 "interface, which other chapters describe in %s terms.",
                 i, topic[i % NTOPIC], topic[(i + 3) % NTOPIC],
                 topic[(i + 7) % NTOPIC], topic[(i + 11) % NTOPIC],
                 topic[(i + 5) % NTOPIC]);
        add_page(c, name, topic[i % NTOPIC], body);
    }
    snprintf(sql, sizeof(sql),
             "INSERT OR REPLACE INTO doc_signal(document_id, link_share)"
             " VALUES (%lld, 0.95), (%lld, 0.95)",
             (long long)toc, (long long)index);
    ck_assert_int_eq(db_exec(wdb, sql), SQLITE_OK);
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_reindex(wdb);

    m = run_q("graphical user interface");
    ck_assert_str_eq(json_string_value(json_object_get(m, "mode")), "all");
    ck_assert_int_eq(rid(m, 0), toc);
    ck_assert_int_eq(rid(m, 1), faq);
    ck_assert_int_eq(rid(m, 2), index);
    json_decref(m);
}
END_TEST

/* A site's name in every title (a title affix, searchcat.h) does not
 * keep a page from its exact title: "oct-files" is the title of
 * "Oct-Files (GNU Octave (version 7.3.0))", which leads pages that say
 * oct-files more often.  Only in a collection whose titles have that
 * affix: elsewhere the same title is a title of its own. */
START_TEST(test_title_affix)
{
    static const char *const pages[] = {
        "Getting Started with Oct-Files",
        "Structures in Oct-Files",
        "Cell Arrays in Oct-Files",
        "Sparse Matrices in Oct-Files",
        "Calling Octave Functions",
        "Boolean Expressions",
        "Ranges",
        "Errors",
    };
    static const char suffix[] = " (GNU Octave (version 7.3.0))";
    sqlite3_int64 c, other, own, twin, lone;
    char title[128], path[64];
    json_t *m;
    size_t i;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    c = testdb_add_collection(wdb, "octave", "Octave", "en");
    other = testdb_add_collection(wdb, "misc2", "Miscellany", "en");
    for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
        snprintf(title, sizeof(title), "%s%s", pages[i], suffix);
        snprintf(path, sizeof(path), "p%zu.html", i);
        testdb_add_simple(wdb, c, path, title, "en", "published", T2024,
                          "Oct-files are compiled functions; oct-files load "
                          "like m-files, and oct-files run fast.");
    }
    snprintf(title, sizeof(title), "Oct-Files%s", suffix);
    own = testdb_add_simple(wdb, c, "Oct_002dFiles.html", title, "en",
                            "published", T2024,
                            "How to write them in C++, with the chapters "
                            "below; oct-files at last.");
    /* the same title where it is no affix, and the bare one there */
    twin = testdb_add_simple(wdb, other, "twin.html", title, "en", "published",
                             T2024, "A copy about oct-files.");
    lone = testdb_add_simple(wdb, other, "lone.html", "Oct-Files", "en",
                             "published", T2024, "Another about oct-files.");
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);

    m = run_q("oct-files");
    ck_assert_int_eq(rid(m, 0) == own || rid(m, 0) == lone, 1);
    ck_assert_int_eq(rid(m, 1) == own || rid(m, 1) == lone, 1);
    ck_assert(has_doc(m, twin));
    json_decref(m);
    m = run("oct-files", "octave", NULL, 0, 1, 0);
    ck_assert_int_eq(rid(m, 0), own);
    json_decref(m);
    m = run("oct-files", "misc2", NULL, 0, 1, 0);
    ck_assert_int_eq(rid(m, 0), lone);
    json_decref(m);
}
END_TEST

/* A heading or definition term that is the query (rank.h, "Heading
 * keys") puts its page right after the pages whose title is the query,
 * ahead of pages that say the words more often; not when more than
 * RANK_HEADING_DOCS documents have that heading (a template's), and not
 * once its page is withdrawn. */
START_TEST(test_exact_heading)
{
    sqlite3_int64 c, glossary, titled, mention[3], many[RANK_HEADING_DOCS + 1],
        quux;
    json_t *m;
    char path[32], sql[160];
    int i;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    c = testdb_add_collection(wdb, "keys", "Keys", "en");
    glossary = testdb_add_simple(wdb, c, "glossary.html", "Glossary", "en",
                                 "published", T2024,
                                 "Terms used in this manual, from argument "
                                 "to zipper, each with a short definition.");
    testdb_exec(wdb, "UPDATE document SET body_html = '<dl><dt>argument</dt>"
                     "<dd>a value</dd><dt>Decorator¶</dt><dd>a function that"
                     " wraps another</dd></dl>' WHERE path = 'glossary.html'");
    for (i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "mention%d.html", i);
        mention[i] = testdb_add_simple(
            wdb, c, path, i == 0 ? "Function tools" : "Class tools", "en",
            "published", T2024,
            "The decorator caches; a decorator wraps; each decorator "
            "returns a decorator, and decorator stacks of decorator calls "
            "run in order.");
    }
    titled = testdb_add_simple(wdb, c, "decorator.html", "Decorator", "en",
                               "published", T2024, "See the decorator page.");
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_reindex(wdb);

    m = run_q("decorator");
    ck_assert_int_eq(rid(m, 0), titled);
    ck_assert_int_eq(rid(m, 1), glossary);
    ck_assert(has_doc(m, mention[0]) && has_doc(m, mention[1]));
    json_decref(m);
    m = run_q("DECORATOR");
    ck_assert_int_eq(rid(m, 1), glossary);
    json_decref(m);

    /* a heading on too many pages is a template's: it ranks by score */
    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    for (i = 0; i < RANK_HEADING_DOCS + 1; i++) {
        snprintf(path, sizeof(path), "many%d.html", i);
        many[i] = testdb_add_document(wdb, c, path, "A page", "en", "published",
                                      T2024);
        testdb_add_section(wdb, many[i], 0, NULL, "A page", "", "Intro.");
        testdb_add_section(wdb, many[i], 1, "q", "", "Quux", "One quux here.");
    }
    quux = testdb_add_simple(wdb, c, "handbook.html", "The quux handbook", "en",
                             "published", T2024,
                             "Quux, quux and quux: all about quux.");
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_reindex(wdb);
    m = run_q("quux");
    ck_assert_int_eq(rid(m, 0), quux);
    json_decref(m);

    /* one withdrawn: the others' heading counts again */
    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    snprintf(sql, sizeof(sql),
             "UPDATE document SET status = 'withdrawn' WHERE id = %lld",
             (long long)many[0]);
    ck_assert_int_eq(db_exec(wdb, sql), SQLITE_OK);
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_reindex(wdb);
    m = run_q("quux");
    ck_assert(rid(m, 0) != quux && rid(m, 0) != many[0]);
    /* the twenty pages with the heading fill the first page */
    ck_assert(!has_doc(m, quux) && !has_doc(m, many[0]));
    json_decref(m);
}
END_TEST

/* The search log: counts kept in memory, written in one transaction;
 * a flush that cannot write keeps its counts (merged with what was noted
 * meanwhile), and the next one writes them all. */
static long
logged(const char *norm, int zero)
{
    sqlite3_stmt *st;
    long v = -1;

    ck_assert_int_eq(sqlite3_prepare_v2(db_handle(pf_wdb),
                                        zero ? "SELECT zero_count FROM"
                                               " search_log WHERE query_norm"
                                               " = ?1"
                                             : "SELECT count FROM search_log"
                                               " WHERE query_norm = ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, norm, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

START_TEST(test_searchlog)
{
    struct searchlog *l = searchlog_new(8);

    ck_assert_ptr_nonnull(l);
    searchlog_note(l, "Alpha", 0);
    searchlog_note(l, "alpha", 0);
    searchlog_note(l, "beta", 3);
    /* a read-only connection cannot write: nothing lost */
    ck_assert_int_eq(searchlog_flush(l, pf_rdb), -1);
    ck_assert_int_eq(logged("alpha", 0), -1);
    searchlog_note(l, "alpha", 1);
    searchlog_note(l, "gamma", 0);
    ck_assert_int_eq(searchlog_flush(l, pf_wdb), 3);
    ck_assert_int_eq(logged("alpha", 0), 3);
    ck_assert_int_eq(logged("alpha", 1), 2);
    ck_assert_int_eq(logged("beta", 0), 1);
    ck_assert_int_eq(logged("beta", 1), 0);
    ck_assert_int_eq(logged("gamma", 1), 1);
    /* written once: the next flush has nothing */
    ck_assert_int_eq(searchlog_flush(l, pf_wdb), 0);
    searchlog_note(l, "beta", 0);
    ck_assert_int_eq(searchlog_flush(l, pf_wdb), 1);
    ck_assert_int_eq(logged("beta", 0), 2);
    ck_assert_int_eq(logged("beta", 1), 1);
    searchlog_free(l);
}
END_TEST

START_TEST(test_page_html)
{
    struct fake f;
    struct req *r = get(&f, "/search", "q", "checkpoint", NULL, NULL, NULL,
                        NULL, NULL, NULL);
    const char *b;

    router_dispatch(r);
    b = body(&f);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_str_eq(r->resp.ctype, "text/html; charset=utf-8");
    ck_assert_ptr_nonnull(strstr(b, "<h1>"));
    ck_assert_ptr_nonnull(strstr(b, "<ol class=\"results\" start=\"1\">"));
    ck_assert_ptr_nonnull(strstr(b, "href=\"/c/sqlite/wal.html#ckpt\""));
    ck_assert_ptr_nonnull(strstr(b, "<mark>checkpoint</mark>"));
    ck_assert_ptr_nonnull(strstr(b, "value=\"checkpoint\""));
    ck_assert_ptr_nonnull(strstr(b, "<time datetime=\"2023-05-01\">"));
    done(&f);

    /* facets and pagination with links; hostile collection title */
    r = get(&f, "/search", "q", "zebra", "lang", "en", NULL, NULL, NULL, NULL);
    r->lang = 1;
    router_dispatch(r);
    b = body(&f);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_nonnull(strstr(b, "Misc &amp; &lt;Notes&gt;"));
    ck_assert_ptr_null(strstr(b, "<Notes>"));
    ck_assert_ptr_nonnull(strstr(b, "aria-label=\"Result pages\""));
    ck_assert_ptr_nonnull(
        strstr(b, "href=\"/search?q=zebra&amp;lang=en&amp;page=2\""));
    ck_assert_ptr_nonnull(strstr(b, "rel=\"next\""));
    ck_assert_ptr_null(strstr(b, "rel=\"prev\""));
    ck_assert_ptr_nonnull(strstr(b, "aria-label=\"Collections\""));
    /* removing the language filter keeps the query only */
    ck_assert_ptr_nonnull(strstr(b, "href=\"/search?q=zebra\""));
    ck_assert_ptr_nonnull(
        strstr(b, "<span aria-current=\"true\" lang=\"en\">"));
    done(&f);

    /* page 2 numbers its list from 21 */
    r = get(&f, "/search", "q", "zebra", "page", "2", NULL, NULL, NULL, NULL);
    router_dispatch(r);
    b = body(&f);
    ck_assert_ptr_nonnull(strstr(b, "start=\"21\""));
    ck_assert_ptr_nonnull(strstr(b, "rel=\"prev\""));
    ck_assert_ptr_nonnull(strstr(b, "<span aria-current=\"page\">2</span>"));
    done(&f);

    /* no q: a prompt, 200; no results: the message */
    r = get(&f, "/search", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    r->lang = 1;
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_nonnull(strstr(body(&f), "Type the words"));
    done(&f);
    r = get(&f, "/search", "q", "nothingmatchesthis", NULL, NULL, NULL, NULL,
            NULL, NULL);
    r->lang = 1;
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_nonnull(strstr(body(&f), "No document matches"));
    done(&f);

    /* the fallback says so, in both languages */
    r = get(&f, "/search", "q", "storage nothingmatchesthis", NULL, NULL, NULL,
            NULL, NULL, NULL);
    r->lang = 1;
    router_dispatch(r);
    b = body(&f);
    ck_assert_ptr_nonnull(strstr(b, "No document contains all of these"));
    ck_assert_ptr_null(strstr(b, "No document matches"));
    done(&f);
    r = get(&f, "/search", "q", "storage nothingmatchesthis", NULL, NULL, NULL,
            NULL, NULL, NULL);
    router_dispatch(r);
    ck_assert_ptr_nonnull(
        strstr(body(&f), "이 낱말이 모두 들어 있는 문서는 없습니다"));
    done(&f);
    r = get(&f, "/search", "q", "storage checkpoint", NULL, NULL, NULL, NULL,
            NULL, NULL);
    r->lang = 1;
    router_dispatch(r);
    b = body(&f);
    ck_assert_ptr_nonnull(strstr(b, "Only a few documents contain all"));
    ck_assert_ptr_nonnull(strstr(b, "href=\"/c/sqlite/wal.html"));
    done(&f);
    r = get(&f, "/search", "q", "storage", NULL, NULL, NULL, NULL, NULL, NULL);
    r->lang = 1;
    router_dispatch(r);
    ck_assert_ptr_null(strstr(body(&f), "contain all of these"));
    done(&f);

    /* a hostile query is escaped everywhere */
    r = get(&f, "/search", "q", "<script>\"'&{{x}}", NULL, NULL, NULL, NULL,
            NULL, NULL);
    router_dispatch(r);
    b = body(&f);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_null(strstr(b, "<script"));
    ck_assert_ptr_nonnull(strstr(b, "&lt;script&gt;&quot;&#39;&amp;{{x}}"));
    done(&f);

    /* Korean page */
    r = get(&f, "/search", "q", "이미지", NULL, NULL, NULL, NULL, NULL, NULL);
    router_dispatch(r);
    b = body(&f);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_nonnull(strstr(b, "<mark>이미지</mark>"));
    ck_assert_ptr_nonnull(strstr(b, "href=\"/c/kor/db.html\""));
    done(&f);
}
END_TEST

START_TEST(test_page_api)
{
    static const char *const top[] = {"query",    "total",   "mode",  "page",
                                      "per_page", "results", "facets"};
    static const char *const res[] = {"id",       "collection",  "path",
                                      "url",      "title",       "snippet_html",
                                      "language", "published_at"};
    struct fake f;
    struct req *r = get(&f, "/api/search", "q", "storage", NULL, NULL, NULL,
                        NULL, NULL, NULL);
    json_t *j, *e;
    size_t i;

    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_str_eq(r->resp.ctype, "application/json");
    j = json_loads(body(&f), 0, NULL);
    ck_assert_ptr_nonnull(j);
    ck_assert_uint_eq(json_object_size(j), 7);
    for (i = 0; i < 7; i++) {
        ck_assert_msg(json_object_get(j, top[i]) != NULL, "%s", top[i]);
    }
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 3);
    json_array_foreach(json_object_get(j, "results"), i, e)
    {
        size_t k;

        ck_assert_uint_eq(json_object_size(e), 8);
        for (k = 0; k < 8; k++) {
            ck_assert_msg(json_object_get(e, res[k]) != NULL, "%s", res[k]);
        }
    }
    e = json_object_get(j, "facets");
    ck_assert_uint_eq(json_object_size(e), 3);
    ck_assert_uint_eq(
        json_object_size(json_array_get(json_object_get(e, "collections"), 0)),
        3);
    ck_assert_uint_eq(
        json_object_size(json_array_get(json_object_get(e, "languages"), 0)),
        2);
    ck_assert_uint_eq(
        json_object_size(json_array_get(json_object_get(e, "years"), 0)), 2);
    json_decref(j);
    done(&f);

    /* empty q: the same shape, zero results */
    r = get(&f, "/api/search", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    j = json_loads(body(&f), 0, NULL);
    ck_assert_uint_eq(json_object_size(j), 7);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);
    done(&f);

    /* suggest: a JSON array, cacheable */
    r = get(&f, "/suggest", "q", "데이", NULL, NULL, NULL, NULL, NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_str_eq(r->resp.ctype, "application/json");
    ck_assert_str_eq(r->resp.cache_control, "public, max-age=60");
    j = json_loads(body(&f), 0, NULL);
    ck_assert(json_is_array(j));
    ck_assert_uint_eq(json_array_size(j), 1);
    ck_assert_str_eq(
        json_string_value(json_object_get(json_array_get(j, 0), "url")),
        "/c/kor/db.html");
    json_decref(j);
    done(&f);
    r = get(&f, "/suggest", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_str_eq(body(&f), "[]");
    done(&f);
}
END_TEST

START_TEST(test_page_bad_params)
{
    static const char *const bad[][2] = {
        {"page", "abc"},        {"page", "-1"},
        {"page", "0"},          {"page", "99999999999999999999"},
        {"page", "2x"},         {"page", ""},
        {"year", "abc"},        {"year", "99999999999"},
        {"year", "-2023"},      {"per_page", "0"},
        {"per_page", "100000"}, {"c", "<script>"},
        {"c", "\xff\xfe"},      {"lang", "\xc3"},
        {"lang", "en\"><b>"},   {"c", ""},
    };
    static const char *const paths[] = {"/search", "/api/search"};
    size_t i, k;

    for (k = 0; k < 2; k++) {
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            struct fake f;
            struct req *r = get(&f, paths[k], "q", "zebra", bad[i][0],
                                bad[i][1], NULL, NULL, NULL, NULL);

            router_dispatch(r);
            ck_assert_msg(r->resp.status == 200, "%s %s=%s: %d", paths[k],
                          bad[i][0], bad[i][1], r->resp.status);
            ck_assert_ptr_null(strstr(body(&f), "<script>"));
            ck_assert_ptr_null(strstr(body(&f), "<b>"));
            done(&f);
        }
    }
    /* a page past the last one offers the first */
    {
        struct fake f;
        struct req *r = get(&f, "/search", "q", "zebra", "page", "7", NULL,
                            NULL, NULL, NULL);

        r->lang = 1;
        router_dispatch(r);
        ck_assert_int_eq(r->resp.status, 200);
        ck_assert_ptr_nonnull(strstr(body(&f), "Go to the first page"));
        ck_assert_ptr_nonnull(strstr(body(&f), "href=\"/search?q=zebra\""));
        done(&f);
    }
}
END_TEST

/* A database error is -1 from lib/ and 500 from the pages. */
START_TEST(test_db_error)
{
    struct db *empty = testdb_connect(&pf_db, "empty.db", NULL, DB_CREATE);
    struct search_params p = {"zebra", NULL, NULL, 0, 1, 0, 0};
    json_t *m = (json_t *)&p, *a = (json_t *)&p;
    struct fake f;
    struct req *r;

    ck_assert_int_eq(search_run(empty, &p, "", &m), -1);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(search_suggest(empty, "zebra", "", &a), -1);
    ck_assert_ptr_null(a);
    r = get(&f, "/search", "q", "zebra", NULL, NULL, NULL, NULL, NULL, NULL);
    r->db = empty;
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 500);
    done(&f);
    r = get(&f, "/suggest", "q", "zebra", NULL, NULL, NULL, NULL, NULL, NULL);
    r->db = empty;
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 500);
    done(&f);
    db_close(empty);
}
END_TEST

/* Every allocation failing in turn: an error or a whole answer. */
START_TEST(test_oom)
{
    struct search_params p = {"storage 이미지", NULL, NULL, 0, 1, 0, 0};
    json_t *m;
    long n;
    int ok = 0;

    /* warm the statement cache so that failures hit search.c */
    m = run_q("storage");
    json_decref(m);
    for (n = 0; n < 400 && !ok; n++) {
        int rc;

        alloc_set_fail_after(n);
        rc = search_run(rdb, &p, "", &m);
        alloc_set_fail_after(-1);
        if (rc == 0) {
            json_decref(m);
            ok = n > 0;
        } else {
            ck_assert_ptr_null(m);
        }
    }
    ck_assert(ok);
    for (n = 0; n < 50; n++) {
        alloc_set_fail_after(n);
        if (search_suggest(rdb, "note", "", &m) == 0) {
            ck_assert_uint_eq(json_array_size(m), SEARCH_SUGGEST_MAX);
            json_decref(m);
        }
        alloc_set_fail_after(-1);
    }
}
END_TEST

/* ---- top k (search.c, "Top k"; impact.h) ---- */

/* A deterministic generator for the top-k corpus. */
static unsigned long topk_seed = 12345;

static unsigned
topk_rand(unsigned n)
{
    topk_seed = topk_seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (unsigned)((topk_seed >> 33) % n);
}

/* Words with frequencies from common to rare (a Zipf-like draw), some
 * that porter stems to something else than itself, two Korean ones. */
static const char *const topk_words[] = {
    "tables",     "response",     "data",   "indexes", "running",
    "query",      "journal",      "pages",  "memory",  "connections",
    "cache",      "value",        "rows",   "writer",  "reader",
    "checkpoint", "데이터베이스", "관리자", "locking", "vacuum",
    "schema",     "trigger",      "column", "planner", "storage",
};
#define TOPK_NWORDS (sizeof(topk_words) / sizeof(topk_words[0]))

static const char *
topk_word(void)
{
    /* rank r with weight about 1/(r+1) */
    unsigned r = topk_rand(1000), k = 0, acc = 0;
    static const unsigned w[TOPK_NWORDS] = {
        200, 150, 110, 90, 70, 60, 50, 42, 36, 30, 26, 22, 19,
        16,  14,  12,  10, 9,  8,  7,  6,  5,  4,  3,  1};

    for (k = 0; k < TOPK_NWORDS - 1; k++) {
        acc += w[k];
        if (r < acc) {
            break;
        }
    }
    return topk_words[k];
}

/* Text of n random words into buf. */
static void
topk_text(char *buf, size_t cap, int n)
{
    size_t len = 0;
    int i;

    buf[0] = '\0';
    for (i = 0; i < n && len + 40 < cap; i++) {
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? " " : "",
                                topk_word());
    }
}

/* The collection whose titles carry its name, as a mirrored site's do
 * ("tables | Top k two"): a title affix (searchcat.h). */
static sqlite3_int64 topk_named;

/* Add one document of the top-k corpus; returns its id. */
static sqlite3_int64
topk_doc(sqlite3_int64 coll, int i, const char *status)
{
    char path[64], title[160], heading[128], body[2048];
    sqlite3_int64 d;

    snprintf(path, sizeof(path), "t%d.html", i);
    if (i % 97 == 0) {
        snprintf(title, sizeof(title), "tables"); /* exact titles */
    } else {
        topk_text(title, sizeof(title), 1 + (int)topk_rand(3));
    }
    if (coll == topk_named) {
        size_t n = strlen(title);

        snprintf(title + n, sizeof(title) - n, " | Top k two");
    }
    topk_text(heading, sizeof(heading), (int)topk_rand(3));
    topk_text(body, sizeof(body), 3 + (int)topk_rand(60));
    d = testdb_add_document(wdb, coll, path, title, i % 5 == 0 ? "ko" : "en",
                            status, T2023 + i % 3 * 366 * 86400LL);
    testdb_add_section(wdb, d, 0, NULL, title, heading, body);
    if (i % 7 == 0) {
        char sql[160];

        /* hubs: a link share past RANK_HUB_FROM */
        snprintf(sql, sizeof(sql),
                 "INSERT OR REPLACE INTO doc_signal(document_id, link_share)"
                 " VALUES (%lld, %f)",
                 (long long)d, 0.5 + topk_rand(50) / 100.0);
        ck_assert_int_eq(db_exec(wdb, sql), SQLITE_OK);
    }
    return d;
}

/* The ids of a model's results, as one string. */
static void
topk_ids(const json_t *m, char *out, size_t cap)
{
    size_t i, len = 0;

    out[0] = '\0';
    for (i = 0; i < json_array_size(results(m)) && len + 24 < cap; i++) {
        len += (size_t)snprintf(out + len, cap - len, "%lld ", rid(m, i));
    }
}

static void
topk_set_status(sqlite3_int64 d, const char *status)
{
    char sql[128];

    snprintf(sql, sizeof(sql),
             "UPDATE document SET status = '%s' WHERE id = %lld", status,
             (long long)d);
    ck_assert_int_eq(db_exec(wdb, sql), SQLITE_OK);
}

/* Catalogs a and b hold the same: every document's entry (its language
 * by code: an update keeps a language no document has any more), every
 * section's, the counts and the means. */
static void
same_catalog(const struct searchcat *a, const struct searchcat *b)
{
    size_t i;

    ck_assert_uint_eq(a->ndoc, b->ndoc);
    ck_assert_uint_eq(a->nsec, b->nsec);
    ck_assert_uint_eq(a->npublished, b->npublished);
    for (i = 0; i < a->ndoc; i++) {
        const struct searchcat_doc *x = &a->doc[i], *y = &b->doc[i];

        ck_assert_msg(x->coll == y->coll && x->year == y->year &&
                          x->hub == y->hub && x->sec_lo == y->sec_lo &&
                          x->sec_hi == y->sec_hi &&
                          memcmp(x->ntok, y->ntok, sizeof(x->ntok)) == 0,
                      "document %zu differs", i);
        if (x->coll == 0) {
            continue; /* not published: nothing else is read */
        }
        ck_assert_msg((x->lang == SEARCHCAT_NO_LANG) ==
                          (y->lang == SEARCHCAT_NO_LANG),
                      "document %zu's language", i);
        if (x->lang != SEARCHCAT_NO_LANG) {
            ck_assert_str_eq(a->langs[x->lang], b->langs[y->lang]);
        }
    }
    ck_assert(memcmp(a->sec_doc, b->sec_doc, a->nsec * sizeof(*a->sec_doc)) ==
              0);
    ck_assert(memcmp(a->sec_bytes, b->sec_bytes,
                     a->nsec * sizeof(*a->sec_bytes)) == 0);
    ck_assert(memcmp(a->avg_ntok, b->avg_ntok, sizeof(a->avg_ntok)) == 0);
    ck_assert_uint_eq(a->ncoll_affix, b->ncoll_affix);
    for (i = 0; i < a->ncoll_affix; i++) {
        const struct searchcat_affix *x, *y;

        ck_assert_uint_eq(a->coll_affix[i].coll, b->coll_affix[i].coll);
        x = searchcat_affix_of(a, a->coll_affix[i].coll);
        y = searchcat_affix_of(b, b->coll_affix[i].coll);
        ck_assert_str_eq(x->prefix, y->prefix);
        ck_assert_str_eq(x->suffix, y->suffix);
    }
}

/* A catalog brought to a new generation by the documents that changed
 * (searchcat_update) equals a catalog built anew, after every kind of
 * change: documents published with new ids, pending ones approved,
 * published ones withdrawn, deleted, retitled, given another language or
 * date, re-signalled; a language new to the catalog; one with no
 * document left.  Past the kept generations (search_change_floor), and
 * after a full reindex, it declines and a build is made; the server's
 * cache counts the updates. */
START_TEST(test_catalog_update)
{
    sqlite3_int64 c1, c2, ids[400], pend[20], d;
    struct searchcat *a = NULL, *b = NULL, *f = NULL;
    struct searchcache *sc;
    struct searchcache_stats st;
    int64_t g0, g1;
    int i, np = 0, n = 400, hit;
    json_t *m;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    c1 = testdb_add_collection(wdb, "cu1", "Update one", "en");
    c2 = testdb_add_collection(wdb, "cu2", "Update two", "ko");
    topk_named = c2;
    for (i = 0; i < n; i++) {
        int pending = i % 20 == 1;

        ids[i] =
            topk_doc(i % 3 ? c1 : c2, i, pending ? "pending" : "published");
        if (pending) {
            pend[np++] = ids[i];
        }
    }
    d = testdb_add_simple(wdb, c1, "fr.html", "Notes", "fr", "published", T2023,
                          "the only page in French");
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_reindex(wdb);

    sc = searchcache_new(1 << 20);
    ck_assert_ptr_nonnull(sc);
    m = cached_q(sc, "tables", 1, &hit);
    json_decref(m);
    ck_assert_int_eq(db_read_begin(rdb), SQLITE_OK);
    ck_assert_int_eq(search_generation(rdb, &g0), 0);
    ck_assert_int_eq(searchcat_build(rdb, g0, &a), 0);
    db_read_end(rdb);

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    for (i = 0; i < 30; i++) {
        ck_assert_int_eq(
            docindex_put(wdb, topk_doc(i % 2 ? c1 : c2, n + i, "published")),
            0);
    }
    ck_assert_int_eq(
        docindex_put(wdb, testdb_add_simple(wdb, c2, "de.html", "Hinweise",
                                            "de", "published", T2023,
                                            "die einzige Seite auf Deutsch")),
        0);
    for (i = 0; i < np; i += 2) {
        topk_set_status(pend[i], "published");
        ck_assert_int_eq(docindex_put(wdb, pend[i]), 0);
    }
    for (i = 4; i < n; i += 37) {
        ck_assert_int_ge(docindex_drop(wdb, ids[i]), 0);
        topk_set_status(ids[i], "withdrawn");
    }
    ck_assert_int_ge(docindex_drop(wdb, d), 0);
    topk_set_status(d, "withdrawn");
    ck_assert_int_eq(
        db_exec(wdb, "UPDATE document SET language = 'ko', published_at = 0"
                     " WHERE id IN (SELECT id FROM document WHERE status ="
                     " 'published' AND language = 'en' ORDER BY id LIMIT 5)"),
        SQLITE_OK);
    ck_assert_int_eq(db_exec(wdb, "UPDATE doc_signal SET link_share = 0.9"
                                  " WHERE document_id % 3 = 0"),
                     SQLITE_OK);
    ck_assert_int_ge(docindex_drop(wdb, ids[n - 2]), 0);
    ck_assert_int_eq(db_run_int64(wdb, "DELETE FROM document WHERE id = :d",
                                  ":d", ids[n - 2]),
                     0);
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);

    ck_assert_int_eq(db_read_begin(rdb), SQLITE_OK);
    ck_assert_int_eq(search_generation(rdb, &g1), 0);
    ck_assert_int_gt(g1, g0);
    ck_assert_int_eq(searchcat_update(rdb, a, g1, &b), 0);
    ck_assert_int_eq(searchcat_build(rdb, g1, &f), 0);
    ck_assert_int_eq(b->gen, g1);
    same_catalog(b, f);
    ck_assert_int_ge(searchcat_lang(b, "de"), 0);
    ck_assert_ptr_null(searchcat_affix_of(b, (uint32_t)c1));
    ck_assert_str_eq(searchcat_affix_of(b, (uint32_t)c2)->suffix,
                     "| top k two");
    db_read_end(rdb);
    /* The server's cache made the new catalog from the old one. */
    m = cached_q(sc, "tables", 1, &hit);
    json_decref(m);
    searchcache_stats(sc, &st);
    ck_assert_int_eq(st.catalogs, 2);
    ck_assert_int_eq(st.catalog_updates, 1);
    /* A replaced file: results and catalog forgotten, built anew. */
    m = cached_q(sc, "tables", 1, &hit);
    json_decref(m);
    ck_assert_int_eq(hit, 1);
    searchcache_forget(sc);
    m = cached_q(sc, "tables", 1, &hit);
    json_decref(m);
    ck_assert_int_eq(hit, 0);
    searchcache_stats(sc, &st);
    ck_assert_int_eq(st.catalogs, 3);
    ck_assert_int_eq(st.catalog_updates, 1);
    searchcache_free(sc);

    /* Generations past those kept: the rows are gone, the floor says so. */
    searchcat_unref(f);
    f = NULL;
    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    ck_assert_int_eq(db_exec(wdb,
                             "UPDATE setting SET value = CAST(value AS INTEGER)"
                             " + 200000 WHERE key = 'search_generation'"),
                     SQLITE_OK);
    ck_assert_int_gt(docindex_changes_prune(wdb), 0);
    ck_assert_int_eq(docindex_changes_prune(wdb), 0);
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    ck_assert_int_eq(db_read_begin(rdb), SQLITE_OK);
    ck_assert_int_eq(search_generation(rdb, &g1), 0);
    ck_assert_int_eq(searchcat_update(rdb, b, g1, &f), 1);
    ck_assert_ptr_null(f);
    ck_assert_int_eq(searchcat_build(rdb, g1, &f), 0);
    db_read_end(rdb);
    /* A catalog of the present generation updates; after a full reindex
     * it does not. */
    testdb_reindex(wdb);
    ck_assert_int_eq(db_read_begin(rdb), SQLITE_OK);
    ck_assert_int_eq(search_generation(rdb, &g1), 0);
    searchcat_unref(b);
    b = NULL;
    ck_assert_int_eq(searchcat_update(rdb, f, g1, &b), 1);
    ck_assert_ptr_null(b);
    db_read_end(rdb);
    searchcat_unref(a);
    searchcat_unref(f);
}
END_TEST

/* The catalog's memo of document counts (searchcat.h), on
 * test_topk_exact's 3,000 documents: a search whose snapshot is at
 * another generation leaves it alone; one at the catalog's fills it with
 * the count a scan gives, and gives the same page as without it; and the
 * next search at that generation reads the count from it (a false count
 * put there changes the ranking). */
static void
memo_checks(void)
{
    static const char q[] = "tables response";
    struct search_params p = {q, NULL, NULL, 0, 1, 50, 0};
    struct searchcat *cat = NULL;
    struct query_info info;
    struct strbuf match = STRBUF_INIT, key = STRBUF_INIT;
    char x[4096], y[4096], z[4096];
    json_t *a = NULL, *b = NULL, *c = NULL;
    int64_t gen;
    long df = -1, n;

    ck_assert_int_eq(db_read_begin(rdb), SQLITE_OK);
    ck_assert_int_eq(search_generation(rdb, &gen), 0);
    ck_assert_int_eq(searchcat_build(rdb, gen, &cat), 0);
    ck_assert_ptr_nonnull(cat->memo);
    ck_assert_int_eq(query_build(q, strlen(q), &match, &info), 0);
    ck_assert_int_eq(info.n_positive, 2);
    query_term_expr(&info.term[0], &key);
    ck_assert(strbuf_ok(&key));

    ck_assert_int_eq(search_run_cat(rdb, cat, gen + 1, &p, "", &a), 0);
    ck_assert_int_eq(searchcat_df_get(cat, strbuf_peek(&key), key.len, &df), 0);
    ck_assert_int_eq(search_run_cat(rdb, cat, gen, &p, "", &b), 0);
    ck_assert_int_eq(searchcat_df_get(cat, strbuf_peek(&key), key.len, &df), 1);
    /* The count a one-word search gives as its total ("tables" is not
     * collapsed: every document differs). */
    {
        struct search_params one = {"tables", NULL, NULL, 0, 1, 0, 1};
        json_t *t = NULL;

        ck_assert_int_eq(search_run_cat(rdb, cat, -1, &one, "", &t), 0);
        n = (long)total(t);
        json_decref(t);
    }
    ck_assert_int_eq(df, n);
    /* Counted from term_docs (with the documents published, approved,
     * withdrawn and re-signalled since the build), each word's count is
     * the index's. */
    {
        size_t w;
        int rows = 0;

        for (w = 0; w < TOPK_NWORDS; w++) {
            struct query_info wi;
            struct strbuf wm = STRBUF_INIT, we = STRBUF_INIT;
            char tok[2][IMPACT_MAX_TERM + 1];
            const char *word = topk_words[w];
            sqlite3_stmt *st;
            int64_t count = -1;
            long got;

            ck_assert_int_eq(query_build(word, strlen(word), &wm, &wi), 0);
            query_term_expr(&wi.term[0], &we);
            ck_assert(strbuf_ok(&we));
            if (impact_tokens(rdb, word, strlen(word), tok, 2) != 1) {
                strbuf_free(&wm);
                strbuf_free(&we);
                continue;
            }
            got = impact_docs_df(rdb, cat, tok[0], strlen(tok[0]),
                                 strbuf_peek(&we));
            st = db_stmt(rdb, "SELECT count(*) FROM doc_fts"
                              " WHERE doc_fts MATCH :m");
            ck_assert_int_eq(db_bind_text(st, ":m", strbuf_peek(&we)),
                             SQLITE_OK);
            ck_assert_int_eq(db_one_int64(st, &count), 1);
            if (got != -2) {
                ck_assert_msg(got == (long)count, "%s: %ld, index %lld", word,
                              got, (long long)count);
                rows++;
            }
            strbuf_free(&wm);
            strbuf_free(&we);
        }
        /* The words in 2,000 documents or more have rows (what the
         * refresh before memo_checks built). */
        ck_assert_int_ge(rows, 8);
    }
    topk_ids(a, x, sizeof(x));
    topk_ids(b, y, sizeof(y));
    ck_assert_str_eq(x, y);
    /* "tables" in every document: its idf falls to its floor, and the
     * order follows "response" alone. */
    searchcat_df_put(cat, strbuf_peek(&key), key.len, (long)cat->npublished);
    ck_assert_int_eq(search_run_cat(rdb, cat, gen, &p, "", &c), 0);
    topk_ids(c, z, sizeof(z));
    ck_assert_str_ne(y, z);
    db_read_end(rdb);
    json_decref(a);
    json_decref(b);
    json_decref(c);
    searchcat_unref(cat);
    strbuf_free(&match);
    strbuf_free(&key);
}

/* Every page a query gives by the impact lists is the page exhaustive
 * scoring gives: single words (some stemmed), phrases, Korean words (the
 * list of a token bounds them), exclusions, filters, deeper pages and
 * page sizes; with documents published after the lists were built (new
 * ids, and an old pending one approved), withdrawn ones still in the
 * lists, hubs and exact titles. */
/* The top-k corpus: 3,000 documents of topk_doc (8 of them pending),
 * and 140 where the proximity bonus alone decides; indexed.  Its ids into
 * t. */
struct topk_corpus {
    sqlite3_int64 c1, c2, ids[3000], pend[8];
    int n, np;
};

static void
topk_corpus(struct topk_corpus *t)
{
    int i;

    memset(t, 0, sizeof(*t));
    t->n = 3000;
    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    t->c1 = testdb_add_collection(wdb, "tk1", "Top k one", "en");
    t->c2 = testdb_add_collection(wdb, "tk2", "Top k two", "ko");
    topk_named = t->c2;
    for (i = 0; i < t->n; i++) {
        int pending = i % 400 == 3 && t->np < 8;

        t->ids[i] = topk_doc(i % 3 ? t->c1 : t->c2, i,
                             pending ? "pending" : "published");
        if (pending) {
            t->pend[t->np++] = t->ids[i];
        }
    }
    /* Where the proximity bonus alone decides: 80 pages with the two
     * words six apart, then 60 a token longer (a lower score without the
     * bonus) with them side by side, which lead.  A multi-word walk that
     * left the bonus out of its bound would stop before them. */
    for (i = 0; i < 140; i++) {
        char path[32];
        sqlite3_int64 d;

        snprintf(path, sizeof(path), "marsupial%d.html", i);
        d = testdb_add_document(wdb, t->c1, path, "Marsupial notes", "en",
                                "published", T2023);
        testdb_add_section(
            wdb, d, 0, NULL, "Marsupial notes", "",
            i < 80 ? "wombat alpha beta gamma delta epsilon quokka"
                   : "wombat quokka alpha beta gamma delta epsilon zeta");
    }
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    testdb_reindex(wdb);
}

/* The changes after (or during) a build of the lists, each kind in its
 * own write transaction: part 0 publishes new documents, 1 approves the
 * old pending ones, 2 withdraws some, 3 makes hubs stop being hubs (their
 * entries no longer bound them). */
static void
topk_change(struct topk_corpus *t, int part)
{
    int i;

    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    switch (part) {
    case 0:
        for (i = 0; i < 60; i++) {
            ck_assert_int_eq(
                docindex_put(wdb, topk_doc(t->c1, t->n + i, "published")), 0);
        }
        break;
    case 1:
        for (i = 0; i < t->np; i++) {
            topk_set_status(t->pend[i], "published");
            ck_assert_int_eq(docindex_put(wdb, t->pend[i]), 0);
        }
        break;
    case 2:
        for (i = 10; i < t->n; i += 150) {
            ck_assert_int_ge(docindex_drop(wdb, t->ids[i]), 0);
            topk_set_status(t->ids[i], "withdrawn");
        }
        break;
    default:
        ck_assert_int_eq(db_exec(wdb, "UPDATE doc_signal SET link_share = 0"
                                      " WHERE document_id % 2 = 0"),
                         SQLITE_OK);
    }
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
}

/* What topk_compare saw. */
struct topk_seen {
    int planned, compared, walked, fell_walked, multi, multi_walked;
    int phrase_walked;
};

/* Every query of the corpus in several variants (filters, pages), ranked
 * three ways: as a server would, exhaustively, and with a walk forced
 * where one is possible; the three first pages and totals are equal. */
static void
topk_compare(struct topk_seen *seen)
{
    static const char *const extra[] = {
        "\"tables response\"",
        "tables -data",
        "데이터베이스",
        "관리자",
        "\"data pages\"",
        "tables*",
        "response -관리자",
        /* Misspelt words beside a right one: the fallback is that
         * word's ranking (fallback_one_word). */
        "zzqxq tables",
        "tables zzqxq -data",
        "zzqxq yyqxq response",
        "zzqxq 데이터베이스",
        "zzqxq \"data pages\"",
        /* Several words: bounded by term_docs (multi_plan). */
        "tables response",
        "response tables -data",
        "data value rows",
        "tables 데이터베이스",
        "running indexes query journal",
        "wombat quokka",
    };
    int i;

    memset(seen, 0, sizeof(*seen));
    for (i = 0; i < (int)(TOPK_NWORDS + sizeof(extra) / sizeof(extra[0]));
         i++) {
        const char *q =
            i < (int)TOPK_NWORDS ? topk_words[i] : extra[i - (int)TOPK_NWORDS];
        static const struct {
            const char *c, *lang;
            int year, page, per_page;
        } v[] = {{NULL, NULL, 0, 1, 0},   {NULL, NULL, 0, 2, 0},
                 {NULL, NULL, 0, 3, 50},  {NULL, NULL, 0, 1, 5},
                 {"tk2", NULL, 0, 1, 0},  {NULL, "ko", 0, 1, 0},
                 {NULL, NULL, 2024, 1, 0}};
        size_t k;

        for (k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
            struct search_params a = {
                q, v[k].c, v[k].lang, v[k].year, v[k].page, v[k].per_page, 0};
            struct search_params b = a, c = a;
            char x[2048], y[2048], z[2048];
            json_t *ma = NULL, *mb = NULL, *mc = NULL;

            b.exhaustive = 1;
            c.exhaustive = -1;
            ck_assert_int_eq(search_run(rdb, &a, "", &ma), 0);
            ck_assert_int_eq(search_run(rdb, &b, "", &mb), 0);
            ck_assert_msg(search_run(rdb, &c, "", &mc) == 0, "%s (variant %zu)",
                          q, k);
            ck_assert(json_object_get(mb, "topk") == NULL);
            seen->planned += json_is_true(json_object_get(ma, "topk"));
            /* Walks that cost more than scoring every match (Korean
             * words, exclusions in 3,000 documents) are not taken; forced,
             * they must give the same page. */
            seen->walked += json_is_true(json_object_get(mc, "topk")) &&
                            !json_is_true(json_object_get(ma, "topk"));
            /* A phrase of several words is walked by its words' rows of
             * term_docs (multi_plan). */
            if (q[0] == '"' && strchr(q, ' ') != NULL) {
                seen->phrase_walked +=
                    json_is_true(json_object_get(mc, "topk"));
            }
            if (strncmp(q, "zzqxq ", 6) == 0 || strstr(q, " zzqxq ")) {
                ck_assert_str_eq(json_string_value(json_object_get(ma, "mode")),
                                 "any");
                ck_assert_str_eq(json_string_value(json_object_get(mb, "mode")),
                                 "any");
                seen->fell_walked += json_is_true(json_object_get(ma, "topk"));
            } else if (q[0] != '"' && strchr(q, ' ') != NULL) {
                seen->multi++;
                seen->multi_walked += json_is_true(json_object_get(mc, "topk"));
            }
            topk_ids(ma, x, sizeof(x));
            topk_ids(mb, y, sizeof(y));
            topk_ids(mc, z, sizeof(z));
            ck_assert_msg(strcmp(x, y) == 0, "%s (variant %zu):\n%s\n%s", q, k,
                          x, y);
            ck_assert_msg(strcmp(z, y) == 0,
                          "%s (variant %zu, walked):\n%s\n%s", q, k, z, y);
            if (!json_is_true(json_object_get(ma, "total_approx"))) {
                ck_assert_int_eq(total(ma), total(mb));
            }
            seen->compared++;
            json_decref(ma);
            json_decref(mb);
            json_decref(mc);
        }
    }
}

START_TEST(test_topk_exact)
{
    static struct topk_corpus t;
    struct topk_seen seen;
    int part;

    topk_corpus(&t);
    /* Lists for every word in 40 documents or more. */
    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    ck_assert_int_gt(impact_build(wdb, 40, NULL), 10);
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    for (part = 0; part < 4; part++) {
        topk_change(&t, part);
    }
    topk_compare(&seen);
    /* Some of the words compared are the headings of a few documents:
     * those lead (rank.h, "Heading keys"), walked and exhaustively. */
    {
        static const char sql[] =
            "SELECT count(*) FROM heading_key k JOIN document d"
            " ON d.id = k.document_id AND d.status = 'published'"
            " WHERE k.key = :k";
        size_t i, led = 0;

        for (i = 0; i < TOPK_NWORDS; i++) {
            sqlite3_stmt *st = db_stmt(wdb, sql);
            int64_t n = 0;

            ck_assert_ptr_nonnull(st);
            ck_assert_int_eq(db_bind_text(st, ":k", topk_words[i]), SQLITE_OK);
            ck_assert_int_eq(db_one_int64(st, &n), 1);
            led += n >= 1 && n <= RANK_HEADING_DOCS;
        }
        ck_assert_uint_gt(led, 0);
    }
    /* Most of them were ranked from a list (not prefixes, not the two-word
     * ones). */
    ck_assert_int_gt(seen.planned, seen.compared / 2);
    ck_assert_int_gt(seen.walked, 0);
    /* The misspelt queries' fallback of one listed word was walked. */
    ck_assert_int_ge(seen.fell_walked, 2 * 7);
    /* Most of the queries of several words were walked (not those a
     * filter leaves too few documents of). */
    ck_assert_int_gt(seen.multi_walked, seen.multi / 2);
    ck_assert_int_gt(seen.phrase_walked, 0);
    /* "tables | Top k two" is an exact title of "tables" in its
     * collection: they lead its first page, walked (and, by topk_compare,
     * exhaustively). */
    {
        struct search_params one = {"tables", "tk2", NULL, 0, 1, 50, 0};
        json_t *mo, *r;
        size_t k, named = 0, exact = 0;

        ck_assert_int_eq(search_run(rdb, &one, "", &mo), 0);
        ck_assert(json_is_true(json_object_get(mo, "topk")));
        r = json_object_get(mo, "results");
        ck_assert_uint_gt(json_array_size(r), 0);
        for (k = 0; k < json_array_size(r); k++) {
            const char *ti = json_string_value(
                json_object_get(json_array_get(r, k), "title"));

            if (strcmp(ti, "tables") == 0 ||
                strcmp(ti, "tables | Top k two") == 0) {
                ck_assert_uint_eq(exact, k); /* they lead */
                exact++;
                named += ti[6] != '\0';
            }
        }
        ck_assert_uint_gt(named, 0);
        ck_assert_uint_eq(exact, named);
        json_decref(mo);
    }
    /* Lists built with other ranking constants are not used; the next
     * refresh builds them again. */
    {
        struct search_params one = {"tables", NULL, NULL, 0, 1, 0, 0};
        json_t *mo;

        testdb_write(wdb, "UPDATE impact_meta SET rank_params = 'k1 9'");
        ck_assert_int_eq(search_run(rdb, &one, "", &mo), 0);
        ck_assert(json_object_get(mo, "topk") == NULL);
        json_decref(mo);
        ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
        ck_assert_int_gt(impact_refresh(wdb, NULL), 0);
        ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
        ck_assert_int_eq(search_run(rdb, &one, "", &mo), 0);
        ck_assert(json_is_true(json_object_get(mo, "topk")));
        json_decref(mo);
    }
    memo_checks();
}
END_TEST

/* What test_topk_online's build does between its transactions. */
struct topk_hook {
    struct topk_corpus *t;
    int calls;
    int change_at[4]; /* after which call each part of topk_change is made */
    int newer_at;     /* after which another build begins (0: none) */
    sqlite3_int64 tail[4]; /* pending, with ids past every indexed one */
    int tail_at;           /* after which they are approved */
    int stop_at;           /* after which it says stop (0: never) */
    int cut_at;            /* after which the change log is cut (0: none) */
};

static int
topk_between(void *ctx)
{
    struct topk_hook *h = ctx;
    int part;

    h->calls++;
    for (part = 0; part < 4; part++) {
        if (h->calls == h->change_at[part]) {
            topk_change(h->t, part);
        }
    }
    if (h->calls == h->tail_at) {
        ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
        for (part = 0; part < 4; part++) {
            topk_set_status(h->tail[part], "published");
            ck_assert_int_eq(docindex_put(wdb, h->tail[part]), 0);
        }
        ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    }
    if (h->calls == h->newer_at) {
        testdb_write(wdb, "UPDATE setting SET value = value + 1"
                          " WHERE key = 'impact_build'");
    }
    /* As a reindex does (docindex_rebuild). */
    if (h->calls == h->cut_at) {
        testdb_write(wdb, "UPDATE setting SET value = value + 1"
                          " WHERE key = 'search_generation'");
        testdb_write(wdb, "UPDATE setting SET value = (SELECT value FROM"
                          " setting WHERE key = 'search_generation')"
                          " WHERE key = 'search_change_floor'");
    }
    return h->calls == h->stop_at;
}

/* Rows in the lists of slot k (lists and term_docs). */
static int64_t
slot_rows(int k)
{
    int64_t n = -1;
    sqlite3_stmt *st =
        db_stmt(wdb, k == 0 ? "SELECT (SELECT count(*) FROM term_impact)"
                              " + (SELECT count(*) FROM term_docs)"
                            : "SELECT (SELECT count(*) FROM term_impact_1)"
                              " + (SELECT count(*) FROM term_docs_1)");

    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(db_one_int64(st, &n), 1);
    return n;
}

/* The largest document id in the lists and rows of build m. */
static int64_t
lists_max_doc(const struct impact_meta *m)
{
    sqlite3_stmt *st =
        db_stmt(wdb, m->slot == 0 ? "SELECT term FROM term_impact"
                                  : "SELECT term FROM term_impact_1");
    int64_t max = 0;
    int rc;

    ck_assert_ptr_nonnull(st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *term = (const char *)sqlite3_column_text(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0), i;
        struct impact_list l;
        struct impact_docs d;
        uint32_t doc;
        double x;

        ck_assert_int_eq(impact_list_read(wdb, m, term, n, &l), 1);
        for (i = 0; i < l.n; i++) {
            max = impact_entry_doc(&l, i) > max ? impact_entry_doc(&l, i) : max;
        }
        impact_list_free(&l);
        ck_assert_int_eq(impact_docs_read(wdb, m, term, n, &d), 1);
        while (impact_docs_next(&d, &doc, &x) == 1) {
            max = doc > max ? doc : max;
        }
        impact_docs_free(&d);
    }
    ck_assert_int_eq(rc, SQLITE_DONE);
    sqlite3_reset(st);
    return max;
}

/* A build outside a transaction (impact_build online) while documents are
 * published, approved, withdrawn and re-signalled between its
 * transactions: every first page is still the exhaustive ranking's, the
 * new lists are in the other pair of tables and the old pair is empty.  A
 * build that a newer one overtakes, or whose change log was cut, gives way
 * and the lists in use stay, as they do when it is stopped; the next
 * build clears what it left. */
START_TEST(test_topk_online)
{
    static struct topk_corpus t;
    struct topk_hook h;
    struct impact_online o;
    struct impact_meta m;
    struct topk_seen seen;
    long built;
    int64_t late = 0, upto = 0;

    topk_corpus(&t);
    ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
    built = impact_build(wdb, 40, NULL);
    ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
    ck_assert_int_gt(built, 10);
    ck_assert_int_eq(impact_meta_read(wdb, &m), 1);
    ck_assert_int_eq(m.slot, 0);
    ck_assert_int_eq(slot_rows(1), 0);

    /* One list per transaction; the changes among the lists' builds. */
    memset(&o, 0, sizeof(o));
    memset(&h, 0, sizeof(h));
    o.batch_bytes = 1;
    o.write_ms = 1;
    o.between = topk_between;
    o.ctx = &h;
    h.t = &t;
    h.change_at[0] = 3;
    h.change_at[1] = 5;
    h.change_at[2] = 7;
    h.change_at[3] = 9;
    /* Pending pages past every indexed id, approved during it: the
     * catalog it read has them, unpublished. */
    {
        sqlite3_stmt *st = db_stmt(wdb, "SELECT max(id) FROM doc_fts_docsize");
        int k;

        ck_assert_int_eq(db_one_int64(st, &upto), 1);
        ck_assert_int_eq(db_write_begin(wdb), SQLITE_OK);
        for (k = 0; k < 4; k++) {
            h.tail[k] = topk_doc(t.c1, 5000 + k, "pending");
        }
        ck_assert_int_eq(db_write_commit(wdb), SQLITE_OK);
        h.tail_at = 4;
    }
    ck_assert_int_eq(impact_build(wdb, 40, &o), built);
    ck_assert_int_gt(h.calls, built); /* a transaction per list, at least */
    ck_assert_int_eq(impact_meta_read(wdb, &m), 1);
    ck_assert_int_eq(m.slot, 1);
    ck_assert_int_eq(slot_rows(0), 0);
    ck_assert_int_eq(slot_rows(1), 2 * built);
    /* The documents changed during it, those it covers: 8 approved, 20
     * withdrawn, and the even ones of the hubs. */
    {
        sqlite3_stmt *st = db_stmt(wdb, "SELECT count(*) FROM impact_late");

        ck_assert_int_eq(db_one_int64(st, &late), 1);
        ck_assert_int_gt(late, t.np + 20);
    }
    /* The documents published after it read the catalog (the new ones,
     * and the pending ones past every indexed id) are past upto, scored
     * by their ids, and in no list. */
    ck_assert_int_eq(m.upto, upto);
    ck_assert_int_gt(h.tail[0], upto);
    ck_assert_int_le(lists_max_doc(&m), m.upto);
    topk_compare(&seen);
    ck_assert_int_gt(seen.planned, seen.compared / 2);
    ck_assert_int_gt(seen.multi_walked, seen.multi / 2);

    /* Overtaken by a newer build halfway, and then with its change log
     * cut: the lists in use stay, slot 1. */
    memset(&h, 0, sizeof(h));
    h.t = &t;
    h.newer_at = 6;
    ck_assert_int_eq(impact_build(wdb, 40, &o), IMPACT_GAVE_WAY);
    ck_assert_int_eq(h.calls, 6); /* no commit after the newer began */
    memset(&h, 0, sizeof(h));
    h.t = &t;
    h.cut_at = 4;
    ck_assert_int_eq(impact_build(wdb, 40, &o), IMPACT_GAVE_WAY);
    ck_assert_int_gt(slot_rows(0), 0); /* what it had stored */
    ck_assert_int_eq(impact_meta_read(wdb, &m), 1);
    ck_assert_int_eq(m.slot, 1);
    ck_assert_int_eq(slot_rows(1), 2 * built);
    topk_compare(&seen);
    ck_assert_int_gt(seen.planned, seen.compared / 2);
    /* Stopped (a server shutting down): the same. */
    memset(&h, 0, sizeof(h));
    h.t = &t;
    h.stop_at = 7;
    ck_assert_int_eq(impact_build(wdb, 40, &o), IMPACT_STOPPED);
    ck_assert_int_eq(h.calls, 7);
    ck_assert_int_eq(impact_meta_read(wdb, &m), 1);
    ck_assert_int_eq(m.slot, 1);
    ck_assert_int_eq(slot_rows(1), 2 * built);
    /* The next build clears it first, and swaps. */
    memset(&h, 0, sizeof(h));
    h.t = &t;
    ck_assert_int_gt(impact_build(wdb, 40, &o), 10);
    ck_assert_int_eq(impact_meta_read(wdb, &m), 1);
    ck_assert_int_eq(m.slot, 0);
    ck_assert_int_eq(slot_rows(1), 0);
    topk_compare(&seen);
}
END_TEST

START_TEST(test_i18n_keys)
{
    static const char *const keys[] = {
        "search_title",
        "search_prompt",
        "search_syntax",
        "search_found",
        "search_results_unit",
        "search_about",
        "search_results",
        "search_no_results",
        "search_no_results_hint",
        "search_any_none",
        "search_any_few",
        "search_pagination",
        "search_facet_collections",
        "search_facet_languages",
        "search_facet_years",
        "search_prev",
        "search_next",
    };
    size_t i;
    int l;

    for (l = 0; l < I18N_NLANG; l++) {
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            ck_assert_msg(json_is_string(json_object_get(
                              i18n_strings(&pf_app.i18n, l), keys[i])),
                          "%s/%s", i18n_langs[l], keys[i]);
        }
    }
}
END_TEST

static Suite *
search_suite(void)
{
    Suite *s = suite_create("search");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
          *errors = tcase_create("errors");

    tcase_add_checked_fixture(core, setup, pagefix_teardown);
    tcase_add_checked_fixture(limits, setup, pagefix_teardown);
    tcase_add_checked_fixture(errors, setup, pagefix_teardown);
    tcase_set_timeout(limits, 120);
    tcase_add_test(core, test_common_term);
    tcase_add_test(core, test_unpublished_hidden);
    tcase_add_test(core, test_korean);
    tcase_add_test(core, test_exact_title_first);
    tcase_add_test(core, test_syntax);
    tcase_add_test(core, test_filters_facets);
    tcase_add_test(core, test_pagination);
    tcase_add_test(core, test_snippets);
    tcase_add_test(core, test_suggest);
    tcase_add_test(core, test_catalog_plan);
    tcase_add_test(core, test_cache_generation);
    tcase_add_test(core, test_cache_budget);
    tcase_add_test(limits, test_chunks);
    tcase_add_test(limits, test_blns);
    tcase_add_test(limits, test_bounds);
    tcase_add_test(limits, test_match_unbounded);
    tcase_add_test(limits, test_link_share);
    tcase_add_test(limits, test_definition_terms);
    tcase_add_test(limits, test_definition_terms_rank);
    tcase_add_test(limits, test_kwdoc_window);
    tcase_add_test(limits, test_snippet_window);
    tcase_add_test(limits, test_kwsnip);
    tcase_add_test(limits, test_kwsnip_words);
    tcase_add_test(limits, test_sketch);
    tcase_add_test(limits, test_duplicates_collapse);
    tcase_add_test(limits, test_source_pairing);
    tcase_add_test(limits, test_title_lead);
    tcase_add_test(core, test_qualified_name);
    tcase_add_test(core, test_identifier_key);
    tcase_add_test(core, test_identifier_parts);
    tcase_add_test(core, test_identifier_hub);
    tcase_add_test(core, test_hub_title);
    tcase_add_test(core, test_exact_heading);
    tcase_add_test(core, test_title_affix);
    tcase_add_test(core, test_searchlog);
    tcase_add_test(limits, test_topk_exact);
    tcase_add_test(limits, test_topk_online);
    tcase_add_test(limits, test_catalog_update);
    tcase_add_test(errors, test_page_html);
    tcase_add_test(errors, test_page_api);
    tcase_add_test(errors, test_page_bad_params);
    tcase_add_test(errors, test_db_error);
    tcase_add_test(errors, test_oom);
    tcase_add_test(errors, test_i18n_keys);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(search_suite());
}
