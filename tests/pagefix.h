/*
 * pagefix: the fixture of the page tests: a migrated temporary database
 * (writer and reader, from tests/testdb.c), the application state built from
 * the source tree's templates, and requests built in memory.  Layer: tests/.
 */
#ifndef KW_PAGEFIX_H
#define KW_PAGEFIX_H

#include "router.h"
#include "testdb.h"

/* The database (its srcdir holds templates and static files). */
extern struct testdb pf_db;
extern struct config pf_cfg;
extern struct app pf_app;
extern struct db *pf_wdb, *pf_rdb;

/* Check fixtures: a fresh database and app per test. */
void pagefix_setup(void);
void pagefix_teardown(void);

struct fake {
    struct arena arena;
    struct kv headers[8];
    struct kv args[8];
    struct kv form[8];
    size_t nform;
    struct req req;
};

/* A request for METHOD PATH with an optional header. */
struct req *fake(struct fake *f, int method, const char *path, const char *h1,
                 const char *v1);
void fake_header(struct fake *f, const char *k, const char *v);
void fake_arg(struct fake *f, const char *k, const char *v);
void fake_form(struct fake *f, const char *k, const char *v);
/* Release what the request and its response hold. */
void done(struct fake *f);
/* The response body as a NUL-terminated arena copy. */
const char *body(struct fake *f);

#endif
