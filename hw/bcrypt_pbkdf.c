/* bcrypt_pbkdf.c: the passphrase KDF of OpenSSH private key files (PROTOCOL.key: kdfname "bcrypt").
 *
 * Defined by OpenBSD's bcrypt_pbkdf(3) (T. Unangst, 2013): PBKDF2's structure with SHA-512 in front and
 * a bcrypt-based hash as the PRF, output bytes spread across the blocks rather than concatenated, so
 * that every output byte costs the full work.
 */
#include <string.h>

#include "hs_blowfish.h"
#include "hs_crypto.h"
#include "hs_mem.h"

#define BCRYPT_HASHLEN	32			/* one block of output */
#define BCRYPT_WORDS	(BCRYPT_HASHLEN / 4)
#define SHA512_LEN	64
#define BCRYPT_MAX_SALT	(1u << 20)

/* The 256-bit text bcrypt_hash encrypts 64 times. */
static const uint8_t bcrypt_magic[BCRYPT_HASHLEN] = "OxychromaticBlowfishSwatDynamite";

/* bcrypt_hash(sha2pass, sha2salt): eksblowfish with cost 64 (2^6) keyed by both digests, then 64
 * encryptions of the magic text. Output words are stored little-endian, as OpenBSD does. */
static void
bcrypt_hash(const uint8_t sha2pass[SHA512_LEN], const uint8_t sha2salt[SHA512_LEN],
    uint8_t out[BCRYPT_HASHLEN])
{
	struct hs_blowfish st;
	uint32_t cdata[BCRYPT_WORDS];
	int i, j;

	hs_blowfish_init(&st);
	hs_blowfish_expand(&st, sha2salt, SHA512_LEN, sha2pass, SHA512_LEN);
	for (i = 0; i < 64; i++) {
		hs_blowfish_expand0(&st, sha2salt, SHA512_LEN);
		hs_blowfish_expand0(&st, sha2pass, SHA512_LEN);
	}
	for (i = 0; i < BCRYPT_WORDS; i++)
		cdata[i] = (uint32_t)bcrypt_magic[4 * i] << 24 |
		    (uint32_t)bcrypt_magic[4 * i + 1] << 16 |
		    (uint32_t)bcrypt_magic[4 * i + 2] << 8 | bcrypt_magic[4 * i + 3];
	for (i = 0; i < 64; i++)
		for (j = 0; j < BCRYPT_WORDS; j += 2)
			hs_blowfish_encipher(&st, &cdata[j], &cdata[j + 1]);
	for (i = 0; i < BCRYPT_WORDS; i++)
		for (j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(cdata[i] >> (8 * j));
	hs_wipe(cdata, sizeof(cdata));
	hs_wipe(&st, sizeof(st));
}

/* One output block: T = F(count) XORed over the rounds, as in PBKDF2 (RFC 8018 5.2). */
static hs_err
bcrypt_block(const uint8_t sha2pass[SHA512_LEN], const uint8_t *salt, size_t saltlen,
    uint32_t count, unsigned rounds, uint8_t out[BCRYPT_HASHLEN])
{
	struct hs_hash_ctx *h = NULL;
	uint8_t sha2salt[SHA512_LEN], tmp[BCRYPT_HASHLEN], cnt[4];
	unsigned r, i;
	hs_err rv;

	cnt[0] = (uint8_t)(count >> 24);
	cnt[1] = (uint8_t)(count >> 16);
	cnt[2] = (uint8_t)(count >> 8);
	cnt[3] = (uint8_t)count;
	HS_GUARD_GOTO(hs_hash_new(HS_HASH_SHA512, &h), rv, out);
	HS_GUARD_GOTO(hs_hash_update(h, salt, saltlen), rv, out);
	HS_GUARD_GOTO(hs_hash_update(h, cnt, sizeof(cnt)), rv, out);
	HS_GUARD_GOTO(hs_hash_final(h, sha2salt), rv, out);
	bcrypt_hash(sha2pass, sha2salt, tmp);
	memcpy(out, tmp, BCRYPT_HASHLEN);
	for (r = 1; r < rounds; r++) {
		HS_GUARD_GOTO(hs_hash(HS_HASH_SHA512, tmp, sizeof(tmp), sha2salt), rv, out);
		bcrypt_hash(sha2pass, sha2salt, tmp);
		for (i = 0; i < BCRYPT_HASHLEN; i++)
			out[i] ^= tmp[i];
	}
	rv = HS_OK;
out:
	hs_hash_free(h);
	hs_wipe(sha2salt, sizeof(sha2salt));
	hs_wipe(tmp, sizeof(tmp));
	return rv;
}

hs_err
hs_bcrypt_pbkdf(const uint8_t *pass, size_t passlen, const uint8_t *salt, size_t saltlen,
    uint8_t *out, size_t keylen, unsigned rounds)
{
	uint8_t sha2pass[SHA512_LEN], block[BCRYPT_HASHLEN];
	size_t stride, amt, i, dest;
	uint32_t count;
	hs_err rv;

	HS_ENSURE(out != NULL && keylen > 0 && keylen <= BCRYPT_HASHLEN * BCRYPT_HASHLEN,
	    HS_ERR_FORMAT);
	memset(out, 0, keylen);
	HS_ENSURE(rounds >= 1 && passlen > 0 && saltlen > 0 && saltlen <= BCRYPT_MAX_SALT,
	    HS_ERR_FORMAT);
	/* Output byte i of block k (k from 0) lands at i * stride + k: every block contributes to
	 * every part of the key. */
	stride = (keylen + BCRYPT_HASHLEN - 1) / BCRYPT_HASHLEN;
	amt = (keylen + stride - 1) / stride;
	HS_GUARD_GOTO(hs_hash(HS_HASH_SHA512, pass, passlen, sha2pass), rv, out);
	for (count = 1; (size_t)(count - 1) < stride; count++) {
		HS_GUARD_GOTO(bcrypt_block(sha2pass, salt, saltlen, count, rounds, block), rv, out);
		for (i = 0; i < amt; i++) {
			dest = i * stride + (count - 1);
			if (dest >= keylen)
				break;
			out[dest] = block[i];
		}
	}
	rv = HS_OK;
out:
	if (rv != HS_OK)
		hs_wipe(out, keylen);
	hs_wipe(sha2pass, sizeof(sha2pass));
	hs_wipe(block, sizeof(block));
	return rv;
}
