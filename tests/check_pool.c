/*
 * check_pool: the worker pool's frames (ingest/pool.c), compiled in here
 * to reach its static framing functions: long strings travel beside the
 * JSON and come back equal, and every malformed frame a broken or hostile
 * worker could send is refused instead of read out of bounds.
 */
#include "../ingest/pool.c"

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

/* A string of n bytes of c. */
static json_t *
long_string(size_t n, char c)
{
    char *s = kw_malloc(n);
    json_t *j;

    ck_assert_ptr_nonnull(s);
    memset(s, c, n);
    j = json_stringn(s, n);
    kw_free(s);
    return j;
}

START_TEST(test_roundtrip)
{
    json_t *j = json_object(), *a = json_array(), *copy, *r;

    json_object_set_new(j, "short", json_string("x"));
    json_object_set_new(j, "body", long_string(BLOB_MIN, 'b'));
    json_object_set_new(j, "just_short", long_string(BLOB_MIN - 1, 's'));
    json_array_append_new(a, long_string(5000, 'a'));
    json_array_append_new(a, json_pack("[s]", "inner"));
    json_array_append_new(a, json_pack("[o]", long_string(3000, 'c')));
    json_array_append_new(a, json_string("\xed\x95\x9c\xea\xb8\x80"));
    json_object_set_new(j, "sections", a);
    json_object_set_new(j, "n", json_integer(5));
    copy = json_deep_copy(j);
    ck_assert_int_eq(send_frame(fds[1], j), 0);
    json_decref(j);
    r = recv_frame(fds[0]);
    ck_assert_ptr_nonnull(r);
    ck_assert(json_equal(r, copy));
    json_decref(r);
    json_decref(copy);
}
END_TEST

/* Write a frame by hand: JSON text, then nb strings of lens[] bytes taken
 * from data in turn. */
static void
raw_frame(const char *json, uint32_t nb, const uint32_t *lens, const char *data,
          size_t ndata)
{
    unsigned char b[4];
    uint32_t i;

    put_u32(b, (uint32_t)strlen(json));
    ck_assert_int_eq(write_all(fds[1], b, 4), 0);
    ck_assert_int_eq(write_all(fds[1], json, strlen(json)), 0);
    put_u32(b, nb);
    ck_assert_int_eq(write_all(fds[1], b, 4), 0);
    for (i = 0; i < nb && lens != NULL; i++) {
        put_u32(b, lens[i]);
        ck_assert_int_eq(write_all(fds[1], b, 4), 0);
    }
    if (ndata > 0) {
        ck_assert_int_eq(write_all(fds[1], data, ndata), 0);
    }
}

START_TEST(test_hand_made)
{
    static const uint32_t three[] = {3};
    json_t *r;

    /* a well-formed frame written by hand reads back */
    raw_frame("{\"a\":{\"\\u0001\":0}}", 1, three, "abc", 3);
    r = recv_frame(fds[0]);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(json_string_value(json_object_get(r, "a")), "abc");
    json_decref(r);
}
END_TEST

START_TEST(test_index_out_of_range)
{
    static const uint32_t three[] = {3};

    raw_frame("{\"a\":{\"\\u0001\":1}}", 1, three, "abc", 3);
    ck_assert_ptr_null(recv_frame(fds[0]));
}
END_TEST

START_TEST(test_negative_index)
{
    static const uint32_t three[] = {3};

    raw_frame("[{\"\\u0001\":-1}]", 1, three, "abc", 3);
    ck_assert_ptr_null(recv_frame(fds[0]));
}
END_TEST

START_TEST(test_invalid_utf8)
{
    static const uint32_t two[] = {2};

    raw_frame("[{\"\\u0001\":0}]", 1, two, "\xc3\x28", 2);
    ck_assert_ptr_null(recv_frame(fds[0]));
}
END_TEST

START_TEST(test_too_many_strings)
{
    raw_frame("[]", BLOB_MAX + 1, NULL, NULL, 0);
    ck_assert_ptr_null(recv_frame(fds[0]));
}
END_TEST

START_TEST(test_lengths_past_the_limit)
{
    static const uint32_t huge[] = {FRAME_MAX, 1};

    /* refused before anything that large is allocated or read */
    raw_frame("[]", 2, huge, NULL, 0);
    ck_assert_ptr_null(recv_frame(fds[0]));
}
END_TEST

START_TEST(test_truncated)
{
    static const uint32_t ten[] = {10};

    raw_frame("[{\"\\u0001\":0}]", 1, ten, "short", 5);
    close(fds[1]);
    fds[1] = open("/dev/null", O_WRONLY);
    ck_assert_ptr_null(recv_frame(fds[0]));
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
    json_t *res;
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
    ck_assert_msg(json_is_true(json_object_get(res, "ok")), "%s",
                  json_string_value(json_object_get(res, "reason")));
    json_decref(res);
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
    ck_assert(json_is_true(json_object_get(res, "ok")));
    json_decref(res);
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
    json_t *res;
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
    ck_assert(json_is_true(json_object_get(res, "ok")));
    ck_assert_str_eq(json_string_value(json_object_get(res, "title")),
                     "Inside");
    json_decref(res);
    /* swap tree/sub for a link to outside/ */
    snprintf(cmd, sizeof(cmd), "%s/tree/sub.real", dir);
    ck_assert_int_eq(rename(sub, cmd), 0);
    ck_assert_int_eq(symlink(out, sub), 0);
    res = convert_file(&job);
    ck_assert_msg(!json_is_true(json_object_get(res, "ok")),
                  "read through the swapped directory: %s",
                  json_string_value(json_object_get(res, "title")));
    ck_assert_ptr_nonnull(strstr(
        json_string_value(json_object_get(res, "reason")), "cannot open"));
    json_decref(res);
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

static Suite *
pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("frames");
    TCase *workers = tcase_create("workers");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_roundtrip);
    tcase_add_test(tc, test_hand_made);
    tcase_add_test(tc, test_index_out_of_range);
    tcase_add_test(tc, test_negative_index);
    tcase_add_test(tc, test_invalid_utf8);
    tcase_add_test(tc, test_too_many_strings);
    tcase_add_test(tc, test_lengths_past_the_limit);
    tcase_add_test(tc, test_truncated);
    suite_add_tcase(s, tc);
    tcase_add_test(workers, test_dead_slot);
    tcase_add_test(workers, test_tree_escape);
    suite_add_tcase(s, workers);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(pool_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
