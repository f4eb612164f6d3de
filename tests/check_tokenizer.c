/*
 * check_tokenizer: tests for lib/tokenizer.c, mostly through real SQLite
 * FTS5 tables (`porter kwtok`), since what matters is which documents a
 * query finds; exact token streams are checked through the tokenizer's
 * callback and through fts5vocab.  Layer: tests/, depends on lib/, sqlite3,
 * jansson (to read tests/data/blns.json, path from $KW_TEST_DATA),
 * pthreads and Check; never on microhttpd.h.
 */
#include <check.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checkmain.h"
#include "html.h"
#include "strbuf.h"
#include "tokenizer.h"

/* Open a new :memory: database with kwtok registered and the table
 * t(title, body) using `tokenize` (e.g. "porter kwtok").  Returns a new
 * connection; the caller closes it. */
static sqlite3 *
open_db(const char *tokenize)
{
    sqlite3 *db = NULL;
    char *sql;
    int rc;

    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    ck_assert_int_eq(tokenizer_register(db), SQLITE_OK);
    sql = sqlite3_mprintf("CREATE VIRTUAL TABLE t USING fts5(title, body, "
                          "tokenize = %Q)",
                          tokenize);
    rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_free(sql);
    ck_assert_msg(rc == SQLITE_OK, "create: %s", sqlite3_errmsg(db));
    return db;
}

/* Insert one row (title and body borrowed, body of n bytes). */
static void
add_n(sqlite3 *db, const char *title, const char *body, size_t n)
{
    static const char sql[] = "INSERT INTO t(title, body) VALUES (?1, ?2)";
    sqlite3_stmt *st;

    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, body, (int)n, SQLITE_STATIC);
    ck_assert_msg(sqlite3_step(st) == SQLITE_DONE, "insert: %s",
                  sqlite3_errmsg(db));
    sqlite3_finalize(st);
}

/* Insert one row with a NUL-terminated body (both borrowed). */
static void
add(sqlite3 *db, const char *title, const char *body)
{
    add_n(db, title, body, strlen(body));
}

/* Rows of t matching the raw FTS5 expression `match` (borrowed); the
 * expression must be valid. */
static int
hits(sqlite3 *db, const char *match)
{
    static const char sql[] = "SELECT count(*) FROM t WHERE t MATCH ?1";
    sqlite3_stmt *st;
    int n;

    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "match %s: %s", match,
                  sqlite3_errmsg(db));
    n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* The first row's highlight(t, 1, '[', ']') for `match`; new string. */
static char *
highlight(sqlite3 *db, const char *match)
{
    static const char sql[] =
        "SELECT highlight(t, 1, '[', ']') FROM t WHERE t MATCH ?1";
    sqlite3_stmt *st;
    char *s;

    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    s = kw_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return s;
}

/* Stream dump: tokens separated by spaces, colocated ones marked '+'. */
struct dump {
    struct strbuf sb;
    int offsets; /* also print @start-end */
};

static int
dump_token(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
    struct dump *d = ctx;

    if (d->sb.len > 0) {
        strbuf_putc(&d->sb, ' ');
    }
    if (tflags & FTS5_TOKEN_COLOCATED) {
        strbuf_putc(&d->sb, '+');
    }
    strbuf_append(&d->sb, tok, (size_t)ntok);
    if (d->offsets) {
        strbuf_printf(&d->sb, "@%d-%d", start, end);
    }
    return SQLITE_OK;
}

/* The token stream of text under flags, as a new string. */
static char *
stream(const char *text, int flags, int offsets)
{
    struct dump d = {STRBUF_INIT, offsets};

    ck_assert_int_eq(
        tokenizer_tokenize(text, strlen(text), flags, &d, dump_token),
        SQLITE_OK);
    return strbuf_detach(&d.sb, NULL);
}

#define ck_stream(text, flags, want)                                           \
    do {                                                                       \
        char *got_ = stream((text), (flags), 0);                               \
        ck_assert_str_eq(got_, (want));                                        \
        kw_free(got_);                                                         \
    } while (0)

#define DOC FTS5_TOKENIZE_DOCUMENT
#define QRY FTS5_TOKENIZE_QUERY

/* Invariants every token must keep, checked on hostile input.  The
 * callback only counts violations: Check records every passing ck_assert
 * in a file, far too slow for millions of tokens. */
struct inv {
    size_t n;
    long tokens;
    long bad;
};

static int
check_token(void *ctx, int tflags, const char *tok, int ntok, int start,
            int end)
{
    struct inv *v = ctx;

    if (tok == NULL || ntok < 1 || ntok > TOKENIZER_MAX_TOKEN || start < 0 ||
        start >= end || (size_t)end > v->n ||
        /* FTS5 forbids COLOCATED on the first token. */
        (v->tokens == 0 && (tflags & FTS5_TOKEN_COLOCATED)) ||
        /* Folding output is ASCII and runs are copied whole: valid. */
        !utf8_valid(tok, (size_t)ntok)) {
        v->bad++;
    }
    v->tokens++;
    return SQLITE_OK;
}

/* Check every token of text (n bytes, borrowed) in every mode. */
static void
check_invariants(const char *text, size_t n)
{
    static const int modes[] = {FTS5_TOKENIZE_DOCUMENT, FTS5_TOKENIZE_QUERY,
                                FTS5_TOKENIZE_QUERY | FTS5_TOKENIZE_PREFIX,
                                FTS5_TOKENIZE_AUX};
    size_t k;

    for (k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
        struct inv v = {n, 0, 0};

        ck_assert_int_eq(tokenizer_tokenize(text, n, modes[k], &v, check_token),
                         SQLITE_OK);
        ck_assert_int_eq(v.bad, 0);
    }
}

/* Reproducible pseudo-random bytes (xorshift64*): no libc state shared. */
static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

/* FTS5's own consistency check: re-tokenizes every row and compares with
 * the index, so a tokenizer that is not deterministic fails here. */
static void
integrity_check(sqlite3 *db)
{
    ck_assert_int_eq(sqlite3_exec(db,
                                  "INSERT INTO t(t) VALUES('integrity-check')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
}

/* ---- core ---------------------------------------------------------- */

START_TEST(test_stream_latin)
{
    ck_stream("pg_stat_activity SQLITE_BUSY end.", DOC,
              "pg_stat_activity +pg +stat +activity sqlite_busy +sqlite "
              "+busy end");
    ck_stream("pg_stat_activity SQLITE_BUSY end.", QRY,
              "pg_stat_activity sqlite_busy end");
    ck_stream("3.40.1 utf-8 libmicrohttpd.so.", DOC,
              "3.40.1 +3 +40 +1 utf-8 +utf +8 libmicrohttpd.so "
              "+libmicrohttpd +so");
    ck_stream("Straße ÆRØ Café naïve Œuvre Łódź", DOC,
              "strasse aero cafe naive oeuvre lodz");
    /* Joiners only between word characters; lone underscores vanish. */
    ck_stream("-x- a..b __ _y_ see e.g. this", DOC,
              "x a b _y_ +y see e.g +e +g this");
    ck_stream("× ÷ µ", DOC, "");
}
END_TEST

START_TEST(test_stream_runs)
{
    ck_stream("이미지", DOC, "이미 +이 +이미지 미지 +미 +지");
    ck_stream("이미지", QRY, "이미 미지");
    ck_stream("이미지", QRY | FTS5_TOKENIZE_PREFIX, "이미 미지");
    ck_stream("한국", DOC, "한국 +한 +국");
    ck_stream("한", DOC, "한");
    ck_stream("한", QRY, "한");
    ck_stream("漢字語 한글", DOC, "漢字 +漢 +漢字語 字語 +字 +語 한글 +한 +글");
    /* Scripts never share a bigram. */
    ck_stream("SQLite는漢", DOC, "sqlite 는 漢");
    ck_stream("SQLite는漢", QRY, "sqlite 는 漢");
}
END_TEST

START_TEST(test_stream_offsets)
{
    char *s = stream("é 데이터.", DOC, 1);

    ck_assert_str_eq(s, "e@0-2 데이@3-9 +데@3-6 +데이터@3-12 이터@6-12 "
                        "+이@6-9 +터@9-12");
    kw_free(s);
    s = stream("a_b", QRY, 1);
    ck_assert_str_eq(s, "a_b@0-3");
    kw_free(s);
}
END_TEST

START_TEST(test_vocab)
{
    static const char sql[] = "SELECT group_concat(term, ' ') FROM "
                              "(SELECT term FROM v ORDER BY term)";
    sqlite3 *db = open_db("kwtok");
    sqlite3_stmt *st;

    add(db, "", "이미지를 pg_stat");
    ck_assert_int_eq(
        sqlite3_exec(db, "CREATE VIRTUAL TABLE v USING fts5vocab(t, row)", NULL,
                     NULL, NULL),
        SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
    ck_assert_str_eq((const char *)sqlite3_column_text(st, 0),
                     "pg pg_stat stat 를 미 미지 이 이미 이미지를 지 지를");
    sqlite3_finalize(st);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_english)
{
    sqlite3 *db = open_db("porter kwtok");

    add(db, "Processes", "The server keeps running while connections wait.");
    add(db, "Café au lait", "Naïve Straße encoding in ÆRØ.");
    ck_assert_int_eq(hits(db, "run"), 1);
    ck_assert_int_eq(hits(db, "runs"), 1);
    ck_assert_int_eq(hits(db, "connection"), 1);
    ck_assert_int_eq(hits(db, "cafe"), 1);
    ck_assert_int_eq(hits(db, "\"CAFÉ\""), 1);
    ck_assert_int_eq(hits(db, "naive"), 1);
    ck_assert_int_eq(hits(db, "strasse"), 1);
    ck_assert_int_eq(hits(db, "aero"), 1);
    ck_assert_int_eq(hits(db, "title:cafe"), 1);
    ck_assert_int_eq(hits(db, "body:cafe"), 0);
    /* Negative: no stem or fold relates these. */
    ck_assert_int_eq(hits(db, "runner"), 0);
    ck_assert_int_eq(hits(db, "caf"), 0);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_identifiers)
{
    sqlite3 *db = open_db("porter kwtok");

    add(db, "Monitoring", "Query pg_stat_activity to see sessions.");
    add(db, "Errors", "The call fails with SQLITE_BUSY when locked.");
    add(db, "Build", "Link with libmicrohttpd.so and encode as utf-8.");
    add(db, "Status", "A status page.");
    ck_assert_int_eq(hits(db, "\"pg_stat_activity\""), 1);
    ck_assert_int_eq(hits(db, "stat"), 1);
    ck_assert_int_eq(hits(db, "activity"), 1);
    ck_assert_int_eq(hits(db, "\"pg_stat\" *"), 1);
    ck_assert_int_eq(hits(db, "busy"), 1);
    ck_assert_int_eq(hits(db, "\"sqlite_busy\""), 1);
    ck_assert_int_eq(hits(db, "\"SQLITE_BUSY\""), 1);
    ck_assert_int_eq(hits(db, "\"libmicrohttpd.so\""), 1);
    ck_assert_int_eq(hits(db, "libmicrohttpd"), 1);
    ck_assert_int_eq(hits(db, "\"utf-8\""), 1);
    ck_assert_int_eq(hits(db, "utf"), 1);
    /* The whole is precise: another identifier with the same parts. */
    ck_assert_int_eq(hits(db, "\"pg_stat_statements\""), 0);
    ck_assert_int_eq(hits(db, "\"activity_pg\""), 0);
    /* "stat" is not a prefix search: status stays unmatched. */
    ck_assert_int_eq(hits(db, "stat AND status"), 0);
    /* A phrase running through an identifier. */
    ck_assert_int_eq(hits(db, "\"query pg_stat_activity to\""), 1);
    ck_assert_int_eq(hits(db, "\"activity to see\""), 1);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_digits)
{
    sqlite3 *db = open_db("porter kwtok");

    add(db, "SQLite 3.40.1", "Released in 2022; see section 28.2.");
    ck_assert_int_eq(hits(db, "\"3.40.1\""), 1);
    ck_assert_int_eq(hits(db, "40"), 1);
    ck_assert_int_eq(hits(db, "2022"), 1);
    ck_assert_int_eq(hits(db, "\"28.2\""), 1);
    ck_assert_int_eq(hits(db, "\"3.40.2\""), 0);
    ck_assert_int_eq(hits(db, "41"), 0);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_hangul)
{
    sqlite3 *db = open_db("porter kwtok");

    add(db, "데이터베이스 개요", "관계형 데이터베이스는 표에 자료를 저장한다.");
    add(db, "그림", "이미지를 불러오고 이미지에서 글자를 찾는다.");
    add(db, "책", "책을 읽다.");
    add(db, "혼합", "SQLite는 데이터베이스 엔진이다.");
    /* Substring of two syllables inside a longer word. */
    ck_assert_int_eq(hits(db, "베이"), 2);
    ck_assert_int_eq(hits(db, "데이터"), 2);
    /* Noun followed by a particle in the text. */
    ck_assert_int_eq(hits(db, "이미지"), 1);
    ck_assert_int_eq(hits(db, "\"이미지에서 글자\""), 1);
    /* One syllable. */
    ck_assert_int_eq(hits(db, "책"), 1);
    ck_assert_int_eq(hits(db, "는"), 3);
    /* Mixed scripts. */
    ck_assert_int_eq(hits(db, "SQLite는"), 1);
    ck_assert_int_eq(hits(db, "\"SQLite는 데이터베이스\""), 1);
    ck_assert_int_eq(hits(db, "sqlite AND 엔진"), 1);
    /* Phrases across runs need both streams to keep positions aligned. */
    ck_assert_int_eq(hits(db, "\"관계형 데이터베이스는\""), 1);
    ck_assert_int_eq(hits(db, "\"형 데이터\""), 1);
    ck_assert_int_eq(hits(db, "\"데이터베이스 엔진\""), 1);
    /* Negative: syllables present but not adjacent, or absent. */
    ck_assert_int_eq(hits(db, "베스"), 0);
    ck_assert_int_eq(hits(db, "\"데이터베이스 표에\""), 0);
    ck_assert_int_eq(hits(db, "\"이미지 글자\""), 0);
    ck_assert_int_eq(hits(db, "사진"), 0);
    /* Prefix: substring semantics already, the '*' does no harm. */
    ck_assert_int_eq(hits(db, "\"이미\" *"), 1);
    ck_assert_int_eq(hits(db, "\"엔\" *"), 1);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_highlight)
{
    sqlite3 *db = open_db("porter kwtok");
    char *s;

    add(db, "", "관계형 데이터베이스와 café, pg_stat_activity.");
    s = highlight(db, "베이");
    ck_assert_str_eq(s, "관계형 데이터[베이]스와 café, pg_stat_activity.");
    kw_free(s);
    s = highlight(db, "데이터베이스");
    ck_assert_str_eq(s, "관계형 [데이터베이스]와 café, pg_stat_activity.");
    kw_free(s);
    s = highlight(db, "cafe");
    ck_assert_str_eq(s, "관계형 데이터베이스와 [café], pg_stat_activity.");
    kw_free(s);
    /* A part highlights its whole identifier (FTS5 takes each position's
     * offsets from its first token). */
    s = highlight(db, "stat");
    ck_assert_str_eq(s, "관계형 데이터베이스와 café, [pg_stat_activity].");
    kw_free(s);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_hardened_connection)
{
    /* The settings lib/db.c applies before registering, and an
     * external-content table like the portal's section_fts. */
    sqlite3 *db = NULL;
    int on = 1, off = 0;

    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, &on);
    sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &off);
    ck_assert_int_eq(tokenizer_register(db), SQLITE_OK);
    ck_assert_int_eq(
        sqlite3_exec(db,
                     "CREATE TABLE section (id INTEGER PRIMARY KEY, "
                     "title TEXT, body TEXT);"
                     "CREATE VIRTUAL TABLE t USING fts5(title, body, "
                     "content = 'section', content_rowid = 'id', "
                     "tokenize = 'porter kwtok');"
                     "INSERT INTO section VALUES (7, '개요', '이미지를 연다');"
                     "INSERT INTO t(rowid, title, body) "
                     "SELECT id, title, body FROM section;",
                     NULL, NULL, NULL),
        SQLITE_OK);
    ck_assert_int_eq(hits(db, "이미지"), 1);
    integrity_check(db);
    sqlite3_close(db);
}
END_TEST

/* ---- limits -------------------------------------------------------- */

START_TEST(test_long_word)
{
    enum { N = 100000 };
    sqlite3 *db = open_db("porter kwtok");
    char *w = kw_malloc(N + 1);
    char *s;

    memset(w, 'q', N);
    w[N] = '\0';
    s = stream(w, DOC, 1);
    ck_assert_int_eq(strlen(s), TOKENIZER_MAX_TOKEN + strlen("@0-100000"));
    kw_free(s);
    add(db, "", w);
    /* Cut the same way on both sides, so the long word finds itself... */
    ck_assert_int_eq(hits(db, w), 1);
    /* ...and so does its 64-byte prefix, which is all that is indexed. */
    w[TOKENIZER_MAX_TOKEN] = '\0';
    ck_assert_int_eq(hits(db, w), 1);
    w[TOKENIZER_MAX_TOKEN - 1] = '\0';
    ck_assert_int_eq(hits(db, w), 0);
    kw_free(w);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_long_identifier)
{
    enum { PARTS = 5000 };
    struct strbuf sb = STRBUF_INIT;
    struct inv v;
    int k;

    for (k = 0; k < PARTS; k++) {
        strbuf_printf(&sb, "%sp%d", k ? "." : "", k);
    }
    ck_assert(strbuf_ok(&sb));
    v.n = sb.len;
    v.tokens = 0;
    v.bad = 0;
    ck_assert_int_eq(tokenizer_tokenize(sb.buf, sb.len, DOC, &v, check_token),
                     SQLITE_OK);
    ck_assert_int_eq(v.tokens, 1 + TOKENIZER_MAX_PARTS);
    ck_assert_int_eq(v.bad, 0);
    strbuf_free(&sb);
}
END_TEST

START_TEST(test_long_run)
{
    struct strbuf sb = STRBUF_INIT;
    char *s;
    int k;

    /* 21 syllables (63 bytes) still get a whole-run token, 22 do not. */
    for (k = 0; k < 21; k++) {
        strbuf_puts(&sb, "가");
    }
    s = stream(sb.buf, DOC, 0);
    ck_assert_ptr_nonnull(strstr(s, sb.buf));
    kw_free(s);
    strbuf_puts(&sb, "가");
    s = stream(sb.buf, DOC, 0);
    ck_assert_ptr_null(strstr(s, sb.buf));
    kw_free(s);
    strbuf_free(&sb);
}
END_TEST

START_TEST(test_megabyte)
{
    static const char *const pieces[] = {
        "관계형 데이터베이스는 표에 자료를 저장한다. ",
        "The pg_stat_activity view (SQLite 3.40.1) is running. ",
        "이미지를 불러오고 café ",
        "\xff\xfe 漢字 🙂 ",
    };
    enum { MB = 1 << 20 };
    struct strbuf sb = STRBUF_INIT;
    sqlite3 *db = open_db("porter kwtok");
    size_t k = 0;

    while (sb.len < MB) {
        strbuf_puts(&sb, pieces[k++ % 4]);
    }
    strbuf_puts(&sb, "마지막문장끝");
    ck_assert(strbuf_ok(&sb));
    check_invariants(sb.buf, sb.len);
    add_n(db, "big", sb.buf, sb.len);
    ck_assert_int_eq(hits(db, "막문장"), 1);
    ck_assert_int_eq(hits(db, "\"pg_stat_activity view\""), 1);
    ck_assert_int_eq(hits(db, "없는말"), 0);
    integrity_check(db);
    strbuf_free(&sb);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_random_bytes)
{
    /* Bytes weighted towards UTF-8 lead and continuation bytes, ASCII word
     * characters and joiners, so that near-valid input is common. */
    static const char alphabet[] = "aZ9_.- \"\xea\xb0\x80\xe4\xb8\x80\xc3\xa9";
    sqlite3 *db = open_db("porter kwtok");
    uint64_t seed = 0x6b77746f6b;
    char buf[512];
    int round;

    for (round = 0; round < 1000; round++) {
        size_t n = rnd(&seed) % sizeof(buf), i;

        for (i = 0; i < n; i++) {
            uint64_t r = rnd(&seed);

            buf[i] = (r & 1) ? (char)(r >> 8)
                             : alphabet[(r >> 8) % (sizeof(alphabet) - 1)];
        }
        check_invariants(buf, n);
        add_n(db, "", buf, n);
    }
    integrity_check(db);
    ck_assert_int_ge(hits(db, "a OR 9 OR 가 OR 一"), 1);
    sqlite3_close(db);
}
END_TEST

/* The blns strings (new array, owned by the caller) from $KW_TEST_DATA. */
static json_t *
load_blns(void)
{
    const char *dir = getenv("KW_TEST_DATA");
    json_error_t err;
    char path[4096];
    json_t *list;

    snprintf(path, sizeof(path), "%s/blns.json", dir ? dir : "tests/data");
    list = json_load_file(path, 0, &err);
    ck_assert_msg(list != NULL, "%s: %s", path, err.text);
    ck_assert(json_is_array(list));
    ck_assert_int_gt(json_array_size(list), 400);
    return list;
}

START_TEST(test_blns)
{
    sqlite3 *db = open_db("porter kwtok");
    json_t *list = load_blns(), *v;
    size_t i;

    json_array_foreach(list, i, v)
    {
        const char *s = json_string_value(v);
        size_t n = json_string_length(v);

        ck_assert_ptr_nonnull(s);
        check_invariants(s, n);
        add_n(db, s, s, n);
    }
    integrity_check(db);
    ck_assert_int_ge(hits(db, "script"), 1);
    json_decref(list);
    sqlite3_close(db);
}
END_TEST

/* Each thread: its own connection, its own table, the same tokenizer
 * code; the tokenizer must need no locking to be shared. */
static void *
thread_main(void *arg)
{
    sqlite3 *db = NULL;
    long ok = 0;
    int k;

    (void)arg;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        tokenizer_register(db) != SQLITE_OK ||
        sqlite3_exec(db,
                     "CREATE VIRTUAL TABLE t USING fts5(title, body, "
                     "tokenize = 'porter kwtok');",
                     NULL, NULL, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        return (void *)0;
    }
    for (k = 0; k < 200; k++) {
        char *sql =
            sqlite3_mprintf("INSERT INTO t(title, body) VALUES ('문서 %d', "
                            "'이미지를 pg_stat_activity %d running')",
                            k, k);

        ok += sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
        sqlite3_free(sql);
    }
    ok += sqlite3_exec(db, "SELECT * FROM t WHERE t MATCH '이미지 stat run'",
                       NULL, NULL, NULL) == SQLITE_OK;
    sqlite3_close(db);
    return (void *)ok;
}

START_TEST(test_threads)
{
    enum { THREADS = 4 };
    pthread_t th[THREADS];
    void *ret;
    int k;

    for (k = 0; k < THREADS; k++) {
        ck_assert_int_eq(pthread_create(&th[k], NULL, thread_main, NULL), 0);
    }
    for (k = 0; k < THREADS; k++) {
        ck_assert_int_eq(pthread_join(th[k], &ret), 0);
        ck_assert_int_eq((long)ret, 201);
    }
}
END_TEST

/* ---- errors -------------------------------------------------------- */

START_TEST(test_unregistered)
{
    sqlite3 *db = NULL;

    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db,
                                  "CREATE VIRTUAL TABLE t USING fts5(body, "
                                  "tokenize = 'porter kwtok')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_ptr_nonnull(strstr(sqlite3_errmsg(db), "tokenizer"));
    sqlite3_close(db);
}
END_TEST

START_TEST(test_bad_option)
{
    sqlite3 *db = NULL;

    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    ck_assert_int_eq(tokenizer_register(db), SQLITE_OK);
    /* Registering twice replaces the entry, no error. */
    ck_assert_int_eq(tokenizer_register(db), SQLITE_OK);
    ck_assert_int_ne(sqlite3_exec(db,
                                  "CREATE VIRTUAL TABLE t USING fts5(body, "
                                  "tokenize = 'kwtok remove_diacritics 0')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_oom)
{
    sqlite3 *db = NULL;

    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    ck_assert_int_eq(tokenizer_register(db), SQLITE_OK);
    /* kwtok's only allocation is its handle in xCreate. */
    alloc_set_fail_after(0);
    ck_assert_int_ne(sqlite3_exec(db,
                                  "CREATE VIRTUAL TABLE t USING fts5(body, "
                                  "tokenize = 'porter kwtok')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    alloc_set_fail_after(-1);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "CREATE VIRTUAL TABLE t USING fts5(body, "
                                  "tokenize = 'porter kwtok')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_close(db);
}
END_TEST

/* Callback that fails on the third token. */
static int
fail_third(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
    int *calls = ctx;

    (void)tflags;
    (void)tok;
    (void)ntok;
    (void)start;
    (void)end;
    return ++*calls == 3 ? SQLITE_ABORT : SQLITE_OK;
}

START_TEST(test_callback_error)
{
    static const char *const texts[] = {"a b c d e", "pg_stat_activity x",
                                        "데이터베이스"};
    size_t k;

    for (k = 0; k < 3; k++) {
        int calls = 0;

        ck_assert_int_eq(tokenizer_tokenize(texts[k], strlen(texts[k]), DOC,
                                            &calls, fail_third),
                         SQLITE_ABORT);
        ck_assert_int_eq(calls, 3);
    }
}
END_TEST

START_TEST(test_too_big)
{
    int calls = 0;

    /* Refused before a byte is read. */
    ck_assert_int_eq(
        tokenizer_tokenize("x", (size_t)INT_MAX + 1, DOC, &calls, fail_third),
        SQLITE_TOOBIG);
    ck_assert_int_eq(calls, 0);
}
END_TEST

START_TEST(test_decode)
{
    unsigned long cp;

    ck_assert_uint_eq(tokenizer_decode("", 0, &cp), 0);
    ck_assert_uint_eq(tokenizer_decode("\xea\xb0\x80", 3, &cp), 3);
    ck_assert_uint_eq(cp, 0xac00);
    ck_assert_int_eq(tokenizer_class_of(cp), TOKENIZER_HANGUL);
    /* Truncated, overlong, surrogate, stray continuation: one byte each. */
    ck_assert_uint_eq(tokenizer_decode("\xea\xb0", 2, &cp), 1);
    ck_assert_uint_eq(cp, TOKENIZER_INVALID);
    ck_assert_uint_eq(tokenizer_decode("\xc0\xaf", 2, &cp), 1);
    ck_assert_uint_eq(tokenizer_decode("\xed\xa0\x80", 3, &cp), 1);
    ck_assert_uint_eq(tokenizer_decode("\x80", 1, &cp), 1);
    ck_assert_int_eq(tokenizer_class_of(cp), TOKENIZER_SEP);
    ck_stream("\xea\xb0 a\xed\xa0\x80z \xe4\xb8", DOC, "a z");
}
END_TEST

static Suite *
tokenizer_suite(void)
{
    Suite *s = suite_create("tokenizer");
    TCase *tc;

    tc = tcase_create("core");
    tcase_add_test(tc, test_stream_latin);
    tcase_add_test(tc, test_stream_runs);
    tcase_add_test(tc, test_stream_offsets);
    tcase_add_test(tc, test_vocab);
    tcase_add_test(tc, test_english);
    tcase_add_test(tc, test_identifiers);
    tcase_add_test(tc, test_digits);
    tcase_add_test(tc, test_hangul);
    tcase_add_test(tc, test_highlight);
    tcase_add_test(tc, test_hardened_connection);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    /* Sanitizer builds index a megabyte and a thousand buffers slowly. */
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_long_word);
    tcase_add_test(tc, test_long_identifier);
    tcase_add_test(tc, test_long_run);
    tcase_add_test(tc, test_megabyte);
    tcase_add_test(tc, test_random_bytes);
    tcase_add_test(tc, test_blns);
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_unregistered);
    tcase_add_test(tc, test_bad_option);
    tcase_add_test(tc, test_oom);
    tcase_add_test(tc, test_callback_error);
    tcase_add_test(tc, test_too_big);
    tcase_add_test(tc, test_decode);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return check_main(tokenizer_suite());
}
