/*
 * check_warc: the WARC reader and unpacker (ingest/warc.c) on records
 * made here by hand: plain files, one gzip member per record, one for the
 * whole file, a chunked and gzip-encoded captured body, deflate with and
 * without its zlib wrapper, revisits by digest and by URL and date, and
 * the hostile cases (a truncated record, a Content-Length that lies either
 * way, corrupt gzip, non-2xx, request records, a blocked domain, bodies
 * over the cap).  Layer: tests/.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "checkmain.h"
#include "fetch.h"
#include "gz.h"
#include "policy.h"
#include "strbuf.h"
#include "warc.h"

/* Append a WARC/1.0 record: the given fields (each ending in "\r\n"), a
 * Content-Length of len, or of claimed when claimed >= 0, the block and
 * the record end. */
static void
add_record(struct strbuf *sb, const char *fields, const void *block, size_t len,
           long claimed)
{
    strbuf_printf(sb, "WARC/1.0\r\n%sContent-Length: %ld\r\n\r\n", fields,
                  claimed >= 0 ? claimed : (long)len);
    strbuf_append(sb, block, len);
    strbuf_puts(sb, "\r\n\r\n");
}

/* A response record for uri with the HTTP response http. */
static void
add_response(struct strbuf *sb, const char *uri, const char *date,
             const char *http, size_t len, const char *extra)
{
    struct strbuf f = STRBUF_INIT;

    strbuf_printf(&f,
                  "WARC-Type: response\r\nWARC-Target-URI: <%s>\r\n"
                  "WARC-Date: %s\r\nContent-Type: application/http; "
                  "msgtype=response\r\n%s",
                  uri, date, extra != NULL ? extra : "");
    add_record(sb, strbuf_peek(&f), http, len, -1);
    strbuf_free(&f);
}

/* A string literal and its length. */
#define S(lit) (lit), (sizeof(lit) - 1)

static const char page[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
    "Content-Length: 44\r\n\r\n"
    "<html><title>One</title><p>first page</html>";

/* A reader over a temporary file holding data[0..len). */
struct mem {
    FILE *f;
    struct warc_reader *r;
};

static void
mem_open(struct mem *m, const void *data, size_t len)
{
    char err[256];

    m->f = tmpfile();
    ck_assert_ptr_nonnull(m->f);
    ck_assert_int_eq(fwrite(data, 1, len, m->f), len);
    rewind(m->f);
    ck_assert_int_eq(warc_open(m->f, &m->r, err, sizeof(err)), 0);
}

static void
mem_close(struct mem *m)
{
    warc_close(m->r);
    fclose(m->f);
}

/* The rest of the current block, as a string. */
static char *
read_block(struct warc_reader *r)
{
    struct strbuf sb = STRBUF_INIT;
    char buf[7];
    ssize_t n;

    while ((n = warc_read(r, buf, sizeof(buf))) > 0) {
        strbuf_append(&sb, buf, (size_t)n);
    }
    ck_assert_int_eq(n, 0);
    return strbuf_detach(&sb, NULL);
}

static int
collect(void *arg, const void *data, size_t n)
{
    strbuf_append(arg, data, n);
    return 0;
}

/* The types of all records, with "!" for each broken one, as one
 * string: "warcinfo response ! response". */
static char *
walk_types(const void *data, size_t len)
{
    struct strbuf sb = STRBUF_INIT;
    struct warc_record rec;
    struct mem m;
    char err[512];
    int rc;

    mem_open(&m, data, len);
    while ((rc = warc_next(m.r, &rec, err, sizeof(err))) != WARC_END) {
        if (sb.len > 0) {
            strbuf_putc(&sb, ' ');
        }
        strbuf_puts(&sb, rc == WARC_RECORD ? rec.type : "!");
    }
    mem_close(&m);
    return strbuf_detach(&sb, NULL);
}

/* Three records: warcinfo, request, response. */
static void
three(struct strbuf *sb)
{
    static const char info[] = "software: test\r\n";
    static const char req[] = "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n";

    add_record(sb, "WARC-Type: warcinfo\r\n", info, strlen(info), -1);
    add_record(sb,
               "WARC-Type: request\r\nWARC-Target-URI: http://a.example/\r\n",
               req, strlen(req), -1);
    add_response(sb, "http://a.example/", "2024-05-06T07:08:09Z", page,
                 strlen(page), NULL);
}

START_TEST(test_plain)
{
    struct strbuf sb = STRBUF_INIT;
    struct strbuf body = STRBUF_INIT;
    struct warc_record rec;
    struct warc_http h;
    struct mem m;
    char err[256], *block;

    three(&sb);
    mem_open(&m, sb.buf, sb.len);
    ck_assert_int_eq(warc_next(m.r, &rec, err, sizeof(err)), WARC_RECORD);
    ck_assert_str_eq(rec.type, "warcinfo");
    ck_assert_str_eq(rec.version, "WARC/1.0");
    block = read_block(m.r);
    ck_assert_str_eq(block, "software: test\r\n");
    free(block);
    /* the request is not read at all: warc_next skips its block */
    ck_assert_int_eq(warc_next(m.r, &rec, err, sizeof(err)), WARC_RECORD);
    ck_assert_str_eq(rec.type, "request");
    ck_assert_int_eq(warc_next(m.r, &rec, err, sizeof(err)), WARC_RECORD);
    ck_assert_str_eq(rec.type, "response");
    ck_assert_str_eq(rec.target_uri, "http://a.example/"); /* no <> */
    ck_assert_int_eq(rec.date_unix, 1714979289);
    ck_assert_int_eq(rec.length, (long)strlen(page));
    ck_assert_int_eq(warc_http_head(m.r, &h, err, sizeof(err)), 0);
    ck_assert_int_eq(h.status, 200);
    ck_assert_str_eq(h.content_type, "text/html; charset=utf-8");
    ck_assert_int_eq(
        warc_http_body(m.r, &h, 1000, collect, &body, err, sizeof(err)), 0);
    ck_assert_str_eq(strbuf_peek(&body),
                     "<html><title>One</title><p>first page</html>");
    ck_assert_int_eq(warc_end(m.r, err, sizeof(err)), 0);
    ck_assert_int_eq(warc_next(m.r, &rec, err, sizeof(err)), WARC_END);
    mem_close(&m);
    strbuf_free(&body);
    strbuf_free(&sb);
}
END_TEST

/* gzip each record of the plain file on its own, or the whole file. */
static void
gzip_records(const struct strbuf *plain, struct strbuf *out, int whole)
{
    const char *p = plain->buf, *end = plain->buf + plain->len;

    while (p < end) {
        const char *next = whole ? end : strstr(p + 1, "WARC/1.0\r\n");
        unsigned char *z;
        size_t zlen;

        if (next == NULL) {
            next = end;
        }
        ck_assert_int_eq(gz_compress(p, (size_t)(next - p), 6, &z, &zlen), 0);
        strbuf_append(out, (const char *)z, zlen);
        kw_free(z);
        p = next;
    }
}

START_TEST(test_gzip)
{
    struct strbuf plain = STRBUF_INIT, gz = STRBUF_INIT;
    struct warc_record rec;
    struct warc_pos second;
    struct mem m;
    char err[256], *types, *block;
    int whole = _i;

    three(&plain);
    gzip_records(&plain, &gz, whole);
    types = walk_types(gz.buf, gz.len);
    ck_assert_str_eq(types, "warcinfo request response");
    free(types);
    /* positions lead back to a record */
    mem_open(&m, gz.buf, gz.len);
    ck_assert_int_eq(warc_next(m.r, &rec, err, sizeof(err)), WARC_RECORD);
    ck_assert_int_eq(warc_next(m.r, &rec, err, sizeof(err)), WARC_RECORD);
    second = rec.pos;
    if (whole) {
        ck_assert_int_eq(second.member, 0);
        ck_assert_int_gt(second.off, 0);
    } else {
        ck_assert_int_gt(second.member, 0);
        ck_assert_int_eq(second.off, 0);
    }
    ck_assert_int_eq(warc_next(m.r, &rec, err, sizeof(err)), WARC_RECORD);
    ck_assert_int_eq(warc_seek(m.r, &second), 0);
    ck_assert_int_eq(warc_next(m.r, &rec, err, sizeof(err)), WARC_RECORD);
    ck_assert_str_eq(rec.type, "request");
    block = read_block(m.r);
    ck_assert_str_eq(block, "GET / HTTP/1.1\r\nHost: a.example\r\n\r\n");
    free(block);
    mem_close(&m);
    strbuf_free(&plain);
    strbuf_free(&gz);
}
END_TEST

/* Decode one captured response (status line, headers, raw body). */
static int
decode(const char *http, size_t len, size_t max, struct strbuf *out, char *err,
       size_t errlen)
{
    struct strbuf sb = STRBUF_INIT;
    struct warc_record rec;
    struct warc_http h;
    struct mem m;
    int rc;

    add_response(&sb, "http://a.example/x", "2024-01-01T00:00:00Z", http, len,
                 NULL);
    mem_open(&m, sb.buf, sb.len);
    ck_assert_int_eq(warc_next(m.r, &rec, err, errlen), WARC_RECORD);
    rc = warc_http_head(m.r, &h, err, errlen);
    if (rc == 0) {
        rc = warc_http_body(m.r, &h, max, collect, out, err, errlen);
    }
    mem_close(&m);
    strbuf_free(&sb);
    return rc;
}

/* A chunked, gzip-encoded body: the text cut into chunks of 5 bytes. */
static void
chunked_gzip(struct strbuf *http, const char *text, const char *coding)
{
    unsigned char *z;
    size_t zlen, i;

    ck_assert_int_eq(gz_compress(text, strlen(text), 9, &z, &zlen), 0);
    strbuf_printf(http,
                  "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                  "Content-Encoding: %s\r\nContent-Type: text/plain\r\n\r\n",
                  coding);
    for (i = 0; i < zlen; i += 5) {
        size_t k = zlen - i < 5 ? zlen - i : 5;

        strbuf_printf(http, "%zx;ext=1\r\n", k);
        strbuf_append(http, (const char *)z + i, k);
        strbuf_puts(http, "\r\n");
    }
    strbuf_puts(http, "0\r\nX-Trailer: 1\r\n\r\n");
    kw_free(z);
}

START_TEST(test_chunked_gzip)
{
    struct strbuf http = STRBUF_INIT, out = STRBUF_INIT;
    char err[256];
    static const char text[] = "A body that was gzipped and sent in chunks.";

    chunked_gzip(&http, text, "gzip");
    ck_assert_int_eq(decode(http.buf, http.len, 1000, &out, err, sizeof(err)),
                     0);
    ck_assert_str_eq(strbuf_peek(&out), text);
    /* over the cap: refused */
    strbuf_reset(&out);
    ck_assert_int_eq(decode(http.buf, http.len, 10, &out, err, sizeof(err)),
                     -1);
    ck_assert_str_eq(err, "too large: more than 10 bytes");
    /* cut inside the chunks */
    strbuf_reset(&out);
    ck_assert_int_eq(
        decode(http.buf, http.len - 30, 1000, &out, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "broken chunked encoding"));
    strbuf_free(&http);
    strbuf_free(&out);
}
END_TEST

/* head + body[0..len) decoded as a captured response gives rc and want
 * (the body, or the error). */
static void
expect_body(const char *head, const void *body, size_t len, int rc,
            const char *want)
{
    struct strbuf http = STRBUF_INIT, out = STRBUF_INIT;
    char err[256];

    strbuf_puts(&http, head);
    strbuf_append(&http, body, len);
    ck_assert_int_eq(decode(http.buf, http.len, 100, &out, err, sizeof(err)),
                     rc);
    ck_assert_str_eq(rc == 0 ? strbuf_peek(&out) : err, want);
    strbuf_free(&http);
    strbuf_free(&out);
}

START_TEST(test_codings)
{
    static const char zlib_hi[] = "\x78\x9c\xcb\xc8\x04\x00\x01\x3b\x00\xd2";
    static const char raw_hi[] = "\xcb\xc8\x04\x00";
    static const char deflate[] =
        "HTTP/1.0 200 OK\r\nContent-Encoding: deflate\r\n\r\n";

    expect_body(deflate, S(zlib_hi), 0, "hi");
    expect_body(deflate, S(raw_hi), 0, "hi");
    /* a chunked header over a body that is not chunked: taken as it is */
    expect_body("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                S("plain text, no chunks"), 0, "plain text, no chunks");
    expect_body("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\n\r\n", S("xx"), -1,
                "unsupported Content-Encoding: br");
    expect_body("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n",
                S("\x1f\x8b\x08\x00garbage garbage"), -1, "corrupt gzip body");
    expect_body("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n", S(""), -1,
                "truncated gzip body");
    expect_body("", S("<html>no status line</html>"), -1,
                "no HTTP status line in the captured response");
    expect_body("HTTP/1.1 200 OK\r\nContent-Type: text/html", S(""), -1,
                "captured HTTP header incomplete");
}
END_TEST

START_TEST(test_date)
{
    ck_assert_int_eq(warc_date("2024-05-06T07:08:09Z"), 1714979289);
    ck_assert_int_eq(warc_date("2024-05-06T07:08:09.123456Z"), 1714979289);
    ck_assert_int_eq(warc_date("2024-05-06T07:08Z"), 1714979280);
    ck_assert_int_eq(warc_date("2024-05-06"), 1714953600);
    ck_assert_int_eq(warc_date("2024"), 1704067200);
    ck_assert_int_eq(warc_date("2024-05-06T07"), -1);
    ck_assert_int_eq(warc_date("2024-13-06T07:08:09Z"), -1);
    ck_assert_int_eq(warc_date("2024-05-06 07:08:09"), -1);
    ck_assert_int_eq(warc_date("2024-05-06T07:08:09Zjunk"), -1);
    ck_assert_int_eq(warc_date(""), -1);
    ck_assert_int_eq(warc_date(NULL), -1);
    ck_assert(warc_is_warc_name("a/crawl.warc.gz"));
    ck_assert(warc_is_warc_name("CRAWL.WARC"));
    ck_assert(!warc_is_warc_name("crawl.warc.gz.txt"));
    ck_assert(!warc_is_warc_name(".warc"));
}
END_TEST

/* Errors: a truncated record, Content-Length too short or too long. */
START_TEST(test_truncated)
{
    struct strbuf sb = STRBUF_INIT;
    char *types;

    three(&sb);
    sb.len -= 20; /* the response's body and record end cut off */
    types = walk_types(sb.buf, sb.len);
    /* the header reads well; ending the record finds it cut short */
    ck_assert_str_eq(types, "warcinfo request response !");
    free(types);
    strbuf_free(&sb);
}
END_TEST

START_TEST(test_lying_length)
{
    struct strbuf sb = STRBUF_INIT, gz = STRBUF_INIT;
    static const char body[] = "0123456789 and more than ten bytes";
    char *types;
    int mode;

    for (mode = 0; mode < 3; mode++) {
        /* too short, then too long (it swallows the next record) */
        long claimed[2] = {10, (long)strlen(body) + 60};
        int k;

        for (k = 0; k < 2; k++) {
            strbuf_reset(&sb);
            strbuf_reset(&gz);
            add_record(&sb, "WARC-Type: metadata\r\n", body, strlen(body),
                       claimed[k]);
            add_response(&sb, "http://a.example/", "2024-05-06T07:08:09Z", page,
                         strlen(page), NULL);
            if (mode > 0) {
                gzip_records(&sb, &gz, mode == 2);
            } else {
                strbuf_append(&gz, sb.buf, sb.len);
            }
            types = walk_types(gz.buf, gz.len);
            ck_assert_msg(strcmp(types, "metadata ! response") == 0,
                          "mode %d, claimed %ld: %s", mode, claimed[k], types);
            free(types);
        }
    }
    strbuf_free(&sb);
    strbuf_free(&gz);
}
END_TEST

START_TEST(test_corrupt_gzip)
{
    struct strbuf plain = STRBUF_INIT, gz = STRBUF_INIT;
    char *types, *second;

    three(&plain);
    gzip_records(&plain, &gz, 0);
    /* break the request's member in its middle */
    second = memmem(gz.buf + 2, gz.len - 2, "\x1f\x8b\x08", 3);
    ck_assert_ptr_nonnull(second);
    second[10] = (char)0xff; /* a reserved deflate block type */
    types = walk_types(gz.buf, gz.len);
    ck_assert_str_eq(types, "warcinfo ! response");
    free(types);
    /* garbage, and a gzip file cut short */
    types = walk_types("garbage\r\n\r\n", 11);
    ck_assert_str_eq(types, "!");
    free(types);
    strbuf_reset(&gz);
    gzip_records(&plain, &gz, 0);
    types = walk_types(gz.buf, gz.len - 8); /* no CRC and size at the end */
    ck_assert_str_eq(types, "warcinfo request response !");
    free(types);
    types = walk_types("", 0);
    ck_assert_str_eq(types, "");
    free(types);
    strbuf_free(&plain);
    strbuf_free(&gz);
}
END_TEST

START_TEST(test_header_limits)
{
    struct strbuf sb = STRBUF_INIT, f = STRBUF_INIT;
    char *types;
    int i;

    for (i = 0; i < 70000; i++) {
        strbuf_putc(&f, 'x');
    }
    strbuf_puts(&f, ": y\r\n");
    add_record(&sb, strbuf_peek(&f), "", 0, -1);
    three(&sb);
    strbuf_reset(&f);
    for (i = 0; i < WARC_FIELDS_MAX + 1; i++) {
        strbuf_printf(&f, "X-%d: y\r\n", i);
    }
    add_record(&sb, strbuf_peek(&f), "", 0, -1);
    add_record(&sb, "WARC-Type: a\r\nContent-Length: 5\r\n", "", 0, -1);
    add_record(&sb, "WARC-Type: b\r\nno colon\r\n", "", 0, -1);
    add_record(&sb, "WARC-Type: c\r\nX-Note: a\r\n folded\r\n", "", 0, -1);
    types = walk_types(sb.buf, sb.len);
    ck_assert_str_eq(types, "! warcinfo request response ! ! ! c");
    free(types);
    /* headers around the size limit: read, or refused, never past it */
    for (i = WARC_HEAD_MAX - 40; i < WARC_HEAD_MAX + 8; i++) {
        int k;

        strbuf_reset(&sb);
        strbuf_reset(&f);
        strbuf_puts(&f, "WARC-Type: big\r\nX: ");
        for (k = 0; k < i - 45; k++) {
            strbuf_putc(&f, 'x');
        }
        strbuf_puts(&f, "\r\n");
        add_record(&sb, strbuf_peek(&f), "", 0, -1);
        three(&sb);
        types = walk_types(sb.buf, sb.len);
        ck_assert_msg(strcmp(types, "! warcinfo request response") == 0 ||
                          strcmp(types, "big warcinfo request response") == 0,
                      "%d: %s", i, types);
        free(types);
    }
    /* a file of nothing but broken records stops after WARC_BROKEN_MAX */
    strbuf_reset(&sb);
    for (i = 0; i < WARC_BROKEN_MAX + 50; i++) {
        strbuf_puts(&sb, "WARC/1.0\r\nbad\r\n\r\n");
    }
    types = walk_types(sb.buf, sb.len);
    ck_assert_int_eq(strlen(types), 2 * WARC_BROKEN_MAX - 1);
    free(types);
    strbuf_free(&sb);
    strbuf_free(&f);
}
END_TEST

/* ---- Unpacking -------------------------------------------------- */

static char dir[64];

static void
setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/check_warc.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
    fetch_rmtree(dir);
}

static void
write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* The record of out whose url is url (the last one), or NULL. */
static const struct fetch_record *
by_url(const struct fetch_result *out, const char *url)
{
    const struct fetch_record *hit = NULL;
    size_t i;

    for (i = 0; i < out->n; i++) {
        if (out->r[i].url != NULL && strcmp(out->r[i].url, url) == 0) {
            hit = &out->r[i];
        }
    }
    return hit;
}

static char *
tree_file(const char *rel)
{
    char path[512], *data = NULL;
    FILE *f;
    long n;

    snprintf(path, sizeof(path), "%s/tree/%s", dir, rel);
    f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);
    data = calloc(1, (size_t)n + 1);
    ck_assert_int_eq(fread(data, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return data;
}

START_TEST(test_unpack)
{
    struct strbuf sb = STRBUF_INIT, http = STRBUF_INIT, gz = STRBUF_INIT;
    struct fetch_result out;
    struct warc_unpack *u;
    struct policy *pol;
    const struct fetch_record *fr;
    char path[256], tree[256], err[512], *data;
    static const char pol_text[] = "allow a.example b.example ads.example\n"
                                   "deny ads.example\n";

    /* file one: a page, a 404, a request, a blocked page, a chunked gzip
     * text, an image, and a record cut short */
    three(&sb);
    add_response(&sb, "http://a.example/missing", "2024-05-06T07:08:10Z",
                 S("HTTP/1.1 404 Not Found\r\n\r\nnope"), NULL);
    add_response(&sb, "http://ads.example/x.html", "2024-05-06T07:08:11Z", page,
                 strlen(page), NULL);
    chunked_gzip(&http, "chunked text", "x-gzip");
    add_response(&sb, "https://b.example/docs/notes", "2024-05-06T07:08:12Z",
                 http.buf, http.len, "WARC-Payload-Digest: sha1:NOTES\r\n");
    add_response(&sb, "http://a.example/img/logo.png", "2024-05-06T07:08:13Z",
                 S("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\nPNG"),
                 NULL);
    add_response(&sb, "http://a.example/page2.html", "2024-05-06T07:08:14Z",
                 page, strlen(page), "WARC-Payload-Digest: sha1:PAGE\r\n");
    add_response(&sb, "http://a.example/cut.html", "2024-05-06T07:08:15Z", page,
                 strlen(page), NULL);
    sb.len -= 10;
    gzip_records(&sb, &gz, 0);
    snprintf(path, sizeof(path), "%s/one.warc.gz", dir);
    write_file(path, gz.buf, gz.len);
    /* file two: revisits of file one's records, by digest and by URL and
     * date, one with nothing to follow, and a later capture of / */
    strbuf_reset(&sb);
    add_record(&sb,
               "WARC-Type: revisit\r\nWARC-Target-URI: https://b.example/again"
               "\r\nWARC-Date: 2024-06-01T00:00:00Z\r\nWARC-Payload-Digest: "
               "sha1:NOTES\r\nWARC-Truncated: length\r\n",
               S("HTTP/1.1 200 OK\r\n\r\n"), -1);
    add_record(&sb,
               "WARC-Type: revisit\r\nWARC-Target-URI: http://a.example/p3"
               "\r\nWARC-Date: 2024-06-01T00:00:01Z\r\n"
               "WARC-Refers-To-Target-URI: http://a.example/page2.html\r\n"
               "WARC-Refers-To-Date: 2024-05-06T07:08:14Z\r\n",
               "", 0, -1);
    add_record(&sb,
               "WARC-Type: revisit\r\nWARC-Target-URI: http://a.example/p4"
               "\r\nWARC-Date: 2024-06-01T00:00:02Z\r\nWARC-Payload-Digest: "
               "sha1:UNKNOWN\r\n",
               "", 0, -1);
    add_response(&sb, "http://a.example/", "2024-06-02T00:00:00Z",
                 S("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\nnewer"),
                 NULL);
    add_response(&sb, "http://a.example/", "2024-01-01T00:00:00Z",
                 S("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\nolder"),
                 NULL);
    snprintf(path, sizeof(path), "%s/two.warc", dir);
    write_file(path, sb.buf, sb.len);

    ck_assert_int_eq(policy_parse(pol_text, strlen(pol_text), "test", &pol, err,
                                  sizeof(err)),
                     0);
    snprintf(tree, sizeof(tree), "%s/tree", dir);
    ck_assert_int_eq(mkdir(tree, 0700), 0);
    memset(&out, 0, sizeof(out));
    ck_assert_int_eq(
        warc_unpack_new(tree, pol, 1000, NULL, &out, &u, err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/one.warc.gz", dir);
    ck_assert_int_eq(warc_unpack_file(u, path, err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/two.warc", dir);
    ck_assert_int_eq(warc_unpack_file(u, path, err, sizeof(err)), 0);
    snprintf(path, sizeof(path), "%s/none.warc", dir);
    ck_assert_int_eq(warc_unpack_file(u, path, err, sizeof(err)), 0);
    ck_assert_str_eq(warc_unpack_base(u), "http://a.example/");
    ck_assert_int_eq(warc_unpack_finish(u), 0);

    fr = by_url(&out, "one.warc.gz@0");
    ck_assert_ptr_nonnull(fr);
    ck_assert_str_eq(fr->skipped, "warcinfo record");
    fr = &out.r[1];
    ck_assert_str_eq(fr->url, "http://a.example/");
    ck_assert_str_eq(fr->skipped, "request record");
    /* the first capture of / gave way to the later one in file two */
    fr = &out.r[2];
    ck_assert_ptr_null(fr->path);
    ck_assert_ptr_nonnull(strstr(fr->skipped, "older capture"));
    fr = by_url(&out, "http://a.example/missing");
    ck_assert_str_eq(fr->skipped, "HTTP status 404");
    fr = by_url(&out, "http://ads.example/x.html");
    ck_assert_ptr_nonnull(strstr(fr->error, "blocked source"));
    fr = by_url(&out, "https://b.example/docs/notes");
    ck_assert_str_eq(fr->path, "b.example/docs/notes.txt");
    ck_assert_str_eq(fr->content_type, "text/plain");
    ck_assert_str_eq(fr->final_url, "https://b.example/docs/notes");
    ck_assert_int_eq(fr->fetched_at, 1714979292);
    ck_assert_int_eq(fr->size, 12);
    data = tree_file(fr->path);
    ck_assert_str_eq(data, "chunked text");
    free(data);
    fr = by_url(&out, "http://a.example/img/logo.png");
    ck_assert_str_eq(fr->path, "img/logo.png");
    fr = by_url(&out, "http://a.example/cut.html");
    ck_assert_ptr_nonnull(strstr(fr->error, "broken record"));
    ck_assert_ptr_null(fr->path);
    /* revisits */
    fr = by_url(&out, "https://b.example/again");
    ck_assert_ptr_null(fr->error);
    data = tree_file(fr->path);
    ck_assert_str_eq(data, "chunked text");
    free(data);
    ck_assert_int_eq(fr->fetched_at, 1717200000);
    fr = by_url(&out, "http://a.example/p3");
    ck_assert_ptr_null(fr->error);
    ck_assert_str_eq(fr->path, "p3.html");
    fr = by_url(&out, "http://a.example/p4");
    ck_assert_ptr_nonnull(strstr(fr->error, "revisit"));
    /* the newest capture of / */
    ck_assert_ptr_nonnull(fetch_find_path(&out, "index.html"));
    data = tree_file("index.html");
    ck_assert_str_eq(data, "newer");
    free(data);
    fr = &out.r[out.n - 2];
    ck_assert_str_eq(fr->skipped, "a later capture of this URL is kept");
    fr = by_url(&out, "none.warc");
    ck_assert_ptr_nonnull(strstr(fr->error, "cannot read the WARC file"));
    /* nothing half-written stays in the tree */
    ck_assert_ptr_null(tree_file("cut.html"));
    ck_assert_ptr_null(tree_file("ads.example/x.html"));
    fetch_result_free(&out);
    policy_free(pol);
    strbuf_free(&sb);
    strbuf_free(&http);
    strbuf_free(&gz);
}
END_TEST

/* Every allocation failing in turn: an error, never a crash or leak. */
START_TEST(test_out_of_memory)
{
    struct strbuf sb = STRBUF_INIT;
    char path[256], tree[256], err[512];
    long i;
    int done = 0;

    three(&sb);
    snprintf(path, sizeof(path), "%s/oom.warc", dir);
    write_file(path, sb.buf, sb.len);
    for (i = 0; !done && i < 200; i++) {
        struct fetch_result out;
        struct warc_unpack *u = NULL;
        int rc;

        snprintf(tree, sizeof(tree), "%s/t%ld", dir, i);
        ck_assert_int_eq(mkdir(tree, 0700), 0);
        memset(&out, 0, sizeof(out));
        alloc_set_fail_after(i);
        rc =
            warc_unpack_new(tree, NULL, 1000, NULL, &out, &u, err, sizeof(err));
        if (rc == 0) {
            rc = warc_unpack_file(u, path, err, sizeof(err));
            if (warc_unpack_finish(u) < 0) {
                rc = -1;
            }
        }
        alloc_set_fail_after(-1);
        done = rc == 0;
        fetch_result_free(&out);
    }
    ck_assert(done);
    strbuf_free(&sb);
}
END_TEST

static Suite *
warc_suite(void)
{
    Suite *s = suite_create("warc");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_plain);
    tcase_add_loop_test(tc, test_gzip, 0, 2);
    tcase_add_test(tc, test_chunked_gzip);
    tcase_add_test(tc, test_codings);
    tcase_add_test(tc, test_date);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_lying_length);
    tcase_add_test(tc, test_corrupt_gzip);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_add_test(tc, test_header_limits);
    suite_add_tcase(s, tc);
    tc = tcase_create("unpack");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_unpack);
    tcase_add_test(tc, test_out_of_memory);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return check_main(warc_suite());
}
