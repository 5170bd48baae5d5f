/* server_monitor_req.c: the monitor's answers to the network process (sandbox/hs_monitor.h). Each
 * request has been parsed and allowed by the state machine before it gets here; a handler either
 * builds the reply in m->out or refuses, which ends the connection. Host keys are used only here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_sandbox.h"
#include "server_impl.h"

/* NUL-terminated copy of a view (the parser guarantees no NUL inside names and passwords). */
static char *
str_dup(const struct hs_mon_str *s)
{
	char *p = malloc(s->len + 1);

	if (p != NULL) {
		memcpy(p, s->p, s->len);
		p[s->len] = '\0';
	}
	return p;
}

static hs_err
on_hostkeys(struct hs_monitor *m, const struct hs_mon_req *r)
{
	struct hs_buf *blobs[HS_MON_MAX_HOSTKEYS] = { 0 };
	const uint8_t *p[HS_MON_MAX_HOSTKEYS] = { 0 };
	size_t len[HS_MON_MAX_HOSTKEYS] = { 0 }, n = m->srv->n_hostkeys;
	hs_err rr = HS_OK;

	(void)r;
	if (n > HS_MON_MAX_HOSTKEYS)
		n = HS_MON_MAX_HOSTKEYS;
	for (size_t i = 0; i < n && rr == HS_OK; i++) {
		rr = hs_buf_new(HS_MON_MAX_BLOB, &blobs[i]);
		if (rr == HS_OK)
			rr = hs_key_public_blob(m->srv->hostkeys[i], blobs[i]);
		if (rr == HS_OK) {
			p[i] = hs_buf_ptr(blobs[i]);
			len[i] = hs_buf_len(blobs[i]);
		}
	}
	if (rr == HS_OK)
		rr = hs_mon_build_hostkeys_ok(m->out, p, len, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		hs_buf_free(blobs[i]);
	return rr;
}

/* Sign an exchange hash with host key N. A wrong index or an algorithm that does not suit the key
 * is not a KEX a real child would run: refused. */
static hs_err
on_sign(struct hs_monitor *m, const struct hs_mon_req *r)
{
	enum hs_sig_alg alg = hs_sig_alg_from_name((const char *)r->u.sign.alg.p,
	    r->u.sign.alg.len);
	struct hs_buf *sig = NULL;
	const struct hs_key *k;
	hs_err rr;

	HS_ENSURE(r->u.sign.key_index < m->srv->n_hostkeys, HS_ERR_PROTOCOL);
	k = m->srv->hostkeys[r->u.sign.key_index];
	HS_ENSURE(alg != HS_SIG_UNKNOWN && hs_sig_alg_key_type(alg) == hs_key_type(k),
	    HS_ERR_PROTOCOL);
	HS_GUARD(hs_buf_new(HS_MON_MAX_BLOB, &sig));
	rr = hs_server_hostkey_sign(m->srv, r->u.sign.key_index, alg, r->u.sign.data.p,
	    r->u.sign.data.len, sig);
	if (rr == HS_OK) {
		hs_verbose("host key signature (%s, host key #%u) by provider %s for %s port %d",
		    hs_sig_alg_name(alg), r->u.sign.key_index,
		    hs_server_hostkey_provider(m->srv, r->u.sign.key_index), m->cn.peer_ip,
		    m->cn.peer_port);
		rr = hs_mon_build_sign_ok(m->out, hs_buf_ptr(sig), hs_buf_len(sig));
	} else {
		hs_error("host key signature (%s, host key #%u, provider %s) for %s port %d "
		    "failed: %s", hs_sig_alg_name(alg), r->u.sign.key_index,
		    hs_server_hostkey_provider(m->srv, r->u.sign.key_index), m->cn.peer_ip,
		    m->cn.peer_port, hs_err_str(rr));
	}
	hs_buf_free(sig);
	return rr;
}

static hs_err
on_ok(struct hs_monitor *m, const struct hs_mon_req *r)
{
	(void)r;
	return hs_mon_build_ok(m->out);
}

static hs_err
on_auth_user(struct hs_monitor *m, const struct hs_mon_req *r)
{
	char *user = str_dup(&r->u.auth_user.user), *service = str_dup(&r->u.auth_user.service);
	hs_err rr = HS_ERR_ALLOC;

	if (user != NULL && service != NULL)
		rr = hs_auth_bind_user(&m->auth, user, service);
	free(user);
	free(service);
	HS_GUARD(rr);
	HS_GUARD(hs_mon_state_auth_result(&m->st, r, m->auth.valid_user));
	return m->auth.valid_user ? hs_mon_build_ok(m->out) : hs_mon_build_fail(m->out);
}

/* After a decision: the log line, the state machine's verdict, the reply. */
static hs_err
auth_reply(struct hs_monitor *m, const struct hs_mon_req *r, const char *method,
    enum hs_auth_result res)
{
	struct hs_auth_ctx *a = &m->auth;

	if (res == HS_AUTH_SUCCESS)
		hs_auth_log_attempt(a, "Accepted", method, true);
	else if (res == HS_AUTH_PK_OK)
		hs_auth_log_attempt(a, "Postponed", method, false);
	else {
		a->failures++;
		hs_auth_log_attempt(a, "Failed", method, false);
	}
	HS_GUARD(hs_mon_state_auth_result(&m->st, r, res != HS_AUTH_FAIL));
	if (res == HS_AUTH_SUCCESS)
		return hs_mon_build_auth_done(m->out, a->user);
	if (res == HS_AUTH_PK_OK)
		return hs_mon_build_pk_ok(m->out, "");
	return hs_mon_build_fail(m->out);
}

static hs_err
on_pubkey(struct hs_monitor *m, const struct hs_mon_req *r)
{
	struct hs_userauth_req q = {
		.user = m->auth.user, .service = m->auth.service, .method = "publickey",
		.has_sig = r->type == HS_MON_AUTH_PUBKEY_VERIFY,
		.blob = r->u.pubkey.blob.p, .blob_len = r->u.pubkey.blob.len,
		.sig = r->u.pubkey.sig.p, .sig_len = r->u.pubkey.sig.len,
		.signed_data = r->u.pubkey.signed_data.p, .signed_len = r->u.pubkey.signed_data.len,
	};
	enum hs_auth_result res = HS_AUTH_FAIL;
	hs_err rr = HS_OK;

	m->auth.method_detail[0] = '\0';
	q.pk_alg = str_dup(&r->u.pubkey.alg);
	HS_ENSURE(q.pk_alg != NULL, HS_ERR_ALLOC);
	if (m->srv->cfg->pubkey_auth)
		rr = hs_auth_pubkey(&m->auth, &q, &res);
	free(q.pk_alg);
	HS_GUARD(rr);
	return auth_reply(m, r, "publickey", res);
}

static hs_err
on_password(struct hs_monitor *m, const struct hs_mon_req *r)
{
	struct hs_userauth_req q = {
		.user = m->auth.user, .service = m->auth.service, .method = "password",
	};
	enum hs_auth_result res = HS_AUTH_FAIL;
	hs_err rr = HS_OK;

	m->auth.method_detail[0] = '\0';
	q.password = str_dup(&r->u.password.password);
	HS_ENSURE(q.password != NULL, HS_ERR_ALLOC);
	if (m->srv->cfg->password_auth)
		rr = hs_auth_password(&m->auth, &q, &res);
	hs_free_wiped(q.password, r->u.password.password.len);
	HS_GUARD(rr);
	return auth_reply(m, r, "password", res);
}

static hs_err
on_keystate(struct hs_monitor *m, const struct hs_mon_req *r)
{
	HS_ENSURE(m->keystate == NULL, HS_ERR_PROTOCOL);
	HS_GUARD(hs_buf_new(HS_MON_MAX_STATE, &m->keystate));
	HS_GUARD(hs_buf_put_bytes(m->keystate, r->u.keystate.blob.p, r->u.keystate.blob.len));
	return hs_mon_build_ok(m->out);
}

/* KexProviderFallback no: a method the device turned out not to do (it was offered because both
 * hardware providers normally do it) must not quietly run in software. False (logged) then. */
static bool
kex_fallback_ok(const struct hs_monitor *m, enum hs_kex_method meth)
{
	const struct hs_server_config *c = m->srv->cfg;

	if (c->kex_provider_fallback || strcmp(hs_server_kex_provider(m->srv, meth), "soft") != 0)
		return true;
	hs_error("KEX %s for %s port %d: KexProvider %s does not compute it and "
	    "KexProviderFallback is no", hs_kex_method_name(meth), m->cn.peer_ip, m->cn.peer_port,
	    c->kex_provider);
	return false;
}

/* KEX_KEYPAIR: only with a hardware KexProvider (in software the network process computes its
 * own KEX and never asks), and only a method this server offers (KexAlgorithms, already reduced to
 * what hardware computes when KexProvider has no fallback); the ephemeral stays on this side. A
 * device failure is answered with FAIL: the child ends the key exchange, as for its own failure. */
static hs_err
on_kex_keypair(struct hs_monitor *m, const struct hs_mon_req *r)
{
	enum hs_kex_method meth = (enum hs_kex_method)r->u.kex_keypair.method;
	struct hs_buf *pub = NULL;
	hs_err rr;

	HS_ENSURE(hs_server_config_kex_hw(m->srv->cfg), HS_ERR_PROTOCOL);
	HS_ENSURE(hs_kex_method_name(meth) != NULL &&
	    hs_kex_method_in_list(m->srv->cfg->kex_algs, meth), HS_ERR_PROTOCOL);
	HS_GUARD(hs_buf_new(HS_MON_MAX_KEX, &pub));
	rr = hs_server_kex_keypair(m->srv, meth, pub);
	if (rr == HS_OK && !kex_fallback_ok(m, meth)) {
		hs_buf_free(pub);
		return hs_mon_build_fail(m->out);
	}
	if (rr == HS_OK) {
		rr = hs_mon_build_kex_keypair_ok(m->out, hs_buf_ptr(pub), hs_buf_len(pub));
	} else {
		hs_error("KEX %s for %s port %d: no key pair from %s: %s", hs_kex_method_name(meth),
		    m->cn.peer_ip, m->cn.peer_port, hs_server_kex_provider(m->srv, meth), hs_err_str(rr));
		rr = hs_mon_build_fail(m->out);
	}
	hs_buf_free(pub);
	return rr;
}

/* KEX_DERIVE: K for the pending ephemeral (the state machine let it through only after a
 * KEX_KEYPAIR). K passes through secret and m->out, both wiped (m->out after it was sent). A peer
 * value off the curve, or a device failure, is answered with FAIL. */
static hs_err
on_kex_derive(struct hs_monitor *m, const struct hs_mon_req *r)
{
	enum hs_kex_method meth = (enum hs_kex_method)m->st.kex_method;
	const char *name = hs_kex_method_name(meth);
	struct hs_buf *secret = NULL;
	hs_err rr;

	HS_GUARD(hs_buf_new(HS_MON_MAX_KEX, &secret));
	rr = hs_server_kex_derive(m->srv, r->u.kex_derive.peer.p, r->u.kex_derive.peer.len,
	    secret);
	if (rr == HS_OK) {
		rr = hs_mon_build_kex_derive_ok(m->out, hs_buf_ptr(secret), hs_buf_len(secret));
		hs_verbose("KEX %s for %s port %d computed by %s", name ? name : "?",
		    m->cn.peer_ip, m->cn.peer_port, hs_server_kex_provider(m->srv, meth));
	} else {
		hs_error("KEX %s for %s port %d: no shared secret from %s: %s", name ? name : "?",
		    m->cn.peer_ip, m->cn.peer_port, hs_server_kex_provider(m->srv, meth), hs_err_str(rr));
		rr = hs_mon_build_fail(m->out);
	}
	hs_buf_free(secret);
	return rr;
}

static const struct {
	enum hs_mon_type type;
	hs_err (*fn)(struct hs_monitor *m, const struct hs_mon_req *r);
} handlers[] = {
	{ HS_MON_HOSTKEYS, on_hostkeys },
	{ HS_MON_SIGN, on_sign },
	{ HS_MON_SESSION_ID, on_ok },
	{ HS_MON_AUTH_USER, on_auth_user },
	{ HS_MON_AUTH_PUBKEY_CHECK, on_pubkey },
	{ HS_MON_AUTH_PUBKEY_VERIFY, on_pubkey },
	{ HS_MON_AUTH_PASSWORD, on_password },
	{ HS_MON_KEYSTATE, on_keystate },
	{ HS_MON_SPAWN, hs_monitor_on_spawn },
	{ HS_MON_KEX_KEYPAIR, on_kex_keypair },
	{ HS_MON_KEX_DERIVE, on_kex_derive },
	{ 0, NULL },
};

static hs_err
refuse(struct hs_monitor *m, const char *what, int type, hs_err r)
{
	hs_error("monitor: refused %s request %s from the network process of %s port %d: %s",
	    hs_mon_phase_name(m->st.phase), hs_mon_type_name(type), m->cn.peer_ip,
	    m->cn.peer_port, what ? what : hs_err_str(r));
	m->violation = true;
	return HS_ERR_PROTOCOL;
}

hs_err
hs_monitor_serve_one(struct hs_monitor *m)
{
	struct hs_mon_req req;
	hs_err r;
	size_t i;

	hs_buf_reset(m->out);
	r = hs_mon_read(m->fd, m->in, 5000);
	if (r == HS_ERR_EOF)
		return r;
	if (r != HS_OK)
		return refuse(m, "unreadable frame", 0, r);
	if ((r = hs_mon_parse(m->in, &req)) != HS_OK)
		return refuse(m, "malformed", 0, r);
	if (hs_mon_state_check(&m->st, &req) != HS_OK)
		return refuse(m, "not allowed now", (int)req.type, HS_ERR_PROTOCOL);
	for (i = 0; handlers[i].fn != NULL && handlers[i].type != req.type; i++)
		;
	if (handlers[i].fn == NULL)
		return refuse(m, "no handler", (int)req.type, HS_ERR_PROTOCOL);
	r = handlers[i].fn(m, &req);
	hs_buf_reset(m->in);	/* wipes passwords and transport state */
	if (r != HS_OK)
		return refuse(m, NULL, (int)req.type, r);
	r = hs_mon_write(m->fd, m->out);
	hs_buf_reset(m->out);
	for (i = 0; i < m->n_pass; i++) {
		if (r == HS_OK)
			r = hs_mon_send_fd(m->fd, m->pass_fds[i]);
		close(m->pass_fds[i]);
	}
	m->n_pass = 0;
	return r == HS_OK ? HS_OK : HS_ERR_EOF;	/* else the network process went away */
}
