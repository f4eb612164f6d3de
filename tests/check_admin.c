/*
 * check_admin: page tests of login, sessions and moderation through the
 * web form: roles on every admin route, CSRF (missing, wrong, other
 * session's token, foreign Origin), post/redirect/get, 409 for a second
 * moderator, logout server-side, throttling, cookie attributes.  No
 * socket (tests/pagefix.c).  Layer: tests/.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "checkmain.h"
#include "moderation.h"
#include "pagefix.h"

static const char fixture[] =
    "INSERT INTO collection(id, name, title, created_at, updated_at)"
    " VALUES (1, 'man', 'Manual', 0, 0);"
    "INSERT INTO document(id, collection_id, path, status, title,"
    " title_norm, content_type, body_html, body_text, ingested_at, operator,"
    " orig_sha256, orig_size, body_sha256, updated_at) VALUES"
    " (1, 1, 'a.html', 'pending', 'Alpha', 'alpha', 'text/html',"
    " '<p>alpha</p>', 'alpha', 0, 'op', printf('%064d', 0), 1,"
    " printf('%064d', 0), 0),"
    " (2, 1, 'b.html', 'pending', 'Beta', 'beta', 'text/html',"
    " '<p>beta<script>x</script></p>', 'beta', 0, 'op', printf('%064d', 0),"
    " 1, printf('%064d', 0), 0);";

static void
setup(void)
{
    char err[256];

    pagefix_setup();
    testdb_write(pf_wdb, fixture);
    ck_assert_msg(auth_user_add(pf_wdb, "mod", AUTH_MODERATOR,
                                "correct horse battery", "cli", NULL, err,
                                sizeof(err)) == 0,
                  "%s", err);
    ck_assert_msg(auth_user_add(pf_wdb, "op", AUTH_OPERATOR,
                                "operator password 1", "cli", NULL, err,
                                sizeof(err)) == 0,
                  "%s", err);
}

/* The anonymous CSRF token a GET of the login form hands out. */
static void
login_token(char *tok)
{
    struct fake f;
    struct req *r = fake(&f, REQ_GET, "/admin/login", NULL, NULL);

    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_nonnull(r->resp.set_cookie);
    snprintf(tok, 33, "%s",
             r->resp.set_cookie + strlen(ROUTER_CSRF_COOKIE) + 1);
    done(&f);
}

/* Log in; returns the HTTP status and the session id in sid. */
static int
login(const char *user, const char *pw, const char *client, char *sid)
{
    struct fake f;
    struct req *r;
    char tok[40], cookie[80];
    int status;

    login_token(tok);
    r = fake(&f, REQ_POST, "/admin/login", NULL, NULL);
    snprintf(cookie, sizeof(cookie), "%s=%s", ROUTER_CSRF_COOKIE, tok);
    fake_header(&f, "Cookie", cookie);
    r->client = client;
    fake_form(&f, "username", user);
    fake_form(&f, "password", pw);
    fake_form(&f, "csrf_token", tok);
    router_dispatch(r);
    status = r->resp.status;
    if (sid != NULL) {
        sid[0] = '\0';
        if (r->resp.set_cookie != NULL &&
            strncmp(r->resp.set_cookie, ROUTER_SESSION_COOKIE "=",
                    strlen(ROUTER_SESSION_COOKIE) + 1) == 0) {
            snprintf(sid, 65, "%s",
                     r->resp.set_cookie + strlen(ROUTER_SESSION_COOKIE) + 1);
            ck_assert_ptr_nonnull(strstr(r->resp.set_cookie, "HttpOnly"));
            ck_assert_ptr_nonnull(
                strstr(r->resp.set_cookie, "SameSite=Strict"));
            ck_assert_ptr_nonnull(strstr(r->resp.set_cookie, "Path=/"));
        }
    }
    done(&f);
    return status;
}

/* The session's CSRF token, read from the dashboard's logout form. */
static void
session_csrf(const char *sid, char *tok)
{
    struct fake f;
    struct req *r = fake(&f, REQ_GET, "/admin/", NULL, NULL);
    char cookie[100];
    const char *b, *p;

    snprintf(cookie, sizeof(cookie), "%s=%s", ROUTER_SESSION_COOKIE, sid);
    fake_header(&f, "Cookie", cookie);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_str_eq(r->resp.cache_control, "no-store");
    b = body(&f);
    p = strstr(b, "name=\"csrf_token\" value=\"");
    ck_assert_ptr_nonnull(p);
    snprintf(tok, 65, "%.64s", p + strlen("name=\"csrf_token\" value=\""));
    done(&f);
}

/* POST path as the session sid with form token tok (NULL: none). */
static int
post_as(const char *sid, const char *path, const char *tok, const char *origin,
        const char *reason, char *msg, size_t msglen)
{
    struct fake f;
    struct req *r = fake(&f, REQ_POST, path, NULL, NULL);
    char cookie[100];
    int status;

    snprintf(cookie, sizeof(cookie), "%s=%s", ROUTER_SESSION_COOKIE,
             sid ? sid : "");
    if (sid != NULL) {
        fake_header(&f, "Cookie", cookie);
    }
    fake_header(&f, "Host", "portal.intra");
    if (origin != NULL) {
        fake_header(&f, "Origin", origin);
    }
    if (tok != NULL) {
        fake_form(&f, "csrf_token", tok);
    }
    if (reason != NULL) {
        fake_form(&f, "reason", reason);
    }
    router_dispatch(r);
    status = r->resp.status;
    if (msg != NULL) {
        snprintf(msg, msglen, "%s", body(&f));
    }
    done(&f);
    return status;
}

static const char *
doc_status(int id)
{
    static char buf[32];
    sqlite3_stmt *st;
    char sql[96];

    snprintf(sql, sizeof(sql), "SELECT status FROM document WHERE id = %d", id);
    sqlite3_prepare_v2(db_handle(pf_wdb), sql, -1, &st, NULL);
    buf[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW) {
        snprintf(buf, sizeof(buf), "%s", sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return buf;
}

START_TEST(test_routes_need_a_session)
{
    static const char *const gets[] = {
        "/admin/",      "/admin/queue",        "/admin/documents/1",
        "/admin/audit", "/admin/requests.txt", "/admin/documents/1/preview",
        "/admin/users"};
    static const char *const posts[] = {
        "/admin/logout", "/admin/queue/bulk", "/admin/documents/1/approve",
        "/admin/users", "/admin/users/mod/disable"};
    size_t i;

    for (i = 0; i < sizeof(gets) / sizeof(gets[0]); i++) {
        struct fake f;
        struct req *r = fake(&f, REQ_GET, gets[i], "Cookie",
                             ROUTER_SESSION_COOKIE "=forged");

        router_dispatch(r);
        ck_assert_msg(r->resp.status == 303, "%s: %d", gets[i], r->resp.status);
        ck_assert_str_eq(r->resp.location, "/admin/login");
        ck_assert_str_eq(r->resp.cache_control, "no-store");
        done(&f);
    }
    for (i = 0; i < sizeof(posts) / sizeof(posts[0]); i++) {
        ck_assert_int_eq(post_as(NULL, posts[i], NULL, NULL, NULL, NULL, 0),
                         403);
    }
    ck_assert_str_eq(doc_status(1), "pending");
}
END_TEST

START_TEST(test_login_and_approve)
{
    char sid[65], sid2[65], tok[65], msg[8192];

    ck_assert_int_eq(login("mod", "correct horse battery", "10.0.0.1", sid),
                     303);
    ck_assert_uint_eq(strlen(sid), 64);
    ck_assert_int_eq(login("mod", "correct horse battery", "10.0.0.1", sid2),
                     303);
    ck_assert_str_ne(sid, sid2); /* a new id at every login */
    session_csrf(sid, tok);
    /* CSRF: missing, wrong, another session's token, foreign origin */
    ck_assert_int_eq(
        post_as(sid, "/admin/documents/1/approve", NULL, NULL, NULL, NULL, 0),
        403);
    ck_assert_int_eq(post_as(sid, "/admin/documents/1/approve",
                             "0000000000000000000000000000000000000000000000"
                             "000000000000000000",
                             NULL, NULL, NULL, 0),
                     403);
    {
        char tok2[65];

        session_csrf(sid2, tok2);
        ck_assert_str_ne(tok, tok2);
        ck_assert_int_eq(post_as(sid, "/admin/documents/1/approve", tok2, NULL,
                                 NULL, NULL, 0),
                         403);
    }
    ck_assert_int_eq(post_as(sid, "/admin/documents/1/approve", tok,
                             "http://evil.example", NULL, NULL, 0),
                     403);
    ck_assert_str_eq(doc_status(1), "pending");
    /* the real thing: 303, published */
    ck_assert_int_eq(post_as(sid, "/admin/documents/1/approve", tok,
                             "http://portal.intra", NULL, NULL, 0),
                     303);
    ck_assert_str_eq(doc_status(1), "published");
    /* a second moderator is told who was first */
    ck_assert_int_eq(post_as(sid, "/admin/documents/1/approve", tok, NULL, NULL,
                             msg, sizeof(msg)),
                     409);
    ck_assert_ptr_nonnull(strstr(msg, "mod"));
    /* reject needs a reason */
    ck_assert_int_eq(
        post_as(sid, "/admin/documents/2/reject", tok, NULL, NULL, NULL, 0),
        400);
    ck_assert_int_eq(
        post_as(sid, "/admin/documents/2/reject", tok, NULL, "spam", NULL, 0),
        303);
    ck_assert_str_eq(doc_status(2), "rejected");
    /* withdraw and restore */
    ck_assert_int_eq(post_as(sid, "/admin/documents/1/withdraw", tok, NULL,
                             "copyright", NULL, 0),
                     303);
    ck_assert_str_eq(doc_status(1), "withdrawn");
    /* logout deletes the session server-side */
    ck_assert_int_eq(post_as(sid, "/admin/logout", tok, NULL, NULL, NULL, 0),
                     303);
    ck_assert_int_eq(
        post_as(sid, "/admin/documents/1/restore", tok, NULL, NULL, NULL, 0),
        403);
    ck_assert_str_eq(doc_status(1), "withdrawn");
}
END_TEST

START_TEST(test_operator_cannot_moderate)
{
    char sid[65], tok[65];

    ck_assert_int_eq(login("op", "operator password 1", "10.0.0.2", sid), 303);
    session_csrf(sid, tok);
    ck_assert_int_eq(
        post_as(sid, "/admin/documents/1/approve", tok, NULL, NULL, NULL, 0),
        403);
    ck_assert_str_eq(doc_status(1), "pending");
    {
        struct fake f;
        struct req *r = fake(&f, REQ_GET, "/admin/users", NULL, NULL);
        char cookie[100];

        snprintf(cookie, sizeof(cookie), "%s=%s", ROUTER_SESSION_COOKIE, sid);
        fake_header(&f, "Cookie", cookie);
        router_dispatch(r);
        ck_assert_int_eq(r->resp.status, 403);
        done(&f);
    }
}
END_TEST

START_TEST(test_login_failures_throttled)
{
    char sid[65];
    int i, last = 0;

    ck_assert_int_eq(login("mod", "wrong", "10.0.0.3", NULL), 303);
    ck_assert_int_eq(login("nobody", "wrong", "10.0.0.4", NULL), 303);
    for (i = 0; i < 6; i++) {
        last = login("mod", "wrong again", "10.0.0.5", NULL);
    }
    ck_assert_int_eq(last, 429);
    /* throttled from there even with the right password now ... */
    ck_assert_int_eq(login("mod", "correct horse battery", "10.0.0.5", NULL),
                     429);
    /* ... but not locked out from another address. */
    ck_assert_int_eq(login("mod", "correct horse battery", "10.0.0.6", sid),
                     303);
    ck_assert_uint_eq(strlen(sid), 64);
}
END_TEST

START_TEST(test_preview_sandboxed)
{
    char sid[65];
    struct fake f;
    struct req *r;
    char cookie[100];

    ck_assert_int_eq(login("op", "operator password 1", "10.0.0.7", sid), 303);
    r = fake(&f, REQ_GET, "/admin/documents/2/preview", NULL, NULL);
    snprintf(cookie, sizeof(cookie), "%s=%s", ROUTER_SESSION_COOKIE, sid);
    fake_header(&f, "Cookie", cookie);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_nonnull(strstr(r->resp.csp, "sandbox"));
    ck_assert_str_eq(r->resp.cache_control, "no-store");
    done(&f);
    r = fake(&f, REQ_GET, "/admin/documents/2", NULL, NULL);
    fake_header(&f, "Cookie", cookie);
    router_dispatch(r);
    ck_assert_int_eq(r->resp.status, 200);
    ck_assert_ptr_nonnull(
        strstr(body(&f), "<iframe class=\"preview\" sandbox=\"\""));
    done(&f);
}
END_TEST

/* POST /admin/queue/bulk as sid: ids 1 and 2, action, reason (or NULL). */
static int
bulk_as(const char *sid, const char *tok, const char *action,
        const char *reason)
{
    struct fake f;
    struct req *r = fake(&f, REQ_POST, "/admin/queue/bulk", NULL, NULL);
    char cookie[100];
    int status;

    snprintf(cookie, sizeof(cookie), "%s=%s", ROUTER_SESSION_COOKIE, sid);
    fake_header(&f, "Cookie", cookie);
    fake_form(&f, "csrf_token", tok);
    fake_form(&f, "id", "1");
    fake_form(&f, "id", "2");
    fake_form(&f, "action", action);
    fake_form(&f, "confirm", "1");
    if (reason != NULL) {
        fake_form(&f, "reason", reason);
    }
    router_dispatch(r);
    status = r->resp.status;
    done(&f);
    return status;
}

/* A bulk act that left documents undecided must not answer with the
 * redirect that means "done" (tests/hostile/C2 found 303 for both). */
START_TEST(test_bulk_undecided_not_done)
{
    char sid[65], tok[65], *longr;
    const char *path = sqlite3_db_filename(db_handle(pf_wdb), "main");
    sqlite3 *other;

    ck_assert_int_eq(login("mod", "correct horse battery", "10.0.0.8", sid),
                     303);
    session_csrf(sid, tok);
    /* a reason past MODERATION_REASON_MAX decides nothing: 400 */
    longr = malloc(MODERATION_REASON_MAX + 2);
    ck_assert_ptr_nonnull(longr);
    memset(longr, 'x', MODERATION_REASON_MAX + 1);
    longr[MODERATION_REASON_MAX + 1] = '\0';
    ck_assert_int_eq(bulk_as(sid, tok, "reject", longr), 400);
    free(longr);
    ck_assert_str_eq(doc_status(1), "pending");
    /* the database refuses the writes (another connection holds the write
     * transaction): 503, the documents still pending */
    ck_assert_int_eq(sqlite3_open(path, &other), SQLITE_OK);
    ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(db_handle(pf_wdb), 10);
    ck_assert_int_eq(bulk_as(sid, tok, "approve", NULL), 503);
    ck_assert_str_eq(doc_status(1), "pending");
    ck_assert_str_eq(doc_status(2), "pending");
    sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_close(other);
    /* and once it can: 303, both published */
    ck_assert_int_eq(bulk_as(sid, tok, "approve", NULL), 303);
    ck_assert_str_eq(doc_status(1), "published");
    ck_assert_str_eq(doc_status(2), "published");
}
END_TEST

static Suite *
admin_suite(void)
{
    Suite *s = suite_create("admin");
    TCase *core = tcase_create("core"), *errors = tcase_create("errors");

    tcase_set_timeout(core, 60);
    tcase_set_timeout(errors, 60);
    tcase_add_checked_fixture(core, setup, pagefix_teardown);
    tcase_add_checked_fixture(errors, setup, pagefix_teardown);
    tcase_add_test(core, test_login_and_approve);
    tcase_add_test(core, test_preview_sandboxed);
    tcase_add_test(errors, test_routes_need_a_session);
    tcase_add_test(errors, test_operator_cannot_moderate);
    tcase_add_test(errors, test_login_failures_throttled);
    tcase_add_test(errors, test_bulk_undecided_not_done);
    suite_add_tcase(s, core);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(admin_suite());
}
