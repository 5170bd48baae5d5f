/* test_pkcs11_uri.c: RFC 7512 PKCS#11 URIs (hw/hs_pkcs11_uri.h): the RFC's section 7 examples,
 * every refusal the header lists, truncation at every byte, format/parse round trips, and the
 * PIN file checks on real files in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "testvec.h"

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_pkcs11_uri.h"
#include "../fuzz/fuzz_util.h"

/* Log lines go to this file, so that each refusal can be seen to log its reason. */
static char logpath[64];

static long
log_size(void)
{
	struct stat st;

	assert_int_equal(stat(logpath, &st), 0);
	return (long)st.st_size;
}

/* The whole log so far (static buffer). */
static const char *
log_text(void)
{
	return tv_read_text(logpath);
}

static void
expect_refused(const char *s, hs_err want)
{
	struct hs_p11uri u;
	long before = log_size();

	assert_int_equal(hs_p11uri_parse(s, &u), want);
	/* Every refusal says why. */
	assert_true(log_size() > before);
	/* On failure *out holds nothing. */
	assert_null(u.token);
	assert_null(u.id);
	assert_null(u.module_path);
	assert_false(u.has_id);
}

/* ---- RFC 7512 section 7 examples (joined where the RFC breaks them across lines) ---- */

static void
test_rfc_empty_and_simple(void **state)
{
	struct hs_p11uri u;

	assert_int_equal(hs_p11uri_parse("pkcs11:", &u), HS_OK);
	assert_null(u.token);
	assert_null(u.object);
	assert_false(u.has_id);
	assert_false(u.has_slot_id);
	assert_int_equal(u.type, HS_P11URI_ANY);
	hs_p11uri_free(&u);

	assert_int_equal(hs_p11uri_parse("pkcs11:object=my-pubkey;type=public", &u), HS_OK);
	assert_string_equal(u.object, "my-pubkey");
	assert_int_equal(u.type, HS_P11URI_PUBLIC);
	hs_p11uri_free(&u);

	assert_int_equal(hs_p11uri_parse("pkcs11:object=my-key;type=private?"
	    "pin-source=file:/etc/token", &u), HS_OK);
	assert_string_equal(u.object, "my-key");
	assert_int_equal(u.type, HS_P11URI_PRIVATE);
	assert_string_equal(u.pin_source, "file:/etc/token");
	hs_p11uri_free(&u);
	/* hs_p11uri_free zeroes the struct and is NULL-safe. */
	assert_null(u.object);
	hs_p11uri_free(NULL);
}

static void
test_rfc_softtoken_cert(void **state)
{
	static const uint8_t id[] = { 0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91 };
	struct hs_p11uri u;

	assert_int_equal(hs_p11uri_parse("pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;"
	    "manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;"
	    "id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin", &u), HS_OK);
	assert_string_equal(u.token, "The Software PKCS#11 Softtoken");
	assert_string_equal(u.manufacturer, "Snake Oil, Inc.");
	assert_string_equal(u.model, "1.0");
	assert_string_equal(u.object, "my-certificate");
	assert_int_equal(u.type, HS_P11URI_CERT);
	assert_true(u.has_id);
	assert_int_equal(u.id_len, sizeof(id));
	assert_memory_equal(u.id, id, sizeof(id));
	/* "serial=" is present and empty, which is not the same as absent. */
	assert_non_null(u.serial);
	assert_string_equal(u.serial, "");
	assert_string_equal(u.pin_source, "file:/etc/token_pin");
	assert_null(u.module_path);
	hs_p11uri_free(&u);
}

static void
test_rfc_modules(void **state)
{
	struct hs_p11uri u;

	assert_int_equal(hs_p11uri_parse("pkcs11:object=my-sign-key;type=private?"
	    "module-name=mypkcs11", &u), HS_OK);
	assert_string_equal(u.object, "my-sign-key");
	assert_int_equal(u.type, HS_P11URI_PRIVATE);
	assert_string_equal(u.module_name, "mypkcs11");
	assert_null(u.module_path);
	hs_p11uri_free(&u);

	assert_int_equal(hs_p11uri_parse("pkcs11:object=my-sign-key;type=private?"
	    "module-path=/mnt/libmypkcs11.so.1", &u), HS_OK);
	assert_string_equal(u.module_path, "/mnt/libmypkcs11.so.1");
	assert_null(u.module_name);
	hs_p11uri_free(&u);
}

static void
test_rfc_slot_and_library(void **state)
{
	struct hs_p11uri u;

	assert_int_equal(hs_p11uri_parse("pkcs11:slot-description=Sun%20Metaslot", &u), HS_OK);
	assert_string_equal(u.slot_description, "Sun Metaslot");
	hs_p11uri_free(&u);

	assert_int_equal(hs_p11uri_parse("pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;"
	    "library-description=Soft%20Token%20Library;library-version=1.23", &u), HS_OK);
	assert_string_equal(u.lib_manufacturer, "Snake Oil, Inc.");
	assert_string_equal(u.lib_description, "Soft Token Library");
	assert_string_equal(u.lib_version, "1.23");
	hs_p11uri_free(&u);
}

static void
test_rfc_escapes(void **state)
{
	static const uint8_t id[] = { 1, 2, 3, 0xba, 0xdd, 0xca, 0xfe, 4, 5, 6 };
	struct hs_p11uri u;

	/* Mixed-case hex digits in the id. */
	assert_int_equal(hs_p11uri_parse("pkcs11:token=My%20token%25%20created%20by%20Joe;"
	    "library-version=3;id=%01%02%03%Ba%dd%Ca%fe%04%05%06", &u), HS_OK);
	assert_string_equal(u.token, "My token% created by Joe");
	assert_string_equal(u.lib_version, "3");
	assert_int_equal(u.id_len, sizeof(id));
	assert_memory_equal(u.id, id, sizeof(id));
	hs_p11uri_free(&u);

	assert_int_equal(hs_p11uri_parse("pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;"
	    "object=my-certificate;type=cert", &u), HS_OK);
	assert_string_equal(u.token, "A name with a substring %;");
	assert_string_equal(u.object, "my-certificate");
	assert_int_equal(u.type, HS_P11URI_CERT);
	hs_p11uri_free(&u);

	assert_int_equal(hs_p11uri_parse("pkcs11:token=Name%20with%20a%20small%20A%20with%20"
	    "acute:%20%C3%A1;object=my-certificate;type=cert", &u), HS_OK);
	assert_string_equal(u.token, "Name with a small A with acute: \xc3\xa1");
	hs_p11uri_free(&u);
}

/* Two RFC 7512 section 7 examples that hardssh refuses on purpose (header contract): the PIN in
 * the URI, and a vendor path attribute without the "x-" prefix. */
static void
test_rfc_examples_refused_by_policy(void **state)
{
	struct hs_p11uri u;

	expect_refused("pkcs11:token=Software%20PKCS%2311%20softtoken;"
	    "manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin", HS_ERR_FORMAT);
	expect_refused("pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a"
	    "?pin-source=file:/etc/token_pin&vendor-bbb=value-b", HS_ERR_FORMAT);
	/* The same with an "x-" vendor path attribute parses; the unknown query one is ignored. */
	assert_int_equal(hs_p11uri_parse("pkcs11:token=my-token;object=my-certificate;type=cert;"
	    "x-vendor-aaa=value-a?pin-source=file:/etc/token_pin&vendor-bbb=value-b", &u), HS_OK);
	assert_string_equal(u.token, "my-token");
	assert_string_equal(u.object, "my-certificate");
	assert_int_equal(u.type, HS_P11URI_CERT);
	assert_string_equal(u.pin_source, "file:/etc/token_pin");
	hs_p11uri_free(&u);
}

static void
test_scheme_case(void **state)
{
	struct hs_p11uri u;

	assert_true(hs_p11uri_is("pkcs11:"));
	assert_true(hs_p11uri_is("PKCS11:token=a"));
	assert_true(hs_p11uri_is("Pkcs11:"));
	assert_false(hs_p11uri_is("pkcs11"));
	assert_false(hs_p11uri_is("/etc/ssh/ssh_host_ed25519_key"));
	assert_false(hs_p11uri_is("tpm2:handle=0x81000001"));
	assert_false(hs_p11uri_is(NULL));
	assert_int_equal(hs_p11uri_parse("PKCS11:object=k;type=private", &u), HS_OK);
	assert_string_equal(u.object, "k");
	hs_p11uri_free(&u);
	assert_int_equal(hs_p11uri_parse("pKcS11:", &u), HS_OK);
	hs_p11uri_free(&u);
}

static void
test_id_with_nul(void **state)
{
	static const uint8_t id[] = { 0x01, 0x02, 0x00, 0xff };
	struct hs_p11uri u;

	assert_int_equal(hs_p11uri_parse("pkcs11:id=%01%02%00%ff", &u), HS_OK);
	assert_true(u.has_id);
	assert_int_equal(u.id_len, 4);
	assert_memory_equal(u.id, id, 4);
	hs_p11uri_free(&u);
	/* An empty id is a value, not an absence. */
	assert_int_equal(hs_p11uri_parse("pkcs11:id=", &u), HS_OK);
	assert_true(u.has_id);
	assert_int_equal(u.id_len, 0);
	hs_p11uri_free(&u);
}

/* ---- every refusal of the header, one test each ---- */

static void
test_refuse_scheme(void **state)
{
	expect_refused("file:/etc/ssh/key", HS_ERR_FORMAT);
	expect_refused("pkcs11", HS_ERR_FORMAT);
	expect_refused("pkcs12:token=a", HS_ERR_FORMAT);
	expect_refused(" pkcs11:token=a", HS_ERR_FORMAT);
	expect_refused("", HS_ERR_FORMAT);
}

static void
test_refuse_empty_name(void **state)
{
	expect_refused("pkcs11:=a", HS_ERR_FORMAT);
	expect_refused("pkcs11:token=a;=b", HS_ERR_FORMAT);
	expect_refused("pkcs11:token=a;", HS_ERR_FORMAT);
	expect_refused("pkcs11:token=a;;object=b", HS_ERR_FORMAT);
	expect_refused("pkcs11:?=b", HS_ERR_FORMAT);
	expect_refused("pkcs11:?module-name=a&", HS_ERR_FORMAT);
	/* A name without "=value". */
	expect_refused("pkcs11:token", HS_ERR_FORMAT);
}

static void
test_refuse_twice(void **state)
{
	expect_refused("pkcs11:token=a;token=a", HS_ERR_FORMAT);
	expect_refused("pkcs11:id=%01;object=x;id=%01", HS_ERR_FORMAT);
	expect_refused("pkcs11:type=private;type=public", HS_ERR_FORMAT);
	expect_refused("pkcs11:slot-id=1;slot-id=2", HS_ERR_FORMAT);
	expect_refused("pkcs11:?module-name=a&module-name=b", HS_ERR_FORMAT);
	expect_refused("pkcs11:?pin-source=/a&pin-source=/a", HS_ERR_FORMAT);
}

static void
test_refuse_unknown_path_attr(void **state)
{
	struct hs_p11uri u;

	expect_refused("pkcs11:colour=red", HS_ERR_FORMAT);
	expect_refused("pkcs11:Token=a", HS_ERR_FORMAT);
	/* Query attribute names are not path attributes. */
	expect_refused("pkcs11:module-path=/usr/lib/x.so", HS_ERR_FORMAT);
	/* Vendor "x-" path attributes and unknown query attributes are ignored. */
	assert_int_equal(hs_p11uri_parse("pkcs11:x-colour=red;object=k?colour=blue&token=t", &u),
	    HS_OK);
	assert_string_equal(u.object, "k");
	assert_null(u.token);
	hs_p11uri_free(&u);
}

static void
test_refuse_bad_escape(void **state)
{
	expect_refused("pkcs11:token=a%", HS_ERR_FORMAT);
	expect_refused("pkcs11:token=a%4", HS_ERR_FORMAT);
	expect_refused("pkcs11:token=a%4;object=b", HS_ERR_FORMAT);
	expect_refused("pkcs11:token=%zz", HS_ERR_FORMAT);
	expect_refused("pkcs11:token=%g0", HS_ERR_FORMAT);
	expect_refused("pkcs11:id=%0", HS_ERR_FORMAT);
	expect_refused("pkcs11:?module-name=%+1", HS_ERR_FORMAT);
	/* Even in an attribute that is otherwise ignored. */
	expect_refused("pkcs11:x-vendor=%q1", HS_ERR_FORMAT);
	expect_refused("pkcs11:?vendor=%1", HS_ERR_FORMAT);
}

static void
test_refuse_nul_in_text(void **state)
{
	expect_refused("pkcs11:token=a%00b", HS_ERR_FORMAT);
	expect_refused("pkcs11:object=%00", HS_ERR_FORMAT);
	expect_refused("pkcs11:?pin-source=/etc/pin%00.txt", HS_ERR_FORMAT);
	expect_refused("pkcs11:?module-path=/usr/lib/a.so%00/evil.so", HS_ERR_FORMAT);
}

static void
test_refuse_pin_value(void **state)
{
	expect_refused("pkcs11:object=k?pin-value=1234", HS_ERR_FORMAT);
	expect_refused("pkcs11:?pin-value=", HS_ERR_FORMAT);
	expect_refused("pkcs11:?pin-source=file:/p&pin-value=1234", HS_ERR_FORMAT);
	/* The reason names the attribute but never the PIN. */
	expect_refused("pkcs11:?pin-value=Zq9-secret-pin", HS_ERR_FORMAT);
	assert_non_null(strstr(log_text(), "pin-value"));
	assert_null(strstr(log_text(), "Zq9-secret-pin"));
}

static void
test_refuse_module_path(void **state)
{
	struct hs_p11uri u;

	expect_refused("pkcs11:?module-path=libsofthsm2.so", HS_ERR_FORMAT);
	expect_refused("pkcs11:?module-path=./libsofthsm2.so", HS_ERR_FORMAT);
	expect_refused("pkcs11:?module-path=", HS_ERR_FORMAT);
	/* Percent-encoded "/" is still absolute after decoding. */
	assert_int_equal(hs_p11uri_parse("pkcs11:?module-path=%2Fusr%2Flib%2Fx.so", &u), HS_OK);
	assert_string_equal(u.module_path, "/usr/lib/x.so");
	hs_p11uri_free(&u);
}

static void
test_refuse_slot_id(void **state)
{
	struct hs_p11uri u;

	expect_refused("pkcs11:slot-id=", HS_ERR_FORMAT);
	expect_refused("pkcs11:slot-id=abc", HS_ERR_FORMAT);
	expect_refused("pkcs11:slot-id=-1", HS_ERR_FORMAT);
	expect_refused("pkcs11:slot-id=+1", HS_ERR_FORMAT);
	expect_refused("pkcs11:slot-id=0x10", HS_ERR_FORMAT);
	expect_refused("pkcs11:slot-id=1%20", HS_ERR_FORMAT);
	expect_refused("pkcs11:slot-id=18446744073709551616", HS_ERR_FORMAT);
	expect_refused("pkcs11:slot-id=99999999999999999999999", HS_ERR_FORMAT);
	assert_int_equal(hs_p11uri_parse("pkcs11:slot-id=0", &u), HS_OK);
	assert_true(u.has_slot_id);
	assert_int_equal(u.slot_id, 0);
	hs_p11uri_free(&u);
	assert_int_equal(hs_p11uri_parse("pkcs11:slot-id=18446744073709551615", &u), HS_OK);
	assert_true(u.slot_id == 18446744073709551615UL);
	hs_p11uri_free(&u);
}

static void
test_refuse_type(void **state)
{
	struct hs_p11uri u;

	expect_refused("pkcs11:type=", HS_ERR_FORMAT);
	expect_refused("pkcs11:type=key", HS_ERR_FORMAT);
	expect_refused("pkcs11:type=Private", HS_ERR_FORMAT);
	expect_refused("pkcs11:type=privatekey", HS_ERR_FORMAT);
	expect_refused("pkcs11:type=priv", HS_ERR_FORMAT);
	assert_int_equal(hs_p11uri_parse("pkcs11:type=secret-key", &u), HS_OK);
	assert_int_equal(u.type, HS_P11URI_SECRET_KEY);
	hs_p11uri_free(&u);
	assert_int_equal(hs_p11uri_parse("pkcs11:type=data", &u), HS_OK);
	assert_int_equal(u.type, HS_P11URI_DATA);
	hs_p11uri_free(&u);
}

static void
test_refuse_too_large(void **state)
{
	char *s = malloc(HS_P11URI_MAX + 2);
	struct hs_p11uri u;

	assert_non_null(s);
	memcpy(s, "pkcs11:object=", 14);
	memset(s + 14, 'a', HS_P11URI_MAX + 1 - 14);
	s[HS_P11URI_MAX + 1] = '\0';
	expect_refused(s, HS_ERR_TOO_LARGE);
	/* Exactly HS_P11URI_MAX bytes is accepted. */
	s[HS_P11URI_MAX] = '\0';
	assert_int_equal(hs_p11uri_parse(s, &u), HS_OK);
	assert_int_equal(strlen(u.object), HS_P11URI_MAX - 14);
	hs_p11uri_free(&u);
	free(s);
}

/* Every prefix of a long valid URI either parses or is refused as malformed (ASan watches). */
static void
test_truncation(void **state)
{
	static const char full[] = "pkcs11:token=My%20HSM;manufacturer=Snake%20Oil,%20Inc.;"
	    "serial=0123456789abcdef;model=SoftHSM%20v2;library-manufacturer=OpenDNSSEC;"
	    "library-description=Soft%20lib;library-version=2.6;slot-id=1234567;"
	    "slot-description=Slot%20%231;slot-manufacturer=Acme;object=host-ecdsa;"
	    "id=%01%02%00%ff%A0;type=private;x-vendor=v"
	    "?module-path=/usr/lib/softhsm/libsofthsm2.so&module-name=softhsm2"
	    "&pin-source=file:/etc/hardssh/pin&x-q=1";
	size_t i, n = strlen(full), ok = 0;
	struct hs_p11uri u;
	char *s;
	hs_err r;

	/* About 300 refusals: keep their log lines out of the test output. */
	hs_log_set_level(HS_LOG_QUIET);
	for (i = 0; i <= n; i++) {
		s = strndup(full, i);
		assert_non_null(s);
		r = hs_p11uri_parse(s, &u);
		assert_true(r == HS_OK || r == HS_ERR_FORMAT);
		if (r == HS_OK) {
			ok++;
			hs_p11uri_free(&u);
		}
		free(s);
	}
	hs_log_set_level(HS_LOG_ERROR);
	/* The whole URI and several prefixes ending on an attribute boundary parse. */
	assert_true(ok > 10);
	assert_int_equal(hs_p11uri_parse(full, &u), HS_OK);
	assert_true(u.has_slot_id && u.slot_id == 1234567);
	assert_int_equal(u.id_len, 5);
	hs_p11uri_free(&u);
}

/* ---- format ---- */

static void
test_format_canonical(void **state)
{
	struct hs_p11uri u;
	char *s;

	/* Attributes come out in the header's order; "&" and ";" in values are encoded. */
	assert_int_equal(hs_p11uri_parse("pkcs11:type=private;object=a%26b%3Bc;token=T%20"
	    "?pin-source=file:/etc/pin&module-path=/usr/lib/x.so", &u), HS_OK);
	assert_int_equal(hs_p11uri_format(&u, &s), HS_OK);
	assert_string_equal(s, "pkcs11:token=T%20;object=a%26b%3Bc;type=private"
	    "?module-path=/usr/lib/x.so&pin-source=file:/etc/pin");
	free(s);
	hs_p11uri_free(&u);

	memset(&u, 0, sizeof(u));
	assert_int_equal(hs_p11uri_format(&u, &s), HS_OK);
	assert_string_equal(s, "pkcs11:");
	free(s);
}

static void
test_format_roundtrip(void **state)
{
	static const char *const uris[] = {
		"pkcs11:token=My%20HSM;object=host-ecdsa;id=%01%02;type=private"
		    "?module-path=/usr/lib/x.so&pin-source=file:/etc/hardssh/pin",
		"pkcs11:token=a%3Bb%26c%25d%3Fe;object=%3B%3B%26%26",
		"pkcs11:object=%C3%A1%E2%82%AC%FF%80%7F%01;serial=%20%20",
		"pkcs11:id=%00%00%00;slot-id=007",
		"pkcs11:id=;serial=;model=",
		"pkcs11:manufacturer=Snake%20Oil,%20Inc.;library-version=1.23;"
		    "library-description=x%2Fy%3Fz%7Cw%23v",
		"pkcs11:slot-description=%5Bslot%5D%20@!$'()*+,=;slot-manufacturer=~._-;type=cert",
		"pkcs11:?module-name=%26%3B%20%25&pin-source=/run/pin%20file%C3%A9",
		"pkcs11:slot-id=18446744073709551615;type=data?module-path=/opt/p11/lib%20x.so",
		"pkcs11:token=%0A%0D%09tab;library-manufacturer=%22quoted%22;type=secret-key",
	};
	struct hs_p11uri a, b;
	char *s1, *s2;
	size_t i;

	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		assert_int_equal(hs_p11uri_parse(uris[i], &a), HS_OK);
		assert_int_equal(hs_p11uri_format(&a, &s1), HS_OK);
		assert_int_equal(hs_p11uri_parse(s1, &b), HS_OK);
		assert_true(fz_p11uri_equal(&a, &b));
		/* The canonical text is a fixed point. */
		assert_int_equal(hs_p11uri_format(&b, &s2), HS_OK);
		assert_string_equal(s1, s2);
		free(s1);
		free(s2);
		hs_p11uri_free(&a);
		hs_p11uri_free(&b);
	}
}

/* A struct built by hand, with every field set, round-trips too. */
static void
test_format_roundtrip_built(void **state)
{
	static uint8_t id[] = { 0x00, ';', '&', '%', 0xff };
	struct hs_p11uri a = {
		.token = "tok;en&%", .manufacturer = "m\xc3\xa9", .serial = "", .model = "m o",
		.lib_manufacturer = "?", .lib_description = "#", .lib_version = "1.0",
		.slot_description = "/", .slot_manufacturer = "=", .has_slot_id = true,
		.slot_id = 42, .object = "o\x7f", .id = id, .id_len = sizeof(id), .has_id = true,
		.type = HS_P11URI_PUBLIC, .module_path = "/a b/c?d&e", .module_name = "n|n",
		.pin_source = "file:/p;q",
	};
	struct hs_p11uri b;
	char *s;

	assert_int_equal(hs_p11uri_format(&a, &s), HS_OK);
	assert_int_equal(hs_p11uri_parse(s, &b), HS_OK);
	assert_true(fz_p11uri_equal(&a, &b));
	hs_p11uri_free(&b);
	free(s);
}

/* ---- PIN files ---- */

static char pindir[64];

static int
pin_setup(void **state)
{
	snprintf(pindir, sizeof(pindir), "/tmp/hs_test_p11pin.XXXXXX");
	assert_non_null(mkdtemp(pindir));
	return 0;
}

static int
pin_teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pindir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Write a file under pindir with mode; returns its path (static). */
static const char *
pin_file(const char *name, const void *data, size_t n, mode_t mode)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", pindir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static hs_err
read_pin_from(const char *source, char **pin, size_t *len)
{
	struct hs_p11uri u;
	hs_err r;

	memset(&u, 0, sizeof(u));
	u.pin_source = (char *)source;
	r = hs_p11uri_read_pin(&u, pin, len);
	return r;
}

static void
test_pin_good(void **state)
{
	char src[160], *pin;
	size_t len;

	snprintf(src, sizeof(src), "file:%s", pin_file("good", "1234\nsecond line\n", 17, 0600));
	assert_int_equal(read_pin_from(src, &pin, &len), HS_OK);
	assert_int_equal(len, 4);
	assert_string_equal(pin, "1234");
	hs_free_wiped(pin, len);
	/* A plain absolute path, mode 0400, no final newline. */
	assert_int_equal(read_pin_from(pin_file("ro", "s3cr3t", 6, 0400), &pin, &len), HS_OK);
	assert_string_equal(pin, "s3cr3t");
	hs_free_wiped(pin, len);
	/* The parsed form of a URI naming the file. */
	{
		struct hs_p11uri u;
		char uri[200];

		snprintf(uri, sizeof(uri), "pkcs11:object=k?pin-source=file://%s",
		    pin_file("viauri", "987654\n", 7, 0600));
		assert_int_equal(hs_p11uri_parse(uri, &u), HS_OK);
		assert_int_equal(hs_p11uri_read_pin(&u, &pin, &len), HS_OK);
		assert_string_equal(pin, "987654");
		hs_free_wiped(pin, len);
		hs_p11uri_free(&u);
	}
}

static void
test_pin_mode_refused(void **state)
{
	char *pin = (char *)1;
	size_t len = 9;

	assert_int_equal(read_pin_from(pin_file("wide", "1234\n", 5, 0644), &pin, &len),
	    HS_ERR_PERM);
	assert_null(pin);
	assert_int_equal(len, 0);
	assert_int_equal(read_pin_from(pin_file("grpw", "1234\n", 5, 0620), &pin, &len),
	    HS_ERR_PERM);
	assert_int_equal(read_pin_from(pin_file("oth", "1234\n", 5, 0601), &pin, &len),
	    HS_ERR_PERM);
	/* A directory is not a regular file. */
	assert_int_equal(read_pin_from(pindir, &pin, &len), HS_ERR_PERM);
}

static void
test_pin_missing(void **state)
{
	struct hs_p11uri u;
	char path[128], *pin;
	size_t len;

	snprintf(path, sizeof(path), "%s/no-such-file", pindir);
	assert_int_equal(read_pin_from(path, &pin, &len), HS_ERR_NOT_FOUND);
	assert_null(pin);
	memset(&u, 0, sizeof(u));
	assert_int_equal(hs_p11uri_read_pin(&u, &pin, &len), HS_ERR_NOT_FOUND);
	/* A relative path, or a file URI naming a host, is malformed. */
	assert_int_equal(read_pin_from("file:pin.txt", &pin, &len), HS_ERR_FORMAT);
	assert_int_equal(read_pin_from("pin.txt", &pin, &len), HS_ERR_FORMAT);
	assert_int_equal(read_pin_from("file://host/etc/pin", &pin, &len), HS_ERR_FORMAT);
}

static void
test_pin_symlink_refused(void **state)
{
	char link[128], target[128], *pin;
	size_t len;

	snprintf(target, sizeof(target), "%s", pin_file("target", "1234\n", 5, 0600));
	snprintf(link, sizeof(link), "%s/link", pindir);
	assert_int_equal(symlink(target, link), 0);
	assert_int_equal(read_pin_from(link, &pin, &len), HS_ERR_PERM);
	assert_null(pin);
}

static void
test_pin_crlf(void **state)
{
	char *pin;
	size_t len;

	assert_int_equal(read_pin_from(pin_file("crlf", "ab cd\r\nnext\r\n", 13, 0600), &pin,
	    &len), HS_OK);
	assert_int_equal(len, 5);
	assert_string_equal(pin, "ab cd");
	hs_free_wiped(pin, len);
	/* An empty first line is an empty PIN. */
	assert_int_equal(read_pin_from(pin_file("empty", "\n", 1, 0600), &pin, &len), HS_OK);
	assert_int_equal(len, 0);
	hs_free_wiped(pin, len);
}

static void
test_pin_too_long(void **state)
{
	char data[300], *pin;
	size_t len;

	memset(data, 'x', sizeof(data));
	/* 256 bytes + CRLF is the longest PIN. */
	data[256] = '\r';
	data[257] = '\n';
	assert_int_equal(read_pin_from(pin_file("max", data, 258, 0600), &pin, &len), HS_OK);
	assert_int_equal(len, 256);
	hs_free_wiped(pin, len);
	/* 257 bytes then a newline; 300 bytes with none. */
	data[256] = 'x';
	data[257] = '\n';
	assert_int_equal(read_pin_from(pin_file("257", data, 258, 0600), &pin, &len),
	    HS_ERR_TOO_LARGE);
	assert_null(pin);
	memset(data, 'y', sizeof(data));
	assert_int_equal(read_pin_from(pin_file("300", data, 300, 0600), &pin, &len),
	    HS_ERR_TOO_LARGE);
	/* A NUL byte in the PIN line is refused. */
	assert_int_equal(read_pin_from(pin_file("nul", "12\0" "34\n", 6, 0600), &pin, &len),
	    HS_ERR_FORMAT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc_empty_and_simple),
		cmocka_unit_test(test_rfc_softtoken_cert),
		cmocka_unit_test(test_rfc_modules),
		cmocka_unit_test(test_rfc_slot_and_library),
		cmocka_unit_test(test_rfc_escapes),
		cmocka_unit_test(test_rfc_examples_refused_by_policy),
		cmocka_unit_test(test_scheme_case),
		cmocka_unit_test(test_id_with_nul),
		cmocka_unit_test(test_refuse_scheme),
		cmocka_unit_test(test_refuse_empty_name),
		cmocka_unit_test(test_refuse_twice),
		cmocka_unit_test(test_refuse_unknown_path_attr),
		cmocka_unit_test(test_refuse_bad_escape),
		cmocka_unit_test(test_refuse_nul_in_text),
		cmocka_unit_test(test_refuse_pin_value),
		cmocka_unit_test(test_refuse_module_path),
		cmocka_unit_test(test_refuse_slot_id),
		cmocka_unit_test(test_refuse_type),
		cmocka_unit_test(test_refuse_too_large),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_format_canonical),
		cmocka_unit_test(test_format_roundtrip),
		cmocka_unit_test(test_format_roundtrip_built),
		cmocka_unit_test_setup_teardown(test_pin_good, pin_setup, pin_teardown),
		cmocka_unit_test_setup_teardown(test_pin_mode_refused, pin_setup, pin_teardown),
		cmocka_unit_test_setup_teardown(test_pin_missing, pin_setup, pin_teardown),
		cmocka_unit_test_setup_teardown(test_pin_symlink_refused, pin_setup, pin_teardown),
		cmocka_unit_test_setup_teardown(test_pin_crlf, pin_setup, pin_teardown),
		cmocka_unit_test_setup_teardown(test_pin_too_long, pin_setup, pin_teardown),
	};

	int fd, rc;

	snprintf(logpath, sizeof(logpath), "/tmp/hs_test_p11uri_log.XXXXXX");
	if ((fd = mkstemp(logpath)) < 0)
		return 1;
	close(fd);
	if (hs_log_to_file(logpath) != HS_OK)
		return 1;
	hs_log_init("test_pkcs11_uri", HS_LOG_ERROR, true, 0);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(logpath);
	return rc;
}
