/* test_monitor.c: the monitor request protocol (sandbox/hs_monitor.h): codec, framing over a real
 * socketpair, descriptor passing, and the state machine's rule table. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "hs_buf.h"
#include "hs_log.h"
#include "hs_monitor.h"
#include "hs_session.h"
#include "hs_transport.h"

#define USER	"alice"
#define SERVICE	"ssh-connection"
#define ALG	"ssh-ed25519"

static const uint8_t sid[32] = { 0x5e, 0x55, 0x10, 0x1d, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
static const uint8_t hash[48] = { 0xab, 0xcd };
static const uint8_t blob[51] = { 0, 0, 0, 11, 's', 's', 'h', '-', 'e', 'd', '2', '5', '5', '1', '9' };
static const uint8_t sig[83] = { 0, 0, 0, 11, 's', 's', 'h', '-' };
/* RFC 4254 8: VINTR (1) = 3, TTY_OP_ISPEED (128) = 38400, TTY_OP_END */
static const uint8_t modes[] = { 1, 0, 0, 0, 3, 128, 0, 0, 0x96, 0, 0 };
static const char *const env2[] = { "LANG=C.UTF-8", "LC_X=a=b", NULL };
#define CMD	"ls -l /tmp"
/* KEX_KEYPAIR's method: ecdh-sha2-nistp256 (enum hs_kex_method HS_KEXM_ECDH_P256) */
#define METHOD	2u
/* A P-256 point (0x04 || X || Y) and a 32-byte secret, only as bytes to carry */
static const uint8_t point[65] = { 0x04, 0x6b, 0x17, 0xd1, 0xf2 };
static const uint8_t secret[32] = { 0x5e, 0xc2, 0xe7 };
#define TTY	"/dev/pts/7"

/* A pty request for CMD with TERM, modes, a window size and two env strings. */
static struct hs_spawn_req
spawn_example(void)
{
	return (struct hs_spawn_req){ .command = CMD, .pty = true, .term = "xterm-256color",
		.modes = modes, .modes_len = sizeof(modes), .cols = 80, .rows = 24,
		.width_px = 640, .height_px = 480, .env = env2 };
}

static struct hs_buf *
newbuf(void)
{
	struct hs_buf *b;

	assert_int_equal(hs_buf_new(HS_MON_MAX_MSG, &b), HS_OK);
	return b;
}

/* RFC 4252 7 signed data for USER/SERVICE/ALG/blob with the given session id and user. */
static struct hs_buf *
signed_data(const uint8_t *id, size_t id_len, const char *user)
{
	struct hs_buf *b = newbuf();

	assert_int_equal(hs_buf_put_string(b, id, id_len), HS_OK);
	assert_int_equal(hs_buf_put_u8(b, 50), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, user), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, SERVICE), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, "publickey"), HS_OK);
	assert_int_equal(hs_buf_put_bool(b, true), HS_OK);
	assert_int_equal(hs_buf_put_cstring(b, ALG), HS_OK);
	assert_int_equal(hs_buf_put_string(b, blob, sizeof(blob)), HS_OK);
	return b;
}

/* Append a valid example of message type to b. */
static void
build_example(struct hs_buf *b, enum hs_mon_type type)
{
	static const uint8_t *const keys[2] = { blob, sig };
	static const size_t lens[2] = { sizeof(blob), sizeof(sig) };
	uint8_t state[300];
	struct hs_buf *sd;
	hs_err r = HS_ERR_INTERNAL;

	memset(state, 0x5a, sizeof(state));
	switch (type) {
	case HS_MON_HOSTKEYS: r = hs_mon_build_hostkeys(b); break;
	case HS_MON_SIGN: r = hs_mon_build_sign(b, 1, ALG, hash, sizeof(hash)); break;
	case HS_MON_SESSION_ID: r = hs_mon_build_session_id(b, sid, sizeof(sid)); break;
	case HS_MON_AUTH_USER: r = hs_mon_build_auth_user(b, USER, SERVICE); break;
	case HS_MON_AUTH_PUBKEY_CHECK:
		r = hs_mon_build_pubkey_check(b, USER, ALG, blob, sizeof(blob));
		break;
	case HS_MON_AUTH_PUBKEY_VERIFY:
		sd = signed_data(sid, sizeof(sid), USER);
		r = hs_mon_build_pubkey_verify(b, USER, ALG, blob, sizeof(blob), hs_buf_ptr(sd),
			hs_buf_len(sd), sig, sizeof(sig));
		hs_buf_free(sd);
		break;
	case HS_MON_AUTH_PASSWORD: r = hs_mon_build_password(b, USER, "hunter2"); break;
	case HS_MON_KEYSTATE: r = hs_mon_build_keystate(b, state, sizeof(state)); break;
	case HS_MON_OK: r = hs_mon_build_ok(b); break;
	case HS_MON_FAIL: r = hs_mon_build_fail(b); break;
	case HS_MON_HOSTKEYS_OK: r = hs_mon_build_hostkeys_ok(b, keys, lens, 2); break;
	case HS_MON_SIGN_OK: r = hs_mon_build_sign_ok(b, sig, sizeof(sig)); break;
	case HS_MON_PK_OK: r = hs_mon_build_pk_ok(b, "no-pty,command=\"true\""); break;
	case HS_MON_AUTH_DONE: r = hs_mon_build_auth_done(b, USER); break;
	case HS_MON_SPAWN: {
		struct hs_spawn_req req = spawn_example();

		r = hs_mon_build_spawn(b, &req);
		break;
	}
	case HS_MON_SPAWN_OK: r = hs_mon_build_spawn_ok(b, 4242, true, TTY); break;
	case HS_MON_KEX_KEYPAIR: r = hs_mon_build_kex_keypair(b, METHOD); break;
	case HS_MON_KEX_DERIVE: r = hs_mon_build_kex_derive(b, point, sizeof(point)); break;
	case HS_MON_KEX_KEYPAIR_OK: r = hs_mon_build_kex_keypair_ok(b, point, sizeof(point)); break;
	case HS_MON_KEX_DERIVE_OK: r = hs_mon_build_kex_derive_ok(b, secret, sizeof(secret)); break;
	}
	assert_int_equal(r, HS_OK);
}

static const enum hs_mon_type all_types[] = {
	HS_MON_HOSTKEYS, HS_MON_SIGN, HS_MON_SESSION_ID, HS_MON_AUTH_USER,
	HS_MON_AUTH_PUBKEY_CHECK, HS_MON_AUTH_PUBKEY_VERIFY, HS_MON_AUTH_PASSWORD, HS_MON_KEYSTATE,
	HS_MON_SPAWN, HS_MON_KEX_KEYPAIR, HS_MON_KEX_DERIVE, HS_MON_OK, HS_MON_FAIL,
	HS_MON_HOSTKEYS_OK, HS_MON_SIGN_OK, HS_MON_PK_OK, HS_MON_AUTH_DONE, HS_MON_SPAWN_OK,
	HS_MON_KEX_KEYPAIR_OK, HS_MON_KEX_DERIVE_OK,
};
#define NTYPES	(sizeof(all_types) / sizeof(all_types[0]))

static bool
str_is(const struct hs_mon_str *v, const void *p, size_t len)
{
	return v->len == len && memcmp(v->p, p, len) == 0;
}

static void
test_roundtrip_fields(void **state)
{
	struct hs_mon_req m;
	struct hs_buf *b;

	for (size_t i = 0; i < NTYPES; i++) {
		b = newbuf();
		build_example(b, all_types[i]);
		assert_int_equal(hs_mon_parse(b, &m), HS_OK);
		assert_int_equal(m.type, all_types[i]);
		assert_string_not_equal(hs_mon_type_name(m.type), "unknown");
		switch (m.type) {
		case HS_MON_SIGN:
			assert_int_equal(m.u.sign.key_index, 1);
			assert_true(str_is(&m.u.sign.alg, ALG, strlen(ALG)));
			assert_true(str_is(&m.u.sign.data, hash, sizeof(hash)));
			break;
		case HS_MON_SESSION_ID:
			assert_true(str_is(&m.u.session_id.id, sid, sizeof(sid)));
			break;
		case HS_MON_AUTH_USER:
			assert_true(str_is(&m.u.auth_user.user, USER, strlen(USER)));
			assert_true(str_is(&m.u.auth_user.service, SERVICE, strlen(SERVICE)));
			break;
		case HS_MON_AUTH_PUBKEY_VERIFY:
			assert_true(str_is(&m.u.pubkey.sig, sig, sizeof(sig)));
			assert_int_equal(m.u.pubkey.signed_data.len, 4 + 32 + 1 + 9 + 18 + 13 + 1 + 15 + 55);
			/* fall through */
		case HS_MON_AUTH_PUBKEY_CHECK:
			assert_true(str_is(&m.u.pubkey.user, USER, strlen(USER)));
			assert_true(str_is(&m.u.pubkey.alg, ALG, strlen(ALG)));
			assert_true(str_is(&m.u.pubkey.blob, blob, sizeof(blob)));
			break;
		case HS_MON_AUTH_PASSWORD:
			assert_true(str_is(&m.u.password.password, "hunter2", 7));
			break;
		case HS_MON_KEYSTATE:
			assert_int_equal(m.u.keystate.blob.len, 300);
			break;
		case HS_MON_HOSTKEYS_OK:
			assert_int_equal(m.u.hostkeys_ok.n, 2);
			assert_true(str_is(&m.u.hostkeys_ok.keys[0], blob, sizeof(blob)));
			assert_true(str_is(&m.u.hostkeys_ok.keys[1], sig, sizeof(sig)));
			break;
		case HS_MON_SIGN_OK:
			assert_true(str_is(&m.u.sign_ok.sig, sig, sizeof(sig)));
			break;
		case HS_MON_PK_OK:
			assert_true(str_is(&m.u.pk_ok.options, "no-pty,command=\"true\"", 21));
			break;
		case HS_MON_AUTH_DONE:
			assert_true(str_is(&m.u.auth_done.user, USER, strlen(USER)));
			break;
		case HS_MON_SPAWN:
			assert_true(m.u.spawn.has_command && m.u.spawn.pty);
			assert_true(str_is(&m.u.spawn.command, CMD, strlen(CMD)));
			assert_true(str_is(&m.u.spawn.term, "xterm-256color", 14));
			assert_true(str_is(&m.u.spawn.modes, modes, sizeof(modes)));
			assert_int_equal(m.u.spawn.cols, 80);
			assert_int_equal(m.u.spawn.rows, 24);
			assert_int_equal(m.u.spawn.wpx, 640);
			assert_int_equal(m.u.spawn.hpx, 480);
			assert_int_equal(m.u.spawn.n_env, 2);
			assert_true(str_is(&m.u.spawn.env[0], "LANG=C.UTF-8", 12));
			assert_true(str_is(&m.u.spawn.env[1], "LC_X=a=b", 8));
			break;
		case HS_MON_SPAWN_OK:
			assert_int_equal(m.u.spawn_ok.pid, 4242);
			assert_true(m.u.spawn_ok.pty);
			assert_true(str_is(&m.u.spawn_ok.tty_name, TTY, strlen(TTY)));
			break;
		case HS_MON_KEX_KEYPAIR:
			assert_int_equal(m.u.kex_keypair.method, METHOD);
			break;
		case HS_MON_KEX_DERIVE:
			assert_true(str_is(&m.u.kex_derive.peer, point, sizeof(point)));
			break;
		case HS_MON_KEX_KEYPAIR_OK:
			assert_true(str_is(&m.u.kex_keypair_ok.pub, point, sizeof(point)));
			break;
		case HS_MON_KEX_DERIVE_OK:
			assert_true(str_is(&m.u.kex_derive_ok.secret, secret, sizeof(secret)));
			break;
		default:
			break;
		}
		hs_buf_free(b);
	}
	assert_string_equal(hs_mon_type_name(200), "unknown");
}

/* Every proper prefix fails; one more byte is HS_ERR_TRAILING; flipping any bit of the type byte
 * never yields the original message. */
static void
test_truncation_trailing_flip(void **state)
{
	struct hs_mon_req m;
	struct hs_buf *b, *v, *c;
	uint8_t *p;

	for (size_t i = 0; i < NTYPES; i++) {
		b = newbuf();
		build_example(b, all_types[i]);
		for (size_t cut = 0; cut < hs_buf_len(b); cut++) {
			assert_int_equal(hs_buf_from(hs_buf_ptr(b), cut, &v), HS_OK);
			assert_int_not_equal(hs_mon_parse(v, &m), HS_OK);
			assert_int_equal(m.type, 0);	/* nothing left behind */
			hs_buf_free(v);
		}
		assert_int_equal(hs_buf_dup(b, &c), HS_OK);
		assert_int_equal(hs_buf_put_u8(c, 0), HS_OK);
		assert_int_equal(hs_mon_parse(c, &m), HS_ERR_TRAILING);
		hs_buf_free(c);
		for (int bit = 0; bit < 8; bit++) {
			hs_err r;

			assert_int_equal(hs_buf_dup(b, &c), HS_OK);
			p = hs_buf_mutable_ptr(c);
			p[0] ^= (uint8_t)(1u << bit);
			r = hs_mon_parse(c, &m);
			assert_true(r != HS_OK || m.type != all_types[i]);
			hs_buf_free(c);
		}
		hs_buf_free(b);
	}
}

/* A hand-made message: type, then raw body bytes. */
static hs_err
parse_raw(uint8_t type, const void *body, size_t len)
{
	struct hs_mon_req m;
	struct hs_buf *b = newbuf();
	hs_err r;

	assert_int_equal(hs_buf_put_u8(b, type), HS_OK);
	assert_int_equal(hs_buf_put_bytes(b, body, len), HS_OK);
	r = hs_mon_parse(b, &m);
	hs_buf_free(b);
	return r;
}

static void
test_bounds(void **state)
{
	static uint8_t big[HS_MON_MAX_BLOB + 1];
	struct hs_buf *b = newbuf(), *body = newbuf();
	const uint8_t *keys[HS_MON_MAX_HOSTKEYS + 1];
	size_t lens[HS_MON_MAX_HOSTKEYS + 1];

	/* builders refuse what the parser would refuse, and leave out unchanged */
	assert_int_equal(hs_mon_build_sign(b, 0, ALG, big, HS_MON_MAX_HASH + 1), HS_ERR_TOO_LARGE);
	assert_int_equal(hs_mon_build_sign(b, 0, ALG, big, 0), HS_ERR_FORMAT);
	assert_int_equal(hs_mon_build_pubkey_check(b, USER, ALG, big, sizeof(big)),
		HS_ERR_TOO_LARGE);
	assert_int_equal(hs_mon_build_auth_user(b, "", SERVICE), HS_ERR_FORMAT);
	for (size_t i = 0; i <= HS_MON_MAX_HOSTKEYS; i++) {
		keys[i] = blob;
		lens[i] = sizeof(blob);
	}
	assert_int_equal(hs_mon_build_hostkeys_ok(b, keys, lens, HS_MON_MAX_HOSTKEYS + 1),
		HS_ERR_TOO_LARGE);
	assert_int_equal(hs_mon_build_hostkeys_ok(b, keys, lens, 0), HS_ERR_FORMAT);
	assert_int_equal(hs_buf_len(b), 0);
	assert_int_equal(hs_mon_build_hostkeys_ok(b, keys, lens, HS_MON_MAX_HOSTKEYS), HS_OK);
	hs_buf_reset(b);

	/* SIGN with a 65-byte "exchange hash" */
	assert_int_equal(hs_buf_put_u32(body, 0), HS_OK);
	assert_int_equal(hs_buf_put_cstring(body, ALG), HS_OK);
	assert_int_equal(hs_buf_put_string(body, big, HS_MON_MAX_HASH + 1), HS_OK);
	assert_int_equal(parse_raw(HS_MON_SIGN, hs_buf_ptr(body), hs_buf_len(body)),
		HS_ERR_TOO_LARGE);
	hs_buf_reset(body);
	/* a string length beyond the message */
	assert_int_equal(hs_buf_put_u32(body, 0xffffffffu), HS_OK);
	assert_int_equal(parse_raw(HS_MON_SESSION_ID, hs_buf_ptr(body), hs_buf_len(body)),
		HS_ERR_TRUNCATED);
	hs_buf_reset(body);
	/* 17 host keys */
	assert_int_equal(hs_buf_put_u32(body, HS_MON_MAX_HOSTKEYS + 1), HS_OK);
	for (int i = 0; i <= HS_MON_MAX_HOSTKEYS; i++)
		assert_int_equal(hs_buf_put_string(body, blob, sizeof(blob)), HS_OK);
	assert_int_equal(parse_raw(HS_MON_HOSTKEYS_OK, hs_buf_ptr(body), hs_buf_len(body)),
		HS_ERR_TOO_LARGE);
	hs_buf_reset(body);
	/* a user name with a NUL inside */
	assert_int_equal(hs_buf_put_string(body, "ro\0ot", 5), HS_OK);
	assert_int_equal(hs_buf_put_cstring(body, SERVICE), HS_OK);
	assert_int_equal(parse_raw(HS_MON_AUTH_USER, hs_buf_ptr(body), hs_buf_len(body)),
		HS_ERR_FORMAT);
	/* unknown types, and an empty message */
	assert_int_equal(parse_raw(0, NULL, 0), HS_ERR_PROTOCOL);
	assert_int_equal(parse_raw(12, NULL, 0), HS_ERR_PROTOCOL);
	assert_int_equal(parse_raw(73, NULL, 0), HS_ERR_PROTOCOL);
	assert_int_equal(parse_raw(255, NULL, 0), HS_ERR_PROTOCOL);
	hs_buf_reset(b);
	{
		struct hs_mon_req m;

		assert_int_equal(hs_mon_parse(b, &m), HS_ERR_TRUNCATED);
	}
	hs_buf_free(body);
	hs_buf_free(b);
}

/* ---- framing over a real socketpair ---- */

static void
sockpair(int sv[2])
{
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void
test_frame_io(void **state)
{
	struct hs_buf *out = newbuf(), *in = newbuf(), *small;
	static uint8_t big[HS_MON_MAX_STATE];
	struct hs_mon_req m;
	uint8_t raw[8];
	int sv[2];

	sockpair(sv);
	for (size_t i = 0; i < NTYPES; i++) {
		hs_buf_reset(out);
		build_example(out, all_types[i]);
		assert_int_equal(hs_mon_write(sv[0], out), HS_OK);
		assert_int_equal(hs_mon_read(sv[1], in, 1000), HS_OK);
		assert_int_equal(hs_buf_len(in), hs_buf_len(out));
		assert_memory_equal(hs_buf_ptr(in), hs_buf_ptr(out), hs_buf_len(out));
		assert_int_equal(hs_mon_parse(in, &m), HS_OK);
		assert_int_equal(m.type, all_types[i]);
	}
	/* the largest message: 64 KiB of transport state */
	hs_buf_reset(out);
	memset(big, 0xa5, sizeof(big));
	assert_int_equal(hs_mon_build_keystate(out, big, sizeof(big)), HS_OK);
	assert_int_equal(hs_buf_len(out), HS_MON_MAX_MSG);
	assert_int_equal(hs_mon_write(sv[0], out), HS_OK);
	assert_int_equal(hs_mon_read(sv[1], in, 1000), HS_OK);
	assert_int_equal(hs_mon_parse(in, &m), HS_OK);
	assert_int_equal(m.u.keystate.blob.len, sizeof(big));
	/* a reader whose buffer is too small refuses rather than grows */
	assert_int_equal(hs_buf_new(100, &small), HS_OK);
	assert_int_equal(hs_mon_write(sv[0], out), HS_OK);
	assert_int_equal(hs_mon_read(sv[1], small, 1000), HS_ERR_TOO_LARGE);
	assert_int_equal(hs_buf_len(small), 0);
	hs_buf_free(small);
	close(sv[0]);
	close(sv[1]);

	/* nothing arrives: timeout */
	sockpair(sv);
	assert_int_equal(hs_mon_read(sv[1], in, 50), HS_ERR_TIMEOUT);
	/* zero length, oversize length */
	memcpy(raw, "\0\0\0\0", 4);
	assert_int_equal(write(sv[0], raw, 4), 4);
	assert_int_equal(hs_mon_read(sv[1], in, 1000), HS_ERR_FORMAT);
	memcpy(raw, "\0\x01\0\x06", 4);	/* HS_MON_MAX_MSG + 1 */
	assert_int_equal(write(sv[0], raw, 4), 4);
	assert_int_equal(hs_mon_read(sv[1], in, 1000), HS_ERR_TOO_LARGE);
	close(sv[0]);
	close(sv[1]);
	/* the peer closes inside a frame, then before one */
	sockpair(sv);
	memcpy(raw, "\0\0\0\x05\x03\0", 6);
	assert_int_equal(write(sv[0], raw, 6), 6);
	close(sv[0]);
	assert_int_equal(hs_mon_read(sv[1], in, 1000), HS_ERR_TRUNCATED);
	assert_int_equal(hs_buf_len(in), 0);
	assert_int_equal(hs_mon_read(sv[1], in, 1000), HS_ERR_EOF);
	close(sv[1]);
	sockpair(sv);
	assert_int_equal(write(sv[0], raw, 2), 2);
	close(sv[0]);
	assert_int_equal(hs_mon_read(sv[1], in, 1000), HS_ERR_TRUNCATED);
	close(sv[1]);
	/* writing to a closed peer is an error, not SIGPIPE; empty messages are not sent */
	sockpair(sv);
	close(sv[1]);
	assert_int_equal(hs_mon_write(sv[0], out), HS_ERR_IO);
	hs_buf_reset(out);
	assert_int_equal(hs_mon_write(sv[0], out), HS_ERR_TOO_LARGE);
	close(sv[0]);
	hs_buf_free(in);
	hs_buf_free(out);
}

static void
test_fd_passing(void **state)
{
	int sv[2], pfd[2], got = -2;
	char c = 0;

	sockpair(sv);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(hs_mon_send_fd(sv[0], pfd[1]), HS_OK);
	assert_int_equal(hs_mon_recv_fd(sv[1], &got), HS_OK);
	assert_true(got >= 0 && got != pfd[1]);
	assert_true((fcntl(got, F_GETFD) & FD_CLOEXEC) != 0);
	/* the received descriptor is the same pipe */
	assert_int_equal(write(got, "x", 1), 1);
	assert_int_equal(read(pfd[0], &c, 1), 1);
	assert_int_equal(c, 'x');
	close(got);
	/* a plain byte without a descriptor is refused */
	assert_int_equal(write(sv[0], "y", 1), 1);
	assert_int_equal(hs_mon_recv_fd(sv[1], &got), HS_ERR_FORMAT);
	assert_int_equal(got, -1);
	/* peer gone */
	close(sv[0]);
	assert_int_equal(hs_mon_recv_fd(sv[1], &got), HS_ERR_EOF);
	assert_int_equal(hs_mon_send_fd(sv[1], pfd[0]), HS_ERR_IO);
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);
}

/* ---- the state machine ---- */

static uint64_t fake_now;

static uint64_t
fake_clock(void)
{
	return fake_now;
}

/* Build an example of type, parse it and run it through the state machine. *keep holds the
 * message (the request views it) until the caller frees it. */
static hs_err
offer(struct hs_mon_state *s, enum hs_mon_type type, struct hs_mon_req *m, struct hs_buf **keep)
{
	*keep = newbuf();
	build_example(*keep, type);
	assert_int_equal(hs_mon_parse(*keep, m), HS_OK);
	return hs_mon_state_check(s, m);
}

/* Offer type; if allowed and an auth request, report result ok. */
static hs_err
step(struct hs_mon_state *s, enum hs_mon_type type, bool ok)
{
	struct hs_mon_req m;
	struct hs_buf *b;
	hs_err r = offer(s, type, &m, &b);

	if (r == HS_OK && s->pending != 0)
		assert_int_equal(hs_mon_state_auth_result(s, &m, ok), HS_OK);
	hs_buf_free(b);
	return r;
}

/* The canonical path into each phase. */
static void
reach(struct hs_mon_state *s, enum hs_mon_phase p)
{
	hs_mon_state_init(s, 0);
	s->now_ms = fake_clock;
	assert_int_equal(step(s, HS_MON_HOSTKEYS, true), HS_OK);
	assert_int_equal(step(s, HS_MON_SIGN, true), HS_OK);
	if (p == HS_MON_PHASE_PREKEX)
		return;
	assert_int_equal(step(s, HS_MON_SESSION_ID, true), HS_OK);
	assert_int_equal(step(s, HS_MON_AUTH_USER, true), HS_OK);
	if (p == HS_MON_PHASE_PREAUTH)
		return;
	assert_int_equal(step(s, HS_MON_AUTH_PASSWORD, true), HS_OK);
	assert_true(hs_mon_state_authenticated(s));
	if (p == HS_MON_PHASE_AUTHENTICATED)
		return;
	assert_int_equal(step(s, HS_MON_KEYSTATE, true), HS_OK);
}

/* Each request in each phase, allowed or refused as the rule table says. */
static void
test_state_matrix(void **state)
{
	/* rows: phase; columns: HOSTKEYS SIGN SESSION_ID AUTH_USER CHECK VERIFY PASSWORD KEYSTATE
	 * SPAWN KEX_KEYPAIR KEX_DERIVE (never first: it needs a KEX_KEYPAIR before it) */
	static const bool allowed[HS_MON_PHASES][HS_MON_REQ_LAST] = {
		[HS_MON_PHASE_PREKEX] = { 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0 },
		[HS_MON_PHASE_PREAUTH] = { 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 0 },
		[HS_MON_PHASE_AUTHENTICATED] = { 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0 },
		[HS_MON_PHASE_POSTAUTH] = { 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0 },
	};
	struct hs_mon_state s;

	for (int p = 0; p < HS_MON_PHASES; p++) {
		for (size_t t = 0; t < NTYPES; t++) {
			enum hs_mon_type type = all_types[t];
			bool want = type <= HS_MON_REQ_LAST && allowed[p][type - 1];

			reach(&s, (enum hs_mon_phase)p);
			assert_int_equal(s.phase, p);
			fake_now += 10000;	/* the SIGN bucket is never the reason here */
			assert_int_equal(step(&s, type, true), want ? HS_OK : HS_ERR_PROTOCOL);
			hs_mon_state_clear(&s);
		}
	}
	assert_string_equal(hs_mon_phase_name(HS_MON_PHASE_POSTAUTH), "POSTAUTH");
}

static void
test_state_order_and_counts(void **state)
{
	struct hs_mon_state s;

	hs_mon_state_init(&s, 0);
	s.now_ms = fake_clock;
	/* SIGN before HOSTKEYS, SESSION_ID before SIGN, AUTH before SESSION_ID: refused */
	assert_int_equal(step(&s, HS_MON_SIGN, true), HS_ERR_PROTOCOL);
	assert_int_equal(step(&s, HS_MON_HOSTKEYS, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_HOSTKEYS, true), HS_ERR_PROTOCOL);	/* once */
	assert_int_equal(step(&s, HS_MON_SESSION_ID, true), HS_ERR_PROTOCOL);
	assert_int_equal(step(&s, HS_MON_AUTH_USER, true), HS_ERR_PROTOCOL);
	assert_int_equal(step(&s, HS_MON_SIGN, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_SESSION_ID, true), HS_OK);
	assert_int_equal(s.phase, HS_MON_PHASE_PREAUTH);
	assert_int_equal(step(&s, HS_MON_SESSION_ID, true), HS_ERR_PROTOCOL);	/* once */
	/* PASSWORD before AUTH_USER */
	assert_int_equal(step(&s, HS_MON_AUTH_PASSWORD, true), HS_ERR_PROTOCOL);
	assert_int_equal(step(&s, HS_MON_AUTH_USER, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_AUTH_USER, true), HS_ERR_PROTOCOL);	/* once */
	/* a failed check does not authenticate */
	assert_int_equal(step(&s, HS_MON_AUTH_PUBKEY_VERIFY, false), HS_OK);
	assert_false(hs_mon_state_authenticated(&s));
	assert_int_equal(step(&s, HS_MON_KEYSTATE, true), HS_ERR_PROTOCOL);
	assert_int_equal(step(&s, HS_MON_AUTH_PUBKEY_VERIFY, true), HS_OK);
	assert_int_equal(s.phase, HS_MON_PHASE_AUTHENTICATED);
	assert_int_equal(step(&s, HS_MON_KEYSTATE, true), HS_OK);
	assert_int_equal(s.phase, HS_MON_PHASE_POSTAUTH);
	assert_int_equal(step(&s, HS_MON_KEYSTATE, true), HS_ERR_PROTOCOL);	/* once */
	assert_int_equal(step(&s, HS_MON_AUTH_PASSWORD, true), HS_ERR_PROTOCOL);
	hs_mon_state_clear(&s);
}

static void
test_state_max_auth_tries(void **state)
{
	struct hs_mon_state s;

	/* MaxAuthTries 3: two failures, then a success still works */
	reach(&s, HS_MON_PHASE_PREAUTH);
	s.max_auth_tries = 3;
	assert_int_equal(step(&s, HS_MON_AUTH_PASSWORD, false), HS_OK);
	assert_int_equal(step(&s, HS_MON_AUTH_PUBKEY_CHECK, false), HS_OK);
	assert_int_equal(step(&s, HS_MON_AUTH_PASSWORD, true), HS_OK);
	assert_true(hs_mon_state_authenticated(&s));
	/* three failures: the fourth attempt is refused */
	reach(&s, HS_MON_PHASE_PREAUTH);
	s.max_auth_tries = 3;
	for (int i = 0; i < 3; i++)
		assert_int_equal(step(&s, HS_MON_AUTH_PASSWORD, false), HS_OK);
	assert_int_equal(step(&s, HS_MON_AUTH_PASSWORD, true), HS_ERR_PROTOCOL);
	assert_int_equal(step(&s, HS_MON_AUTH_PUBKEY_CHECK, true), HS_ERR_PROTOCOL);
	assert_false(hs_mon_state_authenticated(&s));
	/* accepted key queries are bounded too: 2 * MaxAuthTries requests in all */
	reach(&s, HS_MON_PHASE_PREAUTH);
	s.max_auth_tries = 3;
	for (int i = 0; i < 6; i++)
		assert_int_equal(step(&s, HS_MON_AUTH_PUBKEY_CHECK, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_AUTH_PUBKEY_CHECK, true), HS_ERR_PROTOCOL);
	hs_mon_state_clear(&s);
}

static void
test_state_pending_result(void **state)
{
	struct hs_mon_state s;
	struct hs_mon_req m, m2;
	struct hs_buf *b, *b2;

	reach(&s, HS_MON_PHASE_PREAUTH);
	assert_int_equal(offer(&s, HS_MON_AUTH_PASSWORD, &m, &b), HS_OK);
	/* no second request before the monitor's verdict on the first */
	assert_int_equal(offer(&s, HS_MON_AUTH_PUBKEY_CHECK, &m2, &b2), HS_ERR_PROTOCOL);
	/* a verdict for the wrong request, or a second verdict, is an error */
	assert_int_equal(hs_mon_state_auth_result(&s, &m2, true), HS_ERR_PROTOCOL);
	assert_false(hs_mon_state_authenticated(&s));
	assert_int_equal(hs_mon_state_auth_result(&s, &m, false), HS_OK);
	assert_int_equal(hs_mon_state_auth_result(&s, &m, true), HS_ERR_PROTOCOL);
	assert_false(hs_mon_state_authenticated(&s));
	hs_buf_free(b);
	hs_buf_free(b2);
	hs_mon_state_clear(&s);
}

/* AUTH_PUBKEY_VERIFY with signed data for another session, another user, or a changed user. */
static void
test_state_verify_binding(void **state)
{
	static const uint8_t other_sid[32] = { 0x5e, 0x55, 0x10, 0x1e };
	struct hs_mon_state s;
	struct hs_mon_req m;
	struct hs_buf *b, *sd;
	struct {
		const uint8_t *id;
		size_t id_len;
		const char *sd_user, *req_user;
		hs_err want;
	} cases[] = {
		{ sid, sizeof(sid), USER, USER, HS_OK },
		{ other_sid, sizeof(other_sid), USER, USER, HS_ERR_PROTOCOL },
		{ sid, 20, USER, USER, HS_ERR_PROTOCOL },
		{ sid, sizeof(sid), "root", USER, HS_ERR_PROTOCOL },
		{ sid, sizeof(sid), "root", "root", HS_ERR_PROTOCOL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		reach(&s, HS_MON_PHASE_PREAUTH);
		sd = signed_data(cases[i].id, cases[i].id_len, cases[i].sd_user);
		b = newbuf();
		assert_int_equal(hs_mon_build_pubkey_verify(b, cases[i].req_user, ALG, blob,
			sizeof(blob), hs_buf_ptr(sd), hs_buf_len(sd), sig, sizeof(sig)), HS_OK);
		assert_int_equal(hs_mon_parse(b, &m), HS_OK);
		assert_int_equal(hs_mon_state_check(&s, &m), cases[i].want);
		hs_buf_free(b);
		hs_buf_free(sd);
		hs_mon_state_clear(&s);
	}
	/* a changed user in a key query or password request */
	reach(&s, HS_MON_PHASE_PREAUTH);
	b = newbuf();
	assert_int_equal(hs_mon_build_pubkey_check(b, "root", ALG, blob, sizeof(blob)), HS_OK);
	assert_int_equal(hs_mon_build_password(b, "root", "pw"), HS_OK);
	assert_int_equal(hs_mon_parse(b, &m), HS_ERR_TRAILING);	/* two messages in one */
	hs_buf_reset(b);
	assert_int_equal(hs_mon_build_password(b, "root", "pw"), HS_OK);
	assert_int_equal(hs_mon_parse(b, &m), HS_OK);
	assert_int_equal(hs_mon_state_check(&s, &m), HS_ERR_PROTOCOL);
	hs_buf_free(b);
	hs_mon_state_clear(&s);
}

static void
test_state_sign_bounds(void **state)
{
	static uint8_t long_hash[HS_MON_MAX_HASH + 1];
	struct hs_mon_state s;
	struct hs_mon_req m;

	/* a SIGN of more than 64 bytes (made directly: the parser would not produce it) */
	reach(&s, HS_MON_PHASE_PREKEX);
	fake_now += 100000;
	memset(&m, 0, sizeof(m));
	m.type = HS_MON_SIGN;
	m.u.sign.alg.p = (const uint8_t *)ALG;
	m.u.sign.alg.len = strlen(ALG);
	m.u.sign.data.p = long_hash;
	m.u.sign.data.len = sizeof(long_hash);
	assert_int_equal(hs_mon_state_check(&s, &m), HS_ERR_PROTOCOL);
	m.u.sign.data.len = HS_MON_MAX_HASH;
	assert_int_equal(hs_mon_state_check(&s, &m), HS_OK);

	/* rate: a burst of 3, then one per second */
	hs_mon_state_init(&s, 0);
	s.now_ms = fake_clock;
	s.sign_burst = 3;
	assert_int_equal(step(&s, HS_MON_HOSTKEYS, true), HS_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(step(&s, HS_MON_SIGN, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_SIGN, true), HS_ERR_PROTOCOL);
	fake_now += 999;
	assert_int_equal(step(&s, HS_MON_SIGN, true), HS_ERR_PROTOCOL);
	fake_now += 1;
	assert_int_equal(step(&s, HS_MON_SIGN, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_SIGN, true), HS_ERR_PROTOCOL);
	/* a long pause refills only up to the burst */
	fake_now += 3600 * 1000;
	for (int i = 0; i < 3; i++)
		assert_int_equal(step(&s, HS_MON_SIGN, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_SIGN, true), HS_ERR_PROTOCOL);
	hs_mon_state_clear(&s);
}

/* ---- SPAWN, SPAWN_OK and exit events ---- */

/* The builder: no command, no pty (pty fields not sent whatever they hold), env bounds. */
static void
test_spawn_build(void **state)
{
	static const char *const bad_env[] = { "=x", NULL };
	static const char *const no_eq[] = { "PATH", NULL };
	static char big_cmd[HS_MON_MAX_COMMAND + 2];
	const char *many[HS_MON_MAX_ENV + 2];
	struct hs_spawn_req req = spawn_example();
	struct hs_buf *b = newbuf();
	struct hs_mon_req m;

	/* shell without a pty: the pty fields of the request are dropped */
	req.command = NULL;
	req.pty = false;
	req.env = NULL;
	assert_int_equal(hs_mon_build_spawn(b, &req), HS_OK);
	assert_int_equal(hs_mon_parse(b, &m), HS_OK);
	assert_false(m.u.spawn.has_command);
	assert_false(m.u.spawn.pty);
	assert_int_equal(m.u.spawn.command.len + m.u.spawn.term.len + m.u.spawn.modes.len, 0);
	assert_int_equal(m.u.spawn.cols | m.u.spawn.rows | m.u.spawn.wpx | m.u.spawn.hpx, 0);
	assert_int_equal(m.u.spawn.n_env, 0);
	hs_buf_reset(b);
	/* type, has_command, command, pty, term, modes, 4 sizes, n_env */
	assert_int_equal(hs_mon_build_spawn(b, &req), HS_OK);
	assert_int_equal(hs_buf_len(b), 1 + 1 + 4 + 1 + 4 + 4 + 16 + 4);
	hs_buf_reset(b);
	/* an empty command is a command ("exec" with ""), and a pty with no TERM */
	req.command = "";
	req.pty = true;
	req.term = NULL;
	assert_int_equal(hs_mon_build_spawn(b, &req), HS_OK);
	assert_int_equal(hs_mon_parse(b, &m), HS_OK);
	assert_true(m.u.spawn.has_command && m.u.spawn.pty);
	assert_int_equal(m.u.spawn.command.len + m.u.spawn.term.len, 0);
	assert_int_equal(m.u.spawn.cols, 80);
	hs_buf_reset(b);
	/* env: 64 strings fit, 65 do not; "=x" and "PATH" are not NAME=value */
	for (int i = 0; i < HS_MON_MAX_ENV + 1; i++)
		many[i] = "A=1";
	many[HS_MON_MAX_ENV] = NULL;
	req.env = many;
	assert_int_equal(hs_mon_build_spawn(b, &req), HS_OK);
	assert_int_equal(hs_mon_parse(b, &m), HS_OK);
	assert_int_equal(m.u.spawn.n_env, HS_MON_MAX_ENV);
	hs_buf_reset(b);
	many[HS_MON_MAX_ENV] = "A=1";
	many[HS_MON_MAX_ENV + 1] = NULL;
	assert_int_equal(hs_mon_build_spawn(b, &req), HS_ERR_TOO_LARGE);
	req.env = bad_env;
	assert_int_equal(hs_mon_build_spawn(b, &req), HS_ERR_FORMAT);
	req.env = no_eq;
	assert_int_equal(hs_mon_build_spawn(b, &req), HS_ERR_FORMAT);
	assert_int_equal(hs_buf_len(b), 0);
	/* command bound: 32 KiB fits, one more byte does not */
	req.env = NULL;
	memset(big_cmd, 'c', HS_MON_MAX_COMMAND);
	req.command = big_cmd;
	assert_int_equal(hs_mon_build_spawn(b, &req), HS_OK);
	hs_buf_reset(b);
	big_cmd[HS_MON_MAX_COMMAND] = 'c';
	assert_int_equal(hs_mon_build_spawn(b, &req), HS_ERR_TOO_LARGE);
	/* SPAWN_OK: pid 0 or beyond pid_t; a tty name without a pty; a 64-byte name */
	assert_int_equal(hs_mon_build_spawn_ok(b, 0, false, NULL), HS_ERR_FORMAT);
	assert_int_equal(hs_mon_build_spawn_ok(b, (uint32_t)INT32_MAX + 1, false, NULL),
		HS_ERR_FORMAT);
	assert_int_equal(hs_mon_build_spawn_ok(b, 7, false, TTY), HS_ERR_FORMAT);
	memset(big_cmd, 't', 64);
	big_cmd[64] = '\0';
	assert_int_equal(hs_mon_build_spawn_ok(b, 7, true, big_cmd), HS_ERR_TOO_LARGE);
	big_cmd[63] = '\0';
	assert_int_equal(hs_buf_len(b), 0);
	assert_int_equal(hs_mon_build_spawn_ok(b, 7, true, big_cmd), HS_OK);
	hs_buf_reset(b);
	assert_int_equal(hs_mon_build_spawn_ok(b, INT32_MAX, false, NULL), HS_OK);
	assert_int_equal(hs_mon_parse(b, &m), HS_OK);
	assert_int_equal(m.u.spawn_ok.pid, INT32_MAX);
	assert_false(m.u.spawn_ok.pty);
	hs_buf_free(b);
}

/* A hand-made SPAWN body; fields in order, strings as given. */
static hs_err
parse_spawn(uint8_t has_cmd, const char *cmd, uint8_t pty, const char *term, uint32_t cols,
	uint32_t n_env, const char *env)
{
	struct hs_buf *body = newbuf();
	hs_err r;

	assert_int_equal(hs_buf_put_u8(body, has_cmd), HS_OK);
	assert_int_equal(hs_buf_put_string(body, cmd, strlen(cmd)), HS_OK);
	assert_int_equal(hs_buf_put_u8(body, pty), HS_OK);
	assert_int_equal(hs_buf_put_cstring(body, term), HS_OK);
	assert_int_equal(hs_buf_put_string(body, NULL, 0), HS_OK);
	assert_int_equal(hs_buf_put_u32(body, cols), HS_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(hs_buf_put_u32(body, 0), HS_OK);
	assert_int_equal(hs_buf_put_u32(body, n_env), HS_OK);
	for (uint32_t i = 0; i < n_env && env != NULL; i++)
		assert_int_equal(hs_buf_put_cstring(body, env), HS_OK);
	r = parse_raw(HS_MON_SPAWN, hs_buf_ptr(body), hs_buf_len(body));
	hs_buf_free(body);
	return r;
}

/* The parser refuses what the builder never makes. */
static void
test_spawn_parse_refusals(void **state)
{
	struct hs_buf *body = newbuf();

	assert_int_equal(parse_spawn(1, "id", 0, "", 0, 1, "A=b"), HS_OK);
	assert_int_equal(parse_spawn(0, "id", 0, "", 0, 0, NULL), HS_ERR_FORMAT);
	assert_int_equal(parse_spawn(2, "id", 0, "", 0, 0, NULL), HS_ERR_FORMAT);
	assert_int_equal(parse_spawn(1, "id", 0, "vt100", 0, 0, NULL), HS_ERR_FORMAT);
	assert_int_equal(parse_spawn(1, "id", 0, "", 80, 0, NULL), HS_ERR_FORMAT);
	assert_int_equal(parse_spawn(1, "id", 1, "vt100", 80, 0, NULL), HS_OK);
	assert_int_equal(parse_spawn(1, "id", 1, "vt100", 80, 1, "=b"), HS_ERR_FORMAT);
	assert_int_equal(parse_spawn(1, "id", 1, "vt100", 80, 1, "A"), HS_ERR_FORMAT);
	assert_int_equal(parse_spawn(1, "id", 1, "vt100", 80, 1, ""), HS_ERR_FORMAT);
	assert_int_equal(parse_spawn(1, "id", 1, "vt100", 80, 65, "A=b"), HS_ERR_TOO_LARGE);
	/* a count beyond the strings that follow */
	assert_int_equal(parse_spawn(1, "id", 1, "vt100", 80, 3, NULL), HS_ERR_TRUNCATED);
	/* NUL inside the command */
	assert_int_equal(hs_buf_put_u8(body, 1), HS_OK);
	assert_int_equal(hs_buf_put_string(body, "rm\0-rf", 6), HS_OK);
	assert_int_equal(hs_buf_put_u8(body, 0), HS_OK);
	for (int i = 0; i < 2; i++)
		assert_int_equal(hs_buf_put_u32(body, 0), HS_OK);
	for (int i = 0; i < 5; i++)
		assert_int_equal(hs_buf_put_u32(body, 0), HS_OK);
	assert_int_equal(parse_raw(HS_MON_SPAWN, hs_buf_ptr(body), hs_buf_len(body)),
		HS_ERR_FORMAT);
	hs_buf_reset(body);
	/* SPAWN_OK: pid 0, pid 2^31, a tty name without a pty, bool 2 */
	{
		static const uint8_t pid0[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0 };
		static const uint8_t pidbig[] = { 0x80, 0, 0, 0, 0, 0, 0, 0, 0 };
		static const uint8_t notty[] = { 0, 0, 0, 9, 0, 0, 0, 0, 1, 'x' };
		static const uint8_t bool2[] = { 0, 0, 0, 9, 2, 0, 0, 0, 0 };
		static const uint8_t good[] = { 0, 0, 0, 9, 1, 0, 0, 0, 1, 'x' };

		assert_int_equal(parse_raw(HS_MON_SPAWN_OK, pid0, sizeof(pid0)), HS_ERR_FORMAT);
		assert_int_equal(parse_raw(HS_MON_SPAWN_OK, pidbig, sizeof(pidbig)), HS_ERR_FORMAT);
		assert_int_equal(parse_raw(HS_MON_SPAWN_OK, notty, sizeof(notty)), HS_ERR_FORMAT);
		assert_int_equal(parse_raw(HS_MON_SPAWN_OK, bool2, sizeof(bool2)), HS_ERR_FORMAT);
		assert_int_equal(parse_raw(HS_MON_SPAWN_OK, good, sizeof(good)), HS_OK);
	}
	hs_buf_free(body);
}

/* The monitor's copy: C strings equal to what was asked, env NULL-terminated, one free(). */
static void
test_spawn_req_copy(void **state)
{
	struct hs_spawn_req in = spawn_example(), out;
	struct hs_buf *b = newbuf();
	struct hs_mon_req m;
	void *store = (void *)1;

	assert_int_equal(hs_mon_build_spawn(b, &in), HS_OK);
	assert_int_equal(hs_mon_parse(b, &m), HS_OK);
	assert_int_equal(hs_mon_spawn_req(&m, &out, &store), HS_OK);
	assert_non_null(store);
	assert_string_equal(out.command, CMD);
	assert_true(out.pty);
	assert_string_equal(out.term, "xterm-256color");
	assert_int_equal(out.modes_len, sizeof(modes));
	assert_memory_equal(out.modes, modes, sizeof(modes));
	assert_int_equal(out.cols, 80);
	assert_int_equal(out.rows, 24);
	assert_int_equal(out.width_px, 640);
	assert_int_equal(out.height_px, 480);
	assert_string_equal(out.env[0], env2[0]);
	assert_string_equal(out.env[1], env2[1]);
	assert_null(out.env[2]);
	/* independent of the message buffer */
	hs_buf_free(b);
	assert_string_equal(out.command, CMD);
	free(store);

	/* no command stays NULL (the login shell), not "" */
	b = newbuf();
	in.command = NULL;
	in.env = NULL;
	assert_int_equal(hs_mon_build_spawn(b, &in), HS_OK);
	assert_int_equal(hs_mon_parse(b, &m), HS_OK);
	assert_int_equal(hs_mon_spawn_req(&m, &out, &store), HS_OK);
	assert_null(out.command);
	assert_non_null(out.env);
	assert_null(out.env[0]);
	free(store);
	/* only a SPAWN converts */
	hs_buf_reset(b);
	build_example(b, HS_MON_SPAWN_OK);
	assert_int_equal(hs_mon_parse(b, &m), HS_OK);
	assert_int_equal(hs_mon_spawn_req(&m, &out, &store), HS_ERR_INTERNAL);
	assert_null(store);
	hs_buf_free(b);
}

/* SPAWN: POSTAUTH only (the matrix covers each phase once), and any number of times. */
static void
test_state_spawn(void **state)
{
	struct hs_mon_state s;

	reach(&s, HS_MON_PHASE_POSTAUTH);
	for (int i = 0; i < 200; i++)
		assert_int_equal(step(&s, HS_MON_SPAWN, true), HS_OK);
	assert_int_equal(s.counts[HS_MON_SPAWN], 200);
	assert_int_equal(s.pending, 0);		/* not an auth request */
	assert_int_equal(step(&s, HS_MON_SIGN, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_SPAWN, true), HS_OK);
	assert_int_equal(s.phase, HS_MON_PHASE_POSTAUTH);
	/* a reply type is never a request */
	assert_int_equal(step(&s, HS_MON_SPAWN_OK, true), HS_ERR_PROTOCOL);
	hs_mon_state_clear(&s);
	/* before the hand-over, even right after authentication */
	reach(&s, HS_MON_PHASE_AUTHENTICATED);
	assert_int_equal(step(&s, HS_MON_SPAWN, true), HS_ERR_PROTOCOL);
	hs_mon_state_clear(&s);
}

/* ---- KEX_KEYPAIR and KEX_DERIVE ---- */

/* Builders refuse what the parser refuses; the method and value bounds. */
static void
test_kex_bounds(void **state)
{
	static uint8_t big[HS_MON_MAX_KEX + 1];
	struct hs_buf *b = newbuf(), *body = newbuf();
	struct hs_mon_req m;

	assert_int_equal(hs_mon_build_kex_keypair(b, 0), HS_ERR_FORMAT);
	assert_int_equal(hs_mon_build_kex_keypair(b, HS_MON_MAX_KEX_METHOD + 1), HS_ERR_FORMAT);
	assert_int_equal(hs_mon_build_kex_derive(b, big, 0), HS_ERR_FORMAT);
	assert_int_equal(hs_mon_build_kex_derive(b, big, sizeof(big)), HS_ERR_TOO_LARGE);
	assert_int_equal(hs_mon_build_kex_keypair_ok(b, big, sizeof(big)), HS_ERR_TOO_LARGE);
	assert_int_equal(hs_mon_build_kex_derive_ok(b, big, 0), HS_ERR_FORMAT);
	assert_int_equal(hs_buf_len(b), 0);
	/* the largest values: a group16 e and K (512 bytes), method 63 */
	assert_int_equal(hs_mon_build_kex_derive(b, big, HS_MON_MAX_KEX), HS_OK);
	assert_int_equal(hs_mon_parse(b, &m), HS_OK);
	assert_int_equal(m.u.kex_derive.peer.len, HS_MON_MAX_KEX);
	hs_buf_reset(b);
	assert_int_equal(hs_mon_build_kex_keypair(b, HS_MON_MAX_KEX_METHOD), HS_OK);
	assert_int_equal(hs_mon_parse(b, &m), HS_OK);
	assert_int_equal(m.u.kex_keypair.method, HS_MON_MAX_KEX_METHOD);
	/* hand-made: method 0, method 64, a 513-byte peer value, a secret too long */
	assert_int_equal(hs_buf_put_u32(body, 0), HS_OK);
	assert_int_equal(parse_raw(HS_MON_KEX_KEYPAIR, hs_buf_ptr(body), hs_buf_len(body)),
		HS_ERR_FORMAT);
	hs_buf_reset(body);
	assert_int_equal(hs_buf_put_u32(body, HS_MON_MAX_KEX_METHOD + 1), HS_OK);
	assert_int_equal(parse_raw(HS_MON_KEX_KEYPAIR, hs_buf_ptr(body), hs_buf_len(body)),
		HS_ERR_FORMAT);
	hs_buf_reset(body);
	assert_int_equal(hs_buf_put_string(body, big, sizeof(big)), HS_OK);
	assert_int_equal(parse_raw(HS_MON_KEX_DERIVE, hs_buf_ptr(body), hs_buf_len(body)),
		HS_ERR_TOO_LARGE);
	assert_int_equal(parse_raw(HS_MON_KEX_DERIVE_OK, hs_buf_ptr(body), hs_buf_len(body)),
		HS_ERR_TOO_LARGE);
	hs_buf_reset(body);
	assert_int_equal(hs_buf_put_string(body, big, 0), HS_OK);
	assert_int_equal(parse_raw(HS_MON_KEX_KEYPAIR_OK, hs_buf_ptr(body), hs_buf_len(body)),
		HS_ERR_FORMAT);
	assert_string_equal(hs_mon_type_name(HS_MON_KEX_DERIVE_OK), "KEX_DERIVE_OK");
	hs_buf_free(body);
	hs_buf_free(b);
}

/* The pairing: DERIVE only after a KEYPAIR, once; a second KEYPAIR replaces the first; the
 * method is remembered for the log line; a reply type is never a request. */
static void
test_state_kex_order(void **state)
{
	struct hs_mon_state s;

	hs_mon_state_init(&s, 0);
	s.now_ms = fake_clock;
	assert_int_equal(step(&s, HS_MON_KEX_KEYPAIR, true), HS_ERR_PROTOCOL);	/* no HOSTKEYS */
	assert_int_equal(step(&s, HS_MON_HOSTKEYS, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_KEX_DERIVE, true), HS_ERR_PROTOCOL);	/* no KEYPAIR */
	assert_int_equal(step(&s, HS_MON_KEX_KEYPAIR, true), HS_OK);
	assert_true(s.kex_open);
	assert_int_equal(s.kex_method, METHOD);
	assert_int_equal(step(&s, HS_MON_KEX_DERIVE, true), HS_OK);
	assert_false(s.kex_open);
	assert_int_equal(step(&s, HS_MON_KEX_DERIVE, true), HS_ERR_PROTOCOL);	/* once each */
	assert_int_equal(step(&s, HS_MON_KEX_KEYPAIR, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_KEX_KEYPAIR, true), HS_OK);		/* replaces */
	assert_int_equal(step(&s, HS_MON_KEX_DERIVE, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_KEX_DERIVE, true), HS_ERR_PROTOCOL);
	assert_int_equal(step(&s, HS_MON_KEX_KEYPAIR_OK, true), HS_ERR_PROTOCOL);
	assert_int_equal(step(&s, HS_MON_KEX_DERIVE_OK, true), HS_ERR_PROTOCOL);
	/* the rest of the first KEX still follows */
	assert_int_equal(step(&s, HS_MON_SIGN, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_SESSION_ID, true), HS_OK);
	assert_int_equal(s.phase, HS_MON_PHASE_PREAUTH);
	hs_mon_state_clear(&s);
}

/* At most HS_MON_MAX_KEX_PER_PHASE key pairs per phase; the count starts again in the next phase,
 * so rekeys after the hand-over are allowed; an ephemeral made before the hand-over cannot be
 * derived after it. */
static void
test_state_kex_bound(void **state)
{
	struct hs_mon_state s;

	reach(&s, HS_MON_PHASE_PREKEX);
	for (int i = 0; i < HS_MON_MAX_KEX_PER_PHASE; i++) {
		assert_int_equal(step(&s, HS_MON_KEX_KEYPAIR, true), HS_OK);
		assert_int_equal(step(&s, HS_MON_KEX_DERIVE, true), HS_OK);
	}
	assert_int_equal(step(&s, HS_MON_KEX_KEYPAIR, true), HS_ERR_PROTOCOL);
	assert_int_equal(step(&s, HS_MON_KEX_DERIVE, true), HS_ERR_PROTOCOL);
	assert_int_equal(step(&s, HS_MON_SESSION_ID, true), HS_OK);
	assert_int_equal(s.phase, HS_MON_PHASE_PREAUTH);
	/* a client's rekey while authenticating: a fresh count */
	assert_int_equal(step(&s, HS_MON_KEX_KEYPAIR, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_KEX_DERIVE, true), HS_OK);
	/* left open across authentication and the hand-over: not derivable after it */
	assert_int_equal(step(&s, HS_MON_KEX_KEYPAIR, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_AUTH_USER, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_AUTH_PASSWORD, true), HS_OK);
	assert_int_equal(step(&s, HS_MON_KEYSTATE, true), HS_OK);
	assert_int_equal(s.phase, HS_MON_PHASE_POSTAUTH);
	assert_int_equal(step(&s, HS_MON_KEX_DERIVE, true), HS_ERR_PROTOCOL);
	hs_mon_state_clear(&s);
	/* post-auth rekeys: the full bound again, then refused */
	reach(&s, HS_MON_PHASE_POSTAUTH);
	assert_int_equal(step(&s, HS_MON_KEX_DERIVE, true), HS_ERR_PROTOCOL);
	for (int i = 0; i < HS_MON_MAX_KEX_PER_PHASE; i++) {
		assert_int_equal(step(&s, HS_MON_KEX_KEYPAIR, true), HS_OK);
		assert_int_equal(step(&s, HS_MON_KEX_DERIVE, true), HS_OK);
		assert_int_equal(step(&s, HS_MON_SPAWN, true), HS_OK);	/* interleaved freely */
	}
	assert_int_equal(s.kex_in_phase, HS_MON_MAX_KEX_PER_PHASE);
	assert_int_equal(step(&s, HS_MON_KEX_KEYPAIR, true), HS_ERR_PROTOCOL);
	assert_int_equal(s.kex_in_phase, HS_MON_MAX_KEX_PER_PHASE);
	hs_mon_state_clear(&s);
	/* between authentication and the hand-over: no KEX at all */
	reach(&s, HS_MON_PHASE_AUTHENTICATED);
	assert_int_equal(step(&s, HS_MON_KEX_KEYPAIR, true), HS_ERR_PROTOCOL);
	hs_mon_state_clear(&s);
}

/* What the monitor's KEX_KEYPAIR handler checks a method against (core/kex.c's table): a name
 * for each method, none for a number that is no method, and membership in KexAlgorithms by any
 * of the method's names (curve25519-sha256 has two). The wire method is the enum's value. */
static void
test_kex_methods(void **state)
{
	static const char *const list = "curve25519-sha256@libssh.org,ecdh-sha2-nistp384";

	assert_int_equal(METHOD, HS_KEXM_ECDH_P256);
	assert_string_equal(hs_kex_method_name(HS_KEXM_ECDH_P256), "ecdh-sha2-nistp256");
	assert_string_equal(hs_kex_method_name(HS_KEXM_ECDH_P384), "ecdh-sha2-nistp384");
	assert_string_equal(hs_kex_method_name(HS_KEXM_X25519), "curve25519-sha256");
	assert_non_null(hs_kex_method_name(HS_KEXM_DH_GROUP16));
	assert_null(hs_kex_method_name((enum hs_kex_method)0));
	assert_null(hs_kex_method_name((enum hs_kex_method)HS_MON_MAX_KEX_METHOD));
	assert_true(hs_kex_method_in_list(list, HS_KEXM_X25519));
	assert_true(hs_kex_method_in_list(list, HS_KEXM_ECDH_P384));
	assert_false(hs_kex_method_in_list(list, HS_KEXM_ECDH_P256));
	assert_false(hs_kex_method_in_list("ecdh-sha2-nistp2560", HS_KEXM_ECDH_P256));
	assert_false(hs_kex_method_in_list(NULL, HS_KEXM_ECDH_P256));
	assert_false(hs_kex_method_in_list(list, (enum hs_kex_method)HS_MON_MAX_KEX_METHOD));
}

static void
test_exit_events(void **state)
{
	static const uint8_t short_rec[5] = { 0, 0, 1, 0, 0 };
	static const uint8_t pid0[8] = { 0, 0, 0, 0, 0, 0, 0, 9 };
	static const uint8_t negpid[8] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 9 };
	int32_t pid = -1, st = -1;
	sigset_t pend;
	int p[2], n = 0;

	/* a blocking pipe: empty is HS_ERR_AGAIN, not a hang */
	assert_int_equal(pipe(p), 0);
	assert_int_equal(hs_mon_exit_read(p[0], &pid, &st), HS_ERR_AGAIN);
	assert_int_equal(pid, 0);
	assert_int_equal(hs_mon_exit_write(p[1], 1234, 3 << 8), HS_OK);	/* exit(3) */
	assert_int_equal(hs_mon_exit_write(p[1], INT32_MAX, SIGKILL), HS_OK);
	assert_int_equal(hs_mon_exit_write(p[1], 77, -1), HS_OK);
	assert_int_equal(hs_mon_exit_read(p[0], &pid, &st), HS_OK);
	assert_int_equal(pid, 1234);
	assert_int_equal(st, 3 << 8);
	assert_int_equal(hs_mon_exit_read(p[0], &pid, &st), HS_OK);
	assert_int_equal(pid, INT32_MAX);
	assert_int_equal(st, SIGKILL);
	assert_int_equal(hs_mon_exit_read(p[0], &pid, &st), HS_OK);
	assert_int_equal(pid, 77);
	assert_int_equal(st, -1);
	assert_int_equal(hs_mon_exit_read(p[0], &pid, &st), HS_ERR_AGAIN);
	assert_int_equal(hs_mon_exit_write(p[1], 0, 0), HS_ERR_INTERNAL);
	assert_int_equal(hs_mon_exit_write(p[1], -5, 0), HS_ERR_INTERNAL);
	/* hostile records: short, pid 0, negative pid */
	assert_int_equal(write(p[1], short_rec, sizeof(short_rec)), (ssize_t)sizeof(short_rec));
	assert_int_equal(hs_mon_exit_read(p[0], &pid, &st), HS_ERR_FORMAT);
	assert_int_equal(write(p[1], pid0, 8), 8);
	assert_int_equal(hs_mon_exit_read(p[0], &pid, &st), HS_ERR_FORMAT);
	assert_int_equal(write(p[1], negpid, 8), 8);
	assert_int_equal(hs_mon_exit_read(p[0], &pid, &st), HS_ERR_FORMAT);
	assert_int_equal(pid, 0);
	/* a record written before the close is still read, then EOF */
	assert_int_equal(hs_mon_exit_write(p[1], 9, 0), HS_OK);
	close(p[1]);
	assert_int_equal(hs_mon_exit_read(p[0], &pid, &st), HS_OK);
	assert_int_equal(pid, 9);
	assert_int_equal(hs_mon_exit_read(p[0], &pid, &st), HS_ERR_EOF);
	close(p[0]);

	/* a full non-blocking pipe, then a reader that is gone: errors, no SIGPIPE */
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	while (hs_mon_exit_write(p[1], 1, 0) == HS_OK)
		n++;
	assert_true(n >= 8);	/* at least one page */
	assert_int_equal(hs_mon_exit_write(p[1], 1, 0), HS_ERR_AGAIN);
	close(p[0]);
	assert_int_equal(hs_mon_exit_write(p[1], 1, 0), HS_ERR_EOF);
	assert_int_equal(sigpending(&pend), 0);
	assert_false(sigismember(&pend, SIGPIPE));
	close(p[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_fields),
		cmocka_unit_test(test_truncation_trailing_flip),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_frame_io),
		cmocka_unit_test(test_fd_passing),
		cmocka_unit_test(test_state_matrix),
		cmocka_unit_test(test_state_order_and_counts),
		cmocka_unit_test(test_state_max_auth_tries),
		cmocka_unit_test(test_state_pending_result),
		cmocka_unit_test(test_state_verify_binding),
		cmocka_unit_test(test_state_sign_bounds),
		cmocka_unit_test(test_spawn_build),
		cmocka_unit_test(test_spawn_parse_refusals),
		cmocka_unit_test(test_spawn_req_copy),
		cmocka_unit_test(test_state_spawn),
		cmocka_unit_test(test_exit_events),
		cmocka_unit_test(test_kex_bounds),
		cmocka_unit_test(test_kex_methods),
		cmocka_unit_test(test_state_kex_order),
		cmocka_unit_test(test_state_kex_bound),
	};

	hs_log_init("test_monitor", HS_LOG_QUIET, true, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
