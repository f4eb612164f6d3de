/*
 * extract: format detection and conversion of one mirrored file to UTF-8
 * HTML or text.  Layer: ingest/; uses lib/ (alloc, strbuf, html), zlib,
 * cmark, glibc iconv and POSIX processes; must not depend on microhttpd.h,
 * the database or the sanitizer.  Every input is hostile: sizes are bounded
 * by the caller's limits, invalid bytes are replaced rather than trusted,
 * and the two parsers we cannot bound from outside (pdftotext, and cmark
 * 0.30.2 with its known super-linear cases) run in a child process with
 * rlimits and a wall-clock timeout, killed and reaped on every path.
 */
#include "extract.h"

#include <cmark.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "alloc.h"
#include "clock.h"
#include "html.h"
#include "strbuf.h"

/* cmark before 0.29 passed raw HTML and javascript: links through unless
 * told CMARK_OPT_SAFE; 0.29 made safe the default and added OPT_UNSAFE.
 * Refuse to build against a cmark where our options would be unsafe. */
#ifndef CMARK_OPT_UNSAFE
#error "cmark >= 0.29 is required (safe rendering by default)"
#endif
#define MD_OPTIONS (CMARK_OPT_DEFAULT | CMARK_OPT_VALIDATE_UTF8)

/* AddressSanitizer builds: GCC defines __SANITIZE_ADDRESS__, clang 14 only
 * answers __has_feature. */
#if defined(__SANITIZE_ADDRESS__)
#define EXTRACT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXTRACT_ASAN 1
#endif
#endif

#define UTF8_REPLACEMENT "\xef\xbf\xbd"
#define SNIFF_PDF 1024
#define SNIFF_BINARY 8192
#define SNIFF_CHARSET 4096
#define TITLE_MAX 300

/* Format an error message into err (may be NULL). */
static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || errlen == 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Returns a static string. */
const char *
extract_format_name(enum extract_format f)
{
    switch (f) {
    case EXTRACT_HTML:
        return "html";
    case EXTRACT_MARKDOWN:
        return "markdown";
    case EXTRACT_TEXT:
        return "text";
    case EXTRACT_PDF:
        return "pdf";
    default:
        return "unknown";
    }
}

/* Returns a static string. */
const char *
extract_format_mime(enum extract_format f)
{
    switch (f) {
    case EXTRACT_HTML:
        return "text/html";
    case EXTRACT_MARKDOWN:
        return "text/markdown";
    case EXTRACT_TEXT:
        return "text/plain";
    case EXTRACT_PDF:
        return "application/pdf";
    default:
        return "application/octet-stream";
    }
}

/* Borrows name; allocates nothing. */
size_t
extract_strip_gz(const char *name, int *had_gz)
{
    size_t n = name != NULL ? strlen(name) : 0;
    int gz = n >= 3 && strcasecmp(name + n - 3, ".gz") == 0;

    if (had_gz != NULL) {
        *had_gz = gz;
    }
    return gz ? n - 3 : n;
}

/* Borrows name. */
int
extract_is_gzip_name(const char *name)
{
    int gz;

    extract_strip_gz(name, &gz);
    return gz;
}

/* Case-insensitive prefix test on bytes that need not be NUL-terminated. */
static int
ci_prefix(const unsigned char *p, size_t n, const char *lit)
{
    size_t k = strlen(lit);

    return n >= k && strncasecmp((const char *)p, lit, k) == 0;
}

/* Format named by the extension of name (borrowed), ".gz" ignored. */
static enum extract_format
format_from_name(const char *name)
{
    static const struct {
        const char *ext;
        enum extract_format f;
    } map[] = {
        {"html", EXTRACT_HTML},         {"htm", EXTRACT_HTML},
        {"xhtml", EXTRACT_HTML},        {"md", EXTRACT_MARKDOWN},
        {"markdown", EXTRACT_MARKDOWN}, {"txt", EXTRACT_TEXT},
        {"text", EXTRACT_TEXT},         {"pdf", EXTRACT_PDF},
    };
    size_t n, i, base = 0, dot = SIZE_MAX;

    if (name == NULL) {
        return EXTRACT_UNKNOWN;
    }
    n = extract_strip_gz(name, NULL);
    for (i = 0; i < n; i++) {
        if (name[i] == '/') {
            base = i + 1;
            dot = SIZE_MAX;
        } else if (name[i] == '.') {
            dot = i;
        }
    }
    if (dot == SIZE_MAX || dot < base) {
        return EXTRACT_UNKNOWN;
    }
    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        size_t elen = n - dot - 1;

        if (strlen(map[i].ext) == elen &&
            strncasecmp(name + dot + 1, map[i].ext, elen) == 0) {
            return map[i].f;
        }
    }
    return EXTRACT_UNKNOWN;
}

/* "%PDF-" within the first 1024 bytes, where Acrobat accepts it too. */
static int
has_pdf_magic(const unsigned char *d, size_t len)
{
    return memmem(d, len < SNIFF_PDF ? len : SNIFF_PDF, "%PDF-", 5) != NULL;
}

/* Control characters that do not occur in text: all of C0 but tab, line
 * feed, form feed and carriage return, plus DEL. */
static int
is_ctrl(unsigned u)
{
    return (u < 0x20 && u != '\t' && u != '\n' && u != '\f' && u != '\r') ||
           u == 0x7f;
}

/* Binary test on the first 8 KiB: a NUL or more than 30% control
 * characters.  After a UTF-16 BOM the test runs on 16-bit units, whose
 * high bytes are NUL for every ASCII character. */
static int
looks_binary(const unsigned char *d, size_t len)
{
    size_t n = len < SNIFF_BINARY ? len : SNIFF_BINARY, i, ctrl = 0, total = 0;

    if (n >= 2 &&
        ((d[0] == 0xff && d[1] == 0xfe) || (d[0] == 0xfe && d[1] == 0xff))) {
        int le = d[0] == 0xff;

        for (i = 2; i + 1 < n; i += 2) {
            unsigned u = le ? (unsigned)d[i] | (unsigned)d[i + 1] << 8
                            : (unsigned)d[i] << 8 | (unsigned)d[i + 1];

            if (u == 0) {
                return 1;
            }
            ctrl += is_ctrl(u);
            total++;
        }
        return ctrl * 10 > total * 3;
    }
    for (i = 0; i < n; i++) {
        if (d[i] == 0) {
            return 1;
        }
        ctrl += is_ctrl(d[i]);
    }
    return ctrl * 10 > n * 3;
}

/* Index of the first occurrence of lit in d[from, n), or n. */
static size_t
find_lit(const unsigned char *d, size_t n, size_t from, const char *lit)
{
    const unsigned char *p;

    if (from >= n) {
        return n;
    }
    p = memmem(d + from, n - from, lit, strlen(lit));
    return p != NULL ? (size_t)(p - d) : n;
}

/* Whitespace in the HTML sense. */
static int
is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* HTML by content: after an optional BOM, XML declaration, comments and
 * whitespace, a doctype html or an <html> tag.  Looks at 1 KiB only. */
static int
sniff_html(const unsigned char *d, size_t len)
{
    size_t n = len < SNIFF_PDF ? len : SNIFF_PDF, i = 0;

    if (n >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf) {
        i = 3;
    }
    for (;;) {
        while (i < n && is_space(d[i])) {
            i++;
        }
        if (ci_prefix(d + i, n - i, "<?xml")) {
            i = find_lit(d, n, i, "?>") + 2;
        } else if (ci_prefix(d + i, n - i, "<!--")) {
            i = find_lit(d, n, i + 4, "-->") + 3;
        } else {
            break;
        }
        if (i >= n) {
            return 0;
        }
    }
    if (ci_prefix(d + i, n - i, "<!doctype")) {
        i += 9;
        while (i < n && is_space(d[i])) {
            i++;
        }
        return ci_prefix(d + i, n - i, "html") && i + 4 < n &&
               (is_space(d[i + 4]) || d[i + 4] == '>');
    }
    return ci_prefix(d + i, n - i, "<html") && i + 5 < n &&
           (is_space(d[i + 5]) || d[i + 5] == '>');
}

/* Borrows name and data. */
enum extract_format
extract_detect(const char *name, const unsigned char *data, size_t len)
{
    enum extract_format f = format_from_name(name);

    if (data == NULL || len == 0) {
        return EXTRACT_UNKNOWN;
    }
    switch (f) {
    case EXTRACT_PDF:
        return has_pdf_magic(data, len) ? EXTRACT_PDF : EXTRACT_UNKNOWN;
    case EXTRACT_HTML:
    case EXTRACT_MARKDOWN:
    case EXTRACT_TEXT:
        /* A PDF renamed to .txt would come out as a page of garbage. */
        if (looks_binary(data, len) || ci_prefix(data, len, "%PDF-")) {
            return EXTRACT_UNKNOWN;
        }
        return f;
    default:
        if (has_pdf_magic(data, len)) {
            return EXTRACT_PDF;
        }
        if (!looks_binary(data, len) && sniff_html(data, len)) {
            return EXTRACT_HTML;
        }
        return EXTRACT_UNKNOWN;
    }
}

/* zlib allocates through kw_calloc so the failing-allocator tests reach
 * inflate's own state too. */
static voidpf
gz_zalloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return kw_calloc(items, size);
}

/* Frees what gz_zalloc returned. */
static void
gz_zfree(voidpf opaque, voidpf p)
{
    (void)opaque;
    kw_free(p);
}

/* Borrows in; *out is new (kw_free). */
int
extract_gunzip(const unsigned char *in, size_t len, size_t max,
               unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
    const unsigned char *pos, *end;
    unsigned char *buf = NULL, *nb;
    size_t cap, used = 0, limit;
    z_stream z;
    int rc, ret = -1, init = 0;

    *out = NULL;
    *outlen = 0;
    if (in == NULL) {
        in = (const unsigned char *)""; /* no arithmetic on NULL */
        len = 0;
    }
    pos = in;
    end = in + len;
    memset(&z, 0, sizeof(z));
    z.zalloc = gz_zalloc;
    z.zfree = gz_zfree;
    /* windowBits 15 + 16: gzip wrapper only, checked CRC and length. */
    if (inflateInit2(&z, 15 + 16) != Z_OK) {
        set_err(err, errlen, "out of memory");
        goto out;
    }
    init = 1;
    /* Room for max + 1 bytes tells "exactly max" from "more than max". */
    limit = max > SIZE_MAX - 2 ? SIZE_MAX - 2 : max + 1;
    cap = len < limit / 4 ? len * 4 : limit;
    if (cap < 4096) {
        cap = limit < 4096 ? limit : 4096;
    }
    buf = kw_malloc(cap + 1);
    if (buf == NULL) {
        set_err(err, errlen, "out of memory");
        goto out;
    }
    for (;;) {
        size_t room;

        if (used == cap) {
            size_t ncap = cap > limit / 2 ? limit : cap * 2;

            if (cap >= limit) {
                set_err(err, errlen, "too large after decompression");
                goto out;
            }
            nb = kw_realloc(buf, ncap + 1);
            if (nb == NULL) {
                set_err(err, errlen, "out of memory");
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        z.next_in = (Bytef *)(uintptr_t)pos;
        z.avail_in = (uInt)((size_t)(end - pos) < UINT_MAX ? (size_t)(end - pos)
                                                           : UINT_MAX);
        room = cap - used < UINT_MAX ? cap - used : UINT_MAX;
        z.next_out = buf + used;
        z.avail_out = (uInt)room;
        rc = inflate(&z, Z_NO_FLUSH);
        used += room - z.avail_out;
        pos = z.next_in;
        if (used > max) {
            set_err(err, errlen, "too large after decompression");
            goto out;
        }
        if (rc == Z_STREAM_END) {
            if (pos == end) {
                break;
            }
            /* gzip(1) writes several members for appended files. */
            if (end - pos >= 2 && pos[0] == 0x1f && pos[1] == 0x8b) {
                inflateReset(&z);
                continue;
            }
            set_err(err, errlen, "corrupt gzip (trailing data)");
            goto out;
        }
        if (rc == Z_MEM_ERROR) {
            set_err(err, errlen, "out of memory");
            goto out;
        }
        if (rc == Z_OK || rc == Z_BUF_ERROR) {
            if (pos == end && z.avail_out > 0) {
                set_err(err, errlen, "corrupt gzip (truncated)");
                goto out;
            }
            continue;
        }
        set_err(err, errlen, "corrupt gzip (%s)",
                z.msg != NULL ? z.msg : "bad data");
        goto out;
    }
    buf[used] = '\0';
    *out = buf;
    *outlen = used;
    buf = NULL;
    ret = 0;
out:
    if (init) {
        inflateEnd(&z);
    }
    kw_free(buf);
    return ret;
}

/* Code point of the valid k-byte UTF-8 sequence at s. */
static uint32_t
utf8_cp(const unsigned char *s, size_t k)
{
    static const unsigned char lead_mask[] = {0, 0x7f, 0x1f, 0x0f, 0x07};
    uint32_t cp = s[0] & lead_mask[k];
    size_t i;

    for (i = 1; i < k; i++) {
        cp = cp << 6 | (s[i] & 0x3f);
    }
    return cp;
}

/* Appends p to sb as valid UTF-8: NUL dropped, each invalid byte replaced
 * by U+FFFD.  The caller checks strbuf_ok(). */
static void
utf8_clean(struct strbuf *sb, const unsigned char *p, size_t n)
{
    size_t i = 0, run = 0, k;

    while (i < n) {
        if (p[i] == 0 || (k = utf8_seq_len(p + i, n - i)) == 0) {
            strbuf_append(sb, (const char *)p + run, i - run);
            if (p[i] != 0) {
                strbuf_puts(sb, UTF8_REPLACEMENT);
            }
            run = ++i;
            continue;
        }
        i += k;
    }
    strbuf_append(sb, (const char *)p + run, i - run);
}

/* Counts of a UTF-8 validity scan (NUL counts as valid: it is dropped). */
struct u8scan {
    size_t bad;   /* bytes that start no valid sequence */
    size_t multi; /* valid sequences of 2-4 bytes */
};

/* Scans p (borrowed) into st. */
static void
utf8_scan(const unsigned char *p, size_t n, struct u8scan *st)
{
    size_t i = 0, k;

    st->bad = st->multi = 0;
    while (i < n) {
        k = utf8_seq_len(p + i, n - i);
        if (k == 0) {
            st->bad++;
            i++;
        } else {
            st->multi += k > 1;
            i += k;
        }
    }
}

/* Converts with cd, appending UTF-8 to sb.  Lossy mode replaces each
 * invalid unit (unit bytes) and an incomplete tail with U+FFFD, so it
 * fails only when sb runs out of memory; strict mode returns -1 at the
 * first bad sequence too. */
static int
conv_iconv(iconv_t cd, const unsigned char *in, size_t len, size_t unit,
           int strict, struct strbuf *sb)
{
    char *ip = (char *)(uintptr_t)in, obuf[4096], *op;
    size_t il = len, ol, r;
    int e;

    while (il > 0 && strbuf_ok(sb)) {
        op = obuf;
        ol = sizeof(obuf);
        r = iconv(cd, &ip, &il, &op, &ol);
        e = errno;
        strbuf_append(sb, obuf, (size_t)(op - obuf));
        if (r != (size_t)-1) {
            break;
        }
        if (e == E2BIG) {
            continue;
        }
        if (strict) {
            return -1;
        }
        strbuf_puts(sb, UTF8_REPLACEMENT);
        if (e != EILSEQ) {
            break; /* EINVAL: incomplete sequence at the very end */
        }
        r = il < unit ? il : unit;
        ip += r;
        il -= r;
        iconv(cd, NULL, NULL, NULL, NULL);
    }
    return strbuf_ok(sb) ? 0 : -1;
}

/* Converts in from charset (an iconv name) into sb as clean UTF-8.  When
 * iconv cannot open the charset the bytes are cleaned as UTF-8, so the
 * caller always gets valid output.  Returns 0, or -1 out of memory. */
static int
conv_lossy(const char *charset, const unsigned char *in, size_t len,
           size_t unit, struct strbuf *sb)
{
    struct strbuf tmp = STRBUF_INIT;
    iconv_t cd = iconv_open("UTF-8", charset);
    int rc;

    if (cd == (iconv_t)-1) {
        utf8_clean(sb, in, len);
        return strbuf_ok(sb) ? 0 : -1;
    }
    rc = conv_iconv(cd, in, len, unit, 0, &tmp);
    iconv_close(cd);
    if (rc == 0) {
        /* glibc never emits invalid UTF-8, but NULs from the input pass
         * through and the output contract is checked here, not trusted. */
        utf8_clean(sb, (const unsigned char *)strbuf_peek(&tmp), tmp.len);
    } else {
        sb->oom = 1; /* the caller checks sb alone */
    }
    strbuf_free(&tmp);
    return strbuf_ok(sb) ? 0 : -1;
}

/* Undeclared legacy bytes: CP949 when it converts without any error and
 * at least half the non-ASCII characters are Hangul, since all-caps Latin-1
 * text can decode as CP949 too.  Returns 1 (sb filled), 0 (not CP949,
 * sb untouched), -1 out of memory. */
static int
try_cp949(const unsigned char *in, size_t len, struct strbuf *sb)
{
    struct strbuf tmp = STRBUF_INIT;
    iconv_t cd = iconv_open("UTF-8", "CP949");
    const unsigned char *p;
    size_t i = 0, k, hangul = 0, other = 0;
    int rc;

    if (cd == (iconv_t)-1) {
        return 0;
    }
    rc = conv_iconv(cd, in, len, 1, 1, &tmp);
    iconv_close(cd);
    if (!strbuf_ok(&tmp)) {
        strbuf_free(&tmp);
        return -1;
    }
    p = (const unsigned char *)strbuf_peek(&tmp);
    while (rc == 0 && i < tmp.len) {
        k = utf8_seq_len(p + i, tmp.len - i);
        if (k == 0) {
            rc = -1;
            break;
        }
        if (k > 1) {
            uint32_t cp = utf8_cp(p + i, k);

            if ((cp >= 0xac00 && cp <= 0xd7a3) ||
                (cp >= 0x1100 && cp <= 0x11ff) ||
                (cp >= 0x3130 && cp <= 0x318f)) {
                hangul++;
            } else {
                other++;
            }
        }
        i += k;
    }
    if (rc == 0 && hangul > 0 && hangul >= other) {
        utf8_clean(sb, p, tmp.len);
        rc = strbuf_ok(sb) ? 1 : -1;
    } else {
        rc = 0;
    }
    strbuf_free(&tmp);
    return rc;
}

/* Label characters accepted from a declaration; '/' is excluded so that
 * no "//IGNORE"-style iconv suffix can come from the document. */
static int
is_label_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
           c == ':';
}

/* Finds key=value (optionally spaced and quoted) in p[0, n) and copies the
 * value into label[size].  Returns 1 when found. */
static int
find_label(const unsigned char *p, size_t n, const char *key, char *label,
           size_t size)
{
    size_t i = 0, j, k, klen = strlen(key);

    while (i + klen <= n) {
        if (!ci_prefix(p + i, n - i, key)) {
            i++;
            continue;
        }
        j = i + klen;
        i++;
        while (j < n && is_space(p[j])) {
            j++;
        }
        if (j >= n || p[j] != '=') {
            continue;
        }
        j++;
        while (j < n && is_space(p[j])) {
            j++;
        }
        if (j < n && (p[j] == '"' || p[j] == '\'')) {
            j++;
        }
        for (k = 0; j + k < n && k + 1 < size && is_label_char(p[j + k]); k++) {
            label[k] = (char)p[j + k];
        }
        label[k] = '\0';
        if (k > 0 && (j + k >= n || !is_label_char(p[j + k]))) {
            return 1;
        }
    }
    return 0;
}

/* The charset declared by HTML in its first 4 KiB: an XML declaration's
 * encoding, or a <meta charset> / <meta http-equiv content> outside
 * comments.  Copies it into label[size]; returns 1 when found. */
static int
html_declared_charset(const unsigned char *d, size_t len, char *label,
                      size_t size)
{
    size_t n = len < SNIFF_CHARSET ? len : SNIFF_CHARSET, i = 0, end;

    if (ci_prefix(d, n, "<?xml")) {
        end = find_lit(d, n, 0, "?>");
        if (find_label(d, end, "encoding", label, size)) {
            return 1;
        }
    }
    while (i < n) {
        if (d[i] != '<') {
            i++;
        } else if (ci_prefix(d + i, n - i, "<!--")) {
            i = find_lit(d, n, i + 4, "-->") + 3;
        } else if (ci_prefix(d + i, n - i, "<meta") && i + 5 < n &&
                   (is_space(d[i + 5]) || d[i + 5] == '/')) {
            end = find_lit(d, n, i + 5, ">");
            if (find_label(d + i + 5, end - (i + 5), "charset", label, size)) {
                return 1;
            }
            i = end;
        } else {
            i++;
        }
    }
    return 0;
}

#define CS_UTF8 "UTF-8"
#define CS_REFUSED ""

/* The iconv name for a declared label (static), CS_UTF8, CS_REFUSED, or
 * NULL when the label is not in the table.  Aliases follow the WHATWG
 * Encoding Standard, which is what browsers did with these documents. */
static const char *
charset_alias(const char *label)
{
    static const struct {
        const char *label;
        const char *name;
    } tab[] = {
        {"utf-8", CS_UTF8},
        {"utf8", CS_UTF8},
        {"unicode-1-1-utf-8", CS_UTF8},
        /* A meta tag readable as ASCII cannot be in UTF-16. */
        {"utf-16", CS_UTF8},
        {"utf-16le", CS_UTF8},
        {"utf-16be", CS_UTF8},
        {"unicode", CS_UTF8},
        {"ucs-2", CS_UTF8},
        {"iso-10646-ucs-2", CS_UTF8},
        /* EUC-KR documents are CP949 in practice (UHC syllables). */
        {"euc-kr", "CP949"},
        {"cp949", "CP949"},
        {"uhc", "CP949"},
        {"windows-949", "CP949"},
        {"x-windows-949", "CP949"},
        {"ks_c_5601-1987", "CP949"},
        {"ks_c_5601-1989", "CP949"},
        {"ksc5601", "CP949"},
        {"ksc_5601", "CP949"},
        {"korean", "CP949"},
        {"csksc56011987", "CP949"},
        {"cseuckr", "CP949"},
        {"iso-ir-149", "CP949"},
        /* Latin-1 and ASCII labels mean windows-1252 on the web. */
        {"iso-8859-1", "CP1252"},
        {"iso8859-1", "CP1252"},
        {"iso_8859-1", "CP1252"},
        {"latin1", "CP1252"},
        {"l1", "CP1252"},
        {"us-ascii", "CP1252"},
        {"ascii", "CP1252"},
        {"ansi_x3.4-1968", "CP1252"},
        {"windows-1252", "CP1252"},
        {"cp1252", "CP1252"},
        {"x-cp1252", "CP1252"},
        {"cp819", "CP1252"},
        {"ibm819", "CP1252"},
        {"iso-ir-100", "CP1252"},
        {"csisolatin1", "CP1252"},
        /* Never decoded by browsers (UTF-7) or mapped to the WHATWG
         * "replacement" decoder: fall back as if undeclared. */
        {"utf-7", CS_REFUSED},
        {"utf7", CS_REFUSED},
        {"unicode-1-1-utf-7", CS_REFUSED},
        {"csunicode11utf7", CS_REFUSED},
        {"utf-7-imap", CS_REFUSED},
        {"iso-2022-kr", CS_REFUSED},
        {"csiso2022kr", CS_REFUSED},
        {"iso-2022-cn", CS_REFUSED},
        {"iso-2022-cn-ext", CS_REFUSED},
        {"hz-gb-2312", CS_REFUSED},
        {"replacement", CS_REFUSED},
    };
    size_t i;

    for (i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (strcasecmp(label, tab[i].label) == 0) {
            return tab[i].name;
        }
    }
    return NULL;
}

/* 1 when iconv knows label and decodes ASCII markup to itself: a charset
 * that is not ASCII-compatible (EBCDIC, UTF-32, UTF-7's '+') cannot be the
 * real encoding of a document whose declaration we just read as ASCII. */
static int
charset_usable(const char *label)
{
    static const char probe[] = "<meta a=\"b+c\" d='e'/>";
    char obuf[64], *ip = (char *)(uintptr_t)probe, *op = obuf;
    size_t il = sizeof(probe) - 1, ol = sizeof(obuf);
    iconv_t cd = iconv_open("UTF-8", label);
    int ok;

    if (cd == (iconv_t)-1) {
        return 0;
    }
    ok = iconv(cd, &ip, &il, &op, &ol) != (size_t)-1 &&
         (size_t)(op - obuf) == sizeof(probe) - 1 &&
         memcmp(obuf, probe, sizeof(probe) - 1) == 0;
    iconv_close(cd);
    return ok;
}

/* Borrows in; *out is new (kw_free), valid UTF-8, NUL-terminated. */
int
extract_to_utf8(const unsigned char *in, size_t len, int is_html, char **out,
                size_t *outlen, char *err, size_t errlen)
{
    return extract_to_utf8_label(in, len, is_html, NULL, out, outlen, err,
                                 errlen);
}

/* The outside label takes the place of the document's declaration. */
int
extract_to_utf8_label(const unsigned char *in, size_t len, int is_html,
                      const char *outside, char **out, size_t *outlen,
                      char *err, size_t errlen)
{
    struct strbuf sb = STRBUF_INIT;
    struct u8scan st;
    char label[48];
    const char *cs = NULL;
    int rc, declared = 0;

    *out = NULL;
    *outlen = 0;
    if (in == NULL) {
        in = (const unsigned char *)"";
        len = 0;
    }
    if (len >= 3 && in[0] == 0xef && in[1] == 0xbb && in[2] == 0xbf) {
        utf8_clean(&sb, in + 3, len - 3);
        goto done;
    }
    if (len >= 2 && ((in[0] == 0xff && in[1] == 0xfe) ||
                     (in[0] == 0xfe && in[1] == 0xff))) {
        conv_lossy(in[0] == 0xff ? "UTF-16LE" : "UTF-16BE", in + 2, len - 2, 2,
                   &sb);
        goto done;
    }
    if (outside != NULL && outside[0] != '\0' &&
        strlen(outside) < sizeof(label)) {
        size_t i;

        for (i = 0; outside[i] != '\0'; i++) {
            label[i] = (char)tolower((unsigned char)outside[i]);
        }
        label[i] = '\0';
        declared = 1;
    } else if (is_html &&
               html_declared_charset(in, len, label, sizeof(label))) {
        declared = 1;
    }
    if (declared) {
        cs = charset_alias(label);
        if (cs == NULL) {
            cs = charset_usable(label) ? label : NULL;
        } else if (cs[0] == '\0') {
            cs = NULL;
        }
    }
    utf8_scan(in, len, &st);
    if (st.bad == 0 && (cs == NULL || st.multi >= 4)) {
        utf8_clean(&sb, in, len); /* valid: only NULs go */
    } else if (cs != NULL && strcmp(cs, CS_UTF8) == 0) {
        utf8_clean(&sb, in, len);
    } else if (cs != NULL) {
        conv_lossy(cs, in, len, 1, &sb);
    } else if (st.multi >= 4 && st.multi >= 4 * st.bad) {
        /* Mostly UTF-8: a cut-off or slightly damaged UTF-8 file would
         * otherwise turn into mojibake from end to end. */
        utf8_clean(&sb, in, len);
    } else {
        rc = try_cp949(in, len, &sb);
        if (rc < 0) {
            sb.oom = 1;
        } else if (rc == 0) {
            conv_lossy("CP1252", in, len, 1, &sb);
        }
    }
done:
    /* NULL when out of memory, here or in any append above (sticky). */
    *out = strbuf_detach(&sb, outlen);
    if (*out == NULL) {
        strbuf_free(&sb);
        set_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

/* Borrows md; *html is new (kw_malloc).  cmark allocates with its own
 * allocator (it aborts on failure, which is why hostile input goes through
 * the child-process variant); the result is copied into our heap so that
 * callers free everything with kw_free. */
int
extract_markdown(const char *md, size_t len, char **html, size_t *hlen)
{
    char *r, *copy;
    size_t n;

    *html = NULL;
    *hlen = 0;
    r = cmark_markdown_to_html(md != NULL ? md : "", md != NULL ? len : 0,
                               MD_OPTIONS);
    if (r == NULL) {
        return -1;
    }
    n = strlen(r);
    copy = kw_malloc(n + 1);
    if (copy != NULL) {
        memcpy(copy, r, n + 1);
    }
    cmark_get_default_mem_allocator()->free(r);
    if (copy == NULL) {
        return -1;
    }
    *html = copy;
    *hlen = n;
    return 0;
}

/* Appends s[0, n) escaped, dropping control characters except tab. */
static void
text_escape(struct strbuf *sb, const char *s, size_t n)
{
    size_t i, run = 0;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            html_escape(sb, s + run, i - run);
            run = i + 1;
        }
    }
    html_escape(sb, s + run, n - run);
}

/* A line is blank when it holds nothing but spaces and control bytes. */
static int
line_blank(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c > 0x20 && c != 0x7f) {
            return 0;
        }
    }
    return 1;
}

/* The title guess from one line (borrowed): trimmed, runs of spaces and
 * tabs collapsed, control and bidi-override characters removed (an RLO in
 * a title reverses the listing around it), invalid bytes as U+FFFD, capped
 * at TITLE_MAX bytes on a character boundary.  *title is new, or NULL when
 * nothing is left.  Returns 0, or -1 out of memory. */
static int
title_from_line(const char *s, size_t n, char **title)
{
    const unsigned char *p = (const unsigned char *)s;
    struct strbuf sb = STRBUF_INIT;
    size_t i = 0, k;
    int space = 0;

    *title = NULL;
    while (i < n) {
        const char *add = s + i;
        uint32_t cp;

        k = utf8_seq_len(p + i, n - i);
        if (k == 0) {
            add = UTF8_REPLACEMENT;
            cp = 0xfffd;
            i++;
            k = 3;
        } else {
            cp = utf8_cp(p + i, k);
            i += k;
        }
        if (cp == ' ' || cp == '\t') {
            space = sb.len > 0;
            continue;
        }
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
            (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) {
            continue;
        }
        if (sb.len + space + k > TITLE_MAX) {
            break;
        }
        if (space) {
            strbuf_putc(&sb, ' ');
            space = 0;
        }
        strbuf_append(&sb, add, k);
    }
    if (!strbuf_ok(&sb)) {
        strbuf_free(&sb);
        return -1;
    }
    if (sb.len > 0) {
        *title = strbuf_detach(&sb, NULL);
    }
    return 0;
}

enum text_block { TB_NONE, TB_PARA, TB_PRE };

/* Borrows txt; *html and *title are new (kw_free). */
int
extract_text(const char *txt, size_t len, char **html, size_t *hlen,
             char **title)
{
    struct strbuf sb = STRBUF_INIT;
    enum text_block state = TB_NONE;
    size_t i = 0, blanks = 0;
    char *t = NULL;
    int ret = -1;

    *html = NULL;
    *hlen = 0;
    *title = NULL;
    if (txt == NULL) {
        len = 0;
    }
    while (i < len) {
        size_t start = i, n, lead = 0;
        const char *s = txt + i;

        while (i < len && txt[i] != '\n' && txt[i] != '\r') {
            i++;
        }
        n = i - start;
        /* Line ends: LF, CRLF, and a lone CR (old Mac files). */
        if (i < len) {
            i += txt[i] == '\r' && i + 1 < len && txt[i + 1] == '\n' ? 2 : 1;
        }
        if (line_blank(s, n)) {
            if (state == TB_PARA) {
                strbuf_puts(&sb, "</p>\n");
                state = TB_NONE;
            }
            blanks += state == TB_PRE;
            continue;
        }
        if (t == NULL && title_from_line(s, n, &t) < 0) {
            goto out;
        }
        if (s[0] == '\t' || (n >= 4 && memcmp(s, "    ", 4) == 0)) {
            if (state == TB_PRE) {
                /* Blank lines inside a block stay; the first line follows
                 * <pre> directly since parsers drop a newline there. */
                for (blanks++; blanks > 0; blanks--) {
                    strbuf_putc(&sb, '\n');
                }
            } else {
                if (state == TB_PARA) {
                    strbuf_puts(&sb, "</p>\n");
                }
                strbuf_puts(&sb, "<pre>");
                state = TB_PRE;
            }
            blanks = 0;
            while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
                n--;
            }
            text_escape(&sb, s, n);
            continue;
        }
        if (state == TB_PRE) {
            strbuf_puts(&sb, "</pre>\n");
            state = TB_NONE;
        }
        blanks = 0;
        strbuf_puts(&sb, state == TB_PARA ? "<br>\n" : "<p>");
        state = TB_PARA;
        while (lead < n && (s[lead] == ' ' || s[lead] == '\t')) {
            lead++;
        }
        while (n > lead && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
            n--;
        }
        text_escape(&sb, s + lead, n - lead);
    }
    if (state == TB_PARA) {
        strbuf_puts(&sb, "</p>\n");
    } else if (state == TB_PRE) {
        strbuf_puts(&sb, "</pre>\n");
    }
    *html = strbuf_detach(&sb, hlen);
    if (*html == NULL) {
        goto out;
    }
    *title = t;
    t = NULL;
    ret = 0;
out:
    strbuf_free(&sb);
    kw_free(t);
    return ret;
}

/* Fills l (caller's storage). */
void
extract_limits_default(struct extract_limits *l)
{
    l->pdf_timeout_ms = 20000;
    l->pdf_cpu_seconds = 15;
    l->pdf_mem_bytes = 512L * 1024 * 1024;
    l->max_text = (size_t)32 * 1024 * 1024;
    l->pdftotext = "/usr/bin/pdftotext";
    l->md_timeout_ms = 10000;
    l->md_cpu_seconds = 10;
    l->md_mem_bytes = 1024L * 1024 * 1024;
    l->max_html = (size_t)64 * 1024 * 1024;
}

/* One child process to run: exec mode (path set) or cmark mode. */
struct child_job {
    const char *path;  /* program to exec (borrowed), or NULL */
    char *const *argv; /* its arguments (borrowed) */
    int file_fd;       /* becomes fd 3 in the child, or -1 */
    const char *md;    /* cmark mode: Markdown input (borrowed) */
    size_t mdlen;
    long timeout_ms, cpu_seconds, mem_bytes;
    size_t max_out; /* cap on what is read from the child's stdout */
};

enum child_how {
    CHILD_EXITED,   /* code = exit status */
    CHILD_SIGNALED, /* code = signal */
    CHILD_TIMEOUT,  /* killed by us at the wall-clock limit */
    CHILD_OVERFLOW, /* killed by us at the output cap */
    CHILD_NOMEM     /* killed by us: no memory for its output */
};

/* Writes all of p to fd.  Returns 0, or -1 with errno. */
static int
write_all(int fd, const void *p, size_t n)
{
    const char *c = p;

    while (n > 0) {
        ssize_t w = write(fd, c, n);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Child side: sets resource to at most soft/hard, never above the limit
 * it inherited (an unprivileged raise would fail and leave nothing set). */
static void
child_limit(int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit rl;

    if (getrlimit(resource, &rl) == 0 && rl.rlim_max != RLIM_INFINITY) {
        hard = hard < rl.rlim_max ? hard : rl.rlim_max;
    }
    rl.rlim_cur = soft < hard ? soft : hard;
    rl.rlim_max = hard;
    setrlimit(resource, &rl);
}

/* Child side, between fork and exec: only async-signal-safe calls, since
 * the parent may have other threads holding locks.  Never returns. */
static void __attribute__((noreturn))
child_main(const struct child_job *j, pid_t parent, int nul, int out, int maxfd)
{
    static char env_path[] = "PATH=/usr/bin:/bin", env_lc[] = "LC_ALL=C";
    char *envp[] = {env_path, env_lc, NULL};
    int sigs[] = {SIGPIPE, SIGXCPU, SIGXFSZ, SIGINT, SIGTERM, SIGCHLD};
    struct sigaction sa;
    sigset_t none;
    int f = -1, fd;
    size_t i;

    /* Our own group, so one kill(-pid) reaches anything it starts. */
    setpgid(0, 0);
    /* Our own group also escapes a kill aimed at the ingest's group: die
     * with the parent instead (SIGKILLed ingest, killed pool worker). */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) {
        _exit(126);
    }
    /* Limits must act even if the parent blocks or ignores signals. */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_DFL;
    for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        sigaction(sigs[i], &sa, NULL);
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    /* Move our descriptors above the ones we are about to fill. */
    nul = fcntl(nul, F_DUPFD, 10);
    out = fcntl(out, F_DUPFD, 10);
    if (j->file_fd >= 0) {
        f = fcntl(j->file_fd, F_DUPFD, 10);
    }
    if (nul < 0 || out < 0 || (j->file_fd >= 0 && f < 0) || dup2(nul, 0) < 0 ||
        dup2(out, 1) < 0 || dup2(nul, 2) < 0 || (f >= 0 && dup2(f, 3) < 0)) {
        _exit(126);
    }
    fd = f >= 0 ? 4 : 3;
    if (close_range((unsigned)fd, ~0U, 0) < 0) {
        for (; fd < maxfd; fd++) {
            close(fd);
        }
    }

    /* SIGXCPU at the soft limit, SIGKILL one second later. */
    if (j->cpu_seconds > 0) {
        child_limit(RLIMIT_CPU, (rlim_t)j->cpu_seconds,
                    (rlim_t)j->cpu_seconds + 1);
    }
#ifdef EXTRACT_ASAN
    /* ASan's shadow memory is terabytes of address space: only an exec'd
     * program can live under RLIMIT_AS. */
    if (j->path != NULL && j->mem_bytes > 0)
#else
    if (j->mem_bytes > 0)
#endif
    {
        child_limit(RLIMIT_AS, (rlim_t)j->mem_bytes, (rlim_t)j->mem_bytes);
    }
    child_limit(RLIMIT_FSIZE, 16 << 20, 16 << 20); /* no disk filling */
    child_limit(RLIMIT_CORE, 0, 0);
    child_limit(RLIMIT_NOFILE, 32, 32);

    if (j->path != NULL) {
        execve(j->path, j->argv, envp);
        _exit(127);
    } else {
        /* cmark mode: a fork of this process, so no exec is needed (glibc
         * keeps malloc usable after fork even in a threaded parent); an
         * allocation failure aborts cmark, which only ends this child. */
        char *html = cmark_markdown_to_html(j->md, j->mdlen, MD_OPTIONS);

        if (html == NULL) {
            _exit(1);
        }
        _exit(write_all(1, html, strlen(html)) < 0 ? 2 : 0);
    }
}

/* Waits (no reaping) until pid has exited or the deadline passes.  Returns
 * 1 when it exited (or cannot be waited for), 0 at the deadline. */
static int
wait_exit_until(pid_t pid, long long deadline)
{
    struct timespec nap = {0, 5 * 1000 * 1000};

    for (;;) {
        siginfo_t si;

        memset(&si, 0, sizeof(si));
        if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
            if (errno == EINTR) {
                continue;
            }
            return 1;
        }
        if (si.si_pid == pid) {
            return 1;
        }
        if (clock_now_ms() >= deadline) {
            return 0;
        }
        nanosleep(&nap, NULL);
    }
}

/* Runs job, collecting its stdout into out (at most max_out bytes), and
 * reports how it ended in *how and *code.  The process group is killed
 * and the child reaped on every path after fork.  Returns 0 when the child
 * ran, -1 (errno set) when it could not be started. */
static int
run_child(const struct child_job *j, struct strbuf *out, enum child_how *how,
          int *code)
{
    int p[2] = {-1, -1}, nul, status = 0, saved, ended = 0, maxfd;
    long long deadline;
    struct rlimit rl;
    pid_t pid, self = getpid();

    *how = CHILD_EXITED;
    *code = -1;
    maxfd = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536
                ? (int)rl.rlim_cur
                : 65536;
    /* Everything CLOEXEC: a fork in another thread must not inherit the
     * write end, or we would never see end-of-file. */
    nul = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (nul < 0) {
        return -1;
    }
    if (pipe2(p, O_CLOEXEC) < 0) {
        saved = errno;
        close(nul);
        errno = saved;
        return -1;
    }
    deadline = clock_now_ms() + (j->timeout_ms > 0 ? j->timeout_ms : 1);
    pid = fork();
    if (pid < 0) {
        saved = errno;
        close(nul);
        close(p[0]);
        close(p[1]);
        errno = saved;
        return -1;
    }
    if (pid == 0) {
        child_main(j, self, nul, p[1], maxfd);
    }
    setpgid(pid, pid); /* also here: whichever side runs first wins */
    close(nul);
    close(p[1]);
    while (!ended) {
        char buf[65536];
        long long left = deadline - clock_now_ms();
        struct pollfd pf = {p[0], POLLIN, 0};
        ssize_t r;
        int pr;

        if (left <= 0) {
            *how = CHILD_TIMEOUT;
            break;
        }
        pr = poll(&pf, 1, left > INT_MAX ? INT_MAX : (int)left);
        if (pr <= 0) {
            continue; /* EINTR or a timeout: the deadline test decides */
        }
        r = read(p[0], buf, sizeof(buf));
        if (r < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (r <= 0) {
            ended = 1; /* end of file (or a read error: same outcome) */
        } else if ((size_t)r > j->max_out - out->len) {
            *how = CHILD_OVERFLOW;
            break;
        } else if (strbuf_append(out, buf, (size_t)r) < 0) {
            *how = CHILD_NOMEM;
            break;
        }
    }
    close(p[0]);
    /* Its stdout is closed, but it may linger: still under the deadline. */
    if (ended && !wait_exit_until(pid, deadline)) {
        *how = CHILD_TIMEOUT;
    }
    /* The leader is unreaped here (a zombie at worst), so the group id is
     * still ours: this sweeps up anything the child left running. */
    kill(-pid, SIGKILL);
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            status = -1; /* SIGCHLD ignored: reaped behind our back */
            break;
        }
    }
    if (*how == CHILD_EXITED && status != -1) {
        if (WIFSIGNALED(status)) {
            *how = CHILD_SIGNALED;
            *code = WTERMSIG(status);
        } else if (WIFEXITED(status)) {
            *code = WEXITSTATUS(status);
        }
    }
    return 0;
}

/* Borrows md; *html is new (kw_free), valid UTF-8. */
int
extract_markdown_limited(const char *md, size_t len,
                         const struct extract_limits *lim, char **html,
                         size_t *hlen, char *err, size_t errlen)
{
    struct extract_limits def;
    struct strbuf sb = STRBUF_INIT, clean = STRBUF_INIT;
    struct child_job j;
    enum child_how how;
    int code, ret = -1;

    *html = NULL;
    *hlen = 0;
    if (lim == NULL) {
        extract_limits_default(&def);
        lim = &def;
    }
    memset(&j, 0, sizeof(j));
    j.file_fd = -1;
    j.md = md != NULL ? md : "";
    j.mdlen = md != NULL ? len : 0;
    j.timeout_ms = lim->md_timeout_ms;
    j.cpu_seconds = lim->md_cpu_seconds;
    j.mem_bytes = lim->md_mem_bytes;
    j.max_out = lim->max_html;
    if (run_child(&j, &sb, &how, &code) < 0) {
        set_err(err, errlen, "cannot start markdown converter: %s",
                strerror(errno));
        goto out;
    }
    switch (how) {
    case CHILD_TIMEOUT:
        set_err(err, errlen, "markdown too complex (time limit)");
        goto out;
    case CHILD_OVERFLOW:
        set_err(err, errlen, "markdown output too large");
        goto out;
    case CHILD_NOMEM:
        set_err(err, errlen, "out of memory");
        goto out;
    case CHILD_SIGNALED:
        if (code == SIGXCPU || code == SIGKILL) {
            set_err(err, errlen, "markdown too complex (CPU limit)");
        } else {
            set_err(err, errlen,
                    "markdown conversion failed (signal %d, memory limit?)",
                    code);
        }
        goto out;
    case CHILD_EXITED:
        if (code != 0) {
            set_err(err, errlen, "markdown conversion failed (exit %d)", code);
            goto out;
        }
        break;
    }
    utf8_clean(&clean, (const unsigned char *)strbuf_peek(&sb), sb.len);
    *html = strbuf_detach(&clean, hlen);
    if (*html == NULL) {
        set_err(err, errlen, "out of memory");
        goto out;
    }
    ret = 0;
out:
    strbuf_free(&sb);
    strbuf_free(&clean);
    return ret;
}

/* Writes data to a new temporary file in $TMPDIR or /tmp and returns its
 * descriptor (close-on-exec).  When /proc is there the file is unlinked at
 * once and reached as /proc/self/fd/3 in the child, so a crash or SIGKILL
 * of the ingest leaves nothing behind; otherwise its name stays in path
 * for the caller to unlink.  Returns -1 with err filled. */
static int
pdf_tempfile(const unsigned char *data, size_t len, char *path, size_t size,
             char *err, size_t errlen)
{
    const char *dir = getenv("TMPDIR");
    int fd, n;

    if (dir == NULL || dir[0] != '/') {
        dir = "/tmp";
    }
    n = snprintf(path, size, "%s/kw-extract-XXXXXX", dir);
    if (n < 0 || (size_t)n >= size) {
        dir = "/tmp"; /* a TMPDIR too long for a path */
        snprintf(path, size, "%s/kw-extract-XXXXXX", dir);
    }
    fd = mkostemp(path, O_CLOEXEC);
    if (fd < 0) {
        set_err(err, errlen, "cannot create temporary file in %s: %s", dir,
                strerror(errno));
        path[0] = '\0';
        return -1;
    }
    if (access("/proc/self/fd", X_OK) == 0) {
        unlink(path);
        path[0] = '\0';
    }
    if (write_all(fd, data, len) < 0) {
        set_err(err, errlen, "cannot write temporary file: %s",
                strerror(errno));
        close(fd);
        if (path[0] != '\0') {
            unlink(path);
            path[0] = '\0';
        }
        return -1;
    }
    return fd;
}

/* Borrows data and lim; *text is new (kw_free), valid UTF-8. */
int
extract_pdf(const unsigned char *data, size_t len,
            const struct extract_limits *lim, char **text, size_t *tlen,
            char *err, size_t errlen)
{
    static char a_enc[] = "-enc", a_utf8[] = "UTF-8", a_q[] = "-q",
                a_nopgbrk[] = "-nopgbrk", a_stdout[] = "-",
                a_proc[] = "/proc/self/fd/3";
    struct extract_limits def;
    struct strbuf sb = STRBUF_INIT, clean = STRBUF_INIT;
    struct child_job j;
    enum child_how how;
    char path[PATH_MAX], *argv[8];
    int fd = -1, code, ret = -1;

    *text = NULL;
    *tlen = 0;
    path[0] = '\0';
    if (lim == NULL) {
        extract_limits_default(&def);
        lim = &def;
    }
    if (data == NULL || !has_pdf_magic(data, len)) {
        set_err(err, errlen, "not a PDF");
        goto out;
    }
    if (lim->pdftotext == NULL || access(lim->pdftotext, X_OK) < 0) {
        if (lim->pdftotext == NULL || errno == ENOENT || errno == ENOTDIR) {
            set_err(err, errlen, "pdftotext not installed (%s)",
                    lim->pdftotext != NULL ? lim->pdftotext : "no path");
        } else {
            set_err(err, errlen, "pdftotext not usable (%s: %s)",
                    lim->pdftotext, strerror(errno));
        }
        goto out;
    }
    fd = pdf_tempfile(data, len, path, sizeof(path), err, errlen);
    if (fd < 0) {
        goto out;
    }
    argv[0] = (char *)lim->pdftotext;
    argv[1] = a_enc;
    argv[2] = a_utf8;
    argv[3] = a_q;
    argv[4] = a_nopgbrk;
    argv[5] = path[0] != '\0' ? path : a_proc;
    argv[6] = a_stdout;
    argv[7] = NULL;
    memset(&j, 0, sizeof(j));
    j.path = lim->pdftotext;
    j.argv = argv;
    j.file_fd = fd;
    j.timeout_ms = lim->pdf_timeout_ms;
    j.cpu_seconds = lim->pdf_cpu_seconds;
    j.mem_bytes = lim->pdf_mem_bytes;
    j.max_out = lim->max_text;
    if (run_child(&j, &sb, &how, &code) < 0) {
        set_err(err, errlen, "cannot start pdftotext: %s", strerror(errno));
        goto out;
    }
    switch (how) {
    case CHILD_TIMEOUT:
        set_err(err, errlen, "pdftotext timed out after %ld ms",
                lim->pdf_timeout_ms);
        goto out;
    case CHILD_OVERFLOW:
        set_err(err, errlen, "PDF text too large (over %zu bytes)",
                lim->max_text);
        goto out;
    case CHILD_NOMEM:
        set_err(err, errlen, "out of memory");
        goto out;
    case CHILD_SIGNALED:
        set_err(err, errlen, "pdftotext killed by signal %d (%s)", code,
                code == SIGXCPU || code == SIGKILL || code == SIGXFSZ ||
                        code == SIGABRT
                    ? "limit reached"
                    : "crashed");
        goto out;
    case CHILD_EXITED:
        if (code != 0) {
            set_err(err, errlen, "pdftotext failed (exit %d%s)", code,
                    code == 127 ? ": could not run it" : "");
            goto out;
        }
        break;
    }
    utf8_clean(&clean, (const unsigned char *)strbuf_peek(&sb), sb.len);
    *text = strbuf_detach(&clean, tlen);
    if (*text == NULL) {
        set_err(err, errlen, "out of memory");
        goto out;
    }
    ret = 0;
out:
    if (fd >= 0) {
        close(fd);
    }
    if (path[0] != '\0') {
        unlink(path);
    }
    strbuf_free(&sb);
    strbuf_free(&clean);
    return ret;
}
