/* test_kexprim.c: key-agreement primitives (hw/soft_kex.c): RFC 7748 X25519 vectors, ECDH and DH
 * agreement on both sides and refusal of invalid peer values. Vectors from vectors/x25519/.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testvec.h"

#include "hs_key_impl.h"
#include "hs_provider.h"

/* hw/soft_kex_groups.c: the RFC 3526 primes, to build the f = p-1 and f = p edge cases. */
extern const uint8_t hs_modp_2048[256];
extern const uint8_t hs_modp_4096[512];

static void
test_x25519_rfc7748_5_2(void **state)
{
	FILE *f = vec_open("x25519/rfc7748.txt");
	struct vec v = { 0 };
	uint8_t out[32], k[32], u[32], t[32];
	int count = 0;

	while (vec_next(f, &v)) {
		size_t l;
		const uint8_t *want = vec_get(&v, "out", &l);

		assert_int_equal(l, 32);
		if (v.n == 3) {
			assert_int_equal(hs_soft_x25519(vec_get(&v, "scalar", NULL),
			    vec_get(&v, "u", NULL),
			    out), HS_OK);
		} else {
			/* RFC 7748 5.2 iterated: k = u = 9; each round k, u = X25519(k, u), k. */
			long n = strtol(vec_text(&v, "iterations"), NULL, 10);

			memset(k, 0, 32);
			k[0] = 9;
			memcpy(u, k, 32);
			for (long i = 0; i < n; i++) {
				assert_int_equal(hs_soft_x25519(k, u, t), HS_OK);
				memcpy(u, k, 32);
				memcpy(k, t, 32);
			}
			memcpy(out, k, 32);
		}
		assert_memory_equal(out, want, 32);
		count++;
	}
	assert_int_equal(count, 4);
	vec_clear(&v);
	fclose(f);
}

static void
test_x25519_rfc7748_6_1(void **state)
{
	FILE *f = vec_open("x25519/rfc7748_dh.txt");
	struct vec v = { 0 };
	uint8_t nine[32] = { 9 }, out[32];

	assert_true(vec_next(f, &v));
	assert_int_equal(hs_soft_x25519(vec_get(&v, "a", NULL), nine, out), HS_OK);
	assert_memory_equal(out, vec_get(&v, "a_pub", NULL), 32);
	assert_int_equal(hs_soft_x25519(vec_get(&v, "b", NULL), nine, out), HS_OK);
	assert_memory_equal(out, vec_get(&v, "b_pub", NULL), 32);
	assert_int_equal(hs_soft_x25519(vec_get(&v, "a", NULL), vec_get(&v, "b_pub", NULL), out),
	    HS_OK);
	assert_memory_equal(out, vec_get(&v, "k", NULL), 32);
	assert_int_equal(hs_soft_x25519(vec_get(&v, "b", NULL), vec_get(&v, "a_pub", NULL), out),
	    HS_OK);
	assert_memory_equal(out, vec_get(&v, "k", NULL), 32);
	vec_clear(&v);
	fclose(f);
}

/* Both sides of method m agree; the secret has the expected size bound. */
static void
agree(enum hs_kex_method m, size_t publen, size_t maxsecret)
{
	struct hs_kex_priv *a, *b;
	struct hs_buf *pa, *pb, *sa, *sb;

	assert_int_equal(hs_buf_new(1024, &pa), HS_OK);
	assert_int_equal(hs_buf_new(1024, &pb), HS_OK);
	assert_int_equal(hs_buf_new(1024, &sa), HS_OK);
	assert_int_equal(hs_buf_new(1024, &sb), HS_OK);
	assert_int_equal(hs_kex_keypair(m, &a, pa), HS_OK);
	assert_int_equal(hs_kex_keypair(m, &b, pb), HS_OK);
	if (publen)
		assert_int_equal(hs_buf_len(pa), publen);
	else
		assert_true(hs_buf_len(pa) > maxsecret - 8 && hs_buf_len(pa) <= maxsecret);
	assert_memory_not_equal(hs_buf_ptr(pa), hs_buf_ptr(pb), hs_buf_len(pa));
	assert_int_equal(hs_kex_derive(a, hs_buf_ptr(pb), hs_buf_len(pb), sa), HS_OK);
	assert_int_equal(hs_kex_derive(b, hs_buf_ptr(pa), hs_buf_len(pa), sb), HS_OK);
	assert_true(hs_buf_len(sa) > 0 && hs_buf_len(sa) <= maxsecret);
	assert_int_equal(hs_buf_len(sa), hs_buf_len(sb));
	assert_memory_equal(hs_buf_ptr(sa), hs_buf_ptr(sb), hs_buf_len(sa));
	/* A fixed-size value of the wrong length is refused. */
	hs_buf_reset(sa);
	if (publen) {
		assert_int_equal(hs_kex_derive(a, hs_buf_ptr(pb), hs_buf_len(pb) - 1, sa),
		    HS_ERR_FORMAT);
		assert_int_equal(hs_buf_len(sa), 0);
	}
	hs_kex_priv_free(a);
	hs_kex_priv_free(b);
	hs_buf_free(pa);
	hs_buf_free(pb);
	hs_buf_free(sa);
	hs_buf_free(sb);
}

static void
test_x25519_kex(void **state)
{
	struct hs_kex_priv *a;
	struct hs_buf *pa, *s;
	uint8_t zero[32] = { 0 }, one[32] = { 1 };
	/* A point of order 8 (RFC 7748 7 / libsodium's blocklist): X25519 gives all zeros. */
	static const uint8_t order8[32] = { 0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16,
	    0x56, 0xe3, 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32, 0xb1,
	    0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00 };
	uint8_t out[32];

	agree(HS_KEXM_X25519, 32, 32);
	assert_int_equal(hs_buf_new(1024, &pa), HS_OK);
	assert_int_equal(hs_buf_new(1024, &s), HS_OK);
	assert_int_equal(hs_kex_keypair(HS_KEXM_X25519, &a, pa), HS_OK);
	assert_int_equal(hs_kex_derive(a, zero, 32, s), HS_ERR_FORMAT);
	assert_int_equal(hs_kex_derive(a, one, 32, s), HS_ERR_FORMAT);
	assert_int_equal(hs_kex_derive(a, order8, 32, s), HS_ERR_FORMAT);
	assert_int_equal(hs_buf_len(s), 0);
	assert_int_not_equal(hs_soft_x25519(one, order8, out), HS_OK);
	hs_kex_priv_free(a);
	hs_kex_priv_free(NULL);
	hs_buf_free(pa);
	hs_buf_free(s);
}

static void
ecdh_invalid(enum hs_kex_method m)
{
	struct hs_kex_priv *a;
	struct hs_buf *pa, *s;
	uint8_t pt[133];
	size_t n;

	assert_int_equal(hs_buf_new(1024, &pa), HS_OK);
	assert_int_equal(hs_buf_new(1024, &s), HS_OK);
	assert_int_equal(hs_kex_keypair(m, &a, pa), HS_OK);
	n = hs_buf_len(pa);
	memcpy(pt, hs_buf_ptr(pa), n);
	assert_int_equal(pt[0], 0x04);
	/* Our own point is valid (sanity); then off-curve, compressed form, infinity, x = 0. */
	assert_int_equal(hs_kex_derive(a, pt, n, s), HS_OK);
	hs_buf_reset(s);
	pt[n - 1] ^= 0x01;
	assert_int_equal(hs_kex_derive(a, pt, n, s), HS_ERR_FORMAT);
	pt[n - 1] ^= 0x01;
	pt[0] = 0x02 | (pt[n - 1] & 1);
	assert_int_equal(hs_kex_derive(a, pt, (n - 1) / 2 + 1, s), HS_ERR_FORMAT);
	assert_int_equal(hs_kex_derive(a, pt, n, s), HS_ERR_FORMAT);
	memset(pt, 0, n);
	assert_int_equal(hs_kex_derive(a, pt, 1, s), HS_ERR_FORMAT);
	pt[0] = 0x04;
	assert_int_equal(hs_kex_derive(a, pt, n, s), HS_ERR_FORMAT);
	/* Coordinates >= p: all-ones. */
	memset(pt + 1, 0xff, n - 1);
	assert_int_equal(hs_kex_derive(a, pt, n, s), HS_ERR_FORMAT);
	assert_int_equal(hs_buf_len(s), 0);
	hs_kex_priv_free(a);
	hs_buf_free(pa);
	hs_buf_free(s);
}

static void
test_ecdh(void **state)
{
	agree(HS_KEXM_ECDH_P256, 65, 32);
	agree(HS_KEXM_ECDH_P384, 97, 48);
	agree(HS_KEXM_ECDH_P521, 133, 66);
	ecdh_invalid(HS_KEXM_ECDH_P256);
	ecdh_invalid(HS_KEXM_ECDH_P384);
	ecdh_invalid(HS_KEXM_ECDH_P521);
}

static void
dh_invalid(enum hs_kex_method m, const uint8_t *p, size_t plen)
{
	struct hs_kex_priv *a;
	struct hs_buf *pa, *s;
	uint8_t f[512];

	assert_int_equal(hs_buf_new(1024, &pa), HS_OK);
	assert_int_equal(hs_buf_new(1024, &s), HS_OK);
	assert_int_equal(hs_kex_keypair(m, &a, pa), HS_OK);
	/* RFC 4253 8: 1 < f < p-1. */
	f[0] = 0;
	assert_int_equal(hs_kex_derive(a, f, 1, s), HS_ERR_FORMAT);
	f[0] = 1;
	assert_int_equal(hs_kex_derive(a, f, 1, s), HS_ERR_FORMAT);
	memcpy(f, p, plen);
	f[plen - 1] -= 1;		/* p - 1 (p is odd) */
	assert_int_equal(hs_kex_derive(a, f, plen, s), HS_ERR_FORMAT);
	f[plen - 1] += 1;		/* p */
	assert_int_equal(hs_kex_derive(a, f, plen, s), HS_ERR_FORMAT);
	memset(f, 0xff, plen);		/* > p */
	assert_int_equal(hs_kex_derive(a, f, plen, s), HS_ERR_FORMAT);
	assert_int_equal(hs_kex_derive(a, f, plen + 1, s), HS_ERR_FORMAT);
	assert_int_equal(hs_buf_len(s), 0);
	/* f = 2 and f = p - 2 are in range. */
	f[0] = 2;
	assert_int_equal(hs_kex_derive(a, f, 1, s), HS_OK);
	hs_buf_reset(s);
	memcpy(f, p, plen);
	f[plen - 1] -= 2;
	assert_int_equal(hs_kex_derive(a, f, plen, s), HS_OK);
	hs_kex_priv_free(a);
	hs_buf_free(pa);
	hs_buf_free(s);
}

static void
test_dh(void **state)
{
	agree(HS_KEXM_DH_GROUP14, 0, 256);
	agree(HS_KEXM_DH_GROUP16, 0, 512);
	dh_invalid(HS_KEXM_DH_GROUP14, hs_modp_2048, sizeof(hs_modp_2048));
	dh_invalid(HS_KEXM_DH_GROUP16, hs_modp_4096, sizeof(hs_modp_4096));
}

static void
test_unsupported(void **state)
{
	struct hs_kex_priv *a = (void *)1;
	struct hs_buf *pa;

	assert_int_equal(hs_buf_new(1024, &pa), HS_OK);
	assert_int_equal(hs_kex_keypair(0, &a, pa), HS_ERR_UNSUPPORTED);
	assert_null(a);
	assert_int_equal(hs_kex_keypair(99, &a, pa), HS_ERR_UNSUPPORTED);
	assert_int_equal(hs_buf_len(pa), 0);
	hs_buf_free(pa);
}

/* ---- Project Wycheproof (vectors/wycheproof/, converted by convert.py) ---- */

/* Expected outcome of a case: 1 valid, 0 invalid, -1 acceptable (either way, but no crash). */
static int
wy_expect(const struct vec *v)
{
	const char *res = vec_text(v, "result");

	if (strcmp(res, "valid") == 0)
		return 1;
	if (strcmp(res, "invalid") == 0)
		return 0;
	return -1;
}

/* The shared value as we append it: without leading zero bytes. */
static void
assert_shared(struct hs_buf *got, const uint8_t *want, size_t wl, const char *tc)
{
	while (wl > 1 && want[0] == 0) {
		want++;
		wl--;
	}
	if (hs_buf_len(got) != wl || memcmp(hs_buf_ptr(got), want, wl) != 0)
		fail_msg("tc %s: wrong shared secret", tc);
}

static void
wy_ecdh_file(const char *file, enum hs_kex_method m)
{
	FILE *f = vec_open(file);
	struct vec v = { 0 };
	int n[2] = { 0, 0 };

	while (vec_next(f, &v)) {
		size_t pl, ql, sl;
		const uint8_t *priv = vec_get(&v, "private", &pl),
		    *pub = vec_get(&v, "public", &ql);
		const uint8_t *want = vec_get(&v, "shared", &sl);
		struct hs_buf *s;
		int exp = wy_expect(&v);
		hs_err r;

		assert_int_equal(hs_buf_new(1024, &s), HS_OK);
		r = hs_soft_ecdh_fixed(m, priv, pl, pub, ql, s);
		if (exp == 1) {
			if (r != HS_OK)
				fail_msg("%s tc %s: valid case refused (%d)", file,
				    vec_text(&v, "tc"), r);
			assert_shared(s, want, sl, vec_text(&v, "tc"));
		} else if (exp == 0 && r == HS_OK) {
			fail_msg("%s tc %s: invalid case accepted", file, vec_text(&v, "tc"));
		}
		if (exp >= 0)
			n[exp]++;
		hs_buf_free(s);
	}
	assert_true(n[1] > 0);
	vec_clear(&v);
	fclose(f);
}

static void
test_wycheproof_ecdh(void **state)
{
	wy_ecdh_file("wycheproof/ecdh_p256.txt", HS_KEXM_ECDH_P256);
	wy_ecdh_file("wycheproof/ecdh_p384.txt", HS_KEXM_ECDH_P384);
	wy_ecdh_file("wycheproof/ecdh_p521.txt", HS_KEXM_ECDH_P521);
}

/* X25519: RFC 8731 3 makes every all-zero result an error, whatever Wycheproof's verdict for
 * plain X25519; other valid results must match, invalid ones must fail. */
static void
test_wycheproof_x25519(void **state)
{
	FILE *f = vec_open("wycheproof/x25519.txt");
	struct vec v = { 0 };
	int zero = 0, ok = 0;

	while (vec_next(f, &v)) {
		size_t pl, ql, sl;
		const uint8_t *priv = vec_get(&v, "private", &pl),
		    *pub = vec_get(&v, "public", &ql);
		const uint8_t *want = vec_get(&v, "shared", &sl);
		uint8_t out[32], z[32] = { 0 };
		int exp = wy_expect(&v);
		hs_err r;

		if (pl != 32 || ql != 32) {
			assert_int_equal(exp, 0);	/* wrong sizes are all invalid cases */
			continue;
		}
		r = hs_soft_x25519(priv, pub, out);
		if (sl == 32 && memcmp(want, z, 32) == 0) {
			if (r == HS_OK)
				fail_msg("tc %s: all-zero X25519 output accepted",
				    vec_text(&v, "tc"));
			zero++;
		} else if (exp == 1 || (exp == -1 && r == HS_OK)) {
			if (r != HS_OK)
				fail_msg("tc %s: valid case refused (%d)", vec_text(&v, "tc"), r);
			assert_memory_equal(out, want, 32);
			ok++;
		} else if (exp == 0 && r == HS_OK) {
			fail_msg("tc %s: invalid case accepted", vec_text(&v, "tc"));
		}
	}
	assert_true(zero > 0 && ok > 100);
	vec_clear(&v);
	fclose(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x25519_rfc7748_5_2),
		cmocka_unit_test(test_x25519_rfc7748_6_1),
		cmocka_unit_test(test_x25519_kex),
		cmocka_unit_test(test_ecdh),
		cmocka_unit_test(test_dh),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_wycheproof_ecdh),
		cmocka_unit_test(test_wycheproof_x25519),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
