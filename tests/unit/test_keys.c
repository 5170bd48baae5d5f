/* test_keys.c: keys and signatures (hw/key_*.c, hw/provider*.c): RFC 8032 Ed25519 vectors,
 * sign/verify for every key type and algorithm with tampering, strict blob parsing, raw import
 * checks, and interoperation with OpenSSH's ssh-keygen (fingerprints, SSHSIG signatures both ways).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "testvec.h"

#include "hs_b64.h"
#include "hs_key_impl.h"
#include "hs_provider.h"

/* ---- helpers ---- */

static const enum hs_key_type all_types[] = { HS_KEY_ED25519, HS_KEY_ECDSA_P256, HS_KEY_ECDSA_P384,
    HS_KEY_ECDSA_P521, HS_KEY_RSA };
#define NTYPES (sizeof(all_types) / sizeof(all_types[0]))

/* Keys generated once for the whole run (RSA generation is slow under the sanitizers). */
static struct hs_key *gen[NTYPES];

static struct hs_buf *
newbuf(void)
{
	struct hs_buf *b;

	assert_int_equal(hs_buf_new(HS_BUF_MAX_DEFAULT, &b), HS_OK);
	return b;
}

static struct hs_buf *
blob_of(const struct hs_key *k)
{
	struct hs_buf *b = newbuf();

	assert_int_equal(hs_key_public_blob(k, b), HS_OK);
	return b;
}

static int
setup_keys(void **state)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (hs_key_generate(all_types[i], all_types[i] == HS_KEY_RSA ? 2048 : 0,
		    &gen[i]) != HS_OK)
			return -1;
	return 0;
}

static int
teardown_keys(void **state)
{
	for (size_t i = 0; i < NTYPES; i++)
		hs_key_free(gen[i]);
	return 0;
}

/* The signature algorithms that apply to a key type. */
static size_t
algs_for(enum hs_key_type t, enum hs_sig_alg *out)
{
	size_t n = 0;

	for (enum hs_sig_alg a = HS_SIG_ED25519; a <= HS_SIG_RSA_SHA512; a++)
		if (hs_sig_alg_key_type(a) == t)
			out[n++] = a;
	return n;
}

/* Re-encode an SSH signature (string name, string blob) with another name. */
static struct hs_buf *
relabel(const struct hs_buf *sig, const char *name)
{
	struct hs_buf *in, *out = newbuf();
	const uint8_t *n, *b;
	size_t nl, bl;

	assert_int_equal(hs_buf_dup(sig, &in), HS_OK);
	assert_int_equal(hs_buf_get_string(in, &n, &nl), HS_OK);
	assert_int_equal(hs_buf_get_string(in, &b, &bl), HS_OK);
	assert_int_equal(hs_buf_put_cstring(out, name), HS_OK);
	assert_int_equal(hs_buf_put_string(out, b, bl), HS_OK);
	hs_buf_free(in);
	return out;
}

/* ---- tests ---- */

static void
test_names(void **state)
{
	static const char *const kn[] = { "ssh-ed25519", "ecdsa-sha2-nistp256",
	    "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-rsa" };
	static const char *const sn[] = { "ssh-ed25519", "ecdsa-sha2-nistp256",
	    "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "rsa-sha2-256", "rsa-sha2-512",
	    "ssh-rsa" };

	for (size_t i = 0; i < NTYPES; i++) {
		assert_string_equal(hs_key_type_name(all_types[i]), kn[i]);
		assert_int_equal(hs_key_type_from_name(kn[i], strlen(kn[i])), all_types[i]);
	}
	for (enum hs_sig_alg a = HS_SIG_ED25519; a <= HS_SIG_RSA_SHA1; a++) {
		assert_string_equal(hs_sig_alg_name(a), sn[a - 1]);
		assert_int_equal(hs_sig_alg_from_name(sn[a - 1], strlen(sn[a - 1])), a);
	}
	assert_int_equal(hs_sig_alg_key_type(HS_SIG_RSA_SHA512), HS_KEY_RSA);
	assert_int_equal(hs_sig_alg_key_type(HS_SIG_ECDSA_P384), HS_KEY_ECDSA_P384);
	assert_int_equal(hs_key_type_from_name("ssh-ed2551", 10), HS_KEY_UNKNOWN);
	assert_int_equal(hs_key_type_from_name("ssh-ed25519x", 12), HS_KEY_UNKNOWN);
	assert_int_equal(hs_sig_alg_from_name("rsa-sha2-256", 11), HS_SIG_UNKNOWN);
	assert_string_equal(hs_key_type_short(HS_KEY_ED25519), "ED25519");
	assert_string_equal(hs_key_type_short(HS_KEY_ECDSA_P521), "ECDSA");
	assert_string_equal(hs_key_type_short(HS_KEY_RSA), "RSA");
}

static void
test_ed25519_rfc8032(void **state)
{
	FILE *f = vec_open("ed25519/rfc8032.txt");
	struct vec v = { 0 };
	int count = 0;

	while (vec_next(f, &v)) {
		struct hs_key_raw raw = { .type = HS_KEY_ED25519 }, back;
		size_t sl, pl, ml, gl;
		const uint8_t *sec = vec_get(&v, "secret", &sl), *pub = vec_get(&v, "public", &pl);
		const uint8_t *msg = vec_get(&v, "message", &ml),
		    *want = vec_get(&v, "signature", &gl);
		struct hs_buf *sig = newbuf(), *in;
		const uint8_t *p;
		size_t n;
		struct hs_key *k, *k2;

		memcpy(raw.priv, sec, sl);
		raw.priv_len = sl;
		memcpy(raw.pub, pub, pl);
		raw.pub_len = pl;
		assert_int_equal(hs_key_from_raw(&raw, &k), HS_OK);
		assert_true(hs_key_has_private(k));
		assert_int_equal(hs_key_bits(k), 256);
		assert_int_equal(hs_key_sign(k, HS_SIG_ED25519, msg, ml, sig), HS_OK);
		assert_int_equal(hs_buf_dup(sig, &in), HS_OK);
		assert_int_equal(hs_buf_get_string(in, &p, &n), HS_OK);
		assert_int_equal(n, 11);
		assert_memory_equal(p, "ssh-ed25519", 11);
		assert_int_equal(hs_buf_get_string(in, &p, &n), HS_OK);
		assert_int_equal(n, gl);
		assert_memory_equal(p, want, gl);	/* Ed25519 is deterministic */
		assert_int_equal(hs_buf_get_end(in), HS_OK);
		assert_int_equal(hs_key_verify(k, hs_buf_ptr(sig), hs_buf_len(sig), msg, ml, NULL),
		    HS_OK);
		assert_int_equal(hs_key_to_raw(k, &back), HS_OK);
		assert_int_equal(back.priv_len, 32);
		assert_memory_equal(back.priv, sec, 32);
		assert_memory_equal(back.pub, pub, 32);
		/* The wrong public half for this seed is refused. */
		raw.pub[0] ^= 1;
		assert_int_not_equal(hs_key_from_raw(&raw, &k2), HS_OK);
		hs_key_raw_wipe(&back);
		hs_buf_free(in);
		hs_buf_free(sig);
		hs_key_free(k);
		count++;
	}
	assert_int_equal(count, 3);
	vec_clear(&v);
	fclose(f);
}

static void
check_sign_verify(struct hs_key *k, enum hs_sig_alg alg, struct hs_key *other)
{
	static const uint8_t msg[] = "exchange hash H";
	struct hs_buf *sig = newbuf(), *bad;
	enum hs_sig_alg got;
	uint8_t *p;
	size_t n;

	assert_int_equal(hs_key_sign(k, alg, msg, sizeof(msg), sig), HS_OK);
	assert_int_equal(hs_key_verify(k, hs_buf_ptr(sig), hs_buf_len(sig), msg, sizeof(msg), &got),
	    HS_OK);
	assert_int_equal(got, alg);
	/* Other message. */
	assert_int_equal(hs_key_verify(k, hs_buf_ptr(sig), hs_buf_len(sig), msg, sizeof(msg) - 1,
	    NULL), HS_ERR_SIG);
	/* A flipped bit anywhere in the signature blob (after the name and length). */
	n = hs_buf_len(sig);
	p = malloc(n);
	for (size_t i = 4 + strlen(hs_sig_alg_name(alg)) + 4; i < n; i += 3) {
		memcpy(p, hs_buf_ptr(sig), n);
		p[i] ^= 0x04;
		assert_int_not_equal(hs_key_verify(k, p, n, msg, sizeof(msg), NULL), HS_OK);
	}
	/* Truncated, trailing. */
	assert_int_equal(hs_key_verify(k, hs_buf_ptr(sig), n - 1, msg, sizeof(msg), NULL),
	    HS_ERR_FORMAT);
	p = realloc(p, n + 1);
	memcpy(p, hs_buf_ptr(sig), n);
	p[n] = 0;
	assert_int_equal(hs_key_verify(k, p, n + 1, msg, sizeof(msg), NULL), HS_ERR_FORMAT);
	free(p);
	/* The same blob under another algorithm name is refused. */
	for (enum hs_sig_alg a = HS_SIG_ED25519; a <= HS_SIG_RSA_SHA1; a++) {
		if (a == alg)
			continue;
		bad = relabel(sig, hs_sig_alg_name(a));
		assert_int_equal(hs_key_verify(k, hs_buf_ptr(bad), hs_buf_len(bad), msg,
		    sizeof(msg),
		    NULL), HS_ERR_SIG);
		hs_buf_free(bad);
	}
	/* Another key of the same type does not accept it. */
	assert_int_equal(hs_key_verify(other, hs_buf_ptr(sig), hs_buf_len(sig), msg, sizeof(msg),
	    NULL), HS_ERR_SIG);
	hs_buf_free(sig);
}

static void
test_sign_verify_all(void **state)
{
	for (size_t i = 0; i < NTYPES; i++) {
		enum hs_sig_alg algs[4];
		size_t na = algs_for(all_types[i], algs);
		struct hs_key *other;
		struct hs_buf *sig = newbuf();

		assert_true(na >= 1);
		assert_int_equal(hs_key_type(gen[i]), all_types[i]);
		assert_string_equal(hs_key_provider(gen[i]), "soft");
		if (all_types[i] == HS_KEY_RSA) {
			assert_int_equal(na, 2);
			assert_int_equal(hs_key_bits(gen[i]), 2048);
			/* A second RSA key via from_raw of a modified copy is costly; use another
			 * type's key to check that cross-type verification is refused instead. */
			other = gen[0];
		} else {
			assert_int_equal(hs_key_generate(all_types[i], 0, &other), HS_OK);
		}
		for (size_t j = 0; j < na; j++)
			check_sign_verify(gen[i], algs[j], other);
		/* ssh-rsa (SHA-1) and algorithms of another key type are never produced. */
		assert_int_equal(hs_key_sign(gen[i], HS_SIG_RSA_SHA1, (const uint8_t *)"m", 1, sig),
		    HS_ERR_UNSUPPORTED);
		assert_int_equal(hs_key_sign(gen[i],
		    all_types[i] == HS_KEY_ED25519 ? HS_SIG_ECDSA_P256 :
		    HS_SIG_ED25519, (const uint8_t *)"m", 1, sig), HS_ERR_UNSUPPORTED);
		assert_int_equal(hs_buf_len(sig), 0);
		if (other != gen[0])
			hs_key_free(other);
		hs_buf_free(sig);
	}
	assert_int_equal(hs_key_bits(gen[1]), 256);
	assert_int_equal(hs_key_bits(gen[2]), 384);
	assert_int_equal(hs_key_bits(gen[3]), 521);
}

static void
test_public_only(void **state)
{
	for (size_t i = 0; i < NTYPES; i++) {
		struct hs_buf *b = blob_of(gen[i]), *sig = newbuf(), *b2;
		struct hs_key *pub;
		struct hs_key_raw raw;
		enum hs_sig_alg algs[4];

		assert_int_equal(hs_key_from_blob(hs_buf_ptr(b), hs_buf_len(b), &pub), HS_OK);
		assert_false(hs_key_has_private(pub));
		assert_true(hs_key_equal_public(pub, gen[i]));
		assert_false(hs_key_equal_public(pub, gen[(i + 1) % NTYPES]));
		assert_int_equal(hs_key_bits(pub), hs_key_bits(gen[i]));
		b2 = blob_of(pub);
		assert_int_equal(hs_buf_len(b2), hs_buf_len(b));
		assert_memory_equal(hs_buf_ptr(b2), hs_buf_ptr(b), hs_buf_len(b));
		algs_for(all_types[i], algs);
		/* A public-only key signs nothing but verifies what the private key signed. */
		assert_int_equal(hs_key_sign(pub, algs[0], (const uint8_t *)"m", 1, sig),
		    HS_ERR_UNSUPPORTED);
		assert_int_equal(hs_key_sign(gen[i], algs[0], (const uint8_t *)"m", 1, sig), HS_OK);
		assert_int_equal(hs_key_verify(pub, hs_buf_ptr(sig), hs_buf_len(sig),
		    (const uint8_t *)"m", 1, NULL), HS_OK);
		assert_int_equal(hs_key_to_raw(pub, &raw), HS_OK);
		assert_int_equal(raw.priv_len + raw.d_len, 0);
		hs_key_free(pub);
		hs_buf_free(b);
		hs_buf_free(b2);
		hs_buf_free(sig);
	}
}

static void
test_blob_strict(void **state)
{
	for (size_t i = 0; i < NTYPES; i++) {
		struct hs_buf *b = blob_of(gen[i]);
		size_t n = hs_buf_len(b);
		uint8_t *p = malloc(n + 1);
		struct hs_key *k;

		memcpy(p, hs_buf_ptr(b), n);
		for (size_t cut = 0; cut < n; cut++) {
			assert_int_not_equal(hs_key_from_blob(p, cut, &k), HS_OK);
			assert_null(k);
		}
		p[n] = 0;
		assert_int_equal(hs_key_from_blob(p, n + 1, &k), HS_ERR_TRAILING);
		assert_null(k);
		/* Flipped bits in the name, the lengths and the key material. */
		for (size_t j = 0; j < n; j++) {
			p[j] ^= 0x40;
			if (hs_key_from_blob(p, n, &k) == HS_OK) {
				/* Only a changed RSA modulus/exponent or an Ed25519 point that
				 * is still valid may parse, and then it is a different key. */
				assert_false(hs_key_equal_public(k, gen[i]));
				hs_key_free(k);
			}
			p[j] ^= 0x40;
		}
		free(p);
		hs_buf_free(b);
	}
}

static void
test_blob_invalid_points(void **state)
{
	struct hs_key_raw raw;
	struct hs_buf *b;
	struct hs_key *k;

	/* P-256: a point off the curve, the compressed form, and a name/curve mismatch. */
	assert_int_equal(hs_key_to_raw(gen[1], &raw), HS_OK);
	raw.priv_len = 0;
	raw.pub[64] ^= 1;
	b = newbuf();
	assert_int_equal(hs_soft_blob_from_raw(&raw, b), HS_OK);
	assert_int_equal(hs_key_from_blob(hs_buf_ptr(b), hs_buf_len(b), &k), HS_ERR_FORMAT);
	hs_buf_reset(b);
	raw.pub[64] ^= 1;
	raw.pub[0] = 0x02;
	raw.pub_len = 33;
	assert_int_equal(hs_soft_blob_from_raw(&raw, b), HS_OK);
	assert_int_equal(hs_key_from_blob(hs_buf_ptr(b), hs_buf_len(b), &k), HS_ERR_FORMAT);
	hs_buf_reset(b);
	assert_int_equal(hs_buf_put_cstring(b, "ecdsa-sha2-nistp256"), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, "nistp384"), HS_OK);
	assert_int_equal(hs_buf_put_string(b, raw.pub, 65), HS_OK);
	assert_int_equal(hs_key_from_blob(hs_buf_ptr(b), hs_buf_len(b), &k), HS_ERR_FORMAT);
	hs_buf_reset(b);
	/* Unknown type; ssh-dss is not supported. */
	assert_int_equal(hs_buf_put_cstring(b, "ssh-dss"), HS_OK);
	assert_int_equal(hs_key_from_blob(hs_buf_ptr(b), hs_buf_len(b), &k), HS_ERR_UNSUPPORTED);
	hs_buf_reset(b);
	/* RSA below 1024 bits, and an even modulus. */
	{
		uint8_t n[96];

		memset(n, 0xc5, sizeof(n));
		assert_int_equal(hs_buf_put_cstring(b, "ssh-rsa"), HS_OK);
		assert_int_equal(hs_buf_put_mpint(b, (const uint8_t *)"\x01\x00\x01", 3), HS_OK);
		assert_int_equal(hs_buf_put_mpint(b, n, sizeof(n)), HS_OK);
		assert_int_not_equal(hs_key_from_blob(hs_buf_ptr(b), hs_buf_len(b), &k), HS_OK);
	}
	hs_buf_free(b);
	hs_key_raw_wipe(&raw);
}

static void
test_raw_roundtrip(void **state)
{
	for (size_t i = 0; i < NTYPES; i++) {
		struct hs_key_raw raw, bad;
		struct hs_key *k;

		assert_int_equal(hs_key_to_raw(gen[i], &raw), HS_OK);
		assert_int_equal(raw.type, all_types[i]);
		assert_int_equal(hs_key_from_raw(&raw, &k), HS_OK);
		assert_true(hs_key_has_private(k));
		assert_true(hs_key_equal_public(k, gen[i]));
		hs_key_free(k);
		/* A private part that does not match the public one is refused. */
		bad = raw;
		if (all_types[i] == HS_KEY_RSA) {
			bad.p[bad.p_len - 1] ^= 2;	/* n != p*q */
			assert_int_not_equal(hs_key_from_raw(&bad, &k), HS_OK);
			bad = raw;
			bad.iqmp[bad.iqmp_len - 1] ^= 1;	/* iqmp != q^-1 mod p */
			assert_int_not_equal(hs_key_from_raw(&bad, &k), HS_OK);
			bad = raw;
			bad.d[bad.d_len - 1] ^= 2;	/* wrong d: the pairwise test fails */
			assert_int_not_equal(hs_key_from_raw(&bad, &k), HS_OK);
		} else {
			bad.priv[bad.priv_len - 1] ^= 1;
			assert_int_not_equal(hs_key_from_raw(&bad, &k), HS_OK);
		}
		assert_null(k);
		hs_key_raw_wipe(&raw);
		hs_key_raw_wipe(&bad);
	}
}

static void
test_generate_bounds(void **state)
{
	struct hs_key *k;

	assert_int_equal(hs_key_generate(HS_KEY_RSA, 1024, &k), HS_ERR_UNSUPPORTED);
	assert_int_equal(hs_key_generate(HS_KEY_RSA, 8192, &k), HS_ERR_UNSUPPORTED);
	assert_int_equal(hs_key_generate(HS_KEY_RSA, 2049, &k), HS_ERR_UNSUPPORTED);
	assert_int_equal(hs_key_generate(HS_KEY_UNKNOWN, 0, &k), HS_ERR_UNSUPPORTED);
	assert_null(k);
}

/* ---- Project Wycheproof (vectors/wycheproof/, converted by convert.py) ---- */

struct wy_count {
	int valid, invalid, acceptable;
};

static const char *wy_file;	/* for failure messages */

/* Check a result against the expectation: valid must pass, invalid must fail, acceptable may
 * go either way. */
static void
wy_check(const struct vec *v, hs_err r, struct wy_count *c)
{
	const char *res = vec_text(v, "result");

	if (strcmp(res, "valid") == 0) {
		if (r != HS_OK)
			fail_msg("%s tc %s: valid case refused (%d)", wy_file, vec_text(v, "tc"),
			    r);
		c->valid++;
	} else if (strcmp(res, "invalid") == 0) {
		if (r == HS_OK)
			fail_msg("%s tc %s: invalid case accepted", wy_file, vec_text(v, "tc"));
		c->invalid++;
	} else {
		c->acceptable++;
	}
}

/* An SSH signature (string name, string blob) from a raw blob. */
static struct hs_buf *
ssh_sig(const char *name, const uint8_t *blob, size_t len)
{
	struct hs_buf *b = newbuf();

	assert_int_equal(hs_buf_put_cstring(b, name), HS_OK);
	assert_int_equal(hs_buf_put_string(b, blob, len), HS_OK);
	return b;
}

static struct wy_count
wy_verify_file(const char *file, enum hs_key_type type, const char *alg)
{
	FILE *f = vec_open(file);
	struct vec v = { 0 };
	struct hs_key *k = NULL;
	struct wy_count c = { 0 };

	wy_file = file;
	while (vec_next(f, &v)) {
		struct hs_key_raw raw = { .type = type };
		struct hs_buf *inner, *sig;
		size_t ml, l1, l2;
		const uint8_t *msg;

		if (vec_has(&v, "pub") || vec_has(&v, "n")) {
			hs_key_free(k);
			if (type == HS_KEY_RSA) {
				const uint8_t *n = vec_get(&v, "n", &raw.n_len);
				const uint8_t *e = vec_get(&v, "e", &raw.e_len);

				assert_true(raw.n_len <= sizeof(raw.n) &&
				    raw.e_len <= sizeof(raw.e));
				memcpy(raw.n, n, raw.n_len);
				memcpy(raw.e, e, raw.e_len);
			} else {
				const uint8_t *pub = vec_get(&v, "pub", &raw.pub_len);

				assert_true(raw.pub_len <= sizeof(raw.pub));
				memcpy(raw.pub, pub, raw.pub_len);
			}
			assert_int_equal(hs_key_from_raw(&raw, &k), HS_OK);
			continue;
		}
		assert_non_null(k);
		msg = vec_get(&v, "msg", &ml);
		if (vec_has(&v, "r")) {
			const uint8_t *r = vec_get(&v, "r", &l1), *s = vec_get(&v, "s", &l2);

			/* The integers go in verbatim: non-minimal or negative ones must fail. */
			inner = newbuf();
			assert_int_equal(hs_buf_put_string(inner, r, l1), HS_OK);
			assert_int_equal(hs_buf_put_string(inner, s, l2), HS_OK);
			sig = ssh_sig(alg, hs_buf_ptr(inner), hs_buf_len(inner));
			hs_buf_free(inner);
		} else {
			const uint8_t *s = vec_get(&v, "sig", &l1);

			sig = ssh_sig(alg, s, l1);
		}
		wy_check(&v, hs_key_verify(k, hs_buf_ptr(sig), hs_buf_len(sig), msg, ml, NULL), &c);
		hs_buf_free(sig);
	}
	hs_key_free(k);
	vec_clear(&v);
	fclose(f);
	assert_true(c.valid > 0 && c.invalid > 0);
	return c;
}

static void
test_wycheproof_ecdsa(void **state)
{
	wy_verify_file("wycheproof/ecdsa_p256_p1363.txt", HS_KEY_ECDSA_P256, "ecdsa-sha2-nistp256");
	wy_verify_file("wycheproof/ecdsa_p256.txt", HS_KEY_ECDSA_P256, "ecdsa-sha2-nistp256");
	wy_verify_file("wycheproof/ecdsa_p384.txt", HS_KEY_ECDSA_P384, "ecdsa-sha2-nistp384");
	wy_verify_file("wycheproof/ecdsa_p521.txt", HS_KEY_ECDSA_P521, "ecdsa-sha2-nistp521");
}

static void
test_wycheproof_ed25519(void **state)
{
	wy_verify_file("wycheproof/ed25519.txt", HS_KEY_ED25519, "ssh-ed25519");
}

static void
test_wycheproof_rsa_verify(void **state)
{
	wy_verify_file("wycheproof/rsa_2048_sha256.txt", HS_KEY_RSA, "rsa-sha2-256");
	wy_verify_file("wycheproof/rsa_2048_sha512.txt", HS_KEY_RSA, "rsa-sha2-512");
	wy_verify_file("wycheproof/rsa_3072_sha256.txt", HS_KEY_RSA, "rsa-sha2-256");
	wy_verify_file("wycheproof/rsa_4096_sha512.txt", HS_KEY_RSA, "rsa-sha2-512");
}

/* PKCS#1 v1.5 signatures are deterministic: ours must equal Wycheproof's byte for byte. */
static void
test_wycheproof_rsa_sign(void **state)
{
	FILE *f = vec_open("wycheproof/rsa_3072_sign.txt");
	struct vec v = { 0 };
	struct hs_key *k = NULL;
	enum hs_sig_alg alg = HS_SIG_UNKNOWN;
	int count = 0;

	while (vec_next(f, &v)) {
		struct hs_key_raw raw = { .type = HS_KEY_RSA };
		struct hs_buf *sig, *want;
		const uint8_t *msg, *exp;
		size_t ml, el;

		if (vec_has(&v, "n")) {
			static const char *const f6[] = { "n", "e", "d", "p", "q", "iqmp" };
			uint8_t *dst[] = { raw.n, raw.e, raw.d, raw.p, raw.q, raw.iqmp };
			size_t *len[] = { &raw.n_len, &raw.e_len, &raw.d_len, &raw.p_len,
			    &raw.q_len, &raw.iqmp_len };

			for (int i = 0; i < 6; i++) {
				const uint8_t *src = vec_get(&v, f6[i], len[i]);

				size_t cap = i == 0 || i == 2 ? 512u : i == 1 ? 8u : 256u;

				assert_true(*len[i] <= cap);
				memcpy(dst[i], src, *len[i]);
			}
			hs_key_free(k);
			assert_int_equal(hs_key_from_raw(&raw, &k), HS_OK);
			alg = strcmp(vec_text(&v, "sha"), "SHA-256") == 0 ? HS_SIG_RSA_SHA256 :
			    HS_SIG_RSA_SHA512;
			hs_key_raw_wipe(&raw);
			continue;
		}
		if (strcmp(vec_text(&v, "result"), "valid") != 0)
			continue;	/* "short signature": RFC 8332 wants the modulus length */
		msg = vec_get(&v, "msg", &ml);
		exp = vec_get(&v, "sig", &el);
		sig = newbuf();
		assert_int_equal(hs_key_sign(k, alg, msg, ml, sig), HS_OK);
		want = ssh_sig(hs_sig_alg_name(alg), exp, el);
		assert_int_equal(hs_buf_len(sig), hs_buf_len(want));
		assert_memory_equal(hs_buf_ptr(sig), hs_buf_ptr(want), hs_buf_len(want));
		hs_buf_free(sig);
		hs_buf_free(want);
		count++;
	}
	assert_true(count >= 10);
	hs_key_free(k);
	vec_clear(&v);
	fclose(f);
}

/* ---- against OpenSSH's ssh-keygen ---- */

static char tmpdir[64];

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, 65535, f);
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

static void
spit(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

/* Public key from an OpenSSH .pub file: "type base64 comment". */
static struct hs_key *
load_pub(const char *path)
{
	char *text = slurp(path, NULL), *sp1 = strchr(text, ' '), *sp2;
	struct hs_buf *b = newbuf();
	struct hs_key *k;

	assert_non_null(sp1);
	sp2 = strchr(sp1 + 1, ' ');
	if (sp2 == NULL)
		sp2 = sp1 + strlen(sp1);
	assert_int_equal(hs_b64_decode(sp1 + 1, (size_t)(sp2 - sp1 - 1), b), HS_OK);
	assert_int_equal(hs_key_from_blob(hs_buf_ptr(b), hs_buf_len(b), &k), HS_OK);
	hs_buf_free(b);
	free(text);
	return k;
}

/* PROTOCOL.sshsig 3: the data the signature covers. */
static struct hs_buf *
sshsig_signed_data(const char *ns, const uint8_t *msg, size_t mlen)
{
	struct hs_buf *d = newbuf();
	uint8_t h[64];

	assert_int_equal(hs_hash(HS_HASH_SHA512, msg, mlen, h), HS_OK);
	assert_int_equal(hs_buf_put_bytes(d, "SSHSIG", 6), HS_OK);
	assert_int_equal(hs_buf_put_cstring(d, ns), HS_OK);
	assert_int_equal(hs_buf_put_cstring(d, ""), HS_OK);
	assert_int_equal(hs_buf_put_cstring(d, "sha512"), HS_OK);
	assert_int_equal(hs_buf_put_string(d, h, sizeof(h)), HS_OK);
	return d;
}

/* Armoured SSHSIG file -> the inner SSH signature (string alg, string blob). */
static struct hs_buf *
sshsig_parse(const char *path)
{
	char *text = slurp(path, NULL), *s, *e;
	struct hs_buf *raw = newbuf(), *sig = newbuf();
	const uint8_t *p;
	size_t n;
	uint32_t ver;

	s = strstr(text, "-----BEGIN SSH SIGNATURE-----");
	e = strstr(text, "-----END SSH SIGNATURE-----");
	assert_true(s != NULL && e != NULL);
	s += strlen("-----BEGIN SSH SIGNATURE-----");
	assert_int_equal(hs_b64_decode(s, (size_t)(e - s), raw), HS_OK);
	assert_int_equal(hs_buf_get_bytes_view(raw, 6, &p), HS_OK);
	assert_memory_equal(p, "SSHSIG", 6);
	assert_int_equal(hs_buf_get_u32(raw, &ver), HS_OK);
	assert_int_equal(ver, 1);
	for (int i = 0; i < 4; i++)	/* publickey, namespace, reserved, hash_algorithm */
		assert_int_equal(hs_buf_get_string(raw, &p, &n), HS_OK);
	assert_int_equal(hs_buf_get_stringb(raw, sig), HS_OK);
	assert_int_equal(hs_buf_get_end(raw), HS_OK);
	hs_buf_free(raw);
	free(text);
	return sig;
}

static void
sshsig_write(const char *path, const struct hs_key *k, const struct hs_buf *sig, const char *ns)
{
	struct hs_buf *raw = newbuf(), *pub = blob_of(k), *armour = newbuf();

	assert_int_equal(hs_buf_put_bytes(raw, "SSHSIG", 6), HS_OK);
	assert_int_equal(hs_buf_put_u32(raw, 1), HS_OK);
	assert_int_equal(hs_buf_put_stringb(raw, pub), HS_OK);
	assert_int_equal(hs_buf_put_cstring(raw, ns), HS_OK);
	assert_int_equal(hs_buf_put_cstring(raw, ""), HS_OK);
	assert_int_equal(hs_buf_put_cstring(raw, "sha512"), HS_OK);
	assert_int_equal(hs_buf_put_stringb(raw, sig), HS_OK);
	assert_int_equal(hs_buf_putf(armour, "-----BEGIN SSH SIGNATURE-----\n"), HS_OK);
	assert_int_equal(hs_b64_encode(hs_buf_ptr(raw), hs_buf_len(raw), true, armour), HS_OK);
	assert_int_equal(hs_buf_putf(armour, "\n-----END SSH SIGNATURE-----\n"), HS_OK);
	spit(path, hs_buf_ptr(armour), hs_buf_len(armour));
	hs_buf_free(raw);
	hs_buf_free(pub);
	hs_buf_free(armour);
}

struct ossh_type {
	const char *t;
	int bits;
	enum hs_key_type type;
};

static const struct ossh_type ossh_types[] = {
	{ "ed25519", 0, HS_KEY_ED25519 },
	{ "ecdsa", 256, HS_KEY_ECDSA_P256 },
	{ "ecdsa", 384, HS_KEY_ECDSA_P384 },
	{ "ecdsa", 521, HS_KEY_ECDSA_P521 },
	{ "rsa", 2048, HS_KEY_RSA },
	{ "rsa", 4096, HS_KEY_RSA },	/* wolfCrypt's RSA_MAX_SIZE */
};

static int
setup_openssh(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hs_test_keys.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(ossh_types) / sizeof(ossh_types[0]); i++) {
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t %s %s%d -N '' -C test -f %s/k%zu",
		    ossh_types[i].t, ossh_types[i].bits ? "-b " : "", ossh_types[i].bits, tmpdir,
		    i);
		if (ossh_types[i].bits == 0)
			snprintf(cmd, sizeof(cmd), "ssh-keygen -q -t %s -N '' -C test -f %s/k%zu",
			    ossh_types[i].t, tmpdir, i);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

static int
teardown_openssh(void **state)
{
	return tv_run("rm -rf %s", tmpdir) == 0 ? 0 : -1;
}

static void
test_openssh_fingerprint(void **state)
{
	for (size_t i = 0; i < sizeof(ossh_types) / sizeof(ossh_types[0]); i++) {
		char path[128], cmd[256], line[512], *fp, *want;
		struct hs_key *k;
		FILE *p;

		snprintf(path, sizeof(path), "%s/k%zu.pub", tmpdir, i);
		k = load_pub(path);
		assert_int_equal(hs_key_type(k), ossh_types[i].type);
		snprintf(cmd, sizeof(cmd), "ssh-keygen -l -f %s", path);
		assert_non_null(p = popen(cmd, "r"));
		assert_non_null(fgets(line, sizeof(line), p));
		pclose(p);
		/* "256 SHA256:xxxx test (ED25519)" */
		assert_int_equal(hs_key_fingerprint(k, &fp), HS_OK);
		want = strchr(line, ' ') + 1;
		*strchr(want, ' ') = '\0';
		assert_string_equal(fp, want);
		assert_int_equal((unsigned)atoi(line), hs_key_bits(k));
		assert_non_null(strstr(strchr(want + strlen(want) + 1, '('),
		    hs_key_type_short(hs_key_type(k))));
		free(fp);
		hs_key_free(k);
	}
}

/* ssh-keygen -Y sign, we verify. */
static void
test_openssh_signs(void **state)
{
	static const char msg[] = "message signed by OpenSSH\n";

	for (size_t i = 0; i < sizeof(ossh_types) / sizeof(ossh_types[0]); i++) {
		char path[128];
		struct hs_key *k;
		struct hs_buf *sig, *data;
		enum hs_sig_alg alg;

		snprintf(path, sizeof(path), "%s/m%zu", tmpdir, i);
		spit(path, msg, strlen(msg));
		tv_must_run("ssh-keygen -q -Y sign -f %s/k%zu -n hstest %s 2>/dev/null", tmpdir, i, path);
		snprintf(path, sizeof(path), "%s/k%zu.pub", tmpdir, i);
		k = load_pub(path);
		snprintf(path, sizeof(path), "%s/m%zu.sig", tmpdir, i);
		sig = sshsig_parse(path);
		data = sshsig_signed_data("hstest", (const uint8_t *)msg, strlen(msg));
		assert_int_equal(hs_key_verify(k, hs_buf_ptr(sig), hs_buf_len(sig),
		    hs_buf_ptr(data),
		    hs_buf_len(data), &alg), HS_OK);
		assert_int_equal(hs_sig_alg_key_type(alg), ossh_types[i].type);
		hs_buf_free(data);
		data = sshsig_signed_data("other", (const uint8_t *)msg, strlen(msg));
		assert_int_equal(hs_key_verify(k, hs_buf_ptr(sig), hs_buf_len(sig),
		    hs_buf_ptr(data),
		    hs_buf_len(data), NULL), HS_ERR_SIG);
		hs_buf_free(data);
		hs_buf_free(sig);
		hs_key_free(k);
	}
}

/* We sign (with the key loaded through hs_key_open), ssh-keygen -Y check-novalidate verifies. */
static void
test_we_sign_openssh_verifies(void **state)
{
	static const char msg[] = "message signed by hardssh\n";

	for (size_t i = 0; i < sizeof(ossh_types) / sizeof(ossh_types[0]); i++) {
		enum hs_sig_alg algs[4];
		size_t na = algs_for(ossh_types[i].type, algs);
		char path[128], *comment;
		struct hs_key *k, *pub;

		snprintf(path, sizeof(path), "%s/k%zu", tmpdir, i);
		assert_int_equal(hs_key_open(path, NULL, &k, &comment), HS_OK);
		assert_string_equal(comment, "test");
		free(comment);
		snprintf(path, sizeof(path), "%s/k%zu.pub", tmpdir, i);
		pub = load_pub(path);
		assert_true(hs_key_equal_public(k, pub));
		snprintf(path, sizeof(path), "%s/w%zu", tmpdir, i);
		spit(path, msg, strlen(msg));
		for (size_t j = 0; j < na; j++) {
			struct hs_buf *data = sshsig_signed_data("hstest", (const uint8_t *)msg,
			    strlen(msg));
			struct hs_buf *sig = newbuf();

			assert_int_equal(hs_key_sign(k, algs[j], hs_buf_ptr(data), hs_buf_len(data),
			    sig),
			    HS_OK);
			snprintf(path, sizeof(path), "%s/w%zu.sig", tmpdir, i);
			sshsig_write(path, k, sig, "hstest");
			tv_must_run("ssh-keygen -q -Y check-novalidate -n hstest -s %s < %s/w%zu "
			    ">/dev/null", path, tmpdir, i);
			/* And it fails for a different message. */
			{
				char cmd[512];

				snprintf(cmd, sizeof(cmd),
				    "ssh-keygen -q -Y check-novalidate -n hstest "
				    "-s %s/w%zu.sig < %s/k%zu.pub >/dev/null 2>&1", tmpdir, i,
				    tmpdir, i);
				assert_int_not_equal(system(cmd), 0);
			}
			hs_buf_free(data);
			hs_buf_free(sig);
		}
		hs_key_free(pub);
		hs_key_free(k);
	}
}

static void
count_provider(const struct hs_provider_ops *ops, void *arg)
{
	(*(int *)arg)++;
}

static void
test_key_open_routing(void **state)
{
	char path[128];
	struct hs_key *k = (void *)1;
	char *comment = (void *)1;
	int n = 0;

	assert_non_null(hs_provider_find("soft"));
	assert_string_equal(hs_provider_find("soft")->name, "soft");
	assert_null(hs_provider_find("nosuch"));
	hs_provider_foreach(count_provider, &n);
	assert_true(n >= 1);
	assert_int_equal(hs_provider_find("soft")->self_test(NULL), HS_OK);
	assert_int_equal(hs_key_open("foo:bar", NULL, &k, &comment), HS_ERR_UNSUPPORTED);
	assert_null(k);
	assert_null(comment);
	if (hs_provider_find("pkcs11") == NULL)
		assert_int_equal(hs_key_open("pkcs11:token=x;object=y", NULL, &k, NULL),
		    HS_ERR_UNSUPPORTED);
	if (hs_provider_find("tpm2") == NULL)
		assert_int_equal(hs_key_open("tpm2:handle=0x81000001", NULL, &k, NULL),
		    HS_ERR_UNSUPPORTED);
	snprintf(path, sizeof(path), "%s/does-not-exist", tmpdir);
	assert_int_equal(hs_key_open(path, NULL, &k, NULL), HS_ERR_NOT_FOUND);
	/* OpenSSH refuses a private key file others can read. */
	snprintf(path, sizeof(path), "%s/k0", tmpdir);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(hs_key_open(path, NULL, &k, NULL), HS_ERR_PERM);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(hs_key_open(path, NULL, &k, NULL), HS_OK);
	hs_key_free(k);
}

int
main(void)
{
	const struct CMUnitTest gen_tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_ed25519_rfc8032),
		cmocka_unit_test(test_sign_verify_all),
		cmocka_unit_test(test_public_only),
		cmocka_unit_test(test_blob_strict),
		cmocka_unit_test(test_blob_invalid_points),
		cmocka_unit_test(test_raw_roundtrip),
		cmocka_unit_test(test_generate_bounds),
		cmocka_unit_test(test_wycheproof_ecdsa),
		cmocka_unit_test(test_wycheproof_ed25519),
		cmocka_unit_test(test_wycheproof_rsa_verify),
		cmocka_unit_test(test_wycheproof_rsa_sign),
	};
	const struct CMUnitTest ossh_tests[] = {
		cmocka_unit_test(test_openssh_fingerprint),
		cmocka_unit_test(test_openssh_signs),
		cmocka_unit_test(test_we_sign_openssh_verifies),
		cmocka_unit_test(test_key_open_routing),
	};
	int r;

	r = cmocka_run_group_tests_name("keys", gen_tests, setup_keys, teardown_keys);
	r += cmocka_run_group_tests_name("openssh", ossh_tests, setup_openssh, teardown_openssh);
	return r;
}
