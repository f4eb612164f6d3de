/*
 * check_db: connection settings (C4 of hostile-world.md), migrations, the
 * statement cache, named binding, the cross-process write lock and the
 * query deadline.  Layer: tests/.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checkmain.h"
#include "db.h"
#include "docindex.h"
#include "testdb.h"
#include "version.h"

/* The directory and paths only: opening is what this suite tests. */
static struct testdb tdb;

static void
setup(void)
{
    testdb_open(&tdb, "kwdb", 0);
}

static void
teardown(void)
{
    testdb_close(&tdb);
}

static struct db *
open_db(int flags, long lock_ms)
{
    struct db_opts o = {0};
    struct db_error e;
    struct db *db = NULL;

    o.path = tdb.path;
    o.migrations_dir = (flags & DB_READONLY) ? NULL : tdb.mig;
    o.flags = flags;
    o.busy_timeout_ms = 3000;
    o.lock_timeout_ms = lock_ms;
    o.query_timeout_ms = 1000;
    ck_assert_msg(db_open(&o, &db, &e) == 0, "%s", e.msg);
    return db;
}

static long long
pragma(struct db *db, const char *name)
{
    char sql[128];
    sqlite3_stmt *st;
    long long v = -12345;

    snprintf(sql, sizeof(sql), "PRAGMA %s", name);
    ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL),
                     SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

START_TEST(test_settings_c4)
{
    struct db *w = open_db(DB_CREATE, 1000);
    struct db *r = open_db(DB_READONLY, 1000);
    struct db *both[2] = {w, r};
    int i, v;

    for (i = 0; i < 2; i++) {
        struct db *d = both[i];
        sqlite3_stmt *st;

        ck_assert_int_eq(pragma(d, "synchronous"), 2);
        ck_assert_int_eq(pragma(d, "foreign_keys"), 1);
        ck_assert_int_eq(pragma(d, "trusted_schema"), 0);
        ck_assert_int_eq(pragma(d, "busy_timeout"), 3000);
        ck_assert_int_eq(pragma(d, "wal_autocheckpoint"), 0);
        ck_assert_int_eq(pragma(d, "journal_size_limit"), 64 * 1024 * 1024);
        ck_assert_int_eq(pragma(d, "query_only"), i == 1);
        sqlite3_db_config(db_handle(d), SQLITE_DBCONFIG_DEFENSIVE, -1, &v);
        ck_assert_int_eq(v, 1);
        sqlite3_prepare_v2(db_handle(d), "PRAGMA journal_mode", -1, &st, NULL);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
        ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
        sqlite3_finalize(st);
    }
    ck_assert_int_eq(db_user_version(w), KW_SCHEMA_VERSION);
    /* writes start with BEGIN IMMEDIATE: the write lock is held from the
     * start (a deferred BEGIN would hold nothing yet, and its later
     * read-to-write upgrade fails with BUSY_SNAPSHOT in WAL mode) */
    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_int_eq(sqlite3_txn_state(db_handle(w), "main"), SQLITE_TXN_WRITE);
    db_write_rollback(w);
    ck_assert_int_eq(sqlite3_txn_state(db_handle(w), "main"), SQLITE_TXN_NONE);
    /* untrusted schema and defensive mode as the library reports them */
    sqlite3_db_config(db_handle(w), SQLITE_DBCONFIG_TRUSTED_SCHEMA, -1, &v);
    ck_assert_int_eq(v, 0);
    /* the reader refuses writes */
    ck_assert_int_ne(db_exec(r, "INSERT INTO setting VALUES('a','b')"),
                     SQLITE_OK);
    ck_assert_int_eq(db_write_begin(r), SQLITE_READONLY);
    db_close(r);
    db_close(w);
}
END_TEST

START_TEST(test_newer_refused)
{
    struct db *w = open_db(DB_CREATE, 1000);
    struct db_opts o = {0};
    struct db_error e;
    struct db *db;

    ck_assert_int_eq(db_exec(w, "PRAGMA user_version = 999"), SQLITE_OK);
    db_close(w);
    o.path = tdb.path;
    o.migrations_dir = tdb.mig;
    o.flags = DB_CREATE;
    ck_assert_int_eq(db_open(&o, &db, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "newer"));
    o.flags = DB_READONLY;
    o.migrations_dir = NULL;
    ck_assert_int_eq(db_open(&o, &db, &e), -1);
}
END_TEST

START_TEST(test_missing_file_and_migrations)
{
    struct db_opts o = {0};
    struct db_error e;
    struct db *db;

    o.path = tdb.path;
    o.flags = DB_READONLY;
    ck_assert_int_eq(db_open(&o, &db, &e), -1);
    ck_assert(access(tdb.path, F_OK) != 0); /* a reader never creates */
    o.flags = DB_CREATE;
    o.migrations_dir = "/nonexistent/migrations";
    ck_assert_int_eq(db_open(&o, &db, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/migrations"));
}
END_TEST

START_TEST(test_stmt_cache_and_bind)
{
    static const char ins[] = "INSERT INTO setting(key, value) "
                              "VALUES (:k, :v)";
    static const char sel[] = "SELECT value FROM setting WHERE key = :k";
    struct db *w = open_db(DB_CREATE, 1000);
    sqlite3_stmt *a, *b;
    char *v;

    a = db_stmt(w, ins);
    b = db_stmt(w, ins);
    ck_assert_ptr_eq(a, b);
    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_int_eq(db_bind_text(a, ":k", "lang"), SQLITE_OK);
    ck_assert_int_eq(db_bind_text(a, ":v", "한국어 <&>"), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(a), SQLITE_DONE);
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    b = db_stmt(w, sel);
    ck_assert_ptr_ne(a, b);
    db_bind_text(b, ":k", "lang");
    ck_assert_int_eq(sqlite3_step(b), SQLITE_ROW);
    v = db_column_dup(b, 0);
    ck_assert_str_eq(v, "한국어 <&>");
    free(v);
    /* many statements: the cache grows and keeps them all */
    ck_assert_ptr_eq(db_stmt(w, ins), a);
    ck_assert_ptr_null(db_stmt(w, "SELECT * FROM no_such_table"));
    db_close(w);
}
END_TEST

static int
read_fail(sqlite3_stmt *st, void *ctx)
{
    (void)st;
    ++*(int *)ctx;
    return -1;
}

/* The cached statement sql with :v bound to v. */
static sqlite3_stmt *
with_v(struct db *w, const char *sql, const char *v)
{
    sqlite3_stmt *st = db_stmt(w, sql);

    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(db_bind_text(st, ":v", v), SQLITE_OK);
    return st;
}

/* The one-step helpers: a write, an insert's rowid, a one-row lookup of
 * an integer, a text or anything (db_one), each reset for the next. */
START_TEST(test_step_helpers)
{
    static const char ins[] = "INSERT INTO t(v) VALUES (:v)";
    static const char sel[] = "SELECT id, v FROM t WHERE v = :v";
    static const char text[] = "SELECT v FROM t WHERE id = CAST(:v AS INT)";
    static const char null[] = "SELECT NULL";
    static const char bad[] = "SELECT abs(-9223372036854775807 - 1)";
    struct db *w = open_db(DB_CREATE, 1000);
    int64_t id = -1, v = -1;
    char *s = (char *)"unset";
    int calls = 0;

    ck_assert_int_eq(db_exec(w, "CREATE TEMP TABLE t(id INTEGER PRIMARY KEY,"
                                " v TEXT UNIQUE)"),
                     SQLITE_OK);
    ck_assert_int_eq(db_step_insert(with_v(w, ins, "a"), &id), 0);
    ck_assert_int_eq(id, 1);
    ck_assert_int_eq(db_step_done(with_v(w, ins, "b")), 0);
    /* A failed insert: -1, no rowid, and the statement is usable again. */
    ck_assert_int_eq(db_step_insert(with_v(w, ins, "a"), &id), -1);
    ck_assert_int_eq(id, 0);
    ck_assert_int_eq(db_step_insert(with_v(w, ins, "c"), &id), 0);
    ck_assert_int_eq(id, 3);

    ck_assert_int_eq(db_one_int64(with_v(w, sel, "b"), &v), 1);
    ck_assert_int_eq(v, 2);
    ck_assert_int_eq(db_one_int64(with_v(w, sel, "none"), &v), 0);
    ck_assert_int_eq(v, 2); /* left alone */
    ck_assert_int_eq(db_one_text(with_v(w, text, "3"), &s), 1);
    ck_assert_str_eq(s, "c");
    free(s);
    ck_assert_int_eq(db_one_text(with_v(w, text, "9"), &s), 0);
    ck_assert_ptr_null(s);
    /* SQL NULL: a row, read as 0 and as no text. */
    ck_assert_int_eq(db_one_int64(db_stmt(w, null), &v), 1);
    ck_assert_int_eq(v, 0);
    s = (char *)"unset";
    ck_assert_int_eq(db_one_text(db_stmt(w, null), &s), 1);
    ck_assert_ptr_null(s);

    /* A reader that fails fails the lookup; no row: it is not called. */
    ck_assert_int_eq(db_one(with_v(w, sel, "a"), read_fail, &calls), -1);
    ck_assert_int_eq(calls, 1);
    ck_assert_int_eq(db_one(with_v(w, sel, "none"), read_fail, &calls), 0);
    ck_assert_int_eq(calls, 1);
    /* An error while stepping (integer overflow). */
    v = 7;
    ck_assert_int_eq(db_one_int64(db_stmt(w, bad), &v), -1);
    ck_assert_int_eq(v, 7);
    ck_assert_int_eq(db_step_done(db_stmt(w, bad)), -1);
    db_close(w);
}
END_TEST

START_TEST(test_bind_unknown_name)
{
    static const char sel[] = "SELECT :a";
    struct db *w = open_db(DB_CREATE, 1000);
    sqlite3_stmt *st = db_stmt(w, sel);

    /* Without NDEBUG this aborts (the test expects SIGABRT); with it the
     * call returns SQLITE_RANGE. */
    ck_assert_int_eq(db_bind_int64(st, ":b", 1), SQLITE_RANGE);
    db_close(w);
}
END_TEST

START_TEST(test_rollback)
{
    struct db *w = open_db(DB_CREATE, 1000);

    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_int_eq(db_exec(w, "INSERT INTO setting VALUES('x','1')"),
                     SQLITE_OK);
    db_write_rollback(w);
    ck_assert_int_eq(pragma(w, "data_version") >= 0, 1);
    {
        sqlite3_stmt *st;

        sqlite3_prepare_v2(db_handle(w),
                           "SELECT count(*) FROM setting WHERE key = 'x'", -1,
                           &st, NULL);
        sqlite3_step(st);
        ck_assert_int_eq(sqlite3_column_int(st, 0), 0);
        sqlite3_finalize(st);
    }
    /* the lock was released: a new write starts at once */
    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    db_close(w);
}
END_TEST

/* The number of rows of doc_fts that the expression m matches. */
static int
doc_matches(struct db *w, const char *m)
{
    sqlite3_stmt *st = db_stmt(w, "SELECT count(*) FROM doc_fts"
                                  " WHERE doc_fts MATCH :m");
    int n;

    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(db_bind_text(st, ":m", m), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    n = sqlite3_column_int(st, 0);
    sqlite3_reset(st);
    return n;
}

/* The text of migration file name (new, free). */
static char *
read_migration(const char *name)
{
    char path[sizeof(tdb.mig) + 64], *sql;
    FILE *f;
    long n;

    snprintf(path, sizeof(path), "%s/%s", tdb.mig, name);
    ck_assert_ptr_nonnull(f = fopen(path, "rb"));
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    ck_assert_int_gt(n = ftell(f), 0);
    rewind(f);
    ck_assert_ptr_nonnull(sql = calloc(1, (size_t)n + 1));
    ck_assert_uint_eq(fread(sql, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return sql;
}

/* A database indexed at schema 6 upgrades to 7 (0007_definition_terms):
 * every row is indexed again with its definition terms, so a document
 * deleted from the contentless index with the new view's values leaves
 * nothing behind. */
START_TEST(test_upgrade_definition_terms)
{
    char *sql, *view, *end;
    struct db *w;
    int64_t c, d1, d2;

    /* Schema 6: the view of 0004, impact_meta without rank_params, no
     * term_docs (0008), document_catalog (0009), search_change (0010) nor
     * the second pair of lists (0011), user_version 6. */
    sql = read_migration("0004_doc_index.sql");
    ck_assert_ptr_nonnull(view = strstr(sql, "CREATE VIEW doc_text"));
    ck_assert_ptr_nonnull(end = strstr(view, "FROM document d;"));
    end[strlen("FROM document d;")] = '\0';
    w = testdb_connect(&tdb, NULL, tdb.mig, DB_CREATE);
    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    testdb_exec(w, "DROP VIEW doc_text");
    testdb_exec(w, view);
    testdb_exec(w, "DROP TABLE term_impact_1");
    testdb_exec(w, "DROP TABLE term_docs_1");
    testdb_exec(w, "ALTER TABLE impact_meta DROP COLUMN slot");
    testdb_exec(w, "DELETE FROM setting WHERE key = 'impact_build'");
    testdb_exec(w, "ALTER TABLE impact_meta DROP COLUMN rank_params");
    testdb_exec(w, "DROP TABLE term_docs");
    testdb_exec(w, "DROP INDEX document_catalog");
    /* 0010: its table, its triggers, and 0002's triggers back. */
    testdb_exec(w, "DROP TRIGGER search_change_signal_ins");
    testdb_exec(w, "DROP TRIGGER search_change_signal_upd");
    testdb_exec(w, "DROP TRIGGER search_generation_doc_insert");
    testdb_exec(w, "DROP TRIGGER search_generation_doc_update");
    testdb_exec(w, "DROP TRIGGER search_generation_doc_delete");
    testdb_exec(w, "DROP TABLE search_change");
    testdb_exec(w, "DELETE FROM setting WHERE key = 'search_change_floor'");
    testdb_exec(w, "DROP TABLE heading_key"); /* 0012 */
    {
        char *gen = read_migration("0002_search_generation.sql"), *t;

        ck_assert_ptr_nonnull(t = strstr(gen, "CREATE TRIGGER"));
        ck_assert_ptr_nonnull(
            end = strstr(t, "CREATE TRIGGER search_generation_collection"));
        *end = '\0';
        testdb_exec(w, t);
        free(gen);
    }
    c = testdb_add_collection(w, "up", "Upgrade", "en");
    d1 =
        testdb_add_document(w, c, "opts.html", "Options", "en", "published", 0);
    d2 = testdb_add_document(w, c, "other.html", "Other", "en", "published", 0);
    testdb_add_section(w, d1, 0, NULL, "Options", "Settings",
                       "the zyzzyva option sets how far a wombat goes");
    testdb_add_section(w, d2, 0, NULL, "Other", "", "a wombat stays home");
    testdb_exec(w, "UPDATE document SET body_html = '<dl><dt>zyzzyva</dt>"
                   "<dd>how far</dd></dl>' WHERE path = 'opts.html'");
    testdb_exec(w, "INSERT INTO doc_fts(rowid, title, heading, body)"
                   " SELECT id, title, heading, body FROM doc_text");
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    testdb_exec(w, "PRAGMA user_version = 6");
    ck_assert_int_eq(doc_matches(w, "heading : zyzzyva"), 0);
    db_close(w);
    free(sql);

    w = testdb_connect(&tdb, NULL, tdb.mig, DB_CREATE);
    ck_assert_int_eq(db_user_version(w), KW_SCHEMA_VERSION);
    ck_assert_int_eq(doc_matches(w, "heading : zyzzyva"), 1);
    ck_assert_int_eq(doc_matches(w, "wombat"), 2);
    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_int_eq(docindex_drop(w, d1), 1);
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    ck_assert_int_eq(doc_matches(w, "zyzzyva"), 0);
    ck_assert_int_eq(doc_matches(w, "wombat"), 1);
    ck_assert_int_eq(db_exec(w, "INSERT INTO doc_fts(doc_fts, rank)"
                                " VALUES ('integrity-check', 0)"),
                     SQLITE_OK);
    db_close(w);
}
END_TEST

/* The heading keys of document d, sorted, each followed by ';' (into buf,
 * n bytes). */
static const char *
keys_of(struct db *w, int64_t d, char *buf, size_t n)
{
    static const char sql[] = "SELECT key FROM heading_key"
                              " WHERE document_id = :d ORDER BY key";
    sqlite3_stmt *st = db_stmt(w, sql);
    size_t len = 0;

    ck_assert_ptr_nonnull(st);
    ck_assert_int_eq(db_bind_int64(st, ":d", d), SQLITE_OK);
    buf[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        len += (size_t)snprintf(buf + len, n - len, "%s;",
                                (const char *)sqlite3_column_text(st, 0));
        ck_assert_uint_lt(len, n);
    }
    sqlite3_reset(st);
    return buf;
}

/* A database of schema 11 upgrades to 12 (0012_heading_key): the keys of
 * the published documents, from their headings and definition terms, as
 * docindex_put() writes them; docindex_drop() removes exactly those, and
 * docindex_rebuild() writes them all again. */
START_TEST(test_upgrade_heading_keys)
{
    struct db *w;
    int64_t c, d1, d2, d3;
    char want[256], got[256];

    w = testdb_connect(&tdb, NULL, tdb.mig, DB_CREATE);
    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    c = testdb_add_collection(w, "up", "Upgrade", "en");
    d1 = testdb_add_document(w, c, "glossary.html", "Glossary", "en",
                             "published", 0);
    d2 = testdb_add_document(w, c, "api/I_002fO-ref.html", "Reference", "en",
                             "published", 0);
    d3 = testdb_add_document(w, c, "draft.html", "Draft", "en", "pending", 0);
    testdb_add_section(w, d1, 0, NULL, "Glossary", "", "terms");
    testdb_add_section(w, d1, 1, "a", "", "1.2. Terms¶", "decorators and more");
    testdb_add_section(w, d2, 0, NULL, "Reference", "Examples:", "calls");
    testdb_add_section(w, d3, 0, NULL, "Draft", "Drafts", "not yet");
    testdb_exec(w, "UPDATE document SET body_html = '<dl><dt>Decorator</dt>"
                   "<dd>wraps</dd><dt><code>ctime</code></dt><dd>a field</dd>"
                   "</dl>' WHERE path = 'glossary.html'");
    testdb_exec(w, "UPDATE document SET body_html = '<dl><dt>: <var>s</var> ="
                   " <strong>ctime</strong> (<var>t</var>)</dt><dd>x</dd>"
                   "</dl><table><tr><th>Function</th><th>Description</th>"
                   "</tr><tr><td><code>left</code> ( <code>s</code> text )"
                   " &gt; text</td><td>first (n) characters</td></tr>"
                   "<tr><td>plain text</td><td>right (x)</td></tr>"
                   "<tr><td>the name of the function (always one)</td>"
                   "<td>no</td></tr>"
                   "</table>' WHERE path = 'api/I_002fO-ref.html'");
    ck_assert_int_eq(docindex_put(w, d1), 0);
    ck_assert_int_eq(docindex_put(w, d2), 0);
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    /* what docindex_put wrote: headings without their section number,
     * permalink sign or colon; the code-only term (a field's name) left
     * out; a signature's name beside the signature; of a table, the name
     * a row's first cell defines, and nothing else; the file name's words
     * (texinfo's escapes decoded) */
    ck_assert_str_eq(keys_of(w, d1, want, sizeof(want)),
                     "decorator;glossary;terms;");
    ck_assert_str_eq(keys_of(w, d2, got, sizeof(got)),
                     ": s = ctime (t);ctime;examples;i/o ref;left;");
    ck_assert_str_eq(keys_of(w, d3, got, sizeof(got)), "");

    /* back to schema 11: no keys */
    testdb_exec(w, "DROP TABLE heading_key");
    testdb_exec(w, "PRAGMA user_version = 11");
    db_close(w);
    w = testdb_connect(&tdb, NULL, tdb.mig, DB_CREATE);
    ck_assert_int_eq(db_user_version(w), KW_SCHEMA_VERSION);
    ck_assert_str_eq(keys_of(w, d1, got, sizeof(got)), want);
    ck_assert_str_eq(keys_of(w, d3, got, sizeof(got)), "");

    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_int_eq(docindex_drop(w, d1), 1);
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    ck_assert_str_eq(keys_of(w, d1, got, sizeof(got)), "");
    ck_assert_str_eq(keys_of(w, d2, got, sizeof(got)),
                     ": s = ctime (t);ctime;examples;i/o ref;left;");

    /* keys of a document not in the index: verify sees them, and a
     * rebuild writes the published documents' keys, once each */
    ck_assert_int_eq(docindex_check(w), 1); /* d1: published, not indexed */
    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    testdb_exec(w, "INSERT INTO heading_key VALUES ('stale', 12345)");
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    ck_assert_int_eq(docindex_check(w), 2);
    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_int_eq(docindex_rebuild(w), 2);
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    ck_assert_int_eq(docindex_check(w), 0);
    ck_assert_str_eq(keys_of(w, d1, got, sizeof(got)), want);
    ck_assert_str_eq(keys_of(w, 12345, got, sizeof(got)), "");
    db_close(w);
}
END_TEST

/* db_changed: 1 on the first look, 0 while nothing is committed (reads,
 * checkpoints), 1 after a commit by another connection of this process
 * and after one by another process, each seen by the very next look. */
START_TEST(test_changed)
{
    struct db *w = open_db(DB_CREATE, 1000);
    struct db *r = open_db(DB_READONLY, 1000);
    pid_t pid;
    int status, i;

    ck_assert_int_eq(db_changed(r), 1);
    ck_assert_int_eq(db_changed(r), 0);
    ck_assert_int_eq(db_changed(r), 0);
    for (i = 0; i < 20; i++) {
        ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
        ck_assert_int_eq(db_exec(w, "INSERT OR REPLACE INTO setting"
                                    " VALUES('x', random())"),
                         SQLITE_OK);
        ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
        ck_assert_int_eq(db_changed(r), 1);
        ck_assert_int_eq(db_changed(r), 0);
    }
    ck_assert_int_eq(db_checkpoint(w, 0), SQLITE_OK);
    ck_assert_int_eq(db_changed(r), 0);
    /* A checkpoint that resets the log, then a commit into the new log. */
    ck_assert_int_eq(db_checkpoint(w, 1), SQLITE_OK);
    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_int_eq(db_exec(w, "DELETE FROM setting WHERE key = 'x'"),
                     SQLITE_OK);
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    ck_assert_int_eq(db_changed(r), 1);
    ck_assert_int_eq(db_changed(r), 0);
    for (i = 0; i < 5; i++) {
        pid = fork();
        if (pid == 0) {
            struct db *c = open_db(0, 1000);
            int ok = db_write_begin(c) == SQLITE_OK &&
                     db_exec(c, "INSERT OR REPLACE INTO setting"
                                " VALUES('y', random())") == SQLITE_OK &&
                     db_write_commit(c) == SQLITE_OK;

            db_close(c);
            _exit(ok ? 0 : 1);
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        ck_assert_int_eq(WEXITSTATUS(status), 0);
        ck_assert_int_eq(db_changed(r), 1);
        ck_assert_int_eq(db_changed(r), 0);
    }
    db_close(r);
    db_close(w);
}
END_TEST

START_TEST(test_lock_across_processes)
{
    struct db *w = open_db(DB_CREATE, 300);
    int pipefd[2];
    pid_t pid;
    char c;
    int status;

    db_close(w);
    ck_assert_int_eq(pipe(pipefd), 0);
    pid = fork();
    if (pid == 0) {
        struct db *cw = open_db(0, 1000);

        if (db_write_begin(cw) != SQLITE_OK) {
            _exit(3);
        }
        if (write(pipefd[1], "x", 1) != 1) {
            _exit(4);
        }
        sleep(2);
        db_write_commit(cw);
        db_close(cw);
        _exit(0);
    }
    ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
    w = open_db(0, 300);
    /* the child holds the write lock: ours times out with BUSY, and so
     * does a checkpoint, passive or not (the WAL-reset trap) */
    ck_assert_int_eq(db_write_begin(w), SQLITE_BUSY);
    ck_assert_int_eq(db_checkpoint(w, 0), SQLITE_BUSY);
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    ck_assert_int_eq(db_checkpoint(w, 1), SQLITE_OK);
    db_close(w);
}
END_TEST

/* db_wal_frames: the WAL's frames after a commit; after a checkpoint that
 * copied them all, the next commit starts the WAL again.  db_cancel: every
 * statement from then on is interrupted. */
START_TEST(test_wal_frames_cancel)
{
    struct db *w = open_db(DB_CREATE, 1000);
    sqlite3_stmt *st;
    int before;

    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_int_eq(db_exec(w,
                             "CREATE TABLE big(x BLOB);"
                             " WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL"
                             " SELECT i + 1 FROM c WHERE i < 200)"
                             " INSERT INTO big SELECT zeroblob(4000) FROM c"),
                     SQLITE_OK);
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    before = db_wal_frames(w);
    ck_assert_int_gt(before, 200);
    ck_assert_int_eq(db_checkpoint(w, 0), SQLITE_OK);
    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_int_eq(db_exec(w, "INSERT INTO big VALUES (x'00')"), SQLITE_OK);
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    ck_assert_int_gt(db_wal_frames(w), 0);
    ck_assert_int_lt(db_wal_frames(w), 10);

    /* Enough steps for the progress handler to look. */
    st = db_stmt(w, "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1"
                    " FROM c WHERE x < 100000) SELECT count(*) FROM c");
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    sqlite3_reset(st);
    db_cancel(w);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_INTERRUPT);
    sqlite3_reset(st);
    db_close(w);
}
END_TEST

/* A writer that keeps taking the lock back leaves a waiting writer its
 * turn (DB_LOCK_FAIR_MS, DB_LOCK_YIELD_MS): without the pause the
 * child's next transaction took it back within microseconds, and the
 * parent's polls every 2 ms found it free too rarely for its 500 ms. */
START_TEST(test_lock_yields)
{
    struct db *w = open_db(DB_CREATE, 1000);
    int pipefd[2], status;
    pid_t pid;
    char c;

    ck_assert_int_eq(db_exec(w, "CREATE TABLE churn(x)"), SQLITE_OK);
    db_close(w);
    ck_assert_int_eq(pipe(pipefd), 0);
    pid = fork();
    if (pid == 0) {
        struct db *cw = open_db(0, 1000);
        struct timespec t0, now;

        int n = 0;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        now = t0;
        /* back-to-back transactions of 20 ms for 3 s; the parent tries
         * from the fifth on */
        while (now.tv_sec - t0.tv_sec < 3) {
            struct timespec hold = {0, 20000000L};

            if (db_write_begin(cw) != SQLITE_OK ||
                db_exec(cw, "INSERT INTO churn VALUES (1)") != SQLITE_OK) {
                _exit(3);
            }
            if (++n == 5 && write(pipefd[1], "x", 1) != 1) {
                _exit(4);
            }
            nanosleep(&hold, NULL);
            if (db_write_commit(cw) != SQLITE_OK) {
                _exit(3);
            }
            clock_gettime(CLOCK_MONOTONIC, &now);
        }
        db_close(cw);
        _exit(0);
    }
    ck_assert_int_eq(read(pipefd[0], &c, 1), 1);
    w = open_db(0, 500);
    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    waitpid(pid, &status, 0);
    ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    db_close(w);
}
END_TEST

START_TEST(test_deadline_interrupts)
{
    static const char sql[] =
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)"
        " SELECT count(*) FROM c";
    struct db *r;
    sqlite3_stmt *st;

    db_close(open_db(DB_CREATE, 1000));
    r = open_db(DB_READONLY, 1000);
    st = db_stmt(r, sql);
    db_deadline_start(r, 50);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_INTERRUPT);
    db_deadline_clear(r);
    db_close(r);
    /* the writer connection has the progress handler too */
    r = open_db(0, 1000);
    st = db_stmt(r, sql);
    db_deadline_start(r, 50);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_INTERRUPT);
    db_deadline_clear(r);
    db_close(r);
}
END_TEST

START_TEST(test_fts_tokenizer)
{
    struct db *w = open_db(DB_CREATE, 1000);
    sqlite3_stmt *st;
    const char *setup_sql =
        "INSERT INTO collection(id, name, title, created_at, updated_at)"
        " VALUES (1, 'c', 'C', 0, 0);"
        "INSERT INTO document(id, collection_id, path, title, title_norm,"
        " content_type, body_html, body_text, ingested_at, operator,"
        " orig_sha256, orig_size, body_sha256, updated_at) VALUES (1, 1,"
        " 'a.html', 'T', 't', 'text/html', '', '', 0, 'op',"
        " printf('%064d', 0), 0, printf('%064d', 0), 0);"
        "INSERT INTO section(id, document_id, ord, title, body) VALUES"
        " (7, 1, 0, '데이터베이스 안내', 'pg_stat_activity 이미지를 봅니다');"
        "INSERT INTO section_fts(rowid, title, heading, body)"
        " SELECT id, title, heading, body FROM section;";

    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_msg(db_exec(w, setup_sql) == SQLITE_OK, "%s", db_errmsg(w));
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
    sqlite3_prepare_v2(db_handle(w),
                       "SELECT count(*) FROM section_fts WHERE section_fts"
                       " MATCH ?",
                       -1, &st, NULL);
    {
        const char *hits[] = {"베이", "이미지", "stat", "pg_stat_activity"};
        size_t i;

        for (i = 0; i < 4; i++) {
            sqlite3_reset(st);
            sqlite3_bind_text(st, 1, hits[i], -1, SQLITE_STATIC);
            ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
            ck_assert_msg(sqlite3_column_int(st, 0) == 1, "no hit for %s",
                          hits[i]);
        }
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, "없는말", -1, SQLITE_STATIC);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
        ck_assert_int_eq(sqlite3_column_int(st, 0), 0);
    }
    sqlite3_finalize(st);
    /* the external-content index stays consistent */
    ck_assert_int_eq(db_exec(w, "INSERT INTO section_fts(section_fts, rank)"
                                " VALUES('integrity-check', 1)"),
                     SQLITE_OK);
    db_close(w);
}
END_TEST

static Suite *
db_suite(void)
{
    Suite *s = suite_create("db");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
          *errors = tcase_create("errors");

    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(core, test_settings_c4);
    tcase_add_test(core, test_stmt_cache_and_bind);
    tcase_add_test(core, test_step_helpers);
    tcase_add_test(core, test_rollback);
    tcase_add_test(core, test_changed);
    tcase_add_test(core, test_fts_tokenizer);
    tcase_add_test(core, test_upgrade_definition_terms);
    tcase_add_test(core, test_upgrade_heading_keys);
    tcase_add_test(limits, test_lock_across_processes);
    tcase_add_test(limits, test_lock_yields);
    tcase_add_test(limits, test_deadline_interrupts);
    tcase_add_test(limits, test_wal_frames_cancel);
    tcase_add_test(errors, test_newer_refused);
    tcase_add_test(errors, test_missing_file_and_migrations);
#ifdef NDEBUG
    tcase_add_test(errors, test_bind_unknown_name);
#else
    tcase_add_test_raise_signal(errors, test_bind_unknown_name, SIGABRT);
#endif
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(db_suite());
}
