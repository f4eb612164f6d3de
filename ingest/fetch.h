/*
 * fetch: `kwangmyong ingest --fetch URLS.txt`, retrieving a list of http(s)
 * URLs with libcurl into a directory that ingest then walks like any other
 * tree (hostile-world.md, row I8).  Layer: ingest/; depends on lib/
 * (policy, url, html, strbuf, alloc, fsutil), libcurl and libsodium;
 * never on microhttpd.h or server/.  It never prints and never exits.
 *
 * Every URL is a stranger's string and every server may be hostile, so:
 * only http and https (curl is told so for requests and redirects); the
 * policy's fetch_allow is checked on the URL before any connection, and
 * again on every redirect target (redirects are followed here, never by
 * curl, at most max_redirects hops); after curl resolves a name, the
 * address is checked before the socket is opened, and loopback, private,
 * link-local and other special addresses are refused unless the policy
 * lists that exact numeric literal, the URL itself was an exactly listed
 * numeric host, or allow_private is set (DNS rebinding); bodies are capped
 * while they arrive and a Content-Length above the cap is refused before
 * the body; a whole-URL time limit and a low-speed limit bound each URL;
 * no cookies, no credentials, no .netrc, no proxy from the environment.
 *
 * The list file: one URL per line; leading and trailing blanks ignored;
 * blank lines and lines starting with '#' skipped; a UTF-8 BOM ignored.
 * At most FETCH_MAX_URLS URLs in at most FETCH_LIST_MAX_BYTES bytes.  A bad
 * line (not an http(s) URL, too long, control bytes, refused by the
 * policy, a duplicate) becomes a failed record with its line number; the
 * other lines are still fetched.
 *
 * Where files go: a fetched body is written to a hidden temporary file in
 * dest_dir (".fetch-*": the ingest walk skips dot files) and renamed
 * into place only when the whole transfer succeeded, so a failed, capped or
 * interrupted transfer never leaves a file that looks fetched.  The path
 * (relative to dest_dir, '/'-separated, the `rel` ingest's walk produces
 * for it) is derived from the final URL:
 *
 *   HOST[_PORT]/SEGMENT/.../NAME[~qHASH][.EXT]
 *
 * HOST is the lowercased host (an IPv6 "[a:b::c]" becomes "ipv6_a-b--c"),
 * PORT only when not the scheme's default.  Segments are percent-decoded when
 * the result is valid UTF-8 without control bytes, '/' or '\'; otherwise kept
 * encoded.  A segment starting with '.' (so ".." too) keeps its first
 * byte encoded as "%2E", an empty segment becomes "_", a trailing slash
 * gives "index.html", a query adds "~q" and 8 hex digits of its sha256
 * before the extension, over-long segments are cut and marked with a hash.
 * When the Content-Type is html, xhtml, markdown, plain text or pdf and the
 * name lacks a matching extension, one is appended (".html", ".xhtml",
 * ".md", ".txt", ".pdf"), so ingest classifies the file by what it is.  A
 * name already taken gets "~2".."~9" before the extension, then a flat
 * "HOST[_PORT]/~HASH16[.EXT]" name.  The file's mtime is set to
 * Last-Modified when the server sent one.
 *
 * How a caller maps files back to URLs: every successful record has path
 * == the walk's rel; fetch_find_path() finds the record for a rel, whose
 * final_url is the document's URL (use it as doc_url and source_url, and
 * for manifest_find_url), last_modified its Last-Modified and fetched_at
 * the retrieval time.
 */
#ifndef KW_FETCH_H
#define KW_FETCH_H

#include <stddef.h>

#include "strbuf.h"

struct policy;

/* Bounds on the list file. */
#define FETCH_MAX_URLS 100000
#define FETCH_LIST_MAX_BYTES (64u * 1024 * 1024)
#define FETCH_MAX_URL_LEN 8192
/* Response headers larger than this (all lines of one response) abort the
 * transfer: libcurl keeps them all in memory. */
#define FETCH_MAX_HEADER_BYTES (256 * 1024)

struct fetch_record; /* below */

struct fetch_opts {
    long timeout_s;        /* whole URL, redirects included; > 0 */
    long low_speed_bytes;  /* abort when below this many bytes/s ... */
    long low_speed_time_s; /* ... for this long (0: no low-speed limit) */
    size_t max_bytes;      /* largest body; > 0 */
    int max_redirects;     /* redirects followed per URL, 0..20 */
    int allow_private;     /* 1: connect to loopback/private addresses too */
    /* Optional: called after each URL of the list is done (fetched or
     * failed) with the records finished so far, the record count and the
     * record (borrowed for the call), so the caller can show progress
     * without this module printing. */
    void (*progress)(void *arg, size_t done, size_t total,
                     const struct fetch_record *rec);
    void *progress_arg;
};

struct fetch_record {
    int line;           /* 1-based line of the list */
    char *url;          /* as listed (trimmed; control bytes and invalid
                           UTF-8 percent-encoded, cut at 8 KiB) */
    char *final_url;    /* last URL requested, normalised; NULL when none */
    char *path;         /* relative to dest_dir; NULL unless fetched */
    long status;        /* final HTTP status; 0 when no response */
    char *content_type; /* printable ASCII; NULL when absent */
    long long last_modified; /* Unix seconds, -1 when absent */
    long long fetched_at;    /* Unix seconds when the transfer ended, -1 */
    long long size;          /* bytes saved; 0 unless fetched */
    char *sha256;            /* hex of the saved bytes; NULL unless fetched */
    char *error;             /* reason when failed, NULL when fetched */
    /* reason when left out on purpose, else NULL: never set by
     * fetch_list; the WARC unpacker (warc.h) sets it for records that are
     * no capture to keep */
    char *skipped;
};

/* Private to fetch.c: one key of the path index. */
struct fetch_path_key {
    const char *path; /* borrowed from a record */
    size_t rec;
};

struct fetch_result {
    struct fetch_record *r; /* owned, in list order */
    size_t n;
    size_t nfailed; /* records with error != NULL */
    /* private: fetched records sorted by path (owned) */
    struct fetch_path_key *by_path;
    size_t npath;
};

/* Defaults from the policy: its fetch_timeout and fetch_max_size, under
 * 1024 bytes/s for 15 s is too slow, 5 redirects, private addresses
 * refused, no progress callback.  o is filled in; pol is borrowed. */
void fetch_opts_default(struct fetch_opts *o, const struct policy *pol);

/* Fetch every URL of the list file urls_file into dest_dir (an existing
 * directory the caller owns, normally fresh from mkdtemp), checking each
 * against pol (borrowed).  o may be NULL for fetch_opts_default.  out
 * (owned by the caller, release with fetch_result_free) receives one
 * record per non-blank, non-comment line, failed ones included.  Returns
 * 0, or -1 only when the list itself is unusable (unreadable, not a
 * regular file, too large, more than FETCH_MAX_URLS URLs, dest_dir not a
 * directory, bad opts, out of memory, libcurl unusable) with a message in
 * err; out is then empty.  Fetches one URL at a time; each takes at most
 * about o->timeout_s. */
int fetch_list(const char *urls_file, const struct policy *pol,
               const struct fetch_opts *o, const char *dest_dir,
               struct fetch_result *out, char *err, size_t errlen);

/* The fetched record whose path equals path (borrowed from r), or NULL. */
const struct fetch_record *fetch_find_path(const struct fetch_result *r,
                                           const char *path);

/* Release everything r owns and leave it empty; NULL or zeroed is fine. */
void fetch_result_free(struct fetch_result *r);

/* Append to out (owned by the caller) the path, relative to the
 * destination, that a body fetched from url (borrowed; an absolute http(s)
 * URL, normalised here) with content_type (borrowed, may be NULL) is saved
 * at, before any "~N" collision suffix.  0, or -1 when url is not an
 * http(s) URL or out of memory (strbuf_ok(out) tells). */
int fetch_path_for_url(const char *url, const char *content_type,
                       struct strbuf *out);

/* Move the finished file tmpname (relative to the directory rootfd) to
 * the path for the normalised URL norm with content_type ctype, as
 * fetch_path_for_url gives it, or "~2".."~9" before its extension, or the
 * flat form, whichever is free first; directories are made on the way,
 * never through a symlink, and no file is ever replaced.  With under (a
 * normalised URL ending in '/', or NULL) and norm under it, the path is
 * norm's rest after under, without the host directory, so the tree
 * mirrors a site whose base URL is under.  *path gets the chosen name
 * (new).  0, or -1 with errno (ENOMEM, or the file-system error that is
 * not a taken name).  All strings borrowed. */
int fetch_save(int rootfd, const char *tmpname, const char *norm,
               const char *under, const char *ctype, char **path);

/* Format err[errlen] (may be NULL or 0 long) and return -1: the error
 * helper of fetch and of the WARC unpacker. */
int fetch_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Create a new hidden temporary file in the directory rootfd, named
 * ".TAG-PID-INDEX-TRY" into name[n] (the walk skips dot files), for a
 * body that is renamed into place (fetch_save) once complete.  A write
 * descriptor (O_CLOEXEC, mode 0600), or -1 with errno. */
int fetch_tmpfile(int rootfd, const char *tag, size_t index, char *name,
                  size_t n);

/* Build r's path index (for fetch_find_path) from its records, after
 * records were added or changed by hand; 0, or -1 when out of memory. */
int fetch_result_index(struct fetch_result *r);

/* A new string (kw_free) copying s[0..n), at most max input bytes, with
 * control bytes and invalid UTF-8 percent-encoded; NULL when out of
 * memory. */
char *fetch_printable(const char *s, size_t n, size_t max);

/* Remove dir and everything under it without following symlinks, for the
 * caller's cleanup of dest_dir.  0, or -1 with errno from the first
 * failure (the rest is still attempted). */
int fetch_rmtree(const char *dir);

#endif
