/* fips_run.h: what the self-test runner (fips_selftest.c) shares with the report. */
#ifndef HS_FIPS_RUN_H
#define HS_FIPS_RUN_H

#include <stdint.h>

#include "hs_fips.h"

/* The self-tests in run order: the software integrity test first ("integrity", when the build
 * stamped this program; ISO/IEC 19790 7.10.2 puts it before the other pre-operational tests),
 * then the KAT table. hs_fips_rows gives the count, hs_fips_row(i) row i (NULL past the end). */
size_t hs_fips_rows(void);
const struct hs_fips_kat *hs_fips_row(size_t i);

/* CLOCK_MONOTONIC in microseconds. */
uint64_t hs_fips_now_usec(void);

/* Run one KAT row and time it; res receives the row's name, backend, approval, verdict, the
 * error its run() returned (HS_OK on a pass) and the wall time. Does not enter the error state:
 * the caller decides what a failure means. */
void hs_fips_run_one(const struct hs_fips_kat *k, struct hs_fips_result *res);

#endif
