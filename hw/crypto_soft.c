/* crypto_soft.c: backend initialisation, the DRBG, hashes, HMAC, SSH MACs and the SSH KDF, on
 * wolfCrypt. Ciphers are in crypto_cipher.c.
 */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/wc_port.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hs_crypto.h"
#include "hs_ct.h"
#include "hs_key_impl.h"
#include "hs_log.h"
#include "hs_mem.h"

/* One process-wide Hash_DRBG (SP 800-90A). rng_pid records the process that seeded it: a forked
 * child must not replay its parent's output, so it reinitialises (fresh entropy) on first use. */
static WC_RNG rng;
static bool rng_ready;
static bool wolf_ready;
static pid_t rng_pid;
static bool self_test_failed;

struct hash_alg {
	enum hs_hash_alg alg;
	enum wc_HashType wc;
	int hmac;		/* wolfCrypt's HMAC type id */
	size_t len;
};

static const struct hash_alg hash_algs[] = {
	{ .alg = HS_HASH_SHA1,   .wc = WC_HASH_TYPE_SHA,    .hmac = WC_SHA,    .len = 20 },
	{ .alg = HS_HASH_SHA256, .wc = WC_HASH_TYPE_SHA256, .hmac = WC_SHA256, .len = 32 },
	{ .alg = HS_HASH_SHA384, .wc = WC_HASH_TYPE_SHA384, .hmac = WC_SHA384, .len = 48 },
	{ .alg = HS_HASH_SHA512, .wc = WC_HASH_TYPE_SHA512, .hmac = WC_SHA512, .len = 64 },
	{ 0 }
};

struct hs_hash_ctx {
	const struct hash_alg *a;
	wc_HashAlg st;
};

struct hs_mac {
	const struct hash_alg *a;
	Hmac hmac;
};

static const struct hash_alg *
hash_find(enum hs_hash_alg alg)
{
	const struct hash_alg *a;

	for (a = hash_algs; a->len != 0; a++)
		if (a->alg == alg)
			return a;
	return NULL;
}

/* Small requests (packet padding: one per packet, the KEXINIT cookie) are served from a buffer of
 * DRBG output filled by one generate call. Why: wolfSSL's Hash_DRBG reseeds from /dev/urandom
 * every WC_RESEED_INTERVAL (1,000,000) generate calls, and hsshd's network processes are chrooted
 * and seccomp-filtered, so they cannot open it; at one call per packet a long transfer (~32 GB in
 * 32 KiB packets) would reach the reseed and fail. With RAND_POOL bytes per call that is some
 * 250 times further away. Served bytes are wiped from the buffer; rng_seed() empties it, so a
 * forked child (which reseeds, see rng_pid) never serves its parent's output. */
#define RAND_POOL	4096
#define RAND_POOL_MAX_REQ	64

static uint8_t rand_pool[RAND_POOL];
/* The continuous test on the DRBG's output (issue 6): each HS_CRT_BLOCK-byte block is compared
 * with the one before it, across calls; an identical block is a failure (the FIPS 140-2 style
 * continuous RNG test, kept as a conditional test). Reset when the DRBG is instantiated. */
static uint8_t crt_last[HS_CRT_BLOCK];
static bool crt_have;
static size_t rand_pool_left;

static hs_err
rng_seed(void)
{
	int ret;

	if (rng_ready) {
		wc_FreeRng(&rng);
		rng_ready = false;
	}
	hs_wipe(rand_pool, sizeof(rand_pool));
	rand_pool_left = 0;
	hs_wipe(crt_last, sizeof(crt_last));
	crt_have = false;
	if ((ret = wc_InitRng(&rng)) != 0)
		return hs_soft_wc_fail("DRBG init", ret);
	rng_ready = true;
	rng_pid = getpid();
	return HS_OK;
}

void
hs_crypto_enter_error(const char *test, const char *backend)
{
	if (!self_test_failed)
		hs_error("self-test failed: %s on %s", test, backend);
	self_test_failed = true;
}

bool
hs_crypto_error_state(void)
{
	return self_test_failed;
}

/* The first call also runs the software provider's known-answer self-test (it calls back in here,
 * which returns at once). A failed self-test is sticky: the backend refuses every later use. */
hs_err
hs_crypto_init(void)
{
	int ret;

	if (self_test_failed)
		return HS_ERR_FIPS_STATE;
	if (!wolf_ready) {
		if ((ret = wolfCrypt_Init()) != 0)
			return hs_soft_wc_fail("init", ret);
		wolf_ready = true;
		HS_GUARD(rng_seed());
		if (hs_provider_soft.self_test(NULL) != HS_OK) {
			hs_crypto_enter_error("SHA-256 and AES-128-GCM at initialisation", "soft");
			return HS_ERR_FIPS_STATE;
		}
	}
	if (!rng_ready || rng_pid != getpid())
		HS_GUARD(rng_seed());
	return HS_OK;
}

struct WC_RNG *
hs_soft_rng(void)
{
	if (hs_crypto_init() != HS_OK)
		return NULL;
	return &rng;
}

/* wolfSSL 5.5 exports no Hash_DRBG reseed with additional input, so the DRBG is instantiated
 * again (SP 800-90A 10.1.1.2) with fresh OS entropy and, as its nonce, 32 bytes of the old
 * state's output followed by the caller's bytes: the new state depends on all three. */
hs_err
hs_soft_rng_mix(const uint8_t *p, size_t n)
{
	uint8_t nonce[32 + 64];
	int ret;

	HS_ENSURE(n <= sizeof(nonce) - 32, HS_ERR_TOO_LARGE);
	HS_GUARD(hs_crypto_init());
	if ((ret = wc_RNG_GenerateBlock(&rng, nonce, 32)) != 0)
		return hs_soft_wc_fail("DRBG generate", ret);
	memcpy(nonce + 32, p, n);
	wc_FreeRng(&rng);
	rng_ready = false;
	hs_wipe(rand_pool, sizeof(rand_pool));
	rand_pool_left = 0;
	ret = wc_InitRngNonce(&rng, nonce, (word32)(32 + n));
	hs_wipe(nonce, sizeof(nonce));
	if (ret != 0) {
		(void)hs_soft_wc_fail("DRBG instantiate with additional input", ret);
		return rng_seed();
	}
	rng_ready = true;
	rng_pid = getpid();
	return HS_OK;
}

hs_err
hs_soft_crt_check(const uint8_t *p, size_t n)
{
	for (size_t off = 0; off + HS_CRT_BLOCK <= n; off += HS_CRT_BLOCK) {
		if (crt_have && hs_ct_memeq(p + off, crt_last, HS_CRT_BLOCK)) {
			hs_crypto_enter_error("continuous RNG test", "soft");
			return HS_ERR_FIPS_STATE;
		}
		memcpy(crt_last, p + off, HS_CRT_BLOCK);
		crt_have = true;
	}
	return HS_OK;
}

/* One DRBG generate call, then the continuous test over its output. */
static hs_err
drbg_generate(WC_RNG *r, uint8_t *p, word32 n)
{
	int ret;

	if ((ret = wc_RNG_GenerateBlock(r, p, n)) != 0)
		return hs_soft_wc_fail("DRBG generate", ret);
	return hs_soft_crt_check(p, n);
}

static hs_err
random_small(WC_RNG *r, uint8_t *p, size_t n)
{
	if (rand_pool_left < n) {
		HS_GUARD(drbg_generate(r, rand_pool, sizeof(rand_pool)));
		rand_pool_left = sizeof(rand_pool);
	}
	memcpy(p, rand_pool + sizeof(rand_pool) - rand_pool_left, n);
	hs_wipe(rand_pool + sizeof(rand_pool) - rand_pool_left, n);
	rand_pool_left -= n;
	return HS_OK;
}

hs_err
hs_random(void *p, size_t n)
{
	WC_RNG *r = hs_soft_rng();
	uint8_t *q = p;

	HS_ENSURE(r != NULL, HS_ERR_PROVIDER);
	if (n <= RAND_POOL_MAX_REQ)
		return random_small(r, q, n);
	/* wolfCrypt caps one request at RNG_MAX_BLOCK_LEN bytes. */
	while (n > 0) {
		word32 chunk = n > RNG_MAX_BLOCK_LEN ? RNG_MAX_BLOCK_LEN : (word32)n;

		HS_GUARD(drbg_generate(r, q, chunk));
		q += chunk;
		n -= chunk;
	}
	return HS_OK;
}

size_t
hs_hash_len(enum hs_hash_alg alg)
{
	const struct hash_alg *a = hash_find(alg);

	return a ? a->len : 0;
}

hs_err
hs_hash(enum hs_hash_alg alg, const void *p, size_t n, uint8_t *out)
{
	const struct hash_alg *a = hash_find(alg);
	int ret;

	HS_ENSURE(a != NULL, HS_ERR_UNSUPPORTED);
	HS_GUARD(hs_crypto_init());
	if ((ret = wc_Hash(a->wc, p, (word32)n, out, (word32)a->len)) != 0)
		return hs_soft_wc_fail("hash", ret);
	return HS_OK;
}

hs_err
hs_hash_new(enum hs_hash_alg alg, struct hs_hash_ctx **out)
{
	const struct hash_alg *a = hash_find(alg);
	struct hs_hash_ctx *c;
	int ret;

	*out = NULL;
	HS_ENSURE(a != NULL, HS_ERR_UNSUPPORTED);
	HS_GUARD(hs_crypto_init());
	if ((c = hs_calloc(1, sizeof(*c))) == NULL)
		return HS_ERR_ALLOC;
	c->a = a;
	if ((ret = wc_HashInit(&c->st, a->wc)) != 0) {
		free(c);
		return hs_soft_wc_fail("hash init", ret);
	}
	*out = c;
	return HS_OK;
}

hs_err
hs_hash_update(struct hs_hash_ctx *c, const void *p, size_t n)
{
	int ret;

	if ((ret = wc_HashUpdate(&c->st, c->a->wc, p, (word32)n)) != 0)
		return hs_soft_wc_fail("hash update", ret);
	return HS_OK;
}

hs_err
hs_hash_final(struct hs_hash_ctx *c, uint8_t *out)
{
	int ret;

	if ((ret = wc_HashFinal(&c->st, c->a->wc, out)) != 0)
		return hs_soft_wc_fail("hash final", ret);
	return HS_OK;
}

void
hs_hash_free(struct hs_hash_ctx *c)
{
	if (c == NULL)
		return;
	wc_HashFree(&c->st, c->a->wc);
	hs_free_wiped(c, sizeof(*c));
}

static hs_err
hmac_init(Hmac *h, const struct hash_alg *a, const void *key, size_t klen)
{
	int ret;

	if ((ret = wc_HmacInit(h, NULL, INVALID_DEVID)) != 0)
		return hs_soft_wc_fail("HMAC init", ret);
	if ((ret = wc_HmacSetKey(h, a->hmac, key, (word32)klen)) != 0) {
		wc_HmacFree(h);
		return hs_soft_wc_fail("HMAC key", ret);
	}
	return HS_OK;
}

hs_err
hs_hmac(enum hs_hash_alg alg, const void *key, size_t klen, const void *p, size_t n, uint8_t *out)
{
	const struct hash_alg *a = hash_find(alg);
	Hmac h;
	hs_err r;
	int ret;

	HS_ENSURE(a != NULL, HS_ERR_UNSUPPORTED);
	HS_GUARD(hs_crypto_init());
	HS_GUARD(hmac_init(&h, a, key, klen));
	r = HS_OK;
	if ((ret = wc_HmacUpdate(&h, p, (word32)n)) != 0 || (ret = wc_HmacFinal(&h, out)) != 0)
		r = hs_soft_wc_fail("HMAC", ret);
	wc_HmacFree(&h);
	hs_wipe(&h, sizeof(h));
	return r;
}

hs_err
hs_mac_new(enum hs_hash_alg alg, const uint8_t *key, size_t klen, struct hs_mac **out)
{
	const struct hash_alg *a = hash_find(alg);
	struct hs_mac *m;
	hs_err r;

	*out = NULL;
	HS_ENSURE(a != NULL, HS_ERR_UNSUPPORTED);
	HS_GUARD(hs_crypto_init());
	if ((m = hs_calloc(1, sizeof(*m))) == NULL)
		return HS_ERR_ALLOC;
	m->a = a;
	if ((r = hmac_init(&m->hmac, a, key, klen)) != HS_OK) {
		hs_free_wiped(m, sizeof(*m));
		return r;
	}
	*out = m;
	return HS_OK;
}

void
hs_mac_free(struct hs_mac *m)
{
	if (m == NULL)
		return;
	wc_HmacFree(&m->hmac);
	hs_free_wiped(m, sizeof(*m));
}

size_t
hs_mac_len(const struct hs_mac *m)
{
	return m->a->len;
}

/* RFC 4253 6.4: mac = MAC(key, sequence_number || unencrypted_packet). wolfCrypt rekeys the inner
 * hash with the stored key after each Final, so one Hmac serves every packet. */
hs_err
hs_mac_compute(struct hs_mac *m, uint32_t seqnr, const uint8_t *p, size_t n, uint8_t *out)
{
	uint8_t seq[4] = { (uint8_t)(seqnr >> 24), (uint8_t)(seqnr >> 16), (uint8_t)(seqnr >> 8),
	    (uint8_t)seqnr };
	int ret;

	if ((ret = wc_HmacUpdate(&m->hmac, seq, sizeof(seq))) != 0 ||
	    (ret = wc_HmacUpdate(&m->hmac, p, (word32)n)) != 0 ||
	    (ret = wc_HmacFinal(&m->hmac, out)) != 0)
		return hs_soft_wc_fail("MAC", ret);
	return HS_OK;
}

/* One KDF block: HASH(K || H || tail) where tail is (letter || session_id) for the first block and
 * the key material so far for the extensions (RFC 4253 7.2). */
static hs_err
kdf_block(enum hs_hash_alg alg, const uint8_t *k, size_t klen, const uint8_t *h, size_t hlen,
    const uint8_t *t1, size_t t1len, const uint8_t *t2, size_t t2len, uint8_t *out)
{
	struct hs_hash_ctx *c;
	hs_err r;

	HS_GUARD(hs_hash_new(alg, &c));
	HS_GUARD_GOTO(hs_hash_update(c, k, klen), r, out);
	HS_GUARD_GOTO(hs_hash_update(c, h, hlen), r, out);
	HS_GUARD_GOTO(hs_hash_update(c, t1, t1len), r, out);
	HS_GUARD_GOTO(hs_hash_update(c, t2, t2len), r, out);
	HS_GUARD_GOTO(hs_hash_final(c, out), r, out);
	r = HS_OK;
out:
	hs_hash_free(c);
	return r;
}

hs_err
hs_kdf_ssh(enum hs_hash_alg alg, const uint8_t *k_enc, size_t k_len, const uint8_t *h, size_t h_len,
    char letter, const uint8_t *session_id, size_t sid_len, uint8_t *out, size_t outlen)
{
	size_t hl = hs_hash_len(alg), have;
	uint8_t *km = NULL, blk[HS_MAX_HASH], let = (uint8_t)letter;
	size_t cap;
	hs_err r;

	/* SHA-1 never derives session keys here (RFC 9142 retires the SHA-1 KEX methods). */
	HS_ENSURE(alg != HS_HASH_SHA1 && hl != 0, HS_ERR_UNSUPPORTED);
	HS_ENSURE(outlen > 0 && outlen <= 1024, HS_ERR_TOO_LARGE);
	cap = (outlen + hl - 1) / hl * hl;
	if ((km = hs_calloc(1, cap)) == NULL)
		return HS_ERR_ALLOC;
	HS_GUARD_GOTO(kdf_block(alg, k_enc, k_len, h, h_len, &let, 1, session_id, sid_len, km), r,
	    out);
	/* K2 = HASH(K || H || K1), K3 = HASH(K || H || K1 || K2), ... */
	for (have = hl; have < outlen; have += hl) {
		HS_GUARD_GOTO(kdf_block(alg, k_enc, k_len, h, h_len, km, have, NULL, 0, blk), r,
		    out);
		memcpy(km + have, blk, hl);
	}
	memcpy(out, km, outlen);
	r = HS_OK;
out:
	hs_wipe(blk, sizeof(blk));
	hs_free_wiped(km, cap);
	return r;
}
