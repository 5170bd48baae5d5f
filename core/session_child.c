/* session_child.c: the server's child process for a session: pty allocation, the clean
 * environment, dropping privileges, exec of the user's shell. */
#include <errno.h>
#include <fcntl.h>
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
#define DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin:/usr/games"

hs_err
hs_srv_pty_open(struct srv_sess *s, const uint8_t *modes, size_t modes_len)
{
	struct termios tio;
	struct group *gr;
	int ptm, pts;

	if (openpty(&ptm, &pts, NULL, NULL, &s->ws) != 0) {
		hs_error("openpty: %s", strerror(errno));
		return HS_ERR_IO;
	}
	(void)fcntl(ptm, F_SETFD, FD_CLOEXEC);
	(void)fcntl(pts, F_SETFD, FD_CLOEXEC);
	if (ttyname_r(pts, s->tty_name, sizeof(s->tty_name)) != 0)
		snprintf(s->tty_name, sizeof(s->tty_name), "?");
	/* RFC 4254 8: unknown or bad modes are ignored, the pty stays usable. */
	if (tcgetattr(pts, &tio) == 0) {
		if (hs_ttymodes_decode(modes, modes_len, &tio) != HS_OK)
			hs_debug("ignoring malformed terminal modes");
		(void)tcsetattr(pts, TCSANOW, &tio);
	}
	if (s->sc->pol->drop_privileges) {
		gr = getgrnam("tty");
		if (chown(s->tty_name, s->sc->u->uid, gr ? gr->gr_gid : s->sc->u->gid) != 0 ||
		    chmod(s->tty_name, gr ? 0620 : 0600) != 0)
			hs_error("setting owner of %s: %s", s->tty_name, strerror(errno));
	}
	s->ptm = ptm;
	s->pts = pts;
	return HS_OK;
}

/* Set NAME=value in env, replacing an earlier value of NAME. */
static hs_err
env_put(char **env, size_t *n, const char *name, const char *value)
{
	size_t i, nl = strlen(name);
	char *e;

	if (value == NULL)
		return HS_OK;
	HS_ENSURE(asprintf(&e, "%s=%s", name, value) >= 0, HS_ERR_ALLOC);
	for (i = 0; i < *n; i++) {
		if (strncmp(env[i], name, nl) == 0 && env[i][nl] == '=') {
			free(env[i]);
			env[i] = e;
			return HS_OK;
		}
	}
	if (*n + 1 >= CHILD_ENV_MAX) {
		free(e);
		return HS_ERR_TOO_LARGE;
	}
	env[(*n)++] = e;
	env[*n] = NULL;
	return HS_OK;
}

static void
env_free(char **env)
{
	size_t i;

	for (i = 0; env[i] != NULL; i++)
		hs_free_wiped(env[i], strlen(env[i]));
}

/* SSH_CLIENT is "client_ip client_port server_port", from SSH_CONNECTION's four fields. */
static hs_err
env_ssh_client(char **env, size_t *n, const char *conn)
{
	char cip[64], cport[16], sip[64], sport[16], v[160];

	if (conn == NULL || sscanf(conn, "%63s %15s %63s %15s", cip, cport, sip, sport) != 4)
		return HS_OK;
	snprintf(v, sizeof(v), "%s %s %s", cip, cport, sport);
	return env_put(env, n, "SSH_CLIENT", v);
}

static hs_err
env_build(const struct srv_sess *s, const char *original, char **env)
{
	const struct hs_session_user *u = s->sc->u;
	char mail[256];
	const char *eq;
	char name[256];
	size_t n = 0, i;

	env[0] = NULL;
	snprintf(mail, sizeof(mail), "/var/mail/%s", u->name);
	HS_GUARD(env_put(env, &n, "USER", u->name));
	HS_GUARD(env_put(env, &n, "LOGNAME", u->name));
	HS_GUARD(env_put(env, &n, "HOME", u->home));
	HS_GUARD(env_put(env, &n, "PATH", DEFAULT_PATH));
	HS_GUARD(env_put(env, &n, "MAIL", mail));
	HS_GUARD(env_put(env, &n, "SHELL", u->shell));
	/* Accepted client variables may not override who we say the user is. */
	for (i = 0; i < s->nenv; i++) {
		eq = strchr(s->env[i], '=');
		if (eq == NULL || (size_t)(eq - s->env[i]) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - s->env[i]), s->env[i]);
		HS_GUARD(env_put(env, &n, name, eq + 1));
	}
	HS_GUARD(env_put(env, &n, "SSH_CONNECTION", s->sc->pol->ssh_connection));
	HS_GUARD(env_ssh_client(env, &n, s->sc->pol->ssh_connection));
	if (s->pty) {
		HS_GUARD(env_put(env, &n, "SSH_TTY", s->tty_name));
		HS_GUARD(env_put(env, &n, "TERM", s->term));
	}
	return env_put(env, &n, "SSH_ORIGINAL_COMMAND", original);
}

static void __attribute__((noreturn))
child_fail(const char *what)
{
	char msg[256];
	int n;

	n = snprintf(msg, sizeof(msg), "hsshd: %s: %s\n", what, strerror(errno));
	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
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
child_stdio(const struct srv_sess *s, const int *fds)
{
	int i;

	if (s->pty) {
		(void)close(s->ptm);
		if (ioctl(s->pts, TIOCSCTTY, 0) != 0)
			child_fail("TIOCSCTTY");
		for (i = 0; i < 3; i++)
			if (dup2(s->pts, i) < 0)
				child_fail("dup2");
		return;
	}
	for (i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			child_fail("dup2");
}

static void __attribute__((noreturn))
child_exec(const struct srv_sess *s, const char *command, char **env, const int *fds)
{
	const struct hs_session_user *u = s->sc->u;
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
	child_stdio(s, fds);
	if (s->sc->pol->drop_privileges)
		child_drop(u);
	if (u->home == NULL || chdir(u->home) != 0) {
		if (chdir("/") != 0)
			child_fail("chdir");
	}
	closefrom(3);
	/* A login shell is told so by a leading '-' in argv[0]. */
	snprintf(argv0, sizeof(argv0), "%s%s", command ? "" : "-", base);
	argv[0] = argv0;
	argv[1] = command ? "-c" : NULL;
	argv[2] = (char *)command;
	argv[3] = NULL;
	execve(shell, argv, env);
	child_fail(shell);
}

static void
close_pair(int *p)
{
	if (p[0] >= 0)
		(void)close(p[0]);
	if (p[1] >= 0)
		(void)close(p[1]);
	p[0] = p[1] = -1;
}

hs_err
hs_srv_spawn(struct srv_sess *s, const char *command, const char *original)
{
	char *env[CHILD_ENV_MAX + 1];
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int child_fds[3];
	hs_err r;
	pid_t pid;

	env[0] = NULL;
	HS_GUARD_GOTO(env_build(s, original, env), r, fail);
	if (!s->pty && (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 ||
	    pipe2(err, O_CLOEXEC) != 0)) {
		hs_error("pipe: %s", strerror(errno));
		HS_GUARD_GOTO(HS_ERR_IO, r, fail);
	}
	child_fds[0] = in[0];
	child_fds[1] = out[1];
	child_fds[2] = err[1];
	if ((pid = fork()) < 0) {
		hs_error("fork: %s", strerror(errno));
		HS_GUARD_GOTO(HS_ERR_IO, r, fail);
	}
	if (pid == 0)
		child_exec(s, command, env, child_fds);
	s->pid = pid;
	s->ch->hold_eof = true;	/* session_server.c sends exit-status, then EOF */
	if (s->pty) {
		(void)close(s->pts);
		s->pts = -1;
		s->ch->tty = true;
		r = hs_chan_attach(s->ch, s->ptm, s->ptm, -1, false, false);
	} else {
		(void)close(in[0]);
		(void)close(out[1]);
		(void)close(err[1]);
		r = hs_chan_attach(s->ch, out[0], in[1], err[0], false, false);
	}
	env_free(env);
	return r;
fail:
	close_pair(in);
	close_pair(out);
	close_pair(err);
	env_free(env);
	return r;
}
