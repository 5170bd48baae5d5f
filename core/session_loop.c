/* session_loop.c: the connection's event loop, shared by server and client sessions. One poll()
 * covers the transport, a signal self-pipe, an optional extra fd (the session spawner's events) and
 * every channel fd; nothing busy-waits. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_ssh.h"
#include "session_impl.h"

#define LOOP_PFD_MAX	(4 + 3 * HS_CHAN_MAX)
#define NSIG_SAVED	8

static int sig_wfd = -1;
static struct {
	int sig;
	struct sigaction old;
} saved[NSIG_SAVED];
static size_t nsaved;

static void
sig_to_pipe(int sig)
{
	int save = errno;
	uint8_t b = (uint8_t)sig;

	if (sig_wfd >= 0)
		(void)!write(sig_wfd, &b, 1);
	errno = save;
}

time_t
hs_loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static hs_err
loop_send(void *arg, const struct hs_buf *payload)
{
	return hs_transport_send(arg, payload);
}

hs_err
hs_loop_init(struct hs_loop *l, struct hs_transport *t)
{
	int p[2];

	memset(l, 0, sizeof(*l));
	l->t = t;
	l->sig_r = -1;
	l->ext_fd = -1;
	hs_conn_init(&l->conn, loop_send, t);
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) {
		hs_error("pipe: %s", strerror(errno));
		return HS_ERR_IO;
	}
	l->sig_r = p[0];
	sig_wfd = p[1];
	return HS_OK;
}

hs_err
hs_loop_catch(struct hs_loop *l, const int *sigs, size_t n)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sig_to_pipe;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < n && nsaved < NSIG_SAVED; i++) {
		saved[nsaved].sig = sigs[i];
		if (sigaction(sigs[i], &sa, &saved[nsaved].old) != 0)
			return HS_ERR_INTERNAL;
		nsaved++;
	}
	return HS_OK;
}

void
hs_loop_cleanup(struct hs_loop *l)
{
	hs_conn_cleanup(&l->conn);
	while (nsaved > 0) {
		nsaved--;
		(void)sigaction(saved[nsaved].sig, &saved[nsaved].old, NULL);
	}
	if (l->sig_r >= 0)
		(void)close(l->sig_r);
	if (sig_wfd >= 0)
		(void)close(sig_wfd);
	l->sig_r = sig_wfd = -1;
}

static hs_err
send_keepalive(struct hs_loop *l)
{
	struct hs_buf *m = NULL;
	hs_err r;

	/* RFC 4254 4: a global request the peer does not know still gets REQUEST_FAILURE. */
	HS_GUARD(hs_buf_new(64, &m));
	HS_GUARD_GOTO(hs_buf_put_u8(m, HS_MSG_GLOBAL_REQUEST), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(m, "keepalive@openssh.com"), r, out);
	HS_GUARD_GOTO(hs_buf_put_bool(m, true), r, out);
	r = hs_transport_send(l->t, m);
out:
	hs_buf_free(m);
	return r;
}

/* ClientAlive/ServerAlive: the poll timeout in ms, or -1; HS_ERR_TIMEOUT once too many probes went
 * unanswered. */
static hs_err
loop_alive(struct hs_loop *l, int *timeout_ms)
{
	time_t now = hs_loop_now();

	*timeout_ms = -1;
	if (l->alive_interval == 0)
		return HS_OK;
	if (l->conn.got_msg || l->alive_next == 0) {
		l->conn.got_msg = false;
		l->alive_missed = 0;
		l->alive_next = now + l->alive_interval;
	}
	if (now >= l->alive_next) {
		if (l->alive_count_max > 0 && l->alive_missed >= l->alive_count_max) {
			if (l->server)
				hs_info("Timeout, client not responding from %s", l->alive_peer);
			else if (l->alive_peer != NULL)
				hs_error("Timeout, server %s not responding.", l->alive_peer);
			else
				hs_error("Timeout, server not responding.");
			return HS_ERR_TIMEOUT;
		}
		HS_GUARD(send_keepalive(l));
		l->alive_missed++;
		l->alive_next = now + l->alive_interval;
	}
	*timeout_ms = (int)(l->alive_next - now) * 1000;
	return HS_OK;
}

static hs_err
loop_drain_signals(struct hs_loop *l)
{
	uint8_t sigs[32];
	ssize_t n, i;

	while ((n = read(l->sig_r, sigs, sizeof(sigs))) > 0)
		for (i = 0; i < n; i++)
			if (l->on_signal != NULL)
				HS_GUARD(l->on_signal(l->arg, sigs[i]));
	return HS_OK;
}

/* Read from the transport and dispatch every complete message. */
static hs_err
loop_messages(struct hs_loop *l, bool readable)
{
	struct hs_buf *msg;
	uint8_t type;
	hs_err r, rr = HS_OK;

	/* On EOF still dispatch what arrived before it (data, exit-status, CLOSE). */
	if (readable && (rr = hs_transport_read(l->t)) == HS_ERR_AGAIN)
		rr = HS_OK;
	for (;;) {
		msg = NULL;
		r = hs_transport_next(l->t, &type, &msg);
		if (r == HS_ERR_AGAIN)
			return rr;
		if (r != HS_OK)
			return r;
		r = hs_conn_dispatch(&l->conn, type, msg);
		hs_buf_free(msg);
		if (r != HS_OK)
			return r;
	}
}

static int
min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* One poll and the work it makes possible. */
static hs_err
loop_once(struct hs_loop *l)
{
	struct pollfd pfd[LOOP_PFD_MAX];
	size_t n = 0;
	int timeout, ta, out_idx = -1, ext_idx = -1;
	short rev;

	HS_GUARD(loop_alive(l, &ta));
	timeout = min_timeout(ta, hs_transport_timeout_ms(l->t));
	pfd[n++] = (struct pollfd){ .fd = hs_transport_fd_in(l->t), .events = POLLIN };
	pfd[n++] = (struct pollfd){ .fd = l->sig_r, .events = POLLIN };
	if (hs_transport_want_write(l->t)) {
		out_idx = (int)n;
		pfd[n++] = (struct pollfd){ .fd = hs_transport_fd_out(l->t), .events = POLLOUT };
	}
	if (l->ext_fd >= 0 && l->on_ext != NULL) {
		ext_idx = (int)n;
		pfd[n++] = (struct pollfd){ .fd = l->ext_fd, .events = POLLIN };
	}
	hs_conn_pollfds(&l->conn, pfd, LOOP_PFD_MAX, &n);
	if (poll(pfd, n, timeout) < 0) {
		if (errno == EINTR)
			return HS_OK;
		hs_error("poll: %s", strerror(errno));
		return HS_ERR_IO;
	}
	if (pfd[1].revents & POLLIN)
		HS_GUARD(loop_drain_signals(l));
	if (ext_idx >= 0 && pfd[ext_idx].revents != 0)
		HS_GUARD(l->on_ext(l->arg, pfd[ext_idx].revents));
	rev = pfd[0].revents;
	HS_GUARD(loop_messages(l, (rev & (POLLIN | POLLHUP | POLLERR)) != 0));
	HS_GUARD(hs_conn_service(&l->conn, pfd, n));
	if (out_idx >= 0 || hs_transport_want_write(l->t)) {
		hs_err r = hs_transport_write(l->t);

		if (r != HS_OK && r != HS_ERR_AGAIN)
			return r;
	}
	return HS_OK;
}

hs_err
hs_loop_run(struct hs_loop *l)
{
	bool done = false;
	hs_err r;

	for (;;) {
		hs_conn_gc(&l->conn);
		if (l->tick != NULL)
			HS_GUARD_GOTO(l->tick(l->arg, &done), r, out);
		if (done)
			break;
		HS_GUARD_GOTO(loop_once(l), r, out);
	}
	/* Let what we queued reach the peer. */
	return hs_transport_flush(l->t, 5000);
out:
	if (r == HS_ERR_PROTOCOL)
		hs_transport_disconnect(l->t, HS_DISC_PROTOCOL_ERROR, "protocol error");
	else if (r == HS_ERR_TIMEOUT)
		hs_transport_disconnect(l->t, HS_DISC_BY_APPLICATION, "keepalive timeout");
	return r;
}
