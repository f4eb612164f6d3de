/*
 * fsutil: small file-system helpers.  Layer: lib/, libc only.
 */
#ifndef KW_FSUTIL_H
#define KW_FSUTIL_H

#include <stddef.h>

/* Read a whole regular file of at most `max` bytes into a new
 * NUL-terminated buffer (kw_free).  A symlink is not followed.  0, or -1
 * with errno (EFBIG when too large, EINVAL when not a regular file, ELOOP
 * for a symlink). */
int fs_read_file(const char *path, size_t max, char **out, size_t *len);
/* 1 when path is an existing directory. */
int fs_is_dir(const char *path);

#endif
