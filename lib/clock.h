/*
 * clock: the monotonic clock in milliseconds, for deadlines and for
 * measuring how long something took.  Layer: lib/, libc only.  Monotonic,
 * never the wall clock: a clock set back by NTP must not stretch a
 * deadline or make a duration negative.
 */
#ifndef KW_CLOCK_H
#define KW_CLOCK_H

/* Milliseconds of CLOCK_MONOTONIC (from an arbitrary start: only
 * differences mean something). */
long long clock_now_ms(void);

#endif
