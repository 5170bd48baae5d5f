/* soft_kex.c: ephemeral key agreement of the software provider on wolfCrypt: X25519 (RFC 7748,
 * RFC 8731), ECDH on NIST P-256/384/521 (RFC 5656 4) and finite-field DH on the RFC 3526 groups
 * 14 and 16 (RFC 8268). One table row per method.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/curve25519.h>
#include <wolfssl/wolfcrypt/dh.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>

#include <stdlib.h>
#include <string.h>

#include "hs_ct.h"
#include "hs_key_impl.h"
#include "hs_log.h"
#include "hs_mem.h"

/* hw/soft_kex_groups.c */
extern const uint8_t hs_modp_2048[256];
extern const uint8_t hs_modp_4096[512];

struct hs_kex_priv;

/* One family of methods: ephemeral key generation, agreement, and release of the private part. */
struct kex_family {
	hs_err (*keypair)(struct hs_kex_priv *k, WC_RNG *rng, struct hs_buf *pub);
	hs_err (*derive)(struct hs_kex_priv *k, const uint8_t *peer, size_t len,
	    struct hs_buf *secret);
	void (*release)(struct hs_kex_priv *k);
};

static const struct kex_family fam_x25519, fam_ecdh, fam_dh;

struct kex_alg {
	enum hs_kex_method method;
	const struct kex_family *fam;
	int curve;			/* ECDH: wolfCrypt curve id */
	size_t size;			/* ECDH: field bytes; DH: prime bytes */
	const uint8_t *prime;		/* DH: RFC 3526 prime */
};

static const struct kex_alg kex_algs[] = {
	{ .method = HS_KEXM_X25519,     .fam = &fam_x25519, .size = CURVE25519_KEYSIZE },
	{ .method = HS_KEXM_ECDH_P256,  .fam = &fam_ecdh, .curve = ECC_SECP256R1, .size = 32 },
	{ .method = HS_KEXM_ECDH_P384,  .fam = &fam_ecdh, .curve = ECC_SECP384R1, .size = 48 },
	{ .method = HS_KEXM_ECDH_P521,  .fam = &fam_ecdh, .curve = ECC_SECP521R1, .size = 66 },
	{ .method = HS_KEXM_DH_GROUP14, .fam = &fam_dh, .size = sizeof(hs_modp_2048),
	  .prime = hs_modp_2048 },
	{ .method = HS_KEXM_DH_GROUP16, .fam = &fam_dh, .size = sizeof(hs_modp_4096),
	  .prime = hs_modp_4096 },
	{ .method = 0 }
};

struct hs_kex_priv {
	struct hs_kex_head head;	/* first: provider.c routes through it */
	const struct kex_alg *alg;
	union {
		curve25519_key x;
		ecc_key ec;
		struct {
			DhKey key;
			uint8_t x[512];		/* private exponent */
			word32 xlen;
		} dh;
	} u;
	bool init;
};

static void soft_kex_release(struct hs_kex_priv *k);

static const uint8_t dh_g[] = { 2 };	/* RFC 3526: generator 2 for every group */

static const struct kex_alg *
kex_find(enum hs_kex_method m)
{
	const struct kex_alg *a;

	for (a = kex_algs; a->method != 0; a++)
		if (a->method == m)
			return a;
	return NULL;
}

/* Append a big-endian value without its leading zero bytes. The shared secret is secret, but its
 * length is visible in the mpint encoding anyway (RFC 4253 8). */
static hs_err
put_magnitude(struct hs_buf *out, const uint8_t *p, size_t n)
{
	while (n > 1 && p[0] == 0) {	/* CT: leaks only what the mpint length reveals */
		p++;
		n--;
	}
	return hs_buf_put_bytes(out, p, n);
}

static hs_err
keypair_x25519(struct hs_kex_priv *k, WC_RNG *rng, struct hs_buf *pub)
{
	uint8_t q[CURVE25519_KEYSIZE];
	word32 qlen = sizeof(q);
	int ret;

	if ((ret = wc_curve25519_init(&k->u.x)) != 0)
		return hs_soft_wc_fail("X25519 init", ret);
	k->init = true;
	if ((ret = wc_curve25519_make_key(rng, CURVE25519_KEYSIZE, &k->u.x)) != 0)
		return hs_soft_wc_fail("X25519 keygen", ret);
	/* RFC 8731 3: the public value is the RFC 7748 byte string (little-endian u). */
	if ((ret = wc_curve25519_export_public_ex(&k->u.x, q, &qlen, EC25519_LITTLE_ENDIAN)) != 0)
		return hs_soft_wc_fail("X25519 export", ret);
	return hs_buf_put_bytes(pub, q, qlen);
}

static hs_err
keypair_ecdh(struct hs_kex_priv *k, WC_RNG *rng, struct hs_buf *pub)
{
	uint8_t q[1 + 2 * 66];
	word32 qlen = sizeof(q);
	int ret;

	if ((ret = wc_ecc_init(&k->u.ec)) != 0)
		return hs_soft_wc_fail("ECC init", ret);
	k->init = true;
	if ((ret = wc_ecc_make_key_ex(rng, (int)k->alg->size, &k->u.ec, k->alg->curve)) != 0)
		return hs_soft_wc_fail("ECDH keygen", ret);
	/* ECC_TIMING_RESISTANT: the shared-secret computation blinds with this RNG. */
	if ((ret = wc_ecc_set_rng(&k->u.ec, rng)) != 0)
		return hs_soft_wc_fail("ECC RNG", ret);
	/* RFC 5656 4: Q_C as an uncompressed point (SEC1 2.3.3). */
	if ((ret = wc_ecc_export_x963(&k->u.ec, q, &qlen)) != 0)
		return hs_soft_wc_fail("ECDH export", ret);
	return hs_buf_put_bytes(pub, q, qlen);
}

static hs_err
keypair_dh(struct hs_kex_priv *k, WC_RNG *rng, struct hs_buf *pub)
{
	uint8_t e[512];
	word32 elen = sizeof(e);
	int ret;

	if ((ret = wc_InitDhKey(&k->u.dh.key)) != 0)
		return hs_soft_wc_fail("DH init", ret);
	k->init = true;
	if ((ret = wc_DhSetKey(&k->u.dh.key, k->alg->prime, (word32)k->alg->size, dh_g,
	    sizeof(dh_g))) != 0)
		return hs_soft_wc_fail("DH group", ret);
	k->u.dh.xlen = sizeof(k->u.dh.x);
	ret = wc_DhGenerateKeyPair(&k->u.dh.key, rng, k->u.dh.x, &k->u.dh.xlen, e, &elen);
	if (ret != 0)
		return hs_soft_wc_fail("DH keygen", ret);
	return put_magnitude(pub, e, elen);
}

hs_err
hs_soft_kex_keypair(void *ctx, enum hs_kex_method m, struct hs_kex_priv **priv, struct hs_buf *pub)
{
	const struct kex_alg *a = kex_find(m);
	struct hs_kex_priv *k;
	WC_RNG *rng;
	hs_err r;

	*priv = NULL;
	HS_ENSURE(a != NULL, HS_ERR_UNSUPPORTED);
	HS_ENSURE((rng = hs_soft_rng()) != NULL, HS_ERR_PROVIDER);
	if ((k = hs_calloc(1, sizeof(*k))) == NULL)
		return HS_ERR_ALLOC;
	k->head = (struct hs_kex_head){ .ops = &hs_provider_soft, .ctx = ctx,
	    .release = soft_kex_release };
	k->alg = a;
	r = a->fam->keypair(k, rng, pub);
	if (r != HS_OK) {
		soft_kex_release(k);
		return r;
	}
	*priv = k;
	return HS_OK;
}

static hs_err
derive_x25519(struct hs_kex_priv *k, const uint8_t *peer, size_t len, struct hs_buf *secret)
{
	curve25519_key pk;
	uint8_t u[CURVE25519_KEYSIZE], s[CURVE25519_KEYSIZE];
	word32 slen = sizeof(s);
	hs_err r;
	int ret;

	HS_ENSURE(len == CURVE25519_KEYSIZE, HS_ERR_FORMAT);
	/* RFC 7748 5: the receiver masks the top bit of the final byte of u. */
	memcpy(u, peer, sizeof(u));
	u[31] &= 0x7f;
	if ((ret = wc_curve25519_init(&pk)) != 0)
		return hs_soft_wc_fail("X25519 init", ret);
	ret = wc_curve25519_import_public_ex(u, sizeof(u), &pk, EC25519_LITTLE_ENDIAN);
	HS_ENSURE_GOTO(ret == 0, HS_ERR_FORMAT, r, out);
	ret = wc_curve25519_shared_secret_ex(&k->u.x, &pk, s, &slen, EC25519_LITTLE_ENDIAN);
	/* wolfCrypt refuses small-order points itself (ECC_OUT_OF_RANGE_E); RFC 7748 6.1 and
	 * RFC 8731 3 require refusing the all-zero output either way. */
	HS_ENSURE_GOTO(ret == 0 && slen == sizeof(s), HS_ERR_FORMAT, r, out);
	HS_ENSURE_GOTO(!hs_ct_is_zero(s, sizeof(s)), HS_ERR_FORMAT, r, out);
	/* RFC 8731 3.1: the raw 32 bytes, which the caller reads as a big-endian number (mpint). */
	r = hs_buf_put_bytes(secret, s, sizeof(s));
out:
	if (ret != 0)
		hs_error("X25519: peer value refused (%d)", ret);
	wc_curve25519_free(&pk);
	hs_wipe(s, sizeof(s));
	return r;
}

static hs_err
derive_ecdh(struct hs_kex_priv *k, const uint8_t *peer, size_t len, struct hs_buf *secret)
{
	ecc_key pk;
	uint8_t s[66];
	word32 slen = sizeof(s);
	hs_err r;
	int ret;

	/* RFC 5656 4: uncompressed points only; SEC1 3.2.2.1 validation via wc_ecc_check_key. */
	HS_ENSURE(len == 1 + 2 * k->alg->size && peer[0] == 0x04, HS_ERR_FORMAT);
	if ((ret = wc_ecc_init(&pk)) != 0)
		return hs_soft_wc_fail("ECC init", ret);
	ret = wc_ecc_import_x963_ex(peer, (word32)len, &pk, k->alg->curve);
	if (ret == 0)
		ret = wc_ecc_check_key(&pk);
	HS_ENSURE_GOTO(ret == 0, HS_ERR_FORMAT, r, out);
	ret = wc_ecc_shared_secret(&k->u.ec, &pk, s, &slen);
	HS_ENSURE_GOTO(ret == 0, HS_ERR_FORMAT, r, out);
	r = put_magnitude(secret, s, slen);
out:
	if (ret != 0)
		hs_error("ECDH: peer point refused (%d)", ret);
	wc_ecc_free(&pk);
	hs_wipe(s, sizeof(s));
	return r;
}

static hs_err
derive_dh(struct hs_kex_priv *k, const uint8_t *peer, size_t len, struct hs_buf *secret)
{
	uint8_t s[512];
	word32 slen = sizeof(s);
	hs_err r;
	int ret;

	/* RFC 4253 8 / RFC 8268: f must lie in [2, p-2]. */
	HS_ENSURE(len > 0 && len <= k->alg->size, HS_ERR_FORMAT);
	ret = wc_DhCheckPubValue(k->alg->prime, (word32)k->alg->size, peer, (word32)len);
	if (ret != 0) {
		hs_error("DH: peer value out of range");
		return HS_ERR_FORMAT;
	}
	ret = wc_DhAgree(&k->u.dh.key, s, &slen, k->u.dh.x, k->u.dh.xlen, peer, (word32)len);
	HS_ENSURE_GOTO(ret == 0, HS_ERR_FORMAT, r, out);
	r = put_magnitude(secret, s, slen);
out:
	if (ret != 0)
		hs_error("DH: agreement failed (%d)", ret);
	hs_wipe(s, sizeof(s));
	return r;
}

hs_err
hs_soft_kex_derive(void *ctx, struct hs_kex_priv *k, const uint8_t *peer, size_t len,
    struct hs_buf *secret)
{
	HS_ENSURE(k != NULL && k->init && peer != NULL, HS_ERR_INTERNAL);
	return k->alg->fam->derive(k, peer, len, secret);
}

static void
soft_kex_release(struct hs_kex_priv *k)
{
	if (k == NULL)
		return;
	if (k->init)
		k->alg->fam->release(k);
	hs_free_wiped(k, sizeof(*k));
}

static void
release_x25519(struct hs_kex_priv *k)
{
	wc_curve25519_free(&k->u.x);
}

static void
release_ecdh(struct hs_kex_priv *k)
{
	wc_ecc_free(&k->u.ec);
}

static void
release_dh(struct hs_kex_priv *k)
{
	wc_FreeDhKey(&k->u.dh.key);
}

static const struct kex_family fam_x25519 = {
	.keypair = keypair_x25519, .derive = derive_x25519, .release = release_x25519,
};
static const struct kex_family fam_ecdh = {
	.keypair = keypair_ecdh, .derive = derive_ecdh, .release = release_ecdh,
};
static const struct kex_family fam_dh = {
	.keypair = keypair_dh, .derive = derive_dh, .release = release_dh,
};

hs_err
hs_soft_x25519(const uint8_t scalar[32], const uint8_t u[32], uint8_t out[32])
{
	struct hs_kex_priv k = { .alg = &kex_algs[0] };
	uint8_t sc[32];
	struct hs_buf *b = NULL;
	hs_err r;
	int ret;

	HS_GUARD(hs_crypto_init());
	/* RFC 7748 5 decodeScalar25519: clear bits 0-2 and 255, set bit 254. */
	memcpy(sc, scalar, sizeof(sc));
	sc[0] &= 248;
	sc[31] &= 127;
	sc[31] |= 64;
	if ((ret = wc_curve25519_init(&k.u.x)) != 0)
		return hs_soft_wc_fail("X25519 init", ret);
	k.init = true;
	ret = wc_curve25519_import_private_ex(sc, sizeof(sc), &k.u.x, EC25519_LITTLE_ENDIAN);
	HS_ENSURE_GOTO(ret == 0, HS_ERR_PROVIDER, r, out);
	HS_GUARD_GOTO(hs_buf_new(32, &b), r, out);
	HS_GUARD_GOTO(derive_x25519(&k, u, 32, b), r, out);
	memcpy(out, hs_buf_ptr(b), 32);
	r = HS_OK;
out:
	hs_buf_free(b);
	hs_wipe(sc, sizeof(sc));
	wc_curve25519_free(&k.u.x);
	hs_wipe(&k, sizeof(k));
	return r;
}

hs_err
hs_soft_ecdh_fixed(enum hs_kex_method m, const uint8_t *scalar, size_t slen, const uint8_t *peer,
    size_t len, struct hs_buf *secret)
{
	const struct kex_alg *a = kex_find(m);
	struct hs_kex_priv k = { .alg = a };
	WC_RNG *rng = hs_soft_rng();
	hs_err r;
	int ret;

	HS_ENSURE(a != NULL && a->fam == &fam_ecdh, HS_ERR_UNSUPPORTED);
	HS_ENSURE(rng != NULL, HS_ERR_PROVIDER);
	while (slen > 0 && scalar[0] == 0) {
		scalar++;
		slen--;
	}
	HS_ENSURE(slen > 0 && slen <= a->size, HS_ERR_FORMAT);
	if ((ret = wc_ecc_init(&k.u.ec)) != 0)
		return hs_soft_wc_fail("ECC init", ret);
	k.init = true;
	ret = wc_ecc_import_private_key_ex(scalar, (word32)slen, NULL, 0, &k.u.ec, a->curve);
	if (ret == 0)
		ret = wc_ecc_set_rng(&k.u.ec, rng);
	HS_ENSURE_GOTO(ret == 0, HS_ERR_FORMAT, r, out);
	r = derive_ecdh(&k, peer, len, secret);
out:
	wc_ecc_free(&k.u.ec);
	hs_wipe(&k, sizeof(k));
	return r;
}
