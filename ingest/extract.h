/*
 * extract: turns one mirrored file (hostile bytes from outside) into UTF-8
 * HTML or text for the sanitizer: format detection by name and content,
 * bounded gunzip, charset conversion to valid UTF-8, Markdown (cmark, safe
 * mode), plain text, and PDF through pdftotext in a resource-limited child
 * process.  Layer: ingest/; uses lib/ (alloc, strbuf, html), zlib, cmark,
 * iconv and POSIX processes; never microhttpd.h, never the database, never
 * the sanitizer (its output goes into lib/sanitize later).  Converters
 * return 0 or -1 (with a reason in err where there is one); nothing prints
 * or exits; memory is bounded by the input size and the limits below.
 * Strings returned through out-parameters are new (kw_free them), NULL on
 * error; inputs are borrowed.
 */
#ifndef KW_EXTRACT_H
#define KW_EXTRACT_H

#include <stddef.h>

enum extract_format {
    EXTRACT_UNKNOWN = 0,
    EXTRACT_HTML,
    EXTRACT_MARKDOWN,
    EXTRACT_TEXT,
    EXTRACT_PDF
};

/* Static names: "html", "markdown", "text", "pdf", "unknown". */
const char *extract_format_name(enum extract_format f);
/* Static MIME types; application/octet-stream for EXTRACT_UNKNOWN. */
const char *extract_format_mime(enum extract_format f);

/* 1 when name ends in ".gz" (any case). */
int extract_is_gzip_name(const char *name);
/* Length of name without a trailing ".gz" (so "a.txt.gz" gives 5); *had_gz
 * (may be NULL) says whether there was one.  Nothing is allocated: print
 * the stripped name with "%.*s". */
size_t extract_strip_gz(const char *name, int *had_gz);

/* Format of a file from its name (may be NULL or a path; a ".gz" suffix is
 * ignored) confirmed by its decompressed content (borrowed).  Known
 * extensions: .html .htm .xhtml .md .markdown .txt .text .pdf (any case).
 * A PDF needs "%PDF-" within its first 1024 bytes; HTML, Markdown and text
 * must not look binary (a NUL, or more than 30% control bytes in the first
 * 8 KiB; a UTF-16 BOM makes the test count 16-bit units) and must not start
 * with "%PDF-".  Without a known extension only a PDF magic or an HTML
 * doctype/<html> start is recognised.  Empty data is EXTRACT_UNKNOWN:
 * there is nothing to convert (callers wanting a better message test len
 * first). */
enum extract_format extract_detect(const char *name, const unsigned char *data,
                                   size_t len);

/* Decompress gzip data (one or more members) into a new buffer (*out,
 * NUL-terminated, *outlen bytes before the NUL).  Refuses with "too large
 * after decompression" as soon as the output passes max bytes, having
 * allocated at most max + 2 bytes plus zlib's state; "corrupt gzip (...)"
 * for bad, truncated or trailing data. */
int extract_gunzip(const unsigned char *in, size_t len, size_t max,
                   unsigned char **out, size_t *outlen, char *err,
                   size_t errlen);

/* Bytes in any supported encoding to valid UTF-8 (*out new, NUL-terminated;
 * the output always passes utf8_valid()).  Order of evidence: a BOM (UTF-8
 * stripped, UTF-16 LE/BE converted); for HTML (is_html) a charset in a
 * <meta> or <?xml?> declaration within the first 4 KiB, with the WHATWG
 * label aliases (euc-kr means CP949, latin1/ascii mean windows-1252, a
 * declared utf-16 without BOM means UTF-8) and other labels tried with
 * iconv; bytes that are entirely valid UTF-8 with at least four multi-byte
 * sequences are UTF-8 whatever the declaration says (stale meta tags are
 * common, a legacy encoding is valid UTF-8 by chance almost never). Undeclared,
 * or a label iconv does not know or that is refused (UTF-7, ISO-2022-KR and
 * friends): valid UTF-8 as is; mostly valid UTF-8 (at least four good
 * multi-byte sequences per bad byte) as UTF-8; else CP949 when it converts
 * without a single error and at least half of the non-ASCII characters are
 * Hangul; else windows-1252.  Invalid sequences become U+FFFD, NUL bytes
 * are dropped.  Output is at most about 3 * len bytes. */
int extract_to_utf8(const unsigned char *in, size_t len, int is_html,
                    char **out, size_t *outlen, char *err, size_t errlen);
/* As extract_to_utf8, with label (borrowed; NULL or "" for none): the
 * charset the bytes came with from outside, an HTTP Content-Type's
 * charset.  It is taken as the declaration, before the document's own
 * <meta> (as browsers do), under the same rules (aliases, refused labels,
 * valid UTF-8 wins). */
int extract_to_utf8_label(const unsigned char *in, size_t len, int is_html,
                          const char *label, char **out, size_t *outlen,
                          char *err, size_t errlen);

/* Markdown (UTF-8) to HTML with cmark, in this process: safe mode (raw HTML
 * becomes a comment, javascript:/vbscript:/file:/data: links become empty),
 * invalid UTF-8 replaced.  *html is new (kw_malloc).  cmark 0.30.2 (Debian
 * 12) has super-linear cases and aborts on out-of-memory, so hostile input
 * must go through extract_markdown_limited() instead. */
int extract_markdown(const char *md, size_t len, char **html, size_t *hlen);

/* Plain text (UTF-8) to HTML: paragraphs split by blank lines become <p>,
 * line breaks inside them <br>, runs of lines indented by 4+ spaces or a
 * tab a <pre>; every character escaped, control characters other than tab
 * dropped.  *title gets a guess (new, or NULL when there is no text line):
 * the first non-blank line, trimmed, without control or bidi-override
 * characters, capped at 300 bytes on a character boundary.  The title is
 * not repeated in the HTML. */
int extract_text(const char *txt, size_t len, char **html, size_t *hlen,
                 char **title);

/* Limits for the child processes (PDF and Markdown).  A CPU or memory
 * limit of 0 or less sets none (an inherited one still applies); the
 * timeouts and output caps always apply. */
struct extract_limits {
    long pdf_timeout_ms;   /* wall clock for one pdftotext run */
    long pdf_cpu_seconds;  /* RLIMIT_CPU of pdftotext */
    long pdf_mem_bytes;    /* RLIMIT_AS of pdftotext */
    size_t max_text;       /* cap on the text read back from pdftotext */
    const char *pdftotext; /* absolute path of the binary (borrowed) */
    long md_timeout_ms;    /* wall clock for one Markdown conversion */
    long md_cpu_seconds;   /* RLIMIT_CPU of the Markdown child */
    long md_mem_bytes;     /* RLIMIT_AS of the Markdown child (not set in
                              AddressSanitizer builds: it maps terabytes) */
    size_t max_html;       /* cap on the HTML read back from that child */
};

/* 20000 ms, 15 s, 512 MiB, 32 MiB, "/usr/bin/pdftotext"; Markdown 10000 ms,
 * 10 s, 1 GiB, 64 MiB. */
void extract_limits_default(struct extract_limits *l);

/* Markdown to HTML as extract_markdown(), but cmark runs in a forked child
 * under the md_* limits, so a complexity bomb costs a bounded time:
 * "markdown too complex (time limit)", "markdown output too large",
 * "markdown conversion failed (...)".  lim may be NULL (defaults). */
int extract_markdown_limited(const char *md, size_t len,
                             const struct extract_limits *lim, char **html,
                             size_t *hlen, char *err, size_t errlen);

/* PDF bytes (borrowed) to UTF-8 text (*text new, valid UTF-8) by running
 * pdftotext -enc UTF-8 -q -nopgbrk on an unlinked temporary copy, in its
 * own process group with CPU, address-space, file-size and descriptor
 * limits, a wall-clock timeout and an output cap.  The child and anything
 * it started are killed and reaped on every path.  Errors: "not a PDF",
 * "pdftotext not installed", "pdftotext timed out", "pdftotext failed (exit
 * N)", "pdftotext killed by signal N (limit reached)", "PDF text too
 * large", and system errors.  lim may be NULL (defaults). */
int extract_pdf(const unsigned char *data, size_t len,
                const struct extract_limits *lim, char **text, size_t *tlen,
                char *err, size_t errlen);

#endif
