/* test_fips_kat.c: the known-answer tests of the power-on self-test (fips/fips_kat.c): every row
 * passes, the compiled-in vectors (fips/fips_kat_data.c) equal the files in vectors/fips/, and
 * with the test hooks built in (HS_FIPS_TEST_HOOKS) corrupting one row's expected value fails
 * exactly that row; without them HS_FIPS_CORRUPT is ignored.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "testvec.h"

#include "fips_kat_impl.h"
#include "hs_crypto.h"
#include "hs_fips.h"

#define NROWS	28

/* Which vectors/fips/ file holds which family, and where its byte-string fields live. */
#define F(type, field)	{ #field, offsetof(struct type, field) }
struct fam {
	const char *file;
	struct {
		const char *name;
		size_t off;
	} f[9];
};
static const struct fam fams[] = {
	{ "fips/sha.txt", { F(kat_hash, msg), F(kat_hash, md) } },
	{ "fips/hmac.txt", { F(kat_hmac, key), F(kat_hmac, data), F(kat_hmac, mac) } },
	{ "fips/aes_gcm.txt", { F(kat_cipher, key), F(kat_cipher, iv), F(kat_cipher, aad),
	    F(kat_cipher, pt), F(kat_cipher, ct), F(kat_cipher, tag) } },
	{ "fips/aes_ctr.txt", { F(kat_cipher, key), F(kat_cipher, iv), F(kat_cipher, aad),
	    F(kat_cipher, pt), F(kat_cipher, ct), F(kat_cipher, tag) } },
	{ "fips/ssh_kdf.txt", { F(kat_kdf, k), F(kat_kdf, h), F(kat_kdf, sid), F(kat_kdf, out) } },
	{ "fips/ecdsa.txt", { F(kat_ecdsa, d), F(kat_ecdsa, q), F(kat_ecdsa, msg), F(kat_ecdsa, r),
	    F(kat_ecdsa, s) } },
	{ "fips/ecdh.txt", { F(kat_ecdh, d), F(kat_ecdh, peer), F(kat_ecdh, z) } },
	{ "fips/dh.txt", { F(kat_dh, p), F(kat_dh, g), F(kat_dh, x), F(kat_dh, gx), F(kat_dh, y),
	    F(kat_dh, z) } },
	{ "fips/rsa.txt", { F(kat_rsa, n), F(kat_rsa, e), F(kat_rsa, d), F(kat_rsa, p), F(kat_rsa, q),
	    F(kat_rsa, iqmp), F(kat_rsa, msg), F(kat_rsa, sig) } },
	{ "fips/ed25519.txt", { F(kat_ed25519, seed), F(kat_ed25519, pub), F(kat_ed25519, msg),
	    F(kat_ed25519, sig) } },
	{ "fips/x25519.txt", { F(kat_x25519, scalar), F(kat_x25519, u), F(kat_x25519, out) } },
	{ "fips/hash_drbg.txt", { F(kat_drbg, seed), F(kat_drbg, out) } },
};

static int
setup(void **state)
{
	unsetenv("HS_FIPS_CORRUPT");
	return hs_crypto_init() == HS_OK ? 0 : -1;
}

static const struct hs_fips_kat *
row_by_name(const char *name)
{
	size_t n;
	const struct hs_fips_kat *k = hs_fips_kats(&n);

	for (size_t i = 0; i < n; i++)
		if (strcmp(k[i].name, name) == 0)
			return &k[i];
	return NULL;
}

static uint64_t
now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* (1) Every row passes, names are unique, the backend is "soft", and only Ed25519 and X25519 are
 * marked non-approved. */
static void
test_all_pass(void **state)
{
	size_t n;
	const struct hs_fips_kat *k = hs_fips_kats(&n);
	uint64_t t0, total;

	assert_int_equal(n, NROWS);
	assert_string_equal(k[0].name, "SHA-256");
	assert_string_equal(k[n - 1].name, "Hash_DRBG");
	for (size_t i = 0; i < n; i++) {
		bool na = strncmp(k[i].name, "Ed25519", 7) == 0 || strcmp(k[i].name, "X25519") == 0;

		assert_non_null(k[i].run);
		assert_non_null(k[i].data);
		assert_string_equal(k[i].backend, "soft");
		assert_int_equal(k[i].approved, !na);
		assert_ptr_equal(row_by_name(k[i].name), &k[i]);
	}
	t0 = now_usec();
	for (size_t i = 0; i < n; i++) {
		hs_err r = k[i].run(&k[i]);

		if (r != HS_OK)
			fail_msg("KAT %s: %s", k[i].name, hs_err_str(r));
	}
	total = now_usec() - t0;
	fprintf(stderr, "all %zu KATs: %llu us (this build)\n", n, (unsigned long long)total);
	/* Twice in a row: no row leaves state behind that changes the next run. */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(k[i].run(&k[i]), HS_OK);
}

static void
check_record(const struct fam *fm, const struct vec *v, const struct hs_fips_kat *k)
{
	int fields = 1;	/* "kat" */

	for (int j = 0; j < 9 && fm->f[j].name != NULL; j++) {
		const struct kat_bin *b = (const void *)((const char *)k->data + fm->f[j].off);
		size_t len;
		const uint8_t *want = vec_get(v, fm->f[j].name, &len);

		if (b->n != len)
			fail_msg("%s: %s is %zu bytes compiled in, %zu in vectors/%s", k->name,
			    fm->f[j].name, b->n, len, fm->file);
		if (len > 0)
			assert_memory_equal(b->p, want, len);
		fields++;
	}
	assert_int_equal(v->n, fields);
}

/* (2) The compiled-in data equals vectors/fips/: each row has exactly one record, field by field,
 * and every record names a row. */
static void
test_data_matches_vectors(void **state)
{
	size_t n;
	const struct hs_fips_kat *k = hs_fips_kats(&n);
	int seen[NROWS] = { 0 };
	struct vec v = { 0 };

	assert_int_equal(n, NROWS);
	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		FILE *f = vec_open(fams[i].file);

		while (vec_next(f, &v)) {
			const struct hs_fips_kat *row = row_by_name(vec_text(&v, "kat"));

			if (row == NULL)
				fail_msg("vectors/%s: no KAT named %s", fams[i].file, vec_text(&v, "kat"));
			check_record(&fams[i], &v, row);
			seen[row - k]++;
		}
		fclose(f);
	}
	vec_clear(&v);
	for (size_t i = 0; i < n; i++)
		if (seen[i] != 1)
			fail_msg("KAT %s has %d records in vectors/fips/", k[i].name, seen[i]);
}

/* (3) Fault injection: with the hooks, HS_FIPS_CORRUPT=<row> fails that row and no other; without
 * them the variable changes nothing. */
static void
test_corrupt_each(void **state)
{
	size_t n;
	const struct hs_fips_kat *k = hs_fips_kats(&n);
	bool hooks;

	assert_false(hs_fips_corrupt("SHA-256"));
	assert_int_equal(setenv("HS_FIPS_CORRUPT", "SHA-256", 1), 0);
	hooks = hs_fips_corrupt("SHA-256");
	fprintf(stderr, "HS_FIPS_TEST_HOOKS %s in this build\n", hooks ? "on" : "off");
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(setenv("HS_FIPS_CORRUPT", k[i].name, 1), 0);
		assert_int_equal(hs_fips_corrupt(k[i].name), hooks);
		assert_false(hs_fips_corrupt("no such test"));
		for (size_t j = 0; j < n; j++) {
			hs_err r = k[j].run(&k[j]);

			if (hooks && i == j && r == HS_OK)
				fail_msg("HS_FIPS_CORRUPT=%s: the row still passes", k[i].name);
			if ((!hooks || i != j) && r != HS_OK)
				fail_msg("HS_FIPS_CORRUPT=%s: row %s fails (%s)", k[i].name, k[j].name,
				    hs_err_str(r));
		}
	}
	unsetenv("HS_FIPS_CORRUPT");
	for (size_t i = 0; i < n; i++)
		assert_false(hs_fips_corrupt(k[i].name));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_pass),
		cmocka_unit_test(test_data_matches_vectors),
		cmocka_unit_test(test_corrupt_each),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
