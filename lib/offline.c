/*
 * offline: a collection as a static tree (see offline.h).  Layer: lib/;
 * depends on db, document, render, tmpl, html and jansson.  The SQL here
 * reads the collection, asset and blob tables; documents come through
 * document.h.
 */
#include "offline.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "document.h"
#include "fsutil.h"
#include "html.h"
#include "render.h"
#include "strbuf.h"
#include "tmpl.h"
#include "version.h"

/* Languages reported in the ZIM's metadata, at most. */
#define OFFLINE_LANGS_MAX 8
/* Largest static file read from templates/offline/. */
#define OFFLINE_STATIC_MAX (1024 * 1024)

/* A document or an asset of the tree. */
struct entry {
    int64_t id;     /* document id; for an attachment, its document's */
    char *path;     /* in the collection */
    char *file;     /* in the tree */
    char *title;    /* documents */
    char *language; /* documents, or NULL */
    char *sha256;   /* assets: the blob */
    char *filename; /* attachments: the download name, or NULL */
    int is_doc;
    int attachment;
};

struct offline {
    struct db *db;
    const char *dir;
    struct tmpl_set *tmpl;
    int64_t collection_id;
    struct entry *docs; /* by title, as listed */
    size_t ndocs;
    struct entry *assets;
    size_t nassets;
    struct entry **docs_by_path, **assets_by_path;
    const struct entry *page; /* the page being bound */
    struct offline_error *err;
};

static void
err_set(struct offline_error *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
}

static const struct {
    const char *two, *three;
} iso639[] = {
    {"ar", "ara"}, {"cs", "ces"}, {"da", "dan"}, {"de", "deu"}, {"el", "ell"},
    {"en", "eng"}, {"es", "spa"}, {"fa", "fas"}, {"fi", "fin"}, {"fr", "fra"},
    {"he", "heb"}, {"hi", "hin"}, {"hu", "hun"}, {"id", "ind"}, {"it", "ita"},
    {"ja", "jpn"}, {"ko", "kor"}, {"la", "lat"}, {"mn", "mon"}, {"nl", "nld"},
    {"no", "nor"}, {"pl", "pol"}, {"pt", "por"}, {"ro", "ron"}, {"ru", "rus"},
    {"sv", "swe"}, {"th", "tha"}, {"tr", "tur"}, {"uk", "ukr"}, {"vi", "vie"},
    {"zh", "zho"},
};

const char *
offline_iso639_3(const char *tag)
{
    char lang[4];
    size_t i, n = 0;

    if (tag == NULL) {
        return NULL;
    }
    while (n < 4 && isalpha((unsigned char)tag[n])) {
        lang[n] = (char)tolower((unsigned char)tag[n]);
        n++;
    }
    if (n < 2 || n > 3 || (tag[n] != '\0' && tag[n] != '-' && tag[n] != '_')) {
        return NULL;
    }
    lang[n] = '\0';
    for (i = 0; i < sizeof(iso639) / sizeof(iso639[0]); i++) {
        if (strcmp(lang, n == 2 ? iso639[i].two : iso639[i].three) == 0) {
            return iso639[i].three;
        }
    }
    return NULL;
}

void
offline_result_free(struct offline_result *r)
{
    kw_free(r->title);
    kw_free(r->description);
    kw_free(r->languages);
    kw_free(r->source_url);
    memset(r, 0, sizeof(*r));
}

static void
entries_free(struct entry *e, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        kw_free(e[i].path);
        kw_free(e[i].file);
        kw_free(e[i].title);
        kw_free(e[i].language);
        kw_free(e[i].sha256);
        kw_free(e[i].filename);
    }
    kw_free(e);
}

/* A copy of s, or NULL for NULL; *bad set when memory ran out. */
static char *
dup_or_null(const char *s, int *bad)
{
    char *c;

    if (s == NULL) {
        return NULL;
    }
    c = kw_strdup(s);
    if (c == NULL) {
        *bad = 1;
    }
    return c;
}

/* 1 when path is a plain relative path: no empty, "." or ".." segment
 * (a trailing '/' is allowed), no backslash or control byte, not under
 * OFFLINE_DIR. */
static int
plain_path(const char *path)
{
    const char *seg = path, *p;

    if (strncmp(path, OFFLINE_DIR "/", sizeof(OFFLINE_DIR)) == 0 ||
        strcmp(path, OFFLINE_DIR) == 0) {
        return 0;
    }
    for (p = path; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == '\\' || *p == 0x7f) {
            return 0;
        }
    }
    for (;;) {
        size_t n = strcspn(seg, "/");

        if (seg[n] == '\0') {
            /* The last segment: empty only after a trailing '/'. */
            return !(n == 0 && seg == path) && !(n == 1 && seg[0] == '.') &&
                   !(n == 2 && seg[0] == '.' && seg[1] == '.');
        }
        if (n == 0 || (n == 1 && seg[0] == '.') ||
            (n == 2 && seg[0] == '.' && seg[1] == '.')) {
            return 0;
        }
        seg += n + 1;
    }
}

/* 1 when s ends in suffix, ASCII case ignored. */
static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);

    return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* The extension of path's last segment ("." and up to 8 alphanumerics),
 * or "" (static or borrowed). */
static const char *
extension(const char *path)
{
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    size_t i;

    if (dot == NULL || dot[1] == '\0' || strlen(dot) > 9) {
        return "";
    }
    for (i = 1; dot[i] != '\0'; i++) {
        if (!isalnum((unsigned char)dot[i])) {
            return "";
        }
    }
    return dot;
}

/* The name of e in the tree (new), by offline.h's rule; fallback forces
 * the name by id or index k. */
static char *
file_name(const struct entry *e, size_t k, int fallback)
{
    struct strbuf f = STRBUF_INIT;

    if (fallback || !plain_path(e->path) ||
        (!e->is_doc && e->path[0] == '\0') ||
        (!e->is_doc && ends_with(e->path, "/"))) {
        if (e->is_doc) {
            strbuf_printf(&f, OFFLINE_DIR "/d/%lld.html", (long long)e->id);
        } else {
            strbuf_printf(&f, OFFLINE_DIR "/a/%zu%s", k, extension(e->path));
        }
    } else if (!e->is_doc || ends_with(e->path, ".html") ||
               ends_with(e->path, ".htm")) {
        strbuf_puts(&f, e->path);
    } else if (e->path[0] == '\0' || ends_with(e->path, "/")) {
        strbuf_printf(&f, "%sindex.html", e->path);
    } else {
        strbuf_printf(&f, "%s.html", e->path);
    }
    if (!strbuf_ok(&f)) {
        strbuf_free(&f);
        return NULL;
    }
    return strbuf_detach(&f, NULL);
}

static int
cmp_file(const void *a, const void *b)
{
    const struct entry *x = *(struct entry *const *)a;
    const struct entry *y = *(struct entry *const *)b;
    int c = strcmp(x->file, y->file);

    /* Documents keep their names before assets, then the older first. */
    if (c == 0) {
        c = y->is_doc - x->is_doc;
    }
    return c;
}

static int
cmp_path(const void *a, const void *b)
{
    return strcmp((*(struct entry *const *)a)->path,
                  (*(struct entry *const *)b)->path);
}

/* The index of asset e in o->assets, 0 for a document. */
static size_t
asset_index(const struct offline *o, const struct entry *e)
{
    return e->is_doc ? 0 : (size_t)(e - o->assets);
}

/* Name every entry, moving those that would share a name by id; then
 * the lookups by path.  0 or -1 (out of memory). */
static int
name_entries(struct offline *o)
{
    size_t n = o->ndocs + o->nassets, i, k = 0;
    const char *kept = NULL;
    struct entry **all = kw_calloc(n ? n : 1, sizeof(*all));
    int rc = -1;

    o->docs_by_path =
        kw_calloc(o->ndocs ? o->ndocs : 1, sizeof(struct entry *));
    o->assets_by_path =
        kw_calloc(o->nassets ? o->nassets : 1, sizeof(struct entry *));
    if (all == NULL || o->docs_by_path == NULL || o->assets_by_path == NULL) {
        goto out;
    }
    for (i = 0; i < o->ndocs; i++) {
        all[k++] = &o->docs[i];
        o->docs_by_path[i] = &o->docs[i];
    }
    for (i = 0; i < o->nassets; i++) {
        all[k++] = &o->assets[i];
        o->assets_by_path[i] = &o->assets[i];
    }
    for (i = 0; i < n; i++) {
        all[i]->file = file_name(all[i], asset_index(o, all[i]), 0);
        if (all[i]->file == NULL) {
            goto out;
        }
    }
    /* Equal names sit together: the first keeps its name.  Names by id
     * or index are unique and never plain, so they meet no other. */
    qsort(all, n, sizeof(*all), cmp_file);
    for (i = 0; i < n; i++) {
        if (kept == NULL || strcmp(all[i]->file, kept) != 0) {
            kept = all[i]->file;
            continue;
        }
        kw_free(all[i]->file);
        all[i]->file = file_name(all[i], asset_index(o, all[i]), 1);
        if (all[i]->file == NULL) {
            goto out;
        }
    }
    qsort(o->docs_by_path, o->ndocs, sizeof(struct entry *), cmp_path);
    qsort(o->assets_by_path, o->nassets, sizeof(struct entry *), cmp_path);
    rc = 0;
out:
    kw_free(all);
    return rc;
}

/* Append to out the URL of tree file `to` relative to tree file `from`. */
static void
relative_url(struct strbuf *out, const char *from, const char *to)
{
    size_t i, common = 0;
    const char *p;

    for (i = 0; from[i] != '\0' && from[i] == to[i]; i++) {
        if (from[i] == '/') {
            common = i + 1;
        }
    }
    for (p = from + common; (p = strchr(p, '/')) != NULL; p++) {
        strbuf_puts(out, "../");
    }
    url_encode_path(out, to + common, strlen(to + common));
}

/* render_offline's locate: see render.h. */
static int
locate(void *ctx, const char *path, int is_doc, struct strbuf *out)
{
    struct offline *o = ctx;
    struct entry key = {0}, *kp = &key, **hit;

    key.path = (char *)path;
    hit = is_doc ? bsearch(&kp, o->docs_by_path, o->ndocs,
                           sizeof(struct entry *), cmp_path)
                 : bsearch(&kp, o->assets_by_path, o->nassets,
                           sizeof(struct entry *), cmp_path);
    if (hit == NULL) {
        return 0;
    }
    relative_url(out, o->page->file, (*hit)->file);
    return strbuf_ok(out) ? 1 : -1;
}

/* Write len bytes to the new file rel under o->dir, making its folders. */
static int
write_file(struct offline *o, const char *rel, const void *data, size_t len)
{
    struct strbuf p = STRBUF_INIT;
    size_t i, base;
    int fd = -1, rc = -1;

    strbuf_printf(&p, "%s/", o->dir);
    base = p.len;
    strbuf_puts(&p, rel);
    if (!strbuf_ok(&p)) {
        err_set(o->err, "out of memory");
        goto out;
    }
    for (i = base; i < p.len; i++) {
        if (p.buf[i] == '/') {
            p.buf[i] = '\0';
            if (mkdir(p.buf, 0755) < 0 && errno != EEXIST) {
                err_set(o->err, "%s: %s", p.buf, strerror(errno));
                goto out;
            }
            p.buf[i] = '/';
        }
    }
    fd =
        open(p.buf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        err_set(o->err, "%s: %s", p.buf, strerror(errno));
        goto out;
    }
    while (len > 0) {
        ssize_t w = write(fd, data, len);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            err_set(o->err, "%s: %s", p.buf, strerror(w < 0 ? errno : EIO));
            goto out;
        }
        data = (const char *)data + w;
        len -= (size_t)w;
    }
    if (close(fd) < 0) {
        fd = -1;
        err_set(o->err, "%s: %s", p.buf, strerror(errno));
        goto out;
    }
    fd = -1;
    rc = 0;
out:
    if (fd >= 0) {
        close(fd);
    }
    strbuf_free(&p);
    return rc;
}

/* The URL of tree file `to` from the page being written, as JSON. */
static json_t *
jrel(const struct entry *from, const char *to)
{
    struct strbuf u = STRBUF_INIT;
    json_t *v;

    relative_url(&u, from->file, to);
    v = strbuf_ok(&u) ? json_string(strbuf_peek(&u)) : NULL;
    strbuf_free(&u);
    return v;
}

/* Render template name with model m (stolen) and write it at e->file. */
static int
write_page(struct offline *o, const char *name, const struct entry *e,
           json_t *m)
{
    struct strbuf out = STRBUF_INIT;
    int rc = -1;

    if (m == NULL || tmpl_render(o->tmpl, name, m, &out) < 0 ||
        !strbuf_ok(&out)) {
        err_set(o->err, "%s: rendering template offline/%s failed", e->file,
                name);
    } else {
        rc = write_file(o, e->file, out.buf, out.len);
    }
    json_decref(m);
    strbuf_free(&out);
    return rc;
}

/* The page of published document e. */
static int
write_document(struct offline *o, struct entry *e)
{
    struct document d;
    struct render_offline off = {o->collection_id, locate, o};
    struct strbuf body = STRBUF_INIT;
    json_t *m, *prov, *atts;
    size_t i;
    int rc;

    rc = document_get(o->db, e->id, DOCUMENT_BODY_HTML, &d);
    if (rc != 1 || strcmp(d.status, DOC_PUBLISHED) != 0) {
        /* The listing and this read share one snapshot. */
        err_set(o->err, "document %lld: %s", (long long)e->id,
                rc < 0 ? db_errmsg(o->db) : "no longer published");
        document_free(&d);
        return -1;
    }
    o->page = e;
    if (render_bind_offline(o->db, d.body_html, &off, &body) < 0) {
        err_set(o->err, "document %lld: binding links: %s", (long long)e->id,
                db_errmsg(o->db));
        strbuf_free(&body);
        document_free(&d);
        return -1;
    }
    m = json_object();
    json_object_set_new(m, "title", document_json_text(d.title));
    json_object_set_new(m, "language", document_json_text(d.language));
    json_object_set_new(m, "authors", document_json_text(d.authors));
    json_object_set_new(m, "date", document_json_text(d.doc_date));
    json_object_set_new(m, "body_html", json_string(strbuf_peek(&body)));
    json_object_set_new(m, "collection_title",
                        document_json_text(d.collection_title));
    json_object_set_new(m, "home", jrel(e, OFFLINE_WELCOME));
    json_object_set_new(m, "style", jrel(e, OFFLINE_DIR "/style.css"));
    prov = json_object();
    json_object_set_new(prov, "source_url", document_json_text(d.source_url));
    json_object_set_new(prov, "retrieved", document_json_day(d.retrieved_at));
    json_object_set_new(prov, "approved", document_json_day(d.decided_at));
    json_object_set_new(prov, "version", json_integer(d.version));
    json_object_set_new(m, "provenance", prov);
    atts = json_array();
    for (i = 0; i < o->nassets; i++) {
        const struct entry *a = &o->assets[i];

        if (a->attachment && a->id == e->id) {
            json_array_append_new(
                atts, json_pack("{s:o, s:o}", "name",
                                document_json_text(a->filename ? a->filename
                                                               : a->path),
                                "url", jrel(e, a->file)));
        }
    }
    json_object_set_new(m, "has_attachments",
                        json_boolean(json_array_size(atts) > 0));
    json_object_set_new(m, "attachments", atts);
    strbuf_free(&body);
    document_free(&d);
    return write_page(o, "document", e, m);
}

/* list_doc's context. */
struct listing {
    struct offline *o;
    size_t cap;
    int bad;
};

static void
list_doc(void *ctx, const struct document *d)
{
    struct listing *l = ctx;
    struct offline *o = l->o;
    struct entry *e;

    if (l->bad || o->ndocs == l->cap) {
        l->bad = 1;
        return;
    }
    e = &o->docs[o->ndocs++];
    memset(e, 0, sizeof(*e));
    e->is_doc = 1;
    e->id = d->id;
    e->path = dup_or_null(d->path, &l->bad);
    e->title = dup_or_null(d->title != NULL ? d->title : d->path, &l->bad);
    e->language = dup_or_null(d->language, &l->bad);
}

static int
cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

    return (x > y) - (x < y);
}

/* The tree's assets and the published documents' attachments. */
static int
list_assets(struct offline *o)
{
    static const char sql[] =
        "SELECT path, blob_sha256, document_id, filename FROM asset"
        " WHERE collection_id = :c ORDER BY path";
    sqlite3_stmt *st = db_stmt(o->db, sql);
    int64_t *ids = kw_calloc(o->ndocs ? o->ndocs : 1, sizeof(*ids));
    size_t cap = 0, i;
    int rc = SQLITE_NOMEM, bad = 0;

    if (st == NULL || ids == NULL) {
        kw_free(ids);
        err_set(o->err, "assets: %s", db_errmsg(o->db));
        return -1;
    }
    for (i = 0; i < o->ndocs; i++) {
        ids[i] = o->docs[i].id;
    }
    qsort(ids, o->ndocs, sizeof(*ids), cmp_id);
    db_bind_int64(st, ":c", o->collection_id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int attachment = sqlite3_column_type(st, 2) != SQLITE_NULL;
        int64_t doc = sqlite3_column_int64(st, 2);
        struct entry *e;

        if (attachment &&
            bsearch(&doc, ids, o->ndocs, sizeof(*ids), cmp_id) == NULL) {
            continue; /* a document that is not published */
        }
        if (o->nassets == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct entry *na = kw_realloc(o->assets, nc * sizeof(*na));

            if (na == NULL) {
                rc = SQLITE_NOMEM;
                break;
            }
            o->assets = na;
            cap = nc;
        }
        e = &o->assets[o->nassets++];
        memset(e, 0, sizeof(*e));
        e->path = db_column_dup(st, 0);
        e->sha256 = db_column_dup(st, 1);
        e->filename = sqlite3_column_type(st, 3) != SQLITE_NULL
                          ? db_column_dup(st, 3)
                          : NULL;
        e->id = attachment ? doc : 0;
        e->attachment = attachment;
        if (e->path == NULL || e->sha256 == NULL) {
            bad = 1;
            rc = SQLITE_NOMEM;
            break;
        }
    }
    sqlite3_reset(st);
    kw_free(ids);
    if (rc != SQLITE_DONE || bad) {
        err_set(o->err, "assets: %s",
                rc == SQLITE_NOMEM ? "out of memory" : db_errmsg(o->db));
        return -1;
    }
    return 0;
}

/* Copy asset e's blob into the tree. */
static int
write_asset(struct offline *o, const struct entry *e)
{
    static const char sql[] = "SELECT data FROM blob WHERE sha256 = :s";
    sqlite3_stmt *st = db_stmt(o->db, sql);
    int rc;

    if (st == NULL) {
        err_set(o->err, "asset %s: %s", e->path, db_errmsg(o->db));
        return -1;
    }
    db_bind_text(st, ":s", e->sha256);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        err_set(o->err, "asset %s: %s", e->path,
                rc == SQLITE_DONE ? "its blob is missing" : db_errmsg(o->db));
        sqlite3_reset(st);
        return -1;
    }
    rc = write_file(o, e->file, sqlite3_column_blob(st, 0),
                    (size_t)sqlite3_column_bytes(st, 0));
    sqlite3_reset(st);
    return rc;
}

/* The collection's row: 1 found (r's title, description, source_url and
 * *lang set), 0 not, -1 error. */
static int
collection_row(struct offline *o, const char *name, struct offline_result *r,
               char **lang)
{
    struct document_coll c;
    struct arena a;
    int rc;

    arena_init(&a);
    rc = document_coll_find(o->db, name, &a, &c);
    if (rc == 1) {
        o->collection_id = c.id;
        r->title = c.title != NULL ? kw_strdup(c.title) : NULL;
        r->description =
            c.description != NULL ? kw_strdup(c.description) : NULL;
        if (c.source_url != NULL) {
            r->source_url = kw_strdup(c.source_url);
        }
        if (c.language != NULL) {
            *lang = kw_strdup(c.language);
        }
        if (r->title == NULL || r->description == NULL ||
            (c.source_url != NULL && r->source_url == NULL) ||
            (c.language != NULL && *lang == NULL)) {
            rc = -1;
        }
    }
    arena_free(&a);
    return rc;
}

/* add_lang's context: the ISO 639-3 list being built. */
struct langs {
    struct strbuf sb;
    int n;
};

static void
add_lang(void *ctx, const char *v, int64_t count)
{
    struct langs *l = ctx;
    const char *code = offline_iso639_3(v);

    (void)count;
    if (code == NULL || l->n == OFFLINE_LANGS_MAX ||
        (l->sb.len > 0 && strstr(strbuf_peek(&l->sb), code) != NULL)) {
        return;
    }
    strbuf_printf(&l->sb, "%s%s", l->sb.len > 0 ? "," : "", code);
    l->n++;
}

/* At most 80 characters of s (new), cut at a UTF-8 character. */
static char *
clip80(const char *s)
{
    size_t i = 0, chars = 0;

    while (s[i] != '\0' && chars < 80) {
        size_t n = utf8_seq_len((const unsigned char *)s + i, strlen(s + i));

        i += n > 0 ? n : 1;
        chars++;
    }
    return kw_strndup(s, i);
}

/* The ZIM metadata beside the tree: languages (collection's first, then
 * the documents' by count; "und" when none is known) and a description
 * that is never empty. */
static int
metadata(struct offline *o, struct offline_result *r, const char *lang)
{
    struct langs l = {STRBUF_INIT, 0};
    char *d;

    add_lang(&l, lang, 0);
    if (document_facet(o->db, o->collection_id, DOCUMENT_FACET_LANGUAGE,
                       add_lang, &l) < 0) {
        strbuf_free(&l.sb);
        err_set(o->err, "languages: %s", db_errmsg(o->db));
        return -1;
    }
    if (l.sb.len == 0) {
        strbuf_puts(&l.sb, "und");
    }
    if (!strbuf_ok(&l.sb)) {
        strbuf_free(&l.sb);
        err_set(o->err, "out of memory");
        return -1;
    }
    r->languages = strbuf_detach(&l.sb, NULL);
    if (r->description[0] == '\0') {
        struct strbuf s = STRBUF_INIT;

        strbuf_printf(&s, "%s: documents from Kwangmyong Portal", r->title);
        d = strbuf_ok(&s) ? clip80(strbuf_peek(&s)) : NULL;
        strbuf_free(&s);
    } else {
        d = clip80(r->description);
    }
    if (d == NULL) {
        err_set(o->err, "out of memory");
        return -1;
    }
    kw_free(r->description);
    r->description = d;
    return 0;
}

/* The welcome page: the collection and its documents by title. */
static int
write_welcome(struct offline *o, const struct offline_result *r,
              const char *description, int64_t now)
{
    struct entry w = {0};
    json_t *m = json_object(), *list = json_array();
    size_t i;

    w.file = (char *)OFFLINE_WELCOME;
    for (i = 0; i < o->ndocs; i++) {
        json_array_append_new(
            list, json_pack("{s:o, s:o, s:o}", "title",
                            document_json_text(o->docs[i].title), "language",
                            document_json_text(o->docs[i].language), "url",
                            jrel(&w, o->docs[i].file)));
    }
    json_object_set_new(m, "title", document_json_text(r->title));
    json_object_set_new(m, "description", document_json_text(description));
    json_object_set_new(m, "source_url", document_json_text(r->source_url));
    json_object_set_new(m, "count", json_integer((json_int_t)o->ndocs));
    json_object_set_new(m, "exported", document_json_day(now));
    json_object_set_new(m, "generator", json_string("kwangmyong " KW_VERSION));
    json_object_set_new(m, "style", json_string("style.css"));
    json_object_set_new(m, "documents", list);
    return write_page(o, "welcome", &w, m);
}

/* Copy templates/offline/NAME from the data directory to OFFLINE_DIR. */
static int
copy_static(struct offline *o, const char *data_dir, const char *name)
{
    struct strbuf src = STRBUF_INIT, dst = STRBUF_INIT;
    char *buf = NULL;
    size_t len = 0;
    int rc = -1;

    strbuf_printf(&src, "%s/templates/offline/%s", data_dir, name);
    strbuf_printf(&dst, OFFLINE_DIR "/%s", name);
    if (!strbuf_ok(&src) || !strbuf_ok(&dst)) {
        err_set(o->err, "out of memory");
    } else if (fs_read_file(strbuf_peek(&src), OFFLINE_STATIC_MAX, &buf, &len) <
               0) {
        err_set(o->err, "%s: %s", strbuf_peek(&src), strerror(errno));
    } else {
        rc = write_file(o, strbuf_peek(&dst), buf, len);
    }
    kw_free(buf);
    strbuf_free(&src);
    strbuf_free(&dst);
    return rc;
}

int
offline_write(struct db *db, const char *data_dir, const char *collection,
              const char *dir, int64_t now, struct offline_result *r,
              struct offline_error *err)
{
    struct offline o = {0};
    struct listing l = {&o, 0, 0};
    struct document_filter f = {0};
    struct tmpl_error te;
    struct strbuf tdir = STRBUF_INIT;
    char *lang = NULL, *long_desc = NULL;
    int64_t count = 0;
    size_t i;
    int rc = -1, found;

    memset(r, 0, sizeof(*r));
    o.db = db;
    o.dir = dir;
    o.err = err;
    err->msg[0] = '\0';
    o.tmpl = tmpl_set_new();
    strbuf_printf(&tdir, "%s/templates/offline", data_dir);
    if (o.tmpl == NULL || !strbuf_ok(&tdir)) {
        err_set(err, "out of memory");
        goto out;
    }
    if (tmpl_set_load_dir(o.tmpl, strbuf_peek(&tdir), &te) < 0) {
        err_set(err, "%s: line %d: %s", te.file, te.line, te.msg);
        goto out;
    }
    if (db_read_begin(db) != SQLITE_OK) {
        err_set(err, "database: %s", db_errmsg(db));
        goto out;
    }
    found = collection_row(&o, collection, r, &lang);
    if (found <= 0) {
        if (found == 0) {
            err_set(err, "no collection '%s' in the database", collection);
            rc = OFFLINE_NO_COLLECTION;
        } else {
            err_set(err, "database: %s", db_errmsg(db));
        }
        goto end;
    }
    f.collection_id = o.collection_id;
    if (document_count_collection(db, &f, &count) < 0) {
        err_set(err, "database: %s", db_errmsg(db));
        goto end;
    }
    if (count == 0) {
        err_set(err, "collection '%s' has no published document", collection);
        rc = OFFLINE_EMPTY;
        goto end;
    }
    o.docs = kw_calloc((size_t)count, sizeof(*o.docs));
    l.cap = (size_t)count;
    if (o.docs == NULL ||
        document_list_collection(db, &f, 0, count, 0, list_doc, &l) < 0 ||
        l.bad) {
        err_set(err, "documents: %s",
                l.bad || o.docs == NULL ? "out of memory" : db_errmsg(db));
        goto end;
    }
    if (list_assets(&o) < 0) {
        goto end;
    }
    if (name_entries(&o) < 0) {
        err_set(err, "out of memory");
        goto end;
    }
    long_desc = kw_strdup(r->description);
    if (long_desc == NULL || metadata(&o, r, lang) < 0) {
        if (long_desc == NULL) {
            err_set(err, "out of memory");
        }
        goto end;
    }
    for (i = 0; i < o.ndocs; i++) {
        if (write_document(&o, &o.docs[i]) < 0) {
            goto end;
        }
    }
    for (i = 0; i < o.nassets; i++) {
        if (write_asset(&o, &o.assets[i]) < 0) {
            goto end;
        }
    }
    if (write_welcome(&o, r, long_desc, now) < 0 ||
        copy_static(&o, data_dir, "style.css") < 0 ||
        copy_static(&o, data_dir, "illustration.png") < 0) {
        goto end;
    }
    r->documents = (long)o.ndocs;
    r->assets = (long)o.nassets;
    rc = 0;
end:
    db_read_end(db);
out:
    if (rc != 0) {
        offline_result_free(r);
    }
    kw_free(lang);
    kw_free(long_desc);
    kw_free(o.docs_by_path);
    kw_free(o.assets_by_path);
    entries_free(o.docs, o.ndocs);
    entries_free(o.assets, o.nassets);
    tmpl_set_free(o.tmpl);
    strbuf_free(&tdir);
    return rc;
}
