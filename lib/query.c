/*
 * query: search-box text to a safe FTS5 MATCH expression, and title
 * normalisation.  Layer: lib/, depends on strbuf and tokenizer (for the
 * folding rules and to know whether a term holds anything searchable);
 * never on microhttpd.h.  The expression is built from scratch, one FTS5
 * string per term, so no byte of user text is ever read by FTS5 as syntax.
 */
#include "query.h"

#include <stdlib.h>
#include <string.h>

#include "tokenizer.h"

/* Characters that separate terms like a space: C0/C1 controls (NUL too,
 * which would otherwise cut the expression short) and Unicode spaces,
 * including the ideographic space Korean input methods type. */
static int
is_space(unsigned long cp)
{
    return cp <= 0x20 || (cp >= 0x7f && cp <= 0xa0) || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202f || cp == 0x205f || cp == 0x3000 ||
           cp == TOKENIZER_INVALID;
}

/* Characters that show nothing (zero-width, bidi controls, BOM, soft
 * hyphen): dropped, so a pasted "데이터\u200b베이스" is one word. */
static int
is_invisible(unsigned long cp)
{
    return cp == 0xad || (cp >= 0x200b && cp <= 0x200f) ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2064) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/* Copy s (n bytes, borrowed) to out (caller's, at least n bytes) with
 * every space-like character or invalid byte as one ' ' and invisible
 * characters dropped.  Never longer than the input.  Returns the length. */
static size_t
clean(const char *s, size_t n, char *out)
{
    size_t i = 0, o = 0, len;
    unsigned long cp;

    while (i < n) {
        len = tokenizer_decode(s + i, n - i, &cp);
        if (is_space(cp)) {
            out[o++] = ' ';
        } else if (!is_invisible(cp)) {
            memcpy(out + o, s + i, len);
            o += len;
        }
        i += len;
    }
    return o;
}

/* Tokenizer callback: counts tokens, stopping at the first. */
static int
count_token(void *ctx, int tflags, const char *tok, int ntok, int start,
            int end)
{
    (void)tflags;
    (void)tok;
    (void)ntok;
    (void)start;
    (void)end;
    ++*(int *)ctx;
    return SQLITE_DONE;
}

/* 1 when the query stream of s (n bytes, borrowed) has a token.  An FTS5
 * string with no token is a phrase that matches nothing, and ANDed with
 * the rest it would empty the whole result. */
static int
has_token(const char *s, size_t n)
{
    int count = 0;

    tokenizer_tokenize(s, n, FTS5_TOKENIZE_QUERY, &count, count_token);
    return count > 0;
}

/* Parse one term at c[*i] (cleaned text, borrowed) into t; *i moves past
 * it.  Returns 1 when t holds a searchable term. */
static int
parse_term(const char *c, size_t n, size_t *i, struct query_term *t)
{
    size_t start, end, k = *i;
    const char *close;

    memset(t, 0, sizeof(*t));
    /* A lone '-' is text: it must prefix something. */
    if (c[k] == '-' && k + 1 < n && c[k + 1] != ' ') {
        t->exclude = 1;
        k++;
    }
    close = c[k] == '"' ? memchr(c + k + 1, '"', n - k - 1) : NULL;
    if (close != NULL) {
        start = k + 1;
        end = (size_t)(close - c);
        k = end + 1;
        t->phrase = 1;
        if (k < n && c[k] == '*') {
            t->prefix = 1;
            k++;
        }
    } else {
        /* A word, or an unbalanced quote taken as text. */
        start = k;
        while (k < n && c[k] != ' ') {
            k++;
        }
        end = k;
        while (end > start && c[end - 1] == '*') {
            t->prefix = 1;
            end--;
        }
    }
    *i = k;
    memcpy(t->text, c + start, end - start);
    t->text[end - start] = '\0';
    t->len = end - start;
    return has_token(t->text, t->len);
}

/* 1 when the last searchable character of t is Hangul or CJK.  Its last
 * query token is then a bigram or a syllable, which the index already
 * matches anywhere inside a word, so a prefix adds no result: it would
 * only make FTS5 merge every term that starts with those syllables. */
static int
ends_in_run(const struct query_term *t)
{
    enum tokenizer_class last = TOKENIZER_SEP, cls;
    size_t i = 0;
    unsigned long cp;

    while (i < t->len) {
        i += tokenizer_decode(t->text + i, t->len - i, &cp);
        cls = tokenizer_class_of(cp);
        if (cls != TOKENIZER_SEP) {
            last = cls;
        }
    }
    return last == TOKENIZER_HANGUL || last == TOKENIZER_CJK;
}

void
query_term_expr(const struct query_term *t, struct strbuf *sb)
{
    const char *p = t->text, *q;

    strbuf_putc(sb, '"');
    while ((q = strchr(p, '"')) != NULL) {
        strbuf_append(sb, p, (size_t)(q - p) + 1);
        strbuf_putc(sb, '"');
        p = q + 1;
    }
    strbuf_puts(sb, p);
    strbuf_putc(sb, '"');
    if (t->prefix && !ends_in_run(t)) {
        strbuf_puts(sb, " *");
    }
}

/* Characters in the last word of t (the run of searchable characters at
 * its end): what a trailing '*' would expand. */
static size_t
last_word_chars(const struct query_term *t)
{
    size_t i = 0, run = 0;
    unsigned long cp;

    while (i < t->len) {
        i += tokenizer_decode(t->text + i, t->len - i, &cp);
        run = tokenizer_class_of(cp) == TOKENIZER_SEP ? 0 : run + 1;
    }
    return run;
}

/* 1 when t repeats one of the n terms before it exactly. */
static int
is_repeat(const struct query_term *terms, int n, const struct query_term *t)
{
    int k;

    for (k = 0; k < n; k++) {
        if (terms[k].len == t->len && terms[k].phrase == t->phrase &&
            terms[k].prefix == t->prefix && terms[k].exclude == t->exclude &&
            memcmp(terms[k].text, t->text, t->len) == 0) {
            return 1;
        }
    }
    return 0;
}

int
query_build(const char *user, size_t len, struct strbuf *match_out,
            struct query_info *info)
{
    char c[QUERY_MAX_BYTES];
    size_t n = len, cn, i = 0;
    int k, n_prefix = 0, n_seen = 0;

    memset(info, 0, sizeof(*info));
    if (n > QUERY_MAX_BYTES) {
        /* Cut before a character that would be split (at most 3 bytes
         * back; longer continuation runs are invalid anyway). */
        n = QUERY_MAX_BYTES;
        for (k = 0; k < 3 && ((unsigned char)user[n] & 0xc0) == 0x80; k++) {
            n--;
        }
        info->truncated = 1;
    }
    cn = n > 0 ? clean(user, n, c) : 0;
    while (i < cn) {
        struct query_term *t;

        if (c[i] == ' ') {
            i++;
            continue;
        }
        /* Repeats count towards the bound too, as typed. */
        if (n_seen == QUERY_MAX_TERMS) {
            info->truncated = 1;
            break;
        }
        t = &info->term[info->n_terms];
        if (!parse_term(c, cn, &i, t)) {
            continue;
        }
        n_seen++;
        if (t->prefix && !ends_in_run(t)) {
            if (last_word_chars(t) < QUERY_MIN_PREFIX ||
                n_prefix == QUERY_MAX_PREFIX) {
                t->prefix = 0;
                info->limited = 1;
            } else {
                n_prefix++;
            }
        }
        if (is_repeat(info->term, info->n_terms, t)) {
            info->limited = 1;
            continue;
        }
        info->n_terms++;
        if (t->exclude) {
            info->n_negative++;
        } else {
            info->n_positive++;
        }
    }
    /* Only words to leave out: nobody asks for every document but those.
     * Such a query was pasted from a command line (-DSQLITE_OMIT_ATTACH,
     * --enable-shared, -O2), and its terms are what to look for. */
    if (info->n_positive == 0 && info->n_negative > 0) {
        for (k = 0; k < info->n_terms; k++) {
            info->term[k].exclude = 0;
        }
        info->n_positive = info->n_negative;
        info->n_negative = 0;
    }
    if (info->n_positive == 0) {
        info->empty = 1;
        return 0;
    }

    return query_expr(info, 0, match_out);
}

/* query_parts(): collects the colocated tokens (the parts) of one term. */
struct parts_ctx {
    struct query_info *out;
    int added;
};

static int
part_is_word(const char *tok, int n)
{
    size_t i = 0, len;
    unsigned long cp;

    while (i < (size_t)n) {
        len = tokenizer_decode(tok + i, (size_t)n - i, &cp);
        if (tokenizer_class_of(cp) != TOKENIZER_WORD) {
            return 0;
        }
        i += len;
    }
    return n > 0;
}

static int
part_emit(void *ctx, int tflags, const char *tok, int ntok, int start, int end)
{
    struct parts_ctx *pc = ctx;
    struct query_info *out = pc->out;
    struct query_term *t;

    (void)start;
    (void)end;
    if (!(tflags & FTS5_TOKEN_COLOCATED) || !part_is_word(tok, ntok) ||
        out->n_terms >= QUERY_MAX_TERMS || (size_t)ntok > QUERY_MAX_BYTES) {
        return SQLITE_OK;
    }
    t = &out->term[out->n_terms];
    memset(t, 0, sizeof(*t));
    memcpy(t->text, tok, (size_t)ntok);
    t->text[ntok] = '\0';
    t->len = (size_t)ntok;
    t->part = 1;
    if (is_repeat(out->term, out->n_terms, t)) {
        return SQLITE_OK;
    }
    out->n_terms++;
    out->n_positive++;
    pc->added++;
    return SQLITE_OK;
}

int
query_parts(const struct query_info *in, struct query_info *out)
{
    struct query_info o;
    struct parts_ctx pc;
    int k, split = 0;

    if (in->empty) {
        return 0;
    }
    memset(&o, 0, sizeof(o));
    o.truncated = in->truncated;
    o.limited = in->limited;
    pc.out = &o;
    for (k = 0; k < in->n_terms && o.n_terms < QUERY_MAX_TERMS; k++) {
        const struct query_term *w = &in->term[k];
        struct query_info save = o;

        if (w->exclude) {
            continue;
        }
        if (!w->phrase && !w->prefix) {
            int at = -1;

            /* The word as written first, then its parts. */
            if (!is_repeat(o.term, o.n_terms, w)) {
                at = o.n_terms;
                o.term[o.n_terms++] = *w;
                o.n_positive++;
            }
            pc.added = 0;
            if (tokenizer_tokenize(w->text, w->len, 0, &pc, part_emit) !=
                SQLITE_OK) {
                return 0;
            }
            if (pc.added >= 2) {
                if (at >= 0) {
                    o.term[at].code = memchr(w->text, '.', w->len) != NULL ||
                                      memchr(w->text, '_', w->len) != NULL;
                }
                split++;
                continue;
            }
            o = save;
        }
        if (!is_repeat(o.term, o.n_terms, w) && o.n_terms < QUERY_MAX_TERMS) {
            o.term[o.n_terms++] = *w;
            o.n_positive++;
        }
    }
    if (split == 0 || o.n_positive < 2) {
        return 0;
    }
    /* The excluded terms stay excluded. */
    for (k = 0; k < in->n_terms && o.n_terms < QUERY_MAX_TERMS; k++) {
        if (in->term[k].exclude) {
            o.term[o.n_terms++] = in->term[k];
            o.n_negative++;
        }
    }
    *out = o;
    return split;
}

int
query_expr(const struct query_info *info, int how, struct strbuf *out)
{
    const char *op = (how & QUERY_ANY) ? " OR " : " AND ";
    int k, first = 1, neg = (how & QUERY_NO_EXCLUDE) ? 0 : info->n_negative;
    /* ("a" AND "b") NOT "c" NOT "d".  However FTS5 groups AND with NOT,
     * the set is the same; the brackets are for people reading logs (and
     * needed for OR). */
    int paren = neg > 0 && info->n_positive > 1;

    if (paren) {
        strbuf_putc(out, '(');
    }
    for (k = 0; k < info->n_terms; k++) {
        if (info->term[k].exclude) {
            continue;
        }
        if (!first) {
            strbuf_puts(out, op);
        }
        first = 0;
        query_term_expr(&info->term[k], out);
    }
    if (paren) {
        strbuf_putc(out, ')');
    }
    for (k = 0; neg > 0 && k < info->n_terms; k++) {
        if (info->term[k].exclude) {
            strbuf_puts(out, " NOT ");
            query_term_expr(&info->term[k], out);
        }
    }
    return strbuf_ok(out) ? 0 : -1;
}

/* Length of a leading section number at s ("28.2.", "3.", "4.1"): digits
 * in dot-separated groups with at least one dot; 0 when there is none. */
static size_t
section_number_len(const char *s, size_t n)
{
    size_t i = 0, dots = 0;

    while (i < n && s[i] >= '0' && s[i] <= '9') {
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            i++;
        }
        if (i < n && s[i] == '.') {
            dots++;
            i++;
        } else {
            break;
        }
    }
    return dots > 0 ? i : 0;
}

/* Bytes of space-like characters at s[0..n). */
static size_t
space_len(const char *s, size_t n)
{
    size_t i = 0, len;
    unsigned long cp;

    while (i < n) {
        len = tokenizer_decode(s + i, n - i, &cp);
        if (!is_space(cp)) {
            break;
        }
        i += len;
    }
    return i;
}

int
query_normalize_title(const char *s, size_t n, struct strbuf *out)
{
    size_t i, len, sec, sp, k, base = out->len;
    int pending = 0;
    unsigned long cp;
    char f[2];

    if (n == 0) {
        return strbuf_ok(out) ? 0 : -1;
    }
    i = space_len(s, n);
    sec = section_number_len(s + i, n - i);
    if (sec > 0) {
        sp = space_len(s + i + sec, n - i - sec);
        /* "3.40.1" alone, or "1.5x", is a title, not a numbered one. */
        if (sp > 0 && i + sec + sp < n) {
            i += sec + sp;
        }
    }
    while (i < n) {
        len = tokenizer_decode(s + i, n - i, &cp);
        if (is_space(cp)) {
            pending = 1;
        } else if (!is_invisible(cp)) {
            if (pending && out->len > base) {
                strbuf_putc(out, ' ');
            }
            pending = 0;
            k = tokenizer_fold(cp, f);
            if (k == 0) {
                strbuf_append(out, s + i, len);
            } else {
                strbuf_append(out, f, k);
            }
        }
        i += len;
    }
    return strbuf_ok(out) ? 0 : -1;
}

/* 1 when the n bytes at w hold no letter or digit (TOKENIZER_SEP only). */
static int
no_word_char(const char *w, size_t n)
{
    size_t i = 0;
    unsigned long cp;

    while (i < n) {
        i += tokenizer_decode(w + i, n - i, &cp);
        if (tokenizer_class_of(cp) != TOKENIZER_SEP) {
            return 0;
        }
    }
    return 1;
}

/* One title's runs of words: cut[k] (k in 1..QUERY_AFFIX_MAX_WORDS) is
 * where its last k words start (suffix side) or its first k end (prefix
 * side), 0 when it has no more than k words (none of its own would be
 * left).  A title's words are single-space separated (normalised). */
struct affix_title {
    const char *s;
    size_t len;
    size_t cut[QUERY_AFFIX_MAX_WORDS + 1];
};

/* One candidate run: the n bytes at p, in a title. */
struct affix_run {
    const char *p;
    size_t n;
};

static int
run_cmp(const void *a, const void *b)
{
    const struct affix_run *x = a, *y = b;

    if (x->n != y->n) {
        return x->n < y->n ? -1 : 1;
    }
    return memcmp(x->p, y->p, x->n);
}

/* The cuts of title t (suffix 1: from its end). */
static void
affix_cuts(struct affix_title *t, int suffix)
{
    size_t i;
    int k = 0;

    memset(t->cut, 0, sizeof(t->cut));
    if (suffix) {
        for (i = t->len; i > 0 && k < QUERY_AFFIX_MAX_WORDS; i--) {
            if (t->s[i - 1] == ' ') {
                t->cut[++k] = i;
            }
        }
    } else {
        for (i = 0; i < t->len && k < QUERY_AFFIX_MAX_WORDS; i++) {
            if (t->s[i] == ' ') {
                t->cut[++k] = i;
            }
        }
    }
}

/* The longest set-off run of words (suffix 1: at the end) that enough of
 * total titles share, of the n in t, appended to out.  runs has room for
 * n. */
static void
affix_side_n(struct affix_title *t, size_t n, size_t total, int suffix,
             struct affix_run *runs, struct strbuf *out)
{
    size_t need = (total * QUERY_AFFIX_MIN_SHARE + 99) / 100, i, m;
    struct affix_run found = {NULL, 0};
    int k;

    if (need < QUERY_AFFIX_MIN_TITLES) {
        need = QUERY_AFFIX_MIN_TITLES;
    }
    for (i = 0; i < n; i++) {
        affix_cuts(&t[i], suffix);
    }
    for (k = 1; k <= QUERY_AFFIX_MAX_WORDS; k++) {
        struct affix_run best = {NULL, 0};
        size_t top = 0, run = 0, w;

        for (i = m = 0; i < n; i++) {
            size_t c = t[i].cut[k];

            if (c == 0) {
                continue;
            }
            runs[m].p = suffix ? t[i].s + c : t[i].s;
            runs[m].n = suffix ? t[i].len - c : c;
            m++;
        }
        if (m < need) {
            break;
        }
        qsort(runs, m, sizeof(*runs), run_cmp);
        for (i = 0; i < m; i++) {
            run = i > 0 && run_cmp(&runs[i - 1], &runs[i]) == 0 ? run + 1 : 1;
            if (run > top) {
                top = run;
                best = runs[i];
            }
        }
        if (top < need) {
            break; /* a longer run is no more frequent */
        }
        /* Set off: the suffix's first word, the prefix's last. */
        if (suffix) {
            for (w = 0; w < best.n && best.p[w] != ' '; w++) {
            }
            if (best.p[0] == '(' || best.p[0] == '[' ||
                no_word_char(best.p, w)) {
                found = best;
            }
        } else {
            for (w = best.n; w > 0 && best.p[w - 1] != ' '; w--) {
            }
            if (best.p[best.n - 1] == ':' ||
                no_word_char(best.p + w, best.n - w)) {
                found = best;
            }
        }
    }
    if (found.p != NULL) {
        strbuf_append(out, found.p, found.n);
    }
}

int
query_title_affix(const char *const *t, size_t n, struct strbuf *prefix,
                  struct strbuf *suffix)
{
    struct affix_title ti[QUERY_AFFIX_MAX_TITLES];
    struct affix_run runs[QUERY_AFFIX_MAX_TITLES];
    size_t i, m = 0;

    if (n > QUERY_AFFIX_MAX_TITLES) {
        n = QUERY_AFFIX_MAX_TITLES;
    }
    if (n < QUERY_AFFIX_MIN_TITLES) {
        return 0;
    }
    /* A title past QUERY_AFFIX_MAX_BYTES shares nothing (it still counts
     * among the n): the work stays bounded whatever the pages say. */
    for (i = 0; i < n; i++) {
        size_t len = strnlen(t[i], QUERY_AFFIX_MAX_BYTES + 1);

        if (len <= QUERY_AFFIX_MAX_BYTES) {
            ti[m].s = t[i];
            ti[m].len = len;
            m++;
        }
    }
    affix_side_n(ti, m, n, 1, runs, suffix);
    affix_side_n(ti, m, n, 0, runs, prefix);
    return strbuf_ok(prefix) && strbuf_ok(suffix) ? 0 : -1;
}
