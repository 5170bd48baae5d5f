/* hs_blowfish.h: Blowfish (Schneier, FSE 1993) and the "expensive key schedule" hooks bcrypt needs
 * (Provos and Mazieres, USENIX 1999), and bcrypt_pbkdf as OpenBSD defines it. Private to hw/: only the
 * key-file code derives keys with it. Not a packet cipher.
 */
#ifndef HS_BLOWFISH_H
#define HS_BLOWFISH_H

#include <stddef.h>
#include <stdint.h>

#include "hs_err.h"

#define HS_BF_ROUNDS	16
#define HS_BF_BLOCK	8

struct hs_blowfish {
	uint32_t p[HS_BF_ROUNDS + 2];
	uint32_t s[4][256];
};

/* Load the initial state (the hex digits of pi). */
void hs_blowfish_init(struct hs_blowfish *c);
/* bcrypt's Expand0State: XOR key (cyclically, as big-endian words) into P, then replace P and the
 * S-boxes by chained encryptions of a zero block. init + expand0 is the standard Blowfish key
 * schedule. keylen must be > 0. */
void hs_blowfish_expand0(struct hs_blowfish *c, const uint8_t *key, size_t keylen);
/* bcrypt's ExpandState: as expand0, but each chained block is first XORed with the next 64 bits of
 * data (cyclically). keylen and dlen must be > 0. */
void hs_blowfish_expand(struct hs_blowfish *c, const uint8_t *data, size_t dlen, const uint8_t *key,
    size_t keylen);
/* Encrypt or decrypt one block held as two big-endian halves. */
void hs_blowfish_encipher(const struct hs_blowfish *c, uint32_t *l, uint32_t *r);
void hs_blowfish_decipher(const struct hs_blowfish *c, uint32_t *l, uint32_t *r);
/* Standard key schedule for a key of 1..72 bytes (HS_ERR_FORMAT otherwise). */
HS_MUST_USE hs_err hs_blowfish_setkey(struct hs_blowfish *c, const uint8_t *key, size_t keylen);
/* One 8-byte block in place, ECB. */
void hs_blowfish_ecb_encrypt(const struct hs_blowfish *c, uint8_t blk[HS_BF_BLOCK]);
void hs_blowfish_ecb_decrypt(const struct hs_blowfish *c, uint8_t blk[HS_BF_BLOCK]);

/* bcrypt_pbkdf (OpenBSD libutil, used by OpenSSH's PROTOCOL.key): derive keylen (1..1024) bytes from
 * pass and salt with rounds (>= 1) iterations. passlen and saltlen must be > 0, saltlen <= 1 MiB.
 * HS_ERR_FORMAT for out-of-range arguments; on any failure out is zeroed. */
HS_MUST_USE hs_err hs_bcrypt_pbkdf(const uint8_t *pass, size_t passlen, const uint8_t *salt,
    size_t saltlen, uint8_t *out, size_t keylen, unsigned rounds);

#endif
