/* fips_kat.c: the known-answer tests of the power-on self-test (issue 6), one table row per test.
 *
 * Each row computes with the same hw/ entry points the transport uses (hs_hash, hs_hmac,
 * hs_cipher_*, hs_kdf_ssh, hs_key_*, hs_soft_ecdh_fixed, hs_soft_x25519) and compares with the
 * compiled-in expected value (fips/fips_kat_data.c) in constant time. Two tests have no hw/ entry
 * point and call wolfCrypt directly: finite-field DH with a fixed exponent (wc_DhAgree, the call
 * hs_kex_derive makes) and the Hash_DRBG health test (wc_RNG_HealthTest, SP 800-90A 11.3).
 * Signature rows build and read the SSH wire encodings (RFC 4253 6.6, RFC 5656 3.1.2, RFC 8332 3,
 * RFC 8709 6) through hs_buf, as the transport does.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/dh.h>
#include <wolfssl/wolfcrypt/random.h>

#include <stdlib.h>
#include <string.h>

#include "fips_kat_impl.h"
#include "hs_buf.h"
#include "hs_ct.h"
#include "hs_fips.h"
#include "hs_key_impl.h"
#include "hs_mem.h"

#define KAT_MAX		512	/* largest expected value: an RSA-2048 or group14 number is 256 */
#define KAT_SIG_MAX	1024	/* an SSH signature encoding of any row */

/* ---- fault injection (issue 6 tests) ---- */

#if HS_FIPS_TEST_HOOKS
bool
hs_fips_corrupt(const char *kat_name)
{
	const char *want = getenv("HS_FIPS_CORRUPT");

	return want != NULL && kat_name != NULL && strcmp(want, kat_name) == 0;
}
#else
bool
hs_fips_corrupt(const char *kat_name)
{
	return false;
}
#endif

/* ---- comparison helpers ---- */

/* The row's expected value v in buf (cap bytes), with the first byte's low bit flipped when fault
 * injection names this row. */
static hs_err
kat_expected(const struct hs_fips_kat *k, struct kat_bin v, uint8_t *buf, size_t cap)
{
	HS_ENSURE(v.n > 0 && v.n <= cap, HS_ERR_INTERNAL);
	memcpy(buf, v.p, v.n);
	if (hs_fips_corrupt(k->name))
		buf[0] ^= 0x01;
	return HS_OK;
}

/* HS_OK iff got (glen bytes) equals the expected value v; HS_ERR_FIPS_STATE otherwise. */
static hs_err
kat_check(const struct hs_fips_kat *k, const uint8_t *got, size_t glen, struct kat_bin v)
{
	uint8_t want[KAT_MAX];
	hs_err r;

	HS_GUARD(kat_expected(k, v, want, sizeof(want)));
	r = glen == v.n && hs_ct_memeq(got, want, v.n) ? HS_OK : HS_ERR_FIPS_STATE;
	hs_wipe(want, sizeof(want));
	return r;
}

/* An empty input (RFC 8032 TEST 1's message) as a valid pointer, as callers pass "". */
static const uint8_t *
kat_ptr(struct kat_bin v)
{
	static const uint8_t empty[1];

	return v.p != NULL ? v.p : empty;
}

/* A verification that reports a bad signature is a failed KAT, not an internal error. */
static hs_err
kat_verified(hs_err r)
{
	return r == HS_ERR_SIG ? HS_ERR_FIPS_STATE : r;
}

/* ---- hashes, MACs, ciphers, KDF ---- */

static hs_err
run_hash(const struct hs_fips_kat *k)
{
	const struct kat_hash *v = k->data;
	uint8_t md[HS_MAX_HASH];

	HS_GUARD(hs_hash(v->alg, v->msg.p, v->msg.n, md));
	return kat_check(k, md, hs_hash_len(v->alg), v->md);
}

static hs_err
run_hmac(const struct hs_fips_kat *k)
{
	const struct kat_hmac *v = k->data;
	uint8_t mac[HS_MAX_HASH];

	HS_GUARD(hs_hmac(v->alg, v->key.p, v->key.n, v->data.p, v->data.n, mac));
	return kat_check(k, mac, hs_hash_len(v->alg), v->mac);
}

/* One packet through hs_cipher_crypt: aad || pt encrypted (the AEAD tag follows), or
 * aad || ct || tag decrypted. */
static hs_err
run_cipher(const struct hs_fips_kat *k, bool encrypt)
{
	const struct kat_cipher *v = k->data;
	const struct kat_bin *in = encrypt ? &v->pt : &v->ct;
	uint8_t buf[KAT_MAX];
	struct hs_cipher *c = NULL;
	size_t n = v->aad.n + in->n;
	hs_err r;

	HS_ENSURE(n + v->tag.n <= sizeof(buf), HS_ERR_INTERNAL);
	if (v->aad.n > 0)
		memcpy(buf, v->aad.p, v->aad.n);
	memcpy(buf + v->aad.n, in->p, in->n);
	if (!encrypt && v->tag.n > 0)
		memcpy(buf + n, v->tag.p, v->tag.n);
	HS_GUARD(hs_cipher_new(v->id, encrypt, v->key.p, v->iv.p, &c));
	HS_GUARD_GOTO(hs_cipher_crypt(c, 0, buf, buf, in->n, v->aad.n), r, out);
	if (!encrypt) {
		r = kat_check(k, buf + v->aad.n, in->n, v->pt);
		goto out;
	}
	HS_GUARD_GOTO(kat_check(k, buf + v->aad.n, in->n, v->ct), r, out);
	r = v->tag.n == 0 ? HS_OK : kat_check(k, buf + n, v->tag.n, v->tag);
out:
	hs_cipher_free(c);
	hs_wipe(buf, sizeof(buf));
	return r;
}

static hs_err
run_encrypt(const struct hs_fips_kat *k)
{
	return run_cipher(k, true);
}

static hs_err
run_decrypt(const struct hs_fips_kat *k)
{
	return run_cipher(k, false);
}

static hs_err
run_kdf(const struct hs_fips_kat *k)
{
	const struct kat_kdf *v = k->data;
	uint8_t out[KAT_MAX];
	hs_err r;

	HS_ENSURE(v->out.n <= sizeof(out), HS_ERR_INTERNAL);
	HS_GUARD(hs_kdf_ssh(v->alg, v->k.p, v->k.n, v->h.p, v->h.n, v->letter, v->sid.p, v->sid.n,
	    out, v->out.n));
	r = kat_check(k, out, v->out.n, v->out);
	hs_wipe(out, sizeof(out));
	return r;
}

/* ---- keys and signatures ---- */

/* A public-only key from raw public components, through the SSH blob the transport would parse. */
static hs_err
key_public(const struct hs_key_raw *raw, struct hs_key **out)
{
	struct hs_buf *blob = NULL;
	hs_err r;

	HS_GUARD(hs_buf_new(KAT_SIG_MAX, &blob));
	HS_GUARD_GOTO(hs_soft_blob_from_raw(raw, blob), r, out);
	r = hs_key_from_blob(hs_buf_ptr(blob), hs_buf_len(blob), out);
out:
	hs_buf_free(blob);
	return r;
}

static void
set_bin(uint8_t *dst, size_t cap, size_t *len, struct kat_bin v)
{
	*len = v.n <= cap ? v.n : 0;
	if (*len > 0)
		memcpy(dst, v.p, v.n);
}

static void
raw_ecdsa(const struct kat_ecdsa *v, bool priv, struct hs_key_raw *raw)
{
	memset(raw, 0, sizeof(*raw));
	raw->type = v->type;
	set_bin(raw->pub, sizeof(raw->pub), &raw->pub_len, v->q);
	if (priv)
		set_bin(raw->priv, sizeof(raw->priv), &raw->priv_len, v->d);
}

static void
raw_rsa(const struct kat_rsa *v, bool priv, struct hs_key_raw *raw)
{
	memset(raw, 0, sizeof(*raw));
	raw->type = HS_KEY_RSA;
	set_bin(raw->n, sizeof(raw->n), &raw->n_len, v->n);
	set_bin(raw->e, sizeof(raw->e), &raw->e_len, v->e);
	if (!priv)
		return;
	set_bin(raw->d, sizeof(raw->d), &raw->d_len, v->d);
	set_bin(raw->p, sizeof(raw->p), &raw->p_len, v->p);
	set_bin(raw->q, sizeof(raw->q), &raw->q_len, v->q);
	set_bin(raw->iqmp, sizeof(raw->iqmp), &raw->iqmp_len, v->iqmp);
}

static void
raw_ed25519(const struct kat_ed25519 *v, bool priv, struct hs_key_raw *raw)
{
	memset(raw, 0, sizeof(*raw));
	raw->type = HS_KEY_ED25519;
	set_bin(raw->pub, sizeof(raw->pub), &raw->pub_len, v->pub);
	if (priv)
		set_bin(raw->priv, sizeof(raw->priv), &raw->priv_len, v->seed);
}

/* SSH signature encoding of the row's raw signature sig (slen bytes; ECDSA r || s, else the
 * signature blob), with the fault-injection flip applied to sig: string alg-name, string blob. */
static hs_err
sig_encode(const struct hs_fips_kat *k, enum hs_sig_alg alg, size_t modlen, struct kat_bin sig,
    struct hs_buf *out)
{
	uint8_t s[KAT_MAX];
	hs_err r;

	HS_GUARD(kat_expected(k, sig, s, sizeof(s)));
	HS_GUARD_GOTO(hs_buf_put_cstring(out, hs_sig_alg_name(alg)), r, out);
	r = hs_sig_blob_from_raw(hs_sig_alg_key_type(alg), modlen, s, sig.n, out);
out:
	hs_wipe(s, sizeof(s));
	return r;
}

/* Verify the row's fixed signature sig over msg with a public-only key made from raw. */
static hs_err
verify_fixed(const struct hs_fips_kat *k, const struct hs_key_raw *raw, enum hs_sig_alg alg,
    size_t modlen, struct kat_bin sig, struct kat_bin msg)
{
	struct hs_key *key = NULL;
	struct hs_buf *enc = NULL;
	hs_err r;

	HS_GUARD(hs_buf_new(KAT_SIG_MAX, &enc));
	HS_GUARD_GOTO(key_public(raw, &key), r, out);
	HS_GUARD_GOTO(sig_encode(k, alg, modlen, sig, enc), r, out);
	r = kat_verified(hs_key_verify(key, hs_buf_ptr(enc), hs_buf_len(enc), kat_ptr(msg), msg.n,
	    NULL));
out:
	hs_key_free(key);
	hs_buf_free(enc);
	return r;
}

/* Sign msg with a key made from raw (private), then verify the signature with the key's public
 * part. With want set (deterministic schemes) the encoding must equal the expected one; without,
 * fault injection flips a bit of the signature before it is verified. */
static hs_err
sign_verify(const struct hs_fips_kat *k, const struct hs_key_raw *raw, enum hs_sig_alg alg,
    struct kat_bin msg, const struct kat_bin *want)
{
	struct hs_key *key = NULL;
	struct hs_buf *sig = NULL, *exp = NULL;
	uint8_t *p;
	hs_err r;

	HS_GUARD(hs_buf_new(KAT_SIG_MAX, &sig));
	HS_GUARD_GOTO(hs_buf_new(KAT_SIG_MAX, &exp), r, out);
	HS_GUARD_GOTO(hs_key_from_raw(raw, &key), r, out);
	HS_GUARD_GOTO(hs_key_sign(key, alg, kat_ptr(msg), msg.n, sig), r, out);
	if (want != NULL) {
		HS_GUARD_GOTO(sig_encode(k, alg, want->n, *want, exp), r, out);
		HS_ENSURE_GOTO(hs_buf_len(sig) == hs_buf_len(exp) &&
		    hs_ct_memeq(hs_buf_ptr(sig), hs_buf_ptr(exp), hs_buf_len(exp)),
		    HS_ERR_FIPS_STATE, r, out);
	} else if (hs_fips_corrupt(k->name)) {
		HS_ENSURE_GOTO((p = hs_buf_mutable_ptr(sig)) != NULL, HS_ERR_INTERNAL, r, out);
		p[hs_buf_len(sig) - 1] ^= 0x01;
	}
	r = kat_verified(hs_key_verify(key, hs_buf_ptr(sig), hs_buf_len(sig), kat_ptr(msg), msg.n,
	    NULL));
out:
	hs_key_free(key);
	hs_buf_free(sig);
	hs_buf_free(exp);
	return r;
}

static hs_err
run_ecdsa_verify(const struct hs_fips_kat *k)
{
	const struct kat_ecdsa *v = k->data;
	uint8_t rs[2 * 66];
	struct hs_key_raw raw;
	struct kat_bin sig = { rs, 2 * v->modlen };

	HS_ENSURE(v->r.n == v->modlen && v->s.n == v->modlen && sig.n <= sizeof(rs),
	    HS_ERR_INTERNAL);
	memcpy(rs, v->r.p, v->modlen);
	memcpy(rs + v->modlen, v->s.p, v->modlen);
	raw_ecdsa(v, false, &raw);
	return verify_fixed(k, &raw, v->sig, v->modlen, sig, v->msg);
}

/* hs_key_sign signs ECDSA with a random k, so this row is sign-then-verify. (Debian's wolfSSL
 * 5.5.4 has wc_ecc_set_deterministic, but it gives RFC 6979's signature only on P-256 and refuses
 * P-384 and P-521 with ECC_PRIV_KEY_E; and the transport does not sign that way.) */
static hs_err
run_ecdsa_sign(const struct hs_fips_kat *k)
{
	const struct kat_ecdsa *v = k->data;
	struct hs_key_raw raw;
	hs_err r;

	raw_ecdsa(v, true, &raw);
	r = sign_verify(k, &raw, v->sig, v->msg, NULL);
	hs_key_raw_wipe(&raw);
	return r;
}

static hs_err
run_rsa_sign(const struct hs_fips_kat *k)
{
	const struct kat_rsa *v = k->data;
	struct hs_key_raw raw;
	hs_err r;

	raw_rsa(v, true, &raw);
	r = sign_verify(k, &raw, HS_SIG_RSA_SHA256, v->msg, &v->sig);
	hs_key_raw_wipe(&raw);
	return r;
}

static hs_err
run_rsa_verify(const struct hs_fips_kat *k)
{
	const struct kat_rsa *v = k->data;
	struct hs_key_raw raw;

	raw_rsa(v, false, &raw);
	return verify_fixed(k, &raw, HS_SIG_RSA_SHA256, v->n.n, v->sig, v->msg);
}

static hs_err
run_ed25519_sign(const struct hs_fips_kat *k)
{
	const struct kat_ed25519 *v = k->data;
	struct hs_key_raw raw;
	hs_err r;

	raw_ed25519(v, true, &raw);
	r = sign_verify(k, &raw, HS_SIG_ED25519, v->msg, &v->sig);
	hs_key_raw_wipe(&raw);
	return r;
}

static hs_err
run_ed25519_verify(const struct hs_fips_kat *k)
{
	const struct kat_ed25519 *v = k->data;
	struct hs_key_raw raw;

	raw_ed25519(v, false, &raw);
	return verify_fixed(k, &raw, HS_SIG_ED25519, 0, v->sig, v->msg);
}

/* ---- key agreement ---- */

static hs_err
run_ecdh(const struct hs_fips_kat *k)
{
	const struct kat_ecdh *v = k->data;
	struct hs_buf *z = NULL;
	hs_err r;

	HS_GUARD(hs_buf_new(KAT_MAX, &z));
	HS_GUARD_GOTO(hs_soft_ecdh_fixed(v->m, v->d.p, v->d.n, v->peer.p, v->peer.n, z), r, out);
	r = kat_check(k, hs_buf_ptr(z), hs_buf_len(z), v->z);
out:
	hs_buf_free(z);
	return r;
}

static hs_err
run_x25519(const struct hs_fips_kat *k)
{
	const struct kat_x25519 *v = k->data;
	uint8_t out[32];
	hs_err r;

	HS_ENSURE(v->scalar.n == 32 && v->u.n == 32, HS_ERR_INTERNAL);
	HS_GUARD(hs_soft_x25519(v->scalar.p, v->u.p, out));
	r = kat_check(k, out, sizeof(out), v->out);
	hs_wipe(out, sizeof(out));
	return r;
}

/* x applied to peer as hs_kex_derive does (wc_DhAgree), the result checked against want. */
static hs_err
dh_agree(const struct hs_fips_kat *k, DhKey *key, struct kat_bin peer, struct kat_bin want)
{
	const struct kat_dh *v = k->data;
	uint8_t z[KAT_MAX];
	word32 zlen = sizeof(z);
	hs_err r;
	int ret;

	ret = wc_DhAgree(key, z, &zlen, v->x.p, (word32)v->x.n, peer.p, (word32)peer.n);
	if (ret != 0)
		return hs_soft_wc_fail("DH KAT", ret);
	r = kat_check(k, z, zlen, want);
	hs_wipe(z, sizeof(z));
	return r;
}

/* g^x (g is a valid public value, 1 < g < p-1) and y^x mod p on group14. */
static hs_err
run_dh(const struct hs_fips_kat *k)
{
	const struct kat_dh *v = k->data;
	DhKey key;
	hs_err r;
	int ret;

	if ((ret = wc_InitDhKey(&key)) != 0)
		return hs_soft_wc_fail("DH KAT init", ret);
	ret = wc_DhSetKey(&key, v->p.p, (word32)v->p.n, v->g.p, (word32)v->g.n);
	HS_ENSURE_GOTO(ret == 0, hs_soft_wc_fail("DH KAT group", ret), r, out);
	HS_GUARD_GOTO(dh_agree(k, &key, v->g, v->gx), r, out);
	r = dh_agree(k, &key, v->y, v->z);
out:
	wc_FreeDhKey(&key);
	return r;
}

/* ---- random generator ---- */

/* SP 800-90A 11.3 health test of the Hash_DRBG with a CAVP vector (no reseed). */
static hs_err
run_drbg(const struct hs_fips_kat *k)
{
	const struct kat_drbg *v = k->data;
	uint8_t out[4 * 32];	/* the CAVP vector's ReturnedBits: four SHA-256 outputs */
	hs_err r;
	int ret;

	HS_ENSURE(v->out.n == sizeof(out), HS_ERR_INTERNAL);
	ret = wc_RNG_HealthTest(0, v->seed.p, (word32)v->seed.n, NULL, 0, out, sizeof(out));
	if (ret != 0)
		return hs_soft_wc_fail("Hash_DRBG health test", ret);
	r = kat_check(k, out, sizeof(out), v->out);
	hs_wipe(out, sizeof(out));
	return r;
}

/* ---- the table ---- */

/* One software-backend row; Ed25519 and X25519 are tested but not approved. */
#define KAT(nm, fn, d, ok)	\
	{ .name = (nm), .backend = "soft", .approved = (ok), .run = (fn), .data = &(d) }
#define APPROVED	true
#define NOT_APPROVED	false

static const struct hs_fips_kat kats[] = {
	KAT("SHA-256", run_hash, kat_sha_256, APPROVED),
	KAT("SHA-384", run_hash, kat_sha_384, APPROVED),
	KAT("SHA-512", run_hash, kat_sha_512, APPROVED),
	KAT("HMAC-SHA-256", run_hmac, kat_hmac_sha_256, APPROVED),
	KAT("HMAC-SHA-512", run_hmac, kat_hmac_sha_512, APPROVED),
	KAT("AES-128-GCM encrypt", run_encrypt, kat_aes_128_gcm, APPROVED),
	KAT("AES-128-GCM decrypt", run_decrypt, kat_aes_128_gcm, APPROVED),
	KAT("AES-256-GCM encrypt", run_encrypt, kat_aes_256_gcm, APPROVED),
	KAT("AES-256-GCM decrypt", run_decrypt, kat_aes_256_gcm, APPROVED),
	KAT("AES-128-CTR", run_encrypt, kat_aes_128_ctr, APPROVED),
	KAT("AES-256-CTR", run_encrypt, kat_aes_256_ctr, APPROVED),
	KAT("SSH KDF (mpint K)", run_kdf, kat_ssh_kdf_mpint_k, APPROVED),
	KAT("SSH KDF (string K)", run_kdf, kat_ssh_kdf_string_k, APPROVED),
	KAT("ECDSA P-256 verify", run_ecdsa_verify, kat_ecdsa_p_256, APPROVED),
	KAT("ECDSA P-256 sign", run_ecdsa_sign, kat_ecdsa_p_256, APPROVED),
	KAT("ECDSA P-384 verify", run_ecdsa_verify, kat_ecdsa_p_384, APPROVED),
	KAT("ECDSA P-384 sign", run_ecdsa_sign, kat_ecdsa_p_384, APPROVED),
	KAT("ECDSA P-521 verify", run_ecdsa_verify, kat_ecdsa_p_521, APPROVED),
	KAT("ECDSA P-521 sign", run_ecdsa_sign, kat_ecdsa_p_521, APPROVED),
	KAT("ECDH P-256", run_ecdh, kat_ecdh_p_256, APPROVED),
	KAT("ECDH P-384", run_ecdh, kat_ecdh_p_384, APPROVED),
	KAT("DH group14", run_dh, kat_dh_group14, APPROVED),
	KAT("RSA-2048 sign", run_rsa_sign, kat_rsa_2048, APPROVED),
	KAT("RSA-2048 verify", run_rsa_verify, kat_rsa_2048, APPROVED),
	KAT("Ed25519 sign", run_ed25519_sign, kat_ed25519, NOT_APPROVED),
	KAT("Ed25519 verify", run_ed25519_verify, kat_ed25519_verify, NOT_APPROVED),
	KAT("X25519", run_x25519, kat_x25519, NOT_APPROVED),
	KAT("Hash_DRBG", run_drbg, kat_hash_drbg, APPROVED),
};

const struct hs_fips_kat *
hs_fips_kats(size_t *n)
{
	*n = sizeof(kats) / sizeof(kats[0]);
	return kats;
}
