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

/* The RSA hash-and-sign mechanisms; without them CKM_RSA_PKCS over our DigestInfo. */
struct rsa_mech {
	enum hs_sig_alg alg;
	enum hs_hash_alg hash;
	CK_MECHANISM_TYPE mech;
};

static const struct rsa_mech rsa_mechs[] = {
	{ .alg = HS_SIG_RSA_SHA256, .hash = HS_HASH_SHA256, .mech = CKM_SHA256_RSA_PKCS },
	{ .alg = HS_SIG_RSA_SHA512, .hash = HS_HASH_SHA512, .mech = CKM_SHA512_RSA_PKCS },
	{ .alg = HS_SIG_UNKNOWN }
};

/* Where one signature is made: a borrowed session and the key's object in its generation. */
struct p11_op {
	struct hs_p11_key *pk;
	CK_SESSION_HANDLE sess;
	CK_OBJECT_HANDLE obj;
};

/* One C_SignInit + C_Sign. */
static CK_RV
p11_sign_once(const struct p11_op *op, CK_MECHANISM_TYPE mech, const uint8_t *in, size_t inlen,
    uint8_t *out, size_t *outlen)
{
	CK_FUNCTION_LIST_PTR f = op->pk->tok->mod->f;
	CK_MECHANISM m = { mech, NULL, 0 };
	CK_ULONG n = *outlen;
	CK_RV rv;

	if ((rv = f->C_SignInit(op->sess, &m, op->obj)) != CKR_OK)
		return rv;
	rv = f->C_Sign(op->sess, (CK_BYTE_PTR)in, inlen, out, &n);
	*outlen = n;
	return rv;
}

/* The raw signature from the token into out (*outlen: capacity in, length out). */
static CK_RV
p11_raw_sign(const struct p11_op *op, enum hs_sig_alg alg, const uint8_t *m, size_t mlen,
    uint8_t *out, size_t *outlen)
{
	const struct hs_p11_key *pk = op->pk;
	uint8_t t[19 + HS_MAX_HASH];
	const struct rsa_mech *rm;
	enum hs_hash_alg ha;
	size_t cap = *outlen, tlen;
	CK_RV rv;

	if (pk->type == HS_KEY_ED25519)
		return p11_sign_once(op, CKM_EDDSA, m, mlen, out, outlen);
	if (pk->type != HS_KEY_RSA) {
		ha = hs_sig_alg_hash(alg);
		if (hs_hash(ha, m, mlen, t) != HS_OK)
			return CKR_GENERAL_ERROR;
		rv = p11_sign_once(op, CKM_ECDSA, t, hs_hash_len(ha), out, outlen);
		hs_wipe(t, sizeof(t));
		return rv;
	}
	for (rm = rsa_mechs; rm->alg != HS_SIG_UNKNOWN && rm->alg != alg; rm++)
		;
	if (rm->alg == HS_SIG_UNKNOWN)
		return CKR_MECHANISM_INVALID;
	rv = p11_sign_once(op, rm->mech, m, mlen, out, outlen);
	if (rv != CKR_MECHANISM_INVALID)
		return rv;
	/* The token lacks the hash-and-sign mechanism: EMSA-PKCS1-v1_5 over our DigestInfo. */
	hs_debug("pkcs11: %s: no hash-and-sign RSA mechanism, using CKM_RSA_PKCS", pk->label);
	if (hs_rsa_digest_info(rm->hash, m, mlen, t, &tlen) != HS_OK)
		return CKR_GENERAL_ERROR;
	*outlen = cap;
	return p11_sign_once(op, CKM_RSA_PKCS, t, tlen, out, outlen);
}

hs_err
hs_p11_key_object(struct hs_p11_key *pk, const struct hs_p11_sess *s, CK_OBJECT_HANDLE *obj)
{
	CK_OBJECT_HANDLE h;
	unsigned count = 0;
	bool fresh;

	pthread_mutex_lock(&pk->tok->lock);
	fresh = pk->obj_gen == s->gen;
	h = pk->obj;
	pthread_mutex_unlock(&pk->tok->lock);
	if (fresh) {
		*obj = h;
		return HS_OK;
	}
	/* Reconnected: object handles of the old sessions mean nothing now (v2.40 2.5.2). */
	if (hs_p11_find_object(pk, s->h, CKO_PRIVATE_KEY, &h, &count) != HS_OK) {
		hs_error("pkcs11 %s: the private key is gone from token %s (%u match)",
		    pk->uri_text, pk->label, count);
		return HS_ERR_PROVIDER;
	}
	pthread_mutex_lock(&pk->tok->lock);
	pk->obj = h;
	pk->obj_gen = s->gen;
	pthread_mutex_unlock(&pk->tok->lock);
	*obj = h;
	return HS_OK;
}

/* One attempt on a borrowed session: *rv says what the token answered (CKR_OK if it was not
 * reached). */
static hs_err
sign_attempt(struct hs_p11_key *pk, enum hs_sig_alg alg, const uint8_t *m, size_t mlen,
    uint8_t *out, size_t *outlen, CK_RV *rv, unsigned *gen)
{
	struct hs_p11_sess s;
	struct p11_op op = { .pk = pk };
	hs_err r;

	*rv = CKR_OK;
	HS_GUARD(hs_p11_sess_get(pk->tok, &s));
	*gen = s.gen;
	op.sess = s.h;
	if ((r = hs_p11_key_object(pk, &s, &op.obj)) == HS_OK &&
	    (*rv = p11_raw_sign(&op, alg, m, mlen, out, outlen)) != CKR_OK)
		r = HS_ERR_PROVIDER;
	hs_p11_sess_put(pk->tok, &s, *rv);
	return r;
}

hs_err
hs_p11_sign(void *ctx, const struct hs_key *k, enum hs_sig_alg alg, const uint8_t *m, size_t mlen,
    struct hs_buf *sig)
{
	struct hs_p11_key *pk = k->priv;
	uint8_t s[P11_SIG_MAX];
	size_t slen = sizeof(s);
	struct hs_buf *tmp = NULL;
	unsigned gen = 0;
	hs_err r;
	CK_RV rv;

	(void)ctx;
	HS_ENSURE(pk != NULL, HS_ERR_UNSUPPORTED);
	HS_ENSURE(alg != HS_SIG_RSA_SHA1 && hs_sig_alg_key_type(alg) == k->type, HS_ERR_UNSUPPORTED);
	r = sign_attempt(pk, alg, m, mlen, s, &slen, &rv, &gen);
	if (r != HS_OK && hs_p11_rv_lost(rv)) {
		/* Once more on a new connection: a reinserted token, a restarted daemon or a
		 * logout invalidates sessions and login; if the token is absent this fails
		 * cleanly and the next signature looks for it again. */
		hs_p11_token_down(pk->tok, gen, rv);
		slen = sizeof(s);
		r = sign_attempt(pk, alg, m, mlen, s, &slen, &rv, &gen);
	}
	if (r != HS_OK) {
		if (rv != CKR_OK)
			hs_error("pkcs11 %s: C_Sign: %s", pk->uri_text, hs_p11_rv_name(rv));
		return r == HS_ERR_PERM ? r : HS_ERR_PROVIDER;
	}
	HS_GUARD(hs_buf_new(HS_BUF_MAX_DEFAULT, &tmp));
	HS_GUARD_GOTO(hs_buf_put_cstring(tmp, hs_sig_alg_name(alg)), r, out);
	HS_GUARD_GOTO(hs_sig_blob_from_raw(pk->type, pk->modlen, s, slen, tmp), r, out);
	r = hs_buf_put_buf(sig, tmp);
out:
	hs_buf_free(tmp);
	hs_wipe(s, sizeof(s));
	return r;
}
