/*
 * fuzz_query: the search-box parser and FTS5 query builder (lib/query.c)
 * on arbitrary bytes, and title normalisation on the same bytes.  Layer:
 * tests/.
 *
 * Invariants, from query.h: the expression is built only from FTS5
 * strings, so it parses back exactly as
 *     ["("] STR {" AND " STR} [")"] {" NOT " STR}
 *     STR = '"' {any byte but '"' | '""'} '"' [" *"]
 * with one STR per term, in order, whose unquoted text is the term's
 * (no raw user syntax, no unbalanced quote), brackets only when there are
 * exclusions and more than one positive term; nothing is emitted when
 * info->empty; terms are cleaned (valid UTF-8, no controls), bounded, not
 * repeated, and at most QUERY_MAX_PREFIX of them keep a prefix mark;
 * and SQLite's FTS5, with the index's tokenizer, runs every expression
 * without an error.  A normalised title is valid UTF-8 with no ASCII
 * capital, no control character and single inner spaces.
 */
#include <string.h>

#include "fuzz.h"
#include "html.h"
#include "query.h"
#include "tokenizer.h"

/* Parse one STR at *p; 1 when it equals t's text (and its prefix mark,
 * counted in *stars, is well-formed), with *p past it. */
static int
parse_str(const char **p, const char *end, const struct query_term *t,
          int *stars)
{
    const char *s = *p;
    size_t k = 0;

    if (s >= end || *s != '"') {
        return 0;
    }
    s++;
    for (;;) {
        if (s >= end) {
            return 0; /* unbalanced quote */
        }
        if (*s == '"') {
            if (s + 1 < end && s[1] == '"') {
                s += 2;
                if (k >= t->len || t->text[k] != '"') {
                    return 0;
                }
                k++;
                continue;
            }
            s++;
            break;
        }
        if (k >= t->len || t->text[k] != *s) {
            return 0;
        }
        k++;
        s++;
    }
    if (k != t->len) {
        return 0;
    }
    if (end - s >= 2 && s[0] == ' ' && s[1] == '*') {
        if (!t->prefix) {
            return 0;
        }
        s += 2;
        ++*stars;
    }
    *p = s;
    return 1;
}

/* Check the expression m[0..n) against info, as the grammar above. */
static void
check_expr(const char *m, size_t n, const struct query_info *info)
{
    const char *p = m, *end = m + n;
    int k, first = 1, paren = info->n_negative > 0 && info->n_positive > 1;
    int stars = 0;

    if (paren) {
        FUZZ_CHECK(p < end && *p == '(', "opening bracket");
        p++;
    }
    for (k = 0; k < info->n_terms; k++) {
        if (info->term[k].exclude) {
            continue;
        }
        if (!first) {
            FUZZ_CHECK(end - p >= 5 && memcmp(p, " AND ", 5) == 0, "AND");
            p += 5;
        }
        first = 0;
        FUZZ_CHECK(parse_str(&p, end, &info->term[k], &stars),
                   "positive term is one FTS5 string of its text");
    }
    if (paren) {
        FUZZ_CHECK(p < end && *p == ')', "closing bracket");
        p++;
    }
    for (k = 0; k < info->n_terms; k++) {
        if (!info->term[k].exclude) {
            continue;
        }
        FUZZ_CHECK(end - p >= 5 && memcmp(p, " NOT ", 5) == 0, "NOT");
        p += 5;
        FUZZ_CHECK(parse_str(&p, end, &info->term[k], &stars),
                   "excluded term is one FTS5 string of its text");
    }
    FUZZ_CHECK(p == end, "nothing after the last term");
    FUZZ_CHECK(stars <= QUERY_MAX_PREFIX, "at most QUERY_MAX_PREFIX prefixes");
}

static void
check_terms(const struct query_info *info)
{
    int k, pos = 0, neg = 0;

    FUZZ_CHECK(info->n_terms >= 0 && info->n_terms <= QUERY_MAX_TERMS,
               "at most QUERY_MAX_TERMS terms");
    for (k = 0; k < info->n_terms; k++) {
        const struct query_term *t = &info->term[k];
        size_t i;

        FUZZ_CHECK(t->len > 0 && t->len <= QUERY_MAX_BYTES &&
                       strlen(t->text) == t->len,
                   "term length");
        FUZZ_CHECK(utf8_valid(t->text, t->len), "term is valid UTF-8");
        for (i = 0; i < t->len; i++) {
            unsigned char c = (unsigned char)t->text[i];

            FUZZ_CHECK(c >= 0x20 && c != 0x7f, "no control byte in a term");
            FUZZ_CHECK(t->phrase || c != ' ', "a word holds no space");
        }
        for (i = 0; i < (size_t)k; i++) {
            const struct query_term *u = &info->term[i];

            FUZZ_CHECK(u->len != t->len || u->phrase != t->phrase ||
                           u->prefix != t->prefix || u->exclude != t->exclude ||
                           memcmp(u->text, t->text, t->len) != 0,
                       "a repeated term is searched once");
        }
        if (t->exclude) {
            neg++;
        } else {
            pos++;
        }
    }
    FUZZ_CHECK(pos == info->n_positive && neg == info->n_negative,
               "term counts");
    FUZZ_CHECK(info->empty == (info->n_positive == 0), "empty iff no positive");
}

static sqlite3 *db;

/* One :memory: FTS5 table per process, as the index: a few rows so that
 * the expression is evaluated, not only parsed. */
static void
db_setup(void)
{
    if (db != NULL) {
        return;
    }
    FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "open :memory:");
    FUZZ_CHECK(tokenizer_register(db) == SQLITE_OK, "register kwtok");
    FUZZ_CHECK(
        sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE t USING fts5(title, body,"
                     " tokenize = 'porter kwtok');"
                     "INSERT INTO t VALUES ('SQLite WAL', 'write-ahead log"
                     " pg_stat_activity 3.40.1'), ('데이터베이스 관리',"
                     " '한국어 문서의 검색 \"quoted\" AND OR NOT'),"
                     " ('Café', 'straße naïve 東京 NEAR(a b)')",
                     NULL, NULL, NULL) == SQLITE_OK,
        "create the FTS5 table");
}

static void
run_match(const char *m, size_t n)
{
    sqlite3_stmt *st;
    int rc;

    db_setup();
    FUZZ_CHECK(sqlite3_prepare_v2(db, "SELECT count(*) FROM t WHERE t MATCH ?1",
                                  -1, &st, NULL) == SQLITE_OK,
               "prepare MATCH");
    sqlite3_bind_text(st, 1, m, (int)n, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        fprintf(stderr, "MATCH %s: %s\n", m, sqlite3_errmsg(db));
        FUZZ_CHECK(0, "FTS5 runs every expression query_build makes");
    }
    sqlite3_finalize(st);
}

static void
check_title(const char *s, size_t n)
{
    size_t i;

    FUZZ_CHECK(utf8_valid(s, n), "normalised title is valid UTF-8");
    FUZZ_CHECK(n == 0 || (s[0] != ' ' && s[n - 1] != ' '), "trimmed");
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        FUZZ_CHECK(c >= 0x20 && c != 0x7f, "no control byte");
        FUZZ_CHECK(!(c >= 'A' && c <= 'Z'), "Latin letters folded");
        FUZZ_CHECK(!(c == ' ' && i > 0 && s[i - 1] == ' '), "single spaces");
    }
}

/* The same bytes as titles, one a line, normalised: query_title_affix()
 * succeeds, and an affix it finds is the end (or start) of one of them,
 * set off from words of that title's own by a space. */
static void
check_affix(const uint8_t *data, size_t size)
{
    struct strbuf tb[QUERY_AFFIX_MAX_TITLES];
    const char *t[QUERY_AFFIX_MAX_TITLES];
    struct strbuf pre = STRBUF_INIT, suf = STRBUF_INIT;
    size_t n = 0, i = 0, k;
    int ok_pre, ok_suf;

    while (i <= size && n < QUERY_AFFIX_MAX_TITLES) {
        size_t j = i;

        while (j < size && data[j] != '\n') {
            j++;
        }
        strbuf_init(&tb[n]);
        query_normalize_title(j > i ? (const char *)data + i : NULL, j - i,
                              &tb[n]);
        t[n] = strbuf_peek(&tb[n]);
        n++;
        i = j + 1;
    }
    FUZZ_CHECK(query_title_affix(t, n, &pre, &suf) == 0,
               "query_title_affix succeeds");
    ok_pre = pre.len == 0;
    ok_suf = suf.len == 0;
    for (k = 0; k < n; k++) {
        size_t len = strlen(t[k]);

        if (!ok_suf && len > suf.len + 1 &&
            memcmp(t[k] + len - suf.len, strbuf_peek(&suf), suf.len) == 0 &&
            t[k][len - suf.len - 1] == ' ') {
            ok_suf = 1;
        }
        if (!ok_pre && len > pre.len + 1 &&
            memcmp(t[k], strbuf_peek(&pre), pre.len) == 0 &&
            t[k][pre.len] == ' ') {
            ok_pre = 1;
        }
    }
    FUZZ_CHECK(ok_suf, "the suffix ends a title, after words of its own");
    FUZZ_CHECK(ok_pre, "the prefix starts a title, before words of its own");
    for (k = 0; k < n; k++) {
        strbuf_free(&tb[k]);
    }
    strbuf_free(&pre);
    strbuf_free(&suf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct strbuf m = STRBUF_INIT, t = STRBUF_INIT;
    struct query_info *info = malloc(sizeof(*info));

    FUZZ_CHECK(info != NULL, "out of memory");
    FUZZ_CHECK(
        query_build(size > 0 ? (const char *)data : NULL, size, &m, info) == 0,
        "query_build succeeds");
    check_terms(info);
    if (info->empty) {
        FUZZ_CHECK(m.len == 0, "nothing emitted for an empty query");
    } else {
        check_expr(strbuf_peek(&m), m.len, info);
        run_match(strbuf_peek(&m), m.len);
    }
    FUZZ_CHECK(query_normalize_title(size > 0 ? (const char *)data : NULL, size,
                                     &t) == 0,
               "query_normalize_title succeeds");
    check_title(strbuf_peek(&t), t.len);
    strbuf_free(&t);
    check_affix(data, size);
    strbuf_free(&m);
    free(info);
    return 0;
}
