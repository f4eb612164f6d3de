/*
 * log: leveled diagnostics and the access log.  Layer: lib/, libc only.
 * The LOG_* macros test the level before formatting anything, so a
 * disabled debug line costs one comparison.
 */
#ifndef KW_LOG_H
#define KW_LOG_H

#include <stddef.h>

enum log_level {
    LOG_LEVEL_ERROR = 0,
    LOG_LEVEL_WARN = 1,
    LOG_LEVEL_INFO = 2,
    LOG_LEVEL_DEBUG = 3
};

extern int log_level_current;

void log_set_level(int level);
int log_level_parse(const char *name);
/* Diagnostics go to stderr. */
void log_write(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Access log: path NULL or "-" means stderr.  0 or -1 (errno set). */
int log_access_open(const char *path);
/* SIGHUP: reopen the access log file in place (atomic for writers). */
int log_access_reopen(void);
void log_access(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A request's access-log line (a byte below '!' or DEL in its method or
 * path written as %XX), which may wait in a process-wide buffer: written with
 * the lines before it when flush is set (the server has nothing else in
 * flight, so nobody waits to read it), when the buffer is full or its
 * oldest line is LOG_ACCESS_MAX_WAIT_MS old, or by log_access_flush().
 * Under load one write(2) then carries many lines instead of one each (an
 * append to an ext4 file took a tenth of a cached page's time). */
struct access_line {
    const char *method, *path; /* as the client sent them, or NULL */
    int status;
    size_t bytes;
    long usec; /* from the request line to the last byte queued */
    int aborted;
};
void log_access_request(int flush, const struct access_line *a);
/* Write out every buffered access-log line now (the main loop calls it
 * each second and at shutdown; reopen calls it first). */
void log_access_flush(void);
/* A thread that writes buffered access lines a millisecond after the
 * first of them came (then flush is not needed): under load one write(2)
 * carries every line of that millisecond, and an idle server's log is
 * complete a millisecond after its last request.  0, or -1 (then lines
 * are written as without it).  Stop writes out what is left. */
int log_access_flusher_start(void);
void log_access_flusher_stop(void);
#define LOG_ACCESS_MAX_WAIT_MS 200

#define LOG_ERROR(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
#define LOG_WARN(...)                                                          \
    do {                                                                       \
        if (log_level_current >= LOG_LEVEL_WARN) {                             \
            log_write(LOG_LEVEL_WARN, __VA_ARGS__);                            \
        }                                                                      \
    } while (0)
#define LOG_INFO(...)                                                          \
    do {                                                                       \
        if (log_level_current >= LOG_LEVEL_INFO) {                             \
            log_write(LOG_LEVEL_INFO, __VA_ARGS__);                            \
        }                                                                      \
    } while (0)
#define LOG_DEBUG(...)                                                         \
    do {                                                                       \
        if (log_level_current >= LOG_LEVEL_DEBUG) {                            \
            log_write(LOG_LEVEL_DEBUG, __VA_ARGS__);                           \
        }                                                                      \
    } while (0)

#endif
