/* pkcs11_obj.c: PKCS#11 objects of a host key: finding the private key by CKA_ID / CKA_LABEL and
 * reading its public half (PKCS#11 v2.40 sections 2.3 (EC), 2.1 (RSA); v3.0 2.3.5 (Edwards)).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_pkcs11_impl.h"

#define P11_ATTR_MAX	1024	/* largest attribute we read (a 4096-bit modulus is 512) */

struct rv_name {
	CK_RV rv;
	const char *name;
};

#define RV(x) { .rv = x, .name = #x }
static const struct rv_name rv_names[] = {
	RV(CKR_OK), RV(CKR_HOST_MEMORY), RV(CKR_SLOT_ID_INVALID), RV(CKR_GENERAL_ERROR),
	RV(CKR_FUNCTION_FAILED), RV(CKR_ARGUMENTS_BAD), RV(CKR_ATTRIBUTE_TYPE_INVALID),
	RV(CKR_ATTRIBUTE_SENSITIVE), RV(CKR_DATA_INVALID), RV(CKR_DATA_LEN_RANGE),
	RV(CKR_DEVICE_ERROR), RV(CKR_DEVICE_MEMORY), RV(CKR_DEVICE_REMOVED),
	RV(CKR_FUNCTION_NOT_SUPPORTED), RV(CKR_KEY_HANDLE_INVALID), RV(CKR_KEY_SIZE_RANGE),
	RV(CKR_KEY_TYPE_INCONSISTENT), RV(CKR_KEY_FUNCTION_NOT_PERMITTED),
	RV(CKR_MECHANISM_INVALID), RV(CKR_MECHANISM_PARAM_INVALID), RV(CKR_OBJECT_HANDLE_INVALID),
	RV(CKR_OPERATION_ACTIVE), RV(CKR_OPERATION_NOT_INITIALIZED), RV(CKR_PIN_INCORRECT),
	RV(CKR_PIN_INVALID), RV(CKR_PIN_LEN_RANGE), RV(CKR_PIN_EXPIRED), RV(CKR_PIN_LOCKED),
	RV(CKR_SESSION_CLOSED), RV(CKR_SESSION_COUNT), RV(CKR_SESSION_HANDLE_INVALID),
	RV(CKR_TOKEN_NOT_PRESENT), RV(CKR_TOKEN_NOT_RECOGNIZED), RV(CKR_USER_ALREADY_LOGGED_IN),
	RV(CKR_USER_NOT_LOGGED_IN), RV(CKR_USER_PIN_NOT_INITIALIZED), RV(CKR_USER_TYPE_INVALID),
	RV(CKR_BUFFER_TOO_SMALL), RV(CKR_CRYPTOKI_NOT_INITIALIZED),
	RV(CKR_CRYPTOKI_ALREADY_INITIALIZED), RV(CKR_FUNCTION_REJECTED),
	{ .name = NULL }
};
#undef RV

const char *
hs_p11_rv_name(CK_RV rv)
{
	static _Thread_local char unknown[32];
	const struct rv_name *n;

	for (n = rv_names; n->name != NULL; n++)
		if (n->rv == rv)
			return n->name;
	snprintf(unknown, sizeof(unknown), "CKR_0x%lx", (unsigned long)rv);
	return unknown;
}

hs_err
hs_p11_fail(const char *what, CK_RV rv)
{
	hs_error("pkcs11: %s: %s", what, hs_p11_rv_name(rv));
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_EXPIRED ||
	    rv == CKR_PIN_INVALID || rv == CKR_PIN_LEN_RANGE)
		return HS_ERR_PERM;
	return HS_ERR_PROVIDER;
}

hs_err
hs_p11_find_object(struct hs_p11_key *pk, CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls,
    CK_OBJECT_HANDLE *out, unsigned *count)
{
	CK_FUNCTION_LIST_PTR f = pk->tok->mod->f;
	CK_ATTRIBUTE tmpl[3];
	CK_OBJECT_HANDLE h[2];
	CK_ULONG n = 0, nt = 0;
	CK_RV rv;

	*count = 0;
	tmpl[nt++] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	if (pk->uri.has_id)
		tmpl[nt++] = (CK_ATTRIBUTE){ CKA_ID, pk->uri.id, pk->uri.id_len };
	if (pk->uri.object != NULL)
		tmpl[nt++] = (CK_ATTRIBUTE){ CKA_LABEL, pk->uri.object, strlen(pk->uri.object) };
	if ((rv = f->C_FindObjectsInit(s, tmpl, nt)) != CKR_OK)
		return hs_p11_fail("C_FindObjectsInit", rv);
	rv = f->C_FindObjects(s, h, 2, &n);
	(void)f->C_FindObjectsFinal(s);
	if (rv != CKR_OK)
		return hs_p11_fail("C_FindObjects", rv);
	*count = (unsigned)n;
	HS_ENSURE(n == 1, HS_ERR_NOT_FOUND);
	*out = h[0];
	return HS_OK;
}

/* One attribute's value into buf (at most max bytes). */
static hs_err
get_attr(struct hs_p11_key *pk, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
    uint8_t *buf, size_t max, size_t *len)
{
	CK_ATTRIBUTE a = { t, buf, max };
	CK_RV rv;

	if ((rv = pk->tok->mod->f->C_GetAttributeValue(s, o, &a, 1)) != CKR_OK) {
		hs_debug("pkcs11: attribute 0x%lx: %s", (unsigned long)t, hs_p11_rv_name(rv));
		return rv == CKR_ATTRIBUTE_TYPE_INVALID || rv == CKR_ATTRIBUTE_SENSITIVE ?
		    HS_ERR_NOT_FOUND : HS_ERR_PROVIDER;
	}
	HS_ENSURE(a.ulValueLen != CK_UNAVAILABLE_INFORMATION && a.ulValueLen <= max,
	    HS_ERR_NOT_FOUND);
	*len = a.ulValueLen;
	return HS_OK;
}

/* DER encodings of the named curves' OIDs (RFC 5480 2.1.1.1, RFC 5656 10.1). */
struct curve_oid {
	enum hs_key_type type;
	size_t len;
	uint8_t der[12];
};

static const struct curve_oid curve_oids[] = {
	{ HS_KEY_ECDSA_P256, 10, { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 } },
	{ HS_KEY_ECDSA_P384, 7, { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 } },
	{ HS_KEY_ECDSA_P521, 7, { 0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23 } },
	{ HS_KEY_UNKNOWN, 0, { 0 } }
};

hs_err
hs_p11_curve_oid(enum hs_key_type t, const uint8_t **der, size_t *len)
{
	const struct curve_oid *c;

	for (c = curve_oids; c->type != HS_KEY_UNKNOWN; c++)
		if (c->type == t) {
			*der = c->der;
			*len = c->len;
			return HS_OK;
		}
	return HS_ERR_UNSUPPORTED;
}

/* Strip a DER OCTET STRING header (tag 0x04, short or long length) if v is exactly one, as
 * CKA_EC_POINT is (PKCS#11 v2.40 2.3.3); else leave v as it is (some tokens store the raw
 * point). */
void
hs_p11_der_unwrap(const uint8_t **v, size_t *len, size_t want)
{
	const uint8_t *p = *v;
	size_t n = *len, hdr, body;

	if (n == want || n < 2 || p[0] != 0x04)
		return;
	if (p[1] < 0x80) {
		hdr = 2;
		body = p[1];
	} else if (p[1] == 0x81 && n >= 3) {
		hdr = 3;
		body = p[2];
	} else if (p[1] == 0x82 && n >= 4) {
		hdr = 4;
		body = ((size_t)p[2] << 8) | p[3];
	} else {
		return;
	}
	if (hdr + body == n) {
		*v = p + hdr;
		*len = body;
	}
}

static hs_err
read_ec(struct hs_p11_key *pk, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, struct hs_key_raw *raw)
{
	uint8_t params[64], point[160];
	const uint8_t *q = point;
	size_t plen, qlen, fs;
	const struct curve_oid *c;

	HS_GUARD(get_attr(pk, s, o, CKA_EC_PARAMS, params, sizeof(params), &plen));
	HS_GUARD(get_attr(pk, s, o, CKA_EC_POINT, point, sizeof(point), &qlen));
	for (c = curve_oids; c->type != HS_KEY_UNKNOWN; c++)
		if (c->len == plen && memcmp(c->der, params, plen) == 0)
			break;
	if (c->type == HS_KEY_UNKNOWN) {
		hs_error("pkcs11: %s: EC key on a curve we do not support", pk->label);
		return HS_ERR_UNSUPPORTED;
	}
	fs = (hs_key_type_bits(c->type) + 7) / 8;
	hs_p11_der_unwrap(&q, &qlen, 2 * fs + 1);
	HS_ENSURE(qlen == 2 * fs + 1 && q[0] == 0x04 && qlen <= sizeof(raw->pub), HS_ERR_FORMAT);
	raw->type = pk->type = c->type;
	memcpy(raw->pub, q, qlen);
	raw->pub_len = qlen;
	pk->modlen = fs;
	return HS_OK;
}

static hs_err
read_ed25519(struct hs_p11_key *pk, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
    struct hs_key_raw *raw)
{
	uint8_t point[64];
	const uint8_t *q = point;
	size_t qlen;

	HS_GUARD(get_attr(pk, s, o, CKA_EC_POINT, point, sizeof(point), &qlen));
	hs_p11_der_unwrap(&q, &qlen, 32);
	HS_ENSURE(qlen == 32, HS_ERR_FORMAT);
	raw->type = pk->type = HS_KEY_ED25519;
	memcpy(raw->pub, q, 32);
	raw->pub_len = 32;
	pk->modlen = 32;
	return HS_OK;
}

static hs_err
read_rsa(struct hs_p11_key *pk, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, struct hs_key_raw *raw)
{
	size_t i = 0;

	HS_GUARD(get_attr(pk, s, o, CKA_MODULUS, raw->n, sizeof(raw->n), &raw->n_len));
	HS_GUARD(get_attr(pk, s, o, CKA_PUBLIC_EXPONENT, raw->e, sizeof(raw->e), &raw->e_len));
	while (i < raw->n_len && raw->n[i] == 0)
		i++;
	HS_ENSURE(raw->n_len - i >= 256, HS_ERR_UNSUPPORTED);	/* 2048 bits at least */
	raw->type = pk->type = HS_KEY_RSA;
	pk->modlen = raw->n_len - i;
	return HS_OK;
}

hs_err
hs_p11_read_public(struct hs_p11_key *pk, CK_SESSION_HANDLE s, struct hs_key_raw *raw)
{
	CK_OBJECT_HANDLE pub;
	unsigned count;
	hs_err r;
	int pass;

	/* The public object first; tokens that keep no public object (or hide it) often expose
	 * the public attributes on the private object itself. */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 0 && hs_p11_find_object(pk, s, CKO_PUBLIC_KEY, &pub, &count) != HS_OK)
			continue;
		if (pass == 1)
			pub = pk->obj;
		if (pk->ktype == CKK_EC)
			r = read_ec(pk, s, pub, raw);
		else if (pk->ktype == CKK_RSA)
			r = read_rsa(pk, s, pub, raw);
		else if (pk->ktype == CKK_EC_EDWARDS)
			r = read_ed25519(pk, s, pub, raw);
		else
			r = HS_ERR_UNSUPPORTED;
		if (r != HS_ERR_NOT_FOUND)
			return r;
	}
	hs_error("pkcs11: %s: no public key found for %s", pk->label,
	    pk->uri.object != NULL ? pk->uri.object : "the object");
	return HS_ERR_NOT_FOUND;
}
