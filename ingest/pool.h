/*
 * pool: worker processes that run convert_file() under resource limits
 * (hostile-world trap 6: gumbo is super-linear on hostile input).
 * Layer: ingest/.  The parent sends each job as a frame down a pipe and
 * reads the worker's struct converted back as a frame (one codec for
 * both, in pool.c); a worker that dies (CPU, memory or wall-clock limit,
 * crash) or sends a malformed frame fails that one job with a reason and
 * is replaced.  Only the parent touches the database.
 */
#ifndef KW_POOL_H
#define KW_POOL_H

#include "convert.h"

struct pool_limits {
    long cpu_seconds; /* per job */
    long mem_bytes;   /* address space of a worker (0: no limit) */
    long stack_bytes; /* stack of a worker */
    long wall_ms;     /* per job, enforced by the parent */
};

struct pool;

void pool_limits_default(struct pool_limits *l);
/* Fork `n` workers.  0 with *out (new), or -1 with a message. */
int pool_start(int n, const struct pool_limits *lim, struct pool **out,
               char *err, size_t errlen);
/* 1 when a worker is free to take a job. */
int pool_has_idle(const struct pool *p);
/* 1 when some job is still running. */
int pool_busy(const struct pool *p);
/* Hand a job to an idle worker; tag comes back with its result. */
int pool_submit(struct pool *p, const struct convert_job *job, void *tag);
/* Wait for one result: 1 with *result (new, converted_free: as
 * convert_file made it, or not ok with the reason when the worker died or
 * sent a malformed frame) and *tag; 0 when no job is running; -1 on a
 * system error or when out of memory. */
int pool_next(struct pool *p, struct converted **result, void **tag);
/* Stop and reap every worker. */
void pool_stop(struct pool *p);

#endif
