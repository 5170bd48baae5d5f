/* test_bcrypt.c: Blowfish (Eric Young's ECB vectors from Schneier's vectors.txt) and bcrypt_pbkdf
 * (OpenBSD's regress vectors). Vectors are read at run time from $HS_SRCDIR/vectors/bcrypt_pbkdf/. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hs_blowfish.h"

#define MAXLINE	2048

static FILE *
open_vectors(const char *name)
{
	const char *src = getenv("HS_SRCDIR");
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/vectors/bcrypt_pbkdf/%s", src ? src : ".", name);
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s (set HS_SRCDIR)", path);
	return f;
}

/* Decode hex text into out (at most max bytes); returns the byte count. */
static size_t
unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex) / 2, i;
	unsigned v;

	assert_true(n <= max);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	return n;
}

static void
test_blowfish_ecb(void **state)
{
	char line[MAXLINE], k[64], p[64], c[64];
	uint8_t key[8], blk[8], want[8], plain[8];
	struct hs_blowfish bf;
	FILE *f = open_vectors("blowfish_ecb.txt");
	int n = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || sscanf(line, "%63s %63s %63s", k, p, c) != 3)
			continue;
		assert_int_equal(unhex(k, key, sizeof(key)), 8);
		assert_int_equal(unhex(p, plain, sizeof(plain)), 8);
		assert_int_equal(unhex(c, want, sizeof(want)), 8);
		assert_int_equal(hs_blowfish_setkey(&bf, key, sizeof(key)), HS_OK);
		memcpy(blk, plain, 8);
		hs_blowfish_ecb_encrypt(&bf, blk);
		assert_memory_equal(blk, want, 8);
		hs_blowfish_ecb_decrypt(&bf, blk);
		assert_memory_equal(blk, plain, 8);
		n++;
	}
	fclose(f);
	assert_true(n >= 5);
}

static void
test_blowfish_key_bounds(void **state)
{
	struct hs_blowfish bf;
	uint8_t key[73] = { 0 };

	assert_int_equal(hs_blowfish_setkey(&bf, key, 0), HS_ERR_FORMAT);
	assert_int_equal(hs_blowfish_setkey(&bf, key, 73), HS_ERR_FORMAT);
	assert_int_equal(hs_blowfish_setkey(&bf, key, 72), HS_OK);
}

static void
test_pbkdf_vectors(void **state)
{
	static char line[MAXLINE], ph[MAXLINE], sh[MAXLINE], oh[MAXLINE];
	uint8_t pass[1024], salt[64], want[128], got[128];
	size_t pl, sl, ol;
	unsigned rounds;
	FILE *f = open_vectors("openbsd.txt");
	int n = 0;

	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || sscanf(line, "%2047s %2047s %u %2047s", ph, sh, &rounds, oh) != 4)
			continue;
		pl = unhex(ph, pass, sizeof(pass));
		sl = unhex(sh, salt, sizeof(salt));
		ol = unhex(oh, want, sizeof(want));
		memset(got, 0xa5, sizeof(got));
		assert_int_equal(hs_bcrypt_pbkdf(pass, pl, salt, sl, got, ol, rounds), HS_OK);
		assert_memory_equal(got, want, ol);
		/* nothing written past keylen */
		assert_int_equal(got[ol], 0xa5);
		n++;
	}
	fclose(f);
	assert_int_equal(n, 9);
}

/* A one-bit change of the passphrase or salt changes the key. */
static void
test_pbkdf_sensitivity(void **state)
{
	uint8_t a[48], b[48], c[48];
	uint8_t salt[16] = { 1, 2, 3 };

	assert_int_equal(hs_bcrypt_pbkdf((const uint8_t *)"secret", 6, salt, 16, a, 48, 2), HS_OK);
	assert_int_equal(hs_bcrypt_pbkdf((const uint8_t *)"secreu", 6, salt, 16, b, 48, 2), HS_OK);
	salt[15] ^= 1;
	assert_int_equal(hs_bcrypt_pbkdf((const uint8_t *)"secret", 6, salt, 16, c, 48, 2), HS_OK);
	assert_memory_not_equal(a, b, 48);
	assert_memory_not_equal(a, c, 48);
}

static void
test_pbkdf_bad_args(void **state)
{
	uint8_t out[8], salt[4] = { 0 };

	memset(out, 0xff, sizeof(out));
	assert_int_equal(hs_bcrypt_pbkdf((const uint8_t *)"p", 1, salt, 4, out, 8, 0), HS_ERR_FORMAT);
	assert_true(out[0] == 0 && out[7] == 0);
	assert_int_equal(hs_bcrypt_pbkdf((const uint8_t *)"p", 0, salt, 4, out, 8, 1), HS_ERR_FORMAT);
	assert_int_equal(hs_bcrypt_pbkdf((const uint8_t *)"p", 1, salt, 0, out, 8, 1), HS_ERR_FORMAT);
	assert_int_equal(hs_bcrypt_pbkdf((const uint8_t *)"p", 1, salt, 4, out, 0, 1), HS_ERR_FORMAT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_blowfish_ecb),
		cmocka_unit_test(test_blowfish_key_bounds),
		cmocka_unit_test(test_pbkdf_vectors),
		cmocka_unit_test(test_pbkdf_sensitivity),
		cmocka_unit_test(test_pbkdf_bad_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
