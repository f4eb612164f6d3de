/*
 * manifest: JSON Lines manifest reader (format in manifest.h).  Layer:
 * ingest/, depends on lib/ (alloc, strbuf, fsutil, url) and jansson; never
 * on microhttpd.h or server/.  Every line is checked before jansson sees
 * it (length, NUL bytes, nesting depth), so a hostile manifest costs time
 * and memory in proportion to its size and never more than one line's
 * worth of parse tree at once.  Duplicates and lookups go through sorted
 * indexes rather than hash tables: an attacker can write colliding keys
 * for an unseeded hash, but not make a sort slower than n log n.
 */
#include "manifest.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "fsutil.h"
#include "strbuf.h"
#include "url.h"

/* Parse state: the manifest being built and its array capacities. */
struct mparse {
    struct manifest *m;
    size_t ecap;
    size_t icap;
    int capped; /* the issue list is full and says so */
};

/* Add an issue for line.  Messages keep printable ASCII only: they quote
 * jansson's view of a stranger's bytes and end up in terminals and
 * reports.  Past MANIFEST_MAX_ISSUES one final issue says the rest were
 * dropped, so a million bad lines cannot cost a million messages.  0, or
 * -1 out of memory. */
static int issue_add(struct mparse *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
issue_add(struct mparse *ps, int line, const char *fmt, ...)
{
    struct manifest *m = ps->m;
    struct manifest_issue *is;
    va_list ap;
    size_t i;

    if (ps->capped) {
        return 0;
    }
    if (m->nissues == ps->icap) {
        size_t cap = ps->icap ? ps->icap * 2 : 16;
        struct manifest_issue *v;

        if (cap > MANIFEST_MAX_ISSUES + 1) {
            cap = MANIFEST_MAX_ISSUES + 1;
        }
        v = kw_realloc(m->issues, cap * sizeof(*v));
        if (v == NULL) {
            return -1;
        }
        m->issues = v;
        ps->icap = cap;
    }
    is = &m->issues[m->nissues++];
    is->line = line;
    if (m->nissues == MANIFEST_MAX_ISSUES + 1) {
        snprintf(is->msg, sizeof(is->msg),
                 "more than %d issues; later ones are not reported",
                 MANIFEST_MAX_ISSUES);
        ps->capped = 1;
        return 0;
    }
    va_start(ap, fmt);
    vsnprintf(is->msg, sizeof(is->msg), fmt, ap);
    va_end(ap);
    for (i = 0; is->msg[i] != '\0'; i++) {
        unsigned char c = (unsigned char)is->msg[i];

        if (c < 0x20 || c >= 0x7f) {
            is->msg[i] = '?';
        }
    }
    return 0;
}

/* Release what one entry owns (not the entry itself). */
static void
entry_free(struct manifest_entry *e)
{
    size_t i;

    kw_free(e->path);
    kw_free(e->url);
    kw_free(e->title);
    kw_free(e->authors);
    kw_free(e->source_url);
    kw_free(e->language);
    for (i = 0; i < e->ntags; i++) {
        kw_free(e->tags[i]);
    }
    kw_free(e->tags);
    kw_free(e->license);
    kw_free(e->abstract);
    memset(e, 0, sizeof(*e));
}

/* Frees every entry, issue and index of m; m is left zeroed. */
void
manifest_free(struct manifest *m)
{
    size_t i;

    for (i = 0; i < m->n; i++) {
        entry_free(&m->entries[i]);
    }
    kw_free(m->entries);
    kw_free(m->issues);
    kw_free(m->by_path);
    kw_free(m->by_url);
    memset(m, 0, sizeof(*m));
}

/* Normalise a tree-relative path into out: "./" and empty segments go,
 * anything that could name a file outside the tree or be read differently
 * by another tool is refused.  0; 1 with *why for a bad path; -1 out of
 * memory. */
static int
path_norm(const char *s, size_t n, struct strbuf *out, const char **why)
{
    size_t i = 0;

    if (n > 0 && s[0] == '/') {
        *why = "path outside the tree (absolute)";
        return 1;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '\\') {
            *why = "path outside the tree (backslash)";
            return 1;
        }
        if (c < 0x20 || c == 0x7f) {
            *why = "path outside the tree (control character)";
            return 1;
        }
    }
    i = 0;
    while (i < n) {
        size_t j = i;

        while (j < n && s[j] != '/') {
            j++;
        }
        if (j - i == 2 && s[i] == '.' && s[i + 1] == '.') {
            *why = "path outside the tree ('..' segment)";
            return 1;
        }
        if (j > i && !(j - i == 1 && s[i] == '.')) {
            if (out->len > 0) {
                strbuf_putc(out, '/');
            }
            strbuf_append(out, s + i, j - i);
        }
        i = j + 1;
    }
    if (!strbuf_ok(out)) {
        return -1;
    }
    if (out->len == 0) {
        *why = "path names no file";
        return 1;
    }
    return 0;
}

/* Read exactly k digits at *s; the value, or -1. */
static int
digits(const char **s, int k)
{
    int v = 0;

    while (k-- > 0) {
        if (**s < '0' || **s > '9') {
            return -1;
        }
        v = v * 10 + (**s - '0');
        (*s)++;
    }
    return v;
}

/* Gregorian leap year. */
static int
is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, y >= 1970):
 * whole years, the leap days they contain, then the months. */
static long long
days_since_epoch(int y, int m, int d)
{
    static const int before[12] = {0,   31,  59,  90,  120, 151,
                                   181, 212, 243, 273, 304, 334};
    long long p = y - 1, leaps;

    leaps = (p / 4 - p / 100 + p / 400) - (1969 / 4 - 1969 / 100 + 1969 / 400);
    return 365LL * (y - 1970) + leaps + before[m - 1] + (m > 2 && is_leap(y)) +
           d - 1;
}

/* Parse "YYYY-MM-DD" optionally followed by "THH:MM[:SS[.frac]]" and a
 * zone ("Z", "+HH:MM", "+HHMM", "+HH"; none means UTC).  Computed by hand
 * rather than with timegm or mktime so the process's TZ can never shift a
 * provenance date.  0 with Unix seconds in *out, or -1. */
static int
iso8601_parse(const char *s, long long *out)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
    int y, mo, d, h = 0, mi = 0, sec = 0, off = 0;
    long long t;

    y = digits(&s, 4);
    if (y < 1970 || *s++ != '-' || (mo = digits(&s, 2)) < 1 || mo > 12 ||
        *s++ != '-' || (d = digits(&s, 2)) < 1 ||
        d > mdays[mo - 1] + (mo == 2 && is_leap(y))) {
        return -1;
    }
    if (*s == 'T' || *s == 't' || *s == ' ') {
        s++;
        if ((h = digits(&s, 2)) < 0 || h > 23 || *s++ != ':' ||
            (mi = digits(&s, 2)) < 0 || mi > 59) {
            return -1;
        }
        if (*s == ':') {
            s++;
            /* 60 is a leap second; it lands on the next minute. */
            if ((sec = digits(&s, 2)) < 0 || sec > 60) {
                return -1;
            }
            if (*s == '.' || *s == ',') {
                s++;
                if (*s < '0' || *s > '9') {
                    return -1;
                }
                while (*s >= '0' && *s <= '9') {
                    s++;
                }
            }
        }
        if (*s == 'Z' || *s == 'z') {
            s++;
        } else if (*s == '+' || *s == '-') {
            int sign = *s++ == '-' ? -1 : 1, oh, om = 0;

            if ((oh = digits(&s, 2)) < 0 || oh > 23) {
                return -1;
            }
            if (*s == ':') {
                s++;
            }
            if (*s != '\0' && ((om = digits(&s, 2)) < 0 || om > 59)) {
                return -1;
            }
            off = sign * (oh * 3600 + om * 60);
        }
    }
    if (*s != '\0') {
        return -1;
    }
    t = days_since_epoch(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
    if (t < 0) {
        return -1;
    }
    *out = t;
    return 0;
}

/* Deepest [ / { nesting of a JSON text, stopping once past limit.  Run
 * before jansson so the depth limit does not depend on the jansson build
 * (older ones recurse without bound and overflow the stack). */
static int
json_depth_exceeds(const char *s, size_t n, int limit)
{
    int depth = 0, in_str = 0, esc = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        char c = s[i];

        if (in_str) {
            if (esc) {
                esc = 0;
            } else if (c == '\\') {
                esc = 1;
            } else if (c == '"') {
                in_str = 0;
            }
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > limit) {
                return 1;
            }
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return 0;
}

/* The string value of member key, borrowed from o, in *val: NULL when
 * absent, null or empty.  0, or 1 after raising an issue for a wrong
 * type; -1 out of memory. */
static int
member_string(struct mparse *ps, int line, json_t *o, const char *key,
              const char **val)
{
    json_t *v = json_object_get(o, key);

    *val = NULL;
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)) {
        return issue_add(ps, line, "%s: expected a string", key) < 0 ? -1 : 1;
    }
    if (json_string_length(v) > 0) {
        *val = json_string_value(v);
    }
    return 0;
}

/* Copy member key (a string) into *dst (new, or NULL when absent).  Same
 * returns as member_string. */
static int
copy_string(struct mparse *ps, int line, json_t *o, const char *key, char **dst)
{
    const char *s;
    int rc = member_string(ps, line, o, key, &s);

    if (rc != 0 || s == NULL) {
        return rc;
    }
    *dst = kw_strdup(s);
    return *dst == NULL ? -1 : 0;
}

/* Copy member key as a normalised http(s) URL into *dst (new). */
static int
copy_url(struct mparse *ps, int line, json_t *o, const char *key, char **dst)
{
    struct strbuf sb = STRBUF_INIT;
    const char *s;
    int rc = member_string(ps, line, o, key, &s);

    if (rc != 0 || s == NULL) {
        return rc;
    }
    if (url_normalize(s, &sb, NULL) < 0) {
        int oom = !strbuf_ok(&sb);

        strbuf_free(&sb);
        if (oom) {
            return -1;
        }
        return issue_add(ps, line, "%s: not an absolute http(s) URL", key) < 0
                   ? -1
                   : 1;
    }
    *dst = strbuf_detach(&sb, NULL);
    return *dst == NULL ? -1 : 0;
}

/* path: normalised into e->path (new). */
static int
copy_path(struct mparse *ps, int line, json_t *o, struct manifest_entry *e)
{
    struct strbuf sb = STRBUF_INIT;
    const char *s, *why = NULL;
    json_t *v = json_object_get(o, "path");
    int rc;

    if (v != NULL && json_is_string(v) && json_string_length(v) == 0) {
        return issue_add(ps, line, "path names no file") < 0 ? -1 : 1;
    }
    rc = member_string(ps, line, o, "path", &s);
    if (rc != 0 || s == NULL) {
        return rc;
    }
    rc = path_norm(s, strlen(s), &sb, &why);
    if (rc != 0) {
        strbuf_free(&sb);
        if (rc > 0 && issue_add(ps, line, "%s", why) < 0) {
            return -1;
        }
        return rc;
    }
    e->path = strbuf_detach(&sb, NULL);
    return e->path == NULL ? -1 : 0;
}

/* authors: a string, or an array of strings joined with "; " (empty
 * names skipped); new in e->authors, NULL when nothing is left. */
static int
copy_authors(struct mparse *ps, int line, json_t *o, struct manifest_entry *e)
{
    json_t *v = json_object_get(o, "authors"), *item;
    struct strbuf sb = STRBUF_INIT;
    size_t i;

    if (v == NULL || json_is_null(v) || json_is_string(v)) {
        return copy_string(ps, line, o, "authors", &e->authors);
    }
    if (!json_is_array(v)) {
        goto bad;
    }
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item)) {
            strbuf_free(&sb);
            goto bad;
        }
        if (json_string_length(item) == 0) {
            continue;
        }
        if (sb.len > 0) {
            strbuf_puts(&sb, "; ");
        }
        strbuf_puts(&sb, json_string_value(item));
    }
    if (!strbuf_ok(&sb)) {
        strbuf_free(&sb);
        return -1;
    }
    if (sb.len > 0) {
        e->authors = strbuf_detach(&sb, NULL);
        return e->authors == NULL ? -1 : 0;
    }
    strbuf_free(&sb);
    return 0;
bad:
    return issue_add(ps, line,
                     "authors: expected a string or an array of strings") < 0
               ? -1
               : 1;
}

/* tags: an array of strings (empty ones skipped), new in e->tags. */
static int
copy_tags(struct mparse *ps, int line, json_t *o, struct manifest_entry *e)
{
    json_t *v = json_object_get(o, "tags"), *item;
    size_t i;

    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (!json_is_array(v)) {
        goto bad;
    }
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item)) {
            goto bad;
        }
    }
    if (json_array_size(v) == 0) {
        return 0;
    }
    e->tags = kw_calloc(json_array_size(v), sizeof(*e->tags));
    if (e->tags == NULL) {
        return -1;
    }
    json_array_foreach(v, i, item)
    {
        if (json_string_length(item) == 0) {
            continue;
        }
        e->tags[e->ntags] = kw_strdup(json_string_value(item));
        if (e->tags[e->ntags] == NULL) {
            return -1;
        }
        e->ntags++;
    }
    return 0;
bad:
    return issue_add(ps, line, "tags: expected an array of strings") < 0 ? -1
                                                                         : 1;
}

/* retrieved_at: ISO 8601 text or integer Unix seconds, into e. */
static int
copy_time(struct mparse *ps, int line, json_t *o, struct manifest_entry *e)
{
    json_t *v = json_object_get(o, "retrieved_at");

    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        e->retrieved_at = (long long)json_integer_value(v);
        return 0;
    }
    if (json_is_string(v) &&
        iso8601_parse(json_string_value(v), &e->retrieved_at) == 0) {
        return 0;
    }
    return issue_add(ps, line,
                     "retrieved_at: expected an ISO 8601 date (1970 or "
                     "later) or Unix seconds") < 0
               ? -1
               : 1;
}

/* Append *e to the manifest (the manifest takes what e owns). */
static int
entry_push(struct mparse *ps, struct manifest_entry *e)
{
    struct manifest *m = ps->m;

    if (m->n == ps->ecap) {
        size_t cap = ps->ecap ? ps->ecap * 2 : 64;
        struct manifest_entry *v;

        if (cap > MANIFEST_MAX_ENTRIES) {
            cap = MANIFEST_MAX_ENTRIES;
        }
        v = kw_realloc(m->entries, cap * sizeof(*v));
        if (v == NULL) {
            return -1;
        }
        m->entries = v;
        ps->ecap = cap;
    }
    m->entries[m->n++] = *e;
    return 0;
}

/* The members a line is built from, in the order they are checked; the
 * first bad one names the issue and the line is skipped. */
static int
entry_fill(struct mparse *ps, int line, json_t *o, struct manifest_entry *e)
{
    static const struct {
        const char *key;
        size_t off;
    } strings[] = {
        {"title", offsetof(struct manifest_entry, title)},
        {"language", offsetof(struct manifest_entry, language)},
        {"license", offsetof(struct manifest_entry, license)},
        {"abstract", offsetof(struct manifest_entry, abstract)},
    };
    size_t i;
    int rc;

    if ((rc = copy_path(ps, line, o, e)) != 0 ||
        (rc = copy_url(ps, line, o, "url", &e->url)) != 0 ||
        (rc = copy_url(ps, line, o, "source_url", &e->source_url)) != 0 ||
        (rc = copy_authors(ps, line, o, e)) != 0 ||
        (rc = copy_tags(ps, line, o, e)) != 0 ||
        (rc = copy_time(ps, line, o, e)) != 0) {
        return rc;
    }
    for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        char **dst = (char **)((char *)e + strings[i].off);

        if ((rc = copy_string(ps, line, o, strings[i].key, dst)) != 0) {
            return rc;
        }
    }
    if (e->path == NULL && e->url == NULL) {
        return issue_add(ps, line, "entry has neither path nor url") < 0 ? -1
                                                                         : 1;
    }
    return 0;
}

/* Parse one non-empty line.  0 (kept or reported), -1 out of memory. */
static int
line_parse(struct mparse *ps, int line, const char *s, size_t n, int last)
{
    struct manifest_entry e;
    json_error_t je;
    json_t *o;
    int rc;

    if (memchr(s, '\0', n) != NULL) {
        return issue_add(ps, line, "NUL byte in line");
    }
    if (json_depth_exceeds(s, n, MANIFEST_MAX_DEPTH)) {
        return issue_add(ps, line, "JSON nested deeper than %d levels",
                         MANIFEST_MAX_DEPTH);
    }
    o = json_loadb(s, n, JSON_REJECT_DUPLICATES, &je);
    if (o == NULL) {
        return issue_add(ps, line, "invalid JSON%s: %s (column %d)",
                         last ? " (last line unterminated: truncated?)" : "",
                         je.text, je.column);
    }
    if (!json_is_object(o)) {
        json_decref(o);
        return issue_add(ps, line, "not a JSON object");
    }
    memset(&e, 0, sizeof(e));
    e.line = line;
    e.retrieved_at = -1;
    rc = entry_fill(ps, line, o, &e);
    json_decref(o);
    if (rc == 0 && entry_push(ps, &e) == 0) {
        return 0;
    }
    entry_free(&e);
    return rc > 0 ? 0 : -1;
}

/* Index order: by key, then by entry so the first line sorts first. */
static int
cmp_key(const void *a, const void *b)
{
    const struct manifest_key *x = a, *y = b;
    int c = strcmp(x->key, y->key);

    if (c != 0) {
        return c;
    }
    return x->entry < y->entry ? -1 : x->entry > y->entry;
}

/* Build a sorted index (new, in *out) of the entries' paths (url == 0) or
 * urls, skipping entries whose dead[] is non-zero (dead may be NULL). */
static int
index_build(struct manifest *m, int url, const int *dead,
            struct manifest_key **out, size_t *nout)
{
    size_t i, k = 0;

    *out = NULL;
    *nout = 0;
    if (m->n == 0) {
        return 0;
    }
    *out = kw_malloc(m->n * sizeof(**out));
    if (*out == NULL) {
        return -1;
    }
    for (i = 0; i < m->n; i++) {
        const char *key = url ? m->entries[i].url : m->entries[i].path;

        if (key != NULL && (dead == NULL || !dead[i])) {
            (*out)[k].key = key;
            (*out)[k].entry = i;
            k++;
        }
    }
    qsort(*out, k, sizeof(**out), cmp_key);
    *nout = k;
    return 0;
}

/* Record in first[] the line of the earlier entry that each later entry
 * repeats by path (url == 0) or url, and in kind[] which key it was;
 * entries already marked are left out.  Two entries for one file would
 * make its metadata depend on which one a lookup happens to find. */
static int
mark_duplicates(struct manifest *m, int url, int *first, unsigned char *kind)
{
    struct manifest_key *idx;
    size_t n, i, head = 0;

    if (index_build(m, url, first, &idx, &n) < 0) {
        return -1;
    }
    for (i = 1; i < n; i++) {
        if (strcmp(idx[i].key, idx[head].key) != 0) {
            head = i;
            continue;
        }
        first[idx[i].entry] = m->entries[idx[head].entry].line;
        kind[idx[i].entry] = (unsigned char)url;
    }
    kw_free(idx);
    return 0;
}

/* Re-make the issue list with the duplicates marked in first[] and kind[]
 * merged in by line: both lists come in line order, so the cap keeps the
 * earliest issues whichever pass found them (a duplicate on line 3 used
 * to go unreported behind a thousand bad lines after it).  0, or -1 out
 * of memory (the list is then consistent for manifest_free). */
static int
report_duplicates(struct mparse *ps, const int *first,
                  const unsigned char *kind)
{
    struct manifest *m = ps->m;
    struct manifest_issue *old = m->issues;
    size_t nold = m->nissues, a = 0, i = 0;
    int was_capped = ps->capped, rc = 0;

    if (was_capped) {
        nold--; /* the last one only says that the rest were dropped */
    }
    m->issues = NULL;
    m->nissues = 0;
    ps->icap = 0;
    ps->capped = 0;
    while (rc == 0 && !ps->capped) {
        while (i < m->n && first[i] == 0) {
            i++;
        }
        if (i < m->n && (a >= nold || m->entries[i].line < old[a].line)) {
            rc = issue_add(ps, m->entries[i].line,
                           "duplicate %s (first on line %d); entry ignored",
                           kind[i] ? "url" : "path", first[i]);
            i++;
        } else if (a < nold) {
            rc = issue_add(ps, old[a].line, "%s", old[a].msg);
            a++;
        } else {
            break;
        }
    }
    /* Nothing was added past the old cap: it still holds. */
    if (rc == 0 && was_capped && !ps->capped) {
        rc = issue_add(ps, old[nold].line, "%s", old[nold].msg);
    }
    kw_free(old);
    return rc;
}

/* Drop duplicate entries (reported in line order, so a capped issue list
 * keeps the earliest), then build the lookup indexes. */
static int
finish(struct mparse *ps)
{
    struct manifest *m = ps->m;
    unsigned char *kind = NULL;
    int *first = NULL, rc = -1;
    size_t i, o = 0;

    if (m->n > 0) {
        first = kw_calloc(m->n, sizeof(*first));
        kind = kw_calloc(m->n, 1);
        if (first == NULL || kind == NULL ||
            mark_duplicates(m, 0, first, kind) < 0 ||
            mark_duplicates(m, 1, first, kind) < 0) {
            goto out;
        }
        if (report_duplicates(ps, first, kind) < 0) {
            goto out;
        }
        for (i = 0; i < m->n; i++) {
            if (first[i] == 0) {
                m->entries[o++] = m->entries[i];
            } else {
                entry_free(&m->entries[i]);
            }
        }
        m->n = o;
    }
    if (index_build(m, 0, NULL, &m->by_path, &m->npath) < 0 ||
        index_build(m, 1, NULL, &m->by_url, &m->nurl) < 0) {
        goto out;
    }
    rc = 0;
out:
    kw_free(first);
    kw_free(kind);
    return rc;
}

/* Split into lines (LF, optional CR), skip blanks, check each line
 * against the limits, then parse; out owns the result. */
int
manifest_parse(const char *text, size_t len, struct manifest *out)
{
    struct mparse ps;
    size_t pos = 0;
    int line = 0;

    memset(out, 0, sizeof(*out));
    memset(&ps, 0, sizeof(ps));
    ps.m = out;
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0) {
        pos = 3;
    }
    while (pos < len) {
        const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
        size_t n = nl != NULL ? (size_t)(nl - s) : len - pos, i;
        int rc;

        pos += n + (nl != NULL);
        if (line == INT_MAX) {
            rc = issue_add(&ps, line, "too many lines; the rest is ignored");
            if (rc < 0) {
                goto oom;
            }
            break;
        }
        line++;
        if (n > 0 && s[n - 1] == '\r') {
            n--;
        }
        i = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t')) {
            i++;
        }
        if (i == n) {
            continue;
        }
        if (n > MANIFEST_MAX_LINE) {
            rc = issue_add(&ps, line, "line longer than %d bytes (%zu)",
                           MANIFEST_MAX_LINE, n);
        } else if (out->n == MANIFEST_MAX_ENTRIES) {
            rc = issue_add(&ps, line,
                           "more than %d entries; the rest is ignored",
                           MANIFEST_MAX_ENTRIES);
            if (rc == 0) {
                break;
            }
        } else {
            rc = line_parse(&ps, line, s, n, nl == NULL);
        }
        if (rc < 0) {
            goto oom;
        }
    }
    if (finish(&ps) < 0) {
        goto oom;
    }
    return 0;
oom:
    manifest_free(out);
    return -1;
}

/* Bounded read (fs_read_file refuses FIFOs, devices and directories
 * without blocking), then manifest_parse; out owns the result. */
int
manifest_load(const char *path, size_t max_bytes, struct manifest *out,
              char *err, size_t errlen)
{
    char *buf;
    size_t len;

    memset(out, 0, sizeof(*out));
    if (fs_read_file(path, max_bytes, &buf, &len) < 0) {
        int e = errno;

        if (err != NULL && errlen > 0) {
            if (e == EFBIG) {
                snprintf(err, errlen, "%s: larger than %zu bytes", path,
                         max_bytes);
            } else {
                snprintf(err, errlen, "%s: %s", path,
                         e == EINVAL  ? "not a regular file"
                         : e == ELOOP ? "a symbolic link (not followed)"
                                      : strerror(e));
            }
        }
        return -1;
    }
    if (manifest_parse(buf, len, out) < 0) {
        kw_free(buf);
        if (err != NULL && errlen > 0) {
            snprintf(err, errlen, "%s: out of memory", path);
        }
        return -1;
    }
    kw_free(buf);
    return 0;
}

/* Binary search of a unique-key index; the entry, borrowed, or NULL. */
static const struct manifest_entry *
index_find(const struct manifest *m, const struct manifest_key *idx, size_t n,
           const char *key)
{
    size_t lo = 0, hi = n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key, idx[mid].key);

        if (c == 0) {
            return &m->entries[idx[mid].entry];
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

/* Normalise like the manifest did, then search; borrowed result. */
const struct manifest_entry *
manifest_find_path(const struct manifest *m, const char *path)
{
    struct strbuf sb = STRBUF_INIT;
    const struct manifest_entry *e = NULL;
    const char *why;

    if (path_norm(path, strlen(path), &sb, &why) == 0) {
        e = index_find(m, m->by_path, m->npath, strbuf_peek(&sb));
    }
    strbuf_free(&sb);
    return e;
}

/* Normalise like the manifest did, then search; borrowed result. */
const struct manifest_entry *
manifest_find_url(const struct manifest *m, const char *url)
{
    struct strbuf sb = STRBUF_INIT;
    const struct manifest_entry *e = NULL;

    if (url_normalize(url, &sb, NULL) == 0) {
        e = index_find(m, m->by_url, m->nurl, strbuf_peek(&sb));
    }
    strbuf_free(&sb);
    return e;
}
