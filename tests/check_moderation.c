/*
 * check_moderation: the document state machine: every transition and its
 * audit row, refused transitions with who decided and when, two
 * moderators racing on two writer connections, renditions dropped on
 * withdraw, acquisition requests fulfilled on approve, metadata edits
 * reaching title_norm and the FTS index, bulk and whole-batch approval,
 * approve inside the caller's transaction and ingest --approve (through
 * store_document) leaving the same rows as the moderation form.
 * Layer: tests/.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "checkmain.h"
#include "docindex.h"
#include "document.h"
#include "moderation.h"
#include "query.h"
#include "store.h"
#include "testdb.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define OTHER64                                                                \
    "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static struct testdb tdb;
static struct db *db;

static void
setup(void)
{
    testdb_open(&tdb, "kwmod", TESTDB_WRITER);
    db = tdb.w;
    testdb_exec(
        db, "INSERT INTO collection(id, name, title, created_at, updated_at)"
            " VALUES (1, 'manuals', 'Manuals', 1, 1)");
    testdb_exec(
        db, "INSERT INTO ingest_batch(id, collection_id, operator, started_at)"
            " VALUES (1, 1, 'op', 1), (2, 1, 'op', 1), (3, 1, 'op', 1)");
}

static void
teardown(void)
{
    testdb_close(&tdb);
}

/* A document as ingest leaves it, with section 0 and its FTS row. */
static int64_t
add_doc(const char *p, int version, const char *status, const char *title,
        const char *url_norm, int64_t batch)
{
    struct testdb_doc d = {0};
    int64_t id;

    d.collection_id = 1;
    d.path = p;
    d.version = version;
    d.status = status;
    d.title = title;
    d.title_norm = NULL; /* lower(title) */
    d.body_html = "<p>body</p>";
    d.body_text = "body";
    d.source_url_norm = url_norm;
    d.ingested_at = 1;
    d.batch_id = batch;
    d.operator_name = "op";
    d.sha256 = HEX64;
    d.orig_size = 4;
    d.published_at = -1;
    d.updated_at = 1;
    id = testdb_insert_document(db, &d);
    /* body_bytes stays 0: moderation never reads it */
    testdb_insert_section(db, id, 0, NULL, title, "", "plain words", 0);
    /* A published one as publication leaves it: in the document index. */
    if (strcmp(status, "published") == 0) {
        ck_assert_int_eq(docindex_put(db, id), 0);
    }
    return id;
}

static long long
q_int(const char *sql, int64_t arg)
{
    sqlite3_stmt *st;
    long long v = -1;

    ck_assert_msg(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) ==
                      SQLITE_OK,
                  "%s", sqlite3_errmsg(db_handle(db)));
    if (sqlite3_bind_parameter_count(st) > 0) {
        sqlite3_bind_int64(st, 1, arg);
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

static const char *
q_text(const char *sql, int64_t arg, char *buf, size_t n)
{
    sqlite3_stmt *st;

    buf[0] = '\0';
    ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL),
                     SQLITE_OK);
    if (sqlite3_bind_parameter_count(st) > 0) {
        sqlite3_bind_int64(st, 1, arg);
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return buf;
}

static const char *
status_of(int64_t doc)
{
    static char buf[32];

    return q_text("SELECT status FROM document WHERE id = ?1", doc, buf,
                  sizeof(buf));
}

static long long
audit_rows(void)
{
    return q_int("SELECT count(*) FROM audit", 0);
}

static void
no_report(void *ctx, int64_t id, const char *why)
{
    (void)ctx;
    ck_abort_msg("audit row %lld broken: %s", (long long)id, why);
}

static void
add_rendition(int64_t doc)
{
    sqlite3_stmt *st;

    ck_assert_int_eq(
        sqlite3_prepare_v2(db_handle(db),
                           "INSERT INTO rendition(document_id, lang,"
                           " build_id, etag, html, created_at) VALUES"
                           " (?1, 'ko', 'b', 'e', x'00', 1)",
                           -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_int64(st, 1, doc);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
}

/* ---- core ---- */

START_TEST(test_approve)
{
    struct mod_conflict c;
    int64_t d = add_doc("a.html", 1, "pending", "Alpha", "http://x/a", 1);
    time_t before = time(NULL);
    char buf[300];

    ck_assert_int_eq(moderation_approve(db, d, "alice", "10.0.0.1", &c),
                     MOD_OK);
    ck_assert_str_eq(status_of(d), "published");
    ck_assert_str_eq(q_text("SELECT decided_by FROM document WHERE id = ?1", d,
                            buf, sizeof(buf)),
                     "alice");
    ck_assert_int_ge(q_int("SELECT decided_at FROM document WHERE id = ?1", d),
                     before);
    ck_assert_int_eq(
        q_int("SELECT published_at = decided_at FROM document WHERE id = ?1",
              d),
        1);
    ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action ="
                           " 'approve' AND actor = 'alice' AND object_type"
                           " = 'document' AND client = '10.0.0.1'"
                           " AND object_id = ?1",
                           d),
                     1);
    ck_assert_str_eq(q_text("SELECT detail FROM audit", 0, buf, sizeof(buf)),
                     "{\"from\":\"pending\",\"fulfilled_requests\":0,"
                     "\"to\":\"published\"}");
    ck_assert_int_eq(audit_verify(db, no_report, NULL), 0);
}
END_TEST

START_TEST(test_approve_supersedes)
{
    int64_t v1 = add_doc("b.html", 1, "published", "B", "http://x/b", 1);
    int64_t v2 = add_doc("b.html", 2, "pending", "B2", "http://x/b", 2);
    int64_t v3 = add_doc("b.html", 3, "pending", "B3", "http://x/b", 3);
    int64_t other = add_doc("c.html", 1, "pending", "C", "http://x/c", 2);
    char buf[300];

    add_rendition(v1);
    ck_assert_int_eq(moderation_approve(db, v2, "bo", NULL, NULL), MOD_OK);
    ck_assert_str_eq(status_of(v1), "superseded");
    ck_assert_str_eq(status_of(v2), "published");
    ck_assert_str_eq(status_of(v3), "superseded");
    ck_assert_str_eq(status_of(other), "pending");
    ck_assert_int_eq(q_int("SELECT count(*) FROM rendition", 0), 0);
    q_text("SELECT detail FROM audit", 0, buf, sizeof(buf));
    ck_assert_ptr_nonnull(strstr(buf, "\"superseded\":[1,3]"));
}
END_TEST

START_TEST(test_reject_and_restore)
{
    int64_t d = add_doc("r.html", 1, "pending", "R", NULL, 1);
    struct mod_conflict c;
    char buf[300];

    ck_assert_int_eq(moderation_reject(db, d, "bo", "off topic", NULL, &c),
                     MOD_OK);
    ck_assert_str_eq(status_of(d), "rejected");
    ck_assert_str_eq(q_text("SELECT reason FROM document WHERE id = ?1", d, buf,
                            sizeof(buf)),
                     "off topic");
    ck_assert_str_eq(q_text("SELECT reason FROM audit WHERE action ="
                            " 'reject'",
                            0, buf, sizeof(buf)),
                     "off topic");
    ck_assert_int_eq(moderation_restore(db, d, "cy", NULL, NULL, &c), MOD_OK);
    ck_assert_str_eq(status_of(d), "pending");
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM audit WHERE action = 'restore' AND"
              " actor = 'cy' AND reason IS NULL",
              0),
        1);
    /* A blank optional reason is none. */
    ck_assert_int_eq(moderation_reject(db, d, "bo", "again", NULL, &c), MOD_OK);
    ck_assert_int_eq(moderation_restore(db, d, "cy", "  ", NULL, &c), MOD_OK);
    ck_assert_int_eq(audit_rows(), 4);
    ck_assert_int_eq(audit_verify(db, no_report, NULL), 0);
}
END_TEST

START_TEST(test_withdraw_invalidates)
{
    int64_t a = add_doc("a.html", 1, "published", "A", "http://x/a", 1);
    int64_t b = add_doc("b.html", 1, "published", "B", "http://x/b", 1);
    int64_t u = add_doc("u.html", 1, "published", "U", "http://x/u", 1);
    char sql[200];
    struct mod_conflict c;

    /* b links to a; u is unrelated. */
    snprintf(sql, sizeof(sql),
             "INSERT INTO link(document_id, target_url) VALUES (%lld,"
             " 'http://x/a')",
             (long long)b);
    testdb_exec(db, sql);
    add_rendition(a);
    add_rendition(b);
    add_rendition(u);
    ck_assert_int_eq(
        moderation_withdraw(db, a, "di", "copyright", "1.1.1.1", &c), MOD_OK);
    ck_assert_str_eq(status_of(a), "withdrawn");
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM rendition WHERE document_id = ?1", a), 0);
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM rendition WHERE document_id = ?1", b), 0);
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM rendition WHERE document_id = ?1", u), 1);
    ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action ="
                           " 'withdraw' AND reason = 'copyright'",
                           0),
                     1);
    /* Restored and approved again: linking pages are rendered afresh. */
    add_rendition(b);
    ck_assert_int_eq(moderation_restore(db, a, "di", "cleared", NULL, &c),
                     MOD_OK);
    ck_assert_int_eq(moderation_approve(db, a, "di", NULL, &c), MOD_OK);
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM rendition WHERE document_id = ?1", b), 0);
}
END_TEST

START_TEST(test_approve_fulfils_request)
{
    int64_t d = add_doc("f.html", 1, "pending", "F", "http://x/f", 1);

    testdb_exec(
        db, "INSERT INTO acquisition_request(url_norm, url, first_at, last_at)"
            " VALUES ('http://x/f', 'http://x/f', 1, 1),"
            " ('http://x/g', 'http://x/g', 1, 1)");
    ck_assert_int_eq(moderation_approve(db, d, "eve", NULL, NULL), MOD_OK);
    ck_assert_int_eq(q_int("SELECT count(*) FROM acquisition_request WHERE"
                           " url_norm = 'http://x/f' AND status ="
                           " 'fulfilled' AND document_id = ?1",
                           d),
                     1);
    ck_assert_int_eq(q_int("SELECT count(*) FROM acquisition_request WHERE"
                           " url_norm = 'http://x/g' AND status = 'open'"
                           " AND document_id IS NULL",
                           0),
                     1);
    ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE detail LIKE"
                           " '%\"fulfilled_requests\":1%'",
                           0),
                     1);
}
END_TEST

START_TEST(test_approve_in_tx)
{
    /* The caller's transaction: nothing begun or committed here, so a
     * rollback takes the approve back and a commit keeps it. */
    int64_t v1 = add_doc("t.html", 1, "published", "T1", "http://x/t", 1);
    int64_t v2 = add_doc("t.html", 2, "pending", "T2", "http://x/t", 1);
    int64_t u = add_doc("u.html", 1, "published", "U", "http://x/u", 1);
    int64_t w = add_doc("w.html", 1, "published", "W", "http://x/w", 1);
    struct mod_conflict c;
    char buf[300], want[300];

    add_rendition(v1);
    add_rendition(u);
    add_rendition(w);
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(moderation_approve_in_tx(db, v2, "op", "cli:op",
                                              "ingest --approve", NULL, 0, &c),
                     MOD_OK);
    ck_assert_int_eq(sqlite3_get_autocommit(db_handle(db)), 0);
    ck_assert_str_eq(status_of(v1), "superseded");
    ck_assert_str_eq(status_of(v2), "published");
    db_write_rollback(db);
    ck_assert_str_eq(status_of(v1), "published");
    ck_assert_str_eq(status_of(v2), "pending");
    ck_assert_int_eq(q_int("SELECT count(*) FROM rendition", 0), 3);
    ck_assert_int_eq(audit_rows(), 0);

    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(moderation_approve_in_tx(db, v2, "op", "cli:op",
                                              "ingest --approve", NULL, 0, &c),
                     MOD_OK);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_str_eq(status_of(v1), "superseded");
    ck_assert_str_eq(status_of(v2), "published");
    /* The superseded published version's renditions are gone. */
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM rendition WHERE document_id = ?1", v1), 0);
    /* So are those of its neighbour, whose pager names its title; a
     * page further away keeps its own. */
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM rendition WHERE document_id = ?1", u), 0);
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM rendition WHERE document_id = ?1", w), 1);
    ck_assert_str_eq(q_text("SELECT decided_by FROM document WHERE id = ?1", v2,
                            buf, sizeof(buf)),
                     "op");
    ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action ="
                           " 'approve' AND actor = 'cli:op' AND reason ="
                           " 'ingest --approve' AND object_id = ?1",
                           v2),
                     1);
    snprintf(want, sizeof(want),
             "{\"from\":\"pending\",\"fulfilled_requests\":0,"
             "\"superseded\":[%lld],\"to\":\"published\"}",
             (long long)v1);
    ck_assert_str_eq(q_text("SELECT detail FROM audit", 0, buf, sizeof(buf)),
                     want);

    /* Refusals write nothing and leave the transaction to the caller. */
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    memset(&c, 0, sizeof(c));
    ck_assert_int_eq(
        moderation_approve_in_tx(db, v2, "op", NULL, NULL, NULL, 0, &c),
        MOD_CONFLICT);
    ck_assert_str_eq(c.by, "op");
    ck_assert_str_eq(c.status, "published");
    ck_assert_int_eq(
        moderation_approve_in_tx(db, 4242, "op", NULL, NULL, NULL, 0, NULL),
        MOD_NOT_FOUND);
    ck_assert_int_eq(
        moderation_approve_in_tx(db, v2, "", NULL, NULL, NULL, 0, NULL),
        MOD_BAD_REQUEST);
    ck_assert_int_eq(
        moderation_approve_in_tx(db, v2, "op", "", NULL, NULL, 0, NULL),
        MOD_BAD_REQUEST);
    ck_assert_int_eq(sqlite3_get_autocommit(db_handle(db)), 0);
    db_write_rollback(db);
    ck_assert_int_eq(audit_rows(), 1);
    ck_assert_int_eq(audit_verify(db, no_report, NULL), 0);
}
END_TEST

/* What an approve leaves behind for path p, without ids or times: per
 * version its status, decided_by, reason, whether published_at is set
 * and equals decided_at, and its renditions. */
static const char *
versions_of(const char *p, char *buf, size_t n)
{
    sqlite3_stmt *st;

    buf[0] = '\0';
    ck_assert_int_eq(
        sqlite3_prepare_v2(
            db_handle(db),
            "SELECT group_concat(v, '|') FROM (SELECT version || ' ' ||"
            " status || ' ' || coalesce(decided_by, '-') || ' ' ||"
            " coalesce(reason, '-') || ' ' || (published_at IS NOT NULL)"
            " || ' ' || coalesce(published_at = decided_at, 0) || ' ' ||"
            " (SELECT count(*) FROM rendition r WHERE r.document_id = d.id)"
            " AS v FROM document d WHERE path = ?1 ORDER BY version)",
            -1, &st, NULL),
        SQLITE_OK);
    sqlite3_bind_text(st, 1, p, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return buf;
}

/* Path NAME.html: version 1 published (with a rendition), version 2
 * pending, their ids in v; NAME-links.html links to it (with a
 * rendition), its id in *linker; a reader has asked for its URL. */
static void
approve_scene(const char *name, int64_t v[2], int64_t *linker)
{
    char p[64], url[64], sql[300];

    snprintf(p, sizeof(p), "%s.html", name);
    snprintf(url, sizeof(url), "http://x/%s", name);
    v[0] = add_doc(p, 1, "published", "V1", url, 1);
    v[1] = add_doc(p, 2, "pending", "V2", url, 1);
    snprintf(p, sizeof(p), "%s-links.html", name);
    *linker = add_doc(p, 1, "published", "L", NULL, 1);
    snprintf(sql, sizeof(sql),
             "INSERT INTO link(document_id, target_url) VALUES (%lld, '%s')",
             (long long)*linker, url);
    testdb_exec(db, sql);
    snprintf(sql, sizeof(sql),
             "INSERT INTO acquisition_request(url_norm, url, first_at,"
             " last_at) VALUES ('%s', '%s', 1, 1)",
             url, url);
    testdb_exec(db, sql);
    add_rendition(v[0]);
    add_rendition(*linker);
}

START_TEST(test_ingest_and_web_approve_agree)
{
    /* The same scene approved twice: version 3 through the moderation
     * form, and version 3 stored by ingest --approve (store_document). */
    int64_t w[2], wl, c[2], cl, w3, c3;
    struct store_doc sd;
    struct converted r;
    char err[256], web[300], cli[300], want[300], buf[300];

    approve_scene("web", w, &wl);
    approve_scene("cli", c, &cl);
    w3 = add_doc("web.html", 3, "pending", "V3", "http://x/web", 1);
    ck_assert_int_eq(moderation_approve(db, w3, "op", NULL, NULL), MOD_OK);

    /* New bytes (another sha256), so ingest stores version 3. */
    memset(&r, 0, sizeof(r));
    r.ok = 1;
    snprintf(r.orig_sha256, sizeof(r.orig_sha256), "%s", OTHER64);
    snprintf(r.body_sha256, sizeof(r.body_sha256), "%s", OTHER64);
    r.title = "V3";
    r.format = "html";
    r.content_type = "text/html";
    r.body_html = "<p>new</p>";
    r.text = "new";
    r.orig_size = 3;
    memset(&sd, 0, sizeof(sd));
    sd.collection_id = 1;
    sd.batch_id = 1;
    sd.collection = "manuals";
    sd.rel = "cli.html";
    sd.source_url = sd.doc_url = "http://x/cli";
    sd.operator_name = "op";
    sd.retrieved_at = -1;
    sd.approve = 1;
    sd.result = &r;
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_msg(store_document(db, &sd, &c3, err, sizeof(err)) ==
                      STORE_CHANGED,
                  "%s", err);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_str_eq(q_text("SELECT source_url_norm FROM document WHERE"
                            " id = ?1",
                            c3, buf, sizeof(buf)),
                     "http://x/cli");

    /* The versions: old ones superseded without renditions, the new one
     * published by op. */
    versions_of("web.html", web, sizeof(web));
    versions_of("cli.html", cli, sizeof(cli));
    ck_assert_str_eq(web, "1 superseded - - 0 0 0|2 superseded - - 0 0 0|"
                          "3 published op - 1 1 0");
    ck_assert_str_eq(cli, web);
    /* Pages linking to the URL are rendered again; the request is met. */
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM rendition WHERE document_id = ?1", wl), 0);
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM rendition WHERE document_id = ?1", cl), 0);
    ck_assert_int_eq(q_int("SELECT count(*) FROM acquisition_request WHERE"
                           " url_norm = 'http://x/web' AND status ="
                           " 'fulfilled' AND document_id = ?1",
                           w3),
                     1);
    ck_assert_int_eq(q_int("SELECT count(*) FROM acquisition_request WHERE"
                           " url_norm = 'http://x/cli' AND status ="
                           " 'fulfilled' AND document_id = ?1",
                           c3),
                     1);
    /* One audit row each: same detail; the actor and reason say who. */
    snprintf(want, sizeof(want),
             "{\"from\":\"pending\",\"fulfilled_requests\":1,"
             "\"superseded\":[%lld,%lld],\"to\":\"published\"}",
             (long long)w[0], (long long)w[1]);
    ck_assert_str_eq(q_text("SELECT detail FROM audit WHERE object_id = ?1"
                            " AND actor = 'op' AND reason IS NULL",
                            w3, buf, sizeof(buf)),
                     want);
    snprintf(want, sizeof(want),
             "{\"from\":\"pending\",\"fulfilled_requests\":1,"
             "\"superseded\":[%lld,%lld],\"to\":\"published\"}",
             (long long)c[0], (long long)c[1]);
    ck_assert_str_eq(q_text("SELECT detail FROM audit WHERE object_id = ?1"
                            " AND actor = 'cli:op' AND reason ="
                            " 'ingest --approve'",
                            c3, buf, sizeof(buf)),
                     want);
    ck_assert_int_eq(audit_rows(), 2);
    ck_assert_int_eq(audit_verify(db, no_report, NULL), 0);
}
END_TEST

/* rowid of section 0 of doc when MATCH finds it, else 0. */
static int64_t
fts_find(const char *match, int64_t doc)
{
    sqlite3_stmt *st;
    int64_t found = 0;

    ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db),
                                        "SELECT s.document_id FROM"
                                        " section_fts JOIN section s ON"
                                        " s.id = section_fts.rowid WHERE"
                                        " section_fts MATCH ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, match, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (sqlite3_column_int64(st, 0) == doc) {
            found = doc;
        }
    }
    sqlite3_finalize(st);
    return found;
}

/* Documents the document index finds for match (a small bitset of ids
 * below 64), asserting that the index is in step with the published set
 * and internally consistent. */
static unsigned long long
doc_find(const char *match)
{
    sqlite3_stmt *st;
    unsigned long long found = 0;

    ck_assert_int_eq(docindex_check(db), 0);
    ck_assert_int_eq(
        db_exec(db, "INSERT INTO doc_fts(doc_fts) VALUES('integrity-check')"),
        SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db),
                                        "SELECT rowid FROM doc_fts"
                                        " WHERE doc_fts MATCH ?1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, match, -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);

        ck_assert(id > 0 && id < 64);
        found |= 1ULL << id;
    }
    sqlite3_finalize(st);
    return found;
}

#define BIT(d) (1ULL << (d))

/* The document index follows every way into and out of the published
 * set: approval (and the version it supersedes), withdrawal, a retitle,
 * restore and approval again; a status set by hand leaves it out of step
 * (verify's check says so) and never corrupt, and a rebuild repairs it. */
START_TEST(test_docindex_follows)
{
    int64_t v1 = add_doc("k.html", 1, "published", "Kelp Farming", NULL, 1);
    int64_t v2 = add_doc("k.html", 2, "pending", "Kelp Harvest", NULL, 2);
    int64_t o = add_doc("o.html", 1, "pending", "Otter Survey", NULL, 2);
    struct mod_conflict c;
    char sql[128];

    ck_assert(doc_find("kelp") == BIT(v1));
    ck_assert(doc_find("otter") == 0);
    ck_assert_int_eq(moderation_approve(db, o, "mo", NULL, NULL), MOD_OK);
    ck_assert(doc_find("otter") == BIT(o));
    ck_assert(doc_find("plain words") == (BIT(v1) | BIT(o)));
    /* v2 replaces v1 */
    ck_assert_int_eq(moderation_approve(db, v2, "mo", NULL, NULL), MOD_OK);
    ck_assert(doc_find("kelp") == BIT(v2));
    ck_assert(doc_find("farming") == 0);
    ck_assert(doc_find("harvest") == BIT(v2));
    /* a retitle of a published document */
    ck_assert_int_eq(
        moderation_edit(db, v2, "mo", "Seaweed Harvest", NULL, NULL, 0, NULL),
        MOD_OK);
    ck_assert(doc_find("kelp") == 0);
    ck_assert(doc_find("title:seaweed") == BIT(v2));
    /* withdrawn, restored, approved again */
    ck_assert_int_eq(moderation_withdraw(db, o, "mo", "wrong", NULL, &c),
                     MOD_OK);
    ck_assert(doc_find("otter") == 0);
    ck_assert_int_eq(moderation_restore(db, o, "mo", "fixed", NULL, &c),
                     MOD_OK);
    ck_assert(doc_find("otter") == 0);
    ck_assert_int_eq(moderation_approve(db, o, "mo", NULL, NULL), MOD_OK);
    ck_assert(doc_find("otter") == BIT(o));
    /* by hand: out of step, not corrupt; withdrawing it then is harmless */
    snprintf(sql, sizeof(sql),
             "UPDATE document SET status = 'pending' WHERE id = %lld",
             (long long)o);
    testdb_exec(db, sql);
    ck_assert_int_eq(docindex_check(db), 1);
    snprintf(sql, sizeof(sql),
             "UPDATE document SET status = 'published' WHERE id = %lld",
             (long long)o);
    testdb_exec(db, sql);
    ck_assert_int_eq(docindex_check(db), 0);
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(docindex_drop(db, o), 1);
    ck_assert_int_eq(docindex_drop(db, o), 0); /* not in: nothing done */
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_int_eq(docindex_check(db), 1);
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(docindex_rebuild(db), 2);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert(doc_find("otter") == BIT(o));
    ck_assert(doc_find("harvest") == BIT(v2));
}
END_TEST

/* The search indexes stay in few segments: documents published in
 * transactions of their own leave a segment each (FTS5 merges a level
 * only at 4), docindex_tidy() merges them, keeping every match, and
 * finds nothing left to do the second time; moderation tidies after its
 * acts by itself.  A rebuild moves the search generation. */
START_TEST(test_index_tidy)
{
    int64_t ids[40], gen;
    unsigned long long before_kelp, before_plain;
    long segs, n;
    char name[32];
    int i;

    ck_assert_int_eq(
        q_int("SELECT v FROM doc_fts_config WHERE k = 'usermerge'", 0), 2);
    ck_assert_int_eq(
        q_int("SELECT v FROM section_fts_config WHERE k = 'usermerge'", 0), 2);
    for (i = 0; i < 40; i++) {
        snprintf(name, sizeof(name), "t%02d.html", i);
        ids[i] = add_doc(name, 1, i % 3 == 0 ? "published" : "pending",
                         i % 2 ? "Kelp Notes" : "Otter Notes", NULL, 1);
    }
    segs = docindex_segments(db, 0);
    ck_assert_int_ge(segs, 4); /* one a transaction, automerge at 4 */
    ck_assert_int_ge(docindex_segments(db, 1), 4);
    before_kelp = doc_find("kelp");
    before_plain = doc_find("plain words");
    ck_assert(before_kelp != 0 && before_plain != before_kelp);

    n = docindex_tidy(db, 0);
    ck_assert_int_gt(n, 0);
    ck_assert_int_le(docindex_segments(db, 0), 2);
    ck_assert_int_le(docindex_segments(db, 1), 2);
    ck_assert(doc_find("kelp") == before_kelp);
    ck_assert(doc_find("plain words") == before_plain);
    ck_assert_int_eq(
        db_exec(
            db,
            "INSERT INTO section_fts(section_fts) VALUES('integrity-check')"),
        SQLITE_OK);
    ck_assert_int_eq(docindex_tidy(db, 0), 0); /* nothing left */

    /* Moderation: one publication a transaction, merged as it goes. */
    for (i = 0; i < 40; i++) {
        if (i % 3 != 0) {
            ck_assert_int_eq(moderation_approve(db, ids[i], "mo", NULL, NULL),
                             MOD_OK);
        }
    }
    ck_assert_int_le(docindex_segments(db, 0), 3);
    for (i = 0; i < 40; i++) {
        ck_assert(doc_find("plain words") & BIT(ids[i]));
    }

    gen = q_int("SELECT value FROM setting WHERE key = 'search_generation'", 0);
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(docindex_rebuild(db), 40);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_int_eq(
        q_int("SELECT value FROM setting WHERE key = 'search_generation'", 0),
        gen + 1);
}
END_TEST

START_TEST(test_edit_metadata)
{
    int64_t d = add_doc("e.html", 1, "published", "Old Harbour Report",
                        "http://x/e", 1);
    const char *tags[] = {"ports", "fish", "ports"};
    struct strbuf norm = STRBUF_INIT;
    char buf[600];

    add_rendition(d);
    ck_assert_int_eq(fts_find("title:harbour", d), d);
    ck_assert_int_eq(moderation_edit(db, d, "fox", "28.2. New Zebrafish Atlas",
                                     "ko", tags, 3, "2.2.2.2"),
                     MOD_OK);
    ck_assert_int_eq(
        query_normalize_title("28.2. New Zebrafish Atlas", 25, &norm), 0);
    ck_assert_str_eq(q_text("SELECT title_norm FROM document WHERE id = ?1", d,
                            buf, sizeof(buf)),
                     strbuf_peek(&norm));
    strbuf_free(&norm);
    ck_assert_str_eq(q_text("SELECT title FROM section WHERE document_id ="
                            " ?1 AND ord = 0",
                            d, buf, sizeof(buf)),
                     "28.2. New Zebrafish Atlas");
    ck_assert_int_eq(fts_find("title:zebrafish", d), d);
    ck_assert_int_eq(fts_find("title:harbour", d), 0);
    ck_assert_int_eq(fts_find("plain", d), d);
    ck_assert_int_eq(db_exec(db, "INSERT INTO section_fts(section_fts, rank)"
                                 " VALUES('integrity-check', 1)"),
                     SQLITE_OK);
    ck_assert_str_eq(q_text("SELECT language FROM document WHERE id = ?1", d,
                            buf, sizeof(buf)),
                     "ko");
    ck_assert_str_eq(q_text("SELECT group_concat(t.name, ',') FROM (SELECT"
                            " t.name FROM document_tag dt JOIN tag t ON"
                            " t.id = dt.tag_id WHERE dt.document_id = ?1"
                            " ORDER BY t.name) t",
                            d, buf, sizeof(buf)),
                     "fish,ports");
    ck_assert_int_eq(q_int("SELECT count(*) FROM rendition", 0), 0);
    ck_assert_str_eq(
        q_text("SELECT detail FROM audit WHERE action = 'edit'", 0, buf,
               sizeof(buf)),
        "{\"new\":{\"language\":\"ko\",\"tags\":[\"fish\",\"ports\"],"
        "\"title\":\"28.2. New Zebrafish Atlas\"},\"old\":{\"language\":"
        "null,\"tags\":[],\"title\":\"Old Harbour Report\"}}");
    ck_assert_str_eq(status_of(d), "published"); /* any status, unchanged */

    /* The same values again change nothing and record nothing. */
    ck_assert_int_eq(moderation_edit(db, d, "fox", "28.2. New Zebrafish Atlas",
                                     "ko", tags, 2, NULL),
                     MOD_OK);
    ck_assert_int_eq(audit_rows(), 1);
    /* Clear the language and the tags; the title stays. */
    ck_assert_int_eq(moderation_edit(db, d, "fox", NULL, "", tags, 0, NULL),
                     MOD_OK);
    ck_assert_int_eq(
        q_int("SELECT language IS NULL FROM document WHERE id = ?1", d), 1);
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM document_tag WHERE document_id = ?1", d),
        0);
    ck_assert_int_eq(audit_rows(), 2);
    ck_assert_int_eq(audit_verify(db, no_report, NULL), 0);
}
END_TEST

/* A tag named twice, or already on the document, fails nothing: not
 * the ingest's tags (document_tag_add), not an edit's new set, not the
 * approve after them; every tag insert ignores a link already there. */
START_TEST(test_duplicate_tags)
{
    static const char names[] =
        "SELECT group_concat(t.name, ',') FROM (SELECT t.name FROM"
        " document_tag dt JOIN tag t ON t.id = dt.tag_id"
        " WHERE dt.document_id = ?1 ORDER BY t.name) t";
    int64_t d = add_doc("t.html", 1, "pending", "Tide Tables", "http://x/t", 1);
    const char *tags[] = {"tides", "ports", "tides", "ports"};
    char buf[64];

    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    ck_assert_int_eq(document_tag_add(db, d, "tides"), 0);
    ck_assert_int_eq(document_tag_add(db, d, "tides"), 0);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
    ck_assert_str_eq(q_text(names, d, buf, sizeof(buf)), "tides");
    ck_assert_int_eq(moderation_edit(db, d, "fox", NULL, NULL, tags, 4, NULL),
                     MOD_OK);
    ck_assert_str_eq(q_text(names, d, buf, sizeof(buf)), "ports,tides");
    ck_assert_int_eq(moderation_approve(db, d, "fox", NULL, NULL), MOD_OK);
    ck_assert_str_eq(status_of(d), "published");
    ck_assert_str_eq(q_text(names, d, buf, sizeof(buf)), "ports,tides");
}
END_TEST

START_TEST(test_batch_approve)
{
    int64_t a = add_doc("1.html", 1, "pending", "One", NULL, 2);
    int64_t b = add_doc("2.html", 1, "pending", "Two", NULL, 2);
    int64_t c = add_doc("3.html", 1, "rejected", "Three", NULL, 2);
    int64_t elsewhere = add_doc("4.html", 1, "pending", "Four", NULL, 3);
    int approved, skipped;

    ck_assert_int_eq(
        moderation_approve_batch(db, 2, "gil", NULL, &approved, &skipped),
        MOD_OK);
    ck_assert_int_eq(approved, 2);
    ck_assert_int_eq(skipped, 0);
    ck_assert_str_eq(status_of(a), "published");
    ck_assert_str_eq(status_of(b), "published");
    ck_assert_str_eq(status_of(c), "rejected");
    ck_assert_str_eq(status_of(elsewhere), "pending");
    ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action ="
                           " 'approve' AND detail LIKE '%\"batch\":2%'",
                           0),
                     2);
    /* Again: nothing left to do. */
    ck_assert_int_eq(
        moderation_approve_batch(db, 2, "gil", NULL, &approved, &skipped),
        MOD_OK);
    ck_assert_int_eq(approved, 0);
}
END_TEST

START_TEST(test_approve_and_reject_many)
{
    int64_t p1 = add_doc("m1.html", 1, "pending", "M1", NULL, 1);
    int64_t pub = add_doc("m2.html", 1, "published", "M2", NULL, 1);
    int64_t p3 = add_doc("m3.html", 1, "pending", "M3", NULL, 1);
    int64_t ids[3], rids[2];
    int res[3];
    struct mod_conflict cs[3];

    ids[0] = p1;
    ids[1] = pub;
    ids[2] = 9999;
    ck_assert_uint_eq(moderation_approve_many(db, ids, 3, "hu", NULL, res, cs),
                      1);
    ck_assert_int_eq(res[0], MOD_OK);
    ck_assert_int_eq(res[1], MOD_CONFLICT);
    ck_assert_str_eq(cs[1].status, "published");
    ck_assert_int_eq(res[2], MOD_NOT_FOUND);
    rids[0] = p3;
    rids[1] = p1;
    ck_assert_uint_eq(
        moderation_reject_many(db, rids, 2, "hu", "dup", NULL, res, NULL), 1);
    ck_assert_int_eq(res[0], MOD_OK);
    ck_assert_int_eq(res[1], MOD_CONFLICT);
    ck_assert_str_eq(status_of(p3), "rejected");
    ck_assert_int_eq(audit_rows(), 2);
}
END_TEST

/* ---- limits ---- */

struct racer {
    struct db *db;
    const char *name;
    int64_t doc;
    int reject;
    pthread_barrier_t *go;
    int result;
    struct mod_conflict c;
};

static void *
race(void *arg)
{
    struct racer *r = arg;

    pthread_barrier_wait(r->go);
    r->result = r->reject
                    ? moderation_reject(r->db, r->doc, r->name, "not for us",
                                        NULL, &r->c)
                    : moderation_approve(r->db, r->doc, r->name, NULL, &r->c);
    return NULL;
}

START_TEST(test_two_moderators_race)
{
    struct db *w2;
    pthread_barrier_t go;
    int round;

    w2 = testdb_connect(&tdb, NULL, tdb.mig, DB_CREATE);
    pthread_barrier_init(&go, NULL, 2);
    for (round = 0; round < 20; round++) {
        char p[32], msg[200];
        struct racer r[2];
        pthread_t t[2];
        int64_t d;
        int i, win;

        snprintf(p, sizeof(p), "race%d.html", round);
        d = add_doc(p, 1, "pending", "Race", NULL, 1);
        memset(r, 0, sizeof(r));
        for (i = 0; i < 2; i++) {
            r[i].db = i == 0 ? db : w2;
            r[i].name = i == 0 ? "mina" : "jun";
            r[i].doc = d;
            r[i].reject = round % 2 == 1 && i == 1;
            r[i].go = &go;
            ck_assert_int_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
        }
        for (i = 0; i < 2; i++) {
            pthread_join(t[i], NULL);
        }
        ck_assert_msg((r[0].result == MOD_OK) + (r[1].result == MOD_OK) == 1,
                      "round %d: %d %d", round, r[0].result, r[1].result);
        win = r[0].result == MOD_OK ? 0 : 1;
        ck_assert_int_eq(r[1 - win].result, MOD_CONFLICT);
        ck_assert_str_eq(r[1 - win].c.by, r[win].name);
        ck_assert_int_gt(r[1 - win].c.at, 0);
        moderation_conflict_text(&r[1 - win].c, msg, sizeof(msg));
        ck_assert_msg(strncmp(msg, "already decided by ", 19) == 0 &&
                          strstr(msg, r[win].name) != NULL,
                      "%s", msg);
        ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE"
                               " object_id = ?1",
                               d),
                         1);
    }
    pthread_barrier_destroy(&go);
    db_close(w2);
    ck_assert_int_eq(audit_rows(), 20);
    ck_assert_int_eq(audit_verify(db, no_report, NULL), 0);
}
END_TEST

START_TEST(test_batch_with_superseded_member)
{
    /* Two pending versions of one path in a batch: approving the first
     * supersedes the second, which is then skipped. */
    int64_t v1 = add_doc("s.html", 1, "pending", "S1", NULL, 2);
    int64_t v2 = add_doc("s.html", 2, "pending", "S2", NULL, 2);
    int approved, skipped;

    ck_assert_int_eq(
        moderation_approve_batch(db, 2, "ike", NULL, &approved, &skipped),
        MOD_OK);
    ck_assert_int_eq(approved, 1);
    ck_assert_int_eq(skipped, 1);
    ck_assert_str_eq(status_of(v1), "published");
    ck_assert_str_eq(status_of(v2), "superseded");
}
END_TEST

START_TEST(test_edit_limits)
{
    int64_t d = add_doc("l.html", 1, "pending", "L", NULL, 1);
    const char *many[MODERATION_TAGS_MAX + 1];
    char names[MODERATION_TAGS_MAX + 1][8], big[MODERATION_TITLE_MAX + 2];
    size_t i;

    for (i = 0; i <= MODERATION_TAGS_MAX; i++) {
        snprintf(names[i], sizeof(names[i]), "t%zu", i);
        many[i] = names[i];
    }
    ck_assert_int_eq(moderation_edit(db, d, "jo", NULL, NULL, many,
                                     MODERATION_TAGS_MAX + 1, NULL),
                     MOD_BAD_REQUEST);
    ck_assert_int_eq(moderation_edit(db, d, "jo", NULL, NULL, many,
                                     MODERATION_TAGS_MAX, NULL),
                     MOD_OK);
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM document_tag WHERE document_id = ?1", d),
        MODERATION_TAGS_MAX);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(moderation_edit(db, d, "jo", big, NULL, NULL, 0, NULL),
                     MOD_BAD_REQUEST);
    big[MODERATION_TITLE_MAX] = '\0';
    ck_assert_int_eq(moderation_edit(db, d, "jo", big, NULL, NULL, 0, NULL),
                     MOD_OK);
    ck_assert_int_eq(
        moderation_edit(db, d, "jo", NULL, "zh-Hant-TW", NULL, 0, NULL),
        MOD_OK);
    ck_assert_int_eq(audit_rows(), 3);
}
END_TEST

START_TEST(test_reason_limits)
{
    int64_t d = add_doc("q.html", 1, "pending", "Q", NULL, 1);
    char big[MODERATION_REASON_MAX + 2];

    memset(big, 'r', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(moderation_reject(db, d, "ky", big, NULL, NULL),
                     MOD_BAD_REQUEST);
    big[MODERATION_REASON_MAX] = '\0';
    ck_assert_int_eq(moderation_reject(db, d, "ky", big, NULL, NULL), MOD_OK);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_illegal_transitions)
{
    int64_t d = add_doc("i.html", 1, "pending", "I", NULL, 1);
    struct mod_conflict c;
    char msg[200];
    long long at;

    ck_assert_int_eq(moderation_approve(db, d, "lia", NULL, &c), MOD_OK);
    at = q_int("SELECT decided_at FROM document WHERE id = ?1", d);
    memset(&c, 0, sizeof(c));
    ck_assert_int_eq(moderation_approve(db, d, "max", NULL, &c), MOD_CONFLICT);
    ck_assert_str_eq(c.by, "lia");
    ck_assert_int_eq(c.at, at);
    ck_assert_str_eq(c.status, "published");
    moderation_conflict_text(&c, msg, sizeof(msg));
    ck_assert_msg(strncmp(msg, "already decided by lia at 20", 28) == 0 &&
                      strstr(msg, "UTC (now published)") != NULL,
                  "%s", msg);
    ck_assert_int_eq(moderation_reject(db, d, "max", "no", NULL, &c),
                     MOD_CONFLICT);
    ck_assert_int_eq(moderation_restore(db, d, "max", NULL, NULL, &c),
                     MOD_CONFLICT);
    ck_assert_int_eq(moderation_withdraw(db, d, "max", "bad", NULL, &c),
                     MOD_OK);
    ck_assert_int_eq(moderation_withdraw(db, d, "lia", "bad", NULL, &c),
                     MOD_CONFLICT);
    ck_assert_str_eq(c.by, "max");
    ck_assert_str_eq(c.status, "withdrawn");
    ck_assert_int_eq(moderation_approve(db, d, "lia", NULL, &c), MOD_CONFLICT);
    /* A superseded version is history: no act applies. */
    testdb_exec(db, "UPDATE document SET status = 'superseded'");
    ck_assert_int_eq(moderation_restore(db, d, "lia", NULL, NULL, NULL),
                     MOD_CONFLICT);
    ck_assert_int_eq(audit_rows(), 2);
}
END_TEST

START_TEST(test_bad_requests)
{
    int64_t d = add_doc("x.html", 1, "published", "X", NULL, 1);
    int64_t p = add_doc("y.html", 1, "pending", "Y", NULL, 1);
    const char *bad_tag[] = {"ok", "bad\ttag"};
    int approved, skipped;

    ck_assert_int_eq(moderation_reject(db, p, "mo", NULL, NULL, NULL),
                     MOD_BAD_REQUEST);
    ck_assert_int_eq(moderation_reject(db, p, "mo", "", NULL, NULL),
                     MOD_BAD_REQUEST);
    ck_assert_int_eq(moderation_reject(db, p, "mo", " \n\t", NULL, NULL),
                     MOD_BAD_REQUEST);
    ck_assert_int_eq(moderation_withdraw(db, d, "mo", NULL, NULL, NULL),
                     MOD_BAD_REQUEST);
    ck_assert_int_eq(moderation_approve(db, p, "", NULL, NULL),
                     MOD_BAD_REQUEST);
    ck_assert_int_eq(moderation_approve(db, p, NULL, NULL, NULL),
                     MOD_BAD_REQUEST);
    ck_assert_int_eq(moderation_edit(db, d, "mo", NULL, NULL, NULL, 0, NULL),
                     MOD_BAD_REQUEST);
    ck_assert_int_eq(moderation_edit(db, d, "mo", "", NULL, NULL, 0, NULL),
                     MOD_BAD_REQUEST);
    ck_assert_int_eq(moderation_edit(db, d, "mo", "   ", NULL, NULL, 0, NULL),
                     MOD_BAD_REQUEST);
    ck_assert_int_eq(
        moderation_edit(db, d, "mo", "a\x01title", NULL, NULL, 0, NULL),
        MOD_BAD_REQUEST);
    ck_assert_int_eq(moderation_edit(db, d, "mo", NULL, "k", NULL, 0, NULL),
                     MOD_BAD_REQUEST);
    ck_assert_int_eq(moderation_edit(db, d, "mo", NULL, "ko-", NULL, 0, NULL),
                     MOD_BAD_REQUEST);
    ck_assert_int_eq(
        moderation_edit(db, d, "mo", NULL, "en;drop", NULL, 0, NULL),
        MOD_BAD_REQUEST);
    ck_assert_int_eq(moderation_edit(db, d, "mo", NULL, NULL, bad_tag, 2, NULL),
                     MOD_BAD_REQUEST);
    ck_assert_int_eq(
        moderation_approve_batch(db, 2, "", NULL, &approved, &skipped),
        MOD_BAD_REQUEST);
    ck_assert_str_eq(status_of(p), "pending");
    ck_assert_str_eq(status_of(d), "published");
    ck_assert_int_eq(audit_rows(), 0);
}
END_TEST

START_TEST(test_not_found)
{
    int approved = -1, skipped = -1;

    ck_assert_int_eq(moderation_approve(db, 4242, "no", NULL, NULL),
                     MOD_NOT_FOUND);
    ck_assert_int_eq(moderation_reject(db, 4242, "no", "r", NULL, NULL),
                     MOD_NOT_FOUND);
    ck_assert_int_eq(moderation_withdraw(db, 4242, "no", "r", NULL, NULL),
                     MOD_NOT_FOUND);
    ck_assert_int_eq(moderation_restore(db, 4242, "no", NULL, NULL, NULL),
                     MOD_NOT_FOUND);
    ck_assert_int_eq(moderation_edit(db, 4242, "no", "T", NULL, NULL, 0, NULL),
                     MOD_NOT_FOUND);
    ck_assert_int_eq(
        moderation_approve_batch(db, 77, "no", NULL, &approved, &skipped),
        MOD_NOT_FOUND);
    ck_assert_int_eq(approved, 0);
    ck_assert_int_eq(skipped, 0);
    ck_assert_int_eq(audit_rows(), 0);
}
END_TEST

START_TEST(test_failure_rolls_back)
{
    /* A table the approve must write to is gone: the state change, the
     * supersede and the audit row roll back together. */
    int64_t v1 = add_doc("z.html", 1, "published", "Z", "http://x/z", 1);
    int64_t v2 = add_doc("z.html", 2, "pending", "Z2", "http://x/z", 1);

    testdb_exec(db, "DROP TABLE acquisition_vote");
    testdb_exec(db, "DROP TABLE acquisition_request");
    ck_assert_int_eq(moderation_approve(db, v2, "ned", NULL, NULL),
                     MOD_DB_ERROR);
    ck_assert_str_eq(status_of(v1), "published");
    ck_assert_str_eq(status_of(v2), "pending");
    ck_assert_int_eq(audit_rows(), 0);
}
END_TEST

static Suite *
moderation_suite(void)
{
    Suite *s = suite_create("moderation");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
          *errors = tcase_create("errors");

    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(core, test_approve);
    tcase_add_test(core, test_approve_supersedes);
    tcase_add_test(core, test_reject_and_restore);
    tcase_add_test(core, test_withdraw_invalidates);
    tcase_add_test(core, test_approve_fulfils_request);
    tcase_add_test(core, test_edit_metadata);
    tcase_add_test(core, test_duplicate_tags);
    tcase_add_test(core, test_docindex_follows);
    tcase_add_test(core, test_index_tidy);
    tcase_add_test(core, test_batch_approve);
    tcase_add_test(core, test_approve_and_reject_many);
    tcase_add_test(core, test_approve_in_tx);
    tcase_add_test(core, test_ingest_and_web_approve_agree);
    tcase_add_test(limits, test_two_moderators_race);
    tcase_add_test(limits, test_batch_with_superseded_member);
    tcase_add_test(limits, test_edit_limits);
    tcase_add_test(limits, test_reason_limits);
    tcase_add_test(errors, test_illegal_transitions);
    tcase_add_test(errors, test_bad_requests);
    tcase_add_test(errors, test_not_found);
    tcase_add_test(errors, test_failure_rolls_back);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(moderation_suite());
}
