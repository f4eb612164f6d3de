/*
 * moderation: approve, reject, withdraw, restore and edit documents, each
 * a conditional update in one write transaction with its audit row; bulk
 * forms over ids and ingest batches.  Approve is implemented once, in
 * moderation_approve_in_tx(), for the web form and for ingest --approve.
 * The SQL on documents is document.c's (and the statuses and which act
 * applies to which); here are the rules around it: validation, supersede,
 * the document index, renditions, requests and the audit row.
 * Layer: lib/; depends on db, document, docindex, audit, render, alloc
 * and jansson; never on microhttpd.h; never prints.
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
#include "document.h"
#include "render.h"

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

/* The conflict of an act refused on document d: its status and last
 * decision. */
static void
conflict_fill(struct mod_conflict *c, const struct document *d)
{
    if (c == NULL) {
        return;
    }
    snprintf(c->by, sizeof(c->by), "%s",
             d->decided_by != NULL ? d->decided_by : "");
    c->at = d->decided_at != DOCUMENT_NO_TIME ? d->decided_at : 0;
    snprintf(c->status, sizeof(c->status), "%s", d->status);
}

/* What supersede() collects of the versions it replaces. */
struct live {
    json_t *gone;      /* their ids, for the audit detail */
    int64_t published; /* the published one's id, or 0 */
    int failed;        /* out of memory */
};

static void
live_add(void *ctx, const struct document *d)
{
    struct live *l = ctx;

    if (strcmp(d->status, DOC_PUBLISHED) == 0) {
        l->published = d->id;
    }
    if (json_array_append_new(l->gone, json_integer(d->id)) < 0) {
        l->failed = 1;
    }
}

/* Supersede the other live versions of the same collection and path
 * before this one is published (the unique index allows one published).
 * Their ids are appended to `gone` (for the audit detail); a published one
 * loses its stored renditions.  0 or -1. */
static int
supersede(struct db *w, const struct document *d, json_t *gone, int64_t now)
{
    struct live l = {gone, 0, 0};

    if (document_list_live(w, d->collection_id, d->path, d->id, live_add, &l) <
            0 ||
        l.failed) {
        return -1;
    }
    /* The published version leaves the document index before its status
     * changes (docindex.h). */
    if (l.published != 0 && docindex_drop(w, l.published) < 0) {
        return -1;
    }
    if (document_supersede(w, d->collection_id, d->path, d->id, 1, now) < 0) {
        return -1;
    }
    return l.published != 0 ? render_invalidate(w, l.published, NULL) : 0;
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
    if (db_step_done(st) < 0) {
        return -1;
    }
    return sqlite3_changes(db_handle(w));
}

static const char *const act_names[] = {"approve", "reject", "withdraw",
                                        "restore"};

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
act_tx(struct db *w, enum document_act a, int64_t doc, const char *actor,
       const char *who, const char *reason, const char *client,
       struct mod_conflict *c, int64_t batch)
{
    struct document d;
    struct audit_entry e = {.actor = who,
                            .action = act_names[a],
                            .object_type = "document",
                            .object_id = doc,
                            .reason = reason,
                            .client = client};
    json_t *detail = NULL, *gone = NULL;
    int64_t now = (int64_t)time(NULL);
    int rc, res = MOD_DB_ERROR;

    rc = document_get(w, doc, 0, &d);
    if (rc <= 0) {
        return rc == 0 ? MOD_NOT_FOUND : MOD_DB_ERROR;
    }
    if (!document_act_applies(a, d.status)) {
        conflict_fill(c, &d);
        res = MOD_CONFLICT;
        goto out;
    }
    detail =
        json_pack("{s:s, s:s}", "from", d.status, "to", document_act_status(a));
    gone = json_array();
    if (detail == NULL || gone == NULL) {
        goto out;
    }
    if (a == DOCUMENT_APPROVE && supersede(w, &d, gone, now) < 0) {
        goto out;
    }
    /* The guard: under BEGIN IMMEDIATE the read above is current, and the
     * WHERE status = expected makes a second decision impossible even if
     * that ever changed. */
    rc = document_decide(w, doc, a, actor, reason, now);
    if (rc <= 0) {
        if (rc == 0) {
            document_free(&d);
            if (document_get(w, doc, 0, &d) == 1) {
                conflict_fill(c, &d);
                res = MOD_CONFLICT;
            }
        }
        goto out;
    }
    /* The document index holds the published documents (docindex.h). */
    if ((a == DOCUMENT_APPROVE && docindex_put(w, doc) < 0) ||
        (a == DOCUMENT_WITHDRAW && docindex_drop(w, doc) < 0)) {
        goto out;
    }
    if (a == DOCUMENT_APPROVE || a == DOCUMENT_WITHDRAW) {
        /* Pages linking to this URL bind to it now, or stop binding. */
        if (render_invalidate(w, doc, d.source_url_norm) < 0) {
            goto out;
        }
    }
    if (a == DOCUMENT_APPROVE) {
        int n = fulfil_requests(w, doc, d.source_url_norm);

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
    document_free(&d);
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
    return act_tx(w, DOCUMENT_APPROVE, doc, actor,
                  audit_actor != NULL ? audit_actor : actor, reason, client, c,
                  batch);
}

/* Rounds of merging after the acts of one request (a form's bulk
 * approval): at most this many times DOCINDEX_TIDY_PAGES pages of each
 * index, tenths of a second.  A merge can reach the largest segment (the
 * carry of a binary counter: a minute at 100,000 documents), and a reader
 * waiting for the form must not wait for it; what is left goes on at the
 * next act, ingest or reindex. */
#define MOD_TIDY_ROUNDS 16

/* After acts that changed the search indexes and committed: merge what
 * they added (docindex_tidy, max_rounds rounds).  The acts stand whatever
 * merging does: a merge that fails leaves its work to the next one. */
static int
tidied(struct db *w, int res, long max_rounds)
{
    if (res == MOD_OK) {
        (void)docindex_tidy(w, max_rounds);
    }
    return res;
}

/* One act in its own write transaction.  batch: the ingest batch being
 * approved as a whole, or 0. */
static int
act(struct db *w, enum document_act a, int64_t doc, const char *actor,
    const char *reason, const char *client, struct mod_conflict *c,
    int64_t batch)
{
    int res;

    if (!actor_ok(actor) ||
        !reason_ok(reason, a == DOCUMENT_REJECT || a == DOCUMENT_WITHDRAW)) {
        return MOD_BAD_REQUEST;
    }
    if (reason != NULL && !reason_ok(reason, 1)) {
        reason = NULL; /* a blank optional reason is none */
    }
    if (db_write_begin(w) != SQLITE_OK) {
        return MOD_DB_ERROR;
    }
    res = a == DOCUMENT_APPROVE
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
    return tidied(w, act(w, DOCUMENT_APPROVE, doc, actor, NULL, client, c, 0),
                  1);
}

int
moderation_reject(struct db *w, int64_t doc, const char *actor,
                  const char *reason, const char *client,
                  struct mod_conflict *c)
{
    return act(w, DOCUMENT_REJECT, doc, actor, reason, client, c, 0);
}

int
moderation_withdraw(struct db *w, int64_t doc, const char *actor,
                    const char *reason, const char *client,
                    struct mod_conflict *c)
{
    return tidied(
        w, act(w, DOCUMENT_WITHDRAW, doc, actor, reason, client, c, 0), 1);
}

int
moderation_restore(struct db *w, int64_t doc, const char *actor,
                   const char *reason, const char *client,
                   struct mod_conflict *c)
{
    return tidied(w, act(w, DOCUMENT_RESTORE, doc, actor, reason, client, c, 0),
                  1);
}

size_t
moderation_approve_many(struct db *w, const int64_t *ids, size_t n,
                        const char *actor, const char *client, int *results,
                        struct mod_conflict *conflicts)
{
    size_t i, ok = 0;

    for (i = 0; i < n; i++) {
        results[i] = act(w, DOCUMENT_APPROVE, ids[i], actor, NULL, client,
                         conflicts != NULL ? &conflicts[i] : NULL, 0);
        ok += results[i] == MOD_OK;
    }
    if (ok > 0) {
        (void)docindex_tidy(w, MOD_TIDY_ROUNDS); /* the acts stand */
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
        results[i] = act(w, DOCUMENT_REJECT, ids[i], actor, reason, client,
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
    sqlite3_stmt *st;
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
    res = document_batch_pending(w, batch, ids, n) == 0 ? MOD_OK : MOD_DB_ERROR;
out:
    db_write_rollback(w);
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
        int r =
            act(w, DOCUMENT_APPROVE, ids[i], actor, NULL, client, NULL, batch);

        if (r == MOD_OK) {
            (*approved)++;
        } else if (r == MOD_CONFLICT || r == MOD_NOT_FOUND) {
            (*skipped)++; /* superseded or decided meanwhile */
        } else {
            res = r;
        }
    }
    kw_free(ids);
    if (*approved > 0) {
        (void)docindex_tidy(w, MOD_TIDY_ROUNDS); /* the acts stand */
    }
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

/* Replace the document's tags with tags (sorted, distinct: tags_wanted).
 * Each goes through document_tag_add, the insert ingest and pack import
 * use, which ignores a link already there. */
static int
tags_put(struct db *w, int64_t doc, json_t *tags)
{
    static const char del[] = "DELETE FROM document_tag"
                              " WHERE document_id = :d";
    sqlite3_stmt *st = db_stmt(w, del);
    size_t i;

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":d", doc);
    if (db_step_done(st) < 0) {
        return -1;
    }
    for (i = 0; i < json_array_size(tags); i++) {
        if (document_tag_add(w, doc,
                             json_string_value(json_array_get(tags, i))) < 0) {
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
    char *old = NULL, *heading = NULL, *body = NULL;
    sqlite3_stmt *st;
    int64_t sid = 0;
    int rc = -1;

    if (document_set_title(w, doc, title, now) < 0) {
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
    if (db_step_done(st) < 0) {
        goto out;
    }
    st = db_stmt(w, sec_upd);
    if (st == NULL) {
        goto out;
    }
    db_bind_text(st, ":t", title);
    db_bind_int64(st, ":id", sid);
    if (db_step_done(st) < 0) {
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
    rc = db_step_done(st);
out:
    kw_free(body);
    kw_free(heading);
    kw_free(old);
    return rc;
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
    struct document old = {0};
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
    rc = document_get(w, doc, 0, &old);
    if (rc <= 0) {
        res = rc == 0 ? MOD_NOT_FOUND : MOD_DB_ERROR;
        goto rollback;
    }
    if (title != NULL && strcmp(title, old.title) != 0) {
        if (title_put(w, doc, title, now) < 0) {
            goto rollback;
        }
        json_object_set_new(before, "title", json_string(old.title));
        json_object_set_new(after, "title", json_string(title));
    }
    if (language != NULL &&
        strcmp(language, old.language != NULL ? old.language : "") != 0) {
        if (document_set_language(w, doc, language[0] != '\0' ? language : NULL,
                                  now) < 0) {
            goto rollback;
        }
        json_object_set_new(before, "language",
                            old.language != NULL ? json_string(old.language)
                                                 : json_null());
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
    /* A published document's new title went into the index anew. */
    res = tidied(w, db_write_commit(w) == SQLITE_OK ? MOD_OK : MOD_DB_ERROR, 1);
    goto out;
rollback:
    db_write_rollback(w);
out:
    document_free(&old);
    json_decref(have);
    json_decref(want);
    json_decref(before);
    json_decref(after);
    return res;
}
