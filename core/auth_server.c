/* auth_server.c: the ssh-userauth service in hsshd's network child (RFC 4252): the request parser,
 * the method table and MaxAuthTries. Every decision is the monitor's (sandbox/hs_monitor.h): the
 * child forwards user, key and password and turns the answer into the protocol's reply. The
 * monitor's halves live in auth_server_account.c, auth_server_pubkey.c, auth_server_password.c. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hs_algs.h"
#include "hs_buf.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "hs_monitor.h"
#include "hs_sandbox.h"
#include "hs_ssh.h"
#include "server_impl.h"

static hs_err
get_name(struct hs_buf *m, char **out)
{
	size_t len;

	HS_GUARD(hs_buf_get_cstring(m, out, &len));
	if (len > HS_USERAUTH_MAX_NAME) {
		free(*out);
		*out = NULL;
		return HS_ERR_TOO_LARGE;
	}
	return HS_OK;
}

/* RFC 4252 7: bool has-signature, string algorithm, string blob [, string signature]. */
static hs_err
parse_publickey(struct hs_buf *m, struct hs_userauth_req *req)
{
	HS_GUARD(hs_buf_get_bool(m, &req->has_sig));
	HS_GUARD(get_name(m, &req->pk_alg));
	HS_GUARD(hs_buf_get_string(m, &req->blob, &req->blob_len));
	if (req->has_sig)
		HS_GUARD(hs_buf_get_string(m, &req->sig, &req->sig_len));
	return hs_buf_get_end(m);
}

/* RFC 4252 8: bool change, string password [, string new-password]. */
static hs_err
parse_password(struct hs_buf *m, struct hs_userauth_req *req)
{
	HS_GUARD(hs_buf_get_bool(m, &req->change));
	HS_GUARD(hs_buf_get_cstring(m, &req->password, NULL));
	if (req->change)
		HS_GUARD(hs_buf_get_cstring(m, &req->new_password, NULL));
	return hs_buf_get_end(m);
}

hs_err
hs_userauth_req_parse(struct hs_buf *msg, struct hs_userauth_req *req)
{
	hs_err r;

	memset(req, 0, sizeof(*req));
	HS_GUARD_GOTO(get_name(msg, &req->user), r, out);
	HS_GUARD_GOTO(get_name(msg, &req->service), r, out);
	HS_GUARD_GOTO(get_name(msg, &req->method), r, out);
	if (strcmp(req->method, "publickey") == 0)
		HS_GUARD_GOTO(parse_publickey(msg, req), r, out);
	else if (strcmp(req->method, "password") == 0)
		HS_GUARD_GOTO(parse_password(msg, req), r, out);
	r = HS_OK;
out:
	if (r != HS_OK)
		hs_userauth_req_clear(req);
	return r;
}

void
hs_userauth_req_clear(struct hs_userauth_req *req)
{
	free(req->user);
	free(req->service);
	free(req->method);
	free(req->pk_alg);
	if (req->password != NULL)
		hs_free_wiped(req->password, strlen(req->password));
	if (req->new_password != NULL)
		hs_free_wiped(req->new_password, strlen(req->new_password));
	memset(req, 0, sizeof(*req));
}

/* The methods, as the network child runs them: each asks the monitor (sandbox/hs_monitor.h),
 * which decides and logs; the child only speaks the protocol. */
static hs_err
auth_none(struct hs_auth_ctx *a, const struct hs_userauth_req *req, enum hs_auth_result *res)
{
	*res = HS_AUTH_FAIL;	/* RFC 4252 5.2: lists the methods that can continue */
	return HS_OK;
}

/* RFC 4252 7: the data the client signed, as the monitor will check it. */
static hs_err
signed_data(const struct hs_auth_ctx *a, const struct hs_userauth_req *req, struct hs_buf *d)
{
	const uint8_t *sid;
	size_t sid_len;

	sid = hs_transport_session_id(a->cn->t, &sid_len);
	HS_ENSURE(sid != NULL, HS_ERR_INTERNAL);
	HS_GUARD(hs_buf_put_string(d, sid, sid_len));
	HS_GUARD(hs_buf_put_u8(d, HS_MSG_USERAUTH_REQUEST));
	HS_GUARD(hs_buf_put_cstring(d, req->user));
	HS_GUARD(hs_buf_put_cstring(d, req->service));
	HS_GUARD(hs_buf_put_cstring(d, "publickey"));
	HS_GUARD(hs_buf_put_bool(d, true));
	HS_GUARD(hs_buf_put_cstring(d, req->pk_alg));
	return hs_buf_put_string(d, req->blob, req->blob_len);
}

/* RFC 4252 7: SSH_MSG_USERAUTH_PK_OK echoes the algorithm and blob. */
static hs_err
send_pk_ok(struct hs_auth_ctx *a, const struct hs_userauth_req *req)
{
	struct hs_buf *b = NULL;
	hs_err r;

	HS_GUARD(hs_buf_new(HS_MAX_PACKET, &b));
	HS_GUARD_GOTO(hs_buf_put_u8(b, HS_MSG_USERAUTH_PK_OK), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(b, req->pk_alg), r, out);
	HS_GUARD_GOTO(hs_buf_put_string(b, req->blob, req->blob_len), r, out);
	r = hs_transport_send(a->cn->t, b);
out:
	hs_buf_free(b);
	return r;
}

/* Map the monitor's reply: AUTH_DONE is success, PK_OK (to a query) is PK_OK, FAIL is failure;
 * anything else means the monitor is not following the protocol. */
static hs_err
mon_verdict(const struct hs_mon_req *rep, enum hs_mon_type ok_type, enum hs_auth_result ok_res,
    enum hs_auth_result *res)
{
	if (rep->type == HS_MON_FAIL) {
		*res = HS_AUTH_FAIL;
		return HS_OK;
	}
	HS_ENSURE(rep->type == ok_type, HS_ERR_PROTOCOL);
	*res = ok_res;
	return HS_OK;
}

static hs_err
auth_pubkey(struct hs_auth_ctx *a, const struct hs_userauth_req *req, enum hs_auth_result *res)
{
	struct hs_buf *b = NULL, *d = NULL;
	struct hs_mon_req rep;
	hs_err r;

	*res = HS_AUTH_FAIL;
	/* Too large for the monitor protocol: no real key is; refuse it here. */
	if (req->blob_len > HS_MON_MAX_BLOB || req->sig_len > HS_MON_MAX_BLOB)
		return HS_OK;
	HS_GUARD(hs_buf_new(HS_MON_MAX_MSG, &b));
	if (!req->has_sig) {
		HS_GUARD_GOTO(hs_mon_build_pubkey_check(b, req->user, req->pk_alg, req->blob,
		    req->blob_len), r, out);
		HS_GUARD_GOTO(hs_monlink_call(a->mon, b, &rep), r, out);
		HS_GUARD_GOTO(mon_verdict(&rep, HS_MON_PK_OK, HS_AUTH_PK_OK, res), r, out);
		if (*res == HS_AUTH_PK_OK)
			HS_GUARD_GOTO(send_pk_ok(a, req), r, out);
		HS_ENSURE_GOTO(false, HS_OK, r, out);
	}
	HS_GUARD_GOTO(hs_buf_new(HS_MON_MAX_SIGNED, &d), r, out);
	if (signed_data(a, req, d) != HS_OK)
		HS_ENSURE_GOTO(false, HS_OK, r, out);	/* too large: fails like a bad key */
	HS_GUARD_GOTO(hs_mon_build_pubkey_verify(b, req->user, req->pk_alg, req->blob,
	    req->blob_len, hs_buf_ptr(d), hs_buf_len(d), req->sig, req->sig_len), r, out);
	HS_GUARD_GOTO(hs_monlink_call(a->mon, b, &rep), r, out);
	r = mon_verdict(&rep, HS_MON_AUTH_DONE, HS_AUTH_SUCCESS, res);
out:
	hs_buf_free(d);
	hs_buf_free(b);
	return r;
}

static hs_err
auth_password(struct hs_auth_ctx *a, const struct hs_userauth_req *req, enum hs_auth_result *res)
{
	struct hs_buf *b = NULL;
	struct hs_mon_req rep;
	hs_err r;

	*res = HS_AUTH_FAIL;
	if (req->change) {
		/* Password change requests are not supported; they fail (RFC 4252 8 allows it). */
		hs_verbose("password change not supported");
		return HS_OK;
	}
	if (strlen(req->password) > HS_MON_MAX_PASSWORD)
		return HS_OK;
	HS_GUARD(hs_buf_new(HS_MON_MAX_MSG, &b));
	HS_GUARD_GOTO(hs_mon_build_password(b, req->user, req->password), r, out);
	HS_GUARD_GOTO(hs_monlink_call(a->mon, b, &rep), r, out);
	r = mon_verdict(&rep, HS_MON_AUTH_DONE, HS_AUTH_SUCCESS, res);
out:
	hs_buf_free(b);	/* wipes the password */
	return r;
}

struct auth_method {
	const char *name;
	hs_err (*run)(struct hs_auth_ctx *a, const struct hs_userauth_req *req,
	    enum hs_auth_result *res);
	size_t enabled_off;	/* int flag in the config; 0 = always */
	bool listed;		/* offered in USERAUTH_FAILURE */
};

static const struct auth_method methods[] = {
	{ "publickey", auth_pubkey, offsetof(struct hs_server_config, pubkey_auth), true },
	{ "password", auth_password, offsetof(struct hs_server_config, password_auth), true },
	{ "none", auth_none, 0, false },
	{ NULL, NULL, 0, false },
};

static bool
method_enabled(const struct hs_auth_ctx *a, const struct auth_method *m)
{
	return m->enabled_off == 0 ||
	    *(const int *)(const void *)((const char *)a->cfg + m->enabled_off) != 0;
}

static hs_err
send_simple(struct hs_transport *t, uint8_t type, const char *s, bool with_bool)
{
	struct hs_buf *b = NULL;
	hs_err r;

	HS_GUARD(hs_buf_new(HS_MAX_PACKET, &b));
	HS_GUARD_GOTO(hs_buf_put_u8(b, type), r, out);
	if (s != NULL)
		HS_GUARD_GOTO(hs_buf_put_cstring(b, s), r, out);
	if (with_bool)
		HS_GUARD_GOTO(hs_buf_put_bool(b, false), r, out);	/* partial success */
	r = hs_transport_send(t, b);
out:
	hs_buf_free(b);
	return r;
}

/* RFC 4252 5.1: USERAUTH_FAILURE with the methods that may continue. */
static hs_err
send_failure(struct hs_auth_ctx *a)
{
	char list[128] = "";

	for (const struct auth_method *m = methods; m->name != NULL; m++) {
		if (!m->listed || !method_enabled(a, m))
			continue;
		if (list[0] != '\0')
			strcat(list, ",");
		strcat(list, m->name);
	}
	return send_simple(a->cn->t, HS_MSG_USERAUTH_FAILURE, list, true);
}

/* RFC 4252 5: the user and service are fixed by the first request; the monitor looks the user up
 * and says only whether it may log in. */
static hs_err
bind_user(struct hs_auth_ctx *a, const struct hs_userauth_req *req)
{
	struct hs_buf *b = NULL;
	struct hs_mon_req rep;
	hs_err r;

	if (a->user != NULL) {
		if (strcmp(a->user, req->user) == 0 && strcmp(a->service, req->service) == 0)
			return HS_OK;
		hs_error("Change of username or service not allowed: (%s,%s) -> (%s,%s) [preauth]",
		    a->user, a->service, req->user, req->service);
		hs_transport_disconnect(a->cn->t, HS_DISC_PROTOCOL_ERROR,
		    "Change of username or service not allowed");
		return HS_ERR_PROTOCOL;
	}
	if (strcmp(req->service, "ssh-connection") != 0) {
		hs_transport_disconnect(a->cn->t, HS_DISC_SERVICE_NOT_AVAILABLE, "no such service");
		return HS_ERR_PROTOCOL;
	}
	hs_sandbox_test_trigger_name(req->user);
	a->user = hs_strdup(req->user);
	a->service = hs_strdup(req->service);
	HS_ENSURE(a->user != NULL && a->service != NULL, HS_ERR_ALLOC);
	HS_GUARD(hs_buf_new(HS_MON_MAX_MSG, &b));
	HS_GUARD_GOTO(hs_mon_build_auth_user(b, req->user, req->service), r, out);
	HS_GUARD_GOTO(hs_monlink_call(a->mon, b, &rep), r, out);
	HS_ENSURE_GOTO(rep.type == HS_MON_OK || rep.type == HS_MON_FAIL, HS_ERR_PROTOCOL, r, out);
	a->valid_user = rep.type == HS_MON_OK;
	r = HS_OK;
out:
	hs_buf_free(b);
	return r;
}

static const struct auth_method *
find_method(const char *name)
{
	for (const struct auth_method *m = methods; m->name != NULL; m++)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

/* One USERAUTH_REQUEST. *done is set on success. */
static hs_err
handle_request(struct hs_auth_ctx *a, struct hs_buf *msg, bool *done)
{
	struct hs_userauth_req req;
	const struct auth_method *m;
	enum hs_auth_result res = HS_AUTH_FAIL;
	hs_err r;

	if (hs_userauth_req_parse(msg, &req) != HS_OK) {
		hs_transport_disconnect(a->cn->t, HS_DISC_PROTOCOL_ERROR, "bad userauth request");
		return HS_ERR_PROTOCOL;
	}
	HS_GUARD_GOTO(bind_user(a, &req), r, out);
	a->attempts++;
	m = find_method(req.method);
	if (m != NULL && method_enabled(a, m))
		HS_GUARD_GOTO(m->run(a, &req, &res), r, out);
	else
		hs_debug("userauth: method %s not available", req.method);
	if (res == HS_AUTH_SUCCESS) {
		r = send_simple(a->cn->t, HS_MSG_USERAUTH_SUCCESS, NULL, false);
		*done = r == HS_OK;
		goto out;
	}
	if (res == HS_AUTH_PK_OK)
		HS_ENSURE_GOTO(false, HS_OK, r, out);
	/* sshd does not count the first "none" probe as a failure. */
	if (strcmp(req.method, "none") != 0 || a->attempts > 1)
		a->failures++;
	if (a->failures >= (unsigned)a->cfg->max_auth_tries) {
		hs_error("maximum authentication attempts exceeded for %s%s from %s port %d ssh2 "
		    "[preauth]", a->valid_user ? "" : "invalid user ", a->user, a->cn->peer_ip,
		    a->cn->peer_port);
		hs_transport_disconnect(a->cn->t, HS_DISC_NO_MORE_AUTH_METHODS_AVAILABLE,
		    "Too many authentication failures");
		HS_ENSURE_GOTO(false, HS_ERR_AUTH, r, out);
	}
	r = send_failure(a);
out:
	hs_userauth_req_clear(&req);
	return r;
}

/* RFC 4253 10: SERVICE_REQUEST "ssh-userauth" -> SERVICE_ACCEPT. msg is positioned after the type
 * byte. */
static hs_err
service_request(struct hs_auth_ctx *a, uint8_t type, struct hs_buf *msg)
{
	char *name = NULL;
	hs_err r;

	if (type != HS_MSG_SERVICE_REQUEST || hs_buf_get_cstring(msg, &name, NULL) != HS_OK) {
		hs_transport_disconnect(a->cn->t, HS_DISC_PROTOCOL_ERROR, "expected service request");
		HS_ENSURE_GOTO(false, HS_ERR_PROTOCOL, r, out);
	}
	if (strcmp(name, "ssh-userauth") != 0) {
		hs_transport_disconnect(a->cn->t, HS_DISC_SERVICE_NOT_AVAILABLE, "no such service");
		HS_ENSURE_GOTO(false, HS_ERR_PROTOCOL, r, out);
	}
	HS_GUARD_GOTO(send_simple(a->cn->t, HS_MSG_SERVICE_ACCEPT, name, false), r, out);
	r = HS_OK;
out:
	free(name);
	return r;
}

hs_err
hs_auth_server_run(struct hs_auth_ctx *a)
{
	bool done = false, accepted = false;

	while (!done) {
		struct hs_buf *msg = NULL;
		uint8_t type;
		hs_err r;

		HS_GUARD(hs_transport_wait(a->cn->t, hs_conn_remaining_ms(a->cn), &type, &msg));
		if (!accepted || type == HS_MSG_SERVICE_REQUEST) {
			/* Some clients (paramiko) ask for the service again before each attempt;
			 * sshd answers every such request. */
			r = service_request(a, type, msg);
			hs_buf_free(msg);
			HS_GUARD(r);
			accepted = true;
			continue;
		}
		if (type != HS_MSG_USERAUTH_REQUEST) {
			hs_buf_free(msg);
			hs_transport_disconnect(a->cn->t, HS_DISC_PROTOCOL_ERROR,
			    "unexpected message during authentication");
			return HS_ERR_PROTOCOL;
		}
		r = handle_request(a, msg, &done);
		hs_buf_free(msg);
		HS_GUARD(r);
	}
	return hs_transport_flush(a->cn->t, 5000);
}

void
hs_auth_ctx_clear(struct hs_auth_ctx *a)
{
	free(a->user);
	free(a->service);
	free(a->pw.pw_name);
	free(a->pw.pw_dir);
	free(a->pw.pw_shell);
	if (a->pw.pw_passwd != NULL)
		hs_free_wiped(a->pw.pw_passwd, strlen(a->pw.pw_passwd));
	free(a->key_opts.command);
	free(a->key_opts.from);
	for (size_t i = 0; i < a->key_opts.n_env; i++)
		free(a->key_opts.env[i]);
	memset(a, 0, sizeof(*a));
}
