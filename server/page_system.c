/*
 * page_system: /healthz, /metrics and /robots.txt, the endpoints for
 * machines.  Layer: server/.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "document.h"
#include "pages.h"
#include "strbuf.h"
#include "url.h"
#include "version.h"

static void
status_count(void *ctx, const char *status, int64_t n)
{
    json_object_set_new(ctx, status, json_integer(n));
}

/* GET /healthz: {"status", "database", "documents": {status: n},
 * "uptime", "version"}.  503 when the database cannot be read. */
int
page_healthz_get(struct req *req, json_t **model)
{
    json_t *m = json_object(), *docs = json_object();
    const char *states[] = {DOC_PUBLISHED, DOC_PENDING, DOC_REJECTED,
                            DOC_WITHDRAWN};
    size_t i;
    int ok;

    *model = m;
    for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        json_object_set_new(docs, states[i], json_integer(0));
    }
    ok = document_count_by_status(req->db, status_count, docs) == 0;
    json_object_set_new(m, "status", json_string(ok ? "ok" : "degraded"));
    json_object_set_new(m, "database", json_string(ok ? "ok" : "error"));
    json_object_set_new(m, "documents", docs);
    json_object_set_new(
        m, "uptime",
        json_integer((json_int_t)(time(NULL) - req->app->started)));
    json_object_set_new(m, "version", json_string(KW_VERSION));
    return ok ? 200 : 503;
}

/* GET /metrics: Prometheus text exposition format 0.0.4. */
/* 1 for a loopback peer address (as http.c writes it). */
static int
is_loopback(const char *client)
{
    return client != NULL &&
           (strncmp(client, "127.", 4) == 0 || strcmp(client, "::1") == 0 ||
            strncmp(client, "::ffff:127.", 11) == 0);
}

int
page_metrics_get(struct req *req, json_t **model)
{
    struct app *app = req->app;
    struct strbuf sb = STRBUF_INIT;
    size_t r;
    int s;
    unsigned long cum = 0, lat[APP_NBUCKETS], lat_sum, lat_count;
    struct stat st;
    struct searchcache_stats cs;
    struct pagecache_stats ps;
    long long dbsize = 0;

    (void)model;
    /* Who may read it: loopback clients and operator sessions, unless
     * metrics_public says everyone. */
    if (!app->cfg->metrics_public && !is_loopback(req->client)) {
        router_load_session(req);
        if (req->user == NULL || req->user->role < AUTH_OPERATOR) {
            return 403;
        }
    }
    strbuf_puts(&sb, "# HELP kwangmyong_http_requests_total HTTP requests "
                     "by route and status.\n"
                     "# TYPE kwangmyong_http_requests_total counter\n");
    for (r = 0; r <= nroutes; r++) {
        for (s = 0; s < APP_NSTATUS; s++) {
            unsigned long n = app_requests(app, r, s);

            if (n == 0) {
                continue;
            }
            strbuf_printf(&sb,
                          "kwangmyong_http_requests_total{route=\"%s\","
                          "status=\"%s%d\"} %lu\n",
                          r < nroutes ? routes[r].name : "none",
                          app_status_codes[s] ? "" : "other",
                          app_status_codes[s], n);
        }
    }
    app_latency(app, lat, &lat_sum, &lat_count);
    strbuf_puts(&sb, "# HELP kwangmyong_http_request_duration_seconds Time "
                     "to answer a request.\n"
                     "# TYPE kwangmyong_http_request_duration_seconds "
                     "histogram\n");
    for (s = 0; s < APP_NBUCKETS; s++) {
        cum += lat[s];
        if (app_buckets_us[s] < 0) {
            strbuf_printf(&sb,
                          "kwangmyong_http_request_duration_seconds_bucket{"
                          "le=\"+Inf\"} %lu\n",
                          cum);
        } else {
            strbuf_printf(&sb,
                          "kwangmyong_http_request_duration_seconds_bucket{"
                          "le=\"%g\"} %lu\n",
                          app_buckets_us[s] / 1e6, cum);
        }
    }
    strbuf_printf(&sb,
                  "kwangmyong_http_request_duration_seconds_sum %.6f\n"
                  "kwangmyong_http_request_duration_seconds_count %lu\n",
                  lat_sum / 1e6, lat_count);
    if (stat(db_path(req->db), &st) == 0) {
        dbsize = (long long)st.st_size;
    }
    strbuf_printf(&sb,
                  "# HELP kwangmyong_database_bytes Size of the database "
                  "file and its WAL.\n"
                  "# TYPE kwangmyong_database_bytes gauge\n"
                  "kwangmyong_database_bytes{file=\"main\"} %lld\n"
                  "kwangmyong_database_bytes{file=\"wal\"} %lld\n"
                  "# HELP kwangmyong_uptime_seconds Seconds since start.\n"
                  "# TYPE kwangmyong_uptime_seconds gauge\n"
                  "kwangmyong_uptime_seconds %lld\n",
                  dbsize, db_wal_size(req->db),
                  (long long)(time(NULL) - app->started));
    strbuf_printf(&sb,
                  "# HELP kwangmyong_search_pool_jobs Searches waiting for "
                  "or running on the search threads.\n"
                  "# TYPE kwangmyong_search_pool_jobs gauge\n"
                  "kwangmyong_search_pool_jobs{state=\"waiting\"} %zu\n"
                  "kwangmyong_search_pool_jobs{state=\"running\"} %zu\n"
                  "# HELP kwangmyong_search_refused_total Searches answered "
                  "503 because the search queue was full.\n"
                  "# TYPE kwangmyong_search_refused_total counter\n"
                  "kwangmyong_search_refused_total %lu\n",
                  app->search_pool ? workpool_waiting(app->search_pool) : 0,
                  app->search_pool ? workpool_running(app->search_pool) : 0,
                  atomic_load(&app->search_refused));
    searchcache_stats(app->searchcache, &cs);
    strbuf_printf(&sb,
                  "# HELP kwangmyong_search_cache_lookups_total Searches "
                  "answered from the result cache (hit) or not (miss).\n"
                  "# TYPE kwangmyong_search_cache_lookups_total counter\n"
                  "kwangmyong_search_cache_lookups_total{result=\"hit\"} "
                  "%llu\n"
                  "kwangmyong_search_cache_lookups_total{result=\"miss\"} "
                  "%llu\n"
                  "# HELP kwangmyong_search_cache_drops_total Times the "
                  "result cache was emptied by a publication.\n"
                  "# TYPE kwangmyong_search_cache_drops_total counter\n"
                  "kwangmyong_search_cache_drops_total %llu\n"
                  "# HELP kwangmyong_search_catalogs_total Search catalogs "
                  "built (one per publication that a search then saw).\n"
                  "# TYPE kwangmyong_search_catalogs_total counter\n"
                  "kwangmyong_search_catalogs_total %llu\n"
                  "# HELP kwangmyong_search_catalog_updates_total Of them, "
                  "those made from the one before with the documents that "
                  "changed.\n"
                  "# TYPE kwangmyong_search_catalog_updates_total counter\n"
                  "kwangmyong_search_catalog_updates_total %llu\n"
                  "# HELP kwangmyong_search_cache_entries Results held.\n"
                  "# TYPE kwangmyong_search_cache_entries gauge\n"
                  "kwangmyong_search_cache_entries %llu\n"
                  "# HELP kwangmyong_search_cache_bytes Their estimated "
                  "size.\n"
                  "# TYPE kwangmyong_search_cache_bytes gauge\n"
                  "kwangmyong_search_cache_bytes %llu\n",
                  (unsigned long long)cs.hits, (unsigned long long)cs.misses,
                  (unsigned long long)cs.drops, (unsigned long long)cs.catalogs,
                  (unsigned long long)cs.catalog_updates,
                  (unsigned long long)cs.entries, (unsigned long long)cs.bytes);
    pagecache_stats(app->pagecache, &ps);
    strbuf_printf(&sb,
                  "# HELP kwangmyong_page_cache_lookups_total Document pages "
                  "answered from the page cache (hit) or not (miss).\n"
                  "# TYPE kwangmyong_page_cache_lookups_total counter\n"
                  "kwangmyong_page_cache_lookups_total{result=\"hit\"} "
                  "%llu\n"
                  "kwangmyong_page_cache_lookups_total{result=\"miss\"} "
                  "%llu\n"
                  "# HELP kwangmyong_page_cache_drops_total Times the page "
                  "cache was emptied because the database changed.\n"
                  "# TYPE kwangmyong_page_cache_drops_total counter\n"
                  "kwangmyong_page_cache_drops_total %llu\n"
                  "# HELP kwangmyong_page_cache_entries Pages held.\n"
                  "# TYPE kwangmyong_page_cache_entries gauge\n"
                  "kwangmyong_page_cache_entries %llu\n"
                  "# HELP kwangmyong_page_cache_bytes Their cost against "
                  "page_cache.\n"
                  "# TYPE kwangmyong_page_cache_bytes gauge\n"
                  "kwangmyong_page_cache_bytes %llu\n",
                  (unsigned long long)ps.hits, (unsigned long long)ps.misses,
                  (unsigned long long)ps.drops, (unsigned long long)ps.entries,
                  (unsigned long long)ps.bytes);
    if (!strbuf_ok(&sb)) {
        strbuf_free(&sb);
        return 500;
    }
    resp_strbuf(req, "text/plain; version=0.0.4; charset=utf-8", &sb);
    return 200;
}

/* GET /robots.txt: an intranet portal wants its own crawler only. */
int
page_robots_get(struct req *req, json_t **model)
{
    static const char body[] = "User-agent: *\nDisallow: /admin/\n"
                               "Disallow: /search\nDisallow: /api/\n"
                               "Disallow: /external\n";

    (void)model;
    resp_bytes(req, "text/plain; charset=utf-8", body, sizeof(body) - 1);
    resp_header(req, RESP_CACHE_CONTROL, "public, max-age=86400");
    return 200;
}

/* GET /lang/CODE?back=PATH: remember the UI language in a cookie and go
 * back to PATH (a local path only), so switching works without script
 * and keeps the page's own query (on /search, ?lang= filters documents). */
int
page_lang_get(struct req *req, json_t **model)
{
    const char *back = req_arg(req, "back");
    int lang = i18n_index(req->captures[0]);

    (void)model;
    if (lang < 0) {
        return 404;
    }
    resp_header(req, RESP_SET_COOKIE,
                router_set_cookie(req, "lang", i18n_langs[lang],
                                  "Max-Age=31536000; SameSite=Lax"));
    /* Only a path on this site (url_is_local_path says what browsers
     * would make of anything else). */
    if (!url_is_local_path(back)) {
        back = req_url(req, "/");
    }
    resp_header(req, RESP_CACHE_CONTROL, "no-store");
    return resp_redirect(req, 303, back);
}

#ifdef KW_TEST_HOOKS
/* GET /test/sqli?id=N: a deliberately injectable lookup (string-built
 * SQL, document_test_sqli) so that the sqlmap row can prove its scan finds
 * what is there.  Runs on the read-only, query_only reader connection.
 * Test builds only (--enable-test-hooks). */
static void
sqli_row(void *ctx, const struct document *d)
{
    json_array_append_new(ctx, json_pack("{s:I, s:s?}", "id", (json_int_t)d->id,
                                         "title", d->title));
}

int
page_test_sqli_get(struct req *req, json_t **model)
{
    const char *id = req_arg(req, "id");
    json_t *rows = json_array();

    if (document_test_sqli(req->db, id != NULL ? id : "0", sqli_row, rows) <
        0) {
        json_decref(rows);
        return 500;
    }
    *model = json_pack("{s:o}", "rows", rows);
    return 200;
}
#endif
