/*
 * packdb: the database side of packs (pack.h): export a collection, or
 * what changed in it since a time, and import a verified pack in one
 * write transaction.  Layer: lib/; depends on db, pack, document,
 * moderation, docindex, render, impact, audit and jansson; never on
 * microhttpd.h, server/, ingest/ or cli/; never prints.
 *
 * What a pack carries (docs/pack.md): the collection's row; its published
 * documents, each whole (the row with its provenance, body and text,
 * sections, links, tags and ranking signal); a withdrawal for each
 * withdrawn document whose path has no published version, so that
 * withdrawals propagate; the ingest batches the documents came from; the
 * tree's assets and the published documents' attachments; and the blobs
 * they use.  Pending, rejected and superseded versions stay home:
 * moderation is the primary's, a regional server gets its outcome.  With
 * a since time, only documents whose updated_at (every moderation act
 * sets it) is that time or later, with their attachments, and the tree's
 * assets whose row or blob is that new.
 *
 * Import: a document is matched by collection and path and the SHA-256
 * of its body.  The same body, title, language and tags already published
 * there: nothing is written.  Otherwise the document is inserted as a new
 * version and published through moderation_approve_in_tx() (the earlier
 * version superseded, the document index and renditions kept right, an
 * audit row); a withdrawal withdraws the published document with the
 * same path and body, or does nothing.  Assets, blobs, batches and the
 * collection row are written only when they differ.  So importing a pack
 * twice changes nothing the second time: when nothing is to change the
 * transaction is rolled back and no audit row is written; otherwise one
 * audit row "pack-import" names the signing key's fingerprint.  Every
 * pointer argument is borrowed.
 */
#ifndef KW_PACKDB_H
#define KW_PACKDB_H

#include <stdint.h>

#include "db.h"
#include "pack.h"

/* A since time that selects everything. */
#define PACKDB_ALL INT64_MIN

/* What an export wrote or an import changed. */
struct packdb_counts {
    long documents;   /* published documents written; imported as new */
    long withdrawals; /* written; applied */
    long unchanged;   /* import: documents already here as they are */
    long skipped;     /* import: withdrawals of documents not published here */
    long assets;      /* written; new or changed here */
    long blobs;       /* written; new here */
    long batches;     /* written; created here */
    long collection;  /* import: 1 when the collection row was written */
};

struct packdb_export_opts {
    const char *collection;     /* name */
    int64_t since;              /* Unix seconds, or PACKDB_ALL */
    int64_t now;                /* the pack's exported_at */
    const struct pack_key *key; /* with its secret */
    const char *out;            /* the pack's path */
};

/* Write the pack o describes from db (a reader or writer, not inside a
 * transaction: the export reads one snapshot).  n gets the counts, sha256
 * (65 bytes, caller-owned) the content hash.  0, or -1 with err->msg (no
 * such collection, a database or write error); the temporary file is
 * then removed. */
int packdb_export(struct db *db, const struct packdb_export_opts *o,
                  struct packdb_counts *n, char sha256[65],
                  struct pack_error *err);

/* Import the pack r (opened and verified by pack_open) into w (a writer,
 * not inside a transaction), all of it in one write transaction.
 * operator_name: the audit rows' actor is "cli:" operator_name.  n gets
 * the counts.  0 when committed or when there was nothing to change
 * (nothing written), or -1 with err->msg and nothing written. */
int packdb_import(struct db *w, struct pack_reader *r,
                  const char *operator_name, struct packdb_counts *n,
                  struct pack_error *err);

#endif
