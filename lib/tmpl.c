/*
 * tmpl: compiles Mustache-subset templates into flat node arrays and renders
 * them over Jansson values.  Layer: lib/, depends on strbuf, html, alloc,
 * Jansson and libc; never on microhttpd.h.  Compilation does all the work
 * that could fail on bad input (tag syntax, the _html rule for raw output,
 * standalone-line stripping), so rendering is a read-only walk whose state
 * (context stack, indentation) lives in stack frames of the rendering
 * thread.  Nodes refer to slices of the template's own copy of its source.
 */
#include "tmpl.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "html.h"

/* Directory levels tmpl_set_load_dir descends before giving up, so that a
 * symlink loop ends with an error instead of exhausting the stack. */
#define TMPL_MAX_DIR_DEPTH 16

enum node_type {
    NODE_TEXT,     /* literal text */
    NODE_VAR,      /* {{x}}: escaped */
    NODE_RAW,      /* {{{x_html}}} or {{&x_html}}: unescaped */
    NODE_SECTION,  /* {{#x}} ... {{/x}} */
    NODE_INVERTED, /* {{^x}} ... {{/x}} */
    NODE_PARTIAL   /* {{>name}} */
};

struct tmpl_node {
    enum node_type type;
    /* TEXT: the text begins a source line, so a partial's indentation goes
     * before it (an empty TEXT is such a mark before a tag).  PARTIAL: the
     * tag stood alone on its line and its indentation applies. */
    int flag;
    size_t off, len;       /* source slice: text, key or partial name */
    size_t ws_off, ws_len; /* PARTIAL: whitespace before a standalone tag */
    size_t end;            /* SECTION, INVERTED: index just past the body */
};

struct tmpl {
    char *name; /* owned */
    char *src;  /* owned copy of the source, NUL-terminated */
    size_t src_len;
    struct tmpl_node *nodes; /* owned */
    size_t n_nodes;
    size_t cap_nodes;
    uint64_t hash; /* FNV-1a of name and source */
};

struct tmpl_set {
    struct tmpl **tmpls; /* owned, sorted by name (byte order) */
    size_t n;
    size_t cap;
    char build_id[17];
};

/* ------------------------------------------------------------------ */
/* Errors                                                             */

static void set_error(struct tmpl_error *err, const char *file, int line,
                      const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Fills *err (when not NULL) with file, line and a formatted message. */
static void
set_error(struct tmpl_error *err, const char *file, int line, const char *fmt,
          ...)
{
    va_list ap;
    size_t n;

    if (err == NULL) {
        return;
    }
    n = strlen(file);
    if (n >= sizeof(err->file)) {
        n = sizeof(err->file) - 1;
    }
    memcpy(err->file, file, n);
    err->file[n] = '\0';
    err->line = line;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------ */
/* Hashing                                                            */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

/* Folds n bytes into an FNV-1a state and returns the new state. */
static uint64_t
fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= s[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* Recomputes set->build_id from the per-template hashes in name order. */
static void
update_build_id(struct tmpl_set *set)
{
    uint64_t h = FNV_OFFSET;
    size_t i;
    int k;

    for (i = 0; i < set->n; i++) {
        unsigned char b[8];

        for (k = 0; k < 8; k++) {
            b[k] = (unsigned char)(set->tmpls[i]->hash >> (8 * k));
        }
        h = fnv1a(h, b, sizeof(b));
    }
    for (k = 15; k >= 0; k--) {
        set->build_id[k] = "0123456789abcdef"[h & 15];
        h >>= 4;
    }
    set->build_id[16] = '\0';
}

/* ------------------------------------------------------------------ */
/* Set bookkeeping                                                    */

/* Compares a (ptr, len) name with a NUL-terminated one in byte order, the
 * same order strcmp gives, so one sorted array serves both. */
static int
name_cmp(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);
    int c = memcmp(a, b, alen < blen ? alen : blen);

    if (c != 0) {
        return c;
    }
    return alen < blen ? -1 : alen > blen;
}

/* Binary search for name (len bytes, borrowed).  Returns the template
 * (borrowed) or NULL; *at (when not NULL) gets its index, or the index
 * where it would be inserted. */
static struct tmpl *
find_tmpl(const struct tmpl_set *set, const char *name, size_t len, size_t *at)
{
    size_t lo = 0, hi = set->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = name_cmp(name, len, set->tmpls[mid]->name);

        if (c == 0) {
            if (at != NULL) {
                *at = mid;
            }
            return set->tmpls[mid];
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    if (at != NULL) {
        *at = lo;
    }
    return NULL;
}

/* Frees a template and everything it owns; NULL is accepted. */
static void
tmpl_free(struct tmpl *t)
{
    if (t == NULL) {
        return;
    }
    kw_free(t->name);
    kw_free(t->src);
    kw_free(t->nodes);
    kw_free(t);
}

/* Returns a new empty set, or NULL when out of memory. */
struct tmpl_set *
tmpl_set_new(void)
{
    struct tmpl_set *set = kw_calloc(1, sizeof(*set));

    if (set != NULL) {
        update_build_id(set);
    }
    return set;
}

/* Frees set (owned by the caller until now) and all its templates. */
void
tmpl_set_free(struct tmpl_set *set)
{
    size_t i;

    if (set == NULL) {
        return;
    }
    for (i = 0; i < set->n; i++) {
        tmpl_free(set->tmpls[i]);
    }
    kw_free(set->tmpls);
    kw_free(set);
}

/* 1 when name (borrowed) is in the set. */
int
tmpl_set_has(const struct tmpl_set *set, const char *name)
{
    return find_tmpl(set, name, strlen(name), NULL) != NULL;
}

/* Borrowed pointer into the set. */
const char *
tmpl_set_build_id(const struct tmpl_set *set)
{
    return set->build_id;
}

/* ------------------------------------------------------------------ */
/* Compiler                                                           */

enum tag_kind {
    TAG_VAR,
    TAG_RAW,
    TAG_SECTION,
    TAG_INVERTED,
    TAG_CLOSE,
    TAG_COMMENT,
    TAG_PARTIAL
};

struct open_section {
    size_t node; /* index of the SECTION or INVERTED node */
    int line;    /* where it was opened, for error messages */
};

struct compiler {
    struct tmpl *t;         /* borrowed: the template being built */
    const char *file;       /* borrowed: label for errors */
    struct tmpl_error *err; /* borrowed, may be NULL */
    size_t scanned;         /* newlines before this offset are counted */
    int line;               /* line number at `scanned` */
    size_t line_start;      /* offset where that line begins */
    size_t last_tag_end;    /* offset just past the previous tag */
    int bol;                /* the next output begins a source line */
    struct open_section open[TMPL_MAX_DEPTH];
    int n_open;
};

/* Moves the line counter forward to offset `to` (never backwards). */
static void
advance(struct compiler *c, size_t to)
{
    const char *s = c->t->src;
    size_t i;

    for (i = c->scanned; i < to; i++) {
        if (s[i] == '\n') {
            c->line++;
            c->line_start = i + 1;
        }
    }
    if (to > c->scanned) {
        c->scanned = to;
    }
}

/* Appends a node (copied) to the template; returns 0 or -1 on OOM with the
 * error filled in. */
static int
add_node(struct compiler *c, const struct tmpl_node *nd)
{
    struct tmpl *t = c->t;

    if (t->n_nodes == t->cap_nodes) {
        size_t cap = t->cap_nodes ? t->cap_nodes * 2 : 16;
        struct tmpl_node *p = kw_realloc(t->nodes, cap * sizeof(*p));

        if (p == NULL) {
            set_error(c->err, c->file, 0, "out of memory");
            return -1;
        }
        t->nodes = p;
        t->cap_nodes = cap;
    }
    t->nodes[t->n_nodes++] = *nd;
    return 0;
}

/* Adds the literal text [a, b) of the source, remembering whether it starts
 * a line; an empty range adds nothing.  Returns 0 or -1 (OOM). */
static int
add_text(struct compiler *c, size_t a, size_t b)
{
    struct tmpl_node nd = {NODE_TEXT, c->bol, a, b - a, 0, 0, 0};

    if (a == b) {
        return 0;
    }
    c->bol = c->t->src[b - 1] == '\n';
    return add_node(c, &nd);
}

/* Adds an empty line-start mark, so that indentation lands before a tag
 * that begins a line of a partial.  Returns 0 or -1 (OOM). */
static int
add_bol_mark(struct compiler *c, size_t at)
{
    struct tmpl_node nd = {NODE_TEXT, 1, at, 0, 0, 0, 0};

    c->bol = 0;
    return add_node(c, &nd);
}

/* Blanks that may surround a standalone tag on its line. */
static int
is_blank(char ch)
{
    return ch == ' ' || ch == '\t';
}

/* Whitespace trimmed from inside a tag, as in "{{ name }}". */
static int
is_space(char ch)
{
    return is_blank(ch) || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Characters of a key segment; deliberately narrow, so that a typo such
 * as "{{ #x}}" is an error rather than a variable called "#x". */
static int
is_name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

/* A key is "." or dot-separated non-empty segments of [A-Za-z0-9_-]. */
static int
valid_key(const char *s, size_t n)
{
    size_t i, seg = 0;

    if (n == 1 && s[0] == '.') {
        return 1;
    }
    for (i = 0; i < n; i++) {
        if (s[i] == '.') {
            if (seg == 0) {
                return 0;
            }
            seg = 0;
        } else if (is_name_char(s[i])) {
            seg++;
        } else {
            return 0;
        }
    }
    return seg > 0;
}

/* Partial names are template names: [A-Za-z0-9_-./], non-empty. */
static int
valid_partial_name(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!is_name_char(s[i]) && s[i] != '.' && s[i] != '/') {
            return 0;
        }
    }
    return n > 0;
}

/* The security rule: raw output only for keys whose last segment ends in
 * "_html", i.e. values that the code marked as already-safe markup. */
static int
raw_allowed(const char *s, size_t n)
{
    static const char suffix[] = "_html";
    const size_t sl = sizeof(suffix) - 1;
    size_t i = n;

    while (i > 0 && s[i - 1] != '.') {
        i--;
    }
    return n - i >= sl && memcmp(s + n - sl, suffix, sl) == 0;
}

/* Offset of the first occurrence of pat (NUL-terminated) in s[from, n), or
 * n when absent. */
static size_t
find(const char *s, size_t from, size_t n, const char *pat)
{
    size_t pl = strlen(pat), i;

    for (i = from; i + pl <= n; i++) {
        if (s[i] == pat[0] && memcmp(s + i, pat, pl) == 0) {
            return i;
        }
    }
    return n;
}

/* Opens a section: adds its node and pushes it.  Returns 0 or -1. */
static int
open_section(struct compiler *c, enum node_type type, size_t ks, size_t kl,
             int line)
{
    struct tmpl_node nd = {type, 0, ks, kl, 0, 0, 0};

    if (c->n_open == TMPL_MAX_DEPTH) {
        set_error(c->err, c->file, line, "sections nested deeper than %d",
                  TMPL_MAX_DEPTH);
        return -1;
    }
    c->open[c->n_open].node = c->t->n_nodes;
    c->open[c->n_open].line = line;
    if (add_node(c, &nd) < 0) {
        return -1;
    }
    c->n_open++;
    return 0;
}

/* Closes the innermost section, which must carry the same key.  Returns 0
 * or -1 with the error filled in. */
static int
close_section(struct compiler *c, size_t ks, size_t kl, int line)
{
    const char *s = c->t->src;
    struct tmpl_node *nd;
    const struct open_section *o;

    if (c->n_open == 0) {
        set_error(c->err, c->file, line, "{{/%.*s}} closes no open section",
                  (int)kl, s + ks);
        return -1;
    }
    o = &c->open[c->n_open - 1];
    nd = &c->t->nodes[o->node];
    if (nd->len != kl || memcmp(s + nd->off, s + ks, kl) != 0) {
        set_error(c->err, c->file, line,
                  "{{/%.*s}} does not match {{%c%.*s}} opened at line %d",
                  (int)kl, s + ks, nd->type == NODE_SECTION ? '#' : '^',
                  (int)nd->len, s + nd->off, o->line);
        return -1;
    }
    nd->end = c->t->n_nodes;
    c->n_open--;
    return 0;
}

/* Returns the offset just past the end of the line holding a standalone tag
 * that ends at `from` (trailing blanks, then "\n", "\r\n" or end of
 * source), or 0 when something else follows the tag on that line.  0 is
 * never a valid answer because a tag precedes `from`. */
static size_t
standalone_end(const char *s, size_t from, size_t n)
{
    size_t q = from;

    while (q < n && is_blank(s[q])) {
        q++;
    }
    if (q == n) {
        return n;
    }
    if (s[q] == '\n') {
        return q + 1;
    }
    if (s[q] == '\r' && q + 1 < n && s[q + 1] == '\n') {
        return q + 2;
    }
    return 0;
}

/* Compiles c->t->src into c->t->nodes.  Returns 0, or -1 with the error
 * filled in. */
static int
compile(struct compiler *c)
{
    const char *s = c->t->src;
    size_t n = c->t->src_len;
    size_t pos = 0;

    for (;;) {
        size_t t0 = find(s, pos, n, "{{");
        size_t p, close, ks, ke, tag_end, eol = 0, ls;
        const char *closer = "}}";
        enum tag_kind kind = TAG_VAR;
        int line, before_ok;

        if (t0 == n) {
            break;
        }
        advance(c, t0);
        line = c->line;
        ls = c->line_start;
        p = t0 + 3; /* past "{{" and the sigil, if there is one */
        switch (t0 + 2 < n ? s[t0 + 2] : '\0') {
        case '{':
            kind = TAG_RAW;
            closer = "}}}";
            break;
        case '&':
            kind = TAG_RAW;
            break;
        case '#':
            kind = TAG_SECTION;
            break;
        case '^':
            kind = TAG_INVERTED;
            break;
        case '/':
            kind = TAG_CLOSE;
            break;
        case '!':
            kind = TAG_COMMENT;
            break;
        case '>':
            kind = TAG_PARTIAL;
            break;
        case '=':
            set_error(c->err, c->file, line,
                      "set-delimiter tags are not supported");
            return -1;
        case '$':
        case '<':
            set_error(c->err, c->file, line,
                      "template inheritance tags are not supported");
            return -1;
        default:
            p--; /* no sigil: the key starts right after "{{" */
            break;
        }
        close = find(s, p, n, closer);
        if (close == n) {
            set_error(c->err, c->file, line, "unclosed tag (no '%s')", closer);
            return -1;
        }
        tag_end = close + strlen(closer);
        ks = p;
        ke = close;
        while (ks < ke && is_space(s[ks])) {
            ks++;
        }
        while (ke > ks && is_space(s[ke - 1])) {
            ke--;
        }
        if (kind == TAG_PARTIAL && !valid_partial_name(s + ks, ke - ks)) {
            set_error(c->err, c->file, line, "invalid partial name '%.*s'",
                      (int)(ke - ks), s + ks);
            return -1;
        }
        if (kind != TAG_PARTIAL && kind != TAG_COMMENT &&
            !valid_key(s + ks, ke - ks)) {
            set_error(c->err, c->file, line, "invalid tag name '%.*s'",
                      (int)(ke - ks), s + ks);
            return -1;
        }
        if (kind == TAG_RAW && !raw_allowed(s + ks, ke - ks)) {
            set_error(c->err, c->file, line,
                      "unescaped output of '%.*s' refused: only keys "
                      "ending in _html may use {{{ }}} or {{& }}",
                      (int)(ke - ks), s + ks);
            return -1;
        }

        /* Standalone: a non-output tag alone on its line, with only blanks
         * around it; the whole line then vanishes from the output. */
        before_ok = kind != TAG_VAR && kind != TAG_RAW && c->last_tag_end <= ls;
        for (p = ls; before_ok && p < t0; p++) {
            before_ok = is_blank(s[p]);
        }
        advance(c, tag_end);
        if (before_ok) {
            eol = standalone_end(s, tag_end, n);
        }
        c->last_tag_end = tag_end;
        if (eol != 0) {
            if (add_text(c, pos, ls) < 0) {
                return -1;
            }
            advance(c, eol);
            pos = eol;
        } else {
            if (add_text(c, pos, t0) < 0) {
                return -1;
            }
            if (c->bol && add_bol_mark(c, t0) < 0) {
                return -1;
            }
            pos = tag_end;
        }

        switch (kind) {
        case TAG_VAR:
        case TAG_RAW: {
            struct tmpl_node nd = {
                kind == TAG_VAR ? NODE_VAR : NODE_RAW, 0, ks, ke - ks, 0, 0, 0};

            if (add_node(c, &nd) < 0) {
                return -1;
            }
            break;
        }
        case TAG_SECTION:
        case TAG_INVERTED:
            if (open_section(c,
                             kind == TAG_SECTION ? NODE_SECTION : NODE_INVERTED,
                             ks, ke - ks, line) < 0) {
                return -1;
            }
            break;
        case TAG_CLOSE:
            if (close_section(c, ks, ke - ks, line) < 0) {
                return -1;
            }
            break;
        case TAG_COMMENT:
            break;
        case TAG_PARTIAL: {
            /* Only a standalone partial has an indentation. */
            struct tmpl_node nd = {
                NODE_PARTIAL, eol != 0, ks, ke - ks, 0, 0, 0};

            if (eol != 0) {
                nd.ws_off = ls;
                nd.ws_len = t0 - ls;
            }
            if (add_node(c, &nd) < 0) {
                return -1;
            }
            break;
        }
        }
    }
    if (add_text(c, pos, n) < 0) {
        return -1;
    }
    if (c->n_open > 0) {
        const struct open_section *o = &c->open[c->n_open - 1];
        const struct tmpl_node *nd = &c->t->nodes[o->node];

        set_error(c->err, c->file, o->line, "unclosed section {{%c%.*s}}",
                  nd->type == NODE_SECTION ? '#' : '^', (int)nd->len,
                  s + nd->off);
        return -1;
    }
    return 0;
}

/* Compiles src under name into the set.  name, src and file are borrowed
 * and copied; on error the set is left as it was. */
int
tmpl_set_add(struct tmpl_set *set, const char *name, const char *src,
             size_t len, const char *file, struct tmpl_error *err)
{
    struct compiler *c = NULL;
    struct tmpl *t = NULL;
    size_t at;
    int rc = -1;

    if (file == NULL) {
        file = name;
    }
    if (*name == '\0') {
        set_error(err, file, 0, "empty template name");
        return -1;
    }
    if (find_tmpl(set, name, strlen(name), &at) != NULL) {
        set_error(err, file, 0, "duplicate template name '%s'", name);
        return -1;
    }
    /* The compiler holds the open-section stack; keep it off the stack. */
    c = kw_calloc(1, sizeof(*c));
    t = kw_calloc(1, sizeof(*t));
    if (c == NULL || t == NULL) {
        set_error(err, file, 0, "out of memory");
        goto out;
    }
    t->name = kw_strdup(name);
    t->src = kw_malloc(len + 1);
    if (t->name == NULL || t->src == NULL) {
        set_error(err, file, 0, "out of memory");
        goto out;
    }
    if (len > 0) {
        memcpy(t->src, src, len);
    }
    t->src[len] = '\0';
    t->src_len = len;
    t->hash = fnv1a(fnv1a(FNV_OFFSET, name, strlen(name) + 1), src, len);

    c->t = t;
    c->file = file;
    c->err = err;
    c->line = 1;
    c->bol = 1;
    if (compile(c) < 0) {
        goto out;
    }

    if (set->n == set->cap) {
        size_t cap = set->cap ? set->cap * 2 : 16;
        struct tmpl **p = kw_realloc(set->tmpls, cap * sizeof(*p));

        if (p == NULL) {
            set_error(err, file, 0, "out of memory");
            goto out;
        }
        set->tmpls = p;
        set->cap = cap;
    }
    memmove(set->tmpls + at + 1, set->tmpls + at,
            (set->n - at) * sizeof(*set->tmpls));
    set->tmpls[at] = t;
    set->n++;
    t = NULL;
    update_build_id(set);
    rc = 0;
out:
    tmpl_free(t);
    kw_free(c);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Loading                                                            */

/* qsort comparator over an array of char * (borrowed). */
static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads path (borrowed) and adds it as template `name`.  Returns 0 or -1
 * with *err filled. */
static int
load_file(struct tmpl_set *set, const char *path, const char *name,
          struct tmpl_error *err)
{
    struct strbuf sb = STRBUF_INIT;
    FILE *f;
    int rc = -1;

    f = fopen(path, "rb");
    if (f == NULL) {
        set_error(err, path, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    for (;;) {
        size_t got;

        if (strbuf_grow(&sb, 4096) < 0) {
            set_error(err, path, 0, "out of memory");
            goto out;
        }
        got = fread(sb.buf + sb.len, 1, 4096, f);
        sb.len += got;
        sb.buf[sb.len] = '\0';
        if (sb.len > TMPL_MAX_SOURCE) {
            set_error(err, path, 0, "template larger than %d bytes",
                      TMPL_MAX_SOURCE);
            goto out;
        }
        if (got < 4096) {
            break;
        }
    }
    if (ferror(f)) {
        set_error(err, path, 0, "read error");
        goto out;
    }
    rc = tmpl_set_add(set, name, strbuf_peek(&sb), sb.len, path, err);
out:
    fclose(f);
    strbuf_free(&sb);
    return rc;
}

/* Loads *.html under dir (borrowed), naming templates prefix + relative
 * path without ".html", and *.xml under their full name.  Returns 0 or -1
 * with *err filled. */
static int
load_tree(struct tmpl_set *set, const char *dir, const char *prefix, int depth,
          struct tmpl_error *err)
{
    struct strbuf path = STRBUF_INIT, name = STRBUF_INIT;
    char **ents = NULL;
    size_t n = 0, cap = 0, i;
    struct dirent *de;
    DIR *d;
    int rc = -1;

    if (depth > TMPL_MAX_DIR_DEPTH) {
        set_error(err, dir, 0, "directories nested too deeply");
        return -1;
    }
    d = opendir(dir);
    if (d == NULL) {
        set_error(err, dir, 0, "cannot open directory: %s", strerror(errno));
        return -1;
    }
    /* Sorted order makes the first reported error reproducible. */
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') {
            continue;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            char **p = kw_realloc(ents, ncap * sizeof(*p));

            if (p == NULL) {
                goto oom;
            }
            ents = p;
            cap = ncap;
        }
        ents[n] = kw_strdup(de->d_name);
        if (ents[n] == NULL) {
            goto oom;
        }
        n++;
    }
    closedir(d);
    d = NULL;
    if (n > 0) {
        qsort(ents, n, sizeof(*ents), cmp_str);
    }
    for (i = 0; i < n; i++) {
        size_t el = strlen(ents[i]);
        struct stat st;

        strbuf_reset(&path);
        strbuf_reset(&name);
        strbuf_printf(&path, "%s/%s", dir, ents[i]);
        strbuf_printf(&name, "%s%s", prefix, ents[i]);
        if (!strbuf_ok(&path) || !strbuf_ok(&name)) {
            goto oom;
        }
        if (stat(path.buf, &st) < 0) {
            set_error(err, path.buf, 0, "cannot stat: %s", strerror(errno));
            goto out;
        }
        if (S_ISDIR(st.st_mode)) {
            if (strbuf_putc(&name, '/') < 0) {
                goto oom;
            }
            if (load_tree(set, path.buf, name.buf, depth + 1, err) < 0) {
                goto out;
            }
        } else if (S_ISREG(st.st_mode) && el > 5 &&
                   strcmp(ents[i] + el - 5, ".html") == 0) {
            name.len -= 5;
            name.buf[name.len] = '\0';
            if (load_file(set, path.buf, name.buf, err) < 0) {
                goto out;
            }
        } else if (S_ISREG(st.st_mode) && el > 4 &&
                   strcmp(ents[i] + el - 4, ".xml") == 0) {
            /* XML views (feeds, sitemaps) keep their extension. */
            if (load_file(set, path.buf, name.buf, err) < 0) {
                goto out;
            }
        }
    }
    rc = 0;
    goto out;
oom:
    set_error(err, dir, 0, "out of memory");
out:
    if (d != NULL) {
        closedir(d);
    }
    for (i = 0; i < n; i++) {
        kw_free(ents[i]);
    }
    kw_free(ents);
    strbuf_free(&path);
    strbuf_free(&name);
    return rc;
}

/* dir is borrowed. */
int
tmpl_set_load_dir(struct tmpl_set *set, const char *dir, struct tmpl_error *err)
{
    return load_tree(set, dir, "", 0, err);
}

/* ------------------------------------------------------------------ */
/* Renderer                                                           */

/* One entry of the context stack; lives in a render_nodes stack frame. */
struct frame {
    json_t *val;            /* borrowed */
    const struct frame *up; /* enclosing context, NULL at the root */
};

/* Indentation of standalone partials, innermost last; each link lives in a
 * render_nodes stack frame and borrows its text from a template source. */
struct indent {
    const char *s;
    size_t len;
    const struct indent *outer;
};

/* Appends the whole indentation chain, outermost first. */
static void
put_indent(struct strbuf *out, const struct indent *ind)
{
    if (ind != NULL) {
        put_indent(out, ind->outer);
        strbuf_append(out, ind->s, ind->len);
    }
}

/* Appends literal text; inside an indented partial every source line of
 * the text gets the indentation (not lines produced by values). */
static void
put_text(struct strbuf *out, const char *s, size_t len, int bol,
         const struct indent *ind)
{
    size_t a = 0, i;

    if (ind == NULL) {
        strbuf_append(out, s, len);
        return;
    }
    if (bol) {
        put_indent(out, ind);
    }
    for (i = 0; i + 1 < len; i++) {
        if (s[i] == '\n') {
            strbuf_append(out, s + a, i + 1 - a);
            put_indent(out, ind);
            a = i + 1;
        }
    }
    strbuf_append(out, s + a, len - a);
}

/* Resolves key (a source slice) against the context stack as the spec
 * says: the first segment in the innermost object that has it, the rest
 * only inside that value.  Returns a borrowed value or NULL when missing. */
static json_t *
lookup(const struct frame *ctx, const char *key, size_t len)
{
    const struct frame *f;
    json_t *v = NULL;
    size_t seg = 0;

    if (len == 1 && key[0] == '.') {
        return ctx->val;
    }
    while (seg < len && key[seg] != '.') {
        seg++;
    }
    for (f = ctx; f != NULL && v == NULL; f = f->up) {
        if (json_is_object(f->val)) {
            v = json_object_getn(f->val, key, seg);
        }
    }
    while (v != NULL && seg < len) {
        size_t start = seg + 1;

        seg = start;
        while (seg < len && key[seg] != '.') {
            seg++;
        }
        v = json_is_object(v) ? json_object_getn(v, key + start, seg - start)
                              : NULL;
    }
    return v;
}

/* Section truthiness: missing, null, false, [] and "" are false; numbers
 * (0 included) and objects ({} included) are true. */
static int
truthy(const json_t *v)
{
    if (v == NULL || json_is_null(v) || json_is_false(v)) {
        return 0;
    }
    if (json_is_array(v)) {
        return json_array_size(v) > 0;
    }
    if (json_is_string(v)) {
        return json_string_length(v) > 0;
    }
    return 1;
}

/* Formats a real in the shortest form that reads back exactly, so 1.21
 * prints as "1.21" rather than 1.2100000000000000. */
static void
format_real(char *buf, size_t size, double d)
{
    int prec;

    for (prec = 15; prec < 17; prec++) {
        snprintf(buf, size, "%.*g", prec, d);
        if (strtod(buf, NULL) == d) {
            return;
        }
    }
    snprintf(buf, size, "%.17g", d);
}

/* Appends a scalar value; arrays and objects print nothing. */
static void
put_value(struct strbuf *out, const json_t *v, int raw)
{
    char num[64];

    switch (json_typeof(v)) {
    case JSON_STRING:
        if (raw) {
            strbuf_append(out, json_string_value(v), json_string_length(v));
        } else {
            html_escape(out, json_string_value(v), json_string_length(v));
        }
        return;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
                 json_integer_value(v));
        break;
    case JSON_REAL:
        format_real(num, sizeof(num), json_real_value(v));
        break;
    case JSON_TRUE:
        strcpy(num, "true");
        break;
    case JSON_FALSE:
        strcpy(num, "false");
        break;
    default:
        return;
    }
    strbuf_puts(out, num);
}

/* Renders nodes [from, to) of t (borrowed) with ctx and ind, both chains
 * of caller stack frames.  Returns 0, or -1 on OOM or too deep nesting. */
static int
render_nodes(const struct tmpl_set *set, const struct tmpl *t, size_t from,
             size_t to, const struct frame *ctx, const struct indent *ind,
             int depth, struct strbuf *out)
{
    size_t i = from;

    if (depth > TMPL_MAX_DEPTH) {
        return -1;
    }
    while (i < to && strbuf_ok(out)) {
        const struct tmpl_node *nd = &t->nodes[i];
        const char *k = t->src + nd->off;
        json_t *v;

        switch (nd->type) {
        case NODE_TEXT:
            put_text(out, k, nd->len, nd->flag, ind);
            i++;
            break;
        case NODE_VAR:
        case NODE_RAW:
            v = lookup(ctx, k, nd->len);
            if (v != NULL) {
                put_value(out, v, nd->type == NODE_RAW);
            }
            i++;
            break;
        case NODE_SECTION:
            v = lookup(ctx, k, nd->len);
            if (json_is_array(v)) {
                size_t j;

                for (j = 0; j < json_array_size(v); j++) {
                    struct frame f = {json_array_get(v, j), ctx};

                    if (render_nodes(set, t, i + 1, nd->end, &f, ind, depth + 1,
                                     out) < 0) {
                        return -1;
                    }
                }
            } else if (truthy(v)) {
                struct frame f = {v, ctx};

                if (render_nodes(set, t, i + 1, nd->end, &f, ind, depth + 1,
                                 out) < 0) {
                    return -1;
                }
            }
            i = nd->end;
            break;
        case NODE_INVERTED:
            if (!truthy(lookup(ctx, k, nd->len)) &&
                render_nodes(set, t, i + 1, nd->end, ctx, ind, depth + 1, out) <
                    0) {
                return -1;
            }
            i = nd->end;
            break;
        case NODE_PARTIAL: {
            const struct tmpl *p = find_tmpl(set, k, nd->len, NULL);
            /* A standalone partial is indented by its own leading blanks
             * on top of ours; an inline one starts afresh, as if its
             * source were pasted in place. */
            struct indent sub = {t->src + nd->ws_off, nd->ws_len, ind};

            if (p != NULL &&
                render_nodes(set, p, 0, p->n_nodes, ctx, nd->flag ? &sub : NULL,
                             depth + 1, out) < 0) {
                return -1;
            }
            i++;
            break;
        }
        }
    }
    return strbuf_ok(out) ? 0 : -1;
}

/* Renders `name` with ctx (borrowed) into out (borrowed); see tmpl.h. */
int
tmpl_render(const struct tmpl_set *set, const char *name, json_t *ctx,
            struct strbuf *out)
{
    const struct tmpl *t = find_tmpl(set, name, strlen(name), NULL);
    struct frame root = {ctx, NULL};
    size_t start = out->len;

    if (t == NULL || !strbuf_ok(out)) {
        return -1;
    }
    if (render_nodes(set, t, 0, t->n_nodes, &root, NULL, 0, out) < 0) {
        if (strbuf_ok(out) && out->buf != NULL) {
            out->len = start;
            out->buf[start] = '\0';
        }
        return -1;
    }
    return 0;
}
