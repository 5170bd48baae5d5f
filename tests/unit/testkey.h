/* testkey.h: the key checks that the hardware key tests (test_pkcs11.c, test_tpm2.c) share. Header
 * only: it needs the project's headers, which hs_testvec (testvec.c, cmocka and libc only) is built
 * without. Include after <cmocka.h>. */
#ifndef HS_TESTKEY_H
#define HS_TESTKEY_H

#include <stddef.h>
#include <stdint.h>

#include "hs_buf.h"
#include "hs_provider.h"

/* Assert that k is a private key of type type held by provider (and of bits bits unless bits is
 * 0); that each of algs[0..nalgs) (up to the first HS_SIG_UNKNOWN) signs a message that
 * hs_key_verify accepts, as that algorithm, and refuses over other data; and that the signature
 * algorithms of the other key types and SHA-1 ssh-rsa are refused, not produced. */
static inline void
tv_check_key_signs(struct hs_key *k, const char *provider, enum hs_key_type type, unsigned bits,
    const enum hs_sig_alg *algs, size_t nalgs)
{
	static const uint8_t msg[] = "exchange hash H", other[] = "exchange hash h";
	static const enum hs_sig_alg not_rsa[] = { HS_SIG_ED25519, HS_SIG_ECDSA_P256, HS_SIG_RSA_SHA1 };
	static const enum hs_sig_alg not_ec[] = { HS_SIG_RSA_SHA256, HS_SIG_RSA_SHA1 };
	const enum hs_sig_alg *refused = type == HS_KEY_RSA ? not_rsa : not_ec;
	size_t j, nrefused = type == HS_KEY_RSA ? 3 : 2;
	struct hs_buf *sig;
	enum hs_sig_alg got;

	assert_int_equal(hs_key_type(k), type);
	if (bits != 0)
		assert_int_equal(hs_key_bits(k), bits);
	assert_true(hs_key_has_private(k));
	assert_string_equal(hs_key_provider(k), provider);
	for (j = 0; j < nalgs && algs[j] != HS_SIG_UNKNOWN; j++) {
		assert_int_equal(hs_buf_new(HS_BUF_MAX_DEFAULT, &sig), HS_OK);
		assert_int_equal(hs_key_sign(k, algs[j], msg, sizeof(msg), sig), HS_OK);
		assert_int_equal(hs_key_verify(k, hs_buf_ptr(sig), hs_buf_len(sig), msg, sizeof(msg),
		    &got), HS_OK);
		assert_int_equal(got, algs[j]);
		assert_int_equal(hs_key_verify(k, hs_buf_ptr(sig), hs_buf_len(sig), other,
		    sizeof(other), NULL), HS_ERR_SIG);
		hs_buf_free(sig);
	}
	assert_true(j > 0);
	assert_int_equal(hs_buf_new(HS_BUF_MAX_DEFAULT, &sig), HS_OK);
	for (j = 0; j < nrefused; j++)
		assert_int_not_equal(hs_key_sign(k, refused[j], msg, sizeof(msg), sig), HS_OK);
	hs_buf_free(sig);
}

#endif
