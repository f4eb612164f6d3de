/*
 * precheck: the sanitizer's first stage, a small model of the HTML tree
 * builder run on the raw bytes so that input gumbo would choke on is
 * refused before gumbo sees it.  Layer: lib/; depends on gumbo (its tag
 * names only: nothing here parses with it), alloc and ascii; never
 * <microhttpd.h>, never the database.  It owns the model (the stack of
 * open elements, the list of active formatting elements and the rules of
 * the tree builder that change depth); lib/sanitize.c owns everything after
 * it (parsing, the allow-list, text, links, metadata).
 */
#include "precheck.h"

#include <gumbo.h>
#include <stdint.h>
#include <string.h>

#include "alloc.h"
#include "ascii.h"

/* How far the pre-check looks down its models before assuming the worst. */
#define PC_SCAN 64
/* Dead formatting-list entries tolerated before compacting, so walks over
 * the list stay short. */
#define PC_DEAD_MAX 32

/*
 * Counting unclosed tags is not enough: HTML closes p, li, cells and
 * formatting elements implicitly, so a plain count rejects ordinary sloppy
 * pages, and it misses the two ways gumbo really blows up: deep stacks
 * (100k nested spans) and the reopening of closed formatting elements,
 * where 250 KB asks for 10 million nodes.  So the scan keeps a stack of
 * open elements and a list of active formatting elements, applying the
 * tree builder's rules that change depth, as gumbo 0.10.1 implements them
 * (which is not always the spec: see pc_end).  Each step is O(1) or looks
 * at most PC_SCAN entries down; where the model is unsure it keeps
 * elements open, which overestimates.  Fuzzing it against gumbo still
 * finds inputs where gumbo's tree ends a few levels deeper than the model
 * said (never twice as deep in a million runs), so the limits are
 * estimates and the caller's rlimits stay the backstop.
 */

/* Tag classes the model needs (HTML spec "tree construction" terms). */
enum {
    TC_SPECIAL = 1 << 0,
    TC_SCOPE = 1 << 1,      /* bounds "has an element in scope" */
    TC_PCLOSE = 1 << 2,     /* start tag closes an open p */
    TC_NORECON = 1 << 3,    /* start tag does not reconstruct formatting */
    TC_VOID = 1 << 4,       /* never has content */
    TC_RAW = 1 << 5,        /* raw text or RCDATA content */
    TC_FMT = 1 << 6,        /* formatting element */
    TC_MARKER = 1 << 7,     /* puts a marker on the formatting list */
    TC_BREAKOUT = 1 << 8,   /* start tag leaves svg/math content */
    TC_IGNORE = 1 << 9,     /* html, head, body: never nest */
    TC_LIPASS = 1 << 10,    /* address, div, p: li/dd/dt look through */
    TC_LSCOPE = 1 << 11,    /* ol, ul bound list item scope */
    TC_TSCOPE = 1 << 12,    /* html, table, template bound table scope */
    TC_TABLEPART = 1 << 13, /* end tag looks in table scope */
    TC_BUTTON = 1 << 14,    /* bounds button scope */
};

#define TC_BLOCK (TC_SPECIAL | TC_PCLOSE | TC_NORECON)
#define TC_FMTB (TC_FMT | TC_BREAKOUT)
#define TC_HIDDEN (TC_SPECIAL | TC_VOID | TC_NORECON)
#define TC_TABLE (TC_SPECIAL | TC_TABLEPART | TC_NORECON)
#define TC_CELL (TC_TABLE | TC_SCOPE | TC_MARKER)
#define TC_RAWTAG (TC_SPECIAL | TC_RAW | TC_NORECON)

static const unsigned short pc_class[GUMBO_TAG_UNKNOWN] = {
    [GUMBO_TAG_HTML] = TC_SPECIAL | TC_SCOPE | TC_TSCOPE | TC_IGNORE,
    [GUMBO_TAG_HEAD] = TC_SPECIAL | TC_IGNORE | TC_BREAKOUT,
    [GUMBO_TAG_BODY] = TC_SPECIAL | TC_IGNORE | TC_BREAKOUT,
    /* A leading frameset nests without limit while gumbo ignores every
     * other tag (and gumbo frees trees recursively).  So framesets count
     * and bound every scope: only </frameset> closes one in the model, as
     * in gumbo's frameset mode; elsewhere that overestimates, which is
     * safe. */
    [GUMBO_TAG_FRAMESET] = TC_SPECIAL | TC_SCOPE | TC_TSCOPE | TC_NORECON,
    [GUMBO_TAG_TITLE] = TC_RAWTAG,
    [GUMBO_TAG_BASE] = TC_HIDDEN,
    [GUMBO_TAG_LINK] = TC_HIDDEN,
    [GUMBO_TAG_META] = TC_HIDDEN | TC_BREAKOUT,
    [GUMBO_TAG_STYLE] = TC_RAWTAG,
    [GUMBO_TAG_SCRIPT] = TC_RAWTAG,
    /* gumbo parses noscript as markup; counting it as such only
     * overestimates. */
    [GUMBO_TAG_NOSCRIPT] = TC_SPECIAL,
    [GUMBO_TAG_TEMPLATE] =
        TC_SPECIAL | TC_SCOPE | TC_TSCOPE | TC_MARKER | TC_NORECON,
    [GUMBO_TAG_ARTICLE] = TC_BLOCK,
    [GUMBO_TAG_SECTION] = TC_BLOCK,
    [GUMBO_TAG_NAV] = TC_BLOCK,
    [GUMBO_TAG_ASIDE] = TC_BLOCK,
    [GUMBO_TAG_H1] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_H2] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_H3] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_H4] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_H5] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_H6] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_HGROUP] = TC_BLOCK,
    [GUMBO_TAG_HEADER] = TC_BLOCK,
    [GUMBO_TAG_FOOTER] = TC_BLOCK,
    [GUMBO_TAG_ADDRESS] = TC_BLOCK | TC_LIPASS,
    [GUMBO_TAG_P] = TC_BLOCK | TC_LIPASS | TC_BREAKOUT,
    [GUMBO_TAG_HR] = TC_BLOCK | TC_VOID | TC_BREAKOUT,
    [GUMBO_TAG_PRE] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_BLOCKQUOTE] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_OL] = TC_BLOCK | TC_LSCOPE | TC_BREAKOUT,
    [GUMBO_TAG_UL] = TC_BLOCK | TC_LSCOPE | TC_BREAKOUT,
    [GUMBO_TAG_LI] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_DL] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_DT] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_DD] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_FIGURE] = TC_BLOCK,
    [GUMBO_TAG_FIGCAPTION] = TC_BLOCK,
    [GUMBO_TAG_MAIN] = TC_BLOCK,
    [GUMBO_TAG_DIV] = TC_BLOCK | TC_LIPASS | TC_BREAKOUT,
    [GUMBO_TAG_A] = TC_FMT,
    [GUMBO_TAG_EM] = TC_FMTB,
    [GUMBO_TAG_STRONG] = TC_FMTB,
    [GUMBO_TAG_SMALL] = TC_FMTB,
    [GUMBO_TAG_S] = TC_FMTB,
    [GUMBO_TAG_CODE] = TC_FMTB,
    [GUMBO_TAG_I] = TC_FMTB,
    [GUMBO_TAG_B] = TC_FMTB,
    [GUMBO_TAG_U] = TC_FMTB,
    [GUMBO_TAG_BIG] = TC_FMTB,
    [GUMBO_TAG_STRIKE] = TC_FMTB,
    [GUMBO_TAG_TT] = TC_FMTB,
    [GUMBO_TAG_NOBR] = TC_FMTB,
    /* Only font with color/face/size breaks out; always assuming so pops
     * the model sooner, which the depth check tolerates. */
    [GUMBO_TAG_FONT] = TC_FMTB,
    [GUMBO_TAG_VAR] = TC_BREAKOUT,
    [GUMBO_TAG_SUB] = TC_BREAKOUT,
    [GUMBO_TAG_SUP] = TC_BREAKOUT,
    [GUMBO_TAG_RUBY] = TC_BREAKOUT,
    [GUMBO_TAG_SPAN] = TC_BREAKOUT,
    [GUMBO_TAG_BR] = TC_SPECIAL | TC_VOID | TC_BREAKOUT,
    [GUMBO_TAG_WBR] = TC_SPECIAL | TC_VOID,
    [GUMBO_TAG_IMAGE] = TC_VOID,
    [GUMBO_TAG_IMG] = TC_SPECIAL | TC_VOID | TC_BREAKOUT,
    [GUMBO_TAG_IFRAME] = TC_RAWTAG,
    [GUMBO_TAG_EMBED] = TC_SPECIAL | TC_VOID | TC_BREAKOUT,
    [GUMBO_TAG_OBJECT] = TC_SPECIAL | TC_SCOPE | TC_MARKER,
    [GUMBO_TAG_PARAM] = TC_HIDDEN,
    [GUMBO_TAG_SOURCE] = TC_HIDDEN,
    [GUMBO_TAG_TRACK] = TC_HIDDEN,
    [GUMBO_TAG_AREA] = TC_SPECIAL | TC_VOID,
    [GUMBO_TAG_TABLE] = TC_TABLE | TC_SCOPE | TC_TSCOPE | TC_BREAKOUT,
    [GUMBO_TAG_CAPTION] = TC_CELL,
    [GUMBO_TAG_COLGROUP] = TC_TABLE,
    [GUMBO_TAG_COL] = TC_HIDDEN,
    [GUMBO_TAG_TBODY] = TC_TABLE,
    [GUMBO_TAG_THEAD] = TC_TABLE,
    [GUMBO_TAG_TFOOT] = TC_TABLE,
    [GUMBO_TAG_TR] = TC_TABLE,
    [GUMBO_TAG_TD] = TC_CELL,
    [GUMBO_TAG_TH] = TC_CELL,
    [GUMBO_TAG_FORM] = TC_BLOCK,
    [GUMBO_TAG_FIELDSET] = TC_BLOCK,
    [GUMBO_TAG_INPUT] = TC_SPECIAL | TC_VOID,
    [GUMBO_TAG_BUTTON] = TC_SPECIAL | TC_BUTTON,
    /* In select mode gumbo ignores nearly every tag, including end tags
     * that would close what is below the select: make it bound scopes. */
    [GUMBO_TAG_SELECT] = TC_SPECIAL | TC_SCOPE | TC_TSCOPE,
    [GUMBO_TAG_TEXTAREA] = TC_RAWTAG,
    [GUMBO_TAG_KEYGEN] = TC_SPECIAL | TC_VOID,
    [GUMBO_TAG_DETAILS] = TC_BLOCK,
    [GUMBO_TAG_SUMMARY] = TC_BLOCK,
    [GUMBO_TAG_MENU] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_APPLET] = TC_SPECIAL | TC_SCOPE | TC_MARKER,
    [GUMBO_TAG_BGSOUND] = TC_HIDDEN,
    [GUMBO_TAG_DIR] = TC_BLOCK,
    [GUMBO_TAG_FRAME] = TC_HIDDEN,
    [GUMBO_TAG_NOFRAMES] = TC_RAWTAG,
    [GUMBO_TAG_ISINDEX] = TC_SPECIAL | TC_VOID | TC_PCLOSE | TC_NORECON,
    [GUMBO_TAG_LISTING] = TC_BLOCK | TC_BREAKOUT,
    /* xmp closes p but, unlike the other raw text tags, reconstructs. */
    [GUMBO_TAG_XMP] = TC_SPECIAL | TC_RAW | TC_PCLOSE,
    [GUMBO_TAG_NOEMBED] = TC_RAWTAG,
    [GUMBO_TAG_PLAINTEXT] = TC_BLOCK,
    [GUMBO_TAG_BASEFONT] = TC_HIDDEN,
    [GUMBO_TAG_CENTER] = TC_BLOCK | TC_BREAKOUT,
    [GUMBO_TAG_MARQUEE] = TC_SPECIAL | TC_SCOPE | TC_MARKER,
};

/* Trackers: for each open element, the index of the topmost element at
 * or below it having a property, so scope questions cost O(1). */
enum {
    T_SCOPE,     /* TC_SCOPE */
    T_BUTTON,    /* button scope */
    T_LIST,      /* list item scope */
    T_TABLE,     /* table scope */
    T_SPECIAL,   /* special category */
    T_LISPECIAL, /* special but not address/div/p */
    T_HTML,      /* an HTML (not svg/math) element */
    T_COUNT
};

#define PCF_FOREIGN 1 /* svg or math content */
#define PCF_INTEG 2   /* foreign element whose content is HTML again */
#define PCF_MATH 4    /* foreign element in the MathML namespace */

/* What the model needs of one tag. */
struct precheck_tag {
    uint32_t code;
    uint32_t ahash; /* attributes, for the "Noah's Ark" clause */
    int selfclose;
    int font_break; /* a color, face or size attribute */
    int html_enc;   /* encoding="text/html" or "application/xhtml+xml" */
};

/* One open element of the model. */
struct precheck_elem {
    uint32_t code;     /* GumboTag, or a hash with the top bit for others */
    int32_t afe;       /* index in the formatting list, or -1 */
    int32_t prev_same; /* previous open element with this code, or -1 */
    int32_t top[T_COUNT];
    unsigned flags;
};

/* Entries of the list of active formatting elements; dead ones are left
 * in place until the list is compacted. */
enum { AFE_DEAD, AFE_LIVE, AFE_MARKER };

struct precheck_afe {
    uint32_t code;
    uint32_t ahash; /* attributes, for the "Noah's Ark" clause */
    int32_t pos;    /* stack index while open, else -1 */
    int kind;
};

/* The model's state; precheck_html() owns the two arrays. */
struct precheck_model {
    struct precheck_elem *st;
    size_t depth, max_depth;
    struct precheck_afe *afe;
    size_t nafe, capafe, live, dead;
    size_t elements, max_elements;
    size_t max_attrs;
    /* Topmost open HTML / svg-math element per known code, -1 if none;
     * HTML rules never match foreign elements and vice versa. */
    int32_t top_code[GUMBO_TAG_UNKNOWN];
    int32_t top_foreign[GUMBO_TAG_UNKNOWN];
    /* The tree builder's form element pointer: set by <form>, cleared
     * only by </form>, even when the form itself was closed otherwise. */
    int form_set;
    long form_pos; /* its stack index while open, else -1 */
};

/* Tag classes of an open element; svg/math content has none but the
 * integration points, which bound scopes like HTML elements do. */
static unsigned
pc_entry_class(const struct precheck_elem *e)
{
    if (e->flags & PCF_FOREIGN) {
        return (e->flags & PCF_INTEG) ? TC_SPECIAL | TC_SCOPE : 0;
    }
    return e->code < GUMBO_TAG_UNKNOWN ? pc_class[e->code] : 0;
}

/* The trackers (as a bit mask) whose property element e has. */
static unsigned
pc_tracks(const struct precheck_elem *e)
{
    unsigned c = pc_entry_class(e), m = 0;

    if (c & TC_SCOPE) {
        m |= 1u << T_SCOPE | 1u << T_BUTTON | 1u << T_LIST;
    }
    if (c & TC_BUTTON) {
        m |= 1u << T_BUTTON;
    }
    if (c & TC_LSCOPE) {
        m |= 1u << T_LIST;
    }
    if (c & TC_SPECIAL) {
        m |= 1u << T_SPECIAL;
        if (!(c & TC_LIPASS)) {
            m |= 1u << T_LISPECIAL;
        }
    }
    if (!(e->flags & PCF_FOREIGN)) {
        m |= 1u << T_HTML;
        if (c & TC_TSCOPE) {
            m |= 1u << T_TABLE;
        }
    }
    return m;
}

/* Index of the topmost open element with tracker property t, or -1. */
static long
pc_topmost(const struct precheck_model *pc, int t)
{
    return pc->depth ? pc->st[pc->depth - 1].top[t] : -1;
}

/* Count n more elements the parser would create; rejects past the limit. */
static int
pc_count(struct precheck_model *pc, size_t n)
{
    pc->elements += n;
    return pc->elements > pc->max_elements ? SANITIZE_TOO_COMPLEX : 0;
}

/* Open an element in the model; rejects past max_depth. */
static int
pc_push(struct precheck_model *pc, uint32_t code, unsigned flags)
{
    struct precheck_elem *e;
    unsigned m;
    int t;

    if (pc->depth >= pc->max_depth) {
        return SANITIZE_TOO_COMPLEX;
    }
    e = &pc->st[pc->depth];
    e->code = code;
    e->flags = flags;
    e->afe = -1;
    m = pc_tracks(e);
    for (t = 0; t < T_COUNT; t++) {
        if ((m >> t) & 1) {
            e->top[t] = (int32_t)pc->depth;
        } else {
            e->top[t] = pc->depth > 0 ? e[-1].top[t] : -1;
        }
    }
    if (code < GUMBO_TAG_UNKNOWN) {
        int32_t *top = (flags & PCF_FOREIGN) ? pc->top_foreign : pc->top_code;

        e->prev_same = top[code];
        top[code] = (int32_t)pc->depth;
    } else {
        e->prev_same = -1;
    }
    pc->depth++;
    return 0;
}

/* Remove formatting entry k (marked dead, compacted later); its open
 * element, if any, stays open but no longer belongs to the list. */
static void
pc_afe_kill(struct precheck_model *pc, size_t k)
{
    struct precheck_afe *a = &pc->afe[k];

    if (k >= pc->nafe || a->kind != AFE_LIVE) {
        return;
    }
    if (a->pos >= 0) {
        pc->st[a->pos].afe = -1;
    }
    a->kind = AFE_DEAD;
    pc->live--;
    pc->dead++;
}

/* Drop dead entries; stack entries follow their entries' new indices. */
static void
pc_afe_compact(struct precheck_model *pc)
{
    size_t i, j = 0;

    for (i = 0; i < pc->nafe; i++) {
        if (pc->afe[i].kind == AFE_DEAD) {
            continue;
        }
        pc->afe[j] = pc->afe[i];
        if (pc->afe[j].kind == AFE_LIVE && pc->afe[j].pos >= 0) {
            pc->st[pc->afe[j].pos].afe = (int32_t)j;
        }
        j++;
    }
    pc->nafe = j;
    pc->dead = 0;
}

/* "Clear the list of active formatting elements up to the last marker". */
static void
pc_afe_clear(struct precheck_model *pc)
{
    while (pc->nafe > 0) {
        const struct precheck_afe *a = &pc->afe[--pc->nafe];

        if (a->kind == AFE_MARKER) {
            break;
        }
        if (a->kind == AFE_DEAD) {
            pc->dead--;
            continue;
        }
        if (a->pos >= 0) {
            pc->st[a->pos].afe = -1;
        }
        pc->live--;
    }
}

/* Append an entry (a live formatting element at stack index pos, or a
 * marker); rejects when the list outgrows what max_depth allows. */
static int
pc_afe_append(struct precheck_model *pc, int kind, uint32_t code,
              uint32_t ahash, int32_t pos)
{
    struct precheck_afe *a;

    if (pc->nafe == pc->capafe || pc->dead > PC_DEAD_MAX) {
        pc_afe_compact(pc);
    }
    if (pc->nafe == pc->capafe) {
        return SANITIZE_TOO_COMPLEX;
    }
    a = &pc->afe[pc->nafe];
    a->kind = kind;
    a->code = code;
    a->ahash = ahash;
    a->pos = pos;
    if (kind == AFE_LIVE) {
        pc->st[pos].afe = (int32_t)pc->nafe;
        pc->live++;
        /* A list longer than the depth limit would be reconstructed into
         * a tree deeper than it. */
        if (pc->live > pc->max_depth) {
            return SANITIZE_TOO_COMPLEX;
        }
    }
    pc->nafe++;
    return 0;
}

/* The last live entry for `code` after the last marker, or -1.  Looks at
 * PC_SCAN live entries at most: missing one only overestimates. */
static long
pc_afe_last(const struct precheck_model *pc, uint32_t code)
{
    size_t k = pc->nafe, seen = 0;

    while (k > 0 && seen < PC_SCAN) {
        const struct precheck_afe *a = &pc->afe[--k];

        if (a->kind == AFE_MARKER) {
            return -1;
        }
        if (a->kind == AFE_LIVE) {
            if (a->code == code) {
                return (long)k;
            }
            seen++;
        }
    }
    return -1;
}

/* The Noah's Ark clause: at most three identical entries after the last
 * marker; without it the model would overestimate sloppy documents. */
static void
pc_afe_noah(struct precheck_model *pc, uint32_t code, uint32_t ahash)
{
    size_t k = pc->nafe, seen = 0, same = 0, earliest = 0;

    while (k > 0 && seen < PC_SCAN) {
        const struct precheck_afe *a = &pc->afe[--k];

        if (a->kind == AFE_MARKER) {
            break;
        }
        if (a->kind == AFE_LIVE) {
            if (a->code == code && a->ahash == ahash) {
                same++;
                earliest = k;
            }
            seen++;
        }
    }
    if (same >= 3) {
        pc_afe_kill(pc, earliest);
    }
}

/* Close the current element; closing a cell, caption, marquee, object,
 * applet or template clears the formatting list back to its marker. */
static void
pc_pop(struct precheck_model *pc)
{
    struct precheck_elem *e = &pc->st[--pc->depth];

    if ((long)pc->depth == pc->form_pos) {
        pc->form_pos = -1;
    }

    if (e->code < GUMBO_TAG_UNKNOWN) {
        int32_t *top =
            (e->flags & PCF_FOREIGN) ? pc->top_foreign : pc->top_code;

        top[e->code] = e->prev_same;
    }
    if (e->afe >= 0) {
        pc->afe[e->afe].pos = -1;
    }
    if (!(e->flags & PCF_FOREIGN) && e->code < GUMBO_TAG_UNKNOWN &&
        (pc_class[e->code] & TC_MARKER)) {
        pc_afe_clear(pc);
    }
}

/* Pop until the element at index pos is gone. */
static void
pc_pop_to(struct precheck_model *pc, long pos)
{
    while ((long)pc->depth > pos) {
        pc_pop(pc);
    }
}

/* The open element `code` nearest the top (an HTML element, or with
 * `foreign` an svg/math one), unless an element with tracker property
 * `stop` is above it; -1 when there is none. */
static long
pc_find_in(const struct precheck_model *pc, uint32_t code, int stop,
           int foreign)
{
    long pos, i, lim;

    if (code < GUMBO_TAG_UNKNOWN) {
        pos = foreign ? pc->top_foreign[code] : pc->top_code[code];
        if (pos < 0 || pc_topmost(pc, stop) > pos) {
            return -1;
        }
        return pos;
    }
    lim = (long)pc->depth > PC_SCAN ? (long)pc->depth - PC_SCAN : 0;
    for (i = (long)pc->depth - 1; i >= lim; i--) {
        if (pc->st[i].code == code &&
            !(pc->st[i].flags & PCF_FOREIGN) == !foreign) {
            return i;
        }
        if ((pc_tracks(&pc->st[i]) >> stop) & 1) {
            return -1;
        }
    }
    return -1;
}

/* pc_find_in for HTML elements, which is what HTML rules look for. */
static long
pc_find(const struct precheck_model *pc, uint32_t code, int stop)
{
    return pc_find_in(pc, code, stop, 0);
}

static int
pc_in_foreign(const struct precheck_model *pc)
{
    unsigned f;

    if (pc->depth == 0) {
        return 0;
    }
    f = pc->st[pc->depth - 1].flags;
    return (f & PCF_FOREIGN) && !(f & PCF_INTEG);
}

/* Code of the current HTML element, GUMBO_TAG_UNKNOWN when none. */
static uint32_t
pc_top_code(const struct precheck_model *pc)
{
    if (pc->depth == 0 || (pc->st[pc->depth - 1].flags & PCF_FOREIGN)) {
        return GUMBO_TAG_UNKNOWN;
    }
    return pc->st[pc->depth - 1].code;
}

/* "Reconstruct the active formatting elements": every entry after the
 * last marker that is no longer open is opened again.  This is how a few
 * hundred bytes of formatting tags multiply into millions of elements, so
 * each reopened element counts against max_elements. */
static int
pc_reconstruct(struct precheck_model *pc)
{
    size_t k, first;
    int rc;

    if (pc->dead > PC_DEAD_MAX) {
        pc_afe_compact(pc);
    }
    k = pc->nafe;
    while (k > 0 && pc->afe[k - 1].kind == AFE_DEAD) {
        k--;
    }
    if (k == 0 || pc->afe[k - 1].kind == AFE_MARKER ||
        pc->afe[k - 1].pos >= 0) {
        return 0;
    }
    first = k - 1;
    while (first > 0) {
        const struct precheck_afe *a = &pc->afe[first - 1];

        if (a->kind == AFE_MARKER || (a->kind == AFE_LIVE && a->pos >= 0)) {
            break;
        }
        first--;
    }
    for (k = first; k < pc->nafe; k++) {
        if (pc->afe[k].kind != AFE_LIVE) {
            continue;
        }
        if ((rc = pc_count(pc, 1)) < 0 ||
            (rc = pc_push(pc, pc->afe[k].code, 0)) < 0) {
            return rc;
        }
        pc->afe[k].pos = (int32_t)(pc->depth - 1);
        pc->st[pc->depth - 1].afe = (int32_t)k;
    }
    return 0;
}

/* The adoption agency for formatting entry k, reduced to its effect on
 * depth and element count. */
static int
pc_adopt(struct precheck_model *pc, size_t k)
{
    long pos = pc->afe[k].pos;

    if (pos < 0) {
        pc_afe_kill(pc, k);
        return 0;
    }
    if (pc_topmost(pc, T_SCOPE) > pos) {
        return 0; /* not in scope: the end tag is ignored */
    }
    if (pc_topmost(pc, T_SPECIAL) > pos) {
        /* A furthest block exists: gumbo takes the element out of the
         * stack, clones it under the block and, in the algorithm's next
         * round, usually closes the clone again.  We leave the stack alone
         * (deeper, never shallower) and drop the entry, so later end tags
         * cannot pop down to a position gumbo no longer has. */
        pc_afe_kill(pc, k);
        return pc_count(pc, 2);
    }
    pc_pop_to(pc, pos);
    pc_afe_kill(pc, k);
    return 0;
}

/* Integration points: svg (math == 0) or MathML elements whose content
 * is parsed as HTML again. */
static int
pc_is_integration(const struct precheck_tag *t, int math)
{
    switch (t->code) {
    case GUMBO_TAG_FOREIGNOBJECT:
    case GUMBO_TAG_DESC:
    case GUMBO_TAG_TITLE:
        return !math;
    case GUMBO_TAG_MI:
    case GUMBO_TAG_MO:
    case GUMBO_TAG_MN:
    case GUMBO_TAG_MS:
    case GUMBO_TAG_MTEXT:
        return math;
    case GUMBO_TAG_ANNOTATION_XML:
        return math && t->html_enc;
    default:
        return 0;
    }
}

/* h1-h6. */
static int
pc_is_heading(uint32_t code)
{
    return code >= GUMBO_TAG_H1 && code <= GUMBO_TAG_H6;
}

/* The implied end tags of the table model: pop above the nearest open
 * table, or table part listed in `parts` when nearer; returns that
 * element's index or -1. */
static long
pc_table_context(struct precheck_model *pc, const uint32_t *parts, size_t n)
{
    long pos = pc_find(pc, GUMBO_TAG_TABLE, T_TABLE), p;
    size_t i;

    for (i = 0; i < n; i++) {
        if ((p = pc_find(pc, parts[i], T_TABLE)) > pos) {
            pos = p;
        }
    }
    if (pos >= 0) {
        pc_pop_to(pc, pos + 1);
    }
    return pos;
}

/* Start tags that close or imply other elements first.  Returns 0 or <0
 * on rejection. */
static int
pc_implied(struct precheck_model *pc, uint32_t code)
{
    static const uint32_t sections[] = {GUMBO_TAG_TBODY, GUMBO_TAG_THEAD,
                                        GUMBO_TAG_TFOOT};
    static const uint32_t rows[] = {GUMBO_TAG_TR, GUMBO_TAG_TBODY,
                                    GUMBO_TAG_THEAD, GUMBO_TAG_TFOOT};
    long pos, p2;
    uint32_t top;
    int rc = 0;

    switch (code) {
    case GUMBO_TAG_LI:
        pos = pc_find(pc, GUMBO_TAG_LI, T_LISPECIAL);
        break;
    case GUMBO_TAG_DD:
    case GUMBO_TAG_DT:
        pos = pc_find(pc, GUMBO_TAG_DD, T_LISPECIAL);
        p2 = pc_find(pc, GUMBO_TAG_DT, T_LISPECIAL);
        pos = p2 > pos ? p2 : pos;
        break;
    case GUMBO_TAG_BUTTON:
        pos = pc_find(pc, GUMBO_TAG_BUTTON, T_SCOPE);
        break;
    case GUMBO_TAG_CAPTION:
    case GUMBO_TAG_COLGROUP:
    case GUMBO_TAG_TBODY:
    case GUMBO_TAG_THEAD:
    case GUMBO_TAG_TFOOT:
        pc_table_context(pc, NULL, 0);
        return 0;
    case GUMBO_TAG_TR:
        pos = pc_table_context(pc, sections, 3);
        if (pos >= 0 && pc->st[pos].code == GUMBO_TAG_TABLE) {
            rc = pc_count(pc, 1) < 0 ? SANITIZE_TOO_COMPLEX
                                     : pc_push(pc, GUMBO_TAG_TBODY, 0);
        }
        return rc;
    case GUMBO_TAG_TD:
    case GUMBO_TAG_TH:
        pos = pc_table_context(pc, rows, 4);
        if (pos >= 0 && pc->st[pos].code == GUMBO_TAG_TABLE) {
            if ((rc = pc_count(pc, 1)) < 0 ||
                (rc = pc_push(pc, GUMBO_TAG_TBODY, 0)) < 0) {
                return rc;
            }
        }
        if (pos >= 0 && pc->st[pos].code != GUMBO_TAG_TR) {
            rc = pc_count(pc, 1) < 0 ? SANITIZE_TOO_COMPLEX
                                     : pc_push(pc, GUMBO_TAG_TR, 0);
        }
        return rc;
    case GUMBO_TAG_A:
        pos = pc_afe_last(pc, GUMBO_TAG_A);
        if (pos >= 0) {
            rc = pc_adopt(pc, (size_t)pos);
            pc_afe_kill(pc, (size_t)pos);
        }
        return rc;
    case GUMBO_TAG_NOBR:
        pos = pc_afe_last(pc, GUMBO_TAG_NOBR);
        return pos >= 0 ? pc_adopt(pc, (size_t)pos) : 0;
    default:
        top = pc_top_code(pc);
        if ((pc_is_heading(code) && pc_is_heading(top)) ||
            ((code == GUMBO_TAG_OPTION || code == GUMBO_TAG_OPTGROUP) &&
             top == GUMBO_TAG_OPTION)) {
            pc_pop(pc);
        }
        if ((code == GUMBO_TAG_RB || code == GUMBO_TAG_RTC ||
             code == GUMBO_TAG_RT || code == GUMBO_TAG_RP) &&
            pc_find(pc, GUMBO_TAG_RUBY, T_SCOPE) >= 0) {
            while ((top = pc_top_code(pc)) == GUMBO_TAG_RB ||
                   top == GUMBO_TAG_RT || top == GUMBO_TAG_RP ||
                   (top == GUMBO_TAG_RTC &&
                    (code == GUMBO_TAG_RB || code == GUMBO_TAG_RTC))) {
                pc_pop(pc);
            }
        }
        return 0;
    }
    if (pos >= 0) {
        pc_pop_to(pc, pos);
    }
    return 0;
}

/* Select mode (a select open, no template above it): another select
 * closes it and opens nothing (returns 1); input, keygen, textarea and,
 * when the select is in a table, table tags close it and go on (0). */
static int
pc_select_mode(struct precheck_model *pc, uint32_t code, unsigned cls)
{
    long pos = pc->top_code[GUMBO_TAG_SELECT];
    long table = pc->top_code[GUMBO_TAG_TABLE];

    if (pos < 0 || pc->top_code[GUMBO_TAG_TEMPLATE] > pos) {
        return 0;
    }
    if (code == GUMBO_TAG_SELECT) {
        pc_pop_to(pc, pos);
        return 1;
    }
    if (code == GUMBO_TAG_INPUT || code == GUMBO_TAG_KEYGEN ||
        code == GUMBO_TAG_TEXTAREA ||
        ((cls & TC_TABLEPART) && table >= 0 && table < pos)) {
        pc_pop_to(pc, pos);
    }
    return 0;
}

/* A start tag.  Returns <0 on rejection, 1 when raw text follows, 2 for
 * plaintext (the rest of the input is text), else 0. */
static int
pc_start(struct precheck_model *pc, const struct precheck_tag *t)
{
    uint32_t code = t->code;
    unsigned cls = code < GUMBO_TAG_UNKNOWN ? pc_class[code] : 0;
    long pos;
    int rc, math;

    if ((rc = pc_count(pc, 1)) < 0) {
        return rc;
    }
    if (pc_in_foreign(pc)) {
        if (!(cls & TC_BREAKOUT) ||
            (code == GUMBO_TAG_FONT && !t->font_break)) {
            if (t->selfclose) {
                return 0;
            }
            /* Children take their parent's namespace; only an svg tag
             * directly in annotation-xml starts svg again. */
            math = (pc->st[pc->depth - 1].flags & PCF_MATH) &&
                   !(code == GUMBO_TAG_SVG &&
                     pc->st[pc->depth - 1].code == GUMBO_TAG_ANNOTATION_XML);
            return pc_push(pc, code,
                           PCF_FOREIGN | (math ? PCF_MATH : 0) |
                               (pc_is_integration(t, math) ? PCF_INTEG : 0));
        }
        while (pc_in_foreign(pc)) {
            pc_pop(pc);
        }
    }
    if (code == GUMBO_TAG_SVG || code == GUMBO_TAG_MATH) {
        if ((rc = pc_reconstruct(pc)) < 0) {
            return rc;
        }
        if (t->selfclose) {
            return 0;
        }
        return pc_push(pc, code,
                       PCF_FOREIGN | (code == GUMBO_TAG_MATH ? PCF_MATH : 0));
    }
    if (cls & TC_IGNORE) {
        return 0;
    }
    if (pc_select_mode(pc, code, cls)) {
        return 0;
    }
    if ((cls & TC_TABLEPART) && code != GUMBO_TAG_TABLE &&
        pc->top_code[GUMBO_TAG_TABLE] < 0 &&
        pc->top_code[GUMBO_TAG_TEMPLATE] < 0) {
        return 0; /* table parts outside a table are ignored */
    }
    if (code == GUMBO_TAG_FORM && pc->form_set &&
        pc->top_code[GUMBO_TAG_TEMPLATE] < 0) {
        return 0; /* ignored while the form pointer is set */
    }
    if (cls & TC_PCLOSE) {
        pos = pc_find(pc, GUMBO_TAG_P, T_BUTTON);
        if (pos >= 0) {
            pc_pop_to(pc, pos);
        }
    }
    if ((rc = pc_implied(pc, code)) < 0) {
        return rc;
    }
    if (!(cls & TC_NORECON) && (rc = pc_reconstruct(pc)) < 0) {
        return rc;
    }
    /* In frameset and select modes gumbo ignores these start tags, so
     * what follows them is markup, not text: count it as markup. */
    if (pc->top_code[GUMBO_TAG_FRAMESET] < 0 &&
        pc->top_code[GUMBO_TAG_SELECT] < 0) {
        if (code == GUMBO_TAG_PLAINTEXT) {
            return 2;
        }
        if (cls & TC_RAW) {
            return 1;
        }
    }
    if (code == GUMBO_TAG_ISINDEX) {
        /* gumbo expands it into form > hr, label > (reopened formatting)
         * input, hr; all of it closed again. */
        pos = (long)pc->depth;
        if ((rc = pc_count(pc, 5)) < 0 ||
            (rc = pc_push(pc, GUMBO_TAG_FORM, 0)) < 0 ||
            (rc = pc_push(pc, GUMBO_TAG_LABEL, 0)) < 0 ||
            (rc = pc_reconstruct(pc)) < 0 ||
            (rc = pc_push(pc, GUMBO_TAG_INPUT, 0)) < 0) {
            return rc;
        }
        pc_pop_to(pc, pos);
        return 0;
    }
    if (cls & TC_VOID) {
        return 0;
    }
    if ((rc = pc_push(pc, code, 0)) < 0) {
        return rc;
    }
    if (code == GUMBO_TAG_FORM && pc->top_code[GUMBO_TAG_TEMPLATE] < 0) {
        pc->form_set = 1;
        pc->form_pos = (long)pc->depth - 1;
    }
    if (cls & TC_FMT) {
        pc_afe_noah(pc, code, t->ahash);
        rc = pc_afe_append(pc, AFE_LIVE, code, t->ahash,
                           (int32_t)(pc->depth - 1));
    }
    if (rc == 0 && (cls & TC_MARKER)) {
        rc = pc_afe_append(pc, AFE_MARKER, code, 0, -1);
    }
    return rc;
}

/* An end tag: pop what the tree builder would pop; end tags it would
 * ignore are ignored.  Returns 0 or SANITIZE_TOO_COMPLEX. */
static int
pc_end(struct precheck_model *pc, uint32_t code)
{
    unsigned cls = code < GUMBO_TAG_UNKNOWN ? pc_class[code] : 0;
    uint32_t top;
    long pos;
    int rc;

    if (code == GUMBO_TAG_BR) { /* </br> is parsed as <br> */
        return (rc = pc_reconstruct(pc)) < 0 ? rc : pc_count(pc, 1);
    }
    if (cls & TC_IGNORE) {
        return 0;
    }
    if (pc_in_foreign(pc)) {
        /* Foreign elements above the topmost HTML one may match; below
         * it, HTML rules take over. */
        pos = pc_find_in(pc, code, T_HTML, 1);
        if (pos >= 0) {
            pc_pop_to(pc, pos);
            return 0;
        }
    }
    if (cls & TC_FMT) {
        /* gumbo 0.10.1's adoption agency: the current node when it has no
         * list entry, else the list entry; with neither, the end tag is
         * ignored (the spec would go on as for "any other end tag"). */
        if (pc_top_code(pc) == code && pc->st[pc->depth - 1].afe < 0) {
            pc_pop(pc);
            return 0;
        }
        pos = pc_afe_last(pc, code);
        return pos >= 0 ? pc_adopt(pc, (size_t)pos) : 0;
    }
    if (code == GUMBO_TAG_FORM) {
        /* Outside templates gumbo clears the form pointer and ignores the
         * tag unless the pointer's form is open and in scope; inside, the
         * nearest form in scope counts.  Then it closes the implied
         * elements and takes the form out of the middle of the stack,
         * leaving what was above it open: we pop it only from the top. */
        if (pc->top_code[GUMBO_TAG_TEMPLATE] >= 0) {
            pos = pc_find(pc, GUMBO_TAG_FORM, T_SCOPE);
        } else {
            pos = pc->form_set ? pc->form_pos : -1;
            pc->form_set = 0;
        }
        if (pos < 0 || pc_topmost(pc, T_SCOPE) > pos) {
            return 0;
        }
        while ((top = pc_top_code(pc)) == GUMBO_TAG_P || top == GUMBO_TAG_LI ||
               top == GUMBO_TAG_DD || top == GUMBO_TAG_DT ||
               top == GUMBO_TAG_OPTION || top == GUMBO_TAG_OPTGROUP ||
               top == GUMBO_TAG_RB || top == GUMBO_TAG_RP ||
               top == GUMBO_TAG_RT || top == GUMBO_TAG_RTC) {
            pc_pop(pc);
        }
        if ((long)pc->depth - 1 == pos) {
            pc_pop(pc);
        }
        return 0;
    }
    if (code == GUMBO_TAG_P) {
        pos = pc_find(pc, code, T_BUTTON);
        if (pos < 0) {
            return pc_count(pc, 1); /* </p> alone makes an empty p */
        }
    } else if (code == GUMBO_TAG_LI) {
        pos = pc_find(pc, code, T_LIST);
    } else if (pc_is_heading(code)) {
        /* Any heading end tag closes the nearest heading of any level. */
        uint32_t h;

        pos = -1;
        for (h = GUMBO_TAG_H1; h <= GUMBO_TAG_H6; h++) {
            long p = pc_find(pc, h, T_SCOPE);

            pos = p > pos ? p : pos;
        }
    } else if (cls & TC_TABLEPART) {
        pos = pc_find(pc, code, T_TABLE);
    } else if (((cls & TC_PCLOSE) && !(cls & (TC_RAW | TC_VOID)) &&
                code != GUMBO_TAG_PLAINTEXT) ||
               (cls & TC_MARKER) || code == GUMBO_TAG_BUTTON ||
               code == GUMBO_TAG_SELECT || code == GUMBO_TAG_FRAMESET) {
        /* End tags with their own rule: close the element when it is in
         * scope. */
        pos = pc_find(pc, code, T_SCOPE);
    } else {
        /* "Any other end tag", special elements included: stop at the
         * first special element. */
        pos = pc_find(pc, code, T_SPECIAL);
    }
    if (pos >= 0) {
        pc_pop_to(pc, pos);
    }
    return 0;
}

/* One FNV-1a step, for tag and attribute hashes. */
static uint32_t
fnv_byte(uint32_t h, unsigned char c)
{
    return (h ^ c) * 16777619u;
}

/* Tag name to model code: gumbo's enum for known tags, else a hash. */
static uint32_t
pc_code(const char *s, size_t n)
{
    GumboTag t = gumbo_tagn_enum(s, (unsigned)(n > 64 ? 64 : n));
    uint32_t h = 2166136261u;
    size_t i;

    if (n <= 64 && t != GUMBO_TAG_UNKNOWN) {
        return (uint32_t)t;
    }
    for (i = 0; i < n; i++) {
        h = fnv_byte(h, (unsigned char)ascii_lower((unsigned char)s[i]));
    }
    return h | 0x80000000u;
}

/* Skip a tag's attributes from s[*i] to just past its '>'.  Returns 1 when
 * the tag is complete, 0 when input ends inside it (the tokenizer then
 * drops it), <0 when it has too many attributes. */
static int
pc_attrs(struct precheck_model *pc, const char *s, size_t n, size_t *pi,
         struct precheck_tag *t)
{
    size_t i = *pi, nattr = 0, a, name, name_len;
    uint32_t h = 2166136261u;

    t->selfclose = 0;
    t->font_break = 0;
    t->html_enc = 0;
    for (;;) {
        while (i < n && ascii_is_space((unsigned char)s[i])) {
            i++;
        }
        if (i >= n) {
            return 0;
        }
        if (s[i] == '>') {
            i++;
            break;
        }
        if (s[i] == '/') {
            i++;
            if (i < n && s[i] == '>') {
                t->selfclose = 1;
                i++;
                break;
            }
            continue;
        }
        if (++nattr > pc->max_attrs) {
            return SANITIZE_TOO_COMPLEX;
        }
        a = i++; /* a first '=' belongs to the name */
        while (i < n && !ascii_is_space((unsigned char)s[i]) && s[i] != '/' &&
               s[i] != '>' && s[i] != '=') {
            i++;
        }
        name = a;
        name_len = i - a;
        for (; a < i; a++) {
            h = fnv_byte(h, (unsigned char)ascii_lower((unsigned char)s[a]));
        }
        h = fnv_byte(h, '=');
        t->font_break |= ascii_eq_nocase(s + name, name_len, "color") ||
                         ascii_eq_nocase(s + name, name_len, "face") ||
                         ascii_eq_nocase(s + name, name_len, "size");
        while (i < n && ascii_is_space((unsigned char)s[i])) {
            i++;
        }
        if (i < n && s[i] == '=') {
            i++;
            while (i < n && ascii_is_space((unsigned char)s[i])) {
                i++;
            }
            a = i;
            if (i < n && (s[i] == '"' || s[i] == '\'')) {
                const char *q = memchr(s + i + 1, s[i], n - i - 1);

                if (q == NULL) {
                    return 0;
                }
                i = (size_t)(q - s) + 1;
            } else {
                while (i < n && !ascii_is_space((unsigned char)s[i]) &&
                       s[i] != '>') {
                    i++;
                }
            }
            if (ascii_eq_nocase(s + name, name_len, "encoding")) {
                size_t q = a < i && (s[a] == '"' || s[a] == '\'');

                t->html_enc =
                    ascii_eq_nocase(s + a + q, i - a - 2 * q, "text/html") ||
                    ascii_eq_nocase(s + a + q, i - a - 2 * q,
                                    "application/xhtml+xml");
            }
            for (; a < i; a++) {
                h = fnv_byte(h, (unsigned char)s[a]);
            }
        }
        h = fnv_byte(h, 0);
    }
    *pi = i;
    t->ahash = h;
    return 1;
}

/* End of a comment starting at s[i] (just after "<!--"), per the
 * tokenizer: "-->", "--!>", and the abrupt "<!-->" and "<!--->". */
static size_t
pc_comment_end(const char *s, size_t n, size_t i)
{
    if (i < n && s[i] == '>') {
        return i + 1;
    }
    if (i + 1 < n && s[i] == '-' && s[i + 1] == '>') {
        return i + 2;
    }
    while (i < n) {
        const char *d = memchr(s + i, '-', n - i);
        size_t k;

        if (d == NULL) {
            return n;
        }
        k = (size_t)(d - s);
        if (k + 2 < n && s[k + 1] == '-' && s[k + 2] == '>') {
            return k + 3;
        }
        if (k + 3 < n && s[k + 1] == '-' && s[k + 2] == '!' &&
            s[k + 3] == '>') {
            return k + 4;
        }
        i = k + 1;
    }
    return n;
}

/* Where the raw text of element `name` ends: the first "</name" followed
 * by a tag delimiter, or n.  Ending earlier than the real tokenizer (which
 * knows script escapes) only makes us count more tags, never fewer. */
static size_t
pc_raw_end(const char *s, size_t n, size_t i, const char *name)
{
    size_t len = strlen(name);

    while (i < n) {
        const char *lt = memchr(s + i, '<', n - i);
        size_t k, e;

        if (lt == NULL) {
            return n;
        }
        k = (size_t)(lt - s);
        e = k + 2 + len;
        if (e <= n && s[k + 1] == '/' &&
            ascii_eq_nocase(s + k + 2, len, name) &&
            (e == n || ascii_is_space((unsigned char)s[e]) || s[e] == '/' ||
             s[e] == '>')) {
            return k;
        }
        i = k + 1;
    }
    return n;
}

/* A run of text: in HTML content it reopens closed formatting elements. */
static int
pc_text(struct precheck_model *pc)
{
    return pc_in_foreign(pc) ? 0 : pc_reconstruct(pc);
}

/* Scan the whole input once; returns SANITIZE_OK or SANITIZE_TOO_COMPLEX. */
static int
pc_scan(struct precheck_model *pc, const char *s, size_t n)
{
    struct precheck_tag t;
    size_t i = 0, j, name;
    int rc = 0, end;

    while (i < n) {
        const char *lt = memchr(s + i, '<', n - i);

        j = lt != NULL ? (size_t)(lt - s) : n;
        if (j > i && (rc = pc_text(pc)) < 0) {
            return rc;
        }
        if (j + 1 >= n) {
            return 0;
        }
        i = j + 1;
        if (s[i] == '!') {
            if (n - i >= 3 && s[i + 1] == '-' && s[i + 2] == '-') {
                i = pc_comment_end(s, n, i + 3);
            } else {
                const char *gt = memchr(s + i, '>', n - i);

                i = gt != NULL ? (size_t)(gt - s) + 1 : n;
            }
            continue;
        }
        if (s[i] == '?') {
            const char *gt = memchr(s + i, '>', n - i);

            i = gt != NULL ? (size_t)(gt - s) + 1 : n;
            continue;
        }
        end = s[i] == '/';
        if (end) {
            i++;
            if (i < n && s[i] == '>') {
                i++;
                continue;
            }
            if (i < n && !ascii_is_alpha((unsigned char)s[i])) {
                const char *gt = memchr(s + i, '>', n - i);

                i = gt != NULL ? (size_t)(gt - s) + 1 : n;
                continue;
            }
        }
        if (i >= n || !ascii_is_alpha((unsigned char)s[i])) {
            if ((rc = pc_text(pc)) < 0) { /* a lone '<' is text */
                return rc;
            }
            continue;
        }
        name = i;
        while (i < n && !ascii_is_space((unsigned char)s[i]) && s[i] != '/' &&
               s[i] != '>') {
            i++;
        }
        t.code = pc_code(s + name, i - name);
        rc = pc_attrs(pc, s, n, &i, &t);
        if (rc <= 0) {
            return rc;
        }
        if (end) {
            if ((rc = pc_end(pc, t.code)) < 0) {
                return rc;
            }
            continue;
        }
        rc = pc_start(pc, &t);
        if (rc < 0) {
            return rc;
        }
        if (rc == 2) {
            return 0;
        }
        if (rc == 1) {
            i = pc_raw_end(s, n, i, gumbo_normalized_tagname(t.code));
        }
    }
    return 0;
}

/* See precheck.h.  Owns its scratch memory: two arrays sized by the
 * limits, freed before it returns. */
int
precheck_html(const char *s, size_t n, size_t max_depth, size_t max_attrs,
              size_t max_elements)
{
    struct precheck_model pc;
    size_t i;
    int rc;

    memset(&pc, 0, sizeof pc);
    pc.form_pos = -1;
    pc.max_depth = max_depth;
    pc.max_attrs = max_attrs;
    pc.max_elements = max_elements;
    pc.capafe = 2 * pc.max_depth + 64;
    for (i = 0; i < GUMBO_TAG_UNKNOWN; i++) {
        pc.top_code[i] = -1;
        pc.top_foreign[i] = -1;
    }
    pc.st = kw_calloc(pc.max_depth, sizeof *pc.st);
    pc.afe = kw_calloc(pc.capafe, sizeof *pc.afe);
    if (pc.st == NULL || pc.afe == NULL) {
        rc = SANITIZE_NOMEM;
    } else {
        rc = pc_scan(&pc, s, n);
    }
    kw_free(pc.st);
    kw_free(pc.afe);
    return rc;
}
