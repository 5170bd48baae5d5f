/* monitor_exit.c: exit events, the monitor's report that a program it started for the post-auth
 * process has ended (hs_monitor.h). They travel on their own pipe so that the post-auth process
 * can poll for them beside the transport and never mistakes one for a reply. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hs_buf.h"
#include "hs_log.h"
#include "hs_monitor.h"

/* ---- exit events: int32 pid || int32 wait status on a pipe ---- */

/* A write to a pipe whose reader is gone raises SIGPIPE; the monitor must get EPIPE instead.
 * Block the signal around the write and consume it if this write raised it (POSIX: a
 * synchronous SIGPIPE goes to the writing thread, so it is pending here, not elsewhere). */
static ssize_t
write_nosigpipe(int fd, const void *p, size_t n)
{
	sigset_t pipe_set, old, pend;
	struct timespec zero = { 0, 0 };
	bool was_pending;
	ssize_t k;
	int saved;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	sigpending(&pend);
	was_pending = sigismember(&pend, SIGPIPE) == 1;
	do
		k = write(fd, p, n);
	while (k < 0 && errno == EINTR);
	saved = errno;
	if (k < 0 && saved == EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return k;
}

hs_err
hs_mon_exit_write(int fd, int32_t pid, int32_t wstatus)
{
	struct hs_buf *b = NULL;
	ssize_t k;
	hs_err r;

	HS_ENSURE(pid > 0, HS_ERR_INTERNAL);
	HS_GUARD_GOTO(hs_buf_new(8, &b), r, out);
	HS_GUARD_GOTO(hs_buf_put_u32(b, (uint32_t)pid), r, out);
	HS_GUARD_GOTO(hs_buf_put_u32(b, (uint32_t)wstatus), r, out);
	k = write_nosigpipe(fd, hs_buf_ptr(b), hs_buf_len(b));
	if (k == (ssize_t)hs_buf_len(b))
		r = HS_OK;
	else if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		r = HS_ERR_AGAIN;
	else if (k < 0 && errno == EPIPE)
		r = HS_ERR_EOF;
	else {
		hs_error("monitor: exit event write: %s", k < 0 ? strerror(errno) : "short write");
		r = HS_ERR_IO;
	}
out:
	hs_buf_free(b);
	return r;
}

hs_err
hs_mon_exit_read(int fd, int32_t *pid, int32_t *wstatus)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint8_t rec[8];
	struct hs_buf *b = NULL;
	uint32_t v_pid, v_st;
	ssize_t k;
	int n;
	hs_err r;

	*pid = 0;
	*wstatus = 0;
	/* Poll first, so that a blocking pipe does not block us either. */
	do
		n = poll(&p, 1, 0);
	while (n < 0 && errno == EINTR);
	HS_ENSURE(n >= 0, HS_ERR_IO);
	if (n == 0)
		return HS_ERR_AGAIN;
	do
		k = read(fd, rec, sizeof(rec));
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? HS_ERR_AGAIN : HS_ERR_IO;
	if (k == 0)
		return HS_ERR_EOF;
	/* Whole records are written atomically, so a short one means a broken writer. */
	HS_ENSURE(k == (ssize_t)sizeof(rec), HS_ERR_FORMAT);
	HS_GUARD_GOTO(hs_buf_from(rec, sizeof(rec), &b), r, out);
	HS_GUARD_GOTO(hs_buf_get_u32(b, &v_pid), r, out);
	HS_GUARD_GOTO(hs_buf_get_u32(b, &v_st), r, out);
	HS_ENSURE_GOTO(v_pid >= 1 && v_pid <= INT32_MAX, HS_ERR_FORMAT, r, out);
	*pid = (int32_t)v_pid;
	*wstatus = (int32_t)v_st;
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}
