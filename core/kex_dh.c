/* kex_dh.c: diffie-hellman-group14-sha256 and diffie-hellman-group16-sha512 (RFC 4253 8,
 * RFC 8268 3, groups from RFC 3526). e and f travel and are hashed as mpints; the provider checks
 * 1 < f < p-1 and owns the exponent. */
#include "hs_buf.h"
#include "kex_impl.h"

static hs_err
dh_put_pub(struct hs_buf *b, const uint8_t *p, size_t n)
{
	return hs_buf_put_mpint(b, p, n);
}

static hs_err
dh_get_pub(struct hs_buf *b, const uint8_t **p, size_t *n)
{
	HS_GUARD(hs_buf_get_mpint(b, p, n));
	/* group16 is 4096 bits: 512 bytes of magnitude at most. */
	HS_ENSURE(*n > 0 && *n <= 512, HS_ERR_FORMAT);
	return HS_OK;
}

const struct hs_kex_ops hs_kex_dh_ops = {
	.put_pub = dh_put_pub,
	.get_pub = dh_get_pub,
};
