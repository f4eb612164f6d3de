/*
 * render: bind the links of sanitized bodies at render time.  Layer:
 * lib/; depends on db, document, rendition, url, html.  One scan binds
 * for the portal and for an offline copy (render_bind_offline).  It relies
 * on the sanitizer's output form: attributes are double-quoted and
 * escaped, text has no raw quote, so ` href="` and ` src="` occur only
 * inside tags.
 */
#include "render.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "document.h"
#include "html.h"
#include "rendition.h"
#include "url.h"

/* One builder for every link to a document (pages, feeds, bound bodies),
 * so they all encode alike.  See render.h. */
void
render_doc_url(struct strbuf *sb, const char *base, const char *name,
               const char *path, const char *anchor)
{
    assert(name != NULL);
    strbuf_puts(sb, base);
    strbuf_puts(sb, "/c/");
    url_encode(sb, name, strlen(name));
    strbuf_putc(sb, '/');
    if (path != NULL) {
        url_encode_path(sb, path, strlen(path));
    }
    if (anchor != NULL && anchor[0] != '\0') {
        strbuf_putc(sb, '#');
        url_encode(sb, anchor, strlen(anchor));
    }
}

/* One collection's outside base and its name, for asset lookups. */
struct tree {
    int64_t id;
    char name[80];
    char base[1024]; /* normalised, ends with '/' */
};

struct binder {
    struct db *db;
    const char *base;
    struct tree *trees;
    size_t ntrees;
    const struct render_offline *off; /* NULL: binding for the portal */
    const char *off_name;             /* off's collection name */
};

/* Undo html_escape for an attribute value (html_unescape_at). */
static void
unescape_attr(const char *s, size_t n, struct strbuf *out)
{
    size_t i = 0, el;
    char c;

    while (i < n) {
        if ((el = html_unescape_at(s + i, n - i, &c)) > 0) {
            strbuf_putc(out, c);
            i += el;
        } else {
            strbuf_putc(out, s[i]);
            i++;
        }
    }
}

static int
load_trees(struct binder *b)
{
    static const char sql[] =
        "SELECT id, name, source_url FROM collection ORDER BY id";
    sqlite3_stmt *st = db_stmt(b->db, sql);
    size_t cap = 0;
    int rc;

    if (st == NULL) {
        return -1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct tree *t;
        const char *name = (const char *)sqlite3_column_text(st, 1);
        const char *src = (const char *)sqlite3_column_text(st, 2);
        struct strbuf n = STRBUF_INIT;

        if (b->ntrees == cap) {
            size_t nc = cap ? cap * 2 : 8;
            struct tree *nt = kw_realloc(b->trees, nc * sizeof(*nt));

            if (nt == NULL) {
                sqlite3_reset(st);
                return -1;
            }
            b->trees = nt;
            cap = nc;
        }
        t = &b->trees[b->ntrees];
        t->id = sqlite3_column_int64(st, 0);
        snprintf(t->name, sizeof(t->name), "%s", name);
        if (src != NULL && url_normalize(src, &n, NULL) == 0) {
            snprintf(t->base, sizeof(t->base), "%s%s", strbuf_peek(&n),
                     strbuf_peek(&n)[n.len - 1] == '/' ? "" : "/");
        } else {
            snprintf(t->base, sizeof(t->base), "%s%s/", RENDER_PRIVATE_BASE,
                     name);
        }
        strbuf_free(&n);
        b->ntrees++;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* A published document whose source URL is norm: its local URL.  1
 * found, 0 not, -1 error. */
static int
find_document(const struct binder *b, const char *norm, struct strbuf *out)
{
    struct document d;
    int rc = document_find_url(b->db, norm, &d);

    if (rc == 1 && b->off != NULL) {
        /* A copy holds its own collection only. */
        rc = b->off_name != NULL && strcmp(d.collection, b->off_name) == 0
                 ? b->off->locate(b->off->ctx, d.path, 1, out)
                 : 0;
    } else if (rc == 1) {
        render_doc_url(out, b->base, d.collection, d.path, NULL);
    }
    document_free(&d); /* safe on a lookup that found nothing */
    return rc;
}

/* A stored asset under one of the trees: its local URL. */
static int
find_asset(const struct binder *b, const char *norm, struct strbuf *out)
{
    static const char sql[] =
        "SELECT 1 FROM asset WHERE collection_id = :c AND path = :p";
    size_t i;

    for (i = 0; i < b->ntrees; i++) {
        size_t bl = strlen(b->trees[i].base);
        char *path, *q;
        long n;
        sqlite3_stmt *st;
        int found;

        if (strncmp(norm, b->trees[i].base, bl) != 0 ||
            (b->off != NULL && b->trees[i].id != b->off->collection_id)) {
            continue;
        }
        path = kw_strdup(norm + bl);
        if (path == NULL) {
            return -1;
        }
        q = strchr(path, '?');
        if (q != NULL) {
            *q = '\0';
        }
        n = url_decode(path, strlen(path), 0);
        if (b->off != NULL) {
            /* The copy knows which assets it holds. */
            found = n < 0 ? 0 : b->off->locate(b->off->ctx, path, 0, out);
            kw_free(path);
            if (found != 0) {
                return found;
            }
            continue;
        }
        st = db_stmt(b->db, sql);
        if (n < 0 || st == NULL) {
            kw_free(path);
            continue;
        }
        db_bind_int64(st, ":c", b->trees[i].id);
        db_bind_textn(st, ":p", path, (size_t)n);
        found = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
        if (found) {
            render_doc_url(out, b->base, b->trees[i].name, path, NULL);
        }
        kw_free(path);
        if (found) {
            return 1;
        }
    }
    return 0;
}

/* Bind one URL; returns 0 (out holds the new URL, unescaped), 1 to drop
 * the attribute (an image without a source; offline, a link that leads
 * out of the copy), -1 on error. */
static int
bind(const struct binder *b, const char *url, int is_src, struct strbuf *out)
{
    struct strbuf norm = STRBUF_INIT, frag = STRBUF_INIT;
    int rc = 0, found = 0;

    if (url_normalize(url, &norm, &frag) == 0) {
        found = is_src ? 0 : find_document(b, strbuf_peek(&norm), out);
        if (found == 0) {
            found = find_asset(b, strbuf_peek(&norm), out);
        }
        if (found < 0) {
            rc = -1;
            goto out;
        }
        /* The fragment is already in URL form (escapes normalised by
         * url_normalize): appended as is, not encoded again. */
        if (found && !is_src && frag.len > 0) {
            strbuf_putc(out, '#');
            strbuf_append(out, frag.buf, frag.len);
        }
    }
    if (!found) {
        if (is_src) {
            rc = 1;
        } else if (url[0] == '#') {
            strbuf_puts(out, url); /* same-page fragment */
        } else if (b->off != NULL) {
            rc = 1;
        } else {
            strbuf_puts(out, b->base);
            strbuf_puts(out, "/external?url=");
            url_encode(out, url, strlen(url));
        }
    }
out:
    strbuf_free(&norm);
    strbuf_free(&frag);
    return rc;
}

/* The value of attribute `name` (" name=\"") inside [tag, end), or NULL;
 * *len gets its length.  Values are still escaped. */
static const char *
tag_attr(const char *tag, const char *end, const char *name, size_t *len)
{
    size_t nl = strlen(name);
    const char *p = tag;

    while ((p = memchr(p, ' ', (size_t)(end - p))) != NULL) {
        if ((size_t)(end - p) > nl + 3 && memcmp(p + 1, name, nl) == 0 &&
            p[nl + 1] == '=' && p[nl + 2] == '"') {
            const char *v = p + nl + 3, *q = memchr(v, '"', (size_t)(end - v));

            if (q == NULL) {
                return NULL;
            }
            *len = (size_t)(q - v);
            return v;
        }
        p++;
    }
    return NULL;
}

/* Images first: an <img> whose src binds to a stored asset keeps it; any
 * other becomes its alt text, so no image without a source is left. */
static int
bind_images(const struct binder *b, const char *body, struct strbuf *out)
{
    const char *p = body, *tag;
    struct strbuf val = STRBUF_INIT, url = STRBUF_INIT;
    int rc = 0;

    while ((tag = strstr(p, "<img")) != NULL &&
           (tag[4] == ' ' || tag[4] == '>' || tag[4] == '/')) {
        const char *end = strchr(tag, '>'), *src, *alt;
        size_t srclen = 0, altlen = 0;

        if (end == NULL) {
            break;
        }
        strbuf_append(out, p, (size_t)(tag - p));
        src = tag_attr(tag, end, "src", &srclen);
        strbuf_reset(&url);
        rc = 1;
        if (src != NULL) {
            strbuf_reset(&val);
            unescape_attr(src, srclen, &val);
            rc = bind(b, strbuf_peek(&val), 1, &url);
            if (rc < 0) {
                break;
            }
        }
        if (rc == 0) {
            /* Copy the tag with the bound source in place of the old. */
            strbuf_append(out, tag, (size_t)(src - tag));
            html_escape(out, url.buf ? url.buf : "", url.len);
            strbuf_append(out, src + srclen,
                          (size_t)(end + 1 - (src + srclen)));
        } else {
            alt = tag_attr(tag, end, "alt", &altlen);
            if (alt != NULL) {
                strbuf_append(out, alt, altlen); /* escaped already */
            }
        }
        rc = 0;
        p = end + 1;
    }
    strbuf_puts(out, p);
    strbuf_free(&val);
    strbuf_free(&url);
    return rc;
}

/* Both bindings: the portal's (b->off NULL) and a copy's. */
static int
bind_body(struct binder *b, const char *body, struct strbuf *out)
{
    struct strbuf imgs = STRBUF_INIT;
    const char *p;
    struct strbuf val = STRBUF_INIT, url = STRBUF_INIT;
    size_t i;
    int rc = 0;

    if (load_trees(b) < 0) {
        kw_free(b->trees);
        return -1;
    }
    for (i = 0; b->off != NULL && i < b->ntrees; i++) {
        if (b->trees[i].id == b->off->collection_id) {
            b->off_name = b->trees[i].name;
        }
    }
    if (bind_images(b, body, &imgs) < 0 || !strbuf_ok(&imgs)) {
        kw_free(b->trees);
        strbuf_free(&imgs);
        return -1;
    }
    p = strbuf_peek(&imgs);
    for (;;) {
        const char *a = strstr(p, " href=\""), *v, *end;

        if (a == NULL) {
            break;
        }
        v = a + 7;
        end = strchr(v, '"');
        if (end == NULL) {
            break;
        }
        strbuf_append(out, p, (size_t)(a - p));
        strbuf_reset(&val);
        strbuf_reset(&url);
        unescape_attr(v, (size_t)(end - v), &val);
        rc = bind(b, strbuf_peek(&val), 0, &url);
        if (rc < 0) {
            break;
        }
        if (rc == 0) {
            strbuf_puts(out, " href=\"");
            html_escape(out, url.buf ? url.buf : "", url.len);
            strbuf_putc(out, '"');
        }
        rc = 0;
        p = end + 1;
    }
    strbuf_puts(out, p);
    strbuf_free(&val);
    strbuf_free(&url);
    strbuf_free(&imgs);
    kw_free(b->trees);
    if (rc < 0 || !strbuf_ok(out)) {
        return -1;
    }
    return 0;
}

int
render_bind_links(struct db *db, const char *body, const char *base,
                  struct strbuf *out)
{
    struct binder b = {db, base, NULL, 0, NULL, NULL};

    return bind_body(&b, body, out);
}

int
render_bind_offline(struct db *db, const char *body,
                    const struct render_offline *off, struct strbuf *out)
{
    struct binder b = {db, "", NULL, 0, off, NULL};

    return bind_body(&b, body, out);
}

/* The pages that link to url_norm are the ones whose bound links change
 * (render_bind_links): rendition.c drops those with the document's own.
 * The pages next to doc in its collection name it in their pager (its
 * path and title): they go too. */
int
render_invalidate(struct db *db, int64_t doc, const char *url_norm)
{
    int64_t n[2];
    int i;

    if (rendition_invalidate(db, doc, url_norm) < 0 ||
        document_neighbour_ids(db, doc, n) < 0) {
        return -1;
    }
    for (i = 0; i < 2; i++) {
        if (n[i] != 0 && rendition_invalidate(db, n[i], NULL) < 0) {
            return -1;
        }
    }
    return 0;
}
