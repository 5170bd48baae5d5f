/* hs_key_impl.h: private to hw/. The layout of struct hs_key and the software backend's internal
 * entry points shared between the hw/ files. Nothing outside hw/ (and the hw unit tests) includes
 * this header; it names no wolfSSL type, so it stays usable from the tests.
 */
#ifndef HS_KEY_IMPL_H
#define HS_KEY_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_buf.h"
#include "hs_err.h"
#include "hs_provider.h"

/* A key of any provider. The cached public blob is what hs_key_public_blob() returns and what
 * hs_key_verify() and hs_key_equal_public() work from, so a provider only has to sign. */
struct hs_key {
	const struct hs_provider_ops *ops;	/* provider that owns the private part */
	void *ctx;				/* provider context passed to ops->sign */
	enum hs_key_type type;
	bool has_private;
	unsigned bits;				/* modulus or curve size */
	uint8_t *blob;				/* SSH public key blob (RFC 4253 6.6) */
	size_t blob_len;
	void *priv;				/* provider's private data */
	void (*priv_free)(void *priv);		/* frees and wipes priv; NULL if nothing to free */
};

/* Allocate a key shell with a copy of blob. *out NULL on failure. */
HS_MUST_USE hs_err hs_key_alloc(const struct hs_provider_ops *ops, enum hs_key_type type,
    const uint8_t *blob, size_t blob_len, struct hs_key **out);

/* Sign a fixed message with k (its first signature algorithm; rsa-sha2-256 for RSA) and verify
 * it with k's public blob. HS_OK; HS_ERR_SIG if the signature does not verify (the private and
 * public parts do not match); the signing error as is. Logs nothing: the caller says what failed.
 * (hw/key_api.c) */
HS_MUST_USE hs_err hs_key_pairwise_test(const struct hs_key *k);
/* A hardware provider's key: the public blob from raw's public part, has_private, bits, priv and
 * priv_free set, then the pairwise test (failure logged as "<provider> <what>: ..."; priv is then
 * not freed, the caller still owns it), and a VERBOSE line with the fingerprint. */
HS_MUST_USE hs_err hs_key_wrap_hw(const struct hs_provider_ops *ops, const struct hs_key_raw *raw,
    unsigned bits, void *priv, void (*priv_free)(void *priv), const char *what,
    struct hs_key **out);

/* The first member of every provider's KEX state: each provider lays out its own struct
 * hs_kex_priv (or a struct it casts to it) behind this head, so that hs_kex_derive and
 * hs_kex_priv_free (hw/provider.c) reach the provider that made the key pair. release wipes and
 * frees the whole state. */
struct hs_kex_head {
	const struct hs_provider_ops *ops;
	void *ctx;				/* the ctx kex_keypair was called with */
	void (*release)(struct hs_kex_priv *priv);
};

/* ---- signature encodings shared by the providers (hw/key_sign.c) ---- */
/* T = DigestInfo(HASH(m)) for EMSA-PKCS1-v1_5 (RFC 8017 9.2 steps 1-2), SHA-256 or SHA-512;
 * t holds at least 19 + HS_MAX_HASH bytes. */
HS_MUST_USE hs_err hs_rsa_digest_info(enum hs_hash_alg h, const uint8_t *m, size_t mlen,
    uint8_t *t, size_t *tlen);
/* Append the SSH signature blob (string; RFC 8709, RFC 8332 3, RFC 5656 3.1.2) of a device's raw
 * signature: Ed25519 64 bytes; RSA left-padded to modlen; ECDSA r || s of modlen bytes each. */
HS_MUST_USE hs_err hs_sig_blob_from_raw(enum hs_key_type type, size_t modlen, const uint8_t *s,
    size_t slen, struct hs_buf *out);

/* ---- table lookups (hw/key_names.c) ---- */
/* RFC 5656 6.1 curve identifier ("nistp256") for an ECDSA key type, else NULL. */
const char *hs_key_curve_name(enum hs_key_type t);
/* Digest a signature algorithm signs (0 for ssh-ed25519, which hashes internally). */
enum hs_hash_alg hs_sig_alg_hash(enum hs_sig_alg a);
/* Curve size in bits for a key type, 0 for RSA (size from the modulus) or unknown. */
unsigned hs_key_type_bits(enum hs_key_type t);

/* ---- the software provider (hw/provider_soft.c, hw/key_soft*.c, hw/soft_kex.c) ---- */
extern const struct hs_provider_ops hs_provider_soft;

/* The process-wide DRBG (a wolfSSL WC_RNG), reseeded in a forked child; NULL if the backend failed
 * to initialise. Only hw/ files that include wolfSSL may use the pointer. */
struct WC_RNG *hs_soft_rng(void);
/* Mix n (<= 64) bytes from another entropy source (TPM2_GetRandom) into the DRBG: it is instantiated
 * again from fresh OS entropy with its own old output and p as the nonce (hw/crypto_soft.c). */
HS_MUST_USE hs_err hs_soft_rng_mix(const uint8_t *p, size_t n);

/* Software key from raw components / new random key / raw components back (hw/key_soft.c). */
HS_MUST_USE hs_err hs_soft_key_from_raw(const struct hs_key_raw *raw, struct hs_key **out);
HS_MUST_USE hs_err hs_soft_key_generate(enum hs_key_type type, unsigned bits, struct hs_key **out);
HS_MUST_USE hs_err hs_soft_key_to_raw(const struct hs_key *k, struct hs_key_raw *raw);
/* Public-only software key from a blob (hw/key_blob.c). */
HS_MUST_USE hs_err hs_soft_key_from_blob(const uint8_t *blob, size_t len, struct hs_key **out);
/* The provider's sign and the (always software) verification of a raw signature blob. */
HS_MUST_USE hs_err hs_soft_sign(void *ctx, const struct hs_key *k, enum hs_sig_alg alg,
    const uint8_t *m, size_t mlen, struct hs_buf *sig);
HS_MUST_USE hs_err hs_soft_verify_raw(const struct hs_key *k, enum hs_sig_alg alg,
    const uint8_t *sigblob, size_t siglen, const uint8_t *m, size_t mlen);
/* Build the SSH public blob from raw public components (type and pub or n/e). */
HS_MUST_USE hs_err hs_soft_blob_from_raw(const struct hs_key_raw *raw, struct hs_buf *out);
/* Parse a blob into raw public components (strict; no private fields filled). */
HS_MUST_USE hs_err hs_soft_raw_from_blob(const uint8_t *blob, size_t len, struct hs_key_raw *raw);

/* The continuous test on DRBG output (hw/crypto_soft.c): n bytes of fresh output, compared block
 * by block (HS_CRT_BLOCK bytes) with the block before; a repeat enters the FIPS error state and
 * returns HS_ERR_FIPS_STATE. Exposed for the unit test that feeds it a repeat. */
#define HS_CRT_BLOCK	16
HS_MUST_USE hs_err hs_soft_crt_check(const uint8_t *p, size_t n);

/* KEX of the software provider (hw/soft_kex.c). */
HS_MUST_USE hs_err hs_soft_kex_keypair(void *ctx, enum hs_kex_method m, struct hs_kex_priv **priv,
    struct hs_buf *pub);
HS_MUST_USE hs_err hs_soft_kex_derive(void *ctx, struct hs_kex_priv *priv, const uint8_t *peer,
    size_t len, struct hs_buf *secret);
/* ECDH with a given private scalar (big-endian, leading zeros allowed), for the Wycheproof KATs:
 * validates peer exactly as hs_kex_derive does and appends the shared secret the same way. */
HS_MUST_USE hs_err hs_soft_ecdh_fixed(enum hs_kex_method m, const uint8_t *scalar, size_t slen,
    const uint8_t *peer, size_t len, struct hs_buf *secret);
/* X25519(scalar, u) as RFC 7748 5 defines it (scalar clamped, u's top bit masked), for the KATs. */
HS_MUST_USE hs_err hs_soft_x25519(const uint8_t scalar[32], const uint8_t u[32], uint8_t out[32]);

/* ---- wolfCrypt-level state, only for hw/ files that include <wolfssl/options.h> first ---- */
#ifdef WOLFSSL_OPTIONS_H
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/rsa.h>

/* The private data (struct hs_key.priv) of every software key, public-only or not. */
struct hs_soft_key {
	enum hs_key_type type;
	bool has_private;
	bool init;
	union {
		ed25519_key ed;
		ecc_key ec;
		RsaKey rsa;
	} u;
};

/* wolfCrypt curve id and field size in bytes for an ECDSA key type; false if not ECDSA. */
bool hs_soft_curve(enum hs_key_type t, int *curve_id, size_t *size);
/* Import raw components into a new soft key (validates points and, with a private part, checks
 * that it matches the public one). Caller frees with hs_soft_key_free. */
HS_MUST_USE hs_err hs_soft_key_import(const struct hs_key_raw *raw, struct hs_soft_key **out);
void hs_soft_key_free(void *sk);
/* Log and map a wolfCrypt error code. */
hs_err hs_soft_wc_fail(const char *what, int ret);
#endif

#endif
