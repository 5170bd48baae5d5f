/* hs_log.c: logging to syslog, stderr or a file. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "hs_log.h"

static struct {
	char ident[64];
	char prefix[128];
	enum hs_log_level level;
	bool to_stderr;
	int facility;
	FILE *file;
	int sink;			/* hs_log_set_sink: the monitor's datagram socket, or -1 */
} log_st = { "hardssh", "", HS_LOG_INFO, true, LOG_AUTH, NULL, -1 };

static const struct {
	const char *name;
	enum hs_log_level level;
} level_names[] = {
	{ "QUIET", HS_LOG_QUIET }, { "FATAL", HS_LOG_FATAL }, { "ERROR", HS_LOG_ERROR },
	{ "INFO", HS_LOG_INFO }, { "VERBOSE", HS_LOG_VERBOSE }, { "DEBUG", HS_LOG_DEBUG1 },
	{ "DEBUG1", HS_LOG_DEBUG1 }, { "DEBUG2", HS_LOG_DEBUG2 }, { "DEBUG3", HS_LOG_DEBUG3 },
};

static const struct {
	const char *name;
	int facility;
} facility_names[] = {
	{ "DAEMON", LOG_DAEMON }, { "USER", LOG_USER }, { "AUTH", LOG_AUTH },
	{ "AUTHPRIV", LOG_AUTHPRIV }, { "LOCAL0", LOG_LOCAL0 }, { "LOCAL1", LOG_LOCAL1 },
	{ "LOCAL2", LOG_LOCAL2 }, { "LOCAL3", LOG_LOCAL3 }, { "LOCAL4", LOG_LOCAL4 },
	{ "LOCAL5", LOG_LOCAL5 }, { "LOCAL6", LOG_LOCAL6 }, { "LOCAL7", LOG_LOCAL7 },
};

void
hs_log_init(const char *progname, enum hs_log_level level, bool to_stderr, int facility)
{
	snprintf(log_st.ident, sizeof(log_st.ident), "%s", progname ? progname : "hardssh");
	log_st.level = level;
	log_st.to_stderr = to_stderr;
	log_st.facility = facility;
	if (!to_stderr)
		openlog(log_st.ident, LOG_PID, facility);
}

hs_err
hs_log_to_file(const char *path)
{
	FILE *f = fopen(path, "a");

	if (f == NULL)
		return HS_ERR_IO;
	setvbuf(f, NULL, _IOLBF, 0);
	if (log_st.file != NULL)
		fclose(log_st.file);
	log_st.file = f;
	return HS_OK;
}

void
hs_log_set_level(enum hs_log_level level)
{
	log_st.level = level;
}

enum hs_log_level
hs_log_get_level(void)
{
	return log_st.level;
}

void
hs_log_set_prefix(const char *prefix)
{
	snprintf(log_st.prefix, sizeof(log_st.prefix), "%s", prefix ? prefix : "");
}

hs_err
hs_log_level_from_name(const char *name, enum hs_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(name, level_names[i].name) == 0) {
			*out = level_names[i].level;
			return HS_OK;
		}
	}
	return HS_ERR_CONFIG;
}

hs_err
hs_log_facility_from_name(const char *name, int *out)
{
	for (size_t i = 0; i < sizeof(facility_names) / sizeof(facility_names[0]); i++) {
		if (strcasecmp(name, facility_names[i].name) == 0) {
			*out = facility_names[i].facility;
			return HS_OK;
		}
	}
	return HS_ERR_CONFIG;
}

static int
syslog_prio(enum hs_log_level level)
{
	switch (level) {
	case HS_LOG_FATAL:	return LOG_CRIT;
	case HS_LOG_ERROR:	return LOG_ERR;
	case HS_LOG_INFO:
	case HS_LOG_VERBOSE:	return LOG_INFO;
	default:		return LOG_DEBUG;
	}
}

/* Never let a peer-supplied string forge a new log line or a terminal escape (a tab can do
 * neither). */
static void
sanitize(char *msg)
{
	for (size_t i = 0; msg[i] != '\0'; i++)
		if (((unsigned char)msg[i] < 0x20 && msg[i] != '\t') || msg[i] == 0x7f)
			msg[i] = '?';
}

/* One datagram: the level byte, then the text (no prefix, tag or newline; the monitor adds its
 * own). MSG_DONTWAIT: a full monitor queue drops the line instead of stalling the session;
 * MSG_NOSIGNAL: a monitor that is gone must not kill us with SIGPIPE. */
static void
sink_send(enum hs_log_level level, const char *text)
{
	uint8_t d[1 + HS_LOG_MAX_LINE];
	size_t n = strlen(text);

	if (n > HS_LOG_MAX_LINE)
		n = HS_LOG_MAX_LINE;
	d[0] = (uint8_t)level;
	memcpy(d + 1, text, n);
	(void)send(log_st.sink, d, 1 + n, MSG_DONTWAIT | MSG_NOSIGNAL);
}

static void __attribute__((format(printf, 2, 0)))
log_v(enum hs_log_level level, const char *fmt, va_list ap)
{
	/* Room past HS_LOG_MAX_LINE for the suffix of a relayed line of full length. */
	char msg[HS_LOG_MAX_LINE + 128];
	static const char *const debug_tag[] = { "debug1: ", "debug2: ", "debug3: " };
	const char *tag = "";

	if (level > log_st.level || log_st.level == HS_LOG_QUIET)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	sanitize(msg);
	if (log_st.sink >= 0) {
		sink_send(level, msg);
		return;
	}
	/* Debug lines carry their level, wherever they go, as OpenSSH's do. */
	if (level >= HS_LOG_DEBUG1)
		tag = debug_tag[level - HS_LOG_DEBUG1];
	if (log_st.file != NULL)
		fprintf(log_st.file, "%s%s%s\n", log_st.prefix, tag, msg);
	else if (log_st.to_stderr)
		fprintf(stderr, "%s%s%s\r\n", log_st.prefix, tag, msg);
	else
		syslog(syslog_prio(level), "%s%s%s", log_st.prefix, tag, msg);
}

void
hs_log_set_sink(int fd)
{
	log_st.sink = fd;
}

void
hs_log_detach(void)
{
	if (log_st.file != NULL)
		fclose(log_st.file);
	log_st.file = NULL;
	closelog();
}

/* A datagram socket does not tell its reader that the peer closed (Linux queues nothing and
 * keeps poll quiet), but a send to a closed peer fails: probe with an empty datagram, which the
 * sandboxed process never reads. One probe at a time: while it is still charged to our socket
 * (SIOCOUTQ > 0; we send nothing else on it) it sits in a live peer's queue, and a closed peer's
 * queue is purged, which frees it. A stream or seqpacket socket reports the close itself. */
static hs_err
relay_idle(int fd)
{
	int type = 0, outq = 0;
	socklen_t tl = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) != 0 || type != SOCK_DGRAM)
		return HS_ERR_AGAIN;
	if (ioctl(fd, SIOCOUTQ, &outq) == 0 && outq > 0)
		return HS_ERR_AGAIN;
	if (send(fd, "", 0, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    (errno == ECONNREFUSED || errno == ENOTCONN || errno == EPIPE))
		return HS_ERR_EOF;
	return HS_ERR_AGAIN;
}

/* recv returned 0: an empty datagram, or (seqpacket, stream) the peer's close, which poll
 * reports as a hang-up. */
static hs_err
relay_zero(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };

	if (poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLRDHUP)) != 0)
		return HS_ERR_EOF;
	return HS_ERR_FORMAT;
}

hs_err
hs_log_relay(int fd, const char *suffix)
{
	/* A longer datagram is cut by the kernel (MSG_TRUNC) and the rest discarded. */
	uint8_t d[1 + HS_LOG_MAX_LINE];
	char text[HS_LOG_MAX_LINE + 1];
	size_t n, o = 0;
	ssize_t got;
	int lv;

	do
		got = recv(fd, d, sizeof(d), MSG_DONTWAIT);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK ? relay_idle(fd) : HS_ERR_IO;
	if (got == 0)
		return relay_zero(fd);
	n = (size_t)got;
	/* The sender is untrusted: no control characters (tab aside), and a level we know. */
	for (size_t i = 1; i < n; i++)
		if ((d[i] >= 0x20 && d[i] != 0x7f) || d[i] == '\t')
			text[o++] = (char)d[i];
	text[o] = '\0';
	lv = d[0] < HS_LOG_FATAL ? HS_LOG_FATAL : d[0] > HS_LOG_DEBUG3 ? HS_LOG_DEBUG3 : d[0];
	hs_log((enum hs_log_level)lv, "%s%s", text, suffix != NULL ? suffix : "");
	return HS_OK;
}

void
hs_log(enum hs_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(level, fmt, ap);
	va_end(ap);
}

void
hs_fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(HS_LOG_FATAL, fmt, ap);
	va_end(ap);
	exit(255);
}
