/*
 * log: diagnostics to stderr and a reopenable access log.  Layer: lib/,
 * libc only.  Each line is formatted into a local buffer and written with
 * one write(2), so lines from different threads never interleave.
 */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
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

/* Format "<time> <level>: message\n" and write it in one call. */
static void
vwrite_line(int fd, const char *prefix, const char *fmt, va_list ap)
{
    char line[2048];
    size_t n = 0;
    struct tm tm;
    time_t now = time(NULL);
    int k;

    gmtime_r(&now, &tm);
    n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
    if (prefix != NULL) {
        k = snprintf(line + n, sizeof(line) - n, "%s: ", prefix);
        if (k > 0) {
            n += (size_t)k;
        }
    }
    k = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
    if (k > 0) {
        n += (size_t)k;
    }
    if (n >= sizeof(line) - 1) {
        n = sizeof(line) - 2;
    }
    line[n++] = '\n';
    if (write(fd, line, n) < 0) {
        /* Nowhere left to report a failed log write. */
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

    va_start(ap, fmt);
    vwrite_line(access_fd, NULL, fmt, ap);
    va_end(ap);
}
