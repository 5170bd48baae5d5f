/* server_conn.c: one hsshd connection: LoginGraceTime, the transport handshake with the host keys,
 * user authentication, then the connection protocol as the user. Also loads the host keys. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_session.h"
#include "server_impl.h"

long long
hs_server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
hs_conn_remaining_ms(const struct hs_conn *cn)
{
	long long left;

	if (cn->deadline_ms == 0)
		return 0;
	left = cn->deadline_ms - hs_server_now_ms();
	return left < 1 ? 1 : (left > 0x7fffffff ? 0x7fffffff : (int)left);
}

hs_err
hs_server_load_hostkeys(struct hs_server *srv)
{
	const struct hs_server_config *c = srv->cfg;

	for (size_t i = 0; i < c->n_hostkeys && srv->n_hostkeys < HS_CFG_MAX_HOSTKEYS; i++) {
		struct hs_key *k = NULL;
		hs_err r = hs_key_open(c->hostkeys[i], NULL, &k, NULL);

		if (r != HS_OK) {
			hs_error("Unable to load host key \"%s\": %s", c->hostkeys[i], hs_err_str(r));
			continue;
		}
		hs_debug("private host key #%zu: %s %s", srv->n_hostkeys,
		    hs_key_type_name(hs_key_type(k)), c->hostkeys[i]);
		srv->hostkeys[srv->n_hostkeys++] = k;
	}
	if (srv->n_hostkeys == 0) {
		hs_error("hsshd: no hostkeys available -- exiting.");
		return HS_ERR_CONFIG;
	}
	return HS_OK;
}

void
hs_server_free_hostkeys(struct hs_server *srv)
{
	for (size_t i = 0; i < srv->n_hostkeys; i++)
		hs_key_free(srv->hostkeys[i]);
	srv->n_hostkeys = 0;
}

/* Numeric address and port; an IPv4-mapped IPv6 address is shown in IPv4 form (as sshd). */
void
hs_server_addr_str(const struct sockaddr_storage *ss, char *ip, size_t iplen, int *port)
{
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, (socklen_t)iplen);
		*port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], ip, (socklen_t)iplen);
		else
			inet_ntop(AF_INET6, &s6->sin6_addr, ip, (socklen_t)iplen);
		*port = ntohs(s6->sin6_port);
	} else {
		snprintf(ip, iplen, "UNKNOWN");	/* inetd mode on a pipe */
		*port = 65535;
	}
}

static void
conn_addrs(struct hs_conn *cn)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getpeername(cn->fd_in, (struct sockaddr *)&ss, &sl) != 0)
		ss.ss_family = AF_UNSPEC;
	hs_server_addr_str(&ss, cn->peer_ip, sizeof(cn->peer_ip), &cn->peer_port);
	sl = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (getsockname(cn->fd_in, (struct sockaddr *)&ss, &sl) != 0)
		ss.ss_family = AF_UNSPEC;
	hs_server_addr_str(&ss, cn->local_ip, sizeof(cn->local_ip), &cn->local_port);
}

static char grace_msg[200];

/* LoginGraceTime: the backstop if a blocking call outlives the deadline. */
static void
grace_alarm(int sig)
{
	hs_log(HS_LOG_INFO, "%s", grace_msg);
	_exit(1);
}

static void
log_preauth_end(const struct hs_conn *cn, const struct hs_auth_ctx *a, hs_err r)
{
	const char *who = a->user == NULL ? "" : a->valid_user ? "authenticating user " :
	    "invalid user ";

	if (r == HS_ERR_TIMEOUT)
		hs_log(HS_LOG_INFO, "%s", grace_msg);
	else if (r == HS_ERR_EOF)
		hs_log(HS_LOG_INFO, "Connection closed by %s%s%s%s port %d [preauth]", who,
		    a->user ? a->user : "", a->user ? " " : "", cn->peer_ip, cn->peer_port);
	else if (r == HS_ERR_DISCONNECT)
		hs_log(HS_LOG_INFO, "Disconnected from %s%s%s%s port %d [preauth]", who,
		    a->user ? a->user : "", a->user ? " " : "", cn->peer_ip, cn->peer_port);
	else if (r != HS_ERR_AUTH)	/* MaxAuthTries has been logged already */
		hs_verbose("Connection from %s port %d ended before authentication: %s [preauth]",
		    cn->peer_ip, cn->peer_port, hs_err_str(r));
}

/* The session after authentication, as the user. */
static hs_err
run_session(struct hs_conn *cn, struct hs_auth_ctx *a)
{
	const struct hs_server_config *c = cn->srv->cfg;
	char sshconn[200];
	struct hs_session_user u = {
		.name = a->pw.pw_name, .uid = a->pw.pw_uid, .gid = a->pw.pw_gid,
		.home = a->pw.pw_dir, .shell = a->pw.pw_shell,
	};
	struct hs_session_policy pol = {
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

	snprintf(sshconn, sizeof(sshconn), "%s %d %s %d", cn->peer_ip, cn->peer_port, cn->local_ip,
	    cn->local_port);
	return hs_server_session_run(cn->t, &u, &pol);
}

static hs_err
start_transport(struct hs_conn *cn)
{
	const struct hs_server_config *c = cn->srv->cfg;
	struct hs_transport_cfg tc = {
		.server = true, .kex_algs = c->kex_algs, .hostkey_algs = c->hostkey_algs,
		.ciphers = c->ciphers, .macs = c->macs, .rekey_bytes = (uint64_t)c->rekey_bytes,
		.rekey_seconds = (uint32_t)c->rekey_seconds, .hostkeys = cn->srv->hostkeys,
		.n_hostkeys = cn->srv->n_hostkeys,
	};

	HS_GUARD(hs_transport_new(cn->fd_in, cn->fd_out, &tc, &cn->t));
	return hs_transport_handshake(cn->t, hs_conn_remaining_ms(cn));
}

static void
notify_authenticated(struct hs_conn *cn)
{
	if (cn->notify_fd >= 0) {
		ssize_t w = write(cn->notify_fd, "A", 1);

		(void)w;
		close(cn->notify_fd);
		cn->notify_fd = -1;
	}
}

int
hs_server_conn_serve(const struct hs_server *srv, int fd_in, int fd_out, int notify_fd)
{
	struct hs_conn cn = { .srv = srv, .fd_in = fd_in, .fd_out = fd_out, .notify_fd = notify_fd };
	struct hs_auth_ctx a = { .cn = &cn, .cfg = srv->cfg };
	hs_err r;
	int status = 255;

	conn_addrs(&cn);
	hs_verbose("Connection from %s port %d on %s port %d", cn.peer_ip, cn.peer_port,
	    cn.local_ip, cn.local_port);
	snprintf(grace_msg, sizeof(grace_msg), "Timeout before authentication for %s port %d",
	    cn.peer_ip, cn.peer_port);
	if (srv->cfg->login_grace_time > 0) {
		cn.deadline_ms = hs_server_now_ms() + (long long)srv->cfg->login_grace_time * 1000;
		signal(SIGALRM, grace_alarm);
		alarm((unsigned)srv->cfg->login_grace_time + 1);
	}
	r = start_transport(&cn);
	if (r == HS_OK)
		r = hs_auth_server_run(&a);
	if (r != HS_OK) {
		log_preauth_end(&cn, &a, r);
		goto out;
	}
	alarm(0);
	cn.deadline_ms = 0;
	notify_authenticated(&cn);
	r = run_session(&cn, &a);
	hs_log(HS_LOG_INFO, "Disconnected from user %s %s port %d", a.pw.pw_name, cn.peer_ip,
	    cn.peer_port);
	status = r == HS_OK ? 0 : 255;
out:
	hs_auth_ctx_clear(&a);
	hs_transport_free(cn.t);
	if (cn.notify_fd >= 0)
		close(cn.notify_fd);
	return status;
}
