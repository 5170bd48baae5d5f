/* channel_req.c: parsing the type-specific bodies of CHANNEL_REQUEST (RFC 4254 6, RFC 4335). Kept
 * apart from the session code so it can be fuzzed (tests/fuzz/fuzz_chanreq.c). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "hs_channel.h"
#include "hs_mem.h"

#define TERM_MAX	256	/* $TERM longer than this is not a terminal name */
#define ENV_NAME_MAX	1024

/* A string field as a NUL-terminated copy of at most max bytes. */
static hs_err
get_str(struct hs_buf *b, size_t max, char **out)
{
	char *s = NULL;
	size_t len;

	HS_GUARD(hs_buf_get_cstring(b, &s, &len));
	if (len > max) {
		free(s);
		return HS_ERR_TOO_LARGE;
	}
	*out = s;
	return HS_OK;
}

static hs_err
get_dims(struct hs_buf *b, struct hs_chanreq *r)
{
	HS_GUARD(hs_buf_get_u32(b, &r->cols));
	HS_GUARD(hs_buf_get_u32(b, &r->rows));
	HS_GUARD(hs_buf_get_u32(b, &r->width_px));
	return hs_buf_get_u32(b, &r->height_px);
}

/* RFC 4254 6.2 */
static hs_err
parse_pty(struct hs_buf *b, struct hs_chanreq *r)
{
	const uint8_t *p;
	size_t len;

	HS_GUARD(get_str(b, TERM_MAX, &r->term));
	HS_GUARD(get_dims(b, r));
	HS_GUARD(hs_buf_get_string(b, &p, &len));
	if (len > 0) {
		HS_ENSURE((r->modes = malloc(len)) != NULL, HS_ERR_ALLOC);
		memcpy(r->modes, p, len);
	}
	r->modes_len = len;
	return HS_OK;
}

/* RFC 4254 6.4 */
static hs_err
parse_env(struct hs_buf *b, struct hs_chanreq *r)
{
	HS_GUARD(get_str(b, ENV_NAME_MAX, &r->name));
	return get_str(b, HS_CHAN_PACKET_DEFAULT, &r->value);
}

/* RFC 4254 6.5: exec carries a command, subsystem a name. */
static hs_err
parse_command(struct hs_buf *b, struct hs_chanreq *r)
{
	return get_str(b, HS_CHAN_PACKET_DEFAULT, &r->command);
}

static hs_err
parse_none(struct hs_buf *b, struct hs_chanreq *r)
{
	return HS_OK;
}

/* RFC 4254 6.7 */
static hs_err
parse_window_change(struct hs_buf *b, struct hs_chanreq *r)
{
	return get_dims(b, r);
}

/* RFC 4254 6.9 */
static hs_err
parse_signal(struct hs_buf *b, struct hs_chanreq *r)
{
	return get_str(b, 64, &r->signame);
}

/* RFC 4254 6.10 */
static hs_err
parse_exit_status(struct hs_buf *b, struct hs_chanreq *r)
{
	return hs_buf_get_u32(b, &r->exit_status);
}

static hs_err
parse_exit_signal(struct hs_buf *b, struct hs_chanreq *r)
{
	HS_GUARD(get_str(b, 64, &r->signame));
	HS_GUARD(hs_buf_get_bool(b, &r->core_dumped));
	HS_GUARD(get_str(b, 1024, &r->errmsg));
	return get_str(b, 64, &r->lang);
}

/* RFC 4335 3 */
static hs_err
parse_break(struct hs_buf *b, struct hs_chanreq *r)
{
	return hs_buf_get_u32(b, &r->break_ms);
}

static const struct {
	const char *name;
	enum hs_chanreq_type type;
	hs_err (*parse)(struct hs_buf *b, struct hs_chanreq *r);
} chanreqs[] = {
	{ .name = "pty-req", .type = HS_REQ_PTY, .parse = parse_pty },
	{ .name = "env", .type = HS_REQ_ENV, .parse = parse_env },
	{ .name = "exec", .type = HS_REQ_EXEC, .parse = parse_command },
	{ .name = "shell", .type = HS_REQ_SHELL, .parse = parse_none },
	{ .name = "subsystem", .type = HS_REQ_SUBSYSTEM, .parse = parse_command },
	{ .name = "window-change", .type = HS_REQ_WINDOW_CHANGE, .parse = parse_window_change },
	{ .name = "signal", .type = HS_REQ_SIGNAL, .parse = parse_signal },
	{ .name = "exit-status", .type = HS_REQ_EXIT_STATUS, .parse = parse_exit_status },
	{ .name = "exit-signal", .type = HS_REQ_EXIT_SIGNAL, .parse = parse_exit_signal },
	{ .name = "break", .type = HS_REQ_BREAK, .parse = parse_break },
};

void
hs_chanreq_free(struct hs_chanreq *r)
{
	free(r->term);
	free(r->modes);
	free(r->name);
	if (r->value != NULL)
		hs_free_wiped(r->value, strlen(r->value));
	free(r->command);
	free(r->signame);
	free(r->errmsg);
	free(r->lang);
	memset(r, 0, sizeof(*r));
}

hs_err
hs_chanreq_parse(const char *type, struct hs_buf *msg, struct hs_chanreq *out)
{
	hs_err r;
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < sizeof(chanreqs) / sizeof(chanreqs[0]); i++) {
		if (strcmp(chanreqs[i].name, type) != 0)
			continue;
		out->type = chanreqs[i].type;
		HS_GUARD_GOTO(chanreqs[i].parse(msg, out), r, out);
		HS_GUARD_GOTO(hs_buf_get_end(msg), r, out);
		return HS_OK;
	}
	return HS_OK;
out:
	hs_chanreq_free(out);
	return r;
}

/* RFC 4254 6.10: the standard signal names, without "SIG". */
static const struct {
	const char *name;
	int sig;
} signames[] = {
	{ "ABRT", SIGABRT }, { "ALRM", SIGALRM }, { "FPE", SIGFPE }, { "HUP", SIGHUP },
	{ "ILL", SIGILL }, { "INT", SIGINT }, { "KILL", SIGKILL }, { "PIPE", SIGPIPE },
	{ "QUIT", SIGQUIT }, { "SEGV", SIGSEGV }, { "TERM", SIGTERM }, { "USR1", SIGUSR1 },
	{ "USR2", SIGUSR2 },
};

int
hs_signal_from_name(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
		if (strcmp(signames[i].name, name) == 0)
			return signames[i].sig;
	return 0;
}

const char *
hs_signal_name(int sig)
{
	size_t i;

	for (i = 0; i < sizeof(signames) / sizeof(signames[0]); i++)
		if (signames[i].sig == sig)
			return signames[i].name;
	return NULL;
}
