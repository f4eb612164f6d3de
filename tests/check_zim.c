/*
 * check_zim: the ZIM reader (ingest/zim.c) on archives built here byte by
 * byte: header, MIME list, title and path pointer lists, directory
 * entries and clusters (none, xz through liblzma, zstd through libzstd,
 * 4- and 8-byte offsets).  Every metadata key, missing and empty keys,
 * a value over ZIM_META_MAX, control bytes and invalid UTF-8; and the
 * hostile shapes: wrong magic or version, a truncated file, pointer lists,
 * directory entries and clusters outside the file, blob offsets that
 * promise more than the cluster holds, a huge entry count.  Then
 * zim_language, zim_is_zim_name, and zim_unpack with a fake zimdump: the
 * unsafe paths refused one by one (path_bad is internal) and a zimdump
 * that never ends stopped at its time limit.  Layer: tests/.
 */
#include <check.h>
#include <lzma.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "checkmain.h"
#include "clock.h"
#include "fetch.h"
#include "strbuf.h"
#include "zim.h"

/* ---- an archive builder ------------------------------------------ */

struct zb_ent {
    char ns;
    const char *path;
    int redirect;     /* a redirect entry (mime 0xffff, no blob) */
    uint32_t cluster; /* for items */
    uint32_t blob;    /* for items */
};

#define ZB_BLOBS 16

struct zb_clu {
    int comp; /* 1 none, 4 xz, 5 zstd */
    int ext;  /* 8-byte offsets */
    const char *blob[ZB_BLOBS];
    size_t len[ZB_BLOBS]; /* 0: strlen(blob) */
    size_t n;
};

/* Where the parts of the last archive built are. */
struct zb_map {
    size_t pathptr, clusterptr, checksum;
    size_t dirent[64];
    size_t cluster[8];
};

static void
put_le(struct strbuf *sb, uint64_t v, int n)
{
    unsigned char b[8];
    int i;

    for (i = 0; i < n; i++) {
        b[i] = (unsigned char)(v >> (8 * i));
    }
    strbuf_append(sb, (const char *)b, (size_t)n);
}

static void
set_le(struct strbuf *sb, size_t off, uint64_t v, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        sb->buf[off + (size_t)i] = (char)(unsigned char)(v >> (8 * i));
    }
}

/* Cluster c as stored: its info byte and (compressed) data. */
static void
zb_cluster(struct strbuf *out, const struct zb_clu *c)
{
    struct strbuf raw = STRBUF_INIT;
    int osz = c->ext ? 8 : 4;
    uint64_t pos = (uint64_t)(c->n + 1) * (uint64_t)osz;
    size_t i;

    for (i = 0; i <= c->n; i++) {
        put_le(&raw, pos, osz);
        if (i < c->n) {
            pos += c->len[i] ? c->len[i] : strlen(c->blob[i]);
        }
    }
    for (i = 0; i < c->n; i++) {
        strbuf_append(&raw, c->blob[i],
                      c->len[i] ? c->len[i] : strlen(c->blob[i]));
    }
    strbuf_putc(out, (char)(c->comp | (c->ext ? 0x10 : 0)));
    if (c->comp == 5) {
        size_t cap = ZSTD_compressBound(raw.len), k;
        char *z = malloc(cap);

        ck_assert_ptr_nonnull(z);
        k = ZSTD_compress(z, cap, raw.buf, raw.len, 3);
        ck_assert(!ZSTD_isError(k));
        strbuf_append(out, z, k);
        free(z);
    } else if (c->comp == 4) {
        size_t cap = lzma_stream_buffer_bound(raw.len), k = 0;
        uint8_t *z = malloc(cap);

        ck_assert_ptr_nonnull(z);
        ck_assert_int_eq(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL,
                                                 (const uint8_t *)raw.buf,
                                                 raw.len, z, &k, cap),
                         LZMA_OK);
        strbuf_append(out, (const char *)z, k);
        free(z);
    } else {
        strbuf_append(out, raw.buf, raw.len);
    }
    strbuf_free(&raw);
}

/* A ZIM of major.minor with the entries (in directory order, as the
 * format sorts them: the caller gives them sorted) and clusters. */
static void
zb_build(struct strbuf *out, struct zb_map *map, unsigned major, unsigned minor,
         const struct zb_ent *e, size_t ne, const struct zb_clu *c, size_t nc)
{
    static const char mimes[] = "text/html\0text/plain\0";
    struct strbuf dir = STRBUF_INIT, clu = STRBUF_INIT;
    size_t doff[64], coff[8], base, i;

    ck_assert_uint_le(ne, 64);
    ck_assert_uint_le(nc, 8);
    strbuf_reset(out);
    /* header, patched at the end */
    strbuf_append(out, "\0", 1);
    while (out->len < 80) {
        strbuf_putc(out, '\0');
    }
    strbuf_append(out, mimes, sizeof(mimes)); /* ends in the empty one */
    for (i = 0; i < ne; i++) { /* title pointer list: path order */
        put_le(out, i, 4);
    }
    base = out->len;
    for (i = 0; i < ne; i++) {
        doff[i] = base + dir.len;
        put_le(&dir, e[i].redirect ? 0xffff : 1, 2);
        strbuf_putc(&dir, '\0');
        strbuf_putc(&dir, e[i].ns);
        put_le(&dir, 0, 4);
        if (e[i].redirect) {
            put_le(&dir, 0, 4);
        } else {
            put_le(&dir, e[i].cluster, 4);
            put_le(&dir, e[i].blob, 4);
        }
        strbuf_append(&dir, e[i].path, strlen(e[i].path) + 1);
        strbuf_append(&dir, "", 1); /* title: the path */
    }
    strbuf_append(out, dir.buf, dir.len);
    map->pathptr = out->len;
    for (i = 0; i < ne; i++) {
        put_le(out, doff[i], 8);
        map->dirent[i] = doff[i];
    }
    map->clusterptr = out->len;
    base = out->len + 8 * nc;
    for (i = 0; i < nc; i++) {
        coff[i] = base + clu.len;
        map->cluster[i] = coff[i];
        zb_cluster(&clu, &c[i]);
    }
    for (i = 0; i < nc; i++) {
        put_le(out, coff[i], 8);
    }
    strbuf_append(out, clu.buf, clu.len);
    map->checksum = out->len;
    set_le(out, 0, 72173914u, 4);
    set_le(out, 4, major, 2);
    set_le(out, 6, minor, 2);
    set_le(out, 24, ne, 4);
    set_le(out, 28, nc, 4);
    set_le(out, 32, map->pathptr, 8);
    set_le(out, 40, 80 + sizeof(mimes), 8); /* title pointer list */
    set_le(out, 48, map->clusterptr, 8);
    set_le(out, 56, 80, 8);          /* MIME list */
    set_le(out, 64, 0xffffffffu, 4); /* no main page */
    set_le(out, 68, 0xffffffffu, 4); /* no layout page */
    set_le(out, 72, map->checksum, 8);
    strbuf_append(out, "0123456789abcdef", 16); /* MD5: not checked */
    strbuf_free(&dir);
    strbuf_free(&clu);
}

static char dir[64];
static char file[128];

static void
setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/check_zim.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(file, sizeof(file), "%s/a.zim", dir);
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
    ck_assert_int_eq(fclose(f), 0);
}

/* zim_read_meta on sb's bytes: its result, res filled (zim_result_free),
 * err set. */
static int
read_meta(const struct strbuf *sb, struct zim_result *res, char *err,
          size_t errlen)
{
    write_file(file, sb->buf, sb->len);
    memset(res, 0, sizeof(*res));
    err[0] = '\0';
    return zim_read_meta(file, &res->meta, err, errlen);
}

/* Read sb, which must be refused with exactly msg. */
static void
refused(const struct strbuf *sb, const char *msg)
{
    struct zim_result res;
    char err[512];

    ck_assert_int_eq(read_meta(sb, &res, err, sizeof(err)), -1);
    ck_assert_str_eq(err, msg);
    zim_result_free(&res);
}

/* The eight keys, a content entry before them, an unknown key and an
 * index entry after: what zimwriterfs writes, in its order. */
static const struct zb_ent all_ents[] = {
    {'C', "index.html", 0, 1, 0},  {'M', "Counter", 0, 0, 8},
    {'M', "Creator", 0, 0, 0},     {'M', "Date", 0, 0, 1},
    {'M', "Description", 0, 0, 2}, {'M', "Language", 0, 0, 3},
    {'M', "Name", 0, 0, 4},        {'M', "Publisher", 0, 0, 5},
    {'M', "Source", 0, 0, 6},      {'M', "Title", 0, 0, 7},
    {'W', "mainPage", 1, 0, 0},    {'X', "title/xapian", 0, 1, 1},
};

static struct zb_clu
all_meta(int comp, int ext)
{
    struct zb_clu c = {comp,
                       ext,
                       {"Test Creator", "2024-05-06", "A small library",
                        "kor,eng", "test_lib", "Test Publisher",
                        "https://library.example.org/wiki/",
                        "\xec\xa1\xb0\xec\x84\xa0 Library", "text/html=1"},
                       {0},
                       9};

    return c;
}

/* ---- core ---------------------------------------------------------- */

/* Each key read, from a cluster of each kind: _i bit 0 extended offsets,
 * bits 1.. the compression (none, xz, zstd). */
START_TEST(test_all_keys)
{
    static const int comps[] = {1, 4, 5};
    struct zb_clu c[2] = {all_meta(comps[_i >> 1], _i & 1),
                          {5, 0, {"<p>hi</p>", "x"}, {0}, 2}};
    struct strbuf sb = STRBUF_INIT;
    struct zb_map map;
    struct zim_result res;
    char err[512];

    zb_build(&sb, &map, 6, 1, all_ents, 12, c, 2);
    ck_assert_msg(read_meta(&sb, &res, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(res.meta.creator, "Test Creator");
    ck_assert_str_eq(res.meta.date, "2024-05-06");
    ck_assert_str_eq(res.meta.description, "A small library");
    ck_assert_str_eq(res.meta.language, "kor,eng");
    ck_assert_str_eq(res.meta.name, "test_lib");
    ck_assert_str_eq(res.meta.publisher, "Test Publisher");
    ck_assert_str_eq(res.meta.source, "https://library.example.org/wiki/");
    ck_assert_str_eq(res.meta.title, "\xec\xa1\xb0\xec\x84\xa0 Library");
    zim_result_free(&res);
    ck_assert_ptr_null(res.meta.title); /* zeroed */
    strbuf_free(&sb);
}
END_TEST

/* The old scheme (5.0): articles in A, metadata in M, an index in X. */
START_TEST(test_old_scheme)
{
    static const struct zb_ent e[] = {
        {'-', "favicon", 0, 0, 0},  {'A', "index.html", 0, 0, 0},
        {'I', "logo.png", 0, 0, 0}, {'M', "Language", 0, 0, 1},
        {'M', "Title", 0, 0, 2},    {'X', "fulltext/xapian", 0, 0, 0},
    };
    struct zb_clu c = {4, 0, {"x", "eng", "Old"}, {0}, 3};
    struct strbuf sb = STRBUF_INIT;
    struct zb_map map;
    struct zim_result res;
    char err[512];

    zb_build(&sb, &map, 5, 0, e, 6, &c, 1);
    ck_assert_msg(read_meta(&sb, &res, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(res.meta.title, "Old");
    ck_assert_str_eq(res.meta.language, "eng");
    ck_assert_ptr_null(res.meta.source);
    zim_result_free(&res);
    strbuf_free(&sb);
}
END_TEST

/* Absent keys, empty or blank values, a redirect in M and a value of
 * another kind of entry: NULL. */
START_TEST(test_missing_keys)
{
    static const struct zb_ent e[] = {
        {'C', "a.html", 0, 0, 0},   {'M', "Creator", 0, 0, 1},
        {'M', "Date", 0, 0, 2},     {'M', "Description", 1, 0, 0},
        {'M', "Title", 0, 0, 3},    {'M', "title", 0, 0, 3},
        {'N', "Language", 0, 0, 3},
    };
    struct zb_clu c = {5, 0, {"x", "", " \n \n", "T"}, {0, 0, 0, 0}, 4};
    struct strbuf sb = STRBUF_INIT;
    struct zb_map map;
    struct zim_result res;
    char err[512];

    zb_build(&sb, &map, 6, 1, e, 7, &c, 1);
    ck_assert_msg(read_meta(&sb, &res, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(res.meta.title, "T");
    ck_assert_ptr_null(res.meta.creator);     /* empty */
    ck_assert_ptr_null(res.meta.date);        /* blanks only */
    ck_assert_ptr_null(res.meta.description); /* a redirect */
    ck_assert_ptr_null(res.meta.language);    /* not in M */
    ck_assert_ptr_null(res.meta.source);
    ck_assert_ptr_null(res.meta.publisher);
    ck_assert_ptr_null(res.meta.name);
    zim_result_free(&res);

    /* No entry at all. */
    zb_build(&sb, &map, 6, 1, e, 0, &c, 1);
    ck_assert_msg(read_meta(&sb, &res, err, sizeof(err)) == 0, "%s", err);
    ck_assert_ptr_null(res.meta.title);
    zim_result_free(&res);
    strbuf_free(&sb);
}
END_TEST

START_TEST(test_language)
{
    char buf[16], small[4];

    ck_assert_ptr_null(zim_language(NULL, buf, sizeof(buf)));
    ck_assert_str_eq(zim_language("eng", buf, sizeof(buf)), "en");
    ck_assert_str_eq(zim_language("kor", buf, sizeof(buf)), "ko");
    ck_assert_str_eq(zim_language("kor,eng", buf, sizeof(buf)), "ko");
    ck_assert_str_eq(zim_language("eng kor", buf, sizeof(buf)), "en");
    ck_assert_str_eq(zim_language("zho", buf, sizeof(buf)), "zh");
    ck_assert_str_eq(zim_language("jpn", buf, sizeof(buf)), "ja");
    ck_assert_str_eq(zim_language("rus", buf, sizeof(buf)), "ru");
    ck_assert_str_eq(zim_language("fra", buf, sizeof(buf)), "fr");
    ck_assert_str_eq(zim_language("deu", buf, sizeof(buf)), "de");
    ck_assert_str_eq(zim_language("spa", buf, sizeof(buf)), "es");
    ck_assert_str_eq(zim_language("por", buf, sizeof(buf)), "pt");
    ck_assert_str_eq(zim_language("ita", buf, sizeof(buf)), "it");
    ck_assert_str_eq(zim_language("ara", buf, sizeof(buf)), "ar");
    ck_assert_str_eq(zim_language("vie", buf, sizeof(buf)), "vi");
    /* Unknown codes as written, first of a list, into buf. */
    ck_assert_ptr_eq(zim_language("nld,eng", buf, sizeof(buf)), buf);
    ck_assert_str_eq(buf, "nld");
    ck_assert_str_eq(zim_language("english", buf, sizeof(buf)), "english");
    ck_assert_str_eq(zim_language("engl", buf, sizeof(buf)), "engl");
    ck_assert_str_eq(zim_language("", buf, sizeof(buf)), "");
    ck_assert_str_eq(zim_language("ENG", buf, sizeof(buf)), "ENG");
    /* Cut to the buffer. */
    ck_assert_str_eq(zim_language("english", small, sizeof(small)), "eng");
}
END_TEST

START_TEST(test_is_zim_name)
{
    ck_assert_int_eq(zim_is_zim_name("wikipedia_ko_all.zim"), 1);
    ck_assert_int_eq(zim_is_zim_name("A.ZIM"), 1);
    ck_assert_int_eq(zim_is_zim_name("dir/x.Zim"), 1);
    ck_assert_int_eq(zim_is_zim_name(".zim"), 0);
    ck_assert_int_eq(zim_is_zim_name("zim"), 0);
    ck_assert_int_eq(zim_is_zim_name(""), 0);
    ck_assert_int_eq(zim_is_zim_name("a.zim.gz"), 0);
    ck_assert_int_eq(zim_is_zim_name("a.zimx"), 0);
    ck_assert_int_eq(zim_is_zim_name("azim"), 0);
}
END_TEST

/* ---- limits -------------------------------------------------------- */

/* A value over ZIM_META_MAX is cut there, and back to a whole UTF-8
 * character. */
START_TEST(test_long_value)
{
    static const struct zb_ent e[] = {
        {'M', "Description", 0, 0, 0},
        {'M', "Title", 0, 0, 1},
    };
    struct zb_clu c = {_i ? 5 : 1, 0, {NULL, NULL}, {0}, 2};
    struct strbuf sb = STRBUF_INIT, ko = STRBUF_INIT;
    struct zb_map map;
    struct zim_result res;
    char err[512], *x = malloc(5000);
    size_t i;

    ck_assert_ptr_nonnull(x);
    memset(x, 'x', 5000);
    for (i = 0; i < 1000; i++) {
        strbuf_puts(&ko, "\xea\xb0\x80"); /* 3 bytes each */
    }
    c.blob[0] = x;
    c.len[0] = 5000;
    c.blob[1] = ko.buf;
    c.len[1] = ko.len;
    zb_build(&sb, &map, 6, 1, e, 2, &c, 1);
    ck_assert_msg(read_meta(&sb, &res, err, sizeof(err)) == 0, "%s", err);
    ck_assert_uint_eq(strlen(res.meta.description), ZIM_META_MAX);
    ck_assert_int_eq(res.meta.description[ZIM_META_MAX - 1], 'x');
    /* 2048 = 682 * 3 + 2: the last, cut character goes. */
    ck_assert_uint_eq(strlen(res.meta.title), 682 * 3);
    ck_assert_int_eq(strncmp(res.meta.title, ko.buf, 682 * 3), 0);
    zim_result_free(&res);
    free(x);
    strbuf_free(&ko);
    strbuf_free(&sb);
}
END_TEST

/* An entry count far beyond the file. */
START_TEST(test_huge_entry_count)
{
    struct zb_clu c = all_meta(5, 0);
    struct strbuf sb = STRBUF_INIT;
    struct zb_map map;

    zb_build(&sb, &map, 6, 1, all_ents, 10, &c, 1);
    set_le(&sb, 24, 0xffffffffu, 4);
    refused(&sb, "corrupt ZIM archive: pointer lists outside the file");
    set_le(&sb, 24, 10, 4);
    set_le(&sb, 28, 0xffffffffu, 4); /* clusters */
    refused(&sb, "corrupt ZIM archive: pointer lists outside the file");
    strbuf_free(&sb);
}
END_TEST

/* Blob offsets that promise more than the cluster holds: uncompressed
 * (the bytes run into the checksum), zstd (the data ends first), and an
 * offset table that is no table. */
START_TEST(test_cluster_lies)
{
    static const struct zb_ent e[] = {{'M', "Title", 0, 0, 1}};
    struct zb_clu c = {1, 0, {"a", "Title"}, {0}, 2};
    struct strbuf sb = STRBUF_INIT;
    struct zb_map map;
    struct zim_result res;
    char err[512];

    zb_build(&sb, &map, 6, 1, e, 1, &c, 1);
    ck_assert_msg(read_meta(&sb, &res, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(res.meta.title, "Title");
    zim_result_free(&res);
    /* Offsets at cluster + 1: 12, 13, 18.  The end said 1 MB. */
    set_le(&sb, map.cluster[0] + 1 + 8, 1000000, 4);
    refused(&sb, "corrupt ZIM archive: metadata Title unreadable");
    /* The end before the start. */
    set_le(&sb, map.cluster[0] + 1 + 8, 12, 4);
    refused(&sb, "corrupt ZIM archive: metadata Title unreadable");
    /* A first offset that is no multiple of 4, and one of 4: no blob. */
    set_le(&sb, map.cluster[0] + 1 + 8, 18, 4);
    set_le(&sb, map.cluster[0] + 1, 13, 4);
    refused(&sb, "corrupt ZIM archive: metadata Title unreadable");
    set_le(&sb, map.cluster[0] + 1, 4, 4);
    refused(&sb, "corrupt ZIM archive: metadata Title unreadable");

    /* zstd: the frame holds 18 bytes, the table says 1 MB. */
    c.comp = 5;
    c.blob[1] = "Title";
    zb_build(&sb, &map, 6, 1, e, 1, &c, 1);
    ck_assert_msg(read_meta(&sb, &res, err, sizeof(err)) == 0, "%s", err);
    zim_result_free(&res);
    {
        struct strbuf raw = STRBUF_INIT, z = STRBUF_INIT;
        struct zb_clu one = {1, 0, {"a", "Title"}, {0}, 2};
        size_t cap, k;
        char *buf;

        zb_cluster(&raw, &one);
        set_le(&raw, 1 + 8, 1000000, 4);
        cap = ZSTD_compressBound(raw.len);
        buf = malloc(cap);
        ck_assert_ptr_nonnull(buf);
        k = ZSTD_compress(buf, cap, raw.buf + 1, raw.len - 1, 3);
        ck_assert(!ZSTD_isError(k));
        /* Same layout, this frame as the cluster's data. */
        strbuf_append(&z, sb.buf, map.cluster[0] + 1);
        strbuf_append(&z, buf, k);
        set_le(&z, 72, z.len, 8);
        strbuf_append(&z, "0123456789abcdef", 16);
        refused(&z, "corrupt ZIM archive: metadata Title unreadable");
        /* And corrupt zstd data. */
        z.buf[map.cluster[0] + 1] ^= 0x55; /* its magic */
        refused(&z, "corrupt ZIM archive: metadata Title unreadable");
        free(buf);
        strbuf_free(&raw);
        strbuf_free(&z);
    }
    /* An unknown compression (2, zlib, obsolete). */
    zb_build(&sb, &map, 6, 1, e, 1, &c, 1);
    sb.buf[map.cluster[0]] = 2;
    refused(&sb, "corrupt ZIM archive: metadata Title unreadable");
    strbuf_free(&sb);
}
END_TEST

/* An xz cluster whose block header asks for a 4 GiB dictionary: over
 * the decoder's memory limit, refused (not 4 GiB allocated). */
START_TEST(test_xz_dictionary)
{
    static const struct zb_ent e[] = {{'M', "Title", 0, 0, 0}};
    struct zb_clu c = {4, 0, {"Title"}, {0}, 1};
    struct strbuf sb = STRBUF_INIT;
    struct zb_map map;
    struct zim_result res;
    char err[512];
    size_t bh, hl, k;
    uint32_t crc;

    zb_build(&sb, &map, 6, 1, e, 1, &c, 1);
    ck_assert_msg(read_meta(&sb, &res, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(res.meta.title, "Title");
    zim_result_free(&res);
    /* After the info byte, the 12-byte stream header, then the block
     * header: its size / 4 - 1, flags, maybe the sizes, then filter 0x21
     * (LZMA2) with 1 property byte, the dictionary size (40: 4 GiB - 1);
     * padding and its CRC32 last. */
    bh = map.cluster[0] + 1 + 12;
    hl = ((size_t)(unsigned char)sb.buf[bh] + 1) * 4;
    for (k = bh + 2; k + 2 < bh + hl - 4; k++) {
        if (sb.buf[k] == 0x21 && sb.buf[k + 1] == 1) {
            break;
        }
    }
    ck_assert_uint_lt(k + 2, bh + hl - 4);
    ck_assert_int_lt((unsigned char)sb.buf[k + 2], 40);
    sb.buf[k + 2] = 40;
    crc = lzma_crc32((const uint8_t *)sb.buf + bh, hl - 4, 0);
    set_le(&sb, bh + hl - 4, crc, 4);
    refused(&sb, "corrupt ZIM archive: metadata Title unreadable");
    strbuf_free(&sb);
}
END_TEST

/* ---- errors -------------------------------------------------------- */

/* Control bytes become blanks (newline stays), blanks are trimmed, a
 * value cut inside a character loses it, invalid UTF-8 is no value. */
START_TEST(test_clean)
{
    static const struct zb_ent e[] = {
        {'M', "Creator", 0, 0, 0},     {'M', "Date", 0, 0, 1},
        {'M', "Description", 0, 0, 2}, {'M', "Name", 0, 0, 3},
        {'M', "Publisher", 0, 0, 4},   {'M', "Title", 0, 0, 5},
    };
    struct zb_clu c = {5,
                       0,
                       {"\x01"
                        "a\tb\nc\x7f\x1b[31m\r\n  ",
                        "bad \xff\xfe utf-8", "ab\xea\xb0",
                        "\xed\xa0\x80 surrogate", "over\xc0\xaflong",
                        " line one\nline two\n"},
                       {0},
                       6};
    struct strbuf sb = STRBUF_INIT;
    struct zb_map map;
    struct zim_result res;
    char err[512];

    zb_build(&sb, &map, 6, 1, e, 6, &c, 1);
    ck_assert_msg(read_meta(&sb, &res, err, sizeof(err)) == 0, "%s", err);
    ck_assert_str_eq(res.meta.creator, "a b\nc  [31m");
    ck_assert_ptr_null(res.meta.date);            /* invalid UTF-8 */
    ck_assert_str_eq(res.meta.description, "ab"); /* cut character */
    ck_assert_ptr_null(res.meta.name);            /* a surrogate */
    ck_assert_ptr_null(res.meta.publisher);       /* an overlong form */
    ck_assert_str_eq(res.meta.title, "line one\nline two");
    zim_result_free(&res);
    strbuf_free(&sb);
}
END_TEST

START_TEST(test_bad_magic_version)
{
    struct zb_clu c = all_meta(5, 0);
    struct strbuf sb = STRBUF_INIT;
    struct zb_map map;

    zb_build(&sb, &map, 6, 1, all_ents, 10, &c, 1);
    sb.buf[0] ^= 1;
    refused(&sb, "not a ZIM archive");
    sb.buf[0] ^= 1;
    set_le(&sb, 4, 7, 2);
    refused(&sb, "unsupported ZIM version 7");
    set_le(&sb, 4, 4, 2);
    refused(&sb, "unsupported ZIM version 4");
    set_le(&sb, 4, 6, 2);
    strbuf_reset(&sb);
    strbuf_puts(&sb, "this is not a ZIM archive, only text\n");
    refused(&sb, "not a ZIM archive");
    strbuf_reset(&sb);
    refused(&sb, "not a ZIM archive"); /* empty */
    strbuf_free(&sb);
}
END_TEST

/* Not a file, not there. */
START_TEST(test_not_a_file)
{
    struct zim_meta m;
    char err[512];

    memset(&m, 0, sizeof(m));
    ck_assert_int_eq(zim_read_meta(dir, &m, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "not a ZIM archive");
    ck_assert_int_eq(zim_read_meta(file, &m, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "No such file or directory");
}
END_TEST

/* Shorter than the header says: every cut refused, with the sizes. */
START_TEST(test_truncated)
{
    struct zb_clu c = all_meta(5, 0);
    struct strbuf sb = STRBUF_INIT;
    struct zb_map map;
    char msg[256];
    size_t full;

    zb_build(&sb, &map, 6, 1, all_ents, 10, &c, 1);
    full = sb.len;
    sb.len = full - 1;
    snprintf(msg, sizeof(msg),
             "truncated ZIM archive: %zu bytes, the header says %zu", full - 1,
             full);
    refused(&sb, msg);
    sb.len = full / 2;
    snprintf(msg, sizeof(msg),
             "truncated ZIM archive: %zu bytes, the header says %zu", full / 2,
             full);
    refused(&sb, msg);
    sb.len = 79;
    refused(&sb, "not a ZIM archive");
    /* The checksum position past 2^63: no overflow. */
    sb.len = full;
    set_le(&sb, 72, UINT64_MAX - 3, 8);
    snprintf(msg, sizeof(msg),
             "truncated ZIM archive: %zu bytes, the header says "
             "18446744073709551615",
             full);
    refused(&sb, msg);
    strbuf_free(&sb);
}
END_TEST

/* Pointer lists, a directory entry and a cluster outside the file. */
START_TEST(test_outside)
{
    struct zb_clu c = all_meta(5, 0);
    struct strbuf sb = STRBUF_INIT;
    struct zb_map map;

    zb_build(&sb, &map, 6, 1, all_ents, 10, &c, 1);
    set_le(&sb, 32, sb.len + 100, 8); /* path pointer list */
    refused(&sb, "corrupt ZIM archive: pointer lists outside the file");
    set_le(&sb, 32, map.checksum - 8, 8); /* 10 pointers do not fit */
    refused(&sb, "corrupt ZIM archive: pointer lists outside the file");
    set_le(&sb, 32, map.pathptr, 8);
    set_le(&sb, 48, UINT64_MAX, 8); /* cluster pointer list */
    refused(&sb, "corrupt ZIM archive: pointer lists outside the file");
    set_le(&sb, 48, map.clusterptr, 8);

    /* Entry 5 (the binary search's first) pointing past the end. */
    set_le(&sb, map.pathptr + 8 * 5, sb.len + 4096, 8);
    refused(&sb, "corrupt ZIM archive: directory entry 5");
    /* Into the checksum: its fixed part does not fit. */
    set_le(&sb, map.pathptr + 8 * 5, map.checksum - 4, 8);
    refused(&sb, "corrupt ZIM archive: directory entry 5");
    /* A path without its NUL before the end. */
    set_le(&sb, map.pathptr + 8 * 5, map.checksum - 16, 8);
    memset(sb.buf + map.checksum - 16, 'M', 16);
    refused(&sb, "corrupt ZIM archive: directory entry 5");

    /* The Title entry's cluster: past the end, and a number too big. */
    zb_build(&sb, &map, 6, 1, all_ents, 10, &c, 1);
    set_le(&sb, map.clusterptr, sb.len + 1, 8);
    refused(&sb, "corrupt ZIM archive: metadata Creator unreadable");
    zb_build(&sb, &map, 6, 1, all_ents, 10, &c, 1);
    set_le(&sb, map.dirent[9] + 8, 7, 4); /* Title in cluster 7 of 1 */
    refused(&sb, "corrupt ZIM archive: metadata Title unreadable");
    set_le(&sb, map.dirent[9] + 8, 0, 4);
    set_le(&sb, map.dirent[9] + 12, 99, 4); /* blob 99 of 9 */
    refused(&sb, "corrupt ZIM archive: metadata Title unreadable");
    strbuf_free(&sb);
}
END_TEST

/* ---- zim_unpack with a fake zimdump ------------------------------- */

/* A fake zimdump in dir: "list" prints listing, "show" prints "hello",
 * anything else succeeds; with sleeps, it never ends. */
static void
fake_zimdump(const char *listing, int sleeps, char *prog, size_t n)
{
    char path[256];
    struct strbuf sb = STRBUF_INIT;

    snprintf(path, sizeof(path), "%s/listing", dir);
    write_file(path, listing, strlen(listing));
    snprintf(prog, n, "%s/zimdump", dir);
    if (sleeps) {
        strbuf_printf(&sb, "#!/bin/sh\necho $$ >%s/pid\nexec sleep 300\n", dir);
    } else {
        strbuf_printf(&sb,
                      "#!/bin/sh\ncase \"$1\" in\nlist) cat %s;;\n"
                      "show) printf hello;;\nesac\nexit 0\n",
                      path);
    }
    write_file(prog, sb.buf, sb.len);
    ck_assert_int_eq(chmod(prog, 0700), 0);
    strbuf_free(&sb);
}

static void
list_entry(struct strbuf *sb, const char *path, int idx)
{
    strbuf_printf(sb,
                  "path: %s\n* title: t\n* idx: %d\n* type: item\n"
                  "* mime-type: text/plain\n* item size: 5\n",
                  path, idx);
}

/* The unsafe paths, each refused with its reason; the safe one kept. */
START_TEST(test_unpack_paths)
{
    static const struct {
        const char *path, *why;
    } cases[] = {
        {"good.txt", NULL},
        {"sub/ok.txt", NULL},
        {"/etc/passwd", "absolute path"},
        {"a/../../b", "'.', '..' or empty segment in path"},
        {"../up", "'.', '..' or empty segment in path"},
        {"a/./b", "'.', '..' or empty segment in path"},
        {"a//b", "'.', '..' or empty segment in path"},
        {"ctl\x01x", "control character or backslash in path"},
        {"esc\x1b[2J", "control character or backslash in path"},
        {"del\x7f", "control character or backslash in path"},
        {"back\\slash", "control character or backslash in path"},
        {"bad\xff.txt", "path is not valid UTF-8"},
        {"", "empty path"},
    };
    struct strbuf sb = STRBUF_INIT, zim = STRBUF_INIT, longp = STRBUF_INIT;
    struct zb_clu c = all_meta(5, 0);
    struct zb_map map;
    struct zim_opts o;
    struct zim_result res;
    struct fetch_result out;
    char prog[256], dest[128], err[512];
    size_t i, n = sizeof(cases) / sizeof(cases[0]);

    for (i = 0; i < n; i++) {
        list_entry(&sb, cases[i].path, (int)i);
    }
    for (i = 0; i < 1100; i++) {
        strbuf_putc(&longp, 'a');
    }
    list_entry(&sb, longp.buf, (int)n);
    /* A newline in a path breaks zimdump's listing into a line that is
     * no field. */
    strbuf_printf(&sb,
                  "path: two\nlines\n* idx: %d\n* type: item\n"
                  "* item size: 5\n",
                  (int)n + 1);
    fake_zimdump(sb.buf, 0, prog, sizeof(prog));
    zb_build(&zim, &map, 6, 1, all_ents, 10, &c, 1);
    write_file(file, zim.buf, zim.len);
    snprintf(dest, sizeof(dest), "%s/out", dir);
    ck_assert_int_eq(mkdir(dest, 0700), 0);
    memset(&o, 0, sizeof(o));
    o.zimdump = prog;
    o.max_bytes = 1000;
    o.max_total = 100000;
    memset(&res, 0, sizeof(res));
    memset(&out, 0, sizeof(out));
    ck_assert_msg(zim_unpack(file, dest, &o, &res, &out, err, sizeof(err)) == 0,
                  "%s", err);
    ck_assert_uint_eq(out.n, n + 2);
    for (i = 0; i < n; i++) {
        if (cases[i].why == NULL) {
            ck_assert_msg(out.r[i].error == NULL, "%s: %s", cases[i].path,
                          out.r[i].error);
            ck_assert_str_eq(out.r[i].path, cases[i].path);
            ck_assert_int_eq(out.r[i].size, 5);
        } else {
            ck_assert_ptr_nonnull(out.r[i].error);
            ck_assert_str_eq(out.r[i].error, cases[i].why);
            ck_assert_ptr_null(out.r[i].path);
        }
    }
    ck_assert_str_eq(out.r[n].error, "path too long");
    ck_assert_str_eq(out.r[n + 1].error,
                     "control character or backslash in path");
    ck_assert_uint_eq(out.nfailed, n); /* n - 2 here, 2 above */
    /* Nothing written outside dest, nothing for a refused path. */
    {
        char p[256];

        snprintf(p, sizeof(p), "%s/up", dir);
        ck_assert_int_eq(access(p, F_OK), -1);
        snprintf(p, sizeof(p), "%s/good.txt", dest);
        ck_assert_int_eq(access(p, F_OK), 0);
    }
    ck_assert_str_eq(res.meta.title, "\xec\xa1\xb0\xec\x84\xa0 Library");
    ck_assert_str_eq(res.base, "https://library.example.org/wiki/");
    zim_result_free(&res);
    fetch_result_free(&out);
    strbuf_free(&sb);
    strbuf_free(&zim);
    strbuf_free(&longp);
}
END_TEST

/* A zimdump that never ends is killed at the limit; the archive is
 * refused with zimdump and the limit named. */
START_TEST(test_unpack_timeout)
{
    struct strbuf zim = STRBUF_INIT;
    struct zb_clu c = all_meta(5, 0);
    struct zb_map map;
    struct zim_opts o;
    struct zim_result res;
    struct fetch_result out;
    char prog[256], dest[128], err[512], pidfile[256], pidtext[32] = "";
    long long t0;
    FILE *f;
    long pid;

    fake_zimdump("", 1, prog, sizeof(prog));
    zb_build(&zim, &map, 6, 1, all_ents, 10, &c, 1);
    write_file(file, zim.buf, zim.len);
    snprintf(dest, sizeof(dest), "%s/out", dir);
    ck_assert_int_eq(mkdir(dest, 0700), 0);
    memset(&o, 0, sizeof(o));
    o.zimdump = prog;
    o.max_bytes = 1000;
    o.max_total = 100000;
    o.timeout_s = 1;
    memset(&res, 0, sizeof(res));
    memset(&out, 0, sizeof(out));
    t0 = clock_now_ms();
    ck_assert_int_eq(zim_unpack(file, dest, &o, &res, &out, err, sizeof(err)),
                     -1);
    ck_assert_int_ge(clock_now_ms() - t0, 1000);
    ck_assert_int_lt(clock_now_ms() - t0, 10000);
    ck_assert_str_eq(err, "zimdump list took longer than 1 s and was stopped "
                          "(time limit: KW_ZIMDUMP_TIMEOUT)");
    snprintf(pidfile, sizeof(pidfile), "%s/pid", dir);
    f = fopen(pidfile, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(pidtext, sizeof(pidtext), f));
    fclose(f);
    pid = strtol(pidtext, NULL, 10);
    ck_assert_int_gt(pid, 1);
    ck_assert_int_eq(kill((pid_t)pid, 0), -1); /* killed and reaped */
    zim_result_free(&res);
    fetch_result_free(&out);
    strbuf_free(&zim);
}
END_TEST

static Suite *
zim_suite(void)
{
    Suite *s = suite_create("zim");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_all_keys, 0, 6);
    tcase_add_test(tc, test_old_scheme);
    tcase_add_test(tc, test_missing_keys);
    tcase_add_test(tc, test_language);
    tcase_add_test(tc, test_is_zim_name);
    suite_add_tcase(s, tc);
    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_long_value, 0, 2);
    tcase_add_test(tc, test_huge_entry_count);
    tcase_add_test(tc, test_cluster_lies);
    tcase_add_test(tc, test_xz_dictionary);
    suite_add_tcase(s, tc);
    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_clean);
    tcase_add_test(tc, test_bad_magic_version);
    tcase_add_test(tc, test_not_a_file);
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_outside);
    suite_add_tcase(s, tc);
    tc = tcase_create("unpack");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_unpack_paths);
    tcase_add_test(tc, test_unpack_timeout);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return check_main(zim_suite());
}
