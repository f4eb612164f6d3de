/*
 * fuzz_zim: the ZIM metadata reader (ingest/zim.c, zim_read_meta) on
 * arbitrary bytes.  The reader takes a path, as zim_unpack gives it, so
 * each input is written to one temporary file (made once under $TMPDIR,
 * rewritten and truncated per input, removed at exit) and read from
 * there: the header, the sorted directory, the pointer lists and one
 * cluster per metadata entry, none compressed, zstd or xz.  Then
 * zim_language on the Language read.  Layer: tests/.
 *
 * Invariants, from zim.h: the call returns 0 or -1, and on -1 a
 * NUL-terminated, non-empty message; every value kept is NUL-terminated,
 * at most ZIM_META_MAX bytes, non-empty, valid UTF-8, without control
 * bytes but newline and without blanks at either end; reading the same
 * bytes again gives the same result; zim_language gives a string for a
 * value, no longer than its buffer allows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "html.h"
#include "zim.h"

static char zim_path[4096];
static int zim_fd = -1;

static void
zim_cleanup(void)
{
    if (zim_fd >= 0) {
        close(zim_fd);
        unlink(zim_path);
    }
}

/* The temporary file, made on the first call. */
static int
zim_file(void)
{
    const char *tmp = getenv("TMPDIR");

    if (zim_fd >= 0) {
        return zim_fd;
    }
    snprintf(zim_path, sizeof(zim_path), "%s/kwfuzz-zim-XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    zim_fd = mkstemp(zim_path);
    FUZZ_CHECK(zim_fd >= 0, "a temporary file");
    atexit(zim_cleanup);
    return zim_fd;
}

/* A value as zim.h promises it. */
static void
check_value(const char *v)
{
    size_t n, i;

    if (v == NULL) {
        return;
    }
    n = strlen(v);
    FUZZ_CHECK(n > 0, "an empty value is NULL");
    FUZZ_CHECK(n <= ZIM_META_MAX, "a value is at most ZIM_META_MAX bytes");
    FUZZ_CHECK(utf8_valid(v, n), "a value is valid UTF-8");
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];

        FUZZ_CHECK(c >= 0x20 || c == '\n', "no control byte but newline");
        FUZZ_CHECK(c != 0x7f, "no DEL");
    }
    FUZZ_CHECK(v[0] != ' ' && v[0] != '\n' && v[n - 1] != ' ' &&
                   v[n - 1] != '\n',
               "a value is trimmed");
}

static int
same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Read the file into res (zeroed here); the result code. */
static int
read_once(struct zim_result *res, char *err, size_t errlen)
{
    int rc;

    memset(res, 0, sizeof(*res));
    memset(err, 'x', errlen);
    rc = zim_read_meta(zim_path, &res->meta, err, errlen);
    FUZZ_CHECK(rc == 0 || rc == -1, "0 or -1");
    if (rc < 0) {
        FUZZ_CHECK(memchr(err, '\0', errlen) != NULL, "err ends");
        FUZZ_CHECK(err[0] != '\0', "err says why");
    }
    return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct zim_result a, b;
    const struct zim_meta *m = &a.meta;
    char err[512], err2[512], buf[8];
    const char *lang;
    int fd = zim_file(), rc;

    FUZZ_CHECK(ftruncate(fd, 0) == 0, "truncate");
    FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size, "write");
    rc = read_once(&a, err, sizeof(err));
    check_value(m->title);
    check_value(m->description);
    check_value(m->language);
    check_value(m->source);
    check_value(m->date);
    check_value(m->creator);
    check_value(m->publisher);
    check_value(m->name);

    FUZZ_CHECK(read_once(&b, err2, sizeof(err2)) == rc, "deterministic");
    FUZZ_CHECK(rc == 0 || strcmp(err, err2) == 0, "the same message");
    FUZZ_CHECK(
        same(m->title, b.meta.title) &&
            same(m->description, b.meta.description) &&
            same(m->language, b.meta.language) &&
            same(m->source, b.meta.source) && same(m->date, b.meta.date) &&
            same(m->creator, b.meta.creator) &&
            same(m->publisher, b.meta.publisher) && same(m->name, b.meta.name),
        "the same values again");

    lang = zim_language(m->language, buf, sizeof(buf));
    FUZZ_CHECK((lang == NULL) == (m->language == NULL), "a language");
    FUZZ_CHECK(lang == NULL || strlen(lang) < sizeof(buf), "fits its buffer");
    zim_result_free(&a);
    zim_result_free(&b);
    return 0;
}
