/* test_log.c: the log sink and relay (core/hs_log.h) that carry a sandboxed process's lines to its
 * monitor, over a real AF_UNIX socketpair; what the relay logged is read back from a log file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "testvec.h"

#include "hs_log.h"

static char logpath[64];

/* sv[0]: the sandboxed process's sink end; sv[1]: the monitor's end. A fresh log file. */
static int
setup(void **state)
{
	int *sv = malloc(2 * sizeof(int));
	int fd;

	assert_non_null(sv);
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
	snprintf(logpath, sizeof(logpath), "/tmp/hs_test_log.XXXXXX");
	fd = mkstemp(logpath);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(hs_log_to_file(logpath), HS_OK);
	hs_log_init("test_log", HS_LOG_DEBUG3, true, 0);
	hs_log_set_prefix(NULL);
	*state = sv;
	return 0;
}

static int
teardown(void **state)
{
	int *sv = *state;

	hs_log_set_sink(-1);
	if (sv[0] >= 0)
		close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	free(sv);
	unlink(logpath);
	return 0;
}

/* The whole log file so far (static buffer). */
static const char *
logged(void)
{
	return tv_read_text(logpath);
}

/* Read one datagram from fd into buf (NUL-terminated); returns its length. */
static size_t
take(int fd, uint8_t *buf, size_t len)
{
	ssize_t n = recv(fd, buf, len - 1, MSG_DONTWAIT);

	assert_true(n >= 0);
	buf[n] = 0;
	return (size_t)n;
}

/* The sink sends only lines that pass the level filter, as level byte + text, no tag or prefix,
 * and writes nothing locally. */
static void
test_sink_filter(void **state)
{
	int *sv = *state;
	uint8_t d[2048];

	hs_log_set_level(HS_LOG_VERBOSE);
	hs_log_set_prefix("10.0.0.1 ");
	hs_log_set_sink(sv[0]);
	hs_debug("hidden %d", 1);
	hs_verbose("shown %d", 2);
	hs_error("bad %s", "thing");
	hs_log_set_sink(-1);
	assert_int_equal(take(sv[1], d, sizeof(d)), 1 + 7);
	assert_int_equal(d[0], HS_LOG_VERBOSE);
	assert_string_equal((char *)d + 1, "shown 2");
	assert_int_equal(take(sv[1], d, sizeof(d)), 1 + 9);
	assert_int_equal(d[0], HS_LOG_ERROR);
	assert_string_equal((char *)d + 1, "bad thing");
	/* the DEBUG1 line was not sent */
	assert_true(recv(sv[1], d, sizeof(d), MSG_DONTWAIT) < 0);
	assert_string_equal(logged(), "");
	/* Back to the normal output after fd -1. */
	hs_info("local");
	assert_string_equal(logged(), "10.0.0.1 local\n");
}

/* A relayed line is logged at its level with the suffix, through the monitor's own filter and
 * prefix; the debug tag is the monitor's. */
static void
test_relay_line(void **state)
{
	int *sv = *state;

	hs_log_set_sink(sv[0]);
	hs_debug2("kex done, %s", "ok");
	hs_info("Accepted publickey for alice");
	hs_log_set_sink(-1);
	hs_log_set_prefix("mon: ");
	hs_log_set_level(HS_LOG_INFO);
	assert_int_equal(hs_log_relay(sv[1], " [preauth]"), HS_OK);	/* DEBUG2: filtered here */
	assert_string_equal(logged(), "");
	assert_int_equal(hs_log_relay(sv[1], " [preauth]"), HS_OK);
	assert_string_equal(logged(), "mon: Accepted publickey for alice [preauth]\n");
	hs_log_set_level(HS_LOG_DEBUG3);
	assert_int_equal(send(sv[0], "\x06kex", 4, 0), 4);
	assert_int_equal(hs_log_relay(sv[1], NULL), HS_OK);
	assert_string_equal(logged(), "mon: Accepted publickey for alice [preauth]\n"
	    "mon: debug2: kex\n");
}

/* Levels out of range are clamped: 0 (QUIET) to FATAL, anything past DEBUG3 to DEBUG3. */
static void
test_relay_clamp(void **state)
{
	int *sv = *state;

	hs_log_set_level(HS_LOG_FATAL);
	assert_int_equal(send(sv[0], "\x00" "quiet?", 7, 0), 7);
	assert_int_equal(send(sv[0], "\xff" "loud", 5, 0), 5);
	assert_int_equal(hs_log_relay(sv[1], NULL), HS_OK);
	assert_int_equal(hs_log_relay(sv[1], NULL), HS_OK);
	assert_string_equal(logged(), "quiet?\n");
	hs_log_set_level(HS_LOG_DEBUG3);
	assert_int_equal(send(sv[0], "\xff" "loud", 5, 0), 5);
	assert_int_equal(hs_log_relay(sv[1], NULL), HS_OK);
	assert_string_equal(logged(), "quiet?\ndebug3: loud\n");
}

static void
test_relay_empty_queue_and_eof(void **state)
{
	int *sv = *state;

	uint8_t d[8];

	/* Each idle call finds the queue empty; the closed-peer probe is sent once, not per call:
	 * the sandboxed end holds one empty datagram however often the monitor looked. */
	for (int i = 0; i < 100; i++)
		assert_int_equal(hs_log_relay(sv[1], NULL), HS_ERR_AGAIN);
	assert_int_equal(recv(sv[0], d, sizeof(d), MSG_DONTWAIT), 0);
	assert_true(recv(sv[0], d, sizeof(d), MSG_DONTWAIT) < 0);
	/* (and once that one is gone, the next idle call probes again) */
	assert_int_equal(hs_log_relay(sv[1], NULL), HS_ERR_AGAIN);
	assert_int_equal(recv(sv[0], d, sizeof(d), MSG_DONTWAIT), 0);
	assert_int_equal(send(sv[0], "\x03last words", 11, 0), 11);
	close(sv[0]);
	sv[0] = -1;
	/* A line sent before the close is still delivered, then the close is seen. */
	assert_int_equal(hs_log_relay(sv[1], NULL), HS_OK);
	assert_int_equal(hs_log_relay(sv[1], NULL), HS_ERR_EOF);
	assert_int_equal(hs_log_relay(sv[1], NULL), HS_ERR_EOF);
	assert_string_equal(logged(), "last words\n");
}

/* The same on a SOCK_SEQPACKET pair, where the kernel reports the close itself. */
static void
test_relay_seqpacket(void **state)
{
	int sp[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
	assert_int_equal(hs_log_relay(sp[1], NULL), HS_ERR_AGAIN);
	assert_int_equal(send(sp[0], "", 0, 0), 0);
	assert_int_equal(hs_log_relay(sp[1], NULL), HS_ERR_FORMAT);
	hs_log_set_sink(sp[0]);
	hs_info("over seqpacket");
	hs_log_set_sink(-1);
	close(sp[0]);
	assert_int_equal(hs_log_relay(sp[1], "!"), HS_OK);
	assert_int_equal(hs_log_relay(sp[1], NULL), HS_ERR_EOF);
	close(sp[1]);
	assert_string_equal(logged(), "over seqpacket!\n");
}

/* 5000 bytes: the sink sends HS_LOG_MAX_LINE of them; a 5000-byte datagram sent by hand is cut
 * to HS_LOG_MAX_LINE by the relay, and the suffix still follows. */
static void
test_long_lines(void **state)
{
	int *sv = *state;
	char *big = malloc(5001), *want = malloc(HS_LOG_MAX_LINE + 8);
	uint8_t *d = malloc(6000);

	assert_non_null(big);
	assert_non_null(want);
	assert_non_null(d);
	memset(big, 'x', 5000);
	big[5000] = '\0';
	hs_log_set_sink(sv[0]);
	hs_info("%s", big);
	hs_log_set_sink(-1);
	assert_int_equal(take(sv[1], d, 6000), 1 + HS_LOG_MAX_LINE);

	d[0] = HS_LOG_INFO;
	memset(d + 1, 'y', 4999);
	assert_int_equal(send(sv[0], d, 5000, 0), 5000);
	assert_int_equal(hs_log_relay(sv[1], " [end]"), HS_OK);
	memset(want, 'y', HS_LOG_MAX_LINE);
	memcpy(want + HS_LOG_MAX_LINE, " [end]\n", 8);
	assert_string_equal(logged(), want);
	/* The rest of the long datagram was discarded, not read as a second line. */
	assert_int_equal(hs_log_relay(sv[1], NULL), HS_ERR_AGAIN);
	free(big);
	free(want);
	free(d);
}

/* Control characters (NUL, CR, LF, ESC, DEL) are removed from a relayed line; tab and UTF-8
 * bytes stay. The sink itself turns them into '?' before sending. */
static void
test_control_chars(void **state)
{
	int *sv = *state;
	static const char evil[] = "\x03" "a\nFAKE\r\x1b[31m\x00" "b\tc\x7f\xc3\xa9";
	uint8_t d[64];

	assert_int_equal(send(sv[0], evil, sizeof(evil) - 1, 0), (ssize_t)sizeof(evil) - 1);
	assert_int_equal(hs_log_relay(sv[1], NULL), HS_OK);
	assert_string_equal(logged(), "aFAKE[31mb\tc\xc3\xa9\n");

	hs_log_set_sink(sv[0]);
	hs_info("x\ny\x1bz\tw");
	hs_log_set_sink(-1);
	take(sv[1], d, sizeof(d));
	assert_string_equal((char *)d + 1, "x?y?z\tw");
}

static void
test_empty_datagram(void **state)
{
	int *sv = *state;

	assert_int_equal(send(sv[0], "", 0, 0), 0);
	assert_int_equal(hs_log_relay(sv[1], NULL), HS_ERR_FORMAT);
	/* A level byte alone is a line, empty but for the suffix. */
	assert_int_equal(send(sv[0], "\x03", 1, 0), 1);
	assert_int_equal(hs_log_relay(sv[1], "<"), HS_OK);
	assert_string_equal(logged(), "<\n");
}

/* A sink whose monitor is gone loses the line without killing or blocking the sender. */
static void
test_sink_peer_gone(void **state)
{
	int *sv = *state;

	close(sv[1]);
	sv[1] = -1;
	hs_log_set_sink(sv[0]);
	hs_error("nobody listens");
	hs_log_set_sink(-1);
	assert_string_equal(logged(), "");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_sink_filter),
		T(test_relay_line),
		T(test_relay_clamp),
		T(test_relay_empty_queue_and_eof),
		T(test_relay_seqpacket),
		T(test_long_lines),
		T(test_control_chars),
		T(test_empty_datagram),
		T(test_sink_peer_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
