/* server_child.c: hsshd's pre-auth network child, and the link every network process has to its
 * monitor. The child runs chrooted as HS_PRIVSEP_USER under the seccomp filter: it parses every
 * byte from the network, holds only public host keys, asks the monitor to sign and to decide on
 * authentication, and after success hands the live transport over (KEYSTATE) and exits. */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_monitor.h"
#include "hs_ssh.h"
#include "server_impl.h"

static void
child_stdio(void)
{
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	hs_log_detach();
	if (fd >= 0) {
		if (fd != STDERR_FILENO)
			(void)dup2(fd, STDERR_FILENO);
		if (fd != STDERR_FILENO)
			close(fd);
	}
}

hs_err
hs_server_sandbox_enter(const struct hs_server_config *c, enum hs_sandbox_phase phase,
    const char *user, bool keep_root, int log_fd, int sys_fd)
{
	hs_err r;

	hs_log_set_sink(log_fd);
	child_stdio();
	HS_GUARD(hs_sandbox_sigsys_report(sys_fd));
	if (keep_root)
		HS_GUARD(hs_sandbox_drop_root(HS_PRIVSEP_DIR));
	else
		HS_GUARD(hs_sandbox_drop(user, HS_PRIVSEP_DIR));
	r = phase == HS_SANDBOX_PREAUTH ? hs_sandbox_limits() : hs_sandbox_limits_postauth();
	/* Only the pre-auth limits lower RLIMIT_NOFILE, which valgrind (the reason for "Sandbox
	 * no") refuses below the fds it keeps for itself: there the failure is logged and
	 * tolerated. */
	if (r != HS_OK && (c->sandbox || phase != HS_SANDBOX_PREAUTH))
		return r;
	if (c->sandbox)
		HS_GUARD(hs_sandbox_apply(phase));
	return HS_OK;
}

hs_err
hs_monlink_call(struct hs_monlink *l, struct hs_buf *req, struct hs_mon_req *rep)
{
	hs_err r = hs_mon_write(l->fd, req);

	hs_buf_reset(req);
	if (r != HS_OK) {
		hs_error("monitor write failed: %s", hs_err_str(r));
		return r;
	}
	r = hs_mon_read(l->fd, l->reply, -1);
	if (r == HS_OK)
		r = hs_mon_parse(l->reply, rep);
	if (r != HS_OK)
		hs_error("monitor reply: %s", hs_err_str(r));
	return r;
}

hs_err
hs_monlink_sign(void *arg, size_t idx, enum hs_sig_alg alg, const uint8_t *h, size_t hlen,
    struct hs_buf *sig)
{
	struct hs_monlink *l = arg;
	struct hs_buf *b = NULL;
	struct hs_mon_req rep;
	hs_err r;

	HS_GUARD(hs_buf_new(HS_MON_MAX_MSG, &b));
	HS_GUARD_GOTO(hs_mon_build_sign(b, (uint32_t)idx, hs_sig_alg_name(alg), h, hlen), r, out);
	HS_GUARD_GOTO(hs_monlink_call(l, b, &rep), r, out);
	HS_ENSURE_GOTO(rep.type == HS_MON_SIGN_OK, HS_ERR_PROVIDER, r, out);
	r = hs_buf_put_bytes(sig, rep.u.sign_ok.sig.p, rep.u.sign_ok.sig.len);
out:
	hs_buf_free(b);
	return r;
}

hs_err
hs_monlink_kex_keypair(void *arg, enum hs_kex_method m, struct hs_buf *pub)
{
	struct hs_monlink *l = arg;
	struct hs_buf *b = NULL;
	struct hs_mon_req rep;
	hs_err r;

	HS_GUARD(hs_buf_new(HS_MON_MAX_MSG, &b));
	HS_GUARD_GOTO(hs_mon_build_kex_keypair(b, (uint32_t)m), r, out);
	HS_GUARD_GOTO(hs_monlink_call(l, b, &rep), r, out);
	HS_ENSURE_GOTO(rep.type == HS_MON_KEX_KEYPAIR_OK, HS_ERR_PROVIDER, r, out);
	r = hs_buf_put_bytes(pub, rep.u.kex_keypair_ok.pub.p, rep.u.kex_keypair_ok.pub.len);
out:
	hs_buf_free(b);
	return r;
}

/* The reply carries K: it is copied out and the reply buffer wiped at once. */
hs_err
hs_monlink_kex_derive(void *arg, const uint8_t *peer, size_t len, struct hs_buf *secret)
{
	struct hs_monlink *l = arg;
	struct hs_buf *b = NULL;
	struct hs_mon_req rep;
	hs_err r;

	HS_GUARD(hs_buf_new(HS_MON_MAX_MSG, &b));
	HS_GUARD_GOTO(hs_mon_build_kex_derive(b, peer, len), r, out);
	HS_GUARD_GOTO(hs_monlink_call(l, b, &rep), r, out);
	HS_ENSURE_GOTO(rep.type == HS_MON_KEX_DERIVE_OK, HS_ERR_PROVIDER, r, out);
	r = hs_buf_put_bytes(secret, rep.u.kex_derive_ok.secret.p, rep.u.kex_derive_ok.secret.len);
out:
	hs_buf_reset(l->reply);
	hs_buf_free(b);
	return r;
}

void
hs_monlink_kex_route(const struct hs_server_config *c, struct hs_transport_cfg *tc)
{
	if (!hs_server_config_kex_hw(c))
		return;		/* software KEX: in this process, no round trips */
	tc->kex_keypair_cb = hs_monlink_kex_keypair;
	tc->kex_derive_cb = hs_monlink_kex_derive;
}

hs_err
hs_monlink_hostkeys(struct hs_monlink *l, struct hs_key **keys, size_t max, size_t *n)
{
	struct hs_buf *b = NULL;
	struct hs_mon_req rep;
	hs_err r;

	*n = 0;
	HS_GUARD(hs_buf_new(HS_MON_MAX_MSG, &b));
	HS_GUARD_GOTO(hs_mon_build_hostkeys(b), r, out);
	HS_GUARD_GOTO(hs_monlink_call(l, b, &rep), r, out);
	HS_ENSURE_GOTO(rep.type == HS_MON_HOSTKEYS_OK, HS_ERR_CONFIG, r, out);
	for (uint32_t i = 0; i < rep.u.hostkeys_ok.n && *n < max; i++) {
		HS_GUARD_GOTO(hs_key_from_blob(rep.u.hostkeys_ok.keys[i].p,
		    rep.u.hostkeys_ok.keys[i].len, &keys[*n]), r, out);
		(*n)++;
	}
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}

static void
log_preauth_end(const struct hs_conn *cn, const struct hs_auth_ctx *a, hs_err r)
{
	const char *who = a->user == NULL ? "" : a->valid_user ? "authenticating user " :
	    "invalid user ";

	if (r == HS_ERR_TIMEOUT)
		hs_log(HS_LOG_INFO, "Timeout before authentication for %s port %d", cn->peer_ip,
		    cn->peer_port);
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

/* What the listener should make of a pre-auth end (PerSourcePenalties). */
static int
preauth_status(const struct hs_auth_ctx *a, hs_err r)
{
	if (r == HS_ERR_TIMEOUT)
		return HS_EXIT_GRACE;
	if (r == HS_ERR_AUTH || a->attempts > 0)
		return HS_EXIT_AUTHFAIL;
	if (r == HS_ERR_EOF || r == HS_ERR_DISCONNECT)
		return HS_EXIT_NOAUTH;
	return HS_EXIT_ERROR;
}

static hs_err
start_transport(const struct hs_server *srv, struct hs_conn *cn, struct hs_monlink *l,
    struct hs_key **keys, size_t n)
{
	const struct hs_server_config *c = srv->cfg;
	const uint8_t *sid;
	size_t sid_len;
	struct hs_buf *b = NULL;
	struct hs_mon_req rep;
	hs_err r;
	struct hs_transport_cfg tc = {
		.server = true, .kex_algs = c->kex_algs, .hostkey_algs = c->hostkey_algs,
		.ciphers = c->ciphers, .macs = c->macs, .rekey_bytes = (uint64_t)c->rekey_bytes,
		.rekey_seconds = (uint32_t)c->rekey_seconds, .hostkeys = keys, .n_hostkeys = n,
		.sign_cb = hs_monlink_sign, .cb_arg = l,
	};

	hs_monlink_kex_route(c, &tc);
	HS_GUARD(hs_transport_new(cn->fd_in, cn->fd_out, &tc, &cn->t));
	hs_transport_hold_rekey(cn->t, true);	/* the post-auth process rekeys, not us */
	HS_GUARD(hs_transport_handshake(cn->t, hs_conn_remaining_ms(cn)));
	sid = hs_transport_session_id(cn->t, &sid_len);
	HS_ENSURE(sid != NULL, HS_ERR_INTERNAL);
	HS_GUARD(hs_buf_new(HS_MON_MAX_MSG, &b));
	HS_GUARD_GOTO(hs_mon_build_session_id(b, sid, sid_len), r, out);
	HS_GUARD_GOTO(hs_monlink_call(l, b, &rep), r, out);
	r = rep.type == HS_MON_OK ? HS_OK : HS_ERR_PROTOCOL;
out:
	hs_buf_free(b);
	return r;
}

/* After USERAUTH_SUCCESS: the transport's whole state to the monitor, which continues it in the
 * post-auth process. */
static hs_err
hand_over(struct hs_conn *cn, struct hs_monlink *l)
{
	struct hs_buf *state = NULL, *b = NULL;
	struct hs_mon_req rep;
	hs_err r;

	HS_GUARD(hs_buf_new(HS_MON_MAX_STATE, &state));
	HS_GUARD_GOTO(hs_buf_new(HS_MON_MAX_MSG, &b), r, out);
	HS_GUARD_GOTO(hs_transport_export(cn->t, state), r, out);
	HS_GUARD_GOTO(hs_mon_build_keystate(b, hs_buf_ptr(state), hs_buf_len(state)), r, out);
	HS_GUARD_GOTO(hs_monlink_call(l, b, &rep), r, out);
	r = rep.type == HS_MON_OK ? HS_OK : HS_ERR_PROTOCOL;
out:
	hs_buf_free(b);
	hs_buf_free(state);
	return r;
}

int
hs_server_child_run(const struct hs_server *srv, struct hs_conn *cn, struct hs_monlink *l)
{
	struct hs_key *keys[HS_MON_MAX_HOSTKEYS] = { 0 };
	struct hs_auth_ctx a = { .cn = cn, .mon = l, .cfg = srv->cfg };
	size_t n = 0;
	int status = HS_EXIT_ERROR;
	hs_err r;

	r = hs_monlink_hostkeys(l, keys, HS_MON_MAX_HOSTKEYS, &n);
	if (r == HS_OK)
		r = start_transport(srv, cn, l, keys, n);
	if (r == HS_OK)
		r = hs_auth_server_run(&a);
	if (r == HS_OK)
		r = hand_over(cn, l);
	if (r != HS_OK) {
		log_preauth_end(cn, &a, r);
		status = preauth_status(&a, r);
	} else {
		status = HS_EXIT_OK;
	}
	hs_auth_ctx_clear(&a);
	hs_transport_free(cn->t);
	cn->t = NULL;
	for (size_t i = 0; i < n; i++)
		hs_key_free(keys[i]);
	return status;
}
