/*
 * rank: the kwtf FTS5 auxiliary function and the score made from it (see
 * rank.h).  Layer: lib/, depends on sqlite3 and tokenizer.  Stateless:
 * one registration serves every thread.
 */
#include "rank.h"

#include <string.h>

#include "tokenizer.h"

#define RANK_K1 1.2
#define RANK_B 0.75
/* Phrases counted; a longer query's extra phrases do not add to scores. */
#define RANK_MAX_PHRASES 64

/* Column weights: title, heading, body (the order of section_fts). */
static const double rank_weight[RANK_NCOL] = {10.0, 4.0, 1.0};
#define RANK_BODY 2

static void
kwtf(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
     int nval, sqlite3_value **val)
{
    uint16_t tf[RANK_MAX_PHRASES * RANK_NCOL];
    int nphrase = api->xPhraseCount(fts), i;

    (void)nval;
    (void)val;
    if (nphrase > RANK_MAX_PHRASES) {
        nphrase = RANK_MAX_PHRASES;
    }
    memset(tf, 0, sizeof(tf));
    for (i = 0; i < nphrase; i++) {
        Fts5PhraseIter it;
        int col, off, rc = api->xPhraseFirst(fts, i, &it, &col, &off);

        if (rc != SQLITE_OK) {
            sqlite3_result_error_code(ctx, rc);
            return;
        }
        for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off)) {
            uint16_t *t = &tf[i * RANK_NCOL + col];

            if (col < RANK_NCOL && *t < UINT16_MAX) {
                (*t)++;
            }
        }
    }
    sqlite3_result_blob(ctx, tf, (int)(nphrase * RANK_NCOL * sizeof(tf[0])),
                        SQLITE_TRANSIENT);
}

int
rank_register(sqlite3 *db)
{
    fts5_api *api = tokenizer_fts5_api(db);

    if (api == NULL) {
        return SQLITE_ERROR;
    }
    return api->xCreateFunction(api, "kwtf", NULL, kwtf, NULL);
}

double
rank_score(const void *blob, size_t n, unsigned body_bytes)
{
    const unsigned char *p = blob;
    double norm[RANK_NCOL], score = 0.0;
    size_t k, count = n / sizeof(uint16_t);
    int c;

    if (blob == NULL || n % (RANK_NCOL * sizeof(uint16_t)) != 0) {
        return 0.0;
    }
    for (c = 0; c < RANK_NCOL; c++) {
        norm[c] = RANK_K1;
    }
    norm[RANK_BODY] =
        RANK_K1 *
        (1.0 - RANK_B + RANK_B * (double)body_bytes / RANK_AVG_BODY_BYTES);
    for (k = 0; k < count; k++) {
        uint16_t t;

        memcpy(&t, p + k * sizeof(t), sizeof(t));
        c = (int)(k % RANK_NCOL);
        if (t > 0) {
            score += rank_weight[c] * t * (RANK_K1 + 1.0) / (t + norm[c]);
        }
    }
    return -score;
}
