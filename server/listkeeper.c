/*
 * listkeeper: the server keeps search's impact lists fresh
 * (listkeeper.h).  Layer: server/.
 */
#include "listkeeper.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "clock.h"
#include "db.h"
#include "impact.h"
#include "log.h"

/* The thread's niceness: a build is minutes of one core at a million
 * documents, and requests come first. */
#define LISTKEEPER_NICE 10

struct listkeeper {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* on CLOCK_MONOTONIC */
    int stop;
    long interval; /* seconds */
    struct db *db;
};

static int
stop_asked(void *ctx)
{
    struct listkeeper *k = ctx;
    int stop;

    pthread_mutex_lock(&k->mu);
    stop = k->stop;
    pthread_mutex_unlock(&k->mu);
    return stop;
}

/* Wait for the interval or the stop: 1 when stopped. */
static int
nap(struct listkeeper *k)
{
    struct timespec until;
    int stop;

    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += k->interval;
    pthread_mutex_lock(&k->mu);
    while (!k->stop &&
           pthread_cond_timedwait(&k->cv, &k->mu, &until) != ETIMEDOUT) {
    }
    stop = k->stop;
    pthread_mutex_unlock(&k->mu);
    return stop;
}

static void *
run(void *arg)
{
    struct listkeeper *k = arg;
    struct impact_online o;

#ifdef SYS_gettid
    /* On Linux a thread has its own nice value. */
    if (setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), LISTKEEPER_NICE) !=
        0) {
        LOG_DEBUG("impact lists: nice: %s", strerror(errno));
    }
#endif
    memset(&o, 0, sizeof(o));
    o.between = stop_asked;
    o.ctx = k;
    while (!nap(k)) {
        long long t0 = clock_now_ms();
        long n = impact_refresh(k->db, &o);

        if (n > 0) {
            LOG_INFO("search impact lists rebuilt: %ld lists in %.1f s", n,
                     (double)(clock_now_ms() - t0) / 1000.0);
        } else if (n == IMPACT_GAVE_WAY) {
            LOG_INFO("search impact lists: left to a newer build");
        } else if (n < 0 && !stop_asked(k)) {
            LOG_WARN("search impact lists not rebuilt: %s (tried again in "
                     "%ld s)",
                     db_errmsg(k->db), k->interval);
        }
    }
    return NULL;
}

int
listkeeper_start(const struct config *cfg, const char *data_dir,
                 struct listkeeper **out, char *err, size_t errlen)
{
    struct listkeeper *k;
    struct db_error dberr;
    pthread_condattr_t ca;
    int rc;

    *out = NULL;
    if (cfg->lists_interval <= 0) {
        return 0;
    }
    if ((k = kw_calloc(1, sizeof(*k))) == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    k->interval = cfg->lists_interval;
    if (db_open_writer(cfg, data_dir, &k->db, &dberr) < 0) {
        snprintf(err, errlen, "%s", dberr.msg);
        kw_free(k);
        return -1;
    }
    pthread_mutex_init(&k->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&k->cv, &ca);
    pthread_condattr_destroy(&ca);
    if ((rc = pthread_create(&k->th, NULL, run, k)) != 0) {
        snprintf(err, errlen, "thread: %s", strerror(rc));
        pthread_cond_destroy(&k->cv);
        pthread_mutex_destroy(&k->mu);
        db_close(k->db);
        kw_free(k);
        return -1;
    }
    *out = k;
    return 0;
}

void
listkeeper_stop(struct listkeeper *k)
{
    if (k == NULL) {
        return;
    }
    pthread_mutex_lock(&k->mu);
    k->stop = 1;
    pthread_cond_signal(&k->cv);
    pthread_mutex_unlock(&k->mu);
    /* A statement of the build (the vocabulary's scan takes a minute at
     * a million documents) ends now, not when it would have. */
    db_cancel(k->db);
    pthread_join(k->th, NULL);
    pthread_cond_destroy(&k->cv);
    pthread_mutex_destroy(&k->mu);
    db_close(k->db);
    kw_free(k);
}
