/*
 * workpool: a fixed set of threads taking jobs from a bounded queue.
 * Layer: lib/, libc and pthreads only.  The server runs searches on one
 * (server/http.c), so that a flood of costly searches fills this queue,
 * not the HTTP threads that serve pages, static files and admin requests.
 *
 * Admission is the queue bound: workpool_submit() refuses a job when the
 * queue is full, and the caller answers "busy" at once instead of making
 * the client wait.  Threads may run at a lower priority (nice) than the
 * rest of the process, so that on a machine with as many search threads as
 * cores the HTTP threads still get the CPU first.
 */
#ifndef KW_WORKPOOL_H
#define KW_WORKPOOL_H

#include <stddef.h>

/* A job: fn(arg, cancelled).  cancelled is 1 when the pool is stopping
 * and the job never got to run: it must then finish quickly (answer
 * "unavailable") and free what it owns, exactly as after a run. */
typedef void (*workpool_fn)(void *arg, int cancelled);

struct workpool;

/* Start nthreads threads (>= 1) with room for qcap (>= 1) waiting jobs;
 * nice_incr > 0 lowers their scheduling priority by that much (Linux
 * per-thread nice; ignored where it fails).  NULL when out of memory or
 * when no thread could start. */
struct workpool *workpool_new(int nthreads, size_t qcap, int nice_incr);

/* Queue fn(arg).  0, or -1 when the queue is full or the pool stopping
 * (fn is then not called: the caller still owns arg). */
int workpool_submit(struct workpool *p, workpool_fn fn, void *arg);

/* workpool_submit, but ahead of every job waiting: for the few that must
 * not wait behind a flood (a login from an address with no failures).
 * A full queue does not refuse it while a job submitted the ordinary way
 * waits: the newest such job makes room, taken out without being called,
 * and its arg is stored in *evicted for the caller to answer as refused
 * (else *evicted is NULL).  0, or -1 when every waiting job went first
 * too or the pool is stopping (the caller still owns arg). */
int workpool_submit_first(struct workpool *p, workpool_fn fn, void *arg,
                          void **evicted);

/* Jobs waiting (not yet started) and jobs running, for /metrics. */
size_t workpool_waiting(struct workpool *p);
size_t workpool_running(struct workpool *p);

/* Stop: jobs still waiting are called with cancelled = 1, running ones
 * finish, the threads are joined and the pool freed.  NULL is a no-op. */
void workpool_free(struct workpool *p);

#endif
