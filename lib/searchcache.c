/*
 * searchcache: search results in memory, valid for one search generation
 * (see searchcache.h).  Layer: lib/; depends on search, db, query, strbuf,
 * lru, alloc and Jansson.  The results are an lru (lru.h) of models under
 * one mutex, which also guards the generation, the catalog and the
 * counters.
 */
#include "searchcache.h"

#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "lru.h"
#include "query.h"
#include "strbuf.h"

struct searchcache {
    pthread_mutex_t mu;
    pthread_mutex_t build_mu; /* one catalog build at a time */
    struct searchcat *cat;    /* the newest catalog, one reference */
    struct lru lru;           /* models, never changed once stored */
    int64_t gen;              /* the generation the entries belong to */
    int have_gen;
    struct searchcache_stats st; /* hits, misses, drops, catalogs */
};

/* What a model costs beyond its key and the lru's own bookkeeping: the
 * json_t objects' overhead is in the model estimate below. */
#define MODEL_OVERHEAD 32

static void
model_free(void *model)
{
    json_decref(model);
}

struct searchcache *
searchcache_new(size_t max_bytes)
{
    struct searchcache *c = kw_calloc(1, sizeof(*c));

    if (c == NULL) {
        return NULL;
    }
    /* About one bucket per 4 KiB of budget, a typical page of results. */
    if (lru_init(&c->lru, max_bytes, 4096, model_free) < 0 ||
        pthread_mutex_init(&c->mu, NULL) != 0) {
        lru_free(&c->lru);
        kw_free(c);
        return NULL;
    }
    if (pthread_mutex_init(&c->build_mu, NULL) != 0) {
        pthread_mutex_destroy(&c->mu);
        lru_free(&c->lru);
        kw_free(c);
        return NULL;
    }
    return c;
}

void
searchcache_free(struct searchcache *c)
{
    if (c == NULL) {
        return;
    }
    lru_free(&c->lru);
    searchcat_unref(c->cat);
    pthread_mutex_destroy(&c->build_mu);
    pthread_mutex_destroy(&c->mu);
    kw_free(c);
}

/* The caller now reads generation gen: entries of an older one go. */
static void
see_gen(struct searchcache *c, int64_t gen)
{
    if (!c->have_gen || gen > c->gen) {
        if (c->lru.entries > 0) {
            c->st.drops++;
        }
        lru_drop_all(&c->lru);
        c->gen = gen;
        c->have_gen = 1;
    }
}

/* Append a length-prefixed field to the key. */
static void
key_str(struct strbuf *k, const char *s, size_t n)
{
    strbuf_printf(k, "%zu:", n);
    strbuf_append(k, s != NULL ? s : "", n);
}

/* The key: every input of search_run.  The query counts up to
 * QUERY_MAX_BYTES, all search_run ever reads of it. */
static int
make_key(struct strbuf *k, const struct search_params *p, const char *base)
{
    const char *q = p->q != NULL ? p->q : "";
    size_t n = strlen(q);

    key_str(k, q, n < QUERY_MAX_BYTES ? n : QUERY_MAX_BYTES);
    key_str(k, p->collection, p->collection ? strlen(p->collection) : 0);
    key_str(k, p->lang, p->lang ? strlen(p->lang) : 0);
    key_str(k, base, base ? strlen(base) : 0);
    strbuf_printf(k, "%d/%d/%d", p->year, p->page, p->per_page);
    return strbuf_ok(k) ? 0 : -1;
}

/* Store a copy of model under key for gen, unless another thread did, the
 * generation moved on, or it alone would take over a quarter of the
 * budget. */
static void
store(struct searchcache *c, const char *key, size_t klen, uint64_t h,
      int64_t gen, const json_t *model)
{
    size_t mbytes = json_dumpb(model, NULL, 0, JSON_COMPACT);
    /* Jansson's objects take about twice their JSON text. */
    size_t bytes = 2 * mbytes + MODEL_OVERHEAD;
    struct lru_entry *e;
    json_t *copy;

    if (mbytes == 0 || lru_cost(klen, bytes) > c->lru.max_bytes / 4) {
        return;
    }
    copy = json_deep_copy(model);
    if (copy == NULL) {
        return;
    }
    e = lru_entry_new(&c->lru, h, key, klen, copy, bytes);
    if (e == NULL) {
        return;
    }
    pthread_mutex_lock(&c->mu);
    see_gen(c, gen);
    if (gen != c->gen || lru_has(&c->lru, h, key, klen)) {
        pthread_mutex_unlock(&c->mu);
        lru_entry_free(&c->lru, e);
        return;
    }
    lru_insert(&c->lru, e);
    pthread_mutex_unlock(&c->mu);
}

static struct searchcat *get_cat(struct searchcache *c, struct db *db,
                                 int64_t gen);

/* search_run_cat() with the catalog for generation gen. */
static int
run_cat(struct searchcache *c, struct db *db, int64_t gen,
        const struct search_params *p, const char *base, json_t **out)
{
    struct searchcat *cat = get_cat(c, db, gen);
    int rc;

    *out = NULL;
    if (cat == NULL) {
        return -1;
    }
    rc = search_run_cat(db, cat, gen, p, base, out);
    searchcat_unref(cat);
    return rc;
}

/* The newest catalog if it is at least as new as generation gen, else
 * NULL; a new reference. */
static struct searchcat *
current_cat(struct searchcache *c, int64_t gen)
{
    struct searchcat *cat = NULL;

    pthread_mutex_lock(&c->mu);
    if (c->cat != NULL && c->cat->gen >= gen) {
        cat = searchcat_ref(c->cat);
    }
    pthread_mutex_unlock(&c->mu);
    return cat;
}

/* A catalog for a reader at generation gen: the current one, or one built
 * now on db (one thread builds, the others wait for it).  A catalog newer
 * than the reader's snapshot is fine (search_run_cat checks what it
 * shows).  A new reference, or NULL on error. */
static struct searchcat *
get_cat(struct searchcache *c, struct db *db, int64_t gen)
{
    struct searchcat *cat = current_cat(c, gen), *old = NULL;

    if (cat != NULL) {
        return cat;
    }
    pthread_mutex_lock(&c->build_mu);
    cat = current_cat(c, gen);
    if (cat == NULL) {
        long budget = db_deadline_budget(db);
        struct searchcat *prev;
        int rc = 1;

        /* The build is bounded work (linear in the published sections,
         * about a second for a million) that later searches share: it
         * gets a minute, not the request's query deadline, and the
         * request's own deadline starts afresh after it.  From an older
         * catalog, only the documents changed since are read again (tens
         * of milliseconds after an ingest's commit at a million). */
        db_deadline_start(db, 60000);
        pthread_mutex_lock(&c->mu);
        prev = searchcat_ref(c->cat);
        pthread_mutex_unlock(&c->mu);
        if (prev != NULL && prev->gen < gen) {
            rc = searchcat_update(db, prev, gen, &cat);
        }
        searchcat_unref(prev);
        if (rc == 0 || (rc > 0 && searchcat_build(db, gen, &cat) == 0)) {
            pthread_mutex_lock(&c->mu);
            if (c->cat == NULL || c->cat->gen < gen) {
                old = c->cat;
                c->cat = searchcat_ref(cat);
                c->st.catalogs++;
                c->st.catalog_updates += rc == 0;
            }
            pthread_mutex_unlock(&c->mu);
            searchcat_unref(old);
        }
        db_deadline_start(db, budget);
    }
    pthread_mutex_unlock(&c->build_mu);
    return cat;
}

int
searchcache_run(struct searchcache *c, struct db *db,
                const struct search_params *p, const char *base, json_t **out,
                int *hit)
{
    struct strbuf key = STRBUF_INIT;
    json_t *m;
    int64_t gen;
    uint64_t h;
    int rc;

    if (hit != NULL) {
        *hit = 0;
    }
    if (c == NULL || search_generation(db, &gen) < 0) {
        return search_run(db, p, base, out);
    }
    if (c->lru.max_bytes == 0 || make_key(&key, p, base) < 0) {
        strbuf_free(&key);
        return run_cat(c, db, gen, p, base, out);
    }
    h = lru_hash(strbuf_peek(&key), key.len);

    pthread_mutex_lock(&c->mu);
    see_gen(c, gen);
    m = gen == c->gen ? lru_get(&c->lru, h, strbuf_peek(&key), key.len) : NULL;
    if (m != NULL) {
        json_incref(m);
        c->st.hits++;
    } else {
        c->st.misses++;
    }
    pthread_mutex_unlock(&c->mu);

    if (m != NULL) {
        /* The stored model is shared and never changed: the caller gets
         * its own copy to add page data to. */
        *out = json_deep_copy(m);
        json_decref(m);
        strbuf_free(&key);
        if (*out == NULL) {
            return -1;
        }
        if (hit != NULL) {
            *hit = 1;
        }
        return 0;
    }
    rc = run_cat(c, db, gen, p, base, out);
    if (rc == 0) {
        store(c, strbuf_peek(&key), key.len, h, gen, *out);
    }
    strbuf_free(&key);
    return rc;
}

int
searchcache_prepare(struct searchcache *c, struct db *db)
{
    struct searchcat *cat;
    int64_t gen;

    if (c == NULL || search_generation(db, &gen) < 0) {
        return -1;
    }
    cat = get_cat(c, db, gen);
    /* get_cat leaves a request's deadline running; here there was none. */
    db_deadline_clear(db);
    searchcat_unref(cat);
    return cat != NULL ? 0 : -1;
}

void
searchcache_forget(struct searchcache *c)
{
    struct searchcat *cat;

    if (c == NULL) {
        return;
    }
    /* build_mu first: a build in flight would store its catalog after. */
    pthread_mutex_lock(&c->build_mu);
    pthread_mutex_lock(&c->mu);
    if (c->lru.entries > 0) {
        c->st.drops++;
    }
    lru_drop_all(&c->lru);
    c->have_gen = 0;
    cat = c->cat;
    c->cat = NULL;
    pthread_mutex_unlock(&c->mu);
    pthread_mutex_unlock(&c->build_mu);
    searchcat_unref(cat);
}

void
searchcache_stats(struct searchcache *c, struct searchcache_stats *st)
{
    memset(st, 0, sizeof(*st));
    if (c == NULL) {
        return;
    }
    pthread_mutex_lock(&c->mu);
    *st = c->st;
    st->entries = c->lru.entries;
    st->bytes = c->lru.bytes;
    pthread_mutex_unlock(&c->mu);
}

int
search_generation(struct db *db, int64_t *gen)
{
    return db_setting_int(db, "search_generation", gen) == 1 ? 0 : -1;
}
