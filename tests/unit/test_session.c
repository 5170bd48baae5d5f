/* test_session.c: hs_session_spawn, the start of a session's program with the policy applied
 * (forced command, no-pty, AcceptEnv), on pipes and on a pty; and hs_server_session_run with a
 * spawner (as hsshd's monitor provides), driven by OpenSSH's ssh. Real processes (/bin/sh,
 * /usr/bin/ssh), no mocks. Runs as any user: privileges are only dropped in the root-only test. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "hs_provider.h"
#include "hs_session.h"
#include "hs_ssh.h"
#include "hs_transport.h"
#include "session_impl.h"

#define OUT_MAX 8192

static struct hs_session_user user;
static char user_name[64], user_home[256];

static void
user_init(void)
{
	struct passwd *pw = getpwuid(getuid());

	assert_non_null(pw);
	snprintf(user_name, sizeof(user_name), "%s", pw->pw_name);
	snprintf(user_home, sizeof(user_home), "%s", pw->pw_dir);
	user = (struct hs_session_user){ .name = user_name, .uid = pw->pw_uid, .gid = pw->pw_gid,
	    .home = user_home, .shell = "/bin/sh" };
}

static struct hs_session_policy
policy(void)
{
	return (struct hs_session_policy){ .ssh_connection = "192.0.2.7 40000 192.0.2.1 22" };
}

/* Everything fd yields until EOF (pipe) or EIO (pty master once the slave is gone); fails the
 * test if nothing arrives for 10 s. */
static size_t
read_all(int fd, char *buf, size_t cap)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t n = 0;
	ssize_t k;

	for (;;) {
		assert_true(n < cap - 1);
		assert_int_equal(poll(&p, 1, 10000), 1);
		k = read(fd, buf + n, cap - 1 - n);
		if (k == 0 || (k < 0 && errno == EIO))
			break;
		assert_true(k > 0);
		n += (size_t)k;
	}
	buf[n] = '\0';
	return n;
}

static int
wait_status(pid_t pid)
{
	int st = -1;

	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void
close_res(struct hs_spawn_res *res)
{
	int *fds[] = { &res->ptm, &res->in, &res->out, &res->err };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (*fds[i] >= 0)
			(void)close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Run req under pol on pipes, with stdin closed; stdout into out, the exit status returned. */
static int
run_pipes(const struct hs_session_policy *pol, const struct hs_spawn_req *req, char *out)
{
	struct hs_spawn_res res;
	char err[OUT_MAX];
	int st;

	assert_int_equal(hs_session_spawn(&user, pol, req, &res), HS_OK);
	assert_true(res.pid > 0);
	assert_int_equal(res.ptm, -1);
	assert_string_equal(res.tty_name, "");
	(void)close(res.in);
	res.in = -1;
	read_all(res.out, out, OUT_MAX);
	read_all(res.err, err, sizeof(err));
	st = wait_status(res.pid);
	close_res(&res);
	return st;
}

static void
test_pipes_echo(void **state)
{
	struct hs_session_policy pol = policy();
	struct hs_spawn_req req = { .command = "echo hi" };
	char out[OUT_MAX];

	assert_int_equal(run_pipes(&pol, &req, out), 0);
	assert_string_equal(out, "hi\n");
}

static void
test_exit_status(void **state)
{
	struct hs_session_policy pol = policy();
	struct hs_spawn_req req = { .command = "exit 3" };
	char out[OUT_MAX];
	int st = run_pipes(&pol, &req, out);

	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
}

/* Our ends do not leak into other programs we start. */
static void
test_fds_cloexec(void **state)
{
	struct hs_session_policy pol = policy();
	struct hs_spawn_req req = { .command = "cat" };
	struct hs_spawn_res res;
	char out[OUT_MAX];

	assert_int_equal(hs_session_spawn(&user, &pol, &req, &res), HS_OK);
	assert_true(fcntl(res.in, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(res.out, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(res.err, F_GETFD) & FD_CLOEXEC);
	/* stdin reaches the program: cat echoes it back. */
	assert_int_equal(write(res.in, "ping\n", 5), 5);
	(void)close(res.in);
	res.in = -1;
	read_all(res.out, out, sizeof(out));
	assert_string_equal(out, "ping\n");
	assert_int_equal(wait_status(res.pid), 0);
	close_res(&res);
}

/* No command: the user's shell as a login shell, reading commands from stdin. */
static void
test_shell_reads_stdin(void **state)
{
	struct hs_session_policy pol = policy();
	struct hs_spawn_req req = { .command = NULL };
	struct hs_spawn_res res;
	char out[OUT_MAX], err[OUT_MAX];
	const char *in = "echo \"from stdin $0\"\nexit 0\n";

	assert_int_equal(hs_session_spawn(&user, &pol, &req, &res), HS_OK);
	assert_int_equal(write(res.in, in, strlen(in)), (ssize_t)strlen(in));
	(void)close(res.in);
	res.in = -1;
	read_all(res.out, out, sizeof(out));
	read_all(res.err, err, sizeof(err));
	assert_non_null(strstr(out, "from stdin -sh\n"));
	assert_int_equal(wait_status(res.pid), 0);
	close_res(&res);
}

static void
test_forced_command(void **state)
{
	struct hs_session_policy pol = policy();
	struct hs_spawn_req req = { .command = "echo BAD" };
	char out[OUT_MAX];

	pol.forced_command = "echo \"$SSH_ORIGINAL_COMMAND\"";
	assert_int_equal(run_pipes(&pol, &req, out), 0);
	/* The client's command was not run, only handed over. */
	assert_string_equal(out, "echo BAD\n");

	/* A shell request under a forced command: the command runs, with no original. */
	req.command = NULL;
	pol.forced_command = "echo \"[${SSH_ORIGINAL_COMMAND-unset}]\"";
	assert_int_equal(run_pipes(&pol, &req, out), 0);
	assert_string_equal(out, "[unset]\n");
}

/* A client cannot hand in SSH_ORIGINAL_COMMAND itself when there is no forced command. */
static void
test_original_command_not_from_client(void **state)
{
	struct hs_session_policy pol = policy();
	const char *env[] = { "SSH_ORIGINAL_COMMAND=evil", NULL };
	const char *accept[] = { "*", NULL };
	struct hs_spawn_req req = { .command = "echo \"[${SSH_ORIGINAL_COMMAND-unset}]\"",
	    .env = env };
	char out[OUT_MAX];

	pol.accept_env = accept;
	assert_int_equal(run_pipes(&pol, &req, out), 0);
	assert_string_equal(out, "[unset]\n");
}

static void
test_no_pty_refused(void **state)
{
	struct hs_session_policy pol = policy();
	struct hs_spawn_req req = { .command = "echo hi", .pty = true, .term = "xterm",
	    .cols = 80, .rows = 24 };
	struct hs_spawn_res res;
	char out[OUT_MAX];
	int st;

	pol.no_pty = true;
	res.pid = 1234;
	assert_int_equal(hs_session_spawn(&user, &pol, &req, &res), HS_ERR_PERM);
	assert_int_equal(res.pid, 0);
	assert_int_equal(res.ptm, -1);
	assert_int_equal(res.in, -1);
	assert_int_equal(res.out, -1);
	assert_int_equal(res.err, -1);
	/* No child was started. */
	errno = 0;
	assert_int_equal(waitpid(-1, &st, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);

	/* no-pty refuses only the pty: the same command on pipes runs. */
	req.pty = false;
	assert_int_equal(run_pipes(&pol, &req, out), 0);
	assert_string_equal(out, "hi\n");
}

/* Does "NAME=value\n" occur as a whole line in out? */
static bool
has_line(const char *out, const char *line)
{
	size_t len = strlen(line);
	const char *p;

	for (p = out; (p = strstr(p, line)) != NULL; p++)
		if ((p == out || p[-1] == '\n') && p[len] == '\n')
			return true;
	return false;
}

static void
test_env_filter(void **state)
{
	struct hs_session_policy pol = policy();
	const char *env[] = { "LANG=C.UTF-8", "LC_ALL=C", "FOO=bar", "USER=evil", "HOME=/evil",
	    "=empty", "NOEQUALS", NULL };
	const char *accept[] = { "LANG", "LC_*", "USER", "HOME", NULL };
	struct hs_spawn_req req = { .command = "env", .env = env };
	char out[OUT_MAX], line[320];

	pol.accept_env = accept;
	assert_int_equal(run_pipes(&pol, &req, out), 0);
	assert_true(has_line(out, "LANG=C.UTF-8"));
	assert_true(has_line(out, "LC_ALL=C"));
	assert_null(strstr(out, "FOO="));
	assert_null(strstr(out, "evil"));
	assert_null(strstr(out, "empty"));
	assert_null(strstr(out, "NOEQUALS"));
	snprintf(line, sizeof(line), "USER=%s", user.name);
	assert_true(has_line(out, line));
	snprintf(line, sizeof(line), "LOGNAME=%s", user.name);
	assert_true(has_line(out, line));
	snprintf(line, sizeof(line), "HOME=%s", user.home);
	assert_true(has_line(out, line));
	assert_true(has_line(out, "SHELL=/bin/sh"));
	assert_true(has_line(out, "SSH_CONNECTION=192.0.2.7 40000 192.0.2.1 22"));
	assert_true(has_line(out, "SSH_CLIENT=192.0.2.7 40000 22"));
	assert_null(strstr(out, "SSH_TTY="));
	assert_null(strstr(out, "TERM="));

	/* Without AcceptEnv nothing of the client's passes. */
	pol.accept_env = NULL;
	assert_int_equal(run_pipes(&pol, &req, out), 0);
	assert_null(strstr(out, "LANG="));
	assert_null(strstr(out, "LC_ALL="));
}

static void
test_env_accepted(void **state)
{
	struct hs_session_policy pol = policy();
	const char *accept[] = { "LANG", "LC_*", NULL };

	assert_false(hs_session_env_accepted(&pol, "LANG"));
	pol.accept_env = accept;
	assert_true(hs_session_env_accepted(&pol, "LANG"));
	assert_true(hs_session_env_accepted(&pol, "LC_CTYPE"));
	assert_false(hs_session_env_accepted(&pol, "LANGUAGE"));
	assert_false(hs_session_env_accepted(&pol, "LC_X=1"));
	assert_false(hs_session_env_accepted(&pol, ""));
}

/* Start req on a pty; the output read from the master into out, the exit status returned. */
static int
run_pty(const struct hs_session_policy *pol, const struct hs_spawn_req *req, char *out,
    char *tty_name)
{
	struct hs_spawn_res res;
	int st;

	assert_int_equal(hs_session_spawn(&user, pol, req, &res), HS_OK);
	assert_true(res.pid > 0);
	assert_true(res.ptm >= 0);
	assert_true(fcntl(res.ptm, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(res.in, -1);
	assert_int_equal(res.out, -1);
	assert_int_equal(res.err, -1);
	assert_int_equal(strncmp(res.tty_name, "/dev/pts/", 9), 0);
	strcpy(tty_name, res.tty_name);
	read_all(res.ptm, out, OUT_MAX);
	st = wait_status(res.pid);
	close_res(&res);
	return st;
}

static void
test_pty(void **state)
{
	struct hs_session_policy pol = policy();
	struct hs_spawn_req req = { .command = "tty; stty size; echo \"$TERM $SSH_TTY\"",
	    .pty = true, .term = "xterm-256color", .cols = 100, .rows = 30 };
	char out[OUT_MAX], want[OUT_MAX], tty[64];

	assert_int_equal(run_pty(&pol, &req, out, tty), 0);
	/* The pty is the controlling terminal, sized as asked, named in SSH_TTY; ONLCR is on. */
	snprintf(want, sizeof(want), "%s\r\n30 100\r\nxterm-256color %s\r\n", tty, tty);
	assert_string_equal(out, want);
}

static void
test_pty_modes(void **state)
{
	struct hs_session_policy pol = policy();
	/* RFC 4254 8: ONLCR (72) off, then TTY_OP_END. */
	static const uint8_t modes[] = { 72, 0, 0, 0, 0, 0 };
	/* A truncated argument: ignored, the pty stays usable with its defaults. */
	static const uint8_t bad[] = { 72, 0, 0 };
	struct hs_spawn_req req = { .command = "echo hi", .pty = true, .term = "vt100",
	    .modes = modes, .modes_len = sizeof(modes), .cols = 80, .rows = 24 };
	char out[OUT_MAX], tty[64];

	assert_int_equal(run_pty(&pol, &req, out, tty), 0);
	assert_string_equal(out, "hi\n");
	req.modes = bad;
	req.modes_len = sizeof(bad);
	assert_int_equal(run_pty(&pol, &req, out, tty), 0);
	assert_string_equal(out, "hi\r\n");
}

/* As root: the program runs as the user, who owns the pty slave (group tty, 0620). */
static void
test_drop_privileges(void **state)
{
	struct hs_session_policy pol = policy();
	struct hs_session_user saved = user;
	struct hs_spawn_req req = { .command = "id -u; id -g; stat -c '%u %a' \"$SSH_TTY\"",
	    .pty = true, .term = "vt100", .cols = 80, .rows = 24 };
	struct passwd *pw;
	char out[OUT_MAX], want[128], tty[64];

	if (getuid() != 0)
		skip();
	assert_non_null(pw = getpwnam("nobody"));
	user = (struct hs_session_user){ .name = "nobody", .uid = pw->pw_uid, .gid = pw->pw_gid,
	    .home = pw->pw_dir, .shell = "/bin/sh" };
	pol.drop_privileges = true;
	assert_int_equal(run_pty(&pol, &req, out, tty), 0);
	user = saved;
	snprintf(want, sizeof(want), "%u\r\n%u\r\n%u 620\r\n", (unsigned)pw->pw_uid,
	    (unsigned)pw->pw_gid, (unsigned)pw->pw_uid);
	assert_string_equal(out, want);
}

/* ---- hs_server_session_run with a spawner: a stand-in for hsshd's monitor in the server ----
 * The server process blocks SIGCHLD and offers a signalfd as the spawner's event fd, so exits are
 * seen only through reap, as in hsshd's post-auth process. The spawner starts programs with its own
 * ("trusted") policy, which may differ from the one the session runs with. */

#define TMO 20000

static struct hs_key *host_key;

struct e2e {
	struct hs_session_policy trusted;
	bool reap_fails;	/* reap reports the monitor gone */
	int sfd;
};

static hs_err
e2e_spawn(void *arg, const struct hs_spawn_req *req, struct hs_spawn_res *res)
{
	struct e2e *e = arg;

	return hs_session_spawn(&user, &e->trusted, req, res);
}

static hs_err
e2e_reap(void *arg, pid_t *pid, int *wstatus)
{
	struct e2e *e = arg;
	struct signalfd_siginfo si;

	while (read(e->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		;
	if (e->reap_fails)
		return HS_ERR_IO;
	*pid = waitpid(-1, wstatus, WNOHANG);
	return *pid > 0 ? HS_OK : HS_ERR_AGAIN;
}

/* The user authentication protocol cut short (RFC 4252): any request succeeds. */
static hs_err
e2e_auth(struct hs_transport *t)
{
	struct hs_buf *m = NULL, *reply = NULL;
	uint8_t type;
	hs_err r;

	HS_GUARD(hs_buf_new(256, &reply));
	for (;;) {
		HS_GUARD_GOTO(hs_transport_wait(t, TMO, &type, &m), r, out);
		hs_buf_free(m);
		m = NULL;
		hs_buf_reset(reply);
		if (type == HS_MSG_SERVICE_REQUEST) {
			HS_GUARD_GOTO(hs_buf_put_u8(reply, HS_MSG_SERVICE_ACCEPT), r, out);
			HS_GUARD_GOTO(hs_buf_put_cstring(reply, "ssh-userauth"), r, out);
		} else if (type == HS_MSG_USERAUTH_REQUEST) {
			HS_GUARD_GOTO(hs_buf_put_u8(reply, HS_MSG_USERAUTH_SUCCESS), r, out);
		} else {
			continue;
		}
		HS_GUARD_GOTO(hs_transport_send(t, reply), r, out);
		if (type == HS_MSG_USERAUTH_REQUEST)
			break;
	}
	r = HS_OK;
out:
	hs_buf_free(reply);
	return r;
}

/* The forked server: one connection on lfd; exit 0 if hs_server_session_run returned HS_OK. */
static int
e2e_server(int lfd, struct e2e *e)
{
	struct hs_session_spawner sp = { .spawn = e2e_spawn, .reap = e2e_reap, .arg = e };
	struct hs_session_policy pol = policy();
	struct hs_transport_cfg cfg = { .server = true, .hostkeys = &host_key, .n_hostkeys = 1 };
	struct hs_transport *t;
	sigset_t chld;
	int fd;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &chld, NULL) != 0 ||
	    (e->sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return 2;
	sp.event_fd = e->sfd;
	pol.spawner = &sp;
	if ((fd = accept(lfd, NULL, NULL)) < 0 || hs_transport_new(fd, fd, &cfg, &t) != HS_OK)
		return 3;
	if (hs_transport_handshake(t, TMO) != HS_OK || e2e_auth(t) != HS_OK)
		return 4;
	return hs_server_session_run(t, &user, &pol) == HS_OK ? 0 : 1;
}

static pid_t
e2e_start(struct e2e *e, int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t alen = sizeof(a);
	int lfd;
	pid_t pid;

	assert_true((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
	*port = ntohs(a.sin_port);
	assert_true((pid = fork()) >= 0);
	if (pid == 0)
		_exit(e2e_server(lfd, e));
	(void)close(lfd);
	return pid;
}

/* ssh (-tt when tty) runs cmd on the server at port; its output in out, its exit code returned. */
static int
e2e_ssh(int port, bool tty, const char *cmd, char *out)
{
	char line[512];
	FILE *f;
	size_t n;
	int st;

	snprintf(line, sizeof(line), "timeout 30 /usr/bin/ssh -F /dev/null %s -p %d "
	    "-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
	    "-o LogLevel=ERROR %s@127.0.0.1 '%s' </dev/null", tty ? "-tt" : "", port, user.name,
	    cmd);
	assert_non_null(f = popen(line, "r"));
	n = fread(out, 1, OUT_MAX - 1, f);
	out[n] = '\0';
	st = pclose(f);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int
e2e_server_exit(pid_t pid)
{
	int st = wait_status(pid);

	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
test_spawner_exec(void **state)
{
	struct e2e e = { .trusted = policy() };
	char out[OUT_MAX];
	int port;
	pid_t pid;

	if (access("/usr/bin/ssh", X_OK) != 0)
		skip();
	pid = e2e_start(&e, &port);
	/* The exit status comes back only if reap through the event fd saw the program end. */
	assert_int_equal(e2e_ssh(port, false, "echo hi; exit 3", out), 3);
	assert_string_equal(out, "hi\n");
	assert_int_equal(e2e_server_exit(pid), 0);
}

static void
test_spawner_pty(void **state)
{
	struct e2e e = { .trusted = policy() };
	char out[OUT_MAX];
	int port;
	pid_t pid;

	if (access("/usr/bin/ssh", X_OK) != 0)
		skip();
	pid = e2e_start(&e, &port);
	assert_int_equal(e2e_ssh(port, true, "tty", out), 0);
	assert_int_equal(strncmp(out, "/dev/pts/", 9), 0);
	assert_non_null(strstr(out, "\r\n"));
	assert_int_equal(e2e_server_exit(pid), 0);
}

/* The session's own policy has no forced command; the spawner's (the monitor's) has one. */
static void
test_spawner_policy_wins(void **state)
{
	struct e2e e = { .trusted = policy() };
	char out[OUT_MAX];
	int port;
	pid_t pid;

	if (access("/usr/bin/ssh", X_OK) != 0)
		skip();
	e.trusted.forced_command = "echo \"forced [$SSH_ORIGINAL_COMMAND]\"";
	pid = e2e_start(&e, &port);
	assert_int_equal(e2e_ssh(port, false, "echo BAD", out), 0);
	assert_string_equal(out, "forced [echo BAD]\n");
	assert_int_equal(e2e_server_exit(pid), 0);
}

/* reap failing (the monitor is gone) ends the session with that error: no exit status. */
static void
test_spawner_reap_error(void **state)
{
	struct e2e e = { .trusted = policy(), .reap_fails = true };
	char out[OUT_MAX];
	int port;
	pid_t pid;

	if (access("/usr/bin/ssh", X_OK) != 0)
		skip();
	pid = e2e_start(&e, &port);
	assert_int_equal(e2e_ssh(port, false, "exit 3", out), 255);
	assert_int_equal(e2e_server_exit(pid), 1);
}

static int
setup(void **state)
{
	return hs_key_generate(HS_KEY_ED25519, 0, &host_key) == HS_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	hs_key_free(host_key);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pipes_echo),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_fds_cloexec),
		cmocka_unit_test(test_shell_reads_stdin),
		cmocka_unit_test(test_forced_command),
		cmocka_unit_test(test_original_command_not_from_client),
		cmocka_unit_test(test_no_pty_refused),
		cmocka_unit_test(test_env_filter),
		cmocka_unit_test(test_env_accepted),
		cmocka_unit_test(test_pty),
		cmocka_unit_test(test_pty_modes),
		cmocka_unit_test(test_drop_privileges),
		cmocka_unit_test(test_spawner_exec),
		cmocka_unit_test(test_spawner_pty),
		cmocka_unit_test(test_spawner_policy_wins),
		cmocka_unit_test(test_spawner_reap_error),
	};

	user_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
