/*
 * page_search: the search page, its JSON twin and title suggest.  Layer:
 * server/; depends on lib/search and the router's request values, never on
 * libmicrohttpd.  The search itself lives in lib/search.c; this file reads
 * and bounds the query arguments and, for the HTML view only, adds links
 * (pagination, facets, filter removal) to the model search_run() returns.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "html.h"
#include "pages.h"
#include "search.h"
#include "strbuf.h"

/* Page links shown around the current one in the pagination bar. */
#define PAGE_SEARCH_WINDOW 9

/* The integer argument `name`, or def when it is missing, is not a whole
 * decimal number, or lies outside [lo, hi].  Never fails. */
static int
arg_int(struct req *req, const char *name, int def, int lo, int hi)
{
    const char *s = req_arg(req, name);
    char *end;
    long v;

    if (s == NULL || *s == '\0') {
        return def;
    }
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
        return def;
    }
    return (int)v;
}

/* The string argument `name` (borrowed), or NULL when it is missing,
 * empty, longer than max bytes or not valid UTF-8: a filter value that
 * cannot name anything is a bad value, and bad values mean "no filter". */
static const char *
arg_str(struct req *req, const char *name, size_t max)
{
    const char *s = req_arg(req, name);
    size_t n = s != NULL ? strlen(s) : 0;

    return n > 0 && n <= max && utf8_valid(s, n) ? s : NULL;
}

/* Read q, c, lang, year, page and per_page into p (strings borrowed from
 * the request).  Bad values become defaults; search_run() clamps page
 * and per_page to their limits.  Collection names are at most 64 bytes
 * (the schema's CHECK), language tags at most 35 (BCP 47). */
static void
read_params(struct req *req, struct search_params *p)
{
    memset(p, 0, sizeof(*p));
    p->q = req_arg(req, "q");
    p->collection = arg_str(req, "c", 64);
    p->lang = arg_str(req, "lang", 35);
    p->year = arg_int(req, "year", 0, 1, 9999);
    p->page = arg_int(req, "page", 1, 1, INT_MAX);
    p->per_page = arg_int(req, "per_page", SEARCH_PER_PAGE, 1, INT_MAX);
}

/* Count a first-page search for the zero-result report (in memory; the
 * server writes the counts now and then, lib/searchlog.c). */
static void
note_search(struct req *req, const struct search_params *p, json_t *m)
{
    if (p->q != NULL && p->page <= 1) {
        searchlog_note(req->app->searchlog, p->q,
                       (long)json_integer_value(json_object_get(m, "total")));
    }
}

static int search_failed(struct req *req, json_t **model);

/* GET /api/search?q=&c=&lang=&year=&page=&per_page= : the search model as
 * JSON, the model of lib/search.h: {"query", "total", ["total_approx",]
 * "mode", ["all_total",] "page", "per_page", "results", "facets"}.  q is read
 * up to 256 bytes, page up to 500, per_page up to 50; an empty q answers zero
 * results, 200. */
int
page_api_search_get(struct req *req, json_t **model)
{
    struct search_params p;

    read_params(req, &p);
    if (searchcache_run(req->app->searchcache, req->db, &p, req->app->base,
                        model, NULL) < 0) {
        return search_failed(req, model);
    }
    note_search(req, &p, *model);
    return 200;
}

/* What the links of one result page keep: the query as echoed (at most
 * 256 bytes), the filters and a per_page other than the default. */
struct page_search_state {
    struct req *req;
    const char *q;          /* borrowed from the model */
    const char *collection; /* borrowed from the request, or NULL */
    const char *lang;       /* borrowed from the request, or NULL */
    int year;               /* 0: none */
    int per_page;
};

/* base/search?q=...&c=...&lang=...&year=...&per_page=...&page=... as a new
 * JSON string, each value percent-encoded.  c and lang NULL, year 0 and
 * page <= 1 are left out. */
static json_t *
search_link(const struct page_search_state *s, const char *c, const char *lang,
            int year, int page)
{
    struct strbuf u = STRBUF_INIT;
    json_t *j = NULL;

    strbuf_puts(&u, s->req->app->base);
    strbuf_puts(&u, "/search?q=");
    url_encode(&u, s->q, strlen(s->q));
    if (c != NULL) {
        strbuf_puts(&u, "&c=");
        url_encode(&u, c, strlen(c));
    }
    if (lang != NULL) {
        strbuf_puts(&u, "&lang=");
        url_encode(&u, lang, strlen(lang));
    }
    if (year != 0) {
        strbuf_printf(&u, "&year=%d", year);
    }
    if (s->per_page != SEARCH_PER_PAGE) {
        strbuf_printf(&u, "&per_page=%d", s->per_page);
    }
    if (page > 1) {
        strbuf_printf(&u, "&page=%d", page);
    }
    if (strbuf_ok(&u)) {
        j = json_string(strbuf_peek(&u));
    }
    strbuf_free(&u);
    return j;
}

/* A page link with the current filters (new JSON string). */
static json_t *
page_link(const struct page_search_state *s, int page)
{
    return search_link(s, s->collection, s->lang, s->year, page);
}

/* The UI string `key` in the reader's language (borrowed), or key. */
static const char *
ui_text(struct req *req, const char *key)
{
    const char *t = json_string_value(
        json_object_get(i18n_strings(&req->app->i18n, req->lang), key));

    return t != NULL ? t : key;
}

/* Add to each facet entry its link ("url", page 1, the other filters
 * kept) and whether it is the active filter ("current").  The display
 * name of the active collection goes to *ctitle (borrowed from the model,
 * or left alone). */
static void
facet_links(const struct page_search_state *s, json_t *facets,
            const char **ctitle)
{
    json_t *e;
    size_t i;

    json_array_foreach(json_object_get(facets, "collections"), i, e)
    {
        const char *name = json_string_value(json_object_get(e, "name"));
        int cur = name != NULL && s->collection != NULL &&
                  strcmp(name, s->collection) == 0;

        if (name == NULL) {
            continue;
        }
        if (cur) {
            *ctitle = json_string_value(json_object_get(e, "title"));
        }
        json_object_set_new(e, "current", json_boolean(cur));
        json_object_set_new(e, "url",
                            search_link(s, name, s->lang, s->year, 1));
    }
    json_array_foreach(json_object_get(facets, "languages"), i, e)
    {
        const char *code = json_string_value(json_object_get(e, "code"));

        if (code == NULL) {
            continue;
        }
        json_object_set_new(
            e, "current",
            json_boolean(s->lang != NULL && strcmp(code, s->lang) == 0));
        json_object_set_new(e, "url",
                            search_link(s, s->collection, code, s->year, 1));
    }
    json_array_foreach(json_object_get(facets, "years"), i, e)
    {
        int y = (int)json_integer_value(json_object_get(e, "year"));

        json_object_set_new(e, "current", json_boolean(y == s->year));
        json_object_set_new(e, "url",
                            search_link(s, s->collection, s->lang, y, 1));
    }
}

/* The active filters as [{"label", "remove_url"}] (new). */
static json_t *
active_filters(const struct page_search_state *s, const char *ctitle)
{
    json_t *a = json_array(), *e;
    char year[16];

    if (s->collection != NULL) {
        e = json_object();
        json_object_set_new(
            e, "label", json_string(ctitle != NULL ? ctitle : s->collection));
        json_object_set_new(e, "remove_url",
                            search_link(s, NULL, s->lang, s->year, 1));
        json_array_append_new(a, e);
    }
    if (s->lang != NULL) {
        e = json_object();
        json_object_set_new(e, "label", json_string(s->lang));
        json_object_set_new(e, "remove_url",
                            search_link(s, s->collection, NULL, s->year, 1));
        json_array_append_new(a, e);
    }
    if (s->year != 0) {
        snprintf(year, sizeof(year), "%d", s->year);
        e = json_object();
        json_object_set_new(e, "label", json_string(year));
        json_object_set_new(e, "remove_url",
                            search_link(s, s->collection, s->lang, 0, 1));
        json_array_append_new(a, e);
    }
    return a;
}

/* Add to each result its collection's title (from the collection facet,
 * which covers every matching document) and its date as YYYY-MM-DD. */
static void
result_extras(json_t *results, json_t *facets)
{
    json_t *r, *c, *colls = json_object_get(facets, "collections");
    size_t i, k;

    json_array_foreach(results, i, r)
    {
        const char *name = json_string_value(json_object_get(r, "collection"));
        json_t *at = json_object_get(r, "published_at");

        json_array_foreach(colls, k, c)
        {
            const char *cn = json_string_value(json_object_get(c, "name"));

            if (name != NULL && cn != NULL && strcmp(name, cn) == 0) {
                json_object_set(r, "collection_title",
                                json_object_get(c, "title"));
                break;
            }
        }
        if (json_object_get(r, "collection_title") == NULL) {
            json_object_set(r, "collection_title",
                            json_object_get(r, "collection"));
        }
        if (json_is_integer(at)) {
            time_t t = (time_t)json_integer_value(at);
            struct tm tm;
            char date[32];

            if (gmtime_r(&t, &tm) != NULL &&
                strftime(date, sizeof(date), "%Y-%m-%d", &tm) > 0) {
                json_object_set_new(r, "date", json_string(date));
            }
        }
    }
}

/* Pagination: "pages" [{"number", "url", "current"}] around the current
 * page, "prev_url"/"next_url" where they exist, "has_pages" when there is
 * more than one, and "out_of_range" with "first_url" for a page past the
 * last (the results are empty then, the total is not). */
static void
pagination(const struct page_search_state *s, json_t *m, long long total,
           int page)
{
    json_t *pages = json_array();
    long long last = (total + s->per_page - 1) / s->per_page;
    int first, end, i;

    if (last > SEARCH_MAX_PAGE) {
        last = SEARCH_MAX_PAGE;
    }
    first = page - PAGE_SEARCH_WINDOW / 2;
    if (first + PAGE_SEARCH_WINDOW - 1 > last) {
        first = (int)last - PAGE_SEARCH_WINDOW + 1;
    }
    if (first < 1) {
        first = 1;
    }
    end = first + PAGE_SEARCH_WINDOW - 1;
    if (end > last) {
        end = (int)last;
    }
    for (i = first; i <= end && last > 1; i++) {
        json_t *e = json_object();

        json_object_set_new(e, "number", json_integer(i));
        json_object_set_new(e, "url", page_link(s, i));
        json_object_set_new(e, "current", json_boolean(i == page));
        json_array_append_new(pages, e);
    }
    json_object_set_new(m, "pages", pages);
    json_object_set_new(m, "has_pages", json_boolean(last > 1 && page <= last));
    if (page > 1 && page <= last) {
        json_object_set_new(m, "prev_url", page_link(s, page - 1));
    }
    if (page < last) {
        json_object_set_new(m, "next_url", page_link(s, page + 1));
    }
    if (total > 0 && page > last) {
        json_object_set_new(m, "out_of_range", json_true());
        json_object_set_new(m, "first_url", page_link(s, 1));
    }
}

/* GET /search?q=&c=&lang=&year=&page=&per_page= : the search page (view
 * "search").  The model is /api/search's plus view-only links: "prompt"
 * (no q: invite a search, 200), "title", "has_results", "first_number",
 * per result "collection_title" and "date", facet "url" and "current",
 * "filters" [{"label", "remove_url"}] with "has_filters", and pagination
 * (see above).  Limits as for /api/search; bad values fall back to
 * defaults, never to a 500. */
int
page_search_get(struct req *req, json_t **model)
{
    struct search_params p;
    struct page_search_state s;
    struct strbuf title = STRBUF_INIT;
    json_t *m, *results, *facets, *filters;
    const char *ctitle = NULL;
    long long total;
    int page;
    size_t k;

    read_params(req, &p);
    if (searchcache_run(req->app->searchcache, req->db, &p, req->app->base,
                        model, NULL) < 0) {
        return search_failed(req, model);
    }
    m = *model;
    note_search(req, &p, m);
    results = json_object_get(m, "results");
    facets = json_object_get(m, "facets");
    total = json_integer_value(json_object_get(m, "total"));
    page = (int)json_integer_value(json_object_get(m, "page"));
    memset(&s, 0, sizeof(s));
    s.req = req;
    s.q = json_string_value(json_object_get(m, "query"));
    if (s.q == NULL) {
        s.q = "";
    }
    s.collection = p.collection;
    s.lang = p.lang;
    s.year = p.year;
    s.per_page = (int)json_integer_value(json_object_get(m, "per_page"));

    k = strspn(s.q, " \t\r\n");
    json_object_set_new(m, "prompt", json_boolean(s.q[k] == '\0'));
    strbuf_puts(&title, ui_text(req, "search_title"));
    if (s.q[k] != '\0') {
        strbuf_puts(&title, ": ");
        strbuf_puts(&title, s.q + k);
    }
    json_object_set_new(m, "title", json_string(strbuf_peek(&title)));
    strbuf_free(&title);
    json_object_set_new(m, "has_results",
                        json_boolean(json_array_size(results) > 0));
    /* The OR fallback says so (search.h, "mode"). */
    {
        const char *mode = json_string_value(json_object_get(m, "mode"));
        int any = mode != NULL && strcmp(mode, "any") == 0;

        json_object_set_new(m, "any_mode", json_boolean(any));
        json_object_set_new(m, "parts_mode",
                            json_boolean(json_object_get(m, "parts") != NULL));
        json_object_set_new(
            m, "any_none",
            json_boolean(any && json_integer_value(
                                    json_object_get(m, "all_total")) == 0));
    }
    json_object_set_new(m, "first_number",
                        json_integer((long long)(page - 1) * s.per_page + 1));
    facet_links(&s, facets, &ctitle);
    result_extras(results, facets);
    json_object_set_new(m, "has_collection_facet",
                        json_boolean(json_array_size(json_object_get(
                                         facets, "collections")) > 0));
    json_object_set_new(m, "has_language_facet",
                        json_boolean(json_array_size(json_object_get(
                                         facets, "languages")) > 0));
    json_object_set_new(
        m, "has_year_facet",
        json_boolean(json_array_size(json_object_get(facets, "years")) > 0));
    json_object_set_new(m, "has_facets", json_boolean(total > 0));
    filters = active_filters(&s, ctitle);
    json_object_set_new(m, "has_filters",
                        json_boolean(json_array_size(filters) > 0));
    json_object_set_new(m, "filters", filters);
    pagination(&s, m, total, page);
    return 200;
}

/* GET /suggest?q= : title completion as a JSON array of at most 10
 * {"title", "url"} (lib/search.h: published documents whose normalised
 * title starts with q; q read up to 256 bytes; no q: []).  Answered here,
 * not by the router, because the answer is an array; public for a minute,
 * since every keystroke asks and the titles rarely change. */
int
page_suggest_get(struct req *req, json_t **model)
{
    json_t *a;
    int rc;

    *model = NULL;
    if (search_suggest(req->db, req_arg(req, "q"), req->app->base, &a) < 0) {
        return 500;
    }
    rc = resp_json(req, a);
    json_decref(a);
    if (rc < 0) {
        return 500;
    }
    resp_header(req, RESP_CACHE_CONTROL, "public, max-age=60");
    return 200;
}

/* A search that failed: 503 with Retry-After when it ran past its budget
 * (search_timeout_ms: a costly query, or a machine too busy to finish it
 * in time), else 500.  Never a 500 for a query that was only expensive. */
static int
search_failed(struct req *req, json_t **model)
{
    *model = NULL;
    if (db_deadline_passed(req->db)) {
        resp_header(req, RESP_RETRY_AFTER, "2");
        *model = json_pack("{s:s}", "message", ui_text(req, "search_busy"));
        return 503;
    }
    return 500;
}
