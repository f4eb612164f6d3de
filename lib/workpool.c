/*
 * workpool: bounded job queue and its threads (see workpool.h).  Layer:
 * lib/; libc and pthreads only.  The queue is a ring of qcap slots under
 * one mutex; idle threads wait on one condition variable.
 */
#include "workpool.h"

#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"

struct job {
    workpool_fn fn;
    void *arg;
    int first; /* submitted with workpool_submit_first */
};

struct workpool {
    pthread_mutex_t mu;
    pthread_cond_t more;
    struct job *ring;
    size_t cap, head, n;
    size_t running;
    int stopping;
    int nice_incr;
    int nthreads;
    pthread_t *threads;
};

static void *
worker(void *arg)
{
    struct workpool *p = arg;

    if (p->nice_incr > 0) {
        /* Linux keeps a nice value per thread: this lowers only ours.
         * An increment on what the process already has (a server started
         * under nice 10 must not see its pool raised to 5). */
        id_t tid = (id_t)syscall(SYS_gettid);
        int cur;

        errno = 0;
        cur = getpriority(PRIO_PROCESS, tid);
        if (errno == 0) {
            (void)setpriority(PRIO_PROCESS, tid,
                              cur + p->nice_incr > 19 ? 19
                                                      : cur + p->nice_incr);
        }
    }
    pthread_mutex_lock(&p->mu);
    for (;;) {
        struct job j;

        while (p->n == 0 && !p->stopping) {
            pthread_cond_wait(&p->more, &p->mu);
        }
        if (p->n == 0) {
            break; /* stopping, nothing left */
        }
        j = p->ring[p->head];
        p->head = (p->head + 1) % p->cap;
        p->n--;
        if (p->stopping) {
            pthread_mutex_unlock(&p->mu);
            j.fn(j.arg, 1);
            pthread_mutex_lock(&p->mu);
            continue;
        }
        p->running++;
        pthread_mutex_unlock(&p->mu);
        j.fn(j.arg, 0);
        pthread_mutex_lock(&p->mu);
        p->running--;
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

struct workpool *
workpool_new(int nthreads, size_t qcap, int nice_incr)
{
    struct workpool *p;
    int i;

    if (nthreads < 1 || qcap < 1) {
        return NULL;
    }
    p = kw_calloc(1, sizeof(*p));
    if (p == NULL) {
        return NULL;
    }
    p->ring = kw_calloc(qcap, sizeof(*p->ring));
    p->threads = kw_calloc((size_t)nthreads, sizeof(*p->threads));
    if (p->ring == NULL || p->threads == NULL) {
        kw_free(p->ring);
        kw_free(p->threads);
        kw_free(p);
        return NULL;
    }
    p->cap = qcap;
    p->nice_incr = nice_incr;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->more, NULL);
    for (i = 0; i < nthreads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0) {
            break;
        }
        p->nthreads++;
    }
    if (p->nthreads == 0) {
        workpool_free(p);
        return NULL;
    }
    return p;
}

int
workpool_submit(struct workpool *p, workpool_fn fn, void *arg)
{
    int rc = -1;

    pthread_mutex_lock(&p->mu);
    if (!p->stopping && p->n < p->cap) {
        p->ring[(p->head + p->n) % p->cap] = (struct job){fn, arg, 0};
        p->n++;
        rc = 0;
        pthread_cond_signal(&p->more);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

int
workpool_submit_first(struct workpool *p, workpool_fn fn, void *arg,
                      void **evicted)
{
    size_t k, i;
    int rc = -1;

    *evicted = NULL;
    pthread_mutex_lock(&p->mu);
    if (!p->stopping && p->n == p->cap) {
        /* Full: the newest job that did not go first leaves; the jobs
         * behind it close up. */
        for (k = p->n; k-- > 0;) {
            if (!p->ring[(p->head + k) % p->cap].first) {
                break;
            }
        }
        if (k < p->n) {
            *evicted = p->ring[(p->head + k) % p->cap].arg;
            for (i = k; i + 1 < p->n; i++) {
                p->ring[(p->head + i) % p->cap] =
                    p->ring[(p->head + i + 1) % p->cap];
            }
            p->n--;
        }
    }
    if (!p->stopping && p->n < p->cap) {
        p->head = (p->head + p->cap - 1) % p->cap;
        p->ring[p->head] = (struct job){fn, arg, 1};
        p->n++;
        rc = 0;
        pthread_cond_signal(&p->more);
    }
    pthread_mutex_unlock(&p->mu);
    return rc;
}

size_t
workpool_waiting(struct workpool *p)
{
    size_t n;

    pthread_mutex_lock(&p->mu);
    n = p->n;
    pthread_mutex_unlock(&p->mu);
    return n;
}

size_t
workpool_running(struct workpool *p)
{
    size_t n;

    pthread_mutex_lock(&p->mu);
    n = p->running;
    pthread_mutex_unlock(&p->mu);
    return n;
}

void
workpool_free(struct workpool *p)
{
    int i;

    if (p == NULL) {
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->stopping = 1;
    pthread_cond_broadcast(&p->more);
    pthread_mutex_unlock(&p->mu);
    for (i = 0; i < p->nthreads; i++) {
        pthread_join(p->threads[i], NULL);
    }
    pthread_cond_destroy(&p->more);
    pthread_mutex_destroy(&p->mu);
    kw_free(p->ring);
    kw_free(p->threads);
    kw_free(p);
}
