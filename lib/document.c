/*
 * document: every statement on the `document` table outside search's
 * bulk readers (see document.h), with the status names and the moderation
 * state machine beside the statements that enforce it.  Layer: lib/;
 * depends on db, query (title_norm), gz (sha256), strbuf and alloc; never
 * on microhttpd.h; never prints.
 *
 * Rows reach struct document by the names of their result columns: each
 * statement names a column after its field (`c.name AS collection`), and
 * one table maps names to fields, so the statements stay the only place
 * that says what a function reads.
 */
#include "document.h"

#include <assert.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "gz.h"
#include "query.h"
#include "strbuf.h"

/* ---- rows into struct document ---- */

enum field_type { FIELD_INT, FIELD_TIME, FIELD_TEXT };

struct field {
    const char *name; /* the result column's name */
    size_t off;       /* of the struct document member */
    enum field_type type;
};

#define F(name, type)                                                          \
    {                                                                          \
#name, offsetof(struct document, name), type                           \
    }
static const struct field fields[] = {
    F(id, FIELD_INT),
    F(collection_id, FIELD_INT),
    F(collection, FIELD_TEXT),
    F(collection_title, FIELD_TEXT),
    F(path, FIELD_TEXT),
    F(version, FIELD_INT),
    F(status, FIELD_TEXT),
    F(title, FIELD_TEXT),
    F(language, FIELD_TEXT),
    F(authors, FIELD_TEXT),
    F(doc_date, FIELD_TEXT),
    F(description, FIELD_TEXT),
    F(canonical_url, FIELD_TEXT),
    F(content_type, FIELD_TEXT),
    F(metadata, FIELD_TEXT),
    F(source_url, FIELD_TEXT),
    F(source_url_norm, FIELD_TEXT),
    F(retrieved_at, FIELD_TIME),
    F(ingested_at, FIELD_TIME),
    F(batch_id, FIELD_INT),
    F(operator_name, FIELD_TEXT),
    F(orig_sha256, FIELD_TEXT),
    F(orig_size, FIELD_INT),
    F(body_sha256, FIELD_TEXT),
    F(original_blob, FIELD_TEXT),
    F(decided_at, FIELD_TIME),
    F(decided_by, FIELD_TEXT),
    F(reason, FIELD_TEXT),
    F(published_at, FIELD_TIME),
    F(body_html, FIELD_TEXT),
    F(body_text, FIELD_TEXT),
    F(tags, FIELD_TEXT),
    F(requests, FIELD_INT),
};
#undef F
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* The fields of a statement's result columns, in column order. */
struct colmap {
    int n;
    const struct field *f[NFIELDS];
};

static void
colmap_init(sqlite3_stmt *st, struct colmap *m)
{
    int i;

    m->n = sqlite3_column_count(st);
    assert(m->n >= 0 && (size_t)m->n <= NFIELDS);
    for (i = 0; i < m->n; i++) {
        const char *name = sqlite3_column_name(st, i);
        size_t k;

        m->f[i] = NULL;
        for (k = 0; name != NULL && k < NFIELDS; k++) {
            if (strcmp(name, fields[k].name) == 0) {
                m->f[i] = &fields[k];
                break;
            }
        }
        /* A column named after no field is a mistake in this file. */
        assert(m->f[i] != NULL);
    }
}

static int64_t *
int_at(struct document *d, const struct field *f)
{
    return (int64_t *)((char *)d + f->off);
}

static const char **
text_at(struct document *d, const struct field *f)
{
    return (const char **)((char *)d + f->off);
}

/* The current row into d, its strings borrowed from st.  0, or -1 when
 * SQLite ran out of memory converting a value. */
static int
row_read(sqlite3_stmt *st, const struct colmap *m, struct document *d)
{
    size_t k;
    int i;

    memset(d, 0, sizeof(*d));
    for (k = 0; k < NFIELDS; k++) {
        if (fields[k].type == FIELD_TIME) {
            *int_at(d, &fields[k]) = DOCUMENT_NO_TIME;
        }
    }
    for (i = 0; i < m->n; i++) {
        const struct field *f = m->f[i];

        if (f == NULL || sqlite3_column_type(st, i) == SQLITE_NULL) {
            continue;
        }
        if (f->type == FIELD_TEXT) {
            const char *t = (const char *)sqlite3_column_text(st, i);

            if (t == NULL) {
                return -1;
            }
            *text_at(d, f) = t;
        } else {
            *int_at(d, f) = sqlite3_column_int64(st, i);
        }
    }
    return 0;
}

/* Copy d's borrowed strings into one block that d owns (d->mem).  0, or
 * -1 when out of memory (d is then zeroed). */
static int
row_own(struct document *d)
{
    size_t k, total = 1;
    char *p;

    for (k = 0; k < NFIELDS; k++) {
        const char *s =
            fields[k].type == FIELD_TEXT ? *text_at(d, &fields[k]) : NULL;

        total += s != NULL ? strlen(s) + 1 : 0;
    }
    d->mem = kw_malloc(total);
    if (d->mem == NULL) {
        memset(d, 0, sizeof(*d));
        return -1;
    }
    p = d->mem;
    for (k = 0; k < NFIELDS; k++) {
        const char **s =
            fields[k].type == FIELD_TEXT ? text_at(d, &fields[k]) : NULL;

        if (s != NULL && *s != NULL) {
            size_t n = strlen(*s) + 1;

            memcpy(p, *s, n);
            *s = p;
            p += n;
        }
    }
    return 0;
}

void
document_free(struct document *d)
{
    kw_free(d->mem);
    memset(d, 0, sizeof(*d));
}

/* A lookup's row into d, owned (db_one's reader). */
static int
lookup_read(sqlite3_stmt *st, void *d)
{
    struct colmap m;

    colmap_init(st, &m);
    return row_read(st, &m, d) == 0 && row_own(d) == 0 ? 0 : -1;
}

/* Step a bound lookup once and reset it: 1 with d filled (owned), 0 no
 * row, -1 error (d zeroed either way but 1). */
static int
lookup(sqlite3_stmt *st, struct document *d)
{
    int rc;

    memset(d, 0, sizeof(*d));
    rc = db_one(st, lookup_read, d);
    if (rc != 1) {
        document_free(d);
    }
    return rc;
}

/* Step a bound listing to its end, each row to each, and reset it. */
static int
each_row(sqlite3_stmt *st, document_each_fn each, void *ctx)
{
    struct colmap m;
    int rc;

    colmap_init(st, &m);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct document d;

        if (row_read(st, &m, &d) < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
        each(ctx, &d);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* A listing whose only parameter is its :n limit. */
static int
each_row_limit(struct db *db, const char *sql, int64_t limit,
               document_each_fn each, void *ctx)
{
    sqlite3_stmt *st = db_stmt(db, sql);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":n", limit);
    return each_row(st, each, ctx);
}

/* Step a bound (value, count) listing to its end and reset it. */
static int
each_count(sqlite3_stmt *st, document_count_fn each, void *ctx)
{
    int rc;

    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        each(ctx, (const char *)sqlite3_column_text(st, 0),
             sqlite3_column_int64(st, 1));
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- lookups ---- */

/* Every column of a lookup but the large ones (document_get adds them on
 * request), with the collection's name and title. */
#define DOC_COLUMNS                                                            \
    "d.id, d.collection_id, c.name AS collection,"                             \
    " c.title AS collection_title, d.path, d.version, d.status, d.title,"      \
    " d.language, d.authors, d.doc_date, d.description, d.canonical_url,"      \
    " d.content_type, d.metadata, d.source_url, d.source_url_norm,"            \
    " d.retrieved_at, d.ingested_at, d.batch_id, d.operator AS operator_name," \
    " d.orig_sha256, d.orig_size, d.body_sha256, d.original_blob,"             \
    " d.decided_at, d.decided_by, d.reason, d.published_at"
#define DOC_FROM " FROM document d JOIN collection c ON c.id = d.collection_id"

int
document_get(struct db *db, int64_t id, unsigned want, struct document *d)
{
    /* CASE reads a body only when asked: they are the large columns. */
    static const char sql[] =
        "SELECT " DOC_COLUMNS ","
        " CASE WHEN :html THEN d.body_html END AS body_html,"
        " CASE WHEN :text THEN d.body_text END AS body_text,"
        " CASE WHEN :tags THEN (SELECT group_concat(t.name, ', ')"
        " FROM document_tag dt JOIN tag t ON t.id = dt.tag_id"
        " WHERE dt.document_id = d.id) END AS tags" DOC_FROM
        " WHERE d.id = :id";
    sqlite3_stmt *st = db_stmt(db, sql);

    memset(d, 0, sizeof(*d));
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":html", (want & DOCUMENT_BODY_HTML) != 0);
    db_bind_int64(st, ":text", (want & DOCUMENT_BODY_TEXT) != 0);
    db_bind_int64(st, ":tags", (want & DOCUMENT_TAGS) != 0);
    db_bind_int64(st, ":id", id);
    return lookup(st, d);
}

int
document_latest(struct db *db, int64_t collection, const char *path,
                const char *status, struct document *d)
{
    static const char sql[] =
        "SELECT " DOC_COLUMNS DOC_FROM
        " WHERE d.collection_id = :c AND d.path = :p"
        " AND (:s IS NULL OR d.status = :s) ORDER BY d.version DESC LIMIT 1";
    sqlite3_stmt *st = db_stmt(db, sql);

    memset(d, 0, sizeof(*d));
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", collection);
    db_bind_text(st, ":p", path);
    db_bind_text(st, ":s", status);
    return lookup(st, d);
}

int
document_published_id(struct db *db, int64_t collection, const char *path,
                      int64_t *id)
{
    static const char sql[] =
        "SELECT id FROM document WHERE collection_id = :c AND path = :p"
        " AND status = '" DOC_PUBLISHED "'";
    sqlite3_stmt *st = db_stmt(db, sql);

    *id = 0;
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", collection);
    db_bind_text(st, ":p", path);
    return db_one_int64(st, id);
}

int
document_alias_published(struct db *db, int64_t collection, const char *path,
                         char **target)
{
    static const char sql[] =
        "SELECT a.target_path FROM alias a JOIN document d"
        " ON d.collection_id = a.collection_id AND d.path = a.target_path"
        " AND d.status = '" DOC_PUBLISHED "'"
        " WHERE a.collection_id = :c AND a.path = :p";
    sqlite3_stmt *st = db_stmt(db, sql);

    *target = NULL;
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", collection);
    db_bind_text(st, ":p", path);
    return db_one_text(st, target);
}

int
document_neighbour(struct db *db, int64_t collection, const char *path,
                   int next, struct document *d)
{
    static const char prev_sql[] =
        "SELECT path, title FROM document WHERE collection_id = :c"
        " AND status = '" DOC_PUBLISHED "' AND path < :p"
        " ORDER BY path DESC LIMIT 1";
    static const char next_sql[] =
        "SELECT path, title FROM document WHERE collection_id = :c"
        " AND status = '" DOC_PUBLISHED "' AND path > :p"
        " ORDER BY path LIMIT 1";
    sqlite3_stmt *st = db_stmt(db, next ? next_sql : prev_sql);

    memset(d, 0, sizeof(*d));
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", collection);
    db_bind_text(st, ":p", path);
    return lookup(st, d);
}

/* The document's collection and path come first, by its id, in scalar
 * subqueries; then one probe of the partial index of published paths.
 * Written as a join, the plan depended on the statistics: those of a
 * first small ingest (one document) made the planner scan every published
 * row for each document a large ingest approved. */
int
document_neighbour_ids(struct db *db, int64_t doc, int64_t ids[2])
{
#define NEIGHBOUR_SQL(cmp, order)                                              \
    "SELECT n.id FROM document n INDEXED BY document_one_published"            \
    " WHERE n.status = '" DOC_PUBLISHED "'"                                    \
    " AND n.collection_id = (SELECT collection_id FROM document"               \
    "  WHERE id = :d)"                                                         \
    " AND n.path " cmp " (SELECT path FROM document WHERE id = :d)"            \
    " ORDER BY n.path " order " LIMIT 1"
    static const char prev_sql[] = NEIGHBOUR_SQL("<", "DESC");
    static const char next_sql[] = NEIGHBOUR_SQL(">", "ASC");
#undef NEIGHBOUR_SQL
    const char *const sql[2] = {prev_sql, next_sql};
    int i;

    for (i = 0; i < 2; i++) {
        sqlite3_stmt *st = db_stmt(db, sql[i]);

        ids[i] = 0;
        if (st == NULL) {
            return -1;
        }
        db_bind_int64(st, ":d", doc);
        if (db_one_int64(st, &ids[i]) < 0) {
            return -1;
        }
    }
    return 0;
}

int
document_stats_refresh(struct db *w)
{
    static const char have_sql[] =
        "SELECT count(*) FROM sqlite_schema"
        " WHERE type = 'table' AND name = 'sqlite_stat1'";
    /* An index's figure starts with the rows it counted; CAST reads
     * that leading integer. */
    static const char seen_sql[] =
        "SELECT max(CAST(stat AS INTEGER)) FROM sqlite_stat1"
        " WHERE tbl = 'document'";
    static const char rows_sql[] = "SELECT max(id) FROM document";
    int64_t have = 0, seen = 0, rows = 0;
    sqlite3_stmt *st = db_stmt(w, have_sql);

    if (st == NULL || db_one_int64(st, &have) < 0) {
        return -1;
    }
    if (have == 0) {
        return 0; /* never analyzed: the planner's defaults suit a table
                     of any size */
    }
    if ((st = db_stmt(w, seen_sql)) == NULL || db_one_int64(st, &seen) < 0 ||
        (st = db_stmt(w, rows_sql)) == NULL || db_one_int64(st, &rows) < 0) {
        return -1;
    }
    if (rows < DOCUMENT_STATS_MIN || rows / 4 <= seen) {
        return 0;
    }
    return db_analyze(w) == SQLITE_OK ? 1 : -1;
}

int
document_find_url(struct db *db, const char *url_norm, struct document *d)
{
    static const char sql[] =
        "SELECT c.name AS collection, d.path" DOC_FROM
        " WHERE d.source_url_norm = :u AND d.status = '" DOC_PUBLISHED "'"
        " LIMIT 1";
    sqlite3_stmt *st = db_stmt(db, sql);

    memset(d, 0, sizeof(*d));
    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":u", url_norm);
    return lookup(st, d);
}

int
document_random(struct db *db, struct document *d)
{
    static const char pick[] =
        "SELECT c.name AS collection, d.path" DOC_FROM
        " WHERE d.status = '" DOC_PUBLISHED "' AND d.id >= (SELECT"
        " abs(random()) % (max(id) - min(id) + 1) + min(id) FROM document)"
        " ORDER BY d.id LIMIT 1";
    static const char first[] =
        "SELECT c.name AS collection, d.path" DOC_FROM
        " WHERE d.status = '" DOC_PUBLISHED "' ORDER BY d.id LIMIT 1";
    const char *const sql[2] = {pick, first};
    int i;

    memset(d, 0, sizeof(*d));
    for (i = 0; i < 2; i++) {
        sqlite3_stmt *st = db_stmt(db, sql[i]);

        if (st == NULL) {
            return -1;
        }
        /* A read that fails falls back to the next, as none found. */
        if (lookup(st, d) == 1) {
            return 1;
        }
    }
    return 0;
}

/* ---- listings ---- */

/* The WHERE of a collection's page: its published documents that the
 * filters keep. */
#define COLLECTION_WHERE                                                       \
    " WHERE d.collection_id = :c AND d.status = '" DOC_PUBLISHED "'"           \
    " AND (:lang IS NULL OR d.language = :lang)"                               \
    " AND (:year IS NULL OR strftime('%Y', d.published_at, 'unixepoch')"       \
    " = :year) AND (:tag IS NULL OR EXISTS (SELECT 1 FROM document_tag"        \
    " dt JOIN tag t ON t.id = dt.tag_id WHERE dt.document_id = d.id"           \
    " AND t.name = :tag))"

static void
filter_bind(sqlite3_stmt *st, const struct document_filter *f)
{
    db_bind_int64(st, ":c", f->collection_id);
    db_bind_text(st, ":lang", f->language);
    db_bind_text(st, ":year", f->year);
    db_bind_text(st, ":tag", f->tag);
}

int
document_list_collection(struct db *db, const struct document_filter *f,
                         int by_date, int64_t limit, int64_t offset,
                         document_each_fn each, void *ctx)
{
    static const char by_title[] =
        "SELECT d.id, d.path, d.title, d.language, d.published_at"
        " FROM document d" COLLECTION_WHERE " ORDER BY d.title_norm, d.id"
        " LIMIT :lim OFFSET :off";
    static const char by_published[] =
        "SELECT d.id, d.path, d.title, d.language, d.published_at"
        " FROM document d" COLLECTION_WHERE
        " ORDER BY d.published_at DESC, d.id LIMIT :lim OFFSET :off";
    sqlite3_stmt *st = db_stmt(db, by_date ? by_published : by_title);

    if (st == NULL) {
        return -1;
    }
    filter_bind(st, f);
    db_bind_int64(st, ":lim", limit);
    db_bind_int64(st, ":off", offset);
    return each_row(st, each, ctx);
}

int
document_count_collection(struct db *db, const struct document_filter *f,
                          int64_t *n)
{
    static const char sql[] =
        "SELECT count(*) FROM document d" COLLECTION_WHERE;
    sqlite3_stmt *st = db_stmt(db, sql);

    *n = 0;
    if (st == NULL) {
        return -1;
    }
    filter_bind(st, f);
    return db_one_int64(st, n) == 1 ? 0 : -1;
}

int
document_facet(struct db *db, int64_t collection, enum document_facet f,
               document_count_fn each, void *ctx)
{
    static const char language[] =
        "SELECT language, count(*) FROM document WHERE collection_id = :c"
        " AND status = '" DOC_PUBLISHED "' AND language IS NOT NULL"
        " GROUP BY language ORDER BY 2 DESC LIMIT 20";
    static const char year[] =
        "SELECT strftime('%Y', published_at, 'unixepoch'), count(*)"
        " FROM document WHERE collection_id = :c"
        " AND status = '" DOC_PUBLISHED "' GROUP BY 1 ORDER BY 1 DESC"
        " LIMIT 30";
    static const char tag[] =
        "SELECT t.name, count(*) FROM document d JOIN document_tag dt"
        " ON dt.document_id = d.id JOIN tag t ON t.id = dt.tag_id"
        " WHERE d.collection_id = :c AND d.status = '" DOC_PUBLISHED "'"
        " GROUP BY t.id ORDER BY 2 DESC, 1 LIMIT 30";
    sqlite3_stmt *st = db_stmt(db, f == DOCUMENT_FACET_LANGUAGE ? language
                                   : f == DOCUMENT_FACET_YEAR   ? year
                                                                : tag);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", collection);
    return each_count(st, each, ctx);
}

/* Step a bound collection listing to its end and reset it. */
static int
each_collection(sqlite3_stmt *st, int64_t limit,
                void (*each)(void *ctx, const struct document_collection *c),
                void *ctx)
{
    int rc;

    db_bind_int64(st, ":n", limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct document_collection c;

        c.name = (const char *)sqlite3_column_text(st, 0);
        c.title = (const char *)sqlite3_column_text(st, 1);
        c.documents = sqlite3_column_int64(st, 2);
        c.languages = (const char *)sqlite3_column_text(st, 3);
        c.updated_at = sqlite3_column_type(st, 4) == SQLITE_NULL
                           ? DOCUMENT_NO_TIME
                           : sqlite3_column_int64(st, 4);
        each(ctx, &c);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int
document_collections(struct db *db, int64_t limit,
                     void (*each)(void *ctx,
                                  const struct document_collection *c),
                     void *ctx)
{
    static const char sql[] =
        "SELECT c.name, c.title, count(d.id),"
        " group_concat(DISTINCT d.language), max(d.published_at)"
        " FROM collection c LEFT JOIN document d ON d.collection_id = c.id"
        " AND d.status = '" DOC_PUBLISHED "' GROUP BY c.id ORDER BY c.title"
        " LIMIT :n";
    sqlite3_stmt *st = db_stmt(db, sql);

    return st != NULL ? each_collection(st, limit, each, ctx) : -1;
}

int
document_collection_counts(struct db *db, int64_t limit,
                           void (*each)(void *ctx,
                                        const struct document_collection *c),
                           void *ctx)
{
    /* A count walks an index; document_collections' languages and newest
     * publication read every published document's row. */
    static const char sql[] =
        "SELECT c.name, c.title, (SELECT count(*) FROM document d"
        " WHERE d.collection_id = c.id AND d.status = '" DOC_PUBLISHED "'),"
        " NULL, NULL FROM collection c ORDER BY c.title LIMIT :n";
    sqlite3_stmt *st = db_stmt(db, sql);

    return st != NULL ? each_collection(st, limit, each, ctx) : -1;
}

int
document_count_by_status(struct db *db, document_count_fn each, void *ctx)
{
    static const char sql[] =
        "SELECT status, count(*) FROM document GROUP BY status ORDER BY 1";
    sqlite3_stmt *st = db_stmt(db, sql);

    if (st == NULL) {
        return -1;
    }
    return each_count(st, each, ctx);
}

int
document_list_recent(struct db *db, const char *collection, int64_t limit,
                     document_each_fn each, void *ctx)
{
    static const char sql[] =
        "SELECT d.id, c.name AS collection, d.path, d.title, d.description,"
        " d.published_at, c.title AS collection_title" DOC_FROM
        " WHERE d.status = '" DOC_PUBLISHED "' AND (:c IS NULL OR c.name = :c)"
        " ORDER BY d.published_at DESC, d.id DESC LIMIT :n";
    sqlite3_stmt *st = db_stmt(db, sql);

    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":c", collection);
    db_bind_int64(st, ":n", limit);
    return each_row(st, each, ctx);
}

int
document_list_newest(struct db *db, int64_t limit, document_each_fn each,
                     void *ctx)
{
    static const char sql[] =
        "SELECT c.name AS collection, d.path, d.title, d.published_at" DOC_FROM
        " WHERE d.status = '" DOC_PUBLISHED "'"
        " ORDER BY d.published_at DESC LIMIT :n";

    return each_row_limit(db, sql, limit, each, ctx);
}

int
document_list_published(struct db *db, int64_t limit, document_each_fn each,
                        void *ctx)
{
    static const char sql[] =
        "SELECT c.name AS collection, d.path, d.published_at" DOC_FROM
        " WHERE d.status = '" DOC_PUBLISHED "' ORDER BY d.id LIMIT :n";

    return each_row_limit(db, sql, limit, each, ctx);
}

int
document_list_wanted(struct db *db, int64_t limit, document_each_fn each,
                     void *ctx)
{
    static const char sql[] =
        "SELECT c.name AS collection, d.path, d.title, r.count AS requests"
        " FROM acquisition_request r JOIN document d ON d.id = r.document_id"
        " JOIN collection c ON c.id = d.collection_id"
        " WHERE r.status = 'fulfilled' AND d.status = '" DOC_PUBLISHED "'"
        " ORDER BY r.count DESC LIMIT :n";

    return each_row_limit(db, sql, limit, each, ctx);
}

int
document_list_pending(struct db *db, const struct document_queue *q,
                      int64_t limit, int64_t offset, document_each_fn each,
                      void *ctx)
{
    static const char sql[] =
        "SELECT d.id, d.title, c.name AS collection, d.batch_id,"
        " d.source_url, d.ingested_at, d.version" DOC_FROM
        " WHERE d.status = '" DOC_PENDING "' AND (:c IS NULL OR c.name = :c)"
        " AND (:b IS NULL OR d.batch_id = :b)"
        " AND (:dom IS NULL OR d.source_url_norm LIKE '%://' || :dom || '/%'"
        " OR d.source_url_norm LIKE '%.' || :dom || '/%')"
        " ORDER BY d.ingested_at, d.id LIMIT :lim OFFSET :off";
    sqlite3_stmt *st = db_stmt(db, sql);

    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":c", q->collection);
    db_bind_text(st, ":dom", q->domain);
    if (q->batch_id != 0) {
        db_bind_int64(st, ":b", q->batch_id);
    } else {
        db_bind_null(st, ":b");
    }
    db_bind_int64(st, ":lim", limit);
    db_bind_int64(st, ":off", offset);
    return each_row(st, each, ctx);
}

int
document_batch_pending(struct db *db, int64_t batch, int64_t **ids, size_t *n)
{
    static const char sql[] = "SELECT id FROM document WHERE batch_id = :b"
                              " AND status = '" DOC_PENDING "' ORDER BY id";
    sqlite3_stmt *st = db_stmt(db, sql);
    size_t cap = 0;
    int rc;

    *ids = NULL;
    *n = 0;
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":b", batch);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t ncap = cap != 0 ? cap * 2 : 64;
            int64_t *p = kw_realloc(*ids, ncap * sizeof(**ids));

            if (p == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            *ids = p;
            cap = ncap;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        kw_free(*ids);
        *ids = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

int
document_list_live(struct db *db, int64_t collection, const char *path,
                   int64_t except, document_each_fn each, void *ctx)
{
    static const char sql[] =
        "SELECT id, status FROM document WHERE collection_id = :c"
        " AND path = :p AND id <> :id"
        " AND status IN ('" DOC_PENDING "', '" DOC_PUBLISHED "') ORDER BY id";
    sqlite3_stmt *st = db_stmt(db, sql);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", collection);
    db_bind_text(st, ":p", path);
    db_bind_int64(st, ":id", except);
    return each_row(st, each, ctx);
}

/* ---- the state machine ---- */

int
document_act_applies(enum document_act a, const char *status)
{
    switch (a) {
    case DOCUMENT_APPROVE:
    case DOCUMENT_REJECT:
        return strcmp(status, DOC_PENDING) == 0;
    case DOCUMENT_WITHDRAW:
        return strcmp(status, DOC_PUBLISHED) == 0;
    case DOCUMENT_RESTORE:
        return strcmp(status, DOC_WITHDRAWN) == 0 ||
               strcmp(status, DOC_REJECTED) == 0;
    }
    return 0;
}

const char *
document_act_status(enum document_act a)
{
    static const char *const to[] = {DOC_PUBLISHED, DOC_REJECTED, DOC_WITHDRAWN,
                                     DOC_PENDING};

    return to[a];
}

/* ---- writes ---- */

int
document_insert(struct db *w, const struct document *d, int64_t now,
                int64_t *id)
{
    static const char sql[] =
        "INSERT INTO document(collection_id, path, version, status, title,"
        " title_norm, language, authors, doc_date, description,"
        " canonical_url, content_type, body_html, body_text, metadata,"
        " source_url, source_url_norm, retrieved_at, ingested_at, batch_id,"
        " operator, orig_sha256, orig_size, body_sha256, original_blob,"
        " updated_at) VALUES (:c, :p, :v, '" DOC_PENDING "', :title, :tnorm,"
        " :lang, :authors, :date, :descr, :canon, :ctype, :body, :text,"
        " :meta, :src, :srcnorm, :retr, :now, :batch, :op, :osha, :osize,"
        " :bsha, :blob, :now)";
    struct strbuf tnorm = STRBUF_INIT;
    sqlite3_stmt *st;
    int rc = -1;

    *id = 0;
    if (query_normalize_title(d->title, strlen(d->title), &tnorm) < 0) {
        goto out;
    }
    st = db_stmt(w, sql);
    if (st == NULL) {
        goto out;
    }
    db_bind_int64(st, ":c", d->collection_id);
    db_bind_text(st, ":p", d->path);
    db_bind_int64(st, ":v", d->version);
    db_bind_text(st, ":title", d->title);
    db_bind_text(st, ":tnorm", strbuf_peek(&tnorm));
    db_bind_text(st, ":lang", d->language);
    db_bind_text(st, ":authors", d->authors);
    db_bind_text(st, ":date", d->doc_date);
    db_bind_text(st, ":descr", d->description);
    db_bind_text(st, ":canon", d->canonical_url);
    db_bind_text(st, ":ctype", d->content_type);
    db_bind_text(st, ":body", d->body_html);
    db_bind_text(st, ":text", d->body_text);
    db_bind_text(st, ":meta", d->metadata);
    db_bind_text(st, ":src", d->source_url);
    db_bind_text(st, ":srcnorm", d->source_url_norm);
    if (d->retrieved_at != DOCUMENT_NO_TIME) {
        db_bind_int64(st, ":retr", d->retrieved_at);
    }
    db_bind_int64(st, ":now", now);
    if (d->batch_id != 0) {
        db_bind_int64(st, ":batch", d->batch_id);
    }
    db_bind_text(st, ":op", d->operator_name);
    db_bind_text(st, ":osha", d->orig_sha256);
    db_bind_int64(st, ":osize", d->orig_size);
    db_bind_text(st, ":bsha", d->body_sha256);
    db_bind_text(st, ":blob", d->original_blob);
    rc = db_step_insert(st, id);
out:
    strbuf_free(&tnorm);
    return rc;
}

int
document_supersede(struct db *w, int64_t collection, const char *path,
                   int64_t except, int with_published, int64_t now)
{
    static const char pending[] =
        "UPDATE document SET status = '" DOC_SUPERSEDED "', updated_at = :now"
        " WHERE collection_id = :c AND path = :p AND id <> :id"
        " AND status = '" DOC_PENDING "'";
    static const char live[] =
        "UPDATE document SET status = '" DOC_SUPERSEDED "', updated_at = :now"
        " WHERE collection_id = :c AND path = :p AND id <> :id"
        " AND status IN ('" DOC_PENDING "', '" DOC_PUBLISHED "')";
    sqlite3_stmt *st = db_stmt(w, with_published ? live : pending);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", collection);
    db_bind_text(st, ":p", path);
    db_bind_int64(st, ":id", except);
    db_bind_int64(st, ":now", now);
    return db_step_done(st);
}

int
document_decide(struct db *w, int64_t id, enum document_act a,
                const char *actor, const char *reason, int64_t now)
{
    /* Each WHERE status is document_act_applies() for its act. */
    static const char approve[] =
        "UPDATE document SET status = '" DOC_PUBLISHED "', decided_at = :now,"
        " decided_by = :who, reason = NULL, published_at = :now,"
        " updated_at = :now WHERE id = :id AND status = '" DOC_PENDING "'";
    static const char reject[] =
        "UPDATE document SET status = '" DOC_REJECTED "', decided_at = :now,"
        " decided_by = :who, reason = :why, updated_at = :now"
        " WHERE id = :id AND status = '" DOC_PENDING "'";
    static const char withdraw[] =
        "UPDATE document SET status = '" DOC_WITHDRAWN "', decided_at = :now,"
        " decided_by = :who, reason = :why, updated_at = :now"
        " WHERE id = :id AND status = '" DOC_PUBLISHED "'";
    static const char restore[] =
        "UPDATE document SET status = '" DOC_PENDING "', decided_at = :now,"
        " decided_by = :who, reason = :why, updated_at = :now WHERE id = :id"
        " AND status IN ('" DOC_WITHDRAWN "', '" DOC_REJECTED "')";
    const char *sql = a == DOCUMENT_APPROVE    ? approve
                      : a == DOCUMENT_REJECT   ? reject
                      : a == DOCUMENT_WITHDRAW ? withdraw
                                               : restore;
    sqlite3_stmt *st = db_stmt(w, sql);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":now", now);
    db_bind_text(st, ":who", actor);
    db_bind_int64(st, ":id", id);
    if (a != DOCUMENT_APPROVE) {
        db_bind_text(st, ":why", reason);
    }
    if (db_step_done(st) < 0) {
        return -1;
    }
    return sqlite3_changes(db_handle(w)) == 1;
}

int
document_set_title(struct db *w, int64_t id, const char *title, int64_t now)
{
    static const char sql[] =
        "UPDATE document SET title = :t, title_norm = :tn, updated_at = :now"
        " WHERE id = :id";
    struct strbuf norm = STRBUF_INIT;
    sqlite3_stmt *st;
    int rc = -1;

    if (query_normalize_title(title, strlen(title), &norm) < 0) {
        goto out;
    }
    st = db_stmt(w, sql);
    if (st == NULL) {
        goto out;
    }
    db_bind_text(st, ":t", title);
    db_bind_text(st, ":tn", strbuf_peek(&norm));
    db_bind_int64(st, ":now", now);
    db_bind_int64(st, ":id", id);
    rc = db_step_done(st);
out:
    strbuf_free(&norm);
    return rc;
}

int
document_set_language(struct db *w, int64_t id, const char *language,
                      int64_t now)
{
    static const char sql[] = "UPDATE document SET language = :l,"
                              " updated_at = :now WHERE id = :id";
    sqlite3_stmt *st = db_stmt(w, sql);

    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":l", language);
    db_bind_int64(st, ":now", now);
    db_bind_int64(st, ":id", id);
    return db_step_done(st);
}

/* ---- checks ---- */

long
document_check_bodies(struct db *db, void (*report)(void *ctx, int64_t id),
                      void *ctx)
{
    static const char sql[] =
        "SELECT id, body_html, body_sha256 FROM document ORDER BY id";
    sqlite3_stmt *st = db_stmt(db, sql);
    long bad = 0;
    int rc;

    if (st == NULL) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *body = (const char *)sqlite3_column_text(st, 1);
        const char *want = (const char *)sqlite3_column_text(st, 2);
        char hex[65];

        if (body == NULL || want == NULL) {
            rc = SQLITE_NOMEM; /* both are NOT NULL */
            break;
        }
        sha256_hex(body, (size_t)sqlite3_column_bytes(st, 1), hex);
        if (strcmp(hex, want) != 0) {
            report(ctx, sqlite3_column_int64(st, 0));
            bad++;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? bad : -1;
}

#ifdef KW_TEST_HOOKS
int
document_test_sqli(struct db *db, const char *id_text, document_each_fn each,
                   void *ctx)
{
    struct strbuf sql = STRBUF_INIT;
    sqlite3_stmt *st = NULL;
    int rc;

    /* The one statement built from its input, on purpose (document.h). */
    strbuf_printf(&sql, "SELECT id, title FROM document WHERE id = %s",
                  id_text);
    rc = sqlite3_prepare_v2(db_handle(db), strbuf_peek(&sql), -1, &st, NULL);
    strbuf_free(&sql);
    if (rc != SQLITE_OK) {
        return -1;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct document d = {0};

        d.id = sqlite3_column_int64(st, 0);
        d.title = (const char *)sqlite3_column_text(st, 1);
        each(ctx, &d);
    }
    sqlite3_finalize(st);
    return 0;
}
#endif

/* ---- harvesting (OAI-PMH, server/page_oai.c) ---- */

/* Call each for every document that h selects, with its datestamp
 * (updated_at).  d is filled with id, collection, collection_title,
 * path, status, title, language, authors, doc_date, description,
 * source_url and published_at, its strings valid until each returns.
 * 0, or -1 on a database error. */
int
document_list_harvest(struct db *db, const struct document_harvest *h,
                      document_harvest_fn each, void *ctx)
{
    static const char sql[] =
        "SELECT d.id, c.name, c.title, d.path, d.status, d.title,"
        " d.language, d.authors, d.doc_date, d.description, d.source_url,"
        " d.published_at, d.updated_at"
        " FROM document d JOIN collection c ON c.id = d.collection_id"
        " WHERE d.id > :after AND d.published_at IS NOT NULL"
        " AND d.updated_at BETWEEN :from AND :until"
        " AND (:set IS NULL OR c.name = :set) ORDER BY d.id LIMIT :n";
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc;

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":after", h->after);
    db_bind_int64(st, ":from", h->from);
    db_bind_int64(st, ":until", h->until);
    db_bind_text(st, ":set", h->set);
    db_bind_int64(st, ":n", h->limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct document d;

#define TEXT(i) ((const char *)sqlite3_column_text(st, (i)))
        memset(&d, 0, sizeof(d));
        d.id = sqlite3_column_int64(st, 0);
        d.collection = TEXT(1);
        d.collection_title = TEXT(2);
        d.path = TEXT(3);
        d.status = TEXT(4);
        d.title = TEXT(5);
        d.language = TEXT(6);
        d.authors = TEXT(7);
        d.doc_date = TEXT(8);
        d.description = TEXT(9);
        d.source_url = TEXT(10);
#undef TEXT
        d.published_at = sqlite3_column_int64(st, 11);
        if (d.collection == NULL || d.path == NULL || d.status == NULL ||
            d.title == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        each(ctx, &d, sqlite3_column_int64(st, 12));
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The earliest datestamp of a document ever published, into *t (now when
 * there is none).  0 or -1. */
int
document_earliest_update(struct db *db, int64_t *t)
{
    static const char sql[] = "SELECT min(updated_at) FROM document"
                              " WHERE published_at IS NOT NULL";
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc;

    *t = (int64_t)time(NULL);
    if (st == NULL) {
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *t = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

json_t *
document_json_text(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

json_t *
document_json_day(int64_t at)
{
    time_t t = (time_t)at;
    struct tm tm;
    char buf[16];

    if (at == DOCUMENT_NO_TIME || gmtime_r(&t, &tm) == NULL) {
        return json_null();
    }
    strftime(buf, sizeof(buf), "%Y-%m-%d", &tm);
    return json_string(buf);
}

struct coll_read {
    struct arena *a;
    struct document_coll *c;
};

/* A collection row into r->c, its text in r->a (db_one's reader). */
static int
coll_read(sqlite3_stmt *st, void *ctx)
{
    struct coll_read *r = ctx;
    struct document_coll *c = r->c;

    c->id = sqlite3_column_int64(st, 0);
    c->name = arena_strdup(r->a, (const char *)sqlite3_column_text(st, 1));
    c->title = arena_strdup(r->a, (const char *)sqlite3_column_text(st, 2));
    c->description =
        arena_strdup(r->a, (const char *)sqlite3_column_text(st, 3));
    c->source_url = NULL;
    c->language = NULL;
    if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
        c->source_url =
            arena_strdup(r->a, (const char *)sqlite3_column_text(st, 4));
    }
    if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
        c->language =
            arena_strdup(r->a, (const char *)sqlite3_column_text(st, 5));
    }
    return 0;
}

int
document_coll_find(struct db *db, const char *name, struct arena *a,
                   struct document_coll *c)
{
    static const char sql[] =
        "SELECT id, name, title, description, source_url, language"
        " FROM collection WHERE name = :n";
    sqlite3_stmt *st = db_stmt(db, sql);
    struct coll_read r = {a, c};

    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":n", name);
    return db_one(st, coll_read, &r);
}

int
document_tag_add(struct db *w, int64_t doc, const char *name)
{
    static const char tag[] = "INSERT INTO tag(name) VALUES (:n)"
                              " ON CONFLICT(name) DO UPDATE SET name = name"
                              " RETURNING id";
    static const char link[] =
        "INSERT OR IGNORE INTO document_tag(document_id, tag_id)"
        " VALUES (:d, :t)";
    sqlite3_stmt *st = db_stmt(w, tag);
    int64_t tid;

    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":n", name);
    if (db_one_int64(st, &tid) != 1 || (st = db_stmt(w, link)) == NULL) {
        return -1;
    }
    db_bind_int64(st, ":d", doc);
    db_bind_int64(st, ":t", tid);
    return db_step_done(st);
}
