/*
 * searchcat: the in-memory search catalog (see searchcat.h).  Layer: lib/;
 * depends on db, alloc and query (title affixes).
 */
#include "searchcat.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "lru.h"
#include "query.h"
#include "rank.h"

/* Largest id either array is sized for: 4 bytes' worth. */
#define SEARCHCAT_MAX_ID 0xffffffffLL

/* The year (proleptic Gregorian, UTC) of Unix time t. */
static int
year_of(int64_t t)
{
    int64_t z = (t >= 0 ? t : t - 86399) / 86400 + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;

    return (int)(yoe + era * 400 + (mp >= 10 ? 1 : 0));
}

/* max(id) of a table, by a constant statement; -1 on error. */
static int64_t
max_id(struct db *db, const char *sql)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    int64_t v = -1;

    if (st != NULL && sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0); /* NULL (empty): 0 */
    }
    if (st != NULL) {
        sqlite3_reset(st);
    }
    return v;
}

int
searchcat_lang(const struct searchcat *c, const char *l)
{
    size_t i;

    for (i = 0; l != NULL && i < c->nlang; i++) {
        if (strcmp(c->langs[i], l) == 0) {
            return (int)i;
        }
    }
    return -1;
}

/* Document id's entry from the row of st whose column col is its
 * collection, and the next three its language (NULL: none), publication
 * time (NULL: none) and link share.  -1 only when out of memory. */
static int
fill_doc(struct searchcat *c, int64_t id, sqlite3_stmt *st, int col)
{
    int64_t coll = sqlite3_column_int64(st, col);
    const char *l = (const char *)sqlite3_column_text(st, col + 1);
    struct searchcat_doc *d;
    int li;

    if (id <= 0 || (size_t)id >= c->ndoc || coll <= 0 ||
        coll > SEARCHCAT_MAX_ID) {
        return 0; /* cannot happen in one snapshot; never index out */
    }
    d = &c->doc[id];
    d->coll = (uint32_t)coll;
    d->hub = (float)rank_hub_factor(sqlite3_column_double(st, col + 3));
    d->lang = SEARCHCAT_NO_LANG;
    if (l != NULL) {
        li = searchcat_lang(c, l);
        if (li < 0 && c->nlang < SEARCHCAT_MAX_LANGS) {
            c->langs[c->nlang] = kw_strdup(l);
            if (c->langs[c->nlang] == NULL) {
                return -1;
            }
            li = (int)c->nlang++;
        }
        if (li >= 0) {
            d->lang = (uint8_t)li;
        }
    }
    if (sqlite3_column_type(st, col + 2) != SQLITE_NULL) {
        int y = year_of(sqlite3_column_int64(st, col + 2));

        d->year = (uint16_t)(y > 0 && y <= 9999 ? y : 0);
    }
    return 0;
}

/* The published documents, from the covering index document_catalog: a
 * document's row holds its body, so reading the table would read them all
 * (db/migrations/0009_document_catalog.sql). */
static int
load_docs(struct db *db, struct searchcat *c)
{
    static const char sql[] =
        "SELECT d.id, d.collection_id, d.language, d.published_at,"
        " s.link_share FROM document d INDEXED BY document_catalog"
        " LEFT JOIN doc_signal s ON s.document_id = d.id"
        " WHERE d.status = 'published'";
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc;

    if (st == NULL) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fill_doc(c, sqlite3_column_int64(st, 0), st, 1) < 0) {
            break;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Section id of document doc, its body n bytes long. */
static void
fill_section(struct searchcat *c, int64_t id, int64_t doc, int64_t n)
{
    struct searchcat_doc *d;

    if (id <= 0 || (size_t)id >= c->nsec || doc <= 0 ||
        (size_t)doc >= c->ndoc) {
        return;
    }
    d = &c->doc[doc];
    c->sec_doc[id] = (uint32_t)doc;
    c->sec_bytes[id] = (uint16_t)(n < 0 ? 0 : n > 0xffff ? 0xffff : n);
    if (d->sec_lo == 0 || (uint32_t)id < d->sec_lo) {
        d->sec_lo = (uint32_t)id;
    }
    if ((uint32_t)id > d->sec_hi) {
        d->sec_hi = (uint32_t)id;
    }
}

/* The sections of the published documents, from the covering index
 * section_catalog (document_id, body_bytes; the id rides along). */
static int
load_sections(struct db *db, struct searchcat *c)
{
    static const char sql[] =
        "SELECT s.id, s.document_id, s.body_bytes FROM document d"
        " CROSS JOIN section s INDEXED BY section_catalog"
        "  ON s.document_id = d.id"
        " WHERE d.status = 'published'";
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc;

    if (st == NULL) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        int64_t doc = sqlite3_column_int64(st, 1);
        int64_t n = sqlite3_column_int64(st, 2);

        fill_section(c, id, doc, n);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* One SQLite varint (FTS5's docsize format) at p[0..n): its value in *v
 * and its length, or 0 when it runs past n. */
static size_t
varint(const unsigned char *p, size_t n, uint64_t *v)
{
    size_t i;

    *v = 0;
    for (i = 0; i < n && i < 9; i++) {
        if (i == 8) {
            *v = (*v << 8) | p[i];
            return i + 1;
        }
        *v = (*v << 7) | (p[i] & 0x7f);
        if ((p[i] & 0x80) == 0) {
            return i + 1;
        }
    }
    return 0;
}

/* Document id's length in tokens per column from its docsize row p[0..n)
 * (a varint per column). */
static void
fill_lengths(struct searchcat *c, int64_t id, const unsigned char *p, size_t n)
{
    size_t off = 0, k, col;
    uint64_t v;

    if (id <= 0 || (size_t)id >= c->ndoc || c->doc[id].coll == 0 || p == NULL) {
        return;
    }
    for (col = 0; col < 3 && (k = varint(p + off, n - off, &v)) > 0; col++) {
        c->doc[id].ntok[col] = v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
        off += k;
    }
}

/* Each published document's length in tokens per column of the document
 * index, from FTS5's own docsize table (one row per indexed document: a
 * varint per column), so that ranking normalises by tokens, as BM25
 * means, for the price of one pass at build time. */
static int
load_lengths(struct db *db, struct searchcat *c)
{
    static const char sql[] = "SELECT id, sz FROM doc_fts_docsize";
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc;

    if (st == NULL) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fill_lengths(c, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
                     (size_t)sqlite3_column_bytes(st, 1));
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

struct searchcat_memo {
    pthread_mutex_t mu;
    struct lru lru; /* term -> long (its count) */
};

static struct searchcat_memo *
memo_new(void)
{
    struct searchcat_memo *m = kw_calloc(1, sizeof(*m));

    if (m == NULL) {
        return NULL;
    }
    if (lru_init(&m->lru, SEARCHCAT_MEMO_BYTES, 64, kw_free) < 0) {
        lru_free(&m->lru);
        kw_free(m);
        return NULL;
    }
    pthread_mutex_init(&m->mu, NULL);
    return m;
}

static void
memo_free(struct searchcat_memo *m)
{
    if (m != NULL) {
        lru_free(&m->lru);
        pthread_mutex_destroy(&m->mu);
        kw_free(m);
    }
}

int
searchcat_df_get(const struct searchcat *c, const char *term, size_t n,
                 long *df)
{
    struct searchcat_memo *m = c->memo;
    uint64_t h = lru_hash(term, n);
    const long *v;
    int found = 0;

    if (m == NULL) {
        return 0;
    }
    pthread_mutex_lock(&m->mu);
    v = lru_get(&m->lru, h, term, n);
    if (v != NULL) {
        *df = *v;
        found = 1;
    }
    pthread_mutex_unlock(&m->mu);
    return found;
}

void
searchcat_df_put(const struct searchcat *c, const char *term, size_t n, long df)
{
    struct searchcat_memo *m = c->memo;
    struct lru_entry *e;
    long *v;

    if (m == NULL || (v = kw_malloc(sizeof(*v))) == NULL) {
        return;
    }
    *v = df;
    e = lru_entry_new(&m->lru, lru_hash(term, n), term, n, v, sizeof(*v));
    if (e == NULL) {
        return; /* v went with it */
    }
    pthread_mutex_lock(&m->mu);
    lru_insert(&m->lru, e);
    pthread_mutex_unlock(&m->mu);
}

/* Record that collection coll (above every one recorded) has the title
 * affix prefix/suffix (borrowed), kept once among c's distinct ones; not
 * kept past SEARCHCAT_MAX_AFFIX of them.  *cap is coll_affix's capacity.
 * 0 or -1 (out of memory). */
static int
add_affix(struct searchcat *c, uint32_t coll, const char *prefix,
          const char *suffix, size_t *cap)
{
    size_t k;

    for (k = 0; k < c->naffix; k++) {
        if (strcmp(c->affix[k].prefix, prefix) == 0 &&
            strcmp(c->affix[k].suffix, suffix) == 0) {
            break;
        }
    }
    if (k == c->naffix) {
        if (k == SEARCHCAT_MAX_AFFIX) {
            return 0;
        }
        c->affix[k].prefix = kw_strdup(prefix);
        c->affix[k].suffix = kw_strdup(suffix);
        if (c->affix[k].prefix == NULL || c->affix[k].suffix == NULL) {
            kw_free(c->affix[k].prefix);
            kw_free(c->affix[k].suffix);
            return -1;
        }
        c->naffix++;
    }
    if (c->ncoll_affix == *cap) {
        size_t c2 = *cap ? 2 * *cap : 16;
        struct searchcat_coll_affix *p =
            kw_realloc(c->coll_affix, c2 * sizeof(*p));

        if (p == NULL) {
            return -1;
        }
        c->coll_affix = p;
        *cap = c2;
    }
    c->coll_affix[c->ncoll_affix].coll = coll;
    c->coll_affix[c->ncoll_affix].affix = (uint32_t)k;
    c->ncoll_affix++;
    return 0;
}

/* The affix of the titles of collection coll into c (nothing when it has
 * none): read from its first QUERY_AFFIX_MAX_TITLES published titles, by
 * the index document_status.  0 or -1. */
static int
load_affix(struct db *db, struct searchcat *c, uint32_t coll, size_t *cap)
{
    /* document_status's entries are in id order: no sort.  The planner
     * would rather take document_catalog and sort every published
     * document of the collection (25 ms at 300,000, against 0.05). */
    static const char sql[] = "SELECT title_norm FROM document"
                              " INDEXED BY document_status"
                              " WHERE status = 'published'"
                              " AND collection_id = :c ORDER BY id LIMIT :n";
    sqlite3_stmt *st = db_stmt(db, sql);
    const char *t[QUERY_AFFIX_MAX_TITLES];
    struct strbuf pre = STRBUF_INIT, suf = STRBUF_INIT;
    size_t n = 0, i;
    int rc, ret = -1;

    if (st == NULL || db_bind_int64(st, ":c", coll) != SQLITE_OK ||
        db_bind_int64(st, ":n", QUERY_AFFIX_MAX_TITLES) != SQLITE_OK) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW &&
           n < QUERY_AFFIX_MAX_TITLES) {
        const char *v = (const char *)sqlite3_column_text(st, 0);

        /* No more than query_title_affix reads: a longer title is out. */
        v = v != NULL ? v : "";
        if ((t[n] = kw_strndup(v, strnlen(v, QUERY_AFFIX_MAX_BYTES + 1))) ==
            NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        n++;
    }
    sqlite3_reset(st);
    if ((rc == SQLITE_DONE || rc == SQLITE_ROW) &&
        query_title_affix(t, n, &pre, &suf) == 0) {
        ret =
            pre.len == 0 && suf.len == 0
                ? 0
                : add_affix(c, coll, strbuf_peek(&pre), strbuf_peek(&suf), cap);
    }
    for (i = 0; i < n; i++) {
        kw_free((char *)t[i]);
    }
    strbuf_free(&pre);
    strbuf_free(&suf);
    return ret;
}

/* The title affixes of c, collection ids ascending (so coll_affix is
 * sorted).  Without old, every collection's is read; with old (an earlier
 * catalog), only those of the collections in touched[0..ntouched)
 * (ascending), the rest copied from old.  A collection read costs one
 * indexed read of at most QUERY_AFFIX_MAX_TITLES rows.  0 or -1. */
static int
load_affixes(struct db *db, struct searchcat *c, const struct searchcat *old,
             const uint32_t *touched, size_t ntouched)
{
    static const char sql[] = "SELECT id FROM collection ORDER BY id";
    sqlite3_stmt *st = db_stmt(db, sql);
    uint32_t *ids = NULL;
    size_t n = 0, cap = 0, acap = 0, i, j = 0, t = 0;
    int rc;

    if (st == NULL) {
        return -1;
    }
    /* Read the ids first: load_affix steps a statement of its own. */
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);

        if (id <= 0 || id > (int64_t)UINT32_MAX) {
            continue;
        }
        if (n == cap) {
            size_t c2 = cap ? 2 * cap : 16;
            uint32_t *p = kw_realloc(ids, c2 * sizeof(*p));

            if (p == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            ids = p;
            cap = c2;
        }
        ids[n++] = (uint32_t)id;
    }
    sqlite3_reset(st);
    for (i = 0; rc == SQLITE_DONE && i < n; i++) {
        const struct searchcat_affix *a;
        int r;

        while (t < ntouched && touched[t] < ids[i]) {
            t++;
        }
        if (old == NULL || (t < ntouched && touched[t] == ids[i])) {
            r = load_affix(db, c, ids[i], &acap);
        } else {
            /* old's entry, if any (both lists ascend) */
            while (j < old->ncoll_affix && old->coll_affix[j].coll < ids[i]) {
                j++;
            }
            a = j < old->ncoll_affix && old->coll_affix[j].coll == ids[i]
                    ? &old->affix[old->coll_affix[j].affix]
                    : NULL;
            r = a == NULL ? 0
                          : add_affix(c, ids[i], a->prefix, a->suffix, &acap);
        }
        if (r < 0) {
            rc = SQLITE_ERROR;
        }
    }
    kw_free(ids);
    return rc == SQLITE_DONE ? 0 : -1;
}

const struct searchcat_affix *
searchcat_affix_of(const struct searchcat *c, uint32_t coll)
{
    size_t lo = 0, hi = c->ncoll_affix;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (c->coll_affix[mid].coll == coll) {
            return &c->affix[c->coll_affix[mid].affix];
        }
        if (c->coll_affix[mid].coll < coll) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

/* A catalog of generation gen with zeroed arrays sized for the largest
 * section and document ids now in db; NULL on error. */
static struct searchcat *
cat_new(struct db *db, int64_t gen)
{
    static const char sec_max[] = "SELECT max(id) FROM section";
    static const char doc_max[] = "SELECT max(id) FROM document";
    struct searchcat *c;
    int64_t ms = max_id(db, sec_max), md = max_id(db, doc_max);

    if (ms < 0 || md < 0 || ms >= SEARCHCAT_MAX_ID || md >= SEARCHCAT_MAX_ID) {
        return NULL;
    }
    c = kw_calloc(1, sizeof(*c));
    if (c == NULL) {
        return NULL;
    }
    c->refs = 1;
    c->gen = gen;
    c->nsec = (size_t)ms + 1;
    c->ndoc = (size_t)md + 1;
    c->sec_doc = kw_calloc(c->nsec, sizeof(*c->sec_doc));
    c->sec_bytes = kw_calloc(c->nsec, sizeof(*c->sec_bytes));
    c->doc = kw_calloc(c->ndoc, sizeof(*c->doc));
    if (c->sec_doc == NULL || c->sec_bytes == NULL || c->doc == NULL) {
        searchcat_unref(c);
        return NULL;
    }
    return c;
}

/* The counts and means over the documents, and an empty memo. */
static void
cat_finish(struct searchcat *c)
{
    double tok[3] = {0.0, 0.0, 0.0};
    size_t i, k;

    c->npublished = 0;
    for (i = 0; i < c->ndoc; i++) {
        if (c->doc[i].coll != 0) {
            c->npublished++;
            for (k = 0; k < 3; k++) {
                tok[k] += c->doc[i].ntok[k];
            }
        }
    }
    for (k = 0; k < 3; k++) {
        c->avg_ntok[k] = c->npublished > 0 && tok[k] > 0.0
                             ? tok[k] / (double)c->npublished
                             : 1.0;
    }
    /* Without its memo a catalog still works: every count is made. */
    c->memo = memo_new();
}

int
searchcat_build(struct db *db, int64_t gen, struct searchcat **out)
{
    struct searchcat *c = cat_new(db, gen);

    *out = NULL;
    if (c == NULL || load_docs(db, c) < 0 || load_sections(db, c) < 0 ||
        load_lengths(db, c) < 0 || load_affixes(db, c, NULL, NULL, 0) < 0) {
        searchcat_unref(c);
        return -1;
    }
    cat_finish(c);
    *out = c;
    return 0;
}

/* The documents of search_change after generation gen, distinct and in
 * order, into *ids (new, kw_free) and *n; 1 instead when there are more
 * than max; 0, or -1 on error. */
static int
changed_docs(struct db *db, int64_t gen, size_t max, int64_t **ids, size_t *n)
{
    static const char sql[] = "SELECT DISTINCT document_id FROM search_change"
                              " WHERE gen > :g ORDER BY document_id";
    sqlite3_stmt *st = db_stmt(db, sql);
    size_t cap = 0;
    int rc;

    *ids = NULL;
    *n = 0;
    if (st == NULL || db_bind_int64(st, ":g", gen) != SQLITE_OK) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == max) {
            sqlite3_reset(st);
            return 1;
        }
        if (*n == cap) {
            size_t c2 = cap ? 2 * cap : 64;
            int64_t *p = kw_realloc(*ids, c2 * sizeof(*p));

            if (p == NULL) {
                sqlite3_reset(st);
                return -1;
            }
            *ids = p;
            cap = c2;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Document id of c read again: its entry, sections and lengths as a full
 * build would give them (nothing when it is not published). */
static int
reload_doc(struct db *db, struct searchcat *c, int64_t id)
{
    static const char doc_sql[] =
        "SELECT d.collection_id, d.language, d.published_at, s.link_share"
        " FROM document d LEFT JOIN doc_signal s ON s.document_id = d.id"
        " WHERE d.id = :d AND d.status = 'published'";
    static const char sec_sql[] =
        "SELECT id, body_bytes FROM section INDEXED BY section_catalog"
        " WHERE document_id = :d";
    static const char len_sql[] = "SELECT sz FROM doc_fts_docsize"
                                  " WHERE id = :d";
    sqlite3_stmt *st;
    int rc;

    if (id <= 0 || (size_t)id >= c->ndoc) {
        return 0;
    }
    if ((st = db_stmt(db, doc_sql)) == NULL ||
        db_bind_int64(st, ":d", id) != SQLITE_OK) {
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && fill_doc(c, id, st, 0) < 0) {
        rc = SQLITE_NOMEM;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        return rc == SQLITE_DONE ? 0 : -1; /* not published */
    }
    if ((st = db_stmt(db, sec_sql)) == NULL ||
        db_bind_int64(st, ":d", id) != SQLITE_OK) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fill_section(c, sqlite3_column_int64(st, 0), id,
                     sqlite3_column_int64(st, 1));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE || (st = db_stmt(db, len_sql)) == NULL ||
        db_bind_int64(st, ":d", id) != SQLITE_OK) {
        return -1;
    }
    if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        fill_lengths(c, id, sqlite3_column_blob(st, 0),
                     (size_t)sqlite3_column_bytes(st, 0));
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int
cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

int
searchcat_update(struct db *db, const struct searchcat *old, int64_t gen,
                 struct searchcat **out)
{
    struct searchcat *c;
    int64_t floor = -1, *ids = NULL;
    uint32_t *touched = NULL;
    size_t n = 0, i, nd, ns, ntouched = 0;
    int rc;

    *out = NULL;
    if (db_setting_int(db, "search_change_floor", &floor) < 0) {
        return -1;
    }
    if (floor < 0 || old->gen < floor) {
        return 1; /* changes since old deleted, or never recorded */
    }
    rc = changed_docs(db, old->gen,
                      old->ndoc / SEARCHCAT_UPDATE_SHARE + SEARCHCAT_UPDATE_MIN,
                      &ids, &n);
    if (rc != 0 || (c = cat_new(db, gen)) == NULL) {
        kw_free(ids);
        return rc != 0 ? rc : -1;
    }
    /* What has not changed, as it was; ids only grow, but the largest
     * may have been deleted. */
    nd = old->ndoc < c->ndoc ? old->ndoc : c->ndoc;
    ns = old->nsec < c->nsec ? old->nsec : c->nsec;
    memcpy(c->doc, old->doc, nd * sizeof(*c->doc));
    memcpy(c->sec_doc, old->sec_doc, ns * sizeof(*c->sec_doc));
    memcpy(c->sec_bytes, old->sec_bytes, ns * sizeof(*c->sec_bytes));
    for (i = 0; i < old->nlang; i++) {
        if ((c->langs[i] = kw_strdup(old->langs[i])) == NULL) {
            goto fail;
        }
        c->nlang = i + 1;
    }
    /* The collections of the changed documents, before and after: their
     * title affixes are read again. */
    if (n > 0 && (touched = kw_calloc(2 * n, sizeof(*touched))) == NULL) {
        goto fail;
    }
    for (i = 0; i < n; i++) {
        int64_t id = ids[i];

        if (id > 0 && (size_t)id < nd) {
            struct searchcat_doc *d = &c->doc[id];
            uint32_t s;

            if (d->coll != 0) {
                touched[ntouched++] = d->coll;
            }

            for (s = d->sec_lo; s != 0 && s <= d->sec_hi && s < ns; s++) {
                if (c->sec_doc[s] == (uint32_t)id) {
                    c->sec_doc[s] = 0;
                    c->sec_bytes[s] = 0;
                }
            }
            memset(d, 0, sizeof(*d));
        }
        if (reload_doc(db, c, id) < 0) {
            goto fail;
        }
        if (id > 0 && (size_t)id < c->ndoc && c->doc[id].coll != 0) {
            touched[ntouched++] = c->doc[id].coll;
        }
    }
    if (ntouched > 0) {
        qsort(touched, ntouched, sizeof(*touched), cmp_u32);
    }
    if (load_affixes(db, c, old, touched, ntouched) < 0) {
        goto fail;
    }
    kw_free(touched);
    kw_free(ids);
    cat_finish(c);
    *out = c;
    return 0;
fail:
    kw_free(touched);
    kw_free(ids);
    searchcat_unref(c);
    return -1;
}

struct searchcat *
searchcat_ref(struct searchcat *c)
{
    if (c != NULL) {
        __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
    }
    return c;
}

void
searchcat_unref(struct searchcat *c)
{
    size_t i;

    if (c == NULL || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) > 0) {
        return;
    }
    for (i = 0; i < c->nlang; i++) {
        kw_free(c->langs[i]);
    }
    for (i = 0; i < c->naffix; i++) {
        kw_free(c->affix[i].prefix);
        kw_free(c->affix[i].suffix);
    }
    kw_free(c->coll_affix);
    kw_free(c->sec_doc);
    kw_free(c->sec_bytes);
    kw_free(c->doc);
    memo_free(c->memo);
    kw_free(c);
}
