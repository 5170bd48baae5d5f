/* hs_log.c: logging to syslog, stderr or a file. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
} log_st = { "hardssh", "", HS_LOG_INFO, true, LOG_AUTH, NULL };

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

static void __attribute__((format(printf, 2, 0)))
log_v(enum hs_log_level level, const char *fmt, va_list ap)
{
	char msg[1024];
	size_t i;

	static const char *const debug_tag[] = { "debug1: ", "debug2: ", "debug3: " };
	const char *tag = "";
	int off;

	if (level > log_st.level || log_st.level == HS_LOG_QUIET)
		return;
	/* Debug lines carry their level, wherever they go, as OpenSSH's do. */
	if (level >= HS_LOG_DEBUG1)
		tag = debug_tag[level - HS_LOG_DEBUG1];
	off = snprintf(msg, sizeof(msg), "%s", tag);
	vsnprintf(msg + off, sizeof(msg) - (size_t)off, fmt, ap);
	/* Never let a peer-supplied string forge a new log line or a terminal escape. */
	for (i = 0; msg[i] != '\0'; i++)
		if ((unsigned char)msg[i] < 0x20 || msg[i] == 0x7f)
			msg[i] = '?';
	if (log_st.file != NULL)
		fprintf(log_st.file, "%s%s\n", log_st.prefix, msg);
	else if (log_st.to_stderr)
		fprintf(stderr, "%s%s\r\n", log_st.prefix, msg);
	else
		syslog(syslog_prio(level), "%s%s", log_st.prefix, msg);
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
