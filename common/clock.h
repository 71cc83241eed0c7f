#ifndef RG_CLOCK_H
#define RG_CLOCK_H
/*
 * clock.h — the monotonic clock, for timeouts, deadlines and latencies
 * (never for what a log line or a protocol calls "now": that is time()).
 */
#include <stdint.h>
#include <time.h>

static inline uint64_t rg_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int64_t rg_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
