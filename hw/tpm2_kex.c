/* tpm2_kex.c: ECDH key exchange (RFC 5656 4, ecdh-sha2-nistp256/384) in the TPM for
 * `KexProvider tpm2:...`. Each key pair is an unrestricted ECDH decryption key made by TPM2_Create
 * under the context's NULL-hierarchy storage key (so its private part comes from the TPM's RNG,
 * not from a seed and a template anyone could replay) and loaded; TPM2_ECDH_ZGen (Part 3 14.5)
 * gives the shared point, whose X coordinate is the secret (RFC 5656 4, SEC1 3.3.1). The peer
 * point is validated in software first; the transient key is flushed after the derivation.
 */
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_tpm2_impl.h"

struct kex_curve {
	enum hs_kex_method method;
	enum hs_key_type type;		/* for the software point check */
	TPM2_ECC_CURVE curve;
	size_t size;
};

static const struct kex_curve kex_curves[] = {
	{ .method = HS_KEXM_ECDH_P256, .type = HS_KEY_ECDSA_P256, .curve = TPM2_ECC_NIST_P256,
	  .size = 32 },
	{ .method = HS_KEXM_ECDH_P384, .type = HS_KEY_ECDSA_P384, .curve = TPM2_ECC_NIST_P384,
	  .size = 48 },
	{ .method = 0 }
};

/* The ctx of kex_open: the TPM and the methods a probe key pair worked for. */
struct tpm2_kex {
	struct hs_tpm2_ctx *tc;
	char *uri;
	unsigned supported;		/* bit per kex_curves row */
	unsigned refs;			/* kex_open's, and one per key pair (under tc->lock) */
};

static void kx_unref(struct tpm2_kex *kx);

struct hs_kex_priv {
	struct hs_kex_head head;	/* first: hw/provider.c routes through it */
	struct tpm2_kex *kx;
	const struct kex_curve *c;
	ESYS_TR obj;
	unsigned generation;
};

static const struct kex_curve *
curve_find(enum hs_kex_method m, size_t *row)
{
	size_t i;

	for (i = 0; kex_curves[i].method != 0; i++)
		if (kex_curves[i].method == m) {
			if (row != NULL)
				*row = i;
			return &kex_curves[i];
		}
	return NULL;
}

/* With the lock held: drop the transient key if it still lives in this context. */
static void
flush_locked(struct hs_kex_priv *k)
{
	struct hs_tpm2_ctx *tc = k->kx->tc;

	if (k->obj != ESYS_TR_NONE && tc->esys != NULL && k->generation == tc->generation)
		(void)tc->fn->flush(tc->esys, k->obj);
	k->obj = ESYS_TR_NONE;
}

static void
tpm2_kex_release(struct hs_kex_priv *k)
{
	struct hs_tpm2_ctx *tc;

	if (k == NULL)
		return;
	tc = k->kx->tc;
	pthread_mutex_lock(&tc->lock);
	flush_locked(k);
	pthread_mutex_unlock(&tc->lock);
	kx_unref(k->kx);
	hs_free_wiped(k, sizeof(*k));
}

/* TPM2_Create + TPM2_Load of an ECDH key on c's curve under the salt key. */
static TSS2_RC
create_ecdh(struct hs_tpm2_ctx *tc, const struct kex_curve *c, ESYS_TR *obj,
    TPM2B_PUBLIC **pub)
{
	TPM2B_PUBLIC tmpl = { .publicArea = {
		.type = TPM2_ALG_ECC,
		.nameAlg = TPM2_ALG_SHA256,
		.objectAttributes = TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDTPM |
		    TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
		    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA,
		.parameters.eccDetail = {
			.symmetric = { .algorithm = TPM2_ALG_NULL },
			.scheme = { .scheme = TPM2_ALG_ECDH,
			    .details.ecdh.hashAlg = TPM2_ALG_SHA256 },
			.curveID = c->curve,
			.kdf = { .scheme = TPM2_ALG_NULL },
		},
	} };
	const TPM2B_SENSITIVE_CREATE sens = { 0 };
	const TPM2B_DATA outside = { 0 };
	const TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_PRIVATE *priv = NULL;
	TSS2_RC rc;

	*pub = NULL;
	/* Nothing secret in the command: the empty auth value; the private part leaves the TPM
	 * only wrapped by the parent (Part 1 23.3). */
	rc = tc->fn->create(tc->esys, tc->salt_key, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
	    &sens, &tmpl, &outside, &pcrs, &priv, pub, NULL, NULL, NULL);
	if (rc == TSS2_RC_SUCCESS) {
		rc = tc->fn->load(tc->esys, tc->salt_key, ESYS_TR_PASSWORD, ESYS_TR_NONE,
		    ESYS_TR_NONE, priv, *pub, obj);
		if (hs_tpm2_make_room(tc, rc, NULL))
			rc = tc->fn->load(tc->esys, tc->salt_key, ESYS_TR_PASSWORD, ESYS_TR_NONE,
			    ESYS_TR_NONE, priv, *pub, obj);
	}
	tc->fn->free(priv);
	if (rc != TSS2_RC_SUCCESS) {
		tc->fn->free(*pub);
		*pub = NULL;
	}
	return rc;
}

/* With the lock held: the key pair, reconnecting once if the TPM went away. */
static hs_err
keypair_locked(struct hs_kex_priv *k, TPM2B_PUBLIC **pub)
{
	struct hs_tpm2_ctx *tc = k->kx->tc;
	TSS2_RC rc = TSS2_TCTI_RC_IO_ERROR;

	if (tc->esys != NULL) {
		if ((rc = create_ecdh(tc, k->c, &k->obj, pub)) == TSS2_RC_SUCCESS)
			goto done;
		if (!hs_tpm2_rc_lost(rc))
			return hs_tpm2_fail(tc, k->kx->uri, "ECDH key pair", rc);
	}
	HS_GUARD(hs_tpm2_ctx_reconnect(tc, k->kx->uri));
	if ((rc = create_ecdh(tc, k->c, &k->obj, pub)) != TSS2_RC_SUCCESS)
		return hs_tpm2_fail(tc, k->kx->uri, "ECDH key pair", rc);
done:
	k->generation = tc->generation;
	return HS_OK;
}

/* Append 0x04 || X || Y, each coordinate padded to the field size (SEC1 2.3.3). */
static hs_err
put_point(const struct kex_curve *c, const TPMS_ECC_POINT *q, struct hs_buf *out)
{
	uint8_t pt[1 + 2 * 48];

	HS_ENSURE(q->x.size <= c->size && q->y.size <= c->size, HS_ERR_PROVIDER);
	memset(pt, 0, sizeof(pt));
	pt[0] = 0x04;
	memcpy(pt + 1 + c->size - q->x.size, q->x.buffer, q->x.size);
	memcpy(pt + 1 + 2 * c->size - q->y.size, q->y.buffer, q->y.size);
	return hs_buf_put_bytes(out, pt, 1 + 2 * c->size);
}

hs_err
hs_tpm2_kex_keypair(void *ctx, enum hs_kex_method m, struct hs_kex_priv **priv,
    struct hs_buf *pub)
{
	struct tpm2_kex *kx = ctx;
	TPM2B_PUBLIC *tp = NULL;
	struct hs_kex_priv *k;
	hs_err r;

	*priv = NULL;
	HS_ENSURE(kx != NULL, HS_ERR_INTERNAL);
	if ((k = hs_calloc(1, sizeof(*k))) == NULL)
		return HS_ERR_ALLOC;
	k->head = (struct hs_kex_head){ .ops = &hs_provider_tpm2, .ctx = ctx,
	    .release = tpm2_kex_release };
	k->kx = kx;
	k->obj = ESYS_TR_NONE;
	pthread_mutex_lock(&kx->tc->lock);
	kx->refs++;	/* a key pair keeps the TPM context open (KexProvider may change meanwhile) */
	if ((k->c = curve_find(m, NULL)) == NULL)
		r = HS_ERR_UNSUPPORTED;
	else
		r = keypair_locked(k, &tp);
	pthread_mutex_unlock(&kx->tc->lock);
	if (r != HS_OK)
		goto out;
	HS_GUARD_GOTO(put_point(k->c, &tp->publicArea.unique.ecc, pub), r, out);
	*priv = k;
	k = NULL;
out:
	kx->tc->fn->free(tp);
	tpm2_kex_release(k);
	return r;
}

/* RFC 5656 4 / SEC1 3.2.2.1: the peer's point must be on the curve; checked by importing it as a
 * software public key, which validates the point. */
static hs_err
check_peer(const struct kex_curve *c, const uint8_t *peer, size_t len)
{
	struct hs_key_raw raw = { .type = c->type };
	struct hs_buf *blob = NULL;
	struct hs_key *key = NULL;
	hs_err r;

	HS_ENSURE(len == 1 + 2 * c->size && peer[0] == 0x04, HS_ERR_FORMAT);
	memcpy(raw.pub, peer, len);
	raw.pub_len = len;
	HS_GUARD(hs_buf_new(256, &blob));
	HS_GUARD_GOTO(hs_soft_blob_from_raw(&raw, blob), r, out);
	r = hs_soft_key_from_blob(hs_buf_ptr(blob), hs_buf_len(blob), &key) == HS_OK ? HS_OK :
	    HS_ERR_FORMAT;
out:
	hs_key_free(key);
	hs_buf_free(blob);
	return r;
}

/* With the lock held: TPM2_ECDH_ZGen, both the peer point and Z encrypted in the session. */
static hs_err
zgen_locked(struct hs_kex_priv *k, const uint8_t *peer, TPM2B_ECC_POINT **z)
{
	struct hs_tpm2_ctx *tc = k->kx->tc;
	size_t n = k->c->size;
	TPM2B_ECC_POINT in = { .size = (UINT16)(4 + 2 * n) };
	TSS2_RC rc;

	if (tc->esys == NULL || k->obj == ESYS_TR_NONE || k->generation != tc->generation) {
		hs_error("tpm2 %s: ECDH key pair lost with the TPM connection", k->kx->uri);
		return HS_ERR_PROVIDER;
	}
	in.point.x.size = in.point.y.size = (UINT16)n;
	memcpy(in.point.x.buffer, peer + 1, n);
	memcpy(in.point.y.buffer, peer + 1 + n, n);
	if ((rc = hs_tpm2_session_for(tc, true, true)) == TSS2_RC_SUCCESS)
		rc = tc->fn->ecdh_zgen(tc->esys, k->obj, tc->session, ESYS_TR_NONE, ESYS_TR_NONE,
		    &in, z);
	flush_locked(k);
	if (rc != TSS2_RC_SUCCESS)
		return hs_tpm2_fail(tc, k->kx->uri, "ECDH_ZGen", rc);
	return HS_OK;
}

hs_err
hs_tpm2_kex_derive(void *ctx, struct hs_kex_priv *k, const uint8_t *peer, size_t len,
    struct hs_buf *secret)
{
	TPM2B_ECC_POINT *z = NULL;
	const uint8_t *x;
	size_t n;
	hs_err r;

	(void)ctx;
	if (check_peer(k->c, peer, len) != HS_OK) {
		hs_error("tpm2 %s: ECDH: peer point refused", k->kx->uri);
		return HS_ERR_FORMAT;
	}
	pthread_mutex_lock(&k->kx->tc->lock);
	r = zgen_locked(k, peer, &z);
	pthread_mutex_unlock(&k->kx->tc->lock);
	HS_GUARD(r);
	x = z->point.x.buffer;
	n = z->point.x.size;
	/* The big-endian magnitude (hs_kex_derive's contract). CT: leaks only what the mpint
	 * length reveals anyway (RFC 4253 8). */
	while (n > 1 && x[0] == 0) {
		x++;
		n--;
	}
	r = n > 0 && n <= k->c->size ? hs_buf_put_bytes(secret, x, n) : HS_ERR_PROVIDER;
	hs_wipe(z, sizeof(*z));
	k->kx->tc->fn->free(z);
	if (r == HS_OK)
		hs_debug("kex: ECDH shared secret computed by tpm2 (%s)", k->kx->uri);
	return r;
}

bool
hs_tpm2_kex_supports(void *ctx, enum hs_kex_method m)
{
	struct tpm2_kex *kx = ctx;
	size_t row;

	return kx != NULL && curve_find(m, &row) != NULL && (kx->supported & (1u << row)) != 0;
}

static void
kx_unref(struct tpm2_kex *kx)
{
	unsigned left = 0;

	if (kx == NULL)
		return;
	if (kx->tc != NULL) {
		pthread_mutex_lock(&kx->tc->lock);
		left = --kx->refs;
		pthread_mutex_unlock(&kx->tc->lock);
	}
	if (left > 0)
		return;
	hs_tpm2_ctx_put(kx->tc);
	free(kx->uri);
	free(kx);
}

void
hs_tpm2_kex_close(void *ctx)
{
	kx_unref(ctx);
}

/* One key pair per curve at open: the TPM supports what it can make (Part 2 11.2.5.5). */
static void
probe(struct tpm2_kex *kx)
{
	struct hs_kex_priv *k = NULL;
	struct hs_buf *pub = NULL;
	size_t i;

	if (hs_buf_new(256, &pub) != HS_OK)
		return;
	for (i = 0; kex_curves[i].method != 0; i++) {
		hs_buf_reset(pub);
		if (hs_tpm2_kex_keypair(kx, kex_curves[i].method, &k, pub) == HS_OK)
			kx->supported |= 1u << i;
		tpm2_kex_release(k);
		k = NULL;
	}
	hs_buf_free(pub);
}

hs_err
hs_tpm2_kex_open(const char *uri, void **ctx)
{
	struct hs_tpm2uri u;
	struct tpm2_kex *kx;
	hs_err r;

	*ctx = NULL;
	HS_GUARD(hs_tpm2uri_parse(uri, &u));
	if ((kx = hs_calloc(1, sizeof(*kx))) == NULL || (kx->uri = hs_strdup(uri)) == NULL) {
		r = HS_ERR_ALLOC;
		goto out;
	}
	HS_GUARD_GOTO(hs_tpm2_ctx_get(u.tcti, uri, &kx->tc), r, out);
	kx->refs = 1;
	probe(kx);
	if (kx->supported == 0) {
		hs_error("tpm2 %s: the TPM makes no ECDH P-256 or P-384 key pair", uri);
		r = HS_ERR_PROVIDER;
		goto out;
	}
	hs_verbose("KexProvider tpm2 %s: ecdh-sha2-nistp256 %s, ecdh-sha2-nistp384 %s", uri,
	    (kx->supported & 1) ? "yes" : "no", (kx->supported & 2) ? "yes" : "no");
	*ctx = kx;
	kx = NULL;
	r = HS_OK;
out:
	hs_tpm2uri_free(&u);
	hs_tpm2_kex_close(kx);
	return r;
}
