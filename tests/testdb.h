/*
 * testdb: the one owner of the test database fixture.  A temporary
 * directory with a database migrated from $KW_SRCDIR/db/migrations (a
 * writer and, when asked, a DB_READONLY reader as the server has), more
 * connections on files in that directory, and the rows the suites build
 * their fixtures from: collections, documents with a status and a
 * publication time, sections with their FTS rows, one-section documents,
 * and the document index rebuilt from the published ones.
 *
 * Layer: tests/.  Depends on lib/ (db, docindex, query) and Check: every
 * helper fails the running test with ck_assert on any error, so callers
 * never check results.  Nothing here knows about the server; the page
 * fixture (tests/pagefix.c) builds on it.
 *
 * Ids: every insert returns the new rowid, so suites that name their
 * fixture's ids (enums in insertion order) keep getting the same ones.
 */
#ifndef KW_TESTDB_H
#define KW_TESTDB_H

#include <stdint.h>

#include "db.h"

/* What testdb_open() opens besides the directory. */
enum testdb_flags {
    TESTDB_WRITER = 1, /* a migrated DB_CREATE writer on path */
    TESTDB_READER = 2, /* with TESTDB_WRITER: a DB_READONLY reader on path */
};

struct testdb {
    char srcdir[4000]; /* $KW_SRCDIR, or "." */
    char dir[64];      /* the temporary directory, removed by close */
    char path[128];    /* dir/t.db */
    char mig[4200];    /* srcdir/db/migrations */
    struct db *w;      /* owned writer, or NULL */
    struct db *r;      /* owned reader, or NULL */
};

/* Make a fresh /tmp/<tag>XXXXXX directory and open what flags ask for. */
void testdb_open(struct testdb *t, const char *tag, int flags);
/* Close the connections testdb_open() made and remove the directory. */
void testdb_close(struct testdb *t);
/* A new connection (owned by the caller) on file in t's directory, or on
 * t->path when file is NULL, migrated from migrations unless NULL. */
struct db *testdb_connect(const struct testdb *t, const char *file,
                          const char *migrations, int flags);

/* Run SQL on db as it is (no transaction of its own). */
void testdb_exec(struct db *db, const char *sql);
/* Run SQL on db inside one write transaction. */
void testdb_write(struct db *db, const char *sql);

/* A collection; language may be NULL.  created_at = updated_at = 0. */
int64_t testdb_add_collection(struct db *db, const char *name,
                              const char *title, const char *language);

/* Every column of a document row the suites set.  Pointers are borrowed. */
struct testdb_doc {
    int64_t collection_id;
    const char *path;
    int version;        /* >= 1 */
    const char *status; /* pending, published, ... */
    const char *title;
    const char *title_norm; /* NULL: lower(title) in SQL */
    const char *language;   /* may be NULL */
    const char *body_html;
    const char *body_text;
    const char *source_url_norm; /* also source_url; may be NULL */
    int64_t ingested_at;
    int64_t batch_id; /* 0: NULL */
    const char *operator_name;
    const char *sha256; /* orig_sha256 and body_sha256 */
    int64_t orig_size;
    long long published_at; /* < 0: NULL */
    int64_t updated_at;
};

/* Insert the row d describes; its id. */
int64_t testdb_insert_document(struct db *db, const struct testdb_doc *d);
/* The search fixture's document: version 1, title_norm as
 * query_normalize_title() makes it, empty bodies, zero hashes and times,
 * operator "test"; published_at < 0 stores NULL.  Its id. */
int64_t testdb_add_document(struct db *db, int64_t collection, const char *path,
                            const char *title, const char *language,
                            const char *status, long long published_at);

/* A section and its FTS row (the app keeps them in step itself, as here);
 * anchor may be NULL.  body_bytes < 0 stores the body's length in bytes,
 * as ingest does; any other value is stored as given.  The section's id. */
int64_t testdb_insert_section(struct db *db, int64_t doc, int ord,
                              const char *anchor, const char *title,
                              const char *heading, const char *body,
                              long long body_bytes);
/* testdb_insert_section() with the body's length in bytes. */
int64_t testdb_add_section(struct db *db, int64_t doc, int ord,
                           const char *anchor, const char *title,
                           const char *heading, const char *body);
/* A one-section document (section 0 titled with the document); its id. */
int64_t testdb_add_simple(struct db *db, int64_t collection, const char *path,
                          const char *title, const char *language,
                          const char *status, long long published_at,
                          const char *body);

/* Make the document index hold exactly the published documents, in its
 * own write transaction: fixtures set statuses with SQL, where the program
 * publishes through moderation.c, which keeps the index in step. */
void testdb_reindex(struct db *w);

/* The query plans of the statements db has prepared whose SQL holds
 * sql_has (their first parameter, if any, bound to "x"), their lines
 * joined by "; " into out (size bytes, cut to fit); how many statements. */
int testdb_plans(struct db *db, const char *sql_has, char *out, size_t size);

#endif
