/*
 * waits.h - the service threads' clock and timed waits (the EVE writer, the Redis store, the
 * alert sinks). They run on wall-clock time, not packet time: they are about the network and
 * the disk, not the traffic.
 */
#ifndef APIWATCH_WAITS_H
#define APIWATCH_WAITS_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Monotonic microseconds, for timeouts and backoff. */
static inline uint64_t aw_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* pthread_cond_timedwait for at most us microseconds (cv on the default, real-time clock);
 * mu is held. Returns its result. */
static inline int aw_cond_wait_us(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t us)
{
	struct timespec ts;
	uint64_t t;

	clock_gettime(CLOCK_REALTIME, &ts);
	t = (uint64_t)ts.tv_nsec + us % 1000000u * 1000u;
	ts.tv_sec += (time_t)(us / 1000000u + t / 1000000000u);
	ts.tv_nsec = (long)(t % 1000000000u);
	return pthread_cond_timedwait(cv, mu, &ts);
}

#endif
