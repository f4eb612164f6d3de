/*
 * staticfiles: load, fingerprint and compress static/ once.  Layer: lib/;
 * depends on gz (zlib, libsodium) and mime.  The walk uses lstat and skips
 * anything that is not a plain file or directory.
 */
#include "staticfiles.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"
#include "fsutil.h"
#include "gz.h"
#include "mime.h"

#define STATIC_MAX_FILE (16 * 1024 * 1024)
#define STATIC_MAX_FILES 4096

/* Text types compress; images and fonts already are. */
static int
compressible(const char *ctype)
{
    return strncmp(ctype, "text/", 5) == 0 ||
           strcmp(ctype, "image/svg+xml") == 0 ||
           strncmp(ctype, "application/json", 16) == 0 ||
           strncmp(ctype, "application/xml", 15) == 0;
}

/* Add one file: read it, hash it, name it, gzip it. */
static int
add_file(struct static_set *s, const char *path, const char *name, char *err,
         size_t errlen)
{
    struct static_file *f;
    char hex[65];
    const char *dot, *slash;
    size_t base;
    char *data;
    size_t len;

    if (s->n >= STATIC_MAX_FILES) {
        snprintf(err, errlen, "%s: more than %d static files", path,
                 STATIC_MAX_FILES);
        return -1;
    }
    if (fs_read_file(path, STATIC_MAX_FILE, &data, &len) < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    f = &s->files[s->n];
    memset(f, 0, sizeof(*f));
    f->data = (unsigned char *)data;
    f->len = len;
    f->name = kw_strdup(name);
    f->ctype = mime_type(name, 0);
    if (f->ctype == NULL) {
        f->ctype = "application/octet-stream";
    }
    sha256_hex(data, len, hex);
    snprintf(f->etag, sizeof(f->etag), "\"%.16s\"", hex);
    slash = strrchr(name, '/');
    dot = strrchr(name, '.');
    if (dot == NULL || (slash != NULL && dot < slash) || dot == name) {
        dot = name + strlen(name);
    }
    base = (size_t)(dot - name);
    f->hashed = kw_malloc(strlen(name) + 14);
    if (f->name == NULL || f->hashed == NULL) {
        kw_free(f->name);
        kw_free(f->hashed);
        kw_free(f->data);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    snprintf(f->hashed, strlen(name) + 14, "%.*s.%.12s%s", (int)base, name, hex,
             dot);
    if (len >= GZ_MIN_SIZE && compressible(f->ctype)) {
        if (gz_compress(data, len, 9, &f->gz, &f->gzlen) == 0 &&
            f->gzlen >= len) {
            kw_free(f->gz);
            f->gz = NULL;
        }
    }
    s->n++;
    return 0;
}

/* Walk dir; prefix is the name so far ("" or "css/"). */
static int
walk(struct static_set *s, const char *dir, const char *prefix, int depth,
     char *err, size_t errlen)
{
    DIR *d;
    struct dirent *de;
    int rc = 0;

    if (depth > 8) {
        return 0;
    }
    d = opendir(dir);
    if (d == NULL) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    while (rc == 0 && (de = readdir(d)) != NULL) {
        char path[4096], name[1024];
        struct stat st;

        if (de->d_name[0] == '.') {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
        snprintf(name, sizeof(name), "%s%s", prefix, de->d_name);
        if (lstat(path, &st) < 0) {
            continue;
        }
        if (S_ISDIR(st.st_mode)) {
            char sub[1040];

            snprintf(sub, sizeof(sub), "%s/", name);
            rc = walk(s, path, sub, depth + 1, err, errlen);
        } else if (S_ISREG(st.st_mode)) {
            rc = add_file(s, path, name, err, errlen);
        }
    }
    closedir(d);
    return rc;
}

static int
cmp_file(const void *a, const void *b)
{
    return strcmp(((const struct static_file *)a)->name,
                  ((const struct static_file *)b)->name);
}

int
static_load(struct static_set *s, const char *dir, char *err, size_t errlen)
{
    s->n = 0;
    s->files = kw_calloc(STATIC_MAX_FILES, sizeof(*s->files));
    if (s->files == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (walk(s, dir, "", 0, err, errlen) < 0) {
        static_free(s);
        return -1;
    }
    qsort(s->files, s->n, sizeof(*s->files), cmp_file);
    return 0;
}

void
static_free(struct static_set *s)
{
    size_t i;

    for (i = 0; i < s->n; i++) {
        kw_free(s->files[i].name);
        kw_free(s->files[i].hashed);
        kw_free(s->files[i].data);
        kw_free(s->files[i].gz);
    }
    kw_free(s->files);
    s->files = NULL;
    s->n = 0;
}

const struct static_file *
static_find(const struct static_set *s, const char *name, int *immutable)
{
    size_t i;

    *immutable = 0;
    /* A few dozen files: a linear scan beats keeping a second index. */
    for (i = 0; i < s->n; i++) {
        if (strcmp(s->files[i].name, name) == 0) {
            return &s->files[i];
        }
        if (strcmp(s->files[i].hashed, name) == 0) {
            *immutable = 1;
            return &s->files[i];
        }
    }
    return NULL;
}
