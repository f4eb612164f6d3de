/*
 * fuzz_http: the HTTP layer end to end, in process.  Layer: tests/.  Once
 * per process the real server is set up as server/main.c does it (a
 * database made by the program's own migrations in a temporary directory,
 * app_init() over the source tree's templates and static files, the
 * search catalog, http_start()) listening on 127.0.0.1, port 0.  Each
 * input is written to a new TCP connection, the write side is shut, the
 * answer read to the end and checked.  The server's code runs in its own
 * threads in this process, so a sanitizer report there ends the run too.
 *
 * The database holds a collection, published and pending documents, and
 * an admin with a live session.  "@SID@" and "@CSRF@" in an input are
 * replaced by that session's cookie value and CSRF token, so seeds reach
 * the admin pages and their POST handlers; if an input ended the session
 * (logout, disabled account, new password), the next one that needs it
 * gets a fresh one.
 *
 * Invariants (all true of a correct server whatever the bytes):
 *   - the server accepts the connection and closes it within
 *     HTTP_FUZZ_DEADLINE_S after our side was shut;
 *   - no answer has status 500;
 *   - the answer is a sequence of well-formed responses: a status line,
 *     header lines with a colon and no bare CR or LF (no response
 *     splitting, no second status line inside a head), a blank line, then
 *     Content-Length bytes of body (none for 1xx, 204, 304, or HEAD);
 *   - there are no more final responses than requests the input could
 *     hold: one per header block that ends (a run of two or more CR/LF
 *     bytes), plus one for an unfinished request at the end.
 * The framing checks stop at the first gap when the read ended by a
 * reset (the server may close with unread input pending) or the cap.
 * FUZZ_HTTP_VERBOSE=1 in the environment prints every answer.
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
    set("connection_timeout", "5");
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

/* Write req, shut our side, read the answer into *ans (new).  Returns
 * its length; *clean is 1 when the read ended with the server's FIN. */
static size_t
exchange(const char *req, size_t len, char **ans, int *clean)
{
    struct sockaddr_in a;
    struct strbuf in = STRBUF_INIT;
    struct timespec t0;
    size_t sent = 0;
    int fd, wr_open = 1, done = 0;

    *clean = 0;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    FUZZ_CHECK(fd >= 0, "socket");
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)h.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int e = 0;
        socklen_t el = sizeof(e);

        FUZZ_CHECK(errno == EINPROGRESS, "the server accepts connections");
        FUZZ_CHECK(poll(&p, 1, HTTP_FUZZ_DEADLINE_S * 1000) == 1 &&
                       getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) == 0 &&
                       e == 0,
                   "the server accepts connections");
    }
    if (len == 0) {
        shutdown(fd, SHUT_WR);
        wr_open = 0;
    }
    while (!done) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        long left = HTTP_FUZZ_DEADLINE_S * 1000L - ms_since(&t0);
        char buf[16384];
        ssize_t n;

        if (left <= 0) {
            fprintf(stderr, "answer so far (%zu bytes): %.*s\n", in.len,
                    (int)(in.len > 2000 ? 2000 : in.len), strbuf_peek(&in));
            FUZZ_CHECK(0, "the server closes the connection in time");
        }
        if (wr_open) {
            p.events |= POLLOUT;
        }
        if (poll(&p, 1, (int)left) <= 0) {
            continue;
        }
        if (wr_open && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
            n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
            if (n > 0) {
                sent += (size_t)n;
            }
            /* A server that closed early refuses the rest: fine. */
            if (sent == len || (n < 0 && errno != EAGAIN && errno != EINTR)) {
                shutdown(fd, SHUT_WR);
                wr_open = 0;
            }
        }
        if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
            n = recv(fd, buf, sizeof(buf), 0);
            if (n > 0) {
                strbuf_append(&in, buf, (size_t)n);
                FUZZ_CHECK(strbuf_ok(&in), "out of memory");
                done = in.len > HTTP_FUZZ_MAX_ANSWER;
            } else if (n == 0) {
                *clean = 1;
                done = 1;
            } else if (errno != EAGAIN && errno != EINTR) {
                done = 1; /* reset: unread input was pending */
            }
        }
    }
    close(fd);
    *ans = strbuf_detach(&in, &sent);
    return sent;
}

/* Upper bound on the requests in s: header blocks that end (a run of two
 * or more CR/LF bytes; libmicrohttpd takes CR, LF and CRLF as line ends),
 * plus one when bytes follow the last such run (or there is none). */
static long
max_requests(const char *s, size_t n)
{
    size_t i = 0, tail_from = 0;
    long blocks = 0;

    while (i < n) {
        size_t run = 0;

        while (i + run < n && (s[i + run] == '\r' || s[i + run] == '\n')) {
            run++;
        }
        if (run >= 2) {
            blocks++;
            tail_from = i + run;
        }
        i += run > 0 ? run : 1;
    }
    return blocks + (tail_from < n ? 1 : 0);
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

/* 1 when s[at..n) starts a response (or is the end of the answer). */
static int
starts_response(const char *s, size_t at, size_t n)
{
    return at == n || (n - at >= 5 && memcmp(s + at, "HTTP/", 5) == 0);
}

static void
dump(const char *what, const char *req, size_t rlen, const char *ans,
     size_t alen)
{
    fprintf(stderr,
            "request (%zu bytes): %.*s\n---\nanswer (%zu bytes): %.*s\n", rlen,
            (int)(rlen > 2000 ? 2000 : rlen), req, alen,
            (int)(alen > 4000 ? 4000 : alen), ans);
    FUZZ_CHECK(0, what);
}

/* Walk the answer response by response; see the invariants above. */
static void
check_answer(const char *req, size_t rlen, const char *s, size_t n, int clean)
{
    size_t at = 0;
    long finals = 0;

    while (at < n) {
        size_t eol, line, body_at, clen = 0;
        int status, have_len = 0, nlen = 0;

        if (n - at < 13 && !clean) {
            return; /* cut short */
        }
        if (n - at < 13 ||
            (memcmp(s + at, "HTTP/1.1 ", 9) != 0 &&
             memcmp(s + at, "HTTP/1.0 ", 9) != 0) ||
            s[at + 9] < '1' || s[at + 9] > '5' || s[at + 10] < '0' ||
            s[at + 10] > '9' || s[at + 11] < '0' || s[at + 11] > '9' ||
            s[at + 12] != ' ') {
            dump("each response starts with a status line", req, rlen, s, n);
        }
        status = (s[at + 9] - '0') * 100 + (s[at + 10] - '0') * 10 +
                 (s[at + 11] - '0');
        if (status == 500) {
            dump("no status 500", req, rlen, s, n);
        }
        eol = crlf(s, at, n);
        if (eol == n) {
            if (clean) {
                dump("status line ends with CRLF", req, rlen, s, n);
            }
            return;
        }
        /* Header lines up to the blank one. */
        line = eol + 2;
        for (;;) {
            size_t end = crlf(s, line, n), k;
            const char *colon;

            if (end == n) {
                if (clean) {
                    dump("the head ends with a blank line", req, rlen, s, n);
                }
                return;
            }
            if (end == line) {
                body_at = end + 2;
                break;
            }
            for (k = line; k < end; k++) {
                if (s[k] == '\r' || s[k] == '\n') {
                    dump("no bare CR or LF in a header line", req, rlen, s, n);
                }
            }
            if (end - line >= 5 && memcmp(s + line, "HTTP/", 5) == 0) {
                dump("one status line per response", req, rlen, s, n);
            }
            colon = memchr(s + line, ':', end - line);
            if (colon == NULL || colon == s + line) {
                dump("header lines are NAME: value", req, rlen, s, n);
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
            dump("at most one Content-Length", req, rlen, s, n);
        }
        if (status >= 200 && ++finals > max_requests(req, rlen)) {
            dump("no more responses than requests", req, rlen, s, n);
        }
        if (status < 200 || status == 204 || status == 304) {
            at = body_at;
        } else if (!have_len) {
            at = n; /* body up to the close */
        } else if (body_at + clen <= n &&
                   starts_response(s, body_at + clen, n)) {
            at = body_at + clen;
        } else if (starts_response(s, body_at, n)) {
            at = body_at; /* the answer to a HEAD */
        } else if (clean && body_at + clen <= n) {
            dump("a body is followed by a response or the end", req, rlen, s,
                 n);
        } else {
            return; /* cut short, or a body cut by the close */
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *req, *ans;
    size_t rlen, alen;
    int clean;

    setup();
    if (holds(data, size, "@SID@") || holds(data, size, "@CSRF@")) {
        struct auth_user u;
        char csrf[AUTH_HEX_LEN + 1];

        if (auth_session(h.mine, NULL, h.sid, &u, csrf) != 1 ||
            u.role != AUTH_ADMIN) {
            login();
        }
    }
    rlen = substitute(data, size, &req);
    alen = exchange(req, rlen, &ans, &clean);
    if (getenv("FUZZ_HTTP_VERBOSE") != NULL) {
        fprintf(stderr, "%.*s\n---\n", (int)alen, ans);
    }
    check_answer(req, rlen, ans, alen, clean);
    kw_free(req);
    kw_free(ans);
    return 0;
}
