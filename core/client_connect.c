/* client_connect.c: the TCP connection (with ConnectTimeout, ConnectionAttempts, AddressFamily,
 * BindAddress) or a ProxyCommand whose stdin/stdout carry the transport. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "client_impl.h"
#include "hs_mem.h"

static const int af_map[] = {
	[HS_AF_ANY] = AF_UNSPEC, [HS_AF_INET] = AF_INET, [HS_AF_INET6] = AF_INET6,
};

/* Non-blocking connect bounded by timeout_ms (-1 = the kernel's); errno set on failure. */
static int
connect_one(const struct addrinfo *ai, int timeout_ms)
{
	int fd, flags, err = 0;
	socklen_t len = sizeof(err);
	struct pollfd pfd;

	if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol)) == -1)
		return -1;
	flags = fcntl(fd, F_GETFL);
	if (flags == -1 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		goto fail;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		goto done;
	if (errno != EINPROGRESS)
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLOUT;
	if (poll(&pfd, 1, timeout_ms) == 0) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		goto fail;
	if (err != 0) {
		errno = err;
		goto fail;
	}
done:
	if (fcntl(fd, F_SETFL, flags) == -1)
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

static void
addr_name(struct hs_client *cl, const struct sockaddr *sa)
{
	const void *a = sa->sa_family == AF_INET6 ?
	    (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr :
	    (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (inet_ntop(sa->sa_family, a, cl->ipstr, sizeof(cl->ipstr)) == NULL)
		snprintf(cl->ipstr, sizeof(cl->ipstr), "UNKNOWN");
}

static hs_err
connect_tcp(struct hs_client *cl)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	char port[16];
	int gai, fd = -1, saved = 0, one = 1;
	int timeout = cl->cfg.connect_timeout > 0 ? cl->cfg.connect_timeout * 1000 : -1;

	hints.ai_family = af_map[cl->cfg.address_family];
	snprintf(port, sizeof(port), "%d", cl->cfg.port);
	if ((gai = getaddrinfo(cl->cfg.hostname, port, &hints, &res)) != 0) {
		fprintf(stderr, "%s: Could not resolve hostname %s: %s\r\n", HS_PROGNAME,
		    cl->cfg.hostname, gai_strerror(gai));
		return HS_ERR_NOT_FOUND;
	}
	for (int attempt = 0; attempt < cl->cfg.connection_attempts && fd == -1; attempt++) {
		if (attempt > 0)
			sleep(1);
		for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
			addr_name(cl, ai->ai_addr);
			hc_debug1("Connecting to %s [%s] port %d.", cl->cfg.hostname, cl->ipstr,
			    cl->cfg.port);
			if ((fd = connect_one(ai, timeout)) == -1) {
				saved = errno;
				hc_debug1("connect to address %s port %d: %s", cl->ipstr,
				    cl->cfg.port, strerror(saved));
			}
		}
	}
	freeaddrinfo(res);
	if (fd == -1) {
		fprintf(stderr, "%s: connect to host %s port %d: %s\r\n", HS_PROGNAME,
		    cl->cfg.hostname, cl->cfg.port, strerror(saved));
		return saved == ETIMEDOUT ? HS_ERR_TIMEOUT : HS_ERR_IO;
	}
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (cl->cfg.tcp_keepalive == 1)
		(void)setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
	hc_debug1("Connection established.");
	cl->fd_in = cl->fd_out = fd;
	return HS_OK;
}

/* ssh_config(5) ProxyCommand: run via /bin/sh -c; its stdin and stdout are our connection. */
static hs_err
connect_proxy(struct hs_client *cl)
{
	struct hs_client_tokens tok;
	char *cmd = NULL;
	int to_child[2] = { -1, -1 }, from_child[2] = { -1, -1 };
	pid_t pid;

	hs_client_tokens_fill(&cl->cfg, cl->orig_host, &tok);
	HS_GUARD(hs_client_expand(cl->cfg.proxy_command, &tok, &cmd));
	hc_debug1("Executing proxy command: exec %s", cmd);
	if (pipe2(to_child, O_CLOEXEC) == -1 || pipe2(from_child, O_CLOEXEC) == -1)
		goto fail;
	if ((pid = fork()) == -1)
		goto fail;
	if (pid == 0) {
		if (dup2(to_child[0], STDIN_FILENO) == -1 || dup2(from_child[1], STDOUT_FILENO) == -1)
			_exit(255);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(255);
	}
	close(to_child[0]);
	close(from_child[1]);
	free(cmd);
	cl->proxy_pid = pid;
	cl->fd_in = from_child[0];
	cl->fd_out = to_child[1];
	snprintf(cl->ipstr, sizeof(cl->ipstr), "UNKNOWN");
	return HS_OK;
fail:
	fprintf(stderr, "%s: proxy command: %s\r\n", HS_PROGNAME, strerror(errno));
	for (int i = 0; i < 2; i++) {
		if (to_child[i] != -1)
			close(to_child[i]);
		if (from_child[i] != -1)
			close(from_child[i]);
	}
	free(cmd);
	return HS_ERR_IO;
}

hs_err
hs_client_connect(struct hs_client *cl)
{
	if (cl->cfg.proxy_command != NULL && strcmp(cl->cfg.proxy_command, "none") != 0)
		return connect_proxy(cl);
	return connect_tcp(cl);
}
