/*
 * db: SQLite connections for the portal.  Layer: lib/; depends on sqlite3,
 * the tokenizer and jansson (for columns as JSON values), never on
 * microhttpd.h.
 *
 * Every connection gets the settings of hostile-world.md trap 2 (WAL,
 * synchronous=FULL, busy_timeout, trusted_schema=OFF, defensive mode,
 * foreign keys, a journal size limit, no automatic checkpoints, a progress
 * handler that interrupts runaway queries; query_only on readers) and the
 * kwtok tokenizer.  Statements are prepared once per connection and cached
 * by the address of their `static const char sql[]`.  Every write goes
 * through db_write_begin(), which takes a cross-process flock beside the
 * database before BEGIN IMMEDIATE (trap 1: the WAL-reset bug of 3.40.1).
 */
#ifndef KW_DB_H
#define KW_DB_H

#include <jansson.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

struct db;
struct config;

enum db_flags {
    DB_READONLY = 1,  /* query_only; never migrates, never writes */
    DB_CREATE = 2,    /* create the file when missing */
    DB_IMMUTABLE = 4, /* with DB_READONLY: a snapshot nothing writes while
                         it is open: opened read-only with immutable=1 (no
                         locks, no WAL index, no -shm file) */
};

struct db_opts {
    const char *path;           /* database file */
    const char *migrations_dir; /* db/migrations; NULL: no migration */
    int flags;                  /* enum db_flags */
    long busy_timeout_ms;
    long lock_timeout_ms;
    long query_timeout_ms; /* default deadline per db_deadline_start() */
    long long wal_max;     /* db_wal_max (0: none) */
};

struct db_error {
    char msg[512];
};

/* Open (and, for writers with a migrations_dir, migrate) a database.
 * 0 with *out set (new, free with db_close), or -1 with err->msg. */
int db_open(const struct db_opts *opts, struct db **out, struct db_error *err);
/* db_open for a command's writer: cfg's database file (created when
 * missing and migrated from data_dir/db/migrations) with cfg's busy, lock
 * and query timeouts and its wal_restart_bytes as wal_max.  cfg and data_dir
 * are borrowed.  As db_open. */
int db_open_writer(const struct config *cfg, const char *data_dir,
                   struct db **out, struct db_error *err);
void db_close(struct db *db);
/* Borrowed handle. */
sqlite3 *db_handle(struct db *db);
const char *db_path(const struct db *db);
/* Schema version of the file (PRAGMA user_version). */
int db_user_version(struct db *db);

/* A cached statement for `sql`, which must be a string with static
 * storage (its address is the cache key).  Borrowed: reset and with
 * bindings cleared, ready to bind.  NULL on a prepare error (logged). */
sqlite3_stmt *db_stmt(struct db *db, const char *sql);

/* Bind by name (":name"); an unknown name is a programming error: it is
 * logged and returns SQLITE_RANGE.  Text and blobs are copied. */
int db_bind_text(sqlite3_stmt *st, const char *name, const char *s);
int db_bind_textn(sqlite3_stmt *st, const char *name, const char *s, size_t n);
int db_bind_int64(sqlite3_stmt *st, const char *name, int64_t v);
int db_bind_blob(sqlite3_stmt *st, const char *name, const void *p, size_t n);
int db_bind_null(sqlite3_stmt *st, const char *name);
/* Run the cached statement sql (static storage, as db_stmt) once with
 * the one parameter `name` bound to v: the per-document step of the
 * index writers.  0 when it ran to the end, -1 otherwise. */
int db_run_int64(struct db *db, const char *sql, const char *name, int64_t v);

/* One step of a statement from db_stmt(), its parameters bound, then its
 * reset, so that it is ready for the next caller:
 * db_step_done: a write (or anything without rows): 0 when it ran to the
 *   end, -1 otherwise.
 * db_step_insert: an INSERT: as db_step_done, with *id the new row's
 *   rowid (0 on failure).
 * db_one: a lookup of at most one row: on a row, read(st, ctx) takes what
 *   it needs (column pointers die at the reset: copy) and returns 0, or
 *   -1 to fail.  1 when a row was read, 0 when there was none, -1 on an
 *   error (a failed read included).
 * db_one_int64: db_one of column 0 into *v (SQL NULL reads 0; *v is left
 *   alone when there is no row).
 * db_one_text: db_one of text column 0 into *s: a copy (new, kw_free),
 *   NULL for SQL NULL and when there is no row; out of memory is -1. */
int db_step_done(sqlite3_stmt *st);
int db_step_insert(sqlite3_stmt *st, int64_t *id);
int db_one(sqlite3_stmt *st, int (*read)(sqlite3_stmt *st, void *ctx),
           void *ctx);
int db_one_int64(sqlite3_stmt *st, int64_t *v);
int db_one_text(sqlite3_stmt *st, char **s);
/* The row key of table setting (migration 0001) as an integer into *v:
 * as db_one_int64 (1, 0 when there is no such row and *v is left alone,
 * -1).  One statement for every key. */
int db_setting_int(struct db *db, const char *key, int64_t *v);
/* Copy of a text column (new, kw_free), NULL for SQL NULL or OOM. */
char *db_column_dup(sqlite3_stmt *st, int col);
/* A text column as a new JSON string (a copy, so it outlives the step),
 * JSON null for SQL NULL; NULL when out of memory or not UTF-8, which
 * json_object_set_new() refuses as it does any failed value. */
json_t *db_column_json(sqlite3_stmt *st, int col);

/* Start a write: in-process mutex, cross-process flock, BEGIN IMMEDIATE.
 * Records the caller's file:line for lock diagnostics.  0 or an SQLite
 * error code (SQLITE_BUSY when the lock timed out). */
int db_write_begin_at(struct db *db, const char *file, int line);
#define db_write_begin(db) db_write_begin_at((db), __FILE__, __LINE__)
/* COMMIT and release the locks.  On failure the transaction is rolled
 * back, the locks released, and the SQLite error code returned. */
int db_write_commit(struct db *db);
void db_write_rollback(struct db *db);
/* One read snapshot for several statements (a whole request): a deferred
 * BEGIN, and its end.  Cheaper than a transaction per statement, and the
 * statements see one state of the database.  Only on a connection that
 * does not write.  0 or an SQLite error code; db_read_end() never fails
 * (a failed COMMIT is rolled back). */
int db_read_begin(struct db *db);
void db_read_end(struct db *db);
/* The connection's data version (PRAGMA data_version) into *v: it moves
 * whenever another connection, in this process or another, has committed
 * since this one last looked.  Outside a transaction only: the pragma
 * opens its own read transaction, so in WAL mode it sees every commit
 * finished before the call (SQLITE_FCNTL_DATA_VERSION alone would not:
 * it reports the last snapshot taken).  0, or an SQLite error code. */
int db_data_version(struct db *db, int64_t *v);
/* 1 when another connection, of this process or another, may have
 * committed since the last call on db (always 1 on the first call, and
 * whenever it cannot tell), 0 when certainly none has: every commit
 * finished before the call is seen.  In WAL mode it compares the
 * wal-index header in the shared memory SQLite maps (the same bytes
 * SQLite compares to decide that its snapshot is out of date; a commit
 * writes them before it returns) with the copy of the last call: no
 * lock, no system call.  Otherwise, or while a writer is changing the
 * header, it falls back to db_data_version.  Outside a transaction. */
int db_changed(struct db *db);
/* Run SQL text without results inside or outside a write. */
int db_exec(struct db *db, const char *sql);

/* Fresh statistics for the query planner: ANALYZE of the ordinary tables
 * with analysis_limit 400 (each index sampled, not read: 2 s at a million
 * documents from a cold disk).  Inside a write.  SQLITE_OK or the error
 * code. */
int db_analyze(struct db *w);

/* Checkpoint under the write lock (the WAL-reset trap): passive, or with
 * restart truncating the WAL. */
int db_checkpoint(struct db *db, int restart);
/* The frames (pages) the WAL held after this connection's last commit:
 * what a checkpoint then would copy, less what one copied since.  A
 * write after a checkpoint that copied them all starts the WAL again. */
int db_wal_frames(const struct db *db);
/* Size of the -wal file in bytes (0 when absent). */
long long db_wal_size(const struct db *db);
/* The WAL size past which a long job of many write transactions
 * checkpoints between them (the opts' wal_max: wal_restart_bytes for a
 * command's writer), or 0 when it should not. */
long long db_wal_max(const struct db *db);

/* Bound the run time of the statements that follow: the progress handler
 * interrupts any statement after `ms` (0: the connection's default). */
void db_deadline_start(struct db *db, long ms);
void db_deadline_clear(struct db *db);
/* The ms of the last db_deadline_start (the connection's default
 * resolved), so that a caller can lend the connection a longer deadline
 * and then give the request its own budget afresh. */
long db_deadline_budget(const struct db *db);
/* 1 when a deadline is set and has passed: a statement that failed with
 * SQLITE_INTERRUPT ran out of time rather than into an error. */
int db_deadline_passed(struct db *db);

/* From now on every statement on db is interrupted (SQLITE_INTERRUPT)
 * within DB_PROGRESS_OPS steps, the one running included: how a thread
 * stops another's long work on a connection about to be closed.  Safe
 * from any thread. */
void db_cancel(struct db *db);

/* Human message for the last error on this connection (borrowed). */
const char *db_errmsg(struct db *db);

#endif
