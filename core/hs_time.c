/* hs_time.c: the monotonic clock (hs_time.h). */
#include <time.h>

#include "hs_time.h"

int64_t
hs_time_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
