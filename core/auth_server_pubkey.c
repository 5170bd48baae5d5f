/* auth_server_pubkey.c: the "publickey" method on the server (RFC 4252 7; RFC 8332 3.2 for the
 * rsa-sha2 names): authorized_keys lookup, USERAUTH_PK_OK for queries, signature verification. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hs_algs.h"
#include "hs_buf.h"
#include "hs_log.h"
#include "hs_ssh.h"
#include "server_impl.h"

/* RFC 4252 7: the data the client signed. */
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

static void
describe_key(struct hs_auth_ctx *a, const struct hs_key *k)
{
	char *fp = NULL;

	if (hs_key_fingerprint(k, &fp) != HS_OK)
		fp = NULL;
	snprintf(a->method_detail, sizeof(a->method_detail), "%s %s",
	    hs_key_type_short(hs_key_type(k)), fp ? fp : "?");
	free(fp);
}

/* Is the offered algorithm acceptable and does it suit the key? */
static bool
alg_acceptable(const struct hs_auth_ctx *a, const struct hs_userauth_req *req,
    const struct hs_key *k)
{
	enum hs_sig_alg alg = hs_sig_alg_from_name(req->pk_alg, strlen(req->pk_alg));

	if (alg == HS_SIG_UNKNOWN || !hs_algs_list_has(a->cfg->pubkey_algs, req->pk_alg,
	    strlen(req->pk_alg))) {
		hs_verbose("publickey: algorithm %s not in PubkeyAcceptedAlgorithms", req->pk_alg);
		return false;
	}
	if (hs_sig_alg_key_type(alg) != hs_key_type(k)) {
		hs_verbose("publickey: algorithm %s does not match the key type", req->pk_alg);
		return false;
	}
	return true;
}

/* PermitRootLogin for a key (forced-commands-only needs command=). */
static bool
root_allowed(const struct hs_auth_ctx *a, const struct hs_authkey_opts *o)
{
	if (a->pw.pw_uid != 0)
		return true;
	if (a->cfg->permit_root_login == HS_ROOT_NO)
		return false;
	if (a->cfg->permit_root_login == HS_ROOT_FORCED_ONLY)
		return o->command != NULL;
	return true;
}

static hs_err
lookup(struct hs_auth_ctx *a, const struct hs_userauth_req *req, struct hs_authkey *ak)
{
	struct hs_authkeys_query q = {
		.user = a->pw.pw_name, .uid = a->pw.pw_uid, .gid = a->pw.pw_gid, .home = a->pw.pw_dir,
		.files = (const char *const *)a->cfg->ak_files, .n_files = a->cfg->n_ak_files,
		.strict_modes = a->cfg->strict_modes != 0, .client_ip = a->cn->peer_ip,
		.blob = req->blob, .blob_len = req->blob_len,
	};

	return hs_authkeys_find(&q, ak);
}

static hs_err
verify(struct hs_auth_ctx *a, const struct hs_userauth_req *req, const struct hs_key *k,
    bool *ok)
{
	struct hs_buf *d = NULL;
	enum hs_sig_alg used = HS_SIG_UNKNOWN;
	hs_err r;

	*ok = false;
	HS_GUARD(hs_buf_new(HS_MAX_PACKET, &d));
	HS_GUARD_GOTO(signed_data(a, req, d), r, out);
	r = hs_key_verify(k, req->sig, req->sig_len, hs_buf_ptr(d), hs_buf_len(d), &used);
	if (r != HS_OK) {
		hs_verbose("publickey: signature check failed: %s", hs_err_str(r));
	} else if (used != hs_sig_alg_from_name(req->pk_alg, strlen(req->pk_alg))) {
		/* The signature's algorithm must be the one the request named (RFC 8332 3.2). */
		hs_verbose("publickey: signature algorithm %s differs from %s",
		    hs_sig_alg_name(used), req->pk_alg);
	} else {
		*ok = true;
	}
	r = HS_OK;
out:
	hs_buf_free(d);
	return r;
}

hs_err
hs_auth_pubkey(struct hs_auth_ctx *a, const struct hs_userauth_req *req, enum hs_auth_result *res)
{
	struct hs_key *k = NULL;
	struct hs_authkey ak;
	bool ok = false;
	hs_err r;

	memset(&ak, 0, sizeof(ak));
	*res = HS_AUTH_FAIL;
	if (hs_key_from_blob(req->blob, req->blob_len, &k) != HS_OK) {
		hs_verbose("publickey: cannot decode the offered key");
		return HS_OK;
	}
	describe_key(a, k);
	HS_ENSURE_GOTO(a->valid_user && alg_acceptable(a, req, k), HS_OK, r, out);
	HS_ENSURE_GOTO(lookup(a, req, &ak) == HS_OK, HS_OK, r, out);
	if (!root_allowed(a, &ak.opts)) {
		hs_log(HS_LOG_INFO, "ROOT LOGIN REFUSED FROM %s port %d", a->cn->peer_ip,
		    a->cn->peer_port);
		HS_ENSURE_GOTO(false, HS_OK, r, out);
	}
	if (!req->has_sig) {
		HS_GUARD_GOTO(send_pk_ok(a, req), r, out);
		*res = HS_AUTH_PK_OK;
		HS_ENSURE_GOTO(false, HS_OK, r, out);
	}
	HS_GUARD_GOTO(verify(a, req, k, &ok), r, out);
	if (ok) {
		*res = HS_AUTH_SUCCESS;
		a->key_opts = ak.opts;		/* moved: the session needs them */
		memset(&ak.opts, 0, sizeof(ak.opts));
	}
	r = HS_OK;
out:
	hs_authkey_clear(&ak);
	hs_key_free(k);
	return r;
}
