/*
 * store: the database side of ingest: collections, batches, documents
 * (versions, sections and their FTS rows, links, tags, attachments),
 * assets and blobs.  Layer: ingest/; depends on lib/ (db, moderation,
 * url, query).  Every function runs inside the caller's write
 * transaction, so a document and everything that belongs to it commit
 * together; --approve publishes through moderation_approve_in_tx(), the
 * moderation form's approve.
 */
#ifndef KW_STORE_H
#define KW_STORE_H

#include <stdint.h>

#include "convert.h"
#include "db.h"
#include "manifest.h"

enum store_outcome {
    STORE_NEW = 0,
    STORE_CHANGED = 1,
    STORE_UNCHANGED = 2,
    STORE_FAILED = 3
};

struct store_doc {
    int64_t collection_id;
    int64_t batch_id;
    const char *collection; /* name */
    const char *rel;        /* path in the tree */
    const char *source_url; /* provenance, or NULL (url_doc's source) */
    const char *doc_url;    /* what source_url_norm is made of when there
                               is no source_url (url_doc's key) */
    const char *operator_name;
    const char *default_language;      /* --language, or NULL */
    int64_t retrieved_at;              /* -1: unknown */
    int approve;                       /* publish at once */
    const struct converted *result;    /* ok; its raw bytes, if any, are
                                          kept as an attachment; borrowed */
    const struct manifest_entry *meta; /* or NULL */
};

/* Find or create the collection; update its title when given.  0 with
 * *id, or -1. */
int store_collection(struct db *db, const char *name, const char *title,
                     const char *source_url, const char *language, int64_t *id);
/* Set collection id's description (nothing when description is NULL).
 * 0, or -1. */
int store_collection_describe(struct db *db, int64_t id,
                              const char *description);
/* Record that path (an old path in the collection: a ZIM redirect) leads
 * to target_path (a path of the same collection), replacing an older
 * target.  0, or -1. */
int store_alias(struct db *db, int64_t collection_id, const char *path,
                const char *target_path);
/* Start and finish a batch row (own small transactions).  */
int store_batch_begin(struct db *db, int64_t collection_id,
                      const char *operator_name, const char *command,
                      int64_t *id);
int store_batch_finish(struct db *db, int64_t id, const int counts[4],
                       const char *report_json);
/* Store one converted document.  Returns an enum store_outcome and the
 * document row id (the existing one when unchanged). */
int store_document(struct db *db, const struct store_doc *d, int64_t *id,
                   char *err, size_t errlen);
/* Store a tree asset (image, stylesheet) at its path; 1 when written,
 * 0 when the same bytes were there already, -1 on error. */
int store_asset(struct db *db, int64_t collection_id, const char *path,
                const char *content_type, const unsigned char *data,
                size_t len);

#endif
