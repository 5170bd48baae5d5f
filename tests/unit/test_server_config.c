/* test_server_config.c: hsshd's sshd_config parser, value syntaxes, defaults and the -T dump. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "hs_server_config.h"

static hs_err
parse(struct hs_server_config *c, const char *text)
{
	return hs_server_config_parse_text(c, text, strlen(text), "test_config");
}

/* The whole -T output as a string (caller frees). Not inlined: GCC 12 then mistakes the callers'
 * pointers into the result for pointers to this function's local (-Wdangling-pointer). */
static char * __attribute__((noinline))
dump(const struct hs_server_config *c)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	assert_non_null(f);
	hs_server_config_dump(c, f);
	fclose(f);
	return s;
}

static void
test_time(void **state)
{
	int s;

	assert_int_equal(hs_cfg_parse_time("120", &s), HS_OK);
	assert_int_equal(s, 120);
	assert_int_equal(hs_cfg_parse_time("2m", &s), HS_OK);
	assert_int_equal(s, 120);
	assert_int_equal(hs_cfg_parse_time("1h30m", &s), HS_OK);
	assert_int_equal(s, 5400);
	assert_int_equal(hs_cfg_parse_time("1W", &s), HS_OK);
	assert_int_equal(s, 604800);
	assert_int_equal(hs_cfg_parse_time("1d2h3m4s", &s), HS_OK);
	assert_int_equal(s, 86400 + 7200 + 180 + 4);
	assert_int_equal(hs_cfg_parse_time("0", &s), HS_OK);
	assert_int_equal(s, 0);
	assert_int_equal(hs_cfg_parse_time("", &s), HS_ERR_CONFIG);
	assert_int_equal(hs_cfg_parse_time("m", &s), HS_ERR_CONFIG);
	assert_int_equal(hs_cfg_parse_time("1x", &s), HS_ERR_CONFIG);
	assert_int_equal(hs_cfg_parse_time("-1", &s), HS_ERR_CONFIG);
	assert_int_equal(hs_cfg_parse_time("99999999999", &s), HS_ERR_CONFIG);
	assert_int_equal(hs_cfg_parse_time("5000w", &s), HS_ERR_CONFIG);	/* > INT32_MAX s */
}

static void
test_size(void **state)
{
	int64_t b;

	assert_int_equal(hs_cfg_parse_size("16", &b), HS_OK);
	assert_true(b == 16);
	assert_int_equal(hs_cfg_parse_size("1k", &b), HS_OK);
	assert_true(b == 1024);
	assert_int_equal(hs_cfg_parse_size("1M", &b), HS_OK);
	assert_true(b == 1048576);
	assert_int_equal(hs_cfg_parse_size("8G", &b), HS_OK);
	assert_true(b == 8589934592LL);
	assert_int_equal(hs_cfg_parse_size("1T", &b), HS_ERR_CONFIG);
	assert_int_equal(hs_cfg_parse_size("1KB", &b), HS_ERR_CONFIG);
	assert_int_equal(hs_cfg_parse_size("G", &b), HS_ERR_CONFIG);
	assert_int_equal(hs_cfg_parse_size("99999999999999999999G", &b), HS_ERR_CONFIG);
}

static void
test_split(void **state)
{
	char buf[256], *av[8];
	int ac;

	assert_int_equal(hs_cfg_split("  Port=2222 # comment", buf, sizeof(buf), av, 8, &ac), HS_OK);
	assert_int_equal(ac, 2);
	assert_string_equal(av[0], "Port");
	assert_string_equal(av[1], "2222");
	assert_int_equal(hs_cfg_split("Subsystem sftp \"/usr/lib/a b\" -l", buf, sizeof(buf), av, 8,
	    &ac), HS_OK);
	assert_int_equal(ac, 4);
	assert_string_equal(av[2], "/usr/lib/a b");
	assert_int_equal(hs_cfg_split("Key = v", buf, sizeof(buf), av, 8, &ac), HS_OK);
	assert_int_equal(ac, 2);
	assert_string_equal(av[1], "v");
	assert_int_equal(hs_cfg_split("# only a comment", buf, sizeof(buf), av, 8, &ac), HS_OK);
	assert_int_equal(ac, 0);
	assert_int_equal(hs_cfg_split("Banner \"unterminated", buf, sizeof(buf), av, 8, &ac),
	    HS_ERR_CONFIG);
	assert_int_equal(hs_cfg_split("a b c d e f g h i", buf, sizeof(buf), av, 8, &ac),
	    HS_ERR_TOO_LARGE);
}

static void
test_basic_keywords(void **state)
{
	struct hs_server_config c;

	hs_server_config_init(&c);
	assert_int_equal(parse(&c,
	    "# a comment\n"
	    "port 2222\n"
	    "Port=2223\n"
	    "LISTENADDRESS 127.0.0.1\n"
	    "ListenAddress [::1]:2200\n"
	    "ListenAddress ::1\n"
	    "ListenAddress 10.0.0.1:99\n"
	    "HostKey /k1\n"
	    "HostKey /k2\n"
	    "AuthorizedKeysFile .ssh/ak /etc/keys/%u\n"
	    "PermitRootLogin without-password\n"
	    "PubkeyAuthentication no\n"
	    "PasswordAuthentication yes\n"
	    "LoginGraceTime 1m30s\n"
	    "MaxAuthTries 3\n"
	    "MaxStartups 5:50:20\n"
	    "ClientAliveInterval 15\n"
	    "AcceptEnv LANG LC_*\n"
	    "AcceptEnv _XXX_TEST\n"
	    "PidFile \"/tmp/with space.pid\"\n"
	    "StrictModes no\n"
	    "LogLevel debug3\n"
	    "SyslogFacility LOCAL3\n"
	    "\r\n"), HS_OK);
	assert_int_equal(c.n_ports, 2);
	assert_int_equal(c.ports[1], 2223);
	assert_int_equal(c.n_listen, 4);
	assert_string_equal(c.listen[1].host, "::1");
	assert_int_equal(c.listen[1].port, 2200);
	assert_string_equal(c.listen[2].host, "::1");
	assert_int_equal(c.listen[2].port, 0);
	assert_string_equal(c.listen[3].host, "10.0.0.1");
	assert_int_equal(c.listen[3].port, 99);
	assert_int_equal(c.n_hostkeys, 2);
	assert_int_equal(c.n_ak_files, 2);
	assert_string_equal(c.ak_files[1], "/etc/keys/%u");
	assert_int_equal(c.permit_root_login, HS_ROOT_PROHIBIT_PASSWORD);
	assert_int_equal(c.pubkey_auth, 0);
	assert_int_equal(c.login_grace_time, 90);
	assert_int_equal(c.max_auth_tries, 3);
	assert_int_equal(c.maxstartups_begin, 5);
	assert_int_equal(c.maxstartups_rate, 50);
	assert_int_equal(c.maxstartups_full, 20);
	assert_int_equal(c.n_accept_env, 3);
	assert_string_equal(c.accept_env[1], "LC_*");
	assert_string_equal(c.pid_file, "/tmp/with space.pid");
	assert_int_equal(c.strict_modes, 0);
	assert_int_equal(c.log_level, HS_LOG_DEBUG3);
	hs_server_config_free(&c);
}

/* sshd: the first value obtained for a single-valued keyword is used; -o lines come first. */
static void
test_first_value_wins(void **state)
{
	struct hs_server_config c;

	hs_server_config_init(&c);
	assert_int_equal(hs_server_config_line(&c, "LoginGraceTime 10", "command-line", 0), HS_OK);
	assert_int_equal(parse(&c, "LoginGraceTime 20\nMaxAuthTries 2\nMaxAuthTries 9\n"
	    "AuthorizedKeysFile none\nAuthorizedKeysFile /x\n"), HS_OK);
	assert_int_equal(c.login_grace_time, 10);
	assert_int_equal(c.max_auth_tries, 2);
	assert_true(c.ak_files_set);
	assert_int_equal(c.n_ak_files, 0);
	assert_int_equal(hs_server_config_finish(&c), HS_OK);
	assert_int_equal(c.n_ak_files, 0);	/* "none" stays none */
	hs_server_config_free(&c);
}

static void
test_errors(void **state)
{
	static const char *const bad[] = {
		"NoSuchKeyword yes\n",
		"PubkeyAuthentication maybe\n",
		"Port 0\n",
		"Port 65536\n",
		"Port\n",
		"MaxAuthTries -1\n",
		"MaxAuthTries 3 4\n",
		"LoginGraceTime 2x\n",
		"PermitRootLogin sometimes\n",
		"MaxStartups 10:0:100\n",
		"MaxStartups 20:30:10\n",
		"RekeyLimit 1x\n",
		"RekeyLimit 8\n",
		"AddressFamily inet7\n",
		"LogLevel LOUD\n",
		"SyslogFacility NOWHERE\n",
		"ListenAddress [::1\n",
		"ListenAddress 1.2.3.4:0\n",
		"AcceptEnv A=B\n",
		"Ciphers aes128-ctr,no-such-cipher\n",
		"KexAlgorithms +bogus-kex\n",
		"Match User x\n",
		"Subsystem sftp\n",
		"Subsystem sftp /a\nSubsystem sftp /b\n",
		"Banner \"x\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hs_server_config c;

		hs_server_config_init(&c);
		if (parse(&c, bad[i]) != HS_ERR_CONFIG)
			fail_msg("accepted: %s", bad[i]);
		hs_server_config_free(&c);
	}
}

/* Keywords from Debian's sshd_config and the OpenSSH regress suite's test-exec.sh load. */
static void
test_stock_keywords(void **state)
{
	struct hs_server_config c;

	hs_server_config_init(&c);
	assert_int_equal(parse(&c,
	    "\tStrictModes\t\tno\n"
	    "\tPort\t\t\t4242\n"
	    "\tAddressFamily\t\tinet\n"
	    "\tListenAddress\t\t127.0.0.1\n"
	    "\t#ListenAddress\t\t::1\n"
	    "\tPidFile\t\t\t/tmp/pidfile\n"
	    "\tAuthorizedKeysFile\t/tmp/authorized_keys_%u\n"
	    "\tLogLevel\t\tDEBUG3\n"
	    "\tAcceptEnv\t\t_XXX_TEST_*\n"
	    "\tAcceptEnv\t\t_XXX_TEST\n"
	    "\tSubsystem\tsftp\t/usr/lib/openssh/sftp-server\n"
	    "\tUsePAM\t\t\tyes\n"
	    "KbdInteractiveAuthentication no\n"
	    "ChallengeResponseAuthentication no\n"
	    "X11Forwarding yes\n"
	    "PrintMotd no\n"
	    "UseDNS no\n"
	    "AcceptEnv LANG LC_*\n"
	    "SetEnv PATH=/bin\n"
	    "ModuliFile '/etc/ssh/moduli'\n"
	    "rekeylimit default 1m\n"
	    "Compression no\n"
	    "IgnoreRhosts yes\n"
	    "HostbasedAuthentication no\n"
	    "PermitEmptyPasswords no\n"
	    "GSSAPIAuthentication no\n"
	    "PrintLastLog yes\n"
	    "TCPKeepAlive yes\n"), HS_OK);
	assert_int_equal(c.address_family, AF_INET);
	assert_int_equal(c.use_pam, 1);
	assert_int_equal(c.n_subsys, 1);
	assert_string_equal(c.subsys[0].command, "/usr/lib/openssh/sftp-server");
	assert_int_equal(c.rekey_seconds, 60);
	assert_int_equal(hs_server_config_finish(&c), HS_OK);
	assert_int_equal(c.n_listen, 1);
	hs_server_config_free(&c);
}

/* The regress suite's rekey.sh matrix: "sshd -T -o 'rekeylimit SIZE TIME'" must print the bytes and
 * seconds. */
static void
test_rekeylimit_dump(void **state)
{
	static const struct {
		const char *size, *time;
		long long bytes;
		int secs;
	} v[] = {
		{ "16", "1", 16, 1 }, { "1k", "1m", 1024, 60 }, { "1K", "1M", 1024, 60 },
		{ "1m", "1h", 1048576, 3600 }, { "1G", "1D", 1073741824, 86400 },
		{ "4G", "1w", 4294967296LL, 604800 }, { "8G", "1W", 8589934592LL, 604800 },
		{ "default", "none", 0, 0 },
	};

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct hs_server_config c;
		char line[64], want[64], *s;

		hs_server_config_init(&c);
		snprintf(line, sizeof(line), "rekeylimit %s %s", v[i].size, v[i].time);
		assert_int_equal(hs_server_config_line(&c, line, "command-line", 0), HS_OK);
		assert_int_equal(parse(&c, "RekeyLimit 1G 1h\n"), HS_OK);	/* ignored: -o first */
		assert_int_equal(hs_server_config_finish(&c), HS_OK);
		s = dump(&c);
		snprintf(want, sizeof(want), "\nrekeylimit %lld %d\n", v[i].bytes, v[i].secs);
		if (strstr(s, want) == NULL)
			fail_msg("%s: want %s in\n%s", line, want + 1, s);
		free(s);
		hs_server_config_free(&c);
	}
}

static void
test_defaults_and_dump(void **state)
{
	struct hs_server_config c;
	char *s;

	hs_server_config_init(&c);
	assert_int_equal(hs_server_config_finish(&c), HS_OK);
	assert_int_equal(c.n_ports, 1);
	assert_int_equal(c.ports[0], 22);
	assert_int_equal(c.n_listen, 2);	/* 0.0.0.0 and :: */
	assert_int_equal(c.login_grace_time, 120);
	assert_int_equal(c.max_auth_tries, 6);
	assert_int_equal(c.client_alive_count_max, 3);
	assert_int_equal(c.permit_root_login, HS_ROOT_PROHIBIT_PASSWORD);
	assert_int_equal(c.strict_modes, 1);
	assert_int_equal(c.n_ak_files, 2);
	assert_non_null(c.kex_algs);
	assert_non_null(c.pubkey_algs);
	s = dump(&c);
	assert_non_null(strstr(s, "port 22\n"));
	assert_non_null(strstr(s, "listenaddress 0.0.0.0:22\n"));
	assert_non_null(strstr(s, "listenaddress [::]:22\n"));
	assert_non_null(strstr(s, "permitrootlogin without-password\n"));
	assert_non_null(strstr(s, "maxstartups 10:30:100\n"));
	assert_non_null(strstr(s, "logingracetime 120\n"));
	assert_non_null(strstr(s, "authorizedkeysfile .ssh/authorized_keys .ssh/authorized_keys2\n"));
	assert_non_null(strstr(s, "loglevel INFO\n"));
	assert_non_null(strstr(s, "syslogfacility AUTH\n"));
	free(s);
	hs_server_config_free(&c);
}

static void
test_algs_expanded(void **state)
{
	struct hs_server_config c;

	hs_server_config_init(&c);
	assert_int_equal(parse(&c, "Ciphers aes128-ctr\nMACs -hmac-sha1*\n"), HS_OK);
	assert_string_equal(c.ciphers, "aes128-ctr");
	assert_null(strstr(c.macs, "hmac-sha1,"));
	hs_server_config_free(&c);
}

/* FIPSMode (issue 6): approved defaults, -T line, a non-approved configured name is an error that
 * names it, and the kernel flag (a test file here) turns the mode on. */
static void
test_fips_mode(void **state)
{
	struct hs_server_config c;
	char path[64], *s;
	FILE *f;

	hs_server_config_init(&c);
	assert_int_equal(parse(&c, "HostKey /nonexistent\n"), HS_OK);
	assert_int_equal(hs_server_config_finish(&c), HS_OK);
	assert_int_equal(c.fips_mode, 0);
	assert_non_null(strstr(c.kex_algs, "curve25519-sha256"));
	s = dump(&c);
	assert_non_null(strstr(s, "\nfipsmode no\n"));
	free(s);
	hs_server_config_free(&c);

	hs_server_config_init(&c);
	assert_int_equal(parse(&c, "MACs hmac-sha2-512\nFIPSMode yes\n"), HS_OK);
	assert_int_equal(hs_server_config_finish(&c), HS_OK);
	assert_int_equal(c.fips_mode, 1);
	assert_string_equal(c.ciphers,
	    "aes128-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com");
	assert_string_equal(c.macs, "hmac-sha2-512");
	assert_null(strstr(c.kex_algs, "curve25519"));
	assert_null(strstr(c.hostkey_algs, "ed25519"));
	assert_null(strstr(c.pubkey_algs, "ed25519"));
	s = dump(&c);
	assert_non_null(strstr(s, "\nfipsmode yes\n"));
	free(s);
	hs_server_config_free(&c);

	hs_server_config_init(&c);
	assert_int_equal(parse(&c, "FIPSMode yes\nKexAlgorithms curve25519-sha256\n"), HS_OK);
	assert_int_equal(hs_server_config_finish(&c), HS_ERR_CONFIG);
	hs_server_config_free(&c);

	snprintf(path, sizeof(path), "/tmp/hs_test_fips_%d", (int)getpid());
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("1\n", f);
	fclose(f);
	setenv("HS_FIPS_ENABLED_FILE", path, 1);
	hs_server_config_init(&c);
	assert_int_equal(parse(&c, "FIPSMode no\n"), HS_OK);
	assert_int_equal(hs_server_config_finish(&c), HS_OK);
	assert_int_equal(c.fips_mode, 1);
	assert_null(strstr(c.ciphers, "chacha20"));
	hs_server_config_free(&c);
	unsetenv("HS_FIPS_ENABLED_FILE");
	unlink(path);
}

static void
test_include(void **state)
{
	char dir[] = "/tmp/hs_cfgtest_XXXXXX", path[256], sub[256];
	struct hs_server_config c;
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/a.conf", dir);
	f = fopen(sub, "w");
	assert_non_null(f);
	fputs("MaxAuthTries 4\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/main", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "Include %s/*.conf\nInclude nothing-here-*.conf\nMaxAuthTries 5\n", dir);
	fclose(f);
	hs_server_config_init(&c);
	assert_int_equal(hs_server_config_load(&c, path), HS_OK);
	assert_int_equal(c.max_auth_tries, 4);
	hs_server_config_free(&c);
	/* A file that includes itself stops at the depth limit with an error. */
	f = fopen(sub, "w");
	assert_non_null(f);
	fprintf(f, "Include %s\n", sub);
	fclose(f);
	hs_server_config_init(&c);
	assert_int_equal(hs_server_config_load(&c, sub), HS_ERR_CONFIG);
	hs_server_config_free(&c);
	assert_int_equal(hs_server_config_load(&c, "/nonexistent/hsshd_config"), HS_ERR_NOT_FOUND);
	unlink(sub);
	unlink(path);
	rmdir(dir);
}

/* ---- PerSource* (OpenSSH 9.8 sshd_config(5)) ---- */

static void
test_persource_parse(void **state)
{
	struct hs_server_config c;

	hs_server_config_init(&c);
	assert_int_equal(parse(&c,
	    "PerSourcePenalties crash:2m authfail:30s noauth:0 max-sources6:10 overflow6:deny-all\n"
	    "PerSourcePenalties crash:1h grace-exceeded:1m max:1h min:1m30s max-sources4:100\n"
	    "PerSourcePenalties overflow:deny-all overflow6:permissive\n"
	    "PerSourcePenaltyExemptList 192.0.2.0/24,10.1.2.3,2001:db8::/32,::1\n"
	    "PerSourcePenaltyExemptList 0.0.0.0/0\n"
	    "PerSourceNetBlockSize 24:56\n"
	    "PerSourceNetBlockSize 8:8\n"
	    "PerSourceMaxStartups 5\n"
	    "PerSourceMaxStartups none\n"), HS_OK);
	assert_int_equal(hs_server_config_finish(&c), HS_OK);
	assert_int_equal(c.penalties.enabled, 1);
	assert_int_equal(c.penalties.crash, 120);	/* the first crash: wins */
	assert_int_equal(c.penalties.authfail, 30);
	assert_int_equal(c.penalties.noauth, 0);
	assert_int_equal(c.penalties.grace, 60);
	assert_int_equal(c.penalties.max, 3600);
	assert_int_equal(c.penalties.min, 90);
	assert_int_equal(c.penalties.max_sources4, 100);
	assert_int_equal(c.penalties.max_sources6, 10);
	assert_int_equal(c.penalties.overflow4, HS_OVERFLOW_DENY_ALL);
	assert_int_equal(c.penalties.overflow6, HS_OVERFLOW_DENY_ALL);	/* first wins */
	assert_int_equal(c.n_exempt, 4);
	assert_int_equal(c.exempt[0].af, AF_INET);
	assert_int_equal(c.exempt[0].bits, 24);
	assert_int_equal(c.exempt[1].bits, 32);
	assert_int_equal(c.exempt[2].af, AF_INET6);
	assert_int_equal(c.exempt[2].bits, 32);
	assert_int_equal(c.exempt[3].bits, 128);
	assert_int_equal(c.exempt[3].addr[15], 1);
	assert_int_equal(c.netblock4, 24);
	assert_int_equal(c.netblock6, 56);
	assert_int_equal(c.per_source_max_startups, 5);
	hs_server_config_free(&c);

	/* The first of "yes", "no" or a name:value (which means yes) decides; later sub-options are
	 * still taken (sshd would let a later name:value override an earlier "no"). */
	hs_server_config_init(&c);
	assert_int_equal(parse(&c, "PerSourcePenalties no\nPerSourcePenalties yes\n"
	    "PerSourceNetBlockSize 16\n"), HS_OK);
	assert_int_equal(hs_server_config_finish(&c), HS_OK);
	assert_int_equal(c.penalties.enabled, 0);
	assert_int_equal(c.netblock4, 16);
	assert_int_equal(c.netblock6, 128);
	hs_server_config_free(&c);
	hs_server_config_init(&c);
	assert_int_equal(parse(&c, "PerSourcePenalties min:1\nPerSourcePenalties NO\n"), HS_OK);
	assert_int_equal(c.penalties.enabled, 1);
	hs_server_config_free(&c);
	hs_server_config_init(&c);
	assert_int_equal(hs_server_config_line(&c, "PerSourcePenalties no", "command-line", 0),
	    HS_OK);
	assert_int_equal(parse(&c, "PerSourcePenalties crash:1m min:1\n"), HS_OK);
	assert_int_equal(hs_server_config_finish(&c), HS_OK);
	assert_int_equal(c.penalties.enabled, 0);	/* -o "no" holds */
	assert_int_equal(c.penalties.crash, 60);
	hs_server_config_free(&c);
	/* A 0.0.0.0/0 or ::/0 exemption is a valid block. */
	hs_server_config_init(&c);
	assert_int_equal(parse(&c, "PerSourcePenaltyExemptList 0.0.0.0/0,::/0\n"), HS_OK);
	assert_int_equal(c.n_exempt, 2);
	assert_int_equal(c.exempt[1].bits, 0);
	hs_server_config_free(&c);
}

/* Each bad value is refused, and the message names the file and line. */
static void
test_persource_errors(void **state)
{
	static const char *const bad[] = {
		"PerSourcePenalties\n", "PerSourcePenalties crash:\n", "PerSourcePenalties crash:1x\n",
		"PerSourcePenalties bogus:1\n", "PerSourcePenalties crash\n",
		"PerSourcePenalties no crash:1m\n", "PerSourcePenalties crash:1m yes\n",
		"PerSourcePenalties yes no\n", "PerSourcePenalties overflow:deny\n",
		"PerSourcePenalties overflow:Deny-All\n", "PerSourcePenalties Crash:1m\n",
		"PerSourcePenalties max-sources4:-1\n", "PerSourcePenalties max-sources4:1k\n",
		"PerSourcePenalties max-sources6:99999999999\n", "PerSourcePenalties min:-5\n",
		"PerSourcePenalties maybe\n",
		"PerSourcePenaltyExemptList 10.0.0.0/33\n", "PerSourcePenaltyExemptList 10.0.0.1/8\n",
		"PerSourcePenaltyExemptList 2001:db8::/129\n",
		"PerSourcePenaltyExemptList 2001:db8::1/64\n", "PerSourcePenaltyExemptList *\n",
		"PerSourcePenaltyExemptList 10.0.0.0/8,\n", "PerSourcePenaltyExemptList ,10.0.0.1\n",
		"PerSourcePenaltyExemptList !10.0.0.1\n", "PerSourcePenaltyExemptList 10.0.0.0/\n",
		"PerSourcePenaltyExemptList host.example\n", "PerSourcePenaltyExemptList a b\n",
		"PerSourceNetBlockSize 33\n", "PerSourceNetBlockSize 24:129\n",
		"PerSourceNetBlockSize a\n", "PerSourceNetBlockSize 24:\n", "PerSourceNetBlockSize :64\n",
		"PerSourceNetBlockSize -1\n", "PerSourceNetBlockSize +24\n", "PerSourceNetBlockSize\n",
		"PerSourceMaxStartups 0\n", "PerSourceMaxStartups -1\n", "PerSourceMaxStartups x\n",
		"PerSourceMaxStartups None\n", "PerSourceMaxStartups 3x\n",
	};
	char logpath[] = "/tmp/hs_cfgtest_log_XXXXXX";
	int fd = mkstemp(logpath);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(hs_log_to_file(logpath), HS_OK);
	hs_log_init("test", HS_LOG_ERROR, true, 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct hs_server_config c;
		char text[256], log[4096] = "";
		FILE *f;
		size_t n;

		/* A good line first, so the bad one is line 2. */
		snprintf(text, sizeof(text), "Port 22\n%s", bad[i]);
		assert_int_equal(truncate(logpath, 0), 0);
		hs_server_config_init(&c);
		if (parse(&c, text) != HS_ERR_CONFIG)
			fail_msg("accepted: %s", bad[i]);
		hs_server_config_free(&c);
		f = fopen(logpath, "r");
		assert_non_null(f);
		n = fread(log, 1, sizeof(log) - 1, f);
		log[n] = '\0';
		fclose(f);
		if (strstr(log, "test_config line 2: ") == NULL)
			fail_msg("no file:line for %s(logged: %s)", bad[i], log);
	}
	hs_log_init("test", HS_LOG_QUIET, true, 0);
	unlink(logpath);
}

static void
test_persource_dump(void **state)
{
	struct hs_server_config c;
	char *s;

	hs_server_config_init(&c);
	assert_int_equal(hs_server_config_finish(&c), HS_OK);
	s = dump(&c);
	assert_non_null(strstr(s, "\npersourcepenalties crash:90 authfail:5 noauth:1 "
	    "grace-exceeded:20 max:600 min:15 max-sources4:65536 max-sources6:65536 "
	    "overflow:permissive overflow6:permissive\n"));
	assert_non_null(strstr(s, "\npersourcenetblocksize 32:128\n"));
	assert_non_null(strstr(s, "\npersourcemaxstartups none\n"));
	assert_non_null(strstr(s, "\npersourcepenaltyexemptlist none\n"));
	free(s);
	hs_server_config_free(&c);

	hs_server_config_init(&c);
	assert_int_equal(hs_server_config_line(&c, "persourcepenalties authfail:1m", "command-line",
	    0), HS_OK);
	assert_int_equal(parse(&c, "PerSourcePenalties authfail:2m crash:1h overflow:deny-all\n"
	    "PerSourceNetBlockSize 24\nPerSourceMaxStartups 7\n"
	    "PerSourcePenaltyExemptList 10.0.0.0/8,::1\n"), HS_OK);
	assert_int_equal(hs_server_config_finish(&c), HS_OK);
	s = dump(&c);
	assert_non_null(strstr(s, "\npersourcepenalties crash:3600 authfail:60 noauth:1 "
	    "grace-exceeded:20 max:600 min:15 max-sources4:65536 max-sources6:65536 "
	    "overflow:deny-all overflow6:deny-all\n"));
	assert_non_null(strstr(s, "\npersourcenetblocksize 24:128\n"));
	assert_non_null(strstr(s, "\npersourcemaxstartups 7\n"));
	assert_non_null(strstr(s, "\npersourcepenaltyexemptlist 10.0.0.0/8,::1\n"));
	free(s);
	hs_server_config_free(&c);

	hs_server_config_init(&c);
	assert_int_equal(parse(&c, "PerSourcePenalties no\n"), HS_OK);
	assert_int_equal(hs_server_config_finish(&c), HS_OK);
	s = dump(&c);
	assert_non_null(strstr(s, "\npersourcepenalties no\n"));
	free(s);
	hs_server_config_free(&c);
}

/* Every prefix of a valid config parses or fails cleanly (no crash, no leak under ASan). */
/* Access restrictions hsshd does not implement yet are start-up errors, never silently ignored
 * (an ignored "AllowUsers admin" would let everyone in); their no-op values are accepted. */
static void
test_restrictions_fail_closed(void **state)
{
	static const char *const refused[] = {
		"AllowUsers admin\n", "DenyUsers guest\n", "AllowGroups wheel\n", "DenyGroups users\n",
		"AuthenticationMethods publickey,password\n", "RevokedKeys /etc/ssh/revoked\n",
		"PermitTTY no\n", "ChrootDirectory /srv/%u\n",
	};
	static const char *const accepted[] = {
		"AuthenticationMethods any\n", "RevokedKeys none\n", "PermitTTY yes\n",
		"ChrootDirectory none\n",
	};
	struct hs_server_config c;

	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		hs_server_config_init(&c);
		assert_int_equal(parse(&c, refused[i]), HS_ERR_CONFIG);
		hs_server_config_free(&c);
	}
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
		hs_server_config_init(&c);
		assert_int_equal(parse(&c, accepted[i]), HS_OK);
		hs_server_config_free(&c);
	}
}

/* ---- KexProvider, KexProviderFallback (issue 5) ---- */

/* A finished configuration from text, or the finish error. */
static hs_err
finished(struct hs_server_config *c, const char *text)
{
	hs_server_config_init(c);
	assert_int_equal(parse(c, text), HS_OK);
	return hs_server_config_finish(c);
}

static void
test_kex_provider_values(void **state)
{
	static const char *const good[] = { "soft", "SOFT", "pkcs11:token=hsm;object=k",
		"PKCS11:token=x", "tpm2:handle=0x81000001", "tpm2:blob=/etc/hardssh/k.blob" };
	static const char *const bad[] = { "", "hsm", "pkcs11", "pkcs11:", "tpm2:", "tpm:x",
		"file:/etc/ssh/key", "softer" };
	struct hs_server_config c;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_int_equal(hs_cfg_parse_kex_provider(good[i]), HS_OK);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(hs_cfg_parse_kex_provider(bad[i]), HS_ERR_CONFIG);
	hs_server_config_init(&c);
	assert_int_equal(parse(&c, "KexProvider hsm\n"), HS_ERR_CONFIG);
	assert_int_equal(parse(&c, "KexProvider\n"), HS_ERR_CONFIG);
	assert_int_equal(parse(&c, "KexProvider soft tpm2:x\n"), HS_ERR_CONFIG);
	assert_int_equal(parse(&c, "KexProviderFallback maybe\n"), HS_ERR_CONFIG);
	hs_server_config_free(&c);
	/* the first value wins, as for every single-valued keyword; "SOFT" is software */
	assert_int_equal(finished(&c, "KexProvider=tpm2:handle=0x81000001\n"
	    "KexProvider pkcs11:token=x\nKexProviderFallback yes\nKexProviderFallback no\n"),
	    HS_OK);
	assert_string_equal(c.kex_provider, "tpm2:handle=0x81000001");
	assert_int_equal(c.kex_provider_fallback, 1);
	assert_true(hs_server_config_kex_hw(&c));
	hs_server_config_free(&c);
	assert_int_equal(finished(&c, "KexProvider SOFT\n"), HS_OK);
	assert_string_equal(c.kex_provider, "soft");
	assert_false(hs_server_config_kex_hw(&c));
	hs_server_config_free(&c);
}

/* The default is software, nothing reduced; -T names it and lists every provider. */
static void
test_kex_provider_dump(void **state)
{
	struct hs_server_config c, d;
	char *s, *line;
	size_t providers = 0;

	assert_int_equal(finished(&c, ""), HS_OK);
	assert_int_equal(finished(&d, "KexProvider soft\n"), HS_OK);
	assert_string_equal(c.kex_provider, "soft");
	assert_int_equal(c.kex_provider_fallback, 0);
	assert_false(hs_server_config_kex_hw(&c));
	assert_string_equal(c.kex_algs, d.kex_algs);	/* soft: nothing reduced */
	assert_non_null(strstr(c.kex_algs, "curve25519-sha256"));
	s = dump(&c);
	assert_non_null(strstr(s, "\nkexprovider soft\nkexproviderfallback no\n"));
	assert_non_null(strstr(s, "\nprovider soft yes "));
	/* one line per provider: "provider NAME yes|no SUMMARY-or-dash" */
	for (line = strstr(s, "\nprovider "); line != NULL; line = strstr(line + 1, "\nprovider ")) {
		char name[32], avail[8], rest[256];

		assert_int_equal(sscanf(line + 1, "provider %31s %7s %255[^\n]", name, avail, rest), 3);
		assert_true(strcmp(avail, "yes") == 0 || strcmp(avail, "no") == 0);
		providers++;
	}
	assert_true(providers >= 2);	/* soft and pkcs11 */
	assert_non_null(strstr(s, "\nprovider pkcs11 "));
	free(s);
	hs_server_config_free(&d);
	hs_server_config_free(&c);
	assert_int_equal(finished(&c, "KexProvider tpm2:handle=0x81000001\n"
	    "KexProviderFallback yes\n"), HS_OK);
	s = dump(&c);
	assert_non_null(strstr(s, "\nkexprovider tpm2:handle=0x81000001\nkexproviderfallback yes\n"));
	assert_null(strstr(s, "\ntpm2tcti "));	/* printed only when set */
	free(s);
	hs_server_config_free(&c);
	assert_int_equal(finished(&c, "TPM2TCTI swtpm:host=127.0.0.1,port=2321\n"
	    "TPM2TCTI device:/dev/tpmrm0\n"), HS_OK);
	assert_string_equal(c.tpm2_tcti, "swtpm:host=127.0.0.1,port=2321");	/* first wins */
	s = dump(&c);
	assert_non_null(strstr(s, "\ntpm2tcti swtpm:host=127.0.0.1,port=2321\n"));
	free(s);
	hs_server_config_free(&c);
}

/* A hardware KexProvider without fallback offers only what hardware computes, in the configured
 * order; with fallback, or in software, KexAlgorithms stays as configured. */
static void
test_kex_provider_reduces_algs(void **state)
{
	static const struct {
		const char *text;
		const char *want;	/* NULL: HS_ERR_CONFIG */
	} cases[] = {
		{ "KexProvider pkcs11:token=t\n", "ecdh-sha2-nistp256,ecdh-sha2-nistp384" },
		{ "KexProvider tpm2:handle=0x81000001\nKexAlgorithms ecdh-sha2-nistp384,"
		  "curve25519-sha256,ecdh-sha2-nistp521,ecdh-sha2-nistp256\n",
		  "ecdh-sha2-nistp384,ecdh-sha2-nistp256" },
		{ "KexProvider pkcs11:token=t\nKexAlgorithms -ecdh-sha2-nistp256\n",
		  "ecdh-sha2-nistp384" },
		{ "KexProvider pkcs11:token=t\nKexAlgorithms ^ecdh-sha2-nistp384\n",
		  "ecdh-sha2-nistp384,ecdh-sha2-nistp256" },
		{ "KexProvider pkcs11:token=t\nKexProviderFallback yes\n"
		  "KexAlgorithms curve25519-sha256,ecdh-sha2-nistp256\n",
		  "curve25519-sha256,ecdh-sha2-nistp256" },
		{ "KexProvider soft\nKexAlgorithms curve25519-sha256\n", "curve25519-sha256" },
		/* nothing hardware can do is left: a start-up error, not a silent software KEX */
		{ "KexProvider pkcs11:token=t\nKexAlgorithms curve25519-sha256,ecdh-sha2-nistp521,"
		  "diffie-hellman-group16-sha512\n", NULL },
		{ "KexProvider tpm2:handle=0x81000001\nKexProviderFallback no\n"
		  "KexAlgorithms -ecdh-sha2-nistp256,ecdh-sha2-nistp384\n", NULL },
	};
	struct hs_server_config c;
	char *s, want[300];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hs_err r = finished(&c, cases[i].text);

		if (cases[i].want == NULL) {
			assert_int_equal(r, HS_ERR_CONFIG);
			hs_server_config_free(&c);
			continue;
		}
		assert_int_equal(r, HS_OK);
		assert_string_equal(c.kex_algs, cases[i].want);
		s = dump(&c);
		snprintf(want, sizeof(want), "\nkexalgorithms %s\n", cases[i].want);
		assert_non_null(strstr(s, want));
		free(s);
		hs_server_config_free(&c);
	}
}

static void
test_truncation(void **state)
{
	static const char text[] = "Port 22\nListenAddress [::1]:22\nPidFile \"/a b\"\n"
	    "RekeyLimit 1G 1h\nMaxStartups 1:2:3\nAuthorizedKeysFile a b c\n"
	    "PerSourcePenalties crash:1m30s max-sources6:100 overflow:deny-all\n"
	    "PerSourcePenaltyExemptList 192.0.2.0/24,2001:db8::/32\nPerSourceNetBlockSize 24:120\n"
	    "PerSourceMaxStartups 12\nKexProvider pkcs11:token=a\nKexProviderFallback yes\n";

	for (size_t n = 0; n <= sizeof(text) - 1; n++) {
		struct hs_server_config c;
		hs_err r;

		hs_server_config_init(&c);
		r = hs_server_config_parse_text(&c, text, n, "trunc");
		assert_true(r == HS_OK || r == HS_ERR_CONFIG);
		hs_server_config_free(&c);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_size),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_basic_keywords),
		cmocka_unit_test(test_restrictions_fail_closed),
		cmocka_unit_test(test_first_value_wins),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_stock_keywords),
		cmocka_unit_test(test_rekeylimit_dump),
		cmocka_unit_test(test_defaults_and_dump),
		cmocka_unit_test(test_algs_expanded),
		cmocka_unit_test(test_include),
		cmocka_unit_test(test_fips_mode),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_kex_provider_values),
		cmocka_unit_test(test_kex_provider_dump),
		cmocka_unit_test(test_kex_provider_reduces_algs),
		cmocka_unit_test(test_persource_parse),
		cmocka_unit_test(test_persource_errors),
		cmocka_unit_test(test_persource_dump),
	};

	hs_log_init("test", HS_LOG_QUIET, true, 0);
	return cmocka_run_group_tests_name("server_config", tests, NULL, NULL);
}
