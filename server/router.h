/*
 * router: the request and response values handlers see, the process-wide
 * application state, and the route table.  Layer: server/; depends on
 * lib/, never on microhttpd.h (only server/http.c talks to libmicrohttpd,
 * so every page can be tested by calling router_dispatch() on a request
 * built in memory).
 */
#ifndef KW_ROUTER_H
#define KW_ROUTER_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "arena.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "i18n.h"
#include "searchcache.h"
#include "searchlog.h"
#include "staticfiles.h"
#include "strbuf.h"
#include "tmpl.h"
#include "workpool.h"

enum req_method {
    REQ_GET = 1,
    REQ_HEAD = 2,
    REQ_POST = 4,
    REQ_OTHER = 8,
};

enum route_flags {
    ROUTE_JSON = 1, /* the model is always answered as JSON */
    ROUTE_BODY = 2, /* takes a request body (form fields) */
    ROUTE_CSRF = 4, /* state change: CSRF token and same origin */
    ROUTE_ROLE_OPERATOR = 8,
    ROUTE_ROLE_MODERATOR = 16,
    ROUTE_ROLE_ADMIN = 32,
    ROUTE_NO_STORE = 64,    /* Cache-Control: no-store */
    ROUTE_PREFIX = 128,     /* pattern matches a path prefix */
    ROUTE_POOL = 256,       /* costly: run on the search pool (http.c), never
                               on an HTTP thread */
    ROUTE_LOGIN_POOL = 512, /* slow by design (argon2id, the failure
                               delay): run on the login pool */
};

struct kv {
    const char *key;
    const char *value;
};

#define ROUTER_NSTATUS 20
#define ROUTER_NBUCKETS 12

/* Process-wide state: built before the daemon starts, then read-only
 * except for the atomic counters. */
struct app {
    struct config *cfg;          /* borrowed */
    const char *data_dir;        /* borrowed */
    const char *base;            /* URL prefix without trailing slash, or "" */
    struct tmpl_set *tmpl;       /* owned */
    struct i18n i18n;            /* owned */
    struct static_set statics;   /* owned */
    json_t *static_urls;         /* owned: {"css_site": "/static/...", ...} */
    struct db *wdb;              /* the writer connection, owned; NULL
                                    on a read-only replica (read_only) */
    atomic_long db_gen;          /* bumped when the readers must reopen the
                                    database (a replica's new snapshot) */
    struct searchlog *searchlog; /* owned; flushed by the main loop */
    struct searchcache *searchcache; /* owned */
    time_t started;
    const char *build_id; /* templates, borrowed from tmpl */
    char render_id[24];   /* templates + i18n + static + base: the key of
                             stored renditions */
    /* metrics: requests by route and status, latency histogram */
    atomic_ulong *req_count; /* owned: [nroutes + 1][ROUTER_NSTATUS] */
    atomic_ulong lat_bucket[ROUTER_NBUCKETS];
    atomic_ulong lat_sum_us;
    atomic_ulong lat_count;
    /* the search pool (server/http.c): borrowed, NULL without a server */
    struct workpool *search_pool;
    atomic_ulong search_refused; /* searches answered 503: queue full */
};

/* What a handler answers besides its model; http.c turns it into the
 * wire response.  Strings are borrowed (static, arena or app lifetime). */
struct resp {
    int status;
    const char *ctype;
    const char *body; /* raw body; NULL: render the model */
    size_t len;
    char *owned;    /* body buffer to kw_free after sending, or NULL */
    const char *gz; /* precompressed body, borrowed, or NULL */
    size_t gzlen;
    int gzipped; /* body is gzip (Content-Encoding set) */
    char etag[80];
    const char *cache_control;
    const char *location;
    const char *csp; /* overrides the default policy */
    const char *allow;
    const char *set_cookie;
    const char *retry_after;
    int close; /* close the connection after this response */
    int vary_encoding;
    int ranges; /* byte ranges may be served (Accept-Ranges) */
    char content_range[96];
    const char *disposition; /* Content-Disposition */
    long delay_ms; /* hold the answer this long before sending it; http.c
                      holds it without a thread (a failed login's wait) */
};

struct req {
    struct app *app;
    int method;
    const char *method_name;
    const char *path;    /* decoded, base path removed, starts with '/' */
    const char *raw_uri; /* as received */
    struct kv *args;     /* query string, decoded */
    size_t nargs;
    struct kv *form; /* application/x-www-form-urlencoded body */
    size_t nform;
    struct kv *headers;
    size_t nheaders;
    const char *body;
    size_t body_len;
    const char *client; /* peer address as text */
    struct arena *arena;
    struct db *db; /* this thread's reader connection */
    int lang;      /* index into i18n_langs */
    int accept_gzip;
    const char *captures[4]; /* ":name" and "*" pieces of the pattern */
    int ncaptures;
    int route;                /* index of the matched route, -1 for none */
    struct auth_user *user;   /* logged-in admin user, or NULL (arena) */
    const char *session_csrf; /* that session's CSRF token (arena) */
    unsigned long id;
    struct resp resp;
};

typedef int (*route_fn)(struct req *req, json_t **model);

struct route {
    unsigned methods;
    const char *pattern; /* "/c/:name/" style; with ROUTE_PREFIX a prefix */
    route_fn handler;
    const char *view; /* template, NULL for JSON or raw answers */
    unsigned flags;
    const char *name; /* for /metrics */
};

extern const struct route routes[];
extern const size_t nroutes;

/* Look up a header, query argument, form field or cookie (borrowed). */
const char *req_header(const struct req *req, const char *name);
const char *req_arg(const struct req *req, const char *name);
const char *req_form(const struct req *req, const char *name);
/* Value of cookie `name` copied into the arena, or NULL. */
const char *req_cookie(struct req *req, const char *name);

/* The Set-Cookie value (arena) of cookie name=value with the attributes
 * attrs ("HttpOnly; SameSite=Strict", ...): Path is the base path, and
 * Secure is added with cookie_secure.  Served over TLS (tls_cert) the
 * cookie is "__Host-" prefixed, Secure and on Path=/ (what the prefix
 * demands); req_cookie reads it back under its plain name.  NULL when out
 * of memory. */
const char *router_set_cookie(struct req *req, const char *name,
                              const char *value, const char *attrs);
/* Build an absolute URL path under the base path (arena string). */
const char *req_url(struct req *req, const char *path);

/* Route the request, run the handler, render the view or JSON, fill
 * req->resp.  Never fails: errors become error pages. */
void router_dispatch(struct req *req);
/* The flags of the route router_dispatch() would run for req's method
 * and path, 0 when none matches. */
unsigned router_route_flags(struct req *req);
/* Load the admin session of req's cookie into req->user (NULL when none
 * or expired), as role-checked routes do before their handler. */
void router_load_session(struct req *req);
/* Render `view` with model (borrowed) and the page object into out, as
 * the router does for a handler's model.  0 or -1. */
int router_render(struct req *req, const char *view, json_t *model,
                  struct strbuf *out);
/* Parse a Range header against a body of `len` bytes: 1 with [*first,
 * *last] for one satisfiable range, 0 to send the whole body (no or
 * unsupported Range), -1 when unsatisfiable (416). */
int router_parse_range(const char *h, size_t len, size_t *first, size_t *last);
/* The anonymous CSRF token: the kw_csrf cookie, set on first use (an
 * arena string; the Set-Cookie goes into req->resp). */
#define ROUTER_CSRF_COOKIE "kw_csrf"
#define ROUTER_SESSION_COOKIE "kw_session"
const char *router_csrf_token(struct req *req);
/* Same-origin request whose csrf_token field repeats the cookie. */
int router_csrf_ok(struct req *req);
/* Fill req->resp with the error page for status (message may be NULL). */
void router_error(struct req *req, int status, const char *message);
/* Count a finished request for /metrics. */
void router_account(struct app *app, int route, int status, long usec);
/* Map an HTTP status to its metrics slot and back. */
int router_status_slot(int status);
extern const int router_status_codes[ROUTER_NSTATUS];
extern const long router_buckets_us[ROUTER_NBUCKETS];

/* Build the application state (templates, i18n, static files) from the
 * data directory.  0, or -1 with a message. */
int app_init(struct app *app, struct config *cfg, const char *data_dir,
             char *err, size_t errlen);
void app_free(struct app *app);

#endif
