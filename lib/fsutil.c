/*
 * fsutil: whole-file reads with a size bound.  Layer: lib/, libc only.
 * The size is checked on the open descriptor before reading, so a huge or
 * special file is refused without reading it.
 */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"

#define FS_OPEN_FLAGS (O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW)

int
fs_open_tree_file(const char *path, const char *rel)
{
    size_t pl = strlen(path), rl = strlen(rel), n;
    char part[NAME_MAX + 1], root[PATH_MAX];
    const char *p = rel, *slash;
    int fd, next, saved;

    if (rl == 0 || pl <= rl || path[pl - rl - 1] != '/' ||
        strcmp(path + pl - rl, rel) != 0 || pl - rl > sizeof(root)) {
        return open(path, FS_OPEN_FLAGS);
    }
    memcpy(root, path, pl - rl - 1);
    root[pl - rl - 1] = '\0';
    fd = open(root[0] != '\0' ? root : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    while (fd >= 0 && (slash = strchr(p, '/')) != NULL) {
        n = (size_t)(slash - p);
        if (n == 0 || n > NAME_MAX) {
            close(fd);
            errno = n == 0 ? EINVAL : ENAMETOOLONG;
            return -1;
        }
        memcpy(part, p, n);
        part[n] = '\0';
        next =
            openat(fd, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        saved = errno;
        close(fd);
        errno = saved;
        fd = next;
        p = slash + 1;
    }
    if (fd < 0) {
        return -1;
    }
    next = openat(fd, p, FS_OPEN_FLAGS);
    saved = errno;
    close(fd);
    errno = saved;
    return next;
}

/* Read all of fd (at most max bytes) and close it. */
static int
read_fd(int fd, size_t max, char **out, size_t *len)
{
    struct stat st;
    char *buf = NULL;
    size_t got = 0;
    int saved;

    *out = NULL;
    if (fd < 0) {
        return -1;
    }
    if (fstat(fd, &st) < 0) {
        goto fail;
    }
    if (!S_ISREG(st.st_mode)) {
        errno = EINVAL;
        goto fail;
    }
    if ((size_t)st.st_size > max) {
        errno = EFBIG;
        goto fail;
    }
    buf = kw_malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        errno = ENOMEM;
        goto fail;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            goto fail;
        }
        if (r == 0) {
            break; /* the file shrank while we read it */
        }
        got += (size_t)r;
    }
    buf[got] = '\0';
    close(fd);
    *out = buf;
    if (len != NULL) {
        *len = got;
    }
    return 0;
fail:
    saved = errno;
    kw_free(buf);
    close(fd);
    errno = saved;
    return -1;
}

int
fs_read_file(const char *path, size_t max, char **out, size_t *len)
{
    return read_fd(open(path, FS_OPEN_FLAGS), max, out, len);
}

int
fs_read_tree_file(const char *path, const char *rel, size_t max, char **out,
                  size_t *len)
{
    return read_fd(fs_open_tree_file(path, rel), max, out, len);
}

int
fs_is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}
