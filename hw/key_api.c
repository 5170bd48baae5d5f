/* key_api.c: the provider-independent half of hs_provider.h's key functions. Keys carry their
 * public blob, so comparison, fingerprints and verification need nothing from the provider;
 * signing goes through the key's provider.
 */
#include <stdlib.h>
#include <string.h>

#include "hs_b64.h"
#include "hs_ct.h"
#include "hs_key_impl.h"
#include "hs_log.h"
#include "hs_mem.h"

hs_err
hs_key_alloc(const struct hs_provider_ops *ops, enum hs_key_type type, const uint8_t *blob,
    size_t blob_len, struct hs_key **out)
{
	struct hs_key *k;

	*out = NULL;
	if ((k = hs_calloc(1, sizeof(*k))) == NULL)
		return HS_ERR_ALLOC;
	if ((k->blob = malloc(blob_len ? blob_len : 1)) == NULL) {
		free(k);
		return HS_ERR_ALLOC;
	}
	memcpy(k->blob, blob, blob_len);
	k->blob_len = blob_len;
	k->ops = ops;
	k->type = type;
	*out = k;
	return HS_OK;
}

void
hs_key_free(struct hs_key *k)
{
	if (k == NULL)
		return;
	if (k->priv_free != NULL)
		k->priv_free(k->priv);
	free(k->blob);
	hs_free_wiped(k, sizeof(*k));
}

void
hs_key_raw_wipe(struct hs_key_raw *raw)
{
	if (raw != NULL)
		hs_wipe(raw, sizeof(*raw));
}

hs_err
hs_key_generate(enum hs_key_type type, unsigned bits, struct hs_key **out)
{
	return hs_soft_key_generate(type, bits, out);
}

hs_err
hs_key_from_raw(const struct hs_key_raw *raw, struct hs_key **out)
{
	return hs_soft_key_from_raw(raw, out);
}

hs_err
hs_key_to_raw(const struct hs_key *k, struct hs_key_raw *raw)
{
	return hs_soft_key_to_raw(k, raw);
}

hs_err
hs_key_from_blob(const uint8_t *blob, size_t len, struct hs_key **out)
{
	return hs_soft_key_from_blob(blob, len, out);
}

enum hs_key_type
hs_key_type(const struct hs_key *k)
{
	return k->type;
}

unsigned
hs_key_bits(const struct hs_key *k)
{
	return k->bits;
}

bool
hs_key_has_private(const struct hs_key *k)
{
	return k->has_private;
}

const char *
hs_key_provider(const struct hs_key *k)
{
	return k->ops != NULL ? k->ops->name : "none";
}

hs_err
hs_key_public_blob(const struct hs_key *k, struct hs_buf *out)
{
	return hs_buf_put_bytes(out, k->blob, k->blob_len);
}

bool
hs_key_equal_public(const struct hs_key *a, const struct hs_key *b)
{
	if (a == NULL || b == NULL || a->type != b->type || a->blob_len != b->blob_len)
		return false;
	return hs_ct_memeq(a->blob, b->blob, a->blob_len);
}

hs_err
hs_key_sign(const struct hs_key *k, enum hs_sig_alg alg, const uint8_t *m, size_t mlen,
    struct hs_buf *sig)
{
	if (!k->has_private || k->ops == NULL || k->ops->sign == NULL) {
		hs_error("%s key has no private part to sign with", hs_key_type_short(k->type));
		return HS_ERR_UNSUPPORTED;
	}
	return k->ops->sign(k->ctx, k, alg, m, mlen, sig);
}

/* RFC 4253 6.6: string signature-format-identifier, string signature-blob. */
hs_err
hs_key_verify(const struct hs_key *k, const uint8_t *sig, size_t siglen, const uint8_t *m,
    size_t mlen, enum hs_sig_alg *alg_out)
{
	struct hs_buf *b;
	const uint8_t *name, *blob;
	size_t nlen, blen;
	enum hs_sig_alg alg;
	hs_err r;

	if (alg_out != NULL)
		*alg_out = HS_SIG_UNKNOWN;
	HS_GUARD(hs_buf_from(sig, siglen, &b));
	HS_ENSURE_GOTO(hs_buf_get_string(b, &name, &nlen) == HS_OK &&
	    hs_buf_get_string(b, &blob, &blen) == HS_OK && hs_buf_get_end(b) == HS_OK,
	    HS_ERR_FORMAT, r, out);
	alg = hs_sig_alg_from_name((const char *)name, nlen);
	if (alg_out != NULL)
		*alg_out = alg;
	if (alg == HS_SIG_UNKNOWN || alg == HS_SIG_RSA_SHA1 ||
	    hs_sig_alg_key_type(alg) != k->type) {
		hs_verbose("signature algorithm %.*s refused for a %s key",
		    (int)(nlen > 64 ? 64 : nlen), (const char *)name, hs_key_type_name(k->type));
		r = HS_ERR_SIG;
		goto out;
	}
	r = hs_soft_verify_raw(k, alg, blob, blen, m, mlen);
out:
	hs_buf_free(b);
	return r;
}

/* "SHA256:" + unpadded base64 of SHA-256(blob), as ssh-keygen -l prints. */
hs_err
hs_key_fingerprint(const struct hs_key *k, char **out)
{
	uint8_t h[32];
	struct hs_buf *b;
	char *s;
	hs_err r;

	*out = NULL;
	HS_GUARD(hs_hash(HS_HASH_SHA256, k->blob, k->blob_len, h));
	HS_GUARD(hs_buf_new(128, &b));
	HS_GUARD_GOTO(hs_buf_putf(b, "SHA256:"), r, out);
	HS_GUARD_GOTO(hs_b64_encode(h, sizeof(h), false, b), r, out);
	HS_ENSURE_GOTO((s = hs_calloc(1, hs_buf_len(b) + 1)) != NULL, HS_ERR_ALLOC, r, out);
	memcpy(s, hs_buf_ptr(b), hs_buf_len(b));
	*out = s;
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}

/* Issue 6's pairwise consistency test, shared by every provider that opens or makes a key. */
hs_err
hs_key_pairwise_test(const struct hs_key *k)
{
	static const uint8_t msg[] = "hardssh pairwise consistency test";
	static const enum hs_sig_alg algs[] = {
		[HS_KEY_ED25519] = HS_SIG_ED25519, [HS_KEY_ECDSA_P256] = HS_SIG_ECDSA_P256,
		[HS_KEY_ECDSA_P384] = HS_SIG_ECDSA_P384, [HS_KEY_ECDSA_P521] = HS_SIG_ECDSA_P521,
		[HS_KEY_RSA] = HS_SIG_RSA_SHA256,
	};
	struct hs_buf *sig = NULL;
	hs_err r;

	HS_ENSURE(k->type > HS_KEY_UNKNOWN && k->type <= HS_KEY_RSA, HS_ERR_INTERNAL);
	HS_GUARD(hs_buf_new(HS_BUF_MAX_DEFAULT, &sig));
	HS_GUARD_GOTO(hs_key_sign(k, algs[k->type], msg, sizeof(msg), sig), r, out);
	if (hs_key_verify(k, hs_buf_ptr(sig), hs_buf_len(sig), msg, sizeof(msg), NULL) != HS_OK)
		r = HS_ERR_SIG;
	else
		r = HS_OK;
out:
	hs_buf_free(sig);
	return r;
}

hs_err
hs_key_wrap_hw(const struct hs_provider_ops *ops, const struct hs_key_raw *raw, unsigned bits,
    void *priv, void (*priv_free)(void *priv), const char *what, struct hs_key **out)
{
	struct hs_buf *blob = NULL;
	struct hs_key *k = NULL;
	char *fp = NULL;
	hs_err r;

	*out = NULL;
	HS_GUARD(hs_buf_new(HS_BUF_MAX_DEFAULT, &blob));
	HS_GUARD_GOTO(hs_soft_blob_from_raw(raw, blob), r, out);
	HS_GUARD_GOTO(hs_key_alloc(ops, raw->type, hs_buf_ptr(blob), hs_buf_len(blob), &k), r, out);
	k->has_private = true;
	k->bits = bits;
	k->priv = priv;
	k->priv_free = priv_free;
	if ((r = hs_key_pairwise_test(k)) != HS_OK) {
		k->priv = NULL;		/* the caller still owns priv */
		if (r != HS_ERR_PERM)	/* a refused PIN or auth value was logged already */
			hs_error("%s %s: pairwise test failed: %s", ops->name, what, hs_err_str(r));
		r = r == HS_ERR_PERM ? r : HS_ERR_PROVIDER;
		goto out;
	}
	if (hs_key_fingerprint(k, &fp) == HS_OK)
		hs_verbose("key %s %s: %s %s", ops->name, what, hs_key_type_name(k->type), fp);
	*out = k;
	k = NULL;
out:
	free(fp);
	hs_key_free(k);
	hs_buf_free(blob);
	return r;
}
