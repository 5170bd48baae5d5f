/* transport_loop.c: the blocking forms (handshake, wait, flush) built on the non-blocking calls
 * with poll(2) and a monotonic deadline. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include "hs_log.h"
#include "hs_ssh.h"
#include "hs_time.h"
#include "kex_impl.h"
#include "transport_impl.h"

/* Milliseconds left until deadline (0 = none: -1), at least 0. */
static int
left_ms(int64_t deadline)
{
	int64_t l;

	if (deadline == 0)
		return -1;
	l = deadline - hs_time_ms();
	return l < 0 ? 0 : (l > 1000000 ? 1000000 : (int)l);
}

/* Wait for input (and output room when something is queued). HS_ERR_TIMEOUT at the deadline. */
static hs_err
loop_poll(struct hs_transport *t, int64_t deadline, bool want_read)
{
	struct pollfd p[2];
	nfds_t n = 0;
	int ms = left_ms(deadline), rk = hs_transport_timeout_ms(t), rc;

	if (rk >= 0 && (ms < 0 || rk < ms))
		ms = rk;
	if (want_read)
		p[n++] = (struct pollfd){ .fd = t->fd_in, .events = POLLIN };
	if (hs_transport_want_write(t)) {
		if (n > 0 && t->fd_out == t->fd_in)
			p[0].events |= POLLOUT;
		else
			p[n++] = (struct pollfd){ .fd = t->fd_out, .events = POLLOUT };
	}
	if (deadline != 0 && left_ms(deadline) == 0)
		return HS_ERR_TIMEOUT;
	rc = poll(p, n, ms);
	if (rc < 0 && errno != EINTR) {
		hs_error("poll: %s", strerror(errno));
		return HS_ERR_IO;
	}
	return HS_OK;
}

static int64_t
deadline_of(int timeout_ms)
{
	return timeout_ms > 0 ? hs_time_ms() + timeout_ms : 0;
}

static hs_err
loop_io(struct hs_transport *t)
{
	hs_err r = hs_transport_write(t);

	if (r != HS_OK && r != HS_ERR_AGAIN)
		return r;
	r = hs_transport_read(t);
	return r == HS_ERR_AGAIN ? HS_OK : r;
}

/* One round of the handshake: the banner, then packets until the first KEX is done. */
static hs_err
handshake_step(struct hs_transport *t)
{
	uint8_t type;
	struct hs_buf *m = NULL;
	hs_err r;

	if (!t->version_done) {
		HS_GUARD(hs_version_recv(t));
		return hs_kex_start(t);
	}
	while (t->kex_count == 0) {
		r = hs_transport_step(t, &type, &m);
		hs_buf_free(m);	/* an upper-layer message here has already failed the step */
		m = NULL;
		HS_GUARD(r);
	}
	return HS_OK;
}

hs_err
hs_transport_handshake(struct hs_transport *t, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	hs_err r;

	HS_GUARD(hs_version_send(t));
	while (t->kex_count == 0) {
		r = handshake_step(t);
		if (r == HS_OK)
			continue;
		if (r != HS_ERR_AGAIN)
			goto fail;
		if ((r = loop_poll(t, deadline, true)) != HS_OK)
			goto fail;
		if ((r = loop_io(t)) != HS_OK)
			goto fail;
	}
	return hs_transport_flush(t, timeout_ms > 0 ? left_ms(deadline) + 1 : 0);
fail:
	if (r == HS_ERR_TIMEOUT) {
		hs_error("Connection timed out during %s with %s",
		    t->version_done ? "key exchange" : "banner exchange", t->peer);
		(void)hs_transport_fail(t, r, HS_DISC_PROTOCOL_ERROR, "handshake timed out");
	} else if (r == HS_ERR_EOF) {
		hs_error("Connection closed by %s during the %s", t->peer,
		    t->version_done ? "key exchange" : "banner exchange");
	}
	/* A bad banner leaves "Protocol mismatch." queued for a server; send it best-effort. */
	if (hs_transport_write(t) != HS_OK)
		hs_debug3("output to %s not flushed", t->peer);
	if (t->dead == HS_OK)
		t->dead = r;
	return r;
}

hs_err
hs_transport_wait(struct hs_transport *t, int timeout_ms, uint8_t *type, struct hs_buf **msg)
{
	int64_t deadline = deadline_of(timeout_ms);
	hs_err r;

	for (;;) {
		r = hs_transport_next(t, type, msg);
		if (r != HS_ERR_AGAIN)
			return r;
		HS_GUARD(hs_kex_check_rekey(t));
		HS_GUARD(loop_poll(t, deadline, true));
		HS_GUARD(loop_io(t));
	}
}

/* Messages held behind a running rekey count as queued: a flush must finish the key exchange to
 * send them (e.g. a server's last CHANNEL_CLOSE before it exits). */
static bool
flush_held(const struct hs_transport *t)
{
	return hs_buf_len(t->held) > 0 && t->kex_count > 0 && t->dead == HS_OK && !t->disc_sent;
}

/* Process what has arrived; upper-layer messages are stashed for hs_transport_next(). */
static hs_err
flush_progress(struct hs_transport *t)
{
	hs_err r;
	uint8_t type;
	struct hs_buf *m = NULL;

	while ((r = hs_transport_step(t, &type, &m)) == HS_OK) {
		if (m != NULL)
			r = hs_transport_stash(t, type, m);
		hs_buf_free(m);
		m = NULL;
		HS_GUARD(r);
	}
	return r == HS_ERR_AGAIN ? HS_OK : r;
}

hs_err
hs_transport_flush(struct hs_transport *t, int timeout_ms)
{
	int64_t deadline = deadline_of(timeout_ms);
	hs_err r;

	for (;;) {
		r = hs_transport_write(t);
		if (r != HS_OK && r != HS_ERR_AGAIN)
			return r;
		if (!flush_held(t)) {
			if (r == HS_OK)
				return HS_OK;
		} else {
			HS_GUARD(flush_progress(t));
			if (!flush_held(t))
				continue;
		}
		HS_GUARD(loop_poll(t, deadline, flush_held(t)));
		if (flush_held(t) && (r = hs_transport_read(t)) != HS_OK && r != HS_ERR_AGAIN)
			return r;
	}
}

int
hs_transport_timeout_ms(const struct hs_transport *t)
{
	struct timespec ts;
	int64_t due;

	/* Nothing is due while hs_kex_check_rekey() would decline (no busy polling). */
	if (t->cfg.rekey_seconds == 0 || t->kex_count == 0 || t->kex_state != HS_KEXS_IDLE ||
	    !t->authenticated || t->hold_rekey || (t->out.packets == 0 && t->in.packets == 0))
		return -1;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	due = ((int64_t)t->last_kex_time + t->cfg.rekey_seconds - ts.tv_sec) * 1000;
	return due < 0 ? 0 : (due > 1000000 ? 1000000 : (int)due);
}
