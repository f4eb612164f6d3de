/*
 * html: escaping for the three output contexts (text, attribute, URL
 * component) and small UTF-8 helpers.  Layer: lib/, depends on strbuf and
 * url only.
 * Every function appends to a strbuf and returns 0, or -1 when out of memory.
 */
#ifndef KW_HTML_H
#define KW_HTML_H

#include <stddef.h>

#include "strbuf.h"

/* Escape for HTML text and quoted attribute values: & < > " ' (and `=`
 * stays as is).  Invalid UTF-8 bytes become U+FFFD; NUL is dropped. */
int html_escape(struct strbuf *sb, const char *s, size_t n);
/* The inverse of html_escape at one place: when s (n bytes) starts with
 * one of the five entities html_escape writes, its length, with *c the
 * character it stands for; 0 otherwise. */
size_t html_unescape_at(const char *s, size_t n, char *c);
/* Percent-encode everything except RFC 3986 unreserved characters. */
int url_encode(struct strbuf *sb, const char *s, size_t n);
/* Percent-encode a path, keeping '/' and unreserved characters. */
int url_encode_path(struct strbuf *sb, const char *s, size_t n);
/* Decode %XX and (when plus_space) '+' in place; returns the new length,
 * or -1 when a %XX sequence is malformed. */
long url_decode(char *s, size_t n, int plus_space);
/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid
 * (overlong, surrogate, beyond U+10FFFF, truncated). */
size_t utf8_seq_len(const unsigned char *s, size_t n);
/* 1 when all n bytes are valid UTF-8 with no NUL. */
int utf8_valid(const char *s, size_t n);

#endif
