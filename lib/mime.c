/*
 * mime: the extension to Content-Type table.  Layer: lib/, libc only.
 * Text types carry their charset: everything we serve as text is UTF-8.
 */
#include "mime.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *ext, *type;
    unsigned flags;
} types[] = {
    {".css", "text/css; charset=utf-8", MIME_ASSET},
    {".js", "text/javascript; charset=utf-8", 0},
    {".svg", "image/svg+xml", 0},
    {".png", "image/png", MIME_ASSET},
    {".jpg", "image/jpeg", MIME_ASSET},
    {".jpeg", "image/jpeg", MIME_ASSET},
    {".gif", "image/gif", MIME_ASSET},
    {".webp", "image/webp", MIME_ASSET},
    {".ico", "image/x-icon", MIME_ASSET},
    {".woff2", "font/woff2", 0},
    {".txt", "text/plain; charset=utf-8", 0},
    {".json", "application/json", 0},
    {".xml", "application/xml; charset=utf-8", 0},
    {".html", "text/html; charset=utf-8", 0},
    {".pdf", "application/pdf", 0},
};

/* A linear walk: the table is short and this runs once per file at start
 * or at ingest, never per request. */
const char *
mime_type(const char *name, unsigned flags)
{
    const char *dot = strrchr(name, '.');
    size_t i;

    if (dot == NULL) {
        return NULL;
    }
    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcasecmp(dot, types[i].ext) == 0) {
            return (types[i].flags & flags) == flags ? types[i].type : NULL;
        }
    }
    return NULL;
}

/* Parameters are ";"-separated name=value pairs; the value may be quoted
 * (RFC 9110 section 5.6.6). */
const char *
mime_charset(const char *ctype, char *buf, size_t n)
{
    const char *p = ctype != NULL ? strchr(ctype, ';') : NULL;

    while (p != NULL) {
        size_t k = 0;

        p++;
        while (*p == ' ' || *p == '\t') {
            p++;
        }
        if (strncasecmp(p, "charset=", 8) == 0) {
            p += 8;
            if (*p == '"') {
                p++;
            }
            while (p[k] != '\0' && p[k] != '"' && p[k] != ';' && p[k] != ' ' &&
                   p[k] != '\t') {
                k++;
            }
            if (k == 0 || k >= n) {
                return NULL;
            }
            memcpy(buf, p, k);
            buf[k] = '\0';
            return buf;
        }
        p = strchr(p, ';');
    }
    return NULL;
}
