/*
 * bare: the fastest any libmicrohttpd server can answer on this machine,
 * the anchor of the document-page cases (issue 13).  It serves one page's
 * bytes from RAM, whatever the path: the plain body, or, to a client that
 * accepts gzip, the compressed body given, with the headers a real page
 * has (type, length, ETag, Cache-Control, Vary).  Same daemon settings as
 * kwangmyong: internal polling thread with epoll and a pool of two.
 *
 *   bench/bare --port N --body FILE [--gzip FILE] [--threads N]
 *
 * Runs until SIGTERM or SIGINT.  bench/run starts it with the bytes
 * kwangmyong answered for the document page, so both serve the same.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static struct MHD_Response *plain, *packed;

/* The whole of path into a new buffer, *n its length; NULL on error. */
static char *
slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len;

    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0 || (buf = malloc((size_t)len + 1)) == NULL ||
        fread(buf, 1, (size_t)len, f) != (size_t)len) {
        perror(path);
        free(buf);
        if (f != NULL) {
            fclose(f);
        }
        return NULL;
    }
    fclose(f);
    *n = (size_t)len;
    return buf;
}

/* A response over buf (kept for the program's life), with a page's
 * headers. */
static struct MHD_Response *
page(char *buf, size_t n, int gz)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(n, buf, MHD_RESPMEM_PERSISTENT);

    if (r == NULL) {
        return NULL;
    }
    MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
    MHD_add_response_header(r, "Cache-Control", "public, no-cache");
    MHD_add_response_header(r, "ETag", gz ? "\"bare-gz\"" : "\"bare\"");
    MHD_add_response_header(r, "Vary", "Accept-Encoding");
    if (gz) {
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    }
    return r;
}

static enum MHD_Result
answer(void *cls, struct MHD_Connection *con, const char *url,
       const char *method, const char *version, const char *data,
       size_t *data_size, void **state)
{
    const char *ae;

    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)data;
    (void)data_size;
    if (*state == NULL) {
        *state = con; /* the headers: answer once they are all in */
        return MHD_YES;
    }
    ae = MHD_lookup_connection_value(con, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_ACCEPT_ENCODING);
    return MHD_queue_response(
        con, MHD_HTTP_OK,
        packed != NULL && ae != NULL && strstr(ae, "gzip") != NULL ? packed
                                                                   : plain);
}

int
main(int argc, char **argv)
{
    const char *body = NULL, *gz = NULL;
    unsigned port = 0, threads = 2;
    struct MHD_Daemon *d;
    struct sockaddr_in sin;
    sigset_t set;
    size_t n;
    char *buf;
    int i, sig;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0) {
            port = (unsigned)atoi(argv[i + 1]);
        } else if (strcmp(argv[i], "--body") == 0) {
            body = argv[i + 1];
        } else if (strcmp(argv[i], "--gzip") == 0) {
            gz = argv[i + 1];
        } else if (strcmp(argv[i], "--threads") == 0) {
            threads = (unsigned)atoi(argv[i + 1]);
        } else {
            break;
        }
    }
    if (i != argc || body == NULL || port == 0 || threads == 0) {
        fprintf(stderr, "usage: bare --port N --body FILE [--gzip FILE]"
                        " [--threads N]\n");
        return 2;
    }
    if ((buf = slurp(body, &n)) == NULL || (plain = page(buf, n, 0)) == NULL) {
        return 1;
    }
    if (gz != NULL &&
        ((buf = slurp(gz, &n)) == NULL || (packed = page(buf, n, 1)) == NULL)) {
        return 1;
    }
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* loopback only */
    d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
        (uint16_t)port, NULL, NULL, answer, NULL, MHD_OPTION_SOCK_ADDR, &sin,
        MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT,
        1024U, MHD_OPTION_CONNECTION_TIMEOUT, 30U, MHD_OPTION_END);
    if (d == NULL) {
        fprintf(stderr, "bare: cannot listen on port %u\n", port);
        return 1;
    }
    printf("bare: serving %s on 127.0.0.1:%u\n", body, port);
    fflush(stdout);
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    return 0;
}
