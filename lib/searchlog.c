/*
 * searchlog: a mutex-guarded open-addressing table of query counts.
 * Layer: lib/.
 */
#include "searchlog.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "query.h"
#include "strbuf.h"

struct entry {
    char *norm;  /* key: normalised query */
    char *query; /* first spelling seen */
    long count;
    long zero;
};

struct searchlog {
    pthread_mutex_t mu;
    struct entry *e;
    size_t cap; /* power of two, twice max */
    size_t used, max;
};

static uint64_t
fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s != '\0') {
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    }
    return h;
}

struct searchlog *
searchlog_new(size_t max)
{
    struct searchlog *l = kw_calloc(1, sizeof(*l));
    size_t cap = 16;

    if (l == NULL) {
        return NULL;
    }
    while (cap < max * 2) {
        cap *= 2;
    }
    l->e = kw_calloc(cap, sizeof(*l->e));
    if (l->e == NULL) {
        kw_free(l);
        return NULL;
    }
    l->cap = cap;
    l->max = max;
    pthread_mutex_init(&l->mu, NULL);
    return l;
}

static void
clear(struct searchlog *l)
{
    size_t i;

    for (i = 0; i < l->cap; i++) {
        kw_free(l->e[i].norm);
        kw_free(l->e[i].query);
    }
    memset(l->e, 0, l->cap * sizeof(*l->e));
    l->used = 0;
}

void
searchlog_free(struct searchlog *l)
{
    if (l == NULL) {
        return;
    }
    clear(l);
    kw_free(l->e);
    pthread_mutex_destroy(&l->mu);
    kw_free(l);
}

void
searchlog_note(struct searchlog *l, const char *query, long total)
{
    struct strbuf n = STRBUF_INIT;
    size_t i;

    if (l == NULL || query == NULL) {
        return;
    }
    query_normalize_title(query, strnlen(query, 256), &n);
    if (n.len == 0 || !strbuf_ok(&n)) {
        strbuf_free(&n);
        return;
    }
    pthread_mutex_lock(&l->mu);
    i = (size_t)fnv(n.buf) & (l->cap - 1);
    while (l->e[i].norm != NULL && strcmp(l->e[i].norm, n.buf) != 0) {
        i = (i + 1) & (l->cap - 1);
    }
    if (l->e[i].norm == NULL) {
        if (l->used >= l->max) {
            pthread_mutex_unlock(&l->mu);
            strbuf_free(&n);
            return;
        }
        l->e[i].query = kw_strndup(query, strnlen(query, 256));
        if (l->e[i].query == NULL) {
            pthread_mutex_unlock(&l->mu);
            strbuf_free(&n);
            return;
        }
        l->e[i].norm = strbuf_detach(&n, NULL);
        l->used++;
    }
    l->e[i].count++;
    if (total == 0) {
        l->e[i].zero++;
    }
    pthread_mutex_unlock(&l->mu);
    strbuf_free(&n);
}

/* Write the n entries e (a table taken out of the log) to search_log in
 * one transaction.  The number of rows written, or -1 (rolled back). */
static int
write_entries(const struct entry *e, size_t n, struct db *w)
{
    static const char sql[] =
        "INSERT INTO search_log(query_norm, query, count, zero_count,"
        " first_at, last_at) VALUES (:n, :q, :c, :z, :now, :now)"
        " ON CONFLICT(query_norm) DO UPDATE SET count = count + :c,"
        " zero_count = zero_count + :z, last_at = :now";
    size_t i;
    int written = 0;

    if (db_write_begin(w) != SQLITE_OK) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        sqlite3_stmt *st;

        if (e[i].norm == NULL) {
            continue;
        }
        st = db_stmt(w, sql);
        if (st == NULL) {
            goto fail;
        }
        db_bind_text(st, ":n", e[i].norm);
        db_bind_text(st, ":q", e[i].query);
        db_bind_int64(st, ":c", e[i].count);
        db_bind_int64(st, ":z", e[i].zero);
        db_bind_int64(st, ":now", (int64_t)time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_reset(st);
            goto fail;
        }
        sqlite3_reset(st);
        written++;
    }
    if (db_write_commit(w) != SQLITE_OK) {
        return -1;
    }
    return written;
fail:
    db_write_rollback(w);
    return -1;
}

/* Put the counts of the taken table back into the log (l->mu held): the
 * strings move into free slots, or are freed when the query is there
 * already or the log is full. */
static void
merge_back(struct searchlog *l, struct entry *take)
{
    size_t i, j;

    for (i = 0; i < l->cap; i++) {
        if (take[i].norm == NULL) {
            continue;
        }
        j = (size_t)fnv(take[i].norm) & (l->cap - 1);
        while (l->e[j].norm != NULL &&
               strcmp(l->e[j].norm, take[i].norm) != 0) {
            j = (j + 1) & (l->cap - 1);
        }
        if (l->e[j].norm != NULL) {
            l->e[j].count += take[i].count;
            l->e[j].zero += take[i].zero;
        } else if (l->used < l->max) {
            l->e[j] = take[i];
            l->used++;
            memset(&take[i], 0, sizeof(take[i]));
        }
    }
}

int
searchlog_flush(struct searchlog *l, struct db *w)
{
    struct entry *take, *spare = kw_calloc(l->cap, sizeof(*spare));
    size_t i;
    int written;

    if (spare == NULL) {
        return -1;
    }
    /* Swap the table out and let searches go on counting into the empty
     * one: the write lock may take seconds to get while an ingest holds
     * it, and no search may wait for that. */
    pthread_mutex_lock(&l->mu);
    if (l->used == 0) {
        pthread_mutex_unlock(&l->mu);
        kw_free(spare);
        return 0;
    }
    take = l->e;
    l->e = spare;
    l->used = 0;
    pthread_mutex_unlock(&l->mu);

    written = write_entries(take, l->cap, w);
    if (written < 0) {
        pthread_mutex_lock(&l->mu);
        merge_back(l, take);
        pthread_mutex_unlock(&l->mu);
    }
    for (i = 0; i < l->cap; i++) {
        kw_free(take[i].norm);
        kw_free(take[i].query);
    }
    kw_free(take);
    return written;
}
