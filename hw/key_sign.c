/* key_sign.c: signatures with software keys, and signature verification for every key.
 * Blob formats: ssh-ed25519 RFC 8709 6 (64 bytes); ecdsa-sha2-* RFC 5656 3.1.2 (mpint r, mpint s);
 * rsa-sha2-256/512 RFC 8332 3 (PKCS#1 v1.5, RFC 8017 8.2, exactly the modulus length).
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include <string.h>

#include "hs_ct.h"
#include "hs_key_impl.h"
#include "hs_log.h"
#include "hs_mem.h"

#define RSA_MIN_SIGN_BITS	2048
#define RSA_MAX_BYTES		512
#define ECC_MAX_DER		(2 * 66 + 16)

/* RFC 8017 9.2 note 1: DER of DigestInfo up to the digest, for SHA-256 and SHA-512. */
struct digest_info {
	enum hs_hash_alg hash;
	uint8_t prefix[19];
};

static const struct digest_info digest_infos[] = {
	{ .hash = HS_HASH_SHA256, .prefix = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
	  0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20 } },
	{ .hash = HS_HASH_SHA512, .prefix = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
	  0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40 } },
	{ .hash = 0 }
};

hs_err
hs_rsa_digest_info(enum hs_hash_alg h, const uint8_t *m, size_t mlen, uint8_t *t, size_t *tlen)
{
	const struct digest_info *di;

	for (di = digest_infos; di->hash != 0; di++)
		if (di->hash == h)
			break;
	HS_ENSURE(di->hash != 0, HS_ERR_UNSUPPORTED);
	memcpy(t, di->prefix, sizeof(di->prefix));
	HS_GUARD(hs_hash(h, m, mlen, t + sizeof(di->prefix)));
	*tlen = sizeof(di->prefix) + hs_hash_len(h);
	return HS_OK;
}

static hs_err
sign_rsa(struct hs_soft_key *sk, enum hs_sig_alg alg, const uint8_t *m, size_t mlen,
    struct hs_buf *out)
{
	uint8_t t[19 + HS_MAX_HASH], s[RSA_MAX_BYTES];
	size_t tlen;
	int ret, modlen = wc_RsaEncryptSize(&sk->u.rsa);
	WC_RNG *rng = hs_soft_rng();
	hs_err r;

	HS_ENSURE(rng != NULL, HS_ERR_PROVIDER);
	HS_ENSURE(modlen * 8 >= RSA_MIN_SIGN_BITS && modlen <= RSA_MAX_BYTES, HS_ERR_UNSUPPORTED);
	HS_GUARD_GOTO(hs_rsa_digest_info(hs_sig_alg_hash(alg), m, mlen, t, &tlen), r, out);
	/* WC_RSA_BLINDING: the private operation is blinded with this RNG. */
	if ((ret = wc_RsaSetRNG(&sk->u.rsa, rng)) != 0) {
		r = hs_soft_wc_fail("RSA RNG", ret);
		goto out;
	}
	ret = wc_RsaSSL_Sign(t, (word32)tlen, s, (word32)modlen, &sk->u.rsa, rng);
	if (ret != modlen) {
		r = hs_soft_wc_fail("RSA sign", ret);
		goto out;
	}
	r = hs_buf_put_string(out, s, (size_t)modlen);
out:
	hs_wipe(t, sizeof(t));
	return r;
}

/* n as exactly len big-endian bytes. */
static hs_err
rsa_modulus(RsaKey *k, uint8_t *out, size_t len)
{
	int n = mp_unsigned_bin_size(&k->n);

	HS_ENSURE(n > 0 && (size_t)n <= len, HS_ERR_INTERNAL);
	memset(out, 0, len - (size_t)n);
	HS_ENSURE(mp_to_unsigned_bin(&k->n, out + len - (size_t)n) == MP_OKAY, HS_ERR_PROVIDER);
	return HS_OK;
}

static hs_err
verify_rsa(struct hs_soft_key *sk, enum hs_sig_alg alg, const uint8_t *sig, size_t slen,
    const uint8_t *m, size_t mlen)
{
	uint8_t t[19 + HS_MAX_HASH], s[RSA_MAX_BYTES], dec[RSA_MAX_BYTES];
	size_t tlen, modlen = (size_t)wc_RsaEncryptSize(&sk->u.rsa);
	int ret;

	HS_ENSURE(modlen * 8 >= RSA_MIN_SIGN_BITS && modlen <= RSA_MAX_BYTES, HS_ERR_SIG);
	/* RFC 8332 3 says exactly the modulus length; like OpenSSH, accept a short value
	 * left-padded with zeros (some signers strip leading zeros), never a long one. */
	HS_ENSURE(slen > 0 && slen <= modlen, HS_ERR_SIG);
	memset(s, 0, modlen - slen);
	memcpy(s + modlen - slen, sig, slen);
	/* RFC 8017 5.2.2 (RSAVP1): the representative must be below n; wolfCrypt 5.5.4 reduces it
	 * instead, which Wycheproof flags as malleability. Both values are public. */
	HS_GUARD(rsa_modulus(&sk->u.rsa, dec, modlen));
	HS_ENSURE(memcmp(s, dec, modlen) < 0, HS_ERR_SIG);
	HS_GUARD(hs_rsa_digest_info(hs_sig_alg_hash(alg), m, mlen, t, &tlen));
	ret = wc_RsaSSL_Verify(s, (word32)modlen, dec, sizeof(dec), &sk->u.rsa);
	HS_ENSURE(ret > 0 && (size_t)ret == tlen && hs_ct_memeq(dec, t, tlen), HS_ERR_SIG);
	return HS_OK;
}

static hs_err
sign_ecdsa(struct hs_soft_key *sk, enum hs_sig_alg alg, const uint8_t *m, size_t mlen,
    struct hs_buf *out)
{
	uint8_t h[HS_MAX_HASH], der[ECC_MAX_DER], rb[66], sb[66];
	word32 derlen = sizeof(der), rlen = sizeof(rb), slen = sizeof(sb);
	enum hs_hash_alg ha = hs_sig_alg_hash(alg);
	WC_RNG *rng = hs_soft_rng();
	struct hs_buf *inner = NULL;
	hs_err r;
	int ret;

	HS_ENSURE(rng != NULL, HS_ERR_PROVIDER);
	HS_GUARD(hs_hash(ha, m, mlen, h));
	ret = wc_ecc_sign_hash(h, (word32)hs_hash_len(ha), der, &derlen, rng, &sk->u.ec);
	if (ret == 0)
		ret = wc_ecc_sig_to_rs(der, derlen, rb, &rlen, sb, &slen);
	if (ret != 0)
		return hs_soft_wc_fail("ECDSA sign", ret);
	/* RFC 5656 3.1.2: string(mpint r || mpint s). */
	HS_GUARD_GOTO(hs_buf_new(2 * sizeof(rb) + 16, &inner), r, out);
	HS_GUARD_GOTO(hs_buf_put_mpint(inner, rb, rlen), r, out);
	HS_GUARD_GOTO(hs_buf_put_mpint(inner, sb, slen), r, out);
	r = hs_buf_put_stringb(out, inner);
out:
	hs_buf_free(inner);
	return r;
}

static hs_err
verify_ecdsa(struct hs_soft_key *sk, enum hs_sig_alg alg, const uint8_t *sig, size_t siglen,
    const uint8_t *m, size_t mlen)
{
	uint8_t h[HS_MAX_HASH], der[ECC_MAX_DER];
	word32 derlen = sizeof(der);
	const uint8_t *rp, *sp;
	size_t rlen, slen, size = (hs_key_type_bits(sk->type) + 7) / 8;
	enum hs_hash_alg ha = hs_sig_alg_hash(alg);
	struct hs_buf *b;
	int res = 0, ret;
	hs_err r;

	HS_GUARD(hs_buf_from(sig, siglen, &b));
	HS_GUARD_GOTO(hs_buf_get_mpint(b, &rp, &rlen), r, out);
	HS_GUARD_GOTO(hs_buf_get_mpint(b, &sp, &slen), r, out);
	HS_ENSURE_GOTO(hs_buf_get_end(b) == HS_OK, HS_ERR_FORMAT, r, out);
	/* r and s lie in [1, n-1]; wolfCrypt checks the range, we bound the sizes. */
	HS_ENSURE_GOTO(rlen > 0 && slen > 0 && rlen <= size && slen <= size, HS_ERR_SIG, r, out);
	HS_GUARD_GOTO(hs_hash(ha, m, mlen, h), r, out);
	ret = wc_ecc_rs_raw_to_sig(rp, (word32)rlen, sp, (word32)slen, der, &derlen);
	if (ret == 0)
		ret = wc_ecc_verify_hash(der, derlen, h, (word32)hs_hash_len(ha), &res, &sk->u.ec);
	HS_ENSURE_GOTO(ret == 0 && res == 1, HS_ERR_SIG, r, out);
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}

static hs_err
sign_ed25519(struct hs_soft_key *sk, const uint8_t *m, size_t mlen, struct hs_buf *out)
{
	uint8_t s[ED25519_SIG_SIZE];
	word32 slen = sizeof(s);
	int ret;

	if ((ret = wc_ed25519_sign_msg(m, (word32)mlen, s, &slen, &sk->u.ed)) != 0)
		return hs_soft_wc_fail("Ed25519 sign", ret);
	return hs_buf_put_string(out, s, slen);
}

/* RFC 8032 5.1.7 step 1: S must be below the group order L (little-endian, public data).
 * wolfCrypt 5.5.4 does not check this, which would make signatures malleable. */
static bool
ed25519_s_reduced(const uint8_t s[32])
{
	static const uint8_t order[32] = { 0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6,
	    0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0x10 };
	int i;

	for (i = 31; i >= 0; i--)
		if (s[i] != order[i])
			return s[i] < order[i];
	return false;	/* S == L */
}

static hs_err
verify_ed25519(struct hs_soft_key *sk, const uint8_t *sig, size_t siglen, const uint8_t *m,
    size_t mlen)
{
	int res = 0, ret;

	HS_ENSURE(siglen == ED25519_SIG_SIZE, HS_ERR_SIG);
	HS_ENSURE(ed25519_s_reduced(sig + 32), HS_ERR_SIG);
	ret = wc_ed25519_verify_msg(sig, (word32)siglen, m, (word32)mlen, &res, &sk->u.ed);
	HS_ENSURE(ret == 0 && res == 1, HS_ERR_SIG);
	return HS_OK;
}

hs_err
hs_soft_sign(void *ctx, const struct hs_key *k, enum hs_sig_alg alg, const uint8_t *m, size_t mlen,
    struct hs_buf *sig)
{
	struct hs_soft_key *sk = k->priv;
	struct hs_buf *tmp;
	hs_err r;

	HS_ENSURE(sk != NULL && sk->has_private, HS_ERR_UNSUPPORTED);
	HS_ENSURE(alg != HS_SIG_RSA_SHA1 && hs_sig_alg_key_type(alg) == k->type,
	    HS_ERR_UNSUPPORTED);
	HS_GUARD(hs_buf_new(HS_BUF_MAX_DEFAULT, &tmp));
	HS_GUARD_GOTO(hs_buf_put_cstring(tmp, hs_sig_alg_name(alg)), r, out);
	if (k->type == HS_KEY_ED25519)
		HS_GUARD_GOTO(sign_ed25519(sk, m, mlen, tmp), r, out);
	else if (k->type == HS_KEY_RSA)
		HS_GUARD_GOTO(sign_rsa(sk, alg, m, mlen, tmp), r, out);
	else
		HS_GUARD_GOTO(sign_ecdsa(sk, alg, m, mlen, tmp), r, out);
	r = hs_buf_put_buf(sig, tmp);
out:
	hs_buf_free(tmp);
	return r;
}

/* The soft key to verify with: the key's own for software keys, else one made from the blob. */
static hs_err
verify_key(const struct hs_key *k, struct hs_soft_key **sk, bool *owned)
{
	struct hs_key_raw *raw;
	hs_err r;

	*owned = false;
	if (k->ops == &hs_provider_soft && k->priv != NULL) {
		*sk = k->priv;
		return HS_OK;
	}
	if ((raw = hs_calloc(1, sizeof(*raw))) == NULL)
		return HS_ERR_ALLOC;
	r = hs_soft_raw_from_blob(k->blob, k->blob_len, raw);
	if (r == HS_OK)
		r = hs_soft_key_import(raw, sk);
	*owned = r == HS_OK;
	hs_free_wiped(raw, sizeof(*raw));
	return r;
}

hs_err
hs_soft_verify_raw(const struct hs_key *k, enum hs_sig_alg alg, const uint8_t *sigblob,
    size_t siglen, const uint8_t *m, size_t mlen)
{
	struct hs_soft_key *sk;
	bool owned;
	hs_err r;

	HS_ENSURE(alg != HS_SIG_RSA_SHA1 && hs_sig_alg_key_type(alg) == k->type, HS_ERR_SIG);
	HS_GUARD(hs_crypto_init());
	HS_GUARD(verify_key(k, &sk, &owned));
	if (k->type == HS_KEY_ED25519)
		r = verify_ed25519(sk, sigblob, siglen, m, mlen);
	else if (k->type == HS_KEY_RSA)
		r = verify_rsa(sk, alg, sigblob, siglen, m, mlen);
	else
		r = verify_ecdsa(sk, alg, sigblob, siglen, m, mlen);
	if (owned)
		hs_soft_key_free(sk);
	return r;
}

hs_err
hs_sig_blob_from_raw(enum hs_key_type type, size_t modlen, const uint8_t *s, size_t slen,
    struct hs_buf *out)
{
	uint8_t padded[RSA_MAX_BYTES];
	struct hs_buf *inner = NULL;
	hs_err r;

	if (type == HS_KEY_ED25519) {
		HS_ENSURE(slen == 64, HS_ERR_PROVIDER);
		return hs_buf_put_string(out, s, slen);
	}
	if (type == HS_KEY_RSA) {
		/* RFC 8332 3: exactly the modulus length, left-padded with zeros. */
		HS_ENSURE(slen > 0 && slen <= modlen && modlen <= sizeof(padded), HS_ERR_PROVIDER);
		memset(padded, 0, modlen - slen);
		memcpy(padded + modlen - slen, s, slen);
		return hs_buf_put_string(out, padded, modlen);
	}
	/* PKCS#11 v2.40 2.3.1 (CKM_ECDSA): r || s, each the field size; SSH wants two mpints. */
	HS_ENSURE(modlen > 0 && slen == 2 * modlen, HS_ERR_PROVIDER);
	HS_GUARD(hs_buf_new(slen + 16, &inner));
	HS_GUARD_GOTO(hs_buf_put_mpint(inner, s, modlen), r, out);
	HS_GUARD_GOTO(hs_buf_put_mpint(inner, s + modlen, modlen), r, out);
	r = hs_buf_put_stringb(out, inner);
out:
	hs_buf_free(inner);
	return r;
}
