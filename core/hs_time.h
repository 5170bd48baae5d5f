/* hs_time.h: the one monotonic clock deadlines and rate bounds are measured on. */
#ifndef HS_TIME_H
#define HS_TIME_H

#include <stdint.h>

/* Milliseconds on CLOCK_MONOTONIC (unaffected by changes of the wall clock). */
int64_t hs_time_ms(void);

#endif
