/*
 * check_pool: the worker pool's frames (ingest/pool.c), compiled in here
 * to reach its static codec: a job and a struct converted come back equal
 * through a pipe, and every malformed frame a broken or hostile worker
 * could send is refused (a per-file error) instead of read out of bounds.
 */
#include "../ingest/pool.c"
#include "checkmain.h"

#include <check.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "fsutil.h"

/* kill() as the pool calls it: a call for pid -1 or 0 (every process we
 * may signal, or our whole group) is recorded and not made; the rest go
 * to the kernel. */
static int wild_kills;

int
kill(pid_t pid, int sig)
{
    if (pid == -1 || pid == 0) {
        wild_kills++;
        return 0;
    }
    return (int)syscall(SYS_kill, pid, sig);
}

/* A pipe; frames in these tests stay far below its 64 KiB buffer. */
static int fds[2];

static void
setup(void)
{
    ck_assert_int_eq(pipe(fds), 0);
}

static void
teardown(void)
{
    close(fds[0]);
    close(fds[1]);
}

/* A string of n bytes of c (new). */
static char *
long_string(size_t n, char c)
{
    char *s = kw_malloc(n + 1);

    ck_assert_ptr_nonnull(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* A result with every field set, long and short strings, Hangul, a NULL
 * anchor and heading, and raw bytes with a NUL in them. */
static struct converted *
sample(void)
{
    struct converted *c = kw_calloc(1, sizeof(*c));

    ck_assert_ptr_nonnull(c);
    c->ok = 1;
    c->format = kw_strdup("pdf");
    c->content_type = kw_strdup("application/pdf");
    memset(c->orig_sha256, 'a', 64);
    memset(c->body_sha256, '0', 64);
    c->orig_size = 5000000000LL;
    c->body_html = long_string(70000, 'b');
    c->text = kw_strdup("\xed\x95\x9c\xea\xb8\x80 text");
    c->title = kw_strdup("A title");
    c->date = kw_strdup("2024-01-02");
    c->language_guess = kw_strdup("ko");
    c->canonical = kw_strdup("http://x/a");
    c->nlinks = 2;
    c->links = kw_calloc(2, sizeof(*c->links));
    c->links[0].url = kw_strdup("http://x/b");
    c->links[1].url = kw_strdup("http://x/i.png");
    c->links[1].is_image = 1;
    c->nsections = 2;
    c->sections = kw_calloc(2, sizeof(*c->sections));
    c->sections[0].text = long_string(3000, 'c');
    c->sections[1].anchor = kw_strdup("s1");
    c->sections[1].heading = kw_strdup("One");
    c->sections[1].text = kw_strdup("");
    c->raw = (unsigned char *)kw_strndup("%PDF\0x", 6);
    c->raw_len = 6;
    return c;
}

static void
str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        ck_assert_ptr_eq(a, b);
    } else {
        ck_assert_str_eq(a, b);
    }
}

static void
same_result(const struct converted *a, const struct converted *b)
{
    size_t i;

    ck_assert_int_eq(a->ok, b->ok);
    str_eq(a->reason, b->reason);
    str_eq(a->format, b->format);
    str_eq(a->content_type, b->content_type);
    if (a->ok) {
        ck_assert_str_eq(a->orig_sha256, b->orig_sha256);
        ck_assert_str_eq(a->body_sha256, b->body_sha256);
    }
    ck_assert(a->orig_size == b->orig_size);
    str_eq(a->body_html, b->body_html);
    str_eq(a->text, b->text);
    str_eq(a->title, b->title);
    str_eq(a->authors, b->authors);
    str_eq(a->date, b->date);
    str_eq(a->language, b->language);
    str_eq(a->language_guess, b->language_guess);
    str_eq(a->description, b->description);
    str_eq(a->canonical, b->canonical);
    ck_assert_uint_eq(a->nlinks, b->nlinks);
    for (i = 0; i < a->nlinks; i++) {
        str_eq(a->links[i].url, b->links[i].url);
        ck_assert_int_eq(a->links[i].is_image, b->links[i].is_image);
    }
    ck_assert_uint_eq(a->nsections, b->nsections);
    for (i = 0; i < a->nsections; i++) {
        str_eq(a->sections[i].anchor, b->sections[i].anchor);
        str_eq(a->sections[i].heading, b->sections[i].heading);
        str_eq(a->sections[i].text, b->sections[i].text);
    }
    ck_assert_uint_eq(a->raw_len, b->raw_len);
    ck_assert((a->raw == NULL) == (b->raw == NULL));
    if (a->raw != NULL) {
        ck_assert_int_eq(memcmp(a->raw, b->raw, a->raw_len), 0);
    }
}

/* Frame c and decode the frame's payload, as the writer would. */
static struct converted *
through(const struct converted *c, const char **why)
{
    struct strbuf b = STRBUF_INIT;
    unsigned char *p;
    size_t n;

    ck_assert_int_eq(frame_put_result(&b, c), 0);
    n = b.len - 4;
    ck_assert_uint_eq(get_u32((unsigned char *)b.buf), n);
    p = kw_malloc(n + 1);
    ck_assert_ptr_nonnull(p);
    memcpy(p, b.buf + 4, n);
    p[n] = 0;
    strbuf_free(&b);
    return frame_get_result(p, n, why);
}

START_TEST(test_roundtrip)
{
    struct converted *c = sample(), *f = converted_fail("too large: 9 bytes");
    struct converted *r;
    const char *why = NULL;

    r = through(c, &why);
    ck_assert_msg(r != NULL, "%s", why);
    same_result(c, r);
    converted_free(r);
    r = through(f, &why);
    ck_assert_msg(r != NULL, "%s", why);
    same_result(f, r);
    converted_free(r);
    converted_free(c);
    converted_free(f);
}
END_TEST

START_TEST(test_job_roundtrip)
{
    struct convert_job job, back;
    struct strbuf b = STRBUF_INIT;
    unsigned char *p;
    size_t n;
    const char *why = NULL;

    memset(&job, 0, sizeof(job));
    job.path = "/tmp/t/a b.html";
    job.rel = "a b.html";
    job.doc_url = "http://x/a%20b.html";
    job.tree_url = "http://x/";
    job.max_bytes = 1 << 20;
    job.types = "html text";
    extract_limits_default(&job.limits);
    job.limits.pdf_mem_bytes = -1;
    ck_assert_int_eq(frame_put_job(&b, &job), 0);
    ck_assert_int_eq(send_frame(fds[1], &b), 0);
    strbuf_free(&b);
    ck_assert_int_eq(recv_frame(fds[0], &p, &n), 0);
    ck_assert_int_eq(frame_get_job(p, n, &back, &why), 0);
    ck_assert_str_eq(back.path, job.path);
    ck_assert_str_eq(back.rel, job.rel);
    ck_assert_str_eq(back.doc_url, job.doc_url);
    ck_assert_str_eq(back.tree_url, job.tree_url);
    ck_assert_ptr_null(back.charset);
    ck_assert_str_eq(back.types, job.types);
    ck_assert_uint_eq(back.max_bytes, job.max_bytes);
    ck_assert_int_eq(back.limits.pdf_timeout_ms, job.limits.pdf_timeout_ms);
    ck_assert_int_eq(back.limits.pdf_cpu_seconds, job.limits.pdf_cpu_seconds);
    ck_assert_int_eq(back.limits.pdf_mem_bytes, -1);
    ck_assert_uint_eq(back.limits.max_text, job.limits.max_text);
    str_eq(back.limits.pdftotext, job.limits.pdftotext);
    /* a job is not a result */
    ck_assert_ptr_null(frame_get_result(p, n, &why));
    ck_assert_str_eq(why, "wrong kind of frame");
}
END_TEST

/* Write a frame by hand: the length, then the payload. */
static void
raw_frame(const void *payload, size_t n)
{
    unsigned char b[4];

    put_u32(b, (uint32_t)n);
    ck_assert_int_eq(write_all(fds[1], b, 4), 0);
    if (n > 0) {
        ck_assert_int_eq(write_all(fds[1], payload, n), 0);
    }
}

/* Read the next frame and decode it as a result: NULL with *why when it
 * is refused. */
static struct converted *
read_result(const char **why)
{
    unsigned char *p;
    size_t n;

    *why = NULL;
    ck_assert_int_eq(recv_frame(fds[0], &p, &n), 0);
    return frame_get_result(p, n, why);
}

START_TEST(test_hand_made)
{
    static const char ok[] = "R\0\0\0\0\3abc";
    struct converted *r;
    const char *why;

    /* a well-formed frame written by hand reads back */
    raw_frame(ok, sizeof(ok));
    r = read_result(&why);
    ck_assert_msg(r != NULL, "%s", why);
    ck_assert_int_eq(r->ok, 0);
    ck_assert_str_eq(r->reason, "abc");
    converted_free(r);
}
END_TEST

START_TEST(test_length_beyond_frame)
{
    /* the reason says 4 bytes, the frame holds 3 and a NUL */
    static const char bad[] = "R\0\0\0\0\4abc";
    const char *why;

    raw_frame(bad, sizeof(bad));
    ck_assert_ptr_null(read_result(&why));
    ck_assert_str_eq(why, "length beyond the frame");
}
END_TEST

START_TEST(test_not_terminated)
{
    static const char bad[] = "R\0\0\0\0\2abc";
    const char *why;

    raw_frame(bad, sizeof(bad) - 1);
    ck_assert_ptr_null(read_result(&why));
    ck_assert_str_eq(why, "string not terminated");
}
END_TEST

START_TEST(test_invalid_utf8)
{
    static const char bad[] = "R\0\0\0\0\2\xc3\x28";
    static const char nul[] = "R\0\0\0\0\3a\0b";
    const char *why;

    raw_frame(bad, sizeof(bad));
    ck_assert_ptr_null(read_result(&why));
    ck_assert_str_eq(why, "string not UTF-8");
    raw_frame(nul, sizeof(nul));
    ck_assert_ptr_null(read_result(&why));
    ck_assert_str_eq(why, "string not UTF-8");
}
END_TEST

/* Counts no frame can hold, in the sample without links, sections or raw
 * bytes, whose last 12 bytes are the two counts and the nil. */
START_TEST(test_bad_counts)
{
    struct converted *c = sample();
    struct strbuf b = STRBUF_INIT;
    unsigned char *p;
    size_t n, at;
    const char *why;

    for (n = 0; n < c->nlinks; n++) {
        kw_free(c->links[n].url);
    }
    kw_free(c->links);
    c->links = NULL;
    c->nlinks = 0;
    for (n = 0; n < c->nsections; n++) {
        kw_free(c->sections[n].anchor);
        kw_free(c->sections[n].heading);
        kw_free(c->sections[n].text);
    }
    kw_free(c->sections);
    c->sections = NULL;
    c->nsections = 0;
    kw_free(c->raw);
    c->raw = NULL;
    c->raw_len = 0;
    ck_assert_int_eq(frame_put_result(&b, c), 0);
    n = b.len - 4;
    at = n - 12; /* nlinks, nsections, raw (nil) */
    /* links: 2^32 - 2 of them; sections: 2^31 */
    p = kw_malloc(n + 1);
    memcpy(p, b.buf + 4, n);
    put_u32(p + at, 0xfffffffeu);
    ck_assert_ptr_null(frame_get_result(p, n, &why));
    ck_assert_str_eq(why, "count beyond the frame");
    p = kw_malloc(n + 1);
    memcpy(p, b.buf + 4, n);
    put_u32(p + at + 4, 0x80000000u);
    ck_assert_ptr_null(frame_get_result(p, n, &why));
    ck_assert_str_eq(why, "count beyond the frame");
    /* one link announced, none there */
    p = kw_malloc(n + 1);
    memcpy(p, b.buf + 4, n);
    put_u32(p + at, 1);
    ck_assert_ptr_null(frame_get_result(p, n, &why));
    /* bytes after the end */
    p = kw_malloc(n + 2);
    memcpy(p, b.buf + 4, n);
    p[n] = 0;
    ck_assert_ptr_null(frame_get_result(p, n + 1, &why));
    ck_assert_str_eq(why, "bytes after the end");
    strbuf_free(&b);
    converted_free(c);
}
END_TEST

START_TEST(test_lengths_past_the_limit)
{
    unsigned char b[4], *p;
    size_t n;

    /* refused before anything that large is allocated or read */
    put_u32(b, FRAME_MAX + 1);
    ck_assert_int_eq(write_all(fds[1], b, 4), 0);
    ck_assert_int_eq(recv_frame(fds[0], &p, &n), -2);
    ck_assert_ptr_null(p);
}
END_TEST

START_TEST(test_truncated)
{
    struct converted *c = sample();
    struct strbuf b = STRBUF_INIT;
    unsigned char hdr[4], *p;
    size_t n, k;
    const char *why;

    /* every prefix of a good payload is refused, and never read past (a
     * copy of exactly k bytes: ASan sees any over-read) */
    kw_free(c->body_html);
    c->body_html = kw_strdup("<p>short</p>");
    ck_assert_int_eq(frame_put_result(&b, c), 0);
    n = b.len - 4;
    for (k = 0; k < n; k++) {
        p = kw_malloc(k ? k : 1);
        memcpy(p, b.buf + 4, k);
        ck_assert_ptr_null(frame_get_result(p, k, &why));
        ck_assert_ptr_nonnull(why);
    }
    /* a stream that ends inside a frame is EOF, not a frame */
    put_u32(hdr, 10);
    ck_assert_int_eq(write_all(fds[1], hdr, 4), 0);
    ck_assert_int_eq(write_all(fds[1], "short", 5), 0);
    close(fds[1]);
    fds[1] = open("/dev/null", O_WRONLY);
    ck_assert_int_eq(recv_frame(fds[0], &p, &k), -1);
    strbuf_free(&b);
    converted_free(c);
}
END_TEST

START_TEST(test_every_byte)
{
    struct converted *c = sample(), *r;
    struct strbuf b = STRBUF_INIT;
    unsigned char *p;
    size_t n, k;
    const char *why;

    /* each byte of a good payload changed: refused or decoded, never a
     * crash or an over-read */
    kw_free(c->body_html);
    c->body_html = kw_strdup("<p>short</p>");
    kw_free(c->sections[0].text);
    c->sections[0].text = kw_strdup("t");
    ck_assert_int_eq(frame_put_result(&b, c), 0);
    n = b.len - 4;
    for (k = 0; k < n; k++) {
        p = kw_malloc(n);
        memcpy(p, b.buf + 4, n);
        p[k] ^= 0xff;
        r = frame_get_result(p, n, &why);
        converted_free(r);
    }
    strbuf_free(&b);
    converted_free(c);
}
END_TEST

/* A job on a small text file of ours. */
static void
text_job(struct convert_job *job, char *path, size_t n)
{
    FILE *f;

    snprintf(path, n, "/tmp/kwpool-%ld.txt", (long)getpid());
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("A title\n\nsome text\n", f);
    fclose(f);
    memset(job, 0, sizeof(*job));
    job->path = path;
    job->rel = "a.txt";
    job->max_bytes = 1 << 20;
    job->types = "text";
    job->doc_url = "http://kwangmyong.invalid/c/t/a.txt";
    job->tree_url = "http://kwangmyong.invalid/c/t/";
    extract_limits_default(&job->limits);
}

/* An HTML page of n paragraphs at path (for a job that costs CPU in
 * proportion to n: no nesting, nothing the precheck refuses). */
static void
write_paragraphs(const char *path, long n)
{
    FILE *f = fopen(path, "w");
    long i;

    ck_assert_ptr_nonnull(f);
    fputs("<html><head><title>T</title></head><body>\n", f);
    for (i = 0; i < n; i++) {
        fprintf(f,
                "<p>paragraph %ld, <b>some</b> words and a <a href=\"p%ld."
                "html\">link</a></p>\n",
                i, i);
    }
    fputs("</body></html>\n", f);
    fclose(f);
}

/* Job turned into one of an HTML page of any size at its path
 * (write_paragraphs). */
static void
html_job(struct convert_job *job)
{
    job->rel = "a.html";
    job->types = "html";
    job->max_bytes = (size_t)1 << 30;
}

/* This process's CPU time in seconds. */
static double
cpu_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A worker's CPU budget holds for each job from the job's start: one
 * worker converts jobs of about a quarter of its 1 s budget each, five
 * times the budget in all, and none is cut; one job of four budgets is
 * ("too complex: CPU limit").  Regressions: the budget was RLIMIT_CPU at
 * "CPU used so far + budget", which the kernel checks on a clock that
 * runs ahead of getrusage's, and workers that had run long were killed
 * in easy jobs; then the backstop RLIMIT_CPU set its hard limit at each
 * job, which a process without CAP_SYS_RESOURCE cannot raise again, and
 * a worker died in the job during which its CPU passed the first job's
 * backstop (3 s here).  The jobs' sizes come from one conversion timed here, so
 * the test asks the same of a slow machine or a sanitizer build. */
START_TEST(test_cpu_budget_per_job)
{
    struct pool_limits lim;
    struct convert_job job;
    struct converted *res;
    struct pool *p;
    char err[256], path[64];
    const long probe = 2000;
    double t0, per;
    long n, heavy;
    void *tag;
    int i;

    text_job(&job, path, sizeof(path));
    html_job(&job);
    write_paragraphs(path, probe);
    /* The fastest of three: the first conversion of a process pays for
     * what it sets up once, and an inflated probe would shrink the job
     * meant to pass the budget. */
    per = 1.0;
    for (i = 0; i < 3; i++) {
        t0 = cpu_now();
        res = convert_file(&job);
        t0 = (cpu_now() - t0) / (double)probe;
        ck_assert_msg(res != NULL && res->ok, "%s", res ? res->reason : "");
        converted_free(res);
        if (t0 < per) {
            per = t0;
        }
    }
    if (per < 1e-7) {
        per = 1e-7;
    }
    pool_limits_default(&lim);
    lim.cpu_seconds = 1;
    lim.mem_bytes = 0;
    ck_assert_int_eq(pool_start(1, &lim, &p, err, sizeof(err)), 0);
    n = (long)(0.25 / per);
    write_paragraphs(path, n);
    for (i = 0; i < 20; i++) {
        ck_assert_int_eq(pool_submit(p, &job, (void *)(intptr_t)(i + 1)), 0);
        ck_assert_int_eq(pool_next(p, &res, &tag), 1);
        ck_assert_msg(res->ok, "job %d of %ld paragraphs: %s", i, n,
                      res->reason);
        converted_free(res);
    }
    /* Four budgets' worth, under the sanitizer's element limit (three
     * elements a paragraph: past it the page is refused before any CPU is
     * spent).  A machine so fast that the limit comes first skips this. */
    heavy = 4 * n < 300000 ? 4 * n : 300000;
    if ((double)heavy * per >= 1.5) {
        write_paragraphs(path, heavy);
        ck_assert_int_eq(pool_submit(p, &job, (void *)21), 0);
        ck_assert_int_eq(pool_next(p, &res, &tag), 1);
        ck_assert_msg(!res->ok && strstr(res->reason, "CPU limit") != NULL,
                      "a job of %ld paragraphs: %s", heavy,
                      res->ok ? "converted" : res->reason);
        converted_free(res);
    }
    pool_stop(p);
    unlink(path);
    ck_assert_int_eq(wild_kills, 0);
}
END_TEST

/* A job whose worker finished in time is not failed because the caller
 * came for its result after the wall-clock deadline (regression: the
 * deadlines were judged before the pipes were read, so a parent busy
 * with a long commit turned finished jobs into "time limit"); a job
 * still running past it is. */
START_TEST(test_result_after_deadline)
{
    struct pool_limits lim;
    struct convert_job job;
    struct converted *res;
    struct pool *p;
    char err[256], path[64];
    void *tag;

    pool_limits_default(&lim);
    lim.wall_ms = 300;
    ck_assert_int_eq(pool_start(1, &lim, &p, err, sizeof(err)), 0);
    text_job(&job, path, sizeof(path));
    ck_assert_int_eq(pool_submit(p, &job, (void *)1), 0);
    usleep(800 * 1000); /* the caller is elsewhere past the deadline */
    ck_assert_int_eq(pool_next(p, &res, &tag), 1);
    ck_assert_ptr_eq(tag, (void *)1);
    ck_assert_msg(res->ok, "%s", res->reason);
    converted_free(res);
    /* A job of some seconds is still cut at the deadline. */
    html_job(&job);
    write_paragraphs(path, 250000);
    ck_assert_int_eq(pool_submit(p, &job, (void *)2), 0);
    ck_assert_int_eq(pool_next(p, &res, &tag), 1);
    ck_assert_ptr_eq(tag, (void *)2);
    ck_assert_msg(!res->ok && strstr(res->reason, "time limit") != NULL, "%s",
                  res->ok ? "converted" : res->reason);
    converted_free(res);
    pool_stop(p);
    unlink(path);
    ck_assert_int_eq(wild_kills, 0);
}
END_TEST

/* A worker that died and could not be replaced (fork or pipe failed)
 * leaves a slot without a process: the next submission must start one or
 * fail, never kill(-1) nor write to a closed descriptor (regression: it
 * killed every process of the user and wrote job frames to whatever file
 * reused the descriptor). */
START_TEST(test_dead_slot)
{
    struct pool_limits lim;
    struct convert_job job;
    struct pool *p;
    struct rlimit rl, low;
    char err[256], path[64];
    struct converted *res;
    void *tag;
    int sig;

    pool_limits_default(&lim);
    ck_assert_int_eq(pool_start(1, &lim, &p, err, sizeof(err)), 0);
    text_job(&job, path, sizeof(path));
    /* the worker is gone and its respawn failed */
    reap(p, 0, &sig);
    ck_assert_int_eq(p->w[0].pid, -1);
    /* with descriptors to spare a new worker is started */
    ck_assert_int_eq(pool_submit(p, &job, (void *)1), 0);
    ck_assert_int_gt(p->w[0].pid, 0);
    ck_assert_int_eq(pool_next(p, &res, &tag), 1);
    ck_assert_ptr_eq(tag, (void *)1);
    ck_assert_msg(res->ok, "%s", res->reason);
    converted_free(res);
    /* without any, the submission fails cleanly */
    reap(p, 0, &sig);
    ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    low = rl;
    low.rlim_cur = (rlim_t)dup(0); /* the lowest free descriptor */
    close((int)low.rlim_cur);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
    ck_assert_int_eq(pool_submit(p, &job, (void *)2), -1);
    ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
    ck_assert_int_eq(p->w[0].pid, -1);
    ck_assert_int_eq(pool_busy(p), 0);
    ck_assert_int_eq(pool_submit(p, &job, (void *)3), 0);
    ck_assert_int_eq(pool_next(p, &res, &tag), 1);
    ck_assert(res->ok);
    converted_free(res);
    pool_stop(p);
    unlink(path);
    ck_assert_int_eq(wild_kills, 0);
}
END_TEST

/* A directory of the tree swapped for a symlink after the walk: the
 * worker must not read through it (regression: convert_file opened the
 * whole path, following the swapped directory out of the tree). */
START_TEST(test_tree_escape)
{
    char dir[] = "/tmp/kwpoolXXXXXX", path[512], sub[128], out[128], cmd[512];
    struct convert_job job;
    struct converted *res;
    FILE *f;
    char *data;
    size_t len;

    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(sub, sizeof(sub), "%s/tree/sub", dir);
    snprintf(out, sizeof(out), "%s/outside", dir);
    snprintf(path, sizeof(path), "%s/tree", dir);
    ck_assert_int_eq(mkdir(path, 0700), 0);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_int_eq(mkdir(out, 0700), 0);
    snprintf(path, sizeof(path), "%s/a.txt", sub);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("Inside\n\ntext\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/a.txt", out);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("Outside secret\n\ntext\n", f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/tree/sub/a.txt", dir);
    memset(&job, 0, sizeof(job));
    job.path = path;
    job.rel = "sub/a.txt";
    job.doc_url = "http://kwangmyong.invalid/c/t/sub/a.txt";
    job.tree_url = "http://kwangmyong.invalid/c/t/";
    job.max_bytes = 1 << 20;
    job.types = "text";
    extract_limits_default(&job.limits);
    res = convert_file(&job);
    ck_assert(res->ok);
    ck_assert_str_eq(res->title, "Inside");
    converted_free(res);
    /* swap tree/sub for a link to outside/ */
    snprintf(cmd, sizeof(cmd), "%s/tree/sub.real", dir);
    ck_assert_int_eq(rename(sub, cmd), 0);
    ck_assert_int_eq(symlink(out, sub), 0);
    res = convert_file(&job);
    ck_assert_msg(!res->ok, "read through the swapped directory: %s",
                  res->title);
    ck_assert_ptr_nonnull(strstr(res->reason, "cannot open"));
    converted_free(res);
    /* the writer's reads of assets and PDF originals too */
    ck_assert_int_eq(fs_read_tree_file(path, "sub/a.txt", 1 << 20, &data, &len),
                     -1);
    ck_assert_int_eq(errno == ELOOP || errno == ENOTDIR, 1);
    /* a file given alone, or a link in the root the operator named, is
     * opened as before */
    snprintf(cmd, sizeof(cmd), "%s/tree/sub.real/a.txt", dir);
    ck_assert_int_eq(fs_read_tree_file(cmd, "a.txt", 1 << 20, &data, &len), 0);
    kw_free(data);
    snprintf(cmd, sizeof(cmd), "%s/tree/sub/a.txt", dir);
    ck_assert_int_eq(fs_read_tree_file(cmd, "a.txt", 1 << 20, &data, &len), 0);
    ck_assert_ptr_nonnull(strstr(data, "Outside"));
    kw_free(data);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* A worker that answers with a malformed frame: that one file fails with
 * a clear reason, the worker is replaced, and the next job goes through. */
START_TEST(test_malformed_from_worker)
{
    static const char bad[] = "R\1\0\0\0\7pdf";
    struct pool_limits lim;
    struct convert_job job;
    struct converted *res;
    struct pool *p;
    char err[256], path[64];
    pid_t old;
    void *tag;

    pool_limits_default(&lim);
    ck_assert_int_eq(pool_start(1, &lim, &p, err, sizeof(err)), 0);
    ck_assert_int_eq(pipe(fds), 0);
    /* the worker's answers come from our pipe instead */
    close(p->w[0].from);
    p->w[0].from = fds[0];
    old = p->w[0].pid;
    raw_frame(bad, sizeof(bad));
    res = worker_result(p, 0);
    ck_assert_ptr_nonnull(res);
    ck_assert_int_eq(res->ok, 0);
    ck_assert_str_eq(res->reason,
                     "malformed result from worker: length beyond the frame");
    converted_free(res);
    ck_assert_int_gt(p->w[0].pid, 0);
    ck_assert_int_ne(p->w[0].pid, old);
    close(fds[1]);
    text_job(&job, path, sizeof(path));
    ck_assert_int_eq(pool_submit(p, &job, (void *)7), 0);
    ck_assert_int_eq(pool_next(p, &res, &tag), 1);
    ck_assert_ptr_eq(tag, (void *)7);
    ck_assert_msg(res->ok, "%s", res->reason);
    ck_assert_str_eq(res->title, "A title");
    converted_free(res);
    pool_stop(p);
    unlink(path);
}
END_TEST

static Suite *
pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("frames");
    TCase *workers = tcase_create("workers");

    tcase_set_timeout(workers, 60);

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_job_roundtrip);
    tcase_add_test(tc, test_hand_made);
    tcase_add_test(tc, test_length_beyond_frame);
    tcase_add_test(tc, test_not_terminated);
    tcase_add_test(tc, test_invalid_utf8);
    tcase_add_test(tc, test_bad_counts);
    tcase_add_test(tc, test_lengths_past_the_limit);
    tcase_add_test(tc, test_truncated);
    tcase_add_test(tc, test_every_byte);
    suite_add_tcase(s, tc);
    tcase_add_test(workers, test_dead_slot);
    tcase_add_test(workers, test_result_after_deadline);
    tcase_add_test(workers, test_cpu_budget_per_job);
    tcase_add_test(workers, test_tree_escape);
    tcase_add_test(workers, test_malformed_from_worker);
    suite_add_tcase(s, workers);
    return s;
}

int
main(void)
{
    return check_main(pool_suite());
}
