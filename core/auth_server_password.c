/* auth_server_password.c: the "password" method on the server (RFC 4252 8) against the shadow
 * file with crypt(3). Unknown users and refused root logins cost the same crypt as a real check. */
#include <crypt.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>

#include "hs_ct.h"
#include "hs_log.h"
#include "hs_mem.h"
#include "server_impl.h"

/* A setting string for the system's default hash with a fresh salt, so that checking an unknown
 * user costs what checking a real one does. Falls back to SHA-512 crypt. */
static const char *
dummy_setting(char *buf, size_t n)
{
	if (crypt_gensalt_rn(NULL, 0, NULL, 0, buf, (int)n) != NULL)
		return buf;
	return "$6$hardsshdummysal$";
}

/* The stored hash for the user, or NULL when there is none to check against. */
static char *
stored_hash(const struct hs_auth_ctx *a)
{
	struct spwd *sp;
	const char *h = NULL;

	if (!a->valid_user)
		return NULL;
	sp = getspnam(a->pw.pw_name);
	if (sp != NULL && sp->sp_pwdp != NULL)
		h = sp->sp_pwdp;
	else if (a->pw.pw_passwd != NULL && strcmp(a->pw.pw_passwd, "x") != 0)
		h = a->pw.pw_passwd;
	return h ? hs_strdup(h) : NULL;
}

/* crypt(password, setting) compared with expect over the full strings. */
static bool
check_hash(const char *password, const char *setting, const char *expect)
{
	struct crypt_data *cd = hs_calloc(1, sizeof(*cd));
	const char *got;
	bool ok = false;

	if (cd == NULL)
		return false;
	got = crypt_r(password, setting, cd);
	if (got != NULL && got[0] != '*' && expect != NULL) {
		size_t gl = strlen(got), el = strlen(expect);

		/* Lengths are public (they follow from the hash method); the bytes are compared in
		 * constant time. */
		ok = gl == el && hs_ct_memeq(got, expect, gl);
	}
	hs_free_wiped(cd, sizeof(*cd));
	return ok;
}

hs_err
hs_auth_password(struct hs_auth_ctx *a, const struct hs_userauth_req *req,
    enum hs_auth_result *res)
{
	char dummy[CRYPT_GENSALT_OUTPUT_SIZE];
	char *hash = stored_hash(a);
	bool empty_ok = a->cfg->permit_empty_passwords != 0, ok;
	bool allowed = a->valid_user;

	*res = HS_AUTH_FAIL;
	if (req->change) {
		/* Password change requests are not supported; they fail (RFC 4252 8 allows it). */
		hs_verbose("password change not supported");
		allowed = false;
	}
	if (a->valid_user && a->pw.pw_uid == 0 && a->cfg->permit_root_login != HS_ROOT_YES) {
		/* Logged at the policy decision, as sshd does, so the log never tells whether the
		 * refused root password was right. */
		hs_log(HS_LOG_INFO, "ROOT LOGIN REFUSED FROM %s port %d", a->cn->peer_ip,
		    a->cn->peer_port);
		allowed = false;
	}
	if (hash == NULL || hash[0] == '\0')
		allowed = allowed && empty_ok;
	if (req->password[0] == '\0' && !empty_ok)
		allowed = false;
	if (hash != NULL && hash[0] == '\0') {
		ok = empty_ok && req->password[0] == '\0';
		(void)check_hash(req->password, dummy_setting(dummy, sizeof(dummy)), NULL);
	} else if (hash != NULL && hash[0] != '!' && hash[0] != '*') {
		ok = check_hash(req->password, hash, hash);
	} else {
		/* No usable hash (unknown or locked user): spend the same time, then fail. */
		(void)check_hash(req->password, dummy_setting(dummy, sizeof(dummy)), NULL);
		ok = false;
	}
	if (ok && allowed)
		*res = HS_AUTH_SUCCESS;
	if (hash != NULL)
		hs_free_wiped(hash, strlen(hash));
	return HS_OK;
}
