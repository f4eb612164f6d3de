/*
 * docindex: writes to the document-level index doc_fts (docindex.h).
 * Layer: lib/; depends on db, impact, rank and tokenizer.  It owns the
 * heading keys too (rank.h).  Every statement is a constant prepared once
 * per connection; the text indexed always comes from the view doc_text,
 * so a row is dropped with exactly the values it was put with.
 */
#include "docindex.h"

#include <string.h>

#include "alloc.h"
#include "impact.h"
#include "rank.h"
#include "tokenizer.h"

/* 1 when document doc is in the index, 0 when not, -1.  doc_fts_docsize
 * has one row per indexed document (columnsize is on). */
static int
indexed(struct db *w, int64_t doc)
{
    static const char sql[] = "SELECT 1 FROM doc_fts_docsize WHERE id = :d";
    sqlite3_stmt *st = db_stmt(w, sql);
    int64_t one;

    if (st == NULL || db_bind_int64(st, ":d", doc) != SQLITE_OK) {
        return -1;
    }
    return db_one_int64(st, &one);
}

/* Put (del 0) or delete (del 1) the heading keys of document doc (rank.h,
 * "Heading keys"), from its sections' headings, its body and its path:
 * the same keys as long as they are unchanged.  0 or -1. */
static int
heading_keys(struct db *w, int64_t doc, int del)
{
    static const char get[] =
        "SELECT heading_keys((SELECT group_concat(heading, char(30))"
        " FROM section WHERE document_id = d.id), d.body_html, d.path)"
        " FROM document d WHERE d.id = :d";
    static const char put[] = "INSERT OR IGNORE INTO heading_key(key,"
                              " document_id) VALUES (:k, :d)";
    static const char drop[] =
        "DELETE FROM heading_key WHERE key = :k AND document_id = :d";
    sqlite3_stmt *st = db_stmt(w, get);
    char *keys = NULL;
    size_t i = 0, n;
    int rc = 0;

    if (st == NULL || db_bind_int64(st, ":d", doc) != SQLITE_OK ||
        db_one_text(st, &keys) < 0) {
        return -1;
    }
    n = keys != NULL ? strlen(keys) : 0;
    while (i < n && rc == 0) {
        const char *end = memchr(keys + i, TOKENIZER_SECTION_BREAK, n - i);
        size_t len = end != NULL ? (size_t)(end - (keys + i)) : n - i;

        if ((st = db_stmt(w, del ? drop : put)) == NULL ||
            db_bind_textn(st, ":k", keys + i, len) != SQLITE_OK ||
            db_bind_int64(st, ":d", doc) != SQLITE_OK || db_step_done(st) < 0) {
            rc = -1;
        }
        i += len + 1;
    }
    kw_free(keys);
    return rc;
}

int
docindex_put(struct db *w, int64_t doc)
{
    static const char sql[] =
        "INSERT INTO doc_fts(rowid, title, heading, body)"
        " SELECT id, title, heading, body FROM doc_text WHERE id = :d";
    int in = indexed(w, doc);

    /* Already in: a contentless table would index it twice. */
    if (in != 0) {
        return in < 0 ? -1 : 0;
    }
    return db_run_int64(w, sql, ":d", doc) < 0 || heading_keys(w, doc, 0) < 0 ||
                   impact_note_put(w, doc) < 0
               ? -1
               : 0;
}

int
docindex_drop(struct db *w, int64_t doc)
{
    static const char sql[] =
        "INSERT INTO doc_fts(doc_fts, rowid, title, heading, body)"
        " SELECT 'delete', id, title, heading, body FROM doc_text"
        " WHERE id = :d";
    int in = indexed(w, doc);

    /* Not in (published behind the program's back): deleting values
     * never indexed would corrupt the counts. */
    if (in <= 0) {
        return in;
    }
    return db_run_int64(w, sql, ":d", doc) < 0 || heading_keys(w, doc, 1) < 0
               ? -1
               : 1;
}

/* search_change's rows of generations up to f deleted, and the floor
 * raised to f: a catalog of a generation before f is built anew.  The rows
 * deleted, or -1. */
static long
changes_cut(struct db *w, int64_t f)
{
    static const char del[] = "DELETE FROM search_change WHERE gen <= :f";
    static const char floor[] =
        "UPDATE setting SET value = :f WHERE key = 'search_change_floor'"
        " AND CAST(value AS INTEGER) < :f";
    long n;

    if (db_run_int64(w, del, ":f", f) < 0) {
        return -1;
    }
    n = (long)sqlite3_changes(db_handle(w));
    return db_run_int64(w, floor, ":f", f) < 0 ? -1 : n;
}

/* The search generation (0 without one), or -1. */
static int64_t
generation(struct db *w)
{
    int64_t g = 0;

    return db_setting_int(w, "search_generation", &g) >= 0 ? g : -1;
}

long
docindex_rebuild(struct db *w)
{
    static const char clear[] =
        "INSERT INTO doc_fts(doc_fts) VALUES ('delete-all')";
    static const char fill[] =
        "INSERT INTO doc_fts(rowid, title, heading, body)"
        " SELECT id, title, heading, body FROM doc_text"
        " WHERE id IN (SELECT id FROM document WHERE status = 'published')";
    static const char bump[] =
        "UPDATE setting SET value = CAST(value AS INTEGER) + 1"
        " WHERE key = 'search_generation'";
    static const char unkey[] = "DELETE FROM heading_key";
    static const char ids[] =
        "SELECT id FROM document WHERE status = 'published' ORDER BY id";
    sqlite3_stmt *st = db_stmt(w, clear);
    struct impact_meta m;
    long n;
    int rc;

    if (st == NULL || db_step_done(st) < 0 || (st = db_stmt(w, fill)) == NULL ||
        db_step_done(st) < 0) {
        return -1;
    }
    /* The rows the fill inserted (a reset keeps the count). */
    n = (long)sqlite3_changes(db_handle(w));
    /* The heading keys anew, one document at a time (heading_keys steps
     * statements of its own: this one stays open). */
    if ((st = db_stmt(w, unkey)) == NULL || db_step_done(st) < 0 ||
        (st = db_stmt(w, ids)) == NULL) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (heading_keys(w, sqlite3_column_int64(st, 0), 0) < 0) {
            rc = SQLITE_ERROR;
            break;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        return -1;
    }
    /* A server's catalog and cached results are of the old index: the
     * search generation moves (migration 0002) so that they are made
     * anew. */
    if ((st = db_stmt(w, bump)) == NULL || db_step_done(st) < 0) {
        return -1;
    }
    /* Every document's index row is new: no catalog is brought up to
     * date by changes; each is built anew. */
    {
        int64_t g = generation(w);

        if (g < 0 || changes_cut(w, g) < 0) {
            return -1;
        }
    }
    /* The impact lists anew, with the last build's threshold. */
    if (impact_meta_read(w, &m) < 0 || impact_build(w, m.min_df, NULL) < 0) {
        return -1;
    }
    return n;
}

long
docindex_changes_prune(struct db *w)
{
    int64_t g = generation(w);

    if (g < 0) {
        return -1;
    }
    return g > DOCINDEX_CHANGES_KEEP ? changes_cut(w, g - DOCINDEX_CHANGES_KEEP)
                                     : 0;
}

long
docindex_check(struct db *db)
{
    /* doc_fts_docsize has one row per indexed document (columnsize is
     * on), keyed by its id. */
    static const char sql[] =
        "SELECT (SELECT count(*) FROM document d WHERE d.status = 'published'"
        "         AND NOT EXISTS (SELECT 1 FROM doc_fts_docsize s"
        "                          WHERE s.id = d.id))"
        "     + (SELECT count(*) FROM doc_fts_docsize s"
        "         WHERE NOT EXISTS (SELECT 1 FROM document d"
        "                            WHERE d.id = s.id"
        "                              AND d.status = 'published'))"
        "     + (SELECT count(DISTINCT k.document_id) FROM heading_key k"
        "         WHERE NOT EXISTS (SELECT 1 FROM doc_fts_docsize s"
        "                            WHERE s.id = k.document_id))";
    sqlite3_stmt *st = db_stmt(db, sql);
    long n = -1;

    if (st == NULL) {
        return -1;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        n = (long)sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    return n;
}

/* One round of merging (the statement sql) in its own write transaction:
 * 1 when it merged, 0 when nothing was left to merge, -1. */
static int
tidy_round(struct db *w, const char *sql)
{
    sqlite3 *h = db_handle(w);
    sqlite3_stmt *st;
    int before, rc;

    if (db_write_begin(w) != SQLITE_OK) {
        return -1;
    }
    before = sqlite3_total_changes(h);
    if ((st = db_stmt(w, sql)) == NULL ||
        db_bind_int64(st, ":pages", DOCINDEX_TIDY_PAGES) != SQLITE_OK ||
        db_step_done(st) < 0) {
        db_write_rollback(w);
        return -1;
    }
    /* FTS5 writes at least two rows when a merge did any work (its
     * documentation's test); one, the structure record, when none. */
    rc = sqlite3_total_changes(h) - before >= 2;
    return db_write_commit(w) == SQLITE_OK ? rc : -1;
}

long
docindex_tidy(struct db *w, long max_rounds)
{
    static const char *const merge[2] = {
        "INSERT INTO doc_fts(doc_fts, rank) VALUES ('merge', :pages)",
        "INSERT INTO section_fts(section_fts, rank) VALUES ('merge', :pages)",
    };
    int open[2] = {1, 1};
    long rounds = 0;
    int k;

    while (max_rounds <= 0 || rounds < max_rounds) {
        int merged = 0;

        for (k = 0; k < 2; k++) {
            if (open[k]) {
                int got = tidy_round(w, merge[k]);

                if (got < 0) {
                    return -1;
                }
                open[k] = got;
                merged |= got;
            }
        }
        if (!merged) {
            break;
        }
        rounds++;
    }
    return rounds;
}

long
docindex_segments(struct db *db, int sections)
{
    static const char *const sql[2] = {
        "SELECT count(DISTINCT segid) FROM doc_fts_idx",
        "SELECT count(DISTINCT segid) FROM section_fts_idx",
    };
    sqlite3_stmt *st = db_stmt(db, sql[sections != 0]);
    int64_t n = -1;

    if (st == NULL || db_one_int64(st, &n) <= 0) {
        return -1;
    }
    return (long)n;
}
