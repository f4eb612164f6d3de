/*
 * check_workpool: the bounded job pool the server runs searches and logins
 * on (lib/workpool.c): every job runs once, a full queue refuses at once,
 * stopping cancels what never started and lets running jobs finish, and
 * the threads run at the lower priority asked for.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "checkmain.h"
#include "workpool.h"

static atomic_int ran, cancelled, nice_seen;
static pthread_mutex_t gate_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_cv = PTHREAD_COND_INITIALIZER;
static int gate_open;
static atomic_int started;

static void
count_job(void *arg, int was_cancelled)
{
    (void)arg;
    if (was_cancelled) {
        atomic_fetch_add(&cancelled, 1);
    } else {
        atomic_fetch_add(&ran, 1);
    }
}

/* Blocks until the gate opens; notes the thread's nice value. */
static void
gated_job(void *arg, int was_cancelled)
{
    (void)arg;
    if (was_cancelled) {
        atomic_fetch_add(&cancelled, 1);
        return;
    }
    atomic_store(&nice_seen,
                 getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid)));
    atomic_fetch_add(&started, 1);
    pthread_mutex_lock(&gate_mu);
    while (!gate_open) {
        pthread_cond_wait(&gate_cv, &gate_mu);
    }
    pthread_mutex_unlock(&gate_mu);
    atomic_fetch_add(&ran, 1);
}

static void
reset(void)
{
    atomic_store(&ran, 0);
    atomic_store(&cancelled, 0);
    atomic_store(&started, 0);
    gate_open = 0;
}

static void
open_gate(void)
{
    pthread_mutex_lock(&gate_mu);
    gate_open = 1;
    pthread_cond_broadcast(&gate_cv);
    pthread_mutex_unlock(&gate_mu);
}

static void *
open_gate_thread(void *arg)
{
    (void)arg;
    usleep(200000); /* let workpool_free begin stopping first */
    open_gate();
    return NULL;
}

static void
wait_started(int n)
{
    while (atomic_load(&started) < n) {
        usleep(1000);
    }
}

START_TEST(test_every_job_runs_once)
{
    struct workpool *p = workpool_new(3, 1000, 0);
    int i;

    reset();
    ck_assert_ptr_nonnull(p);
    for (i = 0; i < 1000; i++) {
        ck_assert_int_eq(workpool_submit(p, count_job, NULL), 0);
    }
    while (atomic_load(&ran) < 1000) {
        usleep(1000);
    }
    workpool_free(p);
    ck_assert_int_eq(atomic_load(&ran), 1000);
    ck_assert_int_eq(atomic_load(&cancelled), 0);
}
END_TEST

/* The job that ran, in order. */
static atomic_int order[8], norder;

static void
mark_job(void *arg, int was_cancelled)
{
    if (!was_cancelled) {
        atomic_store(&order[atomic_fetch_add(&norder, 1) % 8],
                     (int)(intptr_t)arg);
    }
    count_job(arg, was_cancelled);
}

/* A job that must go first gets in even when the queue is full: the
 * newest ordinary job leaves (not called: the caller answers it), the
 * first ones run before the rest; when every waiting job went first, the
 * next is refused. */
START_TEST(test_first_evicts_newest)
{
    struct workpool *p = workpool_new(1, 3, 0);
    void *ev = (void *)1;
    int i;

    reset();
    atomic_store(&norder, 0);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(workpool_submit(p, gated_job, NULL), 0);
    wait_started(1);
    for (i = 1; i <= 3; i++) {
        ck_assert_int_eq(workpool_submit(p, mark_job, (void *)(intptr_t)i), 0);
    }
    ck_assert_int_eq(workpool_submit(p, mark_job, (void *)4), -1);
    /* full: 3, the newest ordinary job, makes room */
    ck_assert_int_eq(workpool_submit_first(p, mark_job, (void *)10, &ev), 0);
    ck_assert_ptr_eq(ev, (void *)3);
    ck_assert_uint_eq(workpool_waiting(p), 3);
    /* then 2 */
    ck_assert_int_eq(workpool_submit_first(p, mark_job, (void *)11, &ev), 0);
    ck_assert_ptr_eq(ev, (void *)2);
    ck_assert_int_eq(workpool_submit_first(p, mark_job, (void *)12, &ev), 0);
    ck_assert_ptr_eq(ev, (void *)1);
    /* every waiting job went first: refused, nothing evicted */
    ck_assert_int_eq(workpool_submit_first(p, mark_job, (void *)13, &ev), -1);
    ck_assert_ptr_null(ev);
    open_gate();
    while (atomic_load(&ran) < 4) {
        usleep(1000);
    }
    workpool_free(p);
    /* the first ones, newest first (each went ahead of all waiting) */
    ck_assert_int_eq(atomic_load(&norder), 3);
    ck_assert_int_eq(atomic_load(&order[0]), 12);
    ck_assert_int_eq(atomic_load(&order[1]), 11);
    ck_assert_int_eq(atomic_load(&order[2]), 10);
    ck_assert_int_eq(atomic_load(&cancelled), 0);
}
END_TEST

START_TEST(test_full_queue_refuses)
{
    struct workpool *p = workpool_new(2, 3, 0);
    int i;

    reset();
    ck_assert_ptr_nonnull(p);
    /* Two jobs hold both threads; three wait; the sixth is refused. */
    for (i = 0; i < 2; i++) {
        ck_assert_int_eq(workpool_submit(p, gated_job, NULL), 0);
    }
    wait_started(2);
    ck_assert_uint_eq(workpool_running(p), 2);
    for (i = 0; i < 3; i++) {
        ck_assert_int_eq(workpool_submit(p, gated_job, NULL), 0);
    }
    ck_assert_uint_eq(workpool_waiting(p), 3);
    ck_assert_int_eq(workpool_submit(p, gated_job, NULL), -1);
    open_gate();
    while (atomic_load(&ran) < 5) {
        usleep(1000);
    }
    /* Room again once the queue drained. */
    ck_assert_int_eq(workpool_submit(p, count_job, NULL), 0);
    while (atomic_load(&ran) < 6) {
        usleep(1000);
    }
    workpool_free(p);
    ck_assert_int_eq(atomic_load(&cancelled), 0);
}
END_TEST

START_TEST(test_stop_cancels_waiting)
{
    struct workpool *p = workpool_new(1, 10, 0);
    pthread_t opener;
    int i;

    reset();
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(workpool_submit(p, gated_job, NULL), 0);
    wait_started(1);
    for (i = 0; i < 4; i++) {
        ck_assert_int_eq(workpool_submit(p, gated_job, NULL), 0);
    }
    /* The running job finishes once the gate opens; the four waiting
     * ones are cancelled, never run. */
    ck_assert_int_eq(pthread_create(&opener, NULL, open_gate_thread, NULL), 0);
    workpool_free(p);
    pthread_join(opener, NULL);
    ck_assert_int_eq(atomic_load(&ran), 1);
    ck_assert_int_eq(atomic_load(&cancelled), 4);
}
END_TEST

START_TEST(test_lower_priority)
{
    struct workpool *p;
    int base = getpriority(PRIO_PROCESS, 0);

    reset();
    p = workpool_new(1, 2, 5);
    ck_assert_ptr_nonnull(p);
    ck_assert_int_eq(workpool_submit(p, gated_job, NULL), 0);
    wait_started(1);
    open_gate();
    workpool_free(p);
    ck_assert_int_eq(atomic_load(&nice_seen), base + 5 > 19 ? 19 : base + 5);
    /* The calling thread keeps its own. */
    ck_assert_int_eq(getpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid)),
                     base);
}
END_TEST

START_TEST(test_bad_arguments)
{
    ck_assert_ptr_null(workpool_new(0, 1, 0));
    ck_assert_ptr_null(workpool_new(1, 0, 0));
    workpool_free(NULL);
}
END_TEST

static Suite *
workpool_suite(void)
{
    Suite *s = suite_create("workpool");
    TCase *tc = tcase_create("core");

    tcase_add_test(tc, test_every_job_runs_once);
    tcase_add_test(tc, test_full_queue_refuses);
    tcase_add_test(tc, test_first_evicts_newest);
    tcase_add_test(tc, test_stop_cancels_waiting);
    tcase_add_test(tc, test_lower_priority);
    tcase_add_test(tc, test_bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    return check_main(workpool_suite());
}
