/*
 * audit: the tamper-evident log, and the one place rows are appended to it.
 * Layer: lib/; depends on db, libsodium (sha256) and jansson, never on
 * microhttpd.h.
 *
 * Each row stores hash = sha256(prev_hash, id, at, actor, action,
 * object_type, object_id, reason, detail, client), every field length-
 * prefixed so no two different rows hash alike.  A row is appended inside
 * the caller's write transaction, so it commits or rolls back with the
 * change it records.
 */
#ifndef KW_AUDIT_H
#define KW_AUDIT_H

#include <jansson.h>
#include <stdint.h>

#include "db.h"

struct audit_entry {
    const char *actor;       /* user name, or "cli:OPERATOR" */
    const char *action;      /* approve, reject, ingest, login, ... */
    const char *object_type; /* document, user, batch, or NULL */
    int64_t object_id;       /* 0 when none */
    const char *reason;      /* or NULL */
    const char *detail;      /* JSON text, or NULL for "{}" */
    const char *client;      /* client address, or NULL */
};

/* Append a row; the caller holds a write transaction (db_write_begin).
 * Returns the new row id, or -1 on an SQLite error. */
int64_t audit_append(struct db *db, const struct audit_entry *e);

/* audit_append with the detail given as JSON: detail (a new value, stolen:
 * freed here, even on failure) is written compact with sorted keys in place
 * of e->detail; NULL keeps e->detail.  e is borrowed.  Returns the new row
 * id, or -1 when the value cannot be written out or on an SQLite error. */
int64_t audit_append_json(struct db *db, const struct audit_entry *e,
                          json_t *detail);

/* Walk the whole chain.  For each broken row, report(ctx, id, why) is
 * called.  Returns the number of broken rows, or -1 on an SQLite error. */
int audit_verify(struct db *db,
                 void (*report)(void *ctx, int64_t id, const char *why),
                 void *ctx);

#endif
