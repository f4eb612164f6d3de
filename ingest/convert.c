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

static json_t *
fail(const char *reason)
{
    json_t *r = json_object();

    json_object_set_new(r, "ok", json_false());
    json_object_set_new(r, "reason", json_string(reason));
    return r;
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

static void
set_str(json_t *o, const char *k, const char *v)
{
    json_object_set_new(o, k, v != NULL ? json_string(v) : json_null());
}

json_t *
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
    json_t *r = NULL, *links, *secs;
    size_t i;
    int rc;

    memset(&sr, 0, sizeof(sr));
    if (read_bounded(job->path, job->rel, job->max_bytes, &raw, &rawlen, why,
                     sizeof(why)) < 0) {
        return fail(why);
    }
    sha256_hex(raw, rawlen, hex);
    if (rawlen == 0) {
        r = fail("empty file");
        goto out;
    }
    if (extract_is_gzip_name(job->rel)) {
        if (extract_gunzip(raw, rawlen, job->max_bytes, &plain, &plainlen, why,
                           sizeof(why)) < 0) {
            r = fail(why);
            goto out;
        }
    } else {
        plain = raw;
        plainlen = rawlen;
        raw = NULL;
    }
    fmt = extract_detect(job->rel, plain, plainlen);
    if (fmt == EXTRACT_UNKNOWN) {
        r = fail("unsupported or binary content");
        goto out;
    }
    if (!type_allowed(job->types, extract_format_name(fmt))) {
        snprintf(why, sizeof(why), "type %s not allowed by policy",
                 extract_format_name(fmt));
        r = fail(why);
        goto out;
    }
    if (fmt == EXTRACT_PDF) {
        char *text = NULL;
        size_t tlen = 0;

        if (extract_pdf(plain, plainlen, &job->limits, &text, &tlen, why,
                        sizeof(why)) < 0) {
            r = fail(why);
            goto out;
        }
        rc = extract_text(text, tlen, &html, &htmllen, &title_guess);
        kw_free(text);
    } else {
        if (extract_to_utf8_label(plain, plainlen, fmt == EXTRACT_HTML,
                                  job->charset, &utf8, &utf8len, why,
                                  sizeof(why)) < 0) {
            r = fail(why);
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
        r = fail("conversion failed (out of memory)");
        goto out;
    }
    memset(&so, 0, sizeof(so));
    so.base_url = job->doc_url;
    so.max_bytes = job->max_bytes;
    so.rewrite_url = rewrite_cb;
    so.ctx = (void *)job;
    rc = sanitize_html(html, htmllen, &so, &sr);
    if (rc != SANITIZE_OK) {
        r = fail(sanitize_strerror(rc));
        goto out;
    }
    r = json_object();
    json_object_set_new(r, "ok", json_true());
    set_str(r, "format", extract_format_name(fmt));
    set_str(r, "content_type", extract_format_mime(fmt));
    set_str(r, "orig_sha256", hex);
    json_object_set_new(r, "orig_size", json_integer((json_int_t)rawlen));
    if (raw == NULL) {
        json_object_set_new(r, "orig_size", json_integer((json_int_t)plainlen));
    }
    set_str(r, "body_html", sr.body_html);
    sha256_hex(sr.body_html, sr.body_len, hex);
    set_str(r, "body_sha256", hex);
    set_str(r, "text", sr.text);
    set_str(r, "title", sr.title != NULL ? sr.title : title_guess);
    set_str(r, "authors", sr.authors);
    set_str(r, "date", sr.date);
    set_str(r, "language", sr.language);
    set_str(r, "language_guess", guess_language(sr.text));
    set_str(r, "description", sr.description);
    set_str(r, "canonical", sr.canonical);
    links = json_array();
    for (i = 0; i < sr.nlinks; i++) {
        json_array_append_new(
            links, json_pack("[si]", sr.links[i].url, sr.links[i].is_image));
    }
    json_object_set_new(r, "links", links);
    secs = json_array();
    for (i = 0; i < sr.nsections; i++) {
        json_t *s = json_array();

        json_array_append_new(s, sr.sections[i].anchor
                                     ? json_string(sr.sections[i].anchor)
                                     : json_null());
        json_array_append_new(s, sr.sections[i].heading
                                     ? json_string(sr.sections[i].heading)
                                     : json_null());
        json_array_append_new(
            s, json_string(sr.sections[i].text ? sr.sections[i].text : ""));
        json_array_append_new(secs, s);
    }
    json_object_set_new(r, "sections", secs);
out:
    sanitize_result_free(&sr);
    kw_free(raw);
    kw_free(plain);
    kw_free(utf8);
    kw_free(html);
    kw_free(title_guess);
    return r;
}

json_t *
convert_job_to_json(const struct convert_job *job)
{
    return json_pack(
        "{ss ss ss? ss? ss* sI ss? sI sI sI sI ss}", "path", job->path, "rel",
        job->rel, "doc_url", job->doc_url, "tree_url", job->tree_url, "charset",
        job->charset, "max_bytes", (json_int_t)job->max_bytes, "types",
        job->types, "pdf_timeout_ms", (json_int_t)job->limits.pdf_timeout_ms,
        "pdf_cpu_seconds", (json_int_t)job->limits.pdf_cpu_seconds,
        "pdf_mem_bytes", (json_int_t)job->limits.pdf_mem_bytes, "max_text",
        (json_int_t)job->limits.max_text, "pdftotext",
        job->limits.pdftotext ? job->limits.pdftotext : "");
}

int
convert_job_from_json(json_t *j, struct convert_job *job)
{
    json_int_t max_bytes, pto, pcpu, pmem, mtext;
    const char *pdftotext;

    memset(job, 0, sizeof(*job));
    extract_limits_default(&job->limits);
    if (json_unpack(j, "{ss ss s?s s?s s?s sI s?s sI sI sI sI ss}", "path",
                    &job->path, "rel", &job->rel, "doc_url", &job->doc_url,
                    "tree_url", &job->tree_url, "charset", &job->charset,
                    "max_bytes", &max_bytes, "types", &job->types,
                    "pdf_timeout_ms", &pto, "pdf_cpu_seconds", &pcpu,
                    "pdf_mem_bytes", &pmem, "max_text", &mtext, "pdftotext",
                    &pdftotext) < 0) {
        return -1;
    }
    job->max_bytes = (size_t)max_bytes;
    job->limits.pdf_timeout_ms = (long)pto;
    job->limits.pdf_cpu_seconds = (long)pcpu;
    job->limits.pdf_mem_bytes = (long)pmem;
    job->limits.max_text = (size_t)mtext;
    if (pdftotext[0] != '\0') {
        job->limits.pdftotext = pdftotext;
    }
    return 0;
}
