/*
 * db: connection setup, migrations, statement cache, the write lock.
 * Layer: lib/; depends on sqlite3, tokenizer, fsutil, config, jansson;
 * never microhttpd.h.
 */
#include "db.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "fsutil.h"
#include "log.h"
#include "rank.h"
#include "snippet.h"
#include "tokenizer.h"
#include "version.h"

struct stmt_slot {
    const char *sql; /* key: address of a static string */
    sqlite3_stmt *st;
};

/* The wal-index header: its first copy, the bytes a reader compares
 * (https://sqlite.org/walformat.html, "The WAL-Index Header"). */
#define DB_WAL_HDR 48
#define DB_WAL_REGION 32768

struct db {
    sqlite3 *h;
    char *path;
    char *lock_path;
    int lock_fd;
    int flags;
    long lock_timeout_ms;
    long long wal_max;
    atomic_int cancelled;       /* db_cancel */
    struct timespec released;   /* when it last let go of the lock (0: never) */
    struct timespec held_since; /* lock_acquire's fairness */
    int wal_frames;             /* db_wal_frames */
    long query_timeout_ms;
    struct timespec deadline; /* tv_sec 0: none */
    long budget_ms;           /* of the last db_deadline_start */
    pthread_mutex_t write_mu; /* one writer per connection at a time */
    const char *write_file;   /* who holds the write, for diagnostics */
    int write_line;
    struct stmt_slot *slots; /* open addressing, power-of-two size */
    size_t nslots, used;
    /* db_changed: what this connection saw at its last look */
    unsigned char seen_hdr[DB_WAL_HDR]; /* the wal-index header */
    int64_t seen_version;               /* or PRAGMA data_version */
    int seen;                           /* 0 none, 1 header, 2 version */
    int wal; /* 0 not known yet, 1 WAL with shared memory, 2 neither */
};

/* How many VM steps between two looks at the clock. */
#define DB_PROGRESS_OPS 4000

/* Readers map the database file: pages come straight from the kernel's
 * page cache, shared by every reader thread, instead of being copied by
 * pread into a small private cache per connection (search spent a fifth
 * of its time in that copy).  SQLite caps the size at its compile-time
 * maximum (2 GiB in Debian's build) and still reads pages in the WAL
 * through the WAL.  Writers keep pread, so a write never goes through a
 * mapping. */
#define DB_READER_MMAP "PRAGMA mmap_size = 2147418112"

int
db_deadline_passed(struct db *db)
{
    struct timespec now;

    if (db->deadline.tv_sec == 0) {
        return 0;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec > db->deadline.tv_sec ||
           (now.tv_sec == db->deadline.tv_sec &&
            now.tv_nsec >= db->deadline.tv_nsec);
}

static int
progress_cb(void *arg)
{
    struct db *db = arg;

    return atomic_load_explicit(&db->cancelled, memory_order_relaxed) ||
           db_deadline_passed(db);
}

/* After each commit this connection makes: how many frames the WAL
 * holds. */
static int
wal_cb(void *arg, sqlite3 *h, const char *name, int frames)
{
    struct db *db = arg;

    (void)h;
    if (strcmp(name, "main") == 0) {
        db->wal_frames = frames;
    }
    return SQLITE_OK;
}

int
db_wal_frames(const struct db *db)
{
    return db->wal_frames;
}

void
db_cancel(struct db *db)
{
    atomic_store(&db->cancelled, 1);
}

long
db_deadline_budget(const struct db *db)
{
    return db->budget_ms > 0 ? db->budget_ms : db->query_timeout_ms;
}

void
db_deadline_start(struct db *db, long ms)
{
    if (ms <= 0) {
        ms = db->query_timeout_ms;
    }
    db->budget_ms = ms;
    clock_gettime(CLOCK_MONOTONIC, &db->deadline);
    db->deadline.tv_sec += ms / 1000;
    db->deadline.tv_nsec += (ms % 1000) * 1000000L;
    if (db->deadline.tv_nsec >= 1000000000L) {
        db->deadline.tv_sec++;
        db->deadline.tv_nsec -= 1000000000L;
    }
}

void
db_deadline_clear(struct db *db)
{
    db->deadline.tv_sec = 0;
    db->deadline.tv_nsec = 0;
}

sqlite3 *
db_handle(struct db *db)
{
    return db->h;
}

const char *
db_path(const struct db *db)
{
    return db->path;
}

const char *
db_errmsg(struct db *db)
{
    return sqlite3_errmsg(db->h);
}

int
db_exec(struct db *db, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(db->h, sql, NULL, NULL, &msg);

    if (rc != SQLITE_OK) {
        LOG_DEBUG("sql error: %s", msg ? msg : sqlite3_errstr(rc));
    }
    sqlite3_free(msg);
    return rc;
}

/* Step a cached statement without results to its end. */
static int
step_done(struct db *db, const char *sql)
{
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc;

    if (st == NULL) {
        return sqlite3_errcode(db->h);
    }
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
db_read_begin(struct db *db)
{
    static const char sql[] = "BEGIN";

    return step_done(db, sql);
}

void
db_read_end(struct db *db)
{
    static const char commit[] = "COMMIT", rollback[] = "ROLLBACK";

    if (sqlite3_get_autocommit(db->h)) {
        return;
    }
    if (step_done(db, commit) != SQLITE_OK) {
        step_done(db, rollback);
    }
}

int
db_data_version(struct db *db, int64_t *v)
{
    static const char sql[] = "PRAGMA data_version";
    sqlite3_stmt *st = db_stmt(db, sql);
    int rc;

    if (st == NULL) {
        return SQLITE_ERROR;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    sqlite3_reset(st);
    return rc;
}

/* Copy the wal-index header of db's main database into hdr, read from
 * the shared memory SQLite itself maps (the VFS's xShmMap of region 0,
 * already mapped by an earlier read).  1 when copied and stable (both
 * copies equal, initialised), 0 when there is none to read (not WAL, not
 * yet mapped, an immutable file) or a writer is changing it right now. */
static int
wal_header(struct db *db, unsigned char hdr[DB_WAL_HDR])
{
    sqlite3_file *f = NULL;
    volatile void *p = NULL;
    const volatile unsigned char *h;
    unsigned char second[DB_WAL_HDR];
    int rc;

    /* xShmMap would open (even create) the -shm file of a connection that
     * has none: ask once whether this one is in WAL mode, and never for an
     * immutable snapshot, which must stay alone in its directory. */
    if (db->wal == 0) {
        sqlite3_stmt *st = NULL;

        db->wal = 2;
        if (!(db->flags & DB_IMMUTABLE) &&
            sqlite3_prepare_v2(db->h, "PRAGMA journal_mode", -1, &st, NULL) ==
                SQLITE_OK &&
            sqlite3_step(st) == SQLITE_ROW &&
            sqlite3_stricmp((const char *)sqlite3_column_text(st, 0), "wal") ==
                0) {
            db->wal = 1;
        }
        sqlite3_finalize(st);
    }
    if (db->wal != 1) {
        return 0;
    }
    if (sqlite3_file_control(db->h, "main", SQLITE_FCNTL_FILE_POINTER, &f) !=
            SQLITE_OK ||
        f == NULL || f->pMethods == NULL || f->pMethods->iVersion < 2 ||
        f->pMethods->xShmMap == NULL) {
        return 0;
    }
    rc = f->pMethods->xShmMap(f, 0, DB_WAL_REGION, 0, &p);
    if ((rc != SQLITE_OK && rc != SQLITE_READONLY) || p == NULL) {
        return 0;
    }
    h = p;
    /* A writer fills the second copy, then the first (walIndexWriteHdr):
     * read them in the other order, as SQLite's readers do. */
    memcpy(hdr, (const void *)h, DB_WAL_HDR);
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    memcpy(second, (const void *)(h + DB_WAL_HDR), DB_WAL_HDR);
    /* isInit, byte 12: 0 while the index is being rebuilt. */
    return memcmp(hdr, second, DB_WAL_HDR) == 0 && hdr[12] != 0;
}

int
db_changed(struct db *db)
{
    unsigned char hdr[DB_WAL_HDR];
    int64_t v = 0;

    if (db->seen == 1 && wal_header(db, hdr)) {
        if (memcmp(hdr, db->seen_hdr, DB_WAL_HDR) == 0) {
            return 0;
        }
        memcpy(db->seen_hdr, hdr, DB_WAL_HDR);
        return 1;
    }
    /* The first look, or no stable header: a read transaction of its own
     * sees every commit finished before it; then the header is mapped and
     * current, and the next look can use it. */
    if (db_data_version(db, &v) != SQLITE_OK) {
        db->seen = 0;
        return 1;
    }
    if (wal_header(db, hdr)) {
        int same = db->seen == 1 && memcmp(hdr, db->seen_hdr, DB_WAL_HDR) == 0;

        memcpy(db->seen_hdr, hdr, DB_WAL_HDR);
        db->seen = 1;
        db->seen_version = v;
        return !same;
    }
    if (db->seen == 2 && v == db->seen_version) {
        return 0;
    }
    db->seen = 2;
    db->seen_version = v;
    return 1;
}

int
db_user_version(struct db *db)
{
    sqlite3_stmt *st;
    int v = -1;

    if (sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL) !=
        SQLITE_OK) {
        return -1;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        v = sqlite3_column_int(st, 0);
    }
    sqlite3_finalize(st);
    return v;
}

/* ---- statement cache ---- */

static size_t
slot_hash(const char *sql, size_t nslots)
{
    uintptr_t x = (uintptr_t)sql;

    x ^= x >> 17;
    x *= 0x9e3779b97f4a7c15ULL;
    return (size_t)(x >> 7) & (nslots - 1);
}

/* Double the table; the statements move, nothing is re-prepared. */
static int
slots_grow(struct db *db)
{
    size_t n = db->nslots ? db->nslots * 2 : 64, i;
    struct stmt_slot *s = kw_calloc(n, sizeof(*s));

    if (s == NULL) {
        return -1;
    }
    for (i = 0; i < db->nslots; i++) {
        if (db->slots[i].sql != NULL) {
            size_t j = slot_hash(db->slots[i].sql, n);

            while (s[j].sql != NULL) {
                j = (j + 1) & (n - 1);
            }
            s[j] = db->slots[i];
        }
    }
    kw_free(db->slots);
    db->slots = s;
    db->nslots = n;
    return 0;
}

sqlite3_stmt *
db_stmt(struct db *db, const char *sql)
{
    size_t i;
    sqlite3_stmt *st = NULL;

    if (db->used * 2 >= db->nslots && slots_grow(db) < 0) {
        return NULL;
    }
    i = slot_hash(sql, db->nslots);
    while (db->slots[i].sql != NULL) {
        if (db->slots[i].sql == sql) {
            st = db->slots[i].st;
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            return st;
        }
        i = (i + 1) & (db->nslots - 1);
    }
    if (sqlite3_prepare_v3(db->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
                           NULL) != SQLITE_OK) {
        LOG_ERROR("prepare failed: %s: %.200s", sqlite3_errmsg(db->h), sql);
        return NULL;
    }
    db->slots[i].sql = sql;
    db->slots[i].st = st;
    db->used++;
    return st;
}

/* Parameter index for a name, or 0 after logging the programming error. */
static int
param_index(sqlite3_stmt *st, const char *name)
{
    int i = sqlite3_bind_parameter_index(st, name);

    if (i == 0) {
        LOG_ERROR("bind: no parameter %s in: %.200s", name, sqlite3_sql(st));
        assert(!"bind to an unknown parameter name");
    }
    return i;
}

int
db_bind_textn(sqlite3_stmt *st, const char *name, const char *s, size_t n)
{
    int i = param_index(st, name);

    if (i == 0) {
        return SQLITE_RANGE;
    }
    if (s == NULL) {
        return sqlite3_bind_null(st, i);
    }
    return sqlite3_bind_text64(st, i, s, n, SQLITE_TRANSIENT, SQLITE_UTF8);
}

int
db_bind_text(sqlite3_stmt *st, const char *name, const char *s)
{
    return db_bind_textn(st, name, s, s ? strlen(s) : 0);
}

int
db_bind_int64(sqlite3_stmt *st, const char *name, int64_t v)
{
    int i = param_index(st, name);

    return i == 0 ? SQLITE_RANGE : sqlite3_bind_int64(st, i, v);
}

int
db_bind_blob(sqlite3_stmt *st, const char *name, const void *p, size_t n)
{
    int i = param_index(st, name);

    if (i == 0) {
        return SQLITE_RANGE;
    }
    return sqlite3_bind_blob64(st, i, p, n, SQLITE_TRANSIENT);
}

int
db_bind_null(sqlite3_stmt *st, const char *name)
{
    int i = param_index(st, name);

    return i == 0 ? SQLITE_RANGE : sqlite3_bind_null(st, i);
}

int
db_run_int64(struct db *db, const char *sql, const char *name, int64_t v)
{
    sqlite3_stmt *st = db_stmt(db, sql);

    if (st == NULL || db_bind_int64(st, name, v) != SQLITE_OK) {
        return -1;
    }
    return db_step_done(st);
}

int
db_step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int
db_step_insert(sqlite3_stmt *st, int64_t *id)
{
    int rc = db_step_done(st);

    *id = rc == 0 ? sqlite3_last_insert_rowid(sqlite3_db_handle(st)) : 0;
    return rc;
}

int
db_one(sqlite3_stmt *st, int (*read)(sqlite3_stmt *st, void *ctx), void *ctx)
{
    int rc = sqlite3_step(st);

    if (rc == SQLITE_ROW) {
        rc = read(st, ctx) == 0 ? 1 : -1;
    } else {
        rc = rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_reset(st);
    return rc;
}

static int
read_int64(sqlite3_stmt *st, void *v)
{
    *(int64_t *)v = sqlite3_column_int64(st, 0);
    return 0;
}

int
db_one_int64(sqlite3_stmt *st, int64_t *v)
{
    return db_one(st, read_int64, v);
}

int
db_setting_int(struct db *db, const char *key, int64_t *v)
{
    static const char sql[] = "SELECT CAST(value AS INTEGER) FROM setting"
                              " WHERE key = :k";
    sqlite3_stmt *st = db_stmt(db, sql);

    return st == NULL || db_bind_text(st, ":k", key) != SQLITE_OK
               ? -1
               : db_one_int64(st, v);
}

static int
read_text(sqlite3_stmt *st, void *s)
{
    *(char **)s = db_column_dup(st, 0);
    return *(char **)s == NULL && sqlite3_column_type(st, 0) != SQLITE_NULL ? -1
                                                                            : 0;
}

int
db_one_text(sqlite3_stmt *st, char **s)
{
    *s = NULL;
    return db_one(st, read_text, s);
}

char *
db_column_dup(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);

    if (t == NULL) {
        return NULL;
    }
    return kw_strndup((const char *)t, (size_t)sqlite3_column_bytes(st, col));
}

json_t *
db_column_json(sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);

    return t != NULL ? json_string(t) : json_null();
}

/* ---- the write lock ---- */

/* How often a writer waiting for the lock tries it, and the pause of a
 * writer that keeps taking it back.  flock queues nobody: a job of
 * back-to-back transactions (an ingest's groups, the merges after it, a
 * build of the impact lists) took it back within microseconds, and a
 * writer polling beside it waited 4 to 12 s at a time through a
 * 30,000-page ingest, longer than the moderation form's lock_timeout_ms.
 * So a connection that has kept the lock, but for gaps shorter than the
 * pause, for DB_LOCK_FAIR_MS pauses DB_LOCK_YIELD_MS (two polls) before it
 * takes it again: a waiter gets in within that plus one transaction.  A
 * pause at every take cost 4 to 7% of an ingest (172 merge rounds). */
#define DB_LOCK_POLL_MS 2
#define DB_LOCK_YIELD_MS 5
#define DB_LOCK_FAIR_MS 50

/* Milliseconds from a to b. */
static long
ms_between(const struct timespec *a, const struct timespec *b)
{
    return (long)((b->tv_sec - a->tv_sec) * 1000 +
                  (b->tv_nsec - a->tv_nsec) / 1000000L);
}

/* flock with a deadline: poll LOCK_NB so the wait is bounded.  First the
 * pause owed to waiters (DB_LOCK_FAIR_MS). */
static int
lock_acquire(struct db *db)
{
    struct timespec start, now, nap = {0, DB_LOCK_POLL_MS * 1000000L};
    long waited;

    clock_gettime(CLOCK_MONOTONIC, &start);
    if (db->released.tv_sec == 0 ||
        ms_between(&db->released, &start) >= DB_LOCK_YIELD_MS) {
        db->held_since = start; /* a gap a waiter could take */
    } else if (ms_between(&db->held_since, &start) >= DB_LOCK_FAIR_MS) {
        struct timespec y = {0, DB_LOCK_YIELD_MS * 1000000L};

        nanosleep(&y, NULL);
        clock_gettime(CLOCK_MONOTONIC, &start);
        db->held_since = start;
    }
    for (;;) {
        if (flock(db->lock_fd, LOCK_EX | LOCK_NB) == 0) {
            return 0;
        }
        if (errno != EWOULDBLOCK && errno != EINTR) {
            return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        waited = ms_between(&start, &now);
        if (waited >= db->lock_timeout_ms) {
            errno = ETIMEDOUT;
            return -1;
        }
        nanosleep(&nap, NULL);
    }
}

static void
lock_release(struct db *db)
{
    flock(db->lock_fd, LOCK_UN);
    clock_gettime(CLOCK_MONOTONIC, &db->released);
}

int
db_write_begin_at(struct db *db, const char *file, int line)
{
    int rc;

    if (db->flags & DB_READONLY) {
        return SQLITE_READONLY;
    }
    pthread_mutex_lock(&db->write_mu);
    if (lock_acquire(db) < 0) {
        LOG_WARN("write lock on %s not acquired within %ld ms (%s:%d)",
                 db->lock_path, db->lock_timeout_ms, file, line);
        pthread_mutex_unlock(&db->write_mu);
        return SQLITE_BUSY;
    }
    rc = db_exec(db, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK) {
        lock_release(db);
        pthread_mutex_unlock(&db->write_mu);
        return rc;
    }
    db->write_file = file;
    db->write_line = line;
    return SQLITE_OK;
}

/* Release both locks after the transaction has ended either way. */
static void
write_end(struct db *db)
{
    db->write_file = NULL;
    lock_release(db);
    pthread_mutex_unlock(&db->write_mu);
}

int
db_write_commit(struct db *db)
{
    int rc = db_exec(db, "COMMIT");

    if (rc != SQLITE_OK) {
        LOG_ERROR("commit failed (%s:%d): %s", db->write_file, db->write_line,
                  sqlite3_errmsg(db->h));
        if (!sqlite3_get_autocommit(db->h)) {
            db_exec(db, "ROLLBACK");
        }
    }
    write_end(db);
    return rc;
}

void
db_write_rollback(struct db *db)
{
    if (!sqlite3_get_autocommit(db->h)) {
        db_exec(db, "ROLLBACK");
    }
    write_end(db);
}

int
db_analyze(struct db *w)
{
    /* The ordinary tables, not the full-text indexes' shadow tables:
     * SQLite reads those by key only, and counting their rows (ANALYZE
     * counts every table's, whatever analysis_limit) read the whole of
     * both indexes: 86 s at a million documents from a cold disk, 12 s
     * warm. */
    static const char tables[] = "SELECT name FROM pragma_table_list"
                                 " WHERE schema = 'main' AND type = 'table'"
                                 " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'";
    sqlite3_stmt *st = db_stmt(w, tables);
    int rc = db_exec(w, "PRAGMA analysis_limit = 400");

    if (st == NULL) {
        return SQLITE_ERROR;
    }
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        char *sql = sqlite3_mprintf("ANALYZE main.\"%w\"",
                                    (const char *)sqlite3_column_text(st, 0));

        rc = sql != NULL ? db_exec(w, sql) : SQLITE_NOMEM;
        sqlite3_free(sql);
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

long long
db_wal_size(const struct db *db)
{
    char p[4096];
    struct stat st;

    snprintf(p, sizeof(p), "%s-wal", db->path);
    return stat(p, &st) == 0 ? (long long)st.st_size : 0;
}

long long
db_wal_max(const struct db *db)
{
    return db->wal_max;
}

int
db_checkpoint(struct db *db, int restart)
{
    int rc, nlog = 0, nckpt = 0;

    if (db->flags & DB_READONLY) {
        return SQLITE_READONLY;
    }
    /* Under the cross-process lock, passive ones too: SQLite 3.40.1 lacks
     * the WAL-reset fix (hostile-world trap 1), and a checkpoint beside
     * another process's write can lose committed data.  So a checkpoint's
     * length is a wait for every other writer: long jobs checkpoint often
     * and little (impact.h, IMPACT_CHECKPOINT_PAGES). */
    pthread_mutex_lock(&db->write_mu);
    if (lock_acquire(db) < 0) {
        pthread_mutex_unlock(&db->write_mu);
        return SQLITE_BUSY;
    }
    rc = sqlite3_wal_checkpoint_v2(db->h, NULL,
                                   restart ? SQLITE_CHECKPOINT_TRUNCATE
                                           : SQLITE_CHECKPOINT_PASSIVE,
                                   &nlog, &nckpt);
    lock_release(db);
    pthread_mutex_unlock(&db->write_mu);
    return rc;
}

/* ---- migrations ---- */

/* Number of a migration file name "NNNN_name.sql", or -1. */
static int
migration_number(const char *name)
{
    size_t n = strlen(name);
    int i, v = 0;

    if (n < 10 || strcmp(name + n - 4, ".sql") != 0 || name[4] != '_') {
        return -1;
    }
    for (i = 0; i < 4; i++) {
        if (name[i] < '0' || name[i] > '9') {
            return -1;
        }
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

/* Apply every migration above the file's user_version, each in its own
 * write transaction together with the new user_version. */
static int
migrate(struct db *db, const char *dir, struct db_error *err)
{
    char *files[KW_SCHEMA_VERSION + 1] = {0};
    int have = db_user_version(db), rc = -1, v;
    DIR *d;
    struct dirent *de;

    if (have > KW_SCHEMA_VERSION) {
        snprintf(err->msg, sizeof(err->msg),
                 "%s: database schema version %d is newer than this "
                 "program understands (%d); use a newer kwangmyong",
                 db->path, have, KW_SCHEMA_VERSION);
        return -1;
    }
    if (have == KW_SCHEMA_VERSION) {
        return 0;
    }
    d = opendir(dir);
    if (d == NULL) {
        snprintf(err->msg, sizeof(err->msg), "%s: %s (migrations)", dir,
                 strerror(errno));
        return -1;
    }
    while ((de = readdir(d)) != NULL) {
        v = migration_number(de->d_name);
        if (v >= 1 && v <= KW_SCHEMA_VERSION && files[v] == NULL) {
            files[v] = kw_strdup(de->d_name);
        }
    }
    closedir(d);
    for (v = have + 1; v <= KW_SCHEMA_VERSION; v++) {
        char path[4096], pragma[64];
        char *sql;
        size_t len;

        if (files[v] == NULL) {
            snprintf(err->msg, sizeof(err->msg),
                     "%s: migration %04d is missing", dir, v);
            goto out;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, files[v]);
        if (fs_read_file(path, 16 * 1024 * 1024, &sql, &len) < 0) {
            snprintf(err->msg, sizeof(err->msg), "%.300s: %s", path,
                     strerror(errno));
            goto out;
        }
        if (db_write_begin(db) != SQLITE_OK) {
            snprintf(err->msg, sizeof(err->msg),
                     "%s: cannot start migration %04d: %s", db->path, v,
                     sqlite3_errmsg(db->h));
            kw_free(sql);
            goto out;
        }
        snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v);
        if (db_exec(db, sql) != SQLITE_OK || db_exec(db, pragma) != SQLITE_OK) {
            snprintf(err->msg, sizeof(err->msg), "%s: migration %s failed: %s",
                     db->path, files[v], sqlite3_errmsg(db->h));
            db_write_rollback(db);
            kw_free(sql);
            goto out;
        }
        kw_free(sql);
        if (db_write_commit(db) != SQLITE_OK) {
            snprintf(err->msg, sizeof(err->msg), "%s: migration %s: %s",
                     db->path, files[v], sqlite3_errmsg(db->h));
            goto out;
        }
    }
    rc = 0;
out:
    for (v = 0; v <= KW_SCHEMA_VERSION; v++) {
        kw_free(files[v]);
    }
    return rc;
}

/* ---- open / close ---- */

/* Apply the trap-2 settings; readers also get query_only. */
static int
configure(struct db *db, const struct db_opts *o, struct db_error *err)
{
    char sql[256];
    int on = 1;

    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_db_config(db->h, SQLITE_DBCONFIG_DEFENSIVE, 1, &on);
    on = 0;
    sqlite3_db_config(db->h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, &on);
    sqlite3_db_config(db->h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, &on);
    sqlite3_busy_timeout(db->h, (int)o->busy_timeout_ms);
    sqlite3_wal_autocheckpoint(db->h, 0);
    /* After the line above, which sets a hook of its own. */
    sqlite3_wal_hook(db->h, wal_cb, db);
    sqlite3_progress_handler(db->h, DB_PROGRESS_OPS, progress_cb, db);
    if (tokenizer_register(db->h) != SQLITE_OK ||
        rank_register(db->h) != SQLITE_OK ||
        snippet_register(db->h) != SQLITE_OK) {
        snprintf(err->msg, sizeof(err->msg),
                 "this SQLite has no FTS5 (or the kwtok tokenizer failed to "
                 "register): %s",
                 sqlite3_errmsg(db->h));
        return -1;
    }
    snprintf(sql, sizeof(sql),
             "PRAGMA foreign_keys = ON; PRAGMA trusted_schema = OFF;"
             "PRAGMA synchronous = FULL; PRAGMA journal_size_limit = %d;",
             64 * 1024 * 1024);
    if (db_exec(db, sql) != SQLITE_OK) {
        goto fail;
    }
    if (!(o->flags & DB_READONLY)) {
        sqlite3_stmt *st;
        int wal = 0;

        if (sqlite3_prepare_v2(db->h, "PRAGMA journal_mode = WAL", -1, &st,
                               NULL) != SQLITE_OK) {
            goto fail;
        }
        if (sqlite3_step(st) == SQLITE_ROW) {
            wal = strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
        }
        sqlite3_finalize(st);
        if (!wal) {
            snprintf(err->msg, sizeof(err->msg),
                     "%s: cannot switch to WAL mode", db->path);
            return -1;
        }
    } else if (db_exec(db, "PRAGMA query_only = 1") != SQLITE_OK ||
               db_exec(db, DB_READER_MMAP) != SQLITE_OK) {
        goto fail;
    }
    return 0;
fail:
    snprintf(err->msg, sizeof(err->msg), "%s: %s", db->path,
             sqlite3_errmsg(db->h));
    return -1;
}

/* "file:PATH?immutable=1" with PATH's bytes that a URI gives a meaning
 * ('?', '#', '%', and everything outside printable ASCII) escaped; a
 * relative path stays relative.  New string, or NULL. */
static char *
immutable_uri(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(path), i, k = 0;
    char *u = kw_malloc(3 * n + 32);

    if (u == NULL) {
        return NULL;
    }
    memcpy(u, "file:", 5);
    k = 5;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];

        if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '%') {
            u[k++] = '%';
            u[k++] = hex[c >> 4];
            u[k++] = hex[c & 15];
        } else {
            u[k++] = (char)c;
        }
    }
    memcpy(u + k, "?immutable=1", sizeof("?immutable=1"));
    return u;
}

int
db_open(const struct db_opts *o, struct db **out, struct db_error *err)
{
    struct db *db;
    int oflags = SQLITE_OPEN_NOMUTEX;
    size_t n;

    *out = NULL;
    err->msg[0] = '\0';
    db = kw_calloc(1, sizeof(*db));
    if (db == NULL) {
        snprintf(err->msg, sizeof(err->msg), "out of memory");
        return -1;
    }
    db->lock_fd = -1;
    db->flags = o->flags;
    db->lock_timeout_ms = o->lock_timeout_ms > 0 ? o->lock_timeout_ms : 10000;
    db->wal_max = o->wal_max > 0 ? o->wal_max : 0;
    db->query_timeout_ms = o->query_timeout_ms > 0 ? o->query_timeout_ms : 2000;
    pthread_mutex_init(&db->write_mu, NULL);
    n = strlen(o->path);
    db->path = kw_strdup(o->path);
    db->lock_path = kw_malloc(n + 6);
    if (db->path == NULL || db->lock_path == NULL) {
        snprintf(err->msg, sizeof(err->msg), "out of memory");
        goto fail;
    }
    snprintf(db->lock_path, n + 6, "%s.lock", o->path);
    /* The writer connection is shared by server threads under write_mu,
     * so it needs SQLite's own mutex; readers are one per thread. */
    if (!(o->flags & DB_READONLY)) {
        oflags = SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_READWRITE;
        if (o->flags & DB_CREATE) {
            oflags |= SQLITE_OPEN_CREATE;
        }
    } else if (o->flags & DB_IMMUTABLE) {
        oflags |= SQLITE_OPEN_READONLY | SQLITE_OPEN_URI;
    } else {
        /* Read-write open plus query_only: a read-only open cannot
         * recover a WAL index the writer left behind. */
        oflags |= SQLITE_OPEN_READWRITE;
    }
    if ((o->flags & DB_READONLY) && (o->flags & DB_IMMUTABLE)) {
        char *uri = immutable_uri(o->path);
        int rc = uri == NULL ? SQLITE_NOMEM
                             : sqlite3_open_v2(uri, &db->h, oflags, NULL);

        kw_free(uri);
        if (rc != SQLITE_OK) {
            snprintf(err->msg, sizeof(err->msg), "%s: %s", o->path,
                     db->h ? sqlite3_errmsg(db->h) : "out of memory");
            goto fail;
        }
    } else if (sqlite3_open_v2(o->path, &db->h, oflags, NULL) != SQLITE_OK) {
        snprintf(err->msg, sizeof(err->msg), "%s: %s", o->path,
                 db->h ? sqlite3_errmsg(db->h) : "out of memory");
        goto fail;
    }
    if (!(o->flags & DB_READONLY)) {
        db->lock_fd = open(db->lock_path,
                           O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (db->lock_fd < 0) {
            snprintf(err->msg, sizeof(err->msg), "%s: %s", db->lock_path,
                     strerror(errno));
            goto fail;
        }
    }
    if (configure(db, o, err) < 0) {
        goto fail;
    }
    if (o->flags & DB_READONLY) {
        int v = db_user_version(db);

        if (v != KW_SCHEMA_VERSION) {
            snprintf(err->msg, sizeof(err->msg),
                     "%s: schema version %d, this program needs %d", o->path, v,
                     KW_SCHEMA_VERSION);
            goto fail;
        }
    } else if (o->migrations_dir != NULL &&
               migrate(db, o->migrations_dir, err) < 0) {
        goto fail;
    }
    *out = db;
    return 0;
fail:
    db_close(db);
    return -1;
}

int
db_open_writer(const struct config *cfg, const char *data_dir, struct db **out,
               struct db_error *err)
{
    struct db_opts o = {0};
    char mig[4200];

    snprintf(mig, sizeof(mig), "%s/db/migrations", data_dir);
    o.path = cfg->db;
    o.migrations_dir = mig;
    o.flags = DB_CREATE;
    o.busy_timeout_ms = cfg->busy_timeout_ms;
    o.lock_timeout_ms = cfg->lock_timeout_ms;
    o.query_timeout_ms = cfg->query_timeout_ms;
    o.wal_max = cfg->wal_restart_bytes;
    return db_open(&o, out, err);
}

void
db_close(struct db *db)
{
    size_t i;

    if (db == NULL) {
        return;
    }
    for (i = 0; i < db->nslots; i++) {
        if (db->slots[i].st != NULL) {
            sqlite3_finalize(db->slots[i].st);
        }
    }
    kw_free(db->slots);
    if (db->h != NULL) {
        sqlite3_close_v2(db->h);
    }
    if (db->lock_fd >= 0) {
        close(db->lock_fd);
    }
    pthread_mutex_destroy(&db->write_mu);
    kw_free(db->path);
    kw_free(db->lock_path);
    kw_free(db);
}
