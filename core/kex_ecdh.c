/* kex_ecdh.c: ecdh-sha2-nistp256/384/521 (RFC 5656 4) and curve25519-sha256[@libssh.org]
 * (RFC 8731 3). Q_C and Q_S travel and are hashed as strings; the provider validates the peer's
 * point (on the curve, or a non-zero X25519 result) and K is hashed as an mpint by the caller. */
#include "hs_buf.h"
#include "kex_impl.h"

static hs_err
ecdh_put_pub(struct hs_buf *b, const uint8_t *p, size_t n)
{
	return hs_buf_put_string(b, p, n);
}

static hs_err
ecdh_get_pub(struct hs_buf *b, const uint8_t **p, size_t *n)
{
	HS_GUARD(hs_buf_get_string(b, p, n));
	/* The largest is an uncompressed P-521 point: 1 + 2 * 66 bytes. */
	HS_ENSURE(*n > 0 && *n <= 133, HS_ERR_FORMAT);
	return HS_OK;
}

const struct hs_kex_ops hs_kex_ecdh_ops = {
	.put_pub = ecdh_put_pub,
	.get_pub = ecdh_get_pub,
};
