/*
 * packdb: export a collection into a pack, import a verified pack (see
 * packdb.h for what goes and how an import stays idempotent, and
 * docs/pack.md for the records).  Layer: lib/; depends on db, pack,
 * document, moderation, docindex, render, impact, audit, gz (sha256) and
 * jansson; never on microhttpd.h, server/, ingest/ or cli/; never prints.
 */
#include "packdb.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "audit.h"
#include "docindex.h"
#include "document.h"
#include "gz.h"
#include "impact.h"
#include "moderation.h"
#include "render.h"
#include "version.h"

/* The documents a pack carries, for :c (collection id) and :since: the
 * published ones, and the withdrawn ones whose path has no published
 * version (withdrawals), changed since :since.  The one statement here on
 * the document table (a bulk read in one snapshot, like search's); every
 * other read and write of a document goes through document.h. */
/* Records imported between two looks at the planner's statistics
 * (document_stats_refresh) and the catalog's change log
 * (docindex_changes_prune): the import is one transaction. */
#define PACKDB_STATS_EVERY 256

#define EXPORT_WHERE                                                           \
    " d.collection_id = :c AND d.updated_at >= :since"                         \
    " AND (d.status = '" DOC_PUBLISHED "'"                                     \
    " OR (d.status = '" DOC_WITHDRAWN "' AND NOT EXISTS (SELECT 1"             \
    " FROM document p WHERE p.collection_id = d.collection_id"                 \
    " AND p.path = d.path AND p.status = '" DOC_PUBLISHED "')))"
/* The tree's assets a pack carries (attachments go with their document):
 * those whose row or blob is new since :since. */
#define TREE_ASSET_WHERE                                                       \
    " a.collection_id = :c AND a.document_id IS NULL"                          \
    " AND (a.created_at >= :since OR EXISTS (SELECT 1 FROM blob b"             \
    " WHERE b.sha256 = a.blob_sha256 AND b.created_at >= :since))"

/* A time as JSON: an integer, or null for DOCUMENT_NO_TIME. */
static json_t *
jtime(int64_t t)
{
    return t != DOCUMENT_NO_TIME ? json_integer(t) : json_null();
}

/* A text column as JSON, for the rows packdb reads itself. */
static json_t *
jcol(sqlite3_stmt *st, int col)
{
    return db_column_json(st, col);
}

/* A string member, NULL when absent or not a string. */
static const char *
jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* An integer member, def when absent or null. */
static int64_t
jint(const json_t *o, const char *k, int64_t def)
{
    const json_t *v = json_object_get(o, k);

    return json_is_integer(v) ? (int64_t)json_integer_value(v) : def;
}

/* Equal strings, NULL equal to NULL only. */
static int
same_text(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* A row of a statement made a JSON value (new), or NULL. */
typedef json_t *(*row_fn)(sqlite3_stmt *st);

/* Every row of sql (a statement on :d) for document doc, each made a
 * value by row, as a JSON array (new), or NULL on error. */
static json_t *
rows_json(struct db *db, const char *sql, int64_t doc, row_fn row)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    json_t *a = json_array();
    int rc = SQLITE_ERROR;

    if (st == NULL || a == NULL) {
        json_decref(a);
        return NULL;
    }
    db_bind_int64(st, ":d", doc);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (json_array_append_new(a, row(st)) < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(a);
        return NULL;
    }
    return a;
}

static json_t *
tag_row(sqlite3_stmt *st)
{
    return jcol(st, 0);
}

/* The tags of document doc as a sorted JSON array (new), or NULL. */
static json_t *
tags_json(struct db *db, int64_t doc)
{
    static const char sql[] =
        "SELECT t.name FROM document_tag dt JOIN tag t ON t.id = dt.tag_id"
        " WHERE dt.document_id = :d ORDER BY t.name";

    return rows_json(db, sql, doc, tag_row);
}

/* ---- export ---- */

struct exp {
    struct db *db;
    struct pack_writer *w;
    const struct packdb_export_opts *o;
    int64_t collection;
    struct packdb_counts *n;
    long records;
    json_t *batches; /* the ids of the batches written, as keys */
};

/* Write rec (stolen) as a record.  0 or -1. */
static int
put_json(struct exp *x, json_t *rec)
{
    int rc = rec != NULL ? pack_writer_json(x->w, rec) : -1;

    json_decref(rec);
    x->records += rc == 0;
    return rc;
}

static void
bind_scope(struct exp *x, sqlite3_stmt *st)
{
    db_bind_int64(st, ":c", x->collection);
    db_bind_int64(st, ":since", x->o->since);
}

/* Call fn for every row of sql (a statement on :c and :since) until one
 * fails.  0 or -1. */
static int
each_row(struct exp *x, const char *sql,
         int (*fn)(struct exp *x, sqlite3_stmt *st))
{
    sqlite3_stmt *st = db_stmt(x->db, sql);
    int rc;

    if (st == NULL) {
        return -1;
    }
    bind_scope(x, st);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (fn(x, st) < 0) {
            rc = SQLITE_ERROR;
            break;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The pack record: format, the collection's row, since, exported_at. */
static int
export_head(struct exp *x)
{
    static const char sql[] =
        "SELECT id, name, title, description, source_url, language"
        " FROM collection WHERE name = :n";
    sqlite3_stmt *st = db_stmt(x->db, sql);
    json_t *c = NULL, *rec;
    int rc;

    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":n", x->o->collection);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        x->collection = sqlite3_column_int64(st, 0);
        c = json_pack("{s:o, s:o, s:o, s:o, s:o}", "name", jcol(st, 1), "title",
                      jcol(st, 2), "description", jcol(st, 3), "source_url",
                      jcol(st, 4), "language", jcol(st, 5));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        return rc == SQLITE_DONE ? 1 : -1;
    }
    rec = json_pack("{s:s, s:i, s:o, s:o, s:I, s:s}", "type", "pack", "format",
                    1, "collection", c, "since",
                    x->o->since != PACKDB_ALL ? json_integer(x->o->since)
                                              : json_null(),
                    "exported_at", (json_int_t)x->o->now, "generator",
                    "kwangmyong " KW_VERSION);
    return put_json(x, rec);
}

/* Ingest batch id, once per pack, before the first document from it. */
static int
export_batch(struct exp *x, int64_t id)
{
    static const char sql[] =
        "SELECT operator, command, started_at, finished_at, n_new,"
        " n_changed, n_unchanged, n_rejected, report FROM ingest_batch"
        " WHERE id = :id";
    sqlite3_stmt *st;
    json_t *rec = NULL;
    char key[32];
    int rc;

    snprintf(key, sizeof(key), "%lld", (long long)id);
    if (id == 0 || json_object_get(x->batches, key) != NULL) {
        return 0;
    }
    if ((st = db_stmt(x->db, sql)) == NULL) {
        return -1;
    }
    db_bind_int64(st, ":id", id);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        rec = json_pack(
            "{s:s, s:I, s:o, s:o, s:I, s:o, s:I, s:I, s:I, s:I, s:o}", "type",
            "batch", "id", (json_int_t)id, "operator", jcol(st, 0), "command",
            jcol(st, 1), "started_at", (json_int_t)sqlite3_column_int64(st, 2),
            "finished_at",
            sqlite3_column_type(st, 3) == SQLITE_NULL
                ? json_null()
                : json_integer(sqlite3_column_int64(st, 3)),
            "n_new", (json_int_t)sqlite3_column_int64(st, 4), "n_changed",
            (json_int_t)sqlite3_column_int64(st, 5), "n_unchanged",
            (json_int_t)sqlite3_column_int64(st, 6), "n_rejected",
            (json_int_t)sqlite3_column_int64(st, 7), "report", jcol(st, 8));
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
        return 0; /* a batch row deleted by hand: the document goes alone */
    }
    if (rc != SQLITE_ROW || put_json(x, rec) < 0 ||
        json_object_set_new(x->batches, key, json_true()) < 0) {
        return -1;
    }
    x->n->batches++;
    return 0;
}

/* The blob the current row of st names (columns: sha256, size, data): a
 * record naming it, then its bytes. */
static int
put_blob_row(struct exp *x, sqlite3_stmt *st)
{
    json_t *rec =
        json_pack("{s:s, s:o, s:I}", "type", "blob", "sha256", jcol(st, 0),
                  "size", (json_int_t)sqlite3_column_int64(st, 1));
    const void *p = sqlite3_column_blob(st, 2);

    if (put_json(x, rec) < 0 ||
        pack_writer_data(x->w, p != NULL ? p : "",
                         (size_t)sqlite3_column_bytes(st, 2)) < 0) {
        return -1;
    }
    x->records++;
    x->n->blobs++;
    return 0;
}

/* Blob sha256, for a document's original or attachment. */
static int
export_blob(struct exp *x, const char *sha256)
{
    static const char sql[] =
        "SELECT sha256, size, data FROM blob WHERE sha256 = :h";
    sqlite3_stmt *st = db_stmt(x->db, sql);
    int rc;

    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":h", sha256);
    rc = sqlite3_step(st);
    rc = rc == SQLITE_ROW ? put_blob_row(x, st) : -1;
    sqlite3_reset(st);
    return rc;
}

/* The blobs of the tree's assets carried, each once. */
static int
export_tree_blobs(struct exp *x)
{
    static const char sql[] =
        "SELECT sha256, size, data FROM blob WHERE sha256 IN"
        " (SELECT a.blob_sha256 FROM asset a WHERE" TREE_ASSET_WHERE ")"
        " ORDER BY sha256";

    return each_row(x, sql, put_blob_row);
}

/* An asset record from the current row of st (columns: path,
 * content_type, blob_sha256, filename); d: the document it is attached
 * to, or NULL for a tree asset. */
static int
put_asset_row(struct exp *x, sqlite3_stmt *st, const struct document *d)
{
    json_t *rec = json_pack(
        "{s:s, s:o, s:o, s:o, s:o, s:o, s:o}", "type", "asset", "path",
        jcol(st, 0), "content_type", jcol(st, 1), "blob", jcol(st, 2),
        "filename", jcol(st, 3), "document_path",
        document_json_text(d != NULL ? d->path : NULL), "document_sha256",
        document_json_text(d != NULL ? d->body_sha256 : NULL));

    if (put_json(x, rec) < 0) {
        return -1;
    }
    x->n->assets++;
    return 0;
}

static int
tree_asset_row(struct exp *x, sqlite3_stmt *st)
{
    return put_asset_row(x, st, NULL);
}

/* The tree's assets carried. */
static int
export_tree_assets(struct exp *x)
{
    static const char sql[] =
        "SELECT a.path, a.content_type, a.blob_sha256, a.filename"
        " FROM asset a WHERE" TREE_ASSET_WHERE " ORDER BY a.path";

    return each_row(x, sql, tree_asset_row);
}

/* The attachments of published document d, after it, each with its blob
 * unless that is d's original, written just before d. */
static int
export_attachments(struct exp *x, const struct document *d)
{
    static const char sql[] =
        "SELECT path, content_type, blob_sha256, filename FROM asset"
        " WHERE document_id = :d ORDER BY path";
    sqlite3_stmt *st = db_stmt(x->db, sql);
    int rc;

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":d", d->id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        char *sha = db_column_dup(st, 2);
        int bad = sha == NULL;

        /* Reading another blob resets no statement of ours: export_blob
         * has its own. */
        if (!bad && !same_text(sha, d->original_blob)) {
            bad = export_blob(x, sha) < 0;
        }
        kw_free(sha);
        if (bad || put_asset_row(x, st, d) < 0) {
            rc = SQLITE_ERROR;
            break;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static json_t *
section_row(sqlite3_stmt *st)
{
    return json_pack("[I, o, o, o, o]", (json_int_t)sqlite3_column_int64(st, 0),
                     jcol(st, 1), jcol(st, 2), jcol(st, 3), jcol(st, 4));
}

/* Sections of doc as [[ord, anchor, title, heading, body], ...] (new). */
static json_t *
sections_json(struct db *db, int64_t doc)
{
    static const char sql[] =
        "SELECT ord, anchor, title, heading, body FROM section"
        " WHERE document_id = :d ORDER BY ord";

    return rows_json(db, sql, doc, section_row);
}

static json_t *
link_row(sqlite3_stmt *st)
{
    return json_pack("[o, b]", jcol(st, 0), sqlite3_column_int(st, 1) != 0);
}

/* Links of doc as [[target_url, is_image], ...] (new). */
static json_t *
links_json(struct db *db, int64_t doc)
{
    static const char sql[] = "SELECT target_url, is_image FROM link"
                              " WHERE document_id = :d ORDER BY target_url";

    return rows_json(db, sql, doc, link_row);
}

/* Ranking's signal of doc, {"link_share", "sketch" (base64 or null)}
 * (new), JSON null when it has none, NULL on error. */
static json_t *
signal_json(struct db *db, int64_t doc)
{
    static const char sql[] = "SELECT link_share, sketch FROM doc_signal"
                              " WHERE document_id = :d";
    sqlite3_stmt *st = db_stmt(db, sql);
    json_t *o = NULL;
    char *b64 = NULL;
    int rc;

    if (st == NULL) {
        return NULL;
    }
    db_bind_int64(st, ":d", doc);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const void *p = sqlite3_column_blob(st, 1);
        size_t n = (size_t)sqlite3_column_bytes(st, 1);

        if (p != NULL) {
            size_t bl =
                sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL);

            b64 = kw_malloc(bl);
            if (b64 != NULL) {
                sodium_bin2base64(b64, bl, p, n,
                                  sodium_base64_VARIANT_ORIGINAL);
            }
        }
        if (p == NULL || b64 != NULL) {
            o = json_pack("{s:f, s:o}", "link_share",
                          sqlite3_column_double(st, 0), "sketch",
                          document_json_text(b64));
        }
    } else if (rc == SQLITE_DONE) {
        o = json_null();
    }
    sqlite3_reset(st);
    kw_free(b64);
    return o;
}

/* o[k] = v (stolen); *bad set when v is NULL or the set fails. */
static void
set(json_t *o, const char *k, json_t *v, int *bad)
{
    if (json_object_set_new(o, k, v) < 0) {
        *bad = 1;
    }
}

/* A published document, whole (new), or NULL. */
static json_t *
document_json(struct db *db, const struct document *d)
{
    json_t *o = json_object();
    int bad = o == NULL;

    if (bad) {
        return NULL;
    }
    set(o, "type", json_string("document"), &bad);
    set(o, "path", document_json_text(d->path), &bad);
    set(o, "version", json_integer(d->version), &bad);
    set(o, "title", document_json_text(d->title), &bad);
    set(o, "language", document_json_text(d->language), &bad);
    set(o, "authors", document_json_text(d->authors), &bad);
    set(o, "doc_date", document_json_text(d->doc_date), &bad);
    set(o, "description", document_json_text(d->description), &bad);
    set(o, "canonical_url", document_json_text(d->canonical_url), &bad);
    set(o, "content_type", document_json_text(d->content_type), &bad);
    set(o, "metadata", document_json_text(d->metadata), &bad);
    set(o, "source_url", document_json_text(d->source_url), &bad);
    set(o, "source_url_norm", document_json_text(d->source_url_norm), &bad);
    set(o, "retrieved_at", jtime(d->retrieved_at), &bad);
    set(o, "ingested_at", jtime(d->ingested_at), &bad);
    set(o, "batch", d->batch_id != 0 ? json_integer(d->batch_id) : json_null(),
        &bad);
    set(o, "operator", document_json_text(d->operator_name), &bad);
    set(o, "orig_sha256", document_json_text(d->orig_sha256), &bad);
    set(o, "orig_size", json_integer(d->orig_size), &bad);
    set(o, "body_sha256", document_json_text(d->body_sha256), &bad);
    set(o, "original_blob", document_json_text(d->original_blob), &bad);
    set(o, "decided_by", document_json_text(d->decided_by), &bad);
    set(o, "decided_at", jtime(d->decided_at), &bad);
    set(o, "published_at", jtime(d->published_at), &bad);
    set(o, "body_html", document_json_text(d->body_html), &bad);
    set(o, "body_text", document_json_text(d->body_text), &bad);
    set(o, "tags", tags_json(db, d->id), &bad);
    set(o, "sections", sections_json(db, d->id), &bad);
    set(o, "links", links_json(db, d->id), &bad);
    set(o, "signal", signal_json(db, d->id), &bad);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A withdrawal: which document (path and body) and the decision. */
static json_t *
withdrawal_json(const struct document *d)
{
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}", "type", "withdrawal",
                     "path", document_json_text(d->path), "body_sha256",
                     document_json_text(d->body_sha256), "decided_by",
                     document_json_text(d->decided_by), "decided_at",
                     jtime(d->decided_at), "reason",
                     document_json_text(d->reason));
}

/* The document of the current row of st (column: id): a published one
 * whole, with its batch, original and attachments; a withdrawn one as a
 * withdrawal. */
static int
document_row(struct exp *x, sqlite3_stmt *st)
{
    struct document d;
    int pub, rc;

    if (document_get(x->db, sqlite3_column_int64(st, 0),
                     DOCUMENT_BODY_HTML | DOCUMENT_BODY_TEXT, &d) != 1) {
        return -1;
    }
    pub = strcmp(d.status, DOC_PUBLISHED) == 0;
    if (pub) {
        rc = export_batch(x, d.batch_id) < 0 ||
                     (d.original_blob != NULL &&
                      export_blob(x, d.original_blob) < 0) ||
                     put_json(x, document_json(x->db, &d)) < 0 ||
                     export_attachments(x, &d) < 0
                 ? -1
                 : 0;
    } else {
        rc = put_json(x, withdrawal_json(&d));
    }
    document_free(&d);
    if (rc == 0) {
        if (pub) {
            x->n->documents++;
        } else {
            x->n->withdrawals++;
        }
    }
    return rc;
}

/* The documents and withdrawals, in id order, so that a later version at
 * a path comes after an earlier one. */
static int
export_documents(struct exp *x)
{
    static const char sql[] =
        "SELECT d.id FROM document d WHERE" EXPORT_WHERE " ORDER BY d.id";

    return each_row(x, sql, document_row);
}

int
packdb_export(struct db *db, const struct packdb_export_opts *o,
              struct packdb_counts *n, char sha256[65], struct pack_error *err)
{
    struct exp x = {db, NULL, o, 0, n, 0, json_object()};
    int rc = -1;

    memset(n, 0, sizeof(*n));
    if (x.batches == NULL) {
        pack_error_set(err, "out of memory");
        return -1;
    }
    if (db_read_begin(db) != SQLITE_OK) {
        pack_error_set(err, "database: %s", db_errmsg(db));
        json_decref(x.batches);
        return -1;
    }
    if (pack_writer_open(o->out, &x.w, err) < 0) {
        goto out;
    }
    rc = export_head(&x);
    if (rc > 0) {
        pack_error_set(err, "no collection '%s' in the database",
                       o->collection);
        rc = -1;
    } else if (rc < 0 || export_tree_blobs(&x) < 0 ||
               export_tree_assets(&x) < 0 || export_documents(&x) < 0 ||
               put_json(&x, json_pack("{s:s, s:I}", "type", "end", "records",
                                      (json_int_t)x.records + 1)) < 0) {
        const char *why = pack_writer_failed(x.w);

        pack_error_set(err, "export: %s", why != NULL ? why : db_errmsg(db));
        rc = -1;
    }
    /* The snapshot ends before the file is signed and renamed. */
    db_read_end(db);
    if (rc == 0) {
        rc = pack_writer_finish(x.w, o->key, sha256, err);
    } else {
        pack_writer_abort(x.w);
    }
    json_decref(x.batches);
    return rc;
out:
    db_read_end(db);
    json_decref(x.batches);
    return -1;
}

/* ---- import ---- */

struct imp {
    struct db *w;
    struct pack_reader *r;
    const char *actor; /* the audit rows' actor */
    char reason[64];   /* the approve rows' reason: names the key */
    int64_t collection;
    json_t *batches; /* source batch id -> its record ("local" once here) */
    int64_t now;
    struct packdb_counts *n;
    struct pack_error *err;
};

static int
db_fail(struct imp *im, const char *what)
{
    pack_error_set(im->err, "%s: database: %s", what, db_errmsg(im->w));
    return -1;
}

/* The collection, created or brought in step with the pack's row. */
static int
import_collection(struct imp *im, const json_t *c)
{
    static const char sel[] =
        "SELECT id, title, description, source_url, language"
        " FROM collection WHERE name = :n";
    static const char ins[] =
        "INSERT INTO collection(name, title, description, source_url,"
        " language, created_at, updated_at)"
        " VALUES (:n, :t, :d, :s, :l, :now, :now)";
    static const char upd[] =
        "UPDATE collection SET title = :t, description = :d,"
        " source_url = :s, language = :l, updated_at = :now WHERE id = :id";
    const char *name = jstr(c, "name"), *title = jstr(c, "title"),
               *descr = jstr(c, "description");
    sqlite3_stmt *st;
    int rc, same = 0;

    if (name == NULL || title == NULL) {
        pack_error_set(im->err, "the pack record names no collection");
        return -1;
    }
    if (descr == NULL) {
        descr = "";
    }
    if ((st = db_stmt(im->w, sel)) == NULL) {
        return db_fail(im, "collection");
    }
    db_bind_text(st, ":n", name);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        im->collection = sqlite3_column_int64(st, 0);
        same = same_text((const char *)sqlite3_column_text(st, 1), title) &&
               same_text((const char *)sqlite3_column_text(st, 2), descr) &&
               same_text((const char *)sqlite3_column_text(st, 3),
                         jstr(c, "source_url")) &&
               same_text((const char *)sqlite3_column_text(st, 4),
                         jstr(c, "language"));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return db_fail(im, "collection");
    }
    if (same) {
        return 0;
    }
    if ((st = db_stmt(im->w, rc == SQLITE_ROW ? upd : ins)) == NULL) {
        return db_fail(im, "collection");
    }
    if (rc == SQLITE_ROW) {
        db_bind_int64(st, ":id", im->collection);
    } else {
        db_bind_text(st, ":n", name);
    }
    db_bind_text(st, ":t", title);
    db_bind_text(st, ":d", descr);
    db_bind_text(st, ":s", jstr(c, "source_url"));
    db_bind_text(st, ":l", jstr(c, "language"));
    db_bind_int64(st, ":now", im->now);
    if (db_step_done(st) < 0) {
        return db_fail(im, "collection");
    }
    if (rc != SQLITE_ROW) {
        im->collection = sqlite3_last_insert_rowid(db_handle(im->w));
    }
    im->n->collection = 1;
    return 0;
}

/* A blob record and the data record after it: the bytes checked against
 * their hash, stored once. */
static int
import_blob(struct imp *im, const json_t *rec)
{
    static const char ins[] =
        "INSERT OR IGNORE INTO blob(sha256, size, data, created_at)"
        " VALUES (:h, :n, :d, :now)";
    const char *sha = jstr(rec, "sha256");
    const unsigned char *p;
    sqlite3_stmt *st;
    char type = 0, hex[65];
    size_t n;
    int rc = sha != NULL ? pack_next(im->r, &type, &p, &n, im->err) : 0;

    if (rc != 1 || type != 'D') {
        if (rc >= 0) {
            pack_error_set(im->err, "a blob record without its bytes");
        }
        return -1;
    }
    sha256_hex(p, n, hex);
    if (strcmp(hex, sha) != 0 || jint(rec, "size", -1) != (int64_t)n) {
        pack_error_set(im->err, "blob %s: its bytes do not match its hash",
                       sha);
        return -1;
    }
    if ((st = db_stmt(im->w, ins)) == NULL) {
        return db_fail(im, "blob");
    }
    db_bind_text(st, ":h", hex);
    db_bind_int64(st, ":n", (int64_t)n);
    db_bind_blob(st, ":d", p, n);
    db_bind_int64(st, ":now", im->now);
    if (db_step_done(st) < 0) {
        return db_fail(im, "blob");
    }
    im->n->blobs += sqlite3_changes(db_handle(im->w));
    return 0;
}

/* The local id of the pack's batch src: the batch with the same
 * collection, operator, command and start, created when missing.  0 for
 * a batch the pack does not describe. */
static int
local_batch(struct imp *im, int64_t src, int64_t *id)
{
    static const char sel[] =
        "SELECT id FROM ingest_batch WHERE collection_id = :c"
        " AND operator = :o AND command = :cmd AND started_at = :s";
    static const char ins[] =
        "INSERT INTO ingest_batch(collection_id, operator, command,"
        " started_at, finished_at, n_new, n_changed, n_unchanged,"
        " n_rejected, report) VALUES (:c, :o, :cmd, :s, :f, :a, :b, :u, :r,"
        " :rep)";
    char key[32];
    json_t *b;
    sqlite3_stmt *st;
    int rc;

    *id = 0;
    snprintf(key, sizeof(key), "%lld", (long long)src);
    b = json_object_get(im->batches, key);
    if (b == NULL || jstr(b, "operator") == NULL) {
        return 0;
    }
    if ((*id = jint(b, "local", 0)) != 0) {
        return 0;
    }
    if ((st = db_stmt(im->w, sel)) == NULL) {
        return db_fail(im, "batch");
    }
    db_bind_int64(st, ":c", im->collection);
    db_bind_text(st, ":o", jstr(b, "operator"));
    db_bind_text(st, ":cmd", jstr(b, "command") ? jstr(b, "command") : "");
    db_bind_int64(st, ":s", jint(b, "started_at", 0));
    rc = db_one_int64(st, id);
    if (rc == 0) {
        if ((st = db_stmt(im->w, ins)) == NULL) {
            return db_fail(im, "batch");
        }
        db_bind_int64(st, ":c", im->collection);
        db_bind_text(st, ":o", jstr(b, "operator"));
        db_bind_text(st, ":cmd", jstr(b, "command") ? jstr(b, "command") : "");
        db_bind_int64(st, ":s", jint(b, "started_at", 0));
        if (json_is_integer(json_object_get(b, "finished_at"))) {
            db_bind_int64(st, ":f", jint(b, "finished_at", 0));
        }
        db_bind_int64(st, ":a", jint(b, "n_new", 0));
        db_bind_int64(st, ":b", jint(b, "n_changed", 0));
        db_bind_int64(st, ":u", jint(b, "n_unchanged", 0));
        db_bind_int64(st, ":r", jint(b, "n_rejected", 0));
        db_bind_text(st, ":rep", jstr(b, "report"));
        if (db_step_insert(st, id) < 0) {
            return db_fail(im, "batch");
        }
        im->n->batches++;
    } else if (rc < 0) {
        return db_fail(im, "batch");
    }
    return json_object_set_new(b, "local", json_integer(*id)) < 0 ? -1 : 0;
}

/* Sections and their FTS rows (external content: inserted by hand, as
 * ingest does). */
static int
put_sections(struct imp *im, int64_t doc, const json_t *secs)
{
    static const char ins[] =
        "INSERT INTO section(document_id, ord, anchor, title, heading,"
        " body_bytes, body) VALUES (:d, :o, :a, :t, :h, :n, :b)";
    static const char fts[] =
        "INSERT INTO section_fts(rowid, title, heading, body)"
        " VALUES (:id, :t, :h, :b)";
    size_t i;

    for (i = 0; i < json_array_size(secs); i++) {
        const json_t *s = json_array_get(secs, i);
        const char *t = json_string_value(json_array_get(s, 2)),
                   *h = json_string_value(json_array_get(s, 3)),
                   *b = json_string_value(json_array_get(s, 4));
        sqlite3_stmt *st;

        if (!json_is_integer(json_array_get(s, 0)) || t == NULL || h == NULL ||
            b == NULL) {
            pack_error_set(im->err, "a section without its text");
            return -1;
        }
        if ((st = db_stmt(im->w, ins)) == NULL) {
            return db_fail(im, "section");
        }
        db_bind_int64(st, ":d", doc);
        db_bind_int64(st, ":o", json_integer_value(json_array_get(s, 0)));
        db_bind_text(st, ":a", json_string_value(json_array_get(s, 1)));
        db_bind_text(st, ":t", t);
        db_bind_text(st, ":h", h);
        db_bind_int64(st, ":n", (int64_t)strlen(b));
        db_bind_text(st, ":b", b);
        if (db_step_done(st) < 0 || (st = db_stmt(im->w, fts)) == NULL) {
            return db_fail(im, "section");
        }
        db_bind_int64(st, ":id", sqlite3_last_insert_rowid(db_handle(im->w)));
        db_bind_text(st, ":t", t);
        db_bind_text(st, ":h", h);
        db_bind_text(st, ":b", b);
        if (db_step_done(st) < 0) {
            return db_fail(im, "section");
        }
    }
    return 0;
}

/* Links, tags and ranking's signal of a new document. */
static int
put_extras(struct imp *im, int64_t doc, const json_t *rec)
{
    static const char link[] =
        "INSERT OR IGNORE INTO link(document_id, target_url, is_image)"
        " VALUES (:d, :u, :i)";
    static const char sig[] =
        "INSERT INTO doc_signal(document_id, link_share, sketch)"
        " VALUES (:d, :l, :s)";
    const json_t *links = json_object_get(rec, "links"),
                 *tags = json_object_get(rec, "tags"),
                 *signal = json_object_get(rec, "signal");
    sqlite3_stmt *st;
    size_t i;

    for (i = 0; i < json_array_size(links); i++) {
        const json_t *l = json_array_get(links, i);

        if (json_string_value(json_array_get(l, 0)) == NULL ||
            (st = db_stmt(im->w, link)) == NULL) {
            return db_fail(im, "link");
        }
        db_bind_int64(st, ":d", doc);
        db_bind_text(st, ":u", json_string_value(json_array_get(l, 0)));
        db_bind_int64(st, ":i", json_is_true(json_array_get(l, 1)));
        if (db_step_done(st) < 0) {
            return db_fail(im, "link");
        }
    }
    for (i = 0; i < json_array_size(tags); i++) {
        const char *name = json_string_value(json_array_get(tags, i));

        if (name == NULL || document_tag_add(im->w, doc, name) < 0) {
            return db_fail(im, "tag");
        }
    }
    if (json_is_object(signal)) {
        const char *b64 = jstr(signal, "sketch");
        unsigned char *raw = NULL;
        size_t len = 0;
        int rc;

        if (b64 != NULL) {
            raw = kw_malloc(strlen(b64) + 1);
            if (raw == NULL ||
                sodium_base642bin(raw, strlen(b64) + 1, b64, strlen(b64), NULL,
                                  &len, NULL,
                                  sodium_base64_VARIANT_ORIGINAL) != 0) {
                kw_free(raw);
                pack_error_set(im->err, "a document's sketch is not base64");
                return -1;
            }
        }
        st = db_stmt(im->w, sig);
        if (st != NULL) {
            db_bind_int64(st, ":d", doc);
            sqlite3_bind_double(
                st, sqlite3_bind_parameter_index(st, ":l"),
                json_number_value(json_object_get(signal, "link_share")));
            if (raw != NULL) {
                db_bind_blob(st, ":s", raw, len);
            }
        }
        rc = st != NULL ? db_step_done(st) : -1;
        kw_free(raw);
        if (rc < 0) {
            return db_fail(im, "signal");
        }
    }
    return 0;
}

/* 1 when the published document cur is the record's document as it is:
 * the same body, title, language and tags; 0 not; -1 error. */
static int
same_document(struct imp *im, const struct document *cur, const json_t *rec)
{
    json_t *tags;
    int same;

    if (!same_text(cur->body_sha256, jstr(rec, "body_sha256")) ||
        !same_text(cur->title, jstr(rec, "title")) ||
        !same_text(cur->language, jstr(rec, "language"))) {
        return 0;
    }
    tags = tags_json(im->w, cur->id);
    if (tags == NULL) {
        return db_fail(im, "tags");
    }
    same = json_equal(tags, json_object_get(rec, "tags")) ||
           (json_array_size(tags) == 0 &&
            json_array_size(json_object_get(rec, "tags")) == 0);
    json_decref(tags);
    return same;
}

/* The fields of a document record that must be there, and a body that
 * hashes to its body_sha256.  0, or -1 with the reason. */
static int
check_document(struct imp *im, const json_t *rec)
{
    static const char *const need[] = {
        "path",      "title",       "content_type", "body_html",
        "body_text", "orig_sha256", "body_sha256",  "operator"};
    const char *body = jstr(rec, "body_html");
    char hex[65];
    size_t i;

    for (i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
        if (jstr(rec, need[i]) == NULL || jstr(rec, need[i])[0] == '\0') {
            pack_error_set(im->err, "a document record without its %s",
                           need[i]);
            return -1;
        }
    }
    sha256_hex(body, strlen(body), hex);
    if (strcmp(hex, jstr(rec, "body_sha256")) != 0) {
        pack_error_set(im->err,
                       "document %s: its body does not match its sha256",
                       jstr(rec, "path"));
        return -1;
    }
    return 0;
}

/* A published document: nothing when it is here as it is, else a new
 * version published through moderation. */
static int
import_document(struct imp *im, const json_t *rec)
{
    struct document cur, nd = {0};
    struct mod_conflict c;
    const char *path = jstr(rec, "path"), *by = jstr(rec, "decided_by");
    int64_t id, version = 1;
    int rc;

    if (check_document(im, rec) < 0) {
        return -1;
    }
    rc = document_latest(im->w, im->collection, path, DOC_PUBLISHED, &cur);
    if (rc == 1) {
        rc = same_document(im, &cur, rec);
        document_free(&cur);
        if (rc != 0) {
            im->n->unchanged += rc > 0;
            return rc > 0 ? 0 : -1;
        }
    } else if (rc < 0) {
        return db_fail(im, path);
    }
    rc = document_latest(im->w, im->collection, path, NULL, &cur);
    if (rc < 0) {
        return db_fail(im, path);
    }
    if (rc == 1) {
        version = cur.version + 1;
        document_free(&cur);
    }
    nd.collection_id = im->collection;
    nd.path = path;
    nd.version = version;
    nd.title = jstr(rec, "title");
    nd.language = jstr(rec, "language");
    nd.authors = jstr(rec, "authors");
    nd.doc_date = jstr(rec, "doc_date");
    nd.description = jstr(rec, "description");
    nd.canonical_url = jstr(rec, "canonical_url");
    nd.content_type = jstr(rec, "content_type");
    nd.body_html = jstr(rec, "body_html");
    nd.body_text = jstr(rec, "body_text");
    nd.metadata = jstr(rec, "metadata") ? jstr(rec, "metadata") : "{}";
    nd.source_url = jstr(rec, "source_url");
    nd.source_url_norm = jstr(rec, "source_url_norm");
    nd.retrieved_at = jint(rec, "retrieved_at", DOCUMENT_NO_TIME);
    nd.operator_name = jstr(rec, "operator");
    nd.orig_sha256 = jstr(rec, "orig_sha256");
    nd.orig_size = jint(rec, "orig_size", 0);
    nd.body_sha256 = jstr(rec, "body_sha256");
    nd.original_blob = jstr(rec, "original_blob");
    if (local_batch(im, jint(rec, "batch", 0), &nd.batch_id) < 0 ||
        document_insert(im->w, &nd, im->now, &id) < 0) {
        return im->err->msg[0] ? -1 : db_fail(im, path);
    }
    if (put_sections(im, id, json_object_get(rec, "sections")) < 0 ||
        put_extras(im, id, rec) < 0) {
        return -1;
    }
    /* decided_by: the primary's moderator; the audit row: this import. */
    if (by == NULL || by[0] == '\0' || strlen(by) > 64) {
        by = "pack";
    }
    rc = moderation_approve_in_tx(im->w, id, by, im->actor, im->reason, NULL, 0,
                                  &c);
    if (rc != MOD_OK) {
        pack_error_set(im->err, "document %s: cannot publish it: %s", path,
                       rc == MOD_CONFLICT ? c.status : db_errmsg(im->w));
        return -1;
    }
    im->n->documents++;
    return 0;
}

/* A withdrawal: the published document with the same path and body is
 * withdrawn as the moderation form would (its index row dropped, pages
 * linking to it rendered again, an audit row); nothing when there is
 * none. */
static int
import_withdrawal(struct imp *im, const json_t *rec)
{
    struct audit_entry e = {
        .actor = im->actor, .action = "withdraw", .object_type = "document"};
    const char *path = jstr(rec, "path"), *by = jstr(rec, "decided_by"),
               *why = jstr(rec, "reason");
    struct document cur;
    int rc;

    if (path == NULL || jstr(rec, "body_sha256") == NULL) {
        pack_error_set(im->err, "a withdrawal without its path or body hash");
        return -1;
    }
    rc = document_latest(im->w, im->collection, path, DOC_PUBLISHED, &cur);
    if (rc < 0) {
        return db_fail(im, path);
    }
    if (rc == 0 || strcmp(cur.body_sha256, jstr(rec, "body_sha256")) != 0) {
        if (rc == 1) {
            document_free(&cur);
        }
        im->n->skipped++;
        return 0;
    }
    if (by == NULL || by[0] == '\0' || strlen(by) > 64) {
        by = "pack";
    }
    if (why == NULL || why[0] == '\0') {
        why = "withdrawn on the primary";
    }
    e.object_id = cur.id;
    e.reason = why;
    rc = document_decide(im->w, cur.id, DOCUMENT_WITHDRAW, by, why, im->now);
    if (rc != 1 || docindex_drop(im->w, cur.id) < 0 ||
        render_invalidate(im->w, cur.id, cur.source_url_norm) < 0 ||
        audit_append_json(im->w, &e,
                          json_pack("{s:s, s:s, s:s}", "from", DOC_PUBLISHED,
                                    "to", DOC_WITHDRAWN, "pack_key",
                                    pack_signer(im->r))) < 0) {
        document_free(&cur);
        return db_fail(im, path);
    }
    document_free(&cur);
    im->n->withdrawals++;
    return 0;
}

/* An asset: written when missing or different. */
static int
import_asset(struct imp *im, const json_t *rec)
{
    static const char has_blob[] = "SELECT 1 FROM blob WHERE sha256 = :h";
    static const char sel[] =
        "SELECT content_type, blob_sha256, filename, document_id FROM asset"
        " WHERE collection_id = :c AND path = :p";
    static const char ups[] =
        "INSERT INTO asset(collection_id, path, document_id, content_type,"
        " blob_sha256, filename, created_at) VALUES (:c, :p, :d, :t, :h, :f,"
        " :now) ON CONFLICT(collection_id, path) DO UPDATE SET"
        " document_id = excluded.document_id,"
        " content_type = excluded.content_type,"
        " blob_sha256 = excluded.blob_sha256, filename = excluded.filename,"
        " created_at = excluded.created_at";
    const char *path = jstr(rec, "path"), *blob = jstr(rec, "blob"),
               *ctype = jstr(rec, "content_type"),
               *dpath = jstr(rec, "document_path");
    sqlite3_stmt *st;
    int64_t doc = 0;
    int rc, same = 0;

    if (path == NULL || blob == NULL || ctype == NULL) {
        pack_error_set(im->err,
                       "an asset record without its path, type or blob");
        return -1;
    }
    if ((st = db_stmt(im->w, has_blob)) == NULL) {
        return db_fail(im, path);
    }
    db_bind_text(st, ":h", blob);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        pack_error_set(im->err, "asset %s: its blob %s is not in the pack",
                       path, blob);
        return -1;
    }
    if (dpath != NULL) {
        struct document d;

        rc = document_latest(im->w, im->collection, dpath, DOC_PUBLISHED, &d);
        if (rc < 0) {
            return db_fail(im, path);
        }
        if (rc == 1 && same_text(d.body_sha256, jstr(rec, "document_sha256"))) {
            doc = d.id;
        }
        if (rc == 1) {
            document_free(&d);
        }
    }
    if ((st = db_stmt(im->w, sel)) == NULL) {
        return db_fail(im, path);
    }
    db_bind_int64(st, ":c", im->collection);
    db_bind_text(st, ":p", path);
    if (sqlite3_step(st) == SQLITE_ROW) {
        same = same_text((const char *)sqlite3_column_text(st, 0), ctype) &&
               same_text((const char *)sqlite3_column_text(st, 1), blob) &&
               same_text((const char *)sqlite3_column_text(st, 2),
                         jstr(rec, "filename")) &&
               sqlite3_column_int64(st, 3) == doc;
    }
    sqlite3_reset(st);
    if (same) {
        return 0;
    }
    if ((st = db_stmt(im->w, ups)) == NULL) {
        return db_fail(im, path);
    }
    db_bind_int64(st, ":c", im->collection);
    db_bind_text(st, ":p", path);
    if (doc != 0) {
        db_bind_int64(st, ":d", doc);
    }
    db_bind_text(st, ":t", ctype);
    db_bind_text(st, ":h", blob);
    db_bind_text(st, ":f", jstr(rec, "filename"));
    db_bind_int64(st, ":now", im->now);
    if (db_step_done(st) < 0) {
        return db_fail(im, path);
    }
    im->n->assets++;
    return 0;
}

/* One record after the pack record; "end" sets *end. */
static int
import_record(struct imp *im, const json_t *rec, long records, int *end)
{
    const char *type = jstr(rec, "type");
    char key[32];

    if (type == NULL) {
        pack_error_set(im->err, "a record without a type");
        return -1;
    }
    if (strcmp(type, "batch") == 0) {
        snprintf(key, sizeof(key), "%lld", (long long)jint(rec, "id", 0));
        return json_object_set(im->batches, key, (json_t *)rec);
    }
    if (strcmp(type, "blob") == 0) {
        return import_blob(im, rec);
    }
    if (strcmp(type, "document") == 0) {
        return import_document(im, rec);
    }
    if (strcmp(type, "withdrawal") == 0) {
        return import_withdrawal(im, rec);
    }
    if (strcmp(type, "asset") == 0) {
        return import_asset(im, rec);
    }
    if (strcmp(type, "end") == 0) {
        if (jint(rec, "records", -1) != records) {
            pack_error_set(im->err, "the end record counts other records");
            return -1;
        }
        *end = 1;
        return 0;
    }
    pack_error_set(im->err, "unknown record type '%s'", type);
    return -1;
}

/* Read the next JSON record: 1 with *rec (new), 0 at the end, -1. */
static int
next_json(struct imp *im, json_t **rec)
{
    const unsigned char *p;
    json_error_t je;
    size_t n;
    char type;
    int rc = pack_next(im->r, &type, &p, &n, im->err);

    *rec = NULL;
    if (rc <= 0) {
        return rc;
    }
    if (type != 'J') {
        pack_error_set(im->err, "a data record where a JSON record belongs");
        return -1;
    }
    *rec = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(*rec)) {
        json_decref(*rec);
        *rec = NULL;
        pack_error_set(im->err, "a record that is not a JSON object: %s",
                       je.text);
        return -1;
    }
    return 1;
}

/* The changes of this import, or 0 when it changed nothing. */
static long
changes(const struct packdb_counts *n)
{
    return n->documents + n->withdrawals + n->assets + n->blobs + n->batches +
           n->collection;
}

/* Refuse a pack exported before the newest one already imported into
 * the collection (the audit log's pack-import rows say when that was
 * exported): replaying an old pack must not undo a later withdrawal.
 * The same pack again is fine.  0 or -1. */
static int
check_order(struct imp *im, int64_t exported_at)
{
    static const char sql[] =
        "SELECT max(json_extract(detail, '$.exported_at')) FROM audit"
        " WHERE action = 'pack-import' AND object_type = 'collection'"
        " AND object_id = :c";
    sqlite3_stmt *st = db_stmt(im->w, sql);
    int64_t newest = 0;

    if (st == NULL) {
        return db_fail(im, "audit");
    }
    db_bind_int64(st, ":c", im->collection);
    if (db_one_int64(st, &newest) != 1) {
        return db_fail(im, "audit");
    }
    if (exported_at < newest) {
        pack_error_set(
            im->err,
            "this pack (exported at %lld) is older than a pack already "
            "imported (exported at %lld); import newer packs only",
            (long long)exported_at, (long long)newest);
        return -1;
    }
    return 0;
}

/* Every record, then (when something changed) search's impact lists and
 * the audit row.  0 or -1; the caller commits or rolls back. */
static int
import_all(struct imp *im, int64_t *exported_at, json_t **since)
{
    json_t *rec = NULL;
    long records = 0;
    int end = 0, since_stats = 0, rc;

    rc = next_json(im, &rec);
    if (rc <= 0 || !same_text(jstr(rec, "type"), "pack") ||
        jint(rec, "format", 0) != 1) {
        if (rc >= 0) {
            pack_error_set(im->err,
                           "the first record is not a version 1 pack record");
        }
        json_decref(rec);
        return -1;
    }
    *exported_at = jint(rec, "exported_at", 0);
    *since = json_incref(json_object_get(rec, "since"));
    rc = import_collection(im, json_object_get(rec, "collection"));
    json_decref(rec);
    if (rc == 0) {
        rc = check_order(im, *exported_at);
    }
    records++;
    while (rc == 0 && (rc = next_json(im, &rec)) == 1) {
        records++;
        if (end) {
            pack_error_set(im->err, "a record after the end record");
            rc = -1;
        } else if (++since_stats >= PACKDB_STATS_EVERY &&
                   (since_stats = 0, document_stats_refresh(im->w) < 0 ||
                                         docindex_changes_prune(im->w) < 0)) {
            pack_error_set(im->err, "database: %s", db_errmsg(im->w));
            rc = -1;
        } else {
            rc = import_record(im, rec, records, &end);
            if (jstr(rec, "type") != NULL &&
                strcmp(jstr(rec, "type"), "blob") == 0) {
                records++;
            }
        }
        json_decref(rec);
        rec = NULL;
    }
    if (rc < 0) {
        return -1;
    }
    if (!end) {
        pack_error_set(im->err, "the pack has no end record");
        return -1;
    }
    return 0;
}

int
packdb_import(struct db *w, struct pack_reader *r, const char *operator_name,
              struct packdb_counts *n, struct pack_error *err)
{
    struct imp im = {w, r, NULL, "", 0, NULL, 0, n, err};
    struct audit_entry e = {.action = "pack-import",
                            .object_type = "collection"};
    char actor[80];
    json_t *since = NULL, *detail;
    int64_t exported_at = 0;
    int rc = -1;

    memset(n, 0, sizeof(*n));
    err->msg[0] = '\0';
    snprintf(actor, sizeof(actor), "cli:%.64s", operator_name);
    snprintf(im.reason, sizeof(im.reason), "pack import, key %.16s",
             pack_signer(r));
    im.actor = actor;
    im.now = (int64_t)time(NULL);
    im.batches = json_object();
    if (im.batches == NULL) {
        pack_error_set(err, "out of memory");
        return -1;
    }
    if (db_write_begin(w) != SQLITE_OK) {
        pack_error_set(err, "database: %s", db_errmsg(w));
        json_decref(im.batches);
        return -1;
    }
    if (import_all(&im, &exported_at, &since) < 0) {
        goto out;
    }
    if (changes(n) == 0) {
        rc = 0; /* the same pack again: nothing to write, not even audit */
        goto out;
    }
    detail = json_pack(
        "{s:s, s:s, s:I, s:O, s:{s:i, s:i, s:i, s:i, s:i, s:i, s:i}}", "key",
        pack_signer(r), "pack_sha256", pack_sha256(r), "exported_at",
        (json_int_t)exported_at, "since", since != NULL ? since : json_null(),
        "counts", "documents", (int)n->documents, "withdrawals",
        (int)n->withdrawals, "unchanged", (int)n->unchanged, "skipped",
        (int)n->skipped, "assets", (int)n->assets, "blobs", (int)n->blobs,
        "batches", (int)n->batches);
    e.actor = actor;
    e.object_id = im.collection;
    /* Fresh statistics for the planner. */
    if (audit_append_json(w, &e, detail) < 0 || db_analyze(w) != SQLITE_OK) {
        pack_error_set(err, "database: %s", db_errmsg(w));
        goto out;
    }
    json_decref(since);
    json_decref(im.batches);
    if (db_write_commit(w) != SQLITE_OK) {
        pack_error_set(err, "database: commit: %s", db_errmsg(w));
        memset(n, 0, sizeof(*n));
        return -1;
    }
    /* The pack is in; merging what it added to the search indexes, and
     * search's impact lists when it made them stale (as ingest --approve
     * does: in short write transactions), can fail without undoing it
     * (the next writer merges, the next build builds). */
    (void)docindex_tidy(w, 0);
    if (n->documents > 0) {
        struct impact_online o;

        memset(&o, 0, sizeof(o));
        (void)impact_refresh(w, &o);
    }
    return 0;
out:
    db_write_rollback(w);
    json_decref(since);
    json_decref(im.batches);
    if (rc < 0) {
        memset(n, 0, sizeof(*n));
    }
    return rc;
}
