/*
 * http: libmicrohttpd glue.  Layer: server/; the only file besides main
 * that includes <microhttpd.h>.
 *
 * Protocol: the URI log callback allocates the per-request state; the
 * first access-handler call inspects the headers (request smuggling,
 * declared body size) and answers only errors; body chunks are collected
 * up to max_body; the last call builds a struct req, dispatches, and
 * queues the response (answering on a later call keeps connections
 * alive).  The completed callback logs the request and frees its state.
 */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "html.h"
#include "log.h"
#include "strbuf.h"

#define HTTP_MAX_HEADERS 100
#define HTTP_MAX_ARGS 64

static const char default_csp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'";

struct http_server {
    struct MHD_Daemon *d;
    struct app *app;
    pthread_key_t db_key;
    atomic_long inflight;
    atomic_ulong next_id;
    int port;
};

/* Per-request state, from the URI log callback to the completed one. */
struct rstate {
    struct arena arena;
    char *raw_uri;
    struct strbuf body;
    struct timespec start;
    int seen;      /* the first access call has happened */
    int too_large; /* body exceeded max_body */
    int responded; /* an error was queued early */
    int status;
    int route; /* index into routes[], -1 when none matched */
    size_t bytes;
    const char *method;
    const char *path;
    char *owned; /* response body to free after sending */
};

/* This thread's reader connection, opened on first use. */
static struct db *
thread_db(struct http_server *s)
{
    struct db *db = pthread_getspecific(s->db_key);
    struct db_opts o = {0};
    struct db_error err;

    if (db != NULL) {
        return db;
    }
    o.path = s->app->cfg->db;
    o.flags = DB_READONLY;
    o.busy_timeout_ms = s->app->cfg->busy_timeout_ms;
    o.query_timeout_ms = s->app->cfg->query_timeout_ms;
    if (db_open(&o, &db, &err) < 0) {
        LOG_ERROR("reader connection: %s", err.msg);
        return NULL;
    }
    pthread_setspecific(s->db_key, db);
    return db;
}

static void
thread_db_free(void *p)
{
    db_close(p);
}

static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *con)
{
    struct http_server *s = cls;
    struct rstate *rs = kw_calloc(1, sizeof(*rs));

    (void)con;
    if (rs == NULL) {
        return NULL;
    }
    arena_init(&rs->arena);
    strbuf_init(&rs->body);
    rs->raw_uri = arena_strdup(&rs->arena, uri);
    rs->route = -1;
    clock_gettime(CLOCK_MONOTONIC, &rs->start);
    atomic_fetch_add(&s->inflight, 1);
    return rs;
}

struct collect {
    struct arena *arena;
    struct kv *kv;
    size_t n, cap;
    int n_cl, n_te;
};

static enum MHD_Result
collect_cb(void *cls, enum MHD_ValueKind kind, const char *key,
           const char *value)
{
    struct collect *c = cls;

    (void)kind;
    if (key == NULL) {
        return MHD_YES;
    }
    if (strcasecmp(key, "Content-Length") == 0) {
        c->n_cl++;
    } else if (strcasecmp(key, "Transfer-Encoding") == 0) {
        c->n_te++;
    }
    if (c->n < c->cap) {
        c->kv[c->n].key = key;
        c->kv[c->n].value = value != NULL ? value : "";
        c->n++;
    }
    return MHD_YES;
}

static void
collect(struct MHD_Connection *con, enum MHD_ValueKind kind, struct collect *c,
        struct arena *a, size_t cap)
{
    memset(c, 0, sizeof(*c));
    c->arena = a;
    c->cap = cap;
    c->kv = arena_alloc(a, cap * sizeof(*c->kv));
    if (c->kv == NULL) {
        c->cap = 0;
    }
    MHD_get_connection_values(con, kind, collect_cb, c);
}

static void
add_header(struct MHD_Response *r, const char *k, const char *v)
{
    if (v != NULL && v[0] != '\0') {
        MHD_add_response_header(r, k, v);
    }
}

/* Queue req->resp with the standard headers.  The body stays owned by
 * the request state until the completed callback. */
static enum MHD_Result
send_resp(struct MHD_Connection *con, struct rstate *rs, struct req *req)
{
    struct resp *p = &req->resp;
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer(p->body ? p->len : 0,
                                        (void *)(p->body ? p->body : ""),
                                        MHD_RESPMEM_PERSISTENT);
    if (r == NULL) {
        kw_free(p->owned);
        p->owned = NULL;
        return MHD_NO;
    }
    rs->owned = p->owned;
    p->owned = NULL;
    add_header(r, "Content-Type", p->ctype);
    add_header(r, "ETag", p->etag);
    add_header(r, "Cache-Control",
               p->cache_control ? p->cache_control : "no-cache");
    if (p->vary_encoding) {
        add_header(r, "Vary", "Accept-Encoding");
    }
    if (p->gzipped) {
        add_header(r, "Content-Encoding", "gzip");
    }
    add_header(r, "Location", p->location);
    add_header(r, "Allow", p->allow);
    add_header(r, "Set-Cookie", p->set_cookie);
    add_header(r, "Retry-After", p->retry_after);
    add_header(r, "Content-Range", p->content_range);
    add_header(r, "Content-Disposition", p->disposition);
    if (p->ranges) {
        add_header(r, "Accept-Ranges", "bytes");
    }
    add_header(r, "X-Content-Type-Options", "nosniff");
    add_header(r, "Content-Security-Policy", p->csp ? p->csp : default_csp);
    add_header(r, "X-Frame-Options", "DENY");
    add_header(r, "Referrer-Policy", "same-origin");
    if (p->close) {
        add_header(r, "Connection", "close");
    }
    ret = MHD_queue_response(con, (unsigned)p->status, r);
    MHD_destroy_response(r);
    rs->status = p->status;
    rs->bytes = p->body ? p->len : 0;
    return ret;
}

/* An error answered before routing (bad request line, smuggling, size). */
static enum MHD_Result
send_early_error(struct http_server *s, struct MHD_Connection *con,
                 struct rstate *rs, int status, const char *msg)
{
    struct req req;

    memset(&req, 0, sizeof(req));
    req.app = s->app;
    req.arena = &rs->arena;
    req.path = "/";
    req.method = REQ_GET;
    req.lang = i18n_index(s->app->cfg->default_language);
    router_error(&req, status, msg);
    req.resp.close = 1;
    rs->responded = 1;
    return send_resp(con, rs, &req);
}

static int
method_of(const char *m)
{
    if (strcmp(m, "GET") == 0) {
        return REQ_GET;
    }
    if (strcmp(m, "HEAD") == 0) {
        return REQ_HEAD;
    }
    if (strcmp(m, "POST") == 0) {
        return REQ_POST;
    }
    return REQ_OTHER;
}

/* True for raw URIs we refuse outright: encoded NUL, control bytes. */
static int
bad_raw_uri(const char *u)
{
    for (; *u != '\0'; u++) {
        unsigned char c = (unsigned char)*u;

        if (c < 0x20 || c == 0x7f) {
            return 1;
        }
        if (c == '%' && u[1] == '0' && u[2] == '0') {
            return 1;
        }
    }
    return 0;
}

static int
accepts_gzip(const char *ae)
{
    const char *g;

    if (ae == NULL) {
        return 0;
    }
    g = strcasestr(ae, "gzip");
    if (g == NULL) {
        return 0;
    }
    /* "gzip;q=0" refuses it explicitly. */
    g += 4;
    while (*g == ' ') {
        g++;
    }
    if (strncmp(g, ";q=0", 4) == 0 &&
        (g[4] == '\0' || g[4] == ',' ||
         (g[4] == '.' && g[5] == '0' && (g[6] == '\0' || g[6] == ',')))) {
        return 0;
    }
    return 1;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *con, const char *url,
          const char *method, const char *version, const char *upload_data,
          size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    struct app *app = s->app;
    struct rstate *rs = *con_cls;
    struct collect hdr, args;
    struct req req;
    const union MHD_ConnectionInfo *ci;
    char client[INET6_ADDRSTRLEN + 1] = "-";
    const char *path;
    size_t bl;

    (void)version;
    if (rs == NULL) {
        return MHD_NO; /* the URI callback ran out of memory */
    }
    if (!rs->seen) {
        rs->seen = 1;
        rs->method = arena_strdup(&rs->arena, method);
        rs->path = arena_strdup(&rs->arena, url);
        collect(con, MHD_HEADER_KIND, &hdr, &rs->arena, HTTP_MAX_HEADERS);
        /* libmicrohttpd 0.9.75 accepts these; they smuggle requests. */
        if (hdr.n_cl > 1 || (hdr.n_cl > 0 && hdr.n_te > 0) || hdr.n_te > 1) {
            return send_early_error(s, con, rs, 400,
                                    "ambiguous message length");
        }
        if (bad_raw_uri(rs->raw_uri ? rs->raw_uri : "")) {
            return send_early_error(s, con, rs, 400, "malformed URI");
        }
        {
            const char *cl = MHD_lookup_connection_value(
                con, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

            if (cl != NULL && strtoull(cl, NULL, 10) >
                                  (unsigned long long)app->cfg->max_body) {
                return send_early_error(s, con, rs, 413, NULL);
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!rs->responded && !rs->too_large &&
            rs->body.len + *upload_data_size <= (size_t)app->cfg->max_body) {
            strbuf_append(&rs->body, upload_data, *upload_data_size);
        } else if (!rs->responded) {
            rs->too_large = 1;
            strbuf_free(&rs->body);
        }
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (rs->responded) {
        return MHD_YES;
    }
    if (rs->too_large) {
        return send_early_error(s, con, rs, 413, NULL);
    }

    memset(&req, 0, sizeof(req));
    req.app = app;
    req.arena = &rs->arena;
    req.raw_uri = rs->raw_uri;
    req.method_name = rs->method;
    req.method = method_of(method);
    req.id = atomic_fetch_add(&s->next_id, 1) + 1;
    req.lang = i18n_index(app->cfg->default_language);
    collect(con, MHD_HEADER_KIND, &hdr, &rs->arena, HTTP_MAX_HEADERS);
    req.headers = hdr.kv;
    req.nheaders = hdr.n;
    collect(con, MHD_GET_ARGUMENT_KIND, &args, &rs->arena, HTTP_MAX_ARGS);
    req.args = args.kv;
    req.nargs = args.n;
    req.body = rs->body.buf;
    req.body_len = rs->body.len;
    ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci != NULL && ci->client_addr != NULL) {
        const struct sockaddr *sa = ci->client_addr;

        if (sa->sa_family == AF_INET) {
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
                      client, sizeof(client));
        } else if (sa->sa_family == AF_INET6) {
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                      client, sizeof(client));
        }
    }
    req.client = arena_strdup(&rs->arena, client);
    req.accept_gzip = accepts_gzip(req_header(&req, "Accept-Encoding"));
    /* On the search pages ?lang= filters documents by language; the UI
     * language there comes from the cookie or the browser. */
    bl = strlen(app->base);
    path = strncmp(url, app->base, bl) == 0 ? url + bl : url;
    req.lang = i18n_choose(strncmp(path, "/search", 7) == 0 ||
                                   strncmp(path, "/api/", 5) == 0
                               ? NULL
                               : req_arg(&req, "lang"),
                           req_cookie(&req, "lang"),
                           req_header(&req, "Accept-Language"), req.lang);

    /* Strip the base path; anything outside it is not ours. */
    path = url;
    bl = strlen(app->base);
    if (bl > 0) {
        if (strncmp(path, app->base, bl) != 0 ||
            (path[bl] != '\0' && path[bl] != '/')) {
            req.path = "/";
            router_error(&req, 404, NULL);
            return send_resp(con, rs, &req);
        }
        path += bl;
        if (*path == '\0') {
            path = "/";
        }
    }
    if (!utf8_valid(path, strlen(path))) {
        req.path = "/";
        router_error(&req, 400, "malformed URI");
        return send_resp(con, rs, &req);
    }
    req.path = path;
    req.db = thread_db(s);
    if (req.db == NULL) {
        router_error(&req, 503, NULL);
        req.resp.retry_after = "5";
        return send_resp(con, rs, &req);
    }
    db_deadline_start(req.db, 0);
    /* A page reads in one snapshot; a POST may write through the writer
     * and then read what it wrote, so it reads statement by statement. */
    if (req.method != REQ_POST && db_read_begin(req.db) != SQLITE_OK) {
        LOG_WARN("read transaction: %s", db_errmsg(req.db));
    }
    router_dispatch(&req);
    db_read_end(req.db);
    db_deadline_clear(req.db);
    rs->route = req.route;
    return send_resp(con, rs, &req);
}

static void
completed_cb(void *cls, struct MHD_Connection *con, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct rstate *rs = *con_cls;
    struct timespec now;
    long usec;

    (void)con;
    if (rs == NULL) {
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    usec = (now.tv_sec - rs->start.tv_sec) * 1000000L +
           (now.tv_nsec - rs->start.tv_nsec) / 1000L;
    if (rs->status != 0) {
        log_access(
            "%s %s %d %zu %.3f%s", rs->method ? rs->method : "-",
            rs->path ? rs->path : "-", rs->status, rs->bytes, usec / 1000.0,
            toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted");
        router_account(s->app, rs->route, rs->status, usec);
    }
    kw_free(rs->owned);
    strbuf_free(&rs->body);
    arena_free(&rs->arena);
    kw_free(rs);
    *con_cls = NULL;
    atomic_fetch_sub(&s->inflight, 1);
}

/* Parse "ADDR:PORT" or "[V6]:PORT" into a socket address. */
static int
parse_listen(const char *spec, struct sockaddr_storage *ss, int *v6)
{
    char host[128];
    const char *colon;
    char *end;
    long port;
    size_t hl;

    memset(ss, 0, sizeof(*ss));
    if (spec[0] == '[') {
        const char *rb = strchr(spec, ']');

        if (rb == NULL || rb[1] != ':') {
            return -1;
        }
        hl = (size_t)(rb - spec - 1);
        if (hl >= sizeof(host)) {
            return -1;
        }
        memcpy(host, spec + 1, hl);
        host[hl] = '\0';
        colon = rb + 1;
        *v6 = 1;
    } else {
        colon = strrchr(spec, ':');
        if (colon == NULL) {
            return -1;
        }
        hl = (size_t)(colon - spec);
        if (hl >= sizeof(host)) {
            return -1;
        }
        memcpy(host, spec, hl);
        host[hl] = '\0';
        *v6 = 0;
    }
    port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) {
        return -1;
    }
    if (*v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -1;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;

        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
    }
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n') {
        msg[--n] = '\0';
    }
    LOG_DEBUG("libmicrohttpd: %s", msg);
}

int
http_start(struct app *app, struct http_server **out, char *err, size_t errlen)
{
    struct http_server *s;
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *di;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC | MHD_USE_EPOLL;
    long threads = app->cfg->threads;
    int v6;

    *out = NULL;
    if (parse_listen(app->cfg->listen, &ss, &v6) < 0) {
        snprintf(err, errlen, "listen: cannot parse '%s' (ADDR:PORT)",
                 app->cfg->listen);
        return -1;
    }
    if (v6) {
        flags |= MHD_USE_IPv6;
    }
    if (threads <= 0) {
        threads = sysconf(_SC_NPROCESSORS_ONLN);
        if (threads <= 0) {
            threads = 2;
        }
    }
    s = kw_calloc(1, sizeof(*s));
    if (s == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    s->app = app;
    pthread_key_create(&s->db_key, thread_db_free);
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, access_cb, s, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)app->cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)app->cfg->max_connections_per_ip,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)app->cfg->connection_memory,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)app->cfg->connection_timeout,
        MHD_OPTION_URI_LOG_CALLBACK, uri_cb, s, MHD_OPTION_NOTIFY_COMPLETED,
        completed_cb, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_END);
    if (s->d == NULL) {
        snprintf(err, errlen, "cannot listen on %s: %s", app->cfg->listen,
                 strerror(errno));
        pthread_key_delete(s->db_key);
        kw_free(s);
        return -1;
    }
    di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di != NULL ? di->port : 0;
    *out = s;
    return 0;
}

void
http_quiesce(struct http_server *s)
{
    MHD_socket fd = MHD_quiesce_daemon(s->d);

    if (fd != MHD_INVALID_SOCKET) {
        close(fd);
    }
}

long
http_inflight(const struct http_server *s)
{
    return atomic_load(&((struct http_server *)s)->inflight);
}

int
http_port(const struct http_server *s)
{
    return s->port;
}

void
http_stop(struct http_server *s)
{
    MHD_stop_daemon(s->d);
    pthread_key_delete(s->db_key);
    kw_free(s);
}
