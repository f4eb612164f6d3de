/*
 * app: the process-wide application state: configuration, compiled
 * templates, UI strings, static files, the render id that keys stored
 * pages, the search cache and log, and the request metrics.  Built by
 * app_init() before the daemon starts, then read-only but for the atomic
 * counters (house style: no mutable globals).  Layer: server/; depends on
 * lib/, never on microhttpd.h.
 */
#ifndef KW_APP_H
#define KW_APP_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "config.h"
#include "db.h"
#include "i18n.h"
#include "pagecache.h"
#include "searchcache.h"
#include "searchlog.h"
#include "staticfiles.h"
#include "tmpl.h"
#include "workpool.h"

#define APP_NSTATUS 20
#define APP_NBUCKETS 12
#define APP_SHARDS 8 /* metrics shards: one per thread, up to this */

/* Process-wide state: built before the daemon starts, then read-only
 * except for the atomic counters. */
struct app {
    struct config *cfg;          /* borrowed */
    const char *data_dir;        /* borrowed */
    const char *base;            /* URL prefix without trailing slash, or "" */
    struct tmpl_set *tmpl;       /* owned */
    struct i18n i18n;            /* owned */
    struct static_set statics;   /* owned */
    json_t *static_urls;         /* owned: {"css_site": "/static/...", ...} */
    struct db *wdb;              /* the writer connection, owned; NULL
                                    on a read-only replica (read_only) */
    atomic_long db_gen;          /* bumped when the readers must reopen the
                                    database (a replica's new snapshot) */
    struct searchlog *searchlog; /* owned; flushed by the main loop */
    struct searchcache *searchcache; /* owned */
    struct pagecache *pagecache;     /* owned; its values are server/http.c's
                                        (NULL until http_start) */
    time_t started;
    const char *build_id; /* templates, borrowed from tmpl */
    char render_id[24];   /* templates + i18n + static + base: the key of
                             stored renditions */
    /* metrics: requests by route and status, latency histogram; owned,
     * APP_SHARDS shards of app_shard_len counters each (see app.c) */
    atomic_ulong *metrics;
    /* the search pool (server/http.c): borrowed, NULL without a server */
    struct workpool *search_pool;
    atomic_ulong search_refused; /* searches answered 503: queue full */
};

/* Count a finished request for /metrics. */
void app_account(struct app *app, int route, int status, long usec);
/* The metrics, summed: requests of a route (nroutes: none) and status
 * slot; the latency histogram (APP_NBUCKETS counts), its sum and count. */
unsigned long app_requests(const struct app *app, size_t route, int slot);
void app_latency(const struct app *app, unsigned long *buckets,
                 unsigned long *sum_us, unsigned long *count);
/* Map an HTTP status to its metrics slot and back. */
int app_status_slot(int status);
extern const int app_status_codes[APP_NSTATUS];
extern const long app_buckets_us[APP_NBUCKETS];

/* Build the application state (templates, i18n, static files) from the
 * data directory.  0, or -1 with a message. */
int app_init(struct app *app, struct config *cfg, const char *data_dir,
             char *err, size_t errlen);
void app_free(struct app *app);

#endif
