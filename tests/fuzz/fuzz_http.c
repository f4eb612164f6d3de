/*
 * fuzz_http: the HTTP layer end to end, in process.  Layer: tests/.  Once
 * per process the real server is set up as server/main.c does it (a
 * database made by the program's own migrations in a temporary directory,
 * app_init() over the source tree's templates and static files, the
 * search catalog, http_start()) listening on 127.0.0.1, port 0.  Each
 * input is written to a new TCP connection, the write side is shut, and
 * the answer read as it comes and checked.  The server's code runs in its
 * own threads in this process, so a sanitizer report there ends the run.
 *
 * The database holds a collection, published and pending documents, and
 * an admin with a live session.  "@SID@" and "@CSRF@" in an input are
 * replaced by that session's cookie value and CSRF token, so seeds reach
 * the admin pages and their POST handlers; if an input ended the session
 * (logout, disabled account, new password), the next one that needs it
 * gets a fresh one.  "@RST@" ends what is sent: the connection is reset
 * right after the bytes before it, as a client that leaves would.  After
 * each input the harness waits a little for the server to finish every
 * request (http_inflight() is 0), so its work is over before the next.
 *
 * Invariants (true of a correct server whatever the bytes):
 *   - the server accepts every connection and finishes every response it
 *     starts within HTTP_FUZZ_DEADLINE_S; every HTTP_FUZZ_PROBE_EVERY
 *     inputs, it has let go of every request within that time and still
 *     answers GET /healthz with 200;
 *   - no answer has status 500;
 *   - the answer is a sequence of well-formed responses: a status line,
 *     header lines NAME: value with no bare CR or LF (no response
 *     splitting, no second status line inside a head), a blank line, then
 *     Content-Length bytes of body (none for 1xx, 204, 304, or when the
 *     input holds a HEAD); when the server closed, nothing else follows;
 *   - there are no more final responses than requests the input could
 *     hold: one per header block that ends (an empty line), plus one for
 *     an unfinished request at the end.
 * Two exceptions, both libmicrohttpd 0.9.75's and outside our code: it
 * writes the head of its own answer to an unparsable Content-Length twice
 * (mhd_double_head()), and it ends a header block at a line starting with
 * ':' or NUL (max_requests()).  When the read ends without the server's close
 * (a reset, the size cap, or an idle keep-alive connection), only the complete
 * responses are checked.  FUZZ_HTTP_VERBOSE=1 in the environment prints every
 * answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "auth.h"
#include "fuzz.h"
#include "http.h"
#include "log.h"

#define HTTP_FUZZ_DEADLINE_S 10
#define HTTP_FUZZ_IDLE_MS 30
#define HTTP_FUZZ_FIRST_MS 250
#define HTTP_FUZZ_SETTLE_MS 30
#define HTTP_FUZZ_PROBE_EVERY 64
#define HTTP_FUZZ_MAX_ANSWER (4 << 20)
#define FUZZ_ADMIN "fuzzadmin"
#define FUZZ_PASSWORD "fuzz-password-0123"

static const char fixture[] =
    "INSERT INTO collection(id, name, title, source_url, created_at,"
    " updated_at) VALUES (1, 'man', 'Manual', 'https://docs.example.org/',"
    " 0, 0), (2, 'ko', '한국어', NULL, 0, 0);"
    "INSERT INTO blob(sha256, size, data, created_at) VALUES"
    " (printf('%064d', 1), 10, CAST('0123456789' AS BLOB), 0),"
    " (printf('%064d', 2), 4, CAST('%PDF' AS BLOB), 0);"
    "INSERT INTO asset(collection_id, path, content_type, blob_sha256,"
    " created_at) VALUES (1, 'img/logo.png', 'image/png', printf('%064d', 1),"
    " 0);"
    "INSERT INTO document(id, collection_id, path, status, title,"
    " title_norm, language, content_type, body_html, body_text,"
    " source_url, source_url_norm, ingested_at, operator, orig_sha256,"
    " orig_size, body_sha256, published_at, decided_at, decided_by, reason,"
    " updated_at) VALUES"
    " (1, 1, 'index.html', 'published', 'Home <&>', 'home', 'en',"
    " 'text/html', '<h2 id=\"s1\">Start</h2><p><a"
    " href=\"https://docs.example.org/guide.html#s2\">guide</a> <a"
    " href=\"https://outside.example.com/x?a=1&amp;b=2\">out</a> <img"
    " src=\"https://docs.example.org/img/logo.png\" alt=\"logo\"></p>',"
    " 'Start guide out SQLite WAL', 'https://docs.example.org/index.html',"
    " 'https://docs.example.org/index.html', 100, 'op', printf('%064d', 0),"
    " 1, printf('%064d', 0), 200, 200, 'chief', NULL, 0),"
    " (2, 1, 'guide.html', 'published', 'Guide', 'guide', 'en', 'text/html',"
    " '<h2 id=\"s2\">Two</h2><p>데이터베이스 검색</p>', 'Two 데이터베이스 "
    "검색',"
    " 'https://docs.example.org/guide.html',"
    " 'https://docs.example.org/guide.html', 100, 'op', printf('%064d', 0),"
    " 1, printf('%064d', 0), 300, 300, 'chief', NULL, 0),"
    " (3, 1, 'todo.html', 'pending', 'Todo', 'todo', 'en', 'text/html',"
    " '<p>t</p>', 't', 'https://docs.example.org/todo.html',"
    " 'https://docs.example.org/todo.html', 100, 'op', printf('%064d', 0),"
    " 1, printf('%064d', 0), NULL, NULL, NULL, NULL, 0),"
    " (4, 2, 'paper.pdf', 'published', '논문', '논문', 'ko',"
    " 'application/pdf', '<p>본문</p>', '본문', NULL, NULL, 100, 'op',"
    " printf('%064d', 2), 4, printf('%064d', 0), 500, 500, 'chief', NULL,"
    " 0);"
    "INSERT INTO asset(collection_id, path, document_id, content_type,"
    " blob_sha256, filename, created_at) VALUES (2, 'paper.pdf', 4,"
    " 'application/pdf', printf('%064d', 2), '논문.pdf', 0);";

/* The server and what it was built from; set up once per process. */
static struct {
    int port;
    char dir[64];
    char dbpath[128];
    struct config cfg;
    struct app app;
    struct db *wdb;  /* the server's writer */
    struct db *mine; /* ours: the fixture, the admin's session */
    struct http_server *srv;
    char sid[AUTH_HEX_LEN + 1];
    char csrf[AUTH_HEX_LEN + 1];
} h;

/* Remove the temporary database at exit (the server threads may still
 * hold it open; unlinking is fine). */
static void
cleanup(void)
{
    static const char *const suffix[] = {"",         "-wal",  "-shm",
                                         "-journal", ".lock", NULL};
    char p[192];
    int i;

    for (i = 0; suffix[i] != NULL; i++) {
        snprintf(p, sizeof(p), "%s%s", h.dbpath, suffix[i]);
        unlink(p);
    }
    rmdir(h.dir);
}

static void
set(const char *key, const char *value)
{
    struct config_error e;

    if (config_set(&h.cfg, key, value, &e) < 0) {
        fprintf(stderr, "fuzz_http: %s\n", e.msg);
        abort();
    }
}

/* A live admin session in h.sid/h.csrf: re-enable, re-promote and reset
 * the account first, since an input may have changed any of that. */
static void
login(void)
{
    char err[256];
    long retry = 0;

    auth_user_set_disabled(h.mine, FUZZ_ADMIN, 0, "cli:fuzz", NULL, err,
                           sizeof(err));
    auth_user_set_role(h.mine, FUZZ_ADMIN, AUTH_ADMIN, "cli:fuzz", NULL, err,
                       sizeof(err));
    auth_user_passwd(h.mine, FUZZ_ADMIN, FUZZ_PASSWORD, "cli:fuzz", NULL, err,
                     sizeof(err));
    FUZZ_CHECK(auth_login(h.mine, FUZZ_ADMIN, FUZZ_PASSWORD, NULL, h.sid,
                          h.csrf, &retry) == AUTH_OK,
               "the fuzz admin can log in");
}

static void
setup(void)
{
    struct db_opts o = {0};
    struct db_error de;
    struct auth_config ac;
    char err[1024], mig[4200];

    if (h.srv != NULL) {
        return;
    }
    signal(SIGPIPE, SIG_IGN);
    log_set_level(LOG_LEVEL_ERROR);
    FUZZ_CHECK(log_access_open("/dev/null") == 0, "access log");
    strcpy(h.dir, "/tmp/kwfuzz-http-XXXXXX");
    FUZZ_CHECK(mkdtemp(h.dir) != NULL, "mkdtemp");
    snprintf(h.dbpath, sizeof(h.dbpath), "%s/fuzz.db", h.dir);
    atexit(cleanup);
    FUZZ_CHECK(config_init(&h.cfg) == 0, "config_init");
    set("db", h.dbpath);
    set("listen", "127.0.0.1:0");
    set("threads", "2");
    /* Connections libmicrohttpd keeps after the client left (see
     * exchange()) must neither pile up for long nor reach a limit. */
    set("connection_timeout", "2");
    set("max_connections_per_ip", "0");
    /* Sanitizers slow every query down: a deadline hit would be a 500
     * that says nothing about the input. */
    set("query_timeout_ms", "20000");

    /* Cheap hashing and no failure delay or throttle: inputs are not
     * about argon2's cost, and the session must stay reachable. */
    auth_config_default(&ac);
    ac.opslimit = crypto_pwhash_OPSLIMIT_MIN;
    ac.memlimit = crypto_pwhash_MEMLIMIT_MIN;
    ac.failure_delay_ms = 0;
    ac.fail_limit = 1000000000;
    FUZZ_CHECK(auth_init(&ac) == 0, "auth_init");

    snprintf(mig, sizeof(mig), "%s/db/migrations", fuzz_srcdir());
    o.path = h.dbpath;
    o.migrations_dir = mig;
    o.flags = DB_CREATE;
    o.busy_timeout_ms = h.cfg.busy_timeout_ms;
    o.lock_timeout_ms = h.cfg.lock_timeout_ms;
    o.query_timeout_ms = h.cfg.query_timeout_ms;
    if (db_open(&o, &h.wdb, &de) < 0 || db_open(&o, &h.mine, &de) < 0) {
        fprintf(stderr, "fuzz_http: %s\n", de.msg);
        abort();
    }
    FUZZ_CHECK(db_write_begin(h.mine) == SQLITE_OK, "fixture: begin");
    if (db_exec(h.mine, fixture) != SQLITE_OK) {
        fprintf(stderr, "fuzz_http: fixture: %s\n", db_errmsg(h.mine));
        abort();
    }
    FUZZ_CHECK(db_write_commit(h.mine) == SQLITE_OK, "fixture: commit");
    FUZZ_CHECK(auth_user_add(h.mine, FUZZ_ADMIN, AUTH_ADMIN, FUZZ_PASSWORD,
                             "cli:fuzz", NULL, err, sizeof(err)) == 0,
               err);
    login();

    if (app_init(&h.app, &h.cfg, fuzz_srcdir(), err, sizeof(err)) < 0) {
        fprintf(stderr, "fuzz_http: %s\n", err);
        abort();
    }
    h.app.wdb = h.wdb;
    FUZZ_CHECK(searchcache_prepare(h.app.searchcache, h.wdb) == 0,
               "search catalog");
    json_object_seed(0);
    if (http_start(&h.app, &h.srv, err, sizeof(err)) < 0) {
        fprintf(stderr, "fuzz_http: %s\n", err);
        abort();
    }
    h.port = http_port(h.srv);
    FUZZ_CHECK(h.port > 0, "bound port");
}

/* data with "@SID@" and "@CSRF@" replaced (new buffer in *out). */
static size_t
substitute(const uint8_t *data, size_t size, char **out)
{
    struct strbuf sb = STRBUF_INIT;
    size_t i = 0;

    while (i < size) {
        if (size - i >= 5 && memcmp(data + i, "@SID@", 5) == 0) {
            strbuf_puts(&sb, h.sid);
            i += 5;
        } else if (size - i >= 6 && memcmp(data + i, "@CSRF@", 6) == 0) {
            strbuf_puts(&sb, h.csrf);
            i += 6;
        } else {
            strbuf_putc(&sb, data[i]);
            i++;
        }
    }
    FUZZ_CHECK(strbuf_ok(&sb), "out of memory");
    *out = strbuf_detach(&sb, &i);
    return i;
}

/* 1 when data holds s (n bytes). */
static int
holds(const uint8_t *data, size_t size, const char *s)
{
    size_t n = strlen(s), i;

    for (i = 0; i + n <= size; i++) {
        if (memcmp(data + i, s, n) == 0) {
            return 1;
        }
    }
    return 0;
}

static long
ms_since(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000L +
           (now.tv_nsec - t0->tv_nsec) / 1000000L;
}

/* Upper bound on the requests in s: header blocks that end (an empty
 * line: a run of CR/LF bytes holding two or more line ends, where
 * libmicrohttpd takes CRLF, LF and a bare CR each as one), plus one when
 * bytes follow the last such run (or there is none).  The number of
 * header blocks alone goes to *blocks.
 *
 * libmicrohttpd 0.9.75 also ends a header block at a line that starts
 * with ':' (an empty field name, which RFC 9112 says to refuse with 400)
 * or with a NUL byte: it parses lines as C strings in place, so both look
 * like the empty line.  What follows is read as the next request, so
 * "Host: a\r\n: x\r\nGET /admin/ ..." smuggles a request past a proxy
 * that forwards the line.  No API shows the application that line, so it
 * is counted here as what the library makes of it. */
static long
max_requests(const char *s, size_t n, long *blocks)
{
    size_t i = 0, tail_from = 0;

    *blocks = 0;
    while (i < n) {
        size_t run = 0, ends = 0;

        while (i + run < n && (s[i + run] == '\r' || s[i + run] == '\n')) {
            if (s[i + run] == '\r' && i + run + 1 < n &&
                s[i + run + 1] == '\n') {
                run++;
            }
            run++;
            ends++;
        }
        if (ends >= 2 || (ends == 1 && i + run < n &&
                          (s[i + run] == ':' || s[i + run] == '\0'))) {
            ++*blocks;
            tail_from = i + run;
        }
        i += run > 0 ? run : 1;
    }
    return *blocks + (tail_from < n ? 1 : 0);
}

/* Find "\r\n" in s[from, n); its offset or n. */
static size_t
crlf(const char *s, size_t from, size_t n)
{
    size_t i;

    for (i = from; i + 1 < n; i++) {
        if (s[i] == '\r' && s[i + 1] == '\n') {
            return i;
        }
    }
    return n;
}

/* What one exchange is checked against. */
struct answer {
    const char *req; /* the request bytes, after substitution */
    size_t rlen;
    long max_req;  /* max_requests() of req */
    long blocks;   /* its header blocks */
    int head;      /* req holds "HEAD": a response may lack its body */
    int leave;     /* reset the connection once req is written */
    int patient;   /* wait for the close, however long the server idles */
    const char *s; /* the answer so far */
    size_t n;
    long finals; /* final (non-1xx) responses walked */
};

static void
dump(const struct answer *a, const char *what)
{
    /* Raw bytes, NULs included; the input file has them exactly. */
    fprintf(stderr, "request (%zu bytes):\n", a->rlen);
    fwrite(a->req, 1, a->rlen > 2000 ? 2000 : a->rlen, stderr);
    fprintf(stderr, "\n---\nanswer (%zu bytes):\n", a->n);
    fwrite(a->s, 1, a->n > 4000 ? 4000 : a->n, stderr);
    fprintf(stderr, "\n---\n");
    FUZZ_CHECK(0, what);
}

/* libmicrohttpd 0.9.75 answers a Content-Length it cannot parse itself,
 * before the server sees the request, and writes that answer's head
 * twice (server/http.c documents it; no API lets the server answer
 * first).  Outside our code: skip the first copy of a head that is
 * repeated byte for byte before one of its own error pages, so the rest
 * is still checked. */
static size_t
mhd_double_head(const struct answer *a, size_t at)
{
    static const char page[] = "<html><head><title>";
    const char *e = memmem(a->s + at, a->n - at, "\r\n\r\n", 4);
    size_t hl;

    if (e == NULL) {
        return 0;
    }
    hl = (size_t)(e + 4 - (a->s + at));
    if (a->n - at >= 2 * hl + strlen(page) &&
        memcmp(a->s + at, a->s + at + hl, hl) == 0 &&
        memcmp(a->s + at + 2 * hl, page, strlen(page)) == 0) {
        return hl;
    }
    return 0;
}

/* 1 when s[at..n) starts with a status line's "HTTP/", 0 when it does
 * not, -1 when too few bytes tell. */
static int
starts_response(const struct answer *a, size_t at)
{
    size_t k = a->n - at < 5 ? a->n - at : 5;

    if (memcmp(a->s + at, "HTTP/", k) != 0) {
        return 0;
    }
    return k == 5 ? 1 : -1;
}

/* Walk the answer response by response (the invariants at the top).  With
 * last == 0 more bytes may come, so an unfinished response only stops the
 * walk; with last == 1 the answer is complete (the server closed) and it
 * must end on a response boundary.  Returns 1 when it does, else 0. */
static int
walk(struct answer *a, int last)
{
    const char *s = a->s;
    size_t at = 0, n = a->n;

    a->finals = 0;
    while (at < n) {
        size_t eol, line, body_at, clen = 0;
        int status, have_len = 0, nlen = 0;

        at += mhd_double_head(a, at);
        if (n - at < 13 || crlf(s, at, n) == n) {
            if (last || starts_response(a, at) == 0) {
                dump(a, "each response starts with a status line");
            }
            return 0;
        }
        if ((memcmp(s + at, "HTTP/1.1 ", 9) != 0 &&
             memcmp(s + at, "HTTP/1.0 ", 9) != 0) ||
            s[at + 9] < '1' || s[at + 9] > '5' || s[at + 10] < '0' ||
            s[at + 10] > '9' || s[at + 11] < '0' || s[at + 11] > '9' ||
            s[at + 12] != ' ') {
            dump(a, "each response starts with a status line");
        }
        status = (s[at + 9] - '0') * 100 + (s[at + 10] - '0') * 10 +
                 (s[at + 11] - '0');
        if (status == 500) {
            dump(a, "no status 500");
        }
        eol = crlf(s, at, n);
        /* Header lines up to the blank one. */
        line = eol + 2;
        for (;;) {
            size_t end = crlf(s, line, n), k;
            const char *colon;

            if (end == n) {
                if (last) {
                    dump(a, "the head ends with a blank line");
                }
                return 0;
            }
            if (end == line) {
                body_at = end + 2;
                break;
            }
            for (k = line; k < end; k++) {
                if (s[k] == '\r' || s[k] == '\n') {
                    dump(a, "no bare CR or LF in a header line");
                }
            }
            if (end - line >= 5 && memcmp(s + line, "HTTP/", 5) == 0) {
                dump(a, "one status line per response");
            }
            colon = memchr(s + line, ':', end - line);
            if (colon == NULL || colon == s + line) {
                dump(a, "header lines are NAME: value");
            }
            if ((size_t)(colon - (s + line)) == 14 &&
                strncasecmp(s + line, "Content-Length", 14) == 0) {
                const char *v = colon + 1;

                nlen++;
                clen = 0;
                while (v < s + end && *v == ' ') {
                    v++;
                }
                while (v < s + end && *v >= '0' && *v <= '9') {
                    clen = clen * 10 + (size_t)(*v - '0');
                    v++;
                }
                have_len = 1;
            }
            line = end + 2;
        }
        if (nlen > 1) {
            dump(a, "at most one Content-Length");
        }
        if (status >= 200 && ++a->finals > a->max_req) {
            dump(a, "no more responses than requests");
        }
        if (status < 200 || status == 204 || status == 304) {
            at = body_at;
            continue;
        }
        if (!have_len) {
            return last; /* the body runs to the close */
        }
        if (a->head) {
            int next = starts_response(a, body_at);

            /* The answer to a HEAD: the next response follows its head,
             * or nothing yet (a body may still come: walked again). */
            if (next > 0 || body_at == n) {
                at = body_at;
                continue;
            }
            if (next < 0 && !last) {
                return 0;
            }
        }
        if (body_at + clen > n) {
            if (last) {
                dump(a, "a body as long as its Content-Length");
            }
            return 0;
        }
        at = body_at + clen;
        if (at < n && starts_response(a, at) == 0) {
            dump(a, "a body is followed by a response or the end");
        }
    }
    return 1;
}

/* Write the request, shut our side, and read the answer as it comes,
 * walking it: done at the server's close, or once it holds as many
 * complete final responses as the input has header blocks, or when it
 * sits on a response boundary and nothing more comes for HTTP_FUZZ_IDLE_MS
 * (HTTP_FUZZ_FIRST_MS before the first answer to a complete request):
 * libmicrohttpd may keep a half-closed connection until its timeout.
 * A response left unfinished for HTTP_FUZZ_DEADLINE_S is a failure.  The
 * connection is then reset, so the server lets go of it at once. */
static void
exchange(struct answer *a)
{
    static const struct linger rst = {1, 0};
    struct sockaddr_in sa;
    struct strbuf in = STRBUF_INIT;
    struct timespec t0, last_io;
    size_t sent = 0;
    int fd, wr_open = 1, eof = 0, reset = 0, boundary = 1;

    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    FUZZ_CHECK(fd >= 0, "socket");
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)h.port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int e = 0;
        socklen_t el = sizeof(e);

        FUZZ_CHECK(errno == EINPROGRESS, "the server accepts connections");
        FUZZ_CHECK(poll(&p, 1, HTTP_FUZZ_DEADLINE_S * 1000) == 1 &&
                       getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 &&
                       e == 0,
                   "the server accepts connections");
    }
    last_io = t0;
    while (a->leave && sent < a->rlen && ms_since(&t0) < 1000) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        ssize_t n;

        poll(&p, 1, 100);
        n = send(fd, a->req + sent, a->rlen - sent, MSG_NOSIGNAL);
        if (n > 0) {
            sent += (size_t)n;
        } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
            break;
        }
    }
    /* Leave a millisecond after the server began a request (if it does
     * soon): mid-way through it, for anything slower than its head. */
    if (a->leave) {
        struct timespec nap = {0, 100000L};

        while (http_inflight(h.srv) == 0 &&
               ms_since(&t0) < HTTP_FUZZ_SETTLE_MS) {
            nanosleep(&nap, NULL);
        }
        nap.tv_nsec = 1000000L;
        nanosleep(&nap, NULL);
    }
    while (!a->leave) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        long left = HTTP_FUZZ_DEADLINE_S * 1000L - ms_since(&t0), wait, idle;
        char buf[16384];
        ssize_t n;

        if (wr_open && sent == a->rlen) {
            shutdown(fd, SHUT_WR);
            wr_open = 0;
        }
        if (eof || reset || in.len > HTTP_FUZZ_MAX_ANSWER) {
            break;
        }
        /* A complete request with no answer yet may just be slow (the
         * machine is loaded): give the first answer longer. */
        idle = a->finals == 0 && a->blocks > 0 ? HTTP_FUZZ_FIRST_MS
                                               : HTTP_FUZZ_IDLE_MS;
        if (!wr_open && boundary &&
            (a->finals >= a->blocks ||
             (!a->patient && ms_since(&last_io) >= idle))) {
            break;
        }
        if (left <= 0) {
            a->s = strbuf_peek(&in);
            a->n = in.len;
            dump(a, "a response is finished in time");
        }
        if (wr_open) {
            p.events |= POLLOUT;
        }
        wait = boundary && !wr_open ? idle : left;
        if (poll(&p, 1, (int)(wait < left ? wait : left)) <= 0) {
            continue;
        }
        if (wr_open && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            n = send(fd, a->req + sent, a->rlen - sent, MSG_NOSIGNAL);
            if (n > 0) {
                sent += (size_t)n;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                /* A server that closed early refuses the rest: fine. */
                sent = a->rlen;
            }
            clock_gettime(CLOCK_MONOTONIC, &last_io);
        }
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
            n = recv(fd, buf, sizeof(buf), 0);
            if (n > 0) {
                strbuf_append(&in, buf, (size_t)n);
                FUZZ_CHECK(strbuf_ok(&in), "out of memory");
                a->s = strbuf_peek(&in);
                a->n = in.len;
                boundary = walk(a, 0);
            } else if (n == 0) {
                eof = 1;
            } else if (errno != EAGAIN && errno != EINTR) {
                reset = 1; /* unread input was pending at its close */
            }
            clock_gettime(CLOCK_MONOTONIC, &last_io);
        }
    }
    if (!eof) {
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
    }
    close(fd);
    a->s = strbuf_detach(&in, &a->n);
    FUZZ_CHECK(a->s != NULL, "out of memory");
    /* Complete when the server closed; otherwise only what was walked. */
    if (eof && a->n <= HTTP_FUZZ_MAX_ANSWER) {
        walk(a, 1);
    } else {
        walk(a, 0);
    }
}

/* Wait up to ms until the server has finished with every request (its
 * completed callback ran): then what an input did is over before the next
 * one starts, and a leak or a crash is blamed on the right input.  With
 * must, a request still open then is a failure. */
static void
settle(long ms, int must)
{
    struct timespec t0, nap = {0, 1000000L};

    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (http_inflight(h.srv) > 0 && ms_since(&t0) < ms) {
        nanosleep(&nap, NULL);
    }
    FUZZ_CHECK(!must || http_inflight(h.srv) == 0,
               "the server lets go of a request once its client left");
}

/* Every HTTP_FUZZ_PROBE_EVERY inputs: the server still answers a plain
 * request (an input cannot have wedged it). */
static void
probe(void)
{
    static const char ok[] = "GET /healthz HTTP/1.1\r\nHost: fuzz\r\n"
                             "Connection: close\r\n\r\n";
    struct answer a;

    memset(&a, 0, sizeof(a));
    a.req = ok;
    a.rlen = strlen(ok);
    a.max_req = max_requests(ok, a.rlen, &a.blocks);
    a.patient = 1;
    exchange(&a);
    if (a.finals != 1 || memcmp(a.s, "HTTP/1.1 200 ", 13) != 0) {
        dump(&a, "the server still answers /healthz with 200");
    }
    kw_free((char *)a.s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static unsigned long runs;
    struct answer a;
    size_t cut;
    char *req;

    setup();
    if (holds(data, size, "@SID@") || holds(data, size, "@CSRF@")) {
        struct auth_user u;
        char csrf[AUTH_HEX_LEN + 1];

        if (auth_session(h.mine, NULL, h.sid, &u, csrf) != 1 ||
            u.role != AUTH_ADMIN) {
            login();
        }
    }
    memset(&a, 0, sizeof(a));
    for (cut = 0; cut + 5 <= size; cut++) {
        if (memcmp(data + cut, "@RST@", 5) == 0) {
            a.leave = 1;
            size = cut;
            break;
        }
    }
    a.rlen = substitute(data, size, &req);
    a.req = req;
    a.max_req = max_requests(req, a.rlen, &a.blocks);
    a.head = holds((const uint8_t *)req, a.rlen, "HEAD");
    exchange(&a);
    if (getenv("FUZZ_HTTP_VERBOSE") != NULL) {
        fwrite(a.s, 1, a.n, stderr);
        fprintf(stderr, "\n---\n");
    }
    kw_free(req);
    kw_free((char *)a.s);
    /* libmicrohttpd may take its connection timeout to notice that a
     * client with a half-sent request left: do not wait for that on every
     * input, but before each probe. */
    settle(HTTP_FUZZ_SETTLE_MS, 0);
    if (++runs % HTTP_FUZZ_PROBE_EVERY == 0) {
        settle(HTTP_FUZZ_DEADLINE_S * 1000L, 1);
        probe();
        settle(HTTP_FUZZ_DEADLINE_S * 1000L, 1);
    }
    return 0;
}
