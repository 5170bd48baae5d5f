/* auth_server_account.c: the monitor's side of user authentication: who the user is, whether the
 * account may log in at all, and the log lines an OpenSSH administrator greps for. The network
 * child only learns valid/invalid (sandbox/hs_monitor.h, AUTH_USER). */
#include <pwd.h>
#include <shadow.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "server_impl.h"

/* sshd raises these to INFO when they matter (success, password, invalid user, many failures). */
void
hs_auth_log_attempt(struct hs_auth_ctx *a, const char *verb, const char *method, bool loud)
{
	const struct hs_conn *cn = a->cn;
	enum hs_log_level lvl = loud || !a->valid_user || !strcmp(method, "password") ||
	    a->failures >= (unsigned)a->cfg->max_auth_tries / 2 ? HS_LOG_INFO : HS_LOG_VERBOSE;

	hs_log(lvl, "%s %s for %s%s from %s port %d ssh2%s%s", verb, method,
	    a->valid_user ? "" : "invalid user ", a->user, cn->peer_ip, cn->peer_port,
	    a->method_detail[0] ? ": " : "", a->method_detail);
}

static hs_err
copy_passwd(struct hs_auth_ctx *a, const struct passwd *pw)
{
	a->pw.pw_name = hs_strdup(pw->pw_name);
	a->pw.pw_dir = hs_strdup(pw->pw_dir);
	a->pw.pw_shell = hs_strdup(pw->pw_shell && pw->pw_shell[0] ? pw->pw_shell : "/bin/sh");
	a->pw.pw_passwd = hs_strdup(pw->pw_passwd ? pw->pw_passwd : "");
	a->pw.pw_uid = pw->pw_uid;
	a->pw.pw_gid = pw->pw_gid;
	HS_ENSURE(a->pw.pw_name && a->pw.pw_dir && a->pw.pw_shell && a->pw.pw_passwd, HS_ERR_ALLOC);
	return HS_OK;
}

/* The account checks sshd makes itself or through pam_unix's account module. An expired account
 * (shadow field 8, days since the epoch) is refused whatever UsePAM says: sshd checks it without
 * PAM and pam_unix does with it. A locked one ("!" or "*LK*" password) is refused only with
 * UsePAM no, as sshd leaves the lock to PAM otherwise (key logins to locked accounts then work,
 * which Debian's key-only service accounts rely on). */
static bool
account_usable(const struct hs_auth_ctx *a)
{
	struct spwd *sp = getspnam(a->pw.pw_name);
	long today = (long)(time(NULL) / 86400);

	if (sp == NULL)
		return true;
	if (sp->sp_expire != -1 && today >= sp->sp_expire) {
		hs_log(HS_LOG_INFO, "User %s not allowed because account has expired",
		    a->pw.pw_name);
		return false;
	}
	if (!a->cfg->use_pam && sp->sp_pwdp != NULL &&
	    (sp->sp_pwdp[0] == '!' || strncmp(sp->sp_pwdp, "*LK*", 4) == 0)) {
		hs_log(HS_LOG_INFO, "User %s not allowed because account is locked", a->pw.pw_name);
		return false;
	}
	return true;
}

hs_err
hs_auth_bind_user(struct hs_auth_ctx *a, const char *user, const char *service)
{
	struct passwd *pw;

	HS_ENSURE(a->user == NULL, HS_ERR_PROTOCOL);	/* the state machine allows one AUTH_USER */
	a->user = hs_strdup(user);
	a->service = hs_strdup(service);
	HS_ENSURE(a->user != NULL && a->service != NULL, HS_ERR_ALLOC);
	pw = strcmp(service, "ssh-connection") == 0 ? getpwnam(user) : NULL;
	a->valid_user = pw != NULL;
	if (pw == NULL) {
		hs_log(HS_LOG_INFO, "Invalid user %s from %s port %d", user, a->cn->peer_ip,
		    a->cn->peer_port);
		return HS_OK;
	}
	HS_GUARD(copy_passwd(a, pw));
	/* An unusable account fails every method the way an unknown user does. */
	a->valid_user = account_usable(a);
	return HS_OK;
}
