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
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "finish.h"
#include "html.h"
#include "log.h"
#include "strbuf.h"
#include "workpool.h"

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
    int no_csp; /* test builds: KW_TEST_NO_CSP=1 drops the CSP header */
    int tls;    /* HTTPS (tls_cert): HSTS, and no raw answers */
    struct MHD_OptionItem tls_opt[3]; /* certificate and key, owned: the
                                         daemon may read them while it
                                         runs */
    struct workpool *pool;            /* runs ROUTE_POOL requests (searches) */
    struct workpool *login_pool;      /* runs ROUTE_LOGIN_POOL requests */
    struct delayq *delays;            /* answers held back (resp.delay_ms) */
};

/* Answers held back for a while (a failed login's wait) without a
 * thread each: their connections stay suspended, one thread resumes each
 * when it is due. */
#define DELAYQ_MAX 4096

struct delayed {
    struct timespec due;
    struct rstate *rs;
};

struct delayq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int stop;
    size_t n;
    struct delayed v[DELAYQ_MAX];
};

/* Where a request handed to the search pool stands. */
enum pool_state {
    POOL_NONE = 0, /* not handed over */
    POOL_QUEUED,   /* suspended, waiting for or running on the pool */
    POOL_DONE,     /* req.resp holds the answer */
    POOL_REFUSED,  /* queue full or stopping: answer 503 */
};

/* Per-connection state: the request state not yet handed to the
 * completed callback.  libmicrohttpd 0.9.75 does not call that callback
 * for a request it refuses itself after the URI callback ran (a request
 * whose arguments overflow connection_memory), so the connection's close
 * frees what is left (found by row M1: 23 KB leaked per such request). */
struct conn {
    struct rstate *rs;
    struct rstate *spare; /* a finished request's state, kept for the next
                             one on this connection (its arena's block) */
};

struct collect {
    struct arena *arena;
    struct kv *kv;
    size_t n, cap;
    int n_cl, n_te, n_host;
    int bad_name; /* a field name that is not an RFC 9110 token */
};

/* Per-request state, from the URI log callback to the completed one. */
struct rstate {
    struct arena arena;
    char *raw_uri;
    struct strbuf body;
    struct timespec start;
    int seen;      /* the first access call has happened */
    int responded; /* an error was queued early */
    int status;
    int route; /* index into routes[], -1 when none matched */
    size_t bytes;
    const char *method;
    const char *path;
    char *owned;        /* response body to free after sending */
    struct collect hdr; /* the request's headers, collected once */
    struct req req;
    /* the hand-over to a pool (searches, logins) */
    atomic_int pool_state;
    long budget_ms;        /* its deadline (0: query_timeout_ms) */
    const char *busy_text; /* i18n key of its 503 message, or NULL */
    struct http_server *server;
    struct MHD_Connection *con;
    struct conn *conn; /* the connection's, or NULL */
};

/* A thread's reader connection and the database generation it was
 * opened in (app.db_gen). */
struct thread_db {
    struct db *db;
    long gen;
};

/* This thread's reader connection, opened on first use, and opened again
 * when the database generation moved (a read-only replica rolling over to
 * a new snapshot): between two requests of this thread, so a request in
 * flight finishes on the connection it started with. */
static struct db *
thread_db(struct http_server *s)
{
    struct thread_db *t = pthread_getspecific(s->db_key);
    long gen = atomic_load(&s->app->db_gen);
    struct db_opts o = {0};
    struct db_error err;
    struct db *db;

    if (t != NULL && t->db != NULL && t->gen == gen) {
        return t->db;
    }
    if (t == NULL) {
        t = kw_calloc(1, sizeof(*t));
        if (t == NULL) {
            return NULL;
        }
        pthread_setspecific(s->db_key, t);
    }
    o.path = s->app->cfg->db;
    o.flags = DB_READONLY;
    if (s->app->cfg->read_only && s->app->cfg->immutable) {
        o.flags |= DB_IMMUTABLE;
    }
    o.busy_timeout_ms = s->app->cfg->busy_timeout_ms;
    o.query_timeout_ms = s->app->cfg->query_timeout_ms;
    if (db_open(&o, &db, &err) < 0) {
        /* The old snapshot stays in use until a new one opens. */
        LOG_ERROR("reader connection: %s", err.msg);
        return t->db;
    }
    db_close(t->db);
    t->db = db;
    t->gen = gen;
    return db;
}

static void
thread_db_free(void *p)
{
    struct thread_db *t = p;

    db_close(t->db);
    kw_free(t);
}

static void *
uri_cb(void *cls, const char *uri, struct MHD_Connection *con)
{
    struct http_server *s = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(con, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct conn *c = ci != NULL ? ci->socket_context : NULL;
    struct rstate *rs;

    /* A keep-alive connection's next request takes the state the last
     * one left (zeroed, its arena emptied): no malloc for most requests. */
    if (c != NULL && c->spare != NULL) {
        rs = c->spare;
        c->spare = NULL;
    } else {
        rs = kw_calloc(1, sizeof(*rs));
        if (rs == NULL) {
            return NULL;
        }
        arena_init(&rs->arena);
    }
    strbuf_init(&rs->body);
    rs->raw_uri = arena_strdup(&rs->arena, uri);
    rs->route = -1;
    if (c != NULL) {
        rs->conn = c;
        c->rs = rs;
    }
    clock_gettime(CLOCK_MONOTONIC, &rs->start);
    atomic_fetch_add(&s->inflight, 1);
    return rs;
}

/* 1 when name is a token (RFC 9110 §5.6.2).  libmicrohttpd 0.9.75 keeps
 * "Content-Length " (space before the colon) as a different name, so a
 * smuggled length would slip past a count by name: RFC 9112 §5.1 says
 * 400 for any whitespace there, and we refuse every non-token byte. */
static int
is_token(const char *name)
{
    static const char extra[] = "!#$%&'*+-.^_`|~";
    const unsigned char *p = (const unsigned char *)name;

    if (*p == '\0') {
        return 0;
    }
    for (; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') ||
              (*p < 0x80 && strchr(extra, *p) != NULL))) {
            return 0;
        }
    }
    return 1;
}

static enum MHD_Result
collect_cb(void *cls, enum MHD_ValueKind kind, const char *key,
           const char *value)
{
    struct collect *c = cls;

    if (key == NULL) {
        return MHD_YES;
    }
    if (kind == MHD_HEADER_KIND && !is_token(key)) {
        c->bad_name = 1;
    }
    switch (key[0] | 0x20) { /* the first letter, folded, before the rest */
    case 'c':
        c->n_cl += strcasecmp(key, "Content-Length") == 0;
        break;
    case 't':
        c->n_te += strcasecmp(key, "Transfer-Encoding") == 0;
        break;
    case 'h':
        c->n_host += strcasecmp(key, "Host") == 0;
        break;
    default:
        break;
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

typedef void (*header_fn)(void *ctx, const char *name, const char *value);

/* Every header of an answer, in one place, whether it goes through
 * libmicrohttpd (send_resp) or straight to the socket (raw_answer). */
static void
each_header(const struct http_server *s, const struct resp *p, header_fn fn,
            void *ctx)
{
#define EMIT(k, v)                                                             \
    do {                                                                       \
        const char *v_ = (v);                                                  \
        if (v_ != NULL && v_[0] != '\0') {                                     \
            fn(ctx, (k), v_);                                                  \
        }                                                                      \
    } while (0)
    EMIT("Content-Type", p->ctype);
    EMIT("ETag", p->etag);
    EMIT("Cache-Control", p->cache_control ? p->cache_control : "no-cache");
    if (p->vary_encoding) {
        EMIT("Vary", "Accept-Encoding");
    }
    if (p->gzipped) {
        EMIT("Content-Encoding", "gzip");
    }
    EMIT("Location", p->location);
    EMIT("Allow", p->allow);
    EMIT("Set-Cookie", p->set_cookie);
    EMIT("Retry-After", p->retry_after);
    EMIT("Content-Range", p->content_range);
    EMIT("Content-Disposition", p->disposition);
    if (p->ranges) {
        EMIT("Accept-Ranges", "bytes");
    }
    EMIT("X-Content-Type-Options", "nosniff");
    if (!s->no_csp) {
        EMIT("Content-Security-Policy", p->csp ? p->csp : default_csp);
    }
    EMIT("X-Frame-Options", "DENY");
    if (s->tls) {
        EMIT("Strict-Transport-Security", "max-age=31536000");
    }
    EMIT("Referrer-Policy", "same-origin");
    if (p->close) {
        EMIT("Connection", "close");
    }
#undef EMIT
}

static void
mhd_header(void *ctx, const char *name, const char *value)
{
    MHD_add_response_header(ctx, name, value);
}

static void
raw_header(void *ctx, const char *name, const char *value)
{
    strbuf_printf(ctx, "%s: %s\r\n", name, value);
}

/* Queue req->resp with the standard headers.  The body stays owned by
 * the request state until the completed callback. */
static enum MHD_Result
send_resp(struct http_server *s, struct MHD_Connection *con, struct rstate *rs,
          struct req *req)
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
    each_header(s, p, mhd_header, r);
    ret = MHD_queue_response(con, (unsigned)p->status, r);
    MHD_destroy_response(r);
    rs->status = p->status;
    rs->bytes = p->body ? p->len : 0;
    return ret;
}

/* ---- the page cache: ready answers of ROUTE_RENDITION pages ----
 *
 * A value is one page in one language and one encoding as libmicrohttpd
 * responses, made once and queued for every request (they are reference
 * counted: one the cache drops lives until its last send ends).  Keyed by
 * the routed path, the UI language and the encoding; only requests
 * without a query string or body, whose answer depends on nothing else,
 * are looked up (the document page ignores the session and sets no
 * cookie).
 *
 * Staleness: before each lookup this thread asks its reader connection
 * whether anything was committed since its last look (db_changed: the
 * wal-index header SQLite keeps in shared memory, which every commit of
 * any process rewrites before it returns, else PRAGMA data_version in a
 * read transaction of its own), so every commit finished before the
 * request is seen (ingest --approve, pack import, this server's writer);
 * when one was, or the reader is new, the cache's generation moves and
 * every thread's pages go.  A page is stored under the generation read
 * before the snapshot it was built from, so a commit after that snapshot
 * began is always seen (and bumps) before the generation could match
 * again. */
struct page {
    struct MHD_Response *ok;        /* 200 with the body */
    struct MHD_Response *unchanged; /* 304: the same headers, no body */
    char etag[80];
    size_t len;
    int route;
};

static void
page_free(void *value)
{
    struct page *p = value;

    if (p->ok != NULL) {
        MHD_destroy_response(p->ok);
    }
    if (p->unchanged != NULL) {
        MHD_destroy_response(p->unchanged);
    }
    kw_free(p);
}

/* Move the page cache's generation when this thread's reader may have
 * seen a commit since its last look (or is new, or cannot tell):
 * db_changed, outside any transaction. */
static void
page_check(struct http_server *s)
{
    struct thread_db *t = pthread_getspecific(s->db_key);

    if (t != NULL && t->db != NULL && db_changed(t->db)) {
        pagecache_bump(s->app->pagecache);
    }
}

/* The key of req's page: language, encoding, path. */
static size_t
page_key(const struct req *req, char *key, size_t n)
{
    size_t len = strlen(req->path);

    /* Two bytes, then the path: no formatting on the hot path. */
    if (len + 2 >= n || req->lang < 0 || req->lang > 200) {
        return 0;
    }
    key[0] = (char)('0' + req->lang);
    key[1] = req->accept_gzip ? '1' : '0';
    memcpy(key + 2, req->path, len + 1);
    return len + 2;
}

struct page_hit {
    struct MHD_Connection *con;
    const char *inm; /* If-None-Match, or NULL */
    enum MHD_Result ret;
    int status, route;
    size_t bytes;
};

/* Under the cache's lock: queue the page (or its 304). */
static void
page_send(void *value, void *ctx)
{
    struct page *p = value;
    struct page_hit *h = ctx;
    int same = finish_etag_in(h->inm, p->etag);

    h->status = same ? 304 : 200;
    h->bytes = same ? 0 : p->len;
    h->route = p->route;
    h->ret = MHD_queue_response(h->con, (unsigned)h->status,
                                same ? p->unchanged : p->ok);
}

/* Make req's 200 answer a page (taking its body) and store it under gen;
 * then queue it.  MHD_NO only when the answer cannot be sent at all. */
static enum MHD_Result
page_store(struct http_server *s, struct MHD_Connection *con, struct rstate *rs,
           struct req *req, uint64_t gen)
{
    struct resp *r = &req->resp, nm;
    struct page *p = kw_calloc(1, sizeof(*p));
    char key[4200];
    size_t klen = page_key(req, key, sizeof(key));
    enum MHD_Result ret;

    if (p == NULL || klen == 0 || r->owned == NULL || r->body != r->owned) {
        kw_free(p);
        return send_resp(s, con, rs, req);
    }
    p->ok = MHD_create_response_from_buffer_with_free_callback(r->len, r->owned,
                                                               kw_free);
    if (p->ok == NULL) {
        kw_free(p);
        return send_resp(s, con, rs, req);
    }
    r->owned = NULL; /* the response's now */
    each_header(s, r, mhd_header, p->ok);
    nm = *r;
    nm.gzipped = 0;
    p->unchanged =
        MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (p->unchanged != NULL) {
        each_header(s, &nm, mhd_header, p->unchanged);
    }
    snprintf(p->etag, sizeof(p->etag), "%s", r->etag);
    p->len = r->len;
    p->route = req->route;
    rs->status = 200;
    rs->bytes = r->len;
    ret = MHD_queue_response(con, 200, p->ok);
    if (p->unchanged == NULL) {
        page_free(p);
        return ret;
    }
    pagecache_put(s->app->pagecache, gen, key, klen, p,
                  r->len + 2048 /* headers, two responses */);
    return ret;
}

/* 1 when req's answer may come from, or go to, the page cache: a GET or
 * HEAD with neither query string nor body. */
static int
page_cacheable(const struct http_server *s, const struct req *req)
{
    return pagecache_enabled(s->app->pagecache) &&
           (req->method == REQ_GET || req->method == REQ_HEAD) &&
           req->nargs == 0 && req->body_len == 0;
}

/* 1 when the router's answer to req is a stored page the cache may keep:
 * a ROUTE_RENDITION route's 200 from its stored bytes, nothing personal
 * (no cookie), nothing held back. */
static int
page_storable(const struct req *req)
{
    const struct resp *r = &req->resp;

    return req->route >= 0 && (routes[req->route].flags & ROUTE_RENDITION) &&
           req->rendition_doc != 0 && r->status == 200 && r->etag[0] != '\0' &&
           r->body != NULL && r->owned == r->body && r->set_cookie == NULL &&
           r->location == NULL && !r->close && r->delay_ms == 0 && !r->ranges &&
           r->content_range[0] == '\0';
}

/* A request for an answer given before routing: the path (without the
 * base path) decides HTML or JSON, as for every other error. */
static void
early_req(struct http_server *s, struct rstate *rs, struct req *req)
{
    const char *path = rs->path != NULL ? rs->path : "/";
    size_t bl = strlen(s->app->base);

    memset(req, 0, sizeof(*req));
    req->app = s->app;
    req->arena = &rs->arena;
    if (bl > 0 && strncmp(path, s->app->base, bl) == 0) {
        path += bl;
    }
    req->path = path[0] == '/' ? path : "/";
    req->method = REQ_GET;
    req->lang = i18n_index(s->app->cfg->default_language);
}

/* An error answered before routing (bad request line, smuggling, size). */
static enum MHD_Result
send_early_error(struct http_server *s, struct MHD_Connection *con,
                 struct rstate *rs, int status, const char *msg)
{
    struct req req;

    if (s->tls) {
        /* The socket carries TLS records: plain bytes would be garbage
         * to the client.  Close without an answer. */
        rs->status = status;
        rs->responded = 1;
        return MHD_NO;
    }
    early_req(s, rs, &req);
    resp_error(&req, status, msg);
    req.resp.close = 1;
    rs->responded = 1;
    return send_resp(s, con, rs, &req);
}

/* Write all of buf to a non-blocking socket, waiting at most 1 s. */
static void
send_all(int fd, const char *buf, size_t len)
{
    struct timespec t0, now;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
            errno != EINTR) {
            return;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - t0.tv_sec >= 1) {
            return;
        }
        {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};

            poll(&pfd, 1, 100);
        }
    }
}

/* Answer on the socket ourselves, then have libmicrohttpd drop the
 * connection (the caller returns our MHD_NO).  For what 0.9.75 gives no
 * way to answer: a response can be queued only before the body or after
 * all of it, so an endless chunked body would be read for as long as it
 * comes.  Nothing of this request has been sent yet and the answer
 * is small, so one send() takes it; shutdown() puts the FIN right behind
 * it, so the client reads the answer before the connection goes. */
static enum MHD_Result
raw_answer(struct http_server *s, struct MHD_Connection *con, struct rstate *rs,
           int status, const char *msg)
{
    const union MHD_ConnectionInfo *ci;
    struct strbuf out = STRBUF_INIT;
    struct req req;
    char date[64];
    time_t now = time(NULL);
    struct tm tm;

    early_req(s, rs, &req);
    resp_error(&req, status, msg);
    req.resp.close = 1;
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT",
             gmtime_r(&now, &tm));
    strbuf_printf(&out, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
                  MHD_get_reason_phrase_for((unsigned)status), date);
    each_header(s, &req.resp, raw_header, &out);
    strbuf_printf(&out, "Content-Length: %zu\r\n\r\n",
                  req.resp.body ? req.resp.len : 0);
    if (req.resp.body != NULL &&
        (rs->method == NULL || strcmp(rs->method, "HEAD") != 0)) {
        strbuf_append(&out, req.resp.body, req.resp.len);
    }
    ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (ci != NULL && strbuf_ok(&out)) {
        send_all(ci->connect_fd, out.buf, out.len);
        shutdown(ci->connect_fd, SHUT_WR);
    }
    rs->status = status;
    rs->bytes = req.resp.body ? req.resp.len : 0;
    rs->responded = 1;
    kw_free(req.resp.owned);
    strbuf_free(&out);
    return MHD_NO;
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

static int
ts_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec ||
           (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* The delay thread: resume each held connection when it is due; when
 * stopping, all of them at once. */
static void *
delay_thread(void *arg)
{
    struct delayq *q = arg;

    pthread_mutex_lock(&q->mu);
    for (;;) {
        struct timespec now;
        size_t i, first = 0;

        if (q->n == 0) {
            if (q->stop) {
                break;
            }
            pthread_cond_wait(&q->cv, &q->mu);
            continue;
        }
        for (i = 1; i < q->n; i++) {
            if (ts_before(&q->v[i].due, &q->v[first].due)) {
                first = i;
            }
        }
        clock_gettime(CLOCK_REALTIME, &now);
        if (q->stop || !ts_before(&now, &q->v[first].due)) {
            struct rstate *rs = q->v[first].rs;

            q->v[first] = q->v[--q->n];
            pthread_mutex_unlock(&q->mu);
            MHD_resume_connection(rs->con);
            pthread_mutex_lock(&q->mu);
            continue;
        }
        pthread_cond_timedwait(&q->cv, &q->mu, &q->v[first].due);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

/* Hold rs's suspended connection for ms.  0, or -1 when the queue is
 * full (the caller resumes at once: the answer goes out undelayed). */
static int
delay_add(struct delayq *q, struct rstate *rs, long ms)
{
    int rc = -1;

    pthread_mutex_lock(&q->mu);
    if (!q->stop && q->n < DELAYQ_MAX) {
        struct delayed *d = &q->v[q->n++];

        clock_gettime(CLOCK_REALTIME, &d->due);
        d->due.tv_sec += ms / 1000;
        d->due.tv_nsec += (ms % 1000) * 1000000L;
        if (d->due.tv_nsec >= 1000000000L) {
            d->due.tv_sec++;
            d->due.tv_nsec -= 1000000000L;
        }
        d->rs = rs;
        pthread_cond_signal(&q->cv);
        rc = 0;
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static struct delayq *
delayq_new(void)
{
    struct delayq *q = kw_calloc(1, sizeof(*q));

    if (q == NULL) {
        return NULL;
    }
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    if (pthread_create(&q->thread, NULL, delay_thread, q) != 0) {
        pthread_cond_destroy(&q->cv);
        pthread_mutex_destroy(&q->mu);
        kw_free(q);
        return NULL;
    }
    return q;
}

/* Resume every held connection now, then stop the thread. */
static void
delayq_free(struct delayq *q)
{
    if (q == NULL) {
        return;
    }
    pthread_mutex_lock(&q->mu);
    q->stop = 1;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->thread, NULL);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    kw_free(q);
}

/* A search pool job: run the suspended request on this pool thread's own
 * reader connection, under the search budget, and resume its connection;
 * libmicrohttpd then calls access_cb again, which sends the answer. */
static void
pool_job(void *arg, int cancelled)
{
    struct rstate *rs = arg;
    struct http_server *s = rs->server;
    struct req *req = &rs->req;
    int state = POOL_REFUSED;

    if (!cancelled) {
        req->db = thread_db(s);
        if (req->db != NULL) {
            router_run(req, rs->budget_ms);
            state = POOL_DONE;
        }
    }
    atomic_store(&rs->pool_state, state);
    if (state == POOL_DONE && req->resp.delay_ms > 0 &&
        delay_add(s->delays, rs, req->resp.delay_ms) == 0) {
        return; /* the delay thread resumes it */
    }
    MHD_resume_connection(rs->con);
}

/* 1 when s is 1*DIGIT with optional surrounding spaces. */
static int
is_length(const char *v)
{
    size_t i = 0, digits = 0;

    while (v[i] == ' ' || v[i] == '\t') {
        i++;
    }
    while (v[i] >= '0' && v[i] <= '9') {
        i++;
        digits++;
    }
    while (v[i] == ' ' || v[i] == '\t') {
        i++;
    }
    return digits > 0 && digits <= 19 && v[i] == '\0';
}

/* 1 when v is "chunked" (any case, surrounding spaces allowed). */
static int
is_chunked(const char *v)
{
    size_t n;

    while (*v == ' ' || *v == '\t') {
        v++;
    }
    if (strncasecmp(v, "chunked", 7) != 0) {
        return 0;
    }
    for (n = 7; v[n] == ' ' || v[n] == '\t'; n++) {
    }
    return v[n] == '\0';
}

/* 1 when the comma-separated list v names "chunked" among others. */
static int
has_chunked(const char *v)
{
    while (*v != '\0') {
        size_t n;

        while (*v == ' ' || *v == '\t' || *v == ',') {
            v++;
        }
        n = strcspn(v, " \t,;");
        if (n == 7 && strncasecmp(v, "chunked", 7) == 0) {
            return 1;
        }
        v += n;
        v += strcspn(v, ",");
    }
    return 0;
}

/* A Host value: reg-name, IPv4 or [IPv6], optional port (RFC 3986). */
static int
host_ok(const char *v)
{
    for (; *v != '\0'; v++) {
        unsigned char c = (unsigned char)*v;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=:[]%", c))) {
            return 0;
        }
    }
    return 1;
}

/* The first access call: the request line and headers are in, the body
 * (if any) is not.  Everything that makes the message's framing or
 * target ambiguous is refused here with 400 (or 501, 413) and a close,
 * since libmicrohttpd 0.9.75 accepts it (hostile-world trap 4). */
static enum MHD_Result
check_head(struct http_server *s, struct MHD_Connection *con, struct rstate *rs,
           const char *version)
{
    struct collect *hdr = &rs->hdr;
    const char *cl, *te, *host;
    int http11 = version != NULL && strcmp(version, "HTTP/1.0") != 0 &&
                 strcmp(version, "") != 0;

    collect(con, MHD_HEADER_KIND, hdr, &rs->arena, HTTP_MAX_HEADERS);
    cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    te = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_TRANSFER_ENCODING);
    host =
        MHD_lookup_connection_value(con, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    /* A length libmicrohttpd cannot parse ("-1", "5, 5") it answers
     * itself before calling us (0.9.75: a bare 400 whose header block is
     * sent twice, then a close); nothing in its API lets us answer first.
     * This refuses what it parses but we do not (over 19 digits). */
    if (cl != NULL && !is_length(cl)) {
        return send_early_error(s, con, rs, 400, "malformed Content-Length");
    }
    if (hdr->bad_name) {
        return send_early_error(s, con, rs, 400, "malformed header field name");
    }
    if (hdr->n_cl > 1 || (hdr->n_cl > 0 && hdr->n_te > 0) || hdr->n_te > 1) {
        return send_early_error(s, con, rs, 400, "ambiguous message length");
    }
    if (te != NULL && !is_chunked(te)) {
        /* RFC 9112 §6.1: chunked must be the final coding (else 400);
         * a coding we do not know is 501. */
        return send_early_error(s, con, rs, has_chunked(te) ? 400 : 501,
                                "unsupported transfer coding");
    }
    if (te != NULL && !http11) {
        return send_early_error(s, con, rs, 400,
                                "Transfer-Encoding in HTTP/1.0");
    }
    /* RFC 9112 §3.2: exactly one valid Host in HTTP/1.1. */
    if (hdr->n_host > 1 || (http11 && hdr->n_host == 0) ||
        (host != NULL && !host_ok(host))) {
        return send_early_error(s, con, rs, 400, "missing or bad Host");
    }
    if (bad_raw_uri(rs->raw_uri ? rs->raw_uri : "")) {
        return send_early_error(s, con, rs, 400, "malformed URI");
    }
    if (cl != NULL &&
        strtoull(cl, NULL, 10) > (unsigned long long)s->app->cfg->max_body) {
        return send_early_error(s, con, rs, 413, NULL);
    }
    return MHD_YES;
}

/* a as dotted decimal into out (16 bytes): glibc's inet_ntop formats
 * with sprintf, a cost on every request. */
static void
ipv4_text(const struct in_addr *a, char *out)
{
    const unsigned char *b = (const unsigned char *)&a->s_addr;
    int i;

    for (i = 0; i < 4; i++) {
        if (b[i] >= 100) {
            *out++ = (char)('0' + b[i] / 100);
        }
        if (b[i] >= 10) {
            *out++ = (char)('0' + b[i] / 10 % 10);
        }
        *out++ = (char)('0' + b[i] % 10);
        *out++ = i < 3 ? '.' : '\0';
    }
}

/* Fill req in from the request (all but its body): headers, arguments,
 * client, language, the path within the base.  0, or the status to
 * answer at once (404: a path outside the base; 400, *text: not UTF-8). */
static int
prepare(struct http_server *s, struct MHD_Connection *con, struct rstate *rs,
        const char *url, const char *method, const char **text)
{
    struct app *app = s->app;
    struct req *req = &rs->req;
    struct collect args;
    const union MHD_ConnectionInfo *ci;
    char client[INET6_ADDRSTRLEN + 1] = "-";
    const char *path;
    size_t bl;

    memset(req, 0, sizeof(*req));
    req->app = app;
    req->arena = &rs->arena;
    req->raw_uri = rs->raw_uri;
    req->method_name = rs->method;
    req->method = method_of(method);
    req->id = atomic_fetch_add(&s->next_id, 1) + 1;
    req->lang = i18n_index(app->cfg->default_language);
    req->headers = rs->hdr.kv;
    req->nheaders = rs->hdr.n;
    collect(con, MHD_GET_ARGUMENT_KIND, &args, &rs->arena, HTTP_MAX_ARGS);
    req->args = args.kv;
    req->nargs = args.n;
    ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci != NULL && ci->client_addr != NULL) {
        const struct sockaddr *sa = ci->client_addr;

        if (sa->sa_family == AF_INET) {
            ipv4_text(&((const struct sockaddr_in *)sa)->sin_addr, client);
        } else if (sa->sa_family == AF_INET6) {
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
                      client, sizeof(client));
        }
    }
    req->client = arena_strdup(&rs->arena, client);
    req->accept_gzip = accepts_gzip(req_header(req, "Accept-Encoding"));
    bl = strlen(app->base);
    router_choose_lang(req, strncmp(url, app->base, bl) == 0 ? url + bl : url);

    /* Strip the base path; anything outside it is not ours. */
    path = url;
    if (bl > 0) {
        if (strncmp(path, app->base, bl) != 0 ||
            (path[bl] != '\0' && path[bl] != '/')) {
            req->path = "/";
            return 404;
        }
        path += bl;
        if (*path == '\0') {
            path = "/";
        }
    }
    if (!utf8_valid(path, strlen(path))) {
        req->path = "/";
        *text = "malformed URI";
        return 400;
    }
    req->path = path;
    return 0;
}

/* Look the prepared request up in the page cache.  1 when a page (or its
 * 304) was queued, *ret libmicrohttpd's answer; 0 otherwise, and then
 * *page_db (the reader the cache was checked on, or NULL) and *gen (the
 * cache's generation before the look) say what a stored answer may go
 * under.  The look comes before the router's snapshot: the reader sees
 * any commit first. */
static int
page_lookup(struct http_server *s, struct MHD_Connection *con,
            struct rstate *rs, enum MHD_Result *ret, struct db **page_db,
            uint64_t *gen)
{
    struct app *app = s->app;
    struct req *req = &rs->req;
    struct db *db;
    struct thread_db *t;

    *page_db = NULL;
    *gen = 0;
    if (!page_cacheable(s, req)) {
        return 0;
    }
    db = thread_db(s);
    t = pthread_getspecific(s->db_key);
    if (db == NULL || t == NULL || t->db != db) {
        return 0;
    }
    page_check(s);
    *gen = pagecache_gen(app->pagecache);
    /* A rollover since thread_db: this reader is the old file's. */
    if (t->gen == atomic_load(&app->db_gen)) {
        struct page_hit h = {.con = con};
        char key[4200];
        size_t klen = page_key(req, key, sizeof(key));

        h.inm = req_header(req, "If-None-Match");
        if (klen > 0 &&
            pagecache_use(app->pagecache, key, klen, page_send, &h)) {
            rs->status = h.status;
            rs->route = h.route;
            rs->bytes = h.bytes;
            *ret = h.ret;
            return 1;
        }
        *page_db = db;
    }
    return 0;
}

static enum MHD_Result
access_cb(void *cls, struct MHD_Connection *con, const char *url,
          const char *method, const char *version, const char *upload_data,
          size_t *upload_data_size, void **con_cls)
{
    struct http_server *s = cls;
    struct app *app = s->app;
    struct rstate *rs = *con_cls;
    struct req *req;
    struct workpool *pool;
    unsigned flags;
    int first = 0;
    void *evicted = NULL;
    enum MHD_Result ret;
    const char *text = NULL;
    struct db *page_db; /* the reader the page cache was checked on */
    uint64_t gen;       /* the page cache's generation, before it */
    int status;

    if (rs == NULL) {
        return MHD_NO; /* the URI callback ran out of memory */
    }
    req = &rs->req;
    if (!rs->seen) {
        rs->seen = 1;
        rs->method = arena_strdup(&rs->arena, method);
        rs->path = arena_strdup(&rs->arena, url);
        /* Nothing is answered here but a refusal: libmicrohttpd 0.9.75
         * closes a connection whose answer was queued in this call, body
         * or not (measured: a page cache hit sent from here cut wrk's
         * rate by 3). */
        return check_head(s, con, rs, version);
    }
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;

        *upload_data_size = 0;
        if (rs->responded) {
            return MHD_YES; /* an early answer is queued; MHD discards */
        }
        /* Only a chunked body can get here past max_body (a declared
         * length over it was refused with the headers): stop reading. */
        if (rs->body.len + n > (size_t)app->cfg->max_body) {
            strbuf_free(&rs->body);
            return raw_answer(s, con, rs, 413, NULL);
        }
        strbuf_append(&rs->body, upload_data, n);
        return MHD_YES;
    }
    if (rs->responded) {
        return MHD_YES;
    }

    switch (atomic_load(&rs->pool_state)) {
    case POOL_NONE:
        break;
    case POOL_QUEUED:
        return MHD_YES; /* suspended; not called until resumed */
    case POOL_DONE:
        rs->route = req->route;
        return send_resp(s, con, rs, req);
    default:
        /* The queue was full, or the server is stopping. */
        resp_error(
            req, 503,
            rs->busy_text == NULL
                ? NULL
                : json_string_value(json_object_get(
                      i18n_strings(&app->i18n, req->lang), rs->busy_text)));
        req->resp.retry_after = "1";
        if (rs->busy_text != NULL) {
            atomic_fetch_add(&app->search_refused, 1);
        }
        rs->route = req->route;
        return send_resp(s, con, rs, req);
    }

    status = prepare(s, con, rs, url, method, &text);
    req->body = rs->body.buf;
    req->body_len = rs->body.len;
    if (status != 0) {
        resp_error(req, status, text);
        return send_resp(s, con, rs, req);
    }
    if (page_lookup(s, con, rs, &ret, &page_db, &gen)) {
        return ret;
    }
    flags = router_route_flags(req);
    pool = (flags & ROUTE_POOL)         ? s->pool
           : (flags & ROUTE_LOGIN_POOL) ? s->login_pool
                                        : NULL;
    if (pool != NULL) {
        /* Costly or slow: hand it to its pool and let this thread serve
         * other connections.  Suspend before queueing, so that the pool
         * can never resume a connection not yet suspended. */
        rs->server = s;
        rs->con = con;
        if (flags & ROUTE_POOL) {
            rs->budget_ms = app->cfg->search_timeout_ms;
            rs->busy_text = "search_queue_full";
        }
        /* A login from an address that has not been failing goes ahead
         * of a flood of guesses, so that nobody is locked out by one. */
        if (flags & ROUTE_LOGIN_POOL) {
            struct db *rdb = thread_db(s);

            first = rdb != NULL && auth_client_failures(rdb, req->client) == 0;
        }
        atomic_store(&rs->pool_state, POOL_QUEUED);
        MHD_suspend_connection(con);
        if ((first ? workpool_submit_first(pool, pool_job, rs, &evicted)
                   : workpool_submit(pool, pool_job, rs)) < 0) {
            atomic_store(&rs->pool_state, POOL_REFUSED);
            /* A refused login waits like a failed one: a flood must not
             * get its refusals back at once and ask again. */
            if ((flags & ROUTE_LOGIN_POOL) &&
                delay_add(s->delays, rs, auth_failure_delay_ms()) == 0) {
                return MHD_YES;
            }
            MHD_resume_connection(con);
        }
        if (evicted != NULL) {
            /* The newest guess waiting made room for this login: it is
             * refused, and waits like a refusal (a login pool job). */
            struct rstate *e = evicted;

            atomic_store(&e->pool_state, POOL_REFUSED);
            if (delay_add(s->delays, e, auth_failure_delay_ms()) != 0) {
                MHD_resume_connection(e->con);
            }
        }
        return MHD_YES;
    }
    req->db = thread_db(s);
    if (req->db == NULL) {
        resp_error(req, 503, NULL);
        req->resp.retry_after = "5";
        return send_resp(s, con, rs, req);
    }
    router_run(req, 0);
    rs->route = req->route;
    if (page_db != NULL && req->db == page_db && page_storable(req)) {
        return page_store(s, con, rs, req, gen);
    }
    return send_resp(s, con, rs, req);
}

/* Done with a request's state: it goes, or it waits on its connection
 * for the next request (keep). */
static void
rstate_free(struct http_server *s, struct rstate *rs, int keep)
{
    struct conn *c = rs->conn;

    if (c != NULL) {
        c->rs = NULL;
    }
    kw_free(rs->owned);
    /* A pool job's answer the client left before it was sent. */
    kw_free(rs->req.resp.owned);
    strbuf_free(&rs->body);
    atomic_fetch_sub(&s->inflight, 1);
    if (keep && c != NULL && c->spare == NULL) {
        struct arena a = rs->arena;

        arena_reset(&a);
        memset(rs, 0, sizeof(*rs));
        rs->arena = a;
        c->spare = rs;
        return;
    }
    arena_free(&rs->arena);
    kw_free(rs);
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
        /* Buffered: lib/log.c's flusher writes it within a millisecond
         * (without the flusher, the last request in flight writes). */
        struct access_line a = {
            .method = rs->method,
            .path = rs->path,
            .status = rs->status,
            .bytes = rs->bytes,
            .usec = usec,
            .aborted = toe != MHD_REQUEST_TERMINATED_COMPLETED_OK,
        };

        log_access_request(atomic_load(&s->inflight) <= 1, &a);
        app_account(s->app, rs->route, rs->status, usec);
    }
    rstate_free(s, rs, toe == MHD_REQUEST_TERMINATED_COMPLETED_OK);
    *con_cls = NULL;
}

/* Connections: their state is made when they open and freed when they
 * close, with any request state the completed callback never saw. */
static void
conn_cb(void *cls, struct MHD_Connection *con, void **socket_context,
        enum MHD_ConnectionNotificationCode code)
{
    struct http_server *s = cls;
    struct conn *c = *socket_context;

    (void)con;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        *socket_context = kw_calloc(1, sizeof(struct conn));
        return;
    }
    if (c != NULL) {
        if (c->rs != NULL) {
            rstate_free(s, c->rs, 0);
        }
        if (c->spare != NULL) {
            arena_free(&c->spare->arena);
            kw_free(c->spare);
        }
        kw_free(c);
        *socket_context = NULL;
    }
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

/* A PEM file into a new NUL-terminated string (at most 1 MiB), or NULL
 * with err set. */
static char *
read_pem(const char *what, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    char *buf;
    size_t n;

    if (f == NULL) {
        snprintf(err, errlen, "%s: %s: %s", what, path, strerror(errno));
        return NULL;
    }
    buf = kw_malloc(1024 * 1024 + 1);
    n = buf == NULL ? 0 : fread(buf, 1, 1024 * 1024 + 1, f);
    fclose(f);
    if (buf == NULL || n == 0 || n > 1024 * 1024 ||
        strstr((buf[n] = '\0', buf), "-----BEGIN ") == NULL) {
        snprintf(err, errlen, "%s: %s: %s", what, path,
                 buf == NULL ? "out of memory" : "not a PEM file");
        kw_free(buf);
        return NULL;
    }
    return buf;
}

/* The options that make the daemon speak TLS (tls_cert, tls_key), into
 * opt[0..2], the PEM texts owned (tls_free).  0, or -1 with err set. */
static int
tls_options(const struct config *cfg, struct MHD_OptionItem *opt, char *err,
            size_t errlen)
{
    char *cert, *key;

    if (cfg->tls_cert[0] == '\0' || cfg->tls_key[0] == '\0') {
        snprintf(err, errlen, "TLS needs both tls_cert and tls_key");
        return -1;
    }
    if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
        snprintf(err, errlen, "this libmicrohttpd has no TLS support");
        return -1;
    }
    if ((cert = read_pem("tls_cert", cfg->tls_cert, err, errlen)) == NULL) {
        return -1;
    }
    if ((key = read_pem("tls_key", cfg->tls_key, err, errlen)) == NULL) {
        kw_free(cert);
        return -1;
    }
    opt[0].option = MHD_OPTION_HTTPS_MEM_CERT;
    opt[0].ptr_value = cert;
    opt[1].option = MHD_OPTION_HTTPS_MEM_KEY;
    opt[1].ptr_value = key;
    opt[2].option = MHD_OPTION_END;
    return 0;
}

/* Free what tls_options read, wiping the key. */
static void
tls_free(struct MHD_OptionItem *opt)
{
    int i;

    for (i = 0; i < 2 && opt[i].option != MHD_OPTION_END; i++) {
        if (opt[i].option == MHD_OPTION_HTTPS_MEM_KEY) {
            sodium_memzero(opt[i].ptr_value, strlen(opt[i].ptr_value));
        }
        kw_free(opt[i].ptr_value);
        opt[i].ptr_value = NULL;
    }
}

/* Undo http_start's work before the daemon runs. */
static void
start_undo(struct http_server *s)
{
    tls_free(s->tls_opt);
    workpool_free(s->pool);
    workpool_free(s->login_pool);
    delayq_free(s->delays);
    s->app->search_pool = NULL;
    pthread_key_delete(s->db_key);
    kw_free(s);
}

int
http_start(struct app *app, struct http_server **out, char *err, size_t errlen)
{
    struct http_server *s;
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *di;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
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
#ifdef KW_TEST_HOOKS
    {
        const char *e = getenv("KW_TEST_NO_CSP");

        s->no_csp = e != NULL && strcmp(e, "1") == 0;
        if (s->no_csp) {
            LOG_WARN("test hook: KW_TEST_NO_CSP=1, answering without CSP");
        }
    }
#endif
    pthread_key_create(&s->db_key, thread_db_free);
    {
        long n = app->cfg->search_threads;

        if (n <= 0) {
            n = sysconf(_SC_NPROCESSORS_ONLN);
            if (n <= 0) {
                n = 2;
            }
        }
        /* Searches run at nice +10: when they fill every core, the HTTP
         * threads still get the CPU first. */
        s->pool = workpool_new((int)n, (size_t)app->cfg->search_queue, 10);
        /* Logins hash with argon2id (bounded in lib/auth.c) and wait
         * after a failure: two threads, so a flood of guesses waits
         * there, never on the HTTP threads. */
        s->login_pool = workpool_new(2, 32, 0);
        s->delays = delayq_new();
        if (s->pool == NULL || s->login_pool == NULL || s->delays == NULL) {
            workpool_free(s->pool);
            workpool_free(s->login_pool);
            delayq_free(s->delays);
            snprintf(err, errlen, "cannot start the search threads");
            pthread_key_delete(s->db_key);
            kw_free(s);
            return -1;
        }
    }
    app->search_pool = s->pool;
    if (app->pagecache == NULL) {
        /* app_free frees it, after the daemon stopped. */
        app->pagecache = pagecache_new((size_t)app->cfg->page_cache, page_free);
        if (app->pagecache == NULL) {
            snprintf(err, errlen, "out of memory");
            start_undo(s);
            return -1;
        }
    }
    s->tls_opt[0].option = MHD_OPTION_END;
    if (app->cfg->tls_cert[0] != '\0' || app->cfg->tls_key[0] != '\0') {
        if (tls_options(app->cfg, s->tls_opt, err, errlen) < 0) {
            start_undo(s);
            return -1;
        }
        flags |= MHD_USE_TLS;
        s->tls = 1;
    }
    s->d = MHD_start_daemon(
        flags, 0, NULL, NULL, access_cb, s, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)app->cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)app->cfg->max_connections_per_ip,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)app->cfg->connection_memory,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)app->cfg->connection_timeout,
        MHD_OPTION_URI_LOG_CALLBACK, uri_cb, s, MHD_OPTION_NOTIFY_COMPLETED,
        completed_cb, s, MHD_OPTION_NOTIFY_CONNECTION, conn_cb, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTENING_ADDRESS_REUSE, 1, MHD_OPTION_ARRAY, s->tls_opt,
        MHD_OPTION_END);
    if (s->d == NULL) {
        snprintf(err, errlen, "cannot listen on %s: %s%s", app->cfg->listen,
                 strerror(errno),
                 s->tls ? " (or the TLS certificate and key do not match)"
                        : "");
        start_undo(s);
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
    /* Every suspended connection must be resumed before the daemon
     * stops: searches still waiting are answered 503, running ones
     * finish, held answers go out at once. */
    workpool_free(s->pool);
    workpool_free(s->login_pool);
    delayq_free(s->delays); /* after the pools: their jobs may add to it */
    s->app->search_pool = NULL;
    MHD_stop_daemon(s->d);
    tls_free(s->tls_opt);
    pthread_key_delete(s->db_key);
    kw_free(s);
}
