/*
 * cmd_db: the subcommands that work on the database as a whole: `verify`,
 * `reindex`, `backup` and `requests export`.  Layer: cli/ (the program's
 * front end); depends on lib/ (db, document, docindex, audit, gz); never on
 * microhttpd.h, server/ or ingest/.  They print and return exit codes;
 * lib/ does neither.
 */
#include "cmd_db.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "docindex.h"
#include "document.h"
#include "gz.h"
#include "impact.h"

/* Print each row of a check statement; returns the number of problems. */
static int
verify_query(struct db *db, const char *sql, const char *what)
{
    sqlite3_stmt *st;
    int bad = 0, rc;

    if (sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL) != SQLITE_OK) {
        printf("%s: cannot run: %s\n", what, db_errmsg(db));
        return 1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);

        if (t != NULL && strcmp(t, "ok") == 0) {
            continue;
        }
        printf("%s: %s\n", what, t ? t : "(problem)");
        bad++;
    }
    if (rc != SQLITE_DONE) {
        printf("%s: %s\n", what, db_errmsg(db));
        bad++;
    }
    sqlite3_finalize(st);
    return bad;
}

/* sha256_of(X): hex SHA-256 of a text or blob value, for `verify`. */
static void
sql_sha256(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    char hex[65];
    const void *p;

    (void)argc;
    if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    p = sqlite3_value_type(argv[0]) == SQLITE_BLOB
            ? sqlite3_value_blob(argv[0])
            : (const void *)sqlite3_value_text(argv[0]);
    sha256_hex(p ? p : "", (size_t)sqlite3_value_bytes(argv[0]), hex);
    sqlite3_result_text(ctx, hex, 64, SQLITE_TRANSIENT);
}

/* Print one document whose body does not match its hash, for `verify`. */
static void
body_report(void *ctx, int64_t id)
{
    (void)ctx;
    printf("documents: document %lld body does not match body_sha256\n",
           (long long)id);
}

/* Print one broken audit row for `verify`. */
static void
audit_report(void *ctx, int64_t id, const char *why)
{
    (void)ctx;
    printf("audit: row %lld: %s\n", (long long)id, why);
}

/* kwangmyong verify: integrity, FTS index, foreign keys, stored hashes,
 * the audit chain. */
int
cmd_db_verify(struct cli *c, int argc, char **argv)
{
    struct db *db;
    int bad = 0;

    (void)argc;
    (void)argv;
    if (cli_open_writer(c, &db) < 0) {
        return EXIT_FATAL;
    }
    sqlite3_create_function(db_handle(db), "sha256_of", 1,
                            SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                            sql_sha256, NULL, NULL);
    bad += verify_query(db, "PRAGMA integrity_check", "integrity_check");
    bad += verify_query(db,
                        "SELECT 'foreign key: ' || \"table\" || ' row ' ||"
                        " rowid || ' -> ' || parent FROM pragma_foreign_key_"
                        "check",
                        "foreign_key_check");
    if (db_exec(db, "INSERT INTO section_fts(section_fts, rank)"
                    " VALUES('integrity-check', 1)") != SQLITE_OK) {
        printf("fts: %s\n", db_errmsg(db));
        bad++;
    }
    if (db_exec(db, "INSERT INTO doc_fts(doc_fts) VALUES('integrity-check')") !=
        SQLITE_OK) {
        printf("document index: %s\n", db_errmsg(db));
        bad++;
    } else {
        long n = docindex_check(db);

        if (n != 0) {
            printf("document index: %s\n",
                   n < 0 ? db_errmsg(db)
                         : "out of step with the published documents "
                           "(kwangmyong reindex repairs it)");
            bad++;
        }
    }
    bad += verify_query(db,
                        "SELECT 'blob ' || sha256 || ' does not match its "
                        "bytes' FROM blob WHERE sha256_of(data)"
                        " <> sha256",
                        "blobs");
    {
        long n = document_check_bodies(db, body_report, NULL);

        if (n < 0) {
            printf("documents: %s\n", db_errmsg(db));
            bad++;
        } else {
            bad += (int)n;
        }
    }
    {
        int n = audit_verify(db, audit_report, NULL);

        if (n < 0) {
            printf("audit: %s\n", db_errmsg(db));
            bad++;
        } else {
            bad += n;
        }
    }
    db_close(db);
    if (bad > 0) {
        printf("verify: %d problem(s)\n", bad);
        return EXIT_BAD_INPUT;
    }
    printf("verify: ok\n");
    return EXIT_OK;
}

/* kwangmyong reindex --lists: every impact list anew, with the default
 * threshold, in short write transactions (impact_build online): the
 * server's moderation and logins go on meanwhile.  The number of lists,
 * IMPACT_GAVE_WAY or -1. */
static long
build_lists(struct db *db)
{
    struct impact_online o;

    memset(&o, 0, sizeof(o));
    return impact_build(db, 0, &o);
}

/* kwangmyong reindex: the document index rebuilt from the published
 * documents (docindex.h), in one write transaction.  With --lists, only
 * search's impact lists are built anew from the index as it is
 * (impact.h): after an upgrade that changed a ranking constant, minutes
 * where the rebuild takes an hour at a million documents. */
int
cmd_db_reindex(struct cli *c, int argc, char **argv)
{
    int lists = argc == 2 && strcmp(argv[1], "--lists") == 0;
    struct db *db;
    long n = -1;

    if (argc != 1 && !lists) {
        fprintf(stderr, "Usage: kwangmyong reindex [OPTIONS] [--lists]\n");
        return EXIT_FATAL;
    }
    if (cli_open_writer(c, &db) < 0) {
        return EXIT_FATAL;
    }
    if (lists) {
        n = build_lists(db);
    } else if (db_write_begin(db) == SQLITE_OK) {
        n = docindex_rebuild(db);
        if (n < 0) {
            db_write_rollback(db);
        } else if (db_write_commit(db) != SQLITE_OK) {
            n = -1;
        }
    }
    if (n == IMPACT_GAVE_WAY) {
        fprintf(stderr,
                "kwangmyong reindex: the new impact lists were not swapped "
                "in: another build began meanwhile (its lists will be), or "
                "a reindex cut the change log; the lists in use stand\n");
        db_close(db);
        return EXIT_FATAL;
    }
    /* The rebuild wrote the index in many segments: one, or few, again. */
    if (n < 0 || (!lists && docindex_tidy(db, 0) < 0)) {
        fprintf(stderr, "kwangmyong reindex: %s\n", db_errmsg(db));
        db_close(db);
        return EXIT_FATAL;
    }
    db_close(db);
    if (lists) {
        printf("reindex: %ld search impact list(s) built\n", n);
    } else {
        printf("reindex: %ld published document(s) indexed\n", n);
    }
    return EXIT_OK;
}

/* kwangmyong backup FILE: an online, consistent copy. */
int
cmd_db_backup(struct cli *c, int argc, char **argv)
{
    struct db *db;
    sqlite3 *dst;
    sqlite3_backup *b;
    int rc;

    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "Usage: kwangmyong backup [--db FILE] DEST\n");
        return EXIT_FATAL;
    }
    if (access(argv[1], F_OK) == 0) {
        fprintf(stderr, "kwangmyong backup: %s exists; not overwriting\n",
                argv[1]);
        return EXIT_FATAL;
    }
    if (cli_open_writer(c, &db) < 0) {
        return EXIT_FATAL;
    }
    if (sqlite3_open_v2(argv[1], &dst,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        fprintf(stderr, "kwangmyong backup: %s: %s\n", argv[1],
                sqlite3_errmsg(dst));
        sqlite3_close(dst);
        db_close(db);
        return EXIT_FATAL;
    }
    b = sqlite3_backup_init(dst, "main", db_handle(db), "main");
    if (b == NULL) {
        rc = sqlite3_errcode(dst);
    } else {
        /* One step: one read transaction, so the copy is the database as
         * it was when the step began, while writers go on (WAL).  Small
         * steps would start again from the first page whenever another
         * process committed, and a busy ingest would never let one end. */
        do {
            rc = sqlite3_backup_step(b, -1);
            if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
                sqlite3_sleep(20);
            }
        } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
        sqlite3_backup_finish(b);
    }
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "kwangmyong backup: %s\n", sqlite3_errmsg(dst));
        sqlite3_close(dst);
        unlink(argv[1]);
        db_close(db);
        return EXIT_FATAL;
    }
    sqlite3_close(dst);
    db_close(db);
    printf("backup: %s written\n", argv[1]);
    return EXIT_OK;
}

/* kwangmyong requests export: the open acquisition requests, most wanted
 * first, one URL a line, for the retrieval team. */
int
cmd_db_requests(struct cli *c, int argc, char **argv)
{
    static const char sql[] =
        "SELECT url FROM acquisition_request WHERE status = 'open'"
        " ORDER BY count DESC, first_at";
    struct db *db;
    sqlite3_stmt *st;
    int rc;

    if (argc != 2 || strcmp(argv[1], "export") != 0) {
        fprintf(stderr, "Usage: kwangmyong requests export [OPTIONS]\n");
        return EXIT_FATAL;
    }
    if (cli_open_writer(c, &db) < 0) {
        return EXIT_FATAL;
    }
    st = db_stmt(db, sql);
    if (st == NULL) {
        db_close(db);
        return EXIT_FATAL;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        printf("%s\n", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_reset(st);
    db_close(db);
    return rc == SQLITE_DONE ? EXIT_OK : EXIT_FATAL;
}
