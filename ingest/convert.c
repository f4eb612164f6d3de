/*
 * convert: turn one mirrored file into a document: bytes in, sanitized
 * body, text, sections, links and metadata out.  Layer: ingest/; depends
 * on lib/ and ingest/extract; never touches the database (workers run it
 * in a child process under resource limits).
 */
#include "convert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "fsutil.h"
#include "gz.h"
#include "html.h"
#include "sanitize.h"
#include "strbuf.h"

/* Read at most max bytes of the regular file path, which is rel inside
 * its tree, without following a symlink anywhere in rel (a directory
 * swapped for a link after the walk must not lead out of the tree).  0,
 * or -1 with a reason. */
static int
read_bounded(const char *path, const char *rel, size_t max, unsigned char **out,
             size_t *len, char *why, size_t n)
{
    struct stat st;
    unsigned char *buf = NULL;
    size_t got = 0;
    int fd = fs_open_tree_file(path, rel);

    *out = NULL;
    if (fd < 0) {
        snprintf(why, n, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(why, n, "not a regular file");
        goto fail;
    }
    if ((size_t)st.st_size > max) {
        snprintf(why, n, "too large: %lld bytes, limit %zu",
                 (long long)st.st_size, max);
        goto fail;
    }
    buf = kw_malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        snprintf(why, n, "out of memory");
        goto fail;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            if (r < 0) {
                snprintf(why, n, "read error: %s", strerror(errno));
                goto fail;
            }
            break;
        }
        got += (size_t)r;
    }
    buf[got] = '\0';
    close(fd);
    *out = buf;
    *len = got;
    return 0;
fail:
    kw_free(buf);
    close(fd);
    return -1;
}

struct converted *
converted_fail(const char *reason)
{
    struct converted *c = kw_calloc(1, sizeof(*c));

    if (c != NULL && (c->reason = kw_strdup(reason)) == NULL) {
        kw_free(c);
        c = NULL;
    }
    return c;
}

void
converted_free(struct converted *c)
{
    size_t i;

    if (c == NULL) {
        return;
    }
    if (c->block == NULL) {
        kw_free(c->reason);
        kw_free(c->format);
        kw_free(c->content_type);
        kw_free(c->body_html);
        kw_free(c->text);
        kw_free(c->title);
        kw_free(c->authors);
        kw_free(c->date);
        kw_free(c->language);
        kw_free(c->description);
        kw_free(c->canonical);
        kw_free(c->language_guess);
        kw_free(c->raw);
        for (i = 0; i < c->nlinks; i++) {
            kw_free(c->links[i].url);
        }
        for (i = 0; i < c->nsections; i++) {
            kw_free(c->sections[i].anchor);
            kw_free(c->sections[i].heading);
            kw_free(c->sections[i].text);
        }
    }
    kw_free(c->block);
    kw_free(c->links);
    kw_free(c->sections);
    kw_free(c);
}

/* Move the sanitizer's output into c (sr keeps nothing that c took).
 * 0, or -1 when out of memory. */
static int
take_sanitized(struct converted *c, struct sanitize_result *sr)
{
    size_t i;

    c->body_html = sr->body_html;
    c->text = sr->text;
    c->title = sr->title;
    c->authors = sr->authors;
    c->date = sr->date;
    c->language = sr->language;
    c->description = sr->description;
    c->canonical = sr->canonical;
    sr->body_html = sr->text = sr->title = sr->authors = sr->date = NULL;
    sr->language = sr->description = sr->canonical = NULL;
    if (sr->nlinks > 0) {
        c->links = kw_calloc(sr->nlinks, sizeof(*c->links));
        if (c->links == NULL) {
            return -1;
        }
    }
    for (i = 0; i < sr->nlinks; i++) {
        if (sr->links[i].url == NULL) {
            continue; /* never made by the sanitizer; skipped as before */
        }
        c->links[c->nlinks].url = sr->links[i].url;
        c->links[c->nlinks].is_image = sr->links[i].is_image;
        sr->links[i].url = NULL;
        c->nlinks++;
    }
    if (sr->nsections > 0) {
        c->sections = kw_calloc(sr->nsections, sizeof(*c->sections));
        if (c->sections == NULL) {
            return -1;
        }
    }
    for (i = 0; i < sr->nsections; i++) {
        c->sections[i].anchor = sr->sections[i].anchor;
        c->sections[i].heading = sr->sections[i].heading;
        c->sections[i].text = sr->sections[i].text;
        sr->sections[i].anchor = sr->sections[i].heading = NULL;
        sr->sections[i].text = NULL;
        c->nsections++;
    }
    return 0;
}

/* A copy of s, or NULL for NULL; *oom set when the copy fails. */
static char *
dup_or_null(const char *s, int *oom)
{
    char *d;

    if (s == NULL) {
        return NULL;
    }
    if ((d = kw_strdup(s)) == NULL) {
        *oom = 1;
    }
    return d;
}

/* 1 when `word` appears as a whole word in the space-separated list. */
static int
type_allowed(const char *types, const char *word)
{
    size_t wl = strlen(word);
    const char *p = types;

    if (types == NULL) {
        return 1;
    }
    while ((p = strstr(p, word)) != NULL) {
        if ((p == types || p[-1] == ' ') && (p[wl] == '\0' || p[wl] == ' ')) {
            return 1;
        }
        p += wl;
    }
    return 0;
}

/* Guess "ko" when Hangul syllables make up a fifth of the letters, "en"
 * when ASCII letters dominate, else NULL. */
static const char *
guess_language(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t hangul = 0, latin = 0, other = 0, i = 0, n = strlen(text);

    while (i < n && hangul + latin + other < 20000) {
        size_t k = utf8_seq_len(p + i, n - i);

        if (k == 0) {
            i++;
            continue;
        }
        if (k == 1) {
            if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'z') {
                latin++;
            }
        } else if (k == 3) {
            unsigned long cp = ((p[i] & 0x0fUL) << 12) |
                               ((p[i + 1] & 0x3fUL) << 6) | (p[i + 2] & 0x3f);

            if (cp >= 0xac00 && cp <= 0xd7a3) {
                hangul++;
            } else {
                other++;
            }
        } else {
            other++;
        }
        i += k;
    }
    if (hangul * 5 >= hangul + latin + other && hangul > 0) {
        return "ko";
    }
    if (latin > 0 && latin * 2 > hangul + latin + other) {
        return "en";
    }
    return NULL;
}

/* Images are kept only when they live in the mirrored tree; everything
 * else keeps its absolute URL, bound to a page when rendered. */
static int
rewrite_cb(void *ctx, const char *attr, const char *url, struct strbuf *out)
{
    const struct convert_job *job = ctx;

    (void)out;
    if (strcmp(attr, "src") == 0) {
        if (job->tree_url == NULL ||
            strncmp(url, job->tree_url, strlen(job->tree_url)) != 0) {
            return SANITIZE_URL_DROP;
        }
    }
    return SANITIZE_URL_KEEP;
}

struct converted *
convert_file(const struct convert_job *job)
{
    unsigned char *raw = NULL, *plain = NULL;
    size_t rawlen = 0, plainlen = 0;
    char *utf8 = NULL, *html = NULL, *title_guess = NULL;
    size_t utf8len = 0, htmllen = 0;
    char why[256], hex[65];
    enum extract_format fmt;
    struct sanitize_opts so;
    struct sanitize_result sr;
    struct converted *r = NULL;
    int rc, oom = 0;

    memset(&sr, 0, sizeof(sr));
    if (read_bounded(job->path, job->rel, job->max_bytes, &raw, &rawlen, why,
                     sizeof(why)) < 0) {
        return converted_fail(why);
    }
    sha256_hex(raw, rawlen, hex);
    if (rawlen == 0) {
        r = converted_fail("empty file");
        goto out;
    }
    if (extract_is_gzip_name(job->rel)) {
        if (extract_gunzip(raw, rawlen, job->max_bytes, &plain, &plainlen, why,
                           sizeof(why)) < 0) {
            r = converted_fail(why);
            goto out;
        }
    } else {
        plain = raw;
        plainlen = rawlen;
        raw = NULL;
    }
    fmt = extract_detect(job->rel, plain, plainlen);
    if (fmt == EXTRACT_UNKNOWN) {
        r = converted_fail("unsupported or binary content");
        goto out;
    }
    if (!type_allowed(job->types, extract_format_name(fmt))) {
        snprintf(why, sizeof(why), "type %s not allowed by policy",
                 extract_format_name(fmt));
        r = converted_fail(why);
        goto out;
    }
    if (fmt == EXTRACT_PDF) {
        char *text = NULL;
        size_t tlen = 0;

        if (extract_pdf(plain, plainlen, &job->limits, &text, &tlen, why,
                        sizeof(why)) < 0) {
            r = converted_fail(why);
            goto out;
        }
        rc = extract_text(text, tlen, &html, &htmllen, &title_guess);
        kw_free(text);
    } else {
        if (extract_to_utf8_label(plain, plainlen, fmt == EXTRACT_HTML,
                                  job->charset, &utf8, &utf8len, why,
                                  sizeof(why)) < 0) {
            r = converted_fail(why);
            goto out;
        }
        if (fmt == EXTRACT_HTML) {
            html = utf8;
            htmllen = utf8len;
            utf8 = NULL;
            rc = 0;
        } else if (fmt == EXTRACT_MARKDOWN) {
            rc = extract_markdown(utf8, utf8len, &html, &htmllen);
        } else {
            rc = extract_text(utf8, utf8len, &html, &htmllen, &title_guess);
        }
    }
    if (rc < 0) {
        r = converted_fail("conversion failed (out of memory)");
        goto out;
    }
    memset(&so, 0, sizeof(so));
    so.base_url = job->doc_url;
    so.max_bytes = job->max_bytes;
    so.rewrite_url = rewrite_cb;
    so.ctx = (void *)job;
    rc = sanitize_html(html, htmllen, &so, &sr);
    if (rc != SANITIZE_OK) {
        r = converted_fail(sanitize_strerror(rc));
        goto out;
    }
    r = kw_calloc(1, sizeof(*r));
    if (r == NULL) {
        goto out;
    }
    r->ok = 1;
    r->format = dup_or_null(extract_format_name(fmt), &oom);
    r->content_type = dup_or_null(extract_format_mime(fmt), &oom);
    memcpy(r->orig_sha256, hex, sizeof(hex));
    r->orig_size = (int64_t)rawlen;
    sha256_hex(sr.body_html, sr.body_len, r->body_sha256);
    r->language_guess = dup_or_null(guess_language(sr.text), &oom);
    if (sr.title == NULL && title_guess != NULL) {
        sr.title = title_guess;
        title_guess = NULL;
    }
    if (take_sanitized(r, &sr) < 0 || oom) {
        converted_free(r);
        r = NULL;
        goto out;
    }
    /* A PDF is kept as an attachment, byte for byte: the bytes hashed
     * above travel with the result, so the writer stores what was read. */
    if (fmt == EXTRACT_PDF && raw == NULL) {
        r->raw = plain;
        r->raw_len = plainlen;
        plain = NULL;
    }
out:
    sanitize_result_free(&sr);
    kw_free(raw);
    kw_free(plain);
    kw_free(utf8);
    kw_free(html);
    kw_free(title_guess);
    return r;
}
