/*
 * warc: a streaming WARC reader, and the unpacking of WARC files into a
 * tree for the ingest walk (warc.h says what and why).  Layer: ingest/;
 * uses lib/ (alloc, strbuf, url, policy), ingest/fetch, zlib, libsodium;
 * never the database, microhttpd.h or server/.  Never prints or exits.
 */
#include "warc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "alloc.h"
#include "policy.h"
#include "strbuf.h"
#include "url.h"

#define WARC_BUF (64 * 1024)

/* Why the byte stream cannot go on. */
enum warc_bad { BAD_NONE = 0, BAD_EOF_GZIP, BAD_CORRUPT, BAD_READ };

struct warc_reader {
    FILE *f;
    int gzip; /* the file is gzip members */
    z_stream z;
    int zinit;
    /* compressed input (gzip only) */
    unsigned char in[WARC_BUF];
    size_t in_pos, in_len;
    long long in_off; /* file offset of in[0] */
    int in_eof;
    /* the data stream: out[out_pos..out_len) is next */
    unsigned char out[WARC_BUF];
    size_t out_pos, out_len;
    long long member; /* file offset of the current gzip member */
    long long base;   /* data offset (in the member, or file) of out[0] */
    int member_done;  /* gzip: the current member's end was reached */
    enum warc_bad bad;
    int bad_told; /* the stream's failure was reported */
    int scan;     /* look for the next "WARC/1." line before reading */
    int broken;   /* broken records so far */
    /* the current record */
    int open;
    long long left; /* block bytes not read yet */
    struct warc_pos start;
    char head[WARC_HEAD_MAX + 1];
    size_t headlen;
    /* body decoding */
    unsigned char bbuf[WARC_BUF];
    unsigned char zbuf[WARC_BUF];
};

static const char *
bad_text(enum warc_bad b)
{
    switch (b) {
    case BAD_EOF_GZIP:
        return "truncated gzip data";
    case BAD_CORRUPT:
        return "corrupt gzip data";
    case BAD_READ:
        return "read error";
    default:
        return "the file ends early";
    }
}

/* ---- The byte stream ---------------------------------------------- */

/* Read more compressed input; 0, or -1 at the end of the file (in_eof). */
static int
more_input(struct warc_reader *r)
{
    size_t n;

    if (r->in_pos < r->in_len) {
        memmove(r->in, r->in + r->in_pos, r->in_len - r->in_pos);
    }
    r->in_off += (long long)r->in_pos;
    r->in_len -= r->in_pos;
    r->in_pos = 0;
    if (r->in_eof || r->in_len == sizeof(r->in)) {
        return r->in_eof ? -1 : 0;
    }
    n = fread(r->in + r->in_len, 1, sizeof(r->in) - r->in_len, r->f);
    if (n == 0) {
        r->in_eof = 1;
        if (ferror(r->f)) {
            r->bad = BAD_READ;
        }
        return -1;
    }
    r->in_len += n;
    return 0;
}

/* Start the gzip member at the input's current byte, when there is one:
 * 1 started, 0 at the end of the file, -1 when what follows is no gzip
 * member (r->bad set). */
static int
next_member(struct warc_reader *r)
{
    while (r->in_len - r->in_pos < 2 && more_input(r) == 0) {
    }
    if (r->bad != BAD_NONE) {
        return -1;
    }
    if (r->in_len == r->in_pos) {
        return 0;
    }
    if (r->in_len - r->in_pos < 2 || r->in[r->in_pos] != 0x1f ||
        r->in[r->in_pos + 1] != 0x8b) {
        r->bad = BAD_CORRUPT;
        return -1;
    }
    inflateReset(&r->z);
    r->member = r->in_off + (long long)r->in_pos;
    r->base = 0;
    r->member_done = 0;
    return 1;
}

/* Make out[out_pos] readable: 1, 0 at the clean end of the data, -1 when
 * the stream failed (r->bad). */
static int
fill(struct warc_reader *r)
{
    if (r->out_pos < r->out_len) {
        return 1;
    }
    if (r->bad != BAD_NONE) {
        return -1;
    }
    r->base += (long long)r->out_len;
    r->out_pos = r->out_len = 0;
    if (!r->gzip) {
        size_t n = fread(r->out, 1, sizeof(r->out), r->f);

        if (n == 0) {
            if (ferror(r->f)) {
                r->bad = BAD_READ;
                return -1;
            }
            return 0;
        }
        r->out_len = n;
        return 1;
    }
    for (;;) {
        int rc;

        if (r->member_done) {
            rc = next_member(r);
            if (rc <= 0) {
                return rc;
            }
        }
        if (r->in_pos == r->in_len && more_input(r) < 0) {
            if (r->bad == BAD_NONE) {
                r->bad = BAD_EOF_GZIP;
            }
            return -1;
        }
        r->z.next_in = r->in + r->in_pos;
        r->z.avail_in = (uInt)(r->in_len - r->in_pos);
        r->z.next_out = r->out;
        r->z.avail_out = (uInt)sizeof(r->out);
        rc = inflate(&r->z, Z_NO_FLUSH);
        r->in_pos = r->in_len - r->z.avail_in;
        r->out_len = sizeof(r->out) - r->z.avail_out;
        if (rc == Z_STREAM_END) {
            r->member_done = 1;
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            r->bad = BAD_CORRUPT;
            r->out_len = 0;
            return -1;
        }
        if (r->out_len > 0) {
            return 1;
        }
    }
}

/* The next data byte, or -1 at the end or on failure (r->bad tells). */
static int
get_byte(struct warc_reader *r)
{
    if (fill(r) <= 0) {
        return -1;
    }
    return r->out[r->out_pos++];
}

static void
get_pos(struct warc_reader *r, struct warc_pos *pos)
{
    pos->member = r->gzip ? r->member : 0;
    pos->off = r->base + (long long)r->out_pos;
}

/* Position the stream at pos; the data before it in its member is
 * inflated again and dropped (cheap for one member per record). */
static int
stream_seek(struct warc_reader *r, const struct warc_pos *pos)
{
    long long skip;

    r->in_pos = r->in_len = 0;
    r->in_eof = 0;
    r->out_pos = r->out_len = 0;
    r->bad = BAD_NONE;
    r->bad_told = 0;
    r->open = 0;
    clearerr(r->f);
    if (!r->gzip) {
        r->base = pos->off;
        return fseeko(r->f, (off_t)pos->off, SEEK_SET) == 0 ? 0 : -1;
    }
    if (fseeko(r->f, (off_t)pos->member, SEEK_SET) != 0) {
        return -1;
    }
    r->in_off = pos->member;
    inflateReset(&r->z);
    r->member = pos->member;
    r->base = 0;
    r->member_done = 0;
    for (skip = pos->off; skip > 0;) {
        size_t avail;

        if (fill(r) <= 0) {
            return -1;
        }
        avail = r->out_len - r->out_pos;
        if ((long long)avail > skip) {
            avail = (size_t)skip;
        }
        r->out_pos += avail;
        skip -= (long long)avail;
    }
    return 0;
}

/* After corrupt gzip data: the next gzip header ("\x1f\x8b\x08") after
 * the current member's first byte starts the stream again.  0, or -1
 * when there is none. */
static int
gzip_resync(struct warc_reader *r)
{
    long long from = r->member + 1, at;
    int state = 0;

    if (fseeko(r->f, (off_t)from, SEEK_SET) != 0) {
        return -1;
    }
    clearerr(r->f);
    r->in_pos = r->in_len = 0;
    r->in_off = from;
    r->in_eof = 0;
    r->bad = BAD_NONE;
    for (;;) {
        int c;

        if (r->in_pos == r->in_len && more_input(r) < 0) {
            return -1;
        }
        c = r->in[r->in_pos++];
        state = c == 0x1f                   ? 1
                : (state == 1 && c == 0x8b) ? 2
                : (state == 2 && c == 0x08) ? 3
                                            : 0;
        if (state == 3) {
            break;
        }
    }
    /* the header may have started in an earlier buffer: read it again */
    at = r->in_off + (long long)r->in_pos - 3;
    if (fseeko(r->f, (off_t)at, SEEK_SET) != 0) {
        return -1;
    }
    r->in_pos = r->in_len = 0;
    r->in_off = at;
    r->in_eof = 0;
    r->out_pos = r->out_len = 0;
    r->member_done = 1; /* fill() starts the member found */
    r->bad_told = 0;
    return 0;
}

/* ---- Records ------------------------------------------------------ */

int
warc_open(FILE *f, struct warc_reader **out, char *err, size_t errlen)
{
    struct warc_reader *r = kw_calloc(1, sizeof(*r));
    unsigned char magic[2];
    size_t n;

    *out = NULL;
    if (r == NULL) {
        return fetch_fail(err, errlen, "out of memory");
    }
    r->f = f;
    n = fread(magic, 1, 2, f);
    r->gzip = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    if (fseeko(f, 0, SEEK_SET) != 0) {
        kw_free(r);
        return fetch_fail(err, errlen, "cannot seek: %s", strerror(errno));
    }
    if (r->gzip) {
        if (inflateInit2(&r->z, 15 + 16) != Z_OK) {
            kw_free(r);
            return fetch_fail(err, errlen, "out of memory");
        }
        r->zinit = 1;
    }
    *out = r;
    return 0;
}

void
warc_close(struct warc_reader *r)
{
    if (r == NULL) {
        return;
    }
    if (r->zinit) {
        inflateEnd(&r->z);
    }
    kw_free(r);
}

void
warc_where(const struct warc_reader *r, const struct warc_pos *pos, char *buf,
           size_t n)
{
    if (!r->gzip || pos->off == 0) {
        snprintf(buf, n, "offset %lld", r->gzip ? pos->member : pos->off);
    } else {
        snprintf(buf, n, "gzip member at %lld, offset %lld", pos->member,
                 pos->off);
    }
}

/* A broken record: go back to its start and look for the next one from
 * its second byte (or, after corrupt gzip data, from the next member). */
static void
resync(struct warc_reader *r)
{
    r->open = 0;
    r->broken++;
    if (r->bad == BAD_CORRUPT && r->gzip) {
        if (gzip_resync(r) == 0) {
            r->scan = 1;
        }
        return;
    }
    if (r->bad != BAD_NONE) {
        return; /* the data ends here */
    }
    if (stream_seek(r, &r->start) == 0 && get_byte(r) >= 0) {
        r->scan = 1;
    }
}

/* Look for the next line that starts "WARC/1." and consume that much.
 * 1 with *start at its 'W', 0 when the data ends first. */
static int
scan(struct warc_reader *r, struct warc_pos *start)
{
    static const char magic[] = "WARC/1.";
    size_t k = 0;
    int prev = 0;

    for (;;) {
        struct warc_pos p;
        int c;

        if (fill(r) <= 0) {
            return 0;
        }
        get_pos(r, &p);
        c = r->out[r->out_pos++];
        if (k == 0) {
            if (c == 'W' && (prev == '\n' || (r->gzip && p.off == 0))) {
                *start = p;
                k = 1;
            }
        } else if (c == magic[k]) {
            if (++k == sizeof(magic) - 1) {
                return 1;
            }
        } else {
            k = 0;
        }
        prev = c;
    }
}

/* Read one header line into r->head (NUL-terminated, CR LF or LF
 * dropped); the lines of a header, NULs included, stay within limit bytes
 * (at most sizeof(r->head)).  The line's offset in head, or -1: too long
 * (*why set), or the data ended (r->bad or a clean end). */
static long
read_line(struct warc_reader *r, size_t limit, const char **why)
{
    size_t start = r->headlen;

    for (;;) {
        int c = get_byte(r);

        if (c < 0) {
            *why = r->bad != BAD_NONE ? bad_text(r->bad)
                                      : "the file ends inside a header";
            return -1;
        }
        if (c == '\n') {
            break;
        }
        if (c == 0) {
            *why = "NUL byte in a header";
            return -1;
        }
        if (r->headlen + 1 >= limit) { /* room for the NUL */
            *why = "header too large";
            return -1;
        }
        r->head[r->headlen++] = (char)c;
    }
    if (r->headlen >= limit) {
        *why = "header too large";
        return -1;
    }
    if (r->headlen > start && r->head[r->headlen - 1] == '\r') {
        r->headlen--;
    }
    r->head[r->headlen++] = '\0';
    return (long)start;
}

static char *
trim(char *s)
{
    size_t n;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        s[--n] = '\0';
    }
    return s;
}

long long
warc_date(const char *s)
{
    int v[6] = {0, 1, 1, 0, 0, 0};
    static const char sep[] = "--T::";
    static const int width[] = {4, 2, 2, 2, 2, 2};
    static const int lo[] = {1970, 1, 1, 0, 0, 0};
    static const int hi[] = {9999, 12, 31, 23, 59, 60};
    struct tm tm;
    int i, k;

    if (s == NULL) {
        return -1;
    }
    for (i = 0; i < 6; i++) {
        for (k = 0; k < width[i]; k++, s++) {
            if (*s < '0' || *s > '9') {
                return -1;
            }
            v[i] = v[i] * (k ? 10 : 0) + (*s - '0');
        }
        if (v[i] < lo[i] || v[i] > hi[i]) {
            return -1;
        }
        if (*s == '\0' && i != 3) {
            break; /* a shorter date; "YYYY-MM-DDThh" alone is not one */
        }
        if (*s == 'Z' && s[1] == '\0' && i >= 4) {
            break;
        }
        if (*s == '.' && i == 5) {
            for (s++; *s >= '0' && *s <= '9'; s++) {
            }
            if (*s == 'Z' && s[1] == '\0') {
                break;
            }
            return -1;
        }
        if (i == 5 || *s != sep[i]) {
            return -1;
        }
        s++;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];
    return (long long)timegm(&tm);
}

/* The value of a field of the parsed header, or NULL. */
static const char *
field(const char *const *names, const char *const *values, size_t n,
      const char *name)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcasecmp(names[i], name) == 0) {
            return values[i];
        }
    }
    return NULL;
}

/* Parse the rest of a record's header (the version line's first bytes,
 * have, were consumed already).  0, or -1 with *why. */
static int
parse_header(struct warc_reader *r, const char *have, struct warc_record *rec,
             const char **why)
{
    char *names[WARC_FIELDS_MAX], *values[WARC_FIELDS_MAX];
    size_t n = 0, i;
    long at;
    const char *cl = NULL, *uri;
    char *version, *end;
    unsigned long long len;

    r->headlen = strlen(have);
    memcpy(r->head, have, r->headlen);
    if (read_line(r, WARC_HEAD_MAX, why) < 0) {
        return -1;
    }
    version = r->head; /* have, and the rest of its line */
    if (strcmp(version, "WARC/1.0") != 0 && strcmp(version, "WARC/1.1") != 0) {
        *why = "not a WARC/1.0 or WARC/1.1 record";
        return -1;
    }
    for (;;) {
        char *line, *colon;

        at = read_line(r, WARC_HEAD_MAX, why);
        if (at < 0) {
            return -1;
        }
        line = r->head + at;
        if (line[0] == '\0') {
            break;
        }
        if ((line[0] == ' ' || line[0] == '\t') && n > 0) {
            /* a folded line continues the last value (WARC/1.0) */
            char *v = trim(line);

            if (v[0] != '\0') {
                memmove(values[n - 1] + strlen(values[n - 1]) + 1, v,
                        strlen(v) + 1);
                values[n - 1][strlen(values[n - 1])] = ' ';
            }
            continue;
        }
        colon = strchr(line, ':');
        if (colon == NULL || colon == line) {
            *why = "malformed header line";
            return -1;
        }
        if (n == WARC_FIELDS_MAX) {
            *why = "too many header fields";
            return -1;
        }
        *colon = '\0';
        names[n] = trim(line);
        values[n] = trim(colon + 1);
        n++;
    }
    for (i = 0; i < n; i++) {
        if (strcasecmp(names[i], "Content-Length") == 0) {
            if (cl != NULL && strcmp(cl, values[i]) != 0) {
                *why = "conflicting Content-Length fields";
                return -1;
            }
            cl = values[i];
        }
    }
    if (cl == NULL) {
        *why = "no Content-Length";
        return -1;
    }
    errno = 0;
    len = strtoull(cl, &end, 10);
    if (cl[0] < '0' || cl[0] > '9' || *end != '\0' || errno != 0 ||
        len > (1ULL << 62)) {
        *why = "bad Content-Length";
        return -1;
    }
    memset(rec, 0, sizeof(*rec));
    rec->pos = r->start;
    rec->version = version;
    rec->length = (long long)len;
#define F(name)                                                                \
    field((const char *const *)names, (const char *const *)values, n, name)
    rec->type = F("WARC-Type") ? F("WARC-Type") : "";
    uri = F("WARC-Target-URI");
    if (uri != NULL && uri[0] == '<' && uri[strlen(uri) - 1] == '>') {
        char *u = (char *)uri;

        u[strlen(u) - 1] = '\0';
        uri = u + 1;
    }
    rec->target_uri = uri;
    rec->date = F("WARC-Date");
    rec->date_unix = warc_date(rec->date);
    rec->record_id = F("WARC-Record-ID");
    rec->content_type = F("Content-Type");
    rec->payload_digest = F("WARC-Payload-Digest");
    rec->refers_to_uri = F("WARC-Refers-To-Target-URI");
    rec->refers_to_date = F("WARC-Refers-To-Date");
    rec->truncated = F("WARC-Truncated");
    rec->segment = F("WARC-Segment-Number");
#undef F
    return 0;
}

/* Report a broken record (or the failed stream) and resynchronise. */
static int
broken(struct warc_reader *r, const char *why, char *err, size_t errlen)
{
    char where[96];

    warc_where(r, &r->start, where, sizeof(where));
    if (r->bad != BAD_NONE) {
        r->bad_told = 1;
    }
    fetch_fail(err, errlen, "broken record: %s (at %s)", why, where);
    resync(r);
    if (r->broken == WARC_BROKEN_MAX) {
        fetch_fail(
            err, errlen,
            "broken record: %s (at %s); %d broken records, the rest of the "
            "file is not read",
            why, where, WARC_BROKEN_MAX);
        r->bad = BAD_READ;
        r->bad_told = 1;
    }
    return WARC_BROKEN;
}

int
warc_next(struct warc_reader *r, struct warc_record *rec, char *err,
          size_t errlen)
{
    const char *why = NULL;
    const char *have = "";
    int c;

    if (r->open && warc_end(r, err, errlen) < 0) {
        return WARC_BROKEN;
    }
    if (r->bad == BAD_CORRUPT && r->gzip && !r->bad_told) {
        /* corrupt data between records */
        get_pos(r, &r->start);
        return broken(r, bad_text(r->bad), err, errlen);
    }
    if (r->bad != BAD_NONE) {
        if (r->bad_told) {
            return WARC_END;
        }
        r->bad_told = 1;
        return fetch_fail(err, errlen, "%s", bad_text(r->bad));
    }
    if (r->scan) {
        r->scan = 0;
        if (!scan(r, &r->start)) {
            return r->bad != BAD_NONE ? warc_next(r, rec, err, errlen)
                                      : WARC_END;
        }
        have = "WARC/1.";
    } else {
        /* blank lines between records are tolerated */
        for (;;) {
            if (fill(r) <= 0) {
                return r->bad != BAD_NONE ? warc_next(r, rec, err, errlen)
                                          : WARC_END;
            }
            c = r->out[r->out_pos];
            if (c != '\r' && c != '\n') {
                break;
            }
            r->out_pos++;
        }
        get_pos(r, &r->start);
    }
    if (parse_header(r, have, rec, &why) < 0) {
        return broken(r, why, err, errlen);
    }
    r->open = 1;
    r->left = rec->length;
    return WARC_RECORD;
}

ssize_t
warc_read(struct warc_reader *r, void *buf, size_t n)
{
    size_t got = 0;

    if (!r->open) {
        return 0;
    }
    if ((long long)n > r->left) {
        n = (size_t)r->left;
    }
    while (got < n) {
        size_t k;

        if (fill(r) <= 0) {
            return got > 0 ? (ssize_t)got : -1;
        }
        k = r->out_len - r->out_pos;
        if (k > n - got) {
            k = n - got;
        }
        memcpy((unsigned char *)buf + got, r->out + r->out_pos, k);
        r->out_pos += k;
        got += k;
        r->left -= (long long)k;
    }
    return (ssize_t)got;
}

int
warc_end(struct warc_reader *r, char *err, size_t errlen)
{
    int newlines = 0;

    if (!r->open) {
        return 0;
    }
    while (r->left > 0) {
        size_t k;

        if (fill(r) <= 0) {
            char why[128];

            snprintf(why, sizeof(why),
                     "%s %lld bytes before the end of its Content-Length "
                     "(truncated, or a wrong Content-Length)",
                     r->bad != BAD_NONE ? bad_text(r->bad) : "the file ends",
                     r->left);
            return broken(r, why, err, errlen);
        }
        k = r->out_len - r->out_pos;
        if ((long long)k > r->left) {
            k = (size_t)r->left;
        }
        r->out_pos += k;
        r->left -= (long long)k;
    }
    /* The record end, two line ends ("\r\n\r\n"; bare "\n" tolerated);
     * the end of the data or of a gzip member may stand for it. */
    while (newlines < 2) {
        int c, rc;

        if (r->out_pos == r->out_len && r->gzip && r->member_done) {
            break;
        }
        rc = fill(r);
        if (rc < 0) {
            return broken(r, bad_text(r->bad), err, errlen);
        }
        if (rc == 0) {
            break;
        }
        c = r->out[r->out_pos];
        if (c == '\n') {
            newlines++;
        } else if (c != '\r') {
            return broken(r,
                          "no record end after its Content-Length (a "
                          "wrong Content-Length?)",
                          err, errlen);
        }
        r->out_pos++;
    }
    r->open = 0;
    return 0;
}

int
warc_seek(struct warc_reader *r, const struct warc_pos *pos)
{
    r->scan = 0;
    return stream_seek(r, pos);
}

/* ---- Captured HTTP ------------------------------------------------ */

/* One byte of the block, or -1 at its end. */
static int
block_byte(struct warc_reader *r)
{
    unsigned char c;

    return warc_read(r, &c, 1) == 1 ? c : -1;
}

int
warc_http_head(struct warc_reader *r, struct warc_http *h, char *err,
               size_t errlen)
{
    char line[8192];
    size_t total = 0;
    int first = 1;

    memset(h, 0, sizeof(*h));
    for (;;) {
        size_t n = 0;
        int c;
        char *colon, *v;

        while ((c = block_byte(r)) >= 0 && c != '\n') {
            if (n + 1 >= sizeof(line) || ++total > WARC_HEAD_MAX) {
                return fetch_fail(err, errlen,
                                  "captured HTTP header too large");
            }
            line[n++] = (char)c;
        }
        if (c < 0) {
            return fetch_fail(
                err, errlen,
                first ? "no HTTP status line in the captured response"
                      : "captured HTTP header incomplete");
        }
        if (n > 0 && line[n - 1] == '\r') {
            n--;
        }
        line[n] = '\0';
        if (first) {
            char *sp = strchr(line, ' ');

            first = 0;
            if (strncmp(line, "HTTP/", 5) != 0 || sp == NULL || sp[1] < '1' ||
                sp[1] > '9' || sp[2] < '0' || sp[2] > '9' || sp[3] < '0' ||
                sp[3] > '9' || (sp[4] != '\0' && sp[4] != ' ')) {
                return fetch_fail(
                    err, errlen,
                    "no HTTP status line in the captured response");
            }
            h->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + sp[3] - '0';
            continue;
        }
        if (n == 0) {
            return 0;
        }
        colon = strchr(line, ':');
        if (colon == NULL) {
            continue; /* tolerated, as browsers do */
        }
        *colon = '\0';
        v = trim(colon + 1);
        if (strcasecmp(trim(line), "Content-Type") == 0 &&
            h->content_type[0] == '\0') {
            size_t i;

            for (i = 0; v[i] != '\0' && i + 1 < sizeof(h->content_type); i++) {
                unsigned char b = (unsigned char)v[i];

                h->content_type[i] = b >= 0x20 && b < 0x7f ? (char)b : '?';
            }
            h->content_type[i] = '\0';
        } else if (strcasecmp(trim(line), "Content-Encoding") == 0) {
            size_t i;

            for (i = 0; v[i] != '\0' && i + 1 < sizeof(h->encoding); i++) {
                h->encoding[i] = (char)tolower((unsigned char)v[i]);
            }
            h->encoding[i] = '\0';
        } else if (strcasecmp(trim(line), "Transfer-Encoding") == 0) {
            size_t k = strlen(v);

            h->chunked = k >= 7 && strcasecmp(v + k - 7, "chunked") == 0;
        }
    }
}

/* The body decoder: chunked coding, then content coding, then the cap. */
struct body {
    size_t max, total;
    warc_sink sink;
    void *arg;
    /* chunked */
    enum { CH_SIZE, CH_DATA, CH_DATA_END, CH_TRAILER, CH_DONE, CH_RAW } ch;
    char line[1024];
    size_t linelen;
    unsigned long long chunk;
    int any_chunk;
    /* content coding: 0 none, 1 gzip, 2 deflate */
    int coding;
    int zstarted, zdone;
    unsigned char zhead[2];
    size_t nzhead;
    z_stream z;
    unsigned char *zbuf;
    const char *why;
};

/* Hand n decoded bytes to the sink under the cap. */
static int
body_emit(struct body *b, const unsigned char *p, size_t n)
{
    if (n == 0) {
        return 0;
    }
    if (n > b->max - b->total) {
        b->why = "too large";
        return -1;
    }
    b->total += n;
    if (b->sink(b->arg, p, n) < 0) {
        b->why = "cannot write the body";
        return -1;
    }
    return 0;
}

/* Start the inflater for the coding, once the first two bytes are known
 * (deflate may come with or without the zlib wrapper). */
static int
body_zstart(struct body *b)
{
    int bits = 15 + 16;

    if (b->coding == 2) {
        int zlib = b->nzhead == 2 && (b->zhead[0] & 0x0f) == 8 &&
                   ((b->zhead[0] << 8) | b->zhead[1]) % 31 == 0;

        bits = zlib ? 15 : -15;
    }
    memset(&b->z, 0, sizeof(b->z));
    if (inflateInit2(&b->z, bits) != Z_OK) {
        b->why = "out of memory";
        return -1;
    }
    b->zstarted = 1;
    return 0;
}

static int
body_inflate(struct body *b, const unsigned char *p, size_t n)
{
    if (b->zdone) {
        return 0; /* what follows the compressed stream is dropped */
    }
    b->z.next_in = (Bytef *)(uintptr_t)p;
    b->z.avail_in = (uInt)n;
    do {
        int rc;

        b->z.next_out = b->zbuf;
        b->z.avail_out = WARC_BUF;
        rc = inflate(&b->z, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
            b->why = "corrupt gzip body";
            return -1;
        }
        if (body_emit(b, b->zbuf, WARC_BUF - b->z.avail_out) < 0) {
            return -1;
        }
        if (rc == Z_STREAM_END) {
            b->zdone = 1;
            break;
        }
        if (rc == Z_BUF_ERROR) {
            break;
        }
    } while (b->z.avail_in > 0 || b->z.avail_out == 0);
    return 0;
}

/* Content decoding of transfer-decoded bytes. */
static int
body_content(struct body *b, const unsigned char *p, size_t n)
{
    if (b->coding == 0) {
        return body_emit(b, p, n);
    }
    if (!b->zstarted) {
        size_t k = 0;

        while (b->nzhead < 2 && k < n) {
            b->zhead[b->nzhead++] = p[k++];
        }
        if (b->nzhead < 2) {
            return 0;
        }
        if (body_zstart(b) < 0 || body_inflate(b, b->zhead, 2) < 0) {
            return -1;
        }
        p += k;
        n -= k;
    }
    return body_inflate(b, p, n);
}

/* Parse a chunk-size line: 1 with b->chunk, 0 when it is not one. */
static int
chunk_size(struct body *b)
{
    unsigned long long v = 0;
    size_t i = 0;

    while (i < b->linelen && isxdigit((unsigned char)b->line[i]) && i < 15) {
        v = v * 16 + (unsigned long long)url_hexval(b->line[i]);
        i++;
    }
    if (i == 0) {
        return 0;
    }
    while (i < b->linelen && (b->line[i] == ' ' || b->line[i] == '\t')) {
        i++;
    }
    if (i < b->linelen && b->line[i] != ';' && b->line[i] != '\r') {
        return 0;
    }
    b->chunk = v;
    return 1;
}

/* Transfer decoding of block bytes. */
static int
body_chunked(struct body *b, const unsigned char *p, size_t n)
{
    size_t i = 0;

    while (i < n) {
        switch (b->ch) {
        case CH_RAW:
            return body_content(b, p + i, n - i);
        case CH_DONE:
            return 0;
        case CH_DATA: {
            size_t k = n - i;

            if ((unsigned long long)k > b->chunk) {
                k = (size_t)b->chunk;
            }
            if (body_content(b, p + i, k) < 0) {
                return -1;
            }
            i += k;
            b->chunk -= k;
            if (b->chunk == 0) {
                b->ch = CH_DATA_END;
            }
            break;
        }
        case CH_DATA_END:
            if (p[i] == '\n') {
                b->ch = CH_SIZE;
            } else if (p[i] != '\r') {
                b->why = "broken chunked encoding";
                return -1;
            }
            i++;
            break;
        case CH_SIZE:
        case CH_TRAILER:
            if (p[i] != '\n') {
                if (b->linelen + 1 >= sizeof(b->line)) {
                    if (b->ch == CH_SIZE && !b->any_chunk) {
                        goto raw;
                    }
                    b->why = "broken chunked encoding";
                    return -1;
                }
                b->line[b->linelen++] = (char)p[i++];
                break;
            }
            i++;
            if (b->ch == CH_TRAILER) {
                if (b->linelen == 0 ||
                    (b->linelen == 1 && b->line[0] == '\r')) {
                    b->ch = CH_DONE;
                }
                b->linelen = 0;
                break;
            }
            if (!chunk_size(b)) {
                if (!b->any_chunk) {
                    b->line[b->linelen++] = '\n';
                    goto raw;
                }
                b->why = "broken chunked encoding";
                return -1;
            }
            b->any_chunk = 1;
            b->linelen = 0;
            b->ch = b->chunk == 0 ? CH_TRAILER : CH_DATA;
            break;
        }
    }
    return 0;
raw:
    /* no chunk size where the body starts: the body as it is */
    b->ch = CH_RAW;
    if (body_content(b, (const unsigned char *)b->line, b->linelen) < 0) {
        return -1;
    }
    return body_content(b, p + i, n - i);
}

int
warc_http_body(struct warc_reader *r, const struct warc_http *h, size_t max,
               warc_sink sink, void *arg, char *err, size_t errlen)
{
    struct body b;
    int rc = -1;

    memset(&b, 0, sizeof(b));
    b.max = max;
    b.sink = sink;
    b.arg = arg;
    b.zbuf = r->zbuf;
    b.ch = h != NULL && h->chunked ? CH_SIZE : CH_RAW;
    if (h != NULL && h->encoding[0] != '\0' &&
        strcmp(h->encoding, "identity") != 0) {
        if (strcmp(h->encoding, "gzip") == 0 ||
            strcmp(h->encoding, "x-gzip") == 0) {
            b.coding = 1;
        } else if (strcmp(h->encoding, "deflate") == 0) {
            b.coding = 2;
        } else {
            return fetch_fail(err, errlen, "unsupported Content-Encoding: %s",
                              h->encoding);
        }
    }
    for (;;) {
        ssize_t n = warc_read(r, r->bbuf, sizeof(r->bbuf));

        if (n < 0) {
            b.why = "the record ends early";
            goto out;
        }
        if (n == 0) {
            break;
        }
        if (body_chunked(&b, r->bbuf, (size_t)n) < 0) {
            goto out;
        }
    }
    if (b.ch == CH_SIZE && !b.any_chunk) {
        /* one line and no chunk size in it: the body as it is */
        b.ch = CH_RAW;
        if (body_content(&b, (const unsigned char *)b.line, b.linelen) < 0) {
            goto out;
        }
    }
    if (b.ch != CH_RAW && b.ch != CH_DONE) {
        b.why = "broken chunked encoding (the body ends inside it)";
        goto out;
    }
    if (b.coding != 0 && !b.zdone) {
        b.why =
            b.coding == 1 ? "truncated gzip body" : "truncated deflate body";
        goto out;
    }
    rc = 0;
out:
    if (b.zstarted) {
        inflateEnd(&b.z);
    }
    if (rc < 0) {
        if (b.why != NULL && strcmp(b.why, "too large") == 0) {
            return fetch_fail(err, errlen, "too large: more than %zu bytes",
                              max);
        }
        return fetch_fail(err, errlen, "%s",
                          b.why != NULL ? b.why : "body error");
    }
    return 0;
}

int
warc_is_warc_name(const char *name)
{
    size_t n = strlen(name);

    return (n > 5 && strcasecmp(name + n - 5, ".warc") == 0) ||
           (n > 8 && strcasecmp(name + n - 8, ".warc.gz") == 0);
}

/* ---- Unpacking into a tree ---------------------------------------- */

/* A slot of an index: a 16-byte key (a SHA-256 prefix) and a value; file
 * 0 marks an empty slot, else the file's number + 1. */
struct warc_slot {
    unsigned char key[16];
    uint32_t file;
    long long a, b;
};

/* Open addressing, linear probing, at most half full. */
struct warc_map {
    struct warc_slot *s;
    size_t cap, n;
};

struct warc_unpack {
    const struct policy *pol;
    size_t max_bytes;
    int rootfd;
    char base[2048];
    struct fetch_result *out;
    size_t cap; /* of out->r */
    /* payloads: "d" digest, or "u" URL + date -> file, member, offset */
    struct warc_map payloads;
    /* captures kept: "c" URL -> record index */
    struct warc_map urls;
    char **files; /* the files read so far, for revisits */
    size_t nfiles;
    /* the second reader that revisits read earlier records with */
    FILE *back;
    struct warc_reader *backr;
    size_t back_file;
    size_t seq; /* temporary file names */
};

static void
map_key(unsigned char key[16], const char *kind, const char *a, const char *b)
{
    crypto_hash_sha256_state st;
    unsigned char h[crypto_hash_sha256_BYTES];

    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)kind,
                              strlen(kind) + 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)a, strlen(a) + 1);
    if (b != NULL) {
        crypto_hash_sha256_update(&st, (const unsigned char *)b, strlen(b));
    }
    crypto_hash_sha256_final(&st, h);
    memcpy(key, h, 16);
}

/* The slot holding key, or the empty slot where it would go; NULL when
 * the map has no room at all. */
static struct warc_slot *
map_slot(const struct warc_map *m, const unsigned char key[16])
{
    size_t i;

    if (m->cap == 0) {
        return NULL;
    }
    memcpy(&i, key, sizeof(i));
    for (i &= m->cap - 1;; i = (i + 1) & (m->cap - 1)) {
        struct warc_slot *s = &m->s[i];

        if (s->file == 0 || memcmp(s->key, key, 16) == 0) {
            return s;
        }
    }
}

/* The slot of key when present, else NULL. */
static struct warc_slot *
map_get(const struct warc_map *m, const unsigned char key[16])
{
    struct warc_slot *s = map_slot(m, key);

    return s != NULL && s->file != 0 ? s : NULL;
}

/* Add key (a present key keeps its value).  0, or -1 when out of memory;
 * a full map (WARC_INDEX_MAX) takes nothing more. */
static int
map_put(struct warc_map *m, const unsigned char key[16], size_t file,
        long long a, long long b)
{
    struct warc_slot *s;

    if (m->n >= WARC_INDEX_MAX) {
        return 0;
    }
    if ((m->n + 1) * 2 > m->cap) {
        struct warc_map bigger = {NULL, m->cap ? m->cap * 2 : 1024, 0};
        size_t i;

        bigger.s = kw_calloc(bigger.cap, sizeof(*bigger.s));
        if (bigger.s == NULL) {
            return -1;
        }
        for (i = 0; i < m->cap; i++) {
            if (m->s[i].file != 0) {
                *map_slot(&bigger, m->s[i].key) = m->s[i];
                bigger.n++;
            }
        }
        kw_free(m->s);
        *m = bigger;
    }
    s = map_slot(m, key);
    if (s->file == 0) {
        memcpy(s->key, key, 16);
        s->file = (uint32_t)file + 1;
        s->a = a;
        s->b = b;
        m->n++;
    }
    return 0;
}

/* A new record at the end of u->out, zeroed: its index, or -1 when out of
 * memory. */
static long
rec_new(struct warc_unpack *u)
{
    struct fetch_record *fr;

    if (u->out->n == u->cap) {
        size_t cap = u->cap ? u->cap * 2 : 256;
        struct fetch_record *r = kw_realloc(u->out->r, cap * sizeof(*r));

        if (r == NULL) {
            return -1;
        }
        u->out->r = r;
        u->cap = cap;
    }
    fr = &u->out->r[u->out->n];
    memset(fr, 0, sizeof(*fr));
    fr->line = (int)(u->out->n < INT32_MAX ? u->out->n + 1 : INT32_MAX);
    fr->last_modified = -1;
    fr->fetched_at = -1;
    return (long)u->out->n++;
}

/* Set *dst (owned, replaced) to a formatted string; -1 when out of
 * memory. */
static int rec_say(char **dst, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
rec_say(char **dst, const char *fmt, ...)
{
    struct strbuf sb = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    strbuf_vprintf(&sb, fmt, ap);
    va_end(ap);
    kw_free(*dst);
    *dst = strbuf_detach(&sb, NULL);
    return *dst != NULL ? 0 : -1;
}

/* A temporary file in the tree for one body, with its hash. */
struct warc_tmp {
    int rootfd;
    int fd;
    char name[64];
    crypto_hash_sha256_state sha;
    long long size;
};

static int
tmp_sink(void *arg, const void *data, size_t n)
{
    struct warc_tmp *t = arg;
    const char *p = data;
    size_t done = 0;

    while (done < n) {
        ssize_t w = write(t->fd, p + done, n - done);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        done += (size_t)w;
    }
    crypto_hash_sha256_update(&t->sha, data, n);
    t->size += (long long)n;
    return 0;
}

static int
tmp_open(struct warc_unpack *u, struct warc_tmp *t)
{
    memset(t, 0, sizeof(*t));
    t->rootfd = u->rootfd;
    crypto_hash_sha256_init(&t->sha);
    t->fd =
        fetch_tmpfile(u->rootfd, "warc", u->seq++, t->name, sizeof(t->name));
    return t->fd >= 0 ? 0 : -1;
}

/* Close the temporary file; drop it too unless keep. */
static void
tmp_close(struct warc_tmp *t, int keep)
{
    if (t->fd >= 0) {
        close(t->fd);
        t->fd = -1;
        if (!keep) {
            unlinkat(t->rootfd, t->name, 0);
        }
    }
}

int
warc_unpack_new(const char *dest_dir, const struct policy *pol,
                size_t max_bytes, const char *base, struct fetch_result *out,
                struct warc_unpack **up, char *err, size_t errlen)
{
    struct warc_unpack *u;

    *up = NULL;
    if (sodium_init() < 0) {
        return fetch_fail(err, errlen, "libsodium cannot start");
    }
    u = kw_calloc(1, sizeof(*u));
    if (u == NULL) {
        return fetch_fail(err, errlen, "out of memory");
    }
    u->rootfd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (u->rootfd < 0) {
        fetch_fail(err, errlen, "%s: %s", dest_dir, strerror(errno));
        kw_free(u);
        return -1;
    }
    u->pol = pol;
    u->max_bytes = max_bytes;
    u->out = out;
    snprintf(u->base, sizeof(u->base), "%s", base != NULL ? base : "");
    *up = u;
    return 0;
}

const char *
warc_unpack_base(const struct warc_unpack *u)
{
    return u->base;
}

int
warc_unpack_finish(struct warc_unpack *u)
{
    size_t i;
    int rc;

    if (u == NULL) {
        return 0;
    }
    rc = fetch_result_index(u->out);
    warc_close(u->backr);
    if (u->back != NULL) {
        fclose(u->back);
    }
    for (i = 0; i < u->nfiles; i++) {
        kw_free(u->files[i]);
    }
    kw_free(u->files);
    kw_free(u->payloads.s);
    kw_free(u->urls.s);
    close(u->rootfd);
    kw_free(u);
    return rc;
}

/* Open path for reading: a regular file, not through a final symlink. */
static FILE *
open_file(const char *path)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    FILE *f;

    if (fd < 0) {
        return NULL;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    f = fdopen(fd, "rb");
    if (f == NULL) {
        close(fd);
    }
    return f;
}

/* What one record is about, while it is being unpacked. */
struct warc_item {
    struct warc_unpack *u;
    struct warc_reader *r;
    const struct warc_record *rec;
    size_t file;
    long idx;         /* its fetch_record */
    char norm[16384]; /* its URL, normalised */
    char err[512];
};

/* The record's fetch_record (the array may move between calls). */
static struct fetch_record *
item_rec(const struct warc_item *it)
{
    return &it->u->out->r[it->idx];
}

/* End the record, then mark it skipped with why (a record that turns out
 * broken is an error instead).  -1 only when out of memory. */
static int
item_skip(struct warc_item *it, const char *why)
{
    if (warc_end(it->r, it->err, sizeof(it->err)) < 0) {
        return rec_say(&item_rec(it)->error, "%s", it->err);
    }
    return rec_say(&item_rec(it)->skipped, "%s", why);
}

/* End the record, then mark it an error with why. */
static int
item_fail(struct warc_item *it, const char *why)
{
    if (warc_end(it->r, it->err, sizeof(it->err)) < 0) {
        why = it->err;
    }
    return rec_say(&item_rec(it)->error, "%s", why);
}

/* Remember where this response's payload is, by digest and URL + date. */
static int
item_index(struct warc_item *it, const struct warc_pos *pos)
{
    unsigned char key[16];

    if (it->rec->payload_digest != NULL) {
        map_key(key, "d", it->rec->payload_digest, NULL);
        if (map_put(&it->u->payloads, key, it->file, pos->member, pos->off) <
            0) {
            return -1;
        }
    }
    if (it->rec->date != NULL) {
        map_key(key, "u", it->norm, it->rec->date);
        if (map_put(&it->u->payloads, key, it->file, pos->member, pos->off) <
            0) {
            return -1;
        }
    }
    return 0;
}

/* 1 when a capture of the same URL at least as late is kept already. */
static int
item_superseded(const struct warc_item *it)
{
    unsigned char key[16];
    const struct warc_slot *s;

    map_key(key, "c", it->norm, NULL);
    s = map_get(&it->u->urls, key);
    return s != NULL && it->u->out->r[s->a].fetched_at > it->rec->date_unix;
}

/* Keep the finished body t as the capture of this record: an earlier
 * capture of the URL gives way, the file goes to its path in the tree,
 * the record gets its fields.  -1 only when out of memory. */
static int
item_keep(struct warc_item *it, struct warc_tmp *t, int status,
          const char *ctype)
{
    struct warc_unpack *u = it->u;
    struct fetch_record *fr;
    unsigned char key[16], h[crypto_hash_sha256_BYTES];
    char hex[crypto_hash_sha256_BYTES * 2 + 1];
    struct warc_slot *s;
    char *path = NULL;

    map_key(key, "c", it->norm, NULL);
    s = map_get(&u->urls, key);
    if (s != NULL) {
        struct fetch_record *old = &u->out->r[s->a];

        if (old->path != NULL) {
            unlinkat(u->rootfd, old->path, 0);
            kw_free(old->path);
            old->path = NULL;
        }
        if (rec_say(&old->skipped, "an older capture of a URL captured "
                                   "again later in the archive") < 0) {
            return -1;
        }
    }
    if (u->base[0] == '\0') {
        /* the first page kept names the site: http://host[:port]/ */
        const char *auth = strstr(it->norm, "://") + 3;

        snprintf(u->base, sizeof(u->base), "%.*s/",
                 (int)(auth - it->norm + (long)strcspn(auth, "/?")), it->norm);
    }
    tmp_close(t, 1);
    if (fetch_save(u->rootfd, t->name, it->norm, u->base, ctype, &path) < 0) {
        int e = errno;

        unlinkat(u->rootfd, t->name, 0);
        if (e == ENOMEM) {
            return -1;
        }
        return rec_say(&item_rec(it)->error, "cannot save the body: %s",
                       strerror(e));
    }
    fr = item_rec(it);
    fr->path = path;
    fr->status = status;
    fr->size = t->size;
    fr->fetched_at = it->rec->date_unix;
    crypto_hash_sha256_final(&t->sha, h);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    fr->sha256 = kw_strdup(hex);
    fr->final_url = kw_strdup(it->norm);
    if (ctype != NULL && ctype[0] != '\0') {
        fr->content_type = fetch_printable(ctype, strlen(ctype), 255);
    }
    if (fr->sha256 == NULL || fr->final_url == NULL ||
        (ctype != NULL && ctype[0] != '\0' && fr->content_type == NULL)) {
        return -1;
    }
    if (s != NULL) {
        s->a = it->idx;
    } else if (map_put(&u->urls, key, it->file, it->idx, 0) < 0) {
        return -1;
    }
    return 0;
}

/* Read the response (or resource) record that rd is at into a temporary
 * file, ending the record.  1 with *t, *status and ctype filled; 0 when it
 * was refused (why in it->err: a skip when *skip is set); -1 when out of
 * memory.  From the revisit's second reader too. */
static int
read_payload(struct warc_item *it, struct warc_reader *rd,
             const struct warc_record *rec, struct warc_tmp *t, int *status,
             char *ctype, size_t ctlen, int *skip)
{
    struct warc_http h;
    int resource = strcmp(rec->type, "resource") == 0;

    *skip = 0;
    *status = 200;
    if (rec->truncated != NULL) {
        snprintf(it->err, sizeof(it->err),
                 "capture cut short by the crawler (WARC-Truncated: %.40s)",
                 rec->truncated);
        return 0;
    }
    if (resource) {
        snprintf(ctype, ctlen, "%s",
                 rec->content_type != NULL ? rec->content_type : "");
    } else {
        if (warc_http_head(rd, &h, it->err, sizeof(it->err)) < 0) {
            return 0;
        }
        *status = h.status;
        if (h.status < 200 || h.status > 299) {
            snprintf(it->err, sizeof(it->err), "HTTP status %d", h.status);
            *skip = 1;
            return 0;
        }
        snprintf(ctype, ctlen, "%s", h.content_type);
    }
    if (tmp_open(it->u, t) < 0) {
        snprintf(it->err, sizeof(it->err), "cannot save the body: %s",
                 strerror(errno));
        return 0;
    }
    if (warc_http_body(rd, resource ? NULL : &h, it->u->max_bytes, tmp_sink, t,
                       it->err, sizeof(it->err)) < 0 ||
        warc_end(rd, it->err, sizeof(it->err)) < 0) {
        tmp_close(t, 0);
        return 0;
    }
    return 1;
}

/* The reader of file number file, at pos, with its record read. */
static int
back_reader(struct warc_unpack *u, size_t file, const struct warc_pos *pos,
            struct warc_record *rec, char *err, size_t errlen)
{
    if (u->backr == NULL || u->back_file != file) {
        warc_close(u->backr);
        u->backr = NULL;
        if (u->back != NULL) {
            fclose(u->back);
        }
        u->back = open_file(u->files[file]);
        if (u->back == NULL || warc_open(u->back, &u->backr, err, errlen) < 0) {
            return fetch_fail(err, errlen, "cannot open %s again",
                              u->files[file]);
        }
        u->back_file = file;
    }
    if (warc_seek(u->backr, pos) < 0 ||
        warc_next(u->backr, rec, err, errlen) != WARC_RECORD) {
        return fetch_fail(err, errlen, "cannot read it again");
    }
    return 0;
}

/* A revisit: its own head says whether it counts, the payload comes from
 * the earlier record it names. */
static int
do_revisit(struct warc_item *it)
{
    const struct warc_record *rec = it->rec;
    struct warc_unpack *u = it->u;
    struct warc_record early;
    struct warc_http h;
    struct warc_tmp t;
    struct warc_pos pos;
    unsigned char key[16];
    const struct warc_slot *s = NULL;
    char ctype[256];
    int status, skip, rc;

    if (rec->length > 0 &&
        warc_http_head(it->r, &h, it->err, sizeof(it->err)) == 0 &&
        h.status != 304 && (h.status < 200 || h.status > 299)) {
        snprintf(it->err, sizeof(it->err), "HTTP status %d", h.status);
        return item_skip(it, it->err);
    }
    if (warc_end(it->r, it->err, sizeof(it->err)) < 0) {
        return rec_say(&item_rec(it)->error, "%s", it->err);
    }
    if (rec->refers_to_uri != NULL && rec->refers_to_date != NULL) {
        struct strbuf n = STRBUF_INIT;

        if (url_normalize(rec->refers_to_uri, &n, NULL) == 0) {
            map_key(key, "u", strbuf_peek(&n), rec->refers_to_date);
            s = map_get(&u->payloads, key);
        }
        strbuf_free(&n);
    }
    if (s == NULL && rec->payload_digest != NULL) {
        map_key(key, "d", rec->payload_digest, NULL);
        s = map_get(&u->payloads, key);
    }
    if (s == NULL) {
        return rec_say(&item_rec(it)->error,
                       "revisit: the earlier capture is not in this run's "
                       "archives");
    }
    if (item_superseded(it)) {
        return rec_say(&item_rec(it)->skipped,
                       "a later capture of this URL is kept");
    }
    pos.member = s->a;
    pos.off = s->b;
    if (back_reader(u, s->file - 1, &pos, &early, it->err, sizeof(it->err)) <
        0) {
        return rec_say(&item_rec(it)->error, "revisit: the earlier capture: %s",
                       it->err);
    }
    rc = read_payload(it, u->backr, &early, &t, &status, ctype, sizeof(ctype),
                      &skip);
    if (rc == 0) {
        return rec_say(&item_rec(it)->error, "revisit: the earlier capture: %s",
                       it->err);
    }
    /* the revisit's own URL and date lead to the same payload */
    if (rec->date != NULL) {
        map_key(key, "u", it->norm, rec->date);
        if (map_put(&u->payloads, key, s->file - 1, pos.member, pos.off) < 0) {
            return -1;
        }
    }
    return item_keep(it, &t, status, ctype);
}

/* One record of the file. */
static int
do_record(struct warc_item *it)
{
    const struct warc_record *rec = it->rec;
    struct strbuf n = STRBUF_INIT;
    struct warc_tmp t;
    char ctype[256];
    int status, skip, rc;
    int revisit = strcmp(rec->type, "revisit") == 0;

    if (strcmp(rec->type, "response") != 0 &&
        strcmp(rec->type, "resource") != 0 && !revisit) {
        char why[96];

        snprintf(why, sizeof(why), "%.40s record",
                 rec->type[0] != '\0' ? rec->type : "untyped");
        for (rc = 0; why[rc] != '\0'; rc++) {
            if ((unsigned char)why[rc] < 0x20 || why[rc] == 0x7f) {
                why[rc] = '?';
            }
        }
        return item_skip(it, why);
    }
    if (rec->segment != NULL) {
        return item_skip(it, "segmented record (not supported)");
    }
    if (rec->target_uri == NULL) {
        return item_fail(it, "no WARC-Target-URI");
    }
    if (strncasecmp(rec->target_uri, "dns:", 4) == 0) {
        return item_skip(it, "DNS lookup record");
    }
    rc = url_normalize(rec->target_uri, &n, NULL);
    if (rc == 0 && n.len < sizeof(it->norm)) {
        memcpy(it->norm, strbuf_peek(&n), n.len + 1);
    }
    if (!strbuf_ok(&n)) {
        strbuf_free(&n);
        return -1;
    }
    if (rc < 0 || n.len >= sizeof(it->norm)) {
        strbuf_free(&n);
        return item_skip(it,
                         rc < 0 ? "not an http(s) capture" : "URL too long");
    }
    strbuf_free(&n);
    if (it->u->pol != NULL && policy_check_source(it->u->pol, it->norm, it->err,
                                                  sizeof(it->err)) < 0) {
        return item_fail(it, it->err);
    }
    if (revisit) {
        return do_revisit(it);
    }
    if (item_superseded(it)) {
        if (warc_end(it->r, it->err, sizeof(it->err)) < 0) {
            return rec_say(&item_rec(it)->error, "%s", it->err);
        }
        if (item_index(it, &rec->pos) < 0) {
            return -1;
        }
        return rec_say(&item_rec(it)->skipped,
                       "a later capture of this URL is kept");
    }
    rc = read_payload(it, it->r, rec, &t, &status, ctype, sizeof(ctype), &skip);
    if (rc == 0) {
        if (skip) {
            return item_skip(it, it->err);
        }
        return item_fail(it, it->err);
    }
    if (item_index(it, &rec->pos) < 0) {
        return -1;
    }
    return item_keep(it, &t, status, ctype);
}

int
warc_unpack_file(struct warc_unpack *u, const char *path, char *err,
                 size_t errlen)
{
    struct warc_item *it = NULL;
    struct warc_reader *r = NULL;
    struct warc_record rec;
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char **files;
    FILE *f = NULL;
    long idx;
    int rc = -1;

    files = kw_realloc(u->files, (u->nfiles + 1) * sizeof(*files));
    if (files == NULL) {
        return fetch_fail(err, errlen, "out of memory");
    }
    u->files = files;
    u->files[u->nfiles] = kw_strdup(path);
    it = kw_calloc(1, sizeof(*it));
    if (u->files[u->nfiles] == NULL || it == NULL) {
        kw_free(u->files[u->nfiles]);
        kw_free(it);
        return fetch_fail(err, errlen, "out of memory");
    }
    it->file = u->nfiles++;
    it->u = u;
    f = open_file(path);
    if (f == NULL || warc_open(f, &r, it->err, sizeof(it->err)) < 0) {
        const char *why = f == NULL ? (errno == EINVAL ? "not a regular file"
                                                       : strerror(errno))
                                    : it->err;

        idx = rec_new(u);
        if (idx < 0 || rec_say(&u->out->r[idx].url, "%s", name) < 0 ||
            rec_say(&u->out->r[idx].error, "cannot read the WARC file: %s",
                    why) < 0) {
            fetch_fail(err, errlen, "out of memory");
            goto out;
        }
        rc = 0;
        goto out;
    }
    it->r = r;
    for (;;) {
        int got = warc_next(r, &rec, it->err, sizeof(it->err));

        if (got == WARC_END) {
            break;
        }
        if (u->out->n >= WARC_RECORDS_MAX) {
            idx = rec_new(u);
            if (idx < 0 || rec_say(&u->out->r[idx].url, "%s", name) < 0 ||
                rec_say(&u->out->r[idx].error,
                        "more than %d records: the rest is not read",
                        WARC_RECORDS_MAX) < 0) {
                fetch_fail(err, errlen, "out of memory");
                goto out;
            }
            break;
        }
        it->idx = idx = rec_new(u);
        if (idx < 0) {
            fetch_fail(err, errlen, "out of memory");
            goto out;
        }
        if (got == WARC_BROKEN) {
            if (rec_say(&u->out->r[idx].url, "%s", name) < 0 ||
                rec_say(&u->out->r[idx].error, "%s", it->err) < 0) {
                fetch_fail(err, errlen, "out of memory");
                goto out;
            }
            continue;
        }
        it->rec = &rec;
        it->err[0] = '\0';
        if (rec.target_uri != NULL) {
            u->out->r[idx].url = fetch_printable(
                rec.target_uri, strlen(rec.target_uri), FETCH_MAX_URL_LEN);
        } else {
            /* a place to find it by: FILE@OFFSET[+OFFSET IN MEMBER] */
            if (r->gzip && rec.pos.off > 0) {
                rec_say(&u->out->r[idx].url, "%s@%lld+%lld", name,
                        rec.pos.member, rec.pos.off);
            } else {
                rec_say(&u->out->r[idx].url, "%s@%lld", name,
                        r->gzip ? rec.pos.member : rec.pos.off);
            }
        }
        if (u->out->r[idx].url == NULL || do_record(it) < 0) {
            fetch_fail(err, errlen, "out of memory");
            goto out;
        }
    }
    rc = 0;
out:
    warc_close(r);
    if (f != NULL) {
        fclose(f);
    }
    kw_free(it);
    return rc;
}
