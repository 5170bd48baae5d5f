/* session_impl.h: internals shared by session_loop.c, session_server.c, session_child.c and
 * session_client.c. Not part of any public contract. */
#ifndef HS_SESSION_IMPL_H
#define HS_SESSION_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <time.h>

#include "hs_channel.h"
#include "hs_err.h"
#include "hs_session.h"
#include "hs_transport.h"

/* The event loop of one connection: poll over the transport, a signal self-pipe and the channels'
 * fds; dispatch messages; run keepalives. */
struct hs_loop {
	struct hs_transport *t;
	struct hs_conn conn;
	int sig_r;			/* read end of the signal self-pipe */
	unsigned alive_interval;	/* ClientAlive/ServerAlive seconds; 0 = off */
	unsigned alive_count_max;
	unsigned alive_missed;
	time_t alive_next;
	const char *alive_peer;		/* for the timeout message */
	bool server;
	/* Called for each caught signal, then after every loop iteration (set *done to stop). */
	hs_err (*on_signal)(void *arg, int sig);
	hs_err (*tick)(void *arg, bool *done);
	void *arg;
	/* Optional: one more fd polled for input (-1: none); on_ext gets its revents. */
	int ext_fd;
	hs_err (*on_ext)(void *arg, short revents);
};

/* Set up the loop on t with a connection whose messages go to t. */
HS_MUST_USE hs_err hs_loop_init(struct hs_loop *l, struct hs_transport *t);
/* Catch these signals into the self-pipe (SA_RESTART); restored by hs_loop_cleanup. */
HS_MUST_USE hs_err hs_loop_catch(struct hs_loop *l, const int *sigs, size_t n);
/* Run until tick says done (HS_OK), the peer closes (HS_ERR_EOF) or an error (a DISCONNECT was
 * sent for protocol errors and timeouts). */
HS_MUST_USE hs_err hs_loop_run(struct hs_loop *l);
/* Free all channels, restore signal handlers, close the self-pipe. */
void hs_loop_cleanup(struct hs_loop *l);
/* Seconds on a monotonic clock. */
time_t hs_loop_now(void);

/* ---- server side ---- */

#define SRV_ENV_MAX	64	/* accepted "env" requests per session */

struct srv_conn {
	struct hs_loop loop;
	const struct hs_session_user *u;
	const struct hs_session_policy *pol;
	char peer[160];			/* "user NAME ADDR port PORT" for logs */
	char peer_ip[64], peer_port[16];
	hs_err spawner_err;		/* pol->spawner's reap failed: the session ends with it */
};

struct srv_sess {
	struct srv_conn *sc;
	struct hs_channel *ch;
	bool pty;			/* pty-req accepted: the program gets a pty */
	int ptm;			/* pty master once the program runs (owned by ch), or -1 */
	char tty_name[64];
	char *term;
	uint8_t *modes;			/* pty-req's encoded terminal modes (RFC 4254 8) */
	size_t modes_len;
	struct winsize ws;
	char *env[SRV_ENV_MAX + 1];	/* accepted env requests' "NAME=value", NULL-terminated */
	size_t nenv;
	pid_t pid;			/* child, or 0 */
	bool started;
	bool spawn_failed;	/* exec/shell could not start: close after the reply */
	bool exited;
	int wstatus;
};

/* True if AcceptEnv (pol->accept_env) lets the client set the variable name. Shared by the "env"
 * request (to answer it) and hs_session_spawn (which filters again, with its own policy). */
bool hs_session_env_accepted(const struct hs_session_policy *pol, const char *name);

#endif
