/* hs_crypto.h: symmetric primitives the transport uses, with our own types only.
 *
 * Implemented by the software backend (wolfSSL) today; hardware paths (AES-NI, VAES, ARMv8) plug in
 * behind the same functions, chosen at run time. Every function returns HS_ERR_FIPS_STATE once the
 * process is in the FIPS error state.
 */
#ifndef HS_CRYPTO_H
#define HS_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hs_buf.h"
#include "hs_err.h"

#define HS_MAX_HASH	64	/* SHA-512 */
#define HS_MAX_KEYLEN	64	/* chacha20-poly1305@openssh.com: two 32-byte keys */
#define HS_MAX_IVLEN	16
#define HS_MAX_TAGLEN	64	/* largest MAC or AEAD tag */

enum hs_hash_alg {
	HS_HASH_SHA1 = 1,	/* only for legacy fingerprints (never in KEX) */
	HS_HASH_SHA256,
	HS_HASH_SHA384,
	HS_HASH_SHA512,
};

/* Digest length in bytes, 0 for an unknown alg. */
size_t hs_hash_len(enum hs_hash_alg alg);
/* One-shot digest of n bytes at p into out (hs_hash_len(alg) bytes). */
HS_MUST_USE hs_err hs_hash(enum hs_hash_alg alg, const void *p, size_t n, uint8_t *out);

struct hs_hash_ctx;
HS_MUST_USE hs_err hs_hash_new(enum hs_hash_alg alg, struct hs_hash_ctx **out);
HS_MUST_USE hs_err hs_hash_update(struct hs_hash_ctx *c, const void *p, size_t n);
/* Writes the digest; the context may not be updated afterwards (free it). */
HS_MUST_USE hs_err hs_hash_final(struct hs_hash_ctx *c, uint8_t *out);
void hs_hash_free(struct hs_hash_ctx *c);

/* One-shot HMAC. out receives hs_hash_len(alg) bytes. */
HS_MUST_USE hs_err hs_hmac(enum hs_hash_alg alg, const void *key, size_t klen, const void *p, size_t n,
    uint8_t *out);

/* Fill n bytes with output of the approved DRBG. */
HS_MUST_USE hs_err hs_random(void *p, size_t n);

/* ---- packet ciphers (OpenSSH's cipher_crypt model) ---- */

enum hs_cipher_id {
	HS_CIPHER_NONE = 0,	/* before the first NEWKEYS only */
	HS_CIPHER_AES128_CTR,
	HS_CIPHER_AES192_CTR,
	HS_CIPHER_AES256_CTR,
	HS_CIPHER_AES128_GCM,	/* aes128-gcm@openssh.com, RFC 5647 with OpenSSH's naming */
	HS_CIPHER_AES256_GCM,
	HS_CIPHER_CHACHA20_POLY1305,	/* chacha20-poly1305@openssh.com (PROTOCOL.chacha20poly1305) */
};

/* Sizes for a cipher: key and IV bytes to derive, block size for padding, AEAD tag length (0 for
 * non-AEAD ciphers, which need a separate MAC). */
struct hs_cipher_info {
	size_t key_len;
	size_t iv_len;
	size_t block_len;
	size_t tag_len;
};
HS_MUST_USE hs_err hs_cipher_info(enum hs_cipher_id id, struct hs_cipher_info *out);

struct hs_cipher;
/* New cipher context. key/iv lengths must match hs_cipher_info. encrypt selects the direction. */
HS_MUST_USE hs_err hs_cipher_new(enum hs_cipher_id id, bool encrypt, const uint8_t *key,
    const uint8_t *iv, struct hs_cipher **out);
/* Wipes the keys and frees. c may be NULL. */
void hs_cipher_free(struct hs_cipher *c);

/* Decrypt (if needed) the 4-byte packet length from the first bytes of a packet, without changing
 * the cipher's state. For CTR the caller passes the whole first block and gets the length from its
 * decryption; the transport then decrypts that block again through hs_cipher_crypt. n is the bytes
 * available at in (at least 4, or at least block_len for CTR); HS_ERR_AGAIN if too few. */
HS_MUST_USE hs_err hs_cipher_get_length(struct hs_cipher *c, uint32_t seqnr, const uint8_t *in,
    size_t n, uint32_t *len);

/* Process one packet: aadlen bytes of header (the 4-byte length for AEAD ciphers, else 0) copied or
 * length-encrypted as the mode requires, then len bytes encrypted or decrypted, from src to dst (may
 * be equal). For AEAD ciphers with encrypt, a tag of tag_len bytes is written at dst + aadlen + len;
 * with decrypt, the tag at src + aadlen + len is verified first (constant time) and HS_ERR_MAC is
 * returned, with dst untouched, on mismatch. seqnr is the packet's sequence number. */
HS_MUST_USE hs_err hs_cipher_crypt(struct hs_cipher *c, uint32_t seqnr, uint8_t *dst,
    const uint8_t *src, size_t len, size_t aadlen);

/* Stream position, for handing a live transport to another process (hs_transport_export): CTR,
 * 16-byte blocks processed since hs_cipher_new; GCM, packets processed (the RFC 5647 7.1
 * invocation counter minus its initial value); chacha20-poly1305 and none, always 0 (the nonce is
 * the sequence number). HS_ERR_PROTOCOL if a CTR stream stands inside a block. */
HS_MUST_USE hs_err hs_cipher_position(const struct hs_cipher *c, uint64_t *pos);
/* Move the stream to pos (as returned by hs_cipher_position on a cipher made from the same key and
 * IV), counted from hs_cipher_new's IV. On failure the cipher is unchanged. */
HS_MUST_USE hs_err hs_cipher_seek(struct hs_cipher *c, uint64_t pos);

/* ---- MACs for the non-AEAD ciphers (RFC 4253 6.4; -etm@openssh.com is the transport's choice of
 * what to feed in) ---- */
struct hs_mac;
HS_MUST_USE hs_err hs_mac_new(enum hs_hash_alg alg, const uint8_t *key, size_t klen, struct hs_mac **out);
void hs_mac_free(struct hs_mac *m);
size_t hs_mac_len(const struct hs_mac *m);
/* out = HMAC(key, uint32 seqnr || p[0..n)). */
HS_MUST_USE hs_err hs_mac_compute(struct hs_mac *m, uint32_t seqnr, const uint8_t *p, size_t n,
    uint8_t *out);

/* ---- SSH key derivation (RFC 4253 7.2), K given as its wire encoding (mpint or string) ---- */
/* out = HASH(K || H || letter || session_id), extended with HASH(K || H || out-so-far) to outlen. */
HS_MUST_USE hs_err hs_kdf_ssh(enum hs_hash_alg alg, const uint8_t *k_enc, size_t k_len,
    const uint8_t *h, size_t h_len, char letter, const uint8_t *session_id, size_t sid_len,
    uint8_t *out, size_t outlen);

/* Process-wide initialisation of the backend (DRBG seeding). Idempotent. */
HS_MUST_USE hs_err hs_crypto_init(void);

/* The sticky FIPS error state (issue 6): once entered, hs_crypto_init and every cryptographic
 * entry point return HS_ERR_FIPS_STATE for the rest of the process. hs_crypto_enter_error logs
 * "self-test failed: <test> on <backend>". */
void hs_crypto_enter_error(const char *test, const char *backend);
bool hs_crypto_error_state(void);

#endif
