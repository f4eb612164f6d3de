/*
 * pool: forked conversion workers with rlimits and a wall-clock deadline.
 * Layer: ingest/.
 *
 * A frame is JSON text plus the long strings of the value carried beside
 * it as raw bytes: u32 length, JSON text, u32 count, count u32 lengths,
 * the strings (every u32 big-endian).  In the JSON a long string stands
 * as {"\u0001": k}.  Escaping a page's body into JSON and lexing it back
 * cost the ingest's single writer a tenth of all its CPU; raw bytes cost
 * a copy.  The receiver trusts nothing: indexes, counts and lengths are
 * checked, and each string must be valid UTF-8.
 */
#include "pool.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"

#define POOL_MAX 64
#define FRAME_MAX (256u * 1024 * 1024)
/* Strings at least this long travel outside the JSON text. */
#define BLOB_MIN 256
/* Most strings one frame carries outside it, and how deep values go. */
#define BLOB_MAX 65536
#define BLOB_DEPTH 16
/* The key of a placeholder object. */
#define BLOB_KEY "\x01"

struct worker {
    pid_t pid;
    int to;   /* parent writes jobs */
    int from; /* parent reads results */
    int busy;
    void *tag;
    struct timespec deadline;
};

struct pool {
    struct worker w[POOL_MAX];
    int n;
    struct pool_limits lim;
};

void
pool_limits_default(struct pool_limits *l)
{
    l->cpu_seconds = 20;
    /* ASan reserves terabytes of address space: no RLIMIT_AS there
     * (gcc says so with __SANITIZE_ADDRESS__, clang with __has_feature). */
#if defined(__SANITIZE_ADDRESS__)
#define POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOL_ASAN 1
#endif
#endif
#ifdef POOL_ASAN
    l->mem_bytes = 0;
#else
    l->mem_bytes = 1536L * 1024 * 1024;
#endif
    l->stack_bytes = 16L * 1024 * 1024;
    l->wall_ms = 60000;
}

static int
write_all(int fd, const void *buf, size_t n)
{
    const char *p = buf;

    while (n > 0) {
        ssize_t w = write(fd, p, n);

        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static int
read_all(int fd, void *buf, size_t n)
{
    char *p = buf;

    while (n > 0) {
        ssize_t r = read(fd, p, n);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void
put_u32(unsigned char *b, uint32_t n)
{
    b[0] = (unsigned char)(n >> 24);
    b[1] = (unsigned char)(n >> 16);
    b[2] = (unsigned char)(n >> 8);
    b[3] = (unsigned char)n;
}

static uint32_t
get_u32(const unsigned char *b)
{
    return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
           ((uint32_t)b[2] << 8) | b[3];
}

/* The long strings taken out of a value, in order. */
struct blobs {
    json_t *s[BLOB_MAX]; /* one reference each */
    size_t n;
};

/* When x is a long string (and b has room), keep it in b and return the
 * placeholder to put in its place; else NULL with *err 0.  *err 1 when
 * out of memory. */
static json_t *
take_one(json_t *x, struct blobs *b, int *err)
{
    json_t *ph;

    if (!json_is_string(x) || json_string_length(x) < BLOB_MIN ||
        b->n >= BLOB_MAX) {
        return NULL;
    }
    ph = json_pack("{sI}", BLOB_KEY, (json_int_t)b->n);
    if (ph == NULL) {
        *err = 1;
        return NULL;
    }
    b->s[b->n++] = json_incref(x);
    return ph;
}

/* Replace each long string under v (depth levels down at most) by a
 * placeholder, keeping the string in b.  Changes v.  0 or -1 (OOM). */
static int
take_blobs(json_t *v, struct blobs *b, int depth)
{
    size_t i;
    const char *k;
    json_t *x, *ph;
    int err = 0;

    if (depth >= BLOB_DEPTH) {
        return 0;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            if ((ph = take_one(x, b, &err)) != NULL) {
                if (json_array_set_new(v, i, ph) < 0) {
                    return -1;
                }
            } else if (err || take_blobs(x, b, depth + 1) < 0) {
                return -1;
            }
        }
    } else if (json_is_object(v)) {
        json_object_foreach(v, k, x)
        {
            if ((ph = take_one(x, b, &err)) != NULL) {
                if (json_object_set_new(v, k, ph) < 0) {
                    return -1;
                }
            } else if (err || take_blobs(x, b, depth + 1) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Send j as one frame.  Its long strings are moved out of it (j is
 * changed: the caller only frees it afterwards). */
static int
send_frame(int fd, json_t *j)
{
    static struct blobs b; /* large; one frame at a time per process */
    unsigned char hdr[4], *lens = NULL;
    char *s = NULL;
    size_t n, i;
    int rc = -1;

    b.n = 0;
    if (take_blobs(j, &b, 0) < 0 || (s = json_dumps(j, JSON_COMPACT)) == NULL) {
        goto out;
    }
    n = strlen(s);
    lens = kw_malloc(4 * (b.n + 1));
    if (lens == NULL) {
        goto out;
    }
    put_u32(hdr, (uint32_t)n);
    put_u32(lens, (uint32_t)b.n);
    for (i = 0; i < b.n; i++) {
        put_u32(lens + 4 * (i + 1), (uint32_t)json_string_length(b.s[i]));
    }
    if (write_all(fd, hdr, 4) < 0 || write_all(fd, s, n) < 0 ||
        write_all(fd, lens, 4 * (b.n + 1)) < 0) {
        goto out;
    }
    for (i = 0; i < b.n; i++) {
        if (write_all(fd, json_string_value(b.s[i]),
                      json_string_length(b.s[i])) < 0) {
            goto out;
        }
    }
    rc = 0;
out:
    for (i = 0; i < b.n; i++) {
        json_decref(b.s[i]);
    }
    b.n = 0;
    kw_free(lens);
    free(s);
    return rc;
}

/* A frame's strings: nblob of them, string k at data + off[k]. */
struct frame_blobs {
    const char *data;
    const uint32_t *off, *len;
    size_t n;
};

/* The string a placeholder stands for, as a new JSON string, or NULL when
 * x is no placeholder.  *bad is set when it is one but is broken (index
 * out of range, not UTF-8). */
static json_t *
put_back(json_t *x, const struct frame_blobs *fb, int *bad)
{
    json_t *k;
    json_int_t i;
    json_t *str;

    if (!json_is_object(x) || json_object_size(x) != 1 ||
        (k = json_object_get(x, BLOB_KEY)) == NULL) {
        return NULL;
    }
    i = json_integer_value(k);
    if (!json_is_integer(k) || i < 0 || (size_t)i >= fb->n) {
        *bad = 1;
        return NULL;
    }
    str = json_stringn(fb->data + fb->off[i], fb->len[i]);
    if (str == NULL) {
        *bad = 1; /* invalid UTF-8, or out of memory */
    }
    return str;
}

/* Put the strings back into v, depth levels down at most.  0 or -1. */
static int
restore_blobs(json_t *v, const struct frame_blobs *fb, int depth)
{
    size_t i;
    const char *key;
    json_t *x, *str;
    int bad = 0;

    if (depth >= BLOB_DEPTH) {
        return 0;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, x)
        {
            if ((str = put_back(x, fb, &bad)) != NULL) {
                if (json_array_set_new(v, i, str) < 0) {
                    return -1;
                }
            } else if (bad || restore_blobs(x, fb, depth + 1) < 0) {
                return -1;
            }
        }
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, x)
        {
            if ((str = put_back(x, fb, &bad)) != NULL) {
                if (json_object_set_new(v, key, str) < 0) {
                    return -1;
                }
            } else if (bad || restore_blobs(x, fb, depth + 1) < 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* A new JSON value from the next frame, or NULL on EOF, on error or when
 * the frame is malformed. */
static json_t *
recv_frame(int fd)
{
    unsigned char hdr[4], *lens = NULL;
    uint32_t n, nb, *off = NULL, *len = NULL;
    uint64_t total = 0;
    char *buf = NULL, *data = NULL;
    json_t *j = NULL;
    struct frame_blobs fb;
    size_t i;

    if (read_all(fd, hdr, 4) < 0 || (n = get_u32(hdr)) > FRAME_MAX) {
        return NULL;
    }
    buf = kw_malloc((size_t)n + 1);
    if (buf == NULL || read_all(fd, buf, n) < 0 || read_all(fd, hdr, 4) < 0 ||
        (nb = get_u32(hdr)) > BLOB_MAX) {
        goto out;
    }
    lens = kw_malloc(4 * (size_t)nb + 1);
    off = kw_malloc(sizeof(*off) * ((size_t)nb + 1));
    len = kw_malloc(sizeof(*len) * ((size_t)nb + 1));
    if (lens == NULL || off == NULL || len == NULL ||
        read_all(fd, lens, 4 * (size_t)nb) < 0) {
        goto out;
    }
    for (i = 0; i < nb; i++) {
        len[i] = get_u32(lens + 4 * i);
        off[i] = (uint32_t)total;
        total += len[i];
        if (total + n > FRAME_MAX) {
            goto out;
        }
    }
    data = kw_malloc((size_t)total + 1);
    if (data == NULL || read_all(fd, data, (size_t)total) < 0) {
        goto out;
    }
    j = json_loadb(buf, n, 0, NULL);
    fb.data = data;
    fb.off = off;
    fb.len = len;
    fb.n = nb;
    if (j != NULL && restore_blobs(j, &fb, 0) < 0) {
        json_decref(j);
        j = NULL;
    }
out:
    kw_free(data);
    kw_free(len);
    kw_free(off);
    kw_free(lens);
    kw_free(buf);
    return j;
}

/* The child: apply limits, then convert jobs until the pipe closes. */
static void
worker_main(int in, int out, const struct pool_limits *lim)
{
    struct rlimit rl;
    json_t *job;

    if (lim->mem_bytes > 0) {
        rl.rlim_cur = rl.rlim_max = (rlim_t)lim->mem_bytes;
        setrlimit(RLIMIT_AS, &rl);
    }
    rl.rlim_cur = rl.rlim_max = (rlim_t)lim->stack_bytes;
    setrlimit(RLIMIT_STACK, &rl);
    rl.rlim_cur = rl.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &rl);
    while ((job = recv_frame(in)) != NULL) {
        struct convert_job cj;
        struct rusage ru;
        json_t *res;

        /* RLIMIT_CPU counts the whole life of the process, so each job
         * gets "used so far + cpu_seconds". */
        getrusage(RUSAGE_SELF, &ru);
        rl.rlim_cur = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
                               lim->cpu_seconds + 1);
        rl.rlim_max = rl.rlim_cur + 1;
        setrlimit(RLIMIT_CPU, &rl);
        if (convert_job_from_json(job, &cj) < 0) {
            res = json_pack("{sbss}", "ok", 0, "reason", "bad job");
        } else {
            res = convert_file(&cj);
        }
        if (res == NULL || send_frame(out, res) < 0) {
            _exit(3);
        }
        json_decref(res);
        json_decref(job);
    }
    _exit(0);
}

/* (Re)start worker i. */
static int
spawn(struct pool *p, int i)
{
    int a[2], b[2], k;
    pid_t pid, parent = getpid();

    if (pipe2(a, O_CLOEXEC) < 0) {
        return -1;
    }
    if (pipe2(b, O_CLOEXEC) < 0) {
        close(a[0]);
        close(a[1]);
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        close(a[0]);
        close(a[1]);
        close(b[0]);
        close(b[1]);
        return -1;
    }
    if (pid == 0) {
        /* Die with the ingest: a worker busy with a long job only sees
         * its pipe close when it answers, so after a SIGKILLed ingest it
         * (and its pdftotext, which dies with it) would run on until the
         * job's deadline. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) {
            _exit(0);
        }
        /* Drop the other workers' pipes so their EOFs stay theirs. */
        for (k = 0; k < p->n; k++) {
            if (k != i && p->w[k].pid > 0) {
                close(p->w[k].to);
                close(p->w[k].from);
            }
        }
        close(a[1]);
        close(b[0]);
        signal(SIGINT, SIG_IGN);
        worker_main(a[0], b[1], &p->lim);
    }
    close(a[0]);
    close(b[1]);
    p->w[i].pid = pid;
    p->w[i].to = a[1];
    p->w[i].from = b[0];
    p->w[i].busy = 0;
    p->w[i].tag = NULL;
    return 0;
}

/* Kill and reap worker i (after a limit or a broken pipe).  A slot whose
 * respawn failed has no process and no pipes: kill(-1) would signal every
 * process we may signal, and closing its old descriptor numbers would
 * close whatever reused them (the database), so those are skipped. */
static void
reap(struct pool *p, int i, int *sig)
{
    int status = 0;

    *sig = 0;
    if (p->w[i].pid <= 0) {
        return;
    }
    close(p->w[i].to);
    close(p->w[i].from);
    p->w[i].to = p->w[i].from = -1;
    kill(p->w[i].pid, SIGKILL);
    while (waitpid(p->w[i].pid, &status, 0) < 0 && errno == EINTR) {
    }
    *sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    p->w[i].pid = -1;
}

int
pool_start(int n, const struct pool_limits *lim, struct pool **out, char *err,
           size_t errlen)
{
    struct pool *p;
    int i;

    *out = NULL;
    if (n < 1) {
        n = 1;
    }
    if (n > POOL_MAX) {
        n = POOL_MAX;
    }
    p = kw_calloc(1, sizeof(*p));
    if (p == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    p->lim = *lim;
    signal(SIGPIPE, SIG_IGN);
    for (i = 0; i < n; i++) {
        p->w[i].pid = -1;
    }
    for (i = 0; i < n; i++) {
        p->n = i;
        if (spawn(p, i) < 0) {
            snprintf(err, errlen, "cannot start worker: %s", strerror(errno));
            p->n = i;
            pool_stop(p);
            return -1;
        }
    }
    p->n = n;
    *out = p;
    return 0;
}

int
pool_has_idle(const struct pool *p)
{
    int i;

    for (i = 0; i < p->n; i++) {
        if (!p->w[i].busy) {
            return 1;
        }
    }
    return 0;
}

int
pool_busy(const struct pool *p)
{
    int i;

    for (i = 0; i < p->n; i++) {
        if (p->w[i].busy) {
            return 1;
        }
    }
    return 0;
}

int
pool_submit(struct pool *p, const struct convert_job *job, void *tag)
{
    json_t *j = convert_job_to_json(job);
    int i, rc;

    if (j == NULL) {
        return -1;
    }
    for (i = 0; i < p->n; i++) {
        if (!p->w[i].busy) {
            break;
        }
    }
    if (i == p->n) {
        json_decref(j);
        return -1;
    }
    /* A worker that died and could not be replaced then (no fork, no
     * descriptors): try again now, or fail this submission. */
    if (p->w[i].pid <= 0 && spawn(p, i) < 0) {
        json_decref(j);
        return -1;
    }
    rc = send_frame(p->w[i].to, j);
    json_decref(j);
    if (rc < 0) {
        int sig;

        /* A worker that died while idle: replace it and retry once. */
        reap(p, i, &sig);
        if (spawn(p, i) < 0) {
            return -1;
        }
        j = convert_job_to_json(job);
        rc = j != NULL ? send_frame(p->w[i].to, j) : -1;
        json_decref(j);
        if (rc < 0) {
            return -1;
        }
    }
    p->w[i].busy = 1;
    p->w[i].tag = tag;
    clock_gettime(CLOCK_MONOTONIC, &p->w[i].deadline);
    p->w[i].deadline.tv_sec += p->lim.wall_ms / 1000;
    p->w[i].deadline.tv_nsec += (p->lim.wall_ms % 1000) * 1000000L;
    if (p->w[i].deadline.tv_nsec >= 1000000000L) {
        p->w[i].deadline.tv_sec++;
        p->w[i].deadline.tv_nsec -= 1000000000L;
    }
    return 0;
}

/* Replace a dead or overdue worker and describe why its job failed. */
static json_t *
worker_failed(struct pool *p, int i, int timed_out)
{
    char why[128];
    int sig = 0;

    reap(p, i, &sig);
    if (timed_out) {
        snprintf(why, sizeof(why), "too complex: time limit (%ld ms)",
                 p->lim.wall_ms);
    } else if (sig == SIGXCPU || sig == SIGKILL) {
        snprintf(why, sizeof(why), "too complex: CPU limit");
    } else if (sig != 0) {
        snprintf(why, sizeof(why), "too complex: worker killed by signal %d",
                 sig);
    } else {
        snprintf(why, sizeof(why), "too complex: worker ran out of memory");
    }
    spawn(p, i);
    return json_pack("{sbss}", "ok", 0, "reason", why);
}

int
pool_next(struct pool *p, json_t **result, void **tag)
{
    struct pollfd fds[POOL_MAX];
    int idx[POOL_MAX];

    *result = NULL;
    for (;;) {
        struct timespec now;
        long wait_ms = -1;
        int n = 0, i, rc;

        clock_gettime(CLOCK_MONOTONIC, &now);
        for (i = 0; i < p->n; i++) {
            long left;

            if (!p->w[i].busy) {
                continue;
            }
            left = (p->w[i].deadline.tv_sec - now.tv_sec) * 1000 +
                   (p->w[i].deadline.tv_nsec - now.tv_nsec) / 1000000L;
            if (left <= 0) {
                *tag = p->w[i].tag;
                p->w[i].busy = 0;
                *result = worker_failed(p, i, 1);
                return 1;
            }
            if (wait_ms < 0 || left < wait_ms) {
                wait_ms = left;
            }
            fds[n].fd = p->w[i].from;
            fds[n].events = POLLIN;
            idx[n] = i;
            n++;
        }
        if (n == 0) {
            return 0;
        }
        rc = poll(fds, (nfds_t)n, (int)(wait_ms > 1000 ? 1000 : wait_ms));
        if (rc < 0 && errno != EINTR) {
            return -1;
        }
        for (i = 0; i < n && rc > 0; i++) {
            int w = idx[i];

            if (fds[i].revents == 0) {
                continue;
            }
            *tag = p->w[w].tag;
            p->w[w].busy = 0;
            *result = recv_frame(p->w[w].from);
            if (*result == NULL) {
                *result = worker_failed(p, w, 0);
            }
            return 1;
        }
    }
}

void
pool_stop(struct pool *p)
{
    int i, status;

    if (p == NULL) {
        return;
    }
    for (i = 0; i < p->n; i++) {
        if (p->w[i].pid > 0) {
            close(p->w[i].to); /* EOF: the worker exits by itself */
        }
    }
    for (i = 0; i < p->n; i++) {
        if (p->w[i].pid > 0) {
            if (p->w[i].busy) {
                kill(p->w[i].pid, SIGKILL);
            }
            while (waitpid(p->w[i].pid, &status, 0) < 0 && errno == EINTR) {
            }
            close(p->w[i].from);
        }
    }
    kw_free(p);
}
