/*
 * search: ranked full-text search with facets, and title suggest.  Layer:
 * lib/; depends on db, query, html, strbuf, sqlite3 and Jansson, never on
 * microhttpd.h or server/.  Every statement is a constant prepared once per
 * connection; user text reaches SQL only as bound values, and MATCH only
 * through query_build().  Nothing here writes to the database.
 */
#include "search.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "ascii.h"
#include "heap.h"
#include "html.h"
#include "impact.h"
#include "query.h"
#include "rank.h"
#include "render.h"
#include "strbuf.h"
#include "tokenizer.h"

/* What the statements of one search bind. */
struct search_filter {
    int has_coll;
    uint32_t coll;    /* collection id when has_coll */
    const char *lang; /* NULL: any */
    int year;         /* 0: any */
    int exhaustive;   /* search_params.exhaustive */
    int memo;         /* the snapshot is at the catalog's generation */
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
    /* kwsnip (snippet.h): SNIPPET_TOKENS tokens, hits between \x01 and
     * \x02. */
    static const char sql[] =
        "SELECT kwsnip(section_fts)"
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

/* A document whose title is the query (with or without its collection's
 * title affix) comes first, then one with a heading or definition term
 * that is (rank.h, "Heading keys"), then one with a key that is a
 * qualified name made of the query's words ("Qualified names" below; 2 to
 * EXACT_HEADING - 1: the name's components, more first), then the rest. */
enum { EXACT_HEADING = 32, EXACT_TITLE = 33 };

/* One document of the match set. */
struct hit {
    int64_t did;
    int64_t sid;  /* its best section: found for the page's rows only */
    double score; /* rank_doc_score: higher is better */
    int matched;  /* the words it holds, rank_doc_score's *matched */
    int exact;    /* EXACT_TITLE, EXACT_HEADING, a name's level or 0 */
};

/* The match set of one query: every matching document, once. */
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
    memset(sc, 0, sizeof(*sc));
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

/* Add document did to the match set (each comes once from the document
 * index; a repeat keeps the better score). */
static int
scan_add(struct scan *sc, int64_t did, double score, int matched)
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
            if (score > h->score) {
                h->score = score;
                h->matched = matched;
            }
            return 0;
        }
        k = (k + 1) & (sc->nslot - 1);
    }
    h = &sc->hits[sc->n];
    sc->slot[k] = ++sc->n;
    h->did = did;
    h->sid = 0;
    h->score = score;
    h->matched = matched;
    h->exact = 0;
    return 0;
}

/* The hit of document did in sc, or NULL when it is not a match. */
static struct hit *
scan_hit(const struct scan *sc, int64_t did)
{
    size_t k;

    if (sc->nslot == 0) {
        return NULL;
    }
    for (k = did_hash(did, sc->nslot); sc->slot[k] != 0;
         k = (k + 1) & (sc->nslot - 1)) {
        if (sc->hits[sc->slot[k] - 1].did == did) {
            return &sc->hits[sc->slot[k] - 1];
        }
    }
    return NULL;
}

/* Result order: exact title first, then exact heading, then more of the
 * words (the OR fallback; in an AND search every hit has them all), then
 * score, then document id, so that pages never overlap. */
static int
hit_cmp(const void *a, const void *b)
{
    const struct hit *x = a, *y = b;

    if (x->exact != y->exact) {
        return x->exact > y->exact ? -1 : 1;
    }
    if (x->matched != y->matched) {
        return x->matched > y->matched ? -1 : 1;
    }
    if (x->score != y->score) {
        return x->score > y->score ? -1 : 1;
    }
    return x->did < y->did ? -1 : x->did > y->did;
}

/* The published documents whose normalised title is :tn1 or :tn2. */
static const char exact_sql[] = "SELECT id FROM document"
                                " WHERE status = 'published'"
                                " AND title_norm IN (:tn1, :tn2)";

/* The documents with a heading key :tn1 or :tn2, one more than
 * RANK_HEADING_DOCS at most (rank.h).  Only indexed (published)
 * documents have keys. */
static const char heading_sql[] =
    "SELECT DISTINCT document_id FROM heading_key WHERE key IN (:tn1, :tn2)"
    " LIMIT :n";
#define HEADING_DOCS_READ (RANK_HEADING_DOCS + 1)

/* Call fn(ctx, id, level) for each document with a heading key tn1 or
 * tn2, unless more than RANK_HEADING_DOCS have one (a template's
 * heading).  As exact_docs. */
static int
exact_headings(struct db *db, const char *tn1, const char *tn2, int level,
               int (*fn)(void *ctx, int64_t did, int exact), void *ctx)
{
    sqlite3_stmt *st = db_stmt(db, heading_sql);
    int64_t did[HEADING_DOCS_READ];
    size_t n = 0, i;
    int rc, r = 0;

    if (st == NULL || db_bind_text(st, ":tn1", tn1) != SQLITE_OK ||
        db_bind_text(st, ":tn2", tn2) != SQLITE_OK ||
        db_bind_int64(st, ":n", HEADING_DOCS_READ) != SQLITE_OK) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < HEADING_DOCS_READ) {
        did[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        return -1;
    }
    /* fn may step statements of its own: this one is done. */
    for (i = 0; n <= RANK_HEADING_DOCS && i < n && r == 0; i++) {
        r = fn(ctx, did[i], level);
    }
    return r;
}

/*
 * Qualified names.  An index names a definition by its qualified name in
 * pieces, beside its kind: "AppContext class in flask.ctx", "getkey
 * curses.window method", "SEEK_END in module os".  Those words are not
 * the definition's heading, and the page holding them all may be any
 * page that mentions it; but a heading key (rank.h) that joins some of
 * them with dots ("flask.ctx.appcontext", "window.getkey", "os.seek_end")
 * is the definition.  Such a name is made here from the query: a dotted
 * word, a word or a dotted word's tail joined to another by a dot; one of
 * its components must be the query's rarest, or one of them when their
 * counts tie (so that "lock.acquire" does not answer "acquire
 * multiprocessing.Lock method" when "multiprocessing" is the rare one),
 * and a key that more than RANK_HEADING_DOCS documents share is a
 * template's.  A document with such a key comes after the exact titles
 * and headings, one with more components first.  Measured on twenty-one
 * manuals (docs/benchmarks.md, 2026-12-04): it moves Sphinx's API pages
 * up, and changes nothing on manuals without qualified names.
 */
#define NAME_UNITS 10 /* words and tails a name is made of, at most */
#define NAME_KEYS 32  /* names kept, at most */

struct names {
    size_t n;
    int level[NAME_KEYS]; /* components, at most EXACT_HEADING - 1 */
    char key[NAME_KEYS][RANK_HEADING_KEY_MAX + 1];
    /* The query's rarest words that are identifiers joined by '_'
     * (key_lead) */
    size_t nword;
    char word[NAME_UNITS][RANK_HEADING_KEY_MAX + 1];
};

/* What exact_docs looks for: the query as a title, the whole text typed
 * (tn1) and its positive terms (tn2), and its names (NULL: none). */
struct exactq {
    const char *tn1, *tn2;
    const struct names *names;
};

/* 1 when s has a '_' between two other bytes: an identifier joined by
 * '_' ("secret_key"), not a special name ("__str__", whose classes are
 * many). */
static int
inner_underscore(const char *s)
{
    size_t a = strspn(s, "_"), n = strlen(s);

    while (n > a && s[n - 1] == '_') {
        n--;
    }
    return n > a && memchr(s + a, '_', n - a) != NULL;
}

/* 1 when byte c may be in a name's component: what an identifier holds. */
static int
name_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c >= 0x80;
}

/* The n bytes at s (a normalised term) as a name, trimmed of what is not
 * a component's at either end ("url_for()" gives "url_for"): its length
 * with *s moved, 0 when it is not one (a space, an empty component). */
static size_t
name_unit(const char **s, size_t n)
{
    const char *t = *s;
    size_t i;

    while (n > 0 && !name_byte((unsigned char)t[0])) {
        t++;
        n--;
    }
    while (n > 0 && !name_byte((unsigned char)t[n - 1])) {
        n--;
    }
    for (i = 0; i < n; i++) {
        if (!name_byte((unsigned char)t[i]) &&
            (t[i] != '.' || t[i + 1] == '.')) {
            return 0;
        }
    }
    *s = t;
    return n;
}

/* 1 when the name k (kn bytes) has the component c (cn bytes). */
static int
name_has(const char *k, size_t kn, const char *c, size_t cn)
{
    size_t i;

    for (i = 0; i + cn <= kn; i++) {
        if ((i == 0 || k[i - 1] == '.') && memcmp(k + i, c, cn) == 0 &&
            (i + cn == kn || k[i + cn] == '.')) {
            return 1;
        }
    }
    return 0;
}

static long term_df(struct db *db, const struct searchcat *cat, int memo,
                    const struct query_term *t, struct strbuf *buf);

/* 1 when some document has the key k, 0 when none does, -1. */
static int
name_is_key(struct db *db, const char *k)
{
    static const char sql[] = "SELECT 1 FROM heading_key WHERE key = :k";
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc;

    if (st == NULL || db_bind_text(st, ":k", k) != SQLITE_OK) {
        return -1;
    }
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* Add the name a.b (b NULL: a alone) to nm when it is not there, has two
 * components or more, one of them one of the nrare in rare, is not too
 * long, and is some document's key (a template's too: exact_headings
 * passes over those).  0 or -1. */
static int
names_add(struct db *db, struct names *nm, const char *a, const char *b,
          const char *const *rare, size_t nrare)
{
    char key[RANK_HEADING_KEY_MAX + 2];
    size_t i, len, an = strlen(a), bn = b != NULL ? strlen(b) : 0;
    int comps = 1, n, has = 0;

    if (nm->n == NAME_KEYS || an + (b != NULL ? 1 + bn : 0) > sizeof(key) - 2) {
        return 0;
    }
    memcpy(key, a, an);
    len = an;
    if (b != NULL) {
        key[len++] = '.';
        memcpy(key + len, b, bn);
        len += bn;
    }
    key[len] = '\0';
    for (i = 0; i < len; i++) {
        comps += key[i] == '.';
    }
    for (i = 0; i < nrare && !has; i++) {
        has = name_has(key, len, rare[i], strlen(rare[i]));
    }
    if (len > RANK_HEADING_KEY_MAX || comps < 2 || !has) {
        return 0;
    }
    for (i = 0; i < nm->n; i++) {
        if (strcmp(nm->key[i], key) == 0) {
            return 0;
        }
    }
    if ((n = name_is_key(db, key)) < 0) {
        return -1;
    }
    if (n == 1) {
        memcpy(nm->key[nm->n], key, len + 1);
        nm->level[nm->n++] = comps < EXACT_HEADING ? comps : EXACT_HEADING - 1;
    }
    return 0;
}

/* The qualified names of the query info ("Qualified names" above) into
 * nm, more components first; df_of: its terms' counts (corpus_stats).
 * 0 or -1. */
static int
names_make(struct db *db, const struct searchcat *cat, int memo,
           const struct query_info *info, const long *df_of, struct names *nm)
{
    char unit[NAME_UNITS][RANK_HEADING_KEY_MAX + 1];
    long unit_df[NAME_UNITS];  /* -1: not counted yet */
    long unit_min[NAME_UNITS]; /* a count it cannot be below */
    int unit_word[NAME_UNITS]; /* 1: a word of the query, not a part */
    const char *rare[NAME_UNITS];
    struct strbuf norm = STRBUF_INIT, buf = STRBUF_INIT;
    struct query_term *t = NULL;
    size_t nunit = 0, nword = 0, nrare = 0, held, i, j;
    long best = -1;
    int k, dotted = 0, rc = -1;

    nm->n = 0;
    nm->nword = 0;
    /* The words as names ("url_for()" is "url_for"), and of each dotted
     * one its tails ("flask.ctx", "ctx") and components ("flask"). */
    for (k = 0; k < info->n_terms && nunit < NAME_UNITS; k++) {
        const struct query_term *q = &info->term[k];
        const char *u;
        size_t un, at, end;

        if (q->exclude || q->prefix) {
            continue;
        }
        strbuf_reset(&norm);
        if (query_normalize_title(q->text, q->len, &norm) < 0) {
            goto out;
        }
        u = strbuf_peek(&norm);
        if ((un = name_unit(&u, norm.len)) == 0 || un > RANK_HEADING_KEY_MAX) {
            continue;
        }
        nword++;
        for (at = 0; at < un && nunit < NAME_UNITS; at = end + 1) {
            for (end = at; end < un && u[end] != '.'; end++) {
            }
            dotted |= end < un;
            for (i = 0; i < 2 && nunit < NAME_UNITS; i++) {
                size_t to = i == 0 ? un : end;

                if (i == 1 && to == un) {
                    break; /* the last component is the last tail */
                }
                for (j = 0; j < nunit; j++) {
                    if (strlen(unit[j]) == to - at &&
                        memcmp(unit[j], u + at, to - at) == 0) {
                        break;
                    }
                }
                if (j == nunit) {
                    memcpy(unit[nunit], u + at, to - at);
                    unit[nunit][to - at] = '\0';
                    /* a word without a dot is its own unit, counted; a
                     * component is in every document that holds its
                     * dotted word (the index has an identifier's parts
                     * where it has the whole) */
                    unit_df[nunit] = to - at == un ? df_of[k] : -1;
                    unit_word[nunit] = to - at == un;
                    unit_min[nunit++] = df_of[k];
                }
            }
        }
    }
    if (nword < 2 && !dotted) {
        rc = 0; /* one plain word: no name to make */
        goto out;
    }
    /* The rarest components that some document holds (the units without
     * a dot are every component; more than one when their counts tie):
     * the words' counts are corpus_stats', and a dotted word's components
     * are counted only when the word is not more common than the rarest
     * so far (else none of them can be as rare). */
    if ((t = kw_calloc(1, sizeof(*t))) == NULL) {
        goto out;
    }
    for (i = 0; i < 2 * nunit; i++) {
        size_t u = i % nunit, n = strlen(unit[u]);

        if (strchr(unit[u], '.') != NULL || (unit_df[u] < 0) != (i >= nunit) ||
            (unit_df[u] < 0 && best > 0 && unit_min[u] > best)) {
            continue; /* the counted first, then the others */
        }
        if (unit_df[u] < 0) {
            memset(t, 0, sizeof(*t));
            memcpy(t->text, unit[u], n);
            t->len = n;
            if ((unit_df[u] = term_df(db, cat, memo, t, &buf)) < 0) {
                goto out;
            }
        }
        if (unit_df[u] > 0 && (best < 0 || unit_df[u] < best)) {
            best = unit_df[u];
        }
    }
    for (i = held = 0; i < nunit; i++) {
        held += unit_word[i] && unit_df[i] > 0;
    }
    for (i = 0; best > 0 && i < nunit; i++) {
        if (strchr(unit[i], '.') == NULL && unit_df[i] == best) {
            rare[nrare++] = unit[i];
            /* not when one word alone is in any document: the fallback
             * is then that word's ranking (fallback_one_word) */
            if (held >= 2 && unit_word[i] && inner_underscore(unit[i])) {
                memcpy(nm->word[nm->nword++], unit[i], strlen(unit[i]) + 1);
            }
        }
    }
    for (i = 0; nrare > 0 && i < nunit; i++) {
        if (strchr(unit[i], '.') != NULL &&
            names_add(db, nm, unit[i], NULL, rare, nrare) < 0) {
            goto out;
        }
        for (j = 0; j < nunit; j++) {
            if (j != i &&
                names_add(db, nm, unit[i], unit[j], rare, nrare) < 0) {
                goto out;
            }
        }
    }
    /* More components first: exact_docs calls fn in this order, and
     * walk_exact keeps a document's first level. */
    for (i = 1; i < nm->n; i++) {
        for (j = i; j > 0 && nm->level[j - 1] < nm->level[j]; j--) {
            char key[RANK_HEADING_KEY_MAX + 1];
            int lv = nm->level[j];

            memcpy(key, nm->key[j], sizeof(key));
            memcpy(nm->key[j], nm->key[j - 1], sizeof(key));
            memcpy(nm->key[j - 1], key, sizeof(key));
            nm->level[j] = nm->level[j - 1];
            nm->level[j - 1] = lv;
        }
    }
    rc = 0;
out:
    strbuf_free(&norm);
    strbuf_free(&buf);
    kw_free(t);
    return rc;
}

/* Call fn(ctx, id, EXACT_TITLE) for each published document whose title
 * is q->tn1 or q->tn2 (normalised), with or without the title affix of
 * its collection (the catalog's, searchcat.h): "oct-files" is the title
 * of "Oct-Files (GNU Octave (version 7.3.0))"; then fn(ctx, id,
 * EXACT_HEADING) for each with such a heading (exact_headings), then
 * fn(ctx, id, its level) for each with one of q's names: a document may
 * come more than once, its best level first.  Stops at fn's first nonzero
 * return, which it returns; 0 when all were called, -1 on a database
 * error. */
static int
exact_docs(struct db *db, const struct searchcat *cat, const struct exactq *q,
           int (*fn)(void *ctx, int64_t did, int exact), void *ctx)
{
    struct strbuf a1 = STRBUF_INIT, a2 = STRBUF_INIT;
    const char *tn1 = q->tn1, *tn2 = q->tn2;
    size_t k;
    int r = 0;

    for (k = 0; k <= cat->naffix && r == 0; k++) {
        const struct searchcat_affix *x = k > 0 ? &cat->affix[k - 1] : NULL;
        const char *t1 = tn1, *t2 = tn2;
        sqlite3_stmt *st = db_stmt(db, exact_sql);
        int rc = SQLITE_DONE;

        if (x != NULL) {
            strbuf_reset(&a1);
            strbuf_reset(&a2);
            strbuf_printf(&a1, "%s%s%s%s%s", x->prefix, *x->prefix ? " " : "",
                          tn1, *x->suffix ? " " : "", x->suffix);
            strbuf_printf(&a2, "%s%s%s%s%s", x->prefix, *x->prefix ? " " : "",
                          tn2, *x->suffix ? " " : "", x->suffix);
            if (!strbuf_ok(&a1) || !strbuf_ok(&a2)) {
                r = -1;
                break;
            }
            t1 = strbuf_peek(&a1);
            t2 = strbuf_peek(&a2);
        }
        if (st == NULL || db_bind_text(st, ":tn1", t1) != SQLITE_OK ||
            db_bind_text(st, ":tn2", t2) != SQLITE_OK) {
            r = -1;
            break;
        }
        while (r == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t did = sqlite3_column_int64(st, 0);

            /* With an affix: only in a collection that has that one. */
            if (x == NULL ||
                (did > 0 && (size_t)did < cat->ndoc &&
                 searchcat_affix_of(cat, cat->doc[did].coll) == x)) {
                r = fn(ctx, did, EXACT_TITLE);
            }
        }
        sqlite3_reset(st);
        if (r == 0 && rc != SQLITE_DONE) {
            r = -1;
        }
    }
    strbuf_free(&a1);
    strbuf_free(&a2);
    if (r == 0) {
        r = exact_headings(db, tn1, tn2, EXACT_HEADING, fn, ctx);
    }
    for (k = 0; r == 0 && q->names != NULL && k < q->names->n; k++) {
        r = exact_headings(db, q->names->key[k], q->names->key[k],
                           q->names->level[k], fn, ctx);
    }
    return r;
}

/* exact_docs()'s fn for mark_exact: marks the hit of did, if any, with
 * the better of its marks. */
static int
mark_one(void *ctx, int64_t did, int exact)
{
    struct hit *h = scan_hit(ctx, did);

    if (h != NULL && exact > h->exact) {
        h->exact = exact;
    }
    return 0;
}

/* Mark the hits whose document's title, or a heading, is the query, or
 * has one of its names (exact_docs()). */
static int
mark_exact(struct db *db, struct scan *sc, const struct exactq *q)
{
    return exact_docs(db, sc->cat, q, mark_one, sc) < 0 ? -1 : 0;
}

/* 1 when hit a sorts after b: the worse one sits at the heap's root. */
#define HIT_WORSE(a, b) (hit_cmp((a), (b)) > 0)
/* sift_down(h, k, i): restore the heap property below node i of the
 * k-element heap h, whose root is the worst hit (by hit_cmp). */
HEAP_SIFT_DOWN(sift_down, struct hit, HIT_WORSE)

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

/* The number of published documents that match the expression m (the
 * document index holds only those), or -1. */
static long
doc_count(struct db *db, const char *m)
{
    static const char sql[] =
        "SELECT count(*) FROM doc_fts WHERE doc_fts MATCH :m";
    sqlite3_stmt *st = db_stmt(db, sql);
    long n = -1;

    if (st == NULL || db_bind_text(st, ":m", m) != SQLITE_OK) {
        return -1;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        n = (long)sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    return n;
}

/* The documents holding term t (m: its expression) counted from its row
 * of term_docs when it is one token with one (impact_docs_df; cat must be
 * at the snapshot's generation), -2 when not, -1. */
static long
token_df(struct db *db, const struct searchcat *cat, const struct query_term *t,
         const char *m)
{
    char tok[2][IMPACT_MAX_TERM + 1];
    int n = t->prefix ? 0 : impact_tokens(db, t->text, t->len, tok, 2);

    if (n != 1) {
        return n < 0 ? -1 : -2;
    }
    return impact_docs_df(db, cat, tok[0], strlen(tok[0]), m);
}

/* The documents holding term t: from the catalog's memo when memo is set
 * and it has the count, else counted (from its row of term_docs when it
 * has one and memo is set, else in the index; with memo, remembered); buf
 * is scratch.  -1 on error. */
static long
term_df(struct db *db, const struct searchcat *cat, int memo,
        const struct query_term *t, struct strbuf *buf)
{
    long df;

    strbuf_reset(buf);
    query_term_expr(t, buf);
    if (!strbuf_ok(buf)) {
        return -1;
    }
    if (memo && searchcat_df_get(cat, strbuf_peek(buf), buf->len, &df)) {
        return df;
    }
    df = memo ? token_df(db, cat, t, strbuf_peek(buf)) : -2;
    if (df == -2) {
        df = doc_count(db, strbuf_peek(buf));
    }
    if (df >= 0 && memo) {
        searchcat_df_put(cat, strbuf_peek(buf), buf->len, df);
    }
    return df;
}

/* The corpus statistics of the query: an idf for each positive phrase
 * (phrase k is term k of the expressions query_expr builds: positive
 * terms first), 0 for the excluded ones.  A term's count of documents
 * comes from the catalog's memo when it holds it; memo: the snapshot is
 * at the catalog's generation, so a count made here may go into it.
 * df_of (NULL: not wanted) gets term k's count at k, -1 for a term not
 * counted.  0 or -1. */
static int
corpus_stats(struct db *db, const struct searchcat *cat, int memo,
             const struct query_info *info, struct rank_corpus *c, long *df_of)
{
    struct strbuf one = STRBUF_INIT;
    int k, ph = 0, rc = 0, whole = -1;

    memset(c, 0, sizeof(*c));
    for (k = 0; k < RANK_NCOL; k++) {
        c->avg_len[k] = cat->avg_ntok[k];
    }
    for (k = 0; df_of != NULL && k < info->n_terms; k++) {
        df_of[k] = -1;
    }
    for (k = 0; k < info->n_terms && ph < RANK_MAX_PHRASES && rc == 0; k++) {
        long df;

        if (info->term[k].exclude) {
            continue;
        }
        /* query_parts(): an identifier's parts follow it, and stand for
         * it when it is code (struct query_term). */
        if (!info->term[k].part) {
            whole = info->term[k].code ? ph : -1;
        } else if (whole >= 0) {
            c->part |= (uint64_t)1 << ph;
            c->parts_of[whole] |= (uint64_t)1 << ph;
        }
        /* One word: every score is its idf times a factor of the
         * document's, so any idf ranks alike, and none is counted. */
        if (info->n_positive == 1) {
            c->idf[ph++] = 1.0;
            continue;
        }
        if ((df = term_df(db, cat, memo, &info->term[k], &one)) < 0) {
            rc = -1;
            break;
        }
        if (df_of != NULL) {
            df_of[k] = df;
        }
        c->idf[ph++] = rank_idf((double)cat->npublished, (double)df);
    }
    /* The excluded phrases follow, with idf 0: never counted. */
    c->nphrase = ph + info->n_negative;
    if (c->nphrase > RANK_MAX_PHRASES) {
        c->nphrase = RANK_MAX_PHRASES;
    }
    strbuf_free(&one);
    return rc;
}

/* The catalog's language index of the filter's language: -1 for any, or
 * -2 when no published document has it (nothing can match). */
static int
filter_lang(const struct searchcat *cat, const struct search_filter *f)
{
    int lang;

    if (f->lang == NULL) {
        return -1;
    }
    lang = searchcat_lang(cat, f->lang);
    return lang < 0 ? -2 : lang;
}

/* 1 when document did is published in the catalog and passes the
 * filters (lang from filter_lang), else 0. */
static int
doc_passes(const struct searchcat *cat, const struct search_filter *f, int lang,
           int64_t did)
{
    const struct searchcat_doc *d;

    if (did <= 0 || (size_t)did >= cat->ndoc) {
        return 0; /* published after the catalog was built */
    }
    d = &cat->doc[did];
    return d->coll != 0 && (!f->has_coll || d->coll == f->coll) &&
           (lang < 0 || d->lang == lang) &&
           (f->year <= 0 || d->year == f->year);
}

/* Score document did from its row of kwdoc (kwtf when one) into *h.  1
 * when it is published in the catalog and passes the filters (lang from
 * filter_lang), 0 when not. */
static int
row_hit(const struct searchcat *cat, const struct search_filter *f, int lang,
        int64_t did, const void *tf, size_t n, int one,
        const struct rank_corpus *corpus, struct hit *h)
{
    const struct searchcat_doc *d;
    double len[RANK_NCOL];
    uint32_t span = 0;

    if (!doc_passes(cat, f, lang, did)) {
        return 0;
    }
    d = &cat->doc[did];
    len[0] = d->ntok[0];
    len[1] = d->ntok[1];
    len[2] = d->ntok[2];
    if (!one) {
        span = rank_kwdoc_span(tf, &n);
    }
    h->did = did;
    h->sid = 0;
    h->exact = 0;
    h->score = rank_doc_score(tf, n, span, len, corpus, d->hub, &h->matched);
    return 1;
}

/* The statements that read the matches of m with their counts: kwdoc's
 * counts and window, or, for one word, kwtf's counts (no window to find,
 * and a third of kwdoc's cost: 16 against 41 ms for a word in 73% of
 * 100,000 documents).  which: 0 every match, 1 those above :u, 2 the one
 * :d. */
static sqlite3_stmt *
match_stmt(struct db *db, int one, int which)
{
    static const char *const sql[2][3] = {
        {"SELECT rowid, kwdoc(doc_fts) FROM doc_fts WHERE doc_fts MATCH :m",
         "SELECT rowid, kwdoc(doc_fts) FROM doc_fts WHERE doc_fts MATCH :m"
         " AND rowid > :u",
         "SELECT rowid, kwdoc(doc_fts) FROM doc_fts WHERE doc_fts MATCH :m"
         " AND rowid = :d"},
        {"SELECT rowid, kwtf(doc_fts) FROM doc_fts WHERE doc_fts MATCH :m",
         "SELECT rowid, kwtf(doc_fts) FROM doc_fts WHERE doc_fts MATCH :m"
         " AND rowid > :u",
         "SELECT rowid, kwtf(doc_fts) FROM doc_fts WHERE doc_fts MATCH :m"
         " AND rowid = :d"}};

    return db_stmt(db, sql[one ? 1 : 0][which]);
}

/* The match set: every published document the expression m matches in
 * the document index that passes the filters, scored (rank_doc_score).
 * What a document is, and what the filters test, comes from the catalog;
 * the database is only asked for the matches and their term counts.  one:
 * the query has one positive phrase, so there is no window to find. */
static int
scan_docs(struct db *db, const struct search_filter *f, const char *m, int one,
          const struct rank_corpus *corpus, struct scan *sc)
{
    sqlite3_stmt *st = match_stmt(db, one, 0);
    int rc, lang = filter_lang(sc->cat, f);

    if (lang == -2) {
        return 0; /* no published document has that language */
    }
    if (st == NULL || db_bind_text(st, ":m", m) != SQLITE_OK) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct hit h;

        if (row_hit(sc->cat, f, lang, sqlite3_column_int64(st, 0),
                    sqlite3_column_blob(st, 1),
                    (size_t)sqlite3_column_bytes(st, 1), one, corpus, &h) &&
            scan_add(sc, h.did, h.score, h.matched) < 0) {
            sqlite3_reset(st);
            return -1;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The best section of hit h's document for the expression m (positive
 * terms only): h->sid, or 0 when none of its sections matches.  Sections
 * are scored like documents but against the mean chunk length.  0 or -1. */
static int
best_section(struct db *db, const struct searchcat *cat, const char *m,
             const struct rank_corpus *corpus, struct hit *h)
{
    static const char sql[] =
        "SELECT rowid, kwtf(section_fts) FROM section_fts"
        " WHERE section_fts MATCH :m AND rowid BETWEEN :lo AND :hi";
    const struct searchcat_doc *d = &cat->doc[h->did];
    struct rank_corpus sec = *corpus;
    sqlite3_stmt *st;
    double best = -1.0;
    int rc;

    if (d->sec_lo == 0) {
        return 0;
    }
    if (d->sec_lo == d->sec_hi) {
        /* One section: the document's text, so it holds what the document
         * matched by; no lookup in the index. */
        h->sid = d->sec_lo;
        return 0;
    }
    st = db_stmt(db, sql);
    if (st == NULL || db_bind_text(st, ":m", m) != SQLITE_OK ||
        db_bind_int64(st, ":lo", d->sec_lo) != SQLITE_OK ||
        db_bind_int64(st, ":hi", d->sec_hi) != SQLITE_OK) {
        return -1;
    }
    /* Sections: no title or heading length to normalise by; the body's
     * bytes against the mean chunk's. */
    sec.avg_len[0] = sec.avg_len[1] = 1.0;
    sec.avg_len[2] = RANK_AVG_BODY_BYTES;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t sid = sqlite3_column_int64(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 1);
        const void *tf = sqlite3_column_blob(st, 1);
        double score, len[RANK_NCOL];
        int matched;

        if (sid <= 0 || (size_t)sid >= cat->nsec ||
            cat->sec_doc[sid] != (uint32_t)h->did) {
            continue;
        }
        /* kwtf's counts with no window: the document score of a section. */
        len[0] = len[1] = 1.0;
        len[2] = (double)cat->sec_bytes[sid];
        score = rank_doc_score(tf, n, 0, len, &sec, 1.0, &matched);
        score += matched * 1000.0; /* more of the words first */
        if (score > best) {
            best = score;
            h->sid = sid;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* The documents that total and facets count: every match (weights 1),
 * or, above the count budget, a sample of every stretch of document ids,
 * each sampled document weighing for the ones of its stretch not read
 * (approx). */
struct tally {
    uint32_t *did;
    float *w;
    size_t n, cap;
    double total;
    int approx;
};

static void
tally_free(struct tally *t)
{
    kw_free(t->did);
    kw_free(t->w);
    memset(t, 0, sizeof(*t));
}

/* Append document did with weight w.  0 or -1. */
static int
tally_add(struct tally *t, int64_t did, double w)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        uint32_t *d = kw_realloc(t->did, cap * sizeof(*d));
        float *x;

        if (d == NULL) {
            return -1;
        }
        t->did = d;
        x = kw_realloc(t->w, cap * sizeof(*x));
        if (x == NULL) {
            return -1;
        }
        t->w = x;
        t->cap = cap;
    }
    t->did[t->n] = (uint32_t)did;
    t->w[t->n++] = (float)w;
    t->total += w;
    return 0;
}

/* The tally of an exhaustive match set: each hit once. */
static int
tally_scan(const struct scan *sc, struct tally *t)
{
    size_t i;

    for (i = 0; i < sc->n; i++) {
        if (tally_add(t, sc->hits[i].did, 1.0) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Facet entries before sorting. */
struct facet {
    int64_t key; /* collection id, language index or year */
    double count;
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

/* Count the tallied documents per key (kind 0: collection, 1: language,
 * 2: year) into a new array of distinct keys; *n gets its length.  NULL
 * when out of memory (or with *n 0 when nothing has the key). */
static struct facet *
facet_count(const struct searchcat *cat, const struct tally *t, int kind,
            size_t *n)
{
    struct facet *fa = kw_calloc(t->n + 1, sizeof(*fa));
    size_t i, j, *slot = NULL, nslot = 64;

    *n = 0;
    while (nslot < 2 * t->n) {
        nslot *= 2;
    }
    slot = kw_calloc(nslot, sizeof(*slot));
    if (fa == NULL || slot == NULL) {
        kw_free(fa);
        kw_free(slot);
        return NULL;
    }
    for (i = 0; i < t->n; i++) {
        const struct searchcat_doc *d = &cat->doc[t->did[i]];
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
                fa[*n - 1].name = cat->langs[key];
            }
        }
        fa[slot[j] - 1].count += t->w[i];
    }
    kw_free(slot);
    return fa;
}

/* The three facet lists of m from the tally (counts rounded). */
static int
put_facets(struct db *db, const struct searchcat *cat, const struct tally *t,
           json_t *m, int *bad)
{
    static const char coll_sql[] =
        "SELECT name, title FROM collection WHERE id = :id";
    json_t *facets = json_object_get(m, "facets");
    static const char *const list[] = {"collections", "languages", "years"};
    int kind, rc = 0;

    for (kind = 0; kind < 3 && rc == 0; kind++) {
        json_t *a = json_object_get(facets, list[kind]);
        size_t n, i;
        struct facet *fa = facet_count(cat, t, kind, &n);

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
            put(e, "count", json_integer((json_int_t)(fa[i].count + 0.5)), bad);
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
        "SELECT c.name, d.path, d.title, d.language, d.published_at,"
        " (SELECT anchor FROM section WHERE id = :s AND document_id = d.id)"
        " FROM document d JOIN collection c ON c.id = d.collection_id"
        " WHERE d.id = :d AND d.status = 'published'";
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

/* What collapsing needs of one document: its sketch, its form and how
 * many links point to it. */
struct dupinfo {
    unsigned char sketch[RANK_SKETCH];
    int has_sketch;
    int form;
    int64_t did;
    int64_t inbound;
    char *title; /* normalised title (new; NULL: none) */
    char *path;  /* path in its tree (new; NULL: none) */
    char *url;   /* normalised source URL, what links name (new; NULL) */
};

/* Free what n entries own. */
static void
dupinfo_free(struct dupinfo *info, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        kw_free(info[i].title);
        kw_free(info[i].path);
        kw_free(info[i].url);
        info[i].title = info[i].path = info[i].url = NULL;
    }
}

/* The stem of a path: its file name up to the first '.'
 * ("module/FindSQLite3.html" and "_sources/module/FindSQLite3.rst.txt"
 * both give "FindSQLite3"), borrowed, its length in *n. */
static const char *
path_stem(const char *path, size_t *n)
{
    const char *b = strrchr(path, '/');

    b = b != NULL ? b + 1 : path;
    *n = strcspn(b, ".");
    return b;
}

/* Read what collapsing needs of document did.  0 or -1. */
static int
dup_read(struct db *db, int64_t did, struct dupinfo *d)
{
    static const char sql[] =
        "SELECT (SELECT sketch FROM doc_signal WHERE document_id = d.id),"
        " d.content_type, (SELECT count(*) FROM link"
        "  WHERE target_url = d.source_url_norm), d.title_norm, d.path,"
        " d.source_url_norm FROM document d WHERE d.id = :d";
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc;

    memset(d, 0, sizeof(*d));
    d->form = rank_form(NULL);
    if (st == NULL || db_bind_int64(st, ":d", did) != SQLITE_OK) {
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (sqlite3_column_bytes(st, 0) == RANK_SKETCH) {
            memcpy(d->sketch, sqlite3_column_blob(st, 0), RANK_SKETCH);
            d->has_sketch = 1;
        }
        d->form = rank_form((const char *)sqlite3_column_text(st, 1));
        d->inbound = sqlite3_column_int64(st, 2);
        d->did = did;
        d->title = db_column_dup(st, 3);
        d->path = db_column_dup(st, 4);
        d->url = db_column_dup(st, 5);
        rc = (d->title != NULL || sqlite3_column_type(st, 3) == SQLITE_NULL) &&
                     (d->path != NULL ||
                      sqlite3_column_type(st, 4) == SQLITE_NULL) &&
                     (d->url != NULL ||
                      sqlite3_column_type(st, 5) == SQLITE_NULL)
                 ? SQLITE_DONE
                 : SQLITE_NOMEM;
        if (rc != SQLITE_DONE) {
            dupinfo_free(d, 1);
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Whether two documents of one collection show one text (rank.h,
 * "Duplicates"). */
static int
dup_same(const struct dupinfo *a, const struct dupinfo *b)
{
    if (a->did == b->did) {
        return 1;
    }
    if (!a->has_sketch || !b->has_sketch) {
        return 0;
    }
    return a->form != b->form
               ? rank_sketch_similarity(a->sketch, b->sketch) >=
                     RANK_DUP_SIMILAR
               : strcmp(a->title ? a->title : "", b->title ? b->title : "") ==
                         0 &&
                     rank_sketch_similarity(a->sketch, b->sketch) >=
                         RANK_DUP_SAME_FORM;
}

/* The page that document d (read by dup_read) is the source of (rank.h,
 * "Duplicates"): a published HTML document of its collection, of its file
 * name, that links to it.  *page gets its id, or 0 when there is none.
 * 0 or -1. */
static int
page_of(struct db *db, const struct dupinfo *d, int64_t *page)
{
    static const char sql[] =
        "SELECT p.id, p.path, p.content_type FROM link l"
        " JOIN document p ON p.id = l.document_id"
        " WHERE l.target_url = :u AND p.status = 'published'"
        " AND p.collection_id = (SELECT collection_id FROM document"
        "  WHERE id = :d) AND p.id <> :d ORDER BY p.id";
    sqlite3_stmt *st;
    const char *sd, *sp;
    size_t nd, np;
    int rc;

    *page = 0;
    if (d->url == NULL || d->path == NULL || d->inbound == 0 ||
        d->form == rank_form("text/html") ||
        d->form == rank_form("application/pdf")) {
        return 0;
    }
    sd = path_stem(d->path, &nd);
    if (nd == 0) {
        return 0;
    }
    st = db_stmt(db, sql);
    if (st == NULL || db_bind_text(st, ":u", d->url) != SQLITE_OK ||
        db_bind_int64(st, ":d", d->did) != SQLITE_OK) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *path = (const char *)sqlite3_column_text(st, 1);

        if (path == NULL || rank_form((const char *)sqlite3_column_text(
                                st, 2)) != rank_form("text/html")) {
            continue;
        }
        sp = path_stem(path, &np);
        if (np == nd && memcmp(sp, sd, nd) == 0) {
            *page = sqlite3_column_int64(st, 0);
            break;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* Put the first `want` results in order at the front of sc->hits, one per
 * group of near-duplicates (rank.h, "Duplicates"): a hit that duplicates
 * one already kept, in the same collection, is dropped, and when it is in
 * a more readable form, or in the same form with more links pointing to
 * it, it takes the kept one's place (and rank).  A source shows as its
 * page (page_of) when the page passes the filters f.  *shown
 * gets how many results lead sc->hits (want, or fewer when the matches
 * run out).  Ordering more than needed costs little; reading the sketches
 * of 2 * want + 16 hits costs a lookup each, and is done again with twice
 * as many only when duplicates ate the margin.  0 or -1. */
static int
collapse(struct db *db, const struct searchcat *cat,
         const struct search_filter *f, struct scan *sc, size_t want,
         size_t *shown)
{
    int lang = filter_lang(cat, f);
    size_t k = 2 * want + 16, i, j, kept = 0;
    struct dupinfo *info = NULL;
    int rc = -1;

    for (;;) {
        if (k > sc->n) {
            k = sc->n;
        }
        order_top(sc->hits, sc->n, k);
        if (info != NULL) {
            dupinfo_free(info, kept);
            kw_free(info);
        }
        info = kw_calloc(k + 1, sizeof(*info));
        if (info == NULL) {
            return -1;
        }
        kept = 0;
        for (i = 0; i < k && kept < want; i++) {
            struct hit h = sc->hits[i];
            struct dupinfo d;
            int64_t page;

            if (dup_read(db, h.did, &d) < 0 || page_of(db, &d, &page) < 0) {
                dupinfo_free(&d, 1);
                goto out;
            }
            if (page != 0 && doc_passes(cat, f, lang, page)) {
                /* A source shows as its page, at its own rank. */
                dupinfo_free(&d, 1);
                if (dup_read(db, page, &d) < 0) {
                    goto out;
                }
                h.did = sc->hits[i].did = page;
                h.sid = sc->hits[i].sid = 0;
            }
            for (j = 0; j < kept; j++) {
                if (cat->doc[sc->hits[j].did].coll == cat->doc[h.did].coll &&
                    dup_same(&info[j], &d)) {
                    break;
                }
            }
            if (j < kept) {
                if (d.form < info[j].form ||
                    (d.form == info[j].form && d.inbound > info[j].inbound)) {
                    /* The better form, or the copy more pages link to (the
                     * one the site itself treats as canonical), takes the
                     * group's best rank: the two documents trade places,
                     * ranks staying put. */
                    sc->hits[i].did = sc->hits[j].did;
                    sc->hits[j].did = h.did;
                    sc->hits[i].sid = sc->hits[j].sid = 0;
                    dupinfo_free(&info[j], 1);
                    info[j] = d;
                } else {
                    dupinfo_free(&d, 1);
                }
                continue;
            }
            /* Swap, never overwrite: every hit stays in the set (facets
             * count them all; a second pass orders them again). */
            sc->hits[i] = sc->hits[kept];
            sc->hits[kept] = h;
            info[kept++] = d;
        }
        if (kept == want || k == sc->n) {
            break;
        }
        /* Duplicates used up the margin: order more and start again. */
        k *= 2;
    }
    *shown = kept;
    rc = 0;
out:
    if (info != NULL) {
        dupinfo_free(info, kept);
        kw_free(info);
    }
    return rc;
}

/*
 * Top k.  A query of one positive word (or phrase) held by many documents
 * is ranked without scoring every match, by Fagin's threshold algorithm
 * over an impact list (impact.h):
 *
 * - first the exact-title documents and those the list cannot know of
 *   (indexed since its build), each scored exactly;
 * - then the list from its head: each document read there is scored
 *   exactly, from the counts the entry carries when the word is the
 *   list's one token and nothing is excluded, else by kwtf on its row
 *   alone (a word of several tokens such as a Korean one walks the list of
 *   its rarest token: the word occurs no more often than any of its
 *   tokens, so the token's impact bounds the word's; a phrase of several
 *   words is bounded by its words' rows instead, see several_words());
 * - and it stops as soon as the k-th best score is above what any
 *   document not yet read could reach: idf times the next entry's impact,
 *   scaled by impact_drift.
 *
 * Scoring a row alone is a lookup in the index, 100-200 times the cost of
 * scoring one match in a scan of them all (TOPK_LOOKUP_RATIO).  Such a
 * walk starts only when k lookups cost less than that scan would (a
 * list's token in more than k times TOPK_LOOKUP_RATIO documents, 10,752
 * for a page of 20), and gives up once it has cost as much, or after
 * TOPK_WALK_PAST times k lookups: of the walks measured at 20,000 and
 * 100,000 documents, every one that closed did so after k to k + 8, and
 * the others (phrases of several words, whose words' impacts are far
 * above the phrase's, no longer walked) read on to their budget.
 *
 * The k best are then exactly those of an exhaustive ranking: the same
 * scores, the same order, the same tie-break by id; the bound only
 * decides what need not be scored.  When the list runs out first, the
 * query is ranked exhaustively.  k is what the page needs with
 * collapse()'s margin; when collapse() wants more, the walk runs again
 * with twice k.  One word's ranking does not depend on its idf (every
 * score is idf times the same factor), so no count of its documents is
 * needed before ranking.
 *
 * Total and facets then come from a count of the matches without scoring
 * (count_matches): exact up to TOPK_COUNT_BUDGET matches, else a sample of
 * each sixteenth of the id range, scaled ("total_approx").
 *
 * A query's fallback to documents with any of its words, when every
 * word but one is in no document (a misspelling beside a right word), is
 * that one word's ranking, and walks its list (fallback_one_word).
 *
 * Queries of two or more words: the threshold algorithm over their lists
 * was measured and is slower (docs/benchmarks.md, "Top k"): the
 * saturation of BM25 makes a common word's impacts flat (most documents
 * holding it are near the top), so the lists' bound falls too slowly.
 * What works is knowing every document's impacts: term_docs (impact.h)
 * holds each listed term's documents in id order with their impacts, so
 * multi_plan intersects the words' rows and bounds each document's score
 * by its impacts (times the drift) plus the largest proximity bonus
 * (RANK_PROX_WEIGHT times the idf sum, times its hub factor: rank.h)
 * without reading the index.  The walk then scores the documents best
 * bound first until the k-th best score passes the next bound: at
 * 100,000 documents some 80-700 of 27,000-57,000 matches for two common
 * words, 13 us each.  Documents published since the build are scored by
 * walk_start as for one word.  A phrase of several words, or a word of
 * several tokens, is bounded by the least of its tokens' impacts; a word
 * whose list's walk did not close is walked so too.  Prefixes and words
 * without a row are ranked exhaustively.
 */

/* Matches counted exactly up to this many, then sampled. */
#define TOPK_COUNT_BUDGET 4096
#define TOPK_COUNT_STRIDES 16
/* Tokens of one word looked at for the rarest with a list. */
#define TOPK_MAX_TOKENS 16
/* What one entry's lookup in the index costs (a word of several tokens,
 * an exclusion: walk_score), against scoring one match in a scan
 * of every match: 150-400 us against 1-1.6 us, measured at 20,000
 * documents (docs/benchmarks.md, "Top k").  Such a walk may look up the
 * list's df over this many entries, about what ranking every match would
 * cost; when that is fewer than k, it does not start, and when it has
 * looked them up, or TOPK_WALK_PAST times k, and is still open, it gives
 * up. */
#define TOPK_LOOKUP_RATIO 192
#define TOPK_WALK_PAST 2
/* Positive words of a query a multi-word walk takes, and their tokens. */
#define TOPK_MULTI_MAX 8
#define TOPK_MULTI_ROWS 16
/* A multi-word walk's lookup (walk_score) against scoring one match in a
 * scan of every match of the same words: 12-21 us against 0.5-0.7 us at
 * 100,000 documents, 30-40 us against 0.6 us at 300,000 (two-word
 * queries).  Such a walk may look up one in this many of its documents,
 * about what ranking every match would cost, and gives up when it has and
 * is still open.  The walks measured at 300,000 documents looked up one in
 * 125 to 20,000 (two words, phrases). */
#define TOPK_MULTI_RATIO 64

/* A document of several words' walk and the bound of its score. */
struct cand_ub {
    uint32_t doc;
    double ub;
};

/* The higher bound first. */
static int
cand_higher(const struct cand_ub *a, const struct cand_ub *b)
{
    return a->ub > b->ub;
}

HEAP_SIFT_DOWN(cand_sift, struct cand_ub, cand_higher)

struct topk_plan {
    struct impact_meta meta;
    struct impact_list l; /* the list walked */
    size_t pos;
    double front;   /* impact of the next entry; the bound past the end */
    int direct;     /* score from the entries' counts, not from the index */
    double drift;   /* impact_drift: stored impacts times it bound live ones */
    size_t lookups; /* entries an indirect walk may look up, then gives up */
    int force;      /* tests: walk whatever it costs (exhaustive = -1) */
    /* Several words: every document term_docs says holds them all and the
     * filters pass, with the bound of its score (multi_plan). */
    int multi;
    struct cand_ub *cand;
    size_t ncand;
};

static void
topk_plan_free(struct topk_plan *p)
{
    impact_list_free(&p->l);
    kw_free(p->cand);
    p->cand = NULL;
}

/* 1 when the term text s (n bytes) is several words: an ASCII byte other
 * than a letter or digit separates them ("write lock", "per-type").  Each
 * word occurs far more often than the phrase, so a word's list bounds the
 * phrase loosely: no walk of such a phrase was seen to close (17 measured
 * at 20,000 and 100,000 documents).  Such a phrase is bounded by its
 * words' rows of term_docs instead (multi_plan: the least of its words'
 * impacts, in every document, and not only the rarest word's best 2,048).
 * The tokens of one Korean word (overlapping syllable pairs) mostly occur
 * in it, and their lists' walks close. */
static int
several_words(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x80 && !ascii_is_alpha(c) && !ascii_is_digit(c)) {
            return 1;
        }
    }
    return 0;
}

/* The plan of a query by its terms' rows of term_docs (multi_plan): 1
 * made, 0 not such a query (rank exhaustively), -1. */
static int multi_plan(struct db *db, const struct searchcat *cat,
                      const struct search_filter *f,
                      const struct query_info *info,
                      const struct rank_corpus *corpus, struct topk_plan *p);

/* An empty plan for the filter f: f->exhaustive < 0 (tests) forces the
 * walk. */
static void
topk_plan_init(struct topk_plan *p, const struct search_filter *f)
{
    memset(p, 0, sizeof(*p));
    p->force = f->exhaustive < 0;
}

/* The plan of a query: of one word, 1 when its word (or a token of it) has
 * a list; of several, or of a phrase of several words, 1 when multi_plan
 * can bound them (corpus: the query's statistics, NULL to leave
 * multi_plan out); 0 when not (rank exhaustively), -1. */
static int
topk_plan_make(struct db *db, const struct searchcat *cat,
               const struct search_filter *f, const struct query_info *info,
               const struct rank_corpus *corpus, struct topk_plan *p)
{
    char tok[TOPK_MAX_TOKENS][IMPACT_MAX_TERM + 1];
    const struct query_term *q = NULL;
    int k, n, got;

    topk_plan_init(p, f);
    if (info->n_positive >= 2) {
        return multi_plan(db, cat, f, info, corpus, p);
    }
    for (k = 0; k < info->n_terms; k++) {
        if (!info->term[k].exclude) {
            q = &info->term[k];
            break;
        }
    }
    if (info->n_positive != 1 || q == NULL || q->prefix) {
        return 0;
    }
    got = impact_meta_read(db, &p->meta);
    if (got <= 0) {
        return got;
    }
    n = impact_tokens(db, q->text, q->len, tok, TOPK_MAX_TOKENS);
    if (n > 1 && several_words(q->text, q->len)) {
        /* A phrase of several words: its words' lists bound it loosely,
         * their rows of term_docs tightly enough. */
        return multi_plan(db, cat, f, info, corpus, p);
    }
    if (n <= 0) {
        return n < 0 ? -1 : 0;
    }
    for (k = 0; k < n; k++) {
        struct impact_list l;

        got = impact_list_read(db, &p->meta, tok[k], strlen(tok[k]), &l);
        if (got < 0) {
            topk_plan_free(p);
            return -1;
        }
        if (got > 0 && (p->l.entries == NULL || l.df < p->l.df)) {
            impact_list_free(&p->l);
            p->l = l;
        } else {
            impact_list_free(&l);
        }
    }
    if (p->l.entries == NULL) {
        return 0;
    }
    p->direct = n == 1 && info->n_negative == 0;
    p->drift = impact_drift(&p->meta, cat->avg_ntok);
    p->lookups = p->l.df > 0 ? (size_t)p->l.df / TOPK_LOOKUP_RATIO : 0;
    return 1;
}

/* Row d of term_docs moved to its first entry at or past target: 1 with
 * *at and *x that entry's id and impact, 0 when it has none, -1 when the
 * row is malformed. */
static int
docs_seek(struct impact_docs *d, uint32_t target, uint32_t *at, double *x)
{
    int got = 1;

    while (*at < target && (got = impact_docs_next(d, at, x)) == 1) {
    }
    return got;
}

/* The plan of a query of one to TOPK_MULTI_MAX positive terms (words or
 * phrases, no prefix) whose tokens, TOPK_MULTI_ROWS at most, all have a
 * row in term_docs: the documents every row holds that pass the filters,
 * each with the bound of its score (multi-word walk, "Top k" above).  0
 * (rank exhaustively) for any other query, for a malformed row, and when
 * fewer such documents than the fallback's SEARCH_ANY_BELOW might match.
 * 1 made, -1. */
static int
multi_plan(struct db *db, const struct searchcat *cat,
           const struct search_filter *f, const struct query_info *info,
           const struct rank_corpus *corpus, struct topk_plan *p)
{
    /* The bound is a sum of products rounded to nearest: a margin far
     * above its rounding keeps it a bound. */
    const double up = 1.0 + 1e-9;
    char tok[TOPK_MAX_TOKENS][IMPACT_MAX_TERM + 1];
    struct impact_docs d[TOPK_MULTI_ROWS];
    uint32_t at[TOPK_MULTI_ROWS];
    double x[TOPK_MULTI_ROWS], xt[TOPK_MULTI_MAX], near = 0.0;
    int term_of[TOPK_MULTI_ROWS];
    int64_t *late = NULL;
    size_t nlate = 0, cap = 0;
    int nt = 0, nr = 0, k, i, n, got, rc = -1, lang = filter_lang(cat, f);

    memset(d, 0, sizeof(d));
    if (corpus == NULL || info->n_positive > TOPK_MULTI_MAX || lang == -2) {
        return 0;
    }
    if ((got = impact_meta_read(db, &p->meta)) <= 0) {
        return got;
    }
    for (k = 0; k < info->n_terms; k++) {
        const struct query_term *q = &info->term[k];

        if (q->exclude) {
            continue;
        }
        n = q->prefix
                ? 0
                : impact_tokens(db, q->text, q->len, tok, TOPK_MAX_TOKENS);
        if (n > TOPK_MULTI_ROWS - nr) {
            n = 0;
        }
        if (n <= 0) {
            rc = n;
            goto out;
        }
        /* A word of several tokens (a Korean word's syllable pairs) or a
         * phrase of several words is in no column more often than any of
         * its tokens, so its impact is at most the least of theirs. */
        for (i = 0; i < n; i++, nr++) {
            if ((got = impact_docs_read(db, &p->meta, tok[i], strlen(tok[i]),
                                        &d[nr])) <= 0) {
                rc = got;
                goto out;
            }
            at[nr] = 0;
            term_of[nr] = nt;
        }
        near += corpus->idf[nt];
        nt++;
    }
    if (nt < 2) {
        near = 0.0; /* no proximity bonus for one word */
    }
    p->drift = impact_drift(&p->meta, cat->avg_ntok);
    for (;;) {
        uint32_t did;
        double ub = 0.0;

        if ((got = impact_docs_next(&d[0], &at[0], &x[0])) <= 0) {
            break;
        }
        did = at[0];
        for (i = 1;
             i < nr && (got = docs_seek(&d[i], did, &at[i], &x[i])) == 1 &&
             at[i] == did;
             i++) {
        }
        if (got <= 0) {
            break; /* a row ended (or is malformed) */
        }
        if (i < nr || !doc_passes(cat, f, lang, did)) {
            continue;
        }
        for (k = 0; k < nt; k++) {
            xt[k] = 1.0;
        }
        for (i = 0; i < nr; i++) {
            if (x[i] < xt[term_of[i]]) {
                xt[term_of[i]] = x[i];
            }
        }
        for (k = 0; k < nt; k++) {
            ub += corpus->idf[k] * xt[k] * p->drift;
        }
        ub = (ub + cat->doc[did].hub * RANK_PROX_WEIGHT * near) * up;
        if (p->ncand == cap) {
            struct cand_ub *g;

            cap = cap ? 2 * cap : 4096;
            if ((g = kw_realloc(p->cand, cap * sizeof(*g))) == NULL) {
                goto out;
            }
            p->cand = g;
        }
        p->cand[p->ncand].doc = did;
        p->cand[p->ncand++].ub = ub;
    }
    if (got < 0 || impact_late_read(db, &late, &nlate) < 0) {
        rc = got < 0 ? 0 : -1; /* a malformed row: score every match */
        goto out;
    }
    /* A document indexed again since the build (impact_late) may no
     * longer hold the words its entries say it does: the others do, and
     * must be enough that the query has no fallback. */
    for (i = 0, k = 0; (size_t)k < nlate; k++) {
        size_t lo = 0, hi = p->ncand;

        while (lo < hi) { /* p->cand is in ascending id order here */
            size_t mid = lo + (hi - lo) / 2;

            if ((int64_t)p->cand[mid].doc < late[k]) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        i += lo < p->ncand && (int64_t)p->cand[lo].doc == late[k];
    }
    if (p->ncand - (size_t)i < SEARCH_ANY_BELOW) {
        rc = 0;
        goto out;
    }
    p->multi = 1;
    p->lookups = p->ncand / TOPK_MULTI_RATIO;
    rc = 1;
out:
    for (i = 0; i < nr; i++) {
        impact_docs_free(&d[i]);
    }
    kw_free(late);
    if (rc != 1) {
        kw_free(p->cand);
        p->cand = NULL;
        p->ncand = 0;
    }
    return rc;
}

/* A set of document ids: those the walk has looked at. */
struct idset {
    uint32_t *slot;
    size_t nslot, n;
};

/* Add id (> 0): 1 when new, 0 when there already, -1. */
static int
idset_add(struct idset *s, uint32_t id)
{
    size_t k;

    if (2 * (s->n + 1) > s->nslot) {
        size_t n = s->nslot ? 2 * s->nslot : 1024, i;
        uint32_t *slot = kw_calloc(n, sizeof(*slot));

        if (slot == NULL) {
            return -1;
        }
        for (i = 0; i < s->nslot; i++) {
            if (s->slot[i] != 0) {
                k = did_hash(s->slot[i], n);
                while (slot[k] != 0) {
                    k = (k + 1) & (n - 1);
                }
                slot[k] = s->slot[i];
            }
        }
        kw_free(s->slot);
        s->slot = slot;
        s->nslot = n;
    }
    for (k = did_hash(id, s->nslot); s->slot[k] != 0;
         k = (k + 1) & (s->nslot - 1)) {
        if (s->slot[k] == id) {
            return 0;
        }
    }
    s->slot[k] = id;
    s->n++;
    return 1;
}

/* The k best hits so far: a heap whose root is the worst of them. */
struct topk {
    struct hit *heap;
    size_t k, n;
};

static void
topk_offer(struct topk *t, const struct hit *h)
{
    size_t i;

    if (t->n < t->k) {
        t->heap[t->n++] = *h;
        if (t->n == t->k) {
            for (i = t->k / 2; i-- > 0;) {
                sift_down(t->heap, t->k, i);
            }
        }
    } else if (hit_cmp(h, &t->heap[0]) < 0) {
        t->heap[0] = *h;
        sift_down(t->heap, t->k, 0);
    }
}

/* 1 when no document scoring at most ub can be among the k best. */
static int
topk_closed(const struct topk *t, double ub)
{
    return t->n == t->k && (t->heap[0].exact || ub < t->heap[0].score);
}

/* What the walk shares. */
struct walk {
    struct db *db;
    const struct searchcat *cat;
    const struct search_filter *f;
    int lang, one;
    const char *m;
    const struct rank_corpus *corpus;
    struct scan *sc;
    struct topk top;
    struct idset seen;
    uint16_t tf[RANK_NCOL]; /* a direct plan's entry */
};

/* Take the scored row h into the match set and the k best. */
static int
walk_take(struct walk *w, struct hit *h)
{
    if (scan_add(w->sc, h->did, h->score, h->matched) < 0) {
        return -1;
    }
    w->sc->hits[w->sc->n - 1].exact = h->exact;
    topk_offer(&w->top, h);
    return 0;
}

/* Score document did alone (when it matches).  0 or -1. */
static int
walk_score(struct walk *w, int64_t did, int exact)
{
    sqlite3_stmt *st = match_stmt(w->db, w->one, 2);
    struct hit h;
    int rc;

    if (st == NULL || db_bind_text(st, ":m", w->m) != SQLITE_OK ||
        db_bind_int64(st, ":d", did) != SQLITE_OK) {
        return -1;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW &&
        row_hit(w->cat, w->f, w->lang, did, sqlite3_column_blob(st, 1),
                (size_t)sqlite3_column_bytes(st, 1), w->one, w->corpus, &h)) {
        h.exact = exact;
        if (walk_take(w, &h) < 0) {
            sqlite3_reset(st);
            return -1;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

/* exact_docs()'s fn for walk_start: scores did, once, as exact (titles
 * come first, so a document is marked with the better of its marks). */
static int
walk_exact(void *ctx, int64_t did, int exact)
{
    struct walk *w = ctx;
    int got =
        did > 0 && did <= UINT32_MAX ? idset_add(&w->seen, (uint32_t)did) : 0;

    return got < 0 || (got == 1 && walk_score(w, did, exact) < 0) ? -1 : 0;
}

/* The exact-title documents (they lead whatever their score), then the
 * documents the lists do not cover: each scored.  0 or -1. */
static int
walk_start(struct walk *w, const struct topk_plan *p, const struct exactq *q)
{
    sqlite3_stmt *st;
    int64_t *late = NULL;
    size_t nlate = 0, i;
    int rc;

    /* walk_score steps another statement: exact_docs' stays open. */
    if (exact_docs(w->db, w->cat, q, walk_exact, w) != 0 ||
        (st = match_stmt(w->db, w->one, 1)) == NULL ||
        db_bind_text(st, ":m", w->m) != SQLITE_OK ||
        db_bind_int64(st, ":u", p->meta.upto) != SQLITE_OK) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t did = sqlite3_column_int64(st, 0);
        struct hit h;
        int got = did > 0 && did <= UINT32_MAX
                      ? idset_add(&w->seen, (uint32_t)did)
                      : 0;

        if (got < 0 ||
            (got == 1 &&
             row_hit(w->cat, w->f, w->lang, did, sqlite3_column_blob(st, 1),
                     (size_t)sqlite3_column_bytes(st, 1), w->one, w->corpus,
                     &h) &&
             walk_take(w, &h) < 0)) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE || impact_late_read(w->db, &late, &nlate) < 0) {
        return -1;
    }
    rc = 0;
    for (i = 0; i < nlate && rc == 0; i++) {
        int got = late[i] > 0 && late[i] <= UINT32_MAX
                      ? idset_add(&w->seen, (uint32_t)late[i])
                      : 0;

        rc = got < 0 ? -1 : got ? walk_score(w, late[i], 0) : 0;
    }
    kw_free(late);
    return rc;
}

/* The best k matches of m into sc by the threshold algorithm.  0 done
 * (sc holds them, among other scored matches), 1 the list ran out first,
 * or an indirect walk would cost more than ranking every match, or read
 * TOPK_WALK_PAST times k entries, and is still open: rank exhaustively;
 * -1. */
static int
topk_docs(struct walk *w, struct topk_plan *p, size_t k, const struct exactq *q)
{
    /* The bound is a product rounded to nearest: a margin far above its
     * rounding keeps it a bound. */
    const double up = 1.0 + 1e-9, idf = w->corpus->idf[0];
    size_t looked = 0, budget = SIZE_MAX, nheap = p->ncand, i;
    int rc = -1;

    if (!p->direct && !p->force) {
        if (p->lookups < k) {
            return 1; /* k lookups: more than scoring every match */
        }
        /* A list's walk that has not closed after TOPK_WALK_PAST * k
         * entries will not; a multi-word walk's bound is every document's
         * own, and its budget alone stops it. */
        budget = p->multi || p->lookups < TOPK_WALK_PAST * k
                     ? p->lookups
                     : TOPK_WALK_PAST * k;
    }
    w->top.k = k;
    w->top.n = 0;
    w->top.heap = kw_calloc(k + 1, sizeof(*w->top.heap));
    p->pos = 0;
    p->front = p->l.n > 0 ? impact_entry_impact(&p->l, 0) : p->l.bound;
    if (w->top.heap == NULL || walk_start(w, p, q) < 0) {
        goto out;
    }
    if (p->multi) {
        /* Best bound first; the documents of no row hold the words, or
         * were scored by walk_start. */
        for (i = nheap / 2; i-- > 0;) {
            cand_sift(p->cand, nheap, i);
        }
        for (;;) {
            struct cand_ub top;
            uint32_t did;
            int got;

            if (nheap == 0) {
                /* All scored: the k best unless fewer matched, and then
                 * collapse() would ask again with twice k. */
                rc = w->top.n == w->top.k ? 0 : 1;
                break;
            }
            if (topk_closed(&w->top, p->cand[0].ub)) {
                rc = 0;
                break;
            }
            if (looked == budget) {
                rc = 1;
                break;
            }
            /* The root goes past the heap's end, where the next walk
             * (twice k) finds it again. */
            top = p->cand[0];
            did = top.doc;
            p->cand[0] = p->cand[--nheap];
            p->cand[nheap] = top;
            cand_sift(p->cand, nheap, 0);
            if ((got = idset_add(&w->seen, did)) < 0) {
                goto out;
            }
            if (got == 1) {
                looked++;
                if (walk_score(w, did, 0) < 0) {
                    goto out;
                }
            }
        }
        goto out;
    }
    for (;;) {
        uint32_t did;
        int got;

        if (topk_closed(&w->top, idf * p->front * p->drift * up)) {
            rc = 0;
            break;
        }
        if (p->pos == p->l.n || looked == budget) {
            rc = 1; /* read to its end or its budget, and still open */
            break;
        }
        did = impact_entry_doc(&p->l, p->pos);
        if (p->direct) {
            impact_entry_tf(&p->l, p->pos, w->tf);
        }
        p->pos++;
        p->front =
            p->pos < p->l.n ? impact_entry_impact(&p->l, p->pos) : p->l.bound;
        got = idset_add(&w->seen, did);
        if (got < 0) {
            goto out;
        }
        if (got == 0) {
            continue;
        }
        if (p->direct) {
            struct hit h;

            /* kwtf's row for this document, as the index would give it. */
            if (row_hit(w->cat, w->f, w->lang, did, w->tf, sizeof(w->tf), 1,
                        w->corpus, &h) &&
                walk_take(w, &h) < 0) {
                goto out;
            }
        } else {
            looked++;
            if (walk_score(w, did, 0) < 0) {
                goto out;
            }
        }
    }
out:
    kw_free(w->top.heap);
    w->top.heap = NULL;
    return rc;
}

/* Total and facets of the matches of m without scoring them: every match
 * up to TOPK_COUNT_BUDGET; past it, the first matches of each of
 * TOPK_COUNT_STRIDES stretches of the id range, each weighing for the
 * stretch's part it did not read (t->approx).  0 or -1. */
static int
count_matches(struct db *db, const struct searchcat *cat,
              const struct search_filter *f, const char *m, struct tally *t)
{
    static const char sql[] = "SELECT rowid FROM doc_fts WHERE doc_fts MATCH :m"
                              " AND rowid BETWEEN :lo AND :hi LIMIT :n";
    const int64_t per = TOPK_COUNT_BUDGET / TOPK_COUNT_STRIDES;
    int64_t top = (int64_t)cat->ndoc - 1;
    int lang = filter_lang(cat, f), s;

    if (lang == -2 || top < 1) {
        return 0;
    }
    for (s = 0; s < TOPK_COUNT_STRIDES; s++) {
        int64_t lo = 1 + top * s / TOPK_COUNT_STRIDES;
        int64_t hi = top * (s + 1) / TOPK_COUNT_STRIDES, rows = 0, last = 0;
        sqlite3_stmt *st = db_stmt(db, sql);
        size_t first = t->n, i;
        int rc;

        if (hi < lo) {
            continue;
        }
        if (st == NULL || db_bind_text(st, ":m", m) != SQLITE_OK ||
            db_bind_int64(st, ":lo", lo) != SQLITE_OK ||
            db_bind_int64(st, ":hi", hi) != SQLITE_OK ||
            db_bind_int64(st, ":n", per) != SQLITE_OK) {
            return -1;
        }
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            last = sqlite3_column_int64(st, 0);
            rows++;
            if (doc_passes(cat, f, lang, last) && tally_add(t, last, 1.0) < 0) {
                rc = SQLITE_NOMEM;
                break;
            }
        }
        sqlite3_reset(st);
        if (rc != SQLITE_DONE) {
            return -1;
        }
        if (rows == per && last < hi) {
            /* Read up to last of [lo, hi]: the rest is like what was. */
            double w = (double)(hi - lo + 1) / (double)(last - lo + 1);

            for (i = first; i < t->n; i++) {
                t->w[i] = (float)w;
                t->total += w - 1.0;
            }
            t->approx = 1;
        }
    }
    return 0;
}

/* The MATCH expressions of one query (query_expr): documents are matched
 * with all (AND, exclusions) or, as the fallback, any (OR, exclusions);
 * the best section with sec_all, else sec_any (no exclusions: the
 * document has none of those words anyway), and sec_any makes the
 * snippet, so it marks every word the section holds. */
struct search_exprs {
    const char *all, *any, *sec_all, *sec_any;
    /* The fallback's terms when a word of the query is an identifier
     * with parts (query_parts()), else NULL; their any and sec_any. */
    const struct query_info *parts;
    const char *parts_any, *parts_sec_any;
};

/* Rank by the threshold algorithm (topk_docs) for a page of want
 * results: 0 with sc's first *shown hits the page's (collapsed), 1 when
 * the list ran out (rank exhaustively), -1. */
static int
topk_rank(struct db *db, const struct searchcat *cat,
          const struct search_filter *f, const struct rank_corpus *corpus,
          struct topk_plan *p, const char *m, int one, const struct exactq *q,
          size_t want, struct scan *sc, size_t *shown)
{
    size_t k = 2 * want + 16;

    for (;;) {
        struct walk w;
        int rc;

        scan_free(sc);
        sc->cat = cat;
        memset(&w, 0, sizeof(w));
        w.db = db;
        w.cat = cat;
        w.f = f;
        w.lang = filter_lang(cat, f);
        w.one = one;
        w.m = m;
        w.corpus = corpus;
        w.sc = sc;
        rc = w.lang == -2 ? 1 : topk_docs(&w, p, k, q);
        kw_free(w.seen.slot);
        if (rc != 0) {
            return rc;
        }
        /* The k best, in order, and nothing past them: what follows them
         * in sc is not the exhaustive ranking's. */
        order_top(sc->hits, sc->n, k);
        if (sc->n > k) {
            sc->n = k;
        }
        if (collapse(db, cat, f, sc, want, shown) < 0) {
            return -1;
        }
        if (*shown == want) {
            return 0;
        }
        k *= 2; /* duplicates took the margin, as collapse() would */
    }
}

/*
 * Titles made of the query's words.  In the OR fallback the query holds a
 * word the answer lacks: an index's annotation ("__call__
 * scipy.interpolate.InterpolatedUnivariateSpline method",
 * "ECLIPSE_EXTRA_CPROJECT_CONTENTS global property"), a word of the
 * reader's own.  The page whose title (its collection's affix left out) is
 * nothing but words of the query, and holds at least SEARCH_TITLE_SHARE
 * percent (search.h) of the query's idf with its rarest word, is the page
 * about them: it leads the documents holding more of the words, each of
 * which only mentions them.  Candidates come from the title column: titles
 * with the rarest word, and with one of the others when it alone holds
 * less than the share or is in more than SEARCH_TITLE_LEAD_MAX titles; more
 * than that even so, and the words are too common for a title to say what
 * the query is about.  Measured on eleven manuals (docs/benchmarks.md): a
 * share of 50% against 40% and 60%.
 */

/* hit.matched of such a page (p: the permille of the query's idf its title
 * holds, so that a title with more of the query leads one with less), of
 * a page defining the query's rarest identifier (key_lead, after them; m:
 * what it had, so that those keep their order), and of a document holding
 * an identifier as written (the fallback's parts, after those). */
#define LEAD_MATCHED(p) (INT_MAX - 1000 + (p))
#define KEY_MATCHED(m) (INT_MAX / 2 + (m))
#define KEY_BAND (1 << 20) /* above any count of words rank_doc_score gives */
#define WHOLE_MATCHED (INT_MAX / 4)
#define TITLE_LEAD_TOKENS 64

/* The tokens of a text as the index splits it, an identifier by its
 * parts only ("os.path" gives "os", "path"): a title and a query compare
 * by parts, the whole being one token on either side. */
struct tokset {
    char tok[TITLE_LEAD_TOKENS][IMPACT_MAX_TERM + 1]; /* "": dropped */
    size_t n;
    int last; /* the last token not colocated, or -1 */
    int over; /* a token did not fit */
};

static void
tokset_init(struct tokset *t)
{
    t->n = 0;
    t->last = -1;
    t->over = 0;
}

static int
tokset_emit(void *ctx, int tflags, const char *tok, int ntok, int start,
            int end)
{
    struct tokset *t = ctx;

    (void)start;
    (void)end;
    if (tflags & FTS5_TOKEN_COLOCATED) {
        if (t->last >= 0) {
            t->tok[t->last][0] = '\0'; /* a whole identifier: its parts */
        }
    }
    t->last = -1;
    if (ntok <= 0 || ntok > IMPACT_MAX_TERM || t->n == TITLE_LEAD_TOKENS) {
        t->over = 1;
        return SQLITE_OK;
    }
    if (!(tflags & FTS5_TOKEN_COLOCATED)) {
        t->last = (int)t->n;
    }
    memcpy(t->tok[t->n], tok, (size_t)ntok);
    t->tok[t->n++][ntok] = '\0';
    return SQLITE_OK;
}

static int
tokset_has(const struct tokset *t, const char *tok)
{
    size_t i;

    for (i = 0; i < t->n; i++) {
        if (strcmp(t->tok[i], tok) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The tokens t holds (dropped ones not counted). */
static size_t
tokset_count(const struct tokset *t)
{
    size_t i, n = 0;

    for (i = 0; i < t->n; i++) {
        n += t->tok[i][0] != '\0';
    }
    return n;
}

/* Whether a has a token and every one of them is in b. */
static int
tokset_within(const struct tokset *a, const struct tokset *b)
{
    size_t i, n = 0;

    for (i = 0; i < a->n; i++) {
        if (a->tok[i][0] != '\0') {
            if (!tokset_has(b, a->tok[i])) {
                return 0;
            }
            n++;
        }
    }
    return n > 0 && !a->over;
}

/* Append the tokens of t to out as an FTS5 expression, each quoted, all
 * of them required. */
static void
tokset_expr(const struct tokset *t, struct strbuf *out)
{
    size_t i, j = 0;
    const char *p;

    for (i = 0; i < t->n; i++) {
        if (t->tok[i][0] == '\0') {
            continue;
        }
        if (j++ > 0) {
            strbuf_append(out, " AND ", 5);
        }
        strbuf_putc(out, '"');
        for (p = t->tok[i]; *p != '\0'; p++) {
            strbuf_append(out, *p == '"' ? "\"\"" : p, *p == '"' ? 2 : 1);
        }
        strbuf_putc(out, '"');
    }
}

/* Title tn (normalised, borrowed) of a document whose collection has the
 * affix x (NULL: none), without it: its start in *s, its length. */
static size_t
title_own(const char *tn, const struct searchcat_affix *x, const char **s)
{
    size_t n = strlen(tn), k;

    *s = tn;
    if (x == NULL) {
        return n;
    }
    k = strlen(x->prefix);
    if (k > 0 && n > k && strncmp(tn, x->prefix, k) == 0 && tn[k] == ' ') {
        *s += k + 1;
        n -= k + 1;
    }
    k = strlen(x->suffix);
    if (k > 0 && n > k && strcmp(*s + n - k, x->suffix) == 0 &&
        (*s)[n - k - 1] == ' ') {
        n -= k + 1;
    }
    return n;
}

/* A page whose title leads, and the permille of the query's idf it holds. */
struct lead {
    int64_t did;
    int permille;
};

static int
lead_cmp(const void *a, const void *b)
{
    const struct lead *x = a, *y = b;

    return x->did < y->did ? -1 : x->did > y->did;
}

/* Mark (LEAD_MATCHED) the hits of sc whose title is made of the
 * query's words (info, its positive terms with idf c->idf): see above.
 * 0 or -1. */
static int
title_lead(struct db *db, const struct searchcat *cat, int memo,
           const struct query_info *info, const struct rank_corpus *c,
           struct scan *sc)
{
    static const char cand_sql[] = "SELECT rowid FROM doc_fts"
                                   " WHERE doc_fts MATCH :m LIMIT :n";
    static const char title_sql[] =
        "SELECT title_norm FROM document WHERE id = :d";
    struct tokset *q = NULL, *t = NULL, *qt = NULL;
    struct strbuf buf = STRBUF_INIT;
    int64_t cand[SEARCH_TITLE_LEAD_MAX + 1];
    struct lead lead[SEARCH_TITLE_LEAD_MAX];
    size_t ncand = 0, i, j;
    double mass = 0, idf_of[QUERY_MAX_TERMS];
    long best_df = -1;
    int k, ph = 0, rare = -1, nheld = 0, narrow, rc = -1;
    sqlite3_stmt *st;

    q = kw_calloc(1, sizeof(*q));
    t = kw_calloc(1, sizeof(*t));
    qt = kw_calloc(QUERY_MAX_TERMS, sizeof(*qt));
    if (q == NULL || t == NULL || qt == NULL) {
        goto out;
    }
    tokset_init(q);
    /* The query's tokens, each positive term's, and its rarest term that
     * some document holds. */
    for (k = 0; k < info->n_terms && ph < c->nphrase; k++) {
        const struct query_term *qk = &info->term[k];
        long df;

        if (qk->exclude) {
            continue;
        }
        idf_of[k] = c->idf[ph++];
        tokset_init(&qt[k]);
        if (qk->part) {
            continue; /* its whole stands for it */
        }
        if (qk->prefix) {
            rc = 0; /* not a word a title is made of */
            goto out;
        }
        tokenizer_tokenize(qk->text, qk->len, 0, &qt[k], tokset_emit);
        for (i = 0; i < qt[k].n; i++) {
            if (qt[k].tok[i][0] != '\0') {
                tokset_emit(q, 0, qt[k].tok[i], (int)strlen(qt[k].tok[i]), 0,
                            0);
            }
        }
        if (qt[k].over || q->over) {
            rc = 0; /* too long to compare */
            goto out;
        }
        if ((df = term_df(db, cat, memo, qk, &buf)) < 0) {
            goto out;
        }
        if (df == 0) {
            qt[k].n = 0; /* in no document: no part of the mass */
            continue;
        }
        mass += idf_of[k];
        nheld++;
        if (best_df < 0 || df < best_df) {
            best_df = df;
            rare = k;
        }
    }
    if (nheld < 2 || mass <= 0 || tokset_count(&qt[rare]) == 0) {
        /* One word some document holds: the fallback is its ranking
         * (fallback_one_word), which this rule must not change. */
        rc = 0;
        goto out;
    }
    /* The documents with the rarest term in their title; with one of the
     * others too when it alone holds too little of the idf, or when too
     * many titles hold it. */
    for (narrow = idf_of[rare] * 100 < SEARCH_TITLE_SHARE * mass;; narrow++) {
        strbuf_reset(&buf);
        strbuf_append(&buf, "{title} : (", 11);
        tokset_expr(&qt[rare], &buf);
        if (narrow) {
            strbuf_append(&buf, " AND (", 6);
            for (k = 0, j = 0; k < info->n_terms; k++) {
                if (k != rare && !info->term[k].exclude &&
                    tokset_count(&qt[k]) > 0) {
                    if (j++ > 0) {
                        strbuf_append(&buf, " OR ", 4);
                    }
                    strbuf_putc(&buf, '(');
                    tokset_expr(&qt[k], &buf);
                    strbuf_putc(&buf, ')');
                }
            }
            strbuf_putc(&buf, ')');
            if (j == 0) {
                rc = 0; /* no other word to narrow by */
                goto out;
            }
        }
        strbuf_putc(&buf, ')');
        st = db_stmt(db, cand_sql);
        if (!strbuf_ok(&buf) || st == NULL ||
            db_bind_text(st, ":m", strbuf_peek(&buf)) != SQLITE_OK ||
            db_bind_int64(st, ":n", SEARCH_TITLE_LEAD_MAX + 1) != SQLITE_OK) {
            goto out;
        }
        ncand = 0;
        while ((k = sqlite3_step(st)) == SQLITE_ROW) {
            cand[ncand++] = sqlite3_column_int64(st, 0);
        }
        sqlite3_reset(st);
        if (k != SQLITE_DONE) {
            goto out;
        }
        if (ncand <= SEARCH_TITLE_LEAD_MAX) {
            break;
        }
        if (narrow) {
            rc = 0;
            goto out;
        }
    }
    /* Keep those whose own title is within the query's words and holds
     * enough of its idf. */
    for (i = j = 0; i < ncand; i++) {
        int64_t did = cand[i];
        const char *tn, *own;
        size_t n;
        double held = 0;
        int r;

        if (did <= 0 || (size_t)did >= cat->ndoc || cat->doc[did].coll == 0) {
            continue;
        }
        st = db_stmt(db, title_sql);
        if (st == NULL || db_bind_int64(st, ":d", did) != SQLITE_OK) {
            goto out;
        }
        r = sqlite3_step(st);
        if (r != SQLITE_ROW && r != SQLITE_DONE) {
            sqlite3_reset(st);
            goto out;
        }
        tn = r == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
        tokset_init(t);
        if (tn != NULL) {
            n = title_own(tn, searchcat_affix_of(cat, cat->doc[did].coll),
                          &own);
            tokenizer_tokenize(own, n, 0, t, tokset_emit);
        }
        sqlite3_reset(st);
        if (!tokset_within(t, q)) {
            continue;
        }
        for (k = 0; k < info->n_terms; k++) {
            if (!info->term[k].exclude && qt[k].n > 0 &&
                tokset_within(&qt[k], t)) {
                held += idf_of[k];
            }
        }
        if (tokset_within(&qt[rare], t) &&
            held * 100 >= SEARCH_TITLE_SHARE * mass) {
            lead[j].did = did;
            lead[j++].permille = (int)(held * 1000 / mass + 0.5);
        }
    }
    /* One pass over the hits (every match of the fallback), each looked
     * up among the leading pages. */
    qsort(lead, j, sizeof(lead[0]), lead_cmp);
    for (i = 0; j > 0 && i < sc->n; i++) {
        struct lead key = {sc->hits[i].did, 0}, *l;

        l = bsearch(&key, lead, j, sizeof(lead[0]), lead_cmp);
        if (l != NULL) {
            sc->hits[i].matched = LEAD_MATCHED(l->permille);
        }
    }
    rc = 0;
out:
    strbuf_free(&buf);
    kw_free(q);
    kw_free(t);
    kw_free(qt);
    return rc;
}

/*
 * An identifier's definition.  "SECRET_KEY built-in variable",
 * "CSRF_FAILURE_VIEW setting": in the fallback, a page with a heading key
 * (rank.h) that is the query's rarest word, an identifier joined by '_'
 * (the settings page's entry `SECRET_KEY`), defines it; it follows the
 * pages whose title is made of the query's words (title_lead) and leads
 * the rest.  Not a hub's key (an index lists every name), nor one that
 * more than RANK_HEADING_DOCS documents share.  A word without '_' is not
 * enough: a manual's headings are words too ("Matrix", "Template"), and
 * such a heading is some other page's subsection.  Measured on the
 * held-out manuals (docs/benchmarks.md, 2026-12-04).
 */

/* exact_headings()'s fn for key_lead: marks the hit of did, unless it
 * is a hub or leads already. */
static int
key_one(void *ctx, int64_t did, int level)
{
    const struct scan *sc = ctx;
    struct hit *h;

    (void)level;
    if (did <= 0 || (size_t)did >= sc->cat->ndoc ||
        sc->cat->doc[did].hub < 1.0 || (h = scan_hit(sc, did)) == NULL ||
        h->matched >= KEY_MATCHED(0)) {
        return 0;
    }
    h->matched = KEY_MATCHED(h->matched == WHOLE_MATCHED ? KEY_BAND
                             : h->matched < KEY_BAND     ? h->matched
                                                         : KEY_BAND - 1);
    return 0;
}

/* Mark (KEY_MATCHED) the hits of sc with a key that is one of nm's
 * words: among them, one holding the identifier as written first, then
 * more of the words first, as before.  0 or -1. */
static int
key_lead(struct db *db, const struct names *nm, struct scan *sc)
{
    size_t i;

    for (i = 0; i < nm->nword; i++) {
        if (exact_headings(db, nm->word[i], nm->word[i], 0, key_one, sc) < 0) {
            return -1;
        }
    }
    return 0;
}

/* Empty sc and t for another ranking of the query (after a walk that did
 * not close, or before the fallback). */
static void
start_over(struct scan *sc, struct tally *t, const struct searchcat *cat)
{
    tally_free(t);
    scan_free(sc);
    sc->cat = cat;
}

/* The fallback of a query in which every positive word but one is in no
 * document at all (a misspelt word beside a right one: "pyhton
 * decorator").  Every document of the fallback then holds that one word
 * and nothing else of the query, with no proximity bonus, so its ranking
 * is the one word's, which its impact list gives (Top k) without scoring
 * every document that holds it; the counts are the word's too.  0 with
 * sc's first *shown hits the page's (collapsed) and t the total and
 * facets, 1 when the query is not such a one or the walk did not close
 * (score every match), -1. */
static int
fallback_one_word(struct db *db, const struct searchcat *cat,
                  const struct search_filter *f, const struct query_info *info,
                  const struct exactq *q, size_t want, struct scan *sc,
                  size_t *shown, struct tally *t)
{
    struct strbuf term = STRBUF_INIT, expr = STRBUF_INIT;
    struct query_info *one = kw_malloc(sizeof(*one));
    struct rank_corpus corpus;
    struct topk_plan plan;
    int k, got, rc = -1;

    memset(&plan, 0, sizeof(plan));
    if (one == NULL) {
        goto out;
    }
    *one = *info;
    one->n_terms = 0;
    one->n_positive = 0;
    for (k = 0; k < info->n_terms; k++) {
        const struct query_term *qt = &info->term[k];
        long df;

        if (!qt->exclude) {
            if ((df = term_df(db, cat, f->memo, qt, &term)) < 0) {
                goto out;
            }
            if (df == 0) {
                continue; /* in no document: it changes nothing */
            }
            one->n_positive++;
        }
        one->term[one->n_terms++] = *qt;
    }
    if (one->n_positive != 1) {
        rc = 1;
        goto out;
    }
    if (query_expr(one, 0, &expr) < 0 ||
        (got = topk_plan_make(db, cat, f, one, NULL, &plan)) < 0) {
        goto out;
    }
    if (got == 0) {
        rc = 1; /* the word has no list */
        goto out;
    }
    if (corpus_stats(db, cat, f->memo, one, &corpus, NULL) < 0) {
        goto out;
    }
    rc = topk_rank(db, cat, f, &corpus, &plan, strbuf_peek(&expr), 1, q, want,
                   sc, shown);
    if (rc == 0 && count_matches(db, cat, f, strbuf_peek(&expr), t) < 0) {
        rc = -1;
    }
out:
    topk_plan_free(&plan);
    strbuf_free(&expr);
    strbuf_free(&term);
    kw_free(one);
    return rc;
}

/* One page of results, the facets and the total.  The match set is every
 * document that contains all the words, ranked exactly: by the top-k
 * lists when every word has one ("Top k" above), else by scoring every
 * match.  When fewer than SEARCH_ANY_BELOW match and the query has two or
 * more words, or a word with parts (query_parts(): the parts join the
 * words), every document with any of them, more of the words first
 * ("mode": "any", with "all_total" and "parts").  Best sections and snippets
 * are made for the page's rows only.  Returns 0 or -1. */
static int
run_search(struct db *db, const struct searchcat *cat,
           const struct search_filter *f, const struct query_info *info,
           const struct search_exprs *x, const char *tn1, const char *tn2,
           int limit, int offset, const char *base, json_t *m, int *bad)
{
    json_t *results = json_object_get(m, "results");
    struct rank_corpus corpus;
    struct topk_plan plan;
    struct tally tally;
    struct scan sc;
    size_t i, all_total = 0, shown = 0, want = (size_t)offset + (size_t)limit;
    int err = 0, rc = -1, any = 0, planned = 0, one = info->n_positive == 1;
    int parts = 0;
    const char *any_expr = x->any, *sec_any = x->sec_any;
    struct names *names = kw_malloc(sizeof(*names));
    struct exactq eq;
    long df_of[QUERY_MAX_TERMS];

    memset(&sc, 0, sizeof(sc));
    memset(&tally, 0, sizeof(tally));
    memset(&plan, 0, sizeof(plan));
    sc.cat = cat;
    eq.tn1 = tn1;
    eq.tn2 = tn2;
    eq.names = names;
    if (names == NULL ||
        corpus_stats(db, cat, f->memo, info, &corpus, df_of) < 0 ||
        names_make(db, cat, f->memo, info, df_of, names) < 0 ||
        (f->exhaustive != 1 &&
         (planned = topk_plan_make(db, cat, f, info, &corpus, &plan)) < 0)) {
        goto out;
    }
    if (planned) {
        int r = topk_rank(db, cat, f, &corpus, &plan, x->all, one, &eq, want,
                          &sc, &shown);

        /* One word whose list did not close (the list ran out, or its
         * lookups passed their budget: the longest Korean words): its
         * rows of term_docs bound every document that holds its tokens. */
        if (r == 1 && one && !plan.multi) {
            topk_plan_free(&plan);
            topk_plan_init(&plan, f);
            r = multi_plan(db, cat, f, info, &corpus, &plan);
            r = r <= 0 ? (r < 0 ? -1 : 1)
                       : topk_rank(db, cat, f, &corpus, &plan, x->all, one, &eq,
                                   want, &sc, &shown);
        }

        if (r < 0 ||
            (r == 0 && count_matches(db, cat, f, x->all, &tally) < 0)) {
            goto out;
        }
        planned = r == 0;
    }
    if (!planned) {
        start_over(&sc, &tally, cat);
        if (scan_docs(db, f, x->all, one, &corpus, &sc) < 0) {
            goto out;
        }
        all_total = sc.n;
        if (all_total < SEARCH_ANY_BELOW &&
            (info->n_positive >= 2 || x->parts != NULL)) {
            struct hit whole[SEARCH_ANY_BELOW];
            size_t nwhole = 0, j;

            /* The documents that hold every word as written stay first, in
             * their order: the parts only add what follows them. */
            for (i = 0; x->parts != NULL && i < sc.n && i < SEARCH_ANY_BELOW;
                 i++) {
                whole[nwhole++] = sc.hits[i];
            }
            start_over(&sc, &tally, cat);
            any = 1;
            if (x->parts != NULL) {
                /* Words with parts: ranked as the query of the parts. */
                parts = 1;
                any_expr = x->parts_any;
                sec_any = x->parts_sec_any;
                if (corpus_stats(db, cat, f->memo, x->parts, &corpus, NULL) <
                    0) {
                    goto out;
                }
            }
            if (!parts && f->exhaustive != 1) {
                int r = fallback_one_word(db, cat, f, info, &eq, want, &sc,
                                          &shown, &tally);

                if (r < 0) {
                    goto out;
                }
                planned = r == 0;
                if (!planned) {
                    start_over(&sc, &tally, cat);
                }
            }
            if (!planned && scan_docs(db, f, any_expr, 0, &corpus, &sc) < 0) {
                goto out;
            }
            for (j = 0; parts && j < nwhole; j++) {
                struct hit *h = scan_hit(&sc, whole[j].did);

                /* a hub's copy is a link to the page */
                if (h != NULL && cat->doc[whole[j].did].hub >= 1.0) {
                    h->matched = WHOLE_MATCHED;
                    h->score = whole[j].score;
                }
            }
            if (!planned &&
                (title_lead(db, cat, f->memo, parts ? x->parts : info, &corpus,
                            &sc) < 0 ||
                 key_lead(db, names, &sc) < 0)) {
                goto out;
            }
        }
        if (!planned &&
            (mark_exact(db, &sc, &eq) < 0 || tally_scan(&sc, &tally) < 0 ||
             collapse(db, cat, f, &sc, want, &shown) < 0)) {
            goto out;
        }
    }
    put(m, "total", json_integer((json_int_t)(tally.total + 0.5)), bad);
    if (tally.approx) {
        put(m, "total_approx", json_true(), bad);
    }
    if (planned) {
        put(m, "topk", json_true(), bad);
    }
    put(m, "mode", json_string(any ? "any" : "all"), bad);
    if (any) {
        put(m, "all_total", json_integer((json_int_t)all_total), bad);
    }
    if (parts) {
        json_t *a = json_array();
        int k;

        for (k = 0; a != NULL && k < x->parts->n_terms; k++) {
            if (x->parts->term[k].part) {
                append(a, json_string(x->parts->term[k].text), bad);
            }
        }
        put(m, "parts", a, bad);
    }
    for (i = (size_t)offset; i < shown && i < want; i++) {
        struct hit *h = &sc.hits[i];
        json_t *e;

        if ((!any && best_section(db, cat, x->sec_all, &corpus, h) < 0) ||
            (h->sid == 0 && best_section(db, cat, sec_any, &corpus, h) < 0)) {
            goto out;
        }
        e = result_row(db, h, base, bad, &err);
        if (err) {
            goto out;
        }
        if (e == NULL) {
            continue;
        }
        put(e, "snippet_html",
            h->sid != 0 ? section_snippet(db, sec_any, h->sid, &err)
                        : json_string(""),
            bad);
        append(results, e, bad);
        if (err) {
            goto out;
        }
    }
    if (put_facets(db, cat, &tally, m, bad) < 0) {
        goto out;
    }
    rc = 0;
out:
    kw_free(names);
    topk_plan_free(&plan);
    tally_free(&tally);
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

    if (st == NULL || db_bind_text(st, ":n", name) != SQLITE_OK) {
        return -1;
    }
    return db_one_int64(st, id);
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
    rc = search_run_cat(db, cat, -1, p, base, out);
    searchcat_unref(cat);
    return rc;
}

int
search_run_cat(struct db *db, const struct searchcat *cat, int64_t gen,
               const struct search_params *p, const char *base, json_t **out)
{
    struct strbuf match = STRBUF_INIT, tn1 = STRBUF_INIT, tn2 = STRBUF_INIT;
    struct strbuf terms = STRBUF_INIT, any = STRBUF_INIT;
    struct strbuf sec_all = STRBUF_INIT, sec_any = STRBUF_INIT;
    struct strbuf pany = STRBUF_INIT, psec_any = STRBUF_INIT;
    struct search_exprs x;
    struct query_info info, pinfo;
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
    put(m, "mode", json_string("all"), &bad);
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
    f.exhaustive = p->exhaustive;
    f.memo = gen >= 0 && gen == cat->gen;
    if (query_expr(&info, QUERY_ANY, &any) < 0 ||
        query_expr(&info, QUERY_NO_EXCLUDE, &sec_all) < 0 ||
        query_expr(&info, QUERY_ANY | QUERY_NO_EXCLUDE, &sec_any) < 0) {
        goto out;
    }
    memset(&x, 0, sizeof(x));
    x.all = strbuf_peek(&match);
    x.any = strbuf_peek(&any);
    x.sec_all = strbuf_peek(&sec_all);
    x.sec_any = strbuf_peek(&sec_any);
    if (query_parts(&info, &pinfo) > 0) {
        if (query_expr(&pinfo, QUERY_ANY, &pany) < 0 ||
            query_expr(&pinfo, QUERY_ANY | QUERY_NO_EXCLUDE, &psec_any) < 0) {
            goto out;
        }
        x.parts = &pinfo;
        x.parts_any = strbuf_peek(&pany);
        x.parts_sec_any = strbuf_peek(&psec_any);
    }
    if (run_search(db, cat, &f, &info, &x, strbuf_peek(&tn1), strbuf_peek(&tn2),
                   per_page, (page - 1) * per_page, base, m, &bad) < 0) {
        goto out;
    }
    rc = bad ? -1 : 0;
out:
    strbuf_free(&psec_any);
    strbuf_free(&pany);
    strbuf_free(&sec_any);
    strbuf_free(&sec_all);
    strbuf_free(&any);
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
