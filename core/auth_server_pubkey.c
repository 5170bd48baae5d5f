/* auth_server_pubkey.c: the monitor's half of the "publickey" method (RFC 4252 7; RFC 8332 3.2 for
 * the rsa-sha2 names): authorized_keys lookup and signature verification. The signed data has been
 * checked against this session by the monitor's state machine (sandbox/monitor_state.c). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hs_algs.h"
#include "hs_buf.h"
#include "hs_log.h"
#include "hs_ssh.h"
#include "server_impl.h"

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
	enum hs_sig_alg used = HS_SIG_UNKNOWN;
	hs_err r;

	*ok = false;
	r = hs_key_verify(k, req->sig, req->sig_len, req->signed_data, req->signed_len, &used);
	if (r != HS_OK) {
		hs_verbose("publickey: signature check failed: %s", hs_err_str(r));
	} else if (used != hs_sig_alg_from_name(req->pk_alg, strlen(req->pk_alg))) {
		/* The signature's algorithm must be the one the request named (RFC 8332 3.2). */
		hs_verbose("publickey: signature algorithm %s differs from %s",
		    hs_sig_alg_name(used), req->pk_alg);
	} else {
		*ok = true;
	}
	return HS_OK;
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
