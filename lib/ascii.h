/*
 * ascii: byte classes and case folding for the ASCII-only syntaxes we
 * parse (HTML tags and attributes, URLs), whatever the locale.  Layer:
 * lib/, nothing but <stddef.h>.  Static inline: the HTML pre-check calls
 * them for every input byte.  Bytes >= 0x80 are never letters, digits or
 * spaces here and are never case-folded.
 */
#ifndef KW_ASCII_H
#define KW_ASCII_H

#include <stddef.h>

/* ASCII whitespace as HTML's tokenizer and the URL standard define it:
 * space, tab, LF, CR and form feed (not vertical tab). */
static inline int
ascii_is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* ASCII letter. */
static inline int
ascii_is_alpha(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ASCII decimal digit. */
static inline int
ascii_is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* ASCII lowercase; other bytes unchanged. */
static inline int
ascii_lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* 1 when s[0..n) (borrowed, not NUL-terminated) equals the NUL-terminated
 * lowercase w, ignoring ASCII case. */
static inline int
ascii_eq_nocase(const char *s, size_t n, const char *w)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (w[i] == '\0' || ascii_lower((unsigned char)s[i]) != w[i]) {
            return 0;
        }
    }
    return w[n] == '\0';
}

#endif
