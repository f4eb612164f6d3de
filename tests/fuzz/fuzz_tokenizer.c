/*
 * fuzz_tokenizer: the kwtok tokenizer (lib/tokenizer.c) on arbitrary
 * bytes, directly in every FTS5 mode and through SQLite's FTS5 as the
 * index uses it (tokenize = 'porter kwtok').  Layer: tests/.
 *
 * Invariants, from tokenizer.h and FTS5's contract: every token is 1 to
 * TOKENIZER_MAX_TOKEN bytes of valid UTF-8, its offsets lie within the
 * text (start < end <= n) on character boundaries, the first token is
 * not colocated; the same text gives the same stream twice; and FTS5's
 * integrity-check, which re-tokenizes the row, agrees with the index.
 */
#include <string.h>

#include "fuzz.h"
#include "html.h"
#include "tokenizer.h"

struct inv {
    const unsigned char *bound; /* 1 where a character starts, and at n */
    size_t n;
    long tokens;
    uint64_t hash; /* FNV-1a of the stream, for determinism */
};

/* 1 when offset at is a character boundary as tokenizer_decode() steps
 * through the text (an invalid byte is a character of its own). */
static int
boundary(const struct inv *v, int at)
{
    return v->bound[at];
}

static void
mix(uint64_t *h, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i;

    for (i = 0; i < n; i++) {
        *h = (*h ^ s[i]) * 0x100000001b3ULL;
    }
}

static int
check_token(void *ctx, int tflags, const char *tok, int ntok, int start,
            int end)
{
    struct inv *v = ctx;

    FUZZ_CHECK(tok != NULL && ntok >= 1 && ntok <= TOKENIZER_MAX_TOKEN,
               "token length 1..TOKENIZER_MAX_TOKEN");
    FUZZ_CHECK(start >= 0 && start < end && (size_t)end <= v->n,
               "offsets within the text");
    FUZZ_CHECK(boundary(v, start) && boundary(v, end),
               "offsets on character boundaries");
    FUZZ_CHECK(v->tokens > 0 || !(tflags & FTS5_TOKEN_COLOCATED),
               "first token not colocated");
    FUZZ_CHECK(utf8_valid(tok, (size_t)ntok), "token is valid UTF-8");
    mix(&v->hash, &tflags, sizeof(tflags));
    mix(&v->hash, tok, (size_t)ntok);
    mix(&v->hash, &start, sizeof(start));
    mix(&v->hash, &end, sizeof(end));
    v->tokens++;
    return SQLITE_OK;
}

static sqlite3 *db;

/* One :memory: database per process with the index's tokenizer chain. */
static void
db_setup(void)
{
    if (db != NULL) {
        return;
    }
    FUZZ_CHECK(sqlite3_open(":memory:", &db) == SQLITE_OK, "open :memory:");
    FUZZ_CHECK(tokenizer_register(db) == SQLITE_OK, "register kwtok");
    FUZZ_CHECK(sqlite3_exec(db,
                            "CREATE VIRTUAL TABLE t USING fts5(body,"
                            " tokenize = 'porter kwtok')",
                            NULL, NULL, NULL) == SQLITE_OK,
               "create the FTS5 table");
}

/* Index text, check the index against a re-tokenization, empty it. */
static void
through_fts5(const char *text, size_t n)
{
    sqlite3_stmt *st;

    db_setup();
    FUZZ_CHECK(sqlite3_prepare_v2(db, "INSERT INTO t(body) VALUES (?1)", -1,
                                  &st, NULL) == SQLITE_OK,
               "prepare insert");
    sqlite3_bind_text(st, 1, n > 0 ? text : "", (int)n, SQLITE_STATIC);
    FUZZ_CHECK(sqlite3_step(st) == SQLITE_DONE, "FTS5 insert");
    sqlite3_finalize(st);
    if (sqlite3_exec(db, "INSERT INTO t(t) VALUES ('integrity-check')", NULL,
                     NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s\n", sqlite3_errmsg(db));
        FUZZ_CHECK(0, "FTS5 integrity-check");
    }
    FUZZ_CHECK(sqlite3_exec(db, "DELETE FROM t", NULL, NULL, NULL) == SQLITE_OK,
               "FTS5 delete");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int modes[] = {FTS5_TOKENIZE_DOCUMENT, FTS5_TOKENIZE_QUERY,
                                FTS5_TOKENIZE_QUERY | FTS5_TOKENIZE_PREFIX,
                                FTS5_TOKENIZE_AUX};
    const char *text = (const char *)data;
    unsigned char *bound = calloc(size + 1, 1);
    unsigned long cp;
    size_t k;

    FUZZ_CHECK(bound != NULL, "out of memory");
    for (k = 0; k < size; k += tokenizer_decode(text + k, size - k, &cp)) {
        bound[k] = 1;
    }
    bound[size] = 1;

    for (k = 0; k < sizeof(modes) / sizeof(modes[0]); k++) {
        struct inv a = {bound, size, 0, 0xcbf29ce484222325ULL};
        struct inv b = a;

        FUZZ_CHECK(tokenizer_tokenize(text, size, modes[k], &a, check_token) ==
                       SQLITE_OK,
                   "tokenize succeeds");
        FUZZ_CHECK(tokenizer_tokenize(text, size, modes[k], &b, check_token) ==
                       SQLITE_OK,
                   "tokenize succeeds again");
        FUZZ_CHECK(a.tokens == b.tokens && a.hash == b.hash,
                   "the same text gives the same tokens");
    }
    free(bound);
    through_fts5(text, size);
    return 0;
}
