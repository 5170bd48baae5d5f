/* hs_log.h: logging to syslog or stderr with OpenSSH's LogLevel names. Never log secrets. */
#ifndef HS_LOG_H
#define HS_LOG_H

#include <stdbool.h>

#include "hs_err.h"

enum hs_log_level {
	HS_LOG_QUIET = 0,
	HS_LOG_FATAL,
	HS_LOG_ERROR,
	HS_LOG_INFO,
	HS_LOG_VERBOSE,
	HS_LOG_DEBUG1,
	HS_LOG_DEBUG2,
	HS_LOG_DEBUG3,
};

/* Configure: progname for prefixes and syslog ident; level; to_stderr selects stderr instead of
 * syslog; facility is a syslog facility value (LOG_AUTH etc.). May be called again to change. */
void hs_log_init(const char *progname, enum hs_log_level level, bool to_stderr, int facility);
/* Send log lines to this file (hsshd -E) instead; returns HS_ERR_IO if it cannot be opened. */
HS_MUST_USE hs_err hs_log_to_file(const char *path);
void hs_log_set_level(enum hs_log_level level);
enum hs_log_level hs_log_get_level(void);
/* Parse "QUIET".."DEBUG3" (case-insensitive; DEBUG == DEBUG1). HS_ERR_CONFIG on unknown names. */
HS_MUST_USE hs_err hs_log_level_from_name(const char *name, enum hs_log_level *out);
/* Parse a SyslogFacility name (DAEMON, USER, AUTH, AUTHPRIV, LOCAL0..LOCAL7). */
HS_MUST_USE hs_err hs_log_facility_from_name(const char *name, int *out);
/* Prefix added to every line (e.g. the peer address); NULL clears it. */
void hs_log_set_prefix(const char *prefix);

/* Privilege separation: a chrooted, sandboxed process cannot reach syslog or open a log file, so
 * its lines go to its monitor. hs_log_set_sink(fd): from now on every line that passes the level
 * filter is sent as one datagram (byte level, then the text without prefix or newline, at most
 * HS_LOG_MAX_LINE bytes) with one send(2) on fd, a SOCK_DGRAM or SOCK_SEQPACKET socket (fd -1:
 * back to the normal output). The sink never blocks the caller for long: MSG_DONTWAIT, a line
 * that does not fit is dropped. hs_log_relay(fd, suffix) in the monitor reads one datagram without
 * blocking and logs it at its level (clamped to HS_LOG_FATAL..HS_LOG_DEBUG3) with suffix appended
 * (e.g. " [preauth]"; NULL = none), after stripping control characters other than tab: HS_OK
 * for a line, HS_ERR_AGAIN if none was waiting, HS_ERR_EOF if the peer closed, HS_ERR_FORMAT for
 * an empty datagram. */
#define HS_LOG_MAX_LINE	1024
void hs_log_set_sink(int fd);
/* In a process that logs through the sink from now on: close the log file (-E) and the syslog
 * connection, so that a compromised sandboxed process holds no descriptor it could use to write
 * forged lines into the server's log. */
void hs_log_detach(void);
HS_MUST_USE hs_err hs_log_relay(int fd, const char *suffix);

void hs_log(enum hs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Log at FATAL and exit(255). */
void hs_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define hs_error(...)	hs_log(HS_LOG_ERROR, __VA_ARGS__)
#define hs_info(...)	hs_log(HS_LOG_INFO, __VA_ARGS__)
#define hs_verbose(...)	hs_log(HS_LOG_VERBOSE, __VA_ARGS__)
#define hs_debug(...)	hs_log(HS_LOG_DEBUG1, __VA_ARGS__)
#define hs_debug2(...)	hs_log(HS_LOG_DEBUG2, __VA_ARGS__)
#define hs_debug3(...)	hs_log(HS_LOG_DEBUG3, __VA_ARGS__)

#endif
