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
};

struct srv_sess {
	struct srv_conn *sc;
	struct hs_channel *ch;
	bool pty;
	int ptm, pts;			/* pty master/slave; -1 when none */
	char tty_name[64];
	char *term;
	struct winsize ws;
	char *env[SRV_ENV_MAX];		/* "NAME=value" from accepted env requests */
	size_t nenv;
	pid_t pid;			/* child, or 0 */
	bool started;
	bool spawn_failed;	/* exec/shell could not start: close after the reply */
	bool exited;
	int wstatus;
};

/* Fork and exec the user's shell for s (command NULL: an interactive login shell), in a new
 * session, as u, with a clean environment; attach the child's stdio to the channel. */
HS_MUST_USE hs_err hs_srv_spawn(struct srv_sess *s, const char *command, const char *original);
/* Allocate a pty for s and apply the requested modes and size. */
HS_MUST_USE hs_err hs_srv_pty_open(struct srv_sess *s, const uint8_t *modes, size_t modes_len);

#endif
