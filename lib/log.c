/*
 * log: diagnostics to stderr and a reopenable access log.  Layer: lib/,
 * libc only.  Each line is formatted into a local buffer and written with
 * one write(2), so lines from different threads never interleave; access
 * lines from log_access_request gather in a buffer under a mutex and go
 * out together (by the flusher thread, when it runs), whole lines only,
 * in the order they came.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

int log_level_current = LOG_LEVEL_INFO;

/* The access log's fd number stays fixed; reopen dup2()s over it. */
static int access_fd = 2;
static char access_path[4096];

/* Buffered access lines (log_access_request), oldest first: two buffers,
 * one filling under access_mu while the other is written out under
 * access_write_mu (taken first), so a write(2) never holds up a request.
 * With the flusher thread running, the first line into an empty buffer
 * wakes it, and it writes what gathered in the next millisecond. */
#define ACCESS_BUF 65536
static pthread_mutex_t access_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t access_write_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t access_cv = PTHREAD_COND_INITIALIZER;
static char access_bufs[2][ACCESS_BUF];
static int access_cur; /* the buffer filling */
static size_t access_len;
static struct timespec access_oldest; /* when the first buffered line came */
static pthread_t access_thread;
static int access_flusher;          /* 1 while the flusher thread runs */
static int access_stop;             /* asks it to stop */
static time_t access_stamp_at = -1; /* the second access_stamp shows */
static char access_stamp[32];
static size_t access_stamp_len;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
log_set_level(int level)
{
    log_level_current = level;
}

int
log_level_parse(const char *name)
{
    int i;

    for (i = 0; i < 4; i++) {
        if (strcasecmp(name, level_names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

/* Format "<time> <level>: message\n" into line (2048 bytes); its
 * length. */
static size_t
vformat_line(char *line, const char *prefix, const char *fmt, va_list ap)
{
    const size_t cap = 2048;
    size_t n = 0;
    struct tm tm;
    time_t now = time(NULL);
    int k;

    gmtime_r(&now, &tm);
    n = strftime(line, cap, "%Y-%m-%dT%H:%M:%SZ ", &tm);
    if (prefix != NULL) {
        k = snprintf(line + n, cap - n, "%s: ", prefix);
        if (k > 0) {
            n += (size_t)k;
        }
    }
    k = vsnprintf(line + n, cap - n, fmt, ap);
    if (k > 0) {
        n += (size_t)k;
    }
    if (n >= cap - 1) {
        n = cap - 2;
    }
    line[n++] = '\n';
    return n;
}

static void
write_all(int fd, const char *buf, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, buf, n);

        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            return; /* nowhere left to report a failed log write */
        }
        buf += k;
        n -= (size_t)k;
    }
}

static void
vwrite_line(int fd, const char *prefix, const char *fmt, va_list ap)
{
    char line[2048];
    size_t n = vformat_line(line, prefix, fmt, ap);

    write_all(fd, line, n);
}

/* Write out the buffered lines; the caller holds neither lock.  The
 * filling buffer is swapped for the other under access_mu, and written
 * after it is let go; access_write_mu keeps the writes in order. */
void
log_access_flush(void)
{
    const char *buf;
    size_t len;

    pthread_mutex_lock(&access_write_mu);
    pthread_mutex_lock(&access_mu);
    buf = access_bufs[access_cur];
    len = access_len;
    access_cur ^= 1;
    access_len = 0;
    pthread_mutex_unlock(&access_mu);
    if (len > 0) {
        write_all(access_fd, buf, len);
    }
    pthread_mutex_unlock(&access_write_mu);
}

static void *
access_flush_thread(void *arg)
{
    const struct timespec gather = {0, 1000000L}; /* 1 ms */

    (void)arg;
    pthread_mutex_lock(&access_mu);
    while (!access_stop) {
        while (!access_stop && access_len == 0) {
            pthread_cond_wait(&access_cv, &access_mu);
        }
        pthread_mutex_unlock(&access_mu);
        nanosleep(&gather, NULL);
        log_access_flush();
        pthread_mutex_lock(&access_mu);
    }
    pthread_mutex_unlock(&access_mu);
    return NULL;
}

int
log_access_flusher_start(void)
{
    if (access_flusher) {
        return 0;
    }
    access_stop = 0;
    if (pthread_create(&access_thread, NULL, access_flush_thread, NULL) != 0) {
        return -1;
    }
    access_flusher = 1;
    return 0;
}

void
log_access_flusher_stop(void)
{
    if (!access_flusher) {
        return;
    }
    pthread_mutex_lock(&access_mu);
    access_stop = 1;
    pthread_cond_signal(&access_cv);
    pthread_mutex_unlock(&access_mu);
    pthread_join(access_thread, NULL);
    access_flusher = 0;
    log_access_flush();
}

/* Append s to buf (cap bytes, *n used), a byte below '!' or DEL as %XX:
 * a request's method and path come from the client, and a line break or
 * a space in them must not forge a line or a field. */
static void
put_field(char *buf, size_t cap, size_t *n, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p = (const unsigned char *)(s != NULL ? s : "-");

    if (*p == '\0') {
        p = (const unsigned char *)"-";
    }
    for (; *p != '\0' && *n + 3 < cap; p++) {
        if (*p <= 0x20 || *p == 0x7f) {
            buf[(*n)++] = '%';
            buf[(*n)++] = hex[*p >> 4];
            buf[(*n)++] = hex[*p & 15];
        } else {
            buf[(*n)++] = (char)*p;
        }
    }
}

/* Append v in decimal, at least width digits. */
static void
put_uint(char *buf, size_t cap, size_t *n, unsigned long long v, int width)
{
    char d[24];
    int k = 0;

    do {
        d[k++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && k < (int)sizeof(d));
    while (k < width && k < (int)sizeof(d)) {
        d[k++] = '0';
    }
    while (k > 0 && *n + 1 < cap) {
        buf[(*n)++] = d[--k];
    }
}

static void access_add(int flush, const char *msg, size_t n);

void
log_access_request(int flush, const struct access_line *a)
{
    char msg[2048];
    size_t n = 0;
    long us = a->usec > 0 ? a->usec : 0;

    /* "METHOD PATH STATUS BYTES MS.USEC[ aborted]", by hand: this runs
     * for every request, a cached page's included. */
    put_field(msg, sizeof(msg) - 40, &n, a->method);
    msg[n++] = ' ';
    put_field(msg, sizeof(msg) - 40, &n, a->path);
    msg[n++] = ' ';
    put_uint(msg, sizeof(msg), &n, (unsigned)(a->status > 0 ? a->status : 0),
             1);
    msg[n++] = ' ';
    put_uint(msg, sizeof(msg), &n, a->bytes, 1);
    msg[n++] = ' ';
    put_uint(msg, sizeof(msg), &n, (unsigned long long)(us / 1000), 1);
    msg[n++] = '.';
    put_uint(msg, sizeof(msg), &n, (unsigned long long)(us % 1000), 3);
    if (a->aborted) {
        memcpy(msg + n, " aborted", 8);
        n += 8;
    }
    msg[n++] = '\n';
    access_add(flush, msg, n);
}

/* Buffer one whole line (msg, n bytes, ending in a newline). */
static void
access_add(int flush, const char *msg, size_t n)
{
    struct timespec now;
    int wake, write_now;

    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    pthread_mutex_lock(&access_mu);
    {
        /* The "<time> " prefix, made again once a second only. */
        time_t t = time(NULL);

        if (t != access_stamp_at) {
            struct tm tm;

            gmtime_r(&t, &tm);
            access_stamp_len = strftime(access_stamp, sizeof(access_stamp),
                                        "%Y-%m-%dT%H:%M:%SZ ", &tm);
            access_stamp_at = t;
        }
    }
    while (access_len + access_stamp_len + n > ACCESS_BUF) {
        pthread_mutex_unlock(&access_mu);
        log_access_flush();
        pthread_mutex_lock(&access_mu);
    }
    wake = access_len == 0;
    if (wake) {
        access_oldest = now;
    }
    memcpy(access_bufs[access_cur] + access_len, access_stamp,
           access_stamp_len);
    access_len += access_stamp_len;
    memcpy(access_bufs[access_cur] + access_len, msg, n);
    access_len += n;
    write_now =
        !access_flusher &&
        (flush || (now.tv_sec - access_oldest.tv_sec) * 1000L +
                          (now.tv_nsec - access_oldest.tv_nsec) / 1000000L >=
                      LOG_ACCESS_MAX_WAIT_MS);
    if (wake && access_flusher) {
        pthread_cond_signal(&access_cv);
    }
    pthread_mutex_unlock(&access_mu);
    if (write_now) {
        log_access_flush();
    }
}

void
log_write(int level, const char *fmt, ...)
{
    va_list ap;

    if (level > log_level_current) {
        return;
    }
    va_start(ap, fmt);
    vwrite_line(2, level_names[level], fmt, ap);
    va_end(ap);
}

int
log_access_open(const char *path)
{
    int fd;

    if (path == NULL || path[0] == '\0' || strcmp(path, "-") == 0) {
        access_fd = 2;
        access_path[0] = '\0';
        return 0;
    }
    if (strlen(path) >= sizeof(access_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        return -1;
    }
    snprintf(access_path, sizeof(access_path), "%s", path);
    access_fd = fd;
    return 0;
}

int
log_access_reopen(void)
{
    int fd, rc;

    log_access_flush(); /* the old file gets its lines */
    if (access_path[0] == '\0') {
        return 0;
    }
    fd = open(access_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        return -1;
    }
    rc = dup2(fd, access_fd) < 0 ? -1 : 0;
    close(fd);
    return rc;
}

void
log_access(const char *fmt, ...)
{
    va_list ap;

    log_access_flush(); /* in order after the buffered ones */
    va_start(ap, fmt);
    vwrite_line(access_fd, NULL, fmt, ap);
    va_end(ap);
}
