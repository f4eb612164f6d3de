/*
 * store: writes of `kwangmyong ingest`.  Layer: ingest/; depends on lib/
 * (db, document, moderation, search, url, gz).  Callers hold the write
 * transaction.
 */
#include "store.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "document.h"
#include "gz.h"
#include "moderation.h"
#include "search.h"
#include "strbuf.h"
#include "url.h"

/* First non-empty of a, b, c. */
static const char *
pick(const char *a, const char *b, const char *c)
{
    if (a != NULL && a[0] != '\0') {
        return a;
    }
    if (b != NULL && b[0] != '\0') {
        return b;
    }
    return c != NULL && c[0] != '\0' ? c : NULL;
}

int
store_collection(struct db *db, const char *name, const char *title,
                 const char *source_url, const char *language, int64_t *id)
{
    static const char sel[] = "SELECT id FROM collection WHERE name = :n";
    static const char ins[] =
        "INSERT INTO collection(name, title, source_url, language,"
        " created_at, updated_at) VALUES (:n, :t, :s, :l, :now, :now)";
    static const char upd[] =
        "UPDATE collection SET title = coalesce(:t, title),"
        " source_url = coalesce(:s, source_url),"
        " language = coalesce(:l, language), updated_at = :now"
        " WHERE id = :id";
    sqlite3_stmt *st = db_stmt(db, sel);
    int rc;

    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":n", name);
    rc = db_one_int64(st, id);
    if (rc == 1) {
        st = db_stmt(db, upd);
        if (st == NULL) {
            return -1;
        }
        db_bind_text(st, ":t", title);
        db_bind_text(st, ":s", source_url);
        db_bind_text(st, ":l", language);
        db_bind_int64(st, ":now", (int64_t)time(NULL));
        db_bind_int64(st, ":id", *id);
        return db_step_done(st);
    }
    if (rc < 0 || (st = db_stmt(db, ins)) == NULL) {
        return -1;
    }
    db_bind_text(st, ":n", name);
    db_bind_text(st, ":t", title != NULL ? title : name);
    db_bind_text(st, ":s", source_url);
    db_bind_text(st, ":l", language);
    db_bind_int64(st, ":now", (int64_t)time(NULL));
    return db_step_insert(st, id);
}

/* The collection's description, when description is not NULL. */
int
store_collection_describe(struct db *db, int64_t id, const char *description)
{
    static const char upd[] =
        "UPDATE collection SET description = :d WHERE id = :id";
    sqlite3_stmt *st;

    if (description == NULL) {
        return 0;
    }
    st = db_stmt(db, upd);
    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":d", description);
    db_bind_int64(st, ":id", id);
    return db_step_done(st);
}

int
store_alias(struct db *db, int64_t collection_id, const char *path,
            const char *target_path)
{
    static const char ins[] =
        "INSERT INTO alias(collection_id, path, target_path, created_at)"
        " VALUES (:c, :p, :t, :now) ON CONFLICT(collection_id, path)"
        " DO UPDATE SET target_path = excluded.target_path,"
        " created_at = excluded.created_at"
        " WHERE target_path IS NOT excluded.target_path";
    sqlite3_stmt *st = db_stmt(db, ins);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", collection_id);
    db_bind_text(st, ":p", path);
    db_bind_text(st, ":t", target_path);
    db_bind_int64(st, ":now", (int64_t)time(NULL));
    return db_step_done(st);
}

int
store_batch_begin(struct db *db, int64_t collection_id,
                  const char *operator_name, const char *command, int64_t *id)
{
    static const char ins[] =
        "INSERT INTO ingest_batch(collection_id, operator, command,"
        " started_at) VALUES (:c, :o, :cmd, :now)";
    sqlite3_stmt *st = db_stmt(db, ins);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", collection_id);
    db_bind_text(st, ":o", operator_name);
    db_bind_text(st, ":cmd", command);
    db_bind_int64(st, ":now", (int64_t)time(NULL));
    return db_step_insert(st, id);
}

int
store_batch_finish(struct db *db, int64_t id, const int counts[4],
                   const char *report_json)
{
    static const char upd[] =
        "UPDATE ingest_batch SET finished_at = :now, n_new = :a,"
        " n_changed = :b, n_unchanged = :c, n_rejected = :d,"
        " report = :r WHERE id = :id";
    sqlite3_stmt *st = db_stmt(db, upd);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":now", (int64_t)time(NULL));
    db_bind_int64(st, ":a", counts[0]);
    db_bind_int64(st, ":b", counts[1]);
    db_bind_int64(st, ":c", counts[2]);
    db_bind_int64(st, ":d", counts[3]);
    db_bind_text(st, ":r", report_json);
    db_bind_int64(st, ":id", id);
    return db_step_done(st);
}

/* Put bytes in the blob table once; hex gets their sha256. */
static int
put_blob(struct db *db, const unsigned char *data, size_t len, char hex[65])
{
    static const char ins[] =
        "INSERT OR IGNORE INTO blob(sha256, size, data, created_at)"
        " VALUES (:h, :n, :d, :now)";
    sqlite3_stmt *st = db_stmt(db, ins);

    sha256_hex(data, len, hex);
    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":h", hex);
    db_bind_int64(st, ":n", (int64_t)len);
    db_bind_blob(st, ":d", data, len);
    db_bind_int64(st, ":now", (int64_t)time(NULL));
    return db_step_done(st);
}

/* Upsert an asset row; 1 when it changed, 0 when identical, -1. */
static int
put_asset(struct db *db, int64_t collection_id, const char *path,
          int64_t document_id, const char *ctype, const char *hex,
          const char *filename)
{
    static const char sel[] = "SELECT blob_sha256 FROM asset"
                              " WHERE collection_id = :c AND path = :p";
    static const char ups[] =
        "INSERT INTO asset(collection_id, path, document_id, content_type,"
        " blob_sha256, filename, created_at) VALUES (:c, :p, :d, :t, :h, :f,"
        " :now) ON CONFLICT(collection_id, path) DO UPDATE SET"
        " document_id = excluded.document_id,"
        " content_type = excluded.content_type,"
        " blob_sha256 = excluded.blob_sha256, filename = excluded.filename";
    sqlite3_stmt *st = db_stmt(db, sel);
    int same = 0;

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", collection_id);
    db_bind_text(st, ":p", path);
    if (sqlite3_step(st) == SQLITE_ROW) {
        same = strcmp((const char *)sqlite3_column_text(st, 0), hex) == 0;
    }
    sqlite3_reset(st);
    if (same && document_id == 0) {
        return 0;
    }
    st = db_stmt(db, ups);
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", collection_id);
    db_bind_text(st, ":p", path);
    if (document_id != 0) {
        db_bind_int64(st, ":d", document_id);
    } else {
        db_bind_null(st, ":d");
    }
    db_bind_text(st, ":t", ctype);
    db_bind_text(st, ":h", hex);
    db_bind_text(st, ":f", filename);
    db_bind_int64(st, ":now", (int64_t)time(NULL));
    return db_step_done(st) == 0 ? !same : -1;
}

int
store_asset(struct db *db, int64_t collection_id, const char *path,
            const char *content_type, const unsigned char *data, size_t len)
{
    char hex[65];

    if (put_blob(db, data, len, hex) < 0) {
        return -1;
    }
    return put_asset(db, collection_id, path, 0, content_type, hex, NULL);
}

/* One row of section and its FTS row: ord, the section's anchor and
 * heading, n bytes of body text at body. */
static int
put_chunk(struct db *db, int64_t doc, int64_t ord, const char *anchor,
          const char *title, const char *heading, const char *body, size_t n)
{
    static const char ins[] =
        "INSERT INTO section(document_id, ord, anchor, title, heading,"
        " body_bytes, body) VALUES (:d, :o, :a, :t, :h, :n, :b)";
    static const char fts[] =
        "INSERT INTO section_fts(rowid, title, heading, body)"
        " VALUES (:id, :t, :h, :b)";
    sqlite3_stmt *st = db_stmt(db, ins);
    int64_t sid;

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":d", doc);
    db_bind_int64(st, ":o", ord);
    db_bind_text(st, ":a", anchor);
    db_bind_text(st, ":t", title);
    db_bind_text(st, ":h", heading);
    db_bind_int64(st, ":n", (int64_t)n);
    db_bind_textn(st, ":b", body, n);
    if (db_step_insert(st, &sid) < 0 || (st = db_stmt(db, fts)) == NULL) {
        return -1;
    }
    db_bind_int64(st, ":id", sid);
    db_bind_text(st, ":t", title);
    db_bind_text(st, ":h", heading);
    db_bind_textn(st, ":b", body, n);
    return db_step_done(st);
}

/* Sections and their FTS rows; the first carries the document title.  A
 * long section is stored as chunks of at most SEARCH_CHUNK_BYTES (see
 * search.h), each with the section's anchor and heading. */
static int
put_sections(struct db *db, int64_t doc, const char *title,
             const struct converted *r)
{
    size_t i, n = r->nsections, len, k;
    int64_t ord = 0;

    for (i = 0; i < (n > 0 ? n : 1); i++) {
        const struct converted_section *s = n > 0 ? &r->sections[i] : NULL;
        const char *anchor = s != NULL ? s->anchor : NULL;
        const char *heading = s != NULL ? s->heading : NULL;
        const char *body = s != NULL ? s->text : NULL;

        if (heading == NULL) {
            heading = "";
        }
        if (body == NULL) {
            body = "";
        }
        len = strlen(body);
        do {
            k = search_chunk_len(body, len);
            if (put_chunk(db, doc, ord, anchor, ord == 0 ? title : "", heading,
                          body, k) < 0) {
                return -1;
            }
            ord++;
            body += k;
            len -= k;
        } while (len > 0);
    }
    return 0;
}

/* Every link, by normalised absolute URL (fragment dropped). */
static int
put_links(struct db *db, int64_t doc, const struct converted *r)
{
    static const char ins[] =
        "INSERT OR IGNORE INTO link(document_id, target_url, is_image)"
        " VALUES (:d, :u, :i)";
    struct strbuf norm = STRBUF_INIT;
    size_t i;
    int rc = 0;

    for (i = 0; i < r->nlinks && rc == 0; i++) {
        const char *u = r->links[i].url;
        sqlite3_stmt *st;

        strbuf_reset(&norm);
        if (u == NULL || url_normalize(u, &norm, NULL) < 0) {
            continue; /* mailto: and the like are not bound */
        }
        st = db_stmt(db, ins);
        if (st == NULL) {
            rc = -1;
            break;
        }
        db_bind_int64(st, ":d", doc);
        db_bind_text(st, ":u", strbuf_peek(&norm));
        db_bind_int64(st, ":i", r->links[i].is_image != 0);
        rc = db_step_done(st);
    }
    strbuf_free(&norm);
    return rc;
}

static int
put_tags(struct db *db, int64_t doc, const struct manifest_entry *m)
{
    size_t i;

    for (i = 0; m != NULL && i < m->ntags; i++) {
        if (document_tag_add(db, doc, m->tags[i]) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Publish pending document `doc` for --approve: the moderation form's
 * approve (see moderation.h), decided by the operator, audited as
 * "cli:OPERATOR", in this transaction.  0, or -1 with err filled. */
static int
publish(struct db *db, const struct store_doc *d, int64_t doc, char *err,
        size_t errlen)
{
    struct mod_conflict c;
    char actor[128];
    int rc;

    snprintf(actor, sizeof(actor), "cli:%s", d->operator_name);
    rc = moderation_approve_in_tx(db, doc, d->operator_name, actor,
                                  "ingest --approve", NULL, 0, &c);
    switch (rc) {
    case MOD_OK:
        return 0;
    case MOD_BAD_REQUEST:
        snprintf(err, errlen, "--approve: operator name not 1-64 bytes");
        break;
    case MOD_CONFLICT:
        snprintf(err, errlen, "--approve: document %lld is %s, not pending",
                 (long long)doc, c.status);
        break;
    case MOD_NOT_FOUND:
        snprintf(err, errlen, "--approve: document %lld not found",
                 (long long)doc);
        break;
    default:
        snprintf(err, errlen, "database: %s", db_errmsg(db));
        break;
    }
    return -1;
}

/* What ranking reads of the document beside the index (doc_signal:
 * lib/rank.h, "Hubs" and "Duplicates").  0 or -1. */
static int
put_signal(struct db *db, int64_t doc, const char *html, const char *text)
{
    static const char sql[] =
        "INSERT INTO doc_signal(document_id, link_share, sketch)"
        " VALUES (:d, coalesce(link_share(:h), 0), text_sketch(:t))";
    sqlite3_stmt *st = db_stmt(db, sql);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":d", doc);
    db_bind_text(st, ":h", html);
    db_bind_text(st, ":t", text);
    return db_step_done(st);
}

int
store_document(struct db *db, const struct store_doc *d, int64_t *id, char *err,
               size_t errlen)
{
    const struct manifest_entry *m = d->meta;
    const struct converted *r = d->result;
    json_t *meta;
    const char *base;
    struct strbuf snorm = STRBUF_INIT;
    struct document last, nd = {0};
    int64_t doc, now;
    char blobhex[65], *metatext = NULL;
    int rc, outcome = STORE_NEW;

    *id = 0;
    rc = document_latest(db, d->collection_id, d->rel, NULL, &last);
    if (rc < 0) {
        goto sqlfail;
    }
    nd.version = 1;
    if (rc == 1) {
        int same = strcmp(last.orig_sha256, r->orig_sha256) == 0;

        nd.version = last.version + 1;
        if (same && strcmp(last.status, DOC_REJECTED) != 0 &&
            strcmp(last.status, DOC_WITHDRAWN) != 0) {
            int pending = strcmp(last.status, DOC_PENDING) == 0;

            *id = last.id;
            document_free(&last);
            /* Same bytes: nothing to write, unless --approve publishes a
             * version that was waiting. */
            if (pending && d->approve && publish(db, d, *id, err, errlen) < 0) {
                goto fail;
            }
            return STORE_UNCHANGED;
        }
        document_free(&last);
        outcome = STORE_CHANGED;
    }

    base = url_doc_name(d->rel);
    nd.collection_id = d->collection_id;
    nd.path = d->rel;
    nd.title = pick(m ? m->title : NULL, r->title, base);
    nd.language = pick(m ? m->language : NULL, r->language,
                       pick(d->default_language, r->language_guess, NULL));
    nd.source_url = d->source_url;
    if (url_normalize(nd.source_url != NULL ? nd.source_url : d->doc_url,
                      &snorm, NULL) < 0) {
        strbuf_reset(&snorm);
    }
    nd.source_url_norm = snorm.len > 0 ? strbuf_peek(&snorm) : NULL;
    meta = json_object();
    json_object_set_new(meta, "format", json_string(r->format));
    if (m != NULL && m->license != NULL) {
        json_object_set_new(meta, "license", json_string(m->license));
    }
    if (m != NULL && m->abstract != NULL) {
        json_object_set_new(meta, "abstract", json_string(m->abstract));
    }
    metatext = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(meta);
    if (r->raw != NULL && put_blob(db, r->raw, r->raw_len, blobhex) < 0) {
        goto sqlfail;
    }
    nd.authors = pick(m ? m->authors : NULL, r->authors, NULL);
    nd.doc_date = r->date;
    nd.description = pick(m ? m->abstract : NULL, r->description, NULL);
    nd.canonical_url = r->canonical;
    nd.content_type = r->content_type;
    nd.body_html = r->body_html;
    nd.body_text = r->text;
    nd.metadata = metatext != NULL ? metatext : "{}";
    nd.retrieved_at = m != NULL && m->retrieved_at >= 0 ? m->retrieved_at
                      : d->retrieved_at >= 0            ? d->retrieved_at
                                                        : DOCUMENT_NO_TIME;
    nd.batch_id = d->batch_id;
    nd.operator_name = d->operator_name;
    nd.orig_sha256 = r->orig_sha256;
    nd.orig_size = r->orig_size;
    nd.body_sha256 = r->body_sha256;
    nd.original_blob = r->raw != NULL ? blobhex : NULL;
    now = (int64_t)time(NULL);
    if (document_insert(db, &nd, now, &doc) < 0) {
        goto sqlfail;
    }
    if (put_signal(db, doc, nd.body_html, nd.body_text) < 0 ||
        put_sections(db, doc, nd.title, r) < 0 || put_links(db, doc, r) < 0 ||
        put_tags(db, doc, m) < 0 ||
        (!d->approve &&
         document_supersede(db, d->collection_id, d->rel, doc, 0, now) < 0)) {
        goto sqlfail;
    }
    if (d->approve && publish(db, d, doc, err, errlen) < 0) {
        goto fail;
    }
    if (r->raw != NULL && put_asset(db, d->collection_id, d->rel, doc,
                                    nd.content_type, blobhex, base) < 0) {
        goto sqlfail;
    }
    *id = doc;
    strbuf_free(&snorm);
    free(metatext);
    return outcome;
sqlfail:
    snprintf(err, errlen, "database: %s", db_errmsg(db));
fail:
    strbuf_free(&snorm);
    free(metatext);
    return STORE_FAILED;
}
