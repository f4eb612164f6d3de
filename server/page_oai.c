/*
 * page_oai: the OAI-PMH 2.0 endpoint (/oai), so that library harvesters
 * can copy the catalogue's metadata.  Layer: server/; never touches MHD.
 * The six verbs, Dublin Core records (oai_dc), one set per collection,
 * and the protocol's errors, all answered 200 with text/xml as the
 * protocol wants; the view is templates/oai/response.xml.
 *
 * What is harvested: every document that was ever published.  One that
 * is published now is a record; one that was published and is no longer
 * (withdrawn, superseded by a newer version, restored to the queue) is a
 * deleted record (<header status="deleted">), kept for ever
 * (deletedRecord "persistent").  A record's datestamp is the document's
 * updated_at, which every publish, withdrawal, supersession and edit sets.
 *
 * Identifiers: oai:HOST:doc/ID, HOST the request's host without its port,
 * ID the document's id (as /d/ID).  A new version of a page is a new
 * document: the old identifier becomes deleted, the new one appears.
 *
 * Lists hold OAI_PAGE records; a longer one ends with a resumptionToken
 * that carries the whole request, so the server keeps no state:
 *   1~oai_dc~AFTER~CURSOR~FROM~UNTIL~ISSUED~SET
 * AFTER the last id sent (lists go by id), CURSOR how many records came
 * before, FROM and UNTIL the selected datestamps in Unix seconds, ISSUED
 * when the token was made (it expires OAI_TOKEN_TTL seconds later), SET a
 * collection name or nothing.  '~' is in no collection name.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "document.h"
#include "html.h"
#include "pages.h"
#include "strbuf.h"
#include "xmlview.h"

#define OAI_PAGE 50
#define OAI_TOKEN_TTL 86400
#define OAI_MAX_SETS 10000
/* The datestamps of no selection: 1970 to the end of 9999. */
#define OAI_TIME_MIN 0
#define OAI_TIME_MAX INT64_C(253402300799)
#define OAI_CTYPE "text/xml; charset=utf-8"

enum oai_arg {
    ARG_VERB,
    ARG_IDENTIFIER,
    ARG_PREFIX,
    ARG_FROM,
    ARG_UNTIL,
    ARG_SET,
    ARG_TOKEN,
    ARG_N
};

static const char *const arg_names[ARG_N] = {
    "verb",  "identifier", "metadataPrefix", "from",
    "until", "set",        "resumptionToken"};

#define BIT(a) (1u << (a))
#define LIST_ARGS                                                              \
    (BIT(ARG_PREFIX) | BIT(ARG_FROM) | BIT(ARG_UNTIL) | BIT(ARG_SET) |         \
     BIT(ARG_TOKEN))

/* One request's state. */
struct oai {
    struct req *req;
    json_t *m; /* the model */
    const char *arg[ARG_N];
    const char *ns; /* the identifiers' namespace: the host */
    /* the selection of a list */
    int64_t after, cursor, from, until;
    const char *set;
};

/* ---- arguments ---- */

/* Record the protocol error `code` (borrowed, static) in the model.
 * Errors are answers: the HTTP status stays 200. */
static void
oai_error(struct oai *o, const char *code, const char *message)
{
    json_t *e = json_object();

    json_object_set_new(e, "code", json_string(code));
    json_object_set_new(e, "message", xmlview_text(message));
    json_object_set_new(o->m, "error", e);
}

/* A whole decimal number of at most 18 digits into *v: 1, else 0. */
static int
decimal(const char *s, size_t n, int64_t *v)
{
    int64_t x = 0;
    size_t i;

    if (n == 0 || n > 18) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

/* A from/until value: YYYY-MM-DD (granularity 1) or YYYY-MM-DDThh:mm:ssZ
 * (2) into *t, the day's first second or, for until, its last.  The
 * granularity, or 0 when s is neither. */
static int
oai_date(const char *s, int until, int64_t *t)
{
    static const char day[] = "dddd-dd-dd", full[] = "dddd-dd-ddTdd:dd:ddZ";
    size_t n = strlen(s), i;
    const char *shape = n == sizeof(day) - 1    ? day
                        : n == sizeof(full) - 1 ? full
                                                : NULL;
    struct tm tm, back;
    time_t tt;

    if (shape == NULL) {
        return 0;
    }
    for (i = 0; i < n; i++) {
        if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i]) {
            return 0;
        }
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = atoi(s) - 1900;
    tm.tm_mon = atoi(s + 5) - 1;
    tm.tm_mday = atoi(s + 8);
    if (shape == full) {
        tm.tm_hour = atoi(s + 11);
        tm.tm_min = atoi(s + 14);
        tm.tm_sec = atoi(s + 17);
    } else if (until) {
        tm.tm_hour = 23;
        tm.tm_min = 59;
        tm.tm_sec = 59;
    }
    back = tm;
    tt = timegm(&tm);
    /* timegm normalises 02-30 to 03-02: a date that moved was no date. */
    if (tm.tm_year != back.tm_year || tm.tm_mon != back.tm_mon ||
        tm.tm_mday != back.tm_mday || tm.tm_hour != back.tm_hour ||
        tm.tm_min != back.tm_min || tm.tm_sec != back.tm_sec) {
        return 0;
    }
    *t = (int64_t)tt;
    return shape == full ? 2 : 1;
}

/* What each verb takes: `required` arguments must be there (unless a
 * resumptionToken, which is exclusive, is), `allowed` may be. */
struct verb {
    const char *name;
    unsigned required, allowed;
    void (*run)(struct oai *o);
};

static const struct verb *verb_find(const char *name);

/* Read the arguments (kv, n) into o->arg.  0 when they are good; else
 * -1 with badVerb or badArgument in the model. */
static int
read_args(struct oai *o, const struct kv *kv, size_t n)
{
    const struct verb *v;
    unsigned given = 0;
    size_t i;
    int a, gf = 0, gu = 0;

    for (i = 0; i < n; i++) {
        if (kv[i].key[0] == '\0' && kv[i].value[0] == '\0') {
            continue; /* a stray '&' */
        }
        for (a = 0; a < ARG_N && strcmp(kv[i].key, arg_names[a]) != 0; a++) {
        }
        if (a == ARG_N) {
            oai_error(o, "badArgument", "an argument the protocol lacks");
            return -1;
        }
        if (given & BIT(a)) {
            oai_error(o, a == ARG_VERB ? "badVerb" : "badArgument",
                      "a repeated argument");
            return -1;
        }
        if (!utf8_valid(kv[i].value, strlen(kv[i].value))) {
            oai_error(o, "badArgument", "an argument that is not UTF-8");
            return -1;
        }
        given |= BIT(a);
        o->arg[a] = kv[i].value;
    }
    v = o->arg[ARG_VERB] != NULL ? verb_find(o->arg[ARG_VERB]) : NULL;
    if (v == NULL) {
        oai_error(o, "badVerb",
                  o->arg[ARG_VERB] == NULL ? "no verb" : "no such verb");
        return -1;
    }
    given &= ~BIT(ARG_VERB);
    if ((given & ~v->allowed) != 0) {
        oai_error(o, "badArgument", "an argument this verb does not take");
        return -1;
    }
    if ((given & BIT(ARG_TOKEN)) ? given != BIT(ARG_TOKEN)
                                 : (given & v->required) != v->required) {
        oai_error(o, "badArgument",
                  (given & BIT(ARG_TOKEN))
                      ? "resumptionToken goes alone"
                      : "an argument this verb needs is missing");
        return -1;
    }
    o->from = OAI_TIME_MIN;
    o->until = OAI_TIME_MAX;
    if (o->arg[ARG_FROM] != NULL &&
        (gf = oai_date(o->arg[ARG_FROM], 0, &o->from)) == 0) {
        oai_error(o, "badArgument", "from is not a UTC datestamp");
        return -1;
    }
    if (o->arg[ARG_UNTIL] != NULL &&
        (gu = oai_date(o->arg[ARG_UNTIL], 1, &o->until)) == 0) {
        oai_error(o, "badArgument", "until is not a UTC datestamp");
        return -1;
    }
    if (gf != 0 && gu != 0 && gf != gu) {
        oai_error(o, "badArgument", "from and until differ in granularity");
        return -1;
    }
    if (o->from > o->until) {
        oai_error(o, "badArgument", "from is later than until");
        return -1;
    }
    return 0;
}

/* The request element's attributes: every argument, as given. */
static void
echo_args(struct oai *o)
{
    json_t *r = json_object();
    int a;

    for (a = 0; a < ARG_N; a++) {
        json_object_set_new(r, arg_names[a], xmlview_text(o->arg[a]));
    }
    json_object_set_new(o->m, "request", r);
}

/* 1 when metadataPrefix is one we disseminate; else 0 with the error. */
static int
prefix_ok(struct oai *o, const char *prefix)
{
    if (strcmp(prefix, "oai_dc") != 0) {
        oai_error(o, "cannotDisseminateFormat", "only oai_dc is offered");
        return 0;
    }
    return 1;
}

/* The document id of identifier s (oai:NS:doc/ID), or 0 when s is not
 * one of ours. */
static int64_t
identifier_id(struct oai *o, const char *s)
{
    size_t nl = strlen(o->ns);
    int64_t id;

    if (strncmp(s, "oai:", 4) != 0 || strncmp(s + 4, o->ns, nl) != 0 ||
        strncmp(s + 4 + nl, ":doc/", 5) != 0 || s[4 + nl + 5] == '0' ||
        !decimal(s + 9 + nl, strlen(s + 9 + nl), &id)) {
        return 0;
    }
    return id;
}

/* ---- records ---- */

/* A list's context: the records or headers so far. */
struct list {
    struct oai *o;
    json_t *items;
    int records;        /* with metadata */
    int64_t prev, last; /* the ids of the last two items */
};

/* The oai_dc metadata of published document d (new). */
static json_t *
dc_model(struct oai *o, const struct document *d)
{
    json_t *dc = json_object(), *creators = json_array();
    const char *a = d->authors;
    char date[32];

    json_object_set_new(dc, "title", xmlview_text(d->title));
    /* ingest joins a manifest's authors with "; " */
    while (a != NULL && *a != '\0') {
        const char *end = strstr(a, "; ");
        size_t n = end != NULL ? (size_t)(end - a) : strlen(a);
        char *one = arena_strndup(o->req->arena, a, n);

        if (one != NULL && n > 0) {
            json_array_append_new(creators, xmlview_text(one));
        }
        a = end != NULL ? end + 2 : NULL;
    }
    json_object_set_new(dc, "creators", creators);
    json_object_set_new(dc, "description", xmlview_text(d->description));
    xmlview_time(d->published_at, date);
    date[10] = '\0';
    json_object_set_new(dc, "date", json_string(date));
    if (d->doc_date != NULL && strcmp(d->doc_date, date) != 0) {
        json_object_set_new(dc, "doc_date", xmlview_text(d->doc_date));
    }
    json_object_set_new(
        dc, "identifier",
        xmlview_text(xmlview_doc_url(o->req, d->collection, d->path)));
    json_object_set_new(dc, "source", xmlview_text(d->source_url));
    json_object_set_new(dc, "language", xmlview_text(d->language));
    json_object_set_new(dc, "publisher", xmlview_text(d->collection_title));
    return dc;
}

static void
list_add(void *ctx, const struct document *d, int64_t datestamp)
{
    struct list *l = ctx;
    json_t *r = json_object();
    int deleted = strcmp(d->status, DOC_PUBLISHED) != 0;
    char id[64], ts[32];

    snprintf(id, sizeof(id), ":doc/%lld", (long long)d->id);
    json_object_set_new(r, "identifier",
                        json_pack("s++", "oai:", l->o->ns, id));
    xmlview_time(datestamp, ts);
    json_object_set_new(r, "datestamp", json_string(ts));
    json_object_set_new(r, "set_spec", json_string(d->collection));
    json_object_set_new(r, "deleted", json_boolean(deleted));
    if (l->records && !deleted) {
        json_object_set_new(r, "dc", dc_model(l->o, d));
    }
    json_array_append_new(l->items, r);
    l->prev = l->last;
    l->last = d->id;
}

/* ---- the verbs ---- */

static void
identify(struct oai *o)
{
    json_t *i = json_object();
    int64_t t;
    char ts[32];

    if (document_earliest_update(o->req->db, &t) < 0) {
        json_decref(i);
        json_object_set_new(o->m, "failed", json_true());
        return;
    }
    xmlview_time(t, ts);
    json_object_set_new(i, "earliest", json_string(ts));
    json_object_set_new(i, "admin_email",
                        json_pack("s+", "postmaster@", xmlview_host(o->req)));
    json_object_set_new(o->m, "identify", i);
}

/* The record of document id into l (0 items when it was never
 * published).  0 or -1. */
static int
one_record(struct oai *o, int64_t id, struct list *l)
{
    struct document_harvest h = {id - 1, OAI_TIME_MIN, OAI_TIME_MAX, 1, NULL};

    if (document_list_harvest(o->req->db, &h, list_add, l) < 0) {
        return -1;
    }
    if (json_array_size(l->items) == 1 && l->last != id) {
        json_array_clear(l->items);
    }
    return 0;
}

/* The identifier argument's record into l: 1, or 0 with idDoesNotExist
 * in the model, or -1 on a database error. */
static int
identified(struct oai *o, struct list *l)
{
    int64_t id = identifier_id(o, o->arg[ARG_IDENTIFIER]);

    if (id > 0 && one_record(o, id, l) < 0) {
        return -1;
    }
    if (json_array_size(l->items) == 0) {
        oai_error(o, "idDoesNotExist", "no such item");
        return 0;
    }
    return 1;
}

static void
list_formats(struct oai *o)
{
    struct list l = {o, json_array(), 0, 0, 0};
    int rc = 1;

    if (o->arg[ARG_IDENTIFIER] != NULL) {
        rc = identified(o, &l);
    }
    json_decref(l.items);
    if (rc < 0) {
        json_object_set_new(o->m, "failed", json_true());
    } else if (rc > 0) {
        json_object_set_new(o->m, "formats", json_true());
    }
}

static void
set_add(void *ctx, const struct document_collection *c)
{
    json_t *s = json_object();

    json_object_set_new(s, "spec", json_string(c->name));
    json_object_set_new(s, "name", xmlview_text(c->title));
    json_array_append_new(ctx, s);
}

static void
list_sets(struct oai *o)
{
    json_t *sets = json_array();

    if (o->arg[ARG_TOKEN] != NULL) {
        /* Every set fits in one answer: no token was ever given out. */
        json_decref(sets);
        oai_error(o, "badResumptionToken", "no such list");
        return;
    }
    if (document_collection_counts(o->req->db, OAI_MAX_SETS, set_add, sets) <
        0) {
        json_decref(sets);
        json_object_set_new(o->m, "failed", json_true());
        return;
    }
    if (json_array_size(sets) == 0) {
        json_decref(sets);
        oai_error(o, "noSetHierarchy", "there is no collection yet");
        return;
    }
    json_object_set_new(o->m, "sets", json_pack("{so}", "sets", sets));
}

/* Field i of a token's '~'-separated fields (start, length), or 0 when
 * there are fewer. */
static int
token_field(const char *t, int i, const char **s, size_t *n)
{
    for (; i > 0; i--) {
        t = strchr(t, '~');
        if (t == NULL) {
            return 0;
        }
        t++;
    }
    *s = t;
    *n = strcspn(t, "~");
    return 1;
}

/* Read a resumptionToken into o's selection: 1, or 0 when it is not
 * one this server made or it has expired. */
static int
token_read(struct oai *o, const char *t)
{
    int64_t v[5], now = (int64_t)time(NULL);
    const char *s;
    size_t n;
    int i;

    if (strncmp(t, "1~oai_dc~", 9) != 0) {
        return 0;
    }
    /* AFTER, CURSOR, FROM and UNTIL (signed) and ISSUED */
    for (i = 0; i < 5; i++) {
        int neg;

        if (!token_field(t, i + 2, &s, &n)) {
            return 0;
        }
        /* FROM and UNTIL may lie before 1970 */
        neg = n > 0 && s[0] == '-' && (i == 2 || i == 3);
        if (!decimal(s + neg, n - neg, &v[i])) {
            return 0;
        }
        v[i] = neg ? -v[i] : v[i];
    }
    /* SET: a collection name, or nothing, and no field after it */
    if (!token_field(t, 7, &s, &n) || s[n] != '\0' ||
        strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") != n) {
        return 0;
    }
    if (v[2] > v[3] || v[4] > now + 60 || now - v[4] > OAI_TOKEN_TTL) {
        return 0;
    }
    o->after = v[0];
    o->cursor = v[1];
    o->from = v[2];
    o->until = v[3];
    o->set = n > 0 ? arena_strndup(o->req->arena, s, n) : NULL;
    return 1;
}

/* The token that goes on after l's last record (new JSON object with
 * value, cursor and expires). */
static json_t *
token_next(struct oai *o, const struct list *l)
{
    struct strbuf t = STRBUF_INIT;
    int64_t now = (int64_t)time(NULL);
    char ts[32];
    json_t *j;

    strbuf_printf(&t, "1~oai_dc~%lld~%lld~%lld~%lld~%lld~%s",
                  (long long)l->last,
                  (long long)(o->cursor + (int64_t)json_array_size(l->items)),
                  (long long)o->from, (long long)o->until, (long long)now,
                  o->set != NULL ? o->set : "");
    xmlview_time(now + OAI_TOKEN_TTL, ts);
    j = json_pack("{s:s, s:I, s:s}", "value", strbuf_peek(&t), "cursor",
                  (json_int_t)o->cursor, "expires", ts);
    strbuf_free(&t);
    return j;
}

/* ListIdentifiers (records 0) and ListRecords (1). */
static void
list(struct oai *o, int records)
{
    struct list l = {o, json_array(), records, 0, 0};
    struct document_harvest h;
    json_t *body;

    if (o->arg[ARG_TOKEN] != NULL) {
        if (!token_read(o, o->arg[ARG_TOKEN])) {
            json_decref(l.items);
            oai_error(o, "badResumptionToken",
                      "not a token of this list, or expired");
            return;
        }
    } else if (!prefix_ok(o, o->arg[ARG_PREFIX])) {
        json_decref(l.items);
        return;
    } else {
        o->set = o->arg[ARG_SET];
    }
    h = (struct document_harvest){o->after, o->from, o->until, OAI_PAGE + 1,
                                  o->set};
    if (document_list_harvest(o->req->db, &h, list_add, &l) < 0) {
        json_decref(l.items);
        json_object_set_new(o->m, "failed", json_true());
        return;
    }
    if (json_array_size(l.items) == 0) {
        json_decref(l.items);
        oai_error(o, "noRecordsMatch", "no record is selected");
        return;
    }
    body = json_object();
    if (json_array_size(l.items) > OAI_PAGE) {
        json_array_remove(l.items, OAI_PAGE);
        l.last = l.prev;
        json_object_set_new(body, "token", token_next(o, &l));
    } else if (o->arg[ARG_TOKEN] != NULL) {
        /* The list's last part says so with an empty token. */
        json_object_set_new(body, "token",
                            json_pack("{s:s, s:I}", "value", "", "cursor",
                                      (json_int_t)o->cursor));
    }
    json_object_set_new(body, "items", l.items);
    json_object_set_new(o->m, records ? "list_records" : "list_identifiers",
                        body);
}

static void
list_identifiers(struct oai *o)
{
    list(o, 0);
}

static void
list_records(struct oai *o)
{
    list(o, 1);
}

static void
get_record(struct oai *o)
{
    struct list l = {o, json_array(), 1, 0, 0};
    int rc;

    if (!prefix_ok(o, o->arg[ARG_PREFIX])) {
        json_decref(l.items);
        return;
    }
    rc = identified(o, &l);
    if (rc <= 0) {
        json_decref(l.items);
        if (rc < 0) {
            json_object_set_new(o->m, "failed", json_true());
        }
        return;
    }
    json_object_set_new(o->m, "get_record",
                        json_pack("{so}", "items", l.items));
}

static const struct verb verbs[] = {
    {"Identify", 0, 0, identify},
    {"ListMetadataFormats", 0, BIT(ARG_IDENTIFIER), list_formats},
    {"ListSets", 0, BIT(ARG_TOKEN), list_sets},
    {"ListIdentifiers", BIT(ARG_PREFIX), LIST_ARGS, list_identifiers},
    {"ListRecords", BIT(ARG_PREFIX), LIST_ARGS, list_records},
    {"GetRecord", BIT(ARG_IDENTIFIER) | BIT(ARG_PREFIX),
     BIT(ARG_IDENTIFIER) | BIT(ARG_PREFIX), get_record},
};

static const struct verb *
verb_find(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (strcmp(verbs[i].name, name) == 0) {
            return &verbs[i];
        }
    }
    return NULL;
}

/* Answer the OAI-PMH request whose arguments are kv (n of them). */
static int
oai(struct req *req, const struct kv *kv, size_t n, json_t **model)
{
    struct oai o;
    char now[32];

    memset(&o, 0, sizeof(o));
    o.req = req;
    o.m = json_object();
    o.ns = xmlview_host(req);
    *model = o.m;
    xmlview_time((int64_t)time(NULL), now);
    json_object_set_new(o.m, "response_date", json_string(now));
    json_object_set_new(o.m, "base_url",
                        xmlview_text(xmlview_url(req, "/oai")));
    if (read_args(&o, kv, n) == 0) {
        echo_args(&o);
        verb_find(o.arg[ARG_VERB])->run(&o);
    }
    if (json_object_get(o.m, "failed") != NULL) {
        return 500;
    }
    return xmlview_render(req, "oai/response.xml", o.m, OAI_CTYPE,
                          "public, max-age=60");
}

/* GET /oai?verb=...: OAI-PMH 2.0 (see the top of this file). */
int
page_oai_get(struct req *req, json_t **model)
{
    return oai(req, req->args, req->nargs, model);
}

/* POST /oai, the arguments as application/x-www-form-urlencoded: the
 * same answers as GET.  On a read-only replica the router sends every
 * POST to the primary (303), so harvest replicas with GET. */
int
page_oai_post(struct req *req, json_t **model)
{
    return oai(req, req->form, req->nform, model);
}
