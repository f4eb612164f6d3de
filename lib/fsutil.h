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
/* Open the file at path, which names rel (a '/'-separated path, both
 * borrowed) inside a tree: path is ROOT "/" rel.  ROOT is opened as given
 * (the operator named it), then every component of rel beneath it
 * without following a symbolic link, so a directory of the tree swapped
 * for a link to elsewhere while we work cannot lead outside it.  When
 * path does not end in "/" rel, path alone is opened without following a
 * final link.  Returns a new read-only descriptor (O_CLOEXEC, O_NONBLOCK:
 * a FIFO cannot block), or -1 with errno (ELOOP or ENOTDIR for a link on
 * the way). */
int fs_open_tree_file(const char *path, const char *rel);
/* fs_read_file of the file fs_open_tree_file opens. */
int fs_read_tree_file(const char *path, const char *rel, size_t max, char **out,
                      size_t *len);
/* 1 when path is an existing directory. */
int fs_is_dir(const char *path);

#endif
