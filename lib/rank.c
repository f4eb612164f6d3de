/*
 * rank: the kwtf and kwdoc FTS5 auxiliary functions and the score made
 * from them (see rank.h).  Layer: lib/, depends on sqlite3, tokenizer,
 * html and strbuf.  Stateless: one registration serves every thread.
 */
#include "rank.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "html.h"
#include "query.h"
#include "strbuf.h"
#include "tokenizer.h"
#include "url.h"

static void
kwtf(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
     int nval, sqlite3_value **val)
{
    uint16_t tf[RANK_MAX_PHRASES * RANK_NCOL];
    int nphrase = api->xPhraseCount(fts), i;

    (void)nval;
    (void)val;
    if (nphrase > RANK_MAX_PHRASES) {
        nphrase = RANK_MAX_PHRASES;
    }
    memset(tf, 0, sizeof(tf));
    for (i = 0; i < nphrase; i++) {
        Fts5PhraseIter it;
        int col, off, rc = api->xPhraseFirst(fts, i, &it, &col, &off);

        if (rc != SQLITE_OK) {
            sqlite3_result_error_code(ctx, rc);
            return;
        }
        for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off)) {
            uint16_t *t = &tf[i * RANK_NCOL + col];

            if (col < RANK_NCOL && *t < UINT16_MAX) {
                (*t)++;
            }
        }
    }
    sqlite3_result_blob(ctx, tf, (int)(nphrase * RANK_NCOL * sizeof(tf[0])),
                        SQLITE_TRANSIENT);
}

/* kwdoc's buffer, kept for the whole query (xSetAuxdata): each phrase's
 * first RANK_PROX_MAX_INST occurrences, as col << 32 | offset (FTS5's own
 * position encoding: sorted by column, then offset). */
struct kwdoc_buf {
    int nphrase;
    int64_t pos[]; /* nphrase * RANK_PROX_MAX_INST */
};

/*
 * The smallest window (in tokens, both ends counted) of one column that
 * holds an occurrence of every phrase occurring in the row, when at least
 * two do; 0 otherwise.  Phrase i's occurrences are pos[i *
 * RANK_PROX_MAX_INST ..] (n[i] of them, sorted).  Per column, one pointer
 * per phrase: the window is from the lowest pointed-at occurrence to the
 * highest, and the lowest moves on, until a phrase has no occurrence left
 * in the column.
 */
static uint32_t
min_span(const int64_t *pos, const int *n, int nphrase)
{
    int at[RANK_MAX_PHRASES], end[RANK_MAX_PHRASES], want = 0, i;
    int64_t col;
    uint32_t best = 0;

    for (i = 0; i < nphrase; i++) {
        want += n[i] > 0;
        at[i] = 0;
    }
    if (want < 2) {
        return 0;
    }
    for (col = 0; col < RANK_NCOL; col++) {
        int ok = 1;

        for (i = 0; i < nphrase && ok; i++) {
            const int64_t *p = pos + (size_t)i * RANK_PROX_MAX_INST;

            if (n[i] == 0) {
                end[i] = 0;
                continue;
            }
            while (at[i] < n[i] && p[at[i]] >> 32 < col) {
                at[i]++;
            }
            for (end[i] = at[i]; end[i] < n[i] && p[end[i]] >> 32 == col;
                 end[i]++) {
            }
            ok = end[i] > at[i];
        }
        while (ok) {
            int lo = -1;
            int64_t min = 0, max = 0;

            for (i = 0; i < nphrase; i++) {
                int64_t v;

                if (n[i] == 0) {
                    continue;
                }
                v = pos[(size_t)i * RANK_PROX_MAX_INST + at[i]];
                if (lo < 0 || v < min) {
                    lo = i;
                    min = v;
                }
                if (v > max) {
                    max = v;
                }
            }
            if (best == 0 || (uint32_t)(max - min + 1) < best) {
                best = (uint32_t)(max - min + 1);
            }
            ok = ++at[lo] < end[lo];
        }
        /* The next column's first loop moves every pointer past this. */
    }
    return best;
}

static struct kwdoc_buf *
kwdoc_buf(const Fts5ExtensionApi *api, Fts5Context *fts, int nphrase)
{
    struct kwdoc_buf *b = api->xGetAuxdata(fts, 0);

    if (b != NULL && b->nphrase >= nphrase) {
        return b;
    }
    b = sqlite3_malloc64(sizeof(*b) + sizeof(b->pos[0]) * RANK_PROX_MAX_INST *
                                          (size_t)nphrase);
    if (b == NULL) {
        return NULL;
    }
    b->nphrase = nphrase;
    /* xSetAuxdata frees b itself when it fails. */
    return api->xSetAuxdata(fts, b, sqlite3_free) == SQLITE_OK ? b : NULL;
}

/*
 * kwdoc(doc_fts): kwtf's counts, then the smallest window (min_span).
 * Each phrase's occurrences are read with xPhraseFirst/xPhraseNext, as
 * kwtf reads them, the first RANK_PROX_MAX_INST of each kept for the
 * window: xInst would have FTS5 merge them into one sorted array for
 * every row first.
 */
static void
kwdoc(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
      int nval, sqlite3_value **val)
{
    uint16_t tf[RANK_MAX_PHRASES * RANK_NCOL];
    unsigned char out[sizeof(tf) + sizeof(uint32_t)];
    int npos[RANK_MAX_PHRASES];
    int nphrase = api->xPhraseCount(fts), i;
    struct kwdoc_buf *b = NULL;
    size_t tfbytes;
    uint32_t span = 0;

    (void)nval;
    (void)val;
    if (nphrase > RANK_MAX_PHRASES) {
        nphrase = RANK_MAX_PHRASES;
    }
    memset(tf, 0, sizeof(tf));
    if (nphrase >= 2 && (b = kwdoc_buf(api, fts, nphrase)) == NULL) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    for (i = 0; i < nphrase; i++) {
        int64_t *pos =
            b != NULL ? b->pos + (size_t)i * RANK_PROX_MAX_INST : NULL;
        Fts5PhraseIter it;
        int col, off, rc = api->xPhraseFirst(fts, i, &it, &col, &off);

        if (rc != SQLITE_OK) {
            sqlite3_result_error_code(ctx, rc);
            return;
        }
        npos[i] = 0;
        for (; col >= 0; api->xPhraseNext(fts, &it, &col, &off)) {
            if (col >= RANK_NCOL) {
                continue;
            }
            if (tf[i * RANK_NCOL + col] < UINT16_MAX) {
                tf[i * RANK_NCOL + col]++;
            }
            if (pos != NULL && npos[i] < RANK_PROX_MAX_INST) {
                pos[npos[i]++] = (int64_t)col << 32 | (uint32_t)off;
            }
        }
    }
    if (b != NULL) {
        span = min_span(b->pos, npos, nphrase);
    }
    /* The counts, then the window right after them (rank_kwdoc_span). */
    tfbytes = (size_t)nphrase * RANK_NCOL * sizeof(uint16_t);
    memcpy(out, tf, tfbytes);
    memcpy(out + tfbytes, &span, sizeof(span));
    sqlite3_result_blob(ctx, out, (int)(tfbytes + sizeof(span)),
                        SQLITE_TRANSIENT);
}

/* 1 when the tag text t[0..n) (between '<' and '>') is an <a> start tag
 * with an href attribute. */
static int
is_link_start(const char *t, size_t n)
{
    size_t i;

    if (n < 2 || (t[0] != 'a' && t[0] != 'A') ||
        (t[1] != ' ' && t[1] != '\t' && t[1] != '\n')) {
        return 0;
    }
    for (i = 1; i + 5 <= n; i++) {
        if ((t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\n') &&
            strncasecmp(t + i, "href", 4) == 0 &&
            (t[i + 4] == '=' || t[i + 4] == ' ')) {
            return 1;
        }
    }
    return 0;
}

/* The end of the tag whose text starts at html[i] (after its '<'): the
 * index of its '>', outside quoted attribute values, or n. */
static size_t
tag_end(const char *html, size_t n, size_t i)
{
    char quote = 0;

    while (i < n && (quote != 0 || html[i] != '>')) {
        if (quote != 0 && html[i] == quote) {
            quote = 0;
        } else if (quote == 0 && (html[i] == '"' || html[i] == '\'')) {
            quote = html[i];
        }
        i++;
    }
    return i;
}

double
rank_link_share(const char *html, size_t n)
{
    size_t i = 0, text = 0, linked = 0;
    int depth = 0;

    while (i < n) {
        unsigned char c = (unsigned char)html[i];

        if (c == '<') {
            size_t start = ++i;

            i = tag_end(html, n, i);
            if (start < n && html[start] == '/') {
                if (i - start >= 2 &&
                    (html[start + 1] == 'a' || html[start + 1] == 'A') &&
                    (i - start == 2 || html[start + 2] == ' ') && depth > 0) {
                    depth--;
                }
            } else if (is_link_start(html + start, i - start)) {
                depth++;
            }
            i++;
            continue;
        }
        /* A character of text: not a space, not a UTF-8 continuation byte;
         * an entity counts as one. */
        if (c > ' ' && (c & 0xc0) != 0x80) {
            text++;
            linked += depth > 0;
            if (c == '&') {
                size_t k = i + 1;

                while (k < n && k < i + 12 && html[k] != ';' &&
                       html[k] != '<') {
                    k++;
                }
                if (k < n && html[k] == ';') {
                    i = k;
                }
            }
        }
        i++;
    }
    return text > 0 ? (double)linked / (double)text : 0.0;
}

double
rank_hub_factor(double share)
{
    if (!(share > RANK_HUB_FROM)) {
        return 1.0;
    }
    if (share > 1.0) {
        share = 1.0;
    }
    return 1.0 - RANK_HUB_CUT * (share - RANK_HUB_FROM) / (1.0 - RANK_HUB_FROM);
}

/* link_share(html): rank_link_share of a text value; NULL for NULL. */
static void
sql_link_share(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *h = (const char *)sqlite3_value_text(argv[0]);

    (void)argc;
    if (h == NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    sqlite3_result_double(
        ctx, rank_link_share(h, (size_t)sqlite3_value_bytes(argv[0])));
}

void
rank_params(char *buf, size_t n)
{
    snprintf(buf, n, "k1 %g w %g %g %g b %g %g %g hub %g %g title", RANK_K1,
             RANK_DOC_W_TITLE, RANK_DOC_W_HEADING, RANK_DOC_W_BODY,
             RANK_DOC_B_TITLE, RANK_DOC_B_HEADING, RANK_DOC_B_BODY,
             RANK_HUB_FROM, RANK_HUB_CUT);
}

/* 1 when the tag text t[0..n) (after '<', or after "</") names the
 * element name (lower case): the name, then the end, a space or '/'. */
static int
tag_named(const char *t, size_t n, const char *name)
{
    size_t k = strlen(name);

    return n >= k && strncasecmp(t, name, k) == 0 &&
           (n == k || t[k] == ' ' || t[k] == '\t' || t[k] == '\n' ||
            t[k] == '\r' || t[k] == '/');
}

/* The term being read by terms_scan: its text (a space is written only
 * before a character, so none trails), and of its letters and digits how
 * many lie inside code elements. */
struct term_read {
    struct strbuf text;
    size_t alnum, code;
    int code_depth;
    int space; /* white space seen since the last character */
};

/* Take the character of text at html[i] (n bytes in all) into the term
 * t, unless the term is past max bytes: white space collapsed to one
 * space between characters, the sanitizer's entities decoded.  The bytes
 * it took. */
static size_t
term_text(struct term_read *t, const char *html, size_t n, size_t i, size_t max)
{
    char c = html[i];
    size_t el;

    if ((unsigned char)c <= ' ' || c == 0x7f) {
        t->space = t->text.len > 0;
        return 1;
    }
    if (t->text.len > max) {
        return 1; /* the term will not be used */
    }
    if (t->space) {
        strbuf_putc(&t->text, ' ');
        t->space = 0;
    }
    if ((el = html_unescape_at(html + i, n - i, &c)) == 0) {
        el = 1;
    }
    if ((unsigned char)c >= 0x80 || (c >= '0' && c <= '9') ||
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        /* a letter or digit (each byte of a non-ASCII one) */
        t->alnum++;
        t->code += t->code_depth > 0;
    }
    strbuf_putc(&t->text, c);
    return el;
}

/* 1 for an element that marks up code, a name or a value rather than
 * words: <code>, <var>, <tt>, <kbd>, <samp>, after '<' or "</" (t, n
 * bytes). */
static int
code_element(const char *t, size_t n)
{
    return tag_named(t, n, "code") || tag_named(t, n, "var") ||
           tag_named(t, n, "tt") || tag_named(t, n, "kbd") ||
           tag_named(t, n, "samp");
}

/* End the term being read: append it to sb after a 0x1e when it has text
 * and fits, unless skip_code and at least four fifths of its letters and
 * digits are code (a parameter's or a field's name); *used counts the
 * bytes of terms so far, and *full turns 1 when one did not fit. */
static void
term_end(struct term_read *t, struct strbuf *sb, size_t *used, int *full,
         int skip_code)
{
    size_t need = t->text.len + (*used > 0);

    if (t->text.len == 0 || *full ||
        (skip_code && t->alnum > 0 && t->code * 5 >= t->alnum * 4)) {
        /* nothing to add */
    } else if (*used + need > RANK_TERMS_MAX) {
        *full = 1;
    } else {
        if (*used > 0) {
            strbuf_putc(sb, 0x1e);
        }
        strbuf_append(sb, strbuf_peek(&t->text), t->text.len);
        *used += need;
    }
    strbuf_reset(&t->text);
    t->alnum = t->code = 0;
    t->code_depth = 0;
    t->space = 0;
}

/* rank_definition_terms, or with skip_code the terms that are not
 * mostly code (term_end). */
static int
terms_scan(const char *html, size_t n, struct strbuf *sb, int skip_code)
{
    struct term_read t = {STRBUF_INIT, 0, 0, 0, 0};
    size_t i = 0, used = 0;
    int in = 0, full = 0, ok;

    while (i < n && !full) {
        char c = html[i];

        if (c == '<') {
            size_t start = ++i;

            i = tag_end(html, n, i);
            if (start < n && html[start] == '/') {
                if (in && (tag_named(html + start + 1, i - start - 1, "dt") ||
                           tag_named(html + start + 1, i - start - 1, "dl"))) {
                    term_end(&t, sb, &used, &full, skip_code);
                    in = 0;
                } else if (in && t.code_depth > 0 &&
                           code_element(html + start + 1, i - start - 1)) {
                    t.code_depth--;
                }
            } else if (tag_named(html + start, i - start, "dt")) {
                /* A <dt> also ends one left open (HTML lets </dt> out). */
                term_end(&t, sb, &used, &full, skip_code);
                in = 1;
            } else if (in && (tag_named(html + start, i - start, "dd") ||
                              tag_named(html + start, i - start, "dl"))) {
                term_end(&t, sb, &used, &full, skip_code);
                in = 0;
            } else if (in && code_element(html + start, i - start)) {
                t.code_depth++;
            }
            i++;
            continue;
        }
        /* one term longer than all may be: it will not fit */
        i += in ? term_text(&t, html, n, i, RANK_TERMS_MAX) : 1;
    }
    if (in) {
        /* an element left open at the end */
        term_end(&t, sb, &used, &full, skip_code);
    }
    ok = strbuf_ok(&t.text);
    strbuf_free(&t.text);
    return ok && strbuf_ok(sb) ? 0 : -1;
}

int
rank_definition_terms(const char *html, size_t n, struct strbuf *sb)
{
    return terms_scan(html, n, sb, 0);
}

/* The text of the first cell of each table row of html (n bytes), as
 * terms_scan gives terms: a function table's signature ("left ( string
 * text, n integer ) → text") names what its row defines. */
static int
first_cells(const char *html, size_t n, struct strbuf *sb)
{
    struct term_read t = {STRBUF_INIT, 0, 0, 0, 0};
    size_t i = 0, used = 0;
    int row = 0, in = 0, full = 0, ok;

    while (i < n && !full) {
        char c = html[i];

        if (c == '<') {
            size_t start = ++i, len;
            int end = start < n && html[start] == '/';
            const char *name = html + start + end;

            i = tag_end(html, n, i);
            len = i - start - (size_t)end;
            if (tag_named(name, len, "tr") || tag_named(name, len, "table")) {
                term_end(&t, sb, &used, &full, 0);
                in = 0;
                row = !end && tag_named(name, len, "tr");
            } else if (tag_named(name, len, "td") ||
                       tag_named(name, len, "th")) {
                term_end(&t, sb, &used, &full, 0);
                in = !end && row;
                row = 0; /* the row's first cell only */
            }
            i++;
            continue;
        }
        /* past 4 keys' length: no signature a reader types the name of */
        i += in ? term_text(&t, html, n, i, 4 * RANK_HEADING_KEY_MAX) : 1;
    }
    if (in) {
        term_end(&t, sb, &used, &full, 0);
    }
    ok = strbuf_ok(&t.text);
    strbuf_free(&t.text);
    return ok && strbuf_ok(sb) ? 0 : -1;
}

/* definition_terms(html): rank_definition_terms of a text value, '' for
 * NULL and for none. */
static void
sql_definition_terms(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *h = (const char *)sqlite3_value_text(argv[0]);
    struct strbuf sb = STRBUF_INIT;

    (void)argc;
    if (h != NULL && rank_definition_terms(
                         h, (size_t)sqlite3_value_bytes(argv[0]), &sb) < 0) {
        strbuf_free(&sb);
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, strbuf_peek(&sb), (int)sb.len, SQLITE_TRANSIENT);
    strbuf_free(&sb);
}

/* The length of key k (n bytes) without what a page puts after a
 * heading's words: a permalink sign ("Examples¶", "Usage §", "Install #")
 * or a label's colon or full stop ("Author:"), and the spaces before. */
static size_t
key_trim(const char *k, size_t n)
{
    for (;;) {
        if (n >= 1 && (k[n - 1] == ' ' || k[n - 1] == ':' || k[n - 1] == '.')) {
            n--;
        } else if (n >= 2 && k[n - 2] == ' ' && k[n - 1] == '#') {
            n -= 2;
        } else if (n >= 2 && (unsigned char)k[n - 2] == 0xc2 &&
                   ((unsigned char)k[n - 1] == 0xb6 ||  /* U+00B6 pilcrow */
                    (unsigned char)k[n - 1] == 0xa7)) { /* U+00A7 section */
            n -= 2;
        } else {
            return n;
        }
    }
}

/* Append the key k (kn bytes) to sb, ended by 0x1e, unless it is empty
 * or longer than RANK_HEADING_KEY_MAX. */
static void
key_put(const char *k, size_t kn, struct strbuf *sb)
{
    if (kn > 0 && kn <= RANK_HEADING_KEY_MAX && memchr(k, 0x1e, kn) == NULL) {
        strbuf_append(sb, k, kn);
        strbuf_putc(sb, 0x1e);
    }
}

/* The name a definition term t (normalised, kn bytes) defines when it is a
 * signature: the word right before its first '(' ("ctime" of ": str =
 * ctime (t)", "json.dumps" of "json.dumps(obj, *, skipkeys=false)"),
 * when that word is an identifier (ASCII letters, digits, '_', '.', at
 * least one letter) and not the whole term; with first, only when that
 * word opens the term (a table cell: "name of the database containing the
 * function (always ...)" defines nothing).  Its length, with *at its
 * start; 0 for none. */
static size_t
signature_name(const char *t, size_t kn, int first, size_t *at)
{
    const char *open = memchr(t, '(', kn);
    size_t end, start, i;
    int letter = 0;

    if (open == NULL) {
        return 0;
    }
    end = (size_t)(open - t);
    while (end > 0 && t[end - 1] == ' ') {
        end--;
    }
    start = end;
    while (start > 0 && t[start - 1] != ' ') {
        start--;
    }
    for (i = start; i < end; i++) {
        unsigned char c = (unsigned char)t[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
            letter = 1;
        } else if (!(c >= '0' && c <= '9') && c != '_' && c != '.') {
            return 0;
        }
    }
    *at = start;
    return letter && end - start < kn && (!first || start == 0) ? end - start
                                                                : 0;
}

/* The words of the file name of path (pn bytes, a document's path in its
 * collection) appended to out: its last segment without its extension,
 * texinfo's escapes "_00XX" decoded, and every run of '-', '_' and white
 * space one space ("postgres-user.html": "postgres user";
 * "I_002fO-Dialogs.html": "I/O Dialogs"). */
static void
file_words(const char *path, size_t pn, struct strbuf *out)
{
    const char *slash = path, *p;
    size_t n, i, dot;
    int space = 0;

    for (p = path; p < path + pn; p++) {
        if (*p == '/') {
            slash = p + 1;
        }
    }
    n = pn - (size_t)(slash - path);
    for (dot = n; dot > 0 && slash[dot - 1] != '.'; dot--) {
    }
    /* an extension: a dot after the first byte, then 1 to 5 of [a-z0-9] */
    if (dot > 1 && n - dot >= 1 && n - dot <= 5) {
        for (i = dot; i < n && ((slash[i] >= '0' && slash[i] <= '9') ||
                                (slash[i] >= 'a' && slash[i] <= 'z') ||
                                (slash[i] >= 'A' && slash[i] <= 'Z'));
             i++) {
        }
        if (i == n) {
            n = dot - 1;
        }
    }
    for (i = 0; i < n; i++) {
        char c = slash[i];

        if (c == '_' && i + 4 < n && slash[i + 1] == '0' &&
            slash[i + 2] == '0' &&
            url_hexval((unsigned char)slash[i + 3]) >= 0 &&
            url_hexval((unsigned char)slash[i + 4]) >= 0) {
            c = (char)(url_hexval((unsigned char)slash[i + 3]) * 16 +
                       url_hexval((unsigned char)slash[i + 4]));
            i += 4;
        }
        if (c == '-' || c == '_' || (unsigned char)c <= ' ') {
            space = out->len > 0;
            continue;
        }
        if (space) {
            strbuf_putc(out, ' ');
            space = 0;
        }
        strbuf_putc(out, c);
    }
}

int
rank_heading_keys(const char *headings, size_t hn, const char *html, size_t n,
                  const char *path, size_t pn, struct strbuf *sb)
{
    /* What each source gives: the whole term as a key, and the name of a
     * signature in it (only one that opens it: first). */
    enum { WHOLE = 1, NAME = 2, FIRST = 4 };
    struct strbuf key = STRBUF_INIT, terms = STRBUF_INIT, cells = STRBUF_INIT,
                  file = STRBUF_INIT;
    struct {
        const struct strbuf *sb; /* NULL: the headings */
        int use;
    } const src[] = {{NULL, WHOLE},
                     {&terms, WHOLE | NAME},
                     {&cells, NAME | FIRST},
                     {&file, WHOLE}};
    size_t k;
    int rc = 0;

    if (terms_scan(html, n, &terms, 1) < 0 ||
        first_cells(html, n, &cells) < 0) {
        rc = -1;
    }
    file_words(path, pn, &file);
    for (k = 0; k < sizeof(src) / sizeof(src[0]) && rc == 0; k++) {
        const char *s = src[k].sb != NULL ? strbuf_peek(src[k].sb) : headings;
        size_t len = src[k].sb != NULL ? src[k].sb->len : hn, i = 0;
        int use = src[k].use;

        while (i < len && rc == 0) {
            const char *end = memchr(s + i, 0x1e, len - i);
            size_t tn = end != NULL ? (size_t)(end - (s + i)) : len - i;
            size_t at = 0, name;

            strbuf_reset(&key);
            /* A term much longer than a key cannot normalise to one, nor
             * hold a signature a reader types the name of. */
            if (tn <= 4 * RANK_HEADING_KEY_MAX) {
                if (query_normalize_title(s + i, tn, &key) < 0) {
                    rc = -1;
                    break;
                }
                if (use & WHOLE) {
                    key_put(strbuf_peek(&key),
                            key_trim(strbuf_peek(&key), key.len), sb);
                }
                /* A signature defines its name too. */
                if ((use & NAME) &&
                    (name = signature_name(strbuf_peek(&key), key.len,
                                           (use & FIRST) != 0, &at)) > 0) {
                    key_put(strbuf_peek(&key) + at, name, sb);
                }
            }
            i += tn + 1;
        }
    }
    if (!strbuf_ok(&file)) {
        rc = -1;
    }
    strbuf_free(&key);
    strbuf_free(&terms);
    strbuf_free(&cells);
    strbuf_free(&file);
    return rc == 0 && strbuf_ok(sb) ? 0 : -1;
}

/* heading_keys(headings, html, path): rank_heading_keys of three text
 * values (NULL reads as ''), '' for none. */
static void
sql_heading_keys(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *v[3];
    size_t len[3];
    struct strbuf sb = STRBUF_INIT;
    int i;

    (void)argc;
    for (i = 0; i < 3; i++) {
        v[i] = (const char *)sqlite3_value_text(argv[i]);
        len[i] = v[i] != NULL ? (size_t)sqlite3_value_bytes(argv[i]) : 0;
        if (v[i] == NULL) {
            v[i] = "";
        }
    }
    if (rank_heading_keys(v[0], len[0], v[1], len[1], v[2], len[2], &sb) < 0) {
        strbuf_free(&sb);
        sqlite3_result_error_nomem(ctx);
        return;
    }
    sqlite3_result_text(ctx, sb.len > 0 ? strbuf_peek(&sb) : "", (int)sb.len,
                        SQLITE_TRANSIENT);
    strbuf_free(&sb);
}

/* 64-bit FNV-1a step. */
static uint64_t
fnv(uint64_t h, unsigned char c)
{
    return (h ^ c) * 0x100000001b3ULL;
}

/* A 64-bit mix (splitmix64's finaliser): one hash function per seed. */
static uint64_t
mix(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* 1 for a byte of a word: ASCII letters, digits, '_', any non-ASCII. */
static int
word_byte(unsigned char c)
{
    return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
           (c >= 'A' && c <= 'Z') || c == '_';
}

int
rank_sketch(const char *text, size_t n, unsigned char out[RANK_SKETCH])
{
    uint64_t min[RANK_SKETCH], w[3] = {0, 0, 0};
    size_t i = 0, words = 0;
    int k;

    for (k = 0; k < RANK_SKETCH; k++) {
        min[k] = UINT64_MAX;
    }
    for (;;) {
        uint64_t h = 0xcbf29ce484222325ULL;

        while (i < n && !word_byte((unsigned char)text[i])) {
            i++;
        }
        if (i == n) {
            break;
        }
        while (i < n && word_byte((unsigned char)text[i])) {
            unsigned char c = (unsigned char)text[i++];

            h = fnv(h, c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        w[0] = w[1];
        w[1] = w[2];
        w[2] = h;
        if (++words >= 3) {
            uint64_t sh = mix(w[0] ^ mix(w[1] ^ mix(w[2])));

            for (k = 0; k < RANK_SKETCH; k++) {
                uint64_t v =
                    mix(sh + 0x9e3779b97f4a7c15ULL * (uint64_t)(k + 1));

                if (v < min[k]) {
                    min[k] = v;
                }
            }
        }
    }
    if (words < RANK_SKETCH_MIN_WORDS) {
        return 0;
    }
    /* b-bit MinHash keeps the lowest bits of each minimum (its highest
     * are zeros in any text of more than a few hundred shingles). */
    for (k = 0; k < RANK_SKETCH; k++) {
        out[k] = (unsigned char)(min[k] & 0xff);
    }
    return 1;
}

double
rank_sketch_similarity(const unsigned char *a, const unsigned char *b)
{
    int k, same = 0;
    double p;

    for (k = 0; k < RANK_SKETCH; k++) {
        same += a[k] == b[k];
    }
    /* b-bit MinHash: unrelated texts agree on a byte 1 time in 256. */
    p = ((double)same / RANK_SKETCH - 1.0 / 256) / (1.0 - 1.0 / 256);
    return p < 0.0 ? 0.0 : p;
}

int
rank_form(const char *ct)
{
    if (ct == NULL) {
        return 3;
    }
    if (strncmp(ct, "text/html", 9) == 0 ||
        strncmp(ct, "application/xhtml+xml", 21) == 0) {
        return 0;
    }
    if (strncmp(ct, "text/markdown", 13) == 0) {
        return 1;
    }
    if (strncmp(ct, "application/pdf", 15) == 0) {
        return 2;
    }
    return 3;
}

/* text_sketch(text): rank_sketch as a blob; NULL for NULL and for a text
 * too short to sketch. */
static void
sql_text_sketch(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const char *t = (const char *)sqlite3_value_text(argv[0]);
    unsigned char sk[RANK_SKETCH];

    (void)argc;
    if (t == NULL) {
        sqlite3_result_null(ctx);
        return;
    }
    if (!rank_sketch(t, (size_t)sqlite3_value_bytes(argv[0]), sk)) {
        sqlite3_result_null(ctx); /* too short to tell copies apart */
        return;
    }
    sqlite3_result_blob(ctx, sk, RANK_SKETCH, SQLITE_TRANSIENT);
}

int
rank_register(sqlite3 *db)
{
    fts5_api *api = tokenizer_fts5_api(db);

    if (api == NULL ||
        api->xCreateFunction(api, "kwtf", NULL, kwtf, NULL) != SQLITE_OK ||
        api->xCreateFunction(api, "kwdoc", NULL, kwdoc, NULL) != SQLITE_OK) {
        return SQLITE_ERROR;
    }
    if (sqlite3_create_function(
            db, "link_share", 1,
            SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
            sql_link_share, NULL, NULL) != SQLITE_OK) {
        return SQLITE_ERROR;
    }
    if (sqlite3_create_function(
            db, "text_sketch", 1,
            SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
            sql_text_sketch, NULL, NULL) != SQLITE_OK) {
        return SQLITE_ERROR;
    }
    if (sqlite3_create_function(
            db, "heading_keys", 3,
            SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, NULL,
            sql_heading_keys, NULL, NULL) != SQLITE_OK) {
        return SQLITE_ERROR;
    }
    return sqlite3_create_function(db, "definition_terms", 1,
                                   SQLITE_UTF8 | SQLITE_DETERMINISTIC |
                                       SQLITE_INNOCUOUS,
                                   NULL, sql_definition_terms, NULL, NULL);
}

double
rank_idf(double n, double df)
{
    if (df < 0.0) {
        df = 0.0;
    }
    if (n < df) {
        n = df;
    }
    return log(1.0 + (n - df + 0.5) / (df + 0.5));
}

uint32_t
rank_kwdoc_span(const void *blob, size_t *n)
{
    uint32_t span;

    if (blob == NULL || *n < sizeof(span)) {
        *n = 0;
        return 0;
    }
    *n -= sizeof(span);
    memcpy(&span, (const unsigned char *)blob + *n, sizeof(span));
    return span;
}

/* A phrase's saturated weight in a document with hub factor hub, from
 * its pseudo-frequency f over all columns and title over the title
 * alone: a hub's title is its own, its links' text is not (rank.h). */
static double
hub_weigh(double f, double title, double hub)
{
    double all = f / (RANK_K1 + f);

    if (hub >= 1.0) {
        return all;
    }
    return hub * all + (1.0 - hub) * title / (RANK_K1 + title);
}

double
rank_saturation(const uint16_t tf[RANK_NCOL], const double len[RANK_NCOL],
                const double avg[RANK_NCOL], double hub)
{
    static const double w[RANK_NCOL] = {RANK_DOC_W_TITLE, RANK_DOC_W_HEADING,
                                        RANK_DOC_W_BODY};
    static const double b[RANK_NCOL] = {RANK_DOC_B_TITLE, RANK_DOC_B_HEADING,
                                        RANK_DOC_B_BODY};
    double f = 0.0, title = 0.0;
    int col;

    for (col = 0; col < RANK_NCOL; col++) {
        double a = avg[col] > 0.0 ? avg[col] : 1.0;

        f += w[col] / (1.0 - b[col] + b[col] * len[col] / a) * tf[col];
        if (col == 0) {
            title = f;
        }
    }
    return hub_weigh(f, title, hub);
}

double
rank_doc_score(const void *tf, size_t n, uint32_t span,
               const double len[RANK_NCOL], const struct rank_corpus *c,
               double hub, int *matched)
{
    static const double w[RANK_NCOL] = {RANK_DOC_W_TITLE, RANK_DOC_W_HEADING,
                                        RANK_DOC_W_BODY};
    static const double b[RANK_NCOL] = {RANK_DOC_B_TITLE, RANK_DOC_B_HEADING,
                                        RANK_DOC_B_BODY};
    const unsigned char *p = tf;
    size_t rowbytes = RANK_NCOL * sizeof(uint16_t);
    double wn[RANK_NCOL], score = 0.0, near = 0.0;
    uint64_t held = 0;
    int k, nph, col, m = 0, words = 0, parts = 0;

    *matched = 0;
    if (tf == NULL || n % rowbytes != 0) {
        return 0.0;
    }
    nph = (int)(n / rowbytes);
    for (col = 0; col < RANK_NCOL; col++) {
        double avg = c->avg_len[col] > 0.0 ? c->avg_len[col] : 1.0;

        wn[col] = w[col] / (1.0 - b[col] + b[col] * len[col] / avg);
    }
    for (k = 0; k < nph && k < c->nphrase; k++) {
        double f = 0.0, title = 0.0;

        if (c->idf[k] <= 0.0) {
            continue;
        }
        for (col = 0; col < RANK_NCOL; col++) {
            uint16_t t;

            memcpy(&t, p + (size_t)k * rowbytes + col * sizeof(t), sizeof(t));
            f += wn[col] * t;
            if (col == 0) {
                title = f;
            }
        }
        if (f > 0.0) {
            m++;
            held |= (uint64_t)1 << k;
            score += c->idf[k] * hub_weigh(f, title, hub);
            near += c->idf[k];
        }
    }
    /* The words asked: an identifier is held as written or as all of its
     * parts ("window.getkey" on the page of module curses), and its parts
     * are not words of their own; of an identifier not held, the parts
     * held tell documents with as many words apart. */
    for (k = 0; c->part != 0 && k < nph && k < c->nphrase; k++) {
        uint64_t bit = (uint64_t)1 << k, of = c->parts_of[k];

        if (c->idf[k] <= 0.0 || (c->part & bit)) {
            continue;
        }
        if ((held & bit) || (of != 0 && (held & of) == of)) {
            words++;
        } else {
            for (of &= held; of != 0; of &= of - 1) {
                parts++;
            }
        }
    }
    if (m >= 2 && span > 0 && span <= (uint32_t)(RANK_PROX_MAX_SPAN * m)) {
        /* m phrases side by side span m tokens; a shorter window means
         * colocated tokens (the parts of one identifier), no closer than
         * that: the bonus is at most RANK_PROX_WEIGHT * near. */
        score += hub * RANK_PROX_WEIGHT * near *
                 (span < (uint32_t)m ? 1.0 : (double)m / span);
    }
    *matched = c->part != 0 ? words * RANK_MAX_PHRASES + parts : m;
    return score;
}
