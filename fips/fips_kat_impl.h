/* fips_kat_impl.h: private to fips/ (and test_fips_kat.c, which checks the data against
 * vectors/fips/). The layout of each KAT family's compiled-in vectors (fips/fips_kat_data.c); a
 * row's hs_fips_kat.data points at one of these. Byte strings are big-endian where they are
 * numbers; an empty field is { NULL, 0 }.
 */
#ifndef HS_FIPS_KAT_IMPL_H
#define HS_FIPS_KAT_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "hs_crypto.h"
#include "hs_provider.h"

struct kat_bin {
	const uint8_t *p;
	size_t n;
};
#define KAT_BIN(a)	{ (a), sizeof(a) }

/* SHA-2 (FIPS 180-4). */
struct kat_hash {
	enum hs_hash_alg alg;
	struct kat_bin msg, md;
};

/* HMAC (RFC 4231). */
struct kat_hmac {
	enum hs_hash_alg alg;
	struct kat_bin key, data, mac;
};

/* AES-GCM (tag set) and AES-CTR (aad, tag empty) through the packet cipher API. */
struct kat_cipher {
	enum hs_cipher_id id;
	struct kat_bin key, iv, aad, pt, ct, tag;
};

/* SSH KDF (RFC 4253 7.2); k is K already encoded (mpint or string). */
struct kat_kdf {
	enum hs_hash_alg alg;
	char letter;
	struct kat_bin k, h, sid, out;
};

/* ECDSA (RFC 6979 A.2): d and r, s are modlen bytes; q is 04||X||Y. */
struct kat_ecdsa {
	enum hs_key_type type;
	enum hs_sig_alg sig;
	size_t modlen;
	struct kat_bin d, q, msg, r, s;
};

/* ECDH (RFC 5903 8): our scalar d, the peer's uncompressed point, the shared x-coordinate z. */
struct kat_ecdh {
	enum hs_kex_method m;
	struct kat_bin d, peer, z;
};

/* Finite-field DH: gx = g^x mod p, z = y^x mod p. */
struct kat_dh {
	struct kat_bin p, g, x, gx, y, z;
};

/* RSA PKCS#1 v1.5 SHA-256 (RFC 8017 8.2); sig is the modulus-length signature of msg. */
struct kat_rsa {
	struct kat_bin n, e, d, p, q, iqmp, msg, sig;
};

/* Ed25519 (RFC 8032 7.1). */
struct kat_ed25519 {
	struct kat_bin seed, pub, msg, sig;
};

/* X25519 (RFC 7748 5.2). */
struct kat_x25519 {
	struct kat_bin scalar, u, out;
};

/* Hash_DRBG SHA-256 health test: seed = entropy || nonce, out = the second generate's 128 bytes. */
struct kat_drbg {
	struct kat_bin seed, out;
};

extern const struct kat_hash kat_sha_256;
extern const struct kat_hash kat_sha_384;
extern const struct kat_hash kat_sha_512;
extern const struct kat_hmac kat_hmac_sha_256;
extern const struct kat_hmac kat_hmac_sha_512;
extern const struct kat_cipher kat_aes_128_gcm;
extern const struct kat_cipher kat_aes_256_gcm;
extern const struct kat_cipher kat_aes_128_ctr;
extern const struct kat_cipher kat_aes_256_ctr;
extern const struct kat_kdf kat_ssh_kdf_mpint_k;
extern const struct kat_kdf kat_ssh_kdf_string_k;
extern const struct kat_ecdsa kat_ecdsa_p_256;
extern const struct kat_ecdsa kat_ecdsa_p_384;
extern const struct kat_ecdsa kat_ecdsa_p_521;
extern const struct kat_ecdh kat_ecdh_p_256;
extern const struct kat_ecdh kat_ecdh_p_384;
extern const struct kat_dh kat_dh_group14;
extern const struct kat_rsa kat_rsa_2048;
extern const struct kat_ed25519 kat_ed25519;
extern const struct kat_ed25519 kat_ed25519_verify;
extern const struct kat_x25519 kat_x25519;
extern const struct kat_drbg kat_hash_drbg;

#endif
