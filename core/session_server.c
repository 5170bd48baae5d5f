/* session_server.c: the server's "session" channels (RFC 4254 6): requests, the child's life and
 * the end of the channel (remaining output, EOF, exit-status or exit-signal, CLOSE). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_mem.h"
#include "hs_ssh.h"
#include "session_impl.h"

static const struct hs_channel_ops srv_ops;

/* RFC 4254 6.2: only recorded here; the pty is opened when the program starts. */
static hs_err
req_pty(struct srv_sess *s, const struct hs_chanreq *q, bool *ok)
{
	if (s->sc->pol->no_pty || s->pty || s->started) {
		hs_debug("channel %u: pty request refused", s->ch->local_id);
		return HS_OK;
	}
	s->ws.ws_col = (unsigned short)q->cols;
	s->ws.ws_row = (unsigned short)q->rows;
	s->ws.ws_xpixel = (unsigned short)q->width_px;
	s->ws.ws_ypixel = (unsigned short)q->height_px;
	HS_ENSURE((s->term = hs_strdup(q->term)) != NULL, HS_ERR_ALLOC);
	if (q->modes_len > 0) {
		HS_ENSURE((s->modes = malloc(q->modes_len)) != NULL, HS_ERR_ALLOC);
		memcpy(s->modes, q->modes, q->modes_len);
		s->modes_len = q->modes_len;
	}
	s->pty = true;
	*ok = true;
	return HS_OK;
}

/* RFC 4254 6.4: only names matching AcceptEnv. */
static hs_err
req_env(struct srv_sess *s, const struct hs_chanreq *q, bool *ok)
{
	char *e;

	if (s->started || s->nenv >= SRV_ENV_MAX || !hs_session_env_accepted(s->sc->pol, q->name)) {
		hs_debug("Ignoring env request %s: not accepted", q->name);
		return HS_OK;
	}
	HS_ENSURE(asprintf(&e, "%s=%s", q->name, q->value) >= 0, HS_ERR_ALLOC);
	s->env[s->nenv++] = e;
	s->env[s->nenv] = NULL;
	*ok = true;
	return HS_OK;
}

/* "pts/1" for "/dev/pts/1", as in OpenSSH's log lines. */
static const char *
tty_short(const char *name)
{
	return strncmp(name, "/dev/", 5) == 0 ? name + 5 : name;
}

static void
close_fds(const int *fds, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			(void)close(fds[i]);
}

/* Start the program through the spawner, or here; attach its fds to the channel. */
static hs_err
srv_start(struct srv_sess *s, const char *command)
{
	const struct hs_session_policy *pol = s->sc->pol;
	struct hs_spawn_req req = { .command = command, .pty = s->pty, .term = s->term,
	    .modes = s->modes, .modes_len = s->modes_len, .cols = s->ws.ws_col,
	    .rows = s->ws.ws_row, .width_px = s->ws.ws_xpixel, .height_px = s->ws.ws_ypixel,
	    .env = (const char *const *)s->env };
	struct hs_spawn_res res;
	hs_err r;

	if (pol->spawner != NULL)
		HS_GUARD(pol->spawner->spawn(pol->spawner->arg, &req, &res));
	else
		HS_GUARD(hs_session_spawn(s->sc->u, pol, &req, &res));
	s->pid = res.pid;
	snprintf(s->tty_name, sizeof(s->tty_name), "%s", res.tty_name);
	s->ch->hold_eof = true;	/* srv_tick sends exit-status, then EOF */
	if (s->pty) {
		s->ch->tty = true;
		r = hs_chan_attach(s->ch, res.ptm, res.ptm, -1, false, false);
	} else {
		r = hs_chan_attach(s->ch, res.out, res.in, res.err, false, false);
	}
	if (r != HS_OK) {
		close_fds((int[]){ res.ptm, res.in, res.out, res.err }, 4);
		return r;
	}
	s->ptm = res.ptm;
	return HS_OK;
}

/* exec and shell; a forced command replaces either (hs_session_spawn applies it; it is only
 * named here for the log). */
static hs_err
req_exec(struct srv_sess *s, const struct hs_chanreq *q, bool *ok)
{
	const char *forced = s->sc->pol->forced_command;
	bool is_cmd = forced != NULL || q->command != NULL;
	hs_err r;

	if (s->started)
		return HS_OK;
	if (forced != NULL)
		hs_verbose("Forced command (key option) '%s'", forced);
	r = srv_start(s, q->command);
	hs_info("Starting session: %s%s%s for %s from %s port %s id %u",
	    is_cmd ? "command" : "shell", s->tty_name[0] ? " on " : "", tty_short(s->tty_name),
	    s->sc->u->name, s->sc->peer_ip, s->sc->peer_port, s->ch->local_id);
	if (r != HS_OK) {
		/* A client that sent no want_reply would wait forever: srv_tick closes it. */
		hs_verbose("channel %u: session could not start: %s", s->ch->local_id,
		    hs_err_str(r));
		s->spawn_failed = true;
		return HS_OK;
	}
	s->started = true;
	*ok = true;
	return HS_OK;
}

static hs_err
req_refuse(struct srv_sess *s, const struct hs_chanreq *q, bool *ok)
{
	hs_debug("channel %u: request refused", s->ch->local_id);
	return HS_OK;
}

/* RFC 4254 6.7: remembered until the program starts, then applied to its pty. */
static hs_err
req_window_change(struct srv_sess *s, const struct hs_chanreq *q, bool *ok)
{
	if (!s->pty)
		return HS_OK;
	s->ws.ws_col = (unsigned short)q->cols;
	s->ws.ws_row = (unsigned short)q->rows;
	s->ws.ws_xpixel = (unsigned short)q->width_px;
	s->ws.ws_ypixel = (unsigned short)q->height_px;
	*ok = s->ptm < 0 || ioctl(s->ptm, TIOCSWINSZ, &s->ws) == 0;
	return HS_OK;
}

/* RFC 4254 6.9 */
static hs_err
req_signal(struct srv_sess *s, const struct hs_chanreq *q, bool *ok)
{
	int sig = hs_signal_from_name(q->signame);

	if (sig == 0 || s->pid <= 0 || s->exited) {
		hs_debug("channel %u: signal %s refused", s->ch->local_id, q->signame);
		return HS_OK;
	}
	hs_debug("channel %u: signal %s to pid %ld", s->ch->local_id, q->signame, (long)s->pid);
	*ok = kill(s->pid, sig) == 0;
	return HS_OK;
}

static const struct {
	enum hs_chanreq_type type;
	hs_err (*fn)(struct srv_sess *s, const struct hs_chanreq *q, bool *ok);
} srv_reqs[] = {
	{ HS_REQ_PTY, req_pty },
	{ HS_REQ_ENV, req_env },
	{ HS_REQ_EXEC, req_exec },
	{ HS_REQ_SHELL, req_exec },
	{ HS_REQ_SUBSYSTEM, req_refuse },
	{ HS_REQ_WINDOW_CHANGE, req_window_change },
	{ HS_REQ_SIGNAL, req_signal },
	{ HS_REQ_BREAK, req_refuse },
};

static hs_err
srv_request(struct hs_channel *ch, const char *type, bool want_reply, struct hs_buf *msg, bool *ok)
{
	struct srv_sess *s = ch->ctx;
	struct hs_chanreq q;
	hs_err r = HS_OK;
	size_t i;

	if (hs_chanreq_parse(type, msg, &q) != HS_OK) {
		hs_error("channel %u: malformed %s request", ch->local_id, type);
		return HS_ERR_PROTOCOL;
	}
	*ok = false;
	for (i = 0; i < sizeof(srv_reqs) / sizeof(srv_reqs[0]); i++)
		if (q.type != HS_REQ_UNKNOWN && srv_reqs[i].type == q.type)
			r = srv_reqs[i].fn(s, &q, ok);
	if (q.type == HS_REQ_UNKNOWN)
		hs_debug("channel %u: unsupported request %s", ch->local_id, type);
	hs_chanreq_free(&q);
	return r;
}

static void
srv_release(struct hs_channel *ch)
{
	struct srv_sess *s = ch->ctx;
	size_t i;

	if (s == NULL)
		return;
	/* The client closed the channel while the command still runs: hang it up. */
	if (s->pid > 0 && !s->exited)
		(void)kill(s->pid, SIGHUP);
	/* s->ptm belongs to the channel. */
	for (i = 0; i < s->nenv; i++)
		hs_free_wiped(s->env[i], strlen(s->env[i]));
	free(s->term);
	free(s->modes);
	free(s);
	ch->ctx = NULL;
}

static const struct hs_channel_ops srv_ops = {
	.request = srv_request,
	.release = srv_release,
};

static hs_err
srv_open(void *arg, struct hs_channel *ch, const char *type, struct hs_buf *msg, uint32_t *reason)
{
	struct srv_conn *sc = arg;
	struct srv_sess *s;

	if (strcmp(type, "session") != 0) {
		/* Port forwarding and X11 are not implemented. */
		*reason = strcmp(type, "direct-tcpip") == 0 ? HS_OPEN_ADMINISTRATIVELY_PROHIBITED :
		    HS_OPEN_UNKNOWN_CHANNEL_TYPE;
		hs_verbose("refused channel open of type %s", type);
		return HS_ERR_UNSUPPORTED;
	}
	HS_ENSURE(hs_buf_get_end(msg) == HS_OK, HS_ERR_UNSUPPORTED);
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		*reason = HS_OPEN_RESOURCE_SHORTAGE;
		return HS_ERR_ALLOC;
	}
	s->sc = sc;
	s->ch = ch;
	s->ptm = -1;
	ch->ops = &srv_ops;
	ch->ctx = s;
	return HS_OK;
}

/* RFC 4254 6.10: exit-status, or exit-signal with the name without "SIG". */
static hs_err
send_exit(struct srv_sess *s)
{
	struct hs_buf *b = NULL;
	const char *name;
	hs_err r;
	int st = s->wstatus;

	HS_GUARD(hs_buf_new(256, &b));
	if (WIFSIGNALED(st)) {
		name = hs_signal_name(WTERMSIG(st));
		HS_GUARD_GOTO(hs_buf_put_cstring(b, name ? name : "UNKNOWN@hardssh"), r, out);
		HS_GUARD_GOTO(hs_buf_put_bool(b, WCOREDUMP(st)), r, out);
		HS_GUARD_GOTO(hs_buf_put_cstring(b, ""), r, out);
		HS_GUARD_GOTO(hs_buf_put_cstring(b, ""), r, out);
		r = hs_chan_request(s->ch, "exit-signal", false, b);
	} else {
		HS_GUARD_GOTO(hs_buf_put_u32(b, (uint32_t)WEXITSTATUS(st)), r, out);
		r = hs_chan_request(s->ch, "exit-status", false, b);
	}
out:
	hs_buf_free(b);
	return r;
}

/* After every loop iteration: finish sessions whose child exited and whose output is drained. */
static hs_err
srv_tick(void *arg, bool *done)
{
	struct srv_conn *sc = arg;
	struct hs_channel *ch;
	struct srv_sess *s;
	size_t i;

	for (i = 0; i < HS_CHAN_MAX; i++) {
		ch = &sc->loop.conn.ch[i];
		if (ch->state != HS_CHAN_OPEN || ch->ops != &srv_ops || (s = ch->ctx) == NULL)
			continue;
		if (s->spawn_failed && !(ch->flags & HS_CHAN_CLOSE_SENT)) {
			HS_GUARD(hs_chan_send_eof(ch));
			HS_GUARD(hs_chan_send_close(ch));
			continue;
		}
		if (!s->exited || (ch->flags & HS_CHAN_CLOSE_SENT))
			continue;
		/* A pty's output is read until it would block once the shell is gone. */
		if (s->pty)
			ch->drain_then_eof = true;
		if (!hs_chan_sources_done(ch))
			continue;
		/* exit-status before EOF: a peer may close as soon as EOF has gone both ways. */
		HS_GUARD(send_exit(s));
		HS_GUARD(hs_chan_send_eof(ch));
		HS_GUARD(hs_chan_send_close(ch));
	}
	return HS_OK;
}

static void
srv_child_exited(struct srv_conn *sc, pid_t pid, int st)
{
	struct hs_channel *ch;
	struct srv_sess *s;
	size_t i;

	for (i = 0; i < HS_CHAN_MAX; i++) {
		ch = &sc->loop.conn.ch[i];
		if (ch->ops != &srv_ops || (s = ch->ctx) == NULL || s->pid != pid)
			continue;
		hs_debug("channel %zu: child %ld exited, status 0x%x", i, (long)pid, st);
		s->exited = true;
		s->wstatus = st;
	}
}

/* No spawner: our own children, reaped on SIGCHLD. */
static hs_err
srv_signal(void *arg, int sig)
{
	pid_t pid;
	int st;

	if (sig != SIGCHLD)
		return HS_OK;
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
		srv_child_exited(arg, pid, st);
	return HS_OK;
}

/* A spawner: its event fd is readable, so programs it started may have exited. A reap failure
 * means the monitor is gone, and with it our way to start or reap programs: the session ends. */
static hs_err
srv_spawner_event(void *arg, short revents)
{
	struct srv_conn *sc = arg;
	const struct hs_session_spawner *sp = sc->pol->spawner;
	pid_t pid;
	hs_err r;
	int st;

	while ((r = sp->reap(sp->arg, &pid, &st)) == HS_OK)
		srv_child_exited(sc, pid, st);
	if (r == HS_ERR_AGAIN && (revents & (POLLHUP | POLLERR | POLLNVAL))) {
		/* Nothing pending, yet the fd hung up: nothing more will come, and poll would
		 * not wait any more. */
		r = HS_ERR_IO;
	}
	if (r != HS_ERR_AGAIN) {
		hs_error("session spawner gone: %s", hs_err_str(r));
		sc->spawner_err = r;
		return r;
	}
	return HS_OK;
}

/* "user NAME ADDR port PORT" for log lines, from SSH_CONNECTION's fields. */
static void
srv_peer_name(struct srv_conn *sc)
{
	const char *conn = sc->pol->ssh_connection;

	if (conn == NULL || sscanf(conn, "%63s %15s", sc->peer_ip, sc->peer_port) != 2) {
		snprintf(sc->peer_ip, sizeof(sc->peer_ip), "UNKNOWN");
		snprintf(sc->peer_port, sizeof(sc->peer_port), "0");
	}
	snprintf(sc->peer, sizeof(sc->peer), "user %s %s port %s", sc->u->name, sc->peer_ip,
	    sc->peer_port);
}

hs_err
hs_server_session_run(struct hs_transport *t, const struct hs_session_user *u,
    const struct hs_session_policy *pol)
{
	static const int sigs[] = { SIGCHLD };
	struct srv_conn sc;
	hs_err r;

	memset(&sc, 0, sizeof(sc));
	sc.u = u;
	sc.pol = pol;
	/* A child's closed pipe must show up as EPIPE, not kill us. */
	(void)signal(SIGPIPE, SIG_IGN);
	HS_GUARD_GOTO(hs_loop_init(&sc.loop, t), r, out);
	sc.loop.conn.open = srv_open;
	sc.loop.conn.open_arg = &sc;
	sc.loop.server = true;
	sc.loop.alive_interval = pol->client_alive_interval;
	sc.loop.alive_count_max = pol->client_alive_count_max;
	srv_peer_name(&sc);
	sc.loop.alive_peer = sc.peer;
	sc.loop.tick = srv_tick;
	sc.loop.arg = &sc;
	if (pol->spawner != NULL) {
		/* The programs are not our children: the spawner reports their exits. */
		sc.loop.ext_fd = pol->spawner->event_fd;
		sc.loop.on_ext = srv_spawner_event;
	} else {
		sc.loop.on_signal = srv_signal;
		HS_GUARD_GOTO(hs_loop_catch(&sc.loop, sigs, 1), r, out);
	}
	r = hs_loop_run(&sc.loop);
	/* The client going away is the orderly end of a server connection. */
	if (r == HS_ERR_EOF || r == HS_ERR_DISCONNECT)
		r = HS_OK;
	/* The spawner failing is not the client's doing, whatever the code (HS_ERR_EOF too). */
	if (sc.spawner_err != HS_OK)
		r = sc.spawner_err;
out:
	hs_loop_cleanup(&sc.loop);
	return r;
}
