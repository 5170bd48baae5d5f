/* test_agent.c: the agent client against a real OpenSSH ssh-agent started by the test, and its reply
 * parsers with truncation at every byte, oversized counts, trailing data and wrong types. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hs_agent.h"
#include "hs_b64.h"
#include "hs_buf.h"

static char dir[64], sock[128];
static pid_t agent_pid;

static int
setup(void **state)
{
	char cmd[512], out[512];
	FILE *p;
	char *s;

	snprintf(dir, sizeof(dir), "/tmp/hs_agent_test_%d", (int)getpid());
	snprintf(sock, sizeof(sock), "%s/agent.sock", dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s && "
	    "ssh-keygen -q -t ed25519 -N '' -C edkey -f %s/ed && "
	    "ssh-keygen -q -t rsa -b 2048 -N '' -C rsakey -f %s/rsa", dir, dir, dir, dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "ssh-agent -s -a %s", sock);
	if ((p = popen(cmd, "r")) == NULL)
		return -1;
	out[fread(out, 1, sizeof(out) - 1, p)] = '\0';
	pclose(p);
	if ((s = strstr(out, "SSH_AGENT_PID=")) == NULL)
		return -1;
	agent_pid = (pid_t)atoi(s + strlen("SSH_AGENT_PID="));
	snprintf(cmd, sizeof(cmd), "SSH_AUTH_SOCK=%s ssh-add -q %s/ed %s/rsa 2>/dev/null", sock,
	    dir, dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	if (agent_pid > 0)
		kill(agent_pid, SIGTERM);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct hs_buf *
pub_blob(const char *name)
{
	char path[128], line[2048];
	FILE *f;
	char *b64, *end;
	struct hs_buf *b;

	snprintf(path, sizeof(path), "%s/%s.pub", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	fclose(f);
	b64 = strchr(line, ' ') + 1;
	end = strchr(b64, ' ');
	assert_int_equal(hs_buf_new(8192, &b), HS_OK);
	assert_int_equal(hs_b64_decode(b64, (size_t)(end - b64), b), HS_OK);
	return b;
}

static const struct hs_agent_id *
find_id(const struct hs_agent_id *ids, size_t n, const struct hs_buf *blob)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i].blob_len == hs_buf_len(blob) &&
		    memcmp(ids[i].blob, hs_buf_ptr(blob), ids[i].blob_len) == 0)
			return &ids[i];
	return NULL;
}

static void
test_list(void **state)
{
	struct hs_agent *a;
	struct hs_agent_id *ids;
	size_t n;
	struct hs_buf *ed = pub_blob("ed"), *rsa = pub_blob("rsa");
	const struct hs_agent_id *id;

	assert_int_equal(hs_agent_open(sock, &a), HS_OK);
	assert_int_equal(hs_agent_list(a, &ids, &n), HS_OK);
	assert_int_equal(n, 2);
	id = find_id(ids, n, ed);
	assert_non_null(id);
	assert_string_equal(id->comment, "edkey");
	id = find_id(ids, n, rsa);
	assert_non_null(id);
	assert_string_equal(id->comment, "rsakey");
	hs_agent_ids_free(ids, n);
	hs_agent_close(a);
	hs_buf_free(ed);
	hs_buf_free(rsa);
	assert_int_equal(hs_agent_open("/nonexistent/sock", &a), HS_ERR_NOT_FOUND);
	assert_null(a);
}

/* Parse "string alg, string blob" and check the name and blob length. */
static void
check_sig(struct hs_buf *sig, const char *alg, size_t bloblen, uint8_t *copy)
{
	char *name;
	const uint8_t *p;
	size_t n;

	assert_int_equal(hs_buf_get_cstring(sig, &name, NULL), HS_OK);
	assert_string_equal(name, alg);
	free(name);
	assert_int_equal(hs_buf_get_string(sig, &p, &n), HS_OK);
	assert_int_equal(n, bloblen);
	memcpy(copy, p, n);
	assert_int_equal(hs_buf_get_end(sig), HS_OK);
}

static void
sign(struct hs_agent *a, const struct hs_buf *key, const char *data, uint32_t flags,
    const char *alg, size_t bloblen, uint8_t *out)
{
	struct hs_buf *sig;

	assert_int_equal(hs_buf_new(4096, &sig), HS_OK);
	assert_int_equal(hs_agent_sign(a, hs_buf_ptr(key), hs_buf_len(key),
	    (const uint8_t *)data, strlen(data), flags, sig), HS_OK);
	check_sig(sig, alg, bloblen, out);
	hs_buf_free(sig);
}

static void
test_sign(void **state)
{
	struct hs_agent *a;
	struct hs_buf *ed = pub_blob("ed"), *rsa = pub_blob("rsa"), *sig;
	uint8_t s1[256], s2[256], s3[256];
	static const uint8_t bogus[] = { 0, 0, 0, 7, 's', 's', 'h', '-', 'f', 'o', 'o' };

	assert_int_equal(hs_agent_open(sock, &a), HS_OK);
	/* Ed25519 (RFC 8032) is deterministic: same data, same signature */
	sign(a, ed, "hello", 0, "ssh-ed25519", 64, s1);
	sign(a, ed, "hello", 0, "ssh-ed25519", 64, s2);
	sign(a, ed, "hellO", 0, "ssh-ed25519", 64, s3);
	assert_memory_equal(s1, s2, 64);
	assert_memory_not_equal(s1, s3, 64);
	/* draft-miller-ssh-agent 5.3 flags select the RSA hash (RFC 8332) */
	sign(a, rsa, "hello", HS_AGENT_RSA_SHA2_512, "rsa-sha2-512", 256, s1);
	sign(a, rsa, "hello", HS_AGENT_RSA_SHA2_256, "rsa-sha2-256", 256, s2);
	assert_memory_not_equal(s1, s2, 256);
	/* a key the agent does not hold: FAILURE */
	assert_int_equal(hs_buf_new(4096, &sig), HS_OK);
	assert_int_equal(hs_agent_sign(a, bogus, sizeof(bogus), (const uint8_t *)"x", 1, 0, sig),
	    HS_ERR_AUTH);
	assert_int_equal(hs_buf_len(sig), 0);
	hs_buf_free(sig);
	hs_agent_close(a);
	hs_buf_free(ed);
	hs_buf_free(rsa);
}

static struct hs_buf *
identities_msg(uint32_t count, bool trailing)
{
	struct hs_buf *b;

	assert_int_equal(hs_buf_new(4096, &b), HS_OK);
	assert_int_equal(hs_buf_put_u8(b, HS_AGENT_IDENTITIES_ANSWER), HS_OK);
	assert_int_equal(hs_buf_put_u32(b, count), HS_OK);
	assert_int_equal(hs_buf_put_string(b, "blob-one", 8), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, "first"), HS_OK);
	assert_int_equal(hs_buf_put_string(b, "blob-two!", 9), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, ""), HS_OK);
	if (trailing)
		assert_int_equal(hs_buf_put_u8(b, 0), HS_OK);
	return b;
}

static void
test_parse_identities(void **state)
{
	struct hs_buf *m = identities_msg(2, false), *v;
	struct hs_agent_id *ids;
	size_t n, len = hs_buf_len(m);

	assert_int_equal(hs_buf_from(hs_buf_ptr(m), len, &v), HS_OK);
	assert_int_equal(hs_agent_parse_identities(v, &ids, &n), HS_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(ids[1].blob, "blob-two!", 9);
	assert_string_equal(ids[0].comment, "first");
	hs_agent_ids_free(ids, n);
	hs_buf_free(v);
	/* every truncation fails and leaves nothing allocated */
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(hs_buf_from(hs_buf_ptr(m), i, &v), HS_OK);
		assert_int_not_equal(hs_agent_parse_identities(v, &ids, &n), HS_OK);
		assert_null(ids);
		assert_int_equal(n, 0);
		hs_buf_free(v);
	}
	hs_buf_free(m);
	m = identities_msg(2, true);
	assert_int_equal(hs_buf_from(hs_buf_ptr(m), hs_buf_len(m), &v), HS_OK);
	assert_int_equal(hs_agent_parse_identities(v, &ids, &n), HS_ERR_TRAILING);
	hs_buf_free(v);
	hs_buf_free(m);
	m = identities_msg(0xffffffffu, false);
	assert_int_equal(hs_buf_from(hs_buf_ptr(m), hs_buf_len(m), &v), HS_OK);
	assert_int_equal(hs_agent_parse_identities(v, &ids, &n), HS_ERR_TOO_LARGE);
	hs_buf_free(v);
	/* a flipped type byte */
	hs_buf_mutable_ptr(m)[0] ^= 0x01;
	assert_int_equal(hs_agent_parse_identities(m, &ids, &n), HS_ERR_PROTOCOL);
	hs_buf_free(m);
}

static void
test_parse_sign_response(void **state)
{
	struct hs_buf *m, *v, *sig;
	size_t len;

	assert_int_equal(hs_buf_new(256, &m), HS_OK);
	assert_int_equal(hs_buf_new(256, &sig), HS_OK);
	assert_int_equal(hs_buf_put_u8(m, HS_AGENT_SIGN_RESPONSE), HS_OK);
	assert_int_equal(hs_buf_put_string(m, "sigbytes", 8), HS_OK);
	len = hs_buf_len(m);
	for (size_t i = 0; i < len; i++) {
		assert_int_equal(hs_buf_from(hs_buf_ptr(m), i, &v), HS_OK);
		assert_int_not_equal(hs_agent_parse_sign_response(v, sig), HS_OK);
		assert_int_equal(hs_buf_len(sig), 0);
		hs_buf_free(v);
	}
	assert_int_equal(hs_buf_from(hs_buf_ptr(m), len, &v), HS_OK);
	assert_int_equal(hs_agent_parse_sign_response(v, sig), HS_OK);
	assert_int_equal(hs_buf_len(sig), 8);
	hs_buf_free(v);
	assert_int_equal(hs_buf_put_u8(m, 1), HS_OK);
	assert_int_equal(hs_agent_parse_sign_response(m, sig), HS_ERR_TRAILING);
	hs_buf_reset(m);
	assert_int_equal(hs_buf_put_u8(m, HS_AGENT_FAILURE), HS_OK);
	assert_int_equal(hs_agent_parse_sign_response(m, sig), HS_ERR_AUTH);
	hs_buf_free(m);
	hs_buf_free(sig);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_sign),
		cmocka_unit_test(test_parse_identities),
		cmocka_unit_test(test_parse_sign_response),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
