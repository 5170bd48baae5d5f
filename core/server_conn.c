/* server_conn.c: what every hsshd process needs about a connection: clocks for LoginGraceTime,
 * addresses, the host keys (loaded only by the monitor) and the privilege separation prerequisites. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_sandbox.h"
#include "hs_tpm2.h"
#include "server_impl.h"

int
hs_conn_remaining_ms(const struct hs_conn *cn)
{
	long long left;

	if (cn->deadline_ms == 0)
		return 0;
	left = cn->deadline_ms - hs_time_ms();
	return left < 1 ? 1 : (left > 0x7fffffff ? 0x7fffffff : (int)left);
}

hs_err
hs_server_load_hostkeys(struct hs_server *srv)
{
	const struct hs_server_config *c = srv->cfg;

	if (srv->keyd_fd >= 0)
		return hs_server_keyd_hostkeys(srv);
	/* Before the first tpm2: HostKey (or the KexProvider) opens the TPM. */
	if (c->tpm2_tcti != NULL && hs_tpm2_set_tcti(c->tpm2_tcti) != HS_OK)
		return HS_ERR_CONFIG;
	for (size_t i = 0; i < c->n_hostkeys && srv->n_hostkeys < HS_CFG_MAX_HOSTKEYS; i++) {
		struct hs_key *k = NULL;
		hs_err r = hs_key_open(c->hostkeys[i], NULL, &k, NULL);

		if (r != HS_OK) {
			hs_error("Unable to load host key \"%s\": %s", c->hostkeys[i], hs_err_str(r));
			continue;
		}
		hs_debug("private host key #%zu: %s %s", srv->n_hostkeys,
		    hs_key_type_name(hs_key_type(k)), c->hostkeys[i]);
		srv->hostkey_uri[srv->n_hostkeys] = c->hostkeys[i];
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
	for (size_t i = 0; i < srv->n_hostkeys; i++) {
		hs_key_free(srv->hostkeys[i]);
		free(srv->hostkey_prov[i]);
		srv->hostkey_prov[i] = NULL;
	}
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

void
hs_conn_addrs(struct hs_conn *cn)
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

/* sshd refuses to start without its privsep user and directory; hsshd creates the directory (it
 * is under /run, which is emptied at boot) and checks it as sshd checks a ChrootDirectory. */
hs_err
hs_server_privsep_check(void)
{
	struct stat st;

	if (getpwnam(HS_PRIVSEP_USER) == NULL) {
		hs_error("Privilege separation user %s does not exist (create it: useradd --system "
		    "--no-create-home --home-dir %s --shell /usr/sbin/nologin %s)", HS_PRIVSEP_USER,
		    HS_PRIVSEP_DIR, HS_PRIVSEP_USER);
		return HS_ERR_CONFIG;
	}
	if (stat(HS_PRIVSEP_DIR, &st) != 0 && errno == ENOENT && geteuid() == 0 &&
	    mkdir(HS_PRIVSEP_DIR, 0755) != 0 && errno != EEXIST) {
		hs_error("Missing privilege separation directory %s: %s", HS_PRIVSEP_DIR,
		    strerror(errno));
		return HS_ERR_CONFIG;
	}
	if (hs_sandbox_check_chroot(HS_PRIVSEP_DIR) != HS_OK) {
		hs_error("Unusable privilege separation directory %s", HS_PRIVSEP_DIR);
		return HS_ERR_CONFIG;
	}
	return HS_OK;
}
