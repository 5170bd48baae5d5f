/* keyfile_fields.c: the per-type private fields of an OpenSSH private key file (PROTOCOL.key,
 * RFC 8709 for Ed25519's 64-byte seed||pk, RFC 5656 for the ECDSA curve names). */
#include <string.h>

#include "hs_mem.h"
#include "keyfile_impl.h"

#define ED25519_LEN	32

struct kf_type {
	enum hs_key_type type;
	const char *curve;		/* ecdsa only */
	hs_err (*put)(struct hs_buf *b, const struct hs_key_raw *raw, const struct kf_type *t);
	hs_err (*get)(struct hs_buf *b, struct hs_key_raw *raw, const struct kf_type *t);
};

static hs_err
kf_put_ed25519(struct hs_buf *b, const struct hs_key_raw *raw, const struct kf_type *t)
{
	HS_ENSURE(raw->pub_len == ED25519_LEN && raw->priv_len == ED25519_LEN, HS_ERR_INTERNAL);
	HS_GUARD(hs_buf_put_string(b, raw->pub, ED25519_LEN));
	/* RFC 8709 / OpenSSH: the "secret key" string is seed || public key */
	HS_GUARD(hs_buf_put_u32(b, 2 * ED25519_LEN));
	HS_GUARD(hs_buf_put_bytes(b, raw->priv, ED25519_LEN));
	return hs_buf_put_bytes(b, raw->pub, ED25519_LEN);
}

static hs_err
kf_get_ed25519(struct hs_buf *b, struct hs_key_raw *raw, const struct kf_type *t)
{
	uint8_t pk2[ED25519_LEN];
	uint32_t n;

	HS_GUARD(hs_buf_get_u32(b, &n));
	HS_ENSURE(n == ED25519_LEN, HS_ERR_FORMAT);
	HS_GUARD(hs_buf_get_bytes(b, raw->pub, ED25519_LEN));
	HS_GUARD(hs_buf_get_u32(b, &n));
	HS_ENSURE(n == 2 * ED25519_LEN, HS_ERR_FORMAT);
	HS_GUARD(hs_buf_get_bytes(b, raw->priv, ED25519_LEN));
	HS_GUARD(hs_buf_get_bytes(b, pk2, ED25519_LEN));
	HS_ENSURE(memcmp(pk2, raw->pub, ED25519_LEN) == 0, HS_ERR_FORMAT);	/* public data */
	raw->pub_len = ED25519_LEN;
	raw->priv_len = ED25519_LEN;
	return HS_OK;
}

static hs_err
kf_put_ecdsa(struct hs_buf *b, const struct hs_key_raw *raw, const struct kf_type *t)
{
	HS_GUARD(hs_buf_put_cstring(b, t->curve));
	HS_GUARD(hs_buf_put_string(b, raw->pub, raw->pub_len));
	return hs_buf_put_mpint(b, raw->priv, raw->priv_len);
}

/* A string or mpint magnitude copied into a fixed field; too long is HS_ERR_FORMAT. */
static hs_err
kf_copy(const uint8_t *p, size_t n, uint8_t *dst, size_t cap, size_t *len)
{
	HS_ENSURE(n <= cap, HS_ERR_FORMAT);
	if (n > 0)
		memcpy(dst, p, n);
	*len = n;
	return HS_OK;
}

static hs_err
kf_get_mpint(struct hs_buf *b, uint8_t *dst, size_t cap, size_t *len)
{
	const uint8_t *p;
	size_t n;

	HS_GUARD(hs_buf_get_mpint(b, &p, &n));
	HS_ENSURE(n > 0, HS_ERR_FORMAT);
	return kf_copy(p, n, dst, cap, len);
}

static hs_err
kf_get_ecdsa(struct hs_buf *b, struct hs_key_raw *raw, const struct kf_type *t)
{
	const uint8_t *p;
	size_t n;

	HS_GUARD(hs_buf_get_string(b, &p, &n));
	HS_ENSURE(n == strlen(t->curve) && memcmp(p, t->curve, n) == 0, HS_ERR_FORMAT);
	HS_GUARD(hs_buf_get_string(b, &p, &n));
	HS_GUARD(kf_copy(p, n, raw->pub, sizeof(raw->pub), &raw->pub_len));
	return kf_get_mpint(b, raw->priv, sizeof(raw->priv), &raw->priv_len);
}

static hs_err
kf_put_rsa(struct hs_buf *b, const struct hs_key_raw *raw, const struct kf_type *t)
{
	HS_GUARD(hs_buf_put_mpint(b, raw->n, raw->n_len));
	HS_GUARD(hs_buf_put_mpint(b, raw->e, raw->e_len));
	HS_GUARD(hs_buf_put_mpint(b, raw->d, raw->d_len));
	HS_GUARD(hs_buf_put_mpint(b, raw->iqmp, raw->iqmp_len));
	HS_GUARD(hs_buf_put_mpint(b, raw->p, raw->p_len));
	return hs_buf_put_mpint(b, raw->q, raw->q_len);
}

static hs_err
kf_get_rsa(struct hs_buf *b, struct hs_key_raw *raw, const struct kf_type *t)
{
	HS_GUARD(kf_get_mpint(b, raw->n, sizeof(raw->n), &raw->n_len));
	HS_GUARD(kf_get_mpint(b, raw->e, sizeof(raw->e), &raw->e_len));
	HS_GUARD(kf_get_mpint(b, raw->d, sizeof(raw->d), &raw->d_len));
	HS_GUARD(kf_get_mpint(b, raw->iqmp, sizeof(raw->iqmp), &raw->iqmp_len));
	HS_GUARD(kf_get_mpint(b, raw->p, sizeof(raw->p), &raw->p_len));
	return kf_get_mpint(b, raw->q, sizeof(raw->q), &raw->q_len);
}

static const struct kf_type kf_types[] = {
	{ .type = HS_KEY_ED25519, .put = kf_put_ed25519, .get = kf_get_ed25519 },
	{ .type = HS_KEY_ECDSA_P256, .curve = "nistp256", .put = kf_put_ecdsa, .get = kf_get_ecdsa },
	{ .type = HS_KEY_ECDSA_P384, .curve = "nistp384", .put = kf_put_ecdsa, .get = kf_get_ecdsa },
	{ .type = HS_KEY_ECDSA_P521, .curve = "nistp521", .put = kf_put_ecdsa, .get = kf_get_ecdsa },
	{ .type = HS_KEY_RSA, .put = kf_put_rsa, .get = kf_get_rsa },
	{ 0 }
};

static const struct kf_type *
kf_type_find(enum hs_key_type type)
{
	const struct kf_type *t;

	for (t = kf_types; t->put != NULL; t++)
		if (t->type == type)
			return t;
	return NULL;
}

hs_err
hs_keyfile_put_private_fields(struct hs_buf *b, const struct hs_key_raw *raw)
{
	const struct kf_type *t = kf_type_find(raw->type);

	HS_ENSURE(t != NULL, HS_ERR_UNSUPPORTED);
	HS_GUARD(hs_buf_put_cstring(b, hs_key_type_name(raw->type)));
	return t->put(b, raw, t);
}

hs_err
hs_keyfile_get_private_fields(struct hs_buf *b, struct hs_key_raw *raw)
{
	const struct kf_type *t;
	const uint8_t *name;
	size_t len;

	hs_key_raw_wipe(raw);
	memset(raw, 0, sizeof(*raw));
	HS_GUARD(hs_buf_get_string(b, &name, &len));
	raw->type = hs_key_type_from_name((const char *)name, len);
	t = kf_type_find(raw->type);
	HS_ENSURE(t != NULL, HS_ERR_UNSUPPORTED);
	return t->get(b, raw, t);
}
