/*
 * check_fetch: `ingest --fetch` against a hostile little HTTP server that
 * the test forks on 127.0.0.1 (hostile-world.md, row I8): allow-list
 * checked before connecting (the server counts connections), numeric-IP
 * tricks, non-http schemes, redirects in and out of policy, the DNS
 * rebinding check, size, time and slow-body caps, saved paths and bytes.
 * Layer: tests/.  Loopback only; every server and handler has an alarm and
 * leaves when the test process is gone, so nothing outlives a failed test.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "checkmain.h"
#include "clock.h"
#include "fetch.h"
#include "fsutil.h"
#include "policy.h"
#include "strbuf.h"

#define CAP 65536
/* Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's example date). */
#define OK_DATE 784111777LL

static const char ok_body[] = "<html><title>ok</title><p>hello</p></html>\n";

/* What the server tells the test, in memory shared across the fork. */
struct srv_shared {
    unsigned conns;
    char ua[128];
};

static struct srv_shared *shm;
static pid_t srv_pid = -1;
static int srv_port;
static char workdir[64], dest[96], listpath[96];

/* ---- The server ---------------------------------------------------- */

/* Write all of s[0..n); a vanished client just ends the handler. */
static void
put(int c, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(c, s, n);

        if (w <= 0) {
            _exit(0);
        }
        s += w;
        n -= (size_t)w;
    }
}

/* Write a NUL-terminated string. */
static void
puts_c(int c, const char *s)
{
    put(c, s, strlen(s));
}

/* A complete response with a body and Connection: close. */
static void
respond(int c, const char *status, const char *extra, const char *body,
        size_t n)
{
    char head[1024];

    snprintf(head, sizeof(head),
             "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\nConnection: close\r\n"
             "\r\n",
             status, extra, n);
    puts_c(c, head);
    put(c, body, n);
}

/* A redirect to loc. */
static void
redirect(int c, const char *code, const char *loc)
{
    char extra[512];

    snprintf(extra, sizeof(extra), "Location: %s\r\n", loc);
    respond(c, code, extra, "", 0);
}

/* Serve one request on c by its path; runs in its own process. */
static void
serve_one(int c)
{
    char req[8192], path[1024], loc[256], *ua;
    size_t n = 0;
    struct timeval tv = {5, 0};

    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    while (n < sizeof(req) - 1) {
        ssize_t r = read(c, req + n, sizeof(req) - 1 - n);

        if (r <= 0) {
            break;
        }
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n") != NULL) {
            break;
        }
    }
    req[n] = '\0';
    if (strncmp(req, "GET ", 4) != 0 || sscanf(req + 4, "%1023s", path) != 1) {
        respond(c, "400 Bad Request", "", "", 0);
        return;
    }
    ua = strstr(req, "\r\nUser-Agent: ");
    if (ua != NULL) {
        ua += 14;
        snprintf(shm->ua, sizeof(shm->ua), "%.*s", (int)strcspn(ua, "\r"), ua);
    }
    if (strcmp(path, "/ok.html") == 0 || strncmp(path, "/ok.html?", 9) == 0) {
        respond(c, "200 OK",
                "Content-Type: text/html; charset=utf-8\r\n"
                "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n",
                ok_body, strlen(ok_body));
    } else if (strcmp(path, "/dir/") == 0) {
        respond(c, "200 OK", "Content-Type: text/html\r\n", "dir", 3);
    } else if (strcmp(path, "/paper") == 0) {
        respond(c, "200 OK", "Content-Type: application/pdf\r\n",
                "%PDF-1.4 not really", 19);
    } else if (strcmp(path, "/redirect-in") == 0) {
        redirect(c, "302 Found", "/ok.html");
    } else if (strcmp(path, "/x/y/redirect-rel") == 0) {
        redirect(c, "301 Moved Permanently", "../../dir/#frag");
    } else if (strcmp(path, "/redirect-out") == 0) {
        redirect(c, "302 Found", "http://evil.example/");
    } else if (strcmp(path, "/redirect-file") == 0) {
        redirect(c, "302 Found", "file:///etc/passwd");
    } else if (strcmp(path, "/redirect-gopher") == 0) {
        snprintf(loc, sizeof(loc), "gopher://127.0.0.1:%d/", srv_port);
        redirect(c, "307 Temporary Redirect", loc);
    } else if (strcmp(path, "/redirect-localhost") == 0) {
        snprintf(loc, sizeof(loc), "http://localhost:%d/ok.html", srv_port);
        redirect(c, "302 Found", loc);
    } else if (strcmp(path, "/redirect-loop") == 0) {
        redirect(c, "302 Found", "/redirect-loop");
    } else if (strcmp(path, "/redirect-none") == 0) {
        respond(c, "302 Found", "", "", 0);
    } else if (strcmp(path, "/twoloc") == 0) {
        respond(c, "302 Found",
                "Location: /ok.html\r\nLocation: http://evil.example/\r\n", "",
                0);
    } else if (strcmp(path, "/big") == 0) {
        char block[4096];

        memset(block, 'x', sizeof(block));
        puts_c(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                  "Content-Length: 10000000\r\nConnection: close\r\n\r\n");
        put(c, block, sizeof(block));
    } else if (strcmp(path, "/exact") == 0) {
        static char body[CAP];

        memset(body, 'e', sizeof(body));
        respond(c, "200 OK", "Content-Type: text/plain\r\n", body,
                sizeof(body));
    } else if (strcmp(path, "/endless") == 0) {
        char chunk[4096 + 16];

        memset(chunk, 'x', sizeof(chunk));
        memcpy(chunk, "1000\r\n", 6);
        memcpy(chunk + 6 + 4096, "\r\n", 2);
        puts_c(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        for (;;) { /* until the client hangs up or the alarm rings */
            put(c, chunk, 6 + 4096 + 2);
        }
    } else if (strcmp(path, "/stall") == 0) {
        puts_c(c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                  "Content-Length: 50000\r\nConnection: close\r\n\r\n<html>");
        sleep(30); /* the handler's alarm ends it first */
    } else if (strcmp(path, "/hdrflood") == 0) {
        char line[1100];
        int i;

        puts_c(c, "HTTP/1.1 200 OK\r\n");
        for (i = 0; i < 400; i++) {
            snprintf(line, sizeof(line), "X-Pad-%03d: %01000d\r\n", i, 0);
            puts_c(c, line);
        }
        puts_c(c, "Content-Length: 0\r\nConnection: close\r\n\r\n");
    } else {
        respond(c, "404 Not Found", "Content-Type: text/plain\r\n", "no", 2);
    }
}

/* The accept loop: counts connections, forks a handler for each, and
 * ends by itself when the test process is gone or the alarm rings. */
static void
srv_loop(int ls, pid_t parent)
{
    signal(SIGCHLD, SIG_IGN);
    alarm(120);
    for (;;) {
        struct pollfd p = {ls, POLLIN, 0};
        int r = poll(&p, 1, 200), c;

        if (getppid() != parent) {
            _exit(0);
        }
        if (r <= 0) {
            continue;
        }
        c = accept(ls, NULL, NULL);
        if (c < 0) {
            continue;
        }
        __atomic_add_fetch(&shm->conns, 1, __ATOMIC_SEQ_CST);
        if (fork() == 0) {
            close(ls);
            signal(SIGPIPE, SIG_DFL);
            alarm(20);
            serve_one(c);
            _exit(0);
        }
        close(c);
    }
}

/* Checked fixture: the server on 127.0.0.1:0 and a fresh work directory
 * with dest/ for the fetched tree. */
static void
setup(void)
{
    struct sockaddr_in a;
    socklen_t alen = sizeof(a);
    pid_t parent = getpid();
    int ls, one = 1;

    shm = mmap(NULL, sizeof(*shm), PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(shm, MAP_FAILED);
    memset(shm, 0, sizeof(*shm));
    ls = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(ls, 0);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(ls, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(ls, 64), 0);
    ck_assert_int_eq(getsockname(ls, (struct sockaddr *)&a, &alen), 0);
    srv_port = ntohs(a.sin_port);
    srv_pid = fork();
    ck_assert_int_ge(srv_pid, 0);
    if (srv_pid == 0) {
        setpgid(0, 0);
        srv_loop(ls, parent);
        _exit(0);
    }
    setpgid(srv_pid, srv_pid); /* either side may win the race */
    close(ls);
    snprintf(workdir, sizeof(workdir), "/tmp/check_fetch.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(workdir));
    snprintf(dest, sizeof(dest), "%s/out", workdir);
    snprintf(listpath, sizeof(listpath), "%s/urls.txt", workdir);
    ck_assert_int_eq(mkdir(dest, 0700), 0);
}

/* Stop the server and its handlers (one process group, ours) and remove
 * the work directory. */
static void
teardown(void)
{
    if (srv_pid > 0) {
        kill(-srv_pid, SIGKILL);
        waitpid(srv_pid, NULL, 0);
        srv_pid = -1;
    }
    fetch_rmtree(workdir);
    munmap(shm, sizeof(*shm));
}

/* ---- Helpers ------------------------------------------------------- */

static unsigned
conns(void)
{
    return __atomic_load_n(&shm->conns, __ATOMIC_SEQ_CST);
}

static void
test_opts(struct fetch_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->timeout_s = 10;
    o->low_speed_bytes = 1000;
    o->low_speed_time_s = 2;
    o->max_bytes = CAP;
    o->max_redirects = 5;
}

/* Write the list (printf-style, "%1$d" is the server port) and fetch it
 * under the policy text.  Returns fetch_list's result. */
static int
run(const char *policy_text, const struct fetch_opts *o,
    struct fetch_result *res, const char *list)
{
    struct policy *pol = NULL;
    char err[512];
    FILE *f;
    int rc;

    ck_assert_msg(policy_parse(policy_text, strlen(policy_text), "test", &pol,
                               err, sizeof(err)) == 0,
                  "policy: %s", err);
    f = fopen(listpath, "w");
    ck_assert_ptr_nonnull(f);
    fputs(list, f);
    fclose(f);
    err[0] = '\0';
    rc = fetch_list(listpath, pol, o, dest, res, err, sizeof(err));
    ck_assert_msg(rc == 0, "fetch_list: %s", err);
    policy_free(pol);
    return rc;
}

/* Replace every "PORT" in tmpl with the server's port. */
static char *
with_port(const char *tmpl)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p;

    while ((p = strstr(tmpl, "PORT")) != NULL) {
        strbuf_append(&sb, tmpl, (size_t)(p - tmpl));
        strbuf_printf(&sb, "%d", srv_port);
        tmpl = p + 4;
    }
    strbuf_puts(&sb, tmpl);
    return strbuf_detach(&sb, NULL);
}

/* run() with "PORT" substituted in the list. */
static void
run_p(const char *policy_text, const struct fetch_opts *o,
      struct fetch_result *res, const char *tmpl)
{
    char *list = with_port(tmpl);

    run(policy_text, o, res, list);
    kw_free(list);
}

/* The record of list line `line`. */
static const struct fetch_record *
at_line(const struct fetch_result *res, int line)
{
    size_t i;

    for (i = 0; i < res->n; i++) {
        if (res->r[i].line == line) {
            return &res->r[i];
        }
    }
    ck_abort_msg("no record for line %d", line);
    return NULL;
}

/* Assert the record failed with an error containing want. */
static void
assert_failed(const struct fetch_record *r, const char *want)
{
    ck_assert_msg(r->error != NULL, "line %d (%s) did not fail", r->line,
                  r->url);
    ck_assert_msg(strstr(r->error, want) != NULL,
                  "line %d: error '%s' lacks '%s'", r->line, r->error, want);
    ck_assert_ptr_null(r->path);
    ck_assert_ptr_null(r->sha256);
}

/* Number of entries in dest (recursively) whose name starts with
 * prefix, for leftovers. */
static int
count_named(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    if (d == NULL) {
        return 0;
    }
    while ((de = readdir(d)) != NULL) {
        char sub[1024];

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        if (strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
            n++;
        }
        snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
        if (fs_is_dir(sub)) {
            n += count_named(sub, prefix);
        }
    }
    closedir(d);
    return n;
}

/* Number of regular files under dir. */
static int
count_files(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    if (d == NULL) {
        return 0;
    }
    while ((de = readdir(d)) != NULL) {
        char sub[1024];
        struct stat st;

        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
        if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
            n += count_files(sub);
        } else {
            n++;
        }
    }
    closedir(d);
    return n;
}

/* Assert that fetch_path_for_url(url, ctype) is want. */
static void
path_is(const char *url, const char *ctype, const char *want)
{
    struct strbuf sb = STRBUF_INIT;

    ck_assert_msg(fetch_path_for_url(url, ctype, &sb) == 0, "%s refused", url);
    ck_assert_msg(strcmp(strbuf_peek(&sb), want) == 0, "%s -> '%s', want '%s'",
                  url, strbuf_peek(&sb), want);
    strbuf_free(&sb);
}

/* Every component of a saved path is a safe file name. */
static void
path_is_safe(const char *url)
{
    struct strbuf sb = STRBUF_INIT;
    const char *p, *s;

    ck_assert_msg(fetch_path_for_url(url, "text/html", &sb) == 0, "%s", url);
    ck_assert_msg(sb.len <= 1300, "%s: path of %zu bytes", url, sb.len);
    for (s = p = strbuf_peek(&sb);; p++) {
        if (*p == '/' || *p == '\0') {
            size_t n = (size_t)(p - s);

            ck_assert_msg(n > 0 && n <= 255, "%s: component of %zu", url, n);
            ck_assert_msg(s[0] != '.', "%s: dot name in %s", url,
                          strbuf_peek(&sb));
            if (*p == '\0') {
                break;
            }
            s = p + 1;
        } else {
            ck_assert_msg((unsigned char)*p >= 0x20 && *p != 0x7f && *p != '\\',
                          "%s: control byte", url);
        }
    }
    strbuf_free(&sb);
}

/* ---- core ---------------------------------------------------------- */

START_TEST(test_paths)
{
    char seg[400], url[8192];
    int i;

    path_is("http://Example.COM/a/b/", NULL, "example.com/a/b/index.html");
    path_is("http://example.com", NULL, "example.com/index.html");
    path_is("http://example.com:8080/x.html", NULL, "example.com_8080/x.html");
    path_is("https://example.com:443/x.html", NULL, "example.com/x.html");
    path_is("http://[::1]:81/a.txt", NULL, "ipv6_--1_81/a.txt");
    path_is("http://e.com/%2E%2E/%2e%2e/etc/passwd", NULL, "e.com/etc/passwd");
    path_is("http://e.com/a%2Fb/c.txt", NULL, "e.com/a%2Fb/c.txt");
    path_is("http://e.com/.hidden/.x.md", NULL, "e.com/%2Ehidden/%2Ex.md");
    path_is("http://e.com/a%00b.txt", NULL, "e.com/a%00b.txt");
    path_is("http://e.com/%0A.txt", NULL, "e.com/%0A.txt");
    path_is("http://e.com/%EB%AC%B8%EC%84%9C.html", NULL,
            "e.com/\xeb\xac\xb8\xec\x84\x9c.html");
    path_is("http://e.com/%FF.txt", NULL, "e.com/%FF.txt");
    path_is("http://e.com/a%5Cb.txt", NULL, "e.com/a%5Cb.txt");
    path_is("http://e.com/a//b.txt", NULL, "e.com/a/_/b.txt");
    path_is("http://e.com/doc", "text/html; charset=utf-8", "e.com/doc.html");
    path_is("http://e.com/doc.htm", "TEXT/HTML", "e.com/doc.htm");
    path_is("http://e.com/r.md", "text/plain", "e.com/r.md");
    path_is("http://e.com/p", "application/pdf", "e.com/p.pdf");
    path_is("http://e.com/p.php", "image/png", "e.com/p.php");
    path_is("http://e.com/", "application/pdf", "e.com/index.html.pdf");
    {
        struct strbuf sb = STRBUF_INIT;

        ck_assert_int_eq(
            fetch_path_for_url("http://e.com/s.php?id=1#x", "text/html", &sb),
            0);
        ck_assert_msg(strncmp(strbuf_peek(&sb), "e.com/s~q", 9) == 0 &&
                          strlen(strbuf_peek(&sb)) == 9 + 8 + 9 &&
                          strcmp(strbuf_peek(&sb) + 17, ".php.html") == 0,
                      "query path %s", strbuf_peek(&sb));
        strbuf_free(&sb);
        ck_assert_int_eq(fetch_path_for_url("file:///etc/passwd", NULL, &sb),
                         -1);
        ck_assert_int_eq(fetch_path_for_url("gopher://e.com/", NULL, &sb), -1);
        ck_assert_int_eq(fetch_path_for_url("http://u@e.com/", NULL, &sb), -1);
        strbuf_free(&sb);
    }
    /* a long segment keeps its extension and a bounded length */
    memset(seg, 'a', 300);
    seg[300] = '\0';
    snprintf(url, sizeof(url), "http://e.com/%s.pdf", seg);
    {
        struct strbuf sb = STRBUF_INIT;

        ck_assert_int_eq(fetch_path_for_url(url, NULL, &sb), 0);
        ck_assert_uint_le(sb.len, 6 + 130);
        ck_assert_str_eq(strbuf_peek(&sb) + sb.len - 4, ".pdf");
        strbuf_free(&sb);
    }
    /* too deep: the flat name */
    snprintf(url, sizeof(url), "http://e.com");
    for (i = 0; i < 40; i++) {
        strcat(url, "/d");
    }
    strcat(url, "/x.html");
    {
        struct strbuf sb = STRBUF_INIT;

        ck_assert_int_eq(fetch_path_for_url(url, NULL, &sb), 0);
        ck_assert_msg(strncmp(strbuf_peek(&sb), "e.com/~", 7) == 0 &&
                          sb.len == 7 + 16 + 5,
                      "deep path %s", strbuf_peek(&sb));
        strbuf_free(&sb);
    }
    path_is_safe("http://e.com/%2e%2E%2f..%2f../x");
    path_is_safe("http://e.com/..%00/%01%02%7F/%C0%AE%C0%AE/");
    path_is_safe("http://e.com/a/%2E/b/%2E%2E%2E/c?q=../../x");
    path_is_safe(url);
    path_is_safe("http://e.com/\xe2\x80\xae"
                 "gnp.exe");
}
END_TEST

START_TEST(test_fetch_ok)
{
    struct fetch_result res;
    struct fetch_opts o;
    const struct fetch_record *r;
    char path[512], *data = NULL, hex[65];
    unsigned char h[32];
    size_t len = 0;
    struct stat st;
    char want[256];

    test_opts(&o);
    /* a proxy in the environment must be ignored, not used */
    setenv("http_proxy", "http://127.0.0.1:9/", 1);
    setenv("HTTP_PROXY", "http://127.0.0.1:9/", 1);
    setenv("ALL_PROXY", "http://127.0.0.1:9/", 1);
    run_p("fetch_allow 127.0.0.1\n", &o, &res,
          "\xEF\xBB\xBF# the list\n"
          "\n"
          "  http://127.0.0.1:PORT/ok.html  \r\n"
          "http://127.0.0.1:PORT/redirect-in\n"
          "http://127.0.0.1:PORT/dir/\n"
          "http://127.0.0.1:PORT/paper\n"
          "http://127.0.0.1:PORT/x/y/redirect-rel\n"
          "http://127.0.0.1:PORT/ok.html?x=1\n"
          "HTTP://127.0.0.1:PORT/./ok.html#top\n"
          "http://127.0.0.1:PORT/exact\n");
    ck_assert_uint_eq(res.n, 8);
    ck_assert_uint_eq(res.nfailed, 1);
    ck_assert_str_eq(shm->ua, "kwangmyong-fetch/0.1");

    r = at_line(&res, 3);
    ck_assert_msg(r->error == NULL, "ok.html: %s", r->error);
    ck_assert_int_eq(r->status, 200);
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/ok.html", srv_port);
    ck_assert_str_eq(r->url, want);
    ck_assert_str_eq(r->final_url, want);
    ck_assert_str_eq(r->content_type, "text/html; charset=utf-8");
    ck_assert_int_eq(r->last_modified, OK_DATE);
    ck_assert_int_ge(r->fetched_at, (long long)time(NULL) - 60);
    snprintf(want, sizeof(want), "127.0.0.1_%d/ok.html", srv_port);
    ck_assert_str_eq(r->path, want);
    ck_assert_ptr_eq(fetch_find_path(&res, want), r);
    snprintf(path, sizeof(path), "%s/%s", dest, r->path);
    ck_assert_int_eq(fs_read_file(path, 1 << 20, &data, &len), 0);
    ck_assert_uint_eq(len, strlen(ok_body));
    ck_assert_mem_eq(data, ok_body, len);
    kw_free(data);
    ck_assert_int_eq(r->size, (long long)strlen(ok_body));
    crypto_hash_sha256(h, (const unsigned char *)ok_body, strlen(ok_body));
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    ck_assert_str_eq(r->sha256, hex);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq((long long)st.st_mtime, OK_DATE);

    /* redirect inside the policy: followed, final_url recorded, and the
     * second copy of ok.html gets a free name */
    r = at_line(&res, 4);
    ck_assert_msg(r->error == NULL, "redirect-in: %s", r->error);
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/ok.html", srv_port);
    ck_assert_str_eq(r->final_url, want);
    snprintf(want, sizeof(want), "127.0.0.1_%d/ok~2.html", srv_port);
    ck_assert_str_eq(r->path, want);
    ck_assert_int_eq(r->last_modified, OK_DATE);

    r = at_line(&res, 5);
    ck_assert_msg(r->error == NULL, "dir: %s", r->error);
    snprintf(want, sizeof(want), "127.0.0.1_%d/dir/index.html", srv_port);
    ck_assert_str_eq(r->path, want);
    ck_assert_int_eq(r->last_modified, -1);

    r = at_line(&res, 6);
    ck_assert_msg(r->error == NULL, "paper: %s", r->error);
    snprintf(want, sizeof(want), "127.0.0.1_%d/paper.pdf", srv_port);
    ck_assert_str_eq(r->path, want);

    /* relative Location, resolved and normalised (fragment dropped) */
    r = at_line(&res, 7);
    ck_assert_msg(r->error == NULL, "redirect-rel: %s", r->error);
    snprintf(want, sizeof(want), "http://127.0.0.1:%d/dir/", srv_port);
    ck_assert_str_eq(r->final_url, want);

    r = at_line(&res, 8);
    ck_assert_msg(r->error == NULL, "query: %s", r->error);
    ck_assert_ptr_nonnull(strstr(r->path, "/ok~q"));

    /* the same URL spelled differently is a duplicate, not fetched */
    r = at_line(&res, 9);
    assert_failed(r, "duplicate of line 3");

    /* a body of exactly the cap is fine */
    r = at_line(&res, 10);
    ck_assert_msg(r->error == NULL, "exact: %s", r->error);
    ck_assert_int_eq(r->size, CAP);
    ck_assert_ptr_nonnull(strstr(r->path, "/exact.txt"));

    ck_assert_int_eq(count_named(dest, ".fetch-"), 0);
    ck_assert_int_eq(count_files(dest), 7);
    /* 8 URLs, 2 of them redirects, 1 duplicate */
    ck_assert_uint_eq(conns(), 9);
    fetch_result_free(&res);
    fetch_result_free(&res); /* idempotent */
}
END_TEST

/* ---- limits -------------------------------------------------------- */

START_TEST(test_size_caps)
{
    struct fetch_result res;
    struct fetch_opts o;
    long long t0;

    test_opts(&o);
    t0 = clock_now_ms();
    run_p("fetch_allow 127.0.0.1\n", &o, &res,
          "http://127.0.0.1:PORT/big\n"
          "http://127.0.0.1:PORT/endless\n"
          "http://127.0.0.1:PORT/hdrflood\n"
          "http://127.0.0.1:PORT/ok.html\n");
    ck_assert_int_lt(clock_now_ms() - t0, 8000);
    assert_failed(at_line(&res, 1), "too large: Content-Length over 65536");
    assert_failed(at_line(&res, 2), "too large: body over 65536 bytes");
    ck_assert_int_eq(at_line(&res, 2)->size, 0);
    assert_failed(at_line(&res, 3), "response headers over");
    ck_assert_ptr_null(at_line(&res, 4)->error);
    /* nothing partial left behind: only ok.html */
    ck_assert_int_eq(count_files(dest), 1);
    ck_assert_int_eq(count_named(dest, ".fetch-"), 0);
    ck_assert_uint_eq(res.nfailed, 3);
    fetch_result_free(&res);
}
END_TEST

START_TEST(test_stall)
{
    struct fetch_result res;
    struct fetch_opts o;
    long long t0, dt;

    /* the low-speed limit cuts a stalled body */
    test_opts(&o);
    t0 = clock_now_ms();
    run_p("fetch_allow 127.0.0.1\n", &o, &res, "http://127.0.0.1:PORT/stall\n");
    dt = clock_now_ms() - t0;
    assert_failed(at_line(&res, 1), "too slow");
    ck_assert_int_eq(at_line(&res, 1)->status, 200);
    ck_assert_msg(dt >= 1500 && dt < 6000, "stall cut after %lld ms", dt);
    ck_assert_int_eq(count_files(dest), 0);
    fetch_result_free(&res);

    /* the whole-URL limit holds when the low-speed limit is lax */
    o.timeout_s = 1;
    o.low_speed_time_s = 30;
    t0 = clock_now_ms();
    run_p("fetch_allow 127.0.0.1\n", &o, &res, "http://127.0.0.1:PORT/stall\n");
    dt = clock_now_ms() - t0;
    assert_failed(at_line(&res, 1), "timed out");
    ck_assert_msg(dt >= 900 && dt < 4000, "timeout after %lld ms", dt);
    ck_assert_int_eq(count_files(dest), 0);
    fetch_result_free(&res);
}
END_TEST

START_TEST(test_too_many_urls)
{
    struct policy *pol = NULL;
    struct fetch_result res;
    char err[256];
    FILE *f;
    int i;

    ck_assert_int_eq(policy_parse("fetch_allow a.example\n", 22, "t", &pol, err,
                                  sizeof(err)),
                     0);
    f = fopen(listpath, "w");
    ck_assert_ptr_nonnull(f);
    for (i = 0; i <= FETCH_MAX_URLS; i++) {
        fprintf(f, "http://a.example/%d\n", i);
    }
    fclose(f);
    ck_assert_int_eq(
        fetch_list(listpath, pol, NULL, dest, &res, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "more than 100000"));
    ck_assert_uint_eq(res.n, 0);
    ck_assert_uint_eq(conns(), 0);
    policy_free(pol);
}
END_TEST

/* ---- errors -------------------------------------------------------- */

START_TEST(test_refused_before_connecting)
{
    struct fetch_result res;
    struct fetch_opts o;

    test_opts(&o);
    run_p("fetch_allow 127.0.0.1\n", &o, &res,
          "# refused lines, with their line numbers\n"
          "not a url\n"
          "file:///etc/passwd\n"
          "gopher://127.0.0.1:PORT/\n"
          "http://localhost:PORT/ok.html\n"
          "http://2130706433:PORT/ok.html\n"
          "http://0x7f.1:PORT/ok.html\n"
          "\n"
          "http://127.1:PORT/ok.html\n"
          "http://0177.0.0.1:PORT/ok.html\n"
          "http://evil.example/\n"
          "ftp://127.0.0.1:PORT/\n"
          "http://user@127.0.0.1:PORT/ok.html\n"
          "http://127.0.0.1:PORT/\x01x\n"
          "dict://127.0.0.1:PORT/\n"
          "http://[::ffff:127.0.0.1]:PORT/ok.html\n"
          "http://127.0.0.1:99999/\n");
    ck_assert_uint_eq(res.n, 15);
    ck_assert_uint_eq(res.nfailed, 15);
    assert_failed(at_line(&res, 2), "not an http(s) URL");
    assert_failed(at_line(&res, 3), "not an http(s) URL");
    assert_failed(at_line(&res, 4), "not an http(s) URL");
    assert_failed(at_line(&res, 5), "localhost not in fetch_allow");
    assert_failed(at_line(&res, 6), "numeric address not in fetch_allow");
    assert_failed(at_line(&res, 7), "numeric address not in fetch_allow");
    assert_failed(at_line(&res, 9), "numeric address not in fetch_allow");
    assert_failed(at_line(&res, 10), "numeric address not in fetch_allow");
    assert_failed(at_line(&res, 11), "evil.example not in fetch_allow");
    assert_failed(at_line(&res, 12), "not an http(s) URL");
    assert_failed(at_line(&res, 13), "malformed");
    assert_failed(at_line(&res, 14), "control characters");
    ck_assert_str_eq(
        at_line(&res, 14)->url + strlen(at_line(&res, 14)->url) - 4, "%01x");
    assert_failed(at_line(&res, 15), "not an http(s) URL");
    assert_failed(at_line(&res, 16), "numeric address not in fetch_allow");
    assert_failed(at_line(&res, 17), "malformed");
    ck_assert_ptr_null(at_line(&res, 2)->final_url);
    /* none of them reached the server */
    ck_assert_uint_eq(conns(), 0);
    ck_assert_int_eq(count_files(dest), 0);
    fetch_result_free(&res);

    /* no fetch_allow at all: fetching is off */
    run_p("allow example.org\n", &o, &res, "http://127.0.0.1:PORT/ok.html\n");
    assert_failed(at_line(&res, 1), "fetching is disabled");
    ck_assert_uint_eq(conns(), 0);
    fetch_result_free(&res);

    /* deny wins over fetch_allow */
    run_p("fetch_allow 127.0.0.1\ndeny 127.0.0.1\n", &o, &res,
          "http://127.0.0.1:PORT/ok.html\n");
    assert_failed(at_line(&res, 1), "deny");
    ck_assert_uint_eq(conns(), 0);
    fetch_result_free(&res);
}
END_TEST

START_TEST(test_numeric_exact)
{
    struct fetch_result res;
    struct fetch_opts o;

    /* a numeric trick host is fine when listed exactly as written */
    test_opts(&o);
    run_p("fetch_allow 127.1\n", &o, &res,
          "http://127.1:PORT/ok.html\n"
          "http://127.0.0.1:PORT/ok.html\n");
    ck_assert_msg(at_line(&res, 1)->error == NULL, "127.1: %s",
                  at_line(&res, 1)->error);
    assert_failed(at_line(&res, 2), "numeric address not in fetch_allow");
    ck_assert_uint_eq(conns(), 1);
    fetch_result_free(&res);
}
END_TEST

/* Progress callback: counts calls, checks they arrive in order. */
static void
count_progress(void *arg, size_t done, size_t total,
               const struct fetch_record *rec)
{
    size_t *calls = arg;

    ck_assert_uint_eq(done, *calls + 1);
    ck_assert_uint_le(done, total);
    ck_assert_ptr_nonnull(rec->url);
    (*calls)++;
}

START_TEST(test_redirects_refused)
{
    struct fetch_result res;
    struct fetch_opts o;
    size_t calls = 0;

    test_opts(&o);
    o.progress = count_progress;
    o.progress_arg = &calls;
    run_p("fetch_allow 127.0.0.1\n", &o, &res,
          "http://127.0.0.1:PORT/redirect-out\n"
          "http://127.0.0.1:PORT/redirect-file\n"
          "http://127.0.0.1:PORT/redirect-gopher\n"
          "http://127.0.0.1:PORT/redirect-localhost\n"
          "http://127.0.0.1:PORT/redirect-loop\n"
          "http://127.0.0.1:PORT/twoloc\n"
          "http://127.0.0.1:PORT/redirect-none\n"
          "http://127.0.0.1:PORT/404\n");
    assert_failed(at_line(&res, 1),
                  "redirect to http://evil.example/ refused: fetch refused: "
                  "evil.example not in fetch_allow");
    ck_assert_int_eq(at_line(&res, 1)->status, 302);
    ck_assert_ptr_nonnull(strstr(at_line(&res, 1)->final_url, "/redirect-out"));
    assert_failed(at_line(&res, 2), "redirect to file:///etc/passwd refused");
    assert_failed(at_line(&res, 3), "not an http(s) URL");
    assert_failed(at_line(&res, 4), "localhost not in fetch_allow");
    assert_failed(at_line(&res, 5), "too many redirects (more than 5)");
    assert_failed(at_line(&res, 6), "2 Location headers");
    assert_failed(at_line(&res, 7), "HTTP 302 without Location");
    assert_failed(at_line(&res, 8), "HTTP 404");
    ck_assert_int_eq(at_line(&res, 8)->status, 404);
    /* one request each, six for the loop (the start and five hops) */
    ck_assert_uint_eq(conns(), 7 + 6);
    ck_assert_uint_eq(calls, res.n);
    ck_assert_int_eq(count_files(dest), 0);
    ck_assert_int_eq(count_named(dest, ".fetch-"), 0);
    fetch_result_free(&res);

    /* max_redirects 0: not even a redirect inside the policy */
    o.max_redirects = 0;
    o.progress = NULL;
    run_p("fetch_allow 127.0.0.1\n", &o, &res,
          "http://127.0.0.1:PORT/redirect-in\n");
    assert_failed(at_line(&res, 1), "too many redirects (more than 0)");
    fetch_result_free(&res);
}
END_TEST

START_TEST(test_rebinding)
{
    struct fetch_result res;
    struct fetch_opts o;
    unsigned before;

    /* a name in the allow-list that resolves to loopback is refused at
     * connect time: the server never sees a connection */
    test_opts(&o);
    run_p("fetch_allow localhost\n", &o, &res,
          "http://localhost:PORT/ok.html\n");
    assert_failed(at_line(&res, 1), "a loopback address not in fetch_allow");
    ck_assert_uint_eq(conns(), 0);
    fetch_result_free(&res);

    /* the exact literal in fetch_allow admits that address */
    run_p("fetch_allow localhost 127.0.0.1\n", &o, &res,
          "http://localhost:PORT/ok.html\n");
    ck_assert_msg(at_line(&res, 1)->error == NULL, "%s",
                  at_line(&res, 1)->error);
    ck_assert_uint_eq(conns(), 1);
    fetch_result_free(&res);

    /* and so does allow_private */
    o.allow_private = 1;
    before = conns();
    run_p("fetch_allow localhost\n", &o, &res,
          "http://localhost:PORT/ok.html\n");
    ck_assert_msg(at_line(&res, 1)->error == NULL, "%s",
                  at_line(&res, 1)->error);
    ck_assert_uint_eq(conns(), before + 1);
    fetch_result_free(&res);
}
END_TEST

START_TEST(test_unusable_list)
{
    struct policy *pol = NULL;
    struct fetch_result res;
    struct fetch_opts o;
    char err[256], path[200];

    ck_assert_int_eq(policy_parse("fetch_allow 127.0.0.1\n", 22, "t", &pol, err,
                                  sizeof(err)),
                     0);
    snprintf(path, sizeof(path), "%s/missing.txt", workdir);
    ck_assert_int_eq(fetch_list(path, pol, NULL, dest, &res, err, sizeof(err)),
                     -1);
    ck_assert_ptr_nonnull(strstr(err, "missing.txt"));
    ck_assert_uint_eq(res.n, 0);
    ck_assert_int_eq(
        fetch_list(workdir, pol, NULL, dest, &res, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
    ck_assert_int_eq(
        fetch_list(listpath, pol, NULL, path, &res, err, sizeof(err)), -1);
    test_opts(&o);
    o.max_bytes = 0;
    ck_assert_int_eq(
        fetch_list(listpath, pol, &o, dest, &res, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "bad fetch options");
    policy_free(pol);
    /* a list of only comments is fine and empty */
    run("fetch_allow 127.0.0.1\n", NULL, &res, "# nothing\n\n   \n");
    ck_assert_uint_eq(res.n, 0);
    ck_assert_ptr_null(fetch_find_path(&res, "x"));
    fetch_result_free(&res);
    ck_assert_uint_eq(conns(), 0);
}
END_TEST

START_TEST(test_out_of_memory)
{
    struct policy *pol = NULL;
    struct fetch_result res;
    struct fetch_opts o;
    char err[256], *list;
    long n;
    int rc = -1;
    FILE *f;

    /* Every allocation of ours may fail: the call reports it (or copes)
     * and leaks nothing (ASan checks the leaks). */
    ck_assert_int_eq(policy_parse("fetch_allow 127.0.0.1\n", 22, "t", &pol, err,
                                  sizeof(err)),
                     0);
    list = with_port("http://127.0.0.1:PORT/redirect-in\n"
                     "http://127.0.0.1:PORT/404\n"
                     "file:///etc/passwd\n"
                     "http://127.0.0.1:PORT/ok.html?a=b\n"
                     "http://127.0.0.1:PORT/ok.html?a=b\n");
    f = fopen(listpath, "w");
    ck_assert_ptr_nonnull(f);
    fputs(list, f);
    fclose(f);
    kw_free(list);
    test_opts(&o);
    for (n = 0; n < 3000; n++) {
        fetch_rmtree(dest);
        ck_assert_int_eq(mkdir(dest, 0700), 0);
        alloc_set_fail_after(n);
        rc = fetch_list(listpath, pol, &o, dest, &res, err, sizeof(err));
        alloc_set_fail_after(-1);
        if (rc < 0) {
            ck_assert_msg(strstr(err, "memory") != NULL, "%s", err);
            ck_assert_uint_eq(res.n, 0);
            ck_assert_int_eq(count_named(dest, ".fetch-"), 0);
            continue;
        }
        if (res.n == 5 && res.r[0].error == NULL && res.r[3].error == NULL) {
            break;
        }
        fetch_result_free(&res);
    }
    ck_assert_int_eq(rc, 0);
    ck_assert_int_gt(n, 10);
    ck_assert_uint_eq(res.nfailed, 3);
    fetch_result_free(&res);
    policy_free(pol);
}
END_TEST

static Suite *
fetch_suite(void)
{
    Suite *s = suite_create("fetch");
    TCase *tc;

    tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_paths);
    tcase_add_test(tc, test_fetch_ok);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_size_caps);
    tcase_add_test(tc, test_stall);
    tcase_add_test(tc, test_too_many_urls);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_refused_before_connecting);
    tcase_add_test(tc, test_numeric_exact);
    tcase_add_test(tc, test_redirects_refused);
    tcase_add_test(tc, test_rebinding);
    tcase_add_test(tc, test_unusable_list);
    tcase_add_test(tc, test_out_of_memory);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return check_main(fetch_suite());
}
