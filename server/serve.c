/*
 * serve: `kwangmyong serve`, the daemon's life: settings checked, the
 * writer connection opened (creating and migrating the database), the
 * server started, then the main thread waits for signals and takes the
 * WAL checkpoints until SIGTERM or SIGINT, lets requests in flight finish
 * and stops.  Layer: server/; depends on lib/ and the rest of server/,
 * never on cli/ or ingest/.  Exit codes in exitcode.h.
 */
#include "serve.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "auth.h"
#include "db.h"
#include "exitcode.h"
#include "http.h"
#include "listkeeper.h"
#include "log.h"
#include "router.h"
#include "version.h"

/* See serve.h. */
void
serve_usage(void (*common_help)(void))
{
    printf("Usage: kwangmyong serve [OPTIONS]\n"
           "Serve the portal over HTTP from the database.\n\n"
           "  --listen ADDR:PORT   where to listen (default 127.0.0.1:8080)\n"
           "  --base-path /PREFIX  URL prefix behind a reverse proxy\n"
           "  --read-only          a replica: never write (read_only=true)\n"
           "  --tls-cert FILE      serve HTTPS with this PEM certificate\n"
           "  --tls-key FILE       and this PEM key (tls_cert, tls_key)\n");
    common_help();
    printf("\nEvery configuration key ('kwangmyong help config') can be set "
           "with --set.\nSignals: SIGTERM/SIGINT stop gracefully, SIGHUP "
           "reopens the access log\n(and, read-only, the database).\n");
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

/* A read-only replica's connection for the start (the schema version
 * checked, the catalog built): 0, or -1 with err set. */
static int
open_replica(const struct config *cfg, struct db **out, struct db_error *err)
{
    struct db_opts o = {0};

    o.path = cfg->db;
    o.flags = DB_READONLY | (cfg->immutable ? DB_IMMUTABLE : 0);
    o.busy_timeout_ms = cfg->busy_timeout_ms;
    o.query_timeout_ms = cfg->query_timeout_ms;
    return db_open(&o, out, err) < 0 ? -1 : 0;
}

/* stat() of the database file into *st: 0 or -1. */
static int
file_identity(const char *path, struct stat *st)
{
    return stat(path, st);
}

/* Move every reader to the database file as it is now (a replica's new
 * snapshot): each thread reopens before its next request, a request in
 * flight finishes on the old file.  A file that does not open (a wrong
 * schema version, half copied) keeps the old one in use. */
static void
roll_over(struct app *app, const struct config *cfg, struct stat *ident,
          const char *why)
{
    struct db *probe = NULL;
    struct db_error err;

    if (open_replica(cfg, &probe, &err) < 0) {
        LOG_ERROR("%s: not rolling over: %s", why, err.msg);
        return;
    }
    db_close(probe);
    file_identity(cfg->db, ident);
    atomic_fetch_add(&app->db_gen, 1);
    /* Pages of the old snapshot go at once, not thread by thread; so do
     * search results and the catalog, whose generation and change log
     * belong to the old file. */
    pagecache_bump(app->pagecache);
    searchcache_forget(app->searchcache);
    LOG_INFO("%s: readers move to the database file as it is now", why);
}

/* kwangmyong serve: start the daemon, then wait for signals while taking
 * periodic checkpoints under the write lock (a read-only replica instead
 * watches its file for a new snapshot). */
int
serve_main(struct config *cfg, const char *data_dir, int argc, char **argv)
{
    struct app app;
    struct http_server *srv;
    struct db *wdb = NULL;
    struct listkeeper *keeper = NULL;
    struct db_error dberr;
    char err[1024];
    sigset_t set;
    struct stat ident;
    time_t last_ckpt = time(NULL);
    int level, i;

    memset(&ident, 0, sizeof(ident));
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--read-only") == 0) {
            cfg->read_only = 1;
        } else if ((strcmp(argv[i], "--tls-cert") == 0 ||
                    strcmp(argv[i], "--tls-key") == 0) &&
                   i + 1 < argc) {
            struct config_error ce;

            if (config_set(cfg, argv[i][6] == 'c' ? "tls_cert" : "tls_key",
                           argv[i + 1], &ce) < 0) {
                fprintf(stderr, "kwangmyong serve: %s\n", ce.msg);
                return EXIT_FATAL;
            }
            i++;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "kwangmyong serve: unknown option %s\n", argv[i]);
            return EXIT_FATAL;
        }
    }
    if (cfg->immutable && !cfg->read_only) {
        fprintf(stderr, "kwangmyong: immutable needs read_only\n");
        return EXIT_FATAL;
    }
    level = log_level_parse(cfg->log_level);
    if (level < 0) {
        fprintf(stderr, "kwangmyong: log_level: unknown level '%s'\n",
                cfg->log_level);
        return EXIT_FATAL;
    }
    log_set_level(level);
    tune_malloc();
    if (i18n_index(cfg->default_language) < 0) {
        fprintf(stderr, "kwangmyong: default_language must be ko or en\n");
        return EXIT_FATAL;
    }
    if (log_access_open(cfg->access_log) < 0) {
        fprintf(stderr, "kwangmyong: %s: %s\n", cfg->access_log,
                strerror(errno));
        return EXIT_FATAL;
    }
    if ((cfg->read_only ? open_replica(cfg, &wdb, &dberr)
                        : db_open_writer(cfg, data_dir, &wdb, &dberr)) < 0) {
        fprintf(stderr, "kwangmyong: %s\n", dberr.msg);
        return EXIT_FATAL;
    }
    {
        struct auth_config ac;

        auth_config_default(&ac);
        ac.idle_s = cfg->session_idle;
        ac.max_s = cfg->session_max;
        if (auth_init(&ac) < 0) {
            fprintf(stderr, "kwangmyong: cannot initialise libsodium\n");
            db_close(wdb);
            return EXIT_FATAL;
        }
    }
    if (app_init(&app, cfg, data_dir, err, sizeof(err)) < 0) {
        fprintf(stderr, "kwangmyong: %s\n", err);
        db_close(wdb);
        return EXIT_FATAL;
    }
    /* A replica has no writer: wdb is a reader for the start only. */
    app.wdb = cfg->read_only ? NULL : wdb;
    /* The first search should not pay for the catalog (1M sections: about
     * a second); a failure here only moves that cost to it. */
    if (searchcache_prepare(app.searchcache, wdb) < 0) {
        LOG_WARN("search catalog not built at start: %s", db_errmsg(wdb));
    }
    if (cfg->read_only) {
        db_close(wdb);
        wdb = NULL;
        file_identity(cfg->db, &ident);
    }
    /* Threads inherit this mask, so only the main thread takes signals. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    json_object_seed(0);
    /* After the mask: the flusher must not take the main loop's signals.
     * Without it, lines are written as they come when the server is idle. */
    if (log_access_flusher_start() < 0) {
        LOG_WARN("access log flusher not started: lines are written at once");
    }
    if (http_start(&app, &srv, err, sizeof(err)) < 0) {
        log_access_flusher_stop();
        fprintf(stderr, "kwangmyong: %s\n", err);
        app_free(&app);
        db_close(wdb);
        return EXIT_FATAL;
    }
    if (!cfg->read_only &&
        listkeeper_start(cfg, data_dir, &keeper, err, sizeof(err)) < 0) {
        LOG_WARN("impact lists will not be kept fresh: %s", err);
    }
    printf("kwangmyong %s serving %s%s at %s://%s%s/\n", KW_VERSION, cfg->db,
           cfg->read_only ? " read-only" : "",
           cfg->tls_cert[0] != '\0' ? "https" : "http", cfg->listen,
           cfg->base_path);
    fflush(stdout);
    LOG_INFO("listening on %s (port %d), data %s", cfg->listen, http_port(srv),
             data_dir);
    for (;;) {
        /* A tenth of a second: buffered access lines wait no longer
         * than that when requests keep the server busy. */
        struct timespec tick = {0, 100000000L};
        int sig = sigtimedwait(&set, NULL, &tick);

        log_access_flush();
        if (sig == SIGHUP) {
            if (log_access_reopen() < 0) {
                LOG_ERROR("reopening %s: %s", cfg->access_log, strerror(errno));
            }
            if (cfg->read_only) {
                roll_over(&app, cfg, &ident, "SIGHUP");
            }
            continue;
        }
        if (sig == SIGTERM || sig == SIGINT) {
            break;
        }
        if (cfg->read_only) {
            struct stat now;

            /* A snapshot replaced by rename: every reader moves to it. */
            if (file_identity(cfg->db, &now) == 0 &&
                (now.st_ino != ident.st_ino || now.st_dev != ident.st_dev ||
                 now.st_mtime != ident.st_mtime)) {
                roll_over(&app, cfg, &ident, "file replaced");
            }
            continue;
        }
        if (time(NULL) - last_ckpt >= cfg->checkpoint_interval) {
            if (searchlog_flush(app.searchlog, wdb) < 0) {
                LOG_WARN("search log not written: %s", db_errmsg(wdb));
            }
            int restart = db_wal_size(wdb) > cfg->wal_restart_bytes;

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
               waited < cfg->shutdown_timeout * 1000) {
            nanosleep(&nap, NULL);
            waited += 20;
        }
    }
    http_stop(srv);
    listkeeper_stop(keeper);
    log_access_flusher_stop();
    log_access_flush();
    if (!cfg->read_only) {
        if (searchlog_flush(app.searchlog, wdb) < 0) {
            LOG_WARN("search log not written: %s", db_errmsg(wdb));
        }
        if (db_checkpoint(wdb, 1) != SQLITE_OK) {
            LOG_WARN("final checkpoint: %s", db_errmsg(wdb));
        }
    }
    app_free(&app);
    db_close(wdb);
    LOG_INFO("stopped");
    return EXIT_OK;
}
