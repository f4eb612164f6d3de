/*
 * check_pack: signed pack files (lib/pack.c) and their import
 * (lib/packdb.c): keys and their text forms, --since times, a written pack
 * read back record by record, every single byte changed and every
 * truncation refused, untrusted and missing keys, bad framing under a
 * good signature, a file changed between verification and reading, and
 * an import that fails half-way leaving the database as it was.  Layer:
 * tests/.
 */
#include <check.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkmain.h"
#include "gz.h"
#include "pack.h"
#include "packdb.h"
#include "testdb.h"

/* The temp directory; the import tests open t.db and t2.db in it. */
static struct testdb tdb;
static char path[128];
static struct pack_key key, other;

static void
setup(void)
{
    testdb_open(&tdb, "kwpk", 0);
    snprintf(path, sizeof(path), "%s/t.kwpack", tdb.dir);
    ck_assert_int_eq(pack_key_generate(&key), 0);
    ck_assert_int_eq(pack_key_generate(&other), 0);
}

static void
teardown(void)
{
    testdb_close(&tdb);
}

/* The public half of k alone. */
static struct pack_key
public_of(const struct pack_key *k)
{
    struct pack_key p;
    struct pack_error e;
    char text[128];

    ck_assert_int_eq(pack_key_public_text(k, text, sizeof(text)), 0);
    ck_assert_int_eq(pack_key_parse(text, strlen(text), &p, &e), 0);
    return p;
}

/* A small pack at path: a JSON record, a data record with a NUL byte,
 * another JSON record. */
static void
write_small(const char *at)
{
    struct pack_writer *w;
    struct pack_error e;
    json_t *a = json_pack("{s:s, s:i}", "type", "pack", "format", 1),
           *b = json_pack("{s:s}", "type", "end");

    ck_assert_int_eq(pack_writer_open(at, &w, &e), 0);
    ck_assert_int_eq(pack_writer_json(w, a), 0);
    ck_assert_int_eq(pack_writer_data(w, "bl\0b", 4), 0);
    ck_assert_int_eq(pack_writer_json(w, b), 0);
    ck_assert_msg(pack_writer_finish(w, &key, NULL, &e) == 0, "%s", e.msg);
    json_decref(a);
    json_decref(b);
}

/* The whole file at p into a new buffer (free), its size in *n. */
static unsigned char *
slurp(const char *p, size_t *n)
{
    FILE *f = fopen(p, "rb");
    unsigned char *buf;
    long len;

    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    len = ftell(f);
    fseek(f, 0, SEEK_SET);
    buf = malloc((size_t)len + 1);
    ck_assert_int_eq(fread(buf, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static void
spill(const char *p, const void *data, size_t n)
{
    FILE *f = fopen(p, "wb");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

/* Write content and a trailer signed by k, as the writer would, so that
 * a test can sign content the writer would never frame. */
static void
sign_raw(const char *p, const char *content, const struct pack_key *k)
{
    unsigned char h[32], sig[64];
    char hex[65], trailer[PACK_TRAILER_LEN + 1], *all;
    size_t n = strlen(content);

    crypto_hash_sha256(h, (const unsigned char *)content, n);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    snprintf(trailer, sizeof(trailer), "KWPACK-SIG 1 %s %s ", k->fp, hex);
    crypto_sign_detached(sig, NULL, (const unsigned char *)trailer,
                         strlen(trailer), k->sk);
    sodium_bin2hex(trailer + strlen(trailer), 129, sig, sizeof(sig));
    strcat(trailer, "\n");
    all = malloc(n + sizeof(trailer));
    memcpy(all, content, n);
    memcpy(all + n, trailer, strlen(trailer));
    spill(p, all, n + strlen(trailer));
    free(all);
}

/* 0 when pack_open accepts the file at p with trusted key pub. */
static int
opens(const char *p, const struct pack_key *pub, struct pack_error *e)
{
    struct pack_reader *r;

    if (pack_open(p, pub, pub != NULL, &r, e) < 0) {
        return -1;
    }
    pack_close(r);
    return 0;
}

START_TEST(test_key_text)
{
    struct pack_key k, p;
    struct pack_error e;
    char text[128];

    ck_assert_int_eq(pack_key_secret_text(&key, text, sizeof(text)), 0);
    ck_assert_ptr_nonnull(strstr(text, "kwpack-ed25519-secret "));
    ck_assert_int_eq(pack_key_parse(text, strlen(text), &k, &e), 0);
    ck_assert_int_eq(k.has_secret, 1);
    ck_assert_str_eq(k.fp, key.fp);
    ck_assert_int_eq(memcmp(k.pk, key.pk, 32), 0);
    p = public_of(&key);
    ck_assert_int_eq(p.has_secret, 0);
    ck_assert_str_eq(p.fp, key.fp);
    ck_assert_int_eq(strlen(p.fp), 64);
    ck_assert_str_ne(key.fp, other.fp);
    ck_assert_int_eq(pack_key_secret_text(&p, text, sizeof(text)), -1);
    ck_assert_int_eq(pack_key_public_text(&key, text, 10), -1);
}
END_TEST

START_TEST(test_key_errors)
{
    struct pack_key k;
    struct pack_error e;
    const char *bad[] = {"",
                         "hello",
                         "kwpack-ed25519-public ",
                         "kwpack-ed25519-public AAAA",
                         "kwpack-ed25519-secret "
                         "i25DmfxYd7ANBUi+tgMoeLLFBl7h21A37A+JxRbAo68=",
                         "kwpack-ed25519-public !!!!"};
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(pack_key_parse(bad[i], strlen(bad[i]), &k, &e) == -1,
                      "accepted '%s'", bad[i]);
        ck_assert_int_gt(strlen(e.msg), 0);
    }
    ck_assert_int_eq(pack_key_load("/nonexistent/k.pub", &k, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent/k.pub"));
}
END_TEST

START_TEST(test_time)
{
    int64_t t;

    ck_assert_int_eq(pack_parse_time("0", &t), 0);
    ck_assert_int_eq(t, 0);
    ck_assert_int_eq(pack_parse_time("1714521600", &t), 0);
    ck_assert_int_eq(t, 1714521600);
    ck_assert_int_eq(pack_parse_time("2024-05-01", &t), 0);
    ck_assert_int_eq(t, 1714521600);
    ck_assert_int_eq(pack_parse_time("2024-05-01T00:00:00Z", &t), 0);
    ck_assert_int_eq(t, 1714521600);
    ck_assert_int_eq(pack_parse_time("2024-05-01 09:00:00+09:00", &t), 0);
    ck_assert_int_eq(t, 1714521600);
    ck_assert_int_eq(pack_parse_time("2024-04-30T20:30-0330", &t), 0);
    ck_assert_int_eq(t, 1714521600);
    ck_assert_int_eq(pack_parse_time("2024-05-01T00:00:01", &t), 0);
    ck_assert_int_eq(t, 1714521601);
    ck_assert_int_eq(pack_parse_time("", &t), -1);
    ck_assert_int_eq(pack_parse_time("yesterday", &t), -1);
    ck_assert_int_eq(pack_parse_time("2024-02-30", &t), -1);
    ck_assert_int_eq(pack_parse_time("2024-13-01", &t), -1);
    ck_assert_int_eq(pack_parse_time("2024-05-01T25:00", &t), -1);
    ck_assert_int_eq(pack_parse_time("2024-05-01T10:00Zx", &t), -1);
    ck_assert_int_eq(pack_parse_time("-5", &t), -1);
}
END_TEST

START_TEST(test_roundtrip)
{
    struct pack_key pub = public_of(&key);
    struct pack_reader *r;
    struct pack_error e;
    const unsigned char *p;
    size_t n;
    char type;

    write_small(path);
    ck_assert_int_ne(access(path, F_OK), -1);
    ck_assert_msg(pack_open(path, &pub, 1, &r, &e) == 0, "%s", e.msg);
    ck_assert_str_eq(pack_signer(r), key.fp);
    ck_assert_int_eq(strlen(pack_sha256(r)), 64);
    ck_assert_int_eq(pack_next(r, &type, &p, &n, &e), 1);
    ck_assert_int_eq(type, 'J');
    ck_assert_str_eq((const char *)p, "{\"format\":1,\"type\":\"pack\"}");
    ck_assert_int_eq(pack_next(r, &type, &p, &n, &e), 1);
    ck_assert_int_eq(type, 'D');
    ck_assert_int_eq(n, 4);
    ck_assert_int_eq(memcmp(p, "bl\0b", 4), 0);
    ck_assert_int_eq(pack_next(r, &type, &p, &n, &e), 1);
    ck_assert_int_eq(type, 'J');
    ck_assert_int_eq(pack_next(r, &type, &p, &n, &e), 0);
    pack_close(r);
}
END_TEST

/* Any one byte changed anywhere, and any truncation: refused. */
START_TEST(test_every_byte)
{
    struct pack_key pub = public_of(&key);
    struct pack_error e;
    char bad[160];
    unsigned char *orig;
    size_t n, i;

    write_small(path);
    orig = slurp(path, &n);
    snprintf(bad, sizeof(bad), "%s/bad.kwpack", tdb.dir);
    for (i = 0; i < n; i++) {
        orig[i] ^= 0x01;
        spill(bad, orig, n);
        orig[i] ^= 0x01;
        ck_assert_msg(opens(bad, &pub, &e) == -1, "byte %zu changed: accepted",
                      i);
        if (i >= 9 && i < n - PACK_TRAILER_LEN) {
            ck_assert_msg(strstr(e.msg, "changed after it was signed") != NULL,
                          "byte %zu: %s", i, e.msg);
        }
    }
    for (i = 0; i < n; i++) {
        spill(bad, orig, i);
        ck_assert_msg(opens(bad, &pub, &e) == -1, "cut at %zu: accepted", i);
    }
    spill(bad, orig, n);
    ck_assert_int_eq(opens(bad, &pub, &e), 0);
    free(orig);
}
END_TEST

START_TEST(test_trust)
{
    struct pack_key pub = public_of(&key), opub = public_of(&other), both[2];
    struct pack_reader *r;
    struct pack_error e;

    write_small(path);
    ck_assert_int_eq(pack_open(path, NULL, 0, &r, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "no trusted keys"));
    ck_assert_int_eq(pack_open(path, &opub, 1, &r, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "untrusted signer"));
    ck_assert_ptr_nonnull(strstr(e.msg, key.fp));
    both[0] = opub;
    both[1] = pub;
    ck_assert_int_eq(pack_open(path, both, 2, &r, &e), 0);
    pack_close(r);
    /* A key with another's fingerprint does not verify the signature. */
    memcpy(opub.fp, key.fp, sizeof(key.fp));
    ck_assert_int_eq(pack_open(path, &opub, 1, &r, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "bad signature"));
}
END_TEST

START_TEST(test_not_a_pack)
{
    struct pack_key pub = public_of(&key);
    struct pack_error e;

    spill(path, "hello\n", 6);
    ck_assert_int_eq(opens(path, &pub, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "not a pack file"));
    spill(path, "KWPACK 2\n", 9);
    ck_assert_int_eq(opens(path, &pub, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "unsupported pack version"));
    spill(path, "KWPACK 1\n", 9);
    ck_assert_int_eq(opens(path, &pub, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "truncated or unsigned"));
    ck_assert_int_eq(opens(tdb.dir, &pub, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "not a regular file"));
}
END_TEST

/* Framing errors under a good signature: the reader reports them. */
START_TEST(test_bad_framing)
{
    static const char *const bodies[] = {
        "KWPACK 1\nX 2\nab\n",  "KWPACK 1\nJ 10\nab\n",
        "KWPACK 1\nJ 2\nabc\n", "KWPACK 1\nJ\n",
        "KWPACK 1\nJ -1\n\n",   "KWPACK 1\nJ 99999999999999999999\n"};
    struct pack_key pub = public_of(&key);
    struct pack_reader *r;
    struct pack_error e;
    const unsigned char *p;
    size_t i, n;
    char type;

    for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        sign_raw(path, bodies[i], &key);
        ck_assert_msg(pack_open(path, &pub, 1, &r, &e) == 0, "%s", e.msg);
        ck_assert_msg(pack_next(r, &type, &p, &n, &e) == -1,
                      "framing %zu accepted", i);
        pack_close(r);
    }
    sign_raw(path, "KWPACK 1\nJ 2\n{}\n", &key);
    ck_assert_int_eq(pack_open(path, &pub, 1, &r, &e), 0);
    ck_assert_int_eq(pack_next(r, &type, &p, &n, &e), 1);
    ck_assert_int_eq(pack_next(r, &type, &p, &n, &e), 0);
    pack_close(r);
}
END_TEST

/* A file changed after pack_open verified it is caught at the end.  The
 * pack is larger than stdio's buffer, so the bytes are read again. */
START_TEST(test_changed_while_read)
{
    struct pack_key pub = public_of(&key);
    struct pack_writer *w;
    struct pack_reader *r;
    struct pack_error e;
    const unsigned char *p;
    unsigned char *big = calloc(1, 200000);
    size_t n;
    char type;
    int rc;
    FILE *f;

    ck_assert_int_eq(pack_writer_open(path, &w, &e), 0);
    ck_assert_int_eq(pack_writer_data(w, big, 200000), 0);
    ck_assert_int_eq(pack_writer_finish(w, &key, NULL, &e), 0);
    free(big);
    ck_assert_int_eq(pack_open(path, &pub, 1, &r, &e), 0);
    f = fopen(path, "r+b");
    fseek(f, 100000, SEEK_SET);
    fputc(1, f);
    fclose(f);
    while ((rc = pack_next(r, &type, &p, &n, &e)) == 1) {
    }
    ck_assert_int_eq(rc, -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "changed while it was read"));
    pack_close(r);
}
END_TEST

START_TEST(test_writer_errors)
{
    struct pack_key pub = public_of(&key);
    struct pack_writer *w;
    struct pack_error e;
    char p[200];

    snprintf(p, sizeof(p), "%s/no/such/dir.kwpack", tdb.dir);
    ck_assert_int_eq(pack_writer_open(p, &w, &e), -1);
    ck_assert_int_eq(pack_writer_open(path, &w, &e), 0);
    ck_assert_int_eq(pack_writer_finish(w, &pub, NULL, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "no secret"));
    ck_assert_int_eq(access(path, F_OK), -1);
    snprintf(p, sizeof(p), "%s.tmp", path);
    ck_assert_int_eq(access(p, F_OK), -1);
}
END_TEST

/* ---- import into a database ---- */

static struct db *db;

static void
db_setup(void)
{
    setup();
    db = testdb_connect(&tdb, "t.db", tdb.mig, DB_CREATE);
}

static void
db_teardown(void)
{
    db_close(db);
    teardown();
}

/* A document record at rel with body text word. */
static json_t *
doc_record(const char *rel, const char *word)
{
    char html[128], hex[65];

    snprintf(html, sizeof(html), "<p>%s</p>", word);
    sha256_hex(html, strlen(html), hex);
    return json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:[[i, n, s, s, s]],"
        " s:[], s:[], s:n, s:s}",
        "type", "document", "path", rel, "title", word, "content_type",
        "text/html", "body_html", html, "body_text", word, "orig_sha256", hex,
        "body_sha256", hex, "operator", "op", "sections", 0, word, "", word,
        "links", "tags", "signal", "decided_by", "mod");
}

/* Write a pack of the records (stolen), the pack record first, signed by
 * key, with an end record counting them when end is set. */
static void
write_pack(json_t **recs, size_t n, int end, int64_t exported_at)
{
    struct pack_writer *w;
    struct pack_error e;
    json_t *head =
        json_pack("{s:s, s:i, s:{s:s, s:s}, s:I, s:n}", "type", "pack",
                  "format", 1, "collection", "name", "c", "title", "C",
                  "exported_at", (json_int_t)exported_at, "since");
    size_t i;

    ck_assert_int_eq(pack_writer_open(path, &w, &e), 0);
    ck_assert_int_eq(pack_writer_json(w, head), 0);
    json_decref(head);
    for (i = 0; i < n; i++) {
        ck_assert_int_eq(pack_writer_json(w, recs[i]), 0);
        json_decref(recs[i]);
    }
    if (end) {
        json_t *r = json_pack("{s:s, s:I}", "type", "end", "records",
                              (json_int_t)(n + 2));

        ck_assert_int_eq(pack_writer_json(w, r), 0);
        json_decref(r);
    }
    ck_assert_int_eq(pack_writer_finish(w, &key, NULL, &e), 0);
}

static int64_t
count(const char *sql)
{
    sqlite3_stmt *st;
    int64_t n = -1;

    ck_assert_int_eq(sqlite3_prepare_v2(db_handle(db), sql, -1, &st, NULL),
                     SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) {
        n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

/* Import the pack at path; the result of packdb_import. */
static int
import(struct packdb_counts *n, struct pack_error *e)
{
    struct pack_key pub = public_of(&key);
    struct pack_reader *r;
    int rc;

    ck_assert_msg(pack_open(path, &pub, 1, &r, e) == 0, "%s", e->msg);
    rc = packdb_import(db, r, "op", n, e);
    pack_close(r);
    return rc;
}

START_TEST(test_import_idempotent)
{
    json_t *recs[2];
    struct packdb_counts n;
    struct pack_error e;

    recs[0] = doc_record("a.html", "alpha");
    recs[1] = doc_record("b.html", "bravo");
    write_pack(recs, 2, 1, 100);
    ck_assert_msg(import(&n, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(n.documents, 2);
    ck_assert_int_eq(n.collection, 1);
    ck_assert_int_eq(count("SELECT count(*) FROM document"
                           " WHERE status = 'published'"),
                     2);
    ck_assert_int_eq(count("SELECT count(*) FROM doc_fts"), 2);
    ck_assert_int_eq(count("SELECT count(*) FROM audit"
                           " WHERE action = 'pack-import'"),
                     1);
    ck_assert_int_eq(import(&n, &e), 0);
    ck_assert_int_eq(n.documents, 0);
    ck_assert_int_eq(n.unchanged, 2);
    ck_assert_int_eq(count("SELECT count(*) FROM document"), 2);
    ck_assert_int_eq(count("SELECT count(*) FROM audit"), 3);
}
END_TEST

/* A pack whose second document is bad leaves nothing behind, the first
 * one included. */
START_TEST(test_import_all_or_nothing)
{
    json_t *recs[3];
    struct packdb_counts n;
    struct pack_error e;

    recs[0] = doc_record("a.html", "alpha");
    recs[1] = doc_record("b.html", "bravo");
    json_object_set_new(recs[1], "body_html", json_string("<p>changed</p>"));
    recs[2] = doc_record("c.html", "charlie");
    write_pack(recs, 3, 1, 100);
    ck_assert_int_eq(import(&n, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "b.html"));
    ck_assert_int_eq(count("SELECT count(*) FROM document"), 0);
    ck_assert_int_eq(count("SELECT count(*) FROM collection"), 0);
    ck_assert_int_eq(count("SELECT count(*) FROM audit"), 0);
    ck_assert_int_eq(count("SELECT count(*) FROM section"), 0);
    /* No end record: refused as well. */
    recs[0] = doc_record("a.html", "alpha");
    write_pack(recs, 1, 0, 100);
    ck_assert_int_eq(import(&n, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "no end record"));
    ck_assert_int_eq(count("SELECT count(*) FROM document"), 0);
}
END_TEST

/* An older pack after a newer one is refused: it would undo changes. */
START_TEST(test_import_order)
{
    json_t *recs[1];
    struct packdb_counts n;
    struct pack_error e;

    recs[0] = doc_record("a.html", "alpha");
    write_pack(recs, 1, 1, 200);
    ck_assert_int_eq(import(&n, &e), 0);
    recs[0] = doc_record("a.html", "older");
    write_pack(recs, 1, 1, 150);
    ck_assert_int_eq(import(&n, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "older than a pack already imported"));
    ck_assert_int_eq(count("SELECT count(*) FROM document"), 1);
}
END_TEST

/* A document with its kept original as an attachment: imported, then
 * exported from there and imported again elsewhere, the attachment still
 * bound to its document. */
START_TEST(test_attachment_roundtrip)
{
    static const char pdf[] = "%PDF-1.4 tiny";
    struct packdb_export_opts o = {"c", PACKDB_ALL, 300, &key, NULL};
    struct pack_key pub = public_of(&key);
    struct pack_writer *w;
    struct pack_reader *r;
    struct pack_error e;
    struct packdb_counts n;
    json_t *recs[5];
    struct db *db2;
    char hex[65], out[160];
    size_t i;

    sha256_hex(pdf, strlen(pdf), hex);
    recs[0] =
        json_pack("{s:s, s:i, s:{s:s, s:s}, s:i}", "type", "pack", "format", 1,
                  "collection", "name", "c", "title", "C", "exported_at", 100);
    recs[1] = json_pack("{s:s, s:s, s:i}", "type", "blob", "sha256", hex,
                        "size", (int)strlen(pdf));
    recs[2] = doc_record("p.pdf", "papers");
    json_object_set_new(recs[2], "original_blob", json_string(hex));
    recs[3] =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "type", "asset",
                  "path", "p.pdf", "content_type", "application/pdf", "blob",
                  hex, "filename", "p.pdf", "document_path", "p.pdf",
                  "document_sha256", json_object_get(recs[2], "body_sha256"));
    recs[4] = json_pack("{s:s, s:i}", "type", "end", "records", 6);
    ck_assert_int_eq(pack_writer_open(path, &w, &e), 0);
    for (i = 0; i < 5; i++) {
        ck_assert_int_eq(pack_writer_json(w, recs[i]), 0);
        if (i == 1) {
            ck_assert_int_eq(pack_writer_data(w, pdf, strlen(pdf)), 0);
        }
        json_decref(recs[i]);
    }
    ck_assert_int_eq(pack_writer_finish(w, &key, NULL, &e), 0);
    ck_assert_msg(import(&n, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(n.assets, 1);
    ck_assert_int_eq(n.blobs, 1);
    ck_assert_int_eq(count("SELECT count(*) FROM asset a JOIN document d"
                           " ON d.id = a.document_id"
                           " WHERE d.status = 'published'"),
                     1);

    snprintf(out, sizeof(out), "%s/out.kwpack", tdb.dir);
    o.out = out;
    ck_assert_msg(packdb_export(db, &o, &n, NULL, &e) == 0, "%s", e.msg);
    ck_assert_int_eq(n.documents, 1);
    ck_assert_int_eq(n.assets, 1);
    ck_assert_int_eq(n.blobs, 1);
    db2 = testdb_connect(&tdb, "t2.db", tdb.mig, DB_CREATE);
    ck_assert_msg(pack_open(out, &pub, 1, &r, &e) == 0, "%s", e.msg);
    ck_assert_msg(packdb_import(db2, r, "op", &n, &e) == 0, "%s", e.msg);
    pack_close(r);
    ck_assert_int_eq(n.documents, 1);
    ck_assert_int_eq(n.assets, 1);
    db_close(db);
    db = db2;
    ck_assert_int_eq(count("SELECT count(*) FROM asset a JOIN document d"
                           " ON d.id = a.document_id JOIN blob b"
                           " ON b.sha256 = a.blob_sha256"
                           " WHERE d.status = 'published'"
                           " AND d.original_blob = b.sha256"),
                     1);
    o.collection = "nosuch";
    ck_assert_int_eq(packdb_export(db, &o, &n, NULL, &e), -1);
    ck_assert_ptr_nonnull(strstr(e.msg, "no collection 'nosuch'"));
    ck_assert_int_eq(access(out, F_OK), 0); /* the old pack stays */
}
END_TEST

static Suite *
pack_suite(void)
{
    Suite *s = suite_create("pack");
    TCase *core = tcase_create("core"), *limits = tcase_create("limits"),
          *errors = tcase_create("errors"), *import = tcase_create("import");

    tcase_add_checked_fixture(core, setup, teardown);
    tcase_add_checked_fixture(limits, setup, teardown);
    tcase_add_checked_fixture(errors, setup, teardown);
    tcase_add_checked_fixture(import, db_setup, db_teardown);
    tcase_set_timeout(limits, 60);
    tcase_add_test(core, test_key_text);
    tcase_add_test(core, test_time);
    tcase_add_test(core, test_roundtrip);
    tcase_add_test(limits, test_every_byte);
    tcase_add_test(errors, test_key_errors);
    tcase_add_test(errors, test_trust);
    tcase_add_test(errors, test_not_a_pack);
    tcase_add_test(errors, test_bad_framing);
    tcase_add_test(errors, test_changed_while_read);
    tcase_add_test(errors, test_writer_errors);
    tcase_add_test(import, test_import_idempotent);
    tcase_add_test(import, test_import_all_or_nothing);
    tcase_add_test(import, test_import_order);
    tcase_add_test(import, test_attachment_roundtrip);
    suite_add_tcase(s, core);
    suite_add_tcase(s, limits);
    suite_add_tcase(s, errors);
    suite_add_tcase(s, import);
    return s;
}

int
main(void)
{
    return check_main(pack_suite());
}
