/* crypto_cipher.c: the SSH packet ciphers on wolfCrypt, in OpenSSH's cipher_crypt model.
 *
 * aes*-ctr (RFC 4344 4), aes*-gcm@openssh.com (RFC 5647 7.1 with OpenSSH's names), and
 * chacha20-poly1305@openssh.com (OpenSSH PROTOCOL.chacha20poly1305).
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/chacha.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/poly1305.h>

#include <stdlib.h>
#include <string.h>

#include "hs_crypto.h"
#include "hs_ct.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "hs_key_impl.h"

struct hs_cipher;

/* One mode of operation: key setup, the length peek, and the per-packet transform. */
struct cipher_mode {
	hs_err (*setup)(struct hs_cipher *c, const uint8_t *key, const uint8_t *iv);
	hs_err (*get_length)(struct hs_cipher *c, uint32_t seqnr, const uint8_t *in, size_t n,
	    uint32_t *len);
	hs_err (*crypt)(struct hs_cipher *c, uint32_t seqnr, uint8_t *dst, const uint8_t *src,
	    size_t len, size_t aadlen);
	hs_err (*seek)(struct hs_cipher *c, uint64_t pos);	/* NULL: stateless, position 0 */
};

static const struct cipher_mode mode_none, mode_ctr, mode_gcm, mode_chachapoly;

struct cipher_alg {
	enum hs_cipher_id id;
	const struct cipher_mode *mode;
	struct hs_cipher_info info;
};

static const struct cipher_alg cipher_algs[] = {
	{ .id = HS_CIPHER_NONE, .mode = &mode_none,
	  .info = { .key_len = 0, .iv_len = 0, .block_len = 8, .tag_len = 0 } },
	{ .id = HS_CIPHER_AES128_CTR, .mode = &mode_ctr,
	  .info = { .key_len = 16, .iv_len = 16, .block_len = 16, .tag_len = 0 } },
	{ .id = HS_CIPHER_AES192_CTR, .mode = &mode_ctr,
	  .info = { .key_len = 24, .iv_len = 16, .block_len = 16, .tag_len = 0 } },
	{ .id = HS_CIPHER_AES256_CTR, .mode = &mode_ctr,
	  .info = { .key_len = 32, .iv_len = 16, .block_len = 16, .tag_len = 0 } },
	/* RFC 5647 7.1: 12-byte nonce = 4-byte fixed field || 8-byte invocation counter. */
	{ .id = HS_CIPHER_AES128_GCM, .mode = &mode_gcm,
	  .info = { .key_len = 16, .iv_len = 12, .block_len = 16, .tag_len = 16 } },
	{ .id = HS_CIPHER_AES256_GCM, .mode = &mode_gcm,
	  .info = { .key_len = 32, .iv_len = 12, .block_len = 16, .tag_len = 16 } },
	/* PROTOCOL.chacha20poly1305: 64 bytes of key, no IV, padding to 8. */
	{ .id = HS_CIPHER_CHACHA20_POLY1305, .mode = &mode_chachapoly,
	  .info = { .key_len = 64, .iv_len = 0, .block_len = 8, .tag_len = 16 } },
	{ .mode = NULL }
};

#define CP_KEYLEN	32
#define GCM_IVLEN	12

struct hs_cipher {
	const struct cipher_alg *alg;
	bool encrypt;
	Aes aes;			/* CTR and GCM */
	bool aes_init;
	uint8_t iv[GCM_IVLEN];		/* GCM: fixed || invocation counter */
	uint8_t k_main[CP_KEYLEN];	/* chacha20-poly1305: K_2 (payload) */
	uint8_t k_hdr[CP_KEYLEN];	/* chacha20-poly1305: K_1 (length) */
	uint8_t *scratch;		/* GCM decrypt: plaintext held until the tag checks */
	size_t scratch_len;
	uint8_t iv0[AES_BLOCK_SIZE];	/* CTR and GCM: the IV given to hs_cipher_new */
	uint64_t done;			/* CTR: bytes processed; GCM: packets processed */
};

static const struct cipher_alg *
cipher_find(enum hs_cipher_id id)
{
	const struct cipher_alg *a;

	for (a = cipher_algs; a->mode != NULL; a++)
		if (a->id == id)
			return a;
	return NULL;
}

hs_err
hs_cipher_info(enum hs_cipher_id id, struct hs_cipher_info *out)
{
	const struct cipher_alg *a = cipher_find(id);

	HS_ENSURE(a != NULL, HS_ERR_UNSUPPORTED);
	*out = a->info;
	return HS_OK;
}

static hs_err
setup_none(struct hs_cipher *c, const uint8_t *key, const uint8_t *iv)
{
	return HS_OK;
}

static hs_err
setup_chachapoly(struct hs_cipher *c, const uint8_t *key, const uint8_t *iv)
{
	/* PROTOCOL.chacha20poly1305: K_2 is the first 32 bytes, K_1 the second. */
	memcpy(c->k_main, key, CP_KEYLEN);
	memcpy(c->k_hdr, key + CP_KEYLEN, CP_KEYLEN);
	return HS_OK;
}

static hs_err
aes_init(struct hs_cipher *c)
{
	int ret;

	if ((ret = wc_AesInit(&c->aes, NULL, INVALID_DEVID)) != 0)
		return hs_soft_wc_fail("AES init", ret);
	c->aes_init = true;
	return HS_OK;
}

static hs_err
setup_ctr(struct hs_cipher *c, const uint8_t *key, const uint8_t *iv)
{
	int ret;

	HS_GUARD(aes_init(c));
	/* CTR uses the forward cipher in both directions (SP 800-38A 6.5). */
	ret = wc_AesSetKey(&c->aes, key, (word32)c->alg->info.key_len, iv, AES_ENCRYPTION);
	if (ret != 0)
		return hs_soft_wc_fail("AES key", ret);
	memcpy(c->iv0, iv, AES_BLOCK_SIZE);
	return HS_OK;
}

static hs_err
setup_gcm(struct hs_cipher *c, const uint8_t *key, const uint8_t *iv)
{
	int ret;

	HS_GUARD(aes_init(c));
	memcpy(c->iv, iv, GCM_IVLEN);
	memcpy(c->iv0, iv, GCM_IVLEN);
	if ((ret = wc_AesGcmSetKey(&c->aes, key, (word32)c->alg->info.key_len)) != 0)
		return hs_soft_wc_fail("AES-GCM key", ret);
	return HS_OK;
}

hs_err
hs_cipher_new(enum hs_cipher_id id, bool encrypt, const uint8_t *key, const uint8_t *iv,
    struct hs_cipher **out)
{
	const struct cipher_alg *a = cipher_find(id);
	struct hs_cipher *c;
	hs_err r;

	*out = NULL;
	HS_ENSURE(a != NULL, HS_ERR_UNSUPPORTED);
	HS_GUARD(hs_crypto_init());
	if ((c = hs_calloc(1, sizeof(*c))) == NULL)
		return HS_ERR_ALLOC;
	c->alg = a;
	c->encrypt = encrypt;
	if ((r = a->mode->setup(c, key, iv)) != HS_OK) {
		hs_cipher_free(c);
		return r;
	}
	*out = c;
	return HS_OK;
}

void
hs_cipher_free(struct hs_cipher *c)
{
	if (c == NULL)
		return;
	if (c->aes_init)
		wc_AesFree(&c->aes);
	hs_free_wiped(c->scratch, c->scratch_len);
	hs_free_wiped(c, sizeof(*c));
}

static uint32_t
peek_u32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Nonce for chacha20-poly1305@openssh.com: the 64-bit sequence number, big-endian. wolfCrypt takes
 * RFC 8439's 12-byte nonce and a 32-bit counter; the original 64-bit-nonce layout equals
 * 00000000 || be64(seqnr) while the block counter stays below 2^32. */
static hs_err
chacha_start(ChaCha *cc, const uint8_t *key, uint32_t seqnr, uint32_t counter)
{
	uint8_t nonce[12] = { 0 };
	int ret;

	nonce[8] = (uint8_t)(seqnr >> 24);
	nonce[9] = (uint8_t)(seqnr >> 16);
	nonce[10] = (uint8_t)(seqnr >> 8);
	nonce[11] = (uint8_t)seqnr;
	if ((ret = wc_Chacha_SetKey(cc, key, CP_KEYLEN)) != 0 ||
	    (ret = wc_Chacha_SetIV(cc, nonce, counter)) != 0)
		return hs_soft_wc_fail("ChaCha20 setup", ret);
	return HS_OK;
}

static hs_err
chacha_xor(const uint8_t *key, uint32_t seqnr, uint32_t counter, uint8_t *dst, const uint8_t *src,
    size_t n)
{
	ChaCha cc;
	hs_err r;
	int ret;

	HS_GUARD_GOTO(chacha_start(&cc, key, seqnr, counter), r, out);
	r = HS_OK;
	if (n > 0 && (ret = wc_Chacha_Process(&cc, dst, src, (word32)n)) != 0)
		r = hs_soft_wc_fail("ChaCha20", ret);
out:
	hs_wipe(&cc, sizeof(cc));
	return r;
}

/* RFC 5647 7.3: for AES-GCM the length is sent in the clear (as AAD); likewise with no cipher. */
static hs_err
get_length_clear(struct hs_cipher *c, uint32_t seqnr, const uint8_t *in, size_t n, uint32_t *len)
{
	*len = peek_u32(in);
	return HS_OK;
}

static hs_err
get_length_chachapoly(struct hs_cipher *c, uint32_t seqnr, const uint8_t *in, size_t n,
    uint32_t *len)
{
	uint8_t blk[4];

	HS_GUARD(chacha_xor(c->k_hdr, seqnr, 0, blk, in, sizeof(blk)));
	*len = peek_u32(blk);
	hs_wipe(blk, sizeof(blk));
	return HS_OK;
}

static hs_err
get_length_ctr(struct hs_cipher *c, uint32_t seqnr, const uint8_t *in, size_t n, uint32_t *len)
{
	uint8_t blk[AES_BLOCK_SIZE];
	Aes tmp;
	hs_err r = HS_OK;
	int ret;

	HS_ENSURE(n >= AES_BLOCK_SIZE, HS_ERR_AGAIN);
	/* Decrypt a copy with a copy of the state, so the stream position does not move. */
	memcpy(&tmp, &c->aes, sizeof(tmp));
	if ((ret = wc_AesCtrEncrypt(&tmp, blk, in, AES_BLOCK_SIZE)) != 0)
		r = hs_soft_wc_fail("AES-CTR", ret);
	else
		*len = peek_u32(blk);
	hs_wipe(&tmp, sizeof(tmp));
	hs_wipe(blk, sizeof(blk));
	return r;
}

hs_err
hs_cipher_get_length(struct hs_cipher *c, uint32_t seqnr, const uint8_t *in, size_t n,
    uint32_t *len)
{
	HS_ENSURE(n >= 4, HS_ERR_AGAIN);
	return c->alg->mode->get_length(c, seqnr, in, n, len);
}

/* RFC 5647 7.1: the invocation counter is a 64-bit big-endian integer, incremented per packet. */
static void
gcm_iv_next(uint8_t iv[GCM_IVLEN])
{
	int i;

	for (i = GCM_IVLEN - 1; i >= 4; i--)
		if (++iv[i] != 0)
			break;
}

static hs_err
scratch_reserve(struct hs_cipher *c, size_t n)
{
	uint8_t *p;

	if (c->scratch_len >= n && c->scratch != NULL)
		return HS_OK;
	if ((p = hs_calloc(1, n)) == NULL)
		return HS_ERR_ALLOC;
	hs_free_wiped(c->scratch, c->scratch_len);
	c->scratch = p;
	c->scratch_len = n;
	return HS_OK;
}

static hs_err
crypt_gcm(struct hs_cipher *c, uint32_t seqnr, uint8_t *dst, const uint8_t *src, size_t len,
    size_t aadlen)
{
	const uint8_t *tag = src + aadlen + len;
	int ret;

	if (c->encrypt) {
		memmove(dst, src, aadlen);
		ret = wc_AesGcmEncrypt(&c->aes, dst + aadlen, src + aadlen, (word32)len, c->iv,
		    GCM_IVLEN, dst + aadlen + len, AES_BLOCK_SIZE, dst, (word32)aadlen);
		if (ret != 0)
			return hs_soft_wc_fail("AES-GCM encrypt", ret);
	} else {
		/* Plaintext goes to scratch first: dst stays untouched if the tag is wrong. */
		HS_GUARD(scratch_reserve(c, len > 0 ? len : 1));
		ret = wc_AesGcmDecrypt(&c->aes, c->scratch, src + aadlen, (word32)len, c->iv,
		    GCM_IVLEN, tag, AES_BLOCK_SIZE, src, (word32)aadlen);
		if (ret == AES_GCM_AUTH_E) {
			hs_wipe(c->scratch, len);
			return HS_ERR_MAC;
		}
		if (ret != 0)
			return hs_soft_wc_fail("AES-GCM decrypt", ret);
		memmove(dst, src, aadlen);
		memcpy(dst + aadlen, c->scratch, len);
		hs_wipe(c->scratch, len);
	}
	gcm_iv_next(c->iv);
	c->done++;
	return HS_OK;
}

/* Poly1305 key = first 32 bytes of the K_2 keystream at block counter 0; the tag covers the
 * encrypted length and the ciphertext (PROTOCOL.chacha20poly1305). */
static hs_err
chachapoly_tag(struct hs_cipher *c, uint32_t seqnr, const uint8_t *p, size_t n, uint8_t tag[16])
{
	uint8_t pk[CP_KEYLEN] = { 0 };
	Poly1305 poly;
	hs_err r;
	int ret;

	HS_GUARD_GOTO(chacha_xor(c->k_main, seqnr, 0, pk, pk, sizeof(pk)), r, out);
	r = HS_OK;
	if ((ret = wc_Poly1305SetKey(&poly, pk, sizeof(pk))) != 0 ||
	    (ret = wc_Poly1305Update(&poly, p, (word32)n)) != 0 ||
	    (ret = wc_Poly1305Final(&poly, tag)) != 0)
		r = hs_soft_wc_fail("Poly1305", ret);
out:
	hs_wipe(pk, sizeof(pk));
	hs_wipe(&poly, sizeof(poly));
	return r;
}

static hs_err
crypt_chachapoly(struct hs_cipher *c, uint32_t seqnr, uint8_t *dst, const uint8_t *src, size_t len,
    size_t aadlen)
{
	uint8_t want[16];
	hs_err r;

	if (!c->encrypt) {
		HS_GUARD_GOTO(chachapoly_tag(c, seqnr, src, aadlen + len, want), r, out);
		HS_ENSURE_GOTO(hs_ct_memeq(want, src + aadlen + len, sizeof(want)), HS_ERR_MAC, r,
		    out);
	}
	HS_GUARD_GOTO(chacha_xor(c->k_hdr, seqnr, 0, dst, src, aadlen), r, out);
	HS_GUARD_GOTO(chacha_xor(c->k_main, seqnr, 1, dst + aadlen, src + aadlen, len), r, out);
	if (c->encrypt)
		HS_GUARD_GOTO(chachapoly_tag(c, seqnr, dst, aadlen + len, dst + aadlen + len), r,
		    out);
	r = HS_OK;
out:
	hs_wipe(want, sizeof(want));
	return r;
}

static hs_err
crypt_none(struct hs_cipher *c, uint32_t seqnr, uint8_t *dst, const uint8_t *src, size_t len,
    size_t aadlen)
{
	memmove(dst, src, aadlen + len);
	return HS_OK;
}

/* Non-AEAD: aadlen header bytes (the length with -etm MACs) pass in the clear. */
static hs_err
crypt_ctr(struct hs_cipher *c, uint32_t seqnr, uint8_t *dst, const uint8_t *src, size_t len,
    size_t aadlen)
{
	int ret;

	memmove(dst, src, aadlen);
	if (len == 0)
		return HS_OK;
	if ((ret = wc_AesCtrEncrypt(&c->aes, dst + aadlen, src + aadlen, (word32)len)) != 0)
		return hs_soft_wc_fail("AES-CTR", ret);
	c->done += len;
	return HS_OK;
}

/* Big-endian add of v to the n-byte counter at p (carries out of the top are dropped). */
static void
be_add(uint8_t *p, size_t n, uint64_t v)
{
	unsigned carry = 0;
	size_t i;

	for (i = n; i > 0 && (v != 0 || carry != 0); i--) {
		unsigned sum = (unsigned)p[i - 1] + (unsigned)(v & 0xff) + carry;

		p[i - 1] = (uint8_t)sum;
		carry = sum >> 8;
		v >>= 8;
	}
}

/* RFC 4344 4: the counter is the IV plus the number of blocks, as one 128-bit integer. */
static hs_err
seek_ctr(struct hs_cipher *c, uint64_t pos)
{
	uint8_t ctr[AES_BLOCK_SIZE];
	int ret;

	HS_ENSURE(pos <= UINT64_MAX / AES_BLOCK_SIZE, HS_ERR_TOO_LARGE);
	memcpy(ctr, c->iv0, sizeof(ctr));
	be_add(ctr, sizeof(ctr), pos);
	ret = wc_AesSetIV(&c->aes, ctr);
	hs_wipe(ctr, sizeof(ctr));
	if (ret != 0)
		return hs_soft_wc_fail("AES-CTR IV", ret);
	/* No keystream left over from a partial block: the next byte starts block pos. */
	c->aes.left = 0;
	c->done = pos * AES_BLOCK_SIZE;
	return HS_OK;
}

/* RFC 5647 7.1: only the 64-bit invocation counter (bytes 4..11) advances. */
static hs_err
seek_gcm(struct hs_cipher *c, uint64_t pos)
{
	memcpy(c->iv, c->iv0, GCM_IVLEN);
	be_add(c->iv + 4, GCM_IVLEN - 4, pos);
	c->done = pos;
	return HS_OK;
}

hs_err
hs_cipher_position(const struct hs_cipher *c, uint64_t *pos)
{
	if (c->alg->mode == &mode_ctr) {
		/* SSH packets are whole blocks; a stream inside a block cannot be resumed. */
		HS_ENSURE(c->done % AES_BLOCK_SIZE == 0, HS_ERR_PROTOCOL);
		*pos = c->done / AES_BLOCK_SIZE;
	} else
		*pos = c->done;
	return HS_OK;
}

hs_err
hs_cipher_seek(struct hs_cipher *c, uint64_t pos)
{
	if (c->alg->mode->seek == NULL) {
		HS_ENSURE(pos == 0, HS_ERR_PROTOCOL);
		return HS_OK;
	}
	return c->alg->mode->seek(c, pos);
}

hs_err
hs_cipher_crypt(struct hs_cipher *c, uint32_t seqnr, uint8_t *dst, const uint8_t *src, size_t len,
    size_t aadlen)
{
	return c->alg->mode->crypt(c, seqnr, dst, src, len, aadlen);
}

static const struct cipher_mode mode_none = {
	.setup = setup_none, .get_length = get_length_clear, .crypt = crypt_none,
};
static const struct cipher_mode mode_ctr = {
	.setup = setup_ctr, .get_length = get_length_ctr, .crypt = crypt_ctr, .seek = seek_ctr,
};
static const struct cipher_mode mode_gcm = {
	.setup = setup_gcm, .get_length = get_length_clear, .crypt = crypt_gcm, .seek = seek_gcm,
};
static const struct cipher_mode mode_chachapoly = {
	.setup = setup_chachapoly, .get_length = get_length_chachapoly, .crypt = crypt_chachapoly,
};
