/* hs_mem.h: wiping and checked allocation. */
#ifndef HS_MEM_H
#define HS_MEM_H

#include <stddef.h>

/* Overwrite n bytes at p with zeros in a way the compiler may not elide. p may be NULL if n is 0. */
void hs_wipe(void *p, size_t n);

/* Wipe n bytes at p, then free it. p may be NULL. */
void hs_free_wiped(void *p, size_t n);

/* calloc that returns NULL on overflow of n * size. */
void *hs_calloc(size_t n, size_t size);

/* strdup; NULL on allocation failure or NULL input. */
char *hs_strdup(const char *s);

#endif
