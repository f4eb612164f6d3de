/*
 * snippet: the kwsnip FTS5 auxiliary function (see snippet.h).
 * Layer: lib/, depends on sqlite3 and tokenizer.
 */
#include "snippet.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "tokenizer.h"

/* The body column of section_fts. */
#define SNIPPET_COLUMN 2

static int
popcount64(uint64_t x)
{
    int n = 0;

    for (; x != 0; x &= x - 1) {
        n++;
    }
    return n;
}

int
snippet_window(const struct snippet_hit *hits, int nhit, int ntok, int want)
{
    int j, best = -1, best_last = 0, start;
    long best_score = -1;

    for (j = 0; j < nhit; j++) {
        uint64_t seen = 0;
        long score;
        int k, fit = 0, first = hits[j].off, last = first;

        for (k = j; k < nhit && hits[k].off < first + want; k++) {
            int end = hits[k].off + (hits[k].len > 0 ? hits[k].len : 1) - 1;

            if (end >= first + want) {
                continue; /* does not fit whole */
            }
            seen |= (uint64_t)1 << (hits[k].phrase & 63);
            fit++;
            if (end > last) {
                last = end;
            }
        }
        /* The distinct phrases first, then the occurrences. */
        score = 1000L * popcount64(seen) + fit;
        if (score > best_score) {
            best_score = score;
            best = j;
            best_last = last;
        }
    }
    if (best < 0) {
        return 0;
    }
    /* Centred on what it holds, inside the column. */
    start = hits[best].off - (want - (best_last - hits[best].off + 1)) / 2;
    if (start + want > ntok) {
        start = ntok - want;
    }
    return start < 0 ? 0 : start;
}

static int
hit_cmp(const void *a, const void *b)
{
    const struct snippet_hit *x = a, *y = b;

    if (x->off != y->off) {
        return x->off < y->off ? -1 : 1;
    }
    return x->phrase - y->phrase;
}

/* The most tokens a window holds, widened at both ends. */
#define WINDOW_MAX (SNIPPET_TOKENS + 2 * SNIPPET_WORD_EXTRA)

/* The window's tokens, collected by the tokenizer's callback. */
struct window {
    int pos;        /* position of the next token (colocated ones share) */
    int start, end; /* the window: positions [start, end) */
    int n;
    int s[WINDOW_MAX], e[WINDOW_MAX]; /* byte ranges */
    int more;                         /* a token follows the window */
    /* The last SNIPPET_WORD_EXTRA tokens before the window (a ring, by
     * position), for widening its start. */
    int bs[SNIPPET_WORD_EXTRA], be[SNIPPET_WORD_EXTRA];
};

static int
window_token(void *ctx, int tflags, const char *tok, int ntok, int s, int e)
{
    struct window *w = ctx;
    int p, k;

    (void)tok;
    (void)ntok;
    /* The parts beside an identifier: its first token stands for all. */
    if (tflags & FTS5_TOKEN_COLOCATED) {
        return SQLITE_OK;
    }
    p = w->pos++;
    if (p < w->start) {
        w->bs[p % SNIPPET_WORD_EXTRA] = s;
        w->be[p % SNIPPET_WORD_EXTRA] = e;
        return SQLITE_OK;
    }
    if (p == w->start) {
        /* The first token overlaps the one before it (the syllable pairs
         * of one Korean word): the window starts with the word. */
        for (k = 0; k < SNIPPET_WORD_EXTRA && w->start > 0 &&
                    w->be[(w->start - 1) % SNIPPET_WORD_EXTRA] >
                        (k == 0 ? s : w->s[0]);
             k++) {
            int q = (w->start - 1) % SNIPPET_WORD_EXTRA;

            memmove(w->s + 1, w->s, sizeof(w->s[0]) * (size_t)w->n);
            memmove(w->e + 1, w->e, sizeof(w->e[0]) * (size_t)w->n);
            w->s[0] = w->bs[q];
            w->e[0] = w->be[q];
            w->n++;
            w->start--;
        }
    }
    if ((p >= w->end && (w->n == 0 || s >= w->e[w->n - 1] ||
                         p >= w->end + SNIPPET_WORD_EXTRA)) ||
        w->n == WINDOW_MAX) {
        w->more = 1;
        return SQLITE_DONE; /* stop: the rest of the text is not needed */
    }
    /* Past the end only while it overlaps the last (one word goes on). */
    w->s[w->n] = s;
    w->e[w->n] = e;
    w->n++;
    return SQLITE_OK;
}

/* Write the window's text (of text, ntext bytes) into sb, the tokens at
 * marked[i] != 0 marked.  Marks are byte ranges, from a marked token's
 * first byte to its last: a Korean token shares bytes with its neighbours
 * (overlapping syllable pairs), so a mark may open inside text already
 * written for an unmarked one.  Consecutive marked tokens make one mark. */
static void
window_text(struct strbuf *sb, const char *text, int ntext,
            const struct window *w, const unsigned char *marked)
{
    int i, pos, finish, a = -1, b = -1;

    if (w->n == 0) {
        return;
    }
    /* From the text's start when the window is at it, else from its
     * first token; to the text's end when nothing follows. */
    pos = w->start > 0 ? w->s[0] : 0;
    finish = ntext;
    if (w->more) {
        finish = 0;
        for (i = 0; i < w->n; i++) {
            finish = w->e[i] > finish ? w->e[i] : finish;
        }
    }
    if (w->start > 0) {
        strbuf_puts(sb, SNIPPET_ELLIPSIS);
    }
    for (i = 0; i <= w->n; i++) {
        if (i < w->n && marked[i]) {
            if (a >= 0 && (w->s[i] <= b || marked[i - 1])) {
                b = w->e[i] > b ? w->e[i] : b; /* the same mark goes on */
                continue;
            }
        } else if (a < 0) {
            continue;
        }
        if (a >= 0) {
            /* The mark [a, b) ends: write up to it, then it. */
            if (a > pos) {
                strbuf_append(sb, text + pos, (size_t)(a - pos));
                pos = a;
            }
            strbuf_putc(sb, SNIPPET_OPEN);
            if (b > pos) {
                strbuf_append(sb, text + pos, (size_t)(b - pos));
                pos = b;
            }
            strbuf_putc(sb, SNIPPET_CLOSE);
            a = b = -1;
        }
        if (i < w->n && marked[i]) {
            a = w->s[i];
            b = w->e[i];
        }
    }
    if (finish > pos) {
        strbuf_append(sb, text + pos, (size_t)(finish - pos));
    }
    if (w->more) {
        strbuf_puts(sb, SNIPPET_ELLIPSIS);
    }
}

static void
kwsnip(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
       int nval, sqlite3_value **val)
{
    int nphrase = api->xPhraseCount(fts), nhit = 0, ntok = 0, ntext = 0, i;
    unsigned char marked[WINDOW_MAX];
    struct strbuf sb = STRBUF_INIT;
    struct snippet_hit *hits = NULL;
    const char *text = NULL;
    struct window w;
    int rc;

    (void)nval;
    (void)val;
    rc = api->xColumnText(fts, SNIPPET_COLUMN, &text, &ntext);
    if (rc == SQLITE_OK) {
        rc = api->xColumnSize(fts, SNIPPET_COLUMN, &ntok);
    }
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    if (text == NULL || ntext <= 0) {
        sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
        return;
    }
    hits = sqlite3_malloc64(sizeof(*hits) * SNIPPET_MAX_HITS);
    if (hits == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    for (i = 0; i < nphrase && nhit < SNIPPET_MAX_HITS; i++) {
        Fts5PhraseIter it;
        int col, o, n = api->xPhraseSize(fts, i);

        rc = api->xPhraseFirst(fts, i, &it, &col, &o);
        if (rc != SQLITE_OK) {
            goto fail;
        }
        for (; col >= 0 && nhit < SNIPPET_MAX_HITS;
             api->xPhraseNext(fts, &it, &col, &o)) {
            if (col == SNIPPET_COLUMN) {
                hits[nhit].off = o;
                hits[nhit].len = n > 0 ? n : 1;
                hits[nhit].phrase = i;
                nhit++;
            }
        }
    }
    qsort(hits, (size_t)nhit, sizeof(*hits), hit_cmp);
    memset(&w, 0, sizeof(w));
    w.start = snippet_window(hits, nhit, ntok, SNIPPET_TOKENS);
    w.end = w.start + SNIPPET_TOKENS;
    rc = api->xTokenize(fts, text, ntext, &w, window_token);
    if (rc != SQLITE_OK && rc != SQLITE_DONE) {
        goto fail;
    }
    /* Every token of the window that an occurrence covers. */
    memset(marked, 0, sizeof(marked));
    for (i = 0; i < nhit; i++) {
        int p;

        for (p = hits[i].off; p < hits[i].off + hits[i].len; p++) {
            if (p >= w.start && p < w.start + w.n) {
                marked[p - w.start] = 1;
            }
        }
    }
    window_text(&sb, text, ntext, &w, marked);
    if (!strbuf_ok(&sb)) {
        rc = SQLITE_NOMEM;
        goto fail;
    }
    sqlite3_result_text(ctx, strbuf_peek(&sb), (int)sb.len, SQLITE_TRANSIENT);
    strbuf_free(&sb);
    sqlite3_free(hits);
    return;
fail:
    strbuf_free(&sb);
    sqlite3_free(hits);
    if (rc == SQLITE_NOMEM) {
        sqlite3_result_error_nomem(ctx);
    } else {
        sqlite3_result_error_code(ctx, rc);
    }
}

int
snippet_register(sqlite3 *db)
{
    fts5_api *api = tokenizer_fts5_api(db);

    if (api == NULL) {
        return SQLITE_ERROR;
    }
    return api->xCreateFunction(api, "kwsnip", NULL, kwsnip, NULL);
}
