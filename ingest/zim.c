/*
 * zim: ZIM archives into a tree for the ingest walk, through zimdump in a
 * child process, with the metadata read here (zim.h says what and why).
 * Layer: ingest/; uses lib/ (alloc, strbuf, url, html, policy),
 * ingest/fetch, libzstd, liblzma; never the database, microhttpd.h or
 * server/.  Never prints or exits.
 */
#include "zim.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <lzma.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "alloc.h"
#include "clock.h"
#include "html.h"
#include "policy.h"
#include "strbuf.h"
#include "url.h"

#define ZIM_MAGIC 72173914u
#define ZIM_HEAD_LEN 80
/* A directory entry is read through this window: its fixed part, the
 * path and the title. */
#define ZIM_DIRENT_MAX 4096
/* Bytes of one cluster inflated at most to reach a metadata entry. */
#define ZIM_CLUSTER_MAX (64u * 1024 * 1024)
/* Memory liblzma may take for one cluster: xz -9 needs 65 MiB to decode;
 * the dictionary size is the archive's word, up to 4 GiB. */
#define ZIM_XZ_MEMLIMIT (128u * 1024 * 1024)
/* Metadata entries looked at. */
#define ZIM_META_ENTRIES 1024
#define ZIM_PATH_MAX 1024
/* Redirects followed to their item. */
#define ZIM_HOPS 16
/* Hidden names in the destination: the walk skips dot files. */
#define ZIM_DUMP_DIR ".zim-dump"
#define ZIM_LIST_FILE ".zim-list"
#define ZIM_ERR_FILE ".zim-stderr"
/* zimdump's time limit per run when zim_opts gives none: generous, since
 * a dump writes every entry to disk (a 90 GB Wikipedia takes hours). */
#define ZIM_TIMEOUT_BASE 600
#define ZIM_TIMEOUT_PER_MIB 1

struct zhead {
    unsigned major, minor;
    uint32_t nentry, ncluster;
    uint64_t pathptr, clusterptr, checksum;
    long long size;
};

static uint64_t
le(const unsigned char *p, int n)
{
    uint64_t v = 0;
    int i;

    for (i = n - 1; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Read exactly n bytes at off; 0, or -1 (errno, or 0 for a short read). */
static int
rd(int fd, uint64_t off, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        ssize_t k = pread(fd, (char *)buf + got, n - got, (off_t)(off + got));

        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            if (k == 0) {
                errno = 0;
            }
            return -1;
        }
        got += (size_t)k;
    }
    return 0;
}

static int
read_head(int fd, struct zhead *h, char *err, size_t errlen)
{
    unsigned char b[ZIM_HEAD_LEN];
    struct stat st;

    if (fstat(fd, &st) < 0) {
        return fetch_fail(err, errlen, "%s", strerror(errno));
    }
    h->size = (long long)st.st_size;
    if (!S_ISREG(st.st_mode) || h->size < ZIM_HEAD_LEN ||
        rd(fd, 0, b, sizeof(b)) < 0 || le(b, 4) != ZIM_MAGIC) {
        return fetch_fail(err, errlen, "not a ZIM archive");
    }
    h->major = (unsigned)le(b + 4, 2);
    h->minor = (unsigned)le(b + 6, 2);
    if (h->major != 5 && h->major != 6) {
        return fetch_fail(err, errlen, "unsupported ZIM version %u", h->major);
    }
    h->nentry = (uint32_t)le(b + 24, 4);
    h->ncluster = (uint32_t)le(b + 28, 4);
    h->pathptr = le(b + 32, 8);
    h->clusterptr = le(b + 48, 8);
    h->checksum = le(b + 72, 8);
    /* The MD5 checksum is the file's last 16 bytes: a shorter file lost
     * its end. */
    if (h->checksum > (uint64_t)h->size ||
        (uint64_t)h->size - h->checksum < 16) {
        return fetch_fail(err, errlen,
                          "truncated ZIM archive: %lld bytes, the header "
                          "says %llu",
                          h->size,
                          h->checksum > UINT64_MAX - 16
                              ? (unsigned long long)UINT64_MAX
                              : (unsigned long long)h->checksum + 16);
    }
    if (h->pathptr > h->checksum ||
        (h->checksum - h->pathptr) / 8 < h->nentry ||
        h->clusterptr > h->checksum ||
        (h->checksum - h->clusterptr) / 8 < h->ncluster) {
        return fetch_fail(err, errlen,
                          "corrupt ZIM archive: pointer lists outside the "
                          "file");
    }
    return 0;
}

struct zdirent {
    unsigned mime;
    char ns;
    uint32_t cluster, blob;
    char path[ZIM_PATH_MAX];
};

/* Directory entry number i (in path order). */
static int
read_dirent(int fd, const struct zhead *h, uint32_t i, struct zdirent *d)
{
    unsigned char p8[8], b[ZIM_DIRENT_MAX];
    uint64_t off;
    size_t n, fixed;
    const unsigned char *nul;

    if (rd(fd, h->pathptr + 8ull * i, p8, 8) < 0) {
        return -1;
    }
    off = le(p8, 8);
    if (off >= h->checksum) {
        return -1;
    }
    n = h->checksum - off < sizeof(b) ? (size_t)(h->checksum - off) : sizeof(b);
    if (n < 12 || rd(fd, off, b, n) < 0) {
        return -1;
    }
    d->mime = (unsigned)le(b, 2);
    d->ns = (char)b[3];
    /* redirect (0xffff), link target and deleted entries have no blob */
    fixed = d->mime >= 0xfffd ? 12 : 16;
    if (n < fixed) {
        return -1;
    }
    d->cluster = fixed == 16 ? (uint32_t)le(b + 8, 4) : UINT32_MAX;
    d->blob = fixed == 16 ? (uint32_t)le(b + 12, 4) : UINT32_MAX;
    nul = memchr(b + fixed, '\0', n - fixed);
    if (nul == NULL || (size_t)(nul - (b + fixed)) >= sizeof(d->path)) {
        return -1;
    }
    memcpy(d->path, b + fixed, (size_t)(nul - (b + fixed)) + 1);
    return 0;
}

/* A cluster's data, inflated as far as asked. */
struct zstream {
    int fd;
    uint64_t pos, end;
    int comp; /* 1 none, 4 xz, 5 zstd */
    ZSTD_DStream *zs;
    lzma_stream xz;
    int xzinit;
    int done;
    unsigned char in[64 * 1024];
    size_t inpos, inlen;
    unsigned char *out;
    size_t len, cap;
};

/* Make s->len >= need; 0, or -1 when the data ends, is corrupt or would
 * pass ZIM_CLUSTER_MAX. */
static int
zs_fill(struct zstream *s, size_t need)
{
    if (need > ZIM_CLUSTER_MAX) {
        return -1;
    }
    if (need > s->cap) {
        size_t cap = s->cap ? s->cap : 64 * 1024;
        unsigned char *p;

        while (cap < need) {
            cap *= 2;
        }
        if (cap > ZIM_CLUSTER_MAX) {
            cap = ZIM_CLUSTER_MAX;
        }
        p = kw_realloc(s->out, cap);
        if (p == NULL) {
            return -1;
        }
        s->out = p;
        s->cap = cap;
    }
    while (s->len < need) {
        size_t before = s->len, used = s->inpos;

        if (s->inpos == s->inlen && s->pos < s->end) {
            size_t k = s->end - s->pos < sizeof(s->in)
                           ? (size_t)(s->end - s->pos)
                           : sizeof(s->in);

            if (rd(s->fd, s->pos, s->in, k) < 0) {
                return -1;
            }
            s->pos += k;
            s->inpos = 0;
            s->inlen = k;
            used = 0;
        }
        if (s->done || s->inpos == s->inlen) {
            return -1; /* the data ends before the entry */
        }
        if (s->comp == 1) {
            size_t k = s->inlen - s->inpos;

            if (k > need - s->len) {
                k = need - s->len;
            }
            memcpy(s->out + s->len, s->in + s->inpos, k);
            s->len += k;
            s->inpos += k;
        } else if (s->comp == 5) {
            ZSTD_inBuffer zi = {s->in + s->inpos, s->inlen - s->inpos, 0};
            ZSTD_outBuffer zo = {s->out, s->cap, s->len};
            size_t r = ZSTD_decompressStream(s->zs, &zo, &zi);

            if (ZSTD_isError(r)) {
                return -1;
            }
            s->inpos += zi.pos;
            s->len = zo.pos;
            s->done = r == 0;
        } else {
            lzma_ret r;

            s->xz.next_in = s->in + s->inpos;
            s->xz.avail_in = s->inlen - s->inpos;
            s->xz.next_out = s->out + s->len;
            s->xz.avail_out = s->cap - s->len;
            r = lzma_code(&s->xz, LZMA_RUN);
            if (r != LZMA_OK && r != LZMA_STREAM_END) {
                return -1;
            }
            s->inpos = s->inlen - s->xz.avail_in;
            s->len = s->cap - s->xz.avail_out;
            s->done = r == LZMA_STREAM_END;
        }
        if (s->len == before && s->inpos == used && s->pos >= s->end) {
            return -1; /* no progress and no more input */
        }
    }
    return 0;
}

/* Blob blob of cluster cluster into a new string *out (at most
 * ZIM_META_MAX bytes of it).  0, or -1. */
static int
read_blob(int fd, const struct zhead *h, uint32_t cluster, uint32_t blob,
          char **out)
{
    struct zstream s;
    unsigned char b8[8], info;
    uint64_t start, end, first, b0, b1;
    size_t osz, n;
    int rc = -1;

    if (cluster >= h->ncluster ||
        rd(fd, h->clusterptr + 8ull * cluster, b8, 8) < 0) {
        return -1;
    }
    start = le(b8, 8);
    end = h->checksum;
    if (cluster + 1 < h->ncluster &&
        rd(fd, h->clusterptr + 8ull * (cluster + 1), b8, 8) == 0 &&
        le(b8, 8) > start && le(b8, 8) <= h->checksum) {
        end = le(b8, 8);
    }
    if (start >= end || rd(fd, start, &info, 1) < 0) {
        return -1;
    }
    memset(&s, 0, sizeof(s));
    s.fd = fd;
    s.pos = start + 1;
    s.end = end;
    s.comp = info & 0x0f;
    osz = info & 0x10 ? 8 : 4;
    if (s.comp == 0) {
        s.comp = 1;
    }
    if (s.comp == 5) {
        s.zs = ZSTD_createDStream();
        if (s.zs == NULL) {
            return -1;
        }
    } else if (s.comp == 4) {
        lzma_stream init = LZMA_STREAM_INIT;

        s.xz = init;
        if (lzma_stream_decoder(&s.xz, ZIM_XZ_MEMLIMIT, 0) != LZMA_OK) {
            return -1;
        }
        s.xzinit = 1;
    } else if (s.comp != 1) {
        return -1;
    }
    if (zs_fill(&s, osz) < 0) {
        goto out;
    }
    first = le(s.out, (int)osz);
    if (first % osz != 0 || first / osz < 2 || blob >= first / osz - 1 ||
        zs_fill(&s, ((size_t)blob + 2) * osz) < 0) {
        goto out;
    }
    b0 = le(s.out + (size_t)blob * osz, (int)osz);
    b1 = le(s.out + ((size_t)blob + 1) * osz, (int)osz);
    if (b1 < b0 || b0 < first || b1 > ZIM_CLUSTER_MAX) {
        goto out;
    }
    n = b1 - b0 > ZIM_META_MAX ? ZIM_META_MAX : (size_t)(b1 - b0);
    if (zs_fill(&s, (size_t)b0 + n) < 0) {
        goto out;
    }
    *out = kw_strndup((const char *)s.out + b0, n);
    rc = *out != NULL ? 0 : -1;
out:
    if (s.zs != NULL) {
        ZSTD_freeDStream(s.zs);
    }
    if (s.xzinit) {
        lzma_end(&s.xz);
    }
    kw_free(s.out);
    return rc;
}

/* s (new) made a metadata value in place: cut to a whole UTF-8
 * character, control bytes but newline to blanks, blanks trimmed; NULL
 * (s freed) when nothing is left or s is not UTF-8. */
static char *
clean_value(char *s)
{
    size_t n = strlen(s), i;

    while (n > 0 && !utf8_valid(s, n) && strlen(s) - n < 4) {
        n--;
    }
    s[n] = '\0';
    if (!utf8_valid(s, n)) {
        kw_free(s);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c < 0x20 && c != '\n') || c == 0x7f) {
            s[i] = ' ';
        }
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\n')) {
        s[--n] = '\0';
    }
    i = strspn(s, " \n");
    memmove(s, s + i, n - i + 1);
    if (s[0] == '\0') {
        kw_free(s);
        return NULL;
    }
    return s;
}

/* The slot of m for a metadata name, or NULL. */
static char **
meta_slot(struct zim_meta *m, const char *name)
{
    static const struct {
        const char *name;
        size_t off;
    } keys[] = {
        {"Title", offsetof(struct zim_meta, title)},
        {"Description", offsetof(struct zim_meta, description)},
        {"Language", offsetof(struct zim_meta, language)},
        {"Source", offsetof(struct zim_meta, source)},
        {"Date", offsetof(struct zim_meta, date)},
        {"Creator", offsetof(struct zim_meta, creator)},
        {"Publisher", offsetof(struct zim_meta, publisher)},
        {"Name", offsetof(struct zim_meta, name)},
    };
    size_t i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(name, keys[i].name) == 0) {
            return (char **)((char *)m + keys[i].off);
        }
    }
    return NULL;
}

/* The metadata entries of the open archive fd into m. */
static int
meta_read(int fd, const struct zhead *h, struct zim_meta *m, char *err,
          size_t errlen)
{
    struct zdirent d;
    uint32_t lo = 0, hi = h->nentry, i;

    /* Entries are sorted by namespace, then path: find the first 'M'. */
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;

        if (read_dirent(fd, h, mid, &d) < 0) {
            return fetch_fail(err, errlen,
                              "corrupt ZIM archive: directory entry %u", mid);
        }
        if ((unsigned char)d.ns < 'M') {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    for (i = lo; i < h->nentry && i - lo < ZIM_META_ENTRIES; i++) {
        char **slot, *v = NULL;

        if (read_dirent(fd, h, i, &d) < 0) {
            return fetch_fail(err, errlen,
                              "corrupt ZIM archive: directory entry %u", i);
        }
        if (d.ns != 'M') {
            break;
        }
        slot = meta_slot(m, d.path);
        if (slot == NULL || *slot != NULL || d.mime >= 0xfffd) {
            continue;
        }
        if (read_blob(fd, h, d.cluster, d.blob, &v) < 0) {
            return fetch_fail(err, errlen,
                              "corrupt ZIM archive: metadata %s unreadable",
                              d.path);
        }
        *slot = clean_value(v);
    }
    return 0;
}

int
zim_read_meta(const char *path, struct zim_meta *m, char *err, size_t errlen)
{
    struct zhead h;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    int rc;

    if (fd < 0) {
        return fetch_fail(err, errlen, "%s", strerror(errno));
    }
    rc = read_head(fd, &h, err, errlen);
    if (rc == 0) {
        rc = meta_read(fd, &h, m, err, errlen);
    }
    close(fd);
    return rc;
}

/* ---- zimdump ------------------------------------------------------- */

/* The program to run: prog with a '/', else found in PATH.  0 with
 * out[n], or -1. */
static int
find_prog(const char *prog, char *out, size_t n)
{
    const char *path = getenv("PATH"), *p;

    if (strchr(prog, '/') != NULL) {
        snprintf(out, n, "%s", prog);
        return access(out, X_OK);
    }
    for (p = path != NULL ? path : "/usr/bin:/bin"; *p != '\0';) {
        size_t k = strcspn(p, ":");

        if (k > 0 && (size_t)snprintf(out, n, "%.*s/%s", (int)k, p, prog) < n &&
            access(out, X_OK) == 0) {
            return 0;
        }
        p += k;
        p += *p == ':';
    }
    return -1;
}

/* Run argv[0] (a full path) with stdout to outfd and stderr to errfd, no
 * shell, stdin from /dev/null, for at most timeout_s seconds.  Its exit
 * status, 128 + N when killed by signal N, -1 when it could not start,
 * ZIM_RUN_TIMEOUT when it ran out of time (then it was killed by its pid
 * and waited for). */
#define ZIM_RUN_TIMEOUT (-2)
static int
run(char *const argv[], int outfd, int errfd, unsigned long timeout_s)
{
    long long deadline = clock_now_ms() + (long long)timeout_s * 1000;
    long nap = 1; /* ms, doubling to 100: quick runs end quickly */
    pid_t pid = fork(), w;
    int st, pfd;

    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);

        if (in < 0 || dup2(in, 0) < 0 || dup2(outfd, 1) < 0 ||
            dup2(errfd, 2) < 0) {
            _exit(127);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    /* Waited for through a pidfd with poll's timeout (no SIGCHLD
     * handler or SIGALRM: those are process-wide state); without pidfd
     * (a kernel before 5.3), polled with naps up to 100 ms. */
    pfd = pidfd_open(pid, 0);
    while ((w = waitpid(pid, &st, WNOHANG)) == 0 || (w < 0 && errno == EINTR)) {
        long long left = deadline - clock_now_ms();

        if (left <= 0) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
            }
            w = 0;
            break;
        }
        if (pfd >= 0) {
            struct pollfd pf = {pfd, POLLIN, 0};

            poll(&pf, 1, left > INT_MAX ? INT_MAX : (int)left);
        } else {
            struct timespec ts = {0, (nap < left ? nap : left) * 1000000L};

            nanosleep(&ts, NULL);
            nap = nap < 50 ? nap * 2 : 100;
        }
    }
    if (pfd >= 0) {
        close(pfd);
    }
    if (w <= 0) {
        return w == 0 ? ZIM_RUN_TIMEOUT : -1;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The first line zimdump wrote to its stderr file, printable, into
 * buf[n]; "" when none. */
static void
first_err_line(int rootfd, char *buf, size_t n)
{
    char tmp[256];
    ssize_t k = -1;
    int fd = openat(rootfd, ZIM_ERR_FILE, O_RDONLY | O_CLOEXEC);
    size_t i;

    buf[0] = '\0';
    if (fd >= 0) {
        k = pread(fd, tmp, sizeof(tmp) - 1, 0);
        close(fd);
    }
    if (k <= 0) {
        return;
    }
    tmp[k] = '\0';
    tmp[strcspn(tmp, "\n")] = '\0';
    for (i = 0; tmp[i] != '\0'; i++) {
        if ((unsigned char)tmp[i] < 0x20 || (unsigned char)tmp[i] >= 0x7f) {
            tmp[i] = '?';
        }
    }
    snprintf(buf, n, "%s", tmp);
}

/* One entry of `zimdump list --details`. */
struct zent {
    char *path;
    long idx;
    int redirect;
    long target; /* redirect index */
    char *mime;
    long long size;
    const char *bad; /* why it is refused (static), or NULL */
    int content;     /* in a content namespace */
    size_t rec;      /* its record in out */
    int saved;
};

struct zrun {
    const char *zim;
    int rootfd;
    char prog[4096];
    unsigned long timeout_s; /* each zimdump run's limit */
    struct zent *e;
    size_t n, cap;
    int newscheme;
};

static void
zrun_free(struct zrun *z)
{
    size_t i;

    for (i = 0; i < z->n; i++) {
        kw_free(z->e[i].path);
        kw_free(z->e[i].mime);
    }
    kw_free(z->e);
}

/* Why the archive path p cannot be a path in our tree, or NULL. */
static const char *
path_bad(const char *p)
{
    const char *s = p;
    size_t n = strlen(p);

    if (n == 0) {
        return "empty path";
    }
    if (n >= ZIM_PATH_MAX) {
        return "path too long";
    }
    if (p[0] == '/') {
        return "absolute path";
    }
    if (!utf8_valid(p, n)) {
        return "path is not valid UTF-8";
    }
    for (; *s != '\0'; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '\\') {
            return "control character or backslash in path";
        }
    }
    for (s = p; *s != '\0';) {
        size_t k = strcspn(s, "/");

        if (k == 0 || (k == 1 && s[0] == '.') ||
            (k == 2 && s[0] == '.' && s[1] == '.')) {
            return "'.', '..' or empty segment in path";
        }
        s += k;
        s += *s == '/';
    }
    return NULL;
}

static struct zent *
zent_add(struct zrun *z)
{
    if (z->n == z->cap) {
        size_t cap = z->cap ? z->cap * 2 : 256;
        struct zent *e = kw_realloc(z->e, cap * sizeof(*e));

        if (e == NULL) {
            return NULL;
        }
        z->e = e;
        z->cap = cap;
    }
    memset(&z->e[z->n], 0, sizeof(z->e[0]));
    z->e[z->n].idx = -1;
    z->e[z->n].target = -1;
    z->e[z->n].size = -1;
    return &z->e[z->n++];
}

/* Parse the listing in the file ZIM_LIST_FILE. */
static int
parse_list(struct zrun *z, char *err, size_t errlen)
{
    int fd = openat(z->rootfd, ZIM_LIST_FILE, O_RDONLY | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    struct zent *cur = NULL;
    int rc = 0;

    if (f == NULL) {
        if (fd >= 0) {
            close(fd);
        }
        return fetch_fail(err, errlen, "cannot read zimdump's listing");
    }
    while (rc == 0 && (len = getline(&line, &cap, f)) > 0) {
        const char *v;

        if (line[len - 1] == '\n') {
            line[--len] = '\0';
        }
        if (strncmp(line, "path: ", 6) == 0) {
            if (z->n >= ZIM_ENTRIES_MAX) {
                rc = fetch_fail(err, errlen,
                                "more than %d entries in the archive",
                                ZIM_ENTRIES_MAX);
                break;
            }
            cur = zent_add(z);
            if (cur == NULL || (cur->path = kw_strdup(line + 6)) == NULL) {
                rc = fetch_fail(err, errlen, "out of memory");
            }
            continue;
        }
        if (cur == NULL) {
            continue; /* zimdump's own chatter before the first entry */
        }
        if (strncmp(line, "* ", 2) != 0) {
            /* A path with a newline in it breaks the listing's lines. */
            cur->bad = "control character or backslash in path";
            continue;
        }
        v = strchr(line, ':');
        if (v == NULL) {
            continue;
        }
        v += 1 + strspn(v + 1, " ");
        if (strncmp(line, "* idx:", 6) == 0) {
            cur->idx = strtol(v, NULL, 10);
        } else if (strncmp(line, "* type:", 7) == 0) {
            cur->redirect = strcmp(v, "redirect") == 0;
        } else if (strncmp(line, "* redirect index:", 17) == 0) {
            cur->target = strtol(v, NULL, 10);
        } else if (strncmp(line, "* mime-type:", 12) == 0) {
            kw_free(cur->mime);
            cur->mime = fetch_printable(v, strlen(v), 200);
        } else if (strncmp(line, "* item size:", 12) == 0) {
            cur->size = strtoll(v, NULL, 10);
        }
    }
    free(line);
    fclose(f);
    return rc;
}

/* The entry with archive index idx, or NULL. */
static struct zent *
by_idx(struct zrun *z, long idx)
{
    size_t lo = 0, hi = z->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (z->e[mid].idx == idx) {
            return &z->e[mid];
        }
        if (z->e[mid].idx < idx) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

static int
cmp_idx(const void *a, const void *b)
{
    long x = ((const struct zent *)a)->idx, y = ((const struct zent *)b)->idx;

    return x < y ? -1 : x > y;
}

/* Run zimdump with args (NULL-terminated, after the program name) and
 * the archive last, stdout to outfd (or the error file when -1).  0, or
 * -1 with err naming zimdump's first line of stderr; *status gets the
 * exit status when not NULL (then 1 and 2 are not errors). */
static int
zimdump(struct zrun *z, const char *const *args, int outfd, int *status,
        char *err, size_t errlen)
{
    char *argv[12];
    char line[300];
    int efd, n = 0, st;

    argv[n++] = z->prog;
    while (*args != NULL && n < 9) {
        argv[n++] = (char *)*args++;
    }
    argv[n++] = "--";
    argv[n++] = (char *)z->zim;
    argv[n] = NULL;
    efd = openat(z->rootfd, ZIM_ERR_FILE,
                 O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (efd < 0) {
        return fetch_fail(err, errlen,
                          "cannot write in the temporary "
                          "directory: %s",
                          strerror(errno));
    }
    st = run(argv, outfd >= 0 ? outfd : efd, efd, z->timeout_s);
    close(efd);
    if (st == ZIM_RUN_TIMEOUT) {
        return fetch_fail(err, errlen,
                          "zimdump %s took longer than %lu s and was "
                          "stopped (time limit: KW_ZIMDUMP_TIMEOUT)",
                          argv[1], z->timeout_s);
    }
    if (status != NULL && st >= 0 && st <= 2) {
        *status = st;
        return 0;
    }
    if (st == 0) {
        return 0;
    }
    first_err_line(z->rootfd, line, sizeof(line));
    if (st < 0 || st == 127) {
        return fetch_fail(err, errlen, "cannot run %s", z->prog);
    }
    return fetch_fail(err, errlen, "zimdump %s failed (exit %d)%s%s", argv[1],
                      st, line[0] ? ": " : "", line);
}

/* Append a record to out; NULL when out of memory. */
static struct fetch_record *
rec_add(struct fetch_result *out)
{
    struct fetch_record *r = kw_realloc(out->r, (out->n + 1) * sizeof(*r));

    if (r == NULL) {
        return NULL;
    }
    out->r = r;
    memset(&r[out->n], 0, sizeof(r[0]));
    r[out->n].line = (int)out->n + 1;
    r[out->n].last_modified = -1;
    r[out->n].fetched_at = -1;
    return &r[out->n++];
}

/* The bytes of item e into the hidden file *tmp (in rootfd): the dumped
 * file when it is there, whole and not a link, else `zimdump show`.  0,
 * or -1 with err. */
static int
extract(struct zrun *z, struct zent *e, int dumped, char *tmp, size_t n,
        char *err, size_t errlen)
{
    struct stat st;
    char idx[32];
    const char *args[] = {"show", idx, NULL};
    int fd, status = 0;

    snprintf(tmp, n, "%s/%s", ZIM_DUMP_DIR, e->path);
    if (dumped && fstatat(z->rootfd, tmp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        S_ISREG(st.st_mode) && st.st_size == e->size) {
        return 0;
    }
    fd = fetch_tmpfile(z->rootfd, "zim", (size_t)(e - z->e), tmp, n);
    if (fd < 0) {
        return fetch_fail(err, errlen, "cannot write: %s", strerror(errno));
    }
    snprintf(idx, sizeof(idx), "--idx=%ld", e->idx);
    if (zimdump(z, args, fd, &status, err, errlen) < 0 || status != 0) {
        close(fd);
        unlinkat(z->rootfd, tmp, 0);
        return status != 0 ? fetch_fail(err, errlen, "zimdump cannot read it")
                           : -1;
    }
    if (fstat(fd, &st) < 0 || st.st_size != e->size) {
        close(fd);
        unlinkat(z->rootfd, tmp, 0);
        return fetch_fail(err, errlen, "zimdump gave %lld bytes, not %lld",
                          (long long)st.st_size, e->size);
    }
    close(fd);
    return 0;
}

/* Save item e: its record in out, its file in the tree. */
static int
save_item(struct zrun *z, struct zent *e, const struct zim_opts *o,
          const struct zim_result *res, int dumped, struct fetch_result *out)
{
    struct fetch_record *r = rec_add(out);
    struct strbuf u = STRBUF_INIT, norm = STRBUF_INIT;
    char tmp[ZIM_PATH_MAX + 64], why[512];
    int rc = 0;

    if (r == NULL) {
        return -1;
    }
    e->rec = out->n - 1;
    strbuf_puts(&u, res->base);
    url_encode_path(&u, e->path, strlen(e->path));
    r->url = kw_strdup(strbuf_peek(&u));
    r->content_type = kw_strdup(e->mime != NULL ? e->mime : "");
    r->fetched_at = res->date;
    if (r->url == NULL || r->content_type == NULL) {
        rc = -1;
    } else if ((size_t)e->size > o->max_bytes) {
        snprintf(why, sizeof(why), "too large: %lld bytes (max_size %zu)",
                 e->size, o->max_bytes);
        r->error = kw_strdup(why);
    } else if (url_normalize(r->url, &norm, NULL) < 0) {
        r->error = kw_strdup("path gives no valid URL");
    } else if (extract(z, e, dumped, tmp, sizeof(tmp), why, sizeof(why)) < 0) {
        r->error = kw_strdup(why);
    } else if (fetch_save(z->rootfd, tmp, strbuf_peek(&norm), res->base,
                          r->content_type, &r->path) < 0) {
        snprintf(why, sizeof(why), "cannot save: %s", strerror(errno));
        r->error = kw_strdup(why);
        unlinkat(z->rootfd, tmp, 0);
    } else {
        r->final_url = kw_strdup(strbuf_peek(&norm));
        r->size = e->size;
        r->status = 200;
        e->saved = 1;
        rc = r->final_url != NULL ? 0 : -1;
    }
    if (rc == 0 && r->error == NULL && !e->saved) {
        rc = -1; /* the reason could not be copied */
    }
    if (r->error != NULL) {
        out->nfailed++;
        rc = 0;
    }
    strbuf_free(&u);
    strbuf_free(&norm);
    return rc;
}

/* A record for an entry that is no item kept: error or skipped why. */
static int
note_entry(struct fetch_result *out, const struct zim_result *res,
           const struct zent *e, const char *error, const char *skipped)
{
    struct fetch_record *r = rec_add(out);
    struct strbuf u = STRBUF_INIT;

    if (r == NULL) {
        return -1;
    }
    strbuf_puts(&u, res->base);
    if (e->bad == NULL) {
        url_encode_path(&u, e->path, strlen(e->path));
        r->url = kw_strdup(strbuf_peek(&u));
    } else {
        r->url = fetch_printable(e->path, strlen(e->path), 300);
    }
    strbuf_free(&u);
    r->error = error != NULL ? kw_strdup(error) : NULL;
    r->skipped = skipped != NULL ? kw_strdup(skipped) : NULL;
    if (error != NULL) {
        out->nfailed++;
    }
    return r->url != NULL && (error == NULL || r->error != NULL) &&
                   (skipped == NULL || r->skipped != NULL)
               ? 0
               : -1;
}

/* The alias of redirect e, followed to its item; or a skipped record. */
static int
keep_redirect(struct zrun *z, struct zent *e, struct zim_result *res,
              struct fetch_result *out)
{
    struct zent *t = e;
    struct zim_alias *a;
    char why[ZIM_PATH_MAX + 64];
    int hops;

    for (hops = 0; t != NULL && t->redirect && hops < ZIM_HOPS; hops++) {
        t = by_idx(z, t->target);
    }
    if (t == NULL || t->redirect || !t->saved) {
        return note_entry(out, res, e, NULL, "redirect to an entry not kept");
    }
    a = kw_realloc(res->alias, (res->nalias + 1) * sizeof(*a));
    if (a == NULL) {
        return -1;
    }
    res->alias = a;
    a[res->nalias].path = kw_strdup(e->path);
    a[res->nalias].target = kw_strdup(out->r[t->rec].path);
    if (a[res->nalias].path == NULL || a[res->nalias].target == NULL) {
        kw_free(a[res->nalias].path);
        kw_free(a[res->nalias].target);
        return -1;
    }
    res->nalias++;
    snprintf(why, sizeof(why), "redirect, kept as an alias of %s",
             out->r[t->rec].path);
    return note_entry(out, res, e, NULL, why);
}

/* The base URL: o->base, else Source when http(s), else o->fallback. */
static int
choose_base(const struct zim_opts *o, struct zim_result *res, char *err,
            size_t errlen)
{
    struct strbuf n = STRBUF_INIT;
    const char *b = o->base;

    if (b == NULL && res->meta.source != NULL &&
        url_normalize(res->meta.source, &n, NULL) == 0 && n.len > 0) {
        b = strbuf_peek(&n);
    }
    if (b == NULL) {
        b = o->fallback;
    }
    if (b == NULL || strlen(b) + 2 > sizeof(res->base)) {
        strbuf_free(&n);
        return fetch_fail(err, errlen, "no usable base URL");
    }
    snprintf(res->base, sizeof(res->base), "%s%s", b,
             b[strlen(b) - 1] == '/' ? "" : "/");
    strbuf_free(&n);
    return 0;
}

/* The Date metadata (YYYY-MM-DD) in Unix seconds, or -1. */
static long long
meta_date(const char *s)
{
    struct tm tm;
    int y, m, d;
    char end;

    if (s == NULL || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 ||
        y < 1970 || m < 1 || m > 12 || d < 1 || d > 31) {
        return -1;
    }
    memset(&tm, 0, sizeof(tm));
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    return (long long)timegm(&tm);
}

int
zim_unpack(const char *path, const char *dest_dir, const struct zim_opts *o,
           struct zim_result *res, struct fetch_result *out, char *err,
           size_t errlen)
{
    static const char *const list_args[] = {"list", "--details", NULL};
    struct zrun z;
    struct zhead h;
    unsigned long long total = 0;
    char dumpdir[4200];
    const char *dump_args[] = {"dump", dumpdir, NULL};
    const char *bad = NULL;
    int fd = -1, rc = -1, dumped = 0, status = 0;
    size_t i;

    memset(&z, 0, sizeof(z));
    z.zim = path;
    z.rootfd = -1;
    res->date = -1;
    if (find_prog(o->zimdump != NULL ? o->zimdump : "zimdump", z.prog,
                  sizeof(z.prog)) < 0) {
        fetch_fail(err, errlen,
                   "zimdump not found: install zim-tools "
                   "(apt-get install zim-tools)");
        return -2;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        return fetch_fail(err, errlen, "%s", strerror(errno));
    }
    if (read_head(fd, &h, err, errlen) < 0 ||
        meta_read(fd, &h, &res->meta, err, errlen) < 0) {
        goto out;
    }
    z.newscheme = h.major == 6 && h.minor >= 1;
    z.timeout_s =
        o->timeout_s > 0
            ? o->timeout_s
            : ZIM_TIMEOUT_BASE +
                  ZIM_TIMEOUT_PER_MIB * (unsigned long)(h.size / (1024 * 1024));
    res->date = meta_date(res->meta.date);
    if (choose_base(o, res, err, errlen) < 0) {
        goto out;
    }
    if (o->pol != NULL && (o->base != NULL || res->meta.source != NULL) &&
        policy_check_source(o->pol, res->base, err, errlen) < 0) {
        goto out; /* the whole archive comes from a refused site */
    }
    z.rootfd = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (z.rootfd < 0) {
        fetch_fail(err, errlen, "%s: %s", dest_dir, strerror(errno));
        rc = -2;
        goto out;
    }
    {
        int lfd = openat(z.rootfd, ZIM_LIST_FILE,
                         O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (lfd < 0) {
            fetch_fail(err, errlen, "cannot write in %s: %s", dest_dir,
                       strerror(errno));
            rc = -2;
            goto out;
        }
        rc = zimdump(&z, list_args, lfd, NULL, err, errlen);
        close(lfd);
        if (rc < 0 || (rc = -1, parse_list(&z, err, errlen) < 0)) {
            rc = -1;
            goto out;
        }
    }
    qsort(z.e, z.n, sizeof(z.e[0]), cmp_idx);
    for (i = 0; i < z.n; i++) {
        struct zent *e = &z.e[i];

        if (e->bad == NULL) {
            e->bad = path_bad(e->path);
        }
        e->content = z.newscheme;
        if (!z.newscheme && e->path[0] != '\0' && e->path[1] == '/') {
            e->content = strchr("AIJ-", e->path[0]) != NULL;
        }
        if (!e->redirect && e->content && e->bad == NULL) {
            if (e->size < 0) {
                e->bad = "no item size in zimdump's listing";
            } else {
                total += (unsigned long long)e->size;
            }
        }
        if (e->bad != NULL && e->content) {
            bad = e->bad;
        }
    }
    if (total > o->max_total) {
        fetch_fail(err, errlen,
                   "too large: the archive holds %llu bytes, more than "
                   "archive_max_size (%llu)",
                   total, o->max_total);
        goto out;
    }
    /* One dump is much quicker than a process per entry, but zimdump
     * writes where the paths say: only when every path is safe. */
    snprintf(dumpdir, sizeof(dumpdir), "--dir=%s/%s", dest_dir, ZIM_DUMP_DIR);
    if (strlen(dest_dir) + sizeof(ZIM_DUMP_DIR) + 8 < sizeof(dumpdir) &&
        bad == NULL) {
        if (zimdump(&z, dump_args, -1, &status, err, errlen) < 0 ||
            status == 1) {
            goto out;
        }
        dumped = 1;
    }
    for (i = 0; i < z.n; i++) {
        struct zent *e = &z.e[i];

        if (e->bad != NULL) {
            rc = note_entry(out, res, e, e->bad, NULL);
        } else if (!e->content) {
            rc = note_entry(out, res, e, NULL, "ZIM metadata or index entry");
        } else if (!e->redirect) {
            rc = save_item(&z, e, o, res, dumped, out);
        } else {
            rc = 0;
        }
        if (rc < 0) {
            fetch_fail(err, errlen, "out of memory");
            rc = -2;
            goto out;
        }
    }
    for (i = 0; i < z.n; i++) {
        if (z.e[i].redirect && z.e[i].bad == NULL && z.e[i].content &&
            keep_redirect(&z, &z.e[i], res, out) < 0) {
            fetch_fail(err, errlen, "out of memory");
            rc = -2;
            goto out;
        }
    }
    rc = fetch_result_index(out);
    if (rc < 0) {
        fetch_fail(err, errlen, "out of memory");
        rc = -2;
    }
out:
    if (z.rootfd >= 0) {
        char dir[4200];

        unlinkat(z.rootfd, ZIM_LIST_FILE, 0);
        unlinkat(z.rootfd, ZIM_ERR_FILE, 0);
        snprintf(dir, sizeof(dir), "%s/%s", dest_dir, ZIM_DUMP_DIR);
        fetch_rmtree(dir);
        close(z.rootfd);
    }
    if (fd >= 0) {
        close(fd);
    }
    zrun_free(&z);
    return rc;
}

void
zim_result_free(struct zim_result *res)
{
    size_t i;

    kw_free(res->meta.title);
    kw_free(res->meta.description);
    kw_free(res->meta.language);
    kw_free(res->meta.source);
    kw_free(res->meta.date);
    kw_free(res->meta.creator);
    kw_free(res->meta.publisher);
    kw_free(res->meta.name);
    for (i = 0; i < res->nalias; i++) {
        kw_free(res->alias[i].path);
        kw_free(res->alias[i].target);
    }
    kw_free(res->alias);
    memset(res, 0, sizeof(*res));
}

int
zim_is_zim_name(const char *name)
{
    size_t n = strlen(name);

    return n > 4 && strcasecmp(name + n - 4, ".zim") == 0;
}

const char *
zim_language(const char *value, char *buf, size_t n)
{
    static const char *const map[][2] = {
        {"kor", "ko"}, {"eng", "en"}, {"zho", "zh"}, {"jpn", "ja"},
        {"rus", "ru"}, {"fra", "fr"}, {"deu", "de"}, {"spa", "es"},
        {"por", "pt"}, {"ita", "it"}, {"ara", "ar"}, {"vie", "vi"},
    };
    size_t k, i;

    if (value == NULL) {
        return NULL;
    }
    k = strcspn(value, ", ");
    for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        if (k == 3 && strncmp(value, map[i][0], 3) == 0) {
            return map[i][1];
        }
    }
    snprintf(buf, n, "%.*s", (int)k, value);
    return buf;
}
