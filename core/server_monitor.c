/* server_monitor.c: one connection's privileged monitor (issue 4). The process the listener
 * re-executed for this connection (or hsshd -i) forks the pre-auth network child BEFORE it loads
 * any host key, so the child's memory never held one; then it loads the keys, answers the
 * child's requests (server_monitor_req.c), relays its log lines, enforces LoginGraceTime and, after
 * a successful authentication, runs the post-auth process (server_postauth.c). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_crypto.h"
#include "hs_log.h"
#include "hs_sandbox.h"
#include "server_impl.h"

/* Seconds the monitor waits past LoginGraceTime before it kills a child that did not end itself
 * (the child keeps the same deadline and normally logs the timeout and exits first). */
#define GRACE_BACKSTOP_MS	2000

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

/* In the pre-auth child: from here on it never returns. */
static void __attribute__((noreturn))
preauth_child(struct hs_monitor *m, int fd, int log_fd, int sys_fd)
{
	struct hs_monlink l = { .fd = fd };

	/* The parent's DRBG state must not be shared: reseed now, while /dev/urandom can be read. */
	if (hs_crypto_init() != HS_OK || hs_buf_new(HS_MON_MAX_MSG, &l.reply) != HS_OK)
		_exit(HS_EXIT_ERROR);
	if (hs_server_sandbox_enter(m->srv->cfg, HS_SANDBOX_PREAUTH, HS_PRIVSEP_USER, false,
	    log_fd, sys_fd) != HS_OK)
		_exit(HS_EXIT_ERROR);
	hs_sandbox_test_trigger();
	_exit(hs_server_child_run(m->srv, &m->cn, &l));
}

static hs_err
start_child(struct hs_monitor *m, int notify_fd)
{
	int sp[2], lg[2], sys[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
		return HS_ERR_IO;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, lg) != 0) {
		close(sp[0]);
		close(sp[1]);
		return HS_ERR_IO;
	}
	if (pipe2(sys, O_CLOEXEC) != 0) {
		close(sp[0]);
		close(sp[1]);
		close(lg[0]);
		close(lg[1]);
		return HS_ERR_IO;
	}
	m->child = fork();
	if (m->child == 0) {
		close(sp[0]);
		close(lg[0]);
		close(sys[0]);
		if (notify_fd >= 0)
			close(notify_fd);
		hs_server_keyd_forget(m->srv);
		preauth_child(m, sp[1], lg[1], sys[1]);
	}
	close(sp[1]);
	close(lg[1]);
	close(sys[1]);
	m->fd = sp[0];
	m->log_fd = lg[0];
	m->sigsys_fd = sys[0];
	if (m->child < 0) {
		hs_error("fork: %s", strerror(errno));
		return HS_ERR_IO;
	}
	hs_debug("network child pid %ld for %s port %d", (long)m->child, m->cn.peer_ip,
	    m->cn.peer_port);
	return HS_OK;
}

void
hs_monitor_drain_log(struct hs_monitor *m)
{
	int n = 0;

	/* Bounded, so a flooding child cannot keep the monitor from its requests. */
	while (m->log_fd >= 0 && n++ < 256 && hs_log_relay(m->log_fd, NULL) == HS_OK)
		;
}

int
hs_monitor_reap_child(struct hs_monitor *m)
{
	int st = 0;

	while (waitpid(m->child, &st, 0) < 0 && errno == EINTR)
		;
	hs_monitor_drain_log(m);
	return hs_monitor_child_status(m, st);
}

int
hs_monitor_child_status(struct hs_monitor *m, int st)
{
	char how[128];

	m->child = -1;
	if (hs_sandbox_sigsys_describe(st, m->sigsys_fd, how, sizeof(how))) {
		hs_error("sandbox violation by the network process of %s port %d: %s",
		    m->cn.peer_ip, m->cn.peer_port, how);
		return HS_EXIT_CRASH;
	}
	if (WIFSIGNALED(st)) {
		hs_error("network process of %s port %d %s", m->cn.peer_ip, m->cn.peer_port, how);
		return HS_EXIT_CRASH;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : HS_EXIT_ERROR;
}

/* Serve the pre-auth child until it ends. True if the monitor had to kill it at the deadline. */
static bool
preauth_loop(struct hs_monitor *m)
{
	long long limit = m->cn.deadline_ms ? m->cn.deadline_ms + GRACE_BACKSTOP_MS : 0;

	for (;;) {
		struct pollfd pf[2] = {
			{ .fd = m->fd, .events = POLLIN }, { .fd = m->log_fd, .events = POLLIN },
		};
		long long left = limit ? limit - hs_time_ms() : -1;
		int n;

		if (limit && left <= 0) {
			hs_log(HS_LOG_INFO, "Timeout before authentication for %s port %d",
			    m->cn.peer_ip, m->cn.peer_port);
			(void)kill(m->child, SIGKILL);
			return true;
		}
		n = poll(pf, 2, left < 0 ? -1 : (int)(left > 60000 ? 60000 : left));
		if (n < 0 && errno != EINTR)
			return false;
		if (n <= 0)
			continue;
		if (pf[1].revents)
			hs_monitor_drain_log(m);
		if (pf[0].revents && hs_monitor_serve_one(m) != HS_OK) {
			if (m->violation)
				(void)kill(m->child, SIGKILL);
			return false;
		}
	}
}

static void
notify_authenticated(int *notify_fd)
{
	if (*notify_fd >= 0) {
		ssize_t w = write(*notify_fd, "A", 1);

		(void)w;
		close_fd(notify_fd);
	}
}

/* In a host-key service forked by this monitor: the connection's descriptors are not its own. */
static void
own_keyd_drop_fds(void *arg)
{
	struct hs_monitor *m = arg;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	close_fd(&m->fd);
	close_fd(&m->log_fd);
	close_fd(&m->sigsys_fd);
	close_fd(&m->notify_fd);
	/* The client's socket: the service must not keep the TCP connection open. */
	if (null >= 0) {
		(void)dup2(null, m->cn.fd_in);
		(void)dup2(null, m->cn.fd_out);
		close(null);
	}
}

/* Without the listener's service (-d, -i) the monitor starts one for this connection, so that it
 * holds no private key either and the post-auth process it forks never maps a token module. */
static hs_err
own_keyd(struct hs_monitor *m)
{
	if (m->srv->keyd_fd >= 0)
		return HS_OK;
	HS_GUARD(hs_keyd_start(m->srv, own_keyd_drop_fds, m, &m->own_keyd));
	return hs_keyd_link(m->own_keyd, &m->srv->keyd_fd);
}

static void
monitor_free(struct hs_monitor *m)
{
	close_fd(&m->fd);
	close_fd(&m->log_fd);
	close_fd(&m->sigsys_fd);
	close_fd(&m->exit_w);
	hs_buf_free(m->in);
	hs_buf_free(m->out);
	hs_buf_free(m->keystate);
	hs_auth_ctx_clear(&m->auth);
	hs_mon_state_clear(&m->st);
	hs_server_free_hostkeys(m->srv);
	if (m->own_keyd != NULL) {
		hs_server_keyd_forget(m->srv);
		hs_keyd_stop(m->own_keyd);
	}
}

int
hs_server_conn_serve(struct hs_server *srv, int fd_in, int fd_out, int notify_fd)
{
	struct hs_monitor m = {
		.srv = srv, .fd = -1, .log_fd = -1, .sigsys_fd = -1, .exit_w = -1, .child = -1,
		.notify_fd = notify_fd,	/* a copy, for own_keyd_drop_fds; closed below */
		.cn = { .srv = srv, .fd_in = fd_in, .fd_out = fd_out, .notify_fd = -1 },
	};
	int status = HS_EXIT_ERROR;
	bool timed_out;

	m.auth.cn = &m.cn;
	m.auth.cfg = srv->cfg;
	hs_conn_addrs(&m.cn);
	hs_verbose("Connection from %s port %d on %s port %d", m.cn.peer_ip, m.cn.peer_port,
	    m.cn.local_ip, m.cn.local_port);
	if (srv->cfg->login_grace_time > 0)
		m.cn.deadline_ms = hs_time_ms() + (long long)srv->cfg->login_grace_time * 1000;
	hs_mon_state_init(&m.st, (unsigned)srv->cfg->max_auth_tries);
	if (hs_buf_new(HS_MON_MAX_MSG, &m.in) != HS_OK ||
	    hs_buf_new(HS_MON_MAX_MSG, &m.out) != HS_OK)
		goto out;
	if (!srv->cfg->sandbox)
		hs_error("Sandbox is off (Sandbox no): the network processes run without the "
		    "seccomp filter");
	if (start_child(&m, notify_fd) != HS_OK)
		goto out;
	/* Only now: the child was forked from an address space that never held a private key. */
	if (own_keyd(&m) != HS_OK || hs_server_load_hostkeys(srv) != HS_OK) {
		(void)kill(m.child, SIGKILL);
		(void)hs_monitor_reap_child(&m);
		goto out;
	}
	timed_out = preauth_loop(&m);
	status = hs_monitor_reap_child(&m);
	if (timed_out)
		status = HS_EXIT_GRACE;
	if (status == HS_EXIT_OK && !(hs_mon_state_authenticated(&m.st) && m.keystate != NULL))
		status = HS_EXIT_ERROR;
	if (status != HS_EXIT_OK)
		goto out;
	close_fd(&m.fd);
	close_fd(&m.log_fd);
	close_fd(&m.sigsys_fd);
	notify_authenticated(&notify_fd);
	status = hs_monitor_postauth(&m);
out:
	if (notify_fd >= 0)
		close(notify_fd);
	monitor_free(&m);
	return status;
}
