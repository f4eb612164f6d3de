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
#include <time.h>

#include "auth.h"
#include "db.h"
#include "exitcode.h"
#include "http.h"
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
           "  --base-path /PREFIX  URL prefix behind a reverse proxy\n");
    common_help();
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
int
serve_main(struct config *cfg, const char *data_dir, int argc, char **argv)
{
    struct app app;
    struct http_server *srv;
    struct db *wdb = NULL;
    struct db_error dberr;
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
    if (db_open_writer(cfg, data_dir, &wdb, &dberr) < 0) {
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
    printf("kwangmyong %s serving %s at http://%s%s/\n", KW_VERSION, cfg->db,
           cfg->listen, cfg->base_path);
    fflush(stdout);
    LOG_INFO("listening on %s (port %d), data %s", cfg->listen, http_port(srv),
             data_dir);
    for (;;) {
        struct timespec tick = {1, 0};
        int sig = sigtimedwait(&set, NULL, &tick);

        if (sig == SIGHUP) {
            if (log_access_reopen() < 0) {
                LOG_ERROR("reopening %s: %s", cfg->access_log, strerror(errno));
            }
            continue;
        }
        if (sig == SIGTERM || sig == SIGINT) {
            break;
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
