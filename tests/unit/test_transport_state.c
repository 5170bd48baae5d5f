/* test_transport_state.c: hs_transport_export / hs_transport_import. A client transport talks to a
 * forked server over a socketpair; the server exports its transport mid-connection and hands the
 * blob through a pipe to a freshly forked process, which imports it and carries on the same
 * connection (as the privsep monitor will). Then the blob parser against hostile input. */
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
#define MSG_TRYKEX	195	/* server starts a rekey, checks export is refused, echoes */
#define MSG_EXPORT	196	/* server acks, then hands its transport to a new process */
#define TMO		20000
#define PENDING_LEN	333

static struct hs_key *ed_key;

/* What the old process saw, for the new one to compare after import. */
struct snapshot {
	uint32_t seq_in, seq_out;
	uint64_t kex_count, total_in, total_out, bytes_in, bytes_out;
	size_t ibuf_len, inq_len;
	bool strict, authenticated;
	uint8_t sid[HS_MAX_HASH];
	size_t sid_len;
};

static void
cfg_init(struct hs_transport_cfg *c, const char *cipher, const char *mac, bool server)
{
	memset(c, 0, sizeof(*c));
	c->server = server;
	c->ciphers = cipher;
	c->macs = mac;
	c->kex_algs = "curve25519-sha256";
	if (server) {
		c->hostkeys = &ed_key;
		c->n_hostkeys = 1;
	}
}

static void
snap_take(const struct hs_transport *t, struct snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->seq_in = t->in.seq;
	s->seq_out = t->out.seq;
	s->kex_count = t->kex_count;
	s->total_in = t->total_in;
	s->total_out = t->total_out;
	s->bytes_in = t->in.bytes;
	s->bytes_out = t->out.bytes;
	s->ibuf_len = hs_buf_len(t->ibuf);
	s->inq_len = hs_buf_len(t->inq);
	s->strict = t->strict;
	s->authenticated = t->authenticated;
	memcpy(s->sid, t->session_id, t->sid_len);
	s->sid_len = t->sid_len;
}

static bool
snap_same(const struct snapshot *a, const struct snapshot *b)
{
	return a->seq_in == b->seq_in && a->seq_out == b->seq_out &&
	    a->kex_count == b->kex_count && a->total_in == b->total_in &&
	    a->total_out == b->total_out && a->bytes_in == b->bytes_in &&
	    a->bytes_out == b->bytes_out && a->ibuf_len == b->ibuf_len &&
	    a->inq_len == b->inq_len && a->strict == b->strict &&
	    a->authenticated == b->authenticated && a->sid_len == b->sid_len &&
	    memcmp(a->sid, b->sid, a->sid_len) == 0;
}

static bool
full_write(int fd, const void *p, size_t n)
{
	const uint8_t *q = p;

	while (n > 0) {
		ssize_t w = write(fd, q, n);

		if (w <= 0)
			return false;
		q += w;
		n -= (size_t)w;
	}
	return true;
}

static bool
full_read(int fd, void *p, size_t n)
{
	uint8_t *q = p;

	while (n > 0) {
		ssize_t r = read(fd, q, n);

		if (r <= 0)
			return false;
		q += r;
		n -= (size_t)r;
	}
	return true;
}

/* Echo until QUIT (0) or EXPORT (1); other values are failures. */
static int
echo_loop(struct hs_transport *t)
{
	struct hs_buf *m = NULL, *reply = NULL;
	uint8_t type;
	uint64_t kc;
	int rc = 0;

	if (hs_buf_new(HS_MAX_PACKET, &reply) != HS_OK)
		return 20;
	for (;;) {
		if (hs_transport_wait(t, TMO, &type, &m) != HS_OK) {
			rc = 21;
			break;
		}
		hs_buf_reset(reply);
		if (type == MSG_REKEY && hs_transport_rekey(t) != HS_OK)
			rc = 22;
		if (type == MSG_TRYKEX) {
			if (hs_transport_rekey(t) != HS_OK || t->kex_state == HS_KEXS_IDLE)
				rc = 23;
			/* Refused while the KEX runs, and the transport survives the refusal. */
			else if (hs_transport_export(t, reply) != HS_ERR_PROTOCOL ||
			    hs_buf_len(reply) != 0 || t->dead != HS_OK)
				rc = 24;
		}
		if (type == MSG_QUIT) {
			hs_transport_stats(t, NULL, NULL, &kc);
			if (hs_buf_put_u8(reply, MSG_QUIT) != HS_OK ||
			    hs_buf_put_u32(reply, (uint32_t)kc) != HS_OK ||
			    hs_transport_send(t, reply) != HS_OK ||
			    hs_transport_flush(t, TMO) != HS_OK)
				rc = 25;
		} else if (rc == 0 && (hs_buf_put_u8(reply, type) != HS_OK ||
		    hs_buf_put_buf(reply, m) != HS_OK || hs_transport_send(t, reply) != HS_OK))
			rc = 26;
		hs_buf_free(m);
		m = NULL;
		if (rc != 0 || type == MSG_QUIT)
			break;
		if (type == MSG_EXPORT) {
			rc = 1;
			break;
		}
	}
	hs_buf_free(reply);
	return rc;
}

/* The process that continues the connection: read blob and snapshot, import, compare, echo. */
static int
successor(int fd, int pipe_in, const char *cipher, const char *mac)
{
	struct hs_transport_cfg c;
	struct hs_transport *t = NULL;
	struct hs_buf *blob = NULL;
	struct snapshot want, got;
	uint32_t n;
	uint8_t *p;
	int rc;

	if (!full_read(pipe_in, &want, sizeof(want)) || !full_read(pipe_in, &n, sizeof(n)) ||
	    hs_buf_new(n, &blob) != HS_OK || hs_buf_reserve(blob, n, &p) != HS_OK ||
	    !full_read(pipe_in, p, n))
		return 40;
	cfg_init(&c, cipher, mac, true);
	if (hs_transport_import(fd, fd, &c, blob, &t) != HS_OK)
		return 41;
	hs_buf_free(blob);
	snap_take(t, &got);
	if (!snap_same(&want, &got) || !got.strict || want.ibuf_len + want.inq_len == 0)
		return 42;
	rc = echo_loop(t);
	hs_transport_free(t);
	return rc;
}

/* Export t and hand the blob to a new process; wait for it. Optionally keep a copy in save. */
static int
hand_over(struct hs_transport *t, int fd, const char *cipher, const char *mac, int save_fd)
{
	struct hs_buf *blob = NULL;
	struct snapshot s;
	int pp[2], st = 0;
	uint32_t n;
	pid_t pid;

	snap_take(t, &s);
	if (hs_buf_new(HS_BUF_MAX_DEFAULT, &blob) != HS_OK || hs_transport_export(t, blob) != HS_OK)
		return 30;
	hs_transport_free(t);
	n = (uint32_t)hs_buf_len(blob);
	if (save_fd >= 0 && (!full_write(save_fd, &n, sizeof(n)) ||
	    !full_write(save_fd, hs_buf_ptr(blob), n)))
		return 31;
	if (pipe(pp) != 0 || (pid = fork()) < 0)
		return 32;
	if (pid == 0) {
		hs_buf_free(blob);	/* the successor gets the state only through the pipe */
		close(pp[1]);
		_exit(successor(fd, pp[0], cipher, mac));
	}
	close(pp[0]);
	if (!full_write(pp[1], &s, sizeof(s)) || !full_write(pp[1], &n, sizeof(n)) ||
	    !full_write(pp[1], hs_buf_ptr(blob), n))
		return 33;
	close(pp[1]);
	hs_buf_free(blob);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 34;
	return WEXITSTATUS(st);
}

static int
server_main(int fd, const char *cipher, const char *mac, int save_fd)
{
	struct hs_transport_cfg c;
	struct hs_transport *t;
	struct hs_buf *b = NULL;
	int rc;

	cfg_init(&c, cipher, mac, true);
	if (hs_transport_new(fd, fd, &c, &t) != HS_OK || hs_transport_handshake(t, TMO) != HS_OK)
		return 2;
	if (hs_buf_new(16, &b) != HS_OK || hs_buf_put_u8(b, HS_MSG_USERAUTH_SUCCESS) != HS_OK ||
	    hs_transport_send(t, b) != HS_OK)
		return 3;
	hs_buf_free(b);
	if ((rc = echo_loop(t)) != 1)
		return rc == 0 ? 4 : rc;
	/* The EXPORT echo is queued: refused until it is written. */
	if (hs_transport_export(t, NULL) != HS_ERR_PROTOCOL || hs_transport_flush(t, TMO) != HS_OK)
		return 5;
	/* The client sent a DATA message right behind EXPORT: read it, but do not deliver it (the
	 * flush may already have decoded it into the inbound queue). */
	for (int i = 0; i < 200 && hs_buf_len(t->ibuf) + hs_buf_len(t->inq) == 0; i++) {
		usleep(10000);
		if (hs_transport_read(t) == HS_ERR_EOF)
			return 6;
	}
	return hand_over(t, fd, cipher, mac, save_fd);
}

static int
reap(pid_t pid)
{
	int st = 0;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
send_data(struct hs_transport *t, uint8_t type, size_t n)
{
	struct hs_buf *b;
	uint8_t *p;

	assert_int_equal(hs_buf_new(n + 1, &b), HS_OK);
	assert_int_equal(hs_buf_put_u8(b, type), HS_OK);
	assert_int_equal(hs_buf_reserve(b, n, &p), HS_OK);
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 7 + n);
	assert_int_equal(hs_transport_send(t, b), HS_OK);
	hs_buf_free(b);
}

static void
expect_data(struct hs_transport *t, uint8_t type, size_t n)
{
	struct hs_buf *m = NULL;
	const uint8_t *q;
	uint8_t rt;

	assert_int_equal(hs_transport_wait(t, TMO, &rt, &m), HS_OK);
	assert_int_equal(rt, type);
	assert_int_equal(hs_buf_len(m), n);
	assert_int_equal(hs_buf_get_bytes_view(m, n, &q), HS_OK);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(q[i], (uint8_t)(i * 7 + n));
	hs_buf_free(m);
}

static void
roundtrip(struct hs_transport *t, uint8_t type, size_t n)
{
	send_data(t, type, n);
	expect_data(t, type, n);
}

static void
roundtrips(struct hs_transport *t)
{
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 1000, 65536 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		roundtrip(t, MSG_DATA, sizes[i]);
}

/* One connection with a hand-over in the middle; save_fd (or -1) receives the blob. */
static void
session(const char *cipher, const char *mac, int save_fd)
{
	struct hs_transport_cfg c;
	struct hs_transport *t;
	struct hs_buf *b, *m = NULL;
	uint8_t rt;
	uint32_t kc;
	int sv[2];
	pid_t pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(sv[0]);
		_exit(server_main(sv[1], cipher, mac, save_fd));
	}
	close(sv[1]);
	cfg_init(&c, cipher, mac, false);
	assert_int_equal(hs_transport_new(sv[0], sv[0], &c, &t), HS_OK);
	assert_int_equal(hs_transport_handshake(t, TMO), HS_OK);
	assert_true(t->strict);
	assert_int_equal(hs_transport_wait(t, TMO, &rt, &m), HS_OK);
	assert_int_equal(rt, HS_MSG_USERAUTH_SUCCESS);
	hs_buf_free(m);
	roundtrips(t);
	roundtrip(t, MSG_TRYKEX, 10);
	/* EXPORT, then a message the old server reads but leaves to its successor. */
	send_data(t, MSG_EXPORT, 0);
	send_data(t, MSG_DATA, PENDING_LEN);
	assert_int_equal(hs_transport_flush(t, TMO), HS_OK);
	expect_data(t, MSG_EXPORT, 0);
	expect_data(t, MSG_DATA, PENDING_LEN);
	roundtrips(t);
	roundtrip(t, MSG_REKEY, 100);		/* the successor starts a rekey */
	roundtrips(t);
	assert_int_equal(hs_transport_rekey(t), HS_OK);	/* the client starts one */
	roundtrips(t);
	assert_int_equal(hs_buf_new(16, &b), HS_OK);
	assert_int_equal(hs_buf_put_u8(b, MSG_QUIT), HS_OK);
	assert_int_equal(hs_transport_send(t, b), HS_OK);
	assert_int_equal(hs_transport_wait(t, TMO, &rt, &m), HS_OK);
	assert_int_equal(rt, MSG_QUIT);
	assert_int_equal(hs_buf_get_u32(m, &kc), HS_OK);
	/* Initial, TRYKEX, server rekey, client rekey: the count crossed the hand-over. */
	assert_int_equal(kc, 4);
	assert_int_equal(t->kex_count, 4);
	hs_buf_free(m);
	hs_buf_free(b);
	hs_transport_free(t);
	close(sv[0]);
	assert_int_equal(reap(pid), 0);
}

static void
test_handover_ctr_hmac(void **state)
{
	session("aes128-ctr", "hmac-sha2-256", -1);
	session("aes256-ctr", "hmac-sha2-512", -1);
}

static void
test_handover_ctr_etm(void **state)
{
	session("aes192-ctr", "hmac-sha2-256-etm@openssh.com", -1);
	session("aes256-ctr", "hmac-sha2-512-etm@openssh.com", -1);
}

static void
test_handover_gcm(void **state)
{
	session("aes128-gcm@openssh.com", NULL, -1);
	session("aes256-gcm@openssh.com", NULL, -1);
}

static void
test_handover_chacha(void **state)
{
	session("chacha20-poly1305@openssh.com", NULL, -1);
}

/* A real blob from a hand-over, into *out. */
static void
real_blob(struct hs_buf **out)
{
	int pp[2];
	uint32_t n;
	uint8_t *p;

	assert_int_equal(pipe(pp), 0);
	session("aes128-ctr", "hmac-sha2-256-etm@openssh.com", pp[1]);
	close(pp[1]);
	assert_true(full_read(pp[0], &n, sizeof(n)));
	assert_true(n > 100 && n < 100000);
	assert_int_equal(hs_buf_new(n + 16, out), HS_OK);
	assert_int_equal(hs_buf_reserve(*out, n, &p), HS_OK);
	assert_true(full_read(pp[0], p, n));
	close(pp[0]);
}

static hs_err
try_import(const uint8_t *p, size_t n, bool server)
{
	struct hs_transport_cfg c;
	struct hs_transport *t = (struct hs_transport *)&c;	/* must be reset to NULL */
	struct hs_buf *v;
	hs_err r;

	cfg_init(&c, "aes128-ctr", "hmac-sha2-256-etm@openssh.com", server);
	assert_int_equal(hs_buf_from(p, n, &v), HS_OK);
	r = hs_transport_import(-1, -1, &c, v, &t);
	if (r == HS_OK)
		assert_non_null(t);
	else
		assert_null(t);
	hs_transport_free(t);
	hs_buf_free(v);
	return r;
}

static void
test_hostile_blobs(void **state)
{
	struct hs_buf *blob = NULL;
	const uint8_t *p;
	uint8_t *q;
	size_t n;

	real_blob(&blob);
	p = hs_buf_ptr(blob);
	n = hs_buf_len(blob);
	assert_int_equal(try_import(p, n, true), HS_OK);
	/* Truncated at every byte. */
	for (size_t i = 0; i < n; i++)
		assert_int_not_equal(try_import(p, i, true), HS_OK);
	/* A client cannot take over a server's state. */
	assert_int_equal(try_import(p, n, false), HS_ERR_PROTOCOL);
	q = hs_buf_mutable_ptr(blob);
	/* Bad magic, then bad version (the uint32 after the 4 + 16 byte magic string). */
	q[5] ^= 0x20;
	assert_int_equal(try_import(p, n, true), HS_ERR_FORMAT);
	q[5] ^= 0x20;
	q[4 + 16 + 3] = 2;
	assert_int_equal(try_import(p, n, true), HS_ERR_UNSUPPORTED);
	q[4 + 16 + 3] = 1;
	assert_int_equal(try_import(p, n, true), HS_OK);
	/* Host keys given again, but not the ones the exporter had. */
	{
		struct hs_transport_cfg c;
		struct hs_transport *t = NULL;
		struct hs_key *ec = NULL;
		struct hs_buf *v;

		assert_int_equal(hs_key_generate(HS_KEY_ECDSA_P256, 0, &ec), HS_OK);
		cfg_init(&c, NULL, NULL, true);
		c.hostkeys = &ec;
		assert_int_equal(hs_buf_from(p, n, &v), HS_OK);
		assert_int_equal(hs_transport_import(-1, -1, &c, v, &t), HS_ERR_PROTOCOL);
		assert_null(t);
		hs_buf_free(v);
		hs_key_free(ec);
	}
	/* A flag byte that is neither 0 nor 1 (the server flag after the version). */
	q[4 + 16 + 4] = 2;
	assert_int_equal(try_import(p, n, true), HS_ERR_FORMAT);
	q[4 + 16 + 4] = 1;
	/* Trailing bytes. */
	assert_int_equal(hs_buf_put_u8(blob, 0), HS_OK);
	assert_int_equal(try_import(hs_buf_ptr(blob), n + 1, true), HS_ERR_TRAILING);
	hs_buf_free(blob);
}

static void
test_export_refused(void **state)
{
	struct hs_transport_cfg c;
	struct hs_transport *t;
	struct hs_buf *b;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(hs_buf_new(1024, &b), HS_OK);
	/* Before any key exchange. */
	cfg_init(&c, NULL, NULL, true);
	assert_int_equal(hs_transport_new(sv[0], sv[0], &c, &t), HS_OK);
	assert_int_equal(hs_transport_export(t, b), HS_ERR_PROTOCOL);
	assert_int_equal(hs_buf_len(b), 0);
	hs_transport_free(t);
	/* Client side. */
	cfg_init(&c, NULL, NULL, false);
	assert_int_equal(hs_transport_new(sv[0], sv[0], &c, &t), HS_OK);
	assert_int_equal(hs_transport_export(t, b), HS_ERR_UNSUPPORTED);
	hs_transport_free(t);
	hs_buf_free(b);
	close(sv[0]);
	close(sv[1]);
}

static int
setup(void **state)
{
	hs_log_init("test_transport_state", getenv("HS_TEST_DEBUG") ? HS_LOG_DEBUG3 : HS_LOG_QUIET,
	    true, 0);
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
		cmocka_unit_test(test_export_refused),
		cmocka_unit_test(test_handover_ctr_hmac),
		cmocka_unit_test(test_handover_ctr_etm),
		cmocka_unit_test(test_handover_gcm),
		cmocka_unit_test(test_handover_chacha),
		cmocka_unit_test(test_hostile_blobs),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
