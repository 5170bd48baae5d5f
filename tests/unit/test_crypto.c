/* test_crypto.c: hashes, HMAC, DRBG, SSH KDF, MACs and the packet ciphers (hw/crypto_*.c).
 * Known answers come from vectors/ (see vectors/README.md), read at run time via HS_SRCDIR.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "testvec.h"

#include "hs_crypto.h"
#include "hs_key_impl.h"
#include "hs_mem.h"

static enum hs_hash_alg
hash_by_name(const char *s)
{
	if (strcmp(s, "sha1") == 0)
		return HS_HASH_SHA1;
	if (strcmp(s, "sha256") == 0)
		return HS_HASH_SHA256;
	if (strcmp(s, "sha384") == 0)
		return HS_HASH_SHA384;
	if (strcmp(s, "sha512") == 0)
		return HS_HASH_SHA512;
	fail_msg("unknown hash %s", s);
	return 0;
}

/* ---- Project Wycheproof (vectors/wycheproof/, converted by convert.py) ---- */

/* Expected outcome of a case: 1 valid, 0 invalid, -1 acceptable (either way, but no crash). */
static int
wy_expect(const struct vec *v)
{
	const char *res = vec_text(v, "result");

	if (strcmp(res, "valid") == 0)
		return 1;
	if (strcmp(res, "invalid") == 0)
		return 0;
	return -1;
}

/* ---- tests ---- */

static void
test_sha_vectors(void **state)
{
	FILE *f = vec_open("sha/fips180_abc.txt");
	struct vec v = { 0 };
	uint8_t md[HS_MAX_HASH];
	struct hs_hash_ctx *c;
	int count = 0;

	while (vec_next(f, &v)) {
		enum hs_hash_alg a = hash_by_name(vec_text(&v, "alg"));
		size_t mlen, dlen;
		const uint8_t *m = vec_get(&v, "msg", &mlen), *want = vec_get(&v, "md", &dlen);

		assert_int_equal(hs_hash_len(a), dlen);
		assert_int_equal(hs_hash(a, m, mlen, md), HS_OK);
		assert_memory_equal(md, want, dlen);
		/* Incremental, one byte at a time. */
		assert_int_equal(hs_hash_new(a, &c), HS_OK);
		for (size_t i = 0; i < mlen; i++)
			assert_int_equal(hs_hash_update(c, m + i, 1), HS_OK);
		memset(md, 0, sizeof(md));
		assert_int_equal(hs_hash_final(c, md), HS_OK);
		hs_hash_free(c);
		assert_memory_equal(md, want, dlen);
		count++;
	}
	assert_int_equal(count, 6);
	vec_clear(&v);
	fclose(f);
	assert_int_equal(hs_hash_len(0), 0);
	assert_int_equal(hs_hash(0, "x", 1, md), HS_ERR_UNSUPPORTED);
}

static void
test_hmac_vectors(void **state)
{
	FILE *f = vec_open("hmac/rfc4231.txt");
	struct vec v = { 0 };
	uint8_t out[HS_MAX_HASH], out2[HS_MAX_HASH];
	int count = 0;

	while (vec_next(f, &v)) {
		enum hs_hash_alg a = hash_by_name(vec_text(&v, "alg"));
		size_t kl, dl, ml;
		const uint8_t *k = vec_get(&v, "key", &kl), *d = vec_get(&v, "data", &dl);
		const uint8_t *want = vec_get(&v, "mac", &ml);
		struct hs_mac *m;

		assert_int_equal(hs_hmac(a, k, kl, d, dl, out), HS_OK);
		assert_memory_equal(out, want, ml);
		/* The same key through the MAC object twice (state reset between packets) must
		 * agree with the one-shot HMAC over seqnr || data. */
		{
			uint8_t *sd = malloc(dl + 4);

			memcpy(sd, "\x00\x00\x01\x02", 4);
			memcpy(sd + 4, d, dl);
			assert_int_equal(hs_hmac(a, k, kl, sd, dl + 4, out2), HS_OK);
			free(sd);
		}
		assert_int_equal(hs_mac_new(a, k, kl, &m), HS_OK);
		assert_int_equal(hs_mac_len(m), ml);
		for (int rep = 0; rep < 2; rep++) {
			assert_int_equal(hs_mac_compute(m, 0x102, d, dl, out), HS_OK);
			assert_memory_equal(out, out2, ml);
		}
		assert_int_equal(hs_mac_compute(m, 0x103, d, dl, out), HS_OK);
		assert_memory_not_equal(out, out2, ml);
		hs_mac_free(m);
		count++;
	}
	assert_int_equal(count, 12);
	vec_clear(&v);
	fclose(f);
}

static void
test_hmac_sha1(void **state)
{
	/* RFC 2202 3, test case 2 (HMAC-SHA-1, used by hashed known_hosts). */
	static const uint8_t want[20] = { 0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2,
	    0x74, 0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79 };
	uint8_t out[20];
	const char *d = "what do ya want for nothing?";

	assert_int_equal(hs_hmac(HS_HASH_SHA1, "Jefe", 4, d, strlen(d), out), HS_OK);
	assert_memory_equal(out, want, sizeof(want));
}

static void
test_kdf_vectors(void **state)
{
	FILE *f = vec_open("kdf/ssh_kdf.txt");
	struct vec v = { 0 };
	uint8_t out[256];
	int count = 0;

	while (vec_next(f, &v)) {
		enum hs_hash_alg a = hash_by_name(vec_text(&v, "alg"));
		size_t kl, hl, sl, ol, ll;
		const uint8_t *k = vec_get(&v, "k", &kl), *h = vec_get(&v, "h", &hl);
		const uint8_t *sid = vec_get(&v, "sid", &sl), *want = vec_get(&v, "out", &ol);
		const uint8_t *letter = vec_get(&v, "letter", &ll);

		assert_int_equal(hs_kdf_ssh(a, k, kl, h, hl, (char)letter[0], sid, sl, out, ol),
		    HS_OK);
		assert_memory_equal(out, want, ol);
		count++;
	}
	assert_int_equal(count, 12);
	vec_clear(&v);
	fclose(f);
	assert_int_equal(hs_kdf_ssh(HS_HASH_SHA1, out, 4, out, 20, 'A', out, 20, out, 16),
	    HS_ERR_UNSUPPORTED);
}

static void
test_random(void **state)
{
	uint8_t a[64], b[64], big[70000];
	int fds[2];
	pid_t pid;

	assert_int_equal(hs_crypto_init(), HS_OK);
	assert_int_equal(hs_crypto_init(), HS_OK);
	assert_int_equal(hs_random(a, sizeof(a)), HS_OK);
	assert_int_equal(hs_random(b, sizeof(b)), HS_OK);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(hs_random(big, sizeof(big)), HS_OK);	/* more than one DRBG request */
	/* After fork, parent and child must not produce the same bytes. */
	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		uint8_t c[64];

		if (hs_random(c, sizeof(c)) != HS_OK || write(fds[1], c, sizeof(c)) != sizeof(c))
			_exit(1);
		_exit(0);
	}
	assert_int_equal(hs_random(a, sizeof(a)), HS_OK);
	assert_int_equal(read(fds[0], b, sizeof(b)), sizeof(b));
	{
		int st;

		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_memory_not_equal(a, b, sizeof(a));
	close(fds[0]);
	close(fds[1]);
}

static void
test_aes_ctr_vectors(void **state)
{
	FILE *f = vec_open("aes-ctr/sp800_38a.txt");
	struct vec v = { 0 };
	int count = 0;

	while (vec_next(f, &v)) {
		static const enum hs_cipher_id ids[] = { HS_CIPHER_AES128_CTR, HS_CIPHER_AES192_CTR,
		    HS_CIPHER_AES256_CTR };
		size_t kl, il, pl, cl;
		const uint8_t *k = vec_get(&v, "key", &kl), *iv = vec_get(&v, "iv", &il);
		const uint8_t *pt = vec_get(&v, "pt", &pl), *ct = vec_get(&v, "ct", &cl);
		enum hs_cipher_id id = ids[count];
		struct hs_cipher_info info;
		struct hs_cipher *e, *d;
		uint8_t buf[64], out[64];
		uint32_t len;

		assert_int_equal(hs_cipher_info(id, &info), HS_OK);
		assert_int_equal(info.key_len, kl);
		assert_int_equal(info.tag_len, 0);
		assert_int_equal(hs_cipher_new(id, true, k, iv, &e), HS_OK);
		assert_int_equal(hs_cipher_new(id, false, k, iv, &d), HS_OK);
		/* Two calls: the stream continues across packets. */
		assert_int_equal(hs_cipher_crypt(e, 0, buf, pt, 16, 0), HS_OK);
		assert_int_equal(hs_cipher_crypt(e, 1, buf + 16, pt + 16, pl - 16, 0), HS_OK);
		assert_memory_equal(buf, ct, cl);
		/* get_length decrypts a copy: twice the same answer, and the state is unmoved. */
		assert_int_equal(hs_cipher_get_length(d, 0, ct, 15, &len), HS_ERR_AGAIN);
		assert_int_equal(hs_cipher_get_length(d, 0, ct, 16, &len), HS_OK);
		assert_int_equal(len, (uint32_t)pt[0] << 24 | pt[1] << 16 | pt[2] << 8 | pt[3]);
		assert_int_equal(hs_cipher_get_length(d, 0, ct, 16, &len), HS_OK);
		assert_int_equal(len, (uint32_t)pt[0] << 24 | pt[1] << 16 | pt[2] << 8 | pt[3]);
		memcpy(out, ct, cl);
		/* In place. */
		assert_int_equal(hs_cipher_crypt(d, 0, out, out, 32, 0), HS_OK);
		assert_int_equal(hs_cipher_crypt(d, 1, out + 32, out + 32, 32, 0), HS_OK);
		assert_memory_equal(out, pt, pl);
		hs_cipher_free(e);
		hs_cipher_free(d);
		count++;
	}
	assert_int_equal(count, 3);
	vec_clear(&v);
	fclose(f);
}

static void
test_aes_ctr_roundtrip(void **state)
{
	uint8_t key[32], iv[16], pkt[1024], enc[1024], dec[1024];
	struct hs_cipher *e, *d;
	uint32_t len;

	assert_int_equal(hs_random(key, sizeof(key)), HS_OK);
	assert_int_equal(hs_random(iv, sizeof(iv)), HS_OK);
	assert_int_equal(hs_random(pkt, sizeof(pkt)), HS_OK);
	assert_int_equal(hs_cipher_new(HS_CIPHER_AES256_CTR, true, key, iv, &e), HS_OK);
	assert_int_equal(hs_cipher_new(HS_CIPHER_AES256_CTR, false, key, iv, &d), HS_OK);
	for (uint32_t seq = 0; seq < 4; seq++) {
		pkt[0] = 0;
		pkt[1] = 0;
		pkt[2] = 0x01;
		pkt[3] = (uint8_t)(0x0c + seq);
		assert_int_equal(hs_cipher_crypt(e, seq, enc, pkt, 256, 0), HS_OK);
		assert_memory_not_equal(enc, pkt, 256);
		assert_int_equal(hs_cipher_get_length(d, seq, enc, 16, &len), HS_OK);
		assert_int_equal(len, 0x10c + seq);
		assert_int_equal(hs_cipher_crypt(d, seq, dec, enc, 256, 0), HS_OK);
		assert_memory_equal(dec, pkt, 256);
	}
	/* -etm: 4 bytes of length in the clear, then the rest. */
	assert_int_equal(hs_cipher_crypt(e, 9, enc, pkt, 32, 4), HS_OK);
	assert_memory_equal(enc, pkt, 4);
	assert_int_equal(hs_cipher_crypt(d, 9, dec, enc, 32, 4), HS_OK);
	assert_memory_equal(dec, pkt, 36);
	hs_cipher_free(e);
	hs_cipher_free(d);
	hs_cipher_free(NULL);
	assert_int_equal(hs_cipher_new(99, true, key, iv, &e), HS_ERR_UNSUPPORTED);
	assert_null(e);
}

static void
test_aes_gcm_vectors(void **state)
{
	FILE *f = vec_open("aes-gcm/mcgrew_viega.txt");
	struct vec v = { 0 };
	int count = 0;

	while (vec_next(f, &v)) {
		size_t kl, il, al, pl, cl, tl;
		const uint8_t *k = vec_get(&v, "key", &kl), *iv = vec_get(&v, "iv", &il);
		const uint8_t *aad = vec_get(&v, "aad", &al), *pt = vec_get(&v, "pt", &pl);
		const uint8_t *ct = vec_get(&v, "ct", &cl), *tag = vec_get(&v, "tag", &tl);
		enum hs_cipher_id id = kl == 16 ? HS_CIPHER_AES128_GCM : HS_CIPHER_AES256_GCM;
		uint8_t src[128], dst[128], back[128];
		struct hs_cipher *e, *d;

		assert_int_equal(il, 12);
		memcpy(src, aad, al);
		memcpy(src + al, pt, pl);
		assert_int_equal(hs_cipher_new(id, true, k, iv, &e), HS_OK);
		assert_int_equal(hs_cipher_new(id, false, k, iv, &d), HS_OK);
		assert_int_equal(hs_cipher_crypt(e, 0, dst, src, pl, al), HS_OK);
		assert_memory_equal(dst, aad, al);
		assert_memory_equal(dst + al, ct, cl);
		assert_memory_equal(dst + al + cl, tag, tl);
		/* A flipped tag bit is refused and leaves the destination untouched. */
		dst[al + cl] ^= 1;
		memset(back, 0x5a, sizeof(back));
		assert_int_equal(hs_cipher_crypt(d, 0, back, dst, pl, al), HS_ERR_MAC);
		for (size_t i = 0; i < sizeof(back); i++)
			assert_int_equal(back[i], 0x5a);
		dst[al + cl] ^= 1;
		/* The failed attempt did not advance the invocation counter. */
		assert_int_equal(hs_cipher_crypt(d, 0, back, dst, pl, al), HS_OK);
		assert_memory_equal(back, src, al + pl);
		hs_cipher_free(e);
		hs_cipher_free(d);
		count++;
	}
	assert_int_equal(count, 6);
	vec_clear(&v);
	fclose(f);
}

static void
test_aes_gcm_counter(void **state)
{
	/* RFC 5647 7.1: the invocation counter increments per packet, so the same plaintext
	 * encrypts differently each time and the receiver stays in step, also across a carry. */
	uint8_t key[16] = { 1 }, iv[12] = { 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe };
	uint8_t pkt[4 + 32], a[4 + 32 + 16], b[4 + 32 + 16], out[4 + 32];
	struct hs_cipher *e, *d;
	struct hs_cipher_info info;
	uint32_t len;

	assert_int_equal(hs_cipher_info(HS_CIPHER_AES128_GCM, &info), HS_OK);
	assert_int_equal(info.iv_len, 12);
	assert_int_equal(info.tag_len, 16);
	memset(pkt, 0x11, sizeof(pkt));
	memcpy(pkt, "\x00\x00\x00\x20", 4);
	assert_int_equal(hs_cipher_new(HS_CIPHER_AES128_GCM, true, key, iv, &e), HS_OK);
	assert_int_equal(hs_cipher_new(HS_CIPHER_AES128_GCM, false, key, iv, &d), HS_OK);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(hs_cipher_crypt(e, (uint32_t)i, i % 2 ? b : a, pkt, 32, 4), HS_OK);
		assert_int_equal(hs_cipher_get_length(d, (uint32_t)i, i % 2 ? b : a, 4, &len),
		    HS_OK);
		assert_int_equal(len, 32);
		assert_int_equal(hs_cipher_crypt(d, (uint32_t)i, out, i % 2 ? b : a, 32, 4), HS_OK);
		assert_memory_equal(out, pkt, sizeof(out));
		if (i % 2)
			assert_memory_not_equal(a + 4, b + 4, 32);
	}
	/* The AAD (length) is authenticated. */
	assert_int_equal(hs_cipher_crypt(e, 4, a, pkt, 32, 4), HS_OK);
	a[3] ^= 0x10;
	assert_int_equal(hs_cipher_crypt(d, 4, out, a, 32, 4), HS_ERR_MAC);
	hs_cipher_free(e);
	hs_cipher_free(d);
}

static void
test_chachapoly_vectors(void **state)
{
	FILE *f = vec_open("chacha20-poly1305/openssh_kat.txt");
	struct vec v = { 0 };
	int count = 0;

	while (vec_next(f, &v)) {
		size_t kl, pl, cl;
		const uint8_t *k = vec_get(&v, "key", &kl), *pt = vec_get(&v, "pt", &pl);
		const uint8_t *ct = vec_get(&v, "ct", &cl);
		uint32_t seq = (uint32_t)strtoul(vec_text(&v, "seqnr"), NULL, 16), len;
		struct hs_cipher *e, *d;
		uint8_t out[512], back[512];

		assert_int_equal(kl, 64);
		assert_int_equal(cl, pl + 16);
		assert_int_equal(hs_cipher_new(HS_CIPHER_CHACHA20_POLY1305, true, k, NULL, &e),
		    HS_OK);
		assert_int_equal(hs_cipher_new(HS_CIPHER_CHACHA20_POLY1305, false, k, NULL, &d),
		    HS_OK);
		assert_int_equal(hs_cipher_crypt(e, seq, out, pt, pl - 4, 4), HS_OK);
		assert_memory_equal(out, ct, cl);
		assert_int_equal(hs_cipher_get_length(d, seq, ct, 3, &len), HS_ERR_AGAIN);
		assert_int_equal(hs_cipher_get_length(d, seq, ct, 4, &len), HS_OK);
		assert_int_equal(len, pl - 4);
		assert_int_equal(hs_cipher_get_length(d, seq + 1, ct, 4, &len), HS_OK);
		assert_int_not_equal(len, pl - 4);	/* the nonce is the sequence number */
		assert_int_equal(hs_cipher_crypt(d, seq, back, ct, pl - 4, 4), HS_OK);
		assert_memory_equal(back, pt, pl);
		/* Wrong sequence number or a flipped bit (length, body, tag): refused, dst kept. */
		assert_int_equal(hs_cipher_crypt(d, seq + 1, back, ct, pl - 4, 4), HS_ERR_MAC);
		for (size_t i = 0; i < cl; i += 7) {
			memcpy(out, ct, cl);
			out[i] ^= 0x80;
			memset(back, 0xa5, cl);
			assert_int_equal(hs_cipher_crypt(d, seq, back, out, pl - 4, 4), HS_ERR_MAC);
			assert_int_equal(back[0], 0xa5);
			assert_int_equal(back[pl - 1], 0xa5);
		}
		hs_cipher_free(e);
		hs_cipher_free(d);
		count++;
	}
	assert_int_equal(count, 3);
	vec_clear(&v);
	fclose(f);
}

static void
test_chachapoly_roundtrip(void **state)
{
	uint8_t key[64], pkt[4 + 300], buf[4 + 300 + 16];
	struct hs_cipher *e, *d;
	struct hs_cipher_info info;

	assert_int_equal(hs_cipher_info(HS_CIPHER_CHACHA20_POLY1305, &info), HS_OK);
	assert_int_equal(info.key_len, 64);
	assert_int_equal(info.block_len, 8);
	assert_int_equal(hs_random(key, sizeof(key)), HS_OK);
	assert_int_equal(hs_random(pkt, sizeof(pkt)), HS_OK);
	assert_int_equal(hs_cipher_new(HS_CIPHER_CHACHA20_POLY1305, true, key, NULL, &e), HS_OK);
	assert_int_equal(hs_cipher_new(HS_CIPHER_CHACHA20_POLY1305, false, key, NULL, &d), HS_OK);
	memcpy(buf, pkt, sizeof(pkt));
	assert_int_equal(hs_cipher_crypt(e, 3, buf, buf, 300, 4), HS_OK);	/* in place */
	assert_memory_not_equal(buf, pkt, sizeof(pkt));
	buf[sizeof(buf) - 1] ^= 0x01;	/* flipped tag */
	assert_int_equal(hs_cipher_crypt(d, 3, buf, buf, 300, 4), HS_ERR_MAC);
	buf[sizeof(buf) - 1] ^= 0x01;
	assert_int_equal(hs_cipher_crypt(d, 3, buf, buf, 300, 4), HS_OK);
	assert_memory_equal(buf, pkt, sizeof(pkt));
	hs_cipher_free(e);
	hs_cipher_free(d);
}

static void
test_cipher_none(void **state)
{
	struct hs_cipher *c;
	uint8_t in[12] = { 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8 }, out[12];
	uint32_t len;

	assert_int_equal(hs_cipher_new(HS_CIPHER_NONE, false, NULL, NULL, &c), HS_OK);
	assert_int_equal(hs_cipher_get_length(c, 0, in, 4, &len), HS_OK);
	assert_int_equal(len, 8);
	assert_int_equal(hs_cipher_crypt(c, 0, out, in, 12, 0), HS_OK);
	assert_memory_equal(out, in, 12);
	hs_cipher_free(c);
}

static void
test_wycheproof_aes_gcm(void **state)
{
	FILE *f = vec_open("wycheproof/aes_gcm.txt");
	struct vec v = { 0 };
	int n[2] = { 0, 0 };

	while (vec_next(f, &v)) {
		size_t kl, il, al, ml, cl, tl;
		const uint8_t *k = vec_get(&v, "key", &kl), *iv = vec_get(&v, "iv", &il);
		const uint8_t *aad = vec_get(&v, "aad", &al), *msg = vec_get(&v, "msg", &ml);
		const uint8_t *ct = vec_get(&v, "ct", &cl), *tag = vec_get(&v, "tag", &tl);
		enum hs_cipher_id id = kl == 16 ? HS_CIPHER_AES128_GCM : HS_CIPHER_AES256_GCM;
		size_t tot = al + ml + 16;
		uint8_t *in = malloc(tot + 1), *out = malloc(tot + 1);
		struct hs_cipher *d, *e;
		int exp = wy_expect(&v);
		hs_err r;

		assert_int_equal(il, 12);
		assert_int_equal(tl, 16);
		assert_int_equal(cl, ml);
		memcpy(in, aad, al);
		memcpy(in + al, ct, cl);
		memcpy(in + al + cl, tag, tl);
		assert_int_equal(hs_cipher_new(id, false, k, iv, &d), HS_OK);
		r = hs_cipher_crypt(d, 0, out, in, ml, al);
		if (exp == 1) {
			assert_int_equal(r, HS_OK);
			assert_memory_equal(out + al, msg, ml);
			/* And encryption reproduces ciphertext and tag. */
			memcpy(in + al, msg, ml);
			assert_int_equal(hs_cipher_new(id, true, k, iv, &e), HS_OK);
			assert_int_equal(hs_cipher_crypt(e, 0, out, in, ml, al), HS_OK);
			assert_memory_equal(out + al, ct, cl);
			assert_memory_equal(out + al + cl, tag, tl);
			hs_cipher_free(e);
		} else if (exp == 0) {
			if (r != HS_ERR_MAC)
				fail_msg("tc %s: invalid case not refused (%d)", vec_text(&v, "tc"),
				    r);
		}
		if (exp >= 0)
			n[exp]++;
		hs_cipher_free(d);
		free(in);
		free(out);
	}
	assert_true(n[0] > 0 && n[1] > 0);
	vec_clear(&v);
	fclose(f);
}

static void
wy_hmac_file(const char *file, enum hs_hash_alg alg)
{
	FILE *f = vec_open(file);
	struct vec v = { 0 };
	int n[2] = { 0, 0 };

	while (vec_next(f, &v)) {
		size_t kl, ml, tl;
		const uint8_t *k = vec_get(&v, "key", &kl), *msg = vec_get(&v, "msg", &ml);
		const uint8_t *tag = vec_get(&v, "tag", &tl);
		uint8_t out[HS_MAX_HASH];
		int exp = wy_expect(&v);
		bool same;

		assert_int_equal(tl, hs_hash_len(alg));
		assert_int_equal(hs_hmac(alg, k, kl, msg, ml, out), HS_OK);
		same = memcmp(out, tag, tl) == 0;
		if (exp == 1 && !same)
			fail_msg("%s tc %s: wrong HMAC", file, vec_text(&v, "tc"));
		if (exp == 0 && same)
			fail_msg("%s tc %s: invalid tag matches", file, vec_text(&v, "tc"));
		if (exp >= 0)
			n[exp]++;
	}
	assert_true(n[1] > 0);
	vec_clear(&v);
	fclose(f);
}

static void
test_wycheproof_hmac(void **state)
{
	wy_hmac_file("wycheproof/hmac_sha256.txt", HS_HASH_SHA256);
	wy_hmac_file("wycheproof/hmac_sha512.txt", HS_HASH_SHA512);
}

/* The continuous test on DRBG output (issue 6): a block equal to the one before it, within one
 * output or across two, enters the sticky error state; then every entry point refuses. Run in a
 * child, since the error state is for the rest of the process. */
static int
crt_child(void)
{
	uint8_t a[2 * HS_CRT_BLOCK], b[HS_CRT_BLOCK], out[32];

	if (hs_crypto_init() != HS_OK || hs_crypto_error_state())
		return 10;
	memset(a, 0x5a, sizeof(a));
	a[0] = 1;		/* two different blocks: passes */
	if (hs_soft_crt_check(a, sizeof(a)) != HS_OK)
		return 11;
	memcpy(b, a + HS_CRT_BLOCK, sizeof(b));	/* the same block again, in a new call */
	if (hs_soft_crt_check(b, sizeof(b)) != HS_ERR_FIPS_STATE || !hs_crypto_error_state())
		return 12;
	if (hs_crypto_init() != HS_ERR_FIPS_STATE || hs_random(out, sizeof(out)) == HS_OK ||
	    hs_hash(HS_HASH_SHA256, "abc", 3, out) == HS_OK)
		return 13;
	return 0;
}

static void
test_continuous_rng(void **state)
{
	uint8_t big[3000];
	pid_t pid;
	int st;

	(void)state;
	/* Real output passes (a repeat of a 128-bit block would be a broken DRBG). */
	assert_int_equal(hs_random(big, sizeof(big)), HS_OK);
	assert_int_equal(hs_random(big, 16), HS_OK);
	assert_false(hs_crypto_error_state());
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(crt_child());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha_vectors),
		cmocka_unit_test(test_hmac_vectors),
		cmocka_unit_test(test_hmac_sha1),
		cmocka_unit_test(test_kdf_vectors),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_continuous_rng),
		cmocka_unit_test(test_aes_ctr_vectors),
		cmocka_unit_test(test_aes_ctr_roundtrip),
		cmocka_unit_test(test_aes_gcm_vectors),
		cmocka_unit_test(test_aes_gcm_counter),
		cmocka_unit_test(test_chachapoly_vectors),
		cmocka_unit_test(test_chachapoly_roundtrip),
		cmocka_unit_test(test_cipher_none),
		cmocka_unit_test(test_wycheproof_aes_gcm),
		cmocka_unit_test(test_wycheproof_hmac),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
