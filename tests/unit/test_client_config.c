/* test_client_config.c: hssh's ssh_config parser: Host/Match precedence, first value wins, list
 * syntax, tokens, patterns, errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pwd.h>
#include <cmocka.h>

#include "client_impl.h"
#include "hs_client_config.h"

static char cfg_path[64];

static void
write_cfg(const char *text)
{
	FILE *f;

	snprintf(cfg_path, sizeof(cfg_path), "/tmp/hs_test_cfg_%d", (int)getpid());
	f = fopen(cfg_path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char sample[] =
	"# comment\n"
	"\n"
	"Host foo\n"
	"  Port 2222\n"
	"  User alice\n"
	"Host *.example.com !bad.example.com\n"
	"  User bob\n"
	"  IdentityFile ~/.ssh/id_%h_%p\n"
	"Host alias\n"
	"  Hostname %h.internal\n"
	"Match host *.internal\n"
	"  User internal\n"
	"Match originalhost alias user nobody\n"
	"  Port 9999\n"
	"Host *\n"
	"  Port 22\n"
	"  User carol\n"
	"  StrictHostKeyChecking accept-new\n"
	"  IdentityFile /k/default\n"
	"  SendEnv LANG\n"
	"  SendEnv LC_*\n";

static void
load(struct hs_client_config *c, const char *host)
{
	hs_client_config_init(c);
	assert_int_equal(hs_client_config_read_file(c, cfg_path, host), HS_OK);
	assert_int_equal(hs_client_config_finalize(c, host), HS_OK);
}

static void
test_host_precedence(void **state)
{
	struct hs_client_config c;
	const char *home = getpwuid(getuid())->pw_dir;
	char want[512];

	write_cfg(sample);
	load(&c, "foo");
	assert_int_equal(c.port, 2222);
	assert_string_equal(c.user, "alice");
	assert_int_equal(c.strict_hostkey, HS_SHK_ACCEPT_NEW);
	assert_int_equal(c.identity_files.n, 1);
	assert_false(c.identity_defaults);
	assert_int_equal(c.send_env.n, 2);
	assert_string_equal(c.send_env.v[1], "LC_*");
	hs_client_config_clear(&c);

	load(&c, "www.example.com");
	assert_string_equal(c.user, "bob");
	assert_int_equal(c.port, 22);
	/* IdentityFile accumulates across blocks, in order, with tokens expanded */
	assert_int_equal(c.identity_files.n, 2);
	snprintf(want, sizeof(want), "%s/.ssh/id_www.example.com_22", home);
	assert_string_equal(c.identity_files.v[0], want);
	assert_string_equal(c.identity_files.v[1], "/k/default");
	hs_client_config_clear(&c);

	/* negation: the whole Host line fails to match */
	load(&c, "bad.example.com");
	assert_string_equal(c.user, "carol");
	hs_client_config_clear(&c);

	/* case-insensitive host patterns */
	load(&c, "FOO");
	assert_int_equal(c.port, 2222);
	hs_client_config_clear(&c);
}

static void
test_match(void **state)
{
	struct hs_client_config c;

	write_cfg(sample);
	/* Hostname is expanded with %h, and Match host sees the new name */
	load(&c, "alias");
	assert_string_equal(c.hostname, "alias.internal");
	assert_string_equal(c.user, "internal");
	/* Match with two criteria: user is already "internal", so "user nobody" fails */
	assert_int_equal(c.port, 22);
	hs_client_config_clear(&c);

	write_cfg("Match all\n  Port 7\n");
	load(&c, "x");
	assert_int_equal(c.port, 7);
	hs_client_config_clear(&c);

	write_cfg("Match !host x\n  Port 8\nMatch host x\n  Port 9\n");
	load(&c, "x");
	assert_int_equal(c.port, 9);
	hs_client_config_clear(&c);

	hs_client_config_init(&c);
	write_cfg("Match exec true\n  Port 8\n");
	assert_int_equal(hs_client_config_read_file(&c, cfg_path, "x"), HS_ERR_CONFIG);
	write_cfg("Match all host x\n");
	assert_int_equal(hs_client_config_read_file(&c, cfg_path, "x"), HS_ERR_CONFIG);
	write_cfg("Match host\n");
	assert_int_equal(hs_client_config_read_file(&c, cfg_path, "x"), HS_ERR_CONFIG);
	hs_client_config_clear(&c);
}

static void
test_first_wins_and_option(void **state)
{
	struct hs_client_config c;

	write_cfg(sample);
	hs_client_config_init(&c);
	/* -o before the files: the command line wins */
	assert_int_equal(hs_client_config_option(&c, "Port=4444", NULL), HS_OK);
	assert_int_equal(hs_client_config_option(&c, "user = dave", NULL), HS_OK);
	assert_int_equal(hs_client_config_option(&c, "Port 5555", NULL), HS_OK);
	assert_int_equal(hs_client_config_option(&c, "UserKnownHostsFile /a /b", NULL), HS_OK);
	assert_int_equal(hs_client_config_read_file(&c, cfg_path, "foo"), HS_OK);
	assert_int_equal(hs_client_config_finalize(&c, "foo"), HS_OK);
	assert_int_equal(c.port, 4444);
	assert_string_equal(c.user, "dave");
	assert_int_equal(c.user_known_hosts.n, 2);
	assert_string_equal(c.user_known_hosts.v[1], "/b");
	/* -o cannot open a Host block */
	assert_int_equal(hs_client_config_option(&c, "Host x", NULL), HS_ERR_CONFIG);
	hs_client_config_clear(&c);
}

static void
test_errors(void **state)
{
	struct hs_client_config c;
	struct hs_cfg_parser p = { .host = "h", .file = "t", .active = true };
	static const char *const bad[] = {
		"Frobnicate yes", "Port", "Port 22 23", "Port -1", "Port abc", "BatchMode maybe",
		"StrictHostKeyChecking sometimes", "ConnectTimeout 5x", "LogLevel LOUD",
		"RekeyLimit 1Q", "Hostname \"unterminated", "RequestTTY often",
	};

	hs_client_config_init(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hs_client_config_parse_line(&c, &p, bad[i]), HS_ERR_CONFIG);
	/* unknown keywords are errors even in a block that does not apply (as ssh) */
	p.active = false;
	assert_int_equal(hs_client_config_parse_line(&c, &p, "NoSuchThing 1"), HS_ERR_CONFIG);
	assert_int_equal(hs_client_config_parse_line(&c, &p, "Port 99"), HS_OK);
	assert_int_equal(c.port, -1);
	/* IgnoreUnknown silences only the keywords it matches, and only after it is set */
	p.active = true;
	assert_int_equal(hs_client_config_parse_line(&c, &p, "UseKeychain yes"), HS_ERR_CONFIG);
	assert_int_equal(hs_client_config_parse_line(&c, &p, "IgnoreUnknown UseKeychain,Foo*"),
	    HS_OK);
	assert_int_equal(hs_client_config_parse_line(&c, &p, "UseKeychain yes"), HS_OK);
	assert_int_equal(hs_client_config_parse_line(&c, &p, "FooBar 1"), HS_OK);
	assert_int_equal(hs_client_config_parse_line(&c, &p, "Frobnicate 1"), HS_ERR_CONFIG);
	hs_client_config_clear(&c);

	hs_client_config_init(&c);
	assert_int_equal(hs_client_config_option(&c, "Ciphers nosuch-cipher", NULL), HS_OK);
	assert_int_equal(hs_client_config_finalize(&c, "h"), HS_ERR_CONFIG);
	hs_client_config_clear(&c);
}

static void
test_values(void **state)
{
	struct hs_client_config c;
	struct hs_cfg_parser p = { .host = "h", .file = "t", .active = true };

	hs_client_config_init(&c);
	assert_int_equal(hs_client_config_parse_line(&c, &p, "  ConnectTimeout 1m30s  "), HS_OK);
	assert_int_equal(hs_client_config_parse_line(&c, &p, "RekeyLimit 1G 1h"), HS_OK);
	assert_int_equal(hs_client_config_parse_line(&c, &p, "Compression yes"), HS_OK);
	assert_int_equal(hs_client_config_parse_line(&c, &p, "IdentityFile \"/a b/c\""), HS_OK);
	assert_int_equal(hs_client_config_parse_line(&c, &p,
	    "ProxyCommand nc -q0 %h %p  # not a comment to ssh"), HS_OK);
	assert_int_equal(hs_client_config_parse_line(&c, &p, "StrictHostKeyChecking off"), HS_OK);
	assert_int_equal(hs_client_config_parse_line(&c, &p, "LogLevel debug"), HS_OK);
	assert_int_equal(hs_client_config_parse_line(&c, &p, "Ciphers -chacha*"), HS_OK);
	assert_int_equal(hs_client_config_parse_line(&c, &p,
	    "KexAlgorithms ^diffie-hellman-group14-sha256"), HS_OK);
	assert_int_equal(c.connect_timeout, 90);
	assert_true(c.rekey_bytes == (int64_t)1 << 30);
	assert_int_equal(c.rekey_seconds, 3600);
	assert_int_equal(c.compression, 0);
	assert_string_equal(c.identity_files.v[0], "/a b/c");
	assert_string_equal(c.proxy_command, "nc -q0 %h %p  # not a comment to ssh");
	assert_int_equal(c.strict_hostkey, HS_SHK_NO);
	assert_int_equal(c.log_level, HS_LOG_DEBUG1);
	assert_int_equal(hs_client_config_finalize(&c, "h"), HS_OK);
	assert_null(strstr(c.ciphers, "chacha"));
	assert_non_null(strstr(c.ciphers, "aes128-ctr"));
	assert_true(strncmp(c.kex_algs, "diffie-hellman-group14-sha256,", 30) == 0);
	/* defaults */
	assert_int_equal(c.port, 22);
	assert_true(c.identity_defaults == false);
	assert_int_equal(c.user_known_hosts.n, 2);
	assert_int_equal(c.password_prompts, 3);
	hs_client_config_clear(&c);
}

/* FIPSMode (issue 6): -o FIPSMode=yes reduces the defaults to the approved ones; a configured
 * non-approved algorithm is an error. */
static void
test_fips_mode(void **state)
{
	struct hs_client_config c;

	hs_client_config_init(&c);
	assert_int_equal(hs_client_config_option(&c, "FIPSMode=yes", NULL), HS_OK);
	assert_int_equal(hs_client_config_option(&c, "MACs=hmac-sha2-256", NULL), HS_OK);
	assert_int_equal(hs_client_config_finalize(&c, "foo"), HS_OK);
	assert_int_equal(c.fips_mode, 1);
	assert_string_equal(c.macs, "hmac-sha2-256");
	assert_null(strstr(c.kex_algs, "curve25519"));
	assert_non_null(strstr(c.kex_algs, "ecdh-sha2-nistp256"));
	assert_null(strstr(c.ciphers, "chacha20"));
	assert_null(strstr(c.hostkey_algs, "ed25519"));
	hs_client_config_clear(&c);

	hs_client_config_init(&c);
	assert_int_equal(hs_client_config_option(&c, "FIPSMode=yes", NULL), HS_OK);
	assert_int_equal(hs_client_config_option(&c, "HostKeyAlgorithms=ssh-ed25519", NULL), HS_OK);
	assert_int_equal(hs_client_config_finalize(&c, "foo"), HS_ERR_CONFIG);
	hs_client_config_clear(&c);

	hs_client_config_init(&c);
	assert_int_equal(hs_client_config_option(&c, "Ciphers=chacha20-poly1305@openssh.com",
	    NULL), HS_OK);
	assert_int_equal(hs_client_config_finalize(&c, "foo"), HS_OK);
	if (c.fips_mode == 0)	/* not a FIPS kernel: the list stays */
		assert_string_equal(c.ciphers, "chacha20-poly1305@openssh.com");
	hs_client_config_clear(&c);
}

static void
test_tokens(void **state)
{
	struct hs_client_tokens tok = {
		.home = "/home/u", .luser = "u", .lhost = "lh", .host = "srv", .ruser = "ru",
		.orig_host = "orig", .port = 2200,
	};
	char *out;

	assert_int_equal(hs_client_expand("~/.ssh/%h-%p-%r-%u-%l-%n-%d-%%", &tok, &out), HS_OK);
	assert_string_equal(out, "/home/u/.ssh/srv-2200-ru-u-lh-orig-/home/u-%");
	free(out);
	assert_int_equal(hs_client_expand("~", &tok, &out), HS_OK);
	assert_string_equal(out, "/home/u");
	free(out);
	assert_int_equal(hs_client_expand("a~b", &tok, &out), HS_OK);
	assert_string_equal(out, "a~b");
	free(out);
	assert_int_equal(hs_client_expand("%z", &tok, &out), HS_ERR_CONFIG);
	assert_null(out);
	assert_int_equal(hs_client_expand("trailing%", &tok, &out), HS_ERR_CONFIG);
	assert_int_equal(hs_client_expand("~no_such_user_hs/x", &tok, &out), HS_ERR_CONFIG);
}

static void
test_patterns(void **state)
{
	assert_true(hs_match_glob("host.example.com", "*.example.com", 13, true));
	assert_true(hs_match_glob("HOST", "host", 4, true));
	assert_false(hs_match_glob("HOST", "host", 4, false));
	assert_true(hs_match_glob("a1", "a?", 2, true));
	assert_false(hs_match_glob("a", "a?", 2, true));
	assert_true(hs_match_glob("abcbcd", "a*bcd", 5, true));
	assert_true(hs_match_glob("", "*", 1, true));
	assert_false(hs_match_glob("x", "", 0, true));
	assert_int_equal(hs_match_list("a.b", "*.b,!a.b", ','), -1);
	assert_int_equal(hs_match_list("c.b", "*.b,!a.b", ','), 1);
	assert_int_equal(hs_match_list("c.d", "*.b,!a.b", ','), 0);
	assert_int_equal(hs_match_list("x", ",,x,", ','), 1);
}

static void
test_time(void **state)
{
	int v;

	assert_int_equal(hs_client_parse_time("90", &v), HS_OK);
	assert_int_equal(v, 90);
	assert_int_equal(hs_client_parse_time("1h30m", &v), HS_OK);
	assert_int_equal(v, 5400);
	assert_int_equal(hs_client_parse_time("1w", &v), HS_OK);
	assert_int_equal(v, 604800);
	assert_int_equal(hs_client_parse_time("", &v), HS_ERR_CONFIG);
	assert_int_equal(hs_client_parse_time("m", &v), HS_ERR_CONFIG);
	assert_int_equal(hs_client_parse_time("99999999999", &v), HS_ERR_CONFIG);
}

static void
test_dump(void **state)
{
	struct hs_client_config c;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	write_cfg(sample);
	load(&c, "foo");
	f = open_memstream(&text, &len);
	assert_non_null(f);
	hs_client_config_dump(&c, f);
	fclose(f);
	assert_non_null(strstr(text, "\nport 2222\n"));
	assert_non_null(strstr(text, "user alice\n"));
	assert_non_null(strstr(text, "\nstricthostkeychecking accept-new\n"));
	assert_non_null(strstr(text, "\nidentityfile /k/default\n"));
	assert_non_null(strstr(text, "\nsendenv LANG\nsendenv LC_*\n"));
	assert_non_null(strstr(text, "\nconnecttimeout none\n"));
	assert_non_null(strstr(text, "\nloglevel INFO\n"));
	assert_null(strstr(text, "pubkeyacceptedkeytypes"));
	free(text);
	hs_client_config_clear(&c);
	unlink(cfg_path);
}

/* Issue 5: KexProvider, KexProviderFallback, PKCS11Provider; key URIs in IdentityFile are kept
 * exactly as written (no ~ or %-token expansion of their RFC 7512 %xx escapes). */
static const char hw_cfg[] =
	"Host hw\n"
	"  KexProvider pkcs11:token=kex%20tok?module-path=/m.so&pin-source=file:/p\n"
	"  KexProviderFallback yes\n"
	"  PKCS11Provider ~/lib/module.so\n"
	"  IdentityFile pkcs11:token=My%20HSM;object=k%3b1?module-path=/m.so\n"
	"  IdentityFile TPM2:handle=0x81000001\n"
	"  IdentityFile ~/.ssh/id_%h\n"
	"  TPM2TCTI swtpm:host=127.0.0.1,port=2321\n"
	"Host *\n"
	"  KexProvider soft\n"
	"  TPM2TCTI device:/dev/tpmrm0\n"
	"  KexProviderFallback no\n"
	"  PKCS11Provider /second.so\n";

static void
test_hw_keywords(void **state)
{
	struct hs_client_config c;
	const char *home = getpwuid(getuid())->pw_dir;
	char want[512], *text = NULL;
	size_t len = 0;
	FILE *f;

	write_cfg(hw_cfg);
	load(&c, "hw");
	/* first obtained value wins */
	assert_string_equal(c.kex_provider,
	    "pkcs11:token=kex%20tok?module-path=/m.so&pin-source=file:/p");
	assert_int_equal(c.kex_provider_fallback, 1);
	snprintf(want, sizeof(want), "%s/lib/module.so", home);
	assert_string_equal(c.pkcs11_provider, want);
	assert_int_equal(c.identity_files.n, 3);
	assert_string_equal(c.identity_files.v[0],
	    "pkcs11:token=My%20HSM;object=k%3b1?module-path=/m.so");
	assert_string_equal(c.identity_files.v[1], "TPM2:handle=0x81000001");
	snprintf(want, sizeof(want), "%s/.ssh/id_hw", home);
	assert_string_equal(c.identity_files.v[2], want);
	f = open_memstream(&text, &len);
	assert_non_null(f);
	hs_client_config_dump(&c, f);
	fclose(f);
	assert_non_null(strstr(text, "\nkexprovider pkcs11:token=kex%20tok?module-path=/m.so&"));
	assert_non_null(strstr(text, "\nkexproviderfallback yes\n"));
	assert_string_equal(c.tpm2_tcti, "swtpm:host=127.0.0.1,port=2321");
	assert_non_null(strstr(text, "\ntpm2tcti swtpm:host=127.0.0.1,port=2321\n"));
	assert_non_null(strstr(text, "\nidentityfile pkcs11:token=My%20HSM;object=k%3b1?"));
	free(text);
	hs_client_config_clear(&c);

	/* defaults: software KEX, no fallback, no PKCS11Provider */
	write_cfg("Host other\n  KexProvider pkcs11:x\n");
	load(&c, "h");
	assert_string_equal(c.kex_provider, "soft");
	assert_int_equal(c.kex_provider_fallback, 0);
	assert_null(c.pkcs11_provider);
	hs_client_config_clear(&c);

	/* the command line comes first; a bad flag value is refused; "none" is not expanded */
	hs_client_config_init(&c);
	assert_int_equal(hs_client_config_option(&c, "KexProviderFallback=maybe", NULL),
	    HS_ERR_CONFIG);
	assert_int_equal(hs_client_config_option(&c, "KexProvider=tpm2:handle=0x81000002", NULL),
	    HS_OK);
	assert_int_equal(hs_client_config_option(&c, "PKCS11Provider none", NULL), HS_OK);
	assert_int_equal(hs_client_config_option(&c, "KexProvider", NULL), HS_ERR_CONFIG);
	assert_int_equal(hs_client_config_option(&c, "KexProvider a b", NULL), HS_ERR_CONFIG);
	assert_int_equal(hs_client_config_read_file(&c, cfg_path, "h"), HS_OK);
	assert_int_equal(hs_client_config_finalize(&c, "h"), HS_OK);
	assert_string_equal(c.kex_provider, "tpm2:handle=0x81000002");
	assert_string_equal(c.pkcs11_provider, "none");
	hs_client_config_clear(&c);
	unlink(cfg_path);

	/* KexProvider: soft or a device URI, checked when the config is finalised */
	{
		static const char *const bad[] = {
			"hard", "pkcs11:", "file:/x", "/dev/tpm0", NULL
		};
		static const char *const good[] = {
			"SOFT", "pkcs11:token=t", "tpm2:tcti=swtpm", NULL
		};

		for (const char *const *v = bad; *v != NULL; v++) {
			hs_client_config_init(&c);
			snprintf(want, sizeof(want), "KexProvider=%s", *v);
			assert_int_equal(hs_client_config_option(&c, want, NULL), HS_OK);
			assert_int_equal(hs_client_config_finalize(&c, "h"), HS_ERR_CONFIG);
			hs_client_config_clear(&c);
		}
		for (const char *const *v = good; *v != NULL; v++) {
			hs_client_config_init(&c);
			snprintf(want, sizeof(want), "KexProvider=%s", *v);
			assert_int_equal(hs_client_config_option(&c, want, NULL), HS_OK);
			assert_int_equal(hs_client_config_finalize(&c, "h"), HS_OK);
			assert_string_equal(c.kex_provider, *v);
			hs_client_config_clear(&c);
		}
	}

	assert_true(hs_client_is_key_uri("pkcs11:object=x"));
	assert_true(hs_client_is_key_uri("PKCS11:object=x"));
	assert_true(hs_client_is_key_uri("tpm2:handle=0x81000001"));
	assert_false(hs_client_is_key_uri("pkcs11"));
	assert_false(hs_client_is_key_uri("~/pkcs11:x"));
	assert_false(hs_client_is_key_uri("/k/tpm2:x"));
	assert_false(hs_client_is_key_uri(NULL));
}

/* ssh_config(5) Include: relative to the including file, glob patterns, own Host blocks, bounded
 * recursion. */
static void
test_include(void **state)
{
	struct hs_client_config c;
	char inc[96], text[512];
	FILE *f;

	snprintf(inc, sizeof(inc), "/tmp/hs_test_inc_%d_a", (int)getpid());
	f = fopen(inc, "w");
	assert_non_null(f);
	fputs("Port 1234\nHost other\n  User wrong\n", f);
	fclose(f);
	snprintf(text, sizeof(text), "Host inc\n  Include hs_test_inc_%d_*\n  User after\n"
	    "Host *\n  User fallback\n", (int)getpid());
	write_cfg(text);
	load(&c, "inc");
	assert_int_equal(c.port, 1234);
	assert_string_equal(c.user, "after");
	hs_client_config_clear(&c);
	/* not read when the block does not apply */
	load(&c, "x");
	assert_int_equal(c.port, 22);
	assert_string_equal(c.user, "fallback");
	hs_client_config_clear(&c);
	/* a file including itself stops at the depth bound */
	snprintf(text, sizeof(text), "Include %s\n", cfg_path);
	write_cfg(text);
	hs_client_config_init(&c);
	assert_int_equal(hs_client_config_read_file(&c, cfg_path, "x"), HS_ERR_CONFIG);
	assert_int_equal(hs_client_config_option(&c, "Include /etc/passwd", NULL), HS_ERR_CONFIG);
	hs_client_config_clear(&c);
	unlink(inc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_precedence),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_first_wins_and_option),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_fips_mode),
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_hw_keywords),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
