/* test_transport.c: a client and a server transport over a socketpair (the server in a forked
 * child), and raw peers written by hand for the error paths. Software host keys from
 * hs_key_generate. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "hs_algs.h"
#include "hs_log.h"
#include "hs_ssh.h"
#include "hs_transport.h"
#include "kex_impl.h"
#include "transport_impl.h"

#define MSG_DATA	192	/* echoed back */
#define MSG_REKEY	193	/* server starts a rekey, then echoes */
#define MSG_QUIT	194	/* server answers with its kex count and exits */
#define TMO		20000

struct opts {
	const char *kex, *cipher, *mac, *hostkey;
	uint64_t rekey_bytes;
	struct hs_key *key;
	int expect;		/* server: the error the connection is expected to end with */
	bool auth;		/* server: send USERAUTH_SUCCESS first (allows automatic rekeys) */
};

static struct hs_key *ed_key;

static void
cfg_from(struct hs_transport_cfg *c, const struct opts *o, bool server, struct hs_key **keyp)
{
	memset(c, 0, sizeof(*c));
	c->server = server;
	c->kex_algs = o->kex;
	c->ciphers = o->cipher;
	c->macs = o->mac;
	c->hostkey_algs = o->hostkey;
	c->rekey_bytes = o->rekey_bytes;
	*keyp = o->key ? o->key : ed_key;
	if (server) {
		c->hostkeys = keyp;
		c->n_hostkeys = 1;
	}
}

/* The forked server: echo until QUIT; exit 0 on the expected outcome. */
static int
server_main(int fd, const struct opts *o)
{
	struct hs_transport_cfg c;
	struct hs_transport *t;
	struct hs_key *key;
	struct hs_buf *m = NULL, *reply = NULL;
	uint8_t type;
	uint64_t kc;
	hs_err r;

	cfg_from(&c, o, true, &key);
	if (hs_transport_new(fd, fd, &c, &t) != HS_OK)
		return 2;
	if ((r = hs_transport_handshake(t, TMO)) != HS_OK)
		return r == o->expect ? 0 : 3;
	if (hs_buf_new(HS_MAX_PACKET, &reply) != HS_OK)
		return 4;
	if (o->auth && (hs_buf_put_u8(reply, HS_MSG_USERAUTH_SUCCESS) != HS_OK ||
	    hs_transport_send(t, reply) != HS_OK))
		return 10;
	for (;;) {
		if ((r = hs_transport_wait(t, TMO, &type, &m)) != HS_OK)
			return r == o->expect ? 0 : 5;
		hs_buf_reset(reply);
		if (type == MSG_REKEY && hs_transport_rekey(t) != HS_OK)
			return 6;
		if (type == MSG_QUIT) {
			hs_transport_stats(t, NULL, NULL, &kc);
			if (hs_buf_put_u8(reply, MSG_QUIT) != HS_OK ||
			    hs_buf_put_u32(reply, (uint32_t)kc) != HS_OK ||
			    hs_transport_send(t, reply) != HS_OK ||
			    hs_transport_flush(t, TMO) != HS_OK)
				return 7;
			return o->expect == HS_OK ? 0 : 8;
		}
		if (hs_buf_put_u8(reply, type) != HS_OK || hs_buf_put_buf(reply, m) != HS_OK ||
		    hs_transport_send(t, reply) != HS_OK)
			return 9;
		hs_buf_free(m);
	}
}

static pid_t
spawn_server(const struct opts *o, int *client_fd)
{
	int sv[2];
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(server_main(sv[1], o));
	}
	close(sv[1]);
	*client_fd = sv[0];
	return pid;
}

static int
reap(pid_t pid)
{
	int st = 0;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static struct hs_transport *
client_new(int fd, const struct opts *o)
{
	struct hs_transport_cfg c;
	struct hs_transport *t;
	struct hs_key *key;

	cfg_from(&c, o, false, &key);
	assert_int_equal(hs_transport_new(fd, fd, &c, &t), HS_OK);
	return t;
}

/* Send a type/size message and check the echo. */
static void
roundtrip(struct hs_transport *t, uint8_t type, size_t n)
{
	struct hs_buf *b, *m = NULL;
	uint8_t *p, rt;
	const uint8_t *q;

	assert_int_equal(hs_buf_new(n + 1, &b), HS_OK);
	assert_int_equal(hs_buf_put_u8(b, type), HS_OK);
	assert_int_equal(hs_buf_reserve(b, n, &p), HS_OK);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + n);
	assert_int_equal(hs_transport_send(t, b), HS_OK);
	assert_int_equal(hs_transport_wait(t, TMO, &rt, &m), HS_OK);
	assert_int_equal(rt, type);
	assert_int_equal(hs_buf_len(m), n);
	assert_int_equal(hs_buf_get_bytes_view(m, n, &q), HS_OK);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(q[i], (uint8_t)(i * 7 + n));
	hs_buf_free(m);
	hs_buf_free(b);
}

/* Read the server's USERAUTH_SUCCESS (opts.auth). */
static void
client_auth(struct hs_transport *t)
{
	struct hs_buf *m = NULL;
	uint8_t rt;

	assert_int_equal(hs_transport_wait(t, TMO, &rt, &m), HS_OK);
	assert_int_equal(rt, HS_MSG_USERAUTH_SUCCESS);
	hs_buf_free(m);
}

/* QUIT: returns the server's kex count. */
static uint32_t
quit(struct hs_transport *t)
{
	struct hs_buf *b, *m = NULL;
	uint8_t rt;
	uint32_t kc;

	assert_int_equal(hs_buf_new(16, &b), HS_OK);
	assert_int_equal(hs_buf_put_u8(b, MSG_QUIT), HS_OK);
	assert_int_equal(hs_transport_send(t, b), HS_OK);
	assert_int_equal(hs_transport_wait(t, TMO, &rt, &m), HS_OK);
	assert_int_equal(rt, MSG_QUIT);
	assert_int_equal(hs_buf_get_u32(m, &kc), HS_OK);
	hs_buf_free(m);
	hs_buf_free(b);
	return kc;
}

/* A whole session: handshake, messages both ways, orderly end. */
static void
session(const struct opts *o)
{
	int fd;
	pid_t pid = spawn_server(o, &fd);
	struct hs_transport *t = client_new(fd, o);
	struct hs_transport_algs a;
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 1000, 65536, 200000 };

	assert_int_equal(hs_transport_handshake(t, TMO), HS_OK);
	hs_transport_get_algs(t, &a);
	if (o->kex)
		assert_string_equal(a.kex, o->kex);
	if (o->cipher) {
		assert_string_equal(a.cipher_ctos, o->cipher);
		assert_string_equal(a.cipher_stoc, o->cipher);
	}
	if (o->mac && !hs_algs_cipher_find(a.cipher_ctos, strlen(a.cipher_ctos))->aead)
		assert_string_equal(a.mac_ctos, o->mac);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		roundtrip(t, MSG_DATA, sizes[i]);
	assert_int_equal(quit(t), 1);
	hs_transport_free(t);
	close(fd);
	assert_int_equal(reap(pid), 0);
}

static void
test_all_combinations(void **state)
{
	const char *kex = hs_algs_default(HS_ALGS_KEX), *ciphers = hs_algs_default(HS_ALGS_CIPHER);
	const char *macs = hs_algs_default(HS_ALGS_MAC);
	char k[64], c[64], m[64];
	size_t n = 0;

	for (const char *kp = kex; *kp; kp += strcspn(kp, ",") + (kp[strcspn(kp, ",")] == ',')) {
		snprintf(k, sizeof(k), "%.*s", (int)strcspn(kp, ","), kp);
		for (const char *cp = ciphers; *cp;
		    cp += strcspn(cp, ",") + (cp[strcspn(cp, ",")] == ',')) {
			snprintf(c, sizeof(c), "%.*s", (int)strcspn(cp, ","), cp);
			for (const char *mp = macs; *mp;
			    mp += strcspn(mp, ",") + (mp[strcspn(mp, ",")] == ',')) {
				struct opts o = { .kex = k, .cipher = c, .mac = m };

				snprintf(m, sizeof(m), "%.*s", (int)strcspn(mp, ","), mp);
				session(&o);
				n++;
				/* AEAD ciphers ignore the MAC list: once is enough. */
				if (hs_algs_cipher_find(c, strlen(c))->aead)
					break;
			}
		}
	}
	assert_int_equal(n, 7 * (3 + 3 * 4));
}

static void
test_hostkey_types(void **state)
{
	static const struct {
		enum hs_key_type type;
		const char *alg;
	} v[] = {
		{ HS_KEY_ED25519, "ssh-ed25519" }, { HS_KEY_ECDSA_P256, "ecdsa-sha2-nistp256" },
		{ HS_KEY_ECDSA_P384, "ecdsa-sha2-nistp384" },
		{ HS_KEY_ECDSA_P521, "ecdsa-sha2-nistp521" },
		{ HS_KEY_RSA, "rsa-sha2-256" }, { HS_KEY_RSA, "rsa-sha2-512" },
	};
	struct hs_key *rsa = NULL;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct opts o = { .hostkey = v[i].alg };

		if (v[i].type == HS_KEY_RSA && rsa == NULL)
			assert_int_equal(hs_key_generate(HS_KEY_RSA, 2048, &rsa), HS_OK);
		if (v[i].type == HS_KEY_RSA)
			o.key = rsa;
		else
			assert_int_equal(hs_key_generate(v[i].type, 0, &o.key), HS_OK);
		session(&o);
		if (v[i].type != HS_KEY_RSA)
			hs_key_free(o.key);
	}
	hs_key_free(rsa);
}

static void
test_rekey_midstream(void **state)
{
	struct opts o = { .cipher = "aes128-ctr", .mac = "hmac-sha2-256" };
	int fd;
	pid_t pid = spawn_server(&o, &fd);
	struct hs_transport *t = client_new(fd, &o);
	const uint8_t *sid;
	uint8_t sid0[HS_MAX_HASH];
	size_t sl, sl0;
	uint64_t kc;

	assert_int_equal(hs_transport_handshake(t, TMO), HS_OK);
	sid = hs_transport_session_id(t, &sl0);
	memcpy(sid0, sid, sl0);
	for (int i = 0; i < 10; i++)
		roundtrip(t, MSG_DATA, 5000);
	/* Client-initiated rekey with data queued behind it. */
	assert_int_equal(hs_transport_rekey(t), HS_OK);
	for (int i = 0; i < 10; i++)
		roundtrip(t, MSG_DATA, 5000);
	/* Server-initiated rekey. */
	roundtrip(t, MSG_REKEY, 10);
	for (int i = 0; i < 10; i++)
		roundtrip(t, MSG_DATA, 5000);
	hs_transport_stats(t, NULL, NULL, &kc);
	assert_int_equal(kc, 3);
	assert_int_equal(quit(t), 3);
	/* RFC 4253 7.2: the session id stays that of the first exchange. */
	sid = hs_transport_session_id(t, &sl);
	assert_int_equal(sl, sl0);
	assert_memory_equal(sid, sid0, sl);
	hs_transport_free(t);
	close(fd);
	assert_int_equal(reap(pid), 0);
}

static void
test_rekey_bytes(void **state)
{
	struct opts o = { .cipher = "chacha20-poly1305@openssh.com", .rekey_bytes = 64 * 1024,
	    .auth = true };
	int fd;
	pid_t pid = spawn_server(&o, &fd);
	struct hs_transport *t = client_new(fd, &o);
	uint64_t kc;

	assert_int_equal(hs_transport_handshake(t, TMO), HS_OK);
	client_auth(t);
	for (int i = 0; i < 40; i++)
		roundtrip(t, MSG_DATA, 10000);
	hs_transport_stats(t, NULL, NULL, &kc);
	/* 400 kB each way with a 64 KiB limit: several exchanges, started by either side. */
	assert_true(kc >= 4);
	assert_true(quit(t) >= 4);
	hs_transport_free(t);
	close(fd);
	assert_int_equal(reap(pid), 0);
}

/* A 16-byte limit (OpenSSH's regress "rekeylimit 16"): no automatic rekey before
 * authentication, then a rekey after (nearly) every packet, and the data still gets through. */
static void
test_rekey_tiny_limit(void **state)
{
	struct opts o = { .rekey_bytes = 16, .auth = true };
	struct opts pre = { .rekey_bytes = 16 };
	int fd;
	pid_t pid = spawn_server(&pre, &fd);
	struct hs_transport *t = client_new(fd, &pre);
	uint64_t kc;

	assert_int_equal(hs_transport_handshake(t, TMO), HS_OK);
	for (int i = 0; i < 5; i++)
		roundtrip(t, MSG_DATA, 100);
	hs_transport_stats(t, NULL, NULL, &kc);
	assert_int_equal(kc, 1);
	assert_int_equal(quit(t), 1);
	hs_transport_free(t);
	close(fd);
	assert_int_equal(reap(pid), 0);

	pid = spawn_server(&o, &fd);
	t = client_new(fd, &o);
	assert_int_equal(hs_transport_handshake(t, TMO), HS_OK);
	client_auth(t);
	for (int i = 0; i < 20; i++)
		roundtrip(t, MSG_DATA, 1000 * (size_t)i);
	hs_transport_stats(t, NULL, NULL, &kc);
	assert_true(kc >= 10);
	assert_true(quit(t) >= 10);
	hs_transport_free(t);
	close(fd);
	assert_int_equal(reap(pid), 0);
}

/* Flip one bit of a packet on the wire: the receiver reports HS_ERR_MAC and disconnects. */
static void
flip_one(const char *cipher, const char *mac)
{
	struct opts o = { .cipher = cipher, .mac = mac, .expect = HS_ERR_MAC };
	int fd;
	pid_t pid = spawn_server(&o, &fd);
	struct hs_transport *t = client_new(fd, &o);
	struct hs_buf *b, *m = NULL;
	uint8_t *p, rt;

	assert_int_equal(hs_transport_handshake(t, TMO), HS_OK);
	roundtrip(t, MSG_DATA, 100);
	assert_int_equal(hs_buf_new(1024, &b), HS_OK);
	assert_int_equal(hs_buf_put_u8(b, MSG_DATA), HS_OK);
	assert_int_equal(hs_buf_reserve(b, 1000, &p), HS_OK);
	memset(p, 'x', 1000);
	assert_int_equal(hs_transport_send(t, b), HS_OK);
	p = hs_buf_mutable_ptr(t->obuf);
	assert_non_null(p);
	p[hs_buf_len(t->obuf) / 2] ^= 0x04;
	/* The server answers with DISCONNECT (MAC error) and exits 0 if it saw HS_ERR_MAC. */
	assert_int_equal(hs_transport_wait(t, TMO, &rt, &m), HS_ERR_DISCONNECT);
	hs_buf_free(b);
	hs_transport_free(t);
	close(fd);
	assert_int_equal(reap(pid), 0);
}

static void
test_flipped_bit(void **state)
{
	flip_one("aes128-ctr", "hmac-sha2-256");
	flip_one("aes256-ctr", "hmac-sha2-512-etm@openssh.com");
	flip_one("aes128-gcm@openssh.com", NULL);
	flip_one("chacha20-poly1305@openssh.com", NULL);
}

static void
test_negotiation_failure(void **state)
{
	struct opts so = { .cipher = "aes256-gcm@openssh.com", .expect = HS_ERR_NEGOTIATION };
	struct opts co = { .cipher = "aes128-ctr" };
	int fd;
	pid_t pid = spawn_server(&so, &fd);
	struct hs_transport *t = client_new(fd, &co);

	assert_int_equal(hs_transport_handshake(t, TMO), HS_ERR_NEGOTIATION);
	hs_transport_free(t);
	close(fd);
	assert_int_equal(reap(pid), 0);
}

static hs_err
refuse_key(void *arg, const struct hs_key *key)
{
	*(int *)arg += 1;
	return HS_ERR_HOSTKEY;
}

static void
test_hostkey_refused(void **state)
{
	struct opts so = { .expect = HS_ERR_DISCONNECT };
	struct hs_transport_cfg c = { .server = false, .hostkey_cb = refuse_key };
	struct hs_transport *t;
	int fd, calls = 0;
	pid_t pid = spawn_server(&so, &fd);

	c.cb_arg = &calls;
	assert_int_equal(hs_transport_new(fd, fd, &c, &t), HS_OK);
	assert_int_equal(hs_transport_handshake(t, TMO), HS_ERR_HOSTKEY);
	assert_int_equal(calls, 1);
	hs_transport_free(t);
	close(fd);
	assert_int_equal(reap(pid), 0);
}

/* Strict KEX agreed by two hardssh peers: sequence numbers restart after NEWKEYS, and the client
 * has the server's server-sig-algs once EXT_INFO has been read. */
static void
test_strict_seq_and_ext_info(void **state)
{
	struct opts o = { 0 };
	int fd;
	pid_t pid = spawn_server(&o, &fd);
	struct hs_transport *t = client_new(fd, &o);

	assert_int_equal(hs_transport_handshake(t, TMO), HS_OK);
	assert_true(t->strict);
	/* KEXINIT, ECDH_INIT, NEWKEYS out and KEXINIT, REPLY, NEWKEYS in: both reset to 0. */
	assert_int_equal(t->out.seq, 0);
	assert_int_equal(t->in.seq, 0);
	roundtrip(t, MSG_DATA, 10);
	/* Then EXT_INFO and the echo came in, our data went out. */
	assert_int_equal(t->in.seq, 2);
	assert_int_equal(t->out.seq, 1);
	assert_non_null(hs_transport_server_sig_algs(t));
	assert_string_equal(hs_transport_server_sig_algs(t), hs_algs_default(HS_ALGS_HOSTKEY));
	assert_string_equal(hs_transport_peer_version(t), HS_VERSION_STRING);
	assert_int_equal(quit(t), 1);
	hs_transport_free(t);
	close(fd);
	assert_int_equal(reap(pid), 0);
}

static void
test_disconnect(void **state)
{
	struct opts o = { .expect = HS_ERR_DISCONNECT };
	int fd;
	pid_t pid = spawn_server(&o, &fd);
	struct hs_transport *t = client_new(fd, &o);

	assert_int_equal(hs_transport_handshake(t, TMO), HS_OK);
	roundtrip(t, MSG_DATA, 10);
	hs_transport_disconnect(t, HS_DISC_BY_APPLICATION, "bye");
	hs_transport_free(t);
	close(fd);
	assert_int_equal(reap(pid), 0);
}

/* ---- raw peers ---- */

/* A transport on one end of a socketpair; the test writes the other end by hand. */
static struct hs_transport *
raw_setup(bool server, int *raw_fd)
{
	int sv[2];
	struct hs_transport_cfg c = { .server = server };
	struct hs_transport *t;

	if (server) {
		c.hostkeys = &ed_key;
		c.n_hostkeys = 1;
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(hs_transport_new(sv[0], sv[0], &c, &t), HS_OK);
	*raw_fd = sv[1];
	return t;
}

/* Free a raw-test transport and close its end (the transport never closes fds). */
static void
raw_free(struct hs_transport *t)
{
	int fd = hs_transport_fd_in(t);

	hs_transport_free(t);
	close(fd);
}

static void
raw_write(int fd, const void *p, size_t n)
{
	assert_int_equal(write(fd, p, n), (ssize_t)n);
}

/* An unencrypted packet (RFC 4253 6) around payload. */
static void
raw_packet(int fd, const uint8_t *payload, size_t n)
{
	uint8_t pkt[4096];
	size_t pad = 8 - ((5 + n) % 8), len;

	if (pad < 4)
		pad += 8;
	len = 1 + n + pad;
	assert_true(4 + len <= sizeof(pkt));
	pkt[0] = (uint8_t)(len >> 24);
	pkt[1] = (uint8_t)(len >> 16);
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
	pkt[4] = (uint8_t)pad;
	memcpy(pkt + 5, payload, n);
	memset(pkt + 5 + n, 0, pad);
	raw_write(fd, pkt, 4 + len);
}

/* Everything the transport wrote, NUL-terminated. */
static size_t
raw_read_all(int fd, char *buf, size_t n)
{
	ssize_t r;
	size_t got = 0;

	shutdown(fd, SHUT_WR);
	while (got + 1 < n && (r = read(fd, buf + got, n - 1 - got)) > 0)
		got += (size_t)r;
	buf[got] = '\0';
	return got;
}

/* The last unencrypted packet's payload type and, for DISCONNECT, its reason. */
static void
raw_last_packet(const char *buf, size_t n, uint8_t *type, uint32_t *reason)
{
	const uint8_t *p = (const uint8_t *)strchr(buf, '\n') + 1, *end = (const uint8_t *)buf + n;

	*type = 0;
	while (p + 5 <= end) {
		uint32_t len = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | p[2] << 8 | p[3];

		if (p + 4 + len > end)
			break;
		*type = p[5];
		if (p[5] == HS_MSG_DISCONNECT)
			*reason = (uint32_t)p[6] << 24 | (uint32_t)p[7] << 16 | p[8] << 8 | p[9];
		p += 4 + len;
	}
}

static void
test_huge_length(void **state)
{
	int fd;
	struct hs_transport *t = raw_setup(true, &fd);
	static const char banner[] = "SSH-2.0-raw\r\n";
	static const uint8_t huge[] = { 0xff, 0xff, 0xff, 0xff, 0x04, 1, 2, 3, 4, 5, 6, 7 };
	char out[65536];
	size_t n;
	uint8_t type;
	uint32_t reason = 0;

	raw_write(fd, banner, sizeof(banner) - 1);
	raw_write(fd, huge, sizeof(huge));
	assert_int_equal(hs_transport_handshake(t, 5000), HS_ERR_TOO_LARGE);
	raw_free(t);
	n = raw_read_all(fd, out, sizeof(out));
	assert_true(strncmp(out, HS_VERSION_STRING "\r\n", strlen(HS_VERSION_STRING) + 2) == 0);
	raw_last_packet(out, n, &type, &reason);
	assert_int_equal(type, HS_MSG_DISCONNECT);
	assert_int_equal(reason, HS_DISC_PROTOCOL_ERROR);
	close(fd);
}

static void
test_garbage_banner(void **state)
{
	int fd;
	struct hs_transport *t = raw_setup(true, &fd);
	static const char http[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	char out[4096];

	raw_write(fd, http, sizeof(http) - 1);
	assert_int_equal(hs_transport_handshake(t, 5000), HS_ERR_PROTOCOL);
	raw_free(t);
	raw_read_all(fd, out, sizeof(out));
	assert_string_equal(out, HS_VERSION_STRING "\r\nProtocol mismatch.\r\n");
	close(fd);
}

static void
test_client_banner(void **state)
{
	int fd;
	struct hs_transport *t = raw_setup(false, &fd);
	static const char pre[] = "Welcome\r\nno CR here\nSSH-2.0-Other_1.0 comment\r\n";
	static const char v1[] = "SSH-1.5-old\r\n";
	char longline[300];

	/* Lines before the identification are skipped by a client (RFC 4253 4.2). */
	raw_write(fd, pre, sizeof(pre) - 1);
	shutdown(fd, SHUT_WR);
	assert_int_equal(hs_transport_handshake(t, 5000), HS_ERR_EOF);
	assert_string_equal(hs_transport_peer_version(t), "SSH-2.0-Other_1.0 comment");
	raw_free(t);
	close(fd);

	t = raw_setup(false, &fd);
	raw_write(fd, v1, sizeof(v1) - 1);
	assert_int_equal(hs_transport_handshake(t, 5000), HS_ERR_PROTOCOL);
	raw_free(t);
	close(fd);

	/* 255 bytes including CR LF at most. */
	t = raw_setup(false, &fd);
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "SSH-2.0-", 8);
	memcpy(longline + 256, "\r\n", 2);
	raw_write(fd, longline, 258);
	assert_int_equal(hs_transport_handshake(t, 5000), HS_ERR_PROTOCOL);
	raw_free(t);
	close(fd);

	/* Only a server may send other lines first: a server refuses them from a client. */
	t = raw_setup(true, &fd);
	raw_write(fd, pre, sizeof(pre) - 1);
	assert_int_equal(hs_transport_handshake(t, 5000), HS_ERR_PROTOCOL);
	raw_free(t);
	close(fd);
}

/* A client's first KEXINIT (with kex-strict-c when first) built by our own code. */
static void
raw_kexinit(int fd, bool first)
{
	struct hs_transport_cfg c = { .server = false };
	struct hs_transport *ct;
	struct hs_buf *b;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(hs_transport_new(sv[0], sv[0], &c, &ct), HS_OK);
	assert_int_equal(hs_buf_new(65536, &b), HS_OK);
	assert_int_equal(hs_kexinit_build(ct, first, b), HS_OK);
	raw_packet(fd, hs_buf_ptr(b), hs_buf_len(b));
	hs_buf_free(b);
	hs_transport_free(ct);
	close(sv[0]);
	close(sv[1]);
}

static void
test_strict_ignore_first(void **state)
{
	int fd;
	struct hs_transport *t;
	static const char banner[] = "SSH-2.0-raw\r\n";
	static const uint8_t ignore[] = { HS_MSG_IGNORE, 0, 0, 0, 0 };

	/* Strict: an IGNORE before KEXINIT ends the connection. */
	t = raw_setup(true, &fd);
	raw_write(fd, banner, sizeof(banner) - 1);
	raw_packet(fd, ignore, sizeof(ignore));
	raw_kexinit(fd, true);
	assert_int_equal(hs_transport_handshake(t, 5000), HS_ERR_PROTOCOL);
	raw_free(t);
	close(fd);

	/* Strict: an IGNORE after KEXINIT, during the initial KEX, too. */
	t = raw_setup(true, &fd);
	raw_write(fd, banner, sizeof(banner) - 1);
	raw_kexinit(fd, true);
	raw_packet(fd, ignore, sizeof(ignore));
	assert_int_equal(hs_transport_handshake(t, 5000), HS_ERR_PROTOCOL);
	raw_free(t);
	close(fd);

	/* Without strict KEX the same IGNORE is harmless: the server waits for the KEX init. */
	t = raw_setup(true, &fd);
	raw_write(fd, banner, sizeof(banner) - 1);
	raw_packet(fd, ignore, sizeof(ignore));
	raw_kexinit(fd, false);
	assert_int_equal(hs_transport_handshake(t, 1500), HS_ERR_TIMEOUT);
	assert_false(t->strict);
	raw_free(t);
	close(fd);
}

static void
test_unknown_message(void **state)
{
	int fd;
	struct hs_transport *t = raw_setup(true, &fd);
	static const char banner[] = "SSH-2.0-raw\r\n";
	static const uint8_t unknown[] = { 15, 'x' };
	char out[65536];
	size_t n;
	uint8_t type;
	uint32_t reason;

	/* Not strict: type 15 is answered with UNIMPLEMENTED carrying its sequence number (1). */
	raw_write(fd, banner, sizeof(banner) - 1);
	raw_kexinit(fd, false);
	raw_packet(fd, unknown, sizeof(unknown));
	assert_int_equal(hs_transport_handshake(t, 1500), HS_ERR_TIMEOUT);
	raw_free(t);
	n = raw_read_all(fd, out, sizeof(out));
	raw_last_packet(out, n, &type, &reason);
	/* The timeout's DISCONNECT comes last; UNIMPLEMENTED must be in the stream before it. */
	assert_int_equal(type, HS_MSG_DISCONNECT);
	assert_non_null(memmem(out, n, "\x03\x00\x00\x00\x01", 5));
	close(fd);
}

/* RFC 4253 7: a wrongly guessed first KEX packet is ignored. The raw client says
 * first_kex_packet_follows with ecdh-sha2-nistp256 first (the server prefers curve25519), sends a
 * garbage guess, then the real ECDH init: the server must skip the garbage and answer. */
static void
test_wrong_guess_ignored(void **state)
{
	int fd, sv[2];
	struct hs_transport *t = raw_setup(true, &fd), *ct;
	struct hs_transport_cfg c = { .server = false, .kex_algs = "ecdh-sha2-nistp256" };
	struct hs_buf *b, *pub;
	struct hs_kex_priv *priv;
	uint8_t *p;
	static const char banner[] = "SSH-2.0-raw\r\n";
	static const uint8_t garbage[] = { HS_MSG_KEX_ECDH_INIT, 0xde, 0xad };
	char out[65536];
	size_t n;
	uint8_t type;
	uint32_t reason;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(hs_transport_new(sv[0], sv[0], &c, &ct), HS_OK);
	assert_int_equal(hs_buf_new(65536, &b), HS_OK);
	assert_int_equal(hs_kexinit_build(ct, false, b), HS_OK);
	p = hs_buf_mutable_ptr(b);
	p[hs_buf_len(b) - 5] = 1;	/* first_kex_packet_follows */
	raw_write(fd, banner, sizeof(banner) - 1);
	raw_packet(fd, hs_buf_ptr(b), hs_buf_len(b));
	raw_packet(fd, garbage, sizeof(garbage));
	assert_int_equal(hs_buf_new(1024, &pub), HS_OK);
	assert_int_equal(hs_kex_keypair(HS_KEXM_ECDH_P256, &priv, pub), HS_OK);
	hs_buf_reset(b);
	assert_int_equal(hs_buf_put_u8(b, HS_MSG_KEX_ECDH_INIT), HS_OK);
	assert_int_equal(hs_buf_put_stringb(b, pub), HS_OK);
	raw_packet(fd, hs_buf_ptr(b), hs_buf_len(b));
	/* The server answers and then waits for our NEWKEYS. */
	assert_int_equal(hs_transport_handshake(t, 1500), HS_ERR_TIMEOUT);
	raw_free(t);
	n = raw_read_all(fd, out, sizeof(out));
	/* KEXINIT, REPLY, NEWKEYS, then the timeout's DISCONNECT (encrypted, so not parsed). */
	raw_last_packet(out, n, &type, &reason);
	assert_int_equal(type, HS_MSG_NEWKEYS);
	hs_kex_priv_free(priv);
	hs_buf_free(pub);
	hs_buf_free(b);
	hs_transport_free(ct);
	close(sv[0]);
	close(sv[1]);
	close(fd);
}

static void
test_rekey_seconds(void **state)
{
	struct opts o = { .cipher = "aes256-gcm@openssh.com", .auth = true };
	int fd;
	pid_t pid = spawn_server(&o, &fd);
	struct hs_transport_cfg c = { .server = false, .rekey_seconds = 1 };
	struct hs_transport *t;
	uint64_t kc;

	assert_int_equal(hs_transport_new(fd, fd, &c, &t), HS_OK);
	assert_int_equal(hs_transport_handshake(t, TMO), HS_OK);
	assert_int_equal(hs_transport_timeout_ms(t), -1);	/* not before authentication */
	client_auth(t);
	assert_true(hs_transport_timeout_ms(t) >= 0 && hs_transport_timeout_ms(t) <= 1000);
	roundtrip(t, MSG_DATA, 100);
	usleep(1100 * 1000);
	roundtrip(t, MSG_DATA, 100);
	roundtrip(t, MSG_DATA, 100);
	hs_transport_stats(t, NULL, NULL, &kc);
	assert_int_equal(kc, 2);
	assert_int_equal(quit(t), 2);
	hs_transport_free(t);
	close(fd);
	assert_int_equal(reap(pid), 0);
}

static int sign_calls;

static hs_err
sign_with(void *arg, size_t idx, enum hs_sig_alg alg, const uint8_t *h, size_t hlen,
    struct hs_buf *sig)
{
	sign_calls++;
	return hs_key_sign(((struct hs_key **)arg)[idx], alg, h, hlen, sig);
}

/* The server signs through cfg->sign_cb (the privsep monitor's hook); the client verifies. */
static void
test_sign_cb(void **state)
{
	int sv[2];
	pid_t pid;
	struct hs_transport_cfg sc = { .server = true, .hostkeys = &ed_key, .n_hostkeys = 1,
	    .sign_cb = sign_with, .cb_arg = &ed_key };
	struct hs_transport *s, *t;
	struct opts o = { 0 };

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if ((pid = fork()) == 0) {
		close(sv[1]);
		t = client_new(sv[0], &o);
		_exit(hs_transport_handshake(t, TMO) == HS_OK &&
		    hs_key_equal_public(hs_transport_hostkey(t), ed_key) ? 0 : 1);
	}
	close(sv[0]);
	assert_int_equal(hs_transport_new(sv[1], sv[1], &sc, &s), HS_OK);
	assert_int_equal(hs_transport_handshake(s, TMO), HS_OK);
	assert_int_equal(sign_calls, 1);
	assert_ptr_equal(hs_transport_hostkey(s), ed_key);
	assert_int_equal(reap(pid), 0);
	hs_transport_free(s);
	close(sv[1]);
}

static int
setup(void **state)
{
	hs_log_init("test_transport", getenv("HS_TEST_DEBUG") ? HS_LOG_DEBUG3 : HS_LOG_QUIET, true,
	    0);
	return hs_key_generate(HS_KEY_ED25519, 0, &ed_key) == HS_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	hs_key_free(ed_key);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_garbage_banner),
		cmocka_unit_test(test_client_banner),
		cmocka_unit_test(test_huge_length),
		cmocka_unit_test(test_strict_ignore_first),
		cmocka_unit_test(test_unknown_message),
		cmocka_unit_test(test_wrong_guess_ignored),
		cmocka_unit_test(test_sign_cb),
		cmocka_unit_test(test_rekey_seconds),
		cmocka_unit_test(test_strict_seq_and_ext_info),
		cmocka_unit_test(test_disconnect),
		cmocka_unit_test(test_negotiation_failure),
		cmocka_unit_test(test_hostkey_refused),
		cmocka_unit_test(test_flipped_bit),
		cmocka_unit_test(test_rekey_midstream),
		cmocka_unit_test(test_rekey_bytes),
		cmocka_unit_test(test_rekey_tiny_limit),
		cmocka_unit_test(test_all_combinations),
		cmocka_unit_test(test_hostkey_types),
	};

	alarm(900);	/* a hung peer must not hang the suite */
	return cmocka_run_group_tests(tests, setup, teardown);
}
