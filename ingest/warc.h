/*
 * warc: WARC files (ISO 28500, WARC/1.0 and 1.1) into ingest.  Layer:
 * ingest/; uses lib/ (alloc, strbuf, url, policy), ingest/fetch (the tree
 * layout and its records), zlib and libsodium; never the database,
 * microhttpd.h or server/.  Never prints or exits.  Two parts:
 *
 * The reader (warc_open ... warc_close) walks the records of one file,
 * plain or gzip (one member for the whole file, or one per record, or any
 * mix: members are read as one stream), with bounded memory: a record's
 * header is at most WARC_HEAD_MAX bytes, its block is streamed through
 * fixed buffers, whatever its Content-Length.  The file is hostile input:
 * a record that is malformed, truncated, or whose Content-Length lies (the
 * block is not followed by the record end) is reported once as broken,
 * and the reader goes back to that record's start and looks for the next
 * line that starts "WARC/1." (or the next gzip member after corrupt gzip
 * data); it never reads outside its buffers.  Going back to a position
 * (warc_seek, and a broken record's start) inflates the position's gzip
 * member again from its start: cheap with a member per record, a pass
 * over the file before it when the whole file is one member.  A captured
 * HTTP response is parsed from the block (status line, headers) and its
 * body decoded (chunked transfer coding, Content-Encoding gzip, x-gzip or
 * deflate) up to a size cap, into a sink.
 *
 * The unpacker (warc_unpack_*) turns the records of one or more files
 * into a directory tree that ingest then walks like a mirrored site, and a
 * fetch_result (fetch.h) that says, for each file of the tree, its URL
 * (WARC-Target-URI), its retrieval time (WARC-Date) and its captured
 * Content-Type: the same shape `ingest --fetch` leaves, so one walk,
 * conversion, store and report serve both.  Why a tree and not jobs fed
 * to the worker pool directly: a worker job is a file path (convert_file
 * reads it bounded, without following links), assets and PDF originals are
 * read again from their path at store time, and the report and ack log
 * name tree paths; a tree keeps every one of those steps as it is, costs
 * one write and read of each payload on local disk, and keeps this module
 * free of the database and the pool.
 *
 * What each record becomes (a fetch_record each, in file order):
 *   response  a 2xx captured HTTP response: its decoded body saved at the
 *             path for its URL (fetch_save: under base at the path below
 *             it, other sites under HOST[_PORT]/), so links between
 *             captured pages bind as in a mirrored tree; other statuses are
 *             skipped ("HTTP status 404"); a URL refused by the policy is
 *             an error ("blocked source: ...") and nothing is saved.
 *   revisit   the same, with the payload of the earlier record it names
 *             (WARC-Refers-To-Target-URI and -Date, else its
 *             WARC-Payload-Digest), read again from the file.
 *   resource  a document or asset by its WARC Content-Type (no HTTP).
 *   request, metadata, warcinfo, conversion, continuation, segmented
 *             records, and responses to dns: lookups: skipped, with the
 *             reason.
 * A URL captured more than once keeps its latest capture (WARC-Date; the
 * later record on a tie); the others are skipped.  A broken record is an
 * error and nothing of it is saved (bodies go to a hidden temporary file,
 * renamed into place only when the record ended well).
 *
 * Memory: the records (a few hundred bytes each), and two hash indexes of
 * 40-byte slots, at most half full: payloads (digest, and URL + date, to
 * their position in the file) and captured URLs, each capped at
 * WARC_INDEX_MAX entries (a payload not indexed cannot be revisited; a
 * URL not indexed can end up captured twice, the second at a "~2" path).
 * Whatever a record's size, the reader uses fixed buffers: unpacking a
 * 31 MB file of 40,000 records with a 300 MB body took 30 MB of RSS.
 */
#ifndef KW_WARC_H
#define KW_WARC_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "fetch.h"

struct policy;

/* Largest header of a record, and of a captured HTTP response. */
#define WARC_HEAD_MAX (64 * 1024)
/* Header fields of one record. */
#define WARC_FIELDS_MAX 128
/* Broken records in one file before the reader gives up on it. */
#define WARC_BROKEN_MAX 100
/* Records in one unpack run, and entries of each index. */
#define WARC_RECORDS_MAX 4000000
#define WARC_INDEX_MAX (1u << 20)

/* Where a record starts: the file offset of its gzip member (0 for a
 * plain file) and the offset of the record in the member's data (in the
 * file, for a plain file). */
struct warc_pos {
    long long member;
    long long off;
};

/* One record's header.  Strings are borrowed from the reader until the
 * next warc_next or warc_close; NULL when the field is absent.  Values are
 * as written, without surrounding blanks (a WARC/1.0 "<uri>" loses its
 * angle brackets). */
struct warc_record {
    struct warc_pos pos;
    const char *version;        /* "WARC/1.0" or "WARC/1.1" */
    const char *type;           /* WARC-Type; "" when absent */
    const char *target_uri;     /* WARC-Target-URI */
    const char *date;           /* WARC-Date */
    long long date_unix;        /* WARC-Date in Unix seconds, -1 if bad */
    const char *record_id;      /* WARC-Record-ID */
    const char *content_type;   /* Content-Type of the block */
    const char *payload_digest; /* WARC-Payload-Digest */
    const char *refers_to_uri;  /* WARC-Refers-To-Target-URI */
    const char *refers_to_date; /* WARC-Refers-To-Date */
    const char *truncated;      /* WARC-Truncated */
    const char *segment;        /* WARC-Segment-Number */
    long long length;           /* Content-Length of the block */
};

/* What warc_next returns. */
enum warc_next_result {
    WARC_END = 0,    /* no more records */
    WARC_RECORD = 1, /* *rec is the next record */
    WARC_BROKEN = -1 /* err says what; call again for the next record */
};

struct warc_reader; /* opaque */

/* A reader of f (borrowed, opened for reading, seekable: broken records
 * are read again from their start; the caller closes it after
 * warc_close).  The first two bytes say gzip or plain.  0 with *out (new,
 * warc_close), or -1 with a message when out of memory. */
int warc_open(FILE *f, struct warc_reader **out, char *err, size_t errlen);
/* Free r (NULL is fine); f stays open. */
void warc_close(struct warc_reader *r);

/* The next record's header into *rec (strings borrowed from r).  A record
 * still open is ended first (warc_end), and its breakage is what this
 * call then reports.  After WARC_BROKEN the reader has resynchronised:
 * call again.  Gives up with WARC_END after a read error, truncated gzip
 * data, or WARC_BROKEN_MAX broken records (the last report says so). */
int warc_next(struct warc_reader *r, struct warc_record *rec, char *err,
              size_t errlen);
/* Read up to n bytes of the current record's block into buf.  The count
 * (0 at the block's end), or -1 when the file ends or its data is corrupt
 * before the block does (warc_end then says why). */
ssize_t warc_read(struct warc_reader *r, void *buf, size_t n);
/* End the current record: skip what is left of its block and check that
 * the record end ("\r\n\r\n") follows.  0, or -1 when the record is
 * broken (err says why; the reader has gone back to resynchronise, and
 * the next warc_next does not report it again).  0 when no record is
 * open. */
int warc_end(struct warc_reader *r, char *err, size_t errlen);
/* Go to the record at pos (from a warc_record of this file); the next
 * warc_next reads it.  0, or -1 on a read error. */
int warc_seek(struct warc_reader *r, const struct warc_pos *pos);
/* "offset N" (plain), "offset N" or "gzip member at N, offset K" into
 * buf, for messages. */
void warc_where(const struct warc_reader *r, const struct warc_pos *pos,
                char *buf, size_t n);

/* The head of a captured HTTP response. */
struct warc_http {
    int status;             /* 100..999 */
    char content_type[256]; /* printable ASCII, "" when absent */
    char encoding[32];      /* Content-Encoding, lowercased, "" for none */
    int chunked;            /* Transfer-Encoding ends in chunked */
};

/* Read the status line and headers of the HTTP response in the current
 * record's block (at most WARC_HEAD_MAX bytes).  0, or -1 with err. */
int warc_http_head(struct warc_reader *r, struct warc_http *h, char *err,
                   size_t errlen);

/* Receives decoded body bytes; 0 to go on, -1 to stop. */
typedef int (*warc_sink)(void *arg, const void *data, size_t n);

/* Read the rest of the current block as the body of the response h
 * describes (h may be NULL: the block is the payload as it is): undo
 * chunked transfer coding (a body that does not start with a chunk size
 * is taken as it is: some writers keep the header but not the coding) and
 * Content-Encoding gzip, x-gzip or deflate (zlib or raw), and hand the
 * bytes to sink.  0, or -1 with err: "too large: more than MAX bytes",
 * "broken chunked encoding", "corrupt gzip body", "truncated gzip body",
 * "unsupported Content-Encoding: br", "the record ends early", or the
 * sink's failure ("cannot write the body"). */
int warc_http_body(struct warc_reader *r, const struct warc_http *h, size_t max,
                   warc_sink sink, void *arg, char *err, size_t errlen);

/* WARC-Date ("YYYY-MM-DDThh:mm:ss[.fraction]Z", or a shorter prefix as
 * WARC/1.1 allows: year, month, day, minutes) in Unix seconds, or -1. */
long long warc_date(const char *s);

/* 1 when the file name looks like a WARC file: ".warc" or ".warc.gz" in
 * any case. */
int warc_is_warc_name(const char *name);

struct warc_unpack; /* opaque */

/* Start unpacking into dest_dir (an existing, empty directory the caller
 * owns) under pol (borrowed; may be NULL: nothing refused).  Bodies above
 * max_bytes are errors ("too large").  base (borrowed, may be NULL or ""):
 * the site's base URL, normalised, ending in '/'; when empty, the first
 * 2xx response kept sets it to its origin ("http://host[:port]/").  out
 * (borrowed until warc_unpack_finish) receives the records.  0 with *u
 * (new), or -1 with err. */
int warc_unpack_new(const char *dest_dir, const struct policy *pol,
                    size_t max_bytes, const char *base,
                    struct fetch_result *out, struct warc_unpack **u, char *err,
                    size_t errlen);
/* Unpack the WARC file at path (borrowed; not a symlink).  Each record
 * ends up in out (a file that cannot be read at all is one failed record);
 * a revisit may follow a record of an earlier file of the same run.  0,
 * or -1 with err when out of memory. */
int warc_unpack_file(struct warc_unpack *u, const char *path, char *err,
                     size_t errlen);
/* The base URL (borrowed from u: "" when none was given and no response
 * was kept). */
const char *warc_unpack_base(const struct warc_unpack *u);
/* Index out's paths (fetch_result_index) and free u (NULL is fine).  0,
 * or -1 when out of memory. */
int warc_unpack_finish(struct warc_unpack *u);

#endif
