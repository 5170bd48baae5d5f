/* bench_clock.h: the clocks both signing benchmarks read (header-only; bench/ programs only). */
#ifndef HS_BENCH_CLOCK_H
#define HS_BENCH_CLOCK_H

#include <time.h>

static inline double
bench_clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall time (monotonic). */
static inline double
now_s(void)
{
	return bench_clock_s(CLOCK_MONOTONIC);
}

/* CPU time of the whole process (every thread; softhsm2 signs in the calling thread): on a
 * machine shared with other jobs it counts the signing work, not the waiting for a CPU. */
static inline double
cpu_s(void)
{
	return bench_clock_s(CLOCK_PROCESS_CPUTIME_ID);
}

#endif
