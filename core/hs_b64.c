/* hs_b64.c: base64 (RFC 4648 4). */
#include "hs_b64.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

hs_err
hs_b64_encode(const uint8_t *p, size_t n, bool pad, struct hs_buf *out)
{
	size_t i;
	uint32_t v;
	char q[4];

	for (i = 0; i + 3 <= n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		q[0] = b64_alphabet[v >> 18];
		q[1] = b64_alphabet[(v >> 12) & 63];
		q[2] = b64_alphabet[(v >> 6) & 63];
		q[3] = b64_alphabet[v & 63];
		HS_GUARD(hs_buf_put_bytes(out, q, 4));
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		q[0] = b64_alphabet[v >> 18];
		q[1] = b64_alphabet[(v >> 12) & 63];
		HS_GUARD(hs_buf_put_bytes(out, q, 2));
		if (pad)
			HS_GUARD(hs_buf_put_bytes(out, "==", 2));
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		q[0] = b64_alphabet[v >> 18];
		q[1] = b64_alphabet[(v >> 12) & 63];
		q[2] = b64_alphabet[(v >> 6) & 63];
		HS_GUARD(hs_buf_put_bytes(out, q, 3));
		if (pad)
			HS_GUARD(hs_buf_put_bytes(out, "=", 1));
	}
	return HS_OK;
}

static int
b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

hs_err
hs_b64_decode(const char *text, size_t len, struct hs_buf *out)
{
	uint32_t acc = 0;
	unsigned nbits = 0, npad = 0, nchars = 0;
	int v;
	uint8_t byte;

	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			npad++;
			continue;
		}
		if (npad > 0 || (v = b64_value(c)) < 0)
			return HS_ERR_FORMAT;
		nchars++;
		acc = (acc << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			byte = (uint8_t)(acc >> nbits);
			HS_GUARD(hs_buf_put_u8(out, byte));
			acc &= (1u << nbits) - 1;
		}
	}
	/* A single leftover character cannot encode a byte; leftover bits must be zero. */
	if (nchars % 4 == 1 || acc != 0 || npad > 2 || (npad > 0 && (nchars + npad) % 4 != 0))
		return HS_ERR_FORMAT;
	return HS_OK;
}

int
hs_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
