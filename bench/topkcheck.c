/*
 * topkcheck: does the top-k search give the exhaustive ranking's first
 * page, and how much faster?  For each query of a file (one a line) it
 * runs search_run_cat twice on one read-only connection and one catalog:
 * by the impact lists (what the server does) and with every match scored
 * (search_params.exhaustive), and compares the first pages: the same
 * documents in the same order.  Prints one line a query and a summary
 * (identical share; p50/p99 of each way, each query's best of --repeat
 * runs).  Times are in-process, warm page cache: a ratio of the two ways,
 * measured in the same run (bench/README.md, "Top k").
 *
 *   bench/topkcheck --db FILE [--per-page N] [--repeat N] QUERIES
 *
 * Exit 0 when every first page was identical, 1 when one was not, 2 on
 * an error.  Built by `make bench/topkcheck`; bench/run --sizes uses it.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "search.h"
#include "searchcat.h"

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

static double
pct(double *v, size_t n, double p)
{
    size_t i;

    if (n == 0) {
        return 0.0;
    }
    qsort(v, n, sizeof(*v), cmp_double);
    i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i];
}

/* Run q one way, best time of repeat into *ms; the model (new ref) or
 * NULL. */
static json_t *
run(struct db *db, const struct searchcat *cat, const char *q, int per_page,
    int exhaustive, int repeat, double *ms)
{
    struct search_params p;
    json_t *m = NULL;
    int r;

    memset(&p, 0, sizeof(p));
    p.q = q;
    p.page = 1;
    p.per_page = per_page;
    p.exhaustive = exhaustive;
    *ms = 1e300;
    for (r = 0; r < repeat; r++) {
        struct timespec a, b;
        double t;

        json_decref(m);
        m = NULL;
        clock_gettime(CLOCK_MONOTONIC, &a);
        /* No memo: each query's counts are made, as on a first ask. */
        if (search_run_cat(db, cat, -1, &p, "", &m) < 0) {
            return NULL;
        }
        clock_gettime(CLOCK_MONOTONIC, &b);
        t = (double)(b.tv_sec - a.tv_sec) * 1e3 +
            (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        if (t < *ms) {
            *ms = t;
        }
    }
    return m;
}

/* 1 when the two models list the same documents in the same order. */
static int
same_page(json_t *a, json_t *b)
{
    json_t *ra = json_object_get(a, "results"),
           *rb = json_object_get(b, "results");
    size_t i;

    if (json_array_size(ra) != json_array_size(rb)) {
        return 0;
    }
    for (i = 0; i < json_array_size(ra); i++) {
        if (json_integer_value(json_object_get(json_array_get(ra, i), "id")) !=
            json_integer_value(json_object_get(json_array_get(rb, i), "id"))) {
            return 0;
        }
    }
    return 1;
}

int
main(int argc, char **argv)
{
    const char *path = NULL, *qfile = NULL;
    int per_page = 20, repeat = 3, i, differ = 0;
    struct db_opts o;
    struct db_error err;
    struct db *db = NULL;
    struct searchcat *cat = NULL;
    double *tk = NULL, *te = NULL;
    size_t n = 0, cap = 0;
    char line[4096];
    FILE *f;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            path = argv[++i];
        } else if (strcmp(argv[i], "--per-page") == 0 && i + 1 < argc) {
            per_page = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
            repeat = atoi(argv[++i]);
        } else if (argv[i][0] != '-' && qfile == NULL) {
            qfile = argv[i];
        } else {
            fprintf(stderr, "usage: topkcheck --db FILE [--per-page N]"
                            " [--repeat N] QUERIES\n");
            return 2;
        }
    }
    if (path == NULL || qfile == NULL || repeat < 1) {
        fprintf(stderr, "usage: topkcheck --db FILE [--per-page N]"
                        " [--repeat N] QUERIES\n");
        return 2;
    }
    if ((f = fopen(qfile, "r")) == NULL) {
        perror(qfile);
        return 2;
    }
    memset(&o, 0, sizeof(o));
    o.path = path;
    o.flags = DB_READONLY;
    if (db_open(&o, &db, &err) < 0) {
        fprintf(stderr, "topkcheck: %s\n", err.msg);
        fclose(f);
        return 2;
    }
    if (db_exec(db, "BEGIN") != SQLITE_OK || searchcat_build(db, 0, &cat) < 0) {
        fprintf(stderr, "topkcheck: %s\n", db_errmsg(db));
        fclose(f);
        db_close(db);
        return 2;
    }
    printf("query\ttopk_ms\texhaustive_ms\ttotal\ttotal_exhaustive\tsame\n");
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t len = strcspn(line, "\r\n");
        double a, b;
        json_t *x, *y;
        int same;

        line[len] = '\0';
        if (len == 0) {
            continue;
        }
        x = run(db, cat, line, per_page, 0, repeat, &a);
        y = run(db, cat, line, per_page, 1, repeat, &b);
        if (x == NULL || y == NULL) {
            fprintf(stderr, "topkcheck: %s: %s\n", line, db_errmsg(db));
            json_decref(x);
            json_decref(y);
            differ = -1;
            break;
        }
        same = same_page(x, y);
        differ += !same;
        printf("%s\t%.2f\t%.2f\t%s%lld\t%lld\t%s\n", line, a, b,
               json_is_true(json_object_get(x, "total_approx")) ? "~" : "",
               (long long)json_integer_value(json_object_get(x, "total")),
               (long long)json_integer_value(json_object_get(y, "total")),
               same ? "yes" : "NO");
        json_decref(x);
        json_decref(y);
        if (n == cap) {
            cap = cap ? 2 * cap : 256;
            tk = realloc(tk, cap * sizeof(*tk));
            te = realloc(te, cap * sizeof(*te));
            if (tk == NULL || te == NULL) {
                differ = -1;
                break;
            }
        }
        tk[n] = a;
        te[n++] = b;
    }
    fclose(f);
    if (differ >= 0) {
        printf("# %zu queries, first page identical: %zu (%.1f%%)\n", n,
               n - (size_t)differ,
               n ? 100.0 * (double)(n - (size_t)differ) / (double)n : 100.0);
        printf("# top-k p50 %.2f ms p99 %.2f ms; exhaustive p50 %.2f ms"
               " p99 %.2f ms\n",
               pct(tk, n, 0.5), pct(tk, n, 0.99), pct(te, n, 0.5),
               pct(te, n, 0.99));
    }
    free(tk);
    free(te);
    searchcat_unref(cat);
    db_exec(db, "COMMIT");
    db_close(db);
    return differ < 0 ? 2 : differ > 0 ? 1 : 0;
}
