/*
 * search: ranked full-text search with facets, and title suggest.  Layer:
 * lib/; depends on db, query, html, strbuf, sqlite3 and Jansson, never on
 * microhttpd.h or server/.  Every statement is a constant prepared once per
 * connection; user text reaches SQL only as bound values, and MATCH only
 * through query_build().  Nothing here writes to the database.
 */
#include "search.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "html.h"
#include "query.h"
#include "rank.h"
#include "render.h"
#include "strbuf.h"

/* What the statements of one search bind. */
struct search_filter {
    const char *match; /* FTS5 expression from query_build */
    int has_coll;
    uint32_t coll;    /* collection id when has_coll */
    const char *lang; /* NULL: any */
    int year;         /* 0: any */
};

/* A new JSON string of s (n bytes, borrowed) with NUL and invalid UTF-8
 * replaced by U+FFFD, so that no stored byte can make jansson refuse it;
 * JSON null for NULL; NULL when out of memory. */
static json_t *
json_text(const char *s, size_t n)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i = 0, k;
    json_t *j;

    if (s == NULL) {
        return json_null();
    }
    if (utf8_valid(s, n)) {
        return json_stringn(s, n);
    }
    while (i < n) {
        k = s[i] == '\0' ? 0
                         : utf8_seq_len((const unsigned char *)s + i, n - i);
        if (k == 0) {
            strbuf_puts(&sb, "\xef\xbf\xbd");
            i++;
        } else {
            strbuf_append(&sb, s + i, k);
            i += k;
        }
    }
    j = strbuf_ok(&sb) ? json_stringn(strbuf_peek(&sb), sb.len) : NULL;
    strbuf_free(&sb);
    return j;
}

/* Column col of the current row as a new JSON string (null for NULL). */
static json_t *
col_json(sqlite3_stmt *st, int col)
{
    const char *s = (const char *)sqlite3_column_text(st, col);

    return json_text(s, s != NULL ? (size_t)sqlite3_column_bytes(st, col) : 0);
}

/* json_object_set_new (v stolen) remembering a failure in *bad. */
static void
put(json_t *o, const char *key, json_t *v, int *bad)
{
    if (v == NULL || json_object_set_new(o, key, v) < 0) {
        *bad = 1;
    }
}

/* json_array_append_new (v stolen) remembering a failure in *bad. */
static void
append(json_t *a, json_t *v, int *bad)
{
    if (v == NULL || json_array_append_new(a, v) < 0) {
        *bad = 1;
    }
}

/* The URL of the document in the current row, whose collection name, path
 * and anchor are columns cn, cp and ca (ca < 0: no anchor), as a new JSON
 * string. */
static json_t *
row_url(sqlite3_stmt *st, const char *base, int cn, int cp, int ca)
{
    struct strbuf sb = STRBUF_INIT;
    const char *name = (const char *)sqlite3_column_text(st, cn);
    const char *path = (const char *)sqlite3_column_text(st, cp);
    const char *anchor =
        ca >= 0 ? (const char *)sqlite3_column_text(st, ca) : NULL;
    json_t *j = NULL;

    render_doc_url(&sb, base, name ? name : "", path ? path : "", anchor);
    if (strbuf_ok(&sb)) {
        j = json_string(strbuf_peek(&sb));
    }
    strbuf_free(&sb);
    return j;
}

/* Append snippet text s (n bytes, borrowed; hits between \x01 and \x02)
 * to sb as HTML: the text escaped, the markers as <mark> and </mark>.  A
 * marker byte that came from the section text itself can only open or
 * close a highlight, never unbalance the tags: a <mark> opens only when
 * none is open and is always closed. */
static void
snippet_html(struct strbuf *sb, const char *s, size_t n)
{
    size_t i, run = 0;
    int open = 0;

    for (i = 0; i < n; i++) {
        if (s[i] != '\x01' && s[i] != '\x02') {
            continue;
        }
        html_escape(sb, s + run, i - run);
        if (s[i] == '\x01' && !open) {
            strbuf_puts(sb, "<mark>");
            open = 1;
        } else if (s[i] == '\x02' && open) {
            strbuf_puts(sb, "</mark>");
            open = 0;
        }
        run = i + 1;
    }
    html_escape(sb, s + run, n - run);
    if (open) {
        strbuf_puts(sb, "</mark>");
    }
}

/* The snippet of section sid for the MATCH expression match, as a new JSON
 * string of HTML ("" when the section has no body). */
static json_t *
section_snippet(struct db *db, const char *match, int64_t sid, int *rc_out)
{
    /* 16 tokens: a Hangul syllable is one token, so fewer would cut a
     * Korean snippet to a few words. */
    static const char sql[] =
        "SELECT snippet(section_fts, 2, X'01', X'02', '\xe2\x80\xa6', 16)"
        " FROM section_fts WHERE section_fts MATCH :m AND rowid = :id";
    sqlite3_stmt *st = db_stmt(db, sql);
    struct strbuf sb = STRBUF_INIT;
    json_t *j = NULL;
    int rc;

    if (st == NULL || db_bind_text(st, ":m", match) != SQLITE_OK ||
        db_bind_int64(st, ":id", sid) != SQLITE_OK) {
        *rc_out = -1;
        return NULL;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *s = (const char *)sqlite3_column_text(st, 0);

        if (s != NULL) {
            snippet_html(&sb, s, (size_t)sqlite3_column_bytes(st, 0));
        }
        rc = SQLITE_DONE;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        *rc_out = -1;
    } else if (strbuf_ok(&sb)) {
        j = json_stringn(strbuf_peek(&sb), sb.len);
    }
    strbuf_free(&sb);
    return j;
}

/* One document of the match set, with its best section. */
struct hit {
    int64_t did, sid;
    double score; /* rank_score: lower is better */
    int exact;    /* title equals the query */
};

/* The match set of one query, built in one pass over the matching
 * sections, newest first. */
struct scan {
    const struct searchcat *cat;
    struct hit *hits;
    size_t n, cap;
    size_t *slot; /* open addressing on did: index + 1, 0 empty */
    size_t nslot;
};

static void
scan_free(struct scan *sc)
{
    kw_free(sc->hits);
    kw_free(sc->slot);
}

static size_t
did_hash(int64_t did, size_t nslot)
{
    return (size_t)((uint64_t)did * 0x9e3779b97f4a7c15ULL >> 17) & (nslot - 1);
}

/* Grow the table to twice its size and rehash.  0 or -1. */
static int
scan_grow(struct scan *sc)
{
    size_t n = sc->nslot ? sc->nslot * 2 : 1024, i, k;
    size_t *slot = kw_calloc(n, sizeof(*slot));
    struct hit *h = kw_realloc(sc->hits, n / 2 * sizeof(*h));

    if (slot == NULL || h == NULL) {
        kw_free(slot);
        if (h != NULL) {
            sc->hits = h;
        }
        return -1;
    }
    sc->hits = h;
    sc->cap = n / 2;
    for (i = 0; i < sc->n; i++) {
        k = did_hash(sc->hits[i].did, n);
        while (slot[k] != 0) {
            k = (k + 1) & (n - 1);
        }
        slot[k] = i + 1;
    }
    kw_free(sc->slot);
    sc->slot = slot;
    sc->nslot = n;
    return 0;
}

/* Add section sid of document did, scored score, to the match set: a new
 * document, or a better section of one. */
static int
scan_add(struct scan *sc, int64_t did, int64_t sid, double score)
{
    size_t k;
    struct hit *h;

    if (sc->n + 1 > sc->cap && scan_grow(sc) < 0) {
        return -1;
    }
    k = did_hash(did, sc->nslot);
    while (sc->slot[k] != 0) {
        h = &sc->hits[sc->slot[k] - 1];
        if (h->did == did) {
            /* Ties go to the earlier section (lower id). */
            if (score < h->score || (score == h->score && sid < h->sid)) {
                h->score = score;
                h->sid = sid;
            }
            return 0;
        }
        k = (k + 1) & (sc->nslot - 1);
    }
    h = &sc->hits[sc->n];
    sc->slot[k] = ++sc->n;
    h->did = did;
    h->sid = sid;
    h->score = score;
    h->exact = 0;
    return 0;
}

/* Result order: exact title first, then score, then document id, so that
 * pages never overlap. */
static int
hit_cmp(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;

    if (x->exact != y->exact) {
        return x->exact ? -1 : 1;
    }
    if (x->score != y->score) {
        return x->score < y->score ? -1 : 1;
    }
    return x->did < y->did ? -1 : x->did > y->did;
}

/* Mark the hits whose document's normalised title is tn1 or tn2. */
static int
mark_exact(struct db *db, struct scan *sc, const char *tn1, const char *tn2)
{
    static const char sql[] =
        "SELECT id FROM document WHERE status = 'published'"
        " AND title_norm IN (:tn1, :tn2)";
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc;

    if (st == NULL || db_bind_text(st, ":tn1", tn1) != SQLITE_OK ||
        db_bind_text(st, ":tn2", tn2) != SQLITE_OK) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t did = sqlite3_column_int64(st, 0);
        size_t k;

        if (sc->nslot == 0) {
            continue;
        }
        for (k = did_hash(did, sc->nslot); sc->slot[k] != 0;
             k = (k + 1) & (sc->nslot - 1)) {
            if (sc->hits[sc->slot[k] - 1].did == did) {
                sc->hits[sc->slot[k] - 1].exact = 1;
                break;
            }
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Restore the heap property below node i of the k-element heap h, whose
 * root is the worst hit (by hit_cmp). */
static void
sift_down(struct hit *h, size_t k, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, w = i;
        struct hit t;

        if (l < k && hit_cmp(&h[l], &h[w]) > 0) {
            w = l;
        }
        if (l + 1 < k && hit_cmp(&h[l + 1], &h[w]) > 0) {
            w = l + 1;
        }
        if (w == i) {
            return;
        }
        t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

/* Put the best k of the n hits first, in result order (the rest stay
 * behind them in no order): a heap of the k best so far, O(n log k),
 * instead of sorting all n when a page needs 20 of 20,000. */
static void
order_top(struct hit *h, size_t n, size_t k)
{
    size_t i;

    if (n < 2) {
        return;
    }
    if (k >= n / 2) {
        qsort(h, n, sizeof(*h), hit_cmp);
        return;
    }
    for (i = k / 2; i-- > 0;) {
        sift_down(h, k, i);
    }
    for (i = k; i < n; i++) {
        if (hit_cmp(&h[i], &h[0]) < 0) {
            struct hit t = h[0];

            h[0] = h[i];
            h[i] = t;
            sift_down(h, k, 0);
        }
    }
    qsort(h, k, sizeof(*h), hit_cmp);
}

/* The match set: one pass over the matching sections, newest first (FTS5
 * gives rowid order without sorting), keeping those of published
 * documents that pass the filters, at most SEARCH_MAX_SCAN of them.  What
 * a section's document is, and what the filters test, comes from the
 * catalog; the database is only asked for the matches and their term
 * counts. */
static int
scan_matches(struct db *db, const struct search_filter *f, const char *tn1,
             const char *tn2, struct scan *sc)
{
    static const char sql[] = "SELECT rowid, kwtf(section_fts) FROM section_fts"
                              " WHERE section_fts MATCH :m ORDER BY rowid DESC";
    const struct searchcat *cat = sc->cat;
    sqlite3_stmt *st = db_stmt(db, sql);
    size_t taken = 0;
    int rc, lang = -1;

    if (f->lang != NULL && (lang = searchcat_lang(cat, f->lang)) < 0) {
        return 0; /* no published document has that language */
    }
    if (st == NULL || db_bind_text(st, ":m", f->match) != SQLITE_OK) {
        return -1;
    }
    while (taken < SEARCH_MAX_SCAN && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t sid = sqlite3_column_int64(st, 0);
        const struct searchcat_doc *d;
        uint32_t did;

        if (sid <= 0 || (size_t)sid >= cat->nsec ||
            (did = cat->sec_doc[sid]) == 0 || did >= cat->ndoc) {
            continue; /* not a published document's section */
        }
        d = &cat->doc[did];
        if (d->coll == 0 || (f->has_coll && d->coll != f->coll) ||
            (lang >= 0 && d->lang != lang) ||
            (f->year > 0 && d->year != f->year)) {
            continue;
        }
        if (scan_add(sc, did, sid,
                     rank_score(sqlite3_column_blob(st, 1),
                                (size_t)sqlite3_column_bytes(st, 1),
                                cat->sec_bytes[sid])) < 0) {
            sqlite3_reset(st);
            return -1;
        }
        taken++;
    }
    if (taken == SEARCH_MAX_SCAN) {
        rc = SQLITE_DONE;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        return -1;
    }
    return mark_exact(db, sc, tn1, tn2);
}

/* Facet entries before sorting. */
struct facet {
    int64_t key; /* collection id, language index or year */
    long count;
    const char *name; /* collection name or language code, for ties */
    char *owned[2];   /* collection name and title */
};

static int
facet_by_count(const void *a, const void *b)
{
    const struct facet *x = a, *y = b;

    if (x->count != y->count) {
        return x->count > y->count ? -1 : 1;
    }
    return strcmp(x->name != NULL ? x->name : "",
                  y->name != NULL ? y->name : "");
}

static int
facet_by_key_desc(const void *a, const void *b)
{
    const struct facet *x = a, *y = b;

    return x->key > y->key ? -1 : x->key < y->key;
}

/* Count the hits per key (kind 0: collection, 1: language, 2: year) into
 * a new array of distinct keys; *n gets its length.  NULL when out of
 * memory (or with *n 0 when nothing has the key). */
static struct facet *
facet_count(const struct scan *sc, int kind, size_t *n)
{
    struct facet *fa = kw_calloc(sc->n + 1, sizeof(*fa));
    size_t i, j, *slot = NULL, nslot = 64;

    *n = 0;
    while (nslot < 2 * sc->n) {
        nslot *= 2;
    }
    slot = kw_calloc(nslot, sizeof(*slot));
    if (fa == NULL || slot == NULL) {
        kw_free(fa);
        kw_free(slot);
        return NULL;
    }
    for (i = 0; i < sc->n; i++) {
        const struct searchcat_doc *d = &sc->cat->doc[sc->hits[i].did];
        int64_t key = kind == 0 ? d->coll : kind == 1 ? d->lang : d->year;

        if ((kind == 1 && key == SEARCHCAT_NO_LANG) ||
            (kind == 2 && key == 0)) {
            continue;
        }
        j = did_hash(key, nslot);
        while (slot[j] != 0 && fa[slot[j] - 1].key != key) {
            j = (j + 1) & (nslot - 1);
        }
        if (slot[j] == 0) {
            slot[j] = ++*n;
            fa[*n - 1].key = key;
            if (kind == 1) {
                fa[*n - 1].name = sc->cat->langs[key];
            }
        }
        fa[slot[j] - 1].count++;
    }
    kw_free(slot);
    return fa;
}

/* The three facet lists of m from the match set. */
static int
put_facets(struct db *db, const struct scan *sc, json_t *m, int *bad)
{
    static const char coll_sql[] =
        "SELECT name, title FROM collection WHERE id = :id";
    json_t *facets = json_object_get(m, "facets");
    static const char *const list[] = {"collections", "languages", "years"};
    int kind, rc = 0;

    for (kind = 0; kind < 3 && rc == 0; kind++) {
        json_t *a = json_object_get(facets, list[kind]);
        size_t n, i;
        struct facet *fa = facet_count(sc, kind, &n);

        if (fa == NULL) {
            return -1;
        }
        if (kind == 0) {
            for (i = 0; i < n && rc == 0; i++) {
                sqlite3_stmt *st = db_stmt(db, coll_sql);

                if (st == NULL ||
                    db_bind_int64(st, ":id", fa[i].key) != SQLITE_OK) {
                    rc = -1;
                    break;
                }
                if (sqlite3_step(st) == SQLITE_ROW) {
                    fa[i].owned[0] = db_column_dup(st, 0);
                    fa[i].owned[1] = db_column_dup(st, 1);
                    fa[i].name = fa[i].owned[0];
                }
                sqlite3_reset(st);
            }
        }
        qsort(fa, n, sizeof(*fa),
              kind == 2 ? facet_by_key_desc : facet_by_count);
        for (i = 0; i < n && i < SEARCH_MAX_FACET && rc == 0; i++) {
            json_t *e = json_object();

            if (kind == 0) {
                const char *name = fa[i].owned[0], *title = fa[i].owned[1];

                put(e, "name", json_text(name, name ? strlen(name) : 0), bad);
                put(e, "title", json_text(title, title ? strlen(title) : 0),
                    bad);
            } else if (kind == 1) {
                put(e, "code", json_text(fa[i].name, strlen(fa[i].name)), bad);
            } else {
                put(e, "year", json_integer(fa[i].key), bad);
            }
            put(e, "count", json_integer(fa[i].count), bad);
            append(a, e, bad);
        }
        for (i = 0; i < n; i++) {
            kw_free(fa[i].owned[0]);
            kw_free(fa[i].owned[1]);
        }
        kw_free(fa);
    }
    return rc;
}

/* The result entry of hit h (its document and best section), or NULL
 * with *err set on a database error.  A document not published in this
 * snapshot gives NULL without an error: the catalog may be a little newer
 * than the snapshot, and a version published since must not show. */
static json_t *
result_row(struct db *db, const struct hit *h, const char *base, int *bad,
           int *err)
{
    static const char sql[] =
        "SELECT c.name, d.path, d.title, d.language, d.published_at, s.anchor"
        " FROM document d JOIN collection c ON c.id = d.collection_id,"
        " section s WHERE d.id = :d AND s.id = :s"
        " AND d.status = 'published'";
    sqlite3_stmt *st = db_stmt(db, sql);
    json_t *e = NULL;
    int rc;

    if (st == NULL || db_bind_int64(st, ":d", h->did) != SQLITE_OK ||
        db_bind_int64(st, ":s", h->sid) != SQLITE_OK) {
        *err = 1;
        return NULL;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        e = json_object();
        put(e, "id", json_integer(h->did), bad);
        put(e, "collection", col_json(st, 0), bad);
        put(e, "path", col_json(st, 1), bad);
        put(e, "url", row_url(st, base, 0, 1, 5), bad);
        put(e, "title", col_json(st, 2), bad);
        put(e, "language", col_json(st, 3), bad);
        put(e, "published_at",
            sqlite3_column_type(st, 4) == SQLITE_NULL
                ? json_null()
                : json_integer(sqlite3_column_int64(st, 4)),
            bad);
    } else if (rc != SQLITE_DONE) {
        *err = 1;
    }
    sqlite3_reset(st);
    return e;
}

/* One page of results, the facets and the total.  The match set comes
 * from one pass over the matching sections (scan_matches); documents are
 * ranked by their best section in memory, and snippets are made for the
 * page's rows only.  Returns 0 or -1. */
static int
run_search(struct db *db, const struct searchcat *cat,
           const struct search_filter *f, const char *tn1, const char *tn2,
           int limit, int offset, const char *base, json_t *m, int *bad)
{
    json_t *results = json_object_get(m, "results");
    struct scan sc;
    size_t i;
    int err = 0, rc = -1;

    memset(&sc, 0, sizeof(sc));
    sc.cat = cat;
    if (scan_matches(db, f, tn1, tn2, &sc) < 0) {
        goto out;
    }
    put(m, "total", json_integer((json_int_t)sc.n), bad);
    order_top(sc.hits, sc.n, (size_t)offset + (size_t)limit);
    for (i = (size_t)offset; i < sc.n && i < (size_t)offset + (size_t)limit;
         i++) {
        json_t *e = result_row(db, &sc.hits[i], base, bad, &err);

        if (err) {
            goto out;
        }
        if (e == NULL) {
            continue;
        }
        put(e, "snippet_html",
            section_snippet(db, f->match, sc.hits[i].sid, &err), bad);
        append(results, e, bad);
        if (err) {
            goto out;
        }
    }
    if (put_facets(db, &sc, m, bad) < 0) {
        goto out;
    }
    rc = 0;
out:
    scan_free(&sc);
    return rc;
}

/* The id of the collection called name: 1 with *id set, 0 when there is
 * none, -1 on a database error. */
static int
collection_id(struct db *db, const char *name, int64_t *id)
{
    static const char sql[] = "SELECT id FROM collection WHERE name = :n";
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc;

    if (st == NULL || db_bind_text(st, ":n", name) != SQLITE_OK) {
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Length of the first QUERY_MAX_BYTES bytes of s (n bytes), cut back so
 * that no UTF-8 sequence is split. */
static size_t
cut_len(const char *s, size_t n)
{
    int k;

    if (n <= QUERY_MAX_BYTES) {
        return n;
    }
    n = QUERY_MAX_BYTES;
    for (k = 0; k < 3 && ((unsigned char)s[n] & 0xc0) == 0x80; k++) {
        n--;
    }
    return n;
}

int
search_run(struct db *db, const struct search_params *p, const char *base,
           json_t **out)
{
    struct searchcat *cat;
    int rc;

    *out = NULL;
    if (searchcat_build(db, 0, &cat) < 0) {
        return -1;
    }
    rc = search_run_cat(db, cat, p, base, out);
    searchcat_unref(cat);
    return rc;
}

int
search_run_cat(struct db *db, const struct searchcat *cat,
               const struct search_params *p, const char *base, json_t **out)
{
    struct strbuf match = STRBUF_INIT, tn1 = STRBUF_INIT, tn2 = STRBUF_INIT;
    struct strbuf terms = STRBUF_INIT;
    struct query_info info;
    struct search_filter f;
    json_t *m = json_object(), *results = json_array(), *facets = json_object();
    const char *q = p->q != NULL ? p->q : "";
    size_t qlen = cut_len(q, strlen(q));
    int page = p->page, per_page = p->per_page, bad = 0, rc = -1, k;

    *out = NULL;
    if (page < 1) {
        page = 1;
    } else if (page > SEARCH_MAX_PAGE) {
        page = SEARCH_MAX_PAGE;
    }
    if (per_page <= 0) {
        per_page = SEARCH_PER_PAGE;
    } else if (per_page > SEARCH_MAX_PER_PAGE) {
        per_page = SEARCH_MAX_PER_PAGE;
    }
    put(m, "query", json_text(q, qlen), &bad);
    put(m, "total", json_integer(0), &bad);
    put(m, "page", json_integer(page), &bad);
    put(m, "per_page", json_integer(per_page), &bad);
    put(m, "results", json_incref(results), &bad);
    put(facets, "collections", json_array(), &bad);
    put(facets, "languages", json_array(), &bad);
    put(facets, "years", json_array(), &bad);
    put(m, "facets", json_incref(facets), &bad);
    if (bad || query_build(q, qlen, &match, &info) < 0) {
        goto out;
    }
    if (info.empty) {
        rc = 0;
        goto out;
    }

    /* Exact-title ranking: the whole text typed, and its positive terms
     * without the search syntax ("quotes", -exclusions, prefix*). */
    query_normalize_title(q, qlen, &tn1);
    for (k = 0; k < info.n_terms; k++) {
        if (!info.term[k].exclude) {
            if (terms.len > 0) {
                strbuf_putc(&terms, ' ');
            }
            strbuf_append(&terms, info.term[k].text, info.term[k].len);
        }
    }
    query_normalize_title(strbuf_peek(&terms), terms.len, &tn2);
    if (!strbuf_ok(&tn1) || !strbuf_ok(&terms) || !strbuf_ok(&tn2)) {
        goto out;
    }

    memset(&f, 0, sizeof(f));
    f.match = strbuf_peek(&match);
    if (p->collection != NULL && p->collection[0] != '\0') {
        int64_t id;
        int found = collection_id(db, p->collection, &id);

        if (found < 0) {
            goto out;
        }
        if (found == 0) {
            rc = bad ? -1 : 0; /* no such collection: nothing matches */
            goto out;
        }
        f.has_coll = 1;
        f.coll = id > 0 && id <= UINT32_MAX ? (uint32_t)id : 0;
    }
    f.lang = p->lang != NULL && p->lang[0] != '\0' ? p->lang : NULL;
    if (p->year >= 1 && p->year <= 9999) {
        f.year = p->year;
    }
    if (run_search(db, cat, &f, strbuf_peek(&tn1), strbuf_peek(&tn2), per_page,
                   (page - 1) * per_page, base, m, &bad) < 0) {
        goto out;
    }
    rc = bad ? -1 : 0;
out:
    strbuf_free(&terms);
    strbuf_free(&tn2);
    strbuf_free(&tn1);
    strbuf_free(&match);
    json_decref(facets);
    json_decref(results);
    if (rc == 0) {
        *out = m;
    } else {
        json_decref(m);
    }
    return rc;
}

size_t
search_chunk_len(const char *s, size_t n)
{
    size_t i, k;

    if (n <= SEARCH_CHUNK_BYTES) {
        return n;
    }
    for (i = SEARCH_CHUNK_BYTES; i > SEARCH_CHUNK_BYTES / 2; i--) {
        if (s[i - 1] == '\n') {
            return i;
        }
    }
    for (i = SEARCH_CHUNK_BYTES; i > SEARCH_CHUNK_BYTES / 2; i--) {
        if (s[i - 1] == ' ') {
            return i;
        }
    }
    /* No break in sight: cut before a byte that starts a character. */
    i = SEARCH_CHUNK_BYTES;
    for (k = 0; k < 3 && ((unsigned char)s[i] & 0xc0) == 0x80; k++) {
        i--;
    }
    return i;
}

int
search_suggest(struct db *db, const char *prefix, const char *base,
               json_t **out)
{
    /* The partial index document_title_norm holds published titles only,
     * in order: a range scan, then at most ten primary-key lookups.
     * Without ANALYZE statistics the planner prefers document_status
     * (status = ?) and sorts every published row, so the index is named:
     * should it ever go, the statement fails to prepare instead of
     * silently scanning. */
    static const char sql[] =
        "SELECT c.name, d.path, d.title"
        " FROM document d INDEXED BY document_title_norm"
        " JOIN collection c ON c.id = d.collection_id"
        " WHERE d.status = 'published'"
        "  AND d.title_norm >= :p AND d.title_norm < :p || x'ff'"
        " ORDER BY d.title_norm LIMIT :lim";
    struct strbuf norm = STRBUF_INIT;
    json_t *a = json_array();
    sqlite3_stmt *st;
    size_t n = prefix != NULL ? cut_len(prefix, strlen(prefix)) : 0;
    int rc = SQLITE_ERROR, bad = 0;

    *out = NULL;
    if (a == NULL || query_normalize_title(prefix, n, &norm) < 0) {
        goto out;
    }
    if (norm.len == 0) {
        rc = SQLITE_DONE;
        goto out;
    }
    st = db_stmt(db, sql);
    if (st == NULL || db_bind_text(st, ":p", strbuf_peek(&norm)) != SQLITE_OK ||
        db_bind_int64(st, ":lim", SEARCH_SUGGEST_MAX) != SQLITE_OK) {
        goto out;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *e = json_object();

        put(e, "title", col_json(st, 2), &bad);
        put(e, "url", row_url(st, base, 0, 1, -1), &bad);
        append(a, e, &bad);
    }
    sqlite3_reset(st);
out:
    strbuf_free(&norm);
    if (rc != SQLITE_DONE || bad) {
        json_decref(a);
        return -1;
    }
    *out = a;
    return 0;
}
