/*
 * pool: forked conversion workers with rlimits and a wall-clock deadline.
 * Layer: ingest/.
 *
 * A frame is a u32 length and that many bytes of payload: a kind byte
 * ('J' a job, 'R' a result), then the fields of struct convert_job or
 * struct converted in a fixed order, each string as a u32 length (or
 * 0xffffffff for NULL), its bytes and a NUL; counts as u32, sizes as
 * u64, every integer big-endian.  One encoder and one decoder for each
 * kind, below; nothing else knows the layout.  Escaping a page's body
 * into JSON and lexing it back cost the ingest's single writer a tenth of
 * all its CPU; here the writer reads the strings where they lie in the
 * frame.  The writer trusts nothing a worker sends: every length and count
 * is checked against the frame, strings must be UTF-8 without NUL, and a
 * malformed frame fails that one file and replaces the worker.
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
#include "html.h"
#include "strbuf.h"

#define POOL_MAX 64
#define FRAME_MAX (256u * 1024 * 1024)

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
    struct strbuf frame; /* the job being sent, kept for its buffer */
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

/*
 * The frame codec: the one place that knows how a job and a result are
 * laid out on the pipe.  Encoders append to a strbuf whose first four
 * bytes are left for the length; decoders read a whole frame's payload
 * and trust nothing in it.
 */

/* A string's length that stands for NULL. */
#define FRAME_NIL 0xffffffffu
/* The first byte of a payload: what it carries. */
#define FRAME_JOB 'J'
#define FRAME_RESULT 'R'

static void
enc_u8(struct strbuf *b, unsigned v)
{
    strbuf_putc(b, (int)(v & 0xff));
}

static void
enc_u32(struct strbuf *b, uint32_t v)
{
    unsigned char x[4];

    put_u32(x, v);
    strbuf_append(b, (const char *)x, 4);
}

static void
enc_u64(struct strbuf *b, uint64_t v)
{
    enc_u32(b, (uint32_t)(v >> 32));
    enc_u32(b, (uint32_t)v);
}

/* n bytes of s (NULL: the nil string), then a NUL so that the decoder
 * can hand out pointers into the frame. */
static void
enc_bytes(struct strbuf *b, const void *s, size_t n)
{
    if (s == NULL || n >= FRAME_NIL) {
        enc_u32(b, FRAME_NIL);
        if (s != NULL) {
            b->oom = 1; /* cannot be framed: fail the frame */
        }
        return;
    }
    enc_u32(b, (uint32_t)n);
    strbuf_append(b, s, n);
    strbuf_putc(b, 0);
}

static void
enc_str(struct strbuf *b, const char *s)
{
    enc_bytes(b, s, s != NULL ? strlen(s) : 0);
}

/* Start a frame of the given kind in b (reset): room for the length. */
static void
enc_begin(struct strbuf *b, int kind)
{
    strbuf_reset(b);
    enc_u32(b, 0);
    enc_u8(b, (unsigned)kind);
}

/* Finish the frame in b: 0, or -1 when out of memory or too long. */
static int
enc_end(struct strbuf *b)
{
    if (!strbuf_ok(b) || b->len - 4 > FRAME_MAX) {
        return -1;
    }
    put_u32((unsigned char *)b->buf, (uint32_t)(b->len - 4));
    return 0;
}

/* A job as a frame in b.  0 or -1. */
static int
frame_put_job(struct strbuf *b, const struct convert_job *job)
{
    enc_begin(b, FRAME_JOB);
    enc_str(b, job->path);
    enc_str(b, job->rel);
    enc_str(b, job->doc_url);
    enc_str(b, job->tree_url);
    enc_str(b, job->charset);
    enc_u64(b, (uint64_t)job->max_bytes);
    enc_str(b, job->types);
    enc_u64(b, (uint64_t)(int64_t)job->limits.pdf_timeout_ms);
    enc_u64(b, (uint64_t)(int64_t)job->limits.pdf_cpu_seconds);
    enc_u64(b, (uint64_t)(int64_t)job->limits.pdf_mem_bytes);
    enc_u64(b, (uint64_t)job->limits.max_text);
    enc_str(b, job->limits.pdftotext);
    return enc_end(b);
}

/* A result as a frame in b.  0 or -1. */
static int
frame_put_result(struct strbuf *b, const struct converted *c)
{
    size_t i;

    enc_begin(b, FRAME_RESULT);
    enc_u8(b, c->ok ? 1 : 0);
    if (!c->ok) {
        enc_str(b, c->reason != NULL ? c->reason : "conversion failed");
        return enc_end(b);
    }
    enc_str(b, c->format);
    enc_str(b, c->content_type);
    enc_str(b, c->orig_sha256);
    enc_u64(b, (uint64_t)c->orig_size);
    enc_str(b, c->body_html);
    enc_str(b, c->body_sha256);
    enc_str(b, c->text);
    enc_str(b, c->title);
    enc_str(b, c->authors);
    enc_str(b, c->date);
    enc_str(b, c->language);
    enc_str(b, c->language_guess);
    enc_str(b, c->description);
    enc_str(b, c->canonical);
    enc_u32(b, (uint32_t)c->nlinks);
    for (i = 0; i < c->nlinks; i++) {
        enc_str(b, c->links[i].url);
        enc_u8(b, c->links[i].is_image ? 1 : 0);
    }
    enc_u32(b, (uint32_t)c->nsections);
    for (i = 0; i < c->nsections; i++) {
        enc_str(b, c->sections[i].anchor);
        enc_str(b, c->sections[i].heading);
        enc_str(b, c->sections[i].text);
    }
    enc_bytes(b, c->raw, c->raw_len);
    return enc_end(b);
}

/* Reading a payload: p[0..n), the next byte at `at`; err names the first
 * fault (then every later read fails too). */
struct frame_reader {
    unsigned char *p;
    size_t n, at;
    const char *err;
};

static int
dec_fail(struct frame_reader *r, const char *why)
{
    if (r->err == NULL) {
        r->err = why;
    }
    return -1;
}

static int
dec_u8(struct frame_reader *r, unsigned *v)
{
    if (r->err != NULL || r->n - r->at < 1) {
        return dec_fail(r, "truncated");
    }
    *v = r->p[r->at++];
    return 0;
}

static int
dec_u32(struct frame_reader *r, uint32_t *v)
{
    if (r->err != NULL || r->n - r->at < 4) {
        return dec_fail(r, "truncated");
    }
    *v = get_u32(r->p + r->at);
    r->at += 4;
    return 0;
}

static int
dec_u64(struct frame_reader *r, uint64_t *v)
{
    uint32_t hi, lo;

    if (dec_u32(r, &hi) < 0 || dec_u32(r, &lo) < 0) {
        return -1;
    }
    *v = ((uint64_t)hi << 32) | lo;
    return 0;
}

/* A byte string inside the frame (NULL for nil): *s points into the
 * payload, NUL-terminated.  text: it must be UTF-8 without NUL; else only
 * without NUL when cstr. */
static int
dec_bytes(struct frame_reader *r, unsigned char **s, size_t *len, int text,
          int cstr)
{
    uint32_t n;

    *s = NULL;
    *len = 0;
    if (dec_u32(r, &n) < 0) {
        return -1;
    }
    if (n == FRAME_NIL) {
        return 0;
    }
    if ((size_t)n >= r->n - r->at) {
        return dec_fail(r, "length beyond the frame");
    }
    if (r->p[r->at + n] != 0) {
        return dec_fail(r, "string not terminated");
    }
    if (text && !utf8_valid((const char *)r->p + r->at, n)) {
        return dec_fail(r, "string not UTF-8");
    }
    if (cstr && !text && memchr(r->p + r->at, 0, n) != NULL) {
        return dec_fail(r, "NUL inside a string");
    }
    *s = r->p + r->at;
    *len = n;
    r->at += (size_t)n + 1;
    return 0;
}

/* A C string inside the frame, or NULL for nil (or on error). */
static char *
dec_str(struct frame_reader *r, int text)
{
    unsigned char *s;
    size_t n;

    return dec_bytes(r, &s, &n, text, 1) < 0 ? NULL : (char *)s;
}

/* A hash of 64 lowercase hex digits into out[65]. */
static int
dec_hash(struct frame_reader *r, char out[65])
{
    const char *s = dec_str(r, 1);
    size_t i;

    if (s == NULL || strlen(s) != 64) {
        return dec_fail(r, "bad hash");
    }
    for (i = 0; i < 64; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
            return dec_fail(r, "bad hash");
        }
    }
    memcpy(out, s, 65);
    return 0;
}

/* A count of items that take at least `least` bytes each: refused when
 * the rest of the frame cannot hold them. */
static int
dec_count(struct frame_reader *r, size_t least, size_t *count)
{
    uint32_t n;

    if (dec_u32(r, &n) < 0) {
        return -1;
    }
    if (r->err == NULL && (size_t)n > (r->n - r->at) / least) {
        return dec_fail(r, "count beyond the frame");
    }
    *count = n;
    return 0;
}

static int
dec_kind(struct frame_reader *r, unsigned kind)
{
    unsigned k;

    if (dec_u8(r, &k) < 0) {
        return -1;
    }
    return k == kind ? 0 : dec_fail(r, "wrong kind of frame");
}

/* The job in the payload p[0..n) into *job, whose strings point into p.
 * 0, or -1 with *err. */
static int
frame_get_job(unsigned char *p, size_t n, struct convert_job *job,
              const char **err)
{
    struct frame_reader r = {p, n, 0, NULL};
    uint64_t mb = 0, pto = 0, pcpu = 0, pmem = 0, mtext = 0;

    memset(job, 0, sizeof(*job));
    extract_limits_default(&job->limits);
    dec_kind(&r, FRAME_JOB);
    job->path = dec_str(&r, 0);
    job->rel = dec_str(&r, 0);
    job->doc_url = dec_str(&r, 0);
    job->tree_url = dec_str(&r, 0);
    job->charset = dec_str(&r, 0);
    dec_u64(&r, &mb);
    job->types = dec_str(&r, 0);
    dec_u64(&r, &pto);
    dec_u64(&r, &pcpu);
    dec_u64(&r, &pmem);
    dec_u64(&r, &mtext);
    job->limits.pdftotext = dec_str(&r, 0);
    if (r.err == NULL && (job->path == NULL || job->rel == NULL)) {
        dec_fail(&r, "job without a path");
    }
    if (r.err == NULL && r.at != r.n) {
        dec_fail(&r, "bytes after the end");
    }
    if (r.err != NULL) {
        *err = r.err;
        return -1;
    }
    job->max_bytes = (size_t)mb;
    job->limits.pdf_timeout_ms = (long)(int64_t)pto;
    job->limits.pdf_cpu_seconds = (long)(int64_t)pcpu;
    job->limits.pdf_mem_bytes = (long)(int64_t)pmem;
    job->limits.max_text = (size_t)mtext;
    return 0;
}

/* The result in the payload p[0..n): a new struct converted that owns p
 * (its strings point into it), or NULL with *err (p is freed).  A worker
 * is not trusted: every length and count is checked against the frame. */
static struct converted *
frame_get_result(unsigned char *p, size_t n, const char **err)
{
    struct frame_reader r = {p, n, 0, NULL};
    struct converted *c = kw_calloc(1, sizeof(*c));
    unsigned ok = 0, img = 0;
    uint64_t size = 0;
    size_t i;

    if (c == NULL) {
        kw_free(p);
        *err = "out of memory";
        return NULL;
    }
    c->block = p;
    dec_kind(&r, FRAME_RESULT);
    if (dec_u8(&r, &ok) == 0 && ok > 1) {
        dec_fail(&r, "bad flag");
    }
    if (r.err == NULL && !ok) {
        if ((c->reason = dec_str(&r, 1)) == NULL) {
            dec_fail(&r, "failure without a reason");
        }
        goto end;
    }
    c->ok = 1;
    c->format = dec_str(&r, 1);
    c->content_type = dec_str(&r, 1);
    dec_hash(&r, c->orig_sha256);
    if (dec_u64(&r, &size) == 0 && size > INT64_MAX) {
        dec_fail(&r, "bad size");
    }
    c->orig_size = (int64_t)size;
    c->body_html = dec_str(&r, 1);
    dec_hash(&r, c->body_sha256);
    c->text = dec_str(&r, 1);
    c->title = dec_str(&r, 1);
    c->authors = dec_str(&r, 1);
    c->date = dec_str(&r, 1);
    c->language = dec_str(&r, 1);
    c->language_guess = dec_str(&r, 1);
    c->description = dec_str(&r, 1);
    c->canonical = dec_str(&r, 1);
    if (r.err == NULL && (c->format == NULL || c->content_type == NULL)) {
        dec_fail(&r, "result without a format");
    }
    /* a link: a string (4 + 1 bytes at least) and a flag */
    if (dec_count(&r, 6, &c->nlinks) == 0 && c->nlinks > 0 &&
        (c->links = kw_calloc(c->nlinks, sizeof(*c->links))) == NULL) {
        c->nlinks = 0;
        dec_fail(&r, "out of memory");
    }
    for (i = 0; i < c->nlinks && r.err == NULL; i++) {
        if ((c->links[i].url = dec_str(&r, 1)) == NULL) {
            dec_fail(&r, "link without a URL");
        }
        if (dec_u8(&r, &img) == 0 && img > 1) {
            dec_fail(&r, "bad flag");
        }
        c->links[i].is_image = (int)img;
    }
    /* a section: three strings, nil at least (4 bytes each) */
    if (dec_count(&r, 12, &c->nsections) == 0 && c->nsections > 0 &&
        (c->sections = kw_calloc(c->nsections, sizeof(*c->sections))) == NULL) {
        c->nsections = 0;
        dec_fail(&r, "out of memory");
    }
    for (i = 0; i < c->nsections && r.err == NULL; i++) {
        c->sections[i].anchor = dec_str(&r, 1);
        c->sections[i].heading = dec_str(&r, 1);
        c->sections[i].text = dec_str(&r, 1);
    }
    dec_bytes(&r, &c->raw, &c->raw_len, 0, 0);
end:
    if (r.err == NULL && r.at != r.n) {
        dec_fail(&r, "bytes after the end");
    }
    if (r.err != NULL) {
        *err = r.err;
        converted_free(c);
        return NULL;
    }
    return c;
}

/* Send the frame in b (made by frame_put_*).  0 or -1. */
static int
send_frame(int fd, const struct strbuf *b)
{
    return write_all(fd, b->buf, b->len);
}

/* Read the next frame's payload: 0 with *p (new, n bytes, and a NUL past
 * them), -1 on EOF or a read error, -2 when its length is over the
 * limit (nothing more is read: the stream is lost). */
static int
recv_frame(int fd, unsigned char **p, size_t *n)
{
    unsigned char hdr[4];
    uint32_t len;

    *p = NULL;
    *n = 0;
    if (read_all(fd, hdr, 4) < 0) {
        return -1;
    }
    if ((len = get_u32(hdr)) > FRAME_MAX) {
        return -2;
    }
    if ((*p = kw_malloc((size_t)len + 1)) == NULL) {
        return -1;
    }
    if (read_all(fd, *p, len) < 0) {
        kw_free(*p);
        *p = NULL;
        return -1;
    }
    (*p)[len] = 0;
    *n = len;
    return 0;
}

/* The child: apply limits, then convert jobs until the pipe closes. */
static void
worker_main(int in, int out, const struct pool_limits *lim)
{
    struct rlimit rl;
    struct strbuf out_frame = STRBUF_INIT;
    unsigned char *p;
    size_t n;

    if (lim->mem_bytes > 0) {
        rl.rlim_cur = rl.rlim_max = (rlim_t)lim->mem_bytes;
        setrlimit(RLIMIT_AS, &rl);
    }
    rl.rlim_cur = rl.rlim_max = (rlim_t)lim->stack_bytes;
    setrlimit(RLIMIT_STACK, &rl);
    rl.rlim_cur = rl.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &rl);
    while (recv_frame(in, &p, &n) == 0) {
        struct convert_job cj;
        struct rusage ru;
        struct itimerval it = {{0, 0}, {0, 0}};
        struct converted *res;
        const char *why;
        long used;

        /* The job's CPU budget counts on the kernel's profile clock
         * (ITIMER_PROF, SIGPROF ends the worker), from now.  The budget
         * was "used so far + cpu_seconds" in RLIMIT_CPU, which counts on
         * that clock too; but getrusage() reports the scheduler's exact
         * time, and on short jobs the tick-sampled profile clock runs
         * about 10% ahead of it.  A worker that had converted for some
         * 200 CPU seconds was killed in the middle of an easy job (44
         * pages of a million-page ingest).  RLIMIT_CPU stays, with room
         * for that drift, in case the timer is ever blocked: its soft
         * limit only (SIGXCPU ends the worker).  The hard limit is left as
         * inherited: raising one needs CAP_SYS_RESOURCE, which a worker
         * of an ordinary user (or of root in a container) lacks, so a
         * hard limit set at the first job stayed, and each worker died in
         * whatever job it was in once its life's CPU passed that first
         * backstop (3 pages of 300,000 on a 2-core machine). */
        it.it_value.tv_sec = lim->cpu_seconds;
        setitimer(ITIMER_PROF, &it, NULL);
        getrusage(RUSAGE_SELF, &ru);
        used = ru.ru_utime.tv_sec + ru.ru_stime.tv_sec;
        if (getrlimit(RLIMIT_CPU, &rl) == 0) {
            rlim_t want = (rlim_t)(used + used / 2 + 2 * lim->cpu_seconds + 1);

            rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || want < rl.rlim_max
                              ? want
                              : rl.rlim_max;
            setrlimit(RLIMIT_CPU, &rl);
        }
        if (frame_get_job(p, n, &cj, &why) < 0) {
            res = converted_fail("bad job");
        } else {
            res = convert_file(&cj);
        }
        it.it_value.tv_sec = 0;
        setitimer(ITIMER_PROF, &it, NULL); /* the job is done */
        if (res == NULL || frame_put_result(&out_frame, res) < 0 ||
            send_frame(out, &out_frame) < 0) {
            _exit(3);
        }
        converted_free(res);
        kw_free(p);
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
    int i;

    if (frame_put_job(&p->frame, job) < 0) {
        return -1;
    }
    for (i = 0; i < p->n; i++) {
        if (!p->w[i].busy) {
            break;
        }
    }
    if (i == p->n) {
        return -1;
    }
    /* A worker that died and could not be replaced then (no fork, no
     * descriptors): try again now, or fail this submission. */
    if (p->w[i].pid <= 0 && spawn(p, i) < 0) {
        return -1;
    }
    if (send_frame(p->w[i].to, &p->frame) < 0) {
        int sig;

        /* A worker that died while idle: replace it and retry once. */
        reap(p, i, &sig);
        if (spawn(p, i) < 0 || send_frame(p->w[i].to, &p->frame) < 0) {
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
static struct converted *
worker_failed(struct pool *p, int i, int timed_out)
{
    char why[128];
    int sig = 0;

    reap(p, i, &sig);
    if (timed_out) {
        snprintf(why, sizeof(why), "too complex: time limit (%ld ms)",
                 p->lim.wall_ms);
    } else if (sig == SIGPROF || sig == SIGXCPU || sig == SIGKILL) {
        snprintf(why, sizeof(why), "too complex: CPU limit");
    } else if (sig != 0) {
        snprintf(why, sizeof(why), "too complex: worker killed by signal %d",
                 sig);
    } else {
        snprintf(why, sizeof(why), "too complex: worker ran out of memory");
    }
    spawn(p, i);
    return converted_fail(why);
}

/* The result of worker i, which has a frame to read: the result, or a
 * failed one when the worker died or sent a malformed frame (it is
 * replaced).  NULL only when out of memory. */
static struct converted *
worker_result(struct pool *p, int i)
{
    unsigned char *buf;
    size_t n;
    const char *why = "frame too long";
    char msg[128];
    struct converted *c;
    int rc, sig;

    rc = recv_frame(p->w[i].from, &buf, &n);
    if (rc == -1) {
        return worker_failed(p, i, 0);
    }
    if (rc == 0 && (c = frame_get_result(buf, n, &why)) != NULL) {
        return c;
    }
    /* A worker that sends what no worker of ours would is not trusted
     * with another job. */
    reap(p, i, &sig);
    spawn(p, i);
    snprintf(msg, sizeof(msg), "malformed result from worker: %s", why);
    return converted_fail(msg);
}

int
pool_next(struct pool *p, struct converted **result, void **tag)
{
    struct pollfd fds[POOL_MAX];
    int idx[POOL_MAX];

    *result = NULL;
    for (;;) {
        struct timespec now;
        long wait_ms = -1;
        int n = 0, i, rc, overdue = -1;

        clock_gettime(CLOCK_MONOTONIC, &now);
        for (i = 0; i < p->n; i++) {
            long left;

            if (!p->w[i].busy) {
                continue;
            }
            left = (p->w[i].deadline.tv_sec - now.tv_sec) * 1000 +
                   (p->w[i].deadline.tv_nsec - now.tv_nsec) / 1000000L;
            if (left <= 0 && overdue < 0) {
                overdue = i;
            }
            if (wait_ms < 0 || left < wait_ms) {
                wait_ms = left < 0 ? 0 : left;
            }
            fds[n].fd = p->w[i].from;
            fds[n].events = POLLIN;
            idx[n] = i;
            n++;
        }
        if (n == 0) {
            return 0;
        }
        /* A result waiting in a pipe is read before any deadline is
         * judged: a caller that was busy elsewhere past a deadline must
         * not fail a job its worker finished in time. */
        rc = poll(fds, (nfds_t)n,
                  overdue >= 0 ? 0 : (int)(wait_ms > 1000 ? 1000 : wait_ms));
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
            *result = worker_result(p, w);
            return *result != NULL ? 1 : -1;
        }
        if (overdue >= 0) {
            *tag = p->w[overdue].tag;
            p->w[overdue].busy = 0;
            *result = worker_failed(p, overdue, 1);
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
    strbuf_free(&p->frame);
    kw_free(p);
}
