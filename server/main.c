/*
 * main: the `kwangmyong` program and its subcommands.  Layer: server/
 * (front end); the subcommands call into lib/, server/ and ingest/.
 * Exit codes: 0 success, 1 done with some bad input, 2 usage or fatal.
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "audit.h"
#include "cmd_user.h"
#include "auth.h"
#include "db.h"
#include "docindex.h"
#include "gz.h"
#include "http.h"
#include "ingest.h"
#include "log.h"
#include "router.h"
#include "version.h"

static int
wants_help(int argc, char **argv)
{
    int i;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            return 1;
        }
    }
    return 0;
}

/* Open the database as the writer, creating and migrating it. */
static int
open_writer(struct cli *c, struct db **db)
{
    struct db_opts o = {0};
    struct db_error err;
    char mig[4200];

    snprintf(mig, sizeof(mig), "%s/db/migrations", c->data_dir);
    o.path = c->cfg.db;
    o.migrations_dir = mig;
    o.flags = DB_CREATE;
    o.busy_timeout_ms = c->cfg.busy_timeout_ms;
    o.lock_timeout_ms = c->cfg.lock_timeout_ms;
    o.query_timeout_ms = c->cfg.query_timeout_ms;
    if (db_open(&o, db, &err) < 0) {
        fprintf(stderr, "kwangmyong: %s\n", err.msg);
        return -1;
    }
    return 0;
}

static void
serve_usage(void)
{
    printf("Usage: kwangmyong serve [OPTIONS]\n"
           "Serve the portal over HTTP from the database.\n\n"
           "  --listen ADDR:PORT   where to listen (default 127.0.0.1:8080)\n"
           "  --base-path /PREFIX  URL prefix behind a reverse proxy\n");
    cli_print_common_help();
    printf("\nEvery configuration key ('kwangmyong help config') can be set "
           "with --set.\nSignals: SIGTERM/SIGINT stop gracefully, SIGHUP "
           "reopens the access log.\n");
}

/* glibc gives the free memory at the top of a thread's heap back to the
 * kernel once it passes 128 KiB, so a worker that builds a search page
 * and frees it paid an madvise and a page fault for every page of it on
 * the next request: a third of a rare-word search.  Keep up to 16 MiB per
 * arena, and leave blocks under 8 MiB in the heap (setting one knob
 * switches off glibc's own tuning of both). */
static void
tune_malloc(void)
{
#if defined(__GLIBC__) && defined(M_TRIM_THRESHOLD)
    mallopt(M_MMAP_THRESHOLD, 8 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 16 * 1024 * 1024);
#endif
}

/* kwangmyong serve: start the daemon, then wait for signals while taking
 * periodic checkpoints under the write lock. */
static int
cmd_serve(struct cli *c, int argc, char **argv)
{
    struct app app;
    struct http_server *srv;
    struct db *wdb = NULL;
    char err[1024];
    sigset_t set;
    time_t last_ckpt = time(NULL);
    int level, i;

    for (i = 1; i < argc; i++) {
        if (argv[i][0] == '-') {
            fprintf(stderr, "kwangmyong serve: unknown option %s\n", argv[i]);
            return EXIT_FATAL;
        }
    }
    level = log_level_parse(c->cfg.log_level);
    if (level < 0) {
        fprintf(stderr, "kwangmyong: log_level: unknown level '%s'\n",
                c->cfg.log_level);
        return EXIT_FATAL;
    }
    log_set_level(level);
    tune_malloc();
    if (i18n_index(c->cfg.default_language) < 0) {
        fprintf(stderr, "kwangmyong: default_language must be ko or en\n");
        return EXIT_FATAL;
    }
    if (log_access_open(c->cfg.access_log) < 0) {
        fprintf(stderr, "kwangmyong: %s: %s\n", c->cfg.access_log,
                strerror(errno));
        return EXIT_FATAL;
    }
    if (open_writer(c, &wdb) < 0) {
        return EXIT_FATAL;
    }
    {
        struct auth_config ac;

        auth_config_default(&ac);
        ac.idle_s = c->cfg.session_idle;
        ac.max_s = c->cfg.session_max;
        if (auth_init(&ac) < 0) {
            fprintf(stderr, "kwangmyong: cannot initialise libsodium\n");
            db_close(wdb);
            return EXIT_FATAL;
        }
    }
    if (app_init(&app, &c->cfg, c->data_dir, err, sizeof(err)) < 0) {
        fprintf(stderr, "kwangmyong: %s\n", err);
        db_close(wdb);
        return EXIT_FATAL;
    }
    app.wdb = wdb;
    /* The first search should not pay for the catalog (1M sections: about
     * a second); a failure here only moves that cost to it. */
    if (searchcache_prepare(app.searchcache, wdb) < 0) {
        LOG_WARN("search catalog not built at start: %s", db_errmsg(wdb));
    }
    /* Threads inherit this mask, so only the main thread takes signals. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    json_object_seed(0);
    if (http_start(&app, &srv, err, sizeof(err)) < 0) {
        fprintf(stderr, "kwangmyong: %s\n", err);
        app_free(&app);
        db_close(wdb);
        return EXIT_FATAL;
    }
    printf("kwangmyong %s serving %s at http://%s%s/\n", KW_VERSION, c->cfg.db,
           c->cfg.listen, c->cfg.base_path);
    fflush(stdout);
    LOG_INFO("listening on %s (port %d), data %s", c->cfg.listen,
             http_port(srv), c->data_dir);
    for (;;) {
        struct timespec tick = {1, 0};
        int sig = sigtimedwait(&set, NULL, &tick);

        if (sig == SIGHUP) {
            if (log_access_reopen() < 0) {
                LOG_ERROR("reopening %s: %s", c->cfg.access_log,
                          strerror(errno));
            }
            continue;
        }
        if (sig == SIGTERM || sig == SIGINT) {
            break;
        }
        if (time(NULL) - last_ckpt >= c->cfg.checkpoint_interval) {
            if (searchlog_flush(app.searchlog, wdb) < 0) {
                LOG_WARN("search log not written: %s", db_errmsg(wdb));
            }
            int restart = db_wal_size(wdb) > c->cfg.wal_restart_bytes;

            if (db_checkpoint(wdb, restart) != SQLITE_OK) {
                LOG_WARN("checkpoint: %s", db_errmsg(wdb));
            }
            last_ckpt = time(NULL);
        }
    }
    LOG_INFO("stopping: no new connections, finishing %ld request(s)",
             http_inflight(srv));
    http_quiesce(srv);
    {
        struct timespec nap = {0, 20000000L};
        long waited = 0;

        while (http_inflight(srv) > 0 &&
               waited < c->cfg.shutdown_timeout * 1000) {
            nanosleep(&nap, NULL);
            waited += 20;
        }
    }
    http_stop(srv);
    if (searchlog_flush(app.searchlog, wdb) < 0) {
        LOG_WARN("search log not written: %s", db_errmsg(wdb));
    }
    if (db_checkpoint(wdb, 1) != SQLITE_OK) {
        LOG_WARN("final checkpoint: %s", db_errmsg(wdb));
    }
    app_free(&app);
    db_close(wdb);
    LOG_INFO("stopped");
    return EXIT_OK;
}

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

/* Print one broken audit row for `verify`. */
static void
audit_report(void *ctx, int64_t id, const char *why)
{
    (void)ctx;
    printf("audit: row %lld: %s\n", (long long)id, why);
}

/* kwangmyong verify: integrity, FTS index, foreign keys, stored hashes,
 * the audit chain. */
static int
cmd_verify(struct cli *c, int argc, char **argv)
{
    struct db *db;
    int bad = 0;

    (void)argc;
    (void)argv;
    if (open_writer(c, &db) < 0) {
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
    bad += verify_query(db,
                        "SELECT 'document ' || id || ' body does not match "
                        "body_sha256' FROM document WHERE"
                        " sha256_of(body_html) <> body_sha256",
                        "documents");
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

/* kwangmyong reindex: the document index rebuilt from the published
 * documents (docindex.h), in one write transaction. */
static int
cmd_reindex(struct cli *c, int argc, char **argv)
{
    struct db *db;
    long n = -1;

    if (argc != 1) {
        fprintf(stderr, "Usage: kwangmyong reindex [OPTIONS]\n");
        return EXIT_FATAL;
    }
    (void)argv;
    if (open_writer(c, &db) < 0) {
        return EXIT_FATAL;
    }
    if (db_write_begin(db) == SQLITE_OK) {
        n = docindex_rebuild(db);
        if (n < 0) {
            db_write_rollback(db);
        } else if (db_write_commit(db) != SQLITE_OK) {
            n = -1;
        }
    }
    if (n < 0) {
        fprintf(stderr, "kwangmyong reindex: %s\n", db_errmsg(db));
        db_close(db);
        return EXIT_FATAL;
    }
    db_close(db);
    printf("reindex: %ld published document(s) indexed\n", n);
    return EXIT_OK;
}

/* kwangmyong backup FILE: an online, consistent copy. */
static int
cmd_backup(struct cli *c, int argc, char **argv)
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
    if (open_writer(c, &db) < 0) {
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
        /* Small steps let writers in between. */
        do {
            rc = sqlite3_backup_step(b, 256);
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

static void
usage(FILE *f)
{
    fprintf(f, "Usage: kwangmyong COMMAND [OPTIONS]\n\n"
               "Commands:\n"
               "  serve     serve the portal over HTTP\n"
               "  ingest    bring mirrored documents in as pending\n"
               "  user      manage admin, moderator and operator accounts\n"
               "  requests  export the pages readers asked for\n"
               "  backup    write an online copy of the database\n"
               "  verify    check database integrity and stored hashes\n"
               "  reindex   rebuild the document-level search index\n"
               "  version   print the version\n"
               "  help      this text; 'help config' lists configuration "
               "keys\n\n"
               "'kwangmyong COMMAND --help' describes a command's options.\n"
               "Exit codes: 0 success, 1 some input was bad (reported), "
               "2 usage or fatal error.\n");
}

struct command {
    const char *name;
    int (*run)(struct cli *c, int argc, char **argv);
    const char *help;
};

/* kwangmyong ingest: see ingest/ingest.c. */
static int
cmd_ingest(struct cli *c, int argc, char **argv)
{
    return ingest_main(&c->cfg, c->data_dir, argc, argv);
}

/* kwangmyong requests export: the open acquisition requests, most wanted
 * first, one URL a line, for the retrieval team. */
static int
cmd_requests(struct cli *c, int argc, char **argv)
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
    if (open_writer(c, &db) < 0) {
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

/* kwangmyong user: see server/cmd_user.c. */
static int
cmd_user(struct cli *c, int argc, char **argv)
{
    struct db *db;
    int rc;

    if (open_writer(c, &db) < 0) {
        return EXIT_FATAL;
    }
    rc = cmd_user_main(db, argc, argv);
    db_close(db);
    return rc;
}

static const struct command commands[] = {
    {"serve", cmd_serve, NULL},
    {"verify", cmd_verify,
     "Usage: kwangmyong verify [OPTIONS]\n"
     "Check PRAGMA integrity_check, foreign keys, the FTS index, every\n"
     "stored body and blob against its sha256, and the audit log's hash\n"
     "chain, and that the document index holds the published documents.\n"
     "Exit 1 when anything is wrong.\n"},
    {"reindex", cmd_reindex,
     "Usage: kwangmyong reindex [OPTIONS]\n"
     "Rebuild the document-level search index from the published\n"
     "documents, in one transaction (after statuses or titles were changed\n"
     "with SQL by hand; `verify` says when it is needed).  Searches keep\n"
     "running meanwhile.\n"},
    {"backup", cmd_backup,
     "Usage: kwangmyong backup [OPTIONS] DEST\n"
     "Write a consistent copy of the database to DEST (which must not "
     "exist)\nwhile the server keeps running.\n"},
    {"ingest", cmd_ingest, NULL},
    {"user", cmd_user, NULL},
    {"requests", cmd_requests,
     "Usage: kwangmyong requests export [OPTIONS]\n"
     "Print the open acquisition requests (pages readers asked for), most\n"
     "wanted first, one URL a line.\n"},
};

int
main(int argc, char **argv)
{
    struct cli c;
    size_t i;
    int rc;

    if (argc < 2) {
        usage(stderr);
        return EXIT_FATAL;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        if (argc > 2 && strcmp(argv[2], "config") == 0) {
            cli_print_config_keys();
        } else {
            usage(stdout);
        }
        return EXIT_OK;
    }
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("kwangmyong %s (schema %d, SQLite %s)\n", KW_VERSION,
               KW_SCHEMA_VERSION, sqlite3_libversion());
        return EXIT_OK;
    }
    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) != 0) {
            continue;
        }
        argc--;
        argv++;
        if (wants_help(argc, argv)) {
            if (commands[i].run == cmd_ingest) {
                ingest_usage();
                cli_print_common_help();
            } else if (commands[i].run == cmd_user) {
                cmd_user_usage();
                cli_print_common_help();
            } else if (commands[i].help == NULL) {
                serve_usage();
            } else {
                fputs(commands[i].help, stdout);
                cli_print_common_help();
            }
            return EXIT_OK;
        }
        rc = cli_init(&c, &argc, argv);
        if (rc != 0) {
            cli_free(&c);
            return rc;
        }
        if (cli_find_data_dir(&c, argv[0]) < 0) {
            cli_free(&c);
            return EXIT_FATAL;
        }
        rc = commands[i].run(&c, argc, argv);
        cli_free(&c);
        return rc;
    }
    fprintf(stderr, "kwangmyong: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_FATAL;
}
