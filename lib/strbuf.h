/*
 * strbuf: a growable byte buffer, always NUL-terminated.  Layer: lib/,
 * depends on libc only.  An allocation failure sets the sticky `oom` flag
 * and every later append becomes a no-op, so callers may append freely and
 * check once at the end (strbuf_ok()).
 */
#ifndef KW_STRBUF_H
#define KW_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *buf;  /* owned; NULL until the first append */
    size_t len; /* bytes used, not counting the terminating NUL */
    size_t cap; /* bytes allocated */
    int oom;    /* set once an allocation failed */
};

#define STRBUF_INIT                                                            \
    {                                                                          \
        NULL, 0, 0, 0                                                          \
    }

void strbuf_init(struct strbuf *sb);
int strbuf_grow(struct strbuf *sb, size_t extra);
int strbuf_append(struct strbuf *sb, const char *s, size_t n);
int strbuf_puts(struct strbuf *sb, const char *s);
int strbuf_putc(struct strbuf *sb, int c);
int strbuf_printf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
void strbuf_reset(struct strbuf *sb);
/* Returns the owned buffer (never NULL unless out of memory) and resets sb. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
/* Borrowed view: "" when empty, valid until the next append. */
const char *strbuf_peek(const struct strbuf *sb);
void strbuf_free(struct strbuf *sb);

static inline int
strbuf_ok(const struct strbuf *sb)
{
    return !sb->oom;
}

#endif
