/*
 * moderation: approve, reject, withdraw, restore and edit documents, each
 * a conditional update in one write transaction with its audit row; bulk
 * forms over ids and ingest batches.  Approve is implemented once, in
 * moderation_approve_in_tx(), for the web form and for ingest --approve.
 * Layer: lib/; depends on db, audit, render, query, alloc and jansson;
 * never on microhttpd.h; never prints.
 */
#include "moderation.h"

#include <assert.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "audit.h"
#include "docindex.h"
#include "query.h"
#include "render.h"
#include "strbuf.h"

enum mod_act { ACT_APPROVE, ACT_REJECT, ACT_WITHDRAW, ACT_RESTORE };

/* What a document looked like when the transaction began. */
struct doc_row {
    int64_t collection;
    char *path;     /* new */
    char *url_norm; /* new, or NULL */
    char status[16];
    char by[65];
    int64_t at;
};

static void
doc_row_free(struct doc_row *d)
{
    kw_free(d->path);
    kw_free(d->url_norm);
    d->path = d->url_norm = NULL;
}

void
moderation_conflict_text(const struct mod_conflict *c, char *buf, size_t n)
{
    char when[32] = "an unknown time";
    time_t t = (time_t)c->at;
    struct tm tm;

    if (c->at > 0 && gmtime_r(&t, &tm) != NULL) {
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    }
    snprintf(buf, n, "already decided by %s at %s (now %s)",
             c->by[0] != '\0' ? c->by : "nobody", when, c->status);
}

static int
step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Read the document in the open transaction.  1 found, 0 not, -1. */
static int
doc_read(struct db *w, int64_t doc, struct doc_row *d)
{
    static const char sql[] =
        "SELECT collection_id, path, source_url_norm, status, decided_by,"
        " decided_at FROM document WHERE id = :id";
    sqlite3_stmt *st = db_stmt(w, sql);
    int rc;

    memset(d, 0, sizeof(*d));
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":id", doc);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 3);
        const char *by = (const char *)sqlite3_column_text(st, 4);

        d->collection = sqlite3_column_int64(st, 0);
        d->path = db_column_dup(st, 1);
        d->url_norm = db_column_dup(st, 2);
        snprintf(d->status, sizeof(d->status), "%s", s != NULL ? s : "");
        snprintf(d->by, sizeof(d->by), "%s", by != NULL ? by : "");
        d->at = sqlite3_column_int64(st, 5);
        if (d->path == NULL || (d->url_norm == NULL &&
                                sqlite3_column_type(st, 2) != SQLITE_NULL)) {
            rc = SQLITE_NOMEM;
        }
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) {
        return 1;
    }
    doc_row_free(d);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void
conflict_fill(struct mod_conflict *c, const struct doc_row *d)
{
    if (c == NULL) {
        return;
    }
    snprintf(c->by, sizeof(c->by), "%s", d->by);
    c->at = d->at;
    snprintf(c->status, sizeof(c->status), "%s", d->status);
}

/* Does the act apply to a document in status s? */
static int
act_applies(enum mod_act a, const char *s)
{
    switch (a) {
    case ACT_APPROVE:
    case ACT_REJECT:
        return strcmp(s, "pending") == 0;
    case ACT_WITHDRAW:
        return strcmp(s, "published") == 0;
    case ACT_RESTORE:
        return strcmp(s, "withdrawn") == 0 || strcmp(s, "rejected") == 0;
    }
    return 0;
}

/* Supersede the other live versions of the same collection and path
 * before this one is published (the unique index allows one published).
 * Their ids are appended to `gone` (for the audit detail); a published one
 * loses its stored renditions.  0 or -1. */
static int
supersede(struct db *w, int64_t doc, const struct doc_row *d, json_t *gone,
          int64_t now)
{
    static const char sel[] =
        "SELECT id, status FROM document WHERE collection_id = :c"
        " AND path = :p AND id <> :id"
        " AND status IN ('pending', 'published') ORDER BY id";
    static const char upd[] =
        "UPDATE document SET status = 'superseded', updated_at = :now"
        " WHERE collection_id = :c AND path = :p AND id <> :id"
        " AND status IN ('pending', 'published')";
    sqlite3_stmt *st = db_stmt(w, sel);
    int64_t published = 0;
    int rc;

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":c", d->collection);
    db_bind_text(st, ":p", d->path);
    db_bind_int64(st, ":id", doc);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);

        if (strcmp((const char *)sqlite3_column_text(st, 1), "published") ==
            0) {
            published = id;
        }
        if (json_array_append_new(gone, json_integer(id)) < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        return -1;
    }
    st = db_stmt(w, upd);
    if (st == NULL) {
        return -1;
    }
    /* The published version leaves the document index before its status
     * changes (docindex.h). */
    if (published != 0 && docindex_drop(w, published) < 0) {
        return -1;
    }
    db_bind_int64(st, ":c", d->collection);
    db_bind_text(st, ":p", d->path);
    db_bind_int64(st, ":id", doc);
    db_bind_int64(st, ":now", now);
    if (step_done(st) < 0) {
        return -1;
    }
    return published != 0 ? render_invalidate(w, published, NULL) : 0;
}

/* An open acquisition request for the document's URL is now fulfilled.
 * Number of requests fulfilled (0 or 1), or -1. */
static int
fulfil_requests(struct db *w, int64_t doc, const char *url_norm)
{
    static const char sql[] =
        "UPDATE acquisition_request SET status = 'fulfilled',"
        " document_id = :d WHERE url_norm = :u AND status = 'open'";
    sqlite3_stmt *st;

    if (url_norm == NULL) {
        return 0;
    }
    st = db_stmt(w, sql);
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":d", doc);
    db_bind_text(st, ":u", url_norm);
    if (step_done(st) < 0) {
        return -1;
    }
    return sqlite3_changes(db_handle(w));
}

/* The guarded state change: 1 changed, 0 the status was not the expected
 * one (someone else decided first), -1 error. */
static int
act_update(struct db *w, enum mod_act a, int64_t doc, const char *actor,
           const char *reason, int64_t now)
{
    static const char approve[] =
        "UPDATE document SET status = 'published', decided_at = :now,"
        " decided_by = :who, reason = NULL, published_at = :now,"
        " updated_at = :now WHERE id = :id AND status = 'pending'";
    static const char reject[] =
        "UPDATE document SET status = 'rejected', decided_at = :now,"
        " decided_by = :who, reason = :why, updated_at = :now"
        " WHERE id = :id AND status = 'pending'";
    static const char withdraw[] =
        "UPDATE document SET status = 'withdrawn', decided_at = :now,"
        " decided_by = :who, reason = :why, updated_at = :now"
        " WHERE id = :id AND status = 'published'";
    static const char restore[] =
        "UPDATE document SET status = 'pending', decided_at = :now,"
        " decided_by = :who, reason = :why, updated_at = :now"
        " WHERE id = :id AND status IN ('withdrawn', 'rejected')";
    const char *sql = a == ACT_APPROVE    ? approve
                      : a == ACT_REJECT   ? reject
                      : a == ACT_WITHDRAW ? withdraw
                                          : restore;
    sqlite3_stmt *st = db_stmt(w, sql);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":now", now);
    db_bind_text(st, ":who", actor);
    db_bind_int64(st, ":id", doc);
    if (a != ACT_APPROVE) {
        db_bind_text(st, ":why", reason);
    }
    if (step_done(st) < 0) {
        return -1;
    }
    return sqlite3_changes(db_handle(w)) == 1;
}

static const char *const act_names[] = {"approve", "reject", "withdraw",
                                        "restore"};
static const char *const act_targets[] = {"published", "rejected", "withdrawn",
                                          "pending"};

/* Empty, blank-only or too long reasons are refused where one is needed. */
static int
reason_ok(const char *reason, int required)
{
    size_t i, n;

    if (reason == NULL) {
        return !required;
    }
    n = strlen(reason);
    if (n > MODERATION_REASON_MAX) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (reason[i] != ' ' && reason[i] != '\t' && reason[i] != '\n' &&
            reason[i] != '\r') {
            return 1;
        }
    }
    return !required;
}

static int
actor_ok(const char *actor)
{
    return actor != NULL && actor[0] != '\0' && strlen(actor) <= 64;
}

/* One act inside the caller's write transaction: read, check, guarded
 * update, side effects, audit row.  actor: decided_by; who: the audit
 * row's actor; reason: the document's and the audit row's (approve: the
 * audit row's only); batch: the ingest batch being approved as a whole,
 * or 0.  Arguments are already validated.  Returns an enum mod_result; on
 * anything but MOD_OK the caller rolls back. */
static int
act_tx(struct db *w, enum mod_act a, int64_t doc, const char *actor,
       const char *who, const char *reason, const char *client,
       struct mod_conflict *c, int64_t batch)
{
    struct doc_row d;
    struct audit_entry e = {.actor = who,
                            .action = act_names[a],
                            .object_type = "document",
                            .object_id = doc,
                            .reason = reason,
                            .client = client};
    json_t *detail = NULL, *gone = NULL;
    int64_t now = (int64_t)time(NULL);
    int rc, res = MOD_DB_ERROR;

    rc = doc_read(w, doc, &d);
    if (rc <= 0) {
        return rc == 0 ? MOD_NOT_FOUND : MOD_DB_ERROR;
    }
    if (!act_applies(a, d.status)) {
        conflict_fill(c, &d);
        res = MOD_CONFLICT;
        goto out;
    }
    detail = json_pack("{s:s, s:s}", "from", d.status, "to", act_targets[a]);
    gone = json_array();
    if (detail == NULL || gone == NULL) {
        goto out;
    }
    if (a == ACT_APPROVE && supersede(w, doc, &d, gone, now) < 0) {
        goto out;
    }
    /* The guard: under BEGIN IMMEDIATE the read above is current, and the
     * WHERE status = expected makes a second decision impossible even if
     * that ever changed. */
    rc = act_update(w, a, doc, actor, reason, now);
    if (rc <= 0) {
        if (rc == 0) {
            doc_row_free(&d);
            if (doc_read(w, doc, &d) == 1) {
                conflict_fill(c, &d);
                res = MOD_CONFLICT;
            }
        }
        goto out;
    }
    /* The document index holds the published documents (docindex.h). */
    if ((a == ACT_APPROVE && docindex_put(w, doc) < 0) ||
        (a == ACT_WITHDRAW && docindex_drop(w, doc) < 0)) {
        goto out;
    }
    if (a == ACT_APPROVE || a == ACT_WITHDRAW) {
        /* Pages linking to this URL bind to it now, or stop binding. */
        if (render_invalidate(w, doc, d.url_norm) < 0) {
            goto out;
        }
    }
    if (a == ACT_APPROVE) {
        int n = fulfil_requests(w, doc, d.url_norm);

        if (n < 0 || json_object_set_new(detail, "fulfilled_requests",
                                         json_integer(n)) < 0) {
            goto out;
        }
        if (json_array_size(gone) > 0 &&
            json_object_set(detail, "superseded", gone) < 0) {
            goto out;
        }
    }
    if (batch != 0 &&
        json_object_set_new(detail, "batch", json_integer(batch)) < 0) {
        goto out;
    }
    rc = audit_append_json(w, &e, detail) < 0 ? -1 : 0;
    detail = NULL;
    res = rc < 0 ? MOD_DB_ERROR : MOD_OK;
out:
    json_decref(detail);
    json_decref(gone);
    doc_row_free(&d);
    return res;
}

int
moderation_approve_in_tx(struct db *w, int64_t doc, const char *actor,
                         const char *audit_actor, const char *reason,
                         const char *client, int64_t batch,
                         struct mod_conflict *c)
{
    /* The caller's transaction, never one of our own. */
    assert(!sqlite3_get_autocommit(db_handle(w)));
    if (!actor_ok(actor) || (audit_actor != NULL && audit_actor[0] == '\0') ||
        !reason_ok(reason, 0)) {
        return MOD_BAD_REQUEST;
    }
    if (reason != NULL && !reason_ok(reason, 1)) {
        reason = NULL; /* a blank optional reason is none */
    }
    return act_tx(w, ACT_APPROVE, doc, actor,
                  audit_actor != NULL ? audit_actor : actor, reason, client, c,
                  batch);
}

/* One act in its own write transaction.  batch: the ingest batch being
 * approved as a whole, or 0. */
static int
act(struct db *w, enum mod_act a, int64_t doc, const char *actor,
    const char *reason, const char *client, struct mod_conflict *c,
    int64_t batch)
{
    int res;

    if (!actor_ok(actor) ||
        !reason_ok(reason, a == ACT_REJECT || a == ACT_WITHDRAW)) {
        return MOD_BAD_REQUEST;
    }
    if (reason != NULL && !reason_ok(reason, 1)) {
        reason = NULL; /* a blank optional reason is none */
    }
    if (db_write_begin(w) != SQLITE_OK) {
        return MOD_DB_ERROR;
    }
    res = a == ACT_APPROVE
              ? moderation_approve_in_tx(w, doc, actor, NULL, reason, client,
                                         batch, c)
              : act_tx(w, a, doc, actor, actor, reason, client, c, batch);
    if (res != MOD_OK) {
        db_write_rollback(w);
        return res;
    }
    return db_write_commit(w) == SQLITE_OK ? MOD_OK : MOD_DB_ERROR;
}

int
moderation_approve(struct db *w, int64_t doc, const char *actor,
                   const char *client, struct mod_conflict *c)
{
    return act(w, ACT_APPROVE, doc, actor, NULL, client, c, 0);
}

int
moderation_reject(struct db *w, int64_t doc, const char *actor,
                  const char *reason, const char *client,
                  struct mod_conflict *c)
{
    return act(w, ACT_REJECT, doc, actor, reason, client, c, 0);
}

int
moderation_withdraw(struct db *w, int64_t doc, const char *actor,
                    const char *reason, const char *client,
                    struct mod_conflict *c)
{
    return act(w, ACT_WITHDRAW, doc, actor, reason, client, c, 0);
}

int
moderation_restore(struct db *w, int64_t doc, const char *actor,
                   const char *reason, const char *client,
                   struct mod_conflict *c)
{
    return act(w, ACT_RESTORE, doc, actor, reason, client, c, 0);
}

size_t
moderation_approve_many(struct db *w, const int64_t *ids, size_t n,
                        const char *actor, const char *client, int *results,
                        struct mod_conflict *conflicts)
{
    size_t i, ok = 0;

    for (i = 0; i < n; i++) {
        results[i] = act(w, ACT_APPROVE, ids[i], actor, NULL, client,
                         conflicts != NULL ? &conflicts[i] : NULL, 0);
        ok += results[i] == MOD_OK;
    }
    return ok;
}

size_t
moderation_reject_many(struct db *w, const int64_t *ids, size_t n,
                       const char *actor, const char *reason,
                       const char *client, int *results,
                       struct mod_conflict *conflicts)
{
    size_t i, ok = 0;

    for (i = 0; i < n; i++) {
        results[i] = act(w, ACT_REJECT, ids[i], actor, reason, client,
                         conflicts != NULL ? &conflicts[i] : NULL, 0);
        ok += results[i] == MOD_OK;
    }
    return ok;
}

/* The pending documents of a batch, in id order: a new array in *ids.
 * MOD_OK, MOD_NOT_FOUND or MOD_DB_ERROR. */
static int
batch_pending(struct db *w, int64_t batch, int64_t **ids, size_t *n)
{
    static const char has[] = "SELECT 1 FROM ingest_batch WHERE id = :b";
    static const char sel[] = "SELECT id FROM document WHERE batch_id = :b"
                              " AND status = 'pending' ORDER BY id";
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc, res = MOD_DB_ERROR;

    *ids = NULL;
    *n = 0;
    /* Reads on the writer happen inside its lock, like everything else. */
    if (db_write_begin(w) != SQLITE_OK) {
        return MOD_DB_ERROR;
    }
    st = db_stmt(w, has);
    if (st == NULL) {
        goto out;
    }
    db_bind_int64(st, ":b", batch);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        res = rc == SQLITE_DONE ? MOD_NOT_FOUND : MOD_DB_ERROR;
        goto out;
    }
    st = db_stmt(w, sel);
    if (st == NULL) {
        goto out;
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
    res = rc == SQLITE_DONE ? MOD_OK : MOD_DB_ERROR;
out:
    db_write_rollback(w);
    if (res != MOD_OK) {
        kw_free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return res;
}

int
moderation_approve_batch(struct db *w, int64_t batch, const char *actor,
                         const char *client, int *approved, int *skipped)
{
    int64_t *ids;
    size_t i, n;
    int res;

    *approved = *skipped = 0;
    if (!actor_ok(actor)) {
        return MOD_BAD_REQUEST;
    }
    res = batch_pending(w, batch, &ids, &n);
    for (i = 0; res == MOD_OK && i < n; i++) {
        int r = act(w, ACT_APPROVE, ids[i], actor, NULL, client, NULL, batch);

        if (r == MOD_OK) {
            (*approved)++;
        } else if (r == MOD_CONFLICT || r == MOD_NOT_FOUND) {
            (*skipped)++; /* superseded or decided meanwhile */
        } else {
            res = r;
        }
    }
    kw_free(ids);
    return res;
}

/* ---- metadata ---- */

static int
text_clean(const char *s, size_t max)
{
    size_t i;
    int visible = 0;

    for (i = 0; s[i] != '\0'; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (i >= max || ch < 0x20 || ch == 0x7f) {
            return 0;
        }
        visible |= ch != ' ';
    }
    return visible;
}

/* BCP 47-like: 2-8 letters, then -subtags of 1-8 letters or digits. */
static int
language_ok(const char *s)
{
    size_t i, run = 0, n = strlen(s);
    int first = 1;

    if (n > MODERATION_LANGUAGE_MAX) {
        return 0;
    }
    for (i = 0; i <= n; i++) {
        char ch = s[i];

        if (ch == '-' || ch == '\0') {
            if (run < (first ? 2u : 1u) || run > 8) {
                return 0;
            }
            first = 0;
            run = 0;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (!first && ch >= '0' && ch <= '9'))) {
            return 0;
        }
        run++;
    }
    return 1;
}

/* The document's tags as a sorted JSON array (new), or NULL. */
static json_t *
tags_get(struct db *w, int64_t doc)
{
    static const char sql[] =
        "SELECT t.name FROM document_tag dt JOIN tag t ON t.id = dt.tag_id"
        " WHERE dt.document_id = :d ORDER BY t.name";
    sqlite3_stmt *st = db_stmt(w, sql);
    json_t *a = json_array();
    int rc;

    if (st == NULL || a == NULL) {
        json_decref(a);
        return NULL;
    }
    db_bind_int64(st, ":d", doc);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (json_array_append_new(
                a, json_string((const char *)sqlite3_column_text(st, 0))) < 0) {
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

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The requested tags, sorted, without duplicates: a new JSON array, or
 * NULL when one is invalid or memory ran out (*bad set for the former). */
static json_t *
tags_wanted(const char *const *tags, size_t ntags, int *bad)
{
    const char **v;
    json_t *a;
    size_t i;

    *bad = 0;
    if (ntags > MODERATION_TAGS_MAX) {
        *bad = 1;
        return NULL;
    }
    for (i = 0; i < ntags; i++) {
        if (tags[i] == NULL || !text_clean(tags[i], MODERATION_TAG_MAX)) {
            *bad = 1;
            return NULL;
        }
    }
    a = json_array();
    v = kw_malloc((ntags + 1) * sizeof(*v));
    if (a == NULL || v == NULL) {
        json_decref(a);
        kw_free(v);
        return NULL;
    }
    memcpy(v, tags, ntags * sizeof(*v));
    qsort(v, ntags, sizeof(*v), cmp_str);
    for (i = 0; i < ntags; i++) {
        if (i > 0 && strcmp(v[i], v[i - 1]) == 0) {
            continue;
        }
        if (json_array_append_new(a, json_string(v[i])) < 0) {
            json_decref(a);
            a = NULL;
            break;
        }
    }
    kw_free(v);
    return a;
}

static int
tags_put(struct db *w, int64_t doc, json_t *tags)
{
    static const char del[] = "DELETE FROM document_tag"
                              " WHERE document_id = :d";
    static const char tag[] = "INSERT INTO tag(name) VALUES (:n)"
                              " ON CONFLICT(name) DO UPDATE SET name = name"
                              " RETURNING id";
    static const char link[] = "INSERT INTO document_tag(document_id, tag_id)"
                               " VALUES (:d, :t)";
    sqlite3_stmt *st = db_stmt(w, del);
    size_t i;

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":d", doc);
    if (step_done(st) < 0) {
        return -1;
    }
    for (i = 0; i < json_array_size(tags); i++) {
        int64_t tid;
        int rc;

        st = db_stmt(w, tag);
        if (st == NULL) {
            return -1;
        }
        db_bind_text(st, ":n", json_string_value(json_array_get(tags, i)));
        rc = sqlite3_step(st);
        tid = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        if (rc != SQLITE_ROW) {
            return -1;
        }
        st = db_stmt(w, link);
        if (st == NULL) {
            return -1;
        }
        db_bind_int64(st, ":d", doc);
        db_bind_int64(st, ":t", tid);
        if (step_done(st) < 0) {
            return -1;
        }
    }
    return 0;
}

static int title_put_text(struct db *w, int64_t doc, const char *title,
                          int64_t now);

/* New title: the text (title_put_text) and, for a document in the
 * document index (a published one), its row there, dropped with the old
 * title and put back with the new (docindex.h). */
static int
title_put(struct db *w, int64_t doc, const char *title, int64_t now)
{
    int dropped = docindex_drop(w, doc);

    if (dropped < 0 || title_put_text(w, doc, title, now) < 0 ||
        (dropped && docindex_put(w, doc) < 0)) {
        return -1;
    }
    return 0;
}

/* New title: document.title and title_norm, section 0 and its FTS row
 * (external content, no triggers: delete the old values, insert the new). */
static int
title_put_text(struct db *w, int64_t doc, const char *title, int64_t now)
{
    static const char upd[] =
        "UPDATE document SET title = :t, title_norm = :tn, updated_at = :now"
        " WHERE id = :id";
    static const char sec[] = "SELECT id, title, heading, body FROM section"
                              " WHERE document_id = :d AND ord = 0";
    static const char fts_del[] =
        "INSERT INTO section_fts(section_fts, rowid, title, heading, body)"
        " VALUES ('delete', :id, :t, :h, :b)";
    static const char sec_upd[] = "UPDATE section SET title = :t"
                                  " WHERE id = :id";
    static const char fts_ins[] =
        "INSERT INTO section_fts(rowid, title, heading, body)"
        " VALUES (:id, :t, :h, :b)";
    struct strbuf norm = STRBUF_INIT;
    char *old = NULL, *heading = NULL, *body = NULL;
    sqlite3_stmt *st;
    int64_t sid = 0;
    int rc = -1;

    if (query_normalize_title(title, strlen(title), &norm) < 0) {
        goto out;
    }
    st = db_stmt(w, upd);
    if (st == NULL) {
        goto out;
    }
    db_bind_text(st, ":t", title);
    db_bind_text(st, ":tn", strbuf_peek(&norm));
    db_bind_int64(st, ":now", now);
    db_bind_int64(st, ":id", doc);
    if (step_done(st) < 0) {
        goto out;
    }
    st = db_stmt(w, sec);
    if (st == NULL) {
        goto out;
    }
    db_bind_int64(st, ":d", doc);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        sid = sqlite3_column_int64(st, 0);
        old = db_column_dup(st, 1);
        heading = db_column_dup(st, 2);
        body = db_column_dup(st, 3);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
        rc = 0; /* no sections: nothing indexed */
        goto out;
    }
    rc = -1;
    if (sid == 0 || old == NULL || heading == NULL || body == NULL) {
        goto out;
    }
    st = db_stmt(w, fts_del);
    if (st == NULL) {
        goto out;
    }
    db_bind_int64(st, ":id", sid);
    db_bind_text(st, ":t", old);
    db_bind_text(st, ":h", heading);
    db_bind_text(st, ":b", body);
    if (step_done(st) < 0) {
        goto out;
    }
    st = db_stmt(w, sec_upd);
    if (st == NULL) {
        goto out;
    }
    db_bind_text(st, ":t", title);
    db_bind_int64(st, ":id", sid);
    if (step_done(st) < 0) {
        goto out;
    }
    st = db_stmt(w, fts_ins);
    if (st == NULL) {
        goto out;
    }
    db_bind_int64(st, ":id", sid);
    db_bind_text(st, ":t", title);
    db_bind_text(st, ":h", heading);
    db_bind_text(st, ":b", body);
    rc = step_done(st);
out:
    kw_free(body);
    kw_free(heading);
    kw_free(old);
    strbuf_free(&norm);
    return rc;
}

static int
language_put(struct db *w, int64_t doc, const char *language, int64_t now)
{
    static const char sql[] = "UPDATE document SET language = :l,"
                              " updated_at = :now WHERE id = :id";
    sqlite3_stmt *st = db_stmt(w, sql);

    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":l", language[0] != '\0' ? language : NULL);
    db_bind_int64(st, ":now", now);
    db_bind_int64(st, ":id", doc);
    return step_done(st);
}

/* The current title and language (new strings) in the open transaction.
 * 1 found, 0 not, -1. */
static int
meta_read(struct db *w, int64_t doc, char **title, char **language)
{
    static const char sql[] = "SELECT title, language FROM document"
                              " WHERE id = :id";
    sqlite3_stmt *st = db_stmt(w, sql);
    int rc;

    *title = *language = NULL;
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":id", doc);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *title = db_column_dup(st, 0);
        *language = db_column_dup(st, 1);
        if (*title == NULL) {
            rc = SQLITE_NOMEM;
        }
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW) {
        return 1;
    }
    kw_free(*title);
    *title = NULL;
    return rc == SQLITE_DONE ? 0 : -1;
}

int
moderation_edit(struct db *w, int64_t doc, const char *actor, const char *title,
                const char *language, const char *const *tags, size_t ntags,
                const char *client)
{
    json_t *want = NULL, *have = NULL, *before = NULL, *after = NULL;
    json_t *detail;
    struct audit_entry e = {.actor = actor,
                            .action = "edit",
                            .object_type = "document",
                            .object_id = doc,
                            .client = client};
    char *otitle = NULL, *olang = NULL;
    int64_t now = (int64_t)time(NULL);
    int rc, bad = 0, res = MOD_DB_ERROR;

    if (!actor_ok(actor) ||
        (title == NULL && language == NULL && tags == NULL) ||
        (title != NULL && !text_clean(title, MODERATION_TITLE_MAX)) ||
        (language != NULL && language[0] != '\0' && !language_ok(language))) {
        return MOD_BAD_REQUEST;
    }
    if (tags != NULL) {
        want = tags_wanted(tags, ntags, &bad);
        if (want == NULL) {
            return bad ? MOD_BAD_REQUEST : MOD_DB_ERROR;
        }
    }
    before = json_object();
    after = json_object();
    if (before == NULL || after == NULL) {
        goto out;
    }
    if (db_write_begin(w) != SQLITE_OK) {
        goto out;
    }
    rc = meta_read(w, doc, &otitle, &olang);
    if (rc <= 0) {
        res = rc == 0 ? MOD_NOT_FOUND : MOD_DB_ERROR;
        goto rollback;
    }
    if (title != NULL && strcmp(title, otitle) != 0) {
        if (title_put(w, doc, title, now) < 0) {
            goto rollback;
        }
        json_object_set_new(before, "title", json_string(otitle));
        json_object_set_new(after, "title", json_string(title));
    }
    if (language != NULL && strcmp(language, olang != NULL ? olang : "") != 0) {
        if (language_put(w, doc, language, now) < 0) {
            goto rollback;
        }
        json_object_set_new(before, "language",
                            olang != NULL ? json_string(olang) : json_null());
        json_object_set_new(after, "language",
                            language[0] != '\0' ? json_string(language)
                                                : json_null());
    }
    if (want != NULL) {
        have = tags_get(w, doc);
        if (have == NULL) {
            goto rollback;
        }
        if (!json_equal(have, want)) {
            if (tags_put(w, doc, want) < 0) {
                goto rollback;
            }
            json_object_set(before, "tags", have);
            json_object_set(after, "tags", want);
        }
    }
    if (json_object_size(after) == 0) {
        res = MOD_OK; /* nothing changed: nothing to record */
        goto rollback;
    }
    /* The stored page shows the title, language and tags. */
    if (render_invalidate(w, doc, NULL) < 0) {
        goto rollback;
    }
    detail = json_pack("{s:O, s:O}", "old", before, "new", after);
    /* No row with an empty detail: a value we could not build fails. */
    if (detail == NULL || audit_append_json(w, &e, detail) < 0) {
        goto rollback;
    }
    res = db_write_commit(w) == SQLITE_OK ? MOD_OK : MOD_DB_ERROR;
    goto out;
rollback:
    db_write_rollback(w);
out:
    kw_free(otitle);
    kw_free(olang);
    json_decref(have);
    json_decref(want);
    json_decref(before);
    json_decref(after);
    return res;
}
