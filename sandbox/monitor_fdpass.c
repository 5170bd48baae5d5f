/* monitor_fdpass.c: the descriptors of a session program started by the monitor, passed to the
 * post-auth process over the monitor socket (hs_monitor.h: hs_mon_send_fd / hs_mon_recv_fd). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_monitor.h"

/* ---- descriptor passing (unix(7) SCM_RIGHTS) ---- */

hs_err
hs_mon_send_fd(int sock, int fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	uint8_t one = 0;
	struct iovec iov = { .iov_base = &one, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf) };
	struct cmsghdr *c;
	ssize_t n;

	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	do {
		n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != 1) {
		hs_error("monitor: sendmsg fd: %s", n < 0 ? strerror(errno) : "short write");
		return HS_ERR_IO;
	}
	return HS_OK;
}

/* Close every descriptor carried by mh; return how many there were and the first in *first. */
static size_t
collect_fds(struct msghdr *mh, int *first, bool close_all)
{
	size_t count = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		size_t nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (count == 0 && !close_all)
				*first = fd;
			else
				close(fd);
			count++;
		}
	}
	return count;
}

hs_err
hs_mon_recv_fd(int sock, int *fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];	/* room to notice extra descriptors */
	} ctl;
	uint8_t one;
	struct iovec iov = { .iov_base = &one, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
		.msg_controllen = sizeof(ctl.buf) };
	size_t count;
	ssize_t n;

	*fd = -1;
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		hs_error("monitor: recvmsg fd: %s", strerror(errno));
		return HS_ERR_IO;
	}
	if (n == 0 && mh.msg_controllen == 0)
		return HS_ERR_EOF;
	if ((mh.msg_flags & MSG_CTRUNC) != 0 || n != 1) {
		(void)collect_fds(&mh, fd, true);
		*fd = -1;
		hs_error("monitor: descriptor message truncated or malformed");
		return HS_ERR_FORMAT;
	}
	count = collect_fds(&mh, fd, false);
	if (count != 1) {
		if (count > 1)
			close(*fd);
		*fd = -1;
		hs_error("monitor: expected one descriptor, got %zu", count);
		return HS_ERR_FORMAT;
	}
	return HS_OK;
}
