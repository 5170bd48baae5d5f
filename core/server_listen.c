/* server_listen.c: hsshd's listeners and accept loop: bind every ListenAddress/Port, fork a child per
 * connection, reap children, MaxStartups random early drop of unauthenticated connections, SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_crypto.h"
#include "hs_log.h"
#include "server_impl.h"

#define LISTEN_MAX	(HS_CFG_MAX_LISTEN * 4)

struct child {
	pid_t pid;
	int notify_fd;		/* read end; -1 once the child authenticated or ended */
	bool authenticated;	/* it said so (PerSourcePenalties spares it) */
	struct sockaddr_storage addr;	/* the source, for PerSourcePenalties/MaxStartups */
};

struct listener_state {
	struct hs_server *srv;
	int fds[LISTEN_MAX];
	size_t n_fds;
	struct child *kids;
	size_t n_kids, cap_kids;
	unsigned conn_no;
	struct hs_penalties *penalties;
	struct hs_keyd *keyd;	/* the host-key service; NULL with -d */
};

static volatile sig_atomic_t got_term, got_chld;

static void
on_signal(int sig)
{
	if (sig == SIGCHLD)
		got_chld = 1;
	else
		got_term = sig;
}

static int
bind_one(const struct addrinfo *ai, const char *host, int port)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int on = 1;

	if (fd < 0) {
		hs_verbose("socket: %s", strerror(errno));
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	/* Separate sockets for IPv4 and IPv6, so "0.0.0.0" and "::" can both be bound. */
	if (ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 128) != 0) {
		hs_error("Bind to port %d on %s failed: %s.", port, host, strerror(errno));
		close(fd);
		return -1;
	}
	hs_info("Server listening on %s port %d.", host, port);
	return fd;
}

static void
bind_addr(struct listener_state *ls, const char *host, int port)
{
	struct addrinfo hints, *res = NULL;
	char pbuf[16];
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = ls->srv->cfg->address_family;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(pbuf, sizeof(pbuf), "%d", port);
	rc = getaddrinfo(host, pbuf, &hints, &res);
	if (rc != 0) {
		hs_error("bad addr or host: %s (%s)", host, gai_strerror(rc));
		return;
	}
	for (struct addrinfo *ai = res; ai != NULL && ls->n_fds < LISTEN_MAX; ai = ai->ai_next) {
		char ip[NI_MAXHOST];
		int fd;

		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, ip, sizeof(ip), NULL, 0,
		    NI_NUMERICHOST) != 0)
			snprintf(ip, sizeof(ip), "%s", host);
		fd = bind_one(ai, ip, port);
		if (fd >= 0)
			ls->fds[ls->n_fds++] = fd;
	}
	freeaddrinfo(res);
}

static hs_err
bind_all(struct listener_state *ls)
{
	const struct hs_server_config *c = ls->srv->cfg;

	for (size_t i = 0; i < c->n_listen; i++) {
		if (c->listen[i].port != 0) {
			bind_addr(ls, c->listen[i].host, c->listen[i].port);
			continue;
		}
		for (size_t j = 0; j < c->n_ports; j++)
			bind_addr(ls, c->listen[i].host, c->ports[j]);
	}
	if (ls->n_fds == 0) {
		hs_error("Cannot bind any address.");
		return HS_ERR_IO;
	}
	return HS_OK;
}

static void
close_listeners(struct listener_state *ls)
{
	for (size_t i = 0; i < ls->n_fds; i++)
		close(ls->fds[i]);
	ls->n_fds = 0;
}

/* Children that have not yet told us they authenticated. */
static int
count_startups(const struct listener_state *ls)
{
	int n = 0;

	for (size_t i = 0; i < ls->n_kids; i++)
		n += ls->kids[i].notify_fd >= 0;
	return n;
}

/* sshd_config(5) MaxStartups start:rate:full: refuse with probability rate% at start, rising
 * linearly to 100% at full. */
static bool
should_drop(const struct listener_state *ls)
{
	const struct hs_server_config *c = ls->srv->cfg;
	int startups = count_startups(ls), p;
	uint32_t rnd = 0;

	if (startups >= c->maxstartups_full)
		return true;
	if (startups < c->maxstartups_begin)
		return false;
	p = 100 - c->maxstartups_rate;
	p = c->maxstartups_full > c->maxstartups_begin ?
	    p * (startups - c->maxstartups_begin) / (c->maxstartups_full - c->maxstartups_begin) : 0;
	p += c->maxstartups_rate;
	if (hs_random(&rnd, sizeof(rnd)) != HS_OK)
		return true;
	return (int)(rnd % 100) < p;
}

/* Unauthenticated connections from peer's PerSourceNetBlockSize block. */
static unsigned
count_source_startups(const struct listener_state *ls, const struct sockaddr_storage *peer)
{
	unsigned n = 0;

	for (size_t i = 0; i < ls->n_kids; i++)
		n += ls->kids[i].notify_fd >= 0 &&
		    hs_penalties_same_block(ls->penalties, &ls->kids[i].addr, peer);
	return n;
}

/* Why this connection is refused before a child is spent on it, or NULL. */
static const char *
drop_reason(const struct listener_state *ls, const struct sockaddr_storage *peer)
{
	unsigned per_source = hs_penalties_max_startups(ls->penalties);

	if (hs_penalties_check(ls->penalties, peer, hs_time_ms()))
		return "penalty: PerSourcePenalties";
	if (per_source > 0 && count_source_startups(ls, peer) >= per_source)
		return "past PerSourceMaxStartups";
	if (should_drop(ls))
		return "past MaxStartups";
	return NULL;
}

/* In the host-key service process: the listener's descriptors are not its own. */
static void
keyd_drop_fds(void *arg)
{
	struct listener_state *ls = arg;

	close_listeners(ls);
	for (size_t i = 0; i < ls->n_kids; i++)
		if (ls->kids[i].notify_fd >= 0)
			close(ls->kids[i].notify_fd);
}

/* The host-key service died (a crash in a token library, an OOM kill): start a new one, so new
 * connections are served again; connections of the old one fail at their next signature. */
static void
restart_keyd(struct listener_state *ls)
{
	hs_keyd_stop(ls->keyd);
	ls->keyd = NULL;
	if (hs_keyd_start(ls->srv, keyd_drop_fds, ls, &ls->keyd) != HS_OK)
		hs_error("host-key service could not be restarted: connections are refused");
}

static void
reap_children(struct listener_state *ls)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (hs_keyd_exited(ls->keyd, pid, st))
			restart_keyd(ls);
		for (size_t i = 0; i < ls->n_kids; i++) {
			int kind;

			if (ls->kids[i].pid != pid)
				continue;
			if (ls->kids[i].notify_fd >= 0)
				close(ls->kids[i].notify_fd);
			kind = hs_penalty_for_exit(st, ls->kids[i].authenticated);
			if (kind >= 0 && ls->penalties != NULL)
				hs_penalties_add(ls->penalties, &ls->kids[i].addr,
				    (enum hs_penalty_kind)kind, hs_time_ms());
			ls->kids[i] = ls->kids[--ls->n_kids];
			break;
		}
	}
}

static hs_err
add_child(struct listener_state *ls, pid_t pid, int notify_fd, const struct sockaddr_storage *addr)
{
	if (ls->n_kids == ls->cap_kids) {
		size_t nc = ls->cap_kids ? ls->cap_kids * 2 : 64;
		struct child *k = realloc(ls->kids, nc * sizeof(*k));

		HS_ENSURE(k != NULL, HS_ERR_ALLOC);
		ls->kids = k;
		ls->cap_kids = nc;
	}
	ls->kids[ls->n_kids] = (struct child){ .pid = pid, .notify_fd = notify_fd, .addr = *addr };
	ls->n_kids++;
	return HS_OK;
}

static void
child_setup(struct listener_state *ls, int keep_fd)
{
	sigset_t none;

	close_listeners(ls);
	for (size_t i = 0; i < ls->n_kids; i++)
		if (ls->kids[i].notify_fd >= 0 && ls->kids[i].notify_fd != keep_fd)
			close(ls->kids[i].notify_fd);
	free(ls->kids);
	ls->kids = NULL;
	ls->n_kids = ls->cap_kids = 0;
	signal(SIGCHLD, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* In the child (or, for -d, in the listener itself): the connection's own hsshd, started afresh
 * so that its address-space layout is new (as sshd re-executes itself), with the socket on fds
 * 0 and 1 and the notification pipe on HS_REEXEC_NOTIFY_FD. */
/* Put fd on target (or close target when fd is -1); fds are first moved above the fixed ones so
 * that one dup2 cannot overwrite another's source. */
static int
place_fd(int fd, int target)
{
	if (fd < 0)
		return close(target) != 0 && errno != EBADF ? -1 : 0;
	return dup2(fd, target) < 0 ? -1 : 0;
}

static void __attribute__((noreturn))
reexec(struct listener_state *ls, int fd, int notify_fd, int keyd_fd)
{
	char *const *av = ls->srv->argv;
	size_t n = 0;
	char **nav;

	while (av[n] != NULL)
		n++;
	nav = calloc(n + 2, sizeof(*nav));
	if (notify_fd >= 0)
		notify_fd = fcntl(notify_fd, F_DUPFD_CLOEXEC, 10);
	if (keyd_fd >= 0)
		keyd_fd = fcntl(keyd_fd, F_DUPFD_CLOEXEC, 10);
	if (nav == NULL || dup2(fd, STDIN_FILENO) < 0 || dup2(fd, STDOUT_FILENO) < 0 ||
	    place_fd(notify_fd, HS_REEXEC_NOTIFY_FD) != 0 ||
	    place_fd(keyd_fd, HS_REEXEC_KEYD_FD) != 0) {
		hs_error("re-exec setup: %s", strerror(errno));
		_exit(HS_EXIT_ERROR);
	}
	nav[0] = av[0];
	nav[1] = "-R";
	for (size_t i = 1; i < n; i++)
		nav[i + 1] = av[i];
	execv(ls->srv->exe, nav);
	hs_error("re-exec %s: %s", ls->srv->exe, strerror(errno));
	_exit(HS_EXIT_ERROR);
}

/* Fork a child for the accepted socket fd. */
static void
spawn(struct listener_state *ls, int fd, const struct sockaddr_storage *peer)
{
	int pfd[2], kfd = -1;
	pid_t pid;

	if (ls->keyd != NULL && hs_keyd_link(ls->keyd, &kfd) != HS_OK)
		return;
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		hs_error("pipe: %s", strerror(errno));
		if (kfd >= 0)
			close(kfd);
		return;
	}
	pid = fork();
	if (pid < 0) {
		hs_error("fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		if (kfd >= 0)
			close(kfd);
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		child_setup(ls, -1);
		reexec(ls, fd, pfd[1], kfd);
	}
	if (kfd >= 0)
		close(kfd);
	close(pfd[1]);
	if (add_child(ls, pid, pfd[0], peer) != HS_OK)
		close(pfd[0]);
}

static void
handle_accept(struct listener_state *ls, int lfd)
{
	struct sockaddr_storage peer, local;
	socklen_t pl = sizeof(peer), ll = sizeof(local);
	char pip[64], lip[64];
	const char *why;
	int pport, lport;
	int fd = accept4(lfd, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);

	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			hs_error("accept: %s", strerror(errno));
		return;
	}
	ls->conn_no++;
	why = ls->srv->debug ? NULL : drop_reason(ls, &peer);
	if (why != NULL) {
		if (getsockname(fd, (struct sockaddr *)&local, &ll) != 0)
			local.ss_family = AF_UNSPEC;
		hs_server_addr_str(&peer, pip, sizeof(pip), &pport);
		hs_server_addr_str(&local, lip, sizeof(lip), &lport);
		hs_info("drop connection #%u from [%s]:%d on [%s]:%d %s", ls->conn_no - 1, pip,
		    pport, lip, lport, why);
		close(fd);
		return;
	}
	if (ls->srv->debug) {
		/* -d: this process becomes the connection's (sshd -d serves one connection). */
		child_setup(ls, -1);
		reexec(ls, fd, -1, -1);
	}
	spawn(ls, fd, &peer);
	close(fd);
}

/* A child wrote its "authenticated" byte or exited: it no longer counts for MaxStartups. */
static void
handle_notify(struct listener_state *ls, int nfd)
{
	for (size_t i = 0; i < ls->n_kids; i++) {
		if (ls->kids[i].notify_fd == nfd) {
			char c;

			ls->kids[i].authenticated = read(nfd, &c, 1) == 1 && c == 'A';
			close(nfd);
			ls->kids[i].notify_fd = -1;
		}
	}
}

static void
poll_once(struct listener_state *ls, const sigset_t *unblocked)
{
	struct pollfd *pf = calloc(ls->n_fds + ls->n_kids + 1, sizeof(*pf));
	size_t n = 0;

	if (pf == NULL)
		return;
	for (size_t i = 0; i < ls->n_fds; i++)
		pf[n++] = (struct pollfd){ .fd = ls->fds[i], .events = POLLIN };
	for (size_t i = 0; i < ls->n_kids; i++)
		if (ls->kids[i].notify_fd >= 0)
			pf[n++] = (struct pollfd){ .fd = ls->kids[i].notify_fd, .events = POLLIN };
	if (ppoll(pf, n, NULL, unblocked) > 0) {
		size_t nl = ls->n_fds;

		for (size_t i = 0; i < n && got_term == 0; i++) {
			if (!(pf[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (i < nl)
				handle_accept(ls, pf[i].fd);
			else
				handle_notify(ls, pf[i].fd);
		}
	}
	free(pf);
}

static hs_err
write_pidfile(const char *path)
{
	FILE *f;

	if (path == NULL)
		return HS_OK;
	f = fopen(path, "w");
	if (f == NULL) {
		hs_error("Couldn't create pid file \"%s\": %s", path, strerror(errno));
		return HS_ERR_IO;
	}
	fprintf(f, "%ld\n", (long)getpid());
	fclose(f);
	return HS_OK;
}

static void
install_signals(sigset_t *unblocked)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGHUP, SIG_IGN);	/* re-exec on SIGHUP is not implemented */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGQUIT);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, unblocked);
	sigdelset(unblocked, SIGTERM);
	sigdelset(unblocked, SIGINT);
	sigdelset(unblocked, SIGQUIT);
	sigdelset(unblocked, SIGCHLD);
}

int
hs_server_listen_run(struct hs_server *srv)
{
	struct listener_state ls = { .srv = srv };
	sigset_t unblocked;
	int status = 0;

	if (hs_penalties_new(srv->cfg, &ls.penalties) != HS_OK)
		return 255;
	if (bind_all(&ls) != HS_OK) {
		hs_penalties_free(ls.penalties);
		return 255;
	}
	if (!srv->debug && !srv->no_daemon && daemon(0, 0) != 0) {
		hs_error("daemon() failed: %s", strerror(errno));
		close_listeners(&ls);
		hs_penalties_free(ls.penalties);
		return 255;
	}
	/* After daemon(), so the service is the listener's child; -d opens the keys in its one
	 * connection process instead. */
	if (!srv->debug && hs_keyd_start(srv, keyd_drop_fds, &ls, &ls.keyd) != HS_OK) {
		close_listeners(&ls);
		hs_penalties_free(ls.penalties);
		return 255;
	}
	if (!srv->debug)
		(void)write_pidfile(srv->cfg->pid_file);
	install_signals(&unblocked);
	while (got_term == 0) {
		poll_once(&ls, &unblocked);
		if (got_chld) {
			got_chld = 0;
			reap_children(&ls);
		}
	}
	if (got_term > 0) {
		hs_info("Received signal %d; terminating.", (int)got_term);
		if (srv->cfg->pid_file != NULL && !srv->debug)
			(void)unlink(srv->cfg->pid_file);
	} else
		status = -1 - got_term;		/* -d: the connection's status */
	close_listeners(&ls);
	for (size_t i = 0; i < ls.n_kids; i++)
		if (ls.kids[i].notify_fd >= 0)
			close(ls.kids[i].notify_fd);
	free(ls.kids);
	hs_penalties_free(ls.penalties);
	hs_keyd_stop(ls.keyd);
	return got_term > 0 ? 255 : status;
}
