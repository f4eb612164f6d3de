/*
 * check_document: the owner of the SQL on documents: insert and the
 * lookups (every field where it should be, bodies only when asked, NULL
 * times as DOCUMENT_NO_TIME), the listings with their filters, orders and
 * limits, the state machine's guarded changes, supersede, title and
 * language, the body check; and the error paths: not found, a database
 * whose statements cannot run, a write refused, memory running out.
 * Layer: tests/.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checkmain.h"
#include "document.h"
#include "gz.h"
#include "testdb.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct testdb tdb;
static struct db *db;

static void
setup(void)
{
    testdb_open(&tdb, "kwdoc", TESTDB_WRITER);
    db = tdb.w;
    testdb_exec(
        db, "INSERT INTO collection(id, name, title, created_at, updated_at)"
            " VALUES (1, 'manuals', 'Manuals', 1, 1),"
            " (2, 'notes', 'Notes', 1, 1), (3, 'empty', 'Empty', 1, 1)");
    testdb_exec(
        db, "INSERT INTO ingest_batch(id, collection_id, operator, started_at)"
            " VALUES (1, 1, 'op', 1), (2, 1, 'op', 1)");
}

static void
teardown(void)
{
    testdb_close(&tdb);
}

/* A document as ingest would give it: every field set. */
static struct document
sample(int64_t collection, const char *p, int64_t version, const char *title)
{
    struct document d = {0};

    d.collection_id = collection;
    d.path = p;
    d.version = version;
    d.title = title;
    d.language = "en";
    d.authors = "Kim";
    d.doc_date = "2020-01-02";
    d.description = "about it";
    d.canonical_url = "https://docs.example.org/canon";
    d.content_type = "text/html";
    d.body_html = "<p>body</p>";
    d.body_text = "body";
    d.metadata = "{\"format\":\"html\"}";
    d.source_url = "https://docs.example.org/a.html";
    d.source_url_norm = NULL;
    d.retrieved_at = 55;
    d.batch_id = 1;
    d.operator_name = "op";
    d.orig_sha256 = HEX64;
    d.orig_size = 4;
    d.body_sha256 = HEX64;
    d.original_blob = NULL;
    return d;
}

/* Insert a sample in its own write transaction; its id. */
static int64_t
add(int64_t collection, const char *p, int64_t version, const char *title,
    const char *url_norm)
{
    struct document d = sample(collection, p, version, title);
    int64_t id;

    d.source_url_norm = url_norm;
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(document_insert(db, &d, 100, &id), 0);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_int_gt(id, 0);
    return id;
}

/* Set a document's status (and published_at) directly. */
static void
set_status(int64_t id, const char *status, long long published_at)
{
    char sql[256];

    snprintf(sql, sizeof(sql),
             "UPDATE document SET status = '%s', published_at = %lld"
             " WHERE id = %lld",
             status, published_at, (long long)id);
    testdb_exec(db, sql);
}

static long long
q_int(const char *sql)
{
    sqlite3_stmt *st;
    long long v = -1;

    ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL),
                     SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

/* Listing callbacks: what they see as "value;value;" text. */
struct seen {
    char buf[1024];
    int n;
};

static void
seen_add(struct seen *s, const char *fmt, ...)
{
    size_t l = strlen(s->buf);
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->buf + l, sizeof(s->buf) - l, fmt, ap);
    va_end(ap);
    s->n++;
}

static void
seen_path(void *ctx, const struct document *d)
{
    seen_add(ctx, "%s;", d->path);
}

static void
seen_title(void *ctx, const struct document *d)
{
    seen_add(ctx, "%s;", d->title);
}

static void
seen_id_status(void *ctx, const struct document *d)
{
    seen_add(ctx, "%lld:%s;", (long long)d->id, d->status);
}

static void
seen_count(void *ctx, const char *value, int64_t n)
{
    seen_add(ctx, "%s=%lld;", value != NULL ? value : "NULL", (long long)n);
}

static void
seen_collection(void *ctx, const struct document_collection *c)
{
    seen_add(ctx, "%s:%lld:%s:%lld;", c->name, (long long)c->documents,
             c->languages ? c->languages : "-",
             c->updated_at == DOCUMENT_NO_TIME ? -1LL
                                               : (long long)c->updated_at);
}

static void
seen_never(void *ctx, const struct document *d)
{
    (void)ctx;
    (void)d;
    ck_abort_msg("a failed listing called back");
}

/* ---- core ---- */

START_TEST(test_insert_and_get)
{
    int64_t id = add(1, "guide/a.html", 1, "The Guide", "u:a");
    struct document d;

    ck_assert_int_eq(document_get(db, id, 0, &d), 1);
    ck_assert_int_eq(d.id, id);
    ck_assert_int_eq(d.collection_id, 1);
    ck_assert_str_eq(d.collection, "manuals");
    ck_assert_str_eq(d.collection_title, "Manuals");
    ck_assert_str_eq(d.path, "guide/a.html");
    ck_assert_int_eq(d.version, 1);
    ck_assert_str_eq(d.status, DOC_PENDING);
    ck_assert_str_eq(d.title, "The Guide");
    ck_assert_str_eq(d.language, "en");
    ck_assert_str_eq(d.authors, "Kim");
    ck_assert_str_eq(d.doc_date, "2020-01-02");
    ck_assert_str_eq(d.description, "about it");
    ck_assert_str_eq(d.canonical_url, "https://docs.example.org/canon");
    ck_assert_str_eq(d.content_type, "text/html");
    ck_assert_str_eq(d.metadata, "{\"format\":\"html\"}");
    ck_assert_str_eq(d.source_url, "https://docs.example.org/a.html");
    ck_assert_str_eq(d.source_url_norm, "u:a");
    ck_assert_int_eq(d.retrieved_at, 55);
    ck_assert_int_eq(d.ingested_at, 100);
    ck_assert_int_eq(d.batch_id, 1);
    ck_assert_str_eq(d.operator_name, "op");
    ck_assert_str_eq(d.orig_sha256, HEX64);
    ck_assert_int_eq(d.orig_size, 4);
    ck_assert_str_eq(d.body_sha256, HEX64);
    ck_assert_ptr_null(d.original_blob);
    /* Never decided, never published: no time, not 0. */
    ck_assert(d.decided_at == DOCUMENT_NO_TIME);
    ck_assert(d.published_at == DOCUMENT_NO_TIME);
    ck_assert_ptr_null(d.decided_by);
    ck_assert_ptr_null(d.reason);
    /* The large columns only when asked for. */
    ck_assert_ptr_null(d.body_html);
    ck_assert_ptr_null(d.body_text);
    ck_assert_ptr_null(d.tags);
    document_free(&d);
    ck_assert_ptr_null(d.mem);

    testdb_exec(db,
                "INSERT INTO tag(id, name) VALUES (1, 'alpha'), (2, 'beta')");
    testdb_exec(
        db,
        "INSERT INTO document_tag(document_id, tag_id) VALUES (1, 1), (1, 2)");
    ck_assert_int_eq(
        document_get(db, id,
                     DOCUMENT_BODY_HTML | DOCUMENT_BODY_TEXT | DOCUMENT_TAGS,
                     &d),
        1);
    ck_assert_str_eq(d.body_html, "<p>body</p>");
    ck_assert_str_eq(d.body_text, "body");
    ck_assert_str_eq(d.tags, "alpha, beta");
    document_free(&d);
    ck_assert_int_eq(document_get(db, id, DOCUMENT_BODY_TEXT, &d), 1);
    ck_assert_ptr_null(d.body_html);
    ck_assert_str_eq(d.body_text, "body");
    document_free(&d);
    /* title_norm is derived from the title. */
    ck_assert_int_eq(
        q_int("SELECT title_norm = 'the guide' FROM document WHERE id = 1"), 1);
}
END_TEST

START_TEST(test_latest_and_published_id)
{
    int64_t v1 = add(1, "a.html", 1, "A1", NULL);
    int64_t v2 = add(1, "a.html", 2, "A2", NULL);
    int64_t v3 = add(1, "a.html", 3, "A3", NULL);
    struct document d;
    int64_t id = -1;

    set_status(v1, DOC_WITHDRAWN, 10);
    testdb_exec(
        db, "UPDATE document SET decided_at = 20, reason = 'old' WHERE id = 1");
    set_status(v2, DOC_PUBLISHED, 30);
    ck_assert_int_eq(document_latest(db, 1, "a.html", NULL, &d), 1);
    ck_assert_int_eq(d.id, v3);
    ck_assert_int_eq(d.version, 3);
    ck_assert_str_eq(d.status, DOC_PENDING);
    ck_assert_str_eq(d.orig_sha256, HEX64);
    document_free(&d);
    ck_assert_int_eq(document_latest(db, 1, "a.html", DOC_WITHDRAWN, &d), 1);
    ck_assert_int_eq(d.id, v1);
    ck_assert_str_eq(d.title, "A1");
    ck_assert_int_eq(d.decided_at, 20);
    ck_assert_str_eq(d.reason, "old");
    document_free(&d);
    ck_assert_int_eq(document_published_id(db, 1, "a.html", &id), 1);
    ck_assert_int_eq(id, v2);
    /* Another collection, another path. */
    ck_assert_int_eq(document_published_id(db, 2, "a.html", &id), 0);
    ck_assert_int_eq(id, 0);
    ck_assert_int_eq(document_latest(db, 1, "b.html", NULL, &d), 0);
}
END_TEST

START_TEST(test_neighbour_url_random)
{
    int64_t a = add(1, "a.html", 1, "A", "u:a");
    int64_t b = add(1, "b.html", 1, "B", "u:b");
    int64_t c = add(1, "c.html", 1, "C", "u:c");
    int64_t x = add(1, "bb.html", 1, "pending", "u:x");
    int64_t ids[2];
    struct document d;
    int i;

    set_status(a, DOC_PUBLISHED, 1);
    set_status(b, DOC_PUBLISHED, 1);
    set_status(c, DOC_PUBLISHED, 1);
    ck_assert_int_eq(document_neighbour(db, 1, "b.html", 1, &d), 1);
    ck_assert_str_eq(d.path, "c.html");
    ck_assert_str_eq(d.title, "C");
    document_free(&d);
    ck_assert_int_eq(document_neighbour(db, 1, "b.html", 0, &d), 1);
    ck_assert_str_eq(d.path, "a.html");
    document_free(&d);
    ck_assert_int_eq(document_neighbour(db, 1, "c.html", 1, &d), 0);
    ck_assert_int_eq(document_neighbour(db, 1, "a.html", 0, &d), 0);
    /* By id: the published neighbours, of a pending document too. */
    ck_assert_int_eq(document_neighbour_ids(db, b, ids), 0);
    ck_assert(ids[0] == a && ids[1] == c);
    ck_assert_int_eq(document_neighbour_ids(db, a, ids), 0);
    ck_assert(ids[0] == 0 && ids[1] == b);
    ck_assert_int_eq(document_neighbour_ids(db, x, ids), 0);
    ck_assert(ids[0] == b && ids[1] == c);
    ck_assert_int_eq(document_neighbour_ids(db, 999, ids), 0);
    ck_assert(ids[0] == 0 && ids[1] == 0);
    /* Each is one probe of the published paths, whatever the statistics
     * say (those of one document once made it a scan per call). */
    {
        char plan[1024];

        ck_assert_int_eq(
            testdb_plans(db, "document_one_published", plan, sizeof(plan)), 2);
        ck_assert_msg(strstr(plan, "SCAN") == NULL &&
                          strstr(plan, "TEMP B-TREE") == NULL,
                      "%s", plan);
    }

    ck_assert_int_eq(document_find_url(db, "u:b", &d), 1);
    ck_assert_str_eq(d.collection, "manuals");
    ck_assert_str_eq(d.path, "b.html");
    document_free(&d);
    /* Only published documents are found. */
    ck_assert_int_eq(document_find_url(db, "u:x", &d), 0);
    ck_assert_int_eq(document_find_url(db, "u:none", &d), 0);

    for (i = 0; i < 20; i++) {
        ck_assert_int_eq(document_random(db, &d), 1);
        ck_assert_str_eq(d.collection, "manuals");
        ck_assert(strcmp(d.path, "a.html") == 0 ||
                  strcmp(d.path, "b.html") == 0 ||
                  strcmp(d.path, "c.html") == 0);
        document_free(&d);
    }
}
END_TEST

START_TEST(test_state_machine)
{
    int64_t id = add(1, "a.html", 1, "A", NULL);
    struct document d;

    ck_assert_int_eq(document_act_applies(DOCUMENT_APPROVE, DOC_PENDING), 1);
    ck_assert_int_eq(document_act_applies(DOCUMENT_REJECT, DOC_PENDING), 1);
    ck_assert_int_eq(document_act_applies(DOCUMENT_WITHDRAW, DOC_PENDING), 0);
    ck_assert_int_eq(document_act_applies(DOCUMENT_WITHDRAW, DOC_PUBLISHED), 1);
    ck_assert_int_eq(document_act_applies(DOCUMENT_RESTORE, DOC_WITHDRAWN), 1);
    ck_assert_int_eq(document_act_applies(DOCUMENT_RESTORE, DOC_REJECTED), 1);
    ck_assert_int_eq(document_act_applies(DOCUMENT_RESTORE, DOC_SUPERSEDED), 0);
    ck_assert_int_eq(document_act_applies(DOCUMENT_APPROVE, DOC_SUPERSEDED), 0);
    ck_assert_str_eq(document_act_status(DOCUMENT_APPROVE), DOC_PUBLISHED);
    ck_assert_str_eq(document_act_status(DOCUMENT_REJECT), DOC_REJECTED);
    ck_assert_str_eq(document_act_status(DOCUMENT_WITHDRAW), DOC_WITHDRAWN);
    ck_assert_str_eq(document_act_status(DOCUMENT_RESTORE), DOC_PENDING);

    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    /* Withdraw does not apply to a pending document: no change. */
    ck_assert_int_eq(
        document_decide(db, id, DOCUMENT_WITHDRAW, "kim", "why", 200), 0);
    ck_assert_int_eq(
        document_decide(db, id, DOCUMENT_APPROVE, "kim", "ignored", 200), 1);
    ck_assert_int_eq(
        document_decide(db, id, DOCUMENT_APPROVE, "lee", NULL, 201), 0);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_int_eq(document_get(db, id, 0, &d), 1);
    ck_assert_str_eq(d.status, DOC_PUBLISHED);
    ck_assert_str_eq(d.decided_by, "kim");
    ck_assert_int_eq(d.decided_at, 200);
    ck_assert_int_eq(d.published_at, 200);
    ck_assert_ptr_null(d.reason); /* approve clears it */
    document_free(&d);

    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(
        document_decide(db, id, DOCUMENT_WITHDRAW, "lee", "stale", 300), 1);
    ck_assert_int_eq(
        document_decide(db, id, DOCUMENT_RESTORE, "lee", NULL, 301), 1);
    ck_assert_int_eq(
        document_decide(db, id, DOCUMENT_REJECT, "park", "no", 302), 1);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_int_eq(document_get(db, id, 0, &d), 1);
    ck_assert_str_eq(d.status, DOC_REJECTED);
    ck_assert_str_eq(d.decided_by, "park");
    ck_assert_int_eq(d.decided_at, 302);
    ck_assert_str_eq(d.reason, "no");
    document_free(&d);
}
END_TEST

/* Statistics taken with one document describe a table of one row, and
 * the planner reads every row of the collection for each lookup by path
 * (document_list_live runs for every document an ingest stores).  Once
 * the table holds four times as many rows as the figures say and at least
 * DOCUMENT_STATS_MIN, they are taken again and the lookup probes the
 * index on (collection_id, path). */
static void
count_live(void *ctx, const struct document *d)
{
    (void)d;
    (*(int *)ctx)++;
}

START_TEST(test_stats_refresh)
{
    char plan[1024], p[32];
    int64_t seen = 0;
    int i, live = 0;

    /* Never analyzed: nothing to refresh, however large the table. */
    for (i = 0; i < DOCUMENT_STATS_MIN + 10; i++) {
        snprintf(p, sizeof(p), "n%03d.html", i);
        add(2, p, 1, "N", NULL);
    }
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(document_stats_refresh(db), 0);
    /* Figures of one row, as a first ingest of one page leaves them. */
    testdb_exec(db, "DELETE FROM document");
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    add(1, "first.html", 1, "First", NULL);
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(db_analyze(db), SQLITE_OK);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    for (i = 0; i < DOCUMENT_STATS_MIN; i++) {
        snprintf(p, sizeof(p), "p%03d.html", i);
        add(1, p, 1, "P", NULL);
    }
    ck_assert_int_eq(
        document_list_live(db, 1, "p001.html", 0, count_live, &live), 0);
    ck_assert_int_eq(live, 1);
    ck_assert_int_eq(
        testdb_plans(db, "path = :p AND id <> :id", plan, sizeof(plan)), 1);
    /* every row of the collection, or of the table, for each lookup */
    ck_assert_msg(strstr(plan, "(collection_id=? AND path=?") == NULL, "%s",
                  plan);

    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(document_stats_refresh(db), 1);
    ck_assert_int_eq(document_stats_refresh(db), 0);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_int_eq(
        db_one_int64(db_stmt(db, "SELECT max(CAST(stat AS INTEGER))"
                                 " FROM sqlite_stat1 WHERE tbl = 'document'"),
                     &seen),
        1);
    ck_assert_int_gt(seen, DOCUMENT_STATS_MIN / 2);
    /* Ordinary tables only: the full-text indexes' shadow tables, read by
     * key, are not counted (a whole index read at each ANALYZE). */
    ck_assert_int_eq(
        db_one_int64(db_stmt(db, "SELECT count(*) FROM sqlite_stat1"
                                 " WHERE tbl LIKE '%fts%'"),
                     &seen),
        1);
    ck_assert_int_eq(seen, 0);
    live = 0;
    ck_assert_int_eq(
        document_list_live(db, 1, "p001.html", 0, count_live, &live), 0);
    ck_assert_int_eq(live, 1);
    ck_assert_int_eq(
        testdb_plans(db, "path = :p AND id <> :id", plan, sizeof(plan)), 1);
    ck_assert_msg(strstr(plan, "SCAN") == NULL &&
                      strstr(plan, "(collection_id=? AND path=?") != NULL,
                  "%s", plan);
}
END_TEST

START_TEST(test_supersede_and_live)
{
    int64_t v1 = add(1, "a.html", 1, "A", NULL);
    int64_t v2 = add(1, "a.html", 2, "A", NULL);
    int64_t v3 = add(1, "a.html", 3, "A", NULL);
    int64_t v4 = add(1, "a.html", 4, "A", NULL);
    int64_t other = add(1, "b.html", 1, "B", NULL);
    struct seen s = {"", 0};
    char want[64];

    set_status(v1, DOC_REJECTED, 0);
    set_status(v2, DOC_PUBLISHED, 5);
    ck_assert_int_eq(
        document_list_live(db, 1, "a.html", v4, seen_id_status, &s), 0);
    snprintf(want, sizeof(want), "%lld:published;%lld:pending;", (long long)v2,
             (long long)v3);
    ck_assert_str_eq(s.buf, want);
    /* Without the published one: only pending versions go. */
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(document_supersede(db, 1, "a.html", v4, 0, 400), 0);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_int_eq(q_int("SELECT count(*) FROM document WHERE status ="
                           " 'superseded' AND updated_at = 400"),
                     1);
    ck_assert_int_eq(q_int("SELECT status = 'published' FROM document"
                           " WHERE version = 2 AND path = 'a.html'"),
                     1);
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(document_supersede(db, 1, "a.html", v4, 1, 401), 0);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_int_eq(q_int("SELECT count(*) FROM document WHERE status ="
                           " 'superseded'"),
                     2);
    ck_assert_int_eq(q_int("SELECT status = 'rejected' FROM document"
                           " WHERE version = 1 AND path = 'a.html'"),
                     1);
    ck_assert_int_eq(q_int("SELECT status = 'pending' FROM document"
                           " WHERE version = 4 AND path = 'a.html'"),
                     1);
    /* Another path is not touched. */
    s.buf[0] = '\0';
    ck_assert_int_eq(document_list_live(db, 1, "b.html", 0, seen_id_status, &s),
                     0);
    snprintf(want, sizeof(want), "%lld:pending;", (long long)other);
    ck_assert_str_eq(s.buf, want);
}
END_TEST

START_TEST(test_title_and_language)
{
    int64_t id = add(1, "a.html", 1, "Old", NULL);
    struct document d;

    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(document_set_title(db, id, "New Title", 500), 0);
    ck_assert_int_eq(document_set_language(db, id, NULL, 501), 0);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_int_eq(document_get(db, id, 0, &d), 1);
    ck_assert_str_eq(d.title, "New Title");
    ck_assert_ptr_null(d.language);
    document_free(&d);
    ck_assert_int_eq(q_int("SELECT title_norm = 'new title' AND updated_at ="
                           " 501 FROM document"),
                     1);
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(document_set_language(db, id, "ko", 502), 0);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_int_eq(document_get(db, id, 0, &d), 1);
    ck_assert_str_eq(d.language, "ko");
    document_free(&d);
}
END_TEST

START_TEST(test_collection_listing)
{
    /* published 2019 and 2020, languages en and ko, one tag */
    int64_t a = add(1, "a.html", 1, "Zulu", NULL);
    int64_t b = add(1, "b.html", 1, "alpha", NULL);
    int64_t c = add(1, "c.html", 1, "Mike", NULL);
    int64_t p = add(1, "p.html", 1, "pending one", NULL);
    struct document_filter f = {1, NULL, NULL, NULL};
    struct seen s = {"", 0};
    int64_t n = -1;

    (void)p;
    set_status(a, DOC_PUBLISHED, 1580000000); /* 2020 */
    set_status(b, DOC_PUBLISHED, 1550000000); /* 2019 */
    set_status(c, DOC_PUBLISHED, 1590000000); /* 2020 */
    testdb_exec(db,
                "UPDATE document SET language = 'ko' WHERE path = 'c.html'");
    testdb_exec(db, "INSERT INTO tag(id, name) VALUES (1, 'howto')");
    testdb_exec(db,
                "INSERT INTO document_tag(document_id, tag_id) VALUES (1, 1)");

    ck_assert_int_eq(document_list_collection(db, &f, 0, 50, 0, seen_path, &s),
                     0);
    ck_assert_str_eq(s.buf, "b.html;c.html;a.html;"); /* by title_norm */
    s.buf[0] = '\0';
    ck_assert_int_eq(document_list_collection(db, &f, 1, 50, 0, seen_path, &s),
                     0);
    ck_assert_str_eq(s.buf, "c.html;a.html;b.html;"); /* newest first */
    s.buf[0] = '\0';
    ck_assert_int_eq(document_list_collection(db, &f, 1, 1, 1, seen_path, &s),
                     0);
    ck_assert_str_eq(s.buf, "a.html;"); /* limit and offset */
    ck_assert_int_eq(document_count_collection(db, &f, &n), 0);
    ck_assert_int_eq(n, 3);

    f.year = "2020";
    ck_assert_int_eq(document_count_collection(db, &f, &n), 0);
    ck_assert_int_eq(n, 2);
    f.language = "ko";
    ck_assert_int_eq(document_count_collection(db, &f, &n), 0);
    ck_assert_int_eq(n, 1);
    f.language = NULL;
    f.year = NULL;
    f.tag = "howto";
    s.buf[0] = '\0';
    ck_assert_int_eq(document_list_collection(db, &f, 0, 50, 0, seen_path, &s),
                     0);
    ck_assert_str_eq(s.buf, "a.html;");

    s.buf[0] = '\0';
    ck_assert_int_eq(
        document_facet(db, 1, DOCUMENT_FACET_LANGUAGE, seen_count, &s), 0);
    ck_assert_str_eq(s.buf, "en=2;ko=1;");
    s.buf[0] = '\0';
    ck_assert_int_eq(document_facet(db, 1, DOCUMENT_FACET_YEAR, seen_count, &s),
                     0);
    ck_assert_str_eq(s.buf, "2020=2;2019=1;");
    s.buf[0] = '\0';
    ck_assert_int_eq(document_facet(db, 1, DOCUMENT_FACET_TAG, seen_count, &s),
                     0);
    ck_assert_str_eq(s.buf, "howto=1;");
    s.buf[0] = '\0';
    s.n = 0;
    ck_assert_int_eq(document_facet(db, 2, DOCUMENT_FACET_TAG, seen_count, &s),
                     0);
    ck_assert_int_eq(s.n, 0); /* nothing published there */
}
END_TEST

START_TEST(test_site_listings)
{
    int64_t a = add(1, "a.html", 1, "A", NULL);
    int64_t b = add(1, "b.html", 1, "B", NULL);
    int64_t c = add(2, "c.html", 1, "C", NULL);
    int64_t p = add(2, "p.html", 1, "P", NULL);
    struct seen s = {"", 0};

    set_status(a, DOC_PUBLISHED, 300);
    set_status(b, DOC_PUBLISHED, 300);
    set_status(c, DOC_PUBLISHED, 200);
    testdb_exec(db, "UPDATE document SET language = 'ko' WHERE id = 3");
    (void)p;

    ck_assert_int_eq(document_collections(db, 10, seen_collection, &s), 0);
    ck_assert_str_eq(s.buf, "empty:0:-:-1;manuals:2:en:300;notes:1:ko:200;");
    s.buf[0] = '\0';
    ck_assert_int_eq(document_collection_counts(db, 10, seen_collection, &s),
                     0);
    ck_assert_str_eq(s.buf, "empty:0:-:-1;manuals:2:-:-1;notes:1:-:-1;");
    s.buf[0] = '\0';
    ck_assert_int_eq(document_collections(db, 1, seen_collection, &s), 0);
    ck_assert_str_eq(s.buf, "empty:0:-:-1;");

    s.buf[0] = '\0';
    ck_assert_int_eq(document_count_by_status(db, seen_count, &s), 0);
    ck_assert_str_eq(s.buf, "pending=1;published=3;");

    /* Newest first; the same time, the newest id first. */
    s.buf[0] = '\0';
    ck_assert_int_eq(document_list_recent(db, NULL, 10, seen_path, &s), 0);
    ck_assert_str_eq(s.buf, "b.html;a.html;c.html;");
    s.buf[0] = '\0';
    ck_assert_int_eq(document_list_recent(db, "notes", 10, seen_path, &s), 0);
    ck_assert_str_eq(s.buf, "c.html;");
    s.buf[0] = '\0';
    ck_assert_int_eq(document_list_recent(db, NULL, 1, seen_path, &s), 0);
    ck_assert_str_eq(s.buf, "b.html;");

    s.buf[0] = '\0';
    s.n = 0;
    ck_assert_int_eq(document_list_newest(db, 10, seen_path, &s), 0);
    ck_assert_int_eq(s.n, 3);
    ck_assert_str_eq(s.buf + strlen(s.buf) - 7, "c.html;"); /* the oldest */
    s.buf[0] = '\0';
    ck_assert_int_eq(document_list_published(db, 10, seen_path, &s), 0);
    ck_assert_str_eq(s.buf, "a.html;b.html;c.html;"); /* by id */
    s.buf[0] = '\0';
    ck_assert_int_eq(document_list_published(db, 2, seen_path, &s), 0);
    ck_assert_str_eq(s.buf, "a.html;b.html;");

    testdb_exec(
        db, "INSERT INTO acquisition_request(url_norm, url, count, first_at,"
            " last_at, status, document_id) VALUES"
            " ('u:1', 'u:1', 3, 1, 1, 'fulfilled', 1),"
            " ('u:2', 'u:2', 9, 1, 1, 'fulfilled', 3),"
            " ('u:3', 'u:3', 20, 1, 1, 'fulfilled', 4),"
            " ('u:4', 'u:4', 50, 1, 1, 'open', NULL)");
    s.buf[0] = '\0';
    ck_assert_int_eq(document_list_wanted(db, 5, seen_path, &s), 0);
    /* most asked first; a pending document is not shown */
    ck_assert_str_eq(s.buf, "c.html;a.html;");
}
END_TEST

START_TEST(test_pending_queue)
{
    int64_t a = add(1, "a.html", 1, "A", "https://docs.example.org/a");
    int64_t b = add(1, "b.html", 2, "B", "https://www.example.org/b");
    int64_t c = add(2, "c.html", 1, "C", "https://other.net/c");
    int64_t d = add(1, "d.html", 1, "D", NULL);
    struct document_queue q = {NULL, 0, NULL};
    struct seen s = {"", 0};
    int64_t *ids;
    size_t n;

    testdb_exec(db, "UPDATE document SET batch_id = 2 WHERE id IN (2, 3)");
    set_status(d, DOC_PUBLISHED, 1);
    testdb_exec(db, "UPDATE document SET ingested_at = 50 WHERE id = 3");
    ck_assert_int_eq(document_list_pending(db, &q, 50, 0, seen_title, &s), 0);
    ck_assert_str_eq(s.buf, "C;A;B;"); /* oldest first */
    s.buf[0] = '\0';
    q.collection = "manuals";
    ck_assert_int_eq(document_list_pending(db, &q, 50, 0, seen_title, &s), 0);
    ck_assert_str_eq(s.buf, "A;B;");
    s.buf[0] = '\0';
    q.batch_id = 2;
    ck_assert_int_eq(document_list_pending(db, &q, 50, 0, seen_title, &s), 0);
    ck_assert_str_eq(s.buf, "B;");
    s.buf[0] = '\0';
    q.collection = NULL;
    q.batch_id = 0;
    q.domain = "example.org"; /* the host or a parent domain */
    ck_assert_int_eq(document_list_pending(db, &q, 50, 0, seen_title, &s), 0);
    ck_assert_str_eq(s.buf, "A;B;");
    s.buf[0] = '\0';
    ck_assert_int_eq(document_list_pending(db, &q, 1, 1, seen_title, &s), 0);
    ck_assert_str_eq(s.buf, "B;");

    ck_assert_int_eq(document_batch_pending(db, 2, &ids, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(ids[0], b);
    ck_assert_int_eq(ids[1], c);
    kw_free(ids);
    ck_assert_int_eq(document_batch_pending(db, 1, &ids, &n), 0);
    ck_assert_uint_eq(n, 1); /* d is published */
    ck_assert_int_eq(ids[0], a);
    kw_free(ids);
}
END_TEST

static void
report_id(void *ctx, int64_t id)
{
    *(int64_t *)ctx = id;
}

START_TEST(test_check_bodies)
{
    char hex[65], sql[256];
    int64_t a = add(1, "a.html", 1, "A", NULL);
    int64_t b = add(1, "b.html", 1, "B", NULL), bad = 0;

    sha256_hex("<p>body</p>", 11, hex);
    snprintf(sql, sizeof(sql), "UPDATE document SET body_sha256 = '%s'", hex);
    testdb_exec(db, sql);
    ck_assert_int_eq(document_check_bodies(db, report_id, &bad), 0);
    ck_assert_int_eq(bad, 0);
    testdb_exec(
        db, "UPDATE document SET body_html = '<p>changed</p>' WHERE id = 2");
    ck_assert_int_eq(document_check_bodies(db, report_id, &bad), 1);
    ck_assert_int_eq(bad, b);
    (void)a;
}
END_TEST

/* ---- limits ---- */

START_TEST(test_times_and_nulls)
{
    struct document in = sample(1, "a.html", 1, "A");
    struct document d;
    int64_t id;

    /* No language, no retrieval time, no batch: NULL in, NULL out. */
    in.language = NULL;
    in.retrieved_at = DOCUMENT_NO_TIME;
    in.batch_id = 0;
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(document_insert(db, &in, 0, &id), 0);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_int_eq(q_int("SELECT language IS NULL AND retrieved_at IS NULL"
                           " AND batch_id IS NULL FROM document"),
                     1);
    set_status(id, DOC_PUBLISHED, 0);
    ck_assert_int_eq(document_get(db, id, 0, &d), 1);
    ck_assert_ptr_null(d.language);
    ck_assert(d.retrieved_at == DOCUMENT_NO_TIME);
    ck_assert_int_eq(d.batch_id, 0);
    /* Time 0 is a time (the epoch), not none. */
    ck_assert_int_eq(d.ingested_at, 0);
    ck_assert_int_eq(d.published_at, 0);
    document_free(&d);
    /* An empty string stays empty, not NULL. */
    testdb_exec(db, "UPDATE document SET authors = ''");
    ck_assert_int_eq(document_get(db, id, 0, &d), 1);
    ck_assert_str_eq(d.authors, "");
    document_free(&d);
    /* document_free on a zeroed struct, twice. */
    memset(&d, 0, sizeof(d));
    document_free(&d);
    document_free(&d);
}
END_TEST

START_TEST(test_big_body)
{
    size_t n = 1 << 20, i;
    char *big = malloc(n + 1);
    struct document in = sample(1, "big.html", 1, "Big");
    struct document d;
    int64_t id;

    ck_assert_ptr_nonnull(big);
    for (i = 0; i < n; i++) {
        big[i] = (char)('a' + i % 26);
    }
    big[n] = '\0';
    in.body_html = big;
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(document_insert(db, &in, 1, &id), 0);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_int_eq(document_get(db, id, DOCUMENT_BODY_HTML, &d), 1);
    ck_assert_uint_eq(strlen(d.body_html), n);
    ck_assert_int_eq(memcmp(d.body_html, big, n), 0);
    /* the other strings survive beside it in the one block */
    ck_assert_str_eq(d.title, "Big");
    ck_assert_str_eq(d.collection, "manuals");
    document_free(&d);
    free(big);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_not_found)
{
    struct document d;
    struct seen s = {"", 0};
    int64_t id = -1, *ids = NULL;
    size_t n = 9;

    memset(&d, 0x5a, sizeof(d));
    ck_assert_int_eq(document_get(db, 42, DOCUMENT_BODY_HTML, &d), 0);
    ck_assert_ptr_null(d.mem);
    ck_assert_ptr_null(d.title);
    ck_assert_int_eq(document_latest(db, 1, "none", NULL, &d), 0);
    ck_assert_int_eq(document_published_id(db, 1, "none", &id), 0);
    ck_assert_int_eq(id, 0);
    ck_assert_int_eq(document_neighbour(db, 1, "none", 1, &d), 0);
    ck_assert_int_eq(document_find_url(db, "u:none", &d), 0);
    ck_assert_int_eq(document_random(db, &d), 0);
    ck_assert_ptr_null(d.mem);
    ck_assert_int_eq(document_batch_pending(db, 77, &ids, &n), 0);
    ck_assert_ptr_null(ids);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(document_list_recent(db, "nosuch", 10, seen_path, &s), 0);
    ck_assert_int_eq(s.n, 0);
    /* A decision on no document changes nothing. */
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(document_decide(db, 42, DOCUMENT_APPROVE, "kim", NULL, 1),
                     0);
    db_write_rollback(db);
}
END_TEST

/* A database without the schema: no statement can run; every function
 * says so and calls back nothing. */
START_TEST(test_no_schema)
{
    struct db *bare;
    struct document d, in = sample(1, "a.html", 1, "A");
    struct document_filter f = {1, NULL, NULL, NULL};
    struct document_queue q = {NULL, 0, NULL};
    struct seen s = {"", 0};
    int64_t id = -1, n = -1, *ids = NULL;
    size_t nids = 9;

    bare = testdb_connect(&tdb, "bare.db", NULL, DB_CREATE);
    memset(&d, 0x5a, sizeof(d));
    ck_assert_int_eq(document_get(bare, 1, 0, &d), -1);
    ck_assert_ptr_null(d.mem);
    ck_assert_int_eq(document_latest(bare, 1, "a", NULL, &d), -1);
    ck_assert_int_eq(document_published_id(bare, 1, "a", &id), -1);
    ck_assert_int_eq(document_neighbour(bare, 1, "a", 0, &d), -1);
    ck_assert_int_eq(document_find_url(bare, "u", &d), -1);
    ck_assert_int_eq(document_random(bare, &d), -1);
    ck_assert_int_eq(
        document_list_collection(bare, &f, 0, 5, 0, seen_never, NULL), -1);
    ck_assert_int_eq(document_count_collection(bare, &f, &n), -1);
    ck_assert_int_eq(n, 0);
    ck_assert_int_eq(document_list_recent(bare, NULL, 5, seen_never, NULL), -1);
    ck_assert_int_eq(document_list_published(bare, 5, seen_never, NULL), -1);
    ck_assert_int_eq(document_list_newest(bare, 5, seen_never, NULL), -1);
    ck_assert_int_eq(document_collections(bare, 5, seen_collection, &s), -1);
    ck_assert_int_eq(document_collection_counts(bare, 5, seen_collection, &s),
                     -1);
    ck_assert_int_eq(
        document_facet(bare, 1, DOCUMENT_FACET_TAG, seen_count, &s), -1);
    ck_assert_int_eq(document_count_by_status(bare, seen_count, &s), -1);
    ck_assert_int_eq(s.n, 0);
    ck_assert_int_eq(document_list_wanted(bare, 5, seen_never, NULL), -1);
    ck_assert_int_eq(document_list_pending(bare, &q, 5, 0, seen_never, NULL),
                     -1);
    ck_assert_int_eq(document_list_live(bare, 1, "a", 0, seen_never, NULL), -1);
    ck_assert_int_eq(document_batch_pending(bare, 1, &ids, &nids), -1);
    ck_assert_ptr_null(ids);
    ck_assert_int_eq(document_check_bodies(bare, report_id, &id), -1);
    ck_assert_int_eq(db_write_begin(bare), SQLITE_OK);
    ck_assert_int_eq(document_insert(bare, &in, 1, &id), -1);
    ck_assert_int_eq(id, 0);
    ck_assert_int_eq(document_supersede(bare, 1, "a", 0, 1, 1), -1);
    ck_assert_int_eq(document_decide(bare, 1, DOCUMENT_REJECT, "k", "r", 1),
                     -1);
    ck_assert_int_eq(document_set_title(bare, 1, "T", 1), -1);
    ck_assert_int_eq(document_set_language(bare, 1, "en", 1), -1);
    db_write_rollback(bare);
    db_close(bare);
}
END_TEST

/* A write that SQLite refuses (a version that exists) fails and leaves
 * no row; so does a write on a read-only connection. */
START_TEST(test_write_refused)
{
    struct document in = sample(1, "a.html", 1, "A");
    struct db *ro;
    int64_t id = -1;

    add(1, "a.html", 1, "A", NULL);
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(document_insert(db, &in, 1, &id), -1);
    ck_assert_int_eq(id, 0);
    db_write_rollback(db);
    ck_assert_int_eq(q_int("SELECT count(*) FROM document"), 1);

    ro = testdb_connect(&tdb, NULL, NULL, DB_READONLY);
    ck_assert_int_eq(document_set_title(ro, 1, "T", 1), -1);
    ck_assert_int_eq(document_decide(ro, 1, DOCUMENT_APPROVE, "k", NULL, 1),
                     -1);
    db_close(ro);
    ck_assert_int_eq(q_int("SELECT title = 'A' AND status = 'pending'"
                           " FROM document"),
                     1);
}
END_TEST

/* Every allocation failing in turn: a lookup gives -1 with nothing to
 * free, or the whole answer. */
START_TEST(test_failing_allocator)
{
    int64_t id = add(1, "a.html", 1, "The Title", "u:a");
    long i, nomem = 0, ok_in_row = 0;

    for (i = 0; i < 1000 && ok_in_row < 5; i++) {
        struct document d;
        int rc;

        alloc_set_fail_after(i);
        rc = document_get(db, id, DOCUMENT_BODY_HTML | DOCUMENT_TAGS, &d);
        alloc_set_fail_after(-1);
        if (rc == 1) {
            ck_assert_str_eq(d.title, "The Title");
            ck_assert_str_eq(d.body_html, "<p>body</p>");
            document_free(&d);
            ok_in_row++;
        } else {
            ck_assert_int_eq(rc, -1);
            ck_assert_ptr_null(d.mem);
            ck_assert_ptr_null(d.title);
            nomem++;
            ok_in_row = 0;
        }
    }
    ck_assert_int_ge(nomem, 1);
    /* A title whose title_norm cannot be made is not written. */
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    alloc_set_fail_after(0);
    ck_assert_int_eq(document_set_title(db, id, "Other", 1), -1);
    alloc_set_fail_after(-1);
    db_write_rollback(db);
    ck_assert_int_eq(q_int("SELECT title = 'The Title' FROM document"), 1);
}
END_TEST

static Suite *
document_suite(void)
{
    Suite *s = suite_create("document");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
          *errors = tcase_create("errors");

    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(core, test_insert_and_get);
    tcase_add_test(core, test_latest_and_published_id);
    tcase_add_test(core, test_neighbour_url_random);
    tcase_add_test(core, test_state_machine);
    tcase_add_test(core, test_supersede_and_live);
    tcase_add_test(core, test_stats_refresh);
    tcase_add_test(core, test_title_and_language);
    tcase_add_test(core, test_collection_listing);
    tcase_add_test(core, test_site_listings);
    tcase_add_test(core, test_pending_queue);
    tcase_add_test(core, test_check_bodies);
    tcase_add_test(limits, test_times_and_nulls);
    tcase_add_test(limits, test_big_body);
    tcase_add_test(errors, test_not_found);
    tcase_add_test(errors, test_no_schema);
    tcase_add_test(errors, test_write_refused);
    tcase_add_test(errors, test_failing_allocator);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(document_suite());
}
