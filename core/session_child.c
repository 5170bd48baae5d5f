/* session_child.c: starting a session's program (hs_session_spawn): pty allocation, the clean
 * environment, dropping privileges, exec of the user's shell. The policy (forced command, no-pty,
 * AcceptEnv) is applied here, so a caller that passes a request it did not check (hsshd's
 * sandboxed post-auth process, through the monitor) cannot get around it. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "session_impl.h"

#define CHILD_ENV_MAX	(16 + SRV_ENV_MAX)
#define ENV_NAME_MAX	256
#define DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin:/usr/games"

/* One start in progress: the request after policy, and every fd it owns until the fork. */
struct spawn {
	const struct hs_session_user *u;
	const struct hs_session_policy *pol;
	const struct hs_spawn_req *req;
	const char *command;		/* what runs: the forced command, req->command or NULL */
	const char *original;		/* SSH_ORIGINAL_COMMAND, or NULL */
	int ptm, pts;
	int in[2], out[2], err[2];
	char tty_name[64];
	char *env[CHILD_ENV_MAX + 1];
};

/* Variables a client may never set, whatever AcceptEnv says: they name the user and the
 * connection, and the program may trust them. */
static const char *const env_protected[] = {
	"USER", "LOGNAME", "HOME", "SHELL", "MAIL",
	"SSH_CONNECTION", "SSH_CLIENT", "SSH_TTY", "SSH_ORIGINAL_COMMAND",
};

bool
hs_session_env_accepted(const struct hs_session_policy *pol, const char *name)
{
	const char *const *p;

	if (pol->accept_env == NULL || strchr(name, '=') != NULL || name[0] == '\0')
		return false;
	for (p = pol->accept_env; *p != NULL; p++)
		if (fnmatch(*p, name, 0) == 0)
			return true;
	return false;
}

/* RFC 4254 6.2: a pty with the requested size and modes; the slave is given to the user. */
static hs_err
spawn_pty(struct spawn *sp)
{
	const struct hs_spawn_req *req = sp->req;
	struct winsize ws = {
		.ws_col = (unsigned short)req->cols, .ws_row = (unsigned short)req->rows,
		.ws_xpixel = (unsigned short)req->width_px,
		.ws_ypixel = (unsigned short)req->height_px,
	};
	struct termios tio;
	struct group *gr;

	if (openpty(&sp->ptm, &sp->pts, NULL, NULL, &ws) != 0) {
		sp->ptm = sp->pts = -1;
		hs_error("openpty: %s", strerror(errno));
		return HS_ERR_IO;
	}
	(void)fcntl(sp->ptm, F_SETFD, FD_CLOEXEC);
	(void)fcntl(sp->pts, F_SETFD, FD_CLOEXEC);
	if (ttyname_r(sp->pts, sp->tty_name, sizeof(sp->tty_name)) != 0)
		snprintf(sp->tty_name, sizeof(sp->tty_name), "?");
	/* RFC 4254 8: unknown or bad modes are ignored, the pty stays usable. */
	if (tcgetattr(sp->pts, &tio) == 0) {
		if (hs_ttymodes_decode(req->modes, req->modes_len, &tio) != HS_OK)
			hs_debug("ignoring malformed terminal modes");
		(void)tcsetattr(sp->pts, TCSANOW, &tio);
	}
	if (sp->pol->drop_privileges) {
		gr = getgrnam("tty");
		if (fchown(sp->pts, sp->u->uid, gr ? gr->gr_gid : sp->u->gid) != 0 ||
		    fchmod(sp->pts, gr ? 0620 : 0600) != 0)
			hs_error("setting owner of %s: %s", sp->tty_name, strerror(errno));
	}
	return HS_OK;
}

/* Set NAME=value in env, replacing an earlier value of NAME. */
static hs_err
env_put(char **env, const char *name, const char *value)
{
	size_t i, nl = strlen(name);
	char *e;

	if (value == NULL)
		return HS_OK;
	HS_ENSURE(asprintf(&e, "%s=%s", name, value) >= 0, HS_ERR_ALLOC);
	for (i = 0; env[i] != NULL; i++) {
		if (strncmp(env[i], name, nl) == 0 && env[i][nl] == '=') {
			hs_free_wiped(env[i], strlen(env[i]));
			env[i] = e;
			return HS_OK;
		}
	}
	if (i >= CHILD_ENV_MAX) {
		hs_free_wiped(e, strlen(e));
		return HS_ERR_TOO_LARGE;
	}
	env[i] = e;
	env[i + 1] = NULL;
	return HS_OK;
}

static void
env_free(char **env)
{
	size_t i;

	for (i = 0; env[i] != NULL; i++)
		hs_free_wiped(env[i], strlen(env[i]));
	env[0] = NULL;
}

/* SSH_CLIENT is "client_ip client_port server_port", from SSH_CONNECTION's four fields. */
static hs_err
env_ssh_client(char **env, const char *conn)
{
	char cip[64], cport[16], sip[64], sport[16], v[160];

	if (conn == NULL || sscanf(conn, "%63s %15s %63s %15s", cip, cport, sip, sport) != 4)
		return HS_OK;
	snprintf(v, sizeof(v), "%s %s %s", cip, cport, sport);
	return env_put(env, "SSH_CLIENT", v);
}

static bool
env_is_protected(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(env_protected) / sizeof(env_protected[0]); i++)
		if (strcmp(env_protected[i], name) == 0)
			return true;
	return false;
}

/* RFC 4254 6.4: the client's "NAME=value" strings that AcceptEnv allows, at most SRV_ENV_MAX. */
static hs_err
env_client(const struct spawn *sp, char **env)
{
	const char *const *e;
	const char *eq;
	char name[ENV_NAME_MAX];
	size_t n = 0;

	for (e = sp->req->env; e != NULL && *e != NULL && n < SRV_ENV_MAX; e++) {
		eq = strchr(*e, '=');
		if (eq == NULL || (size_t)(eq - *e) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - *e), *e);
		if (!hs_session_env_accepted(sp->pol, name) || env_is_protected(name)) {
			hs_debug("not passing environment variable %s", name);
			continue;
		}
		HS_GUARD(env_put(env, name, eq + 1));
		n++;
	}
	return HS_OK;
}

static hs_err
env_build(struct spawn *sp)
{
	const struct hs_session_user *u = sp->u;
	char **env = sp->env;
	char mail[256];

	snprintf(mail, sizeof(mail), "/var/mail/%s", u->name);
	HS_GUARD(env_put(env, "USER", u->name));
	HS_GUARD(env_put(env, "LOGNAME", u->name));
	HS_GUARD(env_put(env, "HOME", u->home));
	HS_GUARD(env_put(env, "PATH", DEFAULT_PATH));
	HS_GUARD(env_put(env, "MAIL", mail));
	HS_GUARD(env_put(env, "SHELL", u->shell));
	HS_GUARD(env_client(sp, env));
	HS_GUARD(env_put(env, "SSH_CONNECTION", sp->pol->ssh_connection));
	HS_GUARD(env_ssh_client(env, sp->pol->ssh_connection));
	if (sp->req->pty) {
		HS_GUARD(env_put(env, "SSH_TTY", sp->tty_name));
		HS_GUARD(env_put(env, "TERM", sp->req->term));
	}
	return env_put(env, "SSH_ORIGINAL_COMMAND", sp->original);
}

static void __attribute__((noreturn))
child_fail(const char *what)
{
	char msg[256];
	size_t len;
	int n;

	n = snprintf(msg, sizeof(msg), "hsshd: %s: %s\n", what, strerror(errno));
	len = (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1;
	if (n > 0)
		(void)!write(STDERR_FILENO, msg, len);
	_exit(1);
}

/* In the child: become the user, verifying the change cannot be undone. */
static void
child_drop(const struct hs_session_user *u)
{
	if (setgid(u->gid) != 0)
		child_fail("setgid");
	if (initgroups(u->name, u->gid) != 0)
		child_fail("initgroups");
	if (setuid(u->uid) != 0)
		child_fail("setuid");
	if (u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		errno = EPERM;
		child_fail("privileges could be regained");
	}
}

/* In the child: stdio from the pty (as controlling terminal) or the three pipe ends. */
static void
child_stdio(const struct spawn *sp)
{
	const int fds[3] = { sp->in[0], sp->out[1], sp->err[1] };
	int i;

	if (sp->pts >= 0) {
		(void)close(sp->ptm);
		if (ioctl(sp->pts, TIOCSCTTY, 0) != 0)
			child_fail("TIOCSCTTY");
		for (i = 0; i < 3; i++)
			if (dup2(sp->pts, i) < 0)
				child_fail("dup2");
		return;
	}
	for (i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			child_fail("dup2");
}

static void __attribute__((noreturn))
child_exec(const struct spawn *sp)
{
	const struct hs_session_user *u = sp->u;
	const char *shell = (u->shell && u->shell[0]) ? u->shell : "/bin/sh";
	const char *base = strrchr(shell, '/') ? strrchr(shell, '/') + 1 : shell;
	char argv0[256];
	char *argv[4];
	sigset_t none;
	int i;

	for (i = 1; i < NSIG; i++)
		(void)signal(i, SIG_DFL);
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() < 0)
		child_fail("setsid");
	child_stdio(sp);
	if (sp->pol->drop_privileges)
		child_drop(u);
	if (u->home == NULL || chdir(u->home) != 0) {
		if (chdir("/") != 0)
			child_fail("chdir");
	}
	closefrom(3);
	/* A login shell is told so by a leading '-' in argv[0]. */
	snprintf(argv0, sizeof(argv0), "%s%s", sp->command ? "" : "-", base);
	argv[0] = argv0;
	argv[1] = sp->command ? "-c" : NULL;
	argv[2] = (char *)sp->command;
	argv[3] = NULL;
	execve(shell, argv, sp->env);
	child_fail(shell);
}

static void
close_fd(int *fd)
{
	if (*fd >= 0)
		(void)close(*fd);
	*fd = -1;
}

static void
spawn_close(struct spawn *sp)
{
	int i;

	close_fd(&sp->ptm);
	close_fd(&sp->pts);
	for (i = 0; i < 2; i++) {
		close_fd(&sp->in[i]);
		close_fd(&sp->out[i]);
		close_fd(&sp->err[i]);
	}
}

/* What runs, after the policy: a forced command replaces the client's, which the program then
 * finds in SSH_ORIGINAL_COMMAND. */
static hs_err
spawn_policy(struct spawn *sp)
{
	if (sp->req->pty && sp->pol->no_pty) {
		hs_verbose("pty refused for %s by policy", sp->u->name);
		return HS_ERR_PERM;
	}
	sp->command = sp->req->command;
	if (sp->pol->forced_command != NULL) {
		sp->command = sp->pol->forced_command;
		sp->original = sp->req->command;
	}
	return HS_OK;
}

/* Our ends into res; the child's ends are closed. */
static void
spawn_result(struct spawn *sp, pid_t pid, struct hs_spawn_res *res)
{
	res->pid = pid;
	res->ptm = sp->ptm;
	res->in = sp->in[1];
	res->out = sp->out[0];
	res->err = sp->err[0];
	snprintf(res->tty_name, sizeof(res->tty_name), "%s", sp->req->pty ? sp->tty_name : "");
	sp->ptm = sp->in[1] = sp->out[0] = sp->err[0] = -1;
	spawn_close(sp);
}

hs_err
hs_session_spawn(const struct hs_session_user *u, const struct hs_session_policy *pol,
    const struct hs_spawn_req *req, struct hs_spawn_res *res)
{
	struct spawn sp = { .u = u, .pol = pol, .req = req, .ptm = -1, .pts = -1,
	    .in = { -1, -1 }, .out = { -1, -1 }, .err = { -1, -1 } };
	hs_err r;
	pid_t pid;

	*res = (struct hs_spawn_res){ .pid = 0, .ptm = -1, .in = -1, .out = -1, .err = -1 };
	sp.env[0] = NULL;
	HS_GUARD_GOTO(spawn_policy(&sp), r, out);
	if (req->pty)
		HS_GUARD_GOTO(spawn_pty(&sp), r, out);
	else if (pipe2(sp.in, O_CLOEXEC) != 0 || pipe2(sp.out, O_CLOEXEC) != 0 ||
	    pipe2(sp.err, O_CLOEXEC) != 0) {
		hs_error("pipe: %s", strerror(errno));
		HS_GUARD_GOTO(HS_ERR_IO, r, out);
	}
	HS_GUARD_GOTO(env_build(&sp), r, out);
	if ((pid = fork()) < 0) {
		hs_error("fork: %s", strerror(errno));
		HS_GUARD_GOTO(HS_ERR_IO, r, out);
	}
	if (pid == 0)
		child_exec(&sp);
	spawn_result(&sp, pid, res);
	r = HS_OK;
out:
	spawn_close(&sp);
	env_free(sp.env);
	return r;
}
