/* hs_mem.c: wiping and checked allocation. */
#include <stdlib.h>
#include <string.h>

#include "hs_mem.h"

void
hs_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void
hs_free_wiped(void *p, size_t n)
{
	if (p == NULL)
		return;
	hs_wipe(p, n);
	free(p);
}

void *
hs_calloc(size_t n, size_t size)
{
	if (size != 0 && n > (size_t)-1 / size)
		return NULL;
	return calloc(n ? n : 1, size ? size : 1);
}

char *
hs_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}
