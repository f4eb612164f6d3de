/*
 * audit: append and verify the hash-chained audit log.  Layer: lib/;
 * depends on db, libsodium's SHA-256 and jansson.
 */
#include "audit.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char genesis[] =
    "0000000000000000000000000000000000000000000000000000000000000000";

/* Feed one field as "<length>:<bytes>;" so field borders are unambiguous;
 * NULL is written as "-;" which no length prefix can produce. */
static void
feed(crypto_hash_sha256_state *st, const char *s)
{
    char len[32];

    if (s == NULL) {
        crypto_hash_sha256_update(st, (const unsigned char *)"-;", 2);
        return;
    }
    snprintf(len, sizeof(len), "%zu:", strlen(s));
    crypto_hash_sha256_update(st, (const unsigned char *)len, strlen(len));
    crypto_hash_sha256_update(st, (const unsigned char *)s, strlen(s));
    crypto_hash_sha256_update(st, (const unsigned char *)";", 1);
}

static void
feed_int(crypto_hash_sha256_state *st, int64_t v)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    feed(st, buf);
}

/* The row hash as 64 hex digits into hex[65]. */
static void
row_hash(const char *prev, int64_t id, int64_t at, const struct audit_entry *e,
         char hex[65])
{
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256_init(&st);
    feed(&st, prev);
    feed_int(&st, id);
    feed_int(&st, at);
    feed(&st, e->actor);
    feed(&st, e->action);
    feed(&st, e->object_type);
    feed_int(&st, e->object_id);
    feed(&st, e->reason);
    feed(&st, e->detail);
    feed(&st, e->client);
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(hex, 65, h, sizeof(h));
}

int64_t
audit_append(struct db *db, const struct audit_entry *e)
{
    static const char sql_last[] =
        "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1";
    static const char sql_ins[] =
        "INSERT INTO audit(id, at, actor, action, object_type, object_id,"
        " reason, detail, client, prev_hash, hash) VALUES (:id, :at, :actor,"
        " :action, :otype, :oid, :reason, :detail, :client, :prev, :hash)";
    sqlite3_stmt *st = db_stmt(db, sql_last);
    char prev[65], hex[65];
    int64_t id = 1, at = (int64_t)time(NULL);
    struct audit_entry row = *e;
    int rc;

    if (st == NULL) {
        return -1;
    }
    snprintf(prev, sizeof(prev), "%s", genesis);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0) + 1;
        snprintf(prev, sizeof(prev), "%s",
                 (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return -1;
    }
    if (row.detail == NULL) {
        row.detail = "{}";
    }
    row_hash(prev, id, at, &row, hex);
    st = db_stmt(db, sql_ins);
    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":id", id);
    db_bind_int64(st, ":at", at);
    db_bind_text(st, ":actor", row.actor);
    db_bind_text(st, ":action", row.action);
    db_bind_text(st, ":otype", row.object_type);
    if (row.object_id != 0) {
        db_bind_int64(st, ":oid", row.object_id);
    }
    db_bind_text(st, ":reason", row.reason);
    db_bind_text(st, ":detail", row.detail);
    db_bind_text(st, ":client", row.client);
    db_bind_text(st, ":prev", prev);
    db_bind_text(st, ":hash", hex);
    return db_step_done(st) == 0 ? id : -1;
}

int64_t
audit_append_json(struct db *db, const struct audit_entry *e, json_t *detail)
{
    struct audit_entry row = *e;
    char *text = NULL;
    int64_t id;

    if (detail != NULL) {
        text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
        json_decref(detail);
        if (text == NULL) {
            return -1;
        }
        row.detail = text;
    }
    id = audit_append(db, &row);
    free(text);
    return id;
}

int
audit_verify(struct db *db,
             void (*report)(void *ctx, int64_t id, const char *why), void *ctx)
{
    static const char sql[] =
        "SELECT id, at, actor, action, object_type, object_id, reason,"
        " detail, client, prev_hash, hash FROM audit ORDER BY id";
    sqlite3_stmt *st = db_stmt(db, sql);
    char prev[65], hex[65];
    int bad = 0, rc;

    if (st == NULL) {
        return -1;
    }
    snprintf(prev, sizeof(prev), "%s", genesis);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct audit_entry e;
        int64_t id = sqlite3_column_int64(st, 0);
        const char *stored_prev = (const char *)sqlite3_column_text(st, 9);
        const char *stored = (const char *)sqlite3_column_text(st, 10);

        e.actor = (const char *)sqlite3_column_text(st, 2);
        e.action = (const char *)sqlite3_column_text(st, 3);
        e.object_type = (const char *)sqlite3_column_text(st, 4);
        e.object_id = sqlite3_column_int64(st, 5);
        e.reason = (const char *)sqlite3_column_text(st, 6);
        e.detail = (const char *)sqlite3_column_text(st, 7);
        e.client = (const char *)sqlite3_column_text(st, 8);
        row_hash(prev, id, sqlite3_column_int64(st, 1), &e, hex);
        if (stored_prev == NULL || strcmp(stored_prev, prev) != 0) {
            bad++;
            report(ctx, id, "prev_hash does not match the previous row");
        } else if (stored == NULL || strcmp(stored, hex) != 0) {
            bad++;
            report(ctx, id, "hash does not match the row's fields");
        }
        /* Continue from the stored hash so one bad row is reported once. */
        snprintf(prev, sizeof(prev), "%s", stored ? stored : "");
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? bad : -1;
}
