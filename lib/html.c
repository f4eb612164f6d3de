/*
 * html: context-specific escapers and UTF-8 validation.  Layer: lib/,
 * depends on strbuf and url (hex digits).  The escapers replace invalid UTF-8
 * instead of passing it through, so stored strangers' bytes can never break out
 * of the character stream a browser sees.
 */
#include "html.h"

#include <string.h>

#include "url.h"

size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len, i;
    unsigned long cp;

    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    if (n < len) {
        return 0;
    }
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return len;
}

int
utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;

    while (i < n) {
        if (p[i] == 0) {
            return 0;
        }
        k = utf8_seq_len(p + i, n - i);
        if (k == 0) {
            return 0;
        }
        i += k;
    }
    return 1;
}

int
html_escape(struct strbuf *sb, const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0, k;

    while (i < n) {
        const char *rep = NULL;

        switch (p[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '\0':
            rep = "";
            break;
        default:
            k = utf8_seq_len(p + i, n - i);
            if (k == 0) {
                rep = "\xef\xbf\xbd";
            } else {
                i += k;
                continue;
            }
        }
        strbuf_append(sb, s + run, i - run);
        strbuf_puts(sb, rep);
        i++;
        run = i;
    }
    strbuf_append(sb, s + run, i - run);
    return strbuf_ok(sb) ? 0 : -1;
}

static const char hexdig[] = "0123456789ABCDEF";

/* Shared percent-encoder; `keep` lists extra bytes left as they are. */
static int
encode(struct strbuf *sb, const char *s, size_t n, const char *keep)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
            c == '~' || (c != 0 && strchr(keep, c) != NULL)) {
            strbuf_putc(sb, c);
        } else {
            char e[3] = {'%', hexdig[c >> 4], hexdig[c & 15]};

            strbuf_append(sb, e, 3);
        }
    }
    return strbuf_ok(sb) ? 0 : -1;
}

size_t
html_unescape_at(const char *s, size_t n, char *c)
{
    static const struct {
        const char *ent;
        size_t len;
        char c;
    } ents[] = {{"&amp;", 5, '&'},
                {"&lt;", 4, '<'},
                {"&gt;", 4, '>'},
                {"&quot;", 6, '"'},
                {"&#39;", 5, '\''}};
    size_t k;

    if (n == 0 || s[0] != '&') {
        return 0;
    }
    for (k = 0; k < sizeof(ents) / sizeof(ents[0]); k++) {
        if (n >= ents[k].len && memcmp(s, ents[k].ent, ents[k].len) == 0) {
            *c = ents[k].c;
            return ents[k].len;
        }
    }
    return 0;
}

int
url_encode(struct strbuf *sb, const char *s, size_t n)
{
    return encode(sb, s, n, "");
}

int
url_encode_path(struct strbuf *sb, const char *s, size_t n)
{
    return encode(sb, s, n, "/");
}

long
url_decode(char *s, size_t n, int plus_space)
{
    size_t i, o = 0;

    for (i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi, lo;

            if (n - i < 3) {
                return -1;
            }
            hi = url_hexval((unsigned char)s[i + 1]);
            lo = url_hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0) {
                return -1;
            }
            s[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else if (plus_space && s[i] == '+') {
            s[o++] = ' ';
        } else {
            s[o++] = s[i];
        }
    }
    if (o < n) {
        s[o] = '\0';
    }
    return (long)o;
}
