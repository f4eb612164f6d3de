/*
 * testdb: the test database fixture and its insert helpers (see
 * testdb.h).  Layer: tests/; depends on lib/ and Check.
 */
#include "testdb.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docindex.h"
#include "query.h"
#include "strbuf.h"

void
testdb_open(struct testdb *t, const char *tag, int flags)
{
    const char *src = getenv("KW_SRCDIR");

    memset(t, 0, sizeof(*t));
    snprintf(t->srcdir, sizeof(t->srcdir), "%s", src ? src : ".");
    snprintf(t->dir, sizeof(t->dir), "/tmp/%sXXXXXX", tag);
    ck_assert_ptr_nonnull(mkdtemp(t->dir));
    snprintf(t->path, sizeof(t->path), "%s/t.db", t->dir);
    snprintf(t->mig, sizeof(t->mig), "%s/db/migrations", t->srcdir);
    if (flags & TESTDB_WRITER) {
        t->w = testdb_connect(t, NULL, t->mig, DB_CREATE);
        if (flags & TESTDB_READER) {
            t->r = testdb_connect(t, NULL, NULL, DB_READONLY);
        }
    }
}

void
testdb_close(struct testdb *t)
{
    char cmd[128];

    db_close(t->r);
    db_close(t->w);
    t->r = t->w = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    if (system(cmd) != 0) {
        /* leftovers in /tmp are harmless */
    }
}

struct db *
testdb_connect(const struct testdb *t, const char *file, const char *migrations,
               int flags)
{
    struct db_opts o = {0};
    struct db_error e;
    struct db *db = NULL;
    char p[128];

    snprintf(p, sizeof(p), "%s/%s", t->dir, file ? file : "t.db");
    o.path = p;
    o.migrations_dir = migrations;
    o.flags = flags;
    ck_assert_msg(db_open(&o, &db, &e) == 0, "%s", e.msg);
    return db;
}

void
testdb_exec(struct db *db, const char *sql)
{
    ck_assert_msg(db_exec(db, sql) == SQLITE_OK, "%s: %s", sql, db_errmsg(db));
}

void
testdb_write(struct db *db, const char *sql)
{
    ck_assert_int_eq(db_write_begin(db), SQLITE_OK);
    testdb_exec(db, sql);
    ck_assert_int_eq(db_write_commit(db), SQLITE_OK);
}

/* Prepare sql on db's handle; asserts success.  New statement. */
static sqlite3_stmt *
prepare(struct db *db, const char *sql)
{
    sqlite3_stmt *st = NULL;

    ck_assert_msg(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) ==
                      SQLITE_OK,
                  "%s: %s", sql, db_errmsg(db));
    return st;
}

/* Step st to its end and finalize it; the new rowid. */
static int64_t
finish(struct db *db, sqlite3_stmt *st)
{
    ck_assert_msg(sqlite3_step(st) == SQLITE_DONE, "%s", db_errmsg(db));
    sqlite3_finalize(st);
    return sqlite3_last_insert_rowid(db_handle(db));
}

int64_t
testdb_add_collection(struct db *db, const char *name, const char *title,
                      const char *language)
{
    sqlite3_stmt *st = prepare(db, "INSERT INTO collection(name, title,"
                                   " language, created_at, updated_at)"
                                   " VALUES (?1, ?2, ?3, 0, 0)");

    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, language, -1, SQLITE_TRANSIENT);
    return finish(db, st);
}

int64_t
testdb_insert_document(struct db *db, const struct testdb_doc *d)
{
    sqlite3_stmt *st = prepare(
        db, "INSERT INTO document(collection_id, path, version, status,"
            " title, title_norm, language, content_type, body_html,"
            " body_text, source_url, source_url_norm, ingested_at, batch_id,"
            " operator, orig_sha256, orig_size, body_sha256, published_at,"
            " updated_at) VALUES (?1, ?2, ?3, ?4, ?5, coalesce(?6, lower(?5)),"
            " ?7, 'text/html', ?8, ?9, ?10, ?10, ?11, ?12, ?13, ?14, ?15,"
            " ?14, ?16, ?17)");

    sqlite3_bind_int64(st, 1, d->collection_id);
    sqlite3_bind_text(st, 2, d->path, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 3, d->version);
    sqlite3_bind_text(st, 4, d->status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, d->title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, d->title_norm, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 7, d->language, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, d->body_html, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 9, d->body_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 10, d->source_url_norm, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 11, d->ingested_at);
    if (d->batch_id != 0) {
        sqlite3_bind_int64(st, 12, d->batch_id);
    }
    sqlite3_bind_text(st, 13, d->operator_name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 14, d->sha256, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 15, d->orig_size);
    if (d->published_at >= 0) {
        sqlite3_bind_int64(st, 16, d->published_at);
    }
    sqlite3_bind_int64(st, 17, d->updated_at);
    return finish(db, st);
}

int64_t
testdb_add_document(struct db *db, int64_t collection, const char *path,
                    const char *title, const char *language, const char *status,
                    long long published_at)
{
    struct strbuf norm = STRBUF_INIT;
    struct testdb_doc d = {0};
    int64_t id;

    ck_assert_int_eq(query_normalize_title(title, strlen(title), &norm), 0);
    d.collection_id = collection;
    d.path = path;
    d.version = 1;
    d.status = status;
    d.title = title;
    d.title_norm = strbuf_peek(&norm);
    d.language = language;
    d.body_html = "";
    d.body_text = "";
    d.operator_name = "test";
    d.sha256 =
        "0000000000000000000000000000000000000000000000000000000000000000";
    d.published_at = published_at;
    id = testdb_insert_document(db, &d);
    strbuf_free(&norm);
    return id;
}

int64_t
testdb_insert_section(struct db *db, int64_t doc, int ord, const char *anchor,
                      const char *title, const char *heading, const char *body,
                      long long body_bytes)
{
    sqlite3_stmt *st = prepare(
        db, "INSERT INTO section(document_id, ord, anchor, title, heading,"
            " body, body_bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
            " CASE WHEN ?7 < 0 THEN length(CAST(?6 AS BLOB)) ELSE ?7 END)");
    int64_t id;

    sqlite3_bind_int64(st, 1, doc);
    sqlite3_bind_int(st, 2, ord);
    sqlite3_bind_text(st, 3, anchor, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, heading, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, body, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, body_bytes);
    id = finish(db, st);
    st = prepare(db, "INSERT INTO section_fts(rowid, title, heading, body)"
                     " VALUES (?1, ?2, ?3, ?4)");
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, title, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, heading, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, body, -1, SQLITE_TRANSIENT);
    finish(db, st);
    return id;
}

int64_t
testdb_add_section(struct db *db, int64_t doc, int ord, const char *anchor,
                   const char *title, const char *heading, const char *body)
{
    return testdb_insert_section(db, doc, ord, anchor, title, heading, body,
                                 -1);
}

int64_t
testdb_add_simple(struct db *db, int64_t collection, const char *path,
                  const char *title, const char *language, const char *status,
                  long long published_at, const char *body)
{
    int64_t id = testdb_add_document(db, collection, path, title, language,
                                     status, published_at);

    testdb_add_section(db, id, 0, NULL, title, "", body);
    return id;
}

void
testdb_reindex(struct db *w)
{
    ck_assert_int_eq(db_write_begin(w), SQLITE_OK);
    ck_assert_int_ge(docindex_rebuild(w), 0);
    ck_assert_int_eq(db_write_commit(w), SQLITE_OK);
}

int
testdb_plans(struct db *db, const char *sql_has, char *out, size_t size)
{
    sqlite3_stmt *st = NULL, *plan;
    char sql[2048];
    size_t len = 0;
    int n = 0;

    out[0] = '\0';
    while ((st = sqlite3_next_stmt(db_handle(db), st)) != NULL) {
        if (strstr(sqlite3_sql(st), sql_has) == NULL ||
            strncmp(sqlite3_sql(st), "EXPLAIN", 7) == 0) {
            continue;
        }
        n++;
        snprintf(sql, sizeof(sql), "EXPLAIN QUERY PLAN %s", sqlite3_sql(st));
        ck_assert_int_eq(
            sqlite3_prepare_v2(db_handle(db), sql, -1, &plan, NULL), SQLITE_OK);
        if (sqlite3_bind_parameter_count(plan) > 0) {
            sqlite3_bind_text(plan, 1, "x", -1, SQLITE_STATIC);
        }
        while (sqlite3_step(plan) == SQLITE_ROW && len + 1 < size) {
            len += (size_t)snprintf(out + len, size - len, "%s; ",
                                    sqlite3_column_text(plan, 3));
        }
        sqlite3_finalize(plan);
    }
    return n;
}
