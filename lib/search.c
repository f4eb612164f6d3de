/*
 * search: ranked full-text search with facets, and title suggest.  Layer:
 * lib/; depends on db, query, html, strbuf, sqlite3 and Jansson, never on
 * microhttpd.h or server/.  Every statement is a constant prepared once per
 * connection; user text reaches SQL only as bound values, and MATCH only
 * through query_build().  Nothing here writes to the database.
 */
#include "search.h"

#include <stdint.h>
#include <string.h>

#include "html.h"
#include "query.h"
#include "strbuf.h"

/* What the statements of one search bind. */
struct search_filter {
    const char *match;      /* FTS5 expression from query_build */
    const char *collection; /* NULL: any */
    const char *lang;       /* NULL: any */
    int has_year;
    int64_t y0, y1; /* [y0, y1) in Unix seconds */
};

/* Days from 1970-01-01 to January 1st of year y (proleptic Gregorian). */
static int64_t
days_to_year(int64_t y)
{
    int64_t era, yoe;

    y -= 1; /* January counts in the previous March-based year */
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + 306 - 719468;
}

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

/* Append base/c/NAME/PATH (and #ANCHOR when anchor is neither NULL nor
 * empty) to sb, each piece percent-encoded for its place.  All borrowed. */
static void
doc_url(struct strbuf *sb, const char *base, const char *name, const char *path,
        const char *anchor)
{
    strbuf_puts(sb, base);
    strbuf_puts(sb, "/c/");
    url_encode(sb, name, strlen(name));
    strbuf_putc(sb, '/');
    url_encode_path(sb, path, strlen(path));
    if (anchor != NULL && anchor[0] != '\0') {
        strbuf_putc(sb, '#');
        url_encode(sb, anchor, strlen(anchor));
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

    doc_url(&sb, base, name ? name : "", path ? path : "", anchor);
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

/* Bind the filter parameters of the search statement st (borrowed). */
static int
bind_hits(sqlite3_stmt *st, const struct search_filter *f)
{
    int rc = db_bind_text(st, ":m", f->match);

    if (rc == SQLITE_OK) {
        rc = db_bind_int64(st, ":cap", SEARCH_MAX_MATCHES);
    }
    if (rc == SQLITE_OK) {
        rc = db_bind_text(st, ":c", f->collection);
    }
    if (rc == SQLITE_OK) {
        rc = db_bind_text(st, ":lang", f->lang);
    }
    if (rc == SQLITE_OK && f->has_year) {
        rc = db_bind_int64(st, ":y0", f->y0);
        if (rc == SQLITE_OK) {
            rc = db_bind_int64(st, ":y1", f->y1);
        }
    } else if (rc == SQLITE_OK) {
        rc = db_bind_null(st, ":y0");
        if (rc == SQLITE_OK) {
            rc = db_bind_null(st, ":y1");
        }
    }
    return rc;
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

/* One page of results, the facets and the total, from one statement so
 * that the match set (and bm25 over it, the bulk of the time) is computed
 * once.  Documents are ranked by their best section: an exact normalised
 * title match (tn1 or tn2) first, then bm25, then id so that pages never
 * overlap.  Result rows (kind 0) come first, in rank order, then the
 * collection (1), language (2) and year (3) facets, most documents (or
 * newest year) first, then the total (4).  Snippets are made afterwards,
 * for the page's rows only.  Returns 0 or -1. */
static int
run_search(struct db *db, const struct search_filter *f, const char *tn1,
           const char *tn2, int limit, int offset, const char *base, json_t *m,
           int *bad)
{
    /* hit: the best SEARCH_MAX_MATCHES sections of published documents
     * that pass the filters, the FTS5 cursor kept as the outer loop by
     * CROSS JOIN (the filters are primary-key lookups per hit); best: each
     * document once, with its best section; ranked: the documents in
     * result order. */
    static const char sql[] =
        "WITH hit AS ("
        " SELECT s.id AS sid, s.document_id AS did,"
        "  bm25(section_fts, 10.0, 4.0, 1.0) AS score"
        " FROM section_fts"
        " CROSS JOIN section s ON s.id = section_fts.rowid"
        " CROSS JOIN document d ON d.id = s.document_id"
        " CROSS JOIN collection c ON c.id = d.collection_id"
        " WHERE section_fts MATCH :m AND d.status = 'published'"
        "  AND (:c IS NULL OR c.name = :c)"
        "  AND (:lang IS NULL OR d.language = :lang)"
        "  AND (:y0 IS NULL OR (d.published_at >= :y0"
        "                       AND d.published_at < :y1))"
        " ORDER BY score LIMIT :cap),"
        " best AS MATERIALIZED ("
        "  SELECT did, sid, min(score) AS score FROM hit GROUP BY did),"
        " ranked AS ("
        "  SELECT b.did, b.sid, row_number() OVER ("
        "   ORDER BY coalesce(d.title_norm IN (:tn1, :tn2), 0) DESC,"
        "   b.score, b.did) AS rn"
        "  FROM best b JOIN document d ON d.id = b.did)"
        " SELECT 0, r.rn, d.id, c.name, d.path, d.title, d.language,"
        "  d.published_at, s.anchor, r.sid, 0"
        " FROM ranked r JOIN document d ON d.id = r.did"
        " JOIN collection c ON c.id = d.collection_id"
        " JOIN section s ON s.id = r.sid"
        " WHERE r.rn > :off AND r.rn <= :off + :lim"
        " UNION ALL"
        " SELECT 1, -count(*), NULL, c.name, NULL, c.title, NULL, NULL, NULL,"
        "  NULL, count(*)"
        " FROM best b JOIN document d ON d.id = b.did"
        " JOIN collection c ON c.id = d.collection_id GROUP BY c.id"
        " UNION ALL"
        " SELECT 2, -count(*), NULL, NULL, NULL, NULL, d.language, NULL, NULL,"
        "  NULL, count(*)"
        " FROM best b JOIN document d ON d.id = b.did"
        " WHERE d.language IS NOT NULL GROUP BY d.language"
        " UNION ALL"
        " SELECT 3, -y, y, NULL, NULL, NULL, NULL, NULL, NULL, NULL, count(*)"
        " FROM (SELECT CAST(strftime('%Y', d.published_at, 'unixepoch')"
        "  AS INTEGER) AS y FROM best b JOIN document d ON d.id = b.did"
        "  WHERE d.published_at IS NOT NULL) GROUP BY y"
        " UNION ALL"
        " SELECT 4, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,"
        "  count(*) FROM best"
        " ORDER BY 1, 2, 4, 7";
    json_t *results = json_object_get(m, "results");
    json_t *facets = json_object_get(m, "facets"), *lists[3];
    sqlite3_stmt *st = db_stmt(db, sql);
    int64_t sids[SEARCH_MAX_PER_PAGE];
    size_t n = 0, i;
    int rc, err = 0;

    lists[0] = json_object_get(facets, "collections");
    lists[1] = json_object_get(facets, "languages");
    lists[2] = json_object_get(facets, "years");
    if (st == NULL || bind_hits(st, f) != SQLITE_OK ||
        db_bind_text(st, ":tn1", tn1) != SQLITE_OK ||
        db_bind_text(st, ":tn2", tn2) != SQLITE_OK ||
        db_bind_int64(st, ":lim", limit) != SQLITE_OK ||
        db_bind_int64(st, ":off", offset) != SQLITE_OK) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int kind = sqlite3_column_int(st, 0);
        json_t *e;

        if (kind == 4) {
            put(m, "total", json_integer(sqlite3_column_int64(st, 10)), bad);
            continue;
        }
        if (kind == 0) {
            if (n == SEARCH_MAX_PER_PAGE) {
                continue;
            }
            e = json_object();
            put(e, "id", json_integer(sqlite3_column_int64(st, 2)), bad);
            put(e, "collection", col_json(st, 3), bad);
            put(e, "path", col_json(st, 4), bad);
            put(e, "url", row_url(st, base, 3, 4, 8), bad);
            put(e, "title", col_json(st, 5), bad);
            put(e, "language", col_json(st, 6), bad);
            put(e, "published_at",
                sqlite3_column_type(st, 7) == SQLITE_NULL
                    ? json_null()
                    : json_integer(sqlite3_column_int64(st, 7)),
                bad);
            sids[n++] = sqlite3_column_int64(st, 9);
            append(results, e, bad);
            continue;
        }
        if (kind < 1 || kind > 3 ||
            json_array_size(lists[kind - 1]) >= SEARCH_MAX_FACET) {
            continue;
        }
        e = json_object();
        if (kind == 1) {
            put(e, "name", col_json(st, 3), bad);
            put(e, "title", col_json(st, 5), bad);
        } else if (kind == 2) {
            put(e, "code", col_json(st, 6), bad);
        } else {
            put(e, "year", json_integer(sqlite3_column_int64(st, 2)), bad);
        }
        put(e, "count", json_integer(sqlite3_column_int64(st, 10)), bad);
        append(lists[kind - 1], e, bad);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        return -1;
    }
    for (i = 0; i < n && i < json_array_size(results); i++) {
        put(json_array_get(results, i), "snippet_html",
            section_snippet(db, f->match, sids[i], &err), bad);
        if (err) {
            return -1;
        }
    }
    return 0;
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
    f.collection = p->collection != NULL && p->collection[0] != '\0'
                       ? p->collection
                       : NULL;
    f.lang = p->lang != NULL && p->lang[0] != '\0' ? p->lang : NULL;
    if (p->year >= 1 && p->year <= 9999) {
        f.has_year = 1;
        f.y0 = days_to_year(p->year) * 86400;
        f.y1 = days_to_year((int64_t)p->year + 1) * 86400;
    }
    if (run_search(db, &f, strbuf_peek(&tn1), strbuf_peek(&tn2), per_page,
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
