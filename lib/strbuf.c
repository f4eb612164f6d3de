/*
 * strbuf: growable, NUL-terminated byte buffer.  Layer: lib/, libc only.
 * Growth is geometric; failure is sticky (see strbuf.h).
 */
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

void
strbuf_init(struct strbuf *sb)
{
    sb->buf = NULL;
    sb->len = 0;
    sb->cap = 0;
    sb->oom = 0;
}

/* Make room for `extra` more bytes plus the NUL.  Returns 0 or -1. */
int
strbuf_grow(struct strbuf *sb, size_t extra)
{
    size_t need, cap;
    char *p;

    if (sb->oom) {
        return -1;
    }
    if (extra > (size_t)-1 / 2 - sb->len - 1) {
        sb->oom = 1;
        return -1;
    }
    need = sb->len + extra + 1;
    if (need <= sb->cap) {
        return 0;
    }
    cap = sb->cap ? sb->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    p = kw_realloc(sb->buf, cap);
    if (p == NULL) {
        sb->oom = 1;
        return -1;
    }
    sb->buf = p;
    sb->cap = cap;
    return 0;
}

int
strbuf_append(struct strbuf *sb, const char *s, size_t n)
{
    if (strbuf_grow(sb, n) < 0) {
        return -1;
    }
    if (n > 0) {
        memcpy(sb->buf + sb->len, s, n);
    }
    sb->len += n;
    sb->buf[sb->len] = '\0';
    return 0;
}

int
strbuf_puts(struct strbuf *sb, const char *s)
{
    return strbuf_append(sb, s, strlen(s));
}

int
strbuf_putc(struct strbuf *sb, int c)
{
    char ch = (char)c;

    return strbuf_append(sb, &ch, 1);
}

int
strbuf_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list aq;
    int n;

    if (sb->oom) {
        return -1;
    }
    va_copy(aq, ap);
    n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0 || strbuf_grow(sb, (size_t)n) < 0) {
        return -1;
    }
    vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
    sb->len += (size_t)n;
    return 0;
}

int
strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
    return rc;
}

void
strbuf_reset(struct strbuf *sb)
{
    sb->len = 0;
    if (sb->buf != NULL) {
        sb->buf[0] = '\0';
    }
}

char *
strbuf_detach(struct strbuf *sb, size_t *len)
{
    char *p;

    if (sb->oom) {
        strbuf_free(sb);
        if (len != NULL) {
            *len = 0;
        }
        return NULL;
    }
    if (sb->buf == NULL && strbuf_grow(sb, 0) < 0) {
        return NULL;
    }
    if (sb->buf != NULL && sb->len == 0) {
        sb->buf[0] = '\0';
    }
    p = sb->buf;
    if (len != NULL) {
        *len = sb->len;
    }
    strbuf_init(sb);
    return p;
}

const char *
strbuf_peek(const struct strbuf *sb)
{
    return sb->buf != NULL ? sb->buf : "";
}

void
strbuf_free(struct strbuf *sb)
{
    kw_free(sb->buf);
    strbuf_init(sb);
}
