/* fips_mode.c: is the system in FIPS mode? (issue 6). The kernel says so in
 * /proc/sys/crypto/fips_enabled ("1"); FIPSMode yes in sshd_config / ssh_config also turns it on. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "hs_fips.h"

#define FIPS_ENABLED_FILE	"/proc/sys/crypto/fips_enabled"

/* The file to read: a test build lets HS_FIPS_ENABLED_FILE point elsewhere. */
static const char *
fips_enabled_file(void)
{
#ifdef HS_FIPS_TEST_HOOKS
	const char *e = getenv("HS_FIPS_ENABLED_FILE");

	if (e != NULL && e[0] != '\0')
		return e;
#endif
	return FIPS_ENABLED_FILE;
}

bool
hs_fips_mode_system(void)
{
	FILE *f = fopen(fips_enabled_file(), "r");
	int ch;

	if (f == NULL)
		return false;
	ch = fgetc(f);
	fclose(f);
	return ch == '1';
}
