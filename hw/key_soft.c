/* key_soft.c: software keys on wolfCrypt: import and export of raw components, generation, and
 * the pairwise consistency test run on every private key we create or load.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/wolfmath.h>

#include <stdlib.h>
#include <string.h>

#include "hs_ct.h"
#include "hs_key_impl.h"
#include "hs_log.h"
#include "hs_mem.h"

#define RSA_E		65537
#define RSA_DEFAULT	3072	/* ssh-keygen's default */

struct soft_curve {
	enum hs_key_type type;
	int wc_curve;
	size_t size;
};

static const struct soft_curve soft_curves[] = {
	{ .type = HS_KEY_ECDSA_P256, .wc_curve = ECC_SECP256R1, .size = 32 },
	{ .type = HS_KEY_ECDSA_P384, .wc_curve = ECC_SECP384R1, .size = 48 },
	{ .type = HS_KEY_ECDSA_P521, .wc_curve = ECC_SECP521R1, .size = 66 },
	{ .type = HS_KEY_UNKNOWN }
};

hs_err
hs_soft_wc_fail(const char *what, int ret)
{
	hs_error("wolfCrypt %s failed: %s (%d)", what, wc_GetErrorString(ret), ret);
	return HS_ERR_PROVIDER;
}

bool
hs_soft_curve(enum hs_key_type t, int *curve_id, size_t *size)
{
	const struct soft_curve *c;

	for (c = soft_curves; c->type != HS_KEY_UNKNOWN; c++)
		if (c->type == t) {
			*curve_id = c->wc_curve;
			*size = c->size;
			return true;
		}
	return false;
}

void
hs_soft_key_free(void *p)
{
	struct hs_soft_key *sk = p;

	if (sk == NULL)
		return;
	if (sk->init) {
		if (sk->type == HS_KEY_ED25519)
			wc_ed25519_free(&sk->u.ed);
		else if (sk->type == HS_KEY_RSA)
			wc_FreeRsaKey(&sk->u.rsa);
		else
			wc_ecc_free(&sk->u.ec);
	}
	hs_free_wiped(sk, sizeof(*sk));
}

static hs_err
import_ed25519(struct hs_soft_key *sk, const struct hs_key_raw *raw)
{
	int ret;

	HS_ENSURE(raw->pub_len == ED25519_PUB_KEY_SIZE, HS_ERR_FORMAT);
	HS_ENSURE(raw->priv_len == 0 || raw->priv_len == ED25519_KEY_SIZE, HS_ERR_FORMAT);
	if ((ret = wc_ed25519_init(&sk->u.ed)) != 0)
		return hs_soft_wc_fail("Ed25519 init", ret);
	sk->init = true;
	if (raw->priv_len > 0)
		ret = wc_ed25519_import_private_key(raw->priv, ED25519_KEY_SIZE, raw->pub,
		    ED25519_PUB_KEY_SIZE, &sk->u.ed);
	else
		ret = wc_ed25519_import_public(raw->pub, ED25519_PUB_KEY_SIZE, &sk->u.ed);
	/* With a private part, wc_ed25519_check_key recomputes A from the seed and compares. A
	 * bare public A is only decoded when a signature is verified (RFC 8032 5.1.7 step 1). */
	if (ret == 0 && raw->priv_len > 0)
		ret = wc_ed25519_check_key(&sk->u.ed);
	if (ret != 0) {
		hs_error("Ed25519 key refused (%d)", ret);
		return HS_ERR_FORMAT;
	}
	return HS_OK;
}

static hs_err
import_ecdsa(struct hs_soft_key *sk, const struct hs_key_raw *raw)
{
	int curve, ret;
	size_t size;

	HS_ENSURE(hs_soft_curve(raw->type, &curve, &size), HS_ERR_UNSUPPORTED);
	HS_ENSURE(raw->pub_len == 1 + 2 * size && raw->pub[0] == 0x04, HS_ERR_FORMAT);
	HS_ENSURE(raw->priv_len <= size, HS_ERR_FORMAT);
	if ((ret = wc_ecc_init(&sk->u.ec)) != 0)
		return hs_soft_wc_fail("ECC init", ret);
	sk->init = true;
	if (raw->priv_len > 0)
		ret = wc_ecc_import_private_key_ex(raw->priv, (word32)raw->priv_len, raw->pub,
		    (word32)raw->pub_len, &sk->u.ec, curve);
	else
		ret = wc_ecc_import_x963_ex(raw->pub, (word32)raw->pub_len, &sk->u.ec, curve);
	/* SEC1 3.2.2.1: the point is on the curve and of the right order. */
	if (ret == 0)
		ret = wc_ecc_check_key(&sk->u.ec);
	if (ret != 0) {
		hs_error("ECDSA key refused (%d)", ret);
		return HS_ERR_FORMAT;
	}
	return HS_OK;
}

/* Private RSA fields, with the CRT exponents derived and n = p*q, q*iqmp = 1 mod p checked. */
static hs_err
import_rsa_private(RsaKey *k, const struct hs_key_raw *raw)
{
	mp_int t;
	hs_err r = HS_ERR_FORMAT;
	int ret;

	HS_ENSURE(raw->d_len > 0 && raw->p_len > 0 && raw->q_len > 0 && raw->iqmp_len > 0,
	    HS_ERR_FORMAT);
	if (mp_init(&t) != MP_OKAY)
		return HS_ERR_PROVIDER;
	ret = mp_read_unsigned_bin(&k->d, raw->d, (word32)raw->d_len);
	ret |= mp_read_unsigned_bin(&k->p, raw->p, (word32)raw->p_len);
	ret |= mp_read_unsigned_bin(&k->q, raw->q, (word32)raw->q_len);
	ret |= mp_read_unsigned_bin(&k->u, raw->iqmp, (word32)raw->iqmp_len);
	HS_ENSURE_GOTO(ret == MP_OKAY, HS_ERR_FORMAT, r, out);
	HS_ENSURE_GOTO(mp_mul(&k->p, &k->q, &t) == MP_OKAY && mp_cmp(&t, &k->n) == MP_EQ,
	    HS_ERR_FORMAT, r, out);
	HS_ENSURE_GOTO(mp_mulmod(&k->q, &k->u, &k->p, &t) == MP_OKAY && mp_cmp_d(&t, 1) == MP_EQ,
	    HS_ERR_FORMAT, r, out);
	/* dP = d mod (p-1), dQ = d mod (q-1) (RFC 8017 3.2). */
	HS_ENSURE_GOTO(mp_sub_d(&k->p, 1, &t) == MP_OKAY && mp_mod(&k->d, &t, &k->dP) == MP_OKAY,
	    HS_ERR_PROVIDER, r, out);
	HS_ENSURE_GOTO(mp_sub_d(&k->q, 1, &t) == MP_OKAY && mp_mod(&k->d, &t, &k->dQ) == MP_OKAY,
	    HS_ERR_PROVIDER, r, out);
	k->type = RSA_PRIVATE;
	r = HS_OK;
out:
	mp_forcezero(&t);
	return r;
}

static hs_err
import_rsa(struct hs_soft_key *sk, const struct hs_key_raw *raw)
{
	int ret, bits;

	if ((ret = wc_InitRsaKey(&sk->u.rsa, NULL)) != 0)
		return hs_soft_wc_fail("RSA init", ret);
	sk->init = true;
	ret = wc_RsaPublicKeyDecodeRaw(raw->n, (word32)raw->n_len, raw->e, (word32)raw->e_len,
	    &sk->u.rsa);
	if (ret != 0) {
		hs_error("RSA key refused (%d)", ret);
		return HS_ERR_FORMAT;
	}
	bits = mp_count_bits(&sk->u.rsa.n);
	if (bits < 1024 || bits > 4096 || (raw->d_len > 0 && bits < 2048)) {
		/* SP 800-131A: private keys below 2048 bits are not used for signing at all. */
		hs_error("RSA key of %d bits refused (public 1024..4096, private 2048..4096)",
		    bits);
		return HS_ERR_UNSUPPORTED;
	}
	if (raw->d_len == 0)
		return HS_OK;
	return import_rsa_private(&sk->u.rsa, raw);
}

struct importer {
	enum hs_key_type type;
	hs_err (*import)(struct hs_soft_key *sk, const struct hs_key_raw *raw);
};

static const struct importer importers[] = {
	{ .type = HS_KEY_ED25519,    .import = import_ed25519 },
	{ .type = HS_KEY_ECDSA_P256, .import = import_ecdsa },
	{ .type = HS_KEY_ECDSA_P384, .import = import_ecdsa },
	{ .type = HS_KEY_ECDSA_P521, .import = import_ecdsa },
	{ .type = HS_KEY_RSA,        .import = import_rsa },
	{ .import = NULL }
};

hs_err
hs_soft_key_import(const struct hs_key_raw *raw, struct hs_soft_key **out)
{
	const struct importer *im;
	struct hs_soft_key *sk;
	hs_err r;

	*out = NULL;
	if ((sk = hs_calloc(1, sizeof(*sk))) == NULL)
		return HS_ERR_ALLOC;
	sk->type = raw->type;
	for (im = importers; im->import != NULL && im->type != raw->type; im++)
		;
	r = im->import != NULL ? im->import(sk, raw) : HS_ERR_UNSUPPORTED;
	sk->has_private = raw->type == HS_KEY_RSA ? raw->d_len > 0 : raw->priv_len > 0;
	if (r != HS_OK) {
		hs_soft_key_free(sk);
		return r;
	}
	*out = sk;
	return HS_OK;
}

static hs_err
mp_out(mp_int *m, uint8_t *buf, size_t cap, size_t *len)
{
	int n = mp_unsigned_bin_size(m);

	HS_ENSURE(n >= 0 && (size_t)n <= cap, HS_ERR_INTERNAL);
	HS_ENSURE(mp_to_unsigned_bin(m, buf) == MP_OKAY, HS_ERR_PROVIDER);
	*len = (size_t)n;
	return HS_OK;
}

static hs_err
export_rsa(struct hs_soft_key *sk, struct hs_key_raw *raw)
{
	RsaKey *k = &sk->u.rsa;

	HS_GUARD(mp_out(&k->n, raw->n, sizeof(raw->n), &raw->n_len));
	HS_GUARD(mp_out(&k->e, raw->e, sizeof(raw->e), &raw->e_len));
	if (!sk->has_private)
		return HS_OK;
	HS_GUARD(mp_out(&k->d, raw->d, sizeof(raw->d), &raw->d_len));
	HS_GUARD(mp_out(&k->p, raw->p, sizeof(raw->p), &raw->p_len));
	HS_GUARD(mp_out(&k->q, raw->q, sizeof(raw->q), &raw->q_len));
	/* wolfCrypt's u is q^-1 mod p, which is OpenSSH's iqmp. */
	return mp_out(&k->u, raw->iqmp, sizeof(raw->iqmp), &raw->iqmp_len);
}

static hs_err
export_soft(struct hs_soft_key *sk, struct hs_key_raw *raw)
{
	word32 n;
	int ret;

	memset(raw, 0, sizeof(*raw));
	raw->type = sk->type;
	if (sk->type == HS_KEY_RSA)
		return export_rsa(sk, raw);
	n = sizeof(raw->pub);
	if (sk->type == HS_KEY_ED25519)
		ret = wc_ed25519_export_public(&sk->u.ed, raw->pub, &n);
	else
		ret = wc_ecc_export_x963(&sk->u.ec, raw->pub, &n);
	if (ret != 0)
		return hs_soft_wc_fail("public key export", ret);
	raw->pub_len = n;
	if (!sk->has_private)
		return HS_OK;
	n = sizeof(raw->priv);
	if (sk->type == HS_KEY_ED25519)
		ret = wc_ed25519_export_private_only(&sk->u.ed, raw->priv, &n);
	else
		ret = wc_ecc_export_private_only(&sk->u.ec, raw->priv, &n);
	if (ret != 0)
		return hs_soft_wc_fail("private key export", ret);
	raw->priv_len = n;
	return HS_OK;
}

static unsigned
soft_bits(struct hs_soft_key *sk)
{
	if (sk->type == HS_KEY_RSA)
		return (unsigned)mp_count_bits(&sk->u.rsa.n);
	return hs_key_type_bits(sk->type);
}

/* FIPS 140-3 IG 10.3.A style pairwise consistency test: sign with the private part and verify with
 * the public one. Catches a public key that does not belong to the private key. */
static hs_err
soft_pct(const struct hs_key *k)
{
	hs_err r = hs_key_pairwise_test(k);

	if (r == HS_ERR_SIG) {
		hs_error("%s key: private and public parts do not match",
		    hs_key_type_short(k->type));
		r = HS_ERR_FORMAT;
	}
	return r;
}

/* Wrap an imported soft key in a struct hs_key with its public blob; takes ownership of sk. */
static hs_err
soft_wrap(struct hs_soft_key *sk, struct hs_key **out)
{
	struct hs_key_raw *raw = NULL;
	struct hs_buf *blob = NULL;
	struct hs_key *k = NULL;
	hs_err r;

	*out = NULL;
	HS_ENSURE_GOTO((raw = hs_calloc(1, sizeof(*raw))) != NULL, HS_ERR_ALLOC, r, out);
	HS_GUARD_GOTO(hs_buf_new(HS_BUF_MAX_DEFAULT, &blob), r, out);
	HS_GUARD_GOTO(export_soft(sk, raw), r, out);
	HS_GUARD_GOTO(hs_soft_blob_from_raw(raw, blob), r, out);
	HS_GUARD_GOTO(hs_key_alloc(&hs_provider_soft, sk->type, hs_buf_ptr(blob), hs_buf_len(blob),
	    &k), r, out);
	k->has_private = sk->has_private;
	k->bits = soft_bits(sk);
	k->priv = sk;
	k->priv_free = hs_soft_key_free;
	sk = NULL;
	if (k->has_private)
		HS_GUARD_GOTO(soft_pct(k), r, out);
	*out = k;
	k = NULL;
	r = HS_OK;
out:
	hs_soft_key_free(sk);
	hs_key_free(k);
	hs_buf_free(blob);
	hs_free_wiped(raw, sizeof(*raw));
	return r;
}

hs_err
hs_soft_key_from_raw(const struct hs_key_raw *raw, struct hs_key **out)
{
	struct hs_soft_key *sk;

	*out = NULL;
	HS_GUARD(hs_crypto_init());
	HS_GUARD(hs_soft_key_import(raw, &sk));
	return soft_wrap(sk, out);
}

static hs_err
generate_soft(struct hs_soft_key *sk, unsigned bits, WC_RNG *rng)
{
	int curve, ret;
	size_t size;

	if (sk->type == HS_KEY_ED25519) {
		if ((ret = wc_ed25519_init(&sk->u.ed)) != 0)
			return hs_soft_wc_fail("Ed25519 init", ret);
		sk->init = true;
		ret = wc_ed25519_make_key(rng, ED25519_KEY_SIZE, &sk->u.ed);
	} else if (sk->type == HS_KEY_RSA) {
		if ((ret = wc_InitRsaKey(&sk->u.rsa, NULL)) != 0)
			return hs_soft_wc_fail("RSA init", ret);
		sk->init = true;
		ret = wc_MakeRsaKey(&sk->u.rsa, (int)bits, RSA_E, rng);
	} else {
		HS_ENSURE(hs_soft_curve(sk->type, &curve, &size), HS_ERR_UNSUPPORTED);
		if ((ret = wc_ecc_init(&sk->u.ec)) != 0)
			return hs_soft_wc_fail("ECC init", ret);
		sk->init = true;
		ret = wc_ecc_make_key_ex(rng, (int)size, &sk->u.ec, curve);
	}
	if (ret != 0)
		return hs_soft_wc_fail("key generation", ret);
	return HS_OK;
}

hs_err
hs_soft_key_generate(enum hs_key_type type, unsigned bits, struct hs_key **out)
{
	struct hs_soft_key *sk;
	WC_RNG *rng;
	hs_err r;

	*out = NULL;
	HS_ENSURE((rng = hs_soft_rng()) != NULL, HS_ERR_PROVIDER);
	HS_ENSURE(type == HS_KEY_ED25519 || type == HS_KEY_RSA || hs_key_curve_name(type) != NULL,
	    HS_ERR_UNSUPPORTED);
	if (type == HS_KEY_RSA) {
		if (bits == 0)
			bits = RSA_DEFAULT;
		/* SP 800-131A: at least 2048; wolfCrypt's RSA_MAX_SIZE caps at 4096. */
		HS_ENSURE(bits >= 2048 && bits <= 4096 && bits % 8 == 0, HS_ERR_UNSUPPORTED);
	}
	if ((sk = hs_calloc(1, sizeof(*sk))) == NULL)
		return HS_ERR_ALLOC;
	sk->type = type;
	sk->has_private = true;
	if ((r = generate_soft(sk, bits, rng)) != HS_OK) {
		hs_soft_key_free(sk);
		return r;
	}
	return soft_wrap(sk, out);
}

hs_err
hs_soft_key_to_raw(const struct hs_key *k, struct hs_key_raw *raw)
{
	HS_ENSURE(k->ops == &hs_provider_soft && k->priv != NULL, HS_ERR_UNSUPPORTED);
	return export_soft(k->priv, raw);
}
