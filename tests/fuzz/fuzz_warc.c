/*
 * fuzz_warc: the WARC reader (ingest/warc.c) on arbitrary bytes, as a
 * file, the way the unpacker reads one: every record's header, the
 * captured HTTP head and decoded body of response records, warc_end, and
 * a second reader that goes back to each record by its position, as a
 * revisit does.  Layer: tests/.
 *
 * Invariants, from warc.h: the walk ends (no more calls than the input
 * has bytes, plus the broken-record allowance); records come in file
 * order; a record's strings are NUL-terminated and its length is not
 * negative; a decoded body never passes the cap given; an HTTP status is
 * 100..999 and the Content-Type printable ASCII; going back to a record's
 * position reads a record of the same type and length.
 */
#include <string.h>

#include "fuzz.h"
#include "warc.h"

#define FUZZ_WARC_CAP (256 * 1024)

static int
count(void *arg, const void *data, size_t n)
{
    size_t *total = arg;

    (void)data;
    *total += n;
    return 0;
}

/* 1 when position a comes before b in the file. */
static int
before(const struct warc_pos *a, const struct warc_pos *b)
{
    return a->member < b->member || (a->member == b->member && a->off < b->off);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct warc_reader *r = NULL, *back = NULL;
    struct warc_record rec, again;
    struct warc_pos last = {-1, -1};
    FILE *f, *g;
    char err[512];
    size_t calls = 0;
    int rc;

    f = fmemopen((void *)(uintptr_t)data, size > 0 ? size : 1, "rb");
    g = fmemopen((void *)(uintptr_t)data, size > 0 ? size : 1, "rb");
    FUZZ_CHECK(f != NULL && g != NULL, "fmemopen");
    if (size == 0) {
        fclose(f);
        fclose(g);
        return 0;
    }
    FUZZ_CHECK(warc_open(f, &r, err, sizeof(err)) == 0, "warc_open");
    FUZZ_CHECK(warc_open(g, &back, err, sizeof(err)) == 0, "warc_open");
    while ((rc = warc_next(r, &rec, err, sizeof(err))) != WARC_END) {
        FUZZ_CHECK(++calls <= size + WARC_BROKEN_MAX + 2, "the walk ends");
        FUZZ_CHECK(rc == WARC_RECORD || rc == WARC_BROKEN, "warc_next result");
        if (rc == WARC_BROKEN) {
            FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL, "err ends");
            continue;
        }
        FUZZ_CHECK(rec.type != NULL && rec.version != NULL, "type, version");
        FUZZ_CHECK(rec.length >= 0, "length not negative");
        FUZZ_CHECK(before(&last, &rec.pos), "records in file order");
        last = rec.pos;
        if (strcmp(rec.type, "response") == 0) {
            struct warc_http h;
            size_t total = 0;

            if (warc_http_head(r, &h, err, sizeof(err)) == 0) {
                FUZZ_CHECK(h.status >= 100 && h.status <= 999, "status");
                FUZZ_CHECK(fuzz_printable(h.content_type), "content type");
                if (warc_http_body(r, &h, FUZZ_WARC_CAP, count, &total, err,
                                   sizeof(err)) == 0) {
                    FUZZ_CHECK(total <= FUZZ_WARC_CAP, "body under the cap");
                }
            }
        }
        if (warc_end(r, err, sizeof(err)) == 0 && rec.length > 0) {
            long long length = rec.length;
            char type[64];

            snprintf(type, sizeof(type), "%s", rec.type);
            FUZZ_CHECK(warc_seek(back, &rec.pos) == 0, "seek back");
            FUZZ_CHECK(warc_next(back, &again, err, sizeof(err)) == WARC_RECORD,
                       "a record where one was");
            FUZZ_CHECK(again.length == length &&
                           strncmp(again.type, type, sizeof(type) - 1) == 0,
                       "the same record again");
        }
    }
    warc_close(r);
    warc_close(back);
    fclose(f);
    fclose(g);
    return 0;
}
