/* test_pkcs11.c: host keys in a PKCS#11 token (hw/provider_pkcs11.c, hw/pkcs11_*.c) against a real
 * softhsm2 token made for the run: opening by RFC 7512 URI, public blobs equal to what OpenSSH's
 * `ssh-keygen -D` reads from the same token, signatures that hs_key_verify accepts (and refuses
 * over other data), and the refusals: wrong PIN, unknown object or token, a PIN file others can
 * read. softhsm2 and opensc are in .ci/packages: without them this test fails, it does not skip.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "hs_key_impl.h"
#include "hs_pkcs11.h"
#include "hs_pkcs11_impl.h"
#include "hs_provider.h"
#include "testkey.h"
#include "testvec.h"

#define MODULE	TV_SOFTHSM_MODULE
#define PIN	TV_P11_PIN

static char dir[] = "/tmp/hs_p11_XXXXXX";
static char keygen_out[8192];	/* `ssh-keygen -D` output: "type base64 label" lines */

struct tkey {
	const char *label, *id, *keytype;
	enum hs_key_type type;
	enum hs_sig_alg algs[3];
	bool in_ssh_keygen;		/* OpenSSH 9.2's PKCS#11 code lists no Ed25519 keys */
};

static const struct tkey tkeys[] = {
	{ "ec256", "01", "EC:prime256v1", HS_KEY_ECDSA_P256, { HS_SIG_ECDSA_P256 }, true },
	{ "ec384", "02", "EC:secp384r1", HS_KEY_ECDSA_P384, { HS_SIG_ECDSA_P384 }, true },
	{ "rsa3072", "03", "rsa:3072", HS_KEY_RSA, { HS_SIG_RSA_SHA256, HS_SIG_RSA_SHA512 }, true },
	{ "ed25519", "04", "EC:edwards25519", HS_KEY_ED25519, { HS_SIG_ED25519 }, false },
};
#define NKEYS (sizeof(tkeys) / sizeof(tkeys[0]))

static int
setup_token(void **state)
{
	char path[256];
	FILE *f;
	size_t i, n;

	(void)state;
	if (tv_softhsm_token(dir, "hs-test", "test_pkcs11") != 0)
		return -1;
	for (i = 0; i < NKEYS; i++)
		if (tv_p11_keygen("hs-test", tkeys[i].label, tkeys[i].id, tkeys[i].keytype) != 0)
			return -1;
	tv_write_file(dir, "openpin", PIN "\n", 0644);
	snprintf(path, sizeof(path), "ssh-keygen -D " MODULE " 2>/dev/null");
	if ((f = popen(path, "r")) == NULL)
		return -1;
	n = fread(keygen_out, 1, sizeof(keygen_out) - 1, f);
	keygen_out[n] = '\0';
	return pclose(f) == 0 ? 0 : -1;
}

static int
teardown_token(void **state)
{
	(void)state;
	return tv_run("rm -rf %s", dir) == 0 ? 0 : -1;
}

static hs_err
open_uri(const char *path_attrs, const char *pinfile, struct hs_key **k)
{
	char uri[512];

	snprintf(uri, sizeof(uri), "pkcs11:%s?module-path=" MODULE "&pin-source=file:%s/%s",
	    path_attrs, dir, pinfile);
	return hs_key_open(uri, NULL, k, NULL);
}

/* "type base64" of ssh-keygen -D's line for label, compared with our key's public line. */
static void
assert_same_as_ssh_keygen(const struct hs_key *k, const char *label)
{
	char *ours = NULL, want[2048], *line, *end;
	size_t n = 0;

	assert_int_equal(hs_keyfile_public_line(k, NULL, &ours), HS_OK);
	for (line = keygen_out; line != NULL && *line != '\0'; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		n = end ? (size_t)(end - line) : strlen(line);
		if (n > strlen(label) + 1 && line[n - strlen(label) - 1] == ' ' &&
		    strncmp(line + n - strlen(label), label, strlen(label)) == 0)
			break;
	}
	assert_non_null(line);
	n -= strlen(label) + 1;
	assert_true(n < sizeof(want));
	memcpy(want, line, n);
	want[n] = '\0';
	ours[strcspn(ours, "\n")] = '\0';
	while (strlen(ours) > 0 && ours[strlen(ours) - 1] == ' ')
		ours[strlen(ours) - 1] = '\0';
	assert_string_equal(ours, want);	/* "type base64" */
	free(ours);
}

static void
check_key(const struct tkey *t, struct hs_key *k)
{
	tv_check_key_signs(k, "pkcs11", t->type, 0, t->algs, sizeof(t->algs) / sizeof(t->algs[0]));
}

static void
test_open_by_label(void **state)
{
	char attrs[128];
	struct hs_key *k;
	size_t i;

	(void)state;
	for (i = 0; i < NKEYS; i++) {
		snprintf(attrs, sizeof(attrs), "token=hs-test;object=%s", tkeys[i].label);
		assert_int_equal(open_uri(attrs, "pin", &k), HS_OK);
		check_key(&tkeys[i], k);
		if (tkeys[i].in_ssh_keygen)
			assert_same_as_ssh_keygen(k, tkeys[i].label);
		hs_key_free(k);
	}
}

/* By CKA_ID alone, and several keys of one module open at once (one shared module handle). */
static void
test_open_by_id_shared(void **state)
{
	struct hs_key *a, *b, *c;

	(void)state;
	assert_int_equal(open_uri("token=hs-test;id=%01", "pin", &a), HS_OK);
	assert_int_equal(open_uri("token=hs-test;id=%03;type=private", "pin", &b), HS_OK);
	assert_int_equal(open_uri("object=ec384", "pin", &c), HS_OK);
	assert_int_equal(hs_key_type(a), HS_KEY_ECDSA_P256);
	assert_int_equal(hs_key_type(b), HS_KEY_RSA);
	assert_int_equal(hs_key_bits(b), 3072);
	hs_key_free(b);
	check_key(&tkeys[0], a);	/* still usable after another key of the module is freed */
	check_key(&tkeys[1], c);
	hs_key_free(a);
	hs_key_free(c);
}

/* A session lost under the key (token reinserted, daemon restarted) is reopened once, with a new
 * login, and the signature still verifies; so after a logout behind our back. */
static void
test_session_lost(void **state)
{
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE other;
	struct hs_p11_key *pk;
	struct hs_key *k;
	char attrs[128];
	unsigned before;
	size_t i;

	(void)state;
	for (i = 0; i < NKEYS; i++) {
		snprintf(attrs, sizeof(attrs), "token=hs-test;object=%s", tkeys[i].label);
		assert_int_equal(open_uri(attrs, "pin", &k), HS_OK);
		pk = k->priv;
		f = pk->tok->mod->f;
		before = hs_pkcs11_login_count(false);
		assert_int_equal(f->C_CloseAllSessions(pk->tok->slot), CKR_OK);
		check_key(&tkeys[i], k);
		assert_int_equal(hs_pkcs11_login_count(false), before + 1);	/* logged in again */
		/* Logged out (every session of the application loses the login) behind our back. */
		assert_int_equal(f->C_OpenSession(pk->tok->slot, CKF_SERIAL_SESSION, NULL, NULL,
		    &other), CKR_OK);
		assert_int_equal(f->C_Logout(other), CKR_OK);
		assert_int_equal(f->C_CloseSession(other), CKR_OK);
		check_key(&tkeys[i], k);
		assert_int_equal(hs_pkcs11_login_count(false), before + 2);
		check_key(&tkeys[i], k);	/* and no more logins while nothing is lost */
		assert_int_equal(hs_pkcs11_login_count(false), before + 2);
		hs_key_free(k);
	}
}

static void
test_refusals(void **state)
{
	struct hs_key *k = (struct hs_key *)1;

	(void)state;
	assert_int_equal(open_uri("token=hs-test;object=ec256", "badpin", &k), HS_ERR_PERM);
	assert_null(k);
	assert_int_equal(open_uri("token=hs-test;object=ec256", "openpin", &k), HS_ERR_PERM);
	assert_int_equal(open_uri("token=hs-test;object=nosuchkey", "pin", &k), HS_ERR_NOT_FOUND);
	assert_int_equal(open_uri("token=hs-test;id=%7f", "pin", &k), HS_ERR_NOT_FOUND);
	assert_int_equal(open_uri("token=no-such-token;object=ec256", "pin", &k),
	    HS_ERR_NOT_FOUND);
	assert_int_equal(open_uri("token=hs-test;object=ec256", "missing-pin", &k),
	    HS_ERR_NOT_FOUND);
	assert_null(k);
	assert_int_not_equal(hs_key_open("pkcs11:token=hs-test;object=ec256?module-path="
	    "/nonexistent/module.so", NULL, &k, NULL), HS_OK);
	assert_int_not_equal(hs_key_open("pkcs11:token=hs-test;object=ec256", NULL, &k, NULL),
	    HS_OK);
	assert_null(k);
	/* The correct PIN still works after the wrong one (it was not retried into a lockout). */
	assert_int_equal(open_uri("token=hs-test;object=ec256", "pin", &k), HS_OK);
	hs_key_free(k);
}

/* module-name=: resolved through p11-kit's module files, by config name or by library name
 * (RFC 7512 2.3), never by turning the name into a path. */
static void
test_module_name(void **state)
{
	char mdir[256], uri[512], *path = NULL;
	const char *dirs[] = { mdir, NULL };
	struct hs_key *k = NULL;

	(void)state;
	snprintf(mdir, sizeof(mdir), "%s/modules", dir);
	assert_int_equal(tv_run("mkdir -p %s && printf '# test\\n  module: " MODULE "  \\n' "
	    ">%s/alpha.module && printf 'module: p11-kit-client.so\\n' >%s/rel.module && "
	    "printf 'critical: no\\nmodule:\\n' >%s/beta.module && "
	    "printf 'module: /x/libgamma.so\\n' >%s/gamma.conf", mdir, mdir, mdir, mdir, mdir), 0);
	assert_int_equal(hs_p11_module_lookup("alpha", dirs, &path), HS_OK);
	assert_string_equal(path, MODULE);
	free(path);
	assert_int_equal(hs_p11_module_lookup("softhsm2", dirs, &path), HS_OK);	/* libsofthsm2.so */
	assert_string_equal(path, MODULE);
	free(path);
	assert_int_equal(hs_p11_module_lookup("rel", dirs, &path), HS_OK);
	assert_non_null(strstr(path, "/pkcs11/p11-kit-client.so"));
	assert_true(path[0] == '/');
	free(path);
	assert_int_equal(hs_p11_module_lookup("beta", dirs, &path), HS_ERR_NOT_FOUND);
	assert_int_equal(hs_p11_module_lookup("gamma", dirs, &path), HS_ERR_NOT_FOUND);
	assert_int_equal(hs_p11_module_lookup("nosuch", dirs, &path), HS_ERR_NOT_FOUND);
	assert_int_equal(hs_p11_module_lookup("../alpha", dirs, &path), HS_ERR_CONFIG);
	assert_null(path);
	/* End to end, through Debian's /usr/share/p11-kit/modules/softhsm2.module. */
	snprintf(uri, sizeof(uri), "pkcs11:token=hs-test;object=ec256?module-name=softhsm2"
	    "&pin-source=file:%s/pin", dir);
	assert_int_equal(hs_key_open(uri, NULL, &k, NULL), HS_OK);
	check_key(&tkeys[0], k);
	hs_key_free(k);
	k = NULL;
	snprintf(uri, sizeof(uri), "pkcs11:token=hs-test;object=ec256?module-name=no-such-module"
	    "&pin-source=file:%s/pin", dir);
	assert_int_equal(hs_key_open(uri, NULL, &k, NULL), HS_ERR_CONFIG);
	assert_null(k);
}

/* softhsm2's own leaks (see testvec.h) */
TV_SOFTHSM_LSAN

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_by_label),
		cmocka_unit_test(test_open_by_id_shared),
		cmocka_unit_test(test_session_lost),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_module_name),
	};

	return cmocka_run_group_tests_name("pkcs11", tests, setup_token, teardown_token);
}
