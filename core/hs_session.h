/* hs_session.h: the connection protocol after authentication (RFC 4254): the channel layer and the
 * session channels of server and client. */
#ifndef HS_SESSION_H
#define HS_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "hs_err.h"
#include "hs_transport.h"

/* Who the server runs commands as, and under which restrictions. */
struct hs_session_user {
	const char *name;
	uid_t uid;
	gid_t gid;
	const char *home;
	const char *shell;
};

/* A request to start the program of a "session" channel (RFC 4254 6.5): what the client asked,
 * before any policy is applied. */
struct hs_spawn_req {
	const char *command;		/* exec's command; NULL: the user's login shell */
	bool pty;			/* a pty was requested (pty-req accepted) */
	const char *term;		/* pty: TERM value (may be NULL) */
	const uint8_t *modes;		/* pty: RFC 4254 8 encoded terminal modes */
	size_t modes_len;
	uint32_t cols, rows, width_px, height_px;	/* pty: window size */
	const char *const *env;		/* client "NAME=value" strings, NULL-terminated; NULL = none */
};

/* A started program. pty: ptm is the master (pipes -1); otherwise in/out/err are our ends of
 * its stdin, stdout and stderr (ptm -1). All close-on-exec, owned by the caller. */
struct hs_spawn_res {
	pid_t pid;
	int ptm;
	int in, out, err;
	char tty_name[64];		/* pty: the slave's name ("/dev/pts/3"); "" otherwise */
};

struct hs_session_policy;

/* Where a server session's programs are started. hsshd's sandboxed post-auth process cannot fork
 * or open a pty, so it asks the privileged monitor, which starts the program with its own copy of
 * the policy; the fds come back over the monitor socket. */
struct hs_session_spawner {
	/* Start req; same contract as hs_session_spawn. */
	hs_err (*spawn)(void *arg, const struct hs_spawn_req *req, struct hs_spawn_res *res);
	/* Readable when a started program may have exited; then call reap until HS_ERR_AGAIN. */
	int event_fd;
	/* One exited program: HS_OK with *pid and its waitpid *wstatus, HS_ERR_AGAIN if none is
	 * pending, another error if the monitor is gone (the session then ends). */
	hs_err (*reap)(void *arg, pid_t *pid, int *wstatus);
	void *arg;
};

struct hs_session_policy {
	const char *forced_command;	/* authorized_keys command= (or ForceCommand), or NULL */
	bool no_pty;			/* authorized_keys no-pty / restrict */
	bool no_port_forwarding;	/* authorized_keys no-port-forwarding / restrict */
	const char *const *accept_env;	/* AcceptEnv patterns, NULL-terminated; NULL = none */
	const char *ssh_connection;	/* "client_ip client_port server_ip server_port" */
	unsigned client_alive_interval;	/* seconds; 0 = off */
	unsigned client_alive_count_max;
	bool drop_privileges;		/* setgid/initgroups/setuid in the child (true unless testing) */
	/* NULL: programs are forked by hs_server_session_run's own process (hs_session_spawn), and
	 * reaped on SIGCHLD. Otherwise every program is started and reaped through it. */
	const struct hs_session_spawner *spawner;
};

/* Start req as u under pol: fork; in the child a new session (setsid), the pty as controlling
 * terminal (modes and size applied, slave chowned to u when drop_privileges) or three pipes,
 * the clean environment (USER, LOGNAME, HOME, PATH, MAIL, SHELL, SSH_CONNECTION, SSH_CLIENT,
 * SSH_TTY, TERM, and the env strings that pol->accept_env allows), drop to u (verified), chdir
 * home, exec u's shell (-c command, or as a login shell). Policy is applied here, whatever the
 * caller checked before: pol->forced_command replaces req->command (which is then passed as
 * SSH_ORIGINAL_COMMAND), a pty is refused (HS_ERR_PERM) when pol->no_pty, env strings that
 * accept_env does not allow are dropped. On success *res holds the pid and our ends; on failure
 * nothing is left open and res->pid is 0. The monitor calls this for the post-auth process;
 * hs_server_session_run calls it when pol->spawner is NULL. */
HS_MUST_USE hs_err hs_session_spawn(const struct hs_session_user *u,
    const struct hs_session_policy *pol, const struct hs_spawn_req *req, struct hs_spawn_res *res);

/* Server: serve the connection protocol until the client closes or the transport fails. Each
 * "session" channel's exec/shell runs in a child as u (setgid, initgroups, setuid; HOME, USER,
 * LOGNAME, SHELL, PATH, SSH_CONNECTION, SSH_CLIENT, SSH_TTY, TERM set). HS_OK on an orderly end. */
HS_MUST_USE hs_err hs_server_session_run(struct hs_transport *t, const struct hs_session_user *u,
    const struct hs_session_policy *pol);

enum hs_tty_mode { HS_TTY_AUTO = 0, HS_TTY_NO, HS_TTY_YES, HS_TTY_FORCE };

struct hs_client_session_opts {
	const char *command;		/* NULL: a shell */
	enum hs_tty_mode tty;		/* -t / -T / RequestTTY */
	bool no_session;		/* -N: no session channel; wait for the connection to close */
	bool stdin_null;		/* -n */
	const char *const *send_env;	/* SendEnv patterns, NULL-terminated; NULL = none */
	unsigned server_alive_interval;	/* seconds; 0 = off */
	unsigned server_alive_count_max;
};

/* Client: open one session channel, run the command or shell with local stdin/stdout/stderr, put the
 * local tty in raw mode when a pty was requested (restored on every exit path). *exit_status is the
 * remote exit status; 255 for exit-signal or a lost connection, as OpenSSH's ssh does. */
HS_MUST_USE hs_err hs_client_session_run(struct hs_transport *t, const struct hs_client_session_opts *o,
    int *exit_status);

#endif
