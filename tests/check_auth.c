/*
 * check_auth: accounts, argon2id hashing and rehashing, the hashing bound,
 * the dummy verification of unknown names, throttling by name and by
 * client with an injected clock, sessions (hash-only storage, logout,
 * idle and absolute expiry), CSRF comparison and the audit rows of it
 * all.  Layer: tests/.  Cheap argon2 limits keep the suite fast.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "auth.h"
#include "checkmain.h"
#include "gz.h"
#include "testdb.h"

#define T0 1700000000L
#define OPS 2
#define MEM (64 * 1024)
#define PW "correct horse battery"

static struct testdb tdb;
static struct db *db;
static time_t fake_now;

/* Hook counters, under their own mutex. */
static pthread_mutex_t hook_mu = PTHREAD_MUTEX_INITIALIZER;
static int n_dummy, n_hash, inside, peak;
static long hook_sleep_us;

static time_t
fake_clock(void)
{
    return fake_now;
}

static void
test_hook(void *ctx, int event)
{
    (void)ctx;
    pthread_mutex_lock(&hook_mu);
    if (event == AUTH_HOOK_DUMMY_VERIFY) {
        n_dummy++;
    } else if (event == AUTH_HOOK_HASH_ENTER) {
        n_hash++;
        inside++;
        if (inside > peak) {
            peak = inside;
        }
    } else if (event == AUTH_HOOK_HASH_LEAVE) {
        inside--;
    }
    pthread_mutex_unlock(&hook_mu);
    if (event == AUTH_HOOK_HASH_ENTER && hook_sleep_us > 0) {
        usleep((useconds_t)hook_sleep_us);
    }
}

static void
test_config(struct auth_config *c)
{
    auth_config_default(c);
    c->opslimit = OPS;
    c->memlimit = MEM;
    c->failure_delay_ms = 0;
    c->now = fake_clock;
    c->hook = test_hook;
}

static void
setup(void)
{
    struct auth_config c;

    testdb_open(&tdb, "kwauth", TESTDB_WRITER);
    db = tdb.w;
    fake_now = T0;
    n_dummy = n_hash = inside = peak = 0;
    hook_sleep_us = 0;
    test_config(&c);
    ck_assert_int_eq(auth_init(&c), 0);
    n_hash = peak = 0; /* the dummy hash made at init */
}

static void
teardown(void)
{
    testdb_close(&tdb);
}

/* One integer from a query with an optional text parameter ?1. */
static long long
q_int(const char *sql, const char *arg)
{
    sqlite3_stmt *st;
    long long v = -1;

    ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL),
                     SQLITE_OK);
    if (arg != NULL) {
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

/* One text from a query (copied into buf). */
static const char *
q_text(const char *sql, const char *arg, char *buf, size_t n)
{
    sqlite3_stmt *st;

    buf[0] = '\0';
    ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL),
                     SQLITE_OK);
    if (arg != NULL) {
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)) {
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return buf;
}

static void
add_user(const char *name, int role, const char *pw)
{
    char err[256] = "";

    ck_assert_msg(auth_user_add(db, name, role, pw, "cli:test", NULL, err,
                                sizeof(err)) == 0,
                  "%s", err);
}

static int
login(const char *name, const char *pw, const char *client, char sid[65],
      char csrf[65], long *retry)
{
    return auth_login(db, name, pw, client, sid, csrf, retry);
}

static int
is_hex64(const char *s)
{
    size_t i;

    for (i = 0; i < 64; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return 0;
        }
    }
    return s[64] == '\0';
}

static void
no_report(void *ctx, int64_t id, const char *why)
{
    (void)ctx;
    ck_abort_msg("audit row %lld broken: %s", (long long)id, why);
}

/* ---- core ---- */

START_TEST(test_hash_and_verify)
{
    char h[AUTH_HASH_MAX];

    ck_assert_int_eq(auth_hash_password(PW, h), 0);
    ck_assert_int_eq(strncmp(h, "$argon2id$", 10), 0);
    ck_assert_int_eq(crypto_pwhash_str_verify(h, PW, strlen(PW)), 0);
    ck_assert_int_ne(crypto_pwhash_str_verify(h, "wrong horse", 11), 0);
    ck_assert_int_eq(crypto_pwhash_str_needs_rehash(h, OPS, MEM), 0);
    ck_assert_int_eq(crypto_pwhash_str_needs_rehash(h, OPS + 1, MEM), 1);
}
END_TEST

START_TEST(test_login_session_lifecycle)
{
    char sid[65], sid2[65], csrf[65], csrf2[65], c3[65], buf[200];
    struct auth_user u;
    long retry;

    add_user("alice", AUTH_MODERATOR, PW);
    ck_assert_int_eq(login("alice", PW, "10.0.0.1", sid, csrf, &retry),
                     AUTH_OK);
    ck_assert(is_hex64(sid));
    ck_assert(is_hex64(csrf));
    ck_assert_str_ne(sid, csrf);
    ck_assert_int_eq(login("alice", PW, "10.0.0.1", sid2, csrf2, &retry),
                     AUTH_OK);
    ck_assert_str_ne(sid, sid2); /* a new id at every login */
    ck_assert_str_ne(csrf, csrf2);

    /* Only the hash is stored: the raw id appears in no column. */
    ck_assert_int_eq(q_int("SELECT count(*) FROM session", NULL), 2);
    ck_assert_int_eq(q_int("SELECT count(*) FROM session WHERE"
                           " instr(id_hash || csrf_token || coalesce(client,"
                           " ''), ?1) > 0",
                           sid),
                     0);
    {
        char want[65];

        sha256_hex(sid, 64, want);
        ck_assert_int_eq(
            q_int("SELECT count(*) FROM session WHERE id_hash = ?1", want), 1);
    }

    ck_assert_int_eq(auth_session(db, db, sid, &u, c3), 1);
    ck_assert_str_eq(u.name, "alice");
    ck_assert_int_eq(u.role, AUTH_MODERATOR);
    ck_assert_int_gt(u.id, 0);
    ck_assert_str_eq(c3, csrf);
    ck_assert_int_eq(auth_session(db, db, sid2, &u, c3), 1);
    ck_assert_str_eq(c3, csrf2);

    ck_assert_int_eq(auth_logout(db, sid, "10.0.0.1"), 1);
    ck_assert_int_eq(auth_session(db, db, sid, &u, c3), 0);
    ck_assert_str_eq(c3, "");
    ck_assert_int_eq(auth_logout(db, sid, "10.0.0.1"), 0);
    ck_assert_int_eq(auth_session(db, db, sid2, &u, c3), 1);
    ck_assert_int_eq(q_int("SELECT count(*) FROM session", NULL), 1);
    ck_assert_str_eq(q_text("SELECT actor FROM audit WHERE action = 'logout'",
                            NULL, buf, sizeof(buf)),
                     "alice");
}
END_TEST

START_TEST(test_rehash_on_login)
{
    char weak[AUTH_HASH_MAX], now[AUTH_HASH_MAX], sid[65], csrf[65];
    char detail[200];
    sqlite3_stmt *st;
    long retry;

    add_user("bob", AUTH_OPERATOR, PW);
    /* A hash from the days of weaker limits. */
    ck_assert_int_eq(crypto_pwhash_str_alg(weak, PW, strlen(PW), 1, MEM,
                                           crypto_pwhash_ALG_ARGON2ID13),
                     0);
    ck_assert_int_eq(crypto_pwhash_str_needs_rehash(weak, OPS, MEM), 1);
    ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db),
                                        "UPDATE user SET password_hash = ?1"
                                        " WHERE name = 'bob'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, weak, -1, SQLITE_TRANSIENT);
    ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);

    ck_assert_int_eq(login("bob", PW, "c", sid, csrf, &retry), AUTH_OK);
    q_text("SELECT password_hash FROM user WHERE name = 'bob'", NULL, now,
           sizeof(now));
    ck_assert_str_ne(now, weak);
    ck_assert_int_eq(crypto_pwhash_str_needs_rehash(now, OPS, MEM), 0);
    ck_assert_int_eq(crypto_pwhash_str_verify(now, PW, strlen(PW)), 0);
    q_text("SELECT detail FROM audit WHERE action = 'login'", NULL, detail,
           sizeof(detail));
    ck_assert_str_eq(detail, "{\"rehashed\":true}");

    /* The next login finds nothing to upgrade. */
    ck_assert_int_eq(login("bob", PW, "c", sid, csrf, &retry), AUTH_OK);
    ck_assert_str_eq(q_text("SELECT password_hash FROM user WHERE name ="
                            " 'bob'",
                            NULL, weak, sizeof(weak)),
                     now);
}
END_TEST

START_TEST(test_user_changes_and_list)
{
    char err[256] = "", sid[65], csrf[65];
    struct auth_user u;
    json_t *list, *e;
    long retry;

    add_user("zed", AUTH_OPERATOR, PW);
    add_user("amy", AUTH_ADMIN, PW);
    ck_assert_int_eq(auth_user_set_role(db, "zed", AUTH_MODERATOR, "cli:t",
                                        NULL, err, sizeof(err)),
                     0);
    ck_assert_int_eq(login("zed", PW, "c", sid, csrf, &retry), AUTH_OK);
    ck_assert_int_eq(auth_session(db, db, sid, &u, csrf), 1);
    ck_assert_int_eq(u.role, AUTH_MODERATOR);

    /* Disabling ends the sessions and refuses the right password. */
    ck_assert_int_eq(
        auth_user_set_disabled(db, "zed", 1, "cli:t", NULL, err, sizeof(err)),
        0);
    ck_assert_int_eq(auth_session(db, db, sid, &u, csrf), 0);
    ck_assert_int_eq(login("zed", PW, "c", sid, csrf, &retry), AUTH_BAD);

    ck_assert_int_eq(auth_user_list(db, &list), 0);
    ck_assert_int_eq(json_array_size(list), 2);
    e = json_array_get(list, 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "name")), "amy");
    ck_assert_str_eq(json_string_value(json_object_get(e, "role")), "admin");
    ck_assert(json_is_false(json_object_get(e, "disabled")));
    ck_assert_int_eq(json_integer_value(json_object_get(e, "created_at")), T0);
    e = json_array_get(list, 1);
    ck_assert_str_eq(json_string_value(json_object_get(e, "role")),
                     "moderator");
    ck_assert(json_is_true(json_object_get(e, "disabled")));
    json_decref(list);

    ck_assert_int_eq(
        auth_user_set_disabled(db, "zed", 0, "cli:t", NULL, err, sizeof(err)),
        0);
    ck_assert_int_eq(login("zed", PW, "c", sid, csrf, &retry), AUTH_OK);
    /* A new password ends the sessions made with the old one. */
    ck_assert_int_eq(auth_user_passwd(db, "zed", "another password 2", "cli:t",
                                      NULL, err, sizeof(err)),
                     0);
    ck_assert_int_eq(auth_session(db, db, sid, &u, csrf), 0);
    ck_assert_int_eq(login("zed", PW, "c", sid, csrf, &retry), AUTH_BAD);
    ck_assert_int_eq(login("zed", "another password 2", "c", sid, csrf, &retry),
                     AUTH_OK);
}
END_TEST

START_TEST(test_audit_chain)
{
    char err[256], sid[65], csrf[65], buf[256];
    long retry;
    int i;

    add_user("carol", AUTH_ADMIN, PW);
    ck_assert_int_eq(login("carol", PW, "10.1.1.1", sid, csrf, &retry),
                     AUTH_OK);
    ck_assert_int_eq(auth_logout(db, sid, "10.1.1.1"), 1);
    ck_assert_int_eq(
        login("carol", "nope nope nope", "10.1.1.1", sid, csrf, &retry),
        AUTH_BAD);
    ck_assert_int_eq(
        login("mallory", "guess guess 1", "10.6.6.6", sid, csrf, &retry),
        AUTH_BAD);
    for (i = 0; i < 5; i++) {
        login("mallory", "guess guess 2", "10.6.6.6", sid, csrf, &retry);
    }
    ck_assert_int_eq(auth_user_passwd(db, "carol", "a new password!",
                                      "cli:root", NULL, err, sizeof(err)),
                     0);
    ck_assert_int_eq(
        auth_user_set_disabled(db, "carol", 1, "cli:root", NULL, err, 256), 0);

    ck_assert_int_eq(audit_verify(db, no_report, NULL), 0);
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM audit WHERE action = 'user_add'"
              " AND actor = 'cli:test' AND object_type = 'user'",
              NULL),
        1);
    ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action = 'login'"
                           " AND actor = 'carol' AND client = '10.1.1.1'",
                           NULL),
                     1);
    ck_assert_int_eq(
        q_int("SELECT count(*) FROM audit WHERE action = 'logout'", NULL), 1);
    ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action ="
                           " 'login_failed' AND reason = 'bad password'",
                           NULL),
                     1 + 5);
    ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action ="
                           " 'login_failed' AND reason = 'throttled'"
                           " AND actor = 'mallory'",
                           NULL),
                     1);
    ck_assert_str_eq(q_text("SELECT detail FROM audit WHERE action ="
                            " 'login_failed' AND actor = 'carol'",
                            NULL, buf, sizeof(buf)),
                     "{\"why\":\"wrong password\"}");
    ck_assert_int_eq(q_int("SELECT count(*) FROM audit WHERE action IN"
                           " ('user_passwd', 'user_disable')"
                           " AND actor = 'cli:root'",
                           NULL),
                     2);
    ck_assert_int_eq(q_int("SELECT count(*) FROM audit", NULL),
                     1 + 1 + 1 + 6 + 1 + 2);
}
END_TEST

START_TEST(test_csrf_equal)
{
    char a[65], b[65];
    long retry;

    add_user("dan", AUTH_OPERATOR, PW);
    ck_assert_int_eq(login("dan", PW, NULL, a, b, &retry), AUTH_OK);
    memcpy(a, b, sizeof(a));
    ck_assert_int_eq(auth_csrf_equal(a, b), 1);
    a[63] = a[63] == '0' ? '1' : '0';
    ck_assert_int_eq(auth_csrf_equal(a, b), 0);
    ck_assert_int_eq(auth_csrf_equal(b, "abc"), 0);
    ck_assert_int_eq(auth_csrf_equal("", ""), 0);
    ck_assert_int_eq(auth_csrf_equal(NULL, b), 0);
    ck_assert_int_eq(auth_csrf_equal(b, NULL), 0);
}
END_TEST

START_TEST(test_roles)
{
    ck_assert_str_eq(auth_role_name(AUTH_ADMIN), "admin");
    ck_assert_str_eq(auth_role_name(AUTH_MODERATOR), "moderator");
    ck_assert_str_eq(auth_role_name(AUTH_OPERATOR), "operator");
    ck_assert_str_eq(auth_role_name(0), "?");
    ck_assert_int_eq(auth_role_parse("admin"), AUTH_ADMIN);
    ck_assert_int_eq(auth_role_parse("operator"), AUTH_OPERATOR);
    ck_assert_int_eq(auth_role_parse("Admin"), 0);
    ck_assert_int_eq(auth_role_parse(NULL), 0);
    ck_assert_int_lt(AUTH_OPERATOR, AUTH_MODERATOR);
    ck_assert_int_lt(AUTH_MODERATOR, AUTH_ADMIN);
    ck_assert_int_eq(auth_failure_delay_ms(), 0);
}
END_TEST

/* ---- limits ---- */

/* Failures of one name from one client throttle that pair only: the
 * right password from another address still logs in, so nobody can lock
 * an account by failing at it (hostile-world A4). */
START_TEST(test_throttle_by_pair)
{
    char sid[65], csrf[65], client[32];
    long retry = 0;
    int i;

    add_user("erin", AUTH_OPERATOR, PW);
    for (i = 0; i < 5; i++) {
        ck_assert_int_eq(
            login("erin", "wrong password", "10.0.0.1", sid, csrf, &retry),
            AUTH_BAD);
        fake_now++;
    }
    /* From there even the right password is not checked now. */
    n_hash = 0;
    ck_assert_int_eq(login("erin", PW, "10.0.0.1", sid, csrf, &retry),
                     AUTH_THROTTLED);
    ck_assert_int_eq(n_hash, 0);
    ck_assert_int_eq(retry, 900 - 5);
    ck_assert_str_eq(sid, "");
    /* Another address is not locked out. */
    ck_assert_int_eq(login("erin", PW, "10.9.9.9", sid, csrf, &retry), AUTH_OK);
    /* Nor is the name after failures spread over many addresses. */
    for (i = 0; i < 12; i++) {
        snprintf(client, sizeof(client), "10.1.0.%d", i);
        ck_assert_int_eq(
            login("erin", "wrong password", client, sid, csrf, &retry),
            AUTH_BAD);
    }
    ck_assert_int_eq(login("erin", PW, "10.9.9.8", sid, csrf, &retry), AUTH_OK);
    fake_now = T0 + 899;
    ck_assert_int_eq(login("erin", PW, "10.0.0.1", sid, csrf, &retry),
                     AUTH_THROTTLED);
    ck_assert_int_eq(retry, 1);
    /* The first failure leaves the 15-minute window. */
    fake_now = T0 + 900;
    ck_assert_int_eq(login("erin", PW, "10.0.0.1", sid, csrf, &retry), AUTH_OK);
    ck_assert_int_eq(retry, 0);
}
END_TEST

START_TEST(test_throttle_by_client)
{
    char sid[65], csrf[65], name[32];
    long retry = 0;
    int i;

    add_user("fay", AUTH_OPERATOR, PW);
    /* Spraying names from one address: client_fail_limit (20) failures. */
    for (i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "user%d", i);
        ck_assert_int_eq(
            login(name, "wrong password", "10.6.6.6", sid, csrf, &retry),
            AUTH_BAD);
    }
    ck_assert_int_eq(login("fay", PW, "10.6.6.6", sid, csrf, &retry),
                     AUTH_THROTTLED);
    ck_assert_int_eq(retry, 900);
    ck_assert_int_eq(login("fay", PW, "10.7.7.7", sid, csrf, &retry), AUTH_OK);
    fake_now += 900;
    ck_assert_int_eq(login("fay", PW, "10.6.6.6", sid, csrf, &retry), AUTH_OK);
}
END_TEST

/* The global slow-down: the delay grows with failures across all names
 * and clients in the last minute, and falls back when they age out. */
START_TEST(test_global_slowdown)
{
    struct auth_config c;
    char sid[65], csrf[65], client[32];
    long retry = 0, d0, d1;
    int i;

    test_config(&c);
    c.failure_delay_ms = 100;
    ck_assert_int_eq(auth_init(&c), 0);
    fake_now += 3600; /* no failure of another test in the last minute */
    d0 = auth_failure_delay_ms();
    ck_assert_int_eq(d0, 100);
    for (i = 0; i < 90; i++) {
        snprintf(client, sizeof(client), "10.2.%d.%d", i / 200, i % 200);
        login("nobody", "wrong password", client, sid, csrf, &retry);
    }
    d1 = auth_failure_delay_ms();
    ck_assert_int_eq(d1, 400);
    fake_now += 61;
    ck_assert_int_eq(auth_failure_delay_ms(), 100);
}
END_TEST

START_TEST(test_success_clears_name_count)
{
    char sid[65], csrf[65];
    long retry;
    int round, i;

    add_user("gus", AUTH_OPERATOR, PW);
    for (round = 0; round < 3; round++) {
        for (i = 0; i < 4; i++) {
            ck_assert_int_eq(
                login("gus", "wrong password", NULL, sid, csrf, &retry),
                AUTH_BAD);
        }
        ck_assert_int_eq(login("gus", PW, NULL, sid, csrf, &retry), AUTH_OK);
    }
}
END_TEST

START_TEST(test_attempts_pruned)
{
    char sid[65], csrf[65];
    long retry;
    int i;

    for (i = 0; i < 3; i++) {
        login("nobody", "whatever12", "a", sid, csrf, &retry);
    }
    ck_assert_int_eq(q_int("SELECT count(*) FROM login_attempt", NULL), 3);
    fake_now += 24 * 60 * 60 + 1;
    login("nobody", "whatever12", "b", sid, csrf, &retry);
    ck_assert_int_eq(q_int("SELECT count(*) FROM login_attempt", NULL), 1);
}
END_TEST

START_TEST(test_idle_expiry)
{
    char sid[65], csrf[65], c2[65];
    struct auth_user u;
    long retry;

    add_user("hal", AUTH_OPERATOR, PW);
    ck_assert_int_eq(login("hal", PW, "c", sid, csrf, &retry), AUTH_OK);
    fake_now = T0 + 30;
    ck_assert_int_eq(auth_session(db, db, sid, &u, c2), 1);
    /* Within a minute of the last write nothing is written. */
    ck_assert_int_eq(q_int("SELECT last_seen_at FROM session", NULL), T0);
    fake_now = T0 + 61;
    ck_assert_int_eq(auth_session(db, db, sid, &u, c2), 1);
    ck_assert_int_eq(q_int("SELECT last_seen_at FROM session", NULL), T0 + 61);
    /* Read without a writer: nothing moves. */
    fake_now = T0 + 200;
    ck_assert_int_eq(auth_session(db, NULL, sid, &u, c2), 1);
    ck_assert_int_eq(q_int("SELECT last_seen_at FROM session", NULL), T0 + 61);
    fake_now = T0 + 61 + 1799;
    ck_assert_int_eq(auth_session(db, db, sid, &u, c2), 1);
    fake_now += 1800;
    ck_assert_int_eq(auth_session(db, db, sid, &u, c2), 0);
    ck_assert_int_eq(q_int("SELECT count(*) FROM session", NULL), 0);
}
END_TEST

START_TEST(test_absolute_expiry)
{
    char sid[65], csrf[65], c2[65];
    struct auth_user u;
    long retry;

    add_user("ida", AUTH_OPERATOR, PW);
    ck_assert_int_eq(login("ida", PW, "c", sid, csrf, &retry), AUTH_OK);
    /* Busy all day: never idle, still out after 12 hours. */
    while (fake_now + 1000 < T0 + 12 * 3600) {
        fake_now += 1000;
        ck_assert_int_eq(auth_session(db, db, sid, &u, c2), 1);
    }
    fake_now = T0 + 12 * 3600;
    ck_assert_int_eq(auth_session(db, db, sid, &u, c2), 0);
    ck_assert_int_eq(q_int("SELECT count(*) FROM session", NULL), 0);
}
END_TEST

struct guesser {
    pthread_barrier_t *go;
    int result;
};

static void *
guess_thread(void *arg)
{
    struct guesser *g = arg;
    char sid[65], csrf[65];
    long retry;

    pthread_barrier_wait(g->go);
    g->result =
        auth_login(db, "olga", "a wrong guess", "10.5.5.5", sid, csrf, &retry);
    return NULL;
}

START_TEST(test_parallel_guesses_throttled)
{
    /* The attempt is recorded before the password is checked, so guesses
     * sent all at once cannot outrun the limit. */
    struct guesser g[8];
    pthread_barrier_t go;
    pthread_t t[8];
    int i, bad = 0, throttled = 0;

    add_user("olga", AUTH_OPERATOR, PW);
    hook_sleep_us = 20000;
    pthread_barrier_init(&go, NULL, 8);
    for (i = 0; i < 8; i++) {
        g[i].go = &go;
        ck_assert_int_eq(pthread_create(&t[i], NULL, guess_thread, &g[i]), 0);
    }
    for (i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        bad += g[i].result == AUTH_BAD;
        throttled += g[i].result == AUTH_THROTTLED;
    }
    pthread_barrier_destroy(&go);
    ck_assert_int_eq(bad, 5);
    ck_assert_int_eq(throttled, 3);
    ck_assert_int_le(peak, 2);
    ck_assert_int_eq(audit_verify(db, no_report, NULL), 0);
}
END_TEST

static void *
hash_thread(void *arg)
{
    char h[AUTH_HASH_MAX];

    (void)arg;
    return (void *)(long)auth_hash_password(PW, h);
}

START_TEST(test_hashing_bound)
{
    pthread_t t[6];
    int i;

    hook_sleep_us = 30000; /* hold each slot long enough to overlap */
    for (i = 0; i < 6; i++) {
        ck_assert_int_eq(pthread_create(&t[i], NULL, hash_thread, NULL), 0);
    }
    for (i = 0; i < 6; i++) {
        void *rc;

        pthread_join(t[i], &rc);
        ck_assert_int_eq((long)rc, 0);
    }
    ck_assert_int_eq(n_hash, 6);
    ck_assert_int_eq(peak, 2);
    ck_assert_int_eq(inside, 0);
}
END_TEST

START_TEST(test_hashing_bound_one)
{
    struct auth_config c;
    pthread_t t[4];
    int i;

    test_config(&c);
    c.max_concurrent_hashes = 1;
    ck_assert_int_eq(auth_init(&c), 0);
    peak = n_hash = 0;
    hook_sleep_us = 10000;
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(pthread_create(&t[i], NULL, hash_thread, NULL), 0);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
    }
    ck_assert_int_eq(n_hash, 4);
    ck_assert_int_eq(peak, 1);
}
END_TEST

START_TEST(test_password_rules)
{
    char err[256], big[AUTH_PW_MAX + 2];

    ck_assert_int_eq(auth_password_check("123456789", err, sizeof(err)),
                     AUTH_EINVAL);
    ck_assert_str_eq(err, "password shorter than 10 characters");
    ck_assert_int_eq(auth_password_check("1234567890", err, sizeof(err)), 0);
    /* Characters, not bytes: 9 Hangul syllables are 27 bytes but short. */
    ck_assert_int_eq(auth_password_check("가나다라마바사아자", err, 256),
                     AUTH_EINVAL);
    ck_assert_int_eq(auth_password_check("가나다라마바사아자차", err, 256), 0);
    ck_assert_int_eq(auth_password_check("", err, sizeof(err)), AUTH_EINVAL);
    ck_assert_int_eq(auth_password_check(NULL, err, sizeof(err)), AUTH_EINVAL);
    ck_assert_int_eq(auth_password_check("tab\there12345", err, 256),
                     AUTH_EINVAL);
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(auth_password_check(big, err, sizeof(err)), AUTH_EINVAL);
    big[AUTH_PW_MAX] = '\0';
    ck_assert_int_eq(auth_password_check(big, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_name_rules)
{
    char n[70];

    memset(n, 'a', 64);
    n[64] = '\0';
    ck_assert_int_eq(auth_name_valid(n), 1);
    n[64] = 'a';
    n[65] = '\0';
    ck_assert_int_eq(auth_name_valid(n), 0);
    ck_assert_int_eq(auth_name_valid("A.b_c-9"), 1);
    ck_assert_int_eq(auth_name_valid(""), 0);
    ck_assert_int_eq(auth_name_valid(NULL), 0);
    ck_assert_int_eq(auth_name_valid("a b"), 0);
    ck_assert_int_eq(auth_name_valid("a/b"), 0);
    ck_assert_int_eq(auth_name_valid("김"), 0);
}
END_TEST

/* ---- errors ---- */

START_TEST(test_unknown_and_disabled_alike)
{
    char err[256], sid[65], csrf[65], buf[200];
    long retry;

    add_user("ivy", AUTH_OPERATOR, PW);
    add_user("jay", AUTH_OPERATOR, PW);
    ck_assert_int_eq(
        auth_user_set_disabled(db, "jay", 1, "cli:t", NULL, err, 256), 0);

    /* Each failure verifies exactly one hash; only the unknown name uses
     * the dummy one. */
    n_hash = n_dummy = 0;
    ck_assert_int_eq(login("nosuch", PW, "c1", sid, csrf, &retry), AUTH_BAD);
    ck_assert_int_eq(n_dummy, 1);
    ck_assert_int_eq(n_hash, 1);
    n_hash = n_dummy = 0;
    ck_assert_int_eq(login("ivy", "wrong password", "c2", sid, csrf, &retry),
                     AUTH_BAD);
    ck_assert_int_eq(n_dummy, 0);
    ck_assert_int_eq(n_hash, 1);
    n_hash = n_dummy = 0;
    ck_assert_int_eq(login("jay", PW, "c3", sid, csrf, &retry), AUTH_BAD);
    ck_assert_int_eq(n_dummy, 0);
    ck_assert_int_eq(n_hash, 1);
    ck_assert_str_eq(sid, "");
    ck_assert_str_eq(csrf, "");
    ck_assert_int_eq(q_int("SELECT count(*) FROM session", NULL), 0);
    ck_assert_str_eq(q_text("SELECT detail FROM audit WHERE actor = 'jay'"
                            " AND action = 'login_failed'",
                            NULL, buf, sizeof(buf)),
                     "{\"why\":\"disabled\"}");
    ck_assert_str_eq(q_text("SELECT detail FROM audit WHERE actor = 'nosuch'",
                            NULL, buf, sizeof(buf)),
                     "{\"why\":\"unknown user\"}");
}
END_TEST

START_TEST(test_user_errors)
{
    char err[256];

    add_user("kim", AUTH_OPERATOR, PW);
    ck_assert_int_eq(
        auth_user_add(db, "kim", AUTH_ADMIN, PW, "cli", NULL, err, sizeof(err)),
        AUTH_EEXIST);
    ck_assert_str_eq(err, "user kim exists");
    ck_assert_int_eq(auth_user_add(db, "bad name", AUTH_ADMIN, PW, "cli", NULL,
                                   err, sizeof(err)),
                     AUTH_EINVAL);
    ck_assert_int_eq(
        auth_user_add(db, "lee", 7, PW, "cli", NULL, err, sizeof(err)),
        AUTH_EINVAL);
    ck_assert_int_eq(auth_user_add(db, "lee", AUTH_ADMIN, "short", "cli", NULL,
                                   err, sizeof(err)),
                     AUTH_EINVAL);
    ck_assert_int_eq(
        auth_user_add(db, "lee", AUTH_ADMIN, "", "cli", NULL, err, sizeof(err)),
        AUTH_EINVAL);
    ck_assert_int_eq(
        auth_user_passwd(db, "nobody", PW, "cli", NULL, err, sizeof(err)),
        AUTH_ENOENT);
    ck_assert_str_eq(err, "no user nobody");
    ck_assert_int_eq(
        auth_user_passwd(db, "kim", "short", "cli", NULL, err, sizeof(err)),
        AUTH_EINVAL);
    ck_assert_int_eq(
        auth_user_set_disabled(db, "nobody", 1, "cli", NULL, err, 256),
        AUTH_ENOENT);
    ck_assert_int_eq(auth_user_set_role(db, "kim", 0, "cli", NULL, err, 256),
                     AUTH_EINVAL);
    ck_assert_int_eq(
        auth_user_set_role(db, "nobody", AUTH_ADMIN, "cli", NULL, err, 256),
        AUTH_ENOENT);
    /* Refused changes leave no trace. */
    ck_assert_int_eq(q_int("SELECT count(*) FROM user", NULL), 1);
    ck_assert_int_eq(q_int("SELECT count(*) FROM audit", NULL), 1);
}
END_TEST

START_TEST(test_malformed_session_ids)
{
    const char *bad[] = {
        "",
        "abc",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
        "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
        "' OR 1=1 --",
    };
    char csrf[65];
    struct auth_user u;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(auth_session(db, db, bad[i], &u, csrf), 0);
        ck_assert_int_eq(auth_logout(db, bad[i], NULL), 0);
    }
    ck_assert_int_eq(auth_session(db, db, NULL, &u, csrf), 0);
    /* Well-formed but unknown. */
    ck_assert_int_eq(
        auth_session(db, db,
                     "0123456789abcdef0123456789abcdef0123456789abcdef"
                     "0123456789abcdef",
                     &u, csrf),
        0);
}
END_TEST

START_TEST(test_hostile_login_input)
{
    char sid[65], csrf[65], big[4000], buf[200];
    long retry;

    add_user("lou", AUTH_OPERATOR, PW);
    memset(big, 'p', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    ck_assert_int_eq(login("lou", big, "c", sid, csrf, &retry), AUTH_BAD);
    ck_assert_int_eq(login("lou", NULL, "c", sid, csrf, &retry), AUTH_BAD);
    ck_assert_int_eq(
        login("<script>\x01'\"", PW, "1.2.3.4\r\nX: y", sid, csrf, &retry),
        AUTH_BAD);
    ck_assert_str_eq(q_text("SELECT user_name FROM login_attempt ORDER BY id"
                            " DESC LIMIT 1",
                            NULL, buf, sizeof(buf)),
                     "?script????");
    ck_assert_str_eq(q_text("SELECT client FROM login_attempt ORDER BY id"
                            " DESC LIMIT 1",
                            NULL, buf, sizeof(buf)),
                     "1.2.3.4??X:?y");
    ck_assert_int_eq(login(NULL, PW, NULL, sid, csrf, &retry), AUTH_BAD);
    ck_assert_int_eq(audit_verify(db, no_report, NULL), 0);
}
END_TEST

START_TEST(test_bad_config)
{
    struct auth_config c;

    test_config(&c);
    c.max_concurrent_hashes = 0;
    ck_assert_int_eq(auth_init(&c), -1);
    test_config(&c);
    c.opslimit = 0;
    ck_assert_int_eq(auth_init(&c), -1);
    test_config(&c);
    c.memlimit = 16;
    ck_assert_int_eq(auth_init(&c), -1);
    {
        char h[AUTH_HASH_MAX], sid[65], csrf[65];
        long retry;

        ck_assert_int_eq(auth_hash_password(PW, h), -1);
        ck_assert_int_eq(login("x", PW, NULL, sid, csrf, &retry), AUTH_ERROR);
    }
    test_config(&c);
    ck_assert_int_eq(auth_init(&c), 0);
}
END_TEST

static Suite *
auth_suite(void)
{
    Suite *s = suite_create("auth");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
          *errors = tcase_create("errors");

    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_test(core, test_hash_and_verify);
    tcase_add_test(core, test_login_session_lifecycle);
    tcase_add_test(core, test_rehash_on_login);
    tcase_add_test(core, test_user_changes_and_list);
    tcase_add_test(core, test_audit_chain);
    tcase_add_test(core, test_csrf_equal);
    tcase_add_test(core, test_roles);
    tcase_add_test(limits, test_throttle_by_pair);
    tcase_add_test(limits, test_global_slowdown);
    tcase_add_test(limits, test_throttle_by_client);
    tcase_add_test(limits, test_success_clears_name_count);
    tcase_add_test(limits, test_attempts_pruned);
    tcase_add_test(limits, test_idle_expiry);
    tcase_add_test(limits, test_absolute_expiry);
    tcase_add_test(limits, test_parallel_guesses_throttled);
    tcase_add_test(limits, test_hashing_bound);
    tcase_add_test(limits, test_hashing_bound_one);
    tcase_add_test(limits, test_password_rules);
    tcase_add_test(limits, test_name_rules);
    tcase_add_test(errors, test_unknown_and_disabled_alike);
    tcase_add_test(errors, test_user_errors);
    tcase_add_test(errors, test_malformed_session_ids);
    tcase_add_test(errors, test_hostile_login_input);
    tcase_add_test(errors, test_bad_config);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    suite_add_tcase(s, errors);
    return s;
}

int
main(void)
{
    return check_main(auth_suite());
}
