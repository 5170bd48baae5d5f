/* test_knownhosts.c: known_hosts parsing and matching against files written by OpenSSH's ssh-keygen
 * (plain, hashed with -H, [host]:port, patterns and negation, @revoked), and our additions read back
 * by ssh-keygen -F. Keys are generated at test time under /tmp. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "client_impl.h"
#include "hs_b64.h"
#include "hs_buf.h"
#include "hs_knownhosts.h"

static char dir[64];
static char pub1[1024], pub2[1024], pub3[1024];	/* "ssh-ed25519 AAAA... comment" lines */
static struct hs_buf *blob1, *blob2, *blob3;

static void
run(const char *cmd)
{
	assert_int_equal(system(cmd), 0);
}

static void
read_line(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	assert_non_null(fgets(out, (int)cap, f));
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

static struct hs_buf *
blob_of(const char *publine)
{
	const char *b64 = strchr(publine, ' ') + 1;
	const char *end = strchr(b64, ' ');
	struct hs_buf *b;

	assert_int_equal(hs_buf_new(8192, &b), HS_OK);
	assert_int_equal(hs_b64_decode(b64, end ? (size_t)(end - b64) : strlen(b64), b), HS_OK);
	return b;
}

static int
setup(void **state)
{
	char cmd[512], path[128];

	snprintf(dir, sizeof(dir), "/tmp/hs_kh_test_%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s && for k in 1 2 3; do "
	    "ssh-keygen -q -t ed25519 -N '' -C key$k -f %s/k$k || exit 1; done", dir, dir, dir);
	run(cmd);
	snprintf(path, sizeof(path), "%s/k1.pub", dir);
	read_line(path, pub1, sizeof(pub1));
	snprintf(path, sizeof(path), "%s/k2.pub", dir);
	read_line(path, pub2, sizeof(pub2));
	snprintf(path, sizeof(path), "%s/k3.pub", dir);
	read_line(path, pub3, sizeof(pub3));
	blob1 = blob_of(pub1);
	blob2 = blob_of(pub2);
	blob3 = blob_of(pub3);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	hs_buf_free(blob1);
	hs_buf_free(blob2);
	hs_buf_free(blob3);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* known_hosts with key 1 under several names, key 3 revoked. Lines 1-4 are hashed by ssh-keygen -H
 * when hash is set (it refuses files with patterns, markers or bad lines, so those follow). */
static void
make_file(const char *name, bool hash, char *path, size_t cap)
{
	FILE *f;
	char cmd[512];

	snprintf(path, cap, "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "# a comment\n\n");
	fprintf(f, "host1 %s\n", pub1);
	fprintf(f, "[host2]:2222 %s\n", pub1);
	fclose(f);
	if (hash) {
		snprintf(cmd, sizeof(cmd), "ssh-keygen -q -H -f %s >/dev/null 2>&1 && "
		    "test $(grep -c '^|1|' %s) = 2 && test $(wc -l < %s) = 4", path, path, path);
		run(cmd);
	}
	f = fopen(path, "a");
	assert_non_null(f);
	fprintf(f, "*.wild.example,!bad.wild.example %s\n", pub1);
	fprintf(f, "other %s\n", pub2);
	fprintf(f, "@revoked * %s\n", pub3);
	fprintf(f, "@cert-authority *.ca.example %s\n", pub2);
	fprintf(f, "garbage line\n");
	fclose(f);
}

static enum hs_kh_status
check(const char *file, const char *name, const struct hs_buf *blob, struct hs_kh_result *res)
{
	const char *files[] = { "/nonexistent/known_hosts", file };

	assert_int_equal(hs_kh_check(files, 2, name, hs_buf_ptr(blob), hs_buf_len(blob), res),
	    HS_OK);
	return res->status;
}

static void
check_common(const char *file, bool hashed)
{
	struct hs_kh_result res;

	assert_int_equal(check(file, "host1", blob1, &res), HS_KH_MATCH);
	assert_int_equal(res.line, 3);
	assert_string_equal(res.file, file);
	assert_int_equal(check(file, "HOST1", blob1, &res), hashed ? HS_KH_NOT_FOUND : HS_KH_MATCH);
	assert_int_equal(check(file, "[host2]:2222", blob1, &res), HS_KH_MATCH);
	assert_int_equal(check(file, "host2", blob1, &res), HS_KH_NOT_FOUND);
	assert_int_equal(check(file, "[host2]:2223", blob1, &res), HS_KH_NOT_FOUND);
	/* same host, another key of the same type: a changed key, with the offending line */
	assert_int_equal(check(file, "host1", blob2, &res), HS_KH_MISMATCH);
	assert_int_equal(res.line, 3);
	assert_true(res.any_known);
	assert_int_equal(check(file, "unknown", blob1, &res), HS_KH_NOT_FOUND);
	assert_false(res.any_known);
	/* patterns are left alone by ssh-keygen -H */
	assert_int_equal(check(file, "a.wild.example", blob1, &res), HS_KH_MATCH);
	assert_int_equal(check(file, "bad.wild.example", blob1, &res), HS_KH_NOT_FOUND);
	/* a CA line is not a host key */
	assert_int_equal(check(file, "x.ca.example", blob2, &res), HS_KH_NOT_FOUND);
	/* @revoked wins */
	assert_int_equal(check(file, "host1", blob3, &res), HS_KH_REVOKED);
	assert_int_equal(res.line, 7);
}

static void
test_plain(void **state)
{
	char path[128];

	make_file("plain", false, path, sizeof(path));
	check_common(path, false);
}

static void
test_hashed_by_ssh_keygen(void **state)
{
	char path[128];

	make_file("hashed", true, path, sizeof(path));
	check_common(path, true);
}

static void
test_known_types(void **state)
{
	char path[128];
	const char *files[1];
	unsigned mask = 0;

	make_file("types", true, path, sizeof(path));
	files[0] = path;
	assert_int_equal(hs_kh_known_types(files, 1, "[host2]:2222", &mask), HS_OK);
	assert_int_not_equal(mask, 0);
	assert_int_equal(hs_kh_known_types(files, 1, "nobody", &mask), HS_OK);
	assert_int_equal(mask, 0);
}

/* Our hash of a name with ssh-keygen's salt gives ssh-keygen's field. */
static void
test_hash_matches_ssh_keygen(void **state)
{
	char path[128], line[4096], *field, *ours = NULL;
	struct hs_buf *salt;
	char *bar;

	make_file("hash1", true, path, sizeof(path));
	/* line 3 is host1's, hashed */
	{
		FILE *f = fopen(path, "r");

		assert_non_null(f);
		for (int i = 0; i < 3; i++)
			assert_non_null(fgets(line, sizeof(line), f));
		fclose(f);
	}
	field = strtok(line, " ");
	assert_int_equal(hs_kh_host_match(field, "host1"), 1);
	assert_int_equal(hs_kh_host_match(field, "host2"), 0);
	bar = strchr(field + 3, '|');
	assert_non_null(bar);
	assert_int_equal(hs_buf_new(64, &salt), HS_OK);
	assert_int_equal(hs_b64_decode(field + 3, (size_t)(bar - field - 3), salt), HS_OK);
	assert_int_equal(hs_buf_len(salt), HS_KH_SALT_LEN);
	assert_int_equal(hs_kh_hash_host("host1", hs_buf_ptr(salt), hs_buf_len(salt), &ours),
	    HS_OK);
	assert_string_equal(ours, field);
	free(ours);
	hs_buf_free(salt);
	/* a flipped character in the hash no longer matches */
	bar[3] = bar[3] == 'A' ? 'B' : 'A';
	assert_int_equal(hs_kh_host_match(field, "host1"), 0);
	assert_int_equal(hs_kh_host_match("|1|bad", "host1"), 0);
	assert_int_equal(hs_kh_host_match("|1|!!!|!!!", "host1"), 0);
}

/* Lines we add are found by ssh-keygen -F, hashed or not. */
static void
test_add_read_by_ssh_keygen(void **state)
{
	char path[128], cmd[2048], *name;
	struct hs_kh_result res;

	snprintf(path, sizeof(path), "%s/newdir/known_hosts", dir);
	assert_int_equal(hs_kh_host_name("example.org", 22, &name), HS_OK);
	assert_string_equal(name, "example.org");
	assert_int_equal(hs_kh_add(path, name, hs_buf_ptr(blob1), hs_buf_len(blob1), false), HS_OK);
	free(name);
	assert_int_equal(hs_kh_host_name("127.0.0.1", 2200, &name), HS_OK);
	assert_string_equal(name, "[127.0.0.1]:2200");
	assert_int_equal(hs_kh_add(path, name, hs_buf_ptr(blob2), hs_buf_len(blob2), true), HS_OK);
	snprintf(cmd, sizeof(cmd), "ssh-keygen -F example.org -f %s | grep -q '%.40s' && "
	    "ssh-keygen -F '[127.0.0.1]:2200' -f %s | grep -q '^|1|' && "
	    "test \"$(stat -c %%a %s)\" = 600", path, strchr(pub1, ' ') + 1, path, path);
	run(cmd);
	assert_int_equal(check(path, name, blob2, &res), HS_KH_MATCH);
	assert_int_equal(res.line, 2);
	assert_int_equal(check(path, "example.org", blob2, &res), HS_KH_MISMATCH);
	free(name);
	/* a hand-edited file without a final newline keeps its last line intact */
	snprintf(cmd, sizeof(cmd), "printf 'last %s' > %s/nonl", pub2, dir);
	run(cmd);
	snprintf(path, sizeof(path), "%s/nonl", dir);
	assert_int_equal(hs_kh_add(path, "new", hs_buf_ptr(blob1), hs_buf_len(blob1), false), HS_OK);
	assert_int_equal(check(path, "last", blob2, &res), HS_KH_MATCH);
	assert_int_equal(check(path, "new", blob1, &res), HS_KH_MATCH);
	assert_int_equal(res.line, 2);
}

static void
test_parse_line(void **state)
{
	struct hs_kh_entry e;
	char line[4096];
	size_t len;

	assert_int_equal(hs_kh_parse_line("", 0, &e), HS_ERR_NOT_FOUND);
	assert_int_equal(hs_kh_parse_line("   # x", 6, &e), HS_ERR_NOT_FOUND);
	assert_int_equal(hs_kh_parse_line("@bogus h ssh-ed25519 AAAA", 25, &e), HS_ERR_FORMAT);
	snprintf(line, sizeof(line), "@revoked h1,h2 %s\n", pub1);
	len = strlen(line);
	assert_int_equal(hs_kh_parse_line(line, len, &e), HS_OK);
	assert_int_equal(e.marker, HS_KH_MARK_REVOKED);
	assert_string_equal(e.hosts, "h1,h2");
	assert_string_equal(e.keytype, "ssh-ed25519");
	assert_int_equal(hs_buf_len(e.blob), hs_buf_len(blob1));
	hs_kh_entry_clear(&e);
	/* the key type field must agree with the blob */
	snprintf(line, sizeof(line), "h ecdsa-sha2-nistp256 %s", strchr(pub1, ' ') + 1);
	assert_int_equal(hs_kh_parse_line(line, strlen(line), &e), HS_ERR_FORMAT);
	/* every truncation parses or fails cleanly; a cut before the key type string inside the
	 * base64 is complete fails */
	snprintf(line, sizeof(line), "host1 %s", pub1);
	len = strlen(line);
	for (size_t i = 0; i < len; i++) {
		hs_err r = hs_kh_parse_line(line, i, &e);

		if (r == HS_OK)
			hs_kh_entry_clear(&e);
		if (i < strlen("host1 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5"))
			assert_int_not_equal(r, HS_OK);
	}
	assert_int_equal(hs_kh_parse_line(line, HS_KH_MAX_LINE + 1, &e), HS_ERR_TOO_LARGE);
	line[3] = '\0';
	assert_int_equal(hs_kh_parse_line(line, len, &e), HS_ERR_FORMAT);
}

/* A client whose known_hosts is path, for the policy and ordering functions. */
static void
client_init(struct hs_client *cl, const char *path, const char *name, int strict)
{
	memset(cl, 0, sizeof(*cl));
	hs_client_config_init(&cl->cfg);
	assert_int_equal(hs_strlist_add(&cl->cfg.user_known_hosts, path), HS_OK);
	cl->cfg.strict_hostkey = strict;
	cl->cfg.batch_mode = 1;
	cl->cfg.hash_known_hosts = 0;
	cl->host_key_name = strdup(name);
	snprintf(cl->ipstr, sizeof(cl->ipstr), "127.0.0.1");
}

static void
client_done(struct hs_client *cl)
{
	free(cl->host_key_name);
	hs_client_config_clear(&cl->cfg);
}

/* ssh puts the algorithms of known keys first so the server shows the key we can check. */
static void
test_hostkey_order(void **state)
{
	char path[128], *out;
	struct hs_client cl;

	make_file("order", true, path, sizeof(path));
	client_init(&cl, path, "[host2]:2222", HS_SHK_YES);
	assert_int_equal(hs_client_hostkey_order(&cl,
	    "ecdsa-sha2-nistp256,rsa-sha2-512,ssh-ed25519,rsa-sha2-256", &out), HS_OK);
	assert_string_equal(out, "ssh-ed25519,ecdsa-sha2-nistp256,rsa-sha2-512,rsa-sha2-256");
	free(out);
	free(cl.host_key_name);
	cl.host_key_name = strdup("stranger");
	assert_int_equal(hs_client_hostkey_order(&cl, "ecdsa-sha2-nistp256,ssh-ed25519", &out),
	    HS_OK);
	assert_string_equal(out, "ecdsa-sha2-nistp256,ssh-ed25519");
	free(out);
	client_done(&cl);
}

static struct hs_key *
key_of(const struct hs_buf *blob)
{
	struct hs_key *k;

	assert_int_equal(hs_key_from_blob(hs_buf_ptr(blob), hs_buf_len(blob), &k), HS_OK);
	return k;
}

/* StrictHostKeyChecking: yes refuses unknown hosts, accept-new and no add them, a changed key is
 * refused whatever the setting, BatchMode turns ask into a refusal. */
static void
test_hostkey_policy(void **state)
{
	char path[128];
	struct hs_client cl;
	struct hs_key *k1 = key_of(blob1), *k2 = key_of(blob2), *k3 = key_of(blob3);
	struct hs_kh_result res;
	static const int strict_all[] = { HS_SHK_YES, HS_SHK_NO, HS_SHK_ASK, HS_SHK_ACCEPT_NEW };

	make_file("policy", false, path, sizeof(path));
	client_init(&cl, path, "host1", HS_SHK_YES);
	assert_int_equal(hs_client_hostkey_cb(&cl, k1), HS_OK);
	for (size_t i = 0; i < 4; i++) {
		cl.cfg.strict_hostkey = strict_all[i];
		assert_int_equal(hs_client_hostkey_cb(&cl, k2), HS_ERR_HOSTKEY);
		assert_int_equal(hs_client_hostkey_cb(&cl, k3), HS_ERR_HOSTKEY);
	}
	free(cl.host_key_name);
	cl.host_key_name = strdup("[new.example]:2022");
	cl.cfg.strict_hostkey = HS_SHK_YES;
	assert_int_equal(hs_client_hostkey_cb(&cl, k2), HS_ERR_HOSTKEY);
	cl.cfg.strict_hostkey = HS_SHK_ASK;
	assert_int_equal(hs_client_hostkey_cb(&cl, k2), HS_ERR_HOSTKEY);
	assert_int_equal(check(path, "[new.example]:2022", blob2, &res), HS_KH_NOT_FOUND);
	cl.cfg.strict_hostkey = HS_SHK_ACCEPT_NEW;
	cl.cfg.hash_known_hosts = 1;
	assert_int_equal(hs_client_hostkey_cb(&cl, k2), HS_OK);
	assert_int_equal(check(path, "[new.example]:2022", blob2, &res), HS_KH_MATCH);
	assert_int_equal(res.line, 10);
	/* now known: a different key for it is a change, even with StrictHostKeyChecking=no */
	cl.cfg.strict_hostkey = HS_SHK_NO;
	assert_int_equal(hs_client_hostkey_cb(&cl, k1), HS_ERR_HOSTKEY);
	assert_int_equal(hs_client_hostkey_cb(&cl, k2), HS_OK);
	client_done(&cl);
	hs_key_free(k1);
	hs_key_free(k2);
	hs_key_free(k3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain),
		cmocka_unit_test(test_hashed_by_ssh_keygen),
		cmocka_unit_test(test_known_types),
		cmocka_unit_test(test_hash_matches_ssh_keygen),
		cmocka_unit_test(test_add_read_by_ssh_keygen),
		cmocka_unit_test(test_parse_line),
		cmocka_unit_test(test_hostkey_order),
		cmocka_unit_test(test_hostkey_policy),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
