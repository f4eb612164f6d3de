/*
 * app: the process-wide application state (app.h): templates, strings,
 * static files, the render id of stored pages, and the request metrics.
 * Layer: server/; depends on lib/, never on microhttpd.h.
 */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "gz.h"
#include "router.h"
#include "strbuf.h"

const int app_status_codes[APP_NSTATUS] = {200, 204, 206, 301, 302, 303, 304,
                                           400, 403, 404, 405, 409, 410, 413,
                                           416, 429, 500, 503, 401, 0};
const long app_buckets_us[APP_NBUCKETS] = {500,    1000,   2500,    5000,
                                           10000,  25000,  50000,   100000,
                                           250000, 500000, 1000000, -1};

int
app_status_slot(int status)
{
    int i;

    for (i = 0; i < APP_NSTATUS - 1; i++) {
        if (app_status_codes[i] == status) {
            return i;
        }
    }
    return APP_NSTATUS - 1; /* "other" */
}

/* One shard's counters: requests by route and status, then the latency
 * buckets, their sum and count; rounded up to whole cache lines. */
static size_t
shard_len(void)
{
    size_t n = (nroutes + 1) * APP_NSTATUS + APP_NBUCKETS + 2;

    return (n + 7) / 8 * 8;
}

void
app_account(struct app *app, int route, int status, long usec)
{
    static atomic_uint next_shard;
    static _Thread_local unsigned shard = APP_SHARDS;
    atomic_ulong *m;
    int b;
    size_t r = route < 0 ? nroutes : (size_t)route;

    if (app->metrics == NULL) {
        return;
    }
    /* Each thread counts into its own shard (one per thread up to
     * APP_SHARDS): a counter shared by every thread is a cache line that
     * moves between cores on every request. */
    if (shard >= APP_SHARDS) {
        shard = atomic_fetch_add(&next_shard, 1) % APP_SHARDS;
    }
    m = app->metrics + shard * shard_len();
    for (b = 0; b < APP_NBUCKETS - 1; b++) {
        if (usec <= app_buckets_us[b]) {
            break;
        }
    }
    atomic_fetch_add_explicit(
        &m[r * APP_NSTATUS + (size_t)app_status_slot(status)], 1,
        memory_order_relaxed);
    m += (nroutes + 1) * APP_NSTATUS;
    atomic_fetch_add_explicit(&m[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&m[APP_NBUCKETS],
                              (unsigned long)(usec > 0 ? usec : 0),
                              memory_order_relaxed);
    atomic_fetch_add_explicit(&m[APP_NBUCKETS + 1], 1, memory_order_relaxed);
}

unsigned long
app_requests(const struct app *app, size_t route, int slot)
{
    unsigned long n = 0;
    size_t k;

    for (k = 0; app->metrics != NULL && k < APP_SHARDS; k++) {
        n += atomic_load(&app->metrics[k * shard_len() + route * APP_NSTATUS +
                                       (size_t)slot]);
    }
    return n;
}

void
app_latency(const struct app *app, unsigned long *buckets,
            unsigned long *sum_us, unsigned long *count)
{
    size_t k;
    int b;

    memset(buckets, 0, APP_NBUCKETS * sizeof(*buckets));
    *sum_us = *count = 0;
    for (k = 0; app->metrics != NULL && k < APP_SHARDS; k++) {
        const atomic_ulong *m =
            app->metrics + k * shard_len() + (nroutes + 1) * APP_NSTATUS;

        for (b = 0; b < APP_NBUCKETS; b++) {
            buckets[b] += atomic_load(&m[b]);
        }
        *sum_us += atomic_load(&m[APP_NBUCKETS]);
        *count += atomic_load(&m[APP_NBUCKETS + 1]);
    }
}

int
app_init(struct app *app, struct config *cfg, const char *data_dir, char *err,
         size_t errlen)
{
    char path[4096];
    struct tmpl_error te;
    size_t i;

    memset(app, 0, sizeof(*app));
    app->cfg = cfg;
    app->data_dir = data_dir;
    app->base = cfg->base_path;
    app->started = time(NULL);
    snprintf(path, sizeof(path), "%s/templates/i18n", data_dir);
    if (i18n_load(&app->i18n, path, err, errlen) < 0) {
        return -1;
    }
    app->tmpl = tmpl_set_new();
    snprintf(path, sizeof(path), "%s/templates", data_dir);
    if (app->tmpl == NULL || tmpl_set_load_dir(app->tmpl, path, &te) < 0) {
        if (app->tmpl == NULL) {
            snprintf(err, errlen, "out of memory");
        } else if (te.line > 0) {
            snprintf(err, errlen, "%s:%d: %s", te.file, te.line, te.msg);
        } else {
            snprintf(err, errlen, "%s: %s", te.file, te.msg);
        }
        goto fail;
    }
    app->build_id = tmpl_set_build_id(app->tmpl);
    snprintf(path, sizeof(path), "%s/static", data_dir);
    if (static_load(&app->statics, path, err, errlen) < 0) {
        goto fail;
    }
    /* {"css_site_css": "/base/static/css/site.<hash>.css", ...} */
    app->static_urls = json_object();
    for (i = 0; i < app->statics.n; i++) {
        char key[256], url[2048];
        size_t k;

        snprintf(key, sizeof(key), "%s", app->statics.files[i].name);
        for (k = 0; key[k] != '\0'; k++) {
            if (key[k] == '/' || key[k] == '.' || key[k] == '-') {
                key[k] = '_';
            }
        }
        snprintf(url, sizeof(url), "%s/static/%s", app->base,
                 app->statics.files[i].hashed);
        json_object_set_new(app->static_urls, key, json_string(url));
    }
    /* Stored renditions depend on templates, strings, asset URLs and the
     * base path: any change gives them a new key. */
    {
        struct strbuf k = STRBUF_INIT;
        char hex[65], *t;
        int l;

        strbuf_puts(&k, app->build_id);
        strbuf_puts(&k, app->base);
        for (l = 0; l < I18N_NLANG; l++) {
            t = json_dumps(app->i18n.strings[l], JSON_SORT_KEYS);
            strbuf_puts(&k, t ? t : "");
            free(t);
        }
        t = json_dumps(app->static_urls, JSON_SORT_KEYS);
        strbuf_puts(&k, t ? t : "");
        free(t);
        sha256_hex(strbuf_peek(&k), k.len, hex);
        snprintf(app->render_id, sizeof(app->render_id), "%.16s", hex);
        strbuf_free(&k);
    }
    app->metrics = kw_calloc(APP_SHARDS * shard_len(), sizeof(*app->metrics));
    app->searchlog = searchlog_new(10000);
    app->searchcache = searchcache_new((size_t)cfg->search_cache);
    if (app->metrics == NULL || app->searchlog == NULL ||
        app->searchcache == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    return 0;
fail:
    app_free(app);
    return -1;
}

void
app_free(struct app *app)
{
    tmpl_set_free(app->tmpl);
    app->tmpl = NULL;
    i18n_free(&app->i18n);
    static_free(&app->statics);
    json_decref(app->static_urls);
    app->static_urls = NULL;
    kw_free(app->metrics);
    app->metrics = NULL;
    searchlog_free(app->searchlog);
    app->searchlog = NULL;
    searchcache_free(app->searchcache);
    app->searchcache = NULL;
    pagecache_free(app->pagecache);
    app->pagecache = NULL;
}
