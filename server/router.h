/*
 * router: the request value handlers see (struct req, its accessors), the
 * route table's shape and flags, and the router that matches a route,
 * applies the checks it declares and runs its handler.  The response a
 * handler gives is resp.h's, the finishing of it finish.h's, the process
 * state app.h's.  Layer: server/; depends on lib/, never on microhttpd.h
 * (only server/http.c talks to libmicrohttpd, so every page can be tested
 * by calling router_dispatch() on a request built in memory).
 */
#ifndef KW_ROUTER_H
#define KW_ROUTER_H

#include <jansson.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "arena.h"
#include "app.h"
#include "auth.h"
#include "config.h"
#include "db.h"
#include "i18n.h"
#include "resp.h"
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
    ROUTE_RENDITION = 1024, /* a stored page (lib/rendition.h): the route's
                               key names it; the router answers 304 or the
                               stored bytes before the handler runs, and
                               stores what the handler's model renders to
                               when nothing was stored (finish.c) */
    ROUTE_READ_POST = 2048, /* a POST that only reads (OAI-PMH's form of
                               its GET): a read-only replica answers it
                               itself, where other POSTs go to the primary */
};

struct kv {
    const char *key;
    const char *value;
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
    int64_t rendition_doc; /* ROUTE_RENDITION: the document whose stored
                              page this is, 0 for none (then the handler
                              answers as for any route) */
    struct resp resp;
};

typedef int (*route_fn)(struct req *req, json_t **model);
/* A ROUTE_RENDITION route's key: 1 with *doc the document whose stored
 * rendition answers req (the key may set headers both answers share), 0
 * when req is not such a page, -1 on error (500). */
typedef int (*route_key_fn)(struct req *req, int64_t *doc);

struct route {
    unsigned methods;
    const char *pattern; /* "/c/:name/" style; with ROUTE_PREFIX a prefix */
    route_fn handler;
    const char *view; /* template, NULL for JSON or raw answers */
    unsigned flags;
    const char *name; /* for /metrics */
    route_key_fn key; /* ROUTE_RENDITION only */
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
/* router_dispatch() on req->db under a deadline of budget_ms (0:
 * query_timeout_ms).  A page reads in one snapshot; a POST may write
 * through the writer and then read what it wrote, so it reads statement
 * by statement. */
void router_run(struct req *req, long budget_ms);
/* Choose req->lang (its default set) from ?lang=, the lang cookie and
 * Accept-Language.  path is the request's path without the base path:
 * on the search pages and the API ?lang= filters documents and is no UI
 * language. */
void router_choose_lang(struct req *req, const char *path);
/* The flags of the route router_dispatch() would run for req's method
 * and path, 0 when none matches. */
unsigned router_route_flags(struct req *req);
/* Load the admin session of req's cookie into req->user (NULL when none
 * or expired), as role-checked routes do before their handler. */
void router_load_session(struct req *req);
/* 1 when req's path is under /api/: its answers, errors too, are JSON. */
int router_is_api(const struct req *req);
/* The anonymous CSRF token: the kw_csrf cookie, set on first use (an
 * arena string; the Set-Cookie goes into req->resp). */
#define ROUTER_CSRF_COOKIE "kw_csrf"
#define ROUTER_SESSION_COOKIE "kw_session"
const char *router_csrf_token(struct req *req);
/* Same-origin request whose csrf_token field repeats the cookie. */
int router_csrf_ok(struct req *req);
#endif
