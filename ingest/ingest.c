/*
 * ingest: walk the given trees and files, convert documents in worker
 * processes, store them in grouped transactions, and report.  Layer:
 * ingest/.
 *
 * Crash safety: a document, its sections, FTS rows, links and attachment
 * commit together; its --ack-log line is written only after that COMMIT
 * returned.  A re-run compares the original bytes' sha256 with the stored
 * version and writes nothing for unchanged files, so a killed run is
 * finished by running it again.
 */
#include "ingest.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "audit.h"
#include "config.h"
#include "convert.h"
#include "exitcode.h"
#include "db.h"
#include "docindex.h"
#include "document.h"
#include "fetch.h"
#include "fsutil.h"
#include "html.h"
#include "impact.h"
#include "manifest.h"
#include "mime.h"
#include "policy.h"
#include "pool.h"
#include "store.h"
#include "strbuf.h"
#include "url.h"
#include "warc.h"
#include "zim.h"

#define WALK_MAX_DEPTH 64
#define WALK_MAX_FILES 2000000
/* A write transaction holds up to this many documents or lasts this
 * long: each COMMIT waits for an fsync while the workers' results queue
 * up (sqlite3-doc: 5.1 s with 64 documents or 250 ms, 4.7 s with these).
 * A crash loses at most one group, which the next run redoes. */
#define GROUP_DOCS 256
#define GROUP_MS 1000

enum kind { KIND_DOC, KIND_ASSET, KIND_SKIP };

struct entry {
    char *path; /* as opened */
    char *rel;  /* inside the tree, '/'-separated */
    enum kind kind;
    const char *why; /* reason when skipped (static) */
    int64_t mtime;
    int64_t size;
};

struct opts {
    const char *collection;
    const char *collection_title;
    const char *source_url;
    const char *language;
    const char *manifest;
    const char *fetch;
    const char *policy;
    const char *operator_name;
    const char *report;
    const char *ack_log;
    int approve;
    int dry_run;
    int jobs;
};

struct run {
    struct opts o;
    struct db *db;
    struct policy *policy;
    struct manifest manifest;
    struct entry *e;
    size_t n, cap;
    int64_t collection_id;
    int64_t batch_id;
    char tree_url[2048];
    int counts[4]; /* new, changed, unchanged, rejected */
    int skipped;
    long long bytes;
    json_t *files;   /* report: [{path, status, reason}] */
    json_t *reasons; /* report: {reason: count} */
    FILE *ack;
    struct fetch_result fetched; /* --fetch, WARC, ZIM: each capture */
    struct zim_result zim;       /* a ZIM archive's metadata, aliases */
    int is_zim;
    char zim_lang[16];
    int tty;
    size_t done, total;
    struct timespec start;
};

static double
elapsed(const struct run *r)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - r->start.tv_sec) +
           (double)(now.tv_nsec - r->start.tv_nsec) / 1e9;
}

void
ingest_usage(void)
{
    printf(
        "Usage: kwangmyong ingest [OPTIONS] --collection NAME PATH...\n"
        "Bring mirrored documents in as pending (or published with "
        "--approve).\n\n"
        "  --collection NAME        collection to add to (a-z 0-9 . _ -)\n"
        "  --collection-title TEXT  the collection's title\n"
        "  --source-url BASE        where the tree was mirrored from\n"
        "  --language CODE          language when a document does not say\n"
        "  --manifest FILE.jsonl    per-document metadata (wins over "
        "extracted)\n"
        "  --policy FILE            vetting policy (default: "
        "policy/default.policy)\n"
        "  --approve                publish at once; the audit log records "
        "the operator\n"
        "  --operator NAME          who runs this batch (default: $USER)\n"
        "  --report FILE.json       write the report as JSON\n"
        "  --ack-log FILE.jsonl     one line per document after its commit\n"
        "  --dry-run                run every check, write nothing\n"
        "  --jobs N                 worker processes (default: CPU cores + 2)\n"
        "  --fetch URLS.txt         retrieve the listed http(s) URLs first "
        "(hosts\n"
        "                           from the policy's fetch_allow only)\n"
        "A PATH is a directory tree, a file, or a WARC file (.warc, "
        ".warc.gz):\n"
        "its captured responses come in at their URLs (not mixed with other "
        "PATHs).\n"
        "A ZIM archive (.zim, read with zimdump from zim-tools) comes in "
        "alone, its\n"
        "entries at their paths below its Source URL, redirects as "
        "aliases.\n");
}

/* Report one file's outcome. */
static void
note(struct run *r, const char *rel, const char *status, const char *why)
{
    json_t *f = json_pack("{ssss}", "path", rel, "status", status);

    if (why != NULL) {
        json_object_set_new(f, "reason", json_string(why));
    }
    json_array_append_new(r->files, f);
}

static void
reject(struct run *r, const char *rel, const char *why)
{
    char key[96];
    const char *colon = strchr(why, ':');
    size_t n = colon ? (size_t)(colon - why) : strlen(why);
    json_t *c;

    /* Count by the reason's head ("too large: 9 bytes" -> "too large"). */
    snprintf(key, sizeof(key), "%.*s", (int)(n < 90 ? n : 90), why);
    c = json_object_get(r->reasons, key);
    json_object_set_new(r->reasons, key,
                        json_integer(c ? json_integer_value(c) + 1 : 1));
    r->counts[3]++;
    note(r, rel, "rejected", why);
    if (!r->tty) {
        return;
    }
    fprintf(stderr, "\r\033[K");
    fprintf(stderr, "rejected %s: %s\n", rel, why);
}

static void
progress(struct run *r)
{
    double t = elapsed(r), rate;

    if (!r->tty || r->total == 0) {
        return;
    }
    rate = t > 0 ? (double)r->done / t : 0;
    fprintf(stderr, "\r\033[K[%zu/%zu] %.0f docs/s ETA %.0fs", r->done,
            r->total, rate,
            rate > 0 ? (double)(r->total - r->done) / rate : 0.0);
}

static const char *const doc_ext[] = {".html",     ".htm", ".xhtml", ".md",
                                      ".markdown", ".txt", ".text",  ".pdf"};
/* Extension of name after dropping ".gz", or "". */
static const char *
ext_of(const char *name, char *buf, size_t n)
{
    const char *dot, *slash = strrchr(name, '/');
    size_t len = strlen(name);

    if (len > 3 && strcasecmp(name + len - 3, ".gz") == 0) {
        snprintf(buf, n, "%.*s", (int)(len - 3), name);
        name = buf;
    }
    dot = strrchr(name, '.');
    if (dot == NULL || (slash != NULL && dot < slash)) {
        return "";
    }
    return dot;
}

static enum kind
classify(const char *rel, const char **why)
{
    char buf[4096];
    const char *ext = ext_of(rel, buf, sizeof(buf));
    size_t i;

    for (i = 0; i < sizeof(doc_ext) / sizeof(doc_ext[0]); i++) {
        if (strcasecmp(ext, doc_ext[i]) == 0) {
            return KIND_DOC;
        }
    }
    if (mime_type(rel, MIME_ASSET) != NULL) {
        return KIND_ASSET;
    }
    *why = "unsupported file type";
    return KIND_SKIP;
}

static int
add(struct run *r, const char *path, const char *rel, enum kind k,
    const char *why, const struct stat *st)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        struct entry *e = kw_realloc(r->e, cap * sizeof(*e));

        if (e == NULL) {
            return -1;
        }
        r->e = e;
        r->cap = cap;
    }
    r->e[r->n].path = kw_strdup(path);
    r->e[r->n].rel = kw_strdup(rel);
    r->e[r->n].kind = k;
    r->e[r->n].why = why;
    r->e[r->n].mtime = st ? (int64_t)st->st_mtime : -1;
    r->e[r->n].size = st ? (int64_t)st->st_size : 0;
    if (r->e[r->n].path == NULL || r->e[r->n].rel == NULL) {
        return -1;
    }
    r->n++;
    return 0;
}

/* A file name we can carry in URLs and reports: valid UTF-8, no control
 * characters, no backslash. */
static int
good_name(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    for (; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f || *p == '\\') {
            return 0;
        }
    }
    return utf8_valid(s, strlen(s));
}

/* Walk dir (never following symlinks) adding entries under prefix. */
#ifdef KW_TEST_HOOKS
/* Test builds only: with KW_TEST_AFTER_WALK=FILE, make FILE once the walk
 * is done and wait (at most 60 s) until the test removes it, so a test can
 * change the tree between the walk and the reads without racing. */
static void
test_after_walk(void)
{
    const char *flag = getenv("KW_TEST_AFTER_WALK");
    int fd;
    int i;

    if (flag == NULL || *flag == '\0') {
        return;
    }
    fd = open(flag, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        return;
    }
    close(fd);
    for (i = 0; i < 6000 && access(flag, F_OK) == 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};

        nanosleep(&ts, NULL);
    }
}
#endif

static int
walk(struct run *r, const char *dir, const char *prefix, int depth)
{
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (depth > WALK_MAX_DEPTH) {
        return add(r, dir, prefix, KIND_SKIP, "directory nesting too deep",
                   NULL);
    }
    d = opendir(dir);
    if (d == NULL) {
        return add(r, dir, prefix[0] ? prefix : dir, KIND_SKIP,
                   "cannot read directory", NULL);
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        char path[8192], rel[8192];
        struct stat st;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        if (r->n >= WALK_MAX_FILES) {
            break;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        snprintf(rel, sizeof(rel), "%s%s", prefix, de->d_name);
        if (!good_name(de->d_name)) {
            rc = add(r, path, "(unprintable name)", KIND_SKIP,
                     "file name is not valid UTF-8 or has control "
                     "characters",
                     NULL);
            continue;
        }
        if (de->d_name[0] == '.') {
            /* .git, .htaccess, editor files: not read, not walked, but
             * listed like every other file we leave out. */
            rc = add(r, path, rel, KIND_SKIP, "hidden file", NULL);
            continue;
        }
        if (lstat(path, &st) < 0) {
            rc = add(r, path, rel, KIND_SKIP, "cannot stat", NULL);
        } else if (S_ISLNK(st.st_mode)) {
            rc = add(r, path, rel, KIND_SKIP, "symlink not followed", &st);
        } else if (S_ISDIR(st.st_mode)) {
            char sub[8200];

            snprintf(sub, sizeof(sub), "%s/", rel);
            rc = walk(r, path, sub, depth + 1);
        } else if (!S_ISREG(st.st_mode)) {
            rc = add(r, path, rel, KIND_SKIP, "not a regular file", &st);
        } else {
            const char *why = NULL;
            enum kind k = classify(rel, &why);

            rc = add(r, path, rel, k, why, &st);
        }
    }
    closedir(d);
    return rc;
}

/* The record of a fetched file, by its path in the fetch tree. */
static const struct fetch_record *
fetched(const struct run *r, const char *rel)
{
    return r->fetched.n > 0 ? fetch_find_path(&r->fetched, rel) : NULL;
}

/* The URLs of the document at tree path rel (url_doc; out freed by
 * url_doc_free).  0 or -1 (out of memory). */
static int
doc_urls(const struct run *r, const char *rel, struct url_doc *out)
{
    const struct manifest_entry *m = manifest_find_path(&r->manifest, rel);
    const struct fetch_record *f = fetched(r, rel);
    struct url_doc_in in;

    in.tree_url = r->tree_url;
    in.rel = rel;
    in.tree_is_source = r->o.source_url != NULL;
    in.manifest_url = m != NULL ? m->source_url : NULL;
    in.fetched_url = f != NULL ? f->final_url : NULL;
    return url_doc(&in, out);
}

/* Report the captures (--fetch, WARC files) that left no file in the
 * tree: refused ones as rejected, those left out on purpose as skipped.
 * list names the --fetch list for records without a URL. */
static void
note_captures(struct run *r, const char *list)
{
    size_t k;

    for (k = 0; k < r->fetched.n; k++) {
        const struct fetch_record *c = &r->fetched.r[k];
        char where[64];

        snprintf(where, sizeof(where), "%s:%d", list ? list : "", c->line);
        if (c->error != NULL) {
            reject(r, c->url ? c->url : where, c->error);
        } else if (c->skipped != NULL) {
            note(r, c->url ? c->url : where, "skipped", c->skipped);
            r->skipped++;
        }
    }
}

/* Unpack the WARC files argv[0..n) into the tree dir (warc.h), their
 * captures into r->fetched.  The tree's base URL becomes --source-url's,
 * or the site of the first page kept.  0, or -1 after a message. */
static int
unpack_warcs(struct run *r, char **argv, int n, const char *dir)
{
    struct warc_unpack *u;
    char err[1024];
    int i;

    if (warc_unpack_new(dir, r->policy, policy_max_size(r->policy),
                        r->o.source_url != NULL ? r->tree_url : NULL,
                        &r->fetched, &u, err, sizeof(err)) < 0) {
        fprintf(stderr, "kwangmyong ingest: %s\n", err);
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (warc_unpack_file(u, argv[i], err, sizeof(err)) < 0) {
            fprintf(stderr, "kwangmyong ingest: %s: %s\n", argv[i], err);
            warc_unpack_finish(u);
            return -1;
        }
    }
    if (warc_unpack_base(u)[0] != '\0') {
        snprintf(r->tree_url, sizeof(r->tree_url), "%s", warc_unpack_base(u));
        r->o.source_url = r->tree_url;
    }
    if (warc_unpack_finish(u) < 0) {
        fprintf(stderr, "kwangmyong ingest: out of memory\n");
        return -1;
    }
    return 0;
}

/* Unpack the ZIM archive path into the tree dir (zim.h), its entries
 * into r->fetched.  Its metadata give what the options did not: the base
 * URL (Source), the collection's title and language.  0; EXIT_BAD_INPUT
 * or EXIT_FATAL after a message. */
static int
unpack_zim(struct run *r, const char *path, const char *dir)
{
    struct zim_opts zo = {0};
    const char *t = getenv("KW_ZIMDUMP_TIMEOUT");
    char err[1024];
    int rc;

    zo.zimdump = getenv("KW_ZIMDUMP");
    if (t != NULL) {
        char *end;

        errno = 0;
        zo.timeout_s = strtoul(t, &end, 10);
        if (t[0] < '0' || t[0] > '9' || *end != '\0' || errno != 0 ||
            zo.timeout_s == 0) {
            fprintf(stderr,
                    "kwangmyong ingest: KW_ZIMDUMP_TIMEOUT is '%s', not a "
                    "number of seconds\n",
                    t);
            return EXIT_FATAL;
        }
    }
    zo.pol = r->policy;
    zo.max_bytes = policy_max_size(r->policy);
    zo.max_total = policy_archive_max_size(r->policy);
    zo.base = r->o.source_url != NULL ? r->tree_url : NULL;
    zo.fallback = r->tree_url;
    rc = zim_unpack(path, dir, &zo, &r->zim, &r->fetched, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "kwangmyong ingest: %s: %s\n", path, err);
        return rc == -1 ? EXIT_BAD_INPUT : EXIT_FATAL;
    }
    if (r->o.source_url == NULL && strcmp(r->zim.base, r->tree_url) != 0) {
        snprintf(r->tree_url, sizeof(r->tree_url), "%s", r->zim.base);
        r->o.source_url = r->tree_url;
    }
    if (r->o.collection_title == NULL) {
        r->o.collection_title = r->zim.meta.title;
    }
    if (r->o.language == NULL) {
        r->o.language = zim_language(r->zim.meta.language, r->zim_lang,
                                     sizeof(r->zim_lang));
    }
    return 0;
}

/* The archive's metadata, for the report (and so the batch's record). */
static json_t *
zim_report(const struct run *r)
{
    const struct zim_meta *m = &r->zim.meta;

    return json_pack("{s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s?,s:s,s:I}",
                     "title", m->title, "description", m->description,
                     "language", m->language, "source", m->source, "date",
                     m->date, "creator", m->creator, "publisher", m->publisher,
                     "name", m->name, "base_url", r->zim.base, "aliases",
                     (json_int_t)r->zim.nalias);
}

/* Record the archive's redirects as aliases, in one write. */
static int
store_aliases(struct run *r)
{
    size_t i;
    int ok = 1;

    if (r->zim.nalias == 0 || r->o.dry_run) {
        return 0;
    }
    if (db_write_begin(r->db) != SQLITE_OK) {
        fprintf(stderr, "kwangmyong ingest: cannot start a write\n");
        return -1;
    }
    for (i = 0; ok && i < r->zim.nalias; i++) {
        ok = store_alias(r->db, r->collection_id, r->zim.alias[i].path,
                         r->zim.alias[i].target) == 0;
    }
    if (!ok) {
        fprintf(stderr, "kwangmyong ingest: aliases: %s\n", db_errmsg(r->db));
        db_write_rollback(r->db);
        return -1;
    }
    if (db_write_commit(r->db) != SQLITE_OK) {
        fprintf(stderr, "kwangmyong ingest: aliases: %s\n", db_errmsg(r->db));
        return -1;
    }
    return 0;
}

static int
write_ack(struct run *r, const char *sha, int64_t id, const char *rel)
{
    json_t *j;
    char *s;

    if (r->ack == NULL) {
        return 0;
    }
    j = json_pack("{sssIssss}", "sha256", sha, "id", (json_int_t)id,
                  "collection", r->o.collection, "path", rel);
    s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (s == NULL) {
        return -1;
    }
    fprintf(r->ack, "%s\n", s);
    free(s);
    return 0;
}

/* A document waiting for its group's COMMIT before it is acknowledged. */
struct pending_ack {
    char sha[65];
    int64_t id;
    size_t entry;
};

struct group {
    struct pending_ack acks[GROUP_DOCS];
    int n;
    int open;
    struct timespec started;
};

static int
group_commit(struct run *r, struct group *g)
{
    int i;

    if (!g->open) {
        return 0;
    }
    g->open = 0;
    if (db_write_commit(r->db) != SQLITE_OK) {
        fprintf(stderr, "kwangmyong ingest: commit failed: %s\n",
                db_errmsg(r->db));
        return -1;
    }
    for (i = 0; i < g->n; i++) {
        write_ack(r, g->acks[i].sha, g->acks[i].id, r->e[g->acks[i].entry].rel);
    }
    if (r->ack != NULL && fflush(r->ack) != 0) {
        fprintf(stderr, "kwangmyong ingest: ack log: %s\n", strerror(errno));
        return -1;
    }
    g->n = 0;
    /* No server may be running to checkpoint for us: without this a
     * 100,000-document ingest grew the WAL to 23 GB.  A reader holding an
     * old snapshot makes the restart partial (SQLITE_BUSY); the next group
     * tries again. */
    if (db_wal_size(r->db) > db_wal_max(r->db)) {
        int rc = db_checkpoint(r->db, 1);

        if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
            fprintf(stderr, "kwangmyong ingest: checkpoint: %s\n",
                    db_errmsg(r->db));
        }
    }
    return 0;
}

/* End a write that db_write_begin opened: commit when the work in it
 * went well, else print why and roll back (a failed step leaves the
 * transaction open, and the next write on this connection would wait for
 * its own lock forever).  0, or -1 when rolled back or the commit failed;
 * the message starts with what. */
static int
write_finish(struct run *r, int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "kwangmyong ingest: %s%s\n", what, db_errmsg(r->db));
        db_write_rollback(r->db);
        return -1;
    }
    if (db_write_commit(r->db) != SQLITE_OK) {
        fprintf(stderr, "kwangmyong ingest: %s%s\n", what, db_errmsg(r->db));
        return -1;
    }
    return 0;
}

/* db_write_begin, saying why it failed. */
static int
write_start(struct run *r)
{
    int rc = db_write_begin(r->db);

    if (rc != SQLITE_OK) {
        fprintf(stderr, "kwangmyong ingest: cannot start a write on %s: %s\n",
                db_path(r->db),
                rc == SQLITE_BUSY ? "lock timeout" : db_errmsg(r->db));
        return -1;
    }
    return 0;
}

static int
group_begin(struct run *r, struct group *g)
{
    if (g->open) {
        return 0;
    }
    if (write_start(r) < 0) {
        return -1;
    }
    /* Statistics from a small first run would turn this run's lookups
     * into scans as it grows the table (document_stats_refresh); the
     * catalog's change log keeps its last generations only. */
    if (document_stats_refresh(r->db) < 0 ||
        docindex_changes_prune(r->db) < 0) {
        fprintf(stderr, "kwangmyong ingest: %s\n", db_errmsg(r->db));
        db_write_rollback(r->db);
        return -1;
    }
    g->open = 1;
    g->n = 0;
    clock_gettime(CLOCK_MONOTONIC, &g->started);
    return 0;
}

static int
group_due(const struct group *g)
{
    struct timespec now;

    if (!g->open) {
        return 0;
    }
    if (g->n >= GROUP_DOCS) {
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - g->started.tv_sec) * 1000 +
               (now.tv_nsec - g->started.tv_nsec) / 1000000L >=
           GROUP_MS;
}

/* Store one worker result.  -1 only for fatal errors. */
static int
handle_result(struct run *r, struct group *g, size_t i,
              const struct converted *res)
{
    struct entry *e = &r->e[i];
    struct store_doc d;
    struct url_doc url;
    const struct manifest_entry *m = manifest_find_path(&r->manifest, e->rel);
    char err[512];
    int64_t id;
    int outcome;

    r->done++;
    if (!res->ok) {
        reject(r, e->rel,
               res->reason != NULL ? res->reason : "conversion failed");
        return 0;
    }
    r->bytes += res->orig_size;
    if (r->o.dry_run) {
        note(r, e->rel, "checked", NULL);
        r->counts[0]++;
        return 0;
    }
    memset(&d, 0, sizeof(d));
    if (doc_urls(r, e->rel, &url) < 0) {
        url_doc_free(&url);
        fprintf(stderr, "kwangmyong ingest: out of memory\n");
        return -1;
    }
    d.collection_id = r->collection_id;
    d.batch_id = r->batch_id;
    d.collection = r->o.collection;
    d.rel = e->rel;
    d.source_url = url.source;
    d.doc_url = url.key;
    d.operator_name = r->o.operator_name;
    d.default_language = r->o.language;
    d.retrieved_at =
        fetched(r, e->rel) != NULL ? fetched(r, e->rel)->fetched_at : e->mtime;
    d.approve = r->o.approve;
    d.result = res;
    d.meta = m;
    if (group_begin(r, g) < 0) {
        url_doc_free(&url);
        return -1;
    }
    outcome = store_document(r->db, &d, &id, err, sizeof(err));
    url_doc_free(&url);
    if (outcome == STORE_FAILED) {
        /* The whole group goes back; its documents are not acknowledged
         * and the next run stores them. */
        db_write_rollback(r->db);
        g->open = 0;
        g->n = 0;
        fprintf(stderr, "kwangmyong ingest: %s: %s\n", e->rel, err);
        return -1;
    }
    r->counts[outcome]++;
    note(r, e->rel,
         outcome == STORE_NEW       ? "new"
         : outcome == STORE_CHANGED ? "changed"
                                    : "unchanged",
         NULL);
    snprintf(g->acks[g->n].sha, 65, "%s", res->orig_sha256);
    g->acks[g->n].id = id;
    g->acks[g->n].entry = i;
    g->n++;
    if (group_due(g)) {
        return group_commit(r, g);
    }
    return 0;
}

static int
store_assets(struct run *r)
{
    size_t i;
    int written = 0;

    for (i = 0; i < r->n; i++) {
        struct entry *e = &r->e[i];
        char *data;
        size_t len;
        int rc;

        if (e->kind != KIND_ASSET) {
            continue;
        }
        if (fs_read_tree_file(e->path, e->rel, policy_max_size(r->policy),
                              &data, &len) < 0) {
            note(r, e->rel, "skipped",
                 errno == EFBIG ? "asset too large" : "cannot read asset");
            r->skipped++;
            continue;
        }
        if (r->o.dry_run) {
            kw_free(data);
            note(r, e->rel, "checked", NULL);
            continue;
        }
        if (written == 0 && db_write_begin(r->db) != SQLITE_OK) {
            kw_free(data);
            fprintf(stderr, "kwangmyong ingest: cannot start a write\n");
            return -1;
        }
        rc = store_asset(r->db, r->collection_id, e->rel,
                         mime_type(e->rel, MIME_ASSET), (unsigned char *)data,
                         len);
        kw_free(data);
        if (rc < 0) {
            db_write_rollback(r->db);
            fprintf(stderr, "kwangmyong ingest: %s: %s\n", e->rel,
                    db_errmsg(r->db));
            return -1;
        }
        /* The report lists every file: a stored asset too. */
        note(r, e->rel, rc > 0 ? "asset" : "asset unchanged", NULL);
        if (++written >= 200) {
            if (db_write_commit(r->db) != SQLITE_OK) {
                return -1;
            }
            written = 0;
        }
    }
    if (written > 0 && db_write_commit(r->db) != SQLITE_OK) {
        return -1;
    }
    return 0;
}

static int
valid_collection(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > 64) {
        return 0;
    }
    return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n &&
           s[0] != '.';
}

static int
parse_opts(struct run *r, int argc, char **argv)
{
    static const struct option lo[] = {
        {"collection", required_argument, NULL, 'c'},
        {"collection-title", required_argument, NULL, 'T'},
        {"source-url", required_argument, NULL, 's'},
        {"language", required_argument, NULL, 'l'},
        {"manifest", required_argument, NULL, 'm'},
        {"fetch", required_argument, NULL, 'f'},
        {"policy", required_argument, NULL, 'p'},
        {"approve", no_argument, NULL, 'a'},
        {"operator", required_argument, NULL, 'o'},
        {"report", required_argument, NULL, 'r'},
        {"ack-log", required_argument, NULL, 'k'},
        {"dry-run", no_argument, NULL, 'n'},
        {"jobs", required_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'c':
            r->o.collection = optarg;
            break;
        case 'T':
            r->o.collection_title = optarg;
            break;
        case 's':
            r->o.source_url = optarg;
            break;
        case 'l':
            r->o.language = optarg;
            break;
        case 'm':
            r->o.manifest = optarg;
            break;
        case 'f':
            r->o.fetch = optarg;
            break;
        case 'p':
            r->o.policy = optarg;
            break;
        case 'a':
            r->o.approve = 1;
            break;
        case 'o':
            r->o.operator_name = optarg;
            break;
        case 'r':
            r->o.report = optarg;
            break;
        case 'k':
            r->o.ack_log = optarg;
            break;
        case 'n':
            r->o.dry_run = 1;
            break;
        case 'j':
            r->o.jobs = atoi(optarg);
            if (r->o.jobs < 1 || r->o.jobs > 64) {
                fprintf(stderr, "kwangmyong ingest: --jobs takes 1..64\n");
                return -1;
            }
            break;
        default:
            fprintf(stderr, "Try 'kwangmyong ingest --help'.\n");
            return -1;
        }
    }
    if (r->o.collection == NULL || !valid_collection(r->o.collection)) {
        fprintf(stderr, "kwangmyong ingest: --collection NAME is required "
                        "(1-64 of a-z 0-9 . _ -)\n");
        return -1;
    }
    if (optind >= argc && r->o.fetch == NULL) {
        fprintf(stderr, "kwangmyong ingest: no PATH given\n");
        return -1;
    }
    if (r->o.source_url != NULL) {
        struct strbuf n = STRBUF_INIT;

        if (url_normalize(r->o.source_url, &n, NULL) < 0) {
            fprintf(stderr,
                    "kwangmyong ingest: --source-url must be an absolute "
                    "http(s) URL\n");
            strbuf_free(&n);
            return -1;
        }
        snprintf(r->tree_url, sizeof(r->tree_url), "%s%s", strbuf_peek(&n),
                 strbuf_peek(&n)[n.len - 1] == '/' ? "" : "/");
        strbuf_free(&n);
    } else {
        /* Trees without a known origin get a private base that no real
         * URL shares, so their relative links still bind to each other. */
        snprintf(r->tree_url, sizeof(r->tree_url),
                 "http://kwangmyong.invalid/c/%s/", r->o.collection);
    }
    if (r->o.operator_name == NULL) {
        r->o.operator_name = getenv("USER") ? getenv("USER") : "operator";
    }
    if (r->o.jobs == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);

        /* Two more workers than cores: a worker whose result waits for
         * the writer (this process, busy with the database) sits idle,
         * and the spare ones keep the cores converting.  sqlite3-doc on 2
         * cores: 6.06 s with 2 workers, 5.66 s with 3, 5.47 s with 4. */
        r->o.jobs = n > 0 && n <= 62 ? (int)n + 2 : 4;
    }
    return 0;
}

static json_t *
build_report(struct run *r, double secs)
{
    return json_pack(
        "{sssIsisisisisisIsfsfsOsO}", "collection", r->o.collection, "batch",
        (json_int_t)r->batch_id, "new", r->counts[0], "changed", r->counts[1],
        "unchanged", r->counts[2], "rejected", r->counts[3], "skipped",
        r->skipped, "bytes", (json_int_t)r->bytes, "seconds", secs,
        "documents_per_second", secs > 0 ? (double)r->done / secs : 0.0,
        "rejected_by_reason", r->reasons, "files", r->files);
}

static void
run_free(struct run *r)
{
    size_t i;

    for (i = 0; i < r->n; i++) {
        kw_free(r->e[i].path);
        kw_free(r->e[i].rel);
    }
    kw_free(r->e);
    manifest_free(&r->manifest);
    policy_free(r->policy);
    json_decref(r->files);
    json_decref(r->reasons);
    db_close(r->db);
    if (r->ack != NULL) {
        fclose(r->ack);
    }
}

int
ingest_main(const struct config *cfg, const char *data_dir, int argc,
            char **argv)
{
    struct run r;
    struct pool *pool = NULL;
    struct pool_limits lim;
    struct group g;
    struct db_opts dbo = {0};
    struct db_error dberr;
    char err[1024], path[4200], types[64];
    char fetch_dir[4096];
    int fetch_made = 0, nwarc = 0, nzim = 0;
    size_t i, next = 0;
    int rc = 2, a, fatal = 0;
    json_t *report;
    double secs;

    memset(&r, 0, sizeof(r));
    memset(&g, 0, sizeof(g));
    clock_gettime(CLOCK_MONOTONIC, &r.start);
    r.files = json_array();
    r.reasons = json_object();
    r.tty = isatty(2);
    if (parse_opts(&r, argc, argv) < 0) {
        run_free(&r);
        return 2;
    }
    if (r.o.policy == NULL) {
        snprintf(path, sizeof(path), "%s/policy/default.policy", data_dir);
        r.o.policy = path;
    }
    if (policy_load(r.o.policy, &r.policy, err, sizeof(err)) < 0) {
        fprintf(stderr, "kwangmyong ingest: policy: %s\n", err);
        goto out;
    }
    if (r.o.manifest != NULL) {
        size_t k;

        if (manifest_load(r.o.manifest, 256u * 1024 * 1024, &r.manifest, err,
                          sizeof(err)) < 0) {
            fprintf(stderr, "kwangmyong ingest: manifest: %s\n", err);
            goto out;
        }
        for (k = 0; k < r.manifest.nissues; k++) {
            fprintf(stderr, "kwangmyong ingest: %s:%d: %s\n", r.o.manifest,
                    r.manifest.issues[k].line, r.manifest.issues[k].msg);
        }
    }
    for (a = optind; a < argc; a++) {
        nwarc += warc_is_warc_name(argv[a]);
        nzim += zim_is_zim_name(argv[a]);
    }
    if (nzim > 0 && (argc - optind != 1 || r.o.fetch != NULL)) {
        fprintf(stderr, "kwangmyong ingest: a ZIM archive is ingested on "
                        "its own: one .zim, no other PATH and no --fetch\n");
        goto out;
    }
    if (nwarc > 0 && (nwarc < argc - optind || r.o.fetch != NULL)) {
        fprintf(stderr, "kwangmyong ingest: WARC files are ingested on their "
                        "own: no other PATH and no --fetch with them\n");
        goto out;
    }
    /* --fetch and WARC files leave a tree of captures to walk, in the
     * temporary directory ($TMPDIR, else /tmp). */
    snprintf(fetch_dir, sizeof(fetch_dir), "%s/kwangmyong-%s-XXXXXX",
             getenv("TMPDIR") != NULL && getenv("TMPDIR")[0] == '/'
                 ? getenv("TMPDIR")
                 : "/tmp",
             nwarc > 0  ? "warc"
             : nzim > 0 ? "zim"
                        : "fetch");
    if (r.o.fetch != NULL || nwarc > 0 || nzim > 0) {
        if (mkdtemp(fetch_dir) == NULL) {
            fprintf(stderr, "kwangmyong ingest: %s: %s\n", fetch_dir,
                    strerror(errno));
            goto out;
        }
        fetch_made = 1;
    }
    if (nwarc > 0) {
        if (unpack_warcs(&r, argv + optind, nwarc, fetch_dir) < 0) {
            goto out;
        }
        note_captures(&r, NULL);
        if (walk(&r, fetch_dir, "", 0) < 0) {
            fprintf(stderr, "kwangmyong ingest: out of memory\n");
            goto out;
        }
        optind = argc; /* every PATH was a WARC file */
    }
    if (nzim > 0) {
        /* Refused archives stop here, before the database is opened:
         * nothing of them is stored. */
        a = unpack_zim(&r, argv[optind], fetch_dir);
        if (a != 0) {
            rc = a;
            goto out;
        }
        r.is_zim = 1;
        note_captures(&r, NULL);
        if (walk(&r, fetch_dir, "", 0) < 0) {
            fprintf(stderr, "kwangmyong ingest: out of memory\n");
            goto out;
        }
        optind = argc;
    }
    if (r.o.fetch != NULL) {
        struct fetch_opts fo;

        fetch_opts_default(&fo, r.policy);
        if (fetch_list(r.o.fetch, r.policy, &fo, fetch_dir, &r.fetched, err,
                       sizeof(err)) < 0) {
            fprintf(stderr, "kwangmyong ingest: --fetch: %s\n", err);
            goto out;
        }
        note_captures(&r, r.o.fetch);
        if (walk(&r, fetch_dir, "", 0) < 0) {
            fprintf(stderr, "kwangmyong ingest: out of memory\n");
            goto out;
        }
    }
    for (a = optind; a < argc; a++) {
        struct stat st;
        const char *p = argv[a];
        size_t pl = strlen(p);

        while (pl > 1 && p[pl - 1] == '/') {
            pl--;
        }
        snprintf(path, sizeof(path), "%.*s", (int)pl, p);
        if (lstat(path, &st) < 0) {
            add(&r, path, path, KIND_SKIP, "no such file or directory", NULL);
        } else if (S_ISDIR(st.st_mode)) {
            if (walk(&r, path, "", 0) < 0) {
                fprintf(stderr, "kwangmyong ingest: out of memory\n");
                goto out;
            }
        } else {
            const char *base =
                strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
            const char *why = NULL;
            enum kind k =
                S_ISREG(st.st_mode) ? classify(base, &why) : KIND_SKIP;

            if (!S_ISREG(st.st_mode)) {
                why = S_ISLNK(st.st_mode) ? "symlink not followed"
                                          : "not a regular file";
            }
            add(&r, path, base, k, why, &st);
        }
    }

#ifdef KW_TEST_HOOKS
    test_after_walk();
#endif
    dbo.path = cfg->db;
    dbo.busy_timeout_ms = cfg->busy_timeout_ms;
    dbo.lock_timeout_ms = cfg->lock_timeout_ms;
    dbo.query_timeout_ms = 600000;
    /* The groups checkpoint past it (group_commit), as does the build of
     * the lists (impact.h). */
    dbo.wal_max = cfg->wal_restart_bytes > 0 ? cfg->wal_restart_bytes
                                             : 64LL * 1024 * 1024;
    snprintf(path, sizeof(path), "%s/db/migrations", data_dir);
    dbo.migrations_dir = path;
    dbo.flags = DB_CREATE;
    if (r.o.dry_run) {
        dbo.flags = DB_READONLY;
        dbo.migrations_dir = NULL;
    }
    if (!(r.o.dry_run && access(cfg->db, F_OK) != 0) &&
        db_open(&dbo, &r.db, &dberr) < 0) {
        fprintf(stderr, "kwangmyong ingest: %s\n", dberr.msg);
        goto out;
    }
    if (r.o.ack_log != NULL && !r.o.dry_run) {
        r.ack = fopen(r.o.ack_log, "a");
        if (r.ack == NULL) {
            fprintf(stderr, "kwangmyong ingest: %s: %s\n", r.o.ack_log,
                    strerror(errno));
            goto out;
        }
    }
    if (!r.o.dry_run) {
        struct audit_entry ae = {0};
        char actor[128];
        int ok;

        if (write_start(&r) < 0) {
            goto out;
        }
        ok = store_collection(r.db, r.o.collection, r.o.collection_title,
                              r.o.source_url, r.o.language,
                              &r.collection_id) == 0 &&
             (!r.is_zim ||
              store_collection_describe(r.db, r.collection_id,
                                        r.zim.meta.description) == 0) &&
             store_batch_begin(r.db, r.collection_id, r.o.operator_name,
                               "ingest", &r.batch_id) == 0;
        if (ok) {
            snprintf(actor, sizeof(actor), "cli:%s", r.o.operator_name);
            ae.actor = actor;
            ae.action = r.o.approve ? "ingest-approve" : "ingest";
            ae.object_type = "batch";
            ae.object_id = r.batch_id;
            ok = audit_append(r.db, &ae) >= 0;
        }
        if (write_finish(&r, ok, "") < 0) {
            goto out;
        }
    }

    /* Skipped entries and policy checks first: they need no worker. */
    for (i = 0; i < r.n; i++) {
        struct entry *e = &r.e[i];

        if (e->kind == KIND_SKIP) {
            note(&r, e->rel, "skipped", e->why);
            r.skipped++;
        } else if (e->kind == KIND_DOC) {
            struct url_doc u;

            if (doc_urls(&r, e->rel, &u) < 0) {
                url_doc_free(&u);
                fprintf(stderr, "kwangmyong ingest: out of memory\n");
                goto out;
            }
            if (u.checked != NULL &&
                policy_check_source(r.policy, u.checked, err, sizeof(err)) <
                    0) {
                reject(&r, e->rel, err);
                e->kind = KIND_SKIP;
            } else {
                r.total++;
            }
            url_doc_free(&u);
        }
    }
    if (store_assets(&r) < 0) {
        goto out;
    }
    {
        static const char *const all[] = {"html", "markdown", "text", "pdf"};
        size_t t;

        types[0] = '\0';
        for (t = 0; t < 4; t++) {
            if (policy_type_allowed(r.policy, all[t])) {
                strcat(types, all[t]);
                strcat(types, " ");
            }
        }
    }
    pool_limits_default(&lim);
    if (pool_start(r.o.jobs, &lim, &pool, err, sizeof(err)) < 0) {
        fprintf(stderr, "kwangmyong ingest: %s\n", err);
        goto out;
    }
    for (;;) {
        struct converted *res;
        void *tag;
        int got;

        while (pool_has_idle(pool)) {
            struct convert_job job;
            struct url_doc u;
            char charset[48];

            while (next < r.n && r.e[next].kind != KIND_DOC) {
                next++;
            }
            if (next >= r.n) {
                break;
            }
            memset(&job, 0, sizeof(job));
            if (doc_urls(&r, r.e[next].rel, &u) < 0) {
                url_doc_free(&u);
                fprintf(stderr, "kwangmyong ingest: out of memory\n");
                goto out;
            }
            job.path = r.e[next].path;
            job.rel = r.e[next].rel;
            job.doc_url = u.base;
            if (fetched(&r, r.e[next].rel) != NULL) {
                job.charset =
                    mime_charset(fetched(&r, r.e[next].rel)->content_type,
                                 charset, sizeof(charset));
            }
            job.tree_url = r.tree_url;
            job.max_bytes = policy_max_size(r.policy);
            job.types = types;
            extract_limits_default(&job.limits);
            a = pool_submit(pool, &job, (void *)(uintptr_t)next);
            url_doc_free(&u);
            if (a < 0) {
                fprintf(stderr, "kwangmyong ingest: worker pipe failed\n");
                goto out;
            }
            next++;
        }
        got = pool_next(pool, &res, &tag);
        if (got < 0) {
            fprintf(stderr, "kwangmyong ingest: %s\n", strerror(errno));
            goto out;
        }
        if (got == 0) {
            break;
        }
        a = handle_result(&r, &g, (size_t)(uintptr_t)tag, res);
        converted_free(res);
        progress(&r);
        if (a < 0) {
            goto out;
        }
    }
    if (group_commit(&r, &g) < 0 || store_aliases(&r) < 0) {
        goto out;
    }
    secs = elapsed(&r);
    report = build_report(&r, secs);
    if (r.is_zim) {
        json_object_set_new(report, "zim", zim_report(&r));
    }
    if (!r.o.dry_run) {
        char *rj = json_dumps(report, JSON_COMPACT);

        /* The batch's record is the run's provenance: not written is a
         * database failure (exit 2), though every document is stored. */
        if (write_start(&r) < 0 ||
            write_finish(
                &r, store_batch_finish(r.db, r.batch_id, r.counts, rj) == 0,
                "") < 0) {
            fatal = 1;
        }
        free(rj);
        /* The segments this run's transactions added to the search
         * indexes, merged (docindex.h): what every query reads. */
        {
            double t0 = elapsed(&r);
            long n = docindex_tidy(r.db, 0);

            if (n < 0) {
                fprintf(stderr,
                        "kwangmyong ingest: merging the search indexes: %s "
                        "(the documents are stored; the next run merges)\n",
                        db_errmsg(r.db));
            } else if (n > 0) {
                printf("%s: search indexes merged (%ld rounds, %.2f s)\n",
                       r.o.collection, n, elapsed(&r) - t0);
            }
        }
        /* Fresh statistics let the planner pick the partial indexes of
         * the reader's listings; analysis_limit keeps this quick. */
        if (write_start(&r) == 0) {
            write_finish(&r, db_analyze(r.db) == SQLITE_OK, "analyze: ");
        }
        /* Search's impact lists (impact.h), when this run published
         * enough to make them stale: built in short write transactions,
         * so that moderation and logins go on beside it (minutes at a
         * million documents). */
        if (r.o.approve) {
            struct impact_online o;
            double t0 = elapsed(&r);
            long n;

            memset(&o, 0, sizeof(o));
            n = impact_refresh(r.db, &o);
            if (n == IMPACT_GAVE_WAY) {
                printf("%s: search impact lists left to a newer build\n",
                       r.o.collection);
            } else if (n < 0) {
                fprintf(stderr,
                        "kwangmyong ingest: impact lists: %s (the documents "
                        "are stored; searches score every match until the "
                        "next build)\n",
                        db_errmsg(r.db));
            } else if (n > 0) {
                printf("%s: search impact lists rebuilt (%ld terms, %.1f s)\n",
                       r.o.collection, n, elapsed(&r) - t0);
            }
        }
        if (db_checkpoint(r.db, 0) != SQLITE_OK) {
            fprintf(stderr, "kwangmyong ingest: checkpoint: %s\n",
                    db_errmsg(r.db));
        }
    }
    if (r.o.report != NULL &&
        json_dump_file(report, r.o.report, JSON_INDENT(2)) < 0) {
        fprintf(stderr, "kwangmyong ingest: cannot write %s\n", r.o.report);
        fatal = 1;
    }
    json_decref(report);
    if (r.tty) {
        fprintf(stderr, "\r\033[K");
    }
    printf("%s%s: %d new, %d changed, %d unchanged, %d rejected, %d "
           "skipped; %.1f MB in %.2f s (%.0f documents/s)\n",
           r.o.dry_run ? "dry run, " : "", r.o.collection, r.counts[0],
           r.counts[1], r.counts[2], r.counts[3], r.skipped,
           (double)r.bytes / 1e6, secs, secs > 0 ? (double)r.done / secs : 0.0);
    {
        const char *key;
        json_t *v;

        json_object_foreach(r.reasons, key, v)
        {
            printf("  rejected, %s: %lld\n", key,
                   (long long)json_integer_value(v));
        }
    }
    rc = fatal ? 2 : r.counts[3] > 0 ? 1 : 0;
out:
    if (g.open) {
        db_write_rollback(r.db);
    }
    pool_stop(pool);
    fetch_result_free(&r.fetched);
    zim_result_free(&r.zim);
    if (fetch_made) {
        fetch_rmtree(fetch_dir);
    }
    run_free(&r);
    return rc;
}
