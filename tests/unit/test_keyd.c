/* test_keyd.c: the host-key service (core/server_keyd*.c) as a real forked process: its request
 * codec, host keys and signatures over a link (verified with the public key), KEX through it
 * against a software peer, refusal of bad requests, and the back-pressure of a full queue. */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "hs_crypto.h"
#include "hs_provider.h"
#include "server_impl.h"
#include "server_keyd.h"

struct fixture {
	char dir[64];
	char keypath[2][96];
	struct hs_server_config cfg;
	struct hs_server srv;
	struct hs_keyd *kd;
};

static void
write_key(const char *path, enum hs_key_type type, unsigned bits)
{
	struct hs_key *k = NULL;
	char *text = NULL;
	FILE *f;

	assert_int_equal(hs_key_generate(type, bits, &k), HS_OK);
	assert_int_equal(hs_keyfile_write_private(k, "", "keyd test", &text), HS_OK);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fchmod(fileno(f), 0600), 0);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	free(text);
	hs_key_free(k);
}

/* A service with an Ed25519 key (#0) and an RSA-4096 key (#1: slow to sign in the pure-C build,
 * which the queue test needs). */
static int
setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char line[160];

	assert_non_null(fx);
	assert_int_equal(hs_crypto_init(), HS_OK);
	strcpy(fx->dir, "/tmp/hs_keyd_XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->keypath[0], sizeof(fx->keypath[0]), "%s/ed", fx->dir);
	snprintf(fx->keypath[1], sizeof(fx->keypath[1]), "%s/rsa", fx->dir);
	write_key(fx->keypath[0], HS_KEY_ED25519, 0);
	write_key(fx->keypath[1], HS_KEY_RSA, 4096);
	hs_server_config_init(&fx->cfg);
	for (int i = 0; i < 2; i++) {
		snprintf(line, sizeof(line), "HostKey %s", fx->keypath[i]);
		assert_int_equal(hs_server_config_line(&fx->cfg, line, "test", 1), HS_OK);
	}
	assert_int_equal(hs_server_config_finish(&fx->cfg), HS_OK);
	fx->srv = (struct hs_server){ .cfg = &fx->cfg, .keyd_fd = -1 };
	assert_int_equal(hs_keyd_start(&fx->srv, NULL, NULL, &fx->kd), HS_OK);
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *fx = *state;

	hs_keyd_stop(fx->kd);
	hs_server_free_hostkeys(&fx->srv);
	hs_server_config_free(&fx->cfg);
	for (int i = 0; i < 2; i++)
		(void)unlink(fx->keypath[i]);
	(void)rmdir(fx->dir);
	free(fx);
	return 0;
}

/* A monitor's view: a server struct whose operations go over a fresh link. */
static void
attach(struct fixture *fx, struct hs_server *mon)
{
	*mon = (struct hs_server){ .cfg = &fx->cfg, .keyd_fd = -1 };
	assert_int_equal(hs_keyd_link(fx->kd, &mon->keyd_fd), HS_OK);
	assert_int_equal(hs_server_load_hostkeys(mon), HS_OK);
}

static void
detach(struct hs_server *mon)
{
	hs_server_free_hostkeys(mon);
	hs_server_keyd_forget(mon);
}

static void
test_codec(void **state)
{
	static const uint8_t data[32] = { 1, 2, 3 };
	struct hs_keyd_req in = { .type = HS_KEYD_SIGN, .idx = 7, .alg = (const uint8_t *)"ssh-ed25519",
		.alg_len = 11, .data = data, .data_len = sizeof(data) }, out;
	struct hs_buf *b = NULL;
	const uint8_t *p;
	size_t n;

	(void)state;
	assert_int_equal(hs_buf_new(HS_KEYD_MAX_MSG, &b), HS_OK);
	assert_int_equal(hs_keyd_build_req(b, &in), HS_OK);
	p = hs_buf_ptr(b);
	n = hs_buf_len(b);
	assert_int_equal(hs_keyd_parse_req(p, n, &out), HS_OK);
	assert_int_equal(out.type, HS_KEYD_SIGN);
	assert_int_equal(out.idx, 7);
	assert_memory_equal(out.alg, "ssh-ed25519", 11);
	assert_int_equal(out.data_len, sizeof(data));
	assert_memory_equal(out.data, data, sizeof(data));
	/* Trailing byte, truncation, unknown type, empty data: refused. */
	assert_int_equal(hs_buf_put_u8(b, 0), HS_OK);
	assert_int_not_equal(hs_keyd_parse_req(hs_buf_ptr(b), hs_buf_len(b), &out), HS_OK);
	assert_int_not_equal(hs_keyd_parse_req(p, n - 1, &out), HS_OK);
	assert_int_not_equal(hs_keyd_parse_req((const uint8_t *)"\x09", 1, &out), HS_OK);
	in.data_len = 0;
	hs_buf_reset(b);
	assert_int_equal(hs_keyd_build_req(b, &in), HS_OK);
	assert_int_not_equal(hs_keyd_parse_req(hs_buf_ptr(b), hs_buf_len(b), &out), HS_OK);
	hs_buf_free(b);
}

static void
test_hostkeys_and_sign(void **state)
{
	static const uint8_t h[32] = { 0xe5, 0x11 };
	struct fixture *fx = *state;
	struct hs_server mon;
	struct hs_buf *sig = NULL;
	enum hs_sig_alg got;

	attach(fx, &mon);
	assert_int_equal(mon.n_hostkeys, 2);
	assert_int_equal(hs_key_type(mon.hostkeys[0]), HS_KEY_ED25519);
	assert_int_equal(hs_key_type(mon.hostkeys[1]), HS_KEY_RSA);
	assert_false(hs_key_has_private(mon.hostkeys[0]));	/* the monitor holds no private key */
	assert_string_equal(hs_server_hostkey_provider(&mon, 0), "soft");
	assert_int_equal(hs_buf_new(4096, &sig), HS_OK);
	assert_int_equal(hs_server_hostkey_sign(&mon, 0, HS_SIG_ED25519, h, sizeof(h), sig), HS_OK);
	assert_int_equal(hs_key_verify(mon.hostkeys[0], hs_buf_ptr(sig), hs_buf_len(sig), h,
	    sizeof(h), &got), HS_OK);
	assert_int_equal(got, HS_SIG_ED25519);
	hs_buf_reset(sig);
	assert_int_equal(hs_server_hostkey_sign(&mon, 1, HS_SIG_RSA_SHA512, h, sizeof(h), sig), HS_OK);
	assert_int_equal(hs_key_verify(mon.hostkeys[1], hs_buf_ptr(sig), hs_buf_len(sig), h,
	    sizeof(h), &got), HS_OK);
	assert_int_equal(got, HS_SIG_RSA_SHA512);
	/* An algorithm that does not suit the key fails, and the link stays usable. */
	hs_buf_reset(sig);
	assert_int_not_equal(hs_server_hostkey_sign(&mon, 0, HS_SIG_RSA_SHA256, h, sizeof(h), sig),
	    HS_OK);
	assert_int_equal(hs_server_hostkey_sign(&mon, 0, HS_SIG_ED25519, h, sizeof(h), sig), HS_OK);
	hs_buf_free(sig);
	detach(&mon);
}

/* ECDH through the service against a software peer: both ends get the same secret. */
static void
test_kex(void **state)
{
	struct fixture *fx = *state;
	struct hs_server mon;
	struct hs_kex_priv *peer = NULL;
	struct hs_buf *pub = NULL, *ppub = NULL, *s1 = NULL, *s2 = NULL;

	attach(fx, &mon);
	assert_int_equal(hs_buf_new(1024, &pub), HS_OK);
	assert_int_equal(hs_buf_new(1024, &ppub), HS_OK);
	assert_int_equal(hs_buf_new(1024, &s1), HS_OK);
	assert_int_equal(hs_buf_new(1024, &s2), HS_OK);
	/* Derive before any key pair: refused. */
	assert_int_not_equal(hs_server_kex_derive(&mon, (const uint8_t *)"x", 1, s1), HS_OK);
	assert_int_equal(hs_server_kex_keypair(&mon, HS_KEXM_ECDH_P256, pub), HS_OK);
	assert_int_equal(hs_buf_len(pub), 65);
	assert_int_equal(hs_kex_keypair(HS_KEXM_ECDH_P256, &peer, ppub), HS_OK);
	assert_int_equal(hs_server_kex_derive(&mon, hs_buf_ptr(ppub), hs_buf_len(ppub), s1), HS_OK);
	assert_int_equal(hs_kex_derive(peer, hs_buf_ptr(pub), hs_buf_len(pub), s2), HS_OK);
	assert_int_equal(hs_buf_len(s1), hs_buf_len(s2));
	assert_memory_equal(hs_buf_ptr(s1), hs_buf_ptr(s2), hs_buf_len(s1));
	/* The ephemeral was consumed: a second derive is refused. */
	assert_int_not_equal(hs_server_kex_derive(&mon, hs_buf_ptr(ppub), hs_buf_len(ppub), s1),
	    HS_OK);
	hs_kex_priv_free(peer);
	hs_buf_free(pub);
	hs_buf_free(ppub);
	hs_buf_free(s1);
	hs_buf_free(s2);
	detach(&mon);
}

/* A malformed request ends that link only; the service goes on serving the others. */
static void
test_bad_request(void **state)
{
	struct fixture *fx = *state;
	struct hs_server mon, other;
	uint8_t junk[] = { 0x02, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff }, b;
	struct pollfd pf;

	attach(fx, &mon);
	attach(fx, &other);
	assert_int_equal(send(mon.keyd_fd, junk, sizeof(junk), 0), (ssize_t)sizeof(junk));
	pf = (struct pollfd){ .fd = mon.keyd_fd, .events = POLLIN };
	assert_int_equal(poll(&pf, 1, 5000), 1);
	assert_int_equal(recv(mon.keyd_fd, &b, 1, 0), 0);	/* closed by the service */
	detach(&mon);
	detach(&other);
	attach(fx, &other);
	assert_int_equal(other.n_hostkeys, 2);
	detach(&other);
}

/* 100 links ask the slow RSA-4096 key at once: the queue takes 32 (plus the one being signed),
 * the rest are refused at once with BUSY; nothing hangs and every accepted one verifies. */
#define BURST	100
static void
test_queue_full(void **state)
{
	static const uint8_t h[32] = { 0x77 };
	struct fixture *fx = *state;
	struct hs_keyd_req req = { .type = HS_KEYD_SIGN, .idx = 1, .alg = (const uint8_t *)"rsa-sha2-256",
		.alg_len = 12, .data = h, .data_len = sizeof(h) };
	int fds[BURST], ok = 0, busy = 0;
	struct hs_buf *b = NULL;
	uint8_t rep[HS_KEYD_MAX_MSG];

	(void)state;
	assert_int_equal(hs_buf_new(HS_KEYD_MAX_MSG, &b), HS_OK);
	assert_int_equal(hs_keyd_build_req(b, &req), HS_OK);
	for (int i = 0; i < BURST; i++)
		assert_int_equal(hs_keyd_link(fx->kd, &fds[i]), HS_OK);
	for (int i = 0; i < BURST; i++)
		assert_int_equal(send(fds[i], hs_buf_ptr(b), hs_buf_len(b), 0),
		    (ssize_t)hs_buf_len(b));
	for (int i = 0; i < BURST; i++) {
		struct pollfd pf = { .fd = fds[i], .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&pf, 1, 60000), 1);
		n = recv(fds[i], rep, sizeof(rep), 0);
		assert_true(n >= 1);
		if (rep[0] == HS_KEYD_OK)
			ok++;
		else if (rep[0] == HS_KEYD_BUSY && n == 1)
			busy++;
		close(fds[i]);
	}
	print_message("queue burst: %d signed, %d refused busy\n", ok, busy);
	assert_int_equal(ok + busy, BURST);
	assert_true(busy > 0);
	assert_true(ok >= HS_KEYD_QUEUE_MAX);
	hs_buf_free(b);
}

/* No usable host key: the service says so and hs_keyd_start fails. */
static void
test_no_keys(void **state)
{
	struct hs_server_config cfg;
	struct hs_server srv = { .cfg = &cfg, .keyd_fd = -1 };
	struct hs_keyd *kd = NULL;

	(void)state;
	hs_server_config_init(&cfg);
	assert_int_equal(hs_server_config_line(&cfg, "HostKey /nonexistent/hs_key", "test", 1),
	    HS_OK);
	assert_int_equal(hs_server_config_finish(&cfg), HS_OK);
	assert_int_equal(hs_keyd_start(&srv, NULL, NULL, &kd), HS_ERR_CONFIG);
	assert_null(kd);
	hs_server_config_free(&cfg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codec),
		cmocka_unit_test(test_hostkeys_and_sign),
		cmocka_unit_test(test_kex),
		cmocka_unit_test(test_bad_request),
		cmocka_unit_test(test_queue_full),
		cmocka_unit_test(test_no_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
