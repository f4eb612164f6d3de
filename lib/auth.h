/*
 * auth: accounts, passwords, login throttling and sessions of the people
 * who run the portal (readers are anonymous).  Layer: lib/; depends on
 * db, audit, gz (sha256), libsodium and jansson; never on microhttpd.h,
 * never prints, never sleeps on the caller's behalf.
 *
 * Passwords are libsodium argon2id strings (crypto_pwhash_str).  Hashing
 * is memory-hard (64 MiB at the interactive limits), so at most
 * max_concurrent_hashes run at once in the process (hostile-world.md trap
 * 8); the others wait their turn.  A login for an unknown name is checked
 * against a dummy hash made at auth_init() so that it costs the same as a
 * real one.  Every attempt is recorded in login_attempt before the
 * password is checked, so parallel guesses cannot outrun the throttle.
 * Sessions: the client holds 32 random bytes as 64 hex digits; the
 * database holds only their sha256.  Every change (user, login, failed
 * login, logout) writes its audit row in the same transaction.
 *
 * Process-wide state (the configuration, the dummy hash, the hashing
 * semaphore) is set by auth_init() before any thread uses this module.
 */
#ifndef KW_AUTH_H
#define KW_AUTH_H

#include <jansson.h>
#include <sodium.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "db.h"

enum auth_role { AUTH_OPERATOR = 1, AUTH_MODERATOR = 2, AUTH_ADMIN = 3 };

#define AUTH_NAME_MAX 64   /* bytes of a user name */
#define AUTH_PW_MIN 10     /* characters (UTF-8 code points) */
#define AUTH_PW_MAX 1024   /* bytes */
#define AUTH_CLIENT_MAX 64 /* bytes of a client address kept */
#define AUTH_TOUCH_S 60    /* last_seen_at is written at most this often */
#define AUTH_HEX_LEN 64    /* session id and CSRF token, hex digits */
#define AUTH_HASH_MAX crypto_pwhash_STRBYTES

/* What test hooks are told (auth_config.hook). */
enum auth_hook_event {
    AUTH_HOOK_HASH_ENTER = 1, /* a hash or verify starts (slot taken) */
    AUTH_HOOK_HASH_LEAVE,     /* it ended (slot about to be given back) */
    AUTH_HOOK_DUMMY_VERIFY,   /* a login verified against the dummy hash */
};

struct auth_config {
    int max_concurrent_hashes; /* at once in the process; default 2 */
    long idle_s;               /* session idle expiry; default 1800 */
    long max_s;                /* session absolute expiry; default 43200 */
    long fail_window_s;        /* throttle window; default 900 */
    int fail_limit;            /* failures per (name, client); default 5 */
    int client_fail_limit;     /* failures per client, any names; default 20 */
    unsigned long long opslimit; /* argon2id; default OPSLIMIT_INTERACTIVE */
    size_t memlimit;             /* bytes; default MEMLIMIT_INTERACTIVE */
    long failure_delay_ms;       /* see auth_failure_delay_ms(); 1000 */
    /* Tests only: the clock (NULL: time()), and a hook called from the
     * hashing thread (NULL: none). */
    time_t (*now)(void);
    void (*hook)(void *ctx, int event);
    void *hook_ctx;
};

/* The production defaults. */
void auth_config_default(struct auth_config *c);

/* Initialise libsodium, take the configuration (copied; NULL: defaults)
 * and make the dummy hash.  Call before any thread uses auth; calling it
 * again replaces the configuration (tests), which is safe only while no
 * other thread is inside auth.  0, or -1 (bad configuration, libsodium
 * failed, or out of memory). */
int auth_init(const struct auth_config *c);

/* How long the HTTP layer should wait before answering a failed or
 * throttled login (milliseconds): failure_delay_ms (a second by default)
 * while failures are rare, growing with the failed logins of the last
 * minute across all names and clients, up to ten times that: the global
 * slow-down that answers guessing spread over many addresses, which no
 * per-client throttle sees, without letting anyone lock an account. */
long auth_failure_delay_ms(void);

/* Failed logins from client (any name) inside the throttle window, read on
 * r (a reader is fine): 0 means the address has not been guessing, so its
 * login may go ahead of a flood.  -1 on error. */
int auth_client_failures(struct db *r, const char *client);

/* argon2id hash of pw at the configured limits into out, within the
 * concurrency bound.  0, or -1 (out of memory). */
int auth_hash_password(const char *pw, char out[AUTH_HASH_MAX]);

/* Check a user name: 1-64 of [A-Za-z0-9._-].  1 valid, 0 not. */
int auth_name_valid(const char *name);

/* Check a new password: AUTH_PW_MIN characters at least, AUTH_PW_MAX bytes
 * at most, no NUL or control characters.  0, or AUTH_EINVAL with err. */
int auth_password_check(const char *pw, char *err, size_t n);

const char *auth_role_name(int role); /* static string, "?" when unknown */
int auth_role_parse(const char *s);   /* enum auth_role, or 0 */

/* Errors of the user functions: negative, err filled for a person. */
enum auth_error {
    AUTH_EDB = -1,    /* database or internal error */
    AUTH_EINVAL = -2, /* bad name, role or password */
    AUTH_ENOENT = -3, /* no such user */
    AUTH_EEXIST = -4, /* name taken */
};

/* User changes, each one write transaction with its audit row.  w is a
 * writer connection, used only inside db_write_begin()/commit (so it may
 * be the server's shared writer); actor is who does it ("cli:OPERATOR" or
 * an admin's name), client the address or NULL; all borrowed.  A password
 * is hashed before the transaction starts.  Changing the password or
 * disabling a user ends all of that user's sessions.  0, or an
 * enum auth_error with err (n bytes) filled. */
int auth_user_add(struct db *w, const char *name, int role, const char *pw,
                  const char *actor, const char *client, char *err, size_t n);
int auth_user_passwd(struct db *w, const char *name, const char *pw,
                     const char *actor, const char *client, char *err,
                     size_t n);
int auth_user_set_disabled(struct db *w, const char *name, int disabled,
                           const char *actor, const char *client, char *err,
                           size_t n);
int auth_user_set_role(struct db *w, const char *name, int role,
                       const char *actor, const char *client, char *err,
                       size_t n);
/* Every user, by name: a new array of {"name", "role", "disabled" (bool),
 * "created_at"} objects in *out (json_decref it).  r may be a reader.
 * 0, or -1. */
int auth_user_list(struct db *r, json_t **out);

enum auth_login {
    AUTH_OK = 0,
    AUTH_BAD = 1,
    AUTH_THROTTLED = 2,
    AUTH_ERROR = -1
};

/* Log in.  AUTH_OK: a new session; its id (64 hex, the cookie value) in
 * sid_out and its CSRF token in csrf_out.  AUTH_BAD: unknown name, wrong
 * password or disabled account, all alike.  AUTH_THROTTLED: fail_limit
 * failures for this name from this client (since the last success of the
 * name there), or client_fail_limit failures from this client for any
 * names, within fail_window_s; the password was not checked and
 * *retry_after holds the seconds until the next try may succeed.  Never a
 * lockout by name alone: failures from other addresses do not stop the
 * right password from this one.  client may be NULL (one client).  A password
 * hash made with weaker limits than the configured ones is replaced on success.
 * Takes two write transactions on w (attempt, outcome) with the hashing between
 * them, outside the lock.  The caller should wait auth_failure_delay_ms()
 * before answering AUTH_BAD or AUTH_THROTTLED. */
int auth_login(struct db *w, const char *name, const char *pw,
               const char *client, char sid_out[AUTH_HEX_LEN + 1],
               char csrf_out[AUTH_HEX_LEN + 1], long *retry_after);

struct auth_user {
    int64_t id;
    char name[AUTH_NAME_MAX + 1];
    int role; /* enum auth_role */
};

/* Validate a session id (the cookie value, borrowed).  1: valid, *u and
 * csrf_out filled; 0: unknown, malformed, expired (idle or absolute) or
 * the user is disabled; -1: database error.  Reads go to r (a reader is
 * fine).  When w is not NULL, an expired row is deleted and last_seen_at
 * is updated, at most once every AUTH_TOUCH_S seconds: that is a write
 * transaction, so most requests write nothing.  r and w may be the same
 * connection in single-threaded programs. */
int auth_session(struct db *r, struct db *w, const char *sid,
                 struct auth_user *u, char csrf_out[AUTH_HEX_LEN + 1]);

/* End a session server-side, with an audit row.  1 ended, 0 there was no
 * such session, -1 database error. */
int auth_logout(struct db *w, const char *sid, const char *client);

/* Compare two CSRF tokens in constant time.  1 equal (and non-empty),
 * 0 not (NULLs are never equal). */
int auth_csrf_equal(const char *a, const char *b);

#endif
