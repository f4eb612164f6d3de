/*
 * pagefix: shared fixture of the page tests.  Layer: tests/.
 */
#include "pagefix.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "auth.h"
#include "html.h"

struct testdb pf_db;
struct config pf_cfg;
struct app pf_app;
struct db *pf_wdb, *pf_rdb;

void
pagefix_setup(void)
{
    char err[512];

    testdb_open(&pf_db, "kwrt", TESTDB_WRITER | TESTDB_READER);
    pf_wdb = pf_db.w;
    pf_rdb = pf_db.r;
    ck_assert_int_eq(config_init(&pf_cfg), 0);
    {
        struct auth_config ac;

        /* Cheap hashing: the page tests are not about argon2's cost. */
        auth_config_default(&ac);
        ac.opslimit = crypto_pwhash_OPSLIMIT_MIN;
        ac.memlimit = crypto_pwhash_MEMLIMIT_MIN;
        ac.failure_delay_ms = 0;
        ck_assert_int_eq(auth_init(&ac), 0);
    }
    ck_assert_msg(app_init(&pf_app, &pf_cfg, pf_db.srcdir, err, sizeof(err)) ==
                      0,
                  "%s", err);
    pf_app.wdb = pf_wdb;
}

void
pagefix_teardown(void)
{
    app_free(&pf_app);
    testdb_close(&pf_db);
    config_free(&pf_cfg);
}

struct req *
fake(struct fake *f, int method, const char *path, const char *h1,
     const char *v1)
{
    memset(f, 0, sizeof(*f));
    arena_init(&f->arena);
    f->req.app = &pf_app;
    f->req.arena = &f->arena;
    f->req.method = method;
    f->req.path = path;
    f->req.db = pf_rdb;
    f->req.client = "127.0.0.1";
    f->req.headers = f->headers;
    f->req.args = f->args;
    if (h1 != NULL) {
        fake_header(f, h1, v1);
    }
    return &f->req;
}

void
fake_header(struct fake *f, const char *k, const char *v)
{
    f->headers[f->req.nheaders].key = k;
    f->headers[f->req.nheaders].value = v;
    f->req.nheaders++;
}

void
fake_arg(struct fake *f, const char *k, const char *v)
{
    f->args[f->req.nargs].key = k;
    f->args[f->req.nargs].value = v;
    f->req.nargs++;
}

void
fake_form(struct fake *f, const char *k, const char *v)
{
    struct strbuf b = STRBUF_INIT;
    size_t i;

    /* The router parses the urlencoded body itself. */
    if (f->nform == 0) {
        fake_header(f, "Content-Type", "application/x-www-form-urlencoded");
    }
    f->form[f->nform].key = k;
    f->form[f->nform].value = v;
    f->nform++;
    for (i = 0; i < f->nform; i++) {
        if (i > 0) {
            strbuf_putc(&b, '&');
        }
        url_encode(&b, f->form[i].key, strlen(f->form[i].key));
        strbuf_putc(&b, '=');
        url_encode(&b, f->form[i].value, strlen(f->form[i].value));
    }
    f->req.body = arena_strdup(&f->arena, strbuf_peek(&b));
    f->req.body_len = b.len;
    strbuf_free(&b);
}

void
done(struct fake *f)
{
    kw_free(f->req.resp.owned);
    arena_free(&f->arena);
}

const char *
body(struct fake *f)
{
    return arena_strndup(&f->arena, f->req.resp.body ? f->req.resp.body : "",
                         f->req.resp.len);
}
