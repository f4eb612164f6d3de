/*
 * moderation: the document state machine a moderator drives, each act one
 * write transaction with its audit row.  Layer: lib/; depends on db,
 * document (the statements, the statuses and which act applies to which),
 * audit, render and jansson; never on microhttpd.h; never prints.
 *
 *   pending   --approve-->  published  (other versions: superseded)
 *   pending   --reject--->  rejected   (reason required)
 *   published --withdraw->  withdrawn  (reason required)
 *   withdrawn, rejected --restore--> pending
 *   any status: edit title, language, tags
 *
 * Two moderators acting on one document: the state change is a
 * conditional UPDATE (WHERE status = expected) inside BEGIN IMMEDIATE, so
 * exactly one wins; the other gets MOD_CONFLICT with who decided and when.
 * Publishing or withdrawing calls render_invalidate() in the same
 * transaction, so pages that link to the document are rendered again.
 *
 * w is always a writer connection and is used only inside
 * db_write_begin()/commit, so it may be the server's shared writer.  Each
 * act opens its own transaction, except moderation_approve_in_tx(), which
 * runs in the caller's (ingest --approve publishes what it stores in the
 * same transaction); every approve goes through it.
 * Every string argument is borrowed.
 */
#ifndef KW_MODERATION_H
#define KW_MODERATION_H

#include <stddef.h>
#include <stdint.h>

#include "db.h"

enum mod_result {
    MOD_OK = 0,
    MOD_NOT_FOUND,   /* no such document (or batch) */
    MOD_CONFLICT,    /* not in a state this act applies to; see conflict */
    MOD_BAD_REQUEST, /* missing reason or actor, bad title/language/tag */
    MOD_DB_ERROR,    /* database error or write lock not acquired */
};

#define MODERATION_REASON_MAX 2000 /* bytes */
#define MODERATION_TITLE_MAX 1000  /* bytes */
#define MODERATION_LANGUAGE_MAX 35 /* bytes, a BCP 47 tag */
#define MODERATION_TAG_MAX 64      /* bytes per tag */
#define MODERATION_TAGS_MAX 64     /* tags per document */

/* Filled on MOD_CONFLICT: the document's current status and its last
 * decision ("" and 0 when it never had one). */
struct mod_conflict {
    char by[65];
    int64_t at;
    char status[16];
};

/* "already decided by NAME at YYYY-MM-DD HH:MM:SS UTC (now STATUS)" into
 * buf (n bytes, caller-owned). */
void moderation_conflict_text(const struct mod_conflict *c, char *buf,
                              size_t n);

/* Single acts.  actor: the moderator's name (decided_by, audit actor);
 * client: address or NULL; c: filled on MOD_CONFLICT, may be NULL.
 * approve: pending -> published; every other pending or published version
 *   of the same collection and path becomes superseded; an open
 *   acquisition request for the document's source URL is fulfilled.
 * reject: pending -> rejected; reason required.
 * withdraw: published -> withdrawn; reason required.
 * restore: withdrawn or rejected -> pending; reason optional (NULL).
 * Every act records its actor, time and reason in decided_by, decided_at
 * and reason (approve clears reason), so a conflict names the last act.
 * Returns an enum mod_result. */
int moderation_approve(struct db *w, int64_t doc, const char *actor,
                       const char *client, struct mod_conflict *c);
int moderation_reject(struct db *w, int64_t doc, const char *actor,
                      const char *reason, const char *client,
                      struct mod_conflict *c);
int moderation_withdraw(struct db *w, int64_t doc, const char *actor,
                        const char *reason, const char *client,
                        struct mod_conflict *c);
int moderation_restore(struct db *w, int64_t doc, const char *actor,
                       const char *reason, const char *client,
                       struct mod_conflict *c);

/* Approve inside the caller's open write transaction (db_write_begin());
 * never begins, commits or rolls back.  The same state change, side
 * effects and audit row as moderation_approve: pending -> published with
 * decided_at, decided_by = actor, published_at, reason cleared; every
 * other pending or published version of the same collection and path
 * becomes superseded and a superseded published one loses its stored
 * renditions; the renditions of the document and of the pages linking to
 * its source URL are dropped; an open acquisition request for that URL is
 * fulfilled.  actor: decided_by, 1-64 bytes; audit_actor: the audit row's
 * actor, or NULL for actor (ingest records "cli:OPERATOR"); reason: the
 * audit row's reason, or NULL; client: address or NULL; batch: the ingest
 * batch approved as a whole (audit detail "batch"), or 0; c: filled on
 * MOD_CONFLICT, may be NULL.  Returns an enum mod_result; on anything but
 * MOD_OK the caller must roll back, as earlier statements may have
 * written. */
int moderation_approve_in_tx(struct db *w, int64_t doc, const char *actor,
                             const char *audit_actor, const char *reason,
                             const char *client, int64_t batch,
                             struct mod_conflict *c);

/* Edit metadata in any status.  title NULL: unchanged (else non-empty, at
 * most MODERATION_TITLE_MAX bytes, no control characters); language NULL:
 * unchanged, "": none, else a BCP 47-like tag; tags NULL: unchanged, else
 * the new set (ntags may be 0 to clear; duplicates dropped).  A title
 * change updates title_norm and the FTS row of section 0.  The audit
 * detail holds the old and new values of what changed; when nothing
 * changes, nothing is written.  Returns an enum mod_result. */
int moderation_edit(struct db *w, int64_t doc, const char *actor,
                    const char *title, const char *language,
                    const char *const *tags, size_t ntags, const char *client);

/* Bulk: each id is its own transaction and outcome.  results (n entries,
 * caller-owned) gets each enum mod_result; conflicts (n entries or NULL)
 * the conflict details.  Returns how many succeeded. */
size_t moderation_approve_many(struct db *w, const int64_t *ids, size_t n,
                               const char *actor, const char *client,
                               int *results, struct mod_conflict *conflicts);
size_t moderation_reject_many(struct db *w, const int64_t *ids, size_t n,
                              const char *actor, const char *reason,
                              const char *client, int *results,
                              struct mod_conflict *conflicts);

/* Approve every pending document of ingest batch `batch`, one transaction
 * each, in id order.  *approved counts successes; *skipped the documents
 * another act had already moved on (MOD_CONFLICT).  MOD_OK, MOD_NOT_FOUND
 * (no such batch), MOD_BAD_REQUEST or MOD_DB_ERROR (stops there; what was
 * approved stays approved). */
int moderation_approve_batch(struct db *w, int64_t batch, const char *actor,
                             const char *client, int *approved, int *skipped);

#endif
