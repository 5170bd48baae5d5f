/* pkcs11_kex.c: ECDH key exchange (RFC 5656 4, ecdh-sha2-nistp256/384/521) computed in a PKCS#11
 * token: the ephemeral pair is made by C_GenerateKeyPair(CKM_EC_KEY_PAIR_GEN) as session objects
 * (CKA_TOKEN=FALSE), the shared secret by C_DeriveKey(CKM_ECDH1_DERIVE, CKD_NULL) (PKCS#11 v2.40
 * 2.3.8 and 2.3.11). The private scalar never leaves the token; the shared X coordinate does, as
 * the SSH key schedule needs it (RFC 5656 4: K is the X coordinate of the shared point).
 */
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_pkcs11_impl.h"

struct p11_kex_alg {
	enum hs_kex_method method;
	enum hs_key_type curve;		/* the ECDSA key type of the same curve (for its OID) */
	size_t size;			/* field bytes */
	const char *name;
};

static const struct p11_kex_alg p11_kex_algs[] = {
	{ .method = HS_KEXM_ECDH_P256, .curve = HS_KEY_ECDSA_P256, .size = 32,
	  .name = "ecdh-sha2-nistp256" },
	{ .method = HS_KEXM_ECDH_P384, .curve = HS_KEY_ECDSA_P384, .size = 48,
	  .name = "ecdh-sha2-nistp384" },
	{ .method = HS_KEXM_ECDH_P521, .curve = HS_KEY_ECDSA_P521, .size = 66,
	  .name = "ecdh-sha2-nistp521" },
	{ .method = 0 }
};
#define P11_KEX_NALGS	(sizeof(p11_kex_algs) / sizeof(p11_kex_algs[0]) - 1)

/* The KexProvider context: a token and the methods it was found able to do. */
struct p11_kex_ctx {
	struct hs_p11_token *tok;
	char *uri;
	bool ok[P11_KEX_NALGS];
};

/* Our layout behind struct hs_kex_priv (hw/hs_key_impl.h): head first. The session that made
 * the pair is kept until release, as session objects die with their session (v2.40 6.7.1). */
struct p11_kex_priv {
	struct hs_kex_head head;
	struct p11_kex_ctx *kx;
	const struct p11_kex_alg *alg;
	struct hs_p11_sess s;
	bool has_sess, has_pair;
	CK_OBJECT_HANDLE pub, priv;
};

static const struct p11_kex_alg *
alg_find(const struct p11_kex_ctx *kx, enum hs_kex_method m)
{
	size_t i;

	for (i = 0; p11_kex_algs[i].method != 0; i++)
		if (p11_kex_algs[i].method == m)
			return kx != NULL && kx->ok[i] ? &p11_kex_algs[i] : NULL;
	return NULL;
}

/* C_GenerateKeyPair of an ephemeral ECDH pair as session objects. */
static CK_RV
gen_pair(struct hs_p11_token *tok, CK_SESSION_HANDLE s, const struct p11_kex_alg *alg,
    CK_OBJECT_HANDLE *pub, CK_OBJECT_HANDLE *priv)
{
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_BBOOL t = CK_TRUE, f = CK_FALSE;
	const uint8_t *oid;
	size_t oidlen;

	if (hs_p11_curve_oid(alg->curve, &oid, &oidlen) != HS_OK)
		return CKR_MECHANISM_PARAM_INVALID;
	CK_ATTRIBUTE pt[] = {
		{ CKA_TOKEN, &f, sizeof(f) },
		{ CKA_EC_PARAMS, (void *)oid, oidlen },
	};
	CK_ATTRIBUTE vt[] = {
		{ CKA_TOKEN, &f, sizeof(f) },
		{ CKA_PRIVATE, &t, sizeof(t) },
		{ CKA_SENSITIVE, &t, sizeof(t) },
		{ CKA_EXTRACTABLE, &f, sizeof(f) },
		{ CKA_DERIVE, &t, sizeof(t) },
		{ CKA_SIGN, &f, sizeof(f) },
	};
	return tok->mod->f->C_GenerateKeyPair(s, &mech, pt, 2, vt, 6, pub, priv);
}

static void
destroy_pair(struct p11_kex_priv *p)
{
	CK_FUNCTION_LIST_PTR f = p->kx->tok->mod->f;

	if (p->has_pair) {
		(void)f->C_DestroyObject(p->s.h, p->priv);
		(void)f->C_DestroyObject(p->s.h, p->pub);
	}
	p->has_pair = false;
}

static void
p11_kex_release(struct hs_kex_priv *priv)
{
	struct p11_kex_priv *p = (struct p11_kex_priv *)priv;

	if (p == NULL)
		return;
	destroy_pair(p);
	if (p->has_sess)
		hs_p11_sess_put(p->kx->tok, &p->s, CKR_OK);
	hs_free_wiped(p, sizeof(*p));
}

/* The public point 0x04||X||Y from CKA_EC_POINT (a DER OCTET STRING, v2.40 2.3.3). */
static hs_err
read_point(struct p11_kex_priv *p, struct hs_buf *pub)
{
	uint8_t v[160];
	const uint8_t *q = v;
	CK_ATTRIBUTE a = { CKA_EC_POINT, v, sizeof(v) };
	size_t qlen, want = 2 * p->alg->size + 1;
	CK_RV rv;

	if ((rv = p->kx->tok->mod->f->C_GetAttributeValue(p->s.h, p->pub, &a, 1)) != CKR_OK)
		return hs_p11_fail("CKA_EC_POINT", rv);
	HS_ENSURE(a.ulValueLen != CK_UNAVAILABLE_INFORMATION && a.ulValueLen <= sizeof(v),
	    HS_ERR_PROVIDER);
	qlen = a.ulValueLen;
	hs_p11_der_unwrap(&q, &qlen, want);
	HS_ENSURE(qlen == want && q[0] == 0x04, HS_ERR_PROVIDER);
	return hs_buf_put_bytes(pub, q, qlen);
}

/* Borrow a session and make the pair there; *rv is the token's answer. */
static hs_err
keypair_attempt(struct p11_kex_priv *p, CK_RV *rv, unsigned *gen)
{
	*rv = CKR_OK;
	HS_GUARD(hs_p11_sess_get(p->kx->tok, &p->s));
	p->has_sess = true;
	*gen = p->s.gen;
	if ((*rv = gen_pair(p->kx->tok, p->s.h, p->alg, &p->pub, &p->priv)) == CKR_OK) {
		p->has_pair = true;
		return HS_OK;
	}
	hs_p11_sess_put(p->kx->tok, &p->s, *rv);
	p->has_sess = false;
	return HS_ERR_PROVIDER;
}

hs_err
hs_p11_kex_keypair(void *ctx, enum hs_kex_method m, struct hs_kex_priv **priv,
    struct hs_buf *pub)
{
	struct p11_kex_ctx *kx = ctx;
	struct p11_kex_priv *p;
	unsigned gen = 0;
	hs_err r;
	CK_RV rv;

	*priv = NULL;
	HS_ENSURE(alg_find(kx, m) != NULL, HS_ERR_UNSUPPORTED);
	HS_ENSURE((p = hs_calloc(1, sizeof(*p))) != NULL, HS_ERR_ALLOC);
	p->head = (struct hs_kex_head){ .ops = &hs_provider_pkcs11, .ctx = kx,
	    .release = p11_kex_release };
	p->kx = kx;
	p->alg = alg_find(kx, m);
	if ((r = keypair_attempt(p, &rv, &gen)) != HS_OK && hs_p11_rv_lost(rv)) {
		hs_p11_token_down(kx->tok, gen, rv);
		r = keypair_attempt(p, &rv, &gen);
	}
	if (r != HS_OK) {
		if (rv != CKR_OK)
			hs_error("pkcs11 %s: C_GenerateKeyPair (%s): %s", kx->uri, p->alg->name,
			    hs_p11_rv_name(rv));
		goto out;
	}
	HS_GUARD_GOTO(read_point(p, pub), r, out);
	*priv = (struct hs_kex_priv *)p;
	p = NULL;
	r = HS_OK;
out:
	p11_kex_release((struct hs_kex_priv *)p);
	return r;
}

/* RFC 5656 4 / SEC1 3.2.2.1: the peer's point must be on the curve; checked in software before
 * the token sees it (a token is not required to check). */
static hs_err
check_peer(const struct p11_kex_alg *alg, const uint8_t *peer, size_t len)
{
	struct hs_key_raw *raw;
	struct hs_key *k = NULL;
	hs_err r;

	HS_ENSURE(len == 2 * alg->size + 1 && peer[0] == 0x04, HS_ERR_FORMAT);
	HS_ENSURE((raw = hs_calloc(1, sizeof(*raw))) != NULL, HS_ERR_ALLOC);
	raw->type = alg->curve;
	memcpy(raw->pub, peer, len);
	raw->pub_len = len;
	r = hs_soft_key_from_raw(raw, &k);	/* public-only: validates the point */
	hs_key_free(k);
	free(raw);
	return r == HS_OK ? HS_OK : HS_ERR_FORMAT;
}

/* C_DeriveKey into a readable session secret, its CKA_VALUE into z, and the secret destroyed. */
static CK_RV
derive_value(struct p11_kex_priv *p, const uint8_t *peer, size_t len, uint8_t *z, size_t *zlen)
{
	CK_FUNCTION_LIST_PTR f = p->kx->tok->mod->f;
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_BBOOL t = CK_TRUE, no = CK_FALSE;
	CK_ULONG vlen = p->alg->size;
	CK_ECDH1_DERIVE_PARAMS ep = { .kdf = CKD_NULL, .ulPublicDataLen = len,
	    .pPublicData = (CK_BYTE_PTR)peer };
	CK_MECHANISM mech = { CKM_ECDH1_DERIVE, &ep, sizeof(ep) };
	CK_ATTRIBUTE st[] = {
		{ CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_TOKEN, &no, sizeof(no) },
		{ CKA_SENSITIVE, &no, sizeof(no) },
		{ CKA_EXTRACTABLE, &t, sizeof(t) },
		{ CKA_VALUE_LEN, &vlen, sizeof(vlen) },
	};
	CK_ATTRIBUTE a = { CKA_VALUE, z, *zlen };
	CK_OBJECT_HANDLE sk;
	CK_RV rv;

	if ((rv = f->C_DeriveKey(p->s.h, &mech, p->priv, st, 6, &sk)) != CKR_OK)
		return rv;
	rv = f->C_GetAttributeValue(p->s.h, sk, &a, 1);
	(void)f->C_DestroyObject(p->s.h, sk);
	if (rv == CKR_OK && a.ulValueLen != p->alg->size)
		rv = CKR_GENERAL_ERROR;
	*zlen = a.ulValueLen;
	return rv;
}

hs_err
hs_p11_kex_derive(void *ctx, struct hs_kex_priv *priv, const uint8_t *peer, size_t len,
    struct hs_buf *secret)
{
	struct p11_kex_priv *p = (struct p11_kex_priv *)priv;
	uint8_t z[66];
	size_t zlen = sizeof(z), i = 0;
	hs_err r;
	CK_RV rv;

	(void)ctx;
	HS_ENSURE(p != NULL && p->has_pair, HS_ERR_INTERNAL);
	if ((r = check_peer(p->alg, peer, len)) != HS_OK) {
		hs_error("pkcs11 kex: %s: the peer's point is not on the curve", p->alg->name);
		return r;
	}
	if ((rv = derive_value(p, peer, len, z, &zlen)) != CKR_OK) {
		hs_error("pkcs11 %s: C_DeriveKey (%s): %s", p->kx->uri, p->alg->name,
		    hs_p11_rv_name(rv));
		if (hs_p11_rv_lost(rv))
			hs_p11_token_down(p->kx->tok, p->s.gen, rv);	/* next KEX reconnects */
		r = HS_ERR_PROVIDER;
		goto out;
	}
	/* The big-endian magnitude, as hs_kex_derive appends it (the caller makes the mpint). */
	while (i + 1 < zlen && z[i] == 0)	/* CT: leaks only what the mpint length reveals */
		i++;
	HS_GUARD_GOTO(hs_buf_put_bytes(secret, z + i, zlen - i), r, out);
	hs_debug("pkcs11 kex: %s computed in token %s", p->alg->name, p->kx->tok->label);
	r = HS_OK;
out:
	hs_wipe(z, sizeof(z));
	return r;
}

/* Try one ephemeral pair per curve: mechanism lists do not say which curves a token has. */
static void
probe(struct p11_kex_ctx *kx)
{
	struct hs_p11_sess s;
	CK_OBJECT_HANDLE pub, priv;
	size_t i;

	if (hs_p11_sess_get(kx->tok, &s) != HS_OK)
		return;
	for (i = 0; i < P11_KEX_NALGS; i++) {
		kx->ok[i] = gen_pair(kx->tok, s.h, &p11_kex_algs[i], &pub, &priv) == CKR_OK;
		if (kx->ok[i]) {
			(void)kx->tok->mod->f->C_DestroyObject(s.h, priv);
			(void)kx->tok->mod->f->C_DestroyObject(s.h, pub);
		}
	}
	hs_p11_sess_put(kx->tok, &s, CKR_OK);
}

/* CKM_EC_KEY_PAIR_GEN and CKM_ECDH1_DERIVE both listed, ECDH1 with CKF_DERIVE. */
static bool
has_mechanisms(struct p11_kex_ctx *kx)
{
	CK_FUNCTION_LIST_PTR f = kx->tok->mod->f;
	CK_MECHANISM_INFO gen, dh;

	if (f->C_GetMechanismInfo(kx->tok->slot, CKM_EC_KEY_PAIR_GEN, &gen) != CKR_OK ||
	    f->C_GetMechanismInfo(kx->tok->slot, CKM_ECDH1_DERIVE, &dh) != CKR_OK)
		return false;
	return (gen.flags & CKF_GENERATE_KEY_PAIR) != 0 && (dh.flags & CKF_DERIVE) != 0;
}

void
hs_p11_kex_close(void *ctx)
{
	struct p11_kex_ctx *kx = ctx;

	if (kx == NULL)
		return;
	hs_p11_token_release(kx->tok);
	free(kx->uri);
	free(kx);
}

hs_err
hs_p11_kex_open(const char *uri, void **ctx)
{
	struct p11_kex_ctx *kx;
	struct hs_p11uri u;
	hs_err r;

	*ctx = NULL;
	HS_GUARD(hs_p11uri_parse(uri, &u));
	HS_ENSURE_GOTO((kx = hs_calloc(1, sizeof(*kx))) != NULL, HS_ERR_ALLOC, r, out);
	HS_ENSURE_GOTO((kx->uri = hs_strdup(uri)) != NULL, HS_ERR_ALLOC, r, out);
	HS_GUARD_GOTO(hs_p11_module_resolve(&u, uri), r, out);
	HS_GUARD_GOTO(hs_p11_token_get(&u, uri, &kx->tok), r, out);
	if (has_mechanisms(kx))
		probe(kx);
	if (!kx->ok[0] && !kx->ok[1] && !kx->ok[2]) {
		hs_error("pkcs11 %s: token %s cannot do ECDH (CKM_EC_KEY_PAIR_GEN, "
		    "CKM_ECDH1_DERIVE)", uri, kx->tok->label);
		r = HS_ERR_UNSUPPORTED;
		goto out;
	}
	hs_verbose("pkcs11 kex: token %s: ecdh-sha2-nistp256 %s, nistp384 %s, nistp521 %s",
	    kx->tok->label, kx->ok[0] ? "yes" : "no", kx->ok[1] ? "yes" : "no",
	    kx->ok[2] ? "yes" : "no");
	*ctx = kx;
	kx = NULL;
	r = HS_OK;
out:
	hs_p11_kex_close(kx);
	hs_p11uri_free(&u);
	return r;
}

bool
hs_p11_kex_supports(void *ctx, enum hs_kex_method m)
{
	return alg_find(ctx, m) != NULL;
}
