/* channel_io.c: moving bytes between a channel and its local fds, within the flow-control windows
 * (RFC 4254 5.2). A source fd is read only while the peer's window is open, and the peer cannot send
 * more than our window, so nothing is buffered without bound. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hs_channel.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "hs_ssh.h"

enum { IDX_R = 0, IDX_W = 1, IDX_E = 2 };

static hs_err
set_nonblock(int fd)
{
	int fl;

	if (fd < 0)
		return HS_OK;
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		hs_error("fcntl O_NONBLOCK on fd %d: %s", fd, strerror(errno));
		return HS_ERR_IO;
	}
	return HS_OK;
}

hs_err
hs_chan_attach(struct hs_channel *ch, int rfd, int wfd, int efd, bool efd_write, bool no_close)
{
	HS_GUARD(set_nonblock(rfd));
	HS_GUARD(set_nonblock(wfd));
	HS_GUARD(set_nonblock(efd));
	ch->rfd = rfd;
	ch->wfd = wfd;
	ch->efd = efd;
	ch->efd_write = efd_write;
	ch->no_close = no_close;
	ch->attached = true;
	return HS_OK;
}

static void
add_pfd(struct pollfd *pfd, size_t cap, size_t *n, int fd, short ev, int *idx)
{
	if (*n >= cap)
		return;
	pfd[*n].fd = fd;
	pfd[*n].events = ev;
	pfd[*n].revents = 0;
	*idx = (int)(*n)++;
}

void
hs_conn_pollfds(struct hs_conn *c, struct pollfd *pfd, size_t cap, size_t *n)
{
	struct hs_channel *ch;
	bool room;
	size_t i;

	for (i = 0; i < HS_CHAN_MAX; i++) {
		ch = &c->ch[i];
		ch->pfd_idx[IDX_R] = ch->pfd_idx[IDX_W] = ch->pfd_idx[IDX_E] = -1;
		if (ch->state != HS_CHAN_OPEN)
			continue;
		/* Stop reading a source while the peer's window is closed. */
		room = hs_chan_send_room(ch) > 0;
		if (ch->rfd >= 0 && room)
			add_pfd(pfd, cap, n, ch->rfd, POLLIN, &ch->pfd_idx[IDX_R]);
		if (ch->wfd >= 0 && hs_buf_len(ch->wbuf) > 0) {
			if (ch->wfd == ch->rfd && ch->pfd_idx[IDX_R] >= 0) {
				pfd[ch->pfd_idx[IDX_R]].events |= POLLOUT;
				ch->pfd_idx[IDX_W] = ch->pfd_idx[IDX_R];
			} else {
				add_pfd(pfd, cap, n, ch->wfd, POLLOUT, &ch->pfd_idx[IDX_W]);
			}
		}
		if (ch->efd >= 0 && ch->efd_write && hs_buf_len(ch->ebuf) > 0)
			add_pfd(pfd, cap, n, ch->efd, POLLOUT, &ch->pfd_idx[IDX_E]);
		else if (ch->efd >= 0 && !ch->efd_write && room)
			add_pfd(pfd, cap, n, ch->efd, POLLIN, &ch->pfd_idx[IDX_E]);
	}
}

/* Close a local fd of the channel, keeping a shared pty fd consistent. */
static void
chan_drop_fd(struct hs_channel *ch, int *fdp)
{
	int fd = *fdp;

	if (fd < 0)
		return;
	if (!ch->no_close)
		(void)close(fd);
	if (ch->rfd == fd)
		ch->rfd = -1;
	if (ch->wfd == fd)
		ch->wfd = -1;
	if (ch->efd == fd)
		ch->efd = -1;
	*fdp = -1;
}

/* Data waiting for an fd that is gone still counts as consumed, or the peer would stall. */
static hs_err
chan_discard(struct hs_channel *ch, struct hs_buf *b)
{
	size_t n = hs_buf_len(b);

	hs_buf_reset(b);
	return hs_chan_consumed(ch, n);
}

static hs_err
chan_read(struct hs_channel *ch, int *fdp, uint32_t ext)
{
	uint8_t buf[HS_CHAN_PACKET_DEFAULT];
	size_t room = hs_chan_send_room(ch);
	ssize_t n;
	hs_err r = HS_OK;

	if (room == 0 || *fdp < 0)
		return HS_OK;
	n = read(*fdp, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n > 0) {
		r = hs_chan_send_data(ch, ext, buf, (size_t)n);
		hs_wipe(buf, (size_t)n);
		return r;
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN) && !(ch->drain_then_eof && !ext))
		return HS_OK;
	/* EOF; on a pty master EIO means the slave side is gone. */
	if (n < 0 && !(ch->tty && errno == EIO) && errno != EAGAIN)
		hs_debug("channel %u: read fd %d: %s", ch->local_id, *fdp, strerror(errno));
	hs_debug("channel %u: %s eof", ch->local_id, ext ? "stderr" : "output");
	if (*fdp == ch->wfd)
		r = chan_discard(ch, ch->wbuf);
	chan_drop_fd(ch, fdp);
	return r;
}

static hs_err
chan_write(struct hs_channel *ch, int *fdp, struct hs_buf *b)
{
	ssize_t n;

	if (*fdp < 0 || hs_buf_len(b) == 0)
		return HS_OK;
	n = write(*fdp, hs_buf_ptr(b), hs_buf_len(b));
	if (n > 0) {
		HS_GUARD(hs_buf_skip(b, (size_t)n));
		return hs_chan_consumed(ch, (size_t)n);
	}
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return HS_OK;
	/* The reader went away (EPIPE): drop what it will never read. */
	hs_debug("channel %u: write fd %d: %s", ch->local_id, *fdp, strerror(errno));
	if (fdp == &ch->wfd)
		ch->wfd_failed = true;
	if (*fdp != ch->rfd)
		chan_drop_fd(ch, fdp);
	return chan_discard(ch, b);
}

static bool
ready(const struct pollfd *pfd, size_t n, int idx, short ev)
{
	return idx >= 0 && (size_t)idx < n &&
	    (pfd[idx].revents & (ev | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

bool
hs_chan_sources_done(const struct hs_channel *ch)
{
	return ch->attached && ch->rfd < 0 && (ch->efd < 0 || ch->efd_write);
}

/* Housekeeping after I/O: close our end of the peer's data once drained after its EOF; send EOF
 * once every source is at end of file. */
static hs_err
chan_settle(struct hs_channel *ch)
{
	if ((ch->flags & HS_CHAN_EOF_RCVD) && ch->wfd >= 0 && ch->wfd != ch->rfd &&
	    hs_buf_len(ch->wbuf) == 0) {
		hs_debug("channel %u: peer eof, closing input fd", ch->local_id);
		chan_drop_fd(ch, &ch->wfd);
	}
	if (!ch->hold_eof && hs_chan_sources_done(ch))
		HS_GUARD(hs_chan_send_eof(ch));
	return HS_OK;
}

hs_err
hs_conn_service(struct hs_conn *c, const struct pollfd *pfd, size_t n)
{
	struct hs_channel *ch;
	size_t i;

	for (i = 0; i < HS_CHAN_MAX; i++) {
		ch = &c->ch[i];
		if (ch->state != HS_CHAN_OPEN)
			continue;
		if (ready(pfd, n, ch->pfd_idx[IDX_W], POLLOUT))
			HS_GUARD(chan_write(ch, &ch->wfd, ch->wbuf));
		if (ready(pfd, n, ch->pfd_idx[IDX_R], POLLIN) || ch->drain_then_eof)
			HS_GUARD(chan_read(ch, &ch->rfd, 0));
		if (ch->efd_write && ready(pfd, n, ch->pfd_idx[IDX_E], POLLOUT))
			HS_GUARD(chan_write(ch, &ch->efd, ch->ebuf));
		else if (!ch->efd_write && ready(pfd, n, ch->pfd_idx[IDX_E], POLLIN))
			HS_GUARD(chan_read(ch, &ch->efd, HS_EXTENDED_DATA_STDERR));
		HS_GUARD(chan_settle(ch));
	}
	return HS_OK;
}
