/* test_channel.c: the channel layer (RFC 4254) driven with hand-built messages through
 * hs_conn_dispatch(), the request parser, terminal modes and the fd pump. */
#include <setjmp.h>
#include <signal.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "hs_buf.h"
#include "hs_channel.h"
#include "hs_ssh.h"

/* ---- a recording send function: every message the layer sends lands here ---- */

#define SENT_MAX 64
static struct hs_buf *sent[SENT_MAX];
static size_t nsent;

static hs_err
rec_send(void *arg, const struct hs_buf *payload)
{
	struct hs_buf *b;

	if (nsent >= SENT_MAX)
		return HS_ERR_INTERNAL;
	if (hs_buf_dup(payload, &b) != HS_OK)
		return HS_ERR_ALLOC;
	sent[nsent++] = b;
	return HS_OK;
}

static void
sent_clear(void)
{
	while (nsent > 0)
		hs_buf_free(sent[--nsent]);
}

/* Type byte of sent message i, consumed from the buffer. */
static uint8_t
sent_type(size_t i)
{
	uint8_t t = 0;

	assert_true(i < nsent);
	assert_int_equal(hs_buf_get_u8(sent[i], &t), HS_OK);
	return t;
}

static uint32_t
get32(struct hs_buf *b)
{
	uint32_t v = 0;

	assert_int_equal(hs_buf_get_u32(b, &v), HS_OK);
	return v;
}

/* Build a message from a tiny format: 'u' uint32, 's' C string, 'b' bool, 'c' byte,
 * 'd' (ptr, len) string. */
static struct hs_buf *
mk(const char *fmt, ...)
{
	struct hs_buf *b;
	va_list ap;
	const void *p;
	size_t n;

	assert_int_equal(hs_buf_new(1u << 22, &b), HS_OK);
	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		switch (*fmt) {
		case 'u':
			assert_int_equal(hs_buf_put_u32(b, va_arg(ap, uint32_t)), HS_OK);
			break;
		case 's':
			assert_int_equal(hs_buf_put_cstring(b, va_arg(ap, const char *)), HS_OK);
			break;
		case 'b':
			assert_int_equal(hs_buf_put_bool(b, va_arg(ap, int)), HS_OK);
			break;
		case 'c':
			assert_int_equal(hs_buf_put_u8(b, (uint8_t)va_arg(ap, int)), HS_OK);
			break;
		case 'd':
			p = va_arg(ap, const void *);
			n = va_arg(ap, size_t);
			assert_int_equal(hs_buf_put_string(b, p, n), HS_OK);
			break;
		default:
			fail();
		}
	}
	va_end(ap);
	return b;
}

static hs_err
dispatch(struct hs_conn *c, uint8_t type, struct hs_buf *m)
{
	hs_err r = hs_conn_dispatch(c, type, m);

	hs_buf_free(m);
	return r;
}

/* ---- a channel owner for the tests ---- */

static int n_requests, n_released, n_replies;
static bool last_reply;

static hs_err
t_request(struct hs_channel *ch, const char *type, bool want_reply, struct hs_buf *msg, bool *ok)
{
	struct hs_chanreq q;

	n_requests++;
	if (hs_chanreq_parse(type, msg, &q) != HS_OK)
		return HS_ERR_PROTOCOL;
	*ok = q.type == HS_REQ_EXEC;
	hs_chanreq_free(&q);
	return HS_OK;
}

static hs_err
t_reply(struct hs_channel *ch, bool success)
{
	n_replies++;
	last_reply = success;
	return HS_OK;
}

static void
t_release(struct hs_channel *ch)
{
	n_released++;
}

static const struct hs_channel_ops t_ops = {
	.request = t_request, .reply = t_reply, .release = t_release,
};

static hs_err
t_open(void *arg, struct hs_channel *ch, const char *type, struct hs_buf *msg, uint32_t *reason)
{
	if (strcmp(type, "session") != 0) {
		*reason = HS_OPEN_UNKNOWN_CHANNEL_TYPE;
		return HS_ERR_UNSUPPORTED;
	}
	ch->ops = &t_ops;
	return HS_OK;
}

static int
setup(void **state)
{
	static struct hs_conn c;

	hs_conn_init(&c, rec_send, NULL);
	c.open = t_open;
	n_requests = n_released = n_replies = 0;
	*state = &c;
	return 0;
}

static int
teardown(void **state)
{
	hs_conn_cleanup(*state);
	sent_clear();
	return 0;
}

/* The peer opens a session with its id, window and packet; returns our channel. */
static struct hs_channel *
peer_open(struct hs_conn *c, uint32_t id, uint32_t window, uint32_t packet)
{
	struct hs_buf *m;
	struct hs_channel *ch;
	size_t before = nsent;

	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_OPEN, mk("suuu", "session", id, window, packet)),
	    HS_OK);
	assert_int_equal(nsent, before + 1);
	assert_int_equal(sent_type(before), HS_MSG_CHANNEL_OPEN_CONFIRMATION);
	m = sent[before];
	assert_int_equal(get32(m), id);
	ch = hs_conn_channel(c, get32(m));
	assert_non_null(ch);
	/* OpenSSH's values: 2 MiB window, 32 KiB packets. */
	assert_int_equal(get32(m), 2u * 1024 * 1024);
	assert_int_equal(get32(m), 32u * 1024);
	assert_int_equal(hs_buf_get_end(m), HS_OK);
	return ch;
}

/* ---- channel state machine ---- */

static void
test_open_and_close(void **state)
{
	struct hs_conn *c = *state;
	struct hs_channel *ch = peer_open(c, 7, 1000, 500);

	assert_int_equal(ch->state, HS_CHAN_OPEN);
	assert_int_equal(ch->remote_id, 7);
	assert_int_equal(ch->remote_window, 1000);
	assert_int_equal(hs_conn_nchannels(c), 1);
	/* The peer's EOF only sets a flag. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_EOF, mk("u", ch->local_id)), HS_OK);
	assert_true(ch->flags & HS_CHAN_EOF_RCVD);
	/* CLOSE is answered with CLOSE; freed only then. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_CLOSE, mk("u", ch->local_id)), HS_OK);
	assert_int_equal(sent_type(nsent - 1), HS_MSG_CHANNEL_CLOSE);
	assert_int_equal(get32(sent[nsent - 1]), 7);
	assert_int_equal(hs_conn_nchannels(c), 1);
	hs_conn_gc(c);
	assert_int_equal(hs_conn_nchannels(c), 0);
	assert_int_equal(n_released, 1);
	/* Messages for the freed channel are protocol errors. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_EOF, mk("u", 0)), HS_ERR_PROTOCOL);
}

static void
test_close_needs_both_directions(void **state)
{
	struct hs_conn *c = *state;
	struct hs_channel *ch = peer_open(c, 1, 1000, 500);

	assert_int_equal(hs_chan_send_close(ch), HS_OK);
	assert_int_equal(sent_type(nsent - 1), HS_MSG_CHANNEL_CLOSE);
	/* A second call sends nothing. */
	assert_int_equal(hs_chan_send_close(ch), HS_OK);
	assert_int_equal(nsent, 2);
	hs_conn_gc(c);
	assert_int_equal(hs_conn_nchannels(c), 1);
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_CLOSE, mk("u", ch->local_id)), HS_OK);
	/* No second CLOSE goes out. */
	assert_int_equal(nsent, 2);
	hs_conn_gc(c);
	assert_int_equal(hs_conn_nchannels(c), 0);
}

static void
test_open_refused(void **state)
{
	struct hs_conn *c = *state;
	struct hs_buf *m;

	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_OPEN,
	    mk("suuu", "x11", 3, 1000, 500)), HS_OK);
	assert_int_equal(sent_type(0), HS_MSG_CHANNEL_OPEN_FAILURE);
	m = sent[0];
	assert_int_equal(get32(m), 3);
	assert_int_equal(get32(m), HS_OPEN_UNKNOWN_CHANNEL_TYPE);
	assert_int_equal(hs_conn_nchannels(c), 0);
	/* A max packet too small to carry anything is refused too. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_OPEN,
	    mk("suuu", "session", 4, 1000, 0)), HS_OK);
	assert_int_equal(sent_type(1), HS_MSG_CHANNEL_OPEN_FAILURE);
	assert_int_equal(hs_conn_nchannels(c), 0);
}

static void
test_table_full(void **state)
{
	struct hs_conn *c = *state;
	uint32_t i;

	for (i = 0; i < HS_CHAN_MAX; i++)
		(void)peer_open(c, i, 1000, 500);
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_OPEN,
	    mk("suuu", "session", 99, 1000, 500)), HS_OK);
	assert_int_equal(sent_type(nsent - 1), HS_MSG_CHANNEL_OPEN_FAILURE);
	assert_int_equal(get32(sent[nsent - 1]), 99);
	assert_int_equal(get32(sent[nsent - 1]), HS_OPEN_RESOURCE_SHORTAGE);
}

static void
test_data_window(void **state)
{
	struct hs_conn *c = *state;
	struct hs_channel *ch = peer_open(c, 1, 1000, 500);
	static uint8_t big[40000];
	size_t i;

	/* Nobody listens (no wfd): data is consumed at once, the window refilled at half. */
	for (i = 0; i < 32; i++)
		assert_int_equal(dispatch(c, HS_MSG_CHANNEL_DATA,
		    mk("ud", ch->local_id, big, (size_t)32768)), HS_OK);
	/* 32 x 32 KiB = 1 MiB consumed: exactly one WINDOW_ADJUST for it. */
	assert_int_equal(nsent, 2);
	assert_int_equal(sent_type(1), HS_MSG_CHANNEL_WINDOW_ADJUST);
	assert_int_equal(get32(sent[1]), 1);
	assert_int_equal(get32(sent[1]), 1024u * 1024);
	assert_int_equal(ch->local_window, 2u * 1024 * 1024);
	/* More than the max packet is a protocol error. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_DATA,
	    mk("ud", ch->local_id, big, (size_t)32769)), HS_ERR_PROTOCOL);
	/* Trailing bytes after DATA are a protocol error. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_DATA,
	    mk("udc", ch->local_id, big, (size_t)1, 0)), HS_ERR_PROTOCOL);
}

static void
test_data_beyond_window(void **state)
{
	struct hs_conn *c = *state;
	struct hs_channel *ch = peer_open(c, 1, 1000, 500);
	static uint8_t big[32768];
	int sv[2];
	size_t i;

	/* With a listener that never drains, the window runs out and the peer must stop. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(hs_chan_attach(ch, -1, sv[0], -1, false, false), HS_OK);
	for (i = 0; i < 64; i++)
		assert_int_equal(dispatch(c, HS_MSG_CHANNEL_DATA,
		    mk("ud", ch->local_id, big, sizeof(big))), HS_OK);
	assert_int_equal(ch->local_window, 0);
	assert_int_equal(hs_buf_len(ch->wbuf), 2u * 1024 * 1024);
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_DATA,
	    mk("ud", ch->local_id, big, (size_t)1)), HS_ERR_PROTOCOL);
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_EXTENDED_DATA,
	    mk("uud", ch->local_id, 1, big, (size_t)1)), HS_ERR_PROTOCOL);
	close(sv[1]);
}

static void
test_send_respects_peer_window(void **state)
{
	struct hs_conn *c = *state;
	struct hs_channel *ch = peer_open(c, 1, 1000, 600);
	uint8_t d[1000] = { 0 };

	assert_int_equal(hs_chan_send_room(ch), 600);
	assert_int_equal(hs_chan_send_data(ch, 0, d, 601), HS_ERR_INTERNAL);
	assert_int_equal(hs_chan_send_data(ch, 0, d, 600), HS_OK);
	assert_int_equal(hs_chan_send_room(ch), 400);
	assert_int_equal(hs_chan_send_data(ch, HS_EXTENDED_DATA_STDERR, d, 400), HS_OK);
	assert_int_equal(sent_type(nsent - 1), HS_MSG_CHANNEL_EXTENDED_DATA);
	assert_int_equal(hs_chan_send_room(ch), 0);
	assert_int_equal(hs_chan_send_data(ch, 0, d, 1), HS_ERR_INTERNAL);
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_WINDOW_ADJUST, mk("uu", ch->local_id, 50)),
	    HS_OK);
	assert_int_equal(hs_chan_send_room(ch), 50);
	/* The window may not pass 2^32 - 1. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_WINDOW_ADJUST,
	    mk("uu", ch->local_id, UINT32_MAX)), HS_ERR_PROTOCOL);
	/* After our EOF nothing more may be sent. */
	assert_int_equal(hs_chan_send_eof(ch), HS_OK);
	assert_int_equal(sent_type(nsent - 1), HS_MSG_CHANNEL_EOF);
	assert_int_equal(hs_chan_send_room(ch), 0);
}

static void
test_requests(void **state)
{
	struct hs_conn *c = *state;
	struct hs_channel *ch = peer_open(c, 9, 1000, 500);

	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_REQUEST,
	    mk("usbs", ch->local_id, "exec", 1, "true")), HS_OK);
	assert_int_equal(sent_type(nsent - 1), HS_MSG_CHANNEL_SUCCESS);
	assert_int_equal(get32(sent[nsent - 1]), 9);
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_REQUEST,
	    mk("usb", ch->local_id, "shell", 1)), HS_OK);
	assert_int_equal(sent_type(nsent - 1), HS_MSG_CHANNEL_FAILURE);
	/* No reply when none is wanted. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_REQUEST,
	    mk("usbs", ch->local_id, "exec", 0, "x")), HS_OK);
	assert_int_equal(nsent, 3);
	/* A malformed body is fatal. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_REQUEST,
	    mk("usbsc", ch->local_id, "exec", 1, "x", 0)), HS_ERR_PROTOCOL);
	assert_int_equal(n_requests, 4);
	/* Replies to requests we never made are protocol errors; ours go to ops->reply. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_SUCCESS, mk("u", ch->local_id)),
	    HS_ERR_PROTOCOL);
	assert_int_equal(hs_chan_request(ch, "exec", true, NULL), HS_OK);
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_FAILURE, mk("u", ch->local_id)), HS_OK);
	assert_int_equal(n_replies, 1);
	assert_false(last_reply);
}

static void
test_global_requests(void **state)
{
	struct hs_conn *c = *state;

	assert_int_equal(dispatch(c, HS_MSG_GLOBAL_REQUEST,
	    mk("sb", "keepalive@openssh.com", 1)), HS_OK);
	assert_int_equal(nsent, 1);
	assert_int_equal(sent_type(0), HS_MSG_REQUEST_FAILURE);
	assert_int_equal(hs_buf_len(sent[0]), 0);
	assert_int_equal(dispatch(c, HS_MSG_GLOBAL_REQUEST,
	    mk("sbs", "hostkeys-00@openssh.com", 1, "blob")), HS_OK);
	assert_int_equal(dispatch(c, HS_MSG_GLOBAL_REQUEST,
	    mk("sbsu", "tcpip-forward", 0, "0.0.0.0", 80)), HS_OK);
	assert_int_equal(nsent, 1);
	assert_int_equal(dispatch(c, HS_MSG_GLOBAL_REQUEST, mk("s", "x")), HS_ERR_PROTOCOL);
	/* Replies to our keepalives are just noted. */
	c->got_msg = false;
	assert_int_equal(dispatch(c, HS_MSG_REQUEST_FAILURE, mk("")), HS_OK);
	assert_true(c->got_msg);
}

static void
test_our_open(void **state)
{
	struct hs_conn *c = *state;
	struct hs_channel *ch;
	struct hs_buf *m;
	char *type;

	assert_int_equal(hs_chan_open(c, "session", &t_ops, NULL, &ch), HS_OK);
	assert_int_equal(sent_type(0), HS_MSG_CHANNEL_OPEN);
	m = sent[0];
	assert_int_equal(hs_buf_get_cstring(m, &type, NULL), HS_OK);
	assert_string_equal(type, "session");
	free(type);
	assert_int_equal(get32(m), ch->local_id);
	assert_int_equal(ch->state, HS_CHAN_OPENING);
	/* Data before the confirmation is a protocol error. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_DATA, mk("us", ch->local_id, "x")),
	    HS_ERR_PROTOCOL);
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_OPEN_CONFIRMATION,
	    mk("uuuu", ch->local_id, 42, 5000, 16384)), HS_OK);
	assert_int_equal(ch->state, HS_CHAN_OPEN);
	assert_int_equal(ch->remote_id, 42);
	assert_int_equal(hs_chan_send_room(ch), 5000);
	/* A second confirmation is refused. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_OPEN_CONFIRMATION,
	    mk("uuuu", ch->local_id, 42, 5000, 16384)), HS_ERR_PROTOCOL);
	/* A refused open frees the channel. */
	assert_int_equal(hs_chan_open(c, "session", &t_ops, NULL, &ch), HS_OK);
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_OPEN_FAILURE,
	    mk("uuss", ch->local_id, 1, "no", "")), HS_OK);
	assert_int_equal(hs_conn_nchannels(c), 1);
}

/* ---- fd pumping ---- */

static void
pump(struct hs_conn *c)
{
	struct pollfd pfd[16];
	size_t n = 0;

	hs_conn_pollfds(c, pfd, 16, &n);
	if (n > 0)
		assert_true(poll(pfd, n, 1000) >= 0);
	assert_int_equal(hs_conn_service(c, pfd, n), HS_OK);
}

static void
test_pump(void **state)
{
	struct hs_conn *c = *state;
	struct hs_channel *ch = peer_open(c, 5, 10, 500);
	int out[2], err[2], in[2];
	char buf[64];
	const uint8_t *p;
	size_t len;

	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(hs_chan_attach(ch, out[0], in[1], err[0], false, false), HS_OK);
	assert_int_equal(write(out[1], "hello world, more than ten", 26), 26);
	pump(c);
	/* Only the peer's window (10 bytes) goes out. */
	assert_int_equal(sent_type(nsent - 1), HS_MSG_CHANNEL_DATA);
	assert_int_equal(get32(sent[nsent - 1]), 5);
	assert_int_equal(hs_buf_get_string(sent[nsent - 1], &p, &len), HS_OK);
	assert_int_equal(len, 10);
	assert_memory_equal(p, "hello worl", 10);
	assert_int_equal(ch->remote_window, 0);
	/* Window closed: the source is not even polled. */
	{
		struct pollfd pfd[16];
		size_t n = 0;

		hs_conn_pollfds(c, pfd, 16, &n);
		assert_int_equal(n, 0);
	}
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_WINDOW_ADJUST, mk("uu", ch->local_id, 100)),
	    HS_OK);
	pump(c);
	assert_int_equal(sent_type(nsent - 1), HS_MSG_CHANNEL_DATA);
	assert_int_equal(get32(sent[nsent - 1]), 5);
	assert_int_equal(hs_buf_get_string(sent[nsent - 1], &p, &len), HS_OK);
	assert_int_equal(len, 16);
	/* stderr becomes EXTENDED_DATA type 1. */
	assert_int_equal(write(err[1], "oops", 4), 4);
	pump(c);
	assert_int_equal(sent_type(nsent - 1), HS_MSG_CHANNEL_EXTENDED_DATA);
	assert_int_equal(get32(sent[nsent - 1]), 5);
	assert_int_equal(get32(sent[nsent - 1]), HS_EXTENDED_DATA_STDERR);
	/* DATA from the peer reaches wfd. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_DATA, mk("us", ch->local_id, "input")), HS_OK);
	pump(c);
	assert_int_equal(read(in[0], buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "input", 5);
	/* The peer's EOF closes the child's stdin once drained. */
	assert_int_equal(dispatch(c, HS_MSG_CHANNEL_EOF, mk("u", ch->local_id)), HS_OK);
	pump(c);
	assert_int_equal(ch->wfd, -1);
	assert_int_equal(read(in[0], buf, sizeof(buf)), 0);
	/* EOF is sent only when both stdout and stderr are closed. */
	close(out[1]);
	pump(c);
	pump(c);
	assert_int_equal(ch->rfd, -1);
	assert_false(ch->flags & HS_CHAN_EOF_SENT);
	close(err[1]);
	pump(c);
	assert_true(ch->flags & HS_CHAN_EOF_SENT);
	assert_int_equal(sent_type(nsent - 1), HS_MSG_CHANNEL_EOF);
	close(in[0]);
}

/* ---- request parser ---- */

struct req_case {
	const char *type;
	enum hs_chanreq_type want;
	struct hs_buf *(*build)(void);
};

static struct hs_buf *
b_pty(void)
{
	static const uint8_t modes[] = { 53, 0, 0, 0, 1, 128, 0, 0, 0x96, 0, 0 };

	return mk("suuuud", "xterm", 80, 24, 640, 480, modes, sizeof(modes));
}

static struct hs_buf *b_env(void) { return mk("ss", "LANG", "C.UTF-8"); }
static struct hs_buf *b_exec(void) { return mk("s", "echo hi"); }
static struct hs_buf *b_winch(void) { return mk("uuuu", 100, 50, 0, 0); }
static struct hs_buf *b_signal(void) { return mk("s", "TERM"); }
static struct hs_buf *b_status(void) { return mk("u", 7); }
static struct hs_buf *b_xsig(void) { return mk("sbss", "KILL", 1, "", ""); }

static const struct req_case req_cases[] = {
	{ "pty-req", HS_REQ_PTY, b_pty },
	{ "env", HS_REQ_ENV, b_env },
	{ "exec", HS_REQ_EXEC, b_exec },
	{ "subsystem", HS_REQ_SUBSYSTEM, b_exec },
	{ "window-change", HS_REQ_WINDOW_CHANGE, b_winch },
	{ "signal", HS_REQ_SIGNAL, b_signal },
	{ "exit-status", HS_REQ_EXIT_STATUS, b_status },
	{ "exit-signal", HS_REQ_EXIT_SIGNAL, b_xsig },
};

static void
test_chanreq_valid(void **state)
{
	struct hs_chanreq q;
	struct hs_buf *b;

	b = b_pty();
	assert_int_equal(hs_chanreq_parse("pty-req", b, &q), HS_OK);
	assert_int_equal(q.type, HS_REQ_PTY);
	assert_string_equal(q.term, "xterm");
	assert_int_equal(q.cols, 80);
	assert_int_equal(q.rows, 24);
	assert_int_equal(q.height_px, 480);
	assert_int_equal(q.modes_len, 11);
	hs_chanreq_free(&q);
	hs_buf_free(b);
	b = b_env();
	assert_int_equal(hs_chanreq_parse("env", b, &q), HS_OK);
	assert_string_equal(q.name, "LANG");
	assert_string_equal(q.value, "C.UTF-8");
	hs_chanreq_free(&q);
	hs_buf_free(b);
	b = b_xsig();
	assert_int_equal(hs_chanreq_parse("exit-signal", b, &q), HS_OK);
	assert_string_equal(q.signame, "KILL");
	assert_true(q.core_dumped);
	hs_chanreq_free(&q);
	hs_buf_free(b);
	b = b_status();
	assert_int_equal(hs_chanreq_parse("exit-status", b, &q), HS_OK);
	assert_int_equal(q.exit_status, 7);
	hs_chanreq_free(&q);
	hs_buf_free(b);
	/* shell has no body; unknown types leave the buffer alone. */
	b = mk("");
	assert_int_equal(hs_chanreq_parse("shell", b, &q), HS_OK);
	assert_int_equal(q.type, HS_REQ_SHELL);
	hs_buf_free(b);
	b = mk("u", 1);
	assert_int_equal(hs_chanreq_parse("x11-req", b, &q), HS_OK);
	assert_int_equal(q.type, HS_REQ_UNKNOWN);
	assert_int_equal(hs_buf_len(b), 4);
	hs_buf_free(b);
}

/* Every request: each truncation fails, a trailing byte fails, the full body parses. */
static void
test_chanreq_truncation(void **state)
{
	struct hs_chanreq q;
	struct hs_buf *full, *v, *t;
	size_t i, k, len;

	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		full = req_cases[i].build();
		len = hs_buf_len(full);
		for (k = 0; k < len; k++) {
			assert_int_equal(hs_buf_from(hs_buf_ptr(full), k, &v), HS_OK);
			assert_int_not_equal(hs_chanreq_parse(req_cases[i].type, v, &q), HS_OK);
			assert_null(q.term);
			hs_buf_free(v);
		}
		assert_int_equal(hs_buf_dup(full, &t), HS_OK);
		assert_int_equal(hs_buf_put_u8(t, 0), HS_OK);
		assert_int_equal(hs_chanreq_parse(req_cases[i].type, t, &q), HS_ERR_TRAILING);
		hs_buf_free(t);
		assert_int_equal(hs_chanreq_parse(req_cases[i].type, full, &q), HS_OK);
		assert_int_equal(q.type, req_cases[i].want);
		hs_chanreq_free(&q);
		hs_buf_free(full);
	}
}

/* Every single-bit flip either parses or fails cleanly (ASan watches); a flip in the top byte
 * of the first length field always fails (the length passes the end of the message). */
static void
test_chanreq_bitflip(void **state)
{
	struct hs_chanreq q;
	struct hs_buf *full, *v;
	uint8_t tmp[512];
	size_t i, k, len;
	int bit, failed;

	for (i = 0; i < sizeof(req_cases) / sizeof(req_cases[0]); i++) {
		full = req_cases[i].build();
		len = hs_buf_len(full);
		assert_true(len <= sizeof(tmp));
		failed = 0;
		for (k = 0; k < len; k++) {
			for (bit = 0; bit < 8; bit++) {
				memcpy(tmp, hs_buf_ptr(full), len);
				tmp[k] ^= (uint8_t)(1u << bit);
				assert_int_equal(hs_buf_from(tmp, len, &v), HS_OK);
				if (hs_chanreq_parse(req_cases[i].type, v, &q) == HS_OK)
					hs_chanreq_free(&q);
				else
					failed++;
				hs_buf_free(v);
			}
		}
		/* Bits of the first field's top byte (a length or a large number). */
		memcpy(tmp, hs_buf_ptr(full), len);
		tmp[0] ^= 0x80;
		assert_int_equal(hs_buf_from(tmp, len, &v), HS_OK);
		/* Only bodies with strings can be broken by a flip; plain numbers always parse. */
		if (req_cases[i].want != HS_REQ_EXIT_STATUS &&
		    req_cases[i].want != HS_REQ_WINDOW_CHANGE) {
			assert_int_not_equal(hs_chanreq_parse(req_cases[i].type, v, &q), HS_OK);
			assert_true(failed > 0);
		} else {
			assert_int_equal(failed, 0);
		}
		hs_buf_free(v);
		hs_buf_free(full);
	}
}

static void
test_chanreq_oversize(void **state)
{
	struct hs_chanreq q;
	struct hs_buf *b;
	char term[300];

	/* A string length beyond the message. */
	b = mk("uuuuu", 0xffffffffu, 80, 24, 0, 0);
	assert_int_not_equal(hs_chanreq_parse("pty-req", b, &q), HS_OK);
	hs_buf_free(b);
	b = mk("u", 0x7fffffffu);
	assert_int_not_equal(hs_chanreq_parse("exec", b, &q), HS_OK);
	hs_buf_free(b);
	/* A $TERM longer than any terminal name. */
	memset(term, 'x', sizeof(term) - 1);
	term[sizeof(term) - 1] = '\0';
	b = mk("suuuus", term, 80, 24, 0, 0, "");
	assert_int_equal(hs_chanreq_parse("pty-req", b, &q), HS_ERR_TOO_LARGE);
	hs_buf_free(b);
	/* An embedded NUL in a command is refused. */
	b = mk("d", "a\0b", (size_t)3);
	assert_int_equal(hs_chanreq_parse("exec", b, &q), HS_ERR_FORMAT);
	hs_buf_free(b);
}

static void
test_signal_names(void **state)
{
	assert_int_equal(hs_signal_from_name("TERM"), SIGTERM);
	assert_int_equal(hs_signal_from_name("SIGTERM"), 0);
	assert_int_equal(hs_signal_from_name("BOGUS"), 0);
	assert_string_equal(hs_signal_name(SIGSEGV), "SEGV");
	assert_string_equal(hs_signal_name(SIGUSR2), "USR2");
	assert_null(hs_signal_name(SIGWINCH));
}

/* ---- terminal modes ---- */

static void
test_ttymodes_roundtrip(void **state)
{
	struct termios a, b;
	struct hs_buf *enc;

	memset(&a, 0, sizeof(a));
	a.c_lflag = ECHO | ICANON | ISIG;
	a.c_iflag = ICRNL;
	a.c_oflag = OPOST | ONLCR;
	a.c_cflag = CS8;
	a.c_cc[VINTR] = 3;
	a.c_cc[VEOF] = 4;
	a.c_cc[VERASE] = 127;
	a.c_cc[VQUIT] = _POSIX_VDISABLE;
	/* glibc keeps a single speed in c_cflag, so both directions share it. */
	cfsetispeed(&a, B38400);
	cfsetospeed(&a, B38400);
	assert_int_equal(hs_buf_new(4096, &enc), HS_OK);
	assert_int_equal(hs_ttymodes_encode(&a, enc), HS_OK);
	/* 5 bytes per opcode, the two speeds, then TTY_OP_END. */
	assert_int_equal(hs_buf_len(enc) % 5, 1);
	assert_int_equal(hs_buf_ptr(enc)[hs_buf_len(enc) - 1], 0);
	memset(&b, 0xff, sizeof(b));
	b.c_cflag = CS5;
	assert_int_equal(hs_ttymodes_decode(hs_buf_ptr(enc), hs_buf_len(enc), &b), HS_OK);
	assert_int_equal(b.c_lflag & (ECHO | ICANON | ISIG | IEXTEN), ECHO | ICANON | ISIG);
	assert_int_equal(b.c_iflag & (ICRNL | IXON), ICRNL);
	assert_int_equal(b.c_oflag & (OPOST | ONLCR | OCRNL), OPOST | ONLCR);
	assert_int_equal(b.c_cflag & CSIZE, CS8);
	assert_int_equal(b.c_cc[VINTR], 3);
	assert_int_equal(b.c_cc[VEOF], 4);
	assert_int_equal(b.c_cc[VERASE], 127);
	assert_int_equal(b.c_cc[VQUIT], _POSIX_VDISABLE);
	assert_int_equal(cfgetispeed(&b), B38400);
	assert_int_equal(cfgetospeed(&b), B38400);
	hs_buf_free(enc);
}

static void
test_ttymodes_decode_edges(void **state)
{
	struct termios t;
	/* ECHO=0, an unknown opcode 20 (skipped), ICANON=1, then opcode 200 stops parsing. */
	static const uint8_t m1[] = { 53, 0, 0, 0, 0, 20, 0, 0, 0, 9, 51, 0, 0, 0, 1, 200, 50, 0 };
	/* VINTR = 255 means disabled. */
	static const uint8_t m2[] = { 1, 0, 0, 0, 255, 0 };
	static const uint8_t m3[] = { 53, 0, 0, 0 };

	memset(&t, 0, sizeof(t));
	t.c_lflag = ECHO;
	assert_int_equal(hs_ttymodes_decode(m1, sizeof(m1), &t), HS_OK);
	assert_int_equal(t.c_lflag, ICANON);
	t.c_cc[VINTR] = 3;
	assert_int_equal(hs_ttymodes_decode(m2, sizeof(m2), &t), HS_OK);
	assert_int_equal(t.c_cc[VINTR], _POSIX_VDISABLE);
	/* An argument cut short. */
	assert_int_equal(hs_ttymodes_decode(m3, sizeof(m3), &t), HS_ERR_TRUNCATED);
	assert_int_equal(hs_ttymodes_decode(NULL, 0, &t), HS_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_and_close, setup, teardown),
		cmocka_unit_test_setup_teardown(test_close_needs_both_directions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_table_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_beyond_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_send_respects_peer_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_global_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_our_open, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pump, setup, teardown),
		cmocka_unit_test(test_chanreq_valid),
		cmocka_unit_test(test_chanreq_truncation),
		cmocka_unit_test(test_chanreq_bitflip),
		cmocka_unit_test(test_chanreq_oversize),
		cmocka_unit_test(test_signal_names),
		cmocka_unit_test(test_ttymodes_roundtrip),
		cmocka_unit_test(test_ttymodes_decode_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
