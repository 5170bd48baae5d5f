/* key_blob.c: SSH public key blobs <-> raw public components.
 * ssh-ed25519: RFC 8709 4; ecdsa-sha2-*: RFC 5656 3.1; ssh-rsa: RFC 4253 6.6.
 */
#include <string.h>

#include "hs_key_impl.h"
#include "hs_log.h"
#include "hs_mem.h"

#define RSA_MIN_PARSE_BITS	1024	/* smaller moduli are refused outright */
#define RSA_MAX_BITS		4096	/* wolfCrypt's RSA_MAX_SIZE */

/* Field size in bytes of an ECDSA type's curve. */
static size_t
ec_size(enum hs_key_type t)
{
	return (hs_key_type_bits(t) + 7) / 8;
}

/* Bit length of a big-endian magnitude without leading zero bytes. */
static unsigned
mag_bits(const uint8_t *p, size_t n)
{
	unsigned bits;
	uint8_t top;

	if (n == 0)
		return 0;
	bits = (unsigned)(n - 1) * 8;
	for (top = p[0]; top != 0; top >>= 1)
		bits++;
	return bits;
}

hs_err
hs_soft_blob_from_raw(const struct hs_key_raw *raw, struct hs_buf *out)
{
	const char *curve = hs_key_curve_name(raw->type);

	HS_ENSURE(raw->type != HS_KEY_UNKNOWN && hs_key_type_from_name(hs_key_type_name(raw->type),
	    strlen(hs_key_type_name(raw->type))) == raw->type, HS_ERR_UNSUPPORTED);
	HS_GUARD(hs_buf_put_cstring(out, hs_key_type_name(raw->type)));
	if (raw->type == HS_KEY_RSA) {
		HS_GUARD(hs_buf_put_mpint(out, raw->e, raw->e_len));
		return hs_buf_put_mpint(out, raw->n, raw->n_len);
	}
	if (curve != NULL)
		HS_GUARD(hs_buf_put_cstring(out, curve));
	return hs_buf_put_string(out, raw->pub, raw->pub_len);
}

static hs_err
parse_rsa(struct hs_buf *b, struct hs_key_raw *raw)
{
	const uint8_t *e, *n;
	size_t elen, nlen;
	unsigned bits;

	HS_GUARD(hs_buf_get_mpint(b, &e, &elen));
	HS_GUARD(hs_buf_get_mpint(b, &n, &nlen));
	/* The exponent must be odd and at least 3 (SP 800-56B 6.2); we hold up to 64 bits. */
	HS_ENSURE(elen > 0 && elen <= sizeof(raw->e) && (e[elen - 1] & 1) &&
	    (elen > 1 || e[0] >= 3), HS_ERR_FORMAT);
	bits = mag_bits(n, nlen);
	if (bits < RSA_MIN_PARSE_BITS || bits > RSA_MAX_BITS) {
		hs_error("RSA key of %u bits refused (%d..%d)", bits, RSA_MIN_PARSE_BITS,
		    RSA_MAX_BITS);
		return bits > RSA_MAX_BITS ? HS_ERR_UNSUPPORTED : HS_ERR_FORMAT;
	}
	HS_ENSURE((n[nlen - 1] & 1) != 0, HS_ERR_FORMAT);	/* a modulus is odd */
	memcpy(raw->e, e, elen);
	raw->e_len = elen;
	memcpy(raw->n, n, nlen);
	raw->n_len = nlen;
	return HS_OK;
}

static hs_err
parse_ec(struct hs_buf *b, struct hs_key_raw *raw)
{
	const char *want = hs_key_curve_name(raw->type);
	const uint8_t *c, *q;
	size_t clen, qlen, sz = ec_size(raw->type);

	HS_GUARD(hs_buf_get_string(b, &c, &clen));
	/* RFC 5656 3.1: the curve identifier must agree with the key type name. */
	HS_ENSURE(clen == strlen(want) && memcmp(c, want, clen) == 0, HS_ERR_FORMAT);
	HS_GUARD(hs_buf_get_string(b, &q, &qlen));
	/* SEC1 2.3.3 uncompressed form only (what OpenSSH sends). */
	HS_ENSURE(qlen == 1 + 2 * sz && q[0] == 0x04, HS_ERR_FORMAT);
	memcpy(raw->pub, q, qlen);
	raw->pub_len = qlen;
	return HS_OK;
}

hs_err
hs_soft_raw_from_blob(const uint8_t *blob, size_t len, struct hs_key_raw *raw)
{
	struct hs_buf *b;
	const uint8_t *name, *pk;
	size_t nlen, pklen;
	hs_err r;

	memset(raw, 0, sizeof(*raw));
	HS_GUARD(hs_buf_from(blob, len, &b));
	HS_GUARD_GOTO(hs_buf_get_string(b, &name, &nlen), r, out);
	raw->type = hs_key_type_from_name((const char *)name, nlen);
	HS_ENSURE_GOTO(raw->type != HS_KEY_UNKNOWN, HS_ERR_UNSUPPORTED, r, out);
	if (raw->type == HS_KEY_RSA) {
		HS_GUARD_GOTO(parse_rsa(b, raw), r, out);
	} else if (raw->type == HS_KEY_ED25519) {
		HS_GUARD_GOTO(hs_buf_get_string(b, &pk, &pklen), r, out);
		HS_ENSURE_GOTO(pklen == 32, HS_ERR_FORMAT, r, out);	/* RFC 8709 4 */
		memcpy(raw->pub, pk, pklen);
		raw->pub_len = pklen;
	} else {
		HS_GUARD_GOTO(parse_ec(b, raw), r, out);
	}
	HS_GUARD_GOTO(hs_buf_get_end(b), r, out);
	r = HS_OK;
out:
	hs_buf_free(b);
	if (r != HS_OK)
		memset(raw, 0, sizeof(*raw));
	return r;
}

hs_err
hs_soft_key_from_blob(const uint8_t *blob, size_t len, struct hs_key **out)
{
	struct hs_key_raw *raw;
	hs_err r;

	*out = NULL;
	if ((raw = hs_calloc(1, sizeof(*raw))) == NULL)
		return HS_ERR_ALLOC;
	HS_GUARD_GOTO(hs_soft_raw_from_blob(blob, len, raw), r, out);
	/* A raw with no private part gives a public-only key; the import validates the point. */
	HS_GUARD_GOTO(hs_soft_key_from_raw(raw, out), r, out);
	r = HS_OK;
out:
	hs_free_wiped(raw, sizeof(*raw));
	return r;
}
