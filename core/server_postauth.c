/* server_postauth.c: after authentication. The monitor forks the post-auth network process, which
 * drops to the user (or, for root, to no capabilities), stays in the empty chroot under the
 * post-auth seccomp filter, takes over the transport the pre-auth child handed in (KEYSTATE) and
 * serves the connection protocol. It cannot fork, exec or open a pty, so each session program is
 * started by the monitor (SPAWN) with the monitor's own copy of the policy (ForceCommand,
 * command=, no-pty, AcceptEnv cannot be escaped from the network side); the program's fds come
 * back over the socket and its exit over a pipe. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_crypto.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "hs_sandbox.h"
#include "server_impl.h"

void
hs_monitor_policy(const struct hs_monitor *m, struct hs_session_policy *pol,
    struct hs_session_user *u, char *sshconn, size_t len)
{
	const struct hs_server_config *c = m->srv->cfg;
	const struct hs_auth_ctx *a = &m->auth;

	snprintf(sshconn, len, "%s %d %s %d", m->cn.peer_ip, m->cn.peer_port, m->cn.local_ip,
	    m->cn.local_port);
	*u = (struct hs_session_user){
		.name = a->pw.pw_name, .uid = a->pw.pw_uid, .gid = a->pw.pw_gid,
		.home = a->pw.pw_dir, .shell = a->pw.pw_shell,
	};
	*pol = (struct hs_session_policy){
		/* ForceCommand overrides a key's command= (sshd_config(5)). */
		.forced_command = c->force_command ? c->force_command : a->key_opts.command,
		.no_pty = a->key_opts.no_pty,
		.no_port_forwarding = a->key_opts.no_port_forwarding,
		.accept_env = c->n_accept_env ? (const char *const *)c->accept_env : NULL,
		.ssh_connection = sshconn,
		.client_alive_interval = (unsigned)c->client_alive_interval,
		.client_alive_count_max = (unsigned)c->client_alive_count_max,
		.drop_privileges = true,
	};
}

/* ---- the monitor's side ---- */

hs_err
hs_monitor_on_spawn(struct hs_monitor *m, const struct hs_mon_req *r)
{
	struct hs_session_policy pol;
	struct hs_session_user u;
	struct hs_spawn_res res = { .ptm = -1, .in = -1, .out = -1, .err = -1 };
	struct hs_spawn_req q;
	char sshconn[200];
	void *store = NULL;
	hs_err rr;

	HS_GUARD(hs_mon_spawn_req(r, &q, &store));
	hs_monitor_policy(m, &pol, &u, sshconn, sizeof(sshconn));
	if (hs_session_spawn(&u, &pol, &q, &res) != HS_OK) {
		rr = hs_mon_build_fail(m->out);	/* refused (no-pty) or failed: not a violation */
		goto out;
	}
	rr = hs_mon_build_spawn_ok(m->out, (uint32_t)res.pid, q.pty, res.tty_name);
	if (q.pty) {
		m->pass_fds[0] = res.ptm;
		m->n_pass = 1;
	} else {
		m->pass_fds[0] = res.in;
		m->pass_fds[1] = res.out;
		m->pass_fds[2] = res.err;
		m->n_pass = 3;
	}
	hs_debug("session program pid %ld for %s", (long)res.pid, u.name);
out:
	free(store);
	return rr;
}

/* Session programs are the monitor's children: pass their ends on to the post-auth process;
 * returns true when the post-auth process itself ended (its status in *st). */
static bool
reap_programs(struct hs_monitor *m, int *st)
{
	bool ended = false;
	pid_t pid;
	int s;

	while ((pid = waitpid(-1, &s, WNOHANG)) > 0) {
		if (pid == m->child) {
			*st = s;
			ended = true;
			continue;
		}
		if (hs_keyd_exited(m->own_keyd, pid, s))	/* -d/-i: its own service died */
			continue;
		hs_debug("session program %ld ended, status 0x%x", (long)pid, s);
		if (m->exit_w >= 0 && hs_mon_exit_write(m->exit_w, pid, s) != HS_OK)
			hs_debug("post-auth process gone; exit of %ld not passed on", (long)pid);
	}
	return ended;
}

static int
postauth_loop(struct hs_monitor *m, int sfd)
{
	bool ended = false, eof = false;
	int st = 0;

	while (!ended) {
		struct pollfd pf[3] = {
			{ .fd = eof ? -1 : m->fd, .events = POLLIN },
			{ .fd = m->log_fd, .events = POLLIN }, { .fd = sfd, .events = POLLIN },
		};
		struct signalfd_siginfo si;

		if (poll(pf, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents)
			hs_monitor_drain_log(m);
		if (pf[2].revents) {
			while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				;
			ended = reap_programs(m, &st);
		}
		if (!ended && pf[0].revents && hs_monitor_serve_one(m) != HS_OK) {
			if (m->violation)
				(void)kill(m->child, SIGKILL);
			eof = true;	/* from now on only wait for it to end */
		}
	}
	hs_monitor_drain_log(m);
	return ended ? hs_monitor_child_status(m, st) : HS_EXIT_ERROR;
}

/* ---- the post-auth process ---- */

struct pa_spawner {
	struct hs_monlink *l;
	int exit_r;
};

static hs_err
pa_recv_fds(int sock, int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		hs_err r = hs_mon_recv_fd(sock, &fds[i]);

		if (r != HS_OK) {
			while (i-- > 0)
				close(fds[i]);
			return r;
		}
	}
	return HS_OK;
}

static hs_err
pa_spawn(void *arg, const struct hs_spawn_req *req, struct hs_spawn_res *res)
{
	struct pa_spawner *sp = arg;
	struct hs_buf *b = NULL;
	struct hs_mon_req rep;
	int fds[3] = { -1, -1, -1 };
	hs_err r;

	*res = (struct hs_spawn_res){ .ptm = -1, .in = -1, .out = -1, .err = -1 };
	HS_GUARD(hs_buf_new(HS_MON_MAX_MSG, &b));
	HS_GUARD_GOTO(hs_mon_build_spawn(b, req), r, out);
	HS_GUARD_GOTO(hs_monlink_call(sp->l, b, &rep), r, out);
	HS_ENSURE_GOTO(rep.type != HS_MON_FAIL, HS_ERR_PERM, r, out);
	HS_ENSURE_GOTO(rep.type == HS_MON_SPAWN_OK && rep.u.spawn_ok.pty == req->pty,
	    HS_ERR_PROTOCOL, r, out);
	snprintf(res->tty_name, sizeof(res->tty_name), "%.*s",
	    (int)rep.u.spawn_ok.tty_name.len, (const char *)rep.u.spawn_ok.tty_name.p);
	HS_GUARD_GOTO(pa_recv_fds(sp->l->fd, fds, req->pty ? 1 : 3), r, out);
	res->pid = (pid_t)rep.u.spawn_ok.pid;
	if (req->pty) {
		res->ptm = fds[0];
	} else {
		res->in = fds[0];
		res->out = fds[1];
		res->err = fds[2];
	}
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}

static hs_err
pa_reap(void *arg, pid_t *pid, int *wstatus)
{
	struct pa_spawner *sp = arg;
	int32_t p, st;

	HS_GUARD(hs_mon_exit_read(sp->exit_r, &p, &st));
	*pid = (pid_t)p;
	*wstatus = (int)st;
	return HS_OK;
}

/* Public-only copies of the host keys (the transport must offer the same keys in the same order),
 * then the private keys are freed, which wipes them, before anything else happens here. */
static hs_err
pa_public_keys(struct hs_server *srv, struct hs_key **pub, size_t *n)
{
	struct hs_buf *b = NULL;
	hs_err r = HS_OK;

	*n = 0;
	HS_GUARD(hs_buf_new(HS_MON_MAX_BLOB, &b));
	for (size_t i = 0; i < srv->n_hostkeys && r == HS_OK; i++) {
		hs_buf_reset(b);
		r = hs_key_public_blob(srv->hostkeys[i], b);
		if (r == HS_OK)
			r = hs_key_from_blob(hs_buf_ptr(b), hs_buf_len(b), &pub[i]);
		if (r == HS_OK)
			(*n)++;
	}
	hs_buf_free(b);
	hs_server_free_hostkeys(srv);
	return r;
}

static void __attribute__((noreturn))
postauth_process(struct hs_monitor *m, int fd, int log_fd, int sys_fd, int exit_r)
{
	const struct hs_server_config *c = m->srv->cfg;
	struct hs_key *pub[HS_CFG_MAX_HOSTKEYS] = { 0 };
	struct hs_monlink l = { .fd = fd };
	struct pa_spawner sp = { .l = &l, .exit_r = exit_r };
	struct hs_session_spawner spawner = {
		.spawn = pa_spawn, .event_fd = exit_r, .reap = pa_reap, .arg = &sp,
	};
	struct hs_session_policy pol;
	struct hs_session_user u;
	struct hs_transport *t = NULL;
	char sshconn[200];
	size_t n = 0;
	hs_err r;

	if (m->auth.pw.pw_passwd != NULL) {
		hs_free_wiped(m->auth.pw.pw_passwd, strlen(m->auth.pw.pw_passwd));
		m->auth.pw.pw_passwd = NULL;
	}
	if (pa_public_keys(m->srv, pub, &n) != HS_OK || hs_crypto_init() != HS_OK ||
	    hs_buf_new(HS_MON_MAX_MSG, &l.reply) != HS_OK ||
	    hs_server_sandbox_enter(c, HS_SANDBOX_POSTAUTH, m->auth.pw.pw_name,
	    m->auth.pw.pw_uid == 0, log_fd, sys_fd) != HS_OK)
		_exit(HS_EXIT_ERROR);
	{
		struct hs_transport_cfg tc = {
			.server = true, .kex_algs = c->kex_algs, .hostkey_algs = c->hostkey_algs,
			.ciphers = c->ciphers, .macs = c->macs,
			.rekey_bytes = (uint64_t)c->rekey_bytes,
			.rekey_seconds = (uint32_t)c->rekey_seconds, .hostkeys = pub, .n_hostkeys = n,
			.sign_cb = hs_monlink_sign, .cb_arg = &l,
		};

		hs_monlink_kex_route(c, &tc);	/* rekeys with a hardware KexProvider */
		r = hs_transport_import(m->cn.fd_in, m->cn.fd_out, &tc, m->keystate, &t);
	}
	hs_buf_free(m->keystate);	/* wipes the keys it carried */
	m->keystate = NULL;
	if (r != HS_OK)
		_exit(HS_EXIT_ERROR);
	hs_monitor_policy(m, &pol, &u, sshconn, sizeof(sshconn));
	pol.spawner = &spawner;
	r = hs_server_session_run(t, &u, &pol);
	hs_log(HS_LOG_INFO, "Disconnected from user %s %s port %d", u.name, m->cn.peer_ip,
	    m->cn.peer_port);
	hs_transport_free(t);
	_exit(r == HS_OK ? HS_EXIT_OK : HS_EXIT_ERROR);
}

int
hs_monitor_postauth(struct hs_monitor *m)
{
	int sp[2] = { -1, -1 }, lg[2] = { -1, -1 }, sys[2] = { -1, -1 }, ex[2] = { -1, -1 };
	int sfd = -1, status = HS_EXIT_ERROR;
	sigset_t chld, old;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, lg) != 0 ||
	    pipe2(sys, O_CLOEXEC) != 0 || pipe2(ex, O_CLOEXEC) != 0 ||
	    sigprocmask(SIG_BLOCK, &chld, &old) != 0 ||
	    (sfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		hs_error("post-auth setup: %s", strerror(errno));
		goto out;
	}
	(void)fcntl(ex[0], F_SETFL, O_NONBLOCK);
	m->child = fork();
	if (m->child == 0) {
		close(sp[0]);
		close(lg[0]);
		close(sys[0]);
		close(ex[1]);
		close(sfd);
		hs_server_keyd_forget(m->srv);
		(void)sigprocmask(SIG_SETMASK, &old, NULL);
		postauth_process(m, sp[1], lg[1], sys[1], ex[0]);
	}
	if (m->child < 0) {
		hs_error("fork: %s", strerror(errno));
		goto out;
	}
	m->fd = sp[0];
	m->log_fd = lg[0];
	m->sigsys_fd = sys[0];
	m->exit_w = ex[1];
	sp[0] = lg[0] = sys[0] = ex[1] = -1;
	hs_buf_free(m->keystate);
	m->keystate = NULL;
	hs_debug("post-auth process pid %ld as user %s", (long)m->child, m->auth.pw.pw_name);
	status = postauth_loop(m, sfd);
out:
	for (int i = 0; i < 2; i++) {
		int *fds[] = { &sp[i], &lg[i], &sys[i], &ex[i] };

		for (size_t j = 0; j < 4; j++)
			if (*fds[j] >= 0)
				close(*fds[j]);
	}
	if (sfd >= 0)
		close(sfd);
	return status;
}
