/* pkcs11_sign.c: signatures with keys held in a PKCS#11 token. The bytes appended are exactly what
 * hs_key_sign appends for software keys: string alg-name, string blob, where the blob is
 * ssh-ed25519: the 64-byte signature (RFC 8709 6); ecdsa-sha2-*: mpint r, mpint s (RFC 5656 3.1.2,
 * hash per curve RFC 5656 6.2.1); rsa-sha2-256/512: PKCS#1 v1.5, the modulus length (RFC 8332 3).
 */
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_pkcs11_impl.h"

#define P11_SIG_MAX	512	/* RSA 4096 */

/* RFC 8017 9.2 note 1: DER of DigestInfo up to the digest, for the CKM_RSA_PKCS fallback. */
struct rsa_mech {
	enum hs_sig_alg alg;
	enum hs_hash_alg hash;
	CK_MECHANISM_TYPE mech;
	uint8_t prefix[19];
};

static const struct rsa_mech rsa_mechs[] = {
	{ .alg = HS_SIG_RSA_SHA256, .hash = HS_HASH_SHA256, .mech = CKM_SHA256_RSA_PKCS,
	  .prefix = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	  0x02, 0x01, 0x05, 0x00, 0x04, 0x20 } },
	{ .alg = HS_SIG_RSA_SHA512, .hash = HS_HASH_SHA512, .mech = CKM_SHA512_RSA_PKCS,
	  .prefix = { 0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04,
	  0x02, 0x03, 0x05, 0x00, 0x04, 0x40 } },
	{ .alg = HS_SIG_UNKNOWN }
};

/* One C_SignInit + C_Sign. */
static CK_RV
p11_sign_once(struct hs_p11_key *pk, CK_MECHANISM_TYPE mech, const uint8_t *in, size_t inlen,
    uint8_t *out, size_t *outlen)
{
	CK_MECHANISM m = { mech, NULL, 0 };
	CK_ULONG n = *outlen;
	CK_RV rv;

	if ((rv = pk->mod->f->C_SignInit(pk->sess, &m, pk->obj)) != CKR_OK)
		return rv;
	rv = pk->mod->f->C_Sign(pk->sess, (CK_BYTE_PTR)in, inlen, out, &n);
	*outlen = n;
	return rv;
}

/* The raw signature from the token into out (*outlen: capacity in, length out). */
static CK_RV
p11_raw_sign(struct hs_p11_key *pk, enum hs_sig_alg alg, const uint8_t *m, size_t mlen,
    uint8_t *out, size_t *outlen)
{
	uint8_t t[19 + HS_MAX_HASH];
	const struct rsa_mech *rm;
	enum hs_hash_alg ha;
	size_t cap = *outlen;
	CK_RV rv;

	if (pk->type == HS_KEY_ED25519)
		return p11_sign_once(pk, CKM_EDDSA, m, mlen, out, outlen);
	if (pk->type != HS_KEY_RSA) {
		ha = hs_sig_alg_hash(alg);
		if (hs_hash(ha, m, mlen, t) != HS_OK)
			return CKR_GENERAL_ERROR;
		rv = p11_sign_once(pk, CKM_ECDSA, t, hs_hash_len(ha), out, outlen);
		hs_wipe(t, sizeof(t));
		return rv;
	}
	for (rm = rsa_mechs; rm->alg != HS_SIG_UNKNOWN && rm->alg != alg; rm++)
		;
	if (rm->alg == HS_SIG_UNKNOWN)
		return CKR_MECHANISM_INVALID;
	rv = p11_sign_once(pk, rm->mech, m, mlen, out, outlen);
	if (rv != CKR_MECHANISM_INVALID)
		return rv;
	/* The token lacks the hash-and-sign mechanism: EMSA-PKCS1-v1_5 over our DigestInfo. */
	hs_debug("pkcs11: %s: no hash-and-sign RSA mechanism, using CKM_RSA_PKCS", pk->label);
	memcpy(t, rm->prefix, sizeof(rm->prefix));
	if (hs_hash(rm->hash, m, mlen, t + sizeof(rm->prefix)) != HS_OK)
		return CKR_GENERAL_ERROR;
	*outlen = cap;
	return p11_sign_once(pk, CKM_RSA_PKCS, t, sizeof(rm->prefix) + hs_hash_len(rm->hash), out,
	    outlen);
}

/* The signature blob (without the alg name) from the token's raw output. */
static hs_err
encode_sig(const struct hs_p11_key *pk, const uint8_t *s, size_t slen, struct hs_buf *out)
{
	uint8_t padded[P11_SIG_MAX];
	struct hs_buf *inner = NULL;
	size_t half;
	hs_err r;

	if (pk->type == HS_KEY_ED25519) {
		HS_ENSURE(slen == 64, HS_ERR_PROVIDER);
		return hs_buf_put_string(out, s, slen);
	}
	if (pk->type == HS_KEY_RSA) {
		/* RFC 8332 3: exactly the modulus length, left-padded with zeros. */
		HS_ENSURE(slen > 0 && slen <= pk->modlen && pk->modlen <= sizeof(padded),
		    HS_ERR_PROVIDER);
		memset(padded, 0, pk->modlen - slen);
		memcpy(padded + pk->modlen - slen, s, slen);
		return hs_buf_put_string(out, padded, pk->modlen);
	}
	/* PKCS#11 v2.40 2.3.1: CKM_ECDSA returns r || s, each half the length. */
	HS_ENSURE(slen == 2 * pk->modlen, HS_ERR_PROVIDER);
	half = slen / 2;
	HS_GUARD(hs_buf_new(2 * half + 16, &inner));
	HS_GUARD_GOTO(hs_buf_put_mpint(inner, s, half), r, out);
	HS_GUARD_GOTO(hs_buf_put_mpint(inner, s + half, half), r, out);
	r = hs_buf_put_stringb(out, inner);
out:
	hs_buf_free(inner);
	return r;
}

static bool
session_lost(CK_RV rv)
{
	return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
	    rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT;
}

hs_err
hs_p11_sign(void *ctx, const struct hs_key *k, enum hs_sig_alg alg, const uint8_t *m, size_t mlen,
    struct hs_buf *sig)
{
	struct hs_p11_key *pk = k->priv;
	uint8_t s[P11_SIG_MAX];
	size_t slen = sizeof(s);
	struct hs_buf *tmp = NULL;
	hs_err r;
	CK_RV rv;

	(void)ctx;
	HS_ENSURE(pk != NULL, HS_ERR_UNSUPPORTED);
	HS_ENSURE(alg != HS_SIG_RSA_SHA1 && hs_sig_alg_key_type(alg) == k->type, HS_ERR_UNSUPPORTED);
	rv = pk->has_sess ? p11_raw_sign(pk, alg, m, mlen, s, &slen) : CKR_SESSION_HANDLE_INVALID;
	if (session_lost(rv)) {
		/* One reconnect: a token reinserted or a restarted daemon invalidates sessions. */
		hs_info("pkcs11: %s: %s, opening a new session", pk->label, hs_p11_rv_name(rv));
		HS_GUARD(hs_p11_connect(pk));
		slen = sizeof(s);
		rv = p11_raw_sign(pk, alg, m, mlen, s, &slen);
	}
	if (rv != CKR_OK)
		return hs_p11_fail("C_Sign", rv);
	HS_GUARD(hs_buf_new(HS_BUF_MAX_DEFAULT, &tmp));
	HS_GUARD_GOTO(hs_buf_put_cstring(tmp, hs_sig_alg_name(alg)), r, out);
	HS_GUARD_GOTO(encode_sig(pk, s, slen, tmp), r, out);
	r = hs_buf_put_buf(sig, tmp);
out:
	hs_buf_free(tmp);
	return r;
}
