/*
 * staticfiles: the files under static/, read once at start into memory,
 * each with a content-hashed URL name, an ETag and a gzip copy.  Layer:
 * lib/.  Requests are answered from this table only, so no request path
 * can reach the file system (no `..`, no symlink, no NUL).
 */
#ifndef KW_STATICFILES_H
#define KW_STATICFILES_H

#include <stddef.h>

struct static_file {
    char *name;        /* "css/site.css" */
    char *hashed;      /* "css/site.1a2b3c4d5e6f.css" */
    const char *ctype; /* static string */
    unsigned char *data;
    size_t len;
    unsigned char *gz; /* NULL when not worth it */
    size_t gzlen;
    char etag[24]; /* "\"<16 hex>\"" */
};

struct static_set {
    struct static_file *files; /* owned, sorted by name */
    size_t n;
};

/* Load every regular file below dir (symlinks and dot files skipped).
 * 0, or -1 with a message. */
int static_load(struct static_set *s, const char *dir, char *err,
                size_t errlen);
void static_free(struct static_set *s);
/* Find by plain or hashed name; *immutable is set for a hashed match.
 * Borrowed, or NULL. */
const struct static_file *static_find(const struct static_set *s,
                                      const char *name, int *immutable);

#endif
