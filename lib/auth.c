/*
 * auth: accounts, argon2id passwords under a concurrency bound, login
 * throttling, server-side sessions with CSRF tokens, each change with its
 * audit row.  Layer: lib/; depends on db, audit, gz, log, libsodium and
 * jansson; never on microhttpd.h; never prints or sleeps.
 */
#include "auth.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "gz.h"
#include "log.h"

/* Process-wide, set by auth_init() before threads start. */
static struct auth_config cfg;
static char dummy_hash[AUTH_HASH_MAX];
static int initialised;

/* The hashing semaphore: at most cfg.max_concurrent_hashes inside. */
static pthread_mutex_t slot_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t slot_cv = PTHREAD_COND_INITIALIZER;
static int slots_busy;

static const char *const role_names[] = {NULL, "operator", "moderator",
                                         "admin"};

static time_t
now_s(void)
{
    return cfg.now != NULL ? cfg.now() : time(NULL);
}

static void
hook(int event)
{
    if (cfg.hook != NULL) {
        cfg.hook(cfg.hook_ctx, event);
    }
}

static void
slot_take(void)
{
    pthread_mutex_lock(&slot_mu);
    while (slots_busy >= cfg.max_concurrent_hashes) {
        pthread_cond_wait(&slot_cv, &slot_mu);
    }
    slots_busy++;
    pthread_mutex_unlock(&slot_mu);
    hook(AUTH_HOOK_HASH_ENTER);
}

static void
slot_give(void)
{
    hook(AUTH_HOOK_HASH_LEAVE);
    pthread_mutex_lock(&slot_mu);
    slots_busy--;
    pthread_cond_signal(&slot_cv);
    pthread_mutex_unlock(&slot_mu);
}

static void set_err(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || n == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
}

void
auth_config_default(struct auth_config *c)
{
    memset(c, 0, sizeof(*c));
    c->max_concurrent_hashes = 2;
    c->idle_s = 30 * 60;
    c->max_s = 12 * 60 * 60;
    c->fail_window_s = 15 * 60;
    c->fail_limit = 5;
    c->client_fail_limit = 20;
    c->opslimit = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    c->memlimit = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    c->failure_delay_ms = 1000;
}

/* Hash pw (len bytes) at the configured limits, within the bound. */
static int
hash_locked(const char *pw, size_t len, char out[AUTH_HASH_MAX])
{
    int rc;

    slot_take();
    rc = crypto_pwhash_str_alg(out, pw, len, cfg.opslimit, cfg.memlimit,
                               crypto_pwhash_ALG_ARGON2ID13);
    slot_give();
    return rc == 0 ? 0 : -1;
}

/* 1 when pw matches hash, within the bound. */
static int
verify_locked(const char *hash, const char *pw, size_t len)
{
    int rc;

    slot_take();
    rc = crypto_pwhash_str_verify(hash, pw, len);
    slot_give();
    return rc == 0;
}

/* 32 random bytes as 64 lowercase hex digits. */
static void
random_hex(char out[AUTH_HEX_LEN + 1])
{
    unsigned char b[AUTH_HEX_LEN / 2];

    randombytes_buf(b, sizeof(b));
    sodium_bin2hex(out, AUTH_HEX_LEN + 1, b, sizeof(b));
    sodium_memzero(b, sizeof(b));
}

int
auth_init(const struct auth_config *c)
{
    char secret[AUTH_HEX_LEN + 1];
    int rc;

    if (sodium_init() < 0) {
        return -1;
    }
    if (c == NULL) {
        auth_config_default(&cfg);
    } else {
        cfg = *c;
    }
    if (cfg.max_concurrent_hashes < 1 || cfg.idle_s < 1 || cfg.max_s < 1 ||
        cfg.fail_window_s < 1 || cfg.fail_limit < 1 ||
        cfg.client_fail_limit < 1 ||
        cfg.opslimit < crypto_pwhash_OPSLIMIT_MIN ||
        cfg.opslimit > crypto_pwhash_OPSLIMIT_MAX ||
        cfg.memlimit < crypto_pwhash_MEMLIMIT_MIN ||
        cfg.memlimit > crypto_pwhash_MEMLIMIT_MAX || cfg.failure_delay_ms < 0) {
        initialised = 0;
        return -1;
    }
    /* A password nobody knows: unknown names are checked against it so
     * that they cost what a real check costs. */
    random_hex(secret);
    rc = hash_locked(secret, AUTH_HEX_LEN, dummy_hash);
    sodium_memzero(secret, sizeof(secret));
    initialised = rc == 0;
    return rc;
}

/* Failed logins per second over the last minute, process-wide, for the
 * global slow-down: fail_ring[t % 60] counts second t (fail_sec). */
static pthread_mutex_t fail_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned fail_ring[60];
static time_t fail_sec[60];

static void
note_failure(time_t now)
{
    size_t k = (size_t)(now % 60);

    pthread_mutex_lock(&fail_mu);
    if (fail_sec[k] != now) {
        fail_sec[k] = now;
        fail_ring[k] = 0;
    }
    fail_ring[k]++;
    pthread_mutex_unlock(&fail_mu);
}

long
auth_failure_delay_ms(void)
{
    time_t now = cfg.now != NULL ? cfg.now() : time(NULL);
    unsigned long recent = 0;
    long factor;
    size_t k;

    pthread_mutex_lock(&fail_mu);
    for (k = 0; k < 60; k++) {
        if (fail_sec[k] > now - 60 && fail_sec[k] <= now) {
            recent += fail_ring[k];
        }
    }
    pthread_mutex_unlock(&fail_mu);
    /* One more base delay per 30 failures a minute (one every two
     * seconds is what a few people mistyping never reach), at most 10. */
    factor = 1 + (long)(recent / 30);
    if (factor > 10) {
        factor = 10;
    }
    return cfg.failure_delay_ms * factor;
}

int
auth_hash_password(const char *pw, char out[AUTH_HASH_MAX])
{
    if (!initialised || pw == NULL) {
        return -1;
    }
    return hash_locked(pw, strlen(pw), out);
}

static int
name_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
}

int
auth_name_valid(const char *name)
{
    size_t i;

    if (name == NULL || name[0] == '\0') {
        return 0;
    }
    for (i = 0; name[i] != '\0'; i++) {
        if (i >= AUTH_NAME_MAX || !name_char((unsigned char)name[i])) {
            return 0;
        }
    }
    return 1;
}

/* The attempted name as it may be stored and audited: at most 64 bytes,
 * anything outside the name alphabet shown as '?'. */
static void
attempt_name(const char *name, char out[AUTH_NAME_MAX + 1])
{
    size_t i;

    for (i = 0; name != NULL && name[i] != '\0' && i < AUTH_NAME_MAX; i++) {
        out[i] = name_char((unsigned char)name[i]) ? name[i] : '?';
    }
    if (i == 0) {
        out[i++] = '?';
    }
    out[i] = '\0';
}

/* The client address as stored: printable ASCII, at most 64 bytes. */
static void
client_clean(const char *client, char out[AUTH_CLIENT_MAX + 1])
{
    size_t i;

    for (i = 0; client != NULL && client[i] != '\0' && i < AUTH_CLIENT_MAX;
         i++) {
        unsigned char ch = (unsigned char)client[i];

        out[i] = ch > 0x20 && ch < 0x7f ? (char)ch : '?';
    }
    out[i] = '\0';
}

int
auth_password_check(const char *pw, char *err, size_t n)
{
    size_t i, chars = 0;

    if (pw == NULL || pw[0] == '\0') {
        set_err(err, n, "empty password");
        return AUTH_EINVAL;
    }
    for (i = 0; pw[i] != '\0'; i++) {
        unsigned char ch = (unsigned char)pw[i];

        if (i >= AUTH_PW_MAX) {
            set_err(err, n, "password longer than %d bytes", AUTH_PW_MAX);
            return AUTH_EINVAL;
        }
        if (ch < 0x20 || ch == 0x7f) {
            set_err(err, n, "password contains a control character");
            return AUTH_EINVAL;
        }
        if ((ch & 0xc0) != 0x80) {
            chars++;
        }
    }
    if (chars < AUTH_PW_MIN) {
        set_err(err, n, "password shorter than %d characters", AUTH_PW_MIN);
        return AUTH_EINVAL;
    }
    return 0;
}

const char *
auth_role_name(int role)
{
    if (role < AUTH_OPERATOR || role > AUTH_ADMIN) {
        return "?";
    }
    return role_names[role];
}

int
auth_role_parse(const char *s)
{
    int r;

    for (r = AUTH_OPERATOR; s != NULL && r <= AUTH_ADMIN; r++) {
        if (strcmp(s, role_names[r]) == 0) {
            return r;
        }
    }
    return 0;
}

/* The user's id (and role) by name, in the open transaction.
 * 1 found, 0 not, -1 error. */
static int
user_find(struct db *w, const char *name, int64_t *id, int *role)
{
    static const char sql[] = "SELECT id, role FROM user WHERE name = :n";
    sqlite3_stmt *st = db_stmt(w, sql);
    int rc;

    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":n", name);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        if (role != NULL) {
            *role = auth_role_parse((const char *)sqlite3_column_text(st, 1));
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* End every session of a user, in the open transaction.  Count or -1. */
static int
user_sessions_end(struct db *w, int64_t uid)
{
    static const char sql[] = "DELETE FROM session WHERE user_id = :u";
    sqlite3_stmt *st = db_stmt(w, sql);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":u", uid);
    if (db_step_done(st) < 0) {
        return -1;
    }
    return sqlite3_changes(db_handle(w));
}

int
auth_user_add(struct db *w, const char *name, int role, const char *pw,
              const char *actor, const char *client, char *err, size_t n)
{
    static const char ins[] =
        "INSERT INTO user(name, role, password_hash, created_at, updated_at)"
        " VALUES (:n, :r, :h, :now, :now)";
    char hash[AUTH_HASH_MAX];
    struct audit_entry e = {.actor = actor,
                            .action = "user_add",
                            .object_type = "user",
                            .client = client};
    sqlite3_stmt *st;
    int64_t uid;
    int rc, found;

    if (!auth_name_valid(name)) {
        set_err(err, n, "user names are 1-%d of A-Z a-z 0-9 . _ -",
                AUTH_NAME_MAX);
        return AUTH_EINVAL;
    }
    if (role < AUTH_OPERATOR || role > AUTH_ADMIN) {
        set_err(err, n, "unknown role");
        return AUTH_EINVAL;
    }
    rc = auth_password_check(pw, err, n);
    if (rc < 0) {
        return rc;
    }
    if (auth_hash_password(pw, hash) < 0) {
        set_err(err, n, "out of memory hashing the password");
        return AUTH_EDB;
    }
    if (db_write_begin(w) != SQLITE_OK) {
        set_err(err, n, "database: %s", db_errmsg(w));
        return AUTH_EDB;
    }
    found = user_find(w, name, &uid, NULL);
    if (found < 0) {
        goto rollback;
    }
    if (found > 0) {
        db_write_rollback(w);
        set_err(err, n, "user %s exists", name);
        return AUTH_EEXIST;
    }
    st = db_stmt(w, ins);
    if (st == NULL) {
        goto rollback;
    }
    db_bind_text(st, ":n", name);
    db_bind_text(st, ":r", auth_role_name(role));
    db_bind_text(st, ":h", hash);
    db_bind_int64(st, ":now", (int64_t)now_s());
    if (db_step_insert(st, &uid) < 0) {
        goto rollback;
    }
    e.object_id = uid;
    if (audit_append_json(w, &e,
                          json_pack("{s:s, s:s}", "name", name, "role",
                                    auth_role_name(role))) < 0) {
        goto rollback;
    }
    if (db_write_commit(w) != SQLITE_OK) {
        set_err(err, n, "database: %s", db_errmsg(w));
        return AUTH_EDB;
    }
    return 0;
rollback:
    set_err(err, n, "database: %s", db_errmsg(w));
    db_write_rollback(w);
    return AUTH_EDB;
}

/* The shape of every single-user change: find the user by name inside a
 * write transaction, apply `change`, commit. */
struct user_change {
    const char *action;
    const char *hash; /* passwd: the new hash */
    int disabled;     /* set_disabled */
    int role;         /* set_role */
    json_t *detail;   /* filled by the change; stolen by the audit row */
    int end_sessions;
};

static int
user_apply(struct db *w, int64_t uid, int old_role, struct user_change *ch)
{
    static const char pw[] = "UPDATE user SET password_hash = :h,"
                             " updated_at = :now WHERE id = :id";
    static const char dis[] = "UPDATE user SET disabled = :d,"
                              " updated_at = :now WHERE id = :id";
    static const char role[] = "UPDATE user SET role = :r,"
                               " updated_at = :now WHERE id = :id";
    sqlite3_stmt *st;

    if (ch->hash != NULL) {
        st = db_stmt(w, pw);
        if (st == NULL) {
            return -1;
        }
        db_bind_text(st, ":h", ch->hash);
    } else if (ch->role != 0) {
        st = db_stmt(w, role);
        if (st == NULL) {
            return -1;
        }
        db_bind_text(st, ":r", auth_role_name(ch->role));
        ch->detail = json_pack("{s:s, s:s}", "old", auth_role_name(old_role),
                               "new", auth_role_name(ch->role));
    } else {
        st = db_stmt(w, dis);
        if (st == NULL) {
            return -1;
        }
        db_bind_int64(st, ":d", ch->disabled);
    }
    db_bind_int64(st, ":id", uid);
    db_bind_int64(st, ":now", (int64_t)now_s());
    if (db_step_done(st) < 0) {
        return -1;
    }
    if (ch->end_sessions) {
        int ended = user_sessions_end(w, uid);

        if (ended < 0) {
            return -1;
        }
        json_decref(ch->detail);
        ch->detail = json_pack("{s:i}", "sessions_ended", ended);
    }
    return 0;
}

static int
user_change(struct db *w, const char *name, struct user_change *ch,
            const char *actor, const char *client, char *err, size_t n)
{
    struct audit_entry e = {.actor = actor,
                            .action = ch->action,
                            .object_type = "user",
                            .client = client};
    int64_t uid = 0;
    int found, old_role = 0;

    if (!auth_name_valid(name)) {
        set_err(err, n, "no user %s", name != NULL ? name : "(none)");
        return AUTH_ENOENT;
    }
    if (db_write_begin(w) != SQLITE_OK) {
        set_err(err, n, "database: %s", db_errmsg(w));
        return AUTH_EDB;
    }
    found = user_find(w, name, &uid, &old_role);
    if (found == 0) {
        db_write_rollback(w);
        set_err(err, n, "no user %s", name);
        return AUTH_ENOENT;
    }
    if (found < 0 || user_apply(w, uid, old_role, ch) < 0) {
        goto fail;
    }
    e.object_id = uid;
    found = audit_append_json(w, &e, ch->detail) < 0 ? -1 : 0;
    ch->detail = NULL;
    if (found < 0) {
        goto fail;
    }
    if (db_write_commit(w) != SQLITE_OK) {
        set_err(err, n, "database: %s", db_errmsg(w));
        return AUTH_EDB;
    }
    return 0;
fail:
    json_decref(ch->detail);
    ch->detail = NULL;
    set_err(err, n, "database: %s", db_errmsg(w));
    db_write_rollback(w);
    return AUTH_EDB;
}

int
auth_user_passwd(struct db *w, const char *name, const char *pw,
                 const char *actor, const char *client, char *err, size_t n)
{
    struct user_change ch = {0};
    char hash[AUTH_HASH_MAX];
    int rc = auth_password_check(pw, err, n);

    if (rc < 0) {
        return rc;
    }
    if (auth_hash_password(pw, hash) < 0) {
        set_err(err, n, "out of memory hashing the password");
        return AUTH_EDB;
    }
    ch.action = "user_passwd";
    ch.hash = hash;
    ch.end_sessions = 1;
    return user_change(w, name, &ch, actor, client, err, n);
}

int
auth_user_set_disabled(struct db *w, const char *name, int disabled,
                       const char *actor, const char *client, char *err,
                       size_t n)
{
    struct user_change ch = {0};

    ch.action = disabled ? "user_disable" : "user_enable";
    ch.disabled = disabled != 0;
    ch.end_sessions = disabled != 0;
    return user_change(w, name, &ch, actor, client, err, n);
}

int
auth_user_set_role(struct db *w, const char *name, int role, const char *actor,
                   const char *client, char *err, size_t n)
{
    struct user_change ch = {0};

    if (role < AUTH_OPERATOR || role > AUTH_ADMIN) {
        set_err(err, n, "unknown role");
        return AUTH_EINVAL;
    }
    ch.action = "user_role";
    ch.role = role;
    return user_change(w, name, &ch, actor, client, err, n);
}

int
auth_user_list(struct db *r, json_t **out)
{
    static const char sql[] = "SELECT name, role, disabled, created_at"
                              " FROM user ORDER BY name";
    sqlite3_stmt *st = db_stmt(r, sql);
    json_t *a = json_array();
    int rc;

    *out = NULL;
    if (st == NULL || a == NULL) {
        json_decref(a);
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *u =
            json_pack("{s:s, s:s, s:b, s:I}", "name",
                      (const char *)sqlite3_column_text(st, 0), "role",
                      (const char *)sqlite3_column_text(st, 1), "disabled",
                      sqlite3_column_int(st, 2) != 0, "created_at",
                      (json_int_t)sqlite3_column_int64(st, 3));

        if (json_array_append_new(a, u) < 0) {
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(a);
        return -1;
    }
    *out = a;
    return 0;
}

/* ---- login ---- */

/* Seconds until this client may try this name again (0: not throttled),
 * or -1.  The limit-th most recent failure inside the window is the one
 * that must age out.  By pair (by_client 0): failures of name from client
 * since the name's last success from there.  By client (by_client 1):
 * every failure from client, whatever the name, so that logging in to an
 * account of one's own clears nothing. */
static long
throttle_wait(struct db *w, int by_client, const char *name, const char *client,
              time_t now)
{
    static const char by_pair_sql[] =
        "SELECT at FROM login_attempt WHERE user_name = :n AND client IS :c"
        " AND ok = 0 AND at > :since AND id > (SELECT coalesce(max(id), 0)"
        " FROM login_attempt WHERE user_name = :n AND client IS :c"
        " AND ok = 1) ORDER BY at DESC LIMIT 1 OFFSET :off";
    static const char by_client_sql[] =
        "SELECT at FROM login_attempt WHERE client = :c AND ok = 0"
        " AND at > :since ORDER BY at DESC LIMIT 1 OFFSET :off";
    sqlite3_stmt *st = db_stmt(w, by_client ? by_client_sql : by_pair_sql);
    long wait = 0;
    int rc;

    if (st == NULL) {
        return -1;
    }
    if (!by_client) {
        db_bind_text(st, ":n", name);
    }
    if (client != NULL) {
        db_bind_text(st, ":c", client);
    } else {
        db_bind_null(st, ":c");
    }
    db_bind_int64(st, ":since", (int64_t)(now - cfg.fail_window_s));
    db_bind_int64(st, ":off",
                  (by_client ? cfg.client_fail_limit : cfg.fail_limit) - 1);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        wait = (long)(sqlite3_column_int64(st, 0) + cfg.fail_window_s - now);
        if (wait < 1) {
            wait = 1;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? wait : -1;
}

int
auth_client_failures(struct db *r, const char *client)
{
    static const char sql[] = "SELECT count(*) FROM login_attempt"
                              " WHERE client = :c AND ok = 0 AND at > :since";
    sqlite3_stmt *st;
    int n = -1;

    if (client == NULL) {
        return 0;
    }
    st = db_stmt(r, sql);
    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":c", client);
    db_bind_int64(st, ":since", (int64_t)(now_s() - cfg.fail_window_s));
    if (sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int(st, 0);
    }
    sqlite3_reset(st);
    return n;
}

/* Drop attempts older than a day, a few of the oldest rows per login, so
 * the table stays small without a scan. */
static int
attempts_prune(struct db *w, time_t now)
{
    static const char sql[] =
        "DELETE FROM login_attempt WHERE id IN (SELECT id FROM"
        " (SELECT id, at FROM login_attempt ORDER BY id LIMIT 64)"
        " WHERE at < :cut)";
    sqlite3_stmt *st = db_stmt(w, sql);

    if (st == NULL) {
        return -1;
    }
    db_bind_int64(st, ":cut", (int64_t)(now - 24 * 60 * 60));
    return db_step_done(st);
}

/* What the first transaction of a login learnt. */
struct login_state {
    char name[AUTH_NAME_MAX + 1];
    char client[AUTH_CLIENT_MAX + 1];
    int has_client;
    int64_t attempt; /* login_attempt row */
    int64_t uid;     /* 0: no such user */
    int disabled;
    char hash[AUTH_HASH_MAX]; /* "" when unusable */
};

static int
login_fail_audit(struct db *w, const struct login_state *s, const char *reason,
                 const char *why)
{
    struct audit_entry e = {0};
    char detail[64];

    snprintf(detail, sizeof(detail), "{\"why\":\"%s\"}", why);
    e.actor = s->name;
    e.action = "login_failed";
    e.object_type = s->uid != 0 ? "user" : NULL;
    e.object_id = s->uid;
    e.reason = reason;
    e.detail = detail;
    e.client = s->has_client ? s->client : NULL;
    return audit_append(w, &e) < 0 ? -1 : 0;
}

/* First transaction: prune, throttle, find the user, record the attempt
 * as a failure (the second transaction turns it into a success).
 * AUTH_OK to go on, AUTH_THROTTLED (committed, audited), AUTH_ERROR. */
static int
login_begin(struct db *w, struct login_state *s, time_t now, long *retry_after)
{
    static const char user_sql[] = "SELECT id, disabled, password_hash"
                                   " FROM user WHERE name = :n";
    static const char ins[] =
        "INSERT INTO login_attempt(user_name, client, at, ok)"
        " VALUES (:u, :c, :at, 0)";
    sqlite3_stmt *st;
    long wait, wait_client = 0;
    int rc;

    if (db_write_begin(w) != SQLITE_OK) {
        return AUTH_ERROR;
    }
    if (attempts_prune(w, now) < 0) {
        goto fail;
    }
    wait = throttle_wait(w, 0, s->name, s->has_client ? s->client : NULL, now);
    if (s->has_client) {
        wait_client = throttle_wait(w, 1, s->name, s->client, now);
    }
    if (wait < 0 || wait_client < 0) {
        goto fail;
    }
    if (wait_client > wait) {
        wait = wait_client;
    }
    st = db_stmt(w, user_sql);
    if (st == NULL) {
        goto fail;
    }
    db_bind_text(st, ":n", s->name);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(st, 2);

        s->uid = sqlite3_column_int64(st, 0);
        s->disabled = sqlite3_column_int(st, 1) != 0;
        if (h != NULL && strlen(h) < sizeof(s->hash)) {
            memcpy(s->hash, h, strlen(h) + 1);
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        goto fail;
    }
    if (wait > 0) {
        if (login_fail_audit(w, s, "throttled", "throttled") < 0) {
            goto fail;
        }
        *retry_after = wait;
        return db_write_commit(w) == SQLITE_OK ? AUTH_THROTTLED : AUTH_ERROR;
    }
    st = db_stmt(w, ins);
    if (st == NULL) {
        goto fail;
    }
    db_bind_text(st, ":u", s->name);
    db_bind_text(st, ":c", s->client);
    db_bind_int64(st, ":at", (int64_t)now);
    if (db_step_insert(st, &s->attempt) < 0) {
        goto fail;
    }
    return db_write_commit(w) == SQLITE_OK ? AUTH_OK : AUTH_ERROR;
fail:
    db_write_rollback(w);
    return AUTH_ERROR;
}

/* Second transaction after a good password: the user must still be there,
 * enabled, with the hash that was checked.  Marks the attempt a success,
 * stores the new hash, creates the session, writes the audit row.
 * AUTH_OK, AUTH_BAD (changed meanwhile; nothing written) or AUTH_ERROR;
 * the transaction stays open for the caller on AUTH_BAD. */
static int
login_finish(struct db *w, struct login_state *s, const char *newhash,
             time_t now, char sid[AUTH_HEX_LEN + 1],
             char csrf[AUTH_HEX_LEN + 1])
{
    static const char chk[] = "SELECT disabled, password_hash FROM user"
                              " WHERE id = :id";
    static const char mark[] = "UPDATE login_attempt SET ok = 1"
                               " WHERE id = :id";
    static const char rehash[] = "UPDATE user SET password_hash = :h,"
                                 " updated_at = :now WHERE id = :id";
    static const char expire[] = "DELETE FROM session WHERE created_at <= :abs"
                                 " OR last_seen_at <= :idle";
    static const char ins[] =
        "INSERT INTO session(id_hash, user_id, csrf_token, created_at,"
        " last_seen_at, client) VALUES (:h, :u, :c, :now, :now, :cl)";
    struct audit_entry e = {0};
    char idhash[65];
    sqlite3_stmt *st = db_stmt(w, chk);
    int rc, same = 0;

    if (st == NULL) {
        return AUTH_ERROR;
    }
    db_bind_int64(st, ":id", s->uid);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(st, 1);

        same = sqlite3_column_int(st, 0) == 0 && h != NULL &&
               strcmp(h, s->hash) == 0;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return AUTH_ERROR;
    }
    if (!same) {
        return AUTH_BAD;
    }
    st = db_stmt(w, mark);
    if (st == NULL) {
        return AUTH_ERROR;
    }
    db_bind_int64(st, ":id", s->attempt);
    if (db_step_done(st) < 0) {
        return AUTH_ERROR;
    }
    if (newhash != NULL) {
        st = db_stmt(w, rehash);
        if (st == NULL) {
            return AUTH_ERROR;
        }
        db_bind_text(st, ":h", newhash);
        db_bind_int64(st, ":now", (int64_t)now);
        db_bind_int64(st, ":id", s->uid);
        if (db_step_done(st) < 0) {
            return AUTH_ERROR;
        }
    }
    st = db_stmt(w, expire);
    if (st == NULL) {
        return AUTH_ERROR;
    }
    db_bind_int64(st, ":abs", (int64_t)(now - cfg.max_s));
    db_bind_int64(st, ":idle", (int64_t)(now - cfg.idle_s));
    if (db_step_done(st) < 0) {
        return AUTH_ERROR;
    }
    random_hex(sid);
    random_hex(csrf);
    sha256_hex(sid, AUTH_HEX_LEN, idhash);
    st = db_stmt(w, ins);
    if (st == NULL) {
        return AUTH_ERROR;
    }
    db_bind_text(st, ":h", idhash);
    db_bind_int64(st, ":u", s->uid);
    db_bind_text(st, ":c", csrf);
    db_bind_int64(st, ":now", (int64_t)now);
    db_bind_text(st, ":cl", s->has_client ? s->client : NULL);
    if (db_step_done(st) < 0) {
        return AUTH_ERROR;
    }
    e.actor = s->name;
    e.action = "login";
    e.object_type = "user";
    e.object_id = s->uid;
    e.detail = newhash != NULL ? "{\"rehashed\":true}" : NULL;
    e.client = s->has_client ? s->client : NULL;
    return audit_append(w, &e) < 0 ? AUTH_ERROR : AUTH_OK;
}

int
auth_login(struct db *w, const char *name, const char *pw, const char *client,
           char sid_out[AUTH_HEX_LEN + 1], char csrf_out[AUTH_HEX_LEN + 1],
           long *retry_after)
{
    struct login_state s;
    char newhash[AUTH_HASH_MAX];
    const char *why = "wrong password";
    size_t pwlen = pw != NULL ? strnlen(pw, AUTH_PW_MAX + 1) : 0;
    time_t now = now_s();
    int rc, ok;

    sid_out[0] = csrf_out[0] = '\0';
    *retry_after = 0;
    if (!initialised) {
        return AUTH_ERROR;
    }
    memset(&s, 0, sizeof(s));
    attempt_name(name, s.name);
    client_clean(client, s.client);
    s.has_client = client != NULL && client[0] != '\0';
    rc = login_begin(w, &s, now, retry_after);
    if (rc == AUTH_THROTTLED) {
        note_failure(now);
    }
    if (rc != AUTH_OK) {
        return rc;
    }

    /* The slow part, outside the write lock.  Every path verifies exactly
     * one hash, so an unknown name costs what a known one does. */
    if (s.uid == 0 || s.hash[0] == '\0' || !auth_name_valid(name)) {
        hook(AUTH_HOOK_DUMMY_VERIFY);
        verify_locked(dummy_hash, pw != NULL ? pw : "",
                      pwlen > AUTH_PW_MAX ? AUTH_PW_MAX : pwlen);
        ok = 0;
        why = "unknown user";
    } else {
        ok = verify_locked(s.hash, pw != NULL ? pw : "",
                           pwlen > AUTH_PW_MAX ? AUTH_PW_MAX : pwlen) &&
             pwlen <= AUTH_PW_MAX;
        if (ok && s.disabled) {
            ok = 0;
            why = "disabled";
        }
    }
    if (ok && pw != NULL &&
        crypto_pwhash_str_needs_rehash(s.hash, cfg.opslimit, cfg.memlimit) !=
            0) {
        if (hash_locked(pw, pwlen, newhash) < 0) {
            return AUTH_ERROR;
        }
    } else {
        newhash[0] = '\0';
    }

    if (db_write_begin(w) != SQLITE_OK) {
        return AUTH_ERROR;
    }
    if (ok) {
        rc = login_finish(w, &s, newhash[0] != '\0' ? newhash : NULL, now,
                          sid_out, csrf_out);
        if (rc == AUTH_BAD) {
            why = "account changed during login";
        }
    } else {
        rc = AUTH_BAD;
    }
    if (rc == AUTH_BAD && login_fail_audit(w, &s, "bad password", why) < 0) {
        rc = AUTH_ERROR;
    }
    if (rc == AUTH_ERROR) {
        db_write_rollback(w);
    } else if (db_write_commit(w) != SQLITE_OK) {
        rc = AUTH_ERROR;
    }
    if (rc != AUTH_OK) {
        sodium_memzero(sid_out, AUTH_HEX_LEN + 1);
        sodium_memzero(csrf_out, AUTH_HEX_LEN + 1);
    }
    if (rc == AUTH_BAD) {
        note_failure(now);
    }
    return rc;
}

/* ---- sessions ---- */

/* The stored form of a session id: sha256 of its 64 hex digits.  0, or -1
 * when sid is not 64 lowercase hex digits. */
static int
sid_hash(const char *sid, char out[65])
{
    size_t i;

    if (sid == NULL) {
        return -1;
    }
    for (i = 0; i < AUTH_HEX_LEN; i++) {
        char ch = sid[i];

        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
            return -1;
        }
    }
    if (sid[AUTH_HEX_LEN] != '\0') {
        return -1;
    }
    sha256_hex(sid, AUTH_HEX_LEN, out);
    return 0;
}

/* Delete an expired session, or move its last_seen_at to now. */
static int
session_write(struct db *w, const char *idhash, int expired, time_t now)
{
    static const char del[] = "DELETE FROM session WHERE id_hash = :h";
    static const char touch[] = "UPDATE session SET last_seen_at = :now"
                                " WHERE id_hash = :h AND last_seen_at < :now";
    sqlite3_stmt *st;

    if (db_write_begin(w) != SQLITE_OK) {
        return -1;
    }
    st = db_stmt(w, expired ? del : touch);
    if (st == NULL) {
        db_write_rollback(w);
        return -1;
    }
    db_bind_text(st, ":h", idhash);
    if (!expired) {
        db_bind_int64(st, ":now", (int64_t)now);
    }
    if (db_step_done(st) < 0) {
        db_write_rollback(w);
        return -1;
    }
    return db_write_commit(w) == SQLITE_OK ? 0 : -1;
}

int
auth_session(struct db *r, struct db *w, const char *sid, struct auth_user *u,
             char csrf_out[AUTH_HEX_LEN + 1])
{
    static const char sql[] =
        "SELECT s.user_id, s.csrf_token, s.created_at, s.last_seen_at,"
        " u.name, u.role, u.disabled FROM session s"
        " JOIN user u ON u.id = s.user_id WHERE s.id_hash = :h";
    char idhash[65];
    sqlite3_stmt *st;
    time_t now = now_s();
    int64_t created = 0, seen = 0;
    int rc, expired = 0;

    memset(u, 0, sizeof(*u));
    csrf_out[0] = '\0';
    if (sid_hash(sid, idhash) < 0) {
        return 0;
    }
    st = db_stmt(r, sql);
    if (st == NULL) {
        return -1;
    }
    db_bind_text(st, ":h", idhash);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 1);
        const char *n = (const char *)sqlite3_column_text(st, 4);

        u->id = sqlite3_column_int64(st, 0);
        created = sqlite3_column_int64(st, 2);
        seen = sqlite3_column_int64(st, 3);
        snprintf(u->name, sizeof(u->name), "%s", n != NULL ? n : "");
        u->role = auth_role_parse((const char *)sqlite3_column_text(st, 5));
        snprintf(csrf_out, AUTH_HEX_LEN + 1, "%s", c != NULL ? c : "");
        expired = sqlite3_column_int(st, 6) != 0 ||
                  now - created >= cfg.max_s || now - seen >= cfg.idle_s ||
                  u->role == 0;
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
        return 0;
    }
    if (rc != SQLITE_ROW) {
        memset(u, 0, sizeof(*u));
        csrf_out[0] = '\0';
        return -1;
    }
    if (expired) {
        memset(u, 0, sizeof(*u));
        csrf_out[0] = '\0';
        if (w != NULL && session_write(w, idhash, 1, now) < 0) {
            return -1;
        }
        return 0;
    }
    /* A write per request would serialise every admin page on the write
     * lock; a minute's precision is plenty for a 30-minute idle limit, and
     * a tenth of the limit when it is shorter (a session used every 20 s
     * must live under a 60 s limit).  A failed touch costs at most that
     * much, so the request goes on. */
    if (w != NULL &&
        now - seen >=
            (cfg.idle_s / 10 < AUTH_TOUCH_S ? cfg.idle_s / 10 : AUTH_TOUCH_S) &&
        session_write(w, idhash, 0, now) < 0) {
        LOG_WARN("session last_seen_at not updated: %s", db_errmsg(w));
    }
    return 1;
}

int
auth_logout(struct db *w, const char *sid, const char *client)
{
    static const char sel[] =
        "SELECT s.user_id, u.name FROM session s"
        " JOIN user u ON u.id = s.user_id WHERE s.id_hash = :h";
    static const char del[] = "DELETE FROM session WHERE id_hash = :h";
    char idhash[65], name[AUTH_NAME_MAX + 1], cl[AUTH_CLIENT_MAX + 1];
    struct audit_entry e = {0};
    sqlite3_stmt *st;
    int64_t uid = 0;
    int rc;

    if (sid_hash(sid, idhash) < 0) {
        return 0;
    }
    if (db_write_begin(w) != SQLITE_OK) {
        return -1;
    }
    st = db_stmt(w, sel);
    if (st == NULL) {
        goto fail;
    }
    db_bind_text(st, ":h", idhash);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *n = (const char *)sqlite3_column_text(st, 1);

        uid = sqlite3_column_int64(st, 0);
        snprintf(name, sizeof(name), "%s", n != NULL ? n : "?");
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
        db_write_rollback(w);
        return 0;
    }
    if (rc != SQLITE_ROW) {
        goto fail;
    }
    st = db_stmt(w, del);
    if (st == NULL) {
        goto fail;
    }
    db_bind_text(st, ":h", idhash);
    if (db_step_done(st) < 0) {
        goto fail;
    }
    client_clean(client, cl);
    e.actor = name;
    e.action = "logout";
    e.object_type = "user";
    e.object_id = uid;
    e.client = cl[0] != '\0' ? cl : NULL;
    if (audit_append(w, &e) < 0) {
        goto fail;
    }
    return db_write_commit(w) == SQLITE_OK ? 1 : -1;
fail:
    db_write_rollback(w);
    return -1;
}

int
auth_csrf_equal(const char *a, const char *b)
{
    size_t n;

    if (a == NULL || b == NULL) {
        return 0;
    }
    n = strlen(a);
    /* The length is public (always 64); only the bytes must not leak. */
    if (n == 0 || n != strlen(b)) {
        return 0;
    }
    return sodium_memcmp(a, b, n) == 0;
}
