/* hs_ct.h: constant-time helpers (STYLE.md section 7). */
#ifndef HS_CT_H
#define HS_CT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True iff the n bytes at a and b are equal. Time depends only on n. */
bool hs_ct_memeq(const void *a, const void *b, size_t n);

/* True iff all n bytes at p are zero. Time depends only on n. */
bool hs_ct_is_zero(const void *p, size_t n);

#endif
