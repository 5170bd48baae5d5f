/* hs_stamp.c: the build step of the integrity test (fips/hs_fips.h). Run by CMake on each program
 * right after it is linked: writes HMAC-SHA-256 of the file into the program's placeholder. */
#include <stdio.h>
#include <stdlib.h>

#include "hs_crypto.h"
#include "hs_fips.h"

int
main(int argc, char **argv)
{
	FILE *f;
	long len;
	uint8_t *image;
	int rc = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: hs_stamp PROGRAM\n");
		return 2;
	}
	if ((f = fopen(argv[1], "r+b")) == NULL || fseek(f, 0, SEEK_END) != 0 ||
	    (len = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0) {
		perror(argv[1]);
		return 1;
	}
	if ((image = malloc((size_t)len)) != NULL && fread(image, 1, (size_t)len, f) == (size_t)len &&
	    hs_crypto_init() == HS_OK && hs_fips_integrity_stamp(image, (size_t)len) == HS_OK &&
	    fseek(f, 0, SEEK_SET) == 0 && fwrite(image, 1, (size_t)len, f) == (size_t)len)
		rc = 0;
	else
		fprintf(stderr, "hs_stamp: %s: no single integrity placeholder, or I/O error\n",
		    argv[1]);
	if (fclose(f) != 0)
		rc = 1;
	free(image);
	return rc;
}
