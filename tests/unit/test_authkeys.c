/* test_authkeys.c: authorized_keys lines and options, from= matching, expiry-time, path tokens,
 * StrictModes, the file search, and the SSH_MSG_USERAUTH_REQUEST parser of hsshd. */
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

#include "hs_authkeys.h"
#include "hs_buf.h"
#include "hs_log.h"
#include "server_impl.h"

/* Keys made with OpenSSH's ssh-keygen for these tests. Most tests use the ECDSA key; the Ed25519
 * key checks public-only Ed25519 import on its own. */
#define ED_TYPE	"ssh-ed25519"
#define ED_B64	"AAAAC3NzaC1lZDI1NTE5AAAAICRX/GIWd+NRa0rPiF3p9rNT5pq5qvh6MLcP3tYE7x/1"
#define EC_TYPE	"ecdsa-sha2-nistp256"
#define EC_B64	"AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBFd8SoJYQ6Mv+/giAJFxVeSV4eHuQzbwY7J" \
		"SECKi9zmUsco8oYxpudPFFmu1Q0X9j/eSiSLPrnJajNBlTLHfdmU="
#define P384_LINE	"ecdsa-sha2-nistp384 AAAAE2VjZHNhLXNoYTItbmlzdHAzODQAAAAIbmlzdHAzODQAAABhBOXx2L+N" \
		"ERRmKSuZt1QSFXDRCskDoL+/meaOBh5T7uJdLQg1iI/p344JopN9aTl3R0BTMw841/CZyDYoH7aapE2rGKvt9x" \
		"JckxXAwkRQqVcphAJAN/mGBTdlDcAjJR9Sjw== ec384@h5"
#define ED_LINE	ED_TYPE " " ED_B64 " test@h5"
#define EC_LINE	EC_TYPE " " EC_B64 " ec@h5"

static hs_err
parse(const char *line, struct hs_authkey *k)
{
	return hs_authkeys_parse_line(line, strlen(line), k);
}

static void
test_plain_line(void **state)
{
	struct hs_authkey k;

	assert_int_equal(parse(ED_LINE, &k), HS_OK);
	assert_non_null(k.key);
	assert_int_equal(hs_key_type(k.key), HS_KEY_ED25519);
	assert_int_equal(k.blob_len, 51);	/* string "ssh-ed25519" + string 32 bytes */
	assert_string_equal(k.comment, "test@h5");
	assert_null(k.opts.command);
	assert_false(k.opts.no_pty);
	hs_authkey_clear(&k);
	assert_int_equal(parse("  " EC_LINE "  \r\n", &k), HS_OK);
	assert_int_equal(hs_key_type(k.key), HS_KEY_ECDSA_P256);
	assert_string_equal(k.comment, "ec@h5");
	hs_authkey_clear(&k);
	assert_int_equal(parse(ED_TYPE " " ED_B64, &k), HS_OK);
	assert_null(k.comment);
	hs_authkey_clear(&k);
}

static void
test_blank_and_bad(void **state)
{
	struct hs_authkey k;

	assert_int_equal(parse("", &k), HS_ERR_NOT_FOUND);
	assert_int_equal(parse("   \t ", &k), HS_ERR_NOT_FOUND);
	assert_int_equal(parse("# " EC_LINE, &k), HS_ERR_NOT_FOUND);
	/* type text names another type than the blob */
	assert_int_equal(parse(ED_TYPE " " EC_B64, &k), HS_ERR_FORMAT);
	assert_int_equal(parse(EC_TYPE, &k), HS_ERR_FORMAT);
	assert_int_equal(parse(EC_TYPE " !!!notbase64", &k), HS_ERR_FORMAT);
	assert_null(k.key);
	/* unknown option: sshd skips such a line */
	assert_int_equal(parse("frobnicate " EC_LINE, &k), HS_ERR_UNSUPPORTED);
	assert_int_equal(parse("no-pty,bogus=\"x\" " EC_LINE, &k), HS_ERR_UNSUPPORTED);
	/* malformed options */
	assert_int_equal(parse("command=\"unterminated " EC_LINE, &k), HS_ERR_FORMAT);
	assert_int_equal(parse("command=noquotes " EC_LINE, &k), HS_ERR_FORMAT);
	assert_int_equal(parse("no-pty=\"x\" " EC_LINE, &k), HS_ERR_FORMAT);
	assert_int_equal(parse("no-pty,," EC_LINE, &k), HS_ERR_UNSUPPORTED);
	assert_int_equal(parse("expiry-time=\"2020\" " EC_LINE, &k), HS_ERR_FORMAT);
	assert_int_equal(parse("environment=\"NOEQUALS\" " EC_LINE, &k), HS_ERR_FORMAT);
	assert_int_equal(parse("command=\"a\",command=\"b\" " EC_LINE, &k), HS_ERR_FORMAT);
}

static void
test_options(void **state)
{
	struct hs_authkey k;

	assert_int_equal(parse("command=\"echo \\\"hi there\\\"\",from=\"10.0.0.0/8,!10.1.*\","
	    "no-agent-forwarding,environment=\"A=1\",NO-PTY " EC_LINE, &k), HS_OK);
	assert_string_equal(k.opts.command, "echo \"hi there\"");
	assert_string_equal(k.opts.from, "10.0.0.0/8,!10.1.*");
	assert_true(k.opts.no_pty);
	assert_true(k.opts.no_agent_forwarding);
	assert_false(k.opts.no_port_forwarding);
	assert_int_equal(k.opts.n_env, 1);
	assert_string_equal(k.opts.env[0], "A=1");
	hs_authkey_clear(&k);

	/* restrict turns everything off; pty re-enables one thing */
	assert_int_equal(parse("restrict,pty " EC_LINE, &k), HS_OK);
	assert_false(k.opts.no_pty);
	assert_true(k.opts.no_port_forwarding);
	assert_true(k.opts.no_agent_forwarding);
	assert_true(k.opts.no_x11_forwarding);
	assert_true(k.opts.no_user_rc);
	hs_authkey_clear(&k);

	assert_int_equal(parse("restrict,port-forwarding " EC_LINE, &k), HS_OK);
	assert_true(k.opts.no_pty);
	assert_false(k.opts.no_port_forwarding);
	hs_authkey_clear(&k);

	/* permitopen cannot be enforced as a list: forwarding is refused instead */
	assert_int_equal(parse("permitopen=\"host:22\" " EC_LINE, &k), HS_OK);
	assert_true(k.opts.no_port_forwarding);
	hs_authkey_clear(&k);

	/* a space inside a quoted value does not end the options */
	assert_int_equal(parse("command=\"ls -l /\" " EC_LINE, &k), HS_OK);
	assert_string_equal(k.opts.command, "ls -l /");
	hs_authkey_clear(&k);
}

static void
test_expiry(void **state)
{
	struct hs_authkey k;
	time_t t;

	assert_int_equal(hs_authkeys_parse_time("20200102Z", &t), HS_OK);
	assert_true(t == 1577923200);
	assert_int_equal(hs_authkeys_parse_time("202001020304Z", &t), HS_OK);
	assert_true(t == 1577923200 + 3 * 3600 + 4 * 60);
	assert_int_equal(hs_authkeys_parse_time("20200102030405Z", &t), HS_OK);
	assert_true(t == 1577923200 + 3 * 3600 + 4 * 60 + 5);
	assert_int_equal(hs_authkeys_parse_time("20201301", &t), HS_ERR_FORMAT);
	assert_int_equal(hs_authkeys_parse_time("2020010", &t), HS_ERR_FORMAT);
	assert_int_equal(hs_authkeys_parse_time("2020010a", &t), HS_ERR_FORMAT);
	assert_int_equal(hs_authkeys_parse_time("", &t), HS_ERR_FORMAT);
	assert_int_equal(parse("expiry-time=\"20300101\" " EC_LINE, &k), HS_OK);
	assert_true(k.opts.expiry > 1577923200);
	hs_authkey_clear(&k);
}

static void
test_match_from(void **state)
{
	assert_true(hs_authkeys_match_from("127.0.0.1", "127.0.0.1"));
	assert_false(hs_authkeys_match_from("127.0.0.2", "127.0.0.1"));
	assert_true(hs_authkeys_match_from("10.0.0.0/8", "10.200.3.4"));
	assert_false(hs_authkeys_match_from("10.0.0.0/8", "11.0.0.1"));
	assert_true(hs_authkeys_match_from("192.168.1.0/25", "192.168.1.127"));
	assert_false(hs_authkeys_match_from("192.168.1.0/25", "192.168.1.128"));
	assert_true(hs_authkeys_match_from("192.168.*", "192.168.7.7"));
	assert_true(hs_authkeys_match_from("10.?.0.1", "10.5.0.1"));
	assert_false(hs_authkeys_match_from("10.?.0.1", "10.55.0.1"));
	assert_true(hs_authkeys_match_from("*,!10.0.0.1", "10.0.0.2"));
	assert_false(hs_authkeys_match_from("*,!10.0.0.1", "10.0.0.1"));
	assert_false(hs_authkeys_match_from("!10.0.0.1,*", "10.0.0.1"));
	assert_false(hs_authkeys_match_from("!10.0.0.1", "10.0.0.2"));	/* no positive match */
	assert_true(hs_authkeys_match_from("2001:db8::/32", "2001:db8:1::5"));
	assert_false(hs_authkeys_match_from("2001:db8::/32", "2001:db9::5"));
	assert_true(hs_authkeys_match_from("::1", "::1"));
	assert_false(hs_authkeys_match_from("10.0.0.0/8", "::1"));
	assert_true(hs_authkeys_match_from("127.0.0.0/8", "::ffff:127.0.0.1"));
	/* a malformed CIDR entry denies */
	assert_false(hs_authkeys_match_from("10.0.0.0/33,*", "10.0.0.1"));
	assert_false(hs_authkeys_match_from("nonsense/8,*", "10.0.0.1"));
	assert_false(hs_authkeys_match_from("", "10.0.0.1"));
	assert_true(hs_authkeys_match_list("LC_ALL", "LANG,LC_*"));
	assert_false(hs_authkeys_match_list("PATH", "LANG,LC_*"));
	assert_true(hs_authkeys_match_list("_XXX_TEST_1", "_XXX_TEST_*"));
	/* many stars: bounded work */
	assert_false(hs_authkeys_match_list("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
	    "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c"));
}

static void
test_expand_path(void **state)
{
	char *p;

	assert_int_equal(hs_authkeys_expand_path(".ssh/authorized_keys", "bob", 1000, "/home/bob",
	    &p), HS_OK);
	assert_string_equal(p, "/home/bob/.ssh/authorized_keys");
	free(p);
	assert_int_equal(hs_authkeys_expand_path("/etc/keys/%u.%U", "bob", 1000, "/home/bob", &p),
	    HS_OK);
	assert_string_equal(p, "/etc/keys/bob.1000");
	free(p);
	assert_int_equal(hs_authkeys_expand_path("%h/k%%", "bob", 1000, "/home/bob", &p), HS_OK);
	assert_string_equal(p, "/home/bob/k%");
	free(p);
	assert_int_equal(hs_authkeys_expand_path("%x", "bob", 1000, "/home/bob", &p), HS_ERR_FORMAT);
	assert_int_equal(hs_authkeys_expand_path("a%", "bob", 1000, "/home/bob", &p), HS_ERR_FORMAT);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void
test_perms_and_find(void **state)
{
	char home[] = "/tmp/hs_aktest_XXXXXX", dir[128], file[256];
	const char *files[] = { ".ssh/missing", ".ssh/authorized_keys" };
	struct hs_buf *blob;
	struct hs_authkey k, found;
	struct hs_authkeys_query q;

	assert_non_null(mkdtemp(home));
	assert_int_equal(chmod(home, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/.ssh", home);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(file, sizeof(file), "%s/authorized_keys", dir);
	write_file(file, "# keys\n\nbogus-option " EC_LINE "\nfrom=\"10.9.9.9\" " P384_LINE "\n"
	    "no-pty " EC_LINE "\n", 0600);
	assert_int_equal(hs_authkeys_check_perms(file, getuid(), home), HS_OK);
	assert_int_equal(chmod(file, 0620), 0);
	assert_int_equal(hs_authkeys_check_perms(file, getuid(), home), HS_ERR_PERM);
	assert_int_equal(chmod(file, 0600), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(hs_authkeys_check_perms(file, getuid(), home), HS_ERR_PERM);
	assert_int_equal(chmod(dir, 0700), 0);
	/* Owned by someone who is neither the user nor root. */
	if (getuid() == 0) {
		assert_int_equal(chown(file, 4242, (gid_t)-1), 0);
		assert_int_equal(hs_authkeys_check_perms(file, 0, home), HS_ERR_PERM);
		assert_int_equal(hs_authkeys_check_perms(file, 4242, home), HS_OK);
		assert_int_equal(chown(file, 0, (gid_t)-1), 0);
	} else {
		assert_int_equal(hs_authkeys_check_perms(file, getuid() + 4242, home), HS_ERR_PERM);
	}

	assert_int_equal(parse(EC_LINE, &k), HS_OK);
	memset(&q, 0, sizeof(q));
	q.user = "someone";
	q.uid = getuid();
	q.home = home;
	q.files = files;
	q.n_files = 2;
	q.strict_modes = true;
	q.client_ip = "127.0.0.1";
	q.blob = k.blob;
	q.blob_len = k.blob_len;
	/* The first line has an unknown option and is skipped; the third one matches. */
	assert_int_equal(hs_authkeys_find(&q, &found), HS_OK);
	assert_true(found.opts.no_pty);
	hs_authkey_clear(&found);
	hs_authkey_clear(&k);
	/* The P-384 key is only allowed from 10.9.9.9. */
	assert_int_equal(parse(P384_LINE, &k), HS_OK);
	q.blob = k.blob;
	q.blob_len = k.blob_len;
	assert_int_equal(hs_authkeys_find(&q, &found), HS_ERR_NOT_FOUND);
	q.client_ip = "10.9.9.9";
	assert_int_equal(hs_authkeys_find(&q, &found), HS_OK);
	hs_authkey_clear(&found);
	/* StrictModes refuses a group-writable file; without StrictModes it is read. */
	assert_int_equal(chmod(file, 0660), 0);
	assert_int_equal(hs_authkeys_find(&q, &found), HS_ERR_NOT_FOUND);
	q.strict_modes = false;
	assert_int_equal(hs_authkeys_find(&q, &found), HS_OK);
	hs_authkey_clear(&found);
	/* As root, the files are read with the user's ids: a root-only file is not read for a user. */
	if (getuid() == 0) {
		assert_int_equal(chmod(file, 0600), 0);
		assert_int_equal(chown(home, 4242, 4242), 0);
		assert_int_equal(chown(dir, 4242, 4242), 0);
		q.uid = 4242;
		q.gid = 4242;
		assert_int_equal(hs_authkeys_find(&q, &found), HS_ERR_NOT_FOUND);
		assert_int_equal(chown(file, 4242, 4242), 0);
		assert_int_equal(hs_authkeys_find(&q, &found), HS_OK);
		hs_authkey_clear(&found);
		assert_true(access(file, R_OK) == 0);	/* ids restored */
	}
	/* A blob that is in no file. */
	assert_int_equal(hs_buf_new(64, &blob), HS_OK);
	assert_int_equal(hs_buf_put_cstring(blob, "nope"), HS_OK);
	q.blob = hs_buf_ptr(blob);
	q.blob_len = hs_buf_len(blob);
	assert_int_equal(hs_authkeys_find(&q, &found), HS_ERR_NOT_FOUND);
	hs_buf_free(blob);
	hs_authkey_clear(&k);
	unlink(file);
	rmdir(dir);
	rmdir(home);
}

/* Every prefix of an options-laden line, and every single-bit flip, parses or fails cleanly. */
static void
test_truncation_and_flips(void **state)
{
	static const char line[] = "restrict,command=\"a \\\"b\\\"\",from=\"1.2.3.0/24\","
	    "expiry-time=\"20991231\",environment=\"X=y\" " EC_LINE;
	char buf[sizeof(line)];
	struct hs_authkey k;

	for (size_t n = 0; n < sizeof(line) - 1; n++) {
		hs_err r = hs_authkeys_parse_line(line, n, &k);

		/* Any prefix that cuts the base64 short must fail. */
		if (n < sizeof(line) - 1 - strlen(" ec@h5") - 3)
			assert_int_not_equal(r, HS_OK);
		if (r == HS_OK)
			hs_authkey_clear(&k);
	}
	for (size_t i = 0; i < (sizeof(line) - 1) * 8; i++) {
		memcpy(buf, line, sizeof(line));
		buf[i / 8] ^= (char)(1 << (i % 8));
		if (hs_authkeys_parse_line(buf, sizeof(line) - 1, &k) == HS_OK)
			hs_authkey_clear(&k);
	}
}

/* ---- SSH_MSG_USERAUTH_REQUEST parser ---- */

static struct hs_buf *
build_req(const char *method, int variant)
{
	struct hs_buf *b;

	assert_int_equal(hs_buf_new(4096, &b), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, "alice"), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, "ssh-connection"), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, method), HS_OK);
	if (strcmp(method, "publickey") == 0) {
		assert_int_equal(hs_buf_put_bool(b, variant == 1), HS_OK);
		assert_int_equal(hs_buf_put_cstring(b, "ssh-ed25519"), HS_OK);
		assert_int_equal(hs_buf_put_string(b, "BLOB", 4), HS_OK);
		if (variant == 1)
			assert_int_equal(hs_buf_put_string(b, "SIGNATURE", 9), HS_OK);
	} else if (strcmp(method, "password") == 0) {
		assert_int_equal(hs_buf_put_bool(b, variant == 1), HS_OK);
		assert_int_equal(hs_buf_put_cstring(b, "s3cret"), HS_OK);
		if (variant == 1)
			assert_int_equal(hs_buf_put_cstring(b, "n3w"), HS_OK);
	}
	return b;
}

static void
test_userauth_parse(void **state)
{
	struct hs_userauth_req req;
	struct hs_buf *b;

	b = build_req("publickey", 1);
	assert_int_equal(hs_userauth_req_parse(b, &req), HS_OK);
	assert_string_equal(req.user, "alice");
	assert_string_equal(req.service, "ssh-connection");
	assert_true(req.has_sig);
	assert_string_equal(req.pk_alg, "ssh-ed25519");
	assert_int_equal(req.blob_len, 4);
	assert_memory_equal(req.sig, "SIGNATURE", 9);
	hs_userauth_req_clear(&req);
	hs_buf_free(b);

	b = build_req("password", 1);
	assert_int_equal(hs_userauth_req_parse(b, &req), HS_OK);
	assert_true(req.change);
	assert_string_equal(req.password, "s3cret");
	assert_string_equal(req.new_password, "n3w");
	hs_userauth_req_clear(&req);
	hs_buf_free(b);

	/* Unknown methods keep their method-specific fields unread. */
	b = build_req("keyboard-interactive", 0);
	assert_int_equal(hs_buf_put_cstring(b, ""), HS_OK);
	assert_int_equal(hs_userauth_req_parse(b, &req), HS_OK);
	assert_string_equal(req.method, "keyboard-interactive");
	hs_userauth_req_clear(&req);
	hs_buf_free(b);
}

static void
test_userauth_truncation_trailing(void **state)
{
	static const char *const methods[] = { "publickey", "password", "none" };

	for (size_t m = 0; m < 3; m++) {
		for (int variant = 0; variant < 2; variant++) {
			struct hs_buf *full = build_req(methods[m], variant), *b;
			struct hs_userauth_req req;
			size_t len = hs_buf_len(full);

			for (size_t n = 0; n < len; n++) {
				assert_int_equal(hs_buf_from(hs_buf_ptr(full), n, &b), HS_OK);
				assert_int_not_equal(hs_userauth_req_parse(b, &req), HS_OK);
				assert_null(req.user);
				hs_buf_free(b);
			}
			/* Trailing bytes after a complete publickey/password request. */
			assert_int_equal(hs_buf_put_u8(full, 0), HS_OK);
			assert_int_equal(hs_userauth_req_parse(full, &req),
			    m < 2 ? HS_ERR_TRAILING : HS_OK);
			hs_userauth_req_clear(&req);
			hs_buf_free(full);
		}
	}
}

static void
test_userauth_oversize(void **state)
{
	struct hs_userauth_req req;
	struct hs_buf *b;
	char name[HS_USERAUTH_MAX_NAME + 2];

	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(hs_buf_new(4096, &b), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, name), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, "ssh-connection"), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, "none"), HS_OK);
	assert_int_equal(hs_userauth_req_parse(b, &req), HS_ERR_TOO_LARGE);
	hs_buf_free(b);
	/* A length field far beyond the message. */
	assert_int_equal(hs_buf_new(64, &b), HS_OK);
	assert_int_equal(hs_buf_put_u32(b, 0x7fffffff), HS_OK);
	assert_int_equal(hs_buf_put_bytes(b, "alice", 5), HS_OK);
	assert_int_not_equal(hs_userauth_req_parse(b, &req), HS_OK);
	hs_buf_free(b);
	/* An embedded NUL in the user name. */
	assert_int_equal(hs_buf_new(64, &b), HS_OK);
	assert_int_equal(hs_buf_put_string(b, "al\0ce", 5), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, "ssh-connection"), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, "none"), HS_OK);
	assert_int_equal(hs_userauth_req_parse(b, &req), HS_ERR_FORMAT);
	hs_buf_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_line),
		cmocka_unit_test(test_blank_and_bad),
		cmocka_unit_test(test_options),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_match_from),
		cmocka_unit_test(test_expand_path),
		cmocka_unit_test(test_perms_and_find),
		cmocka_unit_test(test_truncation_and_flips),
		cmocka_unit_test(test_userauth_parse),
		cmocka_unit_test(test_userauth_truncation_trailing),
		cmocka_unit_test(test_userauth_oversize),
	};

	hs_log_init("test", HS_LOG_QUIET, true, 0);
	return cmocka_run_group_tests_name("authkeys", tests, NULL, NULL);
}
