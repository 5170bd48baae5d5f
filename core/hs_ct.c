/* hs_ct.c: constant-time helpers. */
#include "hs_ct.h"

bool
hs_ct_memeq(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i] ^ y[i];
	/* CT: fold the accumulated difference without a data-dependent branch. */
	return ((uint32_t)d - 1) >> 31;
}

bool
hs_ct_is_zero(const void *p, size_t n)
{
	const volatile uint8_t *x = p;
	uint8_t d = 0;

	for (size_t i = 0; i < n; i++)
		d |= x[i];
	return ((uint32_t)d - 1) >> 31;
}
