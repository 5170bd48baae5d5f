/* transport_packet.c: the binary packet protocol (RFC 4253 6) with the three integrity modes:
 * MAC over the cleartext (RFC 4253 6.4), encrypt-then-MAC (OpenSSH PROTOCOL 1.5: length in clear,
 * MAC over seq || length || ciphertext, checked before decrypting) and AEAD (aes-gcm@openssh.com,
 * chacha20-poly1305@openssh.com: the cipher checks its tag). */
#include <string.h>

#include "hs_ct.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "hs_ssh.h"
#include "transport_impl.h"

#define PKT_MIN_PADDING	4	/* RFC 4253 6 */
#define PKT_OVERHEAD	(4 + 1 + 255 + HS_MAX_TAGLEN)

void
hs_dir_clear(struct hs_dir *d)
{
	hs_cipher_free(d->cipher);
	hs_mac_free(d->mac);
	hs_wipe(d, sizeof(*d));
	d->block = 8;
}

void
hs_dir_install(struct hs_dir *cur, struct hs_dir *next, bool reset_seq)
{
	uint32_t seq = cur->seq;

	hs_cipher_free(cur->cipher);
	hs_mac_free(cur->mac);
	hs_wipe(cur, sizeof(*cur));
	*cur = *next;
	/* PROTOCOL 1.10 (strict KEX): sequence numbers restart at 0 after each NEWKEYS. */
	cur->seq = reset_seq ? 0 : seq;
	cur->bytes = 0;
	cur->packets = 0;
	hs_wipe(next, sizeof(*next));
	next->block = 8;
}

/* Padding so that the encrypted part is a multiple of the block size (RFC 4253 6). With -etm and
 * AEAD the length field is not part of the encrypted blocks. */
static size_t
pkt_padding(const struct hs_dir *d, size_t payload_len)
{
	size_t hdr = (d->etm || d->tag_len > 0) ? 1 : 5;
	size_t pad = d->block - ((hdr + payload_len) % d->block);

	if (pad < PKT_MIN_PADDING)
		pad += d->block;
	return pad;
}

/* The cleartext packet: uint32 packet_length, byte padding_length, payload, random padding. */
static hs_err
pkt_build_clear(const struct hs_dir *d, const uint8_t *payload, size_t len, struct hs_buf *clear)
{
	size_t pad = pkt_padding(d, len);
	uint8_t *p;

	HS_GUARD(hs_buf_put_u32(clear, (uint32_t)(1 + len + pad)));
	HS_GUARD(hs_buf_put_u8(clear, (uint8_t)pad));
	HS_GUARD(hs_buf_put_bytes(clear, payload, len));
	HS_GUARD(hs_buf_reserve(clear, pad, &p));
	return hs_random(p, pad);
}

/* -etm: length in clear, the rest encrypted, MAC over seq || length || ciphertext. */
static hs_err
pkt_seal_etm(struct hs_dir *d, struct hs_buf *clear, struct hs_buf *obuf)
{
	hs_err r;
	struct hs_buf *enc = NULL;
	const uint8_t *lenp, *body;
	uint8_t *ct, *mac;
	size_t blen = hs_buf_len(clear) - 4;

	HS_GUARD_GOTO(hs_buf_new(hs_buf_len(clear), &enc), r, out);
	HS_GUARD_GOTO(hs_buf_get_bytes_view(clear, 4, &lenp), r, out);
	HS_GUARD_GOTO(hs_buf_get_bytes_view(clear, blen, &body), r, out);
	HS_GUARD_GOTO(hs_buf_put_bytes(enc, lenp, 4), r, out);
	HS_GUARD_GOTO(hs_buf_reserve(enc, blen, &ct), r, out);
	HS_GUARD_GOTO(hs_cipher_crypt(d->cipher, d->seq, ct, body, blen, 0), r, out);
	HS_GUARD_GOTO(hs_buf_put_buf(obuf, enc), r, out);
	HS_GUARD_GOTO(hs_buf_reserve(obuf, d->mac_len, &mac), r, out);
	HS_GUARD_GOTO(hs_mac_compute(d->mac, d->seq, hs_buf_ptr(enc), hs_buf_len(enc), mac), r,
	    out);
	r = HS_OK;
out:
	hs_buf_free(enc);
	return r;
}

/* Encrypt clear (a whole cleartext packet) into obuf with d's keys. */
static hs_err
pkt_seal(struct hs_dir *d, struct hs_buf *clear, struct hs_buf *obuf)
{
	size_t n = hs_buf_len(clear);
	uint8_t *ct, *mac;

	if (d->cipher == NULL)
		return hs_buf_put_buf(obuf, clear);
	if (d->tag_len > 0) {
		HS_GUARD(hs_buf_reserve(obuf, n + d->tag_len, &ct));
		return hs_cipher_crypt(d->cipher, d->seq, ct, hs_buf_ptr(clear), n - 4, 4);
	}
	if (d->etm)
		return pkt_seal_etm(d, clear, obuf);
	/* RFC 4253 6.4: mac = MAC(key, sequence_number || unencrypted_packet) */
	HS_GUARD(hs_buf_reserve(obuf, n, &ct));
	HS_GUARD(hs_cipher_crypt(d->cipher, d->seq, ct, hs_buf_ptr(clear), n, 0));
	HS_GUARD(hs_buf_reserve(obuf, d->mac_len, &mac));
	return hs_mac_compute(d->mac, d->seq, hs_buf_ptr(clear), n, mac);
}

hs_err
hs_packet_put(struct hs_transport *t, const uint8_t *payload, size_t len)
{
	hs_err r;
	struct hs_buf *clear = NULL;
	struct hs_dir *d = &t->out;
	size_t before = hs_buf_len(t->obuf);

	HS_ENSURE(len >= 1 && len <= HS_MAX_PACKET - PKT_OVERHEAD, HS_ERR_TOO_LARGE);
	HS_GUARD_GOTO(hs_buf_new(len + PKT_OVERHEAD, &clear), r, out);
	HS_GUARD_GOTO(pkt_build_clear(d, payload, len, clear), r, out);
	HS_GUARD_GOTO(pkt_seal(d, clear, t->obuf), r, out);
	d->seq++;	/* RFC 4253 6.4: wraps at 2^32 (unsigned arithmetic) */
	d->bytes += hs_buf_len(t->obuf) - before;
	d->packets++;
	t->total_out += hs_buf_len(t->obuf) - before;
	r = HS_OK;
out:
	hs_buf_free(clear);
	return r;
}

/* The packet_length field of the next packet, if enough bytes are buffered. */
static hs_err
pkt_peek_length(struct hs_transport *t, uint32_t *plen)
{
	struct hs_dir *d = &t->in;
	size_t avail = hs_buf_len(t->ibuf);

	if (d->cipher == NULL || d->etm) {
		HS_ENSURE(avail >= 4, HS_ERR_AGAIN);
		return hs_buf_peek_u32(t->ibuf, 0, plen);
	}
	/* CTR needs the whole first block; the AEAD ciphers need 4 bytes. */
	HS_ENSURE(avail >= (d->tag_len > 0 ? 4 : d->block), HS_ERR_AGAIN);
	return hs_cipher_get_length(d->cipher, d->seq, hs_buf_ptr(t->ibuf), avail, plen);
}

static hs_err
pkt_check_length(struct hs_transport *t, uint32_t plen)
{
	struct hs_dir *d = &t->in;
	size_t aligned = (d->etm || d->tag_len > 0) ? plen : (size_t)plen + 4;

	if (plen < 1 + PKT_MIN_PADDING || plen > HS_MAX_PACKET) {
		hs_error("Bad packet length %u.", plen);
		return hs_transport_fail(t, HS_ERR_TOO_LARGE, HS_DISC_PROTOCOL_ERROR,
		    "Bad packet length");
	}
	if (aligned % d->block != 0) {
		hs_error("Packet length %u is not a multiple of the block size %zu.", plen,
		    d->block);
		return hs_transport_fail(t, HS_ERR_FORMAT, HS_DISC_PROTOCOL_ERROR,
		    "Bad packet length");
	}
	return HS_OK;
}

static hs_err
pkt_mac_check(struct hs_dir *d, const uint8_t *p, size_t n, const uint8_t *tag)
{
	uint8_t calc[HS_MAX_TAGLEN];
	hs_err r;

	HS_GUARD(hs_mac_compute(d->mac, d->seq, p, n, calc));
	r = hs_ct_memeq(calc, tag, d->mac_len) ? HS_OK : HS_ERR_MAC;
	hs_wipe(calc, sizeof(calc));
	return r;
}

/* Authenticate and decrypt one packet of plen bytes (after the length) from ibuf into clear. */
static hs_err
pkt_open(struct hs_dir *d, struct hs_buf *ibuf, uint32_t plen, struct hs_buf *clear)
{
	const uint8_t *w, *tag, *body;
	uint8_t *dst;
	struct hs_buf *v = NULL;
	hs_err r;

	if (d->cipher == NULL) {
		HS_GUARD(hs_buf_get_bytes_view(ibuf, 4 + (size_t)plen, &w));
		return hs_buf_put_bytes(clear, w, 4 + (size_t)plen);
	}
	if (d->tag_len > 0) {
		HS_GUARD(hs_buf_get_bytes_view(ibuf, 4 + (size_t)plen + d->tag_len, &w));
		HS_GUARD(hs_buf_reserve(clear, 4 + (size_t)plen, &dst));
		return hs_cipher_crypt(d->cipher, d->seq, dst, w, plen, 4);
	}
	HS_GUARD(hs_buf_get_bytes_view(ibuf, 4 + (size_t)plen, &w));
	HS_GUARD(hs_buf_get_bytes_view(ibuf, d->mac_len, &tag));
	if (!d->etm) {
		HS_GUARD(hs_buf_reserve(clear, 4 + (size_t)plen, &dst));
		HS_GUARD(hs_cipher_crypt(d->cipher, d->seq, dst, w, 4 + (size_t)plen, 0));
		return pkt_mac_check(d, dst, 4 + (size_t)plen, tag);
	}
	/* -etm: verify before decrypting anything. */
	HS_GUARD(pkt_mac_check(d, w, 4 + (size_t)plen, tag));
	HS_GUARD_GOTO(hs_buf_from(w, 4 + (size_t)plen, &v), r, out);
	HS_GUARD_GOTO(hs_buf_put_bytes(clear, w, 4), r, out);
	HS_GUARD_GOTO(hs_buf_skip(v, 4), r, out);
	HS_GUARD_GOTO(hs_buf_get_bytes_view(v, plen, &body), r, out);
	HS_GUARD_GOTO(hs_buf_reserve(clear, plen, &dst), r, out);
	HS_GUARD_GOTO(hs_cipher_crypt(d->cipher, d->seq, dst, body, plen, 0), r, out);
	r = HS_OK;
out:
	hs_buf_free(v);
	return r;
}

/* Strip length and padding from a cleartext packet, copying the payload into a new buffer. */
static hs_err
pkt_payload(struct hs_buf *clear, struct hs_buf **payload)
{
	uint32_t plen;
	uint8_t pad;
	const uint8_t *p;
	size_t n;

	HS_GUARD(hs_buf_get_u32(clear, &plen));
	HS_GUARD(hs_buf_get_u8(clear, &pad));
	/* RFC 4253 6: at least four bytes of padding and a non-empty payload. */
	HS_ENSURE(pad >= PKT_MIN_PADDING && (size_t)pad + 1 < plen, HS_ERR_FORMAT);
	n = plen - 1 - pad;
	HS_GUARD(hs_buf_get_bytes_view(clear, n, &p));
	HS_GUARD(hs_buf_new(n, payload));
	return hs_buf_put_bytes(*payload, p, n);
}

hs_err
hs_packet_get(struct hs_transport *t, struct hs_buf **payload)
{
	hs_err r;
	uint32_t plen;
	struct hs_dir *d = &t->in;
	struct hs_buf *clear = NULL;
	size_t total;

	*payload = NULL;
	HS_GUARD(pkt_peek_length(t, &plen));
	HS_GUARD(pkt_check_length(t, plen));
	total = 4 + (size_t)plen + d->mac_len + d->tag_len;
	if (hs_buf_len(t->ibuf) < total)
		return HS_ERR_AGAIN;
	HS_GUARD_GOTO(hs_buf_new(4 + (size_t)plen, &clear), r, out);
	r = pkt_open(d, t->ibuf, plen, clear);
	if (r == HS_ERR_MAC) {
		hs_error("Corrupted MAC on input.");
		r = hs_transport_fail(t, HS_ERR_MAC, HS_DISC_MAC_ERROR, "Corrupted MAC on input.");
		goto out;
	}
	if (r != HS_OK)
		goto out;
	r = pkt_payload(clear, payload);
	if (r != HS_OK) {
		hs_error("Bad packet padding from %s", t->peer);
		r = hs_transport_fail(t, r, HS_DISC_PROTOCOL_ERROR, "Bad packet padding");
		goto out;
	}
	t->last_seq_in = d->seq++;
	d->bytes += total;
	d->packets++;
	t->total_in += total;
	r = HS_OK;
out:
	hs_buf_free(clear);
	return r;
}
