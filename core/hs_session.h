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

struct hs_session_policy {
	const char *forced_command;	/* authorized_keys command= (or ForceCommand), or NULL */
	bool no_pty;			/* authorized_keys no-pty / restrict */
	bool no_port_forwarding;	/* authorized_keys no-port-forwarding / restrict */
	const char *const *accept_env;	/* AcceptEnv patterns, NULL-terminated; NULL = none */
	const char *ssh_connection;	/* "client_ip client_port server_ip server_port" */
	unsigned client_alive_interval;	/* seconds; 0 = off */
	unsigned client_alive_count_max;
	bool drop_privileges;		/* setgid/initgroups/setuid in the child (true unless testing) */
};

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
