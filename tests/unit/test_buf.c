/* test_buf.c: hs_buf, hs_b64, hs_ct. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hs_b64.h"
#include "hs_buf.h"
#include "hs_ct.h"

static void
test_roundtrip(void **state)
{
	struct hs_buf *b;
	uint8_t u8;
	uint32_t u32;
	uint64_t u64;
	bool bo;
	const uint8_t *p;
	size_t n;
	char *s;
	static const uint8_t mag[] = { 0x80, 0x01 };

	assert_int_equal(hs_buf_new(1024, &b), HS_OK);
	assert_int_equal(hs_buf_put_u8(b, 7), HS_OK);
	assert_int_equal(hs_buf_put_u32(b, 0xdeadbeef), HS_OK);
	assert_int_equal(hs_buf_put_u64(b, 0x0102030405060708ull), HS_OK);
	assert_int_equal(hs_buf_put_bool(b, true), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, "ssh-userauth"), HS_OK);
	assert_int_equal(hs_buf_put_mpint(b, mag, sizeof(mag)), HS_OK);
	assert_int_equal(hs_buf_get_u8(b, &u8), HS_OK);
	assert_int_equal(u8, 7);
	assert_int_equal(hs_buf_get_u32(b, &u32), HS_OK);
	assert_int_equal(u32, 0xdeadbeef);
	assert_int_equal(hs_buf_get_u64(b, &u64), HS_OK);
	assert_true(u64 == 0x0102030405060708ull);
	assert_int_equal(hs_buf_get_bool(b, &bo), HS_OK);
	assert_true(bo);
	assert_int_equal(hs_buf_get_cstring(b, &s, &n), HS_OK);
	assert_string_equal(s, "ssh-userauth");
	free(s);
	/* RFC 4251 5: 0x80 0x01 is encoded with a leading zero byte */
	assert_int_equal(hs_buf_peek_u32(b, 0, &u32), HS_OK);
	assert_int_equal(u32, 3);
	assert_int_equal(hs_buf_get_mpint(b, &p, &n), HS_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(p, mag, 2);
	assert_int_equal(hs_buf_get_end(b), HS_OK);
	hs_buf_free(b);
}

/* Every prefix of a valid message fails cleanly, and the cursor does not move. */
static void
test_truncation_every_byte(void **state)
{
	struct hs_buf *src, *v;
	const uint8_t *p;
	size_t n, full;
	uint32_t u32;

	assert_int_equal(hs_buf_new(256, &src), HS_OK);
	assert_int_equal(hs_buf_put_cstring(src, "hello"), HS_OK);
	assert_int_equal(hs_buf_put_u32(src, 42), HS_OK);
	full = hs_buf_len(src);
	for (size_t cut = 0; cut < full; cut++) {
		hs_err r1, r2 = HS_OK;

		assert_int_equal(hs_buf_from(hs_buf_ptr(src), cut, &v), HS_OK);
		r1 = hs_buf_get_string(v, &p, &n);
		if (r1 == HS_OK)
			r2 = hs_buf_get_u32(v, &u32);
		assert_true(r1 != HS_OK || r2 != HS_OK);
		assert_true(r1 == HS_OK || hs_buf_len(v) == cut);
		hs_buf_free(v);
	}
	hs_buf_free(src);
}

static void
test_oversize_length(void **state)
{
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 'a', 'b' };
	struct hs_buf *v;
	const uint8_t *p;
	size_t n;

	assert_int_equal(hs_buf_from(huge, sizeof(huge), &v), HS_OK);
	assert_int_not_equal(hs_buf_get_string(v, &p, &n), HS_OK);
	assert_int_equal(hs_buf_len(v), sizeof(huge));
	hs_buf_free(v);
}

static void
test_bounds_and_trailing(void **state)
{
	struct hs_buf *b;
	uint8_t x[8] = { 0 };

	assert_int_equal(hs_buf_new(8, &b), HS_OK);
	assert_int_equal(hs_buf_put_bytes(b, x, 8), HS_OK);
	assert_int_equal(hs_buf_put_u8(b, 1), HS_ERR_TOO_LARGE);
	assert_int_equal(hs_buf_len(b), 8);
	assert_int_equal(hs_buf_get_end(b), HS_ERR_TRAILING);
	assert_int_equal(hs_buf_skip(b, 4), HS_OK);
	/* consumed space is reused without growing past the bound */
	assert_int_equal(hs_buf_put_u32(b, 5), HS_OK);
	assert_int_equal(hs_buf_len(b), 8);
	assert_true(hs_buf_valid(b));
	hs_buf_free(b);
}

static void
test_mpint_rules(void **state)
{
	/* negative, non-minimal, zero-with-byte: all refused (RFC 4251 5) */
	static const uint8_t neg[] = { 0, 0, 0, 1, 0x80 };
	static const uint8_t nonmin[] = { 0, 0, 0, 2, 0x00, 0x7f };
	static const uint8_t zero1[] = { 0, 0, 0, 1, 0x00 };
	static const uint8_t zero[] = { 0, 0, 0, 0 };
	const uint8_t *cases[] = { neg, nonmin, zero1 };
	size_t lens[] = { sizeof(neg), sizeof(nonmin), sizeof(zero1) };
	struct hs_buf *v;
	const uint8_t *p;
	size_t n;

	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(hs_buf_from(cases[i], lens[i], &v), HS_OK);
		assert_int_equal(hs_buf_get_mpint(v, &p, &n), HS_ERR_FORMAT);
		hs_buf_free(v);
	}
	assert_int_equal(hs_buf_from(zero, sizeof(zero), &v), HS_OK);
	assert_int_equal(hs_buf_get_mpint(v, &p, &n), HS_OK);
	assert_int_equal(n, 0);
	hs_buf_free(v);
}

static void
test_cstring_nul(void **state)
{
	static const uint8_t s[] = { 0, 0, 0, 3, 'a', 0, 'b' };
	struct hs_buf *v;
	char *out = NULL;

	assert_int_equal(hs_buf_from(s, sizeof(s), &v), HS_OK);
	assert_int_equal(hs_buf_get_cstring(v, &out, NULL), HS_ERR_FORMAT);
	assert_null(out);
	assert_int_equal(hs_buf_len(v), sizeof(s));
	hs_buf_free(v);
}

static void
test_to_cstring(void **state)
{
	static const uint8_t nul[] = { 'a', 0, 'b' };
	struct hs_buf *b;
	char *s = NULL;

	assert_int_equal(hs_buf_new(64, &b), HS_OK);
	assert_int_equal(hs_buf_to_cstring(b, &s), HS_OK);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(hs_buf_put_cstring(b, "key"), HS_OK);
	assert_int_equal(hs_buf_skip(b, 4), HS_OK);	/* only the unread bytes are copied */
	assert_int_equal(hs_buf_to_cstring(b, &s), HS_OK);
	assert_string_equal(s, "key");
	assert_int_equal(hs_buf_len(b), 3);
	free(s);
	assert_int_equal(hs_buf_put_bytes(b, nul, sizeof(nul)), HS_OK);
	assert_int_equal(hs_buf_to_cstring(b, &s), HS_ERR_FORMAT);
	assert_null(s);
	hs_buf_free(b);
}

/* Buffers that never held data have no storage; reading or copying them must not do arithmetic
 * on a NULL pointer (UBSan: "applying zero offset to null pointer"). */
static void
test_never_filled(void **state)
{
	struct hs_buf *empty, *dst;
	const uint8_t *p = NULL;
	uint8_t x;
	uint32_t len;

	assert_int_equal(hs_buf_new(16, &empty), HS_OK);
	assert_int_equal(hs_buf_new(16, &dst), HS_OK);
	assert_int_equal(hs_buf_get_bytes_view(empty, 0, &p), HS_OK);
	assert_non_null(p);
	assert_int_equal(hs_buf_get_bytes(empty, &x, 0), HS_OK);
	assert_int_equal(hs_buf_put_stringb(dst, empty), HS_OK);
	assert_int_equal(hs_buf_put_buf(dst, empty), HS_OK);
	assert_int_equal(hs_buf_get_u32(dst, &len), HS_OK);
	assert_int_equal(len, 0);
	assert_int_equal(hs_buf_get_end(dst), HS_OK);
	hs_buf_free(empty);
	hs_buf_free(dst);
}

static void
test_b64(void **state)
{
	/* RFC 4648 10 test vectors */
	static const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *out[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	struct hs_buf *b;

	for (size_t i = 0; i < 7; i++) {
		assert_int_equal(hs_buf_new(64, &b), HS_OK);
		assert_int_equal(hs_b64_encode((const uint8_t *)in[i], strlen(in[i]), true, b), HS_OK);
		assert_int_equal(hs_buf_len(b), strlen(out[i]));
		assert_true(strlen(out[i]) == 0 || memcmp(hs_buf_ptr(b), out[i], strlen(out[i])) == 0);
		hs_buf_reset(b);
		assert_int_equal(hs_b64_decode(out[i], strlen(out[i]), b), HS_OK);
		assert_int_equal(hs_buf_len(b), strlen(in[i]));
		hs_buf_free(b);
	}
	assert_int_equal(hs_buf_new(64, &b), HS_OK);
	assert_int_equal(hs_b64_decode("Zm9v!", 5, b), HS_ERR_FORMAT);
	assert_int_equal(hs_b64_decode("Z", 1, b), HS_ERR_FORMAT);
	hs_buf_free(b);
}

static void
test_ct(void **state)
{
	uint8_t a[32] = { 1 }, b[32] = { 1 };

	assert_true(hs_ct_memeq(a, b, 32));
	b[31] ^= 0x80;
	assert_false(hs_ct_memeq(a, b, 32));
	assert_false(hs_ct_is_zero(a, 32));
	memset(a, 0, sizeof(a));
	assert_true(hs_ct_is_zero(a, 32));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_truncation_every_byte),
		cmocka_unit_test(test_oversize_length),
		cmocka_unit_test(test_bounds_and_trailing),
		cmocka_unit_test(test_mpint_rules),
		cmocka_unit_test(test_cstring_nul),
		cmocka_unit_test(test_to_cstring),
		cmocka_unit_test(test_never_filled),
		cmocka_unit_test(test_b64),
		cmocka_unit_test(test_ct),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
