/* tpm2_sign.c: signatures with TPM keys. TPM2_Sign over our digest (TPM 2.0 Part 3 20.2) with
 * TPM2_ALG_ECDSA or TPM2_ALG_RSASSA, authorised by the context's salted HMAC session with the
 * digest encrypted (decrypt attribute; the response's first parameter, TPMT_SIGNATURE, is no TPM2B
 * and cannot be encrypted, Part 1 21.1). The bytes appended are those of hs_key_sign for software
 * keys: string alg-name, string blob; ecdsa: mpint r, mpint s (RFC 5656 3.1.2); rsa-sha2-256/512:
 * PKCS#1 v1.5 of the modulus length (RFC 8332 3).
 */
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_tpm2_impl.h"

/* TPM curve and algorithm ids for our key types (TPM 2.0 Part 2 6.4, 6.3). */
struct tpm_curve {
	TPM2_ECC_CURVE curve;
	enum hs_key_type type;
	size_t size;
};

static const struct tpm_curve curves[] = {
	{ .curve = TPM2_ECC_NIST_P256, .type = HS_KEY_ECDSA_P256, .size = 32 },
	{ .curve = TPM2_ECC_NIST_P384, .type = HS_KEY_ECDSA_P384, .size = 48 },
	{ .type = HS_KEY_UNKNOWN }
};

struct tpm_hash {
	enum hs_hash_alg hash;
	TPMI_ALG_HASH alg;
};

static const struct tpm_hash hashes[] = {
	{ .hash = HS_HASH_SHA256, .alg = TPM2_ALG_SHA256 },
	{ .hash = HS_HASH_SHA384, .alg = TPM2_ALG_SHA384 },
	{ .hash = HS_HASH_SHA512, .alg = TPM2_ALG_SHA512 },
	{ .hash = 0 }
};

/* Left-pad a big-endian value of n bytes to size bytes. */
static hs_err
put_padded(uint8_t *out, size_t size, const uint8_t *p, size_t n)
{
	HS_ENSURE(n <= size, HS_ERR_PROVIDER);
	memset(out, 0, size - n);
	memcpy(out + size - n, p, n);
	return HS_OK;
}

static hs_err
public_ecc(struct hs_tpm2_key *tk, const TPMT_PUBLIC *pub, struct hs_key_raw *raw)
{
	const TPMS_ECC_POINT *q = &pub->unique.ecc;
	const struct tpm_curve *c;

	for (c = curves; c->type != HS_KEY_UNKNOWN; c++)
		if (c->curve == pub->parameters.eccDetail.curveID)
			break;
	if (c->type == HS_KEY_UNKNOWN) {
		hs_error("tpm2 %s: ECC curve 0x%04x is not NIST P-256 or P-384", tk->uri_text,
		    pub->parameters.eccDetail.curveID);
		return HS_ERR_UNSUPPORTED;
	}
	raw->type = tk->type = c->type;
	tk->modlen = c->size;
	/* SEC1 2.3.3: 0x04 || X || Y, each coordinate the field size. */
	raw->pub[0] = 0x04;
	HS_GUARD(put_padded(raw->pub + 1, c->size, q->x.buffer, q->x.size));
	HS_GUARD(put_padded(raw->pub + 1 + c->size, c->size, q->y.buffer, q->y.size));
	raw->pub_len = 1 + 2 * c->size;
	return HS_OK;
}

static hs_err
public_rsa(struct hs_tpm2_key *tk, const TPMT_PUBLIC *pub, struct hs_key_raw *raw)
{
	const TPM2B_PUBLIC_KEY_RSA *n = &pub->unique.rsa;
	uint32_t e = pub->parameters.rsaDetail.exponent;
	size_t i;

	if (n->size < 256 || n->size > sizeof(raw->n)) {
		hs_error("tpm2 %s: RSA modulus of %u bits refused (2048 or more)", tk->uri_text,
		    (unsigned)n->size * 8);
		return HS_ERR_UNSUPPORTED;
	}
	raw->type = tk->type = HS_KEY_RSA;
	tk->modlen = n->size;
	memcpy(raw->n, n->buffer, n->size);
	raw->n_len = n->size;
	/* Part 2 12.2.3.5: an exponent of zero means the default, 2^16 + 1. */
	if (e == 0)
		e = 65537;
	for (i = 0; i < 4; i++)
		raw->e[i] = (uint8_t)(e >> (24 - 8 * i));
	raw->e_len = 4;
	return HS_OK;
}

hs_err
hs_tpm2_public_raw(struct hs_tpm2_key *tk, const TPMT_PUBLIC *pub, struct hs_key_raw *raw)
{
	TPMA_OBJECT a = pub->objectAttributes;

	/* A restricted key signs only digests the TPM made itself (Part 1 25.2.3). */
	if ((a & TPMA_OBJECT_SIGN_ENCRYPT) == 0 || (a & TPMA_OBJECT_RESTRICTED) != 0) {
		hs_error("tpm2 %s: not an unrestricted signing key (attributes 0x%08x)",
		    tk->uri_text, (unsigned)a);
		return HS_ERR_UNSUPPORTED;
	}
	memset(raw, 0, sizeof(*raw));
	if (pub->type == TPM2_ALG_ECC)
		return public_ecc(tk, pub, raw);
	if (pub->type == TPM2_ALG_RSA)
		return public_rsa(tk, pub, raw);
	hs_error("tpm2 %s: key type 0x%04x is not ECC or RSA", tk->uri_text, pub->type);
	return HS_ERR_UNSUPPORTED;
}

/* TPM2_Sign of the digest of m under alg's hash. */
static TSS2_RC
tpm_sign(struct hs_tpm2_key *tk, enum hs_sig_alg alg, const TPM2B_DIGEST *dg,
    TPMT_SIGNATURE **sig)
{
	struct hs_tpm2_ctx *tc = tk->tc;
	const struct tpm_hash *h;
	TPMT_SIG_SCHEME scheme = { 0 };
	/* Part 2 10.7.6: a NULL ticket, allowed because the key is unrestricted. */
	const TPMT_TK_HASHCHECK check = { .tag = TPM2_ST_HASHCHECK, .hierarchy = TPM2_RH_NULL };
	TSS2_RC rc;

	for (h = hashes; h->hash != 0 && h->hash != hs_sig_alg_hash(alg); h++)
		;
	scheme.scheme = tk->type == HS_KEY_RSA ? TPM2_ALG_RSASSA : TPM2_ALG_ECDSA;
	scheme.details.any.hashAlg = h->alg;
	if ((rc = hs_tpm2_session_for(tc, true, false)) != TSS2_RC_SUCCESS)
		return rc;
	return tc->fn->sign(tc->esys, tk->obj, tc->session, ESYS_TR_NONE, ESYS_TR_NONE, dg, &scheme,
	    &check, sig);
}

/* The signature blob (without the algorithm name) from the TPM's TPMT_SIGNATURE. */
static hs_err
encode_sig(const struct hs_tpm2_key *tk, const TPMT_SIGNATURE *s, struct hs_buf *out)
{
	uint8_t padded[512];
	struct hs_buf *inner = NULL;
	hs_err r;

	if (tk->type == HS_KEY_RSA) {
		HS_ENSURE(s->sigAlg == TPM2_ALG_RSASSA && tk->modlen <= sizeof(padded),
		    HS_ERR_PROVIDER);
		HS_GUARD(put_padded(padded, tk->modlen, s->signature.rsassa.sig.buffer,
		    s->signature.rsassa.sig.size));
		return hs_buf_put_string(out, padded, tk->modlen);
	}
	HS_ENSURE(s->sigAlg == TPM2_ALG_ECDSA, HS_ERR_PROVIDER);
	HS_GUARD(hs_buf_new(2 * tk->modlen + 16, &inner));
	HS_GUARD_GOTO(hs_buf_put_mpint(inner, s->signature.ecdsa.signatureR.buffer,
	    s->signature.ecdsa.signatureR.size), r, out);
	HS_GUARD_GOTO(hs_buf_put_mpint(inner, s->signature.ecdsa.signatureS.buffer,
	    s->signature.ecdsa.signatureS.size), r, out);
	r = hs_buf_put_stringb(out, inner);
out:
	hs_buf_free(inner);
	return r;
}

/* Under tc->lock: load the key if needed and sign; one reconnect if the TPM went away (or a
 * previous reconnect failed), then one more try. An auth failure is never retried (DA lockout). */
static hs_err
sign_locked(struct hs_tpm2_key *tk, enum hs_sig_alg alg, const TPM2B_DIGEST *dg,
    TPMT_SIGNATURE **sig)
{
	struct hs_tpm2_ctx *tc = tk->tc;
	TSS2_RC rc;

	if (hs_tpm2_key_ensure(tk) == HS_OK) {
		if ((rc = tpm_sign(tk, alg, dg, sig)) == TSS2_RC_SUCCESS)
			return HS_OK;
		if (!hs_tpm2_rc_lost(rc))
			return hs_tpm2_fail(tc, tk->uri_text, "Sign", rc);
	}
	HS_GUARD(hs_tpm2_ctx_reconnect(tc, tk->uri_text));
	HS_GUARD(hs_tpm2_key_ensure(tk));
	if ((rc = tpm_sign(tk, alg, dg, sig)) != TSS2_RC_SUCCESS)
		return hs_tpm2_fail(tc, tk->uri_text, "Sign", rc);
	return HS_OK;
}

hs_err
hs_tpm2_sign(void *ctx, const struct hs_key *k, enum hs_sig_alg alg, const uint8_t *m,
    size_t mlen, struct hs_buf *sig)
{
	struct hs_tpm2_key *tk = k->priv;
	TPMT_SIGNATURE *s = NULL;
	TPM2B_DIGEST dg = { 0 };
	struct hs_buf *tmp = NULL;
	enum hs_hash_alg ha;
	hs_err r;

	(void)ctx;
	HS_ENSURE(tk != NULL, HS_ERR_UNSUPPORTED);
	HS_ENSURE(alg != HS_SIG_RSA_SHA1 && hs_sig_alg_key_type(alg) == k->type, HS_ERR_UNSUPPORTED);
	ha = hs_sig_alg_hash(alg);
	HS_GUARD(hs_hash(ha, m, mlen, dg.buffer));
	dg.size = (UINT16)hs_hash_len(ha);
	pthread_mutex_lock(&tk->tc->lock);
	r = sign_locked(tk, alg, &dg, &s);
	pthread_mutex_unlock(&tk->tc->lock);
	if (r != HS_OK)
		return r;
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &tmp), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(tmp, hs_sig_alg_name(alg)), r, out);
	HS_GUARD_GOTO(encode_sig(tk, s, tmp), r, out);
	r = hs_buf_put_buf(sig, tmp);
out:
	tk->tc->fn->free(s);
	hs_buf_free(tmp);
	return r;
}
