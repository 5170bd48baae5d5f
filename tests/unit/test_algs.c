/* test_algs.c: algorithm tables, defaults and OpenSSH's list syntax (+, -, ^, wildcards). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "hs_algs.h"
#include "hs_mem.h"
#include "kex_impl.h"
#include "transport_impl.h"

static void
check_apply(enum hs_alg_family fam, const char *spec, const char *want)
{
	char *out = NULL, *bad = NULL;

	assert_int_equal(hs_algs_apply(fam, spec, &out, &bad), HS_OK);
	assert_null(bad);
	assert_string_equal(out, want);
	free(out);
}

static void
check_bad(enum hs_alg_family fam, const char *spec, const char *want_bad)
{
	char *out = NULL, *bad = NULL;

	assert_int_equal(hs_algs_apply(fam, spec, &out, &bad), HS_ERR_CONFIG);
	assert_null(out);
	if (want_bad != NULL) {
		assert_non_null(bad);
		assert_string_equal(bad, want_bad);
	}
	free(bad);
}

/* OpenSSH 9.2's default order, restricted to what we implement. */
static void
test_defaults(void **state)
{
	assert_string_equal(hs_algs_default(HS_ALGS_KEX),
	    "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,"
	    "ecdh-sha2-nistp521,diffie-hellman-group16-sha512,diffie-hellman-group14-sha256");
	assert_string_equal(hs_algs_default(HS_ALGS_CIPHER),
	    "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,"
	    "aes128-gcm@openssh.com,aes256-gcm@openssh.com");
	assert_string_equal(hs_algs_default(HS_ALGS_MAC),
	    "hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha2-256,"
	    "hmac-sha2-512");
	assert_string_equal(hs_algs_default(HS_ALGS_HOSTKEY),
	    "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,"
	    "rsa-sha2-512,rsa-sha2-256");
	/* Every default validates against its own table. */
	for (int f = HS_ALGS_KEX; f <= HS_ALGS_HOSTKEY; f++)
		assert_int_equal(hs_algs_validate(f, hs_algs_default(f), NULL), HS_OK);
	check_apply(HS_ALGS_MAC, NULL, hs_algs_default(HS_ALGS_MAC));
	check_apply(HS_ALGS_MAC, "", hs_algs_default(HS_ALGS_MAC));
}

static void
test_syntax(void **state)
{
	check_apply(HS_ALGS_CIPHER, "aes256-ctr,aes128-ctr", "aes256-ctr,aes128-ctr");
	check_apply(HS_ALGS_CIPHER, "aes*-ctr", "aes128-ctr,aes192-ctr,aes256-ctr");
	check_apply(HS_ALGS_CIPHER, "aes1?8-ctr", "aes128-ctr");
	check_apply(HS_ALGS_CIPHER, "-chacha*,aes192-ctr",
	    "aes128-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com");
	check_apply(HS_ALGS_CIPHER, "-nonexistent*", hs_algs_default(HS_ALGS_CIPHER));
	check_apply(HS_ALGS_CIPHER, "^aes256-gcm@openssh.com",
	    "aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,"
	    "aes256-ctr,aes128-gcm@openssh.com");
	check_apply(HS_ALGS_CIPHER, "+aes128-ctr", hs_algs_default(HS_ALGS_CIPHER));
	check_apply(HS_ALGS_KEX, "-*sha256*",
	    "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
	    "diffie-hellman-group16-sha512");
	check_apply(HS_ALGS_HOSTKEY, "rsa-sha2-256,ssh-ed25519", "rsa-sha2-256,ssh-ed25519");
	check_apply(HS_ALGS_MAC, "hmac-sha2-256,hmac-sha2-256", "hmac-sha2-256");
	check_apply(HS_ALGS_MAC, "^hmac-sha2-512,hmac-sha2-256",
	    "hmac-sha2-512,hmac-sha2-256,hmac-sha2-256-etm@openssh.com,"
	    "hmac-sha2-512-etm@openssh.com");
	check_bad(HS_ALGS_CIPHER, "aes128-cbc", "aes128-cbc");
	check_bad(HS_ALGS_CIPHER, "+3des-cbc", "3des-cbc");
	check_bad(HS_ALGS_CIPHER, "^blowfish", "blowfish");
	check_bad(HS_ALGS_MAC, "hmac-md5*", "hmac-md5*");
	check_bad(HS_ALGS_KEX, "diffie-hellman-group1-sha1", "diffie-hellman-group1-sha1");
	check_bad(HS_ALGS_HOSTKEY, "ssh-rsa", "ssh-rsa");
	check_bad(HS_ALGS_CIPHER, "aes128-ctr,,aes256-ctr", NULL);
	/* Removing everything leaves nothing to negotiate. */
	check_bad(HS_ALGS_MAC, "-*", NULL);
}

static void
test_list_has_and_match(void **state)
{
	assert_true(hs_algs_list_has("a,bb,ccc", "bb", 2));
	assert_true(hs_algs_list_has("a,bb,ccc", "ccc", 3));
	assert_false(hs_algs_list_has("a,bb,ccc", "b", 1));
	assert_false(hs_algs_list_has("a,bb,ccc", "cc", 2));
	assert_false(hs_algs_list_has("", "a", 1));
	assert_false(hs_algs_list_has(NULL, "a", 1));
	assert_true(hs_algs_match("*", "anything", 8));
	assert_true(hs_algs_match("a*c", "abbbc", 5));
	assert_false(hs_algs_match("a*c", "abbbd", 5));
	assert_true(hs_algs_match("a?c", "abc", 3));
	assert_false(hs_algs_match("a?c", "ac", 2));
	/* Many stars against a long near-miss: the fuzzer once made a recursive matcher run for
	 * minutes on this shape; the iterative one answers in at most len(p) * len(s) steps. */
	{
		char pat[256], name[200];

		for (size_t i = 0; i < sizeof(pat) - 2; i++)
			pat[i] = '*';
		pat[sizeof(pat) - 2] = 'x';
		pat[sizeof(pat) - 1] = '\0';
		memset(name, 'a', sizeof(name));
		assert_false(hs_algs_match(pat, name, sizeof(name)));
		name[sizeof(name) - 1] = 'x';
		assert_true(hs_algs_match(pat, name, sizeof(name)));
	}
}

static void
test_lookup(void **state)
{
	const struct hs_cipher_alg *c;
	const struct hs_mac_alg *m;
	const struct hs_kex_alg *k;

	c = hs_algs_cipher_find("aes256-gcm@openssh.com", 22);
	assert_non_null(c);
	assert_true(c->aead);
	assert_int_equal(c->id, HS_CIPHER_AES256_GCM);
	c = hs_algs_cipher_find("aes128-ctr", 10);
	assert_non_null(c);
	assert_false(c->aead);
	assert_null(hs_algs_cipher_find("aes128-ct", 9));
	m = hs_algs_mac_find("hmac-sha2-512-etm@openssh.com", 29);
	assert_non_null(m);
	assert_true(m->etm);
	assert_int_equal(m->key_len, 64);
	k = hs_kex_alg_find("ecdh-sha2-nistp384", 18);
	assert_non_null(k);
	assert_int_equal(k->hash, HS_HASH_SHA384);
	assert_ptr_equal(k->ops, &hs_kex_ecdh_ops);
	k = hs_kex_alg_find("diffie-hellman-group16-sha512", 29);
	assert_non_null(k);
	assert_ptr_equal(k->ops, &hs_kex_dh_ops);
	assert_null(hs_kex_alg_find("ext-info-c", 10));
	assert_non_null(hs_algs_hostkey_find("rsa-sha2-512", 12));
	assert_null(hs_algs_hostkey_find("ssh-rsa", 7));
}

static void
test_print(void **state)
{
	char buf[4096];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	assert_non_null(f);
	hs_algs_print(HS_ALGS_MAC, f);
	fclose(f);
	assert_string_equal(buf, "hmac-sha2-256-etm@openssh.com\nhmac-sha2-512-etm@openssh.com\n"
	    "hmac-sha2-256\nhmac-sha2-512\n");
}

/* FIPS mode (issue 6): the approved table, defaults reduced in default order, configured lists
 * checked and the first non-approved name reported. */
static void
test_fips(void **state)
{
	char *l = NULL, *bad = NULL;

	assert_true(hs_algs_fips_approved(HS_ALGS_KEX, "ecdh-sha2-nistp256"));
	assert_true(hs_algs_fips_approved(HS_ALGS_KEX, "diffie-hellman-group14-sha256"));
	assert_false(hs_algs_fips_approved(HS_ALGS_KEX, "curve25519-sha256"));
	assert_false(hs_algs_fips_approved(HS_ALGS_KEX, "aes128-ctr"));	/* wrong family */
	assert_true(hs_algs_fips_approved(HS_ALGS_CIPHER, "aes256-gcm@openssh.com"));
	assert_false(hs_algs_fips_approved(HS_ALGS_CIPHER, "chacha20-poly1305@openssh.com"));
	assert_false(hs_algs_fips_approved(HS_ALGS_CIPHER, "aes192-ctr"));
	assert_true(hs_algs_fips_approved(HS_ALGS_MAC, "hmac-sha2-512-etm@openssh.com"));
	assert_true(hs_algs_fips_approved(HS_ALGS_HOSTKEY, "rsa-sha2-256"));
	assert_false(hs_algs_fips_approved(HS_ALGS_HOSTKEY, "ssh-ed25519"));
	assert_false(hs_algs_fips_approved(HS_ALGS_HOSTKEY, NULL));
	assert_true(hs_algs_fips_approved_n(HS_ALGS_KEX, "ecdh-sha2-nistp384,x", 18));

	assert_int_equal(hs_algs_fips_list(HS_ALGS_CIPHER, &l, false, &bad), HS_OK);
	assert_string_equal(l, "aes128-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com");
	assert_null(bad);
	free(l);
	l = NULL;
	assert_int_equal(hs_algs_fips_list(HS_ALGS_KEX, &l, false, NULL), HS_OK);
	assert_string_equal(l, "ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
	    "diffie-hellman-group16-sha512,diffie-hellman-group14-sha256");
	free(l);
	l = NULL;
	assert_int_equal(hs_algs_fips_list(HS_ALGS_HOSTKEY, &l, false, NULL), HS_OK);
	assert_null(strstr(l, "ed25519"));
	free(l);

	l = hs_strdup("aes256-ctr,aes128-gcm@openssh.com");
	assert_int_equal(hs_algs_fips_list(HS_ALGS_CIPHER, &l, true, &bad), HS_OK);
	assert_string_equal(l, "aes256-ctr,aes128-gcm@openssh.com");
	free(l);
	l = hs_strdup("aes256-ctr,chacha20-poly1305@openssh.com,aes192-ctr");
	assert_int_equal(hs_algs_fips_list(HS_ALGS_CIPHER, &l, true, &bad), HS_ERR_CONFIG);
	assert_string_equal(bad, "chacha20-poly1305@openssh.com");
	assert_string_equal(l, "aes256-ctr,chacha20-poly1305@openssh.com,aes192-ctr");
	free(bad);
	free(l);
	l = hs_strdup("curve25519-sha256");
	assert_int_equal(hs_algs_fips_list(HS_ALGS_KEX, &l, true, &bad), HS_ERR_CONFIG);
	assert_string_equal(bad, "curve25519-sha256");
	free(bad);
	free(l);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_list_has_and_match),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_print),
		cmocka_unit_test(test_fips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
