/*
 * document: the one owner of the SQL on the `document` table, its status
 * names and its state machine.  Layer: lib/; depends on db and query (for
 * title_norm); never on microhttpd.h, server/, ingest/ or cli/; never
 * prints.
 *
 * Pages, moderation, ingest and the commands ask this module for
 * documents and never write SQL on the table themselves
 * (tests/layering.sh checks it).  Its declared friends are lib/search.c,
 * lib/searchcat.c and lib/docindex.c: search reads the table in bulk, in
 * its own statements, for speed.  Every statement here is a constant,
 * prepared once per connection (db_stmt), with bound values only.
 *
 * A lookup fills a struct document that owns its strings (document_free);
 * a listing calls back once a row with a borrowed struct document whose
 * strings die when the callback returns.  Each function says which fields
 * it fills: the others are 0, NULL or DOCUMENT_NO_TIME.  A statement names
 * its result columns after the fields (document.c maps them by name), so
 * a listing reads only the columns it needs; the large bodies come only
 * when asked for (they are stored last: see db/schema.sql).
 *
 * Writes (document_insert, _supersede, _decide, _set_*) run inside the
 * caller's write transaction (db_write_begin) and never begin, commit or
 * roll back.  Every string argument is borrowed.
 */
#ifndef KW_DOCUMENT_H
#define KW_DOCUMENT_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "db.h"

/* The statuses of a document (the CHECK of document.status).  String
 * literals, so that SQL elsewhere in this module can splice them in:
 * "... WHERE status = '" DOC_PUBLISHED "'". */
#define DOC_PENDING "pending"
#define DOC_PUBLISHED "published"
#define DOC_REJECTED "rejected"
#define DOC_WITHDRAWN "withdrawn"
#define DOC_SUPERSEDED "superseded"

/* A time column that is NULL (never decided, never published, ...). */
#define DOCUMENT_NO_TIME INT64_MIN

/* A document's values as the pages and exports show them (new JSON
 * values): text as a string, or null for NULL (and NULL, like
 * json_string, for text that is not UTF-8); a time as its UTC day
 * "YYYY-MM-DD", or null for DOCUMENT_NO_TIME. */
json_t *document_json_text(const char *s);
json_t *document_json_day(int64_t at);

/* One document, or the part of it that a function fills.  Times are Unix
 * seconds or DOCUMENT_NO_TIME; ids are 0 for none (batch_id NULL). */
struct document {
    int64_t id;
    int64_t collection_id;
    const char *collection;       /* the collection's name */
    const char *collection_title; /* the collection's title */
    const char *path;             /* path inside the collection's tree */
    int64_t version;
    const char *status; /* DOC_* */
    const char *title;
    const char *language; /* NULL: none */
    const char *authors;
    const char *doc_date; /* the date the document gives itself */
    const char *description;
    const char *canonical_url;
    const char *content_type;
    const char *metadata; /* JSON object text */
    const char *source_url;
    const char *source_url_norm;
    int64_t retrieved_at;
    int64_t ingested_at;
    int64_t batch_id;
    const char *operator_name;
    const char *orig_sha256;
    int64_t orig_size;
    const char *body_sha256;
    const char *original_blob; /* sha256 of the kept original, or NULL */
    int64_t decided_at;
    const char *decided_by;
    const char *reason;
    int64_t published_at;
    const char *body_html; /* sanitized body, links late-bound */
    const char *body_text; /* plain text, for diffs */
    const char *tags;      /* the tag names, ", "-separated, or NULL */
    int64_t requests;      /* document_list_wanted: readers who asked */
    char *mem;             /* owned: the strings of a lookup */
};

/* Release what a lookup filled; d itself is the caller's.  Safe on a
 * zeroed struct and on one that a failed lookup left. */
void document_free(struct document *d);

/* A listing's callback: d (borrowed) is valid until it returns. */
typedef void (*document_each_fn)(void *ctx, const struct document *d);
/* A count's callback: value (borrowed) and its number of documents. */
typedef void (*document_count_fn)(void *ctx, const char *value, int64_t n);

/* ---- lookups: 1 found, 0 not found, -1 database error or out of
 * memory; d is filled only on 1 and must then be document_free()d ---- */

/* What document_get reads beyond the metadata. */
enum document_want {
    DOCUMENT_BODY_HTML = 1,
    DOCUMENT_BODY_TEXT = 2,
    DOCUMENT_TAGS = 4,
};

/* Document `id` in any status: every field but body_html, body_text and
 * tags, and those that `want` (enum document_want) asks for. */
int document_get(struct db *db, int64_t id, unsigned want, struct document *d);
/* The newest version at collection/path, of status `status` (NULL: any),
 * filled as document_get with want 0. */
int document_latest(struct db *db, int64_t collection, const char *path,
                    const char *status, struct document *d);
/* The id of the published document at collection/path (the document
 * page's hot path: one index lookup). */
int document_published_id(struct db *db, int64_t collection, const char *path,
                          int64_t *id);
/* The path an alias at collection/path leads to (alias table: a ZIM
 * redirect), when a document is published there: 1 with *target (new,
 * kw_free), 0 when there is no such alias or its target is not published,
 * -1 on error. */
int document_alias_published(struct db *db, int64_t collection,
                             const char *path, char **target);
/* The published documents next to doc in its collection's path order
 * (doc itself excluded, whatever its status): the pages whose pager
 * (document_neighbour) names doc, so whose renditions change when doc is
 * published, withdrawn or retitled.  ids[0] the one before, ids[1] the one
 * after, 0 for none.  0, or -1 on a database error. */
int document_neighbour_ids(struct db *db, int64_t doc, int64_t ids[2]);
/* Keep the planner's statistics near the document table's size: when
 * sqlite_stat1 describes the table (an ANALYZE ran) with fewer than a
 * quarter of the rows it has now (its largest id, ids being given in
 * order), run db_analyze.  A first ingest of a few documents leaves
 * figures under which the planner scans where it should probe, and a
 * large ingest after it slowed down with every document (17 times
 * slower at 15,000).  For writers that add many documents, every few
 * hundred; inside a write.  1 when it analyzed, 0 when not needed, -1 on
 * a database error. */
int document_stats_refresh(struct db *w);
/* Below this many rows no figure is stale enough to matter. */
#define DOCUMENT_STATS_MIN 256
/* The published document just before (next 0) or after (next 1) path in
 * its collection, by path: path and title. */
int document_neighbour(struct db *db, int64_t collection, const char *path,
                       int next, struct document *d);
/* A published document whose source URL (normalised) is url_norm:
 * collection and path. */
int document_find_url(struct db *db, const char *url_norm, struct document *d);
/* A published document picked at random (a random id, then the next
 * published one: no table scan), else the first one: collection, path. */
int document_random(struct db *db, struct document *d);

/* ---- listings: 0, or -1 on a database error (rows already passed to
 * each stay passed) ---- */

/* The filters of a collection's page; NULL strings do not filter. */
struct document_filter {
    int64_t collection_id;
    const char *language;
    const char *year; /* "YYYY" of published_at */
    const char *tag;
};

/* The published documents that f selects, by title (by_date 0) or newest
 * first, `limit` from `offset`: id, path, title, language, published_at. */
int document_list_collection(struct db *db, const struct document_filter *f,
                             int by_date, int64_t limit, int64_t offset,
                             document_each_fn each, void *ctx);
/* How many documents document_list_collection has to show, into *n. */
int document_count_collection(struct db *db, const struct document_filter *f,
                              int64_t *n);

enum document_facet {
    DOCUMENT_FACET_LANGUAGE, /* the 20 commonest */
    DOCUMENT_FACET_YEAR,     /* the 30 latest years of published_at */
    DOCUMENT_FACET_TAG,      /* the 30 commonest */
};

/* The values of one facet over a collection's published documents with
 * their counts; a NULL value (a document without a year) may come. */
int document_facet(struct db *db, int64_t collection, enum document_facet f,
                   document_count_fn each, void *ctx);

/* Tag document doc with name (the tag is made when new; tagging twice is
 * one tag).  Inside the caller's write transaction.  0, or -1 on a
 * database error. */
int document_tag_add(struct db *w, int64_t doc, const char *name);

/* A collection as its pages show it; strings from the caller's arena. */
struct document_coll {
    int64_t id;
    const char *name;
    const char *title;
    const char *description;
    const char *source_url; /* NULL when none */
    const char *language;   /* NULL when none */
};

/* The collection called name into *c, its strings copied into arena a
 * (borrowed).  1 found, 0 when there is none, -1 on a database error. */
int document_coll_find(struct db *db, const char *name, struct arena *a,
                       struct document_coll *c);

/* A collection with its published documents. */
struct document_collection {
    const char *name;
    const char *title;
    int64_t documents;
    const char *languages; /* distinct, comma-separated, or NULL */
    int64_t updated_at;    /* newest published_at, or DOCUMENT_NO_TIME */
};

/* Every collection (at most limit) by title, with the number of its
 * published documents, their languages and the newest publication; c is
 * borrowed as in document_each_fn. */
int document_collections(struct db *db, int64_t limit,
                         void (*each)(void *ctx,
                                      const struct document_collection *c),
                         void *ctx);
/* The same with the number of published documents only (languages NULL,
 * updated_at DOCUMENT_NO_TIME): an index walk, for the front page. */
int document_collection_counts(
    struct db *db, int64_t limit,
    void (*each)(void *ctx, const struct document_collection *c), void *ctx);
/* The number of documents in each status, by status name. */
int document_count_by_status(struct db *db, document_count_fn each, void *ctx);
/* The newest published documents (of collection `collection` by name, or
 * of all when NULL), newest first, at most limit: id, collection,
 * collection_title, path, title, description, published_at. */
int document_list_recent(struct db *db, const char *collection, int64_t limit,
                         document_each_fn each, void *ctx);
/* The front page's newest published documents, at most limit:
 * collection, path, title, published_at.  Documents published in the
 * same second come in no set order (the order the front page always
 * had); document_list_recent puts the newest id first. */
int document_list_newest(struct db *db, int64_t limit, document_each_fn each,
                         void *ctx);
/* Every published document by id, at most limit: collection, path,
 * published_at. */
int document_list_published(struct db *db, int64_t limit, document_each_fn each,
                            void *ctx);
/* The published documents that fulfilled the most acquisition requests,
 * at most limit: collection, path, title, requests. */
int document_list_wanted(struct db *db, int64_t limit, document_each_fn each,
                         void *ctx);

/* The moderation queue's filters; NULL strings and 0 do not filter. */
struct document_queue {
    const char *collection; /* by name */
    int64_t batch_id;
    const char *domain; /* host of the source URL, or a parent domain */
};

/* Pending documents, oldest ingested first, `limit` from `offset`: id,
 * title, collection, batch_id, source_url, ingested_at, version. */
int document_list_pending(struct db *db, const struct document_queue *q,
                          int64_t limit, int64_t offset, document_each_fn each,
                          void *ctx);
/* The pending documents of ingest batch `batch` in id order: a new array
 * (kw_free) in *ids, its length in *n. */
int document_batch_pending(struct db *db, int64_t batch, int64_t **ids,
                           size_t *n);
/* The other pending and published versions at collection/path (every id
 * but `except`) in id order: id, status. */
int document_list_live(struct db *db, int64_t collection, const char *path,
                       int64_t except, document_each_fn each, void *ctx);

/* ---- the state machine ---- */

/* A moderator's act on one document:
 *   pending   --approve-->  published
 *   pending   --reject--->  rejected
 *   published --withdraw->  withdrawn
 *   withdrawn, rejected --restore--> pending */
enum document_act {
    DOCUMENT_APPROVE,
    DOCUMENT_REJECT,
    DOCUMENT_WITHDRAW,
    DOCUMENT_RESTORE,
};

/* 1 when act a applies to a document in status `status`, else 0. */
int document_act_applies(enum document_act a, const char *status);
/* The status act a leaves (DOC_*, static). */
const char *document_act_status(enum document_act a);

/* ---- writes, in the caller's write transaction: 0 or -1 ---- */

/* Insert a new pending version and its id into *id.  From d: collection_id,
 * path, version, title (title_norm is derived from it), language,
 * authors, doc_date, description, canonical_url, content_type, body_html,
 * body_text, metadata, source_url, source_url_norm, retrieved_at,
 * batch_id, operator_name, orig_sha256, orig_size, body_sha256,
 * original_blob; ingested_at and updated_at are `now`. */
int document_insert(struct db *w, const struct document *d, int64_t now,
                    int64_t *id);
/* The other versions at collection/path (every id but `except`) that are
 * pending, and published too when with_published, become superseded. */
int document_supersede(struct db *w, int64_t collection, const char *path,
                       int64_t except, int with_published, int64_t now);
/* The guarded state change of act a on document id, recording actor,
 * reason (approve clears it and sets published_at) and now.  1 changed, 0
 * the document was not in a status the act applies to (someone else
 * decided first, or no such document), -1 error. */
int document_decide(struct db *w, int64_t id, enum document_act a,
                    const char *actor, const char *reason, int64_t now);
/* New title (and title_norm) of document id. */
int document_set_title(struct db *w, int64_t id, const char *title,
                       int64_t now);
/* New language of document id (NULL: none). */
int document_set_language(struct db *w, int64_t id, const char *language,
                          int64_t now);

/* ---- checks ---- */

/* Call report for each document whose body_html does not hash to its
 * body_sha256 (for `kwangmyong verify`).  The number reported, or -1. */
long document_check_bodies(struct db *db, void (*report)(void *ctx, int64_t id),
                           void *ctx);

#ifdef KW_TEST_HOOKS
/* The deliberately injectable lookup of the /test/sqli page (test builds
 * only): "SELECT id, title ... WHERE id = " id_text, built as a string,
 * so that a scanner can prove that it finds what is there.  Calls each
 * with id and title.  0, or -1 when the text is not SQL. */
int document_test_sqli(struct db *db, const char *id_text,
                       document_each_fn each, void *ctx);
#endif

/* What document_list_harvest selects (OAI-PMH): the documents ever
 * published with an id above `after`, a datestamp (updated_at) within
 * [from, until] and, unless set is NULL, in the collection called set; by
 * id, at most limit.  Withdrawn and superseded ones too: a harvester
 * learns of them as deleted records. */
struct document_harvest {
    int64_t after, from, until, limit;
    const char *set;
};

typedef void (*document_harvest_fn)(void *ctx, const struct document *d,
                                    int64_t datestamp);

/* Call each for every document that h selects, with its datestamp.  d is
 * filled with id, collection, collection_title, path, status, title,
 * language, authors, doc_date, description, source_url and published_at,
 * its strings valid until each returns.  0, or -1 on a database error. */
int document_list_harvest(struct db *db, const struct document_harvest *h,
                          document_harvest_fn each, void *ctx);

/* The earliest datestamp of a document ever published, into *t (now when
 * there is none).  0 or -1. */
int document_earliest_update(struct db *db, int64_t *t);

#endif
