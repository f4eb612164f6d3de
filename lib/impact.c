/*
 * impact: impact-ordered lists of the frequent terms (impact.h).  Layer:
 * lib/; depends on db, rank, searchcat and the FTS5 tokenizer API.
 */
#include "impact.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "clock.h"
#include "heap.h"
#include "rank.h"
#include "searchcat.h"
#include "strbuf.h"
#include "tokenizer.h"

#define ENTRY IMPACT_ENTRY_BYTES

static void
put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static uint32_t
get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

uint32_t
impact_entry_doc(const struct impact_list *l, size_t i)
{
    return get_le32(l->entries + i * ENTRY);
}

void
impact_entry_tf(const struct impact_list *l, size_t i, uint16_t tf[3])
{
    const unsigned char *p = l->entries + i * ENTRY + 8;
    int k;

    for (k = 0; k < 3; k++) {
        tf[k] = (uint16_t)(p[2 * k] | p[2 * k + 1] << 8);
    }
}

double
impact_entry_impact(const struct impact_list *l, size_t i)
{
    uint32_t u = get_le32(l->entries + i * ENTRY + 4);
    float f;

    memcpy(&f, &u, sizeof(f));
    return (double)f;
}

/* x as a float no smaller than x: stored impacts are bounds. */
static float
float_up(double x)
{
    float f = (float)x;

    return (double)f < x ? nextafterf(f, INFINITY) : f;
}

/* One candidate of a list being built. */
struct cand {
    uint32_t doc;
    double impact;
    uint16_t tf[3];
};

/* Min-heap on impact (then on the larger id: of equal impacts the smaller
 * ids stay, so a build is deterministic). */
static int
cand_worse(const struct cand *a, const struct cand *b)
{
    return a->impact < b->impact || (a->impact == b->impact && a->doc > b->doc);
}

HEAP_SIFT_DOWN(cand_sift, struct cand, cand_worse)

static int
cand_best_first(const void *a, const void *b)
{
    const struct cand *x = a, *y = b;

    return cand_worse(y, x) ? -1 : cand_worse(x, y) ? 1 : 0;
}

/* Offer document did (its counts t) to the list being built: heap holds
 * the best IMPACT_LIST_MAX so far (*n of them), *bound the best of those
 * pushed out.  Its impact, or -1 for an id the catalog does not have. */
static double
offer(const struct searchcat *cat, const double avg[3], int64_t did,
      const uint16_t t[3], struct cand *heap, size_t *n, double *bound)
{
    const struct searchcat_doc *d;
    double len[RANK_NCOL];
    struct cand c;
    size_t i;

    if (did <= 0 || (size_t)did >= cat->ndoc || did > UINT32_MAX) {
        return -1.0;
    }
    d = &cat->doc[did];
    len[0] = d->ntok[0];
    len[1] = d->ntok[1];
    len[2] = d->ntok[2];
    c.doc = (uint32_t)did;
    memcpy(c.tf, t, sizeof(c.tf));
    c.impact = rank_saturation(t, len, avg, d->hub);
    if (*n < IMPACT_LIST_MAX) {
        heap[(*n)++] = c;
        if (*n == IMPACT_LIST_MAX) {
            for (i = *n / 2; i-- > 0;) {
                cand_sift(heap, *n, i);
            }
        }
    } else if (cand_worse(&heap[0], &c)) {
        if (heap[0].impact > *bound) {
            *bound = heap[0].impact;
        }
        heap[0] = c;
        cand_sift(heap, *n, 0);
    } else if (c.impact > *bound) {
        *bound = c.impact;
    }
    return c.impact;
}

/* Append to sb term_docs' entry (migration 0008) of document did after
 * document prev, with impact x in [0, 1]. */
static void
docs_put(struct strbuf *sb, uint32_t prev, uint32_t did, double x)
{
    uint32_t gap = did - prev;
    double q = ceil(x * IMPACT_DOCS_SCALE);
    unsigned v;

    while (gap >= 0x80) {
        strbuf_putc(sb, (int)(0x80 | (gap & 0x7f)));
        gap >>= 7;
    }
    strbuf_putc(sb, (int)gap);
    /* ceil leaves q / scale >= x; clamped, x <= 1 keeps it so. */
    v = q < 0.0 ? 0 : q > IMPACT_DOCS_SCALE ? IMPACT_DOCS_SCALE : (unsigned)q;
    strbuf_putc(sb, (int)(v & 0xff));
    strbuf_putc(sb, (int)(v >> 8));
}

/* Take the document cur (counts t) into the list being built and into
 * term_docs' entries docs (*prev: the last id there). */
static void
take(const struct searchcat *cat, const double avg[3], int64_t cur,
     const uint16_t t[3], struct cand *heap, size_t *n, double *bound,
     struct strbuf *docs, uint32_t *prev)
{
    double x = offer(cat, avg, cur, t, heap, n, bound);

    if (x >= 0.0) {
        docs_put(docs, *prev, (uint32_t)cur, x);
        *prev = (uint32_t)cur;
    }
}

/* The statements on the two pairs of tables (migration 0011): slot 0 is
 * term_impact and term_docs, slot 1 term_impact_1 and term_docs_1. */
static const char *const list_put_sql[2] = {
    "INSERT INTO term_impact(term, df, bound, list) VALUES (:t, :df, :b, :l)",
    "INSERT INTO term_impact_1(term, df, bound, list)"
    " VALUES (:t, :df, :b, :l)"};
static const char *const docs_put_sql[2] = {
    "INSERT INTO term_docs(term, docs) VALUES (:t, :d)",
    "INSERT INTO term_docs_1(term, docs) VALUES (:t, :d)"};
static const char *const list_get_sql[2] = {
    "SELECT bound, list, df FROM term_impact WHERE term = :t",
    "SELECT bound, list, df FROM term_impact_1 WHERE term = :t"};
static const char *const docs_get_sql[2] = {
    "SELECT docs FROM term_docs WHERE term = :t",
    "SELECT docs FROM term_docs_1 WHERE term = :t"};
/* A slot emptied a row at a time (a build outside a transaction does it
 * in many short ones: a row of term_docs is up to 3 bytes a document,
 * whose pages are read to be freed), or at once (inside one). */
static const char *const clear_some_sql[2][2] = {
    {"DELETE FROM term_impact WHERE term IN"
     " (SELECT term FROM term_impact LIMIT 1)",
     "DELETE FROM term_docs WHERE rowid IN"
     " (SELECT rowid FROM term_docs LIMIT 1)"},
    {"DELETE FROM term_impact_1 WHERE term IN"
     " (SELECT term FROM term_impact_1 LIMIT 1)",
     "DELETE FROM term_docs_1 WHERE rowid IN"
     " (SELECT rowid FROM term_docs_1 LIMIT 1)"}};
static const char *const clear_all_sql[2] = {
    "DELETE FROM term_impact; DELETE FROM term_docs",
    "DELETE FROM term_impact_1; DELETE FROM term_docs_1"};

/* A build under way (impact_build). */
struct build {
    struct db *w;
    const struct impact_online *o; /* NULL: inside the caller's transaction */
    int slot;                      /* the pair it fills */
    int live;                      /* the pair in use when it began, or -1 */
    int64_t seq;                   /* its number (setting impact_build) */
    int64_t gen;  /* the search generation of the catalog it read */
    int64_t upto; /* the largest document id indexed then */
    struct searchcat *cat;
    struct cand *heap;
    int stopped; /* o->between said stop */
    int swapped; /* its lists are in use */
};

/* One term's list and row of term_docs, built and not yet stored. */
struct row {
    char *term;
    long df;
    double bound;
    unsigned char *list;
    size_t nlist; /* bytes */
    char *docs;
    size_t ndocs; /* bytes */
};

static void
row_free(struct row *r)
{
    kw_free(r->term);
    kw_free(r->list);
    kw_free(r->docs);
    memset(r, 0, sizeof(*r));
}

/* Build the list of one term (the token tok, df documents by the
 * vocabulary) and its row of term_docs into *out.  Its occurrences come
 * from the index itself (fts5vocab's instances), not from a query, which
 * would stem the token again.  Documents past b->upto were indexed after
 * the catalog was read: searches score them by their ids (impact_meta's
 * upto), so they are left out.  0 or -1. */
static int
build_one(struct build *b, const char *tok, long df, struct row *out)
{
    static const char inst_sql[] =
        "SELECT doc, col FROM temp.impact_inst WHERE term = :t";
    sqlite3_stmt *st = db_stmt(b->w, inst_sql);
    struct strbuf docs = STRBUF_INIT;
    struct cand *heap = b->heap;
    size_t n = 0, i;
    double bound = 0.0;
    const double *avg = b->cat->avg_ntok;
    int64_t cur = 0;
    uint32_t prev = 0;
    uint16_t t[3] = {0, 0, 0};
    int rc;

    memset(out, 0, sizeof(*out));
    if (st == NULL || db_bind_text(st, ":t", tok) != SQLITE_OK) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t did = sqlite3_column_int64(st, 0);
        const char *col = (const char *)sqlite3_column_text(st, 1);
        int k = col == NULL ? -1 : col[0] == 't' ? 0 : col[0] == 'h' ? 1 : 2;

        if (did != cur) {
            if (cur != 0 && cur <= b->upto) {
                take(b->cat, avg, cur, t, heap, &n, &bound, &docs, &prev);
            }
            cur = did;
            t[0] = t[1] = t[2] = 0;
        }
        if (k >= 0 && t[k] < UINT16_MAX) {
            t[k]++;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        strbuf_free(&docs);
        return -1;
    }
    if (cur != 0 && cur <= b->upto) {
        take(b->cat, avg, cur, t, heap, &n, &bound, &docs, &prev);
    }
    qsort(heap, n, sizeof(*heap), cand_best_first);
    out->term = kw_strdup(tok);
    out->list = kw_malloc(n * ENTRY + 1);
    out->docs = strbuf_detach(&docs, &out->ndocs);
    if (out->term == NULL || out->list == NULL || out->docs == NULL ||
        !strbuf_ok(&docs)) {
        row_free(out);
        return -1;
    }
    for (i = 0; i < n; i++) {
        float f = float_up(heap[i].impact);
        unsigned char *e = out->list + i * ENTRY;
        uint32_t u;
        int k;

        memcpy(&u, &f, sizeof(u));
        put_le32(e, heap[i].doc);
        put_le32(e + 4, u);
        for (k = 0; k < 3; k++) {
            e[8 + 2 * k] = (unsigned char)heap[i].tf[k];
            e[9 + 2 * k] = (unsigned char)(heap[i].tf[k] >> 8);
        }
    }
    out->nlist = n * ENTRY;
    out->df = df;
    out->bound = (double)float_up(bound);
    return 0;
}

/* Store r in slot.  0 or -1. */
static int
row_put(struct db *w, int slot, const struct row *r)
{
    sqlite3_stmt *st = db_stmt(w, list_put_sql[slot]);

    if (st == NULL || db_bind_text(st, ":t", r->term) != SQLITE_OK ||
        db_bind_int64(st, ":df", r->df) != SQLITE_OK ||
        sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, ":b"),
                            r->bound) != SQLITE_OK ||
        db_bind_blob(st, ":l", r->list, r->nlist) != SQLITE_OK ||
        db_step_done(st) < 0) {
        return -1;
    }
    st = db_stmt(w, docs_put_sql[slot]);
    if (st == NULL || db_bind_text(st, ":t", r->term) != SQLITE_OK ||
        db_bind_blob(st, ":d", r->docs, r->ndocs) != SQLITE_OK ||
        db_step_done(st) < 0) {
        return -1;
    }
    return 0;
}

/* Take the next build number and choose the slot: the pair not in use.
 * Inside a write. */
static int
claim(struct build *b)
{
    static const char next[] =
        "UPDATE setting SET value = CAST(value AS INTEGER) + 1"
        " WHERE key = 'impact_build'";
    static const char live[] = "SELECT slot FROM impact_meta WHERE id = 1";
    sqlite3_stmt *st;
    int64_t s = -1;
    int got;

    if ((st = db_stmt(b->w, next)) == NULL || db_step_done(st) < 0 ||
        db_setting_int(b->w, "impact_build", &b->seq) < 0 ||
        (st = db_stmt(b->w, live)) == NULL ||
        (got = db_one_int64(st, &s)) < 0) {
        return -1;
    }
    b->live = got == 1 && (s == 0 || s == 1) ? (int)s : -1;
    b->slot = b->live == 0 ? 1 : 0;
    return 0;
}

/* Begin one of an online build's write transactions (nothing inside the
 * caller's): 1 when the build is still the newest, 0 when a newer one
 * began (nothing held then), -1 (b->stopped when o->between, asked while
 * the lock was busy, said stop). */
static int
step_begin(struct build *b)
{
    int64_t seq = 0;
    int rc, tries;

    if (b->o == NULL) {
        return 1;
    }
    /* An ingest beside it holds the lock for a group at a time. */
    for (tries = 0; (rc = db_write_begin(b->w)) == SQLITE_BUSY && tries < 12;
         tries++) {
        if (b->o->between != NULL && b->o->between(b->o->ctx) != 0) {
            b->stopped = 1;
            return -1;
        }
    }
    if (rc != SQLITE_OK) {
        return -1;
    }
    if (db_setting_int(b->w, "impact_build", &seq) < 0) {
        db_write_rollback(b->w);
        return -1;
    }
    if (seq != b->seq) {
        db_write_rollback(b->w);
        return 0;
    }
    return 1;
}

/* End what step_begin began: commit when ok, else roll back; then a
 * checkpoint when the WAL has grown past db_wal_max, and o->between.
 * 0 or -1 (b->stopped set when o->between said stop). */
static int
step_end(struct build *b, int ok)
{
    const struct impact_online *o = b->o;

    if (o == NULL) {
        return ok ? 0 : -1;
    }
    if (!ok) {
        db_write_rollback(b->w);
        return -1;
    }
    if (db_write_commit(b->w) != SQLITE_OK) {
        return -1;
    }
    /* Every writer waits for a checkpoint (it is under the lock), so a
     * little at a time: copying 64 MB at wal_restart_bytes had taken up to
     * 4 s at 300,000 documents.  A passive one, after which the next write
     * starts the WAL from its beginning; truncating only when readers kept
     * it from that and the file passed db_wal_max.  Busy will do. */
    if (db_wal_frames(b->w) >= IMPACT_CHECKPOINT_PAGES) {
        int rc = db_checkpoint(b->w, db_wal_max(b->w) > 0 &&
                                         db_wal_size(b->w) > db_wal_max(b->w));

        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            return -1;
        }
    }
    if (o->between != NULL && o->between(o->ctx) != 0) {
        b->stopped = 1;
        return -1;
    }
    return 0;
}

/* Empty slot: at once inside the caller's transaction, else a row at a
 * time in transactions of about o->write_ms.  0, IMPACT_GAVE_WAY, or -1
 * (b->stopped when told to stop). */
static long
clear_slot(struct build *b, int slot)
{
    long ms;
    int k;

    if (b->o == NULL) {
        return db_exec(b->w, clear_all_sql[slot]) == SQLITE_OK ? 0 : -1;
    }
    ms = b->o->write_ms > 0 ? b->o->write_ms : IMPACT_WRITE_MS;
    for (k = 0; k < 2; k++) {
        int more = 1;

        while (more) {
            long long t0 = clock_now_ms();
            int got = step_begin(b), ok = 1;

            if (got <= 0) {
                return got == 0 ? IMPACT_GAVE_WAY : -1;
            }
            do {
                sqlite3_stmt *st = db_stmt(b->w, clear_some_sql[slot][k]);

                ok = st != NULL && db_step_done(st) == 0;
                more = ok && sqlite3_changes(db_handle(b->w)) > 0;
            } while (more && clock_now_ms() - t0 < ms);
            if (step_end(b, ok) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Make b's slot the one in use: impact_meta, and impact_late anew.  What
 * was indexed again after the catalog was read (gen) may be in the new
 * lists as it was or as it is: every such document with an id they cover
 * is in search_change past gen, and goes to impact_late, so searches score
 * it and skip its entries.  A signal's row is logged at the next
 * generation, so one set just before the read is taken too, which costs a
 * lookup and never a wrong page.  Online, IMPACT_GAVE_WAY when the change
 * log no longer reaches back to gen (pruned, or cut by a reindex).  Inside
 * a write. */
static long
flip(struct build *b, long min_df)
{
    static const char meta_sql[] =
        "INSERT OR REPLACE INTO impact_meta(id, upto, avg_title, avg_heading,"
        " avg_body, min_df, built_at, rank_params, slot)"
        " VALUES (1, :u, :a0, :a1, :a2, :n,"
        " strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), :p, :s)";
    static const char late_sql[] =
        "INSERT INTO impact_late(document_id)"
        " SELECT DISTINCT document_id FROM search_change"
        " WHERE gen > :g AND document_id <= :u";
    const struct searchcat *cat = b->cat;
    char params[RANK_PARAMS_MAX];
    sqlite3_stmt *st;
    int64_t floor = 0;
    int k;

    /* Inside one transaction, nothing changed since the read. */
    if (b->o != NULL) {
        if (db_setting_int(b->w, "search_change_floor", &floor) < 0) {
            return -1;
        }
        if (floor > b->gen) {
            return IMPACT_GAVE_WAY;
        }
    }
    rank_params(params, sizeof(params));
    st = db_stmt(b->w, meta_sql);
    if (st == NULL || db_bind_int64(st, ":u", b->upto) != SQLITE_OK ||
        db_bind_int64(st, ":n", min_df) != SQLITE_OK ||
        db_bind_text(st, ":p", params) != SQLITE_OK ||
        db_bind_int64(st, ":s", b->slot) != SQLITE_OK) {
        return -1;
    }
    for (k = 0; k < 3; k++) {
        char name[4] = {':', 'a', (char)('0' + k), '\0'};

        if (sqlite3_bind_double(st, sqlite3_bind_parameter_index(st, name),
                                cat->avg_ntok[k]) != SQLITE_OK) {
            sqlite3_reset(st);
            return -1;
        }
    }
    if (db_step_done(st) < 0 ||
        db_exec(b->w, "DELETE FROM impact_late") != SQLITE_OK ||
        (st = db_stmt(b->w, late_sql)) == NULL ||
        db_bind_int64(st, ":g", b->gen) != SQLITE_OK ||
        db_bind_int64(st, ":u", b->upto) != SQLITE_OK || db_step_done(st) < 0) {
        return -1;
    }
    return 0;
}

/* The catalog, the search generation and the largest indexed id, read in
 * one snapshot (inside the caller's transaction, or a read of its own).
 * 0 or -1. */
static int
snapshot(struct build *b)
{
    static const char upto_sql[] =
        "SELECT coalesce(max(id), 0) FROM doc_fts_docsize";
    sqlite3_stmt *st;
    int rc = -1;

    if (b->o != NULL && db_exec(b->w, "BEGIN") != SQLITE_OK) {
        return -1;
    }
    if (db_setting_int(b->w, "search_generation", &b->gen) >= 0 &&
        (st = db_stmt(b->w, upto_sql)) != NULL &&
        db_one_int64(st, &b->upto) >= 0 &&
        searchcat_build(b->w, b->gen, &b->cat) == 0) {
        rc = 0;
    }
    if (b->o != NULL) {
        db_exec(b->w, rc == 0 ? "COMMIT" : "ROLLBACK");
    }
    return rc;
}

/* The vocabulary's frequent terms. */
struct term {
    char *tok;
    long df;
};

/* The tokens held by at least min_df documents into *terms and *nterm.
 * 0 or -1. */
static int
frequent_terms(struct db *w, long min_df, struct term **terms, size_t *nterm)
{
    static const char vocab_sql[] =
        "SELECT term, doc FROM temp.impact_vocab WHERE doc >= :n";
    sqlite3_stmt *st = db_stmt(w, vocab_sql);
    size_t cap = 0;
    int rc;

    if (st == NULL || db_bind_int64(st, ":n", min_df) != SQLITE_OK) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        size_t tn = (size_t)sqlite3_column_bytes(st, 0);

        /* The section break is a token of the index, never of a query. */
        if (t == NULL || tn == 0 || tn > IMPACT_MAX_TERM ||
            memchr(t, TOKENIZER_SECTION_BREAK, tn) != NULL) {
            continue;
        }
        if (*nterm == cap) {
            struct term *g;

            cap = cap ? 2 * cap : 256;
            g = kw_realloc(*terms, cap * sizeof(**terms));
            if (g == NULL) {
                break;
            }
            *terms = g;
        }
        if (((*terms)[*nterm].tok = kw_strndup(t, tn)) == NULL) {
            break;
        }
        (*terms)[(*nterm)++].df = (long)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The lists of terms[0..nterm) built and stored in b's slot, in
 * transactions of about o->batch_bytes when online.  The number stored,
 * IMPACT_GAVE_WAY, or -1. */
static long
fill(struct build *b, const struct term *terms, size_t nterm)
{
    size_t max = b->o == NULL            ? 1
                 : b->o->batch_bytes > 0 ? b->o->batch_bytes
                                         : IMPACT_BATCH_BYTES;
    struct row *rows = NULL;
    size_t cap = 0, nrow = 0, i = 0, j;
    long stored = 0;

    while (i < nterm) {
        size_t bytes = 0;
        int got, ok = 1;

        /* Built outside any write: the lock is held only to store them. */
        while (i < nterm && bytes < max) {
            if (nrow == cap) {
                struct row *g;

                cap = cap ? 2 * cap : 16;
                if ((g = kw_realloc(rows, cap * sizeof(*rows))) == NULL) {
                    goto fail;
                }
                rows = g;
            }
            if (build_one(b, terms[i].tok, terms[i].df, &rows[nrow]) < 0) {
                goto fail;
            }
            bytes += rows[nrow].nlist + rows[nrow].ndocs + 1;
            nrow++;
            i++;
        }
        if ((got = step_begin(b)) <= 0) {
            stored = got == 0 ? IMPACT_GAVE_WAY : -1;
            goto out;
        }
        for (j = 0; j < nrow && ok; j++) {
            ok = row_put(b->w, b->slot, &rows[j]) == 0;
        }
        if (step_end(b, ok) < 0) {
            goto fail;
        }
        stored += (long)nrow;
        for (j = 0; j < nrow; j++) {
            row_free(&rows[j]);
        }
        nrow = 0;
    }
    goto out;
fail:
    stored = -1;
out:
    for (j = 0; j < nrow; j++) {
        row_free(&rows[j]);
    }
    kw_free(rows);
    return stored;
}

long
impact_build(struct db *w, long min_df, const struct impact_online *o)
{
    struct build b;
    struct term *terms = NULL;
    size_t nterm = 0, i;
    long built = -1, got;

    memset(&b, 0, sizeof(b));
    b.w = w;
    b.o = o;
    if (min_df <= 0) {
        min_df = IMPACT_MIN_DF;
    }
    /* Online, the claim is a write transaction of its own. */
    if (o != NULL && db_write_begin(w) != SQLITE_OK) {
        return -1;
    }
    got = claim(&b);
    if (o != NULL) {
        if (got < 0) {
            db_write_rollback(w);
        } else if (db_write_commit(w) != SQLITE_OK) {
            got = -1;
        }
    }
    if (got < 0 || snapshot(&b) < 0 ||
        (b.heap = kw_malloc(IMPACT_LIST_MAX * sizeof(*b.heap))) == NULL ||
        db_exec(w, "DROP TABLE IF EXISTS temp.impact_vocab;"
                   " DROP TABLE IF EXISTS temp.impact_inst;"
                   " CREATE VIRTUAL TABLE temp.impact_vocab"
                   " USING fts5vocab(main, doc_fts, row);"
                   " CREATE VIRTUAL TABLE temp.impact_inst"
                   " USING fts5vocab(main, doc_fts, instance)") != SQLITE_OK ||
        frequent_terms(w, min_df, &terms, &nterm) < 0) {
        goto out;
    }
    /* What a build that stopped halfway left there. */
    if ((got = clear_slot(&b, b.slot)) != 0 ||
        (got = fill(&b, terms, nterm)) < 0) {
        built = got;
        goto out;
    }
    built = got;
    if ((got = step_begin(&b)) <= 0) {
        built = got == 0 ? IMPACT_GAVE_WAY : -1;
        goto out;
    }
    got = flip(&b, min_df);
    if (step_end(&b, got == 0) < 0 && !b.stopped) {
        built = got == IMPACT_GAVE_WAY ? got : -1;
        goto out;
    }
    b.swapped = 1;
    /* The lists in use before: emptied (a newer build that began meanwhile
     * fills that pair, and this stops at its next step). */
    if (b.live >= 0 && !b.stopped && clear_slot(&b, b.live) == -1 &&
        !b.stopped) {
        built = -1;
    }
out:
    if (b.stopped && !b.swapped) {
        built = IMPACT_STOPPED;
    }
    db_exec(w, "DROP TABLE IF EXISTS temp.impact_vocab;"
               " DROP TABLE IF EXISTS temp.impact_inst");
    for (i = 0; i < nterm; i++) {
        kw_free(terms[i].tok);
    }
    kw_free(terms);
    kw_free(b.heap);
    searchcat_unref(b.cat);
    return built;
}

int
impact_meta_read(struct db *db, struct impact_meta *m)
{
    static const char sql[] =
        "SELECT upto, avg_title, avg_heading, avg_body, min_df, slot"
        " FROM impact_meta WHERE id = 1 AND rank_params = :p";
    sqlite3_stmt *st = db_stmt(db, sql);
    char params[RANK_PARAMS_MAX];
    int rc;

    memset(m, 0, sizeof(*m));
    rank_params(params, sizeof(params));
    if (st == NULL || db_bind_text(st, ":p", params) != SQLITE_OK) {
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        m->upto = sqlite3_column_int64(st, 0);
        m->avg[0] = sqlite3_column_double(st, 1);
        m->avg[1] = sqlite3_column_double(st, 2);
        m->avg[2] = sqlite3_column_double(st, 3);
        m->min_df = (long)sqlite3_column_int64(st, 4);
        m->slot = sqlite3_column_int(st, 5) == 1;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

long
impact_refresh(struct db *w, const struct impact_online *o)
{
    static const char counts[] =
        "SELECT (SELECT count(*) FROM doc_fts_docsize),"
        " (SELECT count(*) FROM doc_fts_docsize WHERE id > :u)"
        " + (SELECT count(*) FROM impact_late)";
    struct impact_meta m;
    sqlite3_stmt *st;
    long all = 0, late = 0;
    int have = impact_meta_read(w, &m), rc;

    if (have < 0 || (st = db_stmt(w, counts)) == NULL ||
        db_bind_int64(st, ":u", have ? m.upto : 0) != SQLITE_OK) {
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        all = (long)sqlite3_column_int64(st, 0);
        late = (long)sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW) {
        return -1;
    }
    if (!have) {
        return all >= IMPACT_MIN_DF ? impact_build(w, IMPACT_MIN_DF, o) : 0;
    }
    if (late > IMPACT_STALE_MIN && late > (all - late) / IMPACT_STALE_PART) {
        return impact_build(w, m.min_df, o);
    }
    return 0;
}

int
impact_note_put(struct db *w, int64_t doc)
{
    static const char sql[] =
        "INSERT OR IGNORE INTO impact_late(document_id)"
        " SELECT :d FROM impact_meta WHERE id = 1 AND upto >= :d";

    return db_run_int64(w, sql, ":d", doc);
}

int
impact_late_read(struct db *db, int64_t **ids, size_t *n)
{
    static const char sql[] =
        "SELECT document_id FROM impact_late ORDER BY document_id";
    sqlite3_stmt *st = db_stmt(db, sql);
    size_t cap = 0;
    int rc;

    *ids = NULL;
    *n = 0;
    if (st == NULL) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            int64_t *g;

            cap = cap ? 2 * cap : 64;
            g = kw_realloc(*ids, cap * sizeof(**ids));
            if (g == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            *ids = g;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        kw_free(*ids);
        *ids = NULL;
        *n = 0;
        return -1;
    }
    return 0;
}

/* A copy of column col of st's row (*len bytes; one more allocated, so
 * an empty blob is not NULL), or NULL when out of memory. */
static unsigned char *
copy_blob(sqlite3_stmt *st, int col, size_t *len)
{
    const void *p = sqlite3_column_blob(st, col);
    unsigned char *c;

    *len = (size_t)sqlite3_column_bytes(st, col);
    if ((c = kw_malloc(*len + 1)) != NULL && *len > 0) {
        memcpy(c, p, *len);
    }
    return c;
}

int
impact_list_read(struct db *db, const struct impact_meta *m, const char *term,
                 size_t n, struct impact_list *out)
{
    sqlite3_stmt *st = db_stmt(db, list_get_sql[m->slot]);
    int rc;

    memset(out, 0, sizeof(*out));
    if (st == NULL || db_bind_textn(st, ":t", term, n) != SQLITE_OK) {
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        size_t bytes;

        out->bound = sqlite3_column_double(st, 0);
        out->df = (long)sqlite3_column_int64(st, 2);
        out->entries = copy_blob(st, 1, &bytes);
        out->n = bytes / ENTRY;
        if (out->entries == NULL) {
            rc = SQLITE_NOMEM;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

void
impact_list_free(struct impact_list *l)
{
    kw_free(l->entries);
    memset(l, 0, sizeof(*l));
}

int
impact_docs_read(struct db *db, const struct impact_meta *m, const char *term,
                 size_t n, struct impact_docs *out)
{
    sqlite3_stmt *st = db_stmt(db, docs_get_sql[m->slot]);
    int rc;

    memset(out, 0, sizeof(*out));
    if (st == NULL || db_bind_textn(st, ":t", term, n) != SQLITE_OK) {
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && (out->data = copy_blob(st, 0, &out->len)) == NULL) {
        rc = SQLITE_NOMEM;
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

int
impact_docs_next(struct impact_docs *d, uint32_t *doc, double *impact)
{
    uint64_t gap = 0;
    int shift = 0;

    if (d->pos == d->len) {
        return 0;
    }
    for (;;) {
        unsigned char c;

        if (d->pos == d->len || shift > 28) {
            return -1;
        }
        c = d->data[d->pos++];
        gap |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            break;
        }
        shift += 7;
    }
    if (d->len - d->pos < 2 || gap == 0 || gap > UINT32_MAX - d->doc) {
        return -1;
    }
    d->doc += (uint32_t)gap;
    *doc = d->doc;
    *impact = (double)(d->data[d->pos] | d->data[d->pos + 1] << 8) /
              IMPACT_DOCS_SCALE;
    d->pos += 2;
    return 1;
}

void
impact_docs_free(struct impact_docs *d)
{
    kw_free(d->data);
    memset(d, 0, sizeof(*d));
}

/* 1 when id is in the ascending ids[0..n). */
static int
sorted_has(const int64_t *ids, size_t n, int64_t id)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (ids[mid] < id) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo < n && ids[lo] == id;
}

/* Whether document doc of cat is published. */
static int
cat_published(const struct searchcat *cat, int64_t doc)
{
    return doc > 0 && (uint64_t)doc < cat->ndoc && cat->doc[doc].coll != 0;
}

long
impact_docs_df(struct db *db, const struct searchcat *cat, const char *term,
               size_t n, const char *m)
{
    static const char new_sql[] = "SELECT count(*) FROM doc_fts"
                                  " WHERE doc_fts MATCH :m AND rowid > :u";
    static const char one_sql[] = "SELECT count(*) FROM doc_fts"
                                  " WHERE doc_fts MATCH :m AND rowid = :d";
    static const char nlate_sql[] =
        "SELECT count(*) FROM (SELECT 1 FROM impact_late LIMIT :n)";
    struct impact_meta meta;
    struct impact_docs d;
    sqlite3_stmt *st;
    int64_t *late = NULL, c = 0;
    size_t nlate = 0, i;
    long df = 0;
    uint32_t doc;
    double x;
    int got;

    if ((got = impact_meta_read(db, &meta)) <= 0) {
        return got < 0 ? -1 : -2;
    }
    /* Too many indexed again: the index is counted, and impact_late (a
     * tenth of the corpus before a rebuild) is not read. */
    st = db_stmt(db, nlate_sql);
    if (st == NULL ||
        db_bind_int64(st, ":n", IMPACT_DF_LATE_MAX + 1) != SQLITE_OK ||
        db_one_int64(st, &c) < 0) {
        return -1;
    }
    if (c > IMPACT_DF_LATE_MAX) {
        return -2;
    }
    if (impact_late_read(db, &late, &nlate) < 0) {
        return -1;
    }
    if ((got = impact_docs_read(db, &meta, term, n, &d)) <= 0) {
        kw_free(late);
        return got == 0 ? -2 : -1;
    }
    /* The row's documents still in the index: published, and not indexed
     * again since the build (their words may have changed). */
    while ((got = impact_docs_next(&d, &doc, &x)) == 1) {
        df += cat_published(cat, doc) && !sorted_has(late, nlate, doc);
    }
    impact_docs_free(&d);
    if (got < 0) {
        kw_free(late);
        return -2; /* malformed: count the index */
    }
    /* Those indexed since: past the build's ids, and again below them. */
    st = db_stmt(db, new_sql);
    if (st == NULL || db_bind_text(st, ":m", m) != SQLITE_OK ||
        db_bind_int64(st, ":u", meta.upto) != SQLITE_OK ||
        db_one_int64(st, &c) < 0) {
        df = -1;
    } else {
        df += (long)c;
    }
    for (i = 0; i < nlate && df >= 0; i++) {
        if (!cat_published(cat, late[i])) {
            continue;
        }
        st = db_stmt(db, one_sql);
        c = 0;
        if (st == NULL || db_bind_text(st, ":m", m) != SQLITE_OK ||
            db_bind_int64(st, ":d", late[i]) != SQLITE_OK ||
            db_one_int64(st, &c) < 0) {
            df = -1;
        } else {
            df += (long)c;
        }
    }
    kw_free(late);
    return df;
}

/* What impact_tokens' callback collects. */
struct tokens {
    int n;   /* tokens seen (a colocated one counts too) */
    int max; /* room in out */
    char (*out)[IMPACT_MAX_TERM + 1];
    int too_long;
};

static int
collect(void *ctx, int tflags, const char *tok, int n, int s, int e)
{
    struct tokens *t = ctx;

    (void)tflags;
    (void)s;
    (void)e;
    if (t->n < t->max) {
        if (n < 0 || (size_t)n > IMPACT_MAX_TERM) {
            t->too_long = 1;
        } else {
            memcpy(t->out[t->n], tok, (size_t)n);
            t->out[t->n][n] = '\0';
        }
    }
    t->n++;
    return SQLITE_OK;
}

int
impact_tokens(struct db *db, const char *w, size_t wn,
              char (*out)[IMPACT_MAX_TERM + 1], int max)
{
    /* doc_fts's tokenize = 'porter kwtok sections'. */
    const char *args[] = {TOKENIZER_NAME, "sections"};
    fts5_api *api = tokenizer_fts5_api(db_handle(db));
    fts5_tokenizer tk;
    Fts5Tokenizer *t = NULL;
    void *ud = NULL;
    struct tokens got;
    int rc;

    memset(&got, 0, sizeof(got));
    got.max = max;
    got.out = out;
    if (api == NULL ||
        api->xFindTokenizer(api, "porter", &ud, &tk) != SQLITE_OK ||
        tk.xCreate(ud, args, 2, &t) != SQLITE_OK) {
        return -1;
    }
    rc = wn > 0x7fffffff
             ? SQLITE_TOOBIG
             : tk.xTokenize(t, &got, FTS5_TOKENIZE_QUERY, w, (int)wn, collect);
    tk.xDelete(t);
    if (rc != SQLITE_OK) {
        return -1;
    }
    return got.n > max || got.too_long ? 0 : got.n;
}

double
impact_drift(const struct impact_meta *m, const double avg[3])
{
    double c = 1.0;
    int k;

    /* rank_saturation reads a mean of 0 as 1. */
    for (k = 0; k < 3; k++) {
        double then = m->avg[k] > 0.0 ? m->avg[k] : 1.0;
        double now = avg[k] > 0.0 ? avg[k] : 1.0;

        if (now / then > c) {
            c = now / then;
        }
    }
    return c;
}
