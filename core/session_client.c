/* session_client.c: the client's session channel (RFC 4254 6): pty-req with our terminal modes,
 * SendEnv, exec or shell, local stdio pumped through the channel, raw mode on the local tty,
 * window-change on SIGWINCH, the remote exit status. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "hs_log.h"
#include "hs_ssh.h"
#include "session_impl.h"

extern char **environ;

#define EXIT_LOST	255	/* ssh's status for a lost connection or a signal */

enum cli_reply { REPLY_PTY, REPLY_EXEC };

struct cli_sess {
	struct hs_loop loop;
	const struct hs_client_session_opts *o;
	struct hs_channel *ch;
	bool want_pty;
	bool finished;		/* the channel was freed or the user asked us to quit */
	int exit_status;
	enum cli_reply replies[4];	/* kinds of our want_reply requests, in order */
	unsigned nreplies;
	int saved_fl[3];
};

/* The local tty's modes, restored on every exit path (also from atexit after a fatal error). */
static struct termios saved_tio;
static bool tio_raw;

static void
tty_restore(void)
{
	if (tio_raw) {
		(void)tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_tio);
		tio_raw = false;
	}
}

static void
tty_raw(void)
{
	static bool registered;
	struct termios t;

	if (tcgetattr(STDIN_FILENO, &saved_tio) != 0)
		return;
	if (!registered && atexit(tty_restore) == 0)
		registered = true;
	t = saved_tio;
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &t) == 0)
		tio_raw = true;
}

static void
stdio_save(struct cli_sess *cs)
{
	int i;

	for (i = 0; i < 3; i++)
		cs->saved_fl[i] = fcntl(i, F_GETFL);
}

static void
stdio_restore(struct cli_sess *cs)
{
	int i;

	for (i = 0; i < 3; i++)
		if (cs->saved_fl[i] >= 0)
			(void)fcntl(i, F_SETFL, cs->saved_fl[i]);
}

static hs_err
put_winsize(struct hs_buf *b)
{
	struct winsize ws;

	memset(&ws, 0, sizeof(ws));
	(void)ioctl(STDIN_FILENO, TIOCGWINSZ, &ws);
	HS_GUARD(hs_buf_put_u32(b, ws.ws_col));
	HS_GUARD(hs_buf_put_u32(b, ws.ws_row));
	HS_GUARD(hs_buf_put_u32(b, ws.ws_xpixel));
	return hs_buf_put_u32(b, ws.ws_ypixel);
}

static hs_err
expect_reply(struct cli_sess *cs, enum cli_reply kind)
{
	HS_ENSURE(cs->nreplies < sizeof(cs->replies) / sizeof(cs->replies[0]), HS_ERR_INTERNAL);
	cs->replies[cs->nreplies++] = kind;
	return HS_OK;
}

/* RFC 4254 6.2 */
static hs_err
send_pty_req(struct cli_sess *cs)
{
	struct hs_buf *b = NULL, *modes = NULL;
	struct termios t;
	const char *term = getenv("TERM");
	hs_err r;

	HS_GUARD_GOTO(hs_buf_new(4096, &b), r, out);
	HS_GUARD_GOTO(hs_buf_new(2048, &modes), r, out);
	HS_GUARD_GOTO(hs_buf_put_cstring(b, term ? term : ""), r, out);
	HS_GUARD_GOTO(put_winsize(b), r, out);
	if (tcgetattr(STDIN_FILENO, &t) == 0)
		HS_GUARD_GOTO(hs_ttymodes_encode(&t, modes), r, out);
	else
		HS_GUARD_GOTO(hs_buf_put_u8(modes, 0), r, out);
	HS_GUARD_GOTO(hs_buf_put_stringb(b, modes), r, out);
	HS_GUARD_GOTO(hs_chan_request(cs->ch, "pty-req", true, b), r, out);
	r = expect_reply(cs, REPLY_PTY);
out:
	hs_buf_free(modes);
	hs_buf_free(b);
	return r;
}

static bool
env_wanted(const char *const *pats, const char *name)
{
	for (; pats != NULL && *pats != NULL; pats++)
		if (fnmatch(*pats, name, 0) == 0)
			return true;
	return false;
}

/* RFC 4254 6.4: variables matching SendEnv, no reply wanted. */
static hs_err
send_env(struct cli_sess *cs)
{
	struct hs_buf *b = NULL;
	char name[256];
	const char *eq;
	char **e;
	hs_err r = HS_OK;

	for (e = environ; cs->o->send_env != NULL && e != NULL && *e != NULL; e++) {
		if ((eq = strchr(*e, '=')) == NULL || (size_t)(eq - *e) >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(eq - *e), *e);
		if (!env_wanted(cs->o->send_env, name))
			continue;
		hs_debug("Sending env %s", name);
		HS_GUARD_GOTO(hs_buf_new(HS_CHAN_PACKET_DEFAULT, &b), r, out);
		HS_GUARD_GOTO(hs_buf_put_cstring(b, name), r, out);
		HS_GUARD_GOTO(hs_buf_put_cstring(b, eq + 1), r, out);
		HS_GUARD_GOTO(hs_chan_request(cs->ch, "env", false, b), r, out);
		hs_buf_free(b);
		b = NULL;
	}
out:
	hs_buf_free(b);
	return r;
}

static hs_err
send_exec(struct cli_sess *cs)
{
	struct hs_buf *b = NULL;
	hs_err r;

	if (cs->o->command == NULL) {
		HS_GUARD(hs_chan_request(cs->ch, "shell", true, NULL));
		return expect_reply(cs, REPLY_EXEC);
	}
	HS_GUARD(hs_buf_new(HS_CHAN_PACKET_DEFAULT * 2, &b));
	HS_GUARD_GOTO(hs_buf_put_cstring(b, cs->o->command), r, out);
	HS_GUARD_GOTO(hs_chan_request(cs->ch, "exec", true, b), r, out);
	r = expect_reply(cs, REPLY_EXEC);
out:
	hs_buf_free(b);
	return r;
}

static hs_err
cli_open_result(struct hs_channel *ch, bool ok, uint32_t reason)
{
	struct cli_sess *cs = ch->ctx;

	if (!ok) {
		fprintf(stderr, "channel %u: open failed: reason %u\n", ch->local_id, reason);
		return HS_OK;
	}
	if (cs->want_pty)
		HS_GUARD(send_pty_req(cs));
	HS_GUARD(send_env(cs));
	HS_GUARD(send_exec(cs));
	stdio_save(cs);
	HS_GUARD(hs_chan_attach(ch, cs->o->stdin_null ? -1 : STDIN_FILENO, STDOUT_FILENO,
	    STDERR_FILENO, true, true));
	if (cs->want_pty)
		tty_raw();
	return HS_OK;
}

static hs_err
cli_reply(struct hs_channel *ch, bool success)
{
	struct cli_sess *cs = ch->ctx;
	enum cli_reply kind;

	HS_ENSURE(cs->nreplies > 0, HS_ERR_PROTOCOL);
	kind = cs->replies[0];
	memmove(cs->replies, cs->replies + 1, --cs->nreplies * sizeof(cs->replies[0]));
	if (success)
		return HS_OK;
	if (kind == REPLY_PTY) {
		fprintf(stderr, "PTY allocation request failed on channel %u\r\n", ch->local_id);
		return HS_OK;
	}
	fprintf(stderr, "%s request failed on channel %u\r\n", cs->o->command ? "exec" : "shell",
	    ch->local_id);
	return hs_chan_send_close(ch);
}

static hs_err
cli_request(struct hs_channel *ch, const char *type, bool want_reply, struct hs_buf *msg, bool *ok)
{
	struct cli_sess *cs = ch->ctx;
	struct hs_chanreq q;

	*ok = false;
	if (hs_chanreq_parse(type, msg, &q) != HS_OK) {
		hs_error("channel %u: malformed %s request", ch->local_id, type);
		return HS_ERR_PROTOCOL;
	}
	if (q.type == HS_REQ_EXIT_STATUS) {
		cs->exit_status = (int)(q.exit_status & 0xff);
		hs_debug("channel %u: exit-status %u", ch->local_id, q.exit_status);
		*ok = true;
	} else if (q.type == HS_REQ_EXIT_SIGNAL) {
		/* As OpenSSH's ssh: a remote signal ends the session with 255. */
		hs_debug("channel %u: remote command killed by signal %s%s", ch->local_id,
		    q.signame, q.core_dumped ? " (core dumped)" : "");
		cs->exit_status = EXIT_LOST;
		*ok = true;
	}
	hs_chanreq_free(&q);
	return HS_OK;
}

/* Write what the server sent before the channel went away; our stdio goes back to blocking. */
static void
flush_blocking(int fd, struct hs_buf *b)
{
	ssize_t n;

	while (fd >= 0 && hs_buf_len(b) > 0) {
		n = write(fd, hs_buf_ptr(b), hs_buf_len(b));
		if (n <= 0 && errno != EINTR)
			break;
		if (n > 0 && hs_buf_skip(b, (size_t)n) != HS_OK)
			break;
	}
}

static void
cli_release(struct hs_channel *ch)
{
	struct cli_sess *cs = ch->ctx;

	/* Output still queued was meant for the raw tty: write it before restoring the modes. */
	stdio_restore(cs);
	flush_blocking(ch->wfd, ch->wbuf);
	flush_blocking(ch->efd, ch->ebuf);
	tty_restore();
	cs->finished = true;
	cs->ch = NULL;
}

static const struct hs_channel_ops cli_ops = {
	.request = cli_request,
	.open_result = cli_open_result,
	.reply = cli_reply,
	.release = cli_release,
};

/* RFC 4254 6.7 */
static hs_err
send_window_change(struct cli_sess *cs)
{
	struct hs_buf *b = NULL;
	hs_err r;

	if (cs->ch == NULL || !cs->want_pty || cs->ch->state != HS_CHAN_OPEN)
		return HS_OK;
	HS_GUARD(hs_buf_new(64, &b));
	HS_GUARD_GOTO(put_winsize(b), r, out);
	r = hs_chan_request(cs->ch, "window-change", false, b);
out:
	hs_buf_free(b);
	return r;
}

static hs_err
cli_signal(void *arg, int sig)
{
	struct cli_sess *cs = arg;

	if (sig == SIGWINCH)
		return send_window_change(cs);
	hs_debug("received signal %d, quitting", sig);
	cs->exit_status = EXIT_LOST;
	cs->finished = true;
	return HS_OK;
}

static hs_err
cli_tick(void *arg, bool *done)
{
	struct cli_sess *cs = arg;
	struct hs_channel *ch = cs->ch;

	/* Nobody reads our output any more and we have nothing left to send: close the channel
	 * rather than let the remote command run on into a dead pipe. */
	if (ch != NULL && ch->state == HS_CHAN_OPEN && ch->wfd_failed &&
	    (ch->flags & HS_CHAN_EOF_SENT))
		HS_GUARD(hs_chan_send_close(ch));
	*done = cs->finished;
	return HS_OK;
}

static bool
decide_pty(const struct hs_client_session_opts *o)
{
	bool tty = isatty(STDIN_FILENO);

	switch (o->tty) {
	case HS_TTY_FORCE:
		return true;
	case HS_TTY_YES:
		if (!tty)
			fprintf(stderr, "Pseudo-terminal will not be allocated because stdin is not "
			    "a terminal.\r\n");
		return tty;
	case HS_TTY_NO:
		return false;
	default:
		return o->command == NULL && tty;
	}
}

hs_err
hs_client_session_run(struct hs_transport *t, const struct hs_client_session_opts *o,
    int *exit_status)
{
	static const int sigs[] = { SIGWINCH, SIGTERM, SIGHUP, SIGINT, SIGQUIT };
	struct cli_sess cs;
	hs_err r;

	*exit_status = EXIT_LOST;
	memset(&cs, 0, sizeof(cs));
	cs.o = o;
	cs.exit_status = EXIT_LOST;
	cs.saved_fl[0] = cs.saved_fl[1] = cs.saved_fl[2] = -1;
	(void)signal(SIGPIPE, SIG_IGN);
	HS_GUARD_GOTO(hs_loop_init(&cs.loop, t), r, out);
	cs.loop.alive_interval = o->server_alive_interval;
	cs.loop.alive_count_max = o->server_alive_count_max;
	cs.loop.on_signal = cli_signal;
	cs.loop.tick = cli_tick;
	cs.loop.arg = &cs;
	HS_GUARD_GOTO(hs_loop_catch(&cs.loop, sigs, sizeof(sigs) / sizeof(sigs[0])), r, out);
	if (!o->no_session) {
		cs.want_pty = decide_pty(o);
		HS_GUARD_GOTO(hs_chan_open(&cs.loop.conn, "session", &cli_ops, &cs, &cs.ch), r, out);
	}
	r = hs_loop_run(&cs.loop);
	if (r == HS_OK)
		*exit_status = cs.exit_status;
out:
	hs_loop_cleanup(&cs.loop);
	tty_restore();
	return r;
}
