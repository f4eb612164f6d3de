/*
 * check_query: tests for lib/query.c.  Every expression query_build()
 * returns is run as `t MATCH ?` on a real FTS5 table (`porter kwtok`), so
 * "never a syntax error" is checked by SQLite itself, for blns strings and
 * random bytes as well as for the promised syntax.  Layer: tests/, depends
 * on lib/, sqlite3, jansson (tests/data/blns.json, path from
 * $KW_TEST_DATA) and Check; never on microhttpd.h.
 */
#include <check.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "checkmain.h"
#include "query.h"
#include "strbuf.h"
#include "tokenizer.h"

static const char *const docs[][2] = {
    /* 1 */ {"SQLite Database Engine",
             "SQLite is a small database engine written in C."},
    /* 2 */
    {"PostgreSQL", "PostgreSQL is an object-relational database. "
                   "pg_stat_activity shows sessions."},
    /* 3 */ {"이미지 처리", "이미지를 불러오는 방법과 데이터베이스 저장"},
    /* 4 */ {"Near and far", "near the river, far from the sea"},
    /* 5 */ {"Functions (math)", "call f(x) with parentheses: title:colon"},
    /* 6 */ {"Write-Ahead Logging", "the write ahead log, or WAL mode"},
    /* 7 */ {"Operators", "OR AND NOT are words here"},
    /* 8 */ {"Quotes", "He said \"hello\" twice"},
};

/* A new :memory: database holding docs[] in t; the caller closes it. */
static sqlite3 *
open_db(void)
{
    static const char sql[] = "INSERT INTO t(rowid, title, body) "
                              "VALUES (?1, ?2, ?3)";
    sqlite3 *db = NULL;
    sqlite3_stmt *st;
    size_t k;

    ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
    ck_assert_int_eq(tokenizer_register(db), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(db,
                                  "CREATE VIRTUAL TABLE t USING fts5(title, "
                                  "body, tokenize = 'porter kwtok')",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    for (k = 0; k < sizeof(docs) / sizeof(docs[0]); k++) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)k + 1);
        sqlite3_bind_text(st, 2, docs[k][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, docs[k][1], -1, SQLITE_STATIC);
        ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return db;
}

/* Run user text (n bytes) through query_build() and, unless the result is
 * empty, through MATCH; fail on any SQL error.  Returns the matching
 * rowids as a bit set (bit k for rowid k); info is filled when non-NULL. */
static unsigned
run_n(sqlite3 *db, const char *user, size_t n, struct query_info *info)
{
    static const char sql[] = "SELECT rowid FROM t WHERE t MATCH ?1";
    struct query_info local;
    struct strbuf m = STRBUF_INIT;
    sqlite3_stmt *st;
    unsigned set = 0;
    int rc;

    if (info == NULL) {
        info = &local;
    }
    ck_assert_int_eq(query_build(user, n, &m, info), 0);
    ck_assert_int_eq(info->empty, m.len == 0);
    if (info->empty) {
        strbuf_free(&m);
        return 0;
    }
    ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, m.buf, (int)m.len, SQLITE_STATIC);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        set |= 1u << (sqlite3_column_int(st, 0) & 31);
    }
    ck_assert_msg(rc == SQLITE_DONE, "MATCH %s: %s", m.buf, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    strbuf_free(&m);
    return set;
}

/* run_n() for a NUL-terminated string, without info. */
static unsigned
run(sqlite3 *db, const char *user)
{
    return run_n(db, user, strlen(user), NULL);
}

#define R(k) (1u << (k))

/* The expression built for user, as a new string ("" when empty). */
static char *
expr(const char *user)
{
    struct query_info info;
    struct strbuf m = STRBUF_INIT;
    char *s;

    ck_assert_int_eq(query_build(user, strlen(user), &m, &info), 0);
    s = kw_strdup(strbuf_peek(&m));
    strbuf_free(&m);
    return s;
}

#define ck_expr(user, want)                                                    \
    do {                                                                       \
        char *got_ = expr(user);                                               \
        ck_assert_str_eq(got_, (want));                                        \
        kw_free(got_);                                                         \
    } while (0)

/* Normalised title of s, as a new string. */
static char *
title(const char *s)
{
    struct strbuf sb = STRBUF_INIT;

    ck_assert_int_eq(query_normalize_title(s, strlen(s), &sb), 0);
    return strbuf_detach(&sb, NULL);
}

#define ck_title(s, want)                                                      \
    do {                                                                       \
        char *got_ = title(s);                                                 \
        ck_assert_str_eq(got_, (want));                                        \
        kw_free(got_);                                                         \
    } while (0)

/* Reproducible pseudo-random numbers (xorshift64*), state in *s. */
static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

/* ---- core ---------------------------------------------------------- */

/* What one query may cost: short prefixes and prefixes past the third
 * are searched as words, and a repeated term is searched once. */
START_TEST(test_cost_bounds)
{
    struct strbuf sb = STRBUF_INIT;
    struct query_info info;

    ck_expr("a* a* a* a* a* a* a* a* a* a*", "\"a\"");
    ck_expr("ab* x", "\"ab\" AND \"x\"");
    ck_expr("abc*", "\"abc\" *");
    ck_expr("\"foo b\"*", "\"foo b\"");
    ck_expr("\"b foo\"*", "\"b foo\" *");
    ck_expr("abc* abd* abe* abf* abg*",
            "\"abc\" * AND \"abd\" * AND \"abe\" * AND \"abf\" AND "
            "\"abg\"");
    ck_expr("sqlite sqlite -x -x", "\"sqlite\" NOT \"x\"");
    ck_expr("sqlite \"sqlite\"", "\"sqlite\" AND \"sqlite\"");
    ck_assert_int_eq(query_build("a* b", 4, &sb, &info), 0);
    ck_assert_int_eq(info.limited, 1);
    strbuf_reset(&sb);
    ck_assert_int_eq(query_build("abc* b", 6, &sb, &info), 0);
    ck_assert_int_eq(info.limited, 0);
    strbuf_free(&sb);
}
END_TEST

START_TEST(test_expression)
{
    ck_expr("a \"b c\" -d eng*", "(\"a\" AND \"b c\" AND \"eng\" *) NOT \"d\"");
    ck_expr("sqlite", "\"sqlite\"");
    ck_expr("foo\"bar", "\"foo\"\"bar\"");
    ck_expr("-\"x y\" z", "\"z\" NOT \"x y\"");
    ck_expr("\"db engine\"*", "\"db engine\" *");
    /* A Hangul prefix matches what the plain string matches: no '*'. */
    ck_expr("이미* 漢字* sql이*", "\"이미\" AND \"漢字\" AND \"sql이\"");
    ck_expr("이미지-ver*", "\"이미지-ver\" *");
    ck_expr("NEAR(a b)", "\"NEAR(a\" AND \"b)\"");
    ck_expr("a OR b", "\"a\" AND \"OR\" AND \"b\"");
    /* Nothing searchable in a term: dropped, not an empty phrase. */
    ck_expr("sqlite ( ) : ^ + * - \"\"", "\"sqlite\"");
    ck_expr("", "");
    ck_expr("   ", "");
    /* Only exclusions: options pasted from a command line, looked for. */
    ck_expr("-sqlite", "\"sqlite\"");
    ck_expr("-DSQLITE_OMIT_ATTACH", "\"DSQLITE_OMIT_ATTACH\"");
    ck_expr("--enable-shared", "\"-enable-shared\"");
    ck_expr("-O2 -\"x y\"", "\"O2\" AND \"x y\"");
    /* Controls and Unicode spaces separate; zero-width joins. */
    ck_expr("a\tb\xe3\x80\x80"
            "c\x01"
            "d",
            "\"a\" AND \"b\" AND \"c\" AND \"d\"");
    ck_expr("데이터\xe2\x80\x8b베이스", "\"데이터베이스\"");
    ck_expr("a\xff"
            "b",
            "\"a\" AND \"b\"");
}
END_TEST

START_TEST(test_info)
{
    struct query_info info;
    struct strbuf m = STRBUF_INIT;
    static const char q[] = "-old \"new phrase\" pref* plain";

    ck_assert_int_eq(query_build(q, strlen(q), &m, &info), 0);
    ck_assert_int_eq(info.empty, 0);
    ck_assert_int_eq(info.truncated, 0);
    ck_assert_int_eq(info.n_terms, 4);
    ck_assert_int_eq(info.n_positive, 3);
    ck_assert_int_eq(info.n_negative, 1);
    ck_assert_str_eq(info.term[0].text, "old");
    ck_assert_int_eq(info.term[0].exclude, 1);
    ck_assert_str_eq(info.term[1].text, "new phrase");
    ck_assert_int_eq(info.term[1].phrase, 1);
    ck_assert_str_eq(info.term[2].text, "pref");
    ck_assert_int_eq(info.term[2].prefix, 1);
    ck_assert_str_eq(info.term[3].text, "plain");
    ck_assert_uint_eq(info.term[3].len, 5);
    strbuf_free(&m);

    ck_assert_int_eq(query_build(NULL, 0, &m, &info), 0);
    ck_assert_int_eq(info.empty, 1);
    ck_assert_uint_eq(m.len, 0);
    /* Exclusions only: pasted options, looked for as words. */
    ck_assert_int_eq(query_build("-a -b", 5, &m, &info), 0);
    ck_assert_int_eq(info.empty, 0);
    ck_assert_int_eq(info.n_negative, 0);
    ck_assert_int_eq(info.n_positive, 2);
    ck_assert_int_eq(info.term[0].exclude, 0);
    ck_assert_str_eq(info.term[1].text, "b");
    ck_assert_str_eq(m.buf, "\"a\" AND \"b\"");
    strbuf_reset(&m);
    ck_assert_int_eq(query_build("-- -", 4, &m, &info), 0);
    ck_assert_int_eq(info.empty, 1);
    ck_assert_uint_eq(m.len, 0);
    strbuf_free(&m);
}
END_TEST

START_TEST(test_semantics)
{
    sqlite3 *db = open_db();

    /* Words are ANDed. */
    ck_assert_uint_eq(run(db, "database"), R(1) | R(2));
    ck_assert_uint_eq(run(db, "sqlite engine"), R(1));
    ck_assert_uint_eq(run(db, "sqlite postgresql"), 0);
    /* Phrases. */
    ck_assert_uint_eq(run(db, "\"database engine\""), R(1));
    ck_assert_uint_eq(run(db, "\"engine database\""), 0);
    /* Exclusion, of a word or of a phrase. */
    ck_assert_uint_eq(run(db, "database -postgresql"), R(1));
    ck_assert_uint_eq(run(db, "database -\"object-relational database\""),
                      R(1));
    ck_assert_uint_eq(run(db, "database -nothing"), R(1) | R(2));
    /* Prefix. */
    ck_assert_uint_eq(run(db, "postgre*"), R(2));
    ck_assert_uint_eq(run(db, "data*"), R(1) | R(2));
    ck_assert_uint_eq(run(db, "pg_stat*"), R(2));
    ck_assert_uint_eq(run(db, "\"write ahe\"*"), R(6));
    /* Korean. */
    ck_assert_uint_eq(run(db, "이미지"), R(3));
    ck_assert_uint_eq(run(db, "데이터베이스 저장"), R(3));
    ck_assert_uint_eq(run(db, "법"), R(3));
    ck_assert_uint_eq(run(db, "이미지 -저장"), 0);
    ck_assert_uint_eq(run(db, "이미*"), R(3));
    ck_assert_uint_eq(run(db, "불*"), R(3));
    ck_assert_uint_eq(run(db, "\"이미지를 불\"*"), R(3));
    /* Identifiers, whole and by part. */
    ck_assert_uint_eq(run(db, "pg_stat_activity"), R(2));
    ck_assert_uint_eq(run(db, "activity"), R(2));
    sqlite3_close(db);
}
END_TEST

START_TEST(test_syntax_as_text)
{
    sqlite3 *db = open_db();

    /* Unbalanced quotes are text. */
    ck_assert_uint_eq(run(db, "\"sqlite"), R(1));
    ck_assert_uint_eq(run(db, "sqlite\" engine"), R(1));
    ck_assert_uint_eq(run(db, "\"hello"), R(8));
    /* Parentheses and colons are text, not grouping or column filters. */
    ck_assert_uint_eq(run(db, "f(x)"), R(5));
    ck_assert_uint_eq(run(db, "(math)"), R(5));
    ck_assert_uint_eq(run(db, "title:colon"), R(5));
    ck_assert_uint_eq(run(db, "title:sqlite"), 0);
    /* A term with nothing searchable must not empty the AND. */
    ck_assert_uint_eq(run(db, "sqlite : ( ) \"\" -"), R(1));
    ck_assert_uint_eq(run(db, "body:engine"), 0);
    /* NEAR, OR, AND, NOT are words. */
    ck_assert_uint_eq(run(db, "NEAR(the river)"), R(4));
    ck_assert_uint_eq(run(db, "NEAR(river sea)"), 0);
    ck_assert_uint_eq(run(db, "near OR far"), 0);
    ck_assert_uint_eq(run(db, "sqlite OR postgresql"), 0);
    ck_assert_uint_eq(run(db, "OR AND NOT"), R(7));
    ck_assert_uint_eq(run(db, "NOT"), R(7));
    ck_assert_uint_eq(run(db, "words AND"), R(7));
    /* ^, + and * inside a word are text too. */
    ck_assert_uint_eq(run(db, "^sqlite"), R(1));
    ck_assert_uint_eq(run(db, "write+ahead"), R(6));
    ck_assert_uint_eq(run(db, "wr*te"), 0);
    /* Hyphenated words are identifiers, not exclusions. */
    ck_assert_uint_eq(run(db, "write-ahead"), R(6));
    ck_assert_uint_eq(run(db, "object-relational"), R(2));
    sqlite3_close(db);
}
END_TEST

/* query_parts(): the identifiers of a query and their parts, for the OR
 * fallback; the expression of the result is valid FTS5. */
static const char *
parts_of(const char *user, struct query_info *out, int *n)
{
    static char buf[512];
    struct query_info in;
    struct strbuf m = STRBUF_INIT;
    size_t len = 0;
    int k;

    ck_assert_int_eq(query_build(user, strlen(user), &m, &in), 0);
    strbuf_free(&m);
    *n = query_parts(&in, out);
    buf[0] = '\0';
    for (k = 0; *n > 0 && k < out->n_terms; k++) {
        len +=
            (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s%s%s",
                             k ? " " : "", out->term[k].exclude ? "-" : "",
                             out->term[k].part ? "+" : "", out->term[k].text);
    }
    return buf;
}

START_TEST(test_parts)
{
    struct query_info out;
    struct strbuf e = STRBUF_INIT;
    int n;

    ck_assert_str_eq(parts_of("DSQLITE_OMIT_ATTACH", &out, &n),
                     "DSQLITE_OMIT_ATTACH +dsqlite +omit +attach");
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(out.n_positive, 4);
    /* code: its parts stand for it (struct query_term) */
    ck_assert(out.term[0].code && !out.term[1].code);
    ck_assert_str_eq(parts_of("e-mail address -spam", &out, &n),
                     "e-mail +e +mail address -spam");
    ck_assert_int_eq(out.n_positive, 4);
    ck_assert_int_eq(out.n_negative, 1);
    /* a compound joined by '-' only: its parts are words of their own */
    ck_assert(!out.term[0].code && !out.term[3].code);
    ck_assert_str_eq(parts_of("PyConfig.PyConfig_SetString", &out, &n),
                     "PyConfig.PyConfig_SetString +pyconfig +setstring");
    ck_assert(out.term[0].code);
    ck_assert_int_eq(query_expr(&out, QUERY_ANY, &e), 0);
    ck_assert_str_eq(strbuf_peek(&e),
                     "\"PyConfig.PyConfig_SetString\" OR \"pyconfig\" OR "
                     "\"setstring\"");
    strbuf_free(&e);
    /* nothing to split: plain words, Hangul, phrases, prefixes */
    parts_of("journal mode", &out, &n);
    ck_assert_int_eq(n, 0);
    parts_of("\ud55c\uae00_\ud14c\uc2a4\ud2b8", &out, &n);
    ck_assert_int_eq(n, 0);
    parts_of("\"journal_mode\"", &out, &n);
    ck_assert_int_eq(n, 0);
    parts_of("journal_mo*", &out, &n);
    ck_assert_int_eq(n, 0);
    /* at most QUERY_MAX_TERMS terms, however many parts */
    parts_of("a_b_c_d_e_f_g_h_i_j_k_l_m_n_o_p_q_r_s_t_u_v_w_x_y_z", &out, &n);
    ck_assert_int_eq(n, 1);
    ck_assert_int_le(out.n_terms, QUERY_MAX_TERMS);
}
END_TEST

/* query_title_affix() on titles normalised as the database holds them:
 * the prefix and suffix of titles[0..n) as "prefix|suffix". */
static const char *
affix_of(const char *const *titles, size_t n)
{
    static char buf[256];
    struct strbuf p = STRBUF_INIT, x = STRBUF_INIT;

    ck_assert_int_eq(query_title_affix(titles, n, &p, &x), 0);
    snprintf(buf, sizeof(buf), "%s|%s", strbuf_peek(&p), strbuf_peek(&x));
    strbuf_free(&p);
    strbuf_free(&x);
    return buf;
}

START_TEST(test_title_affix)
{
    static const char *const sphinx[] = {
        "glossary \xe2\x80\x94 python 3.11.2 documentation",
        "tkinter \xe2\x80\x94 python interface to tcl/tk \xe2\x80\x94 python "
        "3.11.2 documentation",
        "3. data model \xe2\x80\x94 python 3.11.2 documentation",
        "dictionary objects \xe2\x80\x94 python 3.11.2 documentation",
        "built-in types \xe2\x80\x94 python 3.11.2 documentation",
        "event loop \xe2\x80\x94 python 3.11.2 documentation",
        ".. _tut-structures:",
        "curses \xe2\x80\x94 terminal handling \xe2\x80\x94 python 3.11.2 "
        "documentation",
        "index \xe2\x80\x94 python 3.11.2 documentation",
        "what\xe2\x80\x99s new in python 3.3 \xe2\x80\x94 python 3.11.2 "
        "documentation",
        ":mod:`argparse` --- parser for command-line options",
        "glossary of terms \xe2\x80\x94 python 3.11.2 documentation",
    };
    static const char *const texinfo[] = {
        "oct-files (gnu octave (version 7.3.0))",
        "xreffigure (gnu octave (version 7.3.0))",
        "sparse matrices in oct-files (gnu octave (version 7.3.0))",
        "boolean expressions (gnu octave (version 7.3.0))",
        "colors (gnu octave (version 7.3.0))",
        "ranges (gnu octave (version 7.3.0))",
        "errors (gnu octave (version 7.3.0))",
        "apply (gnu octave (version 7.3.0))",
        "(gnu octave (version 7.3.0))", /* nothing of its own */
    };
    static const char *const prefixed[] = {
        "postgresql: documentation: 15: table basics",
        "postgresql: documentation: 15: select output columns",
        "postgresql: documentation: 15: dependency tracking",
        "postgresql: documentation: 15: pg_authid",
        "postgresql: documentation: 15: schemata",
        "postgresql: documentation: 15: tablefunc",
        "postgresql: documentation: 15: jit",
        "postgresql: documentation: 15: release 15.2",
    };
    /* a word they share that is no separator is their own */
    static const char *const own[] = {
        "string functions", "math functions", "date functions",
        "array functions",  "json functions", "window functions",
        "range functions",  "xml functions",  "user-defined functions",
        "uuid functions",
    };
    static const char *const korean[] = {
        "\xeb\xac\xb8\xec\x9e\x90\xec\x97\xb4 \xed\x95\xa8\xec\x88\x98",
        "\xec\x88\x98\xed\x95\x99 \xed\x95\xa8\xec\x88\x98",
        "\xeb\x82\xa0\xec\xa7\x9c \xed\x95\xa8\xec\x88\x98",
        "\xeb\xb0\xb0\xec\x97\xb4 \xed\x95\xa8\xec\x88\x98",
        "\xea\xb8\xb0\xed\x83\x80 \xed\x95\xa8\xec\x88\x98",
        "\xec\x8b\x9c\xea\xb0\x84 \xed\x95\xa8\xec\x88\x98",
        "\xed\x86\xb5\xea\xb3\x84 \xed\x95\xa8\xec\x88\x98",
        "\xeb\x85\xbc\xeb\xa6\xac \xed\x95\xa8\xec\x88\x98",
    };

    ck_assert_str_eq(affix_of(sphinx, 12),
                     "|\xe2\x80\x94 python 3.11.2 documentation");
    ck_assert_str_eq(affix_of(texinfo, 9), "|(gnu octave (version 7.3.0))");
    ck_assert_str_eq(affix_of(prefixed, 8), "postgresql: documentation: 15:|");
    ck_assert_str_eq(affix_of(own, 10), "|");
    ck_assert_str_eq(affix_of(korean, 8), "|");
    /* too few titles, or too few of them share it */
    ck_assert_str_eq(affix_of(texinfo, 7), "|");
    {
        const char *mixed[16];
        size_t i;

        for (i = 0; i < 8; i++) {
            mixed[i] = texinfo[i];
            mixed[8 + i] = own[i];
        }
        ck_assert_str_eq(affix_of(mixed, 16), "|(gnu octave (version 7.3.0))");
        mixed[0] = own[8];
        ck_assert_str_eq(affix_of(mixed, 16), "|");
    }
    /* a title past QUERY_AFFIX_MAX_BYTES shares nothing, so that what a
     * page says for its title cannot make the work grow */
    {
        static char big[8][QUERY_AFFIX_MAX_BYTES + 2];
        const char *t[8];
        size_t i, n;

        for (i = 0; i < 8; i++) {
            n = QUERY_AFFIX_MAX_BYTES + (i == 0 ? 1 : 0) - strlen(texinfo[0]);
            memset(big[i], 'a' + (int)i, n);
            memcpy(big[i] + n, texinfo[0], strlen(texinfo[0]) + 1);
            t[i] = big[i];
        }
        ck_assert_uint_eq(strlen(big[0]), QUERY_AFFIX_MAX_BYTES + 1);
        ck_assert_uint_eq(strlen(big[1]), QUERY_AFFIX_MAX_BYTES);
        ck_assert_str_eq(affix_of(t, 8), "|");
        t[0] = texinfo[1];
        ck_assert_str_eq(affix_of(t, 8), "|(gnu octave (version 7.3.0))");
    }
}
END_TEST

START_TEST(test_title)
{
    ck_title("28.2. Write-Ahead Logging", "write-ahead logging");
    ck_title("  Café \t au\n lait  ", "cafe au lait");
    ck_title("1. 소개", "소개");
    ck_title("4.1 Über Straße", "uber strasse");
    ck_title("STRASSE", "strasse");
    ck_title("3.40.1", "3.40.1");
    ck_title("3.40.1 ", "3.40.1");
    ck_title("2024 Annual Report", "2024 annual report");
    ck_title("1.5x Speed", "1.5x speed");
    ck_title("데이터베이스\xe3\x80\x80개요", "데이터베이스 개요");
    ck_title("a\xe2\x80\x8b"
             "b\xff"
             "c",
             "ab c");
    ck_title("", "");
    ck_title(" \t ", "");
    ck_title("ΑΒΓ Ελληνικά", "ΑΒΓ Ελληνικά");
}
END_TEST

/* ---- limits -------------------------------------------------------- */

START_TEST(test_bounds)
{
    sqlite3 *db = open_db();
    struct query_info info;
    struct strbuf sb = STRBUF_INIT;
    int k;

    /* 20 words: the first 16 kept. */
    for (k = 0; k < 20; k++) {
        strbuf_printf(&sb, "w%d ", k);
    }
    ck_assert_uint_eq(run_n(db, sb.buf, sb.len, &info), 0);
    ck_assert_int_eq(info.n_terms, QUERY_MAX_TERMS);
    ck_assert_int_eq(info.truncated, 1);
    ck_assert_str_eq(info.term[15].text, "w15");
    strbuf_reset(&sb);

    /* 100 syllables (300 bytes): cut at 255, a character boundary. */
    for (k = 0; k < 100; k++) {
        strbuf_puts(&sb, "가");
    }
    run_n(db, sb.buf, sb.len, &info);
    ck_assert_int_eq(info.truncated, 1);
    ck_assert_int_eq(info.n_terms, 1);
    ck_assert_uint_eq(info.term[0].len, 255);
    strbuf_reset(&sb);

    /* Exactly the limit: nothing cut. */
    for (k = 0; k < QUERY_MAX_BYTES; k++) {
        strbuf_putc(&sb, "\"\" "[k % 3]);
    }
    run_n(db, sb.buf, sb.len, &info);
    ck_assert_int_eq(info.truncated, 0);
    ck_assert_int_eq(info.empty, 1);
    strbuf_reset(&sb);

    /* A long search that still finds its document. */
    strbuf_puts(&sb, "sqlite ");
    for (k = 0; k < 100; k++) {
        strbuf_puts(&sb, "engine ");
    }
    ck_assert_uint_eq(run_n(db, sb.buf, sb.len, &info), R(1));
    ck_assert_int_eq(info.truncated, 1);
    strbuf_free(&sb);
    sqlite3_close(db);
}
END_TEST

/* Variants of one hostile string: as is, quoted, excluded, as a prefix,
 * and after a real word. */
static void
run_variants(sqlite3 *db, const char *s, size_t n)
{
    struct strbuf sb = STRBUF_INIT;

    run_n(db, s, n, NULL);
    strbuf_putc(&sb, '"');
    strbuf_append(&sb, s, n);
    strbuf_putc(&sb, '"');
    run_n(db, sb.buf, sb.len, NULL);
    strbuf_reset(&sb);
    strbuf_puts(&sb, "database -");
    strbuf_append(&sb, s, n);
    run_n(db, sb.buf, sb.len, NULL);
    strbuf_reset(&sb);
    strbuf_append(&sb, s, n);
    strbuf_puts(&sb, "* sqlite");
    run_n(db, sb.buf, sb.len, NULL);
    strbuf_free(&sb);
}

START_TEST(test_blns)
{
    const char *dir = getenv("KW_TEST_DATA");
    sqlite3 *db = open_db();
    json_error_t err;
    json_t *list, *v;
    char path[4096];
    size_t i;

    snprintf(path, sizeof(path), "%s/blns.json", dir ? dir : "tests/data");
    list = json_load_file(path, 0, &err);
    ck_assert_msg(list != NULL, "%s: %s", path, err.text);
    ck_assert_int_gt(json_array_size(list), 400);
    json_array_foreach(list, i, v)
    {
        run_variants(db, json_string_value(v), json_string_length(v));
    }
    json_decref(list);
    sqlite3_close(db);
}
END_TEST

START_TEST(test_random)
{
    /* Heavy on query syntax so that odd combinations come up often. */
    static const char alphabet[] = "\"\"--**()::^+ aZ_.NEAR/OR\xea\xb0\x80";
    sqlite3 *db = open_db();
    uint64_t seed = 0x717565727921;
    char buf[600];
    int round;

    for (round = 0; round < 1000; round++) {
        size_t n = rnd(&seed) % sizeof(buf), i;

        for (i = 0; i < n; i++) {
            uint64_t r = rnd(&seed);

            buf[i] = (r & 3) ? alphabet[(r >> 8) % (sizeof(alphabet) - 1)]
                             : (char)(r >> 8);
        }
        run_variants(db, buf, n);
    }
    sqlite3_close(db);
}
END_TEST

/* ---- errors -------------------------------------------------------- */

START_TEST(test_oom)
{
    struct query_info info;
    struct strbuf m = STRBUF_INIT;

    alloc_set_fail_after(0);
    ck_assert_int_eq(query_build("sqlite engine", 13, &m, &info), -1);
    alloc_set_fail_after(-1);
    ck_assert(!strbuf_ok(&m));
    strbuf_free(&m);

    alloc_set_fail_after(0);
    ck_assert_int_eq(query_normalize_title("Title", 5, &m), -1);
    alloc_set_fail_after(-1);
    strbuf_free(&m);

    /* Nothing to allocate for an empty result: no error. */
    alloc_set_fail_after(0);
    ck_assert_int_eq(query_build("- -", 3, &m, &info), 0);
    ck_assert_int_eq(query_normalize_title("", 0, &m), 0);
    alloc_set_fail_after(-1);
    strbuf_free(&m);
}
END_TEST

START_TEST(test_nul)
{
    sqlite3 *db = open_db();
    static const char q[] = "sqlite\0engine\0\0";

    /* NUL separates terms and never reaches FTS5. */
    ck_assert_uint_eq(run_n(db, q, sizeof(q) - 1, NULL), R(1));
    ck_expr("\"a\\", "\"\"\"a\\\"");
    sqlite3_close(db);
}
END_TEST

static Suite *
query_suite(void)
{
    Suite *s = suite_create("query");
    TCase *tc;

    tc = tcase_create("core");
    tcase_add_test(tc, test_expression);
    tcase_add_test(tc, test_cost_bounds);
    tcase_add_test(tc, test_info);
    tcase_add_test(tc, test_semantics);
    tcase_add_test(tc, test_syntax_as_text);
    tcase_add_test(tc, test_title);
    tcase_add_test(tc, test_title_affix);
    tcase_add_test(tc, test_parts);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_blns);
    tcase_add_test(tc, test_random);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_test(tc, test_oom);
    tcase_add_test(tc, test_nul);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return check_main(query_suite());
}
