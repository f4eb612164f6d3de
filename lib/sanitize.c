/*
 * sanitize: allow-list HTML sanitizer, text/section/link extraction and
 * metadata for mirrored documents.  Layer: lib/, on gumbo, precheck,
 * strbuf, html, url and alloc; never <microhttpd.h>, never the database.
 * Untrusted bytes first go through precheck_html() (lib/precheck.c: a
 * cheap model of the tree builder, because gumbo 0.10.1 is super-linear on
 * deep or self-multiplying input), then gumbo parses them and an iterative
 * walk rebuilds the body from the tree: allowed elements and attributes
 * only, every text and attribute escaped.  The body is re-parsed until it
 * no longer changes, so the stored HTML is a fixed point of this module and
 * a browser cannot read it differently from the way we checked it.
 */
#include "sanitize.h"

#include <gumbo.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "ascii.h"
#include "html.h"
#include "precheck.h"
#include "url.h"

/* Re-parses of the body allowed before we give up on a fixed point. */
#define SANITIZE_ROUNDS 3
/* Ceilings on max_bytes and max_depth, whatever the caller asks. */
#define SANITIZE_HARD_MAX_BYTES ((size_t)512 << 20)
#define SANITIZE_HARD_MAX_DEPTH 10000
/* ids longer than this are dropped: nobody links to them. */
#define SANITIZE_ID_MAX 256

/* ------------------------------------------------------------------ */
/* URLs: RFC 3986 resolution and the scheme filter.                    */
/* ------------------------------------------------------------------ */

/*
 * Lowercase the scheme and the host of the URL url_resolve appended to out
 * at `start`, so the stored body does not depend on how a page or its base
 * spelled them.  Userinfo keeps its case.
 */
static void
lower_scheme_host(struct strbuf *out, size_t start)
{
    char *s = out->buf + start;
    size_t i, end, host;

    for (i = 0; s[i] != '\0' && s[i] != ':'; i++) {
        s[i] = (char)ascii_lower((unsigned char)s[i]);
    }
    if (s[i] != ':' || s[i + 1] != '/' || s[i + 2] != '/') {
        return;
    }
    host = i += 3;
    end = i + strcspn(s + i, "/?#");
    for (; i < end; i++) {
        if (s[i] == '@') {
            host = i + 1;
        }
    }
    for (i = host; i < end; i++) {
        s[i] = (char)ascii_lower((unsigned char)s[i]);
    }
}

/* See sanitize.h: url_resolve, then scheme and host lowercased.  base, ref
 * borrowed; appends to out (borrowed). */
int
sanitize_resolve_url(const char *base, const char *ref, struct strbuf *out)
{
    size_t start;

    if (base == NULL || ref == NULL || out == NULL) {
        return SANITIZE_INVALID;
    }
    start = out->len;
    if (url_resolve(base, ref, out) < 0) {
        return strbuf_ok(out) ? SANITIZE_INVALID : SANITIZE_NOMEM;
    }
    lower_scheme_host(out, start);
    return SANITIZE_OK;
}

/* 1 when url is an absolute http(s) URL with a host: a scheme (whatever
 * precedes the first ':' that comes before any '/', '?' or '#') of http or
 * https in any case, then "//" and a non-empty authority. */
static int
is_http_url(const char *url)
{
    size_t k = strcspn(url, ":/?#");
    const char *p = url + k + 1;

    if (url[k] != ':' || !(ascii_eq_nocase(url, k, "http") ||
                           ascii_eq_nocase(url, k, "https"))) {
        return 0;
    }
    return p[0] == '/' && p[1] == '/' && strcspn(p + 2, "/?#") > 0;
}

#define URL_IMG 1    /* img src: no mailto */
#define URL_NOBASE 2 /* no resolution: re-checking the hook's answer */
#define URL_LINK 4   /* record in the link list */
#define URL_HOOK 8   /* ask the rewrite hook */

/*
 * The scheme filter.  Browsers strip leading/trailing C0 and spaces and
 * every tab/CR/LF from URLs; we strip those too, plus any control or space
 * inside what precedes the first ':', so "java\1script:" cannot pass as
 * relative.  A ':' before any '/', '?' or '#' means a scheme, which must be
 * http, https or (not for images) mailto; anything else drops the URL.
 * Controls and spaces left are percent-encoded and '\' becomes '/' in the
 * path, as browsers do for http.  Writes the cleaned URL to t; returns 1
 * to keep, 0 to drop, -1 when out of memory.
 */
static int
url_filter(const char *raw, int img, struct strbuf *t)
{
    size_t a = 0, b = strlen(raw), i, k;
    int mailto = 0, in_path;

    strbuf_reset(t);
    while (a < b && (unsigned char)raw[a] <= 0x20) {
        a++;
    }
    while (b > a && (unsigned char)raw[b - 1] <= 0x20) {
        b--;
    }
    if (a == b) {
        return 0;
    }
    for (k = a; k < b && raw[k] != ':' && raw[k] != '/' && raw[k] != '?' &&
                raw[k] != '#';
         k++) {
    }
    if (k < b && raw[k] == ':') {
        char sch[8];
        size_t m = 0;

        for (i = a; i < k; i++) {
            unsigned char c = (unsigned char)raw[i];

            if (c <= 0x20 || c == 0x7f) {
                continue;
            }
            if (m == sizeof sch - 1) {
                return 0;
            }
            sch[m++] = (char)ascii_lower(c);
        }
        sch[m] = '\0';
        if (strcmp(sch, "mailto") == 0 && !img) {
            mailto = 1;
        } else if (strcmp(sch, "http") != 0 && strcmp(sch, "https") != 0) {
            return 0;
        }
        strbuf_puts(t, sch);
        a = k;
    }
    in_path = !mailto;
    for (i = a; i < b; i++) {
        unsigned char c = (unsigned char)raw[i];

        if (c == '\t' || c == '\n' || c == '\r') {
            continue;
        }
        if (c == '?' || c == '#') {
            in_path = 0;
        }
        if (c == '\\' && in_path) {
            c = '/';
        }
        if (c <= 0x20 || c == 0x7f) {
            strbuf_printf(t, "%%%02X", c);
        } else {
            strbuf_putc(t, c);
        }
    }
    return strbuf_ok(t) ? 1 : -1;
}

/* ------------------------------------------------------------------ */
/* Text sinks and metadata strings.                                    */
/* ------------------------------------------------------------------ */

/* Plain text with whitespace runs collapsed: a run inside a line becomes
 * one space, a block boundary one newline, nothing at either end. */
struct sanitize_text {
    struct strbuf sb;
    int space;
    int nl;
};

/* Write the pending separator before new text (none at the start). */
static void
text_flush(struct sanitize_text *t)
{
    if (t->sb.len > 0 && (t->nl || t->space)) {
        strbuf_putc(&t->sb, t->nl ? '\n' : ' ');
    }
    t->nl = 0;
    t->space = 0;
}

/* Append s[0..n) (gumbo text: valid UTF-8, but stay safe) dropping
 * controls other than whitespace and replacing invalid bytes. */
static void
text_put(struct sanitize_text *t, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run, k;

    while (i < n) {
        if (ascii_is_space(p[i]) || p[i] == '\v') {
            t->space = 1;
            i++;
            continue;
        }
        if (p[i] < 0x20 || p[i] == 0x7f) {
            i++;
            continue;
        }
        text_flush(t);
        run = i;
        while (i < n && p[i] > 0x20 && p[i] != 0x7f) {
            k = utf8_seq_len(p + i, n - i);
            if (k == 0) {
                strbuf_append(&t->sb, s + run, i - run);
                strbuf_puts(&t->sb, "\xef\xbf\xbd");
                run = ++i;
                continue;
            }
            i += k;
        }
        strbuf_append(&t->sb, s + run, i - run);
    }
}

/* A block boundary: the next text starts a new line. */
static void
text_break(struct sanitize_text *t)
{
    t->nl = 1;
}

/* Characters kept out of metadata: C1 controls, bidi embeddings,
 * overrides and isolates (an RLO in a title reverses the listing around
 * it) and the BOM. */
static int
meta_drop_cp(unsigned long cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069) || cp == 0xfeff;
}

/* Unicode spaces folded to one ASCII space in metadata. */
static int
meta_space_cp(unsigned long cp)
{
    return cp == 0xa0 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x3000;
}

static unsigned long
utf8_decode(const unsigned char *p, size_t k)
{
    unsigned long cp = k == 2 ? p[0] & 0x1f : k == 3 ? p[0] & 0x0f : p[0] & 7;
    size_t i;

    for (i = 1; i < k; i++) {
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    return cp;
}

/* Append s to the metadata buffer t: whitespace collapsed (Unicode spaces
 * too), controls and bidi formatting dropped, invalid UTF-8 replaced. */
static void
meta_put(struct sanitize_text *t, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;

    while (i < n) {
        unsigned long cp = p[i];

        k = utf8_seq_len(p + i, n - i);
        if (k > 1) {
            cp = utf8_decode(p + i, k);
        }
        if (ascii_is_space((int)cp) || cp == '\v' ||
            (k > 1 && meta_space_cp(cp))) {
            t->space = 1;
        } else if (k == 0) {
            text_flush(t);
            strbuf_puts(&t->sb, "\xef\xbf\xbd");
            k = 1;
        } else if (cp >= 0x20 && cp != 0x7f && !meta_drop_cp(cp)) {
            text_flush(t);
            strbuf_append(&t->sb, s + i, k);
        }
        i += k ? k : 1;
    }
}

/* Cut to SANITIZE_META_MAX bytes at a character boundary, then detach:
 * new owned string, NULL when empty.  Sets *oom on allocation failure. */
static char *
meta_finish(struct sanitize_text *t, int *oom)
{
    struct strbuf *sb = &t->sb;
    char *s;

    if (!strbuf_ok(sb)) {
        *oom = 1;
        strbuf_free(sb);
        return NULL;
    }
    if (sb->len > SANITIZE_META_MAX) {
        size_t k = SANITIZE_META_MAX;

        while (k > 0 && ((unsigned char)sb->buf[k] & 0xc0) == 0x80) {
            k--;
        }
        while (k > 0 && sb->buf[k - 1] == ' ') {
            k--;
        }
        sb->len = k;
        sb->buf[k] = '\0';
    }
    if (sb->len == 0) {
        strbuf_free(sb);
        t->space = t->nl = 0;
        return NULL;
    }
    s = strbuf_detach(sb, NULL);
    t->space = t->nl = 0;
    if (s == NULL) {
        *oom = 1;
    }
    return s;
}

/* New owned cleaned copy of s, NULL when s is NULL or cleans to empty. */
static char *
meta_dup(const char *s, int *oom)
{
    struct sanitize_text t = {STRBUF_INIT, 0, 0};

    if (s == NULL) {
        return NULL;
    }
    meta_put(&t, s, strlen(s));
    return meta_finish(&t, oom);
}

/* ------------------------------------------------------------------ */
/* The allow-lists.                                                    */
/* ------------------------------------------------------------------ */

enum { ACT_UNWRAP, ACT_KEEP, ACT_DROP };

static const unsigned char elem_act[GUMBO_TAG_LAST + 1] = {
    [GUMBO_TAG_H1] = ACT_KEEP,
    [GUMBO_TAG_H2] = ACT_KEEP,
    [GUMBO_TAG_H3] = ACT_KEEP,
    [GUMBO_TAG_H4] = ACT_KEEP,
    [GUMBO_TAG_H5] = ACT_KEEP,
    [GUMBO_TAG_H6] = ACT_KEEP,
    [GUMBO_TAG_P] = ACT_KEEP,
    [GUMBO_TAG_DIV] = ACT_KEEP,
    [GUMBO_TAG_SPAN] = ACT_KEEP,
    [GUMBO_TAG_SECTION] = ACT_KEEP,
    [GUMBO_TAG_ARTICLE] = ACT_KEEP,
    [GUMBO_TAG_HEADER] = ACT_KEEP,
    [GUMBO_TAG_FOOTER] = ACT_KEEP,
    [GUMBO_TAG_NAV] = ACT_KEEP,
    [GUMBO_TAG_MAIN] = ACT_KEEP,
    [GUMBO_TAG_ASIDE] = ACT_KEEP,
    [GUMBO_TAG_BLOCKQUOTE] = ACT_KEEP,
    [GUMBO_TAG_PRE] = ACT_KEEP,
    [GUMBO_TAG_CODE] = ACT_KEEP,
    [GUMBO_TAG_KBD] = ACT_KEEP,
    [GUMBO_TAG_SAMP] = ACT_KEEP,
    [GUMBO_TAG_VAR] = ACT_KEEP,
    [GUMBO_TAG_EM] = ACT_KEEP,
    [GUMBO_TAG_STRONG] = ACT_KEEP,
    [GUMBO_TAG_B] = ACT_KEEP,
    [GUMBO_TAG_I] = ACT_KEEP,
    [GUMBO_TAG_U] = ACT_KEEP,
    [GUMBO_TAG_S] = ACT_KEEP,
    [GUMBO_TAG_SMALL] = ACT_KEEP,
    [GUMBO_TAG_SUB] = ACT_KEEP,
    [GUMBO_TAG_SUP] = ACT_KEEP,
    [GUMBO_TAG_MARK] = ACT_KEEP,
    [GUMBO_TAG_ABBR] = ACT_KEEP,
    [GUMBO_TAG_CITE] = ACT_KEEP,
    [GUMBO_TAG_Q] = ACT_KEEP,
    [GUMBO_TAG_DFN] = ACT_KEEP,
    [GUMBO_TAG_TIME] = ACT_KEEP,
    [GUMBO_TAG_BR] = ACT_KEEP,
    [GUMBO_TAG_HR] = ACT_KEEP,
    [GUMBO_TAG_UL] = ACT_KEEP,
    [GUMBO_TAG_OL] = ACT_KEEP,
    [GUMBO_TAG_LI] = ACT_KEEP,
    [GUMBO_TAG_DL] = ACT_KEEP,
    [GUMBO_TAG_DT] = ACT_KEEP,
    [GUMBO_TAG_DD] = ACT_KEEP,
    [GUMBO_TAG_TABLE] = ACT_KEEP,
    [GUMBO_TAG_CAPTION] = ACT_KEEP,
    [GUMBO_TAG_THEAD] = ACT_KEEP,
    [GUMBO_TAG_TBODY] = ACT_KEEP,
    [GUMBO_TAG_TFOOT] = ACT_KEEP,
    [GUMBO_TAG_TR] = ACT_KEEP,
    [GUMBO_TAG_TH] = ACT_KEEP,
    [GUMBO_TAG_TD] = ACT_KEEP,
    [GUMBO_TAG_COLGROUP] = ACT_KEEP,
    [GUMBO_TAG_COL] = ACT_KEEP,
    [GUMBO_TAG_FIGURE] = ACT_KEEP,
    [GUMBO_TAG_FIGCAPTION] = ACT_KEEP,
    [GUMBO_TAG_IMG] = ACT_KEEP,
    [GUMBO_TAG_A] = ACT_KEEP,
    [GUMBO_TAG_DETAILS] = ACT_KEEP,
    [GUMBO_TAG_SUMMARY] = ACT_KEEP,
    [GUMBO_TAG_INS] = ACT_KEEP,
    [GUMBO_TAG_DEL] = ACT_KEEP,
    [GUMBO_TAG_RUBY] = ACT_KEEP,
    [GUMBO_TAG_RT] = ACT_KEEP,
    [GUMBO_TAG_RP] = ACT_KEEP,
    [GUMBO_TAG_WBR] = ACT_KEEP,
    [GUMBO_TAG_ADDRESS] = ACT_KEEP,
    /* Obsolete elements with an allowed twin the parser treats alike;
     * see elem_twin(). */
    [GUMBO_TAG_CENTER] = ACT_KEEP,
    [GUMBO_TAG_HGROUP] = ACT_KEEP,
    [GUMBO_TAG_FIELDSET] = ACT_KEEP,
    [GUMBO_TAG_LISTING] = ACT_KEEP,
    [GUMBO_TAG_DIR] = ACT_KEEP,
    [GUMBO_TAG_MENU] = ACT_KEEP,
    [GUMBO_TAG_STRIKE] = ACT_KEEP,
    [GUMBO_TAG_TT] = ACT_KEEP,
    [GUMBO_TAG_ACRONYM] = ACT_KEEP,
    /* Dropped with their content: raw text, foreign content, scripting,
     * embedding, forms and document-level elements. */
    [GUMBO_TAG_SCRIPT] = ACT_DROP,
    [GUMBO_TAG_STYLE] = ACT_DROP,
    [GUMBO_TAG_TITLE] = ACT_DROP,
    [GUMBO_TAG_TEXTAREA] = ACT_DROP,
    [GUMBO_TAG_XMP] = ACT_DROP,
    [GUMBO_TAG_IFRAME] = ACT_DROP,
    [GUMBO_TAG_NOEMBED] = ACT_DROP,
    [GUMBO_TAG_NOFRAMES] = ACT_DROP,
    [GUMBO_TAG_NOSCRIPT] = ACT_DROP,
    [GUMBO_TAG_PLAINTEXT] = ACT_DROP,
    [GUMBO_TAG_TEMPLATE] = ACT_DROP,
    [GUMBO_TAG_SVG] = ACT_DROP,
    [GUMBO_TAG_MATH] = ACT_DROP,
    [GUMBO_TAG_FORM] = ACT_DROP,
    [GUMBO_TAG_BASE] = ACT_DROP,
    [GUMBO_TAG_META] = ACT_DROP,
    [GUMBO_TAG_LINK] = ACT_DROP,
    [GUMBO_TAG_OBJECT] = ACT_DROP,
    [GUMBO_TAG_EMBED] = ACT_DROP,
    [GUMBO_TAG_HEAD] = ACT_DROP,
    [GUMBO_TAG_BUTTON] = ACT_DROP,
    [GUMBO_TAG_SELECT] = ACT_DROP,
    [GUMBO_TAG_INPUT] = ACT_DROP,
    [GUMBO_TAG_OPTION] = ACT_DROP,
    [GUMBO_TAG_OPTGROUP] = ACT_DROP,
    [GUMBO_TAG_DATALIST] = ACT_DROP,
    [GUMBO_TAG_KEYGEN] = ACT_DROP,
    [GUMBO_TAG_AUDIO] = ACT_DROP,
    [GUMBO_TAG_VIDEO] = ACT_DROP,
    [GUMBO_TAG_SOURCE] = ACT_DROP,
    [GUMBO_TAG_TRACK] = ACT_DROP,
    [GUMBO_TAG_CANVAS] = ACT_DROP,
    [GUMBO_TAG_APPLET] = ACT_DROP,
    [GUMBO_TAG_PARAM] = ACT_DROP,
    [GUMBO_TAG_FRAMESET] = ACT_DROP,
    [GUMBO_TAG_FRAME] = ACT_DROP,
    [GUMBO_TAG_ISINDEX] = ACT_DROP,
    [GUMBO_TAG_BGSOUND] = ACT_DROP,
};

/* The tag written for a kept element.  An obsolete element becomes the
 * allowed one the tree builder handles the same way (center and div both
 * close a p and nest the same), so the output re-parses into the same
 * tree; plain unwrapping could let e.g. a div land inside a p. */
static GumboTag
elem_twin(GumboTag t)
{
    switch (t) {
    case GUMBO_TAG_CENTER:
    case GUMBO_TAG_HGROUP:
    case GUMBO_TAG_FIELDSET:
        return GUMBO_TAG_DIV;
    case GUMBO_TAG_LISTING:
        return GUMBO_TAG_PRE;
    case GUMBO_TAG_DIR:
    case GUMBO_TAG_MENU:
        return GUMBO_TAG_UL;
    case GUMBO_TAG_STRIKE:
        return GUMBO_TAG_S;
    case GUMBO_TAG_TT:
        return GUMBO_TAG_CODE;
    case GUMBO_TAG_ACRONYM:
        return GUMBO_TAG_ABBR;
    default:
        return t;
    }
}

/* What to do with element n; *out gets the tag to write when kept. */
static int
elem_action(GumboNode *n, GumboTag *out)
{
    GumboElement *e = &n->v.element;
    GumboStringPiece name;

    *out = GUMBO_TAG_UNKNOWN;
    if (n->type != GUMBO_NODE_ELEMENT ||
        e->tag_namespace != GUMBO_NAMESPACE_HTML) {
        return ACT_DROP;
    }
    if (e->tag == GUMBO_TAG_UNKNOWN) {
        /* Elements newer than gumbo's tag table that load content. */
        name = e->original_tag;
        gumbo_tag_from_original_text(&name);
        if (ascii_eq_nocase(name.data, name.length, "portal")) {
            return ACT_DROP;
        }
        return ACT_UNWRAP;
    }
    if (elem_act[e->tag] == ACT_KEEP) {
        *out = elem_twin(e->tag);
    }
    return elem_act[e->tag];
}

/* Output tags without content or end tag. */
static int
elem_void(GumboTag t)
{
    return t == GUMBO_TAG_BR || t == GUMBO_TAG_HR || t == GUMBO_TAG_IMG ||
           t == GUMBO_TAG_WBR || t == GUMBO_TAG_COL;
}

/* Elements that do not end a line of extracted text. */
static int
elem_inline(GumboTag t)
{
    switch (t) {
    case GUMBO_TAG_A:
    case GUMBO_TAG_ABBR:
    case GUMBO_TAG_ACRONYM:
    case GUMBO_TAG_B:
    case GUMBO_TAG_BDI:
    case GUMBO_TAG_BDO:
    case GUMBO_TAG_BIG:
    case GUMBO_TAG_BLINK:
    case GUMBO_TAG_CITE:
    case GUMBO_TAG_CODE:
    case GUMBO_TAG_DATA:
    case GUMBO_TAG_DEL:
    case GUMBO_TAG_DFN:
    case GUMBO_TAG_EM:
    case GUMBO_TAG_FONT:
    case GUMBO_TAG_I:
    case GUMBO_TAG_IMG:
    case GUMBO_TAG_INS:
    case GUMBO_TAG_KBD:
    case GUMBO_TAG_LABEL:
    case GUMBO_TAG_MARK:
    case GUMBO_TAG_NOBR:
    case GUMBO_TAG_Q:
    case GUMBO_TAG_RB:
    case GUMBO_TAG_RP:
    case GUMBO_TAG_RT:
    case GUMBO_TAG_RTC:
    case GUMBO_TAG_RUBY:
    case GUMBO_TAG_S:
    case GUMBO_TAG_SAMP:
    case GUMBO_TAG_SMALL:
    case GUMBO_TAG_SPAN:
    case GUMBO_TAG_STRIKE:
    case GUMBO_TAG_STRONG:
    case GUMBO_TAG_SUB:
    case GUMBO_TAG_SUP:
    case GUMBO_TAG_TIME:
    case GUMBO_TAG_TT:
    case GUMBO_TAG_U:
    case GUMBO_TAG_VAR:
    case GUMBO_TAG_WBR:
    case GUMBO_TAG_UNKNOWN:
        return 1;
    default:
        return 0;
    }
}

enum {
    AK_NONE,
    AK_TEXT,   /* any text */
    AK_ID,     /* no whitespace, bounded */
    AK_LANG,   /* BCP 47 characters */
    AK_DIR,    /* ltr, rtl, auto */
    AK_UINT,   /* digits */
    AK_INT,    /* optional '-', digits */
    AK_OLTYPE, /* 1 a A i I */
    AK_URL,
};

/* The kind of attribute `name` on output tag t, AK_NONE when not allowed.
 * No style, no event handlers, no srcset: nothing that runs or loads. */
static int
attr_kind(GumboTag t, const char *name)
{
    if (strcmp(name, "id") == 0) {
        return AK_ID;
    }
    if (strcmp(name, "title") == 0 || strcmp(name, "class") == 0) {
        return AK_TEXT;
    }
    if (strcmp(name, "lang") == 0) {
        return AK_LANG;
    }
    if (strcmp(name, "dir") == 0) {
        return AK_DIR;
    }
    switch (t) {
    case GUMBO_TAG_A:
        if (strcmp(name, "href") == 0) {
            return AK_URL;
        }
        return strcmp(name, "name") == 0 ? AK_TEXT : AK_NONE;
    case GUMBO_TAG_IMG:
        if (strcmp(name, "src") == 0) {
            return AK_URL;
        }
        if (strcmp(name, "alt") == 0) {
            return AK_TEXT;
        }
        return strcmp(name, "width") == 0 || strcmp(name, "height") == 0
                   ? AK_UINT
                   : AK_NONE;
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
        return strcmp(name, "colspan") == 0 || strcmp(name, "rowspan") == 0
                   ? AK_UINT
                   : AK_NONE;
    case GUMBO_TAG_OL:
        if (strcmp(name, "start") == 0) {
            return AK_INT;
        }
        return strcmp(name, "type") == 0 ? AK_OLTYPE : AK_NONE;
    case GUMBO_TAG_TIME:
        return strcmp(name, "datetime") == 0 ? AK_TEXT : AK_NONE;
    case GUMBO_TAG_Q:
    case GUMBO_TAG_BLOCKQUOTE:
    case GUMBO_TAG_DEL:
    case GUMBO_TAG_INS:
        return strcmp(name, "cite") == 0 ? AK_URL : AK_NONE;
    default:
        return AK_NONE;
    }
}

/* 1 when s is 1..max ASCII digits. */
static int
all_digits(const char *s, size_t max)
{
    size_t n = strlen(s), i;

    if (n == 0 || n > max) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return 1;
}

/* 1 when a non-URL attribute value of kind k may be written as is. */
static int
attr_value_ok(int k, const char *v)
{
    size_t n = strlen(v), i;

    switch (k) {
    case AK_ID:
        if (n == 0 || n > SANITIZE_ID_MAX) {
            return 0;
        }
        for (i = 0; i < n; i++) {
            if (ascii_is_space((unsigned char)v[i])) {
                return 0;
            }
        }
        return 1;
    case AK_LANG:
        if (n > 35) {
            return 0;
        }
        for (i = 0; i < n; i++) {
            unsigned char c = (unsigned char)v[i];

            if (!ascii_is_alpha(c) && !(c >= '0' && c <= '9') && c != '-') {
                return 0;
            }
        }
        return 1;
    case AK_DIR:
        return ascii_eq_nocase(v, n, "ltr") || ascii_eq_nocase(v, n, "rtl") ||
               ascii_eq_nocase(v, n, "auto");
    case AK_UINT:
        return all_digits(v, 9);
    case AK_INT:
        return all_digits(v[0] == '-' ? v + 1 : v, 9);
    case AK_OLTYPE:
        return n == 1 && strchr("1aAiI", v[0]) != NULL;
    default:
        return 1;
    }
}

/* ------------------------------------------------------------------ */
/* The walk that writes the body.                                      */
/* ------------------------------------------------------------------ */

#define FR_BLOCK 1   /* ends a line of text */
#define FR_HEADING 2 /* starts a section */

struct sanitize_frame {
    GumboNode *node;
    unsigned int next; /* next child to visit */
    GumboTag out;      /* tag written, GUMBO_TAG_UNKNOWN when unwrapped */
    unsigned flags;
};

/* State of one walk: the body, its text and its sections.  The first pass
 * (full) also resolves against the base, calls the rewrite hook and
 * collects links; re-parse passes have no base and no hook, exactly as a
 * caller re-running sanitize_html on the output would. */
struct sanitize_pass {
    const struct sanitize_opts *opts;
    const char *base; /* NULL in re-parse passes */
    int full;
    struct strbuf body;
    struct sanitize_text text, sec, head;
    int in_heading;
    int out_depth;
    unsigned nheadings;
    struct sanitize_section *secs;
    size_t nsecs, capsecs;
    char *anchor;     /* the open section's anchor, owned */
    int have_heading; /* the open section has a heading */
    char *first_h1;
    struct sanitize_link *links;
    size_t nlinks, caplinks;
    struct strbuf url, tmp, hook, val; /* scratch */
    struct sanitize_frame *fr;
    size_t nfr, capfr;
};

/* Zero a pass; opts o is borrowed for its lifetime. */
static void
pass_init(struct sanitize_pass *p, const struct sanitize_opts *o, int full)
{
    memset(p, 0, sizeof *p);
    p->opts = o;
    p->full = full;
    p->base = full ? o->base_url : NULL;
}

/* Free a section's strings (not the struct, which lives in an array). */
static void
section_free(struct sanitize_section *s)
{
    kw_free(s->anchor);
    kw_free(s->heading);
    kw_free(s->text);
}

/* Release everything the pass still owns. */
static void
pass_free(struct sanitize_pass *p)
{
    size_t i;

    strbuf_free(&p->body);
    strbuf_free(&p->text.sb);
    strbuf_free(&p->sec.sb);
    strbuf_free(&p->head.sb);
    strbuf_free(&p->url);
    strbuf_free(&p->tmp);
    strbuf_free(&p->hook);
    strbuf_free(&p->val);
    for (i = 0; i < p->nsecs; i++) {
        section_free(&p->secs[i]);
    }
    kw_free(p->secs);
    for (i = 0; i < p->nlinks; i++) {
        kw_free(p->links[i].url);
    }
    kw_free(p->links);
    kw_free(p->anchor);
    kw_free(p->first_h1);
    kw_free(p->fr);
    memset(p, 0, sizeof *p);
}

/* Grow *arr (of *cap elements of size sz) to hold one more than n. */
static int
grow(void **arr, size_t *cap, size_t n, size_t sz)
{
    void *q;
    size_t c;

    if (n < *cap) {
        return 0;
    }
    c = *cap ? *cap * 2 : 16;
    q = kw_realloc(*arr, c * sz);
    if (q == NULL) {
        return -1;
    }
    *arr = q;
    *cap = c;
    return 0;
}

/* Append a copy of url (borrowed) to the link list. */
static int
add_link(struct sanitize_pass *p, const char *url, int is_image)
{
    char *u;

    if (grow((void **)&p->links, &p->caplinks, p->nlinks, sizeof *p->links) <
            0 ||
        (u = kw_strdup(url)) == NULL) {
        return SANITIZE_NOMEM;
    }
    p->links[p->nlinks].url = u;
    p->links[p->nlinks].is_image = is_image;
    p->nlinks++;
    return 0;
}

/* Close the open section and store it; an empty lead section is skipped. */
static int
section_end(struct sanitize_pass *p)
{
    struct sanitize_section *s;
    int oom = 0;

    if (!p->have_heading && p->sec.sb.len == 0) {
        return 0;
    }
    if (grow((void **)&p->secs, &p->capsecs, p->nsecs, sizeof *p->secs) < 0) {
        return SANITIZE_NOMEM;
    }
    s = &p->secs[p->nsecs];
    memset(s, 0, sizeof *s);
    s->anchor = p->anchor;
    p->anchor = NULL;
    p->nsecs++;
    if (p->have_heading) {
        s->heading = strbuf_detach(&p->head.sb, NULL);
        oom |= s->heading == NULL;
    }
    s->text = strbuf_detach(&p->sec.sb, NULL);
    oom |= s->text == NULL;
    p->head.space = p->head.nl = p->sec.space = p->sec.nl = 0;
    p->have_heading = 0;
    return oom ? SANITIZE_NOMEM : 0;
}

/* 1 when the filtered URL t starts with an http or https scheme. */
static int
has_http_scheme(const char *t)
{
    return strncmp(t, "http:", 5) == 0 || strncmp(t, "https:", 6) == 0;
}

/*
 * Clean a URL value: filter, resolve against the base (unless
 * URL_NOBASE; re-parse passes have none), ask the hook (URL_HOOK), record
 * the link (URL_LINK).  Appends the value to write to out; returns 1 to
 * write it, 0 to drop the attribute, <0 on error.
 */
static int
url_clean(struct sanitize_pass *p, const char *attr, const char *raw, int flags,
          struct strbuf *out)
{
    const char *t;
    int rc, hooked = 0;

    rc = url_filter(raw, flags & URL_IMG, &p->tmp);
    if (rc <= 0) {
        return rc < 0 ? SANITIZE_NOMEM : 0;
    }
    t = strbuf_peek(&p->tmp);
    strbuf_reset(&p->url);
    if (has_http_scheme(t)) {
        /* Absolute URLs are normalised too, so the output is stable. */
        rc = sanitize_resolve_url(t, t, &p->url);
    } else if (strncmp(t, "mailto:", 7) != 0 && p->base != NULL &&
               !(flags & URL_NOBASE)) {
        rc = sanitize_resolve_url(p->base, t, &p->url);
    } else {
        rc = strbuf_puts(&p->url, t) < 0 ? SANITIZE_NOMEM : 0;
    }
    if (rc < 0) {
        return SANITIZE_NOMEM;
    }
    if (p->full && (flags & URL_HOOK) && p->opts->rewrite_url != NULL) {
        strbuf_reset(&p->hook);
        rc = p->opts->rewrite_url(p->opts->ctx, attr, strbuf_peek(&p->url),
                                  &p->hook);
        if (rc < 0) {
            return SANITIZE_CALLBACK;
        }
        if (!strbuf_ok(&p->hook)) {
            return SANITIZE_NOMEM;
        }
        if (rc != SANITIZE_URL_KEEP) {
            return 0;
        }
        hooked = p->hook.len > 0;
    }
    if (p->full && (flags & URL_LINK) &&
        (rc = add_link(p, strbuf_peek(&p->url), flags & URL_IMG)) < 0) {
        return rc;
    }
    if (hooked) {
        /* The hook's answer passes the same filter, as it would when the
         * output is sanitized again. */
        return url_clean(p, attr, strbuf_peek(&p->hook),
                         (flags & URL_IMG) | URL_NOBASE, out);
    }
    return strbuf_append(out, p->url.buf, p->url.len) < 0 ? SANITIZE_NOMEM : 1;
}

/* Write name="v" with v escaped; name is one of our constants. */
static void
put_attr(struct strbuf *sb, const char *name, const char *v, size_t n)
{
    strbuf_putc(sb, ' ');
    strbuf_puts(sb, name);
    strbuf_puts(sb, "=\"");
    html_escape(sb, v, n);
    strbuf_putc(sb, '"');
}

/* Write the allowed attributes of e for output tag t.  id_first, when
 * not NULL, is a generated id written first (the source id was missing or
 * invalid). */
static int
put_attrs(struct sanitize_pass *p, GumboElement *e, GumboTag t,
          const char *id_first)
{
    unsigned i;
    int k, rc;

    if (id_first != NULL) {
        put_attr(&p->body, "id", id_first, strlen(id_first));
    }
    for (i = 0; i < e->attributes.length; i++) {
        GumboAttribute *a = e->attributes.data[i];
        const char *v = a->value;

        if (a->attr_namespace != GUMBO_ATTR_NAMESPACE_NONE) {
            continue;
        }
        k = attr_kind(t, a->name);
        if (k == AK_NONE || (k == AK_ID && id_first != NULL)) {
            continue;
        }
        if (k == AK_URL) {
            int flags = URL_HOOK;

            if (t == GUMBO_TAG_IMG) {
                flags |= URL_IMG | URL_LINK;
            } else if (t == GUMBO_TAG_A) {
                flags |= URL_LINK;
            }
            strbuf_reset(&p->val);
            rc = url_clean(p, a->name, v, flags, &p->val);
            if (rc < 0) {
                return rc;
            }
            if (rc == 1) {
                put_attr(&p->body, a->name, p->val.buf, p->val.len);
            }
            continue;
        }
        if (!attr_value_ok(k, v)) {
            continue;
        }
        if (k == AK_DIR) {
            char d[5];
            size_t j;

            for (j = 0; v[j] != '\0' && j < 4; j++) {
                d[j] = (char)ascii_lower((unsigned char)v[j]);
            }
            d[j] = '\0';
            put_attr(&p->body, a->name, d, j);
            continue;
        }
        put_attr(&p->body, a->name, v, strlen(v));
    }
    return strbuf_ok(&p->body) ? 0 : SANITIZE_NOMEM;
}

/* The source id of e when valid, else NULL (borrowed). */
static const char *
elem_id(GumboElement *e)
{
    GumboAttribute *a = gumbo_get_attribute(&e->attributes, "id");

    if (a == NULL || a->attr_namespace != GUMBO_ATTR_NAMESPACE_NONE ||
        !attr_value_ok(AK_ID, a->value)) {
        return NULL;
    }
    return a->value;
}

/* Push a walk frame for node n (borrowed from the gumbo tree). */
static int
frame_push(struct sanitize_pass *p, GumboNode *n, GumboTag out, unsigned flags)
{
    struct sanitize_frame *f;

    if (grow((void **)&p->fr, &p->capfr, p->nfr, sizeof *p->fr) < 0) {
        return SANITIZE_NOMEM;
    }
    f = &p->fr[p->nfr++];
    f->node = n;
    f->next = 0;
    f->out = out;
    f->flags = flags;
    return 0;
}

/* Send text to the document text and to the heading or section text. */
static void
text_route(struct sanitize_pass *p, const char *s, size_t n)
{
    text_put(&p->text, s, n);
    text_put(p->in_heading ? &p->head : &p->sec, s, n);
}

/* A block boundary for the text sinks; inside a heading, just a space. */
static void
break_route(struct sanitize_pass *p)
{
    text_break(&p->text);
    if (p->in_heading) {
        p->head.space = 1;
    } else {
        text_break(&p->sec);
    }
}

/* A text node (borrowed): escaped into the body, collapsed into text. */
static void
emit_text(struct sanitize_pass *p, const char *s)
{
    size_t n = strlen(s);

    text_route(p, s, n);
    /* Leading whitespace would land in <head> when the body is parsed
     * again: drop it so the output is a fixed point. */
    if (p->body.len == 0) {
        while (n > 0 && ascii_is_space((unsigned char)*s)) {
            s++;
            n--;
        }
    }
    if (n > 0) {
        html_escape(&p->body, s, n);
    }
}

/* A heading that starts a section: close the previous section and open a
 * new one anchored at the heading's id (generated when missing). */
static int
heading_start(struct sanitize_pass *p, GumboElement *e, const char **gen,
              char *buf, size_t bufsz)
{
    const char *id = elem_id(e);
    int rc;

    p->nheadings++;
    *gen = NULL;
    if (id == NULL) {
        snprintf(buf, bufsz, "sec-%u", p->nheadings);
        *gen = buf;
        id = buf;
    }
    if ((rc = section_end(p)) < 0) {
        return rc;
    }
    p->anchor = kw_strdup(id);
    if (p->anchor == NULL) {
        return SANITIZE_NOMEM;
    }
    p->have_heading = 1;
    return 0;
}

/* Enter element n: drop it, unwrap it (visit its children only) or
 * write its start tag with allowed attributes, then visit its children. */
static int
elem_open(struct sanitize_pass *p, GumboNode *n)
{
    GumboElement *e = &n->v.element;
    GumboTag out;
    int act = elem_action(n, &out), rc;
    unsigned flags = 0;
    const char *gen = NULL;
    char idbuf[32];

    if (act == ACT_DROP) {
        return 0;
    }
    if (!elem_inline(e->tag)) {
        flags |= FR_BLOCK;
        break_route(p);
    }
    /* Too deep: keep the text, lose the element. */
    if (act == ACT_KEEP && p->out_depth >= p->opts->max_depth) {
        act = ACT_UNWRAP;
    }
    if (act == ACT_UNWRAP) {
        return frame_push(p, n, GUMBO_TAG_UNKNOWN, flags);
    }
    if (out >= GUMBO_TAG_H1 && out <= GUMBO_TAG_H4 && !p->in_heading) {
        if ((rc = heading_start(p, e, &gen, idbuf, sizeof idbuf)) < 0) {
            return rc;
        }
        flags |= FR_HEADING;
        p->in_heading = 1;
    }
    strbuf_putc(&p->body, '<');
    strbuf_puts(&p->body, gumbo_normalized_tagname(out));
    if ((rc = put_attrs(p, e, out, gen)) < 0) {
        return rc;
    }
    strbuf_putc(&p->body, '>');
    if (out == GUMBO_TAG_PRE) {
        /* The parser eats one newline after <pre>: give it one to eat. */
        strbuf_putc(&p->body, '\n');
    }
    if (elem_void(out)) {
        if (flags & FR_BLOCK) {
            break_route(p);
        }
        return 0;
    }
    p->out_depth++;
    return frame_push(p, n, out, flags);
}

/* Leave the element of frame f: end tag, section and text bookkeeping. */
static int
elem_close(struct sanitize_pass *p, const struct sanitize_frame *f)
{
    if (f->out != GUMBO_TAG_UNKNOWN) {
        strbuf_puts(&p->body, "</");
        strbuf_puts(&p->body, gumbo_normalized_tagname(f->out));
        strbuf_putc(&p->body, '>');
        p->out_depth--;
    }
    if (f->flags & FR_HEADING) {
        p->in_heading = 0;
        if (f->out == GUMBO_TAG_H1 && p->first_h1 == NULL &&
            p->head.sb.len > 0) {
            p->first_h1 = kw_strdup(p->head.sb.buf);
            if (p->first_h1 == NULL) {
                return SANITIZE_NOMEM;
            }
        }
    }
    if (f->flags & FR_BLOCK) {
        break_route(p);
    }
    return 0;
}

/* Children of a document or element node (borrowed). */
static const GumboVector *
node_children(const GumboNode *n)
{
    return n->type == GUMBO_NODE_DOCUMENT ? &n->v.document.children
                                          : &n->v.element.children;
}

/* Iterative depth-first walk: hostile trees can be deep enough to
 * overflow a recursive one. */
static int
walk(struct sanitize_pass *p, GumboNode *doc)
{
    int rc;

    if ((rc = frame_push(p, doc, GUMBO_TAG_UNKNOWN, 0)) < 0) {
        return rc;
    }
    while (p->nfr > 0) {
        struct sanitize_frame *f = &p->fr[p->nfr - 1];
        const GumboVector *kids = node_children(f->node);
        GumboNode *c;

        if (f->next >= kids->length) {
            rc = elem_close(p, f);
            p->nfr--;
            if (rc < 0) {
                return rc;
            }
            continue;
        }
        c = kids->data[f->next++];
        if (c->type == GUMBO_NODE_TEXT || c->type == GUMBO_NODE_WHITESPACE) {
            emit_text(p, c->v.text.text);
        } else if (c->type == GUMBO_NODE_ELEMENT) {
            if ((rc = elem_open(p, c)) < 0) {
                return rc;
            }
        }
        /* Comments, CDATA (foreign content only) and templates: dropped. */
    }
    if ((rc = section_end(p)) < 0) {
        return rc;
    }
    if (!strbuf_ok(&p->body) || !strbuf_ok(&p->text.sb) ||
        !strbuf_ok(&p->sec.sb) || !strbuf_ok(&p->head.sb)) {
        return SANITIZE_NOMEM;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* Metadata.                                                           */
/* ------------------------------------------------------------------ */

enum { M_TITLE, M_DATE, M_LANG, M_DESC, M_AUTHORS, M_FIELDS };

/* Meta names in priority order per field: a lower rank wins. */
struct sanitize_meta_name {
    const char *name;
    int field;
    int rank;
};

static const struct sanitize_meta_name meta_names[] = {
    {"citation_title", M_TITLE, 0},
    {"dc.title", M_TITLE, 1},
    {"dcterms.title", M_TITLE, 1},
    {"og:title", M_TITLE, 2},
    {"citation_author", M_AUTHORS, 0},
    {"dc.creator", M_AUTHORS, 1},
    {"dcterms.creator", M_AUTHORS, 1},
    {"author", M_AUTHORS, 2},
    {"citation_date", M_DATE, 0},
    {"citation_publication_date", M_DATE, 1},
    {"dc.date", M_DATE, 2},
    {"dcterms.date", M_DATE, 2},
    {"dc.date.issued", M_DATE, 2},
    {"dcterms.issued", M_DATE, 2},
    {"article:published_time", M_DATE, 3},
    {"dc.language", M_LANG, 2},
    {"dcterms.language", M_LANG, 2},
    {"description", M_DESC, 0},
    {"og:description", M_DESC, 1},
    {"dc.description", M_DESC, 2},
    {"dcterms.description", M_DESC, 2},
};

#define META_RANKS 5

/* Borrowed candidates, indexed by field and rank; authors accumulate. */
struct sanitize_meta {
    const char *val[M_FIELDS][META_RANKS];
    struct sanitize_text authors[3];
    GumboNode *title_el;
    const char *canonical;
};

/* Value of attribute name on e, borrowed from the tree, or NULL. */
static const char *
attr_value(GumboElement *e, const char *name)
{
    GumboAttribute *a = gumbo_get_attribute(&e->attributes, name);

    return a != NULL ? a->value : NULL;
}

/* 1 when the space-separated token list v contains tok (ASCII case). */
static int
has_token(const char *v, const char *tok)
{
    size_t n = strlen(tok);

    while (*v != '\0') {
        size_t k = 0;

        while (ascii_is_space((unsigned char)*v)) {
            v++;
        }
        while (v[k] != '\0' && !ascii_is_space((unsigned char)v[k])) {
            k++;
        }
        if (k == n && ascii_eq_nocase(v, k, tok)) {
            return 1;
        }
        v += k;
    }
    return 0;
}

/* Record metadata candidates from element n (borrowed pointers into
 * the tree, valid until it is freed). */
static void
meta_element(struct sanitize_meta *m, GumboNode *n)
{
    GumboElement *e = &n->v.element;
    const char *name, *content, *v;
    size_t i, len;

    switch (e->tag) {
    case GUMBO_TAG_TITLE:
        if (m->title_el == NULL) {
            m->title_el = n;
        }
        return;
    case GUMBO_TAG_LINK:
        v = attr_value(e, "rel");
        if (m->canonical == NULL && v != NULL && has_token(v, "canonical")) {
            m->canonical = attr_value(e, "href");
        }
        return;
    case GUMBO_TAG_META:
        break;
    default:
        return;
    }
    content = attr_value(e, "content");
    if (content == NULL) {
        return;
    }
    v = attr_value(e, "http-equiv");
    if (v != NULL && ascii_eq_nocase(v, strlen(v), "content-language")) {
        if (m->val[M_LANG][1] == NULL) {
            m->val[M_LANG][1] = content;
        }
        return;
    }
    name = attr_value(e, "name");
    if (name == NULL) {
        name = attr_value(e, "property"); /* Open Graph uses property */
    }
    if (name == NULL) {
        return;
    }
    len = strlen(name);
    for (i = 0; i < sizeof meta_names / sizeof meta_names[0]; i++) {
        const struct sanitize_meta_name *mn = &meta_names[i];

        if (!ascii_eq_nocase(name, len, mn->name)) {
            continue;
        }
        if (mn->field == M_AUTHORS) {
            struct sanitize_text *t = &m->authors[mn->rank];
            size_t before = t->sb.len;

            /* "; " between authors; a blank one adds nothing. */
            if (before > 0) {
                strbuf_putc(&t->sb, ';');
                t->space = 1;
            }
            meta_put(t, content, strlen(content));
            if (before > 0 && t->sb.len == before + 1) {
                t->sb.len = before;
                t->sb.buf[before] = '\0';
            }
            t->space = 0;
        } else if (m->val[mn->field][mn->rank] == NULL) {
            m->val[mn->field][mn->rank] = content;
        }
        return;
    }
}

/* Collect metadata candidates from the whole tree (head and body), walking
 * iteratively; svg/math and template content do not count. */
static int
meta_collect(struct sanitize_pass *p, GumboOutput *doc, struct sanitize_meta *m)
{
    int rc;

    if (doc->root != NULL && doc->root->type == GUMBO_NODE_ELEMENT) {
        m->val[M_LANG][0] = attr_value(&doc->root->v.element, "lang");
    }
    if ((rc = frame_push(p, doc->document, GUMBO_TAG_UNKNOWN, 0)) < 0) {
        return rc;
    }
    while (p->nfr > 0) {
        struct sanitize_frame *f = &p->fr[p->nfr - 1];
        const GumboVector *kids = node_children(f->node);
        GumboNode *c;

        if (f->next >= kids->length) {
            p->nfr--;
            continue;
        }
        c = kids->data[f->next++];
        if (c->type != GUMBO_NODE_ELEMENT ||
            c->v.element.tag_namespace != GUMBO_NAMESPACE_HTML) {
            continue;
        }
        meta_element(m, c);
        if (c->v.element.children.length > 0 &&
            (rc = frame_push(p, c, GUMBO_TAG_UNKNOWN, 0)) < 0) {
            return rc;
        }
    }
    return 0;
}

/* The first candidate of `field` that cleans to a non-empty string. */
static char *
meta_pick(const struct sanitize_meta *m, int field, int *oom)
{
    int r;
    char *s;

    for (r = 0; r < META_RANKS; r++) {
        if ((s = meta_dup(m->val[field][r], oom)) != NULL) {
            return s;
        }
    }
    return NULL;
}

/* Fill the metadata fields of out from m (borrowing from the live tree)
 * and the first h1; returns 0 or SANITIZE_NOMEM. */
static int
meta_store(struct sanitize_pass *p, struct sanitize_meta *m,
           struct sanitize_result *out)
{
    int oom = 0, i, rc;

    out->title = meta_pick(m, M_TITLE, &oom);
    if (out->title == NULL && m->title_el != NULL) {
        struct sanitize_text t = {STRBUF_INIT, 0, 0};
        const GumboVector *kids = &m->title_el->v.element.children;
        unsigned k;

        for (k = 0; k < kids->length; k++) {
            GumboNode *c = kids->data[k];

            if (c->type == GUMBO_NODE_TEXT ||
                c->type == GUMBO_NODE_WHITESPACE) {
                meta_put(&t, c->v.text.text, strlen(c->v.text.text));
            }
        }
        out->title = meta_finish(&t, &oom);
    }
    if (out->title == NULL) {
        out->title = meta_dup(p->first_h1, &oom);
    }
    out->date = meta_pick(m, M_DATE, &oom);
    out->language = meta_pick(m, M_LANG, &oom);
    out->description = meta_pick(m, M_DESC, &oom);
    for (i = 0; i < 3 && out->authors == NULL; i++) {
        out->authors = meta_finish(&m->authors[i], &oom);
    }
    if (m->canonical != NULL) {
        strbuf_reset(&p->val);
        rc = url_clean(p, "href", m->canonical, 0, &p->val);
        if (rc == SANITIZE_NOMEM) {
            oom = 1;
        } else if (rc == 1 && p->val.len <= SANITIZE_META_MAX &&
                   is_http_url(p->val.buf)) {
            out->canonical = kw_strdup(p->val.buf);
            oom |= out->canonical == NULL;
        }
    }
    return oom ? SANITIZE_NOMEM : 0;
}

/* ------------------------------------------------------------------ */
/* Entry points.                                                       */
/* ------------------------------------------------------------------ */

/* See sanitize.h. */
void
sanitize_result_free(struct sanitize_result *r)
{
    size_t i;

    if (r == NULL) {
        return;
    }
    kw_free(r->body_html);
    kw_free(r->text);
    kw_free(r->title);
    kw_free(r->authors);
    kw_free(r->date);
    kw_free(r->language);
    kw_free(r->description);
    kw_free(r->canonical);
    for (i = 0; i < r->nlinks; i++) {
        kw_free(r->links[i].url);
    }
    kw_free(r->links);
    for (i = 0; i < r->nsections; i++) {
        section_free(&r->sections[i]);
    }
    kw_free(r->sections);
    memset(r, 0, sizeof *r);
}

/* See sanitize.h; static strings. */
const char *
sanitize_strerror(int code)
{
    switch (code) {
    case SANITIZE_OK:
        return "ok";
    case SANITIZE_TOO_LARGE:
        return "too large";
    case SANITIZE_TOO_COMPLEX:
        return "too complex";
    case SANITIZE_NOMEM:
        return "out of memory";
    case SANITIZE_PARSE:
        return "unparsable or unstable markup";
    case SANITIZE_INVALID:
        return "invalid argument";
    case SANITIZE_CALLBACK:
        return "URL rewrite failed";
    default:
        return "unknown error";
    }
}

/* Parse html and run one pass over it.  With m and out (the first pass),
 * metadata is collected too and stored in out while the tree, which the
 * candidates borrow from, is alive.  The tree is freed before return. */
static int
parse_walk(struct sanitize_pass *p, const char *html, size_t len,
           struct sanitize_meta *m, struct sanitize_result *out)
{
    GumboOptions g = kGumboDefaultOptions;
    GumboOutput *doc;
    int rc;

    g.max_errors = 0; /* errors are not used; don't let them eat memory */
    doc = gumbo_parse_with_options(&g, len > 0 ? html : "", len);
    if (doc == NULL || doc->document == NULL) {
        return SANITIZE_PARSE;
    }
    rc = m != NULL ? meta_collect(p, doc, m) : 0;
    if (rc == 0) {
        rc = walk(p, doc->document);
    }
    if (rc == 0 && m != NULL) {
        rc = meta_store(p, m, out);
    }
    gumbo_destroy_output(&g, doc);
    return rc;
}

/* Re-parse the body until it maps to itself.  *body (owned) is replaced
 * by the fixed point.  `last` (initialised by the caller, who frees it)
 * ends as the pass that verified it; *changed says whether the body moved,
 * in which case that pass's text and sections are the ones that match. */
static int
settle(const struct sanitize_opts *o, char **body, size_t *len,
       struct sanitize_pass *last, int *changed)
{
    int round, rc;

    *changed = 0;
    for (round = 0; round < SANITIZE_ROUNDS; round++) {
        pass_free(last);
        pass_init(last, o, 0);
        if ((rc = parse_walk(last, *body, *len, NULL, NULL)) < 0) {
            return rc;
        }
        if (last->body.len == *len &&
            memcmp(strbuf_peek(&last->body), *body, *len) == 0) {
            return 0;
        }
        *changed = 1;
        kw_free(*body);
        *body = strbuf_detach(&last->body, len);
        if (*body == NULL) {
            return SANITIZE_NOMEM;
        }
    }
    return SANITIZE_PARSE;
}

/* Options with defaults filled in. */
static void
opts_effective(const struct sanitize_opts *opts, struct sanitize_opts *o)
{
    memset(o, 0, sizeof *o);
    if (opts != NULL) {
        *o = *opts;
    }
    if (o->max_bytes == 0) {
        o->max_bytes = SANITIZE_DEFAULT_MAX_BYTES;
    }
    /* gumbo counts in unsigned int and the body can grow six-fold by
     * escaping before it is parsed again. */
    if (o->max_bytes > SANITIZE_HARD_MAX_BYTES) {
        o->max_bytes = SANITIZE_HARD_MAX_BYTES;
    }
    if (o->max_depth <= 0) {
        o->max_depth = SANITIZE_DEFAULT_MAX_DEPTH;
    }
    /* gumbo frees its tree recursively: very deep trees crash it. */
    if (o->max_depth > SANITIZE_HARD_MAX_DEPTH) {
        o->max_depth = SANITIZE_HARD_MAX_DEPTH;
    }
    if (o->max_attrs <= 0) {
        o->max_attrs = SANITIZE_DEFAULT_MAX_ATTRS;
    }
    if (o->max_elements == 0) {
        o->max_elements = SANITIZE_DEFAULT_MAX_ELEMENTS;
    }
}

/* See sanitize.h.  Order: options, size, pre-check, first pass
 * (metadata, body, text, sections, links), then re-parse to a fixed point. */
int
sanitize_html(const char *html, size_t len, const struct sanitize_opts *opts,
              struct sanitize_result *out)
{
    struct sanitize_opts o;
    struct sanitize_pass p, v;
    struct sanitize_meta m;
    int rc, i, changed = 0;

    if (out == NULL) {
        return SANITIZE_INVALID;
    }
    memset(out, 0, sizeof *out);
    if (html == NULL && len > 0) {
        return SANITIZE_INVALID;
    }
    opts_effective(opts, &o);
    if (o.base_url != NULL && !is_http_url(o.base_url)) {
        return SANITIZE_INVALID;
    }
    if (len > o.max_bytes) {
        return SANITIZE_TOO_LARGE;
    }
    if ((rc = precheck_html(html, len, (size_t)o.max_depth, (size_t)o.max_attrs,
                            o.max_elements)) < 0) {
        return rc;
    }
    memset(&m, 0, sizeof m);
    pass_init(&p, &o, 1);
    pass_init(&v, &o, 0);
    rc = parse_walk(&p, html, len, &m, out);
    for (i = 0; i < 3; i++) {
        strbuf_free(&m.authors[i].sb);
    }
    if (rc == 0) {
        out->body_html = strbuf_detach(&p.body, &out->body_len);
        rc = out->body_html == NULL ? SANITIZE_NOMEM : 0;
    }
    if (rc == 0) {
        rc = settle(&o, &out->body_html, &out->body_len, &v, &changed);
    }
    if (rc == 0) {
        /* Text and sections come from the first pass, which saw the
         * source's structure, unless re-parsing moved the body; then from
         * the pass that matches it (its heading ids, for instance). */
        struct sanitize_pass *t = changed ? &v : &p;

        out->text = strbuf_detach(&t->text.sb, NULL);
        rc = out->text == NULL ? SANITIZE_NOMEM : 0;
        out->sections = t->secs;
        out->nsections = t->nsecs;
        t->secs = NULL;
        t->nsecs = 0;
        out->links = p.links;
        out->nlinks = p.nlinks;
        p.links = NULL;
        p.nlinks = 0;
    }
    pass_free(&p);
    pass_free(&v);
    if (rc < 0) {
        sanitize_result_free(out);
    }
    return rc;
}
